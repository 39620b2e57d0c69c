//! Seeded stream generators: synthetic data with known concepts and known drift.
//!
//! Each generator follows River's `datasets.synth` class of the same name: the same
//! parameter names and defaults (including `seed_model` / `seed_sample` where River has
//! them), the same features in the same order and the same label functions, so a user can
//! move over. The streams themselves differ from River's (a different random source), and
//! where River departs from the published definition of a generator the published one is
//! used; each generator's documentation lists its departures.
//!
//! | spec name | type | task | features |
//! |---|---|---|---|
//! | `sea` | [`Sea`] | binary | 3 numeric |
//! | `stagger` | [`Stagger`] | binary | 3 nominal (codes) |
//! | `agrawal` | [`Agrawal`] | binary | 6 numeric, 3 nominal (codes) |
//! | `hyperplane` | [`Hyperplane`] | binary | `n_features` numeric |
//! | `random_rbf` | [`RandomRbf`] | `n_classes` classes | `n_features` numeric |
//! | `random_rbf_drift` | [`RandomRbfDrift`] | `n_classes` classes | `n_features` numeric |
//! | `led` | [`Led`] | 10 classes | 7 or 24 binary |
//! | `led_drift` | [`LedDrift`] | 10 classes | 7 or 24 binary |
//! | `sine` | [`Sine`] | binary | 2 or 4 numeric |
//! | `mixed` | [`Mixed`] | binary | 2 boolean, 2 numeric |
//! | `friedman` | [`Friedman`] | regression | 10 numeric |
//! | `friedman_drift` | [`FriedmanDrift`] | regression | 10 numeric |
//! | `random_tree` | [`RandomTree`] | `n_classes` classes | numeric and nominal |
//! | `concept_drift_stream` | [`ConceptDriftStream`] | that of its streams | that of its streams |
//!
//! ## Rows
//!
//! A generator produces one row at a time into a caller's buffer
//! ([`Generator::next_into`]), allocating nothing; [`Generator::rows`] wraps it in an
//! iterator of owned rows, and [`take_dataset`] collects a number of rows into a
//! [`Dataset`]. Every generator is infinite. Features are numbers: a nominal feature
//! (STAGGER's, Agrawal's `elevel`, `car`, `zipcode`, LED's segments, Mixed's booleans,
//! RandomTree's `x_cat_*`) holds its numeric code, and the [`Schema`] lists its categories
//! (category `k` is the one coded `k`). Classification targets are the class codes `0`,
//! `1`, …; the target column is named `y`.
//!
//! ## Randomness
//!
//! Every draw comes from rand_chacha's `ChaCha8Rng`, seeded with rand_core's
//! `seed_from_u64`, through conversions written in this crate (53-bit floats,
//! multiply-shift integers, Marsaglia's polar method for normals) and `libm`'s functions, so
//! a seeded stream is the same on every platform and release; the tests pin the first rows
//! of each generator. A seed of `None` (River's default) draws the seed from the operating
//! system: give one for a reproducible stream.
//!
//! ## Specs
//!
//! [`from_spec`] builds a generator from the command line's spec text,
//! `agrawal(classification_function=2,seed=7)`; [`catalogue`] lists every generator with
//! its parameters and defaults. A [`ConceptDriftStream`] takes nested specs:
//! `concept_drift_stream(stream=agrawal(classification_function=0),drift_stream=agrawal(classification_function=2),position=5000,width=1)`.
//!
//! ```
//! use tidewater_datasets::synth::{self, Generator};
//!
//! let mut sea = synth::from_spec("sea(variant=1,seed=42)")?;
//! let mut x = vec![0.0; sea.n_features()];
//! let s = sea.next_into(&mut x)?;
//! assert_eq!(s.target, if x[0] + x[1] > 9.0 { 1.0 } else { 0.0 });
//! let data = synth::take_dataset(sea.as_mut(), 1000)?;
//! assert_eq!((data.n_rows(), data.n_features()), (1000, 3));
//! # Ok::<(), tidewater_core::Error>(())
//! ```

use tidewater_core::spec::{ParamDoc, Params, Spec, parse_spec};
use tidewater_core::{Dataset, Error, FeatureMatrix, Result, Schema, Targets};

use crate::Task;

mod agrawal;
mod concept_drift;
mod friedman;
mod hyperplane;
mod led;
mod mixed;
mod params;
mod random_rbf;
mod random_tree;
mod rng;
mod sea;
mod sine;
mod stagger;

