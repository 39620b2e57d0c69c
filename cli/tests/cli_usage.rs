//! The command line as a new user meets it: standard input and pipes, several files, `--limit`
//! everywhere, `--bits` kept in the model, overflow and long cells in errors, reports of `fit`
//! and `learn`, usage and suggestions, and `list`'s columns.

mod common;
use common::cli::{TempDir, tw, tw_stdin};

/// The shipped iris data set as CSV text (150 rows).
fn iris() -> String {
    tw(&["datasets", "export", "iris"]).ok().to_owned()
}

#[test]
fn standard_input_and_pipes_read_every_row() {
    let text = iris();
    let out = tw_stdin(
        &["eval", "--model", "gaussian_nb", "--data", "-", "--json"],
        text.as_bytes(),
    )
    .json();
    assert_eq!(out["rows"], 150, "{out}");
    let out = tw_stdin(
        &[
            "eval",
            "--model",
            "gaussian_nb",
            "--data",
            "/dev/stdin",
            "--json",
        ],
        text.as_bytes(),
    )
    .json();
    assert_eq!(out["rows"], 150, "{out}");
    // The same rows as from the file, to the last metric.
    let dir = TempDir::new("stdin");
    let file = dir.write("iris.csv", &text);
    let from_file = tw(&["eval", "--model", "gaussian_nb", "--data", &file, "--json"]).json();
    assert_eq!(out["metrics"], from_file["metrics"]);
    // A FIFO is read to its end too.
    let fifo = dir.path("iris-fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let writer = {
            let (fifo, text) = (fifo.clone(), text.clone());
            std::thread::spawn(move || std::fs::write(fifo, text))
        };
        let out = tw(&["eval", "--model", "gaussian_nb", "--data", &fifo, "--json"]).json();
        writer.join().unwrap().unwrap();
        assert_eq!(out["rows"], 150, "{out}");
    }
    // fit and predict from standard input as well.
    let model = dir.path("m.tw");
    let fit = tw_stdin(
        &[
            "fit",
            "--model",
            "gaussian_nb",
            "--data",
            "-",
            "--save",
            &model,
            "--json",
        ],
        text.as_bytes(),
    )
    .json();
    assert_eq!(fit["rows"], 150, "{fit}");
    let pred = tw_stdin(
        &["predict", "--load", &model, "--data", "-", "--json"],
        text.as_bytes(),
    )
    .json();
    assert_eq!(pred["rows"], 150);
}

#[test]
fn empty_input_on_a_pipe_is_an_error_not_zero_rows() {
    tw_stdin(
        &["eval", "--model", "gaussian_nb", "--data", "-", "--json"],
        b"",
    )
    .input_error(&["empty"]);
    tw_stdin(
        &["eval", "--model", "gaussian_nb", "--data", "-", "--json"],
        b"a,y\n",
    )
    .input_error(&["no data rows"]);
}

#[test]
fn several_files_after_one_data_flag_are_one_stream() {
    let dir = TempDir::new("several");
    let text = iris();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    let a = dir.write("a.csv", &format!("{header}\n{}\n", rows[..70].join("\n")));
    let b = dir.write("b.csv", &format!("{header}\n{}\n", rows[70..].join("\n")));
    let listed = tw(&["eval", "--model", "gaussian_nb", "--data", &a, &b, "--json"]).json();
    let repeated = tw(&[
        "eval",
        "--model",
        "gaussian_nb",
        "--data",
        &a,
        "--data",
        &b,
        "--json",
    ])
    .json();
    assert_eq!(listed["rows"], 150);
    assert_eq!(listed["metrics"], repeated["metrics"]);
}

