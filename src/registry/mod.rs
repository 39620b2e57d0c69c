//! Every model, transformer and baseline by its command-line name: specs to models, the
//! `list` catalogue, and the saved-model format.
//!
//! The components themselves are listed once, in the model table (`table.rs`), which
//! generates the `Any*` enums (with their checkpoint tags), their dispatch and the
//! catalogue. A saved model is always a [`Pipeline`] (possibly with no transformers) whose
//! final stage is a classifier, a regressor, a transformer or a clusterer, wrapped with the spec it was
//! built from and the schema of the columns it learned from.

use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult};
use tidewater_core::pipeline::{TransformerUnion, transform_dataset};
use tidewater_core::record::{RecordSchema, Table};
use tidewater_core::rounds::{Executor, RunInfo};
use tidewater_core::spec::{ParamDoc, Params, Spec, Value, unknown_param};
use tidewater_core::{
    Batch, Build, ClassSet, Classifier, Clusterer, Dataset, Error, Fit, Label, Pipeline, Regressor,
    Result, Row, Structure, Targets, Transformer,
};

use crate::preprocessing::{ColumnTransformer, Passthrough, RecordStepParams};

mod generate;
mod table;

pub use table::{AnyClassifier, AnyClusterer, AnyRegressor, AnyTransformer};

/// What a component does, which decides where it may stand in a pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// Maps rows to rows; stands anywhere in a pipeline.
    Transformer,
    /// Predicts labels; only the last stage.
    Classifier,
    /// Predicts numbers; only the last stage.
    Regressor,
    /// Groups rows into clusters (predicts a cluster index); only the last stage.
    Clusterer,
}

impl Role {
    /// The lowercase name of the role.
    pub fn name(self) -> &'static str {
        match self {
            Role::Transformer => "transformer",
            Role::Classifier => "classifier",
            Role::Regressor => "regressor",
            Role::Clusterer => "clusterer",
        }
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
    /// A clusterer.
    Clusterer(AnyClusterer),
    /// A step of the record stage (an encoder, an imputer, a column selection), bound to the
    /// data's columns when the model is built.
    Record(RecordStepParams),
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
    pub batch_only: Vec<&'static str>,
    /// Its parameters with defaults.
    pub params: fn() -> Vec<ParamDoc>,
    /// An empty component from a spec (stream path).
    pub build: fn(&Spec) -> Result<Component>,
    /// A component fitted on a data set from a spec (batch path).
    pub fit: fn(&Spec, &Dataset) -> Result<Component>,
    /// Whether it is a step of the record stage (it takes raw columns, text and missing
    /// values, and must come before every other stage).
    pub record: bool,
    /// What the common estimator checks may hold it to.
    pub properties: tidewater_core::spec::Properties,
}

impl Entry {
    /// The entry of a params type `P` with these constructors.
    fn of<P: Params>(
        role: Role,
        record: bool,
        build: fn(&Spec) -> Result<Component>,
        fit: fn(&Spec, &Dataset) -> Result<Component>,
    ) -> Entry {
        Entry {
            name: P::NAME,
            summary: P::SUMMARY,
            role,
            batch_path: P::PROPERTIES.batch_path,
            batch_only: P::batch_only(),
            params: P::docs,
            build,
            fit,
            record,
            properties: P::PROPERTIES,
        }
    }
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

/// The entry of a model or transformer of the table.
fn model_entry<P, M>(role: Role) -> Entry
where
    P: Params + Build<Model = M> + Fit<Model = M>,
    M: Into<Component>,
{
    Entry::of::<P>(role, false, build_with::<P, M>, fit_with::<P, M>)
}

/// Every component the library offers, in `list` order.
pub fn catalogue() -> &'static [Entry] {
    static ENTRIES: std::sync::OnceLock<Vec<Entry>> = std::sync::OnceLock::new();
    ENTRIES.get_or_init(table::table_entries)
}

