//! The Hoeffding tree regressor (FIMT-DD's tree without drift detection; Ikonomovska et al.,
//! 2011), as River's `HoeffdingTreeRegressor` defines it.

use std::cell::RefCell;
use std::fmt;

use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, ensure, index, nonneg, same_len, within};
use tidewater_core::row::check_weight;
use tidewater_core::spec::Params;
use tidewater_core::traits::learn_dataset_regressor;
use tidewater_core::{
    Build, Dataset, Error, FeatureVector, Fit, Location, Regressor, Result, Row, Structure,
    Transformer,
};
use tidewater_linear::LinearRegression;
use tidewater_preprocessing::StandardScaler;

use crate::growth::{self, Branch, GrowingLeaf, Growth, Limits};
use crate::hoeffding_tree::{hoeffding_bound, with_dense};
use crate::regression_splitter::{Ebst, NominalRegObserver, round_decimal};
use crate::splitter::Suggestion;
use crate::stats::Var;
use tidewater_core::pyrandom::PyRandom;

/// What a leaf of a regression tree predicts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegressionLeafPrediction {
    /// The mean of the targets the leaf has seen.
    Mean,
    /// The leaf's linear model.
    Model,
    /// Per leaf, whichever of the two has the smaller exponentially faded squared error.
    Adaptive,
}

tidewater_core::param_choices!(RegressionLeafPrediction {
    Mean => "mean",
    Model => "model",
    Adaptive => "adaptive",
});

/// How a leaf of a regression tree watches a numeric feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegressionSplitter {
    /// The extended binary search tree over the values rounded to `digits` decimals
    /// (River's `TEBSTSplitter`): fewer candidates, less memory.
    Tebst,
    /// The extended binary search tree over the exact values (River's `EBSTSplitter`).
    Ebst,
}

tidewater_core::param_choices!(RegressionSplitter {
    Tebst => "tebst",
    Ebst => "ebst",
});

/// Hyper-parameters of [`HoeffdingTreeRegressor`] (River's names and defaults, and
/// `leaf_scaling`, which River does not have).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "hoeffding_tree_regressor",
    summary = "Hoeffding tree regressor: splits a leaf by variance reduction once the Hoeffding bound says its best split is the best; leaves predict a mean, a linear model or the better of the two (River's HoeffdingTreeRegressor)",
    row_loop_fit
)]
pub struct HoeffdingTreeRegressorParams {
    /// Weight a leaf sees between split attempts.
    #[param(default = 200, ge = 1)]
    pub grace_period: usize,
    /// The deepest a leaf may be (none: no limit); a leaf at this depth stops growing.
    #[param(default = None)]
    pub max_depth: Option<usize>,
    /// Significance of the Hoeffding bound: one less the confidence that the chosen split is the best.
    #[param(default = 1e-7, gt = 0, lt = 1)]
    pub delta: f64,
    /// Tie threshold: split anyway once the Hoeffding bound is below it.
    #[param(default = 0.05, ge = 0)]
    pub tau: f64,
    /// What leaves predict with: mean (of their targets), model (a linear model) or adaptive (whichever has the smaller faded squared error).
    #[param(default = RegressionLeafPrediction::Adaptive)]
    pub leaf_prediction: RegressionLeafPrediction,
    /// Standardise each leaf model's features with the leaf's running mean and deviation (false: River's model on the raw features, which diverges on features of large scale).
    #[param(default = true)]
    pub leaf_scaling: bool,
    /// Fading factor of the squared errors the adaptive leaves compare.
    #[param(default = 0.95, ge = 0, le = 1)]
    pub model_selector_decay: f64,
    /// The features (0-based indices) that are nominal (category codes): multiway or equality splits, a target variance per value.
    #[param(default = None)]
    pub nominal_attributes: Option<Vec<usize>>,
    /// How leaves watch numeric features: tebst (a search tree of the values rounded to digits decimals) or ebst (of the exact values).
    #[param(default = RegressionSplitter::Tebst)]
    pub splitter: RegressionSplitter,
    /// Decimals the tebst splitter rounds values to (Python's round).
    #[param(default = 1, le = 15)]
    pub digits: usize,
    /// Least weight each branch of a split must have for the split to count.
    #[param(default = 5)]
    pub min_samples_split: usize,
    /// Only binary splits (a nominal feature splits on one value against the rest).
    #[param(default = false)]
    pub binary_split: bool,
    /// Largest size of the tree in MiB before the least promising leaves are deactivated.
    #[param(default = 500.0, gt = 0)]
    pub max_size: f64,
    /// Weight seen between estimates of the tree's size.
    #[param(default = 1_000_000, ge = 1)]
    pub memory_estimate_period: usize,
    /// Stop growing for good once the size limit is met.
    #[param(default = false)]
    pub stop_mem_management: bool,
    /// Stop watching the features whose merit ratio to the best trails the runner-up's by more than twice the bound.
    #[param(default = false)]
    pub remove_poor_attrs: bool,
    /// Let "no split" compete with the splits (pre-pruning by merit).
    #[param(default = true)]
    pub merit_preprune: bool,
}

