//! CluStream (Aggarwal, Han, Wang and Yu, 2003): micro-clusters that summarise the stream
//! (cluster feature vectors), kept to a fixed number by deleting old ones or merging close
//! ones, and an offline k-means over them every `time_gap` rows, as River 0.26.1 runs it.

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};
use tidewater_core::pyrandom::PyRandom;
use tidewater_core::row::check_weight;
use tidewater_core::spec::Params;
use tidewater_core::traits::{check_out_len, learn_dataset_clusterer};
use tidewater_core::{
    Build, Clusterer, Dataset, Error, FeatureMatrix, FeatureVector, Fit, Result, Row, Schema,
};

use crate::common::{
    Scratch, check_clusterer_row, distances, nearest, plain_squared_distance,
    plain_squared_distance_dense, points_view, py_pow,
};
use crate::kmeans::KMeansParams;

/// Micro-clusters made room for at the first row, at most (the vectors grow past it).
const RESERVE_MICRO: usize = 1024;
/// The offline step that turns CluStream's micro-clusters into macro clusters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CluStreamOffline {
    /// River's: a fresh incremental k-means (River's `cluster.KMeans`, seeded by `seed`)
    /// starts from `n_macro_clusters` centers drawn from a normal law of mean `mu` and
    /// standard deviation `sigma` (Python's `random.gauss`, draw for draw), and learns each
    /// micro-cluster's center once, in order, moving its nearest center by `halflife`
    /// toward it. The micro-clusters' weights play no part.
    Incremental,
    /// The paper's: this crate's [`KMeans`](crate::KMeans) on the micro-clusters' centers,
    /// each weighted by its micro-cluster's weight: Lloyd's iterations from k-means++
    /// (seeded by `seed`) at the first step, and from the previous step's macro centers
    /// afterwards, so that a cluster keeps its number while the stream moves (k-means++
    /// afresh at every step would renumber the clusters at random). Needs
    /// `max_micro_clusters >= n_macro_clusters`.
    Lloyd,
}

tidewater_core::param_choices!(CluStreamOffline {
    Incremental => "incremental",
    Lloyd => "lloyd",
});

/// Hyper-parameters of [`CluStream`] (River's names and defaults; `halflife`, `mu` and
/// `sigma` are those of the k-means River passes its keyword arguments to).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "clustream",
    summary = "CluStream: micro-clusters (cluster feature vectors) kept by deleting old ones or merging close ones, macro clusters by k-means over them every time_gap rows (River's CluStream)",
    check = Self::check,
    row_loop_fit
)]
pub struct CluStreamParams {
    /// Number of macro clusters (the k of the offline k-means); times the number of features, at most 2^24.
    #[param(default = 5, ge = 1)]
    pub n_macro_clusters: usize,
    /// Number of micro-clusters kept (the first rows each start one).
    #[param(default = 100, ge = 1)]
    pub max_micro_clusters: usize,
    /// A row joins its nearest micro-cluster when nearer than this many times the micro-cluster's mean deviation.
    #[param(default = 2.0, gt = 0)]
    pub micro_cluster_r_factor: f64,
    /// Horizon h in rows: a micro-cluster whose relevance stamp is older than now - h is replaced by a new one before any merge.
    #[param(default = 1000)]
    pub time_window: u64,
    /// Rows between two offline steps (new macro clusters).
    #[param(default = 100, ge = 1)]
    pub time_gap: u64,
    /// Seed of the offline k-means (each step starts from the same draws); none draws one from the operating system.
    #[param(default = None)]
    pub seed: Option<u64>,
    /// Incremental offline k-means: how far a center moves toward each micro-cluster it takes.
    #[param(default = 0.5, gt = 0, le = 1)]
    pub halflife: f64,
    /// Incremental offline k-means: mean of the normal law the starting centers are drawn from.
    #[param(default = 0.0)]
    pub mu: f64,
    /// Incremental offline k-means: standard deviation of the normal law the starting centers are drawn from.
    #[param(default = 1.0, ge = 0)]
    pub sigma: f64,
    /// The offline step: incremental (River's one pass from random centers) or lloyd (weighted k-means++ and Lloyd, the paper's).
    #[param(default = CluStreamOffline::Incremental)]
    pub offline: CluStreamOffline,
}

impl CluStreamParams {
    fn check(&self) -> Result<()> {
        if self.offline == CluStreamOffline::Lloyd
            && self.n_macro_clusters > self.max_micro_clusters
        {
            return Err(Error::param(
                "n_macro_clusters",
                format!(
                    "offline=lloyd clusters the micro-clusters: n_macro_clusters must be at most max_micro_clusters ({}), got {}",
                    self.max_micro_clusters, self.n_macro_clusters
                ),
            ));
        }
        Ok(())
    }
}

