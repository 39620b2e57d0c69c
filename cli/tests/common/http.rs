//! A running `tidewater serve` and an HTTP client for it (the tests' and the serving
//! benchmark's).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// A running `tidewater serve` on a free loopback port, killed when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Server {
    /// Starts `bin serve --addr 127.0.0.1:0 ARGS` and waits for its address.
    pub fn start(bin: &str, args: &[&str]) -> Server {
        let mut child = Command::new(bin)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {bin}: {e}"));
        let mut line = String::new();
        BufReader::new(child.stderr.as_mut().expect("piped stderr"))
            .read_line(&mut line)
            .expect("serve's first line");
        let Some(at) = line.find("http://") else {
            let _ = child.kill();
            panic!("serve did not start: {line}");
        };
        let base = line[at..].trim().to_owned();
        Server { child, base }
    }

    /// A client whose 4xx and 5xx answers are answers, not errors.
    pub fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into()
    }

    /// `GET path`: the status and the body (JSON, or the text as a JSON string).
    pub fn get(&self, agent: &ureq::Agent, path: &str) -> (u16, Value) {
        let mut r = agent
            .get(format!("{}{path}", self.base))
            .call()
            .expect("GET");
        let status = r.status().as_u16();
        let text = r.body_mut().read_to_string().expect("a body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// `POST path` with a body, its content type and perhaps a bearer token.
    pub fn post(
        &self,
        agent: &ureq::Agent,
        path: &str,
        content_type: &str,
        body: &[u8],
        token: Option<&str>,
    ) -> (u16, Value) {
        let mut req = agent
            .post(format!("{}{path}", self.base))
            .header("Content-Type", content_type);
        if let Some(t) = token {
            req = req.header("Authorization", &format!("Bearer {t}"));
        }
        let mut r = req.send(body).expect("POST");
        let status = r.status().as_u16();
        let text = r.body_mut().read_to_string().expect("a body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
