//! The real-time loop end to end: `learn --follow --publish` and `serve --model-dir` as
//! processes, a swap under load, a publisher killed at random moments, SIGTERM and
//! `--resume`, and what a hostile client can send.

mod common;
use common::cli::{BIN, TempDir, tw};
use common::http::Server;

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tidewater::registry::{AnyModel, SavedModel};
use tidewater::{Classifier, Row};

/// A small deterministic generator (xorshift64*), for the tests' random choices.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn spawn(args: &[&str]) -> Child {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"))
}

fn sigterm(child: &Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -TERM failed");
}

/// Waits for a child, at most `limit`; kills it and fails after that.
fn wait_for(child: &mut Child, limit: Duration) -> (i32, String, String) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut out = String::new();
            let mut err = String::new();
            use std::io::Read;
            child
                .stdout
                .take()
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            return (status.code().unwrap_or(-1), out, err);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("the program did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Polls `cond` every few milliseconds for at most `limit`.
fn eventually(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The phishing data set as CSV lines: the header, then the rows.
fn phishing() -> (String, Vec<String>) {
    let out = tw(&["datasets", "export", "phishing"]);
    let mut lines = out.ok().lines().map(str::to_owned);
    let header = lines.next().unwrap();
    (header, lines.collect())
}

fn append(path: &str, lines: &[String]) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    let mut text = lines.join("\n");
    text.push('\n');
    f.write_all(text.as_bytes()).unwrap();
}

/// The features of a phishing row (the target is last).
fn features(line: &str) -> Vec<f64> {
    let mut v: Vec<f64> = line.split(',').map(|f| f.parse().unwrap()).collect();
    v.pop();
    v
}

/// What version `v` of a model directory predicts for `x`: class probabilities.
fn proba_of(dir: &str, v: u64, x: &[f64]) -> Vec<f64> {
    let saved = SavedModel::load(std::path::Path::new(&format!("{dir}/{v}.tw"))).unwrap();
    let AnyModel::Classifier(m) = &saved.model else {
        panic!("a classifier")
    };
    let mut p = vec![0.0; m.classes().len()];
    m.predict_proba_into(Row::Dense(x), &mut p).unwrap();
    p
}

/// `learn --follow --publish` of logistic regression on a new `data.csv` in `dir` (the
/// header and `warm` rows written), a version every `every` rows, with `extra` flags; waits
/// for the warm rows' versions. Returns the data file, the model directory and the learner.
fn follow_and_publish(
    dir: &TempDir,
    header: &str,
    rows: &[String],
    warm: usize,
    every: usize,
    extra: &[&str],
) -> (String, String, Child) {
    let data = dir.path("data.csv");
    std::fs::write(&data, format!("{header}\n")).unwrap();
    append(&data, &rows[..warm]);
    let models = dir.path("models");
    let every_text = every.to_string();
    let mut args = vec![
        "learn",
        "--model",
        "logistic_regression",
        "--data",
        &data,
        "--follow",
        "--publish",
        &models,
        "--every",
        &every_text,
    ];
    args.extend_from_slice(extra);
    let learner = spawn(&args);
    let latest = format!("{models}/LATEST");
    let want = (warm / every).to_string();
    eventually(Duration::from_secs(30), "the first versions", || {
        std::fs::read_to_string(&latest).is_ok_and(|t| t.trim() == want)
    });
    (data, models, learner)
}

#[test]
fn follow_publish_and_serve_end_to_end() {
    let dir = TempDir::new("serve-e2e");
    let (header, rows) = phishing();
    let (data, models, mut learner) =
        follow_and_publish(&dir, &header, &rows, 100, 10, &["--json"]);
    let server = Server::start(BIN, &["--model-dir", &models]);
    let agent = Server::agent();
    let (code, health) = server.get(&agent, "/health");
    assert_eq!((code, &health["status"]), (200, &json!("ok")), "{health}");
    let (_, m) = server.get(&agent, "/model");
    let before = m["version"].as_u64().unwrap();
    assert_eq!(m["spec"], "logistic_regression");
    assert_eq!(m["rows_seen"].as_u64().unwrap(), before * 10, "{m}");

    // Rows appended to the file reach the served model.
    append(&data, &rows[100..300]);
    let mut now = Value::Null;
    eventually(
        Duration::from_secs(30),
        "the served version to advance",
        || {
            now = server.get(&agent, "/model").1;
            now["rows_seen"] == json!(300)
        },
    );
    let v = now["version"].as_u64().unwrap();
    assert!(v > before, "{now}");
    assert_eq!(v, 30, "one version every 10 rows: {now}");
    let x = features(&rows[0]);
    let body = json!({ "rows": [x] }).to_string();
    let (code, p) = server.post(
        &agent,
        "/predict?proba=true",
        "application/json",
        body.as_bytes(),
        None,
    );
    assert_eq!(code, 200, "{p}");
    assert_eq!(p["version"].as_u64(), Some(v), "{p}");
    let want = proba_of(&models, v, &x);
    assert_eq!(p["proba"][0], json!(want), "the newest version's answer");

    // SIGTERM: the learner publishes what it has, saves nothing else, and exits 0.
    sigterm(&learner);
    let (code, out, err) = wait_for(&mut learner, Duration::from_secs(30));
    assert_eq!(code, 0, "{out}{err}");
    let report: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(report["rows"], 300, "{report}");
    assert_eq!(report["version"], 30, "{report}");
}

#[test]
fn predictions_never_fail_or_tear_while_versions_are_swapped_under_load() {
    const CONNECTIONS: usize = 16;
    const PER_CONNECTION: usize = 3200; // 51,200 predictions in all
    let dir = TempDir::new("serve-load");
    let (header, rows) = phishing();
    let (data, models, mut learner) =
        follow_and_publish(&dir, &header, &rows, 20, 2, &["--keep", "100000"]);
    let latest = format!("{models}/LATEST");
    let server = std::sync::Arc::new(Server::start(BIN, &["--model-dir", &models]));
    let x = features(&rows[0]);
    let body = json!({ "rows": [x] }).to_string();
    let latest_now = || -> u64 {
        std::fs::read_to_string(&latest)
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0)
    };
    let at_start = latest_now();
    // The clients go on until each sent its share and 100 versions were published since
    // the load began.
    let enough = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (server, body, done, enough) = (
                std::sync::Arc::clone(&server),
                body.clone(),
                std::sync::Arc::clone(&done),
                std::sync::Arc::clone(&enough),
            );
            std::thread::spawn(move || {
                let agent = Server::agent();
                let mut seen = Vec::with_capacity(PER_CONNECTION);
                let mut last = 0;
                let mut latency = Vec::with_capacity(PER_CONNECTION);
                while seen.len() < PER_CONNECTION
                    || !enough.load(std::sync::atomic::Ordering::Relaxed)
                {
                    let t = Instant::now();
                    let (code, p) = server.post(
                        &agent,
                        "/predict?proba=true",
                        "application/json",
                        body.as_bytes(),
                        None,
                    );
                    latency.push(t.elapsed());
                    assert_eq!(code, 200, "a failed prediction: {p}");
                    let v = p["version"].as_u64().unwrap();
                    assert!(v >= last, "the version went back from {last} to {v}");
                    last = v;
                    seen.push((v, p["proba"][0].clone()));
                }
                done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                (seen, latency)
            })
        })
        .collect();
    // New versions while the load runs: two rows at a time, each a version.
    let mut next = 20;
    while done.load(std::sync::atomic::Ordering::Relaxed) < CONNECTIONS {
        // The data set again from its start when it runs out.
        let at = next % (rows.len() - 1);
        append(&data, &rows[at..at + 2]);
        next += 2;
        std::thread::sleep(Duration::from_millis(3));
        if latest_now() >= at_start + 100 {
            enough.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
    let published = latest_now() - at_start;
    let mut answers: std::collections::BTreeMap<u64, Value> = Default::default();
    let mut total = 0;
    let mut latency = Vec::new();
    for c in clients {
        let (seen, lat) = c.join().expect("a client failed");
        latency.extend(lat);
        for (v, p) in seen {
            total += 1;
            let first = answers.entry(v).or_insert_with(|| p.clone());
            assert_eq!(*first, p, "two answers of version {v} differ");
        }
    }
    assert!(total >= CONNECTIONS * PER_CONNECTION, "{total} predictions");
    assert!(
        published >= 100,
        "{published} versions published during the load"
    );
    assert!(
        answers.len() >= 10,
        "the answers came from only {} versions",
        answers.len()
    );
    latency.sort_unstable();
    eprintln!(
        "{total} predictions over {CONNECTIONS} connections while {published} versions were \
         published; {} versions answered; p50 {:?}, p99 {:?} (test build, a client on the same \
         2 cores; BENCHMARKS.md has the measured figures)",
        answers.len(),
        latency[latency.len() / 2],
        latency[latency.len() * 99 / 100]
    );
    // Every answer came from one complete version: the one it names.
    for (v, p) in &answers {
        assert_eq!(*p, json!(proba_of(&models, *v, &x)), "version {v}");
    }
    sigterm(&learner);
    let (code, out, err) = wait_for(&mut learner, Duration::from_secs(30));
    assert_eq!(code, 0, "{out}{err}");
}

/// Every file of a model directory: the versions load, LATEST names one of them, and
/// nothing else is there but the lock and the staging folder.
fn check_dir(models: &str) -> u64 {
    let mut versions = Vec::new();
    for e in std::fs::read_dir(models).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        match name.strip_suffix(".tw") {
            Some(v) => {
                let v: u64 = v.parse().unwrap();
                SavedModel::load(std::path::Path::new(&format!("{models}/{name}")))
                    .unwrap_or_else(|e| panic!("version {v} does not load: {e}"));
                versions.push(v);
            }
            None => assert!(
                ["LATEST", ".lock", ".staging"].contains(&name.as_str()),
                "a stray file: {name}"
            ),
        }
    }
    let latest: u64 = std::fs::read_to_string(format!("{models}/LATEST"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        versions.contains(&latest),
        "LATEST {latest} not in {versions:?}"
    );
    // A version written but not yet named by LATEST is the only one beyond it.
    assert!(
        versions.iter().all(|&v| v <= latest + 1),
        "{latest} {versions:?}"
    );
    latest
}

#[test]
fn a_publisher_killed_at_random_moments_leaves_a_directory_that_loads() {
    let dir = TempDir::new("serve-kill");
    let (header, rows) = phishing();
    let data = dir.path("data.csv");
    let mut text = format!("{header}\n");
    for _ in 0..4 {
        text.push_str(&rows.join("\n"));
        text.push('\n');
    }
    std::fs::write(&data, text).unwrap();
    let sample = dir.path("sample.csv");
    std::fs::write(&sample, format!("{header}\n{}\n", rows[..3].join("\n"))).unwrap();
    let models = dir.path("models");
    let mut rng = Rng(0x5eed_1234_abcd_9876);
    let start = Instant::now();
    let mut cycles = 0u64;
    let mut kills = 0;
    let mut latest = 0;
    while cycles < 1000 {
        assert!(
            start.elapsed() < Duration::from_secs(240),
            "only {cycles} publish cycles in 240 s"
        );
        let mut learner = spawn(&[
            "learn",
            "--model",
            "logistic_regression",
            "--data",
            &data,
            "--publish",
            &models,
            "--every",
            "1",
            "--keep",
            "3",
        ]);
        std::thread::sleep(Duration::from_micros(5_000 + rng.below(60_000)));
        learner.kill().unwrap();
        learner.wait().unwrap();
        kills += 1;
        if !std::path::Path::new(&format!("{models}/LATEST")).exists() {
            continue;
        }
        let now = check_dir(&models);
        assert!(now >= latest, "LATEST went back from {latest} to {now}");
        cycles += now - latest;
        latest = now;
        // predict --load DIR reads the newest version.
        tw(&["predict", "--load", &models, "--data", &sample]).ok();
        if kills % 10 == 1 {
            let server = Server::start(BIN, &["--model-dir", &models]);
            let (_, m) = server.get(&Server::agent(), "/model");
            assert_eq!(m["version"].as_u64(), Some(latest), "{m}");
        }
    }
    assert!(kills >= 5, "{kills} kills");
}

#[test]
fn sigterm_saves_and_resume_continues_without_losing_rows() {
    let dir = TempDir::new("serve-term");
    let (header, rows) = phishing();
    let rows = &rows[..600];
    let data = dir.path("data.csv");
    std::fs::write(&data, format!("{header}\n")).unwrap();
    append(&data, &rows[..100]);
    let model = dir.path("m.tw");
    let args = [
        "learn",
        "--model",
        "logistic_regression",
        "--data",
        &data,
        "--follow",
        "--save",
        &model,
        "--json",
    ];
    let mut learner = spawn(&args);
    // Rows keep arriving while the learner is told to stop and saves.
    let writer = {
        let (data, rows) = (data.clone(), rows.to_vec());
        std::thread::spawn(move || {
            for chunk in rows[100..].chunks(5) {
                append(&data, chunk);
                std::thread::sleep(Duration::from_millis(8));
            }
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    sigterm(&learner);
    let (code, out, err) = wait_for(&mut learner, Duration::from_secs(30));
    assert_eq!(code, 0, "{out}{err}");
    let first: Value = serde_json::from_str(out.trim()).unwrap();
    writer.join().unwrap();
    let learned = first["rows"].as_u64().unwrap();
    assert!((100..=600).contains(&learned), "{first}");
    // The same command with --resume (reading to the end this time, not following): the
    // rows after the saved count, and no others.
    let resumed: Vec<&str> = args
        .iter()
        .copied()
        .filter(|a| *a != "--follow")
        .chain(["--resume"])
        .collect();
    let second = tw(&resumed).json();
    assert_eq!(
        second["rows"].as_u64().unwrap(),
        600 - learned,
        "{first} {second}"
    );
    // The model learned in two runs is the one learned in one.
    let whole = dir.path("whole.tw");
    tw(&[
        "learn",
        "--model",
        "logistic_regression",
        "--data",
        &data,
        "--save",
        &whole,
    ])
    .ok();
    assert!(
        std::fs::read(&model).unwrap() == std::fs::read(&whole).unwrap(),
        "two runs with --resume learned another model than one run"
    );
}

#[test]
fn what_clients_send_cannot_crash_or_poison_the_server() {
    let dir = TempDir::new("serve-hostile");
    let model = dir.path("m.tw");
    tw(&[
        "learn",
        "--model",
        "logistic_regression",
        "--dataset",
        "phishing",
        "--save",
        &model,
    ])
    .ok();
    // Another host than loopback needs a token.
    tw(&["serve", "--load", &model, "--addr", "0.0.0.0:0"]).input_error(&[
        "--addr",
        "loopback",
        "--token-file",
    ]);
    let token = dir.path("token");
    std::fs::write(&token, "s3cret-token\n").unwrap();
    let server = Server::start(
        BIN,
        &[
            "--load",
            &model,
            "--token-file",
            &token,
            "--max-body",
            "4096",
        ],
    );
    let agent = Server::agent();
    let row = json!({ "rows": [[1, 0, 1, 0, 1, 0, 1, 0, 1]], "targets": [1] }).to_string();
    let (code, _) = server.post(&agent, "/learn", "application/json", row.as_bytes(), None);
    assert_eq!(code, 401);
    let (code, _) = server.post(
        &agent,
        "/learn",
        "application/json",
        row.as_bytes(),
        Some("wrong"),
    );
    assert_eq!(code, 401);
    let (code, v) = server.post(
        &agent,
        "/learn",
        "application/json",
        row.as_bytes(),
        Some("s3cret-token"),
    );
    assert_eq!((code, &v["version"]), (200, &json!(1)), "{v}");
    // Predictions need no token.
    let (code, _) = server.post(&agent, "/predict", "text/csv", b"1,0,1,0,1,0,1,0,1\n", None);
    assert_eq!(code, 200);
    // Too large a body: 413.
    let big = vec![b' '; 5000];
    let (code, _) = server.post(&agent, "/predict", "application/json", &big, None);
    assert_eq!(code, 413);
    // Bad values are 400s that name the row and the field; the model stays as it was.
    let (_, before) = server.get(&agent, "/model");
    for (ct, body, needles) in [
        ("text/csv", "1,0,NaN,0,1,0,1,0,1\n", vec!["line 1", "https"]),
        ("text/csv", "1,0,1\n", vec!["line 1", "3 fields"]),
        (
            "application/json",
            r#"{"rows":[[1,0,1,0,1,0,1,0,1],[1,2]]}"#,
            vec!["rows[1]", "2 values"],
        ),
        (
            "application/json",
            r#"{"rows":[{"nope":1}]}"#,
            vec!["rows[0]", "unknown feature `nope`"],
        ),
        (
            "application/json",
            r#"{"rows":[["a",0,1,0,1,0,1,0,1]]}"#,
            vec!["rows[0]", "empty_server_form_handler"],
        ),
        (
            "application/json",
            r#"{"rows":[[1e999,0,1,0,1,0,1,0,1]]}"#,
            vec!["not JSON"],
        ),
        ("application/json", r#"{"rows":[]}"#, vec!["empty"]),
        ("application/json", r#"{"rowz":[]}"#, vec!["rows"]),
    ] {
        for path in ["/predict", "/learn"] {
            let (code, v) = server.post(&agent, path, ct, body.as_bytes(), Some("s3cret-token"));
            assert_eq!(code, 400, "{path} {body}: {v}");
            let msg = v["error"].as_str().unwrap();
            for n in &needles {
                assert!(msg.contains(n), "{path} {body}: `{n}` not in {msg}");
            }
        }
    }
    let (code, v) = server.post(
        &agent,
        "/learn",
        "application/json",
        br#"{"rows":[[1,0,1,0,1,0,1,0,1],[1,0,1,0,1,0,1,0,1]],"targets":[1]}"#,
        Some("s3cret-token"),
    );
    assert_eq!(code, 400, "{v}");
    let (_, after) = server.get(&agent, "/model");
    assert_eq!(before, after, "a refused request changed the model");

    // 10,000 random bodies: every one answered, none with a server error.
    let mut rng = Rng(0xdead_beef_0bad_f00d);
    let valid = br#"{"rows":[[1,0,1,0,1,0,1,0,1],{"https":1,"popup_window":0}],"targets":[1,0]}"#;
    let alphabet = b"{}[]\",:0123456789.-eE+ nultrfa\\\n\r\t\x00\xff,rowstargetsNaN";
    for i in 0..10_000 {
        let body: Vec<u8> = match rng.below(3) {
            // Random bytes.
            0 => (0..rng.below(200))
                .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
                .collect(),
            // A valid body with bytes changed, cut or repeated.
            1 => {
                let mut b = valid.to_vec();
                for _ in 0..=rng.below(4) {
                    let at = rng.below(b.len() as u64) as usize;
                    match rng.below(3) {
                        0 => b[at] = alphabet[rng.below(alphabet.len() as u64) as usize],
                        1 => b.truncate(at.max(1)),
                        _ => {
                            let piece = b[at..].to_vec();
                            b.extend_from_slice(&piece);
                        }
                    }
                }
                b
            }
            // CSV-ish lines.
            _ => (0..rng.below(120))
                .map(|_| b"0123456789,.-\nabcNaNinf "[rng.below(24) as usize])
                .collect(),
        };
        let ct = ["application/json", "text/csv", "text/plain"][rng.below(3) as usize];
        let path = ["/predict", "/predict?proba=true", "/learn"][rng.below(3) as usize];
        let token = (rng.below(2) == 0).then_some("s3cret-token");
        let (code, v) = server.post(&agent, path, ct, &body, token);
        assert!(
            code < 500,
            "body {i} got {code}: {v}\n{:?}",
            String::from_utf8_lossy(&body)
        );
    }
    let (code, _) = server.get(&agent, "/health");
    assert_eq!(code, 200);
    let (code, text) = server.get(&agent, "/metrics");
    assert_eq!(code, 200);
    let text = text.as_str().unwrap().to_owned();
    assert!(
        text.contains("tidewater_requests_total{endpoint=\"predict\",code=\"400\"}"),
        "{text}"
    );
    assert!(text.contains("tidewater_request_seconds_bucket"), "{text}");
}

#[test]
fn rows_piped_to_standard_input_are_published_as_they_arrive() {
    let dir = TempDir::new("serve-stdin");
    let (header, rows) = phishing();
    let models = dir.path("models");
    let mut learner = Command::new(BIN)
        .args([
            "learn",
            "--model",
            "logistic_regression",
            "--data",
            "-",
            "--publish",
            &models,
            "--every",
            "10",
            "--json",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = learner.stdin.take().unwrap();
    writeln!(stdin, "{header}\n{}", rows[..25].join("\n")).unwrap();
    stdin.flush().unwrap();
    // The pipe stays open: versions appear for the rows that came, not at the end.
    let latest = format!("{models}/LATEST");
    eventually(
        Duration::from_secs(30),
        "versions while the pipe is open",
        || std::fs::read_to_string(&latest).is_ok_and(|t| t.trim() == "2"),
    );
    drop(stdin);
    let (code, out, err) = wait_for(&mut learner, Duration::from_secs(30));
    assert_eq!(code, 0, "{out}{err}");
    let report: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (&report["rows"], &report["version"]),
        (&json!(25), &json!(3)),
        "{report}"
    );
}
