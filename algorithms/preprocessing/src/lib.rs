//! # tidewater-preprocessing
//!
//! Feature transforms written once for the batch and the stream path. Each transformer has a
//! params type (hyper-parameters, defaults, validation, a builder) and a model type that
//! learns from a whole data set ([`Fit`](tidewater_core::Fit)) or one row at a time
//! ([`Transformer::learn_one`](tidewater_core::Transformer::learn_one)), and transforms the
//! same way whichever path made it.

mod standard_scaler;

pub use standard_scaler::{StandardScaler, StandardScalerParams};
/// The error type of this crate: the core one, since every failure here is a core kind
/// (a bad parameter, a bad value, a wrong dimension).
pub use tidewater_core::{Error, Result};
