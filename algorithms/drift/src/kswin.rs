//! KSWIN: Kolmogorov-Smirnov windowing (Raab et al., 2020), River's algorithm with a seeded
//! portable random generator.

use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, all_finite, ensure, index, same_len, within};
use tidewater_core::spec::Params;
use tidewater_core::{Build, Error, Result};

/// The longest window accepted (2^26 values).
const MAX_WINDOW: usize = 1 << 26;

/// Hyper-parameters of [`Kswin`] (River's names and defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "kswin",
    summary = "KSWIN: Kolmogorov-Smirnov test of the newest values against a random sample of older ones (seeded)",
    check = Self::check
)]
pub struct KswinParams {
    /// Significance of the Kolmogorov-Smirnov test.
    #[param(default = 0.005, gt = 0, lt = 1)]
    pub alpha: f64,
    /// Length of the sliding window, at least twice stat_size.
    #[param(default = 100, le = MAX_WINDOW)]
    pub window_size: usize,
    /// Newest values tested, and size of the random sample of older ones; at most 10000 (the sizes scipy's exact test covers, which River's method="auto" uses).
    #[param(default = 30, ge = 1, le = 10_000)]
    pub stat_size: usize,
    /// Seed of the random sampling (ChaCha8); none draws one from the operating system.
    #[param(default = None)]
    pub seed: Option<u64>,
    /// Values to start the window with (River's window), oldest first.
    #[param(default = None)]
    pub window: Option<Vec<f64>>,
}

impl KswinParams {
    fn check(&self) -> Result<()> {
        if self.window_size < 2 * self.stat_size {
            return Err(Error::param(
                "window_size",
                format!(
                    "must be at least twice stat_size ({}), got {}: the random sample is drawn \
                     without replacement from the older window_size - stat_size values",
                    self.stat_size, self.window_size
                ),
            ));
        }
        if let Some(w) = &self.window
            && let Some(bad) = w.iter().find(|v| !v.is_finite())
        {
            return Err(Error::param(
                "window",
                format!("values must be finite, got {bad}"),
            ));
        }
        Ok(())
    }
}

impl Build for KswinParams {
    type Model = Kswin;
    fn build(&self) -> Result<Kswin> {
        self.validate()?;
        let seed = self.seed.unwrap_or_else(|| rand::rng().random());
        let n = self.window_size;
        let r = self.stat_size;
        let mut m = Kswin {
            params: self.clone(),
            seed,
            rng: ChaCha8Rng::seed_from_u64(seed),
            window: vec![0.0; n],
            start: 0,
            len: 0,
            perm: (0..(n - r) as u32).collect(),
            p_values: ks_p_values(r),
            sample: vec![0.0; r],
            recent: vec![0.0; r],
            p_value: 0.0,
            n: 0,
            drift: false,
        };
        if let Some(w) = &self.window {
            // River keeps the newest `window_size` of them.
            for &v in w.iter().skip(w.len().saturating_sub(n)) {
                m.push(v);
            }
        }
        Ok(m)
    }
}

/// KSWIN (Kolmogorov-Smirnov windowing): keeps a sliding window of `window_size` values;
/// once full, compares its newest `stat_size` values with `stat_size` values drawn at random
/// (without replacement) from the older ones, and reports a drift when the two-sample
/// Kolmogorov-Smirnov test rejects at level `alpha` with a statistic above 0.1.
///
/// **River's algorithm**, with one difference: the random sample is drawn with a ChaCha8
/// generator seeded from `seed` (reseeded from it at every reset, as River reseeds Python's
/// generator), so with the same seed it samples other positions than River. The p-value is
/// scipy's exact two-sided probability for two samples of equal size (its `method="auto"`
/// for samples up to 10,000 values), tabulated once per detector; River's drift condition
/// `p <= alpha and statistic > 0.1` is kept. After a drift the window keeps only the newest
/// `stat_size` values, and the next update starts afresh, as in River.
///
/// `stat_size` must be at most half of `window_size` (River fails at run time otherwise).
/// Without a seed, one is drawn from the operating system and a reset draws the next seed
/// from the detector's own generator, so a saved detector resumes deterministically.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Kswin {
    params: KswinParams,
    seed: u64,
    rng: ChaCha8Rng,
    /// Ring buffer of the window.
    window: Vec<f64>,
    start: usize,
    len: usize,
    /// A permutation of the older positions; its first `stat_size` entries are the sample.
    perm: Vec<u32>,
    /// `p_values[h]`: the probability that the statistic reaches `h / stat_size`.
    p_values: Vec<f64>,
    #[serde(skip)]
    sample: Vec<f64>,
    #[serde(skip)]
    recent: Vec<f64>,
    p_value: f64,
    n: u64,
    drift: bool,
}

