//! What every Hoeffding tree of the crate shares, whatever its leaves learn: the arena of
//! nodes and its branches, the most common path, River's memory management (Kirkby's leaf
//! deactivation) and the text rendering of the tests.

use std::fmt;

use serde::{Deserialize, Serialize};
use tidewater_core::Structure;
use tidewater_core::check::{StateResult, ensure, index, nonneg, within};

use crate::splitter::Test;

/// A node of a tree: a leaf that learns, or a branch that routes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum Node<L> {
    Leaf(Box<L>),
    Branch(Branch),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "SavedBranch")]
pub(crate) struct Branch {
    pub(crate) feature: usize,
    pub(crate) test: Test,
    /// Node indices, in the test's child order.
    pub(crate) children: Vec<usize>,
    /// The first two children, for a binary test (read without the vector on the way down).
    pub(crate) pair: [usize; 2],
    pub(crate) depth: usize,
    /// `pair[1] - pair[0]` (wrapping), derived from `pair` (not saved): a binary test goes
    /// to `pair[0] + outcome * step`. The sum reads nothing that waits on the outcome, so on
    /// the way down the next node waits on the comparison alone; picking between the two
    /// children of `pair` instead compiles to a load indexed by the outcome, one more load
    /// on every level's path (the Hoeffding tree's two-call loop runs 11 % faster on
    /// `sea_1m` and `agrawal_1m` with the sum).
    #[serde(skip_serializing)]
    step: usize,
}

/// A branch as saved: [`Branch`] without what it derives.
#[derive(Deserialize)]
struct SavedBranch {
    feature: usize,
    test: Test,
    children: Vec<usize>,
    pair: [usize; 2],
    depth: usize,
}

impl From<SavedBranch> for Branch {
    fn from(b: SavedBranch) -> Self {
        Branch {
            feature: b.feature,
            test: b.test,
            children: b.children,
            pair: b.pair,
            depth: b.depth,
            step: step_of(b.pair),
        }
    }
}

/// A binary branch's `step` for its `pair`.
fn step_of(pair: [usize; 2]) -> usize {
    pair[1].wrapping_sub(pair[0])
}

impl Branch {
    /// A branch testing `feature` whose `k` children are the nodes from `first` on (in the
    /// test's order).
    pub(crate) fn new(feature: usize, test: Test, first: usize, k: usize, depth: usize) -> Self {
        Branch {
            feature,
            test,
            children: (first..first + k).collect(),
            pair: [first, first + 1],
            depth,
            step: step_of([first, first + 1]),
        }
    }

    /// The child a value goes to; `None` for a nominal value the multiway test has no child
    /// for yet.
    #[inline]
    pub(crate) fn child(&self, v: f64) -> Option<usize> {
        match &self.test {
            Test::Le(t) => Some(self.binary_child(v > *t)),
            Test::Eq(e) => Some(self.binary_child(v != *e)),
            Test::Multi(values) => {
                let k = values.iter().position(|&u| u == v)?;
                Some(self.children[k])
            }
        }
    }

    /// `pair[1]` when `second`, else `pair[0]` (see `step`).
    #[inline(always)]
    fn binary_child(&self, second: bool) -> usize {
        self.pair[0].wrapping_add(usize::from(second).wrapping_mul(self.step))
    }

    /// The position among the children of the child a value goes to; `None` for a nominal
    /// value the multiway test has no child for yet.
    pub(crate) fn slot(&self, v: f64) -> Option<usize> {
        match &self.test {
            Test::Le(t) => Some(usize::from(v > *t)),
            Test::Eq(e) => Some(usize::from(v != *e)),
            Test::Multi(values) => values.iter().position(|&u| u == v),
        }
    }

    /// Makes node `node` the branch's child `k`.
    pub(crate) fn set_child(&mut self, k: usize, node: usize) {
        self.children[k] = node;
        if k < 2 {
            self.set_pair(k, node);
        }
    }

    /// Appends a child (a multiway test's new value).
    pub(crate) fn push_child(&mut self, node: usize) {
        if self.children.len() < 2 {
            self.set_pair(self.children.len(), node);
        }
        self.children.push(node);
    }

    /// Makes node `node` the `k`-th of `pair` (`k` < 2), and `step` with it.
    fn set_pair(&mut self, k: usize, node: usize) {
        self.pair[k] = node;
        self.step = step_of(self.pair);
    }
}

