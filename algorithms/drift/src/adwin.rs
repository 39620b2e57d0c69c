//! ADWIN: adaptive windowing (Bifet and Gavaldà, 2007), River's algorithm.

use serde::{Deserialize, Serialize};
use tidewater_core::check::{
    CheckState, StateResult, ensure, finite, index, nonneg, same_len, within,
};
use tidewater_core::spec::Params;
use tidewater_core::{Build, Result};

/// Hyper-parameters of [`Adwin`] (River's names and defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "adwin",
    summary = "ADWIN adaptive windowing: drift when two sub-windows' means differ (River-exact)"
)]
pub struct AdwinParams {
    /// Significance of the test that two sub-windows share a mean.
    #[param(default = 0.002, gt = 0, lt = 1)]
    pub delta: f64,
    /// Check for a change every this many updates.
    #[param(default = 32, ge = 1)]
    pub clock: usize,
    /// Buckets of each size kept before two are merged.
    #[param(default = 5, ge = 1, le = 1 << 20)]
    pub max_buckets: usize,
    /// Smallest sub-window the test considers.
    #[param(default = 5)]
    pub min_window_length: usize,
    /// No test until the window holds more than this many values.
    #[param(default = 10)]
    pub grace_period: usize,
    /// After a drift keep the window as the test shrank it (MOA's behaviour) instead of starting an empty one (River's).
    #[param(default = false)]
    pub keep_window: bool,
}

impl Build for AdwinParams {
    type Model = Adwin;
    fn build(&self) -> Result<Adwin> {
        self.validate()?;
        let stride = self.max_buckets + 1;
        Ok(Adwin {
            params: self.clone(),
            total: 0.0,
            variance: 0.0,
            width: 0.0,
            until_check: self.clock,
            rows: 1,
            heads: vec![0],
            counts: vec![0],
            totals: vec![0.0; stride],
            variances: vec![0.0; stride],
            drift: false,
            n_detections: 0,
            scratch: Scratch::default(),
        })
    }
}

/// ADWIN (adaptive windowing): keeps a window of recent values, compressed into buckets of
/// exponentially growing sizes, and reports a drift when some split of the window into an
/// older and a newer part has means that differ by more than a Hoeffding-style bound.
///
/// **River's algorithm, exactly.** The window, its bucket merges, its running variance and
/// the cut test (`|mean0 - mean1| > sqrt(2 m v d') + 2/3 d' m` over every split, every
/// `clock` updates, once the window is longer than `grace_period`, dropping the oldest
/// bucket and testing again while a cut is found) are River's computations in River's order,
/// so the detections are River's. As in River, the first update after a detection starts an
/// empty window.
///
/// **The cut test is cheap, not approximate.** River evaluates two divisions, two
/// logarithms and a square root at every split. Here the logarithms are taken once per
/// scan; the running sums of every split are computed in River's order first, and then every
/// split is screened at once (a loop the compiler vectorises) by a test with
/// multiplications only, whose rounding errors are bounded with a wide margin: it only ever
/// rules out splits that are far from the threshold. Any split it cannot rule out is
/// evaluated with River's own expression, so the decisions are identical. Divisions by a
/// bucket's size (a power of two) are multiplications by its exact inverse, which round
/// identically.
///
/// **MOA** keeps the shrunk window after a detection ([`AdwinParams::keep_window`] gives that
/// behaviour) and requires both sub-windows to hold more than `min_window_length + 1`
/// values (River: at least `min_window_length`).
///
/// Memory grows with the logarithm of the window's length: a new row of buckets is the only
/// allocation `update` ever makes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Adwin {
    params: AdwinParams,
    total: f64,
    variance: f64,
    width: f64,
    /// Updates until the next test (River tests when its tick is a multiple of `clock`).
    until_check: usize,
    /// Rows of buckets in use; row `i` holds buckets of `2^i` values.
    rows: usize,
    /// Each row is a ring of `max_buckets + 1` slots: its oldest bucket's slot.
    heads: Vec<usize>,
    /// Buckets used in each row (its length is the rows allocated so far).
    counts: Vec<usize>,
    /// Bucket totals, `max_buckets + 1` slots per row.
    totals: Vec<f64>,
    /// Bucket variances (sums of squared deviations), same layout.
    variances: Vec<f64>,
    drift: bool,
    n_detections: u64,
    #[serde(skip)]
    scratch: Scratch,
}

/// Buffers of one scan: the running sums of every split.
#[derive(Clone, Debug, Default)]
struct Scratch {
    /// Bucket totals in River's order of splits (oldest first).
    t: Vec<f64>,
    /// Values before each split (the older part's length).
    n0: Vec<f64>,
    /// The older part's sum, added in River's order (the same values River gets).
    u0: Vec<f64>,
    /// Running sum of `|t|`, for the screen's error bound.
    abs: Vec<f64>,
    ruled_out: Vec<u8>,
    /// Whether the sums above describe the window, apart from the rows changed since.
    valid: bool,
    /// Rows in use when the sums were computed.
    cached_rows: usize,
    /// The oldest row changed since (rows above it kept their buckets, so their splits'
    /// sums, which come first, still hold).
    dirty_top: usize,
}

