//! The Hoeffding adaptive tree regressor (HAT for regression): a Hoeffding tree regressor
//! whose nodes watch their own absolute error with ADWIN and grow alternate subtrees where the
//! concept changes.

use std::fmt;

use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, same_len, within};
use tidewater_core::row::check_weight;
use tidewater_core::spec::Params;
use tidewater_core::traits::learn_dataset_regressor;
use tidewater_core::{Build, Dataset, FeatureVector, Fit, Regressor, Result, Row, Structure};
use tidewater_drift::{Adwin, AdwinParams, DriftDetector};

use crate::growth;
use crate::hoeffding_tree::with_dense;
use crate::hoeffding_tree_regressor::{
    HoeffdingTreeRegressor, HoeffdingTreeRegressorParams, RegNode,
};
use crate::stats::Var;
use tidewater_core::pyrandom::PyRandom;

/// Hyper-parameters of [`HoeffdingAdaptiveTreeRegressor`] (River's names and defaults; the
/// tree's own are the Hoeffding tree regressor's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "hoeffding_adaptive_tree_regressor",
    summary = "Hoeffding adaptive tree regressor: ADWIN on the absolute error in every node, alternate subtrees where it rises, online bagging at the leaves (River's HoeffdingAdaptiveTreeRegressor)",
    row_loop_fit
)]
pub struct HoeffdingAdaptiveTreeRegressorParams {
    /// Learn each row at a leaf with weight k·w for k drawn from Poisson(1) (k = 0 keeps w, as River and MOA).
    #[param(default = true)]
    pub bootstrap_sampling: bool,
    /// Rows a subtree and its alternate must both have been scored on (more than this) before they are compared.
    #[param(default = 300, ge = 1)]
    pub drift_window_threshold: usize,
    /// Significance of the z-test that switches to an alternate, or prunes it.
    #[param(default = 0.05, gt = 0, lt = 1)]
    pub switch_significance: f64,
    /// The delta of every node's ADWIN.
    #[param(default = 0.002, gt = 0, lt = 1)]
    pub adwin_delta: f64,
    /// Seed of the bootstrap draws (Python's Mersenne Twister, so River's draws for the same seed); none draws one from the operating system.
    #[param(default = None)]
    pub seed: Option<u64>,
    /// The Hoeffding tree regressor's parameters.
    #[param(flatten, default = HoeffdingTreeRegressorParams::default())]
    pub tree: HoeffdingTreeRegressorParams,
}

impl Build for HoeffdingAdaptiveTreeRegressorParams {
    type Model = HoeffdingAdaptiveTreeRegressor;
    fn build(&self) -> Result<HoeffdingAdaptiveTreeRegressor> {
        self.validate()?;
        let seed = self.seed.unwrap_or_else(rand::random);
        Ok(HoeffdingAdaptiveTreeRegressor {
            params: self.clone(),
            tree: Box::new(self.tree.build()?),
            ada: Vec::new(),
            rng: PyRandom::new(seed),
            n_alternate_trees: 0,
            n_switches: 0,
            n_pruned: 0,
            detached: false,
        })
    }
}

impl Fit for HoeffdingAdaptiveTreeRegressorParams {
    type Model = HoeffdingAdaptiveTreeRegressor;
    /// One pass over the rows in order (the stream path's rows, so `fit` then `learn_one`
    /// continues the same tree).
    fn fit(&self, data: &Dataset) -> Result<HoeffdingAdaptiveTreeRegressor> {
        let mut m = self.build()?;
        m.set_nominal_features(&data.schema.nominal_indices());
        learn_dataset_regressor(&mut m, data)?;
        Ok(m)
    }
}

/// What a node of the adaptive tree keeps besides the Hoeffding tree's: its ADWIN over its
/// absolute errors, the running mean and variance of those errors since its last reset, and
/// (a branch) its alternate subtree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Ada {
    adwin: Adwin,
    errors: Var,
    alternate: Option<usize>,
}

