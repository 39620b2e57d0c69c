//! The discrete naive Bayes models against scikit-learn's fixtures (`mnb_digits.json`,
//! `bnb_digits.json`: 600 rows of digits, 64 features, 10 classes), on every path: `fit`,
//! `learn_one` row by row, and `learn_many` in chunks; dense and sparse rows.

use ndarray::Array2;
use tidewater::bayes::{BernoulliNB, BernoulliNBParams, MultinomialNB, MultinomialNBParams};
use tidewater::prelude::*;
use tidewater::{CsrMatrix, FeatureMatrix, Schema};

mod common;
use common::{array, close, fixture, floats, matrix, num};

/// The fixture's rows, labels and tolerance.
fn digits(name: &str) -> (serde_json::Value, Array2<f64>, Vec<Label>, f64) {
    let f = fixture(&format!("batch/{name}.json"));
    let x = array(&f["X"]);
    let y: Vec<Label> = floats(&f["y"])
        .into_iter()
        .map(|v| Label::num(v).unwrap())
        .collect();
    let tol = num(&f["tolerance"]);
    (f, x, y, tol)
}

fn dataset(x: &Array2<f64>, y: &[Label], sparse: bool) -> Dataset {
    let d = x.ncols();
    let features = if sparse {
        let mut m = CsrMatrix::new(d);
        for r in x.rows() {
            let (idx, val): (Vec<u32>, Vec<f64>) = r
                .iter()
                .enumerate()
                .filter(|(_, v)| **v != 0.0)
                .map(|(j, v)| (j as u32, *v))
                .unzip();
            m.push_row(&idx, &val).unwrap();
        }
        FeatureMatrix::Sparse(m)
    } else {
        FeatureMatrix::Dense(x.clone())
    };
    Dataset::new(
        features,
        vec![Targets::Labels(y.to_vec())],
        Schema::numeric((0..d).map(|j| format!("f{j}")).collect(), vec!["y".into()]),
    )
    .unwrap()
}

/// The model on every path: fitted, learned row by row, and in chunks of `step` rows; each
/// from dense and from sparse rows.
fn every_path<M: Classifier>(
    x: &Array2<f64>,
    y: &[Label],
    fit: impl Fn(&Dataset) -> M,
    fresh: impl Fn() -> M,
) -> Vec<(String, M)> {
    let mut out = Vec::new();
    for sparse in [false, true] {
        let data = dataset(x, y, sparse);
        let kind = if sparse { "sparse" } else { "dense" };
        out.push((format!("fit {kind}"), fit(&data)));
        let b = data.batch();
        let mut rows = fresh();
        for (i, l) in y.iter().enumerate() {
            rows.learn_one(b.row(i).unwrap(), l, None).unwrap();
        }
        out.push((format!("learn_one {kind}"), rows));
        for step in [1, 37, 600] {
            let mut many = fresh();
            for start in (0..y.len()).step_by(step) {
                let end = (start + step).min(y.len());
                let rows = x.slice(ndarray::s![start..end, ..]).to_owned();
                let part = dataset(&rows, &y[start..end], sparse);
                many.learn_many(part.batch(), &y[start..end], None).unwrap();
            }
            out.push((format!("learn_many({step}) {kind}"), many));
        }
    }
    out
}

fn check_proba<M: Classifier>(what: &str, m: &M, x: &Array2<f64>, want: &[Vec<f64>], tol: f64) {
    let mut p = vec![0.0; m.classes().len()];
    for (i, r) in x.rows().into_iter().enumerate() {
        m.predict_proba_into(Row::Dense(r.as_slice().unwrap()), &mut p)
            .unwrap();
        close(&p, &want[i], tol, &format!("{what}: predict_proba row {i}"));
    }
}

/// A model of the fixture `name`, on every path, against its priors, feature log
/// probabilities and probabilities; and every path makes the same model, bit for bit (the
/// counts are the same sums).
fn check_fixture<M: Classifier + Clone + PartialEq + std::fmt::Debug>(
    name: &str,
    fit: impl Fn(&Dataset) -> M,
    fresh: impl Fn() -> M,
    prior: impl Fn(&M) -> Vec<f64>,
    feature_log_prob: impl Fn(&M) -> Vec<Vec<f64>>,
) {
    let (f, x, y, tol) = digits(name);
    let want_flp = matrix(&f["feature_log_prob"]);
    let want_prior = floats(&f["class_log_prior"]);
    let want_proba = matrix(&f["predict_proba"]);
    let paths = every_path(&x, &y, fit, fresh);
    let first = paths[0].1.clone();
    for (what, m) in &paths {
        close(
            &prior(m),
            &want_prior,
            tol,
            &format!("{what}: class_log_prior"),
        );
        for (c, row) in feature_log_prob(m).iter().enumerate() {
            close(
                row,
                &want_flp[c],
                tol,
                &format!("{what}: feature_log_prob[{c}]"),
            );
        }
        check_proba(what, m, &x, &want_proba, tol);
        assert_eq!(m, &first, "{what}");
    }
}

