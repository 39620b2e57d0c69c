//! What the crate's tests of loaded models share: small streams that make the trees grow
//! (nominal features included) and change concept half way (so the adaptive models grow
//! alternates and replace trees), and the assertion that a check refuses a model naming the
//! part at fault.

use tidewater_core::check::StateResult;
use tidewater_core::{Dataset, Label};
use tidewater_datasets::synth::{self, Generator};

/// The nominal features of [`class_rows`] (Agrawal's education level, car and zip code).
pub(crate) const CLASS_NOMINAL: [usize; 3] = [3, 4, 5];

/// `n` rows of Agrawal's stream (9 features, 3 nominal, 2 classes, its first labelling
/// function), the labels swapped half way (an abrupt drift no tree can ignore).
pub(crate) fn class_rows(n: usize) -> Vec<(Vec<f64>, Label)> {
    let mut g = synth::from_spec("agrawal(classification_function=1,seed=3)")
        .expect("a valid generator spec");
    let mut x = vec![0.0; g.n_features()];
    (0..n)
        .map(|i| {
            let s = g.next_into(&mut x).expect("the generator runs");
            let y = if i < n / 2 { s.target } else { 1.0 - s.target };
            (x.clone(), Label::Num(y))
        })
        .collect()
}

/// The nominal feature of [`value_rows`].
pub(crate) const VALUE_NOMINAL: [usize; 1] = [3];

/// `n` rows of Friedman's regression stream (10 features), its fourth feature (relevant)
/// coded into 5 categories, the target's sign flipped half way.
pub(crate) fn value_rows(n: usize) -> Vec<(Vec<f64>, f64)> {
    let mut g = synth::from_spec("friedman(seed=7)").expect("a valid generator spec");
    let mut x = vec![0.0; g.n_features()];
    (0..n)
        .map(|i| {
            let s = g.next_into(&mut x).expect("the generator runs");
            let mut row = x.clone();
            row[3] = (row[3] * 5.0).floor().min(4.0);
            let y = if i < n / 2 { s.target } else { 30.0 - s.target };
            (row, y)
        })
        .collect()
}

/// `n` rows of a generator (`spec`) as a data set, for the batch trees.
pub(crate) fn dataset(spec: &str, n: usize) -> Dataset {
    let mut g = synth::from_spec(spec).expect("a valid generator spec");
    synth::take_dataset(&mut *g, n).expect("the generator runs")
}

/// Asserts that a check failed and that its message names `part`.
#[track_caller]
pub(crate) fn refused(r: StateResult, part: &str) {
    match r {
        Ok(()) => panic!("a corrupted model passed its check (expected one naming `{part}`)"),
        Err(e) => assert!(e.contains(part), "the message should name `{part}`: {e}"),
    }
}
