//! Detector evaluation on streams with known change points: detection delay, false alarms
//! and misses, and generators of such streams.
//!
//! A detection *belongs* to a change point `c` when it is the first detection in
//! `[c, c + max_delay)` that comes before the next change point; its delay is its index
//! minus `c`. A change point without one is a *miss*; every other detection (before the first
//! change, or a second detection after a change) is a *false alarm*.
//!
//! ```
//! use tidewater_drift::evaluation::{bernoulli_stream, evaluate};
//! use tidewater_drift::{Ddm, DummyDrift, NoDrift};
//!
//! let stream = bernoulli_stream(&[(5000, 0.1), (5000, 0.3)], 7);
//! let ddm = evaluate(&mut Ddm::new(), &stream, &[5000], 2000)?;
//! assert_eq!(ddm.misses, 0);
//! let never = evaluate(&mut NoDrift::new(), &stream, &[5000], 2000)?;
//! assert_eq!((never.misses, never.false_alarms), (1, 0));
//! let periodic = evaluate(&mut DummyDrift::periodic(1000), &stream, &[5000], 2000)?;
//! assert!(periodic.false_alarms > 0);
//! # Ok::<(), tidewater_drift::Error>(())
//! ```

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tidewater_core::Result;

use crate::{Detections, DriftDetector};

/// How a detector did on one stream.
#[derive(Clone, Debug, PartialEq)]
pub struct DetectionReport {
    /// Every drift index, in order.
    pub detections: Vec<usize>,
    /// Per change point: the delay of the detection that belongs to it, or `None` (a miss).
    pub delays: Vec<Option<usize>>,
    /// Detections that belong to no change point.
    pub false_alarms: usize,
    /// Change points without a detection within `max_delay`.
    pub misses: usize,
    /// Warning indices, for detectors with a warning zone.
    pub warnings: usize,
}

impl DetectionReport {
    /// The mean delay over the detected change points (`None` when all were missed).
    pub fn mean_delay(&self) -> Option<f64> {
        let d: Vec<usize> = self.delays.iter().flatten().copied().collect();
        (!d.is_empty()).then(|| d.iter().sum::<usize>() as f64 / d.len() as f64)
    }
}

/// Scores drift indices against sorted change points (see the module docs).
pub fn score(drifts: &[usize], change_points: &[usize], max_delay: usize) -> DetectionReport {
    let mut delays = vec![None; change_points.len()];
    let mut false_alarms = 0;
    for &d in drifts {
        // The last change point at or before d.
        let k = change_points.partition_point(|&c| c <= d);
        let belongs = k > 0 && {
            let c = change_points[k - 1];
            d - c < max_delay && delays[k - 1].is_none()
        };
        if belongs {
            delays[k - 1] = Some(d - change_points[k - 1]);
        } else {
            false_alarms += 1;
        }
    }
    let misses = delays.iter().filter(|d| d.is_none()).count();
    DetectionReport {
        detections: drifts.to_vec(),
        delays,
        false_alarms,
        misses,
        warnings: 0,
    }
}

/// Runs a fresh detector over `stream` and scores its drifts against `change_points`.
pub fn evaluate(
    detector: &mut dyn DriftDetector,
    stream: &[f64],
    change_points: &[usize],
    max_delay: usize,
) -> Result<DetectionReport> {
    let mut out = Detections::new();
    detector.update_many_into(stream, 0, &mut out)?;
    let mut r = score(&out.drifts, change_points, max_delay);
    r.warnings = out.warnings.len();
    Ok(r)
}

/// A 0/1 stream made of segments `(length, probability of a 1)`, seeded (ChaCha8): an error
/// indicator whose rate changes at the segment boundaries.
pub fn bernoulli_stream(segments: &[(usize, f64)], seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(segments.iter().map(|s| s.0).sum());
    for &(n, p) in segments {
        out.extend((0..n).map(|_| f64::from(u8::from(rng.random::<f64>() < p))));
    }
    out
}

/// A normal stream made of segments `(length, mean, standard deviation)`, seeded (ChaCha8,
/// Box-Muller).
pub fn gaussian_stream(segments: &[(usize, f64, f64)], seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(segments.iter().map(|s| s.0).sum());
    for &(n, mean, sd) in segments {
        for _ in 0..n {
            let u1: f64 = 1.0 - rng.random::<f64>();
            let u2: f64 = rng.random();
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            out.push(mean + sd * z);
        }
    }
    out
}

/// The change points of a segmented stream: the start of every segment but the first.
pub fn change_points(lengths: &[usize]) -> Vec<usize> {
    lengths
        .iter()
        .scan(0, |acc, &n| {
            *acc += n;
            Some(*acc)
        })
        .take(lengths.len().saturating_sub(1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoring_by_hand() {
        // Changes at 100 and 200; detections: 50 (false), 110 (delay 10), 120 (false, second),
        // 260 (beyond max_delay 50: false, and 200 is missed).
        let r = score(&[50, 110, 120, 260], &[100, 200], 50);
        assert_eq!(r.delays, vec![Some(10), None]);
        assert_eq!((r.false_alarms, r.misses), (3, 1));
        assert_eq!(r.mean_delay(), Some(10.0));
        assert_eq!(change_points(&[100, 100, 50]), vec![100, 200]);
    }

    #[test]
    fn streams_are_seeded() {
        assert_eq!(
            bernoulli_stream(&[(100, 0.3)], 1),
            bernoulli_stream(&[(100, 0.3)], 1)
        );
        let g = gaussian_stream(&[(20_000, 2.0, 0.5)], 3);
        let m = g.iter().sum::<f64>() / g.len() as f64;
        assert!((m - 2.0).abs() < 0.02, "{m}");
    }
}
