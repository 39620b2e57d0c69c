//! LIBSVM / SVMlight text: `label index:value index:value ... [# comment]`.
//!
//! Indices are 1-based in the file and 0-based in the records; a feature repeated in one row is
//! summed and the output indices are sorted. Labels are numbers (`+1` is 1). Blank lines and
//! comment-only lines are skipped; a `qid:N` token (ranking data) is ignored.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::bytes::{Lines, leading_digits, skip_while, utf8, value_after_colon};
use super::{SparseRecord, finish_entries, open_file, parse_error, quote};
use crate::dataset::{CsrMatrix, Dataset, FeatureMatrix, Schema, Targets};
use crate::error::{Error, Result};
use crate::label::Label;

/// A streaming LIBSVM reader: one [`SparseRecord`] per call, buffers reused.
pub struct LibSvmReader<R: Read> {
    lines: Lines<R>,
    name: String,
    parser: LibSvmParser,
}

impl LibSvmReader<File> {
    /// Opens a LIBSVM file; its path is the name used in error messages.
    pub fn open(path: &Path) -> Result<Self> {
        let file = open_file(path)?;
        LibSvmReader::from_reader(file, &path.display().to_string())
    }
}

impl<R: Read> LibSvmReader<R> {
    /// A reader over any byte source; `name` (the file name) is used in error messages.
    ///
    /// Nothing is read yet, so this does not fail today; it returns a `Result` like the other
    /// readers' constructors.
    pub fn from_reader(reader: R, name: &str) -> Result<Self> {
        Ok(LibSvmReader {
            lines: Lines::new(reader),
            name: name.to_owned(),
            parser: LibSvmParser::new(),
        })
    }

    /// The name used in error messages (the file name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Reads the next row into `record`, reusing its buffers; `Ok(false)` at end of file.
    ///
    /// A malformed token is an [`Error::Parse`] whose column is the token's 1-based number on
    /// the line (the label is token 1). After an error the reader can go on with the next line.
    pub fn next_record(&mut self, record: &mut SparseRecord) -> Result<bool> {
        next_sparse_record(
            &mut self.lines,
            &self.name,
            record,
            |name, line, text, record| self.parser.parse_line(name, line, text, record),
        )
    }
}

/// Reads one LIBSVM line at a time: the reader's parser, and the one a program that reads the
/// lines itself (the command line's parser thread) calls.
///
/// Lines of the common form (`label index:value ...`, 1-based all-digit indices, no comment)
/// take a byte-level path; every other line is read token by token, and that path alone
/// reports errors. Both give the same record for every line the first one takes (a test
/// holds them to it).
#[derive(Debug, Default)]
pub struct LibSvmParser {
    /// `(index << 32 | position, value)` of the fast path: one integer key sorts by index, then
    /// by position in the line (so repeats are summed in file order).
    fast: Vec<(u64, f64)>,
    entries: Vec<(u32, u32, f64)>,
}

impl LibSvmParser {
    /// A parser with empty buffers.
    pub fn new() -> Self {
        LibSvmParser::default()
    }

    /// Parses line `line` of `name` (without its line ending) into `record`; `Ok(false)` for
    /// a blank or comment-only line.
    pub fn parse_line(
        &mut self,
        name: &str,
        line: u64,
        text: &[u8],
        record: &mut SparseRecord,
    ) -> Result<bool> {
        let label = self.fast_path(text);
        if take_fast(label, &mut self.fast, line, record)? {
            return Ok(true);
        }
        self.general(name, line, utf8(name, line, text)?, record)
    }

    /// The token-by-token path alone, for any line: the reference the byte-level path is
    /// held to (by proptests and the fuzz targets), slower but simpler.
    pub fn parse_line_reference(
        &mut self,
        name: &str,
        line: u64,
        text: &[u8],
        record: &mut SparseRecord,
    ) -> Result<bool> {
        self.general(name, line, utf8(name, line, text)?, record)
    }

    /// `label index:value ...` with 1-based all-digit indices that fit a `u32`; `None` for
    /// anything else (comments, `qid:`, malformed tokens).
    #[inline(never)]
    fn fast_path(&mut self, text: &[u8]) -> Option<f64> {
        self.fast.clear();
        if text.contains(&b'#') {
            return None;
        }
        let n = text.len();
        let ends = |b: u8| b.is_ascii_whitespace();
        let start = skip_while(text, 0, ends);
        let mut i = skip_while(text, start, |b| !ends(b));
        let label = match &text[start..i] {
            b"1" | b"+1" => 1.0,
            b"-1" => -1.0,
            b"0" => 0.0,
            t => super::bytes::parse_finite(t)?,
        };
        let mut pos = 0u64;
        loop {
            i = skip_while(text, i, ends);
            if i == n {
                break;
            }
            let (len, one_based) = leading_digits(&text[i..]);
            if len == 0 || len > 10 || one_based == 0 || one_based > u64::from(u32::MAX) {
                return None;
            }
            i += len;
            if text.get(i) != Some(&b':') {
                return None;
            }
            let value = value_after_colon(text, &mut i, ends)?;
            self.fast.push(((one_based - 1) << 32 | pos, value));
            pos += 1;
        }
        Some(label)
    }

