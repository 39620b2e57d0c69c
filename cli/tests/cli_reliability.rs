//! The command line against hostile model files and over long runs: a model file whose
//! payload is inconsistent is exit 2 naming the file and the part; `eval --print-every`
//! reports rows, time, CPU and memory as it goes.

mod common;
use common::cli::{TempDir, tw};

/// A saved model rewritten with one field changed in its JSON form, written as a
/// checkpoint with a valid CRC (what a hostile writer produces).
fn tampered(dir: &TempDir, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let good = dir.path("good.tw");
    tw(&[
        "fit",
        "--model",
        "gaussian_nb",
        "--dataset",
        "iris",
        "--save",
        &good,
    ])
    .ok();
    let saved = tidewater::registry::SavedModel::load(std::path::Path::new(&good)).unwrap();
    let mut v = serde_json::to_value(&saved).unwrap();
    edit(&mut v);
    let bad: tidewater::registry::SavedModel = serde_json::from_value(v).unwrap();
    let path = dir.path("bad.tw");
    tidewater::persist::save(
        std::path::Path::new(&path),
        tidewater::registry::SAVED_MODEL_KIND,
        &bad,
    )
    .unwrap();
    path
}

#[test]
fn an_inconsistent_model_file_is_exit_2_naming_the_file_and_the_part() {
    let dir = TempDir::new("reliability_tampered");
    let bad = tampered(&dir, |v| {
        let stats = &mut v["model"]["Classifier"]["model"]["GaussianNB"]["stats"];
        stats[0]["mean"].as_array_mut().unwrap().pop();
    });
    for command in [
        vec!["predict", "--load", &bad, "--dataset", "iris"],
        vec!["learn", "--load", &bad, "--dataset", "iris", "--save", &bad],
        vec!["inspect", "--load", &bad],
    ] {
        tw(&command).input_error(&["bad.tw", "inconsistent model", "class 0", "means"]);
    }
}

#[test]
fn print_every_reports_rows_time_cpu_and_memory_as_json_lines() {
    let run = tw(&[
        "eval",
        "--model",
        "gaussian_nb",
        "--synth",
        "sea(seed=1)",
        "--limit",
        "1000",
        "--print-every",
        "250",
        "--json",
    ]);
    run.json();
    let lines: Vec<serde_json::Value> = run
        .stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let rows: Vec<u64> = lines.iter().map(|l| l["rows"].as_u64().unwrap()).collect();
    assert_eq!(rows, [250, 500, 750, 1000]);
    for l in &lines {
        assert!(l["seconds"].as_f64().unwrap() >= 0.0);
        assert!(l["rows_per_sec"].as_f64().unwrap() > 0.0);
        if cfg!(target_os = "linux") {
            assert!(l["rss_bytes"].as_u64().unwrap() > 0);
            assert!(l["cpu_seconds"].as_f64().unwrap() >= 0.0);
        }
    }
    tw(&["eval", "--synth", "sea(seed=1)", "--print-every", "0"]).input_error(&["--print-every"]);
}
