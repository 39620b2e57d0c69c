//! The laws of ARCHITECTURE.md ("Laws") for the linear models, as proptests: exact incremental ridge equals
//! the batch fit (law 1, and an independent solve), warm start round-trips through serde and
//! keeps learning (laws 3 and 4), FTRL on sparse rows equals FTRL on the same rows written
//! densely, a rejected row leaves every model unchanged (law 6), and logistic regression's
//! straight-line step is its general step bit for bit.

// Index loops over rows read more plainly than zipped iterators in tests and benches.
#![allow(clippy::needless_range_loop)]

use nalgebra::{DMatrix, DVector};
use ndarray::Array2;
use proptest::prelude::*;
use serde::{Serialize, de::DeserializeOwned};
use tidewater_core::{
    Batch, Build, Classifier, CsrMatrix, Dataset, FeatureMatrix, Fit, Label, Regressor, Row,
    Schema, SparseRow, Targets,
};
use tidewater_linear::{
    FtrlParams, LinearRegressionParams, LogisticRegressionParams, Optimizer, PAClassifierParams,
    PARegressorParams, PerceptronParams, RidgeParams, SoftmaxRegressionParams,
};

fn dataset(x: &Array2<f64>, y: Targets) -> Dataset {
    let d = x.ncols();
    let schema = Schema::numeric((0..d).map(|j| format!("f{j}")).collect(), vec!["y".into()]);
    Dataset::new(FeatureMatrix::Dense(x.clone()), vec![y], schema).unwrap()
}

fn round_trip<T: Serialize + DeserializeOwned>(m: &T) -> T {
    let bytes = postcard::to_allocvec(m).unwrap();
    postcard::from_bytes(&bytes).unwrap()
}

/// Rows `n x d` with values in [-3, 3] and a linear target with noise.
fn regression_data(max_d: usize) -> impl Strategy<Value = (Array2<f64>, Vec<f64>)> {
    (1..=max_d).prop_flat_map(|d| {
        (d + 2..40usize).prop_flat_map(move |n| {
            (
                prop::collection::vec(-3.0f64..3.0, n * d),
                prop::collection::vec(-1.0f64..1.0, n),
                prop::collection::vec(-2.0f64..2.0, d),
            )
                .prop_map(move |(xs, noise, beta)| {
                    let x = Array2::from_shape_vec((n, d), xs).unwrap();
                    let y = (0..n)
                        .map(|i| {
                            x.row(i).iter().zip(&beta).map(|(a, b)| a * b).sum::<f64>()
                                + 0.5
                                + noise[i]
                        })
                        .collect();
                    (x, y)
                })
        })
    })
}

