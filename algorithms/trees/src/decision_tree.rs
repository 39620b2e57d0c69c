//! scikit-learn's `DecisionTreeClassifier` (CART, the dense "best" splitter), in batch.

use std::fmt;

use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, ensure, within};
use tidewater_core::spec::Params;
use tidewater_core::traits::check_out_len;
use tidewater_core::{
    Batch, Build, ClassSet, Classifier, Dataset, Fit, Label, Result, Row, Structure,
};

use crate::cart::{self, Columns, Impurity, MaxFeatures, Target, Tree, TreeNode};
use crate::sklearn_random::splitter_seed;

/// The impurity a classification tree's splits lower.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClassificationCriterion {
    /// Gini impurity, `1 - sum p_c^2`.
    Gini,
    /// Shannon entropy in bits.
    Entropy,
    /// The same as `Entropy` (scikit-learn's second name for it).
    LogLoss,
}

tidewater_core::param_choices!(ClassificationCriterion {
    Gini => "gini",
    Entropy => "entropy",
    LogLoss => "log_loss",
});

impl ClassificationCriterion {
    pub(crate) fn impurity(self) -> Impurity {
        match self {
            ClassificationCriterion::Gini => Impurity::Gini,
            ClassificationCriterion::Entropy | ClassificationCriterion::LogLoss => {
                Impurity::Entropy
            }
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            ClassificationCriterion::Gini => "gini",
            _ => "entropy",
        }
    }
}

/// Hyper-parameters of [`DecisionTreeClassifier`] (scikit-learn's names and defaults;
/// `seed` is its `random_state`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "decision_tree",
    summary = "CART decision tree classifier, grown on the whole data set (scikit-learn's DecisionTreeClassifier, the same tree for the same seed)",
    batch_only
)]
pub struct DecisionTreeClassifierParams {
    /// How splits are scored: gini, entropy or log_loss (the same as entropy).
    #[param(default = ClassificationCriterion::Gini)]
    pub criterion: ClassificationCriterion,
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

impl Build for DecisionTreeClassifierParams {
    type Model = DecisionTreeClassifier;
    /// A tree that has learned nothing: it predicts nothing and refuses `learn_one` (use
    /// [`fit`](Fit::fit)).
    fn build(&self) -> Result<DecisionTreeClassifier> {
        self.validate()?;
        Ok(DecisionTreeClassifier {
            params: self.clone(),
            classes: ClassSet::new(),
            features: Vec::new(),
            tree: None,
        })
    }
}

impl Fit for DecisionTreeClassifierParams {
    type Model = DecisionTreeClassifier;
    /// Grows the tree on every row of `data` (its single target as labels, its sample
    /// weights if any; rows of weight 0 are left out). An error names the row and feature of
    /// a value that is not finite or beyond `f32`'s range, the row of a bad label or weight.
    fn fit(&self, data: &Dataset) -> Result<DecisionTreeClassifier> {
        self.validate()?;
        let cols = Columns::from_dataset(data)?;
        let (classes, ids) = cart::class_targets(data)?;
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
        let target = Target::Classes {
            ids: &ids,
            k: classes.len(),
        };
        let tree = cart::grow(&cols, target, &w, &rules, splitter_seed(self.seed));
        Ok(DecisionTreeClassifier {
            params: self.clone(),
            classes,
            features: data.schema.features.clone(),
            tree: Some(tree),
        })
    }
}

/// A CART decision tree classifier: scikit-learn 1.9's `DecisionTreeClassifier` with the
/// dense "best" splitter, the same tree for the same rows, parameters and seed.
///
/// **Growing.** Depth first from the root, a node is split on the feature and threshold that
/// lower the weighted Gini impurity (or entropy) the most, until a node is pure, has fewer
/// than `min_samples_split` rows, would leave fewer than `min_samples_leaf` on a side, is at
/// `max_depth`, or its best split improves the weighted impurity by less than
/// `min_impurity_decrease`. A node visits its features in a random order (a xorshift generator
/// seeded, as scikit-learn's, from numpy's `RandomState(seed)`), and with `max_features`
/// evaluates only that many (more when the drawn ones are constant in the node).
///
/// **Ties.** A candidate split replaces the best one only when its score is *strictly*
/// greater: among equally good splits the first evaluated wins, that is the feature drawn
/// first and, within a feature, the smallest threshold. Fully grown trees have many exact ties
/// deep down, so the seed matters; `seed` = scikit-learn's `random_state` gives its tree.
///
/// **Numbers as scikit-learn.** Features are rounded to `f32` (scikit-learn's float32 `X`),
/// both to grow and to predict; a threshold is the `f64` midpoint `a/2 + b/2` of two
/// neighbouring `f32` values, and a row goes left when its `f32` value is at most the
/// threshold. A value beyond `f32`'s range is refused (scikit-learn refuses it too). Sums run
/// in scikit-learn's order, so the impurities, values and importances are its own, bit for bit
/// on the data sets tested.
///
/// **Predictions.** A leaf's value is its class fractions (weighted): `predict_proba_into`
/// writes them in class order, `predict_one` returns the first most probable class
/// (numpy's `argmax`).
///
/// **Batch only.** The tree is grown from a whole data set by [`Fit::fit`]. `learn_one`,
/// `learn_many` and `predict_then_learn` refuse every row with an
/// [`Unsupported`](tidewater_core::Error::Unsupported) error naming the model and pointing to
/// `fit`, and leave the model unchanged; `check_learning` gives that error without a row, so
/// a pipeline ending in the tree refuses a row before its transformers learn it, and the
/// command line's `learn` and `eval` refuse the model up front. A tree from [`Build::build`] has learned nothing: it has no classes, and
/// predicts `None`.
///
/// **Deliberate differences from scikit-learn.** No missing values (a row with NaN is refused,
/// where scikit-learn 1.9 routes it), no `splitter="random"`, `max_leaf_nodes`,
/// `min_weight_fraction_leaf`, `class_weight`, `ccp_alpha` or monotonic constraints;
/// `min_samples_split` and `min_samples_leaf` are counts (no fractions); `max_features`'s
/// float `1.0` is written `none` or `all`. A sparse data set is grown on as the dense matrix
/// it stands for (absent values are zeros; scikit-learn's sparse splitter may order ties
/// otherwise). The seed is a 32-bit integer, as numpy's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecisionTreeClassifier {
    params: DecisionTreeClassifierParams,
    classes: ClassSet,
    /// The feature names of the data set it was grown on.
    features: Vec<String>,
    tree: Option<Tree>,
}

