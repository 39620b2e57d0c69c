//! # tidewater-datasets
//!
//! The reference data every tidewater test and benchmark runs on: real data sets shipped
//! compressed inside the library and loaded offline, and seeded stream generators
//! ([`synth`]) in the manner of River's `datasets.synth`.
//!
//! ## Shipped data sets
//!
//! Each data set is a CSV file (header row, feature columns first, target column(s) last),
//! gzip-compressed and embedded with `include_bytes!`; it is decompressed when loaded, so
//! nothing is read from the network or the file system. [`catalog`] lists them, [`load`]
//! reads one by name into a [`Dataset`], [`csv_bytes`] gives its CSV text (for exporting it
//! or reading it as a stream), and one function per data set ([`phishing`], [`iris`], …)
//! loads each.
//!
//! | name | rows | features | task |
//! |---|---:|---:|---|
//! | `phishing` | 1,250 | 9 | binary classification |
//! | `bananas` | 5,300 | 2 | binary classification |
//! | `shuttle` | 49,097 | 9 | binary classification (anomalies; cargo feature `shuttle`, on by default) |
//! | `image_segments` | 2,310 | 18 | 7 classes (text labels) |
//! | `trump_approval` | 1,001 | 6 | regression |
//! | `chick_weights` | 578 | 3 | regression |
//! | `iris` | 150 | 4 | 3 classes |
//! | `wine` | 178 | 13 | 3 classes |
//! | `breast_cancer` | 569 | 30 | binary classification |
//! | `diabetes` | 442 | 10 | regression |
//! | `linnerud` | 20 | 3 | multi-output regression (3 targets) |
//!
//! Targets are numbers ([`Targets::Values`](tidewater_core::Targets::Values)):
//! classification targets are the class codes `0`, `1`, … (turn them into labels with
//! [`Targets::to_labels`](tidewater_core::Targets::to_labels)), except `image_segments`,
//! whose target is the class name ([`Targets::Labels`](tidewater_core::Targets::Labels)).
//! `linnerud` has three target columns; [`Dataset::select_target`] keeps one.
//!
//! Elec2, the classic drift benchmark, is not shipped (no package carries it): [`elec2`]
//! reads a user's own copy of the standard `elecNormNew` file and checks it against its
//! schema ([`ELEC2_COLUMNS`]).
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
//! `datasets/data/make.py` regenerates them from the packages that carry them.

use std::io::Read;

use flate2::read::GzDecoder;
use tidewater_core::io::{TargetSpec, read_csv_dataset};
use tidewater_core::{Dataset, Error, Result};

mod elec2;
pub mod synth;

pub use elec2::{ELEC2, ELEC2_COLUMNS, ELEC2_ENV, elec2, elec2_csv};

/// The learning task a data set or generator is meant for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Task {
    /// Two classes, with targets `0` and `1`.
    BinaryClassification,
    /// More than two classes (codes `0`, `1`, `2`, … or class names).
    MulticlassClassification,
    /// A real-valued target.
    Regression,
    /// Several real-valued targets.
    MultiOutputRegression,
}

impl Task {
    /// A short lower-case name: `binary classification`, `multiclass classification`,
    /// `regression` or `multi-output regression`.
    pub fn as_str(self) -> &'static str {
        match self {
            Task::BinaryClassification => "binary classification",
            Task::MulticlassClassification => "multiclass classification",
            Task::Regression => "regression",
            Task::MultiOutputRegression => "multi-output regression",
        }
    }

    /// True for the two classification tasks.
    pub fn is_classification(self) -> bool {
        matches!(
            self,
            Task::BinaryClassification | Task::MulticlassClassification
        )
    }
}

