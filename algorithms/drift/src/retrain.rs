//! Retraining wrappers: a model and a detector fed with the model's own prequential errors,
//! and what happens when the detector fires.

use ndarray::Array2;
use serde::{Deserialize, Serialize};
use tidewater_core::io::Cell;
use tidewater_core::record::{RecordClassifier, RecordRegressor};
use tidewater_core::row::check_weight;
use tidewater_core::{
    Batch, ClassSet, Classifier, Error, FeatureVector, Label, Regressor, Result, Row,
};

use crate::{DriftDetector, InputKind};

/// What a wrapper did, and when.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    /// The detector entered its warning zone: a background model starts learning.
    Warning,
    /// The detector reported a drift.
    Drift,
    /// The background model trained since the warning replaced the model.
    Swap,
    /// The model was replaced by a fresh copy of the model the wrapper was given.
    Reset,
    /// The model was refitted on a window of recent rows.
    Refit,
}

impl EventKind {
    /// The lowercase name (`warning`, `drift`, `swap`, `reset`, `refit`).
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Warning => "warning",
            EventKind::Drift => "drift",
            EventKind::Swap => "swap",
            EventKind::Reset => "reset",
            EventKind::Refit => "refit",
        }
    }
}

/// One event of a wrapper: its kind and the 0-based index of the row (among the rows the
/// wrapper has learned) whose learning caused it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Event {
    /// 0-based index of the row among the rows learned by the wrapper.
    pub row: u64,
    /// What happened.
    pub kind: EventKind,
}

/// The loss a regressor's errors are measured with before they reach the detector.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Loss {
    /// `|y - prediction|` (the default).
    #[default]
    Absolute,
    /// `(y - prediction)^2`.
    Squared,
}

impl Loss {
    fn of(self, y: f64, p: f64) -> f64 {
        match self {
            Loss::Absolute => (y - p).abs(),
            Loss::Squared => (y - p) * (y - p),
        }
    }
}

fn check_label(y: &Label) -> Result<()> {
    y.check()
}

fn check_target(y: f64) -> Result<()> {
    if y.is_finite() {
        Ok(())
    } else {
        Err(Error::BadValue {
            location: tidewater_core::Location::Target,
            reason: format!("value {y} is not finite"),
        })
    }
}

/// The detector's input for a classifier's prediction `p` of `y`: 1 for an error (for a
/// correct prediction when the detector [wants successes](DriftDetector::wants_successes)),
/// else 0.
fn error_signal(d: &impl DriftDetector, p: &Label, y: &Label) -> f64 {
    let wrong = p != y;
    let v = if d.wants_successes() { !wrong } else { wrong };
    f64::from(u8::from(v))
}

/// Appends an event of `kind` at `row`.
fn push_event(events: &mut Vec<Event>, row: u64, kind: EventKind) {
    events.push(Event { row, kind });
}

fn regressor_detector(d: &impl DriftDetector) -> Result<()> {
    if d.input_kind() == InputKind::Binary {
        return Err(Error::Unsupported(format!(
            "detector `{}` takes 0/1 errors, but a regressor's errors are real losses: use \
             adwin, page_hinkley or kswin",
            d.name()
        )));
    }
    Ok(())
}

