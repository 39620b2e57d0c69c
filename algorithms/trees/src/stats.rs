//! The statistics the trees keep: class weights with presence (a class may be known to a
//! node with weight 0, as in River's dictionaries), running Gaussian estimates, and the
//! target variances of the regression trees.

use serde::{Deserialize, Serialize};
use tidewater_core::check::{
    CheckState, StateResult, all_nonneg, ensure, finite, nonneg, same_len,
};

/// Weights per class, indexed by the tree's class id (ids in the order classes were first
/// seen), with presence: a class can be present with weight 0 (a split's share of it was
/// 0), which is not the same as absent (it decides what naive Bayes votes for).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ClassDist {
    w: Vec<f64>,
    present: Vec<bool>,
    /// The sum of the weights in id order, kept at each change (the same value as summing
    /// afresh).
    total: f64,
}

impl ClassDist {
    /// Adds `w` to class `id`, making it present.
    pub(crate) fn add(&mut self, id: usize, w: f64) {
        if self.w.len() <= id {
            self.w.resize(id + 1, 0.0);
            self.present.resize(id + 1, false);
        }
        self.w[id] += w;
        self.present[id] = true;
        // An absent class holds 0, so summing every slot in id order gives the sum over
        // the present classes, bit for bit.
        self.total = self.w.iter().sum();
    }

    /// Becomes the classes of positive weight in `w` (by id), the others absent (keeps its
    /// buffers).
    pub(crate) fn set_positive(&mut self, w: &[f64]) {
        self.w.clear();
        self.present.clear();
        for &v in w {
            let p = v > 0.0;
            self.w.push(if p { v } else { 0.0 });
            self.present.push(p);
        }
        self.total = self.iter().map(|(_, w)| w).sum();
    }

    /// Class `id`'s weight, when present.
    pub(crate) fn get(&self, id: usize) -> Option<f64> {
        self.present
            .get(id)
            .copied()
            .unwrap_or(false)
            .then(|| self.w[id])
    }

    /// The present classes and their weights, in id order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.w
            .iter()
            .zip(&self.present)
            .enumerate()
            .filter(|(_, (_, p))| **p)
            .map(|(id, (w, _))| (id, *w))
    }

    /// One more than the largest class id the distribution has room for (every present id
    /// is below it).
    pub(crate) fn width(&self) -> usize {
        self.w.len()
    }

    /// Whether no class is present.
    pub(crate) fn is_empty(&self) -> bool {
        !self.present.iter().any(|&p| p)
    }

    /// The number of present classes.
    pub(crate) fn n_present(&self) -> usize {
        self.present.iter().filter(|&&p| p).count()
    }

    /// The sum of the weights.
    #[inline]
    pub(crate) fn total(&self) -> f64 {
        self.total
    }

    /// The largest weight (0 when empty).
    pub(crate) fn max_weight(&self) -> f64 {
        self.iter().map(|(_, w)| w).fold(0.0, f64::max)
    }

    /// The present class of the largest weight (the first in id order on a tie).
    pub(crate) fn argmax(&self) -> Option<usize> {
        let mut best: Option<(usize, f64)> = None;
        for (id, w) in self.iter() {
            if best.is_none_or(|(_, b)| w > b) {
                best = Some((id, w));
            }
        }
        best.map(|(id, _)| id)
    }

    /// Fewer than two classes of non-zero weight.
    pub(crate) fn is_pure(&self) -> bool {
        self.iter().filter(|(_, w)| *w != 0.0).count() < 2
    }

    /// Approximate bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.w.capacity() * 8 + self.present.capacity()
    }
}

impl ClassDist {
    /// A loaded distribution's check: presence and weights as long as each other and at most
    /// one per class of the tree (`n_classes`), every weight finite and not negative, an
    /// absent class's 0, and the total their sum (what [`add`](Self::add) keeps).
    pub(crate) fn check(&self, n_classes: usize) -> StateResult {
        same_len("presence", self.present.len(), self.w.len())?;
        ensure(self.w.len() <= n_classes, || {
            format!(
                "weights for {} classes where the tree has {n_classes}",
                self.w.len()
            )
        })?;
        all_nonneg("weights", &self.w)?;
        for (id, (&w, &p)) in self.w.iter().zip(&self.present).enumerate() {
            ensure(p || w == 0.0, || {
                format!("weights[{id}]: {w} for an absent class")
            })?;
        }
        let sum: f64 = self.w.iter().sum();
        ensure(self.total == sum, || {
            format!("total: {} where the weights sum to {sum}", self.total)
        })
    }
}

