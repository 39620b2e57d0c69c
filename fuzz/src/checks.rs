//! What the fuzz targets assert. Each function takes arbitrary bytes and panics only when the
//! code under test misbehaves: a panic inside a reader, a reader that accepts what its
//! reference refuses (or reads a different value), a model file that passes its checks and
//! then fails in use. Errors are fine: they are the typed refusals the readers promise.
//!
//! Included by `fuzz/src/lib.rs` (the libFuzzer targets, nightly) and by the main
//! workspace's `tests/fuzz_corpora.rs` (every corpus file replayed on stable).

use tidewater::core::io::bytes::parse_number;
use tidewater::core::io::csv::{CsvReader, NumberColumn, Record, TargetSpec, read_csv_dataset};
use tidewater::core::io::libsvm::{LibSvmParser, LibSvmReader};
use tidewater::core::io::vw::{VwParser, VwReader};
use tidewater::core::io::{Cell, SparseRecord};
use tidewater::core::{Classifier, Clusterer, Label, Regressor, Row, Transformer};
use tidewater::registry::{self, AnyModel, SAVED_MODEL_KIND, SavedModel};

/// At most this many records are read from one input (inputs are small; this bounds a
/// reader that would stop advancing).
const MAX_RECORDS: usize = 1 << 16;

/// The CSV reader: records or errors, never a panic; it goes on after a row's error; every
/// number it reads is the one `str::parse` reads from the field; the one-column fast reader
/// gives exactly the general reader's values; the data-set loader returns or refuses.
pub fn csv(data: &[u8]) {
    let general = read_general(data);
    // Blocks of 64 bytes: lines cross block ends, as they do in large files.
    if let Ok(mut col) = NumberColumn::with_block(data, 64) {
        let mut fast = Vec::new();
        let complete = loop {
            match col.fill(&mut fast, 1024) {
                Ok(0) => break true,
                Ok(_) if fast.len() > MAX_RECORDS => break false,
                Ok(_) => {}
                Err(_) => break false,
            }
        };
        if complete {
            let (rows, errors) = general
                .as_ref()
                .expect("the general reader read the header");
            assert_eq!(
                *errors, 0,
                "the fast reader read a file the general one refuses"
            );
            let want: Vec<u64> = rows
                .iter()
                .map(|r| match r.as_slice() {
                    [Cell::Num(v)] => v.to_bits(),
                    other => panic!("fast reader took a row the general one reads as {other:?}"),
                })
                .collect();
            let got: Vec<u64> = fast.iter().map(|v| v.to_bits()).collect();
            assert_eq!(
                got, want,
                "one-column fast reader and general reader differ"
            );
        }
    }
    let _ = read_csv_dataset(data, "fuzz.csv", TargetSpec::Last);
    number(data);
}

/// The general CSV reader over `data`: the rows read and the number of row errors; `None`
/// when the header is refused.
fn read_general(data: &[u8]) -> Option<(Vec<Vec<Cell>>, usize)> {
    let mut reader = CsvReader::from_reader(data, "fuzz.csv").ok()?;
    let width = reader.headers().len();
    let mut record = Record::new();
    let (mut rows, mut errors) = (Vec::new(), 0);
    for _ in 0..MAX_RECORDS {
        match reader.next_record(&mut record) {
            Ok(true) => {
                assert_eq!(record.cells.len(), width, "a record of the wrong width");
                for c in &record.cells {
                    if let Cell::Num(v) = c {
                        assert!(v.is_finite(), "a non-finite number was accepted");
                    }
                }
                rows.push(record.cells.clone());
            }
            Ok(false) => break,
            Err(e) => {
                assert!(
                    e.to_string().contains("fuzz.csv"),
                    "an error without the file: {e}"
                );
                errors += 1;
            }
        }
    }
    Some((rows, errors))
}

/// The number reader (`fast-float2` behind `parse_number`) against the standard library's
/// `str::parse::<f64>` on every comma-, space- or line-separated token: the same tokens
/// accepted, the same values (bit for bit, any NaN for NaN).
pub fn number(data: &[u8]) {
    for token in data.split(|&b| b == b',' || b == b'\n' || b == b' ') {
        let fast = parse_number(token);
        let reference = std::str::from_utf8(token)
            .ok()
            .and_then(|s| s.parse::<f64>().ok());
        match (fast, reference) {
            (Some(a), Some(b)) => assert!(
                a.to_bits() == b.to_bits() || a.is_nan() && b.is_nan(),
                "{token:?}: {a} against {b}"
            ),
            (None, None) => {}
            (a, b) => panic!("{token:?}: parse_number {a:?}, str::parse {b:?}"),
        }
    }
}

