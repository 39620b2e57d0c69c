//! Attribute observers of the regression trees: per feature, what a leaf knows of the target
//! by the feature's values, and the split it suggests by variance reduction. Numeric features
//! are watched by an extended binary search tree (E-BST, Ikonomovska et al., 2011), optionally
//! over values rounded to a few decimals (TE-BST); nominal ones by a variance per value.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, all_finite, ensure, finite, within};

use crate::splitter::{Suggestion, Test};
use crate::stats::Var;

/// The variance reduction of splitting `pre` into `post` (River's
/// `VarianceReductionSplitCriterion`): `var(pre) - sum n_i / n var(post_i)`, and 0 (not
/// `-inf`) when a branch has less than `min_samples_split` weight.
#[inline]
pub(crate) fn variance_reduction(pre: &Var, post: &[Var], min_samples_split: f64) -> f64 {
    if post.iter().any(|p| p.n < min_samples_split) {
        return 0.0;
    }
    let n = pre.n;
    let mut vr = pre.get();
    for p in post {
        vr -= p.n / n * p.get();
    }
    vr
}

/// `x` rounded to `digits` decimals as Python's `round(x, digits)` rounds it: the exact
/// binary value rounded to the nearest decimal (half to even on an exact tie), then the
/// nearest double. Done by formatting with that precision (Rust formats the exact value,
/// ties to even) into a buffer on the stack and reading it back, so nothing is allocated.
/// Integers are their own rounding; `digits` is at most 15.
#[inline]
pub(crate) fn round_decimal(x: f64, digits: usize) -> f64 {
    if x.fract() == 0.0 || !x.is_finite() {
        return x;
    }
    let mut buf = StackText::default();
    if write!(buf, "{x:.digits$}").is_err() {
        return x;
    }
    buf.as_str().parse().unwrap_or(x)
}

/// A short text on the stack (a non-integer `f64` has at most 16 digits before the point).
struct StackText {
    bytes: [u8; 48],
    len: usize,
}

impl Default for StackText {
    fn default() -> Self {
        StackText {
            bytes: [0; 48],
            len: 0,
        }
    }
}

impl StackText {
    fn as_str(&self) -> &str {
        // Only whole `&str`s are written in.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > self.bytes.len() {
            return Err(std::fmt::Error);
        }
        self.bytes[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// No node (the end of a branch of the search tree, or of the free list).
const NIL: u32 = u32::MAX;

/// A node of the search tree: a value, and the target statistics of that value and of every
/// smaller value that passed through the node on its way down (its left subtree's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct BstNode {
    value: f64,
    stats: Var,
    left: u32,
    right: u32,
}

/// River's `EBSTSplitter`: a plain (unbalanced) binary search tree of the values seen, each
/// node keeping the target statistics of the values at or below it that passed through it.
/// Split candidates are its values, evaluated in order by an in-order walk that carries the
/// statistics of everything to the left; failed split attempts prune the candidates that
/// cannot win (`remove_bad_splits`).
///
/// The nodes live in one vector, linked by index; removed nodes go to a free list that new
/// values reuse, so a warm observer allocates only for a value it has not stored yet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Ebst {
    nodes: Vec<BstNode>,
    root: u32,
    /// Removed nodes, chained through `left`.
    free: u32,
}

impl Default for Ebst {
    fn default() -> Self {
        Ebst {
            nodes: Vec::new(),
            root: NIL,
            free: NIL,
        }
    }
}

/// A step of the in-order walk of [`Ebst::best_split`] (River's explicit stack).
#[derive(Clone, Copy)]
enum Step {
    Descend(u32),
    Process(u32),
    Add(u32),
    Sub(u32),
}

/// Where the post-order walk of [`Ebst::remove_bad_splits`] is at a node.
#[derive(Clone, Copy, PartialEq)]
enum Phase {
    Left,
    Right,
    Eval,
}

struct Frame {
    node: u32,
    parent: u32,
    is_left: bool,
    phase: Phase,
    /// Whether the node's statistics were added to the accumulator (to take them out).
    added: bool,
}

impl Ebst {
    fn alloc(&mut self, value: f64, y: f64, w: f64) -> u32 {
        let mut stats = Var::default();
        stats.update(y, w);
        let node = BstNode {
            value,
            stats,
            left: NIL,
            right: NIL,
        };
        if self.free != NIL {
            let i = self.free;
            self.free = self.nodes[i as usize].left;
            self.nodes[i as usize] = node;
            i
        } else {
            self.nodes.push(node);
            (self.nodes.len() - 1) as u32
        }
    }

