//! The retraining wrappers: what they do on a warning and a drift, their events, the window
//! refit, the periodic baseline, regressors, refused rows, and saving mid-stream.

use tidewater_bayes::GaussianNB;
use tidewater_core::dummy::MeanRegressor;
use tidewater_core::{Classifier, Label, Regressor, Row, persist};
use tidewater_drift::evaluation::bernoulli_stream;
use tidewater_drift::{
    Adwin, AnyDetector, Ddm, DriftRetrain, DummyDrift, EventKind, NoDrift, Periodic, WindowRefit,
    build_detector,
};

/// Rows whose label is `x0 > 0` before `change` and `x1 > 0` after.
fn rows(n: usize, change: usize) -> Vec<([f64; 2], Label)> {
    let noise = bernoulli_stream(&[(2 * n, 0.5)], 3);
    (0..n)
        .map(|i| {
            let x = [
                (i as f64 * 0.7).sin() + 0.1 * (noise[2 * i] - 0.5),
                (i as f64 * 1.3).cos() + 0.1 * (noise[2 * i + 1] - 0.5),
            ];
            let y = if i < change { x[0] > 0.0 } else { x[1] > 0.0 };
            (x, Label::from(y))
        })
        .collect()
}

fn learn_all<M: Classifier>(m: &mut M, data: &[([f64; 2], Label)]) {
    for (x, y) in data {
        m.learn_one(Row::Dense(x), y, None).unwrap();
    }
}

#[test]
fn a_drift_after_a_warning_swaps_in_the_background_model() {
    let data = rows(6000, 3000);
    let mut m = DriftRetrain::new(GaussianNB::new(), Ddm::new());
    learn_all(&mut m, &data);
    let ev = m.events();
    let first_drift = ev
        .iter()
        .position(|e| e.kind == EventKind::Drift)
        .expect("a drift");
    assert!(ev[first_drift].row >= 3000, "{ev:?}");
    assert_eq!(ev[first_drift + 1].kind, EventKind::Swap, "{ev:?}");
    assert_eq!(ev[first_drift + 1].row, ev[first_drift].row);
    assert!(
        ev[..first_drift]
            .iter()
            .any(|e| e.kind == EventKind::Warning)
    );
    // Every drift is followed by a swap or a reset at the same row.
    for (i, e) in ev.iter().enumerate() {
        if e.kind == EventKind::Drift {
            assert!(matches!(ev[i + 1].kind, EventKind::Swap | EventKind::Reset));
            assert_eq!(ev[i + 1].row, e.row);
        }
    }
    assert_eq!(m.rows(), 6000);
}

#[test]
fn without_warnings_or_background_training_a_drift_resets() {
    let data = rows(6000, 3000);
    for mut m in [
        DriftRetrain::new(GaussianNB::new(), AnyDetector::from(Adwin::new())),
        DriftRetrain::new(GaussianNB::new(), AnyDetector::from(Ddm::new()))
            .train_in_background(false),
    ] {
        learn_all(&mut m, &data);
        let kinds: Vec<EventKind> = m.events().iter().map(|e| e.kind).collect();
        assert!(kinds.contains(&EventKind::Drift), "{kinds:?}");
        assert!(!kinds.contains(&EventKind::Swap), "{kinds:?}");
        assert!(kinds.contains(&EventKind::Reset), "{kinds:?}");
    }
    // The reset model is a fresh copy: after a drift at row r, it learned rows r.. only.
    let mut m = DriftRetrain::new(GaussianNB::new(), Adwin::new());
    learn_all(&mut m, &data);
    let last = m
        .events()
        .iter()
        .rev()
        .find(|e| e.kind == EventKind::Reset)
        .unwrap()
        .row as usize;
    let mut fresh = GaussianNB::new();
    learn_all(&mut fresh, &data[last..]);
    assert_eq!(m.model(), &fresh);
}

#[test]
fn no_drift_leaves_the_model_as_the_plain_one() {
    let data = rows(3000, 1500);
    let mut m = DriftRetrain::new(GaussianNB::new(), NoDrift::new());
    learn_all(&mut m, &data);
    let mut plain = GaussianNB::new();
    learn_all(&mut plain, &data);
    assert_eq!(m.model(), &plain);
    assert!(m.events().is_empty());
}

#[test]
fn window_refit_is_a_fresh_model_fitted_on_the_window() {
    let data = rows(6000, 3000);
    let mut m = WindowRefit::new(GaussianNB::new(), Adwin::new(), 500);
    learn_all(&mut m, &data);
    let ev = m.events();
    let refits: Vec<usize> = ev
        .iter()
        .filter(|e| e.kind == EventKind::Refit)
        .map(|e| e.row as usize)
        .collect();
    assert!(!refits.is_empty(), "{ev:?}");
    // After the last refit at row r: a model fitted on rows r-499..=r, then learning the rest.
    let r = *refits.last().unwrap();
    let mut want = GaussianNB::new();
    learn_all(&mut want, &data[r + 1 - 500..=r]);
    learn_all(&mut want, &data[r + 1..]);
    assert_eq!(m.model(), &want);
}

