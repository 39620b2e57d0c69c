//! Tests of the streaming readers in `tidewater_core::io`.

use std::path::{Path, PathBuf};

use tidewater_core::io::{
    Cell, ColumnKind, CsvReader, Format, LibSvmReader, Record, SparseRecord, TargetSpec, VwReader,
    load_csv, load_libsvm, load_vw, read_csv_dataset, vw,
};
use tidewater_core::{Error, FeatureMatrix, Label, Targets};

fn csv(text: &str) -> tidewater_core::Result<CsvReader<&[u8]>> {
    CsvReader::from_reader(text.as_bytes(), "data.csv")
}

fn all_records(r: &mut CsvReader<&[u8]>) -> tidewater_core::Result<Vec<Record>> {
    let mut out = Vec::new();
    let mut rec = Record::new();
    while r.next_record(&mut rec)? {
        out.push(rec.clone());
    }
    Ok(out)
}

fn libsvm(text: &str) -> tidewater_core::Result<Vec<SparseRecord>> {
    let mut r = LibSvmReader::from_reader(text.as_bytes(), "data.svm")?;
    let mut rec = SparseRecord::new();
    let mut out = Vec::new();
    while r.next_record(&mut rec)? {
        out.push(rec.clone());
    }
    Ok(out)
}

fn vw_records(text: &str, bits: u32) -> tidewater_core::Result<Vec<SparseRecord>> {
    let mut r = VwReader::from_reader(text.as_bytes(), "data.vw")?.with_bits(bits)?;
    let mut rec = SparseRecord::new();
    let mut out = Vec::new();
    while r.next_record(&mut rec)? {
        out.push(rec.clone());
    }
    Ok(out)
}