/// Drift retraining (River's `DriftRetrainingClassifier`, for regressors too): before each
/// row is learned, the model predicts it and the detector is fed the model's error (1 if the
/// predicted class is wrong, else 0; for a regressor its [`Loss`]).
///
/// - When the detector enters its warning zone, a background model (a fresh copy of the
///   model the wrapper was given) starts learning every row while the warning lasts; if the
///   warning clears without a drift, it is dropped.
/// - On a drift, the background model replaces the model ([`EventKind::Swap`]); without one
///   (no warning just before, a detector without warnings, or `train_in_background` off),
///   the model is replaced by a fresh copy ([`EventKind::Reset`]).
///
/// Then the (possibly new) model learns the row. A model that cannot predict yet (it knows
/// no class) feeds the detector nothing, as in River. The wrapper is a classifier or a
/// regressor when the model is one, and also takes records of raw cells when the model
/// does (a pipeline with a record stage).
///
/// A regressor's loss goes to the detector as it is, so the detector must take real
/// values (ADWIN, Page-Hinkley, KSWIN): a binary detector is refused at the first row.
///
/// Differences from River: River's background model keeps learning across warning periods
/// until a drift; here each warning period starts a fresh one (Gama et al.'s DDM), so a
/// swapped-in model has learned only the rows of the warning that preceded the drift.
/// River feeds every detector 1 for an error; FHDDM watches for a *fall* of its input, so
/// here it is fed 1 for a correct prediction (see [`DriftDetector::wants_successes`]).
///
/// "Fresh copy" means a clone of the model as given to [`new`](Self::new): give an empty
/// model for River's behaviour, or a pre-trained one to fall back to it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriftRetrain<M, D> {
    template: M,
    model: M,
    background: Option<M>,
    detector: D,
    train_in_background: bool,
    loss: Loss,
    in_warning: bool,
    dim: Option<usize>,
    rows: u64,
    events: Vec<Event>,
}

impl<M: Clone, D: DriftDetector> DriftRetrain<M, D> {
    /// Wraps `model` (also the template of every reset) with `detector`.
    pub fn new(model: M, detector: D) -> Self {
        DriftRetrain {
            template: model.clone(),
            model,
            background: None,
            detector,
            train_in_background: true,
            loss: Loss::Absolute,
            in_warning: false,
            dim: None,
            rows: 0,
            events: Vec::new(),
        }
    }

    /// Whether a warning starts a background model (default `true`); when `false`, a drift
    /// always resets the model.
    pub fn train_in_background(mut self, v: bool) -> Self {
        self.train_in_background = v;
        self
    }

    /// The loss fed to the detector when the model is a regressor (default absolute).
    pub fn loss(mut self, v: Loss) -> Self {
        self.loss = v;
        self
    }

    /// The model in use.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The background model, while a warning lasts.
    pub fn background(&self) -> Option<&M> {
        self.background.as_ref()
    }

    /// The detector.
    pub fn detector(&self) -> &D {
        &self.detector
    }

    /// Rows learned so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Every event so far, oldest first.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Takes the events so far, leaving none.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    fn event(&mut self, kind: EventKind) {
        push_event(&mut self.events, self.rows, kind);
    }

    /// Feeds the detector and acts on its flags; `learn_background` teaches the background
    /// model the current row.
    fn monitor(
        &mut self,
        value: f64,
        learn_background: impl FnOnce(&mut M) -> Result<()>,
    ) -> Result<()> {
        self.detector.update(value)?;
        if self.detector.drift_detected() {
            self.event(EventKind::Drift);
            self.in_warning = false;
            match self.background.take() {
                Some(bg) if self.train_in_background => {
                    self.model = bg;
                    self.event(EventKind::Swap);
                }
                _ => {
                    self.model = self.template.clone();
                    self.event(EventKind::Reset);
                }
            }
        } else if self.detector.warning_detected() {
            if !self.in_warning {
                self.in_warning = true;
                self.event(EventKind::Warning);
                if self.train_in_background {
                    self.background = Some(self.template.clone());
                }
            }
            if let Some(bg) = self.background.as_mut() {
                learn_background(bg)?;
            }
        } else {
            self.in_warning = false;
            self.background = None;
        }
        Ok(())
    }
}

impl<M: Classifier + Clone, D: DriftDetector> Classifier for DriftRetrain<M, D> {
    fn classes(&self) -> &ClassSet {
        self.model.classes()
    }

    fn n_features(&self) -> Option<usize> {
        self.dim.or_else(|| self.model.n_features())
    }

    fn check_row(&self, x: Row<'_>) -> Result<()> {
        x.check(self.n_features())?;
        self.model.check_row(x)
    }

    fn learn_one(&mut self, x: Row<'_>, y: &Label, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        check_weight(weight)?;
        check_label(y)?;
        if let Some(p) = self.model.predict_one(x)? {
            let v = error_signal(&self.detector, &p, y);
            self.monitor(v, |bg| bg.learn_one(x, y, weight))?;
        }
        self.model.learn_one(x, y, weight)?;
        self.dim = Some(x.dim());
        self.rows = self.rows.saturating_add(1);
        Ok(())
    }

