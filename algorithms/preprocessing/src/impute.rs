//! Imputers for record stages: [`StatImputerParams`] (mean, median, most frequent, constant;
//! River's `StatImputer`, scikit-learn's `SimpleImputer`) and [`PreviousImputerParams`]
//! (River's `PreviousImputer`).
//!
//! An imputer learns from the values present in its columns and fills the missing ones
//! ([`Cell::Missing`]). It is the only stage that accepts a missing value. When it has seen
//! no value of a column yet (and has no constant), a missing cell there is an error naming
//! the column: nothing is filled in silently.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, ensure, not_nan, same_len, within};
use tidewater_core::record::{Cell, ColumnKind, RecordSchema};
use tidewater_core::spec::{ParamValue, Params};
use tidewater_core::{Error, Location, Result};

use crate::common::{at_least_zero, weighted_quantile};
use crate::encode::key;
use crate::sketch::{DEFAULT_COMPRESSION, MAX_COMPRESSION, QuantileSketch};

/// The statistic a statistic imputer ([`StatImputerParams`]) fills with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Strategy {
    /// The weighted mean (numeric columns; exact on both paths).
    Mean,
    /// The median (numeric columns; exact in batch, a quantile sketch online).
    Median,
    /// The value with the largest weighted count, the first seen among ties (any column;
    /// exact on both paths).
    MostFrequent,
    /// `fill_value` (nothing is learned).
    Constant,
}

tidewater_core::param_choices!(Strategy {
    Mean => "mean",
    Median => "median",
    MostFrequent => "most_frequent",
    Constant => "constant",
});

/// Hyper-parameters of the statistic imputer of a record stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "stat_imputer",
    summary = "record stage: fill missing values with a running statistic (mean, median, most_frequent) or a constant",
    check = Self::check
)]
pub struct StatImputerParams {
    /// Columns to fill, by name (none: every numeric column for mean and median, every column for most_frequent, the columns of fill_value's kind for constant).
    #[param(default = None, skip_setter)]
    pub columns: Option<Vec<String>>,
    /// The statistic: mean (River's default), median, most_frequent or constant.
    #[param(default = Strategy::Mean)]
    pub strategy: Strategy,
    /// The value for strategy=constant: a number, or text for text columns.
    #[param(default = None, skip_setter)]
    pub fill_value: Option<Cell>,
    /// Size of the online median sketch.
    #[param(default = DEFAULT_COMPRESSION, ge = 10, le = MAX_COMPRESSION)]
    pub compression: usize,
}

impl StatImputerParams {
    /// Sets `columns`.
    pub fn columns<S: Into<String>>(mut self, c: impl IntoIterator<Item = S>) -> Self {
        self.columns = Some(c.into_iter().map(Into::into).collect());
        self
    }
    /// Sets `fill_value` (and the strategy to `constant`).
    pub fn fill_value(mut self, v: Cell) -> Self {
        self.fill_value = Some(v);
        self.strategy = Strategy::Constant;
        self
    }

    fn check(&self) -> Result<()> {
        match (&self.fill_value, self.strategy) {
            (None, Strategy::Constant) => Err(Error::param(
                "fill_value",
                "strategy=constant needs a fill_value",
            )),
            (Some(Cell::Num(v)), _) if !v.is_finite() => {
                Err(Error::param("fill_value", "must be finite"))
            }
            (Some(Cell::Missing), _) => Err(Error::param("fill_value", "cannot be missing")),
            (Some(_), s) if s != Strategy::Constant => Err(Error::param(
                "fill_value",
                format!("is only for strategy=constant, not {}", s.to_value()),
            )),
            _ => Ok(()),
        }
    }
}

/// What a column's imputer remembers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum ColumnStat {
    Mean {
        weight: f64,
        mean: f64,
    },
    Median {
        sketch: QuantileSketch,
        value: Option<f64>,
    },
    Frequent(Counts),
    Constant(Cell),
    Previous(Option<Cell>),
}

/// Weighted counts of values in order of first appearance.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(from = "Vec<(Cell, f64)>", into = "Vec<(Cell, f64)>")]
struct Counts {
    values: Vec<(Cell, f64)>,
    index: HashMap<String, usize>,
}

impl PartialEq for Counts {
    fn eq(&self, o: &Self) -> bool {
        self.values.len() == o.values.len()
            && self
                .values
                .iter()
                .zip(&o.values)
                .all(|((a, x), (b, y))| a == b && x.to_bits() == y.to_bits())
    }
}

impl From<Vec<(Cell, f64)>> for Counts {
    fn from(values: Vec<(Cell, f64)>) -> Self {
        let index = values
            .iter()
            .enumerate()
            .filter_map(|(i, (c, _))| key(c).map(|k| (k.into_owned(), i)))
            .collect();
        Counts { values, index }
    }
}