/// The bucket rows, borrowed field by field.
struct Buckets<'a, const S: usize> {
    /// The stride when `S` is 0 (any `max_buckets`); otherwise `S` (a constant the compiler
    /// folds, for River's default).
    stride_dyn: usize,
    dirty_top: &'a mut usize,
    rows: &'a mut usize,
    heads: &'a mut [usize],
    counts: &'a mut [usize],
    totals: &'a mut [f64],
    variances: &'a mut [f64],
}

impl<const S: usize> Buckets<'_, S> {
    #[inline(always)]
    fn stride(&self) -> usize {
        if S == 0 { self.stride_dyn } else { S }
    }

    #[inline(always)]
    fn slot(&self, r: usize, k: usize) -> usize {
        let stride = self.stride();
        let mut j = self.heads[r] + k;
        if j >= stride {
            j -= stride;
        }
        r * stride + j
    }

    /// Appends a one-value bucket to row 0, merging as River does. The caller has
    /// reserved the rows a merge may add.
    #[inline(always)]
    fn push(&mut self, value: f64) {
        let c = self.counts[0];
        let s = self.slot(0, c);
        self.totals[s] = value;
        // Row 0's variances are River's 0.0 for a one-value bucket: nothing else writes
        // row 0's slots, so they stay 0.
        self.counts[0] = c + 1;
        if c + 1 == self.stride() {
            self.compress();
        }
    }

    /// Merges the two oldest buckets of every full row into the next row, as far as needed.
    #[inline]
    fn compress(&mut self) {
        let stride = self.stride();
        let mb = stride - 1;
        let mut idx = 0usize;
        loop {
            if self.counts[idx] != mb + 1 {
                break;
            }
            let (s0, s1) = (self.slot(idx, 0), self.slot(idx, 1));
            let (t0, t1) = (self.totals[s0], self.totals[s1]);
            let total12 = t0 + t1;
            let v12 = if idx == 0 {
                // One-value buckets: River's means are the values (t / 1), its temp is
                // (1 * 0.5 * d) * d, and its variances are 0 (0 + 0 + temp is temp).
                let d = t0 - t1;
                0.5 * d * d
            } else {
                let n1 = pow2(idx);
                let inv = pow2_inv(idx);
                let (v0, v1) = (self.variances[s0], self.variances[s1]);
                // t / 2^idx, exactly (a power of two's inverse is exact).
                let mu1 = t0 * inv;
                let mu2 = t1 * inv;
                let temp = n1 * 0.5 * (mu1 - mu2) * (mu1 - mu2);
                v0 + v1 + temp
            };
            if idx + 1 >= *self.rows {
                // A new row; reserved by the caller.
                let r = *self.rows;
                self.counts[r] = 0;
                self.heads[r] = 0;
                *self.rows = r + 1;
            }
            if idx + 1 > *self.dirty_top {
                *self.dirty_top = idx + 1;
            }
            let nc = self.counts[idx + 1];
            let ns = self.slot(idx + 1, nc);
            self.totals[ns] = total12;
            self.variances[ns] = v12;
            self.counts[idx + 1] = nc + 1;
            let mut h = self.heads[idx] + 2;
            if h >= stride {
                h -= stride;
            }
            self.heads[idx] = h;
            self.counts[idx] -= 2;
            if self.counts[idx + 1] <= mb {
                break;
            }
            idx += 1;
        }
    }
}

impl PartialEq for Adwin {
    fn eq(&self, other: &Self) -> bool {
        // The window as River sees it (bucket contents oldest first), not the slots' layout.
        let same_rows = self.rows == other.rows
            && (0..self.rows).all(|r| {
                self.counts[r] == other.counts[r]
                    && (0..self.counts[r]).all(|k| {
                        let (a, b) = (self.slot(r, k), other.slot(r, k));
                        self.totals[a].to_bits() == other.totals[b].to_bits()
                            && self.variances[a].to_bits() == other.variances[b].to_bits()
                    })
            });
        same_rows
            && self.params == other.params
            && self.total.to_bits() == other.total.to_bits()
            && self.variance.to_bits() == other.variance.to_bits()
            && self.width == other.width
            && self.until_check == other.until_check
            && self.drift == other.drift
            && self.n_detections == other.n_detections
    }
}

impl Default for Adwin {
    fn default() -> Self {
        Adwin::new()
    }
}

/// The most bucket rows a window can use: row `r` holds buckets of `2^r` values, and a window
/// counts its values in an `f64` (exact below `2^53`), so a window needs far fewer.
const MAX_ROWS: usize = 64;

