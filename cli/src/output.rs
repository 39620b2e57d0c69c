//! Printing: JSON values for labels and numbers, CSV fields, and the progress bar.

use std::io::{IsTerminal, Write};

use serde_json::{Value, json};
use tidewater::Label;

use super::CliError;

/// A label as JSON: an integer-valued number as a JSON integer, other numbers as numbers,
/// text as a string.
pub fn label_json(l: &Label) -> Value {
    match l {
        Label::Num(v) => number_json(*v),
        Label::Text(s) => Value::String(s.to_string()),
    }
}

/// A number as JSON (null when not finite, which JSON cannot carry).
pub fn number_json(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        json!(v as i64)
    } else {
        serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
    }
}

/// A metric list as a JSON object.
pub fn metrics_json(m: &[(&'static str, Option<f64>)]) -> Value {
    let mut o = serde_json::Map::new();
    for (k, v) in m {
        o.insert(
            (*k).to_owned(),
            v.and_then(serde_json::Number::from_f64)
                .map_or(Value::Null, Value::Number),
        );
    }
    Value::Object(o)
}

/// Writes one JSON value and a newline on stdout.
pub fn print_json(v: &Value) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, v).map_err(|e| match e.io_error_kind() {
        Some(std::io::ErrorKind::BrokenPipe) => CliError::BrokenPipe,
        _ => CliError::Internal(e.to_string()),
    })?;
    writeln!(out).map_err(io_err)
}

/// An error writing stdout.
pub fn io_err(e: std::io::Error) -> CliError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return CliError::BrokenPipe;
    }
    CliError::Internal(format!("writing output: {e}"))
}

/// A CSV field: quoted when it holds a comma, a quote or a line break.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// How much input there is, when it is known before reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Total {
    /// Rows (a shipped data set, a generator's limit, `--limit`).
    Rows(u64),
    /// Bytes (the size of the input files).
    Bytes(u64),
}

/// Progress on stderr, only when stderr is a terminal (never on stdout, never with `--json`,
/// never into a file or a pipe): a bar with an ETA when the total is known, else a counter.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total: Option<Total>,
    every: Option<Every>,
}

/// `eval --print-every N`: a JSON line on stderr every `n` rows.
struct Every {
    n: usize,
    start: std::time::Instant,
    /// Rows and time at the last line.
    last: std::cell::Cell<(usize, std::time::Instant)>,
}

/// The CPU time this process has used, user and system, all threads, in seconds (from
/// `/proc/self/stat`, whose clock ticks are 1/100 s on Linux), where the system tells.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces, inside parentheses).
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// Resets the process's peak resident memory to its current resident memory (Linux: `5`
/// written to `/proc/self/clear_refs`); whether it could.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The peak resident memory of this process in bytes since it started or since
/// [`reset_peak_rss`] (`VmHWM` of `/proc/self/status`), where the system tells.
pub fn peak_rss_bytes() -> Option<u64> {
    status_kib("VmHWM:").map(|kb| kb * 1024)
}

/// A `kB` field of `/proc/self/status`.
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The resident memory of this process in bytes (`VmRSS` of `/proc/self/status`), where the
/// system tells.
pub fn resident_bytes() -> Option<u64> {
    status_kib("VmRSS:").map(|kb| kb * 1024)
}

impl Progress {
    /// A progress display for `total` (unknown: a counter of rows), hidden when `quiet` or
    /// when stderr is not a terminal.
    pub fn new(quiet: bool, total: Option<Total>) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress {
                bar: None,
                total,
                every: None,
            };
        }
        let (bar, template) = match total {
            Some(Total::Rows(n)) => (
                indicatif::ProgressBar::new(n),
                "{bar:30} {human_pos}/{human_len} rows ({per_sec}, {eta} left)",
            ),
            Some(Total::Bytes(n)) => (
                indicatif::ProgressBar::new(n),
                "{bar:30} {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
            ),
            None => (
                indicatif::ProgressBar::new_spinner(),
                "{spinner} {human_pos} rows ({per_sec})",
            ),
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template(template)
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        Progress {
            bar: Some(bar),
            total,
            every: None,
        }
    }

    /// Also writes `{"rows", "seconds", "rows_per_sec", "cpu_seconds", "rss_bytes"}` as one
    /// JSON line on stderr every `n` rows (`rows_per_sec` over the last `n` rows;
    /// `cpu_seconds` the process's CPU time so far and `rss_bytes` its resident memory,
    /// `null` where the system does not tell). The bar, if any, is hidden:
    /// the lines are the display.
    pub fn print_every(mut self, n: Option<usize>) -> Self {
        if let Some(n) = n {
            if let Some(pb) = self.bar.take() {
                pb.finish_and_clear();
            }
            let now = std::time::Instant::now();
            self.every = Some(Every {
                n,
                start: now,
                last: std::cell::Cell::new((0, now)),
            });
        }
        self
    }

    /// Counts `rows` rows read, `bytes` (asked only when drawn) the input bytes consumed;
    /// draws every 4096 rows.
    pub fn tick(&self, rows: usize, bytes: impl FnOnce() -> u64) {
        if let Some(e) = &self.every
            && rows.is_multiple_of(e.n)
        {
            let now = std::time::Instant::now();
            let (r0, t0) = e.last.replace((rows, now));
            let dt = now.duration_since(t0).as_secs_f64();
            let line = serde_json::json!({
                "rows": rows,
                "seconds": now.duration_since(e.start).as_secs_f64(),
                "rows_per_sec": if dt > 0.0 { (rows - r0) as f64 / dt } else { 0.0 },
                "cpu_seconds": cpu_seconds(),
                "rss_bytes": resident_bytes(),
            });
            eprintln!("{line}");
        }
        if let Some(pb) = &self.bar
            && rows.is_multiple_of(4096)
        {
            match self.total {
                Some(Total::Bytes(_)) => pb.set_position(bytes()),
                _ => pb.set_position(rows as u64),
            }
        }
    }

    /// Removes the display.
    pub fn finish(&self) {
        if let Some(pb) = &self.bar {
            pb.finish_and_clear();
        }
    }
}
