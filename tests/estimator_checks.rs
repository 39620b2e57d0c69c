//! The common estimator checks, run over every component of the model table and the detector
//! table with no test written for any one of them (River's `utils.estimator_checks` and
//! scikit-learn's `check_estimator` are the anchors). A component added to a table is checked
//! by this file the day it lands:
//!
//! - rows with NaN or infinite values, and rows of the wrong width, are refused (by
//!   `learn_one`, `learn_many` and the predictions) and leave the model bit-identical (law 6);
//! - a model saved and loaded mid-stream predicts, and then keeps learning, bit-identically
//!   (law 4);
//! - two models built from the same spec (with a seed where the component takes one) and fed
//!   the same rows are the same model;
//! - `learn_many` over chunks equals the row loop: bit for bit, or within the laws' tolerance
//!   where the component declares `chunking = "tolerance"` (law 2);
//! - `fit` on an empty data set is refused;
//! - `learn_one` and the per-row predictions allocate nothing once warm, where the component
//!   declares `alloc_free`.
//!
//! A batch-only component (`#[params(batch_only)]`: CART, random forests) has no stream
//! path: the checks fit it on the same rows instead of learning them one by one, and hold it
//! to refusing `learn_one` and `learn_many` (every row, good or bad) leaving it bit-identical,
//! to refusing `fit` on rows with NaN, and to the round trip, determinism and empty-fit
//! checks.
//!
//! Each check prints how many components it went through.

use tidewater::core::record::{Cell, ColumnKind, RecordSchema, RecordTransform};
use tidewater::persist;
use tidewater::prelude::*;
use tidewater::registry::{
    self, AnyClassifier, AnyClusterer, AnyModel, AnyRegressor, AnyTransformer, Component,
};
use tidewater::spec::{Chunking, parse_spec};
use tidewater::{FeatureMatrix, Schema};

// ---------------------------------------------------------------------------------------------
// Counting allocations of this thread.

#[path = "common/alloc.rs"]
mod alloc;
use alloc::allocations;

// ---------------------------------------------------------------------------------------------
// Data.

const D: usize = 4;
const N: usize = 80;

/// Row `i`: four features in different ranges, none constant, none negative (counting
/// models take only counts).
fn row(i: usize) -> [f64; D] {
    let t = i as f64;
    [
        (t * 0.7).sin() * 3.0 + 3.0,
        ((i * 7) % 11) as f64 / 4.0,
        (t * 0.31).cos() + 0.1 * t + 1.0,
        ((i * 5 + 3) % 13) as f64,
    ]
}

/// A binary label both classes of which come early.
fn label(i: usize) -> Label {
    let x = row(i);
    Label::Num(if x[0] + 0.5 * x[1] > 4.25 { 1.0 } else { 0.0 })
}

/// A regression target.
fn target(i: usize) -> f64 {
    let x = row(i);
    2.0 * x[0] - x[1] + 0.25 * x[3] + 0.5
}

fn rows(range: std::ops::Range<usize>) -> Vec<[f64; D]> {
    range.map(row).collect()
}

/// Bad rows: each must be refused.
fn bad_rows() -> Vec<(&'static str, Vec<f64>)> {
    let mut nan = row(3).to_vec();
    nan[1] = f64::NAN;
    let mut inf = row(4).to_vec();
    inf[2] = f64::INFINITY;
    let mut neg_inf = row(5).to_vec();
    neg_inf[0] = f64::NEG_INFINITY;
    vec![
        ("NaN", nan),
        ("+inf", inf),
        ("-inf", neg_inf),
        ("too short", row(6)[..D - 1].to_vec()),
        ("too long", [row(7).as_slice(), &[1.0]].concat()),
    ]
}

fn empty_dataset(supervised: Option<bool>) -> Dataset {
    let x = ndarray::Array2::<f64>::zeros((0, D));
    let names = (0..D).map(|j| format!("f{j}")).collect();
    let (targets, target_names) = match supervised {
        Some(true) => (vec![Targets::Labels(Vec::new())], vec!["y".to_owned()]),
        Some(false) => (vec![Targets::Values(Vec::new())], vec!["y".to_owned()]),
        None => (Vec::new(), Vec::new()),
    };
    Dataset::new(
        FeatureMatrix::Dense(x),
        targets,
        Schema::numeric(names, target_names),
    )
    .unwrap()
}

