//! The extremely fast decision tree (EFDT, or Hoeffding anytime tree): a Hoeffding tree that
//! splits as soon as a split beats not splitting, and keeps revisiting its splits.

use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, ensure, nonneg, within};
use tidewater_core::row::check_weight;
use tidewater_core::spec::Params;
use tidewater_core::traits::{check_out_len, learn_dataset};
use tidewater_core::{
    Build, ClassSet, Classifier, Dataset, FeatureVector, Fit, Label, Result, Row, Structure,
};

use crate::hoeffding_tree::{
    HoeffdingTreeClassifier, HoeffdingTreeClassifierParams, Leaf, LeafObs, LeafPrediction, Node,
    hoeffding_bound, proba_then_learn, suggest, with_dense,
};
use crate::splitter::Suggestion;
use crate::stats::ClassDist;

/// Hyper-parameters of [`ExtremelyFastDecisionTreeClassifier`] (River's names and defaults;
/// the tree's own are the Hoeffding tree's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "efdt",
    summary = "extremely fast decision tree (EFDT / Hoeffding anytime tree): splits once a split beats not splitting, and revisits its splits (River's ExtremelyFastDecisionTreeClassifier)",
    row_loop_fit
)]
pub struct ExtremelyFastDecisionTreeClassifierParams {
    /// Weight a branch sees between re-evaluations of its split.
    #[param(default = 20, ge = 1)]
    pub min_samples_reevaluate: usize,
    /// The Hoeffding tree's parameters (merit_preprune and remove_poor_attrs do not apply).
    #[param(flatten, default = HoeffdingTreeClassifierParams::default())]
    pub tree: HoeffdingTreeClassifierParams,
}

impl Build for ExtremelyFastDecisionTreeClassifierParams {
    type Model = ExtremelyFastDecisionTreeClassifier;
    fn build(&self) -> Result<ExtremelyFastDecisionTreeClassifier> {
        self.validate()?;
        Ok(ExtremelyFastDecisionTreeClassifier {
            params: self.clone(),
            tree: Box::new(self.tree.build()?),
            inner: Vec::new(),
            detached: false,
        })
    }
}

impl Fit for ExtremelyFastDecisionTreeClassifierParams {
    type Model = ExtremelyFastDecisionTreeClassifier;
    /// One pass over the rows in order (so `fit` then `learn_one` continues the same tree).
    fn fit(&self, data: &Dataset) -> Result<ExtremelyFastDecisionTreeClassifier> {
        let mut m = self.build()?;
        m.set_nominal_features(&data.schema.nominal_indices());
        learn_dataset(&mut m, data)?;
        Ok(m)
    }
}

/// What a re-evaluation decided for the row's way down.
enum Reevaluation {
    /// The row stops at this branch.
    Stop,
    /// The branch was rebuilt on a better threshold; the row goes on by the old one.
    Rebuilt,
    /// Nothing changed.
    Go,
}

/// What a branch of the EFDT keeps learning: the class weights and feature observers of the
/// leaf it was, and the weight at its last (re)building.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Inner {
    stats: ClassDist,
    obs: LeafObs,
    last_reevaluation_at: f64,
}

/// The extremely fast decision tree classifier (Manapragada et al., 2018), River's
/// `ExtremelyFastDecisionTreeClassifier` rule by rule.
///
/// Leaves learn as in the [Hoeffding tree](HoeffdingTreeClassifier), but a leaf splits on
/// its best split as soon as that split's merit beats not splitting (merit 0) by the
/// Hoeffding bound (or the bound falls below `tau`), without waiting for the best to beat
/// the second best. A branch keeps its leaf's class weights and observers and keeps
/// learning them; once it has seen `min_samples_reevaluate` weight since it was built, it
/// re-evaluates its split on every row that reaches it: when not splitting beats the best
/// split by the bound the branch becomes a leaf again (its subtree dropped), when another
/// feature's split beats the current one by the bound the subtree is replaced by a new split
/// on it, and when the current feature's best threshold does, the branch is rebuilt on that
/// threshold, keeping its children.
///
/// As in River, the weight since the last re-evaluation only restarts when the branch is
/// (re)built, so a branch past the threshold re-evaluates on every row; and the row that
/// rebuilds a branch goes on below it by the old threshold, through the old branch, so that
/// what splits, replacements and rebuilds below it make on that row is lost, as in River
/// (the tree's size management still runs for them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExtremelyFastDecisionTreeClassifier {
    params: ExtremelyFastDecisionTreeClassifierParams,
    tree: Box<HoeffdingTreeClassifier>,
    /// Per node of `tree`, by index: a branch's learning state.
    inner: Vec<Option<Inner>>,
    detached: bool,
}

