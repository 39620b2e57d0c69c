//! Attribute observers of the classification trees: per feature, what a leaf knows of the
//! feature's values by class, the split candidates it suggests, and the class-conditional
//! densities naive Bayes leaves predict with.

use serde::{Deserialize, Serialize};

use crate::criterion::SplitCriterion;
use crate::stats::{ClassDist, Gaussian, HALF_LOG_TAU};

/// The test of a split: which child a value goes to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum Test {
    /// Numeric, binary: `x <= threshold` goes left (child 0), else right.
    Le(f64),
    /// Nominal, binary: `x == value` goes left (child 0), else right.
    Eq(f64),
    /// Nominal, one child per value (in this order; values met later get children appended).
    Multi(Vec<f64>),
}

/// A split candidate: its merit, its feature and test (none for the null split, which keeps
/// the leaf), and the statistics of its children (class distributions for a classifier,
/// target variances for a regressor).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Suggestion<S = ClassDist> {
    pub(crate) merit: f64,
    pub(crate) feature: Option<usize>,
    pub(crate) test: Option<Test>,
    pub(crate) children: Vec<S>,
}

impl<S> Suggestion<S> {
    /// The null split: keep the leaf.
    pub(crate) fn null() -> Self {
        Suggestion {
            merit: f64::NEG_INFINITY,
            feature: None,
            test: None,
            children: Vec::new(),
        }
    }
}

/// What a split evaluation needs besides the observer.
pub(crate) struct Evaluation<'a> {
    pub(crate) criterion: SplitCriterion,
    pub(crate) pre: &'a ClassDist,
    pub(crate) min_branch_fraction: f64,
    pub(crate) binary_only: bool,
    /// The two classes (negative, positive) of a binary task, for Hellinger.
    pub(crate) classes: Option<(usize, usize)>,
}

impl Evaluation<'_> {
    fn merit(&self, post: &[ClassDist]) -> f64 {
        self.criterion
            .merit(self.pre, post, self.min_branch_fraction, self.classes)
    }
}

/// How a leaf watches one feature.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum Watch {
    /// A numeric feature: column `col` of the leaf's per-class Gaussian tables (River's
    /// `GaussianSplitter`).
    Gaussian(usize),
    /// A nominal feature: counts per value and class.
    Nominal(NominalObserver),
    /// No longer watched (`remove_poor_attrs`).
    Off,
}

/// The numeric features of one class at one leaf, a column per feature: the running normal
/// of each (Welford's mean and centred second moment over the class's weight, River's
/// `proba.Gaussian`) and the smallest and largest value seen.
///
/// For naive Bayes the table also keeps, when asked to at each update, what the log
/// densities need of the estimates alone: per column `-1 / (2 variance)` (0 while the
/// variance is not positive, and the column then adds nothing, as River skips a density of
/// 0), and once for the table the sum over the valid columns of `ln(2 pi variance) / 2`,
/// computed as the log of a product (one logarithm per update instead of one per column).
/// A row's log likelihood is then `sum (x - mean)^2 * c - log_norm`: the same value as the
/// sum of the columns' log densities up to rounding.
///
/// The weight is the same for every column (each row updates them all), so it is kept once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct GaussTable {
    n: f64,
    /// `COLS` blocks of `m` values: mean, second moment, min, max, `-1 / (2 variance)`.
    v: Vec<f64>,
    log_norm: f64,
}

const MEAN: usize = 0;
const M2: usize = 1;
const MIN: usize = 2;
const MAX: usize = 3;
const NEG_HALF_INV_VAR: usize = 4;
const COLS: usize = 5;

/// `v` (positive, finite) as a mantissa in [1, 2) and a power of two.
#[inline]
fn split_exp(v: f64) -> (f64, i64) {
    let bits = v.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i64;
    if e == 0 {
        // Subnormal: scale into the normal range first.
        let (m, e) = split_exp(v * f64::from_bits((1023u64 + 64) << 52));
        return (m, e - 64);
    }
    let m = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52));
    (m, e - 1023)
}

impl GaussTable {
    /// A table of `m` columns, empty (each column's range starts at its first value).
    pub(crate) fn new(m: usize) -> Self {
        let mut v = vec![0.0; COLS * m];
        v[MIN * m..(MIN + 1) * m].fill(f64::INFINITY);
        v[MAX * m..(MAX + 1) * m].fill(f64::NEG_INFINITY);
        GaussTable {
            n: 0.0,
            v,
            log_norm: 0.0,
        }
    }

