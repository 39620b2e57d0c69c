//! scikit-learn's `RandomForestRegressor`, in batch: bootstrapped CART trees, grown in
//! parallel, whose predictions are averaged.

use std::fmt;

use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, within};
use tidewater_core::spec::Params;
use tidewater_core::{Batch, Build, Dataset, Fit, Regressor, Result, Row, Structure};

use crate::cart::{self, Columns, MaxFeatures, Target, Tree, TreeNode};
use crate::decision_tree_regressor::RegressionCriterion;
use crate::random_forest::{forest_importances, forest_weights, write_forest};

/// Hyper-parameters of [`RandomForestRegressor`] (scikit-learn's names and defaults; `seed`
/// is its `random_state`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "random_forest_regressor",
    summary = "random forest regressor: bootstrapped CART trees grown in parallel, predictions averaged (scikit-learn's RandomForestRegressor, the same forest for the same seed)",
    batch_only
)]
pub struct RandomForestRegressorParams {
    /// The number of trees.
    #[param(default = 100, ge = 1)]
    pub n_estimators: usize,
    /// How the trees score splits: squared_error.
    #[param(default = RegressionCriterion::SquaredError)]
    pub criterion: RegressionCriterion,
    /// The deepest a node may be (none: grow until the leaves are pure or too small).
    #[param(default = None, ge = 1)]
    pub max_depth: Option<usize>,
    /// Fewest distinct rows a node needs to be split (raised to 2 x min_samples_leaf).
    #[param(default = 2, ge = 2)]
    pub min_samples_split: usize,
    /// Fewest distinct rows each side of a split must keep.
    #[param(default = 1, ge = 1)]
    pub min_samples_leaf: usize,
    /// Features a node draws and evaluates: none (all: scikit-learn's 1.0), sqrt, log2, a count, or a fraction in (0, 1).
    #[param(default = MaxFeatures::All)]
    pub max_features: MaxFeatures,
    /// Each tree learns from n rows drawn with replacement (false: every tree sees every row).
    #[param(default = true)]
    pub bootstrap: bool,
    /// A node is split only if that lowers the weighted impurity by at least this much.
    #[param(default = 0.0, ge = 0)]
    pub min_impurity_decrease: f64,
    /// Seed of the trees' seeds, hence of their rows and feature orders (scikit-learn's random_state).
    #[param(default = 0)]
    pub seed: u32,
}

impl Build for RandomForestRegressorParams {
    type Model = RandomForestRegressor;
    /// A forest of no trees: it predicts 0 and refuses `learn_one` (use
    /// [`fit`](Fit::fit)).
    fn build(&self) -> Result<RandomForestRegressor> {
        self.validate()?;
        Ok(RandomForestRegressor {
            params: self.clone(),
            features: Vec::new(),
            n_features: None,
            trees: Vec::new(),
        })
    }
}

impl Fit for RandomForestRegressorParams {
    type Model = RandomForestRegressor;
    /// Grows the forest on every row of `data` (its single target). An error names the row
    /// and feature of a value that is not finite or beyond `f32`'s range, the row of a bad
    /// target; sample weights are taken only with `bootstrap = false`.
    fn fit(&self, data: &Dataset) -> Result<RandomForestRegressor> {
        self.validate()?;
        let cols = Columns::from_dataset(data)?;
        let y = cart::value_targets(data)?;
        let w = forest_weights(data, self.bootstrap)?;
        let rules = cart::rules(
            self.criterion.impurity(),
            self.max_depth,
            self.min_samples_split,
            self.min_samples_leaf,
            self.max_features,
            self.min_impurity_decrease,
            cols.d,
        )?;
        let trees = cart::grow_forest(
            &cols,
            Target::Values(&y),
            &w,
            &rules,
            self.n_estimators,
            self.bootstrap,
            self.seed,
        )?;
        Ok(RandomForestRegressor {
            params: self.clone(),
            features: data.schema.features.clone(),
            n_features: Some(cols.d),
            trees,
        })
    }
}

/// A random forest regressor: scikit-learn 1.9's `RandomForestRegressor`, the same forest
/// for the same rows, parameters and seed.
///
/// It grows as [`RandomForestClassifier`](crate::RandomForestClassifier) does (the same
/// seeds, bootstrap and parallel growth, independent of the number of threads), with
/// [`DecisionTreeRegressor`](crate::DecisionTreeRegressor)'s trees, evaluating every feature
/// at each node by default (scikit-learn's `max_features=1.0`, written `none` here). A
/// prediction is the trees' leaf means summed in order and divided by their number.
///
/// **Batch only.** Grown by [`Fit::fit`]; `learn_one` and `learn_many` refuse every row with
/// an [`Unsupported`](tidewater_core::Error::Unsupported) error naming the model and pointing
/// to `fit`, leaving the model unchanged. An unfitted forest predicts 0.
///
/// **Deliberate differences from scikit-learn.** Those of the classifier forest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RandomForestRegressor {
    params: RandomForestRegressorParams,
    features: Vec<String>,
    n_features: Option<usize>,
    trees: Vec<Tree>,
}

impl RandomForestRegressor {
    /// The hyper-parameters.
    pub fn params(&self) -> &RandomForestRegressorParams {
        &self.params
    }

