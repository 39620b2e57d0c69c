//! # tidewater-cluster
//!
//! Clustering with one model type for the batch and the stream path, in scikit-learn's
//! parameter names for k-means and River's for the stream clusterers:
//!
//! | model | batch path | stream path |
//! |---|---|---|
//! | [`KMeans`] | Lloyd's (or Elkan's) algorithm from k-means++, random rows, the first rows or given centers, best of `n_init` | a fitted model keeps learning: each row moves its nearest center by `w / count` (sequential k-means) |
//! | [`MiniBatchKMeans`] | the stream path over the rows, then the pending rows | rows buffered into mini-batches of `batch_size`; each batch moves every center by its per-center count (scikit-learn's update) or by a constant `halflife` (River's) |
//! | [`CluStream`] | the stream path over the rows | River's CluStream: micro-clusters (cluster feature vectors) kept by replacing old ones or merging close ones; every `time_gap` rows an offline k-means over them gives the macro clusters (River's incremental k-means, or the paper's weighted k-means++ and Lloyd) |
//! | [`DBStream`] | the stream path over the rows | River's DBSTREAM: fading micro-clusters of a fixed radius and the density they share; macro clusters are the groups their strong shared densities connect |
//!
//! All implement core's [`Clusterer`](tidewater_core::Clusterer): `predict_one` gives the
//! index of a row's cluster (the nearest center's for the k-means models and DBSTREAM; for
//! CluStream, River's rule, the macro cluster of the row's nearest micro-cluster),
//! `distances_into` the Euclidean distances to every (macro) center. k-means' random draws
//! come from ChaCha8 seeded by `seed`, so a seed gives the same clustering on every machine,
//! and the parallel passes over rows are reduced in a fixed order, so it does not depend on
//! the number of threads either. The stream clusterers perform River's arithmetic in River's
//! order (CluStream's draws are Python's, from core's `pyrandom`), so they give River's
//! results bit for bit.

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
