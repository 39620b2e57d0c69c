//! The batch trees through the program: `fit` then `predict` gives scikit-learn's
//! predictions on the public fixtures, and the stream commands refuse a batch-only model.

mod common;
use common::cli::{TempDir, tw};
use common::{csv_text, fixture, floats, matrix};

/// Writes rows `which` (a fixture's `train_rows` or `test_rows`) as CSV; returns its path.
fn write_rows(dir: &TempDir, f: &serde_json::Value, which: &str) -> String {
    let x = matrix(&f["X"]);
    let y = floats(&f["y"]);
    let mut header: Vec<String> = (0..x[0].len()).map(|j| format!("f{j}")).collect();
    header.push("y".into());
    let rows: Vec<Vec<f64>> = floats(&f[which])
        .iter()
        .map(|&i| {
            let i = i as usize;
            x[i].iter().copied().chain([y[i]]).collect()
        })
        .collect();
    dir.write(&format!("{which}.csv"), &csv_text(&header, &rows))
}

fn fit_then_predict(name: &str, spec: &str) -> Vec<f64> {
    let f = fixture(&format!("trees/cart_{name}.json"));
    let dir = TempDir::new(&format!("cart_{name}"));
    let train = write_rows(&dir, &f, "train_rows");
    let test = write_rows(&dir, &f, "test_rows");
    let model = dir.path("m.tw");
    tw(&["fit", "--model", spec, "--data", &train, "--save", &model]).ok();
    let out = tw(&["predict", "--load", &model, "--data", &test, "--json"]).json();
    floats(&out["predictions"])
}

#[test]
fn fit_then_predict_gives_scikit_learns_trees() {
    let f = fixture("trees/cart_iris.json");
    assert_eq!(
        fit_then_predict("iris", "decision_tree"),
        floats(&f["decision_tree"]["test_predictions"])
    );
    let f = fixture("trees/cart_diabetes.json");
    assert_eq!(
        fit_then_predict("diabetes", "decision_tree_regressor(seed=0)"),
        floats(&f["decision_tree"]["test_predictions"])
    );
    let forest = fit_then_predict("iris", "random_forest(n_estimators=20,seed=1)");
    assert_eq!(forest.len(), 45);
}

#[test]
fn the_stream_commands_refuse_a_batch_model_and_say_to_fit_it() {
    let f = fixture("trees/cart_iris.json");
    let dir = TempDir::new("cart_refusals");
    let train = write_rows(&dir, &f, "train_rows");
    let saved = dir.path("m.tw");
    for spec in ["decision_tree", "random_forest(n_estimators=3)"] {
        let name = spec.split('(').next().unwrap();
        tw(&["learn", "--model", spec, "--data", &train, "--save", &saved]).input_error(&[
            name,
            "batch model",
            "fit",
        ]);
        tw(&["eval", "--model", spec, "--data", &train]).input_error(&[name, "fit"]);
    }
    tw(&[
        "eval",
        "--model",
        "standard_scaler|decision_tree_regressor",
        "--dataset",
        "diabetes",
    ])
    .input_error(&["decision_tree_regressor", "fit"]);
    // A fitted tree cannot keep learning either.
    tw(&[
        "fit",
        "--model",
        "decision_tree",
        "--data",
        &train,
        "--save",
        &saved,
    ])
    .ok();
    let more = dir.path("more.tw");
    tw(&["learn", "--load", &saved, "--data", &train, "--save", &more])
        .input_error(&["decision_tree", "fit"]);
    // `list` says which path each takes.
    let list = tw(&["list", "--json"]).json();
    let models = list["models"].as_array().unwrap();
    for name in [
        "decision_tree",
        "decision_tree_regressor",
        "random_forest",
        "random_forest_regressor",
    ] {
        let e = models.iter().find(|m| m["name"] == name).unwrap();
        assert_eq!(
            e["paths"], "batch only (learn and eval refuse it)",
            "{name}"
        );
    }
}
