//! LIBSVM / SVMlight text: `label index:value index:value ... [# comment]`.
//!
//! Indices are 1-based in the file and 0-based in the records; a feature repeated in one row is
//! summed and the output indices are sorted. Labels are numbers (`+1` is 1). Blank lines and
//! comment-only lines are skipped; a `qid:N` token (ranking data) is ignored.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::{LineReader, SparseRecord, finish_entries, open_file, parse_error};
use crate::dataset::{CsrMatrix, Dataset, FeatureMatrix, Schema, Targets};
use crate::error::{Error, Result};
use crate::label::Label;

/// A streaming LIBSVM reader: one [`SparseRecord`] per call, buffers reused.
pub struct LibSvmReader<R: Read> {
    lines: LineReader<R>,
    name: String,
    entries: Vec<(u32, u32, f64)>,
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
            lines: LineReader::new(reader),
            name: name.to_owned(),
            entries: Vec::new(),
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
        loop {
            let Some((line, text)) = self.lines.next_line(&self.name)? else {
                return Ok(false);
            };
            let text = match text.find('#') {
                Some(i) => &text[..i],
                None => text,
            };
            let mut tokens = text.split_ascii_whitespace();
            let Some(label) = tokens.next() else {
                continue;
            };
            record.line = line;
            record.weight = None;
            record.label = match label.parse::<f64>() {
                Ok(v) if v.is_finite() => Label::num(v)?,
                _ => {
                    return Err(parse_error(
                        &self.name,
                        line,
                        "1",
                        format!("label `{label}` is not a finite number"),
                    ));
                }
            };
            self.entries.clear();
            for (k, token) in tokens.enumerate() {
                let column = || (k + 2).to_string();
                let Some((idx, val)) = token.split_once(':') else {
                    return Err(parse_error(
                        &self.name,
                        line,
                        column(),
                        format!("`{token}` is not index:value"),
                    ));
                };
                if idx == "qid" {
                    continue;
                }
                let index = match idx.parse::<u64>() {
                    Ok(0) => {
                        return Err(parse_error(
                            &self.name,
                            line,
                            column(),
                            format!("`{token}`: index 0 (LIBSVM indices start at 1)"),
                        ));
                    }
                    Ok(i) if i <= u64::from(u32::MAX) => (i - 1) as u32,
                    Ok(_) => {
                        return Err(parse_error(
                            &self.name,
                            line,
                            column(),
                            format!("`{token}`: index too large (at most {})", u32::MAX),
                        ));
                    }
                    Err(_) => {
                        return Err(parse_error(
                            &self.name,
                            line,
                            column(),
                            format!("`{token}`: the index is not a positive integer"),
                        ));
                    }
                };
                let value = match val.parse::<f64>() {
                    Ok(v) if v.is_finite() => v,
                    _ => {
                        return Err(parse_error(
                            &self.name,
                            line,
                            column(),
                            format!("`{token}`: the value is not a finite number"),
                        ));
                    }
                };
                let pos = u32::try_from(k).unwrap_or(u32::MAX);
                self.entries.push((index, pos, value));
            }
            if let Err(i) =
                finish_entries(&mut self.entries, &mut record.indices, &mut record.values)
            {
                return Err(parse_error(
                    &self.name,
                    line,
                    "-",
                    format!(
                        "the sum of the repeated feature {} is not finite",
                        u64::from(i) + 1
                    ),
                ));
            }
            return Ok(true);
        }
    }
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
