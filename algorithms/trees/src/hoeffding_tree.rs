//! The Hoeffding tree classifier (VFDT; Domingos and Hulten, 2000), as River defines it.

use std::cell::RefCell;
use std::fmt;

use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, ensure, index, nonneg, same_len, within};
use tidewater_core::row::check_weight;
use tidewater_core::spec::Params;
use tidewater_core::traits::{check_out_len, learn_dataset};
use tidewater_core::{
    Build, ClassSet, Classifier, Dataset, FeatureVector, Fit, Label, Result, Row, Structure,
};

use crate::criterion::SplitCriterion;
use crate::growth::{self, Branch, GrowingLeaf, Growth, Limits};
use crate::memo::{Found, Memo};
use crate::splitter::{
    Evaluation, ExhaustiveObserver, GaussTable, HistogramObserver, NominalObserver, Suggestion,
    Test, Watch, gaussian_best_split,
};
use crate::stats::ClassDist;
use tidewater_core::pyrandom::PyRandom;

/// What a leaf predicts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LeafPrediction {
    /// The majority class: the leaf's class weights, normalised.
    MajorityClass,
    /// Naive Bayes over the leaf's observers (once it has seen `nb_threshold` weight).
    NaiveBayes,
    /// Naive Bayes adaptive: per leaf, whichever of the two has been right more often.
    NaiveBayesAdaptive,
}

tidewater_core::param_choices!(LeafPrediction {
    MajorityClass => "mc",
    NaiveBayes => "nb",
    NaiveBayesAdaptive => "nba",
});

/// How a leaf watches a numeric feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NumericSplitter {
    /// A normal per class, `n_splits` candidate thresholds spread evenly between the
    /// smallest and largest value (River's `GaussianSplitter`, MOA's default).
    Gaussian,
    /// Every value kept in a binary search tree of class weights, each value a candidate
    /// threshold (River's `ExhaustiveSplitter`, with its estimates of the two sides, quirk
    /// included). Its naive Bayes density is 0, so naive Bayes leaves vote by the class
    /// weights alone on these features.
    Exhaustive,
    /// A streaming histogram of at most `n_bins` bins per class (Ben-Haim and Tom-Tov's),
    /// `n_splits` candidate thresholds spread evenly over the bins (River's
    /// `HistogramSplitter`; a row counts `floor(weight)` times).
    Histogram,
}

tidewater_core::param_choices!(NumericSplitter {
    Gaussian => "gaussian",
    Exhaustive => "exhaustive",
    Histogram => "histogram",
});

/// River's number of candidate thresholds of the Gaussian splitter.
const GAUSSIAN_N_SPLITS: usize = 10;
/// River's number of candidate thresholds of the histogram splitter.
const HISTOGRAM_N_SPLITS: usize = 32;

/// Hyper-parameters of [`HoeffdingTreeClassifier`] (River's names and defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "hoeffding_tree",
    summary = "Hoeffding tree classifier (VFDT): splits a leaf once the Hoeffding bound says its best split is the best (River's HoeffdingTreeClassifier)",
    row_loop_fit
)]
pub struct HoeffdingTreeClassifierParams {
    /// Weight a leaf sees between split attempts.
    #[param(default = 200, ge = 1)]
    pub grace_period: usize,
    /// The deepest a leaf may be (none: no limit); a leaf at this depth stops growing.
    #[param(default = None)]
    pub max_depth: Option<usize>,
    /// How splits are scored: info_gain, gini or hellinger (binary tasks).
    #[param(default = SplitCriterion::InfoGain)]
    pub split_criterion: SplitCriterion,
    /// Significance of the Hoeffding bound: one less the confidence that the chosen split is the best.
    #[param(default = 1e-7, gt = 0, lt = 1)]
    pub delta: f64,
    /// Tie threshold: split anyway once the Hoeffding bound is below it.
    #[param(default = 0.05, ge = 0)]
    pub tau: f64,
    /// What leaves predict with: mc (majority class), nb (naive Bayes) or nba (naive Bayes adaptive).
    #[param(default = LeafPrediction::NaiveBayesAdaptive)]
    pub leaf_prediction: LeafPrediction,
    /// Weight a leaf must have seen before leaf_prediction=nb uses naive Bayes.
    #[param(default = 0.0, ge = 0)]
    pub nb_threshold: f64,
    /// The features (0-based indices) that are nominal (category codes): multiway or equality splits, counted per value.
    #[param(default = None)]
    pub nominal_attributes: Option<Vec<usize>>,
    /// How leaves watch numeric features: gaussian (a normal per class), exhaustive (every value, a search tree of class weights) or histogram (a histogram per class).
    #[param(default = NumericSplitter::Gaussian)]
    pub splitter: NumericSplitter,
    /// Candidate thresholds per numeric feature, gaussian and histogram splitters (none: River's, 10 for gaussian and 32 for histogram).
    #[param(default = None, ge = 1)]
    pub n_splits: Option<usize>,
    /// Most bins of each class's histogram (histogram splitter).
    #[param(default = 256, ge = 1)]
    pub n_bins: usize,
    /// Only binary splits (a nominal feature splits on one value against the rest).
    #[param(default = false)]
    pub binary_split: bool,
    /// Least share of the weight each of two branches must get for a split to count.
    #[param(default = 0.01, ge = 0, lt = 0.5)]
    pub min_branch_fraction: f64,
    /// A leaf whose majority class holds more than this share of its weight is not split.
    #[param(default = 0.99, gt = 0, le = 1)]
    pub max_share_to_split: f64,
    /// Largest size of the tree in MiB before the least promising leaves are deactivated.
    #[param(default = 100.0, gt = 0)]
    pub max_size: f64,
    /// Weight seen between estimates of the tree's size.
    #[param(default = 1_000_000, ge = 1)]
    pub memory_estimate_period: usize,
    /// Stop growing for good once the size limit is met.
    #[param(default = false)]
    pub stop_mem_management: bool,
    /// Stop watching, in majority-class leaves, the features whose merit trails the best by more than the bound.
    #[param(default = false)]
    pub remove_poor_attrs: bool,
    /// Let "no split" compete with the splits (pre-pruning by merit).
    #[param(default = true)]
    pub merit_preprune: bool,
}

impl Build for HoeffdingTreeClassifierParams {
    type Model = HoeffdingTreeClassifier;
    fn build(&self) -> Result<HoeffdingTreeClassifier> {
        self.validate()?;
        Ok(HoeffdingTreeClassifier {
            params: self.clone(),
            classes: ClassSet::new(),
            labels: Vec::new(),
            sorted_ids: Vec::new(),
            pos: Vec::new(),
            dim: None,
            nominal: Vec::new(),
            nodes: Vec::new(),
            root: 0,
            growth: Growth::default(),
            subspace: None,
            weight_seen: 0.0,
            memo: Memo::default(),
        })
    }
}

impl Fit for HoeffdingTreeClassifierParams {
    type Model = HoeffdingTreeClassifier;
    /// One pass over the rows in order: the tree `learn_one` grows on the same rows, so
    /// `fit` then `learn_one` continues that tree.
    fn fit(&self, data: &Dataset) -> Result<HoeffdingTreeClassifier> {
        let mut m = self.build()?;
        m.set_nominal_features(&data.schema.nominal_indices());
        learn_dataset(&mut m, data)?;
        Ok(m)
    }
}

/// A node of the classification tree.
pub(crate) type Node = growth::Node<Leaf>;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Leaf {
    pub(crate) stats: ClassDist,
    pub(crate) depth: usize,
    /// What the leaf watches of each feature; `None` when the leaf is inactive (it keeps its
    /// class weights but learns no split).
    pub(crate) obs: Option<LeafObs>,
    /// How many classes are present with weight 0, and while there are any, the log of the
    /// total weight (their naive Bayes vote).
    pub(crate) n_zero: usize,
    pub(crate) ln_total: f64,
    pub(crate) last_split_attempt_at: f64,
    pub(crate) mc_correct: f64,
    pub(crate) nb_correct: f64,
}

