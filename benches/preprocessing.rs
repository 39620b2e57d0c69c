//! StandardScaler `learn_one` + `transform_one` on the peers' `hyperplane_1m.csv` (1M rows,
//! 10 features), the figure docs/benchmarks-history.md (issue 6) compared with River's
//! `StandardScaler` (`learn_one` then `transform_one`) and scikit-learn's (`partial_fit` +
//! `transform` per 1000 rows), both run by `shared/peers/run_peers.py --tasks T5` on the same
//! file. The generated BENCHMARKS.md takes T5 from tidewater-preprocessing's `peers_loop`
//! bench instead (a JSON line, best of 3, both protocols).
//!
//! The file is read from `$PEERS_DATA/hyperplane_1m.csv` (default `/work/peers/data`) before
//! timing; without it the bench runs on 1M generated rows of the same shape and says so.
//! Throughput is in rows (`elem/s` = rows/s). Also measured: the same loop for
//! `MinMaxScaler`, and a record stage (one-hot of a text column, numbers passed through).
//!
//! Run: `cargo bench --bench preprocessing`.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tidewater::Transformer;
use tidewater::core::io::CsvReader;
use tidewater::core::record::{Cell, FeatureBuf, RecordSchema, RecordTransformer};
use tidewater::preprocessing::{
    ColumnTransformer, MinMaxScaler, OneHotEncoderParams, RecordStepParams, StandardScaler,
};
use tidewater::{FeatureVector, Row};

const D: usize = 10;

/// The features of `hyperplane_1m.csv` (row-major), or generated rows of the same shape.
fn rows() -> Vec<f64> {
    let dir = std::env::var_os("PEERS_DATA")
        .map_or_else(|| PathBuf::from("/work/peers/data"), PathBuf::from);
    let path = dir.join("hyperplane_1m.csv");
    match CsvReader::open(&path) {
        Ok(mut r) => {
            let mut rec = tidewater::core::io::Record::new();
            let mut x = Vec::with_capacity(10_000_000);
            while r.next_record(&mut rec).expect("a readable file") {
                x.extend(rec.cells[..D].iter().map(|c| c.as_f64().unwrap_or(0.0)));
            }
            eprintln!("read {} rows from {}", x.len() / D, path.display());
            x
        }
        Err(e) => {
            eprintln!("{}: {e}; using 1M generated rows instead", path.display());
            let mut s = 0x5EED_u64;
            (0..1_000_000 * D)
                .map(|_| {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    (s >> 11) as f64 / (1u64 << 53) as f64
                })
                .collect()
        }
    }
}

fn bench(c: &mut Criterion) {
    let x = rows();
    let n = x.len() / D;
    let mut g = c.benchmark_group("hyperplane_1m");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(10);
    g.bench_function("standard_scaler_learn_one_transform_one", |b| {
        let mut out = [0.0; D];
        b.iter(|| {
            let mut s = StandardScaler::new();
            for r in x.chunks_exact(D) {
                s.learn_one(Row::Dense(r), None).unwrap();
                s.transform_one(Row::Dense(r), &mut out).unwrap();
                black_box(&out);
            }
            s
        })
    });
    g.bench_function("min_max_scaler_learn_one_transform_one", |b| {
        let mut out = [0.0; D];
        b.iter(|| {
            let mut s = MinMaxScaler::new();
            for r in x.chunks_exact(D) {
                s.learn_one(Row::Dense(r), None).unwrap();
                s.transform_one(Row::Dense(r), &mut out).unwrap();
                black_box(&out);
            }
            s
        })
    });
    g.finish();

    // A record stage: one text column one-hot encoded, nine numbers passed through; 100k
    // records (the record path copies cells, so it is measured on fewer rows).
    let m = 100_000.min(n);
    let names: Vec<String> = (0..D).map(|j| format!("x{j}")).collect();
    let mut kinds = vec![tidewater::core::io::ColumnKind::Numeric; D];
    kinds[0] = tidewater::core::io::ColumnKind::Nominal;
    let schema = RecordSchema::new(names, kinds).unwrap();
    let records: Vec<Vec<Cell>> = x
        .chunks_exact(D)
        .take(m)
        .map(|r| {
            let mut c: Vec<Cell> = r.iter().map(|&v| Cell::Num(v)).collect();
            c[0] = Cell::Text(["a", "b", "c", "d"][(r[0] * 4.0) as usize % 4].into());
            c
        })
        .collect();
    let mut g = c.benchmark_group("records_100k");
    g.throughput(Throughput::Elements(m as u64));
    g.sample_size(10);
    g.bench_function("one_hot_record_stage_learn_one_transform_one", |b| {
        let mut buf = FeatureBuf::new();
        b.iter(|| {
            let mut ct = ColumnTransformer::new(
                schema.clone(),
                &[RecordStepParams::OneHot(
                    OneHotEncoderParams::default().max_categories(4),
                )],
            )
            .unwrap();
            for r in &records {
                ct.learn_one(r, None).unwrap();
                ct.transform_one(r, &mut buf).unwrap();
                black_box(buf.row().unwrap().dim());
            }
            ct
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