/// Rows `range` (with their labels or targets, by role) as a data set.
fn dataset_of(role: registry::Role, range: std::ops::Range<usize>) -> Dataset {
    let n = range.len();
    let x = ndarray::Array2::from_shape_vec((n, D), rows(range.clone()).concat()).unwrap();
    let names = (0..D).map(|j| format!("f{j}")).collect();
    let (targets, target_names) = match role {
        registry::Role::Classifier => (
            vec![Targets::Labels(range.map(label).collect())],
            vec!["y".to_owned()],
        ),
        registry::Role::Regressor => (
            vec![Targets::Values(range.map(target).collect())],
            vec!["y".to_owned()],
        ),
        registry::Role::Transformer | registry::Role::Clusterer => (Vec::new(), Vec::new()),
    };
    Dataset::new(
        FeatureMatrix::Dense(x),
        targets,
        Schema::numeric(names, target_names),
    )
    .unwrap()
}

// ---------------------------------------------------------------------------------------------
// A component of any role, driven the same way.

#[derive(Clone, Debug, PartialEq)]
enum Model {
    C(AnyClassifier),
    R(AnyRegressor),
    T(AnyTransformer),
    K(AnyClusterer),
}

impl Model {
    fn build(spec: &str) -> Model {
        let s = parse_spec(spec).unwrap();
        let e = registry::entry(&s.name).unwrap();
        match (e.build)(&s).unwrap_or_else(|err| panic!("{spec}: {err}")) {
            Component::Classifier(m) => Model::C(m),
            Component::Regressor(m) => Model::R(m),
            Component::Transformer(m) => Model::T(m),
            Component::Clusterer(m) => Model::K(m),
            Component::Record(_) => unreachable!("record steps are checked on records"),
        }
    }

    /// The component of `spec` trained on rows `range`: learned row by row, or fitted on
    /// them when it is batch-only.
    fn trained(e: &registry::Entry, spec: &str, range: std::ops::Range<usize>) -> Model {
        if e.properties.stream_path {
            let mut m = Model::build(spec);
            m.learn(range);
            return m;
        }
        let s = parse_spec(spec).unwrap();
        match (e.fit)(&s, &dataset_of(e.role, range)).unwrap_or_else(|err| panic!("{spec}: {err}"))
        {
            Component::Classifier(m) => Model::C(m),
            Component::Regressor(m) => Model::R(m),
            Component::Transformer(m) => Model::T(m),
            Component::Clusterer(m) => Model::K(m),
            Component::Record(_) => unreachable!("record steps are checked on records"),
        }
    }

