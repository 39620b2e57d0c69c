//! Reading rows for the command line: CSV files (streamed), shipped data sets (streamed from
//! their embedded CSV), LIBSVM and VW files (loaded, sparse), bound to a model's columns.

use std::collections::VecDeque;
use std::io::Read;
use std::path::PathBuf;

use tidewater::core::io::{Cell, ColumnKind, CsvReader, Format, Record};
use tidewater::{Dataset, Error, FeatureMatrix, Label, Row, SparseRow, Targets};

use super::CliError;

/// Where rows come from.
pub enum SourceArg {
    /// `--data FILE...`, read in order as one stream.
    Files(Vec<PathBuf>),
    /// `--dataset NAME`.
    Dataset(String),
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
            SourceArg::Dataset(n) => n.clone(),
        }
    }
}

type BoxedCsv = CsvReader<Box<dyn Read>>;

enum Inner {
    Csv {
        current: Box<BoxedCsv>,
        pending: VecDeque<PathBuf>,
        record: Record,
    },
    Loaded {
        name: String,
        data: Box<Dataset>,
        pos: usize,
    },
}

/// A stream of rows with a header.
pub struct Feed {
    inner: Inner,
    headers: Vec<String>,
    kinds: Vec<ColumnKind>,
}

/// One row, bound to the model's columns.
#[derive(Default)]
pub struct RowBuf {
    dense: Vec<f64>,
    sparse: Option<(usize, Vec<u32>, Vec<f64>)>,
    /// The target cell, when the row has the target column.
    pub target: Option<Cell>,
    /// Where the row is: `file:line`.
    pub place: String,
}

