//! STAGGER: three nominal features (size, colour, shape) and three boolean concepts.

use tidewater_core::{Result, Schema};

use super::params::{check_range, generator_params};
use super::rng::SynthRng;
use super::{Generator, GeneratorParams, Sample, schema};
use crate::Task;

generator_params! {
    /// Parameters of [`Stagger`] (River's `STAGGER`).
    pub struct StaggerParams ("stagger", "STAGGER concepts (Schlimmer and Granger, 1986): \
                                          size, color and shape codes, three boolean concepts") {
        classification_function: usize = 0 => "the concept, 0 to 2: small and red; green or \
                                               circle; medium or large",
        seed: Option<u64> = None => "random seed (none: from the operating system)",
        balance_classes: bool = false => "alternate the classes 1, 0, 1, ... (drawing rows \
                                          until the wanted class comes)",
    }
}

impl StaggerParams {
    fn check(&self) -> Result<()> {
        check_range(
            "stagger",
            "classification_function",
            self.classification_function,
            0,
            2,
        )
    }
}

impl GeneratorParams for StaggerParams {
    type Generator = Stagger;
    fn build(&self) -> Result<Stagger> {
        self.check()?;
        let cats = |c: [&str; 3]| Some(c.iter().map(|s| (*s).to_owned()).collect());
        Ok(Stagger {
            params: self.clone(),
            rng: SynthRng::new(self.seed),
            next_zero: false,
            schema: schema(
                vec!["size".into(), "color".into(), "shape".into()],
                vec![
                    cats(["small", "medium", "large"]),
                    cats(["red", "blue", "green"]),
                    cats(["circle", "square", "triangle"]),
                ],
            ),
        })
    }
}

/// The STAGGER concepts stream (Schlimmer and Granger, 1986), River's `STAGGER`.
///
/// Features `size` (0 small, 1 medium, 2 large), `color` (0 red, 1 blue, 2 green) and
/// `shape` (0 circle, 1 square, 2 triangle), uniform codes; the class is 1 when
/// - function 0: the size is small and the colour red;
/// - function 1: the colour is green or the shape a circle;
/// - function 2: the size is medium or large.
#[derive(Clone, Debug)]
pub struct Stagger {
    params: StaggerParams,
    rng: SynthRng,
    next_zero: bool,
    schema: Schema,
}

impl Stagger {
    /// The label of concept `function` (0 to 2) for a row `[size, color, shape]` of codes.
    /// `None` for an unknown function or a short row.
    pub fn label(function: usize, x: &[f64]) -> Option<f64> {
        let (size, color, shape) = (*x.first()?, *x.get(1)?, *x.get(2)?);
        let y = match function {
            0 => size == 0.0 && color == 0.0,
            1 => color == 2.0 || shape == 0.0,
            2 => size == 1.0 || size == 2.0,
            _ => return None,
        };
        Some(f64::from(u8::from(y)))
    }

    /// The parameters it was built with.
    pub fn params(&self) -> &StaggerParams {
        &self.params
    }
}

impl Generator for Stagger {
    fn name(&self) -> &'static str {
        "stagger"
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
        let f = self.params.classification_function;
        loop {
            for v in x.iter_mut() {
                *v = self.rng.int_in(0, 2);
            }
            let y = Stagger::label(f, x).unwrap_or(0.0);
            if !self.params.balance_classes || (y == 0.0) == self.next_zero {
                self.next_zero = !self.next_zero;
                return Sample::at(y);
            }
        }
    }
}