    fn predict_proba_into(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        self.model.predict_proba_into(x, out)
    }

    fn predict_one(&self, x: Row<'_>) -> Result<Option<Label>> {
        self.model.predict_one(x)
    }

    fn prefetch(&self, x: Row<'_>) {
        self.model.prefetch(x)
    }
}

impl<M: Regressor + Clone, D: DriftDetector> Regressor for DriftRetrain<M, D> {
    fn n_features(&self) -> Option<usize> {
        self.dim.or_else(|| self.model.n_features())
    }

    fn check_row(&self, x: Row<'_>) -> Result<()> {
        x.check(Regressor::n_features(self))?;
        self.model.check_row(x)
    }

    fn learn_one(&mut self, x: Row<'_>, y: f64, weight: Option<f64>) -> Result<()> {
        regressor_detector(&self.detector)?;
        Regressor::check_row(self, x)?;
        check_weight(weight)?;
        check_target(y)?;
        let loss = self.loss.of(y, self.model.predict_one(x)?);
        self.detector.check(loss)?;
        self.monitor(loss, |bg| bg.learn_one(x, y, weight))?;
        self.model.learn_one(x, y, weight)?;
        self.dim = Some(x.dim());
        self.rows = self.rows.saturating_add(1);
        Ok(())
    }

    fn predict_one(&self, x: Row<'_>) -> Result<f64> {
        self.model.predict_one(x)
    }

    fn prefetch(&self, x: Row<'_>) {
        self.model.prefetch(x)
    }
}

impl<M: RecordClassifier + Clone, D: DriftDetector> RecordClassifier for DriftRetrain<M, D> {
    fn classes(&self) -> &ClassSet {
        self.model.classes()
    }

    fn check_record(&self, x: &[Cell]) -> Result<()> {
        self.model.check_record(x)
    }

    fn learn_record(&mut self, x: &[Cell], y: &Label, weight: Option<f64>) -> Result<()> {
        self.model.check_record(x)?;
        check_weight(weight)?;
        check_label(y)?;
        if let Some(p) = self.model.predict_record(x)? {
            let v = error_signal(&self.detector, &p, y);
            self.monitor(v, |bg| bg.learn_record(x, y, weight))?;
        }
        self.model.learn_record(x, y, weight)?;
        self.rows = self.rows.saturating_add(1);
        Ok(())
    }

    fn predict_proba_record_into(&self, x: &[Cell], out: &mut [f64]) -> Result<()> {
        self.model.predict_proba_record_into(x, out)
    }

    fn predict_record(&self, x: &[Cell]) -> Result<Option<Label>> {
        self.model.predict_record(x)
    }
}

impl<M: RecordRegressor + Clone, D: DriftDetector> RecordRegressor for DriftRetrain<M, D> {
    fn check_record(&self, x: &[Cell]) -> Result<()> {
        self.model.check_record(x)
    }

    fn learn_record(&mut self, x: &[Cell], y: f64, weight: Option<f64>) -> Result<()> {
        regressor_detector(&self.detector)?;
        self.model.check_record(x)?;
        check_weight(weight)?;
        check_target(y)?;
        let loss = self.loss.of(y, self.model.predict_record(x)?);
        self.detector.check(loss)?;
        self.monitor(loss, |bg| bg.learn_record(x, y, weight))?;
        self.model.learn_record(x, y, weight)?;
        self.rows = self.rows.saturating_add(1);
        Ok(())
    }

    fn predict_record(&self, x: &[Cell]) -> Result<f64> {
        self.model.predict_record(x)
    }
}

/// The last rows learned, oldest first, for refitting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Ring {
    cap: usize,
    dim: usize,
    xs: Vec<f64>,
    labels: Vec<Label>,
    values: Vec<f64>,
    weights: Vec<f64>,
    weighted: bool,
    start: usize,
    len: usize,
}

