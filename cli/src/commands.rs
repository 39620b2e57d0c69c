//! The commands.

use std::io::Write;
use std::time::Instant;

use serde_json::{Value, json};
use tidewater::core::eval::{
    ClassificationEvaluator, ClusteringEvaluator, RegressionEvaluator, Report,
};
use tidewater::core::persist::encoded_size;
use tidewater::core::record as rec;
use tidewater::drift::{DriftDetector, DriftRetrain};
use tidewater::registry::{self, AnyModel, Role, SavedModel};
use tidewater::spec::{ParamDoc, Value as SpecValue};
use tidewater::{Classifier, Clusterer, Regressor, Transformer};

use super::chart::{self, Curve};
use super::data::{Columns, Feed, FeedError, Reading, RowBuf, SourceArg, TargetUse};
use super::output::{
    Progress, csv_field, io_err, label_json, metrics_json, number_json, print_json,
};
use super::{
    CliError, Command, DEFAULT_DATASET, DEFAULT_MODEL, DatasetsCommand, OnError, SourceArgs,
};

pub fn dispatch(cmd: Command) -> Result<(), CliError> {
    match cmd {
        Command::Eval {
            model,
            source,
            window,
            json,
            retrain,
            print_every,
            plot,
        } => eval(model, &source, window, json, retrain, print_every, plot),
        Command::Bench(args) => super::bench::bench(&args),
        Command::Fit {
            model,
            source,
            save,
            workers,
            hosts,
            process,
            connect_timeout,
            own_rows,
            staleness,
            batch_size,
            epochs,
            checkpoint_every,
            resume,
            json,
        } => {
            let on = match (workers, hosts, process) {
                (Some(n), _, _) => match staleness {
                    Some(s) => Some(On::Sgd {
                        workers: n,
                        staleness: s,
                        batch_size: batch_size as usize,
                        epochs: epochs as usize,
                    }),
                    None => Some(On::Workers(n)),
                },
                (None, Some(hosts), Some(process)) => Some(On::Processes {
                    hosts,
                    process,
                    timeout: connect_timeout,
                    own_rows,
                    sgd: staleness.map(|s| SgdArgs {
                        staleness: s,
                        batch_size: batch_size as usize,
                        epochs: epochs as usize,
                    }),
                }),
                _ => None,
            };
            if on.is_none() && staleness.is_some() {
                return Err(CliError::input(
                    "--staleness: SGD rounds run on --workers (threads) or --hosts (processes)",
                ));
            }
            let checkpoints = match (&on, checkpoint_every) {
                (Some(_), Some(every)) => Some((every as usize, resume)),
                (None, Some(_)) => {
                    return Err(CliError::input(
                        "--checkpoint-every: checkpoints are taken by a fit on --workers or --hosts",
                    ));
                }
                _ => None,
            };
            fit(&model, &source, &save, on, checkpoints, json)
        }
        Command::Learn {
            model,
            load,
            source,
            save,
            follow,
            publish,
            every,
            every_secs,
            keep,
            resume,
            json,
        } => learn(
            model,
            load,
            &source,
            &LearnOpts {
                save,
                follow,
                publish,
                every,
                every_secs,
                keep,
                resume,
                json,
            },
        ),
        Command::Serve {
            load,
            model_dir,
            addr,
            token_file,
            max_body,
            threads,
        } => crate::serve::serve(crate::serve::ServeOpts {
            load,
            model_dir,
            addr,
            token_file,
            max_body,
            threads,
        }),
        Command::Predict {
            load,
            source,
            proba,
            json,
        } => predict(&load, &source, proba, json),
        Command::Transform { load, source, json } => transform(&load, &source, json),
        Command::List { json } => list(json),
        Command::Inspect { load, json, dot } => inspect(&load, json, dot),
        Command::Drift {
            detector,
            data,
            dataset,
            synth,
            format,
            column,
            limit,
            json,
        } => super::drift::drift(&super::drift::DriftArgs {
            detector,
            files: data,
            dataset,
            synth,
            format,
            column,
            limit,
            json,
        }),
        Command::Datasets {
            command: DatasetsCommand::Export { name, limit },
        } => export(&name, limit),
    }
}

/// The hash bits of LIBSVM and VW rows: `--bits`, or what the saved model learned with (a
/// different `--bits` is an error: the rows would be hashed otherwise), or 18 (VW's).
fn resolve_bits(given: Option<u32>, saved: Option<u32>) -> Result<u32, CliError> {
    match (given, saved) {
        (Some(g), Some(s)) if g != s => Err(CliError::input(format!(
            "--bits {g}: the model learned from rows hashed to {s} bits (--bits {s}); give \
             the same or leave --bits out"
        ))),
        (g, s) => Ok(g.or(s).unwrap_or(tidewater::core::io::vw::DEFAULT_BITS)),
    }
}

/// Opens the source of a command; `saved_bits` are the hash bits a saved model learned with.
/// Returns the feed, the source, and the hash bits of its rows when they are LIBSVM or VW.
fn open(
    source: &SourceArgs,
    default_dataset: Option<&str>,
    saved_bits: Option<u32>,
) -> Result<(Feed, SourceArg, Option<u32>), CliError> {
    let mut s = source.source()?;
    if let (SourceArg::Files(f), Some(d)) = (&s, default_dataset)
        && f.is_empty()
    {
        s = SourceArg::Dataset(d.to_owned());
    }
    if let SourceArg::Files(f) = &s
        && f.is_empty()
    {
        return Err(CliError::input(
            "no data: give --data FILE or --dataset NAME",
        ));
    }
    let bits = resolve_bits(source.bits, saved_bits)?;
    let mut feed = Feed::open(&s, source.format.as_deref(), bits)?;
    if let Some(l) = source.limit {
        feed.limit_synth(l);
    }
    let sparse = feed.is_sparse().then_some(bits);
    Ok((feed, s, sparse))
}

/// Binds a new model's columns and builds it: a spec with a record stage (encoders,
/// imputers) takes the raw columns, text and missing values included; any other takes
/// numeric columns only, as before.
fn build_bound(
    feed: &mut Feed,
    spec: &str,
    target: Option<&str>,
) -> Result<(AnyModel, Columns), CliError> {
    let role = registry::parse(spec, registry::Path::Stream)?
        .last()
        .map_or(Role::Transformer, |(_, e)| e.role);
    let records = registry::has_record_stage(spec)?;
    check_cluster_columns(spec, role, records)?;
    let target = match role {
        Role::Clusterer => target.or(feed.declared_target()).map(str::to_owned),
        _ => target.map(str::to_owned),
    };
    let cols = feed.bind_new_with(
        target.as_deref(),
        supervised(role, target.as_deref()),
        records,
    )?;
    let mut model = if records {
        registry::build_for(spec, Some(&cols.schema()?))?
    } else {
        registry::build(spec)?
    };
    // A generator's nominal columns reach the models that split on them (trees).
    model.set_nominal_features(&feed.nominal_positions(&cols));
    Ok((model, cols))
}

/// Whether a new model of `role` needs a target column: classifiers and regressors do; a
/// clusterer only when one is given (it then scores with it, never learns from it).
fn supervised(role: Role, target: Option<&str>) -> bool {
    match role {
        Role::Classifier | Role::Regressor => true,
        Role::Clusterer => target.is_some(),
        Role::Transformer => false,
    }
}

/// A clusterer takes numeric columns only: a record stage (encoders, imputers) before one is
/// refused before any data is read.
fn check_cluster_columns(spec: &str, role: Role, records: bool) -> Result<(), CliError> {
    if role == Role::Clusterer && records {
        return Err(CliError::input(format!(
            "`{spec}`: a clusterer takes numeric columns only; record-stage steps (encoders, \
             imputers, select) cannot come before one"
        )));
    }
    Ok(())
}

/// Binds a saved model's columns: by name, with the kinds its record stage (if any) saved.
fn bind_saved(feed: &mut Feed, saved: &SavedModel, need_target: bool) -> Result<Columns, CliError> {
    feed.bind_saved_with(
        &saved.features,
        saved
            .model
            .record_stage()
            .map(|f| rec::RecordTransformer::schema(f).kinds()),
        saved.target.as_deref(),
        saved.target_numeric,
        need_target,
    )
}

