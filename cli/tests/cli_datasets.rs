//! The data sets and generators through the `tidewater` program: `--dataset`, `--synth`,
//! `datasets export NAME|SPEC`, `list --json`'s data set and generator sections, Elec2 read
//! from a user's file, multi-target data sets with `--target`.

use std::path::PathBuf;

use tidewater::datasets::synth;

mod common;
use common::cli::{tw, tw_env};

fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "tidewater-cli-datasets-{}-{test}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const CLASSIFICATION: &[&str] = &[
    "sea(seed=1)",
    "stagger(seed=1)",
    "agrawal(classification_function=2,seed=7)",
    "hyperplane(seed=1,mag_change=0.001)",
    "random_rbf(seed_model=1,seed_sample=2,n_classes=3)",
    "random_rbf_drift(seed_model=1,seed_sample=2,change_speed=0.001)",
    "led(seed=1,noise_percentage=0.1)",
    "led_drift(seed=1,irrelevant_features=true,n_drift_features=3)",
    "sine(seed=1,has_noise=true)",
    "mixed(seed=1)",
    "random_tree(seed_tree=1,seed_sample=2)",
    "concept_drift_stream(stream=agrawal(classification_function=0),drift_stream=agrawal(classification_function=2),position=5000,width=1)",
];

#[test]
fn eval_runs_gaussian_nb_on_sea_for_100k_rows() {
    let out = tw(&[
        "eval",
        "--model",
        "gaussian_nb",
        "--synth",
        "sea(seed=1)",
        "--limit",
        "100000",
        "--json",
    ])
    .json();
    assert_eq!(out["model"], "gaussian_nb");
    assert_eq!(out["dataset"], "sea(seed=1)");
    assert_eq!(out["rows"], 100_000);
    assert_eq!(out["skipped"], 0);
    // SEA's classes are separated by a line: naive Bayes gets most rows right, far above
    // the majority class (about 0.68 of rows).
    let acc = out["metrics"]["accuracy"].as_f64().unwrap();
    assert!(acc > 0.85 && acc < 1.0, "{acc}");
    assert!(out["metrics"]["roc_auc"].as_f64().unwrap() > 0.9);
}

#[test]
fn every_classification_generator_evaluates_with_gaussian_nb() {
    for spec in CLASSIFICATION {
        let out = tw(&[
            "eval",
            "--model",
            "gaussian_nb",
            "--synth",
            spec,
            "--limit",
            "3000",
            "--json",
        ])
        .json();
        assert_eq!(out["rows"], 3000, "{spec}");
        assert_eq!(out["dataset"], *spec);
        let acc = out["metrics"]["accuracy"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&acc), "{spec}: {acc}");
        // Every one of them has structure a Gaussian naive Bayes picks up: better than
        // guessing among its classes.
        let k = synth::from_spec(spec).unwrap().n_classes().unwrap() as f64;
        assert!(
            acc > 1.0 / k + 0.05,
            "{spec}: accuracy {acc} with {k} classes"
        );
    }
}

#[test]
fn regression_generators_evaluate_with_mean_regressor() {
    for spec in [
        "friedman(seed=1)",
        "friedman_drift(seed=1,position=[500,1000,1500])",
    ] {
        let out = tw(&[
            "eval",
            "--model",
            "mean_regressor",
            "--synth",
            spec,
            "--limit",
            "3000",
            "--json",
        ])
        .json();
        assert_eq!(out["rows"], 3000, "{spec}");
        let rmse = out["metrics"]["rmse"].as_f64().unwrap();
        // The target's standard deviation is about 5.
        assert!(rmse > 3.0 && rmse < 8.0, "{spec}: {rmse}");
    }
}

#[test]
fn a_generator_without_limit_gives_the_default_number_of_rows() {
    let out = tw(&[
        "eval",
        "--model",
        "gaussian_nb",
        "--synth",
        "stagger(seed=3)",
        "--json",
    ])
    .json();
    assert_eq!(out["rows"], synth::DEFAULT_LIMIT);
}

#[test]
fn bad_generator_specs_are_one_line_errors() {
    tw(&["eval", "--synth", "nope(seed=1)"]).input_error(&["nope", "unknown generator", "agrawal"]);
    tw(&["eval", "--synth", "sea(variant=7)"]).input_error(&["variant", "sea"]);
    tw(&["eval", "--synth", "sea(colour=1)"]).input_error(&["colour", "sea"]);
    tw(&["datasets", "export", "agrawal(classification_function=12)"])
        .input_error(&["classification_function"]);
    tw(&["eval", "--dataset", "sea"]).input_error(&["sea", "--synth"]);
    tw(&[
        "eval",
        "--synth",
        "concept_drift_stream(stream=sea(seed=1),drift_stream=agrawal(seed=1))",
        "--limit",
        "5",
    ])
    .input_error(&["drift_stream", "features"]);
}

