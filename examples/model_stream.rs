//! A model stream between threads: one thread learns online and publishes a snapshot every
//! 100 rows; two others predict from the newest snapshot, never waiting for the learner and
//! never seeing a model half updated. Run with `cargo run --example model_stream`.
//!
//! Between processes the same idea is a model directory (`learn --publish DIR`, `serve
//! --model-dir DIR`): see docs/serving.md.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tidewater::core::publish::Publisher;
use tidewater::linear::LogisticRegressionParams;
use tidewater::prelude::*;

fn main() -> Result<()> {
    let phishing = Arc::new(tidewater::datasets::phishing()?);
    let labels = phishing.target()?.to_labels()?;
    let mut model = LogisticRegressionParams::default().build()?;
    // Version 0 is the empty model; subscribers may be handed out to any thread.
    let mut stream = Publisher::new(model.clone(), 0);
    let done = Arc::new(AtomicBool::new(false));
    // The learner starts when both readers run.
    let start = Arc::new(std::sync::Barrier::new(3));

    let readers: Vec<_> = (0..2)
        .map(|r| {
            let (models, data, done, start) = (
                stream.subscribe(),
                Arc::clone(&phishing),
                Arc::clone(&done),
                Arc::clone(&start),
            );
            std::thread::spawn(move || -> Result<(u64, usize, u64)> {
                start.wait();
                let (mut answers, mut newest) = (0usize, 0u64);
                let batch = data.batch();
                let mut i = r;
                loop {
                    // Read before the snapshot: once the learner is done, this snapshot is
                    // its last version.
                    let finished = done.load(Ordering::Acquire);
                    // One snapshot per prediction: the version and the model go together.
                    let snap = models.latest();
                    let _ = snap.model.predict_one(batch.row(i % data.n_rows())?)?;
                    newest = newest.max(snap.version);
                    answers += 1;
                    i += 7;
                    if finished {
                        break;
                    }
                }
                Ok((r as u64, answers, newest))
            })
        })
        .collect();

    start.wait();
    let batch = phishing.batch();
    for (i, y) in labels.iter().enumerate() {
        model.learn_one(batch.row(i)?, y, None)?;
        if (i + 1) % 100 == 0 {
            // A copy goes to the readers; the learner keeps its own.
            stream.publish(model.clone());
        }
    }
    let last = stream.publish(model.clone());
    done.store(true, Ordering::Release);
    println!("learner: {} rows, {last} versions published", labels.len());
    for r in readers {
        let (id, answers, newest) = r.join().expect("a reader panicked")?;
        println!("reader {id}: {answers} predictions, newest version seen {newest}");
    }
    Ok(())
}