    /// Learns target `y` with weight `w` at value `v`.
    #[inline]
    pub(crate) fn update(&mut self, v: f64, y: f64, w: f64) {
        if self.root == NIL {
            self.root = self.alloc(v, y, w);
            return;
        }
        let mut cur = self.root as usize;
        loop {
            let node = &mut self.nodes[cur];
            if v == node.value {
                node.stats.update(y, w);
                return;
            }
            let next = if v < node.value {
                node.stats.update(y, w);
                node.left
            } else {
                node.right
            };
            if next == NIL {
                let new = self.alloc(v, y, w);
                let node = &mut self.nodes[cur];
                if v < node.value {
                    node.left = new;
                } else {
                    node.right = new;
                }
                return;
            }
            cur = next as usize;
        }
    }

    /// The best threshold of the feature by variance reduction, the smallest on a tie
    /// (River's walk and its single running accumulator, whose additions and subtractions
    /// do not return it exactly to its old value).
    pub(crate) fn best_split(&self, pre: &Var, feature: usize, mss: f64) -> Suggestion<Var> {
        let mut best_merit = f64::NEG_INFINITY;
        let mut best: Option<(f64, Var, Var)> = None;
        if self.root != NIL {
            let mut aux = Var::default();
            let mut ops = vec![Step::Descend(self.root)];
            while let Some(op) = ops.pop() {
                match op {
                    Step::Descend(n) => {
                        let node = &self.nodes[n as usize];
                        if node.right != NIL {
                            ops.push(Step::Sub(n));
                            ops.push(Step::Descend(node.right));
                            ops.push(Step::Add(n));
                        }
                        ops.push(Step::Process(n));
                        if node.left != NIL {
                            ops.push(Step::Descend(node.left));
                        }
                    }
                    Step::Add(n) => aux.add(&self.nodes[n as usize].stats),
                    Step::Sub(n) => aux.sub(&self.nodes[n as usize].stats),
                    Step::Process(n) => {
                        let node = &self.nodes[n as usize];
                        let left = node.stats.plus(&aux);
                        let right = pre.minus(&left);
                        let merit = variance_reduction(pre, &[left, right], mss);
                        if merit > best_merit {
                            best_merit = merit;
                            best = Some((node.value, left, right));
                        }
                    }
                }
            }
        }
        match best {
            Some((value, left, right)) => Suggestion {
                merit: best_merit,
                feature: Some(feature),
                test: Some(Test::Le(value)),
                children: vec![left, right],
            },
            _ => Suggestion::null(),
        }
    }

    /// Prunes the candidates whose merit relative to the last attempt's best (`vr`) falls
    /// below `ratio - 2 e` (River's `remove_bad_splits`): a node goes only when both its
    /// subtrees are gone, and once the root goes, the whole tree does.
    pub(crate) fn remove_bad_splits(&mut self, pre: &Var, mss: f64, ratio: f64, vr: f64, e: f64) {
        if self.root == NIL {
            return;
        }
        let mut aux = Var::default();
        let mut stack = vec![Frame {
            node: self.root,
            parent: NIL,
            is_left: true,
            phase: Phase::Left,
            added: false,
        }];
        let mut child_is_bad = false;
        while let Some(frame) = stack.last_mut() {
            let n = frame.node as usize;
            match frame.phase {
                Phase::Left => {
                    frame.phase = Phase::Right;
                    let left = self.nodes[n].left;
                    if left != NIL {
                        stack.push(Frame {
                            node: left,
                            parent: n as u32,
                            is_left: true,
                            phase: Phase::Left,
                            added: false,
                        });
                    } else {
                        child_is_bad = true;
                    }
                }
                Phase::Right => {
                    if !child_is_bad {
                        stack.pop();
                        continue;
                    }
                    frame.phase = Phase::Eval;
                    let right = self.nodes[n].right;
                    if right != NIL {
                        aux.add(&self.nodes[n].stats);
                        frame.added = true;
                        stack.push(Frame {
                            node: right,
                            parent: n as u32,
                            is_left: false,
                            phase: Phase::Left,
                            added: false,
                        });
                    } else {
                        child_is_bad = true;
                    }
                }
                Phase::Eval => {
                    if frame.added {
                        aux.sub(&self.nodes[n].stats);
                    }
                    let (parent, is_left) = (frame.parent, frame.is_left);
                    stack.pop();
                    if child_is_bad {
                        let left = self.nodes[n].stats.plus(&aux);
                        let right = pre.minus(&left);
                        let merit = variance_reduction(pre, &[left, right], mss);
                        if merit / vr < ratio - 2.0 * e {
                            self.remove(n as u32, parent, is_left);
                            child_is_bad = true;
                            continue;
                        }
                    }
                    child_is_bad = false;
                }
            }
        }
    }

