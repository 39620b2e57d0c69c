//! Property tests of `tidewater_core::kernels`: the fast and the deterministic kernels agree with
//! the scalar reference within the rounding of a reordered summation, the deterministic ones are
//! reproducible, the sparse ones agree with the densified dense reference, and no kernel
//! allocates.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use proptest::prelude::*;
use tidewater_core::kernels::{self, deterministic, reference};

// ---------------------------------------------------------------------------------------------
// A counting allocator: every allocation made by the current thread bumps a thread-local
// counter, so tests running in parallel on other threads do not disturb the count.
// ---------------------------------------------------------------------------------------------

struct CountingAlloc;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn bump() {
    // `try_with` because the allocator can be called while thread locals are torn down.
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every method forwards to `System`, which upholds the `GlobalAlloc` contract; the
// counter is a const-initialised thread local without destructor, so touching it never
// allocates or re-enters the allocator.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        // SAFETY: forwarded unchanged from our caller, who upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump();
        // SAFETY: forwarded unchanged from our caller, who upholds `alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        // SAFETY: forwarded unchanged from our caller, who upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged from our caller, who upholds `dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// Allocations made by the current thread while running `f`.
fn allocations_during(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

// ---------------------------------------------------------------------------------------------
// Tolerances.
// ---------------------------------------------------------------------------------------------

/// Relative tolerance of a reordered (or fused) summation of at most a few hundred terms: the
/// worst-case error bound is about `n * eps * sum(|term|)`, i.e. below 1e-13 here.
const REL: f64 = 1e-12;
/// Absolute floor of the tolerance (only matters when every term is zero).
const ABS: f64 = 1e-300;

fn assert_close(what: &str, got: f64, want: f64, magnitude: f64) -> Result<(), TestCaseError> {
    let tol = REL * magnitude + ABS;
    prop_assert!(
        (got - want).abs() <= tol,
        "{what}: got {got:e}, reference {want:e}, |diff| {:e} > tol {tol:e}",
        (got - want).abs()
    );
    Ok(())
}

fn dot_magnitude(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x * y).abs()).sum()
}

fn squared_distance_magnitude(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The lane layout documented in `kernels::deterministic`, written out in scalar code:
/// `LANES` accumulators over the leading multiple of `LANES` (element `i` goes to accumulator
/// `i % LANES`), folded upper half onto lower half, then the tail left to right.
fn documented_layout(n: usize, term: impl Fn(usize) -> f64) -> f64 {
    const LANES: usize = deterministic::LANES;
    let full = n / LANES * LANES;
    let mut acc = [0.0f64; LANES];
    for i in 0..full {
        acc[i % LANES] += term(i);
    }
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for j in 0..width {
            acc[j] += acc[j + width];
        }
    }
    let mut sum = acc[0];
    for i in full..n {
        sum += term(i);
    }
    sum
}

// ---------------------------------------------------------------------------------------------
// Strategies.
// ---------------------------------------------------------------------------------------------

fn value() -> impl Strategy<Value = f64> {
    -1e3..1e3f64
}

/// Two vectors of the same length in 0..300 (covering every tail length of every lane layout).
fn pair() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (0usize..300).prop_flat_map(|n| {
        (
            prop::collection::vec(value(), n),
            prop::collection::vec(value(), n),
        )
    })
}

/// A sparse row over `dim` features (strictly increasing distinct indices) and a dense vector
/// of length `dim`.
#[derive(Debug, Clone)]
struct SparseCase {
    indices: Vec<u32>,
    values: Vec<f64>,
    dense: Vec<f64>,
}

impl SparseCase {
    fn densified(&self) -> Vec<f64> {
        let mut x = vec![0.0; self.dense.len()];
        for (&i, &v) in self.indices.iter().zip(&self.values) {
            x[i as usize] = v;
        }
        x
    }
}

fn sparse_case() -> impl Strategy<Value = SparseCase> {
    (1usize..300).prop_flat_map(|dim| {
        (
            prop::collection::btree_set(0..dim as u32, 0..=dim.min(80)),
            prop::collection::vec(value(), dim),
        )
            .prop_flat_map(|(set, dense)| {
                let indices: Vec<u32> = set.into_iter().collect();
                let n = indices.len();
                (
                    Just(indices),
                    prop::collection::vec(value(), n),
                    Just(dense),
                )
            })
            .prop_map(|(indices, values, dense)| SparseCase {
                indices,
                values,
                dense,
            })
    })
}