/// An active leaf's observers: a watch per feature (made at the leaf's first row) and, per
/// class id, the Gaussian table of the numeric features (made at the class's first row here).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct LeafObs {
    pub(crate) watch: Vec<Watch>,
    /// The feature of each Gaussian column.
    gauss_features: Vec<usize>,
    tables: Vec<Option<GaussTable>>,
    /// Every feature is watched, numeric, and column `f` is feature `f` (the naive Bayes
    /// votes then read the tables straight through).
    all_gauss: bool,
}

impl LeafObs {
    /// Watches for `nominal.len()` features, made at the leaf's first row (numeric ones by
    /// `p`'s splitter).
    pub(crate) fn start(&mut self, nominal: &[bool], p: &HoeffdingTreeClassifierParams) {
        for (f, &is_nominal) in nominal.iter().enumerate() {
            self.watch_feature(f, is_nominal, p);
        }
        self.all_gauss = self.gauss_features.len() == nominal.len();
    }

    /// Watches for the features of `subset` (sorted) only, made at the leaf's first row.
    pub(crate) fn start_subset(
        &mut self,
        nominal: &[bool],
        subset: &[usize],
        p: &HoeffdingTreeClassifierParams,
    ) {
        let mut next = subset.iter().peekable();
        for (f, &is_nominal) in nominal.iter().enumerate() {
            if next.peek() != Some(&&f) {
                self.watch.push(Watch::Off);
                continue;
            }
            next.next();
            self.watch_feature(f, is_nominal, p);
        }
        self.all_gauss = self.gauss_features.len() == nominal.len();
    }

    /// Appends the watch of feature `f` (the next one).
    fn watch_feature(&mut self, f: usize, is_nominal: bool, p: &HoeffdingTreeClassifierParams) {
        let watch = if is_nominal {
            Watch::Nominal(NominalObserver::default())
        } else {
            match p.splitter {
                NumericSplitter::Gaussian => {
                    self.gauss_features.push(f);
                    Watch::Gaussian(self.gauss_features.len() - 1)
                }
                NumericSplitter::Exhaustive => Watch::Exhaustive(ExhaustiveObserver::default()),
                NumericSplitter::Histogram => Watch::Histogram(HistogramObserver::new(p.n_bins)),
            }
        };
        self.watch.push(watch);
    }

    /// Learns row `x` (dense) of class `id` with weight `w` (`nb`: keep the naive Bayes
    /// terms of the Gaussian tables, the class's weight at the leaf being now `class_w`).
    #[inline]
    pub(crate) fn update(&mut self, x: &[f64], id: usize, w: f64, nb: bool, class_w: f64) {
        let m = self.gauss_features.len();
        if m > 0 {
            if self.tables.len() <= id {
                self.tables.resize(id + 1, None);
            }
            let t = self.tables[id].get_or_insert_with(|| GaussTable::new(m));
            if m == x.len() {
                // Every feature numeric: the columns are the features.
                t.update(w, nb, x, class_w);
            } else {
                GATHER.with(|buf| {
                    let mut buf = buf.borrow_mut();
                    buf.clear();
                    buf.extend(self.gauss_features.iter().map(|&f| x[f]));
                    t.update(w, nb, &buf, class_w);
                });
            }
        }
        if !self.all_gauss {
            self.update_watches(x, id, w);
        }
    }

    /// The non-Gaussian watches learn row `x` of class `id` with weight `w`.
    #[inline(never)]
    fn update_watches(&mut self, x: &[f64], id: usize, w: f64) {
        for (f, watch) in self.watch.iter_mut().enumerate() {
            match watch {
                Watch::Nominal(o) => o.update(x[f], id, w),
                Watch::Exhaustive(o) => o.update(x[f], id, w),
                Watch::Histogram(o) => o.update(x[f], id, w),
                Watch::Gaussian(_) | Watch::Off => {}
            }
        }
    }

    /// The naive Bayes log vote of class `id`, of weight `w` at the leaf, for row `x`: the
    /// log of `w` plus, per watched feature in order, the log of `p(x_f | class)` where it is
    /// positive (River skips a density of 0, a nominal value never seen with the class and
    /// a class without statistics). River's vote also subtracts the log of the leaf's total
    /// weight, the same for every class: [`Leaf::nb_votes`] leaves it out.
    #[inline]
    fn nb_vote(&self, x: &[f64], id: usize, w: f64) -> f64 {
        let table = self.tables.get(id).and_then(Option::as_ref);
        if self.all_gauss {
            // The same terms, the prior and the normalisation folded into one constant the
            // table keeps at each update.
            return match table {
                Some(t) => t.vote(x),
                None => w.ln(),
            };
        }
        self.nb_vote_from(x, id, w.ln())
    }

    /// [`nb_vote`](Self::nb_vote) from the log prior `ln_prior`, feature by feature.
    #[inline(never)]
    fn nb_vote_from(&self, x: &[f64], id: usize, ln_prior: f64) -> f64 {
        let mut v = ln_prior;
        let table = self.tables.get(id).and_then(Option::as_ref);
        for (f, watch) in self.watch.iter().enumerate() {
            match watch {
                Watch::Gaussian(col) => {
                    if let Some(t) = table {
                        let lp = t.log_pdf(*col, x[f]);
                        if lp > f64::NEG_INFINITY {
                            v += lp;
                        }
                    }
                }
                Watch::Nominal(o) => {
                    let p = o.cond_proba(x[f], id);
                    if p > 0.0 {
                        v += p.ln();
                    }
                }
                Watch::Histogram(o) => {
                    let p = o.cond_proba(x[f], id);
                    if p > 0.0 {
                        v += p.ln();
                    }
                }
                // River's exhaustive splitter gives every value the density 0: no evidence.
                Watch::Exhaustive(_) | Watch::Off => {}
            }
        }
        v
    }

    fn bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.gauss_features.capacity() * 8
            + self
                .watch
                .iter()
                .map(|w| match w {
                    Watch::Nominal(o) => o.bytes(),
                    Watch::Exhaustive(o) => o.bytes(),
                    Watch::Histogram(o) => o.bytes(),
                    Watch::Gaussian(_) | Watch::Off => std::mem::size_of::<Watch>(),
                })
                .sum::<usize>()
            + self
                .tables
                .iter()
                .map(|t| t.as_ref().map_or(8, GaussTable::bytes))
                .sum::<usize>()
    }
}

impl GrowingLeaf for Leaf {
    fn depth(&self) -> usize {
        self.depth
    }
    fn weight(&self) -> f64 {
        self.stats.total()
    }
    fn is_active(&self) -> bool {
        self.obs.is_some()
    }
    fn activate(&mut self) {
        if self.obs.is_none() {
            self.obs = Some(LeafObs::default());
        }
    }
    fn deactivate(&mut self) {
        self.obs = None;
    }
    fn promise(&self) -> f64 {
        Leaf::promise(self)
    }
    fn bytes(&self) -> usize {
        Leaf::bytes(self)
    }
}

impl Leaf {
    pub(crate) fn new(stats: ClassDist, depth: usize) -> Self {
        let total = stats.total();
        let n_zero = stats.iter().filter(|(_, w)| *w == 0.0).count();
        Leaf {
            stats,
            depth,
            obs: Some(LeafObs::default()),
            n_zero,
            ln_total: total.ln(),
            last_split_attempt_at: total,
            mc_correct: 0.0,
            nb_correct: 0.0,
        }
    }

    pub(crate) fn is_active(&self) -> bool {
        self.obs.is_some()
    }

    /// How likely the leaf is to split: the weight not in its majority class.
    fn promise(&self) -> f64 {
        let total = self.stats.total();
        if total > 0.0 {
            total - self.stats.max_weight()
        } else {
            0.0
        }
    }

    fn bytes(&self) -> usize {
        std::mem::size_of::<Leaf>()
            + self.stats.bytes()
            + self.obs.as_ref().map_or(0, LeafObs::bytes)
    }

