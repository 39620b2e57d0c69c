//! Model streams: successive versions of a model, published by one learner and read by any
//! number of predictors without a pause.
//!
//! - In one process, a [`Publisher`] hands out [`Subscriber`]s. A subscriber's
//!   [`latest`](Subscriber::latest) is the newest complete [`Snapshot`], taken without a lock
//!   (an atomic pointer swap, `arc-swap`), so predictions on other threads never wait for the
//!   learner and never see a model half updated.
//! - Between processes, a [`ModelDir`] is a directory of versioned checkpoints,
//!   `DIR/<version>.tw`, and a file `DIR/LATEST` that names the newest one. A [`DirPublisher`]
//!   writes each version atomically (a file under `DIR/.staging/`, fsync, rename), then moves
//!   `LATEST` the same way, and only then removes the versions beyond the `keep` newest. A
//!   reader that follows `LATEST` therefore always finds a complete, checksummed version, also
//!   after the publisher was killed at any moment. One publisher at a time holds a directory
//!   (an exclusive lock on `DIR/.lock`).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::error::{Error, Result};
use crate::persist;

/// One version of a model.
#[derive(Debug)]
pub struct Snapshot<M> {
    /// The version number: it grows with every publication.
    pub version: u64,
    /// The model as it was published.
    pub model: M,
}

/// The writing end of an in-process model stream (one per stream: publishing takes
/// `&mut self`, so versions grow in the order they are published).
#[derive(Debug)]
pub struct Publisher<M> {
    slot: Arc<ArcSwap<Snapshot<M>>>,
}

/// A reading end of an in-process model stream; clones read the same stream.
#[derive(Debug)]
pub struct Subscriber<M> {
    slot: Arc<ArcSwap<Snapshot<M>>>,
}

impl<M> Clone for Subscriber<M> {
    fn clone(&self) -> Self {
        Subscriber {
            slot: Arc::clone(&self.slot),
        }
    }
}

impl<M> Publisher<M> {
    /// A stream whose first snapshot is `model` at `version`.
    pub fn new(model: M, version: u64) -> Self {
        Publisher {
            slot: Arc::new(ArcSwap::from_pointee(Snapshot { version, model })),
        }
    }

    /// Publishes `model` as the next version and returns its number. Subscribers see it at
    /// their next [`latest`](Subscriber::latest); snapshots they hold stay valid.
    pub fn publish(&mut self, model: M) -> u64 {
        let version = self.version().saturating_add(1);
        self.publish_as(version, model);
        version
    }

    /// Publishes `model` under a version number chosen by the caller (one read from a
    /// [`ModelDir`], say).
    pub fn publish_as(&mut self, version: u64, model: M) {
        self.slot.store(Arc::new(Snapshot { version, model }));
    }

    /// The version last published.
    pub fn version(&self) -> u64 {
        self.slot.load().version
    }

    /// The newest snapshot.
    pub fn latest(&self) -> Arc<Snapshot<M>> {
        self.slot.load_full()
    }

    /// A reading end of this stream.
    pub fn subscribe(&self) -> Subscriber<M> {
        Subscriber {
            slot: Arc::clone(&self.slot),
        }
    }
}

impl<M> Subscriber<M> {
    /// The newest complete snapshot (no lock: one atomic load and a reference count).
    pub fn latest(&self) -> Arc<Snapshot<M>> {
        self.slot.load_full()
    }

    /// The newest version's number.
    pub fn version(&self) -> u64 {
        self.slot.load().version
    }
}

/// The file in a model directory that names its newest version.
pub const LATEST: &str = "LATEST";
/// The subdirectory where versions are written before they are renamed into place.
pub const STAGING: &str = ".staging";
/// The lock file a publisher holds.
pub const LOCK: &str = ".lock";
/// The extension of a version's checkpoint.
pub const EXTENSION: &str = "tw";

/// A directory of versioned checkpoints (see the [module](self) docs).
#[derive(Clone, Debug)]
pub struct ModelDir {
    dir: PathBuf,
}

impl ModelDir {
    /// The model directory at `dir` (nothing is read yet).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        ModelDir { dir: dir.into() }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Where version `v` is: `DIR/<v>.tw`.
    pub fn version_path(&self, v: u64) -> PathBuf {
        self.dir.join(format!("{v}.{EXTENSION}"))
    }

    fn io(&self, path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }

    fn bad(&self, reason: String) -> Error {
        Error::Checkpoint {
            path: self.dir.display().to_string(),
            reason,
        }
    }