impl PartialEq for Kswin {
    fn eq(&self, o: &Self) -> bool {
        // The scratch buffers of the test are not state.
        self.params == o.params
            && self.seed == o.seed
            && self.rng == o.rng
            && self.window == o.window
            && self.start == o.start
            && self.len == o.len
            && self.perm == o.perm
            && self.p_values == o.p_values
            && self.p_value.to_bits() == o.p_value.to_bits()
            && self.n == o.n
            && self.drift == o.drift
    }
}

impl CheckState for Kswin {
    /// Parameters in range; the ring as long as the window, its start inside it and at most
    /// that many values in it, every value finite; the sampling permutation a permutation of
    /// the older `window_size - stat_size` positions; the p-value table one value per
    /// statistic `0..=stat_size`, each in \[0, 1\], as is the last p-value.
    fn check_state(&self) -> StateResult {
        crate::check_params(&self.params)?;
        let size = self.params.window_size;
        let r = self.params.stat_size;
        same_len("window", self.window.len(), size)?;
        index("start", self.start, size)?;
        ensure(self.len <= size, || {
            format!("len: {} values in a window of {size}", self.len)
        })?;
        all_finite("window", &self.window)?;
        let m = size - r;
        same_len("perm", self.perm.len(), m)?;
        let mut seen = vec![false; m];
        for (i, &p) in self.perm.iter().enumerate() {
            let p = p as usize;
            within(format_args!("perm[{i}]"), index("position", p, m))?;
            ensure(!std::mem::replace(&mut seen[p], true), || {
                format!("perm[{i}]: position {p} drawn twice")
            })?;
        }
        same_len("p_values", self.p_values.len(), r + 1)?;
        for (h, &p) in self.p_values.iter().enumerate() {
            ensure((0.0..=1.0).contains(&p), || {
                format!("p_values[{h}]: {p} is outside [0, 1]")
            })?;
        }
        ensure((0.0..=1.0).contains(&self.p_value), || {
            format!("p_value: {} is outside [0, 1]", self.p_value)
        })
    }
}

impl Kswin {
    /// A detector with River's defaults and the given seed.
    pub fn with_seed(seed: u64) -> Self {
        KswinParams::default()
            .seed(Some(seed))
            .build()
            .expect("default parameters are valid")
    }

    /// The hyper-parameters.
    pub fn params(&self) -> &KswinParams {
        &self.params
    }

    /// The p-value of the last test (0 before the window first filled, as River).
    pub fn p_value(&self) -> f64 {
        self.p_value
    }

    /// Values seen since the last reset.
    pub fn n(&self) -> u64 {
        self.n
    }

    /// The seed the random sampling restarts from at a reset.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    fn reset_state(&mut self) {
        if self.params.seed.is_none() {
            self.seed = self.rng.next_u64();
        }
        self.rng = ChaCha8Rng::seed_from_u64(self.seed);
        let m = self.perm.len() as u32;
        self.perm.iter_mut().zip(0..m).for_each(|(p, i)| *p = i);
        self.start = 0;
        self.len = 0;
        self.p_value = 0.0;
        self.n = 0;
        self.drift = false;
    }

    fn push(&mut self, x: f64) {
        let size = self.params.window_size;
        let mut end = self.start + self.len;
        if end >= size {
            end -= size;
        }
        self.window[end] = x;
        if self.len == size {
            self.start = if self.start + 1 == size {
                0
            } else {
                self.start + 1
            };
        } else {
            self.len += 1;
        }
    }

    #[inline]
    fn at(&self, i: usize) -> f64 {
        let size = self.params.window_size;
        let mut j = self.start + i;
        if j >= size {
            j -= size;
        }
        self.window[j]
    }

    fn step(&mut self, x: f64) {
        if self.drift {
            self.reset_state();
        }
        self.n += 1;
        self.push(x);
        let size = self.params.window_size;
        let r = self.params.stat_size;
        if self.len < size {
            self.drift = false;
            return;
        }
        if self.sample.len() != r {
            self.sample.resize(r, 0.0);
            self.recent.resize(r, 0.0);
        }
        // A partial Fisher-Yates shuffle: a uniform sample without replacement.
        let m = self.perm.len();
        for i in 0..r {
            let j = self.rng.random_range(i..m);
            self.perm.swap(i, j);
        }
        for i in 0..r {
            self.sample[i] = self.at(self.perm[i] as usize);
            self.recent[i] = self.at(size - r + i);
        }
        self.sample.sort_unstable_by(f64::total_cmp);
        self.recent.sort_unstable_by(f64::total_cmp);
        let h = ks_distance(&self.sample, &self.recent);
        self.p_value = self.p_values[h];
        let statistic = h as f64 * 1.0 / r as f64;
        if self.p_value <= self.params.alpha && statistic > 0.1 {
            self.drift = true;
            // River keeps only the newest values (the next update resets anyway).
            self.start = (self.start + size - r) % size;
            self.len = r;
        } else {
            self.drift = false;
        }
    }
}