/// The parts of a `union(parts=[a, b(p=1), ...])` spec: transformer specs (not record
/// steps), each checked against the catalogue.
fn union_parts(spec: &Spec) -> Result<Vec<(Spec, &'static Entry)>> {
    let mut parts = None;
    for (k, v) in &spec.params {
        match k.as_str() {
            "parts" => parts = Some(v),
            _ => return Err(unknown_param("union", k, &["parts"])),
        }
    }
    let Some(Value::List(items)) = parts else {
        return Err(Error::param(
            "parts",
            "union needs parts=[transformer, ...], e.g. union(parts=[standard_scaler,pca])",
        ));
    };
    if items.is_empty() {
        return Err(Error::param(
            "parts",
            "a union needs at least one transformer",
        ));
    }
    items
        .iter()
        .map(|v| {
            let s = match v {
                Value::Spec(s) => s.clone(),
                Value::Text(t) => Spec {
                    name: t.clone(),
                    params: Vec::new(),
                },
                o => {
                    return Err(Error::param(
                        "parts",
                        format!("expected a transformer spec, got {o}"),
                    ));
                }
            };
            let e = entry(&s.name)?;
            if e.role != Role::Transformer || e.record {
                return Err(Error::param(
                    "parts",
                    format!("`{}` is not a numeric transformer", e.name),
                ));
            }
            Ok((s, e))
        })
        .collect()
}

