//! End-to-end tests of `tidewater bench` and `eval --plot`: the bench's figures are `eval`'s,
//! its charts parse and name every model, and the events of `--retrain` are drawn at the rows
//! `eval` reports.

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::cli::tw;

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tidewater-cli-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

const MODELS: [&str; 3] = [
    "gaussian_nb",
    "standard_scaler|logistic_regression",
    "hoeffding_tree",
];

/// Every text of an SVG file (which must parse as XML), joined by newlines.
fn svg_texts(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The command: its JSON holds, for every model and source, exactly what a separate
/// `eval` run reports, and its charts name every model.
#[test]
fn bench_figures_are_evals_and_its_charts_name_every_model() {
    let out = tmp("acceptance");
    let models = MODELS.join(";");
    let out_s = out.to_str().unwrap();
    let run = tw(&[
        "bench",
        "--models",
        &models,
        "--dataset",
        "phishing",
        "--dataset",
        "bananas",
        "--synth",
        "agrawal(seed=1)",
        "--limit",
        "50000",
        "--out",
        out_s,
    ]);
    let table = run.ok();
    for m in MODELS {
        assert!(
            table.contains(&format!("`{}`", m.replace('|', "\\|"))),
            "{m} missing from the table:\n{table}"
        );
    }
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    let md = std::fs::read_to_string(out.join("results.md")).unwrap();
    assert_eq!(md, table, "results.md is the table printed");
    let runs = results["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 9);
    let sources = [
        ("phishing", "--dataset"),
        ("bananas", "--dataset"),
        ("agrawal(seed=1)", "--synth"),
    ];
    for (source, flag) in sources {
        for m in MODELS {
            let r = runs
                .iter()
                .find(|r| r["model"] == m && r["source"] == source)
                .unwrap_or_else(|| panic!("no run of {m} on {source}"));
            let eval = tw(&[
                "eval", "--model", m, flag, source, "--limit", "50000", "--json",
            ])
            .json();
            for k in ["dataset", "rows", "skipped", "metrics"] {
                assert_eq!(r[k], eval[k], "{m} on {source}: {k}");
            }
            assert!(r["size_bytes"].as_u64().unwrap() > 0, "{m}: size");
            assert!(r["peak_rss_bytes"].as_u64().unwrap() > 0, "{m}: memory");
            assert!(r["rows_per_sec"].as_f64().unwrap() > 0.0);
        }
    }
    let charts = results["charts"].as_array().unwrap();
    assert_eq!(charts.len(), 3);
    for c in charts {
        let file = c["file"].as_str().unwrap();
        assert!(file.ends_with(".svg"));
        let texts = svg_texts(&out.join(file));
        for m in MODELS {
            assert!(
                texts.contains(m),
                "{file}'s legend does not name {m}:\n{texts}"
            );
        }
        let source = c["source"].as_str().unwrap();
        assert!(
            texts.contains(source),
            "{file}'s title does not name {source}"
        );
        assert!(texts.contains("rows"), "{file}: no x axis label");
    }
    // A bigger model costs more bytes: the tree on 50,000 Agrawal rows is larger than naive
    // Bayes's few statistics.
    let size = |m: &str| {
        runs.iter()
            .find(|r| r["model"] == m && r["source"] == "agrawal(seed=1)")
            .unwrap()["size_bytes"]
            .as_u64()
            .unwrap()
    };
    assert!(size("hoeffding_tree") > size("gaussian_nb"));
}

/// With two jobs the figures are the same (timings aside), and the tables say the runs
/// shared the machine; peak memory is then not measured.
#[test]
fn parallel_runs_give_the_same_metrics_and_say_so() {
    let one = tmp("jobs1");
    let two = tmp("jobs2");
    let args = |out: &Path, jobs: &str| {
        tw(&[
            "bench",
            "--models",
            "gaussian_nb;hoeffding_tree;logistic_regression",
            "--dataset",
            "phishing",
            "--synth",
            "sea(seed=3)",
            "--limit",
            "3000",
            "--jobs",
            jobs,
            "--json",
            "--out",
            out.to_str().unwrap(),
        ])
        .json()
    };
    let a = args(&one, "1");
    let b = args(&two, "2");
    assert_eq!(b["jobs"], 2);
    assert!(b["timing"].as_str().unwrap().contains("2 runs at a time"));
    let (ra, rb) = (a["runs"].as_array().unwrap(), b["runs"].as_array().unwrap());
    assert_eq!(ra.len(), 6);
    for (x, y) in ra.iter().zip(rb) {
        assert_eq!(x["model"], y["model"]);
        assert_eq!(x["metrics"], y["metrics"]);
        assert_eq!(x["size_bytes"], y["size_bytes"]);
        assert!(y["peak_rss_bytes"].is_null());
    }
}

/// Regressors and clusterers report their own metrics, and a chart per source in PNG.
#[test]
fn regressors_and_clusterers_report_their_own_metrics() {
    let out = tmp("roles");
    let r = tw(&[
        "bench",
        "--models",
        "linear_regression;hoeffding_tree_regressor",
        "--synth",
        "friedman(seed=1)",
        "--limit",
        "2000",
        "--chart-format",
        "png",
        "--json",
        "--out",
        out.to_str().unwrap(),
    ])
    .json();
    for run in r["runs"].as_array().unwrap() {
        assert!(run["metrics"]["mae"].as_f64().is_some(), "{run}");
    }
    let png = std::fs::read(out.join("friedman_seed_1.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let c = tw(&[
        "bench",
        "--models",
        "kmeans(n_clusters=2)",
        "--dataset",
        "bananas",
        "--json",
        "--out",
        out.to_str().unwrap(),
    ])
    .json();
    let run = &c["runs"][0];
    assert!(run["metrics"]["inertia"].as_f64().unwrap() > 0.0, "{run}");
}

/// Bad input: an empty model in the list, a bad spec, no source, a bad chart extension, and
/// a run that fails (a regressor on text labels) is reported after the others were written.
#[test]
fn bench_errors_name_what_is_wrong() {
    let out = tmp("errors");
    let o = out.to_str().unwrap();
    tw(&[
        "bench",
        "--models",
        "gaussian_nb;;x",
        "--dataset",
        "phishing",
        "--out",
        o,
    ])
    .input_error(&["--models", "model 2", "empty"]);
    tw(&[
        "bench",
        "--models",
        "gaussian_nb;nope",
        "--dataset",
        "phishing",
        "--out",
        o,
    ])
    .input_error(&["nope"]);
    tw(&["bench", "--models", "gaussian_nb", "--out", o]).input_error(&["no source"]);
    tw(&["eval", "--dataset", "phishing", "--plot", "x.jpg"]).input_error(&["--plot", ".svg"]);
    let r = tw(&[
        "bench",
        "--models",
        "gaussian_nb;linear_regression",
        "--dataset",
        "image_segments",
        "--out",
        o,
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("1 of 2 runs failed"), "{}", r.stderr);
    assert!(r.stderr.contains("linear_regression"), "{}", r.stderr);
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    assert!(results["runs"][0]["metrics"]["accuracy"].as_f64().is_some());
    assert!(results["runs"][1]["error"].as_str().is_some());
}

/// The points of an SVG polyline.
fn polyline_points(n: &roxmltree::Node<'_, '_>) -> Vec<(f64, f64)> {
    n.attribute("points")
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|p| {
            let (x, y) = p.split_once(',')?;
            Some((x.parse().ok()?, y.parse().ok()?))
        })
        .collect()
}

/// `eval --plot` with `--retrain`: each drift is a vertical line, each warning a short tick
/// and each swap or reset a dot, at the x of its row on the chart's own axis (read off its tick
/// labels), for exactly the events `"events"` reports.
#[test]
fn plotted_events_sit_at_the_rows_eval_reports() {
    let svg = tmp("events.svg");
    let stream = "concept_drift_stream(stream=agrawal(classification_function=0,seed=1),\
                  drift_stream=agrawal(classification_function=4,seed=2),position=6000,width=200,\
                  seed=3)";
    let v = tw(&[
        "eval",
        "--model",
        "gaussian_nb",
        "--synth",
        stream,
        "--limit",
        "12000",
        "--retrain",
        "ddm",
        "--json",
        "--plot",
        svg.to_str().unwrap(),
    ])
    .json();
    let rows = v["rows"].as_u64().unwrap() as f64;
    let events = v["events"].as_array().unwrap();
    let rows_of = |kind: &str| -> Vec<f64> {
        events
            .iter()
            .filter(|e| e["kind"] == kind)
            .map(|e| e["row"].as_u64().unwrap() as f64 + 1.0)
            .collect()
    };
    let drifts = rows_of("drift");
    // What the wrapper did (a swap after a warning, else a reset) is a dot.
    let mut actions: Vec<f64> = ["swap", "reset", "refit"]
        .iter()
        .flat_map(|k| rows_of(k))
        .collect();
    actions.sort_by(f64::total_cmp);
    assert!(!drifts.is_empty(), "the stream should drift: {v}");

    let text = std::fs::read_to_string(&svg).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    // The x axis as drawn: its tick labels (`0`, `2k`, ...) and where they sit.
    let row_label = |t: &str| -> Option<f64> {
        let t = t.trim();
        let (num, scale) = match t.strip_suffix('k') {
            Some(n) => (n, 1e3),
            None => match t.strip_suffix('M') {
                Some(n) => (n, 1e6),
                None => (t, 1.0),
            },
        };
        (!num.contains('.') || scale > 1.0).then_some(())?;
        Some(num.parse::<f64>().ok()? * scale)
    };
    let ticks: Vec<(f64, f64)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text") && n.attribute("text-anchor") == Some("middle"))
        .filter_map(|n| Some((row_label(n.text()?)?, n.attribute("x")?.parse().ok()?)))
        .collect();
    assert!(ticks.len() >= 3, "x axis ticks: {ticks:?}");
    let (r0, x0) = ticks[0];
    let (r1, x1) = ticks[ticks.len() - 1];
    let x_of = |row: f64| x0 + (row - r0) * (x1 - x0) / (r1 - r0);
    // The first series' colour.
    let color = "#1F77B4";
    let lines: Vec<Vec<(f64, f64)>> = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .filter(|n| {
            n.attribute("stroke")
                .is_some_and(|s| s.eq_ignore_ascii_case(color))
        })
        .map(|n| polyline_points(&n))
        .collect();
    let curve = lines
        .iter()
        .max_by_key(|l| l.len())
        .expect("the curve is drawn");
    assert!(
        (curve[curve.len() - 1].0 - x_of(rows)).abs() <= 1.5,
        "the curve ends at the last row"
    );
    // Vertical lines: a drift's spans the plot, a warning's is a short tick.
    let vertical: Vec<(f64, f64)> = lines
        .iter()
        .filter(|l| l.len() == 2 && l[0].0 == l[1].0)
        .map(|l| (l[0].0, (l[0].1 - l[1].1).abs()))
        .collect();
    let tallest = vertical.iter().map(|v| v.1).fold(0.0, f64::max);
    let at = |tall: bool| {
        let mut xs: Vec<f64> = vertical
            .iter()
            .filter(|v| (v.1 > tallest / 2.0) == tall)
            .map(|v| v.0)
            .collect();
        xs.sort_by(f64::total_cmp);
        xs
    };
    for (xs, want, kind) in [
        (at(true), &drifts, "drift"),
        (at(false), &rows_of("warning"), "warning"),
    ] {
        assert_eq!(xs.len(), want.len(), "one line per {kind}");
        for (x, row) in xs.iter().zip(want) {
            assert!(
                (x - x_of(*row)).abs() <= 1.5,
                "{kind} at row {row} drawn at x {x}, expected {}",
                x_of(*row)
            );
        }
    }
    let mut dots: Vec<f64> = doc
        .descendants()
        .filter(|n| n.has_tag_name("circle"))
        .filter(|n| {
            n.attribute("fill")
                .is_some_and(|s| s.eq_ignore_ascii_case(color))
        })
        .filter_map(|n| n.attribute("cx")?.parse().ok())
        .collect();
    dots.sort_by(f64::total_cmp);
    assert!(!actions.is_empty());
    assert_eq!(dots.len(), actions.len(), "one dot per swap or reset");
    for (x, row) in dots.iter().zip(&actions) {
        assert!(
            (x - x_of(*row)).abs() <= 1.5,
            "swap or reset at row {row} drawn at x {x}"
        );
    }
}