impl Branch {
    /// A loaded branch's check in an arena of `len` nodes, for rows of `dim` features (none
    /// before the first row): its feature among them, its test consistent with its children
    /// (see [`Test::check`]), every child in range, and the first two children repeated in
    /// `pair` (what a binary test reads).
    fn check(&self, len: usize, dim: Option<usize>) -> StateResult {
        let d = dim.ok_or_else(|| "a branch in a tree that has seen no row".to_string())?;
        index("feature", self.feature, d)?;
        self.test.check(self.children.len())?;
        for &c in &self.children {
            ensure(c < len, || format!("child {c} out of range (0..{len})"))?;
        }
        for (k, (&p, &c)) in self.pair.iter().zip(&self.children).enumerate() {
            ensure(p == c, || {
                format!("pair[{k}]: node {p}, where child {k} is node {c}")
            })?;
        }
        Ok(())
    }
}

/// The deepest an online tree's node may be. Predicting and learning walk some paths by
/// recursion ([`weight_below`]; the adaptive trees learn a row by recursion, about 1.4 KiB
/// of stack a level in an unoptimised build), so a loaded tree deeper than this is refused
/// rather than overflow a 2 MiB thread stack (a test's, a rayon worker's); a tree learned
/// from a stream is far shallower (each level costs a grace period of weight).
pub(crate) const MAX_DEPTH: usize = 512;

/// A loaded arena's check (shared by the online trees): `root` in range (0 for an empty
/// arena); every branch consistent ([`Branch::check`]), reachable or not; and from the root,
/// following the children and, when `alternate` names one for a node, its alternate
/// subtree, every node reached at most once (no cycle, no shared node), at a depth its
/// `depth` field says (`leaf_depth` reads a leaf's): a child one deeper than its parent, an
/// alternate as deep as its owner, none deeper than [`MAX_DEPTH`]. The walk keeps its own
/// stack, so a hostile deep tree cannot overflow the thread's.
///
/// Returns whether each node was reached (nodes cut loose by an adaptive tree may remain).
pub(crate) fn check_arena<L>(
    nodes: &[Node<L>],
    root: usize,
    dim: Option<usize>,
    leaf_depth: impl Fn(&L) -> usize,
    alternate: impl Fn(usize) -> Option<usize>,
) -> Result<Vec<bool>, String> {
    let len = nodes.len();
    if len == 0 {
        ensure(root == 0, || format!("root: node {root} of an empty tree"))?;
        return Ok(Vec::new());
    }
    index("root", root, len)?;
    for (i, node) in nodes.iter().enumerate() {
        if let Node::Branch(b) = node {
            within(format_args!("node {i}"), b.check(len, dim))?;
        }
    }
    let mut reached = vec![false; len];
    let mut stack = vec![(root, 0usize)];
    while let Some((i, depth)) = stack.pop() {
        ensure(!std::mem::replace(&mut reached[i], true), || {
            format!("node {i}: reached twice from the root (a cycle or a shared node)")
        })?;
        ensure(depth <= MAX_DEPTH, || {
            format!("node {i}: deeper than the {MAX_DEPTH} levels a loaded tree may have")
        })?;
        let stored = match &nodes[i] {
            Node::Leaf(l) => leaf_depth(l),
            Node::Branch(b) => b.depth,
        };
        ensure(stored == depth, || {
            format!("node {i}: depth {stored}, where its place in the tree is at depth {depth}")
        })?;
        if let Some(a) = alternate(i) {
            ensure(a < len, || {
                format!("node {i}: alternate {a} out of range (0..{len})")
            })?;
            stack.push((a, depth));
        }
        if let Node::Branch(b) = &nodes[i] {
            stack.extend(b.children.iter().map(|&c| (c, depth + 1)));
        }
    }
    Ok(reached)
}

/// The alternates of a loaded adaptive tree (`alternates[i]`, node `i`'s), shared by the
/// classifier and the regressor: each in range, and, for the nodes `reached` from the root,
/// only under a branch and only a leaf (an alternate that splits takes its owner's place at
/// once, and prediction reads an alternate as a leaf).
pub(crate) fn check_alternates<L>(
    nodes: &[Node<L>],
    alternates: &[Option<usize>],
    reached: &[bool],
) -> StateResult {
    for (i, a) in alternates.iter().enumerate() {
        let Some(a) = *a else { continue };
        ensure(a < nodes.len(), || {
            format!("node {i}: alternate {a} out of range (0..{})", nodes.len())
        })?;
        if !reached[i] {
            continue;
        }
        ensure(matches!(nodes[i], Node::Branch(_)), || {
            format!("node {i}: an alternate under a leaf")
        })?;
        ensure(matches!(nodes[a], Node::Leaf(_)), || {
            format!("node {i}: alternate {a} is a branch (a growing alternate replaces its owner)")
        })?;
    }
    Ok(())
}

