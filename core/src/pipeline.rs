//! Pipelines: transformers then one final stage (a classifier, a regressor or another
//! transformer), composed once and used by both paths.
//!
//! **When stages learn** (River's convention, identical on both paths' row loop): in
//! `learn_one`, each transformer first learns the row, then transforms it with its updated
//! state, and the next stage receives the result; `predict_one` and `transform_one` transform
//! with the current state and learn nothing. The batch path ([`Pipeline::fit_batch`]) fits
//! each stage on the whole data set, then transforms the whole data set for the next stage.
//!
//! A pipeline may also have a **record stage** in front ([`RecordTransformer`], built with
//! [`Pipeline::with_record_stage`]): it takes records of raw cells (numbers, text, missing
//! values) and turns them into the numeric rows the transformers and the model use, so
//! encoders and imputers stand in a pipeline like any other stage and learn in the same
//! order. Without one, a pipeline takes numeric rows only (a record given to it must hold
//! numbers, and text or a missing value is an error naming the column).
//!
//! For a single exact transformer (a scaler) before the model, both paths give the same
//! transformer state and therefore the same transforms (law 5). With two or more learning
//! transformers in a row, the later ones see different rows on the two paths (row by row, the
//! second stage learns rows scaled with the first stage's state *at that time*), so their
//! states agree only in the limit; this is the nature of online preprocessing, not a defect.

use std::cell::RefCell;

use crate::check::CheckState;
use serde::{Deserialize, Serialize};

use crate::dataset::{Batch, Dataset, FeatureMatrix, Schema, Targets};
use crate::error::{Error, Location, Result};
use crate::label::{ClassSet, Label};
use crate::record::{
    Cell, FeatureBuf, NoRecordStage, RecordClassifier, RecordRegressor, RecordTransform,
    RecordTransformer, Table, numbers,
};
use crate::row::{FeatureVector, Row, check_weight};
use crate::traits::{
    Classifier, Clusterer, Regressor, Transformer, learn_dataset, learn_dataset_clusterer,
    learn_dataset_regressor,
};

/// An optional record stage `front`, transformers `steps`, then a final stage `model`.
///
/// `T` is the transformer type (a concrete type, an enum over several, or
/// `Box<dyn Transformer>`); `M` is the final stage; `F` the record stage type (by default
/// [`NoRecordStage`], which never exists). The pipeline is a [`Classifier`], [`Regressor`],
/// [`Clusterer`] or [`Transformer`] when `M` is one, and a [`RecordClassifier`], [`RecordRegressor`] or
/// [`RecordTransform`] as well.
#[derive(Debug, Serialize, Deserialize)]
pub struct Pipeline<T, M, F = NoRecordStage> {
    front: Option<F>,
    steps: Vec<T>,
    model: M,
    #[serde(skip)]
    bufs: Scratch,
}

/// Reusable buffers of a pipeline's learning path.
#[derive(Debug, Default)]
struct Scratch {
    rows: [Vec<f64>; 2],
    features: FeatureBuf,
    cells: Vec<Cell>,
    numbers: Vec<f64>,
}

impl<T: Clone, M: Clone, F: Clone> Clone for Pipeline<T, M, F> {
    fn clone(&self) -> Self {
        Pipeline {
            front: self.front.clone(),
            steps: self.steps.clone(),
            model: self.model.clone(),
            bufs: Default::default(),
        }
    }
}

impl<T: PartialEq, M: PartialEq, F: PartialEq> PartialEq for Pipeline<T, M, F> {
    fn eq(&self, other: &Self) -> bool {
        self.front == other.front && self.steps == other.steps && self.model == other.model
    }
}

thread_local! {
    static POOL: RefCell<Vec<Scratch>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with scratch buffers from a per-thread pool, so that predicting through a
/// pipeline (which takes `&self`) allocates nothing once the buffers have grown.
fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    let mut b = POOL.with(|p| p.borrow_mut().pop()).unwrap_or_default();
    let r = f(&mut b);
    POOL.with(|p| p.borrow_mut().push(b));
    r
}

fn with_bufs<R>(f: impl FnOnce(&mut [Vec<f64>; 2]) -> R) -> R {
    with_scratch(|s| f(&mut s.rows))
}

fn out_dim<T: Transformer>(step: &T) -> Result<usize> {
    step.n_features_out()
        .ok_or_else(|| Error::NotFitted("a pipeline stage has seen no row".into()))
}

/// Checks that stage `stage` (1-based) turned its finite `input` into finite `out`: a finite
/// value can overflow (`1e308` through a scaler), and an infinity or NaN must not reach the
/// next stage, a prediction or the output. The error names the input feature when the stage
/// keeps the width (a feature of the pipeline's own row when `input_is_pipelines` says the
/// stage got it), else the output feature.
pub fn check_output(
    input: Row<'_>,
    out: &[f64],
    stage: usize,
    input_is_pipelines: bool,
) -> Result<()> {
    if out.iter().all(|v| v.is_finite()) {
        return Ok(());
    }
    let k = out.iter().position(|v| !v.is_finite()).unwrap_or(0);
    let (location, reason) = if input.dim() == out.len() {
        let location = if input_is_pipelines {
            Location::Feature(k)
        } else {
            Location::Stage { stage, feature: k }
        };
        let v = crate::error::show_number(input.get(k));
        (
            location,
            format!(
                "value {v} overflows in pipeline stage {stage}: it becomes {}",
                out[k]
            ),
        )
    } else {
        (
            Location::Stage {
                stage: stage + 1,
                feature: k,
            },
            format!(
                "pipeline stage {stage} made a value that is not finite ({}): an input value overflows",
                out[k]
            ),
        )
    };
    Err(Error::BadValue { location, reason })
}

