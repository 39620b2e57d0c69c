//! Multinomial naive Bayes, and the counting and caching it shares with Bernoulli naive Bayes.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, all_at_least_zero, ensure, same_len};
use tidewater_core::row::check_weight;
use tidewater_core::spec::Params;
use tidewater_core::traits::{check_out_len, learn_dataset};
use tidewater_core::{
    Build, ClassSet, Classifier, Dataset, Error, FeatureVector, Fit, Label, Location, Result, Row,
};

/// Hyper-parameters of [`MultinomialNB`] (scikit-learn's names and defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "multinomial_nb",
    summary = "multinomial naive Bayes over counts (scikit-learn's MultinomialNB), exact on both paths",
    alloc_free,
    check = Self::check
)]
pub struct MultinomialNBParams {
    /// Additive (Laplace or Lidstone) smoothing of the feature counts; 0 for none.
    #[param(default = 1.0, ge = 0)]
    pub alpha: f64,
    /// Learn the class priors from the data; false: uniform priors.
    #[param(default = true)]
    pub fit_prior: bool,
    /// Prior probabilities of the classes, in class order, not adjusted by the data (none: from the data, or uniform).
    #[param(default = None)]
    pub class_prior: Option<Vec<f64>>,
}

impl MultinomialNBParams {
    fn check(&self) -> Result<()> {
        check_class_prior(self.class_prior.as_deref())
    }
}

/// Class priors must be finite and positive.
pub(crate) fn check_class_prior(prior: Option<&[f64]>) -> Result<()> {
    match prior {
        Some(p) if p.is_empty() || p.iter().any(|v| !(v.is_finite() && *v > 0.0)) => {
            Err(Error::param(
                "class_prior",
                format!("must be positive finite numbers, one per class, got {p:?}"),
            ))
        }
        _ => Ok(()),
    }
}

impl Build for MultinomialNBParams {
    type Model = MultinomialNB;
    fn build(&self) -> Result<MultinomialNB> {
        self.validate()?;
        Ok(MultinomialNB {
            params: self.clone(),
            state: Discrete::default(),
        })
    }
}

impl Fit for MultinomialNBParams {
    type Model = MultinomialNB;
    /// The counts of every row: the same model as learning the rows one by one.
    fn fit(&self, data: &Dataset) -> Result<MultinomialNB> {
        let mut m = self.build()?;
        learn_dataset(&mut m, data)?;
        Ok(m)
    }
}

/// Weighted counts per class: how much weight each class has, and per feature the weighted
/// sum of its (possibly binarized) values.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Counts {
    pub(crate) classes: ClassSet,
    pub(crate) class_count: Vec<f64>,
    /// `class_count.len()` rows of `dim` sums, row-major.
    pub(crate) feature_count: Vec<f64>,
    pub(crate) dim: Option<usize>,
}

impl Counts {
    /// Adds row `x` of class `y` with weight `w`; `value` maps a stored value to what is
    /// counted, and `zero` is what an absent (zero) feature counts (0 for counts; for
    /// binarized features `1` when 0 is above the threshold). The row is checked.
    pub(crate) fn learn(
        &mut self,
        x: Row<'_>,
        y: &Label,
        w: f64,
        value: impl Fn(f64) -> f64,
        zero: f64,
    ) {
        let d = x.dim();
        if self.dim.is_none() {
            self.dim = Some(d);
        }
        let (c, inserted) = self.classes.insert(y);
        if inserted {
            self.class_count.insert(c, 0.0);
            let at = c * d;
            self.feature_count
                .splice(at..at, std::iter::repeat_n(0.0, d));
        }
        self.class_count[c] += w;
        let row = &mut self.feature_count[c * d..(c + 1) * d];
        match x {
            Row::Dense(v) => {
                for (f, &xj) in row.iter_mut().zip(v) {
                    *f += w * value(xj);
                }
            }
            Row::Sparse(s) => {
                if zero != 0.0 {
                    for f in row.iter_mut() {
                        *f += w * zero;
                    }
                }
                for (&j, &xj) in s.indices().iter().zip(s.values()) {
                    row[j as usize] += w * (value(xj) - zero);
                }
            }
        }
    }

