//! RandomRBF: Gaussian clouds around random centroids, optionally moving.

use tidewater_core::{Error, Result, Schema};

use super::params::generator_params;
use super::rng::SynthRng;
use super::{Generator, GeneratorParams, Sample, classification_task, numbered, schema};
use crate::Task;

generator_params! {
    /// Parameters of [`RandomRbf`] (River's `RandomRBF`).
    pub struct RandomRbfParams ("random_rbf", "Random radial basis functions: rows scattered \
                                               around weighted random centroids, each of one \
                                               class") {
        seed_model: Option<u64> = None => "seed of the centroids (none: from the operating \
                                           system)",
        seed_sample: Option<u64> = None => "seed of the rows (none: from the operating system)",
        n_classes: usize = 2 => "number of classes, at least 1",
        n_features: usize = 10 => "number of features, at least 1",
        n_centroids: usize = 50 => "number of centroids, at least 1",
    }
}

generator_params! {
    /// Parameters of [`RandomRbfDrift`] (River's `RandomRBFDrift`).
    pub struct RandomRbfDriftParams ("random_rbf_drift", "Random radial basis functions with \
                                                          centroids moving at a constant \
                                                          speed (incremental drift)") {
        seed_model: Option<u64> = None => "seed of the centroids and their directions (none: \
                                           from the operating system)",
        seed_sample: Option<u64> = None => "seed of the rows (none: from the operating system)",
        n_classes: usize = 2 => "number of classes, at least 1",
        n_features: usize = 10 => "number of features, at least 1",
        n_centroids: usize = 50 => "number of centroids, at least 1",
        change_speed: f64 = 0.0 => "distance a moving centroid travels per row, at least 0",
        n_drift_centroids: usize = 50 => "number of moving centroids (the first ones); more \
                                          than n_centroids means all",
    }
}

fn check_counts(name: &str, n_classes: usize, n_features: usize, n_centroids: usize) -> Result<()> {
    for (param, v) in [
        ("n_classes", n_classes),
        ("n_features", n_features),
        ("n_centroids", n_centroids),
    ] {
        if v == 0 {
            return Err(Error::param(
                param,
                format!("{name}: must be at least 1, got 0"),
            ));
        }
    }
    if n_features.saturating_mul(n_centroids) > 100_000_000 {
        return Err(Error::param(
            "n_centroids",
            format!("{name}: n_features x n_centroids must be at most 100,000,000"),
        ));
    }
    Ok(())
}

impl RandomRbfParams {
    fn check(&self) -> Result<()> {
        check_counts(
            "random_rbf",
            self.n_classes,
            self.n_features,
            self.n_centroids,
        )
    }
}

impl RandomRbfDriftParams {
    fn check(&self) -> Result<()> {
        check_counts(
            "random_rbf_drift",
            self.n_classes,
            self.n_features,
            self.n_centroids,
        )?;
        if self.change_speed < 0.0 {
            return Err(Error::param(
                "change_speed",
                format!(
                    "random_rbf_drift: must be at least 0, got {}",
                    self.change_speed
                ),
            ));
        }
        Ok(())
    }
}

/// The random model of a RandomRBF stream: centroids with a class, a spread and a weight.
#[derive(Clone, Debug)]
struct Model {
    /// Centre coordinates, `n_features` per centroid, row-major.
    centres: Vec<f64>,
    labels: Vec<f64>,
    std_devs: Vec<f64>,
    /// Running sums of the weights, for drawing a centroid.
    cumulative: Vec<f64>,
    n_features: usize,
}

impl Model {
    fn new(rng: &mut SynthRng, n_classes: usize, n_features: usize, n_centroids: usize) -> Self {
        let mut m = Model {
            centres: Vec::with_capacity(n_centroids * n_features),
            labels: Vec::with_capacity(n_centroids),
            std_devs: Vec::with_capacity(n_centroids),
            cumulative: Vec::with_capacity(n_centroids),
            n_features,
        };
        let mut total = 0.0;
        for _ in 0..n_centroids {
            for _ in 0..n_features {
                m.centres.push(rng.uniform());
            }
            m.labels.push(rng.below(n_classes as u64) as f64);
            m.std_devs.push(rng.uniform());
            total += rng.uniform();
            m.cumulative.push(total);
        }
        m
    }

    /// Draws a centroid by weight and writes a row around it; returns its class.
    fn sample(&self, rng: &mut SynthRng, x: &mut [f64]) -> f64 {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let u = rng.uniform() * total;
        let k = self
            .cumulative
            .partition_point(|&c| c <= u)
            .min(self.labels.len() - 1);
        let mut magnitude = 0.0;
        for v in x.iter_mut() {
            *v = 2.0 * rng.uniform() - 1.0;
            magnitude += *v * *v;
        }
        let magnitude = magnitude.sqrt();
        let desired = rng.normal() * self.std_devs[k];
        let scale = if magnitude > 0.0 {
            desired / magnitude
        } else {
            0.0
        };
        let centre = &self.centres[k * self.n_features..(k + 1) * self.n_features];
        for (v, c) in x.iter_mut().zip(centre) {
            *v = c + *v * scale;
        }
        self.labels[k]
    }

    /// The class shares implied by the weights: what a long stream's class balance tends to.
    fn class_shares(&self, n_classes: usize) -> Vec<f64> {
        let mut shares = vec![0.0; n_classes];
        let mut prev = 0.0;
        for (c, &label) in self.cumulative.iter().zip(&self.labels) {
            shares[label as usize] += c - prev;
            prev = *c;
        }
        let total = prev.max(f64::MIN_POSITIVE);
        shares.iter_mut().for_each(|s| *s /= total);
        shares
    }
}

