//! Dense and sparse numeric kernels shared by the hot loops of every learner.
//!
//! Three families live here:
//!
//! * **The fast kernels** at the top level ([`dot`], [`axpy`], [`squared_distance`],
//!   [`sparse_dot`], [`sparse_axpy`], [`sparse_squared_distance`]). They pick the widest
//!   instruction set the running CPU offers:
//!   - [`dot`] and [`squared_distance`] use [`pulp`] with runtime dispatch (AVX2 + FMA on
//!     x86-64-v3 machines, NEON on aarch64, a scalar fallback elsewhere) and eight independent
//!     vector accumulators, so the loop is bound by loads rather than by the latency of one
//!     addition chain;
//!   - [`axpy`] is a plain loop compiled a second time with `avx2,fma` enabled and chosen at run
//!     time on x86-64 (the portable loop is used everywhere else);
//!   - the sparse kernels are scalar loops over the (sorted) indices with four independent
//!     accumulators; they are bound by the gathers into the dense operand, not by arithmetic.
//!
//!   Their results may differ in the last bits between machines (FMA or not, vector width).
//!
//! * **[`deterministic`]**: the same operations with a fixed lane layout and a fixed combination
//!   order and without FMA, so the result is bit-identical on every x86-64 and aarch64 machine
//!   whatever its CPU features. Use them where a value must be reproduced exactly elsewhere,
//!   e.g. by a checkpoint that has to resume bit-identically on another machine.
//!
//! * **[`reference`](mod@reference)**: plain left-to-right scalar loops, the specification the other two
//!   families are tested against.
//!
//! # Lengths
//!
//! Paired slices must have the same length; this is checked with `debug_assert!`. In release
//! builds the kernels use the common prefix (the shorter length), so a mismatch is a logic error
//! but never undefined behaviour. Sparse indices must be smaller than the length of the dense
//! operand; an out-of-range index panics.
//!
//! None of the kernels allocates.

/// Below this length the dense reductions skip the runtime dispatch and run a scalar loop.
const SMALL: usize = 16;

/// Both slices cut to their common length (after checking, in debug builds, that they agree).
#[inline(always)]
fn common<'a, 'b>(a: &'a [f64], b: &'b [f64]) -> (&'a [f64], &'b [f64]) {
    debug_assert_eq!(a.len(), b.len(), "kernel operands differ in length");
    let n = a.len().min(b.len());
    (&a[..n], &b[..n])
}

/// Indices and values cut to their common length (checked in debug builds).
#[inline(always)]
fn common_sparse<'a, 'b>(indices: &'a [u32], values: &'b [f64]) -> (&'a [u32], &'b [f64]) {
    debug_assert_eq!(
        indices.len(),
        values.len(),
        "sparse indices and values differ in length"
    );
    let n = indices.len().min(values.len());
    (&indices[..n], &values[..n])
}

/// A hint that `value` will be read soon: on x86-64 a prefetch into every cache level
/// (`prefetcht0`), elsewhere nothing. It reads nothing and changes nothing, so it costs one
/// instruction and never faults; a learner whose state outgrows the caches calls it for the
/// next row's coordinates while it works on the current one.
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: a prefetch is a hint that neither reads nor writes memory and cannot fault;
        // `value` is a live reference in any case. SSE (which provides it) is part of every
        // x86-64 target.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(value).cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

// ---------------------------------------------------------------------------------------------
// Dense reductions on pulp.
// ---------------------------------------------------------------------------------------------

/// Independent vector accumulators of the dispatched reductions. Four already cover the FMA
/// latency when the loads are aligned; eight also keep the FMA units busy while unaligned loads
/// that split cache lines stall (measured on Zen 4: 15 -> 17 GFLOP/s for `dot` on 16-byte
/// aligned L1 data, unchanged at 27 on 32-byte aligned data).
///
/// The kernels deliberately do not peel a scalar head to align the loads: that would make the
/// summation order, hence the last bits of the result, depend on the address of the data, so
/// the same computation could differ between two runs on one machine.
const VECTOR_ACCUMULATORS: usize = 8;

