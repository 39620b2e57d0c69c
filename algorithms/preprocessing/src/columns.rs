//! [`ColumnTransformer`]: the record stage of a pipeline. It selects columns by name,
//! fills missing values, encodes categories and text, passes numeric columns through, and
//! concatenates everything into the numeric row the rest of the pipeline uses.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, ensure, within};
use tidewater_core::record::{
    Cell, ColumnKind, FeatureBuf, RecordSchema, RecordTransformer, Table, check_table,
};
use tidewater_core::row::check_weight;
use tidewater_core::spec::Params;
use tidewater_core::{Error, Location, Result};

use crate::common::MAX_WIDTH;
use crate::encode::{OneHotEncoder, OneHotEncoderParams, OrdinalEncoder, OrdinalEncoderParams};
use crate::hashing::{FeatureHasher, FeatureHasherParams};
use crate::impute::{Imputer, PreviousImputerParams, StatImputerParams};
use crate::text::{BagOfWordsParams, TextVectorizer, TfIdfParams};

/// Hyper-parameters of a column selection: which numeric columns pass through.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "select",
    summary = "record stage: keep only these numeric columns (and those an encoder takes)",
    check = Self::check
)]
pub struct SelectParams {
    /// The numeric columns to keep, by name; once any selection is given, only the selected columns (and those an encoder takes) reach the rest of the pipeline.
    #[param(default = None, skip_setter)]
    pub columns: Option<Vec<String>>,
}

impl SelectParams {
    /// Sets `columns`.
    pub fn columns<S: Into<String>>(mut self, c: impl IntoIterator<Item = S>) -> Self {
        self.columns = Some(c.into_iter().map(Into::into).collect());
        self
    }

    fn check(&self) -> Result<()> {
        if self.columns.is_none() {
            return Err(Error::param("columns", "select needs columns=[...]"));
        }
        Ok(())
    }
}

/// One step of a record stage, as parameters (bound to the columns by
/// [`ColumnTransformer::new`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum RecordStepParams {
    /// Fill missing values with a statistic or a constant.
    StatImputer(StatImputerParams),
    /// Fill missing values with the previous value of the column.
    PreviousImputer(PreviousImputerParams),
    /// One-hot encode category columns.
    OneHot(OneHotEncoderParams),
    /// Ordinal-encode category columns.
    Ordinal(OrdinalEncoderParams),
    /// Hash columns into a fixed sparse space.
    Hasher(FeatureHasherParams),
    /// Token counts of text columns.
    BagOfWords(BagOfWordsParams),
    /// TF-IDF weights of text columns.
    TfIdf(TfIdfParams),
    /// Keep only these numeric columns.
    Select(SelectParams),
}

/// A bound encoder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum Encoder {
    OneHot(OneHotEncoder),
    Ordinal(OrdinalEncoder),
    Hasher(FeatureHasher),
    Text(TextVectorizer),
}

impl Encoder {
    fn columns(&self) -> &[usize] {
        match self {
            Encoder::OneHot(e) => e.columns(),
            Encoder::Ordinal(e) => e.columns(),
            Encoder::Hasher(e) => e.columns(),
            Encoder::Text(e) => e.columns(),
        }
    }
    fn width(&self) -> usize {
        match self {
            Encoder::OneHot(e) => e.width(),
            Encoder::Ordinal(e) => e.width(),
            Encoder::Hasher(e) => e.width(),
            Encoder::Text(e) => e.width(),
        }
    }
    fn width_after(&self, x: &[Cell]) -> usize {
        match self {
            Encoder::OneHot(e) => e.width_after(x),
            Encoder::Text(e) => e.width_after(x),
            e => e.width(),
        }
    }
    fn sparse(&self) -> bool {
        matches!(self, Encoder::Hasher(_) | Encoder::Text(_))
    }
    fn check(&self, x: &[Cell], learning: bool) -> Result<()> {
        match self {
            Encoder::OneHot(e) => e.check(x, learning),
            Encoder::Ordinal(e) => e.check(x, learning),
            Encoder::Hasher(e) => e.check(x),
            Encoder::Text(e) => e.check(x),
        }
    }
    fn learn(&mut self, x: &[Cell], w: f64) {
        match self {
            Encoder::OneHot(e) => e.learn(x),
            Encoder::Ordinal(e) => e.learn(x),
            Encoder::Hasher(_) => {}
            Encoder::Text(e) => e.learn(x, w),
        }
    }
    fn encode(&self, x: &[Cell], offset: usize, out: &mut FeatureBuf) -> Result<()> {
        match self {
            Encoder::OneHot(e) => e.encode(x, offset, out),
            Encoder::Ordinal(e) => e.encode(x, offset, out),
            Encoder::Hasher(e) => e.encode(x, offset, out),
            Encoder::Text(e) => e.encode(x, offset, out),
        }
    }
    fn names(&self, out: &mut Vec<String>) {
        match self {
            Encoder::OneHot(e) => e.feature_names(out),
            Encoder::Ordinal(e) => e.feature_names(out),
            Encoder::Hasher(e) => e.feature_names(out),
            Encoder::Text(e) => e.feature_names(out),
        }
    }
    fn finish_batch(&mut self) {
        match self {
            Encoder::OneHot(e) => e.finish_batch(),
            Encoder::Ordinal(e) => e.finish_batch(),
            _ => {}
        }
    }

