//! The CART engine shared by the decision trees and the random forests: scikit-learn 1.9's
//! depth-first builder with its dense "best" splitter, step by step, so that a tree grown
//! here from the same rows, parameters and seed is scikit-learn's tree, node for node.
//!
//! What it takes from scikit-learn, and why each matters for equality:
//! - features are read as `f32` (scikit-learn casts `X` to float32), and a threshold is the
//!   `f64` midpoint `a/2 + b/2` of two neighbouring `f32` values;
//! - a node visits its features in the order its xorshift generator draws them (Fisher-Yates
//!   over the features not known to be constant), sorts its rows by each with the same
//!   introsort (whose order of equal values decides the order sums are taken in), and keeps a
//!   candidate only when its score is *strictly* greater than the best so far: among equally
//!   good splits the first one evaluated wins;
//! - the criteria do their sums in scikit-learn's order (forwards from the left, or backwards
//!   from the right end when that is shorter), so real-valued targets and weights round the
//!   same way.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use tidewater_core::check::{
    StateResult, all_finite, ensure, finite, index, nonneg, same_len, within,
};
use tidewater_core::error::Location;
use tidewater_core::spec::{ParamValue, Value};
use tidewater_core::{Dataset, Error, FeatureMatrix, FeatureVector, Result, Row};

use crate::sklearn_random::RandR;

/// A child index meaning "none": the node is a leaf.
pub(crate) const LEAF: usize = usize::MAX;
/// scikit-learn's `EPSILON`: a node this pure is a leaf; a split must improve by more.
const EPSILON: f64 = f64::EPSILON;
/// The most feature values a tree grows on (4 GiB of `f32`): beyond, `fit` says so rather
/// than exhausting memory (a sparse data set is grown on as its dense matrix).
const MAX_VALUES: usize = 1 << 30;
/// Two `f32` feature values closer than this are equal to the splitter.
const FEATURE_THRESHOLD: f32 = 1e-7;

/// How many features a node draws and evaluates (scikit-learn's `max_features`).
///
/// On the command line: `none` or `all` (every feature), `sqrt`, `log2`, a whole number
/// `>= 1` (that many features), or a fraction strictly between 0 and 1 (that share of the
/// features, rounded down, at least one). scikit-learn's float `1.0` (all features) is written
/// `none` or `all` here, since a spec's `1` and `1.0` are the same number and mean one feature.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum MaxFeatures {
    /// Every feature (scikit-learn's `None` or `1.0`).
    All,
    /// `max(1, floor(sqrt(d)))` of the `d` features.
    Sqrt,
    /// `max(1, floor(log2(d)))` of the `d` features.
    Log2,
    /// This many features (at least 1, at most `d`).
    Count(usize),
    /// `max(1, floor(f * d))` features, for a fraction `0 < f < 1`.
    Fraction(f64),
}

impl MaxFeatures {
    /// The number of features a node evaluates among `d` (scikit-learn's `max_features_`);
    /// an error naming the parameter when a count exceeds `d`.
    pub fn resolve(&self, d: usize) -> Result<usize> {
        let k = match *self {
            MaxFeatures::All => d,
            MaxFeatures::Sqrt => ((d as f64).sqrt() as usize).max(1),
            MaxFeatures::Log2 => ((d as f64).log2() as usize).max(1),
            MaxFeatures::Count(k) => {
                if k == 0 || k > d {
                    return Err(Error::param(
                        "max_features",
                        format!("{k} features asked of a data set with {d}"),
                    ));
                }
                k
            }
            MaxFeatures::Fraction(f) => ((f * d as f64) as usize).max(1),
        };
        Ok(k)
    }
}

impl MaxFeatures {
    /// A loaded value's check: a count at least 1, a fraction strictly between 0 and 1 (what
    /// the parameter's parser takes).
    pub(crate) fn check(&self) -> StateResult {
        match *self {
            MaxFeatures::Count(0) => Err("a count of 0 features".into()),
            MaxFeatures::Fraction(f) if !(f > 0.0 && f < 1.0) => {
                Err(format!("a fraction {f} not strictly between 0 and 1"))
            }
            _ => Ok(()),
        }
    }
}

impl MaxFeatures {
    /// The number of features among `d` by River's rules (its forests' `max_features`):
    /// `round(sqrt(d))`, `round(log2(d))`, a fraction truncated, clamped to 1 ..= `d`.
    pub fn resolve_river(&self, d: usize) -> usize {
        let k = match *self {
            MaxFeatures::All => d,
            MaxFeatures::Sqrt => (d as f64).sqrt().round() as usize,
            MaxFeatures::Log2 => (d as f64).log2().round() as usize,
            MaxFeatures::Count(k) => k,
            MaxFeatures::Fraction(f) => (f * d as f64) as usize,
        };
        k.clamp(1, d.max(1))
    }
}

impl ParamValue for MaxFeatures {
    fn from_value(value: &Value, param: &str) -> Result<Self> {
        let bad = || {
            Error::param(
                param,
                format!("expected {}, got {value}", <Self as ParamValue>::kind()),
            )
        };
        match value {
            Value::None => Ok(MaxFeatures::All),
            Value::Text(t) => match t.as_str() {
                "all" | "none" => Ok(MaxFeatures::All),
                "sqrt" => Ok(MaxFeatures::Sqrt),
                "log2" => Ok(MaxFeatures::Log2),
                _ => Err(bad()),
            },
            Value::Num(v) if *v > 0.0 && *v < 1.0 => Ok(MaxFeatures::Fraction(*v)),
            Value::Num(v) if *v >= 1.0 && v.fract() == 0.0 && *v <= u32::MAX as f64 => {
                Ok(MaxFeatures::Count(*v as usize))
            }
            _ => Err(bad()),
        }
    }

    fn to_value(&self) -> Value {
        match self {
            MaxFeatures::All => Value::None,
            MaxFeatures::Sqrt => Value::Text("sqrt".into()),
            MaxFeatures::Log2 => Value::Text("log2".into()),
            MaxFeatures::Count(k) => Value::Num(*k as f64),
            MaxFeatures::Fraction(f) => Value::Num(*f),
        }
    }

    fn kind() -> String {
        "none (all), sqrt, log2, an integer >= 1 or a fraction in (0, 1)".into()
    }
}