impl Build for HoeffdingTreeRegressorParams {
    type Model = HoeffdingTreeRegressor;
    fn build(&self) -> Result<HoeffdingTreeRegressor> {
        self.validate()?;
        Ok(HoeffdingTreeRegressor {
            params: self.clone(),
            dim: None,
            nominal: Vec::new(),
            nodes: Vec::new(),
            root: 0,
            growth: Growth::default(),
            weight_seen: 0.0,
            subspace: None,
        })
    }
}

impl Fit for HoeffdingTreeRegressorParams {
    type Model = HoeffdingTreeRegressor;
    /// One pass over the rows in order: the tree `learn_one` grows on the same rows, so
    /// `fit` then `learn_one` continues that tree.
    fn fit(&self, data: &Dataset) -> Result<HoeffdingTreeRegressor> {
        let mut m = self.build()?;
        m.set_nominal_features(&data.schema.nominal_indices());
        learn_dataset_regressor(&mut m, data)?;
        Ok(m)
    }
}

/// The learning rate of the leaf models (River's `LinearRegression` default: SGD at 0.01,
/// the intercept at 0.01).
const LEAF_LR: f64 = 0.01;

thread_local! {
    /// The standardised row of a scaled leaf model (grown once per thread).
    static SCALED: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// The linear model of a leaf: the linear crate's online `LinearRegression` (through the
/// `Regressor` trait), on the raw features or on the features standardised by the leaf's
/// own `StandardScaler` (through the `Transformer` trait).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum LeafModel {
    /// River's: the linear model on the raw features.
    Raw(Box<LinearRegression>),
    /// The features standardised by the leaf's running statistics, then the linear model,
    /// whose step is capped so that it never overshoots the row it learns.
    Scaled(Box<(StandardScaler, LinearRegression)>),
}

impl LeafModel {
    fn new(scaled: bool) -> Self {
        if scaled {
            LeafModel::Scaled(Box::new((StandardScaler::new(), LinearRegression::new())))
        } else {
            LeafModel::Raw(Box::new(LinearRegression::new()))
        }
    }

    /// Runs `f` on `x` standardised by `scaler` (`None` if the scaler refuses it: a value
    /// that overflows).
    #[inline]
    fn scaled<R>(scaler: &StandardScaler, x: &[f64], f: impl FnOnce(&[f64]) -> R) -> Option<R> {
        SCALED.with(|buf| {
            let mut buf = buf.borrow_mut();
            buf.resize(x.len(), 0.0);
            scaler.transform_one(Row::Dense(x), &mut buf).ok()?;
            Some(f(&buf))
        })
    }

    /// The model's prediction; `None` if it cannot give one (a standardised value that
    /// overflows).
    #[inline]
    fn predict(&self, x: &[f64]) -> Option<f64> {
        match self {
            LeafModel::Raw(m) => m.predict_one(Row::Dense(x)).ok(),
            LeafModel::Scaled(sm) => {
                let (scaler, m) = sm.as_ref();
                if scaler.n_features_in().is_none() {
                    return m.predict_one(Row::Dense(x)).ok();
                }
                Self::scaled(scaler, x, |z| m.predict_one(Row::Dense(z)).ok()).flatten()
            }
        }
    }

    /// Learns a checked row. A row the model refuses (a standardised value that overflows)
    /// is not learned by the model; the tree has learned it.
    ///
    /// The scaled model learns the row standardised with the statistics that include it.
    /// SGD's step on a row `z` moves the prediction of `z` by `2 lr w (|z|^2 + 1)` times the
    /// error (the weights and the intercept), so beyond 1 it overshoots, and beyond 2 it
    /// diverges: standardised features are about 1 each, so that happens from about 100
    /// features on at River's rate of 0.01 (or with large sample weights). The weight the
    /// model learns with is therefore capped at `1 / (2 lr (|z|^2 + 1))`, where the step
    /// fits the row exactly: the normalised LMS step, taken only when the plain one would
    /// overshoot (few features and unit weights never reach the cap).
    #[inline]
    fn learn(&mut self, x: &[f64], y: f64, w: f64) {
        match self {
            LeafModel::Raw(m) => {
                let _ = m.learn_one(Row::Dense(x), y, Some(w));
            }
            LeafModel::Scaled(sm) => {
                let (scaler, m) = sm.as_mut();
                if scaler.learn_one(Row::Dense(x), Some(w)).is_err() {
                    return;
                }
                Self::scaled(scaler, x, |z| {
                    let norm2: f64 = z.iter().map(|v| v * v).sum();
                    let cap = 1.0 / (2.0 * LEAF_LR * (norm2 + 1.0));
                    let _ = m.learn_one(Row::Dense(z), y, Some(w.min(cap)));
                });
            }
        }
    }

