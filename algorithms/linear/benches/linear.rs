//! Criterion benches of every linear model: `learn_one` (per row), `learn_many` (a mini-batch
//! of 1000 rows) and the batch `fit` (10k rows), on dense rows of 10 features (the shape of
//! the peers' `hyperplane_1m`) and, for FTRL, sparse rows of ~28 features over 2^20.
//!
//! Quick run: `cargo bench -p tidewater-linear --bench linear -- --warm-up-time 0.5
//! --measurement-time 1`.

// Index loops over rows read more plainly than zipped iterators in tests and benches.
#![allow(clippy::needless_range_loop)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Array2;
use tidewater_core::{
    Batch, Build, Classifier, CsrMatrix, Dataset, FeatureMatrix, Fit, Label, Regressor, Row,
    Schema, Targets,
};
use tidewater_linear::{
    FtrlParams, LinearRegressionParams, LogisticRegressionParams, PAClassifierParams,
    PARegressorParams, PerceptronParams, RidgeParams, SoftmaxRegressionParams,
};

const D: usize = 10;
const ROWS: usize = 10_000;
const BATCH: usize = 1000;

/// A deterministic generator (splitmix64): no extra dependency.
struct SplitMix(u64);

impl SplitMix {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

struct Data {
    x: Array2<f64>,
    y: Vec<f64>,
    binary: Vec<Label>,
    multi: Vec<Label>,
}

fn data() -> Data {
    let mut g = SplitMix(42);
    let x = Array2::from_shape_fn((ROWS, D), |_| g.next_f64());
    let w: Vec<f64> = (0..D).map(|j| j as f64 / D as f64 - 0.5).collect();
    let y: Vec<f64> = x
        .rows()
        .into_iter()
        .map(|r| r.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() + 0.1 * g.next_f64())
        .collect();
    let binary = y
        .iter()
        .map(|&v| Label::Num((v > 0.0) as i64 as f64))
        .collect();
    let multi = y
        .iter()
        .map(|&v| Label::Num(((v + 1.0) * 1.5).clamp(0.0, 2.0).floor()))
        .collect();
    Data {
        x,
        y,
        binary,
        multi,
    }
}

fn dataset(x: &Array2<f64>, y: Targets) -> Dataset {
    let schema = Schema::numeric((0..D).map(|j| format!("f{j}")).collect(), vec!["y".into()]);
    Dataset::new(FeatureMatrix::Dense(x.clone()), vec![y], schema).unwrap()
}

fn classifiers(c: &mut Criterion, d: &Data) {
    type Make = Box<dyn Fn() -> Box<dyn Classifier>>;
    let models: Vec<(&str, Make, bool)> = vec![
        (
            "logistic_regression",
            Box::new(|| Box::new(LogisticRegressionParams::default().build().unwrap())),
            false,
        ),
        (
            "logistic_regression_adam",
            Box::new(|| {
                Box::new(
                    LogisticRegressionParams::default()
                        .optimizer(tidewater_linear::Optimizer::Adam {
                            lr: 0.1,
                            beta_1: 0.9,
                            beta_2: 0.999,
                            eps: 1e-8,
                        })
                        .build()
                        .unwrap(),
                )
            }),
            false,
        ),
        (
            "softmax_regression",
            Box::new(|| Box::new(SoftmaxRegressionParams::default().build().unwrap())),
            true,
        ),
        (
            "ftrl",
            Box::new(|| Box::new(FtrlParams::default().build().unwrap())),
            false,
        ),
        (
            "pa_classifier",
            Box::new(|| Box::new(PAClassifierParams::default().build().unwrap())),
            false,
        ),
        (
            "perceptron",
            Box::new(|| Box::new(PerceptronParams::default().build().unwrap())),
            false,
        ),
    ];
    let mut g = c.benchmark_group("learn_one");
    g.throughput(Throughput::Elements(1));
    for (name, make, multi) in &models {
        let y = if *multi { &d.multi } else { &d.binary };
        let mut m = make();
        let mut i = 0usize;
        g.bench_function(BenchmarkId::new("classifier", name), |b| {
            b.iter(|| {
                let r = Row::Dense(d.x.row(i % ROWS).to_slice().unwrap());
                m.learn_one(black_box(r), &y[i % ROWS], None).unwrap();
                i += 1;
            })
        });
    }
    g.finish();
    let mut g = c.benchmark_group("learn_many");
    g.throughput(Throughput::Elements(BATCH as u64));
    for (name, make, multi) in &models {
        let y = if *multi { &d.multi } else { &d.binary };
        let mut m = make();
        let mut start = 0usize;
        g.bench_function(BenchmarkId::new("classifier", name), |b| {
            b.iter(|| {
                let s = start % (ROWS / BATCH) * BATCH;
                let part = d.x.slice(ndarray::s![s..s + BATCH, ..]);
                m.learn_many(Batch::Dense(part), &y[s..s + BATCH], None)
                    .unwrap();
                start += 1;
            })
        });
    }
    g.finish();
    let mut g = c.benchmark_group("predict_one");
    g.throughput(Throughput::Elements(1));
    for (name, make, multi) in &models {
        let y = if *multi { &d.multi } else { &d.binary };
        let mut m = make();
        for i in 0..ROWS {
            m.learn_one(Row::Dense(d.x.row(i).to_slice().unwrap()), &y[i], None)
                .unwrap();
        }
        let mut proba = vec![0.0; m.classes().len()];
        let mut i = 0usize;
        g.bench_function(BenchmarkId::new("proba", name), |b| {
            b.iter(|| {
                let r = Row::Dense(d.x.row(i % ROWS).to_slice().unwrap());
                m.predict_proba_into(black_box(r), &mut proba).unwrap();
                i += 1;
            })
        });
    }
    g.finish();
}

fn regressors(c: &mut Criterion, d: &Data) {
    type Make = Box<dyn Fn() -> Box<dyn Regressor>>;
    let models: Vec<(&str, Make)> = vec![
        (
            "linear_regression",
            Box::new(|| Box::new(LinearRegressionParams::default().build().unwrap())),
        ),
        (
            "ridge",
            Box::new(|| Box::new(RidgeParams::default().build().unwrap())),
        ),
        (
            "pa_regressor",
            Box::new(|| Box::new(PARegressorParams::default().build().unwrap())),
        ),
    ];
    let mut g = c.benchmark_group("learn_one");
    g.throughput(Throughput::Elements(1));
    for (name, make) in &models {
        let mut m = make();
        let mut i = 0usize;
        g.bench_function(BenchmarkId::new("regressor", name), |b| {
            b.iter(|| {
                let r = Row::Dense(d.x.row(i % ROWS).to_slice().unwrap());
                m.learn_one(black_box(r), d.y[i % ROWS], None).unwrap();
                i += 1;
            })
        });
        // The prequential step of a ridge: predict (a solve after every update) then learn.
        if *name == "ridge" {
            let mut m = make();
            g.bench_function(
                BenchmarkId::new("regressor", "ridge_predict_then_learn"),
                |b| {
                    b.iter(|| {
                        let r = Row::Dense(d.x.row(i % ROWS).to_slice().unwrap());
                        black_box(m.predict_one(r).unwrap());
                        m.learn_one(r, d.y[i % ROWS], None).unwrap();
                        i += 1;
                    })
                },
            );
        }
    }
    g.finish();
    let mut g = c.benchmark_group("learn_many");
    g.throughput(Throughput::Elements(BATCH as u64));
    for (name, make) in &models {
        let mut m = make();
        let mut start = 0usize;
        g.bench_function(BenchmarkId::new("regressor", name), |b| {
            b.iter(|| {
                let s = start % (ROWS / BATCH) * BATCH;
                let part = d.x.slice(ndarray::s![s..s + BATCH, ..]);
                m.learn_many(Batch::Dense(part), &d.y[s..s + BATCH], None)
                    .unwrap();
                start += 1;
            })
        });
    }
    g.finish();
}

fn fits(c: &mut Criterion, d: &Data) {
    let mut g = c.benchmark_group("fit");
    g.throughput(Throughput::Elements(ROWS as u64));
    g.sample_size(10);
    let bin = dataset(&d.x, Targets::Labels(d.binary.clone()));
    let multi = dataset(&d.x, Targets::Labels(d.multi.clone()));
    let reg = dataset(&d.x, Targets::Values(d.y.clone()));
    g.bench_function("logistic_regression_lbfgs", |b| {
        b.iter(|| {
            LogisticRegressionParams::default()
                .c(1.0)
                .fit(&bin)
                .unwrap()
        })
    });
    g.bench_function("softmax_regression_lbfgs", |b| {
        b.iter(|| {
            SoftmaxRegressionParams::default()
                .c(1.0)
                .fit(&multi)
                .unwrap()
        })
    });
    g.bench_function("linear_regression_qr", |b| {
        b.iter(|| LinearRegressionParams::default().fit(&reg).unwrap())
    });
    g.bench_function("ridge", |b| {
        b.iter(|| RidgeParams::default().fit(&reg).unwrap())
    });
    g.bench_function("ftrl", |b| {
        b.iter(|| FtrlParams::default().fit(&bin).unwrap())
    });
    g.bench_function("pa_classifier", |b| {
        b.iter(|| PAClassifierParams::default().fit(&bin).unwrap())
    });
    g.bench_function("pa_regressor", |b| {
        b.iter(|| PARegressorParams::default().fit(&reg).unwrap())
    });
    g.bench_function("perceptron", |b| {
        b.iter(|| PerceptronParams::default().fit(&bin).unwrap())
    });
    g.finish();
}

/// FTRL on hashed sparse rows: ~28 active features out of 2^20.
fn ftrl_sparse(c: &mut Criterion) {
    let dim = 1u32 << 20;
    let mut g = SplitMix(7);
    let mut m = CsrMatrix::new(dim as usize);
    let mut y = Vec::new();
    for _ in 0..ROWS {
        let mut idx: Vec<u32> = (0..30)
            .map(|_| ((g.next_f64() * g.next_f64()) * dim as f64) as u32 % dim)
            .collect();
        idx.sort_unstable();
        idx.dedup();
        let vals = vec![1.0; idx.len()];
        m.push_row(&idx, &vals).unwrap();
        y.push(Label::Num(if g.next_f64() < 0.3 { 1.0 } else { -1.0 }));
    }
    let mut group = c.benchmark_group("learn_one");
    group.throughput(Throughput::Elements(1));
    let mut model = FtrlParams::default().build().unwrap();
    let mut i = 0usize;
    group.bench_function(BenchmarkId::new("classifier", "ftrl_sparse_2^20"), |b| {
        b.iter(|| {
            let r = Row::Sparse(m.row(i % ROWS));
            model.learn_one(black_box(r), &y[i % ROWS], None).unwrap();
            i += 1;
        })
    });
    group.finish();
    let mut group = c.benchmark_group("learn_many");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.sample_size(10);
    let mut model = FtrlParams::default().build().unwrap();
    group.bench_function(BenchmarkId::new("classifier", "ftrl_sparse_2^20"), |b| {
        b.iter(|| model.learn_many(Batch::Sparse(&m), &y, None).unwrap())
    });
    group.finish();
}

fn all(c: &mut Criterion) {
    let d = data();
    classifiers(c, &d);
    regressors(c, &d);
    fits(c, &d);
    ftrl_sparse(c);
}

criterion_group!(benches, all);
criterion_main!(benches);
