//! Python's `random.Random`, draw for draw: the Mersenne Twister (MT19937) seeded as Python
//! seeds it, and the few draws River's models make (uniforms, bounded integers, samples,
//! Poisson counts, Gaussians). With the same seed, a model here makes River's random choices
//! (the adaptive trees and forests, CluStream's macro step), so its results can be compared
//! with River's exactly.
//!
//! The generator is written here rather than taken from `rand_mt` because a model's
//! checkpoint must carry its state, and that crate's state cannot be serialised; `rand_mt`
//! is the reference the tests hold this one to.

use serde::{Deserialize, Serialize};

const N: usize = 624;
const M: usize = 397;

/// MT19937 with Python's seeding, and Python's draws on top of it.
#[derive(Clone, Serialize, Deserialize)]
pub struct PyRandom {
    state: Vec<u32>,
    idx: usize,
}

impl std::fmt::Debug for PyRandom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PyRandom {{ idx: {} }}", self.idx)
    }
}

impl PartialEq for PyRandom {
    fn eq(&self, other: &Self) -> bool {
        self.idx == other.idx && self.state == other.state
    }
}

impl PyRandom {
    /// `random.Random(seed)`: the key is the seed's 32-bit words, low first (`[0]` for 0).
    pub fn new(seed: u64) -> Self {
        let mut mt = PyRandom {
            state: vec![0; N],
            idx: N,
        };
        mt.reseed(seed);
        mt
    }

    /// `seed(seed)` on this generator: the state of [`new`](Self::new)`(seed)`, written in
    /// place (no allocation).
    pub fn reseed(&mut self, seed: u64) {
        let (lo, hi) = (seed as u32, (seed >> 32) as u32);
        let key: &[u32] = if hi == 0 { &[lo] } else { &[lo, hi] };
        self.state.resize(N, 0);
        self.init_genrand(19_650_218);
        self.init_by_array(key);
    }

