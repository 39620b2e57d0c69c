//! scikit-learn's `KMeans` (Lloyd's algorithm) in batch; sequential k-means after it.

use ndarray::ArrayView2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tidewater_core::kernels::CenterBlocks;
use tidewater_core::rounds::{BlockSum, Executor, Round, RunInfo};
use tidewater_core::row::check_weight;
use tidewater_core::spec::Params;
use tidewater_core::traits::{check_batch, check_out_len};
use tidewater_core::{Batch, Build, Clusterer, Dataset, Error, FeatureVector, Fit, Result, Row};

use crate::common::{
    BatchRows, Draws, KMeansInit, Rows, check_clusterer_row, check_given_centers, distances,
    initial_centers, move_toward, nearest, no_features, points_view, positive_rows,
};
use crate::elkan::Bounds;

/// How [`KMeans`] labels the rows in each iteration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KMeansAlgorithm {
    /// Every distance from every row to every center (scikit-learn's default).
    Lloyd,
    /// Elkan's: the same labels from fewer distances, by triangle-inequality bounds per row
    /// (an upper bound to its center, a lower bound to each center: `n_clusters` more
    /// values per row in memory). The labels are Lloyd's, the first nearest center, unless
    /// two distances agree to within a relative 1e-9.
    Elkan,
}

tidewater_core::param_choices!(KMeansAlgorithm {
    Lloyd => "lloyd",
    Elkan => "elkan",
});

/// Hyper-parameters of [`KMeans`] (scikit-learn's names and defaults; `seed` is its
/// `random_state`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "kmeans",
    summary = "k-means by Lloyd's algorithm from k-means++ (scikit-learn's KMeans); keeps learning online by sequential k-means",
    check = Self::check
)]
pub struct KMeansParams {
    /// Number of clusters (set to the number of given centers by initial_centers).
    #[param(default = 8, ge = 1)]
    pub n_clusters: usize,
    /// How the first centers are chosen: k-means++, random (distinct rows) or first_rows.
    #[param(default = KMeansInit::KMeansPlusPlus)]
    pub init: KMeansInit,
    /// Runs from different initial centers, the lowest inertia kept (none: 10 for random, 1 otherwise; at most 1000).
    #[param(default = None, ge = 1, le = 1000, batch_only)]
    pub n_init: Option<usize>,
    /// Most iterations of one run.
    #[param(default = 300, ge = 1, batch_only)]
    pub max_iter: usize,
    /// A run stops when the centers move (sum of squared shifts) by at most tol times the mean feature variance.
    #[param(default = 1e-4, ge = 0, batch_only)]
    pub tol: f64,
    /// How each iteration labels the rows: lloyd (every distance) or elkan (the same labels, fewer distances).
    #[param(default = KMeansAlgorithm::Lloyd, batch_only)]
    pub algorithm: KMeansAlgorithm,
    /// Seed of the initialisations (ChaCha8).
    #[param(default = 0)]
    pub seed: u64,
    /// Given initial centers (`initial_centers`), which take the place of `init`.
    #[param(default = None, hidden)]
    pub initial_centers: Option<Vec<Vec<f64>>>,
    /// Rows per parallel task in the passes over the rows (a tuning knob: the result does not
    /// depend on it).
    #[param(default = 4096, hidden)]
    pub pass_rows: usize,
}

impl KMeansParams {
    /// Starts from these centers (one per cluster, each of the data's width) instead of
    /// drawing them, and sets `n_clusters` to their number; `init` and `n_init` are then not
    /// used (one run).
    pub fn initial_centers(mut self, centers: Vec<Vec<f64>>) -> Self {
        self.n_clusters = centers.len();
        self.initial_centers = Some(centers);
        self
    }

    /// The number of runs `n_init` gives: scikit-learn's "auto" when unset (10 for random,
    /// 1 otherwise), and 1 whenever the start is deterministic (given centers, first rows).
    pub fn runs(&self) -> usize {
        if self.initial_centers.is_some() || self.init == KMeansInit::FirstRows {
            return 1;
        }
        self.n_init.unwrap_or(match self.init {
            KMeansInit::Random => 10,
            _ => 1,
        })
    }

