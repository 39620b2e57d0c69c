//! Rows parsed on a second thread: LIBSVM and VW text in a fixed dimension of `2^bits`, and
//! CSV files of numeric features.
//!
//! A parser thread reads the input, parses chunks of rows into flat buffers and hands them
//! over a bounded channel; the buffers come back for reuse, so the stream runs in constant
//! memory and the learner never waits on parsing while the machine has a second core (VW does
//! the same). The parsing is core's: [`LibSvmParser`] and [`VwParser`] (a byte-level path for
//! the common line forms, token by token for the rest) and [`CsvReader`], so meanings and
//! error messages (file, line, token or column) are theirs. This module only moves rows
//! between threads.
//!
//! VW indices are masked to `bits` bits, as VW's `-b`. A LIBSVM index beyond `2^bits` is an
//! error naming the line (masking would silently merge features).

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use tidewater::Error;
use tidewater::core::io::{Cell, CsvReader, LibSvmParser, Lines, Record, SparseRecord, VwParser};

use super::CliError;

/// Rows per chunk handed from the parser thread to the learner.
const CHUNK_ROWS: usize = 2048;
/// Chunks in flight (parsed ahead of the learner).
const IN_FLIGHT: usize = 4;

/// A chunk of parsed rows as the learner's side of the channel sees it.
trait Parsed: Default {
    /// The rows of the chunk, bad ones included.
    fn rows(&self) -> usize;
    /// The failure that ends the stream after the rows of this chunk, taken out.
    fn take_fatal(&mut self) -> Option<String>;
    /// Whether the chunk ends the stream with a failure.
    fn is_fatal(&self) -> bool;
}

/// Hands a parsed chunk (unless it is empty and not fatal) to the learner: false when the
/// parser thread is to stop (the learner has gone, the chunk ends the stream, or `eof`).
fn hand_over<C: Parsed>(tx: &SyncSender<C>, chunk: C, eof: bool) -> bool {
    if chunk.rows() > 0 || chunk.is_fatal() {
        let fatal = chunk.is_fatal();
        if tx.send(chunk).is_err() || fatal {
            return false;
        }
    }
    !eof
}

/// Where the next row of a stream is: an index into the current chunk, or why there is none.
enum Step {
    Row(usize),
    Fatal(String),
    End,
}

/// The learner's side of the channel from a parser thread: the chunk being read, and the
/// way the chunks read come back to the parser for reuse.
struct Feed<C> {
    rx: Receiver<C>,
    back: SyncSender<C>,
    chunk: C,
    pos: usize,
    done: bool,
}

impl<C: Parsed> Feed<C> {
    fn new(rx: Receiver<C>, back: SyncSender<C>) -> Self {
        Feed {
            rx,
            back,
            chunk: C::default(),
            pos: 0,
            done: false,
        }
    }

    /// The index in [`chunk`](Self::chunk) of the next row, receiving chunks as needed.
    #[inline]
    fn advance(&mut self) -> Step {
        while self.pos >= self.chunk.rows() {
            if let Some(f) = self.chunk.take_fatal() {
                self.done = true;
                return Step::Fatal(f);
            }
            if self.done {
                return Step::End;
            }
            match self.rx.recv() {
                Ok(next) => {
                    let old = std::mem::replace(&mut self.chunk, next);
                    // The parser may have gone (end of file): then the buffer is dropped.
                    let _ = self.back.try_send(old);
                    self.pos = 0;
                }
                Err(_) => {
                    self.done = true;
                    return Step::End;
                }
            }
        }
        let i = self.pos;
        self.pos += 1;
        Step::Row(i)
    }
}

/// Which sparse text format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SparseFormat {
    /// LIBSVM / SVMlight (1-based indices).
    LibSvm,
    /// Vowpal Wabbit text.
    Vw,
}

/// A chunk of parsed rows, in flat buffers reused from chunk to chunk.
#[derive(Default)]
struct Chunk {
    lines: Vec<u64>,
    labels: Vec<f64>,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f64>,
    /// Per row: the error of a bad row (its message names file, line and token).
    errors: Vec<Option<String>>,
    /// A failure that ends the stream (after the rows of this chunk).
    fatal: Option<String>,
}

impl Chunk {
    fn clear(&mut self) {
        self.lines.clear();
        self.labels.clear();
        self.indptr.clear();
        self.indptr.push(0);
        self.indices.clear();
        self.values.clear();
        self.errors.clear();
        self.fatal = None;
    }