/// Drives a stream of rows: `step` gets each good row (its buffer and its features, which a
/// LIBSVM or VW stream lends without copying), and the row after it when the feed has that
/// one parsed already (for the model's `prefetch`); a bad row aborts (with its place) or is
/// counted as skipped.
fn drive(
    feed: &mut Feed,
    cols: &Columns,
    on_error: OnError,
    limit: Option<usize>,
    progress: &Progress,
    mut step: impl FnMut(
        &RowBuf,
        tidewater::Row<'_>,
        Option<tidewater::Row<'_>>,
    ) -> Result<(), tidewater::Error>,
    mut skip: impl FnMut(),
) -> Result<usize, CliError> {
    let mut buf = RowBuf::default();
    let mut n = 0usize;
    feed.lend_rows();
    while limit.is_none_or(|l| n < l) {
        let bad = match feed.next(cols, &mut buf) {
            Ok(false) => break,
            Ok(true) => step(&buf, feed.row(&buf), feed.peek())
                .err()
                .map(|e| format!("{}: {}", buf.place, cols.name_feature(e))),
            Err(FeedError::Row(m)) => Some(m),
            Err(FeedError::Fatal(e)) => return Err(e),
        };
        n += 1;
        progress.tick(n, || feed.bytes_read());
        if let Some(m) = bad {
            match on_error {
                OnError::Abort => return Err(CliError::Input(m)),
                OnError::Skip => skip(),
            }
        }
    }
    Ok(n)
}

/// One prequential run: what `eval` prints and what `bench` tabulates.
pub struct EvalRun {
    /// The data set's name, file name or generator spec.
    pub source: String,
    /// The role of the model (classifier, regressor or clusterer).
    pub role: Role,
    /// Rows, time and metrics.
    pub report: Report,
    /// `--retrain` events.
    pub events: Option<Vec<tidewater::drift::Event>>,
    /// The learning curve, when asked for.
    pub curve: Option<Curve>,
    /// The trained model's size in bytes (its checkpoint payload; with `--retrain`, the
    /// model and any background model).
    pub size_bytes: Option<usize>,
}

/// The metric a learning curve plots for a role: its name, and whether it lies in `[0, 1]`.
pub fn curve_metric(role: Role, window: usize) -> (String, bool) {
    match role {
        Role::Regressor => (format!("rolling MAE (last {window} rows)"), false),
        Role::Clusterer => ("inertia per row (cumulative)".to_owned(), false),
        _ => (format!("rolling accuracy (last {window} rows)"), true),
    }
}

/// What an evaluation needs besides the model and the data.
pub struct EvalOptions<'a> {
    /// Rows in the rolling metrics' window.
    pub window: usize,
    /// The `--retrain` detector spec.
    pub retrain: Option<&'a str>,
    /// No progress display.
    pub quiet: bool,
    /// `--print-every`.
    pub print_every: Option<u64>,
    /// Sample a learning curve.
    pub curve: bool,
}

/// Runs `spec` prequentially on `source` (see [`EvalRun`]).
pub fn run_eval(
    spec: &str,
    source: &SourceArgs,
    opt: &EvalOptions<'_>,
) -> Result<EvalRun, CliError> {
    let start = Instant::now();
    let window = opt.window;
    if window == 0 {
        return Err(CliError::input("--window: must be at least 1, got 0"));
    }
    // Parse (and validate) first so a bad spec is reported before any data is read.
    registry::parse(spec, registry::Path::Stream)?;
    // The detector too, before any data is read.
    let detector = match opt.retrain {
        Some(d) => Some(
            registry::build_detector(d).map_err(|e| CliError::input(format!("--retrain: {e}")))?,
        ),
        None => None,
    };
    let (mut feed, src, _) = open(source, Some(DEFAULT_DATASET), None)?;
    let limit = source.limit;
    let (mut model, cols) = build_bound(&mut feed, spec, source.target.as_deref())?;
    let role = model.role();
    let records = cols.records;
    let target = cols.target.clone().unwrap_or_default();
    let progress = Progress::new(opt.quiet, feed.total(&src, limit)).print_every(
        opt.print_every
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
    );
    let mut curve = opt.curve.then(Curve::default);
    // With --retrain, the model is wrapped in drift retraining and its events reported.
    let events: Option<Vec<tidewater::drift::Event>>;
    let size_bytes: Option<usize>;
    // One prequential run, for either evaluator: the model plain or wrapped in drift
    // retraining, fed numeric rows or raw records; `$rolling` is the curve's metric.
    macro_rules! prequential {
        ($m:ident, $evaluator:ident, $rolling:ident, |$b:ident| $target:expr, $y:ident => $arg:expr) => {{
            let mut ev = $evaluator::new(window);
            let ev_cell = std::cell::RefCell::new(&mut ev);
            let mut wrapped = detector.map(|d| DriftRetrain::new($m.clone(), d));
            drive(
                &mut feed,
                &cols,
                source.on_error,
                limit,
                &progress,
                |$b, row, next| {
                    let $y = $target;
                    let mut ev = ev_cell.borrow_mut();
                    if let Some(next) = next {
                        match &wrapped {
                            Some(w) => w.prefetch(next),
                            None => $m.prefetch(next),
                        }
                    }
                    match (&mut wrapped, records) {
                        (Some(w), true) => ev.step_record(w, $b.record(), $arg, None),
                        (Some(w), false) => ev.step(w, row, $arg, None),
                        (None, true) => ev.step_record($m, $b.record(), $arg, None),
                        (None, false) => ev.step($m, row, $arg, None),
                    }?;
                    if let Some(c) = &mut curve {
                        let m = ev.metrics();
                        c.offer(m.rows(), || m.$rolling());
                    }
                    Ok(())
                },
                || ev_cell.borrow_mut().skip(),
            )?;
            if let Some(c) = &mut curve {
                c.finish(ev.metrics().rows(), ev.metrics().$rolling());
            }
            size_bytes = match &wrapped {
                Some(w) => {
                    let main = encoded_size(w.model()).ok();
                    let background = w.background().map_or(Some(0), |b| encoded_size(b).ok());
                    main.zip(background).map(|(a, b)| a + b)
                }
                None => encoded_size(&*$m).ok(),
            };
            events = wrapped.map(|mut w| w.take_events());
            ev.report(start.elapsed().as_secs_f64())
        }};
    }
    let report: Report = match &mut model {
        AnyModel::Classifier(m) => {
            prequential!(m, ClassificationEvaluator, rolling_accuracy, |b| b.label(&target)?, y => &y)
        }
        AnyModel::Regressor(m) => {
            if let Some(d) = &detector
                && d.input_kind() == tidewater::drift::InputKind::Binary
            {
                return Err(CliError::input(format!(
                    "--retrain: detector `{}` takes 0/1 errors, but `{spec}` is a regressor \
                     whose errors are real losses: use adwin, page_hinkley or kswin",
                    d.name()
                )));
            }
            prequential!(m, RegressionEvaluator, rolling_mae, |b| b.value(&target)?, y => y)
        }
        AnyModel::Clusterer(m) => {
            if opt.retrain.is_some() {
                return Err(CliError::input(format!(
                    "--retrain: `{spec}` is a clusterer; drift retraining needs a classifier or \
                     a regressor"
                )));
            }
            events = None;
            let labelled = cols.target.is_some();
            let ev = std::cell::RefCell::new(ClusteringEvaluator::new());
            let per_row = |ev: &ClusteringEvaluator| {
                let rows = ev.rows();
                (rows > 0).then(|| ev.metrics().inertia() / rows as f64)
            };
            drive(
                &mut feed,
                &cols,
                source.on_error,
                limit,
                &progress,
                |b, row, _| {
                    let truth = if labelled {
                        Some(b.label(&target)?)
                    } else {
                        None
                    };
                    let mut ev = ev.borrow_mut();
                    ev.step(m, row, truth.as_ref(), None)?;
                    if let Some(c) = &mut curve {
                        c.offer(ev.rows() as u64, || per_row(&ev));
                    }
                    Ok(())
                },
                || ev.borrow_mut().skip(),
            )?;
            let ev = ev.into_inner();
            if let Some(c) = &mut curve {
                c.finish(ev.rows() as u64, per_row(&ev));
            }
            size_bytes = encoded_size(&*m).ok();
            ev.report(start.elapsed().as_secs_f64())
        }
        AnyModel::Transformer(_) => {
            return Err(CliError::input(format!(
                "eval: `{spec}` ends in a transformer; eval needs a classifier, a regressor or \
                 a clusterer"
            )));
        }
    };
    progress.finish();
    Ok(EvalRun {
        source: src.display(),
        role,
        report,
        events,
        curve,
        size_bytes,
    })
}