#[test]
fn datasets_export_of_a_generator_writes_its_rows() {
    let spec = "agrawal(classification_function=3,seed=11,perturbation=0.1)";
    let out = tw(&["datasets", "export", spec, "--limit", "50"]);
    let lines: Vec<&str> = out.ok().lines().collect();
    assert_eq!(lines.len(), 51);
    assert_eq!(
        lines[0],
        "salary,commission,age,elevel,car,zipcode,hvalue,hyears,loan,y"
    );
    let mut g = synth::from_spec(spec).unwrap();
    let mut x = vec![0.0; 9];
    for line in &lines[1..] {
        let y = g.next_into(&mut x).unwrap().target;
        let v: Vec<f64> = line.split(',').map(|f| f.parse().unwrap()).collect();
        // Shortest round-trip text: the values read back bit for bit.
        assert_eq!(v[..9], x[..], "{line}");
        assert_eq!(v[9], y);
    }
    // Nominal codes print as integers.
    let code = lines[1].split(',').nth(3).unwrap();
    assert!(code.parse::<u8>().is_ok(), "{code}");
    let only_header = tw(&["datasets", "export", "sea(seed=1)", "--limit", "0"]);
    assert_eq!(only_header.ok(), "x0,x1,x2,y\n");
}

#[test]
fn datasets_export_writes_every_shipped_set_whole() {
    for info in tidewater::datasets::catalog() {
        let out = tw(&["datasets", "export", info.name]);
        let text = out.ok();
        assert_eq!(text.lines().count(), info.rows + 1, "{}", info.name);
        let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
        assert_eq!(
            header.len(),
            info.columns + info.targets.len(),
            "{}",
            info.name
        );
        assert_eq!(
            header[info.columns..],
            info.targets[..],
            "{}: targets last",
            info.name
        );
    }
}

#[test]
fn eval_on_every_shipped_set() {
    for info in tidewater::datasets::catalog() {
        let (model, target): (&str, Option<&str>) = match info.task {
            tidewater::datasets::Task::BinaryClassification
            | tidewater::datasets::Task::MulticlassClassification => ("gaussian_nb", None),
            tidewater::datasets::Task::MultiOutputRegression => {
                ("mean_regressor", Some(info.targets[1]))
            }
            _ => ("mean_regressor", None),
        };
        let mut args = vec!["eval", "--model", model, "--dataset", info.name, "--json"];
        if let Some(t) = target {
            args.extend(["--target", t]);
        }
        let out = tw(&args).json();
        assert_eq!(out["rows"], info.rows, "{}", info.name);
        assert_eq!(out["dataset"], info.name);
    }
}

#[test]
fn a_multi_target_set_needs_target_and_leaves_the_other_targets_out() {
    tw(&["eval", "--model", "mean_regressor", "--dataset", "linnerud"]).input_error(&[
        "linnerud",
        "weight, waist, pulse",
        "--target",
    ]);
    let dir = temp_dir("linnerud");
    let model = dir.join("scaler.tw");
    let model = model.to_str().unwrap();
    tw(&[
        "fit",
        "--model",
        "standard_scaler",
        "--dataset",
        "linnerud",
        "--target",
        "waist",
        "--save",
        model,
    ])
    .ok();
    let out = tw(&[
        "transform",
        "--load",
        model,
        "--dataset",
        "linnerud",
        "--json",
    ])
    .json();
    assert_eq!(
        out["columns"],
        serde_json::json!(["chins", "situps", "jumps"])
    );
    assert_eq!(out["rows"], 20);
    let _ = std::fs::remove_dir_all(dir);
}

const ELEC2: &str = "date,day,period,nswprice,nswdemand,vicprice,vicdemand,transfer,class
0,2,0,0.056443,0.439155,0.003467,0.422915,0.414912,UP
0,2,0.021277,0.051699,0.415055,0.003467,0.422915,0.414912,UP
0,2,0.042553,0.051489,0.385004,0.003467,0.422915,0.414912,DOWN
0,2,0.06383,0.045485,0.314639,0.003467,0.422915,0.414912,DOWN
";