    /// Whether the model says it learns row by row (transformers always do).
    fn learns_rows(&self) -> bool {
        match self {
            Model::C(m) => m.check_learning().is_ok(),
            Model::R(m) => m.check_learning().is_ok(),
            Model::T(_) => true,
            Model::K(m) => m.check_learning().is_ok(),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        match self {
            Model::C(m) => persist::to_bytes("check", m),
            Model::R(m) => persist::to_bytes("check", m),
            Model::T(m) => persist::to_bytes("check", m),
            Model::K(m) => persist::to_bytes("check", m),
        }
        .unwrap()
    }

    fn reload(&self) -> Model {
        let b = self.bytes();
        match self {
            Model::C(_) => Model::C(persist::from_bytes(&b, "check").unwrap().1),
            Model::R(_) => Model::R(persist::from_bytes(&b, "check").unwrap().1),
            Model::T(_) => Model::T(persist::from_bytes(&b, "check").unwrap().1),
            Model::K(_) => Model::K(persist::from_bytes(&b, "check").unwrap().1),
        }
    }

    fn learn_one(&mut self, x: &[f64], i: usize) -> Result<()> {
        match self {
            Model::C(m) => m.learn_one(Row::Dense(x), &label(i), None),
            Model::R(m) => m.learn_one(Row::Dense(x), target(i), None),
            Model::T(m) => m.learn_one(Row::Dense(x), None),
            Model::K(m) => m.learn_one(Row::Dense(x), None),
        }
    }

    fn learn(&mut self, range: std::ops::Range<usize>) {
        for i in range {
            self.learn_one(&row(i), i).unwrap();
        }
    }

    /// `learn_many` over rows `range`, in chunks of the given sizes (the last takes the rest).
    fn learn_chunks(&mut self, range: std::ops::Range<usize>, sizes: &[usize]) {
        let mut start = range.start;
        let mut k = 0;
        while start < range.end {
            let end = match sizes.get(k) {
                Some(s) => (start + s).min(range.end),
                None => range.end,
            };
            let xs = rows(start..end);
            let flat = ndarray::Array2::from_shape_vec((end - start, D), xs.concat()).unwrap();
            let batch = Batch::Dense(flat.view());
            match self {
                Model::C(m) => {
                    let y: Vec<Label> = (start..end).map(label).collect();
                    m.learn_many(batch, &y, None)
                }
                Model::R(m) => {
                    let y: Vec<f64> = (start..end).map(target).collect();
                    m.learn_many(batch, &y, None)
                }
                Model::T(m) => m.learn_many(batch, None),
                Model::K(m) => m.learn_many(batch, None),
            }
            .unwrap();
            start = end;
            k += 1;
        }
    }

    /// Every prediction for `x` as numbers (label, probabilities; value; transformed row),
    /// or the error's text.
    fn predict(&self, x: &[f64]) -> std::result::Result<Vec<f64>, String> {
        let r = Row::Dense(x);
        let out = match self {
            Model::C(m) => {
                let mut p = vec![0.0; m.classes().len()];
                m.predict_proba_into(r, &mut p).map(|()| {
                    let l = m.predict_one(r).unwrap();
                    p.push(l.and_then(|l| l.as_f64()).unwrap_or(f64::NAN));
                    p
                })
            }
            Model::R(m) => m.predict_one(r).map(|v| vec![v]),
            Model::T(m) => {
                let k = m.n_features_out().unwrap_or(0);
                let mut out = vec![0.0; k];
                m.transform_one(r, &mut out).map(|()| out)
            }
            // The cluster index (NaN for none), then the distances to the centers.
            Model::K(m) => {
                let mut out = vec![0.0; m.n_clusters()];
                m.distances_into(r, &mut out).and_then(|()| {
                    let c = m.predict_one(r)?;
                    out.insert(0, c.map_or(f64::NAN, |c| c as f64));
                    Ok(out)
                })
            }
        };
        out.map_err(|e| e.to_string())
    }

    fn predict_all(&self) -> Vec<std::result::Result<Vec<f64>, String>> {
        rows(0..N).iter().map(|x| self.predict(x)).collect()
    }
}

/// The spec a check builds each model entry from: its defaults, a seed where it takes one,
/// or, for a union, two parts (it has no default); CluStream with fewer micro-clusters.
fn spec_of(e: &registry::Entry) -> String {
    let params = (e.params)();
    if e.name == "union" {
        return "union(parts=[standard_scaler,max_abs_scaler])".into();
    }
    if e.name == "clustream" {
        // With its defaults the 80 rows would all fall in its start-up (one micro-cluster
        // per row up to 100): fewer micro-clusters and offline steps make the checks bite.
        return "clustream(seed=7,max_micro_clusters=10,time_gap=10)".into();
    }
    if params.iter().any(|p| p.name == "seed") {
        return format!("{}(seed=7)", e.name);
    }
    e.name.to_owned()
}

fn numeric_entries() -> Vec<&'static registry::Entry> {
    registry::catalogue().iter().filter(|e| !e.record).collect()
}

