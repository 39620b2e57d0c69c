//! The linear models through the `tidewater` program: the reference fixtures by `fit` then
//! `predict`, River's phishing accuracy by `eval`, batch-only parameters, LIBSVM and VW
//! streams with `--bits`, and errors that name what is wrong.

use serde_json::Value;

mod common;
use common::cli::{TempDir, tw};
use common::{close_one, csv_text, fixture, floats, matrix};

/// Writes a fixture's X and y as CSV (`f0..`, `y`) and returns the path.
fn write_xy(dir: &TempDir, f: &Value, name: &str) -> String {
    let x = matrix(&f["X"]);
    let y = floats(&f["y"]);
    let d = x[0].len();
    let header: Vec<String> = (0..d)
        .map(|j| format!("f{j}"))
        .chain(["y".to_owned()])
        .collect();
    let rows: Vec<Vec<f64>> = x
        .iter()
        .zip(&y)
        .map(|(r, t)| r.iter().copied().chain([*t]).collect())
        .collect();
    dir.write(name, &csv_text(&header, &rows))
}

/// `fit` then `predict --json` on a regression fixture: predictions equal X coef + intercept.
fn check_regression_fixture(test: &str, rel: &str, spec: &str) {
    let dir = TempDir::new(test);
    let f = fixture(rel);
    let tol = f["tolerance"].as_f64().unwrap();
    let data = write_xy(&dir, &f, "train.csv");
    let model = dir.path("m.tw");
    tw(&["fit", "--model", spec, "--data", &data, "--save", &model]).ok();
    let out = tw(&["predict", "--load", &model, "--data", &data, "--json"]).json();
    let coef = floats(&f["coef"]);
    let b = f["intercept"].as_f64().unwrap();
    let preds = floats(&out["predictions"]);
    for (i, (p, r)) in preds.iter().zip(f["X"].as_array().unwrap()).enumerate() {
        let want: f64 = floats(r).iter().zip(&coef).map(|(a, c)| a * c).sum::<f64>() + b;
        close_one(*p, want, tol, &format!("{spec} prediction {i}"));
    }
}

#[test]
fn linear_regression_fit_then_predict_reproduces_scikit_learn() {
    check_regression_fixture("ols", "batch/ols_diabetes.json", "linear_regression");
}

#[test]
fn ridge_fit_then_predict_reproduces_scikit_learn() {
    check_regression_fixture("ridge", "batch/ridge_diabetes.json", "ridge(alpha=1.0)");
}

#[test]
fn ridge_learned_row_by_row_predicts_as_the_batch_fit() {
    let dir = TempDir::new("ridge-learn");
    let f = fixture("batch/ridge_diabetes.json");
    let data = write_xy(&dir, &f, "train.csv");
    let (a, b) = (dir.path("a.tw"), dir.path("b.tw"));
    tw(&["fit", "--model", "ridge", "--data", &data, "--save", &a]).ok();
    tw(&["learn", "--model", "ridge", "--data", &data, "--save", &b]).ok();
    let pa = tw(&["predict", "--load", &a, "--data", &data])
        .ok()
        .to_owned();
    let pb = tw(&["predict", "--load", &b, "--data", &data])
        .ok()
        .to_owned();
    assert_eq!(pa, pb, "the exact ridge: stream = batch, bit for bit");
}

#[test]
fn softmax_regression_fit_then_predict_proba_reproduces_scikit_learn() {
    let dir = TempDir::new("softmax");
    let f = fixture("batch/logreg_iris.json");
    let tol = f["tolerance"].as_f64().unwrap();
    let data = write_xy(&dir, &f, "iris.csv");
    let model = dir.path("m.tw");
    tw(&[
        "fit",
        "--model",
        "softmax_regression(c=1.0)",
        "--data",
        &data,
        "--save",
        &model,
    ])
    .ok();
    let out = tw(&[
        "predict", "--load", &model, "--data", &data, "--proba", "--json",
    ])
    .json();
    assert_eq!(out["classes"], serde_json::json!([0, 1, 2]));
    let want: Vec<Vec<f64>> = f["predict_proba"]
        .as_array()
        .unwrap()
        .iter()
        .map(floats)
        .collect();
    for (i, (got, want)) in out["proba"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&want)
        .enumerate()
    {
        for (k, (g, w)) in floats(got).iter().zip(want).enumerate() {
            close_one(*g, *w, tol, &format!("proba[{i}][{k}]"));
        }
    }
}

