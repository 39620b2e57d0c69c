//! Reading rows for the command line: CSV files (streamed), shipped data sets (streamed from
//! their embedded CSV), stream generators (row by row), LIBSVM and VW files (loaded,
//! sparse), bound to a model's columns.

use std::collections::VecDeque;
use std::io::Read;
use std::path::{Path, PathBuf};

use tidewater::core::io::{Cell, ColumnKind, CsvReader, Format, Record, quote};
use tidewater::core::record::{RecordSchema, Table};
use tidewater::{Dataset, Error, FeatureMatrix, Label, Row, SparseRow, Targets};

use super::CliError;

/// Where rows come from.
pub enum SourceArg {
    /// `--data FILE...`, read in order as one stream.
    Files(Vec<PathBuf>),
    /// `--dataset NAME`.
    Dataset(String),
    /// `--synth SPEC`: a stream generator.
    Synth(String),
    /// `--data FILE --follow`: one file read as it grows, until `stop` is set.
    Follow {
        /// The file.
        path: PathBuf,
        /// Ends the stream (SIGINT, SIGTERM).
        stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    },
}

impl SourceArg {
    /// The `dataset` field of reports: file names, or the data set name.
    pub fn display(&self) -> String {
        match self {
            SourceArg::Files(f) => f
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(","),
            SourceArg::Dataset(n) | SourceArg::Synth(n) => n.clone(),
            SourceArg::Follow { path, .. } => path.display().to_string(),
        }
    }
}

/// The one column name of a LIBSVM or VW stream's features: the whole sparse vector.
const SPARSE_FEATURES: &str = "features";

type BoxedCsv = CsvReader<Box<dyn Read + Send>>;

enum Inner {
    /// A LIBSVM or VW file parsed on a second thread (see `stream`).
    Sparse(Box<super::stream::SparseStream>),
    /// A CSV file of numeric features parsed on a second thread (see `stream`).
    CsvFast(Box<super::stream::CsvStream>),
    Csv {
        current: Box<BoxedCsv>,
        pending: VecDeque<PathBuf>,
        record: Record,
    },
    /// The reader moved to a parser thread (for an instant).
    Taken,
    Synth {
        name: String,
        generator: Box<dyn tidewater::datasets::synth::Generator>,
        /// Rows left before the stream ends (generators are infinite).
        remaining: usize,
        /// Rows produced so far.
        row: usize,
        /// The generated row: features, then the target.
        full: Vec<f64>,
    },
}

/// A stream of rows with a header.
pub struct Feed {
    inner: Inner,
    headers: Vec<String>,
    kinds: Vec<ColumnKind>,
    /// The target columns a data set or generator declares (none for files).
    targets: Vec<String>,
    /// A single CSV input whose numeric rows may move to a parser thread at the first row.
    fast_csv: bool,
    /// Bytes of the input files already finished.
    done_bytes: u64,
    /// Whether rows of a LIBSVM or VW stream stay in the stream (see [`Feed::lend_rows`]).
    lend: bool,
    /// The feature columns a generator declares nominal (category codes).
    nominal: Vec<String>,
}

/// Where a row is: a file and its line, or a generator and its row number. Kept as parts and
/// formatted only when a message names the row (every row has one; few are shown).
#[derive(Clone, Debug, Default)]
pub struct Place {
    name: String,
    number: u64,
    generated: bool,
}

impl Place {
    /// Sets the place, copying the name only when it changes.
    fn set(&mut self, name: &str, number: u64, generated: bool) {
        if self.name != name {
            self.name.clear();
            self.name.push_str(name);
        }
        self.number = number;
        self.generated = generated;
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.generated {
            write!(f, "{}:row {}", self.name, self.number)
        } else {
            write!(f, "{}:{}", self.name, self.number)
        }
    }
}

/// One row, bound to the model's columns.
#[derive(Default)]
pub struct RowBuf {
    dense: Vec<f64>,
    sparse: Option<(usize, Vec<u32>, Vec<f64>)>,
    /// The target cell, when the row has the target column.
    pub target: Option<Cell>,
    /// Where the row is: `file:line` (or `generator:row N`), formatted only when shown.
    pub place: Place,
    /// The feature cells, in model order, when the model has a record stage.
    cells: Vec<Cell>,
    /// The features were left in the feed's stream ([`Feed::row`] reads them).
    lent: bool,
}

impl RowBuf {
    /// The feature cells as a record (for a model with a record stage): numbers, text and
    /// missing values as read.
    pub fn record(&self) -> &[Cell] {
        &self.cells
    }

