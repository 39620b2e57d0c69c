//! Hot paths allocate nothing per call: `learn_one`, `predict_one`, `predict_proba_into` and
//! `transform_one` of the models so far, and a pipeline around them, once warmed up; the
//! stream clusterers' learning and predictions (CluStream) and predictions (DBSTREAM).
//!
//! A counting global allocator counts allocations made by this thread while a closure runs.

use tidewater::bayes::GaussianNB;
use tidewater::prelude::*;
use tidewater::preprocessing::StandardScaler;
use tidewater::trees::HoeffdingTreeClassifierParams;

#[path = "common/alloc.rs"]
mod alloc;
use alloc::allocations;

fn rows() -> Vec<(Vec<f64>, Label)> {
    (0..200)
        .map(|i| {
            let t = i as f64;
            (
                vec![t.sin(), (t * 0.3).cos(), t % 7.0, 1.0 / (1.0 + t)],
                Label::Num((i % 3) as f64),
            )
        })
        .collect()
}

#[test]
fn gaussian_nb_learns_and_predicts_without_allocating() {
    for text in [false, true] {
        let mut data = rows();
        if text {
            for (_, y) in &mut data {
                *y = Label::from(format!("class {y}"));
            }
        }
        let mut m = GaussianNB::new();
        for (x, y) in &data[..10] {
            m.learn_one(Row::Dense(x), y, None).unwrap();
        }
        let mut proba = vec![0.0; m.classes().len()];
        let n = allocations(|| {
            for (x, y) in &data[10..] {
                let _ = m.predict_one(Row::Dense(x)).unwrap();
                m.predict_proba_into(Row::Dense(x), &mut proba).unwrap();
                m.learn_one(Row::Dense(x), y, Some(0.5)).unwrap();
                let _ = m
                    .predict_then_learn(Row::Dense(x), y, None, &mut proba)
                    .unwrap();
            }
        });
        // predict_one returns an owned label: a number, or a shared text (no copy).
        assert_eq!(n, 0, "text labels {text}: {n} allocations in 190 rounds");
    }
}

#[test]
fn standard_scaler_learns_and_transforms_without_allocating() {
    let data = rows();
    let mut s = StandardScaler::new();
    s.learn_one(Row::Dense(&data[0].0), None).unwrap();
    let mut out = vec![0.0; 4];
    let n = allocations(|| {
        for (x, _) in &data[1..] {
            s.learn_one(Row::Dense(x), None).unwrap();
            s.transform_one(Row::Dense(x), &mut out).unwrap();
        }
    });
    assert_eq!(n, 0, "{n} allocations in 199 rounds");
}

#[test]
fn a_pipeline_learns_and_predicts_without_allocating_once_warm() {
    let data = rows();
    let mut p = Pipeline::new(vec![StandardScaler::new()], GaussianNB::new());
    for (x, y) in &data[..10] {
        p.learn_one(Row::Dense(x), y, None).unwrap();
        let _ = p.predict_one(Row::Dense(x)).unwrap();
    }
    let mut proba = vec![0.0; p.classes().len()];
    let n = allocations(|| {
        for (x, y) in &data[10..] {
            let _ = p.predict_one(Row::Dense(x)).unwrap();
            p.predict_proba_into(Row::Dense(x), &mut proba).unwrap();
            p.learn_one(Row::Dense(x), y, None).unwrap();
        }
    });
    assert_eq!(n, 0, "{n} allocations in 190 rounds");
}

#[test]
fn dense_scalers_transform_into_the_callers_buffer_without_allocating() {
    use tidewater::preprocessing::{
        AdaptiveStandardScaler, KBinsDiscretizerParams, MaxAbsScaler, MinMaxScaler, Normalizer,
        PcaParams, RobustScaler,
    };
    let data = rows();
    let mut ts: Vec<Box<dyn Transformer>> = vec![
        Box::new(StandardScaler::new()),
        Box::new(MinMaxScaler::new()),
        Box::new(MaxAbsScaler::new()),
        Box::new(Normalizer::default()),
        Box::new(AdaptiveStandardScaler::default()),
        Box::new(RobustScaler::default()),
        Box::new(KBinsDiscretizerParams::default().build().unwrap()),
        Box::new(PcaParams::default().n_components(2).build().unwrap()),
    ];
    for t in &mut ts {
        for (x, _) in &data[..20] {
            t.learn_one(Row::Dense(x), None).unwrap();
        }
    }
    let mut out = vec![0.0; 4];
    for (i, t) in ts.iter().enumerate() {
        let k = t.n_features_out().unwrap();
        let n = allocations(|| {
            for (x, _) in &data[20..] {
                t.transform_one(Row::Dense(x), &mut out[..k]).unwrap();
            }
        });
        assert_eq!(n, 0, "transformer {i}: {n} allocations in 180 transforms");
    }
    // The exact scalers learn without allocating too, once they know the dimension.
    let mut learners: Vec<Box<dyn Transformer>> = vec![
        Box::new(MinMaxScaler::new()),
        Box::new(MaxAbsScaler::new()),
        Box::new(AdaptiveStandardScaler::default()),
    ];
    for (i, t) in learners.iter_mut().enumerate() {
        t.learn_one(Row::Dense(&data[0].0), None).unwrap();
        let n = allocations(|| {
            for (x, _) in &data[1..] {
                t.learn_one(Row::Dense(x), Some(0.5)).unwrap();
                t.transform_one(Row::Dense(x), &mut out).unwrap();
            }
        });
        assert_eq!(n, 0, "learner {i}: {n} allocations in 199 rounds");
    }
}

