//! `tidewater drift`: a drift detector over a column of numbers.
//!
//! Files whose header has a single column take a fast path: core's [`NumberColumn`] reads
//! them in large blocks on one thread while the detector runs on this one. Anything it does
//! not read plainly (quotes, commas, missing or non-finite values, text, a value the detector
//! refuses, an unreadable file) makes it give up: the run restarts from the first value on
//! the general path (core's [`CsvReader`]), which reports errors with their file, line and
//! column. Standard input and pipes, which cannot be read twice, take the general path.

use std::path::PathBuf;
use std::time::Instant;

use serde_json::{Value, json};
use tidewater::core::io::{Cell, ColumnKind, CsvReader, Format, NumberColumn, Record, quote};
use tidewater::drift::{AnyDetector, Detections, DriftDetector};
use tidewater::{Error, registry};

use super::CliError;
use super::data::{Feed, FeedError, RowBuf, SourceArg, input_format, input_name, open_input};
use super::output::{Progress, Total, io_err, print_json};

/// Values handed to the detector at once.
const CHUNK: usize = 1 << 16;

/// The arguments of `tidewater drift`.
pub struct DriftArgs {
    /// The detector spec.
    pub detector: String,
    /// CSV files, read in order as one stream.
    pub files: Vec<PathBuf>,
    /// A shipped data set.
    pub dataset: Option<String>,
    /// A generator spec.
    pub synth: Option<String>,
    /// `--format` (only `csv` makes sense for a column).
    pub format: Option<String>,
    /// The column (default: the first).
    pub column: Option<String>,
    /// Stop after this many values (a generator's default: its default limit).
    pub limit: Option<usize>,
    /// One JSON object on stdout.
    pub json: bool,
}

/// The detector, its detections and the values not yet handed to it.
struct Run {
    detector: AnyDetector,
    out: Detections,
    /// Values handed to the detector so far.
    rows: usize,
    pending: Vec<f64>,
    limit: usize,
    progress: Progress,
}

impl Run {
    fn new(detector: AnyDetector, limit: Option<usize>, json: bool) -> Self {
        Run {
            detector,
            out: Detections::new(),
            rows: 0,
            pending: Vec::with_capacity(CHUNK),
            limit: limit.unwrap_or(usize::MAX),
            progress: Progress::new(json, limit.map(|l| Total::Rows(l as u64))),
        }
    }

    /// Values seen so far, handed over or pending.
    fn seen(&self) -> usize {
        self.rows + self.pending.len()
    }

    fn full(&self) -> bool {
        self.seen() >= self.limit
    }

    /// Hands the pending values to the detector (they were checked, or the fast path gives
    /// up on an error).
    fn flush(&mut self) -> Result<(), Error> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.detector
            .update_many_into(&self.pending, self.rows, &mut self.out)?;
        self.rows += self.pending.len();
        self.pending.clear();
        self.progress.tick(self.rows, || 0);
        Ok(())
    }

    #[inline]
    fn push(&mut self, v: f64) -> Result<(), Error> {
        self.pending.push(v);
        if self.pending.len() == CHUNK {
            self.flush()?;
        }
        Ok(())
    }
}

/// Runs `tidewater drift`.
pub fn drift(args: &DriftArgs) -> Result<(), CliError> {
    let start = Instant::now();
    // The spec first, so a bad one is reported before any data is read.
    let detector = registry::build_detector(&args.detector)?;
    let (name, mut run) = match (&args.synth, &args.dataset) {
        (Some(spec), _) => {
            let src = SourceArg::Synth(spec.clone());
            (spec.clone(), feed_run(&src, args, detector)?)
        }
        (None, Some(d)) => {
            let src = SourceArg::Dataset(d.clone());
            (d.clone(), feed_run(&src, args, detector)?)
        }
        (None, None) => {
            if args.files.is_empty() {
                return Err(CliError::input(
                    "no data: give --data FILE, --dataset NAME or --synth SPEC",
                ));
            }
            for f in &args.files {
                let fmt = input_format(f, args.format.as_deref())?;
                if fmt != Format::Csv {
                    return Err(CliError::input(format!(
                        "{}: drift reads a column of a CSV file, not a {fmt} file",
                        f.display()
                    )));
                }
            }
            let names: Vec<String> = args.files.iter().map(|p| input_name(p)).collect();
            let mut run = Run::new(detector.clone(), args.limit, args.json);
            // Only regular files can be read again after the fast path gives up.
            let rereadable = args
                .files
                .iter()
                .all(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file()));
            if !rereadable || fast_run(args, &mut run).is_err() {
                run = Run::new(detector, args.limit, args.json);
                general_files(args, &mut run)?;
            }
            (names.join(","), run)
        }
    };
    run.flush()
        .map_err(|e| CliError::Internal(format!("checked values refused: {e}")))?;
    run.progress.finish();
    let seconds = start.elapsed().as_secs_f64();
    report(args, &name, &run, seconds)
}

