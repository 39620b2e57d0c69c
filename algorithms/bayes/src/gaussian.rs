use serde::{Deserialize, Serialize};
use tidewater_core::check::{
    CheckState, StateResult, all_at_least_zero, all_not_nan, nonneg, same_len, within,
};
use tidewater_core::row::check_weight;
use tidewater_core::spec::Params;
use tidewater_core::traits::{check_out_len, learn_dataset};
use tidewater_core::{
    Build, ClassSet, Classifier, Dataset, FeatureVector, Fit, Label, Result, Row,
};

/// Hyper-parameters of [`GaussianNB`] (scikit-learn's name and default).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "gaussian_nb",
    alloc_free,
    summary = "Gaussian naive Bayes, exact on both paths (scikit-learn's var_smoothing)"
)]
pub struct GaussianNBParams {
    /// Portion of the largest population variance over all rows seen added to every variance, for stability.
    #[param(default = 1e-9, ge = 0)]
    pub var_smoothing: f64,
}

impl Build for GaussianNBParams {
    type Model = GaussianNB;
    fn build(&self) -> Result<GaussianNB> {
        self.validate()?;
        Ok(GaussianNB {
            params: self.clone(),
            classes: ClassSet::new(),
            stats: Vec::new(),
            all: Moments::default(),
        })
    }
}

impl Fit for GaussianNBParams {
    type Model = GaussianNB;
    fn fit(&self, data: &Dataset) -> Result<GaussianNB> {
        let mut m = self.build()?;
        learn_dataset(&mut m, data)?;
        Ok(m)
    }
}

/// Weighted count, means and centred second moments of each feature (Welford).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Moments {
    weight: f64,
    mean: Vec<f64>,
    m2: Vec<f64>,
}

impl Moments {
    fn update(&mut self, x: Row<'_>, w: f64) {
        let d = x.dim();
        if self.mean.len() != d {
            self.mean = vec![0.0; d];
            self.m2 = vec![0.0; d];
        }
        if w == 0.0 {
            return;
        }
        self.weight += w;
        let r = w / self.weight;
        let mut step = |j: usize, v: f64| {
            let m = &mut self.mean[j];
            let delta = v - *m;
            *m += delta * r;
            self.m2[j] += w * delta * (v - *m);
        };
        match x {
            Row::Dense(v) => v.iter().enumerate().for_each(|(j, &v)| step(j, v)),
            // Every feature moves, zeros included: walk them all, looking up the stored ones.
            Row::Sparse(s) => {
                let mut k = 0;
                let (idx, val) = (s.indices(), s.values());
                for j in 0..d {
                    let v = if k < idx.len() && idx[k] as usize == j {
                        k += 1;
                        val[k - 1]
                    } else {
                        0.0
                    };
                    step(j, v);
                }
            }
        }
    }

    fn var(&self, j: usize) -> f64 {
        if self.weight > 0.0 {
            self.m2[j] / self.weight
        } else {
            0.0
        }
    }
}

/// Gaussian naive Bayes: per class, a prior and an independent normal per feature.
///
/// **Exact on both paths.** The model keeps, per class and over all rows, the weighted count,
/// means and centred second moments (Welford), so fitting on a data set and learning its rows
/// one by one give the same model, and any chunking gives the same model.
///
/// **Smoothing** follows scikit-learn's `var_smoothing`, defined so both paths agree: every
/// class variance gets `epsilon = var_smoothing * max_j var_j`, where `var_j` is the population
/// variance of feature `j` over *all rows seen so far* (weighted). scikit-learn's `fit` computes
/// the same epsilon; its `partial_fit` takes epsilon from the last batch only, so it differs.
/// River's `GaussianNB` applies no smoothing: it uses each class's sample variance (ddof 1)
/// and scores a zero-variance feature as a point mass. Here, a smoothed variance that is still
/// zero (every row so far has the same value in every feature, or `var_smoothing = 0`) is
/// floored at `var_smoothing`, or at `f64::MIN_POSITIVE` when that is 0, and a class with zero
/// weight gets probability 0. With sample weights the class variances, the priors and epsilon
/// are all weighted.
///
/// Priors are the classes' shares of the total weight. Prediction allocates nothing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GaussianNB {
    params: GaussianNBParams,
    classes: ClassSet,
    stats: Vec<Moments>,
    all: Moments,
}

impl GaussianNB {
    /// An empty model with default parameters.
    pub fn new() -> Self {
        GaussianNBParams::default()
            .build()
            .expect("default parameters are valid")
    }

    /// The hyper-parameters.
    pub fn params(&self) -> &GaussianNBParams {
        &self.params
    }

    /// The smoothing added to every variance now: `var_smoothing` times the largest
    /// population variance over all rows seen.
    pub fn epsilon(&self) -> f64 {
        let max = (0..self.all.mean.len())
            .map(|j| self.all.var(j))
            .fold(0.0, f64::max);
        self.params.var_smoothing * max
    }

    /// Class priors, in class order.
    pub fn class_prior(&self) -> Vec<f64> {
        let total: f64 = self.stats.iter().map(|s| s.weight).sum();
        self.stats.iter().map(|s| s.weight / total).collect()
    }

    /// Per-class feature means (`theta_` in scikit-learn), in class order.
    pub fn theta(&self) -> Vec<Vec<f64>> {
        self.stats.iter().map(|s| s.mean.clone()).collect()
    }

