//! Rounds of block sums: the unit of work the batch fits share with the parameter server.
//!
//! A batch fit that iterates (L-BFGS over a full gradient, Lloyd's centers) evaluates, at each
//! round, a sum over the rows of the data set. The rows are cut into fixed blocks (fixed by the
//! data's shape, never by the number of threads or workers), each block's part is computed on
//! its own, and the parts are added **in block order**. A [`BlockSum`] says what a block's part
//! is; an [`Executor`] decides where the blocks are computed: [`Rayon`] (this process's thread
//! pool, the default of every `fit`) or a parameter server's workers (the `tidewater-ps`
//! crate). Because the parts are added in the same order wherever they were computed, every
//! executor gives the same bits.

use std::ops::Range;

use rayon::prelude::*;

use crate::{Error, Result};

/// A sum over fixed blocks of rows, evaluated at a point: the job of one training round.
///
/// `block` must depend only on `params` and the block's rows, so that computing the blocks
/// anywhere, in any order, and adding their parts in block order gives the same result.
pub trait BlockSum: Sync {
    /// The number of parameters a round is evaluated at.
    fn n_params(&self) -> usize;
    /// The length of a block's part (a gradient, or sums and counts).
    fn out_len(&self) -> usize;
    /// The number of blocks (at least 1).
    fn n_blocks(&self) -> usize;
    /// Adds block `b`'s part at `params` into `part` (zeroed by the caller) and returns its
    /// value (a loss, an inertia; 0 when the job has none).
    fn block(&self, params: &[f64], b: usize, part: &mut [f64]) -> f64;

    /// The blocks whose rows this worker holds, when it holds only its own part of the data
    /// (processes started on their own files: see [`Executor::exchange`] and
    /// [`Layout::part`]); `None` (the default) when every block's rows are here.
    fn local_blocks(&self) -> Option<Range<usize>> {
        None
    }
}

/// One round: evaluates a job at `params`, writing the summed parts into the second argument
/// and returning the summed values.
pub type Round<'a> = dyn FnMut(&[f64], &mut [f64]) -> Result<f64> + 'a;

/// What happened in a job run by an [`Executor`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunInfo {
    /// The rounds evaluated.
    pub rounds: usize,
    /// The workers that computed blocks.
    pub workers: usize,
}

/// Where the blocks of a [`BlockSum`] are computed.
pub trait Executor: Sync {
    /// Runs `driver`, which evaluates `job` through the [`Round`] it is given as often as it
    /// needs. Every round adds the blocks' parts in block order, so that the result is the
    /// same bits whatever the executor. An error from a round (a lost worker) ends the run.
    ///
    /// With [`checkpoints`](Executor::checkpoints), the executor chooses before the driver
    /// runs the iteration to resume from ([`Checkpoints::choose`]): the latest one every
    /// worker or process holds.
    fn run(
        &self,
        job: &dyn BlockSum,
        driver: &mut dyn FnMut(&mut Round<'_>) -> Result<()>,
    ) -> Result<RunInfo>;

    /// Where the driver keeps its checkpoints, if it should (none by default).
    fn checkpoints(&self) -> Option<&dyn Checkpoints> {
        None
    }

    /// Told by the driver after each round: the round's number (from 1, counting from a
    /// resumed iteration's first round) and the objective it gave (the penalised loss of a
    /// linear model, the inertia for k-means). A place to report progress; nothing by
    /// default.
    fn round_done(&self, _round: usize, _objective: f64) {}

    /// For a job whose workers each hold only their own part of the rows (processes started
    /// on their own files): sends `mine`, what this worker's part is (its rows, its total
    /// weight, its classes), to every other worker, and returns every part's, in worker
    /// order, with this worker's index. `None` (the default) when every worker sees every
    /// row: the fit then reads the whole data set, as it does alone.
    ///
    /// A fit calls it once, before [`run`](Executor::run), and builds its job from what every
    /// part said: the blocks of each part ([`Layout::part`]), the total weight, the classes.
    /// An executor that wraps another must forward it.
    fn exchange(&self, _mine: &[u8]) -> Result<Option<Parts>> {
        Ok(None)
    }
}

/// What every worker of a job said about its part of the rows ([`Executor::exchange`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parts {
    /// This worker's index in `said`.
    pub index: usize,
    /// What each worker said, in worker order.
    pub said: Vec<Vec<u8>>,
}

