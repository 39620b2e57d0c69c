//! The parameter server: a batch fit's rounds on workers (the same model as `fit`), least
//! squares in rounds, k-means resumed from a checkpoint, and mini-batch SGD under bounded
//! staleness. Run with `cargo run --release --example parameter_server`.
//!
//! On several machines the same fits run on timely-dataflow processes
//! (`tidewater::ps::Processes`, feature `distributed`; `tidewater fit --hosts`): see
//! `docs/distributed.md`.

use std::sync::Arc;

use tidewater::cluster::{KMeansInit, KMeansParams};
use tidewater::linear::{LogisticRegressionParams, Optimizer, RidgeParams};
use tidewater::prelude::*;
use tidewater::ps::sgd::{Intercept, SgdConfig, Step, train_logistic};
use tidewater::ps::{Consistency, Workers};
use tidewater::rounds::{CheckpointFiles, Checkpoints};

fn main() -> Result<()> {
    let shuttle = tidewater::datasets::load("shuttle")?;

    // L-BFGS with its gradient summed over blocks of rows on two workers: the blocks are
    // fixed by the data and added in block order, so the model is `fit`'s, bit for bit.
    let params = LogisticRegressionParams::default().c(10.0);
    let plain = params.fit(&shuttle)?;
    let (on_workers, info) = params.fit_on(&shuttle, &Workers::new(2)?)?;
    println!(
        "logistic regression: {} rounds on {} workers, fit's model bit for bit: {}",
        info.rounds,
        info.workers,
        on_workers == plain
    );

    // Ridge in two rounds (the means, then the centred co-moments): fit's model to rounding.
    let diabetes = tidewater::datasets::load("diabetes")?;
    let ridge = RidgeParams::default().alpha(1.0);
    let row_by_row = ridge.fit(&diabetes)?;
    let (in_rounds, info) = ridge.fit_on(&diabetes, &Workers::new(2)?)?;
    let gap = row_by_row
        .coef()
        .iter()
        .zip(in_rounds.coef())
        .map(|(a, b)| ((a - b) / a.abs().max(1.0)).abs())
        .fold(0.0, f64::max);
    println!(
        "ridge: {} rounds, largest relative gap to fit's coefficients {gap:.1e}",
        info.rounds
    );

    // k-means with a checkpoint every 2 iterations; a fit resumed from the last one ends
    // where the whole run ended, in the rounds that were left.
    let dir = std::env::temp_dir().join(format!("tidewater-ps-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::Io {
        path: dir.display().to_string(),
        source: e,
    })?;
    let base = dir.join("kmeans.tw");
    let kmeans = KMeansParams {
        n_clusters: 4,
        init: KMeansInit::Random,
        n_init: Some(3),
        seed: 7,
        ..KMeansParams::default()
    };
    let job = "k-means on shuttle";
    let saving = Arc::new(CheckpointFiles::new(&base, 2, false, job)?);
    let (whole, whole_info) =
        kmeans.fit_on(&shuttle, &Workers::new(2)?.with_checkpoints(saving))?;
    let resuming = CheckpointFiles::new(&base, 2, true, job)?;
    let last = resuming.available().last().copied().unwrap_or(0);
    let (resumed, info) = kmeans.fit_on(
        &shuttle,
        &Workers::new(2)?.with_checkpoints(Arc::new(resuming)),
    )?;
    println!(
        "k-means: {} rounds; resumed from iteration {last}: {} more rounds, the same model: {}",
        whole_info.rounds,
        info.rounds,
        resumed == whole
    );
    let _ = std::fs::remove_dir_all(&dir);

    // Mini-batch SGD on the server, each worker at most 2 rounds ahead of the slowest: each
    // pulls only the weights its mini-batch touches and pushes their gradient (AdaGrad on the
    // server). `tidewater fit --workers 2 --staleness 2` runs the same.
    let phishing = tidewater::datasets::phishing()?;
    let sgd =
        LogisticRegressionParams::default().optimizer(Optimizer::AdaGrad { lr: 0.1, eps: 1e-8 });
    let cfg = SgdConfig {
        batch_size: 16,
        rate: 0.1,
        step: Step::AdaGrad { eps: 1e-8 },
        intercept: Intercept::Same,
        epochs: 5,
        workers: 2,
        consistency: Consistency::Ssp(2),
        ..SgdConfig::default()
    };
    let mut rounds = 0;
    let model = sgd.fit_with(&phishing, |positive| {
        let out = train_logistic(phishing.batch(), positive, None, &cfg, None)?;
        rounds = out.rounds;
        Ok((out.coef, out.intercept))
    })?;
    let labels = phishing.target()?.to_labels()?;
    let b = phishing.batch();
    let mut right = 0;
    for (i, y) in labels.iter().enumerate() {
        right += usize::from(model.predict_one(b.row(i)?)?.as_ref() == Some(y));
    }
    println!(
        "SGD under SSP(2): {rounds} rounds a worker, training accuracy {:.3}",
        right as f64 / labels.len() as f64
    );
    Ok(())
}