enum Target<'a> {
    Label(&'a Label),
    Value(f64),
}

impl Ring {
    fn new(cap: usize) -> Self {
        Ring {
            cap,
            dim: 0,
            xs: Vec::new(),
            labels: Vec::new(),
            values: Vec::new(),
            weights: Vec::new(),
            weighted: false,
            start: 0,
            len: 0,
        }
    }

    fn push(&mut self, x: Row<'_>, y: Target<'_>, weight: Option<f64>) {
        if self.cap == 0 {
            return;
        }
        if self.xs.is_empty() {
            self.dim = x.dim();
            self.xs = vec![0.0; self.cap * self.dim];
            self.weights = vec![1.0; self.cap];
        }
        let slot = if self.len < self.cap {
            self.len += 1;
            (self.start + self.len - 1) % self.cap
        } else {
            let s = self.start;
            self.start = (self.start + 1) % self.cap;
            s
        };
        let row = &mut self.xs[slot * self.dim..(slot + 1) * self.dim];
        match x {
            Row::Dense(v) => row.copy_from_slice(v),
            Row::Sparse(s) => {
                row.iter_mut().for_each(|v| *v = 0.0);
                for (&i, &v) in s.indices().iter().zip(s.values()) {
                    row[i as usize] = v;
                }
            }
        }
        match y {
            Target::Label(l) => {
                if self.labels.len() < self.cap {
                    self.labels.resize(self.cap, Label::Num(0.0));
                }
                self.labels[slot].clone_from(l);
            }
            Target::Value(v) => {
                if self.values.len() < self.cap {
                    self.values.resize(self.cap, 0.0);
                }
                self.values[slot] = v;
            }
        }
        if let Some(w) = weight {
            self.weighted = true;
            self.weights[slot] = w;
        } else {
            self.weights[slot] = 1.0;
        }
    }

    /// The dimension of the buffered rows, once a row has been pushed.
    fn seen_dim(&self) -> Option<usize> {
        (self.dim > 0).then_some(self.dim)
    }

    /// The rows oldest first, with their weights when any row had one.
    fn rows(&self) -> (Array2<f64>, Vec<usize>, Option<Vec<f64>>) {
        let order: Vec<usize> = (0..self.len).map(|i| (self.start + i) % self.cap).collect();
        let mut x = Array2::zeros((self.len, self.dim));
        for (r, &slot) in order.iter().enumerate() {
            x.row_mut(r)
                .iter_mut()
                .zip(&self.xs[slot * self.dim..(slot + 1) * self.dim])
                .for_each(|(o, &v)| *o = v);
        }
        let w = self
            .weighted
            .then(|| order.iter().map(|&s| self.weights[s]).collect());
        (x, order, w)
    }

    fn refit_classifier<M: Classifier>(&self, model: &mut M) -> Result<()> {
        if self.len == 0 {
            return Ok(());
        }
        let (x, order, w) = self.rows();
        let y: Vec<Label> = order.iter().map(|&s| self.labels[s].clone()).collect();
        model.learn_many(Batch::Dense(x.view()), &y, w.as_deref())
    }

    fn refit_regressor<M: Regressor>(&self, model: &mut M) -> Result<()> {
        if self.len == 0 {
            return Ok(());
        }
        let (x, order, w) = self.rows();
        let y: Vec<f64> = order.iter().map(|&s| self.values[s]).collect();
        model.learn_many(Batch::Dense(x.view()), &y, w.as_deref())
    }
}

/// Window refit (the batch layer of a Lambda architecture, in small): the model learns row
/// by row, the last `window` rows are kept in a ring buffer, and the detector is fed the
/// model's prequential errors as in [`DriftRetrain`]. On a drift the model is replaced by a
/// fresh copy of the model the wrapper was given, trained in one `learn_many` call on the
/// buffered rows (the drifting row included, oldest first): for the exact models of this
/// library (law 1) that is the batch fit on the window.
///
/// Rows are kept dense (a sparse row is expanded), so the buffer holds `window` times the
/// number of features values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowRefit<M, D> {
    template: M,
    model: M,
    detector: D,
    ring: Ring,
    loss: Loss,
    rows: u64,
    events: Vec<Event>,
}