/// The impurity a split lowers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Impurity {
    Gini,
    /// Shannon entropy in bits (scikit-learn's `entropy` and `log_loss`).
    Entropy,
    /// Variance (scikit-learn's `squared_error`).
    SquaredError,
}

/// The resolved growing rules of one tree.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rules {
    pub impurity: Impurity,
    pub max_depth: usize,
    /// Already raised to at least `2 * min_samples_leaf`, as scikit-learn does.
    pub min_samples_split: usize,
    pub min_samples_leaf: usize,
    /// The number of features a node evaluates (resolved).
    pub max_features: usize,
    pub min_impurity_decrease: f64,
}

/// The training data of a tree: features as `f32`, column by column, and the target.
pub(crate) struct Columns {
    /// `x[f * n + i]`: feature `f` of row `i`.
    pub x: Vec<f32>,
    pub n: usize,
    pub d: usize,
}

/// The target a tree learns.
#[derive(Clone, Copy)]
pub(crate) enum Target<'a> {
    /// Class indices `0..k` (in the class set's order).
    Classes { ids: &'a [usize], k: usize },
    /// Real values.
    Values(&'a [f64]),
}

impl Target<'_> {
    fn width(&self) -> usize {
        match self {
            Target::Classes { k, .. } => *k,
            Target::Values(_) => 1,
        }
    }
}

/// Refuses a value a tree cannot take: not finite, or beyond `f32`'s range (a tree reads
/// features as `f32`, as scikit-learn does).
#[inline]
fn check_value(v: f64) -> std::result::Result<f32, String> {
    let f = v as f32;
    if f.is_finite() {
        Ok(f)
    } else if v.is_finite() {
        Err(format!(
            "value {v} is beyond the range of the 32-bit floats a tree compares (|x| <= {})",
            f32::MAX
        ))
    } else {
        Err(format!("value {v} is not finite"))
    }
}

/// Checks a row for prediction: its width and values (finite, within `f32`'s range).
pub(crate) fn check_row(x: Row<'_>, d: usize) -> Result<()> {
    x.check(Some(d))?;
    let bad = |j: usize, v: f64| {
        check_value(v).err().map(|reason| Error::BadValue {
            location: Location::Feature(j),
            reason,
        })
    };
    let first = match x {
        Row::Dense(v) => v.iter().enumerate().find_map(|(j, &v)| bad(j, v)),
        Row::Sparse(s) => s
            .indices()
            .iter()
            .zip(s.values())
            .find_map(|(&j, &v)| bad(j as usize, v)),
    };
    first.map_or(Ok(()), Err)
}

impl Columns {
    /// The features of a data set as `f32` columns; an error naming the row and feature of
    /// the first value that is not finite or does not fit in `f32`. A sparse row's absent
    /// features are zeros.
    pub(crate) fn from_dataset(data: &Dataset) -> Result<Columns> {
        let (n, d) = (data.n_rows(), data.n_features());
        if n == 0 {
            return Err(Error::Empty("the data set has no rows".into()));
        }
        if d == 0 {
            return Err(Error::Empty("the data set has no features".into()));
        }
        if n.checked_mul(d).is_none_or(|v| v > MAX_VALUES) {
            return Err(Error::Unsupported(format!(
                "a tree grows on the dense matrix of the data set, and {n} rows x {d} \
                 features is more than {MAX_VALUES} values (with hashed sparse input, use \
                 fewer --bits)"
            )));
        }
        let mut x = vec![0.0f32; n * d];
        let put = |x: &mut [f32], i: usize, j: usize, v: f64| -> Result<()> {
            x[j * n + i] = check_value(v).map_err(|reason| {
                Error::BadValue {
                    location: Location::Feature(j),
                    reason,
                }
                .in_row(i)
            })?;
            Ok(())
        };
        match &data.features {
            FeatureMatrix::Dense(a) => {
                for ((i, j), &v) in a.indexed_iter() {
                    put(&mut x, i, j, v)?;
                }
            }
            FeatureMatrix::Sparse(m) => {
                for i in 0..n {
                    let r = m.row(i);
                    for (&j, &v) in r.indices().iter().zip(r.values()) {
                        put(&mut x, i, j as usize, v)?;
                    }
                }
            }
        }
        Ok(Columns { x, n, d })
    }
}

/// The sample weights of a data set (1 for each row without), checked: finite, not
/// negative, not all zero.
pub(crate) fn weights_of(data: &Dataset) -> Result<Vec<f64>> {
    let n = data.n_rows();
    let Some(w) = &data.weights else {
        return Ok(vec![1.0; n]);
    };
    for (i, &v) in w.iter().enumerate() {
        tidewater_core::row::check_weight(Some(v)).map_err(|e| e.in_row(i))?;
    }
    if w.iter().all(|&v| v == 0.0) {
        return Err(Error::BadValue {
            location: Location::Weight,
            reason: "every sample weight is 0: there is nothing to learn".into(),
        });
    }
    Ok(w.clone())
}

/// The growing rules from a tree's parameters, for `d` features: `max_depth` none is no
/// limit, `min_samples_split` is raised to `2 * min_samples_leaf` (as scikit-learn does), and
/// `max_features` is resolved (an error naming it when it asks for more than `d`).
pub(crate) fn rules(
    impurity: Impurity,
    max_depth: Option<usize>,
    min_samples_split: usize,
    min_samples_leaf: usize,
    max_features: MaxFeatures,
    min_impurity_decrease: f64,
    d: usize,
) -> Result<Rules> {
    Ok(Rules {
        impurity,
        max_depth: max_depth.unwrap_or(usize::MAX),
        min_samples_split: min_samples_split.max(2 * min_samples_leaf),
        min_samples_leaf,
        max_features: max_features.resolve(d)?,
        min_impurity_decrease,
    })
}

/// The error of `learn_one` and `learn_many` on a batch-only model.
pub(crate) fn batch_only(name: &str, params: &str) -> Error {
    Error::Unsupported(format!(
        "`{name}` is a batch model: it learns from a whole data set with `fit` \
         ({params}::fit, or `tidewater fit`), not row by row"
    ))
}