impl CheckState for Adwin {
    /// Parameters in range; the bucket rows sized as the layout says (`max_buckets + 1`
    /// slots a row, a head and a count per row); rows in use at least 1 and at most 64; every
    /// head inside its ring, every row in use holding at most `max_buckets` buckets and the
    /// rows past them none; the buckets' totals finite and variances finite and not negative
    /// (row 0's, one-value buckets, 0); the width the number of values the buckets hold; the
    /// window's total and variance finite (the variance may be a rounding below 0: removals
    /// subtract); the next test between 1 and `clock` updates away.
    fn check_state(&self) -> StateResult {
        crate::check_params(&self.params)?;
        let stride = self.stride();
        let allocated = self.counts.len();
        same_len("heads", self.heads.len(), allocated)?;
        let slots = allocated
            .checked_mul(stride)
            .ok_or_else(|| format!("counts: {allocated} bucket rows of {stride} slots overflow"))?;
        same_len("totals", self.totals.len(), slots)?;
        same_len("variances", self.variances.len(), slots)?;
        ensure(self.rows >= 1 && self.rows <= allocated, || {
            format!(
                "rows: {} bucket rows in use, {allocated} allocated (at least 1 is)",
                self.rows
            )
        })?;
        ensure(self.rows <= MAX_ROWS, || {
            format!(
                "rows: {} bucket rows in use, more than the {MAX_ROWS} a window can fill",
                self.rows
            )
        })?;
        let mut held = 0.0;
        for (r, (&head, &count)) in self.heads.iter().zip(&self.counts).enumerate() {
            within(format_args!("bucket row {r}"), index("head", head, stride))?;
            if r >= self.rows {
                ensure(count == 0, || {
                    format!(
                        "bucket row {r}: {count} buckets in a row past the {} in use",
                        self.rows
                    )
                })?;
                continue;
            }
            ensure(count <= self.params.max_buckets, || {
                format!(
                    "bucket row {r}: {count} buckets, more than max_buckets ({})",
                    self.params.max_buckets
                )
            })?;
            for k in 0..count {
                let s = self.slot(r, k);
                let v = self.variances[s];
                within(
                    format_args!("bucket row {r}, bucket {k}"),
                    finite("total", self.totals[s]).and_then(|()| nonneg("variance", v)),
                )?;
                ensure(r > 0 || v == 0.0, || {
                    format!("bucket row 0, bucket {k}: variance {v} of a one-value bucket")
                })?;
            }
            held += count as f64 * pow2(r);
        }
        ensure(self.width == held, || {
            format!(
                "width: {} values, where the buckets hold {held}",
                self.width
            )
        })?;
        finite("total", self.total)?;
        // Not checked for sign: removing the oldest bucket subtracts a rounded term, which
        // can leave a window of nearly equal values slightly below 0 (as River's does).
        finite("variance", self.variance)?;
        ensure((1..=self.params.clock).contains(&self.until_check), || {
            format!(
                "until_check: {} updates to the next test, not between 1 and clock ({})",
                self.until_check, self.params.clock
            )
        })
    }
}

/// Rounding margin of the screening test (relative).
const MARGIN: f64 = 1e-9;
/// Absolute floor of the screening test's error term (covers subnormal results).
const TINY: f64 = 1e-290;

impl Adwin {
    /// A detector with River's defaults.
    pub fn new() -> Self {
        AdwinParams::default()
            .build()
            .expect("default parameters are valid")
    }

    /// The hyper-parameters.
    pub fn params(&self) -> &AdwinParams {
        &self.params
    }

    /// The number of values in the window.
    pub fn width(&self) -> usize {
        self.width as usize
    }

    /// The sum of the values in the window.
    pub fn total(&self) -> f64 {
        self.total
    }

    /// The population variance of the values in the window (0 when empty).
    pub fn variance(&self) -> f64 {
        if self.width > 0.0 {
            self.variance / self.width
        } else {
            0.0
        }
    }

    /// The mean of the window (0 when empty), River's `estimation`.
    pub fn estimation(&self) -> f64 {
        if self.width > 0.0 {
            self.total / self.width
        } else {
            0.0
        }
    }

    /// Detections since the detector was built (a reset does not clear it).
    pub fn n_detections(&self) -> u64 {
        self.n_detections
    }

    #[inline(always)]
    fn stride(&self) -> usize {
        self.params.max_buckets + 1
    }

    /// The slot of the `k`-th oldest bucket of row `r`.
    #[inline(always)]
    fn slot(&self, r: usize, k: usize) -> usize {
        let stride = self.stride();
        let mut j = self.heads[r] + k;
        if j >= stride {
            j -= stride;
        }
        r * stride + j
    }

    fn reset_state(&mut self) {
        self.total = 0.0;
        self.variance = 0.0;
        self.width = 0.0;
        self.until_check = self.params.clock;
        self.rows = 1;
        // Keep the rows allocated so far: a reset allocates nothing.
        self.counts.iter_mut().for_each(|c| *c = 0);
        self.heads.iter_mut().for_each(|h| *h = 0);
        self.drift = false;
        self.scratch.valid = false;
    }

