//! CART and random forests against scikit-learn 1.9.1: the public fixtures
//! (`cart_iris.json`, `cart_diabetes.json`) and `cart_extra.json` (written by
//! `tests/fixtures/reference/trees/cart_extra.py`: whole trees, importances, forest
//! probabilities, more settings). The trees draw scikit-learn's random numbers, so they are
//! compared exactly; the acceptance bounds of the issue are asserted as well.
//!
//! Also: forest determinism across thread counts, refused input, batch-only `learn_one`,
//! and the save/load round trip.

use ndarray::Array2;
use serde_json::Value;
use tidewater::persist;
use tidewater::prelude::*;
use tidewater::trees::{
    ClassificationCriterion, DecisionTreeClassifier, DecisionTreeClassifierParams,
    DecisionTreeRegressor, DecisionTreeRegressorParams, MaxFeatures, RandomForestClassifier,
    RandomForestClassifierParams, RandomForestRegressor, RandomForestRegressorParams,
};
use tidewater::{FeatureMatrix, Schema};

mod common;
use common::{fixture, floats, matrix, num};

/// A fixture's training rows as a data set and its test rows, with the target transformed
/// by `f` (and the training rows weighted by `weights`).
struct Split {
    train: Dataset,
    test_x: Vec<Vec<f64>>,
    test_y: Vec<f64>,
}

fn split(name: &str, classify: bool, f: impl Fn(f64) -> f64, weighted: bool) -> Split {
    let fx = fixture(&format!("trees/cart_{name}.json"));
    let x = matrix(&fx["X"]);
    let y: Vec<f64> = floats(&fx["y"]).into_iter().map(f).collect();
    let rows = |k: &str| -> Vec<usize> { floats(&fx[k]).iter().map(|&v| v as usize).collect() };
    let (train, test) = (rows("train_rows"), rows("test_rows"));
    let d = x[0].len();
    let flat: Vec<f64> = train.iter().flat_map(|&i| x[i].clone()).collect();
    let xs = Array2::from_shape_vec((train.len(), d), flat).unwrap();
    let targets = if classify {
        Targets::Labels(train.iter().map(|&i| Label::Num(y[i])).collect())
    } else {
        Targets::Values(train.iter().map(|&i| y[i]).collect())
    };
    let names = (0..d).map(|j| format!("f{j}")).collect();
    let mut data = Dataset::new(
        FeatureMatrix::Dense(xs),
        vec![targets],
        Schema::numeric(names, vec!["y".into()]),
    )
    .unwrap();
    if weighted {
        let w = (0..train.len())
            .map(|i| 1.0 + (i % 5) as f64 / 4.0)
            .collect();
        data = data.with_weights(w).unwrap();
    }
    Split {
        train: data,
        test_x: test.iter().map(|&i| x[i].clone()).collect(),
        test_y: test.iter().map(|&i| y[i]).collect(),
    }
}

fn iris() -> Split {
    split("iris", true, |v| v, false)
}

fn diabetes() -> Split {
    split("diabetes", false, |v| v, false)
}

fn classify(m: &dyn Classifier, xs: &[Vec<f64>]) -> Vec<f64> {
    xs.iter()
        .map(|x| {
            m.predict_one(Row::Dense(x))
                .unwrap()
                .and_then(|l| l.as_f64())
                .unwrap()
        })
        .collect()
}

fn regress(m: &dyn Regressor, xs: &[Vec<f64>]) -> Vec<f64> {
    xs.iter()
        .map(|x| m.predict_one(Row::Dense(x)).unwrap())
        .collect()
}

fn agreement(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / a.len() as f64
}

fn accuracy(pred: &[f64], y: &[f64]) -> f64 {
    agreement(pred, y)
}

/// scikit-learn's `r2_score`.
fn r2(pred: &[f64], y: &[f64]) -> f64 {
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    let ss_res: f64 = y.iter().zip(pred).map(|(a, b)| (a - b) * (a - b)).sum();
    let ss_tot: f64 = y.iter().map(|a| (a - mean) * (a - mean)).sum();
    1.0 - ss_res / ss_tot
}

// ---------------------------------------------------------------------------------------------
// The public fixtures.

