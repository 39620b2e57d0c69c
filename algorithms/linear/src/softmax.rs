//! Multinomial (softmax) logistic regression on both paths.

use ndarray::Array2;
use serde::{Deserialize, Serialize};
use tidewater_core::spec::Params;
use tidewater_core::{
    Build, ClassSet, Classifier, Dataset, Error, FeatureVector, Fit, Label, Result, Row,
};

use crate::batch;
use crate::glm::{check_rows, dataset_weights};
use crate::logistic::{FitInfo, batch_l2, exclusive_c};
use crate::optim::{OptState, Optimizer};
use tidewater_core::rounds::{BlockSum, Executor, Rayon, RunInfo};

/// Hyper-parameters of [`SoftmaxRegression`]: River's for the stream path, scikit-learn's
/// multinomial `LogisticRegression` for the batch path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "softmax_regression",
    alloc_free,
    summary = "multinomial logistic regression: River's online softmax, or scikit-learn's multinomial fit by L-BFGS",
    check = Self::check
)]
pub struct SoftmaxRegressionParams {
    /// Stream-path optimizer, one state per class: sgd(lr,schedule,power,alpha), adagrad(lr,eps), adam(lr,beta_1,beta_2,eps) or ftrl(alpha,beta,l1,l2).
    #[param(default = Optimizer::sgd(0.01))]
    pub optimizer: Optimizer,
    /// L2 penalty: l2*w added to each row's gradient; the batch path minimises mean cross-entropy + l2/2*|W|^2.
    #[param(default = 0.0, ge = 0)]
    pub l2: f64,
    /// Intercepts: none follows the path (fit: yes, as scikit-learn; stream: no, as River).
    #[param(default = None)]
    pub fit_intercept: Option<bool>,
    /// Learning rate of the intercepts on the stream path, when there are any.
    #[param(default = 0.01, ge = 0)]
    pub intercept_lr: f64,
    /// Fit only: scikit-learn's C (l2 = 1/(c*total sample weight)); exclusive with l2.
    #[param(default = None, gt = 0, batch_only)]
    pub c: Option<f64>,
    /// Fit only: the most L-BFGS iterations.
    #[param(default = 1000, ge = 1, batch_only)]
    pub max_iter: usize,
    /// Fit only: stop when the largest gradient component is below this.
    #[param(default = 1e-8, gt = 0, batch_only)]
    pub tol: f64,
}

impl SoftmaxRegressionParams {
    fn check(&self) -> Result<()> {
        self.optimizer.validate("optimizer")?;
        exclusive_c(self.c, self.l2)
    }
}

impl Build for SoftmaxRegressionParams {
    type Model = SoftmaxRegression;
    fn build(&self) -> Result<SoftmaxRegression> {
        self.validate()?;
        Ok(SoftmaxRegression {
            params: self.clone(),
            classes: ClassSet::new(),
            dim: None,
            weights: Vec::new(),
            intercepts: Vec::new(),
            has_intercept: self.fit_intercept.unwrap_or(false),
            opts: Vec::new(),
            fit_info: None,
            scratch: Vec::new(),
        })
    }
}

impl SoftmaxRegressionParams {
    /// The batch fit of [`Fit::fit`] with its rounds (each an evaluation of the objective
    /// and its gradient over every row) computed by `exec`: this process's threads
    /// ([`Rayon`], what `fit` uses) or a parameter server's workers. Every executor gives
    /// the same bits (the gradient's parts are added in a fixed block order); the
    /// [`RunInfo`] says how many rounds ran on how many workers.
    ///
    /// On processes that each hold only their own part of the rows, `data` is this
    /// process's part; the classes are those of every part (a part may lack some). See
    /// [`LogisticRegressionParams::fit_on`](crate::LogisticRegressionParams::fit_on).
    pub fn fit_on(
        &self,
        data: &Dataset,
        exec: &dyn Executor,
    ) -> Result<(SoftmaxRegression, RunInfo)> {
        self.validate()?;
        check_rows(data)?;
        let labels = data.target()?.to_labels()?;
        for (i, l) in labels.iter().enumerate() {
            l.check().map_err(|e| e.in_row(i))?;
        }
        let (weights, total) = dataset_weights(data)?;
        let has_intercept = self.fit_intercept.unwrap_or(true);
        let d = data.n_features();
        // The classes of every part set the parameters, and so the blocks.
        let shared = crate::parts::share(exec, data.n_rows(), d, total, Some(&labels), |n, k| {
            batch::blocks(n, k * d + if has_intercept { k } else { 0 })
        })?;
        let classes = shared
            .classes
            .unwrap_or_else(|| ClassSet::from_labels(&labels));
        let k = classes.len();
        if k < 2 {
            return Err(Error::BadLabel {
                label: labels[0].to_string(),
                reason: "the batch fit needs two classes or more, the data set has one".into(),
            });
        }
        let class: Vec<usize> = labels
            .iter()
            .map(|l| classes.index_of(l).unwrap_or(0))
            .collect();
        let l2 = batch_l2(self.c, self.l2, shared.weight);
        let obj = batch::Multinomial {
            x: data.batch(),
            class: &class,
            k,
            weights: &weights,
            total_weight: shared.weight,
            l2,
            fit_intercept: has_intercept,
            layout: shared.layout,
        };
        let p = k * d + if has_intercept { k } else { 0 };
        debug_assert_eq!(p, obj.n_params());
        let (theta, out, info) = batch::solve(&obj, self.tol, self.max_iter, exec)?;
        let mut intercepts = if has_intercept {
            theta[k * d..].to_vec()
        } else {
            vec![0.0; k]
        };
        let mean = intercepts.iter().sum::<f64>() / k as f64;
        intercepts.iter_mut().for_each(|b| *b -= mean);
        let mut opts = vec![OptState::default(); k];
        for o in &mut opts {
            o.init(&self.optimizer, d);
        }
        Ok((
            SoftmaxRegression {
                params: self.clone(),
                classes,
                dim: Some(d),
                weights: theta[..k * d].to_vec(),
                intercepts,
                has_intercept,
                opts,
                fit_info: Some(out.into()),
                scratch: Vec::new(),
            },
            info,
        ))
    }
}

