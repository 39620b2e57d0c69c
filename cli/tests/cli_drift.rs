//! End-to-end tests of `tidewater drift`, `eval --retrain` and the `list` detectors section,
//! on the built binary: every public drift fixture through the command line (River's exact
//! detections), the CSV fast path against the general reader, and the errors.

use std::path::PathBuf;

use serde_json::Value;

mod common;
use common::cli::tw;
use common::keys;

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tidewater-cli-drift-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn fixtures() -> Vec<(String, Value)> {
    let dir = common::fixtures_dir().join("reference/drift");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            (p.file_stem().unwrap().to_string_lossy().into_owned(), v)
        })
        .collect()
}

fn spec_of(f: &Value) -> String {
    let name = f["detector"].as_str().unwrap();
    let params = f["params"].as_object().unwrap();
    if params.is_empty() {
        return name.to_owned();
    }
    let parts: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{name}({})", parts.join(","))
}

fn values(f: &Value) -> Vec<String> {
    f["stream"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| match v {
            Value::Bool(b) => u8::from(*b).to_string(),
            v => v.to_string(),
        })
        .collect()
}

fn indices(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_u64().unwrap())
        .collect()
}

#[test]
fn every_public_drift_fixture_passes_through_the_command_line() {
    let all = fixtures();
    assert!(all.len() >= 7);
    for (name, f) in &all {
        let path = tmp(&format!("{name}.csv"));
        let mut text = String::from("x\n");
        for v in values(f) {
            text.push_str(&v);
            text.push('\n');
        }
        std::fs::write(&path, text).unwrap();
        let spec = spec_of(f);
        let out = tw(&[
            "drift",
            "--detector",
            &spec,
            "--data",
            path.to_str().unwrap(),
            "--json",
        ])
        .json();
        let keys = keys(&out);
        assert_eq!(keys, ["rows", "seconds", "drifts", "warnings"], "{name}");
        assert_eq!(out["rows"].as_u64(), Some(values(f).len() as u64), "{name}");
        assert_eq!(
            indices(&out["drifts"]),
            indices(&f["drifts"]),
            "{name} ({spec}): drifts"
        );
        if f.get("warnings").is_some() {
            assert_eq!(
                indices(&out["warnings"]),
                indices(&f["warnings"]),
                "{name} ({spec}): warnings"
            );
        } else {
            assert!(
                out["warnings"].as_array().is_some(),
                "{name}: warnings present"
            );
        }
    }
}

/// The same values written plainly (fast path) and in forms only the general CSV reader
/// takes (quotes, a second column, spaces, CRLF, blank lines): the same detections.
#[test]
fn the_fast_path_and_the_general_reader_agree() {
    let (_, f) = fixtures()
        .into_iter()
        .find(|(n, _)| n == "adwin_gauss_mean_shift")
        .unwrap();
    let vals = values(&f);
    let spec = spec_of(&f);
    let plain = tmp("plain.csv");
    let mut text = String::from("x\n");
    for (i, v) in vals.iter().enumerate() {
        text.push_str(v);
        text.push('\n');
        if i % 1000 == 7 {
            text.push('\n');
        }
    }
    std::fs::write(&plain, &text).unwrap();
    let crlf = tmp("crlf.csv");
    let mut text = String::from("\u{feff} x \r\n");
    for v in &vals {
        text.push_str(&format!(" {v}\r\n"));
    }
    std::fs::write(&crlf, &text).unwrap();
    let quoted = tmp("quoted.csv");
    let mut text = String::from("\"x\"\n");
    for v in &vals {
        text.push_str(&format!("\"{v}\"\n"));
    }
    std::fs::write(&quoted, &text).unwrap();
    let two = tmp("two.csv");
    let mut text = String::from("label,x\n");
    for v in &vals {
        text.push_str(&format!("a,{v}\n"));
    }
    std::fs::write(&two, &text).unwrap();

    let want = indices(&f["drifts"]);
    for (p, column) in [
        (&plain, None),
        (&crlf, None),
        (&quoted, None),
        (&two, Some("x")),
    ] {
        let mut args = vec![
            "drift",
            "--detector",
            &spec,
            "--data",
            p.to_str().unwrap(),
            "--json",
        ];
        if let Some(c) = column {
            args.extend(["--column", c]);
        }
        let out = tw(&args).json();
        assert_eq!(
            out["rows"].as_u64(),
            Some(vals.len() as u64),
            "{}",
            p.display()
        );
        assert_eq!(indices(&out["drifts"]), want, "{}", p.display());
    }
    // Two files read as one stream, and --limit.
    let half = vals.len() / 2;
    let a = tmp("a.csv");
    let b = tmp("b.csv");
    std::fs::write(&a, format!("x\n{}\n", vals[..half].join("\n"))).unwrap();
    std::fs::write(&b, format!("x\n{}\n", vals[half..].join("\n"))).unwrap();
    let out = tw(&[
        "drift",
        "--detector",
        &spec,
        "--data",
        a.to_str().unwrap(),
        "--data",
        b.to_str().unwrap(),
        "--json",
    ])
    .json();
    assert_eq!(indices(&out["drifts"]), want);
    let out = tw(&[
        "drift",
        "--detector",
        &spec,
        "--data",
        plain.to_str().unwrap(),
        "--limit",
        "4000",
        "--json",
    ])
    .json();
    assert_eq!(out["rows"].as_u64(), Some(4000));
    let cut: Vec<u64> = want.iter().copied().filter(|&d| d < 4000).collect();
    assert_eq!(indices(&out["drifts"]), cut);
}

