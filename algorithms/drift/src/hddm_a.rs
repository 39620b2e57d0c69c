//! HDDM_A: drift detection with Hoeffding's bound on moving averages (Frías-Blanco et al.,
//! 2014), River's algorithm.

use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, ensure, finite, nonneg};
use tidewater_core::spec::Params;
use tidewater_core::{Build, Result};

/// What a two-sided HDDM test does when the mean *decreases* significantly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OnDecrease {
    /// Report a drift (and a warning at the warning confidence): River's behaviour.
    Drift,
    /// Restart the statistics silently, reporting nothing: MOA's behaviour.
    Reset,
}

tidewater_core::param_choices!(OnDecrease { Drift => "drift", Reset => "reset" });

/// Hyper-parameters of [`HddmA`] (River's names and defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "hddm_a",
    summary = "HDDM_A: Hoeffding bounds on moving averages, warning and drift (River-exact; [0, 1] input)"
)]
pub struct HddmAParams {
    /// Confidence of the drift test.
    #[param(default = 0.001, gt = 0, lt = 1)]
    pub drift_confidence: f64,
    /// Confidence of the warning test.
    #[param(default = 0.005, gt = 0, lt = 1)]
    pub warning_confidence: f64,
    /// Also watch for decreases of the mean (River's default is one-sided, MOA's two-sided).
    #[param(default = false)]
    pub two_sided_test: bool,
    /// Two-sided: a significant decrease is a drift (River) or a silent restart (reset, MOA).
    #[param(default = OnDecrease::Drift)]
    pub on_decrease: OnDecrease,
}

impl Build for HddmAParams {
    type Model = HddmA;
    fn build(&self) -> Result<HddmA> {
        self.validate()?;
        let mut m = HddmA {
            params: self.clone(),
            log_drift: (1.0 / self.drift_confidence).ln(),
            log2_drift: (2.0 / self.drift_confidence).ln(),
            log2_warning: (2.0 / self.warning_confidence).ln(),
            z: Mean::default(),
            x_min: Mean::default(),
            x_max: Mean::default(),
            drift: false,
            warning: false,
        };
        m.reset_state();
        Ok(m)
    }
}

/// River's running mean: `n += 1; mean += (1/n) (x - mean)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Mean {
    n: f64,
    mean: f64,
}

impl Mean {
    #[inline(always)]
    fn update(&mut self, x: f64) {
        self.n += 1.0;
        self.mean += (1.0 / self.n) * (x - self.mean);
    }
}

/// HDDM_A: compares the mean of all values since the last reset with the mean at a cut
/// point (where the mean plus its Hoeffding bound was lowest) and reports a warning or a
/// drift when the increase exceeds the bound at the warning or drift confidence.
///
/// **Input**: values in \[0, 1\], usually 1 for an error and 0 for a correct prediction.
///
/// **River's algorithm, exactly** (River's is itself MOA's, re-expressed with running
/// means): the first update after a drift starts afresh.
///
/// **MOA**'s `HDDM_A_Test` is two-sided by default, and there a significant decrease
/// restarts the statistics without reporting anything; River's two-sided test reports a
/// drift instead. [`OnDecrease::Reset`] gives MOA's behaviour. MOA also keeps sums where
/// River keeps means, so a comparison can round differently.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HddmA {
    params: HddmAParams,
    log_drift: f64,
    log2_drift: f64,
    log2_warning: f64,
    z: Mean,
    x_min: Mean,
    x_max: Mean,
    drift: bool,
    warning: bool,
}

impl Mean {
    /// A count finite and not negative, a finite mean.
    fn check(&self, what: &str) -> StateResult {
        nonneg(&format!("{what}.n"), self.n)?;
        finite(&format!("{what}.mean"), self.mean)
    }
}

impl CheckState for HddmA {
    /// Parameters in range; the logarithms of the confidences finite and positive; the
    /// running means consistent, the two remembered ones taken at or before the current one.
    fn check_state(&self) -> StateResult {
        crate::check_params(&self.params)?;
        for (what, v) in [
            ("log_drift", self.log_drift),
            ("log2_drift", self.log2_drift),
            ("log2_warning", self.log2_warning),
        ] {
            ensure(v.is_finite() && v > 0.0, || {
                format!("{what}: {v} is not a finite positive number")
            })?;
        }
        self.z.check("z")?;
        self.x_min.check("x_min")?;
        self.x_max.check("x_max")?;
        for (what, m) in [("x_min", &self.x_min), ("x_max", &self.x_max)] {
            ensure(m.n <= self.z.n, || {
                format!("{what}.n: {} values, more than the {} seen", m.n, self.z.n)
            })?;
        }
        Ok(())
    }
}

impl Default for HddmA {
    fn default() -> Self {
        HddmA::new()
    }
}

