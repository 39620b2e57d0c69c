//! `learn_one`, `predict_one` and `predict_proba_into` of every linear model allocate nothing
//! once the model has seen its first rows (and, for softmax, every class). A counting global
//! allocator counts the allocations this thread makes while a closure runs.

// Index loops over rows read more plainly than zipped iterators in tests and benches.
#![allow(clippy::needless_range_loop)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use tidewater_core::{Build, Classifier, Label, Regressor, Row, SparseRow};
use tidewater_linear::{
    FtrlParams, LinearRegressionParams, LogisticRegressionParams, Optimizer, PAClassifierParams,
    PARegressorParams, PerceptronParams, RidgeParams, Schedule, SoftmaxRegressionParams,
};

struct Counting;

thread_local! {
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations(f: impl FnOnce()) -> usize {
    let before = COUNT.with(Cell::get);
    f();
    COUNT.with(Cell::get) - before
}

fn rows(k: usize) -> Vec<(Vec<f64>, Label, f64)> {
    (0..300)
        .map(|i| {
            let t = i as f64;
            let x = vec![
                t.sin(),
                (t * 0.3).cos(),
                (t % 7.0) / 7.0,
                1.0 / (1.0 + t),
                0.0,
            ];
            let y = x[0] + 2.0 * x[1] - x[2];
            (x, Label::Num((i % k) as f64), y)
        })
        .collect()
}

type SparseData = (Vec<u32>, Vec<f64>, Label);

fn sparse_row(r: &SparseData) -> Row<'_> {
    Row::Sparse(SparseRow::new(1 << 20, &r.0, &r.1).unwrap())
}

/// Checks a classifier with numeric labels, then (a fresh copy) with text labels: a
/// prediction returns a label, and a text label is shared, not copied.
fn check_classifier(name: &str, m: impl Classifier + Clone, k: usize) {
    check_labels(name, m.clone(), k, false);
    check_labels(&format!("{name}, text labels"), m, k, true);
}

fn check_labels(name: &str, mut m: impl Classifier, k: usize, text: bool) {
    let mut data = rows(k);
    if text {
        for (_, y, _) in &mut data {
            *y = Label::from(format!("class {y}"));
        }
    }
    for (x, y, _) in &data[..20] {
        m.learn_one(Row::Dense(x), y, None).unwrap();
        let _ = m.predict_one(Row::Dense(x)).unwrap();
    }
    let mut proba = vec![0.0; m.classes().len()];
    let n = allocations(|| {
        for (x, y, _) in &data[20..] {
            let _ = m.predict_one(Row::Dense(x)).unwrap();
            m.predict_proba_into(Row::Dense(x), &mut proba).unwrap();
            m.learn_one(Row::Dense(x), y, Some(0.7)).unwrap();
            // Without a weight: the straight-line step where a model has one.
            m.learn_one(Row::Dense(x), y, None).unwrap();
            let _ = m
                .predict_then_learn(Row::Dense(x), y, None, &mut proba)
                .unwrap();
            let _ = m
                .predict_then_learn(Row::Dense(x), y, Some(0.7), &mut proba)
                .unwrap();
        }
    });
    assert_eq!(n, 0, "{name}: {n} allocations in 280 rounds");
}

fn check_regressor(name: &str, mut m: impl Regressor) {
    let data = rows(2);
    for (x, _, y) in &data[..20] {
        m.learn_one(Row::Dense(x), *y, None).unwrap();
        let _ = m.predict_one(Row::Dense(x)).unwrap();
    }
    let n = allocations(|| {
        for (x, _, y) in &data[20..] {
            let _ = m.predict_one(Row::Dense(x)).unwrap();
            m.learn_one(Row::Dense(x), *y, Some(1.5)).unwrap();
        }
    });
    assert_eq!(n, 0, "{name}: {n} allocations in 280 rounds");
}

#[test]
fn classifiers_learn_and_predict_without_allocating() {
    let optimizers = [
        Optimizer::sgd(0.01),
        Optimizer::Sgd {
            lr: 0.1,
            schedule: Schedule::InverseScaling { power: 0.5 },
        },
        Optimizer::AdaGrad { lr: 0.1, eps: 1e-8 },
        Optimizer::Adam {
            lr: 0.1,
            beta_1: 0.9,
            beta_2: 0.999,
            eps: 1e-8,
        },
        Optimizer::Ftrl {
            alpha: 0.05,
            beta: 1.0,
            l1: 0.0,
            l2: 1.0,
        },
    ];
    for o in optimizers {
        let p = LogisticRegressionParams::default()
            .optimizer(o)
            .l2(0.01)
            .l1(0.001);
        check_classifier(&o.to_spec(), p.build().unwrap(), 2);
        let p = SoftmaxRegressionParams::default()
            .optimizer(o)
            .fit_intercept(true);
        check_classifier(&format!("softmax {}", o.to_spec()), p.build().unwrap(), 3);
    }
    check_classifier("ftrl", FtrlParams::default().l1(0.1).build().unwrap(), 2);
    check_classifier("pa", PAClassifierParams::default().build().unwrap(), 2);
    check_classifier(
        "perceptron",
        PerceptronParams::default().build().unwrap(),
        2,
    );
}

#[test]
fn regressors_learn_and_predict_without_allocating() {
    check_regressor("linear", LinearRegressionParams::default().build().unwrap());
    check_regressor("ridge", RidgeParams::default().build().unwrap());
    check_regressor("pa", PARegressorParams::default().build().unwrap());
}

#[test]
fn ftrl_on_sparse_rows_does_not_allocate() {
    let mut m = FtrlParams::default().build().unwrap();
    let dim = 1 << 20;
    let rows: Vec<(Vec<u32>, Vec<f64>, Label)> = (0..500u32)
        .map(|i| {
            let mut idx: Vec<u32> = (0..28).map(|k| (i * 7919 + k * 104_729) % dim).collect();
            idx.sort_unstable();
            idx.dedup();
            let vals = vec![1.0; idx.len()];
            (idx, vals, Label::Num(if i % 3 == 0 { 1.0 } else { -1.0 }))
        })
        .collect();
    for r in &rows[..10] {
        m.learn_one(sparse_row(r), &r.2, None).unwrap();
    }
    let mut proba = [0.0; 2];
    let n = allocations(|| {
        for r in &rows[10..] {
            let _ = m.predict_one(sparse_row(r)).unwrap();
            m.predict_proba_into(sparse_row(r), &mut proba).unwrap();
            m.learn_one(sparse_row(r), &r.2, None).unwrap();
        }
    });
    assert_eq!(n, 0, "{n} allocations in 490 rounds");
}
