//! LED: the digit shown on a noisy seven-segment display.

use tidewater_core::{Error, Result, Schema};

use super::params::{check_range, generator_params};
use super::rng::SynthRng;
use super::{Generator, GeneratorParams, Sample, numbered, schema};
use crate::Task;

/// The segments lit for each digit, in the order: top, top-left, top-right, middle,
/// bottom-left, bottom-right, bottom (the CART book's and River's order).
const SEGMENTS: [[u8; 7]; 10] = [
    [1, 1, 1, 0, 1, 1, 1],
    [0, 0, 1, 0, 0, 1, 0],
    [1, 0, 1, 1, 1, 0, 1],
    [1, 0, 1, 1, 0, 1, 1],
    [0, 1, 1, 1, 0, 1, 0],
    [1, 1, 0, 1, 0, 1, 1],
    [1, 1, 0, 1, 1, 1, 1],
    [1, 0, 1, 0, 0, 1, 0],
    [1, 1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 0, 1, 1],
];

const N_RELEVANT: usize = 7;
const N_WITH_IRRELEVANT: usize = 24;

generator_params! {
    /// Parameters of [`Led`] (River's `LED`).
    pub struct LedParams ("led", "LED display digits (Breiman et al., 1984): 7 segment \
                                  features, each inverted with some probability, plus 17 \
                                  optional irrelevant ones; 10 classes") {
        seed: Option<u64> = None => "random seed (none: from the operating system)",
        noise_percentage: f64 = 0.0 => "probability that each segment is inverted, in [0, 1]",
        irrelevant_features: bool = false => "add 17 random binary features (24 in all)",
    }
}

generator_params! {
    /// Parameters of [`LedDrift`] (River's `LEDDrift`).
    pub struct LedDriftParams ("led_drift", "LED display digits with some segment features \
                                             swapped with irrelevant ones (a changed concept)") {
        seed: Option<u64> = None => "random seed (none: from the operating system)",
        noise_percentage: f64 = 0.0 => "probability that each segment is inverted, in [0, 1]",
        irrelevant_features: bool = false => "add 17 random binary features (24 in all); \
                                              needed for drift",
        n_drift_features: usize = 0 => "number of segments moved to irrelevant positions, 0 to 7",
    }
}

impl LedParams {
    fn check(&self) -> Result<()> {
        check_range("led", "noise_percentage", self.noise_percentage, 0.0, 1.0)
    }
}

impl LedDriftParams {
    fn check(&self) -> Result<()> {
        check_range(
            "led_drift",
            "noise_percentage",
            self.noise_percentage,
            0.0,
            1.0,
        )?;
        check_range(
            "led_drift",
            "n_drift_features",
            self.n_drift_features,
            0,
            N_RELEVANT,
        )?;
        if self.n_drift_features > 0 && !self.irrelevant_features {
            return Err(Error::param(
                "n_drift_features",
                "led_drift: swapping segments needs irrelevant_features=true",
            ));
        }
        Ok(())
    }
}

fn led_schema(irrelevant: bool) -> Schema {
    let n = if irrelevant {
        N_WITH_IRRELEVANT
    } else {
        N_RELEVANT
    };
    let bits = Some(vec!["0".to_owned(), "1".to_owned()]);
    schema(numbered("x", n), vec![bits; n])
}

/// Writes a row of digit `digit` into `x` through the position map `positions`
/// (`x[positions[i]]` gets feature `i`).
fn write_row(rng: &mut SynthRng, noise: f64, positions: &[usize], x: &mut [f64]) -> f64 {
    let digit = rng.below(10) as usize;
    for (i, &lit) in SEGMENTS[digit].iter().enumerate() {
        let inverted = rng.chance(noise);
        x[positions[i]] = f64::from(lit ^ u8::from(inverted));
    }
    for &p in &positions[N_RELEVANT..] {
        x[p] = (rng.next_u64() >> 63) as f64;
    }
    digit as f64
}

impl GeneratorParams for LedParams {
    type Generator = Led;
    fn build(&self) -> Result<Led> {
        self.check()?;
        let schema = led_schema(self.irrelevant_features);
        Ok(Led {
            positions: (0..schema.features.len()).collect(),
            params: self.clone(),
            rng: SynthRng::new(self.seed),
            schema,
        })
    }
}

