//! End-to-end tests of the `tidewater` program against the command-line contract (CLI.md):
//! outputs, exit codes and one-line errors, run on the built binary.
//!
//! Expected values come from the reference fixtures in `tests/fixtures/reference`; data files
//! are written from them into a temporary directory per test.

use serde_json::Value;

mod common;
use common::cli::{TempDir, tw};
use common::{assert_close_matrix, csv_text, fixture, floats, matrix, num};

// ---------------------------------------------------------------------------------------------
// Helpers

const IRIS_HEADER: [&str; 5] = [
    "sepal_length",
    "sepal_width",
    "petal_length",
    "petal_width",
    "target",
];

/// Iris rows from the fixture: four features then the integer label.
fn iris_rows(fx: &Value) -> Vec<Vec<String>> {
    let x = matrix(&fx["X"]);
    let y = floats(&fx["y"]);
    x.iter()
        .zip(&y)
        .map(|(r, &l)| {
            let mut row: Vec<String> = r.iter().map(|v| v.to_string()).collect();
            row.push((l as i64).to_string());
            row
        })
        .collect()
}

fn iris_header() -> Vec<String> {
    IRIS_HEADER.iter().map(|s| s.to_string()).collect()
}

/// Writes `iris.csv` from the `gnb_iris.json` fixture; returns its path and the fixture.
fn write_iris(dir: &TempDir) -> (String, Value) {
    let fx = fixture("batch/gnb_iris.json");
    let path = dir.write("iris.csv", &csv_text(&iris_header(), &iris_rows(&fx)));
    (path, fx)
}

/// The columns of rows reordered by `order` (indices into the original columns).
fn reorder(header: &[String], rows: &[Vec<String>], order: &[usize]) -> String {
    let h: Vec<String> = order.iter().map(|&i| header[i].clone()).collect();
    let r: Vec<Vec<String>> = rows
        .iter()
        .map(|row| order.iter().map(|&i| row[i].clone()).collect())
        .collect();
    csv_text(&h, &r)
}

fn wine_header() -> Vec<String> {
    (0..13).map(|j| format!("w{j:02}")).collect()
}

/// Writes `wine.csv` (13 feature columns, no target) from `scaler_wine.json`.
fn write_wine(dir: &TempDir) -> (String, Value) {
    let fx = fixture("batch/scaler_wine.json");
    let rows: Vec<Vec<String>> = matrix(&fx["X"])
        .iter()
        .map(|r| r.iter().map(|v| v.to_string()).collect())
        .collect();
    let path = dir.write("wine.csv", &csv_text(&wine_header(), &rows));
    (path, fx)
}

/// `predict --proba --json` of a saved model on a file: (classes, proba).
fn predict_proba(model: &str, data: &str) -> (Value, Vec<Vec<f64>>) {
    let out = tw(&[
        "predict", "--load", model, "--data", data, "--proba", "--json",
    ])
    .json();
    let rows = out["rows"].as_u64().expect("rows");
    let proba = matrix(&out["proba"]);
    assert_eq!(proba.len() as u64, rows);
    assert_eq!(
        out["predictions"].as_array().expect("predictions").len() as u64,
        rows
    );
    (out["classes"].clone(), proba)
}

/// A small binary data set with distinctive column names and `bad` put on line `line`
/// (1-based, the header is line 1) in column `beta`.
fn small_csv(dir: &TempDir, name: &str, line: usize, bad: &str) -> String {
    let mut rows = vec![
        ["1.0", "2.0", "0"],
        ["3.0", "4.0", "1"],
        ["1.5", "2.5", "0"],
        ["3.5", "4.5", "1"],
        ["1.2", "2.2", "0"],
    ];
    rows[line - 2][1] = bad;
    let mut s = String::from("alpha,beta,label\n");
    for r in rows {
        s.push_str(&r.join(","));
        s.push('\n');
    }
    dir.write(name, &s)
}

/// A model saved by `fit` on iris: (its path, the temp dir).
fn saved_iris_model(test: &str) -> (TempDir, String, String) {
    let dir = TempDir::new(test);
    let (iris, _) = write_iris(&dir);
    let model = dir.path("m.tw");
    tw(&[
        "fit",
        "--model",
        "gaussian_nb",
        "--data",
        &iris,
        "--save",
        &model,
    ])
    .ok();
    (dir, iris, model)
}

