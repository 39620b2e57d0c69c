//! The Hoeffding adaptive tree classifier (HAT): a Hoeffding tree whose nodes watch their own
//! error with ADWIN and grow alternate subtrees where the concept changes.

use std::fmt;

use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, finite, nonneg, same_len, within};
use tidewater_core::row::check_weight;
use tidewater_core::spec::Params;
use tidewater_core::traits::{check_out_len, learn_dataset};
use tidewater_core::{
    Build, ClassSet, Classifier, Dataset, FeatureVector, Fit, Label, Result, Row, Structure,
};
use tidewater_drift::{Adwin, AdwinParams, DriftDetector};

use crate::growth;
use crate::hoeffding_tree::{
    HoeffdingTreeClassifier, HoeffdingTreeClassifierParams, Leaf, Node, proba_then_learn, with_buf,
    with_dense,
};
use crate::stats::ClassDist;
use tidewater_core::pyrandom::PyRandom;

/// Hyper-parameters of [`HoeffdingAdaptiveTreeClassifier`] (River's names and defaults; the
/// tree's own are the Hoeffding tree's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "hoeffding_adaptive_tree",
    summary = "Hoeffding adaptive tree (HAT): ADWIN in every node, alternate subtrees where the error rises, online bagging at the leaves (River's HoeffdingAdaptiveTreeClassifier)",
    row_loop_fit
)]
pub struct HoeffdingAdaptiveTreeClassifierParams {
    /// Learn each row at a leaf with weight k·w for k drawn from Poisson(1) (k = 0 keeps w, as River and MOA).
    #[param(default = true)]
    pub bootstrap_sampling: bool,
    /// Rows a subtree and its alternate must both have been scored on (more than this) before they are compared.
    #[param(default = 300, ge = 1)]
    pub drift_window_threshold: usize,
    /// Significance of the test that switches to an alternate, or prunes it.
    #[param(default = 0.05, gt = 0, lt = 1)]
    pub switch_significance: f64,
    /// The delta of every node's ADWIN.
    #[param(default = 0.002, gt = 0, lt = 1)]
    pub adwin_delta: f64,
    /// Seed of the bootstrap draws (Python's Mersenne Twister, so River's draws for the same seed); none draws one from the operating system.
    #[param(default = None)]
    pub seed: Option<u64>,
    /// The Hoeffding tree's parameters.
    #[param(flatten, default = HoeffdingTreeClassifierParams::default())]
    pub tree: HoeffdingTreeClassifierParams,
}

