//! HDDM_W: drift detection with McDiarmid's bound on exponentially weighted moving averages
//! (Frías-Blanco et al., 2014), River's algorithm.

use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, ensure, finite, nonneg};
use tidewater_core::spec::Params;
use tidewater_core::{Build, Result};

use crate::hddm_a::OnDecrease;
use crate::py_pow;

/// Hyper-parameters of [`HddmW`] (River's names and defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "hddm_w",
    summary = "HDDM_W: McDiarmid bounds on weighted moving averages, warning and drift (River-exact; [0, 1] input)"
)]
pub struct HddmWParams {
    /// Confidence of the drift test.
    #[param(default = 0.001, gt = 0, lt = 1)]
    pub drift_confidence: f64,
    /// Confidence of the warning test.
    #[param(default = 0.005, gt = 0, lt = 1)]
    pub warning_confidence: f64,
    /// Weight of the newest value in the moving averages.
    #[param(default = 0.05, ge = 0, le = 1)]
    pub lambda_val: f64,
    /// Also watch for decreases of the mean.
    #[param(default = false)]
    pub two_sided_test: bool,
    /// Two-sided: a significant decrease is a drift (River) or a silent restart (reset, MOA).
    #[param(default = OnDecrease::Drift)]
    pub on_decrease: OnDecrease,
}

impl Build for HddmWParams {
    type Model = HddmW;
    fn build(&self) -> Result<HddmW> {
        self.validate()?;
        let l = self.lambda_val;
        let fresh = Sample {
            ewma: 0.0,
            init: false,
            ibc: 1.0,
        };
        let mut m = HddmW {
            params: self.clone(),
            lambda_sq: l * l,
            c_lambda_sq: py_pow(1.0 - l, 2.0),
            log_drift: (1.0 / self.drift_confidence).ln(),
            log_warning: (1.0 / self.warning_confidence).ln(),
            total: fresh,
            s1_incr: fresh,
            s2_incr: fresh,
            s1_decr: fresh,
            s2_decr: fresh,
            incr_cut: f64::INFINITY,
            decr_cut: f64::NEG_INFINITY,
            drift: false,
            warning: false,
        };
        m.reset_state();
        Ok(m)
    }
}

/// River's `SampleInfo`: an exponentially weighted mean (the first value sets it) and its
/// independent-bounded-condition sum.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
struct Sample {
    ewma: f64,
    init: bool,
    ibc: f64,
}

const FRESH: Sample = Sample {
    ewma: 0.0,
    init: false,
    ibc: 1.0,
};

/// HDDM_W: tracks an exponentially weighted moving average of the input and reports a
/// warning or a drift when the average since a cut point exceeds the average at the cut
/// point by more than McDiarmid's bound at the warning or drift confidence.
///
/// **Input**: values in \[0, 1\], usually 1 for an error and 0 for a correct prediction.
///
/// **River's algorithm, exactly**: River's averages start from the first value, and their
/// bounded-condition sums start at 1 and are updated on every value including the first
/// (MOA sets the sum to 1 at the first value). The first update after a drift starts afresh.
///
/// **MOA**'s `HDDM_W_Test` resets its statistics silently when a two-sided test sees a
/// significant decrease, where River reports a drift ([`OnDecrease::Reset`] gives MOA's
/// behaviour), and starts its decrease cut point at the smallest positive double instead of
/// minus infinity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HddmW {
    params: HddmWParams,
    lambda_sq: f64,
    c_lambda_sq: f64,
    log_drift: f64,
    log_warning: f64,
    total: Sample,
    s1_incr: Sample,
    s2_incr: Sample,
    s1_decr: Sample,
    s2_decr: Sample,
    incr_cut: f64,
    decr_cut: f64,
    drift: bool,
    warning: bool,
}

impl Sample {
    /// A finite average, a finite bound term not below 0.
    fn check(&self, what: &str) -> StateResult {
        finite(&format!("{what}.ewma"), self.ewma)?;
        nonneg(&format!("{what}.ibc"), self.ibc)
    }
}

impl CheckState for HddmW {
    /// Parameters in range; the constants derived from them finite (the logarithms
    /// positive, the squares in \[0, 1\]); every sample consistent; the cut points finite or
    /// at their starting infinities.
    fn check_state(&self) -> StateResult {
        crate::check_params(&self.params)?;
        for (what, v) in [
            ("lambda_sq", self.lambda_sq),
            ("c_lambda_sq", self.c_lambda_sq),
        ] {
            ensure((0.0..=1.0).contains(&v), || {
                format!("{what}: {v} is outside [0, 1]")
            })?;
        }
        for (what, v) in [
            ("log_drift", self.log_drift),
            ("log_warning", self.log_warning),
        ] {
            ensure(v.is_finite() && v > 0.0, || {
                format!("{what}: {v} is not a finite positive number")
            })?;
        }
        self.total.check("total")?;
        self.s1_incr.check("s1_incr")?;
        self.s2_incr.check("s2_incr")?;
        self.s1_decr.check("s1_decr")?;
        self.s2_decr.check("s2_decr")?;
        crate::finite_or_inf("incr_cut", self.incr_cut)?;
        crate::finite_or_neg_inf("decr_cut", self.decr_cut)
    }
}