/// The ridge solution by an independent route: the weighted normal equations of the centred
/// design, built from the whole matrix at once and solved by SVD.
fn direct_ridge(x: &Array2<f64>, y: &[f64], w: &[f64], alpha: f64) -> (Vec<f64>, f64, f64) {
    let (n, d) = x.dim();
    let total: f64 = w.iter().sum();
    let mx: Vec<f64> = (0..d)
        .map(|j| (0..n).map(|i| w[i] * x[(i, j)]).sum::<f64>() / total)
        .collect();
    let my = (0..n).map(|i| w[i] * y[i]).sum::<f64>() / total;
    let xc = DMatrix::from_fn(n, d, |i, j| w[i].sqrt() * (x[(i, j)] - mx[j]));
    let yc = DVector::from_fn(n, |i, _| w[i].sqrt() * (y[i] - my));
    let a = xc.transpose() * &xc + DMatrix::identity(d, d) * alpha;
    let b = xc.transpose() * yc;
    let svd = a.clone().svd(true, true);
    let s = &svd.singular_values;
    let cond = s.max() / s.min();
    let beta = svd.solve(&b, 0.0).unwrap();
    let intercept = my - beta.iter().zip(&mx).map(|(c, m)| c * m).sum::<f64>();
    (beta.iter().copied().collect(), intercept, cond)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Law 1 (and 2): the ridge learned row by row, in any chunks, or fitted in batch is the
    /// same model bit for bit, and it is the ridge solution of the rows seen (checked against
    /// an independent solve, within the forward error its condition number allows).
    #[test]
    fn incremental_ridge_equals_the_batch_fit(
        (x, y) in regression_data(6),
        alpha in prop_oneof![Just(0.0), 1e-3f64..10.0],
        split in 1usize..40,
        weights in prop::collection::vec(0.1f64..3.0, 40),
    ) {
        let n = x.nrows();
        let w = &weights[..n];
        let params = RidgeParams::default().alpha(alpha);
        let fitted = params.fit(&dataset(&x, Targets::Values(y.clone())).with_weights(w.to_vec()).unwrap()).unwrap();
        let mut rows = params.build().unwrap();
        for i in 0..n {
            rows.learn_one(Row::Dense(x.row(i).to_slice().unwrap()), y[i], Some(w[i])).unwrap();
        }
        let mut chunks = params.build().unwrap();
        let cut = split.min(n);
        for (a, b) in [(0, cut), (cut, n)] {
            chunks.learn_many(Batch::Dense(x.slice(ndarray::s![a..b, ..])), &y[a..b], Some(&w[a..b])).unwrap();
        }
        prop_assert_eq!(&fitted, &rows);
        prop_assert_eq!(&fitted, &chunks);
        let (beta, b0, cond) = direct_ridge(&x, &y, w, alpha);
        prop_assume!(cond < 1e8);
        let coef = rows.coef();
        let scale = beta.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        let tol = |a: f64, b: f64| 1e-9 * (a.abs() + b.abs()) + 1e-14 * cond * scale;
        for (g, e) in coef.iter().zip(&beta) {
            prop_assert!((g - e).abs() <= tol(*g, *e), "coef {} vs {} (cond {})", g, e, cond);
        }
        let i0 = rows.intercept();
        prop_assert!((i0 - b0).abs() <= tol(i0, b0) * 10.0, "intercept {} vs {}", i0, b0);
    }

    /// Laws 3 and 4: a batch-fitted model saved and loaded predicts the same, keeps learning,
    /// and learns exactly as the original does.
    #[test]
    fn warm_start_round_trips_and_keeps_learning(
        (x, y) in regression_data(4),
        c in 0.1f64..10.0,
    ) {
        let n = x.nrows();
        let half = n / 2;
        let head = x.slice(ndarray::s![..half, ..]).to_owned();
        let labels: Vec<Label> = y.iter().map(|&v| Label::Num(if v > 0.5 { 1.0 } else { 0.0 })).collect();
        prop_assume!(labels[..half].contains(&Label::Num(1.0)) && labels[..half].contains(&Label::Num(0.0)));
        // Classifiers: logistic and softmax from a batch fit, then online.
        let lr = LogisticRegressionParams::default().c(c).fit(&dataset(&head, Targets::Labels(labels[..half].to_vec()))).unwrap();
        let sm = SoftmaxRegressionParams::default().c(c).fit(&dataset(&head, Targets::Labels(labels[..half].to_vec()))).unwrap();
        let mut a_lr = round_trip(&lr);
        let mut a_sm = round_trip(&sm);
        prop_assert_eq!(&a_lr, &lr);
        prop_assert_eq!(&a_sm, &sm);
        let (mut b_lr, mut b_sm) = (lr.clone(), sm.clone());
        for i in half..n {
            let r = Row::Dense(x.row(i).to_slice().unwrap());
            prop_assert_eq!(a_lr.predict_proba_one(r).unwrap(), b_lr.predict_proba_one(r).unwrap());
            prop_assert_eq!(a_sm.predict_proba_one(r).unwrap(), b_sm.predict_proba_one(r).unwrap());
            a_lr.learn_one(r, &labels[i], None).unwrap();
            b_lr.learn_one(r, &labels[i], None).unwrap();
            a_sm.learn_one(r, &labels[i], None).unwrap();
            b_sm.learn_one(r, &labels[i], None).unwrap();
            // Mid-stream round trip.
            a_lr = round_trip(&a_lr);
            a_sm = round_trip(&a_sm);
        }
        prop_assert_eq!(&a_lr, &b_lr);
        prop_assert_eq!(&a_sm, &b_sm);
        prop_assert!(a_lr.coef() != lr.coef() || half == n, "it kept learning");
        prop_assert!(a_sm.intercepts().iter().any(|&b| b != 0.0), "the intercepts were kept");
        // Regressors: linear regression and ridge.
        let lin = LinearRegressionParams::default().fit(&dataset(&head, Targets::Values(y[..half].to_vec()))).unwrap();
        let rid = RidgeParams::default().fit(&dataset(&head, Targets::Values(y[..half].to_vec()))).unwrap();
        let (mut a_lin, mut a_rid) = (round_trip(&lin), round_trip(&rid));
        let (mut b_lin, mut b_rid) = (lin.clone(), rid.clone());
        for i in half..n {
            let r = Row::Dense(x.row(i).to_slice().unwrap());
            prop_assert_eq!(a_lin.predict_one(r).unwrap(), b_lin.predict_one(r).unwrap());
            prop_assert_eq!(a_rid.predict_one(r).unwrap(), b_rid.predict_one(r).unwrap());
            a_lin.learn_one(r, y[i], None).unwrap();
            b_lin.learn_one(r, y[i], None).unwrap();
            a_rid.learn_one(r, y[i], None).unwrap();
            b_rid.learn_one(r, y[i], None).unwrap();
            a_lin = round_trip(&a_lin);
            a_rid = round_trip(&a_rid);
        }
        prop_assert_eq!(&a_lin, &b_lin);
        prop_assert_eq!(&a_rid, &b_rid);
        // Exact warm start for ridge (law 3): fit(D1) then learn(D2) = fit(D1 ++ D2).
        let all = RidgeParams::default().fit(&dataset(&x, Targets::Values(y.clone()))).unwrap();
        prop_assert_eq!(&a_rid, &all);
    }

    /// FTRL on sparse rows equals FTRL on the same rows written densely, bit for bit.
    #[test]
    fn ftrl_sparse_equals_dense(
        d in 1usize..30,
        rows in prop::collection::vec((prop::collection::vec((0usize..30, -2.0f64..2.0), 0..8), any::<bool>()), 1..60),
        alpha in 0.01f64..1.0,
        l1 in prop_oneof![Just(0.0), 0.0f64..0.5],
        l2 in prop_oneof![Just(0.0), 0.0f64..1.0],
    ) {
        let params = FtrlParams::default().alpha(alpha).l1(l1).l2(l2);
        let mut dense_m = params.build().unwrap();
        let mut sparse_m = params.build().unwrap();
        let mut csr = CsrMatrix::new(d);
        let mut dense_x = Array2::zeros((rows.len(), d));
        let mut labels = Vec::new();
        for (r, (entries, y)) in rows.iter().enumerate() {
            let mut e: Vec<(u32, f64)> = entries.iter().map(|&(i, v)| ((i % d) as u32, v)).collect();
            e.sort_by_key(|p| p.0);
            e.dedup_by_key(|p| p.0);
            let (idx, val): (Vec<u32>, Vec<f64>) = e.into_iter().unzip();
            for (&i, &v) in idx.iter().zip(&val) {
                dense_x[(r, i as usize)] = v;
            }
            csr.push_row(&idx, &val).unwrap();
            labels.push(Label::Num(if *y { 1.0 } else { -1.0 }));
        }
        for (r, y) in labels.iter().enumerate() {
            let s = SparseRow::new(d, csr.row(r).indices(), csr.row(r).values()).unwrap();
            let dr = Row::Dense(dense_x.row(r).to_slice().unwrap());
            prop_assert_eq!(
                dense_m.predict_proba_one(dr).unwrap(),
                sparse_m.predict_proba_one(Row::Sparse(s)).unwrap()
            );
            dense_m.learn_one(dr, y, None).unwrap();
            sparse_m.learn_one(Row::Sparse(s), y, None).unwrap();
        }
        prop_assert_eq!(&dense_m, &sparse_m);
        // learn_many over the CSR matrix is the same row loop.
        let mut batch_m = params.build().unwrap();
        batch_m.learn_many(Batch::Sparse(&csr), &labels, None).unwrap();
        prop_assert_eq!(&batch_m, &sparse_m);
    }

    /// Law 6: a row with a NaN, a wrong width, or a bad weight is rejected with an error that
    /// names it, and leaves every model bit-identical.
    #[test]
    fn bad_rows_are_rejected_and_leave_models_unchanged(
        (x, y) in regression_data(5),
        bad_col in 0usize..5,
    ) {
        let d = x.ncols();
        let labels: Vec<Label> = y.iter().map(|&v| Label::Num((v > 0.5) as i64 as f64)).collect();
        let n = x.nrows();
        let mut nan_row = x.row(0).to_vec();
        nan_row[bad_col % d] = f64::NAN;
        let wide: Vec<f64> = vec![0.5; d + 1];
        macro_rules! check_classifier {
            ($m:expr) => {{
                let mut m = $m;
                for i in 0..n {
                    m.learn_one(Row::Dense(x.row(i).to_slice().unwrap()), &labels[i], None).unwrap();
                }
                let before = m.clone();
                let e = m.learn_one(Row::Dense(&nan_row), &labels[0], None).unwrap_err().to_string();
                prop_assert!(e.contains(&format!("feature {}", bad_col % d)), "{}", e);
                let e = m.learn_one(Row::Dense(&wide), &labels[0], None).unwrap_err().to_string();
                prop_assert!(e.contains(&format!("expected {d} features")), "{}", e);
                let e = m.learn_one(Row::Dense(x.row(0).to_slice().unwrap()), &labels[0], Some(-1.0)).unwrap_err().to_string();
                prop_assert!(e.contains("weight"), "{}", e);
                let e = m.learn_one(Row::Dense(x.row(0).to_slice().unwrap()), &Label::Num(f64::NAN), None).unwrap_err().to_string();
                prop_assert!(e.contains("NaN"), "{}", e);
                prop_assert!(m.predict_one(Row::Dense(&nan_row)).is_err());
                prop_assert_eq!(&m, &before);
            }};
        }
        macro_rules! check_regressor {
            ($m:expr) => {{
                let mut m = $m;
                for i in 0..n {
                    m.learn_one(Row::Dense(x.row(i).to_slice().unwrap()), y[i], None).unwrap();
                }
                let before = m.clone();
                let e = m.learn_one(Row::Dense(&nan_row), y[0], None).unwrap_err().to_string();
                prop_assert!(e.contains(&format!("feature {}", bad_col % d)), "{}", e);
                let e = m.learn_one(Row::Dense(&wide), y[0], None).unwrap_err().to_string();
                prop_assert!(e.contains(&format!("expected {d} features")), "{}", e);
                let e = m.learn_one(Row::Dense(x.row(0).to_slice().unwrap()), f64::INFINITY, None).unwrap_err().to_string();
                prop_assert!(e.contains("target"), "{}", e);
                prop_assert!(m.predict_one(Row::Dense(&wide)).is_err());
                prop_assert_eq!(&m, &before);
            }};
        }
        check_classifier!(LogisticRegressionParams::default().build().unwrap());
        check_classifier!(LogisticRegressionParams::default().optimizer(Optimizer::Adam { lr: 0.1, beta_1: 0.9, beta_2: 0.999, eps: 1e-8 }).l1(0.01).build().unwrap());
        check_classifier!(SoftmaxRegressionParams::default().fit_intercept(true).build().unwrap());
        check_classifier!(FtrlParams::default().build().unwrap());
        check_classifier!(PAClassifierParams::default().build().unwrap());
        check_classifier!(PerceptronParams::default().build().unwrap());
        check_regressor!(LinearRegressionParams::default().build().unwrap());
        check_regressor!(RidgeParams::default().build().unwrap());
        check_regressor!(PARegressorParams::default().mode(2).build().unwrap());
        // A third class for a binary model is refused by name, the model unchanged.
        let mut m = LogisticRegressionParams::default().build().unwrap();
        let two: Vec<Label> = (0..n).map(|i| Label::Num((i % 2) as f64)).collect();
        for i in 0..n {
            m.learn_one(Row::Dense(x.row(i).to_slice().unwrap()), &two[i], None).unwrap();
        }
        let before = m.clone();
        let e = m.learn_one(Row::Dense(x.row(0).to_slice().unwrap()), &Label::Num(7.0), None).unwrap_err().to_string();
        prop_assert!(e.contains('7') && e.contains("softmax_regression"), "{}", e);
        prop_assert_eq!(&m, &before);
        // A bad row inside a mini-batch: nothing is learned.
        let mut xb = x.clone();
        xb[(n - 1, bad_col % d)] = f64::NAN;
        let e = m.learn_many(Batch::Dense(xb.view()), &two, None).unwrap_err().to_string();
        prop_assert!(e.contains(&format!("row {}", n - 1)), "{}", e);
        prop_assert_eq!(&m, &before);
    }
}

