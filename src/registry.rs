//! Every model, transformer and baseline by its command-line name: specs to models, the
//! `list` catalogue, and the saved-model format.
//!
//! A saved model is always a [`Pipeline`] (possibly with no transformers) whose final stage is
//! a classifier, a regressor or a transformer, wrapped with the spec it was built from and the
//! schema of the columns it learned from. The enums below are explicit, versioned payloads:
//! add variants at the end only, so older files keep loading.

use serde::{Deserialize, Serialize};
use tidewater_core::dummy::{
    MeanRegressor, MeanRegressorParams, NoChangeClassifier, NoChangeClassifierParams,
    PriorClassifier, PriorClassifierParams,
};
use tidewater_core::pipeline::transform_dataset;
use tidewater_core::spec::{ParamDoc, Params, Spec};
use tidewater_core::{
    Batch, Build, ClassSet, Classifier, Dataset, Error, Fit, Label, Pipeline, Regressor, Result,
    Row, Transformer,
};

use crate::bayes::{GaussianNB, GaussianNBParams};
use crate::preprocessing::{StandardScaler, StandardScalerParams};

/// What a component does, which decides where it may stand in a pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// Maps rows to rows; stands anywhere in a pipeline.
    Transformer,
    /// Predicts labels; only the last stage.
    Classifier,
    /// Predicts numbers; only the last stage.
    Regressor,
}

impl Role {
    /// The lowercase name of the role.
    pub fn name(self) -> &'static str {
        match self {
            Role::Transformer => "transformer",
            Role::Classifier => "classifier",
            Role::Regressor => "regressor",
        }
    }
}