    /// The encoder's own check, then its columns against the stage's schema; errors name
    /// the kind of encoder.
    fn check_bound(&self, schema: &RecordSchema) -> StateResult {
        let (name, r) = match self {
            Encoder::OneHot(e) => (
                OneHotEncoderParams::NAME,
                e.check_state().and_then(|()| e.check_columns(schema)),
            ),
            Encoder::Ordinal(e) => (
                OrdinalEncoderParams::NAME,
                e.check_state().and_then(|()| e.check_columns(schema)),
            ),
            Encoder::Hasher(e) => (
                FeatureHasherParams::NAME,
                e.check_state().and_then(|()| e.check_columns(schema)),
            ),
            Encoder::Text(e) => (
                e.kind(),
                e.check_state().and_then(|()| e.check_columns(schema)),
            ),
        };
        within(name, r)
    }
}

/// The record stage: imputers, then encoders and passed-through numeric columns,
/// concatenated.
///
/// **Columns.** Each step takes its columns by name (`columns`), or by default the columns
/// of the kind it handles (encoders: every nominal column; mean and median imputers: every
/// numeric one). A numeric column no encoder takes passes through as it is (all of them, or
/// with a [`SelectParams`] step only the selected ones); a nominal (text) column no encoder
/// takes is an error when the stage is built, naming the column: a model takes numbers.
///
/// **Output layout.** The passed-through numeric columns first, in record order and under
/// their own names, then each encoder's block in the order the steps were given. Numeric
/// columns therefore keep their positions while an encoder grows on the stream path.
///
/// **Learning order** (River's, on both paths). Imputers run first, in order: each learns the
/// record as the imputers before it filled it, then fills it; then every encoder learns the
/// filled record. Prediction fills and encodes with the current state and learns nothing. The
/// batch path ([`RecordTransformer::fit_table`]) fits each imputer on the whole table (the
/// median exactly) and fills the table before the encoders learn it, and numbers
/// categories in sorted order where `sorted` asks; a failed fit leaves the stage as it was.
///
/// **Missing values, unknown categories, bad cells.** A missing cell is filled by an imputer
/// of its column, or is an error naming the column (also when the imputer has seen no value
/// of it yet). A non-finite number, or text in a numeric column, is an error naming the
/// column; so is a record with too few cells. Unknown categories follow each encoder's
/// `handle_unknown` policy. Every check is made before any step learns, so a refused record
/// leaves the stage as it was.
///
/// **Dense or sparse.** The output is sparse when a step writes sparse features (hashing,
/// bag of words, TF-IDF), dense otherwise.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnTransformer {
    schema: RecordSchema,
    imputers: Vec<Imputer>,
    encoders: Vec<Encoder>,
    passthrough: Vec<usize>,
    sparse: bool,
}

