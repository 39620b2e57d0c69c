//! Split criteria of the classification trees: the merit of splitting a node's class
//! distribution into several, and the range of that merit (for the Hoeffding bound).

use serde::{Deserialize, Serialize};

use crate::stats::ClassDist;

/// How a split is scored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SplitCriterion {
    /// Information gain: the entropy before less the weighted entropy after (bits).
    InfoGain,
    /// Gini: one less the weighted Gini impurity after.
    Gini,
    /// Hellinger distance between the branches' class distributions (binary tasks; Cieslak
    /// et al., 2012), robust to skewed classes. The two classes are taken in label order,
    /// negative first. River reads them by the keys 0 and 1, so the two agree on 0/1 (or
    /// boolean) labels; on other labels River scores every split 0, a quirk not copied.
    Hellinger,
}

tidewater_core::param_choices!(SplitCriterion {
    InfoGain => "info_gain",
    Gini => "gini",
    Hellinger => "hellinger",
});

impl SplitCriterion {
    /// The merit of splitting `pre` into `post`; `-inf` when fewer than two branches hold
    /// more than `min_branch_fraction` of the weight. `classes` are the ids of the tree's
    /// two classes in label order, for the Hellinger distance.
    pub(crate) fn merit(
        self,
        pre: &ClassDist,
        post: &[ClassDist],
        min_branch_fraction: f64,
        classes: Option<(usize, usize)>,
    ) -> f64 {
        if branches_above(post, min_branch_fraction) < 2 {
            return f64::NEG_INFINITY;
        }
        match self {
            SplitCriterion::InfoGain => entropy(pre) - entropy_of_split(post),
            SplitCriterion::Gini => {
                let total: f64 = post.iter().map(ClassDist::total).sum();
                let mut gini = 0.0;
                for d in post {
                    let w = d.total();
                    gini += (w / total) * gini_of(d, w);
                }
                1.0 - gini
            }
            SplitCriterion::Hellinger => hellinger(post, classes),
        }
    }

    /// The range of the merit for a node of class distribution `pre`: `log2` of the number of
    /// classes it knows (at least 2) for information gain and Hellinger, 1 for Gini.
    pub(crate) fn range(self, pre: &ClassDist) -> f64 {
        match self {
            SplitCriterion::Gini => 1.0,
            _ => (pre.n_present().max(2) as f64).log2(),
        }
    }
}

/// How many branches hold more than `frac` of the total weight.
fn branches_above(post: &[ClassDist], frac: f64) -> usize {
    let total: f64 = post.iter().map(ClassDist::total).sum();
    if total <= 0.0 {
        return 0;
    }
    post.iter().filter(|d| d.total() / total > frac).count()
}

/// The entropy (bits) of a class distribution.
fn entropy(d: &ClassDist) -> f64 {
    let mut entropy = 0.0;
    let mut sum = 0.0;
    for (_, w) in d.iter() {
        if w > 0.0 {
            entropy -= w * w.log2();
            sum += w;
        }
    }
    if sum > 0.0 {
        (entropy + sum * sum.log2()) / sum
    } else {
        0.0
    }
}

/// The weighted mean entropy of the branches.
fn entropy_of_split(post: &[ClassDist]) -> f64 {
    let total: f64 = post.iter().map(ClassDist::total).sum();
    let mut e = 0.0;
    for d in post {
        e += d.total() * entropy(d);
    }
    e / total
}

/// The Gini impurity of a distribution of total weight `w`.
fn gini_of(d: &ClassDist, w: f64) -> f64 {
    let mut gini = 1.0;
    if w != 0.0 {
        for (_, v) in d.iter() {
            let f = v / w;
            gini -= f * f;
        }
    }
    gini
}

/// The Hellinger distance of a binary split between the negative and positive classes; 0
/// when a branch lacks a class or the split is not binary (River's rule).
fn hellinger(post: &[ClassDist], classes: Option<(usize, usize)>) -> f64 {
    let (Some((neg, pos)), [left, right]) = (classes, post) else {
        return 0.0;
    };
    let (Some(ln), Some(lp), Some(rn), Some(rp)) =
        (left.get(neg), left.get(pos), right.get(neg), right.get(pos))
    else {
        return 0.0;
    };
    let (tn, tp) = (ln + rn, lp + rp);
    let h = ((ln / tn).sqrt() - (lp / tp).sqrt()).powi(2)
        + ((rn / tn).sqrt() - (rp / tp).sqrt()).powi(2);
    h.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(ws: &[f64]) -> ClassDist {
        let mut d = ClassDist::default();
        for (id, &w) in ws.iter().enumerate() {
            d.add(id, w);
        }
        d
    }

    #[test]
    fn a_perfect_split_of_two_even_classes_gains_one_bit_and_the_full_gini() {
        let pre = dist(&[50.0, 50.0]);
        let post = [dist(&[50.0, 0.0]), dist(&[0.0, 50.0])];
        let ig = SplitCriterion::InfoGain.merit(&pre, &post, 0.01, None);
        assert!((ig - 1.0).abs() < 1e-12, "{ig}");
        let gini = SplitCriterion::Gini.merit(&pre, &post, 0.01, None);
        assert!((gini - 1.0).abs() < 1e-12, "{gini}");
        let h = SplitCriterion::Hellinger.merit(&pre, &post, 0.01, Some((0, 1)));
        assert!((h - 2f64.sqrt()).abs() < 1e-12, "{h}");
    }

    #[test]
    fn a_useless_split_gains_nothing_and_a_lopsided_one_is_refused() {
        let pre = dist(&[40.0, 20.0]);
        let post = [dist(&[20.0, 10.0]), dist(&[20.0, 10.0])];
        let ig = SplitCriterion::InfoGain.merit(&pre, &post, 0.01, None);
        assert!(ig.abs() < 1e-12, "{ig}");
        // Gini's merit is one less the impurity after: 1 - (1 - (2/3)² - (1/3)²) = 5/9.
        let gini = SplitCriterion::Gini.merit(&pre, &post, 0.01, None);
        assert!((gini - 5.0 / 9.0).abs() < 1e-12, "{gini}");
        // One branch with 0.5% of the weight: fewer than two branches above 1%.
        let post = [dist(&[39.7, 20.0]), dist(&[0.3, 0.0])];
        let ig = SplitCriterion::InfoGain.merit(&pre, &post, 0.01, None);
        assert_eq!(ig, f64::NEG_INFINITY);
    }

    #[test]
    fn the_merit_range_is_log2_of_the_classes_or_one_for_gini() {
        assert_eq!(SplitCriterion::InfoGain.range(&dist(&[1.0])), 1.0);
        assert_eq!(
            SplitCriterion::InfoGain.range(&dist(&[1.0, 1.0, 1.0, 1.0])),
            2.0
        );
        assert_eq!(
            SplitCriterion::Gini.range(&dist(&[1.0, 1.0, 1.0, 1.0])),
            1.0
        );
    }
}