impl std::fmt::Display for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a data set is: its name, shape, task, targets, source and licence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DatasetInfo {
    /// The name used by [`load`] and [`csv_bytes`] (lower case).
    pub name: &'static str,
    /// Number of rows.
    pub rows: usize,
    /// Number of feature columns (target columns are not counted).
    pub columns: usize,
    /// The task the data set is meant for.
    pub task: Task,
    /// The target column names, last in the CSV, in this order.
    pub targets: &'static [&'static str],
    /// Whether the data ships inside the crate (`false` for Elec2, read from a user's file).
    pub shipped: bool,
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
    targets: &["y"],
    shipped: true,
    summary: "Website phishing: 9 page features in {0, 0.5, 1}; target `y` is 1 for phishing",
    source: "UCI Website Phishing, as shipped in River 0.26.1 (phishing.csv.gz)",
    licence: "CC BY 4.0 (UCI Machine Learning Repository)",
};

const BANANAS: DatasetInfo = DatasetInfo {
    name: "bananas",
    rows: 5300,
    columns: 2,
    task: Task::BinaryClassification,
    targets: &["y"],
    shipped: true,
    summary: "Two banana-shaped clusters in the plane (`x1`, `x2`); target `y` 0 or 1",
    source: "ELENA project's Banana set (OpenML 1460), as shipped in River 0.26.1 (banana.zip)",
    licence: "public domain (OpenML lists it without restriction); River: BSD-3-Clause",
};

#[cfg(feature = "shuttle")]
const SHUTTLE: DatasetInfo = DatasetInfo {
    name: "shuttle",
    rows: 49097,
    columns: 9,
    task: Task::BinaryClassification,
    targets: &["anomaly"],
    shipped: true,
    summary: "NASA shuttle sensor readings `f1`..`f9` (integers); target `anomaly` is 1 for \
              the rare classes (7.2 %)",
    source: "UCI Statlog (Shuttle) as an anomaly benchmark (ODDS), as shipped in River 0.26.1 \
             (shuttle.csv.gz)",
    licence: "CC BY 4.0 (UCI Machine Learning Repository)",
};

const IMAGE_SEGMENTS: DatasetInfo = DatasetInfo {
    name: "image_segments",
    rows: 2310,
    columns: 18,
    task: Task::MulticlassClassification,
    targets: &["category"],
    shipped: true,
    summary: "3x3 outdoor image regions described by 18 colour and texture features; target \
              `category`, one of 7 class names (brickface, cement, foliage, grass, path, sky, \
              window)",
    source: "UCI Statlog (Image Segmentation), as shipped in River 0.26.1 (segment.csv.zip)",
    licence: "CC BY 4.0 (UCI Machine Learning Repository)",
};

const TRUMP_APPROVAL: DatasetInfo = DatasetInfo {
    name: "trump_approval",
    rows: 1001,
    columns: 6,
    task: Task::Regression,
    targets: &["five_thirty_eight"],
    shipped: true,
    summary: "Daily approval ratings from five pollsters and the date; target \
              `five_thirty_eight`, FiveThirtyEight's model estimate",
    source: "FiveThirtyEight's Trump approval data, reshaped, as shipped in River 0.26.1 \
             (trump_approval.csv.gz)",
    licence: "CC BY 4.0 (FiveThirtyEight data)",
};

const CHICK_WEIGHTS: DatasetInfo = DatasetInfo {
    name: "chick_weights",
    rows: 578,
    columns: 3,
    task: Task::Regression,
    targets: &["weight"],
    shipped: true,
    summary: "Chick growth on four diets: `time` (days), `chick` and `diet` codes; target \
              `weight` (grams), ordered by time then chick",
    source: "Crowder and Hand (1990), R's ChickWeight, as shipped in River 0.26.1 \
             (chick-weights.csv)",
    licence: "public domain (published experimental data); River: BSD-3-Clause",
};

const IRIS: DatasetInfo = DatasetInfo {
    name: "iris",
    rows: 150,
    columns: 4,
    task: Task::MulticlassClassification,
    targets: &["target"],
    shipped: true,
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
    targets: &["target"],
    shipped: true,
    summary: "Chemical analysis of wines from three cultivars; target 0, 1 or 2",
    source: "UCI Wine (Forina et al.), from scikit-learn 1.9.1's wine_data.csv",
    licence: "CC BY 4.0 (UCI Machine Learning Repository)",
};