    fn init_genrand(&mut self, s: u32) {
        self.state[0] = s;
        for i in 1..N {
            let prev = self.state[i - 1];
            self.state[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        self.idx = N;
    }

    fn init_by_array(&mut self, key: &[u32]) {
        let (mut i, mut j) = (1usize, 0usize);
        for _ in 0..N.max(key.len()) {
            let prev = self.state[i - 1];
            self.state[i] = (self.state[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                self.state[0] = self.state[N - 1];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            let prev = self.state[i - 1];
            self.state[i] = (self.state[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_566_083_941))
                .wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                self.state[0] = self.state[N - 1];
                i = 1;
            }
        }
        self.state[0] = 0x8000_0000;
    }

    fn twist(&mut self) {
        for i in 0..N {
            let y = (self.state[i] & 0x8000_0000) | (self.state[(i + 1) % N] & 0x7fff_ffff);
            let mut v = self.state[(i + M) % N] ^ (y >> 1);
            if y & 1 != 0 {
                v ^= 0x9908_b0df;
            }
            self.state[i] = v;
        }
        self.idx = 0;
    }

    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        if self.idx >= N {
            self.twist();
        }
        let mut y = self.state[self.idx];
        self.idx += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `random()`: a uniform in [0, 1) with 53 random bits.
    pub fn random(&mut self) -> f64 {
        let a = (self.next_u32() >> 5) as f64;
        let b = (self.next_u32() >> 6) as f64;
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// `_randbelow(n)` for `n >= 1` up to 2^32: rejection over `bit_length(n)` bits.
    pub fn below(&mut self, n: usize) -> usize {
        debug_assert!(n >= 1 && n as u64 <= 1 << 32);
        let k = usize::BITS - n.leading_zeros();
        loop {
            let r = (self.next_u32() >> (32 - k)) as usize;
            if r < n {
                return r;
            }
        }
    }

    /// `sample(range(n), k)` for `k <= n` (the pool method, which Python uses for the small
    /// populations of feature sets): `k` distinct indices in draw order.
    pub fn sample(&mut self, n: usize, k: usize, out: &mut Vec<usize>) {
        out.clear();
        let mut pool: Vec<usize> = (0..n).collect();
        for i in 0..k.min(n) {
            let j = self.below(n - i);
            out.push(pool[j]);
            pool[j] = pool[n - i - 1];
        }
    }

    /// River's Poisson draw (Knuth's product of uniforms) of mean `rate`. A rate so small
    /// that `exp(-rate)` rounds to 1 (or not above 0) draws nothing and gives 0, where River's
    /// gives -1, which its forests take as "do not learn" just as they take 0.
    pub fn poisson(&mut self, rate: f64) -> u32 {
        let l = (-rate).exp();
        let (mut k, mut p) = (0u32, 1.0f64);
        while p > l {
            k = k.saturating_add(1);
            p *= self.random();
        }
        k.saturating_sub(1)
    }

    /// Python's `gauss()` draws its standard normals in pairs from two uniforms (Box-Muller:
    /// `cos` first, then `sin` on the next call, kept in `gauss_next`): this returns both, in
    /// the order `gauss()` gives them. `mu + z * sigma` is then `gauss(mu, sigma)`.
    pub fn gauss_pair(&mut self) -> (f64, f64) {
        let x2pi = self.random() * (2.0 * std::f64::consts::PI);
        let g2rad = (-2.0 * (1.0 - self.random()).ln()).sqrt();
        (x2pi.cos() * g2rad, x2pi.sin() * g2rad)
    }
}

impl crate::check::CheckState for PyRandom {
    /// MT19937's 624 words and a position in them (624: a twist is due).
    fn check_state(&self) -> crate::check::StateResult {
        use crate::check::*;
        same_len("random state", self.state.len(), N)?;
        ensure(self.idx <= N, || {
            format!("random state: position {} past {N}", self.idx)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_raw_stream_is_rand_mt_s_for_a_python_key() {
        for key in [vec![0u32], vec![1], vec![42], vec![7, 256]] {
            let mut ours = PyRandom::new(match key.as_slice() {
                [lo] => *lo as u64,
                [lo, hi] => *lo as u64 | (*hi as u64) << 32,
                _ => unreachable!(),
            });
            let mut reference = rand_mt::Mt::new_with_key(key.iter().copied());
            for _ in 0..2000 {
                assert_eq!(ours.next_u32(), reference.next_u32(), "key {key:?}");
            }
        }
    }

    #[test]
    fn draws_are_python_s() {
        // random.Random(1): random() x5, then from fresh generators poisson(1) and poisson(6)
        // x20 each (River's utils.random.poisson), as recorded with Python 3.11.
        let mut r = PyRandom::new(1);
        let want = [
            0.13436424411240122,
            0.8474337369372327,
            0.763774618976614,
            0.2550690257394217,
            0.49543508709194095,
        ];
        for w in want {
            assert_eq!(r.random(), w);
        }
        let mut r = PyRandom::new(1);
        let p1: Vec<u32> = (0..20).map(|_| r.poisson(1.0)).collect();
        assert_eq!(
            p1,
            [0, 2, 1, 2, 0, 1, 1, 1, 0, 2, 0, 2, 0, 1, 0, 1, 0, 0, 0, 1]
        );
        let mut r = PyRandom::new(1);
        let p6: Vec<u32> = (0..20).map(|_| r.poisson(6.0)).collect();
        assert_eq!(
            p6,
            [8, 4, 5, 4, 3, 5, 4, 10, 6, 7, 5, 5, 10, 3, 9, 6, 3, 9, 1, 5]
        );
        // rng.sample(sorted keys of a phishing row, 3) picks positions 2, 1, 8.
        let mut r = PyRandom::new(1);
        let mut out = Vec::new();
        r.sample(9, 3, &mut out);
        assert_eq!(out, [2, 1, 8]);
    }

    #[test]
    fn gaussians_are_python_s() {
        // random.Random(42).gauss(0, 1) x6 and random.Random(7).gauss(2, 3) x3, Python 3.11.
        let mut r = PyRandom::new(42);
        let mut got = Vec::new();
        for _ in 0..3 {
            let (a, b) = r.gauss_pair();
            got.extend([a, b]);
        }
        assert_eq!(
            got,
            [
                -0.14409032957792836,
                -0.1729036003315193,
                -0.11131586156766246,
                0.7019837250988631,
                -0.12758828378288709,
                -1.4973534143409575
            ]
        );
        let mut r = PyRandom::new(7);
        let (a, b) = r.gauss_pair();
        let (c, _) = r.gauss_pair();
        assert_eq!(
            [2.0 + a * 3.0, 2.0 + b * 3.0, 2.0 + c * 3.0],
            [1.2323591346571987, 3.534294537549542, 1.3217115056506858]
        );
    }

    #[test]
    fn reseeding_in_place_is_a_new_generator() {
        let mut a = PyRandom::new(3);
        for _ in 0..1500 {
            a.next_u32();
        }
        a.reseed(11);
        let mut b = PyRandom::new(11);
        assert_eq!(a, b);
        for _ in 0..700 {
            assert_eq!(a.next_u32(), b.next_u32());
        }
    }

    #[test]
    fn a_restored_generator_continues_the_stream() {
        let mut a = PyRandom::new(5);
        for _ in 0..1000 {
            a.next_u32();
        }
        let bytes = serde_json::to_vec(&a).unwrap();
        let mut b: PyRandom = serde_json::from_slice(&bytes).unwrap();
        for _ in 0..2000 {
            assert_eq!(a.next_u32(), b.next_u32());
        }
    }

    /// A rate whose `exp(-rate)` rounds to 1 draws nothing: 0, not an underflow (the
    /// checkpoint fuzz target found it through a forest of `lambda = 1e-300`).
    #[test]
    fn a_vanishing_poisson_rate_draws_zero() {
        let mut r = PyRandom::new(7);
        for rate in [1e-300, 1e-17, 0.0, -1.0] {
            assert_eq!(r.poisson(rate), 0, "rate {rate}");
        }
        assert!((0..1000).map(|_| r.poisson(6.0)).any(|k| k > 0));
    }
}
