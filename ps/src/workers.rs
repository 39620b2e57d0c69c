//! The batch fits' rounds on a parameter server's workers (threads of this process).

use std::panic::{AssertUnwindSafe, catch_unwind};

use std::sync::Arc;

use std::sync::atomic::{AtomicUsize, Ordering};

use tidewater_core::rounds::{
    BlockSum, Checkpoints, Executor, Round, RunInfo, add_part, check_round, check_whole,
};
use tidewater_core::{Error, Result};

use crate::{Consistency, Keys, LocalServer, ParamServer, Rule};

/// The control value that sends the workers to another round.
const GO: f64 = 1.0;
/// The control value that ends the job.
const STOP: f64 = 0.0;

/// Runs the rounds of a [`BlockSum`] job on `n` worker threads over a [`LocalServer`] under
/// BSP (an [`Executor`]: pass it to a model's `fit_on`).
///
/// The server holds the round's point, a control key, and one row of keys per block for that
/// block's part and value. Each round, the driver (worker 0, the calling thread) assigns the
/// point; at the barrier every worker pulls it and claims blocks one at a time from a shared
/// counter (so a core that runs slower, or is shared, takes fewer: a fixed split waited for
/// the slower half every round), writing each block's part under the block's own keys, and
/// clocks. The driver then pulls the parts and adds them in block order: the same bits as
/// core's `Rayon` executor, whatever `n` and whichever worker computed which block.
#[derive(Clone)]
pub struct Workers {
    n: usize,
    checkpoints: Option<Arc<dyn Checkpoints + Send + Sync>>,
}

impl std::fmt::Debug for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workers")
            .field("n", &self.n)
            .field("checkpoints", &self.checkpoints.is_some())
            .finish()
    }
}

impl Workers {
    /// `n` workers (at least 1).
    pub fn new(n: usize) -> Result<Self> {
        if n == 0 {
            return Err(Error::param("workers", "at least one worker is needed"));
        }
        Ok(Workers {
            n,
            checkpoints: None,
        })
    }

    /// The driver checkpoints its state in `checkpoints` (and resumes from the latest one
    /// there, when it offers one).
    pub fn with_checkpoints(mut self, checkpoints: Arc<dyn Checkpoints + Send + Sync>) -> Self {
        self.checkpoints = Some(checkpoints);
        self
    }

    /// The number of workers.
    pub fn n(&self) -> usize {
        self.n
    }
}

/// The key layout of a job: the point, the control key, then per block its part and value.
struct Layout {
    p: usize,
    m: usize,
    blocks: usize,
}

impl Layout {
    fn point(&self) -> Keys<'static> {
        Keys::Range(0..self.p)
    }
    fn control(&self) -> Keys<'static> {
        Keys::Range(self.p..self.p + 1)
    }
    /// Block `b`'s part and value (`m + 1` keys).
    fn block(&self, b: usize) -> Keys<'static> {
        let start = self.p + 1 + b * (self.m + 1);
        Keys::Range(start..start + self.m + 1)
    }
    /// Every block's part and value, in block order.
    fn table(&self) -> Keys<'static> {
        Keys::Range(self.p + 1..self.n_keys())
    }
    fn n_keys(&self) -> usize {
        self.p + 1 + self.blocks * (self.m + 1)
    }
}

/// One worker's share of a round, after the first barrier: pulls the point, claims blocks
/// from `next` until none is left, pushes each one's part and value under its keys, clocks.
/// `point` and `part` (`m + 1` long) are the worker's buffers.
fn compute(
    server: &LocalServer,
    job: &dyn BlockSum,
    lay: &Layout,
    w: usize,
    next: &AtomicUsize,
    point: &mut [f64],
    part: &mut [f64],
) -> Result<()> {
    server.pull(w, lay.point(), point)?;
    loop {
        let b = next.fetch_add(1, Ordering::Relaxed);
        if b >= lay.blocks {
            break;
        }
        part.fill(0.0);
        let (sum, value) = part.split_at_mut(lay.m);
        value[0] = job.block(point, b, sum);
        server.push(w, lay.block(b), part, Rule::Assign)?;
    }
    server.clock(w)?;
    Ok(())
}

/// A worker other than the driver: rounds until the driver says stop.
fn follow(
    server: &LocalServer,
    job: &dyn BlockSum,
    lay: &Layout,
    w: usize,
    next: &AtomicUsize,
) -> Result<()> {
    let mut point = vec![0.0; lay.p];
    let mut part = vec![0.0; lay.m + 1];
    let mut control = [0.0];
    loop {
        server.clock(w)?;
        server.pull(w, lay.control(), &mut control)?;
        if control[0] == STOP {
            return Ok(());
        }
        compute(server, job, lay, w, next, &mut point, &mut part)?;
    }
}

/// Runs `f`, turning a panic into an error and aborting the server on any error, so that no
/// other worker waits for this one forever.
fn guarded(server: &LocalServer, who: &str, f: impl FnOnce() -> Result<()>) -> Result<()> {
    let out = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => Err(Error::Training(format!(
            "{who} stopped on an internal error"
        ))),
    };
    if let Err(e) = &out {
        server.abort(&format!("{who}: {e}"));
    }
    out
}

