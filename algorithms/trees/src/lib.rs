//! # tidewater-trees
//!
//! Decision trees with one model type for the batch and the stream path. The Hoeffding tree
//! grows from a stream: each leaf keeps per-feature statistics of the target (class weights,
//! or the target's variance for the regressors) and splits once the Hoeffding bound says the
//! best split is better than the runner-up. Fitting it on a data set is learning the rows in
//! order, so the batch and the stream path give the same tree.
//!
//! The batch trees are scikit-learn's: [`DecisionTreeClassifier`] and
//! [`DecisionTreeRegressor`] (CART, grown depth first on the whole data set) and
//! [`RandomForestClassifier`] and [`RandomForestRegressor`] (bootstrapped CART trees grown in
//! parallel). They draw their random numbers as scikit-learn does (numpy's `RandomState`
//! and the splitter's xorshift), so a seed gives scikit-learn's tree or forest for the same
//! `random_state`. They learn only by `fit`: `learn_one` refuses a row, pointing to `fit`.
//!
//! The online trees:
//!
//! | model | task |
//! |---|---|
//! | [`HoeffdingTreeClassifier`], [`HoeffdingTreeRegressor`] | classification, regression |
//! | [`HoeffdingAdaptiveTreeClassifier`], [`HoeffdingAdaptiveTreeRegressor`] | the same, with ADWIN in every node and alternate subtrees |
//! | [`AdaptiveRandomForestClassifier`], [`AdaptiveRandomForestRegressor`] | online bagging of such trees on random subspaces, each replaced on drift |
//!
//! **A loaded model is checked.** Every model implements
//! [`CheckState`](tidewater_core::check::CheckState): a checkpoint's tree whose child links
//! leave the arena, form a cycle or share a node, whose tests, depths, class weights or
//! observers disagree with each other or with the model's classes and features, or whose
//! statistics are not finite is refused with a message naming the node and the part, before
//! a prediction could index out of bounds or loop. The walks of the check keep their own
//! stacks; an online tree deeper than 512 levels is refused, since some of its own walks
//! recurse.

mod adaptive_random_forest;
mod adaptive_random_forest_regressor;
mod cart;
mod criterion;
mod decision_tree;
mod decision_tree_regressor;
mod efdt;
mod growth;
mod hoeffding_adaptive_tree;
mod hoeffding_adaptive_tree_regressor;
mod hoeffding_tree;
mod hoeffding_tree_regressor;
mod memo;
mod random_forest;
mod random_forest_regressor;
mod regression_splitter;
mod sklearn_random;
mod splitter;
mod stats;
#[cfg(test)]
mod testing;

pub use adaptive_random_forest::{
    AdaptiveRandomForestClassifier, AdaptiveRandomForestClassifierParams,
};
pub use adaptive_random_forest_regressor::{
    AdaptiveRandomForestRegressor, AdaptiveRandomForestRegressorParams, Aggregation,
};
pub use cart::{MaxFeatures, TreeNode};
pub use criterion::SplitCriterion;
pub use decision_tree::{
    ClassificationCriterion, DecisionTreeClassifier, DecisionTreeClassifierParams,
};
pub use decision_tree_regressor::{
    DecisionTreeRegressor, DecisionTreeRegressorParams, RegressionCriterion,
};
pub use efdt::{ExtremelyFastDecisionTreeClassifier, ExtremelyFastDecisionTreeClassifierParams};
pub use hoeffding_adaptive_tree::{
    HoeffdingAdaptiveTreeClassifier, HoeffdingAdaptiveTreeClassifierParams,
};
pub use hoeffding_adaptive_tree_regressor::{
    HoeffdingAdaptiveTreeRegressor, HoeffdingAdaptiveTreeRegressorParams,
};
pub use hoeffding_tree::{
    HoeffdingTreeClassifier, HoeffdingTreeClassifierParams, LeafPrediction, NumericSplitter,
};
pub use hoeffding_tree_regressor::{
    HoeffdingTreeRegressor, HoeffdingTreeRegressorParams, RegressionLeafPrediction,
    RegressionSplitter,
};
pub use random_forest::{RandomForestClassifier, RandomForestClassifierParams};
pub use random_forest_regressor::{RandomForestRegressor, RandomForestRegressorParams};
/// A loaded model's parameters, checked as `build` checks them (the first part of every
/// model's [`CheckState`](tidewater_core::check::CheckState)).
pub(crate) fn check_params<P: tidewater_core::spec::Params>(
    p: &P,
) -> tidewater_core::check::StateResult {
    p.validate().map_err(|e| format!("params: {e}"))
}

/// The error type of this crate: the core one, since every failure here is a core kind.
pub use tidewater_core::{Error, Result};
