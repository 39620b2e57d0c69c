//! `tidewater serve`: predictions over HTTP from the newest model (see docs/serving.md).
//!
//! The served model is a [`Snapshot`] in an in-process model stream: every request takes the
//! newest one without a lock and answers from it, so a swap never pauses or fails a
//! prediction, and one answer always comes from one complete version. With `--model-dir`, a
//! watcher follows the directory's `LATEST` and publishes each new version it loads. `POST
//! /learn` learns on a copy of the newest model and publishes the copy (and, with
//! `--model-dir`, writes it to the directory as the next version).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use serde_json::{Value, json};
use tidewater::core::Cell;
use tidewater::core::io::ColumnKind;
use tidewater::core::publish::{DirPublisher, ModelDir, Publisher, Snapshot, Subscriber};
use tidewater::core::record as rec;
use tidewater::registry::{AnyModel, SavedModel};
use tidewater::{Classifier, Clusterer, Label, Regressor, Row};

use super::CliError;
use super::output::{label_json, number_json};

/// How often the watcher reads a model directory's `LATEST`.
const WATCH_EVERY: Duration = Duration::from_millis(2);

/// `serve`'s options.
pub struct ServeOpts {
    /// `--load FILE`.
    pub load: Option<PathBuf>,
    /// `--model-dir DIR`.
    pub model_dir: Option<PathBuf>,
    /// `--addr HOST:PORT`.
    pub addr: String,
    /// `--token-file F`.
    pub token_file: Option<PathBuf>,
    /// `--max-body BYTES`.
    pub max_body: usize,
    /// `--threads N`.
    pub threads: Option<u32>,
}

/// A served version: the model and what requests need to read rows for it.
struct Served {
    saved: SavedModel,
    /// Seconds since the Unix epoch when this version was made (a directory version: its
    /// file's modification time).
    created: f64,
    /// Feature name → position.
    index: HashMap<String, usize>,
    /// The kinds of the features when the model takes raw cells (a record stage).
    kinds: Option<Vec<ColumnKind>>,
    classes: Vec<Label>,
}

impl Served {
    fn new(saved: SavedModel, created: f64) -> Result<Self, String> {
        if saved.bits.is_some() {
            return Err(format!(
                "`{}` learned from LIBSVM or VW rows; serve takes models of named columns",
                saved.spec
            ));
        }
        if matches!(saved.model, AnyModel::Transformer(_)) {
            return Err(format!(
                "`{}` is a transformer; serve answers with predictions",
                saved.spec
            ));
        }
        let index = saved
            .features
            .iter()
            .enumerate()
            .map(|(i, f)| (f.clone(), i))
            .collect();
        let kinds = saved
            .model
            .record_stage()
            .map(|f| rec::RecordTransformer::schema(f).kinds().to_vec());
        let classes = match &saved.model {
            AnyModel::Classifier(m) => m.classes().labels().to_vec(),
            _ => Vec::new(),
        };
        Ok(Served {
            saved,
            created,
            index,
            kinds,
            classes,
        })
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn mtime(path: &Path) -> f64 {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or_else(unix_now, |d| d.as_secs_f64())
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    endpoint: String,
    code: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: String,
}

/// What `/metrics` reports.
struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<EndpointLabels, Histogram>,
    version: Gauge,
    swaps: Counter,
    learned: Counter,
    load_errors: Counter,
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("tidewater");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "Requests answered, by endpoint and status code",
            requests.clone(),
        );
        let latency = Family::<EndpointLabels, Histogram>::new_with_constructor(|| {
            // 10 µs to about 2.6 s.
            Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
                1e-5, 2.0, 19,
            ))
        });
        registry.register(
            "request_seconds",
            "Time from a request's arrival to its answer, by endpoint",
            latency.clone(),
        );
        let version = Gauge::default();
        registry.register("model_version", "The version being served", version.clone());
        let swaps = Counter::default();
        registry.register(
            "model_swaps",
            "Times a newer version replaced the served one",
            swaps.clone(),
        );
        let learned = Counter::default();
        registry.register(
            "rows_learned",
            "Rows learned through /learn",
            learned.clone(),
        );
        let load_errors = Counter::default();
        registry.register(
            "model_load_errors",
            "Versions of the model directory that could not be loaded",
            load_errors.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            version,
            swaps,
            learned,
            load_errors,
        }
    }

    fn record(&self, endpoint: &str, code: StatusCode, started: Instant) {
        self.requests
            .get_or_create(&RequestLabels {
                endpoint: endpoint.to_owned(),
                code: code.as_u16(),
            })
            .inc();
        self.latency
            .get_or_create(&EndpointLabels {
                endpoint: endpoint.to_owned(),
            })
            .observe(started.elapsed().as_secs_f64());
    }
}

