//! # tidewater-datasets
//!
//! Real data sets shipped with tidewater, compressed inside the library and loaded offline.
//!
//! Each data set is a CSV file (header row, feature columns first, target column last),
//! gzip-compressed and embedded with `include_bytes!`; it is decompressed when loaded, so
//! nothing is read from the network or the file system. [`catalog`] lists the data sets,
//! [`load`] reads one by name into a [`Dataset`], [`csv_bytes`] gives its CSV text (for
//! exporting it or reading it as a stream), and [`phishing`], [`iris`], [`wine`] and
//! [`diabetes`] load one each.
//!
//! Targets are read as numbers ([`Targets::Values`](tidewater_core::Targets::Values));
//! classification targets are the class indices `0`, `1`, … and can be turned into labels
//! with [`Targets::to_labels`](tidewater_core::Targets::to_labels).
//!
//! ```
//! let iris = tidewater_datasets::iris()?;
//! assert_eq!((iris.n_rows(), iris.n_features()), (150, 4));
//! for info in tidewater_datasets::catalog() {
//!     println!("{}: {} rows, {} features, {}", info.name, info.rows, info.columns, info.task);
//! }
//! # Ok::<(), tidewater_core::Error>(())
//! ```
//!
//! The files, their sources and licences are described in `datasets/data/README.md`, and
//! `datasets/data/make.py` regenerates them.

use std::io::Read;

use flate2::read::GzDecoder;
use tidewater_core::io::{TargetSpec, read_csv_dataset};
use tidewater_core::{Dataset, Error, Result};

/// The learning task a data set is meant for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Task {
    /// Two classes, with targets `0` and `1`.
    BinaryClassification,
    /// More than two classes, with targets `0`, `1`, `2`, ….
    MulticlassClassification,
    /// A real-valued target.
    Regression,
}

impl Task {
    /// A short lower-case name: `binary classification`, `multiclass classification` or
    /// `regression`.
    pub fn as_str(self) -> &'static str {
        match self {
            Task::BinaryClassification => "binary classification",
            Task::MulticlassClassification => "multiclass classification",
            Task::Regression => "regression",
        }
    }
}

impl std::fmt::Display for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a shipped data set is: its name, shape, task, source and licence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DatasetInfo {
    /// The name used by [`load`] and [`csv_bytes`] (lower case).
    pub name: &'static str,
    /// Number of rows.
    pub rows: usize,
    /// Number of feature columns (the target column is not counted).
    pub columns: usize,
    /// The task the data set is meant for.
    pub task: Task,
    /// One line on what the data is.
    pub summary: &'static str,
    /// Where the data comes from.
    pub source: &'static str,
    /// The licence the data is distributed under.
    pub licence: &'static str,
}

/// A catalogue entry with its compressed CSV.
struct Entry {
    info: DatasetInfo,
    gz: &'static [u8],
}

const PHISHING: DatasetInfo = DatasetInfo {
    name: "phishing",
    rows: 1250,
    columns: 9,
    task: Task::BinaryClassification,
    summary: "Website phishing: 9 page features in {0, 0.5, 1}; target `y` is 1 for phishing",
    source: "UCI Website Phishing, as shipped in River 0.26.1 (phishing.csv.gz)",
    licence: "CC BY 4.0 (UCI Machine Learning Repository)",
};

const IRIS: DatasetInfo = DatasetInfo {
    name: "iris",
    rows: 150,
    columns: 4,
    task: Task::MulticlassClassification,
    summary: "Fisher's iris: sepal and petal length and width (cm); target 0 setosa, \
              1 versicolor, 2 virginica",
    source: "R. A. Fisher (1936), via UCI; values as in scikit-learn's iris.csv",
    licence: "public domain",
};

const WINE: DatasetInfo = DatasetInfo {
    name: "wine",
    rows: 178,
    columns: 13,
    task: Task::MulticlassClassification,
    summary: "Chemical analysis of wines from three cultivars; target 0, 1 or 2",
    source: "UCI Wine (Forina et al.), from scikit-learn 1.9.1's wine_data.csv",
    licence: "CC BY 4.0 (UCI Machine Learning Repository)",
};

const DIABETES: DatasetInfo = DatasetInfo {
    name: "diabetes",
    rows: 442,
    columns: 10,
    task: Task::Regression,
    summary: "Diabetes patients: age, sex, bmi, blood pressure and six serum measurements \
              (mean-centred and scaled); target is disease progression after one year",
    source: "Efron, Hastie, Johnstone and Tibshirani (2004), Least Angle Regression; \
             scikit-learn 1.9.1's load_diabetes()",
    licence: "BSD-3-Clause (as distributed with scikit-learn)",
};

static CATALOG: [DatasetInfo; 4] = [PHISHING, IRIS, WINE, DIABETES];