impl Ada {
    fn new(delta: f64) -> Self {
        Ada {
            adwin: AdwinParams::default()
                .delta(delta)
                .build()
                .expect("a checked delta"),
            errors: Var::default(),
            alternate: None,
        }
    }

    /// Feeds absolute error `err`: `true` when ADWIN detects a change while the error is
    /// not falling (River compares the running mean before and after this error, and a
    /// change with a falling mean restarts the error statistics and counts as no change).
    /// A non-finite error (a diverged leaf model) is not fed.
    fn track(&mut self, err: f64) -> bool {
        if !err.is_finite() {
            return false;
        }
        let old = self.errors.mean;
        self.adwin
            .update(err)
            .expect("a finite error is a valid input");
        self.errors.update(err, 1.0);
        if self.adwin.drift_detected() {
            if self.errors.mean < old {
                self.errors = Var::default();
                return false;
            }
            return true;
        }
        false
    }
}

/// The standard normal distribution function (Python's `statistics.NormalDist().cdf`).
fn normal_cdf(x: f64) -> f64 {
    0.5 * (1.0 + crate::stats::erf(x / std::f64::consts::SQRT_2))
}

/// The Hoeffding adaptive tree regressor (Bifet and Gavaldà's HAT for regression), River's
/// `HoeffdingAdaptiveTreeRegressor` rule by rule.
///
/// It grows as the [Hoeffding tree regressor](HoeffdingTreeRegressor) does (leaves, splits,
/// `leaf_scaling` and its departure from River included), and every node also watches its
/// own absolute error `|y - prediction|` with an ADWIN detector: a leaf its own prediction's,
/// a branch the prediction of the leaf the row reaches below it. When a branch's ADWIN
/// detects a change and the running mean of its errors did not fall, the branch starts an
/// alternate (a new leaf; an existing alternate is kept). Once both have been scored on more
/// than `drift_window_threshold` rows, a two-sided z-test on their mean errors (running
/// means and variances since their last reset) with p at most `switch_significance` replaces
/// the branch's subtree by the alternate if the alternate's error is lower, and drops the
/// alternate otherwise. A prediction is the plain mean of the predictions of the leaf the
/// row reaches and of the alternates on its path.
///
/// Where River departs from the paper this tree follows River, so that it grows River's
/// trees: an alternate learns with its owner's place in the tree, so its first split puts
/// the new branch in that place at once (MOA does the same); with `bootstrap_sampling` each
/// leaf visit draws k from Poisson(1), after the leaf's prediction, and learns with weight
/// k·w, or w when k = 0. The draws are Python's Mersenne Twister's, so for a given seed they
/// are River's.
///
/// A subtree that is switched out keeps learning the row that switched it, as in River, and
/// is then dropped; its nodes are reclaimed when they make up half the tree's storage.
/// Errors that are not finite (a diverged leaf model on raw features) are not fed to the
/// detectors, where River would feed them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HoeffdingAdaptiveTreeRegressor {
    params: HoeffdingAdaptiveTreeRegressorParams,
    tree: Box<HoeffdingTreeRegressor>,
    /// Per node of `tree`, by index.
    ada: Vec<Ada>,
    rng: PyRandom,
    n_alternate_trees: usize,
    n_switches: usize,
    n_pruned: usize,
    /// Whether a subtree was cut loose since the last reclaim check.
    detached: bool,
}

impl HoeffdingAdaptiveTreeRegressor {
    /// An empty tree with default parameters (and a seed from the operating system).
    pub fn new() -> Self {
        HoeffdingAdaptiveTreeRegressorParams::default()
            .build()
            .expect("default parameters are valid")
    }

    /// The hyper-parameters.
    pub fn params(&self) -> &HoeffdingAdaptiveTreeRegressorParams {
        &self.params
    }

    /// Alternate subtrees started so far.
    pub fn n_alternate_trees(&self) -> usize {
        self.n_alternate_trees
    }

