//! Per-update cost of the detectors (criterion). The side-by-side comparison with River and
//! MOA on the 10M-value stream is `benches/peers/drift.sh` at the workspace root.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use tidewater_drift::evaluation::bernoulli_stream;
use tidewater_drift::{Adwin, Ddm, DriftDetector, PageHinkley};

fn detectors(c: &mut Criterion) {
    let xs = bernoulli_stream(&[(500_000, 0.2), (500_000, 0.4)], 42);
    let mut g = c.benchmark_group("update_1m");
    g.sample_size(10);
    g.bench_function("adwin", |b| {
        b.iter(|| Adwin::new().update_many(black_box(&xs)).unwrap())
    });
    g.bench_function("page_hinkley", |b| {
        b.iter(|| PageHinkley::new().update_many(black_box(&xs)).unwrap())
    });
    g.bench_function("ddm", |b| {
        b.iter(|| Ddm::new().update_many(black_box(&xs)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, detectors);
criterion_main!(benches);
