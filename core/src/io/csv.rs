//! CSV with a header row: a streaming, typed reader ([`CsvReader`]) and whole-file loading
//! ([`read_csv_dataset`], [`load_csv`]).
//!
//! A column is numeric when the first data row's field parses as a number (or is missing), and
//! nominal (text categories) otherwise; a saved schema can force the kinds instead
//! ([`CsvReader::with_kinds`]). An empty field, `NaN` or `nan` is missing. Infinite values
//! (`inf`, `-inf`, `infinity`, any case) are an error in any column, and so is text found later
//! in a numeric column; both name the file, the line and the column.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::File;
use std::io::Read;
use std::path::Path;

use ndarray::Array2;

use super::{Cell, ColumnKind, open_file, parse_error};
use crate::dataset::{Dataset, FeatureMatrix, Schema, Targets};
use crate::error::{Error, Result};
use crate::label::Label;

/// One CSV row after typing, filled by [`CsvReader::next_record`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    /// 1-based line number in the file where the row starts (the header is line 1).
    pub line: u64,
    /// One cell per header column.
    pub cells: Vec<Cell>,
}

impl Record {
    /// An empty record to be filled by a reader.
    pub fn new() -> Self {
        Record::default()
    }
}

/// Which CSV columns are targets when a whole file is loaded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum TargetSpec {
    /// The last column is the target (the supervised default).
    #[default]
    Last,
    /// These columns, by header name, are the targets, in this order.
    Named(Vec<String>),
    /// No target: every column is a feature (unsupervised data).
    None,
}

/// What a raw field holds, before the column's kind is applied.
enum Field<'a> {
    Missing,
    Num(f64),
    Text(&'a str),
    /// Parses as an infinity, or as a NaN spelled other than `NaN`/`nan`.
    NotFinite,
}

fn classify(s: &str) -> Field<'_> {
    if s.is_empty() || s == "NaN" || s == "nan" {
        return Field::Missing;
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Field::Num(v),
        Ok(_) => Field::NotFinite,
        Err(_) => Field::Text(s),
    }
}

/// A streaming CSV reader: a header row, then one typed [`Record`] per call.
///
/// Fields are trimmed of surrounding whitespace. A row with a different number of fields than
/// the header is an error naming its line. The file is never loaded whole.
pub struct CsvReader<R: Read> {
    inner: ::csv::Reader<LineCounter<R>>,
    name: String,
    headers: Vec<String>,
    kinds: Vec<ColumnKind>,
    raw: ::csv::StringRecord,
    /// `raw` holds the first data row, read to decide the kinds and not yet returned.
    pending: bool,
    /// The 1-based line where the row in `raw` starts.
    line: u64,
}

/// Passes bytes through, remembering where line breaks are so that a byte offset can be turned
/// into a line number. Offsets must be asked in increasing order; only the line breaks the csv
/// parser has buffered but not yet consumed are kept.
struct LineCounter<R> {
    inner: R,
    /// Bytes passed through so far.
    offset: u64,
    /// Offsets of the line breaks not yet counted.
    breaks: VecDeque<u64>,
    /// Line breaks before the last offset asked.
    counted: u64,
}

impl<R: Read> LineCounter<R> {
    fn new(inner: R) -> Self {
        LineCounter {
            inner,
            offset: 0,
            breaks: VecDeque::new(),
            counted: 0,
        }
    }

    /// The 1-based line holding the byte at `offset`.
    fn line_of(&mut self, offset: u64) -> u64 {
        while self.breaks.front().is_some_and(|&b| b < offset) {
            self.breaks.pop_front();
            self.counted += 1;
        }
        self.counted + 1
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, _) in buf[..n].iter().enumerate().filter(|(_, b)| **b == b'\n') {
            self.breaks.push_back(self.offset + i as u64);
        }
        self.offset += n as u64;
        Ok(n)
    }
}