impl Executor for Workers {
    fn run(
        &self,
        job: &dyn BlockSum,
        driver: &mut dyn FnMut(&mut Round<'_>) -> Result<()>,
    ) -> Result<RunInfo> {
        check_whole(job)?;
        if let Some(c) = &self.checkpoints {
            c.choose(c.available().last().copied());
        }
        let lay = Layout {
            p: job.n_params(),
            m: job.out_len(),
            blocks: job.n_blocks(),
        };
        let server = LocalServer::new(lay.n_keys(), self.n, self.n, Consistency::Bsp)?;
        // The next block to claim in the current round (reset by the driver before each).
        let next = AtomicUsize::new(0);
        let mut rounds = 0usize;
        let result = std::thread::scope(|scope| {
            let followers: Vec<_> = (1..self.n)
                .map(|w| {
                    let (server, lay, next) = (&server, &lay, &next);
                    scope.spawn(move || {
                        guarded(server, &format!("worker {w}"), || {
                            follow(server, job, lay, w, next)
                        })
                    })
                })
                .collect();
            let mut point = vec![0.0; lay.p];
            let mut part = vec![0.0; lay.m + 1];
            let mut table = vec![0.0; lay.blocks * (lay.m + 1)];
            let driven = guarded(&server, "worker 0", || {
                let mut round = |params: &[f64], out: &mut [f64]| -> Result<f64> {
                    check_round(job, params, out)?;
                    rounds += 1;
                    next.store(0, Ordering::Relaxed);
                    server.push(0, lay.point(), params, Rule::Assign)?;
                    server.push(0, lay.control(), &[GO], Rule::Assign)?;
                    server.clock(0)?;
                    compute(&server, job, &lay, 0, &next, &mut point, &mut part)?;
                    server.pull(0, lay.table(), &mut table)?;
                    // The parts in block order, as every executor adds them.
                    out.fill(0.0);
                    let mut total = 0.0;
                    for row in table.chunks_exact(lay.m + 1) {
                        total += row[lay.m];
                        add_part(out, &row[..lay.m]);
                    }
                    Ok(total)
                };
                driver(&mut round)?;
                server.push(0, lay.control(), &[STOP], Rule::Assign)?;
                server.clock(0)?;
                Ok(())
            });
            let mut first_err = driven.err();
            for f in followers {
                let r = f
                    .join()
                    .unwrap_or_else(|_| Err(Error::Training("a worker thread was lost".into())));
                if let (None, Err(e)) = (&first_err, r) {
                    first_err = Some(e);
                }
            }
            first_err.map_or(Ok(()), Err)
        });
        result?;
        Ok(RunInfo {
            rounds,
            workers: self.n,
        })
    }

    fn checkpoints(&self) -> Option<&dyn Checkpoints> {
        self.checkpoints.as_deref().map(|c| c as &dyn Checkpoints)
    }
}

#[cfg(test)]
mod tests {
    use tidewater_core::rounds::{Rayon, add_part, block_rows};

    use super::*;

    /// Terms whose sum depends on the order of the additions.
    struct Wild {
        n: usize,
        blocks: usize,
    }

    impl BlockSum for Wild {
        fn n_params(&self) -> usize {
            2
        }
        fn out_len(&self) -> usize {
            3
        }
        fn n_blocks(&self) -> usize {
            self.blocks
        }
        fn block(&self, params: &[f64], b: usize, part: &mut [f64]) -> f64 {
            let mut v = 0.0;
            for i in block_rows(self.n, self.blocks, b) {
                let x = ((i * 2654435761) % 1000) as f64 - 500.0;
                let big = if i % 3 == 0 { 1e15 } else { -1e15 };
                part[0] += params[0] * x.powi(3) + big;
                part[1] += params[1] / (1.0 + x * x);
                part[2] += (x * params[0]).sin();
                v += x * 1e-3 + big;
            }
            v
        }
    }

    fn rounds(exec: &dyn Executor, job: &Wild) -> (Vec<(f64, Vec<f64>)>, RunInfo) {
        let mut seen = Vec::new();
        let info = exec
            .run(job, &mut |round| {
                let mut point = [0.3, -1.7];
                for _ in 0..4 {
                    let mut out = vec![0.0; 3];
                    let v = round(&point, &mut out)?;
                    point[0] += out[2] * 1e-3;
                    point[1] -= out[1] * 1e-2;
                    seen.push((v, out));
                }
                Ok(())
            })
            .unwrap();
        (seen, info)
    }

    #[test]
    fn workers_give_rayons_bits_for_any_number_of_workers() {
        for (n, blocks) in [(1000, 7), (10, 12), (5000, 1), (0, 1)] {
            let job = Wild { n, blocks };
            let (want, _) = rounds(&Rayon, &job);
            // The serial sum in block order, too.
            let mut out = vec![0.0; 3];
            let mut v = 0.0;
            for b in 0..blocks {
                let mut part = vec![0.0; 3];
                v += job.block(&[0.3, -1.7], b, &mut part);
                add_part(&mut out, &part);
            }
            assert_eq!(want[0], (v, out));
            for workers in 1..=5 {
                let (got, info) = rounds(&Workers::new(workers).unwrap(), &job);
                assert_eq!(got, want, "{workers} workers, {blocks} blocks");
                assert_eq!(info, RunInfo { rounds: 4, workers });
            }
        }
    }

    #[test]
    fn a_driver_error_stops_every_worker_and_is_returned() {
        let job = Wild { n: 100, blocks: 4 };
        let err = Workers::new(3)
            .unwrap()
            .run(&job, &mut |round| {
                round(&[0.0, 0.0], &mut [0.0; 3])?;
                Err(Error::Unsupported("the driver gave up".into()))
            })
            .unwrap_err();
        assert!(err.to_string().contains("the driver gave up"), "{err}");
        // A round with wrong lengths is refused before any worker computes.
        let err = Workers::new(2)
            .unwrap()
            .run(&job, &mut |round| round(&[0.0], &mut [0.0; 3]).map(drop))
            .unwrap_err();
        assert!(err.to_string().contains("round parameters"), "{err}");
        assert!(Workers::new(0).is_err());
    }
}
