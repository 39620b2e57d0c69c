//! Mini-batch SGD for sparse logistic regression on a [`ParamServer`]: the classic
//! parameter-server workload. Each worker owns a contiguous shard of the rows; each round it
//! takes its next mini-batch, pulls only the weights the batch touches, pushes their
//! gradients (the server applies AdaGrad per key) and clocks. Under SSP a worker held up in
//! one round does not hold up the others for more than `s` rounds.

use std::time::{Duration, Instant};

use tidewater_core::kernels::{logistic, softplus};
use tidewater_core::{CsrMatrix, Error, Result};

use crate::{Consistency, Keys, LocalServer, ParamServer, Rule};

/// How the SGD runs.
#[derive(Clone, Debug)]
pub struct SgdConfig {
    /// Rows per mini-batch and worker (at least 1).
    pub batch_size: usize,
    /// AdaGrad's step size (positive).
    pub rate: f64,
    /// Passes over the rows (at least 1).
    pub epochs: usize,
    /// Worker threads (at least 1).
    pub workers: usize,
    /// The consistency model.
    pub consistency: Consistency,
    /// Test-only: `delay(worker, round)` is slept by that worker before that round (a
    /// straggler), none by default.
    #[doc(hidden)]
    pub delay: Option<fn(usize, u64) -> Duration>,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig {
            batch_size: 256,
            rate: 0.1,
            epochs: 1,
            workers: 2,
            consistency: Consistency::Bsp,
            delay: None,
        }
    }
}

/// What an SGD run learned and how it went.
#[derive(Clone, Debug, PartialEq)]
pub struct SgdOutcome {
    /// A weight per feature.
    pub coef: Vec<f64>,
    /// The bias.
    pub intercept: f64,
    /// Rounds each worker ran.
    pub rounds: u64,
    /// Seconds from the first round to the last worker's end.
    pub seconds: f64,
}

impl SgdOutcome {
    /// The mean log loss of the model on rows `x` with labels `y`.
    pub fn log_loss(&self, x: &CsrMatrix, y: &[bool]) -> f64 {
        let n = x.n_rows().min(y.len());
        let mut sum = 0.0;
        for (i, &yi) in y.iter().enumerate().take(n) {
            let r = x.row(i);
            let z = self.intercept
                + r.indices()
                    .iter()
                    .zip(r.values())
                    .map(|(&j, &v)| self.coef.get(j as usize).copied().unwrap_or(0.0) * v)
                    .sum::<f64>();
            // -ln p(y): softplus(-z) for a positive row, softplus(z) for a negative one.
            sum += softplus(if yi { -z } else { z });
        }
        sum / n.max(1) as f64
    }
}

/// Trains a logistic regression on sparse rows `x` with labels `y` by mini-batch SGD on a
/// [`LocalServer`] of `x`'s columns plus a bias (the last key).
pub fn train_sparse_logistic(x: &CsrMatrix, y: &[bool], cfg: &SgdConfig) -> Result<SgdOutcome> {
    let n = x.n_rows();
    if y.len() != n {
        return Err(Error::LengthMismatch {
            what: "labels".into(),
            expected: n,
            got: y.len(),
        });
    }
    if n == 0 {
        return Err(Error::Empty("no rows to train on".into()));
    }
    if cfg.batch_size == 0 || cfg.epochs == 0 || cfg.workers == 0 {
        return Err(Error::param(
            "batch_size, epochs, workers",
            "each must be at least 1",
        ));
    }
    if !(cfg.rate.is_finite() && cfg.rate > 0.0) {
        return Err(Error::param("rate", "must be positive and finite"));
    }
    let d = x.n_cols();
    let bias = d;
    let w = cfg.workers.min(n);
    let server = LocalServer::new(d + 1, w, w, cfg.consistency)?;
    // Every worker runs as many rounds as the largest shard needs (a short shard wraps).
    let per = n.div_ceil(w);
    let rounds = (per.div_ceil(cfg.batch_size) * cfg.epochs) as u64;
    let rule = Rule::AdaGrad {
        rate: cfg.rate,
        eps: 1e-8,
    };
    let start = Instant::now();
    let results: Vec<Result<()>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..w)
            .map(|k| {
                let server = &server;
                scope.spawn(move || {
                    let rows = (k * n / w)..((k + 1) * n / w);
                    let out = run_worker(server, x, y, rows, k, rounds, bias, rule, cfg);
                    if let Err(e) = &out {
                        server.abort(&format!("worker {k}: {e}"));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::Training("a worker thread was lost".into())))
            })
            .collect()
    });
    let seconds = start.elapsed().as_secs_f64();
    for r in results {
        r?;
    }
    let mut all = vec![0.0; d + 1];
    server.pull(0, Keys::Range(0..d + 1), &mut all)?;
    let intercept = all.pop().unwrap_or(0.0);
    Ok(SgdOutcome {
        coef: all,
        intercept,
        rounds,
        seconds,
    })
}

/// One worker's rounds over its `rows` (cycling through them).
#[allow(clippy::too_many_arguments)]
fn run_worker(
    server: &LocalServer,
    x: &CsrMatrix,
    y: &[bool],
    rows: std::ops::Range<usize>,
    k: usize,
    rounds: u64,
    bias: usize,
    rule: Rule,
    cfg: &SgdConfig,
) -> Result<()> {
    let len = rows.len().max(1);
    let mut next = 0usize;
    let mut keys: Vec<usize> = Vec::new();
    let mut weights: Vec<f64> = Vec::new();
    let mut grads: Vec<f64> = Vec::new();
    let mut batch: Vec<usize> = Vec::with_capacity(cfg.batch_size);
    for r in 0..rounds {
        if let Some(delay) = cfg.delay {
            std::thread::sleep(delay(k, r));
        }
        batch.clear();
        for _ in 0..cfg.batch_size.min(len) {
            batch.push(rows.start + next % len);
            next += 1;
        }
        // The keys the batch touches, sorted, and the bias.
        keys.clear();
        for &i in &batch {
            keys.extend(x.row(i).indices().iter().map(|&j| j as usize));
        }
        keys.push(bias);
        keys.sort_unstable();
        keys.dedup();
        weights.resize(keys.len(), 0.0);
        server.pull(k, Keys::Sparse(&keys), &mut weights)?;
        grads.clear();
        grads.resize(keys.len(), 0.0);
        let at = |j: usize| keys.binary_search(&j).unwrap_or(0);
        let b = weights[at(bias)];
        let scale = 1.0 / batch.len() as f64;
        for &i in &batch {
            let row = x.row(i);
            let z = b + row
                .indices()
                .iter()
                .zip(row.values())
                .map(|(&j, &v)| weights[at(j as usize)] * v)
                .sum::<f64>();
            let err = (logistic(z) - if y[i] { 1.0 } else { 0.0 }) * scale;
            for (&j, &v) in row.indices().iter().zip(row.values()) {
                grads[at(j as usize)] += err * v;
            }
            grads[at(bias)] += err;
        }
        server.push(k, Keys::Sparse(&keys), &grads, rule)?;
        server.clock(k)?;
    }
    Ok(())
}
