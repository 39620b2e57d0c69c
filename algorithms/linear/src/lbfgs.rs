//! L-BFGS with a strong-Wolfe line search, for the smooth convex objectives of the batch path.

use std::collections::VecDeque;

/// How a minimisation ended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Outcome {
    /// Iterations taken.
    pub iterations: usize,
    /// The largest absolute gradient component at the end.
    pub grad_max: f64,
    /// Whether `grad_max` fell below the tolerance.
    pub converged: bool,
}

const MEMORY: usize = 10;
const C1: f64 = 1e-4;
const C2: f64 = 0.9;

fn dot(a: &[f64], b: &[f64]) -> f64 {
    tidewater_core::kernels::dot(a, b)
}

fn max_abs(g: &[f64]) -> f64 {
    g.iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

/// A point of the line search: step, value, directional derivative.
#[derive(Clone, Copy)]
struct Probe {
    a: f64,
    f: f64,
    d: f64,
}

/// Where L-BFGS stands at the start of an iteration: all it needs to go on, bit for bit
/// (a checkpoint of an iterative fit).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct State {
    /// The point.
    pub x: Vec<f64>,
    /// The objective's gradient at `x`.
    pub g: Vec<f64>,
    /// The objective at `x`.
    pub fx: f64,
    /// The curvature pairs `(s, y, 1 / s.y)`, oldest first.
    pub hist: Vec<(Vec<f64>, Vec<f64>, f64)>,
    /// Iterations done.
    pub iterations: usize,
    /// Whether the last line search failed and the pairs were forgotten.
    pub retried: bool,
}

/// Minimises `f` (which writes its gradient into the second argument and returns its value)
/// from `x`, in place, until the largest gradient component is below `tol` or `max_iter`
/// iterations have run, or no further decrease can be found at machine precision.
#[cfg(test)]
pub(crate) fn minimize(
    f: &mut dyn FnMut(&[f64], &mut [f64]) -> f64,
    x: &mut [f64],
    tol: f64,
    max_iter: usize,
) -> Outcome {
    minimize_from(f, x, tol, max_iter, None, &mut |_, _| true)
}

/// [`minimize`] from `start` when given (a [`State`] saved by `at_iteration`: `x` is then
/// overwritten by its point), calling `at_iteration(iterations, state)` at the start of each
/// iteration with a function that builds the [`State`]; returning `false` stops (the point
/// is then the last one reached).
pub(crate) fn minimize_from(
    f: &mut dyn FnMut(&[f64], &mut [f64]) -> f64,
    x: &mut [f64],
    tol: f64,
    max_iter: usize,
    start: Option<State>,
    at_iteration: &mut dyn FnMut(usize, &dyn Fn() -> State) -> bool,
) -> Outcome {
    let n = x.len();
    let mut g = vec![0.0; n];
    let mut hist: VecDeque<(Vec<f64>, Vec<f64>, f64)> = VecDeque::with_capacity(MEMORY);
    let mut iterations = 0;
    let mut retried = false;
    let mut fx = match start {
        Some(st) => {
            x.copy_from_slice(&st.x);
            g.copy_from_slice(&st.g);
            hist.extend(st.hist);
            iterations = st.iterations;
            retried = st.retried;
            st.fx
        }
        None => f(x, &mut g),
    };
    let mut d = vec![0.0; n];
    let mut alpha_buf = [0.0; MEMORY];
    let mut x_new = vec![0.0; n];
    let mut g_new = vec![0.0; n];
    while iterations < max_iter {
        let gmax = max_abs(&g);
        if gmax < tol || !fx.is_finite() {
            break;
        }
        let state = || State {
            x: x.to_vec(),
            g: g.clone(),
            fx,
            hist: hist.iter().cloned().collect(),
            iterations,
            retried,
        };
        if !at_iteration(iterations, &state) {
            break;
        }
        // Two-loop recursion: d = -H g.
        d.copy_from_slice(&g);
        for (k, (s, y, rho)) in hist.iter().enumerate().rev() {
            let a = rho * dot(s, &d);
            alpha_buf[k] = a;
            tidewater_core::kernels::axpy(-a, y, &mut d);
        }
        let gamma = match hist.back() {
            Some((s, y, _)) => dot(s, y) / dot(y, y),
            None => 1.0 / gmax.max(1.0),
        };
        d.iter_mut().for_each(|v| *v *= gamma);
        for (k, (s, y, rho)) in hist.iter().enumerate() {
            let b = rho * dot(y, &d);
            tidewater_core::kernels::axpy(alpha_buf[k] - b, s, &mut d);
        }
        d.iter_mut().for_each(|v| *v = -*v);
        let mut dg = dot(&d, &g);
        if dg.partial_cmp(&0.0) != Some(std::cmp::Ordering::Less) {
            // Not a descent direction (numerical trouble): restart from steepest descent.
            hist.clear();
            for (di, gi) in d.iter_mut().zip(&g) {
                *di = -gi / gmax.max(1.0);
            }
            dg = dot(&d, &g);
        }
        let found = line_search(f, x, fx, &g, &d, dg, &mut x_new, &mut g_new);
        iterations += 1;
        let Some(fn_) = found else {
            if hist.is_empty() || retried {
                break;
            }
            // Forget the curvature pairs and try once more along the gradient.
            hist.clear();
            retried = true;
            continue;
        };
        retried = false;
        let s: Vec<f64> = x_new.iter().zip(x.iter()).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        x.copy_from_slice(&x_new);
        g.copy_from_slice(&g_new);
        let decrease = fx - fn_;
        fx = fn_;
        if sy > 1e-300 {
            if hist.len() == MEMORY {
                hist.pop_front();
            }
            hist.push_back((s, y, 1.0 / sy));
        }
        if decrease == 0.0 && max_abs(&g) >= tol && hist.is_empty() {
            break;
        }
    }
    let grad_max = max_abs(&g);
    Outcome {
        iterations,
        grad_max,
        converged: grad_max < tol,
    }
}

