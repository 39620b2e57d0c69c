//! Reference fixtures (computed with scikit-learn and River, copied into
//! `tests/fixtures/reference/`) through the library, on every path that can produce them:
//! batch fit, row by row, and mini-batches. Tolerances are the fixtures' own, relative:
//! `|got - want| <= tol * max(1, |want|)`.

use ndarray::Array2;
use tidewater::bayes::{GaussianNB, GaussianNBParams};
use tidewater::prelude::*;
use tidewater::preprocessing::{StandardScaler, StandardScalerParams};
use tidewater::{FeatureMatrix, Schema};

mod common;
use common::{array, close, fixture, floats, three_paths, unsupervised};

/// The three ways to learn a classifier: fit, row by row, and mini-batches of 7.
fn three_paths_nb(x: &Array2<f64>, y: &[Label], params: &GaussianNBParams) -> Vec<GaussianNB> {
    let d = x.ncols();
    let schema = Schema::numeric((0..d).map(|j| format!("f{j}")).collect(), vec!["y".into()]);
    let ds = Dataset::new(
        FeatureMatrix::Dense(x.clone()),
        vec![Targets::Labels(y.to_vec())],
        schema,
    )
    .unwrap();
    let fitted = params.fit(&ds).unwrap();
    let mut rows = params.build().unwrap();
    for (r, l) in x.rows().into_iter().zip(y) {
        rows.learn_one(Row::Dense(r.as_slice().unwrap()), l, None)
            .unwrap();
    }
    let mut batches = params.build().unwrap();
    for start in (0..x.nrows()).step_by(7) {
        let end = (start + 7).min(x.nrows());
        let part = x.slice(ndarray::s![start..end, ..]);
        batches
            .learn_many(Batch::Dense(part), &y[start..end], None)
            .unwrap();
    }
    vec![fitted, rows, batches]
}

#[test]
fn gaussian_nb_matches_scikit_learn_on_iris_on_every_path() {
    let f = fixture("batch/gnb_iris.json");
    let tol = f["tolerance"].as_f64().unwrap();
    let x = array(&f["X"]);
    let y: Vec<Label> = floats(&f["y"]).into_iter().map(Label::Num).collect();
    let params =
        GaussianNBParams::default().var_smoothing(f["params"]["var_smoothing"].as_f64().unwrap());
    let want_proba = array(&f["predict_proba"]);
    for (path, m) in ["fit", "learn_one", "learn_many"]
        .iter()
        .zip(three_paths_nb(&x, &y, &params))
    {
        close(
            &m.class_prior(),
            &floats(&f["class_prior"]),
            tol,
            &format!("{path} prior"),
        );
        for (c, (t, v)) in m.theta().iter().zip(m.var()).enumerate() {
            close(
                t,
                &floats(&f["theta"][c]),
                tol,
                &format!("{path} theta[{c}]"),
            );
            close(&v, &floats(&f["var"][c]), tol, &format!("{path} var[{c}]"));
        }
        for (i, r) in x.rows().into_iter().enumerate() {
            let p = m
                .predict_proba_one(Row::Dense(r.as_slice().unwrap()))
                .unwrap();
            close(
                &p,
                want_proba.row(i).as_slice().unwrap(),
                tol,
                &format!("{path} proba[{i}]"),
            );
        }
    }
}

#[test]
fn standard_scaler_matches_scikit_learn_on_wine_on_every_path() {
    let f = fixture("batch/scaler_wine.json");
    let tol = f["tolerance"].as_f64().unwrap();
    let x = array(&f["X"]);
    let (mean, var) = (floats(&f["mean"]), floats(&f["var"]));
    let d = x.ncols();
    let fitted = StandardScalerParams::default()
        .fit(&unsupervised(&x))
        .unwrap();
    let [fitted, rows, batches] = three_paths(fitted, StandardScaler::new, &x, 10);
    for (path, m) in [
        ("fit", &fitted),
        ("learn_one", &rows),
        ("learn_many", &batches),
    ] {
        close(m.mean(), &mean, tol, &format!("{path} mean"));
        close(&m.var(), &var, tol, &format!("{path} var"));
        let t = m.transform_many(Batch::Dense(x.view())).unwrap();
        for (i, r) in x.rows().into_iter().enumerate() {
            let want: Vec<f64> = (0..d).map(|j| (r[j] - mean[j]) / var[j].sqrt()).collect();
            close(
                t.row(i).as_slice().unwrap(),
                &want,
                1e-9,
                &format!("{path} transform[{i}]"),
            );
        }
    }
}

#[test]
fn gaussian_nb_prequential_accuracy_on_phishing_is_within_001_of_river() {
    let f = fixture("online/phishing.json");
    let river = f["accuracy"]["gaussian_nb"].as_f64().unwrap();
    let data = tidewater::datasets::phishing().unwrap();
    let mut model = GaussianNB::new();
    let report = tidewater::eval::evaluate_classifier_on(&mut model, &data, 1000).unwrap();
    let acc = report.metric("accuracy").unwrap();
    assert_eq!(report.rows, 1250);
    assert!((acc - river).abs() <= 0.01, "accuracy {acc}, River {river}");
}
