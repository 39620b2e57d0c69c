//! `tidewater bench`: several models on several sources, each run prequential as `eval`
//! runs it; a table per source, `results.json`, `results.md` and a learning-curve chart per
//! source.

use std::path::{Path, PathBuf};

use clap::Args;
use rayon::prelude::*;
use serde_json::{Value, json};
use tidewater::registry::{self, Role};

use super::chart::{self, Chart, Series};
use super::commands::{EvalOptions, EvalRun, curve_metric, events_json, run_eval};
use super::output::{io_err, metrics_json, peak_rss_bytes, print_json, reset_peak_rss};
use super::{CliError, OnError, SourceArgs};

/// The arguments of `tidewater bench`.
#[derive(Args)]
pub struct BenchArgs {
    /// Model or pipeline specs, separated by `;` (a `;` inside quotes or brackets is part of
    /// its spec).
    #[arg(long, value_name = "SPECS")]
    models: String,
    /// A data file; each `--data` is a source of its own (repeatable).
    #[arg(long = "data", value_name = "FILE")]
    data: Vec<PathBuf>,
    /// A shipped data set (repeatable).
    #[arg(long, value_name = "NAME")]
    dataset: Vec<String>,
    /// A stream generator spec (repeatable; --limit bounds it, default 100000 rows).
    #[arg(long, value_name = "SPEC")]
    synth: Vec<String>,
    /// File format, overriding the extension.
    #[arg(long, value_name = "FORMAT")]
    format: Option<String>,
    /// Bits of the feature hash of LIBSVM and VW rows (default 18).
    #[arg(long, value_name = "B")]
    bits: Option<u32>,
    /// Stop each source after N rows.
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// The target column (default: the last column).
    #[arg(long, value_name = "COL")]
    target: Option<String>,
    /// What to do with a bad row.
    #[arg(long, value_enum, default_value = "abort")]
    on_error: OnError,
    /// Rows in the rolling metrics' window (and the learning curves').
    #[arg(long, value_name = "N", default_value_t = 1000)]
    window: usize,
    /// Wrap every model in drift retraining with this detector; events are reported and
    /// marked on the charts.
    #[arg(long, value_name = "DETECTOR")]
    retrain: Option<String>,
    /// Where to write results.json, results.md and the charts (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Runs at a time (rayon threads). With more than one, the timings share the cores and
    /// peak memory is not measured; the tables say so.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    jobs: u64,
    /// The charts' format.
    #[arg(long, value_name = "FORMAT", default_value = "svg", value_parser = ["svg", "png"])]
    chart_format: String,
    /// results.json on stdout instead of the tables.
    #[arg(long)]
    json: bool,
}

/// One source of a bench, with the name its chart file gets.
struct Source {
    args: SourceArgs,
    /// What the tables call it (the data set, file or generator spec).
    label: String,
}

/// One model on one source.
struct Outcome {
    model: String,
    source: usize,
    result: Result<Measured, String>,
}

struct Measured {
    run: EvalRun,
    peak_rss: Option<u64>,
}