// ---------------------------------------------------------------------------------------------
// a, b, i: eval

const CLASSIFICATION_METRICS: [&str; 5] =
    ["accuracy", "balanced_accuracy", "f1", "log_loss", "roc_auc"];

#[test]
fn eval_json_is_one_object_with_the_contract_keys_and_reference_accuracy() {
    let out = tw(&[
        "eval",
        "--model",
        "gaussian_nb",
        "--dataset",
        "phishing",
        "--json",
    ])
    .json();
    for k in [
        "model",
        "dataset",
        "rows",
        "skipped",
        "seconds",
        "rows_per_sec",
        "metrics",
    ] {
        assert!(out.get(k).is_some(), "key `{k}` missing: {out}");
    }
    assert_eq!(out["model"], "gaussian_nb");
    assert_eq!(out["dataset"], "phishing");
    let fx = fixture("online/phishing.json");
    assert_eq!(out["rows"], fx["rows"]);
    assert_eq!(out["rows"], 1250);
    assert_eq!(out["skipped"], 0);
    assert!(num(&out["seconds"]) >= 0.0);
    assert!(num(&out["rows_per_sec"]) >= 0.0);
    let m = &out["metrics"];
    for k in CLASSIFICATION_METRICS {
        for key in [k.to_owned(), format!("rolling_{k}")] {
            let v = num(&m[&key]);
            assert!(v.is_finite(), "{key} = {v}");
        }
    }
    let want = num(&fx["accuracy"]["gaussian_nb"]);
    let got = num(&m["accuracy"]);
    assert!(
        (got - want).abs() <= 0.01,
        "prequential accuracy {got}, River gives {want}"
    );
}

/// A line `accuracy <number>` of the readable summary.
fn accuracy_line(out: &str) -> f64 {
    out.lines()
        .find_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some("accuracy")).then(|| w.next()?.parse::<f64>().ok())?
        })
        .unwrap_or_else(|| panic!("no accuracy line in:\n{out}"))
}

#[test]
fn eval_runs_a_pipeline_and_prints_accuracy() {
    let run = tw(&[
        "eval",
        "--model",
        "standard_scaler|gaussian_nb",
        "--dataset",
        "phishing",
    ]);
    let acc = accuracy_line(run.ok());
    assert!((0.5..=1.0).contains(&acc), "accuracy {acc}");
}

#[test]
fn eval_without_arguments_prints_accuracy() {
    let run = tw(&["eval"]);
    let acc = accuracy_line(run.ok());
    assert!((0.5..=1.0).contains(&acc), "accuracy {acc}");
}

#[test]
fn eval_on_a_regression_data_set_has_regression_metrics() {
    let out = tw(&[
        "eval",
        "--model",
        "mean_regressor",
        "--dataset",
        "diabetes",
        "--json",
    ])
    .json();
    assert_eq!(out["rows"], 442);
    let m = out["metrics"].as_object().expect("metrics object");
    for k in ["mae", "rmse", "r2"] {
        for key in [k.to_owned(), format!("rolling_{k}")] {
            let v = num(&m[&key]);
            assert!(v.is_finite(), "{key} = {v}");
        }
    }
    assert!(num(&m["rmse"]) >= num(&m["mae"]));
    assert!(!m.contains_key("accuracy"), "{m:?}");
}

// ---------------------------------------------------------------------------------------------
// c: bad input is exit 2 and one line naming it

#[test]
fn a_nan_feature_is_missing_and_rejected_with_file_line_and_column() {
    let dir = TempDir::new("nan");
    let f = small_csv(&dir, "nan.csv", 3, "NaN");
    tw(&["eval", "--model", "gaussian_nb", "--data", &f]).input_error(&[
        "nan.csv:3",
        "beta",
        "missing",
    ]);
    tw(&[
        "fit",
        "--model",
        "gaussian_nb",
        "--data",
        &f,
        "--save",
        &dir.path("m"),
    ])
    .input_error(&["nan.csv:3", "beta", "missing"]);
}