/// A row for the straight-line test: mostly ordinary values, sometimes a NaN, an infinity or
/// a value large enough to overflow the logit.
fn odd_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        20 => -3.0f64..3.0,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(-1e308),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// LogisticRegression's straight-line step (two numeric classes, a short dense row, no
    /// weight, default SGD) is the general step bit for bit: a sample weight of exactly 1
    /// forces the general path through the same arithmetic, so the two models must print the
    /// same probabilities and predictions, return the same errors, and serialise to the same
    /// bytes after every row, for both `predict_then_learn` and `learn_one`, across rows
    /// that are refused and rows whose logit overflows.
    #[test]
    fn logistic_straight_line_step_equals_the_general_step(
        d in 1usize..20,
        classes in prop_oneof![Just((0.0, 1.0)), Just((-1.0, 1.0)), Just((2.0, -0.0))],
        rows in prop::collection::vec((prop::collection::vec(odd_value(), 19), any::<bool>(), any::<bool>()), 1..80),
        clip in prop_oneof![Just(1e12), Just(1.0), Just(0.3)],
    ) {
        let mut fast = LogisticRegressionParams::default().clip_gradient(clip).build().unwrap();
        let mut general = fast.clone();
        let (mut out_f, mut out_g) = ([0.0; 2], [0.0; 2]);
        for (x, pos, fused) in &rows {
            let x = Row::Dense(&x[..d]);
            let y = Label::Num(if *pos { classes.1 } else { classes.0 });
            let k = fast.classes().len();
            if *fused {
                let a = fast.predict_then_learn(x, &y, None, &mut out_f[..k]);
                let b = general.predict_then_learn(x, &y, Some(1.0), &mut out_g[..k]);
                prop_assert_eq!(a.map_err(|e| e.to_string()), b.map_err(|e| e.to_string()));
                prop_assert_eq!(out_f.map(f64::to_bits), out_g.map(f64::to_bits));
            } else {
                let a = fast.learn_one(x, &y, None);
                let b = general.learn_one(x, &y, Some(1.0));
                prop_assert_eq!(a.map_err(|e| e.to_string()), b.map_err(|e| e.to_string()));
            }
            prop_assert_eq!(postcard::to_allocvec(&fast).unwrap(), postcard::to_allocvec(&general).unwrap());
        }
    }
}

