//! The shipped data sets load offline, with the documented shapes and targets, and their
//! values equal the reference fixtures exactly.
//!
//! The fixtures are the project's copies in `tests/fixtures/reference`. serde_json is built
//! with `float_roundtrip`, so a number in shortest round-trip form parses to the same bits.

use serde_json::Value;
use tidewater_core::{Dataset, Error, FeatureMatrix, Targets};
use tidewater_datasets::{Task, catalog, csv_bytes, csv_text, load};

const REFERENCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/reference");

fn read_reference(rel: &str) -> String {
    let path = std::path::Path::new(REFERENCE).join(rel);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read reference fixture {}: {e}", path.display()))
}

/// A reference JSON fixture, parsed.
fn json_fixture(rel: &str) -> Value {
    serde_json::from_str(&read_reference(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn json_vector(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected an array, got {v}"))
        .iter()
        .map(|x| {
            x.as_f64()
                .unwrap_or_else(|| panic!("expected a number, got {x}"))
        })
        .collect()
}

fn json_matrix(v: &Value) -> Vec<Vec<f64>> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected an array of rows, got {v}"))
        .iter()
        .map(json_vector)
        .collect()
}

fn features(ds: &Dataset) -> Vec<Vec<f64>> {
    let FeatureMatrix::Dense(a) = &ds.features else {
        panic!("shipped data sets are dense");
    };
    (0..a.nrows())
        .map(|i| (0..a.ncols()).map(|j| a[[i, j]]).collect())
        .collect()
}

fn values(ds: &Dataset) -> Vec<f64> {
    match ds.target().expect("one target column") {
        Targets::Values(v) => v.clone(),
        Targets::Labels(_) => panic!("targets are read as numbers"),
    }
}

/// Bit-for-bit equality of two matrices, naming the first difference.
fn assert_same_matrix(name: &str, got: &[Vec<f64>], want: &[Vec<f64>]) {
    assert_eq!(got.len(), want.len(), "{name}: row count");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.len(), w.len(), "{name}: row {i} length");
        for (j, (a, b)) in g.iter().zip(w).enumerate() {
            assert_eq!(
                a.to_bits(),
                b.to_bits(),
                "{name}: row {i} column {j}: {a} != {b}"
            );
        }
    }
}

fn assert_same_vector(name: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{name}: length");
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        assert_eq!(a.to_bits(), b.to_bits(), "{name}: row {i}: {a} != {b}");
    }
}

/// The shipped data sets, their shapes (rows, features, targets) as the sources state them.
const SHAPES: &[(&str, usize, usize, &[&str])] = &[
    ("phishing", 1250, 9, &["y"]),
    ("bananas", 5300, 2, &["y"]),
    ("shuttle", 49097, 9, &["anomaly"]),
    ("image_segments", 2310, 18, &["category"]),
    ("trump_approval", 1001, 6, &["five_thirty_eight"]),
    ("chick_weights", 578, 3, &["weight"]),
    ("iris", 150, 4, &["target"]),
    ("wine", 178, 13, &["target"]),
    ("breast_cancer", 569, 30, &["target"]),
    ("diabetes", 442, 10, &["target"]),
    ("linnerud", 20, 3, &["weight", "waist", "pulse"]),
];

#[test]
fn every_catalogued_set_loads_offline_with_its_shape_and_task() {
    let names: Vec<&str> = catalog().iter().map(|d| d.name).collect();
    let shapes: Vec<_> = SHAPES
        .iter()
        .filter(|s| cfg!(feature = "shuttle") || s.0 != "shuttle")
        .collect();
    let want: Vec<&str> = shapes.iter().map(|s| s.0).collect();
    assert_eq!(names, want);
    for (info, (name, rows, columns, targets)) in catalog().iter().zip(shapes) {
        let ds = load(info.name).unwrap_or_else(|e| panic!("{}: {e}", info.name));
        assert_eq!(
            (info.rows, info.columns),
            (*rows, *columns),
            "{name}: catalogue"
        );
        assert_eq!(ds.n_rows(), *rows, "{name}: rows");
        assert_eq!(ds.n_features(), *columns, "{name}: columns");
        assert_eq!(ds.schema.features.len(), *columns, "{name}");
        assert_eq!(ds.schema.targets, *targets, "{name}: targets");
        assert_eq!(info.targets, *targets, "{name}");
        assert_eq!(ds.targets.len(), targets.len(), "{name}");
        assert!(ds.weights.is_none());
        assert!(info.shipped);
        assert!(!info.summary.is_empty() && !info.source.is_empty() && !info.licence.is_empty());
        let FeatureMatrix::Dense(x) = &ds.features else {
            panic!("shipped data sets are dense");
        };
        assert!(x.iter().all(|v| v.is_finite()), "{name}");

        match info.task {
            Task::BinaryClassification | Task::MulticlassClassification => {
                let mut classes: Vec<String> = ds
                    .target()
                    .unwrap()
                    .to_labels()
                    .unwrap()
                    .iter()
                    .map(|l| l.to_string())
                    .collect();
                classes.sort_unstable();
                classes.dedup();
                let n = if info.task == Task::BinaryClassification {
                    2
                } else {
                    classes.len().max(3)
                };
                assert_eq!(classes.len(), n, "{name}: {classes:?}");
            }
            Task::Regression => {
                let y = values(&ds);
                assert!(y.iter().all(|v| v.is_finite()), "{name}");
            }
            _ => {
                assert_eq!(info.task, Task::MultiOutputRegression);
                assert!(
                    ds.target().is_err(),
                    "{name}: several targets, so no single one"
                );
            }
        }

        // The CSV text has a header, then one line per row with features and the targets.
        let csv = String::from_utf8(csv_bytes(info.name).expect("known")).expect("UTF-8");
        assert_eq!(csv_text(info.name).unwrap(), csv.as_bytes(), "{name}");
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
        assert_eq!(header.len(), info.columns + targets.len(), "{}", info.name);
        assert_eq!(
            header[..info.columns],
            ds.schema.features[..],
            "{}",
            info.name
        );
        assert_eq!(header[info.columns..], targets[..], "{}", info.name);
        assert_eq!(lines.count(), info.rows, "{}", info.name);
    }
}

