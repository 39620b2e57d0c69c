//! # tidewater-drift
//!
//! Drift detectors that follow River's algorithms to the last floating-point operation, the
//! retraining wrappers that act on them, and an evaluation of detectors on streams with known
//! change points.
//!
//! ## Detectors
//!
//! Every detector implements [`DriftDetector`]: [`update`](DriftDetector::update) with one
//! value, then read [`drift_detected`](DriftDetector::drift_detected) (and
//! [`warning_detected`](DriftDetector::warning_detected) for the methods that have a warning
//! zone). Names, parameters and defaults are River's:
//!
//! | name | type | input | warning zone |
//! |---|---|---|---|
//! | `adwin` | [`Adwin`] | any real value | no |
//! | `page_hinkley` | [`PageHinkley`] | any real value | no |
//! | `kswin` | [`Kswin`] | any real value | no |
//! | `ddm` | [`Ddm`] | 0 (correct) / 1 (error) | yes |
//! | `eddm` | [`Eddm`] | 0 / 1 | yes |
//! | `hddm_a` | [`HddmA`] | values in \[0, 1\] | yes |
//! | `hddm_w` | [`HddmW`] | values in \[0, 1\] | yes |
//! | `fhddm` | [`Fhddm`] | 0 / 1 | no (River never raises one) |
//! | `no_drift` | [`NoDrift`] | anything | no: never fires (a floor for comparisons) |
//! | `dummy_drift` | [`DummyDrift`] | anything | no: fires on a schedule (the periodic baseline) |
//!
//! **River's semantics, exactly.** Each detector performs River's arithmetic in River's order
//! (the same rounding at every step), so on any stream it raises its flags at exactly the
//! indices River does; `tests/reference.rs` holds every detector to River's own detections.
//! Like River, a detector that raised a drift starts afresh at its next update (its window or
//! statistics are dropped); a flag describes the update that just happened.
//!
//! **Where this crate departs from River**, deliberately:
//! - input is checked: a value that is not finite is an error, and the binary detectors refuse
//!   values outside \[0, 1\] (River would carry NaN silently and never detect again). A
//!   refused value leaves the detector as it was.
//! - KSWIN draws its random sub-window with a seeded ChaCha8 generator (portable across
//!   platforms and rand releases) instead of Python's Mersenne Twister, so it draws different
//!   sub-windows than River with the same seed; its test statistic and p-value are scipy's
//!   exact two-sample Kolmogorov-Smirnov computation, as River's.
//! - [`DummyDrift`]'s random warm-up and random trigger use the same ChaCha8 generator; its
//!   fixed trigger without warm-up (the periodic baseline) is River's exactly.
//!
//! **Where MOA behaves differently** (documented on each type, with MOA's behaviour as an
//! option where users would want it):
//! - ADWIN: MOA keeps the shrunk window after a detection and goes on from it; River (and this
//!   crate by default) starts an empty window. [`AdwinParams::keep_window`] gives MOA's
//!   behaviour. MOA also requires both sub-windows to hold more than `min_window_length + 1`
//!   values where River requires at least `min_window_length`.
//! - Page-Hinkley: MOA's statistic is one-sided (increases only; `mode = up` here), updates
//!   its mean by a division rather than River's multiplication by `1/n`, subtracts `delta`
//!   inside the deviation, and starts testing one value earlier.
//! - HDDM_A and HDDM_W: MOA's two-sided test treats a significant *decrease* as a silent
//!   restart of its statistics, while River's signals a drift; [`OnDecrease::Reset`] gives
//!   MOA's behaviour. MOA's HDDM_A is two-sided by default, River's one-sided.
//! - DDM: MOA allows detection one value earlier than River (its counter is one ahead).
//!
//! **A loaded detector is checked.** Every detector implements
//! [`CheckState`](tidewater_core::check::CheckState) (and so does [`AnyDetector`]): a
//! checkpoint's detector whose parameters are out of range, whose buffers disagree with its
//! parameters or whose statistics are not finite is refused with a message naming the part,
//! before an update could index out of bounds or loop.
//!
//! ## Retraining
//!
//! [`DriftRetrain`] feeds a detector the wrapped model's own prequential errors and swaps in
//! a background model (or resets) on a drift; [`WindowRefit`] refits on the last N rows;
//! [`Periodic`] retrains on a schedule, the baseline any detector must beat. They wrap any
//! [`Classifier`](tidewater_core::Classifier) or [`Regressor`](tidewater_core::Regressor) and
//! report their [`Event`]s.
//!
//! ## Evaluation
//!
//! [`evaluation`] scores detectors on streams with known change points (detection delay,
//! false alarms, misses) and generates such streams.

