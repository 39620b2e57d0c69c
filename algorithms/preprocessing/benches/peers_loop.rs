//! The side-by-side loops of the peer benchmark's task T5 (`shared/peers/run_peers.py --tasks
//! T5`): `StandardScaler` on `hyperplane_1m.csv` (1M rows, 10 features), the rows loaded in
//! memory first (parsing excluded), each loop timed alone, best of `PEERS_REPEAT` runs:
//!
//! - `learn_one_transform_one`: River's protocol, `learn_one(x)` then `transform_one(x)` per
//!   row (into a reused buffer);
//! - `learn_many_transform_many_1000`: scikit-learn's, `learn_many` then `transform_many`
//!   per batch of 1000 rows.
//!
//! Quality as the peers measure it: the largest absolute error of the final means and
//! (population) variances against a compensated two-pass computation over the same rows.
//! Prints one JSON object per loop.
//!
//! `PEERS_DATA=/work/peers/data cargo bench -p tidewater-preprocessing --bench peers_loop`
//! (`PEERS_REPEAT=3` best-of runs).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use ndarray::ArrayView2;
use tidewater_core::io::{TargetSpec, load_csv};
use tidewater_core::{Batch, FeatureMatrix, Row, Transformer};
use tidewater_preprocessing::StandardScaler;

/// Neumaier's compensated sum: the reference must be more exact than what it checks.
fn exact_sum(xs: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for x in xs {
        let t = s + x;
        c += if s.abs() >= x.abs() {
            (s - t) + x
        } else {
            (x - t) + s
        };
        s = t;
    }
    s + c
}

/// The largest absolute errors of the scaler's means and variances against the reference.
fn errors(s: &StandardScaler, values: &[f64], d: usize) -> (f64, f64) {
    let n = (values.len() / d) as f64;
    let (mut e_mean, mut e_var) = (0.0f64, 0.0f64);
    for (j, (got_mean, got_var)) in s.mean().iter().zip(s.var()).enumerate().take(d) {
        let col = || values.iter().skip(j).step_by(d).copied();
        let mean = exact_sum(col()) / n;
        let v = exact_sum(col().map(|x| (x - mean) * (x - mean))) / n;
        e_mean = e_mean.max((got_mean - mean).abs());
        e_var = e_var.max((got_var - v).abs());
    }
    (e_mean, e_var)
}

/// River's protocol: per row, learn then transform into a reused buffer.
fn one_by_one(values: &[f64], d: usize) -> (f64, StandardScaler) {
    let mut s = StandardScaler::new();
    let mut out = vec![0.0; d];
    let t = Instant::now();
    for r in values.chunks_exact(d) {
        s.learn_one(Row::Dense(r), None).unwrap();
        s.transform_one(Row::Dense(r), &mut out).unwrap();
        black_box(&out);
    }
    (t.elapsed().as_secs_f64(), s)
}

/// scikit-learn's protocol: per batch of `b` rows, learn the batch then transform it.
fn batches(values: &[f64], d: usize, b: usize) -> (f64, StandardScaler) {
    let mut s = StandardScaler::new();
    let t = Instant::now();
    for chunk in values.chunks(b * d) {
        let view = ArrayView2::from_shape((chunk.len() / d, d), chunk).expect("whole rows");
        s.learn_many(Batch::Dense(view), None).unwrap();
        black_box(s.transform_many(Batch::Dense(view)).unwrap());
    }
    (t.elapsed().as_secs_f64(), s)
}

fn main() {
    let dir = PathBuf::from(std::env::var("PEERS_DATA").unwrap_or("/work/peers/data".into()));
    let repeat: usize = std::env::var("PEERS_REPEAT")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3)
        .max(1);
    let path = dir.join("hyperplane_1m.csv");
    let t = Instant::now();
    let data = match load_csv(&path, TargetSpec::Last) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("skipping: cannot read {}: {e}", path.display());
            return;
        }
    };
    let FeatureMatrix::Dense(x) = &data.features else {
        panic!("dense data expected")
    };
    let (values, d) = (x.as_slice().expect("standard layout"), x.ncols());
    let rows = values.len() / d;
    eprintln!(
        "T5: loaded {rows} rows in {:.2} s (not timed)",
        t.elapsed().as_secs_f64()
    );
    type Loop<'a> = Box<dyn Fn() -> (f64, StandardScaler) + 'a>;
    let loops: [(&str, Loop<'_>); 2] = [
        (
            "learn_one_transform_one",
            Box::new(|| one_by_one(values, d)),
        ),
        (
            "learn_many_transform_many_1000",
            Box::new(|| batches(values, d, 1000)),
        ),
    ];
    for (name, run) in loops {
        let (secs, scaler) = (0..repeat)
            .map(|_| run())
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .expect("at least one run");
        let (e_mean, e_var) = errors(&scaler, values, d);
        println!(
            "{{\"task\":\"T5\",\"data\":\"hyperplane_1m\",\"model\":\"standard_scaler\",\"loop\":\"{name}\",\"rows\":{rows},\"seconds\":{secs:.4},\"rows_per_sec\":{:.0},\"max_abs_err_mean\":{e_mean:e},\"max_abs_err_var\":{e_var:e}}}",
            rows as f64 / secs
        );
    }
}
