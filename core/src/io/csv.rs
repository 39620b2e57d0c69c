//! CSV with a header row: a streaming, typed reader ([`CsvReader`]) and whole-file loading
//! ([`read_csv_dataset`], [`load_csv`]).
//!
//! A column is numeric when the first data row's field parses as a number (or is missing), and
//! nominal (text categories) otherwise; a saved schema can force the kinds instead
//! ([`CsvReader::with_kinds`]). An empty field, `NaN` or `nan` is missing. Infinite values
//! (`inf`, `-inf`, `infinity`, any case) are an error in any column, and so is text found later
//! in a numeric column; both name the file, the line and the column.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::Read;
use std::path::Path;

use ndarray::Array2;

use super::bytes::Lines;
use super::{Cell, ColumnKind, open_file, parse_error, quote};
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

/// A field's bytes without surrounding whitespace (what `str::trim` removes).
#[inline]
fn trim_field(b: &[u8]) -> std::result::Result<&[u8], std::str::Utf8Error> {
    if let (Some(first), Some(last)) = (b.first(), b.last())
        && first.is_ascii_graphic()
        && last.is_ascii_graphic()
    {
        // Printable ASCII at both ends (the common case): nothing to trim.
        return Ok(b);
    }
    let t = b.trim_ascii();
    if t.first().is_some_and(|c| !c.is_ascii()) || t.last().is_some_and(|c| !c.is_ascii()) {
        // Unicode whitespace may stand at an end: trim as text.
        return std::str::from_utf8(t).map(|s| s.trim().as_bytes());
    }
    Ok(t)
}

/// The fields of a line without quotes, as byte ranges between its commas, into `fields`;
/// `false` (with `fields` holding a part) when the line has a quote. Eight bytes at a time:
/// a lane holds a comma (a quote) exactly when its byte XOR `,` (`"`) is zero, found
/// without carries between lanes.
#[inline]
fn split_commas(bytes: &[u8], fields: &mut Vec<(usize, usize)>) -> bool {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const COMMAS: u64 = 0x2C2C_2C2C_2C2C_2C2C;
    const QUOTES: u64 = 0x2222_2222_2222_2222;
    // The high bit of each lane set exactly when the lane of `x` is zero.
    let zeros = |x: u64| !(((x & LOW7).wrapping_add(LOW7)) | x | LOW7);
    let mut start = 0;
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        if zeros(w ^ QUOTES) != 0 {
            return false;
        }
        let mut commas = zeros(w ^ COMMAS);
        while commas != 0 {
            let i = base + (commas.trailing_zeros() / 8) as usize;
            fields.push((start, i));
            start = i + 1;
            commas &= commas - 1;
        }
        base += 8;
    }
    for (k, &b) in chunks.remainder().iter().enumerate() {
        match b {
            b'"' => return false,
            b',' => {
                fields.push((start, base + k));
                start = base + k + 1;
            }
            _ => {}
        }
    }
    fields.push((start, bytes.len()));
    true
}

/// What a trimmed field holds: missing (empty, `NaN`, `nan`), a finite number, a
/// non-finite one, or text (an error when it is not UTF-8).
fn classify(s: &[u8]) -> std::result::Result<Field<'_>, std::str::Utf8Error> {
    if s.is_empty() || s == b"NaN" || s == b"nan" {
        return Ok(Field::Missing);
    }
    Ok(match super::bytes::parse_number(s) {
        Some(v) if v.is_finite() => Field::Num(v),
        Some(_) => Field::NotFinite,
        None => Field::Text(std::str::from_utf8(s)?),
    })
}

