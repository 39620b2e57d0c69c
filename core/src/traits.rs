//! The traits of the two paths: batch fit from params, and a model that learns one row (or a
//! mini-batch) at a time and predicts or transforms the same way whichever path made it.
//!
//! Every trait here is object-safe, so a program or a pipeline can hold `Box<dyn Classifier>`,
//! `Box<dyn Regressor>`, `Box<dyn Transformer>` or `Box<dyn Clusterer>`.

use ndarray::Array2;

use crate::dataset::{Batch, Dataset};
use crate::error::{Error, Result};
use crate::label::{ClassSet, Label};
use crate::row::{Row, check_weight};

/// Batch path: hyper-parameters fit a model on a whole data set.
pub trait Fit {
    /// The model the params produce.
    type Model;
    /// Validates the params and learns from every row of `data`.
    fn fit(&self, data: &Dataset) -> Result<Self::Model>;
}

/// Stream path: hyper-parameters build an empty model that then learns row by row.
pub trait Build {
    /// The model the params produce.
    type Model;
    /// Validates the params and returns a model that has seen nothing.
    fn build(&self) -> Result<Self::Model>;
}

fn check_lengths(what: &str, rows: usize, got: usize) -> Result<()> {
    if rows == got {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            what: what.into(),
            expected: rows,
            got,
        })
    }
}