#[test]
fn limit_bounds_every_command_that_reads_data() {
    let dir = TempDir::new("limit");
    let model = dir.path("m.tw");
    let fit = tw(&[
        "fit",
        "--model",
        "gaussian_nb",
        "--dataset",
        "iris",
        "--limit",
        "40",
        "--save",
        &model,
        "--json",
    ])
    .json();
    assert_eq!(fit["rows"], 40, "{fit}");
    let learned = dir.path("l.tw");
    let learn = tw(&[
        "learn",
        "--load",
        &model,
        "--dataset",
        "iris",
        "--limit",
        "25",
        "--save",
        &learned,
        "--json",
    ])
    .json();
    assert_eq!(learn["rows"], 25, "{learn}");
    let pred = tw(&[
        "predict",
        "--load",
        &learned,
        "--dataset",
        "iris",
        "--limit",
        "7",
        "--json",
    ])
    .json();
    assert_eq!(pred["rows"], 7);
    let scaler = dir.path("s.tw");
    tw(&[
        "fit",
        "--model",
        "standard_scaler",
        "--dataset",
        "iris",
        "--save",
        &scaler,
    ])
    .ok();
    let tr = tw(&[
        "transform",
        "--load",
        &scaler,
        "--dataset",
        "iris",
        "--limit",
        "3",
        "--json",
    ])
    .json();
    assert_eq!(tr["rows"], 3);
    let ev = tw(&[
        "eval",
        "--model",
        "gaussian_nb",
        "--dataset",
        "iris",
        "--limit",
        "11",
        "--json",
    ])
    .json();
    assert_eq!(ev["rows"], 11);
}

#[test]
fn fit_and_learn_report_rows_and_times() {
    let dir = TempDir::new("report");
    let model = dir.path("m.tw");
    let out = tw(&[
        "fit",
        "--model",
        "gaussian_nb",
        "--dataset",
        "iris",
        "--save",
        &model,
        "--json",
    ])
    .json();
    let keys: Vec<&str> = out
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["model", "rows", "skipped", "read_seconds", "train_seconds"]
    );
    assert_eq!(out["model"], "gaussian_nb");
    assert_eq!(out["rows"], 150);
    assert_eq!(out["skipped"], 0);
    assert!(out["read_seconds"].as_f64().unwrap() >= 0.0);
    assert!(out["train_seconds"].as_f64().unwrap() >= 0.0);
    // Without --json: nothing on stdout, one line on stderr.
    let plain = tw(&[
        "learn",
        "--model",
        "gaussian_nb",
        "--dataset",
        "iris",
        "--save",
        &model,
    ]);
    assert!(plain.ok().is_empty());
    assert!(
        plain.stderr.contains("150 rows (0 skipped)"),
        "{}",
        plain.stderr
    );
    // Skipped rows are counted.
    let bad = dir.write("bad.csv", "a,y\n1,0\nx,1\n2,1\n");
    let out = tw(&[
        "learn",
        "--model",
        "gaussian_nb",
        "--data",
        &bad,
        "--save",
        &model,
        "--on-error",
        "skip",
        "--json",
    ])
    .json();
    assert_eq!(
        (out["rows"].as_u64(), out["skipped"].as_u64()),
        (Some(3), Some(1)),
        "{out}"
    );
}

#[test]
fn the_hash_bits_are_saved_with_the_model() {
    let dir = TempDir::new("bits");
    let vw = dir.write("d.vw", "1 |f 3:1 900:1\n-1 |f 5:1 1000:1\n1 |f 3:1 7:1\n");
    let model = dir.path("m.tw");
    tw(&[
        "fit", "--model", "ftrl", "--data", &vw, "--bits", "10", "--save", &model,
    ])
    .ok();
    // Predicting needs no --bits: the model says 10.
    let a = tw(&[
        "predict", "--load", &model, "--data", &vw, "--proba", "--json",
    ])
    .json();
    let b = tw(&[
        "predict", "--load", &model, "--data", &vw, "--bits", "10", "--proba", "--json",
    ])
    .json();
    assert_eq!(a, b);
    // Another --bits would hash the rows otherwise: refused, naming both.
    tw(&["predict", "--load", &model, "--data", &vw, "--bits", "12"])
        .input_error(&["--bits 12", "10"]);
    // Learning on keeps the bits.
    let more = dir.path("more.tw");
    tw(&["learn", "--load", &model, "--data", &vw, "--save", &more]).ok();
    tw(&["predict", "--load", &more, "--data", &vw, "--bits", "11"]).input_error(&["10"]);
}

