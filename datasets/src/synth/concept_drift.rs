//! ConceptDriftStream: two streams joined by a sigmoid transition, nestable.

use tidewater_core::spec::{Params, Spec};
use tidewater_core::{Error, Result, Schema};

use super::rng::SynthRng;
use super::{AgrawalParams, Generator, GeneratorParams, Sample, classification_task};
use crate::Task;

/// Parameters of [`ConceptDriftStream`] (River's `ConceptDriftStream`).
#[derive(Clone, Debug, PartialEq, Params)]
#[params(
    name = "concept_drift_stream",
    summary = "Two streams joined by a sigmoid transition (MOA's and River's ConceptDriftStream); nest it for several drifts",
    check = Self::check
)]
pub struct ConceptDriftStreamParams {
    /// The stream before the drift, a generator spec (none: agrawal with this seed).
    #[param(default = None)]
    pub stream: Option<Spec>,
    /// The stream after the drift, a generator spec (none: agrawal with classification_function=2 and this seed).
    #[param(default = None)]
    pub drift_stream: Option<Spec>,
    /// Centre of the transition: the row, counted from 1, where both streams are equally likely.
    #[param(default = 5000)]
    pub position: usize,
    /// Rows over which the transition happens, at least 1 (1: abrupt).
    #[param(default = 1000)]
    pub width: usize,
    /// Random seed of the choice between the streams, and of the default streams (none: from the operating system).
    #[param(default = None)]
    pub seed: Option<u64>,
    /// Angle of change in (0, 90] degrees; sets width = max(1, floor(1/tan alpha)) instead.
    #[param(default = None)]
    pub alpha: Option<f64>,
}

impl ConceptDriftStreamParams {
    fn check(&self) -> Result<()> {
        self.effective_width().map(|_| ())
    }

    /// The width in use: from `alpha` when given, else `width`.
    fn effective_width(&self) -> Result<usize> {
        match self.alpha {
            Some(a) if a > 0.0 && a <= 90.0 => {
                let w = 1.0 / libm::tan(a.to_radians());
                Ok(if w >= 1.0 { w as usize } else { 1 })
            }
            Some(a) => Err(Error::param(
                "alpha",
                format!("concept_drift_stream: must be in (0, 90] degrees, got {a}"),
            )),
            None if self.width == 0 => Err(Error::param(
                "width",
                "concept_drift_stream: must be at least 1, got 0",
            )),
            None => Ok(self.width),
        }
    }
}

fn nested(which: &str, spec: &Option<Spec>, default: AgrawalParams) -> Result<Box<dyn Generator>> {
    let built = match spec {
        Some(s) => super::build(s),
        None => default.build().map(|g| Box::new(g) as Box<dyn Generator>),
    };
    built.map_err(|e| Error::param(which, format!("concept_drift_stream: {e}")))
}

impl GeneratorParams for ConceptDriftStreamParams {
    type Generator = ConceptDriftStream;
    fn build(&self) -> Result<ConceptDriftStream> {
        let width = self.effective_width()?;
        let stream = nested(
            "stream",
            &self.stream,
            AgrawalParams {
                seed: self.seed,
                ..AgrawalParams::default()
            },
        )?;
        let drift_stream = nested(
            "drift_stream",
            &self.drift_stream,
            AgrawalParams {
                seed: self.seed,
                classification_function: 2,
                ..AgrawalParams::default()
            },
        )?;
        let mut cds =
            ConceptDriftStream::new(stream, drift_stream, self.position, width, self.seed)?;
        cds.params = self.clone();
        Ok(cds)
    }
}

