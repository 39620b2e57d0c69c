//! DBSTREAM (Hahsler and Bolaños, 2016): micro-clusters of a fixed radius that fade with
//! time, a shared density graph between them, and macro clusters from its strong edges, as
//! River 0.26.1 runs it.

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};
use tidewater_core::row::check_weight;
use tidewater_core::spec::Params;
use tidewater_core::traits::{check_batch, check_out_len, learn_dataset_clusterer};
use tidewater_core::{Batch, Build, Clusterer, Dataset, FeatureVector, Fit, Result, Row};

use crate::common::{
    Scratch, check_clusterer_row, distances, plain_squared_distance, plain_squared_distance_dense,
    points_view, py_pow,
};

/// Hyper-parameters of [`DBStream`] (River's names and defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "dbstream",
    summary = "DBSTREAM: fading micro-clusters of a fixed radius with a shared density graph; macro clusters are its strongly connected groups (River's DBSTREAM)",
    row_loop_fit
)]
pub struct DBStreamParams {
    /// Radius r of a micro-cluster: a row updates every micro-cluster whose center is nearer than r, and starts a new one when none is.
    #[param(default = 1.0, gt = 0)]
    pub clustering_threshold: f64,
    /// Fading rate λ: a weight seen t rows ago counts 2^(-λ t).
    #[param(default = 0.01, gt = 0)]
    pub fading_factor: f64,
    /// Rows between two clean-ups of weak micro-clusters and weak shared densities.
    #[param(default = 2.0, gt = 0)]
    pub cleanup_interval: f64,
    /// α: two micro-clusters are connected when their shared density exceeds α times their mean weight; also scales the weak shared density.
    #[param(default = 0.3, ge = 0)]
    pub intersection_factor: f64,
    /// Micro-clusters of lower weight are noise: they start no macro cluster (and of weight at most this, join none).
    #[param(default = 1.0, ge = 0)]
    pub minimum_weight: f64,
}

impl Build for DBStreamParams {
    type Model = DBStream;
    fn build(&self) -> Result<DBStream> {
        self.validate()?;
        Ok(DBStream {
            params: self.clone(),
            d: None,
            time: 0,
            micro: Micro::default(),
            shared: Vec::new(),
            macro_centers: Vec::new(),
            macro_weights: Vec::new(),
            scratch: Scratch::default(),
        })
    }
}

impl Fit for DBStreamParams {
    type Model = DBStream;
    /// The stream path over the data set's rows (and its sample weights), in order: DBSTREAM
    /// has no batch algorithm of its own.
    fn fit(&self, data: &Dataset) -> Result<DBStream> {
        let mut m = self.build()?;
        learn_dataset_clusterer(&mut m, data)?;
        Ok(m)
    }
}

/// The micro-clusters, in increasing id (River's dictionary order: a new one takes the
/// largest id plus one, so ids only grow at the end).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Micro {
    ids: Vec<u64>,
    /// `ids.len() * d` values, one center after another.
    centers: Vec<f64>,
    weights: Vec<f64>,
    /// The time of each one's last update.
    last: Vec<u64>,
}

impl Micro {
    fn len(&self) -> usize {
        self.ids.len()
    }

    fn position(&self, id: u64) -> Option<usize> {
        self.ids.binary_search(&id).ok()
    }

    fn center(&self, p: usize, d: usize) -> &[f64] {
        &self.centers[p * d..(p + 1) * d]
    }
}

/// One entry of the shared density graph: the density shared with micro-cluster `j` and
/// the time it was last updated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Shared {
    j: u64,
    value: f64,
    time: u64,
}

/// The shared densities of micro-cluster `i` with micro-clusters of larger id, in the order
/// they were first recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct SharedRow {
    i: u64,
    entries: Vec<Shared>,
}

