//! Streaming metrics for prequential evaluation: cumulative and rolling (over the last `window`
//! rows) classification and regression scores.
//!
//! The definitions follow scikit-learn's (population statistics, no sample weights), so a stream
//! scored here and the same arrays scored by scikit-learn agree:
//!
//! * `accuracy`: the share of rows whose prediction equals the label. A row without a prediction
//!   (the model knew no class yet) counts as wrong.
//! * `balanced_accuracy`: the mean recall over the classes present among the true labels.
//! * `f1`: when exactly two classes have been seen (among the true labels and the predictions),
//!   the F1 score of the positive class, the larger label (see [`ClassSet::positive`]);
//!   otherwise the macro average of the per-class F1 scores over the classes seen. A row without
//!   a prediction is a false negative of its true class.
//! * `log_loss`: the mean of `-ln p`, where `p` is the probability the model gave the true
//!   label (0 for a label the model does not know), clipped to `[1e-15, 1 - 1e-15]`. A row
//!   without probabilities scores the uniform `p = 1/k` for the `k` labels (true or
//!   predicted) seen before it, with `k` at least 2: `1/2` when none or one was seen.
//! * `roc_auc`: the exact area under the ROC curve (ties count one half, as with average
//!   ranks), defined only while exactly two classes have been seen among the true labels. See
//!   [`ClassificationMetrics`] for the score of each row. Exact for the first
//!   [`EXACT_AUC_ROWS`] scored rows (4,194,304); a longer stream's scores are binned
//!   ([`AUC_BINS`] bins), so memory stays bounded whatever the length.
//! * `mae`, `rmse`, `r2`: mean absolute error, root mean squared error, and
//!   `1 - SSE / SST` with `SST` the total sum of squares around the mean of the true values.
//!
//! Each metric also comes as `rolling_<name>`, the same metric computed on the last `window`
//! rows only.
//!
//! Clustering ([`ClusteringMetrics`], [`adjusted_rand_index`]):
//!
//! * `inertia`: the sum over the rows of the squared Euclidean distance from the row to the
//!   center of the cluster it was assigned (scikit-learn's `inertia_` when the assignment is the
//!   nearest center of the final centers; on a prequential stream, the center predicted before
//!   the row was learned).
//! * `ari`: the adjusted Rand index of the predicted clusters against the true labels,
//!   computed exactly from the contingency table as scikit-learn's `adjusted_rand_score`
//!   (1 for identical partitions, about 0 for independent ones, 1 as well when both put every
//!   row in one cluster or every row in its own).
//! * `silhouette`: the mean silhouette coefficient (scikit-learn's `silhouette_score`,
//!   Euclidean: for each row, `(b - a) / max(a, b)` with `a` its mean distance to the other
//!   rows of its cluster and `b` the smallest mean distance to the rows of another cluster;
//!   0 for a row alone in its cluster or where `a = b = 0`), computed on a seeded reservoir
//!   sample of the rows with their predicted clusters ([`silhouette_score`] for a whole set).

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

use crate::dataset::Batch;
use crate::label::{ClassSet, Label};
use crate::row::{FeatureVector, Row, SparseRow};

/// Probabilities are clipped to `[EPS, 1 - EPS]` before the logarithm of the log loss.
const EPS: f64 = 1e-15;

/// Marks "no prediction" in a row's predicted class id.
const NO_PRED: u32 = u32::MAX;

/// Names of the classification metrics, in the order of [`ClassificationMetrics::values`].
pub const CLASSIFICATION_METRICS: [&str; 10] = [
    "accuracy",
    "balanced_accuracy",
    "f1",
    "log_loss",
    "roc_auc",
    "rolling_accuracy",
    "rolling_balanced_accuracy",
    "rolling_f1",
    "rolling_log_loss",
    "rolling_roc_auc",
];

/// Names of the regression metrics, in the order of [`RegressionMetrics::values`].
pub const REGRESSION_METRICS: [&str; 6] = [
    "mae",
    "rmse",
    "r2",
    "rolling_mae",
    "rolling_rmse",
    "rolling_r2",
];

/// A fixed-capacity ring of the last `window` rows. It grows by pushing until full (so a huge
/// window costs only what is used), then overwrites the oldest row.
#[derive(Clone, Debug)]
struct Ring<T> {
    window: usize,
    items: Vec<T>,
    /// When full, the position of the oldest item (the next to be overwritten).
    head: usize,
}

impl<T> Ring<T> {
    fn new(window: usize) -> Self {
        Ring {
            window,
            items: Vec::new(),
            head: 0,
        }
    }

    fn push(&mut self, item: T) {
        if self.window == 0 {
            return;
        }
        if self.items.len() < self.window {
            self.items.push(item);
        } else {
            self.items[self.head] = item;
            self.head = (self.head + 1) % self.window;
        }
    }

    /// The rows in the window, in no particular order.
    fn items(&self) -> &[T] {
        &self.items
    }

    fn items_mut(&mut self) -> &mut [T] {
        &mut self.items
    }
}

/// The exact ROC AUC of `(score, is_positive)` pairs, sorting them; ties between scores get
/// their average rank (the Mann-Whitney statistic). `None` unless both kinds are present.
fn roc_auc(pairs: &mut [(f64, bool)]) -> Option<f64> {
    let n_pos = pairs.iter().filter(|p| p.1).count();
    let n_neg = pairs.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    // -0.0 and 0.0 are the same score (an empty sum is -0.0); `total_cmp` would split them.
    for p in pairs.iter_mut() {
        if p.0 == 0.0 {
            p.0 = 0.0;
        }
    }
    pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    // Sum of the (1-based, tie-averaged) ranks of the positives.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < pairs.len() {
        let mut j = i + 1;
        while j < pairs.len() && pairs[j].0.total_cmp(&pairs[i].0).is_eq() {
            j += 1;
        }
        // Rows i..j share a score; their ranks i+1..=j average to (i + 1 + j) / 2.
        let avg_rank = (i + 1 + j) as f64 / 2.0;
        let pos_in_tie = pairs[i..j].iter().filter(|p| p.1).count();
        rank_sum += avg_rank * pos_in_tie as f64;
        i = j;
    }
    let (p, n) = (n_pos as f64, n_neg as f64);
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * n))
}

/// Scored rows the ROC AUC keeps exactly (16 bytes each, 64 MiB at most); past them, the
/// scores are binned (see [`AUC_BINS`]) so that a stream of any length holds bounded memory.
pub const EXACT_AUC_ROWS: usize = 1 << 22;

/// Equal-width bins of the positive class's probability over `[0, 1]` once the ROC AUC
/// stops keeping scores exactly: pairs in one bin count one half, as tied scores do, so the
/// area is exact up to the pairs that share a bin (River's default uses 10 thresholds).
pub const AUC_BINS: usize = 1 << 16;

