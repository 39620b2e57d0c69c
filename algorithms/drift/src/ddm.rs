//! DDM: the drift detection method of Gama et al. (2004), River's algorithm.

use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, ensure, finite, nonneg};
use tidewater_core::spec::Params;
use tidewater_core::{Build, Result};

use crate::BLOCK;

/// Hyper-parameters of [`Ddm`] (River's names and defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "ddm",
    summary = "DDM: warning and drift when the error rate rises above its best (River-exact; 0/1 input)"
)]
pub struct DdmParams {
    /// Values seen before a warning or a drift may be reported.
    #[param(default = 30)]
    pub warm_start: usize,
    /// Standard deviations above the best error rate for a warning.
    #[param(default = 2.0, ge = 0)]
    pub warning_threshold: f64,
    /// Standard deviations above the best error rate for a drift.
    #[param(default = 3.0, ge = 0)]
    pub drift_threshold: f64,
}

impl Build for DdmParams {
    type Model = Ddm;
    fn build(&self) -> Result<Ddm> {
        self.validate()?;
        let mut m = Ddm {
            params: self.clone(),
            n: 0.0,
            p: 0.0,
            p_min: f64::INFINITY,
            s_min: f64::INFINITY,
            ps_min: f64::INFINITY,
            drift: false,
            warning: false,
        };
        m.reset_state();
        Ok(m)
    }
}

/// DDM (drift detection method): watches the error rate `p` and its standard deviation
/// `s = sqrt(p (1 - p) / n)`; remembers the point where `p + s` was smallest, and reports a
/// warning when `p + s > p_min + warning_threshold * s_min`, a drift when
/// `p + s > p_min + drift_threshold * s_min`.
///
/// **Input**: 1 for an error, 0 for a correct prediction.
///
/// **River's algorithm, exactly**: the error rate is River's running mean
/// (`p += (1/n) (x - p)`), nothing is tested until more than `warm_start` values were seen,
/// the minimum is taken with `<=`, a drift clears the warning, and the first update after a
/// drift starts afresh.
///
/// **MOA**'s `DDM` counts one ahead (it may warn and detect one value earlier) and updates
/// its rate by a division (`p + (x - p) / n`), which can round differently.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ddm {
    params: DdmParams,
    n: f64,
    p: f64,
    p_min: f64,
    s_min: f64,
    ps_min: f64,
    drift: bool,
    warning: bool,
}

impl CheckState for Ddm {
    /// Parameters in range; the count a whole number not below 0; the error rate finite; the
    /// best point's rate, deviation and sum finite, or all `+inf` before the first test.
    fn check_state(&self) -> StateResult {
        crate::check_params(&self.params)?;
        nonneg("n", self.n)?;
        ensure(self.n.fract() == 0.0, || {
            format!("n: {} is not a whole count", self.n)
        })?;
        finite("p", self.p)?;
        crate::finite_or_inf("p_min", self.p_min)?;
        crate::finite_or_inf("s_min", self.s_min)?;
        crate::finite_or_inf("ps_min", self.ps_min)
    }
}

impl Default for Ddm {
    fn default() -> Self {
        Ddm::new()
    }
}

impl Ddm {
    /// A detector with River's defaults.
    pub fn new() -> Self {
        DdmParams::default()
            .build()
            .expect("default parameters are valid")
    }

    /// The hyper-parameters.
    pub fn params(&self) -> &DdmParams {
        &self.params
    }

    /// The error rate since the last reset.
    pub fn error_rate(&self) -> f64 {
        self.p
    }

    fn reset_state(&mut self) {
        self.n = 0.0;
        self.p = 0.0;
        self.p_min = f64::INFINITY;
        self.s_min = f64::INFINITY;
        self.ps_min = f64::INFINITY;
        self.drift = false;
        self.warning = false;
    }

    #[inline(always)]
    fn step(&mut self, x: f64) {
        if self.drift {
            self.reset_state();
        }
        self.n += 1.0;
        let n = self.n;
        self.p += (1.0 / n) * (x - self.p);
        let p = self.p;
        let s = (p * (1.0 - p) / n).sqrt();
        if n > self.params.warm_start as f64 {
            if p + s <= self.ps_min {
                self.p_min = p;
                self.s_min = s;
                self.ps_min = self.p_min + self.s_min;
            }
            self.warning = p + s > self.p_min + self.params.warning_threshold * self.s_min;
            if p + s > self.p_min + self.params.drift_threshold * self.s_min {
                self.drift = true;
                self.warning = false;
            }
        }
    }
}