/// What the shared mechanics need of a leaf.
pub(crate) trait GrowingLeaf {
    fn depth(&self) -> usize;
    /// The weight the leaf has seen (what the most common path compares).
    fn weight(&self) -> f64;
    fn is_active(&self) -> bool;
    /// Starts learning splits again, with fresh observers.
    fn activate(&mut self);
    /// Stops learning splits (the leaf keeps predicting).
    fn deactivate(&mut self);
    /// How likely the leaf is to split (the least promising are deactivated first).
    fn promise(&self) -> f64;
    /// Approximate bytes held.
    fn bytes(&self) -> usize;
}

/// Gives branch `b`'s multiway test a child `leaf` for the new value `v`; returns its
/// position among the children.
pub(crate) fn add_value<L>(nodes: &mut [Node<L>], b: usize, v: f64, leaf: usize) -> usize {
    let Node::Branch(b) = &mut nodes[b] else {
        unreachable!("a branch")
    };
    if let Test::Multi(values) = &mut b.test {
        values.push(v);
    }
    b.push_child(leaf);
    b.children.len() - 1
}

/// The child of `b` with the most weight below it (the first on a tie: River's most common
/// path, which for a binary test takes the right child only when it is strictly heavier).
pub(crate) fn heaviest_child<L: GrowingLeaf>(nodes: &[Node<L>], b: &Branch) -> usize {
    let mut best = (b.children[0], f64::NEG_INFINITY);
    for &c in &b.children {
        let w = weight_below(nodes, c);
        if w > best.1 {
            best = (c, w);
        }
    }
    best.0
}

/// The weight of the leaves below node `i` (summed in child order, as River's branches).
pub(crate) fn weight_below<L: GrowingLeaf>(nodes: &[Node<L>], i: usize) -> f64 {
    match &nodes[i] {
        Node::Leaf(l) => l.weight(),
        Node::Branch(b) => b.children.iter().map(|&c| weight_below(nodes, c)).sum(),
    }
}

/// The index of the leaf `x` reaches from `root` (a nominal value without a child takes the
/// heaviest child); `None` for an empty tree.
#[inline]
pub(crate) fn leaf_index_of<L: GrowingLeaf>(
    nodes: &[Node<L>],
    root: usize,
    x: &[f64],
) -> Option<usize> {
    leaf_index_exact(nodes, root, x).map(|(i, _)| i)
}

/// [`leaf_index_of`], and whether every branch on the way had a child for the row's value
/// (then learning the row reaches the same leaf, and adds none).
#[inline]
pub(crate) fn leaf_index_exact<L: GrowingLeaf>(
    nodes: &[Node<L>],
    root: usize,
    x: &[f64],
) -> Option<(usize, bool)> {
    let mut i = root;
    let mut exact = true;
    loop {
        match nodes.get(i)? {
            Node::Leaf(_) => return Some((i, exact)),
            Node::Branch(b) => {
                i = match b.child(x[b.feature]) {
                    Some(c) => c,
                    None => {
                        exact = false;
                        heaviest_child(nodes, b)
                    }
                }
            }
        }
    }
}

/// The leaves below `root`, in depth-first order (children in their order).
pub(crate) fn leaf_indices<L>(nodes: &[Node<L>], root: usize) -> Vec<usize> {
    let mut out = Vec::new();
    if nodes.is_empty() {
        return out;
    }
    let mut stack = vec![root];
    while let Some(i) = stack.pop() {
        match &nodes[i] {
            Node::Leaf(_) => out.push(i),
            Node::Branch(b) => stack.extend(b.children.iter().rev()),
        }
    }
    out
}

/// The limits memory management works within.
pub(crate) struct Limits {
    /// `max_size` in bytes.
    pub(crate) max_bytes: f64,
    /// The depth below which a leaf may be re-activated.
    pub(crate) max_depth: usize,
    pub(crate) stop_mem_management: bool,
}