macro_rules! any_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident($ty:ty)),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        pub enum $name { $($(#[$vm])* $var($ty)),* }
        $(impl From<$ty> for $name { fn from(m: $ty) -> Self { $name::$var(m) } })*
    };
}

any_enum!(
    /// Any transformer of the library.
    AnyTransformer {
        /// [`StandardScaler`].
        StandardScaler(StandardScaler),
    }
);

any_enum!(
    /// Any classifier of the library.
    AnyClassifier {
        /// [`GaussianNB`].
        GaussianNB(GaussianNB),
        /// [`PriorClassifier`].
        Prior(PriorClassifier),
        /// [`NoChangeClassifier`].
        NoChange(NoChangeClassifier),
    }
);

any_enum!(
    /// Any regressor of the library.
    AnyRegressor {
        /// [`MeanRegressor`].
        Mean(MeanRegressor),
    }
);

macro_rules! dispatch {
    ($self:ident, $enum:ident, $m:ident => $e:expr, [$($var:ident),*]) => {
        match $self { $($enum::$var($m) => $e),* }
    };
}

macro_rules! each_transformer {
    ($self:ident, $m:ident => $e:expr) => {
        dispatch!($self, AnyTransformer, $m => $e, [StandardScaler])
    };
}
macro_rules! each_classifier {
    ($self:ident, $m:ident => $e:expr) => {
        dispatch!($self, AnyClassifier, $m => $e, [GaussianNB, Prior, NoChange])
    };
}
macro_rules! each_regressor {
    ($self:ident, $m:ident => $e:expr) => {
        dispatch!($self, AnyRegressor, $m => $e, [Mean])
    };
}

impl Transformer for AnyTransformer {
    fn n_features_in(&self) -> Option<usize> {
        each_transformer!(self, m => m.n_features_in())
    }
    fn n_features_out(&self) -> Option<usize> {
        each_transformer!(self, m => m.n_features_out())
    }
    fn feature_names_out(&self, input: &[String]) -> Vec<String> {
        each_transformer!(self, m => m.feature_names_out(input))
    }
    fn check_row(&self, x: Row<'_>) -> Result<()> {
        each_transformer!(self, m => m.check_row(x))
    }
    fn learn_one(&mut self, x: Row<'_>, weight: Option<f64>) -> Result<()> {
        each_transformer!(self, m => m.learn_one(x, weight))
    }
    fn learn_many(&mut self, x: Batch<'_>, weights: Option<&[f64]>) -> Result<()> {
        each_transformer!(self, m => m.learn_many(x, weights))
    }
    fn transform_one(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        each_transformer!(self, m => m.transform_one(x, out))
    }
}

impl Classifier for AnyClassifier {
    fn classes(&self) -> &ClassSet {
        each_classifier!(self, m => m.classes())
    }
    fn n_features(&self) -> Option<usize> {
        each_classifier!(self, m => m.n_features())
    }
    fn check_row(&self, x: Row<'_>) -> Result<()> {
        each_classifier!(self, m => m.check_row(x))
    }
    fn learn_one(&mut self, x: Row<'_>, y: &Label, weight: Option<f64>) -> Result<()> {
        each_classifier!(self, m => m.learn_one(x, y, weight))
    }
    fn learn_many(&mut self, x: Batch<'_>, y: &[Label], weights: Option<&[f64]>) -> Result<()> {
        each_classifier!(self, m => m.learn_many(x, y, weights))
    }
    fn predict_proba_into(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        each_classifier!(self, m => m.predict_proba_into(x, out))
    }
    fn predict_one(&self, x: Row<'_>) -> Result<Option<Label>> {
        each_classifier!(self, m => m.predict_one(x))
    }
}

impl Regressor for AnyRegressor {
    fn n_features(&self) -> Option<usize> {
        each_regressor!(self, m => m.n_features())
    }
    fn check_row(&self, x: Row<'_>) -> Result<()> {
        each_regressor!(self, m => m.check_row(x))
    }
    fn learn_one(&mut self, x: Row<'_>, y: f64, weight: Option<f64>) -> Result<()> {
        each_regressor!(self, m => m.learn_one(x, y, weight))
    }
    fn learn_many(&mut self, x: Batch<'_>, y: &[f64], weights: Option<&[f64]>) -> Result<()> {
        each_regressor!(self, m => m.learn_many(x, y, weights))
    }
    fn predict_one(&self, x: Row<'_>) -> Result<f64> {
        each_regressor!(self, m => m.predict_one(x))
    }
}

/// One stage built from a spec.
#[derive(Clone, Debug, PartialEq)]
pub enum Component {
    /// A transformer.
    Transformer(AnyTransformer),
    /// A classifier.
    Classifier(AnyClassifier),
    /// A regressor.
    Regressor(AnyRegressor),
}

/// A catalogue entry: a component's name, role, documentation and constructors.
pub struct Entry {
    /// The command-line name.
    pub name: &'static str,
    /// One line on what it is.
    pub summary: &'static str,
    /// Its role.
    pub role: Role,
    /// Whether its batch `fit` is its own batch algorithm (`true`) or the row loop of the
    /// stream path (`false`; `list` says so).
    pub batch_path: bool,
    /// Parameters that only the batch path (`fit`) accepts.
    pub batch_only: &'static [&'static str],
    /// Its parameters with defaults.
    pub params: fn() -> Vec<ParamDoc>,
    /// An empty component from a spec (stream path).
    pub build: fn(&Spec) -> Result<Component>,
    /// A component fitted on a data set from a spec (batch path).
    pub fit: fn(&Spec, &Dataset) -> Result<Component>,
}

fn build_with<P, M>(spec: &Spec) -> Result<Component>
where
    P: Params + Build<Model = M>,
    M: Into<Component>,
{
    Ok(P::from_spec(spec)?.build()?.into())
}

fn fit_with<P, M>(spec: &Spec, data: &Dataset) -> Result<Component>
where
    P: Params + Fit<Model = M>,
    M: Into<Component>,
{
    Ok(P::from_spec(spec)?.fit(data)?.into())
}

macro_rules! into_component {
    ($($ty:ty => $role:ident),* $(,)?) => {
        $(impl From<$ty> for Component {
            fn from(m: $ty) -> Self { Component::$role(m.into()) }
        })*
    };
}