mod adwin;
mod any;
mod ddm;
mod dummy;
mod eddm;
pub mod evaluation;
mod fhddm;
mod hddm_a;
mod hddm_w;
mod kswin;
mod page_hinkley;
mod retrain;

pub use adwin::{Adwin, AdwinParams};
pub use any::{AnyDetector, DetectorEntry, build_detector, detector_catalogue, detector_entry};
pub use ddm::{Ddm, DdmParams};
pub use dummy::{DummyDrift, DummyDriftParams, NoDrift, NoDriftParams, TriggerMethod};
pub use eddm::{Eddm, EddmParams};
pub use fhddm::{Fhddm, FhddmParams};
pub use hddm_a::{HddmA, HddmAParams, OnDecrease};
pub use hddm_w::{HddmW, HddmWParams};
pub use kswin::{Kswin, KswinParams};
pub use page_hinkley::{PageHinkley, PageHinkleyMode, PageHinkleyParams};
pub use retrain::{DriftRetrain, Event, EventKind, Loss, Periodic, WindowRefit};
/// The error type of this crate: the core one, since every failure here is a core kind.
pub use tidewater_core::{Error, Result};

use tidewater_core::error::Location;

/// The indices at which a detector raised its flags over a run of values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Detections {
    /// Indices of the values whose update raised a drift, in increasing order.
    pub drifts: Vec<usize>,
    /// Indices of the values after whose update the detector was in its warning zone.
    pub warnings: Vec<usize>,
}

impl Detections {
    /// No detection yet.
    pub fn new() -> Self {
        Detections::default()
    }

    /// Appends `other`, whose indices are relative to `offset`.
    pub fn extend_from(&mut self, other: &Detections, offset: usize) {
        self.drifts.extend(other.drifts.iter().map(|i| i + offset));
        self.warnings
            .extend(other.warnings.iter().map(|i| i + offset));
    }
}

/// What kind of input a detector takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// Any finite real value (ADWIN, Page-Hinkley, KSWIN, the baselines).
    Real,
    /// Values in \[0, 1\], usually 0 (correct) or 1 (error): the binary detectors.
    Binary,
}

/// A concept-drift detector: it watches a stream of numbers (errors, losses, 0/1 mistakes)
/// and says when their distribution has changed.
///
/// The trait is object-safe: a program can hold `Box<dyn DriftDetector>`, or the
/// serialisable [`AnyDetector`].
pub trait DriftDetector {
    /// The detector's command-line name (`adwin`, `ddm`, ...).
    fn name(&self) -> &'static str;

    /// What input the detector accepts.
    fn input_kind(&self) -> InputKind;

    /// Whether the method has a warning zone (DDM, EDDM, HDDM_A, HDDM_W).
    fn has_warning(&self) -> bool {
        false
    }

    /// Whether a drift is a *fall* of the input's mean rather than a rise: `true` for FHDDM,
    /// which watches a success rate. A retraining wrapper then feeds 1 for a correct
    /// prediction instead of 1 for an error.
    fn wants_successes(&self) -> bool {
        false
    }

    /// Checks a value without updating: finite, and in \[0, 1\] for the binary detectors.
    fn check(&self, x: f64) -> Result<()> {
        check_value(self.name(), self.input_kind(), x)
    }

    /// Updates the detector with one value. A refused value (see [`check`](Self::check))
    /// is an error and leaves the detector as it was.
    fn update(&mut self, x: f64) -> Result<()>;

    /// Whether the last update raised a drift.
    fn drift_detected(&self) -> bool;

    /// Whether the detector is in its warning zone after the last update (always `false`
    /// for methods without one).
    fn warning_detected(&self) -> bool {
        false
    }

    /// Forgets everything: the detector is as new (a seeded detector restarts its random
    /// stream from its seed).
    fn reset(&mut self);