impl Parts {
    /// Decodes what each part said (postcard bytes of a `T`, see [`Parts::encode`]); a
    /// malformed one is an error naming its worker.
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<Vec<T>> {
        self.said
            .iter()
            .enumerate()
            .map(|(w, bytes)| {
                postcard::from_bytes(bytes).map_err(|e| {
                    Error::Training(format!(
                        "worker {w} sent a malformed description of its rows: {e}"
                    ))
                })
            })
            .collect()
    }

    /// The bytes a part says about itself: `what` in postcard.
    pub fn encode<T: serde::Serialize>(what: &T) -> Result<Vec<u8>> {
        postcard::to_allocvec(what)
            .map_err(|e| Error::Training(format!("describing this worker's rows: {e}")))
    }
}

/// Where the rows of each block of a job are: on this worker (all of them, or one part of
/// a data set whose parts are on different workers), as a range of the rows it holds.
///
/// [`Layout::whole`] is the layout of a fit alone: the blocks of [`block_rows`]. With parts,
/// each part's rows are cut into blocks of their own, and the blocks are numbered part after
/// part (part 0's first): the sums are added in that order on every worker, so every
/// worker takes the same steps. A fit on parts therefore equals the fit of the concatenated
/// rows only to rounding (its blocks start at other rows), not bit for bit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    n_blocks: usize,
    /// The first block of this worker's rows and the rows (of this worker) of each.
    first: usize,
    rows: Vec<Range<usize>>,
    whole: bool,
}

impl Layout {
    /// Every block here: `n_blocks` blocks over `n_rows` rows ([`block_rows`]).
    pub fn whole(n_rows: usize, n_blocks: usize) -> Self {
        let n_blocks = n_blocks.max(1);
        Layout {
            n_blocks,
            first: 0,
            rows: (0..n_blocks)
                .map(|b| block_rows(n_rows, n_blocks, b))
                .collect(),
            whole: true,
        }
    }

    /// Part `index` of parts holding `counts[p]` rows each: part `p`'s rows in
    /// `blocks_of(counts[p])` blocks of their own, numbered after the blocks of the parts
    /// before it. A single part is [`Layout::whole`].
    pub fn part(
        counts: &[usize],
        index: usize,
        blocks_of: impl Fn(usize) -> usize,
    ) -> Result<Self> {
        if index >= counts.len() {
            return Err(Error::Training(format!(
                "part {index} of {} parts does not exist",
                counts.len()
            )));
        }
        if counts.len() == 1 {
            return Ok(Self::whole(counts[0], blocks_of(counts[0])));
        }
        let per: Vec<usize> = counts.iter().map(|&n| blocks_of(n).max(1)).collect();
        let first = per[..index].iter().sum();
        let mine = Self::whole(counts[index], per[index]);
        Ok(Layout {
            n_blocks: per.iter().sum(),
            first,
            rows: mine.rows,
            whole: false,
        })
    }

    /// The number of blocks over every part.
    pub fn n_blocks(&self) -> usize {
        self.n_blocks
    }

    /// The rows (of this worker's data) of block `b`: empty when the block is not here.
    pub fn rows(&self, b: usize) -> Range<usize> {
        b.checked_sub(self.first)
            .and_then(|i| self.rows.get(i))
            .cloned()
            .unwrap_or(0..0)
    }

    /// The blocks whose rows are here, when they are not all ([`BlockSum::local_blocks`]).
    pub fn local_blocks(&self) -> Option<Range<usize>> {
        (!self.whole).then(|| self.first..self.first + self.rows.len())
    }
}

/// Refuses a job that holds only a part of the rows on an executor that computes every block
/// itself (threads of one process).
pub fn check_whole(job: &dyn BlockSum) -> Result<()> {
    match job.local_blocks() {
        Some(r) if r != (0..job.n_blocks()) => Err(Error::Training(format!(
            "this job holds the rows of blocks {}..{} of {} only: its other parts are on other processes",
            r.start,
            r.end,
            job.n_blocks()
        ))),
        _ => Ok(()),
    }
}

