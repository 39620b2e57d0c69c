//! The preprocessing family through the `tidewater` program: the reference fixtures through
//! `fit` then `transform` (`min_max_scaler`, `pca(n_components=2)`), and record stages on CSV
//! files with text and empty fields (encoders, imputers), with the errors CLI.md asks for
//! (file, line and column).

mod common;
use common::cli::{TempDir, tw};
use common::{csv_text, fixture, floats, matrix};

fn transform_json(model: &str, data: &str) -> (Vec<String>, Vec<Vec<f64>>) {
    let v = tw(&["transform", "--load", model, "--data", data, "--json"]).json();
    let cols = v["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (cols, matrix(&v["values"]))
}

#[test]
fn fit_then_transform_min_max_scales_wine_like_scikit_learn() {
    let dir = TempDir::new("minmax");
    let fx = fixture("batch/scaler_wine.json");
    let tol = fx["tolerance"].as_f64().unwrap();
    let x = matrix(&fx["X"]);
    let header: Vec<String> = (0..x[0].len()).map(|j| format!("w{j:02}")).collect();
    let data = dir.write("wine.csv", &csv_text(&header, &x));
    let model = dir.path("m.tw");
    tw(&[
        "fit",
        "--model",
        "min_max_scaler",
        "--data",
        &data,
        "--save",
        &model,
    ])
    .ok();
    let (cols, got) = transform_json(&model, &data);
    assert_eq!(cols, header);
    let (lo, hi) = (floats(&fx["min"]), floats(&fx["max"]));
    for (i, (g, r)) in got.iter().zip(&x).enumerate() {
        for j in 0..r.len() {
            let want = (r[j] - lo[j]) / (hi[j] - lo[j]);
            assert!(
                (g[j] - want).abs() <= tol * want.abs().max(1.0) + 1e-12,
                "row {i} col {j}: {} vs {want}",
                g[j]
            );
        }
    }
}

#[test]
fn fit_then_transform_pca_on_iris_matches_scikit_learn_explained_variance() {
    let dir = TempDir::new("pca");
    let fx = fixture("batch/pca_iris.json");
    let tol = fx["tolerance"].as_f64().unwrap();
    let x = matrix(&fx["X"]);
    let header: Vec<String> = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let data = dir.write("iris.csv", &csv_text(&header, &x));
    let model = dir.path("pca.tw");
    tw(&[
        "fit",
        "--model",
        "pca(n_components=2)",
        "--data",
        &data,
        "--save",
        &model,
    ])
    .ok();
    let (cols, got) = transform_json(&model, &data);
    assert_eq!(cols, ["pc0", "pc1"]);
    let n = got.len() as f64;
    let want_ev = floats(&fx["explained_variance"]);
    let comps = matrix(&fx["components_abs"]);
    let mean = floats(&fx["mean"]);
    for c in 0..2 {
        let col: Vec<f64> = got.iter().map(|r| r[c]).collect();
        let m = col.iter().sum::<f64>() / n;
        let var = col.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0);
        assert!(m.abs() < 1e-9, "pc{c} mean {m}");
        assert!(
            (var - want_ev[c]).abs() <= tol * want_ev[c].max(1.0),
            "pc{c}: {var} vs {}",
            want_ev[c]
        );
        // |projection| is bounded by |x - mean| . |component| entrywise.
        for (r, row) in got.iter().zip(&x) {
            let bound: f64 = (0..4).map(|j| (row[j] - mean[j]).abs() * comps[c][j]).sum();
            assert!(r[c].abs() <= bound + 1e-9);
        }
    }
}

const TOYS: &str = "color,size,note,y
red,1.5,hello world,a
blue,,good day,b
red,2.5,hello there,a
green,3.0,bad day,b
,2.0,hello,a
";

#[test]
fn record_stages_take_text_and_missing_values_from_csv_on_both_paths() {
    let dir = TempDir::new("records");
    let data = dir.write("toys.csv", TOYS);
    let spec = "stat_imputer|stat_imputer(strategy=most_frequent,columns=[color])|one_hot_encoder(columns=[color],max_categories=4)|tfidf(columns=[note],max_vocabulary=16)|gaussian_nb";
    // Stream: prequential evaluation with text and empty fields.
    let v = tw(&["eval", "--model", spec, "--data", &data, "--json"]).json();
    assert_eq!(v["rows"], 5);
    assert_eq!(v["skipped"], 0);
    // Batch, then keep learning, then predict.
    let m = dir.path("m.tw");
    tw(&["fit", "--model", spec, "--data", &data, "--save", &m]).ok();
    let m2 = dir.path("m2.tw");
    tw(&["learn", "--load", &m, "--data", &data, "--save", &m2]).ok();
    let p = tw(&["predict", "--load", &m2, "--data", &data, "--json"]).json();
    assert_eq!(p["rows"], 5);
    // A transformer pipeline of record steps only; sorted categories in batch.
    let t = dir.path("t.tw");
    tw(&[
        "fit", "--model",
        "stat_imputer|stat_imputer(strategy=most_frequent,columns=[color])|one_hot_encoder(columns=[color],sorted=true)|ordinal_encoder(columns=[note])",
        "--data", &data, "--target", "y", "--save", &t,
    ])
    .ok();
    let (cols, values) = transform_json(&t, &data);
    assert_eq!(
        cols,
        ["size", "color=blue", "color=green", "color=red", "note"]
    );
    // The blue row's missing size is the mean of the others (1.5, 2.5, 3, 2 → 2.25); the
    // last row's missing colour is the most frequent one (red).
    assert_eq!(values[1][0], 2.25);
    assert_eq!(values[4][1..4], [0.0, 0.0, 1.0]);
    // `sorted` is a batch parameter only.
    tw(&[
        "learn",
        "--model",
        "one_hot_encoder(sorted=true)",
        "--data",
        &data,
        "--save",
        &t,
    ])
    .input_error(&["sorted"]);
}