impl GeneratorParams for RandomRbfParams {
    type Generator = RandomRbf;
    fn build(&self) -> Result<RandomRbf> {
        self.check()?;
        let mut model_rng = SynthRng::new(self.seed_model);
        Ok(RandomRbf {
            model: Model::new(
                &mut model_rng,
                self.n_classes,
                self.n_features,
                self.n_centroids,
            ),
            params: self.clone(),
            rng: SynthRng::new(self.seed_sample),
            schema: schema(numbered("x", self.n_features), vec![None; self.n_features]),
        })
    }
}

/// Random radial basis functions, River's `RandomRBF`.
///
/// `n_centroids` centroids are drawn once from `seed_model`: a centre uniform in the unit
/// cube, a class uniform among `n_classes`, a standard deviation and a weight uniform in
/// [0, 1). Each row picks a centroid with probability proportional to its weight and lies
/// in a uniformly random direction from its centre, at a distance drawn from a normal
/// distribution with the centroid's standard deviation; its class is the centroid's.
#[derive(Clone, Debug)]
pub struct RandomRbf {
    params: RandomRbfParams,
    model: Model,
    rng: SynthRng,
    schema: Schema,
}

impl RandomRbf {
    /// The share of each class in a long stream, from the centroids' weights.
    pub fn class_shares(&self) -> Vec<f64> {
        self.model.class_shares(self.params.n_classes)
    }

    /// The parameters it was built with.
    pub fn params(&self) -> &RandomRbfParams {
        &self.params
    }
}

impl Generator for RandomRbf {
    fn name(&self) -> &'static str {
        "random_rbf"
    }
    fn schema(&self) -> &Schema {
        &self.schema
    }
    fn task(&self) -> Task {
        classification_task(self.params.n_classes)
    }
    fn n_classes(&self) -> Option<usize> {
        Some(self.params.n_classes)
    }
    fn fill(&mut self, x: &mut [f64]) -> Sample {
        Sample::at(self.model.sample(&mut self.rng, x))
    }
}

impl GeneratorParams for RandomRbfDriftParams {
    type Generator = RandomRbfDrift;
    fn build(&self) -> Result<RandomRbfDrift> {
        self.check()?;
        let mut model_rng = SynthRng::new(self.seed_model);
        let model = Model::new(
            &mut model_rng,
            self.n_classes,
            self.n_features,
            self.n_centroids,
        );
        let moving = self.n_drift_centroids.min(self.n_centroids);
        let mut speeds = Vec::with_capacity(moving * self.n_features);
        for _ in 0..moving {
            let start = speeds.len();
            let mut norm = 0.0;
            for _ in 0..self.n_features {
                let v = model_rng.uniform();
                norm += v * v;
                speeds.push(v);
            }
            let norm = norm.sqrt();
            if norm > 0.0 {
                speeds[start..].iter_mut().for_each(|v| *v /= norm);
            }
        }
        Ok(RandomRbfDrift {
            model,
            speeds,
            moving,
            params: self.clone(),
            rng: SynthRng::new(self.seed_sample),
            schema: schema(numbered("x", self.n_features), vec![None; self.n_features]),
        })
    }
}

/// Random radial basis functions with moving centroids, River's `RandomRBFDrift`.
///
/// As [`RandomRbf`], and before each row the first `n_drift_centroids` centroids move by
/// `change_speed` along a fixed unit direction (drawn from `seed_model`, with non-negative
/// coordinates as in River); a centre that leaves the unit cube is put back on its face and
/// that coordinate of its direction reverses.
///
/// Departure from River 0.26.1: the directions continue the centroids' random stream (River
/// restarts the stream from `seed_model`, so its directions repeat the first centroids'
/// coordinates). `n_drift_centroids` above `n_centroids` means all of them, as River does
/// (it warns).
#[derive(Clone, Debug)]
pub struct RandomRbfDrift {
    params: RandomRbfDriftParams,
    model: Model,
    /// Unit directions of the moving centroids, `n_features` each.
    speeds: Vec<f64>,
    moving: usize,
    rng: SynthRng,
    schema: Schema,
}

impl RandomRbfDrift {
    /// The current centre of centroid `k` (`None` past the last).
    pub fn centre(&self, k: usize) -> Option<&[f64]> {
        let d = self.params.n_features;
        self.model.centres.get(k * d..(k + 1) * d)
    }

    /// The parameters it was built with.
    pub fn params(&self) -> &RandomRbfDriftParams {
        &self.params
    }
}

impl Generator for RandomRbfDrift {
    fn name(&self) -> &'static str {
        "random_rbf_drift"
    }
    fn schema(&self) -> &Schema {
        &self.schema
    }
    fn task(&self) -> Task {
        classification_task(self.params.n_classes)
    }
    fn n_classes(&self) -> Option<usize> {
        Some(self.params.n_classes)
    }
    fn fill(&mut self, x: &mut [f64]) -> Sample {
        let speed = self.params.change_speed;
        let d = self.params.n_features;
        let moving = &mut self.model.centres[..self.moving * d];
        for (c, s) in moving.iter_mut().zip(self.speeds.iter_mut()) {
            *c += *s * speed;
            if *c > 1.0 || *c < 0.0 {
                *c = if *c > 1.0 { 1.0 } else { 0.0 };
                *s = -*s;
            }
        }
        Sample::at(self.model.sample(&mut self.rng, x))
    }
}