impl ColumnTransformer {
    /// Binds `steps` to the columns of `schema`. Errors name the step's parameter or the
    /// column at fault (an unknown column, a text column no encoder takes, a strategy that
    /// does not fit the column's kind).
    pub fn new(schema: RecordSchema, steps: &[RecordStepParams]) -> Result<Self> {
        let mut imputers = Vec::new();
        let mut encoders = Vec::new();
        let mut selected: Option<Vec<usize>> = None;
        for s in steps {
            match s {
                RecordStepParams::StatImputer(p) => imputers.push(Imputer::bind_stat(p, &schema)?),
                RecordStepParams::PreviousImputer(p) => {
                    imputers.push(Imputer::bind_previous(p, &schema)?)
                }
                RecordStepParams::OneHot(p) => {
                    encoders.push(Encoder::OneHot(OneHotEncoder::bind(p, &schema)?))
                }
                RecordStepParams::Ordinal(p) => {
                    encoders.push(Encoder::Ordinal(OrdinalEncoder::bind(p, &schema)?))
                }
                RecordStepParams::Hasher(p) => {
                    encoders.push(Encoder::Hasher(FeatureHasher::bind(p, &schema)?))
                }
                RecordStepParams::BagOfWords(p) => encoders.push(Encoder::Text(
                    TextVectorizer::bind(&p.text(), false, &schema)?,
                )),
                RecordStepParams::TfIdf(p) => encoders.push(Encoder::Text(TextVectorizer::bind(
                    &p.text(),
                    true,
                    &schema,
                )?)),
                RecordStepParams::Select(p) => {
                    p.validate()?;
                    let sel = selected.get_or_insert_with(Vec::new);
                    for n in p.columns.iter().flatten() {
                        let j = schema.require(n)?;
                        if schema.kinds()[j] != ColumnKind::Numeric {
                            return Err(Error::BadValue {
                                location: Location::Column(n.clone()),
                                reason: "`select` keeps numeric columns; this one holds text: \
                                         give it to an encoder"
                                    .into(),
                            });
                        }
                        if !sel.contains(&j) {
                            sel.push(j);
                        }
                    }
                }
            }
        }
        let taken: Vec<usize> = encoders.iter().flat_map(|e| e.columns().to_vec()).collect();
        let mut passthrough = Vec::new();
        for j in 0..schema.len() {
            if taken.contains(&j) {
                continue;
            }
            match (&selected, schema.kinds()[j]) {
                (Some(sel), _) if !sel.contains(&j) => {}
                (_, ColumnKind::Numeric) => passthrough.push(j),
                (None, ColumnKind::Nominal) => {
                    return Err(Error::BadValue {
                        location: Location::Column(schema.names()[j].clone()),
                        reason: "the column is nominal (text), but no encoder takes it: add \
                                 one_hot_encoder, ordinal_encoder, feature_hasher, \
                                 bag_of_words or tfidf for it"
                            .into(),
                    });
                }
                _ => {}
            }
        }
        passthrough.sort_unstable();
        let sparse = encoders.iter().any(Encoder::sparse);
        Ok(ColumnTransformer {
            schema,
            imputers,
            encoders,
            passthrough,
            sparse,
        })
    }

    /// The checks that need no learned state: the record's shape and cells, and every
    /// missing cell in a column some imputer fills (or that nothing uses). The batch path
    /// uses it to sort out bad rows before fitting; an error names the column.
    pub fn check_columns(&self, x: &[Cell]) -> Result<()> {
        self.schema.check(x)?;
        let used = |j: usize| {
            self.passthrough.contains(&j) || self.encoders.iter().any(|e| e.columns().contains(&j))
        };
        for (j, c) in x.iter().enumerate() {
            if c.is_missing() && used(j) && !self.imputers.iter().any(|i| i.can_fill(j).is_some()) {
                return Err(self.missing_error(j));
            }
        }
        Ok(())
    }

    /// The imputers, in the order they run.
    pub fn imputers(&self) -> &[Imputer] {
        &self.imputers
    }