/// Transforms `x` through `steps` with their current state (stages numbered from `first`).
fn pass<'a, T: Transformer>(
    steps: &[T],
    x: Row<'a>,
    bufs: &'a mut [Vec<f64>; 2],
    first_stage: usize,
) -> Result<Row<'a>> {
    let [a, b] = bufs;
    let (mut a, mut b) = (a, b);
    let mut first = true;
    for (i, step) in steps.iter().enumerate() {
        let stage = first_stage + i;
        a.resize(out_dim(step)?, 0.0);
        let input = if first { x } else { Row::Dense(b) };
        step.transform_one(input, a)
            .map_err(|e| if stage > 1 { e.at_stage(stage) } else { e })?;
        check_output(input, a, stage, first && first_stage == 1)?;
        first = false;
        std::mem::swap(&mut a, &mut b);
    }
    Ok(if first { x } else { Row::Dense(b) })
}

/// Each step learns the row, then transforms it with its updated state for the next (stages
/// numbered from `first_stage`).
fn learn_pass<'a, T: Transformer>(
    steps: &mut [T],
    x: Row<'a>,
    weight: Option<f64>,
    bufs: &'a mut [Vec<f64>; 2],
    first_stage: usize,
) -> Result<Row<'a>> {
    let [a, b] = bufs;
    let (mut a, mut b) = (a, b);
    let mut first = true;
    for (i, step) in steps.iter_mut().enumerate() {
        let stage = first_stage + i;
        let input = if first { x } else { Row::Dense(b) };
        let at = |e: Error| if stage > 1 { e.at_stage(stage) } else { e };
        step.learn_one(input, weight).map_err(at)?;
        a.resize(out_dim(step)?, 0.0);
        step.transform_one(input, a).map_err(at)?;
        check_output(input, a, stage, first && first_stage == 1)?;
        first = false;
        std::mem::swap(&mut a, &mut b);
    }
    Ok(if first { x } else { Row::Dense(b) })
}

impl<T: Transformer, M> Pipeline<T, M> {
    /// A pipeline of `steps` then `model`, without a record stage: it takes numeric rows.
    pub fn new(steps: Vec<T>, model: M) -> Self {
        Pipeline {
            front: None,
            steps,
            model,
            bufs: Default::default(),
        }
    }
}

impl<T: Transformer, M, F: RecordTransformer> Pipeline<T, M, F> {
    /// A pipeline with an optional record stage `front` before `steps` and `model`.
    pub fn with_record_stage(front: Option<F>, steps: Vec<T>, model: M) -> Self {
        Pipeline {
            front,
            steps,
            model,
            bufs: Default::default(),
        }
    }

    /// The record stage, if any.
    pub fn record_stage(&self) -> Option<&F> {
        self.front.as_ref()
    }

    /// The transformers.
    pub fn steps(&self) -> &[T] {
        &self.steps
    }

    /// The final stage.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// Mutable access to the final stage.
    pub fn model_mut(&mut self) -> &mut M {
        &mut self.model
    }

    /// The parts: the record stage, the transformers, the final stage.
    pub fn into_parts(self) -> (Option<F>, Vec<T>, M) {
        (self.front, self.steps, self.model)
    }

    /// Checks a numeric row for the first stage. With a record stage, the row is read as a
    /// record of numbers (see [`row_as_record`]).
    fn first_check(&self, x: Row<'_>, weight: Option<f64>) -> Result<Option<()>> {
        check_weight(weight)?;
        if let Some(f) = &self.front {
            return with_scratch(|s| {
                row_as_record(x, &mut s.cells);
                f.check_record(&s.cells, false).map(Some)
            });
        }
        match self.steps.first() {
            Some(s) => s.check_row(x).map(Some),
            None => Ok(None),
        }
    }

    fn fitted(&self) -> bool {
        self.steps.iter().all(|s| s.n_features_out().is_some())
    }

    /// The number of features the stage after the record stage expects, once known.
    fn after_front_dim(&self, model_dim: Option<usize>) -> Option<usize> {
        match self.steps.first() {
            Some(s) => s.n_features_in(),
            None => model_dim,
        }
    }

    /// Checks a record before any stage learns from it: the record stage's own check, the
    /// weight, and the number of features the record stage will write after learning it
    /// against what the next stage expects (so a record stage that would grow under a stage
    /// already sized is refused before anything learns).
    fn check_record_learning(
        &self,
        x: &[Cell],
        weight: Option<f64>,
        model_dim: Option<usize>,
    ) -> Result<()> {
        check_weight(weight)?;
        match &self.front {
            Some(f) => {
                f.check_record(x, true)?;
                let after = f.n_features_out_after(x);
                match self.after_front_dim(model_dim) {
                    Some(d) if d != after => Err(Error::Unsupported(format!(
                        "the record stage would write {after} features after learning this \
                         record, but the next stage was sized for {d}: an encoder met a new \
                         category or token; give it a capacity (`max_categories`, \
                         `max_vocabulary`) so that its output keeps one size on the stream path"
                    ))),
                    _ => Ok(()),
                }
            }
            None => Ok(()),
        }
    }

    /// Checks a record for prediction (nothing learns).
    fn check_record_predicting(&self, x: &[Cell]) -> Result<()> {
        match &self.front {
            Some(f) => f.check_record(x, false),
            None => Ok(()),
        }
    }

    /// Batch path for the record stage: fits it on the whole table, then returns the data set
    /// the next stage sees (the transformed features with `targets` and `weights`). Without a
    /// record stage the table must hold numbers only.
    pub fn fit_record_stage(
        &mut self,
        table: &Table,
        targets: Vec<Targets>,
        target_names: Vec<String>,
        weights: Option<Vec<f64>>,
    ) -> Result<Dataset> {
        if table.n_rows() == 0 {
            return Err(Error::Empty("the data set has no rows".into()));
        }
        let (features, names) = match &mut self.front {
            Some(f) => {
                f.fit_table(table, weights.as_deref())?;
                (f.transform_table(table)?, f.feature_names_out())
            }
            None => {
                let names = table.schema().names().to_vec();
                let mut x = Vec::with_capacity(table.n_rows() * names.len());
                let mut row = Vec::new();
                for (i, r) in table.rows().enumerate() {
                    numbers(r, Some(&names), &mut row).map_err(|e| e.in_row(i))?;
                    x.extend_from_slice(&row);
                }
                let m = ndarray::Array2::from_shape_vec((table.n_rows(), names.len()), x)
                    .map_err(|e| Error::Unsupported(format!("cannot shape the features: {e}")))?;
                (FeatureMatrix::Dense(m), names)
            }
        };
        let schema = Schema::numeric(names, target_names);
        let d = Dataset::new(features, targets, schema)?;
        match weights {
            Some(w) => d.with_weights(w),
            None => Ok(d),
        }
    }

