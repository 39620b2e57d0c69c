//! The descent of a tree's last prediction, kept for the learning step of the same row that
//! usually follows it (the prequential protocol: predict the row, then learn it, two calls).
//!
//! A prediction takes `&self`, so what it keeps is in atomics: the model stays `Sync`, and
//! predictions from several threads at once are safe (one of them is kept, whole, or none).
//! Learning takes `&mut self` and reads the memo without atomic operations. The memo holds
//! the row's values bit for bit; learning uses it only for a row equal to it, and any
//! learning step clears it first, so a memo never outlives the tree it was taken from.

use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};

/// The widest row kept (wider rows are learned without a memo).
pub(crate) const MEMO_WIDTH: usize = 16;

const EMPTY: u8 = 0;
const WRITING: u8 = 1;
const READY: u8 = 2;

/// What a prediction found for a row: the leaf it reached by a descent that learning would
/// repeat (every branch on the way had a child for the row's value), and, when the leaf's
/// probabilities were naive Bayes votes, the class they favoured (`Some(None)`: nothing to
/// vote with).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Found {
    pub leaf: usize,
    pub nb: Option<Option<usize>>,
}

/// The last prediction's [`Found`] and its row (see the module's documentation). Cloning,
/// comparing and serialising a model ignore it: a clone starts without one, and two trees
/// equal but for their memos are equal.
#[derive(Debug, Default)]
pub(crate) struct Memo {
    state: AtomicU8,
    len: AtomicUsize,
    row: [AtomicU64; MEMO_WIDTH],
    leaf: AtomicUsize,
    /// `nb` encoded: 0 for `None`, 1 for `Some(None)`, `2 + c` for `Some(Some(c))`.
    nb: AtomicUsize,
}

impl Clone for Memo {
    fn clone(&self) -> Self {
        Memo::default()
    }
}

impl PartialEq for Memo {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Memo {
    /// Keeps `found` for row `x` (unless another prediction is being kept at this moment,
    /// or the row is too wide).
    #[inline]
    pub(crate) fn keep(&self, x: &[f64], found: Found) {
        if x.len() > MEMO_WIDTH {
            return;
        }
        let st = self.state.load(Ordering::Relaxed);
        if st == WRITING
            || self
                .state
                .compare_exchange(st, WRITING, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        self.len.store(x.len(), Ordering::Relaxed);
        for (slot, v) in self.row.iter().zip(x) {
            slot.store(v.to_bits(), Ordering::Relaxed);
        }
        self.leaf.store(found.leaf, Ordering::Relaxed);
        let nb = match found.nb {
            None => 0,
            Some(None) => 1,
            Some(Some(c)) => c.saturating_add(2),
        };
        self.nb.store(nb, Ordering::Relaxed);
        self.state.store(READY, Ordering::Release);
    }

    /// What was kept for row `x`, if the last prediction kept it for this very row; the
    /// memo is empty afterwards.
    #[inline]
    pub(crate) fn take(&mut self, x: &[f64]) -> Option<Found> {
        let st = std::mem::replace(self.state.get_mut(), EMPTY);
        if st != READY || *self.len.get_mut() != x.len() {
            return None;
        }
        for (slot, v) in self.row.iter_mut().zip(x) {
            if *slot.get_mut() != v.to_bits() {
                return None;
            }
        }
        let nb = match *self.nb.get_mut() {
            0 => None,
            1 => Some(None),
            c => Some(Some(c - 2)),
        };
        Some(Found {
            leaf: *self.leaf.get_mut(),
            nb,
        })
    }

    /// Forgets what was kept (the tree is about to change).
    #[inline]
    pub(crate) fn clear(&mut self) {
        *self.state.get_mut() = EMPTY;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_memo_serves_the_same_row_once_and_no_other() {
        let mut m = Memo::default();
        let found = Found {
            leaf: 7,
            nb: Some(Some(3)),
        };
        m.keep(&[1.0, -2.5], found);
        assert_eq!(m.take(&[1.0, -2.5]), Some(found));
        // Taken: empty now.
        assert_eq!(m.take(&[1.0, -2.5]), None);
        m.keep(&[1.0, -2.5], found);
        assert_eq!(m.take(&[1.0, -2.0]), None);
        m.keep(&[1.0, -2.5], found);
        assert_eq!(m.take(&[1.0]), None);
        m.keep(&[0.0], Found { leaf: 1, nb: None });
        // -0.0 is another row, bit for bit.
        assert_eq!(m.take(&[-0.0]), None);
        m.keep(
            &[0.0],
            Found {
                leaf: 1,
                nb: Some(None),
            },
        );
        m.clear();
        assert_eq!(m.take(&[0.0]), None);
        m.keep(&[0.5; MEMO_WIDTH + 1], found);
        assert_eq!(m.take(&[0.5; MEMO_WIDTH + 1]), None);
        m.keep(
            &[0.5; MEMO_WIDTH],
            Found {
                leaf: 2,
                nb: Some(None),
            },
        );
        assert_eq!(
            m.take(&[0.5; MEMO_WIDTH]),
            Some(Found {
                leaf: 2,
                nb: Some(None)
            })
        );
        assert!(m.clone() == m && m.clone().take(&[0.5; MEMO_WIDTH]).is_none());
    }
}
