//! Every detector by its command-line name: [`AnyDetector`] (serialisable, no trait objects)
//! and the catalogue of names, summaries and parameters.

use tidewater_core::spec::{ParamDoc, Params, Spec, parse_spec};
use tidewater_core::{Build, Error, Result};

use crate::{
    Adwin, AdwinParams, Ddm, DdmParams, Detections, DriftDetector, DummyDrift, DummyDriftParams,
    Eddm, EddmParams, Fhddm, FhddmParams, HddmA, HddmAParams, HddmW, HddmWParams, InputKind, Kswin,
    KswinParams, NoDrift, NoDriftParams, PageHinkley, PageHinkleyParams,
};

/// The detector table: every detector, once, in `list` order, with its checkpoint tag (a tag
/// is never reused; see [`tagged_enum!`](tidewater_core::tagged_enum)). A new detector is one
/// line here.
macro_rules! detector_table {
    ($d:tt $( $tag:literal => $var:ident($params:ty) ),* $(,)?) => {
        tidewater_core::tagged_enum! {$d
            /// Any detector of the library (saved with its tag: see the detector table).
            pub enum AnyDetector as each {
                $( #[doc = concat!("[`", stringify!($var), "`].")] $tag => $var($var), )*
            }
        }

        /// Every detector, in `list` order.
        pub fn detector_catalogue() -> &'static [DetectorEntry] {
            static ENTRIES: std::sync::OnceLock<Vec<DetectorEntry>> = std::sync::OnceLock::new();
            ENTRIES.get_or_init(|| vec![$( entry::<$params, $var>(), )*])
        }
    };
}

// (The first token, `$`, lets the table write the dispatch macro.)
detector_table! {$
    0 => Adwin(AdwinParams),
    1 => PageHinkley(PageHinkleyParams),
    2 => Kswin(KswinParams),
    3 => Ddm(DdmParams),
    4 => Eddm(EddmParams),
    5 => HddmA(HddmAParams),
    6 => HddmW(HddmWParams),
    7 => Fhddm(FhddmParams),
    8 => NoDrift(NoDriftParams),
    9 => DummyDrift(DummyDriftParams),
}

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

/// The entry of a detector: what a default-built one says of its warning zone and input.
fn entry<P, D>() -> DetectorEntry
where
    P: Params + Build<Model = D>,
    D: Into<AnyDetector> + DriftDetector,
{
    let probe = P::default()
        .build()
        .expect("a detector's default parameters are valid");
    DetectorEntry {
        name: P::NAME,
        summary: P::SUMMARY,
        warnings: probe.has_warning(),
        input: probe.input_kind(),
        params: P::docs,
        build: build_with::<P, D>,
    }
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