/// Sums the vector accumulators in a fixed pairwise order, then across lanes.
#[inline(always)]
fn reduce_accumulators<S: pulp::Simd>(simd: S, acc: [S::f64s; VECTOR_ACCUMULATORS]) -> f64 {
    let s01 = simd.add_f64s(acc[0], acc[1]);
    let s23 = simd.add_f64s(acc[2], acc[3]);
    let s45 = simd.add_f64s(acc[4], acc[5]);
    let s67 = simd.add_f64s(acc[6], acc[7]);
    let total = simd.add_f64s(simd.add_f64s(s01, s23), simd.add_f64s(s45, s67));
    simd.reduce_sum_f64s(total)
}

/// `sum(a[i] * b[i])` as a pulp operation; the slices have equal lengths.
struct DotOp<'a> {
    a: &'a [f64],
    b: &'a [f64],
}

impl pulp::WithSimd for DotOp<'_> {
    type Output = f64;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, simd: S) -> f64 {
        let (a_vec, a_tail) = S::as_simd_f64s(self.a);
        let (b_vec, b_tail) = S::as_simd_f64s(self.b);
        let (a_blocks, a_rest) = a_vec.as_chunks::<VECTOR_ACCUMULATORS>();
        let (b_blocks, b_rest) = b_vec.as_chunks::<VECTOR_ACCUMULATORS>();

        let mut acc = [simd.splat_f64s(0.0); VECTOR_ACCUMULATORS];
        for (x, y) in a_blocks.iter().zip(b_blocks) {
            for ((s, &xk), &yk) in acc.iter_mut().zip(x).zip(y) {
                *s = simd.mul_add_e_f64s(xk, yk, *s);
            }
        }
        for ((s, &x), &y) in acc.iter_mut().zip(a_rest).zip(b_rest) {
            *s = simd.mul_add_e_f64s(x, y, *s);
        }
        let mut sum = reduce_accumulators(simd, acc);
        for (&x, &y) in a_tail.iter().zip(b_tail) {
            sum += x * y;
        }
        sum
    }
}

/// `sum((a[i] - b[i])^2)` as a pulp operation; the slices have equal lengths.
struct SquaredDistanceOp<'a> {
    a: &'a [f64],
    b: &'a [f64],
}

impl pulp::WithSimd for SquaredDistanceOp<'_> {
    type Output = f64;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, simd: S) -> f64 {
        let (a_vec, a_tail) = S::as_simd_f64s(self.a);
        let (b_vec, b_tail) = S::as_simd_f64s(self.b);
        let (a_blocks, a_rest) = a_vec.as_chunks::<VECTOR_ACCUMULATORS>();
        let (b_blocks, b_rest) = b_vec.as_chunks::<VECTOR_ACCUMULATORS>();

        let mut acc = [simd.splat_f64s(0.0); VECTOR_ACCUMULATORS];
        for (x, y) in a_blocks.iter().zip(b_blocks) {
            for ((s, &xk), &yk) in acc.iter_mut().zip(x).zip(y) {
                let d = simd.sub_f64s(xk, yk);
                *s = simd.mul_add_e_f64s(d, d, *s);
            }
        }
        for ((s, &x), &y) in acc.iter_mut().zip(a_rest).zip(b_rest) {
            let d = simd.sub_f64s(x, y);
            *s = simd.mul_add_e_f64s(d, d, *s);
        }
        let mut sum = reduce_accumulators(simd, acc);
        for (&x, &y) in a_tail.iter().zip(b_tail) {
            let d = x - y;
            sum += d * d;
        }
        sum
    }
}

/// The logistic function `1 / (1 + e^-z)` from one exponential of `-|z|` (no overflow): the
/// one the linear models and the parameter server's SGD share.
#[inline(always)]
pub fn logistic(z: f64) -> f64 {
    let e = (-z.abs()).exp();
    // A select, not a branch: the sign of the logit is as unpredictable as the label.
    let num = if z >= 0.0 { 1.0 } else { e };
    num / (1.0 + e)
}