fn report(args: &DriftArgs, source: &str, run: &Run, seconds: f64) -> Result<(), CliError> {
    let to_json = |v: &[usize]| Value::Array(v.iter().map(|&i| json!(i)).collect());
    if args.json {
        return print_json(&json!({
            "rows": run.rows,
            "seconds": seconds,
            "drifts": to_json(&run.out.drifts),
            "warnings": to_json(&run.out.warnings),
        }));
    }
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let list = |v: &[usize]| {
        let head: Vec<String> = v.iter().take(20).map(|i| i.to_string()).collect();
        let more = if v.len() > 20 {
            format!(", ... ({} more)", v.len() - 20)
        } else {
            String::new()
        };
        format!("{}{more}", head.join(", "))
    };
    let rate = if seconds > 0.0 {
        run.rows as f64 / seconds
    } else {
        0.0
    };
    let mut w = || -> std::io::Result<()> {
        writeln!(out, "detector: {}", args.detector)?;
        writeln!(out, "data:     {source}")?;
        writeln!(
            out,
            "rows:     {} in {seconds:.3} s, {rate:.0} rows/s",
            run.rows
        )?;
        writeln!(
            out,
            "drifts:   {} [{}]",
            run.out.drifts.len(),
            list(&run.out.drifts)
        )?;
        if run.detector.has_warning() {
            writeln!(
                out,
                "warnings: {} [{}]",
                run.out.warnings.len(),
                list(&run.out.warnings)
            )?;
        }
        Ok(())
    };
    w().map_err(io_err)
}

/// A data set or a generator: rows through the command line's feed.
fn feed_run(src: &SourceArg, args: &DriftArgs, detector: AnyDetector) -> Result<Run, CliError> {
    let mut feed = Feed::open(src, None, 18)?;
    if let Some(l) = args.limit {
        feed.limit_synth(l);
    }
    let column = match &args.column {
        Some(c) => c.clone(),
        None => feed
            .headers()
            .first()
            .cloned()
            .ok_or_else(|| CliError::input(format!("{}: no columns", feed.name())))?,
    };
    if !feed.headers().contains(&column) {
        return Err(CliError::input(format!(
            "{}: no column `{column}` (columns: {})",
            feed.name(),
            feed.headers().join(", ")
        )));
    }
    let cols = feed.bind_saved(std::slice::from_ref(&column), None, true, false)?;
    let mut run = Run::new(detector, args.limit, args.json);
    let mut buf = RowBuf::default();
    while !run.full() {
        match feed.next(&cols, &mut buf) {
            Ok(false) => break,
            Ok(true) => {}
            Err(FeedError::Row(m)) => return Err(CliError::Input(m)),
            Err(FeedError::Fatal(e)) => return Err(e),
        }
        let v = match buf.row() {
            tidewater::Row::Dense(d) => d[0],
            tidewater::Row::Sparse(s) => s
                .indices()
                .iter()
                .position(|&i| i == 0)
                .map_or(0.0, |k| s.values()[k]),
        };
        run.detector.check(v).map_err(|e| {
            CliError::Input(format!("{}: column `{column}`: {}", buf.place, reason(&e)))
        })?;
        run.push(v)?;
    }
    Ok(run)
}