/// The labels of a data set's target as class indices into their sorted class set; an error
/// naming the row of the first label that is not finite.
pub(crate) fn class_targets(data: &Dataset) -> Result<(tidewater_core::ClassSet, Vec<usize>)> {
    let labels = data.target()?.to_labels()?;
    for (i, l) in labels.iter().enumerate() {
        l.check().map_err(|e| e.in_row(i))?;
    }
    let classes = tidewater_core::ClassSet::from_labels(&labels);
    let ids = labels
        .iter()
        .map(|l| {
            classes
                .index_of(l)
                .expect("every label is in its class set")
        })
        .collect();
    Ok((classes, ids))
}

/// The real values of a data set's target; an error naming the row of the first that is
/// not finite.
pub(crate) fn value_targets(data: &Dataset) -> Result<Vec<f64>> {
    let y = data.target()?.to_values()?;
    for (i, &v) in y.iter().enumerate() {
        if !v.is_finite() {
            return Err(Error::BadValue {
                location: Location::Target,
                reason: format!("value {v} is not finite"),
            }
            .in_row(i));
        }
    }
    Ok(y)
}

/// The index of the largest value, the first of equal ones (numpy's `argmax`; River's max over
/// its sorted probabilities, for the online trees).
pub(crate) fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (j, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = j;
        }
    }
    best
}

/// Values for a line of text: three decimals, as `[1, 0.333, 0]`.
pub(crate) fn short_list(v: &[f64]) -> String {
    let items: Vec<String> = v.iter().map(|x| short(*x)).collect();
    format!("[{}]", items.join(", "))
}

/// `1 row`, `5 rows`.
pub(crate) fn rows(n: usize) -> String {
    if n == 1 {
        "1 row".into()
    } else {
        format!("{n} rows")
    }
}

/// A number for a line of text: at most three decimals, trailing zeros off.
pub(crate) fn short(x: f64) -> String {
    let s = format!("{x:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// One node of a grown tree, for inspection (scikit-learn's `tree_` arrays, a node at a
/// time). Nodes are numbered in preorder: a node, its left subtree, then its right subtree.
#[derive(Clone, Debug, PartialEq)]
pub struct TreeNode {
    /// The left and right children (`None` for a leaf). A row goes left when its feature,
    /// rounded to `f32`, is at most the threshold.
    pub children: Option<(usize, usize)>,
    /// The tested feature (`None` for a leaf).
    pub feature: Option<usize>,
    /// The threshold (`None` for a leaf).
    pub threshold: Option<f64>,
    /// The impurity of the node's rows.
    pub impurity: f64,
    /// The number of distinct training rows that reached it.
    pub n_samples: usize,
    /// Their total weight (a bootstrap row drawn `k` times counts `k`).
    pub weight: f64,
    /// The node's value: the class fractions (a classifier) or the mean (a regressor).
    pub value: Vec<f64>,
}

// ---------------------------------------------------------------------------------------------
// The tree.

/// A node in preorder (a node, its left subtree, then its right subtree).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Node {
    /// Child indices, [`LEAF`] for a leaf.
    pub left: usize,
    pub right: usize,
    /// The tested feature (0 for a leaf).
    pub feature: usize,
    /// Rows go left when their `f32` value, widened, is `<=` this.
    pub threshold: f64,
    /// The node's impurity (for a child, as its parent's split computed it).
    pub impurity: f64,
    /// Distinct training rows that reached the node.
    pub n_samples: usize,
    /// Their total weight.
    pub weight: f64,
}

impl Node {
    pub(crate) fn is_leaf(&self) -> bool {
        self.left == LEAF
    }
}

/// A grown tree: its nodes in preorder and each node's value (class fractions, or the
/// target's weighted mean).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Tree {
    pub nodes: Vec<Node>,
    /// `width` values per node.
    pub values: Vec<f64>,
    pub width: usize,
    /// The depth of the deepest node (the root is at depth 0).
    pub depth: usize,
    /// The number of features it was grown on.
    pub n_features: usize,
}

impl Tree {
    /// The value of node `i`.
    pub(crate) fn value(&self, i: usize) -> &[f64] {
        &self.values[i * self.width..(i + 1) * self.width]
    }

    /// The leaf a checked row reaches.
    pub(crate) fn leaf(&self, x: Row<'_>) -> usize {
        let mut i = 0;
        loop {
            let node = &self.nodes[i];
            if node.is_leaf() {
                return i;
            }
            // The value as the tree was grown on it: rounded to f32, widened back.
            let v = x.get(node.feature) as f32 as f64;
            i = if v <= node.threshold {
                node.left
            } else {
                node.right
            };
        }
    }

    /// The leaf value a checked row reaches.
    pub(crate) fn predict(&self, x: Row<'_>) -> &[f64] {
        self.value(self.leaf(x))
    }