/// The bin of a probability (a NaN in the first).
fn auc_bin(p: f64) -> usize {
    if p >= 1.0 {
        AUC_BINS - 1
    } else if p > 0.0 {
        ((p * AUC_BINS as f64) as usize).min(AUC_BINS - 1)
    } else {
        0
    }
}

fn zero_bins() -> Box<[u64]> {
    vec![0; AUC_BINS].into_boxed_slice()
}

/// The binary ROC AUC's scored rows: exactly, then binned.
#[derive(Clone, Debug)]
enum Scores {
    /// `(P(positive), y is positive)` per row.
    Exact(Vec<(f64, bool)>),
    /// Rows per bin of `P(positive)`, positives and negatives.
    Binned { pos: Box<[u64]>, neg: Box<[u64]> },
}

impl Scores {
    fn push(&mut self, score: f64, positive: bool) {
        if let Scores::Exact(v) = self
            && v.len() >= EXACT_AUC_ROWS
        {
            let (mut pos, mut neg) = (zero_bins(), zero_bins());
            for &(p, y) in v.iter() {
                let bins = if y { &mut pos } else { &mut neg };
                bins[auc_bin(p)] += 1;
            }
            *self = Scores::Binned { pos, neg };
        }
        match self {
            Scores::Exact(v) => v.push((score, positive)),
            Scores::Binned { pos, neg } => {
                let bins = if positive { pos } else { neg };
                bins[auc_bin(score)] += 1;
            }
        }
    }

    fn auc(&self) -> Option<f64> {
        match self {
            Scores::Exact(v) => roc_auc(&mut v.clone()),
            Scores::Binned { pos, neg } => {
                let (p, n): (u64, u64) = (pos.iter().sum(), neg.iter().sum());
                if p == 0 || n == 0 {
                    return None;
                }
                // Each positive beats the negatives of the bins below and half of its own.
                let (mut below, mut wins) = (0u64, 0.0f64);
                for (&bp, &bn) in pos.iter().zip(neg.iter()) {
                    wins += bp as f64 * (below as f64 + bn as f64 / 2.0);
                    below += bn;
                }
                Some(wins / (p as f64 * n as f64))
            }
        }
    }
}

/// The rows scored while one true class has been seen: exactly `(P(first), P(any other))`,
/// then binned (both probabilities), until the second class decides which one is the score.
#[derive(Clone, Debug)]
enum Pending {
    Exact(Vec<(f64, f64)>),
    Binned {
        first: Box<[u64]>,
        other: Box<[u64]>,
    },
}

impl Pending {
    fn push(&mut self, a: f64, b: f64) {
        if let Pending::Exact(v) = self
            && v.len() >= EXACT_AUC_ROWS
        {
            let (mut first, mut other) = (zero_bins(), zero_bins());
            for &(a, b) in v.iter() {
                first[auc_bin(a)] += 1;
                other[auc_bin(b)] += 1;
            }
            *self = Pending::Binned { first, other };
        }
        match self {
            Pending::Exact(v) => v.push((a, b)),
            Pending::Binned { first, other } => {
                first[auc_bin(a)] += 1;
                other[auc_bin(b)] += 1;
            }
        }
    }

    /// The pending rows as scores, all of the first class: scored by `P(first)` when the
    /// first class is the positive one, else by `P(any other)`.
    fn resolve(&self, first_is_pos: bool) -> Scores {
        match self {
            Pending::Exact(v) => Scores::Exact(
                v.iter()
                    .map(|&(a, b)| (if first_is_pos { a } else { b }, first_is_pos))
                    .collect(),
            ),
            Pending::Binned { first, other } => {
                if first_is_pos {
                    Scores::Binned {
                        pos: first.clone(),
                        neg: zero_bins(),
                    }
                } else {
                    Scores::Binned {
                        pos: zero_bins(),
                        neg: other.clone(),
                    }
                }
            }
        }
    }
}

/// The state of the binary ROC AUC, driven by the distinct true labels seen so far.
#[derive(Clone, Debug)]
enum Roc {
    /// No row yet.
    Empty,
    /// One true class so far. Each row keeps `(P(first), P(any other class))`; once the second
    /// class arrives the one that matches the positive class becomes the row's score.
    One { first: u32, pending: Pending },
    /// Exactly two true classes: each row's `(P(positive), y is positive)`.
    Two { pos: u32, neg: u32, scores: Scores },
    /// Three or more true classes: ROC AUC is undefined from now on.
    Many,
}

/// What a row contributes, computed from the model's output before the model learns the row
/// (so that the metrics change only if learning succeeds).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RowScore {
    /// `-ln p` of the true label, `p` clipped.
    loss: f64,
    /// ROC score: the probability of the positive class, or while only one true class is
    /// known, the probability of that class.
    roc: f64,
    /// While only one true class is known, the probability of every other class together.
    roc_other: f64,
}

/// One row of the rolling window.
#[derive(Clone, Copy, Debug)]
struct ClassRow {
    y: u32,
    pred: u32,
    loss: f64,
    roc: f64,
    roc_other: f64,
}

/// Per-class counts of a confusion matrix: hits, true rows and predicted rows.
#[derive(Clone, Debug, Default)]
struct Counts {
    tp: Vec<u64>,
    support: Vec<u64>,
    predicted: Vec<u64>,
}

impl Counts {
    fn zeros(k: usize) -> Self {
        Counts {
            tp: vec![0; k],
            support: vec![0; k],
            predicted: vec![0; k],
        }
    }

    fn add_class(&mut self) {
        self.tp.push(0);
        self.support.push(0);
        self.predicted.push(0);
    }

    fn add(&mut self, y: u32, pred: u32) {
        self.support[y as usize] += 1;
        if pred != NO_PRED {
            self.predicted[pred as usize] += 1;
            if pred == y {
                self.tp[y as usize] += 1;
            }
        }
    }

    fn correct(&self) -> u64 {
        self.tp.iter().sum()
    }

    /// Mean recall over the classes with true rows.
    fn balanced_accuracy(&self) -> Option<f64> {
        let (sum, n) = self
            .tp
            .iter()
            .zip(&self.support)
            .filter(|(_, s)| **s > 0)
            .fold((0.0, 0usize), |(sum, n), (t, s)| {
                (sum + *t as f64 / *s as f64, n + 1)
            });
        (n > 0).then(|| sum / n as f64)
    }

    /// F1 of one class; `None` when it has neither true nor predicted rows.
    fn f1_of(&self, c: usize) -> Option<f64> {
        let denom = self.support[c] + self.predicted[c];
        (denom > 0).then(|| 2.0 * self.tp[c] as f64 / denom as f64)
    }

    /// Binary F1 of `positive` when given, else macro F1 over the classes with true or
    /// predicted rows.
    fn f1(&self, positive: Option<u32>) -> Option<f64> {
        if let Some(p) = positive {
            return self.f1_of(p as usize);
        }
        let (sum, n) = (0..self.tp.len())
            .filter_map(|c| self.f1_of(c))
            .fold((0.0, 0usize), |(sum, n), f| (sum + f, n + 1));
        (n > 0).then(|| sum / n as f64)
    }
}