/// What `/learn` needs to publish.
struct Writer {
    stream: Publisher<Served>,
    /// The directory this server publishes to (`--model-dir`), opened at the first `/learn`.
    dir: Option<DirPublisher>,
}

struct App {
    models: Subscriber<Served>,
    writer: Mutex<Writer>,
    model_dir: Option<PathBuf>,
    token: Option<String>,
    metrics: Metrics,
}

/// An answer with a status and a JSON body.
struct Answer(StatusCode, Value);

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        (self.0, axum::Json(self.1)).into_response()
    }
}

fn bad(msg: impl Into<String>) -> Answer {
    Answer(StatusCode::BAD_REQUEST, json!({ "error": msg.into() }))
}

/// Runs the server until SIGINT or SIGTERM.
pub fn serve(o: ServeOpts) -> Result<(), CliError> {
    let token = match &o.token_file {
        Some(f) => {
            let text = std::fs::read_to_string(f)
                .map_err(|e| CliError::input(format!("--token-file {}: {e}", f.display())))?;
            let t = text.lines().next().unwrap_or("").trim().to_owned();
            if t.is_empty() {
                return Err(CliError::input(format!(
                    "--token-file {}: the first line is empty; it holds the token",
                    f.display()
                )));
            }
            Some(t)
        }
        None => None,
    };
    let addrs: Vec<SocketAddr> = std::net::ToSocketAddrs::to_socket_addrs(&o.addr)
        .map_err(|e| CliError::input(format!("--addr {}: {e}", o.addr)))?
        .collect();
    let Some(&addr) = addrs.first() else {
        return Err(CliError::input(format!("--addr {}: no address", o.addr)));
    };
    if token.is_none() && addrs.iter().any(|a| !a.ip().is_loopback()) {
        return Err(CliError::input(format!(
            "--addr {}: not a loopback address; serving other hosts needs --token-file \
             (a file whose first line is the token that POST /learn must send as \
             `Authorization: Bearer <token>`)",
            o.addr
        )));
    }
    let (version, saved, created) = match (&o.load, &o.model_dir) {
        (Some(f), _) => (0, SavedModel::load(f)?, mtime(f)),
        (None, Some(d)) => {
            let (v, saved) = SavedModel::load_latest(d)?;
            (v, saved, mtime(&ModelDir::new(d).version_path(v)))
        }
        (None, None) => {
            return Err(CliError::input(
                "serve needs --load MODEL or --model-dir DIR",
            ));
        }
    };
    let served = Served::new(saved, created).map_err(CliError::input)?;
    let spec = served.saved.spec.clone();
    let stream = Publisher::new(served, version);
    let metrics = Metrics::new();
    metrics.version.set(version as i64);
    let app = Arc::new(App {
        models: stream.subscribe(),
        writer: Mutex::new(Writer { stream, dir: None }),
        model_dir: o.model_dir.clone(),
        token,
        metrics,
    });
    // The cores less one by default: on a small machine the learner publishing the versions
    // (and, on loopback, the clients) need a core, and a runtime thread that the scheduler
    // preempts holds its requests for a time slice (p99 of 4 ms against 0.5 ms with one
    // thread on 2 cores: BENCHMARKS.md, "Serving").
    let threads = o.threads.map_or_else(
        || {
            std::thread::available_parallelism()
                .map_or(1, |n| n.get().saturating_sub(1))
                .max(1)
        },
        |t| t as usize,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .map_err(|e| CliError::Internal(format!("cannot start the server's runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| CliError::input(format!("--addr {}: cannot listen: {e}", o.addr)))?;
        let bound = listener
            .local_addr()
            .map_err(|e| CliError::Internal(e.to_string()))?;
        if app.model_dir.is_some() {
            tokio::spawn(watch(Arc::clone(&app)));
        }
        let router = Router::new()
            .route("/predict", post(predict))
            .route("/learn", post(learn))
            .route("/model", get(model))
            .route("/health", get(health))
            .route("/metrics", get(metrics_text))
            .layer(DefaultBodyLimit::max(o.max_body))
            .with_state(Arc::clone(&app));
        eprintln!("serve: `{spec}` version {version} on http://{bound}");
        axum::serve(listener, router)
            .with_graceful_shutdown(shutdown())
            .await
            .map_err(|e| CliError::Internal(format!("server: {e}")))
    })
}

async fn shutdown() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut i), Ok(mut t)) => {
            tokio::select! {
                _ = i.recv() => {}
                _ = t.recv() => {}
            }
        }
        _ => std::future::pending().await,
    }
}