#[test]
fn transform_of_sparse_rows_names_every_column_it_writes() {
    let dir = TempDir::new("sparse_transform");
    let svm = dir.write("d.svm", "1 1:0.5 3:2\n0 2:1 4:1\n1 1:1 4:3\n");
    let model = dir.path("s.tw");
    tw(&[
        "fit",
        "--model",
        "max_abs_scaler",
        "--data",
        &svm,
        "--bits",
        "3",
        "--save",
        &model,
    ])
    .ok();
    let out = tw(&["transform", "--load", &model, "--data", &svm, "--json"]).json();
    let columns = out["columns"].as_array().unwrap();
    assert_eq!(columns.len(), 8, "{out}");
    assert_eq!(columns[0], "f0");
    for row in out["values"].as_array().unwrap() {
        assert_eq!(row.as_array().unwrap().len(), columns.len());
    }
    let csv = tw(&["transform", "--load", &model, "--data", &svm])
        .ok()
        .to_owned();
    let widths: Vec<usize> = csv.lines().map(|l| l.split(',').count()).collect();
    assert!(widths.iter().all(|&w| w == 8), "{csv}");
}

#[test]
fn an_overflowing_transform_is_an_error_naming_the_place_and_the_value() {
    let dir = TempDir::new("overflow");
    let train = dir.write("train.csv", "a,b\n0.1,2\n0.2,3\n0.3,4\n");
    let data = dir.write("big.csv", "a,b\n0.1,2\n-1e308,3\n");
    let scaler = dir.path("s.tw");
    tw(&[
        "fit",
        "--model",
        "standard_scaler",
        "--data",
        &train,
        "--save",
        &scaler,
    ])
    .ok();
    for json in [true, false] {
        let mut args = vec!["transform", "--load", &scaler, "--data", &data];
        if json {
            args.push("--json");
        }
        tw(&args).input_error(&["big.csv:3", "column `a`", "-1e308"]);
    }
    let reg = dir.path("r.tw");
    tw(&[
        "fit",
        "--model",
        "standard_scaler|linear_regression",
        "--data",
        &train,
        "--target",
        "b",
        "--save",
        &reg,
    ])
    .ok();
    tw(&["predict", "--load", &reg, "--data", &data]).input_error(&[
        "big.csv:3",
        "column `a`",
        "-1e308",
    ]);
    // Skipped rows keep the output aligned, and nothing is NaN or null but the skipped row.
    let out = tw(&[
        "transform",
        "--load",
        &scaler,
        "--data",
        &data,
        "--json",
        "--on-error",
        "skip",
    ])
    .json();
    assert_eq!(out["values"][1], serde_json::Value::Null);
    assert!(
        out["values"][0]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v.is_number())
    );
}

#[test]
fn messages_quote_at_most_about_eighty_characters_of_a_cell() {
    let dir = TempDir::new("long_cell");
    let long = "x".repeat(5000);
    let data = dir.write("d.csv", &format!("a,y\n1,0\n{long},1\n"));
    let line = tw(&["eval", "--model", "gaussian_nb", "--data", &data])
        .input_error(&["d.csv:3", "column `a`"]);
    assert!(line.len() < 250, "{} characters: {line}", line.len());
}

#[test]
fn no_subcommand_prints_usage_and_flags_get_suggestions() {
    for args in [&[][..], &["datasets"]] {
        let run = tw(args);
        assert_eq!(run.code, 2, "{args:?}");
        assert!(run.stderr.contains("Usage:"), "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty());
    }
    tw(&["eval", "--modle", "gaussian_nb"]).input_error(&["--modle", "--model"]);
    tw(&["eval", "--model", "gaussian_nb(var_smothing=1)"])
        .input_error(&["var_smothing", "known: var_smoothing"]);
    tw(&[
        "eval",
        "--model",
        "ridge(alpha=-1)",
        "--dataset",
        "diabetes",
    ])
    .input_error(&["alpha", "a number >= 0", "-1"]);
}

#[test]
fn list_aligns_its_columns() {
    let out = tw(&["list"]).ok().to_owned();
    // Every component line: two spaces, the name padded to one width, then the summary.
    let offsets: Vec<usize> = out
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .map(|l| {
            let name_end = 2 + l[2..].find(' ').unwrap_or(l.len() - 2);
            name_end + l[name_end..].len() - l[name_end..].trim_start().len()
        })
        .collect();
    assert!(offsets.len() > 40, "{out}");
    assert!(offsets.iter().all(|&o| o == offsets[0]), "{offsets:?}");
    // The longest name is followed by exactly two spaces.
    let longest = out
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l[2..].split(' ').next())
        .max_by_key(|n| n.len())
        .unwrap();
    assert!(
        out.contains(&format!("  {longest}  ")) && !out.contains(&format!("  {longest}   ")),
        "no two-space gap after {longest}"
    );
}
