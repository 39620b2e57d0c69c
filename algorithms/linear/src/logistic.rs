//! Binary logistic regression (both paths) and the perceptron (stream path).

use serde::{Deserialize, Serialize};
use tidewater_core::spec::Params;
use tidewater_core::traits::learn_dataset;
use tidewater_core::{
    Build, ClassSet, Classifier, Dataset, Error, FeatureVector, Fit, Label, Result, Row,
};

use crate::batch;
use crate::binary::BinaryClasses;
use crate::glm::{
    Glm, GlmConfig, check_rows, dataset_weights, glm_config, hinge_gradient, logistic,
};
use crate::optim::Optimizer;
use tidewater_core::rounds::{BlockSum, Executor, Rayon, RunInfo};

/// How a batch fit ended (L-BFGS).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitInfo {
    /// Iterations taken.
    pub iterations: usize,
    /// The largest absolute component of the objective's gradient at the end.
    pub grad_max: f64,
    /// Whether `grad_max` fell below the `tol` parameter.
    pub converged: bool,
}

impl From<crate::lbfgs::Outcome> for FitInfo {
    fn from(o: crate::lbfgs::Outcome) -> Self {
        FitInfo {
            iterations: o.iterations,
            grad_max: o.grad_max,
            converged: o.converged,
        }
    }
}

/// The loss of a binary GLM classifier.
#[derive(Clone, Copy, Debug)]
enum BinaryLoss {
    Log,
    Hinge(f64),
}

/// The state shared by the binary GLM classifiers: the classes and the GLM.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct BinaryGlm {
    classes: BinaryClasses,
    glm: Glm,
}

impl BinaryGlm {
    fn check_row(&self, x: Row<'_>) -> Result<()> {
        crate::glm::check_row(x, self.glm.dim)
    }

    /// Learns a row: the straight-line step when it applies, else the general one (every
    /// check, class roles, any optimizer and penalty).
    fn learn_one(
        &mut self,
        name: &str,
        cfg: &GlmConfig<'_>,
        loss: BinaryLoss,
        x: Row<'_>,
        y: &Label,
        weight: Option<f64>,
    ) -> Result<()> {
        if self
            .sgd_log_step::<false>(cfg, loss, x, y, weight, &mut [0.0; 2])
            .is_some()
        {
            return Ok(());
        }
        let (target, w) = self.classes.admit(name, x, self.glm.dim, y, weight, None)?;
        if target.flip {
            self.glm.negate(cfg);
        }
        self.glm.ensure(cfg, x.dim());
        let z = self.glm.raw(x);
        self.learn_from(cfg, loss, x, y, &target, z, logistic(z), w);
        Ok(())
    }

