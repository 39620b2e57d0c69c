//! # tidewater
//!
//! Online and batch machine learning in Rust with **one model type for both paths**: fit a
//! model on a whole data set, or update it one observation (or mini-batch) at a time, and
//! predict or transform with the same calls either way.
//!
//! This facade re-exports every family (each behind a cargo feature, on by default) and a
//! [`prelude`]; the `tidewater` command-line program lives behind the `cli` feature.
//!
//! ```
//! use tidewater::prelude::*;
//! use tidewater::bayes::GaussianNBParams;
//!
//! let mut model = GaussianNBParams::default().build()?;
//! model.learn_one(Row::Dense(&[1.0, 2.0]), &Label::from("a"), None)?;
//! model.learn_one(Row::Dense(&[3.0, 1.0]), &Label::from("b"), None)?;
//! assert_eq!(model.predict_one(Row::Dense(&[2.9, 1.1]))?, Some(Label::from("b")));
//! # Ok::<(), tidewater::Error>(())
//! ```

pub use tidewater_core as core;
pub use tidewater_core::{
    Batch, Build, ClassSet, Classifier, Clusterer, CsrMatrix, Dataset, Error, FeatureMatrix,
    FeatureVector, Fit, Label, Pipeline, Regressor, Result, Row, Schema, SparseRow, Targets,
    Transformer,
};
pub use tidewater_core::{dummy, eval, io, kernels, metrics, persist, rounds, spec};

/// Naive Bayes classifiers (tidewater-bayes).
#[cfg(feature = "bayes")]
pub use tidewater_bayes as bayes;
/// Clustering: k-means in batch, mini-batch k-means on the stream path (tidewater-cluster).
#[cfg(feature = "cluster")]
pub use tidewater_cluster as cluster;
/// Shipped data sets (tidewater-datasets).
#[cfg(feature = "datasets")]
pub use tidewater_datasets as datasets;
/// Drift detectors and retraining wrappers (tidewater-drift).
#[cfg(feature = "drift")]
pub use tidewater_drift as drift;
/// Linear models (tidewater-linear).
#[cfg(feature = "linear")]
pub use tidewater_linear as linear;
/// Scalers and other feature transforms (tidewater-preprocessing).
#[cfg(feature = "preprocessing")]
pub use tidewater_preprocessing as preprocessing;
/// The parameter server: pull, push and clock under BSP, SSP or ASP, and the batch fits'
/// rounds on its workers (tidewater-ps).
#[cfg(feature = "ps")]
pub use tidewater_ps as ps;
/// Decision trees: the Hoeffding tree online; CART and random forests in batch
/// (tidewater-trees).
#[cfg(feature = "trees")]
pub use tidewater_trees as trees;

#[cfg(all(
    feature = "bayes",
    feature = "preprocessing",
    feature = "linear",
    feature = "drift",
    feature = "trees",
    feature = "cluster",
    feature = "ps"
))]
pub mod registry;

/// The traits and types most programs need.
pub mod prelude {
    pub use tidewater_core::spec::Params;
    pub use tidewater_core::{
        Batch, Build, ClassSet, Classifier, Clusterer, Dataset, Error, FeatureVector, Fit, Label,
        Pipeline, Regressor, Result, Row, SparseRow, Targets, Transformer,
    };
}

/// The README's examples, compiled and run as doc tests so they cannot go stale.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