/// The batch logistic fit reaches the optimum of its objective: the gradient of *mean log
/// loss + l2/2 |w|^2* is below the tolerance, and the online path on the same objective keeps
/// it near there.
#[test]
fn logistic_batch_fit_converges_and_equals_the_stream_objective() {
    let n = 400;
    let d = 3;
    let x = Array2::from_shape_fn((n, d), |(i, j)| ((i * 7 + j * 13) % 17) as f64 / 8.0 - 1.0);
    let labels: Vec<Label> = (0..n)
        .map(|i| {
            Label::Num(
                ((x[(i, 0)] - x[(i, 1)] + 0.3 * x[(i, 2)] + ((i % 5) as f64 - 2.0) * 0.3) > 0.0)
                    as i64 as f64,
            )
        })
        .collect();
    let m = LogisticRegressionParams::default()
        .l2(0.01)
        .fit(&dataset(&x, Targets::Labels(labels.clone())))
        .unwrap();
    let info = m.fit_info().unwrap();
    assert!(info.converged && info.grad_max < 1e-8, "{info:?}");
    // The same objective through c: l2 = 1/(c n).
    let m2 = LogisticRegressionParams::default()
        .c(1.0 / (0.01 * n as f64))
        .fit(&dataset(&x, Targets::Labels(labels)))
        .unwrap();
    for (a, b) in m.coef().iter().zip(m2.coef()) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
}

