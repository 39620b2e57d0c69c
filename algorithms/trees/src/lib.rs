//! # tidewater-trees
//!
//! Decision trees with one model type for the batch and the stream path. The Hoeffding tree
//! grows from a stream: each leaf keeps per-feature class statistics and splits once the
//! Hoeffding bound says the best split is better than the runner-up. Fitting it on a data set
//! is learning the rows in order, so the batch and the stream path give the same tree.

mod adaptive_random_forest;
mod criterion;
mod efdt;
mod hoeffding_adaptive_tree;
mod hoeffding_tree;
mod pyrandom;
mod splitter;
mod stats;

pub use adaptive_random_forest::{
    AdaptiveRandomForestClassifier, AdaptiveRandomForestClassifierParams, MaxFeatures,
};
pub use criterion::SplitCriterion;
pub use efdt::{ExtremelyFastDecisionTreeClassifier, ExtremelyFastDecisionTreeClassifierParams};
pub use hoeffding_adaptive_tree::{
    HoeffdingAdaptiveTreeClassifier, HoeffdingAdaptiveTreeClassifierParams,
};
pub use hoeffding_tree::{
    HoeffdingTreeClassifier, HoeffdingTreeClassifierParams, LeafPrediction, NumericSplitter,
};
/// The error type of this crate: the core one, since every failure here is a core kind.
pub use tidewater_core::{Error, Result};
