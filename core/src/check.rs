//! Checks of a loaded model's state: a model file is data, checked before use.
//!
//! A checkpoint's header and CRC prove that the bytes are the ones written, not that the writer
//! was this library, nor that the payload describes a model learning could have produced. A
//! payload that decodes can still declare weights shorter than the feature count, classes out
//! of order, negative counts, NaN statistics or a tree whose child points back at its parent;
//! used as it is, such a model would index out of bounds, loop, or answer garbage. Every model
//! therefore implements [`CheckState`], and the loaders call it after decoding: a model that
//! fails is refused with an error naming the part at fault, before any prediction.
//!
//! The check is a consistency check, not a proof of provenance: a file that passes is a model
//! the library can use without panicking, not necessarily one it learned. See
//! `docs/reliability.md` for the trust model.

use crate::label::{ClassSet, Label};

/// What a failed check says: the part at fault and what is wrong with it.
pub type StateResult = std::result::Result<(), String>;

/// A model's check of its own state after loading (see the [module](self) docs).
pub trait CheckState {
    /// `Ok` when the state is one the model can use: lengths agree with each other and with
    /// the feature count, indices are in range, counts are not negative, statistics are
    /// finite where learning keeps them finite. Otherwise the first problem found, naming
    /// the part (`"weights: 3 values for 4 features"`).
    fn check_state(&self) -> StateResult;
}

impl<T: CheckState> CheckState for Vec<T> {
    fn check_state(&self) -> StateResult {
        for (i, t) in self.iter().enumerate() {
            t.check_state().map_err(|e| format!("[{i}]: {e}"))?;
        }
        Ok(())
    }
}

impl<T: CheckState> CheckState for Option<T> {
    fn check_state(&self) -> StateResult {
        self.as_ref().map_or(Ok(()), CheckState::check_state)
    }
}

impl<T: CheckState + ?Sized> CheckState for Box<T> {
    fn check_state(&self) -> StateResult {
        (**self).check_state()
    }
}

impl CheckState for Label {
    fn check_state(&self) -> StateResult {
        match self {
            Label::Num(v) => finite("label", *v),
            _ => Ok(()),
        }
    }
}

impl CheckState for ClassSet {
    /// Labels finite, in increasing order, each once (the order learning keeps them in).
    fn check_state(&self) -> StateResult {
        let labels = self.labels();
        for l in labels {
            l.check_state().map_err(|e| format!("classes: {e}"))?;
        }
        for (i, pair) in labels.windows(2).enumerate() {
            if pair[0] >= pair[1] {
                return Err(format!(
                    "classes: not in increasing order at positions {i} and {}",
                    i + 1
                ));
            }
        }
        Ok(())
    }
}

/// `Err(what())` unless `cond`.
pub fn ensure(cond: bool, what: impl FnOnce() -> String) -> StateResult {
    if cond { Ok(()) } else { Err(what()) }
}

/// `what` holds `got` values where the model needs `want`.
pub fn same_len(what: &str, got: usize, want: usize) -> StateResult {
    ensure(got == want, || {
        format!("{what}: {got} values where the model needs {want}")
    })
}

/// A finite number.
pub fn finite(what: &str, v: f64) -> StateResult {
    ensure(v.is_finite(), || format!("{what}: {v} is not finite"))
}

/// A finite number not below zero (a count, a weight, a variance).
pub fn nonneg(what: &str, v: f64) -> StateResult {
    ensure(v.is_finite() && v >= 0.0, || {
        format!("{what}: {v} is not a finite number at least 0")
    })
}

/// Every value finite.
pub fn all_finite<'a>(what: &str, values: impl IntoIterator<Item = &'a f64>) -> StateResult {
    for (i, &v) in values.into_iter().enumerate() {
        ensure(v.is_finite(), || format!("{what}[{i}]: {v} is not finite"))?;
    }
    Ok(())
}

/// Every value finite and not below zero.
pub fn all_nonneg<'a>(what: &str, values: impl IntoIterator<Item = &'a f64>) -> StateResult {
    for (i, &v) in values.into_iter().enumerate() {
        ensure(v.is_finite() && v >= 0.0, || {
            format!("{what}[{i}]: {v} is not a finite number at least 0")
        })?;
    }
    Ok(())
}

