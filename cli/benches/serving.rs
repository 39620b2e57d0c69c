//! The real-time loop, measured: freshness (a row appended to a followed file until the
//! served model has learned it), prediction latency over HTTP while versions are swapped in,
//! and in-process `predict_one` per call. Results go to stdout as Markdown (BENCHMARKS.md,
//! "Serving") and to `target/serving.json`.
//!
//! `cargo bench -p tidewater-cli --bench serving` (all), or with `-- freshness`, `-- load`,
//! `-- inprocess`. It runs the release `tidewater` binary that cargo builds for it; the HTTP
//! client runs on the same machine (2 cores here), so the latencies include its share.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_tidewater");

fn tw(args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("run tidewater");
    assert!(
        out.status.success(),
        "tidewater {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn spawn(args: &[&str]) -> Child {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tidewater")
}

fn stop(mut c: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &c.id().to_string()])
        .status();
    let _ = c.wait();
}

#[path = "../tests/common/http.rs"]
mod http;
use http::Server;

fn agent() -> ureq::Agent {
    Server::agent()
}

/// `GET url`'s JSON (the url is the server's base and a path).
fn get_json(server: &Server, a: &ureq::Agent, path: &str) -> Value {
    let (code, v) = server.get(a, path);
    assert_eq!(code, 200, "{v}");
    v
}

fn post_json(server: &Server, a: &ureq::Agent, path: &str, body: &str) -> Value {
    let (code, v) = server.post(a, path, "application/json", body.as_bytes(), None);
    assert_eq!(code, 200, "{v}");
    v
}

/// `learn --follow --publish DIR --every N --keep 3` of logistic regression over `data`.
fn spawn_learner(data: &std::path::Path, models: &std::path::Path, every: u64) -> Child {
    spawn(&[
        "learn",
        "--model",
        "logistic_regression",
        "--data",
        data.to_str().expect("path"),
        "--follow",
        "--publish",
        models.to_str().expect("path"),
        "--every",
        &every.to_string(),
        "--keep",
        "3",
    ])
}

fn append(path: &std::path::Path, lines: &[String]) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open");
    let mut t = lines.join("\n");
    t.push('\n');
    f.write_all(t.as_bytes()).expect("append");
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(s: f64) -> String {
    format!("{:.2} ms", s * 1e3)
}

fn us(s: f64) -> String {
    format!("{:.3} µs", s * 1e6)
}

/// Hyperplane rows (10 features, the target last) as CSV: the header, then the rows.
fn hyperplane(rows: usize) -> (String, Vec<String>) {
    let text = tw(&[
        "datasets",
        "export",
        "hyperplane(seed=1)",
        "--limit",
        &rows.to_string(),
    ]);
    let mut lines = text.lines().map(str::to_owned);
    let header = lines.next().expect("a header");
    (header, lines.collect())
}