impl ExtremelyFastDecisionTreeClassifier {
    /// An empty tree with default parameters.
    pub fn new() -> Self {
        ExtremelyFastDecisionTreeClassifierParams::default()
            .build()
            .expect("default parameters are valid")
    }

    /// The hyper-parameters.
    pub fn params(&self) -> &ExtremelyFastDecisionTreeClassifierParams {
        &self.params
    }

    /// The nodes below the root.
    fn reachable(&self) -> Vec<usize> {
        let mut out = Vec::new();
        if self.tree.nodes.is_empty() {
            return out;
        }
        let mut stack = vec![self.tree.root];
        while let Some(i) = stack.pop() {
            out.push(i);
            if let Node::Branch(b) = &self.tree.nodes[i] {
                stack.extend(b.children.iter().rev());
            }
        }
        out
    }

    /// The number of nodes, branches and leaves.
    pub fn n_nodes(&self) -> usize {
        self.reachable().len()
    }

    /// The number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.reachable()
            .into_iter()
            .filter(|&i| matches!(self.tree.nodes[i], Node::Leaf(_)))
            .count()
    }

    /// The depth of the deepest leaf.
    pub fn depth(&self) -> usize {
        self.reachable()
            .into_iter()
            .filter_map(|i| match &self.tree.nodes[i] {
                Node::Leaf(l) => Some(l.depth),
                Node::Branch(_) => None,
            })
            .max()
            .unwrap_or(0)
    }

    fn nb(&self) -> bool {
        self.tree.params.leaf_prediction != LeafPrediction::MajorityClass
    }

    fn learn_dense(&mut self, x: &[f64], id: usize, w: f64) {
        self.tree.weight_seen += w;
        if self.tree.nodes.is_empty() {
            self.tree
                .nodes
                .push(Node::Leaf(Box::new(Leaf::new(ClassDist::default(), 0))));
            self.tree.root = 0;
            self.tree.growth.n_active = 1;
        }
        // The leaf learns the row (its NBA scores, weights and observers) ...
        if let Some(leaf) = self.tree.leaf_index_of(x) {
            self.tree.learn_at(leaf, x, id, w, None, None);
        }
        // ... then the path from the root: branches learn and re-evaluate, the leaf tries
        // to split.
        let mut i = self.tree.root;
        // River rebuilds a branch as a new object and goes on down through the old one, so
        // below a branch rebuilt on this row, the new nodes of splits and replacements are
        // put in the old branch and lost (their other effects stay): `frozen`.
        let mut frozen = false;
        loop {
            match &self.tree.nodes[i] {
                Node::Branch(b) => {
                    // The child the row goes to, by the test as it stands before any rebuild.
                    let slot = b.slot(x[b.feature]).unwrap_or_else(|| {
                        let c = self.tree.heaviest_child(b);
                        b.children.iter().position(|&k| k == c).unwrap_or(0)
                    });
                    let nb = self.nb();
                    let min = self.params.min_samples_reevaluate as f64;
                    let inner = self.inner[i].as_mut().expect("a branch's state");
                    inner.stats.add(id, w);
                    let class_w = inner.stats.get(id).unwrap_or(0.0);
                    if inner.obs.watch.is_empty() {
                        inner.obs.start(&self.tree.nominal, &self.tree.params);
                    }
                    inner.obs.update(x, id, w, nb, class_w);
                    let due = inner.stats.total() - inner.last_reevaluation_at >= min;
                    if due {
                        match self.reevaluate(i, frozen) {
                            Reevaluation::Stop => break,
                            Reevaluation::Rebuilt => frozen = true,
                            Reevaluation::Go => {}
                        }
                    }
                    let Node::Branch(b) = &self.tree.nodes[i] else {
                        unreachable!("a branch")
                    };
                    i = b.children[slot];
                }
                Node::Leaf(leaf) => {
                    if !self.tree.growth.growth_allowed || !leaf.is_active() {
                        break;
                    }
                    let max_depth = self.tree.params.max_depth.unwrap_or(usize::MAX);
                    let seen = leaf.stats.total();
                    if leaf.depth >= max_depth {
                        if let Node::Leaf(l) = &mut self.tree.nodes[i] {
                            l.obs = None;
                        }
                        self.tree.growth.n_active = self.tree.growth.n_active.saturating_sub(1);
                        self.tree.growth.n_inactive = self.tree.growth.n_inactive.saturating_add(1);
                    } else if seen - leaf.last_split_attempt_at
                        >= self.tree.params.grace_period as f64
                    {
                        self.attempt_split(i, frozen);
                        if let Node::Leaf(l) = &mut self.tree.nodes[i] {
                            l.last_split_attempt_at = seen;
                        }
                    }
                    break;
                }
            }
        }
        if self.tree.weight_seen >= self.tree.params.memory_estimate_period as f64 {
            self.tree.maybe_estimate_size();
        }
        if self.detached {
            self.reclaim();
        }
    }

    /// The suggestions of node `i`'s observers for its class weights, sorted by merit
    /// (stable: among equals the later feature counts as the better).
    fn ranked(&self, stats: &ClassDist, obs: &LeafObs) -> Vec<Suggestion> {
        let mut s = Vec::new();
        suggest(
            &self.tree.params,
            self.tree.binary_ids(),
            stats,
            obs,
            &mut s,
        );
        s.sort_by(|a, b| {
            a.merit
                .partial_cmp(&b.merit)
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        s
    }

    /// EFDT's split attempt at leaf `i`: the best split against not splitting. A split made
    /// while `frozen` is lost (River puts it in a replaced branch), the rest stays.
    fn attempt_split(&mut self, i: usize, frozen: bool) {
        let p = &self.tree.params;
        let Node::Leaf(leaf) = &self.tree.nodes[i] else {
            return;
        };
        if leaf.stats.is_pure() {
            return;
        }
        let total = leaf.stats.total();
        let majority = leaf.stats.max_weight();
        let mut s = if majority > 0.0 && majority / total > p.max_share_to_split {
            vec![Suggestion::null()]
        } else {
            match &leaf.obs {
                Some(obs) => self.ranked(&leaf.stats, obs),
                None => Vec::new(),
            }
        };
        let Some(best) = s.pop() else {
            return;
        };
        let bound = hoeffding_bound(p.split_criterion.range(&leaf.stats), p.delta, total);
        match (best.feature, best.test) {
            (None, _) | (_, None) => {
                if let Node::Leaf(l) = &mut self.tree.nodes[i] {
                    l.obs = None;
                }
                self.tree.growth.n_active = self.tree.growth.n_active.saturating_sub(1);
                self.tree.growth.n_inactive = self.tree.growth.n_inactive.saturating_add(1);
            }
            (Some(feature), Some(test)) => {
                if (best.merit > bound || bound < p.tau) && frozen {
                    let k = best.children.len();
                    self.tree.growth.n_active = self.tree.growth.n_active + k - 1;
                    self.tree.enforce_size_limit();
                } else if best.merit > bound || bound < p.tau {
                    let depth = leaf.depth;
                    let Node::Leaf(leaf) = std::mem::replace(
                        &mut self.tree.nodes[i],
                        Node::Leaf(Box::new(Leaf::new(ClassDist::default(), 0))),
                    ) else {
                        unreachable!("a leaf")
                    };
                    let k = best.children.len();
                    self.tree
                        .install_branch(i, feature, test, best.children, depth);
                    self.sync();
                    self.inner[i] = Some(Inner {
                        last_reevaluation_at: leaf.stats.total(),
                        stats: leaf.stats,
                        obs: leaf.obs.unwrap_or_default(),
                    });
                    self.tree.growth.n_active = self.tree.growth.n_active + k - 1;
                    self.tree.enforce_size_limit();
                }
            }
        }
    }

    /// Re-evaluates branch `i`'s split: whether the row stops here (the branch was made a
    /// leaf or replaced, or no split is valid any more), or goes on, the branch rebuilt or
    /// not. While `frozen`, the new nodes are lost (see `learn_dense`) but the row stops as
    /// in River, whose size management still runs.
    fn reevaluate(&mut self, i: usize, frozen: bool) -> Reevaluation {
        let p = self.tree.params.clone();
        let inner = self.inner[i].as_ref().expect("a branch's state");
        if inner.stats.is_pure() {
            return Reevaluation::Go;
        }
        let s = self.ranked(&inner.stats, &inner.obs);
        let Some(best) = s.last() else {
            return Reevaluation::Go;
        };
        let Some(best_feature) = best.feature else {
            return Reevaluation::Stop;
        };
        let Node::Branch(b) = &self.tree.nodes[i] else {
            unreachable!("a branch")
        };
        let (feature, depth, n_children) = (b.feature, b.depth, b.children.len());
        let current = s.iter().find(|c| c.feature == Some(feature));
        let total = inner.stats.total();
        let bound = hoeffding_bound(p.split_criterion.range(&inner.stats), p.delta, total);
        if -best.merit > bound && frozen {
            self.tree.enforce_size_limit();
            return Reevaluation::Stop;
        }
        if -best.merit > bound {
            // Not splitting beats every split: the branch becomes a leaf again.
            let Inner { stats, obs, .. } = self.inner[i].take().expect("a branch's state");
            self.drop_subtree(i);
            let mut leaf = Leaf::new(stats, depth);
            leaf.last_split_attempt_at = 0.0;
            leaf.obs = Some(obs);
            self.tree.nodes[i] = Node::Leaf(Box::new(leaf));
            self.tree.growth.n_active += 1;
            self.tree.enforce_size_limit();
            return Reevaluation::Stop;
        }
        let Some(current) = current else {
            return Reevaluation::Go;
        };
        if !(best.merit - current.merit > bound || bound < p.tau) {
            return Reevaluation::Go;
        }
        if frozen {
            if best_feature != feature {
                self.tree.enforce_size_limit();
                return Reevaluation::Stop;
            }
            return Reevaluation::Rebuilt;
        }
        let best = s.into_iter().next_back().expect("a best suggestion");
        let test = best.test.expect("a split's test");
        // A nominal feature's multiway test that has seen new values since has more children
        // than the branch: its subtree is rebuilt as for another feature (keeping the old
        // children under the wider test sent a new value past the end of them).
        if best_feature != feature || best.children.len() != n_children {
            // Another split is better: a new subtree on it.
            self.drop_subtree(i);
            let k = best.children.len();
            self.tree
                .install_branch(i, best_feature, test, best.children, depth);
            self.sync();
            self.tree.growth.n_active += k;
            let inner = self.inner[i].as_mut().expect("a branch's state");
            inner.last_reevaluation_at = total;
            self.tree.enforce_size_limit();
            Reevaluation::Stop
        } else {
            // The same feature with a better threshold: rebuilt, children kept.
            if let Node::Branch(b) = &mut self.tree.nodes[i] {
                b.test = test;
            }
            let inner = self.inner[i].as_mut().expect("a branch's state");
            inner.last_reevaluation_at = total;
            Reevaluation::Rebuilt
        }
    }

    /// Takes the subtree below branch `i` out of the tree's leaf counts; its nodes become
    /// garbage (reclaimed later).
    fn drop_subtree(&mut self, i: usize) {
        let mut stack: Vec<usize> = match &self.tree.nodes[i] {
            Node::Branch(b) => b.children.clone(),
            Node::Leaf(_) => Vec::new(),
        };
        while let Some(j) = stack.pop() {
            match &self.tree.nodes[j] {
                Node::Branch(b) => {
                    self.inner[j] = None;
                    stack.extend(b.children.iter().copied());
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
        self.detached = true;
    }

    /// A state slot for every node the tree has made since.
    fn sync(&mut self) {
        while self.inner.len() < self.tree.nodes.len() {
            self.inner.push(None);
        }
    }

    /// Drops unreachable nodes once they make up half the storage.
    fn reclaim(&mut self) {
        self.detached = false;
        let live = self.reachable();
        if live.len() * 2 >= self.tree.nodes.len() {
            return;
        }
        self.tree.compact(&live);
        let mut old: Vec<Option<Inner>> = std::mem::take(&mut self.inner);
        self.inner = live.iter().map(|&i| old[i].take()).collect();
    }
}

impl CheckState for ExtremelyFastDecisionTreeClassifier {
    /// Parameters in range; the tree consistent (see [`HoeffdingTreeClassifier`]'s check;
    /// subtrees a re-evaluation dropped may remain stored, and the leaf counts are River's
    /// approximate ones); at most a branch state slot per node, every reachable branch with
    /// its state (re-evaluation reads it) and no reachable leaf with one; each state's class
    /// weights and observers consistent for the tree's classes and features.
    fn check_state(&self) -> StateResult {
        crate::check_params(&self.params)?;
        let reached = self.tree.check_parts(|_| None, false)?;
        let nodes = &self.tree.nodes;
        // Slots are added when a branch is made, so leaves made since may have none.
        ensure(self.inner.len() <= nodes.len(), || {
            format!(
                "inner: {} branch states for {} nodes",
                self.inner.len(),
                nodes.len()
            )
        })?;
        let (dim, k) = (self.tree.dim.unwrap_or(0), self.tree.labels.len());
        for (i, node) in nodes.iter().enumerate() {
            let inner = self.inner.get(i).and_then(Option::as_ref);
            let is_branch = matches!(node, Node::Branch(_));
            if reached[i] {
                ensure(is_branch == inner.is_some(), || {
                    format!(
                        "inner[{i}]: {} for a {}",
                        if inner.is_some() {
                            "a state"
                        } else {
                            "no state"
                        },
                        if is_branch { "branch" } else { "leaf" }
                    )
                })?;
            }
            if let Some(inner) = inner {
                within(format_args!("inner[{i}]"), inner.check(dim, k))?;
            }
        }
        Ok(())
    }
}

impl Inner {
    /// The class weights and observers consistent, the weight of the last re-evaluation
    /// finite and not negative.
    fn check(&self, dim: usize, n_classes: usize) -> StateResult {
        within("class weights", self.stats.check(n_classes))?;
        within("observers", self.obs.check(dim, n_classes))?;
        nonneg("last_reevaluation_at", self.last_reevaluation_at)
    }
}

impl Default for ExtremelyFastDecisionTreeClassifier {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for ExtremelyFastDecisionTreeClassifier {
    /// The tree as text (as the Hoeffding tree's).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.tree, f)
    }
}

impl Classifier for ExtremelyFastDecisionTreeClassifier {
    fn classes(&self) -> &ClassSet {
        &self.tree.classes
    }

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
        self.tree.predict_proba_into(x, out)
    }

    fn predict_one(&self, x: Row<'_>) -> Result<Option<Label>> {
        self.tree.predict_one(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{class_rows, refused};

    fn learned() -> ExtremelyFastDecisionTreeClassifier {
        let mut p = ExtremelyFastDecisionTreeClassifierParams::default();
        p.tree.grace_period = 30;
        p.tree.delta = 0.05;
        p.min_samples_reevaluate = 20;
        let mut m = p.build().unwrap();
        // Numeric features (nominal ones: `multiway_splits_on_nominal_features_survive_...`).
        for (i, (x, y)) in class_rows(3000).iter().enumerate() {
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

    #[test]
    fn multiway_splits_on_nominal_features_survive_reevaluation() {
        // Agrawal's elevel, car and zipcode as nominal features: their multiway tests gain
        // values between re-evaluations (a new value once indexed past the children).
        for function in [1, 2, 5] {
            let mut p = ExtremelyFastDecisionTreeClassifierParams::default();
            p.tree.grace_period = 30;
            p.tree.delta = 0.05;
            p.tree.nominal_attributes = Some(vec![3, 4, 5]);
            p.min_samples_reevaluate = 20;
            let mut m = p.build().unwrap();
            let mut g = tidewater_datasets::synth::from_spec(&format!(
                "agrawal(classification_function={function},seed=11)"
            ))
            .unwrap();
            let mut x = vec![0.0; g.n_features()];
            for i in 0..4000 {
                let s = g.next_into(&mut x).unwrap();
                let y = Label::Num(if i < 2000 { s.target } else { 1.0 - s.target });
                m.learn_one(Row::Dense(&x), &y, None).unwrap();
                m.predict_one(Row::Dense(&x)).unwrap();
            }
            m.check_state().unwrap();
        }
    }

    #[test]
    fn a_learned_tree_passes_and_corrupted_ones_are_refused_naming_the_part() {
        let m = learned();
        let b = m.tree.root;
        assert!(matches!(m.tree.nodes[b], Node::Branch(_)));
        // A reachable branch without the state its re-evaluation reads.
        let mut bad = m.clone();
        bad.inner[b] = None;
        refused(
            bad.check_state(),
            &format!("inner[{b}]: no state for a branch"),
        );
        // More state slots than nodes.
        let mut bad = m.clone();
        bad.inner.extend([None, None]);
        refused(bad.check_state(), "inner: ");
        // A state whose class weights are wider than the classes.
        let mut bad = m.clone();
        bad.inner[b].as_mut().unwrap().stats.add(5, 1.0);
        refused(bad.check_state(), &format!("inner[{b}]: class weights"));
        // A child link back to the root.
        let mut bad = m.clone();
        let root = bad.tree.root;
        if let Node::Branch(br) = &mut bad.tree.nodes[root] {
            br.set_child(0, root);
        }
        refused(bad.check_state(), "reached twice");
        // The parameter of its own, out of range.
        let mut bad = m.clone();
        bad.params.min_samples_reevaluate = 0;
        refused(bad.check_state(), "`min_samples_reevaluate`");
    }
}