/// The buffers of one update and one reclustering.
#[derive(Clone, Debug, Default)]
struct Buffers {
    /// The row, dense.
    x: Vec<f64>,
    /// Positions of the row's neighbours.
    neighbours: Vec<usize>,
    /// Their centers before the update.
    before: Vec<f64>,
    /// Ids of the weak micro-clusters of a clean-up.
    weak: Vec<u64>,
    /// Edges of the connectivity graph (positions), then the graph by node.
    edges: Vec<(usize, usize)>,
    starts: Vec<usize>,
    next: Vec<usize>,
    targets: Vec<usize>,
    labels: Vec<usize>,
    /// Whether each macro cluster has taken its first micro-cluster.
    started: Vec<bool>,
    queue: std::collections::VecDeque<usize>,
}

/// No macro cluster label (noise, or not reached yet).
const NONE: usize = usize::MAX;

/// DBSTREAM, River 0.26.1's algorithm step for step, so a stream gives River's clusters.
///
/// **Learning a row** `x` at time `t` (the number of rows learned before it), with radius
/// `r = clustering_threshold` and fading `λ = fading_factor`:
/// 1. Its neighbours are the micro-clusters whose center is nearer than `r` (Euclidean).
///    Without one, `x` starts a micro-cluster of weight 1 centered on it. Otherwise every
///    neighbour, in order, fades its weight to `t` and adds 1 (`w ← w 2^(-λ (t - t_last)) + 1`),
///    moves its center toward `x` by the Gaussian neighbourhood `h = exp(-‖x - c‖² / (2 σ²))`,
///    `σ = r / 3` (`c ← c + h (x - c)`), and adds 1, faded likewise, to the density it
///    shares with every neighbour after it. Then, for every pair of neighbours in order whose
///    new centers are nearer than `r`, both go back to where they were (so micro-clusters do
///    not collapse into one another).
/// 2. Every `cleanup_interval` rows (when `t + 1` is a multiple of it), a micro-cluster whose
///    faded weight is below `2^(-λ cleanup_interval)` is removed with its shared densities,
///    and a shared density below `intersection_factor` times that is set to 0.
///
/// **Macro clusters** (recomputed after every update, so the predictions always see the
/// micro-clusters as they stand; River reclusters lazily, which gives the same result): two
/// micro-clusters, both of weight above `minimum_weight`, are connected when their shared
/// density exceeds `intersection_factor` times their mean weight. Taking the micro-clusters
/// in order, each one not labelled yet and of weight at least `minimum_weight` starts the
/// next macro cluster, which takes every micro-cluster reached from it along connections
/// toward larger ids through micro-clusters not labelled yet (River's search: the graph
/// keeps each connection once, from the smaller id). A macro cluster's center is the
/// weighted mean of its micro-clusters' centers (River's pairwise merge, in order). The
/// weights used here are as of each micro-cluster's last update, not faded to now (River's).
///
/// `predict_one` gives the macro cluster of the nearest center (`None` while there is none:
/// River says 0); `distances_into` the Euclidean distances to the macro centers, whose
/// number (`n_clusters`) changes as the stream goes. Cluster numbers are given afresh by
/// every reclustering, in the order of the micro-clusters that start them.
///
/// **Where this differs from River.** River's `learn_one` ignores the sample weight; here a
/// row of weight `w` counts `w` where River counts 1 (a new micro-cluster's weight, the
/// increment of a neighbour's weight and of a shared density), and a row of weight 0
/// changes nothing (it does not advance the time either). When every micro-cluster has been
/// cleaned up (possible with `cleanup_interval < 1` or small weights), River keeps the macro
/// clusters of its last reclustering; here there are then none. River stores rows as
/// dictionaries and skips absent features; a sparse row here is its dense form (absent
/// features are zeros). The arithmetic is River's, in River's order (plain sums, the C
/// library's `pow` and `exp`), so the results are River's bit for bit on the same platform
/// (`tests/cluster.rs` holds every prediction of two runs to River's).
///
/// **Cost.** Each row measures its distance to every micro-cluster (no index), and the
/// reclustering after it walks the shared density graph; a new micro-cluster or a new
/// shared density grows a vector now and then, so `learn_one` allocates occasionally.
/// `predict_one` and `distances_into` allocate nothing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DBStream {
    params: DBStreamParams,
    d: Option<usize>,
    /// River's `_time_stamp`: rows learned so far.
    time: u64,
    micro: Micro,
    /// The shared density graph, rows in the order they were first recorded (River's
    /// dictionary order, on which its clean-up depends).
    shared: Vec<SharedRow>,
    macro_centers: Vec<f64>,
    macro_weights: Vec<f64>,
    #[serde(skip)]
    scratch: Scratch<Buffers>,
}