    fn bytes(&self, d: usize) -> usize {
        // The weights, and the scaler's three statistics per feature.
        std::mem::size_of::<Self>()
            + d * 8
            + match self {
                LeafModel::Raw(_) => 0,
                LeafModel::Scaled(_) => 3 * d * 8,
            }
    }
}

/// How a leaf of a regression tree watches one feature.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum RegWatch {
    /// A numeric feature: the search tree of its values (rounded when `Some(digits)`).
    Bst(Ebst, Option<usize>),
    /// A nominal feature: the target statistics of each value.
    Nominal(NominalRegObserver),
    /// Not watched (outside a forest leaf's subspace, or dropped as poor).
    Off,
}

impl RegWatch {
    fn bytes(&self) -> usize {
        match self {
            RegWatch::Bst(t, _) => t.bytes(),
            RegWatch::Nominal(o) => o.bytes(),
            RegWatch::Off => std::mem::size_of::<Self>(),
        }
    }
}

/// A leaf of a regression tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct RegLeaf {
    /// The targets' weighted mean and variance.
    pub(crate) stats: Var,
    pub(crate) depth: usize,
    /// What the leaf watches of each feature (made at its first row while active); `None`
    /// when the leaf is inactive.
    pub(crate) watch: Option<Vec<RegWatch>>,
    /// Features whose observer `remove_poor_attrs` dropped: the leaf never watches them again.
    pub(crate) disabled: Vec<usize>,
    pub(crate) last_split_attempt_at: f64,
    /// The linear model (model and adaptive leaves).
    pub(crate) model: Option<LeafModel>,
    /// The faded squared errors of the mean and of the model (adaptive leaves).
    pub(crate) fmse_mean: f64,
    pub(crate) fmse_model: f64,
}

impl GrowingLeaf for RegLeaf {
    fn depth(&self) -> usize {
        self.depth
    }
    fn weight(&self) -> f64 {
        self.stats.n
    }
    fn is_active(&self) -> bool {
        self.watch.is_some()
    }
    fn activate(&mut self) {
        if self.watch.is_none() {
            self.watch = Some(Vec::new());
        }
    }
    fn deactivate(&mut self) {
        self.watch = None;
    }
    /// River's promise of a regression leaf: the shallower, the more promising.
    fn promise(&self) -> f64 {
        -(self.depth as f64)
    }
    fn bytes(&self) -> usize {
        let d = self.watch.as_ref().map_or(0, Vec::len);
        std::mem::size_of::<Self>()
            + self
                .watch
                .as_ref()
                .map_or(0, |w| w.iter().map(RegWatch::bytes).sum())
            + self.model.as_ref().map_or(0, |m| m.bytes(d))
    }
}

impl RegLeaf {
    pub(crate) fn is_active(&self) -> bool {
        self.watch.is_some()
    }

    /// The leaf's prediction for `x` under `kind` (0 for an empty mean leaf; the mean when
    /// the model cannot predict).
    #[inline]
    pub(crate) fn predict(&self, kind: RegressionLeafPrediction, x: &[f64]) -> f64 {
        let mean = self.stats.mean;
        let model = || {
            self.model
                .as_ref()
                .and_then(|m| m.predict(x))
                .unwrap_or(mean)
        };
        match kind {
            RegressionLeafPrediction::Mean => mean,
            RegressionLeafPrediction::Model => model(),
            RegressionLeafPrediction::Adaptive => {
                if self.fmse_mean < self.fmse_model {
                    mean
                } else {
                    model()
                }
            }
        }
    }
}

/// A node of the regression tree.
pub(crate) type RegNode = growth::Node<RegLeaf>;