const BREAST_CANCER: DatasetInfo = DatasetInfo {
    name: "breast_cancer",
    rows: 569,
    columns: 30,
    task: Task::BinaryClassification,
    targets: &["target"],
    shipped: true,
    summary: "Breast mass cell nuclei: mean, error and worst of 10 measurements; target 0 \
              malignant, 1 benign",
    source: "UCI Breast Cancer Wisconsin (Diagnostic), from scikit-learn 1.9.1's \
             breast_cancer.csv",
    licence: "CC BY 4.0 (UCI Machine Learning Repository)",
};

const DIABETES: DatasetInfo = DatasetInfo {
    name: "diabetes",
    rows: 442,
    columns: 10,
    task: Task::Regression,
    targets: &["target"],
    shipped: true,
    summary: "Diabetes patients: age, sex, bmi, blood pressure and six serum measurements \
              (mean-centred and scaled); target is disease progression after one year",
    source: "Efron, Hastie, Johnstone and Tibshirani (2004), Least Angle Regression; \
             scikit-learn 1.9.1's load_diabetes()",
    licence: "BSD-3-Clause (as distributed with scikit-learn)",
};

const LINNERUD: DatasetInfo = DatasetInfo {
    name: "linnerud",
    rows: 20,
    columns: 3,
    task: Task::MultiOutputRegression,
    targets: &["weight", "waist", "pulse"],
    shipped: true,
    summary: "Twenty men at a fitness club: exercises `chins`, `situps`, `jumps`; three \
              targets `weight`, `waist`, `pulse`",
    source: "Tenenhaus (1998), from scikit-learn 1.9.1's linnerud_exercise.csv and \
             linnerud_physiological.csv",
    licence: "BSD-3-Clause (as distributed with scikit-learn)",
};

static ENTRIES: &[Entry] = &[
    Entry {
        info: PHISHING,
        gz: include_bytes!("../data/phishing.csv.gz"),
    },
    Entry {
        info: BANANAS,
        gz: include_bytes!("../data/bananas.csv.gz"),
    },
    #[cfg(feature = "shuttle")]
    Entry {
        info: SHUTTLE,
        gz: include_bytes!("../data/shuttle.csv.gz"),
    },
    Entry {
        info: IMAGE_SEGMENTS,
        gz: include_bytes!("../data/image_segments.csv.gz"),
    },
    Entry {
        info: TRUMP_APPROVAL,
        gz: include_bytes!("../data/trump_approval.csv.gz"),
    },
    Entry {
        info: CHICK_WEIGHTS,
        gz: include_bytes!("../data/chick_weights.csv.gz"),
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
        info: BREAST_CANCER,
        gz: include_bytes!("../data/breast_cancer.csv.gz"),
    },
    Entry {
        info: DIABETES,
        gz: include_bytes!("../data/diabetes.csv.gz"),
    },
    Entry {
        info: LINNERUD,
        gz: include_bytes!("../data/linnerud.csv.gz"),
    },
];

/// The shipped data sets, in a fixed order (Elec2, which is not shipped, is [`ELEC2`]).
pub fn catalog() -> &'static [DatasetInfo] {
    static CATALOG: std::sync::OnceLock<Vec<DatasetInfo>> = std::sync::OnceLock::new();
    CATALOG.get_or_init(|| ENTRIES.iter().map(|e| e.info).collect())
}

/// The catalogue entry of `name` (ASCII case is ignored).
fn entry(name: &str) -> Option<&'static Entry> {
    ENTRIES
        .iter()
        .find(|e| e.info.name.eq_ignore_ascii_case(name.trim()))
}

