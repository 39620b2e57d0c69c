//! Page-Hinkley test, River's two-sided variant with a fading factor.

use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, finite, nonneg};
use tidewater_core::spec::Params;
use tidewater_core::{Build, Result};

use crate::BLOCK;

/// Which changes of the mean [`PageHinkley`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PageHinkleyMode {
    /// Increases only (MOA's test is of this kind).
    Up,
    /// Decreases only.
    Down,
    /// Both (River's default).
    Both,
}

tidewater_core::param_choices!(PageHinkleyMode {
    Up => "up",
    Down => "down",
    Both => "both",
});

/// Hyper-parameters of [`PageHinkley`] (River's names and defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "page_hinkley",
    summary = "Page-Hinkley test on the deviation from the running mean, with fading (River-exact)"
)]
pub struct PageHinkleyParams {
    /// Values seen before a change may be reported.
    #[param(default = 30)]
    pub min_instances: usize,
    /// Magnitude of change tolerated.
    #[param(default = 0.005)]
    pub delta: f64,
    /// The detection threshold (lambda).
    #[param(default = 50.0)]
    pub threshold: f64,
    /// Fading factor of the cumulative sums.
    #[param(default = 1.0 - 0.0001, ge = 0, le = 1)]
    pub alpha: f64,
    /// Changes reported: up, down or both.
    #[param(default = PageHinkleyMode::Both)]
    pub mode: PageHinkleyMode,
}

impl Build for PageHinkleyParams {
    type Model = PageHinkley;
    fn build(&self) -> Result<PageHinkley> {
        self.validate()?;
        let mut m = PageHinkley {
            params: self.clone(),
            n: 0.0,
            mean: 0.0,
            sum_increase: 0.0,
            sum_decrease: 0.0,
            min_increase: f64::INFINITY,
            max_decrease: -1.0,
            drift: false,
        };
        m.reset_state();
        Ok(m)
    }
}

/// The Page-Hinkley test: cumulative sums of the deviations from the running mean (faded by
/// `alpha`, less `delta`), with a drift when a sum rises more than `threshold` above its
/// minimum (an increase) or falls more than `threshold` below its maximum (a decrease).
///
/// **River's algorithm, exactly**, including its quirks: the running mean is updated as
/// `mean += (1/n) (x - mean)`, the sums as `alpha * sum + dev -/+ delta`, the maximum of the
/// decreasing sum starts at -1, and testing starts once `n >= min_instances`. The first
/// update after a drift starts afresh.
///
/// **MOA**'s `PageHinkleyDM` is one-sided (increases; `mode = up`), updates its mean by a
/// division (`mean + (x - mean) / n`), computes `alpha * sum + (x - mean - delta)`, and
/// tests from its 29th value by default: its detections can differ by a few values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PageHinkley {
    params: PageHinkleyParams,
    n: f64,
    mean: f64,
    sum_increase: f64,
    sum_decrease: f64,
    min_increase: f64,
    max_decrease: f64,
    drift: bool,
}

impl CheckState for PageHinkley {
    /// Parameters in range; the count not negative; the mean and the sums finite; the
    /// smallest increase finite or `+inf` before the first value, the largest decrease finite.
    fn check_state(&self) -> StateResult {
        crate::check_params(&self.params)?;
        nonneg("n", self.n)?;
        finite("mean", self.mean)?;
        finite("sum_increase", self.sum_increase)?;
        finite("sum_decrease", self.sum_decrease)?;
        crate::finite_or_inf("min_increase", self.min_increase)?;
        finite("max_decrease", self.max_decrease)
    }
}

impl Default for PageHinkley {
    fn default() -> Self {
        PageHinkley::new()
    }
}

impl PageHinkley {
    /// A detector with River's defaults.
    pub fn new() -> Self {
        PageHinkleyParams::default()
            .build()
            .expect("default parameters are valid")
    }

    /// The hyper-parameters.
    pub fn params(&self) -> &PageHinkleyParams {
        &self.params
    }

    /// The running mean of the values since the last reset.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// Values seen since the last reset.
    pub fn n(&self) -> u64 {
        self.n as u64
    }

    fn reset_state(&mut self) {
        self.n = 0.0;
        self.mean = 0.0;
        self.sum_increase = 0.0;
        self.sum_decrease = 0.0;
        self.min_increase = f64::INFINITY;
        self.max_decrease = -1.0;
        self.drift = false;
    }

