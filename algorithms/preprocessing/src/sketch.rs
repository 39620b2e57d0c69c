//! A weighted, mergeable quantile sketch: the online half of the robust scaler, the median
//! imputer and the quantile binner.
//!
//! It is a t-digest (the `tdigest` crate) fed through a small buffer of weighted values:
//! values are kept exactly until the buffer holds `5 * compression` of them, then merged into
//! the digest as weighted centroids. Accuracy is best at the tails and good at the median;
//! with `compression` 200 the rank error of a median estimate is typically well under 1 %.
//! Two sketches merge ([`QuantileSketch::merge`]), so shards of a stream can be summarised
//! apart and combined. The sketch is deterministic: the same values in the same order give
//! the same estimates; a different order or chunking may give slightly different ones, which
//! is why the transformers built on it are not exact on the stream path.

use serde::{Deserialize, Serialize};
use tdigest::{Centroid, TDigest};
use tidewater_core::check::{CheckState, StateResult, ensure};

/// The default compression (the digest's maximum number of centroids).
pub const DEFAULT_COMPRESSION: usize = 200;

/// The largest compression a parameter may ask for.
pub const MAX_COMPRESSION: usize = 100_000;

/// A weighted, mergeable quantile sketch (t-digest with an exact buffer).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(into = "SketchState", from = "SketchState")]
pub struct QuantileSketch {
    digest: TDigest,
    pending: Vec<(f64, f64)>,
    compression: usize,
    /// What is wrong with a decoded state the digest cannot hold (the sketch is then empty),
    /// for [`CheckState`] to report by name: a model holding it is refused on load.
    fault: Option<String>,
}

/// The serialised form: the digest's centroids and summary, and the buffer.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct SketchState {
    compression: usize,
    centroids: Vec<(f64, f64)>,
    sum: f64,
    count: f64,
    min: Option<f64>,
    max: Option<f64>,
    pending: Vec<(f64, f64)>,
}

impl From<QuantileSketch> for SketchState {
    fn from(s: QuantileSketch) -> Self {
        SketchState {
            compression: s.compression,
            centroids: s
                .digest
                .centroids()
                .iter()
                .map(|c| (c.mean(), c.weight()))
                .collect(),
            sum: s.digest.sum(),
            count: s.digest.count(),
            min: s.digest.min(),
            max: s.digest.max(),
            pending: s.pending,
        }
    }
}

/// Weighted values (centroids or buffered values) with finite means and finite positive
/// weights.
fn check_weighted(what: &str, values: &[(f64, f64)]) -> StateResult {
    for (i, &(v, w)) in values.iter().enumerate() {
        ensure(v.is_finite(), || {
            format!("{what} {i}: value {v} is not finite")
        })?;
        ensure(w.is_finite() && w > 0.0, || {
            format!("{what} {i}: weight {w} is not a finite number above 0")
        })?;
    }
    Ok(())
}

impl SketchState {
    /// What learning keeps, and what the digest needs not to panic: a compression from 1 to
    /// [`MAX_COMPRESSION`], finite centroids and buffered values of positive weight, a buffer
    /// shorter than the `5 * compression` values that make it merge, a count equal to the
    /// centroids' weight (up to rounding), and finite ordered extremes exactly when there
    /// are centroids. (`sum` is not checked: only the digest's mean reads it, and a sum of
    /// large values may legitimately overflow, even to NaN.)
    fn check(&self) -> StateResult {
        let c = self.compression;
        ensure((1..=MAX_COMPRESSION).contains(&c), || {
            format!("compression: {c} is not between 1 and {MAX_COMPRESSION}")
        })?;
        check_weighted("centroid", &self.centroids)?;
        check_weighted("buffered value", &self.pending)?;
        ensure(self.pending.len() < 5 * c, || {
            format!(
                "buffer: {} values, but a sketch of compression {c} merges them at {}",
                self.pending.len(),
                5 * c
            )
        })?;
        let total: f64 = self.centroids.iter().map(|c| c.1).sum();
        let count = self.count;
        ensure(
            count.is_finite() && (total - count).abs() <= 1e-9 * total.max(1.0),
            || format!("count: {count} where the centroids weigh {total}"),
        )?;
        match (self.centroids.is_empty(), self.min, self.max) {
            (true, None, None) => ensure(count == 0.0, || {
                format!("count: {count} in a digest without centroids")
            }),
            (false, Some(lo), Some(hi)) => {
                // The digest merges only digests of positive count (found by the checkpoint
                // fuzz target: centroids of tiny weight and a count of 0 passed the sum check).
                ensure(count > 0.0, || {
                    format!("count: {count} in a digest with centroids")
                })?;
                ensure(lo.is_finite() && hi.is_finite() && lo <= hi, || {
                    format!("extremes: [{lo}, {hi}] are not finite and ordered")
                })
            }
            (true, _, _) => Err("extremes: given for a digest without centroids".into()),
            (false, _, _) => Err("extremes: missing for a digest with centroids".into()),
        }
    }
}

