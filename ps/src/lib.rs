//! # tidewater-ps
//!
//! A parameter server for iterative training (after Li et al., OSDI 2014, and Ho et al.'s
//! bounded staleness, NIPS 2013). Workers [`pull`](ParamServer::pull) parameters (a dense
//! range or a set of keys), compute on their shard of the rows,
//! [`push`](ParamServer::push) updates (added, assigned, or applied by a server-side
//! [`Rule`] such as AdaGrad), and advance their [`clock`](ParamServer::clock) at the end of
//! each round. The [`Consistency`] model decides how far a worker may run ahead:
//!
//! - **BSP** (bulk synchronous): every round ends at a barrier. Pushes of a round are held
//!   until every worker has clocked and are then applied shard by shard, **in worker order**
//!   (each worker's pushes in the order it made them), so a BSP job is deterministic: the
//!   same pushes give the same bits whatever the threads' timing.
//! - **SSP** with staleness `s`: pushes apply at once; a worker may start round `r` only when
//!   the slowest worker has finished round `r - s - 1`, so what it pulls misses at most the
//!   last `s` rounds of the others.
//! - **ASP** (asynchronous): pushes apply at once and nobody waits.
//!
//! [`LocalServer`] is the in-process backend: the parameters are cut into shards by key
//! range, each behind its own lock, so workers pushing to different shards never wait on
//! each other, and only `clock` takes the (small) lock of the clocks. [`Workers`] runs the
//! batch fits' rounds (core's [`Executor`](tidewater_core::rounds::Executor)) on a
//! [`LocalServer`]'s workers: the same model as `fit`, bit for bit.
//!
//! With the `distributed` feature, `Processes` runs the same rounds on timely-dataflow
//! processes (every timely call in one module). The training loops speak only
//! [`ParamServer`] or core's `Executor`, the seams another engine could fill. [`sgd`] trains
//! sparse logistic regression by mini-batch SGD on a [`LocalServer`].

mod local;
pub mod sgd;
#[cfg(feature = "distributed")]
mod timely_backend;
mod workers;

pub use local::LocalServer;
#[cfg(feature = "distributed")]
pub use timely_backend::Processes;
pub use workers::Workers;

use std::ops::Range;

use tidewater_core::{Error, Result};

/// How far workers may run apart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Consistency {
    /// A barrier at the end of every round; pushes applied at the barrier in worker order.
    #[default]
    Bsp,
    /// Bounded staleness: a worker may be at most this many rounds ahead of the slowest.
    Ssp(u64),
    /// No waiting at all.
    Asp,
}

/// The keys of a pull or a push.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Keys<'a> {
    /// A dense range of keys, in order.
    Range(Range<usize>),
    /// These keys, in this order (repeats allowed: each occurrence is its own value).
    Sparse(&'a [usize]),
}

impl Keys<'_> {
    /// The number of values the keys name.
    pub fn len(&self) -> usize {
        match self {
            Keys::Range(r) => r.len(),
            Keys::Sparse(k) => k.len(),
        }
    }

    /// Whether the keys name no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A server's check of a `what` (pull or push) of `len` values on these keys: one value
    /// per key, every key below `n_keys`.
    pub(crate) fn check(&self, len: usize, n_keys: usize, what: &str) -> Result<()> {
        if self.len() != len {
            return Err(Error::LengthMismatch {
                what: format!("{what} values"),
                expected: self.len(),
                got: len,
            });
        }
        let bad = match self {
            Keys::Range(r) => (r.end > n_keys).then_some(r.end - 1),
            Keys::Sparse(k) => k.iter().copied().find(|&k| k >= n_keys),
        };
        if let Some(k) = bad {
            return Err(Error::param(
                "keys",
                format!("key {k} is beyond the server's {n_keys} keys"),
            ));
        }
        Ok(())
    }
}

/// What a push does to each value it names.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rule {
    /// Adds the pushed value.
    Sum,
    /// Replaces the value.
    Assign,
    /// Treats the pushed value `g` as a gradient: the key's sum of squared gradients `G`
    /// grows by `g^2`, then the value moves by `-rate * g / (sqrt(G) + eps)` (AdaGrad).
    AdaGrad {
        /// The step size.
        rate: f64,
        /// Added to the root of the sum of squares.
        eps: f64,
    },
}

/// A parameter server: keyed `f64` parameters shared by `n_workers` workers.
///
/// Worker indices run from 0 to `n_workers - 1`; each worker calls from one thread at a time.
/// An error names the worker and the key; after [`abort`](ParamServer::abort), every call
/// returns the abort's reason, so no worker waits forever on one that is gone.
pub trait ParamServer: Sync {
    /// The number of keys (parameters).
    fn n_keys(&self) -> usize;
    /// The number of workers.
    fn n_workers(&self) -> usize;
    /// The consistency model.
    fn consistency(&self) -> Consistency;
    /// Copies the values of `keys` into `out` (as long as the keys).
    fn pull(&self, worker: usize, keys: Keys<'_>, out: &mut [f64]) -> Result<()>;
    /// Pushes `values` (as long as the keys) to `keys` under `rule`.
    fn push(&self, worker: usize, keys: Keys<'_>, values: &[f64], rule: Rule) -> Result<()>;
    /// Ends the worker's round and returns its new clock (the rounds it has finished),
    /// after waiting as far as the consistency model asks.
    fn clock(&self, worker: usize) -> Result<u64>;
    /// Stops the job: every waiting and later call returns an error with `reason`.
    fn abort(&self, reason: &str);
}