/// `ln(1 + e^z)` without overflow (the log loss of a logit).
#[inline]
pub fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

/// Dense dot product `sum(a[i] * b[i])`.
///
/// Vectorised with runtime dispatch (FMA where available); the summation order differs from a
/// left-to-right loop, so the result may differ from [`reference::dot`] by rounding. Use
/// [`deterministic::dot`] when the result must be identical on every machine.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    let (a, b) = common(a, b);
    if a.len() < SMALL {
        return reference::dot(a, b);
    }
    pulp::Arch::new().dispatch(DotOp { a, b })
}

/// Squared Euclidean distance `sum((a[i] - b[i])^2)`.
///
/// Vectorised with runtime dispatch like [`dot`]; see [`deterministic::squared_distance`] for
/// the machine-independent variant.
pub fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    let (a, b) = common(a, b);
    if a.len() < SMALL {
        return reference::squared_distance(a, b);
    }
    pulp::Arch::new().dispatch(SquaredDistanceOp { a, b })
}

/// The nearest of the centers stored row by row in `centers` (each `x.len()` long) to `x`:
/// its index (the first on ties) and the squared distance, exactly as the argmin over the
/// centers of [`squared_distance`] gives them (`(0, inf)` for no center).
///
/// Short rows (where [`squared_distance`] sums feature by feature in one chain) take eight
/// centers at a time, each center's sum still in feature order, so that the eight chains of
/// additions run side by side instead of one after the other: the same values, several
/// times sooner.
pub fn nearest_center(x: &[f64], centers: &[f64]) -> (usize, f64) {
    let d = x.len();
    let mut best = (0, f64::INFINITY);
    if d == 0 {
        if !centers.is_empty() {
            best.1 = 0.0;
        }
        return best;
    }
    if d >= SMALL {
        for (c, center) in centers.chunks_exact(d).enumerate() {
            let s = squared_distance(x, center);
            if s < best.1 {
                best = (c, s);
            }
        }
        return best;
    }
    for (b, block) in centers.chunks(BLOCK * d).enumerate() {
        let m = block.len() / d;
        let mut acc = [0.0f64; BLOCK];
        if m == BLOCK {
            for (j, &xj) in x.iter().enumerate() {
                for (c, a) in acc.iter_mut().enumerate() {
                    let t = xj - block[c * d + j];
                    *a += t * t;
                }
            }
        } else {
            for (j, &xj) in x.iter().enumerate() {
                for (c, a) in acc[..m].iter_mut().enumerate() {
                    let t = xj - block[c * d + j];
                    *a += t * t;
                }
            }
        }
        for (c, &s) in acc[..m].iter().enumerate() {
            if s < best.1 {
                best = (b * BLOCK + c, s);
            }
        }
    }
    best
}

/// Centers laid out for many [`nearest`](CenterBlocks::nearest) queries: for short rows,
/// blocks of eight centers with each feature's eight values side by side (the last block
/// padded with infinities, which are never nearest), so that one row's eight sums run as
/// vector lanes; for long rows, the centers as given. Build it once per set of centers (a
/// k-means iteration, a mini-batch step) and query it for every row.
///
/// [`nearest`](CenterBlocks::nearest) gives exactly what [`nearest_center`] gives.
#[derive(Clone, Debug, Default)]
pub struct CenterBlocks {
    d: usize,
    k: usize,
    /// Blocked (short rows) or as given (long rows).
    data: Vec<f64>,
    #[cfg(target_arch = "x86_64")]
    avx: bool,
}

const BLOCK: usize = 8;

impl CenterBlocks {
    /// The layout of `centers` (`k * d` values, center after center) for rows of `d` values.
    pub fn new(centers: &[f64], d: usize) -> Self {
        let mut b = CenterBlocks::default();
        b.set(centers, d);
        b
    }