    /// The features (of a row the feed did not lend: see [`Feed::row`]).
    pub fn row(&self) -> Row<'_> {
        match &self.sparse {
            Some((dim, idx, val)) => {
                Row::Sparse(SparseRow::new(*dim, idx, val).expect("rows from a data set are valid"))
            }
            None => Row::Dense(&self.dense),
        }
    }

    /// The target as a class label; an error naming the place when missing.
    pub fn label(&self, target: &str) -> Result<Label, Error> {
        match &self.target {
            Some(Cell::Num(v)) => Label::num(*v),
            Some(Cell::Text(s)) => Ok(Label::from(s.as_str())),
            _ => Err(missing(target)),
        }
    }

    /// The target as a number; an error when missing or text.
    pub fn value(&self, target: &str) -> Result<f64, Error> {
        match &self.target {
            Some(Cell::Num(v)) => Ok(*v),
            Some(Cell::Text(s)) => Err(Error::BadValue {
                location: tidewater::core::Location::Column(target.into()),
                reason: format!(
                    "{} is not a number, but a regressor needs numeric targets",
                    quote(s)
                ),
            }),
            _ => Err(missing(target)),
        }
    }
}

fn missing(column: &str) -> Error {
    Error::BadValue {
        location: tidewater::core::Location::Column(column.into()),
        reason: "missing value (no imputer in this pipeline)".into(),
    }
}

/// How a feed's columns map to a model's features and target.
#[derive(Clone, Debug)]
pub struct Columns {
    /// Feature names in model order.
    pub features: Vec<String>,
    feature_cols: Vec<usize>,
    /// The target column's name, when the model uses one.
    pub target: Option<String>,
    target_col: Option<usize>,
    /// Whether the target column holds numbers.
    pub target_numeric: bool,
    /// Whether rows go to a record stage as raw cells (text and missing values allowed).
    pub records: bool,
    /// The kinds of the feature columns, in model order.
    pub kinds: Vec<ColumnKind>,
    /// The features are one sparse vector (LIBSVM, VW), not one column each.
    pub sparse: bool,
}

impl Columns {
    /// An error about a feature of the row as the model got it, with the feature named by
    /// its column (for a row of columns: not a sparse vector, not raw cells).
    pub fn name_feature(&self, e: Error) -> Error {
        match e {
            Error::BadValue {
                location: tidewater::core::Location::Feature(j),
                reason,
            } if !self.sparse && !self.records && j < self.features.len() => Error::BadValue {
                location: tidewater::core::Location::Column(self.features[j].clone()),
                reason,
            },
            e => e,
        }
    }

    /// The feature columns as a record schema.
    pub fn schema(&self) -> Result<RecordSchema, CliError> {
        Ok(RecordSchema::new(
            self.features.clone(),
            self.kinds.clone(),
        )?)
    }
}

/// A row-level problem (skippable with `--on-error skip`) or one that ends the run.
pub enum FeedError {
    /// This row is bad; the stream can go on.
    Row(String),
    /// The stream cannot go on.
    Fatal(CliError),
}

/// The name of standard input as a `--data` value.
pub const STDIN: &str = "-";

/// An input file, or standard input for `-`; an error naming the file when it cannot be
/// opened.
pub fn open_input(path: &Path) -> Result<Box<dyn Read + Send>, CliError> {
    if path.as_os_str() == STDIN {
        return Ok(Box::new(std::io::stdin()));
    }
    let f = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    Ok(Box::new(f))
}

/// The name of an input in messages: its path, or `stdin`.
pub fn input_name(path: &Path) -> String {
    if path.as_os_str() == STDIN {
        "stdin".to_owned()
    } else {
        path.display().to_string()
    }
}

/// The format of an input: `--format`, else its extension; standard input, pipes and other
/// files without an extension are CSV.
pub fn input_format(path: &Path, format: Option<&str>) -> Result<Format, CliError> {
    if format.is_none() && (path.as_os_str() == STDIN || path.extension().is_none()) {
        return Ok(Format::Csv);
    }
    Ok(Format::detect(path, format)?)
}

fn open_csv(path: &Path) -> Result<BoxedCsv, CliError> {
    Ok(CsvReader::from_reader(
        open_input(path)?,
        &input_name(path),
    )?)
}

