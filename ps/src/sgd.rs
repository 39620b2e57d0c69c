//! Mini-batch SGD for logistic regression on a [`ParamServer`]: the classic parameter-server
//! workload. Each worker owns a contiguous shard of the rows; each round it takes its next
//! mini-batch, pulls only the weights the batch touches (a sparse row's stored features, a
//! dense row's all), pushes their gradients (the server applies AdaGrad, or plain steps, per
//! key) and clocks. Under SSP a worker held up in one round does not hold up the others for
//! more than `s` rounds.

use std::time::{Duration, Instant};

use tidewater_core::kernels::{logistic, softplus};
use tidewater_core::{Batch, CsrMatrix, Error, FeatureVector, Result};

use crate::{Consistency, Keys, LocalServer, ParamServer, Rule};

/// How the SGD runs.
#[derive(Clone, Debug)]
pub struct SgdConfig {
    /// Rows per mini-batch and worker (at least 1).
    pub batch_size: usize,
    /// The weights' step size (positive): AdaGrad's, or the plain step's.
    pub rate: f64,
    /// How the server applies the weights' gradients.
    pub step: Step,
    /// An L2 penalty: `l2 * w_j` is added to each row's gradient of every weight `w_j` the
    /// row touches (as the stream path adds it); 0 by default.
    pub l2: f64,
    /// The intercept: learned with the weights' rule, with plain steps of its own rate, or
    /// not at all.
    pub intercept: Intercept,
    /// Bound on the absolute gradient of a row's loss with respect to its logit.
    pub clip: f64,
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
            step: Step::AdaGrad { eps: 1e-8 },
            l2: 0.0,
            intercept: Intercept::Same,
            clip: f64::INFINITY,
            epochs: 1,
            workers: 2,
            consistency: Consistency::Bsp,
            delay: None,
        }
    }
}

/// How the server applies a pushed gradient `g` to a weight.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Step {
    /// AdaGrad: the key's sum of squares `G` grows by `g^2`, then the weight moves by
    /// `-rate * g / (sqrt(G) + eps)`.
    AdaGrad {
        /// Added to the root of the sum of squares.
        eps: f64,
    },
    /// A plain step: the weight moves by `-rate * g`.
    Plain,
}

/// How the intercept learns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Intercept {
    /// With the weights' rule and rate.
    Same,
    /// With plain steps of this rate.
    Plain(f64),
    /// Not at all: the model has no intercept.
    None,
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
/// [`LocalServer`] of `x`'s columns plus a bias (the last key): [`train_logistic`] without
/// sample weights or progress.
pub fn train_sparse_logistic(x: &CsrMatrix, y: &[bool], cfg: &SgdConfig) -> Result<SgdOutcome> {
    train_logistic(Batch::Sparse(x), y, None, cfg, None)
}

/// Called by worker 0 after each of its rounds with the round's number (from 1) and its
/// mini-batch's mean log loss, weighted (before the round's step).
pub type Progress<'a> = &'a (dyn Fn(u64, f64) + Sync);