impl From<Counts> for Vec<(Cell, f64)> {
    fn from(c: Counts) -> Self {
        c.values
    }
}

impl Counts {
    fn add(&mut self, c: &Cell, w: f64) {
        let Some(k) = key(c) else { return };
        match self.index.get(k.as_ref()) {
            Some(&i) => self.values[i].1 += w,
            None => {
                self.index.insert(k.into_owned(), self.values.len());
                self.values.push((c.clone(), w));
            }
        }
    }
    fn mode(&self) -> Option<&Cell> {
        let mut best: Option<(usize, f64)> = None;
        for (i, (_, n)) in self.values.iter().enumerate() {
            if *n > 0.0 && best.is_none_or(|(_, b)| *n > b) {
                best = Some((i, *n));
            }
        }
        best.map(|(i, _)| &self.values[i].0)
    }
}

/// A value an imputer keeps to fill with: a finite number or text, never a missing value
/// (it would fill nothing) nor a number a record cannot hold.
fn check_cell(what: &str, c: &Cell) -> StateResult {
    match c {
        Cell::Missing => Err(format!("{what}: a missing value")),
        Cell::Num(v) => ensure(v.is_finite(), || format!("{what}: {v} is not finite")),
        Cell::Text(_) => Ok(()),
    }
}

impl Counts {
    /// Each value a cell to fill with, counted by a weight not negative nor NaN (weighted
    /// sums may overflow to infinity), once: the lookup index, rebuilt from the list on
    /// load, agrees with it.
    fn check(&self) -> StateResult {
        for (i, (c, w)) in self.values.iter().enumerate() {
            within(
                format_args!("counts[{i}]"),
                check_cell("value", c).and_then(|()| at_least_zero("weight", *w)),
            )?;
            let k = key(c).unwrap_or_default();
            match self.index.get(k.as_ref()) {
                Some(&j) if j == i => {}
                Some(&j) => return Err(format!("counts: `{k}` appears twice (at {i} and {j})")),
                None => return Err(format!("counts: `{k}` (at {i}) is not in the index")),
            }
        }
        same_len("counts: index", self.index.len(), self.values.len())
    }
}

impl ColumnStat {
    /// The statistic's own state: a mean's weight not negative and no NaN (a running mean of
    /// large values may overflow to infinity); a median's sketch consistent and its value
    /// not NaN; counts as [`Counts::check`]; a constant or previous value a cell to fill
    /// with.
    fn check(&self) -> StateResult {
        match self {
            ColumnStat::Mean { weight, mean } => {
                at_least_zero("weight", *weight)?;
                not_nan("mean", *mean)
            }
            ColumnStat::Median { sketch, value } => {
                within("sketch", sketch.check_state())?;
                value.map_or(Ok(()), |v| not_nan("median", v))
            }
            ColumnStat::Frequent(c) => c.check(),
            ColumnStat::Constant(c) => check_cell("constant", c),
            ColumnStat::Previous(c) => c.as_ref().map_or(Ok(()), |c| check_cell("previous", c)),
        }
    }

    /// What binding allows on a column of `kind`: a mean or a median only of a numeric
    /// column, and no text to fill a numeric one with.
    fn check_kind(&self, kind: ColumnKind) -> StateResult {
        if kind == ColumnKind::Nominal {
            return match self {
                ColumnStat::Mean { .. } | ColumnStat::Median { .. } => {
                    Err("a mean or a median of a text column".into())
                }
                _ => Ok(()),
            };
        }
        let text = match self {
            ColumnStat::Constant(c) | ColumnStat::Previous(Some(c)) => Some(c),
            ColumnStat::Frequent(counts) => counts
                .values
                .iter()
                .map(|(c, _)| c)
                .find(|c| matches!(c, Cell::Text(_))),
            _ => None,
        };
        match text {
            Some(Cell::Text(t)) => Err(format!("text `{t}` to fill a numeric column with")),
            _ => Ok(()),
        }
    }

    fn learn(&mut self, c: &Cell, w: f64) {
        if w <= 0.0 {
            return;
        }
        match (self, c) {
            (_, Cell::Missing) => {}
            (ColumnStat::Mean { weight, mean }, Cell::Num(v)) => {
                *weight += w;
                *mean += (v - *mean) * (w / *weight);
            }
            (ColumnStat::Median { sketch, value }, Cell::Num(v)) => {
                sketch.add(*v, w);
                *value = sketch.quantiles(&[0.5]).map(|q| q[0]);
            }
            (ColumnStat::Frequent(counts), c) => counts.add(c, w),
            (ColumnStat::Previous(last), c) => *last = Some(c.clone()),
            _ => {}
        }
    }

