use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, all_at_least_zero, all_not_nan};
use tidewater_core::spec::Params;
use tidewater_core::traits::check_out_len;
use tidewater_core::{Build, Dataset, Error, FeatureVector, Fit, Result, Row, Transformer};

use crate::common::{at_least_zero, per_feature};

/// Hyper-parameters of [`StandardScaler`] (scikit-learn's and River's names and defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "standard_scaler",
    alloc_free,
    summary = "standardise each feature to zero mean and unit variance (exact running statistics)"
)]
pub struct StandardScalerParams {
    /// Subtract the running mean.
    #[param(default = true)]
    pub with_mean: bool,
    /// Divide by the running population standard deviation.
    #[param(default = true)]
    pub with_std: bool,
}

impl Build for StandardScalerParams {
    type Model = StandardScaler;
    fn build(&self) -> Result<StandardScaler> {
        self.validate()?;
        Ok(StandardScaler {
            params: self.clone(),
            weight: 0.0,
            mean: Vec::new(),
            m2: Vec::new(),
            scratch: Vec::new(),
        })
    }
}

impl Fit for StandardScalerParams {
    type Model = StandardScaler;
    fn fit(&self, data: &Dataset) -> Result<StandardScaler> {
        if data.n_rows() == 0 {
            return Err(Error::Empty("cannot fit a scaler on no rows".into()));
        }
        let mut m = self.build()?;
        m.learn_many(data.batch(), data.weights.as_deref())?;
        Ok(m)
    }
}

/// Standardises features: `(x - mean) / std`, with the mean and the population variance
/// kept exactly by Welford's weighted update.
///
/// Both paths run the same update, so a scaler fitted on a data set equals one that learned
/// the same rows one by one (law 1), and chunking does not matter (law 2). A feature with zero
/// variance is divided by 1 (as scikit-learn does). The first row fixes the number of
/// features. Learning and transforming allocate nothing after the first row.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StandardScaler {
    params: StandardScalerParams,
    weight: f64,
    mean: Vec<f64>,
    m2: Vec<f64>,
    #[serde(skip)]
    scratch: Vec<f64>,
}

impl PartialEq for StandardScaler {
    fn eq(&self, other: &Self) -> bool {
        self.params == other.params
            && self.weight.to_bits() == other.weight.to_bits()
            && bits_eq(&self.mean, &other.mean)
            && bits_eq(&self.m2, &other.m2)
    }
}

