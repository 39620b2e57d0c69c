//! Sine: two uniform features and a sine boundary (SINE1, SINE2 and their reversals).

use tidewater_core::{Result, Schema};

use super::params::{check_range, generator_params};
use super::rng::SynthRng;
use super::{Generator, GeneratorParams, Sample, numbered, schema};
use crate::Task;

generator_params! {
    /// Parameters of [`Sine`] (River's `Sine`).
    pub struct SineParams ("sine", "Sine concepts (Gama et al., 2004): two uniform features, \
                                    class 1 below a sine curve (SINE1, SINE2, or reversed)") {
        classification_function: usize = 0 => "0 SINE1, 1 reversed SINE1, 2 SINE2, 3 reversed \
                                               SINE2",
        seed: Option<u64> = None => "random seed (none: from the operating system)",
        balance_classes: bool = false => "alternate the classes 1, 0, 1, ... (drawing rows \
                                          until the wanted class comes)",
        has_noise: bool = false => "add two irrelevant uniform features (4 in all)",
    }
}

impl SineParams {
    fn check(&self) -> Result<()> {
        check_range(
            "sine",
            "classification_function",
            self.classification_function,
            0,
            3,
        )
    }
}

impl GeneratorParams for SineParams {
    type Generator = Sine;
    fn build(&self) -> Result<Sine> {
        self.check()?;
        let n = if self.has_noise { 4 } else { 2 };
        Ok(Sine {
            params: self.clone(),
            rng: SynthRng::new(self.seed),
            next_zero: false,
            schema: schema(numbered("x", n), vec![None; n]),
        })
    }
}

/// The sine concepts (Gama, Medas, Castillo and Rodrigues, 2004), River's `Sine`.
///
/// Features `x0`, `x1` uniform in [0, 1) (and `x2`, `x3` irrelevant with `has_noise`). The
/// class of function 0 (SINE1) is 1 when `x0 < sin(x1)`; function 1 reverses it; function 2
/// (SINE2) is 1 when `x0 < 0.5 + 0.3 sin(3 pi x1)`; function 3 reverses that. (The point
/// is `(x1, x0)`: below the curve is class 1.) `sin` is `libm`'s, the same everywhere.
#[derive(Clone, Debug)]
pub struct Sine {
    params: SineParams,
    rng: SynthRng,
    next_zero: bool,
    schema: Schema,
}

impl Sine {
    /// The label of function `function` (0 to 3) for a row starting `[x0, x1]`. `None` for
    /// an unknown function or a short row.
    pub fn label(function: usize, x: &[f64]) -> Option<f64> {
        let (a, b) = (*x.first()?, *x.get(1)?);
        let below = match function {
            0 | 1 => a < libm::sin(b),
            2 | 3 => a < 0.5 + 0.3 * libm::sin(3.0 * std::f64::consts::PI * b),
            _ => return None,
        };
        let y = if function.is_multiple_of(2) {
            below
        } else {
            !below
        };
        Some(f64::from(u8::from(y)))
    }

    /// The parameters it was built with.
    pub fn params(&self) -> &SineParams {
        &self.params
    }
}

impl Generator for Sine {
    fn name(&self) -> &'static str {
        "sine"
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
        let y = loop {
            x[0] = self.rng.uniform();
            x[1] = self.rng.uniform();
            let y = Sine::label(f, x).unwrap_or(0.0);
            if !self.params.balance_classes || (y == 0.0) == self.next_zero {
                self.next_zero = !self.next_zero;
                break y;
            }
        };
        if self.params.has_noise {
            x[2] = self.rng.uniform();
            x[3] = self.rng.uniform();
        }
        Sample::at(y)
    }
}