into_component!(
    StandardScaler => Transformer,
    GaussianNB => Classifier,
    PriorClassifier => Classifier,
    NoChangeClassifier => Classifier,
    MeanRegressor => Regressor,
);

macro_rules! entry {
    ($params:ty, $model:ty, $role:ident, batch_path = $bp:expr) => {
        Entry {
            name: <$params as Params>::NAME,
            summary: <$params as Params>::SUMMARY,
            role: Role::$role,
            batch_path: $bp,
            batch_only: &[],
            params: <$params as Params>::docs,
            build: build_with::<$params, $model>,
            fit: fit_with::<$params, $model>,
        }
    };
}

/// Every component the library offers, in `list` order.
pub fn catalogue() -> &'static [Entry] {
    static ENTRIES: std::sync::OnceLock<Vec<Entry>> = std::sync::OnceLock::new();
    ENTRIES.get_or_init(|| {
        vec![
            entry!(
                StandardScalerParams,
                StandardScaler,
                Transformer,
                batch_path = true
            ),
            entry!(GaussianNBParams, GaussianNB, Classifier, batch_path = true),
            entry!(
                PriorClassifierParams,
                PriorClassifier,
                Classifier,
                batch_path = true
            ),
            entry!(
                NoChangeClassifierParams,
                NoChangeClassifier,
                Classifier,
                batch_path = false
            ),
            entry!(
                MeanRegressorParams,
                MeanRegressor,
                Regressor,
                batch_path = true
            ),
        ]
    })
}

/// The entry of a component name, or an error naming it and listing the known ones.
pub fn entry(name: &str) -> Result<&'static Entry> {
    catalogue().iter().find(|e| e.name == name).ok_or_else(|| {
        let known: Vec<&str> = catalogue().iter().map(|e| e.name).collect();
        Error::Spec {
            spec: name.into(),
            reason: format!(
                "unknown model or transformer `{name}` (known: {})",
                known.join(", ")
            ),
        }
    })
}

/// Which path a spec is going to be used on: `batch_only` parameters are refused on the
/// stream path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// `fit`: the batch path.
    Batch,
    /// `learn`, `eval`: the stream path.
    Stream,
}

/// A model of any role: a pipeline (possibly without transformers) and its final stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum AnyModel {
    /// A classifier pipeline.
    Classifier(Pipeline<AnyTransformer, AnyClassifier>),
    /// A regressor pipeline.
    Regressor(Pipeline<AnyTransformer, AnyRegressor>),
    /// A transformer pipeline.
    Transformer(Pipeline<AnyTransformer, AnyTransformer>),
}

impl AnyModel {
    /// The role of the final stage.
    pub fn role(&self) -> Role {
        match self {
            AnyModel::Classifier(_) => Role::Classifier,
            AnyModel::Regressor(_) => Role::Regressor,
            AnyModel::Transformer(_) => Role::Transformer,
        }
    }

    /// The number of input features, once known.
    pub fn n_features(&self) -> Option<usize> {
        match self {
            AnyModel::Classifier(p) => p.n_features(),
            AnyModel::Regressor(p) => p.n_features(),
            AnyModel::Transformer(p) => p.n_features_in(),
        }
    }
}

/// Parses a pipeline spec and checks it: known names, parameters, values, transformers
/// before at most one final model, and no batch-only parameter on the stream path.
pub fn parse(text: &str, path: Path) -> Result<Vec<(Spec, &'static Entry)>> {
    let specs = tidewater_core::spec::parse_pipeline(text)?;
    let n = specs.len();
    let mut out = Vec::with_capacity(n);
    for (i, s) in specs.into_iter().enumerate() {
        let e = entry(&s.name)?;
        if i + 1 < n && e.role != Role::Transformer {
            return Err(Error::Spec {
                spec: text.into(),
                reason: format!(
                    "`{}` is a {}: only transformers may come before the last stage",
                    e.name,
                    e.role.name()
                ),
            });
        }
        if path == Path::Stream
            && let Some((k, _)) = s
                .params
                .iter()
                .find(|(k, _)| e.batch_only.contains(&k.as_str()))
        {
            return Err(Error::InvalidParam {
                name: k.clone(),
                reason: format!("`{k}` of `{}` is a batch (`fit`) parameter only", e.name),
            });
        }
        // Validate parameters now so a bad one is reported before any data is read.
        (e.build)(&s)?;
        out.push((s, e));
    }
    Ok(out)
}