    /// Lays out new centers, reusing the buffer.
    pub fn set(&mut self, centers: &[f64], d: usize) {
        self.d = d;
        self.k = centers.len().checked_div(d).unwrap_or(0);
        self.data.clear();
        #[cfg(target_arch = "x86_64")]
        {
            self.avx = std::is_x86_feature_detected!("avx");
        }
        if d == 0 || d >= SMALL {
            self.data.extend_from_slice(&centers[..self.k * d]);
            return;
        }
        let blocks = self.k.div_ceil(BLOCK);
        self.data.resize(blocks * BLOCK * d, f64::INFINITY);
        for c in 0..self.k {
            let (b, lane) = (c / BLOCK, c % BLOCK);
            for j in 0..d {
                self.data[(b * d + j) * BLOCK + lane] = centers[c * d + j];
            }
        }
    }

    /// The nearest center to `x` (of the width given to [`set`](Self::set)) and its squared
    /// distance, the first on ties: [`nearest_center`] on the centers as given.
    #[inline]
    pub fn nearest(&self, x: &[f64]) -> (usize, f64) {
        debug_assert_eq!(x.len(), self.d, "the row's width is not the centers'");
        let d = self.d;
        if d == 0 || d >= SMALL {
            return nearest_center(x, &self.data);
        }
        #[cfg(target_arch = "x86_64")]
        if self.avx {
            // SAFETY: `blocked_avx` only requires the `avx` target feature, detected on the
            // running CPU when the layout was made.
            return unsafe { blocked_avx(&self.data, self.k, x) };
        }
        blocked(&self.data, self.k, x)
    }
}

/// The blocked search: per block, eight sums in feature order, one lane per center (each
/// lane's arithmetic that of [`reference::squared_distance`], multiply then add).
#[inline(always)]
fn blocked(data: &[f64], k: usize, x: &[f64]) -> (usize, f64) {
    let d = x.len();
    let mut best = (0, f64::INFINITY);
    for (b, block) in data.chunks_exact(BLOCK * d).enumerate() {
        let mut acc = [0.0f64; BLOCK];
        for (&xj, col) in x.iter().zip(block.chunks_exact(BLOCK)) {
            for (a, &cj) in acc.iter_mut().zip(col) {
                let t = xj - cj;
                *a += t * t;
            }
        }
        let m = k.saturating_sub(b * BLOCK).min(BLOCK);
        for (c, &s) in acc[..m].iter().enumerate() {
            if s < best.1 {
                best = (b * BLOCK + c, s);
            }
        }
    }
    best
}

/// [`blocked`] compiled with AVX (256-bit lanes; no FMA, so the values are the same).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
fn blocked_avx(data: &[f64], k: usize, x: &[f64]) -> (usize, f64) {
    blocked(data, k, x)
}

// ---------------------------------------------------------------------------------------------
// axpy.
// ---------------------------------------------------------------------------------------------

/// `y[i] += a * x[i]`.
///
/// On x86-64 CPUs with AVX2 and FMA this runs a fused multiply-add loop (one rounding per
/// element instead of two), so the result may differ from [`reference::axpy`] in the last bit;
/// [`deterministic::axpy`] never fuses.
pub fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    debug_assert_eq!(x.len(), y.len(), "kernel operands differ in length");
    let n = x.len().min(y.len());
    let (x, y) = (&x[..n], &mut y[..n]);
    #[cfg(target_arch = "x86_64")]
    {
        if n >= SMALL
            && std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("fma")
        {
            // SAFETY: `axpy_avx2_fma` only requires the `avx2` and `fma` target features, and
            // both were detected on the running CPU just above.
            unsafe { axpy_avx2_fma(a, x, y) };
            return;
        }
    }
    axpy_portable(a, x, y);
}

/// The `axpy` loop compiled for AVX2 + FMA (the compiler vectorises it to `vfmadd` on 256-bit
/// registers).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn axpy_avx2_fma(a: f64, x: &[f64], y: &mut [f64]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi = a.mul_add(xi, *yi);
    }
}