pub use agrawal::{Agrawal, AgrawalParams};
pub use concept_drift::{ConceptDriftStream, ConceptDriftStreamParams};
pub use friedman::{DriftType, Friedman, FriedmanDrift, FriedmanDriftParams, FriedmanParams};
pub use hyperplane::{Hyperplane, HyperplaneParams};
pub use led::{Led, LedDrift, LedDriftParams, LedParams};
pub use mixed::{Mixed, MixedParams};
pub use random_rbf::{RandomRbf, RandomRbfDrift, RandomRbfDriftParams, RandomRbfParams};
pub use random_tree::{RandomTree, RandomTreeParams};
pub use sea::{Sea, SeaParams};
pub use sine::{Sine, SineParams};
pub use stagger::{Stagger, StaggerParams};

/// The number of rows the command line takes from a generator when no `--limit` is given
/// (every generator is infinite).
pub const DEFAULT_LIMIT: usize = 100_000;

/// The name of every generator's target column.
pub const TARGET: &str = "y";

/// What a generator says about the row it just wrote.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// The target: the class code (`0`, `1`, …) or the regression value.
    pub target: f64,
    /// True when this row is the centre of a known concept drift (a
    /// [`ConceptDriftStream`]'s position, a [`FriedmanDrift`] change point).
    pub drift: bool,
}

impl Sample {
    /// A row with no drift at it.
    #[inline]
    pub(crate) fn at(target: f64) -> Self {
        Sample {
            target,
            drift: false,
        }
    }
}

/// A stream generator: an infinite source of rows with a fixed schema.
///
/// Implementations write each row into a caller's buffer and allocate nothing per row.
pub trait Generator: Send + std::fmt::Debug {
    /// The command-line name (`agrawal`).
    fn name(&self) -> &'static str;

    /// Feature names, nominal categories, and the target name [`TARGET`].
    fn schema(&self) -> &Schema;

    /// The task.
    fn task(&self) -> Task;

    /// The number of classes of a classification generator, `None` for regression.
    fn n_classes(&self) -> Option<usize>;

    /// Writes the next row into `x`, which has exactly
    /// [`n_features`](Generator::n_features) elements (callers go through
    /// [`next_into`](Generator::next_into), which checks it).
    fn fill(&mut self, x: &mut [f64]) -> Sample;

    /// The number of features.
    fn n_features(&self) -> usize {
        self.schema().features.len()
    }

    /// Writes the next row into `x` and returns its target; an error when `x` does not have
    /// [`n_features`](Generator::n_features) elements.
    fn next_into(&mut self, x: &mut [f64]) -> Result<Sample> {
        let n = self.n_features();
        if x.len() != n {
            return Err(Error::DimensionMismatch {
                expected: n,
                got: x.len(),
            });
        }
        Ok(self.fill(x))
    }

    /// An iterator over owned rows `(features, target)`, infinite unless bounded with
    /// `take`.
    fn rows(&mut self) -> Rows<'_, Self>
    where
        Self: Sized,
    {
        Rows { generator: self }
    }
}

impl<G: Generator + ?Sized> Generator for Box<G> {
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn schema(&self) -> &Schema {
        (**self).schema()
    }
    fn task(&self) -> Task {
        (**self).task()
    }
    fn n_classes(&self) -> Option<usize> {
        (**self).n_classes()
    }
    fn fill(&mut self, x: &mut [f64]) -> Sample {
        (**self).fill(x)
    }
    fn n_features(&self) -> usize {
        (**self).n_features()
    }
}

/// The iterator of [`Generator::rows`]: each item is a new feature vector and the target.
#[derive(Debug)]
pub struct Rows<'a, G: Generator + ?Sized> {
    generator: &'a mut G,
}

impl<G: Generator + ?Sized> Iterator for Rows<'_, G> {
    type Item = (Vec<f64>, f64);

    fn next(&mut self) -> Option<Self::Item> {
        let mut x = vec![0.0; self.generator.n_features()];
        let s = self.generator.fill(&mut x);
        Some((x, s.target))
    }
}

/// The next `n` rows of `generator` as a dense [`Dataset`] with one numeric target column
/// ([`Targets::Values`]) named [`TARGET`].
pub fn take_dataset<G: Generator + ?Sized>(generator: &mut G, n: usize) -> Result<Dataset> {
    let d = generator.n_features();
    let mut x = vec![0.0; n.saturating_mul(d)];
    let mut y = Vec::with_capacity(n);
    if d > 0 {
        for row in x.chunks_exact_mut(d) {
            y.push(generator.fill(row).target);
        }
    }
    let x = ndarray::Array2::from_shape_vec((n, d), x)
        .map_err(|e| Error::Unsupported(format!("cannot shape generated rows: {e}")))?;
    Dataset::new(
        FeatureMatrix::Dense(x),
        vec![Targets::Values(y)],
        generator.schema().clone(),
    )
}