impl DBStream {
    /// The hyper-parameters.
    pub fn params(&self) -> &DBStreamParams {
        &self.params
    }

    /// Rows learned so far (River's time stamp).
    pub fn time(&self) -> u64 {
        self.time
    }

    /// The number of micro-clusters.
    pub fn n_micro_clusters(&self) -> usize {
        self.micro.len()
    }

    /// The micro-clusters' ids, increasing (River's keys).
    pub fn micro_cluster_ids(&self) -> &[u64] {
        &self.micro.ids
    }

    /// The micro-clusters' centers, one row each, in id order.
    pub fn micro_cluster_centers(&self) -> ArrayView2<'_, f64> {
        points_view(&self.micro.centers, self.d)
    }

    /// The micro-clusters' weights as of their last update, in id order.
    pub fn micro_cluster_weights(&self) -> &[f64] {
        &self.micro.weights
    }

    /// The macro clusters' centers, one row per cluster.
    pub fn cluster_centers(&self) -> ArrayView2<'_, f64> {
        points_view(&self.macro_centers, self.d)
    }

    /// The macro clusters' weights (the sums of their micro-clusters' weights).
    pub fn cluster_weights(&self) -> &[f64] {
        &self.macro_weights
    }

    /// `2^(-λ dt)`.
    fn fade(&self, dt: u64) -> f64 {
        py_pow(2.0, -self.params.fading_factor * dt as f64)
    }

    /// Step 1 of the type's documentation for a checked row of positive weight.
    fn update(&mut self, x: Row<'_>, w: f64) {
        let d = x.dim();
        self.d = Some(d);
        let t = self.time;
        let r = self.params.clustering_threshold;
        let mut buf = std::mem::take(&mut self.scratch.0);
        buf.x.clear();
        buf.x.resize(d, 0.0);
        x.write_dense(&mut buf.x);
        buf.neighbours.clear();
        for p in 0..self.micro.len() {
            let c = self.micro.center(p, d);
            if plain_squared_distance_dense(c, &buf.x).sqrt() < r {
                buf.neighbours.push(p);
            }
        }
        if buf.neighbours.is_empty() {
            let id = self.micro.ids.last().map_or(0, |&i| i + 1);
            self.micro.ids.push(id);
            self.micro.centers.extend_from_slice(&buf.x);
            self.micro.weights.push(w);
            self.micro.last.push(t);
        } else {
            buf.before.clear();
            for &p in &buf.neighbours {
                buf.before.extend_from_slice(self.micro.center(p, d));
            }
            let sigma = r / 3.0;
            let two_sigma2 = 2.0 * (sigma * sigma);
            for (a, &p) in buf.neighbours.iter().enumerate() {
                let faded = self.fade(t - self.micro.last[p]);
                self.micro.weights[p] = self.micro.weights[p] * faded + w;
                let c = &mut self.micro.centers[p * d..(p + 1) * d];
                let dist = plain_squared_distance_dense(&buf.x, c).sqrt();
                let h = (-(dist * dist) / two_sigma2).exp();
                for (cj, &xj) in c.iter_mut().zip(&buf.x) {
                    *cj += h * (xj - *cj);
                }
                self.micro.last[p] = t;
                let i = self.micro.ids[p];
                for &q in &buf.neighbours[a + 1..] {
                    let j = self.micro.ids[q];
                    self.add_shared(i, j, t, w);
                }
            }
            let n = buf.neighbours.len();
            for a in 0..n {
                for b in a + 1..n {
                    let (p, q) = (buf.neighbours[a], buf.neighbours[b]);
                    let dist = plain_squared_distance_dense(
                        self.micro.center(p, d),
                        self.micro.center(q, d),
                    )
                    .sqrt();
                    if dist < r {
                        self.micro.centers[p * d..(p + 1) * d]
                            .copy_from_slice(&buf.before[a * d..(a + 1) * d]);
                        self.micro.centers[q * d..(q + 1) * d]
                            .copy_from_slice(&buf.before[b * d..(b + 1) * d]);
                    }
                }
            }
        }
        self.time = t + 1;
        self.scratch.0 = buf;
    }

    /// Adds `w` to the density shared by micro-clusters `i < j` at time `t`, faded from its
    /// last update (a new entry starts at `w`).
    fn add_shared(&mut self, i: u64, j: u64, t: u64, w: f64) {
        let fading = self.params.fading_factor;
        let row = match self.shared.iter().position(|s| s.i == i) {
            Some(k) => &mut self.shared[k],
            None => {
                self.shared.push(SharedRow {
                    i,
                    entries: Vec::new(),
                });
                self.shared.last_mut().expect("just pushed")
            }
        };
        match row.entries.iter_mut().find(|e| e.j == j) {
            Some(e) => {
                e.value = e.value * py_pow(2.0, -fading * (t - e.time) as f64) + w;
                e.time = t;
            }
            None => row.entries.push(Shared {
                j,
                value: w,
                time: t,
            }),
        }
    }

    /// Step 2 of the type's documentation, when the time has come.
    fn maybe_cleanup(&mut self) {
        let ci = self.params.cleanup_interval;
        if (self.time as f64) % ci != 0.0 {
            return;
        }
        let t = self.time;
        let fading = self.params.fading_factor;
        let weak_weight = py_pow(2.0, -fading * ci);
        let mut buf = std::mem::take(&mut self.scratch.0);
        buf.weak.clear();
        for p in 0..self.micro.len() {
            if self.micro.weights[p] * self.fade(t - self.micro.last[p]) < weak_weight {
                buf.weak.push(self.micro.ids[p]);
            }
        }
        if !buf.weak.is_empty() {
            self.remove_micro(&buf.weak);
            for &i in &buf.weak {
                self.shared.retain(|s| s.i != i);
                // River drops `i` from the rows of smaller ids, scanning the rows in the
                // order they were recorded and stopping at the first of id `i` or more (it
                // takes that order for increasing ids, which it need not be): the same here,
                // so the same entries stay.
                for row in &mut self.shared {
                    if row.i < i {
                        row.entries.retain(|e| e.j != i);
                    } else {
                        break;
                    }
                }
            }
        }
        let threshold = self.params.intersection_factor * weak_weight;
        for row in &mut self.shared {
            for e in &mut row.entries {
                let decay = py_pow(2.0, -fading * (t - e.time) as f64);
                if e.value * decay < threshold {
                    e.value = 0.0;
                    e.time = 0;
                }
            }
        }
        self.scratch.0 = buf;
    }

    /// Removes the micro-clusters of these ids (increasing), keeping the others' order.
    fn remove_micro(&mut self, weak: &[u64]) {
        let d = self.d.unwrap_or(0);
        let m = &mut self.micro;
        let mut keep = 0;
        let mut k = 0;
        for p in 0..m.ids.len() {
            if k < weak.len() && weak[k] == m.ids[p] {
                k += 1;
                continue;
            }
            if keep != p {
                m.ids[keep] = m.ids[p];
                m.weights[keep] = m.weights[p];
                m.last[keep] = m.last[p];
                m.centers.copy_within(p * d..(p + 1) * d, keep * d);
            }
            keep += 1;
        }
        m.ids.truncate(keep);
        m.weights.truncate(keep);
        m.last.truncate(keep);
        m.centers.truncate(keep * d);
    }

    /// The macro clusters of the micro-clusters as they stand (see the type's documentation).
    fn recluster(&mut self) {
        let Some(d) = self.d else { return };
        let minimum = self.params.minimum_weight;
        let alpha = self.params.intersection_factor;
        let m = &self.micro;
        let n = m.len();
        let mut buf = std::mem::take(&mut self.scratch.0);
        // The connectivity graph, from the smaller id to the larger, by node (each node's
        // connections in the order recorded; the order does not change the labels).
        buf.edges.clear();
        for row in &self.shared {
            let Some(p) = m.position(row.i) else { continue };
            let wp = m.weights[p];
            if wp <= minimum {
                continue;
            }
            for e in &row.entries {
                let Some(q) = m.position(e.j) else { continue };
                let wq = m.weights[q];
                if wq <= minimum {
                    continue;
                }
                if e.value / ((wp + wq) / 2.0) > alpha {
                    buf.edges.push((p, q));
                }
            }
        }
        buf.starts.clear();
        buf.starts.resize(n + 1, 0);
        for &(p, _) in &buf.edges {
            buf.starts[p + 1] += 1;
        }
        for p in 0..n {
            buf.starts[p + 1] += buf.starts[p];
        }
        buf.targets.clear();
        buf.targets.resize(buf.edges.len(), 0);
        buf.next.clear();
        buf.next.extend_from_slice(&buf.starts[..n]);
        for &(p, q) in &buf.edges {
            buf.targets[buf.next[p]] = q;
            buf.next[p] += 1;
        }
        // Labels: each unlabelled micro-cluster of enough weight starts a macro cluster.
        buf.labels.clear();
        buf.labels.resize(n, NONE);
        let mut count = 0;
        for p in 0..n {
            if buf.labels[p] != NONE || m.weights[p] < minimum {
                continue;
            }
            buf.labels[p] = count;
            buf.queue.clear();
            buf.queue.extend(
                buf.targets[buf.starts[p]..buf.starts[p + 1]]
                    .iter()
                    .copied(),
            );
            while let Some(q) = buf.queue.pop_front() {
                if buf.labels[q] != NONE {
                    continue;
                }
                buf.labels[q] = count;
                for &o in &buf.targets[buf.starts[q]..buf.starts[q + 1]] {
                    if buf.labels[o] == NONE {
                        buf.queue.push_back(o);
                    }
                }
            }
            count += 1;
        }
        // Centers: the weighted mean of each macro cluster's micro-clusters, merged in order.
        self.macro_centers.clear();
        self.macro_centers.resize(count * d, 0.0);
        self.macro_weights.clear();
        self.macro_weights.resize(count, 0.0);
        buf.started.clear();
        buf.started.resize(count, false);
        for p in 0..n {
            let c = buf.labels[p];
            if c == NONE {
                continue;
            }
            let center = &mut self.macro_centers[c * d..(c + 1) * d];
            let (wp, mc) = (m.weights[p], m.center(p, d));
            if !buf.started[c] {
                buf.started[c] = true;
                center.copy_from_slice(mc);
                self.macro_weights[c] = wp;
            } else {
                let wc = self.macro_weights[c];
                for (v, &x) in center.iter_mut().zip(mc) {
                    *v = (*v * wc + x * wp) / (wc + wp);
                }
                self.macro_weights[c] = wc + wp;
            }
        }
        self.scratch.0 = buf;
    }

    /// The nearest macro center to `x` (the first on ties), by River's distance.
    fn nearest_macro(&self, x: Row<'_>, d: usize) -> Option<usize> {
        let mut best = None;
        let mut min = f64::INFINITY;
        for (c, center) in self.macro_centers.chunks_exact(d).enumerate() {
            let dist = plain_squared_distance(x, center).sqrt();
            if dist < min {
                min = dist;
                best = Some(c);
            }
        }
        best
    }
}