#[test]
fn record_stage_errors_name_file_line_and_column() {
    let dir = TempDir::new("errors");
    let data = dir.write("toys.csv", TOYS);
    // Without an imputer a missing value is refused with its place.
    tw(&[
        "eval",
        "--model",
        "one_hot_encoder|gaussian_nb",
        "--data",
        &data,
    ])
    .input_error(&["toys.csv:3", "`size`", "no imputer"]);
    // A text column without an encoder: today's error.
    tw(&["eval", "--model", "gaussian_nb", "--data", &data]).input_error(&["`color`", "nominal"]);
    // An encoder that would grow under a sized model asks for a capacity.
    tw(&["eval", "--model", "stat_imputer|stat_imputer(strategy=most_frequent,columns=[color])|one_hot_encoder(columns=[color])|select(columns=[size])|gaussian_nb", "--data", &data])
        .input_error(&["toys.csv:3", "max_categories"]);
    // Unknown categories with handle_unknown=error at prediction, and missing columns.
    let m = dir.path("m.tw");
    tw(&[
        "fit", "--model",
        "stat_imputer|stat_imputer(strategy=most_frequent,columns=[color])|one_hot_encoder(columns=[color],handle_unknown=error)|select(columns=[size])|gaussian_nb",
        "--data", &data, "--save", &m,
    ])
    .ok();
    let other = dir.write("other.csv", "color,size,note\npurple,1,hi\n");
    tw(&["predict", "--load", &m, "--data", &other]).input_error(&[
        "other.csv:2",
        "`color`",
        "purple",
    ]);
    let short = dir.write("short.csv", "color,note\nred,hi\n");
    tw(&["predict", "--load", &m, "--data", &short]).input_error(&["short.csv", "`size`"]);
    // With --on-error skip the bad row keeps its place in the output.
    let out = tw(&[
        "predict",
        "--load",
        &m,
        "--data",
        &other,
        "--on-error",
        "skip",
        "--json",
    ])
    .json();
    assert_eq!(out["predictions"], serde_json::json!([null]));
    // A batch fit names the row of a missing value no imputer fills, and skips it when asked.
    tw(&[
        "fit",
        "--model",
        "one_hot_encoder|gaussian_nb",
        "--data",
        &data,
        "--save",
        &m,
    ])
    .input_error(&["toys.csv:3", "`size`"]);
    tw(&[
        "fit",
        "--model",
        "one_hot_encoder|gaussian_nb",
        "--data",
        &data,
        "--save",
        &m,
        "--on-error",
        "skip",
    ])
    .ok();
}

#[test]
fn list_shows_the_preprocessing_components() {
    let v = tw(&["list", "--json"]).json();
    let names: Vec<&str> = v["transformers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    for n in [
        "standard_scaler",
        "min_max_scaler",
        "max_abs_scaler",
        "robust_scaler",
        "normalizer",
        "adaptive_standard_scaler",
        "k_bins_discretizer",
        "pca",
        "incremental_pca",
        "union",
        "one_hot_encoder",
        "ordinal_encoder",
        "feature_hasher",
        "bag_of_words",
        "tfidf",
        "stat_imputer",
        "previous_imputer",
        "select",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
}

#[test]
fn a_union_concatenates_transformers() {
    let dir = TempDir::new("union");
    let fx = fixture("batch/pca_iris.json");
    let x = matrix(&fx["X"]);
    let header: Vec<String> = (0..4).map(|j| format!("f{j}")).collect();
    let data = dir.write("iris.csv", &csv_text(&header, &x));
    let m = dir.path("u.tw");
    tw(&[
        "fit",
        "--model",
        "union(parts=[standard_scaler,pca(n_components=1)])",
        "--data",
        &data,
        "--save",
        &m,
    ])
    .ok();
    let (cols, values) = transform_json(&m, &data);
    assert_eq!(cols, ["f0", "f1", "f2", "f3", "pc0"]);
    assert_eq!(values[0].len(), 5);
}
