//! The side-by-side learning loops of the peer benchmark (`shared/peers`, task T2/T2J): the
//! data loaded in memory first (parsing excluded), then MOA's protocol timed alone: the class
//! probabilities of each row (`getVotesForInstance`), then learning it (`trainOnInstance`);
//! accuracy from the stored predictions after the loop. Prints one JSON object per run.
//!
//! `PEERS_DATA=/work/peers/data cargo bench -p tidewater-trees --bench peers_loop`
//! (`PEERS_SETS=agrawal_1m,sea_1m` to choose; `PEERS_REPEAT=3` best-of runs;
//! `PEERS_LOOP=lean|fused` for one loop; `PEERS_MODELS=hoeffding_tree,...` for some models).

use std::path::PathBuf;
use std::time::Instant;

use tidewater_core::io::{TargetSpec, load_csv};
use tidewater_core::{Build, Classifier, Dataset, FeatureMatrix, Label, Row};
use tidewater_trees::{
    AdaptiveRandomForestClassifierParams, HoeffdingAdaptiveTreeClassifierParams,
    HoeffdingTreeClassifierParams,
};

/// The rows of a dense data set in memory (row-major) and its number of columns.
fn dense_values(data: &Dataset) -> (&[f64], usize) {
    let FeatureMatrix::Dense(x) = &data.features else {
        panic!("dense data expected")
    };
    (x.as_slice().expect("standard layout"), x.ncols())
}

/// The index of the largest probability (the first on a tie), `usize::MAX` for none.
fn argmax(p: &[f64]) -> usize {
    let mut best = usize::MAX;
    for (k, &v) in p.iter().enumerate() {
        if best == usize::MAX || v > p[best] {
            best = k;
        }
    }
    best
}

/// Accuracy of the stored predictions (class indices in label order; none is wrong).
fn accuracy<M: Classifier>(model: &M, stored: &[usize], y: &[Label]) -> f64 {
    let labels = model.classes().labels();
    let right = stored
        .iter()
        .zip(y)
        .filter(|(k, yi)| labels.get(**k) == Some(*yi))
        .count();
    right as f64 / y.len() as f64
}

/// MOA's two calls per row: the probabilities, then the update.
fn lean<M: Classifier>(mut model: M, data: &Dataset, y: &[Label]) -> (f64, f64) {
    let (values, d) = dense_values(data);
    let mut proba = [0.0f64; 16];
    let mut stored = vec![usize::MAX; y.len()];
    let start = Instant::now();
    for (i, (row, yi)) in values.chunks_exact(d).zip(y).enumerate() {
        let r = Row::Dense(row);
        let k = model.classes().len();
        if k > 0 {
            model.predict_proba_into(r, &mut proba[..k]).unwrap();
            stored[i] = argmax(&proba[..k]);
        }
        model.learn_one(r, yi, None).unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    (secs, accuracy(&model, &stored, y))
}

/// The same protocol in one call per row (the prediction made before the update).
fn fused<M: Classifier>(mut model: M, data: &Dataset, y: &[Label]) -> (f64, f64) {
    let (values, d) = dense_values(data);
    let mut proba = [0.0f64; 16];
    let mut stored = vec![usize::MAX; y.len()];
    let start = Instant::now();
    for (i, (row, yi)) in values.chunks_exact(d).zip(y).enumerate() {
        let k = model.classes().len();
        model
            .predict_then_learn(Row::Dense(row), yi, None, &mut proba[..k])
            .unwrap();
        if k > 0 {
            stored[i] = argmax(&proba[..k]);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    (secs, accuracy(&model, &stored, y))
}

/// Runs the loops (both, or `only`) on one model, best of `repeat`, one JSON line each.
fn run<M: Classifier>(
    set: &str,
    name: &str,
    data: &Dataset,
    y: &[Label],
    repeat: usize,
    only: &str,
    make: impl Fn() -> M,
) {
    for (loop_name, f) in [
        ("lean", lean::<M> as fn(M, &Dataset, &[Label]) -> (f64, f64)),
        ("fused", fused::<M>),
    ] {
        if !only.is_empty() && only != loop_name {
            continue;
        }
        let mut best: Option<(f64, f64)> = None;
        for _ in 0..repeat {
            let r = f(make(), data, y);
            if best.is_none_or(|b| r.0 < b.0) {
                best = Some(r);
            }
        }
        let (secs, acc) = best.expect("at least one run");
        println!(
            "{{\"task\":\"T2\",\"data\":\"{set}\",\"model\":\"{name}\",\"loop\":\"{loop_name}\",\"rows\":{},\"seconds\":{secs:.4},\"rows_per_sec\":{:.0},\"accuracy\":{acc:.6}}}",
            y.len(),
            y.len() as f64 / secs
        );
    }
}

fn main() {
    let dir = PathBuf::from(std::env::var("PEERS_DATA").unwrap_or("/work/peers/data".into()));
    let sets = std::env::var("PEERS_SETS").unwrap_or("agrawal_1m,sea_1m".into());
    let repeat: usize = std::env::var("PEERS_REPEAT")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let only = std::env::var("PEERS_LOOP").unwrap_or_default();
    for set in sets.split(',') {
        let path = dir.join(format!("{set}.csv"));
        let Ok(data) = load_csv(&path, TargetSpec::Last) else {
            eprintln!("skipping {set}: cannot read {}", path.display());
            continue;
        };
        let y = data.target().unwrap().to_labels().unwrap();
        let only_model = std::env::var("PEERS_MODELS").unwrap_or_default();
        let wanted = |name: &str| only_model.is_empty() || only_model.split(',').any(|m| m == name);
        if wanted("hoeffding_tree") {
            let p = HoeffdingTreeClassifierParams::default();
            run(set, "hoeffding_tree", &data, &y, repeat, &only, || {
                p.build().unwrap()
            });
        }
        if wanted("adaptive_random_forest") {
            let p = AdaptiveRandomForestClassifierParams::default().seed(42);
            run(
                set,
                "adaptive_random_forest",
                &data,
                &y,
                repeat.min(1),
                &only,
                || p.build().unwrap(),
            );
        }
        if wanted("hoeffding_adaptive_tree") {
            // The peers' seed (run_peers.py: HoeffdingAdaptiveTreeClassifier(seed=42)).
            let p = HoeffdingAdaptiveTreeClassifierParams::default().seed(42);
            run(
                set,
                "hoeffding_adaptive_tree",
                &data,
                &y,
                repeat,
                &only,
                || p.build().unwrap(),
            );
        }
    }
}
