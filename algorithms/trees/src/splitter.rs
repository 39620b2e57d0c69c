//! Attribute observers of the classification trees: per feature, what a leaf knows of the
//! feature's values by class, the split candidates it suggests, and the class-conditional
//! densities naive Bayes leaves predict with.

use serde::{Deserialize, Serialize};
use tidewater_core::check::{StateResult, all_finite, all_nonneg, ensure, finite, nonneg, within};

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

impl Test {
    /// A loaded test's check against its branch's `n_children`: a binary test has two
    /// children, a multiway test one per value (at least one); thresholds and values finite.
    pub(crate) fn check(&self, n_children: usize) -> StateResult {
        match self {
            Test::Le(t) => {
                finite("test: threshold", *t)?;
                ensure(n_children == 2, || {
                    format!("a binary test with {n_children} children")
                })
            }
            Test::Eq(v) => {
                finite("test: value", *v)?;
                ensure(n_children == 2, || {
                    format!("a binary test with {n_children} children")
                })
            }
            Test::Multi(values) => {
                all_finite("test: values", values)?;
                ensure(!values.is_empty() && values.len() == n_children, || {
                    format!(
                        "a multiway test of {} values with {n_children} children",
                        values.len()
                    )
                })
            }
        }
    }
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
    /// A numeric feature, every value kept (River's `ExhaustiveSplitter`).
    Exhaustive(ExhaustiveObserver),
    /// A numeric feature, a histogram per class (River's `HistogramSplitter`).
    Histogram(HistogramObserver),
}

/// The numeric features of one class at one leaf, a column per feature: the running normal
/// of each (Welford's mean and centred second moment over the class's weight, River's
/// `proba.Gaussian`) and the smallest and largest value seen.
///
/// For naive Bayes the table also keeps, when asked to at each update, what the log
/// densities need of the estimates alone: per column `-1 / (2 variance)` (0 while the
/// variance is not positive, and the column then adds nothing, as River skips a density of
/// 0), and once for the table the log of the class's weight at the leaf less the sum over
/// the valid columns of `ln(2 pi variance) / 2`, computed as the log of a quotient (one
/// logarithm per update instead of one per column and one for the prior). A class's vote
/// for a row is then that constant plus `sum (x - mean)^2 * c`: the same value as the log
/// prior plus the columns' log densities up to rounding.
///
/// The weight is the same for every column (each row updates them all), so it is kept once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct GaussTable {
    n: f64,
    /// `COLS` blocks of `m` values: mean, second moment, min, max, `-1 / (2 variance)`.
    v: Vec<f64>,
    /// The log of the class's weight at the leaf (its naive Bayes prior, up to a term that
    /// is the same for every class) minus the normalising sum: a vote starts from it.
    bias: f64,
}

const MEAN: usize = 0;
const M2: usize = 1;
const MIN: usize = 2;
const MAX: usize = 3;
const NEG_HALF_INV_VAR: usize = 4;
const COLS: usize = 5;

