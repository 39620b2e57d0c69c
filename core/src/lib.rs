//! # tidewater-core
//!
//! The ground every tidewater algorithm stands on: the traits of the batch and the stream path
//! ([`traits`]), labels and class sets ([`label`]), dense and sparse feature vectors ([`row`]),
//! data sets ([`dataset`]), streaming readers ([`io`]), the shared kernels ([`kernels`]),
//! metrics and prequential evaluation ([`metrics`], [`eval`]), pipelines ([`pipeline`]),
//! component specs ([`spec`]), checkpoints ([`persist`]) and the baseline learners ([`dummy`]).
//!
//! This crate depends on no algorithm crate.

pub mod error;
pub mod label;
pub mod row;
pub mod dataset;
pub mod io;
pub mod traits;
pub mod kernels;
pub mod metrics;
pub mod eval;
pub mod spec;
pub mod pipeline;
pub mod persist;
pub mod dummy;

pub use error::{Error, Location, Result};
pub use label::{ClassSet, Label};
pub use row::{FeatureVector, Row, SparseRow};
pub use dataset::{Batch, CsrMatrix, Dataset, FeatureMatrix, Schema, Targets};
pub use traits::{Build, Classifier, Fit, Regressor, Transformer};
pub use pipeline::Pipeline;
