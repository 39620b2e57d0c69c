//! Friedman #1: a regression target from five of ten uniform features, with optional drift.

use std::f64::consts::PI;

use tidewater_core::{Error, Result, Schema};

use super::params::generator_params;
use super::rng::SynthRng;
use super::{Generator, GeneratorParams, Sample, numbered, schema};
use crate::Task;

generator_params! {
    /// Parameters of [`Friedman`] (River's `Friedman`).
    pub struct FriedmanParams ("friedman", "Friedman #1 regression (Friedman, 1991): 10 uniform \
                                            features, 5 relevant, Gaussian noise") {
        seed: Option<u64> = None => "random seed (none: from the operating system)",
    }
}

impl FriedmanParams {
    fn check(&self) -> Result<()> {
        Ok(())
    }
}

impl GeneratorParams for FriedmanParams {
    type Generator = Friedman;
    fn build(&self) -> Result<Friedman> {
        Ok(Friedman {
            params: self.clone(),
            rng: SynthRng::new(self.seed),
            schema: schema(numbered("x", 10), vec![None; 10]),
        })
    }
}

/// `10 sin(pi a b) + 20 (c - 0.5)^2 + 10 d + 5 e`, the Friedman #1 form.
#[inline]
fn friedman_form(a: f64, b: f64, c: f64, d: f64, e: f64) -> f64 {
    10.0 * libm::sin(PI * a * b) + 20.0 * (c - 0.5) * (c - 0.5) + 10.0 * d + 5.0 * e
}

/// The Friedman #1 regression stream (Friedman, 1991), River's `Friedman`.
///
/// Ten features uniform in [0, 1); the target is
/// `10 sin(pi x0 x1) + 20 (x2 - 0.5)^2 + 10 x3 + 5 x4 + e` with `e` standard normal, so
/// `x5` to `x9` are irrelevant.
#[derive(Clone, Debug)]
pub struct Friedman {
    params: FriedmanParams,
    rng: SynthRng,
    schema: Schema,
}

impl Friedman {
    /// The noise-free target of a row of at least 5 features (`None` when shorter).
    pub fn mean(x: &[f64]) -> Option<f64> {
        let x = x.get(..5)?;
        Some(friedman_form(x[0], x[1], x[2], x[3], x[4]))
    }

    /// The parameters it was built with.
    pub fn params(&self) -> &FriedmanParams {
        &self.params
    }
}

impl Generator for Friedman {
    fn name(&self) -> &'static str {
        "friedman"
    }
    fn schema(&self) -> &Schema {
        &self.schema
    }
    fn task(&self) -> Task {
        Task::Regression
    }
    fn n_classes(&self) -> Option<usize> {
        None
    }
    fn fill(&mut self, x: &mut [f64]) -> Sample {
        for v in x.iter_mut() {
            *v = self.rng.uniform();
        }
        let y = friedman_form(x[0], x[1], x[2], x[3], x[4]) + self.rng.normal();
        Sample::at(y)
    }
}

/// The kinds of drift of [`FriedmanDrift`] (Ikonomovska, Gama and Džeroski, 2011).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DriftType {
    /// `lea`, local expanding abrupt: two regions of the space change at the first point and
    /// grow at the second and third.
    LocalExpandingAbrupt,
    /// `gra`, global recurring abrupt: the relevant features are swapped at the first point
    /// and the first concept returns at the second.
    GlobalRecurringAbrupt,
    /// `gsg`, global and slow gradual: two new concepts in turn, each coming in over a
    /// transition window where old and new are drawn with equal probability.
    GlobalSlowGradual,
}

impl DriftType {
    /// River's code: `lea`, `gra` or `gsg`.
    pub fn code(self) -> &'static str {
        match self {
            DriftType::LocalExpandingAbrupt => "lea",
            DriftType::GlobalRecurringAbrupt => "gra",
            DriftType::GlobalSlowGradual => "gsg",
        }
    }
}

tidewater_core::param_choices!(DriftType {
    LocalExpandingAbrupt => "lea",
    GlobalRecurringAbrupt => "gra",
    GlobalSlowGradual => "gsg",
});

/// River's default change points.
const DEFAULT_POSITION: [usize; 3] = [50_000, 100_000, 150_000];

