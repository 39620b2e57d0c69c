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

/// A progress counter on stderr when stderr is a terminal and the output is not JSON.
pub struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    /// A spinner counting rows, shown only when it helps.
    pub fn new(json: bool) -> Self {
        if json || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let pb = indicatif::ProgressBar::new_spinner();
        pb.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {human_pos} rows ({per_sec})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        Progress(Some(pb))
    }

    /// Counts a row (draws every 4096).
    pub fn tick(&self, rows: usize) {
        if let Some(pb) = &self.0
            && rows.is_multiple_of(4096)
        {
            pb.set_position(rows as u64);
        }
    }

    /// Removes the spinner.
    pub fn finish(&self) {
        if let Some(pb) = &self.0 {
            pb.finish_and_clear();
        }
    }
}
