//! Sparse mini-batch SGD on the parameter server: BSP is deterministic, SSP(2) reaches
//! BSP's training log loss within 1 % with stragglers, and both learn.

use std::time::Duration;

use tidewater_core::CsrMatrix;
use tidewater_ps::Consistency;
use tidewater_ps::sgd::{SgdConfig, train_sparse_logistic};

/// `n` rows of about 20 active binary features out of `d` (popular ones more often), labelled
/// by a fixed logistic model.
fn data(n: usize, d: usize) -> (CsrMatrix, Vec<bool>) {
    let mut state = 0x1234_5678_9abc_def1u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let truth: Vec<f64> = (0..d)
        .map(|j| ((j * 7919) % 101) as f64 / 50.0 - 1.0)
        .collect();
    let mut x = CsrMatrix::new(d);
    let mut y = Vec::with_capacity(n);
    let mut idx: Vec<u32> = Vec::new();
    for _ in 0..n {
        idx.clear();
        for _ in 0..20 {
            // Log-uniform ranks: feature j drawn about as often as 1 / (j + 1).
            let j = ((next() * (d as f64).ln()).exp() as usize)
                .saturating_sub(1)
                .min(d - 1);
            idx.push(j as u32);
        }
        idx.sort_unstable();
        idx.dedup();
        let z: f64 = -0.5 + idx.iter().map(|&j| truth[j as usize]).sum::<f64>();
        let p = 1.0 / (1.0 + (-z).exp());
        y.push(next() < p);
        x.push_row(&idx, &vec![1.0; idx.len()]).unwrap();
    }
    (x, y)
}

/// Worker `w` is held up in the rounds `r` with `r % 2 == w % 2`: a straggler every round,
/// never the same one twice in a row.
fn rotating(w: usize, r: u64) -> Duration {
    if r % 2 == w as u64 % 2 {
        Duration::from_micros(300)
    } else {
        Duration::ZERO
    }
}

#[test]
fn ssp_with_stragglers_reaches_bsps_log_loss_and_bsp_is_deterministic() {
    let (x, y) = data(20_000, 4096);
    let prior = {
        let p = y.iter().filter(|&&b| b).count() as f64 / y.len() as f64;
        -(p * p.ln() + (1.0 - p) * (1.0 - p).ln())
    };
    let bsp_cfg = SgdConfig {
        batch_size: 64,
        rate: 0.1,
        epochs: 2,
        workers: 2,
        consistency: Consistency::Bsp,
        delay: Some(rotating),
        ..SgdConfig::default()
    };
    let bsp = train_sparse_logistic(&x, &y, &bsp_cfg).unwrap();
    let again = train_sparse_logistic(&x, &y, &bsp_cfg).unwrap();
    assert_eq!(bsp.coef, again.coef, "BSP is deterministic");
    let ssp = train_sparse_logistic(
        &x,
        &y,
        &SgdConfig {
            consistency: Consistency::Ssp(2),
            ..bsp_cfg.clone()
        },
    )
    .unwrap();
    assert_eq!(ssp.rounds, bsp.rounds);
    let (lb, ls) = (bsp.log_loss(&x, &y), ssp.log_loss(&x, &y));
    assert!(
        lb < 0.9 * prior,
        "BSP learned: {lb} against the prior's {prior}"
    );
    assert!((ls - lb).abs() <= 0.01 * lb, "SSP {ls}, BSP {lb}");
}

#[test]
fn bad_configurations_and_labels_are_refused() {
    let (x, y) = data(100, 64);
    let bad = |cfg: SgdConfig| train_sparse_logistic(&x, &y, &cfg).unwrap_err().to_string();
    assert!(
        bad(SgdConfig {
            batch_size: 0,
            ..SgdConfig::default()
        })
        .contains("batch_size")
    );
    assert!(
        bad(SgdConfig {
            rate: f64::NAN,
            ..SgdConfig::default()
        })
        .contains("rate")
    );
    let e = train_sparse_logistic(&x, &y[..10], &SgdConfig::default()).unwrap_err();
    assert!(e.to_string().contains("labels"), "{e}");
}
