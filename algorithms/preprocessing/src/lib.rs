//! # tidewater-preprocessing
//!
//! Feature transforms written once for the batch and the stream path. Each transformer has a
//! params type (hyper-parameters, defaults, validation, a builder) and a model type that
//! learns from a whole data set ([`Fit`](tidewater_core::Fit)) or one row at a time
//! ([`Transformer::learn_one`](tidewater_core::Transformer::learn_one)), and transforms the
//! same way whichever path made it.
//!
//! | kind | types | batch vs stream |
//! |---|---|---|
//! | scalers | [`StandardScaler`], [`MinMaxScaler`], [`MaxAbsScaler`], [`Normalizer`], [`AdaptiveStandardScaler`] | exact: the same state on both paths |
//! | robust scaling | [`RobustScaler`] | exact in batch; a t-digest ([`QuantileSketch`]) online |
//! | binning | [`KBinsDiscretizer`] (`uniform`, `quantile`, `fixed`) | uniform and fixed exact; quantile exact in batch, sketched online (mergeable) |
//! | projection | [`Pca`], [`IncrementalPca`] | PCA exact (running covariance); incremental PCA as scikit-learn's |
//! | record stage | [`ColumnTransformer`] with [`OneHotEncoder`], [`OrdinalEncoder`], [`FeatureHasher`], [`TextVectorizer`] (bag of words, TF-IDF), [`Imputer`] (mean, median, most frequent, constant, previous) | exact but the median imputer (sketched online) and the previous-value imputer |
//!
//! The numeric transformers implement core's [`Transformer`](tidewater_core::Transformer)
//! and take rows of finite numbers. Encoders and imputers need text and missing values, so
//! they work on records of [`Cell`](tidewater_core::Cell)s, gathered into a
//! [`ColumnTransformer`] that stands in front of a [`Pipeline`](tidewater_core::Pipeline)
//! as its record stage (see `tidewater_core::record` and the project's ARCHITECTURE.md).
//!
//! **When transformers learn.** River's convention, on both paths: in `learn_one`, a
//! pipeline's stage first learns the row, then transforms it with its updated state for the
//! next stage; prediction and `transform_one` learn nothing.

#[cfg(test)]
mod check_fuzz;
mod columns;
mod common;
mod discretize;
mod encode;
mod hashing;
mod identity;
mod impute;
mod pca;
mod robust;
mod scalers;
pub mod sketch;
mod standard_scaler;
mod text;

pub use columns::{ColumnTransformer, RecordStepParams, SelectParams};
pub use discretize::{BinStrategy, KBinsDiscretizer, KBinsDiscretizerParams};
pub use encode::{
    HandleUnknown, OneHotEncoder, OneHotEncoderParams, OrdinalEncoder, OrdinalEncoderParams,
};
pub use hashing::{FeatureHasher, FeatureHasherParams, hash_index, murmur3_s32};
pub use identity::{Passthrough, PassthroughParams};
pub use impute::{Imputer, PreviousImputerParams, StatImputerParams, Strategy};
pub use pca::{IncrementalPca, IncrementalPcaParams, Pca, PcaParams};
pub use robust::{RobustScaler, RobustScalerParams};
pub use scalers::{
    AdaptiveStandardScaler, AdaptiveStandardScalerParams, MaxAbsScaler, MaxAbsScalerParams,
    MinMaxScaler, MinMaxScalerParams, Norm, Normalizer, NormalizerParams,
};
pub use sketch::QuantileSketch;
pub use standard_scaler::{StandardScaler, StandardScalerParams};
pub use text::{BagOfWordsParams, TextParams, TextVectorizer, TfIdfParams, Tokenizer};
/// The error type of this crate: the core one, since every failure here is a core kind
/// (a bad parameter, a bad value, a wrong dimension).
pub use tidewater_core::{Error, Result};