    /// The naive Bayes log votes of the present classes into `votes` (by class id), `false`
    /// when there is nothing to vote with (River's empty prediction).
    ///
    /// The votes are River's shifted by the log of the leaf's total weight (the log prior of
    /// class `c` is kept as `ln(w_c)`, updated with `w_c`, instead of `ln(w_c / total)`
    /// recomputed per vote), which changes neither their order nor their softmax. River
    /// has a class present with weight 0 vote 0, so such a class votes the log of the total
    /// here.
    ///
    /// Returns the class of the largest vote (the first in id order on a tie, as
    /// [`nb_argmax`](Self::nb_argmax)), `None` when there was nothing to vote with.
    #[inline]
    fn nb_votes(&self, x: &[f64], votes: &mut [f64], pos: &[usize]) -> Option<usize> {
        let total = self.stats.total();
        if self.stats.is_empty() || total == 0.0 {
            return None;
        }
        let obs = self.obs.as_ref()?;
        let mut best: Option<(usize, f64)> = None;
        for (id, w) in self.stats.iter() {
            let v = if w > 0.0 {
                obs.nb_vote(x, id, w)
            } else {
                self.ln_total
            };
            votes[pos[id]] = v;
            if best.is_none_or(|(_, b)| v > b) {
                best = Some((id, v));
            }
        }
        best.map(|(id, _)| id)
    }

    /// River's naive Bayes probabilities of the present classes into `probs` (by class
    /// id), with River's arithmetic step by step: the log votes `ln(w_c / total)` plus the
    /// features' log densities, then `exp(vote - lse)` with `lse` the log-sum-exp of the
    /// votes. Used by trees whose numeric densities are discrete (histogram bins; the
    /// exhaustive splitter has none): there classes often tie exactly, and only River's own
    /// rounding breaks the ties as River does.
    ///
    /// Returns the class of the largest probability (the first in id order on a tie),
    /// `None` when there is nothing to vote with (River's empty prediction).
    fn nb_proba_river(&self, x: &[f64], probs: &mut [f64]) -> Option<usize> {
        let total = self.stats.total();
        if self.stats.is_empty() || total == 0.0 {
            return None;
        }
        let obs = self.obs.as_ref()?;
        let mut max = f64::NEG_INFINITY;
        for (id, w) in self.stats.iter() {
            let v = if w > 0.0 {
                obs.nb_vote_from(x, id, (w / total).ln())
            } else {
                0.0
            };
            probs[id] = v;
            max = max.max(v);
        }
        let sum = self
            .stats
            .iter()
            .fold(0.0, |s, (id, _)| s + (probs[id] - max).exp());
        let lse = max + sum.ln();
        let mut best: Option<(usize, f64)> = None;
        for (id, _) in self.stats.iter() {
            let p = (probs[id] - lse).exp();
            probs[id] = p;
            if best.is_none_or(|(_, b)| p > b) {
                best = Some((id, p));
            }
        }
        best.map(|(id, _)| id)
    }

    /// The class naive Bayes would predict (the largest vote, the first on a tie); with
    /// `river`, by River's probabilities ([`nb_proba_river`](Self::nb_proba_river)).
    pub(crate) fn nb_argmax(&self, x: &[f64], river: bool) -> Option<usize> {
        if river {
            return with_buf(self.stats.width(), |p| self.nb_proba_river(x, p));
        }
        let total = self.stats.total();
        let obs = self.obs.as_ref()?;
        if self.stats.is_empty() || total == 0.0 {
            return None;
        }
        let mut best: Option<(usize, f64)> = None;
        for (id, w) in self.stats.iter() {
            let v = if w > 0.0 {
                obs.nb_vote(x, id, w)
            } else {
                self.ln_total
            };
            if best.is_none_or(|(_, b)| v > b) {
                best = Some((id, v));
            }
        }
        best.map(|(id, _)| id)
    }

    /// Adds `w` to class `id`'s weight (`nb`: keeping what naive Bayes needs); returns the
    /// class's weight now.
    #[inline]
    fn add(&mut self, id: usize, w: f64, nb: bool) -> f64 {
        let was_zero = self.stats.get(id).map(|v| v == 0.0);
        self.stats.add(id, w);
        let now = self.stats.get(id).unwrap_or(0.0);
        match (was_zero, now == 0.0) {
            (Some(true), false) => self.n_zero -= 1,
            (None, true) => self.n_zero += 1,
            _ => {}
        }
        if nb && self.n_zero > 0 {
            self.ln_total = self.stats.total().ln();
        }
        now
    }
}

thread_local! {
    /// A sparse row made dense, for the tree's per-feature loops.
    static DENSE: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
    /// A row's numeric features, when some are nominal.
    static GATHER: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on a zeroed buffer of `k` values (on the stack for few classes).
///
/// Beyond 32 classes the buffer is allocated (callers may nest, so no shared one is lent).
pub(crate) fn with_buf<R>(k: usize, f: impl FnOnce(&mut [f64]) -> R) -> R {
    if k <= 32 {
        let mut buf = [0.0; 32];
        f(&mut buf[..k])
    } else {
        f(&mut vec![0.0; k])
    }
}

/// The prequential step of a tree classifier whose `predict_one` is the first largest of its
/// class probabilities in label order: the probabilities once, the label read from them, then
/// learning (the trait's default computes the prediction twice). An error leaves the model
/// as it was, as `learn_one`'s do.
pub(crate) fn proba_then_learn<M: Classifier>(
    m: &mut M,
    x: Row<'_>,
    y: &Label,
    weight: Option<f64>,
    out: &mut [f64],
) -> Result<Option<Label>> {
    m.predict_proba_into(x, out)?;
    // The label now: learning may add a class before it in label order.
    let prediction = if m.classes().is_empty() {
        None
    } else {
        m.classes().labels().get(crate::cart::argmax(out)).cloned()
    };
    m.learn_one(x, y, weight)?;
    Ok(prediction)
}

/// Runs `f` on `x` as a dense slice (a sparse row's absent features are zeros).
pub(crate) fn with_dense<R>(x: Row<'_>, f: impl FnOnce(&[f64]) -> R) -> R {
    match x {
        Row::Dense(v) => f(v),
        Row::Sparse(_) => DENSE.with(|buf| {
            let mut buf = buf.borrow_mut();
            buf.clear();
            buf.extend((0..x.dim()).map(|j| x.get(j)));
            f(&buf)
        }),
    }
}

/// The Hoeffding tree classifier (Domingos and Hulten's VFDT), River's
/// `HoeffdingTreeClassifier` rule by rule.
///
/// A leaf keeps its class weights and, per feature, an observer: for a numeric feature, by
/// `splitter`, a normal per class (`gaussian`, the default), every value in a search tree of
/// class weights (`exhaustive`) or a histogram per class (`histogram`), each River's own
/// with its quirks (see [`NumericSplitter`]); for a nominal one (`nominal_attributes`) the
/// class weights of each value. Every `grace_period` of weight it scores each feature's best split (information
/// gain, Gini or Hellinger) and splits on the best when it beats the second by more than the
/// Hoeffding bound `sqrt(R^2 ln(1/delta) / 2n)`, or when the bound falls below `tau`. The new
/// leaves start from the split's estimate of their class weights. With `merit_preprune`,
/// "no split" competes too (its merit is `-inf`, as in River; MOA scores it by the node's
/// current merit), and a leaf whose majority class holds more than `max_share_to_split` of
/// its weight is deactivated instead of split. Deactivated leaves keep predicting but stop
/// learning splits; River re-activates every leaf (with empty observers) after each split
/// while the tree's size has not been estimated yet (before `memory_estimate_period`
/// weight), and this tree does the same, so that it grows River's trees.
///
/// Leaves predict the majority class (`mc`), naive Bayes over their observers (`nb`), or
/// whichever of the two has been right more often at that leaf (`nba`, the default). With
/// the exhaustive or histogram splitter, naive Bayes is computed with River's arithmetic step
/// by step, since their discrete densities make classes tie exactly.
///
/// Memory is managed as River (after Kirkby, 2007): every `memory_estimate_period` of
/// weight the tree estimates its size (from its own structures, not Python objects), and
/// beyond `max_size` MiB it deactivates the least promising leaves. `fit` is one pass over
/// the rows in order, so `fit` then `learn_one` continues the same tree.
///
/// A prediction (`predict_proba_into`, `predict_one`) remembers, for the learning step of the
/// same row that usually follows it, the leaf it reached and the naive Bayes class it found
/// there: `learn_one` of that very row (bit for bit, on the tree unchanged since) then skips
/// the descent, the row's checks and the votes, and learns exactly what it would have. The
/// memo is in atomics, so the tree stays `Sync`; it is neither saved nor cloned, and any other
/// row, or any change of the tree, makes `learn_one` work it all out again.
///
/// Features are the row's positions; a sparse row's absent features are zeros. With the
/// Gaussian splitter, `learn_one` allocates nothing between splits once the leaf's observers
/// know its classes and values (the exhaustive splitter keeps a node per distinct value, and
/// a histogram grows to `n_bins` bins).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HoeffdingTreeClassifier {
    pub(crate) params: HoeffdingTreeClassifierParams,
    /// The classes in label order.
    pub(crate) classes: ClassSet,
    /// The labels by class id (ids in the order the classes were first seen).
    pub(crate) labels: Vec<Label>,
    /// The class id of each class in label order.
    pub(crate) sorted_ids: Vec<usize>,
    /// The label position of each class id (the inverse of `sorted_ids`).
    pub(crate) pos: Vec<usize>,
    pub(crate) dim: Option<usize>,
    /// Whether each feature is nominal.
    pub(crate) nominal: Vec<bool>,
    /// The nodes (an arena: branches name their children by index).
    pub(crate) nodes: Vec<Node>,
    /// The root's index (0 once the tree has learned; adaptive trees move it).
    pub(crate) root: usize,
    /// Leaf counts and size estimates (memory management).
    pub(crate) growth: Growth,
    pub(crate) weight_seen: f64,
    /// Features a leaf watches, drawn at its first row (a forest's trees); `None`: all.
    pub(crate) subspace: Option<usize>,
    /// The last prediction's descent, for learning the same row next (not saved).
    #[serde(skip)]
    pub(crate) memo: Memo,
}