impl<M: Clone, D: DriftDetector> WindowRefit<M, D> {
    /// Wraps `model` with `detector`, refitting on the last `window` rows on a drift.
    pub fn new(model: M, detector: D, window: usize) -> Self {
        WindowRefit {
            template: model.clone(),
            model,
            detector,
            ring: Ring::new(window),
            loss: Loss::Absolute,
            rows: 0,
            events: Vec::new(),
        }
    }

    /// The loss fed to the detector when the model is a regressor (default absolute).
    pub fn loss(mut self, v: Loss) -> Self {
        self.loss = v;
        self
    }

    /// The model in use.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The detector.
    pub fn detector(&self) -> &D {
        &self.detector
    }

    /// Every event so far, oldest first.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Takes the events so far, leaving none.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    fn event(&mut self, kind: EventKind) {
        push_event(&mut self.events, self.rows, kind);
    }

    /// Ends the learning of the row just buffered: on a `drift`, the model is replaced by a
    /// fresh copy refitted (by `refit`) on the window; otherwise it learns the row (`learn`).
    fn step(
        &mut self,
        drift: bool,
        refit: impl FnOnce(&Ring, &mut M) -> Result<()>,
        learn: impl FnOnce(&mut M) -> Result<()>,
    ) -> Result<()> {
        if drift {
            self.event(EventKind::Drift);
            let mut fresh = self.template.clone();
            refit(&self.ring, &mut fresh)?;
            self.model = fresh;
            self.event(EventKind::Refit);
        } else {
            learn(&mut self.model)?;
        }
        self.rows = self.rows.saturating_add(1);
        Ok(())
    }
}

impl<M: Classifier + Clone, D: DriftDetector> Classifier for WindowRefit<M, D> {
    fn classes(&self) -> &ClassSet {
        self.model.classes()
    }

    fn n_features(&self) -> Option<usize> {
        self.model.n_features()
    }

    fn check_row(&self, x: Row<'_>) -> Result<()> {
        x.check(self.ring.seen_dim())?;
        self.model.check_row(x)
    }

    fn learn_one(&mut self, x: Row<'_>, y: &Label, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        check_weight(weight)?;
        check_label(y)?;
        let mut drift = false;
        if let Some(p) = self.model.predict_one(x)? {
            self.detector.update(error_signal(&self.detector, &p, y))?;
            drift = self.detector.drift_detected();
        }
        self.ring.push(x, Target::Label(y), weight);
        self.step(
            drift,
            |ring, fresh| ring.refit_classifier(fresh),
            |model| model.learn_one(x, y, weight),
        )
    }

    fn predict_proba_into(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        self.model.predict_proba_into(x, out)
    }

    fn predict_one(&self, x: Row<'_>) -> Result<Option<Label>> {
        self.model.predict_one(x)
    }

    fn prefetch(&self, x: Row<'_>) {
        self.model.prefetch(x)
    }
}

impl<M: Regressor + Clone, D: DriftDetector> Regressor for WindowRefit<M, D> {
    fn n_features(&self) -> Option<usize> {
        self.model.n_features()
    }

    fn check_row(&self, x: Row<'_>) -> Result<()> {
        x.check(self.ring.seen_dim())?;
        self.model.check_row(x)
    }

    fn learn_one(&mut self, x: Row<'_>, y: f64, weight: Option<f64>) -> Result<()> {
        regressor_detector(&self.detector)?;
        Regressor::check_row(self, x)?;
        check_weight(weight)?;
        check_target(y)?;
        let loss = self.loss.of(y, self.model.predict_one(x)?);
        self.detector.update(loss)?;
        let drift = self.detector.drift_detected();
        self.ring.push(x, Target::Value(y), weight);
        self.step(
            drift,
            |ring, fresh| ring.refit_regressor(fresh),
            |model| model.learn_one(x, y, weight),
        )
    }

    fn predict_one(&self, x: Row<'_>) -> Result<f64> {
        self.model.predict_one(x)
    }