/// `prefetch` is only a hint: it changes no model, whatever row it is given (rows of another
/// width, indices beyond the model's dimension, before the first row), and learning after it
/// gives what learning without it gives.
#[test]
fn prefetch_changes_nothing() {
    let idx = [3u32, 17, 900];
    let val = [1.0, 0.5, 2.0];
    let beyond = [5u32, 1 << 22];
    let beyond_val = [1.0, 1.0];
    let sparse = SparseRow::new(1 << 10, &idx, &val).unwrap();
    let wide = SparseRow::new(1 << 23, &beyond, &beyond_val).unwrap();
    let dense = [0.5, -1.0, 2.0];
    let hints = [
        Row::Sparse(sparse),
        Row::Sparse(wide),
        Row::Dense(&dense),
        Row::Dense(&[]),
    ];
    macro_rules! check {
        ($m:expr) => {{
            let mut hinted = $m;
            let mut plain = hinted.clone();
            for h in hints {
                hinted.prefetch(h);
            }
            assert_eq!(hinted, plain);
            for i in 0..50 {
                let y = Label::Num((i % 2) as f64);
                for h in hints {
                    hinted.prefetch(h);
                }
                hinted.learn_one(Row::Sparse(sparse), &y, None).unwrap();
                plain.learn_one(Row::Sparse(sparse), &y, None).unwrap();
                for h in hints {
                    hinted.prefetch(h);
                }
            }
            assert_eq!(hinted, plain);
        }};
    }
    check!(FtrlParams::default().build().unwrap());
    check!(LogisticRegressionParams::default().build().unwrap());
    check!(PerceptronParams::default().build().unwrap());
}