impl HoeffdingTreeClassifier {
    /// An empty tree with default parameters.
    pub fn new() -> Self {
        HoeffdingTreeClassifierParams::default()
            .build()
            .expect("default parameters are valid")
    }

    /// The hyper-parameters.
    pub fn params(&self) -> &HoeffdingTreeClassifierParams {
        &self.params
    }

    /// The number of nodes, branches and leaves.
    pub fn n_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// The number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n, Node::Leaf(_)))
            .count()
    }

    /// The number of leaves still learning splits.
    pub fn n_active_leaves(&self) -> usize {
        self.growth.n_active
    }

    /// The depth of the deepest leaf (0 for a single leaf or an empty tree).
    pub fn depth(&self) -> usize {
        self.nodes
            .iter()
            .filter_map(|n| match n {
                Node::Leaf(l) => Some(l.depth),
                Node::Branch(_) => None,
            })
            .max()
            .unwrap_or(0)
    }

    /// The tree as text (as [`Display`](fmt::Display)), features named from `names`
    /// (`x<j>` past their end).
    pub fn to_text_with(&self, names: &[String]) -> String {
        growth::render(&self.nodes, self.root, names, &|l| self.leaf_words(l))
    }

    /// The tree in Graphviz's dot language, features named `x<j>`.
    pub fn to_dot(&self) -> String {
        self.to_dot_with(&[])
    }

    /// The tree in Graphviz's dot language, features named from `names`.
    pub fn to_dot_with(&self, names: &[String]) -> String {
        growth::to_dot(&self.nodes, self.root, names, &|l| self.leaf_words(l))
    }

    /// A leaf's words in the renderings: its majority class, weight and state.
    fn leaf_words(&self, l: &Leaf) -> String {
        let class = l
            .stats
            .argmax()
            .map_or_else(|| "-".to_owned(), |id| self.labels[id].to_string());
        let state = if l.is_active() { "active" } else { "inactive" };
        format!("class {class} (weight {:.2}, {state})", l.stats.total())
    }

    /// The tree's [`Structure`] with features named from `names`.
    pub(crate) fn structure_with(&self, names: &[String]) -> Structure {
        Structure {
            trees: 1,
            depth: self.depth(),
            n_nodes: self.n_nodes(),
            n_leaves: self.n_leaves(),
            feature_importances: None,
            text: self.to_text_with(names),
            dot: self.to_dot_with(names),
        }
    }

    /// The weight learned so far.
    pub fn weight_seen(&self) -> f64 {
        self.weight_seen
    }

    /// The id of class `y`, adding it when new.
    #[inline]
    pub(crate) fn class_id(&mut self, y: &Label) -> usize {
        match self.labels.iter().position(|l| l == y) {
            Some(id) => id,
            None => self.add_class(y),
        }
    }

    /// Adds class `y` (new) and returns its id.
    #[cold]
    #[inline(never)]
    fn add_class(&mut self, y: &Label) -> usize {
        self.labels.push(y.clone());
        self.classes.insert(y);
        self.sorted_ids = self
            .classes
            .labels()
            .iter()
            .map(|l| {
                self.labels
                    .iter()
                    .position(|m| m == l)
                    .expect("a known label")
            })
            .collect();
        self.pos = vec![0; self.sorted_ids.len()];
        for (k, &id) in self.sorted_ids.iter().enumerate() {
            self.pos[id] = k;
        }
        self.labels.len() - 1
    }

    /// The two class ids of a binary task in label order (negative, positive).
    pub(crate) fn binary_ids(&self) -> Option<(usize, usize)> {
        (self.sorted_ids.len() == 2).then(|| (self.sorted_ids[0], self.sorted_ids[1]))
    }

    /// The index of the leaf `x` reaches (a nominal value without a child takes the
    /// heaviest child).
    #[inline]
    pub(crate) fn leaf_index_of(&self, x: &[f64]) -> Option<usize> {
        growth::leaf_index_of(&self.nodes, self.root, x)
    }

    /// The child of `b` with the most weight below it (the first on a tie).
    pub(crate) fn heaviest_child(&self, b: &Branch) -> usize {
        growth::heaviest_child(&self.nodes, b)
    }

    /// The leaf's class probabilities into `out` (by class id), as River's leaves give them
    /// (absent classes 0; all 0 when the leaf has nothing).
    ///
    /// Returns `Some(naive Bayes class)` when the probabilities are naive Bayes votes (what
    /// learning the row at this leaf would compute again), `None` otherwise.
    pub(crate) fn leaf_proba(
        &self,
        leaf: &Leaf,
        x: &[f64],
        out: &mut [f64],
    ) -> Option<Option<usize>> {
        let pos = &self.pos;
        out.fill(0.0);
        let nb = leaf.is_active()
            && match self.params.leaf_prediction {
                LeafPrediction::MajorityClass => false,
                LeafPrediction::NaiveBayes => leaf.stats.total() >= self.params.nb_threshold,
                LeafPrediction::NaiveBayesAdaptive => leaf.nb_correct >= leaf.mc_correct,
            };
        if nb && self.params.splitter != NumericSplitter::Gaussian {
            return Some(with_buf(leaf.stats.width(), |p| {
                let argmax = leaf.nb_proba_river(x, p);
                if argmax.is_some() {
                    for (id, _) in leaf.stats.iter() {
                        out[pos[id]] = p[id];
                    }
                }
                argmax
            }));
        }
        if nb {
            let argmax = leaf.nb_votes(x, out, pos);
            if argmax.is_some() {
                let max = leaf
                    .stats
                    .iter()
                    .map(|(id, _)| out[pos[id]])
                    .fold(f64::NEG_INFINITY, f64::max);
                // Softmax of the log votes (River's normalisation, as exp(v - max) / sum
                // rather than exp(v - log-sum-exp): one exponential per class, no logarithm).
                let mut sum = 0.0;
                for (id, _) in leaf.stats.iter() {
                    let e = (out[pos[id]] - max).exp();
                    out[pos[id]] = e;
                    sum += e;
                }
                for (id, _) in leaf.stats.iter() {
                    out[pos[id]] /= sum;
                }
            }
            return Some(argmax);
        }
        let total = leaf.stats.total();
        for (id, w) in leaf.stats.iter() {
            out[pos[id]] = if total == 0.0 { w } else { w / total };
        }
        None
    }

    /// The class probabilities of `x` (dense, checked) into `out`, in label order, and what
    /// learning `x` next can take from the prediction: the leaf, when learning reaches it by
    /// the same descent, and the naive Bayes class found there.
    #[inline]
    pub(crate) fn found(&self, x: &[f64], out: &mut [f64]) -> Option<Found> {
        match growth::leaf_index_exact(&self.nodes, self.root, x) {
            Some((i, exact)) => {
                let Node::Leaf(leaf) = &self.nodes[i] else {
                    unreachable!("a leaf")
                };
                let nb = self.leaf_proba(leaf, x, out);
                exact.then_some(Found { leaf: i, nb })
            }
            None => {
                out.fill(0.0);
                None
            }
        }
    }

    /// The class probabilities of `x` (dense, checked) into `out`, in label order.
    #[inline]
    pub(crate) fn proba_into(&self, x: &[f64], out: &mut [f64]) {
        self.found(x, out);
    }

    /// Leaf `i` learns row `x` of class `id`.
    ///
    /// `nb_hint` is the naive Bayes class of `x` at this leaf when the caller has just
    /// computed it (the fused prequential step), to be used instead of computing it again.
    pub(crate) fn learn_at(
        &mut self,
        i: usize,
        x: &[f64],
        id: usize,
        w: f64,
        nb_hint: Option<Option<usize>>,
        rng: Option<&mut PyRandom>,
    ) {
        let nba = self.params.leaf_prediction == LeafPrediction::NaiveBayesAdaptive;
        let nb = self.params.leaf_prediction != LeafPrediction::MajorityClass;
        let river_nb = self.params.splitter != NumericSplitter::Gaussian;
        let Node::Leaf(leaf) = &mut self.nodes[i] else {
            unreachable!("a leaf")
        };
        if nba && leaf.is_active() {
            if leaf.stats.is_empty() || leaf.stats.argmax() == Some(id) {
                leaf.mc_correct += w;
            }
            let nb_class = match nb_hint {
                Some(c) => c,
                None => leaf.nb_argmax(x, river_nb),
            };
            if nb_class == Some(id) {
                leaf.nb_correct += w;
            }
        }
        let class_w = leaf.add(id, w, nb);
        if let Some(obs) = &mut leaf.obs {
            if obs.watch.is_empty() {
                match (self.subspace, rng) {
                    // A random subspace (a forest's tree): `k` features drawn at the leaf's
                    // first row, or all when there are no more.
                    (Some(k), Some(rng)) if k < self.nominal.len() => {
                        let mut subset = Vec::with_capacity(k);
                        rng.sample(self.nominal.len(), k, &mut subset);
                        subset.sort_unstable();
                        obs.start_subset(&self.nominal, &subset, &self.params);
                    }
                    _ => obs.start(&self.nominal, &self.params),
                }
            }
            obs.update(x, id, w, nb, class_w);
        }
    }

    /// Tries to split leaf `i` (River's `_attempt_to_split`).
    pub(crate) fn attempt_split(&mut self, i: usize) {
        let binary = self.binary_ids();
        let Node::Leaf(leaf) = &mut self.nodes[i] else {
            return;
        };
        if leaf.stats.is_pure() {
            return;
        }
        let p = &self.params;
        let mut suggestions = Vec::new();
        let total = leaf.stats.total();
        let majority = leaf.stats.max_weight();
        if majority > 0.0 && majority / total > p.max_share_to_split {
            suggestions.push(Suggestion::null());
        } else {
            if p.merit_preprune {
                suggestions.push(Suggestion::null());
            }
            if let Some(obs) = &leaf.obs {
                suggest(p, binary, &leaf.stats, obs, &mut suggestions);
            }
        }
        // Stable: among equal merits the later candidate counts as the better.
        suggestions.sort_by(|a, b| {
            a.merit
                .partial_cmp(&b.merit)
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let n = suggestions.len();
        let mut split = n == 1;
        if n >= 2 {
            let bound = hoeffding_bound(p.split_criterion.range(&leaf.stats), p.delta, total);
            let (best, second) = (&suggestions[n - 1], &suggestions[n - 2]);
            split = best.merit - second.merit > bound || bound < p.tau;
            if p.remove_poor_attrs && p.leaf_prediction == LeafPrediction::MajorityClass {
                for s in &suggestions {
                    if let Some(f) = s.feature
                        && best.merit - s.merit > bound
                        && let Some(obs) = leaf.obs.as_mut()
                        && let Some(w) = obs.watch.get_mut(f)
                    {
                        *w = Watch::Off;
                        obs.all_gauss = false;
                    }
                }
            }
        }
        if !split {
            return;
        }
        let decision = suggestions.pop().expect("at least one suggestion");
        match (decision.feature, decision.test) {
            (Some(feature), Some(test)) => {
                let depth = leaf.depth;
                self.install_branch(i, feature, test, decision.children, depth);
                self.growth.n_active = self.growth.n_active + k_children(&self.nodes[i]) - 1;
            }
            _ => {
                // Pre-pruning: "no split" won.
                leaf.obs = None;
                self.growth.n_active = self.growth.n_active.saturating_sub(1);
                self.growth.n_inactive += 1;
            }
        }
        self.enforce_size_limit();
    }

    /// Makes node `i` a branch at `depth` testing `test` on `feature`, with a new leaf per
    /// child class distribution (pushed at the end of the arena).
    pub(crate) fn install_branch(
        &mut self,
        i: usize,
        feature: usize,
        test: Test,
        children: Vec<ClassDist>,
        depth: usize,
    ) {
        let first = self.nodes.len();
        let k = children.len();
        for stats in children {
            self.nodes
                .push(Node::Leaf(Box::new(Leaf::new(stats, depth + 1))));
        }
        self.nodes[i] = Node::Branch(Branch::new(feature, test, first, k, depth));
    }

    /// Rebuilds the arena with only the nodes `live` names, in that order (the root among
    /// them), renumbering the branches' children; returns the new index of each old one
    /// (`usize::MAX` for the dropped), for the caller's per-node state.
    pub(crate) fn compact(&mut self, live: &[usize]) -> Vec<usize> {
        let mut map = vec![usize::MAX; self.nodes.len()];
        for (new, &old) in live.iter().enumerate() {
            map[old] = new;
        }
        let mut slots: Vec<Option<Node>> = std::mem::take(&mut self.nodes)
            .into_iter()
            .map(Some)
            .collect();
        self.nodes = live
            .iter()
            .map(|&old| {
                let mut node = slots[old].take().expect("each node once");
                if let Node::Branch(b) = &mut node {
                    for k in 0..b.children.len() {
                        let c = map[b.children[k]];
                        b.set_child(k, c);
                    }
                }
                node
            })
            .collect();
        self.root = map[self.root];
        map
    }

    /// The limits of memory management.
    pub(crate) fn limits(&self) -> Limits {
        Limits::new(
            self.params.max_size,
            self.params.max_depth,
            self.params.stop_mem_management,
        )
    }

    /// Deactivates the least promising leaves beyond the size limit, and re-activates the
    /// others (River's `_enforce_size_limit`, its arithmetic included).
    pub(crate) fn enforce_size_limit(&mut self) {
        let lim = self.limits();
        self.growth
            .enforce_size_limit(&mut self.nodes, self.root, &lim);
    }

    /// Estimates the tree's size when the weight seen is a multiple of the period (River's
    /// test; out of line, so that the remainder is only computed past the first period).
    #[inline(never)]
    pub(crate) fn maybe_estimate_size(&mut self) {
        if self.weight_seen % self.params.memory_estimate_period as f64 == 0.0 {
            self.estimate_size();
        }
    }

    /// Estimates the leaves' sizes and the tree's, and enforces the limit when the tree is
    /// beyond it (River's `_estimate_model_size`, with this tree's own byte counts).
    fn estimate_size(&mut self) {
        let lim = self.limits();
        let base =
            std::mem::size_of::<Self>() + self.nodes.capacity() * std::mem::size_of::<Node>();
        self.growth
            .estimate_size(&mut self.nodes, self.root, base, &lim);
    }

    /// Learns row `x` (dense, checked) of class `id` with weight `w`.
    ///
    /// `found`: what a prediction of `x` on this very tree found (the leaf learning reaches,
    /// by a descent it need not repeat, and the naive Bayes class there).
    pub(crate) fn learn_dense(
        &mut self,
        x: &[f64],
        id: usize,
        w: f64,
        found: Option<Found>,
        rng: Option<&mut PyRandom>,
    ) {
        // The tree changes: no earlier prediction's descent holds any more.
        self.memo.clear();
        self.weight_seen += w;
        if self.nodes.is_empty() {
            self.nodes
                .push(Node::Leaf(Box::new(Leaf::new(ClassDist::default(), 0))));
            self.growth.n_active = 1;
        }
        let found = found.filter(|f| matches!(self.nodes.get(f.leaf), Some(Node::Leaf(_))));
        // Down to the leaf; a nominal value the multiway test has not met gets a new leaf,
        // which learns the row without a split attempt (River's rule).
        let mut i = found.map_or(self.root, |f| f.leaf);
        let mut fresh = false;
        while let Node::Branch(b) = &self.nodes[i] {
            let v = x[b.feature];
            match b.child(v) {
                Some(c) => i = c,
                None => {
                    let depth = b.depth + 1;
                    let leaf = self.nodes.len();
                    self.nodes
                        .push(Node::Leaf(Box::new(Leaf::new(ClassDist::default(), depth))));
                    self.add_value(i, v, leaf);
                    self.growth.n_active += 1;
                    i = leaf;
                    fresh = true;
                    break;
                }
            }
        }
        let nb_hint = found.and_then(|f| f.nb);
        self.learn_at(i, x, id, w, nb_hint, rng);
        if !fresh && self.growth.growth_allowed {
            let max_depth = self.params.max_depth.unwrap_or(usize::MAX);
            let grace = self.params.grace_period as f64;
            let Node::Leaf(leaf) = &mut self.nodes[i] else {
                unreachable!("a leaf")
            };
            if leaf.is_active() {
                if leaf.depth >= max_depth {
                    leaf.obs = None;
                    self.growth.n_active = self.growth.n_active.saturating_sub(1);
                    self.growth.n_inactive += 1;
                } else {
                    let seen = leaf.stats.total();
                    if seen - leaf.last_split_attempt_at >= grace {
                        self.attempt_split(i);
                        // The leaf (or the branch it became) records the attempt.
                        if let Node::Leaf(leaf) = &mut self.nodes[i] {
                            leaf.last_split_attempt_at = seen;
                        }
                    }
                }
            }
        }
        if self.weight_seen >= self.params.memory_estimate_period as f64 {
            self.maybe_estimate_size();
        }
    }

    #[inline]
    pub(crate) fn check_label(y: &Label) -> Result<()> {
        y.check()
    }

    /// Gives branch `b`'s multiway test a child `leaf` for the new value `v`; returns its
    /// position among the children.
    pub(crate) fn add_value(&mut self, b: usize, v: f64, leaf: usize) -> usize {
        growth::add_value(&mut self.nodes, b, v, leaf)
    }
}

impl fmt::Display for HoeffdingTreeClassifier {
    /// The tree as text: each test, and under it its subtree; a leaf names its majority
    /// class and its weight. Features are named `x<j>` (see [`Self::to_text_with`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text_with(&[]))
    }
}