#[test]
fn elec2_reads_the_users_file_named_by_the_environment() {
    let dir = temp_dir("elec2");
    let file = dir.join("elecNormNew.csv");
    std::fs::write(&file, ELEC2).unwrap();
    let path = file.to_str().unwrap();
    let env = [("TIDEWATER_ELEC2", Some(path))];
    let out = tw_env(
        &[
            "eval",
            "--model",
            "gaussian_nb",
            "--dataset",
            "elec2",
            "--json",
        ],
        &env,
    )
    .json();
    assert_eq!(out["rows"], 4);
    let csv = tw_env(&["datasets", "export", "elec2"], &env);
    let lines: Vec<&str> = csv.ok().lines().collect();
    assert_eq!(
        lines[0],
        "date,day,period,nswprice,nswdemand,vicprice,vicdemand,transfer,class"
    );
    assert_eq!(
        lines[1],
        "0,2,0,0.056443,0.439155,0.003467,0.422915,0.414912,1"
    );
    assert_eq!(lines.len(), 5);

    tw_env(
        &["eval", "--dataset", "elec2"],
        &[("TIDEWATER_ELEC2", None)],
    )
    .input_error(&["TIDEWATER_ELEC2", "elecNormNew"]);
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        ELEC2.replace(",DOWN\n0,2,0.06383", ",SIDEWAYS\n0,2,0.06383"),
    )
    .unwrap();
    tw_env(
        &["eval", "--dataset", "elec2"],
        &[("TIDEWATER_ELEC2", bad.to_str())],
    )
    .input_error(&["bad.csv", ":4:", "class", "SIDEWAYS"]);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn list_json_lists_every_data_set_and_generator_with_parameters() {
    let out = tw(&["list", "--json"]).json();
    let datasets = out["datasets"].as_array().unwrap();
    let names: Vec<&str> = datasets
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "phishing",
            "bananas",
            "shuttle",
            "image_segments",
            "trump_approval",
            "chick_weights",
            "iris",
            "wine",
            "breast_cancer",
            "diabetes",
            "linnerud",
            "elec2"
        ]
    );
    for d in datasets {
        assert!(
            d["rows"].is_u64() && d["columns"].is_u64() && d["task"].is_string(),
            "{d}"
        );
        assert_eq!(d["shipped"], d["name"] != "elec2", "{d}");
    }
    let gens = out["generators"].as_array().unwrap();
    let names: Vec<&str> = gens.iter().map(|g| g["name"].as_str().unwrap()).collect();
    for g in [
        "sea",
        "stagger",
        "agrawal",
        "hyperplane",
        "random_rbf",
        "random_rbf_drift",
        "led",
        "led_drift",
        "sine",
        "mixed",
        "friedman",
        "friedman_drift",
        "random_tree",
        "concept_drift_stream",
    ] {
        assert!(names.contains(&g), "{g} not in {names:?}");
    }
    for g in gens {
        assert!(g["summary"].is_string() && g["task"].is_string(), "{g}");
        for p in g["params"].as_array().unwrap() {
            for k in ["name", "doc", "allowed"] {
                assert!(p[k].is_string(), "{k} of {g}");
            }
        }
    }
    let agrawal = gens.iter().find(|g| g["name"] == "agrawal").unwrap();
    let params: Vec<(&str, serde_json::Value)> = agrawal["params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["default"].clone()))
        .collect();
    assert_eq!(
        params,
        [
            ("classification_function", serde_json::json!(0)),
            ("seed", serde_json::json!(null)),
            ("balance_classes", serde_json::json!(false)),
            ("perturbation", serde_json::json!(0))
        ]
    );
}

#[test]
fn fit_learns_from_a_generator_too() {
    let dir = temp_dir("fit_synth");
    let model = dir.join("m.tw");
    let model = model.to_str().unwrap();
    tw(&[
        "fit",
        "--model",
        "gaussian_nb",
        "--synth",
        "sine(seed=2)",
        "--save",
        model,
    ])
    .ok();
    let data = dir.join("rows.csv");
    let csv = tw(&["datasets", "export", "sine(seed=3)", "--limit", "200"]);
    std::fs::write(&data, csv.ok()).unwrap();
    let out = tw(&[
        "predict",
        "--load",
        model,
        "--data",
        data.to_str().unwrap(),
        "--json",
    ])
    .json();
    assert_eq!(out["rows"], 200);
    let _ = std::fs::remove_dir_all(dir);
}
