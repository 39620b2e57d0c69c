//! RandomTree: rows labelled by a random decision tree.

use tidewater_core::{Error, Result, Schema};

use super::params::generator_params;
use super::rng::SynthRng;
use super::{Generator, GeneratorParams, Sample, classification_task, coded, schema};
use crate::Task;

/// The most nodes a random tree may have (a guard against parameters that would exhaust
/// memory).
const MAX_NODES: usize = 1 << 22;

generator_params! {
    /// Parameters of [`RandomTree`] (River's `RandomTree`).
    pub struct RandomTreeParams ("random_tree", "Random tree concept (Domingos and Hulten, \
                                                 2000): numeric and nominal features labelled \
                                                 by a random decision tree") {
        seed_tree: Option<u64> = None => "seed of the tree (none: from the operating system)",
        seed_sample: Option<u64> = None => "seed of the rows (none: from the operating system)",
        n_classes: usize = 2 => "number of classes, at least 1",
        n_num_features: usize = 5 => "number of numeric features (uniform in [0, 1))",
        n_cat_features: usize = 5 => "number of nominal features (codes)",
        n_categories_per_feature: usize = 5 => "categories of each nominal feature, at least 1",
        max_tree_depth: usize = 5 => "depth at which every node is a leaf, at most 64",
        first_leaf_level: usize = 3 => "first depth at which a node may be a leaf",
        fraction_leaves_per_level: f64 = 0.15 => "probability that a node from \
                                                  first_leaf_level on is a leaf, in [0, 1]",
    }
}

impl RandomTreeParams {
    fn check(&self) -> Result<()> {
        let positive = [
            ("n_classes", self.n_classes),
            ("n_categories_per_feature", self.n_categories_per_feature),
        ];
        for (param, v) in positive {
            if v == 0 {
                return Err(Error::param(
                    param,
                    "random_tree: must be at least 1, got 0",
                ));
            }
        }
        if self.n_num_features + self.n_cat_features == 0 {
            return Err(Error::param(
                "n_num_features",
                "random_tree: needs at least one feature (n_num_features + n_cat_features)",
            ));
        }
        super::params::check_range("random_tree", "max_tree_depth", self.max_tree_depth, 0, 64)?;
        super::params::check_range(
            "random_tree",
            "fraction_leaves_per_level",
            self.fraction_leaves_per_level,
            0.0,
            1.0,
        )
    }
}

/// A node: a leaf with a class, a numeric split with two children, or a nominal split whose
/// child for code `k` is `children[first_child + k]`.
#[derive(Clone, Debug)]
enum Node {
    Leaf(f64),
    Numeric {
        feature: usize,
        threshold: f64,
        left: usize,
        right: usize,
    },
    Nominal {
        feature: usize,
        first_child: usize,
    },
}

struct TreeBuilder<'a> {
    p: &'a RandomTreeParams,
    rng: SynthRng,
    nodes: Vec<Node>,
    children: Vec<usize>,
}

impl TreeBuilder<'_> {
    /// Builds the subtree at `depth` and returns its index. `candidates` are the features a
    /// split may still use (numeric ones always, a nominal one once per path); `lo`/`hi`
    /// bound the numeric features on this path.
    fn node(
        &mut self,
        depth: usize,
        candidates: &[usize],
        lo: &mut [f64],
        hi: &mut [f64],
    ) -> Result<usize> {
        if self.nodes.len() >= MAX_NODES {
            return Err(Error::param(
                "max_tree_depth",
                format!(
                    "random_tree: the tree would have more than {MAX_NODES} nodes; lower \
                     max_tree_depth or n_categories_per_feature"
                ),
            ));
        }
        let p = self.p;
        let at = self.nodes.len();
        let leaf = depth >= p.max_tree_depth
            || candidates.is_empty()
            || (depth >= p.first_leaf_level
                && p.fraction_leaves_per_level >= 1.0 - self.rng.uniform());
        if leaf {
            let class = self.rng.below(p.n_classes as u64) as f64;
            self.nodes.push(Node::Leaf(class));
            return Ok(at);
        }
        let chosen = self.rng.below(candidates.len() as u64) as usize;
        if chosen < p.n_num_features {
            let f = chosen;
            let threshold = (hi[f] - lo[f]) * self.rng.uniform() + lo[f];
            self.nodes.push(Node::Leaf(0.0));
            let old_hi = std::mem::replace(&mut hi[f], threshold);
            let left = self.node(depth + 1, candidates, lo, hi)?;
            hi[f] = old_hi;
            let old_lo = std::mem::replace(&mut lo[f], threshold);
            let right = self.node(depth + 1, candidates, lo, hi)?;
            lo[f] = old_lo;
            self.nodes[at] = Node::Numeric {
                feature: f,
                threshold,
                left,
                right,
            };
        } else {
            let feature = candidates[chosen];
            let rest: Vec<usize> = candidates
                .iter()
                .copied()
                .filter(|&c| c != feature)
                .collect();
            self.nodes.push(Node::Leaf(0.0));
            let mut children = Vec::with_capacity(p.n_categories_per_feature);
            for _ in 0..p.n_categories_per_feature {
                children.push(self.node(depth + 1, &rest, lo, hi)?);
            }
            let first_child = self.children.len();
            self.children.extend(children);
            self.nodes[at] = Node::Nominal {
                feature,
                first_child,
            };
        }
        Ok(at)
    }
}

