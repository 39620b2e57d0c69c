//! The random numbers scikit-learn's trees and forests draw, so that a seed here gives the
//! tree scikit-learn gives for the same `random_state`.
//!
//! Two generators are involved:
//! - numpy's legacy `RandomState(seed)`: MT19937 seeded by `init_genrand(seed)` (the
//!   generator itself is the `rand_mt` crate's), and its `randint(low, high)`, which masks
//!   32-bit draws to the smallest power-of-two range holding `high - low` values and draws
//!   again until one falls inside. A tree draws its splitter's seed from it; a forest draws a
//!   seed per tree and each tree's bootstrap rows.
//! - The splitter's own xorshift generator (scikit-learn's `rand_r` replacement), which picks
//!   the order in which a node visits its features.

use rand_mt::Mt;

/// The largest value scikit-learn's `rand_r` replacement returns, `2^31 - 1`; also the
/// exclusive upper end of the seeds scikit-learn draws for its splitters and for a forest's
/// trees.
pub(crate) const RAND_R_MAX: u32 = 0x7fff_ffff;

/// numpy's legacy `RandomState`, seeded with a 32-bit integer, as far as the trees use it.
pub(crate) struct NumpyRandomState {
    mt: Mt,
}

impl NumpyRandomState {
    /// `numpy.random.RandomState(seed)`.
    pub(crate) fn new(seed: u32) -> Self {
        NumpyRandomState { mt: Mt::new(seed) }
    }

    /// `randint(low, high)`: uniform in `[low, high)`, by numpy's masked rejection on 32-bit
    /// draws. `high > low`.
    pub(crate) fn randint(&mut self, low: u32, high: u32) -> u32 {
        debug_assert!(high > low);
        let range = high - low - 1;
        if range == 0 {
            // numpy returns `low` without drawing.
            return low;
        }
        let mut mask = range;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        loop {
            let v = self.mt.next_u32() & mask;
            if v <= range {
                return low + v;
            }
        }
    }
}

/// The seed scikit-learn's splitter starts its xorshift generator from, for a tree whose
/// `random_state` is the integer `seed`: the first `randint(0, RAND_R_MAX)` of a fresh
/// `RandomState(seed)`.
pub(crate) fn splitter_seed(seed: u32) -> u32 {
    NumpyRandomState::new(seed).randint(0, RAND_R_MAX)
}

/// scikit-learn's `rand_r` replacement: a 32-bit xorshift whose outputs are taken modulo
/// `2^31`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RandR {
    state: u32,
}

impl RandR {
    /// A generator at `state`.
    pub(crate) fn new(state: u32) -> Self {
        RandR { state }
    }

    /// The next value in `[0, 2^31)`.
    fn next(&mut self) -> u32 {
        // A zero state would stay zero: scikit-learn moves it to 1.
        if self.state == 0 {
            self.state = 1;
        }
        self.state ^= self.state << 13;
        self.state ^= self.state >> 17;
        self.state ^= self.state << 5;
        self.state & RAND_R_MAX
    }

    /// A value in `[low, high)` (`high > low`): `low + next() % (high - low)`, scikit-learn's
    /// `rand_int`.
    pub(crate) fn below(&mut self, low: usize, high: usize) -> usize {
        debug_assert!(high > low);
        low + (self.next() as usize) % (high - low)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The values below are numpy 2.4's, printed by
    // `np.random.RandomState(s).randint(...)`.

    #[test]
    fn splitter_seeds_are_numpys_first_draws() {
        let got: Vec<u32> = [0, 1, 7, 42, u32::MAX]
            .iter()
            .map(|&s| splitter_seed(s))
            .collect();
        assert_eq!(
            got,
            [209652396, 1791095845, 327741615, 1608637542, 419326371]
        );
    }

    #[test]
    fn a_forest_draws_its_tree_seeds_in_sequence() {
        let mut rs = NumpyRandomState::new(0);
        let got: Vec<u32> = (0..5).map(|_| rs.randint(0, RAND_R_MAX)).collect();
        assert_eq!(
            got,
            [209652396, 398764591, 924231285, 1478610112, 441365315]
        );
    }

    #[test]
    fn bootstrap_rows_are_numpys() {
        let mut rs = NumpyRandomState::new(209652396);
        let got: Vec<u32> = (0..10).map(|_| rs.randint(0, 105)).collect();
        assert_eq!(got, [99, 50, 32, 64, 54, 41, 39, 67, 73, 70]);
        let mut rs = NumpyRandomState::new(5);
        let got: Vec<u32> = (0..10).map(|_| rs.randint(0, 7)).collect();
        assert_eq!(got, [3, 6, 5, 6, 6, 0, 1, 0, 4, 6]);
        // A range of one value draws nothing.
        let mut rs = NumpyRandomState::new(5);
        assert_eq!(rs.randint(3, 4), 3);
        assert_eq!(rs.randint(0, 7), 3);
    }

    #[test]
    fn rand_r_is_a_xorshift_modulo_2_31() {
        let mut r = RandR::new(0);
        // State 0 is moved to 1: 1 ^ 1<<13 = 8193; ^ >>17 = 8193; ^ <<5 = 8193 ^ 262176.
        assert_eq!(r.next(), 8193 ^ (8193 << 5));
        let mut r = RandR::new(0xffff_ffff);
        let mut s: u32 = 0xffff_ffff;
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        assert_eq!(r.next(), s & 0x7fff_ffff);
        let mut r = RandR::new(12345);
        for _ in 0..100 {
            let v = r.below(3, 10);
            assert!((3..10).contains(&v));
        }
    }
}