    fn m(&self) -> usize {
        self.v.len() / COLS
    }

    /// Adds a row of weight `w` whose value in column `col` is `x[col]`; with `nb`, keeps the
    /// naive Bayes terms too.
    #[inline]
    pub(crate) fn update(&mut self, w: f64, nb: bool, x: &[f64]) {
        let m = self.m();
        self.n += w;
        let n = self.n;
        let r = w / n;
        let (mean, rest) = self.v.split_at_mut(m);
        let (m2, rest) = rest.split_at_mut(m);
        let (min, rest) = rest.split_at_mut(m);
        let (max, c) = rest.split_at_mut(m);
        let x = &x[..m];
        for ((((x, mean), m2), min), max) in x.iter().zip(mean).zip(m2.iter_mut()).zip(min).zip(max)
        {
            let old = *mean;
            let new = old + r * (x - old);
            *mean = new;
            *m2 += w * (x - old) * (x - new);
            *min = min.min(*x);
            *max = max.max(*x);
        }
        if !nb {
            return;
        }
        // variance = m2 / (n - 1), valid while n > 1 and m2 > 0.
        let nm1 = n - 1.0;
        if nm1 <= 0.0 {
            c.fill(0.0);
            self.log_norm = 0.0;
            return;
        }
        let h = -0.5 * nm1;
        for (c, &s) in c.iter_mut().zip(m2.iter()) {
            *c = if s > 0.0 { h / s } else { 0.0 };
        }
        // The product of the valid variances, as `prod * 2^exp`, with both factors kept
        // within 1e±150 so that no product over- or underflows.
        const SAFE: std::ops::RangeInclusive<f64> = 1e-150..=1e150;
        let inv = 1.0 / nm1;
        let (mut prod, mut exp, mut k) = (1.0f64, 0i64, 0usize);
        for &s in m2.iter() {
            if s > 0.0 {
                k += 1;
                let var = s * inv;
                if SAFE.contains(&var) {
                    prod *= var;
                } else {
                    let (mant, e) = split_exp(var);
                    prod *= mant;
                    exp += e;
                }
                if !SAFE.contains(&prod) {
                    let (mant, e) = split_exp(prod);
                    prod = mant;
                    exp += e;
                }
            }
        }
        // The sum over valid columns of ln(2 pi variance) / 2.
        self.log_norm = if k == 0 {
            0.0
        } else {
            k as f64 * HALF_LOG_TAU + 0.5 * (prod.ln() + exp as f64 * std::f64::consts::LN_2)
        };
    }

    /// The log density of `x` in column `col`; `-inf` while its variance is not positive
    /// (naive Bayes terms must be kept).
    #[inline]
    pub(crate) fn log_pdf(&self, col: usize, x: f64) -> f64 {
        let m = self.m();
        let c = self.v[NEG_HALF_INV_VAR * m + col];
        if c < 0.0 {
            let d = x - self.v[MEAN * m + col];
            d * d * c - HALF_LOG_TAU - 0.5 * (-0.5 / c).ln()
        } else {
            f64::NEG_INFINITY
        }
    }

    /// `v` plus the log likelihood of row `x` (one value per column) under the columns whose
    /// variance is positive (naive Bayes terms must be kept).
    #[inline]
    pub(crate) fn add_log_pdfs(&self, x: &[f64], v: f64) -> f64 {
        let m = x.len();
        debug_assert_eq!(m * COLS, self.v.len(), "one value per column");
        let mean = &self.v[MEAN * m..(MEAN + 1) * m];
        let c = &self.v[NEG_HALF_INV_VAR * m..(NEG_HALF_INV_VAR + 1) * m];
        // A column without a positive variance has c = 0 and adds (d * 0) * d = 0. Four
        // running sums, so that the additions do not wait on each other.
        let mut acc = [0.0f64; 4];
        let split = m - m % 4;
        for j in (0..split).step_by(4) {
            for l in 0..4 {
                let d = x[j + l] - mean[j + l];
                acc[l] += (d * c[j + l]) * d;
            }
        }
        for j in split..m {
            let d = x[j] - mean[j];
            acc[j - split] += (d * c[j]) * d;
        }
        v + ((acc[0] + acc[1]) + (acc[2] + acc[3])) - self.log_norm
    }

    fn gaussian(&self, col: usize) -> Gaussian {
        let m = self.m();
        Gaussian::from_parts(self.n, self.v[MEAN * m + col], self.v[M2 * m + col])
    }