static ENTRIES: [Entry; 4] = [
    Entry {
        info: PHISHING,
        gz: include_bytes!("../data/phishing.csv.gz"),
    },
    Entry {
        info: IRIS,
        gz: include_bytes!("../data/iris.csv.gz"),
    },
    Entry {
        info: WINE,
        gz: include_bytes!("../data/wine.csv.gz"),
    },
    Entry {
        info: DIABETES,
        gz: include_bytes!("../data/diabetes.csv.gz"),
    },
];

/// All shipped data sets, in a fixed order.
pub fn catalog() -> &'static [DatasetInfo] {
    &CATALOG
}

/// The catalogue entry of `name` (ASCII case is ignored).
fn entry(name: &str) -> Option<&'static Entry> {
    ENTRIES
        .iter()
        .find(|e| e.info.name.eq_ignore_ascii_case(name.trim()))
}

/// The error for a name that is not in the catalogue, listing the known names.
fn unknown(name: &str) -> Error {
    let known: Vec<&str> = CATALOG.iter().map(|d| d.name).collect();
    Error::Spec {
        spec: name.to_owned(),
        reason: format!("unknown data set; known data sets: {}", known.join(", ")),
    }
}

/// The description of the data set `name`, or `None` when there is no such data set.
pub fn info(name: &str) -> Option<&'static DatasetInfo> {
    entry(name).map(|e| &e.info)
}

/// The decompressed CSV text of the data set `name` (header row, features, then the target),
/// or `None` when there is no such data set. ASCII case in `name` is ignored.
///
/// This is what `tidewater datasets export` writes; it can also be read as a stream.
pub fn csv_bytes(name: &str) -> Option<Vec<u8>> {
    let e = entry(name)?;
    let mut out = Vec::new();
    GzDecoder::new(e.gz)
        .read_to_end(&mut out)
        .expect("embedded data sets are valid gzip (checked by the tests)");
    Some(out)
}

/// Loads the data set `name` (see [`catalog`]; ASCII case is ignored).
///
/// The target is the last column, read as numbers ([`Targets::Values`](tidewater_core::Targets::Values)).
/// An unknown name is an [`Error::Spec`] that lists the known names.
pub fn load(name: &str) -> Result<Dataset> {
    let e = entry(name).ok_or_else(|| unknown(name))?;
    let file = format!("{}.csv", e.info.name);
    read_csv_dataset(GzDecoder::new(e.gz), &file, TargetSpec::Last)
}

/// Website phishing: 1,250 rows, 9 features, binary classification.
///
/// Features `empty_server_form_handler`, `popup_window`, `https`,
/// `request_from_other_domain`, `anchor_from_other_domain`, `is_popular`, `long_url`,
/// `age_of_domain`, `ip_in_url`, each 0, 0.5 or 1; target `y`, 1 for a phishing site and
/// 0 otherwise.
///
/// Source: the UCI Website Phishing data set as shipped in River 0.26.1. Licence: CC BY 4.0
/// (UCI Machine Learning Repository).
pub fn phishing() -> Result<Dataset> {
    load("phishing")
}

/// Fisher's iris: 150 rows, 4 features, multiclass classification (3 classes).
///
/// Features `sepal_length`, `sepal_width`, `petal_length`, `petal_width` (cm); target
/// `target`: 0 setosa, 1 versicolor, 2 virginica, 50 rows each.
///
/// Source: R. A. Fisher (1936), via UCI; the values of scikit-learn's `iris.csv`.
/// Licence: public domain.
pub fn iris() -> Result<Dataset> {
    load("iris")
}

/// Wine recognition: 178 rows, 13 features, multiclass classification (3 classes).
///
/// Features `alcohol`, `malic_acid`, `ash`, `alcalinity_of_ash`, `magnesium`,
/// `total_phenols`, `flavanoids`, `nonflavanoid_phenols`, `proanthocyanins`,
/// `color_intensity`, `hue`, `od280_od315_of_diluted_wines`, `proline`; target `target`,
/// the cultivar 0, 1 or 2.
///
/// Source: the UCI Wine data set (Forina et al.), from scikit-learn 1.9.1's
/// `wine_data.csv`. Licence: CC BY 4.0 (UCI Machine Learning Repository).
pub fn wine() -> Result<Dataset> {
    load("wine")
}

/// Diabetes: 442 rows, 10 features, regression.
///
/// Features `age`, `sex`, `bmi`, `bp`, `s1` … `s6`, each mean-centred and scaled to a sum
/// of squares of 1 (scikit-learn's `load_diabetes()` default); target `target`, a measure of
/// disease progression one year after baseline (25 to 346).
///
/// Source: Efron, Hastie, Johnstone and Tibshirani (2004), "Least Angle Regression", as
/// distributed with scikit-learn 1.9.1. Licence: BSD-3-Clause (as distributed with
/// scikit-learn).
pub fn diabetes() -> Result<Dataset> {
    load("diabetes")
}