/// Cumulative and rolling classification metrics: accuracy, balanced accuracy, F1, log loss
/// and ROC AUC (see the [module documentation](self) for the definitions).
///
/// The metrics keep their own set of the labels seen so far, true or predicted.
///
/// # The ROC AUC score of a row
///
/// ROC AUC is defined while exactly two classes have been seen among the true labels; the
/// positive class is the larger one. The score of a row is the probability the model gave the
/// positive class (0 if the model does not know it), or `1/2` for a row the model could not
/// score. Rows seen before the second class appeared are scored once it does: the row's score
/// is the model's probability of the first class if that class turned out to be the positive
/// one, and otherwise the total probability of every other class, which is 0 for a model that
/// knew only the first class (it gives an unseen class probability 0). A row without
/// probabilities scores `1/2` either way. Once a third true class appears, ROC AUC is `None`.
///
/// Cumulative counts and sums are updated in place; the exact ROC AUC keeps one score per row
/// and sorts them when [`values`](Self::values) is called. Rolling metrics are recomputed from a
/// ring buffer of the last `window` rows when [`values`](Self::values) is called. In steady
/// state [`update`](Self::update) allocates only when a new class appears and when the vector
/// of ROC scores grows.
#[derive(Clone, Debug)]
pub struct ClassificationMetrics {
    /// Labels seen so far (true or predicted), sorted.
    classes: ClassSet,
    /// The stable id of each label of `classes`, in the same (sorted) order.
    sorted_ids: Vec<u32>,
    /// The label of each id, in order of appearance.
    labels: Vec<Label>,
    n: u64,
    counts: Counts,
    loss_sum: f64,
    roc: Roc,
    ring: Ring<ClassRow>,
}

impl ClassificationMetrics {
    /// Empty metrics whose rolling versions cover the last `window` rows (with `window = 0`
    /// every rolling metric is `None`).
    pub fn new(window: usize) -> Self {
        ClassificationMetrics {
            classes: ClassSet::new(),
            sorted_ids: Vec::new(),
            labels: Vec::new(),
            n: 0,
            counts: Counts::default(),
            loss_sum: 0.0,
            roc: Roc::Empty,
            ring: Ring::new(window),
        }
    }

    /// The number of rows scored.
    pub fn rows(&self) -> u64 {
        self.n
    }

    /// The labels seen so far, true or predicted.
    pub fn classes(&self) -> &ClassSet {
        &self.classes
    }

    /// Scores one row: its true label `y`, the model's prediction (`None` when the model could
    /// not predict) and its probabilities: the model's classes and the probability of each, in
    /// that order (`None`, or an empty class set, when the model could not predict; a uniform
    /// probability is then scored).
    pub fn update(
        &mut self,
        y: &Label,
        prediction: Option<&Label>,
        proba: Option<(&ClassSet, &[f64])>,
    ) {
        let score = self.score(y, proba);
        self.record(y, prediction, score);
    }

    /// The id of a label seen before.
    fn id_of(&self, label: &Label) -> Option<u32> {
        self.classes.index_of(label).map(|i| self.sorted_ids[i])
    }

    /// Computes what a row contributes without changing anything.
    pub(crate) fn score(&self, y: &Label, proba: Option<(&ClassSet, &[f64])>) -> RowScore {
        let proba = proba.filter(|(cs, _)| !cs.is_empty());
        // Probability of a label, and of every class but that label.
        let p = |label: &Label| -> f64 {
            match proba {
                None => 0.5,
                Some((cs, probs)) => cs
                    .index_of(label)
                    .and_then(|i| probs.get(i).copied())
                    .unwrap_or(0.0),
            }
        };
        let rest = |label: &Label| -> f64 {
            match proba {
                None => 0.5,
                Some((cs, probs)) => {
                    let skip = cs.index_of(label);
                    probs
                        .iter()
                        .take(cs.len())
                        .enumerate()
                        .filter(|(i, _)| Some(*i) != skip)
                        .map(|(_, v)| *v)
                        .sum()
                }
            }
        };

        let p_true = match proba {
            Some(_) => p(y),
            // At least two classes: a single class seen would make the guess certain.
            None => 1.0 / self.classes.len().max(2) as f64,
        };
        let loss = -p_true.clamp(EPS, 1.0 - EPS).ln();

        let (roc, roc_other) = match &self.roc {
            Roc::Empty => (p(y), rest(y)),
            Roc::One { first, .. } => {
                let first = &self.labels[*first as usize];
                if first == y {
                    (p(y), rest(y))
                } else {
                    let pos = if y > first { y } else { first };
                    (p(pos), 0.0)
                }
            }
            Roc::Two { pos, .. } => (p(&self.labels[*pos as usize]), 0.0),
            Roc::Many => (f64::NAN, 0.0),
        };
        RowScore {
            loss,
            roc,
            roc_other,
        }
    }

    /// The id of a label, adding it if new.
    fn intern(&mut self, label: &Label) -> u32 {
        if let Some(id) = self.id_of(label) {
            return id;
        }
        let id = self.labels.len() as u32;
        let (i, _) = self.classes.insert(label);
        self.sorted_ids.insert(i, id);
        self.labels.push(label.clone());
        self.counts.add_class();
        id
    }

    /// Adds a row scored by [`score`](Self::score) (with the metrics unchanged since).
    pub(crate) fn record(&mut self, y: &Label, prediction: Option<&Label>, s: RowScore) {
        let y_id = self.intern(y);
        let pred_id = prediction.map_or(NO_PRED, |p| self.intern(p));
        self.n += 1;
        self.counts.add(y_id, pred_id);
        self.loss_sum += s.loss;

        let mut row = ClassRow {
            y: y_id,
            pred: pred_id,
            loss: s.loss,
            roc: s.roc,
            roc_other: s.roc_other,
        };
        match &mut self.roc {
            Roc::Empty => {
                let mut pending = Pending::Exact(Vec::new());
                pending.push(s.roc, s.roc_other);
                self.roc = Roc::One {
                    first: y_id,
                    pending,
                };
            }
            Roc::One { first, pending } if *first == y_id => pending.push(s.roc, s.roc_other),
            Roc::One { first, pending } => {
                let first = *first;
                let first_is_pos = self.labels[first as usize] > *y;
                let (pos, neg) = if first_is_pos {
                    (first, y_id)
                } else {
                    (y_id, first)
                };
                let pick = |(a, b): (f64, f64)| if first_is_pos { a } else { b };
                let mut scores = pending.resolve(first_is_pos);
                scores.push(s.roc, !first_is_pos);
                // Every row in the window so far has the first class as its label.
                for r in self.ring.items_mut() {
                    r.roc = pick((r.roc, r.roc_other));
                    r.roc_other = 0.0;
                }
                self.roc = Roc::Two { pos, neg, scores };
            }
            Roc::Two { pos, neg, scores } => {
                if y_id == *pos || y_id == *neg {
                    scores.push(s.roc, y_id == *pos);
                } else {
                    self.roc = Roc::Many;
                }
            }
            Roc::Many => {}
        }
        row.roc_other = if matches!(self.roc, Roc::One { .. }) {
            s.roc_other
        } else {
            0.0
        };
        self.ring.push(row);
    }