fn eval(
    model_spec: Option<String>,
    source: &SourceArgs,
    window: usize,
    json: bool,
    retrain: Option<String>,
    print_every: Option<u64>,
    plot: Option<std::path::PathBuf>,
) -> Result<(), CliError> {
    let spec = model_spec.unwrap_or_else(|| DEFAULT_MODEL.to_owned());
    if let Some(p) = &plot {
        chart::check_path(p, "--plot")?;
    }
    let run = run_eval(
        &spec,
        source,
        &EvalOptions {
            window,
            retrain: retrain.as_deref(),
            quiet: json,
            print_every,
            curve: plot.is_some(),
        },
    )?;
    let EvalRun {
        source: src,
        report,
        events,
        curve,
        role,
        ..
    } = run;
    if let (Some(path), Some(curve)) = (&plot, &curve) {
        let (y_label, unit_interval) = curve_metric(role, window);
        let series = [chart::Series {
            label: spec.clone(),
            points: curve.points(),
            events: events.clone().unwrap_or_default(),
        }];
        chart::write(
            path,
            &chart::Chart {
                title: format!("{spec} on {src}"),
                y_label,
                unit_interval,
                series: &series,
            },
            "--plot",
        )?;
    }
    if json {
        let mut o = json!({
            "model": spec,
            "dataset": src,
            "rows": report.rows,
            "skipped": report.skipped,
            "seconds": report.seconds,
            "rows_per_sec": report.rows_per_sec,
            "metrics": metrics_json(&report.metrics),
        });
        if let Some(events) = &events {
            o["events"] = events_json(events);
        }
        print_json(&o)
    } else {
        let mut out = std::io::stdout().lock();
        let mut w = || -> std::io::Result<()> {
            writeln!(out, "model:    {spec}")?;
            writeln!(out, "dataset:  {src}")?;
            writeln!(
                out,
                "rows:     {} ({} skipped) in {:.3} s, {:.0} rows/s",
                report.rows, report.skipped, report.seconds, report.rows_per_sec
            )?;
            for (k, v) in &report.metrics {
                match v {
                    Some(v) => writeln!(out, "{k:<26}{v:.4}")?,
                    None => writeln!(out, "{k:<26}-")?,
                }
            }
            if let Some(events) = &events {
                writeln!(out, "events:   {}", events_summary(events))?;
            }
            Ok(())
        };
        w().map_err(io_err)
    }
}

/// What `fit` and `learn` report: rows read and skipped, and where the time went.
struct TrainReport {
    rows: usize,
    skipped: usize,
    read_seconds: f64,
    train_seconds: f64,
    /// The rounds and workers of a fit on the parameter server (`fit --workers`).
    rounds: Option<tidewater::rounds::RunInfo>,
    /// `learn --publish`: the versions this run published, and the newest version.
    published: Option<(u64, Option<u64>)>,
}

impl TrainReport {
    /// `{"model", "rows", "skipped", "read_seconds", "train_seconds"}` (and `"rounds"`,
    /// `"workers"` after a fit on workers) on stdout with `--json`, else one line on stderr.
    ///
    /// `save` is `None` for a process of a distributed fit other than process 0, which holds
    /// the model but does not write it.
    fn print(
        &self,
        command: &str,
        spec: &str,
        save: Option<&std::path::Path>,
        json: bool,
    ) -> Result<(), CliError> {
        if json {
            let mut out = json!({
                "model": spec,
                "rows": self.rows,
                "skipped": self.skipped,
                "read_seconds": self.read_seconds,
                "train_seconds": self.train_seconds,
            });
            if let Some(info) = self.rounds {
                out["rounds"] = json!(info.rounds);
                out["workers"] = json!(info.workers);
            }
            if let Some((versions, newest)) = self.published {
                out["versions"] = json!(versions);
                out["version"] = json!(newest);
            }
            if save.is_none() && self.published.is_none() {
                out["saved"] = json!(false);
            }
            return print_json(&out);
        }
        let ran = self.rounds.map_or(String::new(), |info| {
            format!(" ({} rounds on {} workers)", info.rounds, info.workers)
        });
        let mut saved = match (save, self.published) {
            (Some(p), _) => format!("saved {}", p.display()),
            (None, Some(_)) => String::new(),
            (None, None) => "not saved (process 0 saves)".to_owned(),
        };
        if let Some((versions, newest)) = self.published {
            let sep = if saved.is_empty() { "" } else { ", " };
            let newest = newest.map_or("none".to_owned(), |v| v.to_string());
            saved.push_str(&format!(
                "{sep}published {versions} versions (newest {newest})"
            ));
        }
        eprintln!(
            "{command}: {} rows ({} skipped), read in {:.3} s, learned in {:.3} s{ran}; {saved}",
            self.rows, self.skipped, self.read_seconds, self.train_seconds,
        );
        Ok(())
    }
}

/// Where `fit` runs an iterative fit's rounds: threads, or timely processes.
enum On {
    /// `--workers N`.
    Workers(u32),
    /// `--workers N --staleness S` (`--batch-size`, `--epochs`): mini-batch SGD rounds.
    Sgd {
        workers: u32,
        staleness: u64,
        batch_size: usize,
        epochs: usize,
    },
    /// `--hosts FILE --process I` (`--connect-timeout S`, `--own-rows`, `--staleness S`).
    Processes {
        hosts: std::path::PathBuf,
        process: usize,
        timeout: f64,
        /// Each process's data is its own part of the rows.
        own_rows: bool,
        /// `--staleness`: mini-batch SGD rounds, each process a worker.
        sgd: Option<SgdArgs>,
    },
}

/// `--staleness S --batch-size B --epochs E` on processes.
#[derive(Clone, Copy)]
struct SgdArgs {
    staleness: u64,
    batch_size: usize,
    epochs: usize,
}

/// The consistency of `--staleness S`: BSP for 0, SSP(S) beyond.
fn consistency(staleness: u64) -> tidewater::ps::Consistency {
    if staleness == 0 {
        tidewater::ps::Consistency::Bsp
    } else {
        tidewater::ps::Consistency::Ssp(staleness)
    }
}

/// Checkpoints every `.0` iterations, resuming (`.1`) from the latest one.
type CheckpointArgs = (usize, bool);

/// The checkpoint files an executor holds, shared with `fit` (which removes them at the end).
type SharedCheckpoints = std::sync::Arc<tidewater::rounds::CheckpointFiles>;

/// The executor of `on`, once the data is read. The processes compare `fingerprint`, which
/// also names the job of the checkpoints beside `save`; processes on their own rows compare
/// `shared` instead (what every process runs; its data is its own).
fn executor(
    on: &On,
    fingerprint: String,
    shared: Option<String>,
    save: &std::path::Path,
    checkpoints: Option<CheckpointArgs>,
) -> Result<
    (
        Box<dyn tidewater::rounds::Executor>,
        Option<SharedCheckpoints>,
    ),
    CliError,
> {
    use std::sync::Arc;
    let files = match checkpoints {
        Some((every, resume)) => {
            let base = match on {
                On::Processes { process, .. } => {
                    let mut name = save.as_os_str().to_owned();
                    name.push(format!(".p{process}"));
                    std::path::PathBuf::from(name)
                }
                On::Workers(_) | On::Sgd { .. } => save.to_path_buf(),
            };
            let files = tidewater::rounds::CheckpointFiles::new(base, every, resume, &fingerprint)?;
            if !resume {
                files.clear();
            }
            Some(Arc::new(files))
        }
        None => None,
    };
    let exec: Box<dyn tidewater::rounds::Executor> = match on {
        On::Workers(n) | On::Sgd { workers: n, .. } => {
            let mut w = tidewater::ps::Workers::new(*n as usize)?;
            if let Some(f) = &files {
                w = w.with_checkpoints(f.clone());
            }
            Box::new(w)
        }
        On::Processes {
            hosts,
            process,
            timeout,
            own_rows,
            ..
        } => {
            let mut exec = processes(hosts, *process, *timeout, shared.unwrap_or(fingerprint))?;
            if *own_rows {
                exec = exec.with_own_rows();
            }
            if let Some(f) = &files {
                exec = exec.with_checkpoints(f.clone());
            }
            Box::new(exec)
        }
    };
    Ok((
        Box::new(Reported {
            inner: exec,
            progress: Throttle::new(),
        }),
        files,
    ))
}