/// A file in a fresh temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, contents: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "tidewater-io-test-{}-{}",
            std::process::id(),
            name.replace('.', "_")
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        TempFile(path)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn parse_parts(e: &Error) -> (&str, u64, &str, &str) {
    match e {
        Error::Parse {
            file,
            line,
            column,
            message,
        } => (file, *line, column, message),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Format

#[test]
fn format_from_name_or_extension() {
    let p = Path::new("x/data.CSV");
    assert_eq!(Format::detect(p, None).unwrap(), Format::Csv);
    assert_eq!(
        Format::detect(Path::new("a.svm"), None).unwrap(),
        Format::LibSvm
    );
    assert_eq!(
        Format::detect(Path::new("a.libsvm"), None).unwrap(),
        Format::LibSvm
    );
    assert_eq!(Format::detect(Path::new("a.vw"), None).unwrap(), Format::Vw);
    assert_eq!(
        Format::detect(Path::new("a.txt"), Some("svm")).unwrap(),
        Format::LibSvm
    );
    assert_eq!(
        Format::detect(Path::new("a.csv"), Some("VW")).unwrap(),
        Format::Vw
    );
    let e = Format::detect(Path::new("some/file.txt"), None).unwrap_err();
    assert!(e.to_string().contains("some/file.txt"), "{e}");
    let e = Format::detect(Path::new("noext"), None).unwrap_err();
    assert!(e.to_string().contains("noext"), "{e}");
    let e = Format::detect(Path::new("a.csv"), Some("parquet")).unwrap_err();
    assert!(
        e.to_string().contains("a.csv") && e.to_string().contains("parquet"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------------
// CSV reader

#[test]
fn csv_kinds_from_first_row() {
    let r = csv("a, b ,c,d\n1.5,red,,NaN\n2,3,x,4\n").unwrap();
    assert_eq!(r.headers(), ["a", "b", "c", "d"]);
    assert_eq!(
        r.kinds(),
        [
            ColumnKind::Numeric,
            ColumnKind::Nominal,
            ColumnKind::Numeric,
            ColumnKind::Numeric
        ]
    );
    assert_eq!(r.name(), "data.csv");
}

#[test]
fn csv_records_cells_and_lines() {
    let mut r = csv("a,b,c\n1, red ,\n\n-2e1,3,nan\n").unwrap();
    let recs = all_records(&mut r).unwrap();
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0].line, 2);
    assert_eq!(
        recs[0].cells,
        [Cell::Num(1.0), Cell::Text("red".into()), Cell::Missing]
    );
    // The blank line is skipped but counted.
    assert_eq!(recs[1].line, 4);
    // A number in a nominal column is a category, kept as text.
    assert_eq!(
        recs[1].cells,
        [Cell::Num(-20.0), Cell::Text("3".into()), Cell::Missing]
    );
}

#[test]
fn csv_nan_spellings_are_missing_never_numbers() {
    let mut r = csv("a,b\nNaN,1\nnan,\n").unwrap();
    let recs = all_records(&mut r).unwrap();
    for rec in &recs {
        assert_eq!(rec.cells[0], Cell::Missing);
    }
    assert_eq!(recs[1].cells[1], Cell::Missing);
    // A missing first value still makes the column numeric.
    assert_eq!(r.kinds(), [ColumnKind::Numeric, ColumnKind::Numeric]);
    // Other NaN spellings are rejected, not turned into NaN numbers.
    let mut r = csv("a\n1\nNAN\n").unwrap();
    let e = all_records(&mut r).unwrap_err();
    assert_eq!(parse_parts(&e).1, 3);
}

#[test]
fn csv_infinity_is_an_error_with_line_and_column() {
    for bad in ["inf", "-inf", "Infinity", "-INF", "+infinity"] {
        let text = format!("x,y\n1,2\n3,{bad}\n");
        let mut r = csv(&text).unwrap();
        let e = all_records(&mut r).unwrap_err();
        let (file, line, column, _) = parse_parts(&e);
        assert_eq!((file, line, column), ("data.csv", 3, "y"), "{bad}");
        let msg = e.to_string();
        assert!(
            msg.contains("data.csv") && msg.contains(":3:") && msg.contains('y'),
            "{msg}"
        );
    }
    // In a nominal column too, and in the first row.
    let mut r = csv("name,v\nbob,inf\n").unwrap();
    let e = all_records(&mut r).unwrap_err();
    assert_eq!(parse_parts(&e).1, 2);
    let mut r = csv("name,v\nbob,1\ninf,2\n").unwrap();
    let e = all_records(&mut r).unwrap_err();
    assert_eq!(parse_parts(&e).2, "name");
}

#[test]
fn csv_text_in_numeric_column_later_names_line_and_column() {
    let mut r = csv("height,weight\n1,2\n3,4\n5,heavy\n7,8\n").unwrap();
    let mut rec = Record::new();
    assert!(r.next_record(&mut rec).unwrap());
    assert!(r.next_record(&mut rec).unwrap());
    let e = r.next_record(&mut rec).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains('4') && msg.contains("weight") && msg.contains("heavy"),
        "{msg}"
    );
    assert_eq!(parse_parts(&e).1, 4);
    // The reader goes on with the next row.
    assert!(r.next_record(&mut rec).unwrap());
    assert_eq!(rec.line, 5);
    assert_eq!(rec.cells, [Cell::Num(7.0), Cell::Num(8.0)]);
    assert!(!r.next_record(&mut rec).unwrap());
}

#[test]
fn csv_ragged_row() {
    let mut r = csv("a,b,c\n1,2,3\n4,5\n6,7,8,9\n").unwrap();
    let mut rec = Record::new();
    assert!(r.next_record(&mut rec).unwrap());
    let e = r.next_record(&mut rec).unwrap_err();
    let (_, line, column, message) = parse_parts(&e);
    assert_eq!((line, column), (3, "-"));
    assert!(message.contains('3') && message.contains('2'), "{message}");
    let e = r.next_record(&mut rec).unwrap_err();
    assert_eq!(parse_parts(&e).1, 4);
}

#[test]
fn csv_empty_and_header_only() {
    for text in ["", "a,b\n"] {
        match csv(text) {
            Err(Error::Empty(m)) => assert!(m.contains("data.csv"), "{m}"),
            Err(e) => panic!("expected Empty, got {e:?}"),
            Ok(_) => panic!("expected Empty"),
        }
    }
    let f = TempFile::new("empty.csv", "");
    let e = load_csv(f.path(), TargetSpec::Last).unwrap_err();
    assert!(matches!(e, Error::Empty(_)));
    assert!(e.to_string().contains("empty.csv"), "{e}");
}

#[test]
fn csv_with_kinds_forces_kinds() {
    let r = csv("a,b\n1,2\n").unwrap();
    let mut r = r
        .with_kinds(vec![ColumnKind::Nominal, ColumnKind::Numeric])
        .unwrap();
    let recs = all_records(&mut r).unwrap();
    assert_eq!(recs[0].cells, [Cell::Text("1".into()), Cell::Num(2.0)]);
    let r = csv("a,b\nx,2\n").unwrap();
    assert!(r.with_kinds(vec![ColumnKind::Numeric]).is_err());
    // A forced numeric kind rejects text in the first row.
    let mut r = csv("a,b\nx,2\n")
        .unwrap()
        .with_kinds(vec![ColumnKind::Numeric, ColumnKind::Numeric])
        .unwrap();
    let e = all_records(&mut r).unwrap_err();
    assert_eq!(parse_parts(&e).2, "a");
}

#[test]
fn csv_quoted_fields_bom_and_crlf() {
    let mut r = csv("\u{feff}name,v\r\n\"a, b\",1\r\n\"multi\nline\",2\r\nc,3\r\n").unwrap();
    assert_eq!(r.headers(), ["name", "v"]);
    let recs = all_records(&mut r).unwrap();
    assert_eq!(recs[0].cells[0], Cell::Text("a, b".into()));
    assert_eq!(recs[1].cells[0], Cell::Text("multi\nline".into()));
    assert_eq!(recs[2].line, 5);
}

#[test]
fn csv_error_lines_with_crlf_blank_lines_and_quoted_breaks() {
    let text = "a,b\r\n1,2\r\n\r\n\r\n3,\"x\ny\"\r\n4,oops\r\n5,6";
    let mut r = csv(text)
        .unwrap()
        .with_kinds(vec![ColumnKind::Numeric, ColumnKind::Nominal])
        .unwrap();
    let recs = all_records(&mut r).unwrap();
    let lines: Vec<u64> = recs.iter().map(|r| r.line).collect();
    assert_eq!(lines, [2, 5, 7, 8]);
    let mut r = csv("a,b\n\n1,2\n\n\n3,x\n").unwrap();
    let e = all_records(&mut r).unwrap_err();
    assert_eq!(parse_parts(&e).1, 6);
    let mut r = csv("a,b\r\n1,2\r\n3,x\r\n").unwrap();
    let e = all_records(&mut r).unwrap_err();
    assert_eq!(parse_parts(&e).1, 3);
}

#[test]
fn csv_duplicate_header_and_bad_utf8_do_not_panic() {
    assert!(csv("a,a\n1,2\n").is_err());
    let bytes: &[u8] = b"a,b\n1,2\n\xff,3\n";
    let mut r = CsvReader::from_reader(bytes, "bin.csv").unwrap();
    let mut rec = Record::new();
    assert!(r.next_record(&mut rec).unwrap());
    let e = r.next_record(&mut rec).unwrap_err();
    assert_eq!(parse_parts(&e).1, 3);
}

#[test]
fn csv_record_buffers_are_reused() {
    let mut r = csv("t,v\nred,1\ngreen,2\n").unwrap();
    let mut rec = Record::new();
    assert!(r.next_record(&mut rec).unwrap());
    let cells_ptr = rec.cells.as_ptr();
    assert!(r.next_record(&mut rec).unwrap());
    assert_eq!(rec.cells.as_ptr(), cells_ptr);
    assert_eq!(rec.cells[0], Cell::Text("green".into()));
}

// ---------------------------------------------------------------------------------------------
// CSV data sets

#[test]
fn dataset_last_column_numeric_target() {
    let ds = read_csv_dataset(
        "a,b,y\n1,2,0.5\n3,4,1.5\n".as_bytes(),
        "d.csv",
        TargetSpec::Last,
    )
    .unwrap();
    assert_eq!(ds.schema.features, ["a", "b"]);
    assert_eq!(ds.schema.targets, ["y"]);
    assert_eq!(ds.schema.nominal, [None, None]);
    match &ds.features {
        FeatureMatrix::Dense(x) => {
            assert_eq!(x.shape(), [2, 2]);
            assert_eq!(x.row(1).to_vec(), [3.0, 4.0]);
        }
        FeatureMatrix::Sparse(_) => panic!("expected dense"),
    }
    assert_eq!(ds.targets, [Targets::Values(vec![0.5, 1.5])]);
}

#[test]
fn dataset_text_labels() {
    let ds = read_csv_dataset(
        "a,species\n1,setosa\n2,virginica\n3,setosa\n".as_bytes(),
        "d.csv",
        TargetSpec::Last,
    )
    .unwrap();
    assert_eq!(
        ds.targets,
        [Targets::Labels(vec![
            Label::from("setosa"),
            Label::from("virginica"),
            Label::from("setosa")
        ])]
    );
}

#[test]
fn dataset_numeric_label_then_text_names_line() {
    let e = read_csv_dataset(
        "a,y\n1,0\n2,1\n3,yes\n".as_bytes(),
        "d.csv",
        TargetSpec::Last,
    )
    .unwrap_err();
    let (_, line, column, _) = parse_parts(&e);
    assert_eq!((line, column), (4, "y"));
}

#[test]
fn dataset_target_by_name_and_unknown_target() {
    let text = "y,a,b\n1,2,3\n4,5,6\n";
    let ds = read_csv_dataset(
        text.as_bytes(),
        "d.csv",
        TargetSpec::Named(vec!["y".into()]),
    )
    .unwrap();
    assert_eq!(ds.schema.features, ["a", "b"]);
    assert_eq!(ds.targets, [Targets::Values(vec![1.0, 4.0])]);

    let ds = read_csv_dataset(
        text.as_bytes(),
        "d.csv",
        TargetSpec::Named(vec!["b".into(), "y".into()]),
    )
    .unwrap();
    assert_eq!(ds.schema.features, ["a"]);
    assert_eq!(ds.schema.targets, ["b", "y"]);
    assert_eq!(ds.targets[0], Targets::Values(vec![3.0, 6.0]));

    let e = read_csv_dataset(
        text.as_bytes(),
        "d.csv",
        TargetSpec::Named(vec!["label".into()]),
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("label") && e.to_string().contains("d.csv"),
        "{e}"
    );

    let ds = read_csv_dataset(text.as_bytes(), "d.csv", TargetSpec::None).unwrap();
    assert_eq!(ds.schema.features, ["y", "a", "b"]);
    assert!(ds.targets.is_empty());
    assert!(ds.schema.targets.is_empty());
}

#[test]
fn dataset_nominal_features() {
    let ds = read_csv_dataset(
        "color,size,y\nred,1,a\nblue,2,b\nred,3,a\ngreen,4,b\n".as_bytes(),
        "d.csv",
        TargetSpec::Last,
    )
    .unwrap();
    assert_eq!(
        ds.schema.nominal,
        [
            Some(vec!["red".to_string(), "blue".into(), "green".into()]),
            None
        ]
    );
    assert_eq!(ds.schema.nominal_features(), ["color"]);
    match &ds.features {
        FeatureMatrix::Dense(x) => {
            assert_eq!(x.column(0).to_vec(), [0.0, 1.0, 0.0, 2.0]);
            assert_eq!(x.column(1).to_vec(), [1.0, 2.0, 3.0, 4.0]);
        }
        FeatureMatrix::Sparse(_) => panic!("expected dense"),
    }
}

#[test]
fn dataset_missing_values_are_errors() {
    let e =
        read_csv_dataset("a,b,y\n1,2,3\n4,,6\n".as_bytes(), "d.csv", TargetSpec::Last).unwrap_err();
    let (_, line, column, _) = parse_parts(&e);
    assert_eq!((line, column), (3, "b"));
    let e =
        read_csv_dataset("a,y\n1,2\n4,NaN\n".as_bytes(), "d.csv", TargetSpec::Last).unwrap_err();
    let (_, line, column, _) = parse_parts(&e);
    assert_eq!((line, column), (3, "y"));
}

#[test]
fn dataset_from_file() {
    let f = TempFile::new(
        "iris.csv",
        "sl,sw,class\n5.1,3.5,setosa\n6.2,2.9,versicolor\n",
    );
    let ds = load_csv(f.path(), TargetSpec::Last).unwrap();
    assert_eq!(ds.n_rows(), 2);
    assert_eq!(ds.n_features(), 2);
    let e = load_csv(Path::new("/definitely/not/here.csv"), TargetSpec::Last).unwrap_err();
    assert!(matches!(e, Error::Io { .. }));
    assert!(e.to_string().contains("/definitely/not/here.csv"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// LIBSVM

#[test]
fn libsvm_indices_labels_duplicates_sorting() {
    let recs =
        libsvm("+1 3:1.5 1:2 # a comment\n\n# only a comment\n-1 2:1 2:0.5 10:-1\n0\n").unwrap();
    assert_eq!(recs.len(), 3);
    assert_eq!(recs[0].line, 1);
    assert_eq!(recs[0].label, Label::Num(1.0));
    assert_eq!(recs[0].indices, [0, 2]);
    assert_eq!(recs[0].values, [2.0, 1.5]);
    assert_eq!(recs[0].weight, None);
    assert_eq!(recs[1].line, 4);
    assert_eq!(recs[1].label, Label::Num(-1.0));
    assert_eq!(recs[1].indices, [1, 9]);
    assert_eq!(recs[1].values, [1.5, -1.0]);
    assert_eq!(recs[2].label, Label::Num(0.0));
    assert!(recs[2].indices.is_empty());
    assert!(recs[0].row(3).is_ok());
    assert!(recs[0].row(2).is_err());
}

#[test]
fn libsvm_qid_is_ignored() {
    let recs = libsvm("2 qid:7 1:1\n").unwrap();
    assert_eq!(recs[0].indices, [0]);
}

#[test]
fn libsvm_bad_tokens() {
    let cases = [
        ("1 0:1\n", "2"),
        ("1 1:1 2\n", "3"),
        ("1 a:1\n", "2"),
        ("1 1:x\n", "2"),
        ("1 1:inf\n", "2"),
        ("1 -3:1\n", "2"),
        ("1 99999999999:1\n", "2"),
        ("one 1:1\n", "1"),
        ("nan 1:1\n", "1"),
        ("1 1:\n", "2"),
    ];
    for (text, column) in cases {
        let e = libsvm(&format!("1 1:1\n{text}")).unwrap_err();
        let (file, line, col, _) = parse_parts(&e);
        assert_eq!((file, line, col), ("data.svm", 2, column), "{text:?}: {e}");
    }
}

#[test]
fn libsvm_record_buffers_reused() {
    let mut r = LibSvmReader::from_reader("1 1:1 2:2 3:3\n0 2:1\n".as_bytes(), "x").unwrap();
    let mut rec = SparseRecord::new();
    assert!(r.next_record(&mut rec).unwrap());
    let p = rec.indices.as_ptr();
    assert!(r.next_record(&mut rec).unwrap());
    assert_eq!(rec.indices.as_ptr(), p);
    assert_eq!(rec.indices, [1]);
    assert!(!r.next_record(&mut rec).unwrap());
}

#[test]
fn load_libsvm_dims() {
    let f = TempFile::new("d.svm", "1 1:1 5:2\n-1 3:1\n");
    let ds = load_libsvm(f.path(), None).unwrap();
    assert_eq!(ds.n_rows(), 2);
    assert_eq!(ds.n_features(), 5);
    assert_eq!(ds.schema.features.len(), 5);
    assert_eq!(ds.schema.features[4], "f4");
    assert_eq!(ds.schema.targets, ["y"]);
    assert_eq!(ds.targets, [Targets::Values(vec![1.0, -1.0])]);
    match &ds.features {
        FeatureMatrix::Sparse(m) => {
            assert_eq!(m.row(0).indices(), [0, 4]);
            assert_eq!(m.row(1).values(), [1.0]);
        }
        FeatureMatrix::Dense(_) => panic!("expected sparse"),
    }
    let ds = load_libsvm(f.path(), Some(8)).unwrap();
    assert_eq!(ds.n_features(), 8);
    let e = load_libsvm(f.path(), Some(4)).unwrap_err();
    assert_eq!(parse_parts(&e).1, 1);
    let empty = TempFile::new("e.svm", "\n# nothing\n");
    assert!(matches!(
        load_libsvm(empty.path(), None),
        Err(Error::Empty(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// VW

#[test]
fn murmur3_matches_independent_values() {
    // Independent pure-Python MurmurHash3 x86_32 used to compute the constants below:
    //
    // def mm3(data, seed):
    //     c1, c2, m = 0xcc9e2d51, 0x1b873593, 0xffffffff
    //     rotl = lambda x, r: ((x << r) | (x >> (32 - r))) & m
    //     h, n = seed & m, len(data)
    //     for i in range(0, n - n % 4, 4):
    //         k = int.from_bytes(data[i:i+4], 'little')
    //         k = rotl((k * c1) & m, 15) * c2 & m
    //         h = (rotl(h ^ k, 13) * 5 + 0xe6546b64) & m
    //     tail = data[n - n % 4:]
    //     if tail:
    //         h ^= rotl((int.from_bytes(tail, 'little') * c1) & m, 15) * c2 & m
    //     h ^= n
    //     h ^= h >> 16; h = h * 0x85ebca6b & m
    //     h ^= h >> 13; h = h * 0xc2b2ae35 & m
    //     return h ^ (h >> 16)
    //
    // mm3(b"hello", 0) == 0x248bfa47 (the published reference value); mm3(b"ns", 0) ==
    // 0xd4a9d618; mm3(b"price", 0xd4a9d618) == 0x27af3d27; mm3(b"a", 0) & (2**18 - 1) == 92594.
    assert_eq!(vw::namespace_hash("hello"), 0x248b_fa47);
    assert_eq!(vw::namespace_hash("ns"), 0xd4a9_d618);
    assert_eq!(vw::namespace_hash(""), 0);
    assert_eq!(vw::feature_index("price", 0xd4a9_d618, 32), 0x27af_3d27);
    assert_eq!(
        vw::feature_index("price", 0xd4a9_d618, 18),
        0x27af_3d27 & 0x3ffff
    );
    assert_eq!(vw::feature_index("a", 0, 18), 92594);

    let recs = vw_records("1 |ns price:2 | a\n", 18).unwrap();
    assert_eq!(recs[0].indices, [92594, 0x27af_3d27 & 0x3ffff]);
    assert_eq!(recs[0].values, [1.0, 2.0]);
}

#[test]
fn vw_digits_are_indices_whatever_the_namespace() {
    let recs = vw_records("1 |a 5 7:2.5 |b 5\n-1 | 3\n", 18).unwrap();
    assert_eq!(recs[0].label, Label::Num(1.0));
    assert_eq!(recs[0].indices, [5, 7]);
    assert_eq!(recs[0].values, [2.0, 2.5]); // 5 in two namespaces: the same index, summed
    assert_eq!(recs[1].label, Label::Num(-1.0));
    assert_eq!(recs[1].indices, [3]);
    // Masked to the bits.
    let recs = vw_records("1 | 17 4294967301\n", 4).unwrap();
    assert_eq!(recs[0].indices, [1, 5]);
}

#[test]
fn vw_hashing_deterministic_masked_and_namespaced() {
    let text = "1 |user alice bob:2 |item alice\n0 |user alice\n";
    let a = vw_records(text, 18).unwrap();
    let b = vw_records(text, 18).unwrap();
    assert_eq!(a, b);
    // `alice` in two namespaces: two different features.
    assert_eq!(a[0].indices.len(), 3);
    assert!(a[0].indices.windows(2).all(|w| w[0] < w[1]));
    let user_alice = vw::feature_index("alice", vw::namespace_hash("user"), 18);
    assert_eq!(a[1].indices, [user_alice]);
    for bits in [1, 4, 10] {
        for rec in vw_records(text, bits).unwrap() {
            assert!(rec.indices.iter().all(|&i| i < 1 << bits), "bits {bits}");
        }
    }
}

#[test]
fn vw_importance_tag_scale_and_duplicates() {
    let recs = vw_records(
        "-1 2.5 'row7 |f x:1 x:2 y\n1 0.5 tag| 3\n1 |s:0.5 4:3 4\n",
        18,
    )
    .unwrap();
    assert_eq!(recs[0].label, Label::Num(-1.0));
    assert_eq!(recs[0].weight, Some(2.5));
    assert_eq!(recs[0].indices.len(), 2);
    let x = vw::feature_index("x", vw::namespace_hash("f"), 18);
    let k = recs[0].indices.iter().position(|&i| i == x).unwrap();
    assert_eq!(recs[0].values[k], 3.0);
    assert_eq!(recs[1].weight, Some(0.5));
    assert_eq!(recs[1].indices, [3]);
    assert_eq!(recs[2].weight, None);
    assert_eq!(recs[2].indices, [4]);
    assert_eq!(recs[2].values, [2.0]);
}

#[test]
fn vw_errors_name_the_line() {
    for text in [
        "| a b\n",
        "x | a\n",
        "1 | a:z\n",
        "1 | a:inf\n",
        "1 -2 | a\n",
        "1 | :3\n",
        "1 |ns:q a\n",
        "1 2 3 4 | a\n",
    ] {
        let e = vw_records(&format!("1 | ok\n{text}"), 18).unwrap_err();
        let (file, line, _, _) = parse_parts(&e);
        assert_eq!((file, line), ("data.vw", 2), "{text:?}: {e}");
    }
    assert!(
        VwReader::from_reader("".as_bytes(), "x")
            .unwrap()
            .with_bits(0)
            .is_err()
    );
    assert!(
        VwReader::from_reader("".as_bytes(), "x")
            .unwrap()
            .with_bits(33)
            .is_err()
    );
}

#[test]
fn vw_blank_lines_and_label_only_rows() {
    let recs = vw_records("\n1\n  \n0 |\n", 18).unwrap();
    assert_eq!(recs.len(), 2);
    assert_eq!((recs[0].line, recs[1].line), (2, 4));
    assert!(recs[0].indices.is_empty() && recs[1].indices.is_empty());
}

#[test]
fn load_vw_dims_and_weights() {
    let f = TempFile::new("d.vw", "1 2 |a x 3\n-1 |b y\n");
    let ds = load_vw(f.path(), 10).unwrap();
    assert_eq!(ds.n_rows(), 2);
    assert_eq!(ds.n_features(), 1024);
    assert_eq!(ds.schema.features.len(), 1024);
    assert_eq!(ds.targets, [Targets::Values(vec![1.0, -1.0])]);
    assert_eq!(ds.weights, Some(vec![2.0, 1.0]));
    let ds = load_vw(f.path(), 18).unwrap();
    assert_eq!(ds.n_features(), 1 << 18);
    let plain = TempFile::new("p.vw", "1 | a\n");
    assert_eq!(load_vw(plain.path(), 4).unwrap().weights, None);
    assert!(load_vw(f.path(), 0).is_err());
    assert!(load_vw(f.path(), 40).is_err());
}

// ---------------------------------------------------------------------------------------------
// No input makes a reader panic.

fn drain_all(bytes: &[u8]) {
    if let Ok(mut r) = CsvReader::from_reader(bytes, "fuzz.csv") {
        let mut rec = Record::new();
        for _ in 0..1000 {
            if let Ok(false) = r.next_record(&mut rec) {
                break;
            }
        }
    }
    let _ = read_csv_dataset(bytes, "fuzz.csv", TargetSpec::Last);
    let _ = read_csv_dataset(bytes, "fuzz.csv", TargetSpec::None);
    let mut rec = SparseRecord::new();
    let mut r = LibSvmReader::from_reader(bytes, "fuzz.svm").unwrap();
    for _ in 0..1000 {
        if let Ok(false) = r.next_record(&mut rec) {
            break;
        }
    }
    for bits in [1, 18, 32] {
        let mut r = VwReader::from_reader(bytes, "fuzz.vw")
            .unwrap()
            .with_bits(bits)
            .unwrap();
        for _ in 0..1000 {
            if let Ok(false) = r.next_record(&mut rec) {
                break;
            }
            if let Ok(row) = rec.row(r.dim()) {
                assert!(row.indices().windows(2).all(|w| w[0] < w[1]));
                assert!(row.values().iter().all(|v| v.is_finite()));
            }
        }
    }
}

proptest::proptest! {
    #[test]
    fn readers_never_panic_on_bytes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
        drain_all(&bytes);
    }

    #[test]
    fn readers_never_panic_on_text(text in "[a-c0-9 ,:|'#.\"\\-+\n\r\t]{0,120}") {
        drain_all(text.as_bytes());
    }
}