/// A streaming CSV reader: a header row, then one typed [`Record`] per call.
///
/// Fields are trimmed of surrounding whitespace. A row with a different number of fields than
/// the header is an error naming its line. The file is never loaded whole: a line without a
/// quote is split at its commas, a line with one is decoded by `csv-core` (RFC 4180 quoting,
/// with the lines a quoted field spans), and numbers are read by `fast-float2`. Empty lines
/// are skipped, as the `csv` crate skips them.
pub struct CsvReader<R: Read> {
    lines: Lines<R>,
    name: String,
    headers: Vec<String>,
    kinds: Vec<ColumnKind>,
    /// The fields of the current row: byte ranges into `decoded` (a quoted row) or into the
    /// row's line (a plain one, in `plain`).
    fields: Vec<(usize, usize)>,
    /// The current row's bytes: a plain line as read, or a quoted row's decoded fields.
    row: Vec<u8>,
    /// `csv-core`'s field ends while decoding a quoted row.
    ends: Vec<usize>,
    /// `csv-core`'s parser, built at the first quoted row (building its DFA costs more than
    /// decoding a row) and reset for each.
    quoted: Option<Box<csv_core::Reader>>,
    /// The first data row was read (to decide the kinds) and is not yet returned.
    pending: bool,
    /// The 1-based line where the current row starts.
    line: u64,
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
        let mut this = CsvReader {
            lines: Lines::with_capacity(1 << 16, reader),
            name: name.to_owned(),
            headers: Vec::new(),
            kinds: Vec::new(),
            fields: Vec::new(),
            row: Vec::new(),
            ends: Vec::new(),
            quoted: None,
            pending: false,
            line: 0,
        };
        if !this.read_raw()? {
            return Err(Error::Empty(format!(
                "{name}: the file is empty (no header row)"
            )));
        }
        let mut headers = Vec::with_capacity(this.fields.len());
        for (i, &(a, b)) in this.fields.iter().enumerate() {
            let h = std::str::from_utf8(&this.row[a..b])
                .map_err(|_| parse_error(name, this.line, (i + 1).to_string(), "invalid UTF-8"))?;
            headers.push(h.trim().to_owned());
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
            .map(
                |i| match this.field(i).map(|f| trim_field(f).map(classify)) {
                    Some(Ok(Ok(Field::Text(_)))) => ColumnKind::Nominal,
                    _ => ColumnKind::Numeric,
                },
            )
            .collect();
        Ok(this)
    }

    /// Forces the column kinds (for example from a saved model's schema), one per header
    /// column, in header order.
    pub fn with_kinds(mut self, kinds: Vec<ColumnKind>) -> Result<Self> {
        self.set_kinds(kinds)?;
        Ok(self)
    }