    /// The version numbers of the checkpoints in the directory, ascending (files named
    /// `<digits>.tw`; other files are not versions).
    pub fn versions(&self) -> Result<Vec<u64>> {
        let entries = fs::read_dir(&self.dir).map_err(|e| self.io(&self.dir, e))?;
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| self.io(&self.dir, e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(stem) = name.strip_suffix(&format!(".{EXTENSION}"))
                && !stem.is_empty()
                && stem.bytes().all(|b| b.is_ascii_digit())
                && let Ok(v) = stem.parse::<u64>()
            {
                out.push(v);
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    /// The version `LATEST` names; without a `LATEST` file, the highest version present;
    /// `None` when nothing was published. A `LATEST` that does not hold a version number is
    /// an error naming the file.
    pub fn latest(&self) -> Result<Option<u64>> {
        let path = self.dir.join(LATEST);
        match fs::read_to_string(&path) {
            Ok(text) => text.trim().parse::<u64>().map(Some).map_err(|_| {
                self.bad(format!(
                    "{LATEST} holds {:?}, not a version number",
                    text.chars().take(40).collect::<String>()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if !self.dir.is_dir() {
                    return Err(self.bad("no such model directory".into()));
                }
                Ok(self.versions()?.last().copied())
            }
            Err(e) => Err(self.io(&path, e)),
        }
    }

    /// The newest version's number and bytes. A version removed by its publisher between
    /// reading `LATEST` and opening the file is looked up again; an empty directory is an
    /// error saying that nothing was published yet.
    pub fn read_latest(&self) -> Result<(u64, Vec<u8>)> {
        let mut last_err = None;
        for _ in 0..8 {
            let Some(v) = self.latest()? else {
                return Err(self.bad("nothing published yet (no version and no LATEST)".into()));
            };
            let path = self.version_path(v);
            match fs::read(&path) {
                Ok(bytes) => return Ok((v, bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    last_err = Some(self.io(&path, e));
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
                Err(e) => return Err(self.io(&path, e)),
            }
        }
        Err(last_err.unwrap_or_else(|| self.bad("no readable version".into())))
    }
}

/// The one writer of a [`ModelDir`] (see the [module](self) docs).
#[derive(Debug)]
pub struct DirPublisher {
    dir: ModelDir,
    keep: usize,
    /// Versions present, oldest first.
    present: std::collections::VecDeque<u64>,
    last: Option<u64>,
    /// Held for the publisher's life: the exclusive lock on `DIR/.lock`.
    _lock: fs::File,
}

impl DirPublisher {
    /// Opens (creating it if needed) the directory for publishing, keeping the `keep` newest
    /// versions (at least 1). Versions continue from the highest already there, so a reader
    /// never sees the version number go down when a publisher restarts. Leftovers of a
    /// publisher that was killed (files in `.staging/`) are removed. A directory another
    /// publisher holds is an error.
    pub fn open(dir: impl Into<PathBuf>, keep: usize) -> Result<Self> {
        let dir = ModelDir::new(dir);
        let staging = dir.dir.join(STAGING);
        fs::create_dir_all(&staging).map_err(|e| dir.io(&staging, e))?;
        let lock_path = dir.dir.join(LOCK);
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| dir.io(&lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(dir.bad(
                    "another publisher holds this model directory (its .lock is taken)".into(),
                ));
            }
            Err(fs::TryLockError::Error(e)) => return Err(dir.io(&lock_path, e)),
        }
        let entries = fs::read_dir(&staging).map_err(|e| dir.io(&staging, e))?;
        for entry in entries.flatten() {
            let _ = fs::remove_file(entry.path());
        }
        let present: std::collections::VecDeque<u64> = dir.versions()?.into();
        let named = dir.latest()?;
        let last = present.back().copied().max(named);
        let mut p = DirPublisher {
            dir,
            keep: keep.max(1),
            present,
            last,
            _lock: lock,
        };
        // A publisher killed after renaming a version into place but before moving LATEST
        // left a complete version that LATEST does not name yet: name it now.
        if let Some(v) = p.present.back().copied()
            && named.is_none_or(|n| n < v)
        {
            p.name_latest(v)?;
        }
        Ok(p)
    }

    /// Moves `LATEST` to `v`, then removes the versions beyond `keep`.
    fn name_latest(&mut self, v: u64) -> Result<()> {
        persist::write_atomic(
            &self.dir.dir.join(LATEST),
            format!("{v}\n").as_bytes(),
            &self.dir.dir.join(STAGING).join(LATEST),
        )?;
        while self.present.len() > self.keep {
            if let Some(old) = self.present.pop_front() {
                let p = self.dir.version_path(old);
                match fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(self.dir.io(&p, e)),
                }
            }
        }
        Ok(())
    }

    /// The directory.
    pub fn dir(&self) -> &ModelDir {
        &self.dir
    }

    /// The newest version, published by this publisher or found at its start.
    pub fn last(&self) -> Option<u64> {
        self.last
    }

    /// Publishes a checkpoint's bytes as the next version: the version file, then `LATEST`,
    /// then the removal of versions beyond `keep`. Returns the new version.
    pub fn publish(&mut self, bytes: &[u8]) -> Result<u64> {
        let v = self.last.map_or(1, |l| l.saturating_add(1));
        let staging = self.dir.dir.join(STAGING);
        let path = self.dir.version_path(v);
        persist::write_atomic(&path, bytes, &staging.join(format!("{v}.{EXTENSION}")))?;
        self.present.push_back(v);
        self.last = Some(v);
        self.name_latest(v)?;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("tw-publish-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn subscribers_see_every_publication_and_keep_their_snapshot() {
        let mut p = Publisher::new(vec![0.0; 3], 0);
        let s = p.subscribe();
        let held = s.latest();
        assert_eq!(p.publish(vec![1.0; 3]), 1);
        assert_eq!(p.publish(vec![2.0; 3]), 2);
        assert_eq!(held.version, 0);
        assert_eq!(held.model, vec![0.0; 3]);
        let now = s.clone().latest();
        assert_eq!((now.version, now.model[0]), (2, 2.0));
        p.publish_as(10, vec![3.0]);
        assert_eq!(s.version(), 10);
    }

    #[test]
    fn readers_on_other_threads_only_see_complete_versions() {
        // Each published model is a vector whose every entry is its version: a torn read
        // would mix two.
        let mut p = Publisher::new(vec![0u64; 64], 0);
        let s = p.subscribe();
        let reader = std::thread::spawn(move || {
            let mut seen = 0;
            let mut last = 0;
            while last < 2000 {
                let snap = s.latest();
                assert!(snap.model.iter().all(|&x| x == snap.version));
                assert!(snap.version >= last, "versions went back");
                last = snap.version;
                seen += 1;
            }
            seen
        });
        for v in 1..=2000u64 {
            p.publish_as(v, vec![v; 64]);
        }
        assert!(reader.join().unwrap() > 0);
    }

    #[test]
    fn a_directory_keeps_the_newest_versions_and_latest_names_the_newest() {
        let d = temp_dir("keep");
        let mut p = DirPublisher::open(&d, 2).unwrap();
        assert_eq!(p.last(), None);
        let md = ModelDir::new(&d);
        assert!(
            md.read_latest()
                .unwrap_err()
                .to_string()
                .contains("nothing published")
        );
        for i in 1..=5u8 {
            assert_eq!(p.publish(&[i; 4]).unwrap(), u64::from(i));
        }
        assert_eq!(md.versions().unwrap(), vec![4, 5]);
        assert_eq!(md.read_latest().unwrap(), (5, vec![5; 4]));
        // A second publisher is refused while the first holds the directory.
        let e = DirPublisher::open(&d, 2).unwrap_err().to_string();
        assert!(e.contains("another publisher"), "{e}");
        drop(p);
        // A restarted publisher continues the numbering, clears staging leftovers, and names
        // a version that a killed publisher renamed into place but did not name yet.
        fs::write(d.join(STAGING).join("9.tw"), b"partial").unwrap();
        fs::write(d.join("5.tw"), b"five").unwrap();
        fs::write(d.join(LATEST), "4\n").unwrap();
        let mut p = DirPublisher::open(&d, 2).unwrap();
        assert_eq!(p.last(), Some(5));
        assert_eq!(md.latest().unwrap(), Some(5));
        assert!(fs::read_dir(d.join(STAGING)).unwrap().next().is_none());
        assert_eq!(p.publish(b"six").unwrap(), 6);
        assert_eq!(md.versions().unwrap(), vec![5, 6]);
        // Without LATEST, the highest version is the newest.
        fs::remove_file(d.join(LATEST)).unwrap();
        assert_eq!(md.latest().unwrap(), Some(6));
        fs::write(d.join(LATEST), "six\n").unwrap();
        let e = md.latest().unwrap_err().to_string();
        assert!(e.contains("not a version number"), "{e}");
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn a_missing_directory_is_a_named_error() {
        let d = temp_dir("missing");
        let e = ModelDir::new(&d).read_latest().unwrap_err().to_string();
        assert!(e.contains("no such model directory"), "{e}");
        assert!(e.contains("tw-publish-missing"), "{e}");
    }
}