impl Limits {
    /// The limits of `max_size` MiB and an optional depth limit.
    pub(crate) fn new(max_size: f64, max_depth: Option<usize>, stop_mem_management: bool) -> Self {
        Limits {
            max_bytes: max_size * (1u64 << 20) as f64,
            max_depth: max_depth.unwrap_or(usize::MAX),
            stop_mem_management,
        }
    }
}

/// The leaf counts and size estimates of River's memory management (after Kirkby, 2007).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Growth {
    pub(crate) n_active: usize,
    pub(crate) n_inactive: usize,
    pub(crate) active_leaf_bytes: f64,
    pub(crate) inactive_leaf_bytes: f64,
    pub(crate) overhead: f64,
    pub(crate) growth_allowed: bool,
}

impl Default for Growth {
    fn default() -> Self {
        Growth {
            n_active: 0,
            n_inactive: 0,
            active_leaf_bytes: 0.0,
            inactive_leaf_bytes: 0.0,
            overhead: 1.0,
            growth_allowed: true,
        }
    }
}

impl Growth {
    /// A loaded record's check: the sizes finite and not negative; with `leaves` (the
    /// active and inactive leaves of the arena, for a tree whose counts learning keeps
    /// exact), the counts those (memory management subtracts from them).
    pub(crate) fn check(&self, leaves: Option<(usize, usize)>) -> StateResult {
        nonneg("active_leaf_bytes", self.active_leaf_bytes)?;
        nonneg("inactive_leaf_bytes", self.inactive_leaf_bytes)?;
        nonneg("overhead", self.overhead)?;
        if let Some((active, inactive)) = leaves {
            ensure(self.n_active == active, || {
                format!(
                    "n_active: {} active leaves counted, {active} in the tree",
                    self.n_active
                )
            })?;
            ensure(self.n_inactive == inactive, || {
                format!(
                    "n_inactive: {} inactive leaves counted, {inactive} in the tree",
                    self.n_inactive
                )
            })?;
        }
        Ok(())
    }

    /// Leaf `leaf` stops learning splits (counted).
    pub(crate) fn deactivate<L: GrowingLeaf>(&mut self, leaf: &mut L) {
        leaf.deactivate();
        self.n_active = self.n_active.saturating_sub(1);
        self.n_inactive += 1;
    }