    /// The learning half of a step, given the row's logit `z` and `logistic(z)` under the
    /// state to learn from (after any flip).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn learn_from(
        &mut self,
        cfg: &GlmConfig<'_>,
        loss: BinaryLoss,
        x: Row<'_>,
        y: &Label,
        target: &crate::binary::Target,
        z: f64,
        p: f64,
        w: f64,
    ) {
        let g = match loss {
            BinaryLoss::Log => p - if target.positive { 1.0 } else { 0.0 },
            BinaryLoss::Hinge(t) => hinge_gradient(target.positive, z, t),
        };
        self.glm.learn(cfg, x, g * w);
        self.classes.commit(y);
    }

    /// Predicts with the current state, then learns: one dot product and one exponential
    /// (the straight-line step when it applies).
    #[allow(clippy::too_many_arguments)]
    fn predict_then_learn(
        &mut self,
        name: &str,
        cfg: &GlmConfig<'_>,
        loss: BinaryLoss,
        x: Row<'_>,
        y: &Label,
        weight: Option<f64>,
        out: &mut [f64],
    ) -> Result<Option<Label>> {
        if let Some(prediction) = self.sgd_log_step::<true>(cfg, loss, x, y, weight, out) {
            return Ok(prediction);
        }
        let (target, w) = self
            .classes
            .admit(name, x, self.glm.dim, y, weight, Some(out.len()))?;
        let mut z = self.glm.raw(x);
        let mut p = logistic(z);
        let prediction = self.classes.predict_before(p, out);
        if target.flip {
            // Negating the state negates the logit exactly.
            self.glm.negate(cfg);
            z = -z;
            p = logistic(z);
        }
        self.glm.ensure(cfg, x.dim());
        self.learn_from(cfg, loss, x, y, &target, z, p, w);
        Ok(prediction)
    }

    /// The prequential step of the common case in one straight line: two numeric classes
    /// known, a short dense row of the model's width, no sample weight, the log loss and
    /// constant-rate SGD without penalties (River's default model). The arithmetic is the
    /// general path's, operation for operation; `None` when the step is not of that kind or
    /// anything needs checking beyond a finite logit and a known label (the general path then
    /// takes it and reports any error). With `PREDICT` false only the learning is done (`out`
    /// is then scratch, the returned prediction `None`).
    #[inline(always)]
    fn sgd_log_step<const PREDICT: bool>(
        &mut self,
        cfg: &GlmConfig<'_>,
        loss: BinaryLoss,
        x: Row<'_>,
        y: &Label,
        weight: Option<f64>,
        out: &mut [f64],
    ) -> Option<Option<Label>> {
        let (
            BinaryLoss::Log,
            Optimizer::Sgd {
                lr,
                schedule: crate::optim::Schedule::Constant,
            },
            Row::Dense(v),
            [Label::Num(neg), Label::Num(pos)],
            Label::Num(yv),
            None,
            [out_neg, out_pos],
        ) = (
            loss,
            *cfg.optimizer,
            x,
            self.classes.classes().labels(),
            y,
            weight,
            out,
        )
        else {
            return None;
        };
        let is_pos = yv == pos;
        if !(is_pos || yv == neg)
            || cfg.l1 != 0.0
            || cfg.l2 != 0.0
            || self.glm.dim != Some(v.len())
            || v.len() >= crate::glm::SMALL_DENSE
        {
            return None;
        }
        let z = self.glm.raw(x);
        // A NaN or infinite feature makes the logit NaN or infinite (inf * 0 is NaN, and no
        // finite term cancels an infinite one), so this one test stands for the row's scan;
        // a logit that overflows from finite values also goes to the general path.
        if !z.is_finite() {
            return None;
        }
        let p = logistic(z);
        let prediction = if PREDICT {
            *out_neg = 1.0 - p;
            *out_pos = p;
            Some(Label::Num(if p > 0.5 { *pos } else { *neg }))
        } else {
            None
        };
        let g = p - if is_pos { 1.0 } else { 0.0 };
        // |g| <= 1 here (p in [0, 1], no weight), so a bound of 1 or more clips nothing: the
        // test keeps the clamp's two operations off the row-to-row chain without changing a bit.
        let g = if cfg.clip_gradient >= 1.0 {
            g
        } else {
            g.clamp(-cfg.clip_gradient, cfg.clip_gradient)
        };
        if cfg.fit_intercept {
            self.glm.intercept -= cfg.intercept_lr * g;
        }
        crate::glm::axpy_short(-lr * g, v, &mut self.glm.weights);
        self.glm.opt.t = self.glm.opt.t.saturating_add(1);
        Some(prediction)
    }

    /// The probability of the positive class (of the lone class while there is one).
    #[inline]
    fn positive_proba(&self, x: Row<'_>) -> f64 {
        logistic(self.glm.raw(x))
    }

    fn proba_into(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        crate::glm::check_out(self.classes.classes().len(), out.len())?;
        if self.classes.classes().is_empty() {
            return Ok(());
        }
        self.check_row(x)?;
        self.classes.proba_into(self.positive_proba(x), out);
        Ok(())
    }

    fn predict_one(&self, x: Row<'_>) -> Result<Option<Label>> {
        if self.classes.classes().is_empty() {
            return Ok(None);
        }
        self.check_row(x)?;
        Ok(self.classes.predict(self.positive_proba(x) > 0.5))
    }
}