impl From<SketchState> for QuantileSketch {
    /// The sketch of a decoded state; an empty one holding the fault when the state is not
    /// one learning could have left (see `SketchState::check`).
    fn from(s: SketchState) -> Self {
        if let Err(fault) = s.check() {
            let mut empty = QuantileSketch::new(s.compression);
            empty.fault = Some(fault);
            return empty;
        }
        let centroids = s
            .centroids
            .iter()
            .map(|&(m, w)| Centroid::new(m, w))
            .collect();
        QuantileSketch {
            digest: TDigest::new(centroids, s.sum, s.count, s.max, s.min, s.compression),
            pending: s.pending,
            compression: s.compression,
            fault: None,
        }
    }
}

impl CheckState for QuantileSketch {
    /// The decoded state was one learning could have left (see [`QuantileSketch`]'s
    /// serialised form): otherwise the fault found while decoding, naming the part.
    fn check_state(&self) -> StateResult {
        self.fault.clone().map_or(Ok(()), Err)
    }
}

/// One sketch per feature, each consistent and of the owner's `compression` (the one it
/// was made with; an owner never changes it).
pub(crate) fn check_sketches(sketches: &[QuantileSketch], compression: usize) -> StateResult {
    for (j, s) in sketches.iter().enumerate() {
        s.check_state()
            .map_err(|e| format!("feature {j}: sketch: {e}"))?;
        ensure(s.compression == compression, || {
            format!(
                "feature {j}: sketch: compression {} where the params say {compression}",
                s.compression
            )
        })?;
    }
    Ok(())
}

impl PartialEq for QuantileSketch {
    fn eq(&self, other: &Self) -> bool {
        let a: SketchState = self.clone().into();
        let b: SketchState = other.clone().into();
        let bits = |v: &[(f64, f64)]| -> Vec<(u64, u64)> {
            v.iter().map(|(x, y)| (x.to_bits(), y.to_bits())).collect()
        };
        self.fault == other.fault
            && a.compression == b.compression
            && bits(&a.centroids) == bits(&b.centroids)
            && bits(&a.pending) == bits(&b.pending)
            && a.count.to_bits() == b.count.to_bits()
    }
}

impl Default for QuantileSketch {
    fn default() -> Self {
        QuantileSketch::new(DEFAULT_COMPRESSION)
    }
}

impl QuantileSketch {
    /// An empty sketch; `compression` (from 1 to [`MAX_COMPRESSION`], to which it is
    /// clamped; larger is more accurate) bounds the number of centroids.
    pub fn new(compression: usize) -> Self {
        let compression = compression.clamp(1, MAX_COMPRESSION);
        QuantileSketch {
            digest: TDigest::new_with_size(compression),
            pending: Vec::new(),
            compression,
            fault: None,
        }
    }

    /// The compression (the digest's maximum number of centroids).
    pub fn compression(&self) -> usize {
        self.compression
    }

    /// Adds a value with a weight (values and weights must be finite; weight 0 is ignored).
    pub fn add(&mut self, value: f64, weight: f64) {
        if !(value.is_finite() && weight.is_finite() && weight > 0.0) {
            return;
        }
        self.pending.push((value, weight));
        if self.pending.len() >= 5 * self.compression {
            self.flush();
        }
    }

    /// The total weight added.
    pub fn weight(&self) -> f64 {
        self.digest.count() + self.pending.iter().map(|p| p.1).sum::<f64>()
    }

    /// True when nothing has been added.
    pub fn is_empty(&self) -> bool {
        self.digest.count() == 0.0 && self.pending.is_empty()
    }

    fn pending_digest(&self) -> TDigest {
        let mut min = f64::INFINITY;
        let mut max = f64::NEG_INFINITY;
        let mut sum = 0.0;
        let mut count = 0.0;
        let centroids: Vec<Centroid> = self
            .pending
            .iter()
            .map(|&(v, w)| {
                min = min.min(v);
                max = max.max(v);
                sum += v * w;
                count += w;
                Centroid::new(v, w)
            })
            .collect();
        TDigest::new(
            centroids,
            sum,
            count,
            Some(max),
            Some(min),
            self.compression,
        )
    }

