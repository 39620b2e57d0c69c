//! The shipped data sets load offline, with the documented shapes and targets, and their
//! values equal the reference fixtures exactly.
//!
//! The fixtures are the project's copies in `tests/fixtures/reference`. serde_json is built
//! with `float_roundtrip`, so a number in shortest round-trip form parses to the same bits.

use serde_json::Value;
use tidewater_core::{Dataset, Error, FeatureMatrix, Targets};
use tidewater_datasets::{Task, catalog, csv_bytes, load};

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

#[test]
fn every_catalogued_set_loads_with_its_shape_and_task() {
    let names: Vec<&str> = catalog().iter().map(|d| d.name).collect();
    assert_eq!(names, ["phishing", "iris", "wine", "diabetes"]);
    for info in catalog() {
        let ds = load(info.name).unwrap_or_else(|e| panic!("{}: {e}", info.name));
        assert_eq!(ds.n_rows(), info.rows, "{}: rows", info.name);
        assert_eq!(ds.n_features(), info.columns, "{}: columns", info.name);
        assert_eq!(ds.schema.features.len(), info.columns, "{}", info.name);
        assert_eq!(ds.targets.len(), 1, "{}: one target", info.name);
        assert!(ds.weights.is_none());
        assert!(!info.summary.is_empty() && !info.source.is_empty() && !info.licence.is_empty());

        let y = values(&ds);
        assert!(y.iter().all(|v| v.is_finite()), "{}", info.name);
        let mut classes: Vec<i64> = y.iter().map(|&v| v as i64).collect();
        classes.sort_unstable();
        classes.dedup();
        match info.task {
            Task::BinaryClassification => {
                assert!(y.iter().all(|&v| v == v.trunc()), "{}", info.name);
                assert_eq!(classes, [0, 1], "{}", info.name);
            }
            Task::MulticlassClassification => {
                assert!(y.iter().all(|&v| v == v.trunc()), "{}", info.name);
                assert_eq!(classes, [0, 1, 2], "{}", info.name);
            }
            Task::Regression => assert!(classes.len() > 10, "{}", info.name),
        }

        // The CSV text has a header, then one line per row with features and the target.
        let csv = String::from_utf8(csv_bytes(info.name).expect("known")).expect("UTF-8");
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
        assert_eq!(header.len(), info.columns + 1, "{}", info.name);
        assert_eq!(
            header[..info.columns],
            ds.schema.features[..],
            "{}",
            info.name
        );
        assert_eq!(ds.schema.targets, [header[info.columns]], "{}", info.name);
        assert_eq!(lines.count(), info.rows, "{}", info.name);
    }
}

#[test]
fn the_named_loaders_match_load() {
    type Loader = fn() -> tidewater_core::Result<Dataset>;
    let loaders: [(&str, Loader); 4] = [
        ("phishing", tidewater_datasets::phishing),
        ("iris", tidewater_datasets::iris),
        ("wine", tidewater_datasets::wine),
        ("diabetes", tidewater_datasets::diabetes),
    ];
    for (name, f) in loaders {
        assert_eq!(f().unwrap(), load(name).unwrap(), "{name}");
    }
    assert_eq!(load("IRIS").unwrap(), load("iris").unwrap());
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
}