#[test]
fn an_infinite_cell_is_an_error() {
    let dir = TempDir::new("inf");
    let f = small_csv(&dir, "inf.csv", 4, "inf");
    tw(&["eval", "--model", "gaussian_nb", "--data", &f]).input_error(&[
        "inf.csv:4",
        "beta",
        "inf",
    ]);
    tw(&[
        "fit",
        "--model",
        "gaussian_nb",
        "--data",
        &f,
        "--save",
        &dir.path("m"),
    ])
    .input_error(&["inf.csv:4", "beta"]);
}

#[test]
fn an_empty_file_is_an_error() {
    let dir = TempDir::new("empty");
    let f = dir.write("empty.csv", "");
    tw(&["eval", "--model", "gaussian_nb", "--data", &f]).input_error(&["empty.csv"]);
    tw(&[
        "fit",
        "--model",
        "gaussian_nb",
        "--data",
        &f,
        "--save",
        &dir.path("m"),
    ])
    .input_error(&["empty.csv"]);
}

#[test]
fn a_header_only_file_is_an_error() {
    let dir = TempDir::new("header_only");
    let f = dir.write("header.csv", "alpha,beta,label\n");
    tw(&["eval", "--model", "gaussian_nb", "--data", &f]).input_error(&["header.csv"]);
    tw(&[
        "fit",
        "--model",
        "gaussian_nb",
        "--data",
        &f,
        "--save",
        &dir.path("m"),
    ])
    .input_error(&["header.csv"]);
}

#[test]
fn text_later_in_a_numeric_column_names_line_and_column() {
    let dir = TempDir::new("text");
    let f = small_csv(&dir, "text.csv", 5, "oops");
    tw(&["eval", "--model", "gaussian_nb", "--data", &f]).input_error(&[
        "text.csv:5",
        "beta",
        "oops",
    ]);
    tw(&[
        "fit",
        "--model",
        "gaussian_nb",
        "--data",
        &f,
        "--save",
        &dir.path("m"),
    ])
    .input_error(&["text.csv:5", "beta"]);
}

#[test]
fn a_ragged_row_names_its_line() {
    let dir = TempDir::new("ragged");
    let f = dir.write("ragged.csv", "alpha,beta,label\n1,2,0\n3,4,1\n5,6\n7,8,0\n");
    tw(&["eval", "--model", "gaussian_nb", "--data", &f]).input_error(&["ragged.csv:4"]);
    tw(&[
        "fit",
        "--model",
        "gaussian_nb",
        "--data",
        &f,
        "--save",
        &dir.path("m"),
    ])
    .input_error(&["ragged.csv:4"]);
}

#[test]
fn a_missing_target_column_is_an_error() {
    let dir = TempDir::new("target");
    let f = small_csv(&dir, "target.csv", 2, "2.0");
    tw(&[
        "eval",
        "--model",
        "gaussian_nb",
        "--data",
        &f,
        "--target",
        "nope",
    ])
    .input_error(&["target.csv", "nope"]);
    tw(&[
        "fit",
        "--model",
        "gaussian_nb",
        "--data",
        &f,
        "--target",
        "nope",
        "--save",
        &dir.path("m"),
    ])
    .input_error(&["target.csv", "nope"]);
}

#[test]
fn an_unknown_model_is_an_error() {
    tw(&["eval", "--model", "nope", "--dataset", "phishing"]).input_error(&["nope"]);
    tw(&[
        "eval",
        "--model",
        "standard_scaler|nope",
        "--dataset",
        "phishing",
    ])
    .input_error(&["nope"]);
}

#[test]
fn an_unknown_parameter_is_an_error() {
    tw(&[
        "eval",
        "--model",
        "gaussian_nb(foo=1)",
        "--dataset",
        "phishing",
    ])
    .input_error(&["foo", "gaussian_nb"]);
}

#[test]
fn an_out_of_range_parameter_is_an_error() {
    tw(&[
        "eval",
        "--model",
        "gaussian_nb(var_smoothing=-1)",
        "--dataset",
        "phishing",
    ])
    .input_error(&["var_smoothing"]);
}

#[test]
fn a_corrupted_model_file_is_an_error() {
    let (dir, iris, model) = saved_iris_model("corrupt");
    let mut bytes = std::fs::read(&model).unwrap();
    assert!(bytes.len() > 200, "a saved model of {} bytes", bytes.len());
    // The header is well under 100 bytes: three quarters in is payload.
    let at = bytes.len() * 3 / 4;
    bytes[at] ^= 0x01;
    let bad = dir.path("corrupt.tw");
    std::fs::write(&bad, &bytes).unwrap();
    tw(&["predict", "--load", &bad, "--data", &iris]).input_error(&["corrupt.tw"]);
}