impl tidewater_core::check::CheckState for DBStream {
    /// Micro-cluster ids increasing, a center of `dim`, a weight (not negative) and a last
    /// update time (not after now) each; shared densities not from the future; macro
    /// centers whole rows of `dim` with a weight each; nothing NaN.
    fn check_state(&self) -> tidewater_core::check::StateResult {
        use tidewater_core::check::*;
        self.params.check_state()?;
        crate::common::check_width(self.d)?;
        let m = &self.micro;
        let n = m.ids.len();
        ensure(
            self.d.is_some() || n == 0 && self.macro_weights.is_empty(),
            || "clusters without a feature count".into(),
        )?;
        let d = self.d.unwrap_or(1);
        ensure(m.ids.windows(2).all(|w| w[0] < w[1]), || {
            "micro-cluster ids: not increasing".into()
        })?;
        ensure(m.ids.last().is_none_or(|&i| i < u64::MAX), || {
            "micro-cluster ids: no id left for the next".into()
        })?;
        same_len("micro-cluster centers", m.centers.len(), n * d)?;
        same_len("micro-cluster weights", m.weights.len(), n)?;
        same_len("micro-cluster times", m.last.len(), n)?;
        all_not_nan("micro-cluster centers", &m.centers)?;
        all_at_least_zero("micro-cluster weights", &m.weights)?;
        if let Some(t) = m.last.iter().find(|&&t| t > self.time) {
            return Err(format!(
                "micro-cluster times: {t} after now ({})",
                self.time
            ));
        }
        for row in &self.shared {
            for e in &row.entries {
                ensure(e.time <= self.time, || {
                    format!(
                        "shared density ({}, {}): time {} after now",
                        row.i, e.j, e.time
                    )
                })?;
                ensure(e.value >= 0.0, || {
                    format!(
                        "shared density ({}, {}): {} is below 0 or NaN",
                        row.i, e.j, e.value
                    )
                })?;
            }
        }
        crate::common::check_rows("macro centers", &self.macro_centers, d)?;
        same_len(
            "macro weights",
            self.macro_weights.len(),
            self.macro_centers.len() / d,
        )?;
        all_not_nan("macro weights", &self.macro_weights)
    }
}