/// One freshness run: rows arrive at `rate` rows/s (in batches every millisecond or so),
/// `learn --follow --publish --every every` learns them, `serve --model-dir` serves them; a
/// poller reads `/model`'s `rows_seen` as fast as it can. A row's freshness is the time from
/// its append until the first `/model` answer whose version has learned it.
fn freshness_run(every: u64, rate: f64, secs: f64, tmp: &std::path::Path) -> Value {
    let dir = tmp.join(format!("fresh-{every}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    // Warm rows: enough for the first versions before the clock starts.
    let warm = (every as usize).max(1000);
    let n_rows = (rate * secs) as usize + warm + 1000;
    let (header, rows) = hyperplane(n_rows);
    let data = dir.join("data.csv");
    std::fs::write(&data, format!("{header}\n{}\n", rows[..warm].join("\n"))).expect("write");
    let models = dir.join("models");
    let learner = spawn_learner(&data, &models, every);
    let latest = models.join("LATEST");
    let t0 = Instant::now();
    while std::fs::read_to_string(&latest)
        .ok()
        .and_then(|t| t.trim().parse::<u64>().ok())
        .is_none_or(|v| v < warm as u64 / every)
    {
        assert!(t0.elapsed() < Duration::from_secs(60), "no first version");
        std::thread::sleep(Duration::from_millis(5));
    }
    let server = Arc::new(Server::start(
        BIN,
        &["--model-dir", models.to_str().expect("path")],
    ));
    let done = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    // The poller: (seconds since start, rows_seen) at every change.
    let poller = {
        let (done, server) = (Arc::clone(&done), Arc::clone(&server));
        std::thread::spawn(move || {
            let a = agent();
            let mut seen = Vec::new();
            let mut last = 0;
            while !done.load(Ordering::Relaxed) {
                let m = get_json(&server, &a, "/model");
                let r = m["rows_seen"].as_u64().expect("rows_seen");
                if r != last {
                    seen.push((start.elapsed().as_secs_f64(), r));
                    last = r;
                }
            }
            seen
        })
    };
    // The appender: (seconds since start, rows in the file after the append).
    let mut appended = Vec::new();
    let mut next = warm;
    let end = n_rows - 500;
    while next < end && start.elapsed().as_secs_f64() < secs {
        let due = warm + (start.elapsed().as_secs_f64() * rate) as usize;
        if due > next {
            let upto = due.min(end);
            append(&data, &rows[next..upto]);
            next = upto;
            appended.push((start.elapsed().as_secs_f64(), next as u64));
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    // Time for the last rows to be published (up to `every` rows more are needed for the
    // rows of an unfinished version: those are not counted).
    std::thread::sleep(Duration::from_millis(500));
    done.store(true, Ordering::Relaxed);
    let seen = poller.join().expect("poller");
    drop(server);
    stop(learner);
    let mut fresh = Vec::new();
    let published_rows = seen.last().map_or(0, |s| s.1);
    for &(t, k) in &appended {
        if k > published_rows {
            continue;
        }
        if let Some(&(tp, _)) = seen.iter().find(|&&(tp, r)| r >= k && tp >= t) {
            fresh.push(tp - t);
        }
    }
    fresh.sort_by(f64::total_cmp);
    let (p50, p99) = (pct(&fresh, 0.5), pct(&fresh, 0.99));
    println!(
        "| every {every} rows | {rate:.0} rows/s | {} | {} | {} | {} |",
        fresh.len(),
        ms(p50),
        ms(p99),
        ms(*fresh.last().expect("a row"))
    );
    json!({"every": every, "rate": rate, "rows": fresh.len(), "p50_s": p50, "p99_s": p99})
}

fn freshness(tmp: &std::path::Path) -> Value {
    println!(
        "\n### Freshness: a row appended to the followed file until `/model` has learned it\n"
    );
    println!("| publish | arrival | appends measured | p50 | p99 | max |");
    println!("|---|---:|---:|---:|---:|---:|");
    let runs = vec![
        // A version per row is an fsync'd file and an fsync'd LATEST per row: about 1,000
        // publications a second on this disk, so rows arrive slower than that.
        freshness_run(1, 200.0, 10.0, tmp),
        freshness_run(100, 2_000.0, 10.0, tmp),
        freshness_run(10_000, 20_000.0, 15.0, tmp),
    ];
    // POST /learn: the answer comes after the version is published.
    println!(
        "\n### Freshness through `POST /learn` (one row per request; the answer names the version that learned it)\n"
    );
    println!("| server | requests | p50 | p99 |");
    println!("|---|---:|---:|---:|");
    let (header, rows) = hyperplane(3000);
    let dir = tmp.join("learn");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let data = dir.join("d.csv");
    std::fs::write(&data, format!("{header}\n{}\n", rows[..1000].join("\n"))).expect("write");
    let models = dir.join("models");
    tw(&[
        "learn",
        "--model",
        "logistic_regression",
        "--data",
        data.to_str().expect("path"),
        "--publish",
        models.to_str().expect("path"),
    ]);
    let file = models.join("1.tw");
    let mut learn = Vec::new();
    for (name, args) in [
        (
            "`--load FILE` (versions in memory)",
            vec!["--load", file.to_str().expect("path")],
        ),
        (
            "`--model-dir DIR` (each version written and fsync'd)",
            vec!["--model-dir", models.to_str().expect("path")],
        ),
    ] {
        let server = Server::start(BIN, &args);
        let a = agent();
        let mut lat = Vec::new();
        for line in &rows[1000..3000] {
            let v: Vec<f64> = line
                .split(',')
                .map(|f| f.parse().expect("number"))
                .collect();
            let (x, y) = v.split_at(v.len() - 1);
            let body = json!({"rows": [x], "targets": [y[0]]}).to_string();
            let t = Instant::now();
            post_json(&server, &a, "/learn", &body);
            lat.push(t.elapsed().as_secs_f64());
        }
        lat.sort_by(f64::total_cmp);
        println!(
            "| {name} | {} | {} | {} |",
            lat.len(),
            ms(pct(&lat, 0.5)),
            ms(pct(&lat, 0.99))
        );
        learn.push(json!({"server": name, "p50_s": pct(&lat, 0.5), "p99_s": pct(&lat, 0.99)}));
    }
    json!({"follow": runs, "learn": learn})
}

/// Predictions over 16 connections while the learner publishes a version every 20 rows.
fn load(tmp: &std::path::Path) -> Value {
    const CONNECTIONS: usize = 16;
    const PER: usize = 4000;
    let dir = tmp.join("load");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let (header, rows) = hyperplane(400_000);
    let data = dir.join("d.csv");
    std::fs::write(&data, format!("{header}\n{}\n", rows[..1000].join("\n"))).expect("write");
    let models = dir.join("models");
    let learner = spawn_learner(&data, &models, 20);
    // The warm rows' 50 versions first.
    let t0 = Instant::now();
    while std::fs::read_to_string(models.join("LATEST")).map_or(true, |t| t.trim() != "50") {
        assert!(t0.elapsed() < Duration::from_secs(60), "no first versions");
        std::thread::sleep(Duration::from_millis(5));
    }
    let server = Arc::new(Server::start(
        BIN,
        &["--model-dir", models.to_str().expect("path")],
    ));
    let x: Vec<f64> = rows[0]
        .split(',')
        .map(|f| f.parse().expect("number"))
        .collect();
    let body = json!({"rows": [&x[..x.len() - 1]]}).to_string();
    // Rows arrive every 2 ms, `per_tick` at a time (0: none), until `stop`; the learner
    // publishes a version every 20 rows.
    let stop_appending = Arc::new(AtomicBool::new(false));
    let per_tick = Arc::new(AtomicUsize::new(0));
    let appender = {
        let (stop_appending, per_tick, data) = (
            Arc::clone(&stop_appending),
            Arc::clone(&per_tick),
            data.clone(),
        );
        std::thread::spawn(move || {
            let mut next = 1000;
            while !stop_appending.load(Ordering::Relaxed) {
                let k = per_tick.load(Ordering::Relaxed);
                if k > 0 && next + k < rows.len() {
                    append(&data, &rows[next..next + k]);
                    next += k;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    let version = |server: &Server| {
        get_json(server, &agent(), "/health")["version"]
            .as_u64()
            .expect("version")
    };
    println!(
        "\n### Latency under load: one 10-feature row per request (logistic regression), 16 connections; rows arrive every 2 ms and the learner publishes a version every 20 rows\n"
    );
    println!(
        "| client | rows arriving | requests | requests/s | versions published | p50 | p90 | p99 | p99.9 | max |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut out = Vec::new();
    // 1. wrk (a C load generator, one thread), when installed: with no new versions, a few,
    //    and many.
    if Command::new("wrk").arg("--version").output().is_ok() {
        let script = dir.join("post.lua");
        std::fs::write(
            &script,
            format!(
                "wrk.method = \"POST\"\nwrk.body = '{body}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
            ),
        )
        .expect("script");
        for k in [0usize, 1, 10] {
            per_tick.store(k, Ordering::Relaxed);
            let v0 = version(&server);
            let o = Command::new("wrk")
                .args(["-t1", "-c16", "-d5s", "--latency", "-s"])
                .arg(&script)
                .arg(format!("{}/predict", server.base))
                .output()
                .expect("wrk");
            let v1 = version(&server);
            per_tick.store(0, Ordering::Relaxed);
            let text = String::from_utf8_lossy(&o.stdout).into_owned();
            let field = |key: &str| -> Option<f64> {
                let line = text.lines().find(|l| l.trim_start().starts_with(key))?;
                let v = line.split_whitespace().nth(1)?;
                let (num, unit) = v.split_at(v.find(|c: char| c.is_ascii_alphabetic())?);
                let x: f64 = num.parse().ok()?;
                Some(match unit {
                    "us" => x * 1e-6,
                    "ms" => x * 1e-3,
                    "s" => x,
                    _ => return None,
                })
            };
            let requests: f64 = text
                .lines()
                .find(|l| l.contains("requests in"))
                .and_then(|l| l.split_whitespace().next()?.parse().ok())
                .unwrap_or(0.0);
            assert!(
                !text.contains("Non-2xx") && !text.contains("Socket errors"),
                "wrk saw failed requests:\n{text}"
            );
            let (p50, p90, p99) = (field("50%"), field("90%"), field("99%"));
            let max = text
                .lines()
                .find(|l| l.trim_start().starts_with("Latency "))
                .and_then(|l| l.split_whitespace().nth(3).map(str::to_owned));
            println!(
                "| wrk 4.1 (`-t1 -c16 -d5s`) | {} rows/s | {requests:.0} | {:.0} | {} | {} | {} | {} | — | {} |",
                k * 500,
                requests / 5.0,
                v1 - v0,
                p50.map_or("?".into(), ms),
                p90.map_or("?".into(), ms),
                p99.map_or("?".into(), ms),
                max.unwrap_or_default()
            );
            out.push(
                json!({"client": "wrk", "rows_per_s": k * 500, "requests": requests,
                            "versions": v1 - v0, "p50_s": p50, "p90_s": p90, "p99_s": p99}),
            );
        }
    }
    per_tick.store(10, Ordering::Relaxed);
    // 2. The tests' client (ureq, one thread per connection: heavier than wrk).
    let done = Arc::new(AtomicUsize::new(0));
    let v0 = version(&server);
    let start = Instant::now();
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (server, body, done) = (Arc::clone(&server), body.clone(), Arc::clone(&done));
            std::thread::spawn(move || {
                let a = agent();
                let mut lat = Vec::with_capacity(PER);
                for _ in 0..PER {
                    let t = Instant::now();
                    post_json(&server, &a, "/predict", &body);
                    lat.push(t.elapsed().as_secs_f64());
                }
                done.fetch_add(1, Ordering::Relaxed);
                lat
            })
        })
        .collect();
    let mut lat: Vec<f64> = clients
        .into_iter()
        .flat_map(|c| c.join().expect("client"))
        .collect();
    let wall = start.elapsed().as_secs_f64();
    let versions = version(&server) - v0;
    stop_appending.store(true, Ordering::Relaxed);
    appender.join().expect("appender");
    lat.sort_by(f64::total_cmp);
    println!(
        "| Rust, ureq 3 (16 threads) | 5000 rows/s | {} | {:.0} | {versions} | {} | {} | {} | {} | {} |",
        lat.len(),
        lat.len() as f64 / wall,
        ms(pct(&lat, 0.5)),
        ms(pct(&lat, 0.9)),
        ms(pct(&lat, 0.99)),
        ms(pct(&lat, 0.999)),
        ms(*lat.last().expect("a request"))
    );
    out.push(json!({"client": "ureq", "requests": lat.len(), "versions": versions,
                    "rps": lat.len() as f64 / wall, "p50_s": pct(&lat, 0.5), "p99_s": pct(&lat, 0.99)}));
    drop(server);
    stop(learner);
    Value::Array(out)
}

/// `predict_one` of a 10-feature logistic regression, each call timed alone (the clock's own
/// cost, about 20-30 ns here, is included), directly and through a model stream's snapshot.
fn inprocess() -> Value {
    use tidewater::core::publish::Publisher;
    use tidewater::linear::LogisticRegressionParams;
    use tidewater::{Build, Classifier, Label, Row};
    let (_, rows) = hyperplane(20_000);
    let xs: Vec<Vec<f64>> = rows
        .iter()
        .map(|l| l.split(',').map(|f| f.parse().expect("number")).collect())
        .collect();
    let mut m = LogisticRegressionParams::default()
        .build()
        .expect("a model");
    for x in &xs {
        let (f, y) = x.split_at(x.len() - 1);
        m.learn_one(Row::Dense(f), &Label::Num(y[0]), None)
            .expect("learn");
    }
    let publisher = Publisher::new(m.clone(), 1);
    let sub = publisher.subscribe();
    let mut out = Vec::new();
    println!(
        "\n### In-process `predict_one` (10 features, logistic regression), each call timed\n"
    );
    println!("| call | calls | p50 | p99 | p99.9 |");
    println!("|---|---:|---:|---:|---:|");
    for name in [
        "model.predict_one(x)",
        "stream.latest() then predict_one(x)",
    ] {
        let mut lat = Vec::with_capacity(1_000_000);
        let mut sink = 0usize;
        for i in 0..1_000_000 {
            let x = &xs[i % xs.len()];
            let f = &x[..x.len() - 1];
            let t = Instant::now();
            let p = if name.starts_with("model") {
                m.predict_one(Row::Dense(f)).expect("predict")
            } else {
                sub.latest()
                    .model
                    .predict_one(Row::Dense(f))
                    .expect("predict")
            };
            lat.push(t.elapsed().as_secs_f64());
            sink += usize::from(p == Some(Label::Num(1.0)));
        }
        std::hint::black_box(sink);
        lat.sort_by(f64::total_cmp);
        println!(
            "| `{name}` | {} | {} | {} | {} |",
            lat.len(),
            us(pct(&lat, 0.5)),
            us(pct(&lat, 0.99)),
            us(pct(&lat, 0.999))
        );
        out.push(json!({"call": name, "p50_s": pct(&lat, 0.5), "p99_s": pct(&lat, 0.99)}));
    }
    Value::Array(out)
}

fn main() {
    // `cargo bench` passes `--bench`; the other arguments pick parts.
    let picked: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let want = |p: &str| picked.is_empty() || picked.iter().any(|a| a == p);
    let tmp = std::env::temp_dir().join(format!("tidewater-serving-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temp dir");
    let mut results = serde_json::Map::new();
    if want("inprocess") {
        results.insert("inprocess".into(), inprocess());
    }
    if want("load") {
        results.insert("load".into(), load(&tmp));
    }
    if want("freshness") {
        results.insert("freshness".into(), freshness(&tmp));
    }
    let _ = std::fs::remove_dir_all(&tmp);
    let out = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/serving.json");
    std::fs::write(out, Value::Object(results).to_string()).expect("write results");
}