/// Trains a logistic regression on rows `x` (dense or sparse, checked: finite values) with
/// labels `y` (`true`: the positive class) and sample weights `w` (checked; none: 1) by
/// mini-batch SGD on a [`LocalServer`] of `x`'s columns plus a bias (the last key). Each
/// worker takes a contiguous shard of the rows and every worker runs as many rounds as the
/// largest shard needs (a short shard wraps). A round's gradient is the mean over its
/// mini-batch of each row's weighted gradient (its logit's gradient clipped to `clip`, plus
/// `l2 * w_j` for each weight it touches). Under BSP the result is deterministic.
pub fn train_logistic(
    x: Batch<'_>,
    y: &[bool],
    w: Option<&[f64]>,
    cfg: &SgdConfig,
    progress: Option<Progress<'_>>,
) -> Result<SgdOutcome> {
    let n = check_inputs(x, y, w, cfg)?;
    let d = x.n_cols();
    let workers = cfg.workers.min(n);
    let server = LocalServer::new(d + 1, workers, workers, cfg.consistency)?;
    let job = Job::new(x, y, w, cfg, progress, workers);
    let start = Instant::now();
    let results: Vec<Result<()>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|k| {
                let (server, job) = (&server, &job);
                scope.spawn(move || job.run_worker(server, k))
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
    job.outcome(&server, seconds)
}

/// Worker `worker` of [`train_logistic`]'s job on `server`, a parameter server of `x`'s
/// columns plus a bias shared with `server.n_workers()` workers, each (on its own process)
/// calling this with its own index and the same rows, labels, weights and configuration
/// (`cfg.workers` is not read: the server's workers are the workers). Returns the model the
/// server holds once this worker's rounds are done; the caller makes sure every worker's
/// are applied first (see [`ParamServer::clock`]).
pub fn train_logistic_worker(
    x: Batch<'_>,
    y: &[bool],
    w: Option<&[f64]>,
    cfg: &SgdConfig,
    progress: Option<Progress<'_>>,
    server: &dyn ParamServer,
    worker: usize,
) -> Result<SgdOutcome> {
    let n = check_inputs(x, y, w, cfg)?;
    let workers = server.n_workers();
    if server.n_keys() != x.n_cols() + 1 || workers > n || worker >= workers {
        return Err(Error::Training(format!(
            "worker {worker} of {workers} on a server of {} keys: {n} rows of {} features need \
             one key per feature and the bias, and at least a row per worker",
            server.n_keys(),
            x.n_cols()
        )));
    }
    let job = Job::new(x, y, w, cfg, progress, workers);
    let start = Instant::now();
    job.run_worker(server, worker)?;
    job.outcome(server, start.elapsed().as_secs_f64())
}

/// The rounds every worker of a job of `n` rows runs: as many as the largest of `workers`
/// shards needs (a short shard wraps).
pub fn sgd_rounds(n: usize, workers: usize, cfg: &SgdConfig) -> u64 {
    let per = n.div_ceil(workers.max(1));
    (per.div_ceil(cfg.batch_size.max(1)) * cfg.epochs) as u64
}

/// Checks an SGD job's inputs and configuration; returns the number of rows.
fn check_inputs(x: Batch<'_>, y: &[bool], w: Option<&[f64]>, cfg: &SgdConfig) -> Result<usize> {
    let n = x.n_rows();
    for (what, len) in [
        ("labels", Some(y.len())),
        ("sample weights", w.map(<[f64]>::len)),
    ] {
        if let Some(len) = len
            && len != n
        {
            return Err(Error::LengthMismatch {
                what: what.into(),
                expected: n,
                got: len,
            });
        }
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
    let positive = |v: f64| v.is_finite() && v > 0.0;
    if !positive(cfg.rate) {
        return Err(Error::param("rate", "must be positive and finite"));
    }
    if let Intercept::Plain(r) = cfg.intercept
        && !(r.is_finite() && r >= 0.0)
    {
        return Err(Error::param(
            "intercept rate",
            "must be finite and not negative",
        ));
    }
    let clip_ok = cfg.clip.partial_cmp(&0.0) == Some(std::cmp::Ordering::Greater);
    if !(cfg.l2.is_finite() && cfg.l2 >= 0.0 && clip_ok) {
        return Err(Error::param(
            "l2, clip",
            "l2 must be finite and not negative, clip positive",
        ));
    }
    Ok(n)
}

/// What every worker shares.
struct Job<'x, 'a> {
    x: Batch<'x>,
    y: &'a [bool],
    w: Option<&'a [f64]>,
    bias: usize,
    rule: Rule,
    rounds: u64,
    workers: usize,
    cfg: &'a SgdConfig,
    progress: Option<Progress<'a>>,
}

impl<'x, 'a> Job<'x, 'a> {
    fn new(
        x: Batch<'x>,
        y: &'a [bool],
        w: Option<&'a [f64]>,
        cfg: &'a SgdConfig,
        progress: Option<Progress<'a>>,
        workers: usize,
    ) -> Self {
        Job {
            x,
            y,
            w,
            bias: x.n_cols(),
            rule: match cfg.step {
                Step::AdaGrad { eps } => Rule::AdaGrad {
                    rate: cfg.rate,
                    eps,
                },
                Step::Plain => Rule::Sum,
            },
            rounds: sgd_rounds(x.n_rows(), workers, cfg),
            workers,
            cfg,
            progress,
        }
    }

    /// The model `server` holds.
    fn outcome(&self, server: &dyn ParamServer, seconds: f64) -> Result<SgdOutcome> {
        let d = self.bias;
        let mut all = vec![0.0; d + 1];
        server.pull(0, Keys::Range(0..d + 1), &mut all)?;
        let intercept = all.pop().unwrap_or(0.0);
        Ok(SgdOutcome {
            coef: all,
            intercept,
            rounds: self.rounds,
            seconds,
        })
    }

    /// Worker `k`'s rounds ([`worker_rounds`](Self::worker_rounds)); an error aborts the job
    /// on `server` too, so that no other worker waits for this one.
    fn run_worker(&self, server: &dyn ParamServer, k: usize) -> Result<()> {
        let out = self.worker_rounds(server, k);
        if let Err(e) = &out {
            server.abort(&format!("worker {k}: {e}"));
        }
        out
    }

    /// Worker `k`'s rounds over its contiguous shard of the rows (cycling through them).
    fn worker_rounds(&self, server: &dyn ParamServer, k: usize) -> Result<()> {
        let n = self.x.n_rows();
        let rows = (k * n / self.workers)..((k + 1) * n / self.workers);
        let cfg = self.cfg;
        let bias = self.bias;
        let with_bias = cfg.intercept != Intercept::None;
        let len = rows.len().max(1);
        let mut next = 0usize;
        let mut keys: Vec<usize> = Vec::new();
        let mut weights: Vec<f64> = Vec::new();
        let mut grads: Vec<f64> = Vec::new();
        let mut batch: Vec<usize> = Vec::with_capacity(cfg.batch_size);
        for r in 0..self.rounds {
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
                self.x.row(i)?.for_each_entry(|j, _| keys.push(j));
            }
            if with_bias {
                keys.push(bias);
            }
            keys.sort_unstable();
            keys.dedup();
            weights.resize(keys.len(), 0.0);
            server.pull(k, Keys::Sparse(&keys), &mut weights)?;
            grads.clear();
            grads.resize(keys.len(), 0.0);
            let at = |j: usize| keys.binary_search(&j).unwrap_or(0);
            let b = if with_bias { weights[at(bias)] } else { 0.0 };
            let scale = 1.0 / batch.len() as f64;
            let (mut loss, mut total) = (0.0, 0.0);
            for &i in &batch {
                let row = self.x.row(i)?;
                let mut z = b;
                row.for_each_entry(|j, v| z += weights[at(j)] * v);
                let wi = self.w.map_or(1.0, |w| w[i]);
                let target = if self.y[i] { 1.0 } else { 0.0 };
                let g = (logistic(z) - target).clamp(-cfg.clip, cfg.clip) * wi * scale;
                // -ln p(y): softplus(-z) for a positive row, softplus(z) for a negative one.
                loss += wi * softplus(if self.y[i] { -z } else { z });
                total += wi;
                row.for_each_entry(|j, v| {
                    let a = at(j);
                    grads[a] += g * v + cfg.l2 * weights[a] * scale;
                });
                if with_bias {
                    grads[at(bias)] += g;
                }
            }
            if let Intercept::Plain(rate) = cfg.intercept {
                // The intercept's own plain step, pushed apart from the weights'.
                let i = at(bias);
                let step = -rate * grads[i];
                grads.remove(i);
                keys.remove(i);
                server.push(k, Keys::Sparse(&[bias]), &[step], Rule::Sum)?;
            }
            if self.rule == Rule::Sum {
                for g in grads.iter_mut() {
                    *g *= -cfg.rate;
                }
            }
            server.push(k, Keys::Sparse(&keys), &grads, self.rule)?;
            server.clock(k)?;
            if k == 0
                && let Some(report) = self.progress
            {
                report(r + 1, if total > 0.0 { loss / total } else { 0.0 });
            }
        }
        Ok(())
    }
}
