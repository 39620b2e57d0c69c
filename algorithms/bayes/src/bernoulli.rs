//! Bernoulli naive Bayes.

use serde::{Deserialize, Serialize};
use tidewater_core::spec::Params;
use tidewater_core::traits::learn_dataset;
use tidewater_core::{Build, ClassSet, Classifier, Dataset, Fit, Label, Result, Row};

use crate::multinomial::{Discrete, DiscreteNB, Tables, check_class_prior};

/// Hyper-parameters of [`BernoulliNB`] (scikit-learn's names and defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "bernoulli_nb",
    summary = "Bernoulli naive Bayes over binary features (scikit-learn's BernoulliNB), exact on both paths",
    alloc_free,
    check = Self::check
)]
pub struct BernoulliNBParams {
    /// Additive (Laplace or Lidstone) smoothing of the feature counts; 0 for none.
    #[param(default = 1.0, ge = 0)]
    pub alpha: f64,
    /// Threshold above which a value counts as 1 (none: the values are binary already).
    #[param(default = Some(0.0))]
    pub binarize: Option<f64>,
    /// Learn the class priors from the data; false: uniform priors.
    #[param(default = true)]
    pub fit_prior: bool,
    /// Prior probabilities of the classes, in class order, not adjusted by the data (none: from the data, or uniform).
    #[param(default = None)]
    pub class_prior: Option<Vec<f64>>,
}

impl BernoulliNBParams {
    fn check(&self) -> Result<()> {
        check_class_prior(self.class_prior.as_deref())
    }
}

impl Build for BernoulliNBParams {
    type Model = BernoulliNB;
    fn build(&self) -> Result<BernoulliNB> {
        self.validate()?;
        Ok(BernoulliNB {
            params: self.clone(),
            state: Discrete::default(),
        })
    }
}

impl Fit for BernoulliNBParams {
    type Model = BernoulliNB;
    /// The counts of every row: the same model as learning the rows one by one.
    fn fit(&self, data: &Dataset) -> Result<BernoulliNB> {
        let mut m = self.build()?;
        learn_dataset(&mut m, data)?;
        Ok(m)
    }
}

/// Bernoulli naive Bayes (scikit-learn's `BernoulliNB`): for binary features (a word present
/// or not). Each value is binarized (`x > binarize` is 1), and per class the model counts how
/// often each feature is 1; `p(j | class) = (count_j + alpha) / (class count + 2 alpha)`, and
/// a row's log likelihood takes `log p` for its ones and `log(1 - p)` for its zeros.
///
/// **Exact on both paths.** The model is its counts: `fit`, `learn_one` over the rows and
/// `learn_many` over any chunking make the same model, bit for bit. A sparse row's absent
/// features are zeros, binarized as zeros are (with a negative threshold they count as
/// ones: the sparse update then adds the row's weight to every feature and corrects the
/// stored ones, equal to the dense update up to rounding with fractional weights). Per-class tables are
/// recomputed only after the class learned; predictions allocate nothing once warm.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BernoulliNB {
    params: BernoulliNBParams,
    state: Discrete,
}

impl BernoulliNB {
    /// An empty model with default parameters.
    pub fn new() -> Self {
        BernoulliNBParams::default()
            .build()
            .expect("default parameters are valid")
    }

    /// The hyper-parameters.
    pub fn params(&self) -> &BernoulliNBParams {
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

    /// `log p(feature is 1 | class)`, a row per class (`feature_log_prob_` in scikit-learn).
    pub fn feature_log_prob(&self) -> Vec<Vec<f64>> {
        let d = self.state.counts.dim.unwrap_or(0);
        (0..self.state.counts.class_count.len())
            .map(|c| (0..d).map(|j| self.log_prob(c, j)).collect())
            .collect()
    }

    /// What a value counts as.
    fn binary(&self, v: f64) -> f64 {
        binary(self.params.binarize, v)
    }

    /// `log p(feature j is 1 | class c) = log(count_j + alpha) - log(class count + 2 alpha)`.
    fn log_prob(&self, c: usize, j: usize) -> f64 {
        let counts = &self.state.counts;
        let d = counts.dim.unwrap_or(0);
        let alpha = self.params.alpha;
        (counts.feature_count[c * d + j] + alpha).ln() - (counts.class_count[c] + 2.0 * alpha).ln()
    }
}

/// A value binarized (`v > threshold` is 1), or as it is without a threshold.
fn binary(threshold: Option<f64>, v: f64) -> f64 {
    match threshold {
        Some(t) => f64::from(u8::from(v > t)),
        None => v,
    }
}

impl DiscreteNB for BernoulliNB {
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

    /// Class `c`'s table: `log p - log(1 - p)` per feature, and the sum of `log(1 - p)`.
    fn refresh(&self, c: usize, row: &mut [f64], neg_sum: &mut f64) {
        *neg_sum = 0.0;
        for (j, r) in row.iter_mut().enumerate() {
            let log_p = self.log_prob(c, j);
            let neg = (1.0 - log_p.exp()).ln();
            *r = log_p - neg;
            *neg_sum += neg;
        }
    }

    fn jll(&self, t: &Tables, c: usize, d: usize, x: Row<'_>) -> f64 {
        let row = &t.rows[c * d..(c + 1) * d];
        let ones = match x {
            Row::Dense(v) => v.iter().zip(row).map(|(&xj, r)| self.binary(xj) * r).sum(),
            Row::Sparse(s) => {
                let zero = self.binary(0.0);
                let absent = if zero == 0.0 {
                    0.0
                } else {
                    zero * row.iter().sum::<f64>()
                };
                s.indices()
                    .iter()
                    .zip(s.values())
                    .map(|(&j, &xj)| (self.binary(xj) - zero) * row[j as usize])
                    .sum::<f64>()
                    + absent
            }
        };
        t.prior[c] + t.sums[c] + ones
    }
}

impl Default for BernoulliNB {
    fn default() -> Self {
        Self::new()
    }
}

impl Classifier for BernoulliNB {
    fn classes(&self) -> &ClassSet {
        &self.state.counts.classes
    }

    fn n_features(&self) -> Option<usize> {
        self.state.counts.dim
    }

    fn learn_one(&mut self, x: Row<'_>, y: &Label, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        let threshold = self.params.binarize;
        let value = |v| binary(threshold, v);
        self.state.learn(x, y, weight, value, value(0.0))
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

impl tidewater_core::check::CheckState for BernoulliNB {
    fn check_state(&self) -> tidewater_core::check::StateResult {
        self.params.check_state()?;
        self.state.counts.check()
    }
}