fn bits_eq(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

impl StandardScaler {
    /// An empty scaler with default parameters.
    pub fn new() -> Self {
        StandardScalerParams::default()
            .build()
            .expect("default parameters are valid")
    }

    /// The hyper-parameters.
    pub fn params(&self) -> &StandardScalerParams {
        &self.params
    }

    /// The running means, one per feature (empty before the first row).
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// The population variances, one per feature (0 before any weight was seen).
    pub fn var(&self) -> Vec<f64> {
        self.m2
            .iter()
            .map(|m| {
                if self.weight > 0.0 {
                    m / self.weight
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// The total weight of the rows seen (their number, with unit weights).
    pub fn n_seen(&self) -> f64 {
        self.weight
    }
}

impl Default for StandardScaler {
    fn default() -> Self {
        Self::new()
    }
}

impl Transformer for StandardScaler {
    fn n_features_in(&self) -> Option<usize> {
        (!self.mean.is_empty()).then_some(self.mean.len())
    }

    fn n_features_out(&self) -> Option<usize> {
        self.n_features_in()
    }

    fn feature_names_out(&self, input: &[String]) -> Vec<String> {
        input.to_vec()
    }

    fn check_row(&self, x: Row<'_>) -> Result<()> {
        let d = self.n_features_in();
        match x {
            Row::Dense(xs) => check_dense(xs, d),
            Row::Sparse(_) => x.check(d),
        }
    }

    fn learn_one(&mut self, x: Row<'_>, weight: Option<f64>) -> Result<()> {
        let w = tidewater_core::row::check_weight(weight)?;
        if let Row::Dense(xs) = x
            && xs.len() == self.mean.len()
            && w > 0.0
        {
            // The hot path: the finiteness check and the update in one kernel call (the
            // check comes first, so a refused row changes nothing).
            return if kernels::learn(&mut self.mean, &mut self.m2, &mut self.weight, xs, w) {
                Ok(())
            } else {
                xs.check_finite()
            };
        }
        self.check_row(x)?;
        let d = x.dim();
        if self.mean.is_empty() {
            self.mean = vec![0.0; d];
            self.m2 = vec![0.0; d];
        }
        if w == 0.0 {
            return Ok(());
        }
        let xs: &[f64] = match x {
            Row::Dense(v) => v,
            Row::Sparse(s) => {
                self.scratch.resize(d, 0.0);
                s.write_dense(&mut self.scratch);
                &self.scratch
            }
        };
        self.weight += w;
        let r = w / self.weight;
        kernels::welford(&mut self.mean, &mut self.m2, xs, w, r);
        Ok(())
    }

    fn transform_one(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        let d = self
            .n_features_in()
            .ok_or_else(|| Error::NotFitted("the scaler has seen no row".into()))?;
        // sd = sqrt(m2 / weight), computed as sqrt(m2) * (1 / sqrt(weight)): one division
        // per feature fewer (the same value to an ulp or two).
        let inv_sqrt_weight = if self.params.with_std && self.weight > 0.0 {
            1.0 / self.weight.sqrt()
        } else {
            0.0
        };
        let centre = self.params.with_mean;
        match x {
            Row::Dense(xs) => {
                if xs.len() != d {
                    return Err(Error::DimensionMismatch {
                        expected: d,
                        got: xs.len(),
                    });
                }
                check_out_len("output buffer", d, out.len())?;
                // One pass: transform, and test the outputs; a non-finite output sends us to
                // the full check of the input, which names a bad feature (an input that is
                // finite but overflows keeps its infinite output, as before).
                if !kernels::standardise(xs, out, &self.mean, &self.m2, inv_sqrt_weight, centre) {
                    xs.check_finite()?;
                }
            }
            Row::Sparse(_) => {
                self.check_row(x)?;
                check_out_len("output buffer", d, out.len())?;
                crate::common::with_dense(x, |xs| {
                    kernels::standardise(xs, out, &self.mean, &self.m2, inv_sqrt_weight, centre)
                });
            }
        }
        Ok(())
    }
}

impl CheckState for StandardScaler {
    /// A second moment per mean, the total weight and the moments not negative, and no NaN
    /// (sums of large inputs may overflow to infinity: the outputs are then infinite or 0,
    /// which the pipeline reports, never a panic).
    fn check_state(&self) -> StateResult {
        self.params.check_state()?;
        per_feature(Some(self.mean.len()), &[("second moments", self.m2.len())])?;
        at_least_zero("weight", self.weight)?;
        all_not_nan("means", &self.mean)?;
        all_at_least_zero("second moments", &self.m2)
    }
}

/// The dimension and finiteness check of a dense row, on the fast kernel.
fn check_dense(xs: &[f64], d: Option<usize>) -> Result<()> {
    if let Some(d) = d
        && xs.len() != d
    {
        return Err(Error::DimensionMismatch {
            expected: d,
            got: xs.len(),
        });
    }
    if kernels::all_finite(xs) {
        Ok(())
    } else {
        // The slow path names the feature.
        xs.check_finite()
    }
}

/// The two hot loops, written once and compiled twice: for the baseline target and, behind
/// runtime detection, with AVX enabled (wider lanes only: no FMA, so the results are the same
/// bits either way).
mod kernels {
    #[inline(always)]
    fn welford_body(mean: &mut [f64], m2: &mut [f64], xs: &[f64], w: f64, r: f64) {
        for ((m, s), &v) in mean.iter_mut().zip(m2.iter_mut()).zip(xs) {
            let delta = v - *m;
            *m += delta * r;
            *s += w * delta * (v - *m);
        }
    }

    /// `out = (x - mean) / sd` with `sd = sqrt(m2) * inv_sqrt_weight` (the standard
    /// deviation; 1 where it is 0, and everywhere when `inv_sqrt_weight` is 0: no scaling).
    /// Returns whether every output is finite.
    #[inline(always)]
    fn standardise_body(
        xs: &[f64],
        out: &mut [f64],
        mean: &[f64],
        m2: &[f64],
        inv_sqrt_weight: f64,
        centre: bool,
    ) -> bool {
        let mut ok = true;
        for (((o, &x), &m), &s) in out.iter_mut().zip(xs).zip(mean).zip(m2) {
            let c = if centre { x - m } else { x };
            let sd = s.sqrt() * inv_sqrt_weight;
            let v = c / if sd > 0.0 { sd } else { 1.0 };
            ok &= v.is_finite();
            *o = v;
        }
        ok
    }

    /// Whether every value is finite (branch-free, so it vectorises).
    #[inline(always)]
    fn all_finite_body(xs: &[f64]) -> bool {
        xs.iter().fold(true, |ok, v| ok & v.is_finite())
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx")]
    fn all_finite_avx(xs: &[f64]) -> bool {
        all_finite_body(xs)
    }

    pub(super) fn all_finite(xs: &[f64]) -> bool {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx") {
            // SAFETY: AVX is available (checked at run time).
            return unsafe { all_finite_avx(xs) };
        }
        all_finite_body(xs)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx")]
    fn welford_avx(mean: &mut [f64], m2: &mut [f64], xs: &[f64], w: f64, r: f64) {
        welford_body(mean, m2, xs, w, r)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx")]
    fn standardise_avx(
        xs: &[f64],
        out: &mut [f64],
        mean: &[f64],
        m2: &[f64],
        k: f64,
        centre: bool,
    ) -> bool {
        standardise_body(xs, out, mean, m2, k, centre)
    }

    /// Checks that every value is finite and, if so, adds the row with weight `w`: the
    /// check and the update in one call. Returns whether the row was finite.
    #[inline(always)]
    fn learn_body(mean: &mut [f64], m2: &mut [f64], weight: &mut f64, xs: &[f64], w: f64) -> bool {
        if !all_finite_body(xs) {
            return false;
        }
        *weight += w;
        let r = w / *weight;
        welford_body(mean, m2, xs, w, r);
        true
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx")]
    fn learn_avx(mean: &mut [f64], m2: &mut [f64], weight: &mut f64, xs: &[f64], w: f64) -> bool {
        learn_body(mean, m2, weight, xs, w)
    }

    pub(super) fn learn(
        mean: &mut [f64],
        m2: &mut [f64],
        weight: &mut f64,
        xs: &[f64],
        w: f64,
    ) -> bool {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx") {
            // SAFETY: AVX is available (checked at run time).
            return unsafe { learn_avx(mean, m2, weight, xs, w) };
        }
        learn_body(mean, m2, weight, xs, w)
    }

    pub(super) fn welford(mean: &mut [f64], m2: &mut [f64], xs: &[f64], w: f64, r: f64) {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx") {
            // SAFETY: AVX is available (checked at run time).
            return unsafe { welford_avx(mean, m2, xs, w, r) };
        }
        welford_body(mean, m2, xs, w, r)
    }

    pub(super) fn standardise(
        xs: &[f64],
        out: &mut [f64],
        mean: &[f64],
        m2: &[f64],
        k: f64,
        centre: bool,
    ) -> bool {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx") {
            // SAFETY: AVX is available (checked at run time).
            return unsafe { standardise_avx(xs, out, mean, m2, k, centre) };
        }
        standardise_body(xs, out, mean, m2, k, centre)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn learned() -> StandardScaler {
        let mut s = StandardScaler::new();
        for x in [[1.0, 2.0], [3.0, -1.0], [0.5, 4.0]] {
            s.learn_one(Row::Dense(&x), None).unwrap();
        }
        s
    }

    #[test]
    fn a_learned_scaler_passes_and_corruptions_are_named() {
        assert_eq!(StandardScaler::new().check_state(), Ok(()));
        assert_eq!(learned().check_state(), Ok(()));
        let mut s = learned();
        s.m2.pop();
        let e = s.check_state().unwrap_err();
        assert_eq!(e, "second moments: 1 values where the model needs 2");
        let mut s = learned();
        s.mean[1] = f64::NAN;
        assert_eq!(s.check_state().unwrap_err(), "means[1]: NaN");
        let mut s = learned();
        s.m2[0] = -1.0;
        assert!(
            s.check_state()
                .unwrap_err()
                .starts_with("second moments[0]")
        );
        let mut s = learned();
        s.weight = -3.0;
        assert!(s.check_state().unwrap_err().starts_with("weight: -3"));
        // Overflowed moments are a state the scaler copes with.
        let mut s = learned();
        s.m2[0] = f64::INFINITY;
        assert_eq!(s.check_state(), Ok(()));
    }
}