    /// Any line, token by token, with errors naming the token.
    fn general(
        &mut self,
        name: &str,
        line: u64,
        text: &str,
        record: &mut SparseRecord,
    ) -> Result<bool> {
        let text = match text.find('#') {
            Some(i) => &text[..i],
            None => text,
        };
        let mut tokens = text.split_ascii_whitespace();
        let Some(label) = tokens.next() else {
            return Ok(false);
        };
        record.line = line;
        record.weight = None;
        record.label = match label.parse::<f64>() {
            Ok(v) if v.is_finite() => Label::num(v)?,
            _ => {
                return Err(parse_error(
                    name,
                    line,
                    "1",
                    format!("label {} is not a finite number", quote(label)),
                ));
            }
        };
        self.entries.clear();
        for (k, token) in tokens.enumerate() {
            let column = || (k + 2).to_string();
            let Some((idx, val)) = token.split_once(':') else {
                return Err(parse_error(
                    name,
                    line,
                    column(),
                    format!("{} is not index:value", quote(token)),
                ));
            };
            if idx == "qid" {
                continue;
            }
            let index = match idx.parse::<u64>() {
                Ok(0) => {
                    return Err(parse_error(
                        name,
                        line,
                        column(),
                        format!("{}: index 0 (LIBSVM indices start at 1)", quote(token)),
                    ));
                }
                Ok(i) if i <= u64::from(u32::MAX) => (i - 1) as u32,
                Ok(_) => {
                    return Err(parse_error(
                        name,
                        line,
                        column(),
                        format!("{}: index too large (at most {})", quote(token), u32::MAX),
                    ));
                }
                Err(_) => {
                    return Err(parse_error(
                        name,
                        line,
                        column(),
                        format!("{}: the index is not a positive integer", quote(token)),
                    ));
                }
            };
            let value = match val.parse::<f64>() {
                Ok(v) if v.is_finite() => v,
                _ => {
                    return Err(parse_error(
                        name,
                        line,
                        column(),
                        format!("{}: the value is not a finite number", quote(token)),
                    ));
                }
            };
            let pos = u32::try_from(k).unwrap_or(u32::MAX);
            self.entries.push((index, pos, value));
        }
        if let Err(i) = finish_entries(&mut self.entries, &mut record.indices, &mut record.values) {
            return Err(parse_error(
                name,
                line,
                "-",
                format!(
                    "the sum of the repeated feature {} is not finite",
                    u64::from(i) + 1
                ),
            ));
        }
        Ok(true)
    }
}