    /// Alternates that replaced their subtree.
    pub fn n_switches(&self) -> usize {
        self.n_switches
    }

    /// Alternates dropped for doing worse.
    pub fn n_pruned(&self) -> usize {
        self.n_pruned
    }

    /// The nodes of the tree (branches and leaves, alternates not counted).
    pub fn n_nodes(&self) -> usize {
        self.reachable(false).len()
    }

    /// The nodes held in storage: the tree's, the alternates', and those of switched-out
    /// subtrees not yet reclaimed (they are once they make up half the storage).
    pub fn n_stored_nodes(&self) -> usize {
        self.tree.nodes.len()
    }

    /// The leaves of the tree (alternates not counted).
    pub fn n_leaves(&self) -> usize {
        self.reachable(false)
            .into_iter()
            .filter(|&i| matches!(self.tree.nodes[i], RegNode::Leaf(_)))
            .count()
    }

    /// The depth of the deepest leaf.
    pub fn depth(&self) -> usize {
        self.reachable(false)
            .into_iter()
            .filter_map(|i| match &self.tree.nodes[i] {
                RegNode::Leaf(l) => Some(l.depth),
                RegNode::Branch(_) => None,
            })
            .max()
            .unwrap_or(0)
    }

    /// The indices of the nodes below the root, alternates' too when `alternates`.
    fn reachable(&self, alternates: bool) -> Vec<usize> {
        growth::reachable(&self.tree.nodes, self.tree.root, |i| {
            if alternates {
                self.ada[i].alternate
            } else {
                None
            }
        })
    }

    /// A fresh node state for every node the tree has made since.
    fn sync(&mut self) {
        let delta = self.params.adwin_delta;
        while self.ada.len() < self.tree.nodes.len() {
            self.ada.push(Ada::new(delta));
        }
    }

    /// Appends a new leaf of depth `depth` with no statistics and a fresh model.
    fn push_leaf(&mut self, depth: usize) -> usize {
        let leaf = self.tree.new_leaf(Var::default(), depth, None);
        self.tree.nodes.push(RegNode::Leaf(Box::new(leaf)));
        self.sync();
        self.tree.nodes.len() - 1
    }

    /// Puts node `i` in the place `parent` names: child `k` of branch `p`, or the root.
    fn place(&mut self, i: usize, parent: Option<(usize, usize)>) {
        match parent {
            Some((p, k)) => {
                if let RegNode::Branch(b) = &mut self.tree.nodes[p] {
                    if b.children[k] != i {
                        self.detached = true;
                    }
                    b.set_child(k, i);
                }
            }
            None => {
                if self.tree.root != i {
                    self.detached = true;
                }
                self.tree.root = i;
            }
        }
    }

    fn learn_dense(&mut self, x: &[f64], y: f64, w: f64) {
        self.tree.weight_seen += w;
        if self.tree.nodes.is_empty() {
            self.push_leaf(0);
            self.tree.root = 0;
            self.tree.growth.n_active = 1;
        }
        // Every branch on the row's path scores itself with the prediction of the leaf the
        // row reaches below it, before anything learns the row: the same leaf for all.
        let main = growth::leaf_index_of(&self.tree.nodes, self.tree.root, x)
            .map_or(0.0, |l| self.tree.leaf_prediction(l, x));
        self.learn_node(self.tree.root, x, y, w, None, main);
        if self.tree.weight_seen >= self.tree.params.memory_estimate_period as f64 {
            self.tree.maybe_estimate_size();
        }
        if self.detached {
            self.reclaim();
        }
    }

    fn learn_node(
        &mut self,
        i: usize,
        x: &[f64],
        y: f64,
        w: f64,
        parent: Option<(usize, usize)>,
        main: f64,
    ) {
        if matches!(self.tree.nodes[i], RegNode::Leaf(_)) {
            self.learn_leaf(i, x, y, w, parent);
        } else {
            self.learn_branch(i, x, y, w, parent, main);
        }
    }