impl Feed {
    /// Opens a source. `format` overrides detection by extension; `bits` is VW's hash size.
    pub fn open(source: &SourceArg, format: Option<&str>, bits: u32) -> Result<Feed, CliError> {
        match source {
            SourceArg::Dataset(name) => {
                let info = dataset_info(name)?;
                let bytes = tidewater::datasets::csv_text(name)?;
                let r: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(bytes));
                let csv = CsvReader::from_reader(r, &format!("{}.csv", info.name))?;
                let mut feed = Self::from_csv(csv, VecDeque::new());
                feed.targets = info.targets.iter().map(|t| (*t).to_owned()).collect();
                Ok(feed)
            }
            SourceArg::Synth(spec) => {
                let generator = tidewater::datasets::synth::from_spec(spec)
                    .map_err(|e| CliError::input(format!("--synth: {e}")))?;
                let mut headers = generator.schema().features.clone();
                headers.extend(generator.schema().targets.iter().cloned());
                let nominal = generator
                    .schema()
                    .nominal_features()
                    .into_iter()
                    .map(str::to_owned)
                    .collect();
                let kinds = vec![ColumnKind::Numeric; headers.len()];
                Ok(Feed {
                    targets: generator.schema().targets.clone(),
                    inner: Inner::Synth {
                        name: spec.clone(),
                        full: vec![0.0; generator.n_features() + 1],
                        generator,
                        remaining: tidewater::datasets::synth::DEFAULT_LIMIT,
                        row: 0,
                    },
                    headers,
                    kinds,
                    fast_csv: false,
                    done_bytes: 0,
                    lend: false,
                    nominal,
                })
            }
            SourceArg::Files(files) => {
                let first = files.first().ok_or_else(|| {
                    CliError::input("no data: give --data FILE or --dataset NAME")
                })?;
                let fmt = input_format(first, format)?;
                for f in &files[1..] {
                    let other = input_format(f, format)?;
                    if other != fmt {
                        return Err(CliError::input(format!(
                            "{}: is {other}, but {} is {fmt}: files of one stream share a format",
                            f.display(),
                            first.display()
                        )));
                    }
                }
                match fmt {
                    Format::Csv => {
                        let csv = open_csv(first)?;
                        let mut feed = Self::from_csv(csv, files[1..].iter().cloned().collect());
                        // One file may be parsed on a second thread (see `try_fast_csv`).
                        feed.fast_csv = files.len() == 1;
                        Ok(feed)
                    }
                    Format::LibSvm | Format::Vw => {
                        if files.len() > 1 {
                            return Err(CliError::input(
                                "several LIBSVM or VW files in one stream are not supported yet: join them first",
                            ));
                        }
                        Self::sparse(open_input(first)?, input_name(first), fmt, bits)
                    }
                }
            }
            SourceArg::Follow { path, stop } => {
                let fmt = input_format(path, format)?;
                if path.as_os_str() == STDIN {
                    return Err(CliError::input(
                        "--follow reads a file; standard input is followed already",
                    ));
                }
                let follow = tidewater::core::io::Follow::open(path, std::sync::Arc::clone(stop))
                    .map_err(|source| Error::Io {
                    path: path.display().to_string(),
                    source,
                })?;
                let reader: Box<dyn Read + Send> =
                    Box::new(tidewater::core::io::LineReader::new(follow));
                match fmt {
                    // Row by row on this thread: the parser thread's chunks of rows would
                    // hold a row back until its chunk fills.
                    Format::Csv => Ok(Self::from_csv(
                        CsvReader::from_reader(reader, &input_name(path))?,
                        VecDeque::new(),
                    )),
                    Format::LibSvm | Format::Vw => Err(CliError::input(format!(
                        "--follow reads CSV files; {} is {fmt}",
                        path.display()
                    ))),
                }
            }
        }
    }

    /// A LIBSVM or VW stream.
    fn sparse(
        reader: Box<dyn Read + Send>,
        name: String,
        fmt: Format,
        bits: u32,
    ) -> Result<Feed, CliError> {
        let format = if fmt == Format::Vw {
            super::stream::SparseFormat::Vw
        } else {
            super::stream::SparseFormat::LibSvm
        };
        let stream = super::stream::SparseStream::open(reader, name, format, bits)?;
        // One pseudo-column holds the sparse vector (2^bits features), so a saved model's
        // schema stays small; `y` is the label.
        let headers = vec![SPARSE_FEATURES.to_owned(), "y".to_owned()];
        Ok(Feed {
            inner: Inner::Sparse(Box::new(stream)),
            kinds: vec![ColumnKind::Numeric; 2],
            headers,
            targets: Vec::new(),
            fast_csv: false,
            done_bytes: 0,
            lend: false,
            nominal: Vec::new(),
        })
    }

    /// Rows as they arrive: a CSV stream is read on this thread, row by row, instead of
    /// in the parser thread's chunks, which hold a row back until its chunk fills (for a
    /// live source such as a pipe that `learn --publish` reads).
    pub fn live(&mut self) {
        self.fast_csv = false;
    }

    /// Whether the rows are LIBSVM or VW (one sparse vector of `2^bits` features).
    pub fn is_sparse(&self) -> bool {
        matches!(self.inner, Inner::Sparse(_))
    }

    /// How much input there is, when known before reading: the rows of a data set or of a
    /// bounded generator, else the size of the input files (none for standard input or a
    /// pipe).
    pub fn total(&self, source: &SourceArg, limit: Option<usize>) -> Option<super::output::Total> {
        use super::output::Total;
        let known = match (&self.inner, source) {
            (Inner::Synth { remaining, .. }, _) => Some(Total::Rows(*remaining as u64)),
            (_, SourceArg::Dataset(name)) => {
                tidewater::datasets::info(name).map(|d| Total::Rows(d.rows as u64))
            }
            (_, SourceArg::Files(files)) => files
                .iter()
                .map(|f| {
                    std::fs::metadata(f)
                        .ok()
                        .filter(|m| m.is_file())
                        .map(|m| m.len())
                })
                .sum::<Option<u64>>()
                .map(Total::Bytes),
            _ => None,
        };
        match (known, limit) {
            (Some(Total::Rows(n)), Some(l)) => Some(Total::Rows(n.min(l as u64))),
            (_, Some(l)) => Some(Total::Rows(l as u64)),
            (k, None) => k,
        }
    }

    /// The input bytes read so far (files; 0 for data sets and generators).
    pub fn bytes_read(&self) -> u64 {
        self.done_bytes
            + match &self.inner {
                Inner::Csv { current, .. } => current.bytes_read(),
                Inner::CsvFast(s) => s.bytes_read(),
                Inner::Sparse(s) => s.bytes_read(),
                Inner::Synth { .. } | Inner::Taken => 0,
            }
    }

    /// Bounds a generator's stream to `n` rows (other sources end by themselves).
    pub fn limit_synth(&mut self, n: usize) {
        if let Inner::Synth { remaining, row, .. } = &mut self.inner {
            *remaining = n.saturating_sub(*row);
        }
    }

    fn from_csv(csv: BoxedCsv, pending: VecDeque<PathBuf>) -> Feed {
        Feed {
            targets: Vec::new(),
            fast_csv: false,
            done_bytes: 0,
            lend: false,
            nominal: Vec::new(),
            headers: csv.headers().to_vec(),
            kinds: csv.kinds().to_vec(),
            inner: Inner::Csv {
                current: Box::new(csv),
                pending,
                record: Record::new(),
            },
        }
    }

    fn col(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    /// Binds the columns for a new model: the target is `target` or, for supervised
    /// models, the last column; every other column is a feature and must be numeric.
    #[allow(dead_code)] // the commands bind through `bind_new_with`; kept for callers
    pub fn bind_new(
        &mut self,
        target: Option<&str>,
        supervised: bool,
    ) -> Result<Columns, CliError> {
        self.bind_new_with(target, supervised, false)
    }

    /// The positions, among the bound feature columns, of those the source declares nominal
    /// (a generator's category codes), for the model to treat as such.
    pub fn nominal_positions(&self, cols: &Columns) -> Vec<usize> {
        cols.features
            .iter()
            .enumerate()
            .filter(|(_, f)| self.nominal.contains(f))
            .map(|(i, _)| i)
            .collect()
    }

    /// The first target column a shipped data set or generator declares (none for files):
    /// what a clusterer scores with when `--target` is not given.
    pub fn declared_target(&self) -> Option<&str> {
        self.targets.first().map(String::as_str)
    }

    /// [`bind_new`](Self::bind_new) for a model with a record stage when `records`: then
    /// nominal (text) feature columns are allowed, and rows keep their raw cells.
    pub fn bind_new_with(
        &mut self,
        target: Option<&str>,
        supervised: bool,
        records: bool,
    ) -> Result<Columns, CliError> {
        let target_col = match target {
            Some(t) => Some(self.col(t).ok_or_else(|| {
                CliError::input(format!(
                    "{}: no target column `{t}` (columns: {})",
                    self.name(),
                    self.headers.join(", ")
                ))
            })?),
            None if supervised && self.targets.len() > 1 => {
                return Err(CliError::input(format!(
                    "{}: has {} target columns ({}): choose one with --target",
                    self.name(),
                    self.targets.len(),
                    self.targets.join(", ")
                )));
            }
            None if supervised => {
                if self.headers.len() < 2 {
                    return Err(CliError::input(format!(
                        "{}: needs at least one feature column and a target column",
                        self.name()
                    )));
                }
                Some(self.headers.len() - 1)
            }
            None => None,
        };
        // With a target chosen, a data set's other target columns are not features.
        let other_targets: Vec<usize> = match target_col {
            Some(_) => self.targets.iter().filter_map(|t| self.col(t)).collect(),
            None => Vec::new(),
        };
        let feature_cols: Vec<usize> = (0..self.headers.len())
            .filter(|&c| Some(c) != target_col && !other_targets.contains(&c))
            .collect();
        if feature_cols.is_empty() {
            return Err(CliError::input(format!(
                "{}: no feature columns",
                self.name()
            )));
        }
        for &c in &feature_cols {
            if !records && self.kinds[c] == ColumnKind::Nominal {
                return Err(CliError::input(format!(
                    "{}: column `{}` is nominal (text), but the model takes only numbers",
                    self.name(),
                    self.headers[c]
                )));
            }
        }
        Ok(Columns {
            features: feature_cols
                .iter()
                .map(|&c| self.headers[c].clone())
                .collect(),
            kinds: feature_cols.iter().map(|&c| self.kinds[c]).collect(),
            feature_cols,
            target: target_col.map(|c| self.headers[c].clone()),
            target_numeric: target_col.is_none_or(|c| self.kinds[c] == ColumnKind::Numeric),
            target_col,
            records,
            sparse: matches!(self.inner, Inner::Sparse(_)),
        })
    }

    /// Binds the columns to a saved model's schema by name (order does not matter). The
    /// target column is used when `need_target`, and ignored otherwise.
    #[allow(dead_code)] // the commands bind through `bind_saved_with`; kept for callers
    pub fn bind_saved(
        &mut self,
        features: &[String],
        target: Option<&str>,
        target_numeric: bool,
        need_target: bool,
    ) -> Result<Columns, CliError> {
        self.bind_saved_with(features, None, target, target_numeric, need_target)
    }

    /// [`bind_saved`](Self::bind_saved) for a model with a record stage when `kinds` (the
    /// saved kinds of the feature columns) is given: rows then keep their raw cells.
    pub fn bind_saved_with(
        &mut self,
        features: &[String],
        feature_kinds: Option<&[ColumnKind]>,
        target: Option<&str>,
        target_numeric: bool,
        need_target: bool,
    ) -> Result<Columns, CliError> {
        let mut feature_cols = Vec::with_capacity(features.len());
        for f in features {
            feature_cols.push(self.col(f).ok_or_else(|| {
                CliError::input(format!(
                    "{}: missing column `{f}` that the model was trained with",
                    self.name()
                ))
            })?);
        }
        let target_col = match (target, need_target) {
            (Some(t), true) => Some(self.col(t).ok_or_else(|| {
                CliError::input(format!("{}: missing target column `{t}`", self.name()))
            })?),
            _ => None,
        };
        // Column kinds come from the saved schema, not from the first row.
        let mut kinds = self.kinds.clone();
        for (i, &c) in feature_cols.iter().enumerate() {
            kinds[c] = feature_kinds.map_or(ColumnKind::Numeric, |k| k[i]);
        }
        if let Some(c) = target_col {
            kinds[c] = if target_numeric {
                ColumnKind::Numeric
            } else {
                ColumnKind::Nominal
            };
        }
        self.set_kinds(kinds)?;
        Ok(Columns {
            features: features.to_vec(),
            kinds: feature_cols.iter().map(|&c| self.kinds[c]).collect(),
            feature_cols,
            target: target.map(str::to_owned),
            target_col,
            target_numeric,
            records: feature_kinds.is_some(),
            sparse: matches!(self.inner, Inner::Sparse(_)),
        })
    }

    fn set_kinds(&mut self, kinds: Vec<ColumnKind>) -> Result<(), CliError> {
        if let Inner::Csv { current, .. } = &mut self.inner {
            current.set_kinds(kinds.clone())?;
        }
        self.kinds = kinds;
        Ok(())
    }

    /// The column names, in order.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The name of the current file or data set.
    pub fn name(&self) -> String {
        match &self.inner {
            Inner::Csv { current, .. } => current.name().to_owned(),
            Inner::Synth { name, .. } => name.clone(),
            Inner::Sparse(s) => s.name().to_owned(),
            Inner::CsvFast(s) => s.name().to_owned(),
            Inner::Taken => String::new(),
        }
    }

    /// Leaves the features of LIBSVM and VW rows in the parser's buffers instead of copying
    /// them into the [`RowBuf`] (for a model without a record stage), from now on: read the
    /// features of every later row with [`row`](Self::row), not [`RowBuf::row`].
    pub fn lend_rows(&mut self) {
        self.lend = true;
    }

    /// The features of the row [`next`](Self::next) put in `buf`, wherever they are.
    pub fn row<'a>(&'a self, buf: &'a RowBuf) -> Row<'a> {
        if buf.lent
            && let Inner::Sparse(stream) = &self.inner
            && let Some(row) = stream.current()
        {
            return row;
        }
        buf.row()
    }

    /// The row after the one [`next`](Self::next) gave last, when a LIBSVM or VW stream has
    /// it parsed already: a hint for the model's `prefetch` (other sources give none).
    pub fn peek(&self) -> Option<Row<'_>> {
        match &self.inner {
            Inner::Sparse(stream) => stream.peek(),
            _ => None,
        }
    }

    /// The next row into `buf`; `Ok(false)` at the end of the stream. With a record stage
    /// (`cols.records`) the row keeps its raw cells ([`RowBuf::record`]).
    pub fn next(&mut self, cols: &Columns, buf: &mut RowBuf) -> Result<bool, FeedError> {
        let more = self.next_raw(cols, buf)?;
        if more && cols.records && !matches!(self.inner, Inner::Csv { .. }) {
            let mut cells = std::mem::take(&mut buf.cells);
            tidewater::core::pipeline::row_as_record(buf.row(), &mut cells);
            buf.cells = cells;
        }
        Ok(more)
    }

    /// Moves a single CSV file of numeric features to a parser thread at its first row (see
    /// `stream::CsvStream`); other CSV streams stay on core's reader.
    fn try_fast_csv(&mut self, cols: &Columns) -> Result<(), FeedError> {
        self.fast_csv = false;
        if cols.records
            || cols
                .feature_cols
                .iter()
                .any(|&c| self.kinds[c] != ColumnKind::Numeric)
        {
            return Ok(());
        }
        let Inner::Csv { current, .. } = std::mem::replace(&mut self.inner, Inner::Taken) else {
            unreachable!("fast_csv is set for a CSV source only")
        };
        let plan = super::stream::CsvPlan {
            headers: self.headers.clone(),
            features: cols.feature_cols.clone(),
            target: cols.target_col,
        };
        let stream = super::stream::CsvStream::open(*current, plan).map_err(FeedError::Fatal)?;
        self.inner = Inner::CsvFast(Box::new(stream));
        Ok(())
    }

    fn next_raw(&mut self, cols: &Columns, buf: &mut RowBuf) -> Result<bool, FeedError> {
        buf.lent = false;
        if self.fast_csv {
            self.try_fast_csv(cols)?;
        }
        match &mut self.inner {
            Inner::Taken => return Ok(false),
            Inner::CsvFast(stream) => {
                return match stream.next() {
                    super::stream::CsvNext::Row {
                        name,
                        line,
                        features,
                        target,
                    } => {
                        buf.place.set(name, line, false);
                        buf.sparse = None;
                        buf.dense.clear();
                        buf.dense.extend_from_slice(features);
                        buf.target.clone_from(target);
                        Ok(true)
                    }
                    super::stream::CsvNext::Bad(m) => Err(FeedError::Row(m)),
                    super::stream::CsvNext::Fatal(m) => Err(FeedError::Fatal(CliError::input(m))),
                    super::stream::CsvNext::End => Ok(false),
                };
            }
            Inner::Csv {
                current,
                pending,
                record,
            } => loop {
                match current.next_record(record) {
                    Ok(true) => break,
                    Ok(false) => {
                        let Some(next) = pending.pop_front() else {
                            return Ok(false);
                        };
                        self.done_bytes += current.bytes_read();
                        let csv = open_csv(&next).map_err(FeedError::Fatal)?;
                        if csv.headers() != self.headers.as_slice() {
                            return Err(FeedError::Fatal(CliError::input(format!(
                                "{}: its header differs from the first file's",
                                next.display()
                            ))));
                        }
                        let csv = csv
                            .with_kinds(self.kinds.clone())
                            .map_err(|e| FeedError::Fatal(e.into()))?;
                        **current = csv;
                    }
                    Err(e @ Error::Parse { .. }) => return Err(FeedError::Row(e.to_string())),
                    Err(e) => return Err(FeedError::Fatal(e.into())),
                }
            },
            Inner::Synth {
                name,
                generator,
                remaining,
                row,
                full,
            } => {
                if *remaining == 0 {
                    return Ok(false);
                }
                *remaining -= 1;
                *row += 1;
                let n = full.len() - 1;
                let s = generator
                    .next_into(&mut full[..n])
                    .map_err(|e| FeedError::Fatal(e.into()))?;
                full[n] = s.target;
                buf.place.set(name, *row as u64, true);
                buf.sparse = None;
                buf.dense.clear();
                buf.dense.extend(cols.feature_cols.iter().map(|&c| full[c]));
                buf.target = cols.target_col.map(|c| Cell::Num(full[c]));
                return Ok(true);
            }
            Inner::Sparse(stream) => {
                let lend = self.lend;
                let dim = stream.dim();
                return match stream.next() {
                    super::stream::Next::Row {
                        name,
                        line,
                        label,
                        indices,
                        values,
                    } => {
                        buf.place.set(name, line, false);
                        buf.target = cols.target_col.map(|_| Cell::Num(label));
                        buf.lent = lend && !cols.records;
                        if buf.lent {
                            buf.sparse = None;
                            return Ok(true);
                        }
                        let (d, idx, val) = buf.sparse.get_or_insert_with(Default::default);
                        *d = dim;
                        idx.clear();
                        idx.extend_from_slice(indices);
                        val.clear();
                        val.extend_from_slice(values);
                        buf.target = cols.target_col.map(|_| Cell::Num(label));
                        Ok(true)
                    }
                    super::stream::Next::Bad(m) => Err(FeedError::Row(m)),
                    super::stream::Next::Fatal(m) => Err(FeedError::Fatal(CliError::input(m))),
                    super::stream::Next::End => Ok(false),
                };
            }
        }
        let Inner::Csv {
            current, record, ..
        } = &self.inner
        else {
            unreachable!()
        };
        buf.place.set(current.name(), record.line, false);
        buf.sparse = None;
        buf.dense.clear();
        if cols.records {
            buf.cells.clear();
            buf.cells
                .extend(cols.feature_cols.iter().map(|&c| record.cells[c].clone()));
            buf.target = cols.target_col.map(|c| record.cells[c].clone());
            return Ok(true);
        }
        for (j, &c) in cols.feature_cols.iter().enumerate() {
            match &record.cells[c] {
                Cell::Num(v) => buf.dense.push(*v),
                Cell::Missing => {
                    return Err(FeedError::Row(format!(
                        "{}: column `{}`: missing value (no imputer in this pipeline)",
                        buf.place, cols.features[j]
                    )));
                }
                Cell::Text(t) => {
                    return Err(FeedError::Row(format!(
                        "{}: column `{}`: {} is not a number",
                        buf.place,
                        cols.features[j],
                        quote(t)
                    )));
                }
            }
        }
        buf.target = cols.target_col.map(|c| record.cells[c].clone());
        Ok(true)
    }

    /// Reads every remaining row into a table of records (the batch path of a model with a
    /// record stage) and its target column. `labels` decides whether the target becomes
    /// class labels or values. A row whose cells the schema refuses (or whose target is
    /// missing) is an error naming its place, or skipped with `skip_bad`.
    ///
    /// `target` says what becomes of the target column (a transformer ignores it).
    /// `check` is the record stage's check of what needs no learned state; `places` gets
    /// each kept row's `file:line`, to name the row of an error found while fitting.
    pub fn collect_table(
        &mut self,
        cols: &Columns,
        target: TargetUse,
        how: &mut Reading<'_>,
        check: impl Fn(&[Cell]) -> Result<(), Error>,
        places: &mut Vec<String>,
    ) -> Result<(Table, Vec<Targets>), CliError> {
        let mut table = Table::new(cols.schema()?);
        let mut buf = RowBuf::default();
        let mut ys_l: Vec<Label> = Vec::new();
        let mut ys_v: Vec<f64> = Vec::new();
        while how.limit.is_none_or(|l| table.n_rows() + how.skipped < l) {
            how.progress
                .tick(table.n_rows() + how.skipped, || self.bytes_read());
            let bad = match self.next(cols, &mut buf) {
                Ok(false) => break,
                Ok(true) => {
                    let t = cols.target.as_deref().unwrap_or("target");
                    let target = match (&cols.target, target) {
                        (None, _) | (Some(_), TargetUse::Ignore) => Ok(None),
                        (Some(_), TargetUse::Labels) => buf.label(t).map(|l| Some(Ok(l))),
                        (Some(_), TargetUse::Values) => buf.value(t).map(|v| Some(Err(v))),
                    };
                    let pushed = target.and_then(|y| {
                        check(buf.record())?;
                        table.push(buf.record()).map(|()| y)
                    });
                    match pushed {
                        Ok(y) => {
                            places.push(buf.place.to_string());
                            match y {
                                Some(Ok(l)) => ys_l.push(l),
                                Some(Err(v)) => ys_v.push(v),
                                None => {}
                            }
                            None
                        }
                        Err(e) => Some(format!("{}: {}", buf.place, strip_row(e))),
                    }
                }
                Err(FeedError::Row(m)) => Some(m),
                Err(FeedError::Fatal(e)) => return Err(e),
            };
            if let Some(m) = bad {
                if how.skip_bad {
                    how.skipped += 1;
                    continue;
                }
                return Err(CliError::Input(m));
            }
        }
        if table.n_rows() == 0 {
            return Err(CliError::input(format!("{}: no data rows", self.name())));
        }
        let targets = match (&cols.target, target) {
            (None, _) | (Some(_), TargetUse::Ignore) => Vec::new(),
            (Some(_), TargetUse::Labels) => vec![Targets::Labels(ys_l)],
            (Some(_), TargetUse::Values) => vec![Targets::Values(ys_v)],
        };
        Ok((table, targets))
    }

    /// Reads every remaining row into a data set (for the batch path). `labels` decides
    /// whether the target becomes class labels or values.
    pub fn collect(
        &mut self,
        cols: &Columns,
        labels: bool,
        how: &mut Reading<'_>,
    ) -> Result<Dataset, CliError> {
        let mut buf = RowBuf::default();
        let mut x: Vec<f64> = Vec::new();
        let mut sparse: Option<tidewater::CsrMatrix> = None;
        let mut ys_l: Vec<Label> = Vec::new();
        let mut ys_v: Vec<f64> = Vec::new();
        let mut n = 0usize;
        while how.limit.is_none_or(|l| n + how.skipped < l) {
            how.progress.tick(n + how.skipped, || self.bytes_read());
            let bad = match self.next(cols, &mut buf) {
                Ok(false) => break,
                Ok(true) => {
                    let t = cols.target.as_deref().unwrap_or("target");
                    let target = match (&cols.target, labels) {
                        (None, _) => Ok(()),
                        (Some(_), true) => buf.label(t).map(|l| ys_l.push(l)),
                        (Some(_), false) => buf.value(t).map(|v| ys_v.push(v)),
                    };
                    let checked = target.and_then(|()| buf.row().check(None));
                    match checked {
                        Ok(()) => None,
                        Err(e) => {
                            // Undo a target pushed before a feature check failed.
                            if ys_l.len() > n {
                                ys_l.pop();
                            }
                            if ys_v.len() > n {
                                ys_v.pop();
                            }
                            Some(format!("{}: {}", buf.place, cols.name_feature(e)))
                        }
                    }
                }
                Err(FeedError::Row(m)) => Some(m),
                Err(FeedError::Fatal(e)) => return Err(e),
            };
            if let Some(m) = bad {
                if how.skip_bad {
                    how.skipped += 1;
                    continue;
                }
                return Err(CliError::Input(m));
            }
            match buf.row() {
                Row::Dense(d) => x.extend_from_slice(d),
                Row::Sparse(s) => {
                    let m = sparse.get_or_insert_with(|| tidewater::CsrMatrix::new(s.dim()));
                    m.push_row(s.indices(), s.values())?;
                }
            }
            n += 1;
        }
        if n == 0 {
            return Err(CliError::input(format!("{}: no data rows", self.name())));
        }
        let features = match sparse {
            Some(m) => FeatureMatrix::Sparse(m),
            None => FeatureMatrix::Dense(
                ndarray::Array2::from_shape_vec((n, cols.features.len()), x)
                    .map_err(|e| CliError::Internal(e.to_string()))?,
            ),
        };
        let (targets, names) = match &cols.target {
            None => (Vec::new(), Vec::new()),
            Some(t) if labels => (vec![Targets::Labels(ys_l)], vec![t.clone()]),
            Some(t) => (vec![Targets::Values(ys_v)], vec![t.clone()]),
        };
        let feature_names = match &features {
            // A LIBSVM or VW stream's one pseudo-column stands for every index.
            FeatureMatrix::Sparse(m) if m.n_cols() != cols.features.len() => {
                (0..m.n_cols()).map(|i| format!("f{i}")).collect()
            }
            _ => cols.features.clone(),
        };
        let schema = tidewater::Schema::numeric(feature_names, names);
        Ok(Dataset::new(features, targets, schema)?)
    }
}