    /// The id of the positive class when the metrics are binary (exactly two labels seen).
    fn binary_positive(&self) -> Option<u32> {
        (self.classes.len() == 2).then(|| self.sorted_ids[1])
    }

    /// The accuracy over the last `window` rows (`rolling_accuracy` of
    /// [`values`](Self::values)) without the other metrics: one pass over the window, no
    /// allocation, for learning curves sampled while a stream runs. `None` before the first
    /// row or with `window = 0`.
    pub fn rolling_accuracy(&self) -> Option<f64> {
        let rows = self.ring.items();
        if rows.is_empty() {
            return None;
        }
        let hits = rows.iter().filter(|r| r.pred == r.y).count();
        Some(hits as f64 / rows.len() as f64)
    }

    /// The metrics, in this order: `accuracy`, `balanced_accuracy`, `f1`, `log_loss`,
    /// `roc_auc`, then the same five prefixed `rolling_` (the names of
    /// [`CLASSIFICATION_METRICS`]). A metric is `None` where undefined: every metric before the
    /// first row, ROC AUC unless exactly two true classes have been seen (rolling: and both are
    /// in the window), a binary F1 whose positive class has neither true nor predicted rows.
    pub fn values(&self) -> Vec<(&'static str, Option<f64>)> {
        let positive = self.binary_positive();
        let n = self.n as f64;
        let cumulative = self.n > 0;
        let acc = cumulative.then(|| self.counts.correct() as f64 / n);
        let bal = self.counts.balanced_accuracy();
        let f1 = self.counts.f1(positive);
        let ll = cumulative.then(|| self.loss_sum / n);
        let auc = match &self.roc {
            Roc::Two { scores, .. } => scores.auc(),
            _ => None,
        };

        let rows = self.ring.items();
        let (r_acc, r_bal, r_f1, r_ll, r_auc) = if rows.is_empty() {
            (None, None, None, None, None)
        } else {
            let mut counts = Counts::zeros(self.labels.len());
            let mut loss = 0.0;
            for r in rows {
                counts.add(r.y, r.pred);
                loss += r.loss;
            }
            let m = rows.len() as f64;
            let auc = match &self.roc {
                Roc::Two { pos, .. } => {
                    let mut pairs: Vec<(f64, bool)> =
                        rows.iter().map(|r| (r.roc, r.y == *pos)).collect();
                    roc_auc(&mut pairs)
                }
                _ => None,
            };
            (
                Some(counts.correct() as f64 / m),
                counts.balanced_accuracy(),
                counts.f1(positive),
                Some(loss / m),
                auc,
            )
        };
        let vals = [acc, bal, f1, ll, auc, r_acc, r_bal, r_f1, r_ll, r_auc];
        CLASSIFICATION_METRICS.into_iter().zip(vals).collect()
    }
}

/// Mean absolute error, root mean squared error and R² of `(y, prediction)` pairs, two-pass.
fn regression_window(rows: &[(f64, f64)]) -> [Option<f64>; 3] {
    if rows.is_empty() {
        return [None; 3];
    }
    let m = rows.len() as f64;
    let mean = rows.iter().map(|r| r.0).sum::<f64>() / m;
    let (mut abs, mut sse, mut sst) = (0.0, 0.0, 0.0);
    for &(y, p) in rows {
        abs += (y - p).abs();
        sse += (y - p) * (y - p);
        sst += (y - mean) * (y - mean);
    }
    [
        Some(abs / m),
        Some((sse / m).sqrt()),
        r2(rows.len(), sse, sst),
    ]
}

/// `1 - sse / sst`, `None` with fewer than two rows or no variance.
fn r2(n: usize, sse: f64, sst: f64) -> Option<f64> {
    (n >= 2 && sst > 0.0).then(|| 1.0 - sse / sst)
}

/// Cumulative and rolling regression metrics: MAE, RMSE and R² (see the
/// [module documentation](self)).
///
/// The total sum of squares of R² comes from a running (Welford) variance of the true values;
/// R² is `None` with fewer than two rows or when every true value is the same. Rolling
/// metrics are recomputed from a ring buffer of the last `window` rows when
/// [`values`](Self::values) is called; [`update`](Self::update) allocates nothing in steady
/// state.
#[derive(Clone, Debug)]
pub struct RegressionMetrics {
    n: usize,
    abs_sum: f64,
    sq_sum: f64,
    /// Welford's running mean and sum of squared deviations of the true values.
    mean: f64,
    m2: f64,
    ring: Ring<(f64, f64)>,
}

impl RegressionMetrics {
    /// Empty metrics whose rolling versions cover the last `window` rows (with `window = 0`
    /// every rolling metric is `None`).
    pub fn new(window: usize) -> Self {
        RegressionMetrics {
            n: 0,
            abs_sum: 0.0,
            sq_sum: 0.0,
            mean: 0.0,
            m2: 0.0,
            ring: Ring::new(window),
        }
    }

    /// The number of rows scored.
    pub fn rows(&self) -> u64 {
        self.n as u64
    }

    /// Scores one row: the true value and the model's prediction.
    pub fn update(&mut self, y: f64, prediction: f64) {
        let e = y - prediction;
        self.n += 1;
        self.abs_sum += e.abs();
        self.sq_sum += e * e;
        let d = y - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (y - self.mean);
        self.ring.push((y, prediction));
    }

    /// The mean absolute error over the last `window` rows (`rolling_mae` of
    /// [`values`](Self::values)) alone: one pass over the window, no allocation. `None` before
    /// the first row or with `window = 0`.
    pub fn rolling_mae(&self) -> Option<f64> {
        let rows = self.ring.items();
        if rows.is_empty() {
            return None;
        }
        let abs: f64 = rows.iter().map(|&(y, p)| (y - p).abs()).sum();
        Some(abs / rows.len() as f64)
    }

    /// The metrics, in this order: `mae`, `rmse`, `r2`, `rolling_mae`, `rolling_rmse`,
    /// `rolling_r2` (the names of [`REGRESSION_METRICS`]); `None` before the first row, and R²
    /// as documented on the type.
    pub fn values(&self) -> Vec<(&'static str, Option<f64>)> {
        let n = self.n as f64;
        let some = self.n > 0;
        let [rm, rr, rr2] = regression_window(self.ring.items());
        let vals = [
            some.then(|| self.abs_sum / n),
            some.then(|| (self.sq_sum / n).sqrt()),
            r2(self.n, self.sq_sum, self.m2),
            rm,
            rr,
            rr2,
        ];
        REGRESSION_METRICS.into_iter().zip(vals).collect()
    }
}

