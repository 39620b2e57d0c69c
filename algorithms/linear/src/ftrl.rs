//! FTRL-Proximal (McMahan et al. 2013) for sparse, hashed, high-dimensional binary data.

use serde::{Deserialize, Serialize};
use tidewater_core::spec::Params;
use tidewater_core::traits::learn_dataset;
use tidewater_core::{
    Build, ClassSet, Classifier, Dataset, FeatureVector, Fit, Label, Result, Row,
};

use crate::binary::BinaryClasses;

/// Hyper-parameters of [`Ftrl`] (McMahan et al.'s names).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "ftrl",
    alloc_free,
    row_loop_fit,
    summary = "FTRL-Proximal logistic regression for sparse hashed data (McMahan et al. 2013), lazy per-coordinate weights"
)]
pub struct FtrlParams {
    /// Per-coordinate learning-rate scale.
    #[param(default = 0.1, gt = 0)]
    pub alpha: f64,
    /// Smoothing of the per-coordinate rate alpha/(beta + sqrt(n)).
    #[param(default = 1.0, ge = 0)]
    pub beta: f64,
    /// L1 strength (sparse weights: w = 0 while |z| <= l1).
    #[param(default = 0.0, ge = 0)]
    pub l1: f64,
    /// L2 strength.
    #[param(default = 0.0, ge = 0)]
    pub l2: f64,
    /// Whether to add a constant bias feature (value 1), as VW does.
    #[param(default = true)]
    pub fit_intercept: bool,
}

impl Build for FtrlParams {
    type Model = Ftrl;
    fn build(&self) -> Result<Ftrl> {
        self.validate()?;
        Ok(Ftrl {
            params: self.clone(),
            classes: BinaryClasses::default(),
            dim: None,
            coords: Vec::new(),
            bias: Coord::default(),
        })
    }
}

impl Fit for FtrlParams {
    type Model = Ftrl;
    /// FTRL has only a stream path: fitting learns the rows in order.
    fn fit(&self, data: &Dataset) -> Result<Ftrl> {
        let mut m = self.build()?;
        learn_dataset(&mut m, data)?;
        Ok(m)
    }
}

/// The state of one coordinate, laid out together and aligned to half a cache line, so an
/// update touches exactly one line: the FTRL accumulators `z` and `n`, `sqrt(n)` (kept to save
/// a square root per update) and the weight they imply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[repr(C, align(32))]
struct Coord {
    z: f64,
    n: f64,
    sqrt_n: f64,
    w: f64,
}

impl Coord {
    /// Absorbs the gradient `g` and recomputes the weight (McMahan et al., algorithm 1).
    #[inline(always)]
    fn update(&mut self, g: f64, p: &FtrlParams, inv_alpha: f64) {
        let n_new = self.n + g * g;
        let sqrt_new = n_new.sqrt();
        let sigma = (sqrt_new - self.sqrt_n) * inv_alpha;
        self.z += g - sigma * self.w;
        self.n = n_new;
        self.sqrt_n = sqrt_new;
        let z = self.z;
        self.w = if z.abs() <= p.l1 {
            0.0
        } else {
            -(z - z.signum() * p.l1) / ((p.beta + sqrt_new) * inv_alpha + p.l2)
        };
    }
}

/// FTRL-Proximal logistic regression (McMahan et al. 2013, "Ad click prediction: a view from
/// the trenches"), the algorithm Alink streams.
///
/// Each coordinate keeps `z`, `n` and its weight together. A row's logit is the sum of the
/// weights of its non-zero features (times their values) plus the bias weight; learning the row
/// gives each of those coordinates the gradient `(p - y) x_i s` (`s` the sample weight) and
/// recomputes its weight `w = -(z - sign(z) l1) / ((beta + sqrt(n)) / alpha + l2)` (0 while `|z|
/// <= l1`). Coordinates of zero features are neither read nor written, so an update costs
/// O(non-zeros), whatever the dimension (a dense row is scanned for its non-zeros); a dense
/// row and the same row written sparsely give bit-identical models. The bias is a constant
/// feature of value 1, updated like the others, as VW's constant feature.
///
/// Labels as for [`LogisticRegression`](crate::LogisticRegression): the positive class is the
/// larger label (`1` of VW's `-1`/`1`). Probabilities are `[1 - p, p]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ftrl {
    params: FtrlParams,
    classes: BinaryClasses,
    dim: Option<usize>,
    coords: Vec<Coord>,
    bias: Coord,
}

impl Ftrl {
    /// An empty model with the default parameters.
    pub fn new() -> Self {
        FtrlParams::default()
            .build()
            .expect("default parameters are valid")
    }

    /// The hyper-parameters.
    pub fn params(&self) -> &FtrlParams {
        &self.params
    }

    /// The current weights (one per feature; empty before the first row).
    pub fn coef(&self) -> Vec<f64> {
        self.coords.iter().map(|c| c.w).collect()
    }

    /// The bias weight.
    pub fn intercept(&self) -> f64 {
        self.bias.w
    }