    /// Updates with every value of `xs` in order, appending to `out` the index (`offset +
    /// i`) of each value whose update raised a drift or left the detector in its warning
    /// zone. Every value is checked first, so a refused value (an error naming its index in
    /// `xs`) leaves the detector as it was.
    ///
    /// Feeding a stream in one call or in any chunks gives the same detections.
    fn update_many_into(&mut self, xs: &[f64], offset: usize, out: &mut Detections) -> Result<()> {
        for (i, &x) in xs.iter().enumerate() {
            self.check(x).map_err(|e| e.in_row(i))?;
        }
        for (i, &x) in xs.iter().enumerate() {
            self.update(x)?;
            if self.drift_detected() {
                out.drifts.push(offset + i);
            }
            if self.warning_detected() {
                out.warnings.push(offset + i);
            }
        }
        Ok(())
    }

    /// Updates with every value of `xs`; the detections' indices are positions in `xs`.
    fn update_many(&mut self, xs: &[f64]) -> Result<Detections> {
        let mut out = Detections::new();
        self.update_many_into(xs, 0, &mut out)?;
        Ok(out)
    }
}

/// Checks one input value for a detector of the given kind; the error names the detector.
pub fn check_value(name: &str, kind: InputKind, x: f64) -> Result<()> {
    if !x.is_finite() {
        return Err(bad_value(name, format!("value {x} is not finite")));
    }
    if kind == InputKind::Binary && !(0.0..=1.0).contains(&x) {
        return Err(bad_value(
            name,
            format!(
                "value {x} is outside [0, 1] (the input is 0 for a correct prediction, 1 for an error)"
            ),
        ));
    }
    Ok(())
}

/// Checks every value of a run for a detector (a fast pass first; on failure, the first bad
/// value's error, wrapped with its index in `xs`).
pub(crate) fn check_all(name: &str, kind: InputKind, xs: &[f64]) -> Result<()> {
    // Counting the bad values (a reduction the compiler vectorises) rather than stopping
    // at the first: the common case is that there is none.
    let bad: usize = match kind {
        InputKind::Real => xs.iter().map(|x| usize::from(!x.is_finite())).sum(),
        InputKind::Binary => xs
            .iter()
            .map(|x| usize::from(!(0.0..=1.0).contains(x)))
            .sum(),
    };
    let ok = bad == 0;
    if ok {
        return Ok(());
    }
    for (i, &x) in xs.iter().enumerate() {
        check_value(name, kind, x).map_err(|e| e.in_row(i))?;
    }
    Ok(())
}

/// `out[j] = 1 / (n + j + 1)`: the weights of River's running mean for a run of updates
/// (IEEE divisions, issued side by side).
pub(crate) fn reciprocals(n: f64, out: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F, checked just above.
            unsafe { reciprocals_avx512(n, out) };
            return;
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { reciprocals_avx2(n, out) };
            return;
        }
    }
    reciprocals_plain(n, out);
}

/// `1.0, 2.0, ..., 64.0`: offsets of the updates of a block (adding them is exact).
pub(crate) const STEPS: [f64; BLOCK] = {
    let mut a = [0.0; BLOCK];
    let mut i = 0;
    while i < BLOCK {
        a[i] = (i + 1) as f64;
        i += 1;
    }
    a
};