    /// Every node, for inspection.
    pub(crate) fn node_views(&self) -> Vec<TreeNode> {
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, n)| TreeNode {
                children: (!n.is_leaf()).then_some((n.left, n.right)),
                feature: (!n.is_leaf()).then_some(n.feature),
                threshold: (!n.is_leaf()).then_some(n.threshold),
                impurity: n.impurity,
                n_samples: n.n_samples,
                weight: n.weight,
                value: self.value(i).to_vec(),
            })
            .collect()
    }

    pub(crate) fn n_leaves(&self) -> usize {
        self.nodes.iter().filter(|n| n.is_leaf()).count()
    }

    /// The impurity decrease each feature brings, weighted by the rows reaching the node,
    /// normalised to sum to 1 (all zeros for a tree that is a single leaf): scikit-learn's
    /// `feature_importances_`, its sums in its order.
    pub(crate) fn importances(&self) -> Vec<f64> {
        let mut imp = vec![0.0; self.n_features];
        for node in &self.nodes {
            if node.is_leaf() {
                continue;
            }
            let (l, r) = (&self.nodes[node.left], &self.nodes[node.right]);
            imp[node.feature] +=
                node.weight * node.impurity - l.weight * l.impurity - r.weight * r.impurity;
        }
        let root = self.nodes[0].weight;
        for v in &mut imp {
            *v /= root;
        }
        let total = numpy_sum(&imp);
        if total > 0.0 {
            for v in &mut imp {
                *v /= total;
            }
        }
        imp
    }

    /// Writes the tree as text, a line per test and per leaf, children indented under their
    /// test: `if petal_width <= 0.8:` then the left subtree, `if petal_width > 0.8:` then the
    /// right one.
    pub(crate) fn write_text(
        &self,
        out: &mut impl std::fmt::Write,
        names: &[String],
        leaf: &dyn Fn(&Node, &[f64]) -> String,
    ) -> std::fmt::Result {
        // (node, indent, the test line that leads to it)
        let mut stack = vec![(0usize, 0usize, None::<String>)];
        while let Some((i, depth, test)) = stack.pop() {
            let mut depth = depth;
            if let Some(t) = test {
                writeln!(out, "{}{t}", "  ".repeat(depth))?;
                depth += 1;
            }
            let node = &self.nodes[i];
            if node.is_leaf() {
                writeln!(
                    out,
                    "{}leaf: {}",
                    "  ".repeat(depth),
                    leaf(node, self.value(i))
                )?;
            } else {
                let name = feature_name(names, node.feature);
                let t = node.threshold;
                stack.push((node.right, depth, Some(format!("if {name} > {t}:"))));
                stack.push((node.left, depth, Some(format!("if {name} <= {t}:"))));
            }
        }
        Ok(())
    }

    /// The tree in Graphviz's dot language: a box per node (its test or its prediction, its
    /// impurity, rows and weight), edges marked `true` (the test holds: left) and `false`.
    pub(crate) fn to_dot(
        &self,
        names: &[String],
        impurity_name: &str,
        value: &dyn Fn(&[f64]) -> String,
    ) -> String {
        let mut s = String::from("digraph tree {\n  node [shape=box, fontname=\"helvetica\"];\n");
        for (i, node) in self.nodes.iter().enumerate() {
            let mut label = String::new();
            if !node.is_leaf() {
                let _ = write!(
                    label,
                    "{} <= {}\\n",
                    dot_escape(&feature_name(names, node.feature)),
                    node.threshold
                );
            }
            let _ = write!(
                label,
                "{impurity_name} = {}\\nsamples = {}\\nweight = {}\\n{}",
                node.impurity,
                node.n_samples,
                node.weight,
                dot_escape(&value(self.value(i)))
            );
            let _ = writeln!(s, "  {i} [label=\"{label}\"];");
            if !node.is_leaf() {
                let _ = writeln!(s, "  {i} -> {} [label=\"true\"];", node.left);
                let _ = writeln!(s, "  {i} -> {} [label=\"false\"];", node.right);
            }
        }
        s.push_str("}\n");
        s
    }
}

impl Tree {
    /// A loaded tree's check, for nodes of `width` values (the classes, or 1 for a
    /// regressor): at least the root; grown on 1 to 2^30 features (what `fit` takes); a
    /// value block per node, every value finite; every node in preorder from the root (a
    /// node, its left subtree, its right subtree: what the builder writes), which makes the
    /// child links a tree reaching every node once, walked with an explicit stack; a leaf
    /// with no children, a branch with two, a feature among the tree's and a finite
    /// threshold; impurities finite, weights finite and not negative; the depth the deepest
    /// node's.
    pub(crate) fn check(&self, width: usize) -> StateResult {
        let len = self.nodes.len();
        ensure(len > 0, || {
            "nodes: a grown tree has at least its root".into()
        })?;
        ensure(self.width == width, || {
            format!(
                "width: {} values a node where the model needs {width}",
                self.width
            )
        })?;
        ensure((1..=MAX_VALUES).contains(&self.n_features), || {
            format!(
                "n_features: {} is not between 1 and {MAX_VALUES}",
                self.n_features
            )
        })?;
        let values = len
            .checked_mul(width)
            .ok_or_else(|| format!("values: {len} nodes of {width} values overflow"))?;
        same_len("values", self.values.len(), values)?;
        all_finite("values", &self.values)?;
        for (i, n) in self.nodes.iter().enumerate() {
            within(format_args!("node {i}"), self.check_node(n))?;
        }
        // Preorder: the k-th node popped must be node k. A node met again, a link to an
        // earlier node, or one that skips a node all break the sequence.
        let mut stack = vec![(0usize, 0usize, LEAF)];
        let (mut next, mut deepest) = (0usize, 0usize);
        while let Some((i, depth, parent)) = stack.pop() {
            if i != next {
                return Err(if i < next {
                    format!(
                        "node {i}: reached again from node {parent} (the child links form a \
                         cycle or share a node)"
                    )
                } else {
                    format!(
                        "node {i}: a child of node {parent} out of preorder (node {next} \
                         expected)"
                    )
                });
            }
            next += 1;
            deepest = deepest.max(depth);
            let n = &self.nodes[i];
            if !n.is_leaf() {
                for c in [n.right, n.left] {
                    ensure(c < len, || {
                        format!("node {i}: child {c} out of range (0..{len})")
                    })?;
                    stack.push((c, depth + 1, i));
                }
            }
        }
        ensure(next == len, || {
            format!("nodes: {len} stored, {next} reachable from the root")
        })?;
        ensure(self.depth == deepest, || {
            format!(
                "depth: {}, where the deepest node is at depth {deepest}",
                self.depth
            )
        })
    }

    /// One node: a leaf's children both [`LEAF`], a branch's neither, its feature among the
    /// tree's and its threshold finite; the impurity finite, the weight finite and not
    /// negative.
    fn check_node(&self, n: &Node) -> StateResult {
        ensure((n.left == LEAF) == (n.right == LEAF), || {
            "one child where a node has none or two".into()
        })?;
        if !n.is_leaf() {
            index("feature", n.feature, self.n_features)?;
            finite("threshold", n.threshold)?;
        }
        finite("impurity", n.impurity)?;
        nonneg("weight", n.weight)
    }
}