impl Ddm {
    /// The batch path for checked values: per block, River's running-mean weights and the
    /// deviations are computed side by side (IEEE divisions and square roots, so the same
    /// values), the error-rate chain and the tests in order. A drift ends the block: the
    /// next value starts afresh.
    fn batch(&mut self, xs: &[f64], offset: usize, out: &mut crate::Detections) {
        let mut r = [0.0f64; BLOCK];
        let mut p = [0.0f64; BLOCK];
        let mut s = [0.0f64; BLOCK];
        let wt = self.params.warning_threshold;
        let dt = self.params.drift_threshold;
        let warm = self.params.warm_start as f64;
        let mut i = 0;
        while i < xs.len() {
            if self.drift {
                self.reset_state();
            }
            let n = (xs.len() - i).min(BLOCK);
            let block = &xs[i..i + n];
            let n0 = self.n;
            crate::reciprocals(n0, &mut r[..n]);
            let mut pv = self.p;
            for ((pj, &rj), &x) in p[..n].iter_mut().zip(&r[..n]).zip(block) {
                pv += rj * (x - pv);
                *pj = pv;
            }
            deviations(n0, &p[..n], &mut s[..n]);
            let (mut p_min, mut s_min, mut ps_min) = (self.p_min, self.s_min, self.ps_min);
            // River's thresholds, recomputed (the same values) only when the minimum moves.
            let mut w_level = p_min + wt * s_min;
            let mut d_level = p_min + dt * s_min;
            let mut warning = self.warning;
            let mut drift = false;
            let mut used = n;
            for j in 0..n {
                let nj = n0 + crate::STEPS[j];
                if nj > warm {
                    let (pj, sj) = (p[j], s[j]);
                    let ps = pj + sj;
                    if ps <= ps_min {
                        p_min = pj;
                        s_min = sj;
                        ps_min = p_min + s_min;
                        w_level = p_min + wt * s_min;
                        d_level = p_min + dt * s_min;
                    }
                    warning = ps > w_level;
                    if ps > d_level {
                        drift = true;
                        warning = false;
                    }
                }
                if warning {
                    out.warnings.push(offset + i + j);
                }
                if drift {
                    out.drifts.push(offset + i + j);
                    used = j + 1;
                    break;
                }
            }
            self.n = n0 + used as f64;
            self.p = p[used - 1];
            (self.p_min, self.s_min, self.ps_min) = (p_min, s_min, ps_min);
            self.warning = warning;
            self.drift = drift;
            i += used;
        }
    }
}

/// `out[j] = sqrt(p[j] (1 - p[j]) / (n + j + 1))`, River's expression, side by side.
fn deviations(n: f64, p: &[f64], out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F, checked just above.
            unsafe { deviations_avx512(n, p, out) };
            return;
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { deviations_avx2(n, p, out) };
            return;
        }
    }
    deviations_plain(n, p, out);
}

#[inline(always)]
fn deviations_plain(n: f64, p: &[f64], out: &mut [f64]) {
    let p = &p[..out.len()];
    let steps = &crate::STEPS[..out.len()];
    for ((o, &pj), &k) in out.iter_mut().zip(p).zip(steps) {
        let nj = n + k;
        *o = (pj * (1.0 - pj) / nj).sqrt();
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn deviations_avx2(n: f64, p: &[f64], out: &mut [f64]) {
    deviations_plain(n, p, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn deviations_avx512(n: f64, p: &[f64], out: &mut [f64]) {
    deviations_plain(n, p, out);
}

crate::impl_detector!(Ddm, "ddm", Binary, warning = true, batch);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DriftDetector;

    #[test]
    fn refuses_values_outside_the_unit_interval() {
        let mut d = Ddm::new();
        d.update(1.0).unwrap();
        let before = d.clone();
        for bad in [2.0, -0.5, f64::NAN, f64::INFINITY] {
            let e = d.update(bad).unwrap_err().to_string();
            assert!(e.contains("ddm"), "{e}");
        }
        assert_eq!(d, before);
        let e = d.update_many(&[0.0, 1.0, 3.0]).unwrap_err().to_string();
        assert!(e.starts_with("row 2"), "{e}");
        assert_eq!(d, before);
    }

    #[test]
    fn corrupted_state_is_refused_naming_the_part() {
        let mut d = DdmParams::default().warm_start(5).build().unwrap();
        for i in 0..100 {
            d.update(f64::from(i % 3 == 0)).unwrap();
        }
        d.check_state().unwrap();
        let mut bad = d.clone();
        bad.n = 2.5;
        assert!(bad.check_state().unwrap_err().contains("n: 2.5"));
        let mut bad = d.clone();
        bad.p_min = f64::NAN;
        assert!(bad.check_state().unwrap_err().contains("p_min"));
        let mut bad = d.clone();
        bad.params.drift_threshold = -1.0;
        assert!(bad.check_state().unwrap_err().contains("`drift_threshold`"));
    }
}