/// A stream of many chunks (the reader thread hands over 65,536 values at a time and reuses
/// their buffers): the command line's detections are the library's.
#[test]
fn long_streams_give_the_librarys_detections() {
    use tidewater::drift::evaluation::bernoulli_stream;
    use tidewater::drift::{DriftDetector, build_detector};
    let xs = bernoulli_stream(&[(150_000, 0.2), (150_000, 0.35), (100_000, 0.1)], 5);
    let p = tmp("long.csv");
    let mut text = String::with_capacity(xs.len() * 4 + 2);
    text.push_str("x\n");
    for x in &xs {
        text.push_str(if *x == 1.0 { "1.0\n" } else { "0.0\n" });
    }
    std::fs::write(&p, text).unwrap();
    let mut fired = 0;
    for spec in [
        "adwin",
        "ddm",
        "page_hinkley(threshold=20)",
        "hddm_w",
        "eddm",
    ] {
        let want = build_detector(spec).unwrap().update_many(&xs).unwrap();
        let out = tw(&[
            "drift",
            "--detector",
            spec,
            "--data",
            p.to_str().unwrap(),
            "--json",
        ])
        .json();
        assert_eq!(out["rows"].as_u64(), Some(xs.len() as u64), "{spec}");
        let got: Vec<usize> = indices(&out["drifts"])
            .iter()
            .map(|&i| i as usize)
            .collect();
        assert_eq!(got, want.drifts, "{spec}");
        let got: Vec<usize> = indices(&out["warnings"])
            .iter()
            .map(|&i| i as usize)
            .collect();
        assert_eq!(got, want.warnings, "{spec}");
        fired += want.drifts.len();
    }
    assert!(fired > 3, "the detectors should fire on this stream");
    let out = tw(&[
        "drift",
        "--detector",
        "adwin",
        "--data",
        p.to_str().unwrap(),
        "--limit",
        "200000",
        "--json",
    ])
    .json();
    assert_eq!(out["rows"].as_u64(), Some(200_000));
}

#[test]
fn bad_values_name_the_file_line_and_column() {
    let p = tmp("bad.csv");
    std::fs::write(&p, "err\n0\n1\n0\nabc\n1\n").unwrap();
    let f = p.to_str().unwrap();
    tw(&["drift", "--detector", "ddm", "--data", f]).input_error(&[f, ":5", "err", "abc"]);
    std::fs::write(&p, "err\n0\n1\n\n0\n2\n1\n").unwrap();
    tw(&["drift", "--detector", "ddm", "--data", f])
        .input_error(&[f, ":6", "err", "ddm", "[0, 1]"]);
    std::fs::write(&p, "err\n0\n1\n \n1\n").unwrap();
    tw(&["drift", "--detector", "adwin", "--data", f]).input_error(&[f, ":4", "missing"]);
    std::fs::write(&p, "err\n0\ninf\n").unwrap();
    tw(&["drift", "--detector", "adwin", "--data", f]).input_error(&[f, ":3", "inf"]);
    std::fs::write(&p, "err\n").unwrap();
    tw(&["drift", "--detector", "adwin", "--data", f]).input_error(&[f, "no data rows"]);
    std::fs::write(&p, "a,b\n1,2\n3\n").unwrap();
    tw(&["drift", "--detector", "adwin", "--data", f, "--column", "b"]).input_error(&[f, ":3"]);
    tw(&[
        "drift",
        "--detector",
        "adwin",
        "--data",
        f,
        "--column",
        "zz",
    ])
    .input_error(&["zz"]);
    tw(&["drift", "--detector", "adwn", "--data", f]).input_error(&["unknown detector `adwn`"]);
    tw(&["drift", "--detector", "adwin(delta=3)", "--data", f]).input_error(&["`delta`"]);
    tw(&["drift", "--detector", "adwin(clok=3)", "--data", f]).input_error(&["clok"]);
    tw(&[
        "drift",
        "--detector",
        "adwin",
        "--data",
        "/nonexistent/x.csv",
    ])
    .input_error(&["/nonexistent/x.csv"]);
    tw(&["drift", "--detector", "adwin"]).input_error(&["no data"]);
}