#[test]
fn multinomial_nb_matches_scikit_learn_on_digits_on_every_path() {
    let f = fixture("batch/mnb_digits.json");
    let params = MultinomialNBParams::default().alpha(num(&f["params"]["alpha"]));
    check_fixture(
        "mnb_digits",
        |d| params.fit(d).unwrap(),
        || params.build().unwrap(),
        |m: &MultinomialNB| m.class_log_prior().unwrap(),
        MultinomialNB::feature_log_prob,
    );
}

#[test]
fn multinomial_nb_refuses_negative_counts_and_leaves_the_model_as_it_was() {
    let mut m = MultinomialNB::new();
    m.learn_one(Row::Dense(&[1.0, 2.0]), &Label::from("a"), None)
        .unwrap();
    let before = m.clone();
    let e = m
        .learn_one(Row::Dense(&[1.0, -2.0]), &Label::from("b"), None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("feature 1") && e.contains("negative"), "{e}");
    assert_eq!(m, before);
    assert_eq!(m.classes().len(), 1);
}

#[test]
fn multinomial_nb_takes_fixed_and_uniform_priors() {
    let x = [[3.0, 0.0], [0.0, 3.0], [2.0, 1.0]];
    let y = ["a", "b", "a"];
    let learn = |p: MultinomialNBParams| {
        let mut m = p.build().unwrap();
        for (r, l) in x.iter().zip(y) {
            m.learn_one(Row::Dense(r), &Label::from(l), None).unwrap();
        }
        m
    };
    let uniform = learn(MultinomialNBParams::default().fit_prior(false));
    let half = 0.5f64.ln();
    assert_eq!(uniform.class_log_prior().unwrap(), vec![half, half]);
    let fixed = learn(MultinomialNBParams::default().class_prior(vec![0.9, 0.1]));
    let p = fixed.class_log_prior().unwrap();
    assert!((p[0] - 0.9f64.ln()).abs() < 1e-15 && (p[1] - 0.1f64.ln()).abs() < 1e-15);
    // A prior per class: three priors for two classes is an error naming the parameter.
    let wrong = learn(MultinomialNBParams::default().class_prior(vec![0.5, 0.25, 0.25]));
    let e = wrong
        .predict_one(Row::Dense(&[1.0, 1.0]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("class_prior"), "{e}");
    assert!(
        MultinomialNBParams::default()
            .class_prior(vec![0.5, -0.5])
            .build()
            .is_err()
    );
}

#[test]
fn bernoulli_nb_matches_scikit_learn_on_digits_on_every_path() {
    let f = fixture("batch/bnb_digits.json");
    let params = BernoulliNBParams::default()
        .alpha(num(&f["params"]["alpha"]))
        .binarize(num(&f["params"]["binarize"]));
    check_fixture(
        "bnb_digits",
        |d| params.fit(d).unwrap(),
        || params.build().unwrap(),
        |m: &BernoulliNB| m.class_log_prior().unwrap(),
        BernoulliNB::feature_log_prob,
    );
}

#[test]
fn bernoulli_nb_reads_absent_sparse_features_as_zeros_whatever_the_threshold() {
    // With a negative threshold a zero counts as 1: a sparse row's absent features too.
    for binarize in [Some(-0.5), Some(0.0), Some(2.0), None] {
        let p = BernoulliNBParams::default().binarize(binarize);
        let rows = [
            [0.0, 3.0, 0.0],
            [1.0, 0.0, 0.0],
            [0.0, 0.0, 5.0],
            [2.0, 2.0, 0.0],
        ];
        let labels = ["a", "b", "a", "b"];
        let (mut dense, mut sparse) = (p.build().unwrap(), p.build().unwrap());
        for (r, l) in rows.iter().zip(labels) {
            dense
                .learn_one(Row::Dense(r), &Label::from(l), None)
                .unwrap();
            let idx: Vec<u32> = (0..3).filter(|&j| r[j as usize] != 0.0).collect();
            let val: Vec<f64> = idx.iter().map(|&j| r[j as usize]).collect();
            let s = tidewater::SparseRow::new(3, &idx, &val).unwrap();
            sparse
                .learn_one(Row::Sparse(s), &Label::from(l), None)
                .unwrap();
        }
        assert_eq!(dense, sparse, "{binarize:?}");
        let (mut a, mut b) = (vec![0.0; 2], vec![0.0; 2]);
        dense
            .predict_proba_into(Row::Dense(&[0.0, 1.0, 0.0]), &mut a)
            .unwrap();
        let s = tidewater::SparseRow::new(3, &[1], &[1.0]).unwrap();
        dense.predict_proba_into(Row::Sparse(s), &mut b).unwrap();
        close(
            &a,
            &b,
            1e-15,
            &format!("{binarize:?}: dense and sparse predictions"),
        );
    }
    let _ = BernoulliNB::new();
}
