//! EDDM: the early drift detection method of Baena-García et al. (2006), River's algorithm.

use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, ensure, finite, nonneg};
use tidewater_core::spec::Params;
use tidewater_core::{Build, Error, Result};

use crate::py_pow;

/// Hyper-parameters of [`Eddm`] (River's names and defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "eddm",
    summary = "EDDM: warning and drift when errors come closer together (River-exact; 0/1 input)",
    check = Self::check
)]
pub struct EddmParams {
    /// Values, and errors, seen before a warning or a drift may be reported.
    #[param(default = 30)]
    pub warm_start: usize,
    /// Warning when the distance statistic falls below this share of its best.
    #[param(default = 0.95, ge = 0, le = 1)]
    pub alpha: f64,
    /// Drift when it falls below this share, at most alpha.
    #[param(default = 0.9, ge = 0, le = 1)]
    pub beta: f64,
}

impl EddmParams {
    fn check(&self) -> Result<()> {
        if self.alpha < self.beta {
            return Err(Error::param(
                "beta",
                format!("must be at most alpha ({}), got {}", self.alpha, self.beta),
            ));
        }
        Ok(())
    }
}

impl Build for EddmParams {
    type Model = Eddm;
    fn build(&self) -> Result<Eddm> {
        self.validate()?;
        let mut m = Eddm {
            params: self.clone(),
            n: 0,
            last_error: 0,
            n_errors: 0,
            dist_n: 0.0,
            dist_mean: 0.0,
            dist_s: 0.0,
            p2s_max: -1.0,
            drift: false,
            warning: false,
        };
        m.reset_state();
        Ok(m)
    }
}

/// EDDM (early drift detection method): watches the distance (in values) between
/// consecutive errors, its mean `p'` and standard deviation `s'`; remembers the largest
/// `p' + 2 s'`, and reports a warning when the current `p' + 2 s'` falls below `alpha` times
/// that maximum, a drift below `beta` times it.
///
/// **Input**: 1 for an error, anything else (0) for a correct prediction.
///
/// **River's algorithm, exactly**: the distances' mean and variance are River's Welford
/// statistics (sample variance, `ddof = 1`), the deviation is `variance ** 0.5` as Python
/// computes it, nothing is tested before more than `warm_start` values and errors were
/// seen, the warning flag changes only when an error arrives, and the first update after a
/// drift starts afresh.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Eddm {
    params: EddmParams,
    n: u64,
    last_error: u64,
    n_errors: u64,
    dist_n: f64,
    dist_mean: f64,
    dist_s: f64,
    p2s_max: f64,
    drift: bool,
    warning: bool,
}

impl CheckState for Eddm {
    /// Parameters in range; the last error and the number of errors not beyond the values
    /// seen (the distance to the last error is `n - last_error`); the distances' count the
    /// number of errors, their mean and second moment finite and not negative; the best
    /// `p' + 2 s'` finite.
    fn check_state(&self) -> StateResult {
        crate::check_params(&self.params)?;
        ensure(self.last_error <= self.n, || {
            format!(
                "last_error: value {} is after the {} values seen",
                self.last_error, self.n
            )
        })?;
        ensure(self.n_errors <= self.n, || {
            format!("n_errors: {} errors in {} values", self.n_errors, self.n)
        })?;
        ensure(self.dist_n == self.n_errors as f64, || {
            format!(
                "dist_n: {} distances for {} errors",
                self.dist_n, self.n_errors
            )
        })?;
        nonneg("dist_mean", self.dist_mean)?;
        nonneg("dist_s", self.dist_s)?;
        finite("p2s_max", self.p2s_max)
    }
}

impl Default for Eddm {
    fn default() -> Self {
        Eddm::new()
    }
}

impl Eddm {
    /// A detector with River's defaults.
    pub fn new() -> Self {
        EddmParams::default()
            .build()
            .expect("default parameters are valid")
    }

    /// The hyper-parameters.
    pub fn params(&self) -> &EddmParams {
        &self.params
    }

    fn reset_state(&mut self) {
        self.n = 0;
        self.last_error = 0;
        self.n_errors = 0;
        self.dist_n = 0.0;
        self.dist_mean = 0.0;
        self.dist_s = 0.0;
        self.p2s_max = -1.0;
        self.drift = false;
        self.warning = false;
    }

    #[inline]
    fn step(&mut self, x: f64) {
        if self.drift {
            self.reset_state();
        }
        self.n += 1;
        if x == 1.0 {
            self.n_errors = self.n_errors.saturating_add(1);
            // River's Var.update with weight 1.
            let d = (self.n - self.last_error) as f64;
            let old = self.dist_mean;
            self.dist_n += 1.0;
            self.dist_mean += (1.0 / self.dist_n) * (d - self.dist_mean);
            self.dist_s += 1.0 * (d - old) * (d - self.dist_mean);
            if self.n > self.params.warm_start as u64 {
                let p = self.dist_mean;
                let var = if self.dist_n > 1.0 {
                    self.dist_s / (self.dist_n - 1.0)
                } else {
                    0.0
                };
                let s = py_pow(var, 0.5);
                let p2s = p + 2.0 * s;
                if p2s > self.p2s_max {
                    self.p2s_max = p2s;
                } else if self.n_errors > self.params.warm_start as u64 {
                    let level = p2s / self.p2s_max;
                    if level < self.params.beta {
                        self.drift = true;
                    } else {
                        self.warning = level < self.params.alpha;
                    }
                }
            }
            self.last_error = self.n;
        }
    }
}

crate::impl_detector!(Eddm, "eddm", Binary, warning = true);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DriftDetector;

    #[test]
    fn corrupted_state_is_refused_naming_the_part() {
        let mut d = EddmParams::default().warm_start(5).build().unwrap();
        for i in 0..200 {
            d.update(f64::from(i % 4 == 0)).unwrap();
        }
        d.check_state().unwrap();
        let mut bad = d.clone();
        bad.last_error = bad.n + 1;
        // The next error would measure a negative distance.
        assert!(bad.check_state().unwrap_err().contains("last_error"));
        let mut bad = d.clone();
        bad.dist_n += 1.0;
        assert!(bad.check_state().unwrap_err().contains("dist_n"));
        let mut bad = d.clone();
        bad.p2s_max = f64::INFINITY;
        assert!(bad.check_state().unwrap_err().contains("p2s_max"));
    }
}