    fn value(&self) -> Option<Cell> {
        match self {
            ColumnStat::Mean { weight, mean } => (*weight > 0.0).then_some(Cell::Num(*mean)),
            ColumnStat::Median { value, .. } => value.map(Cell::Num),
            ColumnStat::Frequent(c) => c.mode().cloned(),
            ColumnStat::Constant(c) => Some(c.clone()),
            ColumnStat::Previous(c) => c.clone(),
        }
    }

    fn can_fill(&self) -> bool {
        match self {
            ColumnStat::Mean { weight, .. } => *weight > 0.0,
            ColumnStat::Median { value, .. } => value.is_some(),
            ColumnStat::Frequent(c) => c.mode().is_some(),
            ColumnStat::Constant(_) => true,
            ColumnStat::Previous(c) => c.is_some(),
        }
    }
}

/// Hyper-parameters of the previous-value imputer of a record stage (River's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "previous_imputer",
    summary = "record stage: fill a missing value with the last value seen in its column (River's PreviousImputer)"
)]
pub struct PreviousImputerParams {
    /// Columns to fill, by name (none: every column).
    #[param(default = None, skip_setter)]
    pub columns: Option<Vec<String>>,
}

impl PreviousImputerParams {
    /// Sets `columns`.
    pub fn columns<S: Into<String>>(mut self, c: impl IntoIterator<Item = S>) -> Self {
        self.columns = Some(c.into_iter().map(Into::into).collect());
        self
    }
}

/// An imputer bound to its columns (from [`StatImputerParams`] or [`PreviousImputerParams`]).
///
/// It learns from a record's present values (a row of weight 0 teaches nothing), and fills
/// each missing cell of its columns with the statistic as it stands. The batch path
/// (the record stage's `fit_table`) is the row loop, except for the median, which is exact in batch
/// (numpy's linear interpolation) and a t-digest online; `previous` fills with the last value
/// before, which in batch is the data set's last value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Imputer {
    kind: String,
    cols: Vec<usize>,
    names: Vec<String>,
    stats: Vec<ColumnStat>,
}

impl Imputer {
    /// Binds statistic-imputer parameters to a schema.
    pub fn bind_stat(params: &StatImputerParams, schema: &RecordSchema) -> Result<Self> {
        params.validate()?;
        let numeric_only = matches!(params.strategy, Strategy::Mean | Strategy::Median);
        let wanted_kind = match (&params.fill_value, params.strategy) {
            (_, Strategy::Mean | Strategy::Median) => Some(ColumnKind::Numeric),
            (Some(Cell::Num(_)), Strategy::Constant) => Some(ColumnKind::Numeric),
            (Some(Cell::Text(_)), Strategy::Constant) => Some(ColumnKind::Nominal),
            _ => None,
        };
        let (cols, names) = select(
            schema,
            &params.columns,
            wanted_kind,
            StatImputerParams::NAME,
        )?;
        let mut stats = Vec::with_capacity(cols.len());
        for (&j, n) in cols.iter().zip(&names) {
            let kind = schema.kinds()[j];
            if numeric_only && kind == ColumnKind::Nominal {
                return Err(Error::BadValue {
                    location: Location::Column(n.clone()),
                    reason: format!(
                        "strategy={} needs a numeric column, but this one holds text",
                        params.strategy.to_value()
                    ),
                });
            }
            stats.push(match params.strategy {
                Strategy::Mean => ColumnStat::Mean {
                    weight: 0.0,
                    mean: 0.0,
                },
                Strategy::Median => ColumnStat::Median {
                    sketch: QuantileSketch::new(params.compression),
                    value: None,
                },
                Strategy::MostFrequent => ColumnStat::Frequent(Counts::default()),
                Strategy::Constant => ColumnStat::Constant(match (&params.fill_value, kind) {
                    (Some(Cell::Num(v)), ColumnKind::Nominal) => Cell::Text(format!("{v}")),
                    (Some(Cell::Text(t)), ColumnKind::Numeric) => {
                        return Err(Error::BadValue {
                            location: Location::Column(n.clone()),
                            reason: format!("fill_value `{t}` is text, but the column is numeric"),
                        });
                    }
                    (Some(c), _) => c.clone(),
                    (None, _) => return Err(Error::param("fill_value", "missing")),
                }),
            });
        }
        Ok(Imputer {
            kind: format!(
                "{}(strategy={})",
                StatImputerParams::NAME,
                params.strategy.to_value()
            ),
            cols,
            names,
            stats,
        })
    }

    /// Binds previous-value-imputer parameters to a schema.
    pub fn bind_previous(params: &PreviousImputerParams, schema: &RecordSchema) -> Result<Self> {
        let (cols, names) = select(schema, &params.columns, None, PreviousImputerParams::NAME)?;
        let stats = vec![ColumnStat::Previous(None); cols.len()];
        Ok(Imputer {
            kind: PreviousImputerParams::NAME.into(),
            cols,
            names,
            stats,
        })
    }