/// Splits `a;b;c` at the `;` that are outside quotes, parentheses and brackets; empty parts
/// are an error.
fn split_models(s: &str) -> Result<Vec<String>, CliError> {
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0usize);
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(' | '[') => depth += 1,
            (None, ')' | ']') => depth -= 1,
            (None, ';') if depth <= 0 => {
                parts.push(s[start..i].trim().to_owned());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(s[start..].trim().to_owned());
    if let Some(i) = parts.iter().position(String::is_empty) {
        return Err(CliError::input(format!(
            "--models: model {} of \"{s}\" is empty (specs are separated by `;`)",
            i + 1
        )));
    }
    Ok(parts)
}

impl BenchArgs {
    /// The sources, in this order: `--dataset`s, `--data` files, `--synth` generators, each
    /// in the order given.
    fn sources(&self) -> Result<Vec<Source>, CliError> {
        let base = SourceArgs {
            data: Vec::new(),
            dataset: None,
            synth: None,
            format: self.format.clone(),
            bits: self.bits,
            limit: self.limit,
            target: self.target.clone(),
            on_error: self.on_error,
        };
        let mut out = Vec::new();
        for d in &self.dataset {
            out.push(Source {
                args: SourceArgs {
                    dataset: Some(d.clone()),
                    ..base.clone()
                },
                label: d.clone(),
            });
        }
        for f in &self.data {
            out.push(Source {
                args: SourceArgs {
                    data: vec![f.clone()],
                    ..base.clone()
                },
                label: f.display().to_string(),
            });
        }
        for g in &self.synth {
            out.push(Source {
                args: SourceArgs {
                    synth: Some(g.clone()),
                    ..base.clone()
                },
                label: g.clone(),
            });
        }
        if out.is_empty() {
            return Err(CliError::input(
                "bench: no source: give --dataset NAME, --data FILE or --synth SPEC",
            ));
        }
        Ok(out)
    }
}

/// A file name for a source's chart: its letters, digits, `-` and `.` kept, the rest `_`,
/// made unique among `taken`.
fn chart_name(label: &str, ext: &str, taken: &mut Vec<String>) -> String {
    let stem = Path::new(label)
        .file_stem()
        .filter(|_| !label.contains('('))
        .and_then(|s| s.to_str())
        .unwrap_or(label);
    let mut base: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    base = base.trim_matches('_').chars().take(60).collect();
    if base.is_empty() {
        base = "source".to_owned();
    }
    let mut name = format!("{base}.{ext}");
    let mut k = 2;
    while taken.contains(&name) {
        name = format!("{base}-{k}.{ext}");
        k += 1;
    }
    taken.push(name.clone());
    name
}

/// The metrics a table shows for a role.
fn table_metrics(role: Role) -> &'static [&'static str] {
    match role {
        Role::Regressor => &["mae", "rmse", "r2"],
        Role::Clusterer => &["inertia", "ari"],
        _ => &["accuracy", "f1", "log_loss"],
    }
}

/// `tidewater bench`.
pub fn bench(a: &BenchArgs) -> Result<(), CliError> {
    if a.window == 0 {
        return Err(CliError::input("--window: must be at least 1, got 0"));
    }
    let models = split_models(&a.models)?;
    // Every spec and the detector are checked before any data is read.
    for m in &models {
        registry::parse(m, registry::Path::Stream)
            .map_err(|e| CliError::input(format!("--models: {e}")))?;
    }
    if let Some(d) = &a.retrain {
        registry::build_detector(d).map_err(|e| CliError::input(format!("--retrain: {e}")))?;
    }
    let sources = a.sources()?;
    std::fs::create_dir_all(&a.out)
        .map_err(|e| CliError::input(format!("--out {}: {e}", a.out.display())))?;

    let jobs = usize::try_from(a.jobs).unwrap_or(usize::MAX);
    let tasks: Vec<(usize, &String)> = (0..sources.len())
        .flat_map(|s| models.iter().map(move |m| (s, m)))
        .collect();
    let run_one = |&(s, model): &(usize, &String)| -> Outcome {
        let measure_memory = jobs == 1 && reset_peak_rss();
        let result = run_eval(
            model,
            &sources[s].args,
            &EvalOptions {
                window: a.window,
                retrain: a.retrain.as_deref(),
                quiet: true,
                print_every: None,
                curve: true,
            },
        )
        .map(|run| Measured {
            run,
            peak_rss: if measure_memory {
                peak_rss_bytes()
            } else {
                None
            },
        })
        .map_err(|e| e.to_string());
        Outcome {
            model: model.clone(),
            source: s,
            result,
        }
    };
    let outcomes: Vec<Outcome> = if jobs == 1 {
        tasks.iter().map(run_one).collect()
    } else {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .build()
            .map_err(|e| CliError::Internal(format!("thread pool: {e}")))?;
        pool.install(|| tasks.par_iter().map(run_one).collect())
    };

    // Charts, one per source.
    let mut taken = Vec::new();
    let mut charts = Vec::new();
    for (si, src) in sources.iter().enumerate() {
        let file = chart_name(&src.label, &a.chart_format, &mut taken);
        let runs: Vec<(&Outcome, &Measured)> = outcomes
            .iter()
            .filter(|o| o.source == si)
            .filter_map(|o| o.result.as_ref().ok().map(|m| (o, m)))
            .collect();
        let Some((_, first)) = runs.first() else {
            charts.push(None);
            continue;
        };
        let role = first.run.role;
        // One chart per source plots one metric: the models of the first model's role.
        let series: Vec<Series> = runs
            .iter()
            .filter(|(_, m)| same_curve(m.run.role, role))
            .map(|(o, m)| Series {
                label: o.model.clone(),
                points: m.run.curve.as_ref().map(|c| c.points()).unwrap_or_default(),
                events: m.run.events.clone().unwrap_or_default(),
            })
            .collect();
        let (y_label, unit_interval) = curve_metric(role, a.window);
        chart::write(
            &a.out.join(&file),
            &Chart {
                title: format!("{} on {}", y_label, src.label),
                y_label,
                unit_interval,
                series: &series,
            },
            "chart",
        )?;
        charts.push(Some(file));
    }

    let results = results_json(a, &models, &sources, &outcomes, &charts);
    let md = results_markdown(a, &sources, &outcomes, &charts);
    let write = |name: &str, text: &str| {
        let p = a.out.join(name);
        std::fs::write(&p, text)
            .map_err(|e| CliError::input(format!("--out: writing {}: {e}", p.display())))
    };
    let mut text =
        serde_json::to_string_pretty(&results).map_err(|e| CliError::Internal(e.to_string()))?;
    text.push('\n');
    write("results.json", &text)?;
    write("results.md", &md)?;
    if a.json {
        print_json(&results)?;
    } else {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        out.write_all(md.as_bytes()).map_err(io_err)?;
    }
    if let Some(o) = outcomes.iter().find(|o| o.result.is_err()) {
        let e = o.result.as_ref().err().cloned().unwrap_or_default();
        let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
        return Err(CliError::input(format!(
            "{failed} of {} runs failed (results written to {}); first: `{}` on {}: {e}",
            outcomes.len(),
            a.out.display(),
            o.model,
            sources[o.source].label
        )));
    }
    Ok(())
}

/// Whether two roles' curves share a metric (and so a chart).
fn same_curve(a: Role, b: Role) -> bool {
    let key = |r: Role| match r {
        Role::Regressor => 1,
        Role::Clusterer => 2,
        _ => 0,
    };
    key(a) == key(b)
}

fn timing_note(a: &BenchArgs) -> String {
    if a.jobs == 1 {
        "runs one at a time; peak memory is the process's peak resident memory during the run \
         (the program's own footprint included)"
            .to_owned()
    } else {
        format!(
            "{} runs at a time (rayon): rows/s shares the machine's {} cores between them, and \
             peak memory is not measured",
            a.jobs,
            std::thread::available_parallelism().map_or(1, |n| n.get())
        )
    }
}

fn results_json(
    a: &BenchArgs,
    models: &[String],
    sources: &[Source],
    outcomes: &[Outcome],
    charts: &[Option<String>],
) -> Value {
    let runs: Vec<Value> = outcomes
        .iter()
        .map(|o| {
            let mut v = json!({"model": o.model, "source": sources[o.source].label});
            match &o.result {
                Ok(m) => {
                    let r = &m.run.report;
                    v["dataset"] = json!(m.run.source);
                    v["rows"] = json!(r.rows);
                    v["skipped"] = json!(r.skipped);
                    v["seconds"] = json!(r.seconds);
                    v["rows_per_sec"] = json!(r.rows_per_sec);
                    v["metrics"] = metrics_json(&r.metrics);
                    v["size_bytes"] = json!(m.run.size_bytes);
                    v["peak_rss_bytes"] = json!(m.peak_rss);
                    if let Some(c) = &m.run.curve {
                        v["curve"] = Value::Array(
                            c.points().into_iter().map(|(r, x)| json!([r, x])).collect(),
                        );
                    }
                    if let Some(events) = &m.run.events {
                        v["events"] = events_json(events);
                    }
                }
                Err(e) => v["error"] = json!(e),
            }
            v
        })
        .collect();
    json!({
        "models": models,
        "sources": sources.iter().map(|s| s.label.clone()).collect::<Vec<_>>(),
        "window": a.window,
        "limit": a.limit,
        "retrain": a.retrain,
        "jobs": a.jobs,
        "timing": timing_note(a),
        "tidewater": env!("CARGO_PKG_VERSION"),
        "runs": runs,
        "charts": sources.iter().zip(charts).map(|(s, c)| json!({"source": s.label, "file": c})).collect::<Vec<_>>(),
    })
}

/// A number for a table: 4 significant decimals, or `-`.
fn cell(v: Option<f64>) -> String {
    match v {
        Some(v) if v.abs() >= 1e5 => format!("{v:.0}"),
        Some(v) => format!("{v:.4}"),
        None => "-".to_owned(),
    }
}

/// Bytes for a table: `12.3 KiB`.
fn bytes(v: Option<u64>) -> String {
    match v {
        None => "-".to_owned(),
        Some(b) if b < 1024 => format!("{b} B"),
        Some(b) if b < 1 << 20 => format!("{:.1} KiB", b as f64 / 1024.0),
        Some(b) => format!("{:.1} MiB", b as f64 / (1 << 20) as f64),
    }
}

fn results_markdown(
    a: &BenchArgs,
    sources: &[Source],
    outcomes: &[Outcome],
    charts: &[Option<String>],
) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "# tidewater bench\n");
    let _ = writeln!(
        s,
        "Prequential (predict, score, then learn each row); rolling window {} rows{}{}. Timing: {}.\n",
        a.window,
        a.limit
            .map_or(String::new(), |l| format!(", at most {l} rows per source")),
        a.retrain
            .as_ref()
            .map_or(String::new(), |d| format!(", drift retraining with `{d}`")),
        timing_note(a)
    );
    for (si, src) in sources.iter().enumerate() {
        let here: Vec<&Outcome> = outcomes.iter().filter(|o| o.source == si).collect();
        let mut roles: Vec<Role> = Vec::new();
        for o in &here {
            if let Ok(m) = &o.result
                && !roles.iter().any(|r| same_curve(*r, m.run.role))
            {
                roles.push(m.run.role);
            }
        }
        let metrics: Vec<&str> = roles
            .iter()
            .flat_map(|r| table_metrics(*r).iter().copied())
            .collect();
        let rows = here
            .iter()
            .find_map(|o| o.result.as_ref().ok().map(|m| m.run.report.rows));
        let _ = writeln!(
            s,
            "## {}{}\n",
            src.label,
            rows.map_or(String::new(), |r| format!(" ({r} rows)"))
        );
        let _ = write!(s, "| model |");
        for m in &metrics {
            let _ = write!(s, " {m} |");
        }
        let _ = writeln!(s, " rows/s | model size | peak memory |");
        let _ = write!(s, "|---|");
        for _ in &metrics {
            let _ = write!(s, "---:|");
        }
        let _ = writeln!(s, "---:|---:|---:|");
        for o in &here {
            let _ = write!(s, "| `{}` |", o.model.replace('|', "\\|"));
            match &o.result {
                Ok(m) => {
                    let r = &m.run.report;
                    for k in &metrics {
                        let _ = write!(s, " {} |", cell(r.metric(k)));
                    }
                    let _ = writeln!(
                        s,
                        " {:.0} | {} | {} |",
                        r.rows_per_sec,
                        bytes(m.run.size_bytes.map(|b| b as u64)),
                        bytes(m.peak_rss)
                    );
                }
                Err(e) => {
                    let _ = writeln!(s, " error: {} |", e.replace('|', "\\|").replace('\n', " "));
                }
            }
        }
        if let Some(Some(c)) = charts.get(si) {
            let _ = writeln!(s, "\n![{}]({c})", src.label);
        }
        let _ = writeln!(s);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_split_outside_quotes_and_brackets() {
        let m = split_models("gaussian_nb; a(x=\"p;q\")|b ;c(l=[1;2])").unwrap();
        assert_eq!(m, vec!["gaussian_nb", "a(x=\"p;q\")|b", "c(l=[1;2])"]);
        assert!(split_models("a;;b").is_err());
        assert!(split_models("a;").is_err());
    }

    #[test]
    fn chart_names_are_plain_and_unique() {
        let mut taken = Vec::new();
        assert_eq!(chart_name("phishing", "svg", &mut taken), "phishing.svg");
        assert_eq!(
            chart_name("agrawal(seed=1)", "svg", &mut taken),
            "agrawal_seed_1.svg"
        );
        assert_eq!(chart_name("data/x.csv", "svg", &mut taken), "x.svg");
        assert_eq!(chart_name("other/x.csv", "svg", &mut taken), "x-2.svg");
    }
}
