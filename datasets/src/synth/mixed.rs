//! Mixed: two boolean and two numeric features, a rule mixing them.

use tidewater_core::{Result, Schema};

use super::params::{check_range, generator_params};
use super::rng::SynthRng;
use super::{Generator, GeneratorParams, Sample, numbered, schema};
use crate::Task;

generator_params! {
    /// Parameters of [`Mixed`] (River's `Mixed`).
    pub struct MixedParams ("mixed", "Mixed concepts (Gama et al., 2004): two booleans and two \
                                      uniform numbers, class from any two of three conditions") {
        classification_function: usize = 0 => "0, or 1 for the reversed concept",
        seed: Option<u64> = None => "random seed (none: from the operating system)",
        balance_classes: bool = false => "alternate the classes 1, 0, 1, ... (drawing rows \
                                          until the wanted class comes)",
    }
}

impl MixedParams {
    fn check(&self) -> Result<()> {
        check_range(
            "mixed",
            "classification_function",
            self.classification_function,
            0,
            1,
        )
    }
}

impl GeneratorParams for MixedParams {
    type Generator = Mixed;
    fn build(&self) -> Result<Mixed> {
        self.check()?;
        let boolean = Some(vec!["false".to_owned(), "true".to_owned()]);
        Ok(Mixed {
            params: self.clone(),
            rng: SynthRng::new(self.seed),
            next_zero: false,
            schema: schema(numbered("x", 4), vec![boolean.clone(), boolean, None, None]),
        })
    }
}

/// The mixed concepts (Gama, Medas, Castillo and Rodrigues, 2004), River's `Mixed`.
///
/// Features `x0` = v and `x1` = w, booleans (codes 0 false, 1 true, each true with
/// probability 1/2), and `x2` = x, `x3` = y uniform in [0, 1). With
/// `z = y < 0.5 + 0.3 sin(3 pi x)`, function 0 gives class 0 when at least two of v, w, z
/// hold (`v and w`, `v and z`, or `w and z`) and 1 otherwise; function 1 is the reverse.
#[derive(Clone, Debug)]
pub struct Mixed {
    params: MixedParams,
    rng: SynthRng,
    next_zero: bool,
    schema: Schema,
}

impl Mixed {
    /// The label of function `function` (0 or 1) for a row `[v, w, x, y]` (v and w as 0/1).
    /// `None` for an unknown function or a short row.
    pub fn label(function: usize, x: &[f64]) -> Option<f64> {
        let (v, w) = (*x.first()? != 0.0, *x.get(1)? != 0.0);
        let (a, b) = (*x.get(2)?, *x.get(3)?);
        let z = b < 0.5 + 0.3 * libm::sin(3.0 * std::f64::consts::PI * a);
        // At least two of v, w, z: (v and w) or (v and z) or (w and z).
        let two = u8::from(v) + u8::from(w) + u8::from(z) >= 2;
        let y = match function {
            0 => !two,
            1 => two,
            _ => return None,
        };
        Some(f64::from(u8::from(y)))
    }

    /// The parameters it was built with.
    pub fn params(&self) -> &MixedParams {
        &self.params
    }
}

impl Generator for Mixed {
    fn name(&self) -> &'static str {
        "mixed"
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
            x[0] = f64::from(u8::from(self.rng.uniform() >= 0.5));
            x[1] = f64::from(u8::from(self.rng.uniform() >= 0.5));
            x[2] = self.rng.uniform();
            x[3] = self.rng.uniform();
            let y = Mixed::label(f, x).unwrap_or(0.0);
            if !self.params.balance_classes || (y == 0.0) == self.next_zero {
                self.next_zero = !self.next_zero;
                return Sample::at(y);
            }
        }
    }
}