    #[inline]
    fn step(&mut self, x: f64) {
        if self.drift {
            if self.params.keep_window {
                self.drift = false;
            } else {
                self.reset_state();
            }
        }
        self.insert(x);
        self.drift = self.detect_change();
        if self.drift {
            self.n_detections = self.n_detections.saturating_add(1);
        }
    }

    #[inline(always)]
    fn insert(&mut self, value: f64) {
        self.width += 1.0;
        let mut inc = 0.0;
        if self.width > 1.0 {
            let dv = value - self.total / (self.width - 1.0);
            inc = (self.width - 1.0) * dv * dv / self.width;
        }
        self.variance += inc;
        self.total += value;
        self.insert_bucket(value);
    }

    #[inline(always)]
    fn insert_bucket(&mut self, value: f64) {
        self.reserve_rows(1);
        if self.stride() == 6 {
            self.buckets::<6>().push(value);
        } else {
            self.buckets::<0>().push(value);
        }
    }

    /// Makes sure `extra` more rows than in use are allocated (the only allocation of
    /// `update`, logarithmic in the window's length).
    #[inline(always)]
    fn reserve_rows(&mut self, extra: usize) {
        if self.counts.len() < self.rows + extra {
            self.grow_rows(self.rows + extra);
        }
    }

    #[cold]
    fn grow_rows(&mut self, rows: usize) {
        let stride = self.stride();
        self.counts.resize(rows, 0);
        self.heads.resize(rows, 0);
        self.totals.resize(rows * stride, 0.0);
        self.variances.resize(rows * stride, 0.0);
    }

