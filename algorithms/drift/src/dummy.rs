//! Baseline detectors: one that never fires, and River's dummy detector that fires on a
//! schedule (the periodic baseline) or at random.

use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, ensure};
use tidewater_core::spec::Params;
use tidewater_core::{Build, Error, Result};

/// Hyper-parameters of [`NoDrift`] (it has none).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "no_drift",
    summary = "never reports a drift: the floor any detector is compared with"
)]
pub struct NoDriftParams {}

impl Build for NoDriftParams {
    type Model = NoDrift;
    fn build(&self) -> Result<NoDrift> {
        Ok(NoDrift { drift: false })
    }
}

/// A detector that never fires (River's `NoDrift`): wrapping a model with it gives the
/// model without retraining, for comparisons. Any finite value is accepted.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NoDrift {
    drift: bool,
}

impl NoDrift {
    /// The detector.
    pub fn new() -> Self {
        NoDrift::default()
    }

    fn reset_state(&mut self) {}

    #[inline(always)]
    fn step(&mut self, _x: f64) {}
}

impl CheckState for NoDrift {
    /// Nothing to check: the detector has no state.
    fn check_state(&self) -> StateResult {
        Ok(())
    }
}

crate::impl_detector!(NoDrift, "no_drift", Real, warning = false);

/// How [`DummyDrift`] fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TriggerMethod {
    /// Every `t_0` values (after a random warm-up of up to `w` values when `w > 0`).
    Fixed,
    /// At random, with a probability rising along a sigmoid centred `t_0` values after the
    /// last drift, of width `w`.
    Random,
}

tidewater_core::param_choices!(TriggerMethod { Fixed => "fixed", Random => "random" });

/// Hyper-parameters of [`DummyDrift`] (River's `DummyDriftDetector` names and defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "dummy_drift",
    summary = "fires every t_0 values (the periodic baseline) or at random, whatever the data (River's DummyDriftDetector)",
    check = Self::check
)]
pub struct DummyDriftParams {
    /// How it fires: fixed (every t_0 values) or random.
    #[param(default = TriggerMethod::Fixed)]
    pub trigger_method: TriggerMethod,
    /// Values between drifts (fixed) or the centre of the firing probability's sigmoid (random).
    #[param(default = 300)]
    pub t_0: usize,
    /// Largest random warm-up (fixed) or the sigmoid's width (random, must be > 0).
    #[param(default = 0)]
    pub w: usize,
    /// Seed of the random draws (ChaCha8); none draws one.
    #[param(default = None)]
    pub seed: Option<u64>,
}

impl DummyDriftParams {
    /// The periodic baseline: a drift every `t_0` values, River's fixed trigger.
    pub fn periodic(t_0: usize) -> Self {
        DummyDriftParams {
            t_0,
            ..DummyDriftParams::default()
        }
    }

    fn check(&self) -> Result<()> {
        if self.trigger_method == TriggerMethod::Random && self.w == 0 {
            return Err(Error::param(
                "w",
                "must be at least 1 with trigger_method=random",
            ));
        }
        Ok(())
    }
}

impl Build for DummyDriftParams {
    type Model = DummyDrift;
    fn build(&self) -> Result<DummyDrift> {
        self.validate()?;
        let seed = self.seed.unwrap_or_else(|| rand::rng().random());
        let mut m = DummyDrift {
            params: self.clone(),
            seed,
            rng: ChaCha8Rng::seed_from_u64(seed),
            n: 0,
            warmup: 0,
            warmup_done: true,
            drift: false,
        };
        m.start();
        Ok(m)
    }
}

/// River's `DummyDriftDetector`: fires regardless of the data. With the fixed trigger and
/// `w = 0` it reports a drift every `t_0` values (at indices `t_0 - 1`, `2 t_0 - 1`, ...):
/// the periodic baseline, exactly River's. With `w > 0` the first period is preceded by a
/// random warm-up of 1 to `w + 1` values; the random trigger fires with probability
/// `1 / (1 + exp(-4 (t - t_0) / w))`, `t` values after the last drift. The random draws use
/// a seeded ChaCha8 generator, not Python's, so they differ from River's for the same seed.
/// River's `dynamic_cloning` (new seeds for clones) is left to the caller, who can build
/// each copy with its own seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DummyDrift {
    params: DummyDriftParams,
    seed: u64,
    rng: ChaCha8Rng,
    n: u64,
    warmup: u64,
    warmup_done: bool,
    drift: bool,
}

impl DummyDrift {
    /// The periodic baseline: a drift every `t_0` values.
    pub fn periodic(t_0: usize) -> Self {
        DummyDriftParams::periodic(t_0)
            .build()
            .expect("fixed parameters are valid")
    }

