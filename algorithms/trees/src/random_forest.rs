//! scikit-learn's `RandomForestClassifier`, in batch: bootstrapped CART trees, grown in
//! parallel, whose class fractions are averaged.

use std::fmt;

use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, ensure, same_len, within};
use tidewater_core::spec::Params;
use tidewater_core::traits::check_out_len;
use tidewater_core::{
    Batch, Build, ClassSet, Classifier, Dataset, Error, Fit, Label, Result, Row, Structure,
};

use crate::cart::{self, Columns, MaxFeatures, Target, Tree, TreeNode};
use crate::decision_tree::ClassificationCriterion;

/// Hyper-parameters of [`RandomForestClassifier`] (scikit-learn's names and defaults; `seed`
/// is its `random_state`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "random_forest",
    summary = "random forest classifier: bootstrapped CART trees grown in parallel, class fractions averaged (scikit-learn's RandomForestClassifier, the same forest for the same seed)",
    batch_only
)]
pub struct RandomForestClassifierParams {
    /// The number of trees.
    #[param(default = 100, ge = 1)]
    pub n_estimators: usize,
    /// How the trees score splits: gini, entropy or log_loss (the same as entropy).
    #[param(default = ClassificationCriterion::Gini)]
    pub criterion: ClassificationCriterion,
    /// The deepest a node may be (none: grow until the leaves are pure or too small).
    #[param(default = None, ge = 1)]
    pub max_depth: Option<usize>,
    /// Fewest distinct rows a node needs to be split (raised to 2 x min_samples_leaf).
    #[param(default = 2, ge = 2)]
    pub min_samples_split: usize,
    /// Fewest distinct rows each side of a split must keep.
    #[param(default = 1, ge = 1)]
    pub min_samples_leaf: usize,
    /// Features a node draws and evaluates: none (all), sqrt, log2, a count, or a fraction in (0, 1).
    #[param(default = MaxFeatures::Sqrt)]
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

impl Build for RandomForestClassifierParams {
    type Model = RandomForestClassifier;
    /// A forest of no trees: it predicts nothing and refuses `learn_one` (use
    /// [`fit`](Fit::fit)).
    fn build(&self) -> Result<RandomForestClassifier> {
        self.validate()?;
        Ok(RandomForestClassifier {
            params: self.clone(),
            classes: ClassSet::new(),
            features: Vec::new(),
            n_features: None,
            trees: Vec::new(),
        })
    }
}

/// The sample weights a forest grows on: the data set's, which only `bootstrap = false`
/// takes (scikit-learn 1.9 draws a weighted bootstrap, which is not implemented here).
pub(crate) fn forest_weights(data: &Dataset, bootstrap: bool) -> Result<Vec<f64>> {
    let w = cart::weights_of(data)?;
    if bootstrap && w.iter().any(|&v| v != 1.0) {
        return Err(Error::Unsupported(
            "a random forest with bootstrap=true takes no sample weights (scikit-learn's \
             weighted bootstrap is not implemented); use bootstrap=false"
                .into(),
        ));
    }
    Ok(w)
}

impl Fit for RandomForestClassifierParams {
    type Model = RandomForestClassifier;
    /// Grows the forest on every row of `data` (its single target as labels). An error
    /// names the row and feature of a value that is not finite or beyond `f32`'s range, the
    /// row of a bad label; sample weights are taken only with `bootstrap = false`.
    fn fit(&self, data: &Dataset) -> Result<RandomForestClassifier> {
        self.validate()?;
        let cols = Columns::from_dataset(data)?;
        let (classes, ids) = cart::class_targets(data)?;
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
        let target = Target::Classes {
            ids: &ids,
            k: classes.len(),
        };
        let trees = cart::grow_forest(
            &cols,
            target,
            &w,
            &rules,
            self.n_estimators,
            self.bootstrap,
            self.seed,
        )?;
        Ok(RandomForestClassifier {
            params: self.clone(),
            classes,
            features: data.schema.features.clone(),
            n_features: Some(cols.d),
            trees,
        })
    }
}

/// A random forest classifier: scikit-learn 1.9's `RandomForestClassifier`, the same forest
/// for the same rows, parameters and seed.
///
/// Each of `n_estimators` trees is a CART tree (see
/// [`DecisionTreeClassifier`](crate::DecisionTreeClassifier) for how one grows, the tie rule
/// and the `f32` features) grown on a bootstrap sample of the rows, evaluating
/// `max_features` features per node (`sqrt` of them by default). The seeds are
/// scikit-learn's: tree `i` takes the `i`-th `randint(0, 2^31 - 1)` of numpy's
/// `RandomState(seed)`, draws its `n` bootstrap rows from a fresh `RandomState` of that seed
/// (a row drawn `k` times weighs `k`; the size rules count distinct rows), and seeds its
/// splitter from another. Every tree knows every class of the data set.
///
/// The trees grow in parallel on rayon's global pool (or the pool the call is
/// `install`ed in); each depends only on its own seed, so the forest is the same whatever
/// the number of threads.
///
/// **Predictions.** The class fractions of the leaves the row reaches, summed over the trees
/// in order and divided by their number (scikit-learn's `predict_proba`); the predicted class
/// is the first most probable.
///
/// **Batch only.** Grown by [`Fit::fit`]; `learn_one` and `learn_many` refuse every row with
/// an [`Unsupported`](tidewater_core::Error::Unsupported) error naming the model and pointing
/// to `fit`, leaving the model unchanged.
///
/// **Deliberate differences from scikit-learn.** Those of the trees; besides, no
/// `max_samples`, `oob_score`, `warm_start`, `class_weight` or `n_jobs` (rayon's pool decides),
/// and sample weights only with `bootstrap = false`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RandomForestClassifier {
    params: RandomForestClassifierParams,
    classes: ClassSet,
    features: Vec<String>,
    n_features: Option<usize>,
    trees: Vec<Tree>,
}