impl Fit for SoftmaxRegressionParams {
    type Model = SoftmaxRegression;

    /// scikit-learn's multinomial logistic regression: minimises *mean cross-entropy + l2/2
    /// |W|^2* over K coefficient rows (all penalised) and K intercepts (not penalised), with
    /// L-BFGS to a gradient below `tol`. The intercepts are reported centred (summing to 0),
    /// which changes no probability. The model keeps its intercepts when it learns online.
    fn fit(&self, data: &Dataset) -> Result<SoftmaxRegression> {
        self.fit_on(data, &Rayon).map(|(m, _)| m)
    }
}

/// Softmax regression with one model type for both paths.
///
/// **Stream path** (River's `SoftmaxRegression`): one weight vector and one optimizer state
/// per class, zero-initialised when the class first appears; for each row the probabilities
/// over the classes known before it (the new class scores 0), clipped to `[1e-15, 1 - 1e-15]`,
/// give each class the loss gradient `p_k - [k = y]` (times the sample weight, which River's
/// model does not take), and with `l2 * w` added it goes to that class's optimizer. No
/// intercepts unless asked (`fit_intercept=true`); then each moves by `intercept_lr` times its
/// gradient. A step costs O(classes × features of the row); it allocates only when a new class
/// appears.
///
/// **Batch path**: scikit-learn's multinomial logistic regression (see [`Fit::fit`] on the
/// params). A batch-fitted model keeps its intercepts (and goes on learning them) online.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SoftmaxRegression {
    params: SoftmaxRegressionParams,
    classes: ClassSet,
    dim: Option<usize>,
    /// K rows of `dim` weights, in class order.
    weights: Vec<f64>,
    intercepts: Vec<f64>,
    has_intercept: bool,
    opts: Vec<OptState>,
    fit_info: Option<FitInfo>,
    /// Per-class scratch of the stream path.
    #[serde(skip)]
    scratch: Vec<f64>,
}

impl PartialEq for SoftmaxRegression {
    fn eq(&self, o: &Self) -> bool {
        self.params == o.params
            && self.classes == o.classes
            && self.dim == o.dim
            && self.weights == o.weights
            && self.intercepts == o.intercepts
            && self.has_intercept == o.has_intercept
            && self.opts == o.opts
            && self.fit_info == o.fit_info
    }
}

impl SoftmaxRegression {
    /// An empty model with River's defaults.
    pub fn new() -> Self {
        SoftmaxRegressionParams::default()
            .build()
            .expect("default parameters are valid")
    }

    /// The hyper-parameters.
    pub fn params(&self) -> &SoftmaxRegressionParams {
        &self.params
    }

    /// The coefficients, one row per class in class order (`classes × features`).
    pub fn coef(&self) -> Array2<f64> {
        let d = self.dim.unwrap_or(0);
        Array2::from_shape_vec((self.classes.len(), d), self.weights.clone())
            .unwrap_or_else(|_| Array2::zeros((0, 0)))
    }

    /// The intercepts in class order (zeros when the model has none).
    pub fn intercepts(&self) -> &[f64] {
        &self.intercepts
    }

    /// Whether the model has intercepts.
    pub fn has_intercept(&self) -> bool {
        self.has_intercept
    }

    /// How the batch fit ended, for a model made by [`Fit::fit`].
    pub fn fit_info(&self) -> Option<FitInfo> {
        self.fit_info
    }

    fn score(&self, c: usize, x: Row<'_>) -> f64 {
        let z = match self.dim {
            Some(d) => crate::glm::dot(x, &self.weights[c * d..(c + 1) * d]),
            None => 0.0,
        };
        if self.has_intercept {
            z + self.intercepts[c]
        } else {
            z
        }
    }

    /// Softmax of the scores into `out` (one per class).
    fn proba(&self, x: Row<'_>, out: &mut [f64]) {
        let mut max = f64::NEG_INFINITY;
        for (c, o) in out.iter_mut().enumerate() {
            *o = self.score(c, x);
            max = max.max(*o);
        }
        let mut total = 0.0;
        for o in out.iter_mut() {
            *o = (*o - max).exp();
            total += *o;
        }
        for o in out.iter_mut() {
            *o /= total;
        }
    }
}