/// Both sparse parsers line by line: the byte-level path gives exactly the reference
/// (token-by-token) path's record or error; the streaming reader reads or refuses.
fn sparse(
    data: &[u8],
    mut parse: impl FnMut(u64, &[u8], &mut SparseRecord) -> tidewater::core::Result<bool>,
    mut reference: impl FnMut(u64, &[u8], &mut SparseRecord) -> tidewater::core::Result<bool>,
) {
    let (mut a, mut b) = (SparseRecord::new(), SparseRecord::new());
    for (i, line) in data.split(|&b| b == b'\n').enumerate().take(MAX_RECORDS) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let n = i as u64 + 1;
        match (parse(n, line, &mut a), reference(n, line, &mut b)) {
            (Ok(true), Ok(true)) => {
                assert_eq!(a.line, b.line);
                assert_eq!(a.label, b.label, "line {n}: label");
                assert_eq!(a.weight.map(f64::to_bits), b.weight.map(f64::to_bits));
                assert_eq!(a.indices, b.indices, "line {n}: indices");
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&a.values), bits(&b.values), "line {n}: values");
                assert!(
                    a.indices.windows(2).all(|w| w[0] < w[1]),
                    "indices not increasing"
                );
                assert!(a.values.iter().all(|v| v.is_finite()), "a non-finite value");
            }
            (Ok(false), Ok(false)) | (Err(_), Err(_)) => {}
            (x, y) => panic!("line {n}: parser {x:?}, reference {y:?}"),
        }
    }
}

/// The LIBSVM parser and reader (see [`sparse`]).
pub fn libsvm(data: &[u8]) {
    let (mut p, mut q) = (LibSvmParser::new(), LibSvmParser::new());
    sparse(
        data,
        |n, t, r| p.parse_line("fuzz.svm", n, t, r),
        |n, t, r| q.parse_line_reference("fuzz.svm", n, t, r),
    );
    let mut reader = LibSvmReader::from_reader(data, "fuzz.svm").expect("a reader");
    drain(|r| reader.next_record(r));
}

/// The VW parser and reader (see [`sparse`]), at 18 hash bits or, when the input's length
/// is odd, at 4 (collisions, sums of repeated indices).
pub fn vw(data: &[u8]) {
    {
        let bits = if data.len() % 2 == 1 { 4 } else { 18 };
        let (mut p, mut q) = (VwParser::new(bits).unwrap(), VwParser::new(bits).unwrap());
        sparse(
            data,
            |n, t, r| p.parse_line("fuzz.vw", n, t, r),
            |n, t, r| q.parse_line_reference("fuzz.vw", n, t, r),
        );
        let mut reader = VwReader::from_reader(data, "fuzz.vw")
            .and_then(|r| r.with_bits(bits))
            .expect("a reader");
        drain(|r| reader.next_record(r));
    }
}

fn drain(mut next: impl FnMut(&mut SparseRecord) -> tidewater::core::Result<bool>) {
    let mut record = SparseRecord::new();
    for _ in 0..MAX_RECORDS {
        match next(&mut record) {
            Ok(true) | Err(_) => {}
            Ok(false) => break,
        }
    }
}

/// The spec parser and the model table: a spec parses or is refused; one that parses prints
/// as text that parses to the same spec; building it gives a model or a typed error.
pub fn spec(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(stages) = tidewater::spec::parse_pipeline(text) {
        for s in &stages {
            let again = tidewater::spec::parse_spec(&s.to_string())
                .unwrap_or_else(|e| panic!("`{s}` (from {text:?}) does not parse back: {e}"));
            assert_eq!(&again, s, "printing and parsing changed the spec");
        }
    }
    for path in [registry::Path::Batch, registry::Path::Stream] {
        let _ = registry::parse(text, path);
    }
    if let Ok(model) = registry::build(text) {
        let _ = model.n_features();
    }
}

/// The checkpoint loader on raw bytes, and on the bytes as a payload behind a valid header
/// and CRC (what a hostile writer produces). A model that loads passes its state check and
/// is then used: predictions, probabilities, learning, distances, transformation, the
/// structure, and a save and reload, none of which may panic.
pub fn checkpoint(data: &[u8]) {
    let _ = SavedModel::from_bytes(data, "fuzz.tw");
    let framed = tidewater::persist::frame(SAVED_MODEL_KIND, data);
    if let Ok(saved) = SavedModel::from_bytes(&framed, "fuzz.tw") {
        exercise(saved, data);
    }
}