    /// Batch path for the transformers: each learns the whole data set (in row order, with
    /// the data set's weights), then transforms it for the next. Returns the data set as the
    /// final stage sees it.
    pub fn fit_steps(&mut self, data: &Dataset) -> Result<Dataset> {
        if data.n_rows() == 0 {
            return Err(Error::Empty("the data set has no rows".into()));
        }
        let w = data.weights.as_deref();
        let mut current: Option<Dataset> = None;
        for step in &mut self.steps {
            let d = current.as_ref().unwrap_or(data);
            step.learn_many(d.batch(), w)?;
            current = Some(transform_dataset(step, d)?);
        }
        Ok(current.unwrap_or_else(|| data.clone()))
    }
}

/// The data set as a fitted transformer maps it: transformed features (dense) named by the
/// transformer, the same targets and weights.
pub fn transform_dataset<T: Transformer + ?Sized>(t: &T, data: &Dataset) -> Result<Dataset> {
    let x = t.transform_many(data.batch())?;
    let names = t.feature_names_out(&data.schema.features);
    let schema = Schema::numeric(names, data.schema.targets.clone());
    let mut out = Dataset::new(FeatureMatrix::Dense(x), data.targets.clone(), schema)?;
    out.weights = data.weights.clone();
    Ok(out)
}

impl<T: Transformer, M: Classifier, F: RecordTransformer> Pipeline<T, M, F> {
    /// Batch path: fits every stage on the whole data set in turn. The data set's features
    /// are numbers, so a record stage (if any) reads each row as a record of numbers.
    pub fn fit_batch(&mut self, data: &Dataset) -> Result<()> {
        let d = self.fit_front_and_steps(data)?;
        learn_dataset(&mut self.model, &d)
    }

    /// Batch path from records: fits the record stage on the table, then every other stage
    /// on the data as the stages before it transform it.
    pub fn fit_table(
        &mut self,
        table: &Table,
        labels: Vec<Label>,
        weights: Option<Vec<f64>>,
    ) -> Result<()> {
        let d = self.fit_table_steps(
            table,
            vec![Targets::Labels(labels)],
            vec!["y".into()],
            weights,
        )?;
        learn_dataset(&mut self.model, &d)
    }
}

impl<T: Transformer, M: Regressor, F: RecordTransformer> Pipeline<T, M, F> {
    /// Batch path: fits every stage on the whole data set in turn.
    pub fn fit_batch_regressor(&mut self, data: &Dataset) -> Result<()> {
        let d = self.fit_front_and_steps(data)?;
        learn_dataset_regressor(&mut self.model, &d)
    }

    /// Batch path from records, for a regressor.
    pub fn fit_table_regressor(
        &mut self,
        table: &Table,
        targets: Vec<f64>,
        weights: Option<Vec<f64>>,
    ) -> Result<()> {
        let d = self.fit_table_steps(
            table,
            vec![Targets::Values(targets)],
            vec!["y".into()],
            weights,
        )?;
        learn_dataset_regressor(&mut self.model, &d)
    }
}

impl<T: Transformer, M: Clusterer, F: RecordTransformer> Pipeline<T, M, F> {
    /// Batch path for a clusterer: fits every stage on the whole data set in turn, then the
    /// clusterer learns the transformed rows (its targets, if any, are not used).
    pub fn fit_batch_clusterer(&mut self, data: &Dataset) -> Result<()> {
        let d = self.fit_front_and_steps(data)?;
        learn_dataset_clusterer(&mut self.model, &d)
    }
}

impl<T: Transformer, M: Transformer, F: RecordTransformer> Pipeline<T, M, F> {
    /// Batch path: fits every stage, the last transformer included, on the whole data set.
    pub fn fit_batch_transformer(&mut self, data: &Dataset) -> Result<()> {
        let d = self.fit_front_and_steps(data)?;
        self.model.learn_many(d.batch(), d.weights.as_deref())
    }

    /// Batch path from records, for a transformer pipeline.
    pub fn fit_table_transformer(
        &mut self,
        table: &Table,
        weights: Option<Vec<f64>>,
    ) -> Result<()> {
        let d = self.fit_table_steps(table, vec![], vec![], weights)?;
        self.model.learn_many(d.batch(), d.weights.as_deref())
    }
}

impl<T: Transformer, M, F: RecordTransformer> Pipeline<T, M, F> {
    /// Batch path up to the final stage: the record stage (if any) fitted on the data set's
    /// rows read as records of numbers, then every transformer in turn. Returns the data set
    /// as the final stage sees it.
    fn fit_front_and_steps(&mut self, data: &Dataset) -> Result<Dataset> {
        let data = self.numeric_through_front(data)?;
        self.fit_steps(&data)
    }

    /// Batch path up to the final stage from records: the record stage fitted on the table
    /// (with `targets` named `target_names`, and `weights`), then every transformer in turn.
    /// Returns the data set as the final stage sees it.
    fn fit_table_steps(
        &mut self,
        table: &Table,
        targets: Vec<Targets>,
        target_names: Vec<String>,
        weights: Option<Vec<f64>>,
    ) -> Result<Dataset> {
        let d = self.fit_record_stage(table, targets, target_names, weights)?;
        self.fit_steps(&d)
    }

