//! Times ADWIN, Page-Hinkley and DDM over a raw little-endian f64 file (the peers'
//! `drift_stream_10m.bin`) through both APIs, the values in memory:
//!
//! - `update`: one call per value, then `drift_detected` (River's and MOA's protocol, the
//!   detector's concrete type so the calls are direct), the drift indices pushed as found;
//! - `update_many`: the block API, every value in one call (checks first, then the loop the
//!   detector specialises).
//!
//! Each is the median of `--runs` runs. The two must find the same drifts (the example stops
//! if they differ). One JSON object per detector on stdout: the `update_many` figures under
//! `median_seconds` / `ns_per_update` (the names earlier reports read), the per-value figures
//! under `update_median_seconds` / `update_ns_per_update`, and the detections scored
//! against the change point (`change`).
//!
//! ```text
//! cargo run --release -p tidewater-drift --example drift_stream -- FILE [--runs 5] [--change 5000000]
//! ```

use std::time::Instant;

use tidewater_drift::{Adwin, Ddm, DriftDetector, PageHinkley, evaluation};

/// River's loop: `update` then `drift_detected` per value; the indices of the drifts.
fn per_value<D: DriftDetector>(d: &mut D, xs: &[f64]) -> Vec<usize> {
    let mut drifts = Vec::new();
    for (i, &x) in xs.iter().enumerate() {
        d.update(x).expect("finite 0/1 values");
        if d.drift_detected() {
            drifts.push(i);
        }
    }
    drifts
}

/// The median of `runs` timings of `f` on a fresh detector, and the drifts of the last run
/// (every run of a deterministic detector finds the same).
fn median_of<D>(
    runs: usize,
    make: &dyn Fn() -> D,
    mut f: impl FnMut(&mut D) -> Vec<usize>,
) -> (f64, Vec<usize>) {
    let mut times = Vec::with_capacity(runs);
    let mut drifts = Vec::new();
    for _ in 0..runs {
        let mut d = make();
        let t = Instant::now();
        drifts = f(&mut d);
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], drifts)
}

/// Times both APIs for one detector and prints its JSON line.
fn time_detector<D: DriftDetector>(
    name: &str,
    make: &dyn Fn() -> D,
    xs: &[f64],
    runs: usize,
    change: usize,
) {
    let (one_s, one) = median_of(runs, make, |d| per_value(d, xs));
    let (many_s, many) = median_of(runs, make, |d| {
        d.update_many(xs).expect("finite 0/1 values").drifts
    });
    assert_eq!(
        one, many,
        "{name}: `update` and `update_many` found different drifts"
    );
    let r = evaluation::score(&many, &[change], usize::MAX);
    let head: Vec<String> = many.iter().take(20).map(|d| d.to_string()).collect();
    let n = xs.len() as f64;
    println!(
        "{{\"detector\":\"{name}\",\"n\":{},\"runs\":{runs},\"change\":{change},\
         \"median_seconds\":{many_s},\"ns_per_update\":{:.2},\
         \"update_median_seconds\":{one_s},\"update_ns_per_update\":{:.2},\
         \"same_detections\":true,\"n_detections\":{},\"false_alarms_before_change\":{},\
         \"delay\":{},\"detections_head\":[{}]}}",
        xs.len(),
        many_s / n * 1e9,
        one_s / n * 1e9,
        many.len(),
        many.iter().filter(|&&d| d < change).count(),
        r.delays[0].map_or("null".into(), |d| d.to_string()),
        head.join(",")
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut file = None;
    let mut runs = 5usize;
    let mut change = 5_000_000usize;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => runs = args.next().and_then(|v| v.parse().ok()).unwrap_or(5),
            "--change" => change = args.next().and_then(|v| v.parse().ok()).unwrap_or(change),
            _ => file = Some(a),
        }
    }
    let Some(file) = file else {
        eprintln!("usage: drift_stream FILE [--runs N] [--change INDEX]");
        std::process::exit(2);
    };
    let runs = runs.max(1);
    let bytes = std::fs::read(&file).unwrap_or_else(|e| {
        eprintln!("{file}: {e}");
        std::process::exit(2)
    });
    let xs: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    time_detector("adwin", &Adwin::new, &xs, runs, change);
    time_detector("page_hinkley", &PageHinkley::new, &xs, runs, change);
    time_detector("ddm", &Ddm::new, &xs, runs, change);
}