/// A feature's name: the data set's, or `x<j>` when it had none./// A feature's name: the data set's, or `x<j>` when it had none.
pub(crate) fn feature_name(names: &[String], j: usize) -> String {
    names.get(j).cloned().unwrap_or_else(|| format!("x{j}"))
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// numpy's sum of a contiguous `f64` array (pairwise, eight accumulators per block of up to
/// 128 values), so that normalised importances round as scikit-learn's.
pub(crate) fn numpy_sum(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        let mut r = 0.0;
        for &v in a {
            r += v;
        }
        r
    } else if n <= 128 {
        let mut r = [0.0; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - n % 8 {
            for j in 0..8 {
                r[j] += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res += a[i];
            i += 1;
        }
        res
    } else {
        let mut half = n / 2;
        half -= half % 8;
        numpy_sum(&a[..half]) + numpy_sum(&a[half..])
    }
}

/// numpy's `mean(axis=0)` of equally long rows: row by row added in order, then divided by
/// their number (pairwise when the rows have a single column, as numpy then sums a
/// contiguous array).
pub(crate) fn numpy_mean_rows(rows: &[Vec<f64>], d: usize) -> Vec<f64> {
    let n = rows.len() as f64;
    if d == 1 {
        let col: Vec<f64> = rows.iter().map(|r| r[0]).collect();
        return vec![numpy_sum(&col) / n];
    }
    let mut acc = vec![0.0; d];
    for r in rows {
        for (a, v) in acc.iter_mut().zip(r) {
            *a += v;
        }
    }
    acc.iter().map(|a| a / n).collect()
}

// ---------------------------------------------------------------------------------------------
// Criteria.

/// The impurity statistics of a node's rows `samples[start..end]` and of a split of them at
/// `pos` (left: `[start, pos)`, right: `[pos, end)`). Positions are relative to the node.
trait Criterion {
    /// Sums over the node's rows (in their order) and resets to "everything right".
    fn init(&mut self, samples: &[usize], w: &[f64]);
    /// Everything right again.
    fn reset(&mut self);
    /// Moves the split to `new_pos` (at or after the current one, unless reset).
    fn update(&mut self, samples: &[usize], w: &[f64], new_pos: usize);
    fn node_impurity(&self) -> f64;
    fn children_impurity(&self, samples: &[usize], w: &[f64]) -> (f64, f64);
    /// A score that orders splits as the impurity decrease does.
    fn proxy(&self, samples: &[usize], w: &[f64]) -> f64;
    fn weights(&self) -> (f64, f64, f64);
    fn node_value(&self, out: &mut [f64]);
}

/// Gini or entropy over class weights.
struct ClassCriterion<'a> {
    ids: &'a [usize],
    entropy: bool,
    total: Vec<f64>,
    left: Vec<f64>,
    right: Vec<f64>,
    wn: f64,
    wl: f64,
    wr: f64,
    pos: usize,
    end: usize,
}

impl ClassCriterion<'_> {
    fn impurity_of(&self, counts: &[f64], w: f64) -> f64 {
        if self.entropy {
            let mut e = 0.0;
            for &c in counts {
                if c > 0.0 {
                    let p = c / w;
                    // scikit-learn's `log(x)` is `ln(x) / ln(2.0)`; libm's `ln(2.0)` is `LN_2`.
                    e -= p * (p.ln() / std::f64::consts::LN_2);
                }
            }
            e
        } else {
            let mut sq = 0.0;
            for &c in counts {
                sq += c * c;
            }
            0.0 + (1.0 - sq / (w * w))
        }
    }
}

impl Criterion for ClassCriterion<'_> {
    fn init(&mut self, samples: &[usize], w: &[f64]) {
        self.total.fill(0.0);
        self.wn = 0.0;
        for &i in samples {
            self.total[self.ids[i]] += w[i];
            self.wn += w[i];
        }
        self.end = samples.len();
        self.reset();
    }

    fn reset(&mut self) {
        self.pos = 0;
        self.wl = 0.0;
        self.wr = self.wn;
        self.left.fill(0.0);
        self.right.copy_from_slice(&self.total);
    }

    fn update(&mut self, samples: &[usize], w: &[f64], new_pos: usize) {
        if new_pos - self.pos <= self.end - new_pos {
            for &i in &samples[self.pos..new_pos] {
                self.left[self.ids[i]] += w[i];
                self.wl += w[i];
            }
        } else {
            // From the right end, backwards: fewer rows to move.
            self.left.copy_from_slice(&self.total);
            self.wl = self.wn;
            for &i in samples[new_pos..self.end].iter().rev() {
                self.left[self.ids[i]] -= w[i];
                self.wl -= w[i];
            }
        }
        self.wr = self.wn - self.wl;
        for ((r, t), l) in self.right.iter_mut().zip(&self.total).zip(&self.left) {
            *r = t - l;
        }
        self.pos = new_pos;
    }

    fn node_impurity(&self) -> f64 {
        self.impurity_of(&self.total, self.wn)
    }

    fn children_impurity(&self, _: &[usize], _: &[f64]) -> (f64, f64) {
        (
            self.impurity_of(&self.left, self.wl),
            self.impurity_of(&self.right, self.wr),
        )
    }

    fn proxy(&self, samples: &[usize], w: &[f64]) -> f64 {
        let (l, r) = self.children_impurity(samples, w);
        -self.wr * r - self.wl * l
    }

    fn weights(&self) -> (f64, f64, f64) {
        (self.wn, self.wl, self.wr)
    }

    fn node_value(&self, out: &mut [f64]) {
        for (o, t) in out.iter_mut().zip(&self.total) {
            *o = t / self.wn;
        }
    }
}

/// Variance of a real target (scikit-learn's `MSE`).
struct SquaredError<'a> {
    y: &'a [f64],
    sum_total: f64,
    sq_total: f64,
    sum_left: f64,
    sum_right: f64,
    wn: f64,
    wl: f64,
    wr: f64,
    pos: usize,
    end: usize,
}