/// The LED display stream (Breiman, Friedman, Olshen and Stone, 1984), River's `LED`.
///
/// The class is a digit 0 to 9, uniform; features `x0` to `x6` are its seven segments
/// (1 lit, 0 dark; see [`Led::segments`]), each inverted with probability
/// `noise_percentage`; with `irrelevant_features`, `x7` to `x23` are random bits. Features
/// are nominal, emitted as the codes 0 and 1. With 10 % noise the Bayes rate is 74 %.
///
/// Departure from River 0.26.1: the inversion probability is exactly `noise_percentage`
/// (River tests `0.01 + U <= p`).
#[derive(Clone, Debug)]
pub struct Led {
    params: LedParams,
    positions: Vec<usize>,
    rng: SynthRng,
    schema: Schema,
}

impl Led {
    /// The seven segments of `digit` (top, top-left, top-right, middle, bottom-left,
    /// bottom-right, bottom; 1 lit), or `None` past 9.
    pub fn segments(digit: usize) -> Option<[u8; 7]> {
        SEGMENTS.get(digit).copied()
    }

    /// The parameters it was built with.
    pub fn params(&self) -> &LedParams {
        &self.params
    }
}

impl Generator for Led {
    fn name(&self) -> &'static str {
        "led"
    }
    fn schema(&self) -> &Schema {
        &self.schema
    }
    fn task(&self) -> Task {
        Task::MulticlassClassification
    }
    fn n_classes(&self) -> Option<usize> {
        Some(10)
    }
    fn fill(&mut self, x: &mut [f64]) -> Sample {
        Sample::at(write_row(
            &mut self.rng,
            self.params.noise_percentage,
            &self.positions,
            x,
        ))
    }
}

impl GeneratorParams for LedDriftParams {
    type Generator = LedDrift;
    fn build(&self) -> Result<LedDrift> {
        self.check()?;
        let schema = led_schema(self.irrelevant_features);
        let mut rng = SynthRng::new(self.seed);
        let mut positions: Vec<usize> = (0..schema.features.len()).collect();
        if self.n_drift_features > 0 {
            let shift = rng.below(N_RELEVANT as u64) as usize;
            let offset = rng.below((N_WITH_IRRELEVANT - N_RELEVANT) as u64) as usize;
            for i in 0..self.n_drift_features {
                let a = (i + shift) % N_RELEVANT;
                let b = N_RELEVANT + (i + offset) % (N_WITH_IRRELEVANT - N_RELEVANT);
                positions.swap(a, b);
            }
        }
        Ok(LedDrift {
            positions,
            params: self.clone(),
            rng,
            schema,
        })
    }
}

/// LED digits with drifted features, River's `LEDDrift`.
///
/// As [`Led`] with `irrelevant_features`, except that `n_drift_features` of the seven
/// segments are shown at the positions of irrelevant features and those irrelevant features
/// at the segments' positions: segment `(i + s) % 7` trades places with feature
/// `7 + (i + o) % 17` for `i < n_drift_features`, with `s` and `o` drawn from the seed. The
/// concept differs from [`Led`]'s from the first row; join the two with a
/// [`ConceptDriftStream`](super::ConceptDriftStream) for a drift.
///
/// Departure from River 0.26.1: `n_drift_features` above 0 without `irrelevant_features`,
/// or above 7, is an error (River ignores it, or leaves features unset).
#[derive(Clone, Debug)]
pub struct LedDrift {
    params: LedDriftParams,
    positions: Vec<usize>,
    rng: SynthRng,
    schema: Schema,
}

impl LedDrift {
    /// Where each feature is written: `x[positions()[i]]` holds segment `i` for `i < 7`,
    /// irrelevant feature `i` otherwise.
    pub fn positions(&self) -> &[usize] {
        &self.positions
    }

    /// The parameters it was built with.
    pub fn params(&self) -> &LedDriftParams {
        &self.params
    }
}

impl Generator for LedDrift {
    fn name(&self) -> &'static str {
        "led_drift"
    }
    fn schema(&self) -> &Schema {
        &self.schema
    }
    fn task(&self) -> Task {
        Task::MulticlassClassification
    }
    fn n_classes(&self) -> Option<usize> {
        Some(10)
    }
    fn fill(&mut self, x: &mut [f64]) -> Sample {
        Sample::at(write_row(
            &mut self.rng,
            self.params.noise_percentage,
            &self.positions,
            x,
        ))
    }
}