/// The adjusted Rand index of two labelings of the same rows (scikit-learn's
/// `adjusted_rand_score`), exact from the contingency table: pairs of rows counted in
/// integers, the ratio taken once at the end. `None` when the labelings differ in length or
/// are empty.
pub fn adjusted_rand_index<A, B>(truth: &[A], pred: &[B]) -> Option<f64>
where
    A: std::hash::Hash + Eq,
    B: std::hash::Hash + Eq,
{
    if truth.len() != pred.len() || truth.is_empty() {
        return None;
    }
    let mut c = Contingency::default();
    let mut ta = std::collections::HashMap::new();
    let mut pb = std::collections::HashMap::new();
    for (a, b) in truth.iter().zip(pred) {
        let n = ta.len();
        let i = *ta.entry(a).or_insert(n);
        let n = pb.len();
        let j = *pb.entry(b).or_insert(n);
        c.add(i, j);
    }
    c.ari()
}

/// A contingency table of (true class, predicted cluster) counts, grown row by row: dense,
/// a row per class and a column per cluster (classes and clusters are numbered from 0).
#[derive(Clone, Debug, Default)]
struct Contingency {
    cells: Vec<Vec<u64>>,
    rows: Vec<u64>,
    cols: Vec<u64>,
    n: u64,
}

impl Contingency {
    fn add(&mut self, i: usize, j: usize) {
        if self.rows.len() <= i {
            self.rows.resize(i + 1, 0);
            self.cells.resize(i + 1, Vec::new());
        }
        if self.cols.len() <= j {
            self.cols.resize(j + 1, 0);
        }
        let row = &mut self.cells[i];
        if row.len() <= j {
            row.resize(j + 1, 0);
        }
        row[j] += 1;
        self.rows[i] += 1;
        self.cols[j] += 1;
        self.n += 1;
    }

    /// scikit-learn's pair confusion matrix, then its ARI formula, in 128-bit integers.
    fn ari(&self) -> Option<f64> {
        if self.n == 0 {
            return None;
        }
        let sq = |v: &u64| i128::from(*v) * i128::from(*v);
        let n = i128::from(self.n);
        let sum_squares: i128 = self.cells.iter().flatten().map(sq).sum();
        let rows: i128 = self.rows.iter().map(sq).sum();
        let cols: i128 = self.cols.iter().map(sq).sum();
        let tp = sum_squares - n;
        let fp = rows - sum_squares;
        let fn_ = cols - sum_squares;
        let tn = n * n - fp - fn_ - sum_squares;
        if fn_ == 0 && fp == 0 {
            return Some(1.0);
        }
        let num = 2 * (tp * tn - fn_ * fp);
        let den = (tp + fn_) * (fn_ + tn) + (tp + fp) * (fp + tn);
        Some(num as f64 / den as f64)
    }
}

/// The silhouette score of labelled rows: scikit-learn's `silhouette_score` (Euclidean
/// distances), the mean over the rows of `s = (b - a) / max(a, b)`, where `a` is the mean
/// distance from the row to the other rows of its cluster and `b` the smallest mean distance
/// from the row to the rows of another cluster; `s = 0` for a row alone in its cluster, and
/// where `a = b = 0`. The distances are taken from the differences of the rows (exact to the
/// last bits; scikit-learn's come from `|x|^2 - 2 x.y + |y|^2`). `None`, as scikit-learn
/// refuses, unless there are between 2 and `n - 1` clusters, and when `labels` is not one
/// label per row or a row cannot be read. `O(n^2 d)`: sample large sets first.
pub fn silhouette_score(x: Batch<'_>, labels: &[usize]) -> Option<f64> {
    if x.n_rows() != labels.len() {
        return None;
    }
    let rows: Vec<Row<'_>> = (0..x.n_rows())
        .map(|i| x.row(i))
        .collect::<crate::Result<_>>()
        .ok()?;
    silhouette(&rows, labels)
}

/// [`silhouette_score`] over rows.
fn silhouette(rows: &[Row<'_>], labels: &[usize]) -> Option<f64> {
    let n = rows.len();
    if n != labels.len() {
        return None;
    }
    // Clusters numbered densely, in order of first appearance.
    let mut ids = std::collections::HashMap::new();
    let dense: Vec<usize> = labels
        .iter()
        .map(|&l| {
            let k = ids.len();
            *ids.entry(l).or_insert(k)
        })
        .collect();
    let k = ids.len();
    if k < 2 || k + 1 > n {
        return None;
    }
    let mut size = vec![0usize; k];
    for &c in &dense {
        size[c] += 1;
    }
    // sums[i * k + c]: the distances from row i to the rows of cluster c, added in row order.
    let mut sums = vec![0.0; n * k];
    for i in 0..n {
        for j in 0..i {
            let d = row_distance(rows[i], rows[j]);
            sums[i * k + dense[j]] += d;
            sums[j * k + dense[i]] += d;
        }
    }
    let mut total = 0.0;
    for i in 0..n {
        let own = dense[i];
        if size[own] < 2 {
            continue;
        }
        let a = sums[i * k + own] / (size[own] - 1) as f64;
        let b = (0..k)
            .filter(|&c| c != own)
            .map(|c| sums[i * k + c] / size[c] as f64)
            .fold(f64::INFINITY, f64::min);
        let m = a.max(b);
        if m > 0.0 {
            total += (b - a) / m;
        }
    }
    Some(total / n as f64)
}

/// The Euclidean distance between two rows of the same width, from their differences (the
/// absent entries of a sparse row are zeros).
fn row_distance(a: Row<'_>, b: Row<'_>) -> f64 {
    let mut acc = 0.0;
    let mut add = |d: f64| acc += d * d;
    match (a, b) {
        (Row::Dense(x), Row::Dense(y)) => x.iter().zip(y).for_each(|(p, q)| add(p - q)),
        (Row::Dense(x), Row::Sparse(s)) | (Row::Sparse(s), Row::Dense(x)) => {
            let (idx, val) = (s.indices(), s.values());
            let mut k = 0;
            for (j, &v) in x.iter().enumerate() {
                let w = if k < idx.len() && idx[k] as usize == j {
                    k += 1;
                    val[k - 1]
                } else {
                    0.0
                };
                add(v - w);
            }
        }
        (Row::Sparse(s), Row::Sparse(t)) => {
            let (si, sv, ti, tv) = (s.indices(), s.values(), t.indices(), t.values());
            let (mut p, mut q) = (0, 0);
            while p < si.len() || q < ti.len() {
                if q == ti.len() || (p < si.len() && si[p] < ti[q]) {
                    add(sv[p]);
                    p += 1;
                } else if p == si.len() || ti[q] < si[p] {
                    add(tv[q]);
                    q += 1;
                } else {
                    add(sv[p] - tv[q]);
                    p += 1;
                    q += 1;
                }
            }
        }
    }
    acc.sqrt()
}

/// A row kept in the reservoir: dense values, or a sparse row's entries.
#[derive(Clone, Debug)]
struct Kept {
    values: Vec<f64>,
    indices: Vec<u32>,
    sparse: bool,
    dim: usize,
    cluster: usize,
}

impl Kept {
    fn set(&mut self, x: Row<'_>, cluster: usize) {
        self.values.clear();
        self.indices.clear();
        self.dim = x.dim();
        self.cluster = cluster;
        match x {
            Row::Dense(v) => {
                self.sparse = false;
                self.values.extend_from_slice(v);
            }
            Row::Sparse(s) => {
                self.sparse = true;
                self.values.extend_from_slice(s.values());
                self.indices.extend_from_slice(s.indices());
            }
        }
    }

    fn row(&self) -> Row<'_> {
        if self.sparse {
            Row::Sparse(
                SparseRow::new(self.dim, &self.indices, &self.values)
                    .expect("a sparse row's entries were valid when kept"),
            )
        } else {
            Row::Dense(&self.values)
        }
    }
}

