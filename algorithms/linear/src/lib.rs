//! # tidewater-linear
//!
//! Linear models with one model type for the batch and the stream path: logistic and softmax
//! regression, least squares and ridge, FTRL-Proximal, passive-aggressive, perceptron.
//!
//! | model | stream path | batch path ([`Fit`](tidewater_core::Fit)) |
//! |---|---|---|
//! | [`LogisticRegression`] | River's GLM: SGD / AdaGrad / Adam / FTRL, `l2`, `l1`, `intercept_lr`, `clip_gradient` | L-BFGS on *mean log loss + l2/2 \|w\|²* (or scikit-learn's `c`) to a gradient below `tol` |
//! | [`SoftmaxRegression`] | River's softmax (SGD 0.01, no intercept unless asked) | scikit-learn's multinomial logistic regression |
//! | [`LinearRegression`] | River's GLM with the squared loss | scikit-learn's `LinearRegression` (QR, SVD when rank deficient) |
//! | [`Ridge`] | exact: sufficient statistics | the same statistics (law 1 holds bit for bit) |
//! | [`Ftrl`] | McMahan et al.'s FTRL-Proximal, lazy per-coordinate weights | the row loop |
//! | [`PAClassifier`], [`PARegressor`] | Crammer et al.'s PA, PA-I, PA-II | the row loop |
//! | [`Perceptron`] | River's (hinge at 0, rate 1) | the row loop |
//!
//! Every model takes dense and sparse rows and sample weights; the classifiers give
//! probabilities. The learn and predict calls of the stream path allocate nothing once a model
//! has seen its first row (a softmax model allocates when a new class appears; a ridge model's
//! first prediction after a load sizes its solver storage).
//!
//! **Binary labels.** The binary classifiers ([`LogisticRegression`], [`Ftrl`],
//! [`PAClassifier`], [`Perceptron`]) score the *positive* class, the larger of their two labels
//! (`1` against `0` or `-1`, `true` against `false`), as the command line's binary metrics do.
//! While a single class is known, a numeric label above 0 is provisionally positive and any
//! other label negative, which is River's convention for `0`/`1` and `False`/`True`; when the
//! second class shows the role was wrong, the model negates its state (exactly what learning
//! with the roles right would have given). A third class is an error naming it that points to
//! [`SoftmaxRegression`]. With one class known, a classifier reports probability 1 for it.
//!
//! **Rejected rows** (a NaN, a wrong width, a negative weight, a non-finite target) are
//! refused before anything changes, so the model stays bit-identical (law 6).

mod batch;
mod binary;
mod ftrl;
mod glm;
mod lbfgs;
mod logistic;
mod moments;
pub mod optim;
mod pa;
mod parts;
mod regression;
mod softmax;

pub use ftrl::{Ftrl, FtrlParams};
pub use logistic::{
    FitInfo, LogisticRegression, LogisticRegressionParams, Perceptron, PerceptronParams,
};
pub use optim::{Optimizer, Schedule};
pub use pa::{PAClassifier, PAClassifierParams, PARegressor, PARegressorParams};
pub use regression::{LinearRegression, LinearRegressionParams, Ridge, RidgeParams};
pub use softmax::{SoftmaxRegression, SoftmaxRegressionParams};
/// The error type of this crate: the core one, since every failure here is a core kind.
pub use tidewater_core::{Error, Result};
