//! Pipelines: transformers then one final stage (a classifier, a regressor or another
//! transformer), composed once and used by both paths.
//!
//! **When stages learn** (River's convention, identical on both paths' row loop): in
//! `learn_one`, each transformer first learns the row, then transforms it with its updated
//! state, and the next stage receives the result; `predict_one` and `transform_one` transform
//! with the current state and learn nothing. The batch path ([`Pipeline::fit_batch`]) fits
//! each stage on the whole data set, then transforms the whole data set for the next stage.
//!
//! For a single exact transformer (a scaler) before the model, both paths give the same
//! transformer state and therefore the same transforms (law 5). With two or more learning
//! transformers in a row, the later ones see different rows on the two paths (row by row, the
//! second stage learns rows scaled with the first stage's state *at that time*), so their
//! states agree only in the limit; this is the nature of online preprocessing, not a defect.

use std::cell::RefCell;

use serde::{Deserialize, Serialize};

use crate::dataset::{Batch, Dataset, FeatureMatrix, Schema};
use crate::error::{Error, Result};
use crate::label::{ClassSet, Label};
use crate::row::{Row, check_weight};
use crate::traits::{Classifier, Regressor, Transformer, learn_dataset, learn_dataset_regressor};

/// Transformers `steps`, then a final stage `model`.
///
/// `T` is the transformer type (a concrete type, an enum over several, or
/// `Box<dyn Transformer>`); `M` is the final stage. The pipeline is a [`Classifier`],
/// [`Regressor`] or [`Transformer`] when `M` is one.
#[derive(Debug, Serialize, Deserialize)]
pub struct Pipeline<T, M> {
    steps: Vec<T>,
    model: M,
    #[serde(skip)]
    bufs: [Vec<f64>; 2],
}

impl<T: Clone, M: Clone> Clone for Pipeline<T, M> {
    fn clone(&self) -> Self {
        Pipeline {
            steps: self.steps.clone(),
            model: self.model.clone(),
            bufs: Default::default(),
        }
    }
}

impl<T: PartialEq, M: PartialEq> PartialEq for Pipeline<T, M> {
    fn eq(&self, other: &Self) -> bool {
        self.steps == other.steps && self.model == other.model
    }
}

thread_local! {
    static POOL: RefCell<Vec<[Vec<f64>; 2]>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with a pair of scratch buffers from a per-thread pool, so that predicting through
/// a pipeline (which takes `&self`) allocates nothing once the buffers have grown.
fn with_bufs<R>(f: impl FnOnce(&mut [Vec<f64>; 2]) -> R) -> R {
    let mut b = POOL.with(|p| p.borrow_mut().pop()).unwrap_or_default();
    let r = f(&mut b);
    POOL.with(|p| p.borrow_mut().push(b));
    r
}

fn out_dim<T: Transformer>(step: &T) -> Result<usize> {
    step.n_features_out()
        .ok_or_else(|| Error::NotFitted("a pipeline stage has seen no row".into()))
}

/// Transforms `x` through `steps` with their current state.
fn pass<'a, T: Transformer>(
    steps: &[T],
    x: Row<'a>,
    bufs: &'a mut [Vec<f64>; 2],
) -> Result<Row<'a>> {
    let [a, b] = bufs;
    let (mut a, mut b) = (a, b);
    let mut first = true;
    for step in steps {
        a.resize(out_dim(step)?, 0.0);
        if first {
            step.transform_one(x, a)?;
            first = false;
        } else {
            step.transform_one(Row::Dense(b), a)?;
        }
        std::mem::swap(&mut a, &mut b);
    }
    Ok(if first { x } else { Row::Dense(b) })
}

/// Each step learns the row, then transforms it with its updated state for the next.
fn learn_pass<'a, T: Transformer>(
    steps: &mut [T],
    x: Row<'a>,
    weight: Option<f64>,
    bufs: &'a mut [Vec<f64>; 2],
) -> Result<Row<'a>> {
    let [a, b] = bufs;
    let (mut a, mut b) = (a, b);
    let mut first = true;
    for step in steps {
        let input = if first { x } else { Row::Dense(b) };
        step.learn_one(input, weight)?;
        a.resize(out_dim(step)?, 0.0);
        step.transform_one(input, a)?;
        first = false;
        std::mem::swap(&mut a, &mut b);
    }
    Ok(if first { x } else { Row::Dense(b) })
}