    /// Detaches node `n` (whose subtrees are gone) from its parent, and frees it.
    fn remove(&mut self, n: u32, parent: u32, is_left: bool) {
        if parent == NIL {
            // The root: the whole tree goes.
            self.nodes.clear();
            self.root = NIL;
            self.free = NIL;
            return;
        }
        let p = &mut self.nodes[parent as usize];
        if is_left {
            p.left = NIL;
        } else {
            p.right = NIL;
        }
        let node = &mut self.nodes[n as usize];
        node.right = NIL;
        node.left = self.free;
        self.free = n;
    }

    /// Candidate thresholds stored.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        let mut k = 0;
        let mut stack = Vec::new();
        if self.root != NIL {
            stack.push(self.root);
        }
        while let Some(n) = stack.pop() {
            k += 1;
            let node = &self.nodes[n as usize];
            for c in [node.left, node.right] {
                if c != NIL {
                    stack.push(c);
                }
            }
        }
        k
    }

    /// Approximate bytes held.
    pub(crate) fn bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.nodes.capacity() * std::mem::size_of::<BstNode>()
    }
}

impl CheckState for Ebst {
    /// Fewer nodes than the `u32` indices name; every node's value finite and statistics
    /// consistent; every child index in range; the nodes below the root a tree (each reached
    /// once: the walks descend until a missing child); the free list a chain of nodes in
    /// range, each once, none of them in the tree (a free node is overwritten when reused).
    /// Nodes in neither are allowed: a removed node's left subtree is dropped with it.
    fn check_state(&self) -> StateResult {
        let len = self.nodes.len();
        ensure(len < NIL as usize, || {
            format!("{len} nodes, more than u32 indices name")
        })?;
        let link = |what: &str, c: u32| -> StateResult {
            ensure(c == NIL || (c as usize) < len, || {
                format!("{what} {c} out of range (0..{len})")
            })
        };
        let node = |n: &BstNode| -> StateResult {
            finite("value", n.value)?;
            within("stats", n.stats.check_state())?;
            link("left child", n.left)?;
            link("right child", n.right)
        };
        for (i, n) in self.nodes.iter().enumerate() {
            within(format_args!("node {i}"), node(n))?;
        }
        link("root", self.root)?;
        link("free", self.free)?;
        let mut seen = vec![false; len];
        let mut stack: Vec<u32> = Vec::new();
        if self.root != NIL {
            stack.push(self.root);
        }
        while let Some(i) = stack.pop() {
            let i = i as usize;
            ensure(!std::mem::replace(&mut seen[i], true), || {
                format!("node {i}: reached twice from the root (a cycle or a shared node)")
            })?;
            let n = &self.nodes[i];
            stack.extend([n.left, n.right].into_iter().filter(|&c| c != NIL));
        }
        let mut f = self.free;
        while f != NIL {
            let i = f as usize;
            ensure(!std::mem::replace(&mut seen[i], true), || {
                format!("free node {i}: in the tree or met twice on the free list")
            })?;
            f = self.nodes[i].left;
        }
        Ok(())
    }
}

/// A nominal feature (category codes) in a regression tree: the target statistics of each
/// value (River's `NominalSplitterReg`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct NominalRegObserver {
    /// The values seen, sorted (`-0` is stored as `0`, the same key in River).
    values: Vec<f64>,
    /// The target statistics of each value, in `values` order.
    stats: Vec<Var>,
}

impl NominalRegObserver {
    /// Learns target `y` with weight `w` at value `v`.
    #[inline]
    pub(crate) fn update(&mut self, v: f64, y: f64, w: f64) {
        let v = v + 0.0;
        let k = match self.values.binary_search_by(|u| u.total_cmp(&v)) {
            Ok(k) => k,
            Err(k) => {
                self.values.insert(k, v);
                self.stats.insert(k, Var::default());
                k
            }
        };
        self.stats[k].update(y, w);
    }

