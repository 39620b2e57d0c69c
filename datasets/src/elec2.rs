//! Elec2 (`elecNormNew`): a loader for a user's own copy of the standard file.
//!
//! No package that the registries carry ships Elec2 (River downloads it at run time, the
//! scikit-multiflow source package holds no data), so it is not embedded: [`elec2`] reads the
//! file, checks it against the schema of the standard `elecNormNew` file and returns a
//! [`Dataset`]. Both common forms are accepted: the CSV (`elecNormNew.csv`, River's
//! `electricity.csv`, OpenML's export) and MOA's ARFF (`elecNormNew.arff`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use tidewater_core::io::{TargetSpec, read_csv_dataset};
use tidewater_core::{Dataset, Error, Result};

use crate::{DatasetInfo, Task};

/// The environment variable naming the user's `elecNormNew` file for `load("elec2")` and
/// `tidewater ... --dataset elec2`.
pub const ELEC2_ENV: &str = "TIDEWATER_ELEC2";

/// The columns of the standard `elecNormNew` file, in order: eight features, then `class`.
///
/// `date` (0 to 1, normalised), `day` (day of the week, 1 to 7), `period` (half hour of the
/// day, 0 to 1), `nswprice`, `nswdemand`, `vicprice`, `vicdemand`, `transfer` (each
/// normalised to 0 to 1) and `class`, `UP` or `DOWN` (the New South Wales price against its
/// moving average of the last 24 hours).
pub const ELEC2_COLUMNS: [&str; 9] = [
    "date",
    "day",
    "period",
    "nswprice",
    "nswdemand",
    "vicprice",
    "vicdemand",
    "transfer",
    "class",
];

/// Elec2's description. It is not shipped: see [`elec2`].
pub const ELEC2: DatasetInfo = DatasetInfo {
    name: "elec2",
    rows: 45312,
    columns: 8,
    task: Task::BinaryClassification,
    targets: &["class"],
    shipped: false,
    summary: "Electricity prices in New South Wales, 1996-1998, every half hour; target \
              `class` 1 when the price goes UP, 0 when DOWN. Not shipped: a user's \
              elecNormNew file",
    source: "Harries (1999), SPLICE-2 comparative evaluation: electricity pricing; the \
             normalised `elecNormNew` file of MOA's and River's benchmarks",
    licence: "CC BY 4.0 (as published on OpenML, data set 151)",
};

/// The path in [`ELEC2_ENV`], or an error saying how to get and name the file.
pub(crate) fn path_from_env() -> Result<PathBuf> {
    match std::env::var_os(ELEC2_ENV) {
        Some(p) if !p.is_empty() => Ok(PathBuf::from(p)),
        _ => Err(Error::Spec {
            spec: "elec2".into(),
            reason: format!(
                "Elec2 is not shipped: download the standard elecNormNew file (CSV or ARFF, \
                 45,312 rows; see the README) and set {ELEC2_ENV}=/path/to/elecNormNew.csv"
            ),
        }),
    }
}

fn mismatch(file: &str, line: u64, column: &str, message: impl Into<String>) -> Error {
    Error::Parse {
        file: file.to_owned(),
        line,
        column: column.to_owned(),
        message: format!(
            "{} (the file does not match the elecNormNew schema: {})",
            message.into(),
            ELEC2_COLUMNS.join(",")
        ),
    }
}