/// A uniform sample of at most `capacity` of the rows given (Vitter's algorithm R, draws
/// from ChaCha8 seeded by `seed`: the `i`-th row, from 0, replaces a kept one, chosen
/// uniformly, with probability `capacity / (i + 1)`).
#[derive(Clone, Debug)]
struct Reservoir {
    capacity: usize,
    seen: u64,
    rng: ChaCha8Rng,
    kept: Vec<Kept>,
}

impl Reservoir {
    fn new(capacity: usize, seed: u64) -> Self {
        Reservoir {
            capacity,
            seen: 0,
            rng: ChaCha8Rng::seed_from_u64(seed),
            kept: Vec::new(),
        }
    }

    fn offer(&mut self, x: Row<'_>, cluster: usize) {
        let i = self.seen;
        self.seen += 1;
        if self.kept.len() < self.capacity {
            let mut k = Kept {
                values: Vec::new(),
                indices: Vec::new(),
                sparse: false,
                dim: 0,
                cluster,
            };
            k.set(x, cluster);
            self.kept.push(k);
            return;
        }
        // Uniform on 0..=i by multiply and shift.
        let j = ((u128::from(self.rng.next_u64()) * (u128::from(i) + 1)) >> 64) as usize;
        if j < self.capacity {
            self.kept[j].set(x, cluster);
        }
    }

    fn silhouette(&self) -> Option<f64> {
        let rows: Vec<Row<'_>> = self.kept.iter().map(Kept::row).collect();
        let labels: Vec<usize> = self.kept.iter().map(|k| k.cluster).collect();
        silhouette(&rows, &labels)
    }
}

/// Names of the clustering metrics, in the order of [`ClusteringMetrics::values`].
pub const CLUSTERING_METRICS: [&str; 3] = ["inertia", "ari", "silhouette"];

/// Rows the silhouette sample of [`ClusteringMetrics::new`] keeps.
pub const SILHOUETTE_SAMPLE: usize = 1000;

/// Prequential clustering scores: each row's predicted cluster (before the row is learned)
/// and its squared distance to that cluster's center, and its true label when the data has
/// one. See the module documentation for the definitions.
///
/// A row predicted before any center exists has no cluster: it adds nothing to the inertia
/// and counts, for the ARI, in one extra cluster of its own ("none"); it is not in the
/// silhouette's sample.
///
/// The silhouette is computed, when asked for, on a uniform sample of the rows that have a
/// cluster (a reservoir of [`SILHOUETTE_SAMPLE`] rows by default, seeded, so the same rows
/// give the same score), each with the cluster predicted for it, in the features the
/// metrics were given (for a pipeline, the rows before any transformer). A stream
/// clusterer may renumber its clusters as it learns (DBSTREAM does); the sample takes each
/// row's number as it was predicted. `None` while the sample holds fewer than 2 clusters or
/// as many clusters as rows.
#[derive(Clone, Debug)]
pub struct ClusteringMetrics {
    inertia: f64,
    table: Contingency,
    classes: std::collections::HashMap<Label, usize>,
    labelled: bool,
    sample: Reservoir,
}

impl Default for ClusteringMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl ClusteringMetrics {
    /// Scores no row yet; the silhouette on a sample of [`SILHOUETTE_SAMPLE`] rows, seed 0.
    pub fn new() -> Self {
        Self::with_silhouette_sample(SILHOUETTE_SAMPLE, 0)
    }

    /// Scores no row yet; the silhouette on a sample of `rows` rows (0: no silhouette),
    /// drawn with ChaCha8 seeded by `seed`.
    pub fn with_silhouette_sample(rows: usize, seed: u64) -> Self {
        ClusteringMetrics {
            inertia: 0.0,
            table: Contingency::default(),
            classes: std::collections::HashMap::new(),
            labelled: false,
            sample: Reservoir::new(rows, seed),
        }
    }

    /// Adds a row `x`: its predicted cluster (`None` before any center exists), its squared
    /// distance to that cluster's center, and its true label, if the data has labels (give
    /// one for every row or for none).
    pub fn update(
        &mut self,
        x: Row<'_>,
        pred: Option<usize>,
        squared_distance: f64,
        truth: Option<&Label>,
    ) {
        if let Some(c) = pred {
            self.inertia += squared_distance;
            self.sample.offer(x, c);
        }
        if let Some(t) = truth {
            self.labelled = true;
            let i = match self.classes.get(t) {
                Some(&i) => i,
                None => {
                    let n = self.classes.len();
                    self.classes.insert(t.clone(), n);
                    n
                }
            };
            // Column 0 is "no cluster", cluster c is column c + 1.
            let j = pred.map_or(0, |p| p.saturating_add(1));
            self.table.add(i, j);
        }
    }

    /// The inertia so far (0 before any row).
    pub fn inertia(&self) -> f64 {
        self.inertia
    }

    /// The adjusted Rand index so far; `None` without labels or before any row.
    pub fn ari(&self) -> Option<f64> {
        if self.labelled {
            self.table.ari()
        } else {
            None
        }
    }

    /// The silhouette score of the sample of rows kept so far (see the type's
    /// documentation); `O(s^2 d)` for a sample of `s` rows.
    pub fn silhouette(&self) -> Option<f64> {
        self.sample.silhouette()
    }

    /// The rows in the silhouette's sample.
    pub fn silhouette_rows(&self) -> usize {
        self.sample.kept.len()
    }