/// Where an iterative fit's driver saves its state every few iterations and finds it again
/// after a crash. The state is the driver's own bytes (an optimiser's point and memory);
/// resuming from it gives the run that was not interrupted, bit for bit.
pub trait Checkpoints: Sync {
    /// Iterations between checkpoints (at least 1).
    fn every(&self) -> usize;
    /// The iterations this worker could resume from, in increasing order (none when it is
    /// not resuming).
    fn available(&self) -> Vec<usize>;
    /// Sets the iteration to resume from (`None`: the start); the executor calls it before
    /// the driver runs.
    fn choose(&self, iteration: Option<usize>);
    /// The chosen iteration and its state, if any.
    fn resume(&self) -> Result<Option<(usize, Vec<u8>)>>;
    /// Saves the state after `iteration` iterations.
    fn save(&self, iteration: usize, state: &[u8]) -> Result<()>;
}

/// The checkpoint kind of [`CheckpointFiles`].
pub const FIT_STATE_KIND: &str = "tidewater-fit-state/1";

/// What a checkpoint file holds.
#[derive(serde::Serialize, serde::Deserialize)]
struct FitState {
    job: String,
    iteration: usize,
    state: Vec<u8>,
}

/// [`Checkpoints`] in files beside a model file: `<base>.<iteration>.ckpt` in the library's
/// checkpoint format (header, CRC, atomic rename), the last two kept. A file is used only if
/// it is intact and was written by the same job (`job`: what the run is, e.g. the spec and
/// the data's checksum).
#[derive(Debug)]
pub struct CheckpointFiles {
    base: std::path::PathBuf,
    every: usize,
    resuming: bool,
    job: String,
    chosen: std::sync::Mutex<Option<usize>>,
}

impl CheckpointFiles {
    /// Checkpoints every `every` iterations (at least 1) at `<base>.<iteration>.ckpt`;
    /// `resuming`: offer the existing ones to resume from.
    pub fn new(
        base: impl Into<std::path::PathBuf>,
        every: usize,
        resuming: bool,
        job: impl Into<String>,
    ) -> Result<Self> {
        if every == 0 {
            return Err(Error::param("checkpoint_every", "must be at least 1"));
        }
        Ok(CheckpointFiles {
            base: base.into(),
            every,
            resuming,
            job: job.into(),
            chosen: std::sync::Mutex::new(None),
        })
    }

    fn path(&self, iteration: usize) -> std::path::PathBuf {
        let mut name = self.base.as_os_str().to_owned();
        name.push(format!(".{iteration}.ckpt"));
        std::path::PathBuf::from(name)
    }

    /// The iterations of the checkpoint files present (whatever their content).
    fn present(&self) -> Vec<usize> {
        let dir = match self.base.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let Some(stem) = self.base.file_name().and_then(|n| n.to_str()) else {
            return Vec::new();
        };
        let mut found: Vec<usize> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .filter_map(|name| {
                        name.strip_prefix(stem)?
                            .strip_prefix('.')?
                            .strip_suffix(".ckpt")?
                            .parse()
                            .ok()
                    })
                    .collect()
            })
            .unwrap_or_default();
        found.sort_unstable();
        found
    }

    /// Removes every checkpoint file of this base (a run from the start, or a run that
    /// ended).
    pub fn clear(&self) {
        for it in self.present() {
            let _ = std::fs::remove_file(self.path(it));
        }
    }

    fn read(&self, iteration: usize) -> Result<Vec<u8>> {
        let path = self.path(iteration);
        let (_, st): (_, FitState) = crate::persist::load(&path)?;
        if st.job != self.job || st.iteration != iteration {
            return Err(Error::Checkpoint {
                path: path.display().to_string(),
                reason: format!(
                    "was written by another job (`{}`, iteration {}), not `{}`",
                    st.job, st.iteration, self.job
                ),
            });
        }
        Ok(st.state)
    }
}

impl Checkpoints for CheckpointFiles {
    fn every(&self) -> usize {
        self.every
    }

    fn available(&self) -> Vec<usize> {
        if !self.resuming {
            return Vec::new();
        }
        self.present()
            .into_iter()
            .filter(|&it| self.read(it).is_ok())
            .collect()
    }

    fn choose(&self, iteration: Option<usize>) {
        *self.chosen.lock().unwrap_or_else(|p| p.into_inner()) = iteration;
    }

