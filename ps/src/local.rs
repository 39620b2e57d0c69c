//! The in-process parameter server: shards behind their own locks, clocks behind one.

use std::sync::{Condvar, Mutex, MutexGuard};

use tidewater_core::{Error, Result};

use crate::{Consistency, Keys, ParamServer, Rule};

/// A push held until the round's barrier (BSP): the shard's part of it.
#[derive(Debug)]
struct Held {
    /// The keys local to the shard.
    keys: HeldKeys,
    values: Vec<f64>,
    rule: Rule,
}

/// The shard-local keys of a held push.
#[derive(Debug)]
enum HeldKeys {
    Range(std::ops::Range<usize>),
    List(Vec<usize>),
}

#[derive(Debug, Default)]
struct ShardData {
    values: Vec<f64>,
    /// AdaGrad's sums of squared gradients (made at the first AdaGrad push).
    squares: Vec<f64>,
    /// Per worker, the pushes of the round not yet applied (BSP only).
    held: Vec<Vec<Held>>,
}

impl ShardData {
    fn apply(&mut self, k: usize, v: f64, rule: Rule) {
        apply_rule(&mut self.values, &mut self.squares, k, v, rule);
    }
}

/// Applies the pushed value `v` to key `k` of `values` by `rule` (`squares`: AdaGrad's sums
/// of squared gradients, made at its first push): every backend's arithmetic.
pub(crate) fn apply_rule(values: &mut [f64], squares: &mut Vec<f64>, k: usize, v: f64, rule: Rule) {
    match rule {
        Rule::Sum => values[k] += v,
        Rule::Assign => values[k] = v,
        Rule::AdaGrad { rate, eps } => {
            if squares.is_empty() {
                *squares = vec![0.0; values.len()];
            }
            squares[k] += v * v;
            values[k] -= rate * v / (squares[k].sqrt() + eps);
        }
    }
}

#[derive(Debug)]
struct Clocks {
    clock: Vec<u64>,
    aborted: Option<String>,
}

/// The in-process backend of [`ParamServer`]: `n_keys` parameters (starting at 0) cut into
/// shards of consecutive keys, each behind its own lock, for `n_workers` threads.
///
/// Under [`Consistency::Bsp`] the last worker to clock applies the round's held pushes,
/// shard by shard in key order and, within a shard, worker by worker in index order.
#[derive(Debug)]
pub struct LocalServer {
    n_keys: usize,
    n_workers: usize,
    consistency: Consistency,
    shard_size: usize,
    shards: Vec<Mutex<ShardData>>,
    clocks: Mutex<Clocks>,
    tick: Condvar,
}

impl LocalServer {
    /// A server of `n_keys` zeros for `n_workers` workers (at least 1) in `n_shards` shards
    /// (at least 1, at most one per key).
    pub fn new(
        n_keys: usize,
        n_workers: usize,
        n_shards: usize,
        consistency: Consistency,
    ) -> Result<Self> {
        if n_workers == 0 {
            return Err(Error::param("workers", "at least one worker is needed"));
        }
        let n_shards = n_shards.clamp(1, n_keys.max(1));
        let shard_size = n_keys.div_ceil(n_shards).max(1);
        let shards = (0..n_keys.div_ceil(shard_size).max(1))
            .map(|s| {
                let len = ((s + 1) * shard_size).min(n_keys) - (s * shard_size).min(n_keys);
                Mutex::new(ShardData {
                    values: vec![0.0; len],
                    squares: Vec::new(),
                    held: (0..n_workers).map(|_| Vec::new()).collect(),
                })
            })
            .collect();
        Ok(LocalServer {
            n_keys,
            n_workers,
            consistency,
            shard_size,
            shards,
            clocks: Mutex::new(Clocks {
                clock: vec![0; n_workers],
                aborted: None,
            }),
            tick: Condvar::new(),
        })
    }

    /// The number of shards.
    pub fn n_shards(&self) -> usize {
        self.shards.len()
    }