#[test]
fn scaled_logistic_regression_on_phishing_matches_river() {
    let river = fixture("online/phishing.json")["accuracy"]["scaler_logreg_sgd"]
        .as_f64()
        .unwrap();
    let spec = "standard_scaler|logistic_regression";
    let out = tw(&["eval", "--model", spec, "--dataset", "phishing", "--json"]).json();
    assert_eq!(out["model"], spec);
    assert_eq!(out["rows"], 1250);
    let acc = out["metrics"]["accuracy"].as_f64().unwrap();
    assert!(
        (acc - river).abs() <= 0.003,
        "accuracy {acc}, River {river}"
    );
}

#[test]
fn every_linear_model_evaluates_and_is_listed() {
    let list = tw(&["list", "--json"]).json();
    let names: Vec<&str> = list["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    for (spec, dataset) in [
        (
            "standard_scaler|logistic_regression(optimizer=adam)",
            "phishing",
        ),
        ("standard_scaler|softmax_regression", "phishing"),
        ("ftrl", "phishing"),
        ("pa_classifier(mode=2,c=0.5)", "phishing"),
        ("perceptron", "phishing"),
        ("standard_scaler|linear_regression", "diabetes"),
        ("ridge(alpha=0.5)", "diabetes"),
        ("pa_regressor", "diabetes"),
    ] {
        let name = spec.rsplit('|').next().unwrap().split('(').next().unwrap();
        assert!(names.contains(&name), "`{name}` is listed");
        let out = tw(&["eval", "--model", spec, "--dataset", dataset, "--json"]).json();
        let metrics = out["metrics"].as_object().unwrap();
        assert!(!metrics.is_empty(), "{spec}: {out}");
    }
}

#[test]
fn batch_only_parameters_are_refused_on_the_stream_path_by_name() {
    let dir = TempDir::new("batch-only");
    let data = dir.write("x.csv", "a,y\n1,0\n2,1\n");
    let model = dir.path("m.tw");
    tw(&[
        "eval",
        "--model",
        "softmax_regression(c=1)",
        "--dataset",
        "phishing",
    ])
    .input_error(&["`c`", "batch"]);
    tw(&[
        "learn",
        "--model",
        "logistic_regression(tol=1e-6)",
        "--data",
        &data,
        "--save",
        &model,
    ])
    .input_error(&["`tol`", "batch"]);
    // The same parameters are fine on the batch path.
    tw(&[
        "fit",
        "--model",
        "logistic_regression(c=1,tol=1e-6)",
        "--data",
        &data,
        "--save",
        &model,
    ])
    .ok();
    tw(&[
        "eval",
        "--model",
        "logistic_regression(c=1,l2=0.1)",
        "--dataset",
        "phishing",
    ])
    .input_error(&["c"]);
    tw(&[
        "eval",
        "--model",
        "logistic_regression(optimizer=nope)",
        "--dataset",
        "phishing",
    ])
    .input_error(&["optimizer", "nope"]);
    tw(&[
        "eval",
        "--model",
        "ridge(alpha=-1)",
        "--dataset",
        "diabetes",
    ])
    .input_error(&["alpha"]);
}

#[test]
fn a_third_class_for_a_binary_model_is_an_error_naming_it() {
    let dir = TempDir::new("third");
    let data = dir.write("three.csv", "a,y\n1,0\n2,1\n3,2\n");
    let e = tw(&["eval", "--model", "logistic_regression", "--data", &data])
        .input_error(&["three.csv:4", "softmax_regression"]);
    assert!(e.contains("label 2"), "{e}");
}