impl Criterion for SquaredError<'_> {
    fn init(&mut self, samples: &[usize], w: &[f64]) {
        self.sum_total = 0.0;
        self.sq_total = 0.0;
        self.wn = 0.0;
        for &i in samples {
            let wy = w[i] * self.y[i];
            self.sum_total += wy;
            self.sq_total += wy * self.y[i];
            self.wn += w[i];
        }
        self.end = samples.len();
        self.reset();
    }

    fn reset(&mut self) {
        self.pos = 0;
        self.wl = 0.0;
        self.wr = self.wn;
        self.sum_left = 0.0;
        self.sum_right = self.sum_total;
    }

    fn update(&mut self, samples: &[usize], w: &[f64], new_pos: usize) {
        if new_pos - self.pos <= self.end - new_pos {
            for &i in &samples[self.pos..new_pos] {
                self.sum_left += w[i] * self.y[i];
                self.wl += w[i];
            }
        } else {
            self.sum_left = self.sum_total;
            self.wl = self.wn;
            for &i in samples[new_pos..self.end].iter().rev() {
                self.sum_left -= w[i] * self.y[i];
                self.wl -= w[i];
            }
        }
        self.wr = self.wn - self.wl;
        self.sum_right = self.sum_total - self.sum_left;
        self.pos = new_pos;
    }

    fn node_impurity(&self) -> f64 {
        let m = self.sum_total / self.wn;
        self.sq_total / self.wn - m * m
    }

    fn children_impurity(&self, samples: &[usize], w: &[f64]) -> (f64, f64) {
        let mut sq_left = 0.0;
        for &i in &samples[..self.pos] {
            sq_left += w[i] * self.y[i] * self.y[i];
        }
        let sq_right = self.sq_total - sq_left;
        let ml = self.sum_left / self.wl;
        let mr = self.sum_right / self.wr;
        (sq_left / self.wl - ml * ml, sq_right / self.wr - mr * mr)
    }

    fn proxy(&self, _: &[usize], _: &[f64]) -> f64 {
        self.sum_left * self.sum_left / self.wl + self.sum_right * self.sum_right / self.wr
    }

    fn weights(&self) -> (f64, f64, f64) {
        (self.wn, self.wl, self.wr)
    }

    fn node_value(&self, out: &mut [f64]) {
        out[0] = self.sum_total / self.wn;
    }
}

// ---------------------------------------------------------------------------------------------
// Sorting: scikit-learn's introsort with a three-way partition, whose order of equal values
// (it is not stable) decides the order in which the criteria sum.

fn sort(v: &mut [f32], idx: &mut [usize]) {
    let n = v.len();
    if n == 0 {
        return;
    }
    let maxd = 2 * ((n as f64).log2() as usize);
    introsort(v, idx, maxd);
}

fn introsort(mut v: &mut [f32], mut idx: &mut [usize], mut maxd: usize) {
    while v.len() > 15 {
        if maxd == 0 {
            heapsort(v, idx);
            return;
        }
        maxd -= 1;
        let n = v.len();
        let pivot = median3(v[0], v[n / 2], v[n - 1]);
        let (mut i, mut l, mut r) = (0, 0, n);
        while i < r {
            if v[i] < pivot {
                v.swap(i, l);
                idx.swap(i, l);
                i += 1;
                l += 1;
            } else if v[i] > pivot {
                r -= 1;
                v.swap(i, r);
                idx.swap(i, r);
            } else {
                i += 1;
            }
        }
        let (vl, vr) = v.split_at_mut(r);
        let (il, ir) = idx.split_at_mut(r);
        introsort(&mut vl[..l], &mut il[..l], maxd);
        v = vr;
        idx = ir;
    }
    insertion_sort(v, idx);
}

/// Bentley and McIlroy's median of three.
fn median3(a: f32, b: f32, c: f32) -> f32 {
    if a < b {
        if b < c {
            b
        } else if a < c {
            c
        } else {
            a
        }
    } else if b < c {
        if a < c { a } else { c }
    } else {
        b
    }
}

fn insertion_sort(v: &mut [f32], idx: &mut [usize]) {
    for i in 1..v.len() {
        let (tv, ti) = (v[i], idx[i]);
        let mut j = i;
        while j > 0 && v[j - 1] > tv {
            v[j] = v[j - 1];
            idx[j] = idx[j - 1];
            j -= 1;
        }
        v[j] = tv;
        idx[j] = ti;
    }
}

fn heapsort(v: &mut [f32], idx: &mut [usize]) {
    let n = v.len();
    let mut start = (n - 2) / 2;
    loop {
        sift_down(v, idx, start, n);
        if start == 0 {
            break;
        }
        start -= 1;
    }
    let mut end = n - 1;
    while end > 0 {
        v.swap(0, end);
        idx.swap(0, end);
        sift_down(v, idx, 0, end);
        end -= 1;
    }
}

fn sift_down(v: &mut [f32], idx: &mut [usize], start: usize, end: usize) {
    let mut root = start;
    loop {
        let child = root * 2 + 1;
        let mut max = root;
        if child < end && v[max] < v[child] {
            max = child;
        }
        if child + 1 < end && v[max] < v[child + 1] {
            max = child + 1;
        }
        if max == root {
            break;
        }
        v.swap(root, max);
        idx.swap(root, max);
        root = max;
    }
}

// ---------------------------------------------------------------------------------------------
// The builder and the splitter.

/// The best split found at a node.
struct Split {
    feature: usize,
    /// Absolute position in `samples`: rows `[start, pos)` go left.
    pos: usize,
    threshold: f64,
    impurity_left: f64,
    impurity_right: f64,
    improvement: f64,
}

/// The splitter's state, which persists from node to node as scikit-learn's does.
struct Splitter<'a> {
    cols: &'a Columns,
    w: &'a [f64],
    rules: &'a Rules,
    /// The rows with a weight other than 0, reordered node by node.
    samples: Vec<usize>,
    /// The features in the order the last node left them.
    features: Vec<usize>,
    constant: Vec<usize>,
    /// The values of the feature being evaluated, by position.
    xf: Vec<f32>,
    rng: RandR,
}