    fn check_worker(&self, worker: usize) -> Result<()> {
        if worker >= self.n_workers {
            return Err(Error::param(
                "worker",
                format!("worker {worker} of {} does not exist", self.n_workers),
            ));
        }
        Ok(())
    }

    fn lock_shard(&self, s: usize) -> MutexGuard<'_, ShardData> {
        // A poisoned shard only means a worker panicked while holding it; the job is then
        // aborted by the executor, and the data is still plain numbers.
        self.shards[s]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lock_clocks(&self) -> MutexGuard<'_, Clocks> {
        self.clocks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn aborted(&self) -> Result<()> {
        match &self.lock_clocks().aborted {
            Some(reason) => Err(Error::Training(reason.clone())),
            None => Ok(()),
        }
    }

    /// Calls `f(shard, local keys, positions in the request)` for each shard a dense range
    /// touches, in key order.
    fn each_range_shard(
        &self,
        r: std::ops::Range<usize>,
        mut f: impl FnMut(usize, std::ops::Range<usize>, std::ops::Range<usize>),
    ) {
        let mut k = r.start;
        while k < r.end {
            let s = k / self.shard_size;
            let end = ((s + 1) * self.shard_size).min(r.end);
            let base = s * self.shard_size;
            f(s, k - base..end - base, k - r.start..end - r.start);
            k = end;
        }
    }

    /// Applies the held pushes of the round, shard by shard, worker by worker.
    fn apply_held(&self) {
        for s in 0..self.shards.len() {
            let mut shard = self.lock_shard(s);
            let mut held = std::mem::take(&mut shard.held);
            for pushes in &mut held {
                for h in pushes.drain(..) {
                    match h.keys {
                        HeldKeys::Range(r) => {
                            for (k, &v) in r.zip(&h.values) {
                                shard.apply(k, v, h.rule);
                            }
                        }
                        HeldKeys::List(keys) => {
                            for (&k, &v) in keys.iter().zip(&h.values) {
                                shard.apply(k, v, h.rule);
                            }
                        }
                    }
                }
            }
            shard.held = held;
        }
    }
}

impl ParamServer for LocalServer {
    fn n_keys(&self) -> usize {
        self.n_keys
    }

    fn n_workers(&self) -> usize {
        self.n_workers
    }

    fn consistency(&self) -> Consistency {
        self.consistency
    }

    fn pull(&self, worker: usize, keys: Keys<'_>, out: &mut [f64]) -> Result<()> {
        self.check_worker(worker)?;
        keys.check(out.len(), self.n_keys, "pull")?;
        self.aborted()?;
        match keys {
            Keys::Range(r) => self.each_range_shard(r, |s, local, pos| {
                out[pos].copy_from_slice(&self.lock_shard(s).values[local]);
            }),
            Keys::Sparse(keys) => {
                for (o, &k) in out.iter_mut().zip(keys) {
                    let s = k / self.shard_size;
                    *o = self.lock_shard(s).values[k - s * self.shard_size];
                }
            }
        }
        Ok(())
    }