    /// The bucket rows as disjoint slices (so the compiler knows writes to one do not
    /// change the others).
    #[inline(always)]
    fn buckets<const S: usize>(&mut self) -> Buckets<'_, S> {
        Buckets {
            stride_dyn: self.params.max_buckets + 1,
            dirty_top: &mut self.scratch.dirty_top,
            rows: &mut self.rows,
            heads: &mut self.heads,
            counts: &mut self.counts,
            totals: &mut self.totals,
            variances: &mut self.variances,
        }
    }

    /// Drops the `n` oldest buckets of row `idx`.
    #[inline(always)]
    fn remove_oldest(&mut self, idx: usize, n: usize) {
        let stride = self.stride();
        let mut h = self.heads[idx] + n;
        if h >= stride {
            h -= stride;
        }
        self.heads[idx] = h;
        self.counts[idx] -= n;
    }

    /// Removes the oldest bucket of the window (the first of its last row).
    fn delete_oldest(&mut self) {
        // With one bucket a row (`max_buckets` 1) merging empties rows below the top, so the
        // last row left after a deletion can be empty: the oldest bucket is in the highest
        // row that holds one.
        while self.rows > 1 && self.counts[self.rows - 1] == 0 {
            self.rows -= 1;
        }
        if self.counts[self.rows - 1] == 0 {
            return;
        }
        let last = self.rows - 1;
        let n = pow2(last);
        let s = self.slot(last, 0);
        let (u, v) = (self.totals[s], self.variances[s]);
        let mu = u * pow2_inv(last);
        self.width -= n;
        self.total -= u;
        let mu_window = self.total / self.width;
        let inc = v + n * self.width * (mu - mu_window) * (mu - mu_window) / (n + self.width);
        self.variance -= inc;
        self.remove_oldest(last, 1);
        while self.rows > 1 && self.counts[self.rows - 1] == 0 {
            self.rows -= 1;
        }
    }

    /// Brings the split sums up to date (only the rows changed since the last scan are
    /// summed again) and returns the number of buckets.
    fn refresh_sums(&self, s: &mut Scratch) -> usize {
        let stride = self.stride();
        let rows = self.rows;
        let cap = rows * stride;
        if s.n0.len() < cap {
            s.t.resize(cap, 0.0);
            s.n0.resize(cap, 0.0);
            s.u0.resize(cap, 0.0);
            s.abs.resize(cap, 0.0);
            s.ruled_out.resize(cap, 0);
        }
        // Rows at or above `from` keep their sums.
        let from = if s.valid && s.cached_rows == rows && s.dirty_top < rows {
            s.dirty_top + 1
        } else {
            rows
        };
        let mut m: usize = self.counts[from..rows].iter().sum();
        let (mut n0, mut u0, mut ab) = if m > 0 {
            (s.n0[m - 1], s.u0[m - 1], s.abs[m - 1])
        } else {
            (0.0, 0.0, 0.0)
        };
        for r in (0..from).rev() {
            let size = pow2(r);
            let head = self.heads[r];
            let count = self.counts[r];
            let row = &self.totals[r * stride..(r + 1) * stride];
            // The ring's buckets, oldest first, in at most two runs.
            let first = (stride - head).min(count);
            for run in [&row[head..head + first], &row[..count - first]] {
                let end = m + run.len();
                let (to, n0o, u0o, abo) = (
                    &mut s.t[m..end],
                    &mut s.n0[m..end],
                    &mut s.u0[m..end],
                    &mut s.abs[m..end],
                );
                for (k, &t) in run.iter().enumerate() {
                    n0 += size;
                    u0 += t;
                    ab += t.abs();
                    to[k] = t;
                    n0o[k] = n0;
                    u0o[k] = u0;
                    abo[k] = ab;
                }
                m = end;
            }
        }
        s.valid = true;
        s.cached_rows = rows;
        s.dirty_top = 0;
        m
    }

    #[inline(always)]
    fn detect_change(&mut self) -> bool {
        self.until_check -= 1;
        if self.until_check != 0 {
            return false;
        }
        self.test()
    }

    /// River's test at a multiple of `clock` updates.
    #[inline]
    fn test(&mut self) -> bool {
        self.until_check = self.params.clock;
        if self.width <= self.params.grace_period as f64 {
            return false;
        }
        self.scan()
    }

    /// Inserts a run of values none of which ends a test period: the running statistics
    /// first, then the buckets. Leaves `drift` false.
    fn insert_block(&mut self, xs: &[f64]) {
        debug_assert!(xs.len() <= BLOCK);
        if xs.is_empty() {
            return;
        }
        let mut before = [0.0f64; BLOCK];
        let mut inc = [0.0f64; BLOCK];
        let n = xs.len();
        // Totals before each value, in River's order of additions.
        let mut t = self.total;
        for (b, &x) in before[..n].iter_mut().zip(xs) {
            *b = t;
            t += x;
        }
        welford_increments(self.width, xs, &before[..n], &mut inc[..n]);
        let mut v = self.variance;
        for &d in &inc[..n] {
            v += d;
        }
        self.total = t;
        self.variance = v;
        self.width += n as f64;
        // A run of at most 64 inserts adds at most 7 rows.
        self.reserve_rows(8);
        if self.stride() == 6 {
            let mut b = self.buckets::<6>();
            for &x in xs {
                b.push(x);
            }
        } else {
            let mut b = self.buckets::<0>();
            for &x in xs {
                b.push(x);
            }
        }
        self.drift = false;
    }

    /// Every split of the window, oldest buckets first; on a cut, drop the oldest bucket and
    /// scan again.
    #[inline(never)]
    fn scan(&mut self) -> bool {
        let mwl = self.params.min_window_length as f64;
        let delta = self.params.delta;
        let mut change = false;
        let mut s = std::mem::take(&mut self.scratch);
        loop {
            let m = self.refresh_sums(&mut s);
            // River never tests the split after the newest bucket.
            let splits = m.saturating_sub(1);
            // Constant over one scan: River evaluates them at every split.
            let w = self.width;
            let total = self.total;
            let dp = (2.0 * w.ln() / delta).ln();
            let vw = self.variance / w;
            let c23dp = 2.0 / 3.0 * dp;
            let abs_total = if m > 0 { s.abs[m - 1] } else { 0.0 };
            let screen = Screen::new(w, dp, vw, c23dp, mwl, total, abs_total, m);
            // Splits whose parts are both at least `min_window_length` long: `n0` grows with
            // the index, `n1 = W - n0` shrinks, so they form one run `lo..hi`.
            let lo = s.n0[..splits]
                .iter()
                .position(|&n0| n0 >= mwl)
                .unwrap_or(splits);
            let hi = lo
                + s.n0[lo..splits]
                    .iter()
                    .rev()
                    .position(|&n0| w - n0 >= mwl)
                    .map_or(0, |k| splits - lo - k);
            screen.run(&s.n0[lo..hi], &s.u0[lo..hi], &mut s.ruled_out[lo..hi]);
            // River's own test where the screen cannot decide; its `u1` is the total less
            // the older buckets, subtracted one by one.
            let mut found = false;
            let (mut u1, mut done) = (total, 0usize);
            let mut i = lo;
            while let Some(p) = first_zero(&s.ruled_out[i..hi]) {
                i += p;
                for &t in &s.t[done..=i] {
                    u1 -= t;
                }
                done = i + 1;
                let (a0, a1) = (s.n0[i], w - s.n0[i]);
                if a1 >= mwl && a0 >= mwl && cut(a0, a1, s.u0[i], u1, mwl, vw, dp) {
                    found = true;
                    break;
                }
                i += 1;
            }
            if !found {
                break;
            }
            change = true;
            self.delete_oldest();
            s.valid = false;
        }
        self.scratch = s;
        change
    }
}