#[test]
fn a_hoeffding_tree_learns_and_predicts_without_allocating_between_split_attempts() {
    let data = rows();
    for nominal in [None, Some(vec![2])] {
        // A grown tree: an attempt every 20 rows of weight 1 (each one a split) ...
        let mut m = HoeffdingTreeClassifierParams {
            grace_period: 20,
            tau: 10.0,
            nominal_attributes: nominal.clone(),
            ..Default::default()
        }
        .build()
        .unwrap();
        for (x, y) in data.iter().chain(&data) {
            m.learn_one(Row::Dense(x), y, None).unwrap();
        }
        assert!(m.depth() >= 2, "the tree should have grown:\n{m}");
        // ... then rows of weight 1e-4, which bring no leaf to its next attempt (each is at
        // most 19 short of it, in whole weights): a first pass for the leaves' first-use
        // buffers (the observers of a new leaf, a class new to a leaf), then the counted one.
        for (x, y) in &data {
            m.learn_one(Row::Dense(x), y, Some(1e-4)).unwrap();
        }
        // And the thread's prediction scratch, once.
        let _ = m.predict_one(Row::Dense(&data[0].0)).unwrap();
        let mut proba = vec![0.0; 3];
        let n = allocations(|| {
            for (x, y) in &data {
                let _ = m.predict_one(Row::Dense(x)).unwrap();
                m.predict_proba_into(Row::Dense(x), &mut proba).unwrap();
                m.learn_one(Row::Dense(x), y, Some(1e-4)).unwrap();
            }
        });
        assert_eq!(n, 0, "nominal {nominal:?}: {n} allocations in 200 rounds");
    }
}

#[test]
fn the_stream_clusterers_hot_paths_allocate_nothing_once_warm() {
    use tidewater::cluster::{CluStreamParams, DBStreamParams};
    let data = rows();
    // CluStream with River's offline step: once its micro-clusters exist and its first
    // offline step has drawn the starting centers, learning (offline steps included) and
    // predicting allocate nothing.
    let mut m = CluStreamParams::default()
        .n_macro_clusters(3)
        .max_micro_clusters(20)
        .time_gap(10)
        .seed(1)
        .build()
        .unwrap();
    for (x, _) in &data[..40] {
        m.learn_one(Row::Dense(x), None).unwrap();
    }
    assert_eq!(m.n_clusters(), 3);
    let mut out = vec![0.0; 3];
    let n = allocations(|| {
        for (x, _) in &data[40..] {
            m.learn_one(Row::Dense(x), Some(0.5)).unwrap();
            let _ = m.predict_one(Row::Dense(x)).unwrap();
            m.distances_into(Row::Dense(x), &mut out).unwrap();
        }
    });
    assert_eq!(
        n, 0,
        "CluStream: {n} allocations in 160 rows (16 offline steps)"
    );
    // DBSTREAM: its predictions allocate nothing (its learning grows vectors when a
    // micro-cluster or a shared density is new).
    let mut m = DBStreamParams::default().build().unwrap();
    for (x, _) in &data {
        m.learn_one(Row::Dense(x), None).unwrap();
    }
    let k = m.n_clusters();
    assert!(k > 0);
    let mut out = vec![0.0; k];
    let n = allocations(|| {
        for (x, _) in &data {
            let _ = m.predict_one(Row::Dense(x)).unwrap();
            m.distances_into(Row::Dense(x), &mut out).unwrap();
        }
    });
    assert_eq!(n, 0, "DBSTREAM: {n} allocations in 200 predictions");
}
