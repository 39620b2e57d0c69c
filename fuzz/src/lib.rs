//! The fuzz targets' assertions, in one file (`checks.rs`) that the main workspace's corpus
//! replay test includes too, so that what is fuzzed on nightly is what CI replays on stable.
#[path = "checks.rs"]
pub mod checks;