/// The index of the first 0 byte, eight bytes at a time.
#[inline]
fn first_zero(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for c in &mut chunks {
        let v = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        if v != ONES {
            return c.iter().position(|&b| b == 0).map(|k| base + k);
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == 0)
        .map(|k| base + k)
}

/// `2^i` as a float (exact).
#[inline(always)]
fn pow2(i: usize) -> f64 {
    f64::from_bits(((1023 + i as u64) & 0x7ff) << 52)
}

/// `2^-i` as a float (exact for `i <= 1022`).
#[inline(always)]
fn pow2_inv(i: usize) -> f64 {
    f64::from_bits(((1023 - i as u64) & 0x7ff) << 52)
}

use crate::BLOCK;

/// River's variance increments of consecutive inserts into a window of `width` values:
/// for the `j`-th value `x`, with `w = width + j + 1` and `t` the total before it,
/// `(w - 1) (x - t / (w - 1))^2 / w` (0 for the first value of an empty window). The
/// updates are independent once the totals are known, so the divisions run side by side.
fn welford_increments(width: f64, xs: &[f64], before: &[f64], out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F, checked just above.
            unsafe { welford_avx512(width, xs, before, out) };
            return;
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { welford_avx2(width, xs, before, out) };
            return;
        }
    }
    welford_plain(width, xs, before, out);
}