/// `max_t |#{a <= t} - #{b <= t}|` over sorted samples of equal size: the two-sample
/// Kolmogorov-Smirnov statistic times the sample size, as an integer.
fn ks_distance(a: &[f64], b: &[f64]) -> usize {
    let (mut i, mut j, mut d) = (0usize, 0usize, 0usize);
    while i < a.len() && j < b.len() {
        let t = if a[i] <= b[j] { a[i] } else { b[j] };
        while i < a.len() && a[i] <= t {
            i += 1;
        }
        while j < b.len() && b[j] <= t {
            j += 1;
        }
        d = d.max(i.abs_diff(j));
    }
    d
}

/// scipy's exact two-sided p-value of the two-sample statistic `h / n` for two samples of
/// size `n` (`_compute_prob_outside_square`), for every `h` in `0..=n`, clipped to [0, 1].
fn ks_p_values(n: usize) -> Vec<f64> {
    (0..=n)
        .map(|h| {
            if h == 0 {
                return 1.0;
            }
            let nf = n as f64;
            let mut p_total = 0.0f64;
            let mut k = (nf / h as f64).floor() as i64;
            while k >= 0 {
                let mut p1 = 1.0f64;
                for j in 0..h as i64 {
                    let num = (n as i64 - k * h as i64 - j) as f64;
                    let den = (n as i64 + k * h as i64 + j + 1) as f64;
                    p1 = num * p1 / den;
                }
                p_total = p1 * (1.0 - p_total);
                k -= 1;
            }
            (2.0 * p_total).clamp(0.0, 1.0)
        })
        .collect()
}

crate::impl_detector!(Kswin, "kswin", Real, warning = false);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DriftDetector;

    #[test]
    fn statistic_counts_ties_like_scipy() {
        assert_eq!(ks_distance(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]), 0);
        assert_eq!(ks_distance(&[1.0, 1.0, 1.0], &[2.0, 2.0, 2.0]), 3);
        assert_eq!(ks_distance(&[0.0, 1.0, 1.0], &[1.0, 1.0, 2.0]), 1);
    }

    #[test]
    fn detects_a_jump_and_is_reproducible() {
        let xs: Vec<f64> = (0..1000)
            .map(|i| ((i * 7919) % 100) as f64 / 100.0 + if i < 500 { 0.0 } else { 3.0 })
            .collect();
        let a = Kswin::with_seed(42).update_many(&xs).unwrap();
        let b = Kswin::with_seed(42).update_many(&xs).unwrap();
        assert_eq!(a, b);
        assert!(a.drifts.iter().any(|&i| (500..540).contains(&i)), "{a:?}");
        assert!(a.drifts.iter().all(|&i| i >= 500), "{a:?}");
    }

    #[test]
    fn pins_the_first_random_draws() {
        // A change of random stream (rand, rand_chacha) would change the sample drawn.
        let mut rng = ChaCha8Rng::seed_from_u64(42);
        let first: Vec<usize> = (0..3).map(|_| rng.random_range(0..70usize)).collect();
        let mut again = ChaCha8Rng::seed_from_u64(42);
        let second: Vec<usize> = (0..3).map(|_| again.random_range(0..70usize)).collect();
        assert_eq!(first, second);
        assert_eq!(first, PINNED.to_vec());
    }

    const PINNED: [usize; 3] = [15, 47, 10];

    #[test]
    fn p_values_are_scipys() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/river/kswin_p_values.json"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let tables = v["p_values"].as_object().unwrap();
        assert!(tables.len() >= 5);
        for (n, want) in tables {
            let n: usize = n.parse().unwrap();
            let want: Vec<f64> = want
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            let got = ks_p_values(n);
            assert_eq!(got.len(), want.len());
            for (h, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_eq!(g.to_bits(), w.to_bits(), "n = {n}, h = {h}: {g} vs {w}");
            }
        }
    }

    #[test]
    fn corrupted_state_is_refused_naming_the_part() {
        let mut d = Kswin::with_seed(5);
        for i in 0..300 {
            d.update((i % 13) as f64).unwrap();
        }
        d.check_state().unwrap();
        let mut bad = d.clone();
        bad.perm[1] = bad.perm[0];
        assert!(bad.check_state().unwrap_err().contains("perm[1]"));
        let mut bad = d.clone();
        bad.perm[0] = 70;
        assert!(bad.check_state().unwrap_err().contains("perm[0]"));
        let mut bad = d.clone();
        bad.p_values.pop();
        // The statistic indexes the table up to stat_size.
        assert!(bad.check_state().unwrap_err().contains("p_values: 30"));
        let mut bad = d.clone();
        bad.len = 101;
        assert!(bad.check_state().unwrap_err().contains("len: 101"));
        let mut bad = d.clone();
        bad.window[7] = f64::NAN;
        assert!(bad.check_state().unwrap_err().contains("window[7]"));
    }
}
