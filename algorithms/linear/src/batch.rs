//! The batch objectives of logistic and softmax regression, summed by an executor over rows
//! in fixed blocks added in block order, so a fit gives the same bits whatever the executor and
//! its number of threads or workers.

use tidewater_core::kernels::{logistic, softplus};
use tidewater_core::rounds::{BlockSum, Executor, Layout, RunInfo, block_count};
use tidewater_core::{Batch, Error, FeatureVector, Result, Row};

/// Rows per block at least; blocks are fixed by the data's shape, not by the thread count.
const MIN_BLOCK_ROWS: usize = 2048;
/// At most this many blocks.
const MAX_BLOCKS: usize = 32;
/// At most this many gradient numbers held by all blocks together.
const MAX_PARTIAL: usize = 1 << 24;

/// The blocks of `n` rows for parts of `p` numbers (every batch fit of this crate's rounds).
pub(crate) fn blocks(n: usize, p: usize) -> usize {
    block_count(n, p, MIN_BLOCK_ROWS, MAX_BLOCKS, MAX_PARTIAL)
}

/// A batch objective: a sum of per-row terms over fixed blocks (a [`BlockSum`] whose part is
/// the unscaled gradient and whose value is the unscaled loss), then its scaling and penalty.
pub(crate) trait Objective: BlockSum {
    /// The objective and its gradient from the summed loss and gradient of the rows.
    fn finish(&self, theta: &[f64], loss: f64, grad: &mut [f64]) -> f64;
}

/// Scales the summed loss and gradient by `1 / total_weight` and adds `l2/2 |w|^2` over the
/// first `n_penalised` parameters.
fn scale_and_penalise(
    theta: &[f64],
    loss: f64,
    grad: &mut [f64],
    total_weight: f64,
    l2: f64,
    n_penalised: usize,
) -> f64 {
    let inv = 1.0 / total_weight;
    grad.iter_mut().for_each(|v| *v *= inv);
    let mut reg = 0.0;
    for (gj, wj) in grad[..n_penalised].iter_mut().zip(&theta[..n_penalised]) {
        *gj += l2 * wj;
        reg += wj * wj;
    }
    loss * inv + 0.5 * l2 * reg
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
    /// Where each block's rows are (see [`crate::parts::share`]).
    pub layout: Layout,
}

impl Binary<'_> {
    fn n_theta(&self) -> usize {
        self.x.n_cols() + usize::from(self.fit_intercept)
    }
}

impl BlockSum for Binary<'_> {
    fn n_params(&self) -> usize {
        self.n_theta()
    }
    fn out_len(&self) -> usize {
        self.n_theta()
    }
    fn n_blocks(&self) -> usize {
        self.layout.n_blocks()
    }
    fn local_blocks(&self) -> Option<std::ops::Range<usize>> {
        self.layout.local_blocks()
    }
    fn block(&self, theta: &[f64], b: usize, g: &mut [f64]) -> f64 {
        let d = self.x.n_cols();
        let (w, bias) = (&theta[..d], if self.fit_intercept { theta[d] } else { 0.0 });
        let mut sum = 0.0;
        for i in self.layout.rows(b) {
            let r = row(&self.x, i);
            let z = r.dot(w) + bias;
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
    }
}

impl Objective for Binary<'_> {
    fn finish(&self, theta: &[f64], loss: f64, grad: &mut [f64]) -> f64 {
        let d = self.x.n_cols();
        scale_and_penalise(theta, loss, grad, self.total_weight, self.l2, d)
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
    /// Where each block's rows are (see [`crate::parts::share`]).
    pub layout: Layout,
}

impl Multinomial<'_> {
    fn n_theta(&self) -> usize {
        let k = self.k;
        k * self.x.n_cols() + if self.fit_intercept { k } else { 0 }
    }
}