/// The error for a name that is not in the catalogue, listing the known names.
fn unknown(name: &str) -> Error {
    if cfg!(not(feature = "shuttle")) && name.trim().eq_ignore_ascii_case("shuttle") {
        return Error::Spec {
            spec: name.to_owned(),
            reason: "this build of tidewater-datasets leaves the data set out: enable the \
                     cargo feature `shuttle`"
                .into(),
        };
    }
    let mut known: Vec<&str> = ENTRIES.iter().map(|e| e.info.name).collect();
    known.push(ELEC2.name);
    Error::Spec {
        spec: name.to_owned(),
        reason: format!("unknown data set; known data sets: {}", known.join(", ")),
    }
}

/// The description of the data set `name` (shipped, or `elec2`), or `None` when there is no
/// such data set.
pub fn info(name: &str) -> Option<&'static DatasetInfo> {
    if name.trim().eq_ignore_ascii_case(ELEC2.name) {
        return Some(&ELEC2);
    }
    entry(name).map(|e| &e.info)
}

fn decompress(e: &Entry) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    GzDecoder::new(e.gz)
        .read_to_end(&mut out)
        .map_err(|source| Error::Io {
            path: format!("{} (embedded)", e.info.name),
            source,
        })?;
    Ok(out)
}

/// The decompressed CSV text of the shipped data set `name` (header row, features, then the
/// target columns), or `None` when there is no such shipped data set. ASCII case in `name`
/// is ignored.
///
/// This is what `tidewater datasets export` writes; it can also be read as a stream.
pub fn csv_bytes(name: &str) -> Option<Vec<u8>> {
    entry(name).and_then(|e| decompress(e).ok())
}

/// The CSV text of the data set `name`, as [`csv_bytes`] gives it for a shipped set, and for
/// `elec2` the user's file named by the environment variable [`ELEC2_ENV`], checked and
/// rewritten as [`elec2_csv`] does.
///
/// An unknown name is an [`Error::Spec`] listing the known names.
pub fn csv_text(name: &str) -> Result<Vec<u8>> {
    if name.trim().eq_ignore_ascii_case(ELEC2.name) {
        return elec2_csv(&elec2::path_from_env()?);
    }
    decompress(entry(name).ok_or_else(|| unknown(name))?)
}

