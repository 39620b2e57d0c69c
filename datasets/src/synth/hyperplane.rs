//! Hyperplane: a rotating hyperplane in the unit cube (incremental drift).

use tidewater_core::{Error, Result, Schema};

use super::params::{check_range, generator_params};
use super::rng::SynthRng;
use super::{Generator, GeneratorParams, Sample, numbered, schema};
use crate::Task;

generator_params! {
    /// Parameters of [`Hyperplane`] (River's `Hyperplane`).
    pub struct HyperplaneParams ("hyperplane", "Rotating hyperplane (Hulten et al., 2001): \
                                                uniform features, class 1 above a hyperplane \
                                                whose weights drift") {
        seed: Option<u64> = None => "random seed (none: from the operating system)",
        n_features: usize = 10 => "number of features, at least 1",
        n_drift_features: usize = 2 => "number of weights that drift, at most n_features",
        mag_change: f64 = 0.0 => "how much each drifting weight moves per row, in [0, 1]",
        noise_percentage: f64 = 0.05 => "probability that a label is flipped, in [0, 1]",
        sigma: f64 = 0.1 => "probability, per row and drifting weight, that its direction of \
                             change reverses, in [0, 1]",
    }
}

impl HyperplaneParams {
    fn check(&self) -> Result<()> {
        if self.n_features == 0 {
            return Err(Error::param(
                "n_features",
                "hyperplane: must be at least 1, got 0",
            ));
        }
        check_range(
            "hyperplane",
            "n_drift_features",
            self.n_drift_features,
            0,
            self.n_features,
        )?;
        check_range("hyperplane", "mag_change", self.mag_change, 0.0, 1.0)?;
        check_range(
            "hyperplane",
            "noise_percentage",
            self.noise_percentage,
            0.0,
            1.0,
        )?;
        check_range("hyperplane", "sigma", self.sigma, 0.0, 1.0)
    }
}

impl GeneratorParams for HyperplaneParams {
    type Generator = Hyperplane;
    fn build(&self) -> Result<Hyperplane> {
        self.check()?;
        let mut rng = SynthRng::new(self.seed);
        let weights = (0..self.n_features).map(|_| rng.uniform()).collect();
        let mut direction = vec![0.0; self.n_features];
        direction[..self.n_drift_features].fill(1.0);
        Ok(Hyperplane {
            params: self.clone(),
            rng,
            weights,
            direction,
            schema: schema(numbered("x", self.n_features), vec![None; self.n_features]),
        })
    }
}

/// The rotating hyperplane (Hulten, Spencer and Domingos, 2001), River's `Hyperplane`.
///
/// Features uniform in [0, 1); the class is 1 when `sum(w_i x_i) >= sum(w_i) / 2` and 0
/// otherwise, then flipped with probability `noise_percentage`. The weights start uniform
/// in [0, 1); after each row the first `n_drift_features` move by `mag_change` in their
/// current direction (initially up), and each direction reverses with probability `sigma`.
///
/// Departure from River 0.26.1: the flip and reversal probabilities are exactly
/// `noise_percentage` and `sigma` (River tests `0.01 + U <= p`, i.e. `p - 0.01`).
#[derive(Clone, Debug)]
pub struct Hyperplane {
    params: HyperplaneParams,
    rng: SynthRng,
    weights: Vec<f64>,
    direction: Vec<f64>,
    schema: Schema,
}

impl Hyperplane {
    /// The noise-free label of row `x` under the hyperplane `weights`: 1 when
    /// `sum(w_i x_i) >= sum(w_i) / 2`. `None` when the lengths differ.
    pub fn label(weights: &[f64], x: &[f64]) -> Option<f64> {
        if weights.len() != x.len() {
            return None;
        }
        let s: f64 = weights.iter().zip(x).map(|(w, v)| w * v).sum();
        let total: f64 = weights.iter().sum();
        Some(f64::from(u8::from(s >= total * 0.5)))
    }

    /// The current weights (those the next row is labelled with).
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The parameters it was built with.
    pub fn params(&self) -> &HyperplaneParams {
        &self.params
    }
}

impl Generator for Hyperplane {
    fn name(&self) -> &'static str {
        "hyperplane"
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
        let (mut s, mut total) = (0.0, 0.0);
        for (v, w) in x.iter_mut().zip(&self.weights) {
            *v = self.rng.uniform();
            s += w * *v;
            total += w;
        }
        let mut y = s >= total * 0.5;
        if self.rng.chance(self.params.noise_percentage) {
            y = !y;
        }
        let p = &self.params;
        for i in 0..p.n_drift_features {
            self.weights[i] += self.direction[i] * p.mag_change;
            if self.rng.chance(p.sigma) {
                self.direction[i] = -self.direction[i];
            }
        }
        Sample::at(f64::from(u8::from(y)))
    }
}