    /// Without a record stage, the data set itself; with one, the record stage fitted on the
    /// data set's rows read as records of numbers, and the data set it makes of them.
    fn numeric_through_front<'d>(
        &mut self,
        data: &'d Dataset,
    ) -> Result<std::borrow::Cow<'d, Dataset>> {
        if self.front.is_none() {
            return Ok(std::borrow::Cow::Borrowed(data));
        }
        let schema = match &self.front {
            Some(f) => f.schema().clone(),
            None => unreachable!("checked above"),
        };
        let mut table = Table::new(schema);
        let mut cells = Vec::new();
        let b = data.batch();
        for i in 0..data.n_rows() {
            row_as_record(b.row(i)?, &mut cells);
            table.push(&cells)?;
        }
        self.fit_record_stage(
            &table,
            data.targets.clone(),
            data.schema.targets.clone(),
            data.weights.clone(),
        )
        .map(std::borrow::Cow::Owned)
    }

    /// The record stage learns the record (when `learn`), then transforms it into `buf`;
    /// without a record stage the record must hold numbers, read into `numbers`.
    fn front_pass<'a>(
        front: &mut Option<F>,
        x: &[Cell],
        weight: Option<f64>,
        features: &'a mut FeatureBuf,
        numbers_buf: &'a mut Vec<f64>,
        learn: bool,
    ) -> Result<Row<'a>> {
        if learn && let Some(f) = front.as_mut() {
            f.learn_one(x, weight)?;
        }
        Self::front_transform(front.as_ref(), x, features, numbers_buf)
    }

    fn front_view<'a>(
        &self,
        x: &[Cell],
        features: &'a mut FeatureBuf,
        numbers_buf: &'a mut Vec<f64>,
    ) -> Result<Row<'a>> {
        Self::front_transform(self.front.as_ref(), x, features, numbers_buf)
    }

    /// The record stage transforms the record into `features` with its current state;
    /// without a record stage the record must hold numbers, read into `numbers_buf`.
    fn front_transform<'a>(
        front: Option<&F>,
        x: &[Cell],
        features: &'a mut FeatureBuf,
        numbers_buf: &'a mut Vec<f64>,
    ) -> Result<Row<'a>> {
        match front {
            Some(f) => {
                f.transform_one(x, features)?;
                features.finish();
                features.row()
            }
            None => {
                numbers(x, None, numbers_buf)?;
                Ok(Row::Dense(numbers_buf))
            }
        }
    }
}

/// A numeric row as a record of numbers (`Cell::Num` for every feature, zeros of a sparse row
/// included), reusing `out`.
pub fn row_as_record(x: Row<'_>, out: &mut Vec<Cell>) {
    use crate::row::FeatureVector;
    out.clear();
    out.resize(x.dim(), Cell::Num(0.0));
    x.for_each_entry(|i, v| out[i] = Cell::Num(v));
}