/// Hyper-parameters of [`LogisticRegression`]: River's names and defaults for the stream path,
/// plus scikit-learn's `C` (`c`) and the solver's stopping rule for the batch path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "logistic_regression",
    alloc_free,
    summary = "binary logistic regression: River's online GLM, or L-BFGS to convergence on the same penalised objective",
    check = Self::check
)]
pub struct LogisticRegressionParams {
    /// Stream-path optimizer of the weights: sgd(lr,schedule=constant|inverse_scaling|optimal,power,alpha), adagrad(lr,eps), adam(lr,beta_1,beta_2,eps) or ftrl(alpha,beta,l1,l2).
    #[param(default = Optimizer::sgd(0.01))]
    pub optimizer: Optimizer,
    /// L2 penalty: l2*w added to each row's gradient (River); the batch path minimises mean log loss + l2/2*|w|^2.
    #[param(default = 0.0, ge = 0)]
    pub l2: f64,
    /// River's cumulative L1 penalty (stream path only; the batch path refuses it).
    #[param(default = 0.0, ge = 0)]
    pub l1: f64,
    /// Learning rate of the intercept on the stream path.
    #[param(default = 0.01, ge = 0)]
    pub intercept_lr: f64,
    /// Bound on the absolute loss gradient of a row.
    #[param(default = 1e12, gt = 0)]
    pub clip_gradient: f64,
    /// Whether to learn an intercept (never penalised).
    #[param(default = true)]
    pub fit_intercept: bool,
    /// Fit only: scikit-learn's C (C*sum of log losses + 1/2*|w|^2, i.e. l2 = 1/(c*total sample weight)); exclusive with l2.
    #[param(default = None, gt = 0, batch_only)]
    pub c: Option<f64>,
    /// Fit only: the most L-BFGS iterations.
    #[param(default = 1000, ge = 1, batch_only)]
    pub max_iter: usize,
    /// Fit only: stop when the largest gradient component is below this.
    #[param(default = 1e-8, gt = 0, batch_only)]
    pub tol: f64,
}

impl LogisticRegressionParams {
    fn check(&self) -> Result<()> {
        self.optimizer.validate("optimizer")?;
        exclusive_c(self.c, self.l2)
    }
}

glm_config!(LogisticRegressionParams);

/// The L2 penalty of the batch path: from scikit-learn's `c` when given, `1 / (c * total)`
/// (`total` the total sample weight), else `l2`.
pub(crate) fn batch_l2(c: Option<f64>, l2: f64, total: f64) -> f64 {
    c.map_or(l2, |c| 1.0 / (c * total))
}

/// `c` (scikit-learn's C) and `l2` set the same penalty: refused together.
pub(crate) fn exclusive_c(c: Option<f64>, l2: f64) -> Result<()> {
    if c.is_some() && l2 != 0.0 {
        return Err(Error::param(
            "c",
            "`c` (scikit-learn's C) and `l2` set the same penalty: give one of them",
        ));
    }
    Ok(())
}

impl Build for LogisticRegressionParams {
    type Model = LogisticRegression;
    fn build(&self) -> Result<LogisticRegression> {
        self.validate()?;
        Ok(LogisticRegression {
            params: self.clone(),
            state: BinaryGlm::default(),
            fit_info: None,
        })
    }
}