impl Build for CluStreamParams {
    type Model = CluStream;
    /// An empty model; without a `seed`, one is drawn from the operating system now, and kept.
    fn build(&self) -> Result<CluStream> {
        self.validate()?;
        Ok(CluStream {
            params: self.clone(),
            seed: self.seed.unwrap_or_else(rand::random),
            d: None,
            seen: 0,
            micro: Micro::default(),
            initial: Vec::new(),
            macro_centers: Vec::new(),
            scratch: Scratch::default(),
        })
    }
}

impl Fit for CluStreamParams {
    type Model = CluStream;
    /// The stream path over the data set's rows (and its sample weights), in order: the
    /// macro clusters are those of the last offline step.
    fn fit(&self, data: &Dataset) -> Result<CluStream> {
        let mut m = self.build()?;
        learn_dataset_clusterer(&mut m, data)?;
        Ok(m)
    }
}

/// The micro-clusters' cluster feature vectors, in Welford's form (River's `stats.Var`):
/// per micro-cluster its weight `n`, and per feature and for the time stamps a mean and a
/// sum of squared deviations (`n` the same for all, since every row updates them all).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Micro {
    weight: Vec<f64>,
    /// `len * d` values.
    mean: Vec<f64>,
    m2: Vec<f64>,
    time_mean: Vec<f64>,
    time_m2: Vec<f64>,
}

/// River's `Var.update` (with its `Mean.update`) of `(mean, m2)` by `x` of weight `w`, the
/// weight going from `n` to `n_new = n + w`.
#[inline]
fn welford(mean: &mut f64, m2: &mut f64, x: f64, w: f64, n_new: f64) {
    let old = *mean;
    *mean = old + (w / n_new) * (x - old);
    *m2 += w * (x - old) * (x - *mean);
}

/// River's `Var.__iadd__` of `(mb, sb)` (weight `nb`) into `(ma, sa)` (weight `na`).
#[inline]
fn merge(ma: &mut f64, sa: &mut f64, na: f64, mb: f64, sb: f64, nb: f64) {
    *sa = *sa + sb + py_pow(*ma - mb, 2.0) * na * nb / (na + nb);
    *ma = (na * *ma + nb * mb) / (na + nb);
}

/// River's variance with one degree of freedom (0 up to a weight of 1).
#[inline]
fn variance(m2: f64, n: f64) -> f64 {
    if n > 1.0 { m2 / (n - 1.0) } else { 0.0 }
}

/// River's series for the inverse error function (the first seven terms of its Maclaurin
/// series), used for the relevance stamp.
fn inverse_error(x: f64) -> f64 {
    let z = std::f64::consts::PI.sqrt() * x;
    let mut res = x / 2.0;
    let z2 = z * z;
    let mut zprod = z2 * z;
    res += (1.0 / 24.0) * zprod;
    zprod *= z2;
    res += (7.0 / 960.0) * zprod;
    zprod *= z2;
    res += (127.0 * zprod) / 80640.0;
    zprod *= z2;
    res += (4369.0 * zprod) / 11_612_160.0;
    zprod *= z2;
    res += (34807.0 * zprod) / 364_953_600.0;
    zprod *= z2;
    res += (20_036_983.0 * zprod) / 797_058_662_400.0;
    res
}

impl Micro {
    fn len(&self) -> usize {
        self.weight.len()
    }

    fn center(&self, p: usize, d: usize) -> &[f64] {
        &self.mean[p * d..(p + 1) * d]
    }

    /// Room for `m` micro-clusters of `d` features (at most [`RESERVE_MICRO`] at the first
    /// row), if the allocator gives it (otherwise
    /// the vectors grow as they fill).
    fn reserve(&mut self, m: usize, d: usize) {
        let md = m.saturating_mul(d);
        let _ = self.weight.try_reserve(m);
        let _ = self.time_mean.try_reserve(m);
        let _ = self.time_m2.try_reserve(m);
        let _ = self.mean.try_reserve(md);
        let _ = self.m2.try_reserve(md);
    }

    /// Adds `x` (weight `w`, time `t`) to micro-cluster `p`.
    fn insert(&mut self, p: usize, x: &[f64], w: f64, t: f64) {
        let d = x.len();
        let n_new = self.weight[p] + w;
        welford(&mut self.time_mean[p], &mut self.time_m2[p], t, w, n_new);
        let mean = &mut self.mean[p * d..(p + 1) * d];
        let m2 = &mut self.m2[p * d..(p + 1) * d];
        for ((m, s), &v) in mean.iter_mut().zip(m2.iter_mut()).zip(x) {
            welford(m, s, v, w, n_new);
        }
        self.weight[p] = n_new;
    }

