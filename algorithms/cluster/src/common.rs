//! What the models of this crate share: the seeded generator, the nearest-center search, the
//! initialisations and a view of rows with their weights.

use ndarray::ArrayView2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tidewater_core::{Batch, Error, FeatureVector, Result, Row};

/// How the first centers are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KMeansInit {
    /// scikit-learn's greedy k-means++: each next center is the best of `2 + ln k` candidates
    /// drawn with probability proportional to the weighted squared distance to the nearest
    /// center so far (best: the lowest total of those distances once it is added).
    KMeansPlusPlus,
    /// `n_clusters` distinct rows drawn at random (with probability proportional to their
    /// weight, without replacement).
    Random,
    /// The first `n_clusters` rows, in order (to reproduce other tools' runs).
    FirstRows,
}

tidewater_core::param_choices!(KMeansInit {
    KMeansPlusPlus => "k-means++",
    Random => "random",
    FirstRows => "first_rows",
});

/// Draws from ChaCha8 (a portable, pinned stream), with the conversions written here so they
/// do not depend on a `rand` release.
pub(crate) struct Draws(ChaCha8Rng);

impl Draws {
    pub(crate) fn new(seed: u64) -> Self {
        Draws(ChaCha8Rng::seed_from_u64(seed))
    }

    /// A raw 64-bit word.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform on [0, 1): the top 53 bits of a word.
    pub(crate) fn uniform(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in `0..n` (`n` ≥ 1), by multiply and shift.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.0.next_u64()) * n as u128) >> 64) as usize
    }
}

/// Rows with their weights, readable from several threads.
pub(crate) trait Rows: Sync {
    /// Number of rows.
    fn n(&self) -> usize;
    /// Row `i` (`i < n`).
    fn row(&self, i: usize) -> Row<'_>;
    /// The weight of row `i` (1 without weights).
    fn weight(&self, i: usize) -> f64;
}

/// A checked batch: every row was read once (so reading it again cannot fail) and every
/// weight checked.
pub(crate) struct BatchRows<'a> {
    pub(crate) x: Batch<'a>,
    pub(crate) w: Option<&'a [f64]>,
}

impl Rows for BatchRows<'_> {
    fn n(&self) -> usize {
        self.x.n_rows()
    }
    fn row(&self, i: usize) -> Row<'_> {
        self.x
            .row(i)
            .expect("the batch's rows were read when it was checked")
    }
    fn weight(&self, i: usize) -> f64 {
        self.w.map_or(1.0, |w| w[i])
    }
}

/// The nearest of the centers (`k * d` values, row after row) to `x` and its squared
/// distance; the first one on ties.
#[inline]
pub(crate) fn nearest(x: Row<'_>, centers: &[f64], d: usize) -> (usize, f64) {
    if let Row::Dense(v) = x
        && v.len() == d
    {
        return tidewater_core::kernels::nearest_center(v, centers);
    }
    let mut best = (0, f64::INFINITY);
    for (c, center) in centers.chunks_exact(d).enumerate() {
        let s = x.squared_distance(center);
        if s < best.1 {
            best = (c, s);
        }
    }
    best
}

/// Writes the Euclidean distances from `x` to every center into `out`.
pub(crate) fn distances(x: Row<'_>, centers: &[f64], d: usize, out: &mut [f64]) {
    for (o, center) in out.iter_mut().zip(centers.chunks_exact(d)) {
        *o = x.squared_distance(center).sqrt();
    }
}

/// Moves `center` toward `x` by `rate`: `c_j += rate * (x_j - c_j)` for every feature (the
/// absent features of a sparse row are zeros).
pub(crate) fn move_toward(center: &mut [f64], x: Row<'_>, rate: f64) {
    match x {
        Row::Dense(v) => {
            for (c, &v) in center.iter_mut().zip(v) {
                *c += rate * (v - *c);
            }
        }
        Row::Sparse(s) => {
            let mut k = 0;
            let (idx, val) = (s.indices(), s.values());
            for (j, c) in center.iter_mut().enumerate() {
                let v = if k < idx.len() && idx[k] as usize == j {
                    k += 1;
                    val[k - 1]
                } else {
                    0.0
                };
                *c += rate * (v - *c);
            }
        }
    }
}

