//! Mini-batch k-means on the stream path: scikit-learn's per-center counts, or River's
//! constant `halflife` step, over rows buffered into batches of a fixed size.

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};
use tidewater_core::row::check_weight;
use tidewater_core::spec::Params;
use tidewater_core::traits::{check_batch, check_out_len, learn_dataset_clusterer};
use tidewater_core::{
    Batch, Build, Clusterer, Dataset, Error, FeatureVector, Fit, Result, Row, SparseRow,
};

use crate::common::{
    Draws, KMeansInit, Rows, check_clusterer_row, distances, inertia_of, initial_centers, nearest,
    points_view, positive_rows,
};

/// Hyper-parameters of [`MiniBatchKMeans`] (scikit-learn's names and defaults, `halflife`
/// River's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "minibatch_kmeans",
    summary = "online k-means over mini-batches of buffered rows, scikit-learn's per-center counts (or River's halflife step)",
    check = Self::check,
    row_loop_fit
)]
pub struct MiniBatchKMeansParams {
    /// Number of clusters.
    #[param(default = 8, ge = 1)]
    pub n_clusters: usize,
    /// How the first batch chooses the first centers: k-means++, random (distinct rows) or first_rows.
    #[param(default = KMeansInit::KMeansPlusPlus)]
    pub init: KMeansInit,
    /// Initialisations tried on the first batch, the lowest inertia on it kept (1 for first_rows; at most 1000).
    #[param(default = 3, ge = 1, le = 1000)]
    pub n_init: usize,
    /// Rows buffered per update (at least n_clusters).
    #[param(default = 1024, ge = 1)]
    pub batch_size: usize,
    /// A constant step toward the mean of a center's rows in a batch (River's halflife); none: the per-center count rule.
    #[param(default = None, gt = 0, le = 1)]
    pub halflife: Option<f64>,
    /// Seed of the initialisation (ChaCha8).
    #[param(default = 0)]
    pub seed: u64,
}

impl MiniBatchKMeansParams {
    fn check(&self) -> Result<()> {
        if self.batch_size < self.n_clusters {
            return Err(Error::param(
                "batch_size",
                format!(
                    "must be at least n_clusters ({}) for the first batch to choose the centers, got {}",
                    self.n_clusters, self.batch_size
                ),
            ));
        }
        Ok(())
    }
}

impl Build for MiniBatchKMeansParams {
    type Model = MiniBatchKMeans;
    fn build(&self) -> Result<MiniBatchKMeans> {
        self.validate()?;
        Ok(MiniBatchKMeans {
            params: self.clone(),
            d: None,
            centers: Vec::new(),
            counts: Vec::new(),
            pending: Pending::default(),
            n_steps: 0,
        })
    }
}

impl Fit for MiniBatchKMeansParams {
    type Model = MiniBatchKMeans;
    /// The stream path over the data set's rows (and its sample weights), then
    /// [`flush`](MiniBatchKMeans::flush): every row has been used once. For the batch
    /// algorithm, fit [`KMeans`](crate::KMeans).
    fn fit(&self, data: &Dataset) -> Result<MiniBatchKMeans> {
        let mut m = self.build()?;
        learn_dataset_clusterer(&mut m, data)?;
        m.flush()?;
        Ok(m)
    }
}

/// The rows waiting for the next update, as they came (dense rows whole, sparse rows as
/// their entries), with their weights.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Pending {
    values: Vec<f64>,
    indices: Vec<u32>,
    /// Per row: where its values start, where its indices start (`None` for a dense row).
    starts: Vec<(usize, Option<usize>)>,
    weights: Vec<f64>,
    dim: usize,
}

impl Pending {
    fn len(&self) -> usize {
        self.weights.len()
    }

    fn push(&mut self, x: Row<'_>, w: f64) {
        self.dim = x.dim();
        match x {
            Row::Dense(v) => {
                self.starts.push((self.values.len(), None));
                self.values.extend_from_slice(v);
            }
            Row::Sparse(s) => {
                self.starts
                    .push((self.values.len(), Some(self.indices.len())));
                self.values.extend_from_slice(s.values());
                self.indices.extend_from_slice(s.indices());
            }
        }
        self.weights.push(w);
    }

