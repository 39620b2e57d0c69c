//! Linear models on both paths: a batch fit that keeps learning online (warm start), the exact
//! ridge, and FTRL on sparse hashed rows. Run with `cargo run --example linear`.

use tidewater::linear::{
    FtrlParams, LogisticRegressionParams, Optimizer, RidgeParams, SoftmaxRegressionParams,
};
use tidewater::prelude::*;

fn main() -> Result<()> {
    // Batch path: scikit-learn's multinomial logistic regression (C = 1) on iris.
    let iris = tidewater::datasets::iris()?;
    let labels = iris.target()?.to_labels()?;
    let mut softmax = SoftmaxRegressionParams::default().c(1.0).fit(&iris)?;
    println!("softmax fit: {:?}", softmax.fit_info());
    println!("intercepts (sum to 0): {:?}", softmax.intercepts());

    // Warm start: the fitted model keeps learning online with River's SGD.
    let batch = iris.batch();
    for (i, y) in labels.iter().enumerate().take(20) {
        softmax.learn_one(batch.row(i)?, y, None)?;
    }
    println!(
        "after 20 online rows: {:?}",
        softmax.predict_proba_one(batch.row(0)?)?
    );

    // The stream path of logistic regression with another optimizer, on phishing.
    let phishing = tidewater::datasets::phishing()?;
    let y = phishing.target()?.to_labels()?;
    let b = phishing.batch();
    let mut online = LogisticRegressionParams::default()
        .optimizer(Optimizer::AdaGrad { lr: 0.1, eps: 1e-8 })
        .build()?;
    let mut proba = [0.0; 2];
    let mut correct = 0;
    for (i, yi) in y.iter().enumerate() {
        let k = online.classes().len();
        // Predict (before learning), then learn: one pass over the row.
        let predicted = online.predict_then_learn(b.row(i)?, yi, None, &mut proba[..k])?;
        correct += usize::from(predicted.as_ref() == Some(yi));
    }
    println!(
        "AdaGrad logistic regression, prequential accuracy on phishing: {:.4}",
        correct as f64 / y.len() as f64
    );

    // Exact ridge: learning row by row gives the batch fit on the same rows.
    let diabetes = tidewater::datasets::load("diabetes")?;
    let target = diabetes.target()?.to_values()?;
    let fitted = RidgeParams::default().alpha(1.0).fit(&diabetes)?;
    let mut streamed = RidgeParams::default().alpha(1.0).build()?;
    let xb = diabetes.batch();
    for (i, &t) in target.iter().enumerate() {
        streamed.learn_one(xb.row(i)?, t, None)?;
    }
    assert_eq!(fitted.coef(), streamed.coef());
    println!(
        "ridge intercept {:.4}, same on both paths",
        streamed.intercept()
    );

    // FTRL-Proximal on sparse rows of dimension 2^20 (only the active features are touched).
    let dim = 1 << 20;
    let mut ftrl = FtrlParams::default().build()?;
    for i in 0..1000u32 {
        let mut idx: Vec<u32> = vec![i % 97, 1000 + i % 13, 500_000 + (i * 7919) % 1000];
        idx.sort_unstable();
        let vals = vec![1.0; idx.len()];
        let row = Row::Sparse(SparseRow::new(dim, &idx, &vals)?);
        let label = Label::Num(if i % 13 < 6 { 1.0 } else { -1.0 });
        ftrl.learn_one(row, &label, None)?;
    }
    let idx = [5u32, 1003, 500_001];
    let row = Row::Sparse(SparseRow::new(dim, &idx, &[1.0, 1.0, 1.0])?);
    println!("FTRL P(y = 1): {:.3}", ftrl.predict_proba_one(row)?[1]);
    Ok(())
}