    /// The metrics in the order of [`CLUSTERING_METRICS`].
    pub fn values(&self) -> Vec<(&'static str, Option<f64>)> {
        vec![
            (CLUSTERING_METRICS[0], Some(self.inertia)),
            (CLUSTERING_METRICS[1], self.ari()),
            (CLUSTERING_METRICS[2], self.silhouette()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(v: &[(&'static str, Option<f64>)], name: &str) -> Option<f64> {
        v.iter().find(|(k, _)| *k == name).and_then(|(_, x)| *x)
    }

    fn close(a: Option<f64>, b: f64) {
        let a = a.unwrap_or_else(|| panic!("expected {b}, got None"));
        assert!((a - b).abs() < 1e-12, "got {a}, expected {b}");
    }

    fn num(v: i64) -> Label {
        Label::from(v)
    }

    #[test]
    fn the_reservoir_keeps_a_uniform_seeded_sample() {
        let kept = |seed: u64| {
            let mut r = Reservoir::new(5, seed);
            for i in 0..20 {
                r.offer(Row::Dense(&[i as f64]), i);
            }
            r.kept.iter().map(|k| k.cluster).collect::<Vec<usize>>()
        };
        // ChaCha8 seeded by 0: a change of stream or of the rule shows here.
        assert_eq!(kept(0), PINNED);
        // Each of the 20 rows is kept with probability 5/20: over 2000 seeds, 500 times
        // each, with a standard deviation of about 19.
        let mut times = [0usize; 20];
        for seed in 0..2000 {
            for i in kept(seed) {
                times[i] += 1;
            }
        }
        for (i, &t) in times.iter().enumerate() {
            assert!((400..=600).contains(&t), "row {i} kept {t} times");
        }
    }

    const PINNED: [usize; 5] = [8, 1, 14, 6, 5];

    /// The curve accessors agree with `values()` at every row, missing predictions and
    /// a window that is not yet full included.
    #[test]
    fn rolling_accessors_are_values_rolling_metrics() {
        let mut c = ClassificationMetrics::new(3);
        let mut r = RegressionMetrics::new(3);
        assert_eq!(c.rolling_accuracy(), None);
        assert_eq!(r.rolling_mae(), None);
        let cs = ClassSet::from_labels(&[num(0), num(1)]);
        for i in 0..12i64 {
            let y = num(i % 2);
            let pred = num(i64::from(i % 3 == 0));
            if i % 5 == 4 {
                c.update(&y, None, None);
            } else {
                c.update(&y, Some(&pred), Some((&cs, &[0.5, 0.5])));
            }
            assert_eq!(c.rolling_accuracy(), get(&c.values(), "rolling_accuracy"));
            r.update(i as f64, (i * i) as f64 / 7.0);
            assert_eq!(r.rolling_mae(), get(&r.values(), "rolling_mae"));
        }
    }

    #[test]
    fn binary_matches_scikit_learn() {
        let y = [0, 1, 1, 0, 1, 0, 0, 1, 1, 1];
        let p1 = [0.2, 0.8, 0.4, 0.3, 0.7, 0.6, 0.3, 0.9, 0.4, 0.6];
        let cs = ClassSet::from_labels(&[num(0), num(1)]);
        let mut m = ClassificationMetrics::new(4);
        for (&yi, &p) in y.iter().zip(&p1) {
            let pred = num(i64::from(p > 0.5));
            m.update(&num(yi), Some(&pred), Some((&cs, &[1.0 - p, p])));
        }
        let v = m.values();
        let names: Vec<&str> = v.iter().map(|(k, _)| *k).collect();
        assert_eq!(names, CLASSIFICATION_METRICS);
        // Expected values computed once with scikit-learn 1.9.1 (accuracy_score,
        // balanced_accuracy_score, f1_score, log_loss, roc_auc_score) on the same arrays.
        close(get(&v, "accuracy"), 0.7);
        close(get(&v, "balanced_accuracy"), 0.7083333333333333);
        close(get(&v, "f1"), 0.7272727272727273);
        close(get(&v, "log_loss"), 0.48813702694908984);
        close(get(&v, "roc_auc"), 0.8958333333333333);
        // The last 4 rows, scikit-learn 1.9.1.
        close(get(&v, "rolling_accuracy"), 0.75);
        close(get(&v, "rolling_balanced_accuracy"), 0.8333333333333333);
        close(get(&v, "rolling_f1"), 0.8);
        close(get(&v, "rolling_log_loss"), 0.4722879538091761);
        close(get(&v, "rolling_roc_auc"), 1.0);
    }

    #[test]
    fn multiclass_matches_scikit_learn() {
        let y = ["a", "b", "c", "a", "c", "b", "a", "c"];
        let probs = [
            [0.5, 0.3, 0.2],
            [0.2, 0.5, 0.3],
            [0.3, 0.3, 0.4],
            [0.2, 0.6, 0.2],
            [0.1, 0.2, 0.7],
            [0.6, 0.3, 0.1],
            [0.7, 0.2, 0.1],
            [0.2, 0.5, 0.3],
        ];
        let labels = [Label::from("a"), Label::from("b"), Label::from("c")];
        let cs = ClassSet::from_labels(&labels);
        let mut m = ClassificationMetrics::new(3);
        for (yi, p) in y.iter().zip(&probs) {
            let best = (0..3).fold(0, |b, i| if p[i] > p[b] { i } else { b });
            m.update(&Label::from(*yi), Some(&labels[best]), Some((&cs, p)));
        }
        let v = m.values();
        // scikit-learn 1.9.1, f1_score(average="macro").
        close(get(&v, "accuracy"), 0.625);
        close(get(&v, "balanced_accuracy"), 0.611111111111111);
        close(get(&v, "f1"), 0.6222222222222222);
        close(get(&v, "log_loss"), 0.8791648127446854);
        assert_eq!(get(&v, "roc_auc"), None);
        // The last 3 rows, scikit-learn 1.9.1.
        close(get(&v, "rolling_accuracy"), 1.0 / 3.0);
        close(get(&v, "rolling_balanced_accuracy"), 1.0 / 3.0);
        close(get(&v, "rolling_f1"), 0.2222222222222222);
        close(get(&v, "rolling_log_loss"), 0.9215401841968682);
        assert_eq!(get(&v, "rolling_roc_auc"), None);
    }

    #[test]
    fn empty_metrics_are_none() {
        let m = ClassificationMetrics::new(10);
        assert!(m.values().iter().all(|(_, v)| v.is_none()));
        let r = RegressionMetrics::new(10);
        assert!(r.values().iter().all(|(_, v)| v.is_none()));
    }

    #[test]
    fn no_prediction_is_wrong_and_uniform() {
        let mut m = ClassificationMetrics::new(0);
        m.update(&num(1), None, None);
        let v = m.values();
        close(get(&v, "accuracy"), 0.0);
        close(get(&v, "log_loss"), 2f64.ln());
        close(get(&v, "balanced_accuracy"), 0.0);
        close(get(&v, "f1"), 0.0);
        assert_eq!(get(&v, "roc_auc"), None);
        assert_eq!(get(&v, "rolling_accuracy"), None);
        // One class seen before a row without prediction: p = 1/2 still; two: 1/2; three: 1/3.
        m.update(&num(2), None, None);
        m.update(&num(3), None, None);
        m.update(&num(3), None, None);
        close(
            get(&m.values(), "log_loss"),
            (3.0 * 2f64.ln() + 3f64.ln()) / 4.0,
        );
    }

    #[test]
    fn unknown_label_is_clipped() {
        let mut m = ClassificationMetrics::new(5);
        let cs = ClassSet::from_labels(&[num(0)]);
        m.update(&num(1), Some(&num(0)), Some((&cs, &[1.0])));
        close(get(&m.values(), "log_loss"), -(1e-15f64).ln());
        m.update(&num(0), Some(&num(0)), Some((&cs, &[1.0])));
        close(
            get(&m.values(), "log_loss"),
            (-(1e-15f64).ln() - (1.0 - 1e-15f64).ln()) / 2.0,
        );
    }

    #[test]
    fn roc_rows_before_the_second_class() {
        // The first class is the negative one: a model that knows only it gives the (unseen)
        // positive class 0; a row without prediction scores 1/2.
        let c0 = ClassSet::from_labels(&[num(0)]);
        let c01 = ClassSet::from_labels(&[num(0), num(1)]);
        let mut m = ClassificationMetrics::new(10);
        m.update(&num(0), None, None); // score 1/2
        m.update(&num(0), Some(&num(0)), Some((&c0, &[1.0]))); // score 0
        m.update(&num(1), Some(&num(0)), Some((&c0, &[1.0]))); // score 0
        m.update(&num(1), Some(&num(1)), Some((&c01, &[0.4, 0.6]))); // score 0.6
        m.update(&num(0), Some(&num(1)), Some((&c01, &[0.3, 0.7]))); // score 0.7
        // Positives {0, 0.6}, negatives {0.5, 0, 0.7}: pairs won 0.5 (tie) + 1 + 1 of 6.
        let v = m.values();
        close(get(&v, "roc_auc"), 2.5 / 6.0);
        close(get(&v, "rolling_roc_auc"), 2.5 / 6.0);

        // The first class is the positive one: its probability is the score.
        let c1 = ClassSet::from_labels(&[num(1)]);
        let mut m = ClassificationMetrics::new(3);
        m.update(&num(1), None, None); // 1/2
        m.update(&num(1), Some(&num(1)), Some((&c1, &[1.0]))); // 1
        m.update(&num(0), Some(&num(1)), Some((&c1, &[1.0]))); // 1
        m.update(&num(0), Some(&num(0)), Some((&c01, &[0.8, 0.2]))); // 0.2
        // Positives {0.5, 1}, negatives {1, 0.2}: 1 + 0.5 + 1 + 0 won of 4.
        let v = m.values();
        close(get(&v, "roc_auc"), 2.5 / 4.0);
        // The window holds rows 2..=4: positive {1}, negatives {1, 0.2}.
        close(get(&v, "rolling_roc_auc"), 1.5 / 2.0);

        // A third true class makes ROC AUC undefined.
        m.update(&num(2), None, None);
        assert_eq!(get(&m.values(), "roc_auc"), None);
        assert_eq!(get(&m.values(), "rolling_roc_auc"), None);
    }

    #[test]
    fn roc_auc_past_the_exact_rows_is_binned_bounded_and_close() {
        let n = EXACT_AUC_ROWS + 1000;
        let mut scores = Scores::Exact(Vec::new());
        let mut pairs = Vec::with_capacity(n);
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..n {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let p = (x >> 11) as f64 / (1u64 << 53) as f64;
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let y = ((x >> 11) as f64 / (1u64 << 53) as f64) < p;
            scores.push(p, y);
            pairs.push((p, y));
        }
        assert!(
            matches!(scores, Scores::Binned { .. }),
            "still keeping every score"
        );
        let exact = roc_auc(&mut pairs).unwrap();
        let binned = scores.auc().unwrap();
        assert!((exact - binned).abs() < 1e-4, "{exact} against {binned}");
        assert!((exact - 5.0 / 6.0).abs() < 1e-3, "{exact}");
    }

    #[test]
    fn roc_auc_ties_and_one_class_window() {
        let mut pairs = [(0.5, true), (0.5, false), (0.5, true), (0.1, false)];
        close(roc_auc(&mut pairs), (1.5 + 1.5) / 4.0);
        let mut pairs = [(-0.0, true), (0.0, false)];
        close(roc_auc(&mut pairs), 0.5);
        let c01 = ClassSet::from_labels(&[num(0), num(1)]);
        let mut m = ClassificationMetrics::new(2);
        for y in [0, 1, 1, 1] {
            m.update(&num(y), Some(&num(1)), Some((&c01, &[0.3, 0.7])));
        }
        let v = m.values();
        close(get(&v, "roc_auc"), 0.5);
        // Only positives in the window.
        assert_eq!(get(&v, "rolling_roc_auc"), None);
        close(get(&v, "rolling_accuracy"), 1.0);
        close(get(&v, "rolling_f1"), 1.0);
    }

    #[test]
    fn binary_f1_without_positives_is_none() {
        let c01 = ClassSet::from_labels(&[num(0), num(1)]);
        let mut m = ClassificationMetrics::new(1);
        m.update(&num(1), Some(&num(1)), Some((&c01, &[0.3, 0.7])));
        m.update(&num(0), Some(&num(0)), Some((&c01, &[0.7, 0.3])));
        let v = m.values();
        close(get(&v, "f1"), 1.0);
        assert_eq!(get(&v, "rolling_f1"), None);
        close(get(&v, "rolling_balanced_accuracy"), 1.0);
    }

    #[test]
    fn regression_matches_scikit_learn() {
        let y = [3.0, -0.5, 2.0, 7.0, 4.2];
        let p = [2.5, 0.0, 2.0, 8.0, 3.9];
        let mut m = RegressionMetrics::new(3);
        for (&a, &b) in y.iter().zip(&p) {
            m.update(a, b);
        }
        let v = m.values();
        let names: Vec<&str> = v.iter().map(|(k, _)| *k).collect();
        assert_eq!(names, REGRESSION_METRICS);
        // scikit-learn 1.9.1: mean_absolute_error, sqrt(mean_squared_error), r2_score.
        close(get(&v, "mae"), 0.4600000000000001);
        close(get(&v, "rmse"), 0.5639148871948674);
        close(get(&v, "r2"), 0.9480256276150627);
        close(get(&v, "rolling_mae"), 0.4333333333333334);
        close(get(&v, "rolling_rmse"), 0.6027713773341709);
        close(get(&v, "rolling_r2"), 0.9132165605095541);
    }

    #[test]
    fn regression_r2_undefined() {
        let mut m = RegressionMetrics::new(2);
        m.update(1.0, 0.0);
        let v = m.values();
        close(get(&v, "mae"), 1.0);
        assert_eq!(get(&v, "r2"), None);
        m.update(1.0, 2.0);
        let v = m.values();
        close(get(&v, "rmse"), 1.0);
        assert_eq!(get(&v, "r2"), None);
        assert_eq!(get(&v, "rolling_r2"), None);
        m.update(3.0, 3.0);
        // Window [(1, 2), (3, 3)]: SSE 1, SST 2.
        close(get(&m.values(), "rolling_r2"), 0.5);
        // All rows: SSE 2, mean 5/3, SST 8/3.
        close(get(&m.values(), "r2"), 1.0 - 2.0 / (8.0 / 3.0));
    }
}