/// The number of children of a branch (1 for a leaf).
fn k_children(node: &Node) -> usize {
    match node {
        Node::Branch(b) => b.children.len(),
        Node::Leaf(_) => 1,
    }
}

/// Appends the best split each watched feature of `obs` offers for the class weights
/// `stats` (in feature order; no null split).
pub(crate) fn suggest(
    p: &HoeffdingTreeClassifierParams,
    binary: Option<(usize, usize)>,
    stats: &ClassDist,
    obs: &LeafObs,
    out: &mut Vec<Suggestion>,
) {
    let eval = Evaluation {
        criterion: p.split_criterion,
        pre: stats,
        min_branch_fraction: p.min_branch_fraction,
        binary_only: p.binary_split,
        classes: binary,
    };
    for (f, watch) in obs.watch.iter().enumerate() {
        match watch {
            Watch::Gaussian(col) => out.push(gaussian_best_split(
                &obs.tables,
                *col,
                f,
                p.n_splits.unwrap_or(GAUSSIAN_N_SPLITS),
                &eval,
            )),
            Watch::Nominal(o) => out.push(o.best_split(f, &eval)),
            Watch::Exhaustive(o) => out.push(o.best_split(f, &eval)),
            Watch::Histogram(o) => {
                out.push(o.best_split(f, p.n_splits.unwrap_or(HISTOGRAM_N_SPLITS), &eval))
            }
            Watch::Off => {}
        }
    }
}