    /// The hyper-parameters.
    pub fn params(&self) -> &DummyDriftParams {
        &self.params
    }

    fn start(&mut self) {
        self.n = 0;
        self.drift = false;
        self.warmup_done = true;
        if self.params.trigger_method == TriggerMethod::Fixed && self.params.w > 0 {
            self.warmup = self.rng.random_range(1..=self.params.w as u64 + 1);
            self.warmup_done = false;
        }
    }

    fn reset_state(&mut self) {
        if self.params.seed.is_none() {
            self.seed = self.rng.next_u64();
        }
        self.rng = ChaCha8Rng::seed_from_u64(self.seed);
        self.start();
    }

    #[inline]
    fn step(&mut self, _x: f64) {
        self.n += 1;
        self.drift = false;
        let t_0 = self.params.t_0 as u64;
        match self.params.trigger_method {
            TriggerMethod::Fixed => {
                if !self.warmup_done {
                    if self.n >= self.warmup {
                        self.n = 0;
                        self.warmup_done = true;
                    }
                } else if self.n >= t_0 {
                    self.drift = true;
                    self.n = 0;
                }
            }
            TriggerMethod::Random => {
                let t = self.n as f64 - t_0 as f64;
                let threshold = 1.0 / (1.0 + (-4.0 * t / self.params.w as f64).exp());
                self.drift = self.rng.random::<f64>() < threshold;
                if self.drift {
                    self.n = 0;
                }
            }
        }
    }
}

impl CheckState for DummyDrift {
    /// Parameters in range; with the fixed trigger, the count below the warm-up while it
    /// lasts (a warm-up of 1 to `w + 1` values) and below `t_0` after it.
    fn check_state(&self) -> StateResult {
        crate::check_params(&self.params)?;
        if self.params.trigger_method == TriggerMethod::Random {
            return Ok(());
        }
        if self.warmup_done {
            let t_0 = self.params.t_0 as u64;
            ensure(self.n < t_0.max(1), || {
                format!("n: {} values since the last drift, t_0 is {t_0}", self.n)
            })
        } else {
            let most = (self.params.w as u64).saturating_add(1);
            ensure((1..=most).contains(&self.warmup), || {
                format!(
                    "warmup: {} values, not between 1 and w + 1 ({most})",
                    self.warmup
                )
            })?;
            ensure(self.n < self.warmup, || {
                format!("n: {} values into a warm-up of {}", self.n, self.warmup)
            })
        }
    }
}

crate::impl_detector!(DummyDrift, "dummy_drift", Real, warning = false);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DriftDetector;

    #[test]
    fn periodic_fires_like_river() {
        // River's docstring: t_0 = 500 fires at instances 499 and 999.
        let mut d = DummyDrift::periodic(500);
        let got = d.update_many(&[0.0; 1200]).unwrap();
        assert_eq!(got.drifts, vec![499, 999]);
    }

    #[test]
    fn random_trigger_needs_a_width_and_is_seeded() {
        let spec = tidewater_core::spec::parse_spec("dummy_drift(trigger_method=random)").unwrap();
        let e = DummyDriftParams::from_spec(&spec).unwrap_err().to_string();
        assert!(e.contains("`w`"), "{e}");
        let p = DummyDriftParams::default()
            .trigger_method(TriggerMethod::Random)
            .w(50)
            .seed(Some(3));
        let a = p.build().unwrap().update_many(&[0.0; 3000]).unwrap();
        let b = p.build().unwrap().update_many(&[0.0; 3000]).unwrap();
        assert_eq!(a, b);
        assert!(a.drifts.len() > 3, "{a:?}");
    }

    #[test]
    fn corrupted_schedules_are_refused_naming_the_part() {
        let mut d = DummyDriftParams::default()
            .t_0(40)
            .w(30)
            .seed(Some(9))
            .build()
            .unwrap();
        assert!(NoDrift::new().check_state().is_ok());
        d.check_state().unwrap();
        let mut bad = d.clone();
        bad.warmup = 0;
        assert!(bad.check_state().unwrap_err().contains("warmup"));
        d.update_many(&[0.0; 150]).unwrap();
        d.check_state().unwrap();
        let mut bad = d.clone();
        bad.n = 40;
        assert!(bad.check_state().unwrap_err().contains("n: 40"));
        let mut bad = d.clone();
        bad.params.trigger_method = TriggerMethod::Random;
        bad.params.w = 0;
        assert!(bad.check_state().unwrap_err().contains("`w`"));
    }
}