    /// The log prior of each class into `out`: `class_prior` when given (it must have one
    /// entry per class), else the classes' shares of the weight (`fit_prior`), else uniform.
    pub(crate) fn log_prior(
        &self,
        fit_prior: bool,
        class_prior: Option<&[f64]>,
        out: &mut [f64],
    ) -> Result<()> {
        let k = self.class_count.len();
        match class_prior {
            Some(p) if p.len() != k => Err(Error::param(
                "class_prior",
                format!("has {} priors, but the model has seen {k} classes", p.len()),
            )),
            Some(p) => {
                for (o, v) in out.iter_mut().zip(p) {
                    *o = v.ln();
                }
                Ok(())
            }
            None if fit_prior => {
                let total = self.class_count.iter().sum::<f64>().ln();
                for (o, c) in out.iter_mut().zip(&self.class_count) {
                    *o = c.ln() - total;
                }
                Ok(())
            }
            None => {
                out.fill(-(k as f64).ln());
                Ok(())
            }
        }
    }
}

/// Per-class tables derived from the counts (log probabilities and the like), kept between
/// predictions and recomputed for a class only after it learned: predictions allocate
/// nothing and take no logarithm once warm. Not saved: a loaded model recomputes them, with
/// the same arithmetic, on its first prediction.
#[derive(Debug, Default)]
pub(crate) struct LogProbs(Mutex<Tables>);

#[derive(Debug, Default)]
pub(crate) struct Tables {
    /// `stale[c]`: class `c` learned since its rows were computed.
    pub(crate) stale: Vec<bool>,
    /// One row of `dim` per class.
    pub(crate) rows: Vec<f64>,
    /// One number per class (a sum over its row, where a model needs one).
    pub(crate) sums: Vec<f64>,
    /// The log priors, in class order.
    pub(crate) prior: Vec<f64>,
}

impl LogProbs {
    /// Marks class `c` of `k` as changed.
    pub(crate) fn touch(&mut self, c: usize, k: usize, inserted: bool) {
        let t = self.0.get_mut().unwrap_or_else(|e| e.into_inner());
        if inserted || t.stale.len() != k {
            // A new class shifts the rows: every one is recomputed.
            t.stale.clear();
            t.stale.resize(k, true);
        }
        t.stale[c] = true;
    }

    /// Runs `f` on the tables after `prior` (when any class changed) and `refresh(class, row,
    /// sum)` (for each class that changed) recomputed them, sized to `k` classes of `d`
    /// features first.
    pub(crate) fn with<R>(
        &self,
        k: usize,
        d: usize,
        prior: impl FnOnce(&mut [f64]) -> Result<()>,
        mut refresh: impl FnMut(usize, &mut [f64], &mut f64),
        f: impl FnOnce(&Tables) -> Result<R>,
    ) -> Result<R> {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        // Sized by every table: with no features `rows` is empty whatever `k` (found by the
        // checkpoint fuzz target: a model of zero features indexed an empty `sums`).
        if t.rows.len() != k * d || t.stale.len() != k || t.sums.len() != k {
            t.rows.clear();
            t.rows.resize(k * d, 0.0);
            t.sums.clear();
            t.sums.resize(k, 0.0);
            t.prior.clear();
            t.prior.resize(k, 0.0);
            t.stale.clear();
            t.stale.resize(k, true);
        }
        let Tables {
            stale,
            rows,
            sums,
            prior: log_prior,
        } = &mut *t;
        if stale.iter().any(|&s| s) {
            prior(log_prior)?;
        }
        for (c, s) in stale.iter_mut().enumerate() {
            if *s {
                refresh(c, &mut rows[c * d..(c + 1) * d], &mut sums[c]);
                *s = false;
            }
        }
        f(&t)
    }
}

impl Clone for LogProbs {
    /// A clone recomputes its tables on its first prediction.
    fn clone(&self) -> Self {
        LogProbs::default()
    }
}

impl PartialEq for LogProbs {
    /// Derived from the counts: never what makes two models differ.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// What every discrete naive Bayes model keeps: its counts, and the per-class tables
/// derived from them (not saved).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Discrete {
    pub(crate) counts: Counts,
    #[serde(skip)]
    cache: LogProbs,
}

impl Discrete {
    /// Learns a checked row: its counts (see [`Counts::learn`]), and its class's tables to
    /// be recomputed.
    pub(crate) fn learn(
        &mut self,
        x: Row<'_>,
        y: &Label,
        weight: Option<f64>,
        value: impl Fn(f64) -> f64,
        zero: f64,
    ) -> Result<()> {
        let w = check_weight(weight)?;
        y.check()?;
        let k_before = self.counts.classes.len();
        self.counts.learn(x, y, w, value, zero);
        let k = self.counts.classes.len();
        let c = self
            .counts
            .classes
            .index_of(y)
            .expect("the label was just inserted");
        self.cache.touch(c, k, k != k_before);
        Ok(())
    }
}