    /// Makes micro-cluster `p` (or a new one at the end, `p == len`) the one of `x` alone.
    fn start(&mut self, p: usize, x: &[f64], w: f64, t: f64) {
        let d = x.len();
        if p == self.len() {
            self.weight.push(0.0);
            self.mean.resize((p + 1) * d, 0.0);
            self.m2.resize((p + 1) * d, 0.0);
            self.time_mean.push(0.0);
            self.time_m2.push(0.0);
        } else {
            self.weight[p] = 0.0;
            self.mean[p * d..(p + 1) * d].fill(0.0);
            self.m2[p * d..(p + 1) * d].fill(0.0);
            self.time_mean[p] = 0.0;
            self.time_m2[p] = 0.0;
        }
        self.insert(p, x, w, t);
    }

    /// Merges micro-cluster `b` into `a`.
    fn merge(&mut self, a: usize, b: usize, d: usize) {
        let (na, nb) = (self.weight[a], self.weight[b]);
        let (tm, ts) = (self.time_mean[b], self.time_m2[b]);
        merge(&mut self.time_mean[a], &mut self.time_m2[a], na, tm, ts, nb);
        for j in 0..d {
            let (mb, sb) = (self.mean[b * d + j], self.m2[b * d + j]);
            let (ma, sa) = (&mut self.mean[a * d + j], &mut self.m2[a * d + j]);
            merge(ma, sa, na, mb, sb, nb);
        }
        self.weight[a] = na + nb;
    }

    /// River's mean deviation of micro-cluster `p`: the mean over features of the standard
    /// deviations.
    fn deviation(&self, p: usize, d: usize) -> f64 {
        let n = self.weight[p];
        let mut sum = 0.0;
        for &s in &self.m2[p * d..(p + 1) * d] {
            sum += variance(s, n).sqrt();
        }
        sum / d as f64
    }

    /// River's relevance stamp of micro-cluster `p`: the mean time of its rows, or, once it
    /// holds at least `2 max` rows, the time of its `max / (2 n)` quantile under a normal law.
    fn relevance(&self, p: usize, max: usize) -> f64 {
        let (n, mu) = (self.weight[p], self.time_mean[p]);
        if n < (2 * max) as f64 {
            return mu;
        }
        let sigma = variance(self.time_m2[p], n).sqrt();
        let z = max as f64 / (2.0 * n);
        mu + sigma * (2f64.sqrt() * inverse_error(2.0 * z - 1.0))
    }
}

/// CluStream, River 0.26.1's algorithm step for step, so a stream gives River's clusters.
///
/// **Micro-clusters.** Each keeps its cluster feature vector in Welford's form (River's): its
/// weight, and the mean and the sum of squared deviations of every feature and of the time
/// stamps of its rows (the same information as the paper's sums and sums of squares). The
/// time stamp of a row is the number of rows learned before it.
///
/// **Learning a row** `x` (time `t`):
/// 1. The first `max_micro_clusters` rows each start a micro-cluster (whose time stamp is
///    `max_micro_clusters - 1`, River's).
/// 2. Afterwards, `x` joins its nearest micro-cluster (Euclidean distance to the means, the
///    first on ties) when nearer than its radius: `micro_cluster_r_factor` times its mean
///    deviation (the mean over features of the standard deviations, one degree of freedom),
///    or, for a micro-cluster of weight 1, the distance to the nearest other micro-cluster.
/// 3. Otherwise `x` starts a micro-cluster in place of the first one (in order) whose
///    relevance stamp is older than `t - time_window` (the mean time of its rows, or, for
///    one of at least `2 max_micro_clusters` weight, River's quantile `max / (2 n)` of a
///    normal law of its times); if none is that old, the two nearest micro-clusters merge
///    (the later one takes the earlier one, whose place `x` then takes).
/// 4. After every `time_gap` rows (when `t % time_gap == time_gap - 1`, from the end of
///    step 1 on) the offline step runs on the micro-clusters' means: see
///    [`CluStreamOffline`] (River's incremental k-means by default).
///
/// **Predictions.** `predict_one(x)` is River's: the macro cluster of `x`'s nearest
/// micro-cluster (the macro center nearest that micro-cluster's mean, by the offline
/// k-means' rule), so it can differ from the nearest macro center to `x` itself; `None`
/// before the first offline step (River says 0). `distances_into` gives the Euclidean
/// distances from `x` to the `n_macro_clusters` macro centers.
///
/// **Where this differs from River.** A row of weight 0 changes nothing (River fails on one
/// that starts a micro-cluster); other weights are River's. Without a `seed`, River's
/// k-means draws new starting centers at every offline step; here the seed drawn once at
/// `build` is kept, so a saved model goes on identically. River's k-means may measure by a
/// Minkowski power `p`; here it is 2 (Euclidean, River's default). A sparse row is its dense
/// form (River skips absent features). The arithmetic is River's, in River's order (plain
/// sums, the C library's `pow`, Python's Mersenne Twister and Box-Muller draws), so with
/// `offline = incremental` and a seed, results are River's bit for bit on the same platform
/// (`tests/cluster.rs` holds every prediction of two runs to River's).
///
/// **Cost.** A row measures its distance to every micro-cluster; a merge compares every
/// pair of them (`O(m² d)`, as River does). Once the micro-clusters exist, `learn_one`,
/// `predict_one` and `distances_into` allocate nothing with `offline = incremental`; the
/// `lloyd` step builds a data set of the micro-clusters every `time_gap` rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CluStream {
    params: CluStreamParams,
    /// The seed in use (the given one, or the one drawn at `build`).
    seed: u64,
    d: Option<usize>,
    /// Rows learned (River's time stamp of the last row plus 1).
    seen: u64,
    micro: Micro,
    /// The incremental k-means' starting centers (drawn at the first offline step).
    initial: Vec<f64>,
    /// `n_macro_clusters * d` values once the first offline step ran.
    macro_centers: Vec<f64>,
    /// The dense row.
    #[serde(skip)]
    scratch: Scratch<Vec<f64>>,
}

