//! Criterion benches of every tree model on more than one shape of stream.
//!
//! - `prequential/<model>/<shape>`: the peers' protocol per row, `predict_proba_into` then
//!   `learn_one` (two calls), on a tree already grown on 20,000 rows, the stream going on;
//! - `prequential_regression/<model>/<shape>`: the same for the regression trees on
//!   `friedman` (10 features) and `friedman_drift` (a global recurring drift);
//! - `fit/<model>/<shape>`: the batch trees' `fit` on 5,000 rows, and their `predict_one`.
//!
//! Shapes, from the generators: `agrawal` (9 features, 3 of them nominal, binary), `sea`
//! (3 numeric features, binary, 10 % label noise), `rbf50` (random RBF, 50 numeric features,
//! 5 classes).
//!
//! Quick run: `cargo bench -p tidewater-trees --bench trees -- --warm-up-time 0.5
//! --measurement-time 1`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tidewater_core::{Build, Classifier, Dataset, Fit, Label, Regressor, Row};
use tidewater_datasets::synth::{from_spec, take_dataset};
use tidewater_trees::{
    AdaptiveRandomForestClassifierParams, AdaptiveRandomForestRegressorParams,
    DecisionTreeClassifierParams, ExtremelyFastDecisionTreeClassifierParams,
    HoeffdingAdaptiveTreeClassifierParams, HoeffdingAdaptiveTreeRegressorParams,
    HoeffdingTreeClassifierParams, HoeffdingTreeRegressorParams, RandomForestClassifierParams,
};

/// Rows a tree grows on before it is timed, and rows it is timed over (cycled).
const WARM: usize = 20_000;
const TIMED: usize = 20_000;

/// A shape: its name, its generator spec.
const SHAPES: [(&str, &str); 3] = [
    ("agrawal", "agrawal(seed=1)"),
    ("sea", "sea(noise=0.1,seed=1)"),
    (
        "rbf50",
        "random_rbf(seed_model=1,seed_sample=1,n_features=50,n_classes=5)",
    ),
];

/// A shape's rows (dense, row-major), labels and nominal columns.
struct Stream {
    d: usize,
    x: Vec<f64>,
    y: Vec<Label>,
    nominal: Vec<usize>,
    data: Dataset,
}

fn stream(spec: &str, n: usize) -> Stream {
    let mut g = from_spec(spec).expect("a generator");
    let data = take_dataset(g.as_mut(), n).expect("rows");
    let d = data.n_features();
    let b = data.batch();
    let mut x = Vec::with_capacity(n * d);
    for i in 0..n {
        let Row::Dense(r) = b.row(i).expect("a row") else {
            unreachable!("generators give dense rows")
        };
        x.extend_from_slice(r);
    }
    let y = data.target().unwrap().to_labels().unwrap();
    let nominal = data.schema.nominal_indices();
    Stream {
        d,
        x,
        y,
        nominal,
        data,
    }
}

type Make = Box<dyn Fn() -> Box<dyn Classifier>>;

fn online() -> Vec<(&'static str, Make)> {
    vec![
        (
            "hoeffding_tree",
            Box::new(|| Box::new(HoeffdingTreeClassifierParams::default().build().unwrap())),
        ),
        (
            "hoeffding_adaptive_tree",
            Box::new(|| {
                Box::new(
                    HoeffdingAdaptiveTreeClassifierParams::default()
                        .seed(Some(1))
                        .build()
                        .unwrap(),
                )
            }),
        ),
        (
            "efdt",
            Box::new(|| {
                Box::new(
                    ExtremelyFastDecisionTreeClassifierParams::default()
                        .build()
                        .unwrap(),
                )
            }),
        ),
        (
            "adaptive_random_forest",
            Box::new(|| {
                Box::new(
                    AdaptiveRandomForestClassifierParams::default()
                        .seed(Some(1))
                        .build()
                        .unwrap(),
                )
            }),
        ),
    ]
}

