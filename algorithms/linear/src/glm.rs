//! The stream path shared by the generalised linear models (River's `linear_model.base.GLM`):
//! weights, an intercept learned at its own rate, an optimizer, L2 in the gradient, River's
//! cumulative L1 penalty, and gradient clipping. Also the losses and small helpers.

use serde::{Deserialize, Serialize};
use tidewater_core::{Error, FeatureVector, Label, Result, Row};

use crate::optim::{OptState, Optimizer, for_each};

/// Checks a row's width and values (the hot path inline; the error from core's check).
#[inline(always)]
pub(crate) fn check_row(x: Row<'_>, dim: Option<usize>) -> Result<()> {
    if let Row::Dense(v) = x
        && dim.is_none_or(|d| d == v.len())
        && all_finite(v)
    {
        return Ok(());
    }
    x.check(dim)
}

/// Whether every value is finite: an OR of integer tests (associative, so the compiler
/// vectorises it and no chain of floating-point additions serialises it).
#[inline(always)]
pub(crate) fn all_finite(v: &[f64]) -> bool {
    const EXP: u64 = 0x7ff0_0000_0000_0000;
    v.iter()
        .fold(0u64, |acc, a| acc | u64::from(a.to_bits() & EXP == EXP))
        == 0
}

/// A sample weight: `None` is 1; negative or non-finite is core's error.
#[inline(always)]
pub(crate) fn weight(w: Option<f64>) -> Result<f64> {
    match w {
        None => Ok(1.0),
        Some(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => tidewater_core::row::check_weight(w),
    }
}

/// Checks that a numeric label is finite.
#[inline(always)]
pub(crate) fn check_label(y: &Label) -> Result<()> {
    match y {
        Label::Num(v) if !v.is_finite() => y.check(),
        _ => Ok(()),
    }
}

/// Label equality (inline; labels are checked finite, so `==` on numbers is the label order's
/// equality, `-0` equal to `0`).
#[inline(always)]
pub(crate) fn same_label(a: &Label, b: &Label) -> bool {
    match (a, b) {
        (Label::Num(x), Label::Num(y)) => x == y,
        (Label::Text(x), Label::Text(y)) => x == y,
        _ => false,
    }
}

/// Checks an output buffer's length (inline; the error from core).
#[inline(always)]
pub(crate) fn check_out(expected: usize, got: usize) -> Result<()> {
    if expected == got {
        Ok(())
    } else {
        tidewater_core::traits::check_out_len("probability buffer", expected, got)
    }
}

/// Below this many features a dense dot product or axpy runs inline here: the shared kernels
/// (which dispatch on the CPU's vector width) pay off from about this length on.
pub(crate) const SMALL_DENSE: usize = 16;

/// `w . x` for any row: short dense rows inline (four accumulators), the rest by the shared
/// kernels.
#[inline(always)]
pub(crate) fn dot(x: Row<'_>, w: &[f64]) -> f64 {
    match x {
        Row::Dense(v) if v.len() < SMALL_DENSE => {
            let w = &w[..v.len()];
            let (vb, vr) = v.as_chunks::<4>();
            let (wb, wr) = w.as_chunks::<4>();
            let mut acc = [0.0f64; 4];
            for (a, b) in vb.iter().zip(wb) {
                acc[0] += a[0] * b[0];
                acc[1] += a[1] * b[1];
                acc[2] += a[2] * b[2];
                acc[3] += a[3] * b[3];
            }
            let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
            for (a, b) in vr.iter().zip(wr) {
                s += a * b;
            }
            s
        }
        _ => x.dot(w),
    }
}

/// `w += a * v` for a short dense row (below [`SMALL_DENSE`]): one multiply and one add per
/// weight, inline, so every path that updates a short row gets the same bits.
#[inline(always)]
pub(crate) fn axpy_short(a: f64, v: &[f64], w: &mut [f64]) {
    for (wi, &xi) in w.iter_mut().zip(v) {
        *wi += a * xi;
    }
}

/// Starts loading `state[i]` for each stored index `i` of a sparse row (a dense row's state
/// is read in order, which the hardware prefetches by itself); out-of-range indices are
/// ignored.
#[inline]
pub(crate) fn prefetch_entries<T>(x: Row<'_>, state: &[T]) {
    if let Row::Sparse(s) = x {
        for &i in s.indices() {
            if let Some(v) = state.get(i as usize) {
                tidewater_core::kernels::prefetch(v);
            }
        }
    }
}

/// The logistic function (core's). The log-loss gradient with respect to the logit, River's
/// `Log` loss, is `logistic(z) - y` for a 0/1 label; computing both from this one value lets a
/// prequential step (predict, then learn) take one exponential.
pub(crate) use tidewater_core::kernels::logistic;

/// River's hinge-loss gradient with a margin `threshold` (1: SVM, 0: perceptron).
#[inline]
pub(crate) fn hinge_gradient(positive: bool, p: f64, threshold: f64) -> f64 {
    let y = if positive { 1.0 } else { -1.0 };
    if y * p <= threshold { -y } else { 0.0 }
}

/// The settings of a GLM step, borrowed from a model's params.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GlmConfig<'a> {
    pub optimizer: &'a Optimizer,
    pub l2: f64,
    pub l1: f64,
    pub intercept_lr: f64,
    pub clip_gradient: f64,
    pub fit_intercept: bool,
}