/// Reads a user's `elecNormNew` file (CSV with a header, or MOA's ARFF) and rewrites it as
/// this crate's CSV: the header [`ELEC2_COLUMNS`], the eight features as numbers, and
/// `class` as `1` (UP) or `0` (DOWN), as River encodes it.
///
/// Every row is checked: nine fields; the features finite numbers, `day` an integer from 1
/// to 7 and the normalised columns within [0, 1]; `class` `UP` or `DOWN` (any case). Any
/// departure is an [`Error::Parse`] naming the file, the line and the column, and saying
/// that the file does not match the schema. The number of rows is not checked (the
/// standard file has 45,312), so a part of the file loads too.
pub fn elec2_csv(path: &Path) -> Result<Vec<u8>> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        path: name.clone(),
        source,
    })?;
    let lines = BufReader::new(file).lines();
    let mut out = ELEC2_COLUMNS.join(",").into_bytes();
    out.push(b'\n');
    let mut n = 0u64;
    let mut in_data = false;
    let mut arff = false;
    let mut attributes: Vec<String> = Vec::new();
    let mut line_no = 0u64;
    for line in lines {
        line_no += 1;
        let line = line.map_err(|source| Error::Io {
            path: name.clone(),
            source,
        })?;
        let text = line.trim().trim_start_matches('\u{feff}');
        if text.is_empty() || text.starts_with('%') {
            continue;
        }
        if !in_data {
            if text.starts_with('@') {
                arff = true;
                let lower = text.to_ascii_lowercase();
                if lower.starts_with("@attribute") {
                    let attr = text["@attribute".len()..].split_whitespace().next();
                    attributes.push(attr.unwrap_or("").trim_matches('\'').to_owned());
                } else if lower.starts_with("@data") {
                    check_header(&name, line_no, &attributes)?;
                    in_data = true;
                }
                continue;
            }
            if arff {
                return Err(mismatch(
                    &name,
                    line_no,
                    "-",
                    "data before the ARFF `@data` line",
                ));
            }
            let header: Vec<String> = text.split(',').map(|h| h.trim().to_owned()).collect();
            check_header(&name, line_no, &header)?;
            in_data = true;
            continue;
        }
        let fields: Vec<&str> = text.split(',').map(str::trim).collect();
        if fields.len() != ELEC2_COLUMNS.len() {
            return Err(mismatch(
                &name,
                line_no,
                "-",
                format!("expected 9 fields, found {}", fields.len()),
            ));
        }
        for (i, f) in fields[..8].iter().enumerate() {
            let col = ELEC2_COLUMNS[i];
            let f = f.trim_matches(|c| c == '\'' || c == '"');
            let v: f64 = f
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite())
                .ok_or_else(|| mismatch(&name, line_no, col, format!("`{f}` is not a number")))?;
            let ok = if col == "day" {
                v.fract() == 0.0 && (1.0..=7.0).contains(&v)
            } else {
                (0.0..=1.0).contains(&v)
            };
            if !ok {
                let want = if col == "day" {
                    "an integer from 1 to 7"
                } else {
                    "within [0, 1] (normalised)"
                };
                return Err(mismatch(&name, line_no, col, format!("{v} is not {want}")));
            }
            out.extend_from_slice(format!("{v},").as_bytes());
        }
        let class = fields[8].trim_matches(|c| c == '\'' || c == '"');
        let y = if class.eq_ignore_ascii_case("up") {
            b'1'
        } else if class.eq_ignore_ascii_case("down") {
            b'0'
        } else {
            return Err(mismatch(
                &name,
                line_no,
                "class",
                format!("`{class}` is neither UP nor DOWN"),
            ));
        };
        out.push(y);
        out.push(b'\n');
        n += 1;
    }
    if !in_data {
        return Err(mismatch(&name, line_no.max(1), "-", "no header row found"));
    }
    if n == 0 {
        return Err(Error::Empty(format!("{name}: no data rows")));
    }
    Ok(out)
}

fn check_header(file: &str, line: u64, header: &[String]) -> Result<()> {
    let got: Vec<&str> = header.iter().map(|h| h.trim_matches('"')).collect();
    let same = got.len() == ELEC2_COLUMNS.len()
        && got
            .iter()
            .zip(ELEC2_COLUMNS)
            .all(|(g, w)| g.eq_ignore_ascii_case(w));
    if same {
        Ok(())
    } else {
        Err(mismatch(
            file,
            line,
            "-",
            format!("the columns are {}", got.join(",")),
        ))
    }
}

/// Loads a user's copy of Elec2 (`elecNormNew`, 45,312 rows, 8 features, binary
/// classification), checking it against the standard schema.
///
/// Features `date`, `day`, `period`, `nswprice`, `nswdemand`, `vicprice`, `vicdemand`,
/// `transfer` ([`ELEC2_COLUMNS`]); target `class`, 1 for UP and 0 for DOWN. The file is the
/// CSV (`elecNormNew.csv`, with that header) or MOA's `elecNormNew.arff`; see
/// [`elec2_csv`] for the checks. `load("elec2")` reads the file named by [`ELEC2_ENV`].
///
/// Source: M. Harries (1999), "SPLICE-2 comparative evaluation: electricity pricing"; the
/// normalised file of Gama et al. (2004). Licence: CC BY 4.0 (OpenML data set 151).
pub fn elec2(path: &Path) -> Result<Dataset> {
    let csv = elec2_csv(path)?;
    read_csv_dataset(
        csv.as_slice(),
        &path.display().to_string(),
        TargetSpec::Last,
    )
}