#[inline(always)]
fn welford_plain(width: f64, xs: &[f64], before: &[f64], out: &mut [f64]) {
    let n = out.len();
    let (xs, before, steps) = (&xs[..n], &before[..n], &crate::STEPS[..n]);
    for j in 0..n {
        // Exact: integers below 2^53.
        let w = width + steps[j];
        let dv = xs[j] - before[j] / (w - 1.0);
        let inc = (w - 1.0) * dv * dv / w;
        out[j] = if w > 1.0 { inc } else { 0.0 };
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn welford_avx2(width: f64, xs: &[f64], before: &[f64], out: &mut [f64]) {
    welford_plain(width, xs, before, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn welford_avx512(width: f64, xs: &[f64], before: &[f64], out: &mut [f64]) {
    welford_plain(width, xs, before, out);
}

/// River's cut test, in River's order of operations.
#[inline(never)]
fn cut(n0: f64, n1: f64, u0: f64, u1: f64, mwl: f64, vw: f64, dp: f64) -> bool {
    let delta_mean = (u0 / n0) - (u1 / n1);
    let m = 1.0 / (n0 - mwl + 1.0) + 1.0 / (n1 - mwl + 1.0);
    let epsilon = (2.0 * m * vw * dp).sqrt() + 2.0 / 3.0 * dp * m;
    delta_mean.abs() > epsilon
}

/// A test with multiplications only that proves a split is *not* a cut when it is far from
/// the threshold, or gives up (never wrongly).
///
/// With `a = n0 - mwl + 1`, `b = n1 - mwl + 1`, `S = a + b`, `Q = a b`, `P = n0 n1` and
/// `D = |u0 n1 - u1 n0|`, River's test is `D / P > sqrt(2 v d' S / Q) + c S / Q` (with
/// `c = 2/3 d'`). Multiplying through by `P Q > 0` and squaring where both sides are
/// positive gives a test free of divisions and square roots. The screen takes River's `u0`
/// (the older part's sum, added in River's order) and `total - u0` for `u1`; `D` is widened
/// by a bound on the cancellation error of both computations and on the difference between
/// `total - u0` and River's `u1` (subtracted bucket by bucket): `64 eps sum|t| n1 +
/// (128 eps sum|t| + (2m + 4) eps (|total| + sum|t|)) n0`, with an absolute floor for
/// subnormal results. Both sides get a relative margin of `1e-9`, far above the few-ulp
/// rounding of either evaluation; any non-finite intermediate gives up.
struct Screen {
    on: bool,
    w: f64,
    total: f64,
    /// `b + ...`: `W - mwl + 1`, so that `b = n1 - mwl + 1 = wb - n0`.
    wb: f64,
    km1: f64,
    /// `c S (1 - 2 margin)`, with `S = a + b = W - 2 (mwl - 1)` the same for every split.
    c2: f64,
    /// `2 v d' S (1 - margin)^2`, or 0 when `v` is too small to bound its rounding.
    k2: f64,
    /// `D`'s error bound is `mu0 + mu1 n0`.
    mu0: f64,
    mu1: f64,
}

impl Screen {
    /// `total` is the window's sum, `abs_total` the sum of the buckets' `|t|`, `m` the
    /// number of buckets.
    #[allow(clippy::too_many_arguments)]
    fn new(
        w: f64,
        dp: f64,
        vw: f64,
        c23dp: f64,
        mwl: f64,
        total: f64,
        abs_total: f64,
        m: usize,
    ) -> Self {
        let on = dp.is_finite()
            && dp > 0.0
            && vw.is_finite()
            && vw >= 0.0
            && c23dp > 0.0
            && total.is_finite()
            && abs_total.is_finite()
            && w < 4.0e15;
        let vw_s = if vw >= 1e-200 { vw } else { 0.0 };
        let lo = 1.0 - MARGIN;
        let km1 = mwl - 1.0;
        let s = w - 2.0 * km1;
        // An upper bound of the exact sum of |t| (its float sum is within m ulps).
        let a = abs_total * (1.0 + MARGIN);
        // River's u1 (the total less each older bucket in turn) differs from `total - u0`
        // by at most (2m + 4) eps (|total| + sum |t|).
        let b = (2 * m + 4) as f64 * f64::EPSILON * (total.abs() + a);
        // e1 n1 + e0 n0 = e1 W + (e0 - e1) n0, and TINY n0 n1 <= TINY W^2 / 4.
        let e1 = 64.0 * f64::EPSILON * a;
        let e0 = 128.0 * f64::EPSILON * a + b;
        Screen {
            on,
            w,
            total,
            wb: w - km1,
            km1,
            c2: c23dp * s * (1.0 - 2.0 * MARGIN),
            k2: 2.0 * vw_s * dp * s * lo * lo,
            mu0: (e1 * w + TINY * w * w) * (1.0 + MARGIN),
            mu1: (e0 - e1) * (1.0 + MARGIN),
        }
    }

    /// Whether the split (both parts at least `min_window_length` long) is surely not a cut.
    #[inline(always)]
    fn ruled_out(&self, n0: f64, u0: f64) -> bool {
        let n1 = self.w - n0;
        let u1 = self.total - u0;
        let a = n0 - self.km1;
        let b = self.wb - n0;
        let q = a * b;
        let p = n0 * n1;
        let d = (u0 * n1 - u1 * n0).abs();
        let mu = self.mu0 + self.mu1 * n0;
        let t1 = (d + mu) * q;
        let t2 = self.c2 * p;
        // The sign of `t1 - t2` is exact; its size is not when the two nearly cancel, so the
        // squared test takes an upper bound of it.
        let x = t1 - t2;
        let x_up = x + 4.0 * f64::EPSILON * (t1 + t2);
        let rhs = self.k2 * q * p * p;
        let no_cut = (x <= 0.0) | ((x_up * x_up <= rhs) & (rhs < f64::INFINITY));
        self.on & no_cut
    }

    /// Marks every split: 1 when surely not a cut, 0 when River's test must decide.
    fn run(&self, n0: &[f64], u0: &[f64], out: &mut [u8]) {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU supports AVX-512F, checked just above.
                unsafe { self.run_avx512(n0, u0, out) };
                return;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2, checked just above.
                unsafe { self.run_avx2(n0, u0, out) };
                return;
            }
        }
        self.run_plain(n0, u0, out);
    }

    #[inline(always)]
    fn run_plain(&self, n0: &[f64], u0: &[f64], out: &mut [u8]) {
        let n = out.len();
        let (n0, u0) = (&n0[..n], &u0[..n]);
        for i in 0..n {
            out[i] = u8::from(self.ruled_out(n0[i], u0[i]));
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn run_avx2(&self, n0: &[f64], u0: &[f64], out: &mut [u8]) {
        self.run_plain(n0, u0, out);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    fn run_avx512(&self, n0: &[f64], u0: &[f64], out: &mut [u8]) {
        self.run_plain(n0, u0, out);
    }
}

impl crate::DriftDetector for Adwin {
    fn name(&self) -> &'static str {
        "adwin"
    }
    fn input_kind(&self) -> crate::InputKind {
        crate::InputKind::Real
    }
    #[inline]
    fn update(&mut self, x: f64) -> Result<()> {
        crate::check_value("adwin", crate::InputKind::Real, x)?;
        self.step(x);
        Ok(())
    }
    #[inline]
    fn drift_detected(&self) -> bool {
        self.drift
    }
    fn reset(&mut self) {
        self.reset_state();
    }
    /// Processes the values a test period at a time: the window's running statistics for the
    /// whole period first (River's arithmetic in River's order, with the divisions of
    /// independent updates issued together), then the buckets, then the test.
    fn update_many_into(
        &mut self,
        xs: &[f64],
        offset: usize,
        out: &mut crate::Detections,
    ) -> Result<()> {
        crate::check_all("adwin", crate::InputKind::Real, xs)?;
        let mut i = 0;
        while i < xs.len() {
            if self.drift {
                if self.params.keep_window {
                    self.drift = false;
                } else {
                    self.reset_state();
                }
            }
            let seg = self.until_check.min(xs.len() - i).min(BLOCK);
            self.insert_block(&xs[i..i + seg]);
            self.until_check -= seg;
            i += seg;
            if self.until_check == 0 {
                self.drift = self.test();
                if self.drift {
                    self.n_detections = self.n_detections.saturating_add(1);
                    out.drifts.push(offset + i - 1);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DriftDetector;

    #[test]
    fn one_bucket_per_row_and_short_windows_do_not_panic() {
        // max_buckets 1 empties rows below the last as buckets merge upward (found while
        // writing the state checks: delete_oldest took an empty last row).
        for (mb, mwl, clock) in [(1, 1, 1), (1, 2, 4), (2, 1, 1), (1, 5, 32)] {
            let mut d = AdwinParams {
                max_buckets: mb,
                min_window_length: mwl,
                clock,
                ..AdwinParams::default()
            }
            .build()
            .unwrap();
            let mut x = 0x2545_f491_4f6c_dd1du64;
            for i in 0..20_000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let v = if i < 10_000 {
                    (x % 2) as f64
                } else {
                    (x % 5) as f64
                };
                d.update(v).unwrap();
                tidewater_core::check::CheckState::check_state(&d).unwrap();
            }
        }
    }

    #[test]
    fn pow2_is_exact() {
        for i in 0..60 {
            assert_eq!(pow2(i), (1u64 << i) as f64);
            assert_eq!(pow2_inv(i), 1.0 / (1u64 << i) as f64);
            let t = 0.1 + i as f64;
            assert_eq!((t * pow2_inv(i)).to_bits(), (t / pow2(i)).to_bits());
        }
    }

    #[test]
    fn screen_never_contradicts_the_exact_test() {
        // Random splits near and far from the threshold: whenever the screen rules a split
        // out, River's expression agrees.
        let mut s = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut ruled_out = 0;
        for _ in 0..200_000 {
            let width = (2.0 + next() * 1e6).floor();
            let n0 = (1.0 + next() * (width - 1.0)).floor();
            let n1 = width - n0;
            let mean = next() * 10.0 - 5.0;
            let gap = (next() - 0.5) * 10f64.powf(-6.0 * next());
            let u0 = (mean + gap) * n0;
            let u1 = mean * n1;
            let vw = next() * next();
            let dp = (2.0 * width.ln() / 0.002).ln();
            let mwl = 5.0;
            if n0 < mwl || n1 < mwl {
                continue;
            }
            let total = u0 + u1;
            let screen = Screen::new(
                width,
                dp,
                vw,
                2.0 / 3.0 * dp,
                mwl,
                total,
                u0.abs() + u1.abs(),
                100,
            );
            if screen.ruled_out(n0, u0) {
                ruled_out += 1;
                assert!(
                    !cut(n0, n1, u0, u1, mwl, vw, dp),
                    "{n0} {n1} {u0} {u1} {vw}"
                );
            }
        }
        assert!(
            ruled_out > 100_000,
            "the screen should rule most splits out"
        );
    }

    #[test]
    fn detects_a_large_shift_and_starts_afresh() {
        let mut a = AdwinParams::default().delta(0.01).build().unwrap();
        for _ in 0..200 {
            a.update(0.0).unwrap();
        }
        let mut at = None;
        for i in 0..200 {
            a.update(100.0).unwrap();
            if a.drift_detected() {
                at = Some(i);
                break;
            }
        }
        assert!(at.is_some());
        a.update(100.0).unwrap();
        assert!(!a.drift_detected());
        assert_eq!(a.width(), 1);
    }

    #[test]
    fn constant_stream_never_drifts_and_refuses_nan() {
        let mut a = Adwin::new();
        for _ in 0..5000 {
            a.update(1.0).unwrap();
            assert!(!a.drift_detected());
        }
        assert_eq!(a.width(), 5000);
        let before = a.clone();
        assert!(a.update(f64::NAN).is_err());
        assert_eq!(a, before);
    }

    fn learned() -> Adwin {
        let mut a = AdwinParams::default().clock(4).build().unwrap();
        for i in 0..500 {
            a.update(if i < 300 { 0.0 } else { 5.0 } + (i % 7) as f64)
                .unwrap();
        }
        a.check_state().unwrap();
        a
    }

    #[test]
    fn corrupted_windows_are_refused_naming_the_part() {
        let refused = |a: Adwin, part: &str| {
            let e = a.check_state().unwrap_err();
            assert!(e.contains(part), "{part}: {e}");
        };
        let mut a = learned();
        a.width += 1.0;
        refused(a, "width");
        let mut a = learned();
        a.heads[0] = a.stride();
        refused(a, "bucket row 0: head");
        let mut a = learned();
        a.counts[1] = a.params.max_buckets + 1;
        refused(a, "bucket row 1");
        let mut a = learned();
        a.until_check = 0;
        refused(a, "until_check");
        let mut a = learned();
        a.totals.pop();
        refused(a, "totals");
        let mut a = learned();
        a.rows = a.counts.len() + 1;
        refused(a, "rows");
        let mut a = learned();
        let s = a.slot(1, 0);
        a.variances[s] = -1.0;
        refused(a, "bucket row 1, bucket 0: variance");
        let mut a = learned();
        a.params.delta = 2.0;
        refused(a, "params: invalid parameter `delta`");
    }
}