impl Build for HoeffdingAdaptiveTreeClassifierParams {
    type Model = HoeffdingAdaptiveTreeClassifier;
    fn build(&self) -> Result<HoeffdingAdaptiveTreeClassifier> {
        self.validate()?;
        let seed = self.seed.unwrap_or_else(rand::random);
        Ok(HoeffdingAdaptiveTreeClassifier {
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

impl Fit for HoeffdingAdaptiveTreeClassifierParams {
    type Model = HoeffdingAdaptiveTreeClassifier;
    /// One pass over the rows in order (the stream path's rows, so `fit` then `learn_one`
    /// continues the same tree).
    fn fit(&self, data: &Dataset) -> Result<HoeffdingAdaptiveTreeClassifier> {
        let mut m = self.build()?;
        m.set_nominal_features(&data.schema.nominal_indices());
        learn_dataset(&mut m, data)?;
        Ok(m)
    }
}

/// What a node of the adaptive tree keeps besides the Hoeffding tree's: its ADWIN over its
/// 0/1 errors, the running mean of those errors since its last reset, and (a branch) its
/// alternate subtree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Ada {
    adwin: Adwin,
    n: f64,
    mean: f64,
    alternate: Option<usize>,
}

impl Ada {
    fn new(delta: f64) -> Self {
        Ada {
            adwin: AdwinParams::default()
                .delta(delta)
                .build()
                .expect("a checked delta"),
            n: 0.0,
            mean: 0.0,
            alternate: None,
        }
    }

    /// Feeds error `err`: `true` when ADWIN detects a change while the error is rising
    /// (River's test compares the running mean before and after this error, so a change
    /// detected on a correct prediction resets the mean and counts as no change).
    fn track(&mut self, err: f64) -> bool {
        let old = self.mean;
        self.adwin
            .update(err)
            .expect("a 0/1 error is a valid input");
        self.n += 1.0;
        self.mean += (err - self.mean) / self.n;
        if self.adwin.drift_detected() {
            if old > self.mean {
                self.reset_mean();
                return false;
            }
            return true;
        }
        false
    }

    fn reset_mean(&mut self) {
        self.n = 0.0;
        self.mean = 0.0;
    }
}

/// The Hoeffding adaptive tree classifier (Bifet and Gavaldà, 2009), River's
/// `HoeffdingAdaptiveTreeClassifier` rule by rule.
///
/// It grows as the [Hoeffding tree](HoeffdingTreeClassifier) does, and every node also
/// watches its own 0/1 error with an ADWIN detector: a leaf its own prediction's, a branch
/// the prediction of the leaf the row reaches below it. When a branch's ADWIN detects a rise
/// of its error, the branch starts an alternate: a new leaf that learns the rows the branch
/// sees. Once both have been scored on more than `drift_window_threshold` rows, the
/// alternate replaces the branch's subtree when its error is lower by more than
/// `sqrt(2 e (1 - e) ln(2 / switch_significance) (1/n_alt + 1/n_main))` (`e` the subtree's
/// error), and is dropped when it is higher by as much. The error rates compared are running
/// means since the node's last reset (River's; MOA reads ADWIN's window instead).
///
/// Where River departs from the paper this tree follows River, so that it grows River's
/// trees: an alternate learns with its owner's place in the tree, so its first split puts
/// the new branch in that place at once (MOA does the same); with `bootstrap_sampling` each
/// leaf visit draws k from Poisson(1) and learns with weight k·w, or w when k = 0; and a
/// prediction sums the class probabilities of the leaf the row reaches and of the
/// alternates on its path, each divided by its error squared (by 1 when its error is 0),
/// where MOA lets the main leaf alone vote. The draws are Python's Mersenne Twister's, so
/// for a given seed they are River's.
///
/// A subtree that is switched out keeps learning the row that switched it, as in River, and
/// is then dropped; its nodes are reclaimed when they make up half the tree's storage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HoeffdingAdaptiveTreeClassifier {
    params: HoeffdingAdaptiveTreeClassifierParams,
    tree: Box<HoeffdingTreeClassifier>,
    /// Per node of `tree`, by index.
    ada: Vec<Ada>,
    rng: PyRandom,
    n_alternate_trees: usize,
    n_switches: usize,
    n_pruned: usize,
    /// Whether a subtree was cut loose since the last reclaim check.
    detached: bool,
}

impl HoeffdingAdaptiveTreeClassifier {
    /// An empty tree with default parameters (and a seed from the operating system).
    pub fn new() -> Self {
        HoeffdingAdaptiveTreeClassifierParams::default()
            .build()
            .expect("default parameters are valid")
    }

    /// The hyper-parameters.
    pub fn params(&self) -> &HoeffdingAdaptiveTreeClassifierParams {
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
            .filter(|&i| matches!(self.tree.nodes[i], Node::Leaf(_)))
            .count()
    }

    /// The depth of the deepest leaf.
    pub fn depth(&self) -> usize {
        self.reachable(false)
            .into_iter()
            .filter_map(|i| match &self.tree.nodes[i] {
                Node::Leaf(l) => Some(l.depth),
                Node::Branch(_) => None,
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

    fn leaf(&self, i: usize) -> &Leaf {
        match &self.tree.nodes[i] {
            Node::Leaf(l) => l,
            Node::Branch(_) => unreachable!("a leaf"),
        }
    }

    /// The class leaf `i` predicts for `x` (the first of the largest in class-id order,
    /// `None` for an empty leaf), and the naive Bayes class when the prediction was naive
    /// Bayes (what learning the row there computes again).
    fn leaf_class(&self, i: usize, x: &[f64]) -> (Option<usize>, Option<Option<usize>>) {
        let leaf = self.leaf(i);
        if leaf.stats.is_empty() {
            return (None, None);
        }
        with_buf(self.tree.labels.len(), |p| {
            let hint = self.tree.leaf_proba(leaf, x, p);
            let mut best: Option<(usize, f64)> = None;
            for (id, _) in leaf.stats.iter() {
                let v = p[self.tree.pos[id]];
                if best.is_none_or(|(_, b)| v > b) {
                    best = Some((id, v));
                }
            }
            (best.map(|(id, _)| id), hint)
        })
    }

    /// Puts node `i` in the place `parent` names: child `k` of branch `p`, or the root.
    fn place(&mut self, i: usize, parent: Option<(usize, usize)>) {
        match parent {
            Some((p, k)) => {
                if let Node::Branch(b) = &mut self.tree.nodes[p] {
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

    fn learn_dense(&mut self, x: &[f64], id: usize, w: f64) {
        self.tree.weight_seen += w;
        if self.tree.nodes.is_empty() {
            self.tree
                .nodes
                .push(Node::Leaf(Box::new(Leaf::new(ClassDist::default(), 0))));
            self.tree.root = 0;
            self.tree.growth.n_active = 1;
            self.sync();
        }
        // Every branch on the row's path scores itself with the prediction of the leaf the
        // row reaches below it, before anything learns the row: the same leaf for all.
        let main = self
            .tree
            .leaf_index_of(x)
            .and_then(|l| self.leaf_class(l, x).0);
        self.learn_node(self.tree.root, x, id, w, None, main);
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
        id: usize,
        w: f64,
        parent: Option<(usize, usize)>,
        main: Option<usize>,
    ) {
        if matches!(self.tree.nodes[i], Node::Leaf(_)) {
            self.learn_leaf(i, x, id, w, parent);
        } else {
            self.learn_branch(i, x, id, w, parent, main);
        }
    }

    fn learn_leaf(
        &mut self,
        i: usize,
        x: &[f64],
        id: usize,
        w: f64,
        parent: Option<(usize, usize)>,
    ) {
        let mut w = w;
        if self.params.bootstrap_sampling {
            let k = self.rng.poisson(1.0);
            if k > 0 {
                w *= k as f64;
            }
        }
        let (pred, hint) = self.leaf_class(i, x);
        // A leaf starts no alternate: a change only matters to it through the error mean,
        // which `track` restarts when the error fell.
        self.ada[i].track(if pred == Some(id) { 0.0 } else { 1.0 });
        self.tree.learn_at(i, x, id, w, hint, None);
        let grace = self.tree.params.grace_period as f64;
        let max_depth = self.tree.params.max_depth.unwrap_or(usize::MAX);
        let leaf = self.leaf(i);
        let seen = leaf.stats.total();
        if seen - leaf.last_split_attempt_at < grace {
            return;
        }
        if leaf.depth >= max_depth {
            if leaf.is_active() {
                if let Node::Leaf(l) = &mut self.tree.nodes[i] {
                    l.obs = None;
                }
                self.tree.growth.n_active = self.tree.growth.n_active.saturating_sub(1);
                self.tree.growth.n_inactive += 1;
            }
        } else if leaf.is_active() {
            self.tree.attempt_split(i);
            self.sync();
            match &mut self.tree.nodes[i] {
                Node::Leaf(l) => l.last_split_attempt_at = seen,
                Node::Branch(_) => {
                    // A new branch starts with a fresh detector and error mean; one grown
                    // from an alternate takes its owner's place.
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
        id: usize,
        w: f64,
        parent: Option<(usize, usize)>,
        main: Option<usize>,
    ) {
        let err = if main == Some(id) { 0.0 } else { 1.0 };
        if self.ada[b].track(err) {
            self.ada[b].reset_mean();
            let depth = match &self.tree.nodes[b] {
                Node::Branch(br) => br.depth,
                Node::Leaf(_) => unreachable!("a branch"),
            };
            let alt = self.tree.nodes.len();
            self.tree
                .nodes
                .push(Node::Leaf(Box::new(Leaf::new(ClassDist::default(), depth))));
            self.sync();
            if self.ada[b].alternate.replace(alt).is_some() {
                self.detached = true;
            }
            self.n_alternate_trees += 1;
        } else if let Some(alt) = self.ada[b].alternate {
            let threshold = self.params.drift_window_threshold as f64;
            let (n_alt, n_main) = (self.ada[alt].n, self.ada[b].n);
            if n_alt > threshold && n_main > threshold {
                let (e_main, e_alt) = (self.ada[b].mean, self.ada[alt].mean);
                let bound = (2.0
                    * e_main
                    * (1.0 - e_main)
                    * (2.0 / self.params.switch_significance).ln()
                    * (1.0 / n_alt + 1.0 / n_main))
                    .sqrt();
                if bound < e_main - e_alt {
                    self.n_switches += 1;
                    self.kill_below(b);
                    self.place(alt, parent);
                    if parent.is_some() {
                        self.ada[b].alternate = None;
                    }
                } else if bound < e_alt - e_main {
                    self.n_pruned += 1;
                    self.ada[b].alternate = None;
                    self.detached = true;
                }
            }
        }
        if let Some(alt) = self.ada[b].alternate {
            self.learn_node(alt, x, id, w, parent, main);
        }
        let Node::Branch(br) = &self.tree.nodes[b] else {
            unreachable!("a branch")
        };
        let v = x[br.feature];
        match br.slot(v) {
            Some(k) => {
                let c = br.children[k];
                self.learn_node(c, x, id, w, Some((b, k)), main);
            }
            None => {
                // A nominal value the multiway test has not met: a new leaf for it.
                let depth = br.depth + 1;
                let leaf = self.tree.nodes.len();
                self.tree
                    .nodes
                    .push(Node::Leaf(Box::new(Leaf::new(ClassDist::default(), depth))));
                self.sync();
                let k = self.tree.add_value(b, v, leaf);
                self.tree.growth.n_active += 1;
                self.learn_leaf(leaf, x, id, w, Some((b, k)));
            }
        }
    }

    /// What River does to a subtree an alternate replaces: every branch below `b` drops its
    /// alternate (each counted as pruned), so that the subtree, which still learns the row
    /// that replaced it, grows no more alternates; its leaves leave the tree's counts, and
    /// the alternate's leaf joins them.
    fn kill_below(&mut self, b: usize) {
        let mut stack: Vec<usize> = match &self.tree.nodes[b] {
            Node::Branch(br) => br.children.clone(),
            Node::Leaf(_) => Vec::new(),
        };
        while let Some(i) = stack.pop() {
            match &self.tree.nodes[i] {
                Node::Branch(br) => {
                    if self.ada[i].alternate.take().is_some() {
                        self.n_pruned += 1;
                    }
                    stack.extend(br.children.iter().copied());
                }
                Node::Leaf(l) => {
                    if l.is_active() {
                        self.tree.growth.n_active = self.tree.growth.n_active.saturating_sub(1);
                    } else {
                        self.tree.growth.n_inactive = self.tree.growth.n_inactive.saturating_sub(1);
                    }
                }
            }
        }
        self.tree.growth.n_active += 1;
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

    /// The class probabilities of `x` (dense, checked) into `out`, in label order: the sum
    /// of the distributions of the leaf the row reaches and of the alternates on its path,
    /// each divided by (its sum times its error squared) where that is not 0, normalised.
    fn proba_into(&self, x: &[f64], out: &mut [f64]) {
        out.fill(0.0);
        if self.tree.nodes.is_empty() {
            return;
        }
        let k = out.len();
        let add = |leaf: usize, out: &mut [f64]| {
            let l = self.leaf(leaf);
            if l.stats.is_empty() {
                return;
            }
            with_buf(k, |p| {
                self.tree.leaf_proba(l, x, p);
                let s: f64 = p.iter().sum();
                let e = self.ada[leaf].mean;
                let factor = s * e * e;
                let scale = if factor != 0.0 && !factor.is_nan() {
                    1.0 / factor
                } else {
                    1.0
                };
                for (o, v) in out.iter_mut().zip(p.iter()) {
                    *o += v * scale;
                }
            });
        };
        let mut i = self.tree.root;
        loop {
            match &self.tree.nodes[i] {
                Node::Leaf(_) => {
                    add(i, out);
                    break;
                }
                Node::Branch(b) => {
                    if let Some(a) = self.ada[i].alternate {
                        add(a, out);
                    }
                    i = match b.child(x[b.feature]) {
                        Some(c) => c,
                        None => self.tree.heaviest_child(b),
                    };
                }
            }
        }
        let total: f64 = out.iter().sum();
        if total > 0.0 && total.is_finite() {
            for o in out.iter_mut() {
                *o /= total;
            }
        }
    }
}

impl Ada {
    /// The detector consistent, the error mean's count not negative and the mean finite.
    fn check(&self) -> StateResult {
        within("adwin", self.adwin.check_state())?;
        nonneg("n", self.n)?;
        finite("mean", self.mean)
    }
}

impl CheckState for HoeffdingAdaptiveTreeClassifier {
    /// Parameters in range; an error monitor per node, each consistent; the tree consistent
    /// (see [`HoeffdingTreeClassifier`]'s check; subtrees cut loose may remain stored, and
    /// the leaf counts are River's approximate ones), its alternate subtrees included;
    /// alternates leaves under reachable branches.
    fn check_state(&self) -> StateResult {
        crate::check_params(&self.params)?;
        same_len("ada", self.ada.len(), self.tree.nodes.len())?;
        for (i, a) in self.ada.iter().enumerate() {
            within(format_args!("node {i}: monitor"), a.check())?;
        }
        let alternates: Vec<Option<usize>> = self.ada.iter().map(|a| a.alternate).collect();
        let reached = self.tree.check_parts(|i| alternates[i], false)?;
        within("rng", self.rng.check_state())?;
        growth::check_alternates(&self.tree.nodes, &alternates, &reached)
    }
}

impl Default for HoeffdingAdaptiveTreeClassifier {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for HoeffdingAdaptiveTreeClassifier {
    /// The main tree as text (as the Hoeffding tree's), alternates left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.tree, f)
    }
}

impl Classifier for HoeffdingAdaptiveTreeClassifier {
    fn classes(&self) -> &ClassSet {
        &self.tree.classes
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

    fn n_features(&self) -> Option<usize> {
        self.tree.dim
    }

    fn set_nominal_features(&mut self, nominal: &[usize]) {
        self.tree.set_nominal_features(nominal);
    }

    fn learn_one(&mut self, x: Row<'_>, y: &Label, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        let w = check_weight(weight)?;
        HoeffdingTreeClassifier::check_label(y)?;
        self.tree.start(x.dim());
        let id = self.tree.class_id(y);
        with_dense(x, |x| self.learn_dense(x, id, w));
        Ok(())
    }

    /// The probabilities once, the label read from them, then learning.
    fn predict_then_learn(
        &mut self,
        x: Row<'_>,
        y: &Label,
        weight: Option<f64>,
        out: &mut [f64],
    ) -> Result<Option<Label>> {
        proba_then_learn(self, x, y, weight, out)
    }

    fn predict_proba_into(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        check_out_len("probability buffer", self.tree.classes.len(), out.len())?;
        if self.tree.classes.is_empty() {
            return Ok(());
        }
        self.check_row(x)?;
        with_dense(x, |x| self.proba_into(x, out));
        Ok(())
    }

    fn predict_one(&self, x: Row<'_>) -> Result<Option<Label>> {
        if self.tree.classes.is_empty() {
            return Ok(None);
        }
        self.check_row(x)?;
        let k = self.tree.classes.len();
        let best = with_dense(x, |x| {
            with_buf(k, |p| {
                self.proba_into(x, p);
                // The largest probability in label order, the first on a tie (River's max
                // over its sorted probabilities).
                crate::cart::argmax(p)
            })
        });
        Ok(self.tree.classes.labels().get(best).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::growth::{Branch, MAX_DEPTH};
    use crate::splitter::Test;
    use crate::testing::{CLASS_NOMINAL, class_rows, refused};

    fn learned() -> HoeffdingAdaptiveTreeClassifier {
        let mut p = HoeffdingAdaptiveTreeClassifierParams::default().seed(Some(3));
        p.tree.grace_period = 100;
        p.tree.delta = 0.05;
        p.drift_window_threshold = 100;
        p.bootstrap_sampling = false;
        let mut m = p.build().unwrap();
        m.set_nominal_features(&CLASS_NOMINAL);
        for (i, (x, y)) in class_rows(10_000).iter().enumerate() {
            m.learn_one(Row::Dense(x), y, None).unwrap();
            if i % 200 == 0 {
                m.check_state()
                    .unwrap_or_else(|e| panic!("after row {i}: {e}"));
            }
        }
        m.check_state().unwrap();
        assert!(m.n_nodes() > 1, "the tree should have grown");
        m
    }

    /// A tree whose root is a chain of `depth` multiway branches on feature 0 (value 0.5 goes
    /// down the chain, 0.7 to a leaf beside it).
    fn chain(depth: usize) -> HoeffdingAdaptiveTreeClassifier {
        let mut m = HoeffdingAdaptiveTreeClassifierParams::default()
            .seed(Some(1))
            .build()
            .unwrap();
        m.learn_one(Row::Dense(&[0.0, 0.0]), &Label::Num(0.0), None)
            .unwrap();
        m.learn_one(Row::Dense(&[1.0, 0.0]), &Label::Num(1.0), None)
            .unwrap();
        let mut nodes: Vec<Node> = Vec::new();
        for d in 0..depth {
            let (down, beside) = (2 * (d + 1), 2 * d + 1);
            let mut b = Branch::new(0, Test::Multi(vec![0.5, 0.7]), down, 1, d);
            b.push_child(beside);
            nodes.push(Node::Branch(b));
            nodes.push(Node::Leaf(Box::new(Leaf::new(ClassDist::default(), d + 1))));
        }
        nodes.push(Node::Leaf(Box::new(Leaf::new(ClassDist::default(), depth))));
        m.tree.nodes = nodes;
        m.tree.root = 0;
        m.ada.clear();
        m.sync();
        m
    }

    #[test]
    fn a_learned_tree_passes_and_corrupted_ones_are_refused_naming_the_part() {
        let m = learned();
        assert!(
            m.n_switches() > 0,
            "the drift should grow an alternate that takes over"
        );
        let b = m.tree.root;
        // A monitor short.
        let mut bad = m.clone();
        bad.ada.pop();
        refused(bad.check_state(), "ada");
        // An alternate sharing its owner's children.
        let mut bad = m.clone();
        let copy = bad.tree.nodes.len();
        bad.tree.nodes.push(bad.tree.nodes[b].clone());
        bad.sync();
        bad.ada[b].alternate = Some(copy);
        refused(bad.check_state(), "reached twice");
        // An alternate that is a branch (prediction reads an alternate as a leaf).
        let mut bad = m.clone();
        let first = bad.tree.nodes.len();
        for _ in 0..2 {
            bad.tree
                .nodes
                .push(Node::Leaf(Box::new(Leaf::new(ClassDist::default(), 1))));
        }
        let twig = bad.tree.nodes.len();
        bad.tree
            .nodes
            .push(Node::Branch(Branch::new(0, Test::Le(0.5), first, 2, 0)));
        bad.sync();
        bad.ada[b].alternate = Some(twig);
        refused(
            bad.check_state(),
            &format!("node {b}: alternate {twig} is a branch"),
        );
        // An alternate past the arena.
        let mut bad = m.clone();
        bad.ada[b].alternate = Some(bad.tree.nodes.len() + 1);
        refused(bad.check_state(), &format!("node {b}: alternate"));
        // A monitor's detector corrupted.
        let mut bad = m.clone();
        bad.ada[b].mean = f64::NAN;
        refused(bad.check_state(), &format!("node {b}: monitor: mean"));
        // Its own parameters, out of range.
        let mut bad = m.clone();
        bad.params.adwin_delta = 0.0;
        refused(bad.check_state(), "`adwin_delta`");
    }

    #[test]
    fn a_tree_as_deep_as_allowed_learns_on_a_small_stack_and_a_deeper_one_is_refused() {
        let m = chain(MAX_DEPTH);
        m.check_state().unwrap();
        // Learning recurses down the chain: it must fit in a 2 MiB thread stack.
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                let mut m = m;
                // An unseen value: the heaviest child, by the recursive weight below it.
                m.predict_one(Row::Dense(&[3.0, 0.0])).unwrap();
                for y in [0.0, 1.0, 0.0] {
                    m.learn_one(Row::Dense(&[0.5, 0.0]), &Label::Num(y), None)
                        .unwrap();
                }
            })
            .unwrap()
            .join()
            .unwrap();
        refused(
            chain(MAX_DEPTH + 1).check_state(),
            &format!("deeper than the {MAX_DEPTH} levels"),
        );
    }
}
