//! The batch fits on the parameter server's workers give `fit`'s model, bit for bit.

use ndarray::Array2;
use tidewater_core::rounds::{Rayon, RunInfo};
use tidewater_core::{Dataset, Fit, Label, Schema, Targets};
use tidewater_linear::{LogisticRegressionParams, SoftmaxRegressionParams};
use tidewater_ps::Workers;

/// `n` rows of `d` features from a fixed recurrence, labelled by a noisy linear rule into
/// `k` classes; many blocks of rows (the fits' blocks hold at least 2,048 rows).
fn data(n: usize, d: usize, k: usize) -> Dataset {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    let mut x = Array2::zeros((n, d));
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let mut z = 0.0;
        for j in 0..d {
            let v = next() * (1.0 + j as f64);
            x[[i, j]] = v;
            z += v * if j % 2 == 0 { 0.7 } else { -0.4 };
        }
        z += 0.8 * next();
        let class = ((z.tanh() + 1.0) / 2.0 * k as f64)
            .floor()
            .min(k as f64 - 1.0);
        y.push(Label::Num(class));
    }
    let schema = Schema::numeric((0..d).map(|j| format!("x{j}")).collect(), vec!["y".into()]);
    Dataset::dense(x, Targets::Labels(y), schema).unwrap()
}

#[test]
fn logistic_regression_on_workers_is_fits_model_bit_for_bit() {
    let data = data(20_000, 6, 2);
    let params = LogisticRegressionParams::default();
    let want = params.fit(&data).unwrap();
    let (on_rayon, _) = params.fit_on(&data, &Rayon).unwrap();
    assert_eq!(on_rayon, want);
    let iterations = want.fit_info().unwrap().iterations;
    assert!(
        iterations > 3,
        "a real minimisation: {iterations} iterations"
    );
    for n in [1, 2, 3] {
        let (got, info) = params.fit_on(&data, &Workers::new(n).unwrap()).unwrap();
        assert_eq!(got, want, "{n} workers");
        assert_eq!(info.workers, n);
        // One round per evaluation of the objective: at least one per iteration.
        assert!(info.rounds > iterations, "{info:?}");
    }
}

#[test]
fn softmax_regression_on_workers_is_fits_model_bit_for_bit() {
    let data = data(9_000, 4, 3);
    let params = SoftmaxRegressionParams::default();
    let want = params.fit(&data).unwrap();
    for n in [1, 2, 4] {
        let (got, info) = params.fit_on(&data, &Workers::new(n).unwrap()).unwrap();
        assert_eq!(got, want, "{n} workers");
        assert_eq!(
            info,
            RunInfo {
                rounds: info.rounds,
                workers: n
            }
        );
    }
}

#[test]
fn a_bad_data_set_is_refused_before_any_round() {
    let mut data = data(100, 2, 2);
    if let tidewater_core::FeatureMatrix::Dense(x) = &mut data.features {
        x[[7, 1]] = f64::NAN;
    }
    let err = LogisticRegressionParams::default()
        .fit_on(&data, &Workers::new(2).unwrap())
        .unwrap_err();
    assert!(err.to_string().contains("row 7"), "{err}");
}
