//! The cost of a round with no work: the barrier of the in-process workers and of timely
//! processes (BENCHMARKS.md, issue 14).
//!
//! `cargo run --release -p tidewater-ps --features distributed --example barrier`
//! (`ROUNDS=2000`). Starts itself twice as processes on two loopback ports for the
//! processes' figure. Prints one JSON object per backend: rounds and microseconds a round.

use std::time::Instant;

use tidewater_core::rounds::{BlockSum, Executor};
use tidewater_ps::{Processes, Workers};

/// A job of one empty block per worker: the round is all barrier.
struct Empty(usize);

impl BlockSum for Empty {
    fn n_params(&self) -> usize {
        1
    }
    fn out_len(&self) -> usize {
        1
    }
    fn n_blocks(&self) -> usize {
        self.0
    }
    fn block(&self, _: &[f64], _: usize, _: &mut [f64]) -> f64 {
        0.0
    }
}

fn time(exec: &dyn Executor, workers: usize, rounds: usize) -> f64 {
    let start = Instant::now();
    exec.run(&Empty(workers), &mut |round| {
        let mut out = [0.0];
        for _ in 0..rounds {
            round(&[0.0], &mut out)?;
        }
        Ok(())
    })
    .expect("a run");
    start.elapsed().as_secs_f64() / rounds as f64 * 1e6
}

fn main() {
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 4 && args[1] == "--process" {
        // A child: process `args[2]` of the two at `args[3]` (comma-separated).
        let i: usize = args[2].parse().expect("an index");
        let addrs = args[3].split(',').map(str::to_owned).collect();
        let us = time(&Processes::new(addrs, i).expect("hosts"), 2, rounds);
        if i == 0 {
            println!(
                "{{\"backend\":\"timely processes\",\"workers\":2,\"rounds\":{rounds},\"us_per_round\":{us:.1}}}"
            );
        }
        return;
    }
    for n in [1, 2] {
        let us = time(&Workers::new(n).expect("workers"), n, rounds);
        println!(
            "{{\"backend\":\"in-process workers\",\"workers\":{n},\"rounds\":{rounds},\"us_per_round\":{us:.1}}}"
        );
    }
    let ports: Vec<String> = (0..2)
        .map(|_| {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
            l.local_addr().expect("an address").to_string()
        })
        .collect();
    let hosts = ports.join(",");
    let me = std::env::current_exe().expect("this program");
    let children: Vec<_> = (0..2)
        .map(|i| {
            std::process::Command::new(&me)
                .args(["--process", &i.to_string(), &hosts])
                .spawn()
                .expect("a child")
        })
        .collect();
    for mut c in children {
        c.wait().expect("a child's end");
    }
}
