//! # tidewater-cluster
//!
//! Clustering with one model type for the batch and the stream path, in scikit-learn's
//! parameter names:
//!
//! | model | batch path | stream path |
//! |---|---|---|
//! | [`KMeans`] | Lloyd's (or Elkan's) algorithm from k-means++, random rows, the first rows or given centers, best of `n_init` | a fitted model keeps learning: each row moves its nearest center by `w / count` (sequential k-means) |
//! | [`MiniBatchKMeans`] | the stream path over the rows, then the pending rows | rows buffered into mini-batches of `batch_size`; each batch moves every center by its per-center count (scikit-learn's update) or by a constant `halflife` (River's) |
//!
//! Both implement core's [`Clusterer`](tidewater_core::Clusterer): `predict_one` gives the
//! nearest center's index, `distances_into` the Euclidean distances to every center.
//! Random draws come from ChaCha8 seeded by `seed`, so a seed gives the same clustering on
//! every machine, and the parallel passes over rows are reduced in a fixed order, so it does
//! not depend on the number of threads either.

mod clustream;
mod common;
mod dbstream;
mod elkan;
mod kmeans;
mod minibatch;

pub use clustream::{CluStream, CluStreamOffline, CluStreamParams};
pub use common::KMeansInit;
pub use dbstream::{DBStream, DBStreamParams};
pub use kmeans::{KMeans, KMeansAlgorithm, KMeansParams};
pub use minibatch::{MiniBatchKMeans, MiniBatchKMeansParams};
/// The error type of this crate: the core one, since every failure here is a core kind.
pub use tidewater_core::{Error, Result};
