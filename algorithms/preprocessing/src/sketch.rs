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

/// The default compression (the digest's maximum number of centroids).
pub const DEFAULT_COMPRESSION: usize = 200;

/// The largest compression a parameter may ask for.
pub const MAX_COMPRESSION: usize = 100_000;

/// A weighted, mergeable quantile sketch (t-digest with an exact buffer).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(into = "SketchState", try_from = "SketchState")]
pub struct QuantileSketch {
    digest: TDigest,
    pending: Vec<(f64, f64)>,
    compression: usize,
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

impl TryFrom<SketchState> for QuantileSketch {
    type Error = String;
    fn try_from(s: SketchState) -> Result<Self, String> {
        let finite = |v: f64| v.is_finite();
        let ok = s.compression > 0
            && s.centroids
                .iter()
                .all(|&(m, w)| finite(m) && finite(w) && w > 0.0)
            && s.pending
                .iter()
                .all(|&(m, w)| finite(m) && finite(w) && w > 0.0)
            && (s.centroids.is_empty() || (s.min.is_some_and(finite) && s.max.is_some_and(finite)))
            && finite(s.count)
            && {
                let total: f64 = s.centroids.iter().map(|c| c.1).sum();
                (total - s.count).abs() <= 1e-9 * total.max(1.0)
            };
        if !ok {
            return Err("corrupt quantile sketch".into());
        }
        let centroids = s
            .centroids
            .iter()
            .map(|&(m, w)| Centroid::new(m, w))
            .collect();
        Ok(QuantileSketch {
            digest: TDigest::new(centroids, s.sum, s.count, s.max, s.min, s.compression),
            pending: s.pending,
            compression: s.compression,
        })
    }
}

impl PartialEq for QuantileSketch {
    fn eq(&self, other: &Self) -> bool {
        let a: SketchState = self.clone().into();
        let b: SketchState = other.clone().into();
        let bits = |v: &[(f64, f64)]| -> Vec<(u64, u64)> {
            v.iter().map(|(x, y)| (x.to_bits(), y.to_bits())).collect()
        };
        a.compression == b.compression
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
    /// An empty sketch; `compression` (at least 1; larger is more accurate) bounds the number
    /// of centroids.
    pub fn new(compression: usize) -> Self {
        let compression = compression.max(1);
        QuantileSketch {
            digest: TDigest::new_with_size(compression),
            pending: Vec::new(),
            compression,
        }
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
}