/// Weights, intercept and optimizer state of a GLM.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Glm {
    /// The number of features, once known.
    pub dim: Option<usize>,
    pub weights: Vec<f64>,
    pub intercept: f64,
    pub opt: OptState,
    /// River's cumulative L1 penalty: the total penalty each weight has received.
    cum_l1: Vec<f64>,
    /// The total penalty any weight could have received.
    max_cum_l1: f64,
}

impl Glm {
    /// Sizes the state for `d` features on the first row.
    pub fn ensure(&mut self, cfg: &GlmConfig<'_>, d: usize) {
        if self.dim.is_none() {
            self.dim = Some(d);
            self.weights = vec![0.0; d];
            self.opt.init(cfg.optimizer, d);
            self.cum_l1 = if cfg.l1 != 0.0 {
                vec![0.0; d]
            } else {
                Vec::new()
            };
        }
    }

    /// A GLM with given weights and intercept (a batch fit) and fresh optimizer state.
    pub fn fitted(cfg: &GlmConfig<'_>, weights: Vec<f64>, intercept: f64) -> Self {
        let mut g = Glm::default();
        g.ensure(cfg, weights.len());
        g.weights = weights;
        g.intercept = intercept;
        g
    }

    /// `w . x + b`.
    #[inline]
    pub fn raw(&self, x: Row<'_>) -> f64 {
        if self.dim.is_some() {
            dot(x, &self.weights) + self.intercept
        } else {
            self.intercept
        }
    }

    /// One River step: `loss_gradient` is the loss's derivative with respect to the raw
    /// prediction, already multiplied by the sample weight. The state must be sized.
    #[inline]
    pub fn learn(&mut self, cfg: &GlmConfig<'_>, x: Row<'_>, loss_gradient: f64) {
        let g = loss_gradient.clamp(-cfg.clip_gradient, cfg.clip_gradient);
        if cfg.fit_intercept {
            self.intercept -= cfg.intercept_lr * g;
        }
        self.opt
            .step(cfg.optimizer, &mut self.weights, x, g, cfg.l2);
        if cfg.l1 != 0.0 {
            if self.cum_l1.len() != self.weights.len() {
                self.cum_l1 = vec![0.0; self.weights.len()];
            }
            self.max_cum_l1 += cfg.l1 * cfg.optimizer.learning_rate(self.opt.t);
            let (w, cum, max) = (&mut self.weights, &mut self.cum_l1, self.max_cum_l1);
            for_each(x, |j, _| {
                let before = w[j];
                if before > 0.0 {
                    w[j] = (before - (max + cum[j])).max(0.0);
                } else if before < 0.0 {
                    w[j] = (before + (max - cum[j])).min(0.0);
                }
                cum[j] += w[j] - before;
            });
        }
    }