/// The Hoeffding tree regressor (Ikonomovska et al.'s FIMT-DD tree, without its drift
/// detection), River's `HoeffdingTreeRegressor` rule by rule.
///
/// A leaf keeps the weighted mean and variance of its targets and, per feature, an observer
/// of the target by the feature's values: for a numeric feature an extended binary search tree
/// of the values (E-BST; TE-BST, the default, rounds them to `digits` decimals first, as
/// Python's `round`), for a nominal one (`nominal_attributes`) a variance per value. Every
/// `grace_period` of weight it scores each feature's best split by variance reduction (0 for
/// a split with a branch below `min_samples_split` weight) and splits on the best when the
/// runner-up's merit over the best's is below `1 - e` for the Hoeffding bound
/// `e = sqrt(ln(1/delta) / 2n)` (merits of range 1), or when `e < tau`. With `merit_preprune`
/// "no split" competes too. A failed attempt prunes from the search trees the candidates
/// that cannot win (`remove_bad_splits`). The new leaves start from the split's statistics,
/// each with a copy of the split leaf's model.
///
/// Leaves predict their mean (`mean`), their linear model (`model`: River's online
/// `LinearRegression`, SGD at rate 0.01, the linear crate's, used through the `Regressor`
/// trait), or whichever of the two has the smaller squared error faded by
/// `model_selector_decay` (`adaptive`, the default; the model on a tie).
///
/// **Departure from River, after MOA and the paper.** River's leaf model takes the raw
/// features, and SGD at a fixed rate diverges when they are large: on TrumpApproval, whose
/// first feature is a date near 7.4e5, River's default tree has a prequential MAE of 4.7e8.
/// Ikonomovska et al.'s leaf perceptrons, and MOA's FIMT-DD, normalise their inputs. So with
/// `leaf_scaling` (the default) each leaf's model is a pipeline of a standard scaler (the
/// leaf's running mean and deviation of each feature) and the linear model, both copied into
/// the new leaves at a split; `leaf_scaling=false` is River's model on the raw features,
/// exactly.
///
/// Memory is managed as River: every `memory_estimate_period` of weight the tree estimates
/// its size (from its own structures, not Python objects), and beyond `max_size` MiB it
/// deactivates the deepest leaves; after every split it re-activates the inactive leaves
/// above `max_depth` while they fit. `fit` is one pass over the rows in order, so `fit` then
/// `learn_one` continues the same tree.
///
/// Features are the row's positions; a sparse row's absent features are zeros. A row of
/// weight 0 is checked and then changes nothing (River fails on one). Between split
/// attempts, `learn_one` allocates only when a search tree stores a value it has not seen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HoeffdingTreeRegressor {
    pub(crate) params: HoeffdingTreeRegressorParams,
    pub(crate) dim: Option<usize>,
    /// Whether each feature is nominal.
    pub(crate) nominal: Vec<bool>,
    /// The nodes (an arena: branches name their children by index).
    pub(crate) nodes: Vec<RegNode>,
    /// The root's index (0 once the tree has learned; adaptive trees move it).
    pub(crate) root: usize,
    /// Leaf counts and size estimates (memory management).
    pub(crate) growth: Growth,
    pub(crate) weight_seen: f64,
    /// Features a leaf watches, drawn at its first row (a forest's trees); `None`: all.
    pub(crate) subspace: Option<usize>,
}

impl Default for HoeffdingTreeRegressor {
    fn default() -> Self {
        Self::new()
    }
}

impl HoeffdingTreeRegressor {
    /// An empty tree with default parameters.
    pub fn new() -> Self {
        HoeffdingTreeRegressorParams::default()
            .build()
            .expect("default parameters are valid")
    }

