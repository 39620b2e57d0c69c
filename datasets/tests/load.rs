//! The shipped data sets load offline, with the documented shapes and targets, and their
//! values equal the reference fixtures exactly.
//!
//! The fixtures are read from `$TIDEWATER_REFERENCE` (default `/work/shared/reference`).

use std::path::PathBuf;

use tidewater_core::{Dataset, Error, FeatureMatrix, Targets};
use tidewater_datasets::{Task, catalog, csv_bytes, load};

fn reference_dir() -> PathBuf {
    std::env::var_os("TIDEWATER_REFERENCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/reference"))
}

fn read_reference(rel: &str) -> String {
    let path = reference_dir().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read reference fixture {}: {e} (set TIDEWATER_REFERENCE)",
            path.display()
        )
    })
}

/// A JSON value: just enough of JSON to read the reference fixtures. Numbers are parsed with
/// `str::parse::<f64>`, which rounds correctly, so shortest round-trip text gives the same bits.
#[derive(Debug)]
enum Json {
    Num(f64),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
    Other,
}

impl std::ops::Index<&str> for Json {
    type Output = Json;
    fn index(&self, key: &str) -> &Json {
        match self {
            Json::Obj(kv) => kv
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
                .unwrap_or_else(|| panic!("no key `{key}` in fixture")),
            _ => panic!("not an object"),
        }
    }
}

struct JsonParser<'a> {
    s: &'a [u8],
    i: usize,
}

impl JsonParser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        let hit = self.s.get(self.i) == Some(&c);
        if hit {
            self.i += 1;
        }
        hit
    }

    fn string(&mut self) -> String {
        assert!(self.eat(b'"'), "expected a string at byte {}", self.i);
        let mut out = Vec::new();
        while self.s[self.i] != b'"' {
            if self.s[self.i] == b'\\' {
                self.i += 1;
            }
            out.push(self.s[self.i]);
            self.i += 1;
        }
        self.i += 1;
        String::from_utf8_lossy(&out).into_owned()
    }

    fn value(&mut self) -> Json {
        self.ws();
        match self.s[self.i] {
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                if !self.eat(b']') {
                    loop {
                        items.push(self.value());
                        if self.eat(b']') {
                            break;
                        }
                        assert!(self.eat(b','), "expected `,` at byte {}", self.i);
                    }
                }
                Json::Arr(items)
            }
            b'{' => {
                self.i += 1;
                let mut kv = Vec::new();
                if !self.eat(b'}') {
                    loop {
                        let k = self.string();
                        assert!(self.eat(b':'), "expected `:` at byte {}", self.i);
                        kv.push((k, self.value()));
                        if self.eat(b'}') {
                            break;
                        }
                        assert!(self.eat(b','), "expected `,` at byte {}", self.i);
                    }
                }
                Json::Obj(kv)
            }
            b'"' => {
                self.string();
                Json::Other
            }
            _ => {
                let start = self.i;
                while self.i < self.s.len() && !b",]} \t\r\n".contains(&self.s[self.i]) {
                    self.i += 1;
                }
                let text = std::str::from_utf8(&self.s[start..self.i]).unwrap();
                text.parse().map(Json::Num).unwrap_or(Json::Other)
            }
        }
    }
}

/// A reference JSON fixture, parsed.
fn json_fixture(rel: &str) -> Json {
    let text = read_reference(rel);
    JsonParser {
        s: text.as_bytes(),
        i: 0,
    }
    .value()
}

fn json_vector(v: &Json) -> Vec<f64> {
    match v {
        Json::Arr(items) => items
            .iter()
            .map(|x| match x {
                Json::Num(n) => *n,
                other => panic!("expected a number, got {other:?}"),
            })
            .collect(),
        other => panic!("expected an array, got {other:?}"),
    }
}

fn json_matrix(v: &Json) -> Vec<Vec<f64>> {
    match v {
        Json::Arr(rows) => rows.iter().map(json_vector).collect(),
        other => panic!("expected an array of rows, got {other:?}"),
    }
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
