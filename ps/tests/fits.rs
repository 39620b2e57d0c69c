//! The batch fits on the parameter server's workers give `fit`'s model, bit for bit.

use ndarray::Array2;
use tidewater_core::rounds::{Rayon, RunInfo};
use tidewater_core::{Dataset, Fit, Label, Schema, Targets};
use tidewater_linear::{LogisticRegressionParams, SoftmaxRegressionParams};
use tidewater_ps::Workers;

/// Draws uniform on [-1, 1) from a xorshift recurrence seeded by `state`.
fn uniform(mut state: u64) -> impl FnMut() -> f64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

/// `n` rows of `d` features from a fixed recurrence, labelled by a noisy linear rule into
/// `k` classes; many blocks of rows (the fits' blocks hold at least 2,048 rows).
fn data(n: usize, d: usize, k: usize) -> Dataset {
    let mut next = uniform(0x2545_f491_4f6c_dd1d);
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

/// `n` rows of `d` features with a target from a noisy linear rule; feature `j` offset by
/// `offset * (j + 1)` (far from 0, as a date or a price, where raw moments would lose
/// digits); every third row weighted.
fn regression_data(n: usize, d: usize, offset: f64, weighted: bool) -> Dataset {
    let mut next = uniform(0x9e37_79b9_7f4a_7c15);
    let mut x = Array2::zeros((n, d));
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let mut z = 3.0;
        for j in 0..d {
            let v = offset * (j as f64 + 1.0) + next() * (1.0 + j as f64);
            x[[i, j]] = v;
            z += v * if j % 2 == 0 { 0.7 } else { -0.4 };
        }
        y.push(z + 0.5 * next());
    }
    let schema = Schema::numeric((0..d).map(|j| format!("x{j}")).collect(), vec!["y".into()]);
    let mut data = Dataset::dense(x, Targets::Values(y), schema).unwrap();
    if weighted {
        data.weights = Some((0..n).map(|i| if i % 3 == 0 { 2.5 } else { 1.0 }).collect());
    }
    data
}

/// Whether `a` and `b` agree to `tol` relative (to the larger of their magnitudes and 1).
fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= tol * x.abs().max(y.abs()).max(1.0))
}

#[test]
fn ridge_and_linear_regression_on_workers_agree_with_fit() {
    use tidewater_linear::{LinearRegressionParams, RidgeParams};
    // Without an intercept the statistics are raw moments: features near 0 there (far from
    // it, the design would be too ill-conditioned for the normal equations to agree with QR).
    for (offset, weighted, fit_intercept) in
        [(1e4, false, true), (1e4, true, true), (0.0, true, false)]
    {
        let data = regression_data(20_000, 5, offset, weighted);
        let ridge = RidgeParams {
            alpha: 3.0,
            fit_intercept,
        };
        let want = ridge.fit(&data).unwrap();
        let (on_rayon, info) = ridge.fit_on(&data, &Rayon).unwrap();
        assert_eq!(info.rounds, if fit_intercept { 2 } else { 1 });
        assert!(
            close(&on_rayon.coef(), &want.coef(), 1e-9),
            "{:?} {:?}",
            on_rayon.coef(),
            want.coef()
        );
        assert!(close(&[on_rayon.intercept()], &[want.intercept()], 1e-9));
        let linear = LinearRegressionParams {
            fit_intercept,
            ..LinearRegressionParams::default()
        };
        let lr_want = linear.fit(&data).unwrap();
        let (lr_rayon, _) = linear.fit_on(&data, &Rayon).unwrap();
        assert!(
            close(lr_rayon.coef(), lr_want.coef(), 1e-9),
            "{:?} {:?}",
            lr_rayon.coef(),
            lr_want.coef()
        );
        assert!(close(&[lr_rayon.intercept()], &[lr_want.intercept()], 1e-9));
        // Every executor: the same bits.
        for n in [1, 2, 3] {
            let (got, info) = ridge.fit_on(&data, &Workers::new(n).unwrap()).unwrap();
            assert_eq!(got, on_rayon, "ridge on {n} workers");
            assert_eq!(info.workers, n);
            let (got, _) = linear.fit_on(&data, &Workers::new(n).unwrap()).unwrap();
            assert_eq!(got, lr_rayon, "linear regression on {n} workers");
        }
        // The model keeps learning online as the row-by-row one does.
        let mut a = on_rayon.clone();
        let mut b = want.clone();
        let row = [1e4, 2e4, 3e4, 4e4, 5e4];
        for m in [&mut a, &mut b] {
            tidewater_core::Regressor::learn_one(m, tidewater_core::Row::Dense(&row), 7.0, None)
                .unwrap();
        }
        assert!(close(&a.coef(), &b.coef(), 1e-9));
    }
    // A bad row is refused before any round, by its number.
    let mut data = regression_data(5_000, 3, 0.0, false);
    if let tidewater_core::FeatureMatrix::Dense(x) = &mut data.features {
        x[[11, 2]] = f64::NAN;
    }
    let err = tidewater_linear::RidgeParams::default()
        .fit_on(&data, &Workers::new(2).unwrap())
        .unwrap_err();
    assert!(err.to_string().contains("row 11"), "{err}");
}

