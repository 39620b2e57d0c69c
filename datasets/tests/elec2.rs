//! The Elec2 loader reads a user's `elecNormNew` file (CSV or MOA's ARFF), and refuses a
//! file that does not match the standard schema with an error naming the line and column.

use std::path::PathBuf;

use tidewater_core::{Error, FeatureMatrix, Targets};
use tidewater_datasets::{ELEC2, ELEC2_COLUMNS, elec2, elec2_csv, info};

/// A file in a fresh directory under the system's temporary directory.
fn temp_file(test: &str, name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tidewater-elec2-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The first rows of the standard file, as it is distributed.
const CSV: &str = "date,day,period,nswprice,nswdemand,vicprice,vicdemand,transfer,class
0,2,0,0.056443,0.439155,0.003467,0.422915,0.414912,UP
0,2,0.021277,0.051699,0.415055,0.003467,0.422915,0.414912,UP
0,2,0.042553,0.051489,0.385004,0.003467,0.422915,0.414912,DOWN
";

const ARFF: &str = "% elecNormNew, as MOA distributes it
@relation elecNormNew

@attribute date numeric
@attribute day {1,2,3,4,5,6,7}
@attribute period numeric
@attribute nswprice numeric
@attribute nswdemand numeric
@attribute vicprice numeric
@attribute vicdemand numeric
@attribute transfer numeric
@attribute class {UP,DOWN}

@data
0,2,0,0.056443,0.439155,0.003467,0.422915,0.414912,UP
0,2,0.021277,0.051699,0.415055,0.003467,0.422915,0.414912,UP
0,2,0.042553,0.051489,0.385004,0.003467,0.422915,0.414912,DOWN
";

#[test]
fn the_csv_and_the_arff_forms_load_the_same_rows() {
    let a = elec2(&temp_file("forms", "elecNormNew.csv", CSV)).unwrap();
    let b = elec2(&temp_file("forms", "elecNormNew.arff", ARFF)).unwrap();
    assert_eq!(a, b);
    assert_eq!((a.n_rows(), a.n_features()), (3, 8));
    assert_eq!(a.schema.features, ELEC2_COLUMNS[..8]);
    assert_eq!(a.schema.targets, ["class"]);
    let FeatureMatrix::Dense(x) = &a.features else {
        panic!("dense")
    };
    assert_eq!(
        x.row(1).to_vec(),
        [
            0.0, 2.0, 0.021277, 0.051699, 0.415055, 0.003467, 0.422915, 0.414912
        ]
    );
    // UP is 1, DOWN is 0, as River encodes it.
    assert_eq!(a.target().unwrap(), &Targets::Values(vec![1.0, 1.0, 0.0]));
    let text = String::from_utf8(elec2_csv(&temp_file("forms", "e.csv", CSV)).unwrap()).unwrap();
    assert_eq!(text.lines().next(), Some(ELEC2_COLUMNS.join(",").as_str()));
    assert_eq!(
        text.lines().nth(3),
        Some("0,2,0.042553,0.051489,0.385004,0.003467,0.422915,0.414912,0")
    );
}

#[test]
fn elec2_is_described_but_not_shipped() {
    let i = info("elec2").unwrap();
    assert_eq!(i, &ELEC2);
    assert!(!i.shipped);
    assert_eq!((i.rows, i.columns), (45_312, 8));
    assert!(
        !tidewater_datasets::catalog()
            .iter()
            .any(|d| d.name == "elec2")
    );
    assert!(tidewater_datasets::csv_bytes("elec2").is_none());
}

#[test]
fn a_file_that_does_not_match_the_schema_is_refused_naming_line_and_column() {
    let bad_cases = [
        ("header", CSV.replace("nswprice", "price"), "1", "-"),
        ("short", CSV.replace("0.414912,DOWN", "DOWN"), "4", "-"),
        ("class", CSV.replace(",DOWN", ",SIDEWAYS"), "4", "class"),
        ("day", CSV.replacen(",2,0,", ",9,0,", 1), "2", "day"),
        (
            "range",
            CSV.replacen("0.439155", "1439.155", 1),
            "2",
            "nswdemand",
        ),
        ("text", CSV.replacen("0.439155", "abc", 1), "2", "nswdemand"),
        (
            "unnormalised",
            CSV.replacen("0.056443", "21.5", 1),
            "2",
            "nswprice",
        ),
        (
            "arff",
            ARFF.replace("@attribute transfer numeric\n", ""),
            "13",
            "-",
        ),
    ];
    for (case, text, line, column) in bad_cases {
        let path = temp_file("bad", &format!("{case}.csv"), &text);
        let err = elec2(&path).unwrap_err();
        let Error::Parse {
            line: l, column: c, ..
        } = &err
        else {
            panic!("{case}: expected a parse error, got {err:?}");
        };
        assert_eq!(
            (l.to_string().as_str(), c.as_str()),
            (line, column),
            "{case}: {err}"
        );
        let msg = err.to_string();
        assert!(msg.contains("elecNormNew"), "{case}: {msg}");
        assert!(msg.contains(&path.display().to_string()), "{case}: {msg}");
    }
    let empty = temp_file("bad", "empty.csv", "");
    assert!(elec2(&empty).unwrap_err().to_string().contains("no header"));
    let header_only = temp_file(
        "bad",
        "header.csv",
        "date,day,period,nswprice,nswdemand,vicprice,vicdemand,transfer,class\n",
    );
    assert!(matches!(elec2(&header_only), Err(Error::Empty(_))));
    let missing = std::env::temp_dir().join("tidewater-no-such-elec2.csv");
    assert!(matches!(elec2(&missing), Err(Error::Io { .. })));
}