/// Follows `LATEST` of the model directory and publishes each new version.
async fn watch(app: Arc<App>) {
    let Some(dir) = app.model_dir.clone() else {
        return;
    };
    let md = ModelDir::new(&dir);
    let mut failed: Option<u64> = None;
    loop {
        tokio::time::sleep(WATCH_EVERY).await;
        let Ok(Some(v)) = md.latest() else { continue };
        if v == app.models.version() || failed == Some(v) {
            continue;
        }
        let d = dir.clone();
        let loaded = tokio::task::spawn_blocking(move || {
            let (v, saved) = SavedModel::load_latest(&d)?;
            let created = mtime(&ModelDir::new(&d).version_path(v));
            Ok::<_, CliError>((v, saved, created))
        })
        .await;
        match loaded {
            Ok(Ok((v, saved, created))) => match Served::new(saved, created) {
                Ok(served) => {
                    let mut w = app.writer.lock().unwrap_or_else(|p| p.into_inner());
                    if w.stream.version() != v {
                        w.stream.publish_as(v, served);
                        app.metrics.swaps.inc();
                        app.metrics.version.set(v as i64);
                    }
                    failed = None;
                }
                Err(e) => {
                    eprintln!(
                        "serve: version {v} of {}: {e}; still serving the last",
                        dir.display()
                    );
                    app.metrics.load_errors.inc();
                    failed = Some(v);
                }
            },
            Ok(Err(e)) => {
                eprintln!("serve: {e}; still serving the last version");
                app.metrics.load_errors.inc();
                failed = Some(v);
            }
            Err(_) => {}
        }
    }
}

#[derive(serde::Deserialize)]
struct PredictQuery {
    #[serde(default)]
    proba: bool,
}

/// The rows of a request, as the model takes them.
enum Rows {
    /// Numeric features, `n` rows of the model's width, row after row.
    Dense(Vec<f64>),
    /// Raw cells for a model with a record stage, row after row.
    Cells(Vec<Cell>),
}

/// A request's rows (and targets, for `/learn`).
struct Parsed {
    n: usize,
    rows: Rows,
    targets: Vec<Value>,
}

fn is_csv(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("text/csv"))
}