    /// Negates every quantity that is odd in the weights (see [`crate::binary`]).
    pub fn negate(&mut self, cfg: &GlmConfig<'_>) {
        self.weights.iter_mut().for_each(|v| *v = -*v);
        self.intercept = -self.intercept;
        self.cum_l1.iter_mut().for_each(|v| *v = -*v);
        self.opt.negate(cfg.optimizer);
    }
}

/// Checks that a regression target is finite.
pub(crate) fn check_target(y: f64) -> Result<()> {
    if y.is_finite() {
        Ok(())
    } else {
        Err(Error::BadValue {
            location: tidewater_core::Location::Target,
            reason: format!("value {y} is not finite"),
        })
    }
}

/// `config()`, the step settings of a params struct with the GLM fields (`optimizer`, `l2`,
/// `l1`, `intercept_lr`, `clip_gradient`, `fit_intercept`).
macro_rules! glm_config {
    ($t:ty) => {
        impl $t {
            fn config(&self) -> $crate::glm::GlmConfig<'_> {
                $crate::glm::GlmConfig {
                    optimizer: &self.optimizer,
                    l2: self.l2,
                    l1: self.l1,
                    intercept_lr: self.intercept_lr,
                    clip_gradient: self.clip_gradient,
                    fit_intercept: self.fit_intercept,
                }
            }
        }
    };
}
pub(crate) use glm_config;

/// The sample weights of a data set (ones without), checked, and their sum.
pub(crate) fn dataset_weights(data: &tidewater_core::Dataset) -> Result<(Vec<f64>, f64)> {
    let n = data.n_rows();
    let w = match &data.weights {
        Some(w) => {
            for (i, &v) in w.iter().enumerate() {
                tidewater_core::row::check_weight(Some(v)).map_err(|e| e.in_row(i))?;
            }
            w.clone()
        }
        None => vec![1.0; n],
    };
    let total: f64 = w.iter().sum();
    if total.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return Err(Error::Empty("the sample weights sum to zero".into()));
    }
    Ok((w, total))
}

/// Checks every row of a data set (finite values), naming the first bad one.
pub(crate) fn check_rows(data: &tidewater_core::Dataset) -> Result<()> {
    if data.n_rows() == 0 {
        return Err(Error::Empty("the data set has no rows".into()));
    }
    let b = data.batch();
    for i in 0..b.n_rows() {
        b.row(i)
            .and_then(|r| r.check(None))
            .map_err(|e| e.in_row(i))?;
    }
    Ok(())
}

impl Glm {
    /// `dim` weights (none before the first row), the optimizer's state to match, the L1
    /// totals empty or one per weight, and no NaN (weights may overflow to infinity when
    /// SGD diverges; predictions then are infinite, not a panic).
    pub(crate) fn check(&self, opt: &Optimizer) -> tidewater_core::check::StateResult {
        use tidewater_core::check::*;
        same_len("weights", self.weights.len(), self.dim.unwrap_or(0))?;
        all_not_nan("weights", &self.weights)?;
        not_nan("intercept", self.intercept)?;
        self.opt.check(opt, self.dim)?;
        ensure(
            self.cum_l1.is_empty() || self.cum_l1.len() == self.weights.len(),
            || {
                format!(
                    "L1 totals: {} values for {} weights",
                    self.cum_l1.len(),
                    self.weights.len()
                )
            },
        )?;
        all_not_nan("L1 totals", &self.cum_l1)?;
        not_nan("L1 total", self.max_cum_l1)
    }
}
