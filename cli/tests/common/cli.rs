//! Running the `tidewater` binary, and temporary directories for its files.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_tidewater");

/// What one run of the program did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts exit 0 and returns stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        &self.stdout
    }

    /// Asserts exit 0 with exactly one line on stdout, and parses it as a JSON object.
    pub fn json(&self) -> Value {
        let out = self.ok();
        assert_eq!(out.lines().count(), 1, "one line of JSON expected: {out}");
        let v: Value =
            serde_json::from_str(out).unwrap_or_else(|e| panic!("bad JSON ({e}): {out}"));
        assert!(v.is_object(), "a JSON object expected: {out}");
        v
    }

    /// Asserts a bad-input failure: exit 2, one non-empty line on stderr holding every
    /// `needle`, no panic, no internal error, nothing on stdout. Returns the line.
    pub fn input_error(&self, needles: &[&str]) -> String {
        assert_eq!(
            self.code, 2,
            "expected exit 2\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "one line on stderr expected: {:?}",
            self.stderr
        );
        let line = lines[0];
        assert!(!line.trim().is_empty(), "an empty error line");
        assert!(!line.contains("panick"), "a panic: {line}");
        assert!(
            !line.contains("internal error"),
            "an internal error: {line}"
        );
        for n in needles {
            assert!(line.contains(n), "the error should name `{n}`: {line}");
        }
        assert!(
            self.stdout.is_empty(),
            "nothing on stdout expected: {}",
            self.stdout
        );
        line.to_owned()
    }
}

/// Runs the program with `args`, setting (`Some`) or removing (`None`) the variables of `env`.
pub fn tw_env(args: &[&str], env: &[(&str, Option<&str>)]) -> Run {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    for (k, v) in env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"));
    Run {
        code: out
            .status
            .code()
            .expect("the program was not killed by a signal"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// Runs the program with `args` and `input` on its standard input (a pipe).
pub fn tw_stdin(args: &[&str], input: &[u8]) -> Run {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"));
    let mut stdin = child.stdin.take().expect("a piped stdin");
    let input = input.to_vec();
    // Written from another thread, so a large input cannot fill the pipe while the program
    // waits on its own output.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("the program ran");
    writer.join().expect("the writer finished");
    Run {
        code: out
            .status
            .code()
            .expect("the program was not killed by a signal"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// Runs the program with `args`.
pub fn tw(args: &[&str]) -> Run {
    tw_env(args, &[])
}

/// A temporary directory of one test, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "tidewater-{}-{}-{test}",
            env!("CARGO_CRATE_NAME"),
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a temporary directory");
        TempDir(dir)
    }

    /// The path of `name` inside the directory, as a string for the command line.
    pub fn path(&self, name: &str) -> String {
        self.0
            .join(name)
            .to_str()
            .expect("UTF-8 temp path")
            .to_owned()
    }

    /// Writes `text` to `name` and returns its path.
    pub fn write(&self, name: &str, text: &str) -> String {
        let p = self.path(name);
        std::fs::write(&p, text).expect("write a temporary file");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