/// One value of a row for feature `j`.
fn cell(s: &Served, j: usize, v: &Value, at: &dyn Fn() -> String) -> Result<Cell, String> {
    let name = &s.saved.features[j];
    let nominal = s
        .kinds
        .as_ref()
        .is_some_and(|k| k[j] == ColumnKind::Nominal);
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(x) if x.is_finite() && !nominal => Ok(Cell::Num(x)),
            Some(x) if x.is_finite() => Ok(Cell::Text(n.to_string())),
            _ => Err(format!(
                "{}: feature `{name}`: {n} is not a finite number",
                at()
            )),
        },
        Value::String(t) if nominal => Ok(Cell::Text(t.clone())),
        Value::Null if s.kinds.is_some() => Ok(Cell::Missing),
        Value::Null => Err(format!(
            "{}: feature `{name}`: missing value (no imputer in this pipeline)",
            at()
        )),
        other => Err(format!(
            "{}: feature `{name}`: {} is not a number",
            at(),
            short(other)
        )),
    }
}

fn short(v: &Value) -> String {
    let t = v.to_string();
    if t.chars().count() > 40 {
        format!("{}...", t.chars().take(40).collect::<String>())
    } else {
        t
    }
}

/// One row of a request.
#[derive(Clone, Copy)]
enum RowRef<'a> {
    Dense(&'a [f64]),
    Cells(&'a [Cell]),
}

impl Parsed {
    /// Row `i` of a model `d` features wide.
    fn row(&self, i: usize, d: usize) -> RowRef<'_> {
        match &self.rows {
            Rows::Dense(v) => RowRef::Dense(&v[i * d..(i + 1) * d]),
            Rows::Cells(c) => RowRef::Cells(&c[i * d..(i + 1) * d]),
        }
    }

    fn new(s: &Served, capacity: usize) -> Self {
        let d = s.saved.features.len();
        Parsed {
            n: 0,
            rows: if s.kinds.is_some() {
                Rows::Cells(Vec::with_capacity(capacity * d))
            } else {
                Rows::Dense(Vec::with_capacity(capacity * d))
            },
            targets: Vec::new(),
        }
    }

    fn push(&mut self, c: Cell) {
        match (&mut self.rows, c) {
            (Rows::Dense(v), Cell::Num(x)) => v.push(x),
            (Rows::Dense(v), _) => v.push(f64::NAN),
            (Rows::Cells(v), c) => v.push(c),
        }
    }
}

/// Reads a JSON body: `{"rows": [[...], ...] | [{...}, ...], "targets": [...]}`. With
/// `target`, the target of each row comes from `targets` or from the row object's target
/// field.
fn parse_json(s: &Served, body: &[u8], target: Option<&str>) -> Result<Parsed, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("body: not JSON: {e}"))?;
    let Value::Object(mut o) = v else {
        return Err("body: a JSON object {\"rows\": [...]} is expected".into());
    };
    let Some(Value::Array(rows)) = o.remove("rows") else {
        return Err("body: field `rows` (an array of rows) is missing".into());
    };
    let given_targets = match o.remove("targets") {
        None => None,
        Some(Value::Array(t)) if target.is_some() => Some(t),
        Some(Value::Array(_)) => {
            return Err("body: field `targets`: /predict takes no targets".into());
        }
        Some(other) => {
            return Err(format!(
                "body: field `targets`: {} is not an array",
                short(&other)
            ));
        }
    };
    if let Some(k) = o.keys().next() {
        return Err(format!("body: unknown field `{k}`"));
    }
    if rows.is_empty() {
        return Err("body: field `rows` is empty".into());
    }
    let d = s.saved.features.len();
    let mut out = Parsed::new(s, rows.len());
    for (i, row) in rows.iter().enumerate() {
        let at = || format!("rows[{i}]");
        match row {
            Value::Array(vals) => {
                if vals.len() != d {
                    return Err(format!(
                        "rows[{i}]: {} values; the model takes {d} ({})",
                        vals.len(),
                        s.saved.features.join(", ")
                    ));
                }
                for (j, v) in vals.iter().enumerate() {
                    out.push(cell(s, j, v, &at)?);
                }
            }
            Value::Object(fields) => {
                let mut cells: Vec<Option<Cell>> = vec![None; d];
                for (k, v) in fields {
                    if Some(k.as_str()) == target {
                        if given_targets.is_some() {
                            return Err(format!(
                                "rows[{i}]: the target `{k}` is given both in the row and in `targets`"
                            ));
                        }
                        out.targets.push(v.clone());
                        continue;
                    }
                    let Some(&j) = s.index.get(k) else {
                        return Err(format!("rows[{i}]: unknown feature `{k}`"));
                    };
                    cells[j] = Some(cell(s, j, v, &at)?);
                }
                for (j, c) in cells.into_iter().enumerate() {
                    match c {
                        Some(c) => out.push(c),
                        None if s.kinds.is_some() => out.push(Cell::Missing),
                        None => {
                            return Err(format!(
                                "rows[{i}]: missing feature `{}`",
                                s.saved.features[j]
                            ));
                        }
                    }
                }
                if let Some(t) = target
                    && given_targets.is_none()
                    && out.targets.len() != i + 1
                {
                    return Err(format!("rows[{i}]: no target `{t}` and no `targets` field"));
                }
            }
            other => {
                return Err(format!(
                    "rows[{i}]: {} is neither an array of values nor an object",
                    short(other)
                ));
            }
        }
        out.n += 1;
    }
    if let Some(t) = given_targets {
        if t.len() != out.n {
            return Err(format!("body: {} targets for {} rows", t.len(), out.n));
        }
        out.targets = t;
    }
    if target.is_some() && out.targets.len() != out.n {
        return Err(
            "body: /learn needs a target per row (`targets`, or the target field of row objects)"
                .into(),
        );
    }
    Ok(out)
}

