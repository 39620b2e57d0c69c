//! Acceptance: on an Agrawal stream whose labelling function changes at row 50,000
//! (ConceptDriftStream, abrupt), Gaussian naive Bayes wrapped in drift retraining recovers
//! its accuracy after the change faster than the same model unwrapped.
//!
//! The test prints the accuracies over the 10,000 rows after the change (prequential:
//! each row is predicted, then learned) for the plain model, drift retraining with DDM
//! (River's default detector for `DriftRetrainingClassifier`) and with ADWIN, the window
//! refit and the periodic baseline, and asserts that drift retraining beats the plain model.
//! With the seeds below it prints: plain `gaussian_nb` 0.5404 (0.8832 before the change),
//! drift retraining with DDM 0.9658, with ADWIN 0.9793, window refit 0.9282, periodic 0.8222;
//! DDM's first drift comes 332 rows after the change, ADWIN's 80.

use tidewater_bayes::GaussianNB;
use tidewater_core::{Classifier, Label, Row};
use tidewater_datasets::synth::{self, Generator};
use tidewater_drift::{Adwin, Ddm, DriftRetrain, EventKind, Periodic, WindowRefit};

const CHANGE: usize = 50_000;
const AFTER: usize = 10_000;
/// Agrawal's function 6 (a linear rule on salary, commission and loan), then function 7
/// (salary, commission and education level), switched abruptly at row 50,000 (0-based; the
/// stream counts positions from 1).
const SPEC: &str = "concept_drift_stream(stream=agrawal(classification_function=6,seed=11),\
                    drift_stream=agrawal(classification_function=7,seed=12),\
                    position=50001,width=1,seed=13)";

/// The stream's rows and labels.
fn rows() -> Vec<(Vec<f64>, Label)> {
    let mut g = synth::from_spec(SPEC).expect("the generator spec is valid");
    let mut x = vec![0.0; g.n_features()];
    (0..CHANGE + AFTER)
        .map(|_| {
            let s = g.next_into(&mut x).expect("the generator runs");
            (x.clone(), Label::Num(s.target))
        })
        .collect()
}

/// Prequential accuracy over the `AFTER` rows after the change, and before it.
fn accuracy(model: &mut dyn Classifier, data: &[(Vec<f64>, Label)]) -> (f64, f64) {
    let mut right_before = 0usize;
    let mut right_after = 0usize;
    for (i, (x, y)) in data.iter().enumerate() {
        let p = model.predict_one(Row::Dense(x)).unwrap();
        let ok = p.as_ref() == Some(y);
        if i < CHANGE {
            right_before += usize::from(ok);
        } else {
            right_after += usize::from(ok);
        }
        model.learn_one(Row::Dense(x), y, None).unwrap();
    }
    (
        right_before as f64 / CHANGE as f64,
        right_after as f64 / AFTER as f64,
    )
}

#[test]
fn drift_retraining_recovers_faster_than_the_plain_model() {
    let data = rows();
    // The label function really changes: the old concept's labels disagree with the new
    // ones on a good share of rows.
    let flips = (CHANGE..CHANGE + AFTER)
        .filter(|&i| {
            let x = &data[i].0;
            tidewater_datasets::synth::Agrawal::label(6, x) != Some(data[i].1.as_f64().unwrap())
        })
        .count();
    assert!(
        flips > AFTER / 10,
        "function 7 should disagree with function 6 ({flips})"
    );

    let (plain_before, plain) = accuracy(&mut GaussianNB::new(), &data);
    let mut ddm = DriftRetrain::new(GaussianNB::new(), Ddm::new());
    let (_, with_ddm) = accuracy(&mut ddm, &data);
    let mut adwin = DriftRetrain::new(GaussianNB::new(), Adwin::new());
    let (_, with_adwin) = accuracy(&mut adwin, &data);
    let mut refit = WindowRefit::new(GaussianNB::new(), Adwin::new(), 2000);
    let (_, with_refit) = accuracy(&mut refit, &data);
    let mut periodic = Periodic::new(GaussianNB::new(), 5000, 5000).unwrap();
    let (_, with_periodic) = accuracy(&mut periodic, &data);

    println!("accuracy over the {AFTER} rows after the change at row {CHANGE}:");
    println!(
        "  gaussian_nb                         {plain:.4} (before the change: {plain_before:.4})"
    );
    println!("  drift retraining, ddm               {with_ddm:.4}");
    println!("  drift retraining, adwin             {with_adwin:.4}");
    println!("  window refit (2000 rows), adwin     {with_refit:.4}");
    println!("  periodic (every 5000 rows)          {with_periodic:.4}");
    let first_drift = |events: &[tidewater_drift::Event]| {
        events
            .iter()
            .find(|e| e.kind == EventKind::Drift && e.row as usize >= CHANGE)
            .map(|e| e.row as usize - CHANGE)
    };
    println!(
        "  delay of the first drift after the change: ddm {:?}, adwin {:?}",
        first_drift(ddm.events()),
        first_drift(adwin.events())
    );

    assert!(
        with_ddm > plain + 0.02,
        "drift retraining with DDM ({with_ddm:.4}) should beat the plain model ({plain:.4})"
    );
    assert!(
        with_adwin > plain + 0.02,
        "drift retraining with ADWIN ({with_adwin:.4}) should beat the plain model ({plain:.4})"
    );
    assert!(first_drift(ddm.events()).is_some_and(|d| d < AFTER));
}