    /// Merges the buffered values into the digest.
    pub fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let fresh = self.pending_digest();
        self.pending.clear();
        let old = std::mem::replace(&mut self.digest, TDigest::new_with_size(self.compression));
        self.digest = TDigest::merge_digests(vec![old, fresh]);
    }

    /// Merges another sketch into this one.
    pub fn merge(&mut self, other: &QuantileSketch) {
        self.flush();
        let mut o = other.clone();
        o.flush();
        let old = std::mem::replace(&mut self.digest, TDigest::new_with_size(self.compression));
        self.digest = TDigest::merge_digests(vec![old, o.digest]);
    }

    /// Estimates of the quantiles `qs` (each in [0, 1]); `None` when the sketch is empty.
    /// Buffered values are taken into account without changing the sketch.
    pub fn quantiles(&self, qs: &[f64]) -> Option<Vec<f64>> {
        if self.is_empty() {
            return None;
        }
        let merged;
        let d = if self.pending.is_empty() {
            &self.digest
        } else {
            merged = TDigest::merge_digests(vec![self.digest.clone(), self.pending_digest()]);
            &merged
        };
        qs.iter()
            .map(|&q| d.estimate_quantile(q.clamp(0.0, 1.0)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_a_long_stream_is_close_and_merging_agrees() {
        let mut a = QuantileSketch::default();
        let mut b = QuantileSketch::default();
        let mut all = QuantileSketch::default();
        for i in 0..20_000 {
            let v = ((i * 7919) % 10_007) as f64;
            if i % 2 == 0 {
                a.add(v, 1.0);
            } else {
                b.add(v, 1.0);
            }
            all.add(v, 1.0);
        }
        let m = all.quantiles(&[0.5]).unwrap()[0];
        assert!((m - 5003.0).abs() < 100.0, "{m}");
        a.merge(&b);
        let mm = a.quantiles(&[0.5]).unwrap()[0];
        assert!((mm - 5003.0).abs() < 100.0, "{mm}");
        let bytes = serde_json::to_string(&all).unwrap();
        let back: QuantileSketch = serde_json::from_str(&bytes).unwrap();
        assert_eq!(back, all);
    }

    fn learned() -> QuantileSketch {
        let mut s = QuantileSketch::new(10);
        for i in 0..73 {
            s.add(f64::from(i % 17), 1.0 + f64::from(i % 3));
        }
        s
    }

    /// The sketch's serialised form with `edit` applied, decoded again.
    fn edited(edit: impl FnOnce(&mut serde_json::Value)) -> QuantileSketch {
        let mut v = serde_json::to_value(learned()).unwrap();
        edit(&mut v);
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_learned_sketch_passes_and_corrupt_ones_are_refused_by_name() {
        let s = learned();
        assert!(!s.pending.is_empty() && !s.digest.centroids().is_empty());
        assert_eq!(s.check_state(), Ok(()));
        assert_eq!(QuantileSketch::default().check_state(), Ok(()));
        assert_eq!(edited(|_| {}), s);
        let refused = |edit: fn(&mut serde_json::Value), want: &str| {
            let e = edited(edit).check_state().unwrap_err();
            assert!(e.starts_with(want), "{e}");
        };
        refused(
            |v| v["centroids"][1][1] = (-2.0).into(),
            "centroid 1: weight -2",
        );
        refused(
            |v| v["pending"][0][1] = 0.0.into(),
            "buffered value 0: weight 0",
        );
        refused(|v| v["compression"] = 0.into(), "compression: 0");
        refused(
            |v| v["compression"] = 1_000_000.into(),
            "compression: 1000000",
        );
        refused(
            |v| v["count"] = 1.0.into(),
            "count: 1 where the centroids weigh",
        );
        refused(|v| v["min"] = 99.0.into(), "extremes: [99, 16]");
        refused(|v| v["max"] = serde_json::Value::Null, "extremes: missing");
        refused(
            |v| {
                let p = v["pending"][0].clone();
                v["pending"] = vec![p; 50].into();
            },
            "buffer: 50 values",
        );
        refused(
            |v| {
                v["centroids"] = Vec::<f64>::new().into();
                v["count"] = 0.0.into();
            },
            "extremes: given for a digest without centroids",
        );
        // A refused sketch is empty and usable: nothing panics before the model is refused.
        // (NaN, which JSON cannot carry, through the serialised form directly.)
        let mut state = SketchState::from(learned());
        state.centroids[2].0 = f64::NAN;
        let mut bad = QuantileSketch::from(state);
        let e = bad.check_state().unwrap_err();
        assert_eq!(e, "centroid 2: value NaN is not finite");
        assert!(bad.is_empty());
        bad.add(1.0, 1.0);
        assert_eq!(bad.quantiles(&[0.5]), Some(vec![1.0]));
    }

    #[test]
    fn compression_is_clamped_to_what_a_checkpoint_accepts() {
        assert_eq!(QuantileSketch::new(0).compression(), 1);
        assert_eq!(
            QuantileSketch::new(usize::MAX).compression(),
            MAX_COMPRESSION
        );
    }
}