/// What a discrete naive Bayes model adds to [`Discrete`]: its priors, its per-class tables
/// and its joint log likelihood from them.
pub(crate) trait DiscreteNB {
    /// The state.
    fn state(&self) -> &Discrete;
    /// The log priors into `out`, in class order.
    fn prior_into(&self, out: &mut [f64]) -> Result<()>;
    /// Class `c`'s table row and sum from the counts.
    fn refresh(&self, c: usize, row: &mut [f64], sum: &mut f64);
    /// The joint log likelihood of `x` under class `c` (`d` features).
    fn jll(&self, t: &Tables, c: usize, d: usize, x: Row<'_>) -> f64;

    /// The log priors, in class order.
    fn log_priors(&self) -> Result<Vec<f64>> {
        let mut out = vec![0.0; self.state().counts.class_count.len()];
        self.prior_into(&mut out)?;
        Ok(out)
    }

    /// `predict_proba_into` of a checked row.
    fn proba_into(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        let counts = &self.state().counts;
        check_out_len("probability buffer", counts.classes.len(), out.len())?;
        if counts.classes.is_empty() {
            return Ok(());
        }
        self.tables(|t, _, d| {
            for (c, o) in out.iter_mut().enumerate() {
                *o = self.jll(t, c, d, x);
            }
            Ok(())
        })?;
        softmax_into(out);
        Ok(())
    }

    /// `predict_one` of a checked row.
    fn predict(&self, x: Row<'_>) -> Result<Option<Label>> {
        let classes = &self.state().counts.classes;
        if classes.is_empty() {
            return Ok(None);
        }
        self.tables(|t, k, d| {
            let jll = (0..k).map(|c| self.jll(t, c, d, x));
            Ok(argmax_label(classes, jll).cloned())
        })
    }

    /// Runs `f` on the tables (with the number of classes and features), brought up to date.
    fn tables<R>(&self, f: impl FnOnce(&Tables, usize, usize) -> Result<R>) -> Result<R> {
        let s = self.state();
        let (k, d) = (s.counts.class_count.len(), s.counts.dim.unwrap_or(0));
        s.cache.with(
            k,
            d,
            |p| self.prior_into(p),
            |c, row, sum| self.refresh(c, row, sum),
            |t| f(t, k, d),
        )
    }
}

/// `out` (joint log likelihoods) into probabilities: `exp(jll - max)` normalised; a class
/// with no chance gets 0.
pub(crate) fn softmax_into(out: &mut [f64]) {
    let max = out.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        let k = out.len() as f64;
        out.fill(1.0 / k);
        return;
    }
    let mut sum = 0.0;
    for o in out.iter_mut() {
        *o = (*o - max).exp();
        sum += *o;
    }
    for o in out.iter_mut() {
        *o /= sum;
    }
}

/// The label of the largest joint log likelihood (the first class on a tie).
pub(crate) fn argmax_label(classes: &ClassSet, jll: impl Iterator<Item = f64>) -> Option<&Label> {
    let mut best: Option<(usize, f64)> = None;
    for (c, v) in jll.enumerate() {
        if best.is_none_or(|(_, b)| v > b) {
            best = Some((c, v));
        }
    }
    best.and_then(|(c, _)| classes.label(c))
}

/// Multinomial naive Bayes (scikit-learn's `MultinomialNB`): for counts such as word
/// counts. Per class, the weighted sum of each feature; a class's log probability of a row
/// is its log prior plus `sum_j x_j log p(j | class)`, with `p(j | class) = (count_j + alpha)
/// / (total + alpha * n_features)`.
///
/// **Exact on both paths.** The model is its sums: `fit`, `learn_one` over the rows and
/// `learn_many` over any chunking make the same model (bit for bit here; scikit-learn's
/// `partial_fit` equals its `fit` up to rounding). Features must be non-negative (a
/// negative value is refused, naming the feature); sparse rows are counted by their stored
/// entries. The log probabilities are recomputed, per class, only after that class learned;
/// predictions allocate nothing once warm.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MultinomialNB {
    params: MultinomialNBParams,
    state: Discrete,
}

impl MultinomialNB {
    /// An empty model with default parameters.
    pub fn new() -> Self {
        MultinomialNBParams::default()
            .build()
            .expect("default parameters are valid")
    }

    /// The hyper-parameters.
    pub fn params(&self) -> &MultinomialNBParams {
        &self.params
    }