    /// [`with_kinds`](Self::with_kinds) in place.
    pub fn set_kinds(&mut self, kinds: Vec<ColumnKind>) -> Result<()> {
        if kinds.len() != self.headers.len() {
            return Err(Error::LengthMismatch {
                what: format!("column kinds against the header of {}", self.name),
                expected: self.headers.len(),
                got: kinds.len(),
            });
        }
        self.kinds = kinds;
        Ok(())
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

    /// The bytes of the input read into rows so far (for progress reports).
    pub fn bytes_read(&self) -> u64 {
        self.lines.bytes_read()
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
        if self.fields.len() != n {
            return Err(parse_error(
                &self.name,
                line,
                "-",
                format!(
                    "expected {n} fields (as in the header), found {}",
                    self.fields.len()
                ),
            ));
        }
        record.cells.truncate(n);
        while record.cells.len() < n {
            record.cells.push(Cell::Missing);
        }
        for (i, cell) in record.cells.iter_mut().enumerate() {
            let (a, b) = self.fields[i];
            let bad_utf8 = || parse_error(&self.name, line, (i + 1).to_string(), "invalid UTF-8");
            let field = trim_field(&self.row[a..b]).map_err(|_| bad_utf8())?;
            if self.kinds[i] == ColumnKind::Numeric
                && let Some(v) = super::bytes::parse_finite(field)
            {
                // The common case first: a finite number in a numeric column.
                *cell = Cell::Num(v);
                continue;
            }
            match (classify(field).map_err(|_| bad_utf8())?, self.kinds[i]) {
                (Field::Missing, _) => *cell = Cell::Missing,
                (Field::NotFinite, _) => {
                    return Err(parse_error(
                        &self.name,
                        line,
                        self.headers[i].as_str(),
                        format!(
                            "{} is not a finite number",
                            quote(&String::from_utf8_lossy(field))
                        ),
                    ));
                }
                (Field::Num(v), ColumnKind::Numeric) => *cell = Cell::Num(v),
                (Field::Text(t), ColumnKind::Numeric) => {
                    return Err(parse_error(
                        &self.name,
                        line,
                        self.headers[i].as_str(),
                        format!("{} is not a number, but the column is numeric", quote(t)),
                    ));
                }
                (Field::Num(_) | Field::Text(_), ColumnKind::Nominal) => {
                    let text = std::str::from_utf8(field).map_err(|_| bad_utf8())?;
                    if let Cell::Text(s) = cell {
                        s.clear();
                        s.push_str(text);
                    } else {
                        *cell = Cell::Text(text.to_owned());
                    }
                }
            }
        }
        Ok(true)
    }

    /// Field `i` of the current row, untrimmed.
    fn field(&self, i: usize) -> Option<&[u8]> {
        self.fields.get(i).map(|&(a, b)| &self.row[a..b])
    }

    /// Reads the next row (skipping empty lines) into `row` and `fields`, and the line it
    /// starts on into `line`; `Ok(false)` at the end of the input.
    fn read_raw(&mut self) -> Result<bool> {
        loop {
            let Some((n, bytes)) = self.lines.next_line(&self.name)? else {
                return Ok(false);
            };
            if bytes.is_empty() {
                continue;
            }
            self.line = n;
            self.fields.clear();
            self.row.clear();
            // A line without a quote is split at its commas.
            if split_commas(bytes, &mut self.fields) {
                self.row.extend_from_slice(bytes);
                return Ok(true);
            }
            self.fields.clear();
            let mut input = Vec::with_capacity(bytes.len() + 2);
            input.extend_from_slice(bytes);
            input.extend_from_slice(self.lines.ending());
            self.decode_quoted(input)?;
            return Ok(true);
        }
    }

    /// Decodes a row holding quotes with `csv-core`, reading the lines a quoted field spans.
    fn decode_quoted(&mut self, mut input: Vec<u8>) -> Result<()> {
        use csv_core::ReadRecordResult as R;
        let reader = self
            .quoted
            .get_or_insert_with(|| Box::new(csv_core::Reader::new()));
        reader.reset();
        let (mut pos, mut out, mut nends) = (0, 0, 0);
        self.row.resize(input.len().max(64), 0);
        self.ends.resize(16, 0);
        loop {
            let (res, nin, nout, nend) =
                reader.read_record(&input[pos..], &mut self.row[out..], &mut self.ends[nends..]);
            pos += nin;
            out += nout;
            nends += nend;
            match res {
                R::OutputFull => {
                    let n = self.row.len() * 2;
                    self.row.resize(n, 0);
                }
                R::OutputEndsFull => {
                    let n = self.ends.len() * 2;
                    self.ends.resize(n, 0);
                }
                R::InputEmpty if pos < input.len() => {}
                R::InputEmpty if input.is_empty() => break,
                R::InputEmpty => {
                    // Inside a quoted field at the end of the line: the field goes on on the
                    // next line (the line break, as written, is in the field). At the end of
                    // the input, an empty input lets csv-core close the record.
                    input.clear();
                    pos = 0;
                    if let Some((_, more)) = self.lines.next_line(&self.name)? {
                        input.extend_from_slice(more);
                        input.extend_from_slice(self.lines.ending());
                    }
                }
                R::Record | R::End => break,
            }
        }
        let mut start = 0;
        for &end in &self.ends[..nends] {
            self.fields.push((start, end));
            start = end;
        }
        self.row.truncate(out);
        Ok(())
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
                        format!("{} is not a number", quote(s)),
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
                        format!(
                            "target {} is not a number, but the first row's target is",
                            quote(s)
                        ),
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

/// Why a [`NumberColumn`] stops: the input is not a plain column of finite numbers (or it
/// could not be read), and the general reader ([`CsvReader`]) must read it, with its errors.
#[derive(Debug)]
pub struct NotPlain;

/// A CSV file of one column of finite numbers, read in large blocks: a plain header (one
/// name, no quote or comma), then one number a line (empty lines skipped, as everywhere). It
/// is the fast way through the commonest input of a drift detector; anything else (quotes,
/// missing or non-finite values, text, a second column, invalid UTF-8) is [`NotPlain`], and
/// the caller reads the file again with [`CsvReader`], which reports the problem with its
/// line and column. Every value it gives is the one [`CsvReader`] would give (numbers are
/// read by the same routine).
pub struct NumberColumn<R> {
    reader: R,
    buf: Vec<u8>,
    /// The unread bytes are `buf[pos..end]`.
    pos: usize,
    end: usize,
    eof: bool,
    header: String,
    /// A value was read (a file with a header and no value is not plain: the general
    /// reader refuses it, naming the problem).
    any: bool,
}

impl<R: Read> NumberColumn<R> {
    /// Reads the header; [`NotPlain`] when it is not one plain column name. Reads in blocks
    /// of 1 MiB.
    pub fn new(reader: R) -> std::result::Result<Self, NotPlain> {
        Self::with_block(reader, 1 << 20)
    }

    /// [`new`](Self::new) with blocks of `block` bytes (at least 2); a line longer than a
    /// block is [`NotPlain`]. Small blocks exercise the refill paths (the fuzz target's).
    pub fn with_block(reader: R, block: usize) -> std::result::Result<Self, NotPlain> {
        let mut this = NumberColumn {
            reader,
            buf: vec![0; block.max(2)],
            pos: 0,
            end: 0,
            eof: false,
            header: String::new(),
            any: false,
        };
        let (line, _) = this.next_line()?.ok_or(NotPlain)?;
        let line = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line);
        if line
            .iter()
            .any(|&b| b == b'"' || b == b',' || !b.is_ascii())
        {
            return Err(NotPlain);
        }
        let name = line.trim_ascii();
        if name.is_empty() {
            return Err(NotPlain);
        }
        this.header = String::from_utf8_lossy(name).into_owned();
        Ok(this)
    }

    /// The column's name.
    pub fn header(&self) -> &str {
        &self.header
    }

    /// Appends up to `max` values to `out`: how many, 0 at the end of the input.
    pub fn fill(&mut self, out: &mut Vec<f64>, max: usize) -> std::result::Result<usize, NotPlain> {
        let mut n = 0;
        while n < max {
            // The commonest input of a drift detector, 0/1 indicators (`d` or `d.0` and a
            // line break), by pattern: a single digit is exactly its value.
            match self.buf[self.pos..self.end] {
                [d @ b'0'..=b'9', b'\n', ..] => {
                    out.push(f64::from(d - b'0'));
                    self.pos += 2;
                    n += 1;
                    continue;
                }
                [d @ b'0'..=b'9', b'.', b'0', b'\n', ..] => {
                    out.push(f64::from(d - b'0'));
                    self.pos += 4;
                    n += 1;
                    continue;
                }
                _ => {}
            }
            // Any other number and a line break, in one step.
            if let Ok((v, used)) =
                fast_float2::parse_partial::<f64, _>(&self.buf[self.pos..self.end])
                && self.buf.get(self.pos + used) == Some(&b'\n')
                && self.pos + used < self.end
                && v.is_finite()
            {
                out.push(v);
                self.pos += used + 1;
                n += 1;
                continue;
            }
            let Some((line, terminated)) = self.next_line()? else {
                break;
            };
            // A `\r` before the `\n` is part of the line ending (as the general reader
            // takes it); a last line without `\n` keeps its `\r`, which the general reader
            // reads as a field.
            let line = if terminated {
                line.strip_suffix(b"\r").unwrap_or(line)
            } else {
                line
            };
            if line.is_empty() {
                continue;
            }
            let field = trim_field(line).map_err(|_| NotPlain)?;
            out.push(super::bytes::parse_finite(field).ok_or(NotPlain)?);
            n += 1;
        }
        if n > 0 {
            self.any = true;
        } else if !self.any {
            return Err(NotPlain);
        }
        Ok(n)
    }

    /// The next line without its `\n`, and whether it had one (the last line may not),
    /// refilling the block as needed; `None` at the end.
    fn next_line(&mut self) -> std::result::Result<Option<(&[u8], bool)>, NotPlain> {
        loop {
            if let Some(k) = self.buf[self.pos..self.end]
                .iter()
                .position(|&b| b == b'\n')
            {
                let start = self.pos;
                self.pos += k + 1;
                return Ok(Some((&self.buf[start..start + k], true)));
            }
            if self.eof {
                if self.pos == self.end {
                    return Ok(None);
                }
                let start = self.pos;
                self.pos = self.end;
                return Ok(Some((&self.buf[start..self.end], false)));
            }
            // Keep the partial line, refill after it.
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
            if self.end == self.buf.len() {
                // A line longer than a block is not a plain number.
                return Err(NotPlain);
            }
            loop {
                match self.reader.read(&mut self.buf[self.end..]) {
                    Ok(0) => {
                        self.eof = true;
                        break;
                    }
                    Ok(k) => {
                        self.end += k;
                        break;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => return Err(NotPlain),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn field() -> impl Strategy<Value = String> {
        prop_oneof![
            6 => "[a-z0-9 .]{0,5}",
            1 => Just("\"a,b\"".to_owned()),
            1 => Just("\"x\ny\"".to_owned()),
            1 => Just("\"x\r\ny\"".to_owned()),
            1 => Just("\"q\"\"q\"".to_owned()),
            1 => Just("  \"pad\"  ".to_owned()),
            1 => Just("NaN".to_owned()),
            1 => Just("".to_owned()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Eight bytes at a time split a line as a byte-by-byte split at its commas does.
        #[test]
        fn split_commas_is_the_plain_split(line in prop::collection::vec(prop_oneof![3 => Just(b','), 1 => Just(0xACu8), 1 => Just(0x2Du8), 1 => Just(0xA2u8), 4 => any::<u8>()], 0..70)) {
            let mut fields = Vec::new();
            let plain = split_commas(&line, &mut fields);
            prop_assert_eq!(plain, !line.contains(&b'"'));
            if plain {
                let mut expected = Vec::new();
                let mut start = 0;
                for (i, &b) in line.iter().enumerate() {
                    if b == b',' {
                        expected.push((start, i));
                        start = i + 1;
                    }
                }
                expected.push((start, line.len()));
                prop_assert_eq!(fields, expected);
            }
        }

        /// A plain column reads as the general reader reads it, or is left to it.
        #[test]
        fn a_number_column_gives_the_general_readers_values(
            values in prop::collection::vec(prop_oneof![
                6 => any::<f64>().prop_filter("finite", |v| v.is_finite()).prop_map(|v| format!("{v}")),
                2 => (0u8..10).prop_map(|d| format!("{d}.0")),
                1 => Just(String::new()),
                1 => Just(" 7 ".to_owned()),
                1 => Just("1e3\r".to_owned()),
                1 => Just("NaN".to_owned()),
                1 => Just("inf".to_owned()),
                1 => Just("x".to_owned()),
                1 => Just("\"1\"".to_owned()),
            ], 1..40),
            last_newline in any::<bool>(),
        ) {
            let mut text = String::from("x\n");
            text.push_str(&values.join("\n"));
            if last_newline {
                text.push('\n');
            }
            let general = (|| -> Result<Vec<f64>> {
                let mut r = CsvReader::from_reader(text.as_bytes(), "t")?.with_kinds(vec![ColumnKind::Numeric])?;
                let mut rec = Record::new();
                let mut out = Vec::new();
                while r.next_record(&mut rec)? {
                    out.push(rec.cells[0].as_f64().ok_or_else(|| Error::Empty("missing".into()))?);
                }
                Ok(out)
            })();
            let fast = (|| -> std::result::Result<Vec<f64>, NotPlain> {
                let mut c = NumberColumn::new(text.as_bytes())?;
                let mut out = Vec::new();
                while c.fill(&mut out, 3)? > 0 {}
                Ok(out)
            })();
            // (A column with no value is left to the general reader, whose error says so.)
            if let Ok(fast) = fast
                && !fast.is_empty()
            {
                let general = general.unwrap_or_else(|e| panic!("{text:?}: fast {fast:?}, general {e}"));
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                prop_assert_eq!(bits(&fast), bits(&general), "{:?}", text);
            }
        }

        /// Rows read line by line (plain lines split by hand, quoted ones by csv-core) are the
        /// rows the `csv` crate reads from the whole text.
        #[test]
        fn reads_the_rows_the_csv_crate_reads(
            rows in prop::collection::vec(prop::collection::vec(field(), 3), 1..8),
            crlf in any::<bool>(),
            blank in prop::collection::vec(any::<bool>(), 8),
        ) {
            let end = if crlf { "\r\n" } else { "\n" };
            let mut text = format!("a,b,c{end}");
            for (i, r) in rows.iter().enumerate() {
                if blank[i] {
                    text.push_str(end);
                }
                text.push_str(&r.join(","));
                text.push_str(end);
            }
            let mut want = Vec::new();
            let mut rdr = ::csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(text.as_bytes());
            for rec in rdr.records() {
                let rec = rec.unwrap();
                want.push(rec.iter().map(|f| {
                    let f = f.trim();
                    if f.is_empty() || f == "NaN" { Cell::Missing } else { Cell::Text(f.to_owned()) }
                }).collect::<Vec<_>>());
            }
            let r = CsvReader::from_reader(text.as_bytes(), "t");
            let mut r = match r {
                Ok(r) => r,
                Err(e) => {
                    prop_assert!(want.is_empty(), "{e}: {text:?}");
                    return Ok(());
                }
            };
            r.set_kinds(vec![ColumnKind::Nominal; 3]).unwrap();
            let mut got = Vec::new();
            let mut rec = Record::new();
            while r.next_record(&mut rec).unwrap() {
                got.push(rec.cells.clone());
            }
            prop_assert_eq!(got, want, "{:?}", text);
        }
    }
}