// ---------------------------------------------------------------------------------------------
// Properties.
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The nearest center is the argmin (first on ties) of `squared_distance`, bit for bit,
    /// for short rows (blocked by eight centers) and long ones, with any number of centers.
    #[test]
    fn nearest_center_is_the_argmin_of_squared_distance(
        d in 1usize..24,
        k in 0usize..20,
        seed in any::<u64>(),
        ties in any::<bool>(),
    ) {
        let mut state = seed | 1;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 * 20.0 - 10.0
        };
        let x: Vec<f64> = (0..d).map(|_| next()).collect();
        let mut centers: Vec<f64> = (0..k * d).map(|_| next()).collect();
        if ties && k >= 3 {
            // Two equal centers: the first must win.
            let (a, b) = centers.split_at_mut(2 * d);
            b[..d].copy_from_slice(&a[d..2 * d]);
        }
        let mut expected = (0usize, f64::INFINITY);
        for (c, center) in centers.chunks_exact(d).enumerate() {
            let s = kernels::squared_distance(&x, center);
            if s < expected.1 {
                expected = (c, s);
            }
        }
        let got = kernels::nearest_center(&x, &centers);
        prop_assert_eq!(got.0, expected.0);
        prop_assert_eq!(got.1.to_bits(), expected.1.to_bits());
        let blocks = kernels::CenterBlocks::new(&centers, d);
        let got = blocks.nearest(&x);
        prop_assert_eq!(got.0, expected.0);
        prop_assert_eq!(got.1.to_bits(), expected.1.to_bits());
    }

    #[test]
    fn dot_agrees_with_reference((a, b) in pair()) {
        let want = reference::dot(&a, &b);
        let mag = dot_magnitude(&a, &b);
        assert_close("dot", kernels::dot(&a, &b), want, mag)?;
        assert_close("deterministic::dot", deterministic::dot(&a, &b), want, mag)?;
    }

    #[test]
    fn squared_distance_agrees_with_reference((a, b) in pair()) {
        let want = reference::squared_distance(&a, &b);
        let mag = squared_distance_magnitude(&a, &b);
        assert_close("squared_distance", kernels::squared_distance(&a, &b), want, mag)?;
        assert_close(
            "deterministic::squared_distance",
            deterministic::squared_distance(&a, &b),
            want,
            mag,
        )?;
        prop_assert!(kernels::squared_distance(&a, &b) >= 0.0);
    }

    #[test]
    fn deterministic_kernels_are_reproducible((a, b) in pair(), s in value()) {
        let d1 = deterministic::dot(&a, &b);
        let d2 = deterministic::dot(&a, &b);
        prop_assert_eq!(d1.to_bits(), d2.to_bits());
        let q1 = deterministic::squared_distance(&a, &b);
        let q2 = deterministic::squared_distance(&a, &b);
        prop_assert_eq!(q1.to_bits(), q2.to_bits());
        let mut y1 = b.clone();
        let mut y2 = b.clone();
        deterministic::axpy(s, &a, &mut y1);
        deterministic::axpy(s, &a, &mut y2);
        prop_assert!(y1.iter().zip(&y2).all(|(u, v)| u.to_bits() == v.to_bits()));
    }

    /// The deterministic kernels compute exactly the documented layout, bit for bit, whichever
    /// code path (baseline or AVX copy) the length and the CPU select.
    #[test]
    fn deterministic_kernels_follow_the_documented_layout((a, b) in pair()) {
        let n = a.len();
        let want = documented_layout(n, |i| a[i] * b[i]);
        prop_assert_eq!(deterministic::dot(&a, &b).to_bits(), want.to_bits());
        let want = documented_layout(n, |i| (a[i] - b[i]) * (a[i] - b[i]));
        prop_assert_eq!(deterministic::squared_distance(&a, &b).to_bits(), want.to_bits());
    }

    #[test]
    fn axpy_agrees_with_reference((x, y) in pair(), a in value()) {
        let mut want = y.clone();
        reference::axpy(a, &x, &mut want);

        // The deterministic axpy never fuses: bit-identical to the reference.
        let mut det = y.clone();
        deterministic::axpy(a, &x, &mut det);
        prop_assert!(
            det.iter().zip(&want).all(|(u, v)| u.to_bits() == v.to_bits()),
            "deterministic::axpy differs from the reference"
        );

        // The fast axpy may fuse (one rounding instead of two): within a couple of ulps of the
        // operands' magnitude.
        let mut fast = y.clone();
        kernels::axpy(a, &x, &mut fast);
        for i in 0..y.len() {
            let tol = 4.0 * f64::EPSILON * (y[i].abs() + (a * x[i]).abs()) + ABS;
            prop_assert!(
                (fast[i] - want[i]).abs() <= tol,
                "axpy[{i}]: got {:e}, reference {:e}", fast[i], want[i]
            );
        }
    }

    #[test]
    fn sparse_dot_agrees_with_dense_reference(case in sparse_case()) {
        let x = case.densified();
        let want = reference::dot(&x, &case.dense);
        let mag = dot_magnitude(&x, &case.dense);
        let got = kernels::sparse_dot(&case.indices, &case.values, &case.dense);
        assert_close("sparse_dot", got, want, mag)?;
        let det = deterministic::sparse_dot(&case.indices, &case.values, &case.dense);
        assert_close("deterministic::sparse_dot", det, want, mag)?;
        let sref = reference::sparse_dot(&case.indices, &case.values, &case.dense);
        assert_close("reference::sparse_dot", sref, want, mag)?;
    }

    #[test]
    fn sparse_axpy_agrees_with_dense_reference(case in sparse_case(), a in value()) {
        let x = case.densified();
        let mut want = case.dense.clone();
        reference::axpy(a, &x, &mut want);
        for (name, f) in [
            ("sparse_axpy", kernels::sparse_axpy as fn(f64, &[u32], &[f64], &mut [f64])),
            ("deterministic::sparse_axpy", deterministic::sparse_axpy),
            ("reference::sparse_axpy", reference::sparse_axpy),
        ] {
            let mut got = case.dense.clone();
            f(a, &case.indices, &case.values, &mut got);
            // No fusing anywhere: adding `a * 0` to the absent features changes nothing and the
            // stored ones see the same two roundings, so the results are bit-identical.
            prop_assert!(
                got.iter().zip(&want).all(|(u, v)| u.to_bits() == v.to_bits()),
                "{} differs from the dense reference", name
            );
        }
    }

    #[test]
    fn sparse_squared_distance_agrees_with_dense_reference(case in sparse_case()) {
        let x = case.densified();
        let want = reference::squared_distance(&x, &case.dense);
        let mag = squared_distance_magnitude(&x, &case.dense);
        let got = kernels::sparse_squared_distance(&case.indices, &case.values, &case.dense);
        assert_close("sparse_squared_distance", got, want, mag)?;
        let det =
            deterministic::sparse_squared_distance(&case.indices, &case.values, &case.dense);
        assert_close("deterministic::sparse_squared_distance", det, want, mag)?;
        let det2 =
            deterministic::sparse_squared_distance(&case.indices, &case.values, &case.dense);
        prop_assert_eq!(det.to_bits(), det2.to_bits());
        let sref = reference::sparse_squared_distance(&case.indices, &case.values, &case.dense);
        assert_close("reference::sparse_squared_distance", sref, want, mag)?;
        prop_assert!(got >= 0.0);
    }

    /// The sparse squared distance must stay accurate when the row nearly equals a large
    /// centre (where `||c||^2 + correction` would cancel catastrophically).
    #[test]
    fn sparse_squared_distance_is_accurate_near_the_centre(
        case in sparse_case(),
        scale in 1e6..1e9f64,
    ) {
        // Centre: huge at the stored features, moderate elsewhere; row: the centre plus tiny
        // offsets at the stored features. `||c||^2` is then ~1e24 times larger than the answer.
        let mut c = case.dense.clone();
        let mut values = Vec::with_capacity(case.indices.len());
        for (&i, &v) in case.indices.iter().zip(&case.values) {
            let i = i as usize;
            c[i] *= scale;
            values.push(c[i] + v * 1e-6);
        }
        let mut x = vec![0.0; c.len()];
        for (&i, &v) in case.indices.iter().zip(&values) {
            x[i as usize] = v;
        }
        let want = reference::squared_distance(&x, &c);
        let mag = squared_distance_magnitude(&x, &c);
        let got = kernels::sparse_squared_distance(&case.indices, &values, &c);
        assert_close("sparse_squared_distance near centre", got, want, mag)?;
        let det = deterministic::sparse_squared_distance(&case.indices, &values, &c);
        assert_close("deterministic::sparse_squared_distance near centre", det, want, mag)?;
    }
}