fn assemble(mut parts: Vec<Component>) -> Result<AnyModel> {
    let last = parts.pop().ok_or_else(|| Error::Spec {
        spec: String::new(),
        reason: "empty pipeline".into(),
    })?;
    let steps = parts
        .into_iter()
        .map(|c| match c {
            Component::Transformer(t) => Ok(t),
            _ => Err(Error::Spec {
                spec: String::new(),
                reason: "only transformers may come before the last stage".into(),
            }),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(match last {
        Component::Classifier(m) => AnyModel::Classifier(Pipeline::new(steps, m)),
        Component::Regressor(m) => AnyModel::Regressor(Pipeline::new(steps, m)),
        Component::Transformer(m) => AnyModel::Transformer(Pipeline::new(steps, m)),
    })
}

/// An empty model from a pipeline spec (the stream path).
pub fn build(text: &str) -> Result<AnyModel> {
    let parts = parse(text, Path::Stream)?
        .iter()
        .map(|(s, e)| (e.build)(s))
        .collect::<Result<Vec<_>>>()?;
    assemble(parts)
}

/// A model fitted on a whole data set from a pipeline spec (the batch path): each stage is
/// fitted by its own batch algorithm on the data as the stages before it transform it.
pub fn fit(text: &str, data: &Dataset) -> Result<AnyModel> {
    let stages = parse(text, Path::Batch)?;
    let mut parts = Vec::with_capacity(stages.len());
    let mut current: Option<Dataset> = None;
    for (i, (s, e)) in stages.iter().enumerate() {
        let d = current.as_ref().unwrap_or(data);
        let c = (e.fit)(s, d)?;
        if i + 1 < stages.len() {
            let Component::Transformer(t) = &c else {
                unreachable!("parse puts transformers before the last stage")
            };
            current = Some(transform_dataset(t, d)?);
        }
        parts.push(c);
    }
    assemble(parts)
}

/// The checkpoint kind of a saved command-line model.
pub const SAVED_MODEL_KIND: &str = "tidewater-model";

/// A model as the command line saves it: the model, the spec it was built from, and the
/// columns it learned from, so `predict`, `transform` and `learn --load` can match a file's
/// columns by name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedModel {
    /// The spec as given (`standard_scaler|gaussian_nb`).
    pub spec: String,
    /// Feature column names, in the model's feature order.
    pub features: Vec<String>,
    /// The target column name (none for transformers).
    pub target: Option<String>,
    /// Whether the target column holds numbers (`true`) or text labels.
    pub target_numeric: bool,
    /// Rows learned so far (both paths).
    pub rows_seen: u64,
    /// The model.
    pub model: AnyModel,
}

impl SavedModel {
    /// Writes the model as a checkpoint (atomically).
    pub fn save(&self, path: &std::path::Path) -> Result<()> {
        tidewater_core::persist::save(path, SAVED_MODEL_KIND, self)
    }

    /// Reads a model written by [`save`](Self::save); a file that is not one, or is
    /// corrupted or truncated, is an error naming the file.
    pub fn load(path: &std::path::Path) -> Result<Self> {
        let (h, m): (_, SavedModel) = tidewater_core::persist::load(path)?;
        if h.kind != SAVED_MODEL_KIND {
            return Err(Error::Checkpoint {
                path: path.display().to_string(),
                reason: format!("holds a `{}`, not a tidewater model", h.kind),
            });
        }
        Ok(m)
    }
}