impl RandomForestClassifier {
    /// The hyper-parameters.
    pub fn params(&self) -> &RandomForestClassifierParams {
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

/// scikit-learn's forest importances over `trees` of `d` features.
pub(crate) fn forest_importances(trees: &[Tree], d: Option<usize>) -> Vec<f64> {
    let Some(d) = d else { return Vec::new() };
    let each: Vec<Vec<f64>> = trees
        .iter()
        .filter(|t| t.nodes.len() > 1)
        .map(Tree::importances)
        .collect();
    if each.is_empty() {
        return vec![0.0; d];
    }
    let mean = cart::numpy_mean_rows(&each, d);
    let total = cart::numpy_sum(&mean);
    mean.iter().map(|v| v / total).collect()
}

/// A forest as text: a line, then a line per tree (depth, leaves, nodes).
pub(crate) fn write_forest(f: &mut fmt::Formatter<'_>, what: &str, trees: &[Tree]) -> fmt::Result {
    if trees.is_empty() {
        return writeln!(f, "(a {what} not fitted yet)");
    }
    writeln!(f, "{what} of {} trees", trees.len())?;
    for (i, t) in trees.iter().enumerate() {
        writeln!(
            f,
            "  tree {i}: depth {}, {} leaves, {} nodes",
            t.depth,
            t.n_leaves(),
            t.nodes.len()
        )?;
    }
    Ok(())
}

/// A fitted forest's [`Structure`]: `text` its summary, `dot` a graph per tree, each leaf's
/// value in `value`'s words.
pub(crate) fn forest_structure(
    trees: &[Tree],
    features: &[String],
    impurity: &str,
    text: String,
    importances: Vec<f64>,
    value: &dyn Fn(&[f64]) -> String,
) -> Structure {
    Structure {
        trees: trees.len(),
        depth: trees.iter().map(|t| t.depth).max().unwrap_or(0),
        n_nodes: trees.iter().map(|t| t.nodes.len()).sum(),
        n_leaves: trees.iter().map(Tree::n_leaves).sum(),
        feature_importances: Some(importances),
        text,
        dot: trees
            .iter()
            .map(|t| t.to_dot(features, impurity, value))
            .collect(),
    }
}

impl CheckState for RandomForestClassifier {
    /// Parameters in range (`max_features` too); the classes consistent; fitted (a width)
    /// exactly when there are trees (`n_estimators` of them), each consistent with a value
    /// per class (see the CART tree's check) and grown on the forest's features.
    fn check_state(&self) -> StateResult {
        crate::check_params(&self.params)?;
        within("params.max_features", self.params.max_features.check())?;
        self.classes.check_state()?;
        check_forest(
            &self.trees,
            self.n_features,
            self.params.n_estimators,
            self.classes.len(),
        )
    }
}

/// The trees of a loaded forest (shared by the classifier and the regressor): none before
/// `fit` (no width), `n_estimators` after it, each consistent with `width` values a node and
/// grown on the forest's `n_features`.
pub(crate) fn check_forest(
    trees: &[Tree],
    n_features: Option<usize>,
    n_estimators: usize,
    width: usize,
) -> StateResult {
    let Some(d) = n_features else {
        return ensure(trees.is_empty(), || {
            format!("trees: {} before the forest was fitted", trees.len())
        });
    };
    same_len("trees", trees.len(), n_estimators)?;
    ensure(width > 0, || "classes: none for a grown forest".into())?;
    for (i, t) in trees.iter().enumerate() {
        within(format_args!("tree {i}"), t.check(width))?;
        ensure(t.n_features == d, || {
            format!(
                "tree {i}: grown on {} features, the forest on {d}",
                t.n_features
            )
        })?;
    }
    Ok(())
}

impl fmt::Display for RandomForestClassifier {
    /// A line for the forest, then one per tree: its depth, leaves and nodes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_forest(f, "random forest classifier", &self.trees)
    }
}

impl Classifier for RandomForestClassifier {
    fn classes(&self) -> &ClassSet {
        &self.classes
    }