#[inline(always)]
fn reciprocals_plain(n: f64, out: &mut [f64]) {
    let steps = &STEPS[..out.len()];
    for (o, &k) in out.iter_mut().zip(steps) {
        // Exact: integers below 2^53.
        *o = 1.0 / (n + k);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn reciprocals_avx2(n: f64, out: &mut [f64]) {
    reciprocals_plain(n, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn reciprocals_avx512(n: f64, out: &mut [f64]) {
    reciprocals_plain(n, out);
}

/// Values processed together by the batch paths.
pub(crate) const BLOCK: usize = 64;

/// A loaded detector's parameters, checked as `build` checks them (the first part of every
/// detector's [`CheckState`](tidewater_core::check::CheckState)).
pub(crate) fn check_params<P: tidewater_core::spec::Params>(
    p: &P,
) -> tidewater_core::check::StateResult {
    p.validate().map_err(|e| format!("params: {e}"))
}

/// A finite number or `+inf` (a running minimum before its first value).
pub(crate) fn finite_or_inf(what: &str, v: f64) -> tidewater_core::check::StateResult {
    tidewater_core::check::ensure(v.is_finite() || v == f64::INFINITY, || {
        format!("{what}: {v} is neither finite nor +inf")
    })
}

/// A finite number or `-inf` (a running maximum before its first value).
pub(crate) fn finite_or_neg_inf(what: &str, v: f64) -> tidewater_core::check::StateResult {
    tidewater_core::check::ensure(v.is_finite() || v == f64::NEG_INFINITY, || {
        format!("{what}: {v} is neither finite nor -inf")
    })
}

fn bad_value(name: &str, reason: String) -> Error {
    Error::BadValue {
        location: Location::Column("x".into()),
        reason: format!("{name}: {reason}"),
    }
}

/// Implements [`DriftDetector`] for a type with `step(&mut self, x)` (the unchecked update),
/// `drift: bool`, optionally `warning: bool`, and `reset_state(&mut self)`. The batch method
/// runs a tight monomorphic loop over the checked values.
macro_rules! impl_detector {
    ($ty:ty, $name:literal, $kind:ident, warning = $w:tt) => {
        $crate::impl_detector!($ty, $name, $kind, warning = $w, successes = false);
    };
    ($ty:ty, $name:literal, $kind:ident, warning = $w:tt, successes = $s:literal) => {
        $crate::impl_detector!(@impl $ty, $name, $kind, $w, $s, {
            fn update_many_into(
                &mut self,
                xs: &[f64],
                offset: usize,
                out: &mut $crate::Detections,
            ) -> tidewater_core::Result<()> {
                $crate::check_all($name, $crate::InputKind::$kind, xs)?;
                for (i, &x) in xs.iter().enumerate() {
                    self.step(x);
                    if self.drift {
                        out.drifts.push(offset + i);
                    }
                    $crate::impl_detector!(@push_warning self, out, offset + i, $w);
                }
                Ok(())
            }
        });
    };
    // A type with its own `batch(&mut self, xs, offset, out)` for checked values.
    ($ty:ty, $name:literal, $kind:ident, warning = $w:tt, batch) => {
        $crate::impl_detector!(@impl $ty, $name, $kind, $w, false, {
            fn update_many_into(
                &mut self,
                xs: &[f64],
                offset: usize,
                out: &mut $crate::Detections,
            ) -> tidewater_core::Result<()> {
                $crate::check_all($name, $crate::InputKind::$kind, xs)?;
                self.batch(xs, offset, out);
                Ok(())
            }
        });
    };
    (@impl $ty:ty, $name:literal, $kind:ident, $w:tt, $s:literal, { $($batch:tt)* }) => {
        impl $crate::DriftDetector for $ty {
            fn wants_successes(&self) -> bool {
                $s
            }
            fn name(&self) -> &'static str {
                $name
            }
            fn input_kind(&self) -> $crate::InputKind {
                $crate::InputKind::$kind
            }
            fn has_warning(&self) -> bool {
                $w
            }
            #[inline]
            fn update(&mut self, x: f64) -> tidewater_core::Result<()> {
                $crate::check_value($name, $crate::InputKind::$kind, x)?;
                self.step(x);
                Ok(())
            }
            #[inline]
            fn drift_detected(&self) -> bool {
                self.drift
            }
            fn warning_detected(&self) -> bool {
                $crate::impl_detector!(@warning self, $w)
            }
            fn reset(&mut self) {
                self.reset_state();
            }
            $($batch)*
        }
    };
    (@warning $s:ident, true) => { $s.warning };
    (@warning $s:ident, false) => { false };
    (@push_warning $s:ident, $out:ident, $i:expr, true) => {
        if $s.warning {
            $out.warnings.push($i);
        }
    };
    (@push_warning $s:ident, $out:ident, $i:expr, false) => {};
}
pub(crate) use impl_detector;

/// `x ** y` as Python computes it for floats: the C library's `pow`, never folded by the
/// compiler into a multiplication or a square root (which may round differently).
#[inline]
pub(crate) fn py_pow(x: f64, y: f64) -> f64 {
    x.powf(std::hint::black_box(y))
}