    /// Per-class smoothed feature variances (`var_` in scikit-learn), in class order.
    pub fn var(&self) -> Vec<Vec<f64>> {
        let eps = self.epsilon();
        self.stats
            .iter()
            .map(|s| {
                (0..s.mean.len())
                    .map(|j| self.smoothed(s, j, eps))
                    .collect()
            })
            .collect()
    }

    fn floor(&self) -> f64 {
        if self.params.var_smoothing > 0.0 {
            self.params.var_smoothing
        } else {
            f64::MIN_POSITIVE
        }
    }

    fn smoothed(&self, s: &Moments, j: usize, eps: f64) -> f64 {
        let v = s.var(j) + eps;
        if v > 0.0 { v } else { self.floor() }
    }

    /// The joint log likelihood of class `s` (log prior plus the log densities), with
    /// `eps` from [`epsilon`](Self::epsilon) and `total` the total class weight.
    fn class_log_likelihood(&self, s: &Moments, x: Row<'_>, eps: f64, total: f64) -> f64 {
        if s.weight <= 0.0 {
            return f64::NEG_INFINITY;
        }
        let ln_2pi = (2.0 * std::f64::consts::PI).ln();
        let mut logdet = 0.0;
        let mut quad = 0.0;
        for (j, &mu) in s.mean.iter().enumerate() {
            let var = self.smoothed(s, j, eps);
            let d = x.get(j) - mu;
            logdet += ln_2pi + var.ln();
            quad += d * d / var;
        }
        (s.weight / total).ln() - 0.5 * (logdet + quad)
    }

    /// Calls `f(class, log likelihood)` for every class, in class order.
    fn for_each_class_log_likelihood(&self, x: Row<'_>, mut f: impl FnMut(usize, f64)) {
        let eps = self.epsilon();
        let total: f64 = self.stats.iter().map(|s| s.weight).sum();
        for (c, s) in self.stats.iter().enumerate() {
            f(c, self.class_log_likelihood(s, x, eps, total));
        }
    }
}

impl Default for GaussianNB {
    fn default() -> Self {
        Self::new()
    }
}

impl Classifier for GaussianNB {
    fn classes(&self) -> &ClassSet {
        &self.classes
    }

    fn n_features(&self) -> Option<usize> {
        (!self.all.mean.is_empty()).then_some(self.all.mean.len())
    }

    fn learn_one(&mut self, x: Row<'_>, y: &Label, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        let w = check_weight(weight)?;
        y.check()?;
        let (c, inserted) = self.classes.insert(y);
        if inserted {
            self.stats.insert(c, Moments::default());
        }
        self.stats[c].update(x, w);
        self.all.update(x, w);
        Ok(())
    }

    fn predict_proba_into(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        check_out_len("probability buffer", self.classes.len(), out.len())?;
        if self.classes.is_empty() {
            return Ok(());
        }
        self.check_row(x)?;
        let mut max = f64::NEG_INFINITY;
        self.for_each_class_log_likelihood(x, |c, ll| {
            out[c] = ll;
            max = max.max(ll);
        });
        if !max.is_finite() {
            // Every class is infinitely unlikely (a floored variance overflowed): no
            // information, so uniform over the classes with weight.
            let n = self.stats.iter().filter(|s| s.weight > 0.0).count();
            for (o, s) in out.iter_mut().zip(&self.stats) {
                *o = if n == 0 || s.weight > 0.0 {
                    1.0 / n.max(1) as f64
                } else {
                    0.0
                };
            }
            if n == 0 {
                let k = out.len() as f64;
                out.fill(1.0 / k);
            }
            return Ok(());
        }
        let mut sum = 0.0;
        for o in out.iter_mut() {
            *o = (*o - max).exp();
            sum += *o;
        }
        for o in out.iter_mut() {
            *o /= sum;
        }
        Ok(())
    }

    fn predict_one(&self, x: Row<'_>) -> Result<Option<Label>> {
        if self.classes.is_empty() {
            return Ok(None);
        }
        self.check_row(x)?;
        // The argmax of the joint log likelihood, computed without a buffer; the first class
        // wins a tie, as in the probabilities' order.
        let mut best: Option<(usize, f64)> = None;
        self.for_each_class_log_likelihood(x, |c, ll| {
            if self.stats[c].weight > 0.0 && best.is_none_or(|(_, b)| ll > b) {
                best = Some((c, ll));
            }
        });
        Ok(best.and_then(|(c, _)| self.classes.label(c).cloned()))
    }
}

impl Moments {
    /// `dim` means and second moments, none NaN, the moments and the weight not negative
    /// (sums of large inputs may overflow to infinity; the model copes with that).
    fn check(&self, dim: usize) -> StateResult {
        nonneg("weight", self.weight)?;
        same_len("means", self.mean.len(), dim)?;
        same_len("second moments", self.m2.len(), dim)?;
        all_not_nan("means", &self.mean)?;
        all_at_least_zero("second moments", &self.m2)
    }
}

impl CheckState for GaussianNB {
    fn check_state(&self) -> StateResult {
        self.params.check_state()?;
        self.classes.check_state()?;
        same_len("class statistics", self.stats.len(), self.classes.len())?;
        let dim = self.all.mean.len();
        within("all rows", self.all.check(dim))?;
        for (c, s) in self.stats.iter().enumerate() {
            within(format_args!("class {c}"), s.check(dim))?;
        }
        Ok(())
    }
}
