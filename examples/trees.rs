//! A Hoeffding tree grown from a stream: prequential evaluation on a shipped data set, the
//! tree it grew, and the same tree from `fit`. Run with `cargo run --example trees`.

use tidewater::prelude::*;
use tidewater::trees::{HoeffdingTreeClassifierParams, LeafPrediction};

fn main() -> Result<()> {
    let bananas = tidewater::datasets::load("bananas")?;

    // Stream path: predict each row, score it, then learn it (prequential evaluation).
    let params = HoeffdingTreeClassifierParams::default()
        .grace_period(100)
        .leaf_prediction(LeafPrediction::NaiveBayesAdaptive);
    let mut streamed = params.build()?;
    let report = tidewater::eval::evaluate_classifier_on(&mut streamed, &bananas, 1000)?;
    println!(
        "prequential accuracy on bananas: {:.4} ({} rows)",
        report.metric("accuracy").unwrap_or(0.0),
        report.rows
    );
    println!(
        "{} nodes, {} leaves, depth {}:\n{streamed}",
        streamed.n_nodes(),
        streamed.n_leaves(),
        streamed.depth()
    );

    // Batch path: fit is one pass over the rows in order, so it grows the same tree.
    let fitted = params.fit(&bananas)?;
    assert_eq!(fitted.to_string(), streamed.to_string());
    println!("fit grew the same tree");
    Ok(())
}