#[test]
fn a_truncated_model_file_is_an_error() {
    let (dir, iris, model) = saved_iris_model("truncated");
    let bytes = std::fs::read(&model).unwrap();
    let bad = dir.path("half.tw");
    std::fs::write(&bad, &bytes[..bytes.len() / 2]).unwrap();
    tw(&["predict", "--load", &bad, "--data", &iris]).input_error(&["half.tw"]);
}

#[test]
fn an_empty_model_file_is_an_error() {
    let (dir, iris, _) = saved_iris_model("empty_model");
    let bad = dir.write("empty.tw", "");
    tw(&["predict", "--load", &bad, "--data", &iris]).input_error(&["empty.tw"]);
}

#[test]
fn a_text_file_is_not_a_model() {
    let (dir, iris, _) = saved_iris_model("text_model");
    let bad = dir.write("notes.tw", "this is not a model\nat all\n");
    tw(&["predict", "--load", &bad, "--data", &iris]).input_error(&["notes.tw"]);
    tw(&[
        "learn",
        "--load",
        &bad,
        "--data",
        &iris,
        "--save",
        &dir.path("out.tw"),
    ])
    .input_error(&["notes.tw"]);
}

#[test]
fn a_missing_data_file_is_an_error() {
    let (dir, _, model) = saved_iris_model("missing_data");
    let gone = dir.path("no_such_file.csv");
    tw(&["eval", "--model", "gaussian_nb", "--data", &gone]).input_error(&["no_such_file.csv"]);
    tw(&["predict", "--load", &model, "--data", &gone]).input_error(&["no_such_file.csv"]);
}

#[test]
fn usage_errors_are_one_line_naming_the_argument() {
    tw(&["fit"]).input_error(&["--model", "--save"]);
    tw(&["eval", "--bogus"]).input_error(&["--bogus"]);
    tw(&["eval", "--on-error", "nope"]).input_error(&["nope", "--on-error"]);
    tw(&["eval", "--window", "0"]).input_error(&["--window"]);
}

#[test]
fn on_error_skip_counts_the_bad_row_and_leaves_the_model_as_it_was() {
    let dir = TempDir::new("skip");
    let bad = small_csv(&dir, "bad.csv", 4, "oops");
    // The same data without the bad row.
    let text = std::fs::read_to_string(&bad).unwrap();
    let good: Vec<&str> = text
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 3)
        .map(|(_, l)| l)
        .collect();
    let good = dir.write("good.csv", &(good.join("\n") + "\n"));

    let run = |f: &str| {
        tw(&[
            "eval",
            "--model",
            "gaussian_nb",
            "--data",
            f,
            "--on-error",
            "skip",
            "--json",
        ])
        .json()
    };
    let skipped = run(&bad);
    assert_eq!(skipped["skipped"], 1, "{skipped}");
    assert_eq!(skipped["rows"], 4, "{skipped}");
    let clean = run(&good);
    assert_eq!(clean["skipped"], 0);
    assert_eq!(skipped["metrics"], clean["metrics"]);

    // The default is to abort.
    tw(&["eval", "--model", "gaussian_nb", "--data", &bad]).input_error(&["bad.csv:4", "beta"]);
}

// ---------------------------------------------------------------------------------------------
// d, e: batch fit, predict and transform against scikit-learn

#[test]
fn fit_then_predict_proba_reproduces_scikit_learn() {
    let (_dir, iris, model) = saved_iris_model("gnb_iris");
    let fx = fixture("batch/gnb_iris.json");
    let tol = num(&fx["tolerance"]);
    let (classes, proba) = predict_proba(&model, &iris);
    assert_eq!(classes, serde_json::json!([0, 1, 2]));
    assert_close_matrix("predict_proba", &proba, &matrix(&fx["predict_proba"]), tol);

    // The CSV form: a header naming the classes, then one line per row.
    let out = tw(&["predict", "--load", &model, "--data", &iris, "--proba"]);
    let lines: Vec<&str> = out.ok().lines().collect();
    assert_eq!(lines[0], "prediction,proba_0,proba_1,proba_2");
    assert_eq!(lines.len(), 151);
    let csv_proba: Vec<Vec<f64>> = lines[1..]
        .iter()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 4, "{l}");
            f[1..].iter().map(|v| v.parse().unwrap()).collect()
        })
        .collect();
    // Numbers are printed in round-trip form: the CSV holds the same values as the JSON.
    assert_close_matrix("CSV proba", &csv_proba, &proba, 0.0);
}