/// The widest model (features, or `2^bits` hashed features) the checkpoint target uses after
/// loading it; wider ones are only saved and reloaded. Some models cost by their width as
/// they are meant to: naive Bayes and scalers allocate per feature, ridge and PCA keep d x d
/// statistics and solve or decompose them in O(d^3) (a singular 2,048-feature ridge takes an
/// SVD of several seconds after each row learned); that is what their user asked for, not a
/// fault of the file, and more than the fuzzing budget of 10 s and 2 GB per input holds. The
/// models' own bounds (ridge's 2^26 entries, PCA's 8192 features, 512 row by row) keep such
/// requests from ending a process.
const USE_MAX_WIDTH: usize = 1 << 9;

/// Uses a model that loaded (see [`checkpoint`]); `seed` gives a row's values.
pub fn exercise(mut saved: SavedModel, seed: &[u8]) {
    let bytes = saved.to_bytes().expect("a loaded model encodes");
    let again = SavedModel::from_bytes(&bytes, "again.tw")
        .unwrap_or_else(|e| panic!("a model that loaded does not load after a save: {e}"));
    assert_eq!(
        again.to_bytes().expect("encodes"),
        bytes,
        "save, load, save changed the bytes"
    );
    let _ = saved.model.structure(&saved.features);
    if saved.model.record_stage().is_some() {
        return;
    }
    let n = saved.model.n_features();
    if let Some(b) = saved.bits {
        // Rows of hashed features: sparse, of the model's 2^bits width (see USE_MAX_WIDTH).
        if 1usize.checked_shl(b).is_none_or(|w| w > USE_MAX_WIDTH) {
            return;
        }
        let dim = n.unwrap_or(1 << b);
        let idx: Vec<u32> = [0, 1, dim.saturating_sub(1)]
            .into_iter()
            .filter(|&i| i < dim)
            .map(|i| i as u32)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let vals = vec![1.5; idx.len()];
        let row = tidewater::core::SparseRow::new(dim, &idx, &vals).expect("a valid row");
        use_rows(&mut saved.model, &[Row::Sparse(row)]);
        let _ = saved.to_bytes();
        return;
    }
    let dim = n.unwrap_or_else(|| saved.features.len().max(1));
    if dim > USE_MAX_WIDTH {
        return;
    }
    let mut rows = vec![vec![0.0; dim], vec![1.0; dim]];
    rows.push(
        (0..dim)
            .map(|j| f64::from(seed.get(j % seed.len().max(1)).copied().unwrap_or(3)) - 100.0)
            .collect(),
    );
    let rows: Vec<Row<'_>> = rows.iter().map(|x| Row::Dense(x)).collect();
    use_rows(&mut saved.model, &rows);
    let _ = saved.to_bytes();
}

/// Predicts, learns and predicts again on each row, by the model's role.
fn use_rows(model: &mut AnyModel, rows: &[Row<'_>]) {
    for &x in rows {
        match model {
            AnyModel::Classifier(p) => {
                let _ = p.predict_one(x);
                let mut out = vec![0.0; p.classes().len()];
                let _ = p.predict_proba_into(x, &mut out);
                let y = p
                    .classes()
                    .labels()
                    .first()
                    .cloned()
                    .unwrap_or(Label::Num(1.0));
                let _ = p.learn_one(x, &y, None);
                let _ = p.learn_one(x, &Label::Num(7.0), Some(2.0));
                let _ = p.predict_one(x);
            }
            AnyModel::Regressor(p) => {
                let _ = p.predict_one(x);
                let _ = p.learn_one(x, 2.5, None);
                let _ = p.predict_one(x);
            }
            AnyModel::Transformer(p) => {
                let _ = p.learn_one(x, None);
                let mut out = vec![0.0; p.n_features_out().unwrap_or(0).min(1 << 20)];
                let _ = p.transform_one(x, &mut out);
            }
            AnyModel::Clusterer(p) => {
                let _ = p.predict_one(x);
                let mut out = vec![0.0; p.n_clusters().min(1 << 16)];
                let _ = p.distances_into(x, &mut out);
                let _ = p.learn_one(x, None);
                let _ = p.predict_one(x);
            }
        }
    }
}
