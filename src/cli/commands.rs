//! The commands.

use std::io::Write;
use std::time::Instant;

use serde_json::{Value, json};
use tidewater::core::eval::{ClassificationEvaluator, RegressionEvaluator, Report};
use tidewater::registry::{self, AnyModel, Role, SavedModel};
use tidewater::{Classifier, Regressor, Transformer};

use super::data::{Columns, Feed, FeedError, RowBuf, SourceArg};
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
            limit,
            window,
            json,
            retrain,
        } => eval(model, &source, limit, window, json, retrain),
        Command::Fit {
            model,
            source,
            save,
        } => fit(&model, &source, &save),
        Command::Learn {
            model,
            load,
            source,
            save,
        } => learn(model, load, &source, &save),
        Command::Predict {
            load,
            source,
            proba,
            json,
        } => predict(&load, &source, proba, json),
        Command::Transform { load, source, json } => transform(&load, &source, json),
        Command::List { json } => list(json),
        Command::Datasets {
            command: DatasetsCommand::Export { name, limit },
        } => export(&name, limit),
    }
}

fn open(source: &SourceArgs, default_dataset: Option<&str>) -> Result<(Feed, SourceArg), CliError> {
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
    Ok((Feed::open(&s, source.format.as_deref(), source.bits)?, s))
}

fn bind_for(feed: &mut Feed, model: &AnyModel, target: Option<&str>) -> Result<Columns, CliError> {
    feed.bind_new(target, model.role() != Role::Transformer)
}

/// Drives a stream of rows: `step` gets each good row; a bad row aborts (with its place) or
/// is counted as skipped.
fn drive(
    feed: &mut Feed,
    cols: &Columns,
    on_error: OnError,
    limit: Option<usize>,
    progress: &Progress,
    mut step: impl FnMut(&RowBuf) -> Result<(), tidewater::Error>,
    mut skip: impl FnMut(),
) -> Result<usize, CliError> {
    let mut buf = RowBuf::default();
    let mut n = 0usize;
    while limit.is_none_or(|l| n < l) {
        let bad = match feed.next(cols, &mut buf) {
            Ok(false) => break,
            Ok(true) => step(&buf).err().map(|e| format!("{}: {e}", buf.place)),
            Err(FeedError::Row(m)) => Some(m),
            Err(FeedError::Fatal(e)) => return Err(e),
        };
        n += 1;
        progress.tick(n);
        if let Some(m) = bad {
            match on_error {
                OnError::Abort => return Err(CliError::Input(m)),
                OnError::Skip => skip(),
            }
        }
    }
    Ok(n)
}

fn eval(
    model_spec: Option<String>,
    source: &SourceArgs,
    limit: Option<usize>,
    window: usize,
    json: bool,
    retrain: Option<String>,
) -> Result<(), CliError> {
    let start = Instant::now();
    if window == 0 {
        return Err(CliError::input("--window: must be at least 1, got 0"));
    }
    let spec = model_spec.unwrap_or_else(|| DEFAULT_MODEL.to_owned());
    let mut model = registry::build(&spec)?;
    if let Some(d) = retrain {
        let name = tidewater::spec::parse_spec(&d)?.name;
        return Err(CliError::input(format!(
            "--retrain: unknown detector `{name}`: this build has no drift detectors yet"
        )));
    }
    let (mut feed, src) = open(source, Some(DEFAULT_DATASET))?;
    let cols = bind_for(&mut feed, &model, source.target.as_deref())?;
    let target = cols.target.clone().unwrap_or_default();
    let progress = Progress::new(json);
    let report: Report = match &mut model {
        AnyModel::Classifier(m) => {
            let mut ev = ClassificationEvaluator::new(window);
            let ev_cell = std::cell::RefCell::new(&mut ev);
            drive(
                &mut feed,
                &cols,
                source.on_error,
                limit,
                &progress,
                |b| {
                    let y = b.label(&target)?;
                    ev_cell.borrow_mut().step(m, b.row(), &y, None)
                },
                || ev_cell.borrow_mut().skip(),
            )?;
            ev.report(start.elapsed().as_secs_f64())
        }
        AnyModel::Regressor(m) => {
            let mut ev = RegressionEvaluator::new(window);
            let ev_cell = std::cell::RefCell::new(&mut ev);
            drive(
                &mut feed,
                &cols,
                source.on_error,
                limit,
                &progress,
                |b| {
                    let y = b.value(&target)?;
                    ev_cell.borrow_mut().step(m, b.row(), y, None)
                },
                || ev_cell.borrow_mut().skip(),
            )?;
            ev.report(start.elapsed().as_secs_f64())
        }
        AnyModel::Transformer(_) => {
            return Err(CliError::input(format!(
                "eval: `{spec}` ends in a transformer; eval needs a classifier or a regressor"
            )));
        }
    };
    progress.finish();
    if json {
        print_json(&json!({
            "model": spec,
            "dataset": src.display(),
            "rows": report.rows,
            "skipped": report.skipped,
            "seconds": report.seconds,
            "rows_per_sec": report.rows_per_sec,
            "metrics": metrics_json(&report.metrics),
        }))
    } else {
        let mut out = std::io::stdout().lock();
        let mut w = || -> std::io::Result<()> {
            writeln!(out, "model:    {spec}")?;
            writeln!(out, "dataset:  {}", src.display())?;
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
            Ok(())
        };
        w().map_err(io_err)
    }
}