#[test]
fn predict_matches_columns_by_name() {
    let (dir, iris, model) = saved_iris_model("predict_columns");
    let fx = fixture("batch/gnb_iris.json");
    let rows = iris_rows(&fx);
    let shuffled = dir.write(
        "shuffled.csv",
        &reorder(&iris_header(), &rows, &[3, 0, 4, 2, 1]),
    );
    let no_target = dir.write(
        "no_target.csv",
        &reorder(&iris_header(), &rows, &[2, 1, 3, 0]),
    );
    let want = predict_proba(&model, &iris);
    assert_eq!(predict_proba(&model, &shuffled), want);
    assert_eq!(predict_proba(&model, &no_target), want);

    let missing = dir.write(
        "missing.csv",
        &reorder(&iris_header(), &rows, &[0, 2, 3, 4]),
    );
    tw(&["predict", "--load", &model, "--data", &missing])
        .input_error(&["missing.csv", "sepal_width"]);
}

/// `transform --json` of a saved model on a file: (columns, values).
fn transform_json(model: &str, data: &str) -> (Value, Vec<Vec<f64>>) {
    let out = tw(&["transform", "--load", model, "--data", data, "--json"]).json();
    let values = matrix(&out["values"]);
    assert_eq!(out["rows"].as_u64(), Some(values.len() as u64));
    (out["columns"].clone(), values)
}

#[test]
fn fit_then_transform_standardises_like_scikit_learn() {
    let dir = TempDir::new("scaler_wine");
    let (wine, fx) = write_wine(&dir);
    let model = dir.path("scaler.tw");
    tw(&[
        "fit",
        "--model",
        "standard_scaler",
        "--data",
        &wine,
        "--save",
        &model,
    ])
    .ok();
    let (columns, values) = transform_json(&model, &wine);
    assert_eq!(columns, serde_json::json!(wine_header()));
    assert_eq!(values.len(), 178);
    let mean = floats(&fx["mean"]);
    let var = floats(&fx["var"]);
    let want: Vec<Vec<f64>> = matrix(&fx["X"])
        .iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .map(|(j, x)| (x - mean[j]) / var[j].sqrt())
                .collect()
        })
        .collect();
    assert_close_matrix("standardised wine", &values, &want, num(&fx["tolerance"]));
}

#[test]
fn transform_matches_columns_by_name() {
    let dir = TempDir::new("transform_columns");
    let (wine, fx) = write_wine(&dir);
    let model = dir.path("scaler.tw");
    tw(&[
        "fit",
        "--model",
        "standard_scaler",
        "--data",
        &wine,
        "--save",
        &model,
    ])
    .ok();
    let want = transform_json(&model, &wine);

    let rows: Vec<Vec<String>> = matrix(&fx["X"])
        .iter()
        .map(|r| r.iter().map(|v| v.to_string()).collect())
        .collect();
    let order: Vec<usize> = (0..13).rev().collect();
    let shuffled = dir.write("shuffled.csv", &reorder(&wine_header(), &rows, &order));
    assert_eq!(transform_json(&model, &shuffled), want);

    let order: Vec<usize> = (0..13).filter(|&j| j != 7).collect();
    let missing = dir.write("missing.csv", &reorder(&wine_header(), &rows, &order));
    tw(&["transform", "--load", &model, "--data", &missing]).input_error(&["missing.csv", "w07"]);
}

// ---------------------------------------------------------------------------------------------
// f: warm start

