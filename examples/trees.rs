//! A Hoeffding tree on an Agrawal stream whose concept changes: the tree after the first
//! concept, then after the second, beside a Hoeffding adaptive tree that replaces the
//! subtrees the drift made wrong. Run with `cargo run --release --example trees`.

use tidewater::datasets::synth::{from_spec, take_dataset};
use tidewater::prelude::*;
use tidewater::trees::{HoeffdingAdaptiveTreeClassifierParams, HoeffdingTreeClassifierParams};

/// Rows before the drift, and after it.
const HALF: usize = 20_000;

fn main() -> Result<()> {
    // Agrawal's loan applicants labelled by function 0 (age alone), then abruptly by
    // function 4 (age and salary); the generator flags its nominal columns in the schema.
    let mut stream = from_spec(&format!(
        "concept_drift_stream(stream=agrawal(classification_function=0,seed=1),\
         drift_stream=agrawal(classification_function=2,seed=2),position={HALF},width=1,seed=3)"
    ))?;
    let before = take_dataset(stream.as_mut(), HALF)?;
    let after = take_dataset(stream.as_mut(), HALF)?;
    let names = before.schema.features.clone();
    let nominal = before.schema.nominal_indices();

    let mut tree = HoeffdingTreeClassifierParams::default().build()?;
    let mut adaptive = HoeffdingAdaptiveTreeClassifierParams::default()
        .seed(Some(1))
        .build()?;
    tree.set_nominal_features(&nominal);
    adaptive.set_nominal_features(&nominal);

    // Prequential evaluation: each row is predicted, scored, then learned.
    for (label, part) in [("before the drift", &before), ("after the drift", &after)] {
        let t = tidewater::eval::evaluate_classifier_on(&mut tree, part, 1000)?;
        let a = tidewater::eval::evaluate_classifier_on(&mut adaptive, part, 1000)?;
        println!(
            "{label}: accuracy {:.4} (Hoeffding tree), {:.4} (adaptive tree) over {} rows",
            t.metric("accuracy").unwrap_or(0.0),
            a.metric("accuracy").unwrap_or(0.0),
            t.rows
        );
        println!(
            "the Hoeffding tree {label}: {} nodes, {} leaves, depth {}",
            tree.n_nodes(),
            tree.n_leaves(),
            tree.depth()
        );
        print!("{}", tree.to_text_with(&names));
        println!();
    }
    println!(
        "the adaptive tree now: {} nodes, depth {}",
        adaptive.n_nodes(),
        adaptive.depth()
    );
    // `tree.to_dot_with(&names)` gives the same tree for Graphviz (`dot -Tsvg`).
    Ok(())
}
