//! Passive-aggressive learners (Crammer et al. 2006): PA, PA-I and PA-II for classification
//! (hinge loss) and regression (epsilon-insensitive loss).

use serde::{Deserialize, Serialize};
use tidewater_core::spec::Params;
use tidewater_core::traits::{learn_dataset, learn_dataset_regressor};
use tidewater_core::{
    Build, ClassSet, Classifier, Dataset, FeatureVector, Fit, Label, Regressor, Result, Row,
};

use crate::binary::BinaryClasses;
use crate::glm::logistic;

/// The step size `tau` of Crammer et al.: PA (`mode` 0) `loss / |x|^2`, PA-I (1)
/// `min(c, loss / |x|^2)`, PA-II (2) `loss / (|x|^2 + 1/(2c))`. A zero row takes no step under
/// PA and PA-I (as scikit-learn and River).
fn tau(mode: u8, c: f64, loss: f64, norm2: f64) -> f64 {
    match mode {
        0 if norm2 > 0.0 => loss / norm2,
        1 if norm2 > 0.0 => c.min(loss / norm2),
        2 => loss / (norm2 + 0.5 / c),
        _ => 0.0,
    }
}

fn squared_norm(x: Row<'_>) -> f64 {
    match x {
        Row::Dense(v) => tidewater_core::kernels::dot(v, v),
        Row::Sparse(s) => tidewater_core::kernels::dot(s.values(), s.values()),
    }
}

/// Weights and intercept of a PA model.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct PaState {
    dim: Option<usize>,
    weights: Vec<f64>,
    intercept: f64,
}

impl PaState {
    fn raw(&self, x: Row<'_>) -> f64 {
        match self.dim {
            Some(_) => crate::glm::dot(x, &self.weights) + self.intercept,
            None => self.intercept,
        }
    }

    fn ensure(&mut self, d: usize) {
        if self.dim.is_none() {
            self.dim = Some(d);
            self.weights = vec![0.0; d];
        }
    }

    fn step(&mut self, x: Row<'_>, step: f64, fit_intercept: bool) {
        if step != 0.0 {
            x.axpy_into(step, &mut self.weights);
            if fit_intercept {
                self.intercept += step;
            }
        }
    }
}

/// Hyper-parameters of [`PAClassifier`] (River's names and defaults, `C` as `c`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "pa_classifier",
    alloc_free,
    row_loop_fit,
    summary = "passive-aggressive binary classifier (PA, PA-I, PA-II; Crammer et al. 2006)"
)]
pub struct PAClassifierParams {
    /// Aggressiveness: PA-I caps the step at c, PA-II adds 1/(2c) to |x|^2.
    #[param(default = 1.0, gt = 0)]
    pub c: f64,
    /// The variant: 0 = PA, 1 = PA-I, 2 = PA-II.
    #[param(default = 1, one_of = [0, 1, 2])]
    pub mode: u8,
    /// Whether to learn an intercept (moved by the same step, not counted in |x|^2).
    #[param(default = true)]
    pub fit_intercept: bool,
}

impl Build for PAClassifierParams {
    type Model = PAClassifier;
    fn build(&self) -> Result<PAClassifier> {
        self.validate()?;
        Ok(PAClassifier {
            params: self.clone(),
            classes: BinaryClasses::default(),
            state: PaState::default(),
        })
    }
}

impl Fit for PAClassifierParams {
    type Model = PAClassifier;
    /// PA has only a stream path: fitting learns the rows in order.
    fn fit(&self, data: &Dataset) -> Result<PAClassifier> {
        let mut m = self.build()?;
        learn_dataset(&mut m, data)?;
        Ok(m)
    }
}

/// Passive-aggressive binary classification (Crammer et al. 2006; River's `PAClassifier`,
/// scikit-learn's `PassiveAggressiveClassifier` for one pass).
///
/// With `y` = ±1 (the positive class is the larger label) and score `p = w.x + b`, the hinge
/// loss `max(0, 1 - y p)` sets the step `tau` (see `mode`), then `w += tau y s x` and `b += tau
/// y s` (`s` the sample weight, as scikit-learn). `|x|^2` does not count the intercept, as in
/// both. Probabilities are the logistic function of the score (River's); the prediction is the positive
/// class when it is above 1/2.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PAClassifier {
    params: PAClassifierParams,
    classes: BinaryClasses,
    state: PaState,
}

impl PAClassifier {
    /// An empty model with the default parameters (PA-I, c = 1).
    pub fn new() -> Self {
        PAClassifierParams::default()
            .build()
            .expect("default parameters are valid")
    }

    /// The weights of the positive class's score.
    pub fn coef(&self) -> &[f64] {
        &self.state.weights
    }

    /// The intercept.
    pub fn intercept(&self) -> f64 {
        self.state.intercept
    }
}

impl Default for PAClassifier {
    fn default() -> Self {
        Self::new()
    }
}

impl PaState {
    /// A weight per feature (none before the first row), no NaN.
    fn check(&self) -> tidewater_core::check::StateResult {
        use tidewater_core::check::*;
        same_len("weights", self.weights.len(), self.dim.unwrap_or(0))?;
        all_not_nan("weights", &self.weights)?;
        not_nan("intercept", self.intercept)
    }
}

impl tidewater_core::check::CheckState for PAClassifier {
    fn check_state(&self) -> tidewater_core::check::StateResult {
        self.params.check_state()?;
        self.classes.check()?;
        self.state.check()
    }
}