/// Splits iris in two halves (in the order of `perm`), fits on the first then learns the
/// second, and learns both in one stream: both models predict the same probabilities.
fn check_warm_start(test: &str, perm: &[usize]) {
    let dir = TempDir::new(test);
    let (iris, fx) = write_iris(&dir);
    let rows = iris_rows(&fx);
    let ordered: Vec<Vec<String>> = perm.iter().map(|&i| rows[i].clone()).collect();
    let a = dir.write("a.csv", &csv_text(&iris_header(), &ordered[..75]));
    let b = dir.write("b.csv", &csv_text(&iris_header(), &ordered[75..]));
    let (m1, m2, m3) = (dir.path("m1.tw"), dir.path("m2.tw"), dir.path("m3.tw"));
    tw(&["fit", "--model", "gaussian_nb", "--data", &a, "--save", &m1]).ok();
    tw(&["learn", "--load", &m1, "--data", &b, "--save", &m2]).ok();
    tw(&[
        "learn",
        "--model",
        "gaussian_nb",
        "--data",
        &a,
        "--data",
        &b,
        "--save",
        &m3,
    ])
    .ok();
    let (c2, p2) = predict_proba(&m2, &iris);
    let (c3, p3) = predict_proba(&m3, &iris);
    assert_eq!(c2, serde_json::json!([0, 1, 2]));
    assert_eq!(c2, c3);
    assert_eq!(p2.len(), 150);
    for (i, (r2, r3)) in p2.iter().zip(&p3).enumerate() {
        for (j, (x, y)) in r2.iter().zip(r3).enumerate() {
            assert!((x - y).abs() <= 1e-9, "row {i} class {j}: {x} vs {y}");
        }
    }
}

#[test]
fn warm_start_equals_one_stream_with_every_class_in_each_part() {
    // 7 is prime to 150: a fixed permutation that mixes the classes into both halves.
    let perm: Vec<usize> = (0..150).map(|i| (7 * i) % 150).collect();
    check_warm_start("warm_mixed", &perm);
}

#[test]
fn warm_start_equals_one_stream_with_new_classes_in_the_second_part() {
    // In file order the first half has classes 0 and 1, the second 1 and 2.
    let perm: Vec<usize> = (0..150).collect();
    check_warm_start("warm_ordered", &perm);
}

// ---------------------------------------------------------------------------------------------
// g, h: list and datasets

fn names(entries: &Value) -> Vec<&str> {
    entries
        .as_array()
        .expect("an array of entries")
        .iter()
        .map(|e| e["name"].as_str().expect("a name"))
        .collect()
}

#[test]
fn list_json_has_every_section_and_the_shipped_components() {
    let out = tw(&["list", "--json"]).json();
    for k in [
        "models",
        "transformers",
        "detectors",
        "datasets",
        "generators",
    ] {
        assert!(out[k].is_array(), "`{k}` should be an array: {out}");
    }
    let models = names(&out["models"]);
    for m in [
        "gaussian_nb",
        "prior_classifier",
        "no_change_classifier",
        "mean_regressor",
    ] {
        assert!(models.contains(&m), "{m} not in {models:?}");
    }
    assert!(names(&out["transformers"]).contains(&"standard_scaler"));
    for section in ["models", "transformers"] {
        for e in out[section].as_array().unwrap() {
            assert!(e["summary"].is_string(), "{e}");
            for p in e["params"]
                .as_array()
                .unwrap_or_else(|| panic!("params of {e}"))
            {
                for k in ["name", "doc", "allowed"] {
                    assert!(p[k].is_string(), "param `{k}` of {e}");
                }
                assert!(p["batch_only"].is_boolean(), "{e}");
                assert!(!p["default"].is_object(), "{e}");
            }
        }
    }
    // Defaults are typed JSON values, not strings.
    let default_of = |section: &str, model: &str, param: &str| {
        out[section]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == model)
            .and_then(|e| e["params"].as_array())
            .and_then(|ps| ps.iter().find(|p| p["name"] == param))
            .map(|p| p["default"].clone())
            .unwrap_or_else(|| panic!("{model}.{param}"))
    };
    assert_eq!(default_of("models", "gaussian_nb", "var_smoothing"), 1e-9);
    assert_eq!(
        default_of("models", "logistic_regression", "max_iter"),
        1000
    );
    assert_eq!(
        default_of("transformers", "standard_scaler", "with_mean"),
        true
    );
    assert!(default_of("models", "softmax_regression", "fit_intercept").is_null());
    assert_eq!(
        default_of("models", "logistic_regression", "optimizer"),
        "sgd(lr=0.01)"
    );
    assert_eq!(
        default_of("transformers", "min_max_scaler", "feature_range"),
        serde_json::json!([0, 1])
    );
    assert_eq!(default_of("transformers", "normalizer", "norm"), "l2");
    let gnb = out["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "gaussian_nb")
        .unwrap();
    let params = names(&gnb["params"]);
    assert!(params.contains(&"var_smoothing"), "{params:?}");

    let datasets = out["datasets"].as_array().unwrap();
    for d in ["phishing", "iris", "wine", "diabetes"] {
        assert!(names(&out["datasets"]).contains(&d), "{d}");
    }
    let phishing = datasets.iter().find(|d| d["name"] == "phishing").unwrap();
    assert_eq!(phishing["rows"], 1250);
    for d in datasets {
        for k in ["rows", "columns"] {
            assert!(d[k].is_u64(), "{k} of {d}");
        }
        assert!(d["task"].is_string(), "{d}");
    }
}