fn prequential(c: &mut Criterion) {
    let mut g = c.benchmark_group("prequential");
    g.throughput(Throughput::Elements(1));
    for (shape, spec) in SHAPES {
        let s = stream(spec, WARM + TIMED);
        for (name, make) in online() {
            let mut m = make();
            m.set_nominal_features(&s.nominal);
            for i in 0..WARM {
                let r = Row::Dense(&s.x[i * s.d..(i + 1) * s.d]);
                m.learn_one(r, &s.y[i], None).unwrap();
            }
            let mut proba = vec![0.0; m.classes().len()];
            let mut i = 0usize;
            g.bench_function(BenchmarkId::new(name, shape), |b| {
                b.iter(|| {
                    let k = WARM + i % TIMED;
                    let r = Row::Dense(&s.x[k * s.d..(k + 1) * s.d]);
                    m.predict_proba_into(black_box(r), &mut proba).unwrap();
                    m.learn_one(r, &s.y[k], None).unwrap();
                    i += 1;
                })
            });
        }
    }
    g.finish();
}

fn prequential_regression(c: &mut Criterion) {
    type MakeR = Box<dyn Fn() -> Box<dyn Regressor>>;
    let models: Vec<(&str, MakeR)> = vec![
        (
            "hoeffding_tree_regressor",
            Box::new(|| Box::new(HoeffdingTreeRegressorParams::default().build().unwrap())),
        ),
        (
            "hoeffding_adaptive_tree_regressor",
            Box::new(|| {
                Box::new(
                    HoeffdingAdaptiveTreeRegressorParams::default()
                        .seed(Some(1))
                        .build()
                        .unwrap(),
                )
            }),
        ),
        (
            "adaptive_random_forest_regressor",
            Box::new(|| {
                Box::new(
                    AdaptiveRandomForestRegressorParams::default()
                        .seed(Some(1))
                        .build()
                        .unwrap(),
                )
            }),
        ),
    ];
    let mut g = c.benchmark_group("prequential_regression");
    g.throughput(Throughput::Elements(1));
    for (shape, spec) in [
        ("friedman", "friedman(seed=1)"),
        ("friedman_drift", "friedman_drift(seed=1)"),
    ] {
        let s = stream(spec, WARM + TIMED);
        let y = s.data.target().unwrap().to_values().unwrap();
        for (name, make) in &models {
            let mut m = make();
            for (i, &yi) in y.iter().enumerate().take(WARM) {
                let r = Row::Dense(&s.x[i * s.d..(i + 1) * s.d]);
                m.learn_one(r, yi, None).unwrap();
            }
            let mut i = 0usize;
            g.bench_function(BenchmarkId::new(*name, shape), |b| {
                b.iter(|| {
                    let k = WARM + i % TIMED;
                    let r = Row::Dense(&s.x[k * s.d..(k + 1) * s.d]);
                    black_box(m.predict_one(black_box(r)).unwrap());
                    m.learn_one(r, y[k], None).unwrap();
                    i += 1;
                })
            });
        }
    }
    g.finish();
}

fn batch(c: &mut Criterion) {
    const N: usize = 5_000;
    let mut g = c.benchmark_group("fit");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N as u64));
    for (shape, spec) in SHAPES {
        let s = stream(spec, N);
        let dt = DecisionTreeClassifierParams::default().seed(0);
        g.bench_function(BenchmarkId::new("decision_tree", shape), |b| {
            b.iter(|| black_box(dt.fit(&s.data).unwrap()))
        });
        let rf = RandomForestClassifierParams::default()
            .n_estimators(10)
            .seed(0);
        g.bench_function(BenchmarkId::new("random_forest_10", shape), |b| {
            b.iter(|| black_box(rf.fit(&s.data).unwrap()))
        });
    }
    g.finish();
    let mut g = c.benchmark_group("predict_one");
    g.throughput(Throughput::Elements(1));
    for (shape, spec) in SHAPES {
        let s = stream(spec, N);
        let models: [(&str, Box<dyn Classifier>); 2] = [
            (
                "decision_tree",
                Box::new(
                    DecisionTreeClassifierParams::default()
                        .seed(0)
                        .fit(&s.data)
                        .unwrap(),
                ),
            ),
            (
                "random_forest",
                Box::new(
                    RandomForestClassifierParams::default()
                        .seed(0)
                        .fit(&s.data)
                        .unwrap(),
                ),
            ),
        ];
        for (name, m) in models {
            let mut i = 0usize;
            g.bench_function(BenchmarkId::new(name, shape), |b| {
                b.iter(|| {
                    let k = i % N;
                    let r = Row::Dense(&s.x[k * s.d..(k + 1) * s.d]);
                    black_box(m.predict_one(black_box(r)).unwrap());
                    i += 1;
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, prequential, prequential_regression, batch);
criterion_main!(benches);
