//! A scaler written once for both paths, alone and in a pipeline in front of a classifier.
//! Run with `cargo run --example preprocessing`.

use tidewater::bayes::GaussianNB;
use tidewater::prelude::*;
use tidewater::preprocessing::{StandardScaler, StandardScalerParams};

fn main() -> Result<()> {
    let wine = tidewater::datasets::wine()?;

    // Batch: fit on all rows, then transform into a caller's buffer (no allocation).
    let scaler = StandardScalerParams::default().fit(&wine)?;
    let mut out = vec![0.0; wine.n_features()];
    scaler.transform_one(wine.batch().row(0)?, &mut out)?;
    println!("first row standardised: {out:.3?}");

    // Stream: a pipeline learns in River's order (the scaler learns the row, then the model
    // sees it scaled with the updated statistics); prediction learns nothing.
    let labels = wine.target()?.to_labels()?;
    let mut pipe = Pipeline::new(vec![StandardScaler::new()], GaussianNB::new());
    let batch = wine.batch();
    let mut correct = 0;
    for (i, y) in labels.iter().enumerate() {
        let x = batch.row(i)?;
        if pipe.predict_one(x)?.as_ref() == Some(y) {
            correct += 1;
        }
        pipe.learn_one(x, y, None)?;
    }
    println!(
        "prequential accuracy of standard_scaler|gaussian_nb on wine: {:.3}",
        correct as f64 / labels.len() as f64
    );
    Ok(())
}