    fn clear(&mut self) {
        self.values.clear();
        self.indices.clear();
        self.starts.clear();
        self.weights.clear();
    }
}

impl Pending {
    /// Each buffered row where the next one starts, of `dim` features (a sparse row's
    /// indices increasing and below `dim`), weights not negative, nothing NaN.
    fn check(&self, d: Option<usize>) -> tidewater_core::check::StateResult {
        use tidewater_core::check::*;
        same_len("buffered row starts", self.starts.len(), self.weights.len())?;
        all_nonneg("buffered weights", &self.weights)?;
        all_not_nan("buffered values", &self.values)?;
        if self.weights.is_empty() {
            return Ok(());
        }
        ensure(d == Some(self.dim), || {
            format!("buffered rows of {} features, the model's {d:?}", self.dim)
        })?;
        let mut next_index = 0;
        for (i, &(v0, ix)) in self.starts.iter().enumerate() {
            let v1 = self.starts.get(i + 1).map_or(self.values.len(), |s| s.0);
            ensure(v0 <= v1 && v1 <= self.values.len(), || {
                format!("buffered row {i}: values {v0}..{v1} out of order or range")
            })?;
            match ix {
                None => same_len(&format!("buffered row {i}"), v1 - v0, self.dim)?,
                Some(i0) => {
                    ensure(
                        i0 == next_index && i0 + (v1 - v0) <= self.indices.len(),
                        || format!("buffered row {i}: indices from {i0} out of order or range"),
                    )?;
                    next_index = i0 + (v1 - v0);
                    SparseRow::new(
                        self.dim,
                        &self.indices[i0..next_index],
                        &self.values[v0..v1],
                    )
                    .map_err(|e| format!("buffered row {i}: {e}"))?;
                }
            }
        }
        same_len("buffered indices", self.indices.len(), next_index)
    }
}

impl tidewater_core::check::CheckState for MiniBatchKMeans {
    /// `n_clusters` centers of `dim` features (none before the first step) with a count
    /// each, not negative, and the buffered rows consistent.
    fn check_state(&self) -> tidewater_core::check::StateResult {
        use tidewater_core::check::*;
        self.params.check_state()?;
        crate::common::check_width(self.d)?;
        if !self.centers.is_empty() {
            let d = self.d.ok_or("centers without a feature count")?;
            ensure(
                self.params.n_clusters.checked_mul(d) == Some(self.centers.len()),
                || {
                    format!(
                        "centers: {} values for {} clusters of {d}",
                        self.centers.len(),
                        self.params.n_clusters
                    )
                },
            )?;
            crate::common::check_rows("centers", &self.centers, d)?;
        }
        same_len(
            "counts",
            self.counts.len(),
            if self.centers.is_empty() {
                0
            } else {
                self.params.n_clusters
            },
        )?;
        all_at_least_zero("counts", &self.counts)?;
        self.pending.check(self.d)
    }
}

impl Rows for Pending {
    fn n(&self) -> usize {
        self.len()
    }
    fn row(&self, i: usize) -> Row<'_> {
        let (v0, ix) = self.starts[i];
        let v1 = self.starts.get(i + 1).map_or(self.values.len(), |s| s.0);
        match ix {
            None => Row::Dense(&self.values[v0..v1]),
            Some(i0) => {
                let i1 = i0 + (v1 - v0);
                Row::Sparse(
                    SparseRow::new(self.dim, &self.indices[i0..i1], &self.values[v0..v1])
                        .expect("a sparse row was checked when it was buffered"),
                )
            }
        }
    }
    fn weight(&self, i: usize) -> f64 {
        self.weights[i]
    }
}

/// The same rows with weight 1 (for an initialisation that needs rows of positive weight
/// the weights do not give).
struct Unweighted<'a>(&'a Pending);

impl Rows for Unweighted<'_> {
    fn n(&self) -> usize {
        self.0.len()
    }
    fn row(&self, i: usize) -> Row<'_> {
        self.0.row(i)
    }
    fn weight(&self, _: usize) -> f64 {
        1.0
    }
}

