//! # tidewater-bayes
//!
//! Naive Bayes classifiers with one model type for the batch and the stream path: sufficient
//! statistics make them exact, so a model fitted on a data set equals one that learned the same
//! rows one at a time.

mod bernoulli;
mod gaussian;
mod multinomial;

pub use bernoulli::{BernoulliNB, BernoulliNBParams};
pub use gaussian::{GaussianNB, GaussianNBParams};
pub use multinomial::{MultinomialNB, MultinomialNBParams};
/// The error type of this crate: the core one, since every failure here is a core kind.
pub use tidewater_core::{Error, Result};