#[test]
fn periodic_retrains_every_n_rows() {
    let data = rows(2500, 1000);
    let mut m = Periodic::new(GaussianNB::new(), 1000, 300).unwrap();
    learn_all(&mut m, &data);
    let ev: Vec<(u64, EventKind)> = m.events().iter().map(|e| (e.row, e.kind)).collect();
    assert_eq!(ev, vec![(999, EventKind::Refit), (1999, EventKind::Refit)]);
    let mut want = GaussianNB::new();
    learn_all(&mut want, &data[1700..]);
    assert_eq!(m.model(), &want);
    let mut reset = Periodic::new(GaussianNB::new(), 1000, 0).unwrap();
    learn_all(&mut reset, &data);
    assert!(reset.events().iter().all(|e| e.kind == EventKind::Reset));
    assert!(Periodic::new(GaussianNB::new(), 0, 10).is_err());
    // The periodic baseline as a detector: dummy_drift resets every t_0 rows.
    let mut d = DriftRetrain::new(GaussianNB::new(), DummyDrift::periodic(1000));
    learn_all(&mut d, &data);
    let drifts = d
        .events()
        .iter()
        .filter(|e| e.kind == EventKind::Drift)
        .count();
    assert_eq!(drifts, 2);
}

#[test]
fn regressors_feed_their_loss_and_refuse_binary_detectors() {
    let ys: Vec<f64> = (0..4000)
        .map(|i| if i < 2000 { 1.0 } else { 5.0 })
        .collect();
    let mut m = DriftRetrain::new(MeanRegressor::default(), Adwin::new());
    for y in &ys {
        m.learn_one(Row::Dense(&[0.0]), *y, None).unwrap();
    }
    let drift = m
        .events()
        .iter()
        .find(|e| e.kind == EventKind::Drift)
        .expect("a drift");
    assert!((2000..2200).contains(&drift.row), "{:?}", m.events());
    assert!((m.model().predict_one(Row::Dense(&[0.0])).unwrap() - 5.0).abs() < 1e-9);

    let mut bad = DriftRetrain::new(MeanRegressor::default(), Ddm::new());
    let e = bad
        .learn_one(Row::Dense(&[0.0]), 1.0, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("ddm") && e.contains("regressor"), "{e}");
    let mut refit = WindowRefit::new(MeanRegressor::default(), Adwin::new(), 100);
    for y in &ys {
        refit.learn_one(Row::Dense(&[0.0]), *y, None).unwrap();
    }
    assert!(refit.events().iter().any(|e| e.kind == EventKind::Refit));
}

#[test]
fn refused_rows_leave_the_wrapper_as_it_was() {
    let data = rows(500, 250);
    let mut m = DriftRetrain::new(GaussianNB::new(), Ddm::new());
    learn_all(&mut m, &data);
    let before = m.clone();
    assert!(
        m.learn_one(Row::Dense(&[f64::NAN, 1.0]), &Label::from(true), None)
            .is_err()
    );
    assert!(
        m.learn_one(Row::Dense(&[1.0]), &Label::from(true), None)
            .is_err()
    );
    assert!(
        m.learn_one(Row::Dense(&[1.0, 1.0]), &Label::from(true), Some(-1.0))
            .is_err()
    );
    assert!(
        m.learn_one(Row::Dense(&[1.0, 1.0]), &Label::Num(f64::NAN), None)
            .is_err()
    );
    assert_eq!(m, before);
}

#[test]
fn a_wrapper_saved_mid_stream_continues_identically() {
    let data = rows(6000, 3000);
    for spec in ["ddm", "adwin", "hddm_w", "kswin(seed=4)"] {
        let mut m = DriftRetrain::new(GaussianNB::new(), build_detector(spec).unwrap());
        learn_all(&mut m, &data[..2990]);
        let bytes = persist::to_bytes("drift-retrain", &m).unwrap();
        let (_, mut back): (_, DriftRetrain<GaussianNB, AnyDetector>) =
            persist::from_bytes(&bytes, "mem").unwrap();
        assert_eq!(back, m, "{spec}");
        learn_all(&mut m, &data[2990..]);
        learn_all(&mut back, &data[2990..]);
        assert_eq!(back, m, "{spec}");
        assert_eq!(back.events(), m.events(), "{spec}");
        let x = [0.3, -0.2];
        assert_eq!(
            back.predict_proba_one(Row::Dense(&x)).unwrap(),
            m.predict_proba_one(Row::Dense(&x)).unwrap()
        );
    }
    let mut w = WindowRefit::new(GaussianNB::new(), Adwin::new(), 300);
    learn_all(&mut w, &data[..3500]);
    let bytes = persist::to_bytes("window-refit", &w).unwrap();
    let (_, mut back): (_, WindowRefit<GaussianNB, Adwin>) =
        persist::from_bytes(&bytes, "mem").unwrap();
    learn_all(&mut w, &data[3500..]);
    learn_all(&mut back, &data[3500..]);
    assert_eq!(back, w);
}