/// Mini-batch k-means on the stream path.
///
/// **The sequential update** (what `learn_one`, `learn_many` over any chunking, and `fit`
/// all do, so they give the same model bit for bit). Rows are buffered as they come; when
/// the buffer holds `batch_size` rows, one step runs on the buffered rows `x_1..x_m` with
/// weights `w_1..w_m` (in arrival order) and the buffer empties:
/// 1. The first step first chooses the centers: `n_init` initialisations by `init` on the
///    batch (k-means++ greedy as scikit-learn's, random distinct rows, or its first rows; the
///    draws from ChaCha8 seeded by `seed`, each initialisation from its own seed drawn in
///    turn), keeping the one of lowest `sum_j w_j min_c ||x_j - c||^2` (the first on ties),
///    with every count 0. (When fewer than `n_clusters` buffered rows have positive weight,
///    the initialisation takes every row with weight 1.)
/// 2. Every row is assigned to its nearest center under the centers as they stand before
///    the step (the first on ties): `a_j`.
/// 3. For every center `c` with weight `W_c = sum_{a_j = c} w_j > 0` and weighted sum
///    `S_c = sum_{a_j = c} w_j x_j` (summed in row order), with count `n_c`:
///    - without `halflife`: `c <- (n_c c + S_c) / (n_c + W_c)` (scikit-learn's per-center
///      counts: a step of `W_c / (n_c + W_c)` toward the batch mean of its rows, learning
///      rate `1 / count` per row);
///    - with `halflife = h`: `c <- c + h (S_c / W_c - c)` (River's constant step; with
///      `batch_size = 1` it is River's `KMeans` update of the nearest center);
///
///    and then `n_c <- n_c + W_c`.
///
/// Until the first step, there are no centers: `n_clusters()` is 0 and `predict_one` gives
/// `None`. Predictions use the centers as they stand; rows still buffered do not move them
/// until their step. [`flush`](Self::flush) runs the step on the rows buffered so far
/// (`fit` ends with it). The buffer is part of the model, so a model saved mid-batch and
/// loaded goes on identically.
///
/// A row of weight 0 takes a place in the buffer and moves nothing. Sparse rows are
/// buffered as their entries; the centers are dense.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MiniBatchKMeans {
    params: MiniBatchKMeansParams,
    d: Option<usize>,
    centers: Vec<f64>,
    counts: Vec<f64>,
    pending: Pending,
    n_steps: u64,
}

impl MiniBatchKMeans {
    /// The hyper-parameters.
    pub fn params(&self) -> &MiniBatchKMeansParams {
        &self.params
    }

