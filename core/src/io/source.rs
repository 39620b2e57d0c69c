//! Live sources: text lines that keep arriving (a growing file, a pipe, a message queue),
//! read by the same readers as a finished file.
//!
//! A [`LineSource`] hands out complete lines and waits while it has none; [`LineReader`]
//! turns any of them into a [`Read`] of newline-terminated lines, which is what
//! [`CsvReader`](super::CsvReader) and the LIBSVM and VW readers take. So a new kind of
//! source (a Kafka topic whose messages are CSV lines, say) is one `next_line`, and no
//! reader or learner changes. [`Follow`] is the growing file (`tidewater learn --follow`).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A source of complete text lines.
pub trait LineSource: Send {
    /// Appends the next complete line, without its line ending, to `line` and returns
    /// `true`; waits while the source has no complete line yet; returns `false` when the
    /// stream has ended.
    fn next_line(&mut self, line: &mut Vec<u8>) -> io::Result<bool>;
}

/// A [`LineSource`] as a [`Read`] of its lines, each ending in `\n`.
pub struct LineReader<S> {
    source: S,
    buf: Vec<u8>,
    at: usize,
}

impl<S: LineSource> LineReader<S> {
    /// Reads `source`'s lines.
    pub fn new(source: S) -> Self {
        LineReader {
            source,
            buf: Vec::new(),
            at: 0,
        }
    }

    /// The source.
    pub fn get_ref(&self) -> &S {
        &self.source
    }
}

impl<S: LineSource> Read for LineReader<S> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.at == self.buf.len() {
            self.buf.clear();
            self.at = 0;
            if !self.source.next_line(&mut self.buf)? {
                return Ok(0);
            }
            self.buf.push(b'\n');
        }
        let n = out.len().min(self.buf.len() - self.at);
        out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// How long [`Follow`] sleeps when the file has nothing new.
const POLL: Duration = Duration::from_millis(1);

/// A file read as it grows, as `tail -F` reads it, until a stop flag is set.
///
/// - Only complete lines are handed out: a line still being written waits for its newline,
///   and is dropped if the stream stops first (a run that resumes reads it then).
/// - When the file is renamed away and a new one takes its path (log rotation), the rest of
///   the old file is read first, then the new one, whose first line is skipped when it
///   repeats the first file's first line (a CSV header). A file cut shorter than what was
///   read (`copytruncate`) is read again from its start, the same way.
/// - Setting the stop flag ends the stream at the next line boundary once the lines already
///   read are handed out.
pub struct Follow {
    path: PathBuf,
    file: File,
    id: (u64, u64),
    /// Bytes of `file` read so far.
    pos: u64,
    /// Read, from `start`, not yet handed out (complete lines, then perhaps a partial one).
    pending: Vec<u8>,
    start: usize,
    /// The first line ever handed out (the header of a CSV file).
    first: Option<Vec<u8>>,
    /// The next line is a new file's first: skip it if it repeats `first`.
    check_first: bool,
    stop: Arc<AtomicBool>,
    chunk: Vec<u8>,
}

#[cfg(unix)]
fn file_id(m: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}

#[cfg(not(unix))]
fn file_id(_: &std::fs::Metadata) -> (u64, u64) {
    // Rotation by rename is not detected here; truncation still is.
    (0, 0)
}

impl Follow {
    /// Opens `path` to follow it; setting `stop` ends the stream.
    pub fn open(path: &Path, stop: Arc<AtomicBool>) -> io::Result<Follow> {
        let file = File::open(path)?;
        let id = file_id(&file.metadata()?);
        Ok(Follow {
            path: path.to_path_buf(),
            file,
            id,
            pos: 0,
            pending: Vec::new(),
            start: 0,
            first: None,
            check_first: false,
            stop,
            chunk: vec![0; 64 * 1024],
        })
    }

