//! scikit-learn's `DecisionTreeRegressor` (CART, the dense "best" splitter), in batch.

use std::fmt;

use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, within};
use tidewater_core::spec::Params;
use tidewater_core::{Batch, Build, Dataset, Fit, Regressor, Result, Row, Structure};

use crate::cart::{self, Columns, Impurity, MaxFeatures, Target, Tree, TreeNode};
use crate::sklearn_random::splitter_seed;

/// The impurity a regression tree's splits lower.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegressionCriterion {
    /// The variance of the target (the mean squared error of predicting the mean).
    SquaredError,
}

tidewater_core::param_choices!(RegressionCriterion {
    SquaredError => "squared_error",
});

impl RegressionCriterion {
    pub(crate) fn impurity(self) -> Impurity {
        Impurity::SquaredError
    }
}

/// Hyper-parameters of [`DecisionTreeRegressor`] (scikit-learn's names and defaults; `seed`
/// is its `random_state`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "decision_tree_regressor",
    summary = "CART decision tree regressor, grown on the whole data set (scikit-learn's DecisionTreeRegressor, the same tree for the same seed)",
    batch_only
)]
pub struct DecisionTreeRegressorParams {
    /// How splits are scored: squared_error.
    #[param(default = RegressionCriterion::SquaredError)]
    pub criterion: RegressionCriterion,
    /// The deepest a node may be (none: grow until the leaves are pure or too small).
    #[param(default = None, ge = 1)]
    pub max_depth: Option<usize>,
    /// Fewest rows a node needs to be split (raised to 2 x min_samples_leaf).
    #[param(default = 2, ge = 2)]
    pub min_samples_split: usize,
    /// Fewest rows each side of a split must keep.
    #[param(default = 1, ge = 1)]
    pub min_samples_leaf: usize,
    /// Features a node draws and evaluates: none (all), sqrt, log2, a count, or a fraction in (0, 1).
    #[param(default = MaxFeatures::All)]
    pub max_features: MaxFeatures,
    /// A node is split only if that lowers the weighted impurity by at least this much.
    #[param(default = 0.0, ge = 0)]
    pub min_impurity_decrease: f64,
    /// Seed of the order in which a node visits its features (scikit-learn's random_state).
    #[param(default = 0)]
    pub seed: u32,
}

impl Build for DecisionTreeRegressorParams {
    type Model = DecisionTreeRegressor;
    /// A tree that has learned nothing: it predicts 0 and refuses `learn_one` (use
    /// [`fit`](Fit::fit)).
    fn build(&self) -> Result<DecisionTreeRegressor> {
        self.validate()?;
        Ok(DecisionTreeRegressor {
            params: self.clone(),
            features: Vec::new(),
            tree: None,
        })
    }
}

impl Fit for DecisionTreeRegressorParams {
    type Model = DecisionTreeRegressor;
    /// Grows the tree on every row of `data` (its single target, its sample weights if any;
    /// rows of weight 0 are left out). An error names the row and feature of a value that is
    /// not finite or beyond `f32`'s range, the row of a bad target or weight.
    fn fit(&self, data: &Dataset) -> Result<DecisionTreeRegressor> {
        self.validate()?;
        let cols = Columns::from_dataset(data)?;
        let y = cart::value_targets(data)?;
        let w = cart::weights_of(data)?;
        let rules = cart::rules(
            self.criterion.impurity(),
            self.max_depth,
            self.min_samples_split,
            self.min_samples_leaf,
            self.max_features,
            self.min_impurity_decrease,
            cols.d,
        )?;
        let tree = cart::grow(
            &cols,
            Target::Values(&y),
            &w,
            &rules,
            splitter_seed(self.seed),
        );
        Ok(DecisionTreeRegressor {
            params: self.clone(),
            features: data.schema.features.clone(),
            tree: Some(tree),
        })
    }
}

/// A CART decision tree regressor: scikit-learn 1.9's `DecisionTreeRegressor` with the dense
/// "best" splitter, the same tree for the same rows, parameters and seed.
///
/// It grows as [`DecisionTreeClassifier`](crate::DecisionTreeClassifier) does (read its
/// documentation for the rules, the tie rule, the `f32` features and the differences from
/// scikit-learn), with the variance of the target as the impurity; a leaf predicts the
/// weighted mean of its rows' targets. The sums run in scikit-learn's order (the criterion
/// adds from the left, or subtracts from the right end when that is shorter), so real-valued
/// targets round as they do there.
///
/// **Ties matter here.** A fully grown regression tree has many exactly tied splits deep
/// down (nodes of two or three rows), which the seed decides: with another seed, scikit-learn's
/// own trees agree with its `random_state=0` tree on about half of the test rows of diabetes.
/// The same `seed` gives scikit-learn's tree.
///
/// **Batch only.** The tree is grown from a whole data set by [`Fit::fit`]; `learn_one` and
/// `learn_many` refuse every row with an [`Unsupported`](tidewater_core::Error::Unsupported)
/// error naming the model and pointing to `fit`, and leave the model unchanged. A tree from
/// [`Build::build`] has learned nothing and predicts 0 (the trait's convention).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecisionTreeRegressor {
    params: DecisionTreeRegressorParams,
    /// The feature names of the data set it was grown on.
    features: Vec<String>,
    tree: Option<Tree>,
}

impl DecisionTreeRegressor {
    /// The hyper-parameters.
    pub fn params(&self) -> &DecisionTreeRegressorParams {
        &self.params
    }

    /// Whether the tree has been grown.
    pub fn is_fitted(&self) -> bool {
        self.tree.is_some()
    }

