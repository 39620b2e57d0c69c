//! The one error type of tidewater-core, shared by the algorithm crates.

use std::fmt;

/// Result with tidewater-core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in the input a problem was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A feature of the observation being processed, by 0-based index.
    Feature(usize),
    /// A feature by name (a schema was known).
    Column(String),
    /// The target of the observation.
    Target,
    /// The sample weight of the observation.
    Weight,
    /// A feature of the row a pipeline stage received (1-based stage: its first transformer
    /// is stage 1), when that is not the pipeline's input row: errors inside a pipeline keep
    /// [`Feature`](Location::Feature) for the features of the row it was given.
    Stage {
        /// The stage that received the row.
        stage: usize,
        /// The 0-based feature of that row.
        feature: usize,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Feature(i) => write!(f, "feature {i}"),
            Location::Column(c) => write!(f, "column `{c}`"),
            Location::Target => f.write_str("target"),
            Location::Weight => f.write_str("sample weight"),
            Location::Stage { stage, feature } => {
                write!(
                    f,
                    "feature {feature} of the row reaching pipeline stage {stage}"
                )
            }
        }
    }
}

/// Everything that can go wrong in tidewater-core and the algorithm crates.
///
/// Every variant names what is wrong and, where known, where: the parameter, the feature or
/// column, the row, the file and line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A hyper-parameter is out of range or malformed.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParam {
        /// The parameter's name, as in the params type and on the command line.
        name: String,
        /// What is wrong with its value.
        reason: String,
    },
    /// A parameter name that the component does not have.
    #[error("unknown parameter `{name}` for `{component}` ({})", known_list(known))]
    UnknownParam {
        /// The component (model, transformer) that was given the parameter.
        component: String,
        /// The unknown name.
        name: String,
        /// The parameters the component has.
        known: Vec<String>,
    },
    /// A value that cannot be learned from: NaN, infinite, a missing value where none is
    /// allowed, a negative weight.
    #[error("{location}: {reason}")]
    BadValue {
        /// Which feature or field holds the value.
        location: Location,
        /// What is wrong with it.
        reason: String,
    },
    /// An observation with the wrong number of features.
    #[error("expected {expected} features, got {got}")]
    DimensionMismatch {
        /// What the model was built or fitted with.
        expected: usize,
        /// What the observation has.
        got: usize,
    },
    /// Input lengths that do not match (rows against targets or weights, buffers).
    #[error("length mismatch: {what}: expected {expected}, got {got}")]
    LengthMismatch {
        /// What was compared.
        what: String,
        /// The expected length.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A label the model cannot use.
    #[error("label {label}: {reason}")]
    BadLabel {
        /// The label, as text.
        label: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A data set or batch with nothing in it where something is needed.
    #[error("empty data: {0}")]
    Empty(String),
    /// The model cannot answer yet (for example a transformer that has seen no row).
    #[error("not fitted: {0}")]
    NotFitted(String),
    /// An error in one row of a batch or stream; the row is 0-based.
    #[error("row {row}: {source}")]
    InRow {
        /// 0-based index of the row in the batch or stream.
        row: usize,
        /// What went wrong in it.
        #[source]
        source: Box<Error>,
    },
    /// A file that could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// Malformed input in a data file.
    #[error("{file}:{line}: {}{message}", column_prefix(column))]
    Parse {
        /// The file name.
        file: String,
        /// 1-based line number.
        line: u64,
        /// The column (name or 1-based field number, or `-` when the whole line is wrong).
        column: String,
        /// What is wrong.
        message: String,
    },
    /// A model file that is not a tidewater checkpoint, is corrupted, truncated or of an
    /// unknown version.
    #[error("model file {path}: {reason}")]
    Checkpoint {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A model specification (`name(p=1,...)`) that cannot be parsed or built.
    #[error("spec `{spec}`: {reason}")]
    Spec {
        /// The specification text (or the part at fault).
        spec: String,
        /// What is wrong.
        reason: String,
    },
    /// An operation the component does not support (for example a sparse row given to a
    /// dense-only model).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A training job over several workers failed: a worker stopped or was lost, or the
    /// workers disagree.
    #[error("training job: {0}")]
    Training(String),
}

impl Error {
    /// The error as met by stage `stage` of a pipeline (1-based), whose input is not the
    /// pipeline's: a feature it names becomes a feature of that stage's row.
    pub fn at_stage(self, stage: usize) -> Error {
        match self {
            Error::BadValue {
                location: Location::Feature(feature),
                reason,
            } => Error::BadValue {
                location: Location::Stage { stage, feature },
                reason,
            },
            Error::InRow { row, source } => Error::InRow {
                row,
                source: Box::new(source.at_stage(stage)),
            },
            e => e,
        }
    }
}

/// A number as messages show it: exponent form for very large and very small magnitudes
/// (`-1e308`, `1e-12`), the shortest round-trip form otherwise.
pub fn show_number(v: f64) -> String {
    if v != 0.0 && v.is_finite() && (v.abs() >= 1e7 || v.abs() < 1e-4) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// The parameters a component has, for an unknown-parameter message.
fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        "it has no parameters".into()
    } else {
        format!("known: {}", known.join(", "))
    }
}

/// `column `c`: ` for a named column, nothing for a whole-line problem (`-`).
fn column_prefix(column: &str) -> String {
    if column == "-" || column.is_empty() {
        String::new()
    } else if column.chars().all(|c| c.is_ascii_digit()) {
        format!("field {column}: ")
    } else {
        format!("column `{column}`: ")
    }
}

impl Error {
    /// Shorthand for [`Error::InvalidParam`].
    pub fn param(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidParam {
            name: name.into(),
            reason: reason.into(),
        }
    }

    /// Wraps the error with the 0-based row it came from.
    pub fn in_row(self, row: usize) -> Self {
        Error::InRow {
            row,
            source: Box::new(self),
        }
    }
}