#[test]
fn datasets_export_prints_a_header_then_rows_with_the_target_last() {
    let out = tw(&["datasets", "export", "iris", "--limit", "5"]);
    let lines: Vec<&str> = out.ok().lines().collect();
    assert_eq!(lines.len(), 6, "{lines:?}");
    assert_eq!(lines[0].split(',').collect::<Vec<_>>(), IRIS_HEADER);
    let fx = fixture("batch/gnb_iris.json");
    let x = matrix(&fx["X"]);
    let y = floats(&fx["y"]);
    for (i, l) in lines[1..].iter().enumerate() {
        let v: Vec<f64> = l.split(',').map(|f| f.parse().unwrap()).collect();
        assert_eq!(v[..4], x[i][..], "row {i}");
        assert_eq!(v[4], y[i], "row {i}");
    }
}

#[test]
fn datasets_export_of_an_unknown_name_is_an_error() {
    tw(&["datasets", "export", "nope"]).input_error(&["nope"]);
}

#[test]
fn predict_and_transform_with_skip_keep_one_output_row_per_input_row() {
    let dir = TempDir::new("skip_align");
    let good = small_csv(&dir, "good.csv", 3, "2.5");
    let model = dir.path("m.tw");
    tw(&[
        "fit",
        "--model",
        "gaussian_nb",
        "--data",
        &good,
        "--save",
        &model,
    ])
    .ok();
    let bad = small_csv(&dir, "bad.csv", 3, "oops");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "predict",
            "--load",
            &model,
            "--data",
            &bad,
            "--on-error",
            "skip",
        ];
        a.extend_from_slice(extra);
        a.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let run = |extra: &[&str]| {
        let a = args(extra);
        tw(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let j = run(&["--json", "--proba"]).json();
    assert_eq!(j["rows"], 5, "{j}");
    assert_eq!(j["predictions"][1], Value::Null, "{j}");
    assert_eq!(j["proba"][1], Value::Null, "{j}");
    assert_eq!(j["predictions"][2], 0, "{j}");
    let csv = run(&["--proba"]);
    let lines: Vec<&str> = csv.ok().lines().collect();
    assert_eq!(lines.len(), 6, "{lines:?}");
    assert_eq!(lines[2], ",,", "{lines:?}");

    let scaler = dir.path("s.tw");
    tw(&[
        "fit",
        "--model",
        "standard_scaler",
        "--data",
        &good,
        "--save",
        &scaler,
    ])
    .ok();
    let t = tw(&[
        "transform",
        "--load",
        &scaler,
        "--data",
        &bad,
        "--on-error",
        "skip",
        "--json",
    ])
    .json();
    assert_eq!(t["rows"], 5, "{t}");
    assert_eq!(t["values"][1], Value::Null, "{t}");
    assert_eq!(t["values"][0].as_array().unwrap().len(), 3, "{t}");
}

#[test]
fn a_closed_stdout_ends_the_program_quietly() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_tidewater"))
        // Diabetes (95 kB) is larger than a pipe's buffer, so the writer must meet the closed end.
        .args(["datasets", "export", "diabetes"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one byte, then close the pipe as `| head -c 1` would.
    let mut stdout = child.stdout.take().unwrap();
    let mut one = [0u8; 1];
    stdout.read_exact(&mut one).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "status {:?}, stderr {err}",
        out.status
    );
    assert!(
        !err.contains("internal error") && !err.contains("panicked"),
        "{err}"
    );
}