    fn check(&self) -> Result<()> {
        if self.pass_rows == 0 {
            return Err(Error::param("pass_rows", "must be at least 1"));
        }
        if let Some(c) = &self.initial_centers {
            check_given_centers(c, None)?;
            if c.len() != self.n_clusters {
                return Err(Error::param(
                    "n_clusters",
                    format!(
                        "{} clusters, but {} initial centers are given",
                        self.n_clusters,
                        c.len()
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl Build for KMeansParams {
    type Model = KMeans;
    /// A model that has seen nothing: it starts from the given initial centers, if any, and
    /// otherwise takes its first `n_clusters` rows of positive weight as centers.
    fn build(&self) -> Result<KMeans> {
        self.validate()?;
        let (d, centers) = match &self.initial_centers {
            Some(c) => (Some(c[0].len()), c.concat()),
            None => (None, Vec::new()),
        };
        let k = self.n_clusters;
        Ok(KMeans {
            params: self.clone(),
            d,
            counts: if centers.is_empty() {
                Vec::new()
            } else {
                vec![0.0; k]
            },
            centers,
            labels: Vec::new(),
            inertia: None,
            n_iter: 0,
        })
    }
}

/// One run of Lloyd's algorithm.
struct Run {
    centers: Vec<f64>,
    labels: Vec<usize>,
    inertia: f64,
    n_iter: usize,
    counts: Vec<f64>,
}

impl Fit for KMeansParams {
    type Model = KMeans;
    /// Runs Lloyd's algorithm `n_init` times (see [`runs`](KMeansParams::runs)) from initial
    /// centers chosen by `init` and keeps the run of lowest inertia (the first on ties). The
    /// data's targets, if any, are not used; its sample weights are. An error names the row
    /// and feature of a value that is not finite, the row of a bad weight, or `n_clusters`
    /// when the data has fewer rows (of positive weight) than clusters.
    fn fit(&self, data: &Dataset) -> Result<KMeans> {
        self.fit_with(data, None).map(|(m, _)| m)
    }
}

impl KMeansParams {
    /// The batch fit of [`Fit::fit`] with Lloyd's iterations run as rounds on `exec` (a
    /// parameter server's threads or processes): each round sums the clusters' rows and
    /// weights over fixed blocks of rows, added in block order, and counts the rows whose
    /// label changed. The initial centers, the rare relocation of an empty cluster and the
    /// final labelling are computed by the caller over every row, as `fit` computes them, so
    /// the model is `fit`'s, bit for bit. The [`RunInfo`] says how many rounds ran where.
    ///
    /// Lloyd's iterations only: `algorithm = elkan` is refused (its labels are Lloyd's, but
    /// its bounds live with the rows). With an executor that keeps checkpoints, the state
    /// (the run in progress, its centers, and the best finished run's centers) is saved
    /// every few iterations, counted over all runs; a fit resumed from one gives the model
    /// of the run that was not interrupted, bit for bit. Processes that each hold only their
    /// own part of the rows ([`Executor::exchange`]) are refused: every process needs every
    /// row.
    pub fn fit_on(&self, data: &Dataset, exec: &dyn Executor) -> Result<(KMeans, RunInfo)> {
        if self.algorithm == KMeansAlgorithm::Elkan {
            return Err(Error::param(
                "algorithm",
                "rounds on workers run Lloyd's iterations: use algorithm=lloyd",
            ));
        }
        // The initial centers are drawn from every row, and the final labelling is of every
        // row: each worker needs them all.
        if exec.exchange(&[])?.is_some() {
            return Err(Error::Unsupported(
                "kmeans needs every row on every process (its initial centers are drawn from all \
                 of them): start the processes on the whole data, not each on its own part"
                    .into(),
            ));
        }
        let (model, info) = self.fit_with(data, Some(exec))?;
        let info = info.ok_or_else(|| Error::Training("no round ran".into()))?;
        Ok((model, info))
    }

    fn fit_with(
        &self,
        data: &Dataset,
        exec: Option<&dyn Executor>,
    ) -> Result<(KMeans, Option<RunInfo>)> {
        self.validate()?;
        let n = data.n_rows();
        let d = data.n_features();
        if n == 0 {
            return Err(Error::Empty("the data set has no rows".into()));
        }
        if d == 0 {
            return Err(no_features());
        }
        let owned;
        let x = match data.batch() {
            Batch::Dense(a) if !a.is_standard_layout() => {
                owned = a.as_standard_layout().into_owned();
                Batch::Dense(owned.view())
            }
            b => b,
        };
        let w = data.weights.as_deref();
        check_batch(x, n, w, |r| r.check(Some(d)))?;
        let rows = BatchRows { x, w };
        let k = self.n_clusters;
        let positive = positive_rows(&rows);
        if positive < k {
            return Err(Error::param(
                "n_clusters",
                format!(
                    "{k} clusters need at least {k} rows of positive weight; the data has {positive}"
                ),
            ));
        }
        if let Some(c) = &self.initial_centers {
            check_given_centers(c, Some(d))?;
        }
        let tol = self.tol * mean_variance(&rows, d);
        let mut draws = Draws::new(self.seed);
        let mut best: Option<Run> = None;
        // A run's initial centers; with `skip`, only the draw of its seed (a run a checkpoint
        // has passed), so that the runs after it draw what they would have drawn.
        let mut next_start = |skip: bool| match &self.initial_centers {
            Some(c) => c.concat(),
            None => {
                let mut run_draws = Draws::new(draws.next_u64());
                if skip {
                    return Vec::new();
                }
                initial_centers(self.init, &rows, k, d, &mut run_draws)
            }
        };
        let keep = |best: &mut Option<Run>, run: Run| -> bool {
            let better = best.as_ref().is_none_or(|b| run.inertia < b.inertia);
            if better {
                *best = Some(run);
            }
            better
        };
        let info = match exec {
            None => {
                for _ in 0..self.runs() {
                    let run = lloyd(
                        &rows,
                        next_start(false),
                        d,
                        self.max_iter,
                        tol,
                        self.pass_rows,
                        self.algorithm,
                    );
                    keep(&mut best, run);
                }
                None
            }
            Some(exec) => {
                let job = LloydRounds { rows: &rows, k, d };
                let ck = exec.checkpoints();
                let kd = k * d;
                let runs = self.runs();
                let info = exec.run(&job, &mut |round| {
                    // Where to start: a checkpoint the executor chose, or the first run.
                    let resumed = match ck.map(|c| c.resume()).transpose()?.flatten() {
                        Some((it, bytes)) => Some((
                            it,
                            LloydCheckpoint::decode(it, &bytes, kd, runs, self.max_iter)?,
                        )),
                        None => None,
                    };
                    // Iterations over every run (a checkpoint's number), and this call's rounds.
                    let done = std::cell::Cell::new(resumed.as_ref().map_or(0, |(it, _)| *it));
                    let mut rounds = 0;
                    let (first_run, mut resume_at, mut best_kept) = match resumed {
                        Some((_, st)) => {
                            if let Some(b) = &st.best {
                                let mut labels = vec![0usize; rows.n()];
                                let mut dist = vec![0.0; rows.n()];
                                assign(&rows, &b.by, d, self.pass_rows, &mut labels, &mut dist);
                                let run = finish_run(
                                    &rows,
                                    b.centers.clone(),
                                    d,
                                    labels,
                                    b.n_iter,
                                    self.pass_rows,
                                );
                                keep(&mut best, run);
                            }
                            (st.run, Some(st.at), st.best)
                        }
                        None => (0, None, None),
                    };
                    for r in 0..runs {
                        if r < first_run {
                            next_start(true);
                            continue;
                        }
                        let start = match resume_at.take() {
                            Some(at) => {
                                next_start(true);
                                at
                            }
                            None => LloydStart {
                                iterations: 0,
                                centers: next_start(false),
                                previous: None,
                            },
                        };
                        // Each round's value is the inertia to its centers: reported as it comes.
                        let mut reported = |p: &[f64], out: &mut [f64]| -> Result<f64> {
                            let inertia = round(p, out)?;
                            rounds += 1;
                            done.set(done.get() + 1);
                            exec.round_done(rounds, inertia);
                            Ok(inertia)
                        };
                        let kept = &best_kept;
                        let mut save = |iterations: usize, centers: &[f64], previous: &[f64]| {
                            let Some(c) = ck else { return Ok(()) };
                            if !done.get().is_multiple_of(c.every()) {
                                return Ok(());
                            }
                            let st = LloydCheckpoint {
                                run: r,
                                at: LloydStart {
                                    iterations,
                                    centers: centers.to_vec(),
                                    previous: Some(previous.to_vec()),
                                },
                                best: kept.clone(),
                            };
                            let bytes = postcard::to_allocvec(&st)
                                .map_err(|e| Error::Training(format!("encoding the state: {e}")))?;
                            c.save(done.get(), &bytes)
                        };
                        let (run, by) = lloyd_rounds(
                            &mut reported,
                            &rows,
                            start,
                            d,
                            self.max_iter,
                            tol,
                            self.pass_rows,
                            &mut save,
                        )?;
                        let finished = FinishedRun {
                            centers: run.centers.clone(),
                            by,
                            n_iter: run.n_iter,
                        };
                        if keep(&mut best, run) {
                            best_kept = Some(finished);
                        }
                    }
                    Ok(())
                })?;
                Some(info)
            }
        };
        let run = best.expect("at least one run");
        let model = KMeans {
            params: self.clone(),
            d: Some(d),
            centers: run.centers,
            counts: run.counts,
            labels: run.labels,
            inertia: Some(run.inertia),
            n_iter: run.n_iter,
        };
        Ok((model, info))
    }
}

/// The mean over features of each feature's population variance (unweighted, as
/// scikit-learn's tolerance takes it), by two passes.
fn mean_variance(rows: &dyn Rows, d: usize) -> f64 {
    let n = rows.n();
    let mut mean = vec![0.0; d];
    for i in 0..n {
        rows.row(i).for_each_entry(|j, v| mean[j] += v);
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let mut acc = vec![0.0; d];
    let mut stored = vec![0usize; d];
    for i in 0..n {
        rows.row(i).for_each_entry(|j, v| {
            acc[j] += (v - mean[j]) * (v - mean[j]);
            stored[j] += 1;
        });
    }
    let total: f64 = (0..d)
        .map(|j| (acc[j] + (n - stored[j]) as f64 * mean[j] * mean[j]) / n as f64)
        .sum();
    total / d as f64
}

/// Labels (nearest center, first on ties) and squared distances of every row, in parallel
/// tasks of `pass_rows` rows; each value is a function of its row alone, so neither the
/// tasks nor the threads change anything.
fn assign(
    rows: &dyn Rows,
    centers: &[f64],
    d: usize,
    pass_rows: usize,
    labels: &mut [usize],
    dist: &mut [f64],
) {
    let blocks = CenterBlocks::new(centers, d);
    labels
        .par_chunks_mut(pass_rows)
        .zip(dist.par_chunks_mut(pass_rows))
        .enumerate()
        .for_each(|(t, (l, s))| {
            let start = t * pass_rows;
            for (o, (l, s)) in l.iter_mut().zip(s.iter_mut()).enumerate() {
                (*l, *s) = match rows.row(start + o) {
                    Row::Dense(x) if x.len() == d => blocks.nearest(x),
                    x => nearest(x, centers, d),
                };
            }
        });
}

/// Rows per block of the centers' sums (fixed, so that the sums do not depend on the
/// threads or on `pass_rows`).
const SUM_ROWS: usize = 4096;

/// The new centers from the labels: each center's weighted sum of its rows (summed in row
/// order within blocks of [`SUM_ROWS`] rows, the blocks in parallel, their sums then added
/// in block order), divided by their weight. A cluster left empty takes the
/// row farthest from its center (scikit-learn's relocation: the empty clusters in order
/// take the rows of largest distance, in decreasing order, each removed from its cluster's
/// sums); a cluster of no weight even then keeps its center. Returns the centers and the
/// weight of each cluster.
fn update(
    rows: &dyn Rows,
    labels: &[usize],
    dist: Option<&[f64]>,
    old: &[f64],
    d: usize,
) -> (Vec<f64>, Vec<f64>) {
    let k = old.len() / d;
    // Each block's sums in parallel (rows in order within it), then the blocks' sums in
    // block order: reading the rows in their order, whatever the labels.
    let partial: Vec<(Vec<f64>, Vec<f64>)> = labels
        .par_chunks(SUM_ROWS)
        .enumerate()
        .map(|(t, block)| {
            let mut s = vec![0.0; k * d];
            let mut w = vec![0.0; k];
            for (o, &c) in block.iter().enumerate() {
                let i = t * SUM_ROWS + o;
                let wi = rows.weight(i);
                rows.row(i).axpy_into(wi, &mut s[c * d..(c + 1) * d]);
                w[c] += wi;
            }
            (s, w)
        })
        .collect();
    let mut sums = vec![0.0; k * d];
    let mut weight = vec![0.0; k];
    for (s, w) in &partial {
        sums.iter_mut().zip(s).for_each(|(a, b)| *a += b);
        weight.iter_mut().zip(w).for_each(|(a, b)| *a += b);
    }
    settle(rows, labels, dist, old, d, sums, weight)
}

/// The centers from the clusters' weighted sums and weights (summed in block order), with
/// scikit-learn's relocation of empty clusters (see [`update`]); `labels` (and `dist`, when
/// known) are read only when a cluster is empty.
fn settle(
    rows: &dyn Rows,
    labels: &[usize],
    dist: Option<&[f64]>,
    old: &[f64],
    d: usize,
    mut sums: Vec<f64>,
    mut weight: Vec<f64>,
) -> (Vec<f64>, Vec<f64>) {
    let k = old.len() / d;
    let n = labels.len();
    let empty: Vec<usize> = (0..k).filter(|&c| weight[c] == 0.0).collect();
    if !empty.is_empty() {
        // Each row's squared distance to its center before the update (Lloyd's pass has
        // them; Elkan's bounds do not, and they are computed for this rare case).
        let own: Vec<f64>;
        let dist = match dist {
            Some(dist) => dist,
            None => {
                own = labels
                    .par_iter()
                    .enumerate()
                    .map(|(i, &l)| rows.row(i).squared_distance(&old[l * d..(l + 1) * d]))
                    .collect();
                &own
            }
        };
        let mut far: Vec<usize> = (0..n).collect();
        far.sort_by(|&a, &b| dist[b].total_cmp(&dist[a]).then(a.cmp(&b)));
        for (&c, &i) in empty.iter().zip(&far) {
            let (w, from) = (rows.weight(i), labels[i]);
            let x = rows.row(i);
            x.axpy_into(-w, &mut sums[from * d..(from + 1) * d]);
            weight[from] -= w;
            let s = &mut sums[c * d..(c + 1) * d];
            s.fill(0.0);
            x.axpy_into(w, s);
            weight[c] = w;
        }
    }
    let mut centers = sums;
    for (c, center) in centers.chunks_exact_mut(d).enumerate() {
        if weight[c] > 0.0 {
            let inv = 1.0 / weight[c];
            center.iter_mut().for_each(|v| *v *= inv);
        } else {
            center.copy_from_slice(&old[c * d..(c + 1) * d]);
        }
    }
    (centers, weight)
}

/// Lloyd's algorithm from `centers`, as scikit-learn runs it: each iteration labels every row
/// by its nearest center and moves each center to the weighted mean of its rows; it stops
/// when the labels are those of the previous iteration ("strict convergence"), when the
/// centers moved by at most `tol` (the sum over centers of the squared shifts), or after
/// `max_iter` iterations. Unless it converged strictly, the rows are labelled once more by
/// the final centers. The inertia is `sum_i w_i ||x_i - c_{label_i}||^2` (row order).
/// Elkan's algorithm runs the same iterations, labelling by its bounds.
fn lloyd(
    rows: &dyn Rows,
    mut centers: Vec<f64>,
    d: usize,
    max_iter: usize,
    tol: f64,
    pass_rows: usize,
    algorithm: KMeansAlgorithm,
) -> Run {
    let n = rows.n();
    let mut labels = vec![usize::MAX; n];
    let mut new_labels = vec![0usize; n];
    let mut dist = vec![0.0; n];
    let mut bounds = match algorithm {
        KMeansAlgorithm::Lloyd => None,
        KMeansAlgorithm::Elkan => Some(Bounds::new(n, centers.len() / d)),
    };
    let mut strict = false;
    let mut n_iter = 0;
    for it in 0..max_iter {
        n_iter = it + 1;
        match &mut bounds {
            None => assign(rows, &centers, d, pass_rows, &mut new_labels, &mut dist),
            Some(b) if it == 0 => b.init(rows, &centers, d, pass_rows, &mut new_labels),
            Some(b) => b.assign(rows, &centers, d, pass_rows, &mut new_labels),
        }
        let exact = bounds.is_none().then_some(&dist[..]);
        let (next, _) = update(rows, &new_labels, exact, &centers, d);
        let shift: f64 = next
            .iter()
            .zip(&centers)
            .map(|(a, b)| (a - b) * (a - b))
            .sum();
        if let Some(b) = &mut bounds {
            b.moved(&centers, &next, d, &new_labels, pass_rows);
        }
        centers = next;
        if new_labels == labels {
            strict = true;
            break;
        }
        labels.copy_from_slice(&new_labels);
        if shift <= tol {
            break;
        }
    }
    if !strict {
        assign(rows, &centers, d, pass_rows, &mut labels, &mut dist);
    }
    finish_run(rows, centers, d, labels, n_iter, pass_rows)
}

/// A run's end: the inertia (in row order) and the clusters' weights under `labels`.
fn finish_run(
    rows: &dyn Rows,
    centers: Vec<f64>,
    d: usize,
    labels: Vec<usize>,
    n_iter: usize,
    pass_rows: usize,
) -> Run {
    let k = centers.len() / d;
    let mut counts = vec![0.0; k];
    let own: Vec<f64> = labels
        .par_iter()
        .with_min_len(pass_rows)
        .enumerate()
        .map(|(i, &l)| rows.row(i).squared_distance(&centers[l * d..(l + 1) * d]))
        .collect();
    let mut inertia = 0.0;
    for (i, (&l, &s)) in labels.iter().zip(&own).enumerate() {
        let w = rows.weight(i);
        inertia += w * s;
        counts[l] += w;
    }
    Run {
        centers,
        labels,
        inertia,
        n_iter,
        counts,
    }
}

/// One Lloyd iteration as a [`BlockSum`]: at the point `[has previous, previous centers,
/// centers]`, each block of [`SUM_ROWS`] rows labels its rows by the nearest center and
/// adds them to their cluster's weighted sum and weight; it also counts the rows whose label
/// under the previous centers differs (every row at the first iteration). The part is
/// `[sums (k x d), weights (k), changed]`, the blocks those of [`update`], so the sums are its.
struct LloydRounds<'a> {
    rows: &'a BatchRows<'a>,
    k: usize,
    d: usize,
}

impl BlockSum for LloydRounds<'_> {
    fn n_params(&self) -> usize {
        1 + 2 * self.k * self.d
    }
    fn out_len(&self) -> usize {
        self.k * self.d + self.k + 1
    }
    fn n_blocks(&self) -> usize {
        self.rows.n().div_ceil(SUM_ROWS).max(1)
    }
    fn block(&self, params: &[f64], b: usize, part: &mut [f64]) -> f64 {
        let (k, d) = (self.k, self.d);
        let kd = k * d;
        let has_prev = params[0] != 0.0;
        let prev = &params[1..1 + kd];
        let centers = &params[1 + kd..];
        let cur_blocks = CenterBlocks::new(centers, d);
        let prev_blocks = CenterBlocks::new(prev, d);
        let n = self.rows.n();
        let mut changed = 0.0;
        // The block's part of the inertia to the round's centers (rows in order).
        let mut inertia = 0.0;
        for i in (b * SUM_ROWS).min(n)..((b + 1) * SUM_ROWS).min(n) {
            let x = self.rows.row(i);
            let label = |blocks: &CenterBlocks, c: &[f64]| match x {
                Row::Dense(v) if v.len() == d => blocks.nearest(v),
                x => nearest(x, c, d),
            };
            let (c, dist) = label(&cur_blocks, centers);
            if !has_prev || label(&prev_blocks, prev).0 != c {
                changed += 1.0;
            }
            let wi = self.rows.weight(i);
            inertia += wi * dist;
            x.axpy_into(wi, &mut part[c * d..(c + 1) * d]);
            part[kd + c] += wi;
        }
        part[kd + k] = changed;
        inertia
    }
}

/// Where a run of [`lloyd_rounds`] starts: its first centers, or where a checkpoint left it.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct LloydStart {
    /// The iterations the run has done.
    iterations: usize,
    /// The centers the next iteration labels by.
    centers: Vec<f64>,
    /// The centers the last iteration labelled by (none before the first), against which
    /// the next one counts the rows whose label changed.
    previous: Option<Vec<f64>>,
}

/// Told a run's state after an iteration that does not end it: its iterations, its centers
/// and the centers before them.
type SaveRun<'a> = dyn FnMut(usize, &[f64], &[f64]) -> Result<()> + 'a;

/// [`lloyd`]'s iterations with the sums computed by `round` (a [`LloydRounds`] job): the
/// same centers, labels and stopping rule. After each iteration that does not end the run,
/// `save` is given the run's state (where it would start again: its iterations, its
/// centers and the centers before them). Returns the run and the centers its labels were
/// taken from.
#[allow(clippy::too_many_arguments)]
fn lloyd_rounds(
    round: &mut Round<'_>,
    rows: &BatchRows<'_>,
    start: LloydStart,
    d: usize,
    max_iter: usize,
    tol: f64,
    pass_rows: usize,
    save: &mut SaveRun<'_>,
) -> Result<(Run, Vec<f64>)> {
    let n = rows.n();
    let LloydStart {
        iterations,
        mut centers,
        previous,
    } = start;
    let k = centers.len() / d;
    let kd = k * d;
    let mut point = vec![0.0; 1 + 2 * kd];
    if let Some(p) = previous {
        point[0] = 1.0;
        point[1..1 + kd].copy_from_slice(&p);
    }
    let mut out = vec![0.0; kd + k + 1];
    let mut strict = false;
    let mut n_iter = iterations;
    // The centers the last round labelled by (the labels of a strict stop are theirs).
    let mut labelled_by = centers.clone();
    for it in iterations..max_iter {
        n_iter = it + 1;
        point[1 + kd..].copy_from_slice(&centers);
        round(&point, &mut out)?;
        let sums = out[..kd].to_vec();
        let weight = out[kd..kd + k].to_vec();
        let changed = out[kd + k];
        labelled_by.copy_from_slice(&centers);
        let next = if weight.contains(&0.0) {
            // The rare relocation reads every row's label and distance.
            let mut labels = vec![0usize; n];
            let mut dist = vec![0.0; n];
            assign(rows, &centers, d, pass_rows, &mut labels, &mut dist);
            settle(rows, &labels, Some(&dist), &centers, d, sums, weight).0
        } else {
            settle(rows, &[], None, &centers, d, sums, weight).0
        };
        let shift: f64 = next
            .iter()
            .zip(&centers)
            .map(|(a, b)| (a - b) * (a - b))
            .sum();
        point[0] = 1.0;
        point[1..1 + kd].copy_from_slice(&centers);
        centers = next;
        if it > 0 && changed == 0.0 {
            strict = true;
            break;
        }
        if shift <= tol {
            break;
        }
        if it + 1 < max_iter {
            save(it + 1, &centers, &point[1..1 + kd])?;
        }
    }
    let mut labels = vec![0usize; n];
    let mut dist = vec![0.0; n];
    let by = if strict { labelled_by } else { centers.clone() };
    assign(rows, &by, d, pass_rows, &mut labels, &mut dist);
    Ok((finish_run(rows, centers, d, labels, n_iter, pass_rows), by))
}

/// A finished run as a checkpoint keeps it: its centers, the centers its labels were taken
/// from and its iterations (the labels, counts and inertia are computed again from them).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct FinishedRun {
    centers: Vec<f64>,
    by: Vec<f64>,
    n_iter: usize,
}

/// The state a k-means fit on workers saves every few iterations: the run in progress and
/// the best of the runs before it.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct LloydCheckpoint {
    /// The run in progress (from 0) and where it is.
    run: usize,
    at: LloydStart,
    /// The best finished run so far.
    best: Option<FinishedRun>,
}

impl LloydCheckpoint {
    /// Decodes the checkpoint of iteration `it` and checks that it is one of this problem's
    /// (`kd` numbers of centers, `runs` runs of at most `max_iter` iterations, finite values).
    fn decode(it: usize, bytes: &[u8], kd: usize, runs: usize, max_iter: usize) -> Result<Self> {
        let st: LloydCheckpoint = postcard::from_bytes(bytes).map_err(|e| {
            Error::Training(format!(
                "the checkpoint of iteration {it} is unreadable: {e}"
            ))
        })?;
        let fits = |c: &[f64]| c.len() == kd && c.iter().all(|v| v.is_finite());
        let ok = st.run < runs
            && st.at.iterations < max_iter
            && fits(&st.at.centers)
            && st.at.previous.as_deref().is_none_or(fits)
            && st
                .best
                .as_ref()
                .is_none_or(|b| fits(&b.centers) && fits(&b.by) && b.n_iter <= max_iter);
        if !ok {
            return Err(Error::Training(format!(
                "the checkpoint of iteration {it} is of another problem"
            )));
        }
        Ok(st)
    }
}

/// k-means: scikit-learn 1.9's `KMeans` with Lloyd's algorithm, and a stream path after it.
///
/// **Batch.** [`Fit::fit`] runs Lloyd's algorithm (see [`KMeansParams`] and its `fit`; with
/// `algorithm = elkan` the same iterations labelled by Elkan's bounds) from
/// k-means++ (greedy, scikit-learn's rule with `2 + ln k` candidates per center), random
/// rows, the first rows or given centers, `n_init` times, keeping the lowest inertia. The
/// distance pass runs over the rows in parallel (rayon), each row's label and distance a
/// function of that row alone; each center's new position sums its rows in row order within
/// fixed blocks of 4096 rows, the blocks' sums added in block order; the inertia is summed
/// in row order. So the result does not depend on the number of threads
/// or on how the rows are split into tasks, bit for bit. The draws come from ChaCha8 seeded
/// by `seed` (each run from its own seed, drawn in turn), not numpy's: the same seed does not
/// give scikit-learn's initial centers, but a given start gives its iterations.
///
/// **Stream (warm start).** A fitted model keeps learning: `learn_one(x, w)` finds the
/// nearest center `c` (the first on ties), adds `w` to its count and moves it by
/// `w / count` toward `x` (`c_j += w / count * (x_j - c_j)`: sequential k-means, the
/// learning rate `1 / count` of scikit-learn's mini-batch update for a batch of one row).
/// The counts start at the weight of the rows the fit assigned to each center. A model that
/// was built rather than fitted starts from its given initial centers (counts 0, so the
/// first row a center takes moves it onto that row) or, without them, takes its first
/// `n_clusters` rows of positive weight as centers (count `w` each): MacQueen's algorithm.
/// A row of weight 0 changes nothing. `learn_many` is the row loop. The fit's `labels` and
/// `inertia` describe the fit and are not updated by the stream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KMeans {
    params: KMeansParams,
    d: Option<usize>,
    centers: Vec<f64>,
    counts: Vec<f64>,
    labels: Vec<usize>,
    inertia: Option<f64>,
    n_iter: usize,
}

impl KMeans {
    /// The hyper-parameters.
    pub fn params(&self) -> &KMeansParams {
        &self.params
    }

    /// The centers, one row per cluster (empty before any center exists).
    pub fn cluster_centers(&self) -> ArrayView2<'_, f64> {
        points_view(&self.centers, self.d)
    }

    /// The weight each center has taken: the fit's rows assigned to it, plus the rows
    /// learned since.
    pub fn counts(&self) -> &[f64] {
        &self.counts
    }

    /// The cluster of every row of the fit, in row order (empty for a model not fitted).
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// The fit's inertia: the weighted sum of squared distances of its rows to their
    /// centers (`None` for a model not fitted).
    pub fn inertia(&self) -> Option<f64> {
        self.inertia
    }

    /// Iterations of the kept run of Lloyd's algorithm (0 for a model not fitted).
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }
}