    fn len(&self) -> usize {
        self.lines.len()
    }

    /// The indices and values of row `i`.
    fn row_slices(&self, i: usize) -> (&[u32], &[f64]) {
        let (a, b) = (self.indptr[i], self.indptr[i + 1]);
        (&self.indices[a..b], &self.values[a..b])
    }

    fn push_row(&mut self, line: u64, label: f64, indices: &[u32], values: &[f64]) {
        self.lines.push(line);
        self.labels.push(label);
        self.indices.extend_from_slice(indices);
        self.values.extend_from_slice(values);
        self.indptr.push(self.indices.len());
        self.errors.push(None);
    }

    fn push_error(&mut self, line: u64, message: String) {
        self.lines.push(line);
        self.labels.push(0.0);
        self.indptr.push(self.indices.len());
        self.errors.push(Some(message));
    }
}

impl Parsed for Chunk {
    fn rows(&self) -> usize {
        self.len()
    }

    fn take_fatal(&mut self) -> Option<String> {
        self.fatal.take()
    }

    fn is_fatal(&self) -> bool {
        self.fatal.is_some()
    }
}

/// One step of the stream.
pub enum Next<'a> {
    /// A good row.
    Row {
        /// The file name.
        name: &'a str,
        /// 1-based line in the file.
        line: u64,
        /// The label.
        label: f64,
        /// Sorted, distinct indices below the dimension.
        indices: &'a [u32],
        /// Their values.
        values: &'a [f64],
    },
    /// A bad row (skippable): the message names the file, the line and the token.
    Bad(String),
    /// The stream cannot go on.
    Fatal(String),
    /// No more rows.
    End,
}

/// A sparse file streamed by a parser thread.
pub struct SparseStream {
    name: String,
    dim: usize,
    feed: Feed<Chunk>,
    read: Arc<AtomicU64>,
}

impl SparseStream {
    /// Starts the parser thread over `input` (named `name` in messages). `bits` (1 to 24)
    /// fixes the dimension.
    pub fn open(
        input: Box<dyn Read + Send>,
        name: String,
        format: SparseFormat,
        bits: u32,
    ) -> Result<Self, CliError> {
        if !(1..=24).contains(&bits) {
            return Err(CliError::input(format!(
                "--bits: {bits} hash bits: expected 1 to 24 for a LIBSVM or VW stream"
            )));
        }
        let dim = 1usize << bits;
        let parser = match format {
            SparseFormat::Vw => LineParser::Vw(VwParser::new(bits)?),
            SparseFormat::LibSvm => LineParser::LibSvm(LibSvmParser::new()),
        };
        let (tx, rx) = sync_channel::<Chunk>(IN_FLIGHT);
        let (back, back_rx) = sync_channel::<Chunk>(IN_FLIGHT + 2);
        let thread_name = name.clone();
        let read = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&read);
        std::thread::Builder::new()
            .name("tidewater-parse".into())
            .spawn(move || sparse_run(&thread_name, input, parser, dim, &counter, tx, back_rx))
            .map_err(|e| CliError::Internal(format!("cannot start the parser thread: {e}")))?;
        Ok(SparseStream {
            name,
            dim,
            feed: Feed::new(rx, back),
            read,
        })
    }

    /// The file name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The input bytes the parser thread has read so far.
    pub fn bytes_read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }

    /// The dimension of every row: `2^bits`.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The row [`next`](Self::next) gave last, when it was good.
    pub fn current(&self) -> Option<tidewater::Row<'_>> {
        self.row_at(self.feed.pos.checked_sub(1)?)
    }

    /// The row after the one [`next`](Self::next) gave last, when it is already parsed and
    /// good (a hint for the model's [`prefetch`](tidewater::Classifier::prefetch)).
    pub fn peek(&self) -> Option<tidewater::Row<'_>> {
        self.row_at(self.feed.pos)
    }

    /// Row `i` of the current chunk, when it exists and is good.
    fn row_at(&self, i: usize) -> Option<tidewater::Row<'_>> {
        let c = &self.feed.chunk;
        if i >= c.len() || c.errors[i].is_some() {
            return None;
        }
        let (indices, values) = c.row_slices(i);
        tidewater::core::SparseRow::new(self.dim, indices, values)
            .ok()
            .map(tidewater::Row::Sparse)
    }

    /// The next row, bad row, fatal error or the end.
    pub fn next(&mut self) -> Next<'_> {
        let i = match self.feed.advance() {
            Step::Row(i) => i,
            Step::Fatal(f) => return Next::Fatal(f),
            Step::End => return Next::End,
        };
        let c = &self.feed.chunk;
        if let Some(e) = &c.errors[i] {
            return Next::Bad(e.clone());
        }
        let (indices, values) = c.row_slices(i);
        Next::Row {
            name: &self.name,
            line: c.lines[i],
            label: c.labels[i],
            indices,
            values,
        }
    }
}