/// Every value a number (infinities allowed: a sum of finite inputs can overflow, and the
/// model copes with it; NaN it cannot).
pub fn all_not_nan<'a>(what: &str, values: impl IntoIterator<Item = &'a f64>) -> StateResult {
    for (i, &v) in values.into_iter().enumerate() {
        ensure(!v.is_nan(), || format!("{what}[{i}]: NaN"))?;
    }
    Ok(())
}

/// A number, not NaN (see [`all_not_nan`]).
pub fn not_nan(what: &str, v: f64) -> StateResult {
    ensure(!v.is_nan(), || format!("{what}: NaN"))
}

/// Every value at least 0 (infinity allowed, NaN not: see [`all_not_nan`]).
pub fn all_at_least_zero<'a>(what: &str, values: impl IntoIterator<Item = &'a f64>) -> StateResult {
    for (i, &v) in values.into_iter().enumerate() {
        ensure(v >= 0.0, || format!("{what}[{i}]: {v} is below 0 or NaN"))?;
    }
    Ok(())
}

/// An index below `len`.
pub fn index(what: &str, i: usize, len: usize) -> StateResult {
    ensure(i < len, || {
        format!("{what}: index {i} out of range (0..{len})")
    })
}

/// Prefixes a failed check with the part it was made on (`"stage 2: ..."`).
pub fn within(part: impl std::fmt::Display, r: StateResult) -> StateResult {
    r.map_err(|e| format!("{part}: {e}"))
}

/// How deep tagged enums may nest in a checkpoint (a union of unions of ...): deeper is
/// refused while decoding, before the stack could overflow.
pub const MAX_NESTING: u32 = 32;

thread_local! {
    static DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    /// Why the last decode on this thread was refused, when the codec drops the reason
    /// (postcard reports every custom error as the same variant).
    static REFUSAL: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Records why decoding was refused, for [`take_refusal`] (the codec may drop the message).
pub fn note_refusal(why: &str) {
    REFUSAL.with(|r| *r.borrow_mut() = Some(why.to_owned()));
}

/// The reason recorded by [`note_refusal`] since the last call, if any.
pub fn take_refusal() -> Option<String> {
    REFUSAL.with(|r| r.borrow_mut().take())
}

/// One level of nesting while a tagged enum decodes (see [`MAX_NESTING`]); the level is left
/// when the guard drops.
#[doc(hidden)]
pub struct NestingGuard(());

impl NestingGuard {
    /// Enters one level; an error message past [`MAX_NESTING`].
    pub fn enter(name: &str) -> std::result::Result<Self, String> {
        DEPTH.with(|d| {
            let now = d.get() + 1;
            if now > MAX_NESTING {
                let why = format!("{name} nested more than {MAX_NESTING} levels deep");
                note_refusal(&why);
                return Err(why);
            }
            d.set(now);
            Ok(NestingGuard(()))
        })
    }
}

impl Drop for NestingGuard {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_sets_out_of_order_or_repeated_are_refused() {
        let ok = ClassSet::from_labels(&[Label::Num(1.0), Label::Num(0.0)]);
        assert!(ok.check_state().is_ok());
        let json = r#"{"labels":[{"Num":1.0},{"Num":0.0}]}"#;
        let bad: ClassSet = serde_json::from_str(json).unwrap();
        assert!(bad.check_state().unwrap_err().contains("increasing"));
        let twice: ClassSet =
            serde_json::from_str(r#"{"labels":[{"Num":1.0},{"Num":1.0}]}"#).unwrap();
        assert!(twice.check_state().is_err());
    }

    #[test]
    fn helpers_name_the_part() {
        assert!(
            same_len("weights", 3, 4)
                .unwrap_err()
                .contains("weights: 3")
        );
        assert!(nonneg("count", -1.0).is_err());
        assert!(nonneg("count", f64::NAN).is_err());
        assert!(
            all_finite("mean", &[1.0, f64::INFINITY])
                .unwrap_err()
                .contains("mean[1]")
        );
        assert!(index("child", 5, 5).is_err());
        assert_eq!(
            within("stage 1", Err("x".into())),
            Err("stage 1: x".to_string())
        );
    }

    #[test]
    fn nesting_is_bounded_and_released() {
        let mut guards = Vec::new();
        for _ in 0..MAX_NESTING {
            guards.push(NestingGuard::enter("t").unwrap());
        }
        assert!(NestingGuard::enter("t").is_err());
        guards.pop();
        assert!(NestingGuard::enter("t").is_ok());
    }
}