/// A running normal estimate of a weighted stream of values: Welford's mean and centred
/// second moment (River's `proba.Gaussian`, a variance with `ddof = 1`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Gaussian {
    /// The weight seen.
    pub(crate) n: f64,
    mean: f64,
    s: f64,
}

unsafe extern "C" {
    /// The C library's error function.
    #[link_name = "erf"]
    fn c_erf(x: f64) -> f64;
}

/// The error function, the C library's: the one Python's `math.erf` calls, so that the
/// trees' split estimates are River's to the last bit (a Rust port of another C library's
/// erf differs from glibc's in the last bit for about 2% of arguments, which moves a split
/// attempt by a row now and then).
pub(crate) fn erf(x: f64) -> f64 {
    // SAFETY: `erf` is a pure function of its argument, defined for every double.
    unsafe { c_erf(x) }
}

/// `ln(2 pi) / 2`.
pub(crate) const HALF_LOG_TAU: f64 = 0.918_938_533_204_672_8;

impl Gaussian {
    /// The estimate of weight `n`, mean `mean` and centred second moment `s`.
    #[inline]
    pub(crate) fn from_parts(n: f64, mean: f64, s: f64) -> Self {
        Gaussian { n, mean, s }
    }

    /// Adds `x` with weight `w`.
    #[cfg(test)]
    pub(crate) fn update(&mut self, x: f64, w: f64) {
        let old = self.mean;
        self.n += w;
        self.mean += (w / self.n) * (x - self.mean);
        self.s += w * (x - old) * (x - self.mean);
    }

    /// The sample variance (`n - 1` in the divisor; 0 until more than one unit of weight).
    pub(crate) fn variance(&self) -> f64 {
        if self.n > 1.0 {
            self.s / (self.n - 1.0)
        } else {
            0.0
        }
    }

    /// The log density at `x`; `-inf` while the variance is not positive.
    #[cfg(test)]
    pub(crate) fn log_pdf(&self, x: f64) -> f64 {
        let variance = self.variance();
        if variance > 0.0 {
            let d = x - self.mean;
            d * d / (-2.0 * variance) - HALF_LOG_TAU - 0.5 * variance.ln()
        } else {
            f64::NEG_INFINITY
        }
    }

    /// The distribution function at `x`; 0 when the deviation is 0 (River divides by it and
    /// takes the error as 0).
    pub(crate) fn cdf(&self, x: f64) -> f64 {
        let sigma = self.variance().sqrt();
        if sigma == 0.0 {
            return 0.0;
        }
        0.5 * (1.0 + erf((x - self.mean) / sigma / std::f64::consts::SQRT_2))
    }
}

/// A weighted running mean and variance of a target, River's `stats.Var` (`ddof = 1`) with
/// its `stats.Mean`, operation for operation: the same update, merge (`+=`) and removal
/// (`-=`) formulas with the same parenthesisation, so that the regression trees reach River's
/// split decisions bit for bit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Var {
    /// The weight seen (River's `mean.n`).
    pub(crate) n: f64,
    /// The mean.
    pub(crate) mean: f64,
    /// The centred second moment (River's `_S`).
    pub(crate) s: f64,
}

impl CheckState for Var {
    /// A weight finite and not negative, a finite mean and second moment (the moment is not
    /// checked for sign: removals subtract, and rounding can leave it a little below 0).
    fn check_state(&self) -> StateResult {
        nonneg("n", self.n)?;
        finite("mean", self.mean)?;
        finite("s", self.s)
    }
}

impl Var {
    /// Adds `x` with weight `w` (Welford's update).
    #[inline]
    pub(crate) fn update(&mut self, x: f64, w: f64) {
        let old = self.mean;
        self.n += w;
        self.mean += (w / self.n) * (x - self.mean);
        self.s += (w * (x - old)) * (x - self.mean);
    }

    /// The sample variance (`n - 1` in the divisor; 0 until more than one unit of weight).
    #[inline]
    pub(crate) fn get(&self) -> f64 {
        if self.n > 1.0 {
            self.s / (self.n - 1.0)
        } else {
            0.0
        }
    }