impl CluStream {
    /// The hyper-parameters.
    pub fn params(&self) -> &CluStreamParams {
        &self.params
    }

    /// The seed of the offline k-means (the one drawn at `build` when none was given).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Rows learned so far.
    pub fn n_seen(&self) -> u64 {
        self.seen
    }

    /// The number of micro-clusters (up to `max_micro_clusters`).
    pub fn n_micro_clusters(&self) -> usize {
        self.micro.len()
    }

    /// The micro-clusters' centers (the means of their rows), one row each.
    pub fn micro_cluster_centers(&self) -> ArrayView2<'_, f64> {
        points_view(&self.micro.mean, self.d)
    }

    /// The micro-clusters' weights (the sums of their rows' weights).
    pub fn micro_cluster_weights(&self) -> &[f64] {
        &self.micro.weight
    }

    /// The macro clusters' centers, one row each (none before the first offline step).
    pub fn cluster_centers(&self) -> ArrayView2<'_, f64> {
        points_view(&self.macro_centers, self.d)
    }

    /// The nearest micro-cluster to `x` (the first on ties) and its distance; `(0, inf)`
    /// when no distance is finite.
    fn nearest_micro(&self, x: Row<'_>, d: usize) -> (usize, f64) {
        let mut best = (0, f64::INFINITY);
        for p in 0..self.micro.len() {
            let dist = plain_squared_distance(x, self.micro.center(p, d)).sqrt();
            if dist < best.1 {
                best = (p, dist);
            }
        }
        best
    }

    /// The macro cluster of a micro-cluster's mean, by the offline k-means' rule.
    fn macro_of(&self, center: &[f64], d: usize) -> usize {
        match self.params.offline {
            CluStreamOffline::Incremental => incremental_nearest(&self.macro_centers, center, d),
            CluStreamOffline::Lloyd => nearest(Row::Dense(center), &self.macro_centers, d).0,
        }
    }

    /// Steps 1 to 4 of the type's documentation for a checked row of positive weight.
    fn learn(&mut self, x: Row<'_>, w: f64) {
        let d = x.dim();
        self.d = Some(d);
        let max = self.params.max_micro_clusters;
        let mut xd = std::mem::take(&mut self.scratch.0);
        xd.clear();
        xd.resize(d, 0.0);
        x.write_dense(&mut xd);
        let t = self.seen;
        // Saturates: 2^64 rows are never learned, but a loaded count can say so.
        self.seen = self.seen.saturating_add(1);
        if self.micro.len() < max {
            if self.micro.len() == 0 {
                // Room for the first micro-clusters only: a large `max_micro_clusters` is a
                // bound, not a promise that so many will come.
                self.micro.reserve(max.min(RESERVE_MICRO), d);
            }
            self.micro.start(self.micro.len(), &xd, w, (max - 1) as f64);
            self.scratch.0 = xd;
            return;
        }
        let (c, dist) = self.nearest_micro(Row::Dense(&xd), d);
        let radius = if self.micro.weight[c] == 1.0 {
            let center = self.micro.center(c, d);
            let mut r = f64::INFINITY;
            for q in (0..self.micro.len()).filter(|&q| q != c) {
                r = r.min(plain_squared_distance_dense(self.micro.center(q, d), center).sqrt());
            }
            r
        } else {
            self.micro.deviation(c, d) * self.params.micro_cluster_r_factor
        };
        if dist < radius {
            self.micro.insert(c, &xd, w, t as f64);
        } else {
            self.replace_or_merge(&xd, w, t);
        }
        let gap = self.params.time_gap;
        if t % gap == gap - 1 {
            self.offline(d);
        }
        self.scratch.0 = xd;
    }

    /// Step 3 of the type's documentation.
    fn replace_or_merge(&mut self, x: &[f64], w: f64, t: u64) {
        let d = x.len();
        let max = self.params.max_micro_clusters;
        // Exact below 2^53 (as Python's comparison of a float with an integer).
        let threshold = t as f64 - self.params.time_window as f64;
        if let Some(p) = (0..self.micro.len()).find(|&p| self.micro.relevance(p, max) < threshold) {
            self.micro.start(p, x, w, t as f64);
            return;
        }
        let (mut a, mut b, mut min) = (0, 0, f64::INFINITY);
        for i in 0..self.micro.len() {
            for j in 0..i {
                let dist =
                    plain_squared_distance_dense(self.micro.center(i, d), self.micro.center(j, d))
                        .sqrt();
                if dist < min {
                    (a, b, min) = (i, j, dist);
                }
            }
        }
        if a != b {
            self.micro.merge(a, b, d);
        }
        self.micro.start(b, x, w, t as f64);
    }

    /// Step 4: new macro centers from the micro-clusters.
    fn offline(&mut self, d: usize) {
        let k = self.params.n_macro_clusters;
        match self.params.offline {
            CluStreamOffline::Incremental => {
                if self.initial.len() != k * d {
                    self.initial =
                        gaussian_centers(self.seed, k * d, self.params.mu, self.params.sigma);
                }
                self.macro_centers.clear();
                self.macro_centers.extend_from_slice(&self.initial);
                let h = self.params.halflife;
                for p in 0..self.micro.len() {
                    let x = self.micro.center(p, d);
                    let c = incremental_nearest(&self.macro_centers, x, d);
                    for (v, &xj) in self.macro_centers[c * d..(c + 1) * d].iter_mut().zip(x) {
                        *v += h * (xj - *v);
                    }
                }
            }
            CluStreamOffline::Lloyd => {
                let m = self.micro.len();
                let Ok(x) = Array2::from_shape_vec((m, d), self.micro.mean.clone()) else {
                    return;
                };
                let schema = Schema::numeric((0..d).map(|j| format!("x{j}")).collect(), vec![]);
                // The micro-clusters' weights are positive and finite, and there are at
                // least n_macro_clusters of them (checked with the parameters), so k-means
                // takes them; should a weight overflow, the previous centers stay.
                // The first step starts from k-means++; later ones from the previous macro
                // centers, so that cluster numbers keep their meaning as the stream goes.
                let mut params = KMeansParams::default().n_clusters(k).seed(self.seed);
                if self.macro_centers.len() == k * d {
                    params = params.initial_centers(
                        self.macro_centers
                            .chunks_exact(d)
                            .map(<[f64]>::to_vec)
                            .collect(),
                    );
                }
                let fitted = Dataset::new(FeatureMatrix::Dense(x), vec![], schema)
                    .and_then(|ds| ds.with_weights(self.micro.weight.clone()))
                    .and_then(|ds| params.fit(&ds));
                if let Ok(km) = fitted {
                    self.macro_centers.clear();
                    self.macro_centers
                        .extend(km.cluster_centers().iter().copied());
                }
            }
        }
    }
}

