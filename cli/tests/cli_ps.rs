//! `fit --workers N`: the batch fits that run in rounds, on the in-process parameter
//! server's workers, save the very model `fit` saves without them.

mod common;
use common::cli::{TempDir, tw};

/// `fit` with and without workers on a shipped data set: the same checkpoint bytes, and
/// `--json` reports the rounds and the workers.
fn same_model(test: &str, spec: &str, dataset: &str) {
    let dir = TempDir::new(test);
    let plain = dir.path("plain.tw");
    tw(&[
        "fit",
        "--model",
        spec,
        "--dataset",
        dataset,
        "--save",
        &plain,
    ])
    .ok();
    let want = std::fs::read(&plain).unwrap();
    for n in ["1", "2", "3"] {
        let on = dir.path(&format!("w{n}.tw"));
        let out = tw(&[
            "fit",
            "--model",
            spec,
            "--dataset",
            dataset,
            "--save",
            &on,
            "--workers",
            n,
            "--json",
        ])
        .json();
        assert_eq!(out["workers"].as_u64(), Some(n.parse().unwrap()), "{out}");
        assert!(out["rounds"].as_u64().unwrap() > 2, "{out}");
        assert!(
            std::fs::read(&on).unwrap() == want,
            "{spec} on {dataset} with {n} workers saved another model"
        );
    }
    // Without --workers, --json says nothing of rounds.
    let out = tw(&[
        "fit",
        "--model",
        spec,
        "--dataset",
        dataset,
        "--save",
        &plain,
        "--json",
    ])
    .json();
    assert!(
        out.get("rounds").is_none() && out.get("workers").is_none(),
        "{out}"
    );
}

#[test]
fn logistic_regression_on_workers_saves_fits_model() {
    // 49,097 rows: 24 blocks of rows, spread over the workers.
    same_model(
        "ps-logistic",
        "standard_scaler|logistic_regression(c=10)",
        "shuttle",
    );
}

#[test]
fn softmax_regression_on_workers_saves_fits_model() {
    same_model("ps-softmax", "softmax_regression", "wine");
}

#[test]
fn workers_for_a_model_without_rounds_or_zero_workers_are_refused() {
    let dir = TempDir::new("ps-refused");
    let m = dir.path("m.tw");
    tw(&[
        "fit",
        "--model",
        "gaussian_nb",
        "--dataset",
        "phishing",
        "--save",
        &m,
        "--workers",
        "2",
    ])
    .input_error(&["--workers", "gaussian_nb", "logistic_regression"]);
    assert!(!std::path::Path::new(&m).exists(), "nothing saved");
    let r = tw(&[
        "fit",
        "--model",
        "logistic_regression",
        "--dataset",
        "phishing",
        "--save",
        &m,
        "--workers",
        "0",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--workers"), "{}", r.stderr);
}
