//! `tidewater inspect`: a saved model's structure as text, JSON and dot, for online trees,
//! forests and batch trees; a model that is not a tree says so; a damaged file is an error.

mod common;
use common::cli::{TempDir, tw};

/// Fits `spec` on `source` (flags) and saves it; returns the model's path.
fn saved(dir: &TempDir, name: &str, spec: &str, source: &[&str]) -> String {
    let model = dir.path(name);
    let mut args = vec!["fit", "--model", spec];
    args.extend_from_slice(source);
    args.extend_from_slice(&["--save", &model]);
    tw(&args).ok();
    model
}

/// The counts a text report gives on its `trees:` line.
fn counts_line(text: &str) -> String {
    text.lines()
        .find(|l| l.starts_with("trees: "))
        .unwrap_or_else(|| panic!("no trees line in {text}"))
        .to_owned()
}

#[test]
fn a_hoeffding_tree_shows_its_counts_text_and_graph_alike_in_every_form() {
    let dir = TempDir::new("inspect_ht");
    let agrawal = ["--synth", "agrawal(seed=1)", "--limit", "5000"];
    let model = saved(&dir, "ht.tw", "hoeffding_tree(grace_period=100)", &agrawal);

    let j = tw(&["inspect", "--load", &model, "--json"]).json();
    assert_eq!(j["model"], "hoeffding_tree(grace_period=100)");
    assert_eq!(j["role"], "classifier");
    assert_eq!(j["rows_seen"], 5000);
    assert_eq!(j["features"][2], "age");
    assert_eq!(j["classes"], serde_json::json!(["0", "1"]));
    let s = &j["structure"];
    let (nodes, leaves) = (
        s["n_nodes"].as_u64().unwrap(),
        s["n_leaves"].as_u64().unwrap(),
    );
    assert!(nodes > 1, "5000 Agrawal rows grow a tree: {s}");
    assert_eq!(nodes, 2 * leaves - 1, "numeric splits are binary: {s}");
    assert_eq!(s["trees"], 1);
    assert!(s["feature_importances"].is_null());
    let tree_text = s["text"].as_str().unwrap();
    assert_eq!(
        tree_text
            .lines()
            .filter(|l| l.trim().starts_with("leaf:"))
            .count() as u64,
        leaves
    );
    assert!(
        tree_text.contains("if age <= "),
        "features by name: {tree_text}"
    );

    let text = tw(&["inspect", "--load", &model]).ok().to_owned();
    assert_eq!(
        counts_line(&text),
        format!(
            "trees: 1, depth {}, {nodes} nodes, {leaves} leaves",
            s["depth"]
        )
    );
    assert!(
        text.ends_with(tree_text),
        "the text report ends with the tree"
    );
    assert!(text.contains("rows learned: 5000"));

    let dot = tw(&["inspect", "--load", &model, "--dot"]).ok().to_owned();
    assert!(dot.starts_with("digraph tree {") && dot.trim_end().ends_with('}'));
    let boxes = dot
        .lines()
        .filter(|l| l.contains("[label=") && !l.contains("->"));
    let edges = dot.lines().filter(|l| l.contains("->"));
    assert_eq!(boxes.count() as u64, nodes);
    assert_eq!(edges.count() as u64, nodes - 1);
}

#[test]
fn forests_and_batch_trees_report_every_tree_and_their_importances() {
    let dir = TempDir::new("inspect_forests");
    let arf = saved(
        &dir,
        "arf.tw",
        "adaptive_random_forest(n_models=3,seed=1)",
        &["--dataset", "phishing"],
    );
    let j = tw(&["inspect", "--load", &arf, "--json"]).json();
    assert_eq!(j["structure"]["trees"], 3);
    let text = j["structure"]["text"].as_str().unwrap();
    assert_eq!(text.lines().filter(|l| l.starts_with("tree ")).count(), 3);
    let dot = tw(&["inspect", "--load", &arf, "--dot"]).ok().to_owned();
    assert_eq!(dot.matches("digraph tree {").count(), 3);

    let rf = saved(
        &dir,
        "rf.tw",
        "random_forest(n_estimators=4,seed=0)",
        &["--dataset", "iris"],
    );
    let j = tw(&["inspect", "--load", &rf, "--json"]).json();
    assert_eq!(j["structure"]["trees"], 4);
    let imp: Vec<f64> = j["structure"]["feature_importances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(imp.len(), 4);
    assert!((imp.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{imp:?}");

    let htr = saved(
        &dir,
        "htr.tw",
        "hoeffding_tree_regressor(grace_period=50)",
        &["--dataset", "trump_approval"],
    );
    let j = tw(&["inspect", "--load", &htr, "--json"]).json();
    assert_eq!(j["role"], "regressor");
    assert!(j["classes"].is_null());
    let s = &j["structure"];
    assert!(s["n_leaves"].as_u64().unwrap() > 1, "{s}");
    assert!(s["text"].as_str().unwrap().contains("leaf: mean "), "{s}");

    let dt = saved(
        &dir,
        "dt.tw",
        "decision_tree(max_depth=2)",
        &["--dataset", "iris"],
    );
    let text = tw(&["inspect", "--load", &dt]).ok().to_owned();
    assert_eq!(counts_line(&text), "trees: 1, depth 2, 5 nodes, 3 leaves");
    assert!(text.contains("feature importances: sepal_length"));
    assert!(text.contains("if petal_width <= "));
}

#[test]
fn a_model_that_is_not_a_tree_says_so_and_damage_is_an_error() {
    let dir = TempDir::new("inspect_other");
    let nb = saved(&dir, "nb.tw", "gaussian_nb", &["--dataset", "iris"]);
    let text = tw(&["inspect", "--load", &nb]).ok().to_owned();
    assert!(text.contains("structure: not a tree model"), "{text}");
    assert!(tw(&["inspect", "--load", &nb, "--json"]).json()["structure"].is_null());
    tw(&["inspect", "--load", &nb, "--dot"]).input_error(&["gaussian_nb", "not a tree"]);

    let bytes = std::fs::read(&nb).unwrap();
    let cut = dir.write("cut.tw", "");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    tw(&["inspect", "--load", &cut]).input_error(&["cut.tw"]);
    tw(&["inspect", "--load", &dir.path("absent.tw")]).input_error(&["absent.tw"]);
}
