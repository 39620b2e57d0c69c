//! Every detector by its command-line name: [`AnyDetector`] (serialisable, no trait objects)
//! and the catalogue of names, summaries and parameters.

use serde::{Deserialize, Serialize};
use tidewater_core::spec::{ParamDoc, Params, Spec, parse_spec};
use tidewater_core::{Build, Error, Result};

use crate::{
    Adwin, AdwinParams, Ddm, DdmParams, Detections, DriftDetector, DummyDrift, DummyDriftParams,
    Eddm, EddmParams, Fhddm, FhddmParams, HddmA, HddmAParams, HddmW, HddmWParams, InputKind, Kswin,
    KswinParams, NoDrift, NoDriftParams, PageHinkley, PageHinkleyParams,
};

/// Any detector of the library. Add variants at the end only, so saved models keep loading.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum AnyDetector {
    /// [`Adwin`].
    Adwin(Adwin),
    /// [`PageHinkley`].
    PageHinkley(PageHinkley),
    /// [`Kswin`].
    Kswin(Kswin),
    /// [`Ddm`].
    Ddm(Ddm),
    /// [`Eddm`].
    Eddm(Eddm),
    /// [`HddmA`].
    HddmA(HddmA),
    /// [`HddmW`].
    HddmW(HddmW),
    /// [`Fhddm`].
    Fhddm(Fhddm),
    /// [`NoDrift`].
    NoDrift(NoDrift),
    /// [`DummyDrift`].
    DummyDrift(DummyDrift),
}

macro_rules! each {
    ($self:ident, $d:ident => $e:expr) => {
        match $self {
            AnyDetector::Adwin($d) => $e,
            AnyDetector::PageHinkley($d) => $e,
            AnyDetector::Kswin($d) => $e,
            AnyDetector::Ddm($d) => $e,
            AnyDetector::Eddm($d) => $e,
            AnyDetector::HddmA($d) => $e,
            AnyDetector::HddmW($d) => $e,
            AnyDetector::Fhddm($d) => $e,
            AnyDetector::NoDrift($d) => $e,
            AnyDetector::DummyDrift($d) => $e,
        }
    };
}

macro_rules! from_detector {
    ($($ty:ident),*) => {
        $(impl From<$ty> for AnyDetector {
            fn from(d: $ty) -> Self { AnyDetector::$ty(d) }
        })*
    };
}
from_detector!(
    Adwin,
    PageHinkley,
    Kswin,
    Ddm,
    Eddm,
    HddmA,
    HddmW,
    Fhddm,
    NoDrift,
    DummyDrift
);

impl DriftDetector for AnyDetector {
    fn name(&self) -> &'static str {
        each!(self, d => d.name())
    }
    fn input_kind(&self) -> InputKind {
        each!(self, d => d.input_kind())
    }
    fn has_warning(&self) -> bool {
        each!(self, d => d.has_warning())
    }
    fn wants_successes(&self) -> bool {
        each!(self, d => d.wants_successes())
    }
    fn check(&self, x: f64) -> Result<()> {
        each!(self, d => d.check(x))
    }
    #[inline]
    fn update(&mut self, x: f64) -> Result<()> {
        each!(self, d => d.update(x))
    }
    #[inline]
    fn drift_detected(&self) -> bool {
        each!(self, d => d.drift_detected())
    }
    #[inline]
    fn warning_detected(&self) -> bool {
        each!(self, d => d.warning_detected())
    }
    fn reset(&mut self) {
        each!(self, d => d.reset())
    }
    fn update_many_into(&mut self, xs: &[f64], offset: usize, out: &mut Detections) -> Result<()> {
        each!(self, d => d.update_many_into(xs, offset, out))
    }
}

/// A catalogue entry: a detector's name, documentation and constructor.
pub struct DetectorEntry {
    /// The command-line name.
    pub name: &'static str,
    /// One line on what it does.
    pub summary: &'static str,
    /// Whether it has a warning zone.
    pub warnings: bool,
    /// What input it takes.
    pub input: InputKind,
    /// Its parameters with defaults.
    pub params: fn() -> Vec<ParamDoc>,
    /// A fresh detector from a spec (parameters checked; errors name them).
    pub build: fn(&Spec) -> Result<AnyDetector>,
}

fn build_with<P, D>(spec: &Spec) -> Result<AnyDetector>
where
    P: Params + Build<Model = D>,
    D: Into<AnyDetector>,
{
    Ok(P::from_spec(spec)?.build()?.into())
}

macro_rules! entry {
    ($params:ty, $det:ty, $warn:expr, $input:ident) => {
        DetectorEntry {
            name: <$params as Params>::NAME,
            summary: <$params as Params>::SUMMARY,
            warnings: $warn,
            input: InputKind::$input,
            params: <$params as Params>::docs,
            build: build_with::<$params, $det>,
        }
    };
}

/// Every detector, in `list` order.
pub fn detector_catalogue() -> &'static [DetectorEntry] {
    static ENTRIES: std::sync::OnceLock<Vec<DetectorEntry>> = std::sync::OnceLock::new();
    ENTRIES.get_or_init(|| {
        vec![
            entry!(AdwinParams, Adwin, false, Real),
            entry!(PageHinkleyParams, PageHinkley, false, Real),
            entry!(KswinParams, Kswin, false, Real),
            entry!(DdmParams, Ddm, true, Binary),
            entry!(EddmParams, Eddm, true, Binary),
            entry!(HddmAParams, HddmA, true, Binary),
            entry!(HddmWParams, HddmW, true, Binary),
            entry!(FhddmParams, Fhddm, false, Binary),
            entry!(NoDriftParams, NoDrift, false, Real),
            entry!(DummyDriftParams, DummyDrift, false, Real),
        ]
    })
}

/// The entry of a detector name, or an error naming it and listing the known ones.
pub fn detector_entry(name: &str) -> Result<&'static DetectorEntry> {
    detector_catalogue()
        .iter()
        .find(|e| e.name == name)
        .ok_or_else(|| {
            let known: Vec<&str> = detector_catalogue().iter().map(|e| e.name).collect();
            Error::Spec {
                spec: name.into(),
                reason: format!("unknown detector `{name}` (known: {})", known.join(", ")),
            }
        })
}

/// A fresh detector from a spec such as `adwin(delta=0.01)`; an unknown name, parameter or
/// a bad value is an error that names it.
pub fn build_detector(text: &str) -> Result<AnyDetector> {
    let spec = parse_spec(text)?;
    (detector_entry(&spec.name)?.build)(&spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_builds_with_defaults_and_names_bad_parameters() {
        for e in detector_catalogue() {
            let d = build_detector(e.name).unwrap();
            assert_eq!(d.name(), e.name);
            assert_eq!(d.has_warning(), e.warnings, "{}", e.name);
            assert_eq!(d.input_kind(), e.input, "{}", e.name);
            let bad = format!("{}(nonsense=1)", e.name);
            let msg = build_detector(&bad).unwrap_err().to_string();
            assert!(msg.contains("nonsense"), "{msg}");
        }
        let msg = build_detector("adwin(delta=2)").unwrap_err().to_string();
        assert!(msg.contains("`delta`"), "{msg}");
        let msg = build_detector("adwn").unwrap_err().to_string();
        assert!(msg.contains("unknown detector `adwn`"), "{msg}");
    }
}
