//! Attribute observers of the classification trees: per feature, what a leaf knows of the
//! feature's values by class, the split candidates it suggests, and the class-conditional
//! densities naive Bayes leaves predict with.

use serde::{Deserialize, Serialize};

use crate::criterion::SplitCriterion;
use crate::stats::{ClassDist, Gaussian};

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
/// the leaf), and the class distributions of its children.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Suggestion {
    pub(crate) merit: f64,
    pub(crate) feature: Option<usize>,
    pub(crate) test: Option<Test>,
    pub(crate) children: Vec<ClassDist>,
}

impl Suggestion {
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

/// One feature's observer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum Observer {
    /// A numeric feature: a normal per class (River's `GaussianSplitter`).
    Gaussian(GaussianObserver),
    /// A nominal feature: counts per value and class.
    Nominal(NominalObserver),
}

impl Observer {
    pub(crate) fn update(&mut self, x: f64, class: usize, w: f64) {
        match self {
            Observer::Gaussian(o) => o.update(x, class, w),
            Observer::Nominal(o) => o.update(x, class, w),
        }
    }

    /// The log of `p(x | class)` for naive Bayes, `None` when it adds nothing (River skips a
    /// numeric feature whose density is 0 or undefined, and a nominal value never seen
    /// with the class).
    pub(crate) fn log_likelihood(&self, x: f64, class: usize) -> Option<f64> {
        match self {
            Observer::Gaussian(o) => {
                let lp = o.per_class.get(class)?.as_ref()?.g.log_pdf(x);
                (lp > f64::NEG_INFINITY).then_some(lp)
            }
            Observer::Nominal(o) => {
                let p = o.cond_proba(x, class);
                (p > 0.0).then(|| p.ln())
            }
        }
    }

    /// The best split this feature offers.
    pub(crate) fn best_split(&self, feature: usize, eval: &Evaluation<'_>) -> Suggestion {
        match self {
            Observer::Gaussian(o) => o.best_split(feature, eval),
            Observer::Nominal(o) => o.best_split(feature, eval),
        }
    }

    /// Approximate bytes held.
    pub(crate) fn bytes(&self) -> usize {
        match self {
            Observer::Gaussian(o) => {
                24 + o.per_class.capacity() * std::mem::size_of::<Option<ClassGaussian>>()
            }
            Observer::Nominal(o) => {
                32 + o.values.capacity() * 8
                    + o.per_value.iter().map(ClassDist::bytes).sum::<usize>()
            }
        }
    }
}

/// A class's normal, and the smallest and largest value it has seen.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct ClassGaussian {
    g: Gaussian,
    min: f64,
    max: f64,
}

/// A numeric feature by class: a normal each, and the candidate thresholds spread evenly
/// between the smallest and the largest value seen.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct GaussianObserver {
    per_class: Vec<Option<ClassGaussian>>,
    n_splits: usize,
}

impl GaussianObserver {
    pub(crate) fn new(n_splits: usize) -> Self {
        GaussianObserver {
            per_class: Vec::new(),
            n_splits,
        }
    }

    fn update(&mut self, x: f64, class: usize, w: f64) {
        if self.per_class.len() <= class {
            self.per_class.resize(class + 1, None);
        }
        let c = self.per_class[class].get_or_insert(ClassGaussian {
            g: Gaussian::default(),
            min: x,
            max: x,
        });
        if x < c.min {
            c.min = x;
        }
        if x > c.max {
            c.max = x;
        }
        c.g.update(x, w);
    }

    fn classes(&self) -> impl Iterator<Item = (usize, &ClassGaussian)> {
        self.per_class
            .iter()
            .enumerate()
            .filter_map(|(id, c)| c.as_ref().map(|c| (id, c)))
    }

    fn best_split(&self, feature: usize, eval: &Evaluation<'_>) -> Suggestion {
        let mut best = Suggestion::null();
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for (_, c) in self.classes() {
            lo = lo.min(c.min);
            hi = hi.max(c.max);
        }
        if lo == f64::INFINITY {
            return best;
        }
        let bin = (hi - lo) / (self.n_splits as f64 + 1.0);
        for i in 0..self.n_splits {
            let t = lo + bin * (i + 1) as f64;
            if !(lo < t && t < hi) {
                continue;
            }
            let post = self.class_dists(t);
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

    /// The class weights each side of threshold `t`, the normals' shares of each class
    /// where `t` falls inside its range.
    fn class_dists(&self, t: f64) -> [ClassDist; 2] {
        let (mut lhs, mut rhs) = (ClassDist::default(), ClassDist::default());
        for (id, c) in self.classes() {
            let n = c.g.n;
            if t < c.min {
                rhs.add(id, n);
            } else if t >= c.max {
                lhs.add(id, n);
            } else {
                let l = c.g.cdf(t) * n;
                lhs.add(id, l);
                rhs.add(id, n - l);
            }
        }
        [lhs, rhs]
    }
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
    fn update(&mut self, x: f64, class: usize, w: f64) {
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

    /// `p(value | class)`: the class's weight at `x` over its weight at every value.
    fn cond_proba(&self, x: f64, class: usize) -> f64 {
        let Ok(k) = self.values.binary_search_by(|v| v.total_cmp(&x)) else {
            return 0.0;
        };
        let Some(at) = self.per_value[k].get(class) else {
            return 0.0;
        };
        let total: f64 = self.per_value.iter().filter_map(|d| d.get(class)).sum();
        if total == 0.0 { 0.0 } else { at / total }
    }

    fn best_split(&self, feature: usize, eval: &Evaluation<'_>) -> Suggestion {
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