fn bits(v: &[std::result::Result<Vec<f64>, String>]) -> Vec<std::result::Result<Vec<u64>, String>> {
    v.iter()
        .map(|r| {
            r.as_ref()
                .map(|x| x.iter().map(|f| f.to_bits()).collect())
                .map_err(Clone::clone)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The checks over the model table.

#[test]
fn bad_rows_are_refused_and_leave_every_model_unchanged() {
    let mut checked = 0;
    for e in numeric_entries() {
        let spec = spec_of(e);
        let mut m = Model::trained(e, &spec, 0..30);
        let before = m.bytes();
        let preds = m.predict_all();
        assert_eq!(
            m.learns_rows(),
            e.properties.stream_path,
            "{spec}: check_learning disagrees with its declared stream path"
        );
        if !e.properties.stream_path {
            // A batch-only model refuses every row, and its fit refuses rows with NaN.
            assert!(
                m.learn_one(&row(31), 31).is_err(),
                "{spec}: learn_one learned"
            );
            let mut data = dataset_of(e.role, 0..30);
            if let FeatureMatrix::Dense(x) = &mut data.features {
                x[[7, 2]] = f64::NAN;
            }
            let s = parse_spec(&spec).unwrap();
            let err = (e.fit)(&s, &data).err();
            assert!(err.is_some(), "{spec}: fitted a NaN");
            let err = err.unwrap().to_string();
            assert!(err.contains("row 7"), "{spec}: {err}");
        }
        for (what, x) in bad_rows() {
            let any_width = e.properties.any_width && !what.contains("inf") && what != "NaN";
            if !any_width {
                assert!(
                    m.learn_one(&x, 3).is_err(),
                    "{spec}: learn_one took a row {what}"
                );
                assert!(m.predict(&x).is_err(), "{spec}: predicted a row {what}");
            }
            assert_eq!(
                m.bytes(),
                before,
                "{spec}: a refused row ({what}) changed the model"
            );
        }
        // A bad row inside a batch: the whole batch is refused, nothing learned.
        let mut xs = rows(30..36);
        xs[3][2] = f64::NAN;
        let flat = ndarray::Array2::from_shape_vec((6, D), xs.concat()).unwrap();
        let batch = Batch::Dense(flat.view());
        let refused = match &mut m {
            Model::C(c) => c.learn_many(batch, &(30..36).map(label).collect::<Vec<_>>(), None),
            Model::R(r) => r.learn_many(batch, &(30..36).map(target).collect::<Vec<_>>(), None),
            Model::T(t) => t.learn_many(batch, None),
            Model::K(k) => k.learn_many(batch, None),
        };
        assert!(refused.is_err(), "{spec}: learn_many took a NaN row");
        assert_eq!(
            m.bytes(),
            before,
            "{spec}: a refused batch changed the model"
        );
        // Bad targets and weights.
        let x = row(40);
        let bad_target = match &mut m {
            Model::C(c) => Some(c.learn_one(Row::Dense(&x), &Label::Num(f64::NAN), None)),
            Model::R(r) => Some(r.learn_one(Row::Dense(&x), f64::INFINITY, None)),
            Model::T(_) | Model::K(_) => None,
        };
        if let Some(r) = bad_target {
            assert!(r.is_err(), "{spec}: learned a non-finite target");
        }
        let bad_weight = match &mut m {
            Model::C(c) => c.learn_one(Row::Dense(&x), &label(40), Some(-1.0)),
            Model::R(r) => r.learn_one(Row::Dense(&x), target(40), Some(f64::NAN)),
            Model::T(t) => t.learn_one(Row::Dense(&x), Some(-1.0)),
            Model::K(k) => k.learn_one(Row::Dense(&x), Some(f64::NAN)),
        };
        assert!(
            bad_weight.is_err(),
            "{spec}: learned with a bad sample weight"
        );
        assert_eq!(
            m.bytes(),
            before,
            "{spec}: a refused target or weight changed it"
        );
        assert_eq!(
            bits(&m.predict_all()),
            bits(&preds),
            "{spec}: predictions moved"
        );
        checked += 1;
    }
    println!("bad rows refused, models unchanged: {checked} components checked");
    assert_eq!(checked, numeric_entries().len());
}

#[test]
fn a_model_saved_mid_stream_predicts_and_keeps_learning_identically() {
    let mut checked = 0;
    for e in numeric_entries() {
        let spec = spec_of(e);
        let mut m = Model::trained(e, &spec, 0..N / 2);
        let mut back = m.reload();
        assert_eq!(back, m, "{spec}: the loaded model differs");
        assert_eq!(bits(&back.predict_all()), bits(&m.predict_all()), "{spec}");
        if !e.properties.stream_path {
            // No stream path to keep learning on: both refuse a row alike.
            let before = m.bytes();
            assert!(m.learn_one(&row(N / 2), N / 2).is_err(), "{spec}");
            assert!(back.learn_one(&row(N / 2), N / 2).is_err(), "{spec}");
            assert_eq!(m.bytes(), before, "{spec}: a refused row changed it");
            assert_eq!(back.bytes(), before, "{spec}: a refused row changed it");
            checked += 1;
            continue;
        }
        m.learn(N / 2..N);
        back.learn(N / 2..N);
        assert_eq!(
            back.bytes(),
            m.bytes(),
            "{spec}: learning after a reload differs"
        );
        assert_eq!(bits(&back.predict_all()), bits(&m.predict_all()), "{spec}");
        checked += 1;
    }
    println!("serde round trip mid-stream: {checked} components checked");
}

#[test]
fn the_same_spec_and_rows_make_the_same_model() {
    let mut checked = 0;
    for e in numeric_entries() {
        let spec = spec_of(e);
        let (a, b) = (
            Model::trained(e, &spec, 0..N),
            Model::trained(e, &spec, 0..N),
        );
        assert_eq!(a.bytes(), b.bytes(), "{spec}: two runs differ");
        checked += 1;
    }
    println!("determinism for a spec (seeded where seeded): {checked} components checked");
}

#[test]
fn learn_many_over_any_chunking_equals_the_row_loop() {
    let mut checked = 0;
    for e in numeric_entries() {
        let spec = spec_of(e);
        if !e.properties.stream_path {
            // No row loop to compare with: every chunk is refused, the model unchanged.
            let mut m = Model::trained(e, &spec, 0..N);
            let before = m.bytes();
            let xs = ndarray::Array2::from_shape_vec((3, D), rows(0..3).concat()).unwrap();
            let batch = Batch::Dense(xs.view());
            let refused = match &mut m {
                Model::C(c) => c.learn_many(batch, &(0..3).map(label).collect::<Vec<_>>(), None),
                Model::R(r) => r.learn_many(batch, &(0..3).map(target).collect::<Vec<_>>(), None),
                Model::T(t) => t.learn_many(batch, None),
                Model::K(k) => k.learn_many(batch, None),
            };
            assert!(refused.is_err(), "{spec}: learn_many learned");
            assert_eq!(m.bytes(), before, "{spec}: a refused batch changed it");
            checked += 1;
            continue;
        }
        let mut one = Model::build(&spec);
        one.learn(0..N);
        let want = one.predict_all();
        for sizes in [&[N][..], &[1, 2, 3, 5, 8, 13], &[7, 30, 1], &[40, 40]] {
            let mut many = Model::build(&spec);
            many.learn_chunks(0..N, sizes);
            match e.properties.chunking {
                Chunking::Exact => {
                    assert_eq!(many.bytes(), one.bytes(), "{spec}: chunks {sizes:?}");
                }
                Chunking::Tolerance => {
                    for (i, (g, w)) in many.predict_all().iter().zip(&want).enumerate() {
                        let (g, w) = (g.as_ref().unwrap(), w.as_ref().unwrap());
                        let scale = w.iter().fold(1.0f64, |s, v| s.max(v.abs()));
                        for (a, b) in g.iter().zip(w) {
                            assert!(
                                (a - b).abs() <= 1e-9 * (a.abs() + b.abs()) + 1e-12 * scale,
                                "{spec}: chunks {sizes:?}, row {i}: {a} against {b}"
                            );
                        }
                    }
                }
                Chunking::Own => {}
            }
        }
        checked += 1;
    }
    println!("learn_many chunking against the row loop: {checked} components checked");
}

#[test]
fn fit_on_an_empty_data_set_is_refused() {
    let mut checked = 0;
    for e in numeric_entries() {
        let spec = parse_spec(&spec_of(e)).unwrap();
        let data = match e.role {
            registry::Role::Classifier => empty_dataset(Some(true)),
            registry::Role::Regressor => empty_dataset(Some(false)),
            registry::Role::Transformer | registry::Role::Clusterer => empty_dataset(None),
        };
        assert!((e.fit)(&spec, &data).is_err(), "{}: fitted nothing", e.name);
        checked += 1;
    }
    println!("fit on empty data refused: {checked} components checked");
}

#[test]
fn the_hot_paths_of_allocation_free_components_allocate_nothing() {
    let mut checked = 0;
    for e in numeric_entries()
        .into_iter()
        .filter(|e| e.properties.alloc_free)
    {
        let spec = spec_of(e);
        let mut m = Model::build(&spec);
        m.learn(0..40);
        // Warm every per-row path once (thread-local scratch, first-use buffers).
        let _ = m.predict(&row(40));
        let xs = rows(40..N);
        let mut proba = vec![0.0; 2];
        let mut out = vec![0.0; 64];
        let n = allocations(|| {
            for (k, x) in xs.iter().enumerate() {
                let i = 40 + k;
                let r = Row::Dense(x);
                match &mut m {
                    Model::C(c) => {
                        c.learn_one(r, &label(i), None).unwrap();
                        let _ = c.predict_one(r).unwrap();
                        c.predict_proba_into(r, &mut proba).unwrap();
                    }
                    Model::R(c) => {
                        c.learn_one(r, target(i), None).unwrap();
                        let _ = c.predict_one(r).unwrap();
                    }
                    Model::T(t) => {
                        t.learn_one(r, None).unwrap();
                        let k = t.n_features_out().unwrap();
                        t.transform_one(r, &mut out[..k]).unwrap();
                    }
                    Model::K(c) => {
                        c.learn_one(r, None).unwrap();
                        let _ = c.predict_one(r).unwrap();
                        let k = c.n_clusters();
                        c.distances_into(r, &mut out[..k]).unwrap();
                    }
                }
            }
        });
        assert_eq!(n, 0, "{spec}: {n} allocations in {} rows", xs.len());
        checked += 1;
    }
    println!("allocation-free hot paths: {checked} components checked");
    assert!(checked > 0);
}

// ---------------------------------------------------------------------------------------------
// The record stage's steps (they take raw cells: numbers, text, missing values).

fn record_schema() -> RecordSchema {
    RecordSchema::new(
        vec!["a".into(), "b".into(), "city".into()],
        vec![
            ColumnKind::Numeric,
            ColumnKind::Numeric,
            ColumnKind::Nominal,
        ],
    )
    .unwrap()
}

fn record(i: usize) -> Vec<Cell> {
    let x = row(i);
    let city = ["Oslo", "Lima", "Pune", "Kyiv"][i % 4];
    vec![Cell::Num(x[0]), Cell::Num(x[2]), Cell::Text(city.into())]
}

fn record_spec(e: &registry::Entry) -> String {
    if e.name == "select" {
        "select(columns=[a,b])".into()
    } else {
        e.name.to_owned()
    }
}

/// A record step alone, or followed by a one-hot encoder of the text column when the step
/// leaves text columns to others (an imputer, a selection).
fn record_model(spec: &str) -> AnyModel {
    let schema = record_schema();
    registry::build_for(spec, Some(&schema))
        .or_else(|_| {
            registry::build_for(
                &format!("{spec}|one_hot_encoder(columns=[city])"),
                Some(&schema),
            )
        })
        .unwrap_or_else(|e| panic!("{spec}: {e}"))
}

fn record_transform(m: &AnyModel, x: &[Cell]) -> std::result::Result<Vec<u64>, String> {
    let AnyModel::Transformer(p) = m else {
        panic!("a record step alone is a transformer")
    };
    let k = RecordTransform::n_outputs(p).unwrap_or(0);
    let mut out = vec![0.0; k];
    RecordTransform::transform_record(p, x, &mut out)
        .map(|()| out.iter().map(|v| v.to_bits()).collect())
        .map_err(|e| e.to_string())
}

fn record_learn(m: &mut AnyModel, x: &[Cell]) -> Result<()> {
    let AnyModel::Transformer(p) = m else {
        panic!("a record step alone is a transformer")
    };
    RecordTransform::learn_record(p, x, None)
}

fn model_bytes(m: &AnyModel) -> Vec<u8> {
    persist::to_bytes("check", m).unwrap()
}

#[test]
fn every_record_step_refuses_bad_records_round_trips_and_is_deterministic() {
    let steps: Vec<_> = registry::catalogue().iter().filter(|e| e.record).collect();
    for e in &steps {
        let spec = record_spec(e);
        let mut m = record_model(&spec);
        for i in 0..30 {
            record_learn(&mut m, &record(i)).unwrap();
        }
        let before = model_bytes(&m);
        let mut nan = record(31);
        nan[0] = Cell::Num(f64::NAN);
        let mut inf = record(32);
        inf[1] = Cell::Num(f64::INFINITY);
        let short = record(33)[..2].to_vec();
        for (what, bad) in [("NaN", nan), ("inf", inf), ("two cells of three", short)] {
            assert!(
                record_learn(&mut m, &bad).is_err(),
                "{spec}: learned a record with {what}"
            );
            assert!(
                record_transform(&m, &bad).is_err(),
                "{spec}: transformed {what}"
            );
            assert_eq!(
                model_bytes(&m),
                before,
                "{spec}: a refused record ({what}) changed it"
            );
        }
        // Round trip mid-stream, then the same learning.
        let (_, mut back): (_, AnyModel) =
            persist::from_bytes(&persist::to_bytes("check", &m).unwrap(), "check").unwrap();
        for i in 30..60 {
            assert_eq!(
                record_transform(&back, &record(i)),
                record_transform(&m, &record(i))
            );
            record_learn(&mut m, &record(i)).unwrap();
            record_learn(&mut back, &record(i)).unwrap();
        }
        assert_eq!(
            model_bytes(&back),
            model_bytes(&m),
            "{spec}: after a reload"
        );
        // Determinism.
        let mut again = record_model(&spec);
        for i in 0..60 {
            record_learn(&mut again, &record(i)).unwrap();
        }
        assert_eq!(
            model_bytes(&again),
            model_bytes(&m),
            "{spec}: two runs differ"
        );
    }
    println!("record steps: {} components checked", steps.len());
    assert!(!steps.is_empty());
}

// ---------------------------------------------------------------------------------------------
// The detector table.

#[test]
fn every_detector_refuses_non_finite_values_round_trips_and_is_deterministic() {
    use tidewater::drift::{AnyDetector, DriftDetector, build_detector};
    let values: Vec<f64> = (0..3000)
        .map(|i| {
            if (i * 7919) % 10 < if i < 1500 { 2 } else { 6 } {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    let bytes = |d: &AnyDetector| persist::to_bytes("check", d).unwrap();
    let mut checked = 0;
    for e in registry::detector_catalogue() {
        let spec = if (e.params)().iter().any(|p| p.name == "seed") {
            format!("{}(seed=3)", e.name)
        } else {
            e.name.to_owned()
        };
        let mut d = build_detector(&spec).unwrap();
        let mut flags = Vec::new();
        for &v in &values[..1000] {
            d.update(v).unwrap();
            flags.push(d.drift_detected());
        }
        let before = bytes(&d);
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(d.update(bad).is_err(), "{spec}: took {bad}");
            assert_eq!(bytes(&d), before, "{spec}: a refused {bad} changed it");
        }
        let (_, mut back): (_, AnyDetector) =
            persist::from_bytes(&persist::to_bytes("check", &d).unwrap(), "check").unwrap();
        let mut again = build_detector(&spec).unwrap();
        for &v in &values[..1000] {
            again.update(v).unwrap();
        }
        for &v in &values[1000..] {
            d.update(v).unwrap();
            back.update(v).unwrap();
            again.update(v).unwrap();
            assert_eq!(back.drift_detected(), d.drift_detected(), "{spec}");
            assert_eq!(back.warning_detected(), d.warning_detected(), "{spec}");
            assert_eq!(again.drift_detected(), d.drift_detected(), "{spec}");
        }
        assert_eq!(bytes(&back), bytes(&d), "{spec}: after a reload");
        assert_eq!(bytes(&again), bytes(&d), "{spec}: two runs differ");
        checked += 1;
    }
    println!("detectors: {checked} components checked");
}

/// The tags of the table's enums are distinct (a checkpoint tag is never reused).
#[test]
fn checkpoint_tags_are_distinct_in_every_table() {
    for (name, tags) in [
        ("AnyClassifier", AnyClassifier::TAGS),
        ("AnyRegressor", AnyRegressor::TAGS),
        ("AnyTransformer", AnyTransformer::TAGS),
        ("AnyClusterer", AnyClusterer::TAGS),
        ("AnyDetector", tidewater::drift::AnyDetector::TAGS),
    ] {
        let mut seen: Vec<u32> = tags.iter().map(|(_, t)| *t).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(
            seen.len(),
            tags.len(),
            "{name}: a tag is used twice: {tags:?}"
        );
    }
}