fn fit(spec: &str, source: &SourceArgs, save: &std::path::Path) -> Result<(), CliError> {
    // Parse (and validate) first so a bad spec is reported before any data is read.
    let role = registry::parse(spec, registry::Path::Batch)?
        .last()
        .map_or(Role::Transformer, |(_, e)| e.role);
    let (mut feed, _) = open(source, None)?;
    let cols = feed.bind_new(source.target.as_deref(), role != Role::Transformer)?;
    let mut skipped = 0;
    let data = feed.collect(
        &cols,
        role == Role::Classifier,
        None,
        source.on_error == OnError::Skip,
        &mut skipped,
    )?;
    let model = registry::fit(spec, &data)?;
    SavedModel {
        spec: spec.to_owned(),
        features: cols.features,
        target: cols.target,
        target_numeric: cols.target_numeric,
        rows_seen: data.n_rows() as u64,
        model,
    }
    .save(save)?;
    Ok(())
}

fn learn(
    spec: Option<String>,
    load: Option<std::path::PathBuf>,
    source: &SourceArgs,
    save: &std::path::Path,
) -> Result<(), CliError> {
    let (mut feed, _) = open(source, None)?;
    let (mut saved, cols) = match (spec, load) {
        (Some(spec), _) => {
            let model = registry::build(&spec)?;
            let cols = bind_for(&mut feed, &model, source.target.as_deref())?;
            let saved = SavedModel {
                spec,
                features: cols.features.clone(),
                target: cols.target.clone(),
                target_numeric: cols.target_numeric,
                rows_seen: 0,
                model,
            };
            (saved, cols)
        }
        (None, Some(path)) => {
            let saved = SavedModel::load(&path)?;
            let need = saved.model.role() != Role::Transformer;
            let cols = feed.bind_saved(
                &saved.features,
                saved.target.as_deref(),
                saved.target_numeric,
                need,
            )?;
            (saved, cols)
        }
        (None, None) => return Err(CliError::input("learn needs --model SPEC or --load MODEL")),
    };
    let target = cols.target.clone().unwrap_or_default();
    let progress = Progress::new(false);
    let mut skipped = 0usize;
    let model = &mut saved.model;
    let n = drive(
        &mut feed,
        &cols,
        source.on_error,
        None,
        &progress,
        |b| match model {
            AnyModel::Classifier(m) => m.learn_one(b.row(), &b.label(&target)?, None),
            AnyModel::Regressor(m) => m.learn_one(b.row(), b.value(&target)?, None),
            AnyModel::Transformer(m) => m.learn_one(b.row(), None),
        },
        || skipped += 1,
    )?;
    progress.finish();
    saved.rows_seen += (n - skipped) as u64;
    saved.save(save)?;
    Ok(())
}

