//! Elkan's labelling step for [`KMeans`](crate::KMeans): the labels of Lloyd's step with
//! fewer distances, by triangle-inequality bounds kept per row.

use rayon::prelude::*;
use tidewater_core::FeatureVector;

use crate::common::Rows;

/// A bound prunes a center only when it beats the upper bound by this relative margin, so
/// rounding in the bounds never prunes a center that is as near as the current one: the
/// labels are Lloyd's (the first nearest center) unless two distances agree to within it.
const SLACK: f64 = 1e-9;

/// `a` is at most `b` with room to spare: `a < b (1 - SLACK)`.
#[inline]
fn clearly_below(a: f64, b: f64) -> bool {
    a < b * (1.0 - SLACK)
}

/// Per row, an upper bound on the distance to its labelled center and a lower bound on the
/// distance to every center.
pub(crate) struct Bounds {
    k: usize,
    upper: Vec<f64>,
    lower: Vec<f64>,
}

impl Bounds {
    /// Bounds for `n` rows and `k` centers, set by [`init`](Self::init).
    pub(crate) fn new(n: usize, k: usize) -> Self {
        Bounds {
            k,
            upper: vec![0.0; n],
            lower: vec![0.0; n * k],
        }
    }

    /// Labels every row by all its distances (the first nearest center on ties) and sets
    /// the bounds to the distances.
    pub(crate) fn init(
        &mut self,
        rows: &dyn Rows,
        centers: &[f64],
        d: usize,
        pass_rows: usize,
        labels: &mut [usize],
    ) {
        let k = self.k;
        labels
            .par_chunks_mut(pass_rows)
            .zip(self.upper.par_chunks_mut(pass_rows))
            .zip(self.lower.par_chunks_mut(pass_rows * k))
            .enumerate()
            .for_each(|(t, ((l, u), lo))| {
                for o in 0..l.len() {
                    let x = rows.row(t * pass_rows + o);
                    let mut best = (0, f64::INFINITY);
                    for (c, center) in centers.chunks_exact(d).enumerate() {
                        let s = x.squared_distance(center);
                        lo[o * k + c] = s.sqrt();
                        if s < best.1 {
                            best = (c, s);
                        }
                    }
                    l[o] = best.0;
                    u[o] = best.1.sqrt();
                }
            });
    }

    /// Relabels every row under `centers`, computing only the distances the bounds cannot
    /// rule out; a center replaces the current one when its squared distance is smaller, or
    /// equal with a smaller index (Lloyd's choice).
    pub(crate) fn assign(
        &mut self,
        rows: &dyn Rows,
        centers: &[f64],
        d: usize,
        pass_rows: usize,
        labels: &mut [usize],
    ) {
        let k = self.k;
        // Half the distance between every two centers, and half the distance from each to
        // its nearest other.
        let mut half = vec![0.0; k * k];
        for a in 0..k {
            for c in a + 1..k {
                let h = 0.5
                    * centers[a * d..(a + 1) * d]
                        .squared_distance(&centers[c * d..(c + 1) * d])
                        .sqrt();
                half[a * k + c] = h;
                half[c * k + a] = h;
            }
        }
        let near: Vec<f64> = (0..k)
            .map(|a| {
                (0..k)
                    .filter(|&c| c != a)
                    .map(|c| half[a * k + c])
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        labels
            .par_chunks_mut(pass_rows)
            .zip(self.upper.par_chunks_mut(pass_rows))
            .zip(self.lower.par_chunks_mut(pass_rows * k))
            .enumerate()
            .for_each(|(t, ((l, u), lo))| {
                for o in 0..l.len() {
                    let mut a = l[o];
                    let mut up = u[o];
                    if clearly_below(up, near[a]) {
                        continue;
                    }
                    let x = rows.row(t * pass_rows + o);
                    let lo = &mut lo[o * k..(o + 1) * k];
                    let mut tight = false;
                    let mut a_sq = 0.0;
                    for c in 0..k {
                        if c == a || clearly_below(up, lo[c]) || clearly_below(up, half[a * k + c])
                        {
                            continue;
                        }
                        if !tight {
                            a_sq = x.squared_distance(&centers[a * d..(a + 1) * d]);
                            up = a_sq.sqrt();
                            lo[a] = up;
                            tight = true;
                            if clearly_below(up, lo[c]) || clearly_below(up, half[a * k + c]) {
                                continue;
                            }
                        }
                        let sq = x.squared_distance(&centers[c * d..(c + 1) * d]);
                        let dc = sq.sqrt();
                        lo[c] = dc;
                        if sq < a_sq || (sq == a_sq && c < a) {
                            a = c;
                            a_sq = sq;
                            up = dc;
                        }
                    }
                    l[o] = a;
                    u[o] = up;
                }
            });
    }

    /// Loosens the bounds after the centers moved from `old` to `new`: each row's upper
    /// bound grows by its center's shift, each lower bound shrinks by that center's.
    pub(crate) fn moved(
        &mut self,
        old: &[f64],
        new: &[f64],
        d: usize,
        labels: &[usize],
        pass_rows: usize,
    ) {
        let k = self.k;
        let shift: Vec<f64> = old
            .chunks_exact(d)
            .zip(new.chunks_exact(d))
            .map(|(a, b)| a.squared_distance(b).sqrt())
            .collect();
        self.upper
            .par_chunks_mut(pass_rows)
            .zip(self.lower.par_chunks_mut(pass_rows * k))
            .enumerate()
            .for_each(|(t, (u, lo))| {
                for o in 0..u.len() {
                    u[o] += shift[labels[t * pass_rows + o]];
                    for (l, s) in lo[o * k..(o + 1) * k].iter_mut().zip(&shift) {
                        *l = (*l - s).max(0.0);
                    }
                }
            });
    }
}
