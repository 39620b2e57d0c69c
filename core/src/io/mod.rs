//! Streaming readers for the data formats of CLI.md ("Data"): CSV with a header row, LIBSVM and
//! Vowpal Wabbit text.
//!
//! Every reader reads one row at a time into a caller-owned record whose buffers are reused, so
//! a file of any size streams in constant memory. The `load_*` functions build a whole
//! [`Dataset`](crate::Dataset) on top of the readers. Malformed input is an
//! [`Error::Parse`] naming the file, the line and the column; no input makes
//! a reader panic.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::label::Label;
use crate::row::SparseRow;

pub mod bytes;
pub mod csv;
pub mod libsvm;
pub mod source;
pub mod vw;

pub use self::bytes::Lines;
pub use self::csv::{
    CsvReader, NotPlain, NumberColumn, Record, TargetSpec, load_csv, read_csv_dataset,
};
pub use self::libsvm::{LibSvmParser, LibSvmReader, load_libsvm};
pub use self::source::{Follow, LineReader, LineSource};
pub use self::vw::{VwParser, VwReader, load_vw};

/// A data file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// LIBSVM / SVMlight: `label index:value ...` with 1-based indices.
    LibSvm,
    /// Vowpal Wabbit text: `label [importance] ['tag]|namespace feature[:value] ...`.
    Vw,
}

impl Format {
    /// The format from an explicit name (`csv`, `libsvm`, `svm` or `vw`, any case) or, without
    /// one, from the file's extension (`.csv`, `.svm` or `.libsvm`, `.vw`, any case).
    ///
    /// An unknown name or extension is an error naming the file.
    pub fn detect(path: &Path, explicit: Option<&str>) -> Result<Format> {
        if let Some(name) = explicit {
            return Format::from_name(name).ok_or_else(|| {
                Error::param(
                    "format",
                    format!(
                        "unknown format `{name}` for {}: expected csv, libsvm or vw",
                        path.display()
                    ),
                )
            });
        }
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        match Format::from_name(ext) {
            Some(f) => Ok(f),
            _ => Err(Error::Unsupported(format!(
                "{}: cannot tell the data format from the extension{}; use a .csv, .svm, .libsvm \
                 or .vw file, or --format csv|libsvm|vw",
                path.display(),
                if ext.is_empty() {
                    String::new()
                } else {
                    format!(" `.{ext}`")
                }
            ))),
        }
    }

    /// The format's canonical name: `csv`, `libsvm` or `vw`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::LibSvm => "libsvm",
            Format::Vw => "vw",
        }
    }

    fn from_name(name: &str) -> Option<Format> {
        let name = name.trim();
        if name.eq_ignore_ascii_case("csv") {
            Some(Format::Csv)
        } else if name.eq_ignore_ascii_case("libsvm") || name.eq_ignore_ascii_case("svm") {
            Some(Format::LibSvm)
        } else if name.eq_ignore_ascii_case("vw") {
            Some(Format::Vw)
        } else {
            None
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One CSV field after typing (also the cell of a record, see [`crate::record`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Cell {
    /// A number (always finite) in a numeric column.
    Num(f64),
    /// The text of a field in a nominal column.
    Text(String),
    /// An empty field, `NaN` or `nan`.
    Missing,
}

impl Cell {
    /// The number, if the cell holds one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Cell::Num(v) => Some(*v),
            _ => None,
        }
    }

    /// True for [`Cell::Missing`].
    pub fn is_missing(&self) -> bool {
        matches!(self, Cell::Missing)
    }
}

/// The kind of a CSV column, decided from the first data row or from a saved schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColumnKind {
    /// Numbers (and missing values).
    Numeric,
    /// Text categories (and missing values).
    Nominal,
}

/// One row of a sparse format (LIBSVM or VW): its label, optional weight and sorted features.
///
/// `indices` are strictly increasing and 0-based; `values[k]` belongs to `indices[k]`. The
/// buffers are reused from one call of `next_record` to the next.
#[derive(Clone, Debug, PartialEq)]
pub struct SparseRecord {
    /// 1-based line number in the file.
    pub line: u64,
    /// The row's label (always a number in both formats).
    pub label: Label,
    /// The importance weight (VW), if given.
    pub weight: Option<f64>,
    /// Feature indices, 0-based, strictly increasing.
    pub indices: Vec<u32>,
    /// Feature values, finite, one per index.
    pub values: Vec<f64>,
}

impl SparseRecord {
    /// An empty record (line 0, label 0, no features) to be filled by a reader.
    pub fn new() -> Self {
        SparseRecord {
            line: 0,
            label: Label::Num(0.0),
            weight: None,
            indices: Vec::new(),
            values: Vec::new(),
        }
    }

    /// The features as a sparse row of dimension `dim`; an error when an index is not below
    /// `dim`.
    pub fn row(&self, dim: usize) -> Result<SparseRow<'_>> {
        SparseRow::new(dim, &self.indices, &self.values)
    }
}

impl Default for SparseRecord {
    fn default() -> Self {
        SparseRecord::new()
    }
}

/// A cell or token as an error message quotes it: in backticks, cut to about 80 characters
/// (a cell of a file one did not write may be any length).
pub fn quote(s: &str) -> String {
    const MAX: usize = 80;
    match s.char_indices().nth(MAX) {
        None => format!("`{s}`"),
        Some((cut, _)) => format!("`{}...` ({} bytes)", &s[..cut], s.len()),
    }
}

/// Shorthand for [`Error::Parse`].
pub(crate) fn parse_error(
    file: &str,
    line: u64,
    column: impl Into<String>,
    message: impl Into<String>,
) -> Error {
    let mut column: String = column.into();
    if let Some((cut, _)) = column.char_indices().nth(80) {
        column.truncate(cut);
        column.push_str("...");
    }
    Error::Parse {
        file: file.to_owned(),
        line,
        column,
        message: message.into(),
    }
}

/// Opens a file for reading, as an [`Error::Io`] naming it on failure.
pub(crate) fn open_file(path: &Path) -> Result<std::fs::File> {
    std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Sorts `(index, position, value)` entries and writes them to `indices`/`values`, summing a
/// repeated index in file order. Returns the first index whose sum is not finite.
pub(crate) fn finish_entries(
    entries: &mut [(u32, u32, f64)],
    indices: &mut Vec<u32>,
    values: &mut Vec<f64>,
) -> std::result::Result<(), u32> {
    indices.clear();
    values.clear();
    if !entries.windows(2).all(|w| w[0].0 <= w[1].0) {
        // Position breaks ties, so repeated features are summed in file order and the unstable
        // (allocation-free) sort gives the same result as a stable one.
        entries.sort_unstable_by_key(|&(i, p, _)| (i, p));
    }
    for &(i, _, v) in entries.iter() {
        if indices.last() == Some(&i) {
            if let Some(last) = values.last_mut() {
                *last += v;
            }
        } else {
            indices.push(i);
            values.push(v);
        }
    }
    match indices
        .iter()
        .zip(values.iter())
        .find(|(_, v)| !v.is_finite())
    {
        Some((&i, _)) => Err(i),
        None => Ok(()),
    }
}