/// River's `KMeans.predict_one`: the center of least `sum_j |c_j - x_j| ** 2` (Python's
/// power, a plain sum; the first on ties).
fn incremental_nearest(centers: &[f64], x: &[f64], d: usize) -> usize {
    let mut best = (0, f64::INFINITY);
    for (c, center) in centers.chunks_exact(d).enumerate() {
        let mut s = 0.0;
        for (&cj, &xj) in center.iter().zip(x) {
            s += py_pow((cj - xj).abs(), 2.0);
        }
        if s < best.1 {
            best = (c, s);
        }
    }
    best.0
}

/// River's `KMeans` starting centers: `n` draws of Python's `random.Random(seed).gauss(mu,
/// sigma)`, center after center, feature after feature (the order its dictionaries take
/// them in on the first row).
fn gaussian_centers(seed: u64, n: usize, mu: f64, sigma: f64) -> Vec<f64> {
    let mut rng = PyRandom::new(seed);
    let mut out = Vec::with_capacity(n + 1);
    while out.len() < n {
        let (a, b) = rng.gauss_pair();
        out.push(mu + a * sigma);
        out.push(mu + b * sigma);
    }
    out.truncate(n);
    out
}

/// The most values the macro centers may hold (`n_macro_clusters` × features): 2^24, 128 MiB.
/// Every offline step draws and moves that many values and every prediction reads them, so a
/// model past it is a mistyped parameter rather than a use; refusing it on the first row is a
/// clear error where the allocation would end the process.
const MAX_CENTER_VALUES: usize = 1 << 24;