    /// The hyper-parameters.
    pub fn params(&self) -> &HoeffdingTreeRegressorParams {
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
            .filter(|n| matches!(n, RegNode::Leaf(_)))
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
                RegNode::Leaf(l) => Some(l.depth),
                RegNode::Branch(_) => None,
            })
            .max()
            .unwrap_or(0)
    }

    /// The weight learned so far.
    pub fn weight_seen(&self) -> f64 {
        self.weight_seen
    }

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

    /// A new active leaf of depth `depth` with target statistics `stats`. A leaf made by a
    /// split (`parent`, the split leaf) starts with a copy of its model and, adaptive, its
    /// faded errors; any other starts a fresh model.
    pub(crate) fn new_leaf(&self, stats: Var, depth: usize, parent: Option<&RegLeaf>) -> RegLeaf {
        let kind = self.params.leaf_prediction;
        let model = (kind != RegressionLeafPrediction::Mean).then(|| {
            parent
                .and_then(|p| p.model.clone())
                .unwrap_or_else(|| LeafModel::new(self.params.leaf_scaling))
        });
        let (fmse_mean, fmse_model) = match (kind, parent) {
            (RegressionLeafPrediction::Adaptive, Some(p)) => (p.fmse_mean, p.fmse_model),
            _ => (0.0, 0.0),
        };
        RegLeaf {
            stats,
            depth,
            watch: Some(Vec::new()),
            disabled: Vec::new(),
            last_split_attempt_at: stats.n,
            model,
            fmse_mean,
            fmse_model,
        }
    }

    /// Leaf `i`.
    pub(crate) fn leaf(&self, i: usize) -> &RegLeaf {
        match &self.nodes[i] {
            RegNode::Leaf(l) => l,
            RegNode::Branch(_) => unreachable!("a leaf"),
        }
    }

    /// Leaf `i`'s prediction for `x` (dense, checked).
    #[inline]
    pub(crate) fn leaf_prediction(&self, i: usize, x: &[f64]) -> f64 {
        self.leaf(i).predict(self.params.leaf_prediction, x)
    }

    /// The prediction for `x` (dense, checked): the reached leaf's, 0 for an empty tree.
    #[inline]
    pub(crate) fn predict_dense(&self, x: &[f64]) -> f64 {
        match growth::leaf_index_of(&self.nodes, self.root, x) {
            Some(i) => self.leaf_prediction(i, x),
            None => 0.0,
        }
    }

    /// Leaf `i` learns target `y` of row `x` with weight `w` (River's leaf `learn_one`:
    /// the adaptive errors from the predictions before the update, the statistics, the
    /// observers while active, then the model, active or not).
    pub(crate) fn learn_at(
        &mut self,
        i: usize,
        x: &[f64],
        y: f64,
        w: f64,
        rng: Option<&mut PyRandom>,
    ) {
        let p = &self.params;
        let RegNode::Leaf(leaf) = &mut self.nodes[i] else {
            unreachable!("a leaf")
        };
        if p.leaf_prediction == RegressionLeafPrediction::Adaptive {
            let pm = leaf.stats.mean;
            let pmod = leaf.model.as_ref().and_then(|m| m.predict(x)).unwrap_or(pm);
            let decay = p.model_selector_decay;
            leaf.fmse_mean = decay * leaf.fmse_mean + (y - pm) * (y - pm);
            leaf.fmse_model = decay * leaf.fmse_model + (y - pmod) * (y - pmod);
        }
        leaf.stats.update(y, w);
        if let Some(watch) = &mut leaf.watch {
            if watch.is_empty() {
                start_watch(watch, &self.nominal, &leaf.disabled, p, self.subspace, rng);
            }
            for (f, o) in watch.iter_mut().enumerate() {
                match o {
                    RegWatch::Bst(t, None) => t.update(x[f], y, w),
                    RegWatch::Bst(t, Some(d)) => t.update(round_decimal(x[f], *d), y, w),
                    RegWatch::Nominal(o) => o.update(x[f], y, w),
                    RegWatch::Off => {}
                }
            }
        }
        if let Some(m) = &mut leaf.model {
            m.learn(x, y, w);
        }
    }

    /// Tries to split leaf `i` (River's `_attempt_to_split` for regression: variance
    /// reduction, the ratio rule, and the pruning of the search trees after a failure).
    pub(crate) fn attempt_split(&mut self, i: usize) {
        let p = &self.params;
        let RegNode::Leaf(leaf) = &mut self.nodes[i] else {
            return;
        };
        let mss = p.min_samples_split as f64;
        let mut suggestions: Vec<Suggestion<Var>> = Vec::new();
        if p.merit_preprune {
            suggestions.push(Suggestion::null());
        }
        if let Some(watch) = &leaf.watch {
            for (f, o) in watch.iter().enumerate() {
                match o {
                    RegWatch::Bst(t, _) => suggestions.push(t.best_split(&leaf.stats, f, mss)),
                    RegWatch::Nominal(o) => {
                        suggestions.push(o.best_split(&leaf.stats, f, p.binary_split, mss))
                    }
                    RegWatch::Off => {}
                }
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
        let mut bound = 0.0;
        if n >= 2 {
            bound = hoeffding_bound(1.0, p.delta, leaf.stats.n);
            let (best, second) = (suggestions[n - 1].merit, suggestions[n - 2].merit);
            split = best > 0.0 && (second / best < 1.0 - bound || bound < p.tau);
            if p.remove_poor_attrs {
                let best_ratio = second / best;
                for s in &suggestions {
                    if let Some(f) = s.feature
                        && s.merit / best < best_ratio - 2.0 * bound
                        && let Some(watch) = leaf.watch.as_mut()
                        && let Some(o) = watch.get_mut(f)
                        && !matches!(o, RegWatch::Off)
                    {
                        *o = RegWatch::Off;
                        leaf.disabled.push(f);
                    }
                }
            }
        }
        if split {
            let decision = suggestions.pop().expect("at least one suggestion");
            match (decision.feature, decision.test) {
                (Some(feature), Some(test)) => {
                    let depth = leaf.depth;
                    let first = self.nodes.len();
                    let k = decision.children.len();
                    let RegNode::Leaf(parent) = &self.nodes[i] else {
                        unreachable!("a leaf")
                    };
                    let children: Vec<RegLeaf> = decision
                        .children
                        .iter()
                        .map(|&stats| self.new_leaf(stats, depth + 1, Some(parent)))
                        .collect();
                    for c in children {
                        self.nodes.push(RegNode::Leaf(Box::new(c)));
                    }
                    self.nodes[i] = RegNode::Branch(Branch::new(feature, test, first, k, depth));
                    self.growth.n_active = self.growth.n_active + k - 1;
                }
                _ => {
                    // Pre-pruning: "no split" won.
                    self.growth.deactivate(leaf.as_mut());
                }
            }
            self.enforce_size_limit();
        } else if n >= 2 && suggestions[n - 1].merit > 0.0 && suggestions[n - 2].merit > 0.0 {
            let vr = suggestions[n - 1].merit;
            let ratio = suggestions[n - 2].merit / vr;
            if let Some(watch) = leaf.watch.as_mut() {
                for o in watch {
                    if let RegWatch::Bst(t, _) = o {
                        t.remove_bad_splits(&leaf.stats, mss, ratio, vr, bound);
                    }
                }
            }
        }
    }

    /// The limits of memory management.
    pub(crate) fn limits(&self) -> Limits {
        Limits::new(
            self.params.max_size,
            self.params.max_depth,
            self.params.stop_mem_management,
        )
    }

    /// Deactivates the deepest leaves beyond the size limit, and re-activates the others.
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
            let lim = self.limits();
            let base = std::mem::size_of::<Self>()
                + self.nodes.capacity() * std::mem::size_of::<RegNode>();
            self.growth
                .estimate_size(&mut self.nodes, self.root, base, &lim);
        }
    }

    /// Learns target `y` of row `x` (dense, checked) with weight `w` (River's tree
    /// `learn_one`).
    pub(crate) fn learn_dense(&mut self, x: &[f64], y: f64, w: f64, rng: Option<&mut PyRandom>) {
        self.weight_seen += w;
        if self.nodes.is_empty() {
            let root = self.new_leaf(Var::default(), 0, None);
            self.nodes.push(RegNode::Leaf(Box::new(root)));
            self.root = 0;
            self.growth.n_active = 1;
        }
        // Down to the leaf; a nominal value the multiway test has not met gets a new leaf,
        // which learns the row without a split attempt (River's rule).
        let mut i = self.root;
        let mut fresh = false;
        while let RegNode::Branch(b) = &self.nodes[i] {
            let v = x[b.feature];
            match b.child(v) {
                Some(c) => i = c,
                None => {
                    let depth = b.depth + 1;
                    let leaf = self.nodes.len();
                    let new = self.new_leaf(Var::default(), depth, None);
                    self.nodes.push(RegNode::Leaf(Box::new(new)));
                    growth::add_value(&mut self.nodes, i, v, leaf);
                    self.growth.n_active += 1;
                    i = leaf;
                    fresh = true;
                    break;
                }
            }
        }
        self.learn_at(i, x, y, w, rng);
        if !fresh && self.growth.growth_allowed {
            let max_depth = self.params.max_depth.unwrap_or(usize::MAX);
            let grace = self.params.grace_period as f64;
            let RegNode::Leaf(leaf) = &mut self.nodes[i] else {
                unreachable!("a leaf")
            };
            if leaf.is_active() {
                if leaf.depth >= max_depth {
                    self.growth.deactivate(leaf.as_mut());
                } else {
                    let seen = leaf.stats.n;
                    if seen - leaf.last_split_attempt_at >= grace {
                        self.attempt_split(i);
                        if let RegNode::Leaf(leaf) = &mut self.nodes[i] {
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

    /// Checks a regression target.
    pub(crate) fn check_target(y: f64) -> Result<()> {
        if y.is_finite() {
            Ok(())
        } else {
            Err(Error::BadValue {
                location: Location::Target,
                reason: format!("value {y} is not finite"),
            })
        }
    }

    /// A leaf's words in the renderings: its mean, weight and state.
    fn leaf_words(l: &RegLeaf) -> String {
        let state = if l.is_active() { "active" } else { "inactive" };
        format!(
            "mean {:.4} (weight {:.2}, {state})",
            l.stats.mean, l.stats.n
        )
    }

    /// The tree as text (as [`Display`](fmt::Display)), features named from `names`
    /// (`x<j>` past their end).
    pub fn to_text_with(&self, names: &[String]) -> String {
        growth::render(&self.nodes, self.root, names, &Self::leaf_words)
    }

    /// The tree in Graphviz's dot language, features named `x<j>`.
    pub fn to_dot(&self) -> String {
        self.to_dot_with(&[])
    }

    /// The tree in Graphviz's dot language, features named from `names`.
    pub fn to_dot_with(&self, names: &[String]) -> String {
        growth::to_dot(&self.nodes, self.root, names, &Self::leaf_words)
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
}

/// Makes a leaf's observers at its first active row: one per feature, off for the disabled
/// ones and, in a forest's tree, for those outside `k` features drawn from `rng`.
fn start_watch(
    watch: &mut Vec<RegWatch>,
    nominal: &[bool],
    disabled: &[usize],
    p: &HoeffdingTreeRegressorParams,
    subspace: Option<usize>,
    rng: Option<&mut PyRandom>,
) {
    let d = nominal.len();
    let mut keep = vec![true; d];
    if let (Some(k), Some(rng)) = (subspace, rng)
        && k < d
    {
        let mut subset = Vec::with_capacity(k);
        rng.sample(d, k, &mut subset);
        keep.fill(false);
        for f in subset {
            keep[f] = true;
        }
    }
    for &f in disabled {
        keep[f] = false;
    }
    let digits = (p.splitter == RegressionSplitter::Tebst).then_some(p.digits);
    for (f, &is_nominal) in nominal.iter().enumerate() {
        watch.push(if !keep[f] {
            RegWatch::Off
        } else if is_nominal {
            RegWatch::Nominal(NominalRegObserver::default())
        } else {
            RegWatch::Bst(Ebst::default(), digits)
        });
    }
}

impl fmt::Display for HoeffdingTreeRegressor {
    /// The tree as text: each test, and under it its subtree; a leaf gives its mean and its
    /// weight.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text_with(&[]))
    }
}

impl Regressor for HoeffdingTreeRegressor {
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

    fn learn_one(&mut self, x: Row<'_>, y: f64, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        let w = check_weight(weight)?;
        Self::check_target(y)?;
        if w == 0.0 {
            return Ok(());
        }
        self.start(x.dim());
        with_dense(x, |x| self.learn_dense(x, y, w, None));
        Ok(())
    }

    fn predict_one(&self, x: Row<'_>) -> Result<f64> {
        self.check_row(x)?;
        if self.nodes.is_empty() {
            return Ok(0.0);
        }
        Ok(with_dense(x, |x| self.predict_dense(x)))
    }
}

// ---------------------------------------------------------------------------------------------
// The check of a loaded tree.

impl LeafModel {
    /// A loaded leaf model, for rows of `dim` features: the linear model (and the scaler)
    /// not yet started, or started on `dim` features with one weight (a mean and a
    /// variance) per feature.
    fn check(&self, dim: usize) -> StateResult {
        let linear = |m: &LinearRegression| -> StateResult {
            within("linear model", m.check_state())?;
            match m.n_features() {
                None => ensure(m.coef().is_empty(), || {
                    format!(
                        "linear model: {} weights before its first row",
                        m.coef().len()
                    )
                }),
                Some(d) => {
                    ensure(d == dim, || {
                        format!("linear model: {d} features where the tree has {dim}")
                    })?;
                    same_len("linear model: weights", m.coef().len(), d)
                }
            }
        };
        match self {
            LeafModel::Raw(m) => linear(m),
            LeafModel::Scaled(sm) => {
                let (scaler, m) = sm.as_ref();
                within("scaler", scaler.check_state())?;
                if let Some(d) = scaler.n_features_in() {
                    ensure(d == dim, || {
                        format!("scaler: {d} features where the tree has {dim}")
                    })?;
                    same_len("scaler: variances", scaler.var().len(), d)?;
                }
                linear(m)
            }
        }
    }
}

impl RegLeaf {
    /// A loaded leaf, for rows of `dim` features: its target statistics consistent; its
    /// watches none yet (made at the leaf's first row) or one per feature, each observer
    /// consistent and its rounding at most 15 digits; the disabled features among the
    /// tree's; its counters finite and not negative (the model's error may be infinite or
    /// NaN: a linear model on raw features can diverge); its model consistent.
    pub(crate) fn check(&self, dim: usize) -> StateResult {
        within("stats", self.stats.check_state())?;
        if let Some(watch) = &self.watch {
            ensure(watch.is_empty() || watch.len() == dim, || {
                format!(
                    "watches for {} features where the tree has {dim}",
                    watch.len()
                )
            })?;
            for (f, w) in watch.iter().enumerate() {
                within(
                    format_args!("feature {f}"),
                    match w {
                        RegWatch::Bst(t, digits) => {
                            if let Some(d) = digits {
                                ensure(*d <= 15, || format!("digits: {d} is more than 15"))?;
                            }
                            t.check_state()
                        }
                        RegWatch::Nominal(o) => o.check(),
                        RegWatch::Off => Ok(()),
                    },
                )?;
            }
        }
        for (j, &f) in self.disabled.iter().enumerate() {
            within(format_args!("disabled[{j}]"), index("feature", f, dim))?;
        }
        nonneg("last_split_attempt_at", self.last_split_attempt_at)?;
        nonneg("fmse_mean", self.fmse_mean)?;
        ensure(self.fmse_model >= 0.0 || self.fmse_model.is_nan(), || {
            format!("fmse_model: {} is below 0", self.fmse_model)
        })?;
        match &self.model {
            Some(m) => within("model", m.check(dim)),
            None => Ok(()),
        }
    }
}

impl HoeffdingTreeRegressor {
    /// The checks of a loaded tree that the models built on it share: parameters in range,
    /// the nominal flags one per feature (no node before the first row sets the width), the
    /// arena a tree ([`growth::check_arena`], following the alternates `alternate` names),
    /// every leaf consistent, reachable or not, the sizes of memory management finite and
    /// the weight seen not negative.
    ///
    /// With `exact` (a tree that learns on its own, or a forest's), every node is reachable
    /// and the active and inactive leaf counts are the arena's; the adaptive tree cuts
    /// subtrees loose and counts their leaves as River does, only approximately.
    ///
    /// Returns whether each node is reachable.
    pub(crate) fn check_parts(
        &self,
        alternate: impl Fn(usize) -> Option<usize>,
        exact: bool,
    ) -> Result<Vec<bool>, String> {
        crate::check_params(&self.params)?;
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
            |l: &RegLeaf| l.depth,
            alternate,
        )?;
        let dim = self.dim.unwrap_or(0);
        let (mut active, mut inactive) = (0, 0);
        for (i, node) in self.nodes.iter().enumerate() {
            if let RegNode::Leaf(l) = node {
                within(format_args!("node {i}"), l.check(dim))?;
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

impl CheckState for HoeffdingTreeRegressor {
    /// Parameters in range; features and nominal flags consistent; the arena a tree of at
    /// most 512 levels, every node reachable from the root once, each branch's feature,
    /// test and children consistent, each node at its depth; every leaf's statistics,
    /// observers (E-BSTs and nominal observers) and model consistent for the tree's
    /// features; the leaf counts of memory management the arena's.
    fn check_state(&self) -> StateResult {
        self.check_parts(|_| None, true).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::splitter::Test;
    use crate::testing::{VALUE_NOMINAL, refused, value_rows};

    fn learned(p: HoeffdingTreeRegressorParams, n: usize) -> HoeffdingTreeRegressor {
        let mut m = p.build().unwrap();
        m.set_nominal_features(&VALUE_NOMINAL);
        for (i, (x, y)) in value_rows(n).iter().enumerate() {
            m.learn_one(Row::Dense(x), *y, None).unwrap();
            if i % 250 == 0 {
                m.check_state()
                    .unwrap_or_else(|e| panic!("after row {i}: {e}"));
            }
        }
        m.check_state().unwrap();
        m
    }

    fn grown() -> HoeffdingTreeRegressor {
        let m = learned(
            HoeffdingTreeRegressorParams::default()
                .grace_period(50)
                .delta(0.01)
                .remove_poor_attrs(true),
            2000,
        );
        assert!(m.depth() > 1, "the tree should have grown: {m}");
        m
    }

    fn leaf_mut(m: &mut HoeffdingTreeRegressor) -> &mut RegLeaf {
        m.nodes
            .iter_mut()
            .find_map(|n| match n {
                RegNode::Leaf(l) => Some(l.as_mut()),
                RegNode::Branch(_) => None,
            })
            .expect("a leaf")
    }

    #[test]
    fn learned_trees_pass_their_check_with_every_splitter_and_leaf_model() {
        for splitter in [RegressionSplitter::Tebst, RegressionSplitter::Ebst] {
            for leaf in [
                RegressionLeafPrediction::Mean,
                RegressionLeafPrediction::Model,
                RegressionLeafPrediction::Adaptive,
            ] {
                for scaling in [true, false] {
                    let p = HoeffdingTreeRegressorParams::default()
                        .grace_period(50)
                        .delta(0.01)
                        .splitter(splitter)
                        .leaf_prediction(leaf)
                        .leaf_scaling(scaling);
                    let m = learned(p, 1200);
                    assert!(m.n_nodes() > 1, "{splitter:?} {leaf:?} should split");
                }
            }
        }
        // Memory management deactivates leaves: the counts stay the arena's.
        let m = learned(
            HoeffdingTreeRegressorParams::default()
                .grace_period(30)
                .delta(0.01)
                .max_size(0.05)
                .memory_estimate_period(100),
            2000,
        );
        assert!(m.growth.n_inactive > 0, "some leaves should be inactive");
    }

    #[test]
    fn corrupted_trees_are_refused_naming_the_part() {
        let m = grown();
        let b = m.root;
        // A cycle through the root.
        let mut bad = m.clone();
        if let RegNode::Branch(br) = &mut bad.nodes[b] {
            br.set_child(1, b);
        }
        refused(bad.check_state(), "reached twice");
        // A child past the arena.
        let mut bad = m.clone();
        let len = bad.nodes.len();
        if let RegNode::Branch(br) = &mut bad.nodes[b] {
            br.set_child(0, len + 1);
        }
        refused(
            bad.check_state(),
            &format!("node {b}: child {} out of range (0..{len})", len + 1),
        );
        // A test whose threshold is not a number.
        let mut bad = m.clone();
        if let RegNode::Branch(br) = &mut bad.nodes[b] {
            br.test = Test::Le(f64::NAN);
        }
        let e = bad.check_state().unwrap_err();
        assert!(e.contains(&format!("node {b}: ")), "{e}");
        // A disabled feature the rows do not have (the next watch would index past them).
        let mut bad = m.clone();
        leaf_mut(&mut bad).disabled.push(10);
        let e = bad.check_state().unwrap_err();
        assert!(
            e.contains("disabled[") && e.contains("index 10 out of range (0..10)"),
            "{e}"
        );
        // Leaf statistics that are not numbers.
        let mut bad = m.clone();
        leaf_mut(&mut bad).stats.mean = f64::INFINITY;
        refused(bad.check_state(), "stats: mean");
        // A leaf model started on other features than the tree's.
        let mut bad = m.clone();
        let mut other = LinearRegression::new();
        other.learn_one(Row::Dense(&[1.0, 2.0]), 1.0, None).unwrap();
        leaf_mut(&mut bad).model = Some(LeafModel::Raw(Box::new(other)));
        refused(
            bad.check_state(),
            "model: linear model: 2 features where the tree has 10",
        );
        // Leaf counts memory management would underflow.
        let mut bad = m.clone();
        bad.growth.n_inactive += 3;
        refused(bad.check_state(), "growth: n_inactive");
        // Parameters out of range.
        let mut bad = m.clone();
        bad.params.digits = 40;
        refused(bad.check_state(), "`digits`");
    }
}