    #[inline(always)]
    fn step(&mut self, x: f64) {
        if self.drift {
            self.reset_state();
        }
        self.n += 1.0;
        self.mean += (1.0 / self.n) * (x - self.mean);
        let dev = x - self.mean;
        let p = &self.params;
        self.sum_increase = p.alpha * self.sum_increase + dev - p.delta;
        self.sum_decrease = p.alpha * self.sum_decrease + dev + p.delta;
        if self.sum_increase < self.min_increase {
            self.min_increase = self.sum_increase;
        }
        if self.sum_decrease > self.max_decrease {
            self.max_decrease = self.sum_decrease;
        }
        if self.n >= p.min_instances as f64 {
            let up = self.sum_increase - self.min_increase > p.threshold;
            let down = self.max_decrease - self.sum_decrease > p.threshold;
            self.drift = match p.mode {
                PageHinkleyMode::Up => up,
                PageHinkleyMode::Down => down,
                PageHinkleyMode::Both => up | down,
            };
        }
    }
}

impl PageHinkley {
    /// The batch path for checked values: per block, River's running-mean weights are
    /// computed side by side (IEEE divisions, the same values), then the chains in order with
    /// the state in registers. A drift ends the block: the next value starts afresh.
    fn batch(&mut self, xs: &[f64], offset: usize, out: &mut crate::Detections) {
        let mut r = [0.0f64; BLOCK];
        let p = self.params.clone();
        let min_n = p.min_instances as f64;
        let mut i = 0;
        while i < xs.len() {
            if self.drift {
                self.reset_state();
            }
            let n = (xs.len() - i).min(BLOCK);
            let block = &xs[i..i + n];
            let n0 = self.n;
            crate::reciprocals(n0, &mut r[..n]);
            let (mut mean, mut si, mut sd) = (self.mean, self.sum_increase, self.sum_decrease);
            let (mut min_i, mut max_d) = (self.min_increase, self.max_decrease);
            let mut drift = false;
            let mut used = n;
            for (j, (&x, &rj)) in block.iter().zip(&r[..n]).enumerate() {
                mean += rj * (x - mean);
                let dev = x - mean;
                si = p.alpha * si + dev - p.delta;
                sd = p.alpha * sd + dev + p.delta;
                if si < min_i {
                    min_i = si;
                }
                if sd > max_d {
                    max_d = sd;
                }
                if n0 + (j + 1) as f64 >= min_n {
                    let up = si - min_i > p.threshold;
                    let down = max_d - sd > p.threshold;
                    drift = match p.mode {
                        PageHinkleyMode::Up => up,
                        PageHinkleyMode::Down => down,
                        PageHinkleyMode::Both => up | down,
                    };
                    if drift {
                        out.drifts.push(offset + i + j);
                        used = j + 1;
                        break;
                    }
                }
            }
            self.n = n0 + used as f64;
            (self.mean, self.sum_increase, self.sum_decrease) = (mean, si, sd);
            (self.min_increase, self.max_decrease) = (min_i, max_d);
            self.drift = drift;
            i += used;
        }
    }
}

crate::impl_detector!(PageHinkley, "page_hinkley", Real, warning = false, batch);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DriftDetector;

    #[test]
    fn modes_see_their_own_direction() {
        let run = |mode, jump: f64| {
            let mut d = PageHinkleyParams::default().mode(mode).build().unwrap();
            let xs: Vec<f64> = (0..2000)
                .map(|i| if i < 1000 { 0.0 } else { jump })
                .collect();
            d.update_many(&xs).unwrap().drifts
        };
        assert!(!run(PageHinkleyMode::Up, 5.0).is_empty());
        assert!(run(PageHinkleyMode::Up, -5.0).is_empty());
        assert!(!run(PageHinkleyMode::Down, -5.0).is_empty());
        assert!(!run(PageHinkleyMode::Both, -5.0).is_empty());
    }

    #[test]
    fn mode_names_are_checked() {
        let spec = tidewater_core::spec::parse_spec("page_hinkley(mode=sideways)").unwrap();
        let e = PageHinkleyParams::from_spec(&spec).unwrap_err().to_string();
        assert!(e.contains("mode"), "{e}");
    }

    #[test]
    fn corrupted_state_is_refused_naming_the_part() {
        let mut d = PageHinkley::new();
        for i in 0..100 {
            d.update((i % 5) as f64).unwrap();
        }
        d.check_state().unwrap();
        let mut bad = d.clone();
        bad.mean = f64::NAN;
        assert!(bad.check_state().unwrap_err().contains("mean"));
        let mut bad = d.clone();
        bad.min_increase = f64::NEG_INFINITY;
        assert!(bad.check_state().unwrap_err().contains("min_increase"));
        let mut bad = d.clone();
        bad.n = -1.0;
        assert!(bad.check_state().unwrap_err().contains("n: -1"));
        let mut bad = d.clone();
        bad.params.alpha = 1.5;
        assert!(bad.check_state().unwrap_err().contains("`alpha`"));
    }
}