/// `sum_j (c_j - x_j)^2` in feature order, one plain addition after another, the absent
/// features of a sparse row zeros: River's arithmetic (no lanes, no fused multiply-add), for
/// the models that reproduce River's results bit for bit.
pub(crate) fn plain_squared_distance(x: Row<'_>, c: &[f64]) -> f64 {
    match x {
        Row::Dense(v) => plain_squared_distance_dense(c, v),
        Row::Sparse(s) => {
            let (idx, val) = (s.indices(), s.values());
            let mut k = 0;
            let mut acc = 0.0;
            for (j, &cj) in c.iter().enumerate() {
                let v = if k < idx.len() && idx[k] as usize == j {
                    k += 1;
                    val[k - 1]
                } else {
                    0.0
                };
                let d = cj - v;
                acc += d * d;
            }
            acc
        }
    }
}

/// [`plain_squared_distance`] between two dense vectors of the same length.
pub(crate) fn plain_squared_distance_dense(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = 0.0;
    for (&x, &y) in a.iter().zip(b) {
        let d = x - y;
        acc += d * d;
    }
    acc
}

/// `x ** y` as Python computes it for floats: the C library's `pow`, never folded by the
/// compiler into a multiplication, a square root or an `exp2` (which round differently in the
/// last bit now and then).
#[inline]
pub(crate) fn py_pow(x: f64, y: f64) -> f64 {
    std::hint::black_box(x).powf(std::hint::black_box(y))
}

/// Working buffers a model keeps between calls so that its hot path does not allocate. They
/// are not part of the model: not saved (a loaded model starts with empty ones) and equal
/// whatever they hold.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scratch<T>(pub(crate) T);

impl<T> PartialEq for Scratch<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// The error for a row with no features.
pub(crate) fn no_features() -> Error {
    Error::Empty("rows have no features: there is nothing to cluster".into())
}

/// A clusterer's row check: the width it knows (`d`, once known), finite values, and at
/// least one feature.
pub(crate) fn check_clusterer_row(x: Row<'_>, d: Option<usize>) -> Result<()> {
    x.check(d)?;
    if x.dim() == 0 {
        return Err(no_features());
    }
    Ok(())
}

/// `values` (points of `d` values, one after another) as a matrix, a row per point (none
/// while the width is unknown; a trailing partial point is left out).
pub(crate) fn points_view(values: &[f64], d: Option<usize>) -> ArrayView2<'_, f64> {
    let d = d.unwrap_or(0);
    let k = values.len().checked_div(d).unwrap_or(0);
    ArrayView2::from_shape((k, d), &values[..k * d]).expect("k * d values")
}

/// Number of rows of positive weight.
pub(crate) fn positive_rows(rows: &dyn Rows) -> usize {
    (0..rows.n()).filter(|&i| rows.weight(i) > 0.0).count()
}

/// The index of the first row whose running sum of `mass` exceeds `u`, given the running
/// sums `cum`; the last row of positive mass when rounding leaves none.
fn pick(cum: &[f64], u: f64) -> usize {
    let i = cum.partition_point(|&c| c <= u);
    if i < cum.len() {
        return i;
    }
    // `u` at or beyond the total (rounding): the last row that adds mass.
    (1..cum.len())
        .rev()
        .find(|&i| cum[i] > cum[i - 1])
        .unwrap_or(0)
}

/// Running sums of `f(i)` in row order.
fn running_sums(n: usize, f: impl Fn(usize) -> f64) -> Vec<f64> {
    let mut acc = 0.0;
    (0..n)
        .map(|i| {
            acc += f(i);
            acc
        })
        .collect()
}