impl LogisticRegressionParams {
    /// The batch fit of [`Fit::fit`] with its rounds (each an evaluation of the objective
    /// and its gradient over every row) computed by `exec`: this process's threads
    /// ([`Rayon`], what `fit` uses) or a parameter server's workers. Every executor gives
    /// the same bits (the gradient's parts are added in a fixed block order); the
    /// [`RunInfo`] says how many rounds ran on how many workers.
    ///
    /// On processes that each hold only their own part of the rows (`Processes::with_own_rows`
    /// in tidewater-ps), `data` is this process's part: the parts first exchange their sizes,
    /// total weights and classes, and the model is the fit of every part's rows, one part
    /// after the other, to rounding (each part is cut into blocks of its own).
    pub fn fit_on(
        &self,
        data: &Dataset,
        exec: &dyn Executor,
    ) -> Result<(LogisticRegression, RunInfo)> {
        self.validate()?;
        if self.l1 != 0.0 {
            return Err(Error::param(
                "l1",
                "River's cumulative L1 penalty has no batch path: fit with l2 or c, or learn online",
            ));
        }
        check_rows(data)?;
        let labels = data.target()?.to_labels()?;
        let (weights, total) = dataset_weights(data)?;
        let d = data.n_features();
        let p = d + usize::from(self.fit_intercept);
        let shared = crate::parts::share(exec, data.n_rows(), d, total, Some(&labels), |n, _| {
            batch::blocks(n, p)
        })?;
        let (classes, positive) = binary_targets(&labels, shared.classes.as_ref())?;
        let l2 = batch_l2(self.c, self.l2, shared.weight);
        let obj = batch::Binary {
            x: data.batch(),
            positive: &positive,
            weights: &weights,
            total_weight: shared.weight,
            l2,
            fit_intercept: self.fit_intercept,
            layout: shared.layout,
        };
        debug_assert_eq!(p, obj.n_params());
        let (theta, out, info) = batch::solve(&obj, self.tol, self.max_iter, exec)?;
        let intercept = if self.fit_intercept { theta[d] } else { 0.0 };
        let glm = Glm::fitted(&self.config(), theta[..d].to_vec(), intercept);
        Ok((
            LogisticRegression {
                params: self.clone(),
                state: BinaryGlm { classes, glm },
                fit_info: Some(out.into()),
            },
            info,
        ))
    }
}

impl LogisticRegressionParams {
    /// A model fitted by a trainer of its own (mini-batch SGD on a parameter server's
    /// workers, `fit --staleness`), as a batch fit leaves it: every row is checked (finite
    /// values, the sample weights), and a third class, or a single one, is an error as for
    /// [`Fit::fit`]; then `train` is given each row's label as positive (the larger of the
    /// two classes) or not, and returns the coefficients and the intercept it found. The
    /// model keeps learning online with fresh optimizer state.
    pub fn fit_with(
        &self,
        data: &Dataset,
        train: impl FnOnce(&[bool]) -> Result<(Vec<f64>, f64)>,
    ) -> Result<LogisticRegression> {
        self.validate()?;
        check_rows(data)?;
        dataset_weights(data)?;
        let labels = data.target()?.to_labels()?;
        let (classes, positive) = binary_targets(&labels, None)?;
        let (coef, intercept) = train(&positive)?;
        if coef.len() != data.n_features() {
            return Err(Error::LengthMismatch {
                what: "coefficients".into(),
                expected: data.n_features(),
                got: coef.len(),
            });
        }
        if !coef.iter().chain([&intercept]).all(|v| v.is_finite()) {
            return Err(Error::Training(
                "the coefficients are not finite (the steps diverged: a smaller rate)".into(),
            ));
        }
        let intercept = if self.fit_intercept { intercept } else { 0.0 };
        Ok(LogisticRegression {
            params: self.clone(),
            state: BinaryGlm {
                classes,
                glm: Glm::fitted(&self.config(), coef, intercept),
            },
            fit_info: None,
        })
    }
}

/// The two classes of a batch fit's labels and each row's as positive (the larger class) or
/// not; a third class, or a single one, is an error. `all`: the classes of every part of the
/// rows, when this process holds only its own (they may have classes its rows lack).
fn binary_targets(labels: &[Label], all: Option<&ClassSet>) -> Result<(BinaryClasses, Vec<bool>)> {
    let name = LogisticRegressionParams::NAME;
    let mut classes = BinaryClasses::from_labels(name, labels)?;
    if let Some(all) = all.filter(|&all| all != classes.classes()) {
        classes = BinaryClasses::from_labels(name, all.labels())?;
    }
    if classes.classes().len() < 2 {
        return Err(Error::BadLabel {
            label: labels.first().map(ToString::to_string).unwrap_or_default(),
            reason: "the batch fit needs two classes, the data set has one".into(),
        });
    }
    let pos_label = &classes.classes().labels()[1];
    let positive = labels.iter().map(|l| l == pos_label).collect();
    Ok((classes, positive))
}