/// Reads CSV lines: the features in the model's order (then the target, for `/learn`), no
/// header.
fn parse_csv(s: &Served, body: &[u8], with_target: bool) -> Result<Parsed, String> {
    let d = s.saved.features.len();
    let width = d + usize::from(with_target);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let mut out = Parsed::new(s, 16);
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| format!("line {}: {e}", i + 1))?;
        if rec.len() != width {
            return Err(format!(
                "line {}: {} fields; expected {width} ({}{})",
                i + 1,
                rec.len(),
                s.saved.features.join(", "),
                if with_target { ", then the target" } else { "" }
            ));
        }
        let at = || format!("line {}", i + 1);
        for j in 0..d {
            let f = rec[j].trim();
            let v = if f.is_empty() {
                Value::Null
            } else if let Ok(x) = f.parse::<f64>() {
                serde_json::Number::from_f64(x)
                    .map(Value::Number)
                    .ok_or_else(|| {
                        format!(
                            "{}: feature `{}`: {f} is not a finite number",
                            at(),
                            s.saved.features[j]
                        )
                    })?
            } else {
                Value::String(f.to_owned())
            };
            out.push(cell(s, j, &v, &at)?);
        }
        if with_target {
            let f = rec[d].trim();
            out.targets.push(match f.parse::<f64>() {
                Ok(x) => serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number),
                Err(_) => Value::String(f.to_owned()),
            });
        }
        out.n += 1;
    }
    if out.n == 0 {
        return Err("body: no CSV lines".into());
    }
    Ok(out)
}

fn parse(s: &Served, headers: &HeaderMap, body: &[u8], learn: bool) -> Result<Parsed, String> {
    let target = if learn {
        Some(s.saved.target.as_deref().ok_or_else(|| {
            format!(
                "`{}` learns without a target; /learn takes rows with targets",
                s.saved.spec
            )
        })?)
    } else {
        None
    };
    if is_csv(headers) {
        parse_csv(s, body, learn)
    } else {
        parse_json(s, body, target)
    }
}

/// An error of the model about row `i`, with the feature named.
fn row_error(s: &Served, i: usize, e: tidewater::Error) -> String {
    use tidewater::core::Location;
    match e {
        tidewater::Error::BadValue {
            location: Location::Feature(j),
            reason,
        } if j < s.saved.features.len() => {
            format!("rows[{i}]: feature `{}`: {reason}", s.saved.features[j])
        }
        e => format!("rows[{i}]: {e}"),
    }
}