impl GeneratorParams for RandomTreeParams {
    type Generator = RandomTree;
    fn build(&self) -> Result<RandomTree> {
        self.check()?;
        let (n_num, n_cat) = (self.n_num_features, self.n_cat_features);
        let mut b = TreeBuilder {
            p: self,
            rng: SynthRng::new(self.seed_tree),
            nodes: Vec::new(),
            children: Vec::new(),
        };
        let candidates: Vec<usize> = (0..n_num + n_cat).collect();
        b.node(0, &candidates, &mut vec![0.0; n_num], &mut vec![1.0; n_num])?;
        let mut names: Vec<String> = (0..n_num).map(|i| format!("x_num_{i}")).collect();
        names.extend((0..n_cat).map(|i| format!("x_cat_{i}")));
        let mut nominal = vec![None; n_num];
        nominal.extend(std::iter::repeat_n(
            coded(self.n_categories_per_feature - 1),
            n_cat,
        ));
        Ok(RandomTree {
            nodes: b.nodes,
            children: b.children,
            params: self.clone(),
            rng: SynthRng::new(self.seed_sample),
            schema: schema(names, nominal),
        })
    }
}

/// The random tree concept (Domingos and Hulten, 2000), River's `RandomTree`.
///
/// A tree is grown once from `seed_tree`: each node down to `max_tree_depth` splits on a
/// feature drawn uniformly from the candidates (a numeric feature at a threshold uniform
/// within the range left on its path, into two children; a nominal feature into one child
/// per category, and not again below); from `first_leaf_level` on a node is a leaf with
/// probability `fraction_leaves_per_level`, and every leaf has a uniformly drawn class.
/// Rows have `n_num_features` numeric features `x_num_*` uniform in [0, 1) and
/// `n_cat_features` nominal ones `x_cat_*` (codes `0..n_categories_per_feature`); the class
/// is the leaf the row reaches ([`RandomTree::classify`]).
#[derive(Clone, Debug)]
pub struct RandomTree {
    params: RandomTreeParams,
    nodes: Vec<Node>,
    children: Vec<usize>,
    rng: SynthRng,
    schema: Schema,
}

impl RandomTree {
    /// The class the tree gives row `x` (numeric features first, then nominal codes);
    /// `None` when the row is too short or a nominal code is out of range.
    pub fn classify(&self, x: &[f64]) -> Option<f64> {
        let mut at = 0;
        loop {
            match self.nodes.get(at)? {
                Node::Leaf(c) => return Some(*c),
                Node::Numeric {
                    feature,
                    threshold,
                    left,
                    right,
                } => {
                    at = if *x.get(*feature)? < *threshold {
                        *left
                    } else {
                        *right
                    };
                }
                Node::Nominal {
                    feature,
                    first_child,
                } => {
                    let code = *x.get(*feature)?;
                    let k = self.params.n_categories_per_feature;
                    if !(code >= 0.0 && code < k as f64 && code.fract() == 0.0) {
                        return None;
                    }
                    at = *self.children.get(first_child + code as usize)?;
                }
            }
        }
    }

    /// The number of nodes of the tree (leaves and splits).
    pub fn n_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// The parameters it was built with.
    pub fn params(&self) -> &RandomTreeParams {
        &self.params
    }
}

impl Generator for RandomTree {
    fn name(&self) -> &'static str {
        "random_tree"
    }
    fn schema(&self) -> &Schema {
        &self.schema
    }
    fn task(&self) -> Task {
        classification_task(self.params.n_classes)
    }
    fn n_classes(&self) -> Option<usize> {
        Some(self.params.n_classes)
    }
    fn fill(&mut self, x: &mut [f64]) -> Sample {
        let n_num = self.params.n_num_features;
        let k = self.params.n_categories_per_feature as u64;
        for v in &mut x[..n_num] {
            *v = self.rng.uniform();
        }
        for v in &mut x[n_num..] {
            *v = self.rng.below(k) as f64;
        }
        Sample::at(self.classify(x).unwrap_or(0.0))
    }
}