#[test]
fn empty_inputs_give_zero() {
    assert_eq!(kernels::dot(&[], &[]), 0.0);
    assert_eq!(kernels::squared_distance(&[], &[]), 0.0);
    assert_eq!(deterministic::dot(&[], &[]), 0.0);
    assert_eq!(deterministic::squared_distance(&[], &[]), 0.0);
    assert_eq!(kernels::sparse_dot(&[], &[], &[1.0]), 0.0);
    assert_eq!(
        kernels::sparse_squared_distance(&[], &[], &[3.0, 4.0]),
        25.0
    );
    let mut y: [f64; 0] = [];
    kernels::axpy(2.0, &[], &mut y);
    deterministic::axpy(2.0, &[], &mut y);
}

#[test]
fn deterministic_dot_has_the_documented_lane_layout() {
    // Lane 0 holds 1e16 and lane 8 holds -1e16; the fold adds those two first, so the ones in
    // the other lanes survive (a left-to-right sum would absorb them into 1e16).
    let mut a = vec![1.0; 17];
    a[0] = 1e16;
    a[8] = -1e16;
    let b = vec![1.0; a.len()];
    assert_eq!(deterministic::dot(&a, &b), 15.0);
    assert_eq!(documented_layout(a.len(), |i| a[i] * b[i]), 15.0);
}