generator_params! {
    /// Parameters of [`FriedmanDrift`] (River's `FriedmanDrift`).
    pub struct FriedmanDriftParams ("friedman_drift", "Friedman #1 regression with drift \
                                                       (Ikonomovska et al., 2011): local \
                                                       expanding, global recurring or global \
                                                       gradual") {
        drift_type: DriftType = DriftType::LocalExpandingAbrupt => "lea (local expanding \
                                abrupt), gra (global recurring abrupt) or gsg (global and \
                                slow gradual)",
        position: Vec<usize> = DEFAULT_POSITION.to_vec() => "increasing 0-based rows where the \
                                concept changes: three for lea, two for gra and gsg (left at \
                                its default, gra and gsg use its first two)",
        transition_window: usize = 10_000 => "gsg only: rows after each change point in which \
                                              old and new concepts are mixed half and half",
        seed: Option<u64> = None => "random seed (none: from the operating system)",
    }
}

impl FriedmanDriftParams {
    /// The change points in use: `position`, or for gra and gsg the first two of the
    /// default.
    fn points(&self) -> Vec<usize> {
        if self.drift_type != DriftType::LocalExpandingAbrupt && self.position == DEFAULT_POSITION {
            DEFAULT_POSITION[..2].to_vec()
        } else {
            self.position.clone()
        }
    }

    fn check(&self) -> Result<()> {
        let p = self.points();
        let want = match self.drift_type {
            DriftType::LocalExpandingAbrupt => 3,
            _ => 2,
        };
        if p.len() != want {
            return Err(Error::param(
                "position",
                format!(
                    "friedman_drift: drift_type={} takes {want} change points, got {}",
                    self.drift_type.code(),
                    p.len()
                ),
            ));
        }
        if p.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::param(
                "position",
                format!("friedman_drift: change points must increase, got {p:?}"),
            ));
        }
        if self.drift_type == DriftType::GlobalSlowGradual && self.transition_window > p[1] - p[0] {
            return Err(Error::param(
                "transition_window",
                format!(
                    "friedman_drift: must be at most the gap between the change points ({}), \
                     got {}",
                    p[1] - p[0],
                    self.transition_window
                ),
            ));
        }
        Ok(())
    }
}

impl GeneratorParams for FriedmanDriftParams {
    type Generator = FriedmanDrift;
    fn build(&self) -> Result<FriedmanDrift> {
        self.check()?;
        let p = self.points();
        Ok(FriedmanDrift {
            cp: [p[0], p[1], p.get(2).copied().unwrap_or(usize::MAX)],
            params: self.clone(),
            rng: SynthRng::new(self.seed),
            coin: SynthRng::with_stream(self.seed, 1),
            index: 0,
            schema: schema(numbered("x", 10), vec![None; 10]),
        })
    }
}

/// Friedman #1 with concept drift (Ikonomovska, Gama and Džeroski, 2011), River's
/// `FriedmanDrift`.
///
/// Features as [`Friedman`]; the noise-free target ([`FriedmanDrift::mean`]) depends on the
/// 0-based row index `i` and the change points `p1 < p2 (< p3)`:
/// - `lea`: in region R1 (`x1 < 0.3, x2 < 0.3, x3 > 0.7, x4 < 0.3` from `p1`, without the
///   `x4` condition from `p2`, without the `x3` one from `p3`) the target is
///   `10 x0 x1 + 20 (x2 - 0.5) + 10 x3 + 5 x4`; in the mirror region R2 (`x1 > 0.7,
///   x2 > 0.7, x3 < 0.3, x4 > 0.7`, shrinking the same way) it is
///   `10 cos(x0 x1) + 20 (x2 - 0.5) + exp(x3) + 5 x4^2`; elsewhere Friedman's;
/// - `gra`: from `p1` to `p2` the target is `10 sin(pi x3 x5) + 20 (x1 - 0.5)^2 + 10 x0 +
///   5 x2`, Friedman's before and after;
/// - `gsg`: from `p1` the target is `10 sin(pi x3 x4) + 20 (x1 - 0.5)^2 + 10 x0 + 5 x2`,
///   from `p2` `10 sin(pi x1 x4) + 20 (x3 - 0.5)^2 + 10 x2 + 5 x0`; in the
///   `transition_window` rows after each point, each row takes the old concept with
///   probability 1/2 (a coin from a second stream of the same seed).
///
/// Standard normal noise is added. Rows at the change points are flagged
/// ([`Sample::drift`]).
#[derive(Clone, Debug)]
pub struct FriedmanDrift {
    params: FriedmanDriftParams,
    cp: [usize; 3],
    rng: SynthRng,
    coin: SynthRng,
    index: usize,
    schema: Schema,
}