impl KMeans {
    /// Moves center `c` toward `x` by its share `w / count` of the center's weight, after
    /// adding `w` to that weight.
    fn move_center(&mut self, c: usize, x: Row<'_>, w: f64) {
        let d = x.dim();
        self.counts[c] += w;
        let rate = w / self.counts[c];
        move_toward(&mut self.centers[c * d..(c + 1) * d], x, rate);
    }
}

impl tidewater_core::check::CheckState for KMeans {
    /// Centers as whole rows of `dim`, one count per center (none, or `n_clusters`), the
    /// counts not negative, the training labels naming centers, nothing NaN.
    fn check_state(&self) -> tidewater_core::check::StateResult {
        use tidewater_core::check::*;
        self.params.check_state()?;
        crate::common::check_width(self.d)?;
        let d = self.d.unwrap_or(1);
        crate::common::check_rows("centers", &self.centers, d)?;
        let k = self.centers.len() / d;
        same_len("counts", self.counts.len(), k)?;
        ensure(k == 0 || k == self.params.n_clusters, || {
            format!(
                "centers: {k} where the model has {}",
                self.params.n_clusters
            )
        })?;
        ensure(self.d.is_some() || k == 0, || {
            "centers without a feature count".into()
        })?;
        all_at_least_zero("counts", &self.counts)?;
        if let Some(&l) = self.labels.iter().find(|&&l| l >= k) {
            return Err(format!("labels: center {l} out of range (0..{k})"));
        }
        self.inertia.map_or(Ok(()), |v| not_nan("inertia", v))
    }
}