fn predictions(s: &Served, p: &Parsed, proba: bool) -> Result<Value, String> {
    let d = s.saved.features.len();
    let mut preds = Vec::with_capacity(p.n);
    let mut probas = Vec::new();
    let mut buf = vec![0.0; s.classes.len()];
    for i in 0..p.n {
        let one = |e| row_error(s, i, e);
        let row = p.row(i, d);
        let pred = match &s.saved.model {
            AnyModel::Classifier(m) => {
                let l = match row {
                    RowRef::Dense(x) => m.predict_one(Row::Dense(x)),
                    RowRef::Cells(c) => rec::RecordClassifier::predict_record(m, c),
                }
                .map_err(one)?;
                if proba {
                    match row {
                        RowRef::Dense(x) => m.predict_proba_into(Row::Dense(x), &mut buf),
                        RowRef::Cells(c) => {
                            rec::RecordClassifier::predict_proba_record_into(m, c, &mut buf)
                        }
                    }
                    .map_err(one)?;
                    probas.push(json!(buf));
                }
                l.as_ref().map_or(Value::Null, label_json)
            }
            AnyModel::Regressor(m) => number_json(
                match row {
                    RowRef::Dense(x) => m.predict_one(Row::Dense(x)),
                    RowRef::Cells(c) => rec::RecordRegressor::predict_record(m, c),
                }
                .map_err(one)?,
            ),
            AnyModel::Clusterer(m) => {
                let RowRef::Dense(x) = row else {
                    return Err("a clusterer takes numeric rows".into());
                };
                m.predict_one(Row::Dense(x))
                    .map_err(one)?
                    .map_or(Value::Null, |c| json!(c))
            }
            AnyModel::Transformer(_) => return Err("a transformer does not predict".into()),
        };
        preds.push(pred);
    }
    let mut out = json!({ "predictions": preds });
    if proba {
        if s.classes.is_empty() {
            return Err(format!("proba: `{}` is not a classifier", s.saved.spec));
        }
        out["classes"] = Value::Array(s.classes.iter().map(label_json).collect());
        out["proba"] = Value::Array(probas);
    }
    Ok(out)
}

async fn predict(
    State(app): State<Arc<App>>,
    Query(q): Query<PredictQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let started = Instant::now();
    let snap = app.models.latest();
    let answer = match parse(&snap.model, &headers, &body, false)
        .and_then(|p| predictions(&snap.model, &p, q.proba))
    {
        Ok(mut v) => {
            v["version"] = json!(snap.version);
            Answer(StatusCode::OK, v)
        }
        Err(e) => bad(e),
    };
    app.metrics.record("predict", answer.0, started);
    answer
}

