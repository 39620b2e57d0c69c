//! SSP against BSP on sparse hashed logistic regression, with stragglers: the side-by-side
//! figures of BENCHMARKS.md (issue 14).
//!
//! `cargo run --release -p tidewater-ps --example ssp_sparse -- /work/peers/data/sparse_hashed.svm`
//! (`ROWS=200000` to use the first rows only; `DELAY_US=2000` the straggler's pause).
//!
//! Two workers; in every round one of them (worker `r % 2`) is held up `DELAY_US`
//! microseconds, the other runs free: under BSP every round waits for the straggler, under
//! SSP(2) each worker is held up only in its own rounds. Same data, same rounds, same
//! mini-batches; prints seconds and the training log loss for BSP, SSP(2) and ASP.

use std::time::Duration;

use tidewater_core::io::libsvm::load_libsvm;
use tidewater_core::{Batch, CsrMatrix};
use tidewater_ps::Consistency;
use tidewater_ps::sgd::{SgdConfig, train_sparse_logistic};

/// The straggler's pause in microseconds (`DELAY_US`, 2,000 by default).
static DELAY_US: std::sync::OnceLock<u64> = std::sync::OnceLock::new();

fn straggler(w: usize, r: u64) -> Duration {
    let us = *DELAY_US.get().unwrap_or(&2000);
    if r % 2 == w as u64 % 2 {
        Duration::from_micros(us)
    } else {
        Duration::ZERO
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/work/peers/data/sparse_hashed.svm".into());
    if let Some(us) = std::env::var("DELAY_US").ok().and_then(|v| v.parse().ok()) {
        let _ = DELAY_US.set(us);
    }
    let data = load_libsvm(std::path::Path::new(&path), Some(1 << 20))?;
    let Batch::Sparse(all) = data.batch() else {
        return Err("sparse rows expected".into());
    };
    let labels = data.target()?.to_labels()?;
    let rows: usize = std::env::var("ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(all.n_rows())
        .min(all.n_rows());
    let mut x = CsrMatrix::new(all.n_cols());
    let mut y = Vec::with_capacity(rows);
    for (i, label) in labels.iter().enumerate().take(rows) {
        let r = all.row(i);
        x.push_row(r.indices(), r.values())?;
        y.push(label.as_f64().is_some_and(|v| v > 0.0));
    }
    for (name, consistency) in [
        ("BSP", Consistency::Bsp),
        ("SSP(2)", Consistency::Ssp(2)),
        ("ASP", Consistency::Asp),
    ] {
        let cfg = SgdConfig {
            batch_size: 512,
            rate: 0.1,
            epochs: 1,
            workers: 2,
            consistency,
            delay: Some(straggler),
            ..SgdConfig::default()
        };
        let out = train_sparse_logistic(&x, &y, &cfg)?;
        println!(
            "{{\"consistency\":\"{name}\",\"rows\":{rows},\"rounds\":{},\"seconds\":{:.3},\"log_loss\":{:.6}}}",
            out.rounds,
            out.seconds,
            out.log_loss(&x, &y)
        );
    }
    Ok(())
}