fn predict(
    load: &std::path::Path,
    source: &SourceArgs,
    proba: bool,
    json: bool,
) -> Result<(), CliError> {
    let saved = SavedModel::load(load)?;
    let (mut feed, _) = open(source, None)?;
    let cols = feed.bind_saved(
        &saved.features,
        saved.target.as_deref(),
        saved.target_numeric,
        false,
    )?;
    let progress = Progress::new(true);
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
        AnyModel::Regressor(_) => Vec::new(),
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
        None,
        &progress,
        |b| {
            let (pred, mut line) = match &saved.model {
                AnyModel::Classifier(m) => {
                    let p = m.predict_one(b.row())?;
                    let text = p
                        .as_ref()
                        .map(|l| csv_field(&l.to_string()))
                        .unwrap_or_default();
                    (p.as_ref().map_or(Value::Null, label_json), text)
                }
                AnyModel::Regressor(m) => {
                    let v = m.predict_one(b.row())?;
                    (number_json(v), v.to_string())
                }
                AnyModel::Transformer(_) => unreachable!("refused above"),
            };
            let mut o = out.borrow_mut();
            if proba && let AnyModel::Classifier(m) = &saved.model {
                m.predict_proba_into(b.row(), &mut buf)?;
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
    let AnyModel::Transformer(model) = &saved.model else {
        return Err(CliError::input(format!(
            "transform: `{}` is not a transformer; use `tidewater predict`",
            saved.spec
        )));
    };
    let (mut feed, _) = open(source, None)?;
    let cols = feed.bind_saved(
        &saved.features,
        saved.target.as_deref(),
        saved.target_numeric,
        false,
    )?;
    let k = model
        .n_features_out()
        .ok_or_else(|| CliError::input("transform: the model has learned nothing"))?;
    let columns = model.feature_names_out(&saved.features);
    let mut out_row = vec![0.0; k];
    // A row skipped with `--on-error skip` stays in the output as an empty row (null in JSON).
    let values = std::cell::RefCell::new(Vec::<Option<Vec<f64>>>::new());
    drive(
        &mut feed,
        &cols,
        source.on_error,
        None,
        &Progress::new(true),
        |b| {
            model.transform_one(b.row(), &mut out_row)?;
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
fn number_json_plain(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

fn list(json: bool) -> Result<(), CliError> {
    let entry_json = |e: &registry::Entry| {
        let params: Vec<Value> = (e.params)()
            .into_iter()
            .map(|p| json!({"name": p.name, "default": p.default, "doc": p.doc}))
            .collect();
        let paths = if e.batch_path {
            "batch and stream"
        } else {
            "stream (fit learns row by row)"
        };
        json!({"name": e.name, "summary": e.summary, "role": e.role.name(), "paths": paths, "params": params})
    };
    let cat = registry::catalogue();
    let models: Vec<Value> = cat
        .iter()
        .filter(|e| e.role != Role::Transformer)
        .map(entry_json)
        .collect();
    let transformers: Vec<Value> = cat
        .iter()
        .filter(|e| e.role == Role::Transformer)
        .map(entry_json)
        .collect();
    let datasets: Vec<Value> = tidewater::datasets::catalog()
        .iter()
        .map(|d| json!({"name": d.name, "rows": d.rows, "columns": d.columns, "task": d.task.as_str()}))
        .collect();
    if json {
        return print_json(&json!({
            "models": models,
            "transformers": transformers,
            "detectors": [],
            "datasets": datasets,
            "generators": [],
        }));
    }
    let mut out = std::io::stdout().lock();
    let mut w = || -> std::io::Result<()> {
        for (title, role_filter) in [("models", false), ("transformers", true)] {
            writeln!(out, "{title}:")?;
            for e in cat
                .iter()
                .filter(|e| (e.role == Role::Transformer) == role_filter)
            {
                writeln!(out, "  {:<24}{}", e.name, e.summary)?;
                if !e.batch_path {
                    writeln!(out, "  {:<24}(fit learns over the data row by row)", "")?;
                }
                for p in (e.params)() {
                    writeln!(out, "      {}={}  {}", p.name, p.default, p.doc)?;
                }
            }
        }
        writeln!(out, "datasets:")?;
        for d in tidewater::datasets::catalog() {
            writeln!(
                out,
                "  {:<24}{} rows, {} features, {}",
                d.name, d.rows, d.columns, d.task
            )?;
        }
        writeln!(out, "detectors: (none yet)")?;
        writeln!(out, "generators: (none yet)")
    };
    w().map_err(io_err)
}

fn export(name: &str, limit: Option<usize>) -> Result<(), CliError> {
    let bytes = tidewater::datasets::csv_bytes(name).ok_or_else(|| {
        let known: Vec<&str> = tidewater::datasets::catalog()
            .iter()
            .map(|d| d.name)
            .collect();
        CliError::input(format!(
            "unknown data set `{name}` (known: {})",
            known.join(", ")
        ))
    })?;
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