/// Concepts of the drifts: 0 Friedman's, 1 lea R1, 2 lea R2, 3 gra, 4 gsg first, 5 gsg
/// second.
fn concept(c: u8, x: &[f64]) -> f64 {
    match c {
        1 => 10.0 * x[0] * x[1] + 20.0 * (x[2] - 0.5) + 10.0 * x[3] + 5.0 * x[4],
        2 => {
            10.0 * libm::cos(x[0] * x[1])
                + 20.0 * (x[2] - 0.5)
                + libm::exp(x[3])
                + 5.0 * x[4] * x[4]
        }
        3 => friedman_form(x[3], x[5], x[1], x[0], x[2]),
        4 => friedman_form(x[3], x[4], x[1], x[0], x[2]),
        5 => friedman_form(x[1], x[4], x[3], x[2], x[0]),
        _ => friedman_form(x[0], x[1], x[2], x[3], x[4]),
    }
}

impl FriedmanDrift {
    /// The change points in use (two or three 0-based row indices).
    pub fn change_points(&self) -> Vec<usize> {
        self.params.points()
    }

    /// The noise-free target of row `x` (10 features) at 0-based index `index`, for
    /// `lea` and `gra`; `None` for `gsg` (whose concept in a transition window is random)
    /// or a short row.
    pub fn mean(&self, index: usize, x: &[f64]) -> Option<f64> {
        let x = x.get(..10)?;
        match self.params.drift_type {
            DriftType::GlobalSlowGradual => None,
            _ => Some(concept(
                concept_at(&self.params, self.cp, index, x, None),
                x,
            )),
        }
    }

    /// The parameters it was built with.
    pub fn params(&self) -> &FriedmanDriftParams {
        &self.params
    }
}

/// The concept of row `i`; `coin` decides in gsg's transition windows.
fn concept_at(
    params: &FriedmanDriftParams,
    cp: [usize; 3],
    i: usize,
    x: &[f64],
    mut coin: Option<&mut SynthRng>,
) -> u8 {
    let [p1, p2, p3] = cp;
    match params.drift_type {
        DriftType::LocalExpandingAbrupt => {
            if i < p1 {
                return 0;
            }
            let stage = if i < p2 {
                0
            } else if i < p3 {
                1
            } else {
                2
            };
            let r1 = x[1] < 0.3
                && x[2] < 0.3
                && (stage == 2 || x[3] > 0.7)
                && (stage >= 1 || x[4] < 0.3);
            if r1 {
                return 1;
            }
            let r2 = x[1] > 0.7
                && x[2] > 0.7
                && (stage == 2 || x[3] < 0.3)
                && (stage >= 1 || x[4] > 0.7);
            if r2 { 2 } else { 0 }
        }
        DriftType::GlobalRecurringAbrupt => {
            if (p1..p2).contains(&i) {
                3
            } else {
                0
            }
        }
        DriftType::GlobalSlowGradual => {
            let w = params.transition_window;
            let mut old = |start: usize| -> bool {
                i < start.saturating_add(w)
                    && coin.as_mut().is_some_and(|c| c.next_u64() >> 63 == 1)
            };
            if i < p1 {
                0
            } else if i < p2 {
                if old(p1) { 0 } else { 4 }
            } else if old(p2) {
                4
            } else {
                5
            }
        }
    }
}

impl Generator for FriedmanDrift {
    fn name(&self) -> &'static str {
        "friedman_drift"
    }
    fn schema(&self) -> &Schema {
        &self.schema
    }
    fn task(&self) -> Task {
        Task::Regression
    }
    fn n_classes(&self) -> Option<usize> {
        None
    }
    fn fill(&mut self, x: &mut [f64]) -> Sample {
        for v in x.iter_mut() {
            *v = self.rng.uniform();
        }
        let i = self.index;
        self.index = self.index.saturating_add(1);
        let c = concept_at(&self.params, self.cp, i, x, Some(&mut self.coin));
        let y = concept(c, x) + self.rng.normal();
        Sample {
            target: y,
            drift: self.cp.contains(&i),
        }
    }
}