impl Default for SoftmaxRegression {
    fn default() -> Self {
        Self::new()
    }
}

impl tidewater_core::check::CheckState for SoftmaxRegression {
    /// Per class a row of `dim` weights, an intercept and an optimizer state; no NaN.
    fn check_state(&self) -> tidewater_core::check::StateResult {
        use tidewater_core::check::*;
        self.params.check_state()?;
        self.classes.check_state()?;
        let k = self.classes.len();
        let d = self.dim.unwrap_or(0);
        ensure(d.checked_mul(k) == Some(self.weights.len()), || {
            format!(
                "weights: {} values for {k} classes of {d} features",
                self.weights.len()
            )
        })?;
        same_len("intercepts", self.intercepts.len(), k)?;
        same_len("optimizer states", self.opts.len(), k)?;
        all_not_nan("weights", &self.weights)?;
        all_not_nan("intercepts", &self.intercepts)?;
        for (c, o) in self.opts.iter().enumerate() {
            within(
                format_args!("class {c}"),
                o.check(&self.params.optimizer, self.dim),
            )?;
        }
        Ok(())
    }
}

impl Classifier for SoftmaxRegression {
    fn check_row(&self, x: Row<'_>) -> Result<()> {
        crate::glm::check_row(x, self.n_features())
    }
    fn classes(&self) -> &ClassSet {
        &self.classes
    }

    fn n_features(&self) -> Option<usize> {
        self.dim
    }

    fn learn_one(&mut self, x: Row<'_>, y: &Label, weight: Option<f64>) -> Result<()> {
        self.step(x, y, weight, None).map(|_| ())
    }

    fn predict_then_learn(
        &mut self,
        x: Row<'_>,
        y: &Label,
        weight: Option<f64>,
        out: &mut [f64],
    ) -> Result<Option<Label>> {
        self.step(x, y, weight, Some(out))
    }

    fn predict_proba_into(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        crate::glm::check_out(self.classes.len(), out.len())?;
        if self.classes.is_empty() {
            return Ok(());
        }
        self.check_row(x)?;
        self.proba(x, out);
        Ok(())
    }

    fn predict_one(&self, x: Row<'_>) -> Result<Option<Label>> {
        if self.classes.is_empty() {
            return Ok(None);
        }
        self.check_row(x)?;
        let mut best = (0, f64::NEG_INFINITY);
        for c in 0..self.classes.len() {
            let z = self.score(c, x);
            if z > best.1 {
                best = (c, z);
            }
        }
        Ok(self.classes.label(best.0).cloned())
    }
}

impl SoftmaxRegression {
    /// One stream step: the probabilities over the classes known before the row (written to
    /// `out` when given, with the predicted label returned), then learning.
    fn step(
        &mut self,
        x: Row<'_>,
        y: &Label,
        weight: Option<f64>,
        out: Option<&mut [f64]>,
    ) -> Result<Option<Label>> {
        self.check_row(x)?;
        let w = crate::glm::weight(weight)?;
        crate::glm::check_label(y)?;
        let k_old = self.classes.len();
        if let Some(o) = &out {
            crate::glm::check_out(k_old, o.len())?;
        }
        let d = *self.dim.get_or_insert(x.dim());
        // Probabilities over the classes known before this row.
        let mut p = std::mem::take(&mut self.scratch);
        if p.len() < k_old + 1 {
            p.resize(k_old + 1, 0.0);
        }
        self.proba(x, &mut p[..k_old]);
        let mut prediction = None;
        if let Some(o) = out {
            o.copy_from_slice(&p[..k_old]);
            let mut best: Option<(usize, f64)> = None;
            for (c, &v) in p[..k_old].iter().enumerate() {
                if best.is_none_or(|(_, b)| v > b) {
                    best = Some((c, v));
                }
            }
            prediction = best.and_then(|(c, _)| self.classes.label(c).cloned());
        }
        let (c, inserted) = self.classes.insert(y);
        if inserted {
            // The new class scores probability 0.
            p.copy_within(c..k_old, c + 1);
            p[c] = 0.0;
            self.weights
                .splice(c * d..c * d, std::iter::repeat_n(0.0, d));
            self.intercepts.insert(c, 0.0);
            let mut o = OptState::default();
            o.init(&self.params.optimizer, d);
            self.opts.insert(c, o);
        }
        let l2 = self.params.l2;
        let k_new = self.classes.len();
        for (k, &pk) in p[..k_new].iter().enumerate() {
            let pk = pk.clamp(1e-15, 1.0 - 1e-15);
            let g = (pk - if k == c { 1.0 } else { 0.0 }) * w;
            self.opts[k].step(
                &self.params.optimizer,
                &mut self.weights[k * d..(k + 1) * d],
                x,
                g,
                l2,
            );
            if self.has_intercept {
                self.intercepts[k] -= self.params.intercept_lr * g;
            }
        }
        self.scratch = p;
        Ok(prediction)
    }
}
