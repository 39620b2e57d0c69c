//! Reference fixtures (scikit-learn and River, in the workspace's `tests/fixtures/reference`)
//! through the library on every path that can produce them. Tolerances are the fixtures' own,
//! relative: `|got - want| <= tol * max(1, |want|)`.

// Index loops over rows read more plainly than zipped iterators in tests and benches.
#![allow(clippy::needless_range_loop)]

use ndarray::Array2;
use serde_json::Value;
use tidewater_core::io::{TargetSpec, load_csv};
use tidewater_core::{
    Batch, Build, Classifier, Dataset, FeatureMatrix, Fit, Label, Pipeline, Regressor, Row, Schema,
    Targets,
};
use tidewater_linear::{
    LinearRegressionParams, LogisticRegressionParams, RidgeParams, SoftmaxRegressionParams,
};

fn fixture_path(rel: &str) -> String {
    format!(
        "{}/../../tests/fixtures/reference/{rel}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn fixture(rel: &str) -> Value {
    let path = fixture_path(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = v.as_array().unwrap().iter().map(floats).collect();
    let (n, d) = (rows.len(), rows[0].len());
    Array2::from_shape_vec((n, d), rows.concat()).unwrap()
}

fn close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * w.abs().max(1.0),
            "{what}[{i}]: got {g}, want {w} (tol {tol})"
        );
    }
}

fn dataset(x: &Array2<f64>, y: Targets) -> Dataset {
    let d = x.ncols();
    let schema = Schema::numeric((0..d).map(|j| format!("f{j}")).collect(), vec!["y".into()]);
    Dataset::new(FeatureMatrix::Dense(x.clone()), vec![y], schema).unwrap()
}

#[test]
fn linear_regression_matches_scikit_learn_on_diabetes() {
    let f = fixture("batch/ols_diabetes.json");
    let tol = f["tolerance"].as_f64().unwrap();
    let x = matrix(&f["X"]);
    let y = floats(&f["y"]);
    let data = dataset(&x, Targets::Values(y));
    let m = LinearRegressionParams::default().fit(&data).unwrap();
    // The rounds a parameter server runs (here on this process's threads): the co-moments'
    // normal equations instead of QR, the same fixture.
    let (rounds, _) = LinearRegressionParams::default()
        .fit_on(&data, &tidewater_core::rounds::Rayon)
        .unwrap();
    for (path, m) in [("fit", &m), ("rounds", &rounds)] {
        close(m.coef(), &floats(&f["coef"]), tol, &format!("{path} coef"));
        close(
            &[m.intercept()],
            &[f["intercept"].as_f64().unwrap()],
            tol,
            &format!("{path} intercept"),
        );
    }
}

#[test]
fn ridge_matches_scikit_learn_on_diabetes_on_every_path() {
    let f = fixture("batch/ridge_diabetes.json");
    let tol = f["tolerance"].as_f64().unwrap();
    let x = matrix(&f["X"]);
    let y = floats(&f["y"]);
    let params = RidgeParams::default().alpha(f["params"]["alpha"].as_f64().unwrap());
    let fitted = params
        .fit(&dataset(&x, Targets::Values(y.clone())))
        .unwrap();
    let mut rows = params.build().unwrap();
    for (r, &t) in x.rows().into_iter().zip(&y) {
        rows.learn_one(Row::Dense(r.as_slice().unwrap()), t, None)
            .unwrap();
    }
    let mut batches = params.build().unwrap();
    for start in (0..x.nrows()).step_by(13) {
        let end = (start + 13).min(x.nrows());
        batches
            .learn_many(
                Batch::Dense(x.slice(ndarray::s![start..end, ..])),
                &y[start..end],
                None,
            )
            .unwrap();
    }
    let (rounds, _) = params
        .fit_on(
            &dataset(&x, Targets::Values(y.clone())),
            &tidewater_core::rounds::Rayon,
        )
        .unwrap();
    let want = floats(&f["coef"]);
    let b = f["intercept"].as_f64().unwrap();
    for (path, m) in [
        ("fit", &fitted),
        ("learn_one", &rows),
        ("learn_many", &batches),
        ("rounds (parameter server)", &rounds),
    ] {
        close(&m.coef(), &want, tol, &format!("{path} coef"));
        close(&[m.intercept()], &[b], tol, &format!("{path} intercept"));
        // Predictions equal X coef + b.
        for (i, r) in x.rows().into_iter().enumerate().step_by(37) {
            let p = m.predict_one(Row::Dense(r.as_slice().unwrap())).unwrap();
            let expect: f64 = r.iter().zip(&want).map(|(a, c)| a * c).sum::<f64>() + b;
            close(&[p], &[expect], tol, &format!("{path} prediction {i}"));
        }
    }
    assert_eq!(
        fitted, rows,
        "the batch fit is the row loop: law 1 holds bit for bit"
    );
}

#[test]
fn softmax_regression_matches_scikit_learn_multinomial_on_iris() {
    let f = fixture("batch/logreg_iris.json");
    let tol = f["tolerance"].as_f64().unwrap();
    let x = matrix(&f["X"]);
    let y: Vec<Label> = floats(&f["y"]).into_iter().map(Label::Num).collect();
    // The fixture's l2 is scikit-learn's 1/C on the sum of losses: C = 1.
    let c = 1.0 / f["params"]["l2"].as_f64().unwrap();
    let m = SoftmaxRegressionParams::default()
        .c(c)
        .fit(&dataset(&x, Targets::Labels(y)))
        .unwrap();
    let info = m.fit_info().unwrap();
    assert!(info.converged, "{info:?}");
    let coef = m.coef();
    for (k, want) in f["coef"].as_array().unwrap().iter().enumerate() {
        close(
            coef.row(k).as_slice().unwrap(),
            &floats(want),
            tol,
            &format!("coef[{k}]"),
        );
    }
    close(m.intercepts(), &floats(&f["intercept"]), tol, "intercept");
    assert!(m.intercepts().iter().sum::<f64>().abs() < 1e-12);
    let want = matrix(&f["predict_proba"]);
    for (i, r) in x.rows().into_iter().enumerate() {
        let p = m
            .predict_proba_one(Row::Dense(r.as_slice().unwrap()))
            .unwrap();
        close(
            &p,
            want.row(i).as_slice().unwrap(),
            tol,
            &format!("proba[{i}]"),
        );
    }
}

#[test]
fn scaled_logistic_regression_on_phishing_is_within_0003_of_river() {
    let f = fixture("online/phishing.json");
    let river = f["accuracy"]["scaler_logreg_sgd"].as_f64().unwrap();
    let data = load_csv(
        std::path::Path::new(&fixture_path("online/phishing.csv")),
        TargetSpec::Last,
    )
    .unwrap();
    let mut model = Pipeline::new(
        vec![tidewater_preprocessing::StandardScaler::new()],
        LogisticRegressionParams::default().build().unwrap(),
    );
    let report = tidewater_core::eval::evaluate_classifier_on(&mut model, &data, 1000).unwrap();
    let acc = report.metric("accuracy").unwrap();
    assert_eq!(report.rows, 1250);
    assert!(
        (acc - river).abs() <= 0.003,
        "accuracy {acc}, River {river}"
    );
}