/// Two streams joined by a sigmoid transition (Bifet et al., MOA's and River's
/// `ConceptDriftStream`).
///
/// Row `t` (counted from 1) comes from the drift stream with probability
/// `1 / (1 + exp(-4 (t - position) / width))` and from the first stream otherwise; only the
/// chosen stream advances. `width` 1 makes the drift abrupt (the new concept has 98 % of row
/// `position + 1` and 2 % of row `position - 1`); a wide one makes it gradual. The exponent
/// is computed with `libm` and may overflow to infinity, which gives probability 0 (River
/// 0.26.1 raises an error there).
///
/// **True drifts.** The row at the centre (0-based index `position - 1`) is flagged
/// ([`Sample::drift`]), and so is every row that carries a drift flag of either inner stream
/// (so nesting works: a `ConceptDriftStream` inside `stream` reports its own drift at the
/// outer row where it happens). [`drifts`](ConceptDriftStream::drifts) lists the 0-based
/// indices flagged so far. To chain drifts, nest: `stream=concept_drift_stream(...)` with
/// a later `position`, or `drift_stream=concept_drift_stream(...)` whose positions count
/// from its own first row.
///
/// Both streams must have the same number of features and both be classification or both
/// regression; the schema is the first stream's.
#[derive(Debug)]
pub struct ConceptDriftStream {
    params: ConceptDriftStreamParams,
    stream: Box<dyn Generator>,
    drift_stream: Box<dyn Generator>,
    position: usize,
    width: usize,
    rng: SynthRng,
    /// Rows produced so far.
    t: usize,
    drifts: Vec<usize>,
    task: Task,
    n_classes: Option<usize>,
    schema: Schema,
}

impl ConceptDriftStream {
    /// Joins `stream` and `drift_stream` at `position` (counted from 1) over `width` rows
    /// (at least 1), choosing with a random source seeded by `seed`.
    pub fn new(
        stream: Box<dyn Generator>,
        drift_stream: Box<dyn Generator>,
        position: usize,
        width: usize,
        seed: Option<u64>,
    ) -> Result<Self> {
        if width == 0 {
            return Err(Error::param(
                "width",
                "concept_drift_stream: must be at least 1, got 0",
            ));
        }
        if stream.n_features() != drift_stream.n_features() {
            return Err(Error::param(
                "drift_stream",
                format!(
                    "concept_drift_stream: `{}` has {} features but `{}` has {}; both streams \
                     need the same number",
                    stream.name(),
                    stream.n_features(),
                    drift_stream.name(),
                    drift_stream.n_features()
                ),
            ));
        }
        if stream.task().is_classification() != drift_stream.task().is_classification() {
            return Err(Error::param(
                "drift_stream",
                format!(
                    "concept_drift_stream: `{}` is {} but `{}` is {}",
                    stream.name(),
                    stream.task(),
                    drift_stream.name(),
                    drift_stream.task()
                ),
            ));
        }
        let n_classes = match (stream.n_classes(), drift_stream.n_classes()) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        };
        let task = n_classes.map_or(Task::Regression, classification_task);
        Ok(ConceptDriftStream {
            params: ConceptDriftStreamParams {
                position,
                width,
                seed,
                ..ConceptDriftStreamParams::default()
            },
            schema: stream.schema().clone(),
            stream,
            drift_stream,
            position,
            width,
            rng: SynthRng::new(seed),
            t: 0,
            drifts: Vec::new(),
            task,
            n_classes,
        })
    }

    /// The 0-based indices of the rows flagged as true drifts so far (this stream's centre
    /// and its inner streams' drifts).
    pub fn drifts(&self) -> &[usize] {
        &self.drifts
    }

    /// The probability that row `t` (counted from 1) comes from the drift stream.
    pub fn drift_probability(&self, t: usize) -> f64 {
        let v = -4.0 * (t as f64 - self.position as f64) / self.width as f64;
        1.0 / (1.0 + libm::exp(v))
    }

    /// The width in use (from `alpha` when it was given).
    pub fn width(&self) -> usize {
        self.width
    }

    /// The parameters it was built with (for one built by [`new`](Self::new), `position`,
    /// `width` and `seed` only).
    pub fn params(&self) -> &ConceptDriftStreamParams {
        &self.params
    }
}

impl Generator for ConceptDriftStream {
    fn name(&self) -> &'static str {
        "concept_drift_stream"
    }
    fn schema(&self) -> &Schema {
        &self.schema
    }
    fn task(&self) -> Task {
        self.task
    }
    fn n_classes(&self) -> Option<usize> {
        self.n_classes
    }
    fn fill(&mut self, x: &mut [f64]) -> Sample {
        self.t += 1;
        let p = self.drift_probability(self.t);
        let inner = if self.rng.uniform() > p {
            self.stream.fill(x)
        } else {
            self.drift_stream.fill(x)
        };
        let drift = inner.drift || self.t == self.position.max(1);
        if drift {
            self.drifts.push(self.t - 1);
        }
        Sample {
            target: inner.target,
            drift,
        }
    }
}