    fn push(&self, worker: usize, keys: Keys<'_>, values: &[f64], rule: Rule) -> Result<()> {
        self.check_worker(worker)?;
        keys.check(values.len(), self.n_keys, "push")?;
        self.aborted()?;
        let hold = self.consistency == Consistency::Bsp;
        match keys {
            Keys::Range(r) => self.each_range_shard(r, |s, local, pos| {
                let mut shard = self.lock_shard(s);
                if hold {
                    shard.held[worker].push(Held {
                        keys: HeldKeys::Range(local),
                        values: values[pos].to_vec(),
                        rule,
                    });
                } else {
                    for (k, &v) in local.zip(&values[pos]) {
                        shard.apply(k, v, rule);
                    }
                }
            }),
            Keys::Sparse(keys) => {
                // One group per shard, the keys' order kept within it.
                let mut groups: Vec<(usize, Vec<usize>, Vec<f64>)> = Vec::new();
                for (&k, &v) in keys.iter().zip(values) {
                    let s = k / self.shard_size;
                    let local = k - s * self.shard_size;
                    match groups.iter_mut().find(|g| g.0 == s) {
                        Some(g) => {
                            g.1.push(local);
                            g.2.push(v);
                        }
                        None => groups.push((s, vec![local], vec![v])),
                    }
                }
                groups.sort_by_key(|g| g.0);
                for (s, local, vals) in groups {
                    let mut shard = self.lock_shard(s);
                    if hold {
                        shard.held[worker].push(Held {
                            keys: HeldKeys::List(local),
                            values: vals,
                            rule,
                        });
                    } else {
                        for (k, v) in local.into_iter().zip(vals) {
                            shard.apply(k, v, rule);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn clock(&self, worker: usize) -> Result<u64> {
        self.check_worker(worker)?;
        let mut c = self.lock_clocks();
        if let Some(reason) = &c.aborted {
            return Err(Error::Training(reason.clone()));
        }
        c.clock[worker] += 1;
        let mine = c.clock[worker];
        let slowest = |c: &Clocks| c.clock.iter().copied().min().unwrap_or(0);
        let ahead = match self.consistency {
            Consistency::Bsp => 0,
            Consistency::Ssp(s) => s,
            Consistency::Asp => {
                self.tick.notify_all();
                return Ok(mine);
            }
        };
        if self.consistency == Consistency::Bsp && slowest(&c) == mine {
            // The last to arrive: the round's pushes land, in worker order.
            self.apply_held();
        }
        self.tick.notify_all();
        // Wait until the slowest worker has finished round `mine - ahead` (under BSP: this
        // round; under SSP(s): at most `s` rounds behind this one).
        while c.aborted.is_none() && slowest(&c) + ahead < mine {
            c = self
                .tick
                .wait(c)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        match &c.aborted {
            Some(reason) => Err(Error::Training(reason.clone())),
            None => Ok(mine),
        }
    }

    fn abort(&self, reason: &str) {
        let mut c = self.lock_clocks();
        if c.aborted.is_none() {
            c.aborted = Some(reason.to_string());
        }
        self.tick.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;

    #[test]
    fn bsp_applies_a_round_in_worker_order_whatever_the_timing() {
        // Additions whose result depends on their order: 1e16 + 1 - 1e16 is 0 in this order
        // and 1 in others.
        let values = [1e16, 1.0, -1e16, 1.0];
        for trial in 0..20u64 {
            let server = LocalServer::new(3, 4, 2, Consistency::Bsp).unwrap();
            std::thread::scope(|s| {
                for (w, &v) in values.iter().enumerate() {
                    let server = &server;
                    s.spawn(move || {
                        // Arrive in a different order each trial.
                        let nap = (w as u64 * 7 + trial * 3) % 4;
                        std::thread::sleep(std::time::Duration::from_micros(nap * 50));
                        server
                            .push(w, Keys::Sparse(&[2, 0]), &[v, v], Rule::Sum)
                            .unwrap();
                        server.clock(w).unwrap();
                    });
                }
            });
            let mut out = [0.0; 3];
            server.pull(0, Keys::Range(0..3), &mut out).unwrap();
            let serial = values.iter().fold(0.0, |a, v| a + v);
            assert_eq!(out, [serial, 0.0, serial], "trial {trial}");
        }
    }

    #[test]
    fn bsp_holds_pushes_until_every_worker_has_clocked() {
        let server = LocalServer::new(2, 2, 1, Consistency::Bsp).unwrap();
        server
            .push(0, Keys::Range(0..2), &[1.0, 2.0], Rule::Assign)
            .unwrap();
        let mut out = [9.0; 2];
        server.pull(1, Keys::Range(0..2), &mut out).unwrap();
        assert_eq!(out, [0.0, 0.0], "not applied before the barrier");
        std::thread::scope(|s| {
            s.spawn(|| server.clock(1).unwrap());
            server.clock(0).unwrap();
        });
        server.pull(1, Keys::Range(0..2), &mut out).unwrap();
        assert_eq!(out, [1.0, 2.0]);
    }

    #[test]
    fn ssp_keeps_every_worker_within_s_rounds_of_the_slowest() {
        for s in [0u64, 1, 3] {
            let workers = 3;
            let server = LocalServer::new(4, workers, 2, Consistency::Ssp(s)).unwrap();
            let finished: Vec<AtomicU64> = (0..workers).map(|_| AtomicU64::new(0)).collect();
            let max_lead = AtomicU64::new(0);
            std::thread::scope(|sc| {
                for w in 0..workers {
                    let (server, finished, max_lead) = (&server, &finished, &max_lead);
                    sc.spawn(move || {
                        for r in 1..=30u64 {
                            if w == 0 {
                                // The slow worker.
                                std::thread::sleep(std::time::Duration::from_micros(200));
                            }
                            server
                                .push(w, Keys::Sparse(&[w]), &[1.0], Rule::Sum)
                                .unwrap();
                            finished[w].store(r, Ordering::SeqCst);
                            let c = server.clock(w).unwrap();
                            assert_eq!(c, r);
                            let slowest = finished
                                .iter()
                                .map(|f| f.load(Ordering::SeqCst))
                                .min()
                                .unwrap();
                            assert!(c <= slowest + s, "worker {w} at {c}, slowest {slowest}");
                            max_lead.fetch_max(c - slowest.min(c), Ordering::SeqCst);
                        }
                    });
                }
            });
            assert!(max_lead.load(Ordering::SeqCst) <= s);
            let mut out = [0.0; 4];
            server.pull(0, Keys::Range(0..4), &mut out).unwrap();
            assert_eq!(out, [30.0, 30.0, 30.0, 0.0], "SSP applies every push");
        }
    }

    #[test]
    fn asp_never_waits_and_adagrad_applies_per_key() {
        let server = LocalServer::new(2, 2, 2, Consistency::Asp).unwrap();
        // Worker 1 never clocks: worker 0 still runs.
        for r in 1..=5 {
            assert_eq!(server.clock(0).unwrap(), r);
        }
        let rule = Rule::AdaGrad {
            rate: 0.5,
            eps: 0.0,
        };
        server.push(0, Keys::Sparse(&[1]), &[2.0], rule).unwrap();
        server.push(1, Keys::Sparse(&[1]), &[2.0], rule).unwrap();
        let mut out = [0.0; 2];
        server.pull(0, Keys::Range(0..2), &mut out).unwrap();
        // -0.5 * 2 / 2, then -0.5 * 2 / sqrt(8).
        assert_eq!(out, [0.0, -0.5 - 1.0 / 8f64.sqrt()]);
    }

    #[test]
    fn bad_keys_workers_and_lengths_are_named_and_change_nothing() {
        let server = LocalServer::new(3, 2, 2, Consistency::Asp).unwrap();
        let e = server
            .push(0, Keys::Sparse(&[1, 3]), &[1.0, 1.0], Rule::Sum)
            .unwrap_err();
        assert!(e.to_string().contains("key 3"), "{e}");
        let e = server
            .push(2, Keys::Range(0..1), &[1.0], Rule::Sum)
            .unwrap_err();
        assert!(e.to_string().contains("worker 2"), "{e}");
        let e = server
            .pull(0, Keys::Range(0..2), &mut [0.0; 3])
            .unwrap_err();
        assert!(e.to_string().contains("pull values"), "{e}");
        let mut out = [7.0; 3];
        server.pull(1, Keys::Range(0..3), &mut out).unwrap();
        assert_eq!(out, [0.0; 3]);
        assert!(LocalServer::new(3, 0, 1, Consistency::Bsp).is_err());
    }

    #[test]
    fn an_abort_releases_a_waiting_worker_with_the_reason() {
        let server = LocalServer::new(1, 2, 1, Consistency::Bsp).unwrap();
        std::thread::scope(|s| {
            let waiting = s.spawn(|| server.clock(0));
            std::thread::sleep(std::time::Duration::from_millis(20));
            server.abort("worker 1 lost");
            let e = waiting.join().unwrap().unwrap_err();
            assert!(e.to_string().contains("worker 1 lost"), "{e}");
        });
        assert!(server.pull(0, Keys::Range(0..1), &mut [0.0]).is_err());
    }
}