/// `v` (positive, finite) as a mantissa in [1, 2) and a power of two; 0 as `(0, 0)` (a
/// variance or a product that underflowed: its logarithm is then `-inf`, as a column's own
/// would be).
#[inline]
fn split_exp(v: f64) -> (f64, i64) {
    if v == 0.0 {
        return (0.0, 0);
    }
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
            bias: f64::NEG_INFINITY,
        }
    }

    fn m(&self) -> usize {
        self.v.len() / COLS
    }

    /// Adds a row of weight `w` whose value in column `col` is `x[col]`; with `nb`, keeps the
    /// naive Bayes terms too, for a class whose weight at the leaf is now `class_w`.
    #[inline]
    pub(crate) fn update(&mut self, w: f64, nb: bool, x: &[f64], class_w: f64) {
        let m = self.m();
        self.n += w;
        let n = self.n;
        // A row of weight 0 moves no estimate; at a class's first row (no weight yet) the
        // share would be 0 / 0, whose NaN would stay in the means for good.
        let r = if n > 0.0 { w / n } else { 0.0 };
        let x = &x[..m];
        let (mean, rest) = self.v.split_at_mut(m);
        let (m2, rest) = rest.split_at_mut(m);
        let (min, rest) = rest.split_at_mut(m);
        let (max, c) = rest.split_at_mut(m);
        let c = &mut c[..m];
        for j in 0..m {
            let (xj, old) = (x[j], mean[j]);
            let new = old + r * (xj - old);
            mean[j] = new;
            m2[j] += w * (xj - old) * (xj - new);
            min[j] = min[j].min(xj);
            max[j] = max[j].max(xj);
        }
        if !nb {
            return;
        }
        // variance = m2 / (n - 1), valid while n > 1 and m2 > 0.
        let nm1 = n - 1.0;
        if nm1 <= 0.0 || class_w <= 0.0 {
            c.fill(0.0);
            self.bias = class_w.ln();
            return;
        }
        let h = -0.5 * nm1;
        let inv = 1.0 / nm1;
        // The product of the valid variances, as `prod * 2^exp`, with both factors kept
        // within 1e±150 so that no product over- or underflows (the rescaling is the rare
        // path: a straight product while every factor and the product stay in range).
        const LO: f64 = 1e-150;
        const HI: f64 = 1e150;
        let (mut prod, mut exp, mut k) = (1.0f64, 0i64, 0usize);
        for j in 0..m {
            let s = m2[j];
            if s > 0.0 {
                c[j] = h / s;
                k += 1;
                let var = s * inv;
                if (LO..=HI).contains(&var) {
                    prod *= var;
                } else {
                    let (mant, e) = split_exp(var);
                    prod *= mant;
                    exp += e;
                }
                if !(LO..=HI).contains(&prod) {
                    let (mant, e) = split_exp(prod);
                    prod = mant;
                    exp += e;
                }
            } else {
                c[j] = 0.0;
            }
        }
        // ln(class_w) minus the sum over valid columns of ln(2 pi variance) / 2, with one
        // logarithm: ln(class_w) - ln(prod) / 2 = -ln(prod / class_w^2) / 2.
        self.bias = if k == 0 {
            class_w.ln()
        } else {
            let (mw, ew) = split_exp(class_w);
            let q = prod / (mw * mw);
            let e = (exp - 2 * ew) as f64;
            -(k as f64) * HALF_LOG_TAU - 0.5 * (q.ln() + e * std::f64::consts::LN_2)
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

    /// The class's naive Bayes log vote for row `x` (one value per column): the log of its
    /// weight plus the log likelihood of `x` under the columns whose variance is positive
    /// (naive Bayes terms must be kept).
    #[inline]
    pub(crate) fn vote(&self, x: &[f64]) -> f64 {
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
        self.bias + ((acc[0] + acc[1]) + (acc[2] + acc[3]))
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

    /// A loaded table's check for a leaf watching `m` numeric features: five blocks of `m`
    /// values; the weight finite and not negative; each column's mean and second moment
    /// finite, its range unset (`+inf`, `-inf`) or finite and ordered, its naive Bayes
    /// term finite and not positive; the vote's constant not NaN nor `+inf` (a class of
    /// weight 0 has `-inf`).
    pub(crate) fn check(&self, m: usize) -> StateResult {
        ensure(self.v.len() == COLS * m, || {
            format!(
                "{} values where {m} numeric features take {}",
                self.v.len(),
                COLS * m
            )
        })?;
        nonneg("weight", self.n)?;
        let column = |j: usize| -> StateResult {
            let at = |block: usize| self.v[block * m + j];
            finite("mean", at(MEAN))?;
            finite("second moment", at(M2))?;
            let (lo, hi) = (at(MIN), at(MAX));
            ensure(
                (lo == f64::INFINITY && hi == f64::NEG_INFINITY)
                    || (lo.is_finite() && hi.is_finite() && lo <= hi),
                || format!("range [{lo}, {hi}] is neither unset nor finite and ordered"),
            )?;
            let c = at(NEG_HALF_INV_VAR);
            ensure(c.is_finite() && c <= 0.0, || {
                format!("naive Bayes term {c} is not finite and at most 0")
            })
        };
        for j in 0..m {
            within(format_args!("column {j}"), column(j))?;
        }
        ensure(!self.bias.is_nan() && self.bias != f64::INFINITY, || {
            format!("bias: {} is NaN or +inf", self.bias)
        })
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

    /// A loaded observer's check: the values finite, sorted and distinct (they are binary
    /// searched), one class distribution per value, each consistent for `n_classes`.
    pub(crate) fn check(&self, n_classes: usize) -> StateResult {
        all_finite("values", &self.values)?;
        for (k, w) in self.values.windows(2).enumerate() {
            ensure(w[0].total_cmp(&w[1]).is_lt(), || {
                format!("values: not increasing at positions {k} and {}", k + 1)
            })?;
        }
        ensure(self.per_value.len() == self.values.len(), || {
            format!(
                "{} class distributions for {} values",
                self.per_value.len(),
                self.values.len()
            )
        })?;
        for (k, d) in self.per_value.iter().enumerate() {
            within(format_args!("value {k}"), d.check(n_classes))?;
        }
        Ok(())
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

/// A numeric feature kept value by value (River's `ExhaustiveSplitter`, Domingos and Hulten's
/// exhaustive observer): a binary search tree of the values seen, each node with the class
/// weights of the values at or below its value and above it that passed through it.
///
/// Every value is a candidate threshold. The split estimates are River's, including its
/// bookkeeping quirk: River moves class weights between the two sides with `Counter`
/// arithmetic and `dict.update`, so an entry whose new weight would be 0 or less keeps its
/// previous weight instead of dropping. The two sides' weights then need not add up to the
/// node's, and the largest value can look like a valid split; this observer does the same
/// (a port that zeroed those entries would grow other trees than River's).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct ExhaustiveObserver {
    /// The nodes; the root is node 0.
    nodes: Vec<ExhaustiveNode>,
    /// One more than the largest class id seen (the width of every node's counts).
    k: usize,
}

/// No child.
const NONE: usize = usize::MAX;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct ExhaustiveNode {
    cut: f64,
    left: usize,
    right: usize,
    /// Per class id, the weight of the values `<= cut` that passed through (at `2 id`) and
    /// of those `> cut` (at `2 id + 1`); a missing entry is 0.
    counts: Vec<f64>,
}

impl ExhaustiveNode {
    fn new(cut: f64, class: usize, w: f64) -> Self {
        let mut n = ExhaustiveNode {
            cut,
            left: NONE,
            right: NONE,
            counts: Vec::new(),
        };
        n.add(2 * class, w);
        n
    }

    fn add(&mut self, slot: usize, w: f64) {
        if self.counts.len() <= slot {
            self.counts.resize((slot | 1) + 1, 0.0);
        }
        self.counts[slot] += w;
    }

    /// The weight of class `c` at or below the cut.
    fn le(&self, c: usize) -> f64 {
        self.counts.get(2 * c).copied().unwrap_or(0.0)
    }

    /// The weight of class `c` above the cut.
    fn gt(&self, c: usize) -> f64 {
        self.counts.get(2 * c + 1).copied().unwrap_or(0.0)
    }
}

/// River's `d.update(Counter(d) ± Counter(b))` for one class: the result replaces the entry
/// only when positive (a `Counter` drops the others, and `update` then leaves the entry as
/// it was). Entries are never negative, and 0 stands for an absent one.
#[inline]
fn kept(old: f64, result: f64) -> f64 {
    if result > 0.0 { result } else { old }
}

impl ExhaustiveObserver {
    /// Adds value `x` of class `class` with weight `w` (not negative).
    pub(crate) fn update(&mut self, x: f64, class: usize, w: f64) {
        self.k = self.k.max(class + 1);
        if self.nodes.is_empty() {
            self.nodes.push(ExhaustiveNode::new(x, class, w));
            return;
        }
        let fresh = self.nodes.len();
        let mut i = 0;
        loop {
            let node = &mut self.nodes[i];
            let next = if x == node.cut {
                node.add(2 * class, w);
                return;
            } else if x < node.cut {
                node.add(2 * class, w);
                &mut node.left
            } else {
                node.add(2 * class + 1, w);
                &mut node.right
            };
            if *next == NONE {
                *next = fresh;
                self.nodes.push(ExhaustiveNode::new(x, class, w));
                return;
            }
            i = *next;
        }
    }

    /// Approximate bytes held.
    pub(crate) fn bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.nodes.capacity() * std::mem::size_of::<ExhaustiveNode>()
            + self
                .nodes
                .iter()
                .map(|n| n.counts.capacity() * 8)
                .sum::<usize>()
    }

    /// A loaded observer's check: at most `n_classes` classes (the width of every node's
    /// counts); the nodes a binary search tree from node 0, every child index in range and
    /// every node reached once (the walks descend until a missing child); every value
    /// finite and every count finite and not negative, two per class at most.
    pub(crate) fn check(&self, n_classes: usize) -> StateResult {
        ensure(self.k <= n_classes, || {
            format!("k: {} classes where the tree has {n_classes}", self.k)
        })?;
        let len = self.nodes.len();
        let node = |n: &ExhaustiveNode| -> StateResult {
            finite("value", n.cut)?;
            ensure(n.counts.len() <= 2 * self.k, || {
                format!("{} counts for {} classes", n.counts.len(), self.k)
            })?;
            all_nonneg("counts", &n.counts)?;
            for c in [n.left, n.right] {
                ensure(c == NONE || c < len, || {
                    format!("child {c} out of range (0..{len})")
                })?;
            }
            Ok(())
        };
        for (i, n) in self.nodes.iter().enumerate() {
            within(format_args!("node {i}"), node(n))?;
        }
        if len == 0 {
            return Ok(());
        }
        let mut seen = vec![false; len];
        let mut stack = vec![0usize];
        let mut reached = 0;
        while let Some(i) = stack.pop() {
            ensure(!std::mem::replace(&mut seen[i], true), || {
                format!("node {i}: reached twice (a cycle or a shared node)")
            })?;
            reached += 1;
            let n = &self.nodes[i];
            stack.extend([n.left, n.right].into_iter().filter(|&c| c != NONE));
        }
        ensure(reached == len, || {
            format!("{len} nodes, {reached} reachable from node 0")
        })
    }

    /// The best split of the feature: each value seen as the threshold `x <= value`, the
    /// first best in [`candidates`](Self::candidates) order kept.
    pub(crate) fn best_split(&self, feature: usize, eval: &Evaluation<'_>) -> Suggestion {
        let mut best = Suggestion::null();
        let mut post = [ClassDist::default(), ClassDist::default()];
        self.candidates(|cut, l, r| {
            post[0].set_positive(l);
            post[1].set_positive(r);
            let merit = eval.merit(&post);
            if merit > best.merit {
                best = Suggestion {
                    merit,
                    feature: Some(feature),
                    test: Some(Test::Le(cut)),
                    children: post.to_vec(),
                };
            }
        });
        best
    }

    /// Calls `visit(value, left, right)` for each value seen, with River's estimates of the
    /// class weights (by id, 0 for absent) at or below the value and above it (see the
    /// type), the nodes in pre-order (a node, its left subtree, its right subtree).
    fn candidates(&self, mut visit: impl FnMut(f64, &[f64], &[f64])) {
        if self.nodes.is_empty() {
            return;
        }
        let k = self.k;
        // Nodes to visit: (node, its parent, whether it is its parent's left child), and for
        // each, at the same position in `parents`, its parent's estimate of the two sides
        // (left weights then right, `k` each).
        let mut stack = vec![(0usize, NONE, false)];
        let mut parents = vec![0.0; 2 * k];
        let mut sides = vec![0.0; 2 * k];
        while let Some((i, parent, is_left)) = stack.pop() {
            let node = &self.nodes[i];
            let p = &parents[stack.len() * 2 * k..];
            let (l, r) = sides.split_at_mut(k);
            if parent == NONE {
                for c in 0..k {
                    l[c] = node.le(c);
                    r[c] = node.gt(c);
                }
            } else {
                let pn = &self.nodes[parent];
                for c in 0..k {
                    let (mut lc, mut rc) = (p[c], p[k + c]);
                    if is_left {
                        // The weight at the parent's own value (meant to be), moved right
                        // with this node's right subtree.
                        let mut exact = pn.le(c);
                        exact = kept(exact, exact - node.le(c));
                        exact = kept(exact, exact - node.gt(c));
                        lc = kept(lc, lc - node.gt(c));
                        rc = kept(rc, rc + node.gt(c));
                        rc = kept(rc, rc + exact);
                        lc = kept(lc, lc - exact);
                    } else {
                        lc = kept(lc, lc + node.le(c));
                        rc = kept(rc, rc - node.le(c));
                    }
                    l[c] = lc;
                    r[c] = rc;
                }
            }
            parents.truncate(stack.len() * 2 * k);
            visit(node.cut, l, r);
            // Right pushed first, so that the left subtree is visited first.
            for (child, left) in [(node.right, false), (node.left, true)] {
                if child != NONE {
                    stack.push((child, i, left));
                    parents.extend_from_slice(&sides);
                }
            }
        }
    }
}

/// A numeric feature summarised by a streaming histogram per class (River's
/// `HistogramSplitter`, on Ben-Haim and Tom-Tov's histograms): at most `max_bins` bins per
/// class, and up to `n_splits` candidate thresholds spread evenly between the smallest bin's
/// and the largest bins' right edges.
///
/// River's rules are kept: a row of weight `w` counts `floor(w)` times (a row of weight below
/// 1 is not counted, and a class gets its histogram at its first counted row); the upper end
/// of the candidates is the smallest of the classes' largest right edges; each side's class
/// weights are the leaf's weight of the class times the histogram's distribution function at
/// the threshold (classes without a histogram are left out, zeros kept); and the density
/// naive Bayes reads is the count of the bin after the one holding the value, interpolated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct HistogramObserver {
    max_bins: usize,
    /// By class id.
    hists: Vec<Option<Histogram>>,
}

/// A streaming histogram (Ben-Haim and Tom-Tov, 2010, as River's `sketch.Histogram`): sorted
/// disjoint bins, the two whose right edges are closest merged when there are too many.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Histogram {
    /// The number of values counted.
    n: u64,
    bins: Vec<Bin>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
struct Bin {
    left: f64,
    right: f64,
    count: u64,
}

impl Histogram {
    /// Counts `x` `times` times (the same as counting it once and then adding to the bin
    /// that holds it: no bin is added after the first).
    fn update(&mut self, x: f64, times: u64, max_bins: usize) {
        self.n = self.n.saturating_add(times);
        let bin = Bin {
            left: x,
            right: x,
            count: times,
        };
        let lo = self.bins.partition_point(|b| b.right < x);
        if lo == self.bins.len() {
            self.bins.push(bin);
        } else if x >= self.bins[lo].left {
            let b = &mut self.bins[lo];
            b.count = b.count.saturating_add(times);
        } else {
            self.bins.insert(lo, bin);
        }
        if self.bins.len() > max_bins && self.bins.len() >= 2 {
            // Merge the first pair of closest right edges.
            let mut at = 0;
            let mut min = f64::INFINITY;
            for (j, w) in self.bins.windows(2).enumerate() {
                let d = w[1].right - w[0].right;
                if d < min {
                    min = d;
                    at = j;
                }
            }
            let next = self.bins.remove(at + 1);
            let b = &mut self.bins[at];
            b.left = b.left.min(next.left);
            b.right = b.right.max(next.right);
            b.count = b.count.saturating_add(next.count);
        }
    }

    /// A loaded histogram's check: at most `max_bins` bins, each with finite edges in order
    /// and a count of at least 1, the bins sorted and disjoint (values are placed by binary
    /// search), and the number counted the sum of their counts.
    fn check(&self, max_bins: usize) -> StateResult {
        ensure(self.bins.len() <= max_bins, || {
            format!("{} bins, more than {max_bins}", self.bins.len())
        })?;
        let mut sum = 0u64;
        let bin = |b: &Bin| -> StateResult {
            ensure(
                b.left.is_finite() && b.right.is_finite() && b.left <= b.right,
                || format!("edges [{}, {}] are not finite and ordered", b.left, b.right),
            )?;
            ensure(b.count >= 1, || "an empty bin".into())
        };
        for (j, b) in self.bins.iter().enumerate() {
            within(format_args!("bin {j}"), bin(b))?;
            sum = sum
                .checked_add(b.count)
                .ok_or_else(|| format!("bin {j}: the counts overflow"))?;
        }
        for (j, w) in self.bins.windows(2).enumerate() {
            ensure(w[0].right < w[1].left, || {
                format!("bins {j} and {}: not sorted and disjoint", j + 1)
            })?;
        }
        ensure(self.n == sum, || {
            format!("n: {} values counted, the bins hold {sum}", self.n)
        })
    }

    /// The distribution function at `x`, from the bins from `cursor.0` on (`cursor`: the
    /// first bin whose right edge is above the previous `x`, and the count before it; `x`
    /// must not decrease from call to call).
    fn cdf_from(&self, x: f64, cursor: &mut (usize, u64)) -> f64 {
        if self.n == 0 {
            return 0.0;
        }
        let (j, before) = cursor;
        while *j < self.bins.len() && x >= self.bins[*j].right {
            *before += self.bins[*j].count;
            *j += 1;
        }
        let n = self.n as f64;
        if let Some(b) = self.bins.get(*j)
            && x > b.left
        {
            return (*before as f64 + (b.count as f64 * (x - b.left)) / (b.right - b.left)) / n;
        }
        *before as f64 / n
    }

    /// River's density of `x`: the bin after the one holding `x` (the last bin beyond
    /// them), its count over the total, interpolated from its left edge when it is wider
    /// than a point (negative left of it).
    fn density(&self, x: f64) -> f64 {
        if self.n == 0 {
            return 0.0;
        }
        let i = self.bins.partition_point(|b| b.left <= x);
        let Some(b) = self.bins.get(i).or(self.bins.last()) else {
            return 0.0;
        };
        let n = self.n as f64;
        if b.left == b.right {
            b.count as f64 / n
        } else {
            (b.count as f64 * (x - b.left) / (b.right - b.left)) / n
        }
    }
}

impl HistogramObserver {
    /// An empty observer of at most `max_bins` bins per class.
    pub(crate) fn new(max_bins: usize) -> Self {
        HistogramObserver {
            max_bins,
            hists: Vec::new(),
        }
    }

    /// A loaded observer's check: room for at least one bin, at most one histogram per class
    /// of the tree (`n_classes`), each consistent.
    pub(crate) fn check(&self, n_classes: usize) -> StateResult {
        ensure(self.max_bins >= 1, || {
            "max_bins: 0 is not at least 1".into()
        })?;
        ensure(self.hists.len() <= n_classes, || {
            format!(
                "histograms for {} classes where the tree has {n_classes}",
                self.hists.len()
            )
        })?;
        for (c, h) in self.hists.iter().enumerate() {
            if let Some(h) = h {
                within(format_args!("class {c}"), h.check(self.max_bins))?;
            }
        }
        Ok(())
    }

    /// Counts value `x` of class `class` `floor(w)` times (River's rule).
    pub(crate) fn update(&mut self, x: f64, class: usize, w: f64) {
        // `as` truncates toward 0 and saturates (w is finite and not negative).
        let times = w as u64;
        if times == 0 {
            return;
        }
        if self.hists.len() <= class {
            self.hists.resize(class + 1, None);
        }
        self.hists[class]
            .get_or_insert_with(Histogram::default)
            .update(x, times, self.max_bins);
    }

    /// River's `p(x | class)` (see the type); 0 for a class without a histogram.
    pub(crate) fn cond_proba(&self, x: f64, class: usize) -> f64 {
        match self.hists.get(class) {
            Some(Some(h)) => h.density(x),
            _ => 0.0,
        }
    }

    /// Approximate bytes held.
    pub(crate) fn bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.hists.capacity() * std::mem::size_of::<Option<Histogram>>()
            + self
                .hists
                .iter()
                .flatten()
                .map(|h| h.bins.capacity() * std::mem::size_of::<Bin>())
                .sum::<usize>()
    }

    /// The best split of the feature among up to `n_splits` thresholds (River's, see the
    /// type), the first best kept.
    pub(crate) fn best_split(
        &self,
        feature: usize,
        n_splits: usize,
        eval: &Evaluation<'_>,
    ) -> Suggestion {
        let mut best = Suggestion::null();
        let hists = || self.hists.iter().flatten();
        let (mut low, mut high, mut most) = (f64::INFINITY, f64::INFINITY, 0usize);
        for h in hists() {
            let (Some(first), Some(last)) = (h.bins.first(), h.bins.last()) else {
                continue;
            };
            low = low.min(first.right);
            high = high.min(last.right);
            most = most.max(h.bins.len());
        }
        // Also when no class has a histogram yet (River has no answer then).
        if low >= high {
            return best;
        }
        let k = n_splits.min(most - 1);
        let step = (high - low) / (k as f64 + 1.0);
        let total = eval.pre.iter().fold(0.0, |s, (_, w)| s + w);
        let mut cursors = vec![(0usize, 0u64); self.hists.len()];
        let mut t = low;
        for _ in 0..k {
            t += step;
            let mut post = [ClassDist::default(), ClassDist::default()];
            for (c, w) in eval.pre.iter() {
                let Some(Some(h)) = self.hists.get(c) else {
                    continue;
                };
                let p = h.cdf_from(t, &mut cursors[c]);
                let share = total * (w / total);
                post[0].add(c, share * p);
                post[1].add(c, share * (1.0 - p));
            }
            let merit = eval.merit(&post);
            if merit > best.merit {
                best = Suggestion {
                    merit,
                    feature: Some(feature),
                    test: Some(Test::Le(t)),
                    children: post.to_vec(),
                };
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_exp_takes_zeros_subnormals_and_normals() {
        // Zero once recursed for ever (a variance that underflowed, from a fuzzed checkpoint).
        assert_eq!(split_exp(0.0), (0.0, 0));
        assert_eq!(split_exp(-0.0), (0.0, 0));
        for v in [
            f64::from_bits(1),
            1e-310,
            1e-300,
            0.75,
            1.0,
            3.0,
            1e300,
            f64::MAX,
        ] {
            let (m, e) = split_exp(v);
            assert!((1.0..2.0).contains(&m), "{v}: {m}");
            assert_eq!(
                m * 2f64.powi(e as i32 / 2) * 2f64.powi(e as i32 - e as i32 / 2),
                v
            );
        }
    }

    /// River's candidates of the exhaustive splitter after `rows` (value, class), by value.
    fn exhaustive_candidates(rows: &[(f64, usize)]) -> Vec<(f64, Vec<f64>, Vec<f64>)> {
        let mut o = ExhaustiveObserver::default();
        for &(x, c) in rows {
            o.update(x, c, 1.0);
        }
        let mut out = Vec::new();
        o.candidates(|cut, l, r| out.push((cut, l.to_vec(), r.to_vec())));
        out
    }

    #[test]
    fn the_exhaustive_splitter_keeps_river_s_stale_weights() {
        // 5A 3A 4A 6B 7B 1B (A = 0, B = 1): the spec's example. River's `Counter` updates
        // leave an entry whose new weight would be 0 at its old weight.
        let (a, b) = (0, 1);
        let rows = [(5.0, a), (3.0, a), (4.0, a), (6.0, b), (7.0, b), (1.0, b)];
        let got = exhaustive_candidates(&rows);
        // Pre-order: the root, its left subtree, its right subtree.
        let cuts: Vec<f64> = got.iter().map(|c| c.0).collect();
        assert_eq!(cuts, [5.0, 3.0, 1.0, 4.0, 6.0, 7.0]);
        let at = |v: f64| got.iter().find(|c| c.0 == v).unwrap();
        // The root: exact.
        assert_eq!(
            (at(5.0).1.clone(), at(5.0).2.clone()),
            (vec![3.0, 1.0], vec![0.0, 2.0])
        );
        // Node 1: [{A: 1, B: 1}, {B: 4, A: 3}] (9 in all for 6 rows).
        assert_eq!(
            (at(1.0).1.clone(), at(1.0).2.clone()),
            (vec![1.0, 1.0], vec![3.0, 4.0])
        );
        // The largest value: [{A: 3, B: 3}, {B: 1}] where {} is meant.
        assert_eq!(
            (at(7.0).1.clone(), at(7.0).2.clone()),
            (vec![3.0, 3.0], vec![0.0, 1.0])
        );
    }

    #[test]
    fn the_exhaustive_splitter_counts_repeated_values_once_per_node() {
        let got = exhaustive_candidates(&[(2.0, 0), (2.0, 1), (2.0, 0), (1.0, 1)]);
        assert_eq!(got.len(), 2);
        assert_eq!(
            (got[0].1.clone(), got[0].2.clone()),
            (vec![2.0, 2.0], vec![0.0, 0.0])
        );
    }

    fn histogram(values: &[f64], max_bins: usize) -> Histogram {
        let mut h = Histogram::default();
        for &x in values {
            h.update(x, 1, max_bins);
        }
        h
    }

    #[test]
    fn the_histogram_distribution_function_is_river_s() {
        // River's `iter_cdf` example: 0, 1, 2, 3 read at -1, 0, .5, 1, 2.5, 3.5.
        let h = histogram(&[0.0, 1.0, 2.0, 3.0], 256);
        let mut cursor = (0, 0);
        let got: Vec<f64> = [-1.0, 0.0, 0.5, 1.0, 2.5, 3.5]
            .iter()
            .map(|&x| h.cdf_from(x, &mut cursor))
            .collect();
        assert_eq!(got, [0.0, 0.25, 0.25, 0.5, 0.75, 1.0]);
        // Inside a merged bin, interpolated from its left edge.
        let h = histogram(&[0.0, 1.0, 3.0], 2);
        assert_eq!(h.bins.len(), 2);
        assert_eq!(
            (h.bins[0].left, h.bins[0].right, h.bins[0].count),
            (0.0, 1.0, 2)
        );
        assert_eq!(h.cdf_from(0.5, &mut (0, 0)), (0.0 + 2.0 * 0.5 / 1.0) / 3.0);
    }

    #[test]
    fn histogram_bins_merge_the_closest_right_edges_first_and_counts_repeat() {
        // Right edges 0, 10, 11, 30: the closest pair is (10, 11).
        let h = histogram(&[0.0, 10.0, 11.0, 30.0], 3);
        let edges: Vec<(f64, f64, u64)> =
            h.bins.iter().map(|b| (b.left, b.right, b.count)).collect();
        assert_eq!(edges, [(0.0, 0.0, 1), (10.0, 11.0, 2), (30.0, 30.0, 1)]);
        // A value counted `k` times is the value counted once `k` times.
        let mut once = histogram(&[0.0, 10.0, 11.0], 2);
        let mut many = once.clone();
        for _ in 0..5 {
            once.update(4.0, 1, 2);
        }
        many.update(4.0, 5, 2);
        assert_eq!(once, many);
        // A row of weight 2.7 counts twice, one of weight 0.5 not at all.
        let mut o = HistogramObserver::new(8);
        o.update(1.0, 1, 0.5);
        assert_eq!(o.cond_proba(1.0, 1), 0.0);
        o.update(1.0, 1, 2.7);
        assert_eq!(o.hists[1].as_ref().map(|h| h.n), Some(2));
    }

    #[test]
    fn the_histogram_density_reads_the_bin_after_the_value_s() {
        // Bins [0, 1]: 2 and [3, 3]: 1, as above.
        let h = histogram(&[0.0, 1.0, 3.0], 2);
        // 0.5 lies in the first bin, but River reads the next one: a point, count / n.
        assert_eq!(h.density(0.5), 1.0 / 3.0);
        // Left of every bin: the first, interpolated from its left edge (negative).
        assert_eq!(h.density(-1.0), -2.0 / 3.0);
        // Beyond them: the last.
        assert_eq!(h.density(7.0), 1.0 / 3.0);
    }

    #[test]
    fn a_zero_weight_first_row_leaves_the_gaussian_table_finite() {
        let mut t = GaussTable::new(2);
        t.update(0.0, true, &[1.0, 2.0], 0.0);
        t.update(1.0, true, &[1.5, 3.0], 1.0);
        assert!(t.v.iter().all(|v| !v.is_nan()), "{:?}", t.v);
        assert_eq!(t.gaussian(0).variance(), 0.0);
        assert_eq!(t.range(1), (2.0, 3.0));
    }

    #[test]
    fn corrupted_observers_are_refused_naming_the_part() {
        let mut o = ExhaustiveObserver::default();
        for (i, x) in [5.0, 3.0, 4.0, 6.0, 7.0, 1.0].into_iter().enumerate() {
            o.update(x, i % 2, 1.0);
        }
        o.check(2).unwrap();
        assert!(
            o.check(1)
                .unwrap_err()
                .contains("k: 2 classes where the tree has 1")
        );
        // A child link back to the root: an update would loop.
        let mut bad = o.clone();
        bad.nodes[3].right = 0;
        assert!(bad.check(2).unwrap_err().contains("node 0: reached twice"));
        let mut bad = o.clone();
        bad.nodes[1].left = 6;
        assert!(
            bad.check(2)
                .unwrap_err()
                .contains("node 1: child 6 out of range (0..6)")
        );
        let mut bad = o.clone();
        bad.nodes[2].counts = vec![1.0; 5];
        assert!(
            bad.check(2)
                .unwrap_err()
                .contains("node 2: 5 counts for 2 classes")
        );

        let mut h = HistogramObserver::new(3);
        for x in [0.0, 10.0, 11.0, 30.0, 2.0] {
            h.update(x, 1, 1.0);
        }
        h.check(2).unwrap();
        let mut bad = h.clone();
        bad.hists[1].as_mut().unwrap().bins.swap(0, 1);
        assert!(
            bad.check(2)
                .unwrap_err()
                .contains("class 1: bins 0 and 1: not sorted and disjoint")
        );
        let mut bad = h.clone();
        bad.hists[1].as_mut().unwrap().n += 1;
        assert!(bad.check(2).unwrap_err().contains("class 1: n: 6"));
        let mut bad = h.clone();
        bad.max_bins = 2;
        assert!(bad.check(2).unwrap_err().contains("3 bins, more than 2"));

        let mut n = NominalObserver::default();
        for (x, c) in [(2.0, 0), (0.0, 1), (1.0, 0)] {
            n.update(x, c, 1.0);
        }
        n.check(2).unwrap();
        let mut bad = n.clone();
        bad.values.swap(0, 2);
        assert!(bad.check(2).unwrap_err().contains("values: not increasing"));
        let mut bad = n.clone();
        bad.per_value.pop();
        assert!(
            bad.check(2)
                .unwrap_err()
                .contains("2 class distributions for 3 values")
        );

        let t = GaussTable::new(3);
        t.check(3).unwrap();
        assert!(
            t.check(2)
                .unwrap_err()
                .contains("15 values where 2 numeric features")
        );
    }
}