#[test]
fn the_named_loaders_match_load() {
    type Loader = fn() -> tidewater_core::Result<Dataset>;
    let loaders: &[(&str, Loader)] = &[
        ("phishing", tidewater_datasets::phishing),
        ("bananas", tidewater_datasets::bananas),
        #[cfg(feature = "shuttle")]
        ("shuttle", tidewater_datasets::shuttle),
        ("image_segments", tidewater_datasets::image_segments),
        ("trump_approval", tidewater_datasets::trump_approval),
        ("chick_weights", tidewater_datasets::chick_weights),
        ("iris", tidewater_datasets::iris),
        ("wine", tidewater_datasets::wine),
        ("breast_cancer", tidewater_datasets::breast_cancer),
        ("diabetes", tidewater_datasets::diabetes),
        ("linnerud", tidewater_datasets::linnerud),
    ];
    for (name, f) in loaders {
        assert_eq!(f().unwrap(), load(name).unwrap(), "{name}");
    }
    assert_eq!(loaders.len(), catalog().len());
    assert_eq!(load("IRIS").unwrap(), load("iris").unwrap());
}

/// The number of rows of each class code.
fn class_counts(ds: &Dataset) -> Vec<usize> {
    let y = values(ds);
    let k = y.iter().fold(0.0f64, |a, &b| a.max(b)) as usize + 1;
    let mut c = vec![0; k];
    for v in y {
        c[v as usize] += 1;
    }
    c
}

#[test]
fn class_counts_match_the_sources() {
    // As the sources document them: River's Bananas (2,924 / 2,376), Shuttle's 3,511
    // anomalies, scikit-learn's 212 malignant and 357 benign tumours, 50 irises of each kind.
    assert_eq!(class_counts(&load("bananas").unwrap()), [2924, 2376]);
    if cfg!(feature = "shuttle") {
        assert_eq!(class_counts(&load("shuttle").unwrap()), [45586, 3511]);
    } else {
        let err = load("shuttle").unwrap_err().to_string();
        assert!(err.contains("cargo feature `shuttle`"), "{err}");
    }
    assert_eq!(class_counts(&load("breast_cancer").unwrap()), [212, 357]);
    assert_eq!(class_counts(&load("iris").unwrap()), [50, 50, 50]);
    assert_eq!(class_counts(&load("phishing").unwrap()), [702, 548]);
    // Image segments: 330 rows of each of the 7 classes, as text labels.
    let seg = load("image_segments").unwrap();
    let Targets::Labels(labels) = seg.target().unwrap() else {
        panic!("image_segments has text labels");
    };
    let mut names: Vec<String> = labels.iter().map(|l| l.to_string()).collect();
    names.sort_unstable();
    let mut counts: Vec<(String, usize)> = Vec::new();
    for n in names {
        match counts.last_mut() {
            Some((last, c)) if *last == n => *c += 1,
            _ => counts.push((n, 1)),
        }
    }
    let want = [
        "brickface",
        "cement",
        "foliage",
        "grass",
        "path",
        "sky",
        "window",
    ];
    assert_eq!(
        counts.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(),
        want
    );
    assert!(counts.iter().all(|c| c.1 == 330), "{counts:?}");
}

