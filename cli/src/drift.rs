//! `tidewater drift`: a drift detector over a column of numbers.
//!
//! A CSV file whose header has a single column takes a fast path: the file is read in large
//! blocks, split into lines and parsed without the general CSV machinery (short decimals
//! are converted exactly, as `str::parse` does; anything else goes through `str::parse`).
//! Any line the fast path does not handle exactly as the general reader would (quotes,
//! commas, non-ASCII text, missing or non-finite values, a value the detector refuses, an
//! unreadable file) makes it give up: the run restarts from the first value on the general
//! path, which reports errors with their file, line and column.

use std::io::Read;
use std::path::PathBuf;
use std::time::Instant;

use serde_json::{Value, json};
use tidewater::core::io::{Cell, ColumnKind, CsvReader, Format, Record};
use tidewater::drift::{AnyDetector, Detections, DriftDetector};
use tidewater::{Error, registry};

use super::CliError;
use super::data::{Feed, FeedError, RowBuf, SourceArg};
use super::output::{Progress, io_err, print_json};

/// Values handed to the detector at once.
const CHUNK: usize = 1 << 16;
/// Bytes read from a file at once.
const BLOCK: usize = 1 << 20;

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
            progress: Progress::new(json),
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
        self.progress.tick(self.rows);
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
                let fmt = Format::detect(f, args.format.as_deref())?;
                if fmt != Format::Csv {
                    return Err(CliError::input(format!(
                        "{}: drift reads a column of a CSV file, not a {fmt} file",
                        f.display()
                    )));
                }
            }
            let names: Vec<String> = args.files.iter().map(|p| p.display().to_string()).collect();
            let mut run = Run::new(detector.clone(), args.limit, args.json);
            if fast_run(args, &mut run).is_err() {
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
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|source| Error::Io {
            path: name.clone(),
            source,
        })?;
        let r: Box<dyn Read> = Box::new(std::io::BufReader::with_capacity(BLOCK, file));
        let csv = CsvReader::from_reader(r, &name)?;
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
                    return Err(place(format!("`{t}` is not a number")).into());
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
            run.progress.tick(run.rows);
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

    #[inline]
    fn push(&mut self, v: f64) -> Result<(), GiveUp> {
        self.chunk.push(v);
        if self.chunk.len() == CHUNK {
            self.send()?;
        }
        Ok(())
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

/// The fast path over single-column CSV files.
fn fast_files(args: &DriftArgs, run: &mut Sink) -> Result<(), GiveUp> {
    let mut first_header: Option<Vec<u8>> = None;
    let mut buf = vec![0u8; BLOCK];
    for path in &args.files {
        let mut file = std::fs::File::open(path).map_err(|_| GiveUp)?;
        // `carry`: bytes of an incomplete line kept from the previous block.
        let mut carry = 0usize;
        let mut header_done = false;
        let rows_in_file = run.seen();
        loop {
            if carry == buf.len() {
                // A line longer than a block: not a plain number.
                return Err(GiveUp);
            }
            let n = read_full(&mut file, &mut buf[carry..]).map_err(|_| GiveUp)?;
            let end = carry + n;
            let eof = n == 0 || end < buf.len();
            // Complete lines in buf[..cut]; at the end of the file, everything.
            let cut = if eof {
                end
            } else {
                match buf[..end].iter().rposition(|&b| b == b'\n') {
                    Some(p) => p + 1,
                    None => end,
                }
            };
            let mut data_start = 0;
            if !header_done {
                let nl = buf[..cut].iter().position(|&b| b == b'\n');
                if nl.is_none() && !eof {
                    // The header itself is longer than a block.
                    return Err(GiveUp);
                }
                let h = &buf[..nl.unwrap_or(cut)];
                let header = plain_header(h).ok_or(GiveUp)?;
                if let Some(col) = &args.column
                    && col.as_bytes() != header
                {
                    return Err(GiveUp);
                }
                match &first_header {
                    None => first_header = Some(header.to_vec()),
                    Some(f) if f != header => return Err(GiveUp),
                    Some(_) => {}
                }
                header_done = true;
                data_start = nl.map_or(cut, |p| p + 1);
            }
            fast_lines(&buf[data_start..cut], run)?;
            if eof || run.full() {
                break;
            }
            buf.copy_within(cut..end, 0);
            carry = end - cut;
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

/// The data lines of a block (complete lines, or the end of the file): a plain number
/// followed by a line break is read in one pass; any other line is split off and read as
/// the general reader would, or makes the fast path give up.
fn fast_lines(bytes: &[u8], run: &mut Sink) -> Result<(), GiveUp> {
    let mut pos = 0;
    while pos < bytes.len() {
        if run.full() {
            return Ok(());
        }
        // The commonest input of a drift detector, 0/1 indicators: `d\n` or `d.0\n`.
        match bytes[pos..] {
            [d @ b'0'..=b'9', b'.', b'0', b'\n', ..] => {
                run.push(f64::from(d - b'0'))?;
                pos += 4;
                continue;
            }
            [d @ b'0'..=b'9', b'\n', ..] => {
                run.push(f64::from(d - b'0'))?;
                pos += 2;
                continue;
            }
            _ => {}
        }
        if let Some((v, used)) = parse_plain(&bytes[pos..])
            && bytes.get(pos + used) == Some(&b'\n')
        {
            run.push(v)?;
            pos += used + 1;
            continue;
        }
        let end = bytes[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |k| pos + k);
        let line = &bytes[pos..end];
        pos = end + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            // The CSV reader skips empty lines.
            continue;
        }
        let v = parse_number(line).ok_or(GiveUp)?;
        run.push(v)?;
    }
    Ok(())
}

/// `[-]digits[.digits]` at the start of `s` (stopping at the first other byte), exact as
/// `str::parse` is: the value and the bytes it took, or `None`.
#[inline(always)]
fn parse_plain(s: &[u8]) -> Option<(f64, usize)> {
    let mut i = 0;
    let neg = s.first() == Some(&b'-');
    if neg {
        i = 1;
    }
    let start = i;
    let mut mantissa: u64 = 0;
    let mut digits = 0u32;
    while i < s.len() && s[i].is_ascii_digit() {
        if mantissa != 0 || s[i] != b'0' {
            digits += 1;
        }
        mantissa = mantissa
            .wrapping_mul(10)
            .wrapping_add(u64::from(s[i] - b'0'));
        i += 1;
    }
    if i == start {
        return None;
    }
    let mut exp: i32 = 0;
    if i < s.len() && s[i] == b'.' {
        i += 1;
        let frac = i;
        while i < s.len() && s[i].is_ascii_digit() {
            if mantissa != 0 || s[i] != b'0' {
                digits += 1;
            }
            mantissa = mantissa
                .wrapping_mul(10)
                .wrapping_add(u64::from(s[i] - b'0'));
            i += 1;
        }
        exp = -((i - frac) as i32);
    }
    if digits > 19 || mantissa > (1u64 << 53) {
        return None;
    }
    // Trailing zeros of the fraction change nothing but save a division ("1.0" is 1).
    while exp < 0 && mantissa != 0 && mantissa.is_multiple_of(10) {
        mantissa /= 10;
        exp += 1;
    }
    let m = mantissa as f64;
    let v = if exp == 0 || mantissa == 0 {
        m
    } else if exp >= -22 {
        m / POW10[(-exp) as usize]
    } else {
        return None;
    };
    Some((if neg { -v } else { v }, i))
}

/// Reads until `buf` is full or the file ends; the bytes read.
fn read_full(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A header line with one plain column name (no quotes, no comma, ASCII), trimmed.
fn plain_header(line: &[u8]) -> Option<&[u8]> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line);
    if line
        .iter()
        .any(|&b| b == b'"' || b == b',' || b == b'\r' || !b.is_ascii())
    {
        return None;
    }
    let t = trim(line);
    (!t.is_empty()).then_some(t)
}

fn trim(mut s: &[u8]) -> &[u8] {
    // What `str::trim` removes among ASCII bytes.
    let ws = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    while let [first, rest @ ..] = s
        && ws(*first)
    {
        s = rest;
    }
    while let [rest @ .., last] = s
        && ws(*last)
    {
        s = rest;
    }
    s
}

/// Powers of ten exact in a double.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// A field's finite number, as the CSV reader would read it, or `None` when the general
/// reader must decide (text, missing, infinite, quotes, commas, non-ASCII).
#[inline]
fn parse_number(field: &[u8]) -> Option<f64> {
    if let Some(v) = parse_decimal(field) {
        return Some(v);
    }
    if field
        .iter()
        .any(|&b| b == b'"' || b == b',' || b == b'\r' || !b.is_ascii())
    {
        return None;
    }
    let t = trim(field);
    let s = std::str::from_utf8(t).ok()?;
    if s.is_empty() || s == "NaN" || s == "nan" {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// `[+-]digits[.digits][(e|E)[+-]digits]` with at most 19 significant digits whose value
/// and power of ten are exact in a double (Clinger's fast path): one correctly rounded
/// operation, so the same double as `str::parse`. `None` for anything else.
#[inline]
fn parse_decimal(s: &[u8]) -> Option<f64> {
    let mut i = 0;
    let neg = match s.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let mut mantissa: u64 = 0;
    let mut digits = 0u32;
    let mut any = false;
    let mut exp: i64 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        any = true;
        if mantissa != 0 || s[i] != b'0' {
            digits += 1;
        }
        mantissa = mantissa
            .wrapping_mul(10)
            .wrapping_add(u64::from(s[i] - b'0'));
        i += 1;
    }
    if i < s.len() && s[i] == b'.' {
        i += 1;
        while i < s.len() && s[i].is_ascii_digit() {
            any = true;
            if mantissa != 0 || s[i] != b'0' {
                digits += 1;
            }
            mantissa = mantissa
                .wrapping_mul(10)
                .wrapping_add(u64::from(s[i] - b'0'));
            exp -= 1;
            i += 1;
        }
    }
    if !any || digits > 19 {
        return None;
    }
    if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
        i += 1;
        let eneg = match s.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        let mut e: i64 = 0;
        while i < s.len() && s[i].is_ascii_digit() && i - start < 6 {
            e = e * 10 + i64::from(s[i] - b'0');
            i += 1;
        }
        if i == start {
            return None;
        }
        exp += if eneg { -e } else { e };
    }
    if i != s.len() || mantissa > (1u64 << 53) {
        return None;
    }
    let m = mantissa as f64;
    let v = if exp == 0 {
        m
    } else if (1..=22).contains(&exp) {
        m * POW10[exp as usize]
    } else if (-22..0).contains(&exp) {
        m / POW10[(-exp) as usize]
    } else {
        return None;
    };
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_decimal_parser_agrees_with_str_parse() {
        let cases = [
            "0",
            "1",
            "0.0",
            "1.0",
            "-0.0",
            "+2.5",
            "0.1",
            "0.2",
            "0.30000000000000004",
            "123456789.123",
            "1e5",
            "1E-5",
            "2.5e+3",
            ".5",
            "5.",
            "-.25",
            "9007199254740993",
            "1234567890123456789",
            "0.000001234",
            "17.3e-20",
        ];
        for c in cases {
            let want: f64 = c.parse().unwrap();
            if let Some(got) = parse_decimal(c.as_bytes()) {
                assert_eq!(got.to_bits(), want.to_bits(), "{c}");
            }
            let got = parse_number(c.as_bytes()).unwrap();
            assert_eq!(got.to_bits(), want.to_bits(), "{c}");
        }
        // A pseudo-random sweep of short decimals.
        let mut s = 88172645463325252u64;
        for _ in 0..200_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let int = s % 100_000;
            let frac = (s >> 20) % 1_000_000_000;
            let e = (s >> 50) % 40;
            let text = format!("{int}.{frac:09}e-{e}");
            let want: f64 = text.parse().unwrap();
            let got = parse_number(text.as_bytes()).unwrap();
            assert_eq!(got.to_bits(), want.to_bits(), "{text}");
        }
        for bad in [
            "", "-", "e5", "1e", "nan", "NaN", "inf", "1,2", "\"1\"", "abc", "1e400",
        ] {
            assert!(parse_number(bad.as_bytes()).is_none(), "{bad}");
        }
        assert_eq!(parse_number(b"  7 \t"), Some(7.0));
        for c in ["0", "0.0", "-0.0", "1.0", "1.50", "12.375", "0.1", "-2.5"] {
            let want: f64 = c.parse().unwrap();
            let (got, used) = parse_plain(format!("{c}\n").as_bytes()).unwrap();
            assert_eq!((got.to_bits(), used), (want.to_bits(), c.len()), "{c}");
        }
        // Mantissas beyond 2^53 are left to the exact general parser (None here), or, if
        // taken, must be exact.
        let long = "0.30000000000000004";
        if let Some((got, used)) = parse_plain(long.as_bytes()) {
            assert_eq!(
                (got.to_bits(), used),
                (long.parse::<f64>().unwrap().to_bits(), long.len())
            );
        }
        for c in ["", "-", ".5", "+1", "1e5"] {
            let ok = parse_plain(c.as_bytes()).is_some_and(|(_, used)| used == c.len());
            assert!(!ok || c == "1e5", "{c}");
        }
    }
}
