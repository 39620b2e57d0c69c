//! Data sets (dense on ndarray, sparse as CSR), their schema, targets and mini-batches.

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::label::Label;
use crate::row::{Row, SparseRow};

/// A compressed sparse row matrix: row `i` holds `indices[indptr[i]..indptr[i+1]]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CsrMatrix {
    n_cols: usize,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f64>,
}

impl CsrMatrix {
    /// An empty matrix with `n_cols` columns, to be filled with [`push_row`](Self::push_row).
    pub fn new(n_cols: usize) -> Self {
        CsrMatrix {
            n_cols,
            indptr: vec![0],
            indices: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Appends a row of sorted, distinct indices below `n_cols`.
    pub fn push_row(&mut self, indices: &[u32], values: &[f64]) -> Result<()> {
        SparseRow::new(self.n_cols, indices, values)?;
        self.indices.extend_from_slice(indices);
        self.values.extend_from_slice(values);
        self.indptr.push(self.indices.len());
        Ok(())
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.indptr.len() - 1
    }

    /// Number of columns.
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// Row `i` as a sparse row.
    pub fn row(&self, i: usize) -> SparseRow<'_> {
        let (a, b) = (self.indptr[i], self.indptr[i + 1]);
        SparseRow::new(self.n_cols, &self.indices[a..b], &self.values[a..b])
            .expect("rows are checked when pushed")
    }
}

/// The features of a data set or mini-batch.
#[derive(Clone, Copy, Debug)]
pub enum Batch<'a> {
    /// Dense rows (one per ndarray row).
    Dense(ArrayView2<'a, f64>),
    /// Sparse rows.
    Sparse(&'a CsrMatrix),
}

impl<'a> Batch<'a> {
    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        match self {
            Batch::Dense(a) => a.nrows(),
            Batch::Sparse(m) => m.n_rows(),
        }
    }

    /// Number of features.
    pub fn n_cols(&self) -> usize {
        match self {
            Batch::Dense(a) => a.ncols(),
            Batch::Sparse(m) => m.n_cols(),
        }
    }

    /// Row `i`. Dense rows must be contiguous (standard layout); otherwise an error.
    #[inline]
    pub fn row(&self, i: usize) -> Result<Row<'a>> {
        // A dense matrix in standard layout (the usual case) gives its row as a sub-slice,
        // without building a view: this is on every prequential step's path.
        if let Batch::Dense(a) = self
            && let Some(all) = a.to_slice()
        {
            let d = a.ncols();
            return Ok(Row::Dense(&all[i * d..(i + 1) * d]));
        }
        self.row_other(i)
    }

    /// [`Self::row`] for sparse matrices and dense views in another layout.
    #[inline(never)]
    fn row_other(&self, i: usize) -> Result<Row<'a>> {
        match self {
            Batch::Dense(a) => {
                let a: ArrayView2<'a, f64> = *a;
                let r = a.index_axis_move(ndarray::Axis(0), i);
                r.to_slice().map(Row::Dense).ok_or_else(|| {
                    Error::Unsupported(
                        "dense batches must be in standard (row-major) layout".into(),
                    )
                })
            }
            Batch::Sparse(m) => Ok(Row::Sparse(m.row(i))),
        }
    }
}

impl<'a> From<ArrayView2<'a, f64>> for Batch<'a> {
    fn from(a: ArrayView2<'a, f64>) -> Self {
        Batch::Dense(a)
    }
}

impl<'a> From<&'a Array2<f64>> for Batch<'a> {
    fn from(a: &'a Array2<f64>) -> Self {
        Batch::Dense(a.view())
    }
}

impl<'a> From<&'a CsrMatrix> for Batch<'a> {
    fn from(m: &'a CsrMatrix) -> Self {
        Batch::Sparse(m)
    }
}

/// The features of a data set, owned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FeatureMatrix {
    /// Dense, row-major.
    Dense(Array2<f64>),
    /// Sparse, compressed rows.
    Sparse(CsrMatrix),
}

/// One target column: class labels or real values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Targets {
    /// Class labels, for classifiers.
    Labels(Vec<Label>),
    /// Real values, for regressors.
    Values(Vec<f64>),
}

impl Targets {
    /// Number of targets.
    pub fn len(&self) -> usize {
        match self {
            Targets::Labels(v) => v.len(),
            Targets::Values(v) => v.len(),
        }
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The targets as class labels (real values become numeric labels).
    pub fn to_labels(&self) -> Result<Vec<Label>> {
        match self {
            Targets::Labels(v) => Ok(v.clone()),
            Targets::Values(v) => v.iter().map(|&x| Label::num(x)).collect(),
        }
    }

    /// The targets as real values; an error naming the first text label.
    pub fn to_values(&self) -> Result<Vec<f64>> {
        match self {
            Targets::Values(v) => Ok(v.clone()),
            Targets::Labels(v) => v
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    l.as_f64().ok_or_else(|| {
                        Error::BadLabel {
                            label: l.to_string(),
                            reason: "a regression target must be a number".into(),
                        }
                        .in_row(i)
                    })
                })
                .collect(),
        }
    }
}