/// Strong-Wolfe line search along `d` from `x` (Nocedal & Wright, algorithms 3.5 and 3.6).
/// Writes the accepted point and its gradient to `x_new`/`g_new` and returns its value, or
/// `None` when no point decreasing the objective was found.
#[allow(clippy::too_many_arguments)]
fn line_search(
    f: &mut dyn FnMut(&[f64], &mut [f64]) -> f64,
    x: &[f64],
    f0: f64,
    g0: &[f64],
    d: &[f64],
    dg0: f64,
    x_new: &mut [f64],
    g_new: &mut [f64],
) -> Option<f64> {
    let _ = g0;
    let mut eval = |a: f64, x_new: &mut [f64], g_new: &mut [f64]| -> Probe {
        for ((xn, &xi), &di) in x_new.iter_mut().zip(x).zip(d) {
            *xn = xi + a * di;
        }
        let fa = f(x_new, g_new);
        Probe {
            a,
            f: fa,
            d: dot(g_new, d),
        }
    };
    // Best point seen that does not increase the objective, kept as a fallback for the flat
    // end of a minimisation where Armijo's test is lost in rounding.
    let mut best: Option<Probe> = None;
    let consider = |p: Probe, best: &mut Option<Probe>| {
        if p.f.is_finite() && p.f <= f0 && best.is_none_or(|b| p.f < b.f) {
            *best = Some(p);
        }
    };
    let zero = Probe {
        a: 0.0,
        f: f0,
        d: dg0,
    };
    let mut prev = zero;
    let mut a = 1.0;
    let mut bracket: Option<(Probe, Probe)> = None;
    for i in 0..30 {
        let p = eval(a, x_new, g_new);
        consider(p, &mut best);
        if !p.f.is_finite() || p.f > f0 + C1 * a * dg0 || (i > 0 && p.f >= prev.f) {
            bracket = Some((prev, p));
            break;
        }
        if p.d.abs() <= -C2 * dg0 {
            return Some(p.f);
        }
        if p.d >= 0.0 {
            bracket = Some((p, prev));
            break;
        }
        prev = p;
        a *= 2.0;
    }
    if let Some((mut lo, mut hi)) = bracket {
        for _ in 0..40 {
            let width = hi.a - lo.a;
            // Quadratic interpolation from lo's value and slope and hi's value, kept inside
            // the middle 80 % of the bracket.
            let denom = 2.0 * (hi.f - lo.f - lo.d * width);
            let mut a = if denom.is_finite() && denom.abs() > 0.0 {
                lo.a - lo.d * width * width / denom
            } else {
                lo.a + 0.5 * width
            };
            let (l, h) = if lo.a < hi.a {
                (lo.a, hi.a)
            } else {
                (hi.a, lo.a)
            };
            let margin = 0.1 * (h - l);
            if !a.is_finite() || a < l + margin || a > h - margin {
                a = 0.5 * (l + h);
            }
            if (h - l) <= 1e-16 * h.abs().max(1e-300) {
                break;
            }
            let p = eval(a, x_new, g_new);
            consider(p, &mut best);
            if !p.f.is_finite() || p.f > f0 + C1 * a * dg0 || p.f >= lo.f {
                hi = p;
            } else {
                if p.d.abs() <= -C2 * dg0 {
                    return Some(p.f);
                }
                if p.d * (hi.a - lo.a) >= 0.0 {
                    hi = lo;
                }
                lo = p;
            }
        }
    }
    // No point met both conditions: take the best decrease, if any.
    let b = best?;
    if b.f < f0 || (b.f == f0 && b.d.abs() < dg0.abs()) {
        let p = eval(b.a, x_new, g_new);
        Some(p.f)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimises_a_badly_scaled_quadratic_and_rosenbrock() {
        let mut quad = |x: &[f64], g: &mut [f64]| {
            let s = [1.0, 100.0, 1e4];
            let mut f = 0.0;
            for i in 0..3 {
                let d = x[i] - (i as f64 + 1.0);
                f += 0.5 * s[i] * d * d;
                g[i] = s[i] * d;
            }
            f
        };
        let mut x = vec![0.0; 3];
        let out = minimize(&mut quad, &mut x, 1e-10, 500);
        assert!(out.converged, "{out:?}");
        for (i, v) in x.iter().enumerate() {
            assert!((v - (i as f64 + 1.0)).abs() < 1e-9);
        }
        let mut rosen = |x: &[f64], g: &mut [f64]| {
            let (a, b) = (x[0], x[1]);
            g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
            g[1] = 200.0 * (b - a * a);
            (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
        };
        let mut x = vec![-1.2, 1.0];
        let out = minimize(&mut rosen, &mut x, 1e-8, 1000);
        assert!(out.converged, "{out:?}");
        assert!((x[0] - 1.0).abs() < 1e-6 && (x[1] - 1.0).abs() < 1e-6);
    }
}
