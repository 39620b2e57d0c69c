//! The catalogue entries of the preprocessing family beyond `standard_scaler`: the numeric
//! transformers, the union, and the steps of the record stage (encoders, imputers, column
//! selection).

use tidewater_core::pipeline::TransformerUnion;
use tidewater_core::spec::{ParamDoc, Params, Spec, Value, unknown_param};
use tidewater_core::{Dataset, Error, Result};

use super::{AnyTransformer, Component, Entry, Role, build_with, fit_with};
use crate::preprocessing::{
    AdaptiveStandardScaler, AdaptiveStandardScalerParams, BagOfWordsParams, FeatureHasherParams,
    IncrementalPca, IncrementalPcaParams, KBinsDiscretizer, KBinsDiscretizerParams, MaxAbsScaler,
    MaxAbsScalerParams, MinMaxScaler, MinMaxScalerParams, Normalizer, NormalizerParams,
    OneHotEncoderParams, OrdinalEncoderParams, Passthrough, PassthroughParams, Pca, PcaParams,
    PreviousImputerParams, RecordStepParams, RobustScaler, RobustScalerParams, SelectParams,
    StatImputerParams, TfIdfParams,
};

macro_rules! numeric {
    ($params:ty, $model:ty, batch_path = $bp:expr) => {
        Entry {
            name: <$params as Params>::NAME,
            summary: <$params as Params>::SUMMARY,
            role: Role::Transformer,
            batch_path: $bp,
            batch_only: &[],
            params: <$params as Params>::docs,
            build: build_with::<$params, $model>,
            fit: fit_with::<$params, $model>,
            record: false,
        }
    };
}

macro_rules! record {
    ($params:ty, $variant:ident, batch_only = [$($b:literal),*]) => {{
        fn build(spec: &Spec) -> Result<Component> {
            Ok(Component::Record(RecordStepParams::$variant(
                <$params as Params>::from_spec(spec)?,
            )))
        }
        fn fit(spec: &Spec, _: &Dataset) -> Result<Component> {
            build(spec)
        }
        Entry {
            name: <$params as Params>::NAME,
            summary: <$params as Params>::SUMMARY,
            role: Role::Transformer,
            batch_path: true,
            batch_only: &[$($b),*],
            params: <$params as Params>::docs,
            build,
            fit,
            record: true,
        }
    }};
}

/// The parts of a `union(parts=[a, b(p=1), ...])` spec: transformer specs (not record
/// steps), each checked against the catalogue.
fn union_parts(spec: &Spec) -> Result<Vec<(Spec, &'static Entry)>> {
    let mut parts = None;
    for (k, v) in &spec.params {
        match k.as_str() {
            "parts" => parts = Some(v),
            _ => return Err(unknown_param("union", k)),
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
            let e = super::entry(&s.name)?;
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
        default: "none".into(),
        doc: "the transformers whose outputs are concatenated, e.g. [standard_scaler,pca]",
    }]
}

/// The preprocessing entries, in `list` order.
pub(super) fn entries() -> Vec<Entry> {
    vec![
        numeric!(MinMaxScalerParams, MinMaxScaler, batch_path = true),
        numeric!(MaxAbsScalerParams, MaxAbsScaler, batch_path = true),
        numeric!(RobustScalerParams, RobustScaler, batch_path = true),
        numeric!(NormalizerParams, Normalizer, batch_path = true),
        numeric!(
            AdaptiveStandardScalerParams,
            AdaptiveStandardScaler,
            batch_path = true
        ),
        numeric!(KBinsDiscretizerParams, KBinsDiscretizer, batch_path = true),
        numeric!(PcaParams, Pca, batch_path = true),
        numeric!(IncrementalPcaParams, IncrementalPca, batch_path = true),
        numeric!(PassthroughParams, Passthrough, batch_path = true),
        Entry {
            name: "union",
            summary: "transformers side by side on the same rows, outputs concatenated",
            role: Role::Transformer,
            batch_path: true,
            batch_only: &[],
            params: union_docs,
            build: union_build,
            fit: union_fit,
            record: false,
        },
        record!(StatImputerParams, StatImputer, batch_only = []),
        record!(PreviousImputerParams, PreviousImputer, batch_only = []),
        record!(OneHotEncoderParams, OneHot, batch_only = ["sorted"]),
        record!(OrdinalEncoderParams, Ordinal, batch_only = ["sorted"]),
        record!(FeatureHasherParams, Hasher, batch_only = []),
        record!(BagOfWordsParams, BagOfWords, batch_only = []),
        record!(TfIdfParams, TfIdf, batch_only = []),
        record!(SelectParams, Select, batch_only = []),
    ]
}