    /// The record after the imputers (with their current state), borrowed when nothing
    /// needs filling. An error names a missing cell no imputer can fill.
    fn filled<'a>(&self, x: &'a [Cell]) -> Result<Cow<'a, [Cell]>> {
        if !x.iter().any(Cell::is_missing) || self.imputers.is_empty() {
            return Ok(Cow::Borrowed(x));
        }
        let mut r = x.to_vec();
        for imp in &self.imputers {
            imp.fill(&mut r)?;
        }
        Ok(Cow::Owned(r))
    }

    /// Checks the filled record: passed-through cells must be numbers, encoders their own.
    fn check_filled(&self, x: &[Cell], learning: bool) -> Result<()> {
        for &j in &self.passthrough {
            match &x[j] {
                Cell::Num(_) => {}
                Cell::Missing => return Err(self.missing_error(j)),
                Cell::Text(t) => {
                    return Err(Error::BadValue {
                        location: Location::Column(self.schema.names()[j].clone()),
                        reason: format!("`{t}` is not a number"),
                    });
                }
            }
        }
        self.encoders.iter().try_for_each(|e| e.check(x, learning))
    }

    fn missing_error(&self, j: usize) -> Error {
        match self.imputers.iter().rev().find(|i| i.can_fill(j).is_some()) {
            Some(imp) => imp.cannot_fill(j),
            None => Error::BadValue {
                location: Location::Column(self.schema.names()[j].clone()),
                reason: "missing value (no imputer in this pipeline)".into(),
            },
        }
    }

    fn fill_or_name(&self, x: &[Cell]) -> Result<Vec<Cell>> {
        let mut r = x.to_vec();
        for imp in &self.imputers {
            imp.fill(&mut r)?;
        }
        Ok(r)
    }

    fn fit_inner(&mut self, table: &Table, weights: Option<&[f64]>) -> Result<()> {
        let w = self.schema.len();
        let mut cells: Vec<Cell> = table.rows().flat_map(|r| r.iter().cloned()).collect();
        let imputers = std::mem::take(&mut self.imputers);
        let mut fitted = Vec::with_capacity(imputers.len());
        for mut imp in imputers {
            imp.fit_rows(&cells, w, weights);
            for (i, r) in cells.chunks_exact_mut(w.max(1)).enumerate() {
                imp.fill(r).map_err(|e| e.in_row(i))?;
            }
            fitted.push(imp);
        }
        self.imputers = fitted;
        for (i, r) in cells.chunks_exact(w.max(1)).enumerate() {
            self.check_filled(r, true).map_err(|e| e.in_row(i))?;
            let wi = weights.map_or(1.0, |ws| ws[i]);
            for e in &mut self.encoders {
                e.learn(r, wi);
            }
        }
        self.encoders.iter_mut().for_each(Encoder::finish_batch);
        Ok(())
    }
}

impl RecordTransformer for ColumnTransformer {
    fn schema(&self) -> &RecordSchema {
        &self.schema
    }

    fn n_features_out(&self) -> usize {
        self.passthrough.len() + self.encoders.iter().map(Encoder::width).sum::<usize>()
    }

    fn n_features_out_after(&self, x: &[Cell]) -> usize {
        if self.schema.check(x).is_err() {
            return self.n_features_out();
        }
        match self.filled(x) {
            Ok(f) => {
                self.passthrough.len()
                    + self
                        .encoders
                        .iter()
                        .map(|e| e.width_after(&f))
                        .sum::<usize>()
            }
            Err(_) => self.n_features_out(),
        }
    }

    fn feature_names_out(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .passthrough
            .iter()
            .map(|&j| self.schema.names()[j].clone())
            .collect();
        for e in &self.encoders {
            e.names(&mut names);
        }
        names
    }

    fn check_record(&self, x: &[Cell], learning: bool) -> Result<()> {
        self.schema.check(x)?;
        let f = self.filled(x)?;
        self.check_filled(&f, learning)
    }

    fn learn_one(&mut self, x: &[Cell], weight: Option<f64>) -> Result<()> {
        self.check_record(x, true)?;
        let w = check_weight(weight)?;
        if self.imputers.is_empty() {
            for e in &mut self.encoders {
                e.learn(x, w);
            }
            return Ok(());
        }
        let mut r = x.to_vec();
        let imputers = std::mem::take(&mut self.imputers);
        let mut done = Vec::with_capacity(imputers.len());
        let mut result = Ok(());
        for mut imp in imputers {
            if result.is_ok() {
                imp.learn(&r, w);
                result = imp.fill(&mut r);
            }
            done.push(imp);
        }
        self.imputers = done;
        result?;
        for e in &mut self.encoders {
            e.learn(&r, w);
        }
        Ok(())
    }

    fn transform_one(&self, x: &[Cell], out: &mut FeatureBuf) -> Result<()> {
        self.check_record(x, false)?;
        let f = self.filled(x)?;
        out.start(self.n_features_out(), self.sparse);
        for (i, &j) in self.passthrough.iter().enumerate() {
            if let Cell::Num(v) = f[j] {
                out.add(i, v)?;
            }
        }
        let mut offset = self.passthrough.len();
        for e in &self.encoders {
            e.encode(&f, offset, out)?;
            offset += e.width();
        }
        out.finish();
        Ok(())
    }