/// Core's parser of the stream's format.
enum LineParser {
    LibSvm(LibSvmParser),
    Vw(VwParser),
}

/// The parser thread of a [`SparseStream`]: lines through core's parser into chunks.
fn sparse_run(
    name: &str,
    input: Box<dyn Read + Send>,
    mut parser: LineParser,
    dim: usize,
    read: &AtomicU64,
    tx: SyncSender<Chunk>,
    back: Receiver<Chunk>,
) {
    let mut lines = Lines::with_capacity(1 << 20, input);
    let mut record = SparseRecord::new();
    loop {
        let mut chunk = back.try_recv().unwrap_or_default();
        chunk.clear();
        let mut eof = false;
        while chunk.len() < CHUNK_ROWS {
            let (number, text) = match lines.next_line(name) {
                Ok(Some(l)) => l,
                Ok(None) => {
                    eof = true;
                    break;
                }
                Err(e) => {
                    chunk.fatal = Some(e.to_string());
                    eof = true;
                    break;
                }
            };
            let parsed = match &mut parser {
                LineParser::LibSvm(p) => p.parse_line(name, number, text, &mut record),
                LineParser::Vw(p) => p.parse_line(name, number, text, &mut record),
            };
            match parsed {
                Ok(true) => match record.indices.last() {
                    Some(&last) if last as usize >= dim => chunk.push_error(
                        number,
                        format!(
                            "{name}:{number}: feature index {} is beyond the dimension {dim}: give a larger --bits",
                            u64::from(last) + 1
                        ),
                    ),
                    _ => {
                        let label = record.label.as_f64().unwrap_or(f64::NAN);
                        chunk.push_row(number, label, &record.indices, &record.values);
                    }
                },
                // A blank or comment-only line: no row.
                Ok(false) => {}
                Err(e) => chunk.push_error(number, e.to_string()),
            }
        }
        read.store(lines.bytes_read(), Ordering::Relaxed);
        if !hand_over(&tx, chunk, eof) {
            return;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Numeric CSV on a second thread.

/// What the CSV parser thread needs to know of the columns.
pub struct CsvPlan {
    /// Every column's name (the header) and kind.
    pub headers: Vec<String>,
    /// The feature columns, in model order (all numeric).
    pub features: Vec<usize>,
    /// The target column, if the model uses one.
    pub target: Option<usize>,
}

/// A chunk of parsed CSV rows.
#[derive(Default)]
struct CsvChunk {
    lines: Vec<u64>,
    /// `features.len()` values per row.
    values: Vec<f64>,
    targets: Vec<Option<tidewater::core::io::Cell>>,
    errors: Vec<Option<String>>,
    fatal: Option<String>,
}

impl CsvChunk {
    fn clear(&mut self) {
        self.lines.clear();
        self.values.clear();
        self.targets.clear();
        self.errors.clear();
        self.fatal = None;
    }
}

impl Parsed for CsvChunk {
    fn rows(&self) -> usize {
        self.lines.len()
    }

    fn take_fatal(&mut self) -> Option<String> {
        self.fatal.take()
    }

    fn is_fatal(&self) -> bool {
        self.fatal.is_some()
    }
}

/// One step of a CSV stream.
pub enum CsvNext<'a> {
    /// A good row: its features and target cell.
    Row {
        /// The file name.
        name: &'a str,
        /// 1-based line where the row starts.
        line: u64,
        /// The feature values, in model order.
        features: &'a [f64],
        /// The target cell, when the model uses one.
        target: &'a Option<tidewater::core::io::Cell>,
    },
    /// A bad row (skippable), its message naming file, line and column.
    Bad(String),
    /// The stream cannot go on.
    Fatal(String),
    /// No more rows.
    End,
}

/// A CSV file of numeric features parsed on a second thread, by core's [`CsvReader`] (its
/// meanings and errors: an empty field, `NaN` or `nan` is missing, an error for a feature as
/// no imputer stands here; infinities, text in a numeric column and ragged rows are errors
/// naming the file, the line and the column).
pub struct CsvStream {
    name: String,
    d: usize,
    feed: Feed<CsvChunk>,
    read: Arc<AtomicU64>,
}

impl CsvStream {
    /// Moves `reader` (its header, and maybe its first row, read already) to a parser thread
    /// that reads every remaining row.
    pub fn open(reader: CsvReader<Box<dyn Read + Send>>, plan: CsvPlan) -> Result<Self, CliError> {
        let name = reader.name().to_owned();
        let d = plan.features.len();
        let (tx, rx) = sync_channel::<CsvChunk>(IN_FLIGHT);
        let (back, back_rx) = sync_channel::<CsvChunk>(IN_FLIGHT + 2);
        let read = Arc::new(AtomicU64::new(reader.bytes_read()));
        let counter = Arc::clone(&read);
        std::thread::Builder::new()
            .name("tidewater-parse".into())
            .spawn(move || csv_run(reader, &plan, &counter, tx, back_rx))
            .map_err(|e| CliError::Internal(format!("cannot start the parser thread: {e}")))?;
        Ok(CsvStream {
            name,
            d,
            feed: Feed::new(rx, back),
            read,
        })
    }

    /// The file name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The input bytes the parser thread has read so far.
    pub fn bytes_read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }

    /// The next row, bad row, fatal error or the end.
    pub fn next(&mut self) -> CsvNext<'_> {
        let i = match self.feed.advance() {
            Step::Row(i) => i,
            Step::Fatal(f) => return CsvNext::Fatal(f),
            Step::End => return CsvNext::End,
        };
        let c = &self.feed.chunk;
        if let Some(e) = &c.errors[i] {
            return CsvNext::Bad(e.clone());
        }
        CsvNext::Row {
            name: &self.name,
            line: c.lines[i],
            features: &c.values[i * self.d..(i + 1) * self.d],
            target: &c.targets[i],
        }
    }
}

