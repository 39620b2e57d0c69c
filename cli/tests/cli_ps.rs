//! `fit --workers N`: the batch fits that run in rounds, on the in-process parameter
//! server's workers, save the very model `fit` saves without them.

mod common;
use common::cli::{TempDir, tw};

/// The progress lines on stderr: `{"round", "objective", "seconds"}`, round 1 first, then
/// rounds in increasing order up to `rounds` at least 0.2 s apart, the objective a number.
fn progress_lines(stderr: &str, rounds: u64) {
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .filter(|l| l.starts_with("{\"round\""))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines.first().map(|l| &l["round"]),
        Some(&1.into()),
        "{stderr}"
    );
    let (mut round, mut seconds) = (0, f64::NEG_INFINITY);
    for l in &lines {
        let r = l["round"].as_u64().unwrap();
        let s = l["seconds"].as_f64().unwrap();
        assert!(r > round && r <= rounds, "{stderr}");
        assert!(s >= seconds + 0.2 || round == 0, "{stderr}");
        assert!(l["objective"].as_f64().is_some_and(f64::is_finite), "{l}");
        (round, seconds) = (r, s);
    }
}

/// `fit` with and without workers on a shipped data set: the same checkpoint bytes, and
/// `--json` reports the rounds and the workers.
fn same_model(test: &str, spec: &str, dataset: &str) {
    let dir = TempDir::new(test);
    let plain = dir.path("plain.tw");
    tw(&[
        "fit",
        "--model",
        spec,
        "--dataset",
        dataset,
        "--save",
        &plain,
    ])
    .ok();
    let want = std::fs::read(&plain).unwrap();
    for n in ["1", "2", "3"] {
        let on = dir.path(&format!("w{n}.tw"));
        let run = tw(&[
            "fit",
            "--model",
            spec,
            "--dataset",
            dataset,
            "--save",
            &on,
            "--workers",
            n,
            "--json",
        ]);
        let out = run.json();
        assert_eq!(out["workers"].as_u64(), Some(n.parse().unwrap()), "{out}");
        assert!(out["rounds"].as_u64().unwrap() > 2, "{out}");
        progress_lines(&run.stderr, out["rounds"].as_u64().unwrap());
        assert!(
            std::fs::read(&on).unwrap() == want,
            "{spec} on {dataset} with {n} workers saved another model"
        );
    }
    // Without --workers, --json says nothing of rounds, and stderr has no progress.
    let run = tw(&[
        "fit",
        "--model",
        spec,
        "--dataset",
        dataset,
        "--save",
        &plain,
        "--json",
    ]);
    assert!(!run.stderr.contains("{\"round\""), "{}", run.stderr);
    let out = run.json();
    assert!(
        out.get("rounds").is_none() && out.get("workers").is_none(),
        "{out}"
    );
}

#[test]
fn logistic_regression_on_workers_saves_fits_model() {
    // 49,097 rows: 24 blocks of rows, spread over the workers.
    same_model(
        "ps-logistic",
        "standard_scaler|logistic_regression(c=10)",
        "shuttle",
    );
}

#[test]
fn kmeans_on_workers_saves_fits_model() {
    // 5,300 rows: two blocks of the centers' sums.
    same_model(
        "ps-kmeans",
        "standard_scaler|kmeans(n_clusters=4)",
        "bananas",
    );
}

#[test]
fn softmax_regression_on_workers_saves_fits_model() {
    same_model("ps-softmax", "softmax_regression", "wine");
}

/// A regression CSV of `n` rows (`x0..x3`, `y`), features far from 0.
/// Uniform numbers in [0, 1) from a xorshift generator seeded with `state`.
fn uniform(mut state: u64) -> impl FnMut() -> f64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn regression_csv(dir: &TempDir, n: usize) -> String {
    let mut text = String::from("x0,x1,x2,x3,y\n");
    let mut u = uniform(0x853c_49e6_748f_ea9b);
    let mut next = || u() - 0.5;
    for _ in 0..n {
        let x: Vec<f64> = (0..4).map(|j| 100.0 * j as f64 + next()).collect();
        let y = 1.5 + 2.0 * x[0] - x[1] + 0.5 * x[3] + 0.1 * next();
        text.push_str(&format!("{},{},{},{},{y}\n", x[0], x[1], x[2], x[3]));
    }
    dir.write("reg.csv", &text)
}

