//! The batch objectives of logistic and softmax regression, evaluated in parallel over rows
//! (rayon) in fixed blocks summed in block order, so a fit gives the same bits whatever the
//! number of threads.

use rayon::prelude::*;
use tidewater_core::{Batch, FeatureVector, Result, Row};

/// Rows per block at least; blocks are fixed by the data's shape, not by the thread count.
const MIN_BLOCK_ROWS: usize = 2048;
/// At most this many blocks.
const MAX_BLOCKS: usize = 32;
/// At most this many gradient numbers held by all blocks together.
const MAX_PARTIAL: usize = 1 << 24;

fn blocks(n: usize, p: usize) -> usize {
    let by_rows = n.div_ceil(MIN_BLOCK_ROWS).clamp(1, MAX_BLOCKS);
    let by_memory = (MAX_PARTIAL / p.max(1)).max(1);
    by_rows.min(by_memory)
}

/// Sums `f(row range, gradient part)` over fixed blocks of rows in parallel; returns the sum
/// of the values and writes the summed gradient into `grad`.
fn par_sum(
    n: usize,
    grad: &mut [f64],
    f: impl Fn(std::ops::Range<usize>, &mut [f64]) -> f64 + Sync,
) -> f64 {
    let p = grad.len();
    let nb = blocks(n, p);
    let size = n.div_ceil(nb);
    let parts: Vec<(f64, Vec<f64>)> = (0..nb)
        .into_par_iter()
        .map(|b| {
            let mut g = vec![0.0; p];
            let lo = (b * size).min(n);
            let hi = ((b + 1) * size).min(n);
            let v = f(lo..hi, &mut g);
            (v, g)
        })
        .collect();
    grad.fill(0.0);
    let mut total = 0.0;
    for (v, g) in parts {
        total += v;
        for (a, b) in grad.iter_mut().zip(&g) {
            *a += b;
        }
    }
    total
}

/// `ln(1 + e^z)` without overflow.
#[inline]
fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

#[inline]
fn logistic(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Rows of a batch (checked beforehand, so `row` cannot fail on them).
fn row<'a>(x: &Batch<'a>, i: usize) -> Row<'a> {
    // Dense batches from a data set are contiguous; sparse rows always are.
    x.row(i).unwrap_or(Row::Dense(&[]))
}

/// The binary logistic objective: `sum_i s_i ln(1 + exp(-y_i z_i)) / S + l2/2 |w|^2` with
/// `z = w.x + b`, parameters `[w, b]` (or `[w]` without intercept).
pub(crate) struct Binary<'a> {
    pub x: Batch<'a>,
    pub positive: &'a [bool],
    pub weights: &'a [f64],
    pub total_weight: f64,
    pub l2: f64,
    pub fit_intercept: bool,
}

impl Binary<'_> {
    pub fn eval(&self, theta: &[f64], grad: &mut [f64]) -> f64 {
        let d = self.x.n_cols();
        let (w, b) = (&theta[..d], if self.fit_intercept { theta[d] } else { 0.0 });
        let loss = par_sum(self.x.n_rows(), grad, |range, g| {
            let mut sum = 0.0;
            for i in range {
                let r = row(&self.x, i);
                let z = r.dot(w) + b;
                let s = self.weights[i];
                let y = if self.positive[i] { 1.0 } else { 0.0 };
                sum += s * (softplus(z) - y * z);
                let coef = s * (logistic(z) - y);
                r.axpy_into(coef, &mut g[..d]);
                if self.fit_intercept {
                    g[d] += coef;
                }
            }
            sum
        });
        let inv = 1.0 / self.total_weight;
        grad.iter_mut().for_each(|v| *v *= inv);
        let mut reg = 0.0;
        for (gj, wj) in grad[..d].iter_mut().zip(w) {
            *gj += self.l2 * wj;
            reg += wj * wj;
        }
        loss * inv + 0.5 * self.l2 * reg
    }
}

/// The multinomial objective: `sum_i s_i (logsumexp(z_i) - z_{i,y_i}) / S + l2/2 |W|^2` with
/// `z_k = W_k.x + b_k`; parameters `[W (k rows of d), b (k)]` (no `b` without intercept).
pub(crate) struct Multinomial<'a> {
    pub x: Batch<'a>,
    pub class: &'a [usize],
    pub k: usize,
    pub weights: &'a [f64],
    pub total_weight: f64,
    pub l2: f64,
    pub fit_intercept: bool,
}

impl Multinomial<'_> {
    pub fn eval(&self, theta: &[f64], grad: &mut [f64]) -> f64 {
        let (d, k) = (self.x.n_cols(), self.k);
        let coef = &theta[..k * d];
        let loss = par_sum(self.x.n_rows(), grad, |range, g| {
            let mut z = vec![0.0; k];
            let mut sum = 0.0;
            for i in range {
                let r = row(&self.x, i);
                for (c, zc) in z.iter_mut().enumerate() {
                    *zc = r.dot(&coef[c * d..(c + 1) * d])
                        + if self.fit_intercept {
                            theta[k * d + c]
                        } else {
                            0.0
                        };
                }
                let max = z.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
                let mut total = 0.0;
                for zc in z.iter_mut() {
                    *zc = (*zc - max).exp();
                    total += *zc;
                }
                let s = self.weights[i];
                let y = self.class[i];
                // z now holds exp(z_c - max): the loss is ln(total) - (z_y - max).
                sum += s * (total.ln() - z[y].ln());
                for (c, &e) in z.iter().enumerate() {
                    let diff = s * (e / total - if c == y { 1.0 } else { 0.0 });
                    r.axpy_into(diff, &mut g[c * d..(c + 1) * d]);
                    if self.fit_intercept {
                        g[k * d + c] += diff;
                    }
                }
            }
            sum
        });
        let inv = 1.0 / self.total_weight;
        grad.iter_mut().for_each(|v| *v *= inv);
        let mut reg = 0.0;
        for (gj, wj) in grad[..k * d].iter_mut().zip(coef) {
            *gj += self.l2 * wj;
            reg += wj * wj;
        }
        loss * inv + 0.5 * self.l2 * reg
    }
}

/// Runs L-BFGS on an objective from zero; an error when it did not converge is not raised
/// (the result is the best point found; see the models' docs).
pub(crate) fn solve(
    p: usize,
    tol: f64,
    max_iter: usize,
    mut f: impl FnMut(&[f64], &mut [f64]) -> f64,
) -> Result<(Vec<f64>, crate::lbfgs::Outcome)> {
    let mut theta = vec![0.0; p];
    let out = crate::lbfgs::minimize(&mut f, &mut theta, tol, max_iter);
    if theta.iter().any(|v| !v.is_finite()) {
        return Err(tidewater_core::Error::Unsupported(
            "the batch fit diverged (the data may be separable without a penalty: set l2 or c)"
                .into(),
        ));
    }
    Ok((theta, out))
}
