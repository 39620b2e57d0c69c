//! Feature vectors: dense slices and sparse (sorted index, value) rows behind one trait.

use crate::error::{Error, Location, Result};
use crate::kernels;

/// A sparse feature vector: strictly increasing `u32` indices, their values, and the dimension.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SparseRow<'a> {
    dim: usize,
    indices: &'a [u32],
    values: &'a [f64],
}

impl<'a> SparseRow<'a> {
    /// A sparse row, checked: equal lengths, indices strictly increasing and below `dim`.
    pub fn new(dim: usize, indices: &'a [u32], values: &'a [f64]) -> Result<Self> {
        if indices.len() != values.len() {
            return Err(Error::LengthMismatch {
                what: "sparse row values against indices".into(),
                expected: indices.len(),
                got: values.len(),
            });
        }
        let mut prev: Option<u32> = None;
        for &i in indices {
            if prev.is_some_and(|p| p >= i) {
                return Err(Error::BadValue {
                    location: Location::Feature(i as usize),
                    reason: "sparse indices must be strictly increasing".into(),
                });
            }
            if i as usize >= dim {
                return Err(Error::DimensionMismatch {
                    expected: dim,
                    got: i as usize + 1,
                });
            }
            prev = Some(i);
        }
        Ok(SparseRow {
            dim,
            indices,
            values,
        })
    }

    /// The dimension (number of features, most of them zero).
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The indices of the stored entries.
    pub fn indices(&self) -> &'a [u32] {
        self.indices
    }

    /// The stored values.
    pub fn values(&self) -> &'a [f64] {
        self.values
    }
}

/// One observation's features, dense or sparse: the form every model accepts.
///
/// `Row` is `Copy` and borrows its data, so passing it costs nothing and allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Row<'a> {
    /// Every feature, in order.
    Dense(&'a [f64]),
    /// Only the non-zero features.
    Sparse(SparseRow<'a>),
}

impl<'a> From<&'a [f64]> for Row<'a> {
    fn from(x: &'a [f64]) -> Self {
        Row::Dense(x)
    }
}

impl<'a, const N: usize> From<&'a [f64; N]> for Row<'a> {
    fn from(x: &'a [f64; N]) -> Self {
        Row::Dense(x)
    }
}

impl<'a> From<&'a Vec<f64>> for Row<'a> {
    fn from(x: &'a Vec<f64>) -> Self {
        Row::Dense(x)
    }
}

impl<'a> From<SparseRow<'a>> for Row<'a> {
    fn from(x: SparseRow<'a>) -> Self {
        Row::Sparse(x)
    }
}

/// What every feature vector offers: its dimension, its non-zero entries, and the kernels.
pub trait FeatureVector {
    /// Number of features (including zeros of a sparse row).
    fn dim(&self) -> usize;
    /// Number of stored entries.
    fn nnz(&self) -> usize;
    /// Calls `f(index, value)` for every stored entry, in increasing index order.
    fn for_each_entry(&self, f: impl FnMut(usize, f64));
    /// The value of feature `i` (0 for an absent sparse entry).
    fn get(&self, i: usize) -> f64;
    /// Dot product with dense weights `w` (`w.len()` must be at least [`dim`](Self::dim)).
    fn dot(&self, w: &[f64]) -> f64;
    /// `y += a * self`, with dense `y` of length at least [`dim`](Self::dim).
    fn axpy_into(&self, a: f64, y: &mut [f64]);
    /// Squared Euclidean distance to a dense point `c`.
    fn squared_distance(&self, c: &[f64]) -> f64;
    /// Writes the vector densely into `out` (length [`dim`](Self::dim)).
    fn write_dense(&self, out: &mut [f64]);

    /// The first non-finite stored value, as an error naming its feature.
    fn check_finite(&self) -> Result<()> {
        let mut bad: Option<(usize, f64)> = None;
        self.for_each_entry(|i, v| {
            if bad.is_none() && !v.is_finite() {
                bad = Some((i, v));
            }
        });
        match bad {
            None => Ok(()),
            Some((i, v)) => Err(Error::BadValue {
                location: Location::Feature(i),
                reason: format!("value {v} is not finite"),
            }),
        }
    }
}

/// The error for the first non-finite value of `x` (the slow path of a check that failed).
#[cold]
#[inline(never)]
fn first_non_finite(x: &[f64]) -> Result<()> {
    let (i, v) = x
        .iter()
        .enumerate()
        .find(|(_, v)| !v.is_finite())
        .map(|(i, v)| (i, *v))
        .unwrap_or((0, f64::NAN));
    Err(Error::BadValue {
        location: Location::Feature(i),
        reason: format!("value {v} is not finite"),
    })
}