    fn fit_table(&mut self, x: &Table, weights: Option<&[f64]>) -> Result<()> {
        check_table(&self.schema, x, weights)?;
        for (i, r) in x.rows().enumerate() {
            self.schema.check(r).map_err(|e| e.in_row(i))?;
        }
        // Fit a copy and keep it only if every row went through.
        let mut next = self.clone();
        next.fit_inner(x, weights)?;
        *self = next;
        Ok(())
    }
}

impl CheckState for ColumnTransformer {
    /// The schema (a kind per name, no name twice); each imputer and encoder consistent and
    /// bound to columns of the schema, under their schema names (see their checks); the
    /// passed-through columns numeric columns of the schema, in increasing order, once
    /// each; the output sparse exactly when an encoder writes sparse features; and the
    /// output no wider than a row can be (a record is encoded into a buffer of that width).
    fn check_state(&self) -> StateResult {
        within("schema", self.schema.check_state())?;
        for (i, imp) in self.imputers.iter().enumerate() {
            within(
                format_args!("imputer {i}"),
                imp.check_state()
                    .and_then(|()| imp.check_columns(&self.schema)),
            )?;
        }
        for (i, e) in self.encoders.iter().enumerate() {
            within(format_args!("encoder {i}"), e.check_bound(&self.schema))?;
        }
        let n = self.schema.len();
        for (i, &j) in self.passthrough.iter().enumerate() {
            ensure(j < n, || {
                format!("passthrough: column {j} out of range (0..{n})")
            })?;
            ensure(i == 0 || self.passthrough[i - 1] < j, || {
                format!("passthrough: column {j} out of order (at {i})")
            })?;
            ensure(self.schema.kinds()[j] == ColumnKind::Numeric, || {
                format!(
                    "passthrough: column `{}` holds text",
                    self.schema.names()[j]
                )
            })?;
        }
        let sparse = self.encoders.iter().any(Encoder::sparse);
        ensure(self.sparse == sparse, || {
            format!(
                "sparse: {}, but {} encoder writes sparse features",
                self.sparse,
                if sparse { "an" } else { "no" }
            )
        })?;
        let width = self
            .encoders
            .iter()
            .fold(self.passthrough.len() as u64, |w, e| {
                w.saturating_add(e.width() as u64)
            });
        ensure(width <= MAX_WIDTH, || {
            format!("{width} output features, more than a row can have ({MAX_WIDTH})")
        })
    }
}