impl RowBuf {
    /// The features.
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
            Some(Cell::Text(s)) => Ok(Label::Text(s.clone())),
            _ => Err(missing(target)),
        }
    }

    /// The target as a number; an error when missing or text.
    pub fn value(&self, target: &str) -> Result<f64, Error> {
        match &self.target {
            Some(Cell::Num(v)) => Ok(*v),
            Some(Cell::Text(s)) => Err(Error::BadValue {
                location: tidewater::core::Location::Column(target.into()),
                reason: format!("`{s}` is not a number, but a regressor needs numeric targets"),
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
}

/// A row-level problem (skippable with `--on-error skip`) or one that ends the run.
pub enum FeedError {
    /// This row is bad; the stream can go on.
    Row(String),
    /// The stream cannot go on.
    Fatal(CliError),
}

fn open_csv(path: &PathBuf) -> Result<BoxedCsv, CliError> {
    let f = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    let r: Box<dyn Read> = Box::new(std::io::BufReader::with_capacity(1 << 16, f));
    Ok(CsvReader::from_reader(r, &path.display().to_string())?)
}

impl Feed {
    /// Opens a source. `format` overrides detection by extension; `bits` is VW's hash size.
    pub fn open(source: &SourceArg, format: Option<&str>, bits: u32) -> Result<Feed, CliError> {
        match source {
            SourceArg::Dataset(name) => {
                let bytes = tidewater::datasets::csv_bytes(name).ok_or_else(|| {
                    let known: Vec<&str> = tidewater::datasets::catalog()
                        .iter()
                        .map(|d| d.name)
                        .collect();
                    CliError::input(format!(
                        "unknown data set `{name}` (known: {})",
                        known.join(", ")
                    ))
                })?;
                let r: Box<dyn Read> = Box::new(std::io::Cursor::new(bytes));
                let csv = CsvReader::from_reader(r, &format!("{name}.csv"))?;
                Ok(Self::from_csv(csv, VecDeque::new()))
            }
            SourceArg::Files(files) => {
                let first = files.first().ok_or_else(|| {
                    CliError::input("no data: give --data FILE or --dataset NAME")
                })?;
                let fmt = Format::detect(first, format)?;
                for f in &files[1..] {
                    let other = Format::detect(f, format)?;
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
                        Ok(Self::from_csv(csv, files[1..].iter().cloned().collect()))
                    }
                    Format::LibSvm | Format::Vw => {
                        if files.len() > 1 {
                            return Err(CliError::input(
                                "several LIBSVM or VW files in one stream are not supported yet: join them first",
                            ));
                        }
                        let data = match fmt {
                            Format::LibSvm => tidewater::core::io::load_libsvm(first, None)?,
                            _ => tidewater::core::io::load_vw(first, bits)?,
                        };
                        let mut headers = data.schema.features.clone();
                        headers.extend(data.schema.targets.iter().cloned());
                        let kinds = vec![ColumnKind::Numeric; headers.len()];
                        Ok(Feed {
                            inner: Inner::Loaded {
                                name: first.display().to_string(),
                                data: Box::new(data),
                                pos: 0,
                            },
                            headers,
                            kinds,
                        })
                    }
                }
            }
        }
    }

    fn from_csv(csv: BoxedCsv, pending: VecDeque<PathBuf>) -> Feed {
        Feed {
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
    pub fn bind_new(
        &mut self,
        target: Option<&str>,
        supervised: bool,
    ) -> Result<Columns, CliError> {
        let target_col = match target {
            Some(t) => Some(self.col(t).ok_or_else(|| {
                CliError::input(format!(
                    "{}: no target column `{t}` (columns: {})",
                    self.name(),
                    self.headers.join(", ")
                ))
            })?),
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
        let feature_cols: Vec<usize> = (0..self.headers.len())
            .filter(|&c| Some(c) != target_col)
            .collect();
        if feature_cols.is_empty() {
            return Err(CliError::input(format!(
                "{}: no feature columns",
                self.name()
            )));
        }
        for &c in &feature_cols {
            if self.kinds[c] == ColumnKind::Nominal {
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
            feature_cols,
            target: target_col.map(|c| self.headers[c].clone()),
            target_numeric: target_col.is_none_or(|c| self.kinds[c] == ColumnKind::Numeric),
            target_col,
        })
    }

    /// Binds the columns to a saved model's schema by name (order does not matter). The
    /// target column is used when `need_target`, and ignored otherwise.
    pub fn bind_saved(
        &mut self,
        features: &[String],
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
        for &c in &feature_cols {
            kinds[c] = ColumnKind::Numeric;
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
            feature_cols,
            target: target.map(str::to_owned),
            target_col,
            target_numeric,
        })
    }

    fn set_kinds(&mut self, kinds: Vec<ColumnKind>) -> Result<(), CliError> {
        if let Inner::Csv { current, .. } = &mut self.inner {
            // `with_kinds` takes the reader by value: stand a one-row reader in its place
            // meanwhile (an empty one cannot be built: it is an error).
            let stand_in: Box<dyn Read> = Box::new(&b"-\n0\n"[..]);
            let csv = std::mem::replace(current.as_mut(), CsvReader::from_reader(stand_in, "")?);
            **current = csv.with_kinds(kinds.clone())?;
        }
        self.kinds = kinds;
        Ok(())
    }

    /// The name of the current file or data set.
    pub fn name(&self) -> String {
        match &self.inner {
            Inner::Csv { current, .. } => current.name().to_owned(),
            Inner::Loaded { name, .. } => name.clone(),
        }
    }

    /// The next row into `buf`; `Ok(false)` at the end of the stream.
    pub fn next(&mut self, cols: &Columns, buf: &mut RowBuf) -> Result<bool, FeedError> {
        match &mut self.inner {
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
            Inner::Loaded { name, data, pos } => {
                if *pos >= data.n_rows() {
                    return Ok(false);
                }
                let i = *pos;
                *pos += 1;
                buf.place = format!("{name}:{}", i + 1);
                let r = data
                    .batch()
                    .row(i)
                    .map_err(|e| FeedError::Row(format!("{}: {e}", buf.place)))?;
                match r {
                    Row::Sparse(s) => {
                        let (dim, idx, val) = buf.sparse.get_or_insert_with(Default::default);
                        *dim = s.dim();
                        idx.clear();
                        idx.extend_from_slice(s.indices());
                        val.clear();
                        val.extend_from_slice(s.values());
                    }
                    Row::Dense(d) => {
                        buf.sparse = None;
                        buf.dense.clear();
                        buf.dense.extend_from_slice(d);
                    }
                }
                buf.target = cols.target_col.and_then(|_| match data.targets.first() {
                    Some(Targets::Values(v)) => Some(Cell::Num(v[i])),
                    Some(Targets::Labels(l)) => Some(match &l[i] {
                        Label::Num(v) => Cell::Num(*v),
                        Label::Text(s) => Cell::Text(s.clone()),
                    }),
                    None => None,
                });
                return Ok(true);
            }
        }
        let Inner::Csv {
            current, record, ..
        } = &self.inner
        else {
            unreachable!()
        };
        buf.place = format!("{}:{}", current.name(), record.line);
        buf.sparse = None;
        buf.dense.clear();
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
                        "{}: column `{}`: `{t}` is not a number",
                        buf.place, cols.features[j]
                    )));
                }
            }
        }
        buf.target = cols.target_col.map(|c| record.cells[c].clone());
        Ok(true)
    }

    /// Reads every remaining row into a data set (for the batch path). `labels` decides
    /// whether the target becomes class labels or values.
    pub fn collect(
        &mut self,
        cols: &Columns,
        labels: bool,
        limit: Option<usize>,
        skip_bad: bool,
        skipped: &mut usize,
    ) -> Result<Dataset, CliError> {
        let mut buf = RowBuf::default();
        let mut x: Vec<f64> = Vec::new();
        let mut sparse: Option<tidewater::CsrMatrix> = None;
        let mut ys_l: Vec<Label> = Vec::new();
        let mut ys_v: Vec<f64> = Vec::new();
        let mut n = 0usize;
        while limit.is_none_or(|l| n < l) {
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
                            Some(format!("{}: {e}", buf.place))
                        }
                    }
                }
                Err(FeedError::Row(m)) => Some(m),
                Err(FeedError::Fatal(e)) => return Err(e),
            };
            if let Some(m) = bad {
                if skip_bad {
                    *skipped += 1;
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
        let schema = tidewater::Schema::numeric(cols.features.clone(), names);
        Ok(Dataset::new(features, targets, schema)?)
    }
}