impl Clusterer for KMeans {
    fn n_features(&self) -> Option<usize> {
        self.d
    }

    fn n_clusters(&self) -> usize {
        match self.d {
            Some(d) if self.counts.len() == self.params.n_clusters => self.centers.len() / d,
            _ => 0,
        }
    }

    fn check_row(&self, x: Row<'_>) -> Result<()> {
        check_clusterer_row(x, self.d)
    }

    fn learn_one(&mut self, x: Row<'_>, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        let w = check_weight(weight)?;
        if w == 0.0 {
            return Ok(());
        }
        let d = x.dim();
        self.d = Some(d);
        if self.counts.len() < self.params.n_clusters {
            let start = self.centers.len();
            self.centers.resize(start + d, 0.0);
            x.write_dense(&mut self.centers[start..]);
            self.counts.push(w);
            return Ok(());
        }
        let (c, _) = nearest(x, &self.centers, d);
        self.move_center(c, x, w);
        Ok(())
    }

    /// The nearest center found once: scored, then moved (when it exists) as
    /// [`learn_one`](Clusterer::learn_one) moves it.
    fn predict_then_learn(
        &mut self,
        x: Row<'_>,
        weight: Option<f64>,
        scratch: &mut Vec<f64>,
    ) -> Result<Option<(usize, f64)>> {
        let Some(d) = self.d.filter(|_| self.n_clusters() > 0) else {
            return tidewater_core::traits::clusterer_step(self, x, weight, scratch);
        };
        self.check_row(x)?;
        let w = check_weight(weight)?;
        let (c, squared) = nearest(x, &self.centers, d);
        if w > 0.0 {
            self.move_center(c, x, w);
        }
        Ok(Some((c, squared)))
    }

    fn predict_one(&self, x: Row<'_>) -> Result<Option<usize>> {
        self.check_row(x)?;
        Ok(match (self.n_clusters(), self.d) {
            (0, _) | (_, None) => None,
            (_, Some(d)) => Some(nearest(x, &self.centers, d).0),
        })
    }

    fn distances_into(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        self.check_row(x)?;
        check_out_len("distances buffer", self.n_clusters(), out.len())?;
        if let Some(d) = self.d {
            distances(x, &self.centers, d, out);
        }
        Ok(())
    }
}