    fn resume(&self) -> Result<Option<(usize, Vec<u8>)>> {
        let chosen = *self.chosen.lock().unwrap_or_else(|p| p.into_inner());
        match chosen {
            Some(it) => Ok(Some((it, self.read(it)?))),
            None => Ok(None),
        }
    }

    fn save(&self, iteration: usize, state: &[u8]) -> Result<()> {
        let st = FitState {
            job: self.job.clone(),
            iteration,
            state: state.to_vec(),
        };
        crate::persist::save(&self.path(iteration), FIT_STATE_KIND, &st)?;
        // Keep this one and the one before (another process may not have reached this one
        // when the job stopped).
        for old in self.present() {
            if old + self.every < iteration {
                let _ = std::fs::remove_file(self.path(old));
            }
        }
        Ok(())
    }
}

/// The blocks on this process's rayon thread pool (the default executor of the batch fits).
#[derive(Clone, Copy, Debug, Default)]
pub struct Rayon;

impl Executor for Rayon {
    fn run(
        &self,
        job: &dyn BlockSum,
        driver: &mut dyn FnMut(&mut Round<'_>) -> Result<()>,
    ) -> Result<RunInfo> {
        check_whole(job)?;
        let mut rounds = 0usize;
        let mut round = |params: &[f64], out: &mut [f64]| -> Result<f64> {
            check_round(job, params, out)?;
            rounds += 1;
            let parts: Vec<(f64, Vec<f64>)> = (0..job.n_blocks())
                .into_par_iter()
                .map(|b| {
                    let mut part = vec![0.0; job.out_len()];
                    let v = job.block(params, b, &mut part);
                    (v, part)
                })
                .collect();
            out.fill(0.0);
            let mut total = 0.0;
            for (v, part) in parts {
                total += v;
                add_part(out, &part);
            }
            Ok(total)
        };
        driver(&mut round)?;
        Ok(RunInfo {
            rounds,
            workers: rayon::current_num_threads(),
        })
    }
}

/// Checks a round's buffers against the job's lengths.
pub fn check_round(job: &dyn BlockSum, params: &[f64], out: &[f64]) -> Result<()> {
    if params.len() != job.n_params() {
        return Err(Error::LengthMismatch {
            what: "round parameters".into(),
            expected: job.n_params(),
            got: params.len(),
        });
    }
    if out.len() != job.out_len() {
        return Err(Error::LengthMismatch {
            what: "round output".into(),
            expected: job.out_len(),
            got: out.len(),
        });
    }
    Ok(())
}

/// `acc += part`, element by element (the one addition every executor makes).
#[inline]
pub fn add_part(acc: &mut [f64], part: &[f64]) {
    for (a, b) in acc.iter_mut().zip(part) {
        *a += b;
    }
}

/// The blocks of `n` rows for parts of `out_len` numbers: at least `min_rows` rows a block
/// (but at least one block), at most `max_blocks` blocks, and at most `max_numbers` numbers
/// held by all parts together. Fixed by the data's shape only.
pub fn block_count(
    n: usize,
    out_len: usize,
    min_rows: usize,
    max_blocks: usize,
    max_numbers: usize,
) -> usize {
    let by_rows = n.div_ceil(min_rows.max(1)).clamp(1, max_blocks.max(1));
    let by_memory = (max_numbers / out_len.max(1)).max(1);
    by_rows.min(by_memory)
}

/// The rows of block `b` of `n_blocks` over `n` rows (equal blocks, the last shorter).
pub fn block_rows(n: usize, n_blocks: usize, b: usize) -> Range<usize> {
    let size = n.div_ceil(n_blocks.max(1));
    (b * size).min(n)..((b + 1) * size).min(n)
}

/// The blocks worker `w` of `workers` computes: contiguous, in order, as even as can be.
pub fn worker_blocks(n_blocks: usize, workers: usize, w: usize) -> Range<usize> {
    let workers = workers.max(1);
    (w * n_blocks / workers)..((w + 1) * n_blocks / workers)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sums of `x^2` and `x` over 0..n at a scale `params[0]`, blocks of 7 rows.
    struct Squares {
        n: usize,
    }

    impl BlockSum for Squares {
        fn n_params(&self) -> usize {
            1
        }
        fn out_len(&self) -> usize {
            2
        }
        fn n_blocks(&self) -> usize {
            self.n.div_ceil(7)
        }
        fn block(&self, params: &[f64], b: usize, part: &mut [f64]) -> f64 {
            let mut v = 0.0;
            for i in block_rows(self.n, self.n_blocks(), b) {
                let x = params[0] * i as f64 * 0.1;
                part[0] += x * x;
                part[1] += x;
                v += 1.0;
            }
            v
        }
    }

    #[test]
    fn rayon_adds_the_parts_in_block_order() {
        let job = Squares { n: 100 };
        let mut seen = Vec::new();
        let info = Rayon
            .run(&job, &mut |round| {
                let mut out = [0.0; 2];
                let v = round(&[3.0], &mut out)?;
                seen.push((v, out));
                Ok(())
            })
            .unwrap();
        assert_eq!(info.rounds, 1);
        // The same additions in the same order, serially.
        let mut want = [0.0; 2];
        let mut total = 0.0;
        for b in 0..job.n_blocks() {
            let mut part = [0.0; 2];
            total += job.block(&[3.0], b, &mut part);
            add_part(&mut want, &part);
        }
        assert_eq!(seen, vec![(total, want)]);
        assert_eq!(total, 100.0);
    }

    #[test]
    fn parts_number_their_blocks_one_part_after_another() {
        let counts = [10, 0, 7];
        let blocks_of = |n: usize| n.div_ceil(4);
        let layouts: Vec<Layout> = (0..3)
            .map(|p| Layout::part(&counts, p, blocks_of).unwrap())
            .collect();
        // 3 + 1 (an empty part still has its block) + 2 blocks.
        assert!(layouts.iter().all(|l| l.n_blocks() == 6));
        assert_eq!(layouts[0].local_blocks(), Some(0..3));
        assert_eq!(layouts[1].local_blocks(), Some(3..4));
        assert_eq!(layouts[2].local_blocks(), Some(4..6));
        // Each part's blocks cover its own rows, in order; the others' are empty here.
        for (p, l) in layouts.iter().enumerate() {
            let mut next = 0;
            for b in 0..l.n_blocks() {
                let r = l.rows(b);
                if l.local_blocks().unwrap().contains(&b) {
                    assert_eq!(r.start, next);
                    next = r.end;
                } else {
                    assert!(r.is_empty());
                }
            }
            assert_eq!(next, counts[p]);
        }
        assert!(Layout::part(&counts, 3, blocks_of).is_err());
        // One part is the whole layout of a fit alone, which every executor accepts.
        let one = Layout::part(&[100], 0, |_| 7).unwrap();
        assert_eq!(one, Layout::whole(100, 7));
        assert_eq!(one.local_blocks(), None);
        assert_eq!(one.rows(6), block_rows(100, 7, 6));
    }

    #[test]
    fn a_round_with_wrong_lengths_is_refused() {
        let job = Squares { n: 10 };
        let err = Rayon
            .run(&job, &mut |round| {
                round(&[1.0, 2.0], &mut [0.0; 2]).map(drop)
            })
            .unwrap_err();
        assert!(err.to_string().contains("round parameters"), "{err}");
    }

    #[test]
    fn blocks_cover_the_rows_and_workers_cover_the_blocks() {
        for n in [0, 1, 5, 100, 4097] {
            for nb in 1..6 {
                let mut next = 0;
                for b in 0..nb {
                    let r = block_rows(n, nb, b);
                    assert_eq!(r.start, next.min(n));
                    next = r.end;
                }
                assert_eq!(next, n);
                for workers in 1..5 {
                    let mut next = 0;
                    for w in 0..workers {
                        let r = worker_blocks(nb, workers, w);
                        assert_eq!(r.start, next);
                        next = r.end;
                    }
                    assert_eq!(next, nb);
                }
            }
        }
        assert_eq!(block_count(10_000, 5, 2048, 32, 1 << 24), 5);
        assert_eq!(block_count(0, 5, 2048, 32, 1 << 24), 1);
        assert_eq!(block_count(1 << 30, 1 << 23, 2048, 32, 1 << 24), 2);
    }
}