impl<T: Transformer, M> Pipeline<T, M> {
    /// A pipeline of `steps` then `model`.
    pub fn new(steps: Vec<T>, model: M) -> Self {
        Pipeline {
            steps,
            model,
            bufs: Default::default(),
        }
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

    /// The parts.
    pub fn into_parts(self) -> (Vec<T>, M) {
        (self.steps, self.model)
    }

    fn first_check(&self, x: Row<'_>, weight: Option<f64>) -> Result<Option<()>> {
        check_weight(weight)?;
        match self.steps.first() {
            Some(s) => s.check_row(x).map(Some),
            None => Ok(None),
        }
    }

    fn fitted(&self) -> bool {
        self.steps.iter().all(|s| s.n_features_out().is_some())
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

impl<T: Transformer, M: Classifier> Pipeline<T, M> {
    /// Batch path: fits every stage on the whole data set in turn.
    pub fn fit_batch(&mut self, data: &Dataset) -> Result<()> {
        let d = self.fit_steps(data)?;
        learn_dataset(&mut self.model, &d)
    }
}

impl<T: Transformer, M: Regressor> Pipeline<T, M> {
    /// Batch path: fits every stage on the whole data set in turn.
    pub fn fit_batch_regressor(&mut self, data: &Dataset) -> Result<()> {
        let d = self.fit_steps(data)?;
        learn_dataset_regressor(&mut self.model, &d)
    }
}

impl<T: Transformer, M: Transformer> Pipeline<T, M> {
    /// Batch path: fits every stage, the last transformer included, on the whole data set.
    pub fn fit_batch_transformer(&mut self, data: &Dataset) -> Result<()> {
        let d = self.fit_steps(data)?;
        self.model.learn_many(d.batch(), d.weights.as_deref())
    }
}

impl<T: Transformer, M: Classifier> Classifier for Pipeline<T, M> {
    fn classes(&self) -> &ClassSet {
        self.model.classes()
    }
    fn n_features(&self) -> Option<usize> {
        match self.steps.first() {
            Some(s) => s.n_features_in(),
            None => self.model.n_features(),
        }
    }
    fn check_row(&self, x: Row<'_>) -> Result<()> {
        match self.first_check(x, None)? {
            Some(()) => Ok(()),
            None => self.model.check_row(x),
        }
    }
    fn learn_one(&mut self, x: Row<'_>, y: &Label, weight: Option<f64>) -> Result<()> {
        // Everything that can be checked is checked before any stage learns, so a refused
        // row leaves every stage as it was.
        self.first_check(x, weight)?;
        y.check()?;
        let mut bufs = std::mem::take(&mut self.bufs);
        let r = learn_pass(&mut self.steps, x, weight, &mut bufs)
            .and_then(|row| self.model.learn_one(row, y, weight));
        self.bufs = bufs;
        r
    }
    fn predict_proba_into(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        self.check_row(x)?;
        if !self.fitted() {
            return crate::traits::check_out_len("probability buffer", 0, out.len());
        }
        with_bufs(|b| {
            let row = pass(&self.steps, x, b)?;
            self.model.predict_proba_into(row, out)
        })
    }
    fn predict_one(&self, x: Row<'_>) -> Result<Option<Label>> {
        self.check_row(x)?;
        if !self.fitted() {
            return Ok(None);
        }
        with_bufs(|b| {
            let row = pass(&self.steps, x, b)?;
            self.model.predict_one(row)
        })
    }
}

impl<T: Transformer, M: Regressor> Regressor for Pipeline<T, M> {
    fn n_features(&self) -> Option<usize> {
        match self.steps.first() {
            Some(s) => s.n_features_in(),
            None => self.model.n_features(),
        }
    }
    fn check_row(&self, x: Row<'_>) -> Result<()> {
        match self.first_check(x, None)? {
            Some(()) => Ok(()),
            None => self.model.check_row(x),
        }
    }
    fn learn_one(&mut self, x: Row<'_>, y: f64, weight: Option<f64>) -> Result<()> {
        self.first_check(x, weight)?;
        if !y.is_finite() {
            return Err(Error::BadValue {
                location: crate::error::Location::Target,
                reason: format!("value {y} is not finite"),
            });
        }
        let mut bufs = std::mem::take(&mut self.bufs);
        let r = learn_pass(&mut self.steps, x, weight, &mut bufs)
            .and_then(|row| self.model.learn_one(row, y, weight));
        self.bufs = bufs;
        r
    }
    fn predict_one(&self, x: Row<'_>) -> Result<f64> {
        self.check_row(x)?;
        if !self.fitted() {
            return Ok(0.0);
        }
        with_bufs(|b| {
            let row = pass(&self.steps, x, b)?;
            self.model.predict_one(row)
        })
    }
}

impl<T: Transformer, M: Transformer> Transformer for Pipeline<T, M> {
    fn n_features_in(&self) -> Option<usize> {
        match self.steps.first() {
            Some(s) => s.n_features_in(),
            None => self.model.n_features_in(),
        }
    }
    fn n_features_out(&self) -> Option<usize> {
        self.model.n_features_out()
    }
    fn feature_names_out(&self, input: &[String]) -> Vec<String> {
        let mut names = input.to_vec();
        for s in &self.steps {
            names = s.feature_names_out(&names);
        }
        self.model.feature_names_out(&names)
    }
    fn check_row(&self, x: Row<'_>) -> Result<()> {
        match self.first_check(x, None)? {
            Some(()) => Ok(()),
            None => self.model.check_row(x),
        }
    }
    fn learn_one(&mut self, x: Row<'_>, weight: Option<f64>) -> Result<()> {
        self.first_check(x, weight)?;
        let mut bufs = std::mem::take(&mut self.bufs);
        let r = learn_pass(&mut self.steps, x, weight, &mut bufs)
            .and_then(|row| self.model.learn_one(row, weight));
        self.bufs = bufs;
        r
    }
    fn transform_one(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        self.check_row(x)?;
        with_bufs(|b| {
            let row = pass(&self.steps, x, b)?;
            self.model.transform_one(row, out)
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