impl CsvReader<File> {
    /// Opens a CSV file, reading its header and first data row. The file's path is the name
    /// used in error messages.
    pub fn open(path: &Path) -> Result<Self> {
        let file = open_file(path)?;
        CsvReader::from_reader(file, &path.display().to_string())
    }
}

impl<R: Read> CsvReader<R> {
    /// A reader over any byte source; `name` (the file name) is used in error messages.
    ///
    /// Reads the header and the first data row (kept, and returned first by
    /// [`next_record`](Self::next_record)) to decide the column kinds. An empty input or one with
    /// only a header is [`Error::Empty`] naming `name`.
    pub fn from_reader(reader: R, name: &str) -> Result<Self> {
        let inner = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(LineCounter::new(reader));
        let mut this = CsvReader {
            inner,
            name: name.to_owned(),
            headers: Vec::new(),
            kinds: Vec::new(),
            raw: ::csv::StringRecord::new(),
            pending: false,
            line: 0,
        };
        if !this.read_raw()? {
            return Err(Error::Empty(format!(
                "{name}: the file is empty (no header row)"
            )));
        }
        let mut headers: Vec<String> = this.raw.iter().map(|h| h.trim().to_owned()).collect();
        if let Some(first) = headers.first_mut()
            && let Some(rest) = first.strip_prefix('\u{feff}')
        {
            *first = rest.trim().to_owned();
        }
        let mut seen = HashSet::with_capacity(headers.len());
        for h in &headers {
            if !seen.insert(h.as_str()) {
                return Err(parse_error(
                    name,
                    this.line,
                    h.as_str(),
                    format!("column name `{h}` appears more than once in the header"),
                ));
            }
        }
        this.headers = headers;
        if !this.read_raw()? {
            return Err(Error::Empty(format!(
                "{name}: the file has a header but no data rows"
            )));
        }
        this.pending = true;
        this.kinds = (0..this.headers.len())
            .map(|i| match this.raw.get(i).map(|f| classify(f.trim())) {
                Some(Field::Text(_)) => ColumnKind::Nominal,
                _ => ColumnKind::Numeric,
            })
            .collect();
        Ok(this)
    }

    /// Forces the column kinds (for example from a saved model's schema), one per header
    /// column, in header order.
    pub fn with_kinds(mut self, kinds: Vec<ColumnKind>) -> Result<Self> {
        if kinds.len() != self.headers.len() {
            return Err(Error::LengthMismatch {
                what: format!("column kinds against the header of {}", self.name),
                expected: self.headers.len(),
                got: kinds.len(),
            });
        }
        self.kinds = kinds;
        Ok(self)
    }

    /// The header's column names, trimmed.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The kind of each column, in header order.
    pub fn kinds(&self) -> &[ColumnKind] {
        &self.kinds
    }

    /// The name used in error messages (the file name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 0-based position of a column by header name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    /// Reads the next row into `record`, reusing its buffers; `Ok(false)` at end of file.
    ///
    /// After an error in one row (text in a numeric column, a ragged row, an infinity) the
    /// reader can go on with the next row.
    pub fn next_record(&mut self, record: &mut Record) -> Result<bool> {
        if self.pending {
            self.pending = false;
        } else if !self.read_raw()? {
            return Ok(false);
        }
        let line = self.line;
        record.line = line;
        let n = self.headers.len();
        if self.raw.len() != n {
            return Err(parse_error(
                &self.name,
                line,
                "-",
                format!(
                    "expected {n} fields (as in the header), found {}",
                    self.raw.len()
                ),
            ));
        }
        record.cells.truncate(n);
        while record.cells.len() < n {
            record.cells.push(Cell::Missing);
        }
        for (i, (field, cell)) in self.raw.iter().zip(record.cells.iter_mut()).enumerate() {
            let field = field.trim();
            match (classify(field), self.kinds[i]) {
                (Field::Missing, _) => *cell = Cell::Missing,
                (Field::NotFinite, _) => {
                    return Err(parse_error(
                        &self.name,
                        line,
                        self.headers[i].as_str(),
                        format!("`{field}` is not a finite number"),
                    ));
                }
                (Field::Num(v), ColumnKind::Numeric) => *cell = Cell::Num(v),
                (Field::Text(t), ColumnKind::Numeric) => {
                    return Err(parse_error(
                        &self.name,
                        line,
                        self.headers[i].as_str(),
                        format!("`{t}` is not a number, but the column is numeric"),
                    ));
                }
                (Field::Num(_) | Field::Text(_), ColumnKind::Nominal) => {
                    if let Cell::Text(s) = cell {
                        s.clear();
                        s.push_str(field);
                    } else {
                        *cell = Cell::Text(field.to_owned());
                    }
                }
            }
        }
        Ok(true)
    }