/// The processes of `--hosts FILE --process I` (`--connect-timeout`), comparing
/// `fingerprint` at start-up.
fn processes(
    hosts: &std::path::Path,
    process: usize,
    timeout: f64,
    fingerprint: String,
) -> Result<tidewater::ps::Processes, CliError> {
    if !(timeout.is_finite() && timeout > 0.0 && timeout <= 86_400.0) {
        return Err(CliError::input(format!(
            "--connect-timeout: {timeout} is not a number of seconds in (0, 86400]"
        )));
    }
    // A lost peer makes timely's own threads panic; the command reports the loss itself, so
    // their messages are not printed.
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let timely = std::thread::current()
            .name()
            .is_some_and(|n| n.starts_with("timely:"));
        if !timely {
            default(info);
        }
    }));
    let mut exec = tidewater::ps::Processes::from_host_file(hosts, process)
        .map_err(|e| CliError::input(format!("--hosts: {e}")))?
        .with_timeout(std::time::Duration::from_secs_f64(timeout))
        .with_fingerprint(fingerprint);
    // Test-only: a slow process (docs/distributed.md).
    if let Some(ms) = std::env::var("TIDEWATER_TEST_ROUND_DELAY_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        exec = exec.with_round_delay(std::time::Duration::from_millis(ms));
    }
    Ok(exec)
}

/// An executor that reports rounds on stderr, one JSON line each: `{"round", "objective",
/// "seconds"}` (seconds since the executor was made): the first round, then a round when
/// `REPORT_EVERY` has passed since the last line. Thousands of millisecond rounds would
/// otherwise write megabytes, and a stderr nobody drains would stall the job.
struct Reported {
    inner: Box<dyn tidewater::rounds::Executor>,
    progress: Throttle,
}

/// The least time between two progress lines of `fit --workers`/`--hosts`.
const REPORT_EVERY: f64 = 0.2;

impl tidewater::rounds::Executor for Reported {
    fn run(
        &self,
        job: &dyn tidewater::rounds::BlockSum,
        driver: &mut dyn FnMut(&mut tidewater::rounds::Round<'_>) -> tidewater::Result<()>,
    ) -> tidewater::Result<tidewater::rounds::RunInfo> {
        self.inner.run(job, driver)
    }

    fn checkpoints(&self) -> Option<&dyn tidewater::rounds::Checkpoints> {
        self.inner.checkpoints()
    }

    fn round_done(&self, round: usize, objective: f64) {
        self.progress.report(round, objective);
    }

    fn exchange(&self, mine: &[u8]) -> tidewater::Result<Option<tidewater::rounds::Parts>> {
        self.inner.exchange(mine)
    }
}

/// Progress lines on stderr, `{"round", "objective", "seconds"}` (seconds since it was
/// made): the first round, then a round when `REPORT_EVERY` has passed since the last line.
struct Throttle {
    start: Instant,
    /// When the last line was written, in seconds since `start` (bits of an f64).
    last: std::sync::atomic::AtomicU64,
}

impl Throttle {
    fn new() -> Self {
        Throttle {
            start: Instant::now(),
            last: std::sync::atomic::AtomicU64::new(0f64.to_bits()),
        }
    }

    fn report(&self, round: usize, objective: f64) {
        use std::sync::atomic::Ordering;
        let now = self.start.elapsed().as_secs_f64();
        let last = f64::from_bits(self.last.load(Ordering::Relaxed));
        if round > 1 && now - last < REPORT_EVERY {
            return;
        }
        self.last.store(now.to_bits(), Ordering::Relaxed);
        eprintln!(
            "{}",
            json!({
                "round": round,
                "objective": number_json_plain(objective),
                "seconds": now,
            })
        );
    }
}

/// Whether `on` is processes that each read their own part of the rows.
fn own_rows(on: Option<&On>) -> bool {
    matches!(on, Some(On::Processes { own_rows: true, .. }))
}

/// How `fit` trains the final model: SGD rounds (`--staleness`; on processes, by `runner`),
/// the rounds of `exec`, or (neither) its own batch fit. `report` gets SGD's progress.
fn trainer<'a>(
    on: Option<&On>,
    exec: Option<&'a dyn tidewater::rounds::Executor>,
    runner: Option<(&'a registry::SgdRunner<'a>, usize)>,
    report: &'a (dyn Fn(u64, f64) + Sync),
) -> Option<registry::Trainer<'a>> {
    match (on, runner) {
        (Some(On::Processes { sgd: Some(sgd), .. }), Some((runner, n))) => {
            Some(registry::Trainer::Sgd(registry::SgdPlan {
                workers: n,
                consistency: consistency(sgd.staleness),
                batch_size: sgd.batch_size,
                epochs: sgd.epochs,
                progress: Some(report),
                runner: Some(runner),
            }))
        }
        (
            Some(&On::Sgd {
                workers,
                staleness,
                batch_size,
                epochs,
            }),
            _,
        ) => Some(registry::Trainer::Sgd(registry::SgdPlan {
            workers: workers as usize,
            consistency: consistency(staleness),
            batch_size,
            epochs,
            progress: Some(report),
            runner: None,
        })),
        _ => exec.map(registry::Trainer::Rounds),
    }
}

/// SGD rounds on the processes of `fit --hosts --staleness` (none otherwise), which compare
/// `print()` at start-up, and their number.
fn sgd_runner(
    on: Option<&On>,
    print: impl FnOnce() -> String,
) -> Result<Option<(Box<registry::SgdRunner<'static>>, usize)>, CliError> {
    use tidewater::ps::sgd::{Progress, SgdConfig};
    let Some(On::Processes {
        hosts,
        process,
        timeout,
        sgd: Some(_),
        ..
    }) = on
    else {
        return Ok(None);
    };
    let p = processes(hosts, *process, *timeout, print())?;
    let n = p.n();
    let run =
        move |x: tidewater::core::Batch<'_>,
              y: &[bool],
              w: Option<&[f64]>,
              cfg: &SgdConfig,
              progress: Option<Progress<'_>>| { p.train_logistic(x, y, w, cfg, progress) };
    Ok(Some((Box::new(run), n)))
}

/// What the processes of a job compare at start-up: the spec and the data (shape and a
/// checksum of every value and target).
fn fingerprint(spec: &str, data: &tidewater::Dataset) -> String {
    use tidewater::FeatureVector;
    // CRC-32: specified, so processes built apart agree on it. A row's entries (index, then
    // value bits, little-endian) go to the hasher together: one call a row, not two an entry.
    let mut h = crc32fast::Hasher::new();
    let b = data.batch();
    let mut bytes = Vec::new();
    for i in 0..data.n_rows() {
        if let Ok(r) = b.row(i) {
            bytes.clear();
            r.for_each_entry(|j, v| {
                bytes.extend_from_slice(&(j as u64).to_le_bytes());
                bytes.extend_from_slice(&v.to_bits().to_le_bytes());
            });
            h.update(&bytes);
        }
    }
    if let Ok(t) = data.target() {
        h.update(format!("{t:?}").as_bytes());
    }
    format!(
        "`{spec}` on {} rows of {} features (data {:08x})",
        data.n_rows(),
        data.n_features(),
        h.finalize()
    )
}