#[test]
fn decision_tree_on_iris_is_scikit_learns() {
    let f = fixture("trees/cart_iris.json");
    let s = iris();
    let m = DecisionTreeClassifierParams::default()
        .fit(&s.train)
        .unwrap();
    let want = floats(&f["decision_tree"]["test_predictions"]);
    let got = classify(&m, &s.test_x);
    assert_eq!(got, want, "every test prediction");
    assert_eq!(m.depth(), num(&f["decision_tree"]["depth"]) as usize);
    assert_eq!(m.n_leaves(), num(&f["decision_tree"]["leaves"]) as usize);
    assert_eq!(
        accuracy(&got, &s.test_y),
        num(&f["decision_tree"]["test_score"])
    );
    // The iris root is scikit-learn's: the midpoint of f32(0.6) and 1.0 on petal width, or
    // the same cut on petal length, whichever the seed visits first.
    let root = &m.nodes()[0];
    assert!(root.threshold == Some(0.800000011920929) || root.threshold == Some(2.45));
}

#[test]
fn decision_tree_on_diabetes_is_scikit_learns() {
    let f = fixture("trees/cart_diabetes.json");
    let s = diabetes();
    let m = DecisionTreeRegressorParams::default()
        .fit(&s.train)
        .unwrap();
    let want = floats(&f["decision_tree"]["test_predictions"]);
    let got = regress(&m, &s.test_x);
    // Exactly, bit for bit.
    assert_eq!(got, want, "every test prediction");
    assert_eq!(m.depth(), 19);
    assert_eq!(m.depth(), num(&f["decision_tree"]["depth"]) as usize);
    assert_eq!(m.n_leaves(), num(&f["decision_tree"]["leaves"]) as usize);
    let score = r2(&got, &s.test_y);
    let want_score = num(&f["decision_tree"]["test_score"]);
    assert!(
        (score - want_score).abs() <= 1e-12,
        "{score} vs {want_score}"
    );
}

/// The acceptance bound: the tree agrees with scikit-learn's predictions at least as often
/// as scikit-learn's own trees with other seeds do, and on at least 97 % of the test rows
/// with `min_samples_leaf = 5`.
#[test]
fn decision_tree_agreement_meets_the_acceptance_bounds() {
    let extra = fixture("trees/cart_extra.json");
    for (name, classify_it) in [("iris", true), ("diabetes", false)] {
        let s = split(name, classify_it, |v| v, false);
        for leaf in [1usize, 5] {
            let key = if leaf == 1 {
                format!("{name}/defaults_seed_0")
            } else {
                format!("{name}/min_samples_leaf_5")
            };
            let want = floats(&extra["trees"][&key]["test_predictions"]);
            let got = if classify_it {
                let m = DecisionTreeClassifierParams::default()
                    .min_samples_leaf(leaf)
                    .fit(&s.train)
                    .unwrap();
                classify(&m, &s.test_x)
            } else {
                let m = DecisionTreeRegressorParams::default()
                    .min_samples_leaf(leaf)
                    .fit(&s.train)
                    .unwrap();
                regress(&m, &s.test_x)
            };
            let rate = agreement(&got, &want);
            let theirs = num(&extra["agreement"][format!("{name}/min_samples_leaf_{leaf}")]["min"]);
            println!("{key}: agreement {rate} (scikit-learn's other seeds: at least {theirs})");
            assert!(rate >= theirs, "{key}: {rate} < {theirs}");
            if leaf == 5 {
                assert!(rate >= 0.97, "{key}: {rate}");
            }
            assert_eq!(rate, 1.0, "{key}: the same seed gives the same tree");
        }
    }
}

