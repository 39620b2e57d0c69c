//! SEA: three uniform features, a threshold on the sum of the first two.

use tidewater_core::{Result, Schema};

use super::params::{check_range, generator_params};
use super::rng::SynthRng;
use super::{Generator, GeneratorParams, Sample, numbered, schema};
use crate::Task;

/// The thresholds of SEA's four variants.
const THRESHOLDS: [f64; 4] = [8.0, 9.0, 7.0, 9.5];

generator_params! {
    /// Parameters of [`Sea`] (River's `SEA`).
    pub struct SeaParams ("sea", "SEA concepts (Street and Kim, 2001): 3 uniform features \
                                  in [0, 10), class 1 when x0 + x1 exceeds the variant's \
                                  threshold") {
        variant: usize = 0 => "the concept: threshold 8, 9, 7 or 9.5 for variants 0, 1, 2, 3",
        noise: f64 = 0.0 => "the probability that a label is flipped, in [0, 1]",
        seed: Option<u64> = None => "random seed (none: from the operating system)",
    }
}

impl SeaParams {
    fn check(&self) -> Result<()> {
        check_range("sea", "variant", self.variant, 0, 3)?;
        check_range("sea", "noise", self.noise, 0.0, 1.0)
    }
}

impl GeneratorParams for SeaParams {
    type Generator = Sea;
    fn build(&self) -> Result<Sea> {
        self.check()?;
        Ok(Sea {
            threshold: THRESHOLDS[self.variant],
            params: self.clone(),
            rng: SynthRng::new(self.seed),
            schema: schema(numbered("x", 3), vec![None; 3]),
        })
    }
}

/// The SEA concepts stream (Street and Kim, 2001), River's `SEA`.
///
/// Three features uniform in [0, 10); only the first two are relevant: the class is 1 when
/// `x0 + x1` is above the variant's threshold (8, 9, 7, 9.5 for variants 0 to 3), else 0.
/// With `noise` > 0 each label is flipped with that probability. Switching the variant
/// (with a [`ConceptDriftStream`](super::ConceptDriftStream)) makes an abrupt drift.
#[derive(Clone, Debug)]
pub struct Sea {
    params: SeaParams,
    threshold: f64,
    rng: SynthRng,
    schema: Schema,
}

impl Sea {
    /// The noise-free label of variant `variant` (0 to 3) for a row `[x0, x1, x2]`: 1 when
    /// `x0 + x1` exceeds the threshold. `None` for an unknown variant or a short row.
    pub fn label(variant: usize, x: &[f64]) -> Option<f64> {
        let t = THRESHOLDS.get(variant)?;
        let (a, b) = (x.first()?, x.get(1)?);
        Some(f64::from(u8::from(a + b > *t)))
    }

    /// The parameters it was built with.
    pub fn params(&self) -> &SeaParams {
        &self.params
    }
}

impl Generator for Sea {
    fn name(&self) -> &'static str {
        "sea"
    }
    fn schema(&self) -> &Schema {
        &self.schema
    }
    fn task(&self) -> Task {
        Task::BinaryClassification
    }
    fn n_classes(&self) -> Option<usize> {
        Some(2)
    }
    fn fill(&mut self, x: &mut [f64]) -> Sample {
        for v in x.iter_mut() {
            *v = 10.0 * self.rng.uniform();
        }
        let mut y = x[0] + x[1] > self.threshold;
        if self.params.noise > 0.0 && self.rng.chance(self.params.noise) {
            y = !y;
        }
        Sample::at(f64::from(u8::from(y)))
    }
}