fn fit(
    spec: &str,
    source: &SourceArgs,
    save: &std::path::Path,
    on: Option<On>,
    checkpoints: Option<CheckpointArgs>,
    json: bool,
) -> Result<(), CliError> {
    let start = Instant::now();
    // Parse (and validate) first so a bad spec is reported before any data is read.
    let stages = registry::parse(spec, registry::Path::Batch)?;
    let role = stages.last().map_or(Role::Transformer, |(_, e)| e.role);
    if let Some(on) = &on {
        let last = stages.last().map(|(s, _)| s.name.as_str()).unwrap_or("");
        let sgd = matches!(on, On::Sgd { .. } | On::Processes { sgd: Some(_), .. });
        if sgd && last != registry::SGD_MODEL {
            return Err(CliError::Input(format!(
                "--staleness: `{last}` does not train by SGD rounds; {} does",
                registry::SGD_MODEL
            )));
        }
        if !registry::ROUNDS_MODELS.contains(&last) {
            let flag = match on {
                On::Workers(_) | On::Sgd { .. } => "--workers",
                On::Processes { .. } => "--hosts",
            };
            return Err(CliError::Input(format!(
                "{flag}: `{last}` has no batch fit in rounds to run on workers; those that have: {}",
                registry::ROUNDS_MODELS.join(", ")
            )));
        }
    }
    let records = registry::has_record_stage(spec)?;
    if own_rows(on.as_ref()) {
        let last = stages.last().map(|(s, _)| s.name.as_str()).unwrap_or("");
        if stages.len() != 1 || records {
            return Err(CliError::Input(format!(
                "--own-rows: the spec must be the model alone: transformers before it would be \
                 fitted on each process's rows apart (`{spec}` has {} stages)",
                stages.len()
            )));
        }
        if role == Role::Clusterer {
            return Err(CliError::Input(format!(
                "--own-rows: `{last}` needs every row on every process (its initial centers are \
                 drawn from all of them); start every process on the whole data without --own-rows"
            )));
        }
    }
    check_cluster_columns(spec, role, records)?;
    let (mut feed, src, bits) = open(source, None, None)?;
    let progress = Progress::new(json, feed.total(&src, source.limit));
    let target = match role {
        Role::Clusterer => source
            .target
            .as_deref()
            .or(feed.declared_target())
            .map(str::to_owned),
        _ => source.target.clone(),
    };
    let cols = feed.bind_new_with(
        target.as_deref(),
        supervised(role, target.as_deref()),
        records,
    )?;
    let mut how = Reading {
        limit: source.limit,
        skip_bad: source.on_error == OnError::Skip,
        skipped: 0,
        progress: &progress,
    };
    let (model, ran, rows, read_seconds) = if records {
        let front = registry::record_stage_for(spec, &cols.schema()?)?
            .ok_or_else(|| CliError::Internal("a record stage was expected".into()))?;
        let mut places = Vec::new();
        let target_use = match role {
            Role::Classifier => TargetUse::Labels,
            Role::Regressor => TargetUse::Values,
            _ => TargetUse::Ignore,
        };
        let (table, targets) = feed.collect_table(
            &cols,
            target_use,
            &mut how,
            |r| front.check_columns(r),
            &mut places,
        )?;
        let read = start.elapsed().as_secs_f64();
        let names = match role {
            Role::Transformer => Vec::new(),
            _ => cols.target.iter().cloned().collect(),
        };
        let print = format!("`{spec}` on {} rows", table.n_rows());
        let exec = match &on {
            Some(on @ (On::Workers(_) | On::Processes { sgd: None, .. })) => {
                Some(executor(on, print.clone(), None, save, checkpoints)?)
            }
            _ => None,
        };
        let sgd = sgd_runner(on.as_ref(), || print)?;
        let runner = sgd.as_ref().map(|(r, n)| (r.as_ref(), *n));
        let throttle = Throttle::new();
        let report = |r: u64, v: f64| throttle.report(r as usize, v);
        let trainer = trainer(
            on.as_ref(),
            exec.as_ref().map(|(e, _)| e.as_ref()),
            runner,
            &report,
        );
        let fitted = registry::fit_table_by(spec, &table, targets, names, None, trainer);
        if let (Ok(_), Some((_, Some(files)))) = (&fitted, &exec) {
            files.clear();
        }
        let (model, ran) = fitted.map_err(|e| {
            match e {
                // Name the row by its place in the input.
                tidewater::Error::InRow { row, source } if row < places.len() => {
                    CliError::Input(format!("{}: {source}", places[row]))
                }
                e => e.into(),
            }
        })?;
        (model, ran, table.n_rows(), read)
    } else {
        // A clusterer's target (if any) is read as labels: it only scores.
        let labels = matches!(role, Role::Classifier | Role::Clusterer);
        let data = feed.collect(&cols, labels, &mut how)?;
        let read = start.elapsed().as_secs_f64();
        let exec = match &on {
            Some(on @ (On::Workers(_) | On::Processes { sgd: None, .. })) => {
                // The data's checksum is for processes to compare and for checkpoints to name
                // their job: a fit on threads without checkpoints does not read it.
                let print = if matches!(on, On::Processes { .. }) || checkpoints.is_some() {
                    fingerprint(spec, &data)
                } else {
                    String::new()
                };
                let shared =
                    own_rows(Some(on)).then(|| format!("`{spec}` on each process's own rows"));
                Some(executor(on, print, shared, save, checkpoints)?)
            }
            _ => None,
        };
        let sgd = sgd_runner(on.as_ref(), || fingerprint(spec, &data))?;
        let runner = sgd.as_ref().map(|(r, n)| (r.as_ref(), *n));
        let throttle = Throttle::new();
        let report = |r: u64, v: f64| throttle.report(r as usize, v);
        let (model, ran) = match trainer(
            on.as_ref(),
            exec.as_ref().map(|(e, _)| e.as_ref()),
            runner,
            &report,
        ) {
            Some(t) => {
                let (m, info) = registry::fit_by(spec, &data, t)?;
                (m, Some(info))
            }
            None => (registry::fit(spec, &data)?, None),
        };
        // The job is done: its checkpoints are not needed any more.
        if let Some((_, Some(files))) = &exec {
            files.clear();
        }
        (model, ran, data.n_rows(), read)
    };
    progress.finish();
    let train_seconds = start.elapsed().as_secs_f64() - read_seconds;
    // Every process of a distributed fit holds the model; process 0 writes it.
    let writes = !matches!(&on, Some(On::Processes { process, .. }) if *process != 0);
    if writes {
        SavedModel {
            spec: spec.to_owned(),
            features: cols.features,
            target: cols.target,
            target_numeric: cols.target_numeric,
            rows_seen: rows as u64,
            model,
            bits,
        }
        .save(save)?;
    }
    TrainReport {
        rows: rows + how.skipped,
        skipped: how.skipped,
        read_seconds,
        train_seconds,
        rounds: ran,
        published: None,
    }
    .print("fit", spec, writes.then_some(save), json)
}

/// `learn`'s options beyond the model and the source.
pub struct LearnOpts {
    /// `--save`.
    pub save: Option<std::path::PathBuf>,
    /// `--follow`.
    pub follow: bool,
    /// `--publish DIR`.
    pub publish: Option<std::path::PathBuf>,
    /// `--every N`.
    pub every: Option<u64>,
    /// `--every-secs S`.
    pub every_secs: Option<f64>,
    /// `--keep K`.
    pub keep: u64,
    /// `--resume`.
    pub resume: bool,
    /// `--json`.
    pub json: bool,
}

/// When `learn --publish` publishes a version.
struct Publishing {
    to: tidewater::core::publish::DirPublisher,
    every_rows: Option<u64>,
    every: Option<std::time::Duration>,
    /// Rows learned since the last version.
    since: u64,
    last: Instant,
    versions: u64,
    /// A publication failed: the run stops with this error.
    error: Option<tidewater::Error>,
}

impl Publishing {
    fn due(&self) -> bool {
        self.since > 0
            && (self.every_rows.is_some_and(|n| self.since >= n)
                || self.every.is_some_and(|d| self.last.elapsed() >= d))
    }

    fn publish(&mut self, saved: &SavedModel) -> Result<(), tidewater::Error> {
        saved.publish(&mut self.to)?;
        self.versions += 1;
        self.since = 0;
        self.last = Instant::now();
        Ok(())
    }
}