    fn range(&self, col: usize) -> (f64, f64) {
        let m = self.m();
        (self.v[MIN * m + col], self.v[MAX * m + col])
    }

    /// Approximate bytes held.
    pub(crate) fn bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.v.capacity() * 8
    }
}

/// The best split of numeric column `col` (feature `feature`) over the classes' tables (by
/// class id): `n_splits` thresholds spread evenly between the smallest and the largest value
/// seen, each side's class weights estimated from the normals.
pub(crate) fn gaussian_best_split(
    tables: &[Option<GaussTable>],
    col: usize,
    feature: usize,
    n_splits: usize,
    eval: &Evaluation<'_>,
) -> Suggestion {
    let mut best = Suggestion::null();
    let classes = || {
        tables
            .iter()
            .enumerate()
            .filter_map(|(id, t)| t.as_ref().map(|t| (id, t)))
    };
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for (_, t) in classes() {
        let (a, b) = t.range(col);
        lo = lo.min(a);
        hi = hi.max(b);
    }
    if lo == f64::INFINITY {
        return best;
    }
    let bin = (hi - lo) / (n_splits as f64 + 1.0);
    for i in 0..n_splits {
        let threshold = lo + bin * (i + 1) as f64;
        if !(lo < threshold && threshold < hi) {
            continue;
        }
        let (mut lhs, mut rhs) = (ClassDist::default(), ClassDist::default());
        for (id, t) in classes() {
            let n = t.n;
            let (min, max) = t.range(col);
            if threshold < min {
                rhs.add(id, n);
            } else if threshold >= max {
                lhs.add(id, n);
            } else {
                let l = t.gaussian(col).cdf(threshold) * n;
                lhs.add(id, l);
                rhs.add(id, n - l);
            }
        }
        let post = [lhs, rhs];
        let merit = eval.merit(&post);
        if merit > best.merit {
            best = Suggestion {
                merit,
                feature: Some(feature),
                test: Some(Test::Le(threshold)),
                children: post.to_vec(),
            };
        }
    }
    best
}

/// A nominal feature (category codes): the class weights of each value.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct NominalObserver {
    /// The values seen, sorted.
    values: Vec<f64>,
    /// The class weights of each value, in `values` order.
    per_value: Vec<ClassDist>,
}

impl NominalObserver {
    pub(crate) fn update(&mut self, x: f64, class: usize, w: f64) {
        let k = match self.values.binary_search_by(|v| v.total_cmp(&x)) {
            Ok(k) => k,
            Err(k) => {
                self.values.insert(k, x);
                self.per_value.insert(k, ClassDist::default());
                k
            }
        };
        self.per_value[k].add(class, w);
    }

    /// Approximate bytes held.
    pub(crate) fn bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.values.capacity() * 8
            + self.per_value.iter().map(ClassDist::bytes).sum::<usize>()
    }

    /// `p(value | class)`: the class's weight at `x` over its weight at every value.
    pub(crate) fn cond_proba(&self, x: f64, class: usize) -> f64 {
        let Ok(k) = self.values.binary_search_by(|v| v.total_cmp(&x)) else {
            return 0.0;
        };
        let Some(at) = self.per_value[k].get(class) else {
            return 0.0;
        };
        let total: f64 = self.per_value.iter().filter_map(|d| d.get(class)).sum();
        if total == 0.0 { 0.0 } else { at / total }
    }

    pub(crate) fn best_split(&self, feature: usize, eval: &Evaluation<'_>) -> Suggestion {
        let mut best = Suggestion::null();
        if !eval.binary_only {
            let post = self.per_value.clone();
            best = Suggestion {
                merit: eval.merit(&post),
                feature: Some(feature),
                test: Some(Test::Multi(self.values.clone())),
                children: post,
            };
        }
        for (k, &v) in self.values.iter().enumerate() {
            let mut rest = ClassDist::default();
            for (j, d) in self.per_value.iter().enumerate() {
                if j != k {
                    for (id, w) in d.iter() {
                        rest.add(id, w);
                    }
                }
            }
            let post = [self.per_value[k].clone(), rest];
            let merit = eval.merit(&post);
            if merit > best.merit {
                best = Suggestion {
                    merit,
                    feature: Some(feature),
                    test: Some(Test::Eq(v)),
                    children: post.to_vec(),
                };
            }
        }
        best
    }
}