#[doc(hidden)]
impl ColumnTransformer {
    /// The record after imputation with the current state (for tests and inspection).
    pub fn impute(&self, x: &[Cell]) -> Result<Vec<Cell>> {
        self.schema.check(x)?;
        self.fill_or_name(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::impute::Strategy;

    fn text(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    /// Columns `x`, `y` (numeric), `c`, `t` (text), `z` (numeric): every kind of step.
    fn stage() -> ColumnTransformer {
        let schema = RecordSchema::new(
            ["x", "y", "c", "t", "z"].map(String::from).to_vec(),
            vec![
                ColumnKind::Numeric,
                ColumnKind::Numeric,
                ColumnKind::Nominal,
                ColumnKind::Nominal,
                ColumnKind::Numeric,
            ],
        )
        .unwrap();
        let steps = [
            RecordStepParams::StatImputer(StatImputerParams::default().columns(["x"])),
            RecordStepParams::StatImputer(
                StatImputerParams::default()
                    .columns(["y"])
                    .strategy(Strategy::Median),
            ),
            RecordStepParams::StatImputer(
                StatImputerParams::default()
                    .columns(["c"])
                    .strategy(Strategy::MostFrequent),
            ),
            RecordStepParams::PreviousImputer(PreviousImputerParams::default().columns(["t"])),
            RecordStepParams::OneHot(OneHotEncoderParams::default().columns(["c"])),
            RecordStepParams::Ordinal(
                OrdinalEncoderParams::default()
                    .columns(["c"])
                    .max_categories(Some(3)),
            ),
            RecordStepParams::Hasher(
                FeatureHasherParams::default()
                    .columns(["c", "z"])
                    .n_features(16),
            ),
            RecordStepParams::TfIdf(TfIdfParams::default().columns(["t"])),
        ];
        let mut ct = ColumnTransformer::new(schema, &steps).unwrap();
        let records = [
            [
                Cell::Num(1.0),
                Cell::Num(2.0),
                text("a"),
                text("red fox"),
                Cell::Num(0.5),
            ],
            [
                Cell::Missing,
                Cell::Num(4.0),
                text("b"),
                text("lazy dog"),
                Cell::Num(1.0),
            ],
            [
                Cell::Num(3.0),
                Cell::Missing,
                Cell::Missing,
                Cell::Missing,
                Cell::Num(2.0),
            ],
            [
                Cell::Num(5.0),
                Cell::Num(1.0),
                text("b"),
                text("red dog"),
                Cell::Num(0.0),
            ],
        ];
        for r in &records {
            ct.learn_one(r, None).unwrap();
        }
        ct
    }

    /// The stage's serialised form with `edit` applied, decoded again, and its check's
    /// message, which must start with `want`.
    fn refused(edit: impl FnOnce(&mut serde_json::Value), want: &str) {
        let mut v = serde_json::to_value(stage()).unwrap();
        edit(&mut v);
        let ct: ColumnTransformer = serde_json::from_value(v).unwrap();
        let e = ct.check_state().unwrap_err();
        assert!(e.starts_with(want), "{e}\nwanted: {want}");
    }

    #[test]
    fn learned_and_fitted_record_stages_pass() {
        let ct = stage();
        assert_eq!(ct.check_state(), Ok(()));
        let mut table = Table::new(ct.schema().clone());
        table
            .push(&[
                Cell::Num(1.0),
                Cell::Num(2.0),
                text("a"),
                text("b c"),
                Cell::Num(1.0),
            ])
            .unwrap();
        let mut fitted = ct.clone();
        fitted.fit_table(&table, None).unwrap();
        assert_eq!(fitted.check_state(), Ok(()));
        let back: ColumnTransformer =
            serde_json::from_value(serde_json::to_value(&ct).unwrap()).unwrap();
        assert_eq!(back, ct);
        assert_eq!(back.check_state(), Ok(()));
    }

    #[test]
    fn corrupt_schemas_and_passthroughs_are_refused_by_name() {
        refused(
            |v| v["schema"]["names"][1] = "x".into(),
            "schema: column names: `x` appears twice (columns 0 and 1)",
        );
        refused(
            |v| v["schema"]["kinds"] = serde_json::json!(["Numeric"]),
            "schema: column kinds: 1 values where the model needs 5",
        );
        refused(
            |v| v["passthrough"] = serde_json::json!([0, 9]),
            "passthrough: column 9 out of range (0..5)",
        );
        refused(
            |v| v["passthrough"] = serde_json::json!([1, 0]),
            "passthrough: column 0 out of order (at 1)",
        );
        refused(
            |v| v["passthrough"] = serde_json::json!([0, 0]),
            "passthrough: column 0 out of order (at 1)",
        );
        refused(
            |v| v["passthrough"] = serde_json::json!([2]),
            "passthrough: column `c` holds text",
        );
        refused(
            |v| v["sparse"] = false.into(),
            "sparse: false, but an encoder writes sparse features",
        );
    }

    #[test]
    fn corrupt_imputers_are_refused_by_name() {
        refused(
            |v| v["imputers"][0]["cols"][0] = 7.into(),
            "imputer 0: column 7 out of range (0..5)",
        );
        refused(
            |v| v["imputers"][0]["names"][0] = "y".into(),
            "imputer 0: column 0 is `x` in the schema, `y` here",
        );
        refused(
            |v| v["imputers"][0]["stats"] = serde_json::json!([]),
            "imputer 0: statistics: 0 values where the model needs 1",
        );
        refused(
            |v| v["imputers"][0]["stats"][0]["Mean"]["weight"] = (-1.0).into(),
            "imputer 0: column `x`: weight: -1 is below 0 or NaN",
        );
        refused(
            |v| v["imputers"][1]["stats"][0]["Median"]["sketch"]["compression"] = 0.into(),
            "imputer 1: column `y`: sketch: compression: 0",
        );
        refused(
            |v| v["imputers"][2]["stats"][0]["Frequent"][1][0] = serde_json::json!({"Text": "a"}),
            "imputer 2: column `c`: counts: `a` appears twice (at 0 and 1)",
        );
        refused(
            |v| v["imputers"][2]["stats"][0]["Frequent"][0][1] = (-2.0).into(),
            "imputer 2: column `c`: counts[0]: weight: -2",
        );
        refused(
            |v| v["imputers"][3]["stats"][0]["Previous"] = "Missing".into(),
            "imputer 3: column `t`: previous: a missing value",
        );
        // A statistic binding would not put on the column's kind.
        refused(
            |v| {
                v["imputers"][0]["cols"][0] = 2.into();
                v["imputers"][0]["names"][0] = "c".into();
            },
            "imputer 0: column `c`: a mean or a median of a text column",
        );
        refused(
            |v| {
                v["imputers"][3]["cols"][0] = 4.into();
                v["imputers"][3]["names"][0] = "z".into();
            },
            "imputer 3: column `z`: text `red dog` to fill a numeric column with",
        );
    }

    #[test]
    fn corrupt_encoders_are_refused_by_name() {
        refused(
            |v| v["encoders"][0]["OneHot"]["cols"][0] = 5.into(),
            "encoder 0: one_hot_encoder: column 5 out of range (0..5)",
        );
        refused(
            |v| v["encoders"][0]["OneHot"]["cats"][0] = serde_json::json!(["a", "b", "a"]),
            "encoder 0: one_hot_encoder: column `c`: categories: `a` appears twice (at 0 and 2)",
        );
        refused(
            |v| v["encoders"][0]["OneHot"]["cats"] = serde_json::json!([]),
            "encoder 0: one_hot_encoder: categories: 0 values where the model needs 1",
        );
        refused(
            |v| v["encoders"][1]["Ordinal"]["cats"][0] = serde_json::json!(["a", "b", "c", "d"]),
            "encoder 1: ordinal_encoder: column `c`: categories: 4 where the most is 3",
        );
        refused(
            |v| v["encoders"][1]["Ordinal"]["names"] = serde_json::json!([]),
            "encoder 1: ordinal_encoder: column names: 0 values where the model needs 1",
        );
        refused(
            |v| v["encoders"][2]["Hasher"]["params"]["n_features"] = 12.into(),
            "encoder 2: feature_hasher: params: ",
        );
        refused(
            |v| v["encoders"][2]["Hasher"]["names"][1] = "x".into(),
            "encoder 2: feature_hasher: column 4 is `z` in the schema, `x` here",
        );
        refused(
            |v| v["encoders"][3]["Text"]["vocab"][0][3] = "red".into(),
            "encoder 3: tfidf: column `t`: vocabulary: `red` appears twice (at 0 and 3)",
        );
        refused(
            |v| v["encoders"][3]["Text"]["df"][0] = serde_json::json!([1.0]),
            "encoder 3: tfidf: column `t`: document frequencies: 1 values where the model needs 4",
        );
        refused(
            |v| v["encoders"][3]["Text"]["df"][0][2] = (-1.0).into(),
            "encoder 3: tfidf: column `t`: document frequencies[2]: -1",
        );
        refused(
            |v| v["encoders"][3]["Text"]["n_docs"] = (-4.0).into(),
            "encoder 3: tfidf: documents: -4",
        );
        refused(
            |v| v["encoders"][3]["Text"]["params"]["max_vocabulary"] = 3.into(),
            "encoder 3: tfidf: column `t`: vocabulary: 4 where the most is 3",
        );
        refused(
            |v| {
                v["encoders"][3]["Text"]["cols"][0] = 0.into();
                v["encoders"][3]["Text"]["names"][0] = "x".into();
            },
            "encoder 3: tfidf: column `x` is numeric, not text",
        );
        refused(
            |v| v["encoders"][0]["OneHot"]["params"]["max_categories"] = (1u64 << 40).into(),
            "encoder 0: one_hot_encoder: params: ",
        );
    }

    #[test]
    fn an_output_wider_than_a_row_is_refused() {
        refused(
            |v| {
                let mut wide = v["encoders"][0].clone();
                wide["OneHot"]["params"]["max_categories"] = (1u64 << 24).into();
                v["encoders"] = serde_json::Value::Array(vec![wide; 257]);
                v["sparse"] = false.into();
            },
            "4311744514 output features, more than a row can have",
        );
    }
}