impl Default for HddmW {
    fn default() -> Self {
        HddmW::new()
    }
}

impl HddmW {
    /// A detector with River's defaults.
    pub fn new() -> Self {
        HddmWParams::default()
            .build()
            .expect("default parameters are valid")
    }

    /// The hyper-parameters.
    pub fn params(&self) -> &HddmWParams {
        &self.params
    }

    fn reset_state(&mut self) {
        self.total = FRESH;
        self.s1_incr = FRESH;
        self.s2_incr = FRESH;
        self.s1_decr = FRESH;
        self.s2_decr = FRESH;
        self.incr_cut = f64::INFINITY;
        self.decr_cut = f64::NEG_INFINITY;
        self.drift = false;
        self.warning = false;
    }

    #[inline(always)]
    fn sample_update(&self, s: &mut Sample, x: f64) {
        let l = self.params.lambda_val;
        if s.init {
            s.ewma = l * x + (1.0 - l) * s.ewma;
        } else {
            s.ewma = x;
        }
        s.init = true;
        s.ibc = self.lambda_sq + self.c_lambda_sq * s.ibc;
    }

    #[inline(always)]
    fn mcdiarmid(ibc: f64, log_conf: f64) -> f64 {
        (ibc * log_conf / 2.0).sqrt()
    }

    #[inline]
    fn changed(s1: &Sample, s2: &Sample, log_conf: f64) -> bool {
        if !(s1.init && s2.init) {
            return false;
        }
        let bound = Self::mcdiarmid(s1.ibc + s2.ibc, log_conf);
        s2.ewma - s1.ewma > bound
    }

    #[inline]
    fn step(&mut self, x: f64) {
        if self.drift {
            self.reset_state();
        }
        let mut total = self.total;
        self.sample_update(&mut total, x);
        self.total = total;

        let eps = Self::mcdiarmid(self.total.ibc, self.log_drift);
        if self.total.ewma + eps < self.incr_cut {
            self.incr_cut = self.total.ewma + eps;
            self.s1_incr = self.total;
            self.s2_incr = FRESH;
        } else {
            let mut s2 = self.s2_incr;
            self.sample_update(&mut s2, x);
            self.s2_incr = s2;
        }
        if Self::changed(&self.s1_incr, &self.s2_incr, self.log_drift) {
            self.warning = false;
            self.drift = true;
        } else if Self::changed(&self.s1_incr, &self.s2_incr, self.log_warning) {
            self.warning = true;
            self.drift = false;
        } else {
            self.warning = false;
            self.drift = false;
        }

        let eps = Self::mcdiarmid(self.total.ibc, self.log_drift);
        if self.total.ewma - eps > self.decr_cut {
            self.decr_cut = self.total.ewma - eps;
            self.s1_decr = self.total;
            self.s2_decr = FRESH;
        } else {
            let mut s2 = self.s2_decr;
            self.sample_update(&mut s2, x);
            self.s2_decr = s2;
        }
        if self.params.two_sided_test {
            if Self::changed(&self.s2_decr, &self.s1_decr, self.log_drift) {
                match self.params.on_decrease {
                    OnDecrease::Drift => self.drift = true,
                    OnDecrease::Reset => {
                        let (d, w) = (self.drift, self.warning);
                        self.reset_state();
                        (self.drift, self.warning) = (d, w);
                    }
                }
            } else if self.params.on_decrease == OnDecrease::Drift
                && Self::changed(&self.s2_decr, &self.s1_decr, self.log_warning)
            {
                self.warning = true;
            }
        }
    }
}

crate::impl_detector!(HddmW, "hddm_w", Binary, warning = true);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DriftDetector;

    #[test]
    fn corrupted_state_is_refused_naming_the_part() {
        let mut d = HddmWParams::default().two_sided_test(true).build().unwrap();
        for i in 0..300 {
            d.update(f64::from(i % 5 == 0)).unwrap();
        }
        d.check_state().unwrap();
        let mut bad = d.clone();
        bad.s1_incr.ibc = -1.0;
        assert!(bad.check_state().unwrap_err().contains("s1_incr.ibc"));
        let mut bad = d.clone();
        bad.incr_cut = f64::NAN;
        assert!(bad.check_state().unwrap_err().contains("incr_cut"));
        let mut bad = d.clone();
        bad.params.lambda_val = 2.0;
        assert!(bad.check_state().unwrap_err().contains("`lambda_val`"));
    }
}