/// A catalogue entry: a generator's name, summary, task, parameters and constructor.
#[derive(Clone, Copy)]
pub struct GeneratorInfo {
    /// The command-line name (`agrawal`).
    pub name: &'static str,
    /// One line on what it generates.
    pub summary: &'static str,
    /// The task (multiclass for generators whose class count is a parameter).
    pub task: Task,
    /// Every parameter with its default (as spec text) and meaning.
    pub params: fn() -> Vec<ParamDoc>,
    build: fn(&Spec) -> Result<Box<dyn Generator>>,
}

impl std::fmt::Debug for GeneratorInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratorInfo")
            .field("name", &self.name)
            .field("task", &self.task)
            .finish_non_exhaustive()
    }
}

/// Params that build a generator.
pub trait GeneratorParams: Params {
    /// The generator built.
    type Generator: Generator + 'static;
    /// Checks the parameters and builds the generator (its random model, if any, included).
    fn build(&self) -> Result<Self::Generator>;
}

fn build_boxed<P: GeneratorParams>(spec: &Spec) -> Result<Box<dyn Generator>> {
    Ok(Box::new(P::from_spec(spec)?.build()?))
}

fn info<P: GeneratorParams>(task: Task) -> GeneratorInfo {
    GeneratorInfo {
        name: P::NAME,
        summary: P::SUMMARY,
        task,
        params: P::docs,
        build: build_boxed::<P>,
    }
}

/// Every generator, in a fixed order.
pub fn catalogue() -> &'static [GeneratorInfo] {
    static CATALOGUE: std::sync::OnceLock<Vec<GeneratorInfo>> = std::sync::OnceLock::new();
    CATALOGUE.get_or_init(|| {
        use Task::*;
        vec![
            info::<SeaParams>(BinaryClassification),
            info::<StaggerParams>(BinaryClassification),
            info::<AgrawalParams>(BinaryClassification),
            info::<HyperplaneParams>(BinaryClassification),
            info::<RandomRbfParams>(MulticlassClassification),
            info::<RandomRbfDriftParams>(MulticlassClassification),
            info::<LedParams>(MulticlassClassification),
            info::<LedDriftParams>(MulticlassClassification),
            info::<SineParams>(BinaryClassification),
            info::<MixedParams>(BinaryClassification),
            info::<FriedmanParams>(Regression),
            info::<FriedmanDriftParams>(Regression),
            info::<RandomTreeParams>(MulticlassClassification),
            info::<ConceptDriftStreamParams>(BinaryClassification),
        ]
    })
}

/// The catalogue entry of a generator name, or an error listing the known ones.
pub fn lookup(name: &str) -> Result<&'static GeneratorInfo> {
    catalogue().iter().find(|g| g.name == name).ok_or_else(|| {
        let known: Vec<&str> = catalogue().iter().map(|g| g.name).collect();
        Error::Spec {
            spec: name.into(),
            reason: format!("unknown generator `{name}` (known: {})", known.join(", ")),
        }
    })
}

/// Builds a generator from a parsed spec. An unknown name or parameter, a wrong type or an
/// out-of-range value is an error that names it.
pub fn build(spec: &Spec) -> Result<Box<dyn Generator>> {
    (lookup(&spec.name)?.build)(spec)
}

/// Builds a generator from spec text, `agrawal(classification_function=2,seed=7)`.
pub fn from_spec(text: &str) -> Result<Box<dyn Generator>> {
    build(&parse_spec(text)?)
}

/// True when `name` is a generator's name (the part of a spec before any parenthesis).
pub fn is_generator(text: &str) -> bool {
    let name = text.split('(').next().unwrap_or("").trim();
    catalogue().iter().any(|g| g.name == name)
}

/// The task of a classification stream of `n_classes` classes.
pub(crate) fn classification_task(n_classes: usize) -> Task {
    if n_classes == 2 {
        Task::BinaryClassification
    } else {
        Task::MulticlassClassification
    }
}

/// Names `x0`, `x1`, … for `n` features.
pub(crate) fn numbered(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

/// A schema with the given features, nominal categories (one entry per feature) and the
/// target [`TARGET`].
pub(crate) fn schema(features: Vec<String>, nominal: Vec<Option<Vec<String>>>) -> Schema {
    Schema {
        features,
        nominal,
        targets: vec![TARGET.to_owned()],
    }
}

/// Categories named by their codes `lo..=hi`, indexed by code (codes below `lo` are listed
/// too, so that category `k` is the one coded `k`).
pub(crate) fn coded(hi: usize) -> Option<Vec<String>> {
    Some((0..=hi).map(|k| k.to_string()).collect())
}