/// The parser thread of a [`CsvStream`]: core's records into chunks of feature values.
fn csv_run(
    mut reader: CsvReader<Box<dyn Read + Send>>,
    plan: &CsvPlan,
    read: &AtomicU64,
    tx: SyncSender<CsvChunk>,
    back: Receiver<CsvChunk>,
) {
    let mut record = Record::new();
    let d = plan.features.len();
    loop {
        let mut chunk = back.try_recv().unwrap_or_default();
        chunk.clear();
        let mut eof = false;
        while chunk.lines.len() < CHUNK_ROWS {
            let line = match reader.next_record(&mut record) {
                Ok(true) => record.line,
                Ok(false) => {
                    eof = true;
                    break;
                }
                Err(e @ Error::Parse { .. }) => {
                    let line = match &e {
                        Error::Parse { line, .. } => *line,
                        _ => 0,
                    };
                    chunk.lines.push(line);
                    chunk.targets.push(None);
                    chunk.values.extend(std::iter::repeat_n(0.0, d));
                    chunk.errors.push(Some(e.to_string()));
                    continue;
                }
                Err(e) => {
                    chunk.fatal = Some(e.to_string());
                    eof = true;
                    break;
                }
            };
            let mut error = None;
            for (k, &c) in plan.features.iter().enumerate() {
                match &record.cells[c] {
                    Cell::Num(v) => chunk.values.push(*v),
                    _ => {
                        chunk.values.push(0.0);
                        if error.is_none() {
                            // The feature columns of this path are numeric: not a number is
                            // missing.
                            error = Some(format!(
                                "{}:{line}: column `{}`: missing value (no imputer in this pipeline)",
                                reader.name(),
                                plan.headers[plan.features[k]]
                            ));
                        }
                    }
                }
            }
            chunk.lines.push(line);
            chunk
                .targets
                .push(plan.target.map(|t| record.cells[t].clone()));
            chunk.errors.push(error);
        }
        read.store(reader.bytes_read(), Ordering::Relaxed);
        if !hand_over(&tx, chunk, eof) {
            return;
        }
    }
}
