//! Preprocessing written once for both paths: a pipeline `standard_scaler | gaussian_nb` is
//! trained in batch on the first rows of a data set and then keeps learning on the rest as a
//! stream (the Lambda architecture in one type), next to the same pipeline run purely online
//! from the first row. Both predict each stream row before learning it; the example reports
//! how often their predictions agree and how accurate each is.
//!
//! Run with `cargo run --example batch_then_stream`.

use tidewater::bayes::GaussianNB;
use tidewater::prelude::*;
use tidewater::preprocessing::StandardScaler;
use tidewater::{FeatureMatrix, Schema};

fn main() -> Result<()> {
    let data = tidewater::datasets::phishing()?;
    let y = data.target()?.to_labels()?;
    let FeatureMatrix::Dense(x) = &data.features else {
        return Err(Error::Unsupported("phishing is dense".into()));
    };
    let cut = 600;

    // The batch part as a data set of its own.
    let first = Dataset::new(
        FeatureMatrix::Dense(x.slice(ndarray::s![..cut, ..]).to_owned()),
        vec![Targets::Labels(y[..cut].to_vec())],
        Schema::numeric(data.schema.features.clone(), data.schema.targets.clone()),
    )?;

    // Batch, then stream: each stage is fitted on the whole first part.
    let mut warm = Pipeline::new(vec![StandardScaler::new()], GaussianNB::new());
    warm.fit_batch(&first)?;

    // Purely online: the same pipeline learns the first part row by row.
    let mut online = Pipeline::new(vec![StandardScaler::new()], GaussianNB::new());
    let batch = data.batch();
    for (i, label) in y.iter().enumerate().take(cut) {
        online.learn_one(batch.row(i)?, label, None)?;
    }

    // The stream: both predict, then learn, every remaining row.
    let (mut agree, mut right_warm, mut right_online) = (0usize, 0usize, 0usize);
    let n = y.len() - cut;
    for (i, label) in y.iter().enumerate().skip(cut) {
        let row = batch.row(i)?;
        let (a, b) = (warm.predict_one(row)?, online.predict_one(row)?);
        agree += usize::from(a == b);
        right_warm += usize::from(a.as_ref() == Some(label));
        right_online += usize::from(b.as_ref() == Some(label));
        warm.learn_one(row, label, None)?;
        online.learn_one(row, label, None)?;
    }

    // The scalers themselves agree exactly: both saw the same rows (law 1).
    let (sw, so) = (&warm.steps()[0], &online.steps()[0]);
    let max_mean_gap = sw
        .mean()
        .iter()
        .zip(so.mean())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);

    println!("phishing: batch on {cut} rows, then a stream of {n} rows");
    println!(
        "predictions that agree:     {agree} / {n} ({:.1} %)",
        100.0 * agree as f64 / n as f64
    );
    println!(
        "accuracy, batch then stream: {:.3}",
        right_warm as f64 / n as f64
    );
    println!(
        "accuracy, purely online:     {:.3}",
        right_online as f64 / n as f64
    );
    println!("largest gap between the two scalers' means: {max_mean_gap:e}");
    println!(
        "Why not identical: the scalers hold the same statistics, but online the classifier \
         learned each early row scaled with the scaler's statistics of that moment (few rows, \
         still moving), while in batch it learned every row scaled with the final ones; the \
         two classifiers therefore hold different per-class means and variances, and the gap \
         shrinks as the stream goes on."
    );
    Ok(())
}
