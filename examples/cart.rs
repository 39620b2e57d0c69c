//! Batch trees: a CART classifier on iris (the tree, its feature importances, its test
//! accuracy) and a CART regressor and a random forest on diabetes (test R²). Run with
//! `cargo run --example cart`.

use ndarray::Axis;
use tidewater::prelude::*;
use tidewater::trees::{
    DecisionTreeClassifierParams, DecisionTreeRegressorParams, RandomForestRegressorParams,
};
use tidewater::{FeatureMatrix, Schema};

/// Rows `keep` of a dense data set with a single target.
fn rows(data: &Dataset, keep: &[usize]) -> Result<Dataset> {
    let FeatureMatrix::Dense(x) = &data.features else {
        return Err(Error::Unsupported(
            "the example's data sets are dense".into(),
        ));
    };
    let targets = match data.target()? {
        Targets::Labels(y) => Targets::Labels(keep.iter().map(|&i| y[i].clone()).collect()),
        Targets::Values(y) => Targets::Values(keep.iter().map(|&i| y[i]).collect()),
    };
    Dataset::new(
        FeatureMatrix::Dense(x.select(Axis(0), keep)),
        vec![targets],
        Schema::numeric(data.schema.features.clone(), data.schema.targets.clone()),
    )
}

/// Every third row for the test, the others for training.
fn split(data: &Dataset) -> Result<(Dataset, Dataset)> {
    let (test, train): (Vec<usize>, Vec<usize>) = (0..data.n_rows()).partition(|i| i % 3 == 0);
    Ok((rows(data, &train)?, rows(data, &test)?))
}

fn main() -> Result<()> {
    // A classification tree on iris.
    let (train, test) = split(&tidewater::datasets::iris()?)?;
    let tree = DecisionTreeClassifierParams::default()
        .seed(0)
        .fit(&train)?;
    println!(
        "iris: a tree of depth {}, {} leaves, {} nodes\n{tree}",
        tree.depth(),
        tree.n_leaves(),
        tree.n_nodes()
    );
    for (name, imp) in tree.feature_names().iter().zip(tree.feature_importances()) {
        println!("  importance of {name}: {imp:.3}");
    }
    let labels = test.target()?.to_labels()?;
    let predictions = tree.predict_many(test.batch())?;
    let right = predictions
        .iter()
        .zip(&labels)
        .filter(|(p, y)| p.as_ref() == Some(y))
        .count();
    println!(
        "test accuracy: {:.4} ({right} of {})\n",
        right as f64 / labels.len() as f64,
        labels.len()
    );

    // A regression tree and a random forest on diabetes.
    let (train, test) = split(&tidewater::datasets::diabetes()?)?;
    let y = test.target()?.to_values()?;
    let r2 = |pred: &[f64]| {
        let mean = y.iter().sum::<f64>() / y.len() as f64;
        let res: f64 = y.iter().zip(pred).map(|(a, b)| (a - b).powi(2)).sum();
        let tot: f64 = y.iter().map(|a| (a - mean).powi(2)).sum();
        1.0 - res / tot
    };
    let tree = DecisionTreeRegressorParams::default()
        .min_samples_leaf(5)
        .fit(&train)?;
    println!(
        "diabetes: a tree of depth {} with {} leaves, test R² {:.4}",
        tree.depth(),
        tree.n_leaves(),
        r2(&tree.predict_many(test.batch())?)
    );
    let forest = RandomForestRegressorParams::default().seed(0).fit(&train)?;
    println!(
        "diabetes: a forest of {} trees, test R² {:.4}",
        forest.n_trees(),
        r2(&forest.predict_many(test.batch())?)
    );
    let names = forest.feature_names().to_vec();
    let mut imp: Vec<(String, f64)> = names
        .into_iter()
        .zip(forest.feature_importances())
        .collect();
    imp.sort_by(|a, b| b.1.total_cmp(&a.1));
    println!(
        "  most important: {} ({:.3}), {} ({:.3})",
        imp[0].0, imp[0].1, imp[1].0, imp[1].1
    );
    Ok(())
}