/// The `axpy` loop for every CPU (multiply, then add: no FMA, which would be a slow library
/// call where the hardware lacks it).
#[inline(always)]
fn axpy_portable(a: f64, x: &[f64], y: &mut [f64]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

// ---------------------------------------------------------------------------------------------
// Sparse kernels.
// ---------------------------------------------------------------------------------------------

/// Sparse-dense dot product `sum(values[k] * w[indices[k]])`.
///
/// `indices` are expected sorted (increasing) for cache-friendly gathers; each must be smaller
/// than `w.len()` (an out-of-range index panics). Four independent accumulators hide the
/// latency of the additions. The kernel never fuses multiply and add and its summation order
/// depends only on the input, so it is also deterministic across machines (it is what
/// [`deterministic::sparse_dot`] re-exports).
pub fn sparse_dot(indices: &[u32], values: &[f64], w: &[f64]) -> f64 {
    let (indices, values) = common_sparse(indices, values);
    let (idx_blocks, idx_rest) = indices.as_chunks::<4>();
    let (val_blocks, val_rest) = values.as_chunks::<4>();
    let mut acc = [0.0f64; 4];
    for (i, v) in idx_blocks.iter().zip(val_blocks) {
        acc[0] += v[0] * w[i[0] as usize];
        acc[1] += v[1] * w[i[1] as usize];
        acc[2] += v[2] * w[i[2] as usize];
        acc[3] += v[3] * w[i[3] as usize];
    }
    let mut sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (&i, &v) in idx_rest.iter().zip(val_rest) {
        sum += v * w[i as usize];
    }
    sum
}

/// Sparse `y[indices[k]] += a * values[k]`.
///
/// Each index must be smaller than `y.len()` (an out-of-range index panics). No FMA, so the
/// result equals [`reference::sparse_axpy`] bit for bit (and [`deterministic::sparse_axpy`]
/// re-exports it).
pub fn sparse_axpy(a: f64, indices: &[u32], values: &[f64], y: &mut [f64]) {
    let (indices, values) = common_sparse(indices, values);
    for (&i, &v) in indices.iter().zip(values) {
        y[i as usize] += a * v;
    }
}

/// Squared Euclidean distance `||x - c||^2` between the sparse row `x` (given by `indices` and
/// `values`) and the dense point `c`.
///
/// The indices must be strictly increasing (checked in debug builds) and smaller than
/// `c.len()`. The kernel walks `c` once, adding `c[j]^2` over the gaps between stored entries
/// and `(x[j] - c[j])^2` at them, so every term is non-negative and nothing cancels: the
/// result is accurate even when `x` is close to a large `c` (unlike `||c||^2 + correction`).
/// Long gaps are summed with the vectorised [`dot`]. In release builds, an entry out of order
/// falls back to the correction `(x[j] - c[j])^2 - c[j]^2`; the result is clamped at 0.
pub fn sparse_squared_distance(indices: &[u32], values: &[f64], c: &[f64]) -> f64 {
    sparse_squared_distance_with(indices, values, c, fast_squared_norm)
}

/// `sum(s[i]^2)` for a gap of [`sparse_squared_distance`]: vectorised when long.
#[inline(always)]
fn fast_squared_norm(s: &[f64]) -> f64 {
    if s.len() < 4 * SMALL {
        squared_norm_4(s)
    } else {
        pulp::Arch::new().dispatch(DotOp { a: s, b: s })
    }
}

/// `sum(s[i]^2)` with four independent accumulators and a fixed combination order.
#[inline(always)]
fn squared_norm_4(s: &[f64]) -> f64 {
    let (blocks, rest) = s.as_chunks::<4>();
    let mut acc = [0.0f64; 4];
    for x in blocks {
        acc[0] += x[0] * x[0];
        acc[1] += x[1] * x[1];
        acc[2] += x[2] * x[2];
        acc[3] += x[3] * x[3];
    }
    let mut sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for &x in rest {
        sum += x * x;
    }
    sum
}

/// The merge walk of [`sparse_squared_distance`], with the gap summation as a parameter.
#[inline(always)]
fn sparse_squared_distance_with(
    indices: &[u32],
    values: &[f64],
    c: &[f64],
    squared_norm: impl Fn(&[f64]) -> f64,
) -> f64 {
    let (indices, values) = common_sparse(indices, values);
    debug_assert!(
        indices.windows(2).all(|p| p[0] < p[1]),
        "sparse indices must be strictly increasing"
    );
    let mut total = 0.0;
    let mut correction = 0.0;
    // First position of `c` not yet accounted for.
    let mut next = 0usize;
    for (&i, &v) in indices.iter().zip(values) {
        let i = i as usize;
        let ci = c[i];
        let d = v - ci;
        if i >= next {
            total += squared_norm(&c[next..i]);
            total += d * d;
            next = i + 1;
        } else {
            correction += d * d - ci * ci;
        }
    }
    total += squared_norm(&c[next..]);
    (total + correction).max(0.0)
}

// ---------------------------------------------------------------------------------------------
// Deterministic kernels.
// ---------------------------------------------------------------------------------------------

/// Kernels whose results are bit-identical on every x86-64 and aarch64 machine.
///
/// The dense reductions use a fixed lane layout of [`LANES`](deterministic::LANES) = 16
/// accumulators: accumulator `j`
/// sums the terms of the elements `16k + j` of the leading multiple of 16, in increasing `k`.
/// The accumulators are then combined by folding the upper half onto the lower half until one
/// value remains (`acc[j] + acc[j + 8]` for `j < 8`, then `+ [j + 4]` for `j < 4`, then
/// `+ [j + 2]`, then `+ [1]`), and finally the tail (fewer than 16 elements) is added left to
/// right.
///
/// Every operation is a separately rounded IEEE 754 multiply, subtract or add: Rust never
/// contracts `a * b + c` into an FMA on its own, nor reassociates floating-point additions, so
/// neither the vector width the compiler picks nor the CPU features change the result. That is
/// why these kernels may (and on x86-64 do) run a copy of the same loop compiled with AVX when
/// the CPU has it: it is faster and gives the same bits as the SSE2 or NEON baseline.
///
/// **Checkpoints that must resume bit-identically across machines use these kernels** for every
/// reduction whose value feeds back into the model state; the fast kernels may differ in the
/// last bits between a CPU with FMA and one without. The layout is part of the checkpoint
/// format: changing [`LANES`](deterministic::LANES) or the combination order changes results.
///
/// The only caveat is the payload of a NaN result, which IEEE 754 leaves to the hardware.
pub mod deterministic {
    use super::common;

    /// Number of accumulators (lanes) of the deterministic reductions.
    pub const LANES: usize = 16;

    /// Below this length the AVX copy is not worth the feature check.
    #[cfg(target_arch = "x86_64")]
    const AVX_MIN: usize = 2 * LANES;

    /// The fixed combination order of the accumulators (see the [module docs](self)).
    #[inline(always)]
    fn fold(acc: [f64; LANES]) -> f64 {
        let mut half = [0.0f64; LANES / 2];
        for (j, h) in half.iter_mut().enumerate() {
            *h = acc[j] + acc[j + 8];
        }
        let quarter = [
            half[0] + half[4],
            half[1] + half[5],
            half[2] + half[6],
            half[3] + half[7],
        ];
        let eighth = [quarter[0] + quarter[2], quarter[1] + quarter[3]];
        eighth[0] + eighth[1]
    }

    /// The dot product loop, inlined into the baseline and the AVX entry points.
    #[inline(always)]
    fn dot_body(a: &[f64], b: &[f64]) -> f64 {
        let (a_blocks, a_tail) = a.as_chunks::<LANES>();
        let (b_blocks, b_tail) = b.as_chunks::<LANES>();
        let mut acc = [0.0f64; LANES];
        for (x, y) in a_blocks.iter().zip(b_blocks) {
            for ((s, &xj), &yj) in acc.iter_mut().zip(x).zip(y) {
                *s += xj * yj;
            }
        }
        let mut sum = fold(acc);
        for (&x, &y) in a_tail.iter().zip(b_tail) {
            sum += x * y;
        }
        sum
    }

    /// The squared distance loop, inlined into the baseline and the AVX entry points.
    #[inline(always)]
    fn squared_distance_body(a: &[f64], b: &[f64]) -> f64 {
        let (a_blocks, a_tail) = a.as_chunks::<LANES>();
        let (b_blocks, b_tail) = b.as_chunks::<LANES>();
        let mut acc = [0.0f64; LANES];
        for (x, y) in a_blocks.iter().zip(b_blocks) {
            for ((s, &xj), &yj) in acc.iter_mut().zip(x).zip(y) {
                let d = xj - yj;
                *s += d * d;
            }
        }
        let mut sum = fold(acc);
        for (&x, &y) in a_tail.iter().zip(b_tail) {
            let d = x - y;
            sum += d * d;
        }
        sum
    }

    /// `sum(s[i]^2)` with the fixed lane layout.
    #[inline(always)]
    fn squared_norm_body(s: &[f64]) -> f64 {
        let (blocks, tail) = s.as_chunks::<LANES>();
        let mut acc = [0.0f64; LANES];
        for x in blocks {
            for (a, &xj) in acc.iter_mut().zip(x) {
                *a += xj * xj;
            }
        }
        let mut sum = fold(acc);
        for &x in tail {
            sum += x * x;
        }
        sum
    }

    /// The same loops compiled with AVX (and without FMA): identical results, wider registers.
    #[cfg(target_arch = "x86_64")]
    mod avx {
        /// [`dot_body`](super::dot_body) with AVX.
        #[target_feature(enable = "avx")]
        pub(super) fn dot(a: &[f64], b: &[f64]) -> f64 {
            super::dot_body(a, b)
        }

        /// [`squared_distance_body`](super::squared_distance_body) with AVX.
        #[target_feature(enable = "avx")]
        pub(super) fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
            super::squared_distance_body(a, b)
        }

        /// [`squared_norm_body`](super::squared_norm_body) with AVX.
        #[target_feature(enable = "avx")]
        pub(super) fn squared_norm(s: &[f64]) -> f64 {
            super::squared_norm_body(s)
        }
    }

    /// Whether to run the AVX copy for an input of length `n`.
    #[inline(always)]
    fn use_avx(n: usize) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            n >= AVX_MIN && std::is_x86_feature_detected!("avx")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = n;
            false
        }
    }

    /// Dense dot product with the fixed lane layout described in the [module docs](self).
    pub fn dot(a: &[f64], b: &[f64]) -> f64 {
        let (a, b) = common(a, b);
        if use_avx(a.len()) {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `avx::dot` only requires the `avx` target feature, which `use_avx` has
            // just detected on the running CPU.
            return unsafe { avx::dot(a, b) };
        }
        dot_body(a, b)
    }

    /// Squared Euclidean distance with the fixed lane layout described in the
    /// [module docs](self).
    pub fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
        let (a, b) = common(a, b);
        if use_avx(a.len()) {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `avx::squared_distance` only requires the `avx` target feature, which
            // `use_avx` has just detected on the running CPU.
            return unsafe { avx::squared_distance(a, b) };
        }
        squared_distance_body(a, b)
    }

    /// `sum(s[i]^2)` with the fixed lane layout.
    fn squared_norm(s: &[f64]) -> f64 {
        if use_avx(s.len()) {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `avx::squared_norm` only requires the `avx` target feature, which
            // `use_avx` has just detected on the running CPU.
            return unsafe { avx::squared_norm(s) };
        }
        squared_norm_body(s)
    }

    /// `y[i] += a * x[i]`, multiply then add (never fused): bit-identical to
    /// [`reference::axpy`](super::reference::axpy) on every machine.
    pub fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
        debug_assert_eq!(x.len(), y.len(), "kernel operands differ in length");
        let n = x.len().min(y.len());
        for (yi, &xi) in y[..n].iter_mut().zip(&x[..n]) {
            *yi += a * xi;
        }
    }

    /// Sparse-dense dot product. The fast kernel of the parent module already has a fixed
    /// accumulation order and no FMA, so it is re-exported unchanged.
    pub use super::sparse_dot;

    /// Sparse axpy. The fast kernel of the parent module never fuses, so it is re-exported
    /// unchanged.
    pub use super::sparse_axpy;

    /// Squared distance between a sparse row and a dense point, as
    /// [`sparse_squared_distance`](super::sparse_squared_distance) but summing the gaps with
    /// the fixed lane layout of this module instead of the dispatched kernel.
    pub fn sparse_squared_distance(indices: &[u32], values: &[f64], c: &[f64]) -> f64 {
        super::sparse_squared_distance_with(indices, values, c, squared_norm)
    }
}