    /// The centers, one row per cluster (none before the first step).
    pub fn cluster_centers(&self) -> ArrayView2<'_, f64> {
        points_view(&self.centers, self.d)
    }

    /// The weight each center has taken so far.
    pub fn counts(&self) -> &[f64] {
        &self.counts
    }

    /// The rows buffered for the next step.
    pub fn n_pending(&self) -> usize {
        self.pending.len()
    }

    /// The steps run so far (scikit-learn's `n_steps_`).
    pub fn n_steps(&self) -> u64 {
        self.n_steps
    }

    /// Runs the step on the rows buffered so far, if any. Before the centers exist, that
    /// needs at least `n_clusters` buffered rows: fewer is an error that names `n_clusters`
    /// and leaves the model as it was.
    pub fn flush(&mut self) -> Result<()> {
        if self.pending.len() == 0 {
            return Ok(());
        }
        if self.centers.is_empty() && self.pending.len() < self.params.n_clusters {
            return Err(Error::param(
                "n_clusters",
                format!(
                    "{} clusters need at least {} rows; {} have been seen",
                    self.params.n_clusters,
                    self.params.n_clusters,
                    self.pending.len()
                ),
            ));
        }
        self.step();
        Ok(())
    }

    /// Buffers a checked row, and runs the step when the buffer is full.
    fn push(&mut self, x: Row<'_>, w: f64) {
        self.d = Some(x.dim());
        self.pending.push(x, w);
        if self.pending.len() >= self.params.batch_size {
            self.step();
        }
    }

    /// The centers chosen on the first batch.
    fn initialise(&mut self, d: usize) {
        let k = self.params.n_clusters;
        let unweighted = Unweighted(&self.pending);
        let rows: &dyn Rows = if positive_rows(&self.pending) >= k {
            &self.pending
        } else {
            &unweighted
        };
        let runs = if self.params.init == KMeansInit::FirstRows {
            1
        } else {
            self.params.n_init
        };
        let mut draws = Draws::new(self.params.seed);
        let mut best: Option<(Vec<f64>, f64)> = None;
        for _ in 0..runs {
            let mut run = Draws::new(draws.next_u64());
            let c = initial_centers(self.params.init, rows, k, d, &mut run);
            let inertia = inertia_of(rows, &c, d);
            if best.as_ref().is_none_or(|b| inertia < b.1) {
                best = Some((c, inertia));
            }
        }
        self.centers = best.expect("at least one initialisation").0;
        self.counts = vec![0.0; k];
    }

    /// One step on the buffered rows (see the type's documentation), then an empty buffer.
    fn step(&mut self) {
        let d = self.pending.dim;
        if self.centers.is_empty() {
            self.initialise(d);
        }
        let k = self.params.n_clusters;
        let mut sums = vec![0.0; k * d];
        let mut weight = vec![0.0; k];
        let blocks = tidewater_core::kernels::CenterBlocks::new(&self.centers, d);
        for j in 0..self.pending.len() {
            let x = self.pending.row(j);
            let w = self.pending.weights[j];
            let (c, _) = match x {
                Row::Dense(v) if v.len() == d => blocks.nearest(v),
                x => nearest(x, &self.centers, d),
            };
            x.axpy_into(w, &mut sums[c * d..(c + 1) * d]);
            weight[c] += w;
        }
        for c in 0..k {
            let wc = weight[c];
            if wc <= 0.0 {
                continue;
            }
            let center = &mut self.centers[c * d..(c + 1) * d];
            let s = &sums[c * d..(c + 1) * d];
            let n = self.counts[c];
            match self.params.halflife {
                None => {
                    let inv = 1.0 / (n + wc);
                    for (v, &s) in center.iter_mut().zip(s) {
                        *v = (n * *v + s) * inv;
                    }
                }
                Some(h) => {
                    let inv = 1.0 / wc;
                    for (v, &s) in center.iter_mut().zip(s) {
                        *v += h * (s * inv - *v);
                    }
                }
            }
            self.counts[c] = n + wc;
        }
        self.pending.clear();
        self.n_steps = self.n_steps.saturating_add(1);
    }
}

impl Clusterer for MiniBatchKMeans {
    fn n_features(&self) -> Option<usize> {
        self.d
    }

    fn n_clusters(&self) -> usize {
        if self.centers.is_empty() {
            0
        } else {
            self.params.n_clusters
        }
    }

    fn check_row(&self, x: Row<'_>) -> Result<()> {
        check_clusterer_row(x, self.d)
    }

    fn learn_one(&mut self, x: Row<'_>, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        let w = check_weight(weight)?;
        self.push(x, w);
        Ok(())
    }

    /// The row loop, with every row and weight checked once, up front.
    fn learn_many(&mut self, x: Batch<'_>, weights: Option<&[f64]>) -> Result<()> {
        check_batch(x, x.n_rows(), weights, |r| self.check_row(r))?;
        for i in 0..x.n_rows() {
            self.push(x.row(i)?, weights.map_or(1.0, |w| w[i]));
        }
        Ok(())
    }

    /// The nearest center found once, then the row buffered.
    fn predict_then_learn(
        &mut self,
        x: Row<'_>,
        weight: Option<f64>,
        _scratch: &mut Vec<f64>,
    ) -> Result<Option<(usize, f64)>> {
        self.check_row(x)?;
        let w = check_weight(weight)?;
        let scored = match self.d {
            Some(d) if !self.centers.is_empty() => Some(nearest(x, &self.centers, d)),
            _ => None,
        };
        self.push(x, w);
        Ok(scored)
    }

    fn predict_one(&self, x: Row<'_>) -> Result<Option<usize>> {
        self.check_row(x)?;
        Ok(match self.d {
            Some(d) if !self.centers.is_empty() => Some(nearest(x, &self.centers, d).0),
            _ => None,
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