impl DecisionTreeClassifier {
    /// The hyper-parameters.
    pub fn params(&self) -> &DecisionTreeClassifierParams {
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
    /// class fractions); empty before `fit`.
    pub fn nodes(&self) -> Vec<TreeNode> {
        self.tree.as_ref().map_or_else(Vec::new, Tree::node_views)
    }

    /// The feature names of the data set the tree was grown on.
    pub fn feature_names(&self) -> &[String] {
        &self.features
    }

    /// Each feature's importance: the weighted impurity decrease of the splits on it,
    /// normalised to sum to 1 (scikit-learn's `feature_importances_`; all zeros when the tree
    /// is a single leaf, empty before `fit`).
    pub fn feature_importances(&self) -> Vec<f64> {
        self.tree.as_ref().map_or_else(Vec::new, Tree::importances)
    }

    /// The tree in Graphviz's dot language (`dot -Tpng`): each node's test or class, its
    /// impurity, rows, weight and class fractions; edges marked `true` (the test holds,
    /// left) and `false`.
    pub fn to_dot(&self) -> String {
        let Some(tree) = &self.tree else {
            return "digraph tree {\n}\n".into();
        };
        let value = |v: &[f64]| {
            let class = self
                .classes
                .label(cart::argmax(v))
                .map_or_else(String::new, Label::to_string);
            format!("proba = {}\\nclass = {class}", cart::short_list(v))
        };
        tree.to_dot(&self.features, self.params.criterion.name(), &value)
    }
}

impl CheckState for DecisionTreeClassifier {
    /// Parameters in range (`max_features` too); the classes consistent; a grown tree, when
    /// there is one, consistent with a value per class (see the CART tree's check), and at
    /// least one class.
    fn check_state(&self) -> StateResult {
        crate::check_params(&self.params)?;
        within("params.max_features", self.params.max_features.check())?;
        self.classes.check_state()?;
        if let Some(tree) = &self.tree {
            ensure(!self.classes.is_empty(), || {
                "classes: none for a grown tree".into()
            })?;
            within("tree", tree.check(self.classes.len()))?;
        }
        Ok(())
    }
}

impl fmt::Display for DecisionTreeClassifier {
    /// The tree as text, a line per test and per leaf, children indented under their test;
    /// a leaf shows its class, rows and class fractions.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(tree) = &self.tree else {
            return writeln!(f, "(a decision tree not fitted yet)");
        };
        let leaf = |node: &cart::Node, v: &[f64]| {
            let class = self
                .classes
                .label(cart::argmax(v))
                .map_or_else(String::new, Label::to_string);
            format!(
                "class {class} ({}, proba {})",
                cart::rows(node.n_samples),
                cart::short_list(v)
            )
        };
        tree.write_text(f, &self.features, &leaf)
    }
}

