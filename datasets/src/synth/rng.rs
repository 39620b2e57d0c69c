//! The one random source of the generators: ChaCha8 with portable conversions.
//!
//! Every draw is made from `ChaCha8Rng::next_u64` (a fixed stream for a given seed on every
//! platform) by conversions written here, so no part of a generated stream depends on how a
//! `rand` release maps bits to numbers, and the only floating-point functions used beyond
//! IEEE arithmetic come from `libm` (a pure-Rust port of musl's), not the platform's maths
//! library.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A seeded ChaCha8 stream with the draws the generators need.
#[derive(Clone, Debug)]
pub(crate) struct SynthRng {
    inner: ChaCha8Rng,
    /// The second normal value of the last polar draw, not yet used.
    spare_normal: Option<f64>,
}

/// 2^-53: maps the top 53 bits of a word to [0, 1).
const UNIT: f64 = 1.0 / (1u64 << 53) as f64;

impl SynthRng {
    /// A stream from `seed` (rand_core's `seed_from_u64`, whose expansion is fixed by its
    /// value-stability policy), or from the operating system's entropy when `None`.
    pub(crate) fn new(seed: Option<u64>) -> Self {
        Self::with_stream(seed, 0)
    }

    /// As [`new`](Self::new), on ChaCha's independent stream number `stream` (for a second
    /// source seeded with the same seed).
    pub(crate) fn with_stream(seed: Option<u64>, stream: u64) -> Self {
        let mut inner = match seed {
            Some(s) => ChaCha8Rng::seed_from_u64(s),
            None => rand::make_rng::<ChaCha8Rng>(),
        };
        inner.set_stream(stream);
        SynthRng {
            inner,
            spare_normal: None,
        }
    }

    /// A raw 64-bit word.
    #[inline]
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Uniform on [0, 1): the top 53 bits of a word.
    #[inline]
    pub(crate) fn uniform(&mut self) -> f64 {
        (self.inner.next_u64() >> 11) as f64 * UNIT
    }

    /// Uniform integer in `0..n` (`n` ≥ 1) by multiply-and-shift of a word; the bias is at
    /// most n / 2^64, far below anything a stream can show.
    #[inline]
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.inner.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform integer in `lo..=hi` as a float (River's `randint(lo, hi)`).
    #[inline]
    pub(crate) fn int_in(&mut self, lo: i64, hi: i64) -> f64 {
        (lo + self.below((hi - lo + 1) as u64) as i64) as f64
    }

    /// True with probability `p` (`uniform() < p`).
    #[inline]
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// A standard normal value: Marsaglia's polar method (two values per accepted pair, the
    /// second kept for the next call), with `libm::log` so the value is the same everywhere.
    pub(crate) fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        loop {
            let u = 2.0 * self.uniform() - 1.0;
            let v = 2.0 * self.uniform() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let f = (-2.0 * libm::log(s) / s).sqrt();
                self.spare_normal = Some(v * f);
                return u * f;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_stay_in_their_ranges_and_seeds_repeat() {
        let mut a = SynthRng::new(Some(3));
        let mut b = SynthRng::new(Some(3));
        for _ in 0..10_000 {
            let u = a.uniform();
            assert!((0.0..1.0).contains(&u));
            assert_eq!(u.to_bits(), b.uniform().to_bits());
            let k = a.int_in(20, 80);
            assert!((20.0..=80.0).contains(&k) && k.fract() == 0.0);
            assert_eq!(k, b.int_in(20, 80));
            assert!(a.below(7) < 7);
            b.below(7);
        }
        let mut c = SynthRng::with_stream(Some(3), 1);
        let mut d = SynthRng::new(Some(3));
        assert_ne!(c.next_u64(), d.next_u64(), "streams 0 and 1 differ");
    }

    #[test]
    fn normal_values_have_mean_zero_and_variance_one() {
        let mut r = SynthRng::new(Some(11));
        let n = 200_000;
        let (mut s, mut s2) = (0.0, 0.0);
        for _ in 0..n {
            let z = r.normal();
            s += z;
            s2 += z * z;
        }
        let mean = s / n as f64;
        let var = s2 / n as f64 - mean * mean;
        // Standard errors: 1/sqrt(n) = 0.0022 for the mean, sqrt(2/n) = 0.0032 for the
        // variance; five of them.
        assert!(mean.abs() < 0.011, "{mean}");
        assert!((var - 1.0).abs() < 0.016, "{var}");
    }

    #[test]
    fn integers_are_uniform() {
        let mut r = SynthRng::new(Some(5));
        let mut counts = [0u32; 9];
        for _ in 0..90_000 {
            counts[r.below(9) as usize] += 1;
        }
        // 10,000 expected each; the standard deviation is about 94.
        for c in counts {
            assert!((9_500..=10_500).contains(&c), "{counts:?}");
        }
    }
}