impl Splitter<'_> {
    /// The best split of `samples[start..end]` (`pos == end` when there is none), and the
    /// number of features known to be constant for the node's children.
    fn split(
        &mut self,
        crit: &mut impl Criterion,
        start: usize,
        end: usize,
        impurity: f64,
        n_known: usize,
        total_weight: f64,
    ) -> (Split, usize) {
        let d = self.cols.d;
        let n = self.cols.n;
        let min_leaf = self.rules.min_samples_leaf;
        let mut best = Split {
            feature: 0,
            pos: end,
            threshold: 0.0,
            impurity_left: 0.0,
            impurity_right: 0.0,
            improvement: f64::NEG_INFINITY,
        };
        let mut best_proxy = f64::NEG_INFINITY;
        let mut f_i = d;
        let (mut n_visited, mut n_found, mut n_drawn) = (0, 0, 0);
        let mut n_total = n_known;
        while f_i > n_total
            && (n_visited < self.rules.max_features || n_visited <= n_found + n_drawn)
        {
            n_visited += 1;
            let mut f_j = self.rng.below(n_drawn, f_i - n_found);
            if f_j < n_known {
                // A feature an ancestor found constant: it counts as visited.
                self.features.swap(n_drawn, f_j);
                n_drawn += 1;
                continue;
            }
            f_j += n_found;
            let f = self.features[f_j];
            let col = &self.cols.x[f * n..(f + 1) * n];
            let node = &mut self.samples[start..end];
            let xf = &mut self.xf[start..end];
            for (v, &i) in xf.iter_mut().zip(node.iter()) {
                *v = col[i];
            }
            sort(xf, node);
            let len = end - start;
            if xf[len - 1] <= xf[0] + FEATURE_THRESHOLD {
                self.features.swap(f_j, n_total);
                n_found += 1;
                n_total += 1;
                continue;
            }
            f_i -= 1;
            self.features.swap(f_i, f_j);
            crit.reset();
            let mut p = 0;
            while p < len {
                p += 1;
                while p < len && xf[p] <= xf[p - 1] + FEATURE_THRESHOLD {
                    p += 1;
                }
                if p == len {
                    continue;
                }
                if p < min_leaf || len - p < min_leaf {
                    continue;
                }
                crit.update(node, self.w, p);
                // scikit-learn's least leaf weight is 0 here (no `min_weight_fraction_leaf`),
                // which a sum taken backwards can still undercut by a rounding.
                let (_, wl, wr) = crit.weights();
                if wl < 0.0 || wr < 0.0 {
                    continue;
                }
                let proxy = crit.proxy(node, self.w);
                // Strictly greater: among equal scores, the first evaluated stays.
                if proxy > best_proxy {
                    best_proxy = proxy;
                    best.feature = f;
                    best.pos = start + p;
                    best.threshold = xf[p - 1] as f64 / 2.0 + xf[p] as f64 / 2.0;
                }
            }
        }
        if best.pos < end {
            let col = &self.cols.x[best.feature * n..(best.feature + 1) * n];
            let node = &mut self.samples[start..end];
            let (mut i, mut j) = (0, node.len());
            while i < j {
                if col[node[i]] as f64 <= best.threshold {
                    i += 1;
                } else {
                    j -= 1;
                    node.swap(i, j);
                }
            }
            crit.reset();
            crit.update(node, self.w, best.pos - start);
            let (il, ir) = crit.children_impurity(node, self.w);
            let (wn, wl, wr) = crit.weights();
            best.impurity_left = il;
            best.impurity_right = ir;
            best.improvement = (wn / total_weight) * (impurity - (wr / wn * ir) - (wl / wn * il));
        }
        // Known constants keep their order for the siblings and children; the new ones are
        // recorded after them.
        self.features[..n_known].copy_from_slice(&self.constant[..n_known]);
        self.constant[n_known..n_total].copy_from_slice(&self.features[n_known..n_total]);
        (best, n_total)
    }
}

/// A node waiting on the builder's stack.
struct Pending {
    start: usize,
    end: usize,
    depth: usize,
    parent: usize,
    is_left: bool,
    impurity: f64,
    n_constant: usize,
}

/// Grows a tree on `cols` and `target` with sample weights `w` (rows of weight 0 are left
/// out), the splitter's generator starting at `seed` (see
/// [`splitter_seed`](crate::sklearn_random::splitter_seed)).
pub(crate) fn grow(
    cols: &Columns,
    target: Target<'_>,
    w: &[f64],
    rules: &Rules,
    seed: u32,
) -> Tree {
    match target {
        Target::Classes { ids, k } => {
            let mut crit = ClassCriterion {
                ids,
                entropy: rules.impurity == Impurity::Entropy,
                total: vec![0.0; k],
                left: vec![0.0; k],
                right: vec![0.0; k],
                wn: 0.0,
                wl: 0.0,
                wr: 0.0,
                pos: 0,
                end: 0,
            };
            grow_with(&mut crit, cols, target.width(), w, rules, seed)
        }
        Target::Values(y) => {
            let mut crit = SquaredError {
                y,
                sum_total: 0.0,
                sq_total: 0.0,
                sum_left: 0.0,
                sum_right: 0.0,
                wn: 0.0,
                wl: 0.0,
                wr: 0.0,
                pos: 0,
                end: 0,
            };
            grow_with(&mut crit, cols, 1, w, rules, seed)
        }
    }
}

fn grow_with(
    crit: &mut impl Criterion,
    cols: &Columns,
    width: usize,
    w: &[f64],
    rules: &Rules,
    seed: u32,
) -> Tree {
    let mut samples = Vec::with_capacity(cols.n);
    let mut total_weight = 0.0;
    for (i, &wi) in w.iter().enumerate() {
        if wi != 0.0 {
            samples.push(i);
        }
        total_weight += wi;
    }
    let n_samples = samples.len();
    let mut sp = Splitter {
        cols,
        w,
        rules,
        samples,
        features: (0..cols.d).collect(),
        constant: vec![0; cols.d],
        xf: vec![0.0; n_samples],
        rng: RandR::new(seed),
    };
    let mut tree = Tree {
        nodes: Vec::new(),
        values: Vec::new(),
        width,
        depth: 0,
        n_features: cols.d,
    };
    let mut stack = vec![Pending {
        start: 0,
        end: n_samples,
        depth: 0,
        parent: LEAF,
        is_left: false,
        impurity: f64::INFINITY,
        n_constant: 0,
    }];
    let mut first = true;
    let mut value = vec![0.0; width];
    while let Some(mut rec) = stack.pop() {
        let (start, end) = (rec.start, rec.end);
        crit.init(&sp.samples[start..end], w);
        let n_node = end - start;
        let (wn, _, _) = crit.weights();
        let mut is_leaf = rec.depth >= rules.max_depth
            || n_node < rules.min_samples_split
            || n_node < 2 * rules.min_samples_leaf;
        if first {
            rec.impurity = crit.node_impurity();
            first = false;
        }
        is_leaf = is_leaf || rec.impurity <= EPSILON;
        let mut split = None;
        if !is_leaf {
            let (s, n_total) =
                sp.split(crit, start, end, rec.impurity, rec.n_constant, total_weight);
            rec.n_constant = n_total;
            is_leaf = s.pos >= end || s.improvement + EPSILON < rules.min_impurity_decrease;
            split = Some(s);
        }
        let id = tree.nodes.len();
        let (feature, threshold) = match (&split, is_leaf) {
            (Some(s), false) => (s.feature, s.threshold),
            _ => (0, 0.0),
        };
        tree.nodes.push(Node {
            left: LEAF,
            right: LEAF,
            feature,
            threshold,
            impurity: rec.impurity,
            n_samples: n_node,
            weight: wn,
        });
        if rec.parent != LEAF {
            let parent = &mut tree.nodes[rec.parent];
            if rec.is_left {
                parent.left = id;
            } else {
                parent.right = id;
            }
        }
        crit.node_value(&mut value);
        tree.values.extend_from_slice(&value);
        if let (Some(s), false) = (split, is_leaf) {
            stack.push(Pending {
                start: s.pos,
                end,
                depth: rec.depth + 1,
                parent: id,
                is_left: false,
                impurity: s.impurity_right,
                n_constant: rec.n_constant,
            });
            stack.push(Pending {
                start,
                end: s.pos,
                depth: rec.depth + 1,
                parent: id,
                is_left: true,
                impurity: s.impurity_left,
                n_constant: rec.n_constant,
            });
        }
        tree.depth = tree.depth.max(rec.depth);
    }
    tree
}