    /// A loaded observer's check: the values finite, sorted and distinct (they are binary
    /// searched), one consistent target variance per value.
    pub(crate) fn check(&self) -> StateResult {
        all_finite("values", &self.values)?;
        for (k, w) in self.values.windows(2).enumerate() {
            ensure(w[0].total_cmp(&w[1]).is_lt(), || {
                format!("values: not increasing at positions {k} and {}", k + 1)
            })?;
        }
        ensure(self.stats.len() == self.values.len(), || {
            format!(
                "{} variances for {} values",
                self.stats.len(),
                self.values.len()
            )
        })?;
        for (k, v) in self.stats.iter().enumerate() {
            within(format_args!("value {k}"), v.check_state())?;
        }
        Ok(())
    }

    /// The best split of the feature: one branch per value (unless `binary_only`, and only
    /// with more than two values), or one value against the rest, whichever reduces the
    /// variance most (the first in value order on a tie).
    pub(crate) fn best_split(
        &self,
        pre: &Var,
        feature: usize,
        binary_only: bool,
        mss: f64,
    ) -> Suggestion<Var> {
        let mut best = Suggestion::null();
        if !binary_only && self.values.len() > 2 {
            best = Suggestion {
                merit: variance_reduction(pre, &self.stats, mss),
                feature: Some(feature),
                test: Some(Test::Multi(self.values.clone())),
                children: self.stats.clone(),
            };
        }
        for (k, &v) in self.values.iter().enumerate() {
            let rest = pre.minus(&self.stats[k]);
            let post = [self.stats[k], rest];
            let merit = variance_reduction(pre, &post, mss);
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

    /// Approximate bytes held.
    pub(crate) fn bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.values.capacity() * 8
            + self.stats.capacity() * std::mem::size_of::<Var>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_python_s() {
        // Python 3.11: round(x, d) for these (x, d).
        let cases = [
            (0.25, 1, 0.2),
            (0.35, 1, 0.3),
            (0.05, 1, 0.1),
            (2.675, 2, 2.67),
            (0.125, 2, 0.12),
            (0.375, 2, 0.38),
            (2.5, 0, 2.0),
            (3.5, 0, 4.0),
            (-0.04, 1, -0.0),
            (-1.25, 1, -1.2),
            (46.19925042857143, 1, 46.2),
            (1e-300, 3, 0.0),
            (123456789.987654, 1, 123456790.0),
            (736389.0, 1, 736389.0),
        ];
        for (x, d, want) in cases {
            let got = round_decimal(x, d);
            assert_eq!(got.to_bits(), f64::to_bits(want), "round({x}, {d}) = {got}");
        }
        let big = 2f64.powi(60) + 2048.0;
        assert_eq!(round_decimal(big, 15), big);
        assert_eq!(round_decimal(-4503599627370495.5, 15), -4503599627370495.5);
    }

    fn var(ys: &[f64]) -> Var {
        let mut v = Var::default();
        for &y in ys {
            v.update(y, 1.0);
        }
        v
    }

    #[test]
    fn the_best_threshold_separates_the_two_levels_of_the_target() {
        let mut t = Ebst::default();
        let mut pre = Var::default();
        for i in 0..40 {
            let x = (i * 7 % 40) as f64;
            let y = if x <= 12.0 { 1.0 } else { 5.0 } + 0.01 * (i % 3) as f64;
            t.update(x, y, 1.0);
            pre.update(y, 1.0);
        }
        assert_eq!(t.len(), 40);
        let s = t.best_split(&pre, 3, 5.0);
        assert_eq!(s.feature, Some(3));
        assert_eq!(s.test, Some(Test::Le(12.0)));
        assert_eq!(s.children[0].n + s.children[1].n, 40.0);
        assert!((s.children[0].mean - 1.01).abs() < 0.01, "{:?}", s.children);
        // Fewer than five rows on a side: merit 0, not -inf.
        let mut small = Ebst::default();
        small.update(1.0, 1.0, 1.0);
        assert_eq!(small.best_split(&var(&[1.0]), 0, 5.0).merit, 0.0);
        assert_eq!(
            Ebst::default().best_split(&pre, 0, 5.0).merit,
            f64::NEG_INFINITY
        );
    }

    #[test]
    fn bad_candidates_are_pruned_and_freed_nodes_are_reused() {
        let mut t = Ebst::default();
        let mut pre = Var::default();
        for i in 0..60 {
            let x = i as f64;
            let y = if x < 30.0 { 0.0 } else { 10.0 };
            t.update(x, y, 1.0);
            pre.update(y, 1.0);
        }
        let best = t.best_split(&pre, 0, 5.0);
        assert_eq!(best.test, Some(Test::Le(29.0)));
        // Values inserted in order make a chain to the right: only the far end can go.
        t.remove_bad_splits(&pre, 5.0, 0.9, best.merit, 0.05);
        let left = t.len();
        assert!(left < 60 && left > 29, "{left} nodes left");
        let stored = t.nodes.len();
        for i in 0..5 {
            t.update(100.0 + i as f64, 10.0, 1.0);
            pre.update(10.0, 1.0);
        }
        assert_eq!(t.nodes.len(), stored, "freed nodes are reused");
        // The best split is unchanged by the pruning.
        assert_eq!(t.best_split(&pre, 0, 5.0).test, Some(Test::Le(29.0)));
    }

    #[test]
    fn a_nominal_feature_splits_multiway_or_one_value_against_the_rest() {
        let mut o = NominalRegObserver::default();
        let mut pre = Var::default();
        for i in 0..60 {
            let code = (i % 3) as f64;
            let y = if code == 1.0 { 10.0 } else { code } + 0.1 * (i % 5) as f64;
            o.update(code, y, 1.0);
            pre.update(y, 1.0);
        }
        let multi = o.best_split(&pre, 2, false, 5.0);
        assert_eq!(multi.test, Some(Test::Multi(vec![0.0, 1.0, 2.0])));
        assert_eq!(multi.children.len(), 3);
        let binary = o.best_split(&pre, 2, true, 5.0);
        assert_eq!(binary.test, Some(Test::Eq(1.0)));
        assert!(binary.merit <= multi.merit);
    }

    #[test]
    fn corrupted_e_bsts_are_refused_naming_the_part() {
        let mut t = Ebst::default();
        let mut pre = Var::default();
        for i in 0..30 {
            let x = (i * 7 % 30) as f64;
            let y = if x < 10.0 { 1.0 } else { 4.0 } + 0.1 * (i % 4) as f64;
            t.update(x, y, 1.0);
            pre.update(y, 1.0);
        }
        t.check_state().unwrap();
        // Removing bad splits puts nodes on the free list; the tree still passes.
        let mut pruned = t.clone();
        pruned.remove_bad_splits(&pre, 5.0, 0.9, 1.0, 0.05);
        pruned.check_state().unwrap();
        // A child link back to the root: an update would loop.
        let mut bad = t.clone();
        let leaf = (0..bad.nodes.len())
            .find(|&i| bad.nodes[i].left == NIL && i as u32 != bad.root)
            .unwrap();
        bad.nodes[leaf].left = bad.root;
        assert!(bad.check_state().unwrap_err().contains("reached twice"));
        // A child past the nodes.
        let mut bad = t.clone();
        bad.nodes[leaf].right = 99;
        assert!(
            bad.check_state()
                .unwrap_err()
                .contains(&format!("node {leaf}: right child 99 out of range (0..30)"))
        );
        // A free list into the tree: the next node allocated would overwrite a live one.
        let mut bad = t.clone();
        bad.free = bad.root;
        assert!(bad.check_state().unwrap_err().contains("free node"));
        // Statistics that are not numbers.
        let mut bad = t.clone();
        bad.nodes[3].stats.s = f64::NAN;
        assert!(bad.check_state().unwrap_err().contains("node 3: stats: s"));

        let mut o = NominalRegObserver::default();
        for v in [2.0, 0.0, 1.0] {
            o.update(v, v * 2.0, 1.0);
        }
        o.check().unwrap();
        let mut bad = o.clone();
        bad.values[0] = f64::INFINITY;
        assert!(bad.check().unwrap_err().contains("values[0]"));
        let mut bad = o.clone();
        bad.stats.pop();
        assert!(
            bad.check()
                .unwrap_err()
                .contains("2 variances for 3 values")
        );
    }
}