#[test]
fn sparse_squared_distance_does_not_cancel() {
    // x equals c at every stored feature except for a tiny offset; c is zero elsewhere.
    let c = [1e8, 0.0, 1e8, 0.0];
    let indices = [0u32, 2];
    let values = [1e8 + 1e-4, 1e8];
    let want = (values[0] - c[0]) * (values[0] - c[0]);
    assert_eq!(
        kernels::sparse_squared_distance(&indices, &values, &c),
        want
    );
    assert_eq!(
        deterministic::sparse_squared_distance(&indices, &values, &c),
        want
    );
}

#[test]
fn the_counting_allocator_counts() {
    let n = allocations_during(|| {
        let v: Vec<f64> = std::hint::black_box(vec![1.0; 16]);
        drop(v);
    });
    assert!(n >= 1, "the counting allocator missed an allocation");
}

#[test]
fn kernels_do_not_allocate() {
    let n = 1027;
    let a: Vec<f64> = (0..n).map(|i| (i as f64).sin()).collect();
    let b: Vec<f64> = (0..n).map(|i| (i as f64).cos()).collect();
    let mut y = vec![0.0; n];
    let indices: Vec<u32> = (0..n as u32).step_by(7).collect();
    let values: Vec<f64> = indices.iter().map(|&i| 1.0 / (1.0 + i as f64)).collect();
    let short = &a[..5];

    // One warm-up call of each dispatching kernel outside the counted region: the CPU feature
    // detection caches its answer on first use, and that one-time step is not the kernel's.
    std::hint::black_box(kernels::dot(&a, &b));
    kernels::axpy(1e-3, &a, &mut y);

    let count = allocations_during(|| {
        let mut sink = 0.0;
        for _ in 0..1000 {
            sink += kernels::dot(&a, &b);
            sink += kernels::dot(short, short);
            sink += kernels::squared_distance(&a, &b);
            kernels::axpy(1e-6, &a, &mut y);
            kernels::axpy(1e-6, short, &mut y[..5]);
            sink += kernels::sparse_dot(&indices, &values, &b);
            kernels::sparse_axpy(1e-6, &indices, &values, &mut y);
            sink += kernels::sparse_squared_distance(&indices, &values, &b);

            sink += deterministic::dot(&a, &b);
            sink += deterministic::squared_distance(&a, &b);
            deterministic::axpy(1e-6, &a, &mut y);
            sink += deterministic::sparse_dot(&indices, &values, &b);
            deterministic::sparse_axpy(1e-6, &indices, &values, &mut y);
            sink += deterministic::sparse_squared_distance(&indices, &values, &b);

            sink += reference::dot(&a, &b);
            sink += reference::squared_distance(&a, &b);
            reference::axpy(1e-6, &a, &mut y);
            sink += reference::sparse_dot(&indices, &values, &b);
            reference::sparse_axpy(1e-6, &indices, &values, &mut y);
            sink += reference::sparse_squared_distance(&indices, &values, &b);
        }
        std::hint::black_box(sink);
    });
    std::hint::black_box(&y);
    assert_eq!(
        count, 0,
        "the kernels allocated {count} times in 1000 rounds"
    );
}