/// Refuses `k` macro clusters of `d` features past [`MAX_CENTER_VALUES`].
fn check_center_values(k: usize, d: usize) -> Result<()> {
    if k.saturating_mul(d) > MAX_CENTER_VALUES {
        return Err(Error::param(
            "n_macro_clusters",
            format!(
                "{k} macro clusters of {d} features would hold {} center values, more than \
                 2^24 ({MAX_CENTER_VALUES})",
                k.saturating_mul(d)
            ),
        ));
    }
    Ok(())
}

impl tidewater_core::check::CheckState for CluStream {
    /// At most `max_micro_clusters` micro-clusters, each a weight, `dim` means and second
    /// moments, a time mean and second moment (moments and weights not negative); the macro
    /// centers whole rows of `dim`; nothing NaN.
    fn check_state(&self) -> tidewater_core::check::StateResult {
        use tidewater_core::check::*;
        self.params.check_state()?;
        crate::common::check_width(self.d)?;
        let m = &self.micro;
        let k = m.weight.len();
        ensure(k <= self.params.max_micro_clusters, || {
            format!(
                "micro-clusters: {k}, more than max_micro_clusters {}",
                self.params.max_micro_clusters
            )
        })?;
        ensure(
            self.d.is_some() || k == 0 && self.macro_centers.is_empty(),
            || "clusters without a feature count".into(),
        )?;
        let d = self.d.unwrap_or(1);
        same_len("micro-cluster means", m.mean.len(), k * d)?;
        same_len("micro-cluster second moments", m.m2.len(), k * d)?;
        same_len("micro-cluster time means", m.time_mean.len(), k)?;
        same_len("micro-cluster time second moments", m.time_m2.len(), k)?;
        all_at_least_zero("micro-cluster weights", &m.weight)?;
        all_not_nan("micro-cluster means", m.mean.iter().chain(&m.time_mean))?;
        all_at_least_zero(
            "micro-cluster second moments",
            m.m2.iter().chain(&m.time_m2),
        )?;
        if let Some(d) = self.d {
            check_center_values(self.params.n_macro_clusters, d).map_err(|e| e.to_string())?;
        }
        // Macro centers come from an offline step over micro-clusters, which learning never
        // empties: a prediction goes through a row's nearest micro-cluster.
        ensure(self.macro_centers.is_empty() || k > 0, || {
            "macro centers without any micro-cluster".into()
        })?;
        all_not_nan("initial centers", &self.initial)?;
        crate::common::check_rows("macro centers", &self.macro_centers, d)
    }
}

impl Clusterer for CluStream {
    fn n_features(&self) -> Option<usize> {
        self.d
    }

    fn n_clusters(&self) -> usize {
        match self.d {
            Some(d) if d > 0 => self.macro_centers.len() / d,
            _ => 0,
        }
    }

    fn check_row(&self, x: Row<'_>) -> Result<()> {
        check_clusterer_row(x, self.d)
    }