/// The reason of a detector's refusal, without its location.
fn reason(e: &Error) -> String {
    match e {
        Error::BadValue { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}

/// The general path over CSV files: the library's reader, errors with file, line and
/// column.
fn general_files(args: &DriftArgs, run: &mut Run) -> Result<(), CliError> {
    let mut first_header: Option<Vec<String>> = None;
    let mut column: Option<String> = args.column.clone();
    for path in &args.files {
        let name = input_name(path);
        let csv = CsvReader::from_reader(open_input(path)?, &name)?;
        let headers = csv.headers().to_vec();
        match &first_header {
            None => first_header = Some(headers.clone()),
            Some(h) if *h != headers => {
                return Err(CliError::input(format!(
                    "{name}: its header differs from the first file's"
                )));
            }
            Some(_) => {}
        }
        let col = column.get_or_insert_with(|| headers[0].clone()).clone();
        let c = csv.column_index(&col).ok_or_else(|| {
            CliError::input(format!(
                "{name}: no column `{col}` (columns: {})",
                headers.join(", ")
            ))
        })?;
        let mut kinds = csv.kinds().to_vec();
        kinds[c] = ColumnKind::Numeric;
        let mut csv = csv.with_kinds(kinds)?;
        let mut record = Record::new();
        while !run.full() && csv.next_record(&mut record)? {
            let place = |message: String| Error::Parse {
                file: name.clone(),
                line: record.line,
                column: col.clone(),
                message,
            };
            let v = match &record.cells[c] {
                Cell::Num(v) => *v,
                Cell::Missing => return Err(place("missing value".into()).into()),
                Cell::Text(t) => {
                    return Err(place(format!("{} is not a number", quote(t))).into());
                }
            };
            if let Err(e) = run.detector.check(v) {
                return Err(place(reason(&e)).into());
            }
            run.push(v)?;
        }
        if run.full() {
            break;
        }
    }
    Ok(())
}

/// The fast path gave up: rerun on the general path.
struct GiveUp;

impl From<Error> for GiveUp {
    fn from(_: Error) -> Self {
        GiveUp
    }
}

/// The fast path: one thread reads and parses the files into chunks of values, this one
/// runs the detector on them as they come (so reading overlaps detecting). Gives up, to be
/// rerun on the general path, when the reader or the detector refuses something.
fn fast_run(args: &DriftArgs, run: &mut Run) -> Result<(), GiveUp> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<f64>>(2);
    let (spare_tx, spare_rx) = std::sync::mpsc::channel::<Vec<f64>>();
    let limit = run.limit;
    std::thread::scope(|scope| {
        let producer = scope.spawn(move || {
            let mut sink = Sink {
                chunk: Vec::with_capacity(CHUNK),
                sent: 0,
                limit,
                tx,
                spare: spare_rx,
            };
            fast_files(args, &mut sink)
        });
        let mut ok = true;
        for chunk in rx.iter() {
            if run
                .detector
                .update_many_into(&chunk, run.rows, &mut run.out)
                .is_err()
            {
                ok = false;
                break;
            }
            run.rows += chunk.len();
            run.progress.tick(run.rows, || 0);
            let _ = spare_tx.send(chunk);
        }
        // Dropping the receiver stops a reader still sending.
        drop(rx);
        let read = producer.join().map_err(|_| GiveUp)?;
        read?;
        if ok { Ok(()) } else { Err(GiveUp) }
    })
}

/// Where the reader puts values: chunks sent to the thread that runs the detector, their
/// buffers sent back for reuse.
struct Sink {
    chunk: Vec<f64>,
    sent: usize,
    limit: usize,
    tx: std::sync::mpsc::SyncSender<Vec<f64>>,
    spare: std::sync::mpsc::Receiver<Vec<f64>>,
}

impl Sink {
    fn seen(&self) -> usize {
        self.sent + self.chunk.len()
    }

    fn full(&self) -> bool {
        self.seen() >= self.limit
    }

    fn send(&mut self) -> Result<(), GiveUp> {
        if self.chunk.is_empty() {
            return Ok(());
        }
        let mut next = self
            .spare
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
        next.clear();
        let full = std::mem::replace(&mut self.chunk, next);
        self.sent += full.len();
        self.tx.send(full).map_err(|_| GiveUp)
    }
}

/// The fast path over single-column CSV files: core's [`NumberColumn`] reads them; a file
/// it cannot read plainly (or one without a value) gives up.
fn fast_files(args: &DriftArgs, run: &mut Sink) -> Result<(), GiveUp> {
    let mut first_header: Option<String> = None;
    for path in &args.files {
        let file = std::fs::File::open(path).map_err(|_| GiveUp)?;
        let mut column = NumberColumn::new(file).map_err(|_| GiveUp)?;
        if args.column.as_deref().is_some_and(|c| c != column.header()) {
            return Err(GiveUp);
        }
        match &first_header {
            None => first_header = Some(column.header().to_owned()),
            Some(h) if h != column.header() => return Err(GiveUp),
            Some(_) => {}
        }
        let rows_in_file = run.seen();
        while !run.full() {
            let room = (run.limit - run.seen()).min(CHUNK - run.chunk.len());
            if column.fill(&mut run.chunk, room).map_err(|_| GiveUp)? == 0 {
                break;
            }
            if run.chunk.len() == CHUNK {
                run.send()?;
            }
        }
        if rows_in_file == run.seen() && !run.full() {
            // No data row: the general reader's error says so.
            return Err(GiveUp);
        }
        if run.full() {
            break;
        }
    }
    run.send()
}