/// Names and kinds of a data set's columns.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    /// Feature column names, in feature order.
    pub features: Vec<String>,
    /// For each feature, its categories when it is nominal (the feature then holds the
    /// category's index as a number), or `None` when numeric.
    pub nominal: Vec<Option<Vec<String>>>,
    /// Target column names (none for unsupervised data, several for multi-output data).
    pub targets: Vec<String>,
}

impl Schema {
    /// A schema of numeric features and the given targets.
    pub fn numeric(features: Vec<String>, targets: Vec<String>) -> Self {
        let nominal = vec![None; features.len()];
        Schema {
            features,
            nominal,
            targets,
        }
    }

    /// The 0-based indices of the nominal features.
    pub fn nominal_indices(&self) -> Vec<usize> {
        self.nominal
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.as_ref().map(|_| i))
            .collect()
    }

    /// The names of the nominal features.
    pub fn nominal_features(&self) -> Vec<&str> {
        self.features
            .iter()
            .zip(&self.nominal)
            .filter(|(_, n)| n.is_some())
            .map(|(f, _)| f.as_str())
            .collect()
    }
}

/// A whole data set: features, zero or more target columns, optional sample weights, schema.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// The features.
    pub features: FeatureMatrix,
    /// The target columns, in the order of `schema.targets`.
    pub targets: Vec<Targets>,
    /// Optional sample weights, one per row.
    pub weights: Option<Vec<f64>>,
    /// Column names and kinds.
    pub schema: Schema,
}

impl Dataset {
    /// A dense data set with a single target, checking lengths.
    pub fn dense(x: Array2<f64>, y: Targets, schema: Schema) -> Result<Self> {
        Self::new(FeatureMatrix::Dense(x), vec![y], schema)
    }

    /// A data set with any number of target columns, checking lengths and names.
    pub fn new(features: FeatureMatrix, targets: Vec<Targets>, schema: Schema) -> Result<Self> {
        let ds = Dataset {
            features,
            targets,
            weights: None,
            schema,
        };
        let n = ds.n_rows();
        for t in &ds.targets {
            if t.len() != n {
                return Err(Error::LengthMismatch {
                    what: "targets against rows".into(),
                    expected: n,
                    got: t.len(),
                });
            }
        }
        if ds.schema.targets.len() != ds.targets.len() {
            return Err(Error::LengthMismatch {
                what: "target names against target columns".into(),
                expected: ds.targets.len(),
                got: ds.schema.targets.len(),
            });
        }
        if ds.schema.features.len() != ds.n_features() || ds.schema.nominal.len() != ds.n_features()
        {
            return Err(Error::LengthMismatch {
                what: "feature names against feature columns".into(),
                expected: ds.n_features(),
                got: ds.schema.features.len(),
            });
        }
        Ok(ds)
    }

    /// Sets sample weights, one per row.
    pub fn with_weights(mut self, w: Vec<f64>) -> Result<Self> {
        if w.len() != self.n_rows() {
            return Err(Error::LengthMismatch {
                what: "weights against rows".into(),
                expected: self.n_rows(),
                got: w.len(),
            });
        }
        self.weights = Some(w);
        Ok(self)
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        match &self.features {
            FeatureMatrix::Dense(a) => a.nrows(),
            FeatureMatrix::Sparse(m) => m.n_rows(),
        }
    }

    /// Number of features.
    pub fn n_features(&self) -> usize {
        match &self.features {
            FeatureMatrix::Dense(a) => a.ncols(),
            FeatureMatrix::Sparse(m) => m.n_cols(),
        }
    }

    /// The features as a batch view.
    pub fn batch(&self) -> Batch<'_> {
        match &self.features {
            FeatureMatrix::Dense(a) => Batch::Dense(a.view()),
            FeatureMatrix::Sparse(m) => Batch::Sparse(m),
        }
    }

    /// The single target of a supervised data set; an error when there is none or several.
    pub fn target(&self) -> Result<&Targets> {
        match self.targets.as_slice() {
            [t] => Ok(t),
            [] => Err(Error::Empty("the data set has no target column".into())),
            _ => Err(Error::Unsupported(format!(
                "the data set has {} target columns ({}): choose one",
                self.targets.len(),
                self.schema.targets.join(", ")
            ))),
        }
    }

    /// Keeps only the named target column.
    pub fn select_target(mut self, name: &str) -> Result<Self> {
        let i = self
            .schema
            .targets
            .iter()
            .position(|t| t == name)
            .ok_or_else(|| Error::Empty(format!("no target column named `{name}`")))?;
        let t = self.targets.swap_remove(i);
        self.targets = vec![t];
        self.schema.targets = vec![name.to_owned()];
        Ok(self)
    }
}
