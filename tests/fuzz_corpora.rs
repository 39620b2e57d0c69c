//! Replays every fuzz corpus and every kept crash input through the fuzz targets' checks, on
//! stable, as part of `cargo test` (the fuzzing itself runs on nightly outside CI:
//! `docs/reliability.md`). A file that once crashed a target stays in
//! `fuzz/regressions/<target>/` and is replayed here for good.

#[path = "../fuzz/src/checks.rs"]
#[allow(dead_code)]
mod checks;

use std::path::Path;

/// A target's check.
type Check = fn(&[u8]);

const TARGETS: &[(&str, Check)] = &[
    ("csv", checks::csv),
    ("number", checks::number),
    ("libsvm", checks::libsvm),
    ("vw", checks::vw),
    ("spec", checks::spec),
    ("checkpoint", checks::checkpoint),
];

fn replay(dir: &Path, check: Check) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    files.sort();
    for f in &files {
        let data = std::fs::read(f).unwrap();
        let result = std::panic::catch_unwind(|| check(&data));
        assert!(result.is_ok(), "{} fails its target's check", f.display());
    }
    files.len()
}

#[test]
fn every_corpus_file_and_kept_crash_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    for (name, check) in TARGETS {
        let seeds = replay(&root.join("corpus").join(name), *check);
        let crashes = replay(&root.join("regressions").join(name), *check);
        assert!(seeds > 0, "no corpus for the {name} target");
        eprintln!("{name}: {seeds} corpus files, {crashes} kept crash inputs");
    }
}
