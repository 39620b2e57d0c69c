//! Helpers shared by the integration tests (each test file that needs them says `mod common;`;
//! the program's tests in `cli/tests` include this file too): reference fixtures and their
//! parsing, the relative tolerance check, and the labelled data of the law tests.

// Each test file uses only some of the helpers.
#![allow(dead_code)]

pub mod laws;

use std::path::Path;

use ndarray::Array2;
use serde_json::Value;
use tidewater::prelude::*;
use tidewater::{FeatureMatrix, Schema};

/// The workspace's `tests/fixtures/` folder (from the root package or from `cli/`).
pub fn fixtures_dir() -> std::path::PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = if here.join("tests/fixtures").is_dir() {
        here
    } else {
        here.parent().expect("a package inside the workspace")
    };
    root.join("tests/fixtures")
}

/// A JSON fixture below `tests/fixtures/`, parsed.
pub fn fixture_file(rel: &str) -> Value {
    let path = fixtures_dir().join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A reference fixture below `tests/fixtures/reference/`, parsed.
pub fn fixture(rel: &str) -> Value {
    fixture_file(&format!("reference/{rel}"))
}

/// The keys of a JSON object, in order.
pub fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .unwrap_or_else(|| panic!("expected an object, got {v}"))
        .keys()
        .map(String::as_str)
        .collect()
}

/// A JSON number.
pub fn num(v: &Value) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("expected a number, got {v}"))
}

/// A JSON array of numbers.
pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected an array, got {v}"))
        .iter()
        .map(num)
        .collect()
}

/// A JSON array of rows of numbers.
pub fn matrix(v: &Value) -> Vec<Vec<f64>> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected an array of rows, got {v}"))
        .iter()
        .map(floats)
        .collect()
}

/// A JSON array of rows of numbers, as an array.
pub fn array(v: &Value) -> Array2<f64> {
    let rows = matrix(v);
    let (n, d) = (rows.len(), rows[0].len());
    Array2::from_shape_vec((n, d), rows.concat()).unwrap()
}

/// A CSV text: a header, then one line a row (numbers in shortest round-trip form).
pub fn csv_text<T: ToString>(header: &[String], rows: &[Vec<T>]) -> String {
    let mut s = header.join(",");
    s.push('\n');
    for r in rows {
        let line: Vec<String> = r.iter().map(T::to_string).collect();
        s.push_str(&line.join(","));
        s.push('\n');
    }
    s
}

/// `x` as a data set without targets (features `f0`, `f1`, ...).
pub fn unsupervised(x: &Array2<f64>) -> Dataset {
    let d = x.ncols();
    Dataset::new(
        FeatureMatrix::Dense(x.clone()),
        vec![],
        Schema::numeric((0..d).map(|j| format!("f{j}")).collect(), vec![]),
    )
    .unwrap()
}

/// A transformer on the three paths: `fitted` (the batch fit), a `fresh` one learned row by
/// row, and another learned in mini-batches of `step` rows, in that order.
pub fn three_paths<M: Transformer>(
    fitted: M,
    fresh: impl Fn() -> M,
    x: &Array2<f64>,
    step: usize,
) -> [M; 3] {
    let mut rows = fresh();
    for r in x.rows() {
        rows.learn_one(Row::Dense(r.as_slice().unwrap()), None)
            .unwrap();
    }
    let mut batches = fresh();
    for start in (0..x.nrows()).step_by(step) {
        let end = (start + step).min(x.nrows());
        batches
            .learn_many(Batch::Dense(x.slice(ndarray::s![start..end, ..])), None)
            .unwrap();
    }
    [fitted, rows, batches]
}

/// The fixtures' tolerance, relative: `|got - want| <= tol * max(1, |want|)`.
pub fn within(got: f64, want: f64, tol: f64) -> bool {
    (got - want).abs() <= tol * want.abs().max(1.0)
}

/// [`within`] for one number.
pub fn close_one(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        within(got, want, tol),
        "{what}: got {got}, want {want} (tol {tol})"
    );
}

/// [`within`] for every entry, naming the first failure.
pub fn close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            within(*g, *w, tol),
            "{what}[{i}]: got {g}, want {w} (tol {tol})"
        );
    }
}

/// [`within`] for every entry of every row, naming the first failure.
pub fn assert_close_matrix(what: &str, got: &[Vec<f64>], want: &[Vec<f64>], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: rows");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.len(), w.len(), "{what}: row {i} length");
        for (j, (a, b)) in g.iter().zip(w).enumerate() {
            assert!(
                within(*a, *b, tol),
                "{what}: row {i} column {j}: got {a}, want {b} (tolerance {tol})"
            );
        }
    }
}

/// Rows `r` of a dense data set with a single target, as a data set of their own.
pub fn rows_of(data: &tidewater::Dataset, r: std::ops::Range<usize>) -> tidewater::Dataset {
    let FeatureMatrix::Dense(x) = &data.features else {
        panic!("dense data expected")
    };
    let y = match data.target().unwrap() {
        tidewater::Targets::Labels(y) => tidewater::Targets::Labels(y[r.clone()].to_vec()),
        tidewater::Targets::Values(y) => tidewater::Targets::Values(y[r.clone()].to_vec()),
    };
    tidewater::Dataset::new(
        FeatureMatrix::Dense(x.slice(ndarray::s![r, ..]).to_owned()),
        vec![y],
        data.schema.clone(),
    )
    .unwrap()
}