impl FeatureVector for [f64] {
    fn dim(&self) -> usize {
        self.len()
    }
    fn nnz(&self) -> usize {
        self.len()
    }
    fn for_each_entry(&self, mut f: impl FnMut(usize, f64)) {
        for (i, &v) in self.iter().enumerate() {
            f(i, v)
        }
    }
    fn get(&self, i: usize) -> f64 {
        self[i]
    }
    fn dot(&self, w: &[f64]) -> f64 {
        kernels::dot(self, &w[..self.len()])
    }
    fn axpy_into(&self, a: f64, y: &mut [f64]) {
        kernels::axpy(a, self, &mut y[..self.len()])
    }
    fn squared_distance(&self, c: &[f64]) -> f64 {
        kernels::squared_distance(self, &c[..self.len()])
    }
    fn write_dense(&self, out: &mut [f64]) {
        out.copy_from_slice(self)
    }
    #[inline]
    fn check_finite(&self) -> Result<()> {
        // Fast path: `v * 0` is 0 for a finite value and NaN otherwise, so four running sums
        // of those are all 0 exactly when every value is finite (branch-free; it vectorises,
        // where `all` stops early and a boolean fold does not).
        let mut acc = [0.0f64; 4];
        let mut chunks = self.chunks_exact(4);
        for c in &mut chunks {
            for j in 0..4 {
                acc[j] += c[j] * 0.0;
            }
        }
        for v in chunks.remainder() {
            acc[0] += v * 0.0;
        }
        if (acc[0] + acc[1] + acc[2] + acc[3]) == 0.0 {
            return Ok(());
        }
        first_non_finite(self)
    }
}

impl FeatureVector for SparseRow<'_> {
    fn dim(&self) -> usize {
        self.dim
    }
    fn nnz(&self) -> usize {
        self.indices.len()
    }
    fn for_each_entry(&self, mut f: impl FnMut(usize, f64)) {
        for (&i, &v) in self.indices.iter().zip(self.values) {
            f(i as usize, v)
        }
    }
    fn get(&self, i: usize) -> f64 {
        match self.indices.binary_search(&(i as u32)) {
            Ok(k) => self.values[k],
            Err(_) => 0.0,
        }
    }
    fn dot(&self, w: &[f64]) -> f64 {
        kernels::sparse_dot(self.indices, self.values, w)
    }
    fn axpy_into(&self, a: f64, y: &mut [f64]) {
        kernels::sparse_axpy(a, self.indices, self.values, y)
    }
    fn squared_distance(&self, c: &[f64]) -> f64 {
        kernels::sparse_squared_distance(self.indices, self.values, &c[..self.dim])
    }
    fn write_dense(&self, out: &mut [f64]) {
        out.fill(0.0);
        for (&i, &v) in self.indices.iter().zip(self.values) {
            out[i as usize] = v;
        }
    }
}

impl FeatureVector for Row<'_> {
    fn dim(&self) -> usize {
        match self {
            Row::Dense(x) => x.len(),
            Row::Sparse(s) => s.dim(),
        }
    }
    fn nnz(&self) -> usize {
        match self {
            Row::Dense(x) => x.len(),
            Row::Sparse(s) => s.nnz(),
        }
    }
    fn for_each_entry(&self, f: impl FnMut(usize, f64)) {
        match self {
            Row::Dense(x) => x.for_each_entry(f),
            Row::Sparse(s) => s.for_each_entry(f),
        }
    }
    fn get(&self, i: usize) -> f64 {
        match self {
            Row::Dense(x) => x[i],
            Row::Sparse(s) => s.get(i),
        }
    }
    fn dot(&self, w: &[f64]) -> f64 {
        match self {
            Row::Dense(x) => x.dot(w),
            Row::Sparse(s) => s.dot(w),
        }
    }
    fn axpy_into(&self, a: f64, y: &mut [f64]) {
        match self {
            Row::Dense(x) => x.axpy_into(a, y),
            Row::Sparse(s) => s.axpy_into(a, y),
        }
    }
    fn squared_distance(&self, c: &[f64]) -> f64 {
        match self {
            Row::Dense(x) => x.squared_distance(c),
            Row::Sparse(s) => s.squared_distance(c),
        }
    }
    fn write_dense(&self, out: &mut [f64]) {
        match self {
            Row::Dense(x) => x.write_dense(out),
            Row::Sparse(s) => s.write_dense(out),
        }
    }
    #[inline]
    fn check_finite(&self) -> Result<()> {
        match self {
            Row::Dense(x) => x.check_finite(),
            Row::Sparse(s) => s.check_finite(),
        }
    }
}

impl Row<'_> {
    /// Checks the dimension against what a model expects and that every value is finite.
    #[inline]
    pub fn check(&self, expected_dim: Option<usize>) -> Result<()> {
        if let Some(d) = expected_dim
            && self.dim() != d
        {
            return Err(Error::DimensionMismatch {
                expected: d,
                got: self.dim(),
            });
        }
        self.check_finite()
    }
}

/// Checks an optional sample weight: finite and not negative. `None` means 1.
#[inline]
pub fn check_weight(weight: Option<f64>) -> Result<f64> {
    match weight {
        None => Ok(1.0),
        Some(w) if w.is_finite() && w >= 0.0 => Ok(w),
        Some(w) => Err(Error::BadValue {
            location: Location::Weight,
            reason: format!("weight {w} must be finite and not negative"),
        }),
    }
}