    /// The logit: non-zero entries in index order, one accumulator, so dense and sparse rows
    /// agree bit for bit.
    #[inline]
    fn raw(&self, x: Row<'_>) -> f64 {
        let mut z = if self.params.fit_intercept {
            self.bias.w
        } else {
            0.0
        };
        if self.dim.is_none() {
            return z;
        }
        match x {
            Row::Dense(v) => {
                for (c, &xi) in self.coords.iter().zip(v) {
                    if xi != 0.0 {
                        z += c.w * xi;
                    }
                }
            }
            Row::Sparse(s) => {
                for (&i, &xi) in s.indices().iter().zip(s.values()) {
                    if xi != 0.0 {
                        z += self.coords[i as usize].w * xi;
                    }
                }
            }
        }
        z
    }

    fn proba(&self, x: Row<'_>) -> f64 {
        crate::glm::logistic(self.raw(x))
    }

    /// Learns a row given the positive-class probability `p` of the current state.
    #[inline(always)]
    fn learn_with(&mut self, x: Row<'_>, positive: bool, p: f64, s: f64) {
        let g = (p - if positive { 1.0 } else { 0.0 }) * s;
        let params = &self.params;
        let inv_alpha = 1.0 / params.alpha;
        match x {
            Row::Dense(v) => {
                for (c, &xi) in self.coords.iter_mut().zip(v) {
                    if xi != 0.0 {
                        c.update(g * xi, params, inv_alpha);
                    }
                }
            }
            Row::Sparse(sp) => {
                for (&i, &xi) in sp.indices().iter().zip(sp.values()) {
                    if xi != 0.0 {
                        self.coords[i as usize].update(g * xi, params, inv_alpha);
                    }
                }
            }
        }
        if params.fit_intercept {
            self.bias.update(g, params, inv_alpha);
        }
    }

    fn flip(&mut self) {
        for c in self
            .coords
            .iter_mut()
            .chain(std::iter::once(&mut self.bias))
        {
            c.z = -c.z;
            c.w = -c.w;
        }
    }

    fn ensure(&mut self, d: usize) {
        if self.dim.is_none() {
            self.dim = Some(d);
            self.coords = vec![Coord::default(); d];
        }
    }
}

impl Default for Ftrl {
    fn default() -> Self {
        Self::new()
    }
}

impl Coord {
    fn check(&self) -> tidewater_core::check::StateResult {
        use tidewater_core::check::*;
        all_not_nan("z, n, sqrt(n), w", &[self.z, self.n, self.sqrt_n, self.w])?;
        all_at_least_zero("n, sqrt(n)", &[self.n, self.sqrt_n])
    }
}

impl tidewater_core::check::CheckState for Ftrl {
    /// A coordinate per feature (none before the first row), each without NaN and with its
    /// squared-gradient sum not negative.
    fn check_state(&self) -> tidewater_core::check::StateResult {
        use tidewater_core::check::*;
        self.params.check_state()?;
        self.classes.check()?;
        same_len("coordinates", self.coords.len(), self.dim.unwrap_or(0))?;
        for (i, c) in self.coords.iter().enumerate() {
            within(format_args!("coordinate {i}"), c.check())?;
        }
        within("bias", self.bias.check())
    }
}

impl Classifier for Ftrl {
    fn check_row(&self, x: Row<'_>) -> Result<()> {
        crate::glm::check_row(x, self.n_features())
    }

    /// Starts loading the state of the coordinates of a sparse row (each coordinate's state is
    /// one half cache line): with `2^20` coordinates the state is 32 MB, beyond the caches, and a
    /// step would otherwise wait on memory for each of its rare features.
    fn prefetch(&self, x: Row<'_>) {
        crate::glm::prefetch_entries(x, &self.coords);
    }
    fn classes(&self) -> &ClassSet {
        self.classes.classes()
    }

    fn n_features(&self) -> Option<usize> {
        self.dim
    }

    fn learn_one(&mut self, x: Row<'_>, y: &Label, weight: Option<f64>) -> Result<()> {
        let (target, s) = self
            .classes
            .admit(FtrlParams::NAME, x, self.dim, y, weight, None)?;
        if target.flip {
            self.flip();
        }
        self.ensure(x.dim());
        let p = self.proba(x);
        self.learn_with(x, target.positive, p, s);
        self.classes.commit(y);
        Ok(())
    }

    fn predict_then_learn(
        &mut self,
        x: Row<'_>,
        y: &Label,
        weight: Option<f64>,
        out: &mut [f64],
    ) -> Result<Option<Label>> {
        let (target, s) =
            self.classes
                .admit(FtrlParams::NAME, x, self.dim, y, weight, Some(out.len()))?;
        let mut p = self.proba(x);
        let prediction = self.classes.predict_before(p, out);
        if target.flip {
            self.flip();
            p = self.proba(x);
        }
        self.ensure(x.dim());
        self.learn_with(x, target.positive, p, s);
        self.classes.commit(y);
        Ok(prediction)
    }

    fn predict_proba_into(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        crate::glm::check_out(self.classes.classes().len(), out.len())?;
        if self.classes.classes().is_empty() {
            return Ok(());
        }
        self.check_row(x)?;
        self.classes.proba_into(self.proba(x), out);
        Ok(())
    }

    fn predict_one(&self, x: Row<'_>) -> Result<Option<Label>> {
        if self.classes.classes().is_empty() {
            return Ok(None);
        }
        self.check_row(x)?;
        Ok(self.classes.predict(self.proba(x) > 0.5))
    }
}
