//! Checkpoints written by earlier releases (`tests/fixtures/checkpoints/`) keep loading: the
//! current build prints exactly what the writing release printed for them, and every model
//! keeps learning from where it stopped (warm start).

mod common;
use common::cli::{TempDir, tw};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/checkpoints");

/// (release folder, model file stem, data set, command, extra flags)
const CASES: &[(&str, &str, &str, &str, &[&str])] = &[
    (
        "v0.1.0",
        "gaussian_nb_iris",
        "iris",
        "predict",
        &["--proba"],
    ),
    (
        "v0.1.0",
        "scaler_logistic_phishing",
        "phishing",
        "predict",
        &["--proba"],
    ),
    (
        "v0.1.0",
        "onehot_nb_phishing",
        "phishing",
        "predict",
        &["--proba"],
    ),
    ("v0.1.0", "ridge_diabetes", "diabetes", "predict", &[]),
    ("v0.1.0", "pca_iris", "iris", "transform", &[]),
];

#[test]
fn every_kept_checkpoint_loads_and_prints_what_its_release_printed() {
    for (release, stem, data, command, extra) in CASES {
        let model = format!("{DIR}/{release}/{stem}.tw");
        let mut args = vec![*command, "--load", &model, "--dataset", data, "--json"];
        args.extend_from_slice(extra);
        let got = tw(&args).ok().to_owned();
        let kind = if *command == "predict" {
            "predict"
        } else {
            "transform"
        };
        let want_path = format!("{DIR}/{release}/{stem}.{kind}.json");
        let want = std::fs::read_to_string(&want_path).unwrap();
        assert_eq!(
            got.trim_end(),
            want.trim_end(),
            "{release}/{stem}: output changed"
        );
    }
}

#[test]
fn every_kept_checkpoint_keeps_learning() {
    let dir = TempDir::new("checkpoints");
    for (release, stem, data, _, _) in CASES {
        let model = format!("{DIR}/{release}/{stem}.tw");
        let out = dir.path(&format!("{stem}.tw"));
        tw(&["learn", "--load", &model, "--dataset", data, "--save", &out]).ok();
        // The warm-started model is a valid checkpoint again.
        assert!(std::fs::metadata(&out).unwrap().len() > 0, "{stem}");
    }
}