#[test]
fn sparse_files_stream_with_bits_and_errors_name_file_line_and_token() {
    let dir = TempDir::new("sparse");
    let mut vw = String::new();
    let mut svm = String::new();
    for i in 0..400u32 {
        let y = if i % 3 == 0 { 1 } else { -1 };
        let a = (i * 7919) % 1000;
        let b = (i * 104_729) % 1000 + 1000;
        vw.push_str(&format!(
            "{y} |f {a}:1 {b}:0.5 {}\n",
            if y == 1 { 5 } else { 6 }
        ));
        svm.push_str(&format!(
            "{y} {}:1 {}:0.5 {}:1\n",
            a + 1,
            b + 1,
            if y == 1 { 6 } else { 7 }
        ));
    }
    let vw_path = dir.write("s.vw", &vw);
    let svm_path = dir.write("s.svm", &svm);
    let a = tw(&[
        "eval", "--model", "ftrl", "--data", &vw_path, "--bits", "12", "--json",
    ])
    .json();
    let b = tw(&["eval", "--model", "ftrl", "--data", &svm_path, "--json"]).json();
    assert_eq!(a["rows"], 400);
    assert_eq!(
        a["metrics"]["accuracy"], b["metrics"]["accuracy"],
        "{a}\n{b}"
    );
    assert!(a["metrics"]["accuracy"].as_f64().unwrap() > 0.9, "{a}");
    // fit then predict on the sparse file.
    let model = dir.path("m.tw");
    tw(&[
        "fit",
        "--model",
        "logistic_regression(c=10)",
        "--data",
        &vw_path,
        "--bits",
        "12",
        "--save",
        &model,
    ])
    .ok();
    let p = tw(&[
        "predict", "--load", &model, "--data", &vw_path, "--bits", "12", "--json",
    ])
    .json();
    assert_eq!(p["rows"], 400);
    // Errors name the file, the line and the token.
    let bad = dir.write("bad.vw", "1 |f 1:1\n-1 |f 2:x\n");
    tw(&["eval", "--model", "ftrl", "--data", &bad]).input_error(&["bad.vw:2", "2:x"]);
    let bad = dir.write("bad.svm", "1 1:1\n-1 2:1 0:3\n");
    tw(&["eval", "--model", "ftrl", "--data", &bad]).input_error(&["bad.svm:2"]);
    // A feature beyond 2^bits is masked (VW) ...
    let wide = dir.write("wide.vw", "1 |f 5000:1\n-1 |f 3:1\n");
    tw(&[
        "eval", "--model", "ftrl", "--data", &wide, "--bits", "4", "--json",
    ])
    .json();
    tw(&["eval", "--model", "ftrl", "--data", &wide, "--bits", "40"]).input_error(&["bits"]);
}

#[test]
fn csv_streamed_on_a_second_thread_keeps_quotes_and_line_numbers() {
    let dir = TempDir::new("quotes");
    let text = "a,b,y\n1,2,0\n\"3\",\"4\",1\n\n1,\"2\n\",0\r\n5, 6 ,1\n7,x,0\n";
    let data = dir.write("q.csv", text);
    // Line 8 holds text in a numeric column: the row after a quoted field spanning lines 5-6.
    tw(&["eval", "--model", "logistic_regression", "--data", &data]).input_error(&[
        "q.csv:8",
        "column `b`",
        "`x`",
    ]);
    let out = tw(&[
        "eval",
        "--model",
        "logistic_regression",
        "--data",
        &data,
        "--on-error",
        "skip",
        "--json",
    ])
    .json();
    assert_eq!(out["rows"], 4);
    assert_eq!(out["skipped"], 1);
    let missing = dir.write("m.csv", "a,b,y\n1,2,0\n3,,1\n");
    tw(&["eval", "--model", "logistic_regression", "--data", &missing]).input_error(&[
        "m.csv:3",
        "column `b`",
        "missing",
    ]);
    let ragged = dir.write("r.csv", "a,b,y\n1,2,0\n3,1\n");
    tw(&["eval", "--model", "logistic_regression", "--data", &ragged])
        .input_error(&["r.csv:3", "expected 3 fields"]);
}
