//! Class labels (numbers or strings) and the per-model class set.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A class label: a number or a string.
///
/// Labels are totally ordered (numbers before strings, numbers by value, strings lexically), so
/// a class set is sorted as CLI.md asks. `-0.0` equals `0.0`; NaN is not a label.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Label {
    /// A numeric label such as `0`, `1` or `2.5`.
    Num(f64),
    /// A text label such as `"setosa"`, shared: cloning a label (every prediction returns
    /// one) copies a pointer, never the text, so predicting allocates nothing.
    Text(Arc<str>),
}

impl Label {
    /// A numeric label, refusing NaN and infinities.
    pub fn num(v: f64) -> Result<Self> {
        if v.is_finite() {
            Ok(Label::Num(if v == 0.0 { 0.0 } else { v }))
        } else {
            Err(Error::BadLabel {
                label: v.to_string(),
                reason: "a numeric label must be finite".into(),
            })
        }
    }

    /// Checks that a numeric label is finite (a `Label::Num` built directly may hold NaN).
    #[inline]
    pub fn check(&self) -> Result<()> {
        match self {
            Label::Num(v) if !v.is_finite() => Err(Error::BadLabel {
                label: v.to_string(),
                reason: "a numeric label must be finite".into(),
            }),
            _ => Ok(()),
        }
    }

    /// The label as a number, if it is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Label::Num(v) => Some(*v),
            Label::Text(_) => None,
        }
    }

    #[inline]
    fn key(v: f64) -> u64 {
        // -0.0 and 0.0 are the same label.
        if v == 0.0 { 0 } else { v.to_bits() }
    }
}

impl From<&str> for Label {
    fn from(s: &str) -> Self {
        Label::Text(s.into())
    }
}

impl From<String> for Label {
    fn from(s: String) -> Self {
        Label::Text(s.into())
    }
}

impl From<bool> for Label {
    fn from(b: bool) -> Self {
        Label::Num(if b { 1.0 } else { 0.0 })
    }
}

impl From<i64> for Label {
    fn from(v: i64) -> Self {
        Label::Num(v as f64)
    }
}

impl PartialEq for Label {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        // The same answer as `cmp(..) == Equal`, without the ordering.
        match (self, other) {
            (Label::Num(a), Label::Num(b)) => Label::key(*a) == Label::key(*b),
            (Label::Text(a), Label::Text(b)) => Arc::ptr_eq(a, b) || a == b,
            _ => false,
        }
    }
}

impl Eq for Label {}

impl PartialOrd for Label {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Label {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Label::Num(a), Label::Num(b)) => {
                if Label::key(*a) == Label::key(*b) {
                    Ordering::Equal
                } else {
                    a.total_cmp(b)
                }
            }
            (Label::Num(_), Label::Text(_)) => Ordering::Less,
            (Label::Text(_), Label::Num(_)) => Ordering::Greater,
            (Label::Text(a), Label::Text(b)) => a.cmp(b),
        }
    }
}

impl Hash for Label {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Label::Num(v) => {
                0u8.hash(state);
                Label::key(*v).hash(state);
            }
            Label::Text(s) => {
                1u8.hash(state);
                s.hash(state);
            }
        }
    }
}

impl fmt::Display for Label {
    /// Numbers in shortest round-trip form (`1`, `2.5`), strings as they are.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Label::Num(v) => write!(f, "{v}"),
            Label::Text(s) => f.write_str(s),
        }
    }
}

/// The classes a model knows, sorted, each with its index.
///
/// Index `i` is the `i`-th smallest label; a model keeps its per-class state in the same order,
/// and probabilities are reported in this order. Adding a class returns the index where it was
/// inserted so the model can insert its own state there.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClassSet {
    labels: Vec<Label>,
}

impl ClassSet {
    /// An empty class set.
    pub fn new() -> Self {
        Self::default()
    }

    /// A class set from any labels (sorted, duplicates removed).
    pub fn from_labels<'a>(labels: impl IntoIterator<Item = &'a Label>) -> Self {
        let mut v: Vec<Label> = labels.into_iter().cloned().collect();
        v.sort();
        v.dedup();
        ClassSet { labels: v }
    }

    /// Number of classes.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when no class is known yet.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The index of a label, if known.
    #[inline]
    pub fn index_of(&self, label: &Label) -> Option<usize> {
        // A few classes (the common case) are found faster by equality, in order, than by
        // bisection with the full ordering; the answer is the same (labels are unique).
        if self.labels.len() <= 8 {
            return self.labels.iter().position(|l| l == label);
        }
        self.labels.binary_search(label).ok()
    }

    /// The label at an index.
    pub fn label(&self, index: usize) -> Option<&Label> {
        self.labels.get(index)
    }

    /// The labels in index order.
    pub fn labels(&self) -> &[Label] {
        &self.labels
    }

    /// Adds a label if new. Returns its index and whether it was inserted (in which case
    /// every index at or after it moved up by one).
    pub fn insert(&mut self, label: &Label) -> (usize, bool) {
        match self.labels.binary_search(label) {
            Ok(i) => (i, false),
            Err(i) => {
                self.labels.insert(i, label.clone());
                (i, true)
            }
        }
    }

    /// The label of the positive class in binary metrics: the larger label.
    pub fn positive(&self) -> Option<&Label> {
        self.labels.last()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_order_numbers_before_text_and_zero_is_signless() {
        let mut cs = ClassSet::new();
        assert_eq!(cs.insert(&Label::from("b")), (0, true));
        assert_eq!(cs.insert(&Label::Num(2.0)), (0, true));
        assert_eq!(cs.insert(&Label::Num(-0.0)), (0, true));
        assert_eq!(cs.insert(&Label::Num(0.0)), (0, false));
        assert_eq!(cs.insert(&Label::from("a")), (2, true));
        let shown: Vec<String> = cs.labels().iter().map(|l| l.to_string()).collect();
        assert_eq!(shown, ["-0", "2", "a", "b"]);
        assert_eq!(cs.index_of(&Label::Num(0.0)), Some(0));
        assert!(Label::num(f64::NAN).is_err());
    }
}