/// The Hoeffding bound for a merit of range `r` after weight `n`.
pub(crate) fn hoeffding_bound(r: f64, delta: f64, n: f64) -> f64 {
    ((r * r * (1.0 / delta).ln()) / (2.0 * n)).sqrt()
}

impl Default for HoeffdingTreeClassifier {
    fn default() -> Self {
        Self::new()
    }
}

impl HoeffdingTreeClassifier {
    /// Sets the width and the nominal features at the first row.
    pub(crate) fn start(&mut self, d: usize) {
        if self.dim.is_none() {
            self.dim = Some(d);
            let mut nominal = vec![false; d];
            for &f in self.params.nominal_attributes.iter().flatten() {
                if let Some(n) = nominal.get_mut(f) {
                    *n = true;
                }
            }
            self.nominal = nominal;
        }
    }
}

impl Classifier for HoeffdingTreeClassifier {
    fn classes(&self) -> &ClassSet {
        &self.classes
    }

    fn n_features(&self) -> Option<usize> {
        self.dim
    }

    fn structure(&self, feature_names: &[String]) -> Option<Structure> {
        Some(self.structure_with(feature_names))
    }

    /// Taken before the first row unless `nominal_attributes` is set.
    fn set_nominal_features(&mut self, nominal: &[usize]) {
        if self.dim.is_none() && self.params.nominal_attributes.is_none() && !nominal.is_empty() {
            self.params.nominal_attributes = Some(nominal.to_vec());
        }
    }

    fn predict_proba_into(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        check_out_len("probability buffer", self.classes.len(), out.len())?;
        if self.classes.is_empty() {
            return Ok(());
        }
        self.check_row(x)?;
        with_dense(x, |x| {
            if let Some(f) = self.found(x, out) {
                self.memo.keep(x, f);
            }
        });
        Ok(())
    }

    fn predict_one(&self, x: Row<'_>) -> Result<Option<Label>> {
        if self.classes.is_empty() {
            return Ok(None);
        }
        self.check_row(x)?;
        let k = self.classes.len();
        let best = with_dense(x, |x| {
            with_buf(k, |p| {
                if let Some(f) = self.found(x, p) {
                    self.memo.keep(x, f);
                }
                // The largest probability in label order, the first on a tie (River's max
                // over its sorted probabilities).
                crate::cart::argmax(p)
            })
        });
        Ok(self.classes.labels().get(best).cloned())
    }

    fn learn_one(&mut self, x: Row<'_>, y: &Label, weight: Option<f64>) -> Result<()> {
        // The descent of the prediction just made of this row, if it was: that row, bit for
        // bit, passed the checks of the row then, on this very tree.
        let found = match x {
            Row::Dense(v) => self.memo.take(v),
            Row::Sparse(_) => None,
        };
        if found.is_none() {
            self.check_row(x)?;
        }
        let w = check_weight(weight)?;
        Self::check_label(y)?;
        self.start(x.dim());
        let id = self.class_id(y);
        with_dense(x, |x| self.learn_dense(x, id, w, found, None));
        Ok(())
    }