    /// The line of the last byte the csv parser consumed: the last line of the row just read.
    fn end_line(&mut self) -> u64 {
        let end = self.inner.position().byte();
        self.inner.get_mut().line_of(end.saturating_sub(1))
    }

    /// Reads the next raw row into `raw` and its first line into `line`, mapping the csv
    /// crate's errors.
    fn read_raw(&mut self) -> Result<bool> {
        match self.inner.read_record(&mut self.raw) {
            Ok(more) => {
                // The csv crate's own record positions point before skipped blank lines and
                // before the `\n` of a `\r\n`, so the line is counted here: the row's last line
                // less the line breaks inside its (quoted) fields.
                let inside: usize = self.raw.iter().map(|f| f.matches('\n').count()).sum();
                self.line = self.end_line().saturating_sub(inside as u64);
                Ok(more)
            }
            Err(e) => {
                let line = self.end_line();
                self.line = line;
                Err(match e.into_kind() {
                    ::csv::ErrorKind::Io(source) => Error::Io {
                        path: self.name.clone(),
                        source,
                    },
                    ::csv::ErrorKind::Utf8 { err, .. } => parse_error(
                        &self.name,
                        line,
                        (err.field() + 1).to_string(),
                        "invalid UTF-8",
                    ),
                    other => parse_error(&self.name, line, "-", format!("{other:?}")),
                })
            }
        }
    }
}

/// Per-feature-column state while loading a data set.
struct FeatureColumn {
    column: usize,
    categories: Option<(Vec<String>, HashMap<String, usize>)>,
}

