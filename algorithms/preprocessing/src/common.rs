//! Helpers shared by the transformers of this crate.

use tidewater_core::check::{StateResult, ensure, same_len};
use tidewater_core::row::check_weight;
use tidewater_core::traits::check_out_len;
use tidewater_core::{Batch, Error, FeatureVector, Result, Row, Transformer};

/// The row as a dense slice: itself when dense, else written into `scratch`.
pub(crate) fn dense<'a>(x: Row<'a>, scratch: &'a mut Vec<f64>) -> &'a [f64] {
    match x {
        Row::Dense(v) => v,
        Row::Sparse(s) => {
            scratch.resize(s.dim(), 0.0);
            s.write_dense(scratch);
            scratch
        }
    }
}

thread_local! {
    static DENSE: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` on the row as a dense slice, densifying a sparse row into a per-thread buffer
/// (for `&self` transforms, which cannot use the model's own scratch).
pub(crate) fn with_dense<R>(x: Row<'_>, f: impl FnOnce(&[f64]) -> R) -> R {
    match x {
        Row::Dense(v) => f(v),
        Row::Sparse(_) => {
            let mut buf = DENSE.with(|c| std::mem::take(&mut *c.borrow_mut()));
            let r = f(dense(x, &mut buf));
            DENSE.with(|c| *c.borrow_mut() = buf);
            r
        }
    }
}

/// Bit-for-bit equality of two float slices (what a model's `PartialEq` means here).
pub(crate) fn bits_eq(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// The error of a transformer asked to transform before it has seen a row.
pub(crate) fn not_fitted(what: &str) -> Error {
    Error::NotFitted(format!("the {what} has seen no row"))
}

/// The rows of a data set as weighted columns: for each feature, its `(value, weight)` pairs
/// in row order (weight 1 without the data set's weights).
pub(crate) fn weighted_columns(data: &tidewater_core::Dataset) -> Result<Vec<Vec<(f64, f64)>>> {
    let b = data.batch();
    let mut columns: Vec<Vec<(f64, f64)>> =
        vec![Vec::with_capacity(data.n_rows()); data.n_features()];
    let mut scratch = Vec::new();
    for i in 0..data.n_rows() {
        let w = data.weights.as_ref().map_or(1.0, |w| w[i]);
        for (j, &v) in dense(b.row(i)?, &mut scratch).iter().enumerate() {
            columns[j].push((v, w));
        }
    }
    Ok(columns)
}

/// The shape methods of a transformer whose output has its input's dimension and names:
/// `n_features_in` and `n_features_out` are `self.dim`, and the names pass through.
macro_rules! same_shape {
    () => {
        fn n_features_in(&self) -> Option<usize> {
            self.dim
        }
        fn n_features_out(&self) -> Option<usize> {
            self.dim
        }
        fn feature_names_out(&self, input: &[String]) -> Vec<String> {
            input.to_vec()
        }
    };
}
pub(crate) use same_shape;

/// The start of `transform_one` for a transformer of fixed dimension that maps each value in
/// place: fails with [`not_fitted`] (naming `what`) before the first row, checks the row and
/// the length of `out`, then copies the row into `out` (dense). Returns the dimension.
pub(crate) fn copy_checked<T: Transformer + ?Sized>(
    t: &T,
    what: &str,
    x: Row<'_>,
    out: &mut [f64],
) -> Result<usize> {
    let d = t.n_features_in().ok_or_else(|| not_fitted(what))?;
    t.check_row(x)?;
    check_out_len("output buffer", d, out.len())?;
    x.write_dense(out);
    Ok(d)
}

/// Checks a mini-batch before any row is learned: the number of weights, then each row and
/// its weight (an error names its row).
pub(crate) fn check_rows<T: Transformer + ?Sized>(
    t: &T,
    x: Batch<'_>,
    weights: Option<&[f64]>,
) -> Result<()> {
    if let Some(w) = weights {
        check_out_len("weights against rows", x.n_rows(), w.len())?;
    }
    for i in 0..x.n_rows() {
        let r = x.row(i).map_err(|e| e.in_row(i))?;
        t.check_row(r).map_err(|e| e.in_row(i))?;
        check_weight(weights.map(|w| w[i])).map_err(|e| e.in_row(i))?;
    }
    Ok(())
}

/// Spec text of an optional value.
pub(crate) fn opt_text<T: std::fmt::Display>(v: &Option<T>) -> String {
    match v {
        Some(x) => x.to_string(),
        None => "none".into(),
    }
}

/// Implements [`Fit`](tidewater_core::Fit) as the row loop of the stream path (`learn_many`
/// over the data set with its weights): the batch path of an exact transformer.
macro_rules! fit_by_learning {
    ($params:ty, $model:ty, $what:literal) => {
        impl tidewater_core::Fit for $params {
            type Model = $model;
            fn fit(&self, data: &tidewater_core::Dataset) -> tidewater_core::Result<$model> {
                if data.n_rows() == 0 {
                    return Err(tidewater_core::Error::Empty(
                        concat!("cannot fit a ", $what, " on no rows").into(),
                    ));
                }
                let mut m = tidewater_core::Build::build(self)?;
                tidewater_core::Transformer::learn_many(
                    &mut m,
                    data.batch(),
                    data.weights.as_deref(),
                )?;
                Ok(m)
            }
        }
    };
}
pub(crate) use fit_by_learning;

/// Exact quantile `q` in [0, 1] of weighted values (weight 0 values left out), by linear
/// interpolation between order statistics (numpy's default, "type 7") at positions
/// `(C_k - w_k) / (W - w_last)`, where `C_k` is the cumulative weight up to and including the
/// k-th smallest value; with unit weights these are numpy's positions `k / (n - 1)`.
/// `None` when no value has positive weight.
pub(crate) fn weighted_quantile(values: &mut Vec<(f64, f64)>, q: f64) -> Option<f64> {
    values.retain(|&(_, w)| w > 0.0);
    if values.is_empty() {
        return None;
    }
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = values.len();
    if n == 1 {
        return Some(values[0].0);
    }
    let total: f64 = values.iter().map(|v| v.1).sum();
    let denom = total - values[n - 1].1;
    if denom <= 0.0 {
        return Some(values[n - 1].0);
    }
    let mut cum = 0.0;
    let mut prev: Option<(f64, f64)> = None;
    for &(v, w) in values.iter() {
        cum += w;
        let t = (cum - w) / denom;
        if t >= q {
            return Some(match prev {
                None => v,
                Some((pv, pt)) if t > pt => pv + (v - pv) * (q - pt) / (t - pt),
                Some(_) => v,
            });
        }
        prev = Some((v, t));
    }
    Some(values[n - 1].0)
}

/// The largest capacity (`max_categories`, `max_vocabulary`) a parameter may ask for.
pub(crate) const MAX_CAPACITY: usize = 1 << 24;

/// Checks an optional capacity parameter against [`MAX_CAPACITY`].
pub(crate) fn check_capacity(name: &str, v: Option<usize>) -> Result<()> {
    match v {
        Some(n) if n > MAX_CAPACITY => Err(Error::param(
            name,
            format!("must be at most {MAX_CAPACITY}, got {n}"),
        )),
        _ => Ok(()),
    }
}

// ------------------------------------------------------------------------------------------
// Checks of a loaded model's state (`tidewater_core::check`), shared by the transformers.

/// The widest row a transformer whose width is not tied to a stored vector (the normalizer,
/// the identity, an incremental PCA before its first batch) may declare: `2^32`, the most
/// features a row's `u32` indices can address. A pipeline sizes its buffers by the declared
/// width, so a larger one in a model file would ask for an absurd allocation.
pub(crate) const MAX_WIDTH: u64 = 1 << 32;

/// A declared width not above [`MAX_WIDTH`].
pub(crate) fn check_width(what: &str, dim: Option<usize>) -> StateResult {
    let d = dim.unwrap_or(0);
    ensure(d as u64 <= MAX_WIDTH, || {
        format!("{what}: {d} features, more than a row can have ({MAX_WIDTH})")
    })
}

/// One value per feature in each named vector: `dim` values each (none before the first
/// row, `dim` = `None`).
pub(crate) fn per_feature(dim: Option<usize>, vectors: &[(&str, usize)]) -> StateResult {
    let d = dim.unwrap_or(0);
    vectors
        .iter()
        .try_for_each(|&(what, len)| same_len(what, len, d))
}

/// A number at least 0; infinity allowed (a total of finite weights can overflow), NaN not.
pub(crate) fn at_least_zero(what: &str, v: f64) -> StateResult {
    ensure(v >= 0.0, || format!("{what}: {v} is below 0 or NaN"))
}

/// Running extremes of each feature: `+inf` and `-inf` where nothing was learned, else
/// finite with the smallest not above the largest (learning keeps both states).
pub(crate) fn check_extremes(min: &[f64], max: &[f64]) -> StateResult {
    for (j, (&lo, &hi)) in min.iter().zip(max).enumerate() {
        let empty = lo == f64::INFINITY && hi == f64::NEG_INFINITY;
        ensure(
            empty || (lo.is_finite() && hi.is_finite() && lo <= hi),
            || {
                format!(
                    "feature {j}: extremes [{lo}, {hi}] are neither finite and ordered nor unset"
                )
            },
        )?;
    }
    Ok(())
}

/// An unsupervised dense data set of these rows (for tests of the batch path).
#[cfg(test)]
pub(crate) fn dataset(rows: &[&[f64]]) -> tidewater_core::Dataset {
    let d = rows.first().map_or(0, |r| r.len());
    let values: Vec<f64> = rows.iter().flat_map(|r| r.iter().copied()).collect();
    let x = ndarray::Array2::from_shape_vec((rows.len(), d), values).expect("rows of one width");
    let names = (0..d).map(|j| format!("x{j}")).collect();
    tidewater_core::Dataset::new(
        tidewater_core::FeatureMatrix::Dense(x),
        Vec::new(),
        tidewater_core::Schema::numeric(names, Vec::new()),
    )
    .expect("a consistent data set")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_weight_quantiles_are_numpys_linear_ones() {
        let mut v: Vec<(f64, f64)> = [1.0, 2.0, 3.0, 4.0].iter().map(|&x| (x, 1.0)).collect();
        assert_eq!(weighted_quantile(&mut v.clone(), 0.5), Some(2.5));
        assert_eq!(weighted_quantile(&mut v.clone(), 0.25), Some(1.75));
        assert_eq!(weighted_quantile(&mut v.clone(), 0.0), Some(1.0));
        assert_eq!(weighted_quantile(&mut v, 1.0), Some(4.0));
        assert_eq!(weighted_quantile(&mut vec![(3.0, 0.0)], 0.5), None);
    }
}