#[test]
fn first_rows_equal_the_source_files() {
    // The first data row of each source file, as the packages ship it.
    let first = |name: &str| -> (Vec<f64>, Vec<String>) {
        let ds = load(name).unwrap();
        let FeatureMatrix::Dense(x) = &ds.features else {
            unreachable!()
        };
        let y = ds
            .targets
            .iter()
            .map(|t| match t {
                Targets::Values(v) => v[0].to_string(),
                Targets::Labels(l) => l[0].to_string(),
            })
            .collect();
        (x.row(0).to_vec(), y)
    };
    assert_eq!(
        first("bananas"),
        (vec![1.617466, -0.919233], vec!["0".into()])
    );
    #[cfg(feature = "shuttle")]
    assert_eq!(
        first("shuttle"),
        (
            vec![50.0, 21.0, 77.0, 0.0, 28.0, 0.0, 27.0, 48.0, 22.0],
            vec!["1".into()]
        )
    );
    let (x, y) = first("image_segments");
    assert_eq!(
        (x[0], x[1], x[4], x[17]),
        (218.0, 178.0, 0.8333326999999999, -2.0405545)
    );
    assert_eq!(y, ["path"]);
    assert_eq!(
        first("trump_approval"),
        (
            vec![
                736389.0,
                43.843213,
                46.19925042857143,
                48.318749,
                44.104692,
                43.636914000000004
            ],
            vec!["43.75505".into()]
        )
    );
    assert_eq!(
        first("chick_weights"),
        (vec![0.0, 1.0, 1.0], vec!["42".into()])
    );
    let (x, y) = first("breast_cancer");
    assert_eq!((x[0], x[1], x[29]), (17.99, 10.38, 0.1189));
    assert_eq!(y, ["0"]);
    assert_eq!(
        first("linnerud"),
        (
            vec![5.0, 162.0, 60.0],
            vec!["191".into(), "36".into(), "50".into()]
        )
    );
}

#[test]
fn linnerud_keeps_three_targets_and_selects_one() {
    let ds = load("linnerud").unwrap();
    assert_eq!(ds.schema.features, ["chins", "situps", "jumps"]);
    let err = ds.target().unwrap_err().to_string();
    assert!(err.contains("weight, waist, pulse"), "{err}");
    let waist = ds.clone().select_target("waist").unwrap();
    assert_eq!(waist.schema.targets, ["waist"]);
    let Targets::Values(v) = waist.target().unwrap() else {
        panic!("values")
    };
    assert_eq!(v.len(), 20);
    assert_eq!(&v[..3], &[36.0, 37.0, 38.0]);
}

#[test]
fn feature_names_are_safe_snake_case() {
    for info in catalog() {
        let ds = load(info.name).unwrap();
        for f in ds.schema.features.iter().chain(&ds.schema.targets) {
            assert!(
                f.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{}: `{f}`",
                info.name
            );
        }
    }
    let seg = load("image_segments").unwrap();
    assert_eq!(seg.schema.features[5], "vedge_sd");
    let bc = load("breast_cancer").unwrap();
    assert_eq!(bc.schema.features[7], "mean_concave_points");
}

#[test]
fn phishing_equals_the_reference_csv() {
    let ds = load("phishing").unwrap();
    let text = read_reference("online/phishing.csv");
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header[..9], ds.schema.features[..]);
    assert_eq!(ds.schema.targets, ["y"]);
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for line in lines.filter(|l| !l.is_empty()) {
        let row: Vec<f64> = line.split(',').map(|v| v.parse().unwrap()).collect();
        assert_eq!(row.len(), 10);
        y.push(row[9]);
        x.push(row[..9].to_vec());
    }
    assert_same_matrix("phishing X", &features(&ds), &x);
    assert_same_vector("phishing y", &values(&ds), &y);
}

#[test]
fn iris_equals_the_reference_fixture() {
    let ds = load("iris").unwrap();
    let fx = json_fixture("batch/gnb_iris.json");
    assert_same_matrix("iris X", &features(&ds), &json_matrix(&fx["X"]));
    assert_same_vector("iris y", &values(&ds), &json_vector(&fx["y"]));
    assert_eq!(
        ds.schema.features,
        ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    );
    assert_eq!(ds.schema.targets, ["target"]);
}

#[test]
fn wine_equals_the_reference_fixture() {
    let ds = load("wine").unwrap();
    let fx = json_fixture("batch/scaler_wine.json");
    assert_same_matrix("wine X", &features(&ds), &json_matrix(&fx["X"]));
    assert_eq!(ds.schema.features[11], "od280_od315_of_diluted_wines");
    assert_eq!(ds.schema.targets, ["target"]);
    let y = values(&ds);
    let count = |c: f64| y.iter().filter(|&&v| v == c).count();
    assert_eq!([count(0.0), count(1.0), count(2.0)], [59, 71, 48]);
}

#[test]
fn diabetes_equals_the_reference_fixture() {
    let ds = load("diabetes").unwrap();
    let fx = json_fixture("batch/ols_diabetes.json");
    assert_same_matrix("diabetes X", &features(&ds), &json_matrix(&fx["X"]));
    assert_same_vector("diabetes y", &values(&ds), &json_vector(&fx["y"]));
    assert_eq!(
        ds.schema.features,
        [
            "age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"
        ]
    );
    assert_eq!(ds.schema.targets, ["target"]);
}

#[test]
fn an_unknown_name_is_a_clear_error() {
    assert!(csv_bytes("nope").is_none());
    assert!(tidewater_datasets::info("nope").is_none());
    let err = load("nope").unwrap_err();
    assert!(matches!(err, Error::Spec { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("nope"), "{msg}");
    for d in catalog() {
        assert!(msg.contains(d.name), "{msg} should list {}", d.name);
    }
    assert!(msg.contains("elec2"), "{msg}");
    assert!(csv_text("nope").is_err());
}
