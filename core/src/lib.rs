//! # tidewater-core
//!
//! The ground every tidewater algorithm stands on: the traits of the batch and the stream path
//! ([`traits`]), labels and class sets ([`label`]), dense and sparse feature vectors ([`row`]),
//! data sets ([`dataset`]), streaming readers ([`io`]), the shared kernels ([`kernels`]),
//! metrics and prequential evaluation ([`metrics`], [`eval`]), pipelines ([`pipeline`](mod@pipeline)) and
//! the records of raw cells their first stage may take ([`record`]),
//! component specs ([`spec`]), checkpoints ([`persist`]), model streams ([`publish`]), Python's random generator for models
//! that reproduce River's draws ([`pyrandom`]) and the baseline learners ([`dummy`]).
//!
//! This crate depends on no algorithm crate.

// The name `#[derive(Params)]` writes paths with, inside this crate too.
extern crate self as tidewater_core;

pub mod check;
pub mod dataset;
pub mod dummy;
pub mod error;
pub mod eval;
pub mod io;
pub mod kernels;
pub mod label;
pub mod metrics;
pub mod persist;
pub mod pipeline;
pub mod publish;
pub mod pyrandom;
pub mod record;
pub mod rounds;
pub mod row;
pub mod spec;
pub mod tagged;
pub mod traits;

pub use check::CheckState;
pub use dataset::{Batch, CsrMatrix, Dataset, FeatureMatrix, Schema, Targets};
pub use error::{Error, Location, Result};
pub use label::{ClassSet, Label};
pub use pipeline::{Pipeline, PipelineBuilder, TransformerUnion};
pub use record::{
    Cell, FeatureBuf, RecordClassifier, RecordRegressor, RecordSchema, RecordTransform,
    RecordTransformer, Table,
};
pub use row::{FeatureVector, Row, SparseRow};
pub use traits::{Build, Classifier, Clusterer, Fit, Regressor, Structure, Transformer};

/// What the crate's macros name (serde for [`tagged_enum!`]); not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use serde;
}
