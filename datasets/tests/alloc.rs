//! Generators write rows into the caller's buffer without allocating: `next_into` on every
//! generator makes no allocation once built (a ConceptDriftStream records a drift row in a
//! list, the one exception, at its drift rows only).
//!
//! A counting global allocator counts allocations made by this thread while a closure runs.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use tidewater_datasets::synth::{self, Generator, GeneratorParams};

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

#[test]
fn no_generator_allocates_per_row() {
    let specs = [
        "sea(seed=1,noise=0.1)",
        "stagger(seed=1,balance_classes=true)",
        "agrawal(seed=1,perturbation=0.1,balance_classes=true)",
        "hyperplane(seed=1,mag_change=0.01)",
        "random_rbf(seed_model=1,seed_sample=2)",
        "random_rbf_drift(seed_model=1,seed_sample=2,change_speed=0.01)",
        "led(seed=1,noise_percentage=0.1,irrelevant_features=true)",
        "led_drift(seed=1,irrelevant_features=true,n_drift_features=2)",
        "sine(seed=1,has_noise=true)",
        "mixed(seed=1)",
        "friedman(seed=1)",
        "friedman_drift(seed=1,drift_type=gsg,position=[10,2000],transition_window=100)",
        "random_tree(seed_tree=1,seed_sample=2)",
        "concept_drift_stream(seed=1,position=20000)",
        "concept_drift_stream(stream=concept_drift_stream(stream=sea(seed=1),drift_stream=sea(variant=1,seed=2),position=30000),drift_stream=sea(seed=3),position=50000,seed=4)",
    ];
    for spec in specs {
        let mut g = synth::from_spec(spec).unwrap();
        let mut x = vec![0.0; g.n_features()];
        let n = allocations(|| {
            for _ in 0..10_000 {
                g.next_into(&mut x).unwrap();
            }
        });
        assert_eq!(n, 0, "{spec}: {n} allocations in 10,000 rows");
    }
    // The iterator of owned rows allocates the row and nothing else.
    let mut g = synth::AgrawalParams {
        seed: Some(2),
        ..Default::default()
    }
    .build()
    .unwrap();
    let n = allocations(|| {
        for (x, _) in g.rows().take(100) {
            assert_eq!(x.len(), 9);
        }
    });
    assert_eq!(n, 100);
}