    /// The prequential step in one pass: one descent serves the prediction and, when
    /// learning reaches the same leaf, the naive Bayes class the leaf scores itself with.
    fn predict_then_learn(
        &mut self,
        x: Row<'_>,
        y: &Label,
        weight: Option<f64>,
        out: &mut [f64],
    ) -> Result<Option<Label>> {
        check_out_len("probability buffer", self.classes.len(), out.len())?;
        self.check_row(x)?;
        let w = check_weight(weight)?;
        Self::check_label(y)?;
        let prediction = with_dense(x, |xs| {
            let mut hint = None;
            let mut best = None;
            if !self.classes.is_empty() {
                hint = self.found(xs, out);
                // The label now: learning may add a class before it in label order.
                best = self.classes.labels().get(crate::cart::argmax(out)).cloned();
            }
            self.start(xs.len());
            let id = self.class_id(y);
            self.learn_dense(xs, id, w, hint, None);
            best
        });
        Ok(prediction)
    }
}

// ---------------------------------------------------------------------------------------------
// The check of a loaded tree.

impl LeafObs {
    /// A loaded leaf's observers, for rows of `dim` features and `n_classes` classes: none
    /// yet (made at the leaf's first row), or a watch per feature; each Gaussian column the
    /// column of its feature (the columns' features increasing, the tables as wide as
    /// them); `all_gauss` only when every feature is watched by its own column (the votes
    /// then read the row straight through); at most a table per class; every observer
    /// consistent.
    pub(crate) fn check(&self, dim: usize, n_classes: usize) -> StateResult {
        if self.watch.is_empty() {
            ensure(
                self.gauss_features.is_empty() && self.tables.is_empty(),
                || "Gaussian columns or tables before the leaf's first row".into(),
            )?;
            return Ok(());
        }
        ensure(self.watch.len() == dim, || {
            format!(
                "watches for {} features where the tree has {dim}",
                self.watch.len()
            )
        })?;
        let m = self.gauss_features.len();
        for (c, &f) in self.gauss_features.iter().enumerate() {
            within(
                format_args!("gauss_features[{c}]"),
                index("feature", f, dim),
            )?;
            ensure(c == 0 || self.gauss_features[c - 1] < f, || {
                format!("gauss_features: not increasing at column {c}")
            })?;
            ensure(
                matches!(self.watch[f], Watch::Gaussian(k) if k == c)
                    || matches!(self.watch[f], Watch::Off),
                || format!("gauss_features[{c}]: feature {f} is not watched by column {c}"),
            )?;
        }
        for (f, w) in self.watch.iter().enumerate() {
            within(
                format_args!("feature {f}"),
                match w {
                    Watch::Gaussian(c) => ensure(*c < m && self.gauss_features[*c] == f, || {
                        format!("Gaussian column {c} is not this feature's")
                    }),
                    Watch::Nominal(o) => o.check(n_classes),
                    Watch::Exhaustive(o) => o.check(n_classes),
                    Watch::Histogram(o) => o.check(n_classes),
                    Watch::Off => Ok(()),
                },
            )?;
        }
        if self.all_gauss {
            ensure(
                m == dim && self.watch.iter().all(|w| matches!(w, Watch::Gaussian(_))),
                || "all_gauss: set where some feature has no Gaussian column".into(),
            )?;
        }
        ensure(self.tables.len() <= n_classes, || {
            format!(
                "Gaussian tables for {} classes where the tree has {n_classes}",
                self.tables.len()
            )
        })?;
        for (id, t) in self.tables.iter().enumerate() {
            if let Some(t) = t {
                within(format_args!("class {id}'s Gaussian table"), t.check(m))?;
            }
        }
        Ok(())
    }
}

impl Leaf {
    /// A loaded leaf, for rows of `dim` features and `n_classes` classes: its class weights
    /// consistent, the count of present classes of weight 0 right (naive Bayes decrements
    /// it), their log total not NaN nor `+inf`, its counters finite and not negative, its
    /// observers consistent.
    pub(crate) fn check(&self, dim: usize, n_classes: usize) -> StateResult {
        within("class weights", self.stats.check(n_classes))?;
        let zeros = self.stats.iter().filter(|(_, w)| *w == 0.0).count();
        ensure(self.n_zero == zeros, || {
            format!(
                "n_zero: {} present classes of weight 0 counted, {zeros} in the class weights",
                self.n_zero
            )
        })?;
        ensure(
            !self.ln_total.is_nan() && self.ln_total != f64::INFINITY,
            || format!("ln_total: {} is NaN or +inf", self.ln_total),
        )?;
        nonneg("last_split_attempt_at", self.last_split_attempt_at)?;
        nonneg("mc_correct", self.mc_correct)?;
        nonneg("nb_correct", self.nb_correct)?;
        match &self.obs {
            Some(obs) => within("observers", obs.check(dim, n_classes)),
            None => Ok(()),
        }
    }
}

impl HoeffdingTreeClassifier {
    /// The classes: a consistent class set, a label per class id that is one of them (the
    /// ids a permutation of the classes), `sorted_ids` the id of each class in label order
    /// and `pos` its inverse.
    fn check_classes(&self) -> StateResult {
        self.classes.check_state()?;
        let n = self.classes.len();
        same_len("labels", self.labels.len(), n)?;
        same_len("sorted_ids", self.sorted_ids.len(), n)?;
        same_len("pos", self.pos.len(), n)?;
        for (k, (label, &id)) in self
            .classes
            .labels()
            .iter()
            .zip(&self.sorted_ids)
            .enumerate()
        {
            within(format_args!("sorted_ids[{k}]"), index("class id", id, n))?;
            ensure(&self.labels[id] == label, || {
                format!("sorted_ids[{k}]: class id {id} is not the class {label}")
            })?;
            ensure(self.pos[id] == k, || {
                format!(
                    "pos[{id}]: {}, where class id {id} is class {k}",
                    self.pos[id]
                )
            })?;
        }
        Ok(())
    }

    /// The checks of a loaded tree that the models built on it share: parameters in range,
    /// classes consistent, the nominal flags one per feature (no node before the first row
    /// sets the width), the arena a tree ([`growth::check_arena`], following the alternates
    /// `alternate` names), every leaf consistent, reachable or not, the sizes of memory
    /// management finite and the weight seen not negative.
    ///
    /// With `exact` (a tree that learns on its own, or a forest's), every node is reachable
    /// and the active and inactive leaf counts are the arena's; the adaptive trees cut
    /// subtrees loose and count their leaves as River does, only approximately.
    ///
    /// Returns whether each node is reachable.
    pub(crate) fn check_parts(
        &self,
        alternate: impl Fn(usize) -> Option<usize>,
        exact: bool,
    ) -> Result<Vec<bool>, String> {
        crate::check_params(&self.params)?;
        self.check_classes()?;
        match self.dim {
            Some(d) => same_len("nominal", self.nominal.len(), d)?,
            None => {
                ensure(self.nominal.is_empty() && self.nodes.is_empty(), || {
                    "nominal flags or nodes before the first row".into()
                })?;
            }
        }
        let reached = growth::check_arena(
            &self.nodes,
            self.root,
            self.dim,
            |l: &Leaf| l.depth,
            alternate,
        )?;
        let (dim, k) = (self.dim.unwrap_or(0), self.labels.len());
        let (mut active, mut inactive) = (0, 0);
        for (i, node) in self.nodes.iter().enumerate() {
            if let Node::Leaf(l) = node {
                within(format_args!("node {i}"), l.check(dim, k))?;
                if l.is_active() {
                    active += 1;
                } else {
                    inactive += 1;
                }
            }
        }
        if exact {
            if let Some(i) = reached.iter().position(|&r| !r) {
                return Err(format!("node {i}: not reachable from the root"));
            }
            within("growth", self.growth.check(Some((active, inactive))))?;
        } else {
            within("growth", self.growth.check(None))?;
        }
        nonneg("weight_seen", self.weight_seen)?;
        Ok(reached)
    }
}