/// Checks every row of a batch and weight before any learning (so a bad row leaves the model
/// as it was) with the model's own row check.
pub fn check_batch(
    x: Batch<'_>,
    n_targets: usize,
    weights: Option<&[f64]>,
    mut check: impl FnMut(Row<'_>) -> Result<()>,
) -> Result<()> {
    check_lengths("targets against rows", x.n_rows(), n_targets)?;
    if let Some(w) = weights {
        check_lengths("weights against rows", x.n_rows(), w.len())?;
    }
    for i in 0..x.n_rows() {
        let r = x.row(i).map_err(|e| e.in_row(i))?;
        check(r).map_err(|e| e.in_row(i))?;
        check_weight(weights.map(|w| w[i])).map_err(|e| e.in_row(i))?;
    }
    Ok(())
}

/// What a model built of trees shows of itself (`tidewater inspect`): its size and a text
/// rendering. Models that are not trees show nothing ([`Classifier::structure`] is `None`).
#[derive(Clone, Debug, PartialEq)]
pub struct Structure {
    /// Trees in the model (1 for a single tree).
    pub trees: usize,
    /// The deepest leaf's depth over the trees (the root is at depth 0).
    pub depth: usize,
    /// Nodes over the trees (branches and leaves).
    pub n_nodes: usize,
    /// Leaves over the trees.
    pub n_leaves: usize,
    /// Each feature's share of the impurity decrease, for the batch trees (scikit-learn's
    /// `feature_importances_`); none for the online trees.
    pub feature_importances: Option<Vec<f64>>,
    /// The model as text: each test and under it its subtree, features named from the names
    /// given (`x<j>` past their end).
    pub text: String,
    /// The model in Graphviz's dot language (a forest: one graph per tree, one after the other).
    pub dot: String,
}

/// A classifier: learns from labelled rows, predicts labels and class probabilities.
pub trait Classifier {
    /// The classes seen so far, sorted; probabilities are reported in this order.
    fn classes(&self) -> &ClassSet;

    /// The number of features the model expects, once known.
    fn n_features(&self) -> Option<usize>;

    /// Checks a row without learning: dimension and finiteness.
    fn check_row(&self, x: Row<'_>) -> Result<()> {
        x.check(self.n_features())
    }

    /// Told, before the first row, which features (0-based) of the data to come are nominal
    /// (category codes), as a data set's or a generator's schema says. A model that treats
    /// nominal features apart (the trees) takes them unless its parameters already name
    /// some; the default ignores them.
    fn set_nominal_features(&mut self, nominal: &[usize]) {
        let _ = nominal;
    }

    /// The model's trees, for inspection, with features named from `feature_names`; `None`
    /// (the default) for a model that is not made of trees.
    fn structure(&self, feature_names: &[String]) -> Option<Structure> {
        let _ = feature_names;
        None
    }

    /// Learns one observation with an optional sample weight (`None` is 1). A row rejected
    /// for bad values leaves the model exactly as it was.
    fn learn_one(&mut self, x: Row<'_>, y: &Label, weight: Option<f64>) -> Result<()>;

    /// Whether the model learns row by row: `Ok` for every model with a stream path (the
    /// default); a batch-only model (a CART tree, a random forest) returns the error its
    /// `learn_one` gives, so that a pipeline refuses a row before any of its stages learns
    /// it.
    fn check_learning(&self) -> Result<()> {
        Ok(())
    }

    /// A hint that `x` is the next row this model will see (a prequential loop calls it for
    /// row `i + 1` before working on row `i`): a model whose state outgrows the caches, such
    /// as FTRL over `2^20` hashed features, starts loading the state `x` will touch, so the
    /// next step does not wait on memory. It changes nothing, cannot fail and may be ignored;
    /// the default does nothing.
    #[inline]
    fn prefetch(&self, x: Row<'_>) {
        let _ = x;
    }

    /// Learns a mini-batch. Every row is checked first, so an error leaves the model as it
    /// was. The default learns row by row, [`prefetch`](Self::prefetch)ing each next sparse
    /// row.
    fn learn_many(&mut self, x: Batch<'_>, y: &[Label], weights: Option<&[f64]>) -> Result<()> {
        check_batch(x, y.len(), weights, |r| self.check_row(r))?;
        for (i, yi) in y.iter().enumerate() {
            let w = weights.map(|w| w[i]);
            if i + 1 < y.len()
                && let Batch::Sparse(m) = x
            {
                self.prefetch(Row::Sparse(m.row(i + 1)));
            }
            self.learn_one(x.row(i)?, yi, w).map_err(|e| e.in_row(i))?;
        }
        Ok(())
    }

    /// Writes the probability of each class (in [`classes`](Self::classes) order) into
    /// `out`, whose length must be the number of classes. Allocates nothing.
    fn predict_proba_into(&self, x: Row<'_>, out: &mut [f64]) -> Result<()>;

    /// The most probable class, or `None` before the model has seen any label.
    fn predict_one(&self, x: Row<'_>) -> Result<Option<Label>>;

    /// The prequential step in one call: writes the probabilities of `x` under the model as
    /// it stands into `out` (as [`predict_proba_into`](Self::predict_proba_into): one entry per
    /// class known *before* this row), returns the label [`predict_one`](Self::predict_one)
    /// gives, then learns `(x, y)`. The default makes those three calls; a model may override
    /// it to do the work in one pass over the row (one dot product for a linear model). An
    /// error leaves the model as it was.
    fn predict_then_learn(
        &mut self,
        x: Row<'_>,
        y: &Label,
        weight: Option<f64>,
        out: &mut [f64],
    ) -> Result<Option<Label>> {
        self.predict_proba_into(x, out)?;
        let prediction = self.predict_one(x)?;
        self.learn_one(x, y, weight)?;
        Ok(prediction)
    }

    /// Convenience: the class probabilities in a new vector.
    fn predict_proba_one(&self, x: Row<'_>) -> Result<Vec<f64>> {
        let mut out = vec![0.0; self.classes().len()];
        self.predict_proba_into(x, &mut out)?;
        Ok(out)
    }

    /// Predicts every row of a batch.
    fn predict_many(&self, x: Batch<'_>) -> Result<Vec<Option<Label>>> {
        (0..x.n_rows())
            .map(|i| {
                x.row(i)
                    .and_then(|r| self.predict_one(r))
                    .map_err(|e| e.in_row(i))
            })
            .collect()
    }

    /// Class probabilities for every row of a batch, one row per observation.
    fn predict_proba_many(&self, x: Batch<'_>) -> Result<Array2<f64>> {
        let k = self.classes().len();
        let mut out = Array2::zeros((x.n_rows(), k));
        for (i, mut o) in out.rows_mut().into_iter().enumerate() {
            let r = x.row(i).map_err(|e| e.in_row(i))?;
            let slice = o.as_slice_mut().expect("a fresh array is contiguous");
            self.predict_proba_into(r, slice).map_err(|e| e.in_row(i))?;
        }
        Ok(out)
    }
}

/// A regressor: learns from rows with real targets, predicts real values.
pub trait Regressor {
    /// The number of features the model expects, once known.
    fn n_features(&self) -> Option<usize>;

    /// Checks a row without learning: dimension and finiteness.
    fn check_row(&self, x: Row<'_>) -> Result<()> {
        x.check(self.n_features())
    }

    /// Told, before the first row, which features (0-based) of the data to come are nominal
    /// (category codes), as a data set's or a generator's schema says. A model that treats
    /// nominal features apart (the trees) takes them unless its parameters already name
    /// some; the default ignores them.
    fn set_nominal_features(&mut self, nominal: &[usize]) {
        let _ = nominal;
    }

    /// The model's trees, for inspection, with features named from `feature_names`; `None`
    /// (the default) for a model that is not made of trees.
    fn structure(&self, feature_names: &[String]) -> Option<Structure> {
        let _ = feature_names;
        None
    }

    /// Learns one observation with an optional sample weight (`None` is 1). A rejected row
    /// leaves the model exactly as it was.
    fn learn_one(&mut self, x: Row<'_>, y: f64, weight: Option<f64>) -> Result<()>;

    /// Whether the model learns row by row, as [`Classifier::check_learning`].
    fn check_learning(&self) -> Result<()> {
        Ok(())
    }

    /// A hint that `x` is the next row this model will see (a prequential loop calls it for
    /// row `i + 1` before working on row `i`), as [`Classifier::prefetch`]: a model whose
    /// state outgrows the caches may start loading what `x` will touch. It changes nothing,
    /// cannot fail and may be ignored; the default does nothing.
    #[inline]
    fn prefetch(&self, x: Row<'_>) {
        let _ = x;
    }

    /// Learns a mini-batch; every row is checked first. The default learns row by row,
    /// [`prefetch`](Self::prefetch)ing each next sparse row.
    fn learn_many(&mut self, x: Batch<'_>, y: &[f64], weights: Option<&[f64]>) -> Result<()> {
        check_batch(x, y.len(), weights, |r| self.check_row(r))?;
        for (i, &yi) in y.iter().enumerate() {
            if !yi.is_finite() {
                return Err(Error::BadValue {
                    location: crate::error::Location::Target,
                    reason: format!("value {yi} is not finite"),
                }
                .in_row(i));
            }
        }
        for (i, &yi) in y.iter().enumerate() {
            let w = weights.map(|w| w[i]);
            if i + 1 < y.len()
                && let Batch::Sparse(m) = x
            {
                self.prefetch(Row::Sparse(m.row(i + 1)));
            }
            self.learn_one(x.row(i)?, yi, w).map_err(|e| e.in_row(i))?;
        }
        Ok(())
    }

    /// The prediction for one row (0 before the model has learned anything, as River does).
    fn predict_one(&self, x: Row<'_>) -> Result<f64>;

    /// Predicts every row of a batch.
    fn predict_many(&self, x: Batch<'_>) -> Result<Vec<f64>> {
        (0..x.n_rows())
            .map(|i| {
                x.row(i)
                    .and_then(|r| self.predict_one(r))
                    .map_err(|e| e.in_row(i))
            })
            .collect()
    }
}

/// A transformer: learns statistics from rows (no target) and maps rows to new rows.
pub trait Transformer {
    /// The number of input features, once known.
    fn n_features_in(&self) -> Option<usize>;

    /// The number of output features, once known.
    fn n_features_out(&self) -> Option<usize>;

    /// Names of the output columns, given the input column names.
    fn feature_names_out(&self, input: &[String]) -> Vec<String>;

    /// Checks a row without learning: dimension and finiteness.
    fn check_row(&self, x: Row<'_>) -> Result<()> {
        x.check(self.n_features_in())
    }

    /// Updates the statistics with one row and an optional weight (`None` is 1). A rejected
    /// row leaves the transformer exactly as it was.
    fn learn_one(&mut self, x: Row<'_>, weight: Option<f64>) -> Result<()>;

    /// Updates with a mini-batch; every row is checked first. The default learns row by row.
    fn learn_many(&mut self, x: Batch<'_>, weights: Option<&[f64]>) -> Result<()> {
        check_batch(x, x.n_rows(), weights, |r| self.check_row(r))?;
        for i in 0..x.n_rows() {
            let w = weights.map(|w| w[i]);
            self.learn_one(x.row(i)?, w).map_err(|e| e.in_row(i))?;
        }
        Ok(())
    }

    /// Transforms one row into `out` (length [`n_features_out`](Self::n_features_out)).
    /// Allocates nothing.
    fn transform_one(&self, x: Row<'_>, out: &mut [f64]) -> Result<()>;

    /// Transforms every row of a batch.
    fn transform_many(&self, x: Batch<'_>) -> Result<Array2<f64>> {
        let k = self
            .n_features_out()
            .ok_or_else(|| Error::NotFitted("the transformer has seen no row".into()))?;
        let mut out = Array2::zeros((x.n_rows(), k));
        for (i, mut o) in out.rows_mut().into_iter().enumerate() {
            let r = x.row(i).map_err(|e| e.in_row(i))?;
            let slice = o.as_slice_mut().expect("a fresh array is contiguous");
            self.transform_one(r, slice).map_err(|e| e.in_row(i))?;
        }
        Ok(out)
    }
}

/// A clusterer: learns from rows without a target, assigns a row to a cluster and measures
/// its distance to every cluster's center.
pub trait Clusterer {
    /// The number of features the model expects, once known.
    fn n_features(&self) -> Option<usize>;

    /// The number of clusters the model has now (0 before any center exists): the length of
    /// the buffer [`distances_into`](Self::distances_into) fills, and one more than the
    /// largest index [`predict_one`](Self::predict_one) gives.
    fn n_clusters(&self) -> usize;

    /// Checks a row without learning: dimension and finiteness.
    fn check_row(&self, x: Row<'_>) -> Result<()> {
        x.check(self.n_features())
    }

    /// Whether the model learns row by row, as [`Classifier::check_learning`]: `Ok` (the
    /// default) for every model with a stream path.
    fn check_learning(&self) -> Result<()> {
        Ok(())
    }

    /// Learns one row with an optional sample weight (`None` is 1). A row rejected for bad
    /// values leaves the model exactly as it was.
    fn learn_one(&mut self, x: Row<'_>, weight: Option<f64>) -> Result<()>;

    /// Learns a mini-batch. Every row and weight is checked first, so an error leaves the
    /// model as it was. The default learns row by row.
    fn learn_many(&mut self, x: Batch<'_>, weights: Option<&[f64]>) -> Result<()> {
        check_batch(x, x.n_rows(), weights, |r| self.check_row(r))?;
        for i in 0..x.n_rows() {
            let w = weights.map(|w| w[i]);
            self.learn_one(x.row(i)?, w).map_err(|e| e.in_row(i))?;
        }
        Ok(())
    }

    /// The index of the cluster `x` belongs to (its nearest center, unless the model
    /// documents another rule: CluStream's is the cluster of `x`'s nearest micro-cluster),
    /// or `None` before any center exists.
    fn predict_one(&self, x: Row<'_>) -> Result<Option<usize>>;

    /// Writes the Euclidean distance from `x` to each cluster's center, in cluster order,
    /// into `out`, whose length must be [`n_clusters`](Self::n_clusters). Allocates nothing.
    fn distances_into(&self, x: Row<'_>, out: &mut [f64]) -> Result<()>;

    /// The prequential step in one call: the cluster of `x` and its squared distance to that
    /// cluster's center, both as the model stood before this row (`None` before any center
    /// exists), then learns `x`. Everything is checked before anything changes, so an error
    /// leaves the model as it was. `scratch` is a buffer the default may use for the
    /// distances (kept by the caller between rows, so that nothing is allocated per row).
    ///
    /// The default is [`predict_one`](Self::predict_one),
    /// [`distances_into`](Self::distances_into), then [`learn_one`](Self::learn_one)
    /// ([`clusterer_step`]); a model overrides it to find the nearest center once.
    fn predict_then_learn(
        &mut self,
        x: Row<'_>,
        weight: Option<f64>,
        scratch: &mut Vec<f64>,
    ) -> Result<Option<(usize, f64)>> {
        clusterer_step(self, x, weight, scratch)
    }

    /// Predicts every row of a batch.
    fn predict_many(&self, x: Batch<'_>) -> Result<Vec<Option<usize>>> {
        (0..x.n_rows())
            .map(|i| {
                x.row(i)
                    .and_then(|r| self.predict_one(r))
                    .map_err(|e| e.in_row(i))
            })
            .collect()
    }

    /// The distances of every row of a batch to the centers, one row per observation.
    fn distances_many(&self, x: Batch<'_>) -> Result<Array2<f64>> {
        let k = self.n_clusters();
        let mut out = Array2::zeros((x.n_rows(), k));
        for (i, mut o) in out.rows_mut().into_iter().enumerate() {
            let r = x.row(i).map_err(|e| e.in_row(i))?;
            let slice = o.as_slice_mut().expect("a fresh array is contiguous");
            self.distances_into(r, slice).map_err(|e| e.in_row(i))?;
        }
        Ok(out)
    }
}

/// [`Clusterer::predict_then_learn`] by the model's separate calls: checks the row and the
/// weight, predicts, measures the distances into `scratch`, then learns.
pub fn clusterer_step<C: Clusterer + ?Sized>(
    model: &mut C,
    x: Row<'_>,
    weight: Option<f64>,
    scratch: &mut Vec<f64>,
) -> Result<Option<(usize, f64)>> {
    model.check_learning()?;
    model.check_row(x)?;
    check_weight(weight)?;
    let scored = match model.predict_one(x)? {
        Some(c) => {
            scratch.resize(model.n_clusters(), 0.0);
            model.distances_into(x, scratch)?;
            let d = scratch.get(c).copied().ok_or_else(|| {
                Error::Unsupported(format!(
                    "the clusterer predicted cluster {c} of {}",
                    scratch.len()
                ))
            })?;
            Some((c, d * d))
        }
        None => None,
    };
    model.learn_one(x, weight)?;
    Ok(scored)
}

/// Checks an output buffer's length.
#[inline]
pub fn check_out_len(what: &str, expected: usize, got: usize) -> Result<()> {
    check_lengths(what, expected, got)
}

/// Learns every row of a labelled data set into a classifier (its single target as labels,
/// its sample weights if any): the batch path of a model whose fit is its row loop.
pub fn learn_dataset(model: &mut dyn Classifier, data: &Dataset) -> Result<()> {
    if data.n_rows() == 0 {
        return Err(Error::Empty("the data set has no rows".into()));
    }
    let y = data.target()?.to_labels()?;
    model.learn_many(data.batch(), &y, data.weights.as_deref())
}

/// Learns every row of a data set with a real target into a regressor.
pub fn learn_dataset_regressor(model: &mut dyn Regressor, data: &Dataset) -> Result<()> {
    if data.n_rows() == 0 {
        return Err(Error::Empty("the data set has no rows".into()));
    }
    let y = data.target()?.to_values()?;
    model.learn_many(data.batch(), &y, data.weights.as_deref())
}

/// Learns every row of a data set into a clusterer (its sample weights if any; its targets,
/// if any, are not used): the batch path of a clusterer whose fit is its row loop.
pub fn learn_dataset_clusterer(model: &mut dyn Clusterer, data: &Dataset) -> Result<()> {
    if data.n_rows() == 0 {
        return Err(Error::Empty("the data set has no rows".into()));
    }
    model.learn_many(data.batch(), data.weights.as_deref())
}
