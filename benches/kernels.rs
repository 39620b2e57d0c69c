//! Benchmarks of the numeric kernels of `tidewater_core::kernels`.
//!
//! Every kernel (or family) is measured in two criterion groups, because one group can only
//! report one kind of throughput:
//!
//! * `<kernel>_bytes` declares `Throughput::Bytes(bytes moved per call)`, so criterion prints
//!   memory bandwidth in **GiB/s** (read + written, counted once per element);
//! * `<kernel>_flops` declares `Throughput::Elements(floating-point operations per call)`, so the
//!   `elem/s` criterion prints are **FLOP/s** (`Gelem/s` = GFLOP/s).
//!
//! Dense kernels run at 1k (L1-resident), 32k (L2) and 1M (memory) elements, each as the naive
//! `iter().zip().map().sum()` loop, the fast dispatched kernel and the deterministic one. The
//! sparse kernels use ~30 nonzeros over 2^20 weights (the touched lines stay cache-warm across
//! iterations, so this measures the gather loop rather than DRAM latency).
//!
//! Quick run: `cargo bench --bench kernels -- --warm-up-time 0.5 --measurement-time 1`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tidewater_core::kernels::{self, deterministic, reference};

/// Dense lengths: L1-resident, L2-resident, memory-bound.
const LENGTHS: [usize; 3] = [1 << 10, 1 << 15, 1 << 20];
/// Nonzeros of the sparse row.
const NNZ: usize = 30;
/// Length of the dense weights of the sparse kernels.
const SPARSE_DIM: usize = 1 << 20;

/// A small deterministic generator (splitmix64) so the bench needs no extra dependency.
struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }

    fn vec(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.next_f64()).collect()
    }
}

fn naive_dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn naive_squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

fn naive_axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

type Reduction = fn(&[f64], &[f64]) -> f64;
type Axpy = fn(f64, &[f64], &mut [f64]);

/// Which throughput a group reports.
#[derive(Clone, Copy)]
enum Unit {
    Bytes,
    Flops,
}

impl Unit {
    fn suffix(self) -> &'static str {
        match self {
            Unit::Bytes => "bytes",
            Unit::Flops => "flops",
        }
    }

    fn throughput(self, bytes: u64, flops: u64) -> Throughput {
        match self {
            Unit::Bytes => Throughput::Bytes(bytes),
            Unit::Flops => Throughput::Elements(flops),
        }
    }
}

/// Benchmarks a dense reduction (`dot` or `squared_distance`) over every length, in both units.
fn bench_reduction(
    c: &mut Criterion,
    name: &str,
    flops_per_element: u64,
    variants: &[(&str, Reduction)],
) {
    let mut rng = SplitMix(0x7469_6465);
    let max = LENGTHS[LENGTHS.len() - 1];
    let a = rng.vec(max);
    let b = rng.vec(max);
    for unit in [Unit::Bytes, Unit::Flops] {
        let mut group = c.benchmark_group(format!("{name}_{}", unit.suffix()));
        for &n in &LENGTHS {
            let n64 = n as u64;
            group.throughput(unit.throughput(16 * n64, flops_per_element * n64));
            let (a, b) = (&a[..n], &b[..n]);
            for &(variant, f) in variants {
                group.bench_with_input(BenchmarkId::new(variant, n), &n, |bench, _| {
                    bench.iter(|| f(black_box(a), black_box(b)))
                });
            }
        }
        group.finish();
    }
}

fn bench_dot(c: &mut Criterion) {
    bench_reduction(
        c,
        "dot",
        2,
        &[
            ("naive", naive_dot),
            ("fast", kernels::dot),
            ("deterministic", deterministic::dot),
        ],
    );
}

fn bench_squared_distance(c: &mut Criterion) {
    bench_reduction(
        c,
        "squared_distance",
        3,
        &[
            ("naive", naive_squared_distance),
            ("fast", kernels::squared_distance),
            ("deterministic", deterministic::squared_distance),
        ],
    );
}

fn bench_axpy(c: &mut Criterion) {
    let variants: [(&str, Axpy); 3] = [
        ("naive", naive_axpy),
        ("fast", kernels::axpy),
        ("deterministic", deterministic::axpy),
    ];
    let mut rng = SplitMix(0x6178_7079);
    let max = LENGTHS[LENGTHS.len() - 1];
    let x = rng.vec(max);
    let mut y = rng.vec(max);
    // Tiny so that `y` stays bounded over billions of calls.
    let a = 1e-12;
    for unit in [Unit::Bytes, Unit::Flops] {
        let mut group = c.benchmark_group(format!("axpy_{}", unit.suffix()));
        for &n in &LENGTHS {
            let n64 = n as u64;
            // Reads x and y, writes y.
            group.throughput(unit.throughput(24 * n64, 2 * n64));
            let x = &x[..n];
            for &(variant, f) in &variants {
                let y = &mut y[..n];
                group.bench_with_input(BenchmarkId::new(variant, n), &n, |bench, _| {
                    bench.iter(|| f(black_box(a), black_box(x), black_box(&mut *y)))
                });
            }
        }
        group.finish();
    }
}

fn bench_sparse(c: &mut Criterion) {
    let mut rng = SplitMix(0x7370_6172);
    let w = rng.vec(SPARSE_DIM);
    let mut y = rng.vec(SPARSE_DIM);
    let mut indices: Vec<u32> = Vec::with_capacity(NNZ);
    while indices.len() < NNZ {
        let i = (rng.next_u64() % SPARSE_DIM as u64) as u32;
        if !indices.contains(&i) {
            indices.push(i);
        }
    }
    indices.sort_unstable();
    let values = rng.vec(NNZ);
    let a = 1e-12;
    let nnz = NNZ as u64;

    type SparseDot = fn(&[u32], &[f64], &[f64]) -> f64;
    type SparseAxpy = fn(f64, &[u32], &[f64], &mut [f64]);
    let dots: [(&str, SparseDot); 2] = [
        ("fast", kernels::sparse_dot),
        ("reference", reference::sparse_dot),
    ];
    let axpys: [(&str, SparseAxpy); 2] = [
        ("fast", kernels::sparse_axpy),
        ("reference", reference::sparse_axpy),
    ];

    for unit in [Unit::Bytes, Unit::Flops] {
        let mut group = c.benchmark_group(format!("sparse_{}", unit.suffix()));
        // sparse_dot reads an index, a value and a weight per nonzero.
        group.throughput(unit.throughput(nnz * (4 + 8 + 8), 2 * nnz));
        for &(variant, f) in &dots {
            group.bench_function(BenchmarkId::new("dot", variant), |bench| {
                bench.iter(|| f(black_box(&indices), black_box(&values), black_box(&w)))
            });
        }
        // sparse_axpy reads an index, a value and y, and writes y, per nonzero.
        group.throughput(unit.throughput(nnz * (4 + 8 + 8 + 8), 2 * nnz));
        for &(variant, f) in &axpys {
            group.bench_function(BenchmarkId::new("axpy", variant), |bench| {
                bench.iter(|| {
                    f(
                        black_box(a),
                        black_box(&indices),
                        black_box(&values),
                        black_box(&mut y),
                    )
                })
            });
        }
        group.finish();
    }
}

criterion_group!(
    benches,
    bench_dot,
    bench_squared_distance,
    bench_axpy,
    bench_sparse
);
criterion_main!(benches);