impl Fit for LogisticRegressionParams {
    type Model = LogisticRegression;

    /// Minimises *mean log loss + l2/2 |w|^2* (the weighted mean with sample weights; `l2`
    /// from `c` when given) with L-BFGS from zero until the largest gradient component is
    /// below `tol`, rows in parallel. The model then learns online with fresh optimizer state.
    fn fit(&self, data: &Dataset) -> Result<LogisticRegression> {
        self.fit_on(data, &Rayon).map(|(m, _)| m)
    }
}

/// Binary logistic regression with one model type for both paths.
///
/// **Stream path** (River's `LogisticRegression`): zero initial weights; for each row the
/// gradient of the log loss with respect to the logit (clipped to `clip_gradient`, times the
/// sample weight) moves the intercept by `intercept_lr` and, with `l2 * w` added per feature,
/// goes to the optimizer; then River's cumulative L1 penalty if `l1 > 0`. Only the row's
/// features are touched (every feature of a dense row; the stored ones of a sparse row, as
/// River's dicts). A step costs O(features of the row) and allocates nothing.
///
/// **Batch path** ([`Fit`]): minimises *mean log loss + l2/2 |w|^2*, the objective whose
/// stochastic gradient the stream path follows, with L-BFGS to a gradient below `tol`
/// (`c` gives scikit-learn's `C` instead: `l2 = 1/(c·n)`); the intercept is never penalised.
/// A fitted model keeps learning online.
///
/// **Labels**: the positive class is the larger label (see the crate docs); a third class is an
/// error that names it. Probabilities are `[1 - p, p]` in class order; with a single class known
/// the model reports probability 1 for it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogisticRegression {
    params: LogisticRegressionParams,
    state: BinaryGlm,
    fit_info: Option<FitInfo>,
}

impl LogisticRegression {
    /// An empty model with River's defaults.
    pub fn new() -> Self {
        LogisticRegressionParams::default()
            .build()
            .expect("default parameters are valid")
    }

    /// The hyper-parameters.
    pub fn params(&self) -> &LogisticRegressionParams {
        &self.params
    }

    /// The weights of the positive class's logit (empty before the first row).
    pub fn coef(&self) -> &[f64] {
        &self.state.glm.weights
    }

    /// The intercept.
    pub fn intercept(&self) -> f64 {
        self.state.glm.intercept
    }

    /// How the batch fit ended, for a model made by [`Fit::fit`].
    pub fn fit_info(&self) -> Option<FitInfo> {
        self.fit_info
    }

    /// The probability of the positive class (the larger label), or of the lone class while
    /// only one is known. Allocates nothing.
    pub fn predict_positive(&self, x: Row<'_>) -> Result<f64> {
        self.state.check_row(x)?;
        Ok(self.state.positive_proba(x))
    }
}

impl Default for LogisticRegression {
    fn default() -> Self {
        Self::new()
    }
}

