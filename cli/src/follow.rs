//! `--follow`: a file read as it grows, as `tail -F` does, ending when a stop flag is set
//! (SIGINT or SIGTERM; see [`stop_flag`]).
//!
//! The reader hands out complete lines only: a line still being written stays back until its
//! newline arrives, and is dropped if the stream stops first (a rerun with `--resume` reads it
//! then). When the file is renamed away and a new one takes its path (log rotation), the rest
//! of the old file is read first, then the new one; the new file's first line is skipped when
//! it repeats the first file's header. A file cut shorter than what was read (`copytruncate`)
//! is read again from its start, the same way.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long the reader sleeps when the file has nothing new.
const POLL: Duration = Duration::from_millis(1);

/// The process's stop flag: set by SIGINT and SIGTERM once this was first called (the
/// signals then end the stream instead of the process; a second one ends the process).
pub fn stop_flag() -> std::io::Result<Arc<AtomicBool>> {
    static FLAG: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();
    if let Some(f) = FLAG.get() {
        return Ok(Arc::clone(f));
    }
    let flag = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // A second signal while the first is being handled ends the process (exit code 1).
        signal_hook::flag::register_conditional_shutdown(sig, 1, Arc::clone(&flag))?;
        signal_hook::flag::register(sig, Arc::clone(&flag))?;
    }
    Ok(Arc::clone(FLAG.get_or_init(|| flag)))
}

/// A growing file as a [`Read`] of complete lines (see the [module](self) docs).
pub struct Follow {
    path: PathBuf,
    file: File,
    /// The (device, inode) of `file`.
    id: (u64, u64),
    /// Bytes of `file` read so far.
    pos: u64,
    /// Read but not yet a complete line.
    partial: Vec<u8>,
    /// Complete lines not yet handed out, from `out_at`.
    out: Vec<u8>,
    out_at: usize,
    /// The first line of the first file (its header), once read.
    header: Option<Vec<u8>>,
    /// The next complete line is a new file's first: skip it if it repeats the header.
    check_header: bool,
    stop: Arc<AtomicBool>,
    chunk: Vec<u8>,
}

fn file_id(m: &std::fs::Metadata) -> (u64, u64) {
    (m.dev(), m.ino())
}

impl Follow {
    /// Opens `path` to follow it; `stop` ends the stream.
    pub fn open(path: &Path, stop: Arc<AtomicBool>) -> io::Result<Follow> {
        let file = File::open(path)?;
        let id = file_id(&file.metadata()?);
        Ok(Follow {
            path: path.to_path_buf(),
            file,
            id,
            pos: 0,
            partial: Vec::new(),
            out: Vec::new(),
            out_at: 0,
            header: None,
            check_header: false,
            stop,
            chunk: vec![0; 64 * 1024],
        })
    }

    /// Moves the complete lines of `partial` to `out`, skipping a repeated header.
    fn take_lines(&mut self) {
        let Some(last_nl) = self.partial.iter().rposition(|&b| b == b'\n') else {
            return;
        };
        let mut lines: Vec<u8> = self.partial.drain(..=last_nl).collect();
        if self.header.is_none() {
            let end = lines.iter().position(|&b| b == b'\n').unwrap_or(0);
            self.header = Some(lines[..=end].to_vec());
        } else if self.check_header {
            let end = lines.iter().position(|&b| b == b'\n').unwrap_or(0);
            if self.header.as_deref() == Some(&lines[..=end]) {
                lines.drain(..=end);
            }
        }
        self.check_header = false;
        if self.out_at == self.out.len() {
            self.out.clear();
            self.out_at = 0;
        }
        self.out.extend_from_slice(&lines);
    }

    /// At the end of the file: switches to a new file at the path, or rereads a truncated
    /// one. Returns whether there may be more to read now.
    fn reopen_if_moved(&mut self) -> io::Result<bool> {
        let Ok(m) = std::fs::metadata(&self.path) else {
            // Renamed away and not yet replaced: wait for the new file.
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
        self.partial.clear();
        self.check_header = true;
        Ok(true)
    }
}

impl Follow {
    /// One attempt to read more, without waiting: whether anything was read or the file
    /// was switched (complete lines then wait in `out`).
    fn fill(&mut self) -> io::Result<bool> {
        let n = self.file.read(&mut self.chunk)?;
        if n > 0 {
            self.pos += n as u64;
            self.partial.extend_from_slice(&self.chunk[..n]);
            self.take_lines();
            return Ok(true);
        }
        self.reopen_if_moved()
    }
}

impl Read for Follow {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_at < self.out.len() {
                let n = buf.len().min(self.out.len() - self.out_at);
                buf[..n].copy_from_slice(&self.out[self.out_at..self.out_at + n]);
                self.out_at += n;
                return Ok(n);
            }
            if self.stop.load(Ordering::Relaxed) {
                return Ok(0);
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

    /// Reads what is there now (never waits).
    fn read_available(f: &mut Follow) -> String {
        let mut got = Vec::new();
        let mut buf = [0u8; 7];
        loop {
            while f.out_at < f.out.len() {
                let n = f.read(&mut buf).unwrap();
                got.extend_from_slice(&buf[..n]);
            }
            if !f.fill().unwrap() {
                break;
            }
        }
        String::from_utf8(got).unwrap()
    }

    #[test]
    fn partial_lines_wait_for_their_newline_and_rotation_skips_the_repeated_header() {
        let d = temp("rotate");
        let p = d.join("data.csv");
        let mut w = File::create(&p).unwrap();
        write!(w, "x,y\n1,a\n2,").unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let mut f = Follow::open(&p, Arc::clone(&stop)).unwrap();
        assert_eq!(read_available(&mut f), "x,y\n1,a\n");
        w.write_all(b"b\n3,c\n").unwrap();
        assert_eq!(read_available(&mut f), "2,b\n3,c\n");
        // Rotation: the old file gets one more line after the rename, then a new file with
        // the header again takes the path.
        std::fs::rename(&p, d.join("data.csv.1")).unwrap();
        w.write_all(b"4,d\n").unwrap();
        drop(w);
        let mut w = File::create(&p).unwrap();
        w.write_all(b"x,y\n5,e\n").unwrap();
        assert_eq!(read_available(&mut f), "4,d\n5,e\n");
        // Truncation: read again from the start, header skipped.
        drop(w);
        let mut w = File::create(&p).unwrap();
        w.write_all(b"x,y\n").unwrap();
        assert_eq!(read_available(&mut f), "");
        w.write_all(b"6,f\n").unwrap();
        assert_eq!(read_available(&mut f), "6,f\n");
        // The stop flag ends the stream at once when nothing is waiting; a partial line is
        // not handed out.
        write!(w, "7,").unwrap();
        stop.store(true, Ordering::Relaxed);
        let mut rest = Vec::new();
        f.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty());
        let _ = std::fs::remove_dir_all(&d);
    }
}