fn union_of(parts: Vec<Component>) -> Result<Component> {
    let ts = parts
        .into_iter()
        .map(|c| match c {
            Component::Transformer(t) => Ok(t),
            _ => Err(Error::param("parts", "only transformers make a union")),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Component::Transformer(AnyTransformer::Union(
        TransformerUnion::new(ts)?,
    )))
}

fn union_build(spec: &Spec) -> Result<Component> {
    let parts = union_parts(spec)?
        .iter()
        .map(|(s, e)| (e.build)(s))
        .collect::<Result<Vec<_>>>()?;
    union_of(parts)
}

fn union_fit(spec: &Spec, data: &Dataset) -> Result<Component> {
    let parts = union_parts(spec)?
        .iter()
        .map(|(s, e)| (e.fit)(s, data))
        .collect::<Result<Vec<_>>>()?;
    union_of(parts)
}

fn union_docs() -> Vec<ParamDoc> {
    vec![ParamDoc {
        name: "parts",
        default: Value::None,
        doc: "the transformers whose outputs are concatenated, e.g. [standard_scaler,pca]",
        allowed: "a list [..] of transformer specs".into(),
        batch_only: false,
    }]
}

/// The entry of `union`: transformers side by side (not a model of the table; it holds
/// them).
fn union_entry() -> Entry {
    Entry {
        name: "union",
        summary: "transformers side by side on the same rows, outputs concatenated",
        role: Role::Transformer,
        batch_path: true,
        batch_only: Vec::new(),
        params: union_docs,
        build: union_build,
        fit: union_fit,
        record: false,
        properties: tidewater_core::spec::Properties::DEFAULT,
    }
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

/// The drift detectors by command-line name (`adwin`, `ddm`, ...): the catalogue lives in
/// tidewater-drift, which knows every detector; `list`, `drift` and `eval --retrain` take it
/// from here.
pub use crate::drift::{
    AnyDetector, DetectorEntry, build_detector, detector_catalogue, detector_entry,
};

/// Which path a spec is going to be used on: batch-only models and `batch_only` parameters
/// are refused on the stream path.
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
    Classifier(Pipeline<AnyTransformer, AnyClassifier, ColumnTransformer>),
    /// A regressor pipeline.
    Regressor(Pipeline<AnyTransformer, AnyRegressor, ColumnTransformer>),
    /// A transformer pipeline.
    Transformer(Pipeline<AnyTransformer, AnyTransformer, ColumnTransformer>),
    /// A clusterer pipeline (appended last: the variants' order is the saved models' tag).
    Clusterer(Pipeline<AnyTransformer, AnyClusterer, ColumnTransformer>),
}

impl AnyModel {
    /// The model's trees for inspection (see [`Classifier::structure`]); `None` for models
    /// that are not trees and for transformers.
    pub fn structure(&self, feature_names: &[String]) -> Option<Structure> {
        match self {
            AnyModel::Classifier(p) => p.structure(feature_names),
            AnyModel::Regressor(p) => p.structure(feature_names),
            AnyModel::Transformer(_) | AnyModel::Clusterer(_) => None,
        }
    }

    /// Tells the model which features are nominal (see
    /// [`Classifier::set_nominal_features`]); a transformer pipeline ignores it.
    pub fn set_nominal_features(&mut self, nominal: &[usize]) {
        match self {
            AnyModel::Classifier(p) => p.set_nominal_features(nominal),
            AnyModel::Regressor(p) => p.set_nominal_features(nominal),
            AnyModel::Transformer(_) | AnyModel::Clusterer(_) => {}
        }
    }

    /// The model's size in bytes: its checkpoint payload, counted without writing it (see
    /// [`encoded_size`](tidewater_core::persist::encoded_size)); what `tidewater bench`
    /// reports for every model.
    pub fn size_bytes(&self) -> Result<usize> {
        tidewater_core::persist::encoded_size(self)
    }

    /// The role of the final stage.
    pub fn role(&self) -> Role {
        match self {
            AnyModel::Classifier(_) => Role::Classifier,
            AnyModel::Regressor(_) => Role::Regressor,
            AnyModel::Transformer(_) => Role::Transformer,
            AnyModel::Clusterer(_) => Role::Clusterer,
        }
    }

    /// The number of input features, once known.
    pub fn n_features(&self) -> Option<usize> {
        match self {
            AnyModel::Classifier(p) => p.n_features(),
            AnyModel::Regressor(p) => p.n_features(),
            AnyModel::Transformer(p) => p.n_features_in(),
            AnyModel::Clusterer(p) => p.n_features(),
        }
    }

    /// The record stage, when the pipeline has one (it then takes raw records: text and
    /// missing values reach it).
    pub fn record_stage(&self) -> Option<&ColumnTransformer> {
        match self {
            AnyModel::Classifier(p) => p.record_stage(),
            AnyModel::Regressor(p) => p.record_stage(),
            AnyModel::Transformer(p) => p.record_stage(),
            AnyModel::Clusterer(p) => p.record_stage(),
        }
    }
}

/// Parses a pipeline spec and checks it: known names, parameters, values, transformers
/// before at most one final model, and on the stream path no batch-only model or parameter.
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
        if e.record && out.iter().any(|(_, p): &(Spec, &Entry)| !p.record) {
            return Err(Error::Spec {
                spec: text.into(),
                reason: format!(
                    "`{}` works on the data's columns (text, missing values): it must come \
                     before every other stage",
                    e.name
                ),
            });
        }
        if path == Path::Stream && !e.properties.stream_path {
            return Err(Error::Spec {
                spec: text.into(),
                reason: format!(
                    "`{}` is a batch model: it learns from a whole data set with `fit`, not \
                     row by row (`learn`, `eval`)",
                    e.name
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

/// Refuses a saved model's spec whose final model has no stream path (a CART tree, a
/// random forest): what `learn --load` checks before reading a row.
pub fn check_stream_path(text: &str) -> Result<()> {
    let stages = parse(text, Path::Batch)?;
    match stages.last() {
        Some((_, e)) if !e.properties.stream_path => Err(Error::Spec {
            spec: text.into(),
            reason: format!(
                "`{}` is a batch model: it cannot keep learning row by row; fit it again on \
                 the whole data set with `fit`",
                e.name
            ),
        }),
        _ => Ok(()),
    }
}

fn assemble(mut parts: Vec<Component>, front: Option<ColumnTransformer>) -> Result<AnyModel> {
    if parts.is_empty() && front.is_some() {
        parts.push(Component::Transformer(Passthrough::default().into()));
    }
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
        Component::Classifier(m) => {
            AnyModel::Classifier(Pipeline::with_record_stage(front, steps, m))
        }
        Component::Regressor(m) => {
            AnyModel::Regressor(Pipeline::with_record_stage(front, steps, m))
        }
        Component::Transformer(m) => {
            AnyModel::Transformer(Pipeline::with_record_stage(front, steps, m))
        }
        Component::Clusterer(m) => {
            AnyModel::Clusterer(Pipeline::with_record_stage(front, steps, m))
        }
        Component::Record(_) => unreachable!("record steps are taken out first"),
    })
}

/// Splits parsed stages into the record stage's steps (leading) and the others.
/// A parsed stage: its spec and catalogue entry.
type Stage = (Spec, &'static Entry);

fn split_record(stages: &[Stage]) -> Result<(Vec<RecordStepParams>, &[Stage])> {
    let n = stages.iter().take_while(|(_, e)| e.record).count();
    let mut steps = Vec::with_capacity(n);
    for (s, e) in &stages[..n] {
        match (e.build)(s)? {
            Component::Record(r) => steps.push(r),
            _ => unreachable!("record entries build record steps"),
        }
    }
    Ok((steps, &stages[n..]))
}

/// Whether a pipeline spec has a record stage (encoders, imputers, column selection), so
/// that it takes the data's raw columns.
pub fn has_record_stage(text: &str) -> Result<bool> {
    Ok(parse(text, Path::Batch)?
        .first()
        .is_some_and(|(_, e)| e.record))
}

/// An empty model from a pipeline spec (the stream path). A spec with a record stage needs
/// the data's columns: use [`build_for`].
pub fn build(text: &str) -> Result<AnyModel> {
    build_for(text, None)
}

/// An empty model from a pipeline spec whose record stage (if any) is bound to `schema`, the
/// columns of the records it will take.
pub fn build_for(text: &str, schema: Option<&RecordSchema>) -> Result<AnyModel> {
    let stages = parse(text, Path::Stream)?;
    let (record, rest) = split_record(&stages)?;
    let front = bind_front(text, &record, schema)?;
    let parts = rest
        .iter()
        .map(|(s, e)| (e.build)(s))
        .collect::<Result<Vec<_>>>()?;
    assemble(parts, front)
}

/// The record stage of a pipeline spec (none when it has none), bound to `schema` and
/// empty, with the batch path's parameters accepted: what the batch path checks rows with
/// before fitting.
pub fn record_stage_for(text: &str, schema: &RecordSchema) -> Result<Option<ColumnTransformer>> {
    let stages = parse(text, Path::Batch)?;
    let (record, _) = split_record(&stages)?;
    bind_front(text, &record, Some(schema))
}

fn bind_front(
    text: &str,
    record: &[RecordStepParams],
    schema: Option<&RecordSchema>,
) -> Result<Option<ColumnTransformer>> {
    if record.is_empty() {
        return Ok(None);
    }
    let schema = schema.ok_or_else(|| Error::Spec {
        spec: text.into(),
        reason: "the record stage needs the data's columns to be built".into(),
    })?;
    ColumnTransformer::new(schema.clone(), record).map(Some)
}

/// Fits every stage after the record stage on `data`, each by its own batch algorithm on
/// the data as the stages before it transform it.
/// The batch fits whose iterations run as rounds on an [`Executor`] (`fit --workers`): the
/// fitted component and what ran.
type RoundsFit = fn(&Spec, &Dataset, &dyn Executor) -> Result<(Component, RunInfo)>;

/// The [`RoundsFit`] of the model `name`, if its batch fit has one.
fn rounds_fit(name: &str) -> Option<RoundsFit> {
    use crate::linear::{
        LinearRegressionParams, LogisticRegressionParams, RidgeParams, SoftmaxRegressionParams,
    };
    match name {
        n if n == LogisticRegressionParams::NAME => Some(|spec, data, exec| {
            let (m, info) = LogisticRegressionParams::from_spec(spec)?.fit_on(data, exec)?;
            Ok((m.into(), info))
        }),
        n if n == SoftmaxRegressionParams::NAME => Some(|spec, data, exec| {
            let (m, info) = SoftmaxRegressionParams::from_spec(spec)?.fit_on(data, exec)?;
            Ok((m.into(), info))
        }),
        n if n == LinearRegressionParams::NAME => Some(|spec, data, exec| {
            let (m, info) = LinearRegressionParams::from_spec(spec)?.fit_on(data, exec)?;
            Ok((m.into(), info))
        }),
        n if n == RidgeParams::NAME => Some(|spec, data, exec| {
            let (m, info) = RidgeParams::from_spec(spec)?.fit_on(data, exec)?;
            Ok((m.into(), info))
        }),
        n if n == crate::cluster::KMeansParams::NAME => Some(|spec, data, exec| {
            let (m, info) = crate::cluster::KMeansParams::from_spec(spec)?.fit_on(data, exec)?;
            Ok((m.into(), info))
        }),
        _ => None,
    }
}

/// The models whose batch fit runs in rounds on workers ([`fit_on`]), in `list` order.
pub const ROUNDS_MODELS: &[&str] = &[
    "logistic_regression",
    "softmax_regression",
    "linear_regression",
    "ridge",
    "kmeans",
];

/// The model that trains by mini-batch SGD rounds on the parameter server ([`Trainer::Sgd`]).
pub const SGD_MODEL: &str = "logistic_regression";

/// How a pipeline's final model is trained when not by its own batch fit.
#[derive(Clone, Copy)]
pub enum Trainer<'a> {
    /// Its batch fit's rounds, run by an executor (a parameter server's workers or
    /// processes): the same model. The model must be one of [`ROUNDS_MODELS`].
    Rounds(&'a dyn Executor),
    /// Mini-batch SGD rounds on the in-process parameter server (the model must be
    /// [`SGD_MODEL`]): see [`SgdPlan`].
    Sgd(SgdPlan<'a>),
}

/// Mini-batch SGD rounds for `logistic_regression` on the in-process parameter server
/// (`tidewater::ps::sgd`), instead of its L-BFGS fit: each of `workers` threads takes a
/// contiguous shard of the rows and, each round, its next `batch_size` rows, pulls the
/// weights they touch and pushes their mean gradient; the server applies the spec's
/// `optimizer` per key (`sgd` with the constant schedule, or `adagrad`), the intercept by
/// plain steps of `intercept_lr`; `l2` and `clip_gradient` as on the stream path (`c` and
/// `l1` are refused). Under BSP the model is deterministic for a given number of workers;
/// under SSP or ASP it depends on the threads' timing.
#[derive(Clone, Copy)]
pub struct SgdPlan<'a> {
    /// Worker threads (at least 1).
    pub workers: usize,
    /// How far the workers may run apart.
    pub consistency: crate::ps::Consistency,
    /// Rows per mini-batch and worker (at least 1).
    pub batch_size: usize,
    /// Passes over the rows (at least 1).
    pub epochs: usize,
    /// Told by worker 0 after each of its rounds: the round and its mini-batch's log loss.
    pub progress: Option<crate::ps::sgd::Progress<'a>>,
    /// Where the rounds run instead of the in-process server's threads (the processes of
    /// `tidewater::ps::Processes::train_logistic`, feature `distributed`); `workers` is then
    /// their number.
    pub runner: Option<&'a SgdRunner<'a>>,
}

/// Mini-batch SGD of a logistic regression somewhere else than on this process's threads:
/// the signature of [`crate::ps::sgd::train_logistic`].
pub type SgdRunner<'a> = dyn Fn(
        crate::core::Batch<'_>,
        &[bool],
        Option<&[f64]>,
        &crate::ps::sgd::SgdConfig,
        Option<crate::ps::sgd::Progress<'_>>,
    ) -> Result<crate::ps::sgd::SgdOutcome>
    + Sync
    + 'a;

/// `logistic_regression` (spec `s`) trained on `data` by SGD rounds as `plan` says.
fn sgd_fit(s: &Spec, data: &Dataset, plan: &SgdPlan<'_>) -> Result<(Component, RunInfo)> {
    use crate::linear::{LogisticRegressionParams, Optimizer, Schedule};
    use crate::ps::sgd::{Intercept, SgdConfig, Step, train_logistic};
    let p = LogisticRegressionParams::from_spec(s)?;
    if p.l1 != 0.0 {
        return Err(Error::param(
            "l1",
            "River's cumulative L1 penalty has no SGD rounds: give l2, or learn online",
        ));
    }
    if p.c.is_some() {
        return Err(Error::param(
            "c",
            "`c` sets the L-BFGS fit's penalty; SGD rounds take `l2`",
        ));
    }
    let (rate, step) = match p.optimizer {
        Optimizer::Sgd {
            lr,
            schedule: Schedule::Constant,
        } => (lr, Step::Plain),
        Optimizer::AdaGrad { lr, eps } => (lr, Step::AdaGrad { eps }),
        _ => {
            return Err(Error::param(
                "optimizer",
                "the parameter server applies sgd (constant schedule) or adagrad per key",
            ));
        }
    };
    let cfg = SgdConfig {
        batch_size: plan.batch_size,
        rate,
        step,
        l2: p.l2,
        intercept: if p.fit_intercept {
            Intercept::Plain(p.intercept_lr)
        } else {
            Intercept::None
        },
        clip: p.clip_gradient,
        epochs: plan.epochs,
        workers: plan.workers,
        consistency: plan.consistency,
        delay: None,
    };
    let mut rounds = 0;
    let m = p.fit_with(data, |positive| {
        let run: &SgdRunner<'_> = plan.runner.unwrap_or(&train_logistic);
        let out = run(
            data.batch(),
            positive,
            data.weights.as_deref(),
            &cfg,
            plan.progress,
        )?;
        rounds = out.rounds as usize;
        Ok((out.coef, out.intercept))
    })?;
    let info = RunInfo {
        rounds,
        workers: plan.workers.min(data.n_rows()),
    };
    Ok((Component::Classifier(m.into()), info))
}

fn fit_rest(
    rest: &[(Spec, &'static Entry)],
    data: &Dataset,
    front: Option<ColumnTransformer>,
    on: Option<Trainer<'_>>,
) -> Result<(AnyModel, Option<RunInfo>)> {
    let mut parts = Vec::with_capacity(rest.len());
    let mut current: Option<Dataset> = None;
    let mut info = None;
    match (on, rest.last()) {
        (Some(Trainer::Rounds(_)), Some((s, _))) if rounds_fit(&s.name).is_none() => {
            return Err(Error::Unsupported(format!(
                "`{}` has no batch fit in rounds to run on workers; those that have: {}",
                s.name,
                ROUNDS_MODELS.join(", ")
            )));
        }
        (Some(Trainer::Sgd(_)), Some((s, _))) if s.name != SGD_MODEL => {
            return Err(Error::Unsupported(format!(
                "`{}` does not train by SGD rounds; {SGD_MODEL} does",
                s.name
            )));
        }
        _ => {}
    }
    for (i, (s, e)) in rest.iter().enumerate() {
        let d = current.as_ref().unwrap_or(data);
        let c = match (on, i + 1 == rest.len()) {
            (Some(Trainer::Rounds(exec)), true) => {
                let fit = rounds_fit(&s.name).expect("checked above");
                let (c, ran) = fit(s, d, exec)?;
                info = Some(ran);
                c
            }
            (Some(Trainer::Sgd(plan)), true) => {
                let (c, ran) = sgd_fit(s, d, &plan)?;
                info = Some(ran);
                c
            }
            _ => (e.fit)(s, d)?,
        };
        if i + 1 < rest.len() {
            let Component::Transformer(t) = &c else {
                unreachable!("parse puts transformers before the last stage")
            };
            current = Some(transform_dataset(t, d)?);
        }
        parts.push(c);
    }
    if parts.is_empty() {
        // Only a record stage: the identity learns the dimension.
        let mut p = Passthrough::default();
        p.learn_many(data.batch(), data.weights.as_deref())?;
        parts.push(Component::Transformer(p.into()));
    }
    Ok((assemble(parts, front)?, info))
}

/// A model fitted on a whole data set from a pipeline spec (the batch path): each stage is
/// fitted by its own batch algorithm on the data as the stages before it transform it. A
/// record stage reads the data set's rows as records of numbers.
pub fn fit(text: &str, data: &Dataset) -> Result<AnyModel> {
    fit_inner(text, data, None).map(|(m, _)| m)
}

/// [`fit`] with the final model's rounds run by `exec` (a parameter server's workers): the
/// same model, and what ran. The final model must be one of [`ROUNDS_MODELS`].
pub fn fit_on(text: &str, data: &Dataset, exec: &dyn Executor) -> Result<(AnyModel, RunInfo)> {
    fit_by(text, data, Trainer::Rounds(exec))
}

/// [`fit`] with the final model trained by `on` (see [`Trainer`]), and what ran.
pub fn fit_by(text: &str, data: &Dataset, on: Trainer<'_>) -> Result<(AnyModel, RunInfo)> {
    let (m, info) = fit_inner(text, data, Some(on))?;
    let info = info.ok_or_else(|| Error::Unsupported("the spec has no model to fit".into()))?;
    Ok((m, info))
}

fn fit_inner(
    text: &str,
    data: &Dataset,
    on: Option<Trainer<'_>>,
) -> Result<(AnyModel, Option<RunInfo>)> {
    let stages = parse(text, Path::Batch)?;
    let (record, rest) = split_record(&stages)?;
    if record.is_empty() {
        return fit_rest(rest, data, None, on);
    }
    let schema = RecordSchema::numeric(data.schema.features.clone())?;
    let mut table = Table::new(schema);
    let mut cells = Vec::new();
    let b = data.batch();
    for i in 0..data.n_rows() {
        tidewater_core::pipeline::row_as_record(b.row(i)?, &mut cells);
        table.push(&cells)?;
    }
    let targets = data.targets.clone();
    let names = data.schema.targets.clone();
    let targeted = (targets, names, data.weights.clone());
    fit_table_inner(text, &record, rest, &table, targeted, on)
}

/// A model fitted on a table of records (the batch path with a record stage): the record
/// stage is fitted on the table (imputers with exact statistics, sorted categories where
/// asked), then every other stage on the data it makes. `targets` are the table's target
/// columns (none for a transformer).
pub fn fit_table(
    text: &str,
    table: &Table,
    targets: Vec<Targets>,
    target_names: Vec<String>,
    weights: Option<Vec<f64>>,
) -> Result<AnyModel> {
    fit_table_on(text, table, targets, target_names, weights, None).map(|(m, _)| m)
}

/// [`fit_table`] with the final model's rounds run by `exec` when given (see [`fit_on`]).
pub fn fit_table_on(
    text: &str,
    table: &Table,
    targets: Vec<Targets>,
    target_names: Vec<String>,
    weights: Option<Vec<f64>>,
    exec: Option<&dyn Executor>,
) -> Result<(AnyModel, Option<RunInfo>)> {
    fit_table_by(
        text,
        table,
        targets,
        target_names,
        weights,
        exec.map(Trainer::Rounds),
    )
}

/// [`fit_table`] with the final model trained by `on` when given (see [`Trainer`]).
pub fn fit_table_by(
    text: &str,
    table: &Table,
    targets: Vec<Targets>,
    target_names: Vec<String>,
    weights: Option<Vec<f64>>,
    on: Option<Trainer<'_>>,
) -> Result<(AnyModel, Option<RunInfo>)> {
    let stages = parse(text, Path::Batch)?;
    let (record, rest) = split_record(&stages)?;
    let targeted = (targets, target_names, weights);
    fit_table_inner(text, &record, rest, table, targeted, on)
}

fn fit_table_inner(
    text: &str,
    record: &[RecordStepParams],
    rest: &[(Spec, &'static Entry)],
    table: &Table,
    (targets, target_names, weights): (Vec<Targets>, Vec<String>, Option<Vec<f64>>),
    on: Option<Trainer<'_>>,
) -> Result<(AnyModel, Option<RunInfo>)> {
    let front = bind_front(text, record, Some(table.schema()))?;
    let mut holder: Pipeline<AnyTransformer, (), ColumnTransformer> =
        Pipeline::with_record_stage(front, Vec::new(), ());
    let data = holder.fit_record_stage(table, targets, target_names, weights)?;
    let (front, _, _) = holder.into_parts();
    fit_rest(rest, &data, front, on)
}

/// The checkpoint kind of a saved command-line model (the payload's version after the `/`).
pub const SAVED_MODEL_KIND: &str = "tidewater-model/2";

/// The kind of the first saved-model payload (v0.1.0), still read.
const SAVED_MODEL_KIND_V1: &str = "tidewater-model";

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
    /// The hash bits of the LIBSVM or VW rows it learned from (their dimension is
    /// `2^bits`); none for a model of columns.
    pub bits: Option<u32>,
}

/// The payload of [`SAVED_MODEL_KIND_V1`]: a saved model before `bits`.
#[derive(Deserialize)]
struct SavedModelV1 {
    spec: String,
    features: Vec<String>,
    target: Option<String>,
    target_numeric: bool,
    rows_seen: u64,
    model: AnyModel,
}

impl SavedModel {
    /// Writes the model as a checkpoint (atomically). A model that fails its
    /// [`CheckState`] check (statistics turned NaN by a diverging learner, say) is not
    /// written: the error names the part, and the file keeps what it held.
    pub fn save(&self, path: &std::path::Path) -> Result<()> {
        self.check_before_save(&path.display().to_string())?;
        tidewater_core::persist::save(path, SAVED_MODEL_KIND, self)
    }

    fn check_before_save(&self, name: &str) -> Result<()> {
        self.check_state().map_err(|reason| Error::Checkpoint {
            path: name.into(),
            reason: format!("not saved: inconsistent model: {reason}"),
        })
    }

    /// Reads a model written by [`save`](Self::save); a file that is not one, is corrupted
    /// or truncated, or holds a model that fails its [`CheckState`] check, is an error
    /// naming the file.
    ///
    /// A directory is read as a model directory ([`ModelDir`](tidewater_core::publish::ModelDir)):
    /// its newest version is loaded.
    pub fn load(path: &std::path::Path) -> Result<Self> {
        if path.is_dir() {
            return Self::load_latest(path).map(|(_, m)| m);
        }
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: name.clone(),
            source,
        })?;
        Self::from_bytes(&bytes, &name)
    }

    /// The newest version of a model directory that a
    /// [`DirPublisher`](tidewater_core::publish::DirPublisher) writes, with its number.
    pub fn load_latest(dir: &std::path::Path) -> Result<(u64, Self)> {
        let md = tidewater_core::publish::ModelDir::new(dir);
        let (v, bytes) = md.read_latest()?;
        let name = md.version_path(v).display().to_string();
        Ok((v, Self::from_bytes(&bytes, &name)?))
    }

    /// Publishes the model as the next version of a model directory (checked as
    /// [`save`](Self::save) checks) and returns the version.
    pub fn publish(&self, to: &mut tidewater_core::publish::DirPublisher) -> Result<u64> {
        self.check_before_save(&to.dir().path().display().to_string())?;
        to.publish(&tidewater_core::persist::to_bytes(SAVED_MODEL_KIND, self)?)
    }

    /// Decodes a saved model from a checkpoint's bytes (`name` appears in errors) and checks
    /// it before use: a model file is data (see [`CheckState`]).
    pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Self> {
        let saved = Self::decode(bytes, name)?;
        saved.check_state().map_err(|reason| Error::Checkpoint {
            path: name.into(),
            reason: format!("inconsistent model: {reason}"),
        })?;
        Ok(saved)
    }

    /// The checkpoint's bytes (what [`save`](Self::save) writes, checked as it checks).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        self.check_before_save("<memory>")?;
        tidewater_core::persist::to_bytes(SAVED_MODEL_KIND, self)
    }

    fn decode(bytes: &[u8], name: &str) -> Result<Self> {
        let header = tidewater_core::persist::read_header(bytes, name)?;
        match header.kind.as_str() {
            SAVED_MODEL_KIND => Ok(tidewater_core::persist::from_bytes(bytes, name)?.1),
            SAVED_MODEL_KIND_V1 => {
                let (_, m): (_, SavedModelV1) = tidewater_core::persist::from_bytes(bytes, name)?;
                Ok(SavedModel {
                    spec: m.spec,
                    features: m.features,
                    target: m.target,
                    target_numeric: m.target_numeric,
                    rows_seen: m.rows_seen,
                    model: m.model,
                    bits: None,
                })
            }
            other => Err(Error::Checkpoint {
                path: name.into(),
                reason: format!("holds a `{other}`, not a tidewater model"),
            }),
        }
    }
}

impl CheckState for SavedModel {
    /// The model's own check, hash bits in range, and as many feature names as a model of
    /// columns takes.
    fn check_state(&self) -> StateResult {
        use tidewater_core::check::*;
        self.model.check_state()?;
        if let Some(b) = self.bits {
            ensure((1..=tidewater_core::io::vw::MAX_BITS).contains(&b), || {
                format!(
                    "bits: {b} is not between 1 and {}",
                    tidewater_core::io::vw::MAX_BITS
                )
            })?;
            if let Some(n) = self.model.n_features() {
                ensure(n <= 1usize << b, || {
                    format!("{n} features, more than the 2^{b} that {b} hash bits address")
                })?;
            }
        } else if self.model.record_stage().is_none() {
            if let Some(n) = self.model.n_features() {
                same_len("features", self.features.len(), n)?;
            }
            let most = self.features.len().max(1).saturating_mul(MAX_WIDENING);
            if let Some(w) = self.model.stated_widths().into_iter().find(|&w| w > most) {
                return Err(format!(
                    "a stage states {w} features for a model of {} columns (at most {most})",
                    self.features.len()
                ));
            }
        }
        Ok(())
    }
}

impl CheckState for AnyModel {
    /// The pipeline's check, and its final stage taking as many features as the last
    /// transformer gives.
    fn check_state(&self) -> StateResult {
        let (width, takes) = match self {
            AnyModel::Classifier(p) => (p.last_width(), p.model().n_features()),
            AnyModel::Regressor(p) => (p.last_width(), p.model().n_features()),
            AnyModel::Transformer(p) => (p.last_width(), p.model().n_features_in()),
            AnyModel::Clusterer(p) => (p.last_width(), p.model().n_features()),
        };
        each_model_pipeline(self)?;
        if let (Some(w), Some(t)) = (width, takes) {
            tidewater_core::check::ensure(w == t, || {
                format!("the last transformer gives {w} features, the final stage takes {t}")
            })?;
        }
        Ok(())
    }
}

impl AnyModel {
    /// Every width the model states: each transformer's input and output, and the final
    /// stage's input (those it knows).
    fn stated_widths(&self) -> Vec<usize> {
        fn steps<M>(
            p: &Pipeline<AnyTransformer, M, ColumnTransformer>,
            last: Option<usize>,
        ) -> Vec<usize> {
            p.steps()
                .iter()
                .flat_map(|s| [s.n_features_in(), s.n_features_out()])
                .chain([last])
                .flatten()
                .collect()
        }
        match self {
            AnyModel::Classifier(p) => steps(p, p.model().n_features()),
            AnyModel::Regressor(p) => steps(p, p.model().n_features()),
            AnyModel::Transformer(p) => steps(p, p.model().n_features_out()),
            AnyModel::Clusterer(p) => steps(p, p.model().n_features()),
        }
    }
}

/// How many times its input columns a model of columns may widen its rows (unions of
/// transformers side by side): a larger stated width is refused on load, before a row of that
/// width is allocated (found by the checkpoint fuzz target: a 959-byte file stating 2^24
/// features made every prediction allocate gigabytes).
pub const MAX_WIDENING: usize = 64;

fn each_model_pipeline(m: &AnyModel) -> StateResult {
    match m {
        AnyModel::Classifier(p) => p.check_state(),
        AnyModel::Regressor(p) => p.check_state(),
        AnyModel::Transformer(p) => p.check_state(),
        AnyModel::Clusterer(p) => p.check_state(),
    }
}
