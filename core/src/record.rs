//! Records: observations of raw cells (a number, a piece of text, or a missing value) before
//! they become feature vectors.
//!
//! A model takes a [`Row`]: finite numbers only. Encoders (one-hot, ordinal, hashing, bags of
//! words) and imputers need more: text categories and missing values. They work one step
//! earlier, on a *record*, a slice of [`Cell`]s in the order of a [`RecordSchema`]'s columns,
//! and are gathered into one **record stage** (a [`RecordTransformer`]) that stands in front
//! of a [`Pipeline`](crate::Pipeline) and turns each record into the numeric row the rest of
//! the pipeline uses.
//!
//! Missing values stay explicit: [`Cell::Missing`], never a silent NaN. A `Cell::Num` that is
//! not finite is an error naming its column; only an imputer turns a missing cell into a
//! value, and any other stage refuses it with an error naming the column.
//!
//! [`RecordClassifier`], [`RecordRegressor`] and [`RecordTransform`] are the record-level
//! forms of the model traits, implemented by pipelines, so a program can feed raw records
//! (as the command line does with CSV files holding text and empty fields).

use serde::{Deserialize, Serialize};

use crate::dataset::{CsrMatrix, FeatureMatrix};
use crate::error::{Error, Location, Result};
use crate::label::{ClassSet, Label};
use crate::row::{Row, SparseRow};

pub use crate::io::{Cell, ColumnKind};

/// The columns of a record: their names and kinds, in record order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordSchema {
    names: Vec<String>,
    kinds: Vec<ColumnKind>,
}