    /// The names of the columns it fills.
    pub fn column_names(&self) -> &[String] {
        &self.names
    }

    /// The value each column's missing cells would be filled with now (`None` where there
    /// is none yet), in column order.
    pub fn fill_values(&self) -> Vec<Option<Cell>> {
        self.stats.iter().map(ColumnStat::value).collect()
    }

    /// Whether the imputer can fill column `j` (a record column index) now; `None` when the
    /// column is not one of its own.
    pub(crate) fn can_fill(&self, j: usize) -> Option<bool> {
        self.cols
            .iter()
            .position(|&c| c == j)
            .map(|k| self.stats[k].can_fill())
    }

    /// The error for a missing cell of column `j` that cannot be filled yet.
    pub(crate) fn cannot_fill(&self, j: usize) -> Error {
        let k = self.cols.iter().position(|&c| c == j).unwrap_or(0);
        Error::BadValue {
            location: Location::Column(self.names.get(k).cloned().unwrap_or_default()),
            reason: format!(
                "missing value, and `{}` has seen no value of this column yet",
                self.kind
            ),
        }
    }

    pub(crate) fn learn(&mut self, x: &[Cell], w: f64) {
        for (s, &j) in self.stats.iter_mut().zip(&self.cols) {
            s.learn(&x[j], w);
        }
    }

    /// Fills the missing cells of its columns; an error names a column it cannot fill.
    pub(crate) fn fill(&self, x: &mut [Cell]) -> Result<()> {
        for (s, &j) in self.stats.iter().zip(&self.cols) {
            if x[j].is_missing() {
                x[j] = s.value().ok_or_else(|| self.cannot_fill(j))?;
            }
        }
        Ok(())
    }

    /// The batch path over rows (row-major cells of `width` columns): the row loop, then the
    /// exact median for median columns.
    pub(crate) fn fit_rows(&mut self, cells: &[Cell], width: usize, weights: Option<&[f64]>) {
        for (i, r) in cells.chunks_exact(width.max(1)).enumerate() {
            self.learn(r, weights.map_or(1.0, |w| w[i]));
        }
        for (s, &j) in self.stats.iter_mut().zip(&self.cols) {
            if let ColumnStat::Median { value, .. } = s {
                let mut vals: Vec<(f64, f64)> = cells
                    .chunks_exact(width.max(1))
                    .enumerate()
                    .filter_map(|(i, r)| r[j].as_f64().map(|v| (v, weights.map_or(1.0, |w| w[i]))))
                    .collect();
                *value = weighted_quantile(&mut vals, 0.5);
            }
        }
    }
}

impl Imputer {
    /// Its columns against the record stage's schema (see
    /// [`check_bound_columns`](crate::encode::check_bound_columns)), and each statistic one
    /// binding allows on its column's kind.
    pub(crate) fn check_columns(&self, schema: &RecordSchema) -> StateResult {
        crate::encode::check_bound_columns(&self.cols, &self.names, schema)?;
        for ((s, &j), n) in self.stats.iter().zip(&self.cols).zip(&self.names) {
            within(
                format_args!("column `{n}`"),
                s.check_kind(schema.kinds()[j]),
            )?;
        }
        Ok(())
    }
}

impl CheckState for Imputer {
    /// A name and a statistic per column, each statistic consistent (see the statistics'
    /// checks). (Its columns are checked against the schema by the record stage, which
    /// holds it.)
    fn check_state(&self) -> StateResult {
        same_len("column names", self.names.len(), self.cols.len())?;
        same_len("statistics", self.stats.len(), self.cols.len())?;
        for (s, n) in self.stats.iter().zip(&self.names) {
            within(format_args!("column `{n}`"), s.check())?;
        }
        Ok(())
    }
}

fn select(
    schema: &RecordSchema,
    columns: &Option<Vec<String>>,
    kind: Option<ColumnKind>,
    component: &str,
) -> Result<(Vec<usize>, Vec<String>)> {
    let idx: Vec<usize> = match columns {
        Some(names) => names
            .iter()
            .map(|n| {
                schema.require(n).map_err(|_| Error::BadValue {
                    location: Location::Column(n.clone()),
                    reason: format!(
                        "`{component}` names a column the data does not have (columns: {})",
                        schema.names().join(", ")
                    ),
                })
            })
            .collect::<Result<_>>()?,
        None => (0..schema.len())
            .filter(|&i| kind.is_none_or(|k| schema.kinds()[i] == k))
            .collect(),
    };
    let names = idx.iter().map(|&i| schema.names()[i].clone()).collect();
    Ok((idx, names))
}