/// Squared distances from every row to `center`, or the smaller of that and `floor[i]`; in
/// parallel, one value per row, so the result does not depend on the threads.
fn min_distances(rows: &dyn Rows, center: &[f64], floor: Option<&[f64]>) -> Vec<f64> {
    (0..rows.n())
        .into_par_iter()
        .with_min_len(256)
        .map(|i| {
            let s = rows.row(i).squared_distance(center);
            floor.map_or(s, |f| f[i].min(s))
        })
        .collect()
}

/// `sum_i w_i v_i` in row order.
fn weighted_sum(rows: &dyn Rows, v: &[f64]) -> f64 {
    v.iter().enumerate().map(|(i, &v)| rows.weight(i) * v).sum()
}

fn push_row(centers: &mut Vec<f64>, x: Row<'_>, d: usize) {
    let start = centers.len();
    centers.resize(start + d, 0.0);
    x.write_dense(&mut centers[start..]);
}

/// Greedy k-means++ (scikit-learn's rule with draws from `draws`): `k` centers, `k * d`
/// values. The rows must hold at least one of positive weight.
pub(crate) fn kmeans_plusplus(rows: &dyn Rows, k: usize, d: usize, draws: &mut Draws) -> Vec<f64> {
    let n = rows.n();
    let trials = 2 + (k as f64).ln().floor() as usize;
    let mut centers = Vec::with_capacity(k * d);
    let cum = running_sums(n, |i| rows.weight(i));
    let first = pick(&cum, draws.uniform() * cum[n - 1]);
    push_row(&mut centers, rows.row(first), d);
    let mut closest = min_distances(rows, &centers[..d], None);
    for _ in 1..k {
        let cum = running_sums(n, |i| rows.weight(i) * closest[i]);
        let total = cum[n - 1];
        let mut best: Option<(usize, Vec<f64>, f64)> = None;
        for _ in 0..trials {
            let cand = pick(&cum, draws.uniform() * total);
            let mut c = vec![0.0; d];
            rows.row(cand).write_dense(&mut c);
            let dist = min_distances(rows, &c, Some(&closest));
            let p = weighted_sum(rows, &dist);
            if best.as_ref().is_none_or(|b| p < b.2) {
                best = Some((cand, dist, p));
            }
        }
        let (cand, dist, _) = best.expect("at least two trials");
        push_row(&mut centers, rows.row(cand), d);
        closest = dist;
    }
    centers
}

/// `k` distinct rows at random, with probability proportional to their weight (uniform
/// without weights, by a partial Fisher-Yates shuffle). At least `k` rows must have positive
/// weight.
pub(crate) fn random_rows(rows: &dyn Rows, k: usize, d: usize, draws: &mut Draws) -> Vec<f64> {
    let n = rows.n();
    let uniform = (0..n).all(|i| rows.weight(i) == 1.0);
    let mut chosen = Vec::with_capacity(k);
    if uniform {
        let mut idx: Vec<usize> = (0..n).collect();
        for j in 0..k {
            let r = j + draws.below(n - j);
            idx.swap(j, r);
            chosen.push(idx[j]);
        }
    } else {
        let mut taken = vec![false; n];
        for _ in 0..k {
            let cum = running_sums(n, |i| if taken[i] { 0.0 } else { rows.weight(i) });
            let i = pick(&cum, draws.uniform() * cum[n - 1]);
            taken[i] = true;
            chosen.push(i);
        }
    }
    let mut centers = Vec::with_capacity(k * d);
    for i in chosen {
        push_row(&mut centers, rows.row(i), d);
    }
    centers
}

/// The first `k` rows.
pub(crate) fn first_rows(rows: &dyn Rows, k: usize, d: usize) -> Vec<f64> {
    let mut centers = Vec::with_capacity(k * d);
    for i in 0..k {
        push_row(&mut centers, rows.row(i), d);
    }
    centers
}

/// Initial centers by `init`, drawing from `draws`.
pub(crate) fn initial_centers(
    init: KMeansInit,
    rows: &dyn Rows,
    k: usize,
    d: usize,
    draws: &mut Draws,
) -> Vec<f64> {
    match init {
        KMeansInit::KMeansPlusPlus => kmeans_plusplus(rows, k, d, draws),
        KMeansInit::Random => random_rows(rows, k, d, draws),
        KMeansInit::FirstRows => first_rows(rows, k, d),
    }
}