fn authorized(app: &App, headers: &HeaderMap) -> bool {
    let Some(token) = &app.token else {
        return true;
    };
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    // Compared in time independent of where the first difference is.
    let (a, b) = (given.trim().as_bytes(), token.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Learns the rows on a copy of the newest model: the copy is published only when every row
/// was learned, so a bad row leaves the served model as it was.
fn learn_rows(app: &App, headers: &HeaderMap, body: &[u8]) -> Answer {
    let mut w = app.writer.lock().unwrap_or_else(|p| p.into_inner());
    let snap = w.stream.latest();
    let s = &snap.model;
    let p = match parse(s, headers, body, true) {
        Ok(p) => p,
        Err(e) => return bad(e),
    };
    let mut saved = s.saved.clone();
    let d = saved.features.len();
    let numeric = saved.target_numeric;
    for i in 0..p.n {
        let one = |e| row_error(s, i, e);
        let row = p.row(i, d);
        let t = &p.targets[i];
        let r = match &mut saved.model {
            AnyModel::Classifier(m) => {
                let y = match t {
                    Value::Number(n) if numeric => match n.as_f64().map(Label::num) {
                        Some(Ok(l)) => l,
                        _ => return bad(format!("targets[{i}]: {n} is not a label")),
                    },
                    Value::Number(n) => Label::from(n.to_string()),
                    Value::String(t) if !numeric => Label::from(t.as_str()),
                    Value::String(t) => match t.trim().parse::<f64>().map(Label::num) {
                        Ok(Ok(l)) => l,
                        _ => return bad(format!("targets[{i}]: {t:?} is not a number")),
                    },
                    other => return bad(format!("targets[{i}]: {} is not a label", short(other))),
                };
                match row {
                    RowRef::Dense(x) => m.learn_one(Row::Dense(x), &y, None),
                    RowRef::Cells(c) => rec::RecordClassifier::learn_record(m, c, &y, None),
                }
            }
            AnyModel::Regressor(m) => {
                let Some(y) = t.as_f64().filter(|y| y.is_finite()) else {
                    return bad(format!("targets[{i}]: {} is not a number", short(t)));
                };
                match row {
                    RowRef::Dense(x) => m.learn_one(Row::Dense(x), y, None),
                    RowRef::Cells(c) => rec::RecordRegressor::learn_record(m, c, y, None),
                }
            }
            _ => return bad(format!("`{}` does not learn from targets", saved.spec)),
        };
        if let Err(e) = r {
            return bad(one(e));
        }
    }
    saved.rows_seen = saved.rows_seen.saturating_add(p.n as u64);
    // A directory is written before the version is served, so a server restarted from it
    // finds what it answered with.
    let version = match &app.model_dir {
        Some(dir) => {
            let to = match &mut w.dir {
                Some(to) => to,
                None => match DirPublisher::open(dir, 5) {
                    Ok(d) => w.dir.insert(d),
                    Err(e) => {
                        return Answer(StatusCode::CONFLICT, json!({ "error": e.to_string() }));
                    }
                },
            };
            match saved.publish(to) {
                Ok(v) => v,
                Err(e) => {
                    return Answer(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        json!({ "error": format!("publishing: {e}") }),
                    );
                }
            }
        }
        None => w.stream.version().saturating_add(1),
    };
    let rows_seen = saved.rows_seen;
    match Served::new(saved, unix_now()) {
        Ok(served) => w.stream.publish_as(version, served),
        Err(e) => return bad(e),
    }
    app.metrics.learned.inc_by(p.n as u64);
    app.metrics.version.set(version as i64);
    Answer(
        StatusCode::OK,
        json!({ "version": version, "learned": p.n, "rows_seen": rows_seen }),
    )
}

async fn learn(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Answer {
    let started = Instant::now();
    let answer = if authorized(&app, &headers) {
        let a = Arc::clone(&app);
        // Learning may take a while for a big batch: off the request threads.
        tokio::task::spawn_blocking(move || learn_rows(&a, &headers, &body))
            .await
            .unwrap_or_else(|_| {
                Answer(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({ "error": "learning failed" }),
                )
            })
    } else {
        Answer(
            StatusCode::UNAUTHORIZED,
            json!({ "error": "POST /learn needs `Authorization: Bearer <token>` (the --token-file's token)" }),
        )
    };
    app.metrics.record("learn", answer.0, started);
    answer
}

async fn model(State(app): State<Arc<App>>) -> Answer {
    let started = Instant::now();
    let snap: Arc<Snapshot<Served>> = app.models.latest();
    let s = &snap.model;
    let answer = Answer(
        StatusCode::OK,
        json!({
            "version": snap.version,
            "spec": s.saved.spec,
            "rows_seen": s.saved.rows_seen,
            "created": s.created,
            "features": s.saved.features,
            "target": s.saved.target,
            "classes": s.classes.iter().map(label_json).collect::<Vec<_>>(),
        }),
    );
    app.metrics.record("model", answer.0, started);
    answer
}

async fn health(State(app): State<Arc<App>>) -> Answer {
    let started = Instant::now();
    let answer = Answer(
        StatusCode::OK,
        json!({ "status": "ok", "version": app.models.version() }),
    );
    app.metrics.record("health", answer.0, started);
    answer
}

async fn metrics_text(State(app): State<Arc<App>>) -> Response {
    let mut text = String::new();
    if prometheus_client::encoding::text::encode(&mut text, &app.metrics.registry).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