#[test]
fn drift_reads_generators_and_data_sets() {
    let out = tw(&[
        "drift",
        "--detector",
        "adwin",
        "--synth",
        "sea(seed=3)",
        "--limit",
        "3000",
        "--column",
        "x1",
        "--json",
    ])
    .json();
    assert_eq!(out["rows"].as_u64(), Some(3000));
    let out = tw(&[
        "drift",
        "--detector",
        "ddm",
        "--synth",
        "sea(seed=3)",
        "--limit",
        "2000",
        "--column",
        "y",
        "--json",
    ])
    .json();
    assert_eq!(out["rows"].as_u64(), Some(2000));
    assert!(out["warnings"].is_array());
    let text = tw(&[
        "drift",
        "--detector",
        "page_hinkley",
        "--dataset",
        "phishing",
    ]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(text.stdout.contains("drifts:"), "{}", text.stdout);
}

#[test]
fn eval_retrain_wraps_the_model_and_reports_events() {
    let synth = "concept_drift_stream(stream=agrawal(classification_function=6,seed=1),\
                 drift_stream=agrawal(classification_function=7,seed=2),position=5001,width=1,seed=3)";
    let plain = tw(&[
        "eval",
        "--model",
        "gaussian_nb",
        "--synth",
        synth,
        "--limit",
        "10000",
        "--json",
    ])
    .json();
    assert!(plain.get("events").is_none());
    for detector in [
        "ddm",
        "adwin(delta=0.002)",
        "hddm_w",
        "page_hinkley(threshold=20)",
    ] {
        let out = tw(&[
            "eval",
            "--model",
            "gaussian_nb",
            "--synth",
            synth,
            "--limit",
            "10000",
            "--retrain",
            detector,
            "--json",
        ])
        .json();
        let keys = keys(&out);
        assert_eq!(
            keys,
            [
                "model",
                "dataset",
                "rows",
                "skipped",
                "seconds",
                "rows_per_sec",
                "metrics",
                "events"
            ],
            "{detector}"
        );
        let events = out["events"].as_array().unwrap();
        let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert!(kinds.contains(&"drift"), "{detector}: {kinds:?}");
        for (e, k) in events.iter().zip(&kinds) {
            assert!(["warning", "drift", "swap", "reset"].contains(k), "{k}");
            assert!(e["row"].as_u64().unwrap() < 10_000);
        }
        // Every drift is followed by a swap or a reset at the same row.
        for (i, e) in events.iter().enumerate() {
            if e["kind"] == "drift" {
                let next = &events[i + 1];
                assert!(next["kind"] == "swap" || next["kind"] == "reset");
                assert_eq!(next["row"], e["row"]);
            }
        }
        let acc = |v: &Value| v["metrics"]["rolling_accuracy"].as_f64().unwrap();
        assert!(
            acc(&out) > acc(&plain),
            "{detector}: {} vs {}",
            acc(&out),
            acc(&plain)
        );
    }
    tw(&[
        "eval",
        "--model",
        "gaussian_nb",
        "--synth",
        synth,
        "--retrain",
        "adwin(delta=7)",
    ])
    .input_error(&["--retrain", "`delta`"]);
    tw(&[
        "eval",
        "--model",
        "mean_regressor",
        "--synth",
        "friedman(seed=1)",
        "--retrain",
        "ddm",
    ])
    .input_error(&["ddm", "regressor"]);
    let out = tw(&[
        "eval",
        "--model",
        "mean_regressor",
        "--synth",
        "friedman(seed=1)",
        "--limit",
        "3000",
        "--retrain",
        "adwin",
        "--json",
    ])
    .json();
    assert!(out["events"].is_array());
}

#[test]
fn list_describes_every_detector() {
    let out = tw(&["list", "--json"]).json();
    let detectors = out["detectors"].as_array().unwrap();
    let names: Vec<&str> = detectors
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    for n in [
        "adwin",
        "page_hinkley",
        "kswin",
        "ddm",
        "eddm",
        "hddm_a",
        "hddm_w",
        "fhddm",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    let adwin = detectors.iter().find(|d| d["name"] == "adwin").unwrap();
    let params: Vec<(&str, Value)> = adwin["params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["default"].clone()))
        .collect();
    for want in [
        ("delta", serde_json::json!(0.002)),
        ("clock", serde_json::json!(32)),
        ("max_buckets", serde_json::json!(5)),
        ("min_window_length", serde_json::json!(5)),
        ("grace_period", serde_json::json!(10)),
    ] {
        assert!(params.contains(&want), "{want:?} in {params:?}");
    }
    let text = tw(&["list"]);
    assert!(text.stdout.contains("detectors:") && text.stdout.contains("hddm_w"));
}