/// `sum_i w_i min_c ||x_i - c||^2` in row order (the distances in parallel).
pub(crate) fn inertia_of(rows: &dyn Rows, centers: &[f64], d: usize) -> f64 {
    let dist: Vec<f64> = (0..rows.n())
        .into_par_iter()
        .with_min_len(256)
        .map(|i| nearest(rows.row(i), centers, d).1)
        .collect();
    weighted_sum(rows, &dist)
}

/// Checks a list of given centers: `k` of them, each of `d` finite values when `d` is known.
pub(crate) fn check_given_centers(centers: &[Vec<f64>], d: Option<usize>) -> Result<()> {
    let Some(first) = centers.first() else {
        return Err(Error::param("init", "the given initial centers are empty"));
    };
    let d = d.unwrap_or(first.len());
    if d == 0 {
        return Err(Error::param(
            "init",
            "the given initial centers have no features",
        ));
    }
    for (c, center) in centers.iter().enumerate() {
        if center.len() != d {
            return Err(Error::param(
                "init",
                format!(
                    "given initial center {c} has {} features, expected {d}",
                    center.len()
                ),
            ));
        }
        if let Some((j, v)) = center.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::param(
                "init",
                format!("given initial center {c}, feature {j}: value {v} is not finite"),
            ));
        }
    }
    Ok(())
}

/// Checks shared by the clusterers' [`CheckState`](tidewater_core::check::CheckState):
/// `values` holds whole rows of `d` (at least one feature) values, none NaN.
pub(crate) fn check_rows(
    what: &str,
    values: &[f64],
    d: usize,
) -> tidewater_core::check::StateResult {
    use tidewater_core::check::*;
    ensure(d > 0 && values.len().is_multiple_of(d), || {
        format!("{what}: {} values are not whole rows of {d}", values.len())
    })?;
    all_not_nan(what, values)
}

/// The width of a clusterer's rows: none before the first row, then at least one feature.
pub(crate) fn check_width(d: Option<usize>) -> tidewater_core::check::StateResult {
    tidewater_core::check::ensure(d != Some(0), || "dim: 0 features".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_draws_are_pinned() {
        let mut d = Draws::new(42);
        let words: Vec<u64> = (0..3).map(|_| d.next_u64()).collect();
        let mut d = Draws::new(42);
        let u = d.uniform();
        assert_eq!(u, (words[0] >> 11) as f64 / (1u64 << 53) as f64);
        assert_eq!(d.below(10), ((u128::from(words[1]) * 10) >> 64) as usize);
        // ChaCha8 seeded by 42: a change of stream (a rand_chacha release) shows here.
        assert_eq!(
            words,
            [
                12578764544318200737,
                17529487244874322312,
                7886285670807131020
            ]
        );
    }

    #[test]
    fn kmeans_plusplus_spreads_the_centers_and_skips_zero_weights() {
        let x = ndarray::array![[0.0], [1.0], [10.0], [11.0], [100.0]];
        let w = [1.0, 1.0, 1.0, 1.0, 0.0];
        let rows = BatchRows {
            x: Batch::Dense(x.view()),
            w: Some(&w),
        };
        for seed in 0..20 {
            let mut c = kmeans_plusplus(&rows, 2, 1, &mut Draws::new(seed));
            c.sort_by(f64::total_cmp);
            assert!(
                c[0] <= 1.0 && (10.0..=11.0).contains(&c[1]),
                "seed {seed}: {c:?}"
            );
            let mut r = random_rows(&rows, 4, 1, &mut Draws::new(seed));
            r.sort_by(f64::total_cmp);
            assert_eq!(r, vec![0.0, 1.0, 10.0, 11.0]);
        }
        assert_eq!(first_rows(&rows, 2, 1), vec![0.0, 1.0]);
    }
}