/// Loads the data set `name` (see [`catalog`]; ASCII case is ignored). `elec2` reads the
/// user's file named by the environment variable [`ELEC2_ENV`].
///
/// The target columns are the last [`DatasetInfo::targets`] columns. An unknown name is an
/// [`Error::Spec`] that lists the known names.
pub fn load(name: &str) -> Result<Dataset> {
    if name.trim().eq_ignore_ascii_case(ELEC2.name) {
        return elec2(&elec2::path_from_env()?);
    }
    let e = entry(name).ok_or_else(|| unknown(name))?;
    let file = format!("{}.csv", e.info.name);
    let targets = TargetSpec::Named(e.info.targets.iter().map(|t| (*t).to_owned()).collect());
    read_csv_dataset(GzDecoder::new(e.gz), &file, targets)
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

/// Bananas: 5,300 rows, 2 features, binary classification.
///
/// Features `x1`, `x2` (coordinates in the plane, roughly in [-3, 3]); target `y`, 0 (2,924
/// rows) or 1 (2,376 rows): two banana-shaped clusters that a linear model cannot separate.
///
/// Source: the ELENA project's Banana set (OpenML 1460) as shipped in River 0.26.1
/// (`banana.zip`, LIBSVM labels -1/1 become 0/1). Licence: OpenML lists it without
/// restriction (public domain); River's distribution is BSD-3-Clause.
pub fn bananas() -> Result<Dataset> {
    load("bananas")
}

/// Statlog (Shuttle) as an anomaly benchmark: 49,097 rows, 9 features, binary
/// classification. Behind the cargo feature `shuttle` (on by default).
///
/// Features `f1` … `f9`, integer sensor readings; target `anomaly`, 1 for the 3,511 rows of
/// the rare classes and 0 for the majority "Rad Flow" class (the second-largest class is
/// left out, following the ODDS benchmark).
///
/// Source: UCI Statlog (Shuttle), as shipped in River 0.26.1. Licence: CC BY 4.0 (UCI
/// Machine Learning Repository).
#[cfg(feature = "shuttle")]
pub fn shuttle() -> Result<Dataset> {
    load("shuttle")
}

/// Image segments: 2,310 rows, 18 features, multiclass classification (7 classes, 330 rows
/// each).
///
/// Features `region_centroid_col`, `region_centroid_row`, `short_line_density_5`,
/// `short_line_density_2`, `vedge_mean`, `vedge_sd`, `hedge_mean`, `hedge_sd`,
/// `intensity_mean`, `rawred_mean`, `rawblue_mean`, `rawgreen_mean`, `exred_mean`,
/// `exblue_mean`, `exgreen_mean`, `value_mean`, `saturation_mean`, `hue_mean` (UCI's names in
/// snake case; River's `vegde-sd` typo is corrected to `vedge_sd`); target `category`, the
/// class name: `brickface`, `cement`, `foliage`, `grass`, `path`, `sky` or `window`
/// ([`Targets::Labels`](tidewater_core::Targets::Labels)).
///
/// Source: UCI Statlog (Image Segmentation), as shipped in River 0.26.1. Licence: CC BY 4.0
/// (UCI Machine Learning Repository).
pub fn image_segments() -> Result<Dataset> {
    load("image_segments")
}

/// Trump approval ratings: 1,001 rows, 6 features, regression.
///
/// Features `ordinal_date` (the proleptic Gregorian day number), `gallup`, `ipsos`,
/// `morning_consult`, `rasmussen`, `you_gov` (approval in percent); target
/// `five_thirty_eight`, FiveThirtyEight's model estimate (percent).
///
/// Source: FiveThirtyEight's approval data, reshaped, as shipped in River 0.26.1.
/// Licence: CC BY 4.0 (FiveThirtyEight).
pub fn trump_approval() -> Result<Dataset> {
    load("trump_approval")
}

/// Chick weights: 578 rows, 3 features, regression.
///
/// Features `time` (days since birth, 0 to 21), `chick` (1 to 50) and `diet` (1 to 4),
/// codes kept as numbers; target `weight` in grams. Rows are ordered by time, then chick.
///
/// Source: Crowder and Hand (1990), "Analysis of Repeated Measures" (R's `ChickWeight`), as
/// shipped in River 0.26.1. Licence: published experimental data, public domain; River's
/// distribution is BSD-3-Clause.
pub fn chick_weights() -> Result<Dataset> {
    load("chick_weights")
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

/// Breast Cancer Wisconsin (Diagnostic): 569 rows, 30 features, binary classification.
///
/// Features: the mean, standard error and worst value of ten measurements of cell nuclei
/// (`mean_radius`, …, `radius_error`, …, `worst_fractal_dimension`: scikit-learn's
/// `feature_names` in snake case); target `target`, 0 malignant (212 rows) and 1 benign
/// (357 rows), scikit-learn's coding.
///
/// Source: UCI Breast Cancer Wisconsin (Diagnostic) (Wolberg, Street and Mangasarian), from
/// scikit-learn 1.9.1's `breast_cancer.csv`. Licence: CC BY 4.0 (UCI Machine Learning
/// Repository).
pub fn breast_cancer() -> Result<Dataset> {
    load("breast_cancer")
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

/// Linnerud: 20 rows, 3 features, multi-output regression (3 targets).
///
/// Features `chins`, `situps`, `jumps` (exercise counts); targets `weight` (pounds), `waist`
/// (inches) and `pulse` (beats per minute). The [`Dataset`] holds all three target columns;
/// [`Dataset::select_target`] (or `--target` on the command line) picks one for a
/// single-target model.
///
/// Source: Tenenhaus (1998), "La régression PLS", as distributed with scikit-learn 1.9.1
/// (`linnerud_exercise.csv`, `linnerud_physiological.csv`; names in lower case).
/// Licence: BSD-3-Clause (as distributed with scikit-learn).
pub fn linnerud() -> Result<Dataset> {
    load("linnerud")
}