    fn learn_leaf(&mut self, i: usize, x: &[f64], y: f64, w: f64, parent: Option<(usize, usize)>) {
        let prediction = self.tree.leaf_prediction(i, x);
        let mut w = w;
        if self.params.bootstrap_sampling {
            let k = self.rng.poisson(1.0);
            if k > 0 {
                w *= k as f64;
            }
        }
        // A leaf starts no alternate: a change only matters to it through its error
        // statistics, which `track` restarts when the error fell.
        self.ada[i].track((y - prediction).abs());
        self.tree.learn_at(i, x, y, w, None);
        let grace = self.tree.params.grace_period as f64;
        let max_depth = self.tree.params.max_depth.unwrap_or(usize::MAX);
        let leaf = self.tree.leaf(i);
        let seen = leaf.stats.n;
        if seen - leaf.last_split_attempt_at < grace {
            return;
        }
        if leaf.depth >= max_depth {
            if leaf.is_active()
                && let RegNode::Leaf(l) = &mut self.tree.nodes[i]
            {
                self.tree.growth.deactivate(l.as_mut());
            }
        } else if leaf.is_active() {
            self.tree.attempt_split(i);
            self.sync();
            match &mut self.tree.nodes[i] {
                RegNode::Leaf(l) => l.last_split_attempt_at = seen,
                RegNode::Branch(_) => {
                    // A new branch starts with a fresh detector and error statistics; one
                    // grown from an alternate takes its owner's place.
                    self.ada[i] = Ada::new(self.params.adwin_delta);
                    self.place(i, parent);
                }
            }
        }
    }

    fn learn_branch(
        &mut self,
        b: usize,
        x: &[f64],
        y: f64,
        w: f64,
        parent: Option<(usize, usize)>,
        main: f64,
    ) {
        let change = self.ada[b].track((y - main).abs());
        if change && self.ada[b].alternate.is_none() {
            self.ada[b].errors = Var::default();
            let depth = match &self.tree.nodes[b] {
                RegNode::Branch(br) => br.depth,
                RegNode::Leaf(_) => unreachable!("a branch"),
            };
            let alt = self.push_leaf(depth);
            self.ada[b].alternate = Some(alt);
            self.n_alternate_trees += 1;
        } else if let Some(alt) = self.ada[b].alternate {
            let threshold = self.params.drift_window_threshold as f64;
            let (alt_err, cur_err) = (self.ada[alt].errors, self.ada[b].errors);
            if alt_err.n > threshold && cur_err.n > threshold {
                let se = (alt_err.get() / alt_err.n + cur_err.get() / cur_err.n).sqrt();
                // Two equal constant errors: River divides by zero; no decision here.
                if se > 0.0 {
                    let z = (alt_err.mean - cur_err.mean) / se;
                    let p = 2.0 * normal_cdf(-z.abs());
                    if p <= self.params.switch_significance {
                        if alt_err.mean < cur_err.mean {
                            self.n_switches += 1;
                            self.kill_below(b);
                            self.place(alt, parent);
                            if parent.is_some() {
                                self.ada[b].alternate = None;
                            }
                        } else {
                            self.n_pruned += 1;
                            self.ada[b].alternate = None;
                            self.detached = true;
                        }
                    }
                }
            }
        }
        if let Some(alt) = self.ada[b].alternate {
            self.learn_node(alt, x, y, w, parent, main);
        }
        let RegNode::Branch(br) = &self.tree.nodes[b] else {
            unreachable!("a branch")
        };
        let v = x[br.feature];
        match br.slot(v) {
            Some(k) => {
                let c = br.children[k];
                self.learn_node(c, x, y, w, Some((b, k)), main);
            }
            None => {
                // A nominal value the multiway test has not met: a new leaf for it.
                let depth = br.depth + 1;
                let leaf = self.push_leaf(depth);
                let k = growth::add_value(&mut self.tree.nodes, b, v, leaf);
                self.tree.growth.n_active += 1;
                self.learn_leaf(leaf, x, y, w, Some((b, k)));
            }
        }
    }