impl<T: Transformer, M, F: RecordTransformer> Pipeline<T, M, F> {
    /// The stream path from a record: checks it, then the record stage learns it, each
    /// transformer learns the row as the stage before it transforms it, and `last` gets the
    /// final row. `model_dim` is what the final stage expects, once known.
    fn learn_record_with(
        &mut self,
        x: &[Cell],
        weight: Option<f64>,
        model_dim: Option<usize>,
        last: impl FnOnce(&mut M, Row<'_>) -> Result<()>,
    ) -> Result<()> {
        self.check_record_learning(x, weight, model_dim)?;
        let mut s = std::mem::take(&mut self.bufs);
        let r = {
            let Scratch {
                rows,
                features,
                numbers,
                ..
            } = &mut s;
            let model_stage = 2 + self.steps.len();
            Self::front_pass(&mut self.front, x, weight, features, numbers, true)
                .and_then(|row| learn_pass(&mut self.steps, row, weight, rows, 2))
                .and_then(|row| last(&mut self.model, row).map_err(|e| e.at_stage(model_stage)))
        };
        self.bufs = s;
        r
    }

    /// The prediction path from a record: the record stage and the transformers transform it
    /// with their current state, and `last` gets the final row.
    fn view_record<R>(&self, x: &[Cell], last: impl FnOnce(&M, Row<'_>) -> Result<R>) -> Result<R> {
        self.check_record_predicting(x)?;
        with_scratch(|s| {
            let Scratch {
                rows,
                features,
                numbers,
                ..
            } = s;
            let row = self.front_view(x, features, numbers)?;
            let row = pass(&self.steps, row, rows, 2)?;
            last(&self.model, row).map_err(|e| e.at_stage(2 + self.steps.len()))
        })
    }

    /// Runs `f` on a numeric row read as a record (for the row-level calls of a pipeline
    /// with a record stage).
    fn as_record<R>(x: Row<'_>, f: impl FnOnce(&[Cell]) -> R) -> R {
        with_scratch(|s| {
            row_as_record(x, &mut s.cells);
            f(&s.cells)
        })
    }

    /// Runs `f` on a record read as a numeric row (for the record-level calls of a pipeline
    /// without a record stage); a cell that is not a number is an error.
    fn as_numbers<R>(x: &[Cell], f: impl FnOnce(Row<'_>) -> Result<R>) -> Result<R> {
        with_scratch(|s| {
            numbers(x, None, &mut s.numbers)?;
            f(Row::Dense(&s.numbers))
        })
    }

    /// The number of features the pipeline takes: the record stage's columns, else what
    /// the first transformer takes, else what `model_dim` says the final stage takes.
    fn n_features_with(&self, model_dim: impl FnOnce(&M) -> Option<usize>) -> Option<usize> {
        if let Some(f) = &self.front {
            return Some(f.schema().len());
        }
        match self.steps.first() {
            Some(s) => s.n_features_in(),
            None => model_dim(&self.model),
        }
    }

    /// Checks a numeric row for the first stage, the final stage's `model_check` when there
    /// is no stage before it.
    fn check_row_with(
        &self,
        x: Row<'_>,
        model_check: impl FnOnce(&M, Row<'_>) -> Result<()>,
    ) -> Result<()> {
        match self.first_check(x, None)? {
            Some(()) => Ok(()),
            None => model_check(&self.model, x),
        }
    }

    /// The stream path from a numeric row without a record stage: checks the row, then
    /// `check_target`, then each transformer learns the row as the stage before it
    /// transforms it, and `last` gets the final row.
    fn learn_row_with(
        &mut self,
        x: Row<'_>,
        weight: Option<f64>,
        check_target: impl FnOnce() -> Result<()>,
        last: impl FnOnce(&mut M, Row<'_>) -> Result<()>,
    ) -> Result<()> {
        // Everything that can be checked is checked before any stage learns, so a refused
        // row leaves every stage as it was.
        self.first_check(x, weight)?;
        check_target()?;
        let mut bufs = std::mem::take(&mut self.bufs);
        let model_stage = 1 + self.steps.len();
        let r = learn_pass(&mut self.steps, x, weight, &mut bufs.rows, 1).and_then(|row| {
            last(&mut self.model, row).map_err(|e| {
                if model_stage > 1 {
                    e.at_stage(model_stage)
                } else {
                    e
                }
            })
        });
        self.bufs = bufs;
        r
    }

    /// The prediction path from a numeric row: the transformers transform it with their
    /// current state, and `last` gets the final row.
    fn view_row<R>(&self, x: Row<'_>, last: impl FnOnce(&M, Row<'_>) -> Result<R>) -> Result<R> {
        with_bufs(|b| {
            let row = pass(&self.steps, x, b, 1)?;
            let model_stage = 1 + self.steps.len();
            last(&self.model, row).map_err(|e| {
                if model_stage > 1 {
                    e.at_stage(model_stage)
                } else {
                    e
                }
            })
        })
    }
}

impl<T: Transformer, M: Classifier, F: RecordTransformer> Classifier for Pipeline<T, M, F> {
    /// The model's, with the names only when no stage stands between (after a stage,
    /// features are the stage's outputs: `x<j>`).
    fn structure(&self, feature_names: &[String]) -> Option<crate::traits::Structure> {
        let direct = self.front.is_none() && self.steps.is_empty();
        self.model
            .structure(if direct { feature_names } else { &[] })
    }
    fn classes(&self) -> &ClassSet {
        self.model.classes()
    }
    /// Passed to the model when no stage stands between (a transformer remaps or rescales
    /// the codes).
    fn set_nominal_features(&mut self, nominal: &[usize]) {
        if self.front.is_none() && self.steps.is_empty() {
            self.model.set_nominal_features(nominal);
        }
    }
    /// Passed to the model when no stage stands between (a transformed row would touch
    /// other state).
    fn prefetch(&self, x: Row<'_>) {
        if self.front.is_none() && self.steps.is_empty() {
            self.model.prefetch(x);
        }
    }
    fn n_features(&self) -> Option<usize> {
        self.n_features_with(M::n_features)
    }
    fn check_row(&self, x: Row<'_>) -> Result<()> {
        self.check_row_with(x, |m, x| m.check_row(x))
    }
    fn check_learning(&self) -> Result<()> {
        self.model.check_learning()
    }
    fn learn_one(&mut self, x: Row<'_>, y: &Label, weight: Option<f64>) -> Result<()> {
        // A batch-only model refuses before any stage learns.
        self.model.check_learning()?;
        if self.front.is_some() {
            return Self::as_record(x, |r| self.learn_record(r, y, weight));
        }
        self.learn_row_with(
            x,
            weight,
            || y.check(),
            |m, row| m.learn_one(row, y, weight),
        )
    }
    fn predict_then_learn(
        &mut self,
        x: Row<'_>,
        y: &Label,
        weight: Option<f64>,
        out: &mut [f64],
    ) -> Result<Option<Label>> {
        if self.front.is_none() && self.steps.is_empty() {
            // No stage between: the model's own one-pass step.
            check_weight(weight)?;
            y.check()?;
            return self.model.predict_then_learn(x, y, weight, out);
        }
        // With transformers, prediction sees their state before this row and learning after
        // it (River's order): the three calls.
        self.predict_proba_into(x, out)?;
        let prediction = self.predict_one(x)?;
        self.learn_one(x, y, weight)?;
        Ok(prediction)
    }
    fn predict_proba_into(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        if self.front.is_some() {
            return Self::as_record(x, |r| self.predict_proba_record_into(r, out));
        }
        self.check_row(x)?;
        if !self.fitted() {
            return crate::traits::check_out_len("probability buffer", 0, out.len());
        }
        self.view_row(x, |m, row| m.predict_proba_into(row, out))
    }
    fn predict_one(&self, x: Row<'_>) -> Result<Option<Label>> {
        if self.front.is_some() {
            return Self::as_record(x, |r| self.predict_record(r));
        }
        self.check_row(x)?;
        if !self.fitted() {
            return Ok(None);
        }
        self.view_row(x, |m, row| m.predict_one(row))
    }
}

impl<T: Transformer, M: Classifier, F: RecordTransformer> RecordClassifier for Pipeline<T, M, F> {
    fn classes(&self) -> &ClassSet {
        self.model.classes()
    }
    fn check_record(&self, x: &[Cell]) -> Result<()> {
        if self.front.is_none() {
            return Self::as_numbers(x, |r| Classifier::check_row(self, r));
        }
        self.check_record_learning(x, None, self.model.n_features())
    }
    fn learn_record(&mut self, x: &[Cell], y: &Label, weight: Option<f64>) -> Result<()> {
        self.model.check_learning()?;
        if self.front.is_none() {
            return Self::as_numbers(x, |r| self.learn_one(r, y, weight));
        }
        y.check()?;
        let dim = self.model.n_features();
        self.learn_record_with(x, weight, dim, |m, row| m.learn_one(row, y, weight))
    }
    fn predict_proba_record_into(&self, x: &[Cell], out: &mut [f64]) -> Result<()> {
        if self.front.is_none() {
            return Self::as_numbers(x, |r| self.predict_proba_into(r, out));
        }
        if !self.fitted() || self.model.classes().is_empty() {
            self.check_record_predicting(x)?;
            return crate::traits::check_out_len(
                "probability buffer",
                self.model.classes().len(),
                out.len(),
            );
        }
        self.view_record(x, |m, row| m.predict_proba_into(row, out))
    }
    fn predict_record(&self, x: &[Cell]) -> Result<Option<Label>> {
        if self.front.is_none() {
            return Self::as_numbers(x, |r| self.predict_one(r));
        }
        if !self.fitted() || self.model.classes().is_empty() {
            self.check_record_predicting(x)?;
            return Ok(None);
        }
        self.view_record(x, |m, row| m.predict_one(row))
    }
}

impl<T: Transformer, M: Regressor, F: RecordTransformer> Regressor for Pipeline<T, M, F> {
    /// The model's, with the names only when no stage stands between (after a stage,
    /// features are the stage's outputs: `x<j>`).
    fn structure(&self, feature_names: &[String]) -> Option<crate::traits::Structure> {
        let direct = self.front.is_none() && self.steps.is_empty();
        self.model
            .structure(if direct { feature_names } else { &[] })
    }
    fn n_features(&self) -> Option<usize> {
        self.n_features_with(M::n_features)
    }
    /// Passed to the model when no stage stands between (a transformer remaps or rescales
    /// the codes).
    fn set_nominal_features(&mut self, nominal: &[usize]) {
        if self.front.is_none() && self.steps.is_empty() {
            self.model.set_nominal_features(nominal);
        }
    }
    /// Passed to the model when no stage stands between.
    fn prefetch(&self, x: Row<'_>) {
        if self.front.is_none() && self.steps.is_empty() {
            self.model.prefetch(x);
        }
    }
    fn check_row(&self, x: Row<'_>) -> Result<()> {
        self.check_row_with(x, |m, x| m.check_row(x))
    }
    fn check_learning(&self) -> Result<()> {
        self.model.check_learning()
    }
    fn learn_one(&mut self, x: Row<'_>, y: f64, weight: Option<f64>) -> Result<()> {
        // A batch-only model refuses before any stage learns.
        self.model.check_learning()?;
        if self.front.is_some() {
            return Self::as_record(x, |r| self.learn_record(r, y, weight));
        }
        self.learn_row_with(
            x,
            weight,
            || check_target(y),
            |m, row| m.learn_one(row, y, weight),
        )
    }
    fn predict_one(&self, x: Row<'_>) -> Result<f64> {
        if self.front.is_some() {
            return Self::as_record(x, |r| self.predict_record(r));
        }
        self.check_row(x)?;
        if !self.fitted() {
            return Ok(0.0);
        }
        self.view_row(x, |m, row| m.predict_one(row))
    }
}

fn check_target(y: f64) -> Result<()> {
    if y.is_finite() {
        Ok(())
    } else {
        Err(Error::BadValue {
            location: crate::error::Location::Target,
            reason: format!("value {y} is not finite"),
        })
    }
}

impl<T: Transformer, M: Regressor, F: RecordTransformer> RecordRegressor for Pipeline<T, M, F> {
    fn check_record(&self, x: &[Cell]) -> Result<()> {
        if self.front.is_none() {
            return Self::as_numbers(x, |r| Regressor::check_row(self, r));
        }
        self.check_record_learning(x, None, self.model.n_features())
    }
    fn learn_record(&mut self, x: &[Cell], y: f64, weight: Option<f64>) -> Result<()> {
        self.model.check_learning()?;
        if self.front.is_none() {
            return Self::as_numbers(x, |r| self.learn_one(r, y, weight));
        }
        check_target(y)?;
        let dim = self.model.n_features();
        self.learn_record_with(x, weight, dim, |m, row| m.learn_one(row, y, weight))
    }
    fn predict_record(&self, x: &[Cell]) -> Result<f64> {
        if self.front.is_none() {
            return Self::as_numbers(x, |r| self.predict_one(r));
        }
        if !self.fitted() || self.model.n_features().is_none() {
            self.check_record_predicting(x)?;
            return Ok(0.0);
        }
        self.view_record(x, |m, row| m.predict_one(row))
    }
}

/// A pipeline ending in a clusterer (a scaler in front of k-means): the stages learn as for
/// any pipeline (each transformer learns the row, then transforms it for the next), and the
/// cluster index and the distances to the centers are those of the transformed row.
impl<T: Transformer, M: Clusterer, F: RecordTransformer> Clusterer for Pipeline<T, M, F> {
    fn n_features(&self) -> Option<usize> {
        self.n_features_with(M::n_features)
    }
    fn n_clusters(&self) -> usize {
        self.model.n_clusters()
    }
    fn check_row(&self, x: Row<'_>) -> Result<()> {
        self.check_row_with(x, |m, x| m.check_row(x))
    }
    fn check_learning(&self) -> Result<()> {
        self.model.check_learning()
    }
    fn learn_one(&mut self, x: Row<'_>, weight: Option<f64>) -> Result<()> {
        self.model.check_learning()?;
        if self.front.is_some() {
            return Self::as_record(x, |r| {
                let dim = self.model.n_features();
                self.learn_record_with(r, weight, dim, |m, row| m.learn_one(row, weight))
            });
        }
        self.learn_row_with(x, weight, || Ok(()), |m, row| m.learn_one(row, weight))
    }
    fn predict_one(&self, x: Row<'_>) -> Result<Option<usize>> {
        if self.front.is_some() {
            return Self::as_record(x, |r| {
                if !self.fitted() || self.model.n_features().is_none() {
                    self.check_record_predicting(r)?;
                    return Ok(None);
                }
                self.view_record(r, |m, row| m.predict_one(row))
            });
        }
        self.check_row(x)?;
        if !self.fitted() {
            return Ok(None);
        }
        self.view_row(x, |m, row| m.predict_one(row))
    }
    fn distances_into(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        crate::traits::check_out_len("distances buffer", self.n_clusters(), out.len())?;
        if self.front.is_some() {
            return Self::as_record(x, |r| {
                if !self.fitted() || self.model.n_features().is_none() {
                    return self.check_record_predicting(r);
                }
                self.view_record(r, |m, row| m.distances_into(row, out))
            });
        }
        self.check_row(x)?;
        if !self.fitted() {
            return Ok(());
        }
        self.view_row(x, |m, row| m.distances_into(row, out))
    }
    fn predict_then_learn(
        &mut self,
        x: Row<'_>,
        weight: Option<f64>,
        scratch: &mut Vec<f64>,
    ) -> Result<Option<(usize, f64)>> {
        if self.front.is_none() && self.steps.is_empty() {
            // No stage between: the model's own one-call step.
            self.model.check_learning()?;
            return self.model.predict_then_learn(x, weight, scratch);
        }
        crate::traits::clusterer_step(self, x, weight, scratch)
    }
}

impl<T: Transformer, M: Transformer, F: RecordTransformer> Transformer for Pipeline<T, M, F> {
    fn n_features_in(&self) -> Option<usize> {
        self.n_features_with(M::n_features_in)
    }
    fn n_features_out(&self) -> Option<usize> {
        self.model.n_features_out()
    }
    fn feature_names_out(&self, input: &[String]) -> Vec<String> {
        let mut names = match &self.front {
            Some(f) => f.feature_names_out(),
            None => input.to_vec(),
        };
        for s in &self.steps {
            names = s.feature_names_out(&names);
        }
        self.model.feature_names_out(&names)
    }
    fn check_row(&self, x: Row<'_>) -> Result<()> {
        self.check_row_with(x, |m, x| m.check_row(x))
    }
    fn learn_one(&mut self, x: Row<'_>, weight: Option<f64>) -> Result<()> {
        if self.front.is_some() {
            return Self::as_record(x, |r| self.learn_record(r, weight));
        }
        self.learn_row_with(x, weight, || Ok(()), |m, row| m.learn_one(row, weight))
    }
    fn transform_one(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        if self.front.is_some() {
            return Self::as_record(x, |r| self.transform_record(r, out));
        }
        self.check_row(x)?;
        let stage = 1 + self.steps.len();
        self.view_row(x, |m, row| {
            m.transform_one(row, out)?;
            check_output(row, out, stage, stage == 1)
        })
    }
}

impl<T: Transformer, M: Transformer, F: RecordTransformer> RecordTransform for Pipeline<T, M, F> {
    fn check_record(&self, x: &[Cell]) -> Result<()> {
        if self.front.is_none() {
            return Self::as_numbers(x, |r| Transformer::check_row(self, r));
        }
        self.check_record_learning(x, None, self.model.n_features_in())
    }
    fn learn_record(&mut self, x: &[Cell], weight: Option<f64>) -> Result<()> {
        if self.front.is_none() {
            return Self::as_numbers(x, |r| self.learn_one(r, weight));
        }
        let dim = self.model.n_features_in();
        self.learn_record_with(x, weight, dim, |m, row| m.learn_one(row, weight))
    }
    fn n_outputs(&self) -> Option<usize> {
        self.model.n_features_out()
    }
    fn transform_record(&self, x: &[Cell], out: &mut [f64]) -> Result<()> {
        if self.front.is_none() {
            return Self::as_numbers(x, |r| self.transform_one(r, out));
        }
        let stage = 2 + self.steps.len();
        self.view_record(x, |m, row| {
            m.transform_one(row, out)?;
            check_output(row, out, stage, false)
        })
    }
}

/// Any boxed transformer is a transformer, so `Pipeline<Box<dyn Transformer>, _>` works.
impl<X: Transformer + ?Sized> Transformer for Box<X> {
    fn n_features_in(&self) -> Option<usize> {
        (**self).n_features_in()
    }
    fn n_features_out(&self) -> Option<usize> {
        (**self).n_features_out()
    }
    fn feature_names_out(&self, input: &[String]) -> Vec<String> {
        (**self).feature_names_out(input)
    }
    fn check_row(&self, x: Row<'_>) -> Result<()> {
        (**self).check_row(x)
    }
    fn learn_one(&mut self, x: Row<'_>, weight: Option<f64>) -> Result<()> {
        (**self).learn_one(x, weight)
    }
    fn learn_many(&mut self, x: Batch<'_>, weights: Option<&[f64]>) -> Result<()> {
        (**self).learn_many(x, weights)
    }
    fn transform_one(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        (**self).transform_one(x, out)
    }
}

/// Several transformers side by side (scikit-learn's `FeatureUnion`): each learns and
/// transforms the same input row, and their outputs are concatenated in order.
///
/// Every part learns every row, so a union of exact transformers is exact on both paths.
/// A row refused by any part leaves every part as it was.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransformerUnion<T> {
    parts: Vec<T>,
}

impl<T: Transformer> TransformerUnion<T> {
    /// A union of `parts` (at least one).
    pub fn new(parts: Vec<T>) -> Result<Self> {
        if parts.is_empty() {
            return Err(Error::param(
                "parts",
                "a union needs at least one transformer",
            ));
        }
        Ok(TransformerUnion { parts })
    }

    /// The transformers, in output order.
    pub fn parts(&self) -> &[T] {
        &self.parts
    }
}

impl<T: Transformer> Transformer for TransformerUnion<T> {
    fn n_features_in(&self) -> Option<usize> {
        self.parts.iter().find_map(|p| p.n_features_in())
    }
    fn n_features_out(&self) -> Option<usize> {
        self.parts.iter().map(|p| p.n_features_out()).sum()
    }
    fn feature_names_out(&self, input: &[String]) -> Vec<String> {
        self.parts
            .iter()
            .flat_map(|p| p.feature_names_out(input))
            .collect()
    }
    fn check_row(&self, x: Row<'_>) -> Result<()> {
        self.parts.iter().try_for_each(|p| p.check_row(x))
    }
    fn learn_one(&mut self, x: Row<'_>, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        check_weight(weight)?;
        self.parts
            .iter_mut()
            .try_for_each(|p| p.learn_one(x, weight))
    }
    fn learn_many(&mut self, x: Batch<'_>, weights: Option<&[f64]>) -> Result<()> {
        crate::traits::check_batch(x, x.n_rows(), weights, |r| self.check_row(r))?;
        self.parts
            .iter_mut()
            .try_for_each(|p| p.learn_many(x, weights))
    }
    fn transform_one(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        let k = self
            .n_features_out()
            .ok_or_else(|| Error::NotFitted("a union part has seen no row".into()))?;
        crate::traits::check_out_len("output buffer", k, out.len())?;
        let mut rest = out;
        for p in &self.parts {
            let w = p.n_features_out().unwrap_or(0);
            let (head, tail) = rest.split_at_mut(w);
            p.transform_one(x, head)?;
            rest = tail;
        }
        Ok(())
    }
}

/// Builds a pipeline step by step: an optional record stage, transformers, then the final
/// stage.
///
/// ```
/// use tidewater_core::pipeline::PipelineBuilder;
/// use tidewater_core::dummy::MeanRegressor;
/// # use tidewater_core::Transformer;
/// # #[derive(Debug)] struct Id(Option<usize>);
/// # impl Transformer for Id {
/// #     fn n_features_in(&self) -> Option<usize> { self.0 }
/// #     fn n_features_out(&self) -> Option<usize> { self.0 }
/// #     fn feature_names_out(&self, i: &[String]) -> Vec<String> { i.to_vec() }
/// #     fn learn_one(&mut self, x: tidewater_core::Row<'_>, _: Option<f64>) -> tidewater_core::Result<()> {
/// #         use tidewater_core::FeatureVector; self.0 = Some(x.dim()); Ok(()) }
/// #     fn transform_one(&self, x: tidewater_core::Row<'_>, out: &mut [f64]) -> tidewater_core::Result<()> {
/// #         use tidewater_core::FeatureVector; x.write_dense(out); Ok(()) }
/// # }
/// let pipe = PipelineBuilder::new().then(Id(None)).finish(MeanRegressor::default());
/// assert_eq!(pipe.steps().len(), 1);
/// ```
#[derive(Debug)]
pub struct PipelineBuilder<T, F = NoRecordStage> {
    front: Option<F>,
    steps: Vec<T>,
}

impl<T: Transformer> PipelineBuilder<T> {
    /// An empty builder without a record stage.
    pub fn new() -> Self {
        PipelineBuilder {
            front: None,
            steps: Vec::new(),
        }
    }
}

impl<T: Transformer> Default for PipelineBuilder<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Transformer, F: RecordTransformer> PipelineBuilder<T, F> {
    /// Puts a record stage in front (replacing any).
    pub fn record_stage<G: RecordTransformer>(self, front: G) -> PipelineBuilder<T, G> {
        PipelineBuilder {
            front: Some(front),
            steps: self.steps,
        }
    }

    /// Appends a transformer.
    pub fn then(mut self, step: T) -> Self {
        self.steps.push(step);
        self
    }

    /// The pipeline, ending in `model`.
    pub fn finish<M>(self, model: M) -> Pipeline<T, M, F> {
        Pipeline::with_record_stage(self.front, self.steps, model)
    }
}

/// A pipeline of boxed transformers then a final stage:
/// `pipeline![scaler, pca => model]`, or `pipeline![=> model]` for none. The steps may be of
/// different types (each is boxed as `Box<dyn Transformer>`).
///
/// ```
/// use tidewater_core::pipeline;
/// use tidewater_core::dummy::MeanRegressor;
/// let p = pipeline![=> MeanRegressor::default()];
/// assert!(p.steps().is_empty());
/// ```
#[macro_export]
macro_rules! pipeline {
    ($($step:expr),* => $model:expr) => {{
        let steps: ::std::vec::Vec<::std::boxed::Box<dyn $crate::Transformer>> =
            ::std::vec![$(::std::boxed::Box::new($step)),*];
        $crate::Pipeline::new(steps, $model)
    }};
}

impl<T: Transformer + CheckState> CheckState for TransformerUnion<T> {
    /// At least one part, each consistent, all taking the same number of features.
    fn check_state(&self) -> crate::check::StateResult {
        use crate::check::*;
        ensure(!self.parts.is_empty(), || "a union without parts".into())?;
        let mut width = None;
        for (i, p) in self.parts.iter().enumerate() {
            within(format_args!("part {i}"), p.check_state())?;
            if let Some(n) = p.n_features_in() {
                ensure(width.is_none_or(|w| w == n), || {
                    format!(
                        "part {i} takes {n} features, an earlier part {}",
                        width.unwrap_or(0)
                    )
                })?;
                width = Some(n);
            }
        }
        Ok(())
    }
}

impl<T: Transformer + CheckState, M: CheckState, F: CheckState> CheckState for Pipeline<T, M, F> {
    /// The record stage, every transformer and the final stage consistent, and each
    /// transformer giving as many features as the next one takes. (The final stage's width
    /// is compared by the caller, which knows its role: [`Pipeline::last_width`].)
    fn check_state(&self) -> crate::check::StateResult {
        use crate::check::*;
        within("record stage", self.front.check_state())?;
        for (i, s) in self.steps.iter().enumerate() {
            within(format_args!("stage {}", i + 1), s.check_state())?;
        }
        for (i, pair) in self.steps.windows(2).enumerate() {
            if let (Some(out), Some(next)) = (pair[0].n_features_out(), pair[1].n_features_in()) {
                ensure(out == next, || {
                    format!(
                        "stage {} gives {out} features, stage {} takes {next}",
                        i + 1,
                        i + 2
                    )
                })?;
            }
        }
        within("final stage", self.model.check_state())
    }
}

impl<T: Transformer, M, F> Pipeline<T, M, F> {
    /// The number of features the last transformer gives, when there is one and it knows:
    /// what the final stage must take.
    pub fn last_width(&self) -> Option<usize> {
        self.steps.last().and_then(|s| s.n_features_out())
    }
}
