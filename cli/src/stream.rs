//! LIBSVM and VW text read on a second thread, in a fixed dimension of `2^bits`.
//!
//! A parser thread reads the file in large blocks, parses chunks of rows into flat buffers and
//! hands them over a bounded channel; the buffers come back for reuse, so the stream runs in
//! constant memory and the learner never waits on parsing while the machine has a second core
//! (VW does the same). Lines in the common forms (`label |ns 123:1 456 ...`,
//! `label 12:0.5 40:1 ...`) take a byte-level fast path; any other line (tags, importance
//! weights, namespace scales, hashed names in LIBSVM, comments, malformed tokens) is parsed by
//! core's readers ([`VwReader`], [`LibSvmReader`]), so the meaning and every error message are
//! theirs, with the file, the line and the token.
//!
//! VW indices are masked to `bits` bits, as VW's `-b`. A LIBSVM index beyond `2^bits` is an
//! error naming the line and the token (masking would silently merge features).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use tidewater::Error;
use tidewater::core::io::vw::{feature_index, namespace_hash};
use tidewater::core::io::{LibSvmReader, SparseRecord, VwReader};

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

/// The parser thread's next line into `line` (cleared first): false at the end of the file,
/// or on a read error, which becomes `fatal`.
fn read_line(
    reader: &mut impl BufRead,
    line: &mut Vec<u8>,
    name: &str,
    fatal: &mut Option<String>,
) -> bool {
    line.clear();
    match reader.read_until(b'\n', line) {
        Ok(0) => false,
        Ok(_) => true,
        Err(e) => {
            *fatal = Some(format!("{name}: {e}"));
            false
        }
    }
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

    /// A row from `(index << 32 | position, value)` entries whose indices are distinct and
    /// increasing.
    fn push_entries(&mut self, line: u64, label: f64, entries: &[(u64, f64)]) {
        self.lines.push(line);
        self.labels.push(label);
        self.indices
            .extend(entries.iter().map(|&(key, _)| (key >> 32) as u32));
        self.values.extend(entries.iter().map(|&(_, v)| v));
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
}

impl SparseStream {
    /// Opens `path` and starts the parser thread. `bits` (1 to 24) fixes the dimension.
    pub fn open(path: &Path, format: SparseFormat, bits: u32) -> Result<Self, CliError> {
        if !(1..=24).contains(&bits) {
            return Err(CliError::input(format!(
                "--bits: {bits} hash bits: expected 1 to 24 for a LIBSVM or VW stream"
            )));
        }
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|source| Error::Io {
            path: name.clone(),
            source,
        })?;
        let dim = 1usize << bits;
        let (tx, rx) = sync_channel::<Chunk>(IN_FLIGHT);
        let (back, back_rx) = sync_channel::<Chunk>(IN_FLIGHT + 2);
        let mut parser = Parser {
            name: name.clone(),
            format,
            bits,
            dim,
            entries: Vec::new(),
            idx: Vec::new(),
            val: Vec::new(),
            record: SparseRecord::new(),
        };
        std::thread::Builder::new()
            .name("tidewater-parse".into())
            .spawn(move || parser.run(file, tx, back_rx))
            .map_err(|e| CliError::Internal(format!("cannot start the parser thread: {e}")))?;
        Ok(SparseStream {
            name,
            dim,
            feed: Feed::new(rx, back),
        })
    }

    /// The file name.
    pub fn name(&self) -> &str {
        &self.name
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

/// The parser thread's state.
struct Parser {
    name: String,
    format: SparseFormat,
    bits: u32,
    dim: usize,
    /// `(index << 32 | position, value)` of the current row: one integer key sorts by index,
    /// then by position in the line (so repeats are summed in file order).
    entries: Vec<(u64, f64)>,
    idx: Vec<u32>,
    val: Vec<f64>,
    record: SparseRecord,
}

/// Why the fast path gave a line to core's reader.
struct Slow;

impl Parser {
    fn run(&mut self, file: std::fs::File, tx: SyncSender<Chunk>, back: Receiver<Chunk>) {
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut line = Vec::with_capacity(1024);
        let mut number = 0u64;
        loop {
            let mut chunk = back.try_recv().unwrap_or_default();
            chunk.clear();
            let mut eof = false;
            while chunk.len() < CHUNK_ROWS {
                if !read_line(&mut reader, &mut line, &self.name, &mut chunk.fatal) {
                    eof = true;
                    break;
                }
                number += 1;
                let mut text: &[u8] = &line;
                if let Some(t) = text.strip_suffix(b"\n") {
                    text = t;
                }
                if let Some(t) = text.strip_suffix(b"\r") {
                    text = t;
                }
                if number == 1
                    && let Some(t) = text.strip_prefix("\u{feff}".as_bytes())
                {
                    text = t;
                }
                if text.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                self.parse_line(text, number, &mut chunk);
            }
            if !hand_over(&tx, chunk, eof) {
                return;
            }
        }
    }

    /// One line (not blank, without its line end) into `chunk`: the fast path when the line
    /// has a common form, else core's reader.
    fn parse_line(&mut self, text: &[u8], number: u64, chunk: &mut Chunk) {
        let fast = match self.format {
            SparseFormat::Vw => self.vw_fast(text),
            SparseFormat::LibSvm => self.libsvm_fast(text),
        };
        match fast {
            Ok(label) => {
                if self.entries.windows(2).all(|w| w[0].0 >> 32 < w[1].0 >> 32) {
                    // Distinct indices in order, the usual row: nothing to sort or sum, and
                    // every value is finite as parsed.
                    chunk.push_entries(number, label, &self.entries);
                } else if self.finish() {
                    chunk.push_row(number, label, &self.idx, &self.val);
                } else {
                    self.slow(text, number, chunk);
                }
            }
            Err(Slow) => self.slow(text, number, chunk),
        }
    }

    /// Sorts the row's entries and sums repeats into `idx`/`val`; false when a sum is not
    /// finite (core's reader then reports it).
    fn finish(&mut self) -> bool {
        if !self.entries.windows(2).all(|w| w[0].0 < w[1].0) {
            self.entries.sort_unstable_by_key(|e| e.0);
        }
        self.idx.clear();
        self.val.clear();
        for &(key, v) in &self.entries {
            let i = (key >> 32) as u32;
            if self.idx.last() == Some(&i) {
                if let Some(last) = self.val.last_mut() {
                    *last += v;
                }
            } else {
                self.idx.push(i);
                self.val.push(v);
            }
        }
        self.val.iter().all(|v| v.is_finite())
    }

    /// A line parsed by core's reader: the same meaning and errors, with the line number of
    /// the file.
    fn slow(&mut self, text: &[u8], number: u64, chunk: &mut Chunk) {
        let got = match self.format {
            SparseFormat::Vw => VwReader::from_reader(text, &self.name)
                .and_then(|r| r.with_bits(self.bits))
                .and_then(|mut r| r.next_record(&mut self.record)),
            SparseFormat::LibSvm => LibSvmReader::from_reader(text, &self.name)
                .and_then(|mut r| r.next_record(&mut self.record)),
        };
        let at_line = |e: Error| match e {
            Error::Parse {
                file,
                column,
                message,
                ..
            } => Error::Parse {
                file,
                line: number,
                column,
                message,
            },
            other => other,
        };
        match got {
            Ok(true) => {
                if let Some(&last) = self.record.indices.last()
                    && last as usize >= self.dim
                {
                    chunk.push_error(
                        number,
                        format!(
                            "{}:{number}: feature index {} is beyond the dimension {}: give a larger --bits",
                            self.name,
                            u64::from(last) + 1,
                            self.dim
                        ),
                    );
                    return;
                }
                let label = self.record.label.as_f64().unwrap_or(f64::NAN);
                chunk.push_row(number, label, &self.record.indices, &self.record.values);
            }
            // A line of blanks or a comment only: no row.
            Ok(false) => {}
            Err(e) => chunk.push_error(number, at_line(e).to_string()),
        }
    }

    /// `label |ns feature[:value] ...` with a plain label, namespaces without scale and
    /// all-digit or hashed names; anything else is [`Slow`]. Not inlined into the reading
    /// loop, so its scanning state stays in registers.
    #[inline(never)]
    fn vw_fast(&mut self, text: &[u8]) -> Result<f64, Slow> {
        self.entries.clear();
        let bar = text.iter().position(|&b| b == b'|').ok_or(Slow)?;
        let label = {
            let head = text[..bar].trim_ascii();
            if head.is_empty() || head.iter().any(|b| b.is_ascii_whitespace()) {
                return Err(Slow);
            }
            match head {
                b"1" => 1.0,
                b"-1" => -1.0,
                b"0" => 0.0,
                _ => parse_f64(head).ok_or(Slow)?,
            }
        };
        let mask: u64 = (1u64 << self.bits) - 1;
        // One pass over the bytes after the first `|`: a namespace name where a segment starts
        // with a non-blank, then tokens `name[:value]` separated by blanks; a `|` anywhere ends
        // the token and starts a segment. The name's number is accumulated as it is scanned.
        let body = &text[bar + 1..];
        let n = body.len();
        let ends_token = |b: u8| b == b'|' || b == b':' || b.is_ascii_whitespace();
        let ends_word = |b: u8| b == b'|' || b.is_ascii_whitespace();
        let mut i = 0;
        let mut pos = 0u64;
        let mut ns: &[u8] = &[];
        // The namespace's hash seeds hashed names only: computed when one appears.
        let mut ns_hash: Option<u32> = None;
        let mut segment_start = true;
        loop {
            if segment_start {
                segment_start = false;
                ns_hash = None;
                let start = i;
                i = skip_while(body, i, |b| !ends_word(b));
                ns = &body[start..i];
                if ns.contains(&b':') {
                    return Err(Slow);
                }
            }
            i = skip_while(body, i, |b| b.is_ascii_whitespace());
            if i == n {
                break;
            }
            if body[i] == b'|' {
                i += 1;
                segment_start = true;
                continue;
            }
            // The name: its leading digits in one step, the rest of a hashed name after.
            let start = i;
            let (len, number) = leading_digits(&body[i..]);
            i += len;
            let digits = i == n || ends_token(body[i]);
            i = skip_while(body, i, |b| !ends_token(b));
            let feature = &body[start..i];
            if feature.is_empty() {
                return Err(Slow);
            }
            let value = if i < n && body[i] == b':' {
                value_after_colon(body, &mut i, ends_word)?
            } else {
                1.0
            };
            let index = if digits {
                // As core: the number modulo 2^32, then masked.
                ((number as u32) as u64 & mask) as u32
            } else {
                let name = std::str::from_utf8(feature).map_err(|_| Slow)?;
                let seed = match ns_hash {
                    Some(h) => h,
                    None => {
                        let h = namespace_hash(std::str::from_utf8(ns).map_err(|_| Slow)?);
                        ns_hash = Some(h);
                        h
                    }
                };
                feature_index(name, seed, self.bits)
            };
            self.entries.push((u64::from(index) << 32 | pos, value));
            pos += 1;
        }
        Ok(label)
    }

    /// `label index:value ...` with 1-based all-digit indices below the dimension; anything
    /// else (comments, `qid:`, malformed tokens) is [`Slow`].
    #[inline(never)]
    fn libsvm_fast(&mut self, text: &[u8]) -> Result<f64, Slow> {
        self.entries.clear();
        if text.contains(&b'#') {
            return Err(Slow);
        }
        // One pass: the label, then `index:value` tokens separated by blanks.
        let n = text.len();
        let ends = |b: u8| b.is_ascii_whitespace();
        let start = skip_while(text, 0, ends);
        let mut i = skip_while(text, start, |b| !ends(b));
        let label = match &text[start..i] {
            b"1" | b"+1" => 1.0,
            b"-1" => -1.0,
            b"0" => 0.0,
            t => parse_f64(t).ok_or(Slow)?,
        };
        let mut pos = 0u64;
        loop {
            i = skip_while(text, i, ends);
            if i == n {
                break;
            }
            let (len, one_based) = leading_digits(&text[i..]);
            if len == 0 || len > 10 || one_based == 0 || one_based > self.dim as u64 {
                return Err(Slow);
            }
            i += len;
            if text.get(i) != Some(&b':') {
                return Err(Slow);
            }
            let value = value_after_colon(text, &mut i, ends)?;
            self.entries.push(((one_based - 1) << 32 | pos, value));
            pos += 1;
        }
        Ok(label)
    }
}

/// The first index from `i` on whose byte `keep` refuses (`b.len()` when there is none).
#[inline(always)]
fn skip_while(b: &[u8], mut i: usize, keep: impl Fn(u8) -> bool) -> usize {
    while i < b.len() && keep(b[i]) {
        i += 1;
    }
    i
}

/// The value of a feature written `name:value`, with `*i` on the `:`: up to the first byte
/// `ends` accepts (or the end of the line), where `*i` is left. `1` (a binary feature, the
/// common case) is taken without a scan; anything else must be a finite number.
#[inline(always)]
fn value_after_colon(b: &[u8], i: &mut usize, ends: impl Fn(u8) -> bool) -> Result<f64, Slow> {
    let start = *i + 1;
    if b.get(start) == Some(&b'1') && b.get(start + 1).is_none_or(|&c| ends(c)) {
        *i = start + 1;
        return Ok(1.0);
    }
    *i = skip_while(b, start, |c| !ends(c));
    parse_f64(&b[start..*i]).ok_or(Slow)
}

/// The run of ASCII digits at the start of `b`: its length and its value modulo 2^64. Eight
/// bytes at a time (SWAR): a lane is a digit when its byte minus `'0'` is below 10; a borrow
/// from a non-digit lane only spoils the lanes above it, which are not used. The lanes before
/// the first non-digit are combined in three multiplications.
#[inline(always)]
fn leading_digits(b: &[u8]) -> (usize, u64) {
    let mut len = 0;
    let mut value = 0u64;
    while let Some(chunk) = b.get(len..len + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let v = u64::from_le_bytes(word).wrapping_sub(0x3030_3030_3030_3030);
        let non_digit = (v.wrapping_add(0x7676_7676_7676_7676) | v) & 0x8080_8080_8080_8080;
        let k = (non_digit.trailing_zeros() / 8) as usize;
        if k == 0 {
            return (len, value);
        }
        // The first `k` digits in the top lanes, zeros (leading zeros of the number) below.
        let mut x = v << (8 * (8 - k));
        x = (x & 0x0F0F_0F0F_0F0F_0F0F).wrapping_mul(2561) >> 8;
        x = (x & 0x00FF_00FF_00FF_00FF).wrapping_mul(6_553_601) >> 16;
        x = (x & 0x0000_FFFF_0000_FFFF).wrapping_mul(42_949_672_960_001) >> 32;
        // After a run of eight (the only way here with `len > 0`): shift by this run's length.
        const POW10: [u64; 9] = [
            1,
            10,
            100,
            1_000,
            10_000,
            100_000,
            1_000_000,
            10_000_000,
            100_000_000,
        ];
        value = if len == 0 {
            x
        } else {
            value.wrapping_mul(POW10[k]).wrapping_add(x)
        };
        len += k;
        if k < 8 {
            return (len, value);
        }
    }
    while let Some(d) = b.get(len).map(|c| c.wrapping_sub(b'0'))
        && d < 10
    {
        value = value.wrapping_mul(10).wrapping_add(u64::from(d));
        len += 1;
    }
    (len, value)
}

/// A finite number from ASCII bytes.
fn parse_f64(b: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(b).ok()?;
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

// ---------------------------------------------------------------------------------------------
// Numeric CSV on a second thread.

/// What the CSV parser thread needs to know of the columns.
pub struct CsvPlan {
    /// Every column's name (the header) and kind.
    pub headers: Vec<String>,
    /// Every column's kind (numeric or text), as the reader decided or a saved model forced.
    pub kinds: Vec<tidewater::core::io::ColumnKind>,
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

/// A CSV file of numeric features parsed on a second thread.
///
/// The parser splits lines itself and parses numbers with the standard library; a line that
/// holds a quote is handed (with the lines its quoted fields span) to the `csv` crate, so
/// quoting keeps its meaning. Fields are trimmed; an empty field, `NaN` or `nan` is missing
/// (an error for a feature: no imputer here); infinities, text in a numeric column and ragged
/// rows are errors naming the file, the line and the column, as core's reader words them.
pub struct CsvStream {
    name: String,
    d: usize,
    feed: Feed<CsvChunk>,
}

impl CsvStream {
    /// Opens `path`, skips its header line and starts the parser thread. `first_line` is
    /// the line of the first data row (after the header and any blank lines).
    pub fn open(path: &Path, plan: CsvPlan) -> Result<Self, CliError> {
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|source| Error::Io {
            path: name.clone(),
            source,
        })?;
        let d = plan.features.len();
        let (tx, rx) = sync_channel::<CsvChunk>(IN_FLIGHT);
        let (back, back_rx) = sync_channel::<CsvChunk>(IN_FLIGHT + 2);
        let parser_name = name.clone();
        std::thread::Builder::new()
            .name("tidewater-parse".into())
            .spawn(move || csv_run(&parser_name, &plan, file, tx, back_rx))
            .map_err(|e| CliError::Internal(format!("cannot start the parser thread: {e}")))?;
        Ok(CsvStream {
            name,
            d,
            feed: Feed::new(rx, back),
        })
    }

    /// The file name.
    pub fn name(&self) -> &str {
        &self.name
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

/// The parser thread of a [`CsvStream`].
fn csv_run(
    name: &str,
    plan: &CsvPlan,
    file: std::fs::File,
    tx: SyncSender<CsvChunk>,
    back: Receiver<CsvChunk>,
) {
    use tidewater::core::io::{Cell, ColumnKind};
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut line = Vec::with_capacity(512);
    let mut number = 0u64;
    // Skip the header (its line count: a header with quotes is not streamed this way).
    line.clear();
    if reader.read_until(b'\n', &mut line).is_err() {
        return;
    }
    number += 1;
    let n_cols = plan.headers.len();
    let mut fields: Vec<(usize, usize)> = Vec::with_capacity(n_cols);
    let mut joined: Vec<u8> = Vec::new();
    let mut more: Vec<u8> = Vec::new();
    let mut record = csv::StringRecord::new();
    // Each column's place in the row: feature slot, target, or only checked.
    let mut slot = vec![None; n_cols];
    for (k, &c) in plan.features.iter().enumerate() {
        slot[c] = Some(k);
    }
    let d = plan.features.len();
    loop {
        let mut chunk = back.try_recv().unwrap_or_default();
        chunk.clear();
        let mut eof = false;
        while chunk.lines.len() < CHUNK_ROWS {
            if !read_line(&mut reader, &mut line, name, &mut chunk.fatal) {
                eof = true;
                break;
            }
            number += 1;
            let start_line = number;
            let mut text: &[u8] = &line;
            if let Some(t) = text.strip_suffix(b"\n") {
                text = t;
            }
            if let Some(t) = text.strip_suffix(b"\r") {
                text = t;
            }
            if text.is_empty() {
                continue;
            }
            // Split into fields: by hand for a line without quotes, else by the csv crate
            // (joining the following lines while a quoted field is open).
            let mut owned: Vec<String> = Vec::new();
            let quoted = text.contains(&b'"');
            if quoted {
                joined.clear();
                joined.extend_from_slice(text);
                while joined.iter().filter(|&&b| b == b'"').count() % 2 == 1 {
                    more.clear();
                    match reader.read_until(b'\n', &mut more) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {
                            number += 1;
                            joined.push(b'\n');
                            let mut t: &[u8] = &more;
                            if let Some(x) = t.strip_suffix(b"\n") {
                                t = x;
                            }
                            if let Some(x) = t.strip_suffix(b"\r") {
                                t = x;
                            }
                            joined.extend_from_slice(t);
                        }
                    }
                }
                let mut r = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .from_reader(&joined[..]);
                match r.read_record(&mut record) {
                    Ok(true) => owned.extend(record.iter().map(str::to_owned)),
                    _ => owned.clear(),
                }
            } else {
                fields.clear();
                let mut s = 0;
                for (i, &b) in text.iter().enumerate() {
                    if b == b',' {
                        fields.push((s, i));
                        s = i + 1;
                    }
                }
                fields.push((s, text.len()));
            }
            let n_found = if quoted { owned.len() } else { fields.len() };
            let field = |j: usize| -> &[u8] {
                if quoted {
                    owned[j].as_bytes()
                } else {
                    &text[fields[j].0..fields[j].1]
                }
            };
            let parse_err = |column: &str, message: String| {
                Error::Parse {
                    file: name.to_owned(),
                    line: start_line,
                    column: column.to_owned(),
                    message,
                }
                .to_string()
            };
            if n_found != n_cols {
                chunk.lines.push(start_line);
                chunk.targets.push(None);
                chunk.values.extend(std::iter::repeat_n(0.0, d));
                chunk.errors.push(Some(parse_err(
                    "-",
                    format!("expected {n_cols} fields (as in the header), found {n_found}"),
                )));
                continue;
            }
            let base = chunk.values.len();
            chunk.values.extend(std::iter::repeat_n(0.0, d));
            let mut target = None;
            let mut error: Option<String> = None;
            for (j, &column_slot) in slot.iter().enumerate() {
                let is_target = plan.target == Some(j);
                let cell = match std::str::from_utf8(field(j)).map(str::trim) {
                    Err(_) => {
                        error = Some(parse_err(&(j + 1).to_string(), "invalid UTF-8".into()));
                        break;
                    }
                    Ok(s) if s.is_empty() || s == "NaN" || s == "nan" => Cell::Missing,
                    Ok(s) => match (s.parse::<f64>(), plan.kinds[j]) {
                        (Ok(v), _) if !v.is_finite() => {
                            error = Some(parse_err(
                                &plan.headers[j],
                                format!("`{s}` is not a finite number"),
                            ));
                            break;
                        }
                        (Ok(v), ColumnKind::Numeric) => Cell::Num(v),
                        (Err(_), ColumnKind::Numeric) => {
                            error = Some(parse_err(
                                &plan.headers[j],
                                format!("`{s}` is not a number, but the column is numeric"),
                            ));
                            break;
                        }
                        (_, ColumnKind::Nominal) => {
                            if is_target {
                                Cell::Text(s.to_owned())
                            } else {
                                Cell::Missing
                            }
                        }
                    },
                };
                if let Some(k) = column_slot {
                    match cell {
                        Cell::Num(v) => chunk.values[base + k] = v,
                        _ if error.is_none() => {
                            // A missing value (text in a feature column was refused above;
                            // the feature columns of this path are numeric).
                            error = Some(format!(
                                "{name}:{start_line}: column `{}`: missing value (no imputer in this pipeline)",
                                plan.headers[j]
                            ));
                        }
                        _ => {}
                    }
                } else if is_target {
                    target = Some(cell);
                }
            }
            chunk.lines.push(start_line);
            chunk.targets.push(target);
            chunk.errors.push(error);
        }
        if !hand_over(&tx, chunk, eof) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parser(format: SparseFormat, bits: u32) -> Parser {
        Parser {
            name: "t".into(),
            format,
            bits,
            dim: 1 << bits,
            entries: Vec::new(),
            idx: Vec::new(),
            val: Vec::new(),
            record: SparseRecord::new(),
        }
    }

    /// The row (label, indices, values) or the error the parser thread makes of one line.
    fn through_parser(p: &mut Parser, line: &str) -> Result<(f64, Vec<u32>, Vec<f64>), String> {
        let mut chunk = Chunk::default();
        chunk.clear();
        p.parse_line(line.as_bytes(), 1, &mut chunk);
        assert_eq!(chunk.len(), 1, "{line}");
        if let Some(e) = &chunk.errors[0] {
            return Err(e.clone());
        }
        let (a, b) = (chunk.indptr[0], chunk.indptr[1]);
        Ok((
            chunk.labels[0],
            chunk.indices[a..b].to_vec(),
            chunk.values[a..b].to_vec(),
        ))
    }

    /// The same line read by core's reader of the format (a LIBSVM index beyond `2^bits` is
    /// an error, as on the parser thread).
    fn through_core(
        line: &str,
        format: SparseFormat,
        bits: u32,
    ) -> Result<(f64, Vec<u32>, Vec<f64>), String> {
        let mut rec = SparseRecord::new();
        let got = match format {
            SparseFormat::Vw => VwReader::from_reader(line.as_bytes(), "t")
                .and_then(|r| r.with_bits(bits))
                .and_then(|mut r| r.next_record(&mut rec)),
            SparseFormat::LibSvm => LibSvmReader::from_reader(line.as_bytes(), "t")
                .and_then(|mut r| r.next_record(&mut rec)),
        };
        match got {
            Ok(true) if rec.indices.last().is_some_and(|&i| i as usize >= 1 << bits) => {
                Err("beyond the dimension".into())
            }
            Ok(true) => Ok((
                rec.label.as_f64().unwrap(),
                rec.indices.clone(),
                rec.values.clone(),
            )),
            Ok(false) => Err("no row".into()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// The parser thread and core's reader agree on `line`: the same row bit for bit, or both
    /// refuse it.
    fn agree(line: &str, format: SparseFormat, bits: u32) -> Result<(), TestCaseError> {
        let fast = through_parser(&mut parser(format, bits), line);
        let core = through_core(line, format, bits);
        match (&fast, &core) {
            (Ok((la, ia, va)), Ok((lb, ib, vb))) => {
                let bits_of = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                prop_assert_eq!(la.to_bits(), lb.to_bits(), "{}", line);
                prop_assert_eq!(ia, ib, "{}", line);
                prop_assert_eq!(bits_of(va), bits_of(vb), "{}", line);
            }
            (Err(_), Err(_)) => {}
            _ => prop_assert!(false, "{line}: fast {fast:?}, core {core:?}"),
        }
        Ok(())
    }

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => (0u64..2_000_000).prop_map(|v| v.to_string()),
            1 => (0u64..u64::MAX).prop_map(|v| v.to_string()),
            1 => "[0-9]{1,22}",
            1 => "[a-z][a-z0-9_]{0,6}",
            1 => "[0-9]{1,9}[a-z]{1,3}",
        ]
    }

    fn token() -> impl Strategy<Value = String> {
        (
            name(),
            prop_oneof![
                3 => Just(String::new()),
                3 => Just(":1".to_owned()),
                1 => Just(":10".to_owned()),
                1 => Just(":1.5".to_owned()),
                1 => Just(":-0.25".to_owned()),
                1 => Just(":1e3".to_owned()),
                1 => Just(":x".to_owned()),
                1 => Just(":".to_owned()),
            ],
        )
            .prop_map(|(n, v)| n + &v)
    }

    fn line() -> impl Strategy<Value = String> {
        (
            prop_oneof![Just("1"), Just("-1"), Just("0"), Just("0.5"), Just("1 2")],
            prop::collection::vec(
                (
                    prop_oneof![Just(""), Just("f"), Just("ns:2"), Just("a b")],
                    prop::collection::vec(token(), 0..12),
                    prop_oneof![Just(" "), Just("  "), Just("\t")],
                ),
                1..4,
            ),
        )
            .prop_map(|(label, segments)| {
                let mut s = label.to_owned();
                s.push(' ');
                for (ns, tokens, sep) in segments {
                    s.push('|');
                    s.push_str(ns);
                    for t in tokens {
                        s.push_str(sep);
                        s.push_str(&t);
                    }
                }
                s
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// The byte-level fast path reads every line as core's VW reader does: the same label,
        /// indices and values, bit for bit, or an error for the same lines.
        #[test]
        fn vw_fast_path_reads_lines_as_core_does(line in line(), bits in prop_oneof![Just(4u32), Just(18), Just(24)]) {
            agree(&line, SparseFormat::Vw, bits)?;
        }

        /// The LIBSVM fast path reads every line as core's reader does (or both refuse it).
        #[test]
        fn libsvm_fast_path_reads_lines_as_core_does(
            label in prop_oneof![Just("1"), Just("+1"), Just("-1"), Just("0"), Just("2.5"), Just("x")],
            tokens in prop::collection::vec(
                (prop_oneof![4 => (1u64..5000).prop_map(|v| v.to_string()), 1 => Just("0".to_owned()), 1 => Just("qid".to_owned()), 1 => Just("12345678901".to_owned()), 1 => Just("7a".to_owned())],
                 prop_oneof![3 => Just("1"), 1 => Just("0.5"), 1 => Just("10"), 1 => Just("1e2"), 1 => Just("x"), 1 => Just(""), 1 => Just("1:2")]),
                0..10),
            sep in prop_oneof![Just(" "), Just("\t"), Just("  ")],
            comment in any::<bool>(),
        ) {
            let mut line = label.to_owned();
            for (i, v) in &tokens {
                line.push_str(sep);
                line.push_str(&format!("{i}:{v}"));
            }
            if comment {
                line.push_str(" # note");
            }
            agree(&line, SparseFormat::LibSvm, 12)?;
        }

        /// Eight digits at a time give what a digit-by-digit loop gives, on any bytes.
        #[test]
        fn leading_digits_equals_the_scalar_loop(bytes in prop::collection::vec(prop_oneof![4 => 48u8..58, 1 => any::<u8>()], 0..40)) {
            let len = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
            let value = bytes[..len].iter().fold(0u64, |acc, &b| acc.wrapping_mul(10).wrapping_add(u64::from(b - b'0')));
            prop_assert_eq!(leading_digits(&bytes), (len, value));
        }
    }

    #[test]
    fn common_lines_take_the_fast_path() {
        let mut p = parser(SparseFormat::Vw, 20);
        for line in [
            "1 |f 66394:1 103171:1 137519:1",
            "-1 | 12 7:0.5 123456789:1",
            "0 |a x y:2 |b 3",
        ] {
            assert!(p.vw_fast(line.as_bytes()).is_ok(), "{line}");
        }
        for line in ["1 1 |f 1", "1 |f:2 3", "1 'tag|f 3"] {
            assert!(p.vw_fast(line.as_bytes()).is_err(), "{line}");
        }
    }
}
