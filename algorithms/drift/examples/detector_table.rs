//! Detector evaluation on streams with known change points: mean detection delay, false
//! alarms and misses per detector, summed over seeds, as a markdown table. The dummy
//! detector (`no_drift`) and the periodic baseline (`dummy_drift`, a drift every 1000
//! values) stand in the same table.
//!
//! ```text
//! cargo run --release -p tidewater-drift --example detector_table [-- --seeds 20]
//! ```

use tidewater_drift::evaluation::{bernoulli_stream, change_points, evaluate, gaussian_stream};
use tidewater_drift::{DriftDetector, InputKind, build_detector};

const DETECTORS: [&str; 10] = [
    "no_drift",
    "dummy_drift(t_0=1000)",
    "adwin",
    "page_hinkley",
    "kswin(seed=1)",
    "ddm",
    "eddm",
    "hddm_a",
    "hddm_w",
    "fhddm",
];

struct Stream {
    name: &'static str,
    binary: bool,
    lengths: Vec<usize>,
    make: Box<dyn Fn(u64) -> Vec<f64>>,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut seeds = 20u64;
    while let Some(a) = args.next() {
        if a == "--seeds" {
            seeds = args.next().and_then(|v| v.parse().ok()).unwrap_or(seeds);
        }
    }
    let streams = vec![
        Stream {
            name: "error rate 0.1 -> 0.3 at 5000",
            binary: true,
            lengths: vec![5000, 5000],
            make: Box::new(|s| bernoulli_stream(&[(5000, 0.1), (5000, 0.3)], s)),
        },
        Stream {
            name: "error rate 0.2 -> 0.25 at 5000",
            binary: true,
            lengths: vec![5000, 5000],
            make: Box::new(|s| bernoulli_stream(&[(5000, 0.2), (5000, 0.25)], s)),
        },
        Stream {
            name: "error rate 0.1, 0.4, 0.1, 0.4 (changes at 3000, 6000, 9000)",
            binary: true,
            lengths: vec![3000; 4],
            make: Box::new(|s| {
                bernoulli_stream(&[(3000, 0.1), (3000, 0.4), (3000, 0.1), (3000, 0.4)], s)
            }),
        },
        Stream {
            name: "normal, mean 0 -> 0.5 at 5000 (sd 1)",
            binary: false,
            lengths: vec![5000, 5000],
            make: Box::new(|s| gaussian_stream(&[(5000, 0.0, 1.0), (5000, 0.5, 1.0)], s)),
        },
    ];
    let max_delay = 2000;
    println!(
        "{seeds} seeds per stream; a detection within {max_delay} values of a change (and before \
         the next) counts for it, any other is a false alarm.\n"
    );
    for st in &streams {
        let cps = change_points(&st.lengths);
        println!("**{}**\n", st.name);
        println!(
            "| detector | mean delay | false alarms | misses (of {}) |",
            cps.len() as u64 * seeds
        );
        println!("|---|---:|---:|---:|");
        for spec in DETECTORS {
            let probe = build_detector(spec).expect("valid spec");
            if !st.binary && probe.input_kind() == InputKind::Binary {
                continue;
            }
            let (mut delays, mut fa, mut miss) = (Vec::new(), 0, 0);
            for seed in 0..seeds {
                let mut xs = (st.make)(1000 + seed);
                if probe.wants_successes() {
                    // FHDDM watches a success rate: feed it 1 for a correct prediction.
                    xs.iter_mut().for_each(|x| *x = 1.0 - *x);
                }
                let mut d = build_detector(spec).expect("valid spec");
                let r = evaluate(&mut d, &xs, &cps, max_delay).expect("valid values");
                delays.extend(r.delays.iter().flatten().copied());
                fa += r.false_alarms;
                miss += r.misses;
            }
            let mean = if delays.is_empty() {
                "-".to_owned()
            } else {
                format!(
                    "{:.0}",
                    delays.iter().sum::<usize>() as f64 / delays.len() as f64
                )
            };
            println!("| `{spec}` | {mean} | {fa} | {miss} |");
        }
        println!();
    }
}