    /// Features named as in the data set the forest was grown on.
    fn structure(&self, _feature_names: &[String]) -> Option<Structure> {
        let value = |v: &[f64]| {
            let class = self
                .classes
                .label(cart::argmax(v))
                .map_or_else(String::new, Label::to_string);
            format!("proba = {}\\nclass = {class}", cart::short_list(v))
        };
        Some(forest_structure(
            &self.trees,
            &self.features,
            self.params.criterion.name(),
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
            RandomForestClassifierParams::NAME,
            "RandomForestClassifierParams",
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
        let Some(d) = self.n_features else {
            return Ok(());
        };
        cart::check_row(x, d)?;
        out.fill(0.0);
        for t in &self.trees {
            for (o, v) in out.iter_mut().zip(t.predict(x)) {
                *o += v;
            }
        }
        let n = self.trees.len() as f64;
        for o in out.iter_mut() {
            *o /= n;
        }
        Ok(())
    }

    fn predict_one(&self, x: Row<'_>) -> Result<Option<Label>> {
        if self.n_features.is_none() {
            return Ok(None);
        }
        let k = self.classes.len();
        let best = if k <= 32 {
            let mut buf = [0.0; 32];
            self.predict_proba_into(x, &mut buf[..k])?;
            cart::argmax(&buf[..k])
        } else {
            let mut buf = vec![0.0; k];
            self.predict_proba_into(x, &mut buf)?;
            cart::argmax(&buf)
        };
        Ok(self.classes.label(best).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{dataset, refused};

    #[test]
    fn a_fitted_forest_passes_and_corrupted_ones_are_refused_naming_the_part() {
        let data = dataset("sea(seed=4)", 300);
        let m = RandomForestClassifierParams::default()
            .n_estimators(4)
            .max_depth(Some(5))
            .fit(&data)
            .unwrap();
        m.check_state().unwrap();
        RandomForestClassifierParams::default()
            .build()
            .unwrap()
            .check_state()
            .unwrap();
        // A tree short of n_estimators.
        let mut bad = m.clone();
        bad.trees.pop();
        refused(bad.check_state(), "trees: 3 values where the model needs 4");
        // A tree grown on other features than the forest's.
        let mut bad = m.clone();
        bad.trees[2].n_features = 2;
        let e = bad.check_state().unwrap_err();
        assert!(e.starts_with("tree 2: "), "{e}");
        // A cycle in a tree.
        let mut bad = m.clone();
        bad.trees[1].nodes[1].left = 0;
        refused(
            bad.check_state(),
            "tree 1: node 0: reached again from node 1",
        );
        // Trees with no width (not fitted).
        let mut bad = m.clone();
        bad.n_features = None;
        refused(bad.check_state(), "trees: 4 before the forest was fitted");
        // Values of another width than the classes.
        let mut bad = m.clone();
        bad.classes = tidewater_core::ClassSet::from_labels(&[Label::Num(0.0)]);
        refused(
            bad.check_state(),
            "tree 0: width: 2 values a node where the model needs 1",
        );
    }
}