impl HddmA {
    /// A detector with River's defaults.
    pub fn new() -> Self {
        HddmAParams::default()
            .build()
            .expect("default parameters are valid")
    }

    /// The hyper-parameters.
    pub fn params(&self) -> &HddmAParams {
        &self.params
    }

    fn reset_state(&mut self) {
        self.z = Mean::default();
        self.x_min = Mean::default();
        self.x_max = Mean::default();
        self.drift = false;
        self.warning = false;
    }

    #[inline(always)]
    fn bound(&self, n: f64) -> f64 {
        (1.0 / (2.0 * n) * self.log_drift).sqrt()
    }

    #[inline]
    fn mean_incr(&self, log2_conf: f64) -> bool {
        if self.x_min.n == self.z.n {
            return false;
        }
        let m = (self.z.n - self.x_min.n) / self.x_min.n * (1.0 / self.z.n);
        let eps = (m / 2.0 * log2_conf).sqrt();
        self.z.mean - self.x_min.mean >= eps
    }

    #[inline]
    fn mean_decr(&self, log2_conf: f64) -> bool {
        if self.x_max.n == self.z.n {
            return false;
        }
        let m = (self.z.n - self.x_max.n) / self.x_max.n * (1.0 / self.z.n);
        let eps = (m / 2.0 * log2_conf).sqrt();
        self.x_max.mean - self.z.mean >= eps
    }

    #[inline]
    fn step(&mut self, x: f64) {
        if self.drift {
            self.reset_state();
        }
        self.z.update(x);
        if self.x_min.n == 0.0 {
            self.x_min = self.z;
        }
        if self.x_max.n == 0.0 {
            self.x_max = self.z;
        }
        let eps_z = self.bound(self.z.n);
        let eps_x = self.bound(self.x_min.n);
        if self.x_min.mean + eps_x >= self.z.mean + eps_z {
            self.x_min = self.z;
        }
        let eps_x = self.bound(self.x_max.n);
        if self.x_max.mean - eps_x <= self.z.mean - eps_z {
            self.x_max = self.z;
        }
        if self.mean_incr(self.log2_drift) {
            self.warning = false;
            self.drift = true;
        } else if self.mean_incr(self.log2_warning) {
            self.warning = true;
            self.drift = false;
        } else {
            self.warning = false;
            self.drift = false;
        }
        if self.params.two_sided_test {
            if self.mean_decr(self.log2_drift) {
                match self.params.on_decrease {
                    OnDecrease::Drift => self.drift = true,
                    OnDecrease::Reset => {
                        let (d, w) = (self.drift, self.warning);
                        self.reset_state();
                        (self.drift, self.warning) = (d, w);
                    }
                }
            } else if self.params.on_decrease == OnDecrease::Drift
                && self.mean_decr(self.log2_warning)
            {
                self.warning = true;
            }
        }
    }
}

crate::impl_detector!(HddmA, "hddm_a", Binary, warning = true);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DriftDetector;

    fn stream(a: f64, b: f64) -> Vec<f64> {
        // A deterministic 0/1 stream whose rate moves from a to b at 2000.
        let mut s = 7u64;
        (0..4000)
            .map(|i| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let u = (s >> 11) as f64 / (1u64 << 53) as f64;
                f64::from(u < if i < 2000 { a } else { b })
            })
            .collect()
    }

    #[test]
    fn decreases_drift_only_when_two_sided_and_river_like() {
        let down = stream(0.5, 0.05);
        let one = HddmA::new().update_many(&down).unwrap();
        assert!(one.drifts.is_empty());
        let mut river = HddmAParams::default().two_sided_test(true).build().unwrap();
        assert!(!river.update_many(&down).unwrap().drifts.is_empty());
        let mut moa = HddmAParams::default()
            .two_sided_test(true)
            .on_decrease(OnDecrease::Reset)
            .build()
            .unwrap();
        assert!(moa.update_many(&down).unwrap().drifts.is_empty());
        // MOA's variant still sees increases.
        let up = stream(0.05, 0.5);
        assert!(!moa.update_many(&up).unwrap().drifts.is_empty());
    }

    #[test]
    fn corrupted_state_is_refused_naming_the_part() {
        let mut d = HddmA::new();
        d.update_many(&stream(0.2, 0.6)[..500]).unwrap();
        d.check_state().unwrap();
        let mut bad = d.clone();
        bad.x_min.n = bad.z.n + 1.0;
        assert!(bad.check_state().unwrap_err().contains("x_min.n"));
        let mut bad = d.clone();
        bad.log_drift = f64::NAN;
        assert!(bad.check_state().unwrap_err().contains("log_drift"));
        let mut bad = d.clone();
        bad.z.mean = f64::INFINITY;
        assert!(bad.check_state().unwrap_err().contains("z.mean"));
    }
}