    fn prefetch(&self, x: Row<'_>) {
        self.model.prefetch(x)
    }
}

/// Periodic retraining, the baseline every detector must beat: every `period` rows the model
/// is replaced by a fresh copy of the model the wrapper was given, refitted on the last
/// `window` rows ([`EventKind::Refit`]), or simply reset when `window` is 0
/// ([`EventKind::Reset`]). It watches nothing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Periodic<M> {
    template: M,
    model: M,
    period: u64,
    ring: Ring,
    rows: u64,
    events: Vec<Event>,
}

impl<M: Clone> Periodic<M> {
    /// Retrains `model` every `period` rows (at least 1) on the last `window` rows.
    pub fn new(model: M, period: usize, window: usize) -> Result<Self> {
        if period == 0 {
            return Err(Error::param("period", "must be at least 1, got 0"));
        }
        Ok(Periodic {
            template: model.clone(),
            model,
            period: period as u64,
            ring: Ring::new(window),
            rows: 0,
            events: Vec::new(),
        })
    }

    /// The model in use.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// Every event so far, oldest first.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Takes the events so far, leaving none.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    fn due(&self) -> bool {
        (self.rows + 1).is_multiple_of(self.period)
    }

    fn retrained(&mut self, model: M) {
        self.model = model;
        let kind = if self.ring.cap == 0 {
            EventKind::Reset
        } else {
            EventKind::Refit
        };
        push_event(&mut self.events, self.rows, kind);
    }

    /// Ends the learning of the row just buffered: when due, the model is replaced by a
    /// fresh copy refitted (by `refit`) on the window; otherwise it learns the row (`learn`).
    fn step(
        &mut self,
        refit: impl FnOnce(&Ring, &mut M) -> Result<()>,
        learn: impl FnOnce(&mut M) -> Result<()>,
    ) -> Result<()> {
        if self.due() {
            let mut fresh = self.template.clone();
            refit(&self.ring, &mut fresh)?;
            self.retrained(fresh);
        } else {
            learn(&mut self.model)?;
        }
        self.rows = self.rows.saturating_add(1);
        Ok(())
    }
}

impl<M: Classifier + Clone> Classifier for Periodic<M> {
    fn classes(&self) -> &ClassSet {
        self.model.classes()
    }

    fn n_features(&self) -> Option<usize> {
        self.model.n_features()
    }

    fn check_row(&self, x: Row<'_>) -> Result<()> {
        x.check(self.ring.seen_dim())?;
        self.model.check_row(x)
    }

    fn learn_one(&mut self, x: Row<'_>, y: &Label, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        check_weight(weight)?;
        check_label(y)?;
        self.ring.push(x, Target::Label(y), weight);
        self.step(
            |ring, fresh| ring.refit_classifier(fresh),
            |model| model.learn_one(x, y, weight),
        )
    }

    fn predict_proba_into(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        self.model.predict_proba_into(x, out)
    }

    fn predict_one(&self, x: Row<'_>) -> Result<Option<Label>> {
        self.model.predict_one(x)
    }

    fn prefetch(&self, x: Row<'_>) {
        self.model.prefetch(x)
    }
}

impl<M: Regressor + Clone> Regressor for Periodic<M> {
    fn n_features(&self) -> Option<usize> {
        self.model.n_features()
    }

    fn check_row(&self, x: Row<'_>) -> Result<()> {
        x.check(self.ring.seen_dim())?;
        self.model.check_row(x)
    }

    fn learn_one(&mut self, x: Row<'_>, y: f64, weight: Option<f64>) -> Result<()> {
        Regressor::check_row(self, x)?;
        check_weight(weight)?;
        check_target(y)?;
        self.ring.push(x, Target::Value(y), weight);
        self.step(
            |ring, fresh| ring.refit_regressor(fresh),
            |model| model.learn_one(x, y, weight),
        )
    }

    fn predict_one(&self, x: Row<'_>) -> Result<f64> {
        self.model.predict_one(x)
    }

    fn prefetch(&self, x: Row<'_>) {
        self.model.prefetch(x)
    }
}
