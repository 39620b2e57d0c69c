//! Processes on timely dataflow (feature `distributed`), here as threads of one test process
//! (each with its own timely instance and sockets on loopback): the model of `fit`, bit for
//! bit; a peer that never comes and a peer with another job are named.
#![cfg(feature = "distributed")]

use std::time::Duration;

use ndarray::Array2;
use tidewater_core::{Dataset, Fit, Label, Schema, Targets};
use tidewater_linear::LogisticRegressionParams;
use tidewater_ps::Processes;

fn data(n: usize) -> Dataset {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    let d = 5;
    let mut x = Array2::zeros((n, d));
    let mut y = Vec::new();
    for i in 0..n {
        let mut z = 0.3;
        for j in 0..d {
            x[[i, j]] = next() * (j + 1) as f64;
            z += x[[i, j]] * (0.5 - j as f64 * 0.2);
        }
        y.push(Label::Num(f64::from(z + next() > 0.0)));
    }
    let schema = Schema::numeric((0..d).map(|j| format!("x{j}")).collect(), vec!["y".into()]);
    Dataset::dense(x, Targets::Labels(y), schema).unwrap()
}

/// `n` free loopback addresses.
fn addresses(n: usize) -> Vec<String> {
    let listeners: Vec<_> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().unwrap().to_string())
        .collect()
}