/// Checkpoint files that fail (a simulated crash) after `allowed` saves.
struct Crashing {
    files: tidewater_core::rounds::CheckpointFiles,
    allowed: std::sync::atomic::AtomicUsize,
}

impl tidewater_core::rounds::Checkpoints for Crashing {
    fn every(&self) -> usize {
        self.files.every()
    }
    fn available(&self) -> Vec<usize> {
        self.files.available()
    }
    fn choose(&self, iteration: Option<usize>) {
        self.files.choose(iteration)
    }
    fn resume(&self) -> tidewater_core::Result<Option<(usize, Vec<u8>)>> {
        self.files.resume()
    }
    fn save(&self, iteration: usize, state: &[u8]) -> tidewater_core::Result<()> {
        use std::sync::atomic::Ordering;
        if self.allowed.load(Ordering::SeqCst) == 0 {
            return Err(tidewater_core::Error::Training("crashed".into()));
        }
        self.allowed.fetch_sub(1, Ordering::SeqCst);
        self.files.save(iteration, state)
    }
}

#[test]
fn a_fit_stopped_after_a_checkpoint_resumes_to_the_same_model() {
    use std::sync::Arc;
    use tidewater_core::rounds::{CheckpointFiles, Checkpoints};
    let data = data(12_000, 5, 2);
    let params = LogisticRegressionParams::default();
    let want = params.fit(&data).unwrap();
    let dir = std::env::temp_dir().join(format!("tw-ps-resume-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let base = dir.join("model.tw");
    let job = "logistic on the test data";
    // Runs, crashing at the third checkpoint (after iterations 2 and 4 were saved).
    let crashing = Arc::new(Crashing {
        files: CheckpointFiles::new(&base, 2, false, job).unwrap(),
        allowed: 2.into(),
    });
    let exec = Workers::new(2).unwrap().with_checkpoints(crashing);
    let err = params.fit_on(&data, &exec).unwrap_err();
    assert!(err.to_string().contains("crashed"), "{err}");
    let files = CheckpointFiles::new(&base, 2, true, job).unwrap();
    assert_eq!(files.available(), vec![2, 4]);
    // The same run resumed from iteration 4: fit's model, in fewer rounds.
    let (full, full_info) = params.fit_on(&data, &Workers::new(2).unwrap()).unwrap();
    assert_eq!(full, want);
    let exec = Workers::new(3).unwrap().with_checkpoints(Arc::new(files));
    let (got, info) = params.fit_on(&data, &exec).unwrap();
    assert_eq!(got, want, "resumed from a checkpoint");
    assert!(info.rounds < full_info.rounds, "{info:?} {full_info:?}");
    // Another job's checkpoints are not offered.
    let other = CheckpointFiles::new(&base, 2, true, "another job").unwrap();
    assert!(other.available().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `n` rows around `k` centers in `d` dimensions, unlabelled.
fn blobs(n: usize, d: usize, k: usize) -> Dataset {
    let mut state = 0x0000_ddb1_a5e5_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut x = Array2::zeros((n, d));
    for i in 0..n {
        let c = i % k;
        for j in 0..d {
            x[[i, j]] = (c * (j + 2)) as f64 + 1.5 * next();
        }
    }
    let schema = Schema::numeric((0..d).map(|j| format!("x{j}")).collect(), vec![]);
    Dataset::new(tidewater_core::FeatureMatrix::Dense(x), vec![], schema).unwrap()
}

#[test]
fn kmeans_on_workers_is_fits_model_bit_for_bit() {
    use tidewater_cluster::KMeansParams;
    let data = blobs(20_000, 3, 5);
    let plain = KMeansParams {
        n_clusters: 5,
        n_init: Some(2),
        ..KMeansParams::default()
    };
    // Given centers, one far from every row: its cluster is empty at the first iteration
    // and takes the farthest row (the relocation path).
    let relocating = KMeansParams::default().initial_centers(vec![
        vec![0.0, 0.0, 0.0],
        vec![1.0, 1.0, 1.0],
        vec![3.0, 4.0, 5.0],
        vec![100.0, 100.0, 100.0],
    ]);
    for params in [plain, relocating] {
        let want = params.fit(&data).unwrap();
        for n in [1, 2, 3] {
            let (got, info) = params.fit_on(&data, &Workers::new(n).unwrap()).unwrap();
            assert_eq!(got, want, "{n} workers");
            assert!(info.rounds >= 2, "{info:?}");
        }
    }
    let elkan = KMeansParams {
        algorithm: tidewater_cluster::KMeansAlgorithm::Elkan,
        ..KMeansParams::default()
    };
    let e = elkan.fit_on(&data, &Workers::new(2).unwrap()).unwrap_err();
    assert!(e.to_string().contains("algorithm"), "{e}");
}

#[test]
fn a_kmeans_fit_stopped_after_a_checkpoint_resumes_to_the_same_model() {
    use std::sync::Arc;
    use tidewater_cluster::{KMeansInit, KMeansParams};
    use tidewater_core::rounds::{CheckpointFiles, Checkpoints};
    let data = blobs(12_000, 3, 6);
    // Three runs from random rows with a tight tolerance, so that the crash falls inside a
    // later run and the best finished run must come back from the checkpoint.
    let params = KMeansParams {
        n_clusters: 6,
        n_init: Some(3),
        init: KMeansInit::Random,
        tol: 1e-12,
        seed: 7,
        ..KMeansParams::default()
    };
    let want = params.fit(&data).unwrap();
    let (full, full_info) = params.fit_on(&data, &Workers::new(2).unwrap()).unwrap();
    assert_eq!(full, want);
    let dir = std::env::temp_dir().join(format!("tw-ps-kmeans-resume-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let base = dir.join("model.tw");
    let job = "k-means on the test blobs";
    // Crashes somewhere past the middle of the rounds (every round is a checkpoint).
    let allowed = full_info.rounds * 2 / 3;
    let crashing = Arc::new(Crashing {
        files: CheckpointFiles::new(&base, 1, false, job).unwrap(),
        allowed: allowed.into(),
    });
    let exec = Workers::new(2).unwrap().with_checkpoints(crashing);
    let err = params.fit_on(&data, &exec).unwrap_err();
    assert!(err.to_string().contains("crashed"), "{err}");
    let files = CheckpointFiles::new(&base, 1, true, job).unwrap();
    let last = *files.available().last().expect("checkpoints were kept");
    let exec = Workers::new(3).unwrap().with_checkpoints(Arc::new(files));
    let (got, info) = params.fit_on(&data, &exec).unwrap();
    assert_eq!(got, want, "resumed from the checkpoint of iteration {last}");
    assert_eq!(
        info.rounds + last,
        full_info.rounds,
        "{info:?} {full_info:?}"
    );
    // A checkpoint of another problem (other clusters) is refused, naming its iteration.
    let other = KMeansParams {
        n_clusters: 4,
        ..params.clone()
    };
    let files = CheckpointFiles::new(&base, 1, true, job).unwrap();
    let exec = Workers::new(2).unwrap().with_checkpoints(Arc::new(files));
    let err = other.fit_on(&data, &exec).unwrap_err();
    assert!(err.to_string().contains("another problem"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// An executor that records what the driver tells it after each round.
struct Recording<E> {
    inner: E,
    rounds: std::sync::Mutex<Vec<(usize, f64)>>,
}

impl<E: tidewater_core::rounds::Executor> tidewater_core::rounds::Executor for Recording<E> {
    fn run(
        &self,
        job: &dyn tidewater_core::rounds::BlockSum,
        driver: &mut dyn FnMut(
            &mut tidewater_core::rounds::Round<'_>,
        ) -> tidewater_core::Result<()>,
    ) -> tidewater_core::Result<RunInfo> {
        self.inner.run(job, driver)
    }
    fn round_done(&self, round: usize, objective: f64) {
        self.rounds.lock().unwrap().push((round, objective));
    }
}

#[test]
fn every_round_is_reported_with_its_objective() {
    // Logistic regression: rounds 1..=n in order; the first objective is the mean log loss
    // at zero, ln 2.
    let data = data(20_000, 6, 2);
    let exec = Recording {
        inner: Workers::new(2).unwrap(),
        rounds: Default::default(),
    };
    let (_, info) = LogisticRegressionParams::default()
        .fit_on(&data, &exec)
        .unwrap();
    let seen = exec.rounds.into_inner().unwrap();
    assert_eq!(seen.len(), info.rounds);
    assert!(seen.iter().enumerate().all(|(i, &(r, _))| r == i + 1));
    assert!(
        (seen[0].1 - std::f64::consts::LN_2).abs() < 1e-12,
        "{seen:?}"
    );
    // k-means: each round's inertia to its centers; Lloyd's steps never raise it, and the
    // model's inertia (after the last update) is at most the last round's.
    let blobs = blobs(20_000, 3, 5);
    let exec = Recording {
        inner: Workers::new(2).unwrap(),
        rounds: Default::default(),
    };
    let params = tidewater_cluster::KMeansParams {
        n_clusters: 5,
        n_init: Some(1),
        ..Default::default()
    };
    let (model, info) = params.fit_on(&blobs, &exec).unwrap();
    let seen = exec.rounds.into_inner().unwrap();
    assert_eq!(seen.len(), info.rounds);
    for w in seen.windows(2) {
        assert!(w[1].1 <= w[0].1 * (1.0 + 1e-12), "{seen:?}");
    }
    let last = seen.last().unwrap().1;
    let inertia = model.inertia().unwrap();
    assert!(inertia <= last * (1.0 + 1e-12), "{inertia} > {last}");
}