    /// The depth of the deepest leaf (0 for a single leaf or an empty tree).
    pub fn depth(&self) -> usize {
        self.tree.as_ref().map_or(0, |t| t.depth)
    }

    /// The number of leaves (0 for an empty tree).
    pub fn n_leaves(&self) -> usize {
        self.tree.as_ref().map_or(0, Tree::n_leaves)
    }

    /// The number of nodes, tests and leaves (0 for an empty tree).
    pub fn n_nodes(&self) -> usize {
        self.tree.as_ref().map_or(0, |t| t.nodes.len())
    }

    /// The nodes in preorder, each with its test, impurity, rows, weight and value (the
    /// mean); empty before `fit`.
    pub fn nodes(&self) -> Vec<TreeNode> {
        self.tree.as_ref().map_or_else(Vec::new, Tree::node_views)
    }

    /// The feature names of the data set the tree was grown on.
    pub fn feature_names(&self) -> &[String] {
        &self.features
    }

    /// Each feature's importance: the weighted variance decrease of the splits on it,
    /// normalised to sum to 1 (scikit-learn's `feature_importances_`; all zeros when the tree
    /// is a single leaf, empty before `fit`).
    pub fn feature_importances(&self) -> Vec<f64> {
        self.tree.as_ref().map_or_else(Vec::new, Tree::importances)
    }

    /// The tree in Graphviz's dot language (`dot -Tpng`): each node's test, its variance,
    /// rows, weight and mean; edges marked `true` (the test holds, left) and `false`.
    pub fn to_dot(&self) -> String {
        let Some(tree) = &self.tree else {
            return "digraph tree {\n}\n".into();
        };
        let value = |v: &[f64]| format!("value = {}", v[0]);
        tree.to_dot(&self.features, "squared_error", &value)
    }
}

impl CheckState for DecisionTreeRegressor {
    /// Parameters in range (`max_features` too); a grown tree, when there is one,
    /// consistent with one value a node (see the CART tree's check).
    fn check_state(&self) -> StateResult {
        crate::check_params(&self.params)?;
        within("params.max_features", self.params.max_features.check())?;
        match &self.tree {
            Some(tree) => within("tree", tree.check(1)),
            None => Ok(()),
        }
    }
}

impl fmt::Display for DecisionTreeRegressor {
    /// The tree as text, a line per test and per leaf, children indented under their test;
    /// a leaf shows its prediction and rows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(tree) = &self.tree else {
            return writeln!(f, "(a decision tree not fitted yet)");
        };
        let leaf =
            |node: &cart::Node, v: &[f64]| format!("{} ({})", v[0], cart::rows(node.n_samples));
        tree.write_text(f, &self.features, &leaf)
    }
}

impl Regressor for DecisionTreeRegressor {
    /// Features named as in the data set the tree was grown on.
    fn structure(&self, _feature_names: &[String]) -> Option<Structure> {
        Some(Structure {
            trees: 1,
            depth: self.depth(),
            n_nodes: self.n_nodes(),
            n_leaves: self.n_leaves(),
            feature_importances: Some(self.feature_importances()),
            text: self.to_string(),
            dot: self.to_dot(),
        })
    }

    fn n_features(&self) -> Option<usize> {
        self.tree.as_ref().map(|t| t.n_features)
    }

    /// Width, finiteness, and `f32`'s range (a tree compares features as `f32`).
    fn check_row(&self, x: Row<'_>) -> Result<()> {
        match &self.tree {
            Some(t) => cart::check_row(x, t.n_features),
            None => x.check(None),
        }
    }

    /// Always an error: the model is grown from a whole data set by `fit`.
    fn check_learning(&self) -> Result<()> {
        Err(cart::batch_only(
            DecisionTreeRegressorParams::NAME,
            "DecisionTreeRegressorParams",
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
        let Some(tree) = &self.tree else {
            x.check(None)?;
            return Ok(0.0);
        };
        cart::check_row(x, tree.n_features)?;
        Ok(tree.predict(x)[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{dataset, refused};

    fn tree(m: &mut DecisionTreeRegressor) -> &mut Tree {
        m.tree.as_mut().unwrap()
    }

    #[test]
    fn a_fitted_tree_passes_and_corrupted_ones_are_refused_naming_the_part() {
        let data = dataset("friedman(seed=3)", 400);
        let m = DecisionTreeRegressorParams::default()
            .max_depth(Some(8))
            .fit(&data)
            .unwrap();
        m.check_state().unwrap();
        let len = m.n_nodes();
        // Node 1 (the root's left child) linked to itself.
        let mut bad = m.clone();
        tree(&mut bad).nodes[1].left = 1;
        refused(bad.check_state(), "tree: node 1: reached again from node 1");
        // A link that skips a node out of preorder.
        let mut bad = m.clone();
        tree(&mut bad).nodes[0].left = 2;
        refused(
            bad.check_state(),
            "tree: node 2: a child of node 0 out of preorder",
        );
        // A child past the nodes.
        let mut bad = m.clone();
        tree(&mut bad).nodes[0].right = len;
        refused(
            bad.check_state(),
            &format!("tree: node 0: child {len} out of range (0..{len})"),
        );
        // A threshold that is not a number.
        let mut bad = m.clone();
        tree(&mut bad).nodes[0].threshold = f64::NAN;
        refused(bad.check_state(), "tree: node 0: threshold");
        // A node with a single child.
        let mut bad = m.clone();
        tree(&mut bad).nodes[0].right = crate::cart::LEAF;
        refused(bad.check_state(), "tree: node 0: one child");
        // A number of features no data set could have had.
        let mut bad = m.clone();
        tree(&mut bad).n_features = usize::MAX;
        refused(bad.check_state(), "tree: n_features");
    }
}
