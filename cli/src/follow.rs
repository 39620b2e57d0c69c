//! `--follow`'s stop flag: SIGINT and SIGTERM end a followed stream instead of the process.
//! The following itself is the library's: [`tidewater::core::io::Follow`].

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

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