impl Classifier for DecisionTreeClassifier {
    fn classes(&self) -> &ClassSet {
        &self.classes
    }

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
            DecisionTreeClassifierParams::NAME,
            "DecisionTreeClassifierParams",
        ))
    }

    /// Refused (see [`check_learning`](Classifier::check_learning)); the model is unchanged.
    fn learn_one(&mut self, _: Row<'_>, _: &Label, _: Option<f64>) -> Result<()> {
        self.check_learning()
    }

    /// Refused, as `learn_one`.
    fn learn_many(&mut self, _: Batch<'_>, _: &[Label], _: Option<&[f64]>) -> Result<()> {
        self.check_learning()
    }

    fn predict_proba_into(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        check_out_len("probability buffer", self.classes.len(), out.len())?;
        let Some(tree) = &self.tree else {
            return Ok(());
        };
        cart::check_row(x, tree.n_features)?;
        out.copy_from_slice(tree.predict(x));
        Ok(())
    }

    fn predict_one(&self, x: Row<'_>) -> Result<Option<Label>> {
        let Some(tree) = &self.tree else {
            return Ok(None);
        };
        cart::check_row(x, tree.n_features)?;
        Ok(self.classes.label(cart::argmax(tree.predict(x))).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{dataset, refused};

    fn tree(m: &mut DecisionTreeClassifier) -> &mut Tree {
        m.tree.as_mut().unwrap()
    }

    #[test]
    fn a_fitted_tree_passes_and_corrupted_ones_are_refused_naming_the_part() {
        let data = dataset("sea(seed=3)", 400);
        let m = DecisionTreeClassifierParams::default()
            .max_depth(Some(6))
            .fit(&data)
            .unwrap();
        m.check_state().unwrap();
        DecisionTreeClassifierParams::default()
            .build()
            .unwrap()
            .check_state()
            .unwrap();
        let len = m.n_nodes();
        assert!(len > 3);
        // A child link back to the root: the descent would loop.
        let mut bad = m.clone();
        let b = (1..len)
            .find(|&i| !tree(&mut bad).nodes[i].is_leaf())
            .unwrap();
        tree(&mut bad).nodes[b].right = 0;
        refused(
            bad.check_state(),
            &format!("tree: node 0: reached again from node {b}"),
        );
        // A child past the nodes.
        let mut bad = m.clone();
        tree(&mut bad).nodes[0].left = len + 7;
        refused(
            bad.check_state(),
            &format!("tree: node 0: child {} out of range (0..{len})", len + 7),
        );
        // Values for another number of classes than the model's.
        let mut bad = m.clone();
        tree(&mut bad).width = 3;
        refused(
            bad.check_state(),
            "tree: width: 3 values a node where the model needs 2",
        );
        let mut bad = m.clone();
        tree(&mut bad).values.pop();
        refused(bad.check_state(), "tree: values");
        // A depth that is not the deepest node's.
        let mut bad = m.clone();
        tree(&mut bad).depth += 1;
        refused(bad.check_state(), "tree: depth");
        // A branch on a feature past the tree's.
        let mut bad = m.clone();
        tree(&mut bad).nodes[0].feature = 3;
        refused(bad.check_state(), "tree: node 0: feature");
        // A grown tree without classes.
        let mut bad = m.clone();
        bad.classes = ClassSet::new();
        refused(bad.check_state(), "classes: none for a grown tree");
        // Parameters out of range.
        let mut bad = m.clone();
        bad.params.min_samples_split = 1;
        refused(bad.check_state(), "`min_samples_split`");
        let mut bad = m.clone();
        bad.params.max_features = MaxFeatures::Count(0);
        refused(bad.check_state(), "params.max_features: a count of 0");
    }
}
