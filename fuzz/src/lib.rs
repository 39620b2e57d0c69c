//! The fuzz targets' assertions, in one file (`checks.rs`) that the main workspace's corpus
//! replay test includes too, so that what is fuzzed on nightly is what CI replays on stable.
#[path = "checks.rs"]
pub mod checks;

/// Gives the fuzzing process's main thread an alternate signal stack and asks for the crash
/// signal handlers to run on it, so that a stack overflow (a SIGSEGV on the guard page) is
/// caught by libFuzzer's handler, which then writes the input as a crash artifact. Without
/// it (no sanitizer sets one up), the handler cannot run on the exhausted stack and the
/// process dies of SIGSEGV with no input kept. libFuzzer keeps `SA_ONSTACK` from a default
/// handler it replaces; call this from the targets' `init`.
pub fn catch_stack_overflows() {
    const SIZE: usize = 8 << 20;
    // Leaked on purpose: the stack serves until the process ends.
    let stack = Box::leak(vec![0u8; SIZE].into_boxed_slice());
    // SAFETY: `stack` lives for the rest of the process; the sigaction only sets the
    // default handler with a flag, which libFuzzer then replaces by its own.
    unsafe {
        let ss = libc::stack_t {
            ss_sp: stack.as_mut_ptr().cast(),
            ss_flags: 0,
            ss_size: SIZE,
        };
        libc::sigaltstack(&ss, std::ptr::null_mut());
        for sig in [libc::SIGSEGV, libc::SIGBUS, libc::SIGABRT] {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = libc::SIG_DFL;
            sa.sa_flags = libc::SA_ONSTACK;
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}