    /// Whether the forest has been grown.
    pub fn is_fitted(&self) -> bool {
        !self.trees.is_empty()
    }

    /// The number of trees grown.
    pub fn n_trees(&self) -> usize {
        self.trees.len()
    }

    /// Each tree's depth, in order.
    pub fn depths(&self) -> Vec<usize> {
        self.trees.iter().map(|t| t.depth).collect()
    }

    /// Each tree's number of leaves, in order.
    pub fn n_leaves(&self) -> Vec<usize> {
        self.trees.iter().map(Tree::n_leaves).collect()
    }

    /// The number of nodes of all the trees.
    pub fn n_nodes(&self) -> usize {
        self.trees.iter().map(|t| t.nodes.len()).sum()
    }

    /// The nodes of tree `i` in preorder (see [`TreeNode`]); `None` past the last tree.
    pub fn tree_nodes(&self, i: usize) -> Option<Vec<TreeNode>> {
        self.trees.get(i).map(Tree::node_views)
    }

    /// The feature names of the data set the forest was grown on.
    pub fn feature_names(&self) -> &[String] {
        &self.features
    }

    /// Each feature's importance: the mean over the trees (those with more than one node)
    /// of their normalised importances, normalised again to sum to 1 (scikit-learn's
    /// `feature_importances_`; all zeros when every tree is a single leaf, empty before
    /// `fit`).
    pub fn feature_importances(&self) -> Vec<f64> {
        forest_importances(&self.trees, self.n_features)
    }
}

impl CheckState for RandomForestRegressor {
    /// Parameters in range (`max_features` too); fitted (a width) exactly when there are
    /// trees (`n_estimators` of them), each consistent with one value a node (see the CART
    /// tree's check) and grown on the forest's features.
    fn check_state(&self) -> StateResult {
        crate::check_params(&self.params)?;
        within("params.max_features", self.params.max_features.check())?;
        crate::random_forest::check_forest(
            &self.trees,
            self.n_features,
            self.params.n_estimators,
            1,
        )
    }
}

impl fmt::Display for RandomForestRegressor {
    /// A line for the forest, then one per tree: its depth, leaves and nodes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_forest(f, "random forest regressor", &self.trees)
    }
}

impl Regressor for RandomForestRegressor {
    /// Features named as in the data set the forest was grown on.
    fn structure(&self, _feature_names: &[String]) -> Option<Structure> {
        let value = |v: &[f64]| format!("value = {}", v[0]);
        Some(crate::random_forest::forest_structure(
            &self.trees,
            &self.features,
            "squared_error",
            self.to_string(),
            self.feature_importances(),
            &value,
        ))
    }

    fn n_features(&self) -> Option<usize> {
        self.n_features
    }

    /// Width, finiteness, and `f32`'s range (the trees compare features as `f32`).
    fn check_row(&self, x: Row<'_>) -> Result<()> {
        match self.n_features {
            Some(d) => cart::check_row(x, d),
            None => x.check(None),
        }
    }

    /// Always an error: the model is grown from a whole data set by `fit`.
    fn check_learning(&self) -> Result<()> {
        Err(cart::batch_only(
            RandomForestRegressorParams::NAME,
            "RandomForestRegressorParams",
        ))
    }

    /// Refused (see [`check_learning`](Regressor::check_learning)); the model is unchanged.
    fn learn_one(&mut self, _: Row<'_>, _: f64, _: Option<f64>) -> Result<()> {
        self.check_learning()
    }

    /// Refused, as `learn_one`.
    fn learn_many(&mut self, _: Batch<'_>, _: &[f64], _: Option<&[f64]>) -> Result<()> {
        self.check_learning()
    }

    fn predict_one(&self, x: Row<'_>) -> Result<f64> {
        let Some(d) = self.n_features else {
            x.check(None)?;
            return Ok(0.0);
        };
        cart::check_row(x, d)?;
        let mut sum = 0.0;
        for t in &self.trees {
            sum += t.predict(x)[0];
        }
        Ok(sum / self.trees.len() as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{dataset, refused};

    #[test]
    fn a_fitted_forest_passes_and_corrupted_ones_are_refused_naming_the_part() {
        let data = dataset("friedman(seed=4)", 300);
        let m = RandomForestRegressorParams::default()
            .n_estimators(3)
            .max_depth(Some(6))
            .fit(&data)
            .unwrap();
        m.check_state().unwrap();
        // A tree whose child link points past its nodes.
        let mut bad = m.clone();
        let len = bad.trees[0].nodes.len();
        bad.trees[0].nodes[0].left = len;
        refused(
            bad.check_state(),
            &format!("tree 0: node 0: child {len} out of range (0..{len})"),
        );
        // Two values a node where a regressor's tree has one.
        let mut bad = m.clone();
        bad.trees[1].width = 2;
        refused(bad.check_state(), "tree 1: width");
        // No tree for a fitted forest.
        let mut bad = m.clone();
        bad.trees.clear();
        refused(bad.check_state(), "trees: 0 values where the model needs 3");
        // Parameters out of range.
        let mut bad = m.clone();
        bad.params.n_estimators = 0;
        refused(bad.check_state(), "`n_estimators`");
    }
}