    /// What River does to a subtree an alternate replaces: every branch below `b` drops its
    /// alternate (each counted as pruned), so that the subtree, which still learns the row
    /// that replaced it, grows no more alternates; its leaves leave the tree's counts, and
    /// the alternate's leaf joins them.
    fn kill_below(&mut self, b: usize) {
        let mut stack: Vec<usize> = match &self.tree.nodes[b] {
            RegNode::Branch(br) => br.children.clone(),
            RegNode::Leaf(_) => Vec::new(),
        };
        let growth = &mut self.tree.growth;
        while let Some(i) = stack.pop() {
            match &self.tree.nodes[i] {
                RegNode::Branch(br) => {
                    if self.ada[i].alternate.take().is_some() {
                        self.n_pruned += 1;
                    }
                    stack.extend(br.children.iter().copied());
                }
                RegNode::Leaf(l) => {
                    if l.is_active() {
                        growth.n_active = growth.n_active.saturating_sub(1);
                    } else {
                        growth.n_inactive = growth.n_inactive.saturating_sub(1);
                    }
                }
            }
        }
        growth.n_active += 1;
    }

    /// Drops the nodes no longer below the root, when they make up half the storage.
    fn reclaim(&mut self) {
        self.detached = false;
        let live = self.reachable(true);
        growth::compact(
            &mut self.tree.nodes,
            &mut self.ada,
            &mut self.tree.root,
            &live,
            |a| &mut a.alternate,
        );
    }

    /// The prediction for `x` (dense, checked): the mean of the predictions of the leaf the
    /// row reaches and of the alternates on its path (top down, then the leaf).
    fn predict_dense(&self, x: &[f64]) -> f64 {
        let mut sum = 0.0;
        let mut n = 0.0;
        let mut i = self.tree.root;
        loop {
            match &self.tree.nodes[i] {
                RegNode::Leaf(_) => {
                    sum += self.tree.leaf_prediction(i, x);
                    n += 1.0;
                    break;
                }
                RegNode::Branch(b) => {
                    if let Some(a) = self.ada[i].alternate {
                        sum += self.tree.leaf_prediction(a, x);
                        n += 1.0;
                    }
                    i = match b.child(x[b.feature]) {
                        Some(c) => c,
                        None => growth::heaviest_child(&self.tree.nodes, b),
                    };
                }
            }
        }
        sum / n
    }
}

impl CheckState for HoeffdingAdaptiveTreeRegressor {
    /// Parameters in range; an error monitor per node, its detector and error statistics
    /// consistent; the tree consistent (see [`HoeffdingTreeRegressor`]'s check; subtrees cut
    /// loose may remain stored, and the leaf counts are River's approximate ones), its
    /// alternate subtrees included; alternates leaves under reachable branches (prediction
    /// reads an alternate as a leaf).
    fn check_state(&self) -> StateResult {
        crate::check_params(&self.params)?;
        same_len("ada", self.ada.len(), self.tree.nodes.len())?;
        for (i, a) in self.ada.iter().enumerate() {
            within(
                format_args!("node {i}: monitor: adwin"),
                a.adwin.check_state(),
            )?;
            within(
                format_args!("node {i}: monitor: errors"),
                a.errors.check_state(),
            )?;
        }
        let alternates: Vec<Option<usize>> = self.ada.iter().map(|a| a.alternate).collect();
        let reached = self.tree.check_parts(|i| alternates[i], false)?;
        within("rng", self.rng.check_state())?;
        growth::check_alternates(&self.tree.nodes, &alternates, &reached)
    }
}

impl Default for HoeffdingAdaptiveTreeRegressor {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for HoeffdingAdaptiveTreeRegressor {
    /// The main tree as text (as the Hoeffding tree regressor's), alternates left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.tree.to_text_with(&[]))
    }
}

