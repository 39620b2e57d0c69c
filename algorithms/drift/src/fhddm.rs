//! FHDDM: the fast Hoeffding drift detection method (Pesaranghader and Viktor, 2016),
//! River's algorithm, with its stacking short window.

use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, ensure, finite, index, nonneg, same_len};
use tidewater_core::spec::Params;
use tidewater_core::{Build, Error, Result};

/// Hyper-parameters of [`Fhddm`] (River's names and defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "fhddm",
    summary = "FHDDM: drift when a sliding window's success rate falls below its best (River-exact; 0/1 input)",
    check = Self::check
)]
pub struct FhddmParams {
    /// Length of the sliding window.
    #[param(default = 100, ge = 1, le = 1 << 26)]
    pub sliding_window_size: usize,
    /// Confidence of Hoeffding's bound.
    #[param(default = 0.000001, gt = 0, lt = 1)]
    pub confidence_level: f64,
    /// Length of a second window over the newest values (stacking FHDDM), at most sliding_window_size; none for one window.
    #[param(default = None, ge = 1)]
    pub short_window_size: Option<usize>,
}

impl FhddmParams {
    fn check(&self) -> Result<()> {
        if let Some(s) = self.short_window_size
            && s > self.sliding_window_size
        {
            return Err(Error::param(
                "short_window_size",
                format!(
                    "must be at most sliding_window_size ({}), got {s}",
                    self.sliding_window_size
                ),
            ));
        }
        Ok(())
    }
}

impl Build for FhddmParams {
    type Model = Fhddm;
    fn build(&self) -> Result<Fhddm> {
        self.validate()?;
        let log = (1.0 / self.confidence_level).ln();
        let n = self.sliding_window_size;
        let mut m = Fhddm {
            params: self.clone(),
            epsilon: (log / (2 * n) as f64).sqrt(),
            epsilon_s: self
                .short_window_size
                .map_or(0.0, |s| (log / (2 * s) as f64).sqrt()),
            window: vec![0.0; n],
            start: 0,
            len: 0,
            n_one: 0.0,
            u_max: 0.0,
            u_short_max: 0.0,
            drift: false,
        };
        m.reset_state();
        Ok(m)
    }
}

/// FHDDM: keeps a sliding window of the last `sliding_window_size` values and the highest
/// mean it has had; a drift is reported when the window's mean falls more than Hoeffding's
/// bound below that maximum. With `short_window_size`, a second (stacked) test runs on the
/// newest values of the window.
///
/// **Input**: values in \[0, 1\]. River's docstring calls 1 an error, but the test watches
/// for a *fall* of the mean, so it detects drops of the rate of ones: feed it 1 for a
/// correct prediction to watch accuracy, as FHDDM's authors do.
///
/// **River's algorithm, exactly**: the window's sum is kept by adding the new value and
/// subtracting the oldest after each full-window test (so between tests the window holds
/// one value less than its size), the short window's mean is recomputed by summing its
/// values oldest first, and the first update after a drift starts afresh. FHDDM has no
/// warning zone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fhddm {
    params: FhddmParams,
    epsilon: f64,
    epsilon_s: f64,
    /// Ring buffer of the window.
    window: Vec<f64>,
    start: usize,
    len: usize,
    n_one: f64,
    u_max: f64,
    u_short_max: f64,
    drift: bool,
}

impl CheckState for Fhddm {
    /// Parameters in range; the ring as long as the window, its start inside it and fewer
    /// values in it than its size (a full window is tested and drops its oldest value); every
    /// slot in \[0, 1\] (the input's range); the sum and the best means finite; the bounds
    /// finite and not negative.
    fn check_state(&self) -> StateResult {
        crate::check_params(&self.params)?;
        let size = self.params.sliding_window_size;
        same_len("window", self.window.len(), size)?;
        index("start", self.start, size)?;
        ensure(self.len < size, || {
            format!(
                "len: {} values in a window of {size} (a full window is tested and shrinks)",
                self.len
            )
        })?;
        for (i, &v) in self.window.iter().enumerate() {
            ensure((0.0..=1.0).contains(&v), || {
                format!("window[{i}]: {v} is outside [0, 1]")
            })?;
        }
        finite("n_one", self.n_one)?;
        finite("u_max", self.u_max)?;
        finite("u_short_max", self.u_short_max)?;
        nonneg("epsilon", self.epsilon)?;
        nonneg("epsilon_s", self.epsilon_s)
    }
}

impl Default for Fhddm {
    fn default() -> Self {
        Fhddm::new()
    }
}

impl Fhddm {
    /// A detector with River's defaults.
    pub fn new() -> Self {
        FhddmParams::default()
            .build()
            .expect("default parameters are valid")
    }

    /// The hyper-parameters.
    pub fn params(&self) -> &FhddmParams {
        &self.params
    }

    fn reset_state(&mut self) {
        self.start = 0;
        self.len = 0;
        self.n_one = 0.0;
        self.u_max = 0.0;
        self.u_short_max = 0.0;
        self.drift = false;
    }

    #[inline]
    fn step(&mut self, x: f64) {
        if self.drift {
            self.reset_state();
        }
        let size = self.params.sliding_window_size;
        let mut end = self.start + self.len;
        if end >= size {
            end -= size;
        }
        self.window[end] = x;
        self.len += 1;
        self.n_one += x;
        if self.len == size {
            let u = self.n_one / size as f64;
            self.u_max = if self.u_max < u { u } else { self.u_max };
            let mut short = false;
            if let Some(s) = self.params.short_window_size {
                // Sum of the newest `s` values, oldest first, from 0 (as Python's sum).
                let mut sum = 0.0;
                let mut i = self.start + size - s;
                for _ in 0..s {
                    if i >= size {
                        i -= size;
                    }
                    sum += self.window[i];
                    i += 1;
                }
                let u_s = sum / s as f64;
                self.u_short_max = if self.u_short_max < u_s {
                    u_s
                } else {
                    self.u_short_max
                };
                short = self.u_short_max - u_s > self.epsilon_s;
            }
            let long = self.u_max - u > self.epsilon;
            self.drift = long || short;
            let oldest = self.window[self.start];
            self.start = if self.start + 1 == size {
                0
            } else {
                self.start + 1
            };
            self.len -= 1;
            self.n_one -= oldest;
        }
    }
}

crate::impl_detector!(Fhddm, "fhddm", Binary, warning = false, successes = true);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DriftDetector;

    #[test]
    fn corrupted_state_is_refused_naming_the_part() {
        let mut d = FhddmParams::default()
            .sliding_window_size(20)
            .short_window_size(Some(5))
            .build()
            .unwrap();
        for i in 0..75 {
            d.update(f64::from(i % 3 != 0)).unwrap();
        }
        d.check_state().unwrap();
        let mut bad = d.clone();
        // A full window is never left full: the next update would write past the ring.
        bad.len = 20;
        assert!(bad.check_state().unwrap_err().contains("len: 20"));
        let mut bad = d.clone();
        bad.window.pop();
        assert!(bad.check_state().unwrap_err().contains("window: 19"));
        let mut bad = d.clone();
        bad.window[3] = 2.0;
        assert!(bad.check_state().unwrap_err().contains("window[3]"));
        let mut bad = d.clone();
        bad.start = 20;
        assert!(bad.check_state().unwrap_err().contains("start"));
    }
}
