//! Gaussian naive Bayes on both paths: fit on a shipped data set, keep learning online, and
//! evaluate prequentially. Run with `cargo run --example naive_bayes`.

use tidewater::bayes::GaussianNBParams;
use tidewater::prelude::*;

fn main() -> Result<()> {
    let iris = tidewater::datasets::iris()?;
    let labels = iris.target()?.to_labels()?;

    // Batch path: one call on the whole data set.
    let params = GaussianNBParams::default().var_smoothing(1e-9);
    let fitted = params.fit(&iris)?;

    // Stream path: the same model type, one row at a time.
    let mut streamed = params.build()?;
    let batch = iris.batch();
    for (i, y) in labels.iter().enumerate() {
        streamed.learn_one(batch.row(i)?, y, None)?;
    }

    // Both paths give the same model (exactly, for naive Bayes), so the same probabilities.
    let x = batch.row(100)?;
    println!("fit:       {:?}", fitted.predict_proba_one(x)?);
    println!("learn_one: {:?}", streamed.predict_proba_one(x)?);

    // Prequential evaluation (predict, score, then learn) on another data set.
    let phishing = tidewater::datasets::phishing()?;
    let mut model = params.build()?;
    let report = tidewater::eval::evaluate_classifier_on(&mut model, &phishing, 1000)?;
    for (name, value) in &report.metrics {
        println!(
            "{name:<26}{}",
            value.map_or("-".into(), |v| format!("{v:.4}"))
        );
    }
    Ok(())
}