impl RecordSchema {
    /// A schema from column names and kinds; an error when their lengths differ or a name
    /// repeats.
    pub fn new(names: Vec<String>, kinds: Vec<ColumnKind>) -> Result<Self> {
        if names.len() != kinds.len() {
            return Err(Error::LengthMismatch {
                what: "column kinds against column names".into(),
                expected: names.len(),
                got: kinds.len(),
            });
        }
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return Err(Error::BadValue {
                    location: Location::Column(n.clone()),
                    reason: "the column name appears twice".into(),
                });
            }
        }
        Ok(RecordSchema { names, kinds })
    }

    /// A schema of numeric columns.
    pub fn numeric(names: Vec<String>) -> Result<Self> {
        let kinds = vec![ColumnKind::Numeric; names.len()];
        Self::new(names, kinds)
    }

    /// The column names, in record order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The column kinds, in record order.
    pub fn kinds(&self) -> &[ColumnKind] {
        &self.kinds
    }

    /// The number of columns.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when there are no columns.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The position of a column by name.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The position of a column by name, or an error naming it and listing the columns.
    pub fn require(&self, name: &str) -> Result<usize> {
        self.index(name).ok_or_else(|| Error::BadValue {
            location: Location::Column(name.to_owned()),
            reason: format!("no such column (columns: {})", self.names.join(", ")),
        })
    }

    /// Checks a record's shape and cells against the schema: one cell per column, no text in
    /// a numeric column, no non-finite number. Missing cells pass (the stages decide).
    pub fn check(&self, x: &[Cell]) -> Result<()> {
        if x.len() != self.names.len() {
            let missing: Vec<&str> = self.names[x.len().min(self.names.len())..]
                .iter()
                .map(String::as_str)
                .collect();
            return Err(if missing.is_empty() {
                Error::LengthMismatch {
                    what: "record cells against schema columns".into(),
                    expected: self.names.len(),
                    got: x.len(),
                }
            } else {
                Error::BadValue {
                    location: Location::Column(missing[0].to_owned()),
                    reason: format!(
                        "the record has {} cells for {} columns: missing {}",
                        x.len(),
                        self.names.len(),
                        missing.join(", ")
                    ),
                }
            });
        }
        for ((c, name), kind) in x.iter().zip(&self.names).zip(&self.kinds) {
            match (c, kind) {
                (Cell::Num(v), _) if !v.is_finite() => {
                    return Err(Error::BadValue {
                        location: Location::Column(name.clone()),
                        reason: format!(
                            "value {v} is not finite (a missing value is `Cell::Missing`, not NaN)"
                        ),
                    });
                }
                (Cell::Text(t), ColumnKind::Numeric) => {
                    return Err(Error::BadValue {
                        location: Location::Column(name.clone()),
                        reason: format!("`{t}` is not a number, but the column is numeric"),
                    });
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Arranges `(name, cell)` pairs, in any order, into a record in schema order: a column
    /// absent from `pairs` is [`Cell::Missing`] (an imputer may fill it; any other stage
    /// refuses it naming the column). A name that is not a column is an error naming it.
    pub fn arrange(&self, pairs: &[(&str, Cell)], out: &mut Vec<Cell>) -> Result<()> {
        out.clear();
        out.resize(self.names.len(), Cell::Missing);
        for (name, cell) in pairs {
            let i = self.require(name)?;
            out[i] = cell.clone();
        }
        Ok(())
    }
}

impl crate::check::CheckState for RecordSchema {
    /// As many kinds as names, and no name twice: what [`RecordSchema::new`] requires, and
    /// what [`index`](RecordSchema::index) and [`check`](RecordSchema::check) rely on (a
    /// repeated name would find only its first column; a missing kind would leave a column
    /// unchecked).
    fn check_state(&self) -> crate::check::StateResult {
        crate::check::same_len("column kinds", self.kinds.len(), self.names.len())?;
        let mut first = std::collections::HashMap::with_capacity(self.names.len());
        for (i, n) in self.names.iter().enumerate() {
            if let Some(j) = first.insert(n.as_str(), i) {
                return Err(format!(
                    "column names: `{n}` appears twice (columns {j} and {i})"
                ));
            }
        }
        Ok(())
    }
}

/// A table of records (row-major cells with a schema): the batch form of a record stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    schema: RecordSchema,
    cells: Vec<Cell>,
    n_rows: usize,
}

impl Table {
    /// An empty table with these columns.
    pub fn new(schema: RecordSchema) -> Self {
        Table {
            schema,
            cells: Vec::new(),
            n_rows: 0,
        }
    }

    /// Appends a record (one cell per column, checked against the schema).
    pub fn push(&mut self, record: &[Cell]) -> Result<()> {
        self.schema
            .check(record)
            .map_err(|e| e.in_row(self.n_rows))?;
        self.cells.extend_from_slice(record);
        self.n_rows += 1;
        Ok(())
    }

    /// The schema.
    pub fn schema(&self) -> &RecordSchema {
        &self.schema
    }

    /// The number of records.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Record `i` (`None` past the end).
    pub fn row(&self, i: usize) -> Option<&[Cell]> {
        let w = self.schema.len();
        (i < self.n_rows).then(|| &self.cells[i * w..(i + 1) * w])
    }

    /// The records in order.
    pub fn rows(&self) -> impl Iterator<Item = &[Cell]> {
        (0..self.n_rows).filter_map(|i| self.row(i))
    }
}

/// Where a record stage writes one record's features, dense or sparse, reused from one record
/// to the next so that a warm buffer allocates nothing.
///
/// [`start`](Self::start) sets the dimension and the form; [`add`](Self::add) adds a value to
/// a feature (so repeated features, as hashing makes, are summed in the order added);
/// [`row`](Self::row) reads the result.
#[derive(Clone, Debug, Default)]
pub struct FeatureBuf {
    dim: usize,
    sparse: bool,
    dense: Vec<f64>,
    entries: Vec<(u32, u32, f64)>,
    indices: Vec<u32>,
    values: Vec<f64>,
    finished: bool,
}

impl FeatureBuf {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Clears the buffer for a record of `dim` features, stored densely or sparsely.
    pub fn start(&mut self, dim: usize, sparse: bool) {
        self.dim = dim;
        self.sparse = sparse;
        self.entries.clear();
        self.indices.clear();
        self.values.clear();
        self.dense.clear();
        if !sparse {
            self.dense.resize(dim, 0.0);
        }
        self.finished = !sparse;
    }

    /// The dimension set by [`start`](Self::start).
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Whether the features are kept sparsely.
    pub fn is_sparse(&self) -> bool {
        self.sparse
    }

    /// Adds `value` to feature `index`; an index not below the dimension is an error.
    pub fn add(&mut self, index: usize, value: f64) -> Result<()> {
        if index >= self.dim || index > u32::MAX as usize {
            return Err(Error::DimensionMismatch {
                expected: self.dim,
                got: index + 1,
            });
        }
        if self.sparse {
            let pos = self.entries.len() as u32;
            self.entries.push((index as u32, pos, value));
            self.finished = false;
        } else {
            self.dense[index] += value;
        }
        Ok(())
    }

    /// Sorts the sparse entries and sums repeated features (in the order they were added).
    /// [`row`](Self::row) calls it when needed; it allocates nothing once the buffer is warm.
    pub fn finish(&mut self) {
        if self.finished {
            return;
        }
        // Position breaks ties, so the unstable (allocation-free) sort sums in added order.
        self.entries.sort_unstable_by_key(|&(i, p, _)| (i, p));
        self.indices.clear();
        self.values.clear();
        for &(i, _, v) in &self.entries {
            if self.indices.last() == Some(&i) {
                if let Some(last) = self.values.last_mut() {
                    *last += v;
                }
            } else {
                self.indices.push(i);
                self.values.push(v);
            }
        }
        self.finished = true;
    }

    /// The features as a row. A sparse buffer must be [`finish`](Self::finish)ed first (an
    /// unfinished one is an error).
    pub fn row(&self) -> Result<Row<'_>> {
        if !self.sparse {
            return Ok(Row::Dense(&self.dense));
        }
        if !self.finished {
            return Err(Error::Unsupported(
                "a sparse feature buffer was read before `finish`".into(),
            ));
        }
        Ok(Row::Sparse(SparseRow::new(
            self.dim,
            &self.indices,
            &self.values,
        )?))
    }

    /// Writes the features densely into `out` (length [`dim`](Self::dim)).
    pub fn write_dense(&mut self, out: &mut [f64]) -> Result<()> {
        crate::traits::check_out_len("output buffer", self.dim, out.len())?;
        self.finish();
        if self.sparse {
            out.fill(0.0);
            for (&i, &v) in self.indices.iter().zip(&self.values) {
                out[i as usize] = v;
            }
        } else {
            out.copy_from_slice(&self.dense);
        }
        Ok(())
    }
}

/// A record stage: learns from records of raw cells and turns each into a feature vector.
///
/// It is the first stage of a pipeline (the only place where text and missing values may
/// appear), follows River's learning order like every stage (it learns a record, then the
/// next stage sees the record transformed with the updated state), and has a batch path
/// ([`fit_table`](Self::fit_table)) that may do what only a whole data set allows (exact
/// medians, sorted categories).
///
/// Object-safe: `Box<dyn RecordTransformer>` works.
pub trait RecordTransformer {
    /// The input columns.
    fn schema(&self) -> &RecordSchema;

    /// The number of output features now (it may grow as encoders meet new categories).
    fn n_features_out(&self) -> usize;

    /// The number of output features after learning `x` (for checks made before learning).
    fn n_features_out_after(&self, x: &[Cell]) -> usize;

    /// Names of the output features.
    fn feature_names_out(&self) -> Vec<String>;

    /// Checks a record without learning: its shape and cells, missing values no stage can
    /// fill, categories a policy refuses. An error names the column.
    fn check_record(&self, x: &[Cell], learning: bool) -> Result<()>;

    /// Learns one record with an optional weight (`None` is 1). A refused record leaves the
    /// stage exactly as it was.
    fn learn_one(&mut self, x: &[Cell], weight: Option<f64>) -> Result<()>;

    /// Writes the features of one record into `out` (started and finished by the stage).
    fn transform_one(&self, x: &[Cell], out: &mut FeatureBuf) -> Result<()>;

    /// Batch path: learns every record of a table (every record is checked first, so an
    /// error leaves the stage as it was). The default learns record by record; a stage with
    /// batch-only behaviour overrides it.
    fn fit_table(&mut self, x: &Table, weights: Option<&[f64]>) -> Result<()> {
        check_table(self.schema(), x, weights)?;
        for (i, r) in x.rows().enumerate() {
            self.check_record(r, true).map_err(|e| e.in_row(i))?;
        }
        for (i, r) in x.rows().enumerate() {
            self.learn_one(r, weights.map(|w| w[i]))
                .map_err(|e| e.in_row(i))?;
        }
        Ok(())
    }

    /// Transforms every record of a table: a dense matrix, or a sparse one when the stage
    /// writes sparse features.
    fn transform_table(&self, x: &Table) -> Result<FeatureMatrix> {
        let mut buf = FeatureBuf::new();
        let k = self.n_features_out();
        let mut dense: Vec<f64> = Vec::new();
        let mut sparse: Option<CsrMatrix> = None;
        for (i, r) in x.rows().enumerate() {
            self.transform_one(r, &mut buf).map_err(|e| e.in_row(i))?;
            buf.finish();
            match buf.row()? {
                Row::Dense(d) => dense.extend_from_slice(d),
                Row::Sparse(s) => sparse
                    .get_or_insert_with(|| CsrMatrix::new(k))
                    .push_row(s.indices(), s.values())?,
            }
        }
        Ok(match sparse {
            Some(m) => FeatureMatrix::Sparse(m),
            None => FeatureMatrix::Dense(
                ndarray::Array2::from_shape_vec((x.n_rows(), k), dense)
                    .map_err(|e| Error::Unsupported(format!("cannot shape the features: {e}")))?,
            ),
        })
    }
}

/// Checks a table's schema and weights against a stage's before any learning.
pub fn check_table(schema: &RecordSchema, x: &Table, weights: Option<&[f64]>) -> Result<()> {
    if x.schema().names() != schema.names() {
        return Err(Error::Unsupported(format!(
            "the table's columns ({}) are not the stage's ({})",
            x.schema().names().join(", "),
            schema.names().join(", ")
        )));
    }
    if let Some(w) = weights {
        if w.len() != x.n_rows() {
            return Err(Error::LengthMismatch {
                what: "weights against rows".into(),
                expected: x.n_rows(),
                got: w.len(),
            });
        }
        for (i, &wi) in w.iter().enumerate() {
            crate::row::check_weight(Some(wi)).map_err(|e| e.in_row(i))?;
        }
    }
    Ok(())
}

impl<X: RecordTransformer + ?Sized> RecordTransformer for Box<X> {
    fn schema(&self) -> &RecordSchema {
        (**self).schema()
    }
    fn n_features_out(&self) -> usize {
        (**self).n_features_out()
    }
    fn n_features_out_after(&self, x: &[Cell]) -> usize {
        (**self).n_features_out_after(x)
    }
    fn feature_names_out(&self) -> Vec<String> {
        (**self).feature_names_out()
    }
    fn check_record(&self, x: &[Cell], learning: bool) -> Result<()> {
        (**self).check_record(x, learning)
    }
    fn learn_one(&mut self, x: &[Cell], weight: Option<f64>) -> Result<()> {
        (**self).learn_one(x, weight)
    }
    fn transform_one(&self, x: &[Cell], out: &mut FeatureBuf) -> Result<()> {
        (**self).transform_one(x, out)
    }
    fn fit_table(&mut self, x: &Table, weights: Option<&[f64]>) -> Result<()> {
        (**self).fit_table(x, weights)
    }
}

/// The record stage of a pipeline that has none: it never exists (`Option<NoRecordStage>` is
/// always `None`), so a pipeline without a record stage pays nothing for the possibility.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoRecordStage {}

impl RecordTransformer for NoRecordStage {
    fn schema(&self) -> &RecordSchema {
        match *self {}
    }
    fn n_features_out(&self) -> usize {
        match *self {}
    }
    fn n_features_out_after(&self, _: &[Cell]) -> usize {
        match *self {}
    }
    fn feature_names_out(&self) -> Vec<String> {
        match *self {}
    }
    fn check_record(&self, _: &[Cell], _: bool) -> Result<()> {
        match *self {}
    }
    fn learn_one(&mut self, _: &[Cell], _: Option<f64>) -> Result<()> {
        match *self {}
    }
    fn transform_one(&self, _: &[Cell], _: &mut FeatureBuf) -> Result<()> {
        match *self {}
    }
}

impl crate::check::CheckState for NoRecordStage {
    fn check_state(&self) -> crate::check::StateResult {
        match *self {}
    }
}

/// Reads a record of numbers into `out`; text or a missing cell is an error naming the
/// column (`names`, when given) or the feature index. This is what a pipeline without a
/// record stage does with a record.
pub fn numbers(x: &[Cell], names: Option<&[String]>, out: &mut Vec<f64>) -> Result<()> {
    out.clear();
    for (i, c) in x.iter().enumerate() {
        let location = || match names.and_then(|n| n.get(i)) {
            Some(n) => Location::Column(n.clone()),
            None => Location::Feature(i),
        };
        match c {
            Cell::Num(v) if v.is_finite() => out.push(*v),
            Cell::Num(v) => {
                return Err(Error::BadValue {
                    location: location(),
                    reason: format!("value {v} is not finite"),
                });
            }
            Cell::Missing => {
                return Err(Error::BadValue {
                    location: location(),
                    reason: "missing value (no imputer in this pipeline)".into(),
                });
            }
            Cell::Text(t) => {
                return Err(Error::BadValue {
                    location: location(),
                    reason: format!("`{t}` is not a number (no encoder in this pipeline)"),
                });
            }
        }
    }
    Ok(())
}

/// A classifier that takes records of raw cells (a pipeline with a record stage).
pub trait RecordClassifier {
    /// The classes seen so far, sorted.
    fn classes(&self) -> &ClassSet;
    /// Checks a record (and what learning it would do) without learning.
    fn check_record(&self, x: &[Cell]) -> Result<()>;
    /// Learns one record in River's order; a refused record leaves every stage as it was.
    fn learn_record(&mut self, x: &[Cell], y: &Label, weight: Option<f64>) -> Result<()>;
    /// Class probabilities in [`classes`](Self::classes) order into `out`.
    fn predict_proba_record_into(&self, x: &[Cell], out: &mut [f64]) -> Result<()>;
    /// The most probable class, or `None` before any label was seen.
    fn predict_record(&self, x: &[Cell]) -> Result<Option<Label>>;
}

/// A regressor that takes records of raw cells (a pipeline with a record stage).
pub trait RecordRegressor {
    /// Checks a record (and what learning it would do) without learning.
    fn check_record(&self, x: &[Cell]) -> Result<()>;
    /// Learns one record in River's order; a refused record leaves every stage as it was.
    fn learn_record(&mut self, x: &[Cell], y: f64, weight: Option<f64>) -> Result<()>;
    /// The prediction for one record (0 before anything was learned).
    fn predict_record(&self, x: &[Cell]) -> Result<f64>;
}

/// A transformer that takes records of raw cells (a pipeline with a record stage).
pub trait RecordTransform {
    /// Checks a record (and what learning it would do) without learning.
    fn check_record(&self, x: &[Cell]) -> Result<()>;
    /// Learns one record in River's order; a refused record leaves every stage as it was.
    fn learn_record(&mut self, x: &[Cell], weight: Option<f64>) -> Result<()>;
    /// The number of output features, once known.
    fn n_outputs(&self) -> Option<usize>;
    /// Transforms one record into `out` (length [`n_outputs`](Self::n_outputs)).
    fn transform_record(&self, x: &[Cell], out: &mut [f64]) -> Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sparse_buffer_sums_repeats_in_order_and_sorts() {
        let mut b = FeatureBuf::new();
        b.start(8, true);
        b.add(5, 1.0).unwrap();
        b.add(2, 2.0).unwrap();
        b.add(5, -3.0).unwrap();
        assert!(b.add(8, 1.0).is_err());
        b.finish();
        match b.row().unwrap() {
            Row::Sparse(s) => {
                assert_eq!(s.indices(), &[2, 5]);
                assert_eq!(s.values(), &[2.0, -2.0]);
            }
            r => panic!("sparse expected: {r:?}"),
        }
    }

    #[test]
    fn a_schema_names_missing_and_bad_cells() {
        let s = RecordSchema::new(
            vec!["a".into(), "b".into()],
            vec![ColumnKind::Numeric, ColumnKind::Nominal],
        )
        .unwrap();
        let e = s.check(&[Cell::Num(1.0)]).unwrap_err().to_string();
        assert!(e.contains("`b`"), "{e}");
        let e = s
            .check(&[Cell::Num(f64::NAN), Cell::Missing])
            .unwrap_err()
            .to_string();
        assert!(e.contains("`a`") && e.contains("Missing"), "{e}");
        let e = s
            .check(&[Cell::Text("x".into()), Cell::Missing])
            .unwrap_err()
            .to_string();
        assert!(e.contains("`a`"), "{e}");
        let mut r = Vec::new();
        s.arrange(&[("b", Cell::Text("t".into()))], &mut r).unwrap();
        assert_eq!(r, vec![Cell::Missing, Cell::Text("t".into())]);
        assert!(s.arrange(&[("zz", Cell::Missing)], &mut r).is_err());
    }

    #[test]
    fn a_loaded_schema_needs_a_kind_per_name_and_unique_names() {
        use crate::check::CheckState;
        let ok = RecordSchema::numeric(vec!["a".into(), "b".into()]).unwrap();
        assert_eq!(ok.check_state(), Ok(()));
        let short: RecordSchema =
            serde_json::from_str(r#"{"names":["a","b"],"kinds":["Numeric"]}"#).unwrap();
        let e = short.check_state().unwrap_err();
        assert!(e.starts_with("column kinds: 1 values"), "{e}");
        let twice: RecordSchema = serde_json::from_str(
            r#"{"names":["a","b","a"],"kinds":["Numeric","Nominal","Numeric"]}"#,
        )
        .unwrap();
        let e = twice.check_state().unwrap_err();
        assert!(e.contains("`a` appears twice (columns 0 and 2)"), "{e}");
    }
}