impl tidewater_core::check::CheckState for PARegressor {
    fn check_state(&self) -> tidewater_core::check::StateResult {
        self.params.check_state()?;
        self.state.check()
    }
}

impl Classifier for PAClassifier {
    fn check_row(&self, x: Row<'_>) -> Result<()> {
        crate::glm::check_row(x, self.n_features())
    }
    fn classes(&self) -> &ClassSet {
        self.classes.classes()
    }
    fn n_features(&self) -> Option<usize> {
        self.state.dim
    }
    fn learn_one(&mut self, x: Row<'_>, y: &Label, weight: Option<f64>) -> Result<()> {
        let (target, s) =
            self.classes
                .admit(PAClassifierParams::NAME, x, self.state.dim, y, weight, None)?;
        if target.flip {
            self.state.weights.iter_mut().for_each(|v| *v = -*v);
            self.state.intercept = -self.state.intercept;
        }
        self.state.ensure(x.dim());
        let sign = if target.positive { 1.0 } else { -1.0 };
        let p = self.state.raw(x);
        let loss = (1.0 - sign * p).max(0.0);
        let t = tau(self.params.mode, self.params.c, loss, squared_norm(x));
        self.state.step(x, t * sign * s, self.params.fit_intercept);
        self.classes.commit(y);
        Ok(())
    }
    fn predict_proba_into(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        crate::glm::check_out(self.classes.classes().len(), out.len())?;
        if self.classes.classes().is_empty() {
            return Ok(());
        }
        self.check_row(x)?;
        self.classes.proba_into(logistic(self.state.raw(x)), out);
        Ok(())
    }
    fn predict_one(&self, x: Row<'_>) -> Result<Option<Label>> {
        if self.classes.classes().is_empty() {
            return Ok(None);
        }
        self.check_row(x)?;
        Ok(self.classes.predict(logistic(self.state.raw(x)) > 0.5))
    }
}

/// Hyper-parameters of [`PARegressor`] (River's names and defaults, `C` as `c`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "pa_regressor",
    alloc_free,
    row_loop_fit,
    summary = "passive-aggressive regression (epsilon-insensitive; PA, PA-I, PA-II)"
)]
pub struct PARegressorParams {
    /// Aggressiveness: PA-I caps the step at c, PA-II adds 1/(2c) to |x|^2.
    #[param(default = 1.0, gt = 0)]
    pub c: f64,
    /// The variant: 0 = PA, 1 = PA-I, 2 = PA-II.
    #[param(default = 1, one_of = [0, 1, 2])]
    pub mode: u8,
    /// Half-width of the insensitive zone: loss = max(0, |y - p| - eps).
    #[param(default = 0.1, ge = 0)]
    pub eps: f64,
    /// Whether to learn an intercept (moved by the same step, not counted in |x|^2).
    #[param(default = true)]
    pub fit_intercept: bool,
}

impl Build for PARegressorParams {
    type Model = PARegressor;
    fn build(&self) -> Result<PARegressor> {
        self.validate()?;
        Ok(PARegressor {
            params: self.clone(),
            state: PaState::default(),
        })
    }
}

impl Fit for PARegressorParams {
    type Model = PARegressor;
    /// PA has only a stream path: fitting learns the rows in order.
    fn fit(&self, data: &Dataset) -> Result<PARegressor> {
        let mut m = self.build()?;
        learn_dataset_regressor(&mut m, data)?;
        Ok(m)
    }
}

/// Passive-aggressive regression (Crammer et al. 2006). With `p = w.x + b`, the
/// epsilon-insensitive loss `max(0, |y - p| - eps)` sets `tau`, then `w += tau sign(y - p) s x`
/// and `b` likewise. PA-I is exactly scikit-learn's `SGDRegressor(loss="epsilon_insensitive",
/// learning_rate="pa1", eta0=c)` for one pass without shuffling. (River's `PARegressor` maps the
/// target through `2y - 1` inside its loss, which these formulas do not.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PARegressor {
    params: PARegressorParams,
    state: PaState,
}

impl PARegressor {
    /// An empty model with the default parameters (PA-I, c = 1, eps = 0.1).
    pub fn new() -> Self {
        PARegressorParams::default()
            .build()
            .expect("default parameters are valid")
    }

    /// The weights.
    pub fn coef(&self) -> &[f64] {
        &self.state.weights
    }

    /// The intercept.
    pub fn intercept(&self) -> f64 {
        self.state.intercept
    }
}

impl Default for PARegressor {
    fn default() -> Self {
        Self::new()
    }
}

impl Regressor for PARegressor {
    fn check_row(&self, x: Row<'_>) -> Result<()> {
        crate::glm::check_row(x, self.n_features())
    }
    fn n_features(&self) -> Option<usize> {
        self.state.dim
    }
    fn learn_one(&mut self, x: Row<'_>, y: f64, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        let s = crate::glm::weight(weight)?;
        crate::glm::check_target(y)?;
        self.state.ensure(x.dim());
        let p = self.state.raw(x);
        let loss = ((y - p).abs() - self.params.eps).max(0.0);
        let t = tau(self.params.mode, self.params.c, loss, squared_norm(x));
        let sign = if y - p < 0.0 { -1.0 } else { 1.0 };
        self.state.step(x, t * sign * s, self.params.fit_intercept);
        Ok(())
    }
    fn predict_one(&self, x: Row<'_>) -> Result<f64> {
        self.check_row(x)?;
        Ok(self.state.raw(x))
    }
}