#[test]
fn two_and_three_processes_fit_the_model_of_fit_bit_for_bit() {
    let data = data(15_000);
    let params = LogisticRegressionParams::default();
    let want = params.fit(&data).unwrap();
    for n in [2, 3] {
        let addrs = addresses(n);
        let got: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..n)
                .map(|i| {
                    let (addrs, data, params) = (addrs.clone(), &data, &params);
                    s.spawn(move || {
                        let exec = Processes::new(addrs, i).unwrap().with_fingerprint("test");
                        params.fit_on(data, &exec)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (i, r) in got.into_iter().enumerate() {
            let (model, info) = r.unwrap_or_else(|e| panic!("process {i} of {n}: {e}"));
            assert_eq!(model, want, "process {i} of {n}");
            assert_eq!(info.workers, n);
            assert!(info.rounds > 2);
        }
    }
}

#[test]
fn a_peer_that_never_comes_is_named_after_the_timeout() {
    let addrs = addresses(2);
    // Each alone: process 1 waits for 0 and process 0 for 1, and each names the other.
    for (me, other) in [(1, 0), (0, 1)] {
        let exec = Processes::new(addrs.clone(), me)
            .unwrap()
            .with_timeout(Duration::from_millis(300));
        let err = LogisticRegressionParams::default()
            .fit_on(&data(100), &exec)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("process {other}")) && err.contains(&addrs[other]),
            "{err}"
        );
    }
}

#[test]
fn processes_with_other_jobs_refuse_to_start() {
    let addrs = addresses(2);
    let results: Vec<_> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..2)
            .map(|i| {
                let addrs = addrs.clone();
                s.spawn(move || {
                    let exec = Processes::new(addrs, i)
                        .unwrap()
                        .with_fingerprint(format!("spec {i}"))
                        .with_timeout(Duration::from_secs(10));
                    LogisticRegressionParams::default().fit_on(&data(200), &exec)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for r in results {
        let err = r.unwrap_err().to_string();
        assert!(err.contains("another job") && err.contains("spec"), "{err}");
    }
}

#[test]
fn bad_host_lists_are_refused() {
    assert!(Processes::new(vec![], 0).is_err());
    let e = Processes::new(vec!["127.0.0.1:1".into()], 1).unwrap_err();
    assert!(e.to_string().contains("process 1"), "{e}");
    let e = Processes::new(vec!["127.0.0.1:1".into(), "nowhere".into()], 0).unwrap_err();
    assert!(e.to_string().contains("line 2"), "{e}");
}

#[test]
fn kmeans_on_two_processes_is_fits_model_bit_for_bit() {
    use tidewater_cluster::KMeansParams;
    let mut x = Array2::zeros((9_000, 2));
    for i in 0..9_000 {
        let c = (i % 3) as f64;
        x[[i, 0]] = c * 4.0 + ((i * 37) % 100) as f64 / 100.0;
        x[[i, 1]] = -c * 2.0 + ((i * 53) % 100) as f64 / 100.0;
    }
    let schema = Schema::numeric(vec!["a".into(), "b".into()], vec![]);
    let data = Dataset::new(tidewater_core::FeatureMatrix::Dense(x), vec![], schema).unwrap();
    let params = KMeansParams {
        n_clusters: 3,
        ..KMeansParams::default()
    };
    let want = params.fit(&data).unwrap();
    let addrs = addresses(2);
    let got: Vec<_> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..2)
            .map(|i| {
                let (addrs, data, params) = (addrs.clone(), &data, &params);
                s.spawn(move || params.fit_on(data, &Processes::new(addrs, i).unwrap()))
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for r in got {
        let (model, info) = r.unwrap();
        assert_eq!(model, want);
        assert_eq!(info.workers, 2);
    }
}

/// The rows `range` of a labelled data set (dense), as the part of one process.
fn rows_of(data: &Dataset, range: std::ops::Range<usize>) -> Dataset {
    let x = match data.batch() {
        tidewater_core::Batch::Dense(a) => a.slice(ndarray::s![range.clone(), ..]).to_owned(),
        _ => unreachable!("dense test data"),
    };
    let y = match data.target().unwrap() {
        Targets::Labels(l) => Targets::Labels(l[range].to_vec()),
        Targets::Values(v) => Targets::Values(v[range].to_vec()),
    };
    Dataset::dense(x, y, data.schema.clone()).unwrap()
}

/// Runs `fit` on processes each given its own part of `data` (cut at `cuts`), returning
/// each process's result.
fn on_parts<T: Send>(
    data: &Dataset,
    cuts: &[usize],
    fit: impl Fn(&Dataset, &Processes) -> tidewater_core::Result<T> + Sync,
) -> Vec<tidewater_core::Result<T>> {
    let mut bounds = vec![0];
    bounds.extend_from_slice(cuts);
    bounds.push(data.n_rows());
    let n = bounds.len() - 1;
    let addrs = addresses(n);
    let parts: Vec<Dataset> = (0..n)
        .map(|p| rows_of(data, bounds[p]..bounds[p + 1]))
        .collect();
    std::thread::scope(|s| {
        let hs: Vec<_> = parts
            .iter()
            .enumerate()
            .map(|(i, part)| {
                let (addrs, fit) = (addrs.clone(), &fit);
                s.spawn(move || {
                    let exec = Processes::new(addrs, i)
                        .unwrap()
                        .with_fingerprint("parts")
                        .with_timeout(Duration::from_secs(20))
                        .with_own_rows();
                    fit(part, &exec)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn close(a: &[f64], b: &[f64], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    let scale = b.iter().fold(1e-300f64, |m, v| m.max(v.abs()));
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= 1e-9 * scale, "{what}: {a:?} against {b:?}");
    }
}

#[test]
fn processes_on_their_own_rows_fit_the_model_of_all_the_rows() {
    let mut data = data(15_000);
    // Sorted by label, so that the first of three parts holds one class only: the classes
    // are every part's.
    let labels = data.target().unwrap().to_labels().unwrap();
    let mut order: Vec<usize> = (0..data.n_rows()).collect();
    order.sort_by(|&a, &b| labels[a].cmp(&labels[b]));
    let x = match data.batch() {
        tidewater_core::Batch::Dense(a) => a.select(ndarray::Axis(0), &order),
        _ => unreachable!(),
    };
    let y = Targets::Labels(order.iter().map(|&i| labels[i].clone()).collect());
    data = Dataset::dense(x, y, data.schema.clone()).unwrap();
    let params = LogisticRegressionParams::default();
    let want = params.fit(&data).unwrap();
    let mut want_theta = want.coef().to_vec();
    want_theta.push(want.intercept());
    for cuts in [vec![6_000], vec![3_000, 7_000]] {
        assert!(labels.iter().filter(|l| **l == Label::Num(0.0)).count() > cuts[0]);
        let got = on_parts(&data, &cuts, |part, exec| params.fit_on(part, exec));
        let mut first = None;
        for (i, r) in got.into_iter().enumerate() {
            let (model, info) = r.unwrap_or_else(|e| panic!("process {i} of parts {cuts:?}: {e}"));
            let mut theta = model.coef().to_vec();
            theta.push(model.intercept());
            close(&theta, &want_theta, &format!("process {i}, cuts {cuts:?}"));
            assert_eq!(info.workers, cuts.len() + 1);
            // Every process holds the same model, bit for bit.
            let first = first.get_or_insert(model.clone());
            assert_eq!(&model, first);
        }
    }
}

#[test]
fn ridge_and_softmax_on_own_rows_and_kmeans_refused() {
    use tidewater_linear::{RidgeParams, SoftmaxRegressionParams};
    let data = data(9_000);
    // Ridge on the labels as values.
    let values: Vec<f64> = data
        .target()
        .unwrap()
        .to_labels()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, l)| match l {
            Label::Num(v) => v * 3.0 + (i % 7) as f64,
            _ => 0.0,
        })
        .collect();
    let x = match data.batch() {
        tidewater_core::Batch::Dense(a) => a.to_owned(),
        _ => unreachable!(),
    };
    let reg = Dataset::dense(x, Targets::Values(values), data.schema.clone()).unwrap();
    let ridge = RidgeParams {
        alpha: 2.0,
        ..RidgeParams::default()
    };
    let want = ridge.fit(&reg).unwrap();
    for r in on_parts(&reg, &[4_000], |part, exec| ridge.fit_on(part, exec)) {
        let (m, _) = r.unwrap();
        close(&m.coef(), &want.coef(), "ridge coef");
        close(&[m.intercept()], &[want.intercept()], "ridge intercept");
    }
    let softmax = SoftmaxRegressionParams::default();
    let want = softmax.fit(&data).unwrap();
    for r in on_parts(&data, &[5_000], |part, exec| softmax.fit_on(part, exec)) {
        let (m, _) = r.unwrap();
        close(
            m.coef().as_slice().unwrap(),
            want.coef().as_slice().unwrap(),
            "softmax coef",
        );
        close(m.intercepts(), want.intercepts(), "softmax intercepts");
    }
    let kmeans = tidewater_cluster::KMeansParams::default();
    for r in on_parts(&reg, &[4_000], |part, exec| kmeans.fit_on(part, exec)) {
        let e = r.unwrap_err().to_string();
        assert!(e.contains("every row on every process"), "{e}");
    }
}

#[test]
fn sgd_on_two_processes_under_bsp_is_the_in_process_sgd_and_ssp_gets_as_far() {
    use tidewater_ps::Consistency;
    use tidewater_ps::sgd::{Intercept, SgdConfig, Step, train_logistic};
    let data = data(6_000);
    let y: Vec<bool> = data
        .target()
        .unwrap()
        .to_labels()
        .unwrap()
        .iter()
        .map(|l| *l == Label::Num(1.0))
        .collect();
    let cfg = |consistency| SgdConfig {
        batch_size: 50,
        rate: 0.2,
        step: Step::AdaGrad { eps: 1e-8 },
        l2: 1e-4,
        intercept: Intercept::Plain(0.05),
        epochs: 2,
        workers: 2,
        consistency,
        ..SgdConfig::default()
    };
    let want = train_logistic(data.batch(), &y, None, &cfg(Consistency::Bsp), None).unwrap();
    assert_eq!(want.rounds, 120);
    for consistency in [Consistency::Bsp, Consistency::Ssp(2), Consistency::Asp] {
        let addrs = addresses(2);
        let got: Vec<_> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..2)
                .map(|i| {
                    let (addrs, data, y, cfg) = (addrs.clone(), &data, &y, cfg(consistency));
                    s.spawn(move || {
                        Processes::new(addrs, i)
                            .unwrap()
                            .with_timeout(Duration::from_secs(20))
                            .train_logistic(data.batch(), y, None, &cfg, None)
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let got: Vec<_> = got
            .into_iter()
            .enumerate()
            .map(|(i, r)| r.unwrap_or_else(|e| panic!("{consistency:?}, process {i}: {e}")))
            .collect();
        // Every process ends with the same model, whatever the consistency.
        assert_eq!(got[0].coef, got[1].coef, "{consistency:?}");
        assert_eq!(got[0].intercept, got[1].intercept, "{consistency:?}");
        assert_eq!(got[0].rounds, 120);
        if consistency == Consistency::Bsp {
            // The in-process server's BSP order: its model, bit for bit.
            assert_eq!(got[0].coef, want.coef);
            assert_eq!(got[0].intercept, want.intercept);
        }
        let x = match data.batch() {
            tidewater_core::Batch::Dense(a) => a.to_owned(),
            _ => unreachable!(),
        };
        let loss = |coef: &[f64], b: f64| {
            let mut s = 0.0;
            for (row, &yi) in x.rows().into_iter().zip(&y) {
                let z: f64 = b + row.iter().zip(coef).map(|(v, c)| v * c).sum::<f64>();
                s += (1.0 + (if yi { -z } else { z }).exp()).ln();
            }
            s / y.len() as f64
        };
        let (l, lw) = (
            loss(&got[0].coef, got[0].intercept),
            loss(&want.coef, want.intercept),
        );
        assert!(l.is_finite(), "{consistency:?}");
        // ASP bounds nothing: a process may run every round before the other's first lands.
        if consistency != Consistency::Asp {
            assert!(
                l < 0.69 && (l - lw).abs() <= 0.01 * lw,
                "{consistency:?}: {l} against {lw}"
            );
        }
    }
}