impl Regressor for HoeffdingAdaptiveTreeRegressor {
    fn n_features(&self) -> Option<usize> {
        self.tree.dim
    }

    /// The main tree (alternates left out).
    fn structure(&self, feature_names: &[String]) -> Option<Structure> {
        Some(Structure {
            depth: self.depth(),
            n_nodes: self.n_nodes(),
            n_leaves: self.n_leaves(),
            ..self.tree.structure_with(feature_names)
        })
    }

    /// Taken before the first row unless the tree's `nominal_attributes` is set.
    fn set_nominal_features(&mut self, nominal: &[usize]) {
        if self.tree.dim.is_none()
            && self.params.tree.nominal_attributes.is_none()
            && !nominal.is_empty()
        {
            self.params.tree.nominal_attributes = Some(nominal.to_vec());
            self.tree.set_nominal_features(nominal);
        }
    }

    fn learn_one(&mut self, x: Row<'_>, y: f64, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        let w = check_weight(weight)?;
        HoeffdingTreeRegressor::check_target(y)?;
        if w == 0.0 {
            return Ok(());
        }
        self.tree.start(x.dim());
        with_dense(x, |x| self.learn_dense(x, y, w));
        Ok(())
    }

    fn predict_one(&self, x: Row<'_>) -> Result<f64> {
        self.check_row(x)?;
        if self.tree.nodes.is_empty() {
            return Ok(0.0);
        }
        Ok(with_dense(x, |x| self.predict_dense(x)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::growth::Branch;
    use crate::splitter::Test;
    use crate::testing::{VALUE_NOMINAL, refused, value_rows};

    fn learned() -> HoeffdingAdaptiveTreeRegressor {
        let mut p = HoeffdingAdaptiveTreeRegressorParams::default().seed(Some(5));
        p.tree.grace_period = 50;
        p.tree.delta = 0.01;
        p.drift_window_threshold = 50;
        let mut m = p.build().unwrap();
        m.set_nominal_features(&VALUE_NOMINAL);
        for (i, (x, y)) in value_rows(6000).iter().enumerate() {
            m.learn_one(Row::Dense(x), *y, None).unwrap();
            if i % 250 == 0 {
                m.check_state()
                    .unwrap_or_else(|e| panic!("after row {i}: {e}"));
            }
        }
        m.check_state().unwrap();
        assert!(m.n_nodes() > 1, "the tree should have grown");
        assert!(
            m.n_alternate_trees() > 0,
            "the drift should grow alternates"
        );
        m
    }

    #[test]
    fn a_learned_tree_passes_and_corrupted_ones_are_refused_naming_the_part() {
        let m = learned();
        let b = m.tree.root;
        // An alternate that is a branch: prediction reads an alternate as a leaf.
        let mut bad = m.clone();
        let first = bad.push_leaf(1);
        bad.push_leaf(1);
        let twig = bad.tree.nodes.len();
        bad.tree
            .nodes
            .push(RegNode::Branch(Branch::new(0, Test::Le(0.5), first, 2, 0)));
        bad.sync();
        bad.ada[b].alternate = Some(twig);
        refused(
            bad.check_state(),
            &format!("node {b}: alternate {twig} is a branch"),
        );
        // An alternate that is the owner's own child.
        let mut bad = m.clone();
        let child = match &bad.tree.nodes[b] {
            RegNode::Branch(br) => br.children[0],
            RegNode::Leaf(_) => unreachable!("a branch"),
        };
        bad.ada[b].alternate = Some(child);
        refused(bad.check_state(), "reached twice");
        // Error statistics that are not numbers.
        let mut bad = m.clone();
        bad.ada[b].errors.n = f64::NAN;
        refused(bad.check_state(), &format!("node {b}: monitor: errors: n"));
        // A monitor short.
        let mut bad = m.clone();
        bad.ada.pop();
        refused(bad.check_state(), "ada");
    }
}
