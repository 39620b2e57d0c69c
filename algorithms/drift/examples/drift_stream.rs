//! Times ADWIN, Page-Hinkley and DDM over a raw little-endian f64 file (the peers'
//! `drift_stream_10m.bin`): the median of `--runs` runs of `update` over every value, with
//! the detections, as one JSON object per detector on stdout.
//!
//! ```text
//! cargo run --release -p tidewater-drift --example drift_stream -- FILE [--runs 5] [--change 5000000]
//! ```

use std::time::Instant;

use tidewater_drift::{Adwin, Ddm, DriftDetector, PageHinkley, evaluation};

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
    let bytes = std::fs::read(&file).unwrap_or_else(|e| {
        eprintln!("{file}: {e}");
        std::process::exit(2)
    });
    let xs: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    type Make = fn() -> Box<dyn DriftDetector>;
    let detectors: [(&str, Make); 3] = [
        ("adwin", || Box::new(Adwin::new())),
        ("page_hinkley", || Box::new(PageHinkley::new())),
        ("ddm", || Box::new(Ddm::new())),
    ];
    for (name, make) in detectors {
        let mut times = Vec::with_capacity(runs);
        let mut drifts = Vec::new();
        for _ in 0..runs {
            let mut d = make();
            let t = Instant::now();
            let got = d.update_many(&xs).expect("finite 0/1 values");
            times.push(t.elapsed().as_secs_f64());
            drifts = got.drifts;
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        let r = evaluation::score(&drifts, &[change], usize::MAX);
        let head: Vec<String> = drifts.iter().take(20).map(|d| d.to_string()).collect();
        println!(
            "{{\"detector\":\"{name}\",\"n\":{},\"runs\":{runs},\"median_seconds\":{median},\
             \"ns_per_update\":{:.2},\"n_detections\":{},\"false_alarms_before_change\":{},\
             \"delay\":{},\"detections_head\":[{}]}}",
            xs.len(),
            median / xs.len() as f64 * 1e9,
            drifts.len(),
            drifts.iter().filter(|&&d| d < change).count(),
            r.delays[0].map_or("null".into(), |d| d.to_string()),
            head.join(",")
        );
    }
}