    /// Deactivates the least promising leaves beyond the size limit, and re-activates the
    /// others (River's `_enforce_size_limit`, its arithmetic included).
    pub(crate) fn enforce_size_limit<L: GrowingLeaf>(
        &mut self,
        nodes: &mut [Node<L>],
        root: usize,
        lim: &Limits,
    ) {
        let size = self.overhead
            * (self.active_leaf_bytes + self.n_inactive as f64 * self.inactive_leaf_bytes);
        if (self.n_inactive > 0 || size > lim.max_bytes) && lim.stop_mem_management {
            self.growth_allowed = false;
            return;
        }
        // The common case, cheaply: every leaf fits active (the estimate grows with the number
        // of active leaves, so all of them fitting means none is cut), and then only inactive
        // leaves change (they are re-activated), with no ranking needed.
        let n = self.n_active + self.n_inactive;
        let all_active = n as f64 * self.active_leaf_bytes * self.overhead;
        if self.active_leaf_bytes >= self.inactive_leaf_bytes && all_active <= lim.max_bytes {
            if self.n_inactive > 0 {
                self.reactivate_all(nodes, lim);
            }
            return;
        }
        let mut leaves = leaf_indices(nodes, root);
        let promise = |i: usize| match &nodes[i] {
            Node::Leaf(l) => l.promise(),
            Node::Branch(_) => 0.0,
        };
        leaves.sort_by(|&a, &b| {
            promise(a)
                .partial_cmp(&promise(b))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let n = leaves.len();
        let mut max_active = 0;
        while max_active < n {
            max_active += 1;
            let est = (max_active as f64 * self.active_leaf_bytes
                + (n - max_active) as f64 * self.inactive_leaf_bytes)
                * self.overhead;
            if est > lim.max_bytes {
                max_active -= 1;
                break;
            }
        }
        let cutoff = n - max_active;
        for (k, &i) in leaves.iter().enumerate() {
            let Node::Leaf(leaf) = &mut nodes[i] else {
                continue;
            };
            if k < cutoff {
                if leaf.is_active() {
                    self.deactivate(leaf.as_mut());
                }
            } else if !leaf.is_active() && leaf.depth() < lim.max_depth {
                leaf.activate();
                self.n_active += 1;
                self.n_inactive = self.n_inactive.saturating_sub(1);
            }
        }
    }

    /// Re-activates every inactive leaf above the depth limit (with fresh observers).
    fn reactivate_all<L: GrowingLeaf>(&mut self, nodes: &mut [Node<L>], lim: &Limits) {
        for node in nodes {
            if let Node::Leaf(leaf) = node
                && !leaf.is_active()
                && leaf.depth() < lim.max_depth
            {
                leaf.activate();
                self.n_active += 1;
                self.n_inactive = self.n_inactive.saturating_sub(1);
            }
        }
    }

    /// Estimates the leaves' sizes and the tree's (`base`: the bytes of the tree besides its
    /// leaves), and enforces the limit when the tree is beyond it (River's
    /// `_estimate_model_size`, with the tree's own byte counts).
    pub(crate) fn estimate_size<L: GrowingLeaf>(
        &mut self,
        nodes: &mut [Node<L>],
        root: usize,
        base: usize,
        lim: &Limits,
    ) {
        let (mut active, mut inactive) = (0usize, 0usize);
        for i in leaf_indices(nodes, root) {
            if let Node::Leaf(l) = &nodes[i] {
                if l.is_active() {
                    active += l.bytes();
                } else {
                    inactive += l.bytes();
                }
            }
        }
        if active > 0 && self.n_active > 0 {
            self.active_leaf_bytes = active as f64 / self.n_active as f64;
        }
        if inactive > 0 && self.n_inactive > 0 {
            self.inactive_leaf_bytes = inactive as f64 / self.n_inactive as f64;
        }
        let actual = (base + active + inactive) as f64;
        let estimated = self.n_active as f64 * self.active_leaf_bytes
            + self.n_inactive as f64 * self.inactive_leaf_bytes;
        if estimated > 0.0 {
            self.overhead = actual / estimated;
        }
        if actual > lim.max_bytes {
            self.enforce_size_limit(nodes, root, lim);
        }
    }
}

/// The words of child `k`'s test at branch `b`, feature `name` (`age <= 30.5`).
fn test_words(b: &Branch, k: usize, name: &str) -> String {
    match &b.test {
        Test::Le(t) if k == 0 => format!("{name} <= {t}"),
        Test::Le(t) => format!("{name} > {t}"),
        Test::Eq(v) if k == 0 => format!("{name} = {v}"),
        Test::Eq(v) => format!("{name} != {v}"),
        Test::Multi(values) => format!("{name} = {}", values[k]),
    }
}

/// A feature's name: `names[j]`, or `x<j>` when there is none.
fn name_of(names: &[String], j: usize) -> String {
    names.get(j).cloned().unwrap_or_else(|| format!("x{j}"))
}

/// The tree below `root` as text, a line per test and per leaf, children indented under
/// their test; features named from `names` (`x<j>` past its end), `leaf` giving a leaf's
/// words.
pub(crate) fn render<L>(
    nodes: &[Node<L>],
    root: usize,
    names: &[String],
    leaf: &dyn Fn(&L) -> String,
) -> String {
    use fmt::Write as _;
    let mut out = String::new();
    if nodes.is_empty() {
        out.push_str("(empty tree)\n");
        return out;
    }
    let mut stack = vec![(root, 0usize, None::<String>)];
    while let Some((i, depth, test)) = stack.pop() {
        let pad = "  ".repeat(depth);
        let depth = match test {
            Some(t) => {
                let _ = writeln!(out, "{pad}if {t}:");
                depth + 1
            }
            None => depth,
        };
        match &nodes[i] {
            Node::Leaf(l) => {
                let _ = writeln!(out, "{}leaf: {}", "  ".repeat(depth), leaf(l));
            }
            Node::Branch(b) => {
                let name = name_of(names, b.feature);
                for (k, &c) in b.children.iter().enumerate().rev() {
                    stack.push((c, depth, Some(test_words(b, k, &name))));
                }
            }
        }
    }
    out
}

/// The tree below `root` in Graphviz's dot language: a box per node (a branch's feature, a
/// leaf's words from `leaf`), each edge labelled with its test.
pub(crate) fn to_dot<L>(
    nodes: &[Node<L>],
    root: usize,
    names: &[String],
    leaf: &dyn Fn(&L) -> String,
) -> String {
    use fmt::Write as _;
    let esc = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let mut out = String::from("digraph tree {\n  node [shape=box, fontname=\"helvetica\"];\n");
    if nodes.is_empty() {
        out.push_str("}\n");
        return out;
    }
    let mut stack = vec![root];
    while let Some(i) = stack.pop() {
        match &nodes[i] {
            Node::Leaf(l) => {
                let _ = writeln!(out, "  {i} [label=\"{}\"];", esc(&leaf(l)));
            }
            Node::Branch(b) => {
                let name = name_of(names, b.feature);
                let _ = writeln!(out, "  {i} [label=\"{}\"];", esc(&name));
                for (k, &c) in b.children.iter().enumerate() {
                    let t = test_words(b, k, &name);
                    let _ = writeln!(out, "  {i} -> {c} [label=\"{}\"];", esc(&t));
                }
                stack.extend(b.children.iter().rev());
            }
        }
    }
    out.push_str("}\n");
    out
}

/// An adaptive forest as text: a line for the forest, then for each tree a heading
/// (`tree <i> (<what>):`, `what` given with the tree's text) and the tree indented.
pub(crate) fn forest_text(n: usize, trees: impl Iterator<Item = (String, String)>) -> String {
    use fmt::Write as _;
    let mut out = format!("adaptive random forest of {n} trees\n");
    for (i, (what, text)) in trees.enumerate() {
        let _ = writeln!(out, "tree {i} ({what}):");
        for line in text.lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    out
}

/// An adaptive forest's [`Structure`] from its trees' and the forest's `text`: the deepest
/// tree's depth, nodes and leaves summed, a dot graph per tree.
pub(crate) fn forest_structure(trees: Vec<Structure>, text: String) -> Structure {
    Structure {
        trees: trees.len(),
        depth: trees.iter().map(|t| t.depth).max().unwrap_or(0),
        n_nodes: trees.iter().map(|t| t.n_nodes).sum(),
        n_leaves: trees.iter().map(|t| t.n_leaves).sum(),
        feature_importances: None,
        dot: trees.into_iter().map(|t| t.dot).collect(),
        text,
    }
}

/// The nodes below `root` (each before its children, children in order) and, when
/// `alternate` names one for a node, the alternate's below it too.
pub(crate) fn reachable<L>(
    nodes: &[Node<L>],
    root: usize,
    alternate: impl Fn(usize) -> Option<usize>,
) -> Vec<usize> {
    let mut out = Vec::new();
    if nodes.is_empty() {
        return out;
    }
    let mut stack = vec![root];
    while let Some(i) = stack.pop() {
        out.push(i);
        if let Some(a) = alternate(i) {
            stack.push(a);
        }
        if let Node::Branch(b) = &nodes[i] {
            stack.extend(b.children.iter().rev());
        }
    }
    out
}

/// Keeps only nodes `live` (and their per-node state `side`, whose alternate link
/// `alternate` gives), renumbered in `live`'s order, when they are less than half of what is
/// stored: the subtrees an adaptive tree cut loose are dropped.
pub(crate) fn compact<L, A>(
    nodes: &mut Vec<Node<L>>,
    side: &mut Vec<A>,
    root: &mut usize,
    live: &[usize],
    alternate: impl Fn(&mut A) -> &mut Option<usize>,
) {
    if live.len() * 2 >= nodes.len() {
        return;
    }
    let mut map = vec![usize::MAX; nodes.len()];
    for (new, &old) in live.iter().enumerate() {
        map[old] = new;
    }
    let mut slots: Vec<Option<Node<L>>> = std::mem::take(nodes).into_iter().map(Some).collect();
    let mut old_side: Vec<Option<A>> = std::mem::take(side).into_iter().map(Some).collect();
    *nodes = Vec::with_capacity(live.len());
    *side = Vec::with_capacity(live.len());
    for &old in live {
        let mut node = slots[old].take().expect("each node once");
        if let Node::Branch(b) = &mut node {
            for k in 0..b.children.len() {
                let c = map[b.children[k]];
                b.set_child(k, c);
            }
        }
        let mut a = old_side[old].take().expect("each node once");
        let link = alternate(&mut a);
        *link = link.map(|x| map[x]);
        nodes.push(node);
        side.push(a);
    }
    *root = map[*root];
}
