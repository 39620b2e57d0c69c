//! The side-by-side learning loops of the peer benchmark (`shared/peers`, tasks T1 and T6):
//! data loaded in memory first (parsing excluded), then a prequential loop (predict, score,
//! learn) timed alone, as `run_peers.py` times River's. Prints one JSON object per run.
//!
//! `PEERS_DATA=/work/peers/data cargo bench -p tidewater-linear --bench peers_loop`
//! (`PEERS_TASKS=T1,T6` to choose, `T1S` for the shapes task of `t1_shapes.py`;
//! `PEERS_REPEAT=3` best-of runs).

// Index loops over rows read more plainly than zipped iterators in tests and benches.
#![allow(clippy::needless_range_loop)]

use std::path::PathBuf;
use std::time::Instant;

use tidewater_core::eval::ClassificationEvaluator;
use tidewater_core::io::{TargetSpec, load_csv, load_vw};
use tidewater_core::{Batch, Build, Classifier, Dataset, FeatureMatrix, Label};
use tidewater_linear::{FtrlParams, LogisticRegressionParams};

fn labels(data: &Dataset) -> Vec<Label> {
    data.target().unwrap().to_labels().unwrap()
}

/// The lean loop, River's harness protocol: the positive-class probability of each row is
/// stored (a preallocated buffer), the row learned; accuracy and log loss are computed from
/// the stored predictions after the timed loop.
fn lean(model: &mut dyn Classifier, x: Batch<'_>, y: &[Label]) -> (f64, f64, f64) {
    let mut proba = [0.0f64; 2];
    let mut stored = vec![f64::NAN; y.len()];
    let start = Instant::now();
    for (i, yi) in y.iter().enumerate() {
        let r = x.row(i).unwrap();
        let k = model.classes().len();
        if k == 2 {
            model.predict_proba_into(r, &mut proba).unwrap();
            stored[i] = proba[1];
        }
        model.learn_one(r, yi, None).unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    score(&stored, y, secs)
}

/// The fused loop: the same protocol as [`lean`], with the prediction and the learning of a
/// row in one call ([`Classifier::predict_then_learn`], the prediction made before the update).
fn fused(model: &mut dyn Classifier, x: Batch<'_>, y: &[Label]) -> (f64, f64, f64) {
    let mut proba = [0.0f64; 2];
    let mut stored = vec![f64::NAN; y.len()];
    let start = Instant::now();
    for (i, yi) in y.iter().enumerate() {
        let r = x.row(i).unwrap();
        let k = model.classes().len();
        model
            .predict_then_learn(r, yi, None, &mut proba[..k])
            .unwrap();
        if k == 2 {
            stored[i] = proba[1];
        }
    }
    let secs = start.elapsed().as_secs_f64();
    score(&stored, y, secs)
}

/// The values of a dense data set in memory (row-major) and its number of columns. The
/// static loops below are written out one by one, so each reads as exactly the protocol it
/// times.
fn dense_values(data: &Dataset) -> (&[f64], usize) {
    let FeatureMatrix::Dense(x) = &data.features else {
        panic!("dense data expected")
    };
    (x.as_slice().expect("standard layout"), x.ncols())
}

/// The fused loop with the model's concrete type (static dispatch, as a program holding a
/// `LogisticRegression` calls it) over the rows of a dense matrix in memory.
fn fused_static<M: Classifier>(mut model: M, data: &Dataset, y: &[Label]) -> (f64, f64, f64) {
    let (values, d) = dense_values(data);
    let mut proba = [0.0f64; 2];
    let mut stored = vec![f64::NAN; y.len()];
    let start = Instant::now();
    for (i, (row, yi)) in values.chunks_exact(d).zip(y).enumerate() {
        let k = model.classes().len();
        model
            .predict_then_learn(tidewater_core::Row::Dense(row), yi, None, &mut proba[..k])
            .unwrap();
        if k == 2 {
            stored[i] = proba[1];
        }
    }
    let secs = start.elapsed().as_secs_f64();
    score(&stored, y, secs)
}

/// River's two-call protocol ([`lean`]) with the model's concrete type over the rows of a dense
/// matrix in memory.
fn lean_static<M: Classifier>(mut model: M, data: &Dataset, y: &[Label]) -> (f64, f64, f64) {
    let (values, d) = dense_values(data);
    let mut proba = [0.0f64; 2];
    let mut stored = vec![f64::NAN; y.len()];
    let start = Instant::now();
    for (i, (row, yi)) in values.chunks_exact(d).zip(y).enumerate() {
        let r = tidewater_core::Row::Dense(row);
        if model.classes().len() == 2 {
            model.predict_proba_into(r, &mut proba).unwrap();
            stored[i] = proba[1];
        }
        model.learn_one(r, yi, None).unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    score(&stored, y, secs)
}

/// A loop of the shapes task (T1S): River's two calls (`lean`) or the fused step, over the
/// rows of a dense matrix in memory, with each row's sample weight when `weights` is given.
fn shaped<M: Classifier>(
    mut model: M,
    data: &Dataset,
    y: &[Label],
    weights: Option<&[f64]>,
    fused: bool,
) -> (f64, f64, f64) {
    let (values, d) = dense_values(data);
    let mut proba = [0.0f64; 2];
    let mut stored = vec![f64::NAN; y.len()];
    let start = Instant::now();
    for (i, (row, yi)) in values.chunks_exact(d).zip(y).enumerate() {
        let r = tidewater_core::Row::Dense(row);
        let w = weights.map(|w| w[i]);
        let k = model.classes().len();
        if fused {
            model.predict_then_learn(r, yi, w, &mut proba[..k]).unwrap();
            if k == 2 {
                stored[i] = proba[1];
            }
        } else {
            if k == 2 {
                model.predict_proba_into(r, &mut proba).unwrap();
                stored[i] = proba[1];
            }
            model.learn_one(r, yi, w).unwrap();
        }
    }
    let secs = start.elapsed().as_secs_f64();
    score(&stored, y, secs)
}

/// The weight of row `i` in the shapes task: 0.5, 1, 2 in turn (`t1_shapes.py` gives River
/// the same).
fn shape_weight(i: usize) -> f64 {
    [0.5, 1.0, 2.0][i % 3]
}

/// The fused loop over sparse rows with the concrete type, hinting each next row to the
/// model ([`Classifier::prefetch`]) before the current one's step, as `tidewater eval` does.
fn fused_prefetch<M: Classifier>(mut model: M, data: &Dataset, y: &[Label]) -> (f64, f64, f64) {
    let FeatureMatrix::Sparse(csr) = &data.features else {
        panic!("sparse data expected")
    };
    let mut proba = [0.0f64; 2];
    let mut stored = vec![f64::NAN; y.len()];
    let start = Instant::now();
    for (i, yi) in y.iter().enumerate() {
        if i + 1 < y.len() {
            model.prefetch(tidewater_core::Row::Sparse(csr.row(i + 1)));
        }
        let k = model.classes().len();
        model
            .predict_then_learn(
                tidewater_core::Row::Sparse(csr.row(i)),
                yi,
                None,
                &mut proba[..k],
            )
            .unwrap();
        if k == 2 {
            stored[i] = proba[1];
        }
    }
    let secs = start.elapsed().as_secs_f64();
    score(&stored, y, secs)
}

/// Accuracy and log loss of stored positive-class probabilities (untimed).
fn score(stored: &[f64], y: &[Label], secs: f64) -> (f64, f64, f64) {
    let positive = y.iter().max().unwrap();
    let (mut correct, mut loss) = (0usize, 0.0f64);
    for (p, yi) in stored.iter().zip(y) {
        let is_pos = yi == positive;
        let p_true = if p.is_nan() {
            0.5
        } else if is_pos {
            *p
        } else {
            1.0 - p
        };
        if !p.is_nan() && (*p > 0.5) == is_pos {
            correct += 1;
        }
        loss -= p_true.clamp(1e-15, 1.0 - 1e-15).ln();
    }
    let n = y.len() as f64;
    (secs, correct as f64 / n, loss / n)
}

/// The evaluator loop: core's prequential evaluator (every metric, cumulative and rolling).
fn full(model: &mut dyn Classifier, x: Batch<'_>, y: &[Label]) -> (f64, f64, f64) {
    let mut ev = ClassificationEvaluator::new(1000);
    let start = Instant::now();
    for (i, yi) in y.iter().enumerate() {
        ev.step(model, x.row(i).unwrap(), yi, None).unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    let r = ev.report(secs);
    let get = |k: &str| {
        r.metrics
            .iter()
            .find(|(n, _)| *n == k)
            .and_then(|(_, v)| *v)
            .unwrap_or(f64::NAN)
    };
    (secs, get("accuracy"), get("log_loss"))
}

/// Splits the lean loop's time into its parts (row access, prediction, learning).
fn parts(data: &Dataset, y: &[Label]) {
    let x = data.batch();
    let n = y.len();
    let t = Instant::now();
    let mut acc = 0.0;
    for i in 0..n {
        if let Ok(tidewater_core::Row::Dense(r)) = x.row(i) {
            acc += r[0];
        }
    }
    let rows_s = t.elapsed().as_secs_f64();
    let mut m = LogisticRegressionParams::default().build().unwrap();
    let t = Instant::now();
    for i in 0..n {
        m.learn_one(x.row(i).unwrap(), &y[i], None).unwrap();
    }
    let learn_s = t.elapsed().as_secs_f64() - rows_s;
    let mut proba = [0.0; 2];
    let t = Instant::now();
    for i in 0..n {
        m.predict_proba_into(x.row(i).unwrap(), &mut proba).unwrap();
        acc += proba[1];
    }
    let pred_s = t.elapsed().as_secs_f64() - rows_s;
    eprintln!(
        "parts: row access {:.1} ns, learn_one {:.1} ns, predict_proba_into {:.1} ns per row ({acc:.1})",
        rows_s * 1e9 / n as f64,
        learn_s * 1e9 / n as f64,
        pred_s * 1e9 / n as f64
    );
}

fn run(
    task: &str,
    what: &str,
    data: &Dataset,
    make: &dyn Fn() -> Box<dyn Classifier>,
    repeat: usize,
) {
    let y = labels(data);
    let only = std::env::var("PEERS_LOOP").unwrap_or_default();
    if only == "parts" {
        for _ in 0..3 {
            parts(data, &y);
        }
        return;
    }
    for (loop_name, f) in [
        (
            "lean",
            lean as fn(&mut dyn Classifier, Batch<'_>, &[Label]) -> (f64, f64, f64),
        ),
        ("fused", fused),
        ("evaluator", full),
    ] {
        if !only.is_empty() && only != loop_name {
            continue;
        }
        report_best(task, what, loop_name, y.len(), repeat, || {
            let mut m = make();
            f(m.as_mut(), data.batch(), &y)
        });
    }
}

/// Runs `f` `repeat` times and prints the fastest run as one JSON object.
fn report_best(
    task: &str,
    what: &str,
    loop_name: &str,
    rows: usize,
    repeat: usize,
    mut f: impl FnMut() -> (f64, f64, f64),
) {
    let mut best: Option<(f64, f64, f64)> = None;
    for _ in 0..repeat {
        let r = f();
        if best.is_none_or(|b| r.0 < b.0) {
            best = Some(r);
        }
    }
    let (secs, acc, ll) = best.unwrap();
    println!(
        "{{\"task\":\"{task}\",\"model\":\"{what}\",\"loop\":\"{loop_name}\",\"rows\":{rows},\"learn_s\":{secs:.4},\"rows_per_sec\":{:.0},\"accuracy\":{acc:.4},\"log_loss\":{ll:.4}}}",
        rows as f64 / secs
    );
}

fn main() {
    let dir =
        PathBuf::from(std::env::var("PEERS_DATA").unwrap_or_else(|_| "/work/peers/data".into()));
    let tasks = std::env::var("PEERS_TASKS").unwrap_or_else(|_| "T1,T6".into());
    let tasks: Vec<&str> = tasks.split(',').map(str::trim).collect();
    let repeat: usize = std::env::var("PEERS_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    if tasks.contains(&"T1") {
        let path = dir.join("hyperplane_1m.csv");
        let t = Instant::now();
        let data = load_csv(&path, TargetSpec::Last).expect("hyperplane_1m.csv (run make_data.py)");
        eprintln!(
            "T1: loaded {} rows in {:.2} s (not timed)",
            data.n_rows(),
            t.elapsed().as_secs_f64()
        );
        run(
            "T1",
            "logistic_regression",
            &data,
            &|| Box::new(LogisticRegressionParams::default().build().unwrap()),
            repeat,
        );
        let y = labels(&data);
        report_best(
            "T1",
            "logistic_regression",
            "lean_static",
            y.len(),
            repeat,
            || {
                lean_static(
                    LogisticRegressionParams::default().build().unwrap(),
                    &data,
                    &y,
                )
            },
        );
        report_best(
            "T1",
            "logistic_regression",
            "fused_static",
            y.len(),
            repeat,
            || {
                fused_static(
                    LogisticRegressionParams::default().build().unwrap(),
                    &data,
                    &y,
                )
            },
        );
    }
    if tasks.contains(&"T1S") {
        // Shapes beyond the headline (issue 16): 50 dense features, text labels, sample
        // weights, so that no fast path fits T1's ten numeric columns only. The file is
        // written by benches/peers/t1_shapes.py (River's Hyperplane with 50 features).
        let path = dir.join("hyperplane50_200k.csv");
        let data = load_csv(&path, TargetSpec::Last)
            .expect("hyperplane50_200k.csv (run benches/peers/t1_shapes.py)");
        let y = labels(&data);
        let text: Vec<Label> = y
            .iter()
            .map(|l| Label::from(if *l == Label::Num(1.0) { "pos" } else { "neg" }))
            .collect();
        let w: Vec<f64> = (0..y.len()).map(shape_weight).collect();
        let lr = || LogisticRegressionParams::default().build().unwrap();
        for (shape, labels, weights) in [
            ("dense50", &y, None),
            ("text_labels", &text, None),
            ("weights", &y, Some(&w[..])),
        ] {
            for (loop_name, fused) in [("lean", false), ("fused", true)] {
                report_best(
                    &format!("T1S/{shape}"),
                    "logistic_regression",
                    loop_name,
                    labels.len(),
                    repeat,
                    || shaped(lr(), &data, labels, weights, fused),
                );
            }
        }
    }
    if tasks.contains(&"T6") {
        let path = dir.join("sparse_hashed.vw");
        let t = Instant::now();
        let data = load_vw(&path, 20).expect("sparse_hashed.vw (run make_data.py)");
        assert!(matches!(data.features, FeatureMatrix::Sparse(_)));
        eprintln!(
            "T6: loaded {} rows in {:.2} s (not timed)",
            data.n_rows(),
            t.elapsed().as_secs_f64()
        );
        let spec = std::env::var("FTRL").unwrap_or_default();
        let mut p = FtrlParams::default();
        for kv in spec.split(',').filter(|s| !s.is_empty()) {
            let (k, v) = kv.split_once('=').unwrap();
            let v: f64 = v.parse().unwrap();
            p = match k {
                "alpha" => p.alpha(v),
                "beta" => p.beta(v),
                "l1" => p.l1(v),
                "l2" => p.l2(v),
                _ => panic!("{k}"),
            };
        }
        let name = format!("ftrl({spec})");
        let y = labels(&data);
        report_best(
            "T6",
            &name,
            "fused_prefetch",
            y.len(),
            repeat.min(2),
            || fused_prefetch(p.build().unwrap(), &data, &y),
        );
        run(
            "T6",
            &name,
            &data,
            &|| Box::new(p.build().unwrap()),
            repeat.min(2),
        );
        run(
            "T6",
            "logistic_regression",
            &data,
            &|| Box::new(LogisticRegressionParams::default().build().unwrap()),
            1,
        );
    }
}
