//! The sufficient statistics of least squares in rounds of block sums: the path of
//! [`Ridge`](crate::Ridge) and [`LinearRegression`](crate::LinearRegression) on a parameter
//! server's workers (`fit --workers`, `fit --hosts`).
//!
//! Two rounds, not one. The statistics are centred co-moments (`C = sum w (x - m)(x - m)^T`),
//! and co-moments of different blocks cannot be added without their means. Raw moments
//! (`sum w x x^T`) can, but centring them afterwards subtracts two large numbers when a
//! feature's mean dwarfs its spread (a date, a price), losing the digits the stream path's
//! Welford updates keep. So the first round sums the weighted rows and targets (the means),
//! and the second sums the co-moments centred on those means. Without an intercept the
//! statistics are raw moments, and one round does.

use tidewater_core::kernels::axpy;
use tidewater_core::rounds::{BlockSum, Executor, Layout, RunInfo};
use tidewater_core::{Batch, FeatureVector, Result};

/// The weighted statistics of a regression data set.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Moments {
    /// The total sample weight (added in row order).
    pub(crate) weight: f64,
    /// The weighted means of the features and of the target (zeros without an intercept).
    pub(crate) mean_x: Vec<f64>,
    pub(crate) mean_y: f64,
    /// The upper triangle (row-major, `d x d` storage) of `sum w (x - m)(x - m)^T`.
    pub(crate) cxx: Vec<f64>,
    /// `sum w (x - m)(y - m_y)`.
    pub(crate) cxy: Vec<f64>,
    /// `sum w (y - m_y)^2`.
    pub(crate) cyy: f64,
}

/// One round at the point `[second round?, mean_x (d), mean_y]`. The part is
/// `[sum w x (d), sum w y, cxx (d x d), cxy (d)]`: the first round writes the first `d + 1`
/// numbers and returns `sum w y^2`; the second writes the rest, centred on the point's
/// means, and returns `sum w (y - m_y)^2`.
struct MomentRounds<'a, 'b> {
    x: Batch<'a>,
    y: &'b [f64],
    w: &'b [f64],
    d: usize,
    layout: Layout,
}

impl BlockSum for MomentRounds<'_, '_> {
    fn n_params(&self) -> usize {
        self.d + 2
    }

    fn out_len(&self) -> usize {
        self.d + 1 + self.d * self.d + self.d
    }

    fn n_blocks(&self) -> usize {
        self.layout.n_blocks()
    }

    fn local_blocks(&self) -> Option<std::ops::Range<usize>> {
        self.layout.local_blocks()
    }

    fn block(&self, params: &[f64], b: usize, part: &mut [f64]) -> f64 {
        let d = self.d;
        let second = params[0] != 0.0;
        let (mean_x, mean_y) = (&params[1..1 + d], params[1 + d]);
        let (sums, rest) = part.split_at_mut(d + 1);
        let (cxx, cxy) = rest.split_at_mut(d * d);
        let mut dx = if second { vec![0.0; d] } else { Vec::new() };
        let mut value = 0.0;
        for i in self.layout.rows(b) {
            let wi = self.w[i];
            // A row of weight 0 adds nothing (the stream path skips it).
            if wi == 0.0 {
                continue;
            }
            // The rows were checked before the first round.
            let Ok(r) = self.x.row(i) else { continue };
            let yi = self.y[i];
            if !second {
                r.axpy_into(wi, &mut sums[..d]);
                sums[d] += wi * yi;
                value += wi * yi * yi;
                continue;
            }
            r.write_dense(&mut dx);
            for (v, m) in dx.iter_mut().zip(mean_x) {
                *v -= m;
            }
            let dy = yi - mean_y;
            value += wi * dy * dy;
            for a in 0..d {
                let s = wi * dx[a];
                if s != 0.0 {
                    axpy(s, &dx[a..], &mut cxx[a * d + a..(a + 1) * d]);
                    cxy[a] += s * dy;
                }
            }
        }
        value
    }
}

/// The [`Moments`] of rows `x` (checked: finite, one width) with targets `y` and weights `w`
/// (checked), their rounds computed by `exec`; every executor gives the same bits. `shared`
/// is what [`least_squares_share`] found: the blocks and the total weight (of every part,
/// when this process holds only its own). Reports the first round to `exec` (the objective
/// at zero coefficients); the caller reports the last, once it has solved the system.
pub(crate) fn moments_on(
    x: Batch<'_>,
    y: &[f64],
    w: &[f64],
    fit_intercept: bool,
    shared: crate::parts::Shared,
    exec: &dyn Executor,
) -> Result<(Moments, RunInfo)> {
    let d = x.n_cols();
    let out_len = d + 1 + d * d + d;
    let weight = shared.weight;
    let job = MomentRounds {
        x,
        y,
        w,
        d,
        layout: shared.layout,
    };
    let mut point = vec![0.0; d + 2];
    let mut out = vec![0.0; out_len];
    let mut cyy = 0.0;
    let info = exec.run(&job, &mut |round| {
        if fit_intercept && weight > 0.0 {
            let sum_y2 = round(&point, &mut out)?;
            for (m, s) in point[1..].iter_mut().zip(&out[..d + 1]) {
                *m = s / weight;
            }
            exec.round_done(1, sum_y2 - weight * point[1 + d] * point[1 + d]);
        }
        point[0] = 1.0;
        cyy = round(&point, &mut out)?;
        Ok(())
    })?;
    Ok((
        Moments {
            weight,
            mean_x: point[1..1 + d].to_vec(),
            mean_y: point[1 + d],
            cxx: out[d + 1..d + 1 + d * d].to_vec(),
            cxy: out[d + 1 + d * d..].to_vec(),
            cyy,
        },
        info,
    ))
}

/// The blocks and total weight of a least-squares fit of `x` with weights `w` (checked),
/// exchanged with the other parts when `exec`'s processes hold their own rows. The weight is
/// added in row order, as the stream path adds it (then over the parts, in part order).
pub(crate) fn least_squares_share(
    x: &Batch<'_>,
    w: &[f64],
    exec: &dyn Executor,
) -> Result<crate::parts::Shared> {
    let d = x.n_cols();
    let out_len = d + 1 + d * d + d;
    let weight = w.iter().fold(0.0, |s, &v| s + v);
    crate::parts::share(exec, x.n_rows(), d, weight, None, |n, _| {
        crate::batch::blocks(n, out_len)
    })
}