    fn learn_one(&mut self, x: Row<'_>, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        if self.d.is_none() {
            check_center_values(self.params.n_macro_clusters, x.dim())?;
        }
        let w = check_weight(weight)?;
        if w == 0.0 {
            return Ok(());
        }
        self.learn(x, w);
        Ok(())
    }

    fn predict_one(&self, x: Row<'_>) -> Result<Option<usize>> {
        self.check_row(x)?;
        let Some(d) = self.d else { return Ok(None) };
        if self.macro_centers.is_empty() || self.micro.len() == 0 {
            return Ok(None);
        }
        let (p, _) = self.nearest_micro(x, d);
        Ok(Some(self.macro_of(self.micro.center(p, d), d)))
    }

    fn distances_into(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        self.check_row(x)?;
        check_out_len("distances buffer", self.n_clusters(), out.len())?;
        if let Some(d) = self.d {
            distances(x, &self.macro_centers, d, out);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_micro_cluster_bound_reserves_room_for_a_few_only() {
        // A fuzzed checkpoint's bound made the first row reserve gigabytes (granted lazily
        // by the system, refused under a sanitizer): 2^26 micro-clusters of 2 features
        // would reserve 3.5 GB here.
        let mut m = CluStreamParams {
            max_micro_clusters: 1 << 26,
            ..CluStreamParams::default()
        }
        .build()
        .unwrap();
        m.learn_one(Row::Dense(&[1.0, 2.0]), None).unwrap();
        assert!(m.micro.mean.capacity() <= 2 * RESERVE_MICRO);
        assert!(m.micro.weight.capacity() <= RESERVE_MICRO);
        m.learn_one(Row::Dense(&[3.0, 2.0]), None).unwrap();
        assert_eq!(m.micro.len(), 2);
    }

    fn learn(m: &mut CluStream, rows: &[[f64; 2]]) {
        for x in rows {
            m.learn_one(Row::Dense(x), None).unwrap();
        }
    }

    const RIVER_EXAMPLE: [[f64; 2]; 9] = [
        [1.0, 2.0],
        [1.0, 4.0],
        [1.0, 0.0],
        [-4.0, 2.0],
        [-4.0, 4.0],
        [-4.0, 0.0],
        [5.0, 0.0],
        [5.0, 2.0],
        [5.0, 4.0],
    ];

    #[test]
    fn river_s_docstring_example() {
        // River 0.26.1's CluStream example (seed 0, halflife 0.4): predictions 1, 2, 0.
        let mut m = CluStreamParams::default()
            .n_macro_clusters(3)
            .max_micro_clusters(5)
            .time_gap(3)
            .seed(0)
            .halflife(0.4)
            .build()
            .unwrap();
        learn(&mut m, &RIVER_EXAMPLE);
        assert_eq!(m.predict_one(Row::Dense(&[1.0, 1.0])).unwrap(), Some(1));
        assert_eq!(m.predict_one(Row::Dense(&[-4.0, 3.0])).unwrap(), Some(2));
        assert_eq!(m.predict_one(Row::Dense(&[4.0, 3.5])).unwrap(), Some(0));
        assert_eq!(m.n_clusters(), 3);
        assert_eq!(m.n_micro_clusters(), 5);
    }

    #[test]
    fn no_macro_cluster_before_the_first_offline_step() {
        let mut m = CluStreamParams::default()
            .n_macro_clusters(2)
            .max_micro_clusters(3)
            .time_gap(4)
            .seed(1)
            .build()
            .unwrap();
        // Rows 0..2 start the micro-clusters; the offline step runs after time stamp 3.
        learn(&mut m, &RIVER_EXAMPLE[..3]);
        assert_eq!(m.n_micro_clusters(), 3);
        assert_eq!(m.predict_one(Row::Dense(&[0.0, 0.0])).unwrap(), None);
        assert_eq!(m.n_clusters(), 0);
        assert!(m.distances_into(Row::Dense(&[0.0, 0.0]), &mut []).is_ok());
        learn(&mut m, &RIVER_EXAMPLE[3..4]);
        assert_eq!(m.n_clusters(), 2);
        assert!(m.predict_one(Row::Dense(&[0.0, 0.0])).unwrap().is_some());
    }

    #[test]
    fn micro_clusters_keep_welford_statistics_and_merge_as_river() {
        let mut m = CluStreamParams::default()
            .max_micro_clusters(2)
            .seed(1)
            .build()
            .unwrap();
        learn(&mut m, &[[0.0, 0.0], [10.0, 0.0]]);
        // A row at 1: the nearest micro-cluster has weight 1 and the other is 10 away, so
        // the row joins it.
        learn(&mut m, &[[1.0, 0.0]]);
        assert_eq!(m.micro_cluster_weights(), &[2.0, 1.0]);
        assert_eq!(m.micro_cluster_centers().row(0).to_vec(), vec![0.5, 0.0]);
        // Far from both: no micro-cluster is old (time window 1000), so the two merge into
        // the later one and the row takes the earlier one's place.
        learn(&mut m, &[[100.0, 100.0]]);
        assert_eq!(m.micro_cluster_weights(), &[1.0, 3.0]);
        assert_eq!(
            m.micro_cluster_centers().row(0).to_vec(),
            vec![100.0, 100.0]
        );
        // River 0.26.1 gives these figures for the same rows.
        assert_eq!(
            m.micro_cluster_centers().row(1).to_vec(),
            vec![3.6666666666666665, 0.0]
        );
    }

    #[test]
    fn old_micro_clusters_are_replaced_before_any_merge() {
        // River 0.26.1 on these rows (max_micro_clusters 2, time_window 3): (10, -1) merges
        // the two micro-clusters (none is old yet), and (50, 50) at time 7 replaces the
        // first one, whose relevance stamp (weight 4 = 2 max: the mean time 4.5 minus 1.29
        // times River's quantile term) is older than 7 - 3.
        let mut m = CluStreamParams::default()
            .max_micro_clusters(2)
            .time_window(3)
            .seed(1)
            .build()
            .unwrap();
        learn(
            &mut m,
            &[[0.0, 0.0], [10.0, 0.0], [10.0, 1.0], [10.0, -1.0]],
        );
        assert_eq!(m.micro_cluster_weights(), &[1.0, 3.0]);
        assert_eq!(
            m.micro_cluster_centers().row(1).to_vec(),
            vec![6.666666666666667, 0.3333333333333333]
        );
        learn(&mut m, &[[10.0, 0.5], [10.0, -0.5], [10.0, 0.2]]);
        assert_eq!(m.micro_cluster_weights(), &[4.0, 3.0]);
        assert_eq!(
            m.micro_cluster_centers().row(0).to_vec(),
            vec![10.0, -0.19999999999999998]
        );
        learn(&mut m, &[[50.0, 50.0]]);
        assert_eq!(m.micro_cluster_weights(), &[1.0, 3.0]);
        assert_eq!(m.micro_cluster_centers().row(0).to_vec(), vec![50.0, 50.0]);
    }

    #[test]
    fn lloyd_offline_step_clusters_the_weighted_micro_clusters() {
        let mut m = CluStreamParams::default()
            .n_macro_clusters(2)
            .max_micro_clusters(4)
            .time_gap(8)
            .offline(CluStreamOffline::Lloyd)
            .seed(5)
            .build()
            .unwrap();
        let mut rows = Vec::new();
        for i in 0..8 {
            let e = 0.01 * i as f64;
            rows.push(if i % 2 == 0 {
                [e, 0.0]
            } else {
                [20.0 + e, 20.0]
            });
        }
        learn(&mut m, &rows);
        assert_eq!(m.n_clusters(), 2);
        let mut c: Vec<Vec<f64>> = m
            .cluster_centers()
            .rows()
            .into_iter()
            .map(|r| r.to_vec())
            .collect();
        c.sort_by(|a, b| a[0].total_cmp(&b[0]));
        assert!(c[0][0] < 1.0 && c[1][0] > 19.0, "{c:?}");
        let a = m.predict_one(Row::Dense(&[0.0, 0.0])).unwrap();
        let b = m.predict_one(Row::Dense(&[20.0, 20.0])).unwrap();
        assert!(a.is_some() && b.is_some() && a != b);
        let err = CluStreamParams::default()
            .n_macro_clusters(5)
            .max_micro_clusters(4)
            .offline(CluStreamOffline::Lloyd)
            .build()
            .unwrap_err()
            .to_string();
        assert!(err.contains("n_macro_clusters"), "{err}");
    }

    #[test]
    fn the_starting_centers_are_python_s_gaussians() {
        // random.Random(42).gauss(0, 1) x3, as River's KMeans draws them.
        assert_eq!(
            gaussian_centers(42, 3, 0.0, 1.0),
            vec![
                -0.14409032957792836,
                -0.1729036003315193,
                -0.11131586156766246
            ]
        );
    }

    #[test]
    fn a_row_of_weight_zero_changes_nothing() {
        let mut m = CluStreamParams::default().seed(3).build().unwrap();
        learn(&mut m, &RIVER_EXAMPLE);
        let before = m.clone();
        m.learn_one(Row::Dense(&[9.0, 9.0]), Some(0.0)).unwrap();
        assert_eq!(m, before);
    }

    /// A mistyped cluster count is a named error on the first row, not an allocation that
    /// ends the process (the checkpoint fuzz target found a model file asking for 513,785,716
    /// macro clusters); the model is left as it was.
    #[test]
    fn too_many_center_values_are_refused_on_the_first_row() {
        let mut m = CluStreamParams::default()
            .n_macro_clusters(1 << 22)
            .seed(1)
            .build()
            .unwrap();
        let before = postcard::to_stdvec(&m).unwrap();
        let err = m
            .learn_one(Row::Dense(&[1.0; 8]), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("n_macro_clusters") && err.contains("2^24"),
            "{err}"
        );
        assert_eq!(postcard::to_stdvec(&m).unwrap(), before);
        m.learn_one(Row::Dense(&[1.0; 4]), None).unwrap();
        assert_eq!(m.n_features(), Some(4));
    }

    /// A loaded model with macro centers but no micro-cluster is refused, and predicting with
    /// one built in memory gives no cluster instead of indexing past the micro-clusters (the
    /// checkpoint fuzz target found the panic).
    #[test]
    fn macro_centers_without_micro_clusters_are_refused() {
        use tidewater_core::check::CheckState;
        let mut m = CluStreamParams::default()
            .n_macro_clusters(1)
            .max_micro_clusters(2)
            .time_gap(1)
            .seed(1)
            .build()
            .unwrap();
        for i in 0..5 {
            m.learn_one(Row::Dense(&[1.0, f64::from(i)]), None).unwrap();
        }
        assert!(!m.macro_centers.is_empty());
        m.micro = Micro::default();
        assert!(
            m.check_state()
                .unwrap_err()
                .contains("without any micro-cluster")
        );
        assert_eq!(m.predict_one(Row::Dense(&[1.0, 2.0])).unwrap(), None);
    }

    /// A loaded row count at its maximum does not overflow on the next row (the checkpoint
    /// fuzz target found the panic).
    #[test]
    fn a_row_count_at_its_maximum_saturates() {
        let mut m = CluStreamParams::default().seed(1).build().unwrap();
        m.learn_one(Row::Dense(&[1.0]), None).unwrap();
        m.seen = u64::MAX;
        m.learn_one(Row::Dense(&[2.0]), None).unwrap();
        assert_eq!(m.seen, u64::MAX);
    }
}
