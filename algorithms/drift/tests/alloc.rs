//! `update` allocates nothing in the steady state (ADWIN's only allocation is a new row of
//! buckets, once per doubling of its window), and neither does a retraining wrapper's
//! `learn_one` between events.
//!
//! A counting global allocator counts allocations made by this thread while a closure runs.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use tidewater_bayes::GaussianNB;
use tidewater_core::{Classifier, Label, Row};
use tidewater_drift::evaluation::{bernoulli_stream, gaussian_stream};
use tidewater_drift::{
    Adwin, Detections, DriftDetector, DriftRetrain, InputKind, build_detector, detector_catalogue,
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

fn stream(kind: InputKind, seed: u64) -> Vec<f64> {
    let segs = [(3000, 0.1), (3000, 0.5), (3000, 0.2), (3000, 0.6)];
    match kind {
        InputKind::Binary => bernoulli_stream(&segs, seed),
        InputKind::Real => gaussian_stream(&segs.map(|(n, p)| (n, 4.0 * p, 1.0)), seed),
    }
}

#[test]
fn detectors_update_without_allocating() {
    for e in detector_catalogue() {
        let spec = match e.name {
            "kswin" | "dummy_drift" => format!("{}(seed=1)", e.name),
            n => n.to_owned(),
        };
        let mut d = build_detector(&spec).unwrap();
        let xs = stream(d.input_kind(), 5);
        // Warm up over the whole stream once (drifts, resets, the window's growth), then
        // run it again from a reset: the buffers are all there.
        d.update_many(&xs).unwrap();
        d.reset();
        let mut detections = 0;
        let n = allocations(|| {
            for &x in &xs {
                d.update(x).unwrap();
                detections += usize::from(d.drift_detected());
            }
        });
        assert_eq!(n, 0, "{spec}: {n} allocations in {} updates", xs.len());
        // The batch path too, with room for its detections.
        d.reset();
        let mut out = Detections::new();
        out.drifts.reserve(xs.len());
        out.warnings.reserve(xs.len());
        let n = allocations(|| d.update_many_into(&xs, 0, &mut out).unwrap());
        assert_eq!(n, 0, "{spec}: {n} allocations in update_many_into");
        if e.name != "no_drift" {
            assert!(
                detections + out.drifts.len() > 0,
                "{spec} should have fired"
            );
        }
    }
}

#[test]
fn adwin_allocates_only_when_its_window_doubles() {
    // A stationary stream: the window grows to 2^20 values, and a new row of buckets is
    // the only allocation (about one per doubling of the window).
    let xs = bernoulli_stream(&[(1 << 20, 0.3)], 9);
    let mut d = Adwin::new();
    let n = allocations(|| {
        for &x in &xs {
            d.update(x).unwrap();
        }
    });
    assert_eq!(d.width(), 1 << 20, "the stationary stream should not drift");
    assert!(
        n <= 4 * 21 + 8,
        "{n} allocations for a window of 2^20 values"
    );
    // Once grown, no more.
    let more = bernoulli_stream(&[(50_000, 0.3)], 10);
    let n = allocations(|| {
        for &x in &more {
            d.update(x).unwrap();
        }
    });
    assert_eq!(n, 0);
}

#[test]
fn drift_retraining_learns_without_allocating_between_events() {
    let xs: Vec<[f64; 2]> = (0..4000)
        .map(|i| {
            let t = i as f64;
            [t.sin(), (t * 0.37).cos()]
        })
        .collect();
    let label = |x: &[f64; 2]| Label::Num(f64::from(u8::from(x[0] + 0.3 * x[1] > 0.0)));
    let mut m = DriftRetrain::new(GaussianNB::new(), Adwin::new());
    for x in &xs[..1000] {
        m.learn_one(Row::Dense(x), &label(x), None).unwrap();
    }
    let events = m.events().len();
    let n = allocations(|| {
        for x in &xs[1000..] {
            let _ = m.predict_one(Row::Dense(x)).unwrap();
            m.learn_one(Row::Dense(x), &label(x), None).unwrap();
        }
    });
    assert_eq!(m.events().len(), events, "a stationary stream: no event");
    assert_eq!(n, 0, "{n} allocations in 3000 rows");
}