/// Loads a whole CSV into a dense [`Dataset`]; `name` (the file name) is used in error messages.
///
/// `targets` chooses the target columns (a name not in the header is an error naming it). Every
/// other column is a feature: a numeric column holds its numbers, a nominal column the index of
/// its category, categories numbered in order of first appearance and recorded in
/// [`Schema::nominal`]. A numeric target column gives [`Targets::Values`] (a later non-numeric
/// target is an error naming the line), a nominal one [`Targets::Labels`] of text labels. A data
/// set holds no missing values: a missing feature or target is an error naming the line and
/// column.
pub fn read_csv_dataset<R: Read>(reader: R, name: &str, targets: TargetSpec) -> Result<Dataset> {
    let mut reader = CsvReader::from_reader(reader, name)?;
    let headers = reader.headers().to_vec();
    let kinds = reader.kinds().to_vec();
    let target_cols: Vec<usize> = match &targets {
        TargetSpec::Last => match headers.len().checked_sub(1) {
            Some(last) => vec![last],
            None => return Err(Error::Empty(format!("{name}: the header has no columns"))),
        },
        TargetSpec::None => Vec::new(),
        TargetSpec::Named(names) => {
            let mut cols = Vec::with_capacity(names.len());
            for t in names {
                let i = reader.column_index(t).ok_or_else(|| {
                    parse_error(
                        name,
                        1,
                        t.as_str(),
                        format!(
                            "no column named `{t}` for the target (columns: {})",
                            headers.join(", ")
                        ),
                    )
                })?;
                if cols.contains(&i) {
                    return Err(parse_error(
                        name,
                        1,
                        t.as_str(),
                        format!("target column `{t}` is named twice"),
                    ));
                }
                cols.push(i);
            }
            cols
        }
    };
    let mut features: Vec<FeatureColumn> = (0..headers.len())
        .filter(|i| !target_cols.contains(i))
        .map(|column| FeatureColumn {
            column,
            categories: (kinds[column] == ColumnKind::Nominal)
                .then(|| (Vec::new(), HashMap::new())),
        })
        .collect();
    let mut target_values: Vec<Targets> = target_cols
        .iter()
        .map(|&c| match kinds[c] {
            ColumnKind::Numeric => Targets::Values(Vec::new()),
            ColumnKind::Nominal => Targets::Labels(Vec::new()),
        })
        .collect();

    let mut x: Vec<f64> = Vec::new();
    let mut n_rows = 0usize;
    let mut record = Record::new();
    while reader.next_record(&mut record)? {
        let line = record.line;
        for f in features.iter_mut() {
            let v = match (&record.cells[f.column], &mut f.categories) {
                (Cell::Missing, _) => {
                    return Err(parse_error(
                        name,
                        line,
                        headers[f.column].as_str(),
                        "missing value (a loaded data set cannot hold missing values)",
                    ));
                }
                (Cell::Num(v), None) => *v,
                (Cell::Text(s), Some((cats, index))) => match index.get(s.as_str()) {
                    Some(&k) => k as f64,
                    None => {
                        let k = cats.len();
                        cats.push(s.clone());
                        index.insert(s.clone(), k);
                        k as f64
                    }
                },
                // The reader types every cell by the column's kind.
                (Cell::Num(v), Some(_)) => *v,
                (Cell::Text(s), None) => {
                    return Err(parse_error(
                        name,
                        line,
                        headers[f.column].as_str(),
                        format!("`{s}` is not a number"),
                    ));
                }
            };
            x.push(v);
        }
        for (&c, t) in target_cols.iter().zip(target_values.iter_mut()) {
            match (&record.cells[c], t) {
                (Cell::Missing, _) => {
                    return Err(parse_error(
                        name,
                        line,
                        headers[c].as_str(),
                        "missing target value",
                    ));
                }
                (Cell::Num(v), Targets::Values(vs)) => vs.push(*v),
                (Cell::Text(s), Targets::Labels(ls)) => ls.push(Label::from(s.as_str())),
                (Cell::Num(v), Targets::Labels(ls)) => ls.push(Label::num(*v)?),
                (Cell::Text(s), Targets::Values(_)) => {
                    return Err(parse_error(
                        name,
                        line,
                        headers[c].as_str(),
                        format!("target `{s}` is not a number, but the first row's target is"),
                    ));
                }
            }
        }
        n_rows += 1;
    }
    if n_rows == 0 {
        return Err(Error::Empty(format!("{name}: no data rows")));
    }
    let n_features = features.len();
    let matrix = Array2::from_shape_vec((n_rows, n_features), x)
        .map_err(|e| Error::Unsupported(format!("{name}: cannot shape the feature matrix: {e}")))?;
    let schema = Schema {
        features: features.iter().map(|f| headers[f.column].clone()).collect(),
        nominal: features
            .iter_mut()
            .map(|f| f.categories.take().map(|(cats, _)| cats))
            .collect(),
        targets: target_cols.iter().map(|&c| headers[c].clone()).collect(),
    };
    Dataset::new(FeatureMatrix::Dense(matrix), target_values, schema)
}

/// Loads a whole CSV file into a dense [`Dataset`], as [`read_csv_dataset`] does; errors name
/// the file's path.
pub fn load_csv(path: &Path, targets: TargetSpec) -> Result<Dataset> {
    let file = open_file(path)?;
    read_csv_dataset(file, &path.display().to_string(), targets)
}