/// The next record of a sparse text stream: lines through `parse` until one is a row
/// (blank and comment lines are not); `Ok(false)` at the end.
pub(crate) fn next_sparse_record<R: Read>(
    lines: &mut Lines<R>,
    name: &str,
    record: &mut SparseRecord,
    mut parse: impl FnMut(&str, u64, &[u8], &mut SparseRecord) -> Result<bool>,
) -> Result<bool> {
    while let Some((line, text)) = lines.next_line(name)? {
        if parse(name, line, text, record)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The row a fast path read (its `label`, when it took the line, and its entries) into
/// `record`; `Ok(false)` when it did not take the line, or when a repeated feature's sum is
/// not finite (the general path then reads it, and reports that).
pub(crate) fn take_fast(
    label: Option<f64>,
    entries: &mut [(u64, f64)],
    line: u64,
    record: &mut SparseRecord,
) -> Result<bool> {
    let Some(label) = label else {
        return Ok(false);
    };
    if !fast_entries(entries, &mut record.indices, &mut record.values) {
        return Ok(false);
    }
    record.line = line;
    record.weight = None;
    record.label = Label::num(label)?;
    Ok(true)
}

/// The fast paths' entries (`index << 32 | position`, value) into `indices`/`values`: in
/// order when the indices already are (the usual row), else sorted with repeats summed in
/// file order. False when a sum is not finite (the general path then reports it).
pub(crate) fn fast_entries(
    entries: &mut [(u64, f64)],
    indices: &mut Vec<u32>,
    values: &mut Vec<f64>,
) -> bool {
    indices.clear();
    values.clear();
    if entries.windows(2).all(|w| w[0].0 >> 32 < w[1].0 >> 32) {
        indices.extend(entries.iter().map(|&(key, _)| (key >> 32) as u32));
        values.extend(entries.iter().map(|&(_, v)| v));
        return true;
    }
    if !entries.windows(2).all(|w| w[0].0 < w[1].0) {
        entries.sort_unstable_by_key(|e| e.0);
    }
    for &(key, v) in entries.iter() {
        let i = (key >> 32) as u32;
        if indices.last() == Some(&i) {
            if let Some(last) = values.last_mut() {
                *last += v;
            }
        } else {
            indices.push(i);
            values.push(v);
        }
    }
    values.iter().all(|v| v.is_finite())
}

/// Loads a whole LIBSVM file into a sparse [`Dataset`].
///
/// The dimension is `n_features` when given (an index beyond it is an error naming the line),
/// else the largest index + 1. Feature names are `f0` .. `f{d-1}`, the target is `y` (numbers,
/// as [`Targets::Values`]). A file without rows is [`Error::Empty`].
pub fn load_libsvm(path: &Path, n_features: Option<usize>) -> Result<Dataset> {
    let name = path.display().to_string();
    let mut reader = LibSvmReader::open(path)?;
    let mut record = SparseRecord::new();
    let mut indptr: Vec<usize> = vec![0];
    let mut indices: Vec<u32> = Vec::new();
    let mut values: Vec<f64> = Vec::new();
    let mut y: Vec<f64> = Vec::new();
    let mut dim = 0usize;
    while reader.next_record(&mut record)? {
        if let Some(&last) = record.indices.last() {
            let need = last as usize + 1;
            if let Some(d) = n_features
                && need > d
            {
                return Err(parse_error(
                    &name,
                    record.line,
                    "-",
                    format!("feature index {need} is beyond the {d} features expected"),
                ));
            }
            dim = dim.max(need);
        }
        indices.extend_from_slice(&record.indices);
        values.extend_from_slice(&record.values);
        indptr.push(indices.len());
        y.push(record.label.as_f64().unwrap_or(0.0));
    }
    if y.is_empty() {
        return Err(Error::Empty(format!("{name}: no data rows")));
    }
    let dim = n_features.unwrap_or(dim);
    let mut matrix = CsrMatrix::new(dim);
    for w in indptr.windows(2) {
        matrix.push_row(&indices[w[0]..w[1]], &values[w[0]..w[1]])?;
    }
    let schema = Schema::numeric(
        (0..dim).map(|i| format!("f{i}")).collect(),
        vec!["y".to_owned()],
    );
    Dataset::new(
        FeatureMatrix::Sparse(matrix),
        vec![Targets::Values(y)],
        schema,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What the byte-level path makes of a line, when it takes it.
    fn fast(p: &mut LibSvmParser, line: &str) -> Option<(f64, Vec<u32>, Vec<f64>)> {
        let label = p.fast_path(line.as_bytes())?;
        let (mut idx, mut val) = (Vec::new(), Vec::new());
        fast_entries(&mut p.fast, &mut idx, &mut val).then_some((label, idx, val))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        /// Every line the byte-level path takes reads as the token-by-token path reads it,
        /// bit for bit.
        #[test]
        fn the_fast_path_reads_lines_as_the_general_path_does(
            label in prop_oneof![Just("1"), Just("+1"), Just("-1"), Just("0"), Just("2.5"), Just("-0"), Just("x")],
            tokens in prop::collection::vec(
                (prop_oneof![4 => (1u64..5000).prop_map(|v| v.to_string()), 1 => Just("0".to_owned()), 1 => Just("qid".to_owned()), 1 => Just("12345678901".to_owned()), 1 => Just("4294967296".to_owned()), 1 => Just("7a".to_owned()), 1 => Just("+3".to_owned())],
                 prop_oneof![3 => Just("1"), 1 => Just("0.5"), 1 => Just("10"), 1 => Just("1e2"), 1 => Just("x"), 1 => Just(""), 1 => Just("1:2"), 1 => Just("1e308"), 1 => Just("inf")]),
                0..10),
            sep in prop_oneof![Just(" "), Just("\t"), Just("  ")],
            comment in any::<bool>(),
        ) {
            let mut line = label.to_owned();
            for (i, v) in &tokens {
                line.push_str(sep);
                line.push_str(&format!("{i}:{v}"));
            }
            if comment {
                line.push_str(" # note");
            }
            let mut p = LibSvmParser::new();
            if let Some((l, idx, val)) = fast(&mut p, &line) {
                let mut rec = SparseRecord::new();
                let general = p.general("t", 1, &line, &mut rec);
                prop_assert!(matches!(general, Ok(true)), "{line}: fast path took it, general: {general:?}");
                prop_assert_eq!(rec.label.as_f64().map(f64::to_bits), Some(Label::num(l).unwrap().as_f64().unwrap().to_bits()));
                prop_assert_eq!(&rec.indices, &idx, "{}", line);
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                prop_assert_eq!(bits(&rec.values), bits(&val), "{}", line);
            }
        }
    }

    #[test]
    fn common_lines_take_the_fast_path_and_others_do_not() {
        let mut p = LibSvmParser::new();
        for line in ["1 3:1 7:0.5 12:2", "-1 1:1", "+1 5:1e-3 9:1", "0"] {
            assert!(fast(&mut p, line).is_some(), "{line}");
        }
        for line in ["1 qid:3 4:1", "1 4:1 # c", "1 0:1", "x 1:1", "1 4:x"] {
            assert!(fast(&mut p, line).is_none(), "{line}");
        }
    }
}
