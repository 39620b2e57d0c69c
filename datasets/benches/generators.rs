//! Throughput of the stream generators: rows per second of `next_into` into a reused buffer.
//!
//! `cargo bench -p tidewater-datasets --bench generators` (criterion reports elements per
//! second: one element is one row). The target is Agrawal at 5M rows/s or more in
//! release; `benches/peers/river_agrawal_rate.py` measures River's rate for comparison, and
//! docs/benchmarks-history.md (issue 4) records both.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tidewater_datasets::synth;

/// Rows per measured iteration.
const ROWS: u64 = 10_000;

fn generators(c: &mut Criterion) {
    let specs = [
        "agrawal(classification_function=0,seed=42)",
        "agrawal(classification_function=9,seed=42,perturbation=0.05)",
        "sea(seed=42)",
        "stagger(seed=42)",
        "hyperplane(seed=42,mag_change=0.001)",
        "random_rbf(seed_model=42,seed_sample=42)",
        "random_rbf_drift(seed_model=42,seed_sample=42,change_speed=0.001)",
        "led(seed=42,noise_percentage=0.1,irrelevant_features=true)",
        "led_drift(seed=42,irrelevant_features=true,n_drift_features=4)",
        "sine(seed=42)",
        "mixed(seed=42)",
        "friedman(seed=42)",
        "friedman_drift(seed=42)",
        "random_tree(seed_tree=42,seed_sample=42)",
        "concept_drift_stream(seed=42,position=100000000)",
    ];
    let mut group = c.benchmark_group("generators");
    group.throughput(Throughput::Elements(ROWS));
    for spec in specs {
        let mut g = synth::from_spec(spec).expect("a valid spec");
        let mut x = vec![0.0; g.n_features()];
        group.bench_function(spec, |b| {
            b.iter(|| {
                let mut acc = 0.0;
                for _ in 0..ROWS {
                    let s = g.next_into(&mut x).expect("the buffer fits");
                    acc += s.target;
                }
                black_box((acc, &x));
            })
        });
    }
    group.finish();
}

criterion_group!(benches, generators);
criterion_main!(benches);
