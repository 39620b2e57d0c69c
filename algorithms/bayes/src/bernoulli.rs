//! Bernoulli naive Bayes.

use serde::{Deserialize, Serialize};
use tidewater_core::row::check_weight;
use tidewater_core::spec::Params;
use tidewater_core::traits::{check_out_len, learn_dataset};
use tidewater_core::{Build, ClassSet, Classifier, Dataset, Fit, Label, Result, Row};

use crate::multinomial::{Counts, LogProbs, Tables, argmax_label, check_class_prior, softmax_into};

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
            counts: Counts::default(),
            cache: LogProbs::default(),
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
    counts: Counts,
    #[serde(skip)]
    cache: LogProbs,
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
        &self.counts.class_count
    }

    /// The log prior of each class (`class_log_prior_` in scikit-learn).
    pub fn class_log_prior(&self) -> Result<Vec<f64>> {
        let mut out = vec![0.0; self.counts.class_count.len()];
        self.prior_into(&mut out)?;
        Ok(out)
    }

    /// `log p(feature is 1 | class)`, a row per class (`feature_log_prob_` in scikit-learn).
    pub fn feature_log_prob(&self) -> Vec<Vec<f64>> {
        let d = self.counts.dim.unwrap_or(0);
        (0..self.counts.class_count.len())
            .map(|c| (0..d).map(|j| self.log_prob(c, j)).collect())
            .collect()
    }

    /// What a value counts as.
    fn binary(&self, v: f64) -> f64 {
        match self.params.binarize {
            Some(t) => f64::from(u8::from(v > t)),
            None => v,
        }
    }

    /// `log p(feature j is 1 | class c)`.
    fn log_prob(&self, c: usize, j: usize) -> f64 {
        let d = self.counts.dim.unwrap_or(0);
        let alpha = self.params.alpha;
        (self.counts.feature_count[c * d + j] + alpha).ln()
            - (self.counts.class_count[c] + 2.0 * alpha).ln()
    }

    fn prior_into(&self, out: &mut [f64]) -> Result<()> {
        self.counts.log_prior(
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

    /// The joint log likelihood of `x` under class `c` of the tables.
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

    /// Runs `f` on the tables, brought up to date.
    fn tables<R>(&self, f: impl FnOnce(&Tables, usize, usize) -> Result<R>) -> Result<R> {
        let (k, d) = (self.counts.class_count.len(), self.counts.dim.unwrap_or(0));
        self.cache.with(
            k,
            d,
            |p| self.prior_into(p),
            |c, row, s| self.refresh(c, row, s),
            |t| f(t, k, d),
        )
    }
}

impl Default for BernoulliNB {
    fn default() -> Self {
        Self::new()
    }
}

impl Classifier for BernoulliNB {
    fn classes(&self) -> &ClassSet {
        &self.counts.classes
    }

    fn n_features(&self) -> Option<usize> {
        self.counts.dim
    }

    fn learn_one(&mut self, x: Row<'_>, y: &Label, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        let w = check_weight(weight)?;
        y.check()?;
        let k_before = self.counts.classes.len();
        let binarize = self.params.binarize;
        let value = |v: f64| match binarize {
            Some(t) => f64::from(u8::from(v > t)),
            None => v,
        };
        self.counts.learn(x, y, w, value, value(0.0));
        let k = self.counts.classes.len();
        let c = self
            .counts
            .classes
            .index_of(y)
            .expect("the label was just inserted");
        self.cache.touch(c, k, k != k_before);
        Ok(())
    }

    fn predict_proba_into(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        check_out_len("probability buffer", self.counts.classes.len(), out.len())?;
        if self.counts.classes.is_empty() {
            return Ok(());
        }
        self.check_row(x)?;
        self.tables(|t, _, d| {
            for (c, o) in out.iter_mut().enumerate() {
                *o = self.jll(t, c, d, x);
            }
            Ok(())
        })?;
        softmax_into(out);
        Ok(())
    }

    fn predict_one(&self, x: Row<'_>) -> Result<Option<Label>> {
        if self.counts.classes.is_empty() {
            return Ok(None);
        }
        self.check_row(x)?;
        self.tables(|t, k, d| {
            let jll = (0..k).map(|c| self.jll(t, c, d, x));
            Ok(argmax_label(&self.counts.classes, jll).cloned())
        })
    }
}