/// The `Classifier` impl of a model whose `state` is a [`BinaryGlm`] learned with `loss`
/// under its params' `config()`.
macro_rules! binary_glm_classifier {
    ($model:ty, $params:ty, $loss:expr) => {
        impl tidewater_core::check::CheckState for $model {
            fn check_state(&self) -> tidewater_core::check::StateResult {
                self.params.check_state()?;
                self.state.classes.check()?;
                self.state.glm.check(self.params.config().optimizer)
            }
        }

        impl Classifier for $model {
            fn check_row(&self, x: Row<'_>) -> Result<()> {
                crate::glm::check_row(x, self.n_features())
            }
            fn classes(&self) -> &ClassSet {
                self.state.classes.classes()
            }
            fn prefetch(&self, x: Row<'_>) {
                crate::glm::prefetch_entries(x, &self.state.glm.weights);
            }
            fn n_features(&self) -> Option<usize> {
                self.state.glm.dim
            }
            #[inline]
            fn learn_one(&mut self, x: Row<'_>, y: &Label, weight: Option<f64>) -> Result<()> {
                let cfg = self.params.config();
                self.state
                    .learn_one(<$params>::NAME, &cfg, $loss, x, y, weight)
            }
            #[inline]
            fn predict_then_learn(
                &mut self,
                x: Row<'_>,
                y: &Label,
                weight: Option<f64>,
                out: &mut [f64],
            ) -> Result<Option<Label>> {
                let cfg = self.params.config();
                self.state
                    .predict_then_learn(<$params>::NAME, &cfg, $loss, x, y, weight, out)
            }
            fn predict_proba_into(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
                self.state.proba_into(x, out)
            }
            fn predict_one(&self, x: Row<'_>) -> Result<Option<Label>> {
                self.state.predict_one(x)
            }
        }
    };
}

binary_glm_classifier!(
    LogisticRegression,
    LogisticRegressionParams,
    BinaryLoss::Log
);

/// Hyper-parameters of [`Perceptron`] (River's names and defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "perceptron",
    alloc_free,
    row_loop_fit,
    summary = "perceptron (River's: hinge loss with threshold 0, SGD at rate 1, stream path)"
)]
pub struct PerceptronParams {
    /// L2 penalty added to each row's gradient.
    #[param(default = 0.0, ge = 0)]
    pub l2: f64,
    /// Bound on the absolute loss gradient of a row.
    #[param(default = 1e12, gt = 0)]
    pub clip_gradient: f64,
    /// Whether to learn an intercept (at rate 1).
    #[param(default = true)]
    pub fit_intercept: bool,
}

const PERCEPTRON_OPT: Optimizer = Optimizer::sgd(1.0);

impl PerceptronParams {
    fn config(&self) -> GlmConfig<'_> {
        GlmConfig {
            optimizer: &PERCEPTRON_OPT,
            l2: self.l2,
            l1: 0.0,
            intercept_lr: 1.0,
            clip_gradient: self.clip_gradient,
            fit_intercept: self.fit_intercept,
        }
    }
}

impl Build for PerceptronParams {
    type Model = Perceptron;
    fn build(&self) -> Result<Perceptron> {
        self.validate()?;
        Ok(Perceptron {
            params: self.clone(),
            state: BinaryGlm::default(),
        })
    }
}

impl Fit for PerceptronParams {
    type Model = Perceptron;
    /// The perceptron has only a stream path: fitting learns the rows in order.
    fn fit(&self, data: &Dataset) -> Result<Perceptron> {
        let mut m = self.build()?;
        learn_dataset(&mut m, data)?;
        Ok(m)
    }
}

/// The perceptron as River defines it: a GLM with the hinge loss at threshold 0, SGD at rate 1
/// for the weights and the intercept, zero initial weights. A mistake (`y * score <= 0`) moves
/// the weights by `y * x`. Probabilities are the logistic function of the score, as River's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Perceptron {
    params: PerceptronParams,
    state: BinaryGlm,
}

impl Perceptron {
    /// An empty perceptron with River's defaults.
    pub fn new() -> Self {
        PerceptronParams::default()
            .build()
            .expect("default parameters are valid")
    }

    /// The weights of the positive class's score.
    pub fn coef(&self) -> &[f64] {
        &self.state.glm.weights
    }

    /// The intercept.
    pub fn intercept(&self) -> f64 {
        self.state.glm.intercept
    }
}

impl Default for Perceptron {
    fn default() -> Self {
        Self::new()
    }
}

binary_glm_classifier!(Perceptron, PerceptronParams, BinaryLoss::Hinge(0.0));