/// The description of the data set `name` (shipped, or `elec2`), or an error listing the
/// known names.
pub fn dataset_info(name: &str) -> Result<&'static tidewater::datasets::DatasetInfo, CliError> {
    tidewater::datasets::info(name).ok_or_else(|| {
        let mut known: Vec<&str> = tidewater::datasets::catalog()
            .iter()
            .map(|d| d.name)
            .collect();
        known.push(tidewater::datasets::ELEC2.name);
        let hint = if tidewater::datasets::synth::is_generator(name) {
            format!(" (`{name}` is a generator: use --synth)")
        } else {
            String::new()
        };
        CliError::input(format!(
            "unknown data set `{name}` (known: {}){hint}",
            known.join(", ")
        ))
    })
}

/// How the batch path reads its rows: at most `limit`, skipping bad ones (counted in
/// `skipped`) or stopping at the first, showing `progress`.
pub struct Reading<'a> {
    /// Stop after this many rows (good and skipped).
    pub limit: Option<usize>,
    /// Skip a bad row (`--on-error skip`) instead of stopping.
    pub skip_bad: bool,
    /// Rows skipped so far.
    pub skipped: usize,
    /// The progress display.
    pub progress: &'a super::output::Progress,
}

/// What the batch path makes of the target column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetUse {
    /// Left out (a transformer).
    Ignore,
    /// Class labels (a classifier).
    Labels,
    /// Numbers (a regressor).
    Values,
}

/// An error without the `row N:` a table adds (the place already says where).
fn strip_row(e: Error) -> Error {
    match e {
        Error::InRow { source, .. } => *source,
        e => e,
    }
}