// ---------------------------------------------------------------------------------------------
// Reference kernels.
// ---------------------------------------------------------------------------------------------

/// Plain scalar reference implementations: simple left-to-right loops, the specification the
/// fast and the deterministic kernels are tested against. Slow; not meant for hot loops.
///
/// Like the other kernels they check lengths with `debug_assert!` and use the common prefix in
/// release builds.
pub mod reference {
    use super::{common, common_sparse};

    /// `sum(a[i] * b[i])`, left to right.
    pub fn dot(a: &[f64], b: &[f64]) -> f64 {
        let (a, b) = common(a, b);
        let mut sum = 0.0;
        for (&x, &y) in a.iter().zip(b) {
            sum += x * y;
        }
        sum
    }

    /// `y[i] = y[i] + a * x[i]` (multiply, then add), left to right.
    pub fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
        debug_assert_eq!(x.len(), y.len(), "kernel operands differ in length");
        let n = x.len().min(y.len());
        for (yi, &xi) in y[..n].iter_mut().zip(&x[..n]) {
            *yi += a * xi;
        }
    }

    /// `sum((a[i] - b[i])^2)`, left to right.
    pub fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
        let (a, b) = common(a, b);
        let mut sum = 0.0;
        for (&x, &y) in a.iter().zip(b) {
            let d = x - y;
            sum += d * d;
        }
        sum
    }

    /// `sum(values[k] * w[indices[k]])`, in the order of the entries.
    pub fn sparse_dot(indices: &[u32], values: &[f64], w: &[f64]) -> f64 {
        let (indices, values) = common_sparse(indices, values);
        let mut sum = 0.0;
        for (&i, &v) in indices.iter().zip(values) {
            sum += v * w[i as usize];
        }
        sum
    }

    /// `y[indices[k]] += a * values[k]`, in the order of the entries.
    pub fn sparse_axpy(a: f64, indices: &[u32], values: &[f64], y: &mut [f64]) {
        let (indices, values) = common_sparse(indices, values);
        for (&i, &v) in indices.iter().zip(values) {
            y[i as usize] += a * v;
        }
    }

    /// `sum((x[j] - c[j])^2)` over every `j` of `c`, left to right, where `x[j]` is the stored
    /// value at `j` or 0. The indices must be strictly increasing; entries that are out of
    /// order or out of range are ignored.
    pub fn sparse_squared_distance(indices: &[u32], values: &[f64], c: &[f64]) -> f64 {
        let (indices, values) = common_sparse(indices, values);
        let mut sum = 0.0;
        let mut k = 0;
        for (j, &cj) in c.iter().enumerate() {
            let mut x = 0.0;
            if k < indices.len() && indices[k] as usize == j {
                x = values[k];
                k += 1;
            }
            let d = x - cj;
            sum += d * d;
        }
        sum
    }
}