fn learn(
    spec: Option<String>,
    load: Option<std::path::PathBuf>,
    source: &SourceArgs,
    o: &LearnOpts,
) -> Result<(), CliError> {
    let start = Instant::now();
    if o.resume && source.on_error == OnError::Skip {
        return Err(CliError::input(
            "--resume counts the rows a model learned to know where to go on; with --on-error skip it cannot",
        ));
    }
    if let Some(s) = o.every_secs
        && !(s.is_finite() && s >= 0.0)
    {
        return Err(CliError::input(format!(
            "--every-secs: {s} is not a number of seconds"
        )));
    }
    let stop = if o.follow {
        if source.data.len() != 1 || source.dataset.is_some() || source.synth.is_some() {
            return Err(CliError::input("--follow follows one --data file"));
        }
        Some(crate::follow::stop_flag().map_err(|e| {
            CliError::input(format!("--follow: cannot handle SIGINT and SIGTERM: {e}"))
        })?)
    } else {
        None
    };
    // The publisher first: it takes the directory's lock before anything is read.
    let mut publishing = match &o.publish {
        Some(dir) => Some(Publishing {
            to: tidewater::core::publish::DirPublisher::open(dir, o.keep as usize)?,
            every_rows: match (o.every, o.every_secs) {
                (Some(n), _) => Some(n),
                (None, Some(_)) => None,
                (None, None) => Some(1000),
            },
            every: o.every_secs.map(std::time::Duration::from_secs_f64),
            since: 0,
            last: Instant::now(),
            versions: 0,
            error: None,
        }),
        None => None,
    };
    let loaded = load.as_deref().map(SavedModel::load).transpose()?;
    let base_rows = loaded.as_ref().map_or(0, |s| s.rows_seen);
    // --resume: the newest model this command wrote, and the rows of the data it learned.
    let resumed = if o.resume {
        match (&publishing, &o.save) {
            (Some(p), _) if p.to.last().is_some() => {
                Some(SavedModel::load_latest(p.to.dir().path())?.1)
            }
            (_, Some(save)) if save.exists() => Some(SavedModel::load(save)?),
            _ => None,
        }
    } else {
        None
    };
    if let (Some(r), Some(spec)) = (
        &resumed,
        spec.as_deref().or(loaded.as_ref().map(|l| l.spec.as_str())),
    ) && r.spec != spec
    {
        return Err(CliError::input(format!(
            "--resume: the model to resume is `{}`, not `{spec}`",
            r.spec
        )));
    }
    let mut resume_skip = resumed
        .as_ref()
        .map_or(0, |r| r.rows_seen.saturating_sub(base_rows));
    let saved_bits = resumed.as_ref().or(loaded.as_ref()).and_then(|s| s.bits);
    // `bits`: the hash bits of a LIBSVM or VW stream (none for CSV, all `--follow` reads).
    let (mut feed, src, bits) = match &stop {
        Some(stop) => {
            let src = SourceArg::Follow {
                path: source.data[0].clone(),
                stop: std::sync::Arc::clone(stop),
            };
            let bits = resolve_bits(source.bits, saved_bits)?;
            (Feed::open(&src, source.format.as_deref(), bits)?, src, None)
        }
        None => {
            let (mut feed, src, bits) = open(source, None, saved_bits)?;
            if o.publish.is_some() {
                // A published version should hold the rows that arrived: no chunks.
                feed.live();
            }
            (feed, src, bits)
        }
    };
    let (mut saved, cols) = match (spec, resumed.or(loaded)) {
        (_, Some(saved)) => {
            registry::check_stream_path(&saved.spec)?;
            let need = matches!(saved.model.role(), Role::Classifier | Role::Regressor);
            let cols = bind_saved(&mut feed, &saved, need)?;
            (saved, cols)
        }
        (Some(spec), None) => {
            let (model, cols) = build_bound(&mut feed, &spec, source.target.as_deref())?;
            let saved = SavedModel {
                spec,
                features: cols.features.clone(),
                target: cols.target.clone(),
                target_numeric: cols.target_numeric,
                rows_seen: 0,
                model,
                bits,
            };
            (saved, cols)
        }
        (None, None) => return Err(CliError::input("learn needs --model SPEC or --load MODEL")),
    };
    let target = cols.target.clone().unwrap_or_default();
    let total = if o.follow {
        None
    } else {
        feed.total(&src, source.limit)
    };
    let progress = Progress::new(o.json, total);
    let mut skipped = 0usize;
    let mut resumed_rows = 0usize;
    let mut train = std::time::Duration::ZERO;
    let n = drive(
        &mut feed,
        &cols,
        source.on_error,
        source.limit,
        &progress,
        |b, row, _| {
            if resume_skip > 0 {
                resume_skip -= 1;
                resumed_rows += 1;
                return Ok(());
            }
            let t = Instant::now();
            let r = match (&mut saved.model, cols.records) {
                (AnyModel::Classifier(m), true) => {
                    rec::RecordClassifier::learn_record(m, b.record(), &b.label(&target)?, None)
                }
                (AnyModel::Regressor(m), true) => {
                    rec::RecordRegressor::learn_record(m, b.record(), b.value(&target)?, None)
                }
                (AnyModel::Transformer(m), true) => {
                    rec::RecordTransform::learn_record(m, b.record(), None)
                }
                (AnyModel::Classifier(m), false) => m.learn_one(row, &b.label(&target)?, None),
                (AnyModel::Regressor(m), false) => m.learn_one(row, b.value(&target)?, None),
                (AnyModel::Transformer(m), false) => m.learn_one(row, None),
                // Clusterers take numeric columns only (no record stage: see build_bound).
                (AnyModel::Clusterer(m), _) => m.learn_one(row, None),
            };
            train += t.elapsed();
            r?;
            saved.rows_seen = saved.rows_seen.saturating_add(1);
            if let Some(p) = &mut publishing
                && p.error.is_none()
            {
                p.since += 1;
                if p.due()
                    && let Err(e) = p.publish(&saved)
                {
                    // Not a bad row: the run stops (the follower at once).
                    p.error = Some(e);
                    if let Some(stop) = &stop {
                        stop.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            }
            Ok(())
        },
        || skipped += 1,
    )?;
    progress.finish();
    if let Some(e) = publishing.as_mut().and_then(|p| p.error.take()) {
        return Err(e.into());
    }
    if n == 0 && !o.follow {
        return Err(CliError::input(format!("{}: no data rows", feed.name())));
    }
    let train_seconds = train.as_secs_f64();
    let read_seconds = start.elapsed().as_secs_f64() - train_seconds;
    if let Some(save) = &o.save {
        saved.save(save)?;
    }
    if let Some(p) = &mut publishing
        && (p.since > 0 || p.to.last().is_none())
    {
        p.publish(&saved)?;
    }
    TrainReport {
        rows: n - resumed_rows,
        skipped,
        read_seconds,
        train_seconds,
        rounds: None,
        published: publishing.as_ref().map(|p| (p.versions, p.to.last())),
    }
    .print("learn", &saved.spec, o.save.as_deref(), o.json)
}

fn predict(
    load: &std::path::Path,
    source: &SourceArgs,
    proba: bool,
    json: bool,
) -> Result<(), CliError> {
    let saved = SavedModel::load(load)?;
    let (mut feed, _, _) = open(source, None, saved.bits)?;
    let cols = bind_saved(&mut feed, &saved, false)?;
    let progress = Progress::new(true, None);
    let classes: Vec<tidewater::Label> = match &saved.model {
        AnyModel::Classifier(m) => m.classes().labels().to_vec(),
        _ if proba => {
            return Err(CliError::input(format!(
                "--proba: `{}` is not a classifier",
                saved.spec
            )));
        }
        AnyModel::Transformer(_) => {
            return Err(CliError::input(format!(
                "predict: `{}` is a transformer; use `tidewater transform`",
                saved.spec
            )));
        }
        AnyModel::Regressor(_) | AnyModel::Clusterer(_) => Vec::new(),
    };
    let mut buf = vec![0.0; classes.len()];
    // One output row per input row: a row skipped with `--on-error skip` gets an empty
    // prediction (null in JSON), so outputs stay aligned with inputs.
    let out = std::cell::RefCell::new((
        Vec::<Value>::new(),
        Vec::<Value>::new(),
        Vec::<String>::new(),
    ));
    drive(
        &mut feed,
        &cols,
        source.on_error,
        source.limit,
        &progress,
        |b, row, _| {
            let (pred, mut line) = match &saved.model {
                AnyModel::Classifier(m) => {
                    let p = if cols.records {
                        rec::RecordClassifier::predict_record(m, b.record())?
                    } else {
                        m.predict_one(row)?
                    };
                    let text = p
                        .as_ref()
                        .map(|l| csv_field(&l.to_string()))
                        .unwrap_or_default();
                    (p.as_ref().map_or(Value::Null, label_json), text)
                }
                AnyModel::Regressor(m) => {
                    let v = if cols.records {
                        rec::RecordRegressor::predict_record(m, b.record())?
                    } else {
                        m.predict_one(row)?
                    };
                    (number_json(v), v.to_string())
                }
                AnyModel::Clusterer(m) => {
                    let c = m.predict_one(row)?;
                    (
                        c.map_or(Value::Null, |c| json!(c)),
                        c.map(|c| c.to_string()).unwrap_or_default(),
                    )
                }
                AnyModel::Transformer(_) => unreachable!("refused above"),
            };
            let mut o = out.borrow_mut();
            if proba && let AnyModel::Classifier(m) = &saved.model {
                if cols.records {
                    rec::RecordClassifier::predict_proba_record_into(m, b.record(), &mut buf)?;
                } else {
                    m.predict_proba_into(row, &mut buf)?;
                }
                for p in &buf {
                    line.push(',');
                    line.push_str(&p.to_string());
                }
                o.1.push(json!(buf));
            }
            o.0.push(pred);
            o.2.push(line);
            Ok(())
        },
        || {
            let mut o = out.borrow_mut();
            o.0.push(Value::Null);
            if proba {
                o.1.push(Value::Null);
            }
            o.2.push(",".repeat(if proba { classes.len() } else { 0 }));
        },
    )?;
    let (preds, probas, lines) = out.into_inner();
    if json {
        let mut o = json!({"rows": preds.len(), "predictions": preds});
        if proba {
            o["classes"] = Value::Array(classes.iter().map(label_json).collect());
            o["proba"] = Value::Array(probas);
        }
        print_json(&o)
    } else {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let mut header = String::from("prediction");
        if proba {
            for c in &classes {
                header.push(',');
                header.push_str(&csv_field(&format!("proba_{c}")));
            }
        }
        writeln!(out, "{header}").map_err(io_err)?;
        for l in &lines {
            writeln!(out, "{l}").map_err(io_err)?;
        }
        out.flush().map_err(io_err)
    }
}

fn transform(load: &std::path::Path, source: &SourceArgs, json: bool) -> Result<(), CliError> {
    let saved = SavedModel::load(load)?;
    if !matches!(
        saved.model,
        AnyModel::Transformer(_) | AnyModel::Clusterer(_)
    ) {
        return Err(CliError::input(format!(
            "transform: `{}` is not a transformer or a clusterer; use `tidewater predict`",
            saved.spec
        )));
    }
    let (mut feed, _, _) = open(source, None, saved.bits)?;
    let cols = bind_saved(&mut feed, &saved, false)?;
    let (k, columns) = match &saved.model {
        AnyModel::Transformer(model) => {
            let k = model
                .n_features_out()
                .ok_or_else(|| CliError::input("transform: the model has learned nothing"))?;
            // A LIBSVM or VW model's one input column stands for 2^bits features: name them
            // as the rows have them (f0, f1, ...), so the output's names match its values.
            let inputs: Vec<String> = match (cols.sparse, model.n_features_in()) {
                (true, Some(d)) => (0..d).map(|j| format!("f{j}")).collect(),
                _ => saved.features.clone(),
            };
            let mut columns = model.feature_names_out(&inputs);
            if columns.len() != k {
                columns = (0..k).map(|j| format!("x{j}")).collect();
            }
            (k, columns)
        }
        AnyModel::Clusterer(model) => {
            // The Euclidean distance to each center, `d<j>` for cluster j.
            let k = model.n_clusters();
            if k == 0 {
                return Err(CliError::input(
                    "transform: the clusterer has no centers yet (it has learned too few rows)",
                ));
            }
            (k, (0..k).map(|j| format!("d{j}")).collect())
        }
        _ => unreachable!("refused above"),
    };
    let mut out_row = vec![0.0; k];
    // A row skipped with `--on-error skip` stays in the output as an empty row (null in JSON).
    let values = std::cell::RefCell::new(Vec::<Option<Vec<f64>>>::new());
    drive(
        &mut feed,
        &cols,
        source.on_error,
        source.limit,
        &Progress::new(true, None),
        |b, row, _| {
            match &saved.model {
                AnyModel::Transformer(model) if cols.records => {
                    rec::RecordTransform::transform_record(model, b.record(), &mut out_row)?
                }
                AnyModel::Transformer(model) => model.transform_one(row, &mut out_row)?,
                AnyModel::Clusterer(model) => model.distances_into(row, &mut out_row)?,
                _ => unreachable!("refused above"),
            }
            values.borrow_mut().push(Some(out_row.clone()));
            Ok(())
        },
        || values.borrow_mut().push(None),
    )?;
    let values = values.into_inner();
    if json {
        let rows: Vec<Value> = values
            .iter()
            .map(|r| match r {
                Some(r) => Value::Array(r.iter().map(|&v| number_json_plain(v)).collect()),
                None => Value::Null,
            })
            .collect();
        print_json(&json!({"rows": values.len(), "columns": columns, "values": rows}))
    } else {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let header: Vec<String> = columns.iter().map(|c| csv_field(c)).collect();
        writeln!(out, "{}", header.join(",")).map_err(io_err)?;
        for r in &values {
            let line: Vec<String> = match r {
                Some(r) => r.iter().map(|v| v.to_string()).collect(),
                None => vec![String::new(); k],
            };
            writeln!(out, "{}", line.join(",")).map_err(io_err)?;
        }
        out.flush().map_err(io_err)
    }
}

/// A transformed value as a JSON number (never an integer form: values are reals).
/// `inspect`: what a saved model file holds, as text, JSON or dot.
fn inspect(load: &std::path::Path, json: bool, dot: bool) -> Result<(), CliError> {
    let saved = SavedModel::load(load)?;
    let bytes = std::fs::metadata(load).map(|m| m.len()).unwrap_or(0);
    let structure = saved.model.structure(&saved.features);
    let (role, classes): (&str, Vec<String>) = match &saved.model {
        AnyModel::Classifier(m) => (
            "classifier",
            m.classes().labels().iter().map(|l| l.to_string()).collect(),
        ),
        AnyModel::Regressor(_) => ("regressor", Vec::new()),
        AnyModel::Transformer(_) => ("transformer", Vec::new()),
        AnyModel::Clusterer(_) => ("clusterer", Vec::new()),
    };
    let mut out = std::io::stdout().lock();
    if dot {
        let Some(s) = structure else {
            return Err(CliError::input(format!(
                "inspect --dot: `{}` is not a tree model",
                saved.spec
            )));
        };
        out.write_all(s.dot.as_bytes()).map_err(io_err)?;
        return Ok(());
    }
    if json {
        let structure = structure.map(|s| {
            json!({
                "trees": s.trees,
                "depth": s.depth,
                "n_nodes": s.n_nodes,
                "n_leaves": s.n_leaves,
                "feature_importances": s.feature_importances,
                "text": s.text,
            })
        });
        let v = json!({
            "model": saved.spec,
            "role": role,
            "features": saved.features,
            "target": saved.target,
            "classes": if role == "classifier" { json!(classes) } else { Value::Null },
            "rows_seen": saved.rows_seen,
            "bytes": bytes,
            "structure": structure,
        });
        writeln!(out, "{v}").map_err(io_err)?;
        return Ok(());
    }
    writeln!(out, "model: {}", saved.spec).map_err(io_err)?;
    writeln!(out, "role: {role}").map_err(io_err)?;
    writeln!(
        out,
        "features: {} ({})",
        saved.features.len(),
        saved.features.join(", ")
    )
    .map_err(io_err)?;
    if let Some(t) = &saved.target {
        writeln!(out, "target: {t}").map_err(io_err)?;
    }
    if role == "classifier" {
        writeln!(out, "classes: {}", classes.join(", ")).map_err(io_err)?;
    }
    writeln!(out, "rows learned: {}", saved.rows_seen).map_err(io_err)?;
    writeln!(out, "file: {bytes} bytes").map_err(io_err)?;
    match structure {
        None => writeln!(out, "structure: not a tree model").map_err(io_err)?,
        Some(s) => {
            writeln!(
                out,
                "trees: {}, depth {}, {} nodes, {} leaves",
                s.trees, s.depth, s.n_nodes, s.n_leaves
            )
            .map_err(io_err)?;
            if let Some(imp) = &s.feature_importances {
                let words: Vec<String> = saved
                    .features
                    .iter()
                    .zip(imp)
                    .map(|(f, v)| format!("{f} {v:.4}"))
                    .collect();
                writeln!(out, "feature importances: {}", words.join(", ")).map_err(io_err)?;
            }
            out.write_all(s.text.as_bytes()).map_err(io_err)?;
        }
    }
    Ok(())
}

fn number_json_plain(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

fn list(json: bool) -> Result<(), CliError> {
    let entry_json = |e: &registry::Entry| {
        let paths = if !e.properties.stream_path {
            "batch only (learn and eval refuse it)"
        } else if e.batch_path {
            "batch and stream"
        } else {
            "stream (fit learns row by row)"
        };
        json!({"name": e.name, "summary": e.summary, "role": e.role.name(), "paths": paths,
               "params": params_json(&(e.params)())})
    };
    let cat = registry::catalogue();
    let is_model = |e: &&registry::Entry| e.role != Role::Transformer;
    let is_transformer = |e: &&registry::Entry| e.role == Role::Transformer;
    let all_datasets = || {
        let shipped = tidewater::datasets::catalog().iter();
        shipped.chain(std::iter::once(&tidewater::datasets::ELEC2))
    };
    if json {
        let datasets: Vec<Value> = all_datasets()
            .map(|d| {
                json!({"name": d.name, "rows": d.rows, "columns": d.columns, "task": d.task.as_str(),
                       "targets": d.targets, "shipped": d.shipped})
            })
            .collect();
        return print_json(&json!({
            "models": cat.iter().filter(is_model).map(entry_json).collect::<Vec<_>>(),
            "transformers": cat.iter().filter(is_transformer).map(entry_json).collect::<Vec<_>>(),
            "detectors": detectors_json(),
            "datasets": datasets,
            "generators": generators_json(),
        }));
    }
    // One width for every name column, so summaries line up across sections.
    let width = cat
        .iter()
        .map(|e| e.name.len())
        .chain(registry::detector_catalogue().iter().map(|d| d.name.len()))
        .chain(
            tidewater::datasets::synth::catalogue()
                .iter()
                .map(|g| g.name.len()),
        )
        .chain(all_datasets().map(|d| d.name.len()))
        .max()
        .unwrap_or(0)
        + 2;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut w = || -> std::io::Result<()> {
        for (title, entries) in [
            ("models", cat.iter().filter(is_model).collect::<Vec<_>>()),
            ("transformers", cat.iter().filter(is_transformer).collect()),
        ] {
            writeln!(out, "{title}:")?;
            for e in entries {
                writeln!(out, "  {:<width$}{}", e.name, e.summary)?;
                if !e.properties.stream_path {
                    writeln!(
                        out,
                        "  {:<width$}(batch only: fit; learn and eval refuse it)",
                        ""
                    )?;
                } else if !e.batch_path {
                    writeln!(out, "  {:<width$}(fit learns over the data row by row)", "")?;
                }
                write_params(&mut out, &(e.params)())?;
            }
        }
        writeln!(out, "datasets:")?;
        for d in all_datasets() {
            let note = if d.shipped {
                String::new()
            } else {
                format!(
                    " (not shipped: set {} to your file)",
                    tidewater::datasets::ELEC2_ENV
                )
            };
            writeln!(
                out,
                "  {:<width$}{} rows, {} features, {}{note}",
                d.name, d.rows, d.columns, d.task
            )?;
        }
        writeln!(out, "detectors:")?;
        for d in registry::detector_catalogue() {
            writeln!(out, "  {:<width$}{}", d.name, d.summary)?;
            write_params(&mut out, &(d.params)())?;
        }
        writeln!(out, "generators:")?;
        for g in tidewater::datasets::synth::catalogue() {
            writeln!(out, "  {:<width$}{} ({})", g.name, g.summary, g.task)?;
            write_params(&mut out, &(g.params)())?;
        }
        out.flush()
    };
    w().map_err(io_err)
}

/// A component's parameters as `list` prints them: `name=default`, aligned, then the doc
/// line and what the parameter takes.
fn write_params(out: &mut impl Write, params: &[ParamDoc]) -> std::io::Result<()> {
    let cells: Vec<String> = params
        .iter()
        .map(|p| format!("{}={}", p.name, p.default))
        .collect();
    let width = cells.iter().map(String::len).max().unwrap_or(0) + 2;
    for (p, cell) in params.iter().zip(&cells) {
        let batch = if p.batch_only { "fit only; " } else { "" };
        writeln!(out, "      {cell:<width$}{} ({batch}{})", p.doc, p.allowed)?;
    }
    Ok(())
}

/// Parameters as `list --json` gives them: the default as a typed JSON value.
fn params_json(params: &[ParamDoc]) -> Vec<Value> {
    params
        .iter()
        .map(|p| {
            json!({"name": p.name, "default": spec_value_json(&p.default), "doc": p.doc,
                   "allowed": p.allowed, "batch_only": p.batch_only})
        })
        .collect()
}

/// A spec value as JSON: numbers (integers when whole), booleans, null for `none`, strings
/// for words, arrays for lists, and a nested spec as its text.
fn spec_value_json(v: &SpecValue) -> Value {
    match v {
        SpecValue::Num(x) => number_json(*x),
        SpecValue::Bool(b) => Value::Bool(*b),
        SpecValue::None => Value::Null,
        SpecValue::Text(s) => Value::String(s.clone()),
        SpecValue::List(items) => Value::Array(items.iter().map(spec_value_json).collect()),
        SpecValue::Spec(s) => Value::String(s.to_string()),
    }
}

/// The `generators` section of `list --json`.
fn generators_json() -> Vec<Value> {
    tidewater::datasets::synth::catalogue()
        .iter()
        .map(|g| {
            json!({"name": g.name, "summary": g.summary, "task": g.task.as_str(),
                   "params": params_json(&(g.params)())})
        })
        .collect()
}

fn export(name: &str, limit: Option<usize>) -> Result<(), CliError> {
    if name.contains('(') || tidewater::datasets::synth::is_generator(name) {
        return export_synth(name, limit);
    }
    let info = super::data::dataset_info(name)?;
    let bytes = tidewater::datasets::csv_text(info.name)?;
    let text = String::from_utf8_lossy(&bytes);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (i, line) in text.lines().enumerate() {
        if limit.is_some_and(|l| i > l) {
            break;
        }
        writeln!(out, "{line}").map_err(io_err)?;
    }
    out.flush().map_err(io_err)
}

/// `datasets export SPEC`: `--limit` rows of a generator (default
/// [`DEFAULT_LIMIT`](tidewater::datasets::synth::DEFAULT_LIMIT)), header first, target last.
fn export_synth(spec: &str, limit: Option<usize>) -> Result<(), CliError> {
    use std::fmt::Write as _;
    let mut g = tidewater::datasets::synth::from_spec(spec)?;
    let n = limit.unwrap_or(tidewater::datasets::synth::DEFAULT_LIMIT);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let schema = g.schema();
    let header: Vec<String> = schema
        .features
        .iter()
        .chain(&schema.targets)
        .map(|c| csv_field(c))
        .collect();
    writeln!(out, "{}", header.join(",")).map_err(io_err)?;
    let mut x = vec![0.0; g.n_features()];
    let mut line = String::new();
    for _ in 0..n {
        let s = g.next_into(&mut x)?;
        line.clear();
        for v in &x {
            let _ = write!(line, "{v},");
        }
        let _ = writeln!(line, "{}", s.target);
        out.write_all(line.as_bytes()).map_err(io_err)?;
    }
    out.flush().map_err(io_err)
}

/// `--retrain` events as JSON: `[{"row": i, "kind": "drift"}, ...]`.
pub fn events_json(events: &[tidewater::drift::Event]) -> Value {
    Value::Array(
        events
            .iter()
            .map(|e| json!({"row": e.row, "kind": e.kind.name()}))
            .collect(),
    )
}

/// `--retrain` events in one line: counts by kind, then the first few.
fn events_summary(events: &[tidewater::drift::Event]) -> String {
    use tidewater::drift::EventKind;
    let count = |k: EventKind| events.iter().filter(|e| e.kind == k).count();
    let first: Vec<String> = events
        .iter()
        .take(8)
        .map(|e| format!("{} at row {}", e.kind.name(), e.row))
        .collect();
    format!(
        "{} warnings, {} drifts, {} swaps, {} resets{}{}",
        count(EventKind::Warning),
        count(EventKind::Drift),
        count(EventKind::Swap),
        count(EventKind::Reset),
        if first.is_empty() { "" } else { ": " },
        first.join(", ")
    )
}

/// The `detectors` section of `list --json`: name, summary, whether the detector has a
/// warning zone, its input (`real`, or `binary`: 0/1 errors), and its parameters.
fn detectors_json() -> Vec<Value> {
    registry::detector_catalogue()
        .iter()
        .map(|d| {
            let params = params_json(&(d.params)());
            let input = match d.input {
                tidewater::drift::InputKind::Real => "real",
                tidewater::drift::InputKind::Binary => "binary",
            };
            json!({
                "name": d.name,
                "summary": d.summary,
                "warnings": d.warnings,
                "input": input,
                "params": params,
            })
        })
        .collect()
}