impl CheckState for HoeffdingTreeClassifier {
    /// Parameters in range; classes, features and nominal flags consistent; the arena a
    /// tree of at most 512 levels, every node reachable from the root once, each branch's
    /// feature, test and children consistent, each node at its depth; every leaf's class
    /// weights, counts and observers consistent for the tree's classes and features; the
    /// leaf counts of memory management the arena's.
    fn check_state(&self) -> StateResult {
        self.check_parts(|_| None, true).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{CLASS_NOMINAL, class_rows, refused};

    fn learned(p: HoeffdingTreeClassifierParams, n: usize) -> HoeffdingTreeClassifier {
        let mut m = p.build().unwrap();
        m.set_nominal_features(&CLASS_NOMINAL);
        for (i, (x, y)) in class_rows(n).iter().enumerate() {
            m.learn_one(Row::Dense(x), y, None).unwrap();
            if i % 250 == 0 {
                m.check_state()
                    .unwrap_or_else(|e| panic!("after row {i}: {e}"));
            }
        }
        m.check_state().unwrap();
        m
    }

    fn grown() -> HoeffdingTreeClassifier {
        let m = learned(
            HoeffdingTreeClassifierParams::default()
                .grace_period(30)
                .delta(0.05)
                .tau(0.1),
            3000,
        );
        assert!(m.depth() > 1, "the tree should have grown: {m}");
        m
    }

    /// The first branch below the root.
    fn inner_branch(m: &HoeffdingTreeClassifier) -> usize {
        (0..m.nodes.len())
            .find(|&i| i != m.root && matches!(m.nodes[i], Node::Branch(_)))
            .expect("a branch below the root")
    }

    fn branch(m: &mut HoeffdingTreeClassifier, i: usize) -> &mut Branch {
        match &mut m.nodes[i] {
            Node::Branch(b) => b,
            Node::Leaf(_) => panic!("node {i} is a leaf"),
        }
    }

    fn first_leaf(m: &mut HoeffdingTreeClassifier) -> &mut Leaf {
        m.nodes
            .iter_mut()
            .find_map(|n| match n {
                Node::Leaf(l) => Some(l.as_mut()),
                Node::Branch(_) => None,
            })
            .expect("a leaf")
    }

    #[test]
    fn learned_trees_pass_their_check_with_every_splitter_and_leaf_model() {
        for splitter in [
            NumericSplitter::Gaussian,
            NumericSplitter::Exhaustive,
            NumericSplitter::Histogram,
        ] {
            for leaf in [
                LeafPrediction::MajorityClass,
                LeafPrediction::NaiveBayes,
                LeafPrediction::NaiveBayesAdaptive,
            ] {
                let p = HoeffdingTreeClassifierParams::default()
                    .grace_period(40)
                    .delta(0.01)
                    .splitter(splitter)
                    .leaf_prediction(leaf)
                    .remove_poor_attrs(true);
                let m = learned(p, 1500);
                assert!(m.n_nodes() > 1, "{splitter:?} {leaf:?} should split");
            }
        }
        // Memory management deactivates leaves: the counts stay the arena's.
        let m = learned(
            HoeffdingTreeClassifierParams::default()
                .grace_period(30)
                .delta(0.01)
                .max_size(0.02)
                .memory_estimate_period(100),
            2000,
        );
        assert!(m.growth.n_inactive > 0, "some leaves should be inactive");
        // A zero-weight row at a class's first visit leaves the leaf's tables finite.
        let mut m = HoeffdingTreeClassifier::new();
        m.learn_one(Row::Dense(&[1.0, 2.0]), &Label::Num(0.0), Some(0.0))
            .unwrap();
        m.learn_one(Row::Dense(&[1.5, 3.0]), &Label::Num(0.0), None)
            .unwrap();
        m.check_state().unwrap();
    }

    #[test]
    fn corrupted_arenas_are_refused_naming_the_node() {
        let m = grown();
        let b = inner_branch(&m);
        // A child link back to the root: a cycle the descent would loop on.
        let mut bad = m.clone();
        let root = bad.root;
        branch(&mut bad, b).set_child(0, root);
        refused(bad.check_state(), "reached twice");
        // A child past the arena.
        let mut bad = m.clone();
        let len = bad.nodes.len();
        branch(&mut bad, b).set_child(1, len + 5);
        refused(
            bad.check_state(),
            &format!("node {b}: child {} out of range (0..{len})", len + 5),
        );
        // Two branches sharing a child.
        let mut bad = m.clone();
        let other = branch(&mut bad, b).children[0];
        branch(&mut bad, b).set_child(1, other);
        refused(bad.check_state(), "reached twice");
        // The pair a binary test reads, out of step with the children.
        let mut bad = m.clone();
        branch(&mut bad, b).pair[0] = 0;
        refused(bad.check_state(), &format!("node {b}: pair[0]"));
        // A feature the rows do not have.
        let mut bad = m.clone();
        branch(&mut bad, b).feature = 9;
        refused(bad.check_state(), &format!("node {b}: feature"));
        // A depth that is not its place's.
        let mut bad = m.clone();
        branch(&mut bad, b).depth += 1;
        refused(bad.check_state(), &format!("node {b}: depth"));
        // A node no path reaches.
        let mut bad = m.clone();
        bad.nodes
            .push(Node::Leaf(Box::new(Leaf::new(ClassDist::default(), 1))));
        refused(bad.check_state(), "not reachable from the root");
        // The root past the arena.
        let mut bad = m.clone();
        bad.root = bad.nodes.len();
        refused(bad.check_state(), "root");
        // A multiway test whose values disagree with its children.
        let mut bad = m.clone();
        let k = branch(&mut bad, b).children.len();
        branch(&mut bad, b).test = Test::Multi((0..=k).map(|v| v as f64).collect());
        refused(
            bad.check_state(),
            &format!(
                "node {b}: a multiway test of {} values with {k} children",
                k + 1
            ),
        );
    }

    #[test]
    fn corrupted_leaves_classes_and_counts_are_refused_naming_the_part() {
        let m = grown();
        // Class weights for a class the tree does not have.
        let mut bad = m.clone();
        first_leaf(&mut bad).stats.add(2, 1.0);
        refused(
            bad.check_state(),
            "class weights: weights for 3 classes where the tree has 2",
        );
        // A negative weight.
        let mut bad = m.clone();
        first_leaf(&mut bad).stats.add(0, -1e9);
        refused(bad.check_state(), "class weights: weights[0]");
        // The count naive Bayes decrements, off.
        let mut bad = m.clone();
        first_leaf(&mut bad).n_zero += 1;
        refused(bad.check_state(), "n_zero");
        // A NaN in a Gaussian table.
        let mut bad = m.clone();
        let leaf = bad
            .nodes
            .iter_mut()
            .find_map(|n| match n {
                Node::Leaf(l) if l.obs.as_ref().is_some_and(|o| !o.tables.is_empty()) => {
                    Some(l.as_mut())
                }
                _ => None,
            })
            .expect("a leaf with tables");
        let obs = leaf.obs.as_mut().unwrap();
        let t = obs.tables.iter_mut().flatten().next().unwrap();
        *t = GaussTable::new(obs.gauss_features.len() + 1);
        refused(bad.check_state(), "Gaussian table");
        // Watches for fewer features than the rows have.
        let mut bad = m.clone();
        let leaf = bad
            .nodes
            .iter_mut()
            .find_map(|n| match n {
                Node::Leaf(l) if l.obs.as_ref().is_some_and(|o| !o.watch.is_empty()) => {
                    Some(l.as_mut())
                }
                _ => None,
            })
            .expect("a watching leaf");
        leaf.obs.as_mut().unwrap().watch.pop();
        refused(
            bad.check_state(),
            "watches for 8 features where the tree has 9",
        );
        // The class positions out of step with the labels.
        let mut bad = m.clone();
        bad.pos.swap(0, 1);
        refused(bad.check_state(), "pos[");
        let mut bad = m.clone();
        bad.labels.pop();
        refused(bad.check_state(), "labels");
        // Leaf counts memory management would underflow.
        let mut bad = m.clone();
        bad.growth.n_active = 0;
        refused(bad.check_state(), "growth: n_active");
        // Parameters out of their range.
        let mut bad = m.clone();
        bad.params.grace_period = 0;
        refused(
            bad.check_state(),
            "params: invalid parameter `grace_period`",
        );
        let mut bad = m.clone();
        bad.params.delta = 1.5;
        refused(bad.check_state(), "params: invalid parameter `delta`");
        // Nodes before the first row fixed the width.
        let mut bad = m.clone();
        bad.dim = None;
        bad.nominal.clear();
        refused(bad.check_state(), "before the first row");
    }
}
