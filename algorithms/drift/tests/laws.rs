//! The laws for detectors (ARCHITECTURE.md, "Laws"): feeding a stream in one call, in any chunks or one
//! value at a time gives the same detections (law 1); a detector saved and restored
//! mid-stream continues with the same detections and state (round trip, through the
//! checkpoint format of `tidewater_core::persist`); a refused value changes nothing.

use proptest::prelude::*;
use tidewater_core::persist;
use tidewater_drift::evaluation::{bernoulli_stream, gaussian_stream};
use tidewater_drift::{
    AnyDetector, Detections, DriftDetector, InputKind, build_detector, detector_catalogue,
};

/// Every detector, with parameters that make them fire often on short streams.
fn specs() -> Vec<String> {
    let mut v: Vec<String> = detector_catalogue()
        .iter()
        .map(|e| match e.name {
            "kswin" => "kswin(seed=7)".to_owned(),
            "dummy_drift" => "dummy_drift(t_0=97,seed=1)".to_owned(),
            n => n.to_owned(),
        })
        .collect();
    v.extend(
        [
            "adwin(clock=1,delta=0.05,max_buckets=2)",
            "adwin(keep_window=true,delta=0.05)",
            "page_hinkley(threshold=5,mode=up)",
            "page_hinkley(threshold=3,mode=down,alpha=1)",
            "ddm(warm_start=5)",
            "eddm(warm_start=5)",
            "hddm_a(two_sided_test=true)",
            "hddm_a(two_sided_test=true,on_decrease=reset)",
            "hddm_w(two_sided_test=true,lambda_val=0.2)",
            "hddm_w(two_sided_test=true,on_decrease=reset)",
            "fhddm(sliding_window_size=40,short_window_size=10)",
            "kswin(seed=3,window_size=60,stat_size=20,window=[0.5,0.25,1])",
            "dummy_drift(trigger_method=random,t_0=50,w=20,seed=5)",
            "dummy_drift(t_0=40,w=30,seed=9)",
        ]
        .map(str::to_owned),
    );
    v
}

/// A stream the detector accepts: 0/1 with changing rates for the binary detectors,
/// normal values with changing means for the others.
fn stream(kind: InputKind, segments: &[(usize, f64)], seed: u64) -> Vec<f64> {
    match kind {
        InputKind::Binary => bernoulli_stream(segments, seed),
        InputKind::Real => {
            let g: Vec<(usize, f64, f64)> =
                segments.iter().map(|&(n, p)| (n, 4.0 * p, 1.0)).collect();
            gaussian_stream(&g, seed)
        }
    }
}

fn one_by_one(d: &mut AnyDetector, xs: &[f64]) -> Detections {
    let mut out = Detections::new();
    for (i, &x) in xs.iter().enumerate() {
        d.update(x).unwrap();
        if d.drift_detected() {
            out.drifts.push(i);
        }
        if d.warning_detected() {
            out.warnings.push(i);
        }
    }
    out
}

fn segments() -> impl Strategy<Value = Vec<(usize, f64)>> {
    prop::collection::vec((30usize..600, 0.02f64..0.9), 1..6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn chunking_does_not_matter(
        segs in segments(),
        seed in 0u64..1000,
        cuts in prop::collection::vec(0usize..4000, 0..12),
    ) {
        for spec in specs() {
            let mut whole = build_detector(&spec).unwrap();
            let xs = stream(whole.input_kind(), &segs, seed);
            let all = whole.update_many(&xs).unwrap();

            let mut single = build_detector(&spec).unwrap();
            let singles = one_by_one(&mut single, &xs);
            prop_assert_eq!(&all, &singles, "{}: one call vs one value at a time", spec);
            prop_assert_eq!(&whole, &single, "{}: state", spec);

            let mut bounds: Vec<usize> = cuts.iter().map(|&c| c % (xs.len() + 1)).collect();
            bounds.push(0);
            bounds.push(xs.len());
            bounds.sort_unstable();
            let mut chunked = build_detector(&spec).unwrap();
            let mut got = Detections::new();
            for w in bounds.windows(2) {
                chunked.update_many_into(&xs[w[0]..w[1]], w[0], &mut got).unwrap();
            }
            prop_assert_eq!(&all, &got, "{}: chunks {:?}", spec, bounds);
            prop_assert_eq!(&whole, &chunked, "{}: state after chunks", spec);
        }
    }

    #[test]
    fn saved_and_restored_detectors_continue_identically(
        segs in segments(),
        seed in 0u64..1000,
        cut in 0usize..4000,
    ) {
        for spec in specs() {
            let mut d = build_detector(&spec).unwrap();
            let xs = stream(d.input_kind(), &segs, seed);
            let cut = cut % (xs.len() + 1);
            let mut head = d.update_many(&xs[..cut]).unwrap();
            let bytes = persist::to_bytes("drift-detector", &d).unwrap();
            let (h, mut back): (_, AnyDetector) = persist::from_bytes(&bytes, "mem").unwrap();
            prop_assert_eq!(h.kind.as_str(), "drift-detector");
            prop_assert_eq!(&back, &d, "{}: restored state", spec);
            let rest_a = d.update_many(&xs[cut..]).unwrap();
            let rest_b = back.update_many(&xs[cut..]).unwrap();
            prop_assert_eq!(&rest_a, &rest_b, "{}: detections after the restore", spec);
            prop_assert_eq!(&d, &back, "{}: state at the end", spec);
            head.extend_from(&rest_a, cut);
            let all = build_detector(&spec).unwrap().update_many(&xs).unwrap();
            prop_assert_eq!(head, all, "{}: split run vs whole run", spec);
        }
    }

    #[test]
    fn refused_values_change_nothing(
        segs in segments(),
        seed in 0u64..1000,
        bad in prop::sample::select(vec![f64::NAN, f64::INFINITY, -f64::INFINITY, 1.5, -0.25]),
    ) {
        for spec in specs() {
            let mut d = build_detector(&spec).unwrap();
            let xs = stream(d.input_kind(), &segs, seed);
            d.update_many(&xs).unwrap();
            let before = d.clone();
            let refused = d.check(bad).is_err();
            prop_assert_eq!(refused, d.update(bad).is_err(), "{}", spec);
            if refused {
                prop_assert_eq!(&d, &before, "{}: single value", spec);
                let mut batch = xs[..xs.len().min(10)].to_vec();
                batch.push(bad);
                let e = d.update_many(&batch).unwrap_err().to_string();
                prop_assert!(e.starts_with(&format!("row {}", batch.len() - 1)), "{}", e);
                prop_assert_eq!(&d, &before, "{}: batch", spec);
            }
        }
    }
}

#[test]
fn reset_gives_a_fresh_detector() {
    for spec in specs() {
        let mut d = build_detector(&spec).unwrap();
        let xs = stream(d.input_kind(), &[(400, 0.1), (400, 0.6)], 11);
        let first = d.update_many(&xs).unwrap();
        d.reset();
        let again = d.update_many(&xs).unwrap();
        if !spec.starts_with("kswin(seed") && !spec.contains("seed") {
            assert_eq!(first, again, "{spec}");
        }
    }
}