    /// The weighted number of rows of each class, in class order.
    pub fn class_count(&self) -> &[f64] {
        &self.state.counts.class_count
    }

    /// The log prior of each class (`class_log_prior_` in scikit-learn).
    pub fn class_log_prior(&self) -> Result<Vec<f64>> {
        self.log_priors()
    }

    /// `log p(feature | class)`, a row per class (`feature_log_prob_` in scikit-learn).
    pub fn feature_log_prob(&self) -> Vec<Vec<f64>> {
        let d = self.state.counts.dim.unwrap_or(0);
        (0..self.state.counts.class_count.len())
            .map(|c| {
                let mut row = vec![0.0; d];
                self.refresh(c, &mut row, &mut 0.0);
                row
            })
            .collect()
    }
}

impl DiscreteNB for MultinomialNB {
    fn state(&self) -> &Discrete {
        &self.state
    }

    fn prior_into(&self, out: &mut [f64]) -> Result<()> {
        self.state.counts.log_prior(
            self.params.fit_prior,
            self.params.class_prior.as_deref(),
            out,
        )
    }

    /// `log p(j | c) = log(count_j + alpha) - log(total + alpha * d)`.
    fn refresh(&self, c: usize, row: &mut [f64], _: &mut f64) {
        let d = row.len();
        let counts = &self.state.counts.feature_count[c * d..(c + 1) * d];
        let alpha = self.params.alpha;
        let total: f64 = counts.iter().map(|f| f + alpha).sum();
        let log_total = total.ln();
        for (r, f) in row.iter_mut().zip(counts) {
            *r = (f + alpha).ln() - log_total;
        }
    }

    fn jll(&self, t: &Tables, c: usize, d: usize, x: Row<'_>) -> f64 {
        t.prior[c] + x.dot(&t.rows[c * d..(c + 1) * d])
    }
}

impl Default for MultinomialNB {
    fn default() -> Self {
        Self::new()
    }
}

/// Refuses a negative value (multinomial counts are non-negative), naming the feature.
fn check_counts(x: Row<'_>) -> Result<()> {
    let bad = match x {
        Row::Dense(v) => v.iter().position(|&v| v < 0.0),
        Row::Sparse(s) => s
            .values()
            .iter()
            .position(|&v| v < 0.0)
            .map(|k| s.indices()[k] as usize),
    };
    match bad {
        None => Ok(()),
        Some(j) => Err(Error::BadValue {
            location: Location::Feature(j),
            reason: format!(
                "value {} is negative, but multinomial naive Bayes counts (use bernoulli_nb or gaussian_nb)",
                x.get(j)
            ),
        }),
    }
}

impl Classifier for MultinomialNB {
    fn classes(&self) -> &ClassSet {
        &self.state.counts.classes
    }

    fn n_features(&self) -> Option<usize> {
        self.state.counts.dim
    }

    fn check_row(&self, x: Row<'_>) -> Result<()> {
        x.check(self.n_features())?;
        check_counts(x)
    }

    fn learn_one(&mut self, x: Row<'_>, y: &Label, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        self.state.learn(x, y, weight, |v| v, 0.0)
    }

    fn predict_proba_into(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        if !self.state.counts.classes.is_empty() {
            self.check_row(x)?;
        }
        self.proba_into(x, out)
    }

    fn predict_one(&self, x: Row<'_>) -> Result<Option<Label>> {
        if !self.state.counts.classes.is_empty() {
            self.check_row(x)?;
        }
        self.predict(x)
    }
}

impl Counts {
    /// Classes in order, a weight per class and `dim` feature counts per class, all finite
    /// and not negative.
    pub(crate) fn check(&self) -> StateResult {
        self.classes.check_state()?;
        same_len("class counts", self.class_count.len(), self.classes.len())?;
        all_at_least_zero("class counts", &self.class_count)?;
        let cells = match self.dim {
            Some(d) => d.checked_mul(self.class_count.len()),
            None => Some(0),
        };
        ensure(cells == Some(self.feature_count.len()), || {
            format!(
                "feature counts: {} values for {} classes of {:?} features",
                self.feature_count.len(),
                self.class_count.len(),
                self.dim
            )
        })?;
        ensure(self.dim.is_some() || self.classes.is_empty(), || {
            "classes without a feature count".into()
        })?;
        all_at_least_zero("feature counts", &self.feature_count)
    }
}

impl CheckState for MultinomialNB {
    fn check_state(&self) -> StateResult {
        self.params.check_state()?;
        self.state.counts.check()
    }
}