/// The numbers `predict` prints for a model on a CSV.
fn predictions(model: &str, data: &str) -> Vec<f64> {
    tw(&["predict", "--load", model, "--data", data])
        .ok()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

#[test]
fn ridge_and_linear_regression_on_workers_and_processes() {
    let dir = TempDir::new("ps-regression");
    let data = regression_csv(&dir, 9_000);
    for spec in ["ridge(alpha=2)", "linear_regression"] {
        let fit = |save: &str, extra: &[&str]| {
            let mut a = vec!["fit", "--model", spec, "--data", &data, "--target", "y"];
            a.extend_from_slice(&["--save", save, "--json"]);
            a.extend_from_slice(extra);
            tw(&a)
        };
        let plain = dir.path("plain.tw");
        fit(&plain, &[]).ok();
        let w1 = dir.path("w1.tw");
        let run = fit(&w1, &["--workers", "1"]);
        let out = run.json();
        // Two rounds: the means, then the co-moments.
        assert_eq!(out["rounds"].as_u64(), Some(2), "{out}");
        progress_lines(&run.stderr, 2);
        let want = std::fs::read(&w1).unwrap();
        for n in ["2", "3"] {
            let on = dir.path(&format!("w{n}.tw"));
            fit(&on, &["--workers", n]).ok();
            assert!(
                std::fs::read(&on).unwrap() == want,
                "{spec} with {n} workers saved another model than with 1"
            );
        }
        // Two processes: the same model again.
        let (hosts, _) = host_file(&dir, 2);
        let (m0, m1) = (dir.path("p0.tw"), dir.path("p1.tw"));
        let args = |save: &str, i: &str| -> Vec<String> {
            [
                "fit",
                "--model",
                spec,
                "--data",
                &data,
                "--target",
                "y",
                "--save",
                save,
                "--hosts",
                &hosts,
                "--process",
                i,
            ]
            .iter()
            .map(|s| s.to_string())
            .collect()
        };
        let a1 = args(&m1, "1");
        let other = spawn(&a1.iter().map(String::as_str).collect::<Vec<_>>());
        let a0 = args(&m0, "0");
        tw(&a0.iter().map(String::as_str).collect::<Vec<_>>()).ok();
        assert!(other.wait_with_output().unwrap().status.success());
        assert!(
            std::fs::read(&m0).unwrap() == want,
            "{spec} on 2 processes saved another model than on workers"
        );
        // And `fit`'s predictions, to rounding.
        let (a, b) = (predictions(&plain, &data), predictions(&w1, &data));
        assert_eq!(a.len(), 9_000);
        assert_eq!(a.len(), b.len());
        for (p, q) in a.iter().zip(&b) {
            assert!(
                (p - q).abs() <= 1e-9 * p.abs().max(1.0),
                "{spec}: {p} against {q}"
            );
        }
    }
}

/// The accuracy of a saved classifier on a shipped data set (its predictions against the
/// labels `datasets export` prints last on each line).
fn accuracy(model: &str, dataset: &str) -> f64 {
    let predicted = tw(&["predict", "--load", model, "--dataset", dataset])
        .ok()
        .to_owned();
    let exported = tw(&["datasets", "export", dataset]).ok().to_owned();
    let truth: Vec<&str> = exported
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    let got: Vec<&str> = predicted.lines().skip(1).collect();
    assert_eq!(got.len(), truth.len(), "{predicted}");
    let right = got
        .iter()
        .zip(&truth)
        .filter(|(a, b)| a.trim() == b.trim())
        .count();
    right as f64 / truth.len() as f64
}

#[test]
fn staleness_trains_logistic_regression_by_sgd_rounds() {
    let dir = TempDir::new("ps-sgd");
    let spec = "standard_scaler|logistic_regression(optimizer=adagrad(lr=0.1))";
    let fit = |save: &str, staleness: &str| {
        tw(&[
            "fit",
            "--model",
            spec,
            "--dataset",
            "shuttle",
            "--save",
            save,
            "--workers",
            "2",
            "--staleness",
            staleness,
            "--batch-size",
            "64",
            "--epochs",
            "2",
            "--json",
        ])
    };
    // BSP (staleness 0): the same model twice.
    let (a, b) = (dir.path("bsp_a.tw"), dir.path("bsp_b.tw"));
    let run = fit(&a, "0");
    let out = run.json();
    // 49,097 rows on 2 workers: 384 mini-batches of 64 per worker and epoch.
    assert_eq!(out["rounds"].as_u64(), Some(768), "{out}");
    assert_eq!(out["workers"].as_u64(), Some(2), "{out}");
    progress_lines(&run.stderr, 768);
    fit(&b, "0").ok();
    assert!(
        std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(),
        "BSP is deterministic"
    );
    // SSP(2): a model that predicts as well as BSP's, to a point.
    let ssp = dir.path("ssp.tw");
    fit(&ssp, "2").ok();
    let (bsp_acc, ssp_acc) = (accuracy(&a, "shuttle"), accuracy(&ssp, "shuttle"));
    // The majority class of shuttle holds 78 % of the rows.
    assert!(bsp_acc > 0.9, "BSP accuracy {bsp_acc}");
    assert!(
        (bsp_acc - ssp_acc).abs() < 0.01,
        "{bsp_acc} against {ssp_acc}"
    );
    // Another model, or processes, or checkpoints: refused, naming the flag.
    let m = dir.path("m.tw");
    tw(&[
        "fit",
        "--model",
        "softmax_regression",
        "--dataset",
        "wine",
        "--save",
        &m,
        "--workers",
        "2",
        "--staleness",
        "1",
    ])
    .input_error(&["--staleness", "softmax_regression", "logistic_regression"]);
    tw(&[
        "fit",
        "--model",
        "logistic_regression(c=1)",
        "--dataset",
        "phishing",
        "--save",
        &m,
        "--workers",
        "2",
        "--staleness",
        "1",
    ])
    .input_error(&["`c`", "l2"]);
    for extra in [
        &["--staleness", "1"][..],
        &[
            "--workers",
            "2",
            "--staleness",
            "1",
            "--checkpoint-every",
            "2",
        ][..],
        &["--workers", "2", "--epochs", "2"][..],
    ] {
        let mut args = vec![
            "fit",
            "--model",
            "logistic_regression",
            "--dataset",
            "phishing",
            "--save",
            &m,
        ];
        args.extend_from_slice(extra);
        let r = tw(&args);
        assert_eq!(r.code, 2, "{extra:?}: {}", r.stderr);
    }
    assert!(!std::path::Path::new(&m).exists(), "nothing saved");
}

#[test]
fn workers_for_a_model_without_rounds_or_zero_workers_are_refused() {
    let dir = TempDir::new("ps-refused");
    let m = dir.path("m.tw");
    tw(&[
        "fit",
        "--model",
        "gaussian_nb",
        "--dataset",
        "phishing",
        "--save",
        &m,
        "--workers",
        "2",
    ])
    .input_error(&["--workers", "gaussian_nb", "logistic_regression"]);
    assert!(!std::path::Path::new(&m).exists(), "nothing saved");
    let r = tw(&[
        "fit",
        "--model",
        "logistic_regression",
        "--dataset",
        "phishing",
        "--save",
        &m,
        "--workers",
        "0",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--workers"), "{}", r.stderr);
}

/// A host file of `n` free loopback ports in `dir`.
fn host_file(dir: &TempDir, n: usize) -> (String, Vec<String>) {
    let listeners: Vec<_> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let addrs: Vec<String> = listeners
        .iter()
        .map(|l| l.local_addr().unwrap().to_string())
        .collect();
    drop(listeners);
    (dir.write("hosts.txt", &(addrs.join("\n") + "\n")), addrs)
}

/// Starts `tidewater` with `args` in the background.
fn spawn(args: &[&str]) -> std::process::Child {
    std::process::Command::new(common::cli::BIN)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Runs process 1 (`a1`) in the background and process 0 (`a0`, with `--json`) in the
/// foreground; both succeed with `--json`: returns their reports, which say two workers and
/// the same rounds.
fn run_pair(a0: &[String], a1: &[String]) -> (serde_json::Value, serde_json::Value) {
    let other = spawn(&a1.iter().map(String::as_str).collect::<Vec<_>>());
    let out = tw(&a0.iter().map(String::as_str).collect::<Vec<_>>()).json();
    let other = other.wait_with_output().unwrap();
    assert!(
        other.status.success(),
        "{}",
        String::from_utf8_lossy(&other.stderr)
    );
    let out1: serde_json::Value = serde_json::from_slice(&other.stdout).unwrap();
    assert_eq!(out["workers"].as_u64(), Some(2), "{out}");
    assert_eq!(
        out["rounds"], out1["rounds"],
        "both processes ran the same rounds"
    );
    (out, out1)
}

#[test]
fn two_processes_on_a_host_file_save_fits_model() {
    let dir = TempDir::new("ps-processes");
    let spec = "standard_scaler|logistic_regression(c=10)";
    let plain = dir.path("plain.tw");
    tw(&[
        "fit",
        "--model",
        spec,
        "--dataset",
        "shuttle",
        "--save",
        &plain,
    ])
    .ok();
    let (hosts, _) = host_file(&dir, 2);
    let (m0, m1) = (dir.path("p0.tw"), dir.path("p1.tw"));
    let fit = |save: &str, i: &str| {
        vec![
            "fit".to_owned(),
            "--model".into(),
            spec.into(),
            "--dataset".into(),
            "shuttle".into(),
            "--save".into(),
            save.into(),
            "--hosts".into(),
            hosts.clone(),
            "--process".into(),
            i.into(),
            "--json".into(),
        ]
    };
    let (_, out1) = run_pair(&fit(&m0, "0"), &fit(&m1, "1"));
    assert_eq!(out1["saved"].as_bool(), Some(false), "{out1}");
    assert!(
        std::fs::read(&m0).unwrap() == std::fs::read(&plain).unwrap(),
        "process 0 saved another model than fit"
    );
    assert!(
        !std::path::Path::new(&m1).exists(),
        "process 1 writes nothing"
    );
}

#[test]
fn a_missing_process_and_another_job_are_named() {
    let dir = TempDir::new("ps-processes-bad");
    let (hosts, addrs) = host_file(&dir, 2);
    let m = dir.path("m.tw");
    tw(&[
        "fit",
        "--model",
        "logistic_regression",
        "--dataset",
        "phishing",
        "--save",
        &m,
        "--hosts",
        &hosts,
        "--process",
        "1",
        "--connect-timeout",
        "0.5",
    ])
    .input_error(&["process 0", &addrs[0]]);
    // The same data, another spec: both processes stop at start-up.
    let other = spawn(&[
        "fit",
        "--model",
        "logistic_regression(c=2)",
        "--dataset",
        "phishing",
        "--save",
        &m,
        "--hosts",
        &hosts,
        "--process",
        "1",
    ]);
    tw(&[
        "fit",
        "--model",
        "logistic_regression",
        "--dataset",
        "phishing",
        "--save",
        &m,
        "--hosts",
        &hosts,
        "--process",
        "0",
    ])
    .input_error(&["another job", "c=2"]);
    let other = other.wait_with_output().unwrap();
    assert_eq!(other.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&other.stderr).contains("another job"));
    assert!(!std::path::Path::new(&m).exists());
}

#[test]
fn a_process_lost_mid_training_stops_the_other_naming_it() {
    // L-BFGS rounds, then SGD rounds (each process a worker).
    lost_mid_training(
        "ps-processes-lost",
        "logistic_regression(c=1000,max_iter=100000,tol=1e-14)",
        &[],
    );
    lost_mid_training(
        "ps-processes-lost-sgd",
        "logistic_regression(optimizer=adagrad(lr=0.1))",
        &["--staleness", "1", "--batch-size", "8", "--epochs", "50"],
    );
}

/// Two processes fit `spec` (with `extra` flags) on shuttle, every round 20 ms longer;
/// process 1 is killed mid-training: process 0 stops, exit 2, naming it.
fn lost_mid_training(name: &str, spec: &'static str, extra: &'static [&'static str]) {
    let dir = TempDir::new(name);
    let (hosts, addrs) = host_file(&dir, 2);
    let m = dir.path("m.tw");
    let args = |i: &'static str| {
        vec![
            "fit".to_owned(),
            "--model".into(),
            spec.into(),
            "--dataset".into(),
            "shuttle".into(),
            "--save".into(),
            m.clone(),
            "--hosts".into(),
            hosts.clone(),
            "--process".into(),
            i.into(),
        ]
        .into_iter()
        .chain(extra.iter().map(|s| s.to_string()))
        .collect::<Vec<String>>()
    };
    let run = |i: &'static str| {
        std::process::Command::new(common::cli::BIN)
            .args(args(i))
            // Every round 20 ms longer: the job lasts long enough to be cut.
            .env("TIDEWATER_TEST_ROUND_DELAY_MS", "20")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut victim = run("1");
    let survivor = run("0");
    std::thread::sleep(std::time::Duration::from_millis(2500));
    victim.kill().unwrap();
    victim.wait().unwrap();
    let started = std::time::Instant::now();
    let out = survivor.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("process 1") && err.contains(&addrs[1]) && err.contains("lost"),
        "{err}"
    );
    // Besides the progress lines, one line: no panic messages.
    let other: Vec<&str> = err
        .lines()
        .filter(|l| !l.starts_with("{\"round\""))
        .collect();
    assert_eq!(other.len(), 1, "one line, no panic messages: {err}");
    assert!(
        other[0].contains("lost"),
        "the error is the last line: {err}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert!(!std::path::Path::new(&m).exists(), "nothing saved");
}

#[test]
fn two_processes_cut_after_a_checkpoint_resume_to_the_uninterrupted_model() {
    cut_and_resume(
        "ps-processes-resume",
        "logistic_regression(c=1000,max_iter=100000,tol=1e-14)",
        "5",
    );
}

#[test]
fn two_processes_cut_in_a_kmeans_fit_resume_to_the_uninterrupted_model() {
    // Several runs from random rows, to a tight tolerance: the cut falls inside a run, and
    // the resumed fit must also bring back the best of the runs before it.
    cut_and_resume(
        "ps-kmeans-resume",
        "kmeans(n_clusters=8,init=random,n_init=5,tol=1e-12,seed=3)",
        "2",
    );
}

/// Two processes fit `spec` on shuttle with a checkpoint every `every` iterations, slowed,
/// and process 1 is killed once both hold two checkpoints; the same commands with
/// `--resume` must then write `fit`'s model, byte for byte, and remove the checkpoints.
fn cut_and_resume(name: &str, spec: &str, every: &str) {
    let dir = TempDir::new(name);
    let plain = dir.path("plain.tw");
    tw(&[
        "fit",
        "--model",
        spec,
        "--dataset",
        "shuttle",
        "--save",
        &plain,
    ])
    .ok();
    let (hosts, _) = host_file(&dir, 2);
    let m = dir.path("m.tw");
    let args = |i: &str, resume: bool| {
        let mut a = vec![
            "fit".to_owned(),
            "--model".into(),
            spec.into(),
            "--dataset".into(),
            "shuttle".into(),
            "--save".into(),
            m.clone(),
            "--hosts".into(),
            hosts.clone(),
            "--process".into(),
            i.into(),
            "--checkpoint-every".into(),
            every.into(),
            "--json".into(),
        ];
        if resume {
            a.push("--resume".into());
        }
        a
    };
    let start = |i: &str, resume: bool, delay: &str| {
        std::process::Command::new(common::cli::BIN)
            .args(args(i, resume))
            .env("TIDEWATER_TEST_ROUND_DELAY_MS", delay)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    // The first run, slowed, cut by killing process 1 once both hold checkpoints.
    let mut victim = start("1", false, "20");
    let survivor = start("0", false, "20");
    let ckpts = |p: &str| {
        std::fs::read_dir(&dir.0)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with(&format!("m.tw.{p}.")) && n.ends_with(".ckpt"))
            .count()
    };
    let t0 = std::time::Instant::now();
    while ckpts("p0") < 2 || ckpts("p1") < 2 {
        assert!(t0.elapsed().as_secs() < 60, "no checkpoints appeared");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    victim.kill().unwrap();
    victim.wait().unwrap();
    let cut = survivor.wait_with_output().unwrap();
    assert_eq!(
        cut.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&cut.stderr)
    );
    assert!(!std::path::Path::new(&m).exists());
    // The same command with --resume, at full speed: the uninterrupted model.
    // Each process's output is read as it comes (a full pipe would stall it and its peer).
    let other = start("1", true, "0");
    let other = std::thread::spawn(move || other.wait_with_output().unwrap());
    let done = start("0", true, "0").wait_with_output().unwrap();
    let other = other.join().unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(
        other.status.success(),
        "{}",
        String::from_utf8_lossy(&other.stderr)
    );
    assert!(
        std::fs::read(&m).unwrap() == std::fs::read(&plain).unwrap(),
        "the resumed model differs from fit's"
    );
    assert_eq!(
        ckpts("p0") + ckpts("p1"),
        0,
        "checkpoints removed after the job"
    );
}

/// Splits a CSV file's rows after `cut` data rows into two files, each with the header.
fn split_csv(dir: &TempDir, path: &str, cut: usize) -> (String, String) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    let part =
        |name: &str, rows: &[&str]| dir.write(name, &format!("{header}\n{}\n", rows.join("\n")));
    (
        part("part0.csv", &rows[..cut]),
        part("part1.csv", &rows[cut..]),
    )
}

/// A binary classification CSV of `n` rows, features of unit scale.
fn classification_csv(dir: &TempDir, n: usize) -> String {
    let mut text = String::from("a,b,c,label\n");
    let mut u = uniform(0x2545_f491_4f6c_dd1d);
    let mut next = || u() * 2.0 - 1.0;
    for _ in 0..n {
        let x = [next(), 2.0 * next(), 0.5 * next()];
        let z = 0.2 + x[0] - 0.7 * x[1] + 1.5 * x[2] + 0.8 * next();
        let label = if z > 0.0 { "yes" } else { "no" };
        text.push_str(&format!("{},{},{},{label}\n", x[0], x[1], x[2]));
    }
    dir.write("class.csv", &text)
}

/// Every number `predict --proba` prints for a model on a CSV (labels skipped).
fn probabilities(model: &str, data: &str) -> Vec<f64> {
    tw(&["predict", "--load", model, "--data", data, "--proba"])
        .ok()
        .lines()
        .skip(1)
        .flat_map(|l| l.split(',').filter_map(|c| c.trim().parse().ok()))
        .collect()
}

#[test]
fn processes_on_their_own_files_fit_the_model_of_all_the_rows() {
    let dir = TempDir::new("ps-own-rows");
    let reg = regression_csv(&dir, 9_000);
    let class = classification_csv(&dir, 12_000);
    for (spec, data, target, cut) in [
        ("ridge(alpha=2)", &reg, "y", 4_000),
        ("logistic_regression(c=10)", &class, "label", 7_000),
    ] {
        let plain = dir.path("plain.tw");
        tw(&[
            "fit", "--model", spec, "--data", data, "--target", target, "--save", &plain,
        ])
        .ok();
        let (part0, part1) = split_csv(&dir, data, cut);
        let (hosts, _) = host_file(&dir, 2);
        let (m0, m1) = (dir.path("own0.tw"), dir.path("own1.tw"));
        let args = |part: &str, save: &str, i: &str| -> Vec<String> {
            [
                "fit",
                "--model",
                spec,
                "--data",
                part,
                "--target",
                target,
                "--save",
                save,
                "--hosts",
                &hosts,
                "--process",
                i,
                "--own-rows",
                "--json",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect()
        };
        let (out, _) = run_pair(&args(&part0, &m0, "0"), &args(&part1, &m1, "1"));
        // Each process read its own rows only.
        assert_eq!(out["rows"].as_u64(), Some(cut as u64), "{out}");
        assert!(
            !std::path::Path::new(&m1).exists(),
            "process 1 writes nothing"
        );
        let (want, got) = if target == "y" {
            (predictions(&plain, data), predictions(&m0, data))
        } else {
            (probabilities(&plain, data), probabilities(&m0, data))
        };
        assert!(want.len() >= 9_000, "{spec}: {} numbers", want.len());
        assert_eq!(want.len(), got.len());
        for (p, q) in want.iter().zip(&got) {
            assert!(
                (p - q).abs() <= 1e-9 * p.abs().max(1.0),
                "{spec}: {p} against {q}"
            );
        }
    }
    // Refused before any data is read: transformers, and k-means.
    let (hosts, _) = host_file(&dir, 2);
    let m = dir.path("m.tw");
    for (spec, needle) in [
        ("standard_scaler|logistic_regression", "the model alone"),
        ("kmeans(n_clusters=2)", "every row on every process"),
    ] {
        tw(&[
            "fit",
            "--model",
            spec,
            "--data",
            &class,
            "--target",
            "label",
            "--save",
            &m,
            "--hosts",
            &hosts,
            "--process",
            "0",
            "--own-rows",
        ])
        .input_error(&["--own-rows", needle]);
    }
}

#[test]
fn staleness_on_two_processes_is_the_sgd_of_two_workers() {
    let dir = TempDir::new("ps-sgd-processes");
    let spec = "standard_scaler|logistic_regression(optimizer=adagrad(lr=0.1))";
    let common = |save: &str| -> Vec<String> {
        [
            "fit",
            "--model",
            spec,
            "--dataset",
            "shuttle",
            "--save",
            save,
            "--batch-size",
            "64",
            "--epochs",
            "2",
            "--json",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let threads = dir.path("threads.tw");
    let mut a = common(&threads);
    a.extend(["--workers", "2", "--staleness", "0"].map(String::from));
    tw(&a.iter().map(String::as_str).collect::<Vec<_>>()).ok();
    for staleness in ["0", "2"] {
        let (hosts, _) = host_file(&dir, 2);
        let (m0, m1) = (dir.path("p0.tw"), dir.path("p1.tw"));
        let args = |save: &str, i: &str| {
            let mut a = common(save);
            a.extend(
                ["--hosts", &hosts, "--process", i, "--staleness", staleness].map(String::from),
            );
            a
        };
        let (out, _) = run_pair(&args(&m0, "0"), &args(&m1, "1"));
        // 49,097 rows on 2 processes: 384 mini-batches of 64 per process and epoch.
        assert_eq!(out["rounds"].as_u64(), Some(768), "{out}");
        assert!(
            !std::path::Path::new(&m1).exists(),
            "process 1 writes nothing"
        );
        if staleness == "0" {
            // Under BSP each round's pushes land in process order, as the threads' land in
            // worker order: the same model file.
            assert!(
                std::fs::read(&m0).unwrap() == std::fs::read(&threads).unwrap(),
                "BSP on 2 processes saved another model than on 2 workers"
            );
        } else {
            let (bsp, ssp) = (accuracy(&threads, "shuttle"), accuracy(&m0, "shuttle"));
            assert!(bsp > 0.9 && (bsp - ssp).abs() < 0.01, "{bsp} against {ssp}");
        }
    }
    // Each process on its own rows takes no SGD rounds.
    let (hosts, _) = host_file(&dir, 2);
    let mut a = common(&dir.path("m.tw"));
    a.extend(
        [
            "--hosts",
            &hosts,
            "--process",
            "0",
            "--staleness",
            "1",
            "--own-rows",
        ]
        .map(String::from),
    );
    let r = tw(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(r.code, 2, "{}", r.stderr);
}