    /// Merges `o` in (River's `Var.__iadd__`: the second moments' cross term from the means
    /// before the merge, then `Mean.__iadd__`).
    #[inline]
    pub(crate) fn add(&mut self, o: &Var) {
        let (a, b) = (self.n, o.n);
        let d = self.mean - o.mean;
        let s = (self.s + o.s) + (((d * d) * a) * b) / (a + b);
        let old = self.n;
        self.n += o.n;
        self.mean = (old * self.mean + o.n * o.mean) / self.n;
        self.s = s;
    }

    /// Removes `o` (River's `Var.__isub__`: `Mean.__isub__` first, then the cross term from
    /// the means after it; an emptied mean restarts at 0).
    #[inline]
    pub(crate) fn sub(&mut self, o: &Var) {
        let old = self.n;
        self.n -= o.n;
        if self.n > 0.0 {
            self.mean = (old * self.mean - o.n * o.mean) / self.n;
        } else {
            self.n = 0.0;
            self.mean = 0.0;
        }
        let (a, b) = (self.n, o.n);
        let d = self.mean - o.mean;
        self.s = (self.s - o.s) - (((d * d) * a) * b) / (a + b);
    }

    /// `self + o`.
    pub(crate) fn plus(&self, o: &Var) -> Var {
        let mut v = *self;
        v.add(o);
        v
    }

    /// `self - o`.
    pub(crate) fn minus(&self, o: &Var) -> Var {
        let mut v = *self;
        v.sub(o);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaussian_statistics_are_the_weighted_sample_ones() {
        let mut g = Gaussian::default();
        for x in [1.0, 2.0, 3.0, 4.0] {
            g.update(x, 1.0);
        }
        // Sample variance (ddof 1) of 1..4 is 5/3.
        assert!((g.variance() - 5.0 / 3.0).abs() < 1e-12);
        assert!((g.cdf(2.5) - 0.5).abs() < 1e-12);
        let sd = (5.0f64 / 3.0).sqrt();
        let want = -0.5 * (2.0 * std::f64::consts::PI).ln() - sd.ln();
        assert!((g.log_pdf(2.5) - want).abs() < 1e-12);
    }

    #[test]
    fn variances_merge_and_split_back() {
        let (mut a, mut b, mut all) = (Var::default(), Var::default(), Var::default());
        for (i, x) in [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]
            .into_iter()
            .enumerate()
        {
            let w = 1.0 + (i % 3) as f64;
            if i < 5 {
                a.update(x, w)
            } else {
                b.update(x, w)
            }
            all.update(x, w);
        }
        let merged = a.plus(&b);
        assert!((merged.n - all.n).abs() < 1e-12 && (merged.mean - all.mean).abs() < 1e-12);
        assert!((merged.get() - all.get()).abs() < 1e-9);
        let back = merged.minus(&b);
        assert!((back.mean - a.mean).abs() < 1e-12 && (back.get() - a.get()).abs() < 1e-9);
        // Removing everything leaves an empty mean.
        let none = a.minus(&a);
        assert_eq!((none.n, none.mean), (0.0, 0.0));
        assert_eq!(Var::default().get(), 0.0);
    }

    #[test]
    fn class_weights_keep_presence_total_and_majority() {
        let mut d = ClassDist::default();
        d.add(2, 3.0);
        d.add(0, 1.0);
        assert_eq!((d.n_present(), d.total(), d.argmax()), (2, 4.0, Some(2)));
        assert_eq!((d.get(1), d.get(2)), (None, Some(3.0)));
        assert!(!d.is_pure());
        let mut pure = ClassDist::default();
        pure.add(1, 5.0);
        assert!(pure.is_pure());
    }

    #[test]
    fn corrupted_class_weights_are_refused_naming_the_part() {
        let mut d = ClassDist::default();
        d.add(2, 3.0);
        d.add(0, 1.0);
        d.check(3).unwrap();
        assert!(
            d.check(2)
                .unwrap_err()
                .contains("weights for 3 classes where the tree has 2")
        );
        let mut bad = d.clone();
        bad.w[1] = 2.0;
        assert!(
            bad.check(3)
                .unwrap_err()
                .contains("weights[1]: 2 for an absent class")
        );
        let mut bad = d.clone();
        bad.total = 5.0;
        assert!(
            bad.check(3)
                .unwrap_err()
                .contains("total: 5 where the weights sum to 4")
        );
        let mut bad = d.clone();
        bad.present.pop();
        assert!(bad.check(3).unwrap_err().contains("presence"));
        let mut v = Var::default();
        v.update(1.0, 2.0);
        v.check_state().unwrap();
        v.n = -1.0;
        assert!(v.check_state().unwrap_err().contains("n: -1"));
    }
}