impl BlockSum for Multinomial<'_> {
    fn n_params(&self) -> usize {
        self.n_theta()
    }
    fn out_len(&self) -> usize {
        self.n_theta()
    }
    fn n_blocks(&self) -> usize {
        self.layout.n_blocks()
    }
    fn local_blocks(&self) -> Option<std::ops::Range<usize>> {
        self.layout.local_blocks()
    }
    fn block(&self, theta: &[f64], b: usize, g: &mut [f64]) -> f64 {
        let (d, k) = (self.x.n_cols(), self.k);
        let coef = &theta[..k * d];
        let mut z = vec![0.0; k];
        let mut sum = 0.0;
        for i in self.layout.rows(b) {
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
    }
}

impl Objective for Multinomial<'_> {
    fn finish(&self, theta: &[f64], loss: f64, grad: &mut [f64]) -> f64 {
        let kd = self.k * self.x.n_cols();
        scale_and_penalise(theta, loss, grad, self.total_weight, self.l2, kd)
    }
}

/// Runs L-BFGS on an objective from zero, its rounds computed by `exec`; an error when it
/// did not converge is not raised (the result is the best point found; see the models' docs).
pub(crate) fn solve(
    obj: &dyn Objective,
    tol: f64,
    max_iter: usize,
    exec: &dyn Executor,
) -> Result<(Vec<f64>, crate::lbfgs::Outcome, RunInfo)> {
    let p = obj.n_params();
    let mut theta = vec![0.0; p];
    let mut outcome = None;
    let ck = exec.checkpoints();
    let info = exec.run(obj, &mut |round| {
        // Where to start: the state of a checkpoint the executor chose, or zero.
        let (start, resumed_at) = match ck.map(|c| c.resume()).transpose()?.flatten() {
            Some((it, bytes)) => {
                let st: crate::lbfgs::State = postcard::from_bytes(&bytes).map_err(|e| {
                    Error::Training(format!(
                        "the checkpoint of iteration {it} is unreadable: {e}"
                    ))
                })?;
                if st.x.len() != p || st.g.len() != p || st.iterations != it {
                    return Err(Error::Training(format!(
                        "the checkpoint of iteration {it} is of another problem"
                    )));
                }
                (Some(st), Some(it))
            }
            None => (None, None),
        };
        // A failed round (a lost worker) or checkpoint ends the minimisation: its value is
        // NaN, which L-BFGS stops on, and the error is returned instead of the point.
        let failed = std::cell::RefCell::new(None);
        let mut rounds = 0;
        let mut f = |t: &[f64], g: &mut [f64]| -> f64 {
            if failed.borrow().is_some() {
                return f64::NAN;
            }
            match round(t, g) {
                Ok(loss) => {
                    let value = obj.finish(t, loss, g);
                    rounds += 1;
                    exec.round_done(rounds, value);
                    value
                }
                Err(e) => {
                    *failed.borrow_mut() = Some(e);
                    f64::NAN
                }
            }
        };
        let mut at_iteration = |it: usize, state: &dyn Fn() -> crate::lbfgs::State| -> bool {
            let Some(c) = ck else { return true };
            if it == 0 || !it.is_multiple_of(c.every()) || Some(it) == resumed_at {
                return true;
            }
            let saved = postcard::to_allocvec(&state())
                .map_err(|e| Error::Training(format!("encoding the state: {e}")))
                .and_then(|bytes: Vec<u8>| c.save(it, &bytes));
            match saved {
                Ok(()) => true,
                Err(e) => {
                    *failed.borrow_mut() = Some(e);
                    false
                }
            }
        };
        let out = crate::lbfgs::minimize_from(
            &mut f,
            &mut theta,
            tol,
            max_iter,
            start,
            &mut at_iteration,
        );
        if let Some(e) = failed.into_inner() {
            return Err(e);
        }
        outcome = Some(out);
        Ok(())
    })?;
    let outcome = outcome.ok_or_else(|| Error::Training("the minimisation did not run".into()))?;
    if theta.iter().any(|v| !v.is_finite()) {
        return Err(Error::Unsupported(
            "the batch fit diverged (the data may be separable without a penalty: set l2 or c)"
                .into(),
        ));
    }
    Ok((theta, outcome, info))
}