    /// The next complete line in `pending`, if any (without its line ending).
    fn take_line(&mut self, line: &mut Vec<u8>) -> bool {
        loop {
            let rest = &self.pending[self.start..];
            let Some(nl) = memchr::memchr(b'\n', rest) else {
                if self.start > 0 {
                    self.pending.drain(..self.start);
                    self.start = 0;
                }
                return false;
            };
            let mut text = &rest[..nl];
            if text.last() == Some(&b'\r') {
                text = &text[..text.len() - 1];
            }
            let skip = self.check_first && self.first.as_deref() == Some(text);
            self.check_first = false;
            if !skip {
                if self.first.is_none() {
                    self.first = Some(text.to_vec());
                }
                line.extend_from_slice(text);
            }
            self.start += nl + 1;
            if !skip {
                return true;
            }
        }
    }

    /// One attempt to read more, without waiting: whether anything was read or the file
    /// was switched.
    fn fill(&mut self) -> io::Result<bool> {
        let n = self.file.read(&mut self.chunk)?;
        if n > 0 {
            self.pos += n as u64;
            self.pending.extend_from_slice(&self.chunk[..n]);
            return Ok(true);
        }
        let Ok(m) = std::fs::metadata(&self.path) else {
            // Renamed away and not replaced yet: wait for the new file.
            return Ok(false);
        };
        if file_id(&m) != self.id {
            // Rotated: what the old file still had was read before we got here.
            self.file = File::open(&self.path)?;
            self.id = file_id(&self.file.metadata()?);
        } else if m.len() < self.pos {
            self.file.seek(SeekFrom::Start(0))?;
        } else {
            return Ok(false);
        }
        self.pos = 0;
        // A partial line of the old file has no end: drop it.
        self.pending.truncate(self.start);
        self.check_first = true;
        Ok(true)
    }
}

impl LineSource for Follow {
    fn next_line(&mut self, line: &mut Vec<u8>) -> io::Result<bool> {
        loop {
            if self.take_line(line) {
                return Ok(true);
            }
            if self.stop.load(Ordering::Relaxed) {
                return Ok(false);
            }
            if !self.fill()? {
                std::thread::sleep(POLL);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn temp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("tw-follow-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// The lines there are now (never waits).
    fn available(f: &mut Follow) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            let mut line = Vec::new();
            if f.take_line(&mut line) {
                out.push(String::from_utf8(line).unwrap());
            } else if !f.fill().unwrap() {
                return out;
            }
        }
    }

    #[test]
    fn partial_lines_wait_for_their_newline_and_rotation_skips_the_repeated_header() {
        let d = temp("rotate");
        let p = d.join("data.csv");
        let mut w = File::create(&p).unwrap();
        w.write_all(b"x,y\n1,a\n2,").unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let mut f = Follow::open(&p, Arc::clone(&stop)).unwrap();
        assert_eq!(available(&mut f), ["x,y", "1,a"]);
        w.write_all(b"b\r\n3,c\n").unwrap();
        assert_eq!(available(&mut f), ["2,b", "3,c"]);
        // Rotation: the old file gets one more line after the rename, then a new file with
        // the header again takes the path.
        std::fs::rename(&p, d.join("data.csv.1")).unwrap();
        w.write_all(b"4,d\n").unwrap();
        drop(w);
        let mut w = File::create(&p).unwrap();
        w.write_all(b"x,y\n5,e\n").unwrap();
        assert_eq!(available(&mut f), ["4,d", "5,e"]);
        // Truncation: read again from the start, the header skipped.
        drop(w);
        let mut w = File::create(&p).unwrap();
        w.write_all(b"x,y\n").unwrap();
        assert!(available(&mut f).is_empty());
        w.write_all(b"6,f\n").unwrap();
        assert_eq!(available(&mut f), ["6,f"]);
        // As a Read for the readers; the stop flag ends it, a partial line is not handed
        // out.
        w.write_all(b"7,g\n8,").unwrap();
        let mut r = LineReader::new(f);
        let mut first = [0u8; 4];
        r.read_exact(&mut first).unwrap();
        assert_eq!(&first, b"7,g\n");
        stop.store(true, Ordering::Relaxed);
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty(), "{rest:?}");
        let _ = std::fs::remove_dir_all(&d);
    }
}