impl Clusterer for DBStream {
    fn n_features(&self) -> Option<usize> {
        self.d
    }

    fn n_clusters(&self) -> usize {
        self.macro_weights.len()
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
        self.update(x, w);
        self.maybe_cleanup();
        self.recluster();
        Ok(())
    }

    /// The row loop, with every row and weight checked once, up front, and the macro
    /// clusters computed once, at the end (they depend on the micro-clusters alone, so the
    /// model is the row loop's bit for bit).
    fn learn_many(&mut self, x: Batch<'_>, weights: Option<&[f64]>) -> Result<()> {
        check_batch(x, x.n_rows(), weights, |r| self.check_row(r))?;
        let mut learned = false;
        for i in 0..x.n_rows() {
            let w = weights.map_or(1.0, |w| w[i]);
            if w == 0.0 {
                continue;
            }
            self.update(x.row(i)?, w);
            self.maybe_cleanup();
            learned = true;
        }
        if learned {
            self.recluster();
        }
        Ok(())
    }

    fn predict_one(&self, x: Row<'_>) -> Result<Option<usize>> {
        self.check_row(x)?;
        Ok(self.d.and_then(|d| self.nearest_macro(x, d)))
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

    fn learn(m: &mut DBStream, rows: &[[f64; 2]]) {
        for x in rows {
            m.learn_one(Row::Dense(x), None).unwrap();
        }
    }

    #[test]
    fn river_s_docstring_example() {
        // River 0.26.1's DBSTREAM example: two groups of six points, two macro clusters.
        let mut m = DBStreamParams::default()
            .clustering_threshold(1.5)
            .fading_factor(0.05)
            .cleanup_interval(4.0)
            .intersection_factor(0.5)
            .minimum_weight(1.0)
            .build()
            .unwrap();
        let rows = [
            [1.0, 0.5],
            [1.0, 0.625],
            [1.0, 0.75],
            [1.0, 1.125],
            [1.0, 1.5],
            [1.0, 1.75],
            [4.0, 1.5],
            [4.0, 2.25],
            [4.0, 2.5],
            [4.0, 3.0],
            [4.0, 3.25],
            [4.0, 3.5],
        ];
        learn(&mut m, &rows);
        assert_eq!(m.predict_one(Row::Dense(&[1.0, 2.0])).unwrap(), Some(0));
        assert_eq!(m.predict_one(Row::Dense(&[5.0, 2.0])).unwrap(), Some(1));
        assert_eq!(m.n_clusters(), 2);
    }

    #[test]
    fn a_far_row_starts_a_micro_cluster_and_a_near_one_moves_it() {
        let mut m = DBStreamParams::default().build().unwrap();
        assert_eq!(m.predict_one(Row::Dense(&[0.0, 0.0])).unwrap(), None);
        learn(&mut m, &[[0.0, 0.0]]);
        assert_eq!(m.n_micro_clusters(), 1);
        assert_eq!(m.micro_cluster_weights(), &[1.0]);
        // One macro cluster: a micro-cluster of weight 1 (the minimum) starts one.
        assert_eq!(m.n_clusters(), 1);
        learn(&mut m, &[[0.3, 0.0]]);
        assert_eq!(m.n_micro_clusters(), 1);
        // Faded by 2^(-0.01) over one row, plus 1; moved by exp(-0.09 / (2/9)).
        assert_eq!(m.micro_cluster_weights()[0], py_pow(2.0, -0.01) + 1.0);
        let h = (-(0.3f64 * 0.3) / (2.0 * ((1.0f64 / 3.0) * (1.0 / 3.0)))).exp();
        assert_eq!(m.micro_cluster_centers()[[0, 0]], h * 0.3);
        learn(&mut m, &[[5.0, 5.0]]);
        assert_eq!(m.n_micro_clusters(), 2);
        assert_eq!(m.micro_cluster_ids(), &[0, 1]);
        assert_eq!(m.n_clusters(), 2);
        let mut out = [0.0; 2];
        m.distances_into(Row::Dense(&[5.0, 5.0]), &mut out).unwrap();
        assert_eq!(out[1], 0.0);
        assert_eq!(m.predict_one(Row::Dense(&[4.0, 4.0])).unwrap(), Some(1));
    }

    #[test]
    fn micro_clusters_that_stop_receiving_rows_are_cleaned_up() {
        let mut m = DBStreamParams::default()
            .fading_factor(0.5)
            .build()
            .unwrap();
        learn(&mut m, &[[0.0, 0.0]]);
        for _ in 0..10 {
            learn(&mut m, &[[9.0, 9.0]]);
        }
        // The first one faded below 2^(-0.5 * 2) and was removed; the second stays.
        assert_eq!(m.n_micro_clusters(), 1);
        assert_eq!(m.micro_cluster_ids(), &[1]);
        assert_eq!(m.n_clusters(), 1);
        assert_eq!(m.cluster_centers().row(0).to_vec(), vec![9.0, 9.0]);
    }

    #[test]
    fn shared_density_connects_micro_clusters_into_one_macro_cluster() {
        // Rows alternating between two points 1.2 apart fall within r = 1 of neither
        // center at first, then the midpoint rows update both and build shared density.
        let mut m = DBStreamParams::default()
            .intersection_factor(0.1)
            .build()
            .unwrap();
        let mut rows = Vec::new();
        for _ in 0..30 {
            rows.extend([[0.0, 0.0], [1.2, 0.0], [0.6, 0.0]]);
        }
        learn(&mut m, &rows);
        assert!(m.n_micro_clusters() >= 2, "{}", m.n_micro_clusters());
        assert_eq!(
            m.n_clusters(),
            1,
            "one macro cluster over the connected ones"
        );
        let total: f64 = m.micro_cluster_weights().iter().sum();
        assert_eq!(m.cluster_weights(), &[total]);
    }

    #[test]
    fn a_row_of_weight_zero_changes_nothing() {
        let mut m = DBStreamParams::default().build().unwrap();
        learn(&mut m, &[[0.0, 0.0], [3.0, 0.0]]);
        let before = m.clone();
        m.learn_one(Row::Dense(&[9.0, 9.0]), Some(0.0)).unwrap();
        assert_eq!(m, before);
        assert_eq!(m.time(), 2);
    }
}