#[test]
fn random_forest_scores_are_scikit_learns_for_seeds_0_to_4() {
    for (name, classify_it) in [("iris", true), ("diabetes", false)] {
        let f = fixture(&format!("trees/cart_{name}.json"));
        let want = floats(&f["random_forest"]["test_score_seeds_0_4"]);
        let s = split(name, classify_it, |v| v, false);
        let (lo, hi) = want
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        for (seed, &w) in want.iter().enumerate() {
            let score = if classify_it {
                let m = RandomForestClassifierParams::default()
                    .seed(seed as u32)
                    .fit(&s.train)
                    .unwrap();
                accuracy(&classify(&m, &s.test_x), &s.test_y)
            } else {
                let m = RandomForestRegressorParams::default()
                    .seed(seed as u32)
                    .fit(&s.train)
                    .unwrap();
                r2(&regress(&m, &s.test_x), &s.test_y)
            };
            println!("{name} random forest, seed {seed}: {score} (scikit-learn {w})");
            // The acceptance band: the fixture's range widened by 0.03.
            assert!(
                score >= lo - 0.03 && score <= hi + 0.03,
                "{name} seed {seed}: {score}"
            );
            assert!(
                (score - w).abs() <= 1e-12,
                "{name} seed {seed}: {score} vs {w}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// cart_extra.json: whole trees.

fn same_tree(key: &str, want: &Value, nodes: &[tidewater::trees::TreeNode]) {
    let left = floats(&want["children_left"]);
    assert_eq!(nodes.len(), left.len(), "{key}: node count");
    let right = floats(&want["children_right"]);
    let feature = floats(&want["feature"]);
    let threshold = floats(&want["threshold"]);
    let impurity = floats(&want["impurity"]);
    let n = floats(&want["n_node_samples"]);
    let w = floats(&want["weighted_n_node_samples"]);
    let value = matrix(&want["value"]);
    for (i, node) in nodes.iter().enumerate() {
        match node.children {
            Some((l, r)) => {
                assert_eq!((l as f64, r as f64), (left[i], right[i]), "{key} node {i}");
                assert_eq!(node.feature.unwrap() as f64, feature[i], "{key} node {i}");
                assert_eq!(node.threshold.unwrap(), threshold[i], "{key} node {i}");
            }
            None => assert_eq!(left[i], -1.0, "{key} node {i} is a leaf"),
        }
        assert_eq!(node.impurity, impurity[i], "{key} node {i} impurity");
        assert_eq!(node.n_samples as f64, n[i], "{key} node {i} rows");
        assert_eq!(node.weight, w[i], "{key} node {i} weight");
        assert_eq!(node.value, value[i], "{key} node {i} value");
    }
}

fn classifier_params(p: &Value) -> DecisionTreeClassifierParams {
    let mut m = DecisionTreeClassifierParams::default();
    if let Some(c) = p["criterion"].as_str() {
        m = m.criterion(match c {
            "entropy" => ClassificationCriterion::Entropy,
            "log_loss" => ClassificationCriterion::LogLoss,
            _ => ClassificationCriterion::Gini,
        });
    }
    let common = tree_settings(p);
    m.seed(common.0)
        .max_depth(common.1)
        .min_samples_split(common.2)
        .min_samples_leaf(common.3)
        .max_features(common.4)
        .min_impurity_decrease(common.5)
}

fn regressor_params(p: &Value) -> DecisionTreeRegressorParams {
    let c = tree_settings(p);
    DecisionTreeRegressorParams::default()
        .seed(c.0)
        .max_depth(c.1)
        .min_samples_split(c.2)
        .min_samples_leaf(c.3)
        .max_features(c.4)
        .min_impurity_decrease(c.5)
}

type Settings = (u32, Option<usize>, usize, usize, MaxFeatures, f64);

/// scikit-learn's keyword arguments as this crate's settings.
fn tree_settings(p: &Value) -> Settings {
    let max_features = match &p["max_features"] {
        Value::Null => MaxFeatures::All,
        Value::String(s) if s == "sqrt" => MaxFeatures::Sqrt,
        Value::String(s) if s == "log2" => MaxFeatures::Log2,
        Value::Number(n) if n.is_u64() => MaxFeatures::Count(n.as_u64().unwrap() as usize),
        Value::Number(n) => MaxFeatures::Fraction(n.as_f64().unwrap()),
        other => panic!("max_features {other}"),
    };
    (
        p["random_state"].as_u64().unwrap_or(0) as u32,
        p["max_depth"].as_u64().map(|v| v as usize),
        p["min_samples_split"].as_u64().unwrap_or(2) as usize,
        p["min_samples_leaf"].as_u64().unwrap_or(1) as usize,
        max_features,
        p["min_impurity_decrease"].as_f64().unwrap_or(0.0),
    )
}

#[test]
fn whole_trees_are_scikit_learns_node_for_node() {
    let extra = fixture("trees/cart_extra.json");
    let trees = extra["trees"].as_object().unwrap();
    let mut checked = 0;
    for (key, want) in trees {
        let data = key.split('/').next().unwrap();
        let s = match data {
            "iris" => iris(),
            "diabetes" => diabetes(),
            "real_target" => split("diabetes", false, |v| v / 7.3, false),
            "weighted" => split("iris", true, |v| v, true),
            other => panic!("unknown data {other}"),
        };
        let p = &want["params"];
        let (nodes, preds, imp, depth, leaves) = if matches!(data, "iris" | "weighted") {
            let m: DecisionTreeClassifier = classifier_params(p).fit(&s.train).unwrap();
            (
                m.nodes(),
                classify(&m, &s.test_x),
                m.feature_importances(),
                m.depth(),
                m.n_leaves(),
            )
        } else {
            let m: DecisionTreeRegressor = regressor_params(p).fit(&s.train).unwrap();
            (
                m.nodes(),
                regress(&m, &s.test_x),
                m.feature_importances(),
                m.depth(),
                m.n_leaves(),
            )
        };
        same_tree(key, want, &nodes);
        assert_eq!(preds, floats(&want["test_predictions"]), "{key}");
        assert_eq!(imp, floats(&want["feature_importances"]), "{key}");
        assert_eq!(depth as f64, num(&want["depth"]), "{key}");
        assert_eq!(leaves as f64, num(&want["leaves"]), "{key}");
        checked += 1;
    }
    println!("{checked} trees equal to scikit-learn's, node for node");
    assert_eq!(checked, 27);
}

#[test]
fn forests_are_scikit_learns_tree_for_tree() {
    let extra = fixture("trees/cart_extra.json");
    for (key, want) in extra["forests"].as_object().unwrap() {
        let data = key.split('/').next().unwrap();
        let p = &want["params"];
        let c = tree_settings(p);
        let n = p["n_estimators"].as_u64().unwrap_or(100) as usize;
        let bootstrap = p["bootstrap"].as_bool().unwrap_or(true);
        let (depths, leaves, imp) = if data == "iris" {
            let s = iris();
            let max_features = if p["max_features"].is_null() {
                MaxFeatures::Sqrt
            } else {
                c.4
            };
            let m: RandomForestClassifier = RandomForestClassifierParams::default()
                .n_estimators(n)
                .bootstrap(bootstrap)
                .seed(c.0)
                .max_depth(c.1)
                .min_samples_leaf(c.3)
                .max_features(max_features)
                .fit(&s.train)
                .unwrap();
            let proba: Vec<Vec<f64>> = s
                .test_x
                .iter()
                .map(|x| m.predict_proba_one(Row::Dense(x)).unwrap())
                .collect();
            assert_eq!(proba, matrix(&want["test_proba"]), "{key}");
            (m.depths(), m.n_leaves(), m.feature_importances())
        } else {
            let s = if data == "diabetes" {
                diabetes()
            } else {
                split("diabetes", false, |v| v / 7.3, false)
            };
            let m: RandomForestRegressor = RandomForestRegressorParams::default()
                .n_estimators(n)
                .bootstrap(bootstrap)
                .seed(c.0)
                .max_depth(c.1)
                .min_samples_leaf(c.3)
                .max_features(c.4)
                .fit(&s.train)
                .unwrap();
            let got = regress(&m, &s.test_x);
            assert_eq!(got, floats(&want["test_predictions"]), "{key}");
            let score = r2(&got, &s.test_y);
            assert!(
                (score - num(&want["score"])).abs() <= 1e-12,
                "{key}: {score}"
            );
            (m.depths(), m.n_leaves(), m.feature_importances())
        };
        let as_f = |v: Vec<usize>| v.into_iter().map(|x| x as f64).collect::<Vec<_>>();
        assert_eq!(as_f(depths), floats(&want["depths"]), "{key}");
        assert_eq!(as_f(leaves), floats(&want["leaves"]), "{key}");
        assert_eq!(imp, floats(&want["feature_importances"]), "{key}");
    }
}

// ---------------------------------------------------------------------------------------------
// Forests and threads.

#[test]
fn a_forest_is_the_same_with_one_thread_or_two() {
    let s = diabetes();
    let params = RandomForestRegressorParams::default()
        .n_estimators(24)
        .seed(11);
    let pool = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    };
    let one = pool(1).install(|| params.fit(&s.train).unwrap());
    let two = pool(2).install(|| params.fit(&s.train).unwrap());
    let bytes = |m: &RandomForestRegressor| persist::to_bytes("forest", m).unwrap();
    assert_eq!(bytes(&one), bytes(&two), "bit-identical models");
    assert_eq!(regress(&one, &s.test_x), regress(&two, &s.test_x));
    let s = iris();
    let params = RandomForestClassifierParams::default()
        .n_estimators(24)
        .seed(5);
    let one = pool(1).install(|| params.fit(&s.train).unwrap());
    let two = pool(2).install(|| params.fit(&s.train).unwrap());
    assert_eq!(
        persist::to_bytes("forest", &one).unwrap(),
        persist::to_bytes("forest", &two).unwrap()
    );
}

// ---------------------------------------------------------------------------------------------
// Input, the batch-only stream path, persistence.

fn tiny(rows: Vec<Vec<f64>>, labels: Vec<f64>) -> Dataset {
    let d = rows.first().map_or(2, Vec::len);
    let x = Array2::from_shape_vec((rows.len(), d), rows.concat()).unwrap();
    Dataset::new(
        FeatureMatrix::Dense(x),
        vec![Targets::Labels(
            labels.into_iter().map(Label::Num).collect(),
        )],
        Schema::numeric((0..d).map(|j| format!("f{j}")).collect(), vec!["y".into()]),
    )
    .unwrap()
}

#[test]
fn bad_input_is_refused_with_errors_that_say_where() {
    let p = DecisionTreeClassifierParams::default();
    // NaN, infinities and values beyond f32, by row and feature.
    for (bad, what) in [
        (f64::NAN, "not finite"),
        (f64::INFINITY, "not finite"),
        (1e300, "32-bit"),
    ] {
        let data = tiny(vec![vec![1.0, 2.0], vec![3.0, bad]], vec![0.0, 1.0]);
        let e = p.fit(&data).unwrap_err().to_string();
        assert!(
            e.contains("row 1") && e.contains("feature 1") && e.contains(what),
            "{e}"
        );
        let e = RandomForestClassifierParams::default()
            .fit(&data)
            .unwrap_err()
            .to_string();
        assert!(e.contains("row 1") && e.contains("feature 1"), "{e}");
    }
    // An empty data set, and one with no target.
    let e = p.fit(&tiny(vec![], vec![])).unwrap_err().to_string();
    assert!(e.contains("no rows"), "{e}");
    let x = Array2::from_shape_vec((2, 1), vec![1.0, 2.0]).unwrap();
    let no_target = Dataset::new(
        FeatureMatrix::Dense(x),
        vec![],
        Schema::numeric(vec!["a".into()], vec![]),
    )
    .unwrap();
    let e = p.fit(&no_target).unwrap_err().to_string();
    assert!(e.contains("no target"), "{e}");
    let e = DecisionTreeRegressorParams::default()
        .fit(&no_target)
        .unwrap_err()
        .to_string();
    assert!(e.contains("no target"), "{e}");
    // A text label is no regression target; a non-finite target is refused by row.
    let text = Dataset::new(
        FeatureMatrix::Dense(Array2::from_shape_vec((2, 1), vec![1.0, 2.0]).unwrap()),
        vec![Targets::Labels(vec![
            Label::Num(1.0),
            Label::Text("a".into()),
        ])],
        Schema::numeric(vec!["a".into()], vec!["y".into()]),
    )
    .unwrap();
    let e = DecisionTreeRegressorParams::default()
        .fit(&text)
        .unwrap_err()
        .to_string();
    assert!(e.contains("row 1"), "{e}");
    let inf = Dataset::new(
        FeatureMatrix::Dense(Array2::from_shape_vec((2, 1), vec![1.0, 2.0]).unwrap()),
        vec![Targets::Values(vec![1.0, f64::INFINITY])],
        Schema::numeric(vec!["a".into()], vec!["y".into()]),
    )
    .unwrap();
    let e = RandomForestRegressorParams::default()
        .fit(&inf)
        .unwrap_err()
        .to_string();
    assert!(e.contains("row 1") && e.contains("target"), "{e}");
    // Weights: negative, all zero; a bootstrapped forest takes none.
    let data = tiny(vec![vec![1.0], vec![2.0]], vec![0.0, 1.0]);
    let e = p
        .fit(&data.clone().with_weights(vec![1.0, -1.0]).unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("row 1") && e.contains("weight"), "{e}");
    assert!(
        p.fit(&data.clone().with_weights(vec![0.0, 0.0]).unwrap())
            .is_err()
    );
    assert!(
        RandomForestClassifierParams::default()
            .fit(&data.clone().with_weights(vec![1.0, 2.0]).unwrap())
            .is_err()
    );
    assert!(
        RandomForestClassifierParams::default()
            .bootstrap(false)
            .fit(&data.with_weights(vec![1.0, 2.0]).unwrap())
            .is_ok()
    );
    // max_features beyond the width, named.
    let e = p
        .clone()
        .max_features(MaxFeatures::Count(5))
        .fit(&tiny(vec![vec![1.0, 2.0], vec![2.0, 1.0]], vec![0.0, 1.0]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("max_features"), "{e}");
    // Bad parameters, by name.
    let e = p
        .clone()
        .min_samples_leaf(0)
        .validate()
        .unwrap_err()
        .to_string();
    assert!(e.contains("min_samples_leaf"), "{e}");
    // Predictions: wrong width, NaN, beyond f32.
    let s = iris();
    let m = p.fit(&s.train).unwrap();
    let before = persist::to_bytes("tree", &m).unwrap();
    for (x, what) in [
        (vec![1.0, 2.0, 3.0], "expected 4 features"),
        (vec![1.0, f64::NAN, 3.0, 4.0], "feature 1"),
        (vec![1.0, 2.0, 1e39, 4.0], "feature 2"),
    ] {
        let e = m.predict_one(Row::Dense(&x)).unwrap_err().to_string();
        assert!(e.contains(what), "{e}");
        let mut out = [0.0; 3];
        assert!(m.predict_proba_into(Row::Dense(&x), &mut out).is_err());
    }
    assert_eq!(persist::to_bytes("tree", &m).unwrap(), before);
}

#[test]
fn learn_one_is_refused_naming_the_model_and_fit_and_changes_nothing() {
    let s = iris();
    let x = &s.test_x[0];
    let mut tree = DecisionTreeClassifierParams::default()
        .fit(&s.train)
        .unwrap();
    let mut forest = RandomForestClassifierParams::default()
        .n_estimators(5)
        .fit(&s.train)
        .unwrap();
    let before = (
        persist::to_bytes("t", &tree).unwrap(),
        persist::to_bytes("f", &forest).unwrap(),
    );
    for (m, name) in [
        (&mut tree as &mut dyn Classifier, "decision_tree"),
        (&mut forest as &mut dyn Classifier, "random_forest"),
    ] {
        let e = m
            .learn_one(Row::Dense(x), &Label::Num(0.0), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains(name) && e.contains("fit"), "{e}");
        let mut out = [0.0; 3];
        assert!(
            m.predict_then_learn(Row::Dense(x), &Label::Num(0.0), None, &mut out)
                .is_err()
        );
        let batch = Array2::from_shape_vec((1, 4), x.clone()).unwrap();
        let e = m
            .learn_many(Batch::Dense(batch.view()), &[Label::Num(0.0)], None)
            .unwrap_err()
            .to_string();
        assert!(e.contains(name), "{e}");
    }
    assert_eq!(persist::to_bytes("t", &tree).unwrap(), before.0);
    assert_eq!(persist::to_bytes("f", &forest).unwrap(), before.1);
    let s = diabetes();
    let mut r = DecisionTreeRegressorParams::default()
        .fit(&s.train)
        .unwrap();
    let e = r
        .learn_one(Row::Dense(&s.test_x[0]), 1.0, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("decision_tree_regressor") && e.contains("fit"),
        "{e}"
    );
    let mut rf = RandomForestRegressorParams::default()
        .n_estimators(3)
        .fit(&s.train)
        .unwrap();
    let e = rf
        .learn_one(Row::Dense(&s.test_x[0]), 1.0, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("random_forest_regressor"), "{e}");
    // In a pipeline, the scaler before the tree does not learn the refused row either.
    let s = iris();
    let mut piped = tidewater::registry::fit("standard_scaler|decision_tree", &s.train).unwrap();
    let before = persist::to_bytes("p", &piped).unwrap();
    let tidewater::registry::AnyModel::Classifier(p) = &mut piped else {
        panic!("a classifier pipeline")
    };
    let e = p
        .learn_one(Row::Dense(&s.test_x[0]), &Label::Num(0.0), None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("decision_tree") && e.contains("fit"), "{e}");
    assert!(p.check_learning().is_err());
    assert_eq!(persist::to_bytes("p", &piped).unwrap(), before);
    let s = diabetes();
    let x = &s.test_x[0];
    // An unfitted model predicts as the traits say: no class, or 0.
    let empty = DecisionTreeClassifierParams::default().build().unwrap();
    assert_eq!(empty.predict_one(Row::Dense(&x[..4])).unwrap(), None);
    let empty = RandomForestRegressorParams::default().build().unwrap();
    assert_eq!(empty.predict_one(Row::Dense(x)).unwrap(), 0.0);
}

#[test]
fn saved_and_loaded_models_predict_identically() {
    let s = iris();
    let tree = DecisionTreeClassifierParams::default()
        .max_features(MaxFeatures::Sqrt)
        .seed(9)
        .fit(&s.train)
        .unwrap();
    let forest = RandomForestClassifierParams::default()
        .n_estimators(10)
        .fit(&s.train)
        .unwrap();
    let bytes = persist::to_bytes("tree", &tree).unwrap();
    let (_, back): (_, DecisionTreeClassifier) = persist::from_bytes(&bytes, "tree").unwrap();
    assert_eq!(back, tree);
    let bytes = persist::to_bytes("forest", &forest).unwrap();
    let (_, back_f): (_, RandomForestClassifier) = persist::from_bytes(&bytes, "forest").unwrap();
    assert_eq!(back_f, forest);
    for x in &s.test_x {
        let r = Row::Dense(x);
        let bits = |v: Vec<f64>| v.iter().map(|p| p.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(back.predict_proba_one(r).unwrap()),
            bits(tree.predict_proba_one(r).unwrap())
        );
        assert_eq!(
            bits(back_f.predict_proba_one(r).unwrap()),
            bits(forest.predict_proba_one(r).unwrap())
        );
    }
    let s = diabetes();
    let tree = DecisionTreeRegressorParams::default()
        .fit(&s.train)
        .unwrap();
    let bytes = persist::to_bytes("tree", &tree).unwrap();
    let (_, back): (_, DecisionTreeRegressor) = persist::from_bytes(&bytes, "tree").unwrap();
    assert_eq!(
        regress(&back, &s.test_x)
            .iter()
            .map(|v| v.to_bits())
            .collect::<Vec<_>>(),
        regress(&tree, &s.test_x)
            .iter()
            .map(|v| v.to_bits())
            .collect::<Vec<_>>()
    );
}

#[test]
fn the_tree_renders_as_text_and_dot_and_reports_its_shape() {
    let data = tidewater::datasets::iris().unwrap();
    let m = DecisionTreeClassifierParams::default()
        .max_depth(2)
        .fit(&data)
        .unwrap();
    let text = m.to_string();
    let lines: Vec<&str> = text.lines().collect();
    // Depth 2: a root test, two tests below it, four leaves: a line per test side and leaf.
    assert_eq!(m.depth(), 2);
    assert_eq!(m.n_nodes(), 5);
    assert_eq!(m.n_leaves(), 3);
    assert!(
        lines[0].starts_with("if petal_") && lines[0].contains("<="),
        "{text}"
    );
    assert_eq!(
        lines.iter().filter(|l| l.contains("leaf: class")).count(),
        3
    );
    assert!(
        text.contains("leaf: class 0 (50 rows, proba [1, 0, 0])"),
        "{text}"
    );
    let dot = m.to_dot();
    assert!(dot.starts_with("digraph tree {"));
    assert_eq!(dot.matches(" -> ").count(), 4);
    assert!(dot.contains("gini = "));
    let imp = m.feature_importances();
    assert_eq!(imp.len(), 4);
    assert!((imp.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    // The petal features carry every split.
    assert_eq!(imp[0] + imp[1], 0.0);
    let r = DecisionTreeRegressorParams::default()
        .max_depth(1)
        .fit(&tidewater::datasets::diabetes().unwrap())
        .unwrap();
    assert_eq!(r.to_string().lines().count(), 4, "{r}");
    assert!(r.to_dot().contains("squared_error = "));
}