/// Grows a forest of `n_trees` trees as scikit-learn's `RandomForest*` does: tree `i` gets
/// the `i`-th `randint(0, 2^31 - 1)` of `RandomState(seed)` as its own seed; with
/// `bootstrap`, its rows are `n` draws of `RandomState(tree seed).randint(0, n)` (each row
/// weighted by how often it was drawn); its splitter starts from the first draw of another
/// fresh `RandomState(tree seed)`. Without `bootstrap` every tree sees every row with the
/// weights `w`.
///
/// Trees grow in parallel on rayon's pool; each depends on its seed alone, so the forest
/// does not depend on the number of threads.
pub(crate) fn grow_forest(
    cols: &Columns,
    target: Target<'_>,
    w: &[f64],
    rules: &Rules,
    n_trees: usize,
    bootstrap: bool,
    seed: u32,
) -> Result<Vec<Tree>> {
    use crate::sklearn_random::{NumpyRandomState, RAND_R_MAX, splitter_seed};
    use rayon::prelude::*;
    let n = u32::try_from(cols.n).map_err(|_| {
        Error::Unsupported(format!(
            "a random forest draws its bootstrap rows as numpy does, below 2^32 rows; got {}",
            cols.n
        ))
    })?;
    let mut rs = NumpyRandomState::new(seed);
    let seeds: Vec<u32> = (0..n_trees).map(|_| rs.randint(0, RAND_R_MAX)).collect();
    Ok(seeds
        .par_iter()
        .map(|&s| {
            let counts;
            let weights = if bootstrap {
                let mut c = vec![0.0; cols.n];
                let mut draw = NumpyRandomState::new(s);
                for _ in 0..n {
                    c[draw.randint(0, n) as usize] += 1.0;
                }
                counts = c;
                &counts[..]
            } else {
                w
            };
            grow(cols, target, weights, rules, splitter_seed(s))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sort_orders_values_and_carries_indices() {
        // Long enough for the partition and the heap paths, with many ties.
        for n in [0usize, 1, 2, 15, 16, 17, 100, 1000] {
            let mut v: Vec<f32> = (0..n).map(|i| ((i * 7919) % 13) as f32).collect();
            let orig = v.clone();
            let mut idx: Vec<usize> = (0..n).collect();
            sort(&mut v, &mut idx);
            assert!(v.windows(2).all(|w| w[0] <= w[1]), "n = {n}");
            for (k, &i) in idx.iter().enumerate() {
                assert_eq!(orig[i], v[k]);
            }
            // Heap sort alone.
            if n > 1 {
                let mut v = orig.clone();
                let mut idx: Vec<usize> = (0..n).collect();
                heapsort(&mut v, &mut idx);
                assert!(v.windows(2).all(|w| w[0] <= w[1]), "heap, n = {n}");
            }
        }
    }

    #[test]
    fn numpys_sum_is_pairwise_from_eight_values() {
        // numpy 2.4 sums these to 6.0: eight accumulators (the seventh one is lost against
        // 1e16 in the first), then the ninth value. Added in order they would give 0.
        let a = [1e16, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, -1e16];
        assert_eq!(numpy_sum(&a), 6.0);
        assert_eq!(a.iter().sum::<f64>(), 0.0);
        assert_eq!(numpy_sum(&a[..7]), 1e16);
        let b: Vec<f64> = (1..300).map(|i| 0.1 * i as f64).collect();
        assert_eq!(numpy_sum(&b), 4485.0);
    }

    #[test]
    fn libms_ln_2_is_the_constant() {
        assert_eq!(std::hint::black_box(2.0f64).ln(), std::f64::consts::LN_2);
    }

    #[test]
    fn max_features_reads_words_counts_and_fractions() {
        let read = |v: Value| MaxFeatures::from_value(&v, "max_features");
        assert_eq!(read(Value::None).unwrap(), MaxFeatures::All);
        assert_eq!(read(Value::Text("sqrt".into())).unwrap(), MaxFeatures::Sqrt);
        assert_eq!(read(Value::Num(3.0)).unwrap(), MaxFeatures::Count(3));
        assert_eq!(read(Value::Num(0.5)).unwrap(), MaxFeatures::Fraction(0.5));
        for bad in [
            Value::Num(0.0),
            Value::Num(1.5),
            Value::Num(-1.0),
            Value::Text("x".into()),
        ] {
            let e = read(bad).unwrap_err().to_string();
            assert!(e.contains("max_features"), "{e}");
        }
        assert_eq!(MaxFeatures::Sqrt.resolve(10).unwrap(), 3);
        assert_eq!(MaxFeatures::Log2.resolve(10).unwrap(), 3);
        assert_eq!(MaxFeatures::Log2.resolve(1).unwrap(), 1);
        assert_eq!(MaxFeatures::Fraction(0.25).resolve(10).unwrap(), 2);
        assert_eq!(MaxFeatures::Fraction(0.01).resolve(10).unwrap(), 1);
        assert_eq!(MaxFeatures::All.resolve(7).unwrap(), 7);
        assert!(MaxFeatures::Count(11).resolve(10).is_err());
    }
}
