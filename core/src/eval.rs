//! Prequential (test-then-train) evaluation, River's protocol: each row is first predicted and
//! scored, then learned.
//!
//! [`ClassificationEvaluator`], [`RegressionEvaluator`] and [`ClusteringEvaluator`] take one
//! row at a time, so a
//! program reading a stream can skip rows it cannot parse ([`skip`](ClassificationEvaluator::skip))
//! and time the evaluation its own way; [`evaluate_classifier`] and [`evaluate_regressor`] run
//! a whole in-memory stream.

use std::time::Instant;

use crate::dataset::Dataset;
use crate::error::{Error, Location, Result};
use crate::label::Label;
use crate::metrics::{ClassificationMetrics, ClusteringMetrics, RegressionMetrics};
use crate::record::{Cell, RecordClassifier, RecordRegressor};
use crate::row::{Row, check_weight};
use crate::traits::{Classifier, Clusterer, Regressor};

/// The outcome of an evaluation.
#[derive(Debug, Clone)]
pub struct Report {
    /// Rows predicted, scored and learned.
    pub rows: usize,
    /// Rows skipped for bad input.
    pub skipped: usize,
    /// Wall time of the evaluation, in seconds.
    pub seconds: f64,
    /// `rows / seconds` (0 when no time was measured).
    pub rows_per_sec: f64,
    /// The metrics by name, in a fixed order; `None` where undefined (see [`crate::metrics`]).
    pub metrics: Vec<(&'static str, Option<f64>)>,
}

impl Report {
    /// The metric called `name`, `None` when it is unknown or undefined.
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics
            .iter()
            .find(|(k, _)| *k == name)
            .and_then(|(_, v)| *v)
    }
}

fn report(
    rows: usize,
    skipped: usize,
    seconds: f64,
    metrics: Vec<(&'static str, Option<f64>)>,
) -> Report {
    let rows_per_sec = if seconds > 0.0 && seconds.is_finite() {
        rows as f64 / seconds
    } else {
        0.0
    };
    Report {
        rows,
        skipped,
        seconds,
        rows_per_sec,
        metrics,
    }
}

/// Prequential evaluation of a classifier, one row at a time.
#[derive(Debug, Clone)]
pub struct ClassificationEvaluator {
    metrics: ClassificationMetrics,
    /// Reused buffer for the class probabilities.
    proba: Vec<f64>,
    rows: usize,
    skipped: usize,
}

impl ClassificationEvaluator {
    /// An evaluator whose rolling metrics cover the last `window` rows.
    pub fn new(window: usize) -> Self {
        ClassificationEvaluator {
            metrics: ClassificationMetrics::new(window),
            proba: Vec::new(),
            rows: 0,
            skipped: 0,
        }
    }

    /// Tests then trains on one row: checks the row (with the model's own check), the weight
    /// and the label, then has the model predict the row's class and probabilities, learns the
    /// row, and scores the prediction once learning succeeded. Any error leaves the model and
    /// the metrics as they were.
    ///
    /// A model that knows no class yet makes no prediction: the row counts as wrong and is
    /// scored with a uniform probability (see [`crate::metrics`]).
    pub fn step(
        &mut self,
        model: &mut dyn Classifier,
        x: Row<'_>,
        y: &Label,
        weight: Option<f64>,
    ) -> Result<()> {
        let k = model.classes().len();
        if k > 0 && model.classes().index_of(y).is_some() {
            // A known label adds no class, so the class set the probabilities refer to is the
            // same after learning: predict and learn in one call (which checks the row, the
            // weight and the label before anything changes, as every model's does).
            if self.proba.len() != k {
                self.proba.resize(k, 0.0);
            }
            let prediction = model.predict_then_learn(x, y, weight, &mut self.proba)?;
            let score = self.metrics.score(y, Some((model.classes(), &self.proba)));
            self.metrics.record(y, prediction.as_ref(), score);
            self.rows += 1;
            return Ok(());
        }
        model.check_row(x)?;
        check_weight(weight)?;
        if let Label::Num(v) = y
            && !v.is_finite()
        {
            return Err(Error::BadLabel {
                label: v.to_string(),
                reason: "a numeric label must be finite".into(),
            });
        }
        let score = if k == 0 {
            self.metrics.score(y, None)
        } else {
            if self.proba.len() != k {
                self.proba.resize(k, 0.0);
            }
            model.predict_proba_into(x, &mut self.proba)?;
            self.metrics.score(y, Some((model.classes(), &self.proba)))
        };
        let prediction = model.predict_one(x)?;
        model.learn_one(x, y, weight)?;
        self.metrics.record(y, prediction.as_ref(), score);
        self.rows += 1;
        Ok(())
    }

    /// [`step`](Self::step) for a record of raw cells and a model that takes records (a
    /// pipeline with a record stage): the same protocol, with the record stage's checks.
    pub fn step_record(
        &mut self,
        model: &mut dyn RecordClassifier,
        x: &[Cell],
        y: &Label,
        weight: Option<f64>,
    ) -> Result<()> {
        model.check_record(x)?;
        check_weight(weight)?;
        y.check()?;
        let k = model.classes().len();
        let score = if k == 0 {
            self.metrics.score(y, None)
        } else {
            if self.proba.len() != k {
                self.proba.resize(k, 0.0);
            }
            model.predict_proba_record_into(x, &mut self.proba)?;
            self.metrics.score(y, Some((model.classes(), &self.proba)))
        };
        let prediction = model.predict_record(x)?;
        model.learn_record(x, y, weight)?;
        self.metrics.record(y, prediction.as_ref(), score);
        self.rows += 1;
        Ok(())
    }

    /// Counts a row skipped for bad input (neither scored nor learned).
    pub fn skip(&mut self) {
        self.skipped += 1;
    }

    /// The metrics so far.
    pub fn metrics(&self) -> &ClassificationMetrics {
        &self.metrics
    }

    /// The report so far, given the wall time in seconds.
    pub fn report(&self, seconds: f64) -> Report {
        report(self.rows, self.skipped, seconds, self.metrics.values())
    }
}

/// Prequential evaluation of a regressor, one row at a time.
#[derive(Debug, Clone)]
pub struct RegressionEvaluator {
    metrics: RegressionMetrics,
    rows: usize,
    skipped: usize,
}

impl RegressionEvaluator {
    /// An evaluator whose rolling metrics cover the last `window` rows.
    pub fn new(window: usize) -> Self {
        RegressionEvaluator {
            metrics: RegressionMetrics::new(window),
            rows: 0,
            skipped: 0,
        }
    }

    /// Tests then trains on one row: checks the row (with the model's own check), the weight
    /// and the target, then predicts, learns and scores the prediction once learning
    /// succeeded. Any error leaves the model and the metrics as they were. A model that has
    /// learned nothing predicts 0, and that prediction is scored.
    pub fn step(
        &mut self,
        model: &mut dyn Regressor,
        x: Row<'_>,
        y: f64,
        weight: Option<f64>,
    ) -> Result<()> {
        model.check_row(x)?;
        check_weight(weight)?;
        if !y.is_finite() {
            return Err(Error::BadValue {
                location: Location::Target,
                reason: format!("value {y} is not finite"),
            });
        }
        let prediction = model.predict_one(x)?;
        model.learn_one(x, y, weight)?;
        self.metrics.update(y, prediction);
        self.rows += 1;
        Ok(())
    }

    /// [`step`](Self::step) for a record of raw cells and a model that takes records.
    pub fn step_record(
        &mut self,
        model: &mut dyn RecordRegressor,
        x: &[Cell],
        y: f64,
        weight: Option<f64>,
    ) -> Result<()> {
        model.check_record(x)?;
        check_weight(weight)?;
        if !y.is_finite() {
            return Err(Error::BadValue {
                location: Location::Target,
                reason: format!("value {y} is not finite"),
            });
        }
        let prediction = model.predict_record(x)?;
        model.learn_record(x, y, weight)?;
        self.metrics.update(y, prediction);
        self.rows += 1;
        Ok(())
    }

    /// Counts a row skipped for bad input (neither scored nor learned).
    pub fn skip(&mut self) {
        self.skipped += 1;
    }

    /// The metrics so far.
    pub fn metrics(&self) -> &RegressionMetrics {
        &self.metrics
    }

    /// The report so far, given the wall time in seconds.
    pub fn report(&self, seconds: f64) -> Report {
        report(self.rows, self.skipped, seconds, self.metrics.values())
    }
}

/// Prequential evaluation of a clusterer, one row at a time: each row's cluster is predicted
/// before the row is learned, and scored by inertia, the silhouette of a sample of the rows
/// (as given, before any transformer of a pipeline) with their predicted clusters and, when
/// the rows have true labels, the adjusted Rand index (see [`ClusteringMetrics`]).
#[derive(Debug, Clone, Default)]
pub struct ClusteringEvaluator {
    metrics: ClusteringMetrics,
    distances: Vec<f64>,
    rows: usize,
    skipped: usize,
}

impl ClusteringEvaluator {
    /// An evaluator that has scored nothing (the silhouette on a sample of
    /// [`SILHOUETTE_SAMPLE`](crate::metrics::SILHOUETTE_SAMPLE) rows, seed 0).
    pub fn new() -> Self {
        Self::default()
    }

    /// An evaluator that has scored nothing, whose silhouette is computed on a sample of
    /// `rows` rows (0: none) drawn with seed `seed` (see [`ClusteringMetrics`]).
    pub fn with_silhouette_sample(rows: usize, seed: u64) -> Self {
        ClusteringEvaluator {
            metrics: ClusteringMetrics::with_silhouette_sample(rows, seed),
            ..Self::default()
        }
    }

    /// Tests then trains on one row: checks the row and the weight, predicts its cluster and
    /// its distance to that cluster's center, learns it, and scores the prediction once
    /// learning succeeded (with `truth`, the row's label, for the ARI: give one for every row
    /// or for none). Any error leaves the model and the metrics as they were. A row predicted
    /// before any center exists has no cluster (see [`ClusteringMetrics::update`]).
    pub fn step(
        &mut self,
        model: &mut dyn Clusterer,
        x: Row<'_>,
        truth: Option<&Label>,
        weight: Option<f64>,
    ) -> Result<()> {
        let scored = model.predict_then_learn(x, weight, &mut self.distances)?;
        let (prediction, squared) = match scored {
            Some((c, squared)) => (Some(c), squared),
            None => (None, 0.0),
        };
        self.metrics.update(x, prediction, squared, truth);
        self.rows += 1;
        Ok(())
    }

    /// Counts a row skipped for bad input (neither scored nor learned).
    pub fn skip(&mut self) {
        self.skipped += 1;
    }

    /// The rows scored so far (skipped rows are not counted).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The metrics so far.
    pub fn metrics(&self) -> &ClusteringMetrics {
        &self.metrics
    }

    /// The report so far, given the wall time in seconds.
    pub fn report(&self, seconds: f64) -> Report {
        report(self.rows, self.skipped, seconds, self.metrics.values())
    }
}

/// Evaluates a classifier prequentially over `(features, label)` pairs, with rolling metrics
/// over the last `window` rows, timing itself. Stops at the first bad row with its error,
/// wrapped with the row's 0-based index.
pub fn evaluate_classifier<'a>(
    model: &mut dyn Classifier,
    rows: impl IntoIterator<Item = (&'a [f64], &'a Label)>,
    window: usize,
) -> Result<Report> {
    classify_rows(
        model,
        rows.into_iter().map(|(x, y)| (Ok(Row::Dense(x)), y, None)),
        window,
    )
}

/// Evaluates a regressor prequentially over `(features, target)` pairs, with rolling metrics
/// over the last `window` rows, timing itself. Stops at the first bad row with its error,
/// wrapped with the row's 0-based index.
pub fn evaluate_regressor<'a>(
    model: &mut dyn Regressor,
    rows: impl IntoIterator<Item = (&'a [f64], f64)>,
    window: usize,
) -> Result<Report> {
    regress_rows(
        model,
        rows.into_iter().map(|(x, y)| (Ok(Row::Dense(x)), y, None)),
        window,
    )
}

/// Evaluates a classifier prequentially over a data set's rows in order (dense or sparse, with
/// its weights), against its first target, with rolling metrics over the last `window` rows.
/// Stops at the first bad row with its error, wrapped with the row's 0-based index.
pub fn evaluate_classifier_on(
    model: &mut dyn Classifier,
    data: &Dataset,
    window: usize,
) -> Result<Report> {
    let y = data.target()?.to_labels()?;
    let batch = data.batch();
    let w = |i: usize| data.weights.as_ref().map(|w| w[i]);
    classify_rows(
        model,
        y.iter().enumerate().map(|(i, y)| (batch.row(i), y, w(i))),
        window,
    )
}

/// Evaluates a regressor prequentially over a data set's rows in order (dense or sparse, with
/// its weights), against its first target, with rolling metrics over the last `window` rows.
/// Stops at the first bad row with its error, wrapped with the row's 0-based index.
pub fn evaluate_regressor_on(
    model: &mut dyn Regressor,
    data: &Dataset,
    window: usize,
) -> Result<Report> {
    let y = data.target()?.to_values()?;
    let batch = data.batch();
    let w = |i: usize| data.weights.as_ref().map(|w| w[i]);
    regress_rows(
        model,
        y.iter().enumerate().map(|(i, &y)| (batch.row(i), y, w(i))),
        window,
    )
}

fn classify_rows<'a>(
    model: &mut dyn Classifier,
    rows: impl Iterator<Item = (Result<Row<'a>>, &'a Label, Option<f64>)>,
    window: usize,
) -> Result<Report> {
    let start = Instant::now();
    let mut ev = ClassificationEvaluator::new(window);
    for (i, (x, y, w)) in rows.enumerate() {
        x.and_then(|x| ev.step(model, x, y, w))
            .map_err(|e| e.in_row(i))?;
    }
    Ok(ev.report(start.elapsed().as_secs_f64()))
}

fn regress_rows<'a>(
    model: &mut dyn Regressor,
    rows: impl Iterator<Item = (Result<Row<'a>>, f64, Option<f64>)>,
    window: usize,
) -> Result<Report> {
    let start = Instant::now();
    let mut ev = RegressionEvaluator::new(window);
    for (i, (x, y, w)) in rows.enumerate() {
        x.and_then(|x| ev.step(model, x, y, w))
            .map_err(|e| e.in_row(i))?;
    }
    Ok(ev.report(start.elapsed().as_secs_f64()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::label::ClassSet;

    /// Predicts the most frequent class so far (the smallest on ties), with probabilities the
    /// class frequencies. Counts weights.
    #[derive(Default, Clone, PartialEq, Debug)]
    struct Majority {
        classes: ClassSet,
        counts: Vec<f64>,
        dim: Option<usize>,
        learned: usize,
    }

    impl Classifier for Majority {
        fn classes(&self) -> &ClassSet {
            &self.classes
        }
        fn n_features(&self) -> Option<usize> {
            self.dim
        }
        fn learn_one(&mut self, x: Row<'_>, y: &Label, weight: Option<f64>) -> Result<()> {
            self.check_row(x)?;
            let w = check_weight(weight)?;
            let (i, new) = self.classes.insert(y);
            if new {
                self.counts.insert(i, 0.0);
            }
            self.counts[i] += w;
            self.dim = Some(crate::row::FeatureVector::dim(&x));
            self.learned += 1;
            Ok(())
        }
        fn predict_proba_into(&self, _x: Row<'_>, out: &mut [f64]) -> Result<()> {
            let total: f64 = self.counts.iter().sum();
            for (o, c) in out.iter_mut().zip(&self.counts) {
                *o = c / total;
            }
            Ok(())
        }
        fn predict_one(&self, _x: Row<'_>) -> Result<Option<Label>> {
            let best = (0..self.counts.len()).fold(None, |b: Option<usize>, i| match b {
                Some(b) if self.counts[b] >= self.counts[i] => Some(b),
                _ => Some(i),
            });
            Ok(best.and_then(|i| self.classes.label(i).cloned()))
        }
    }

    /// Predicts the mean of the targets so far (0 before any).
    #[derive(Default, Clone, PartialEq, Debug)]
    struct Mean {
        n: f64,
        sum: f64,
    }

    impl Regressor for Mean {
        fn n_features(&self) -> Option<usize> {
            None
        }
        fn learn_one(&mut self, x: Row<'_>, y: f64, weight: Option<f64>) -> Result<()> {
            self.check_row(x)?;
            let w = check_weight(weight)?;
            self.n += w;
            self.sum += w * y;
            Ok(())
        }
        fn predict_one(&self, _x: Row<'_>) -> Result<f64> {
            Ok(if self.n > 0.0 { self.sum / self.n } else { 0.0 })
        }
    }

    fn get(r: &Report, name: &str) -> Option<f64> {
        r.metric(name)
    }

    fn close(a: Option<f64>, b: f64) {
        let a = a.unwrap_or_else(|| panic!("expected {b}, got None"));
        assert!((a - b).abs() < 1e-12, "got {a}, expected {b}");
    }

    #[test]
    fn majority_stream_by_hand() {
        let a = Label::from("a");
        let b = Label::from("b");
        let x = [0.0];
        let mut model = Majority::default();
        let mut ev = ClassificationEvaluator::new(2);
        // Predictions: none, a, a, a. Probabilities of the true label: uniform 1/2, P(a) = 1,
        // P(b) = 0 (the model knew only a; clipped), P(a) = 2/3.
        for y in [&a, &a, &b, &a] {
            ev.step(&mut model, Row::Dense(&x), y, None).unwrap();
        }
        ev.skip();
        let r = ev.report(2.0);
        assert_eq!((r.rows, r.skipped), (4, 1));
        close(Some(r.rows_per_sec), 2.0);
        close(get(&r, "accuracy"), 2.0 / 4.0);
        let lp = |p: f64| -p.clamp(1e-15, 1.0 - 1e-15).ln();
        close(
            get(&r, "log_loss"),
            (lp(0.5) + lp(1.0) + lp(0.0) + lp(2.0 / 3.0)) / 4.0,
        );
        // Window of the last two rows: (b, predicted a), (a, predicted a).
        close(get(&r, "rolling_accuracy"), 0.5);
        close(get(&r, "rolling_log_loss"), (lp(0.0) + lp(2.0 / 3.0)) / 2.0);
        // Recall of a: 2/3, of b: 0.
        close(get(&r, "balanced_accuracy"), 1.0 / 3.0);
        close(get(&r, "rolling_balanced_accuracy"), 0.5);
        // Binary, positive b: never predicted, so F1 = 0.
        close(get(&r, "f1"), 0.0);
        close(get(&r, "rolling_f1"), 0.0);
        // Scores P(b): 1/2 (no prediction), 0 (the model knew only a), 0 (likewise), 1/3.
        // Positive {0}, negatives {1/2, 0, 1/3}: one tie (1/2) won of 3 pairs.
        close(get(&r, "roc_auc"), 0.5 / 3.0);
        close(get(&r, "rolling_roc_auc"), 0.0);
        assert_eq!(model.learned, 4);
    }

    #[test]
    fn bad_rows_leave_model_and_metrics_unchanged() {
        let a = Label::from("a");
        let mut model = Majority::default();
        let mut ev = ClassificationEvaluator::new(3);
        ev.step(&mut model, Row::Dense(&[1.0, 2.0]), &a, None)
            .unwrap();
        let (m0, r0) = (model.clone(), ev.report(1.0));
        let bad: [(&[f64], Label, Option<f64>); 5] = [
            (&[f64::NAN, 1.0], a.clone(), None),
            (&[1.0], a.clone(), None),
            (&[1.0, 1.0], a.clone(), Some(-1.0)),
            (&[1.0, 1.0], a.clone(), Some(f64::INFINITY)),
            (&[1.0, 1.0], Label::Num(f64::NAN), None),
        ];
        for (x, y, w) in &bad {
            assert!(ev.step(&mut model, Row::Dense(x), y, *w).is_err());
            ev.skip();
        }
        assert_eq!(model, m0);
        let r = ev.report(1.0);
        assert_eq!(r.rows, 1);
        assert_eq!(r.skipped, 5);
        assert_eq!(format!("{:?}", r.metrics), format!("{:?}", r0.metrics));
    }

    #[test]
    fn evaluate_classifier_reports_the_failing_row() {
        let (a, b) = (Label::from(0), Label::from(1));
        let xs = [[0.0], [1.0], [f64::NAN]];
        let ys = [a.clone(), b.clone(), a.clone()];
        let mut model = Majority::default();
        let r =
            evaluate_classifier(&mut model, xs[..2].iter().map(|x| &x[..]).zip(&ys), 10).unwrap();
        assert_eq!(r.rows, 2);
        close(get(&r, "accuracy"), 0.0);
        let mut model = Majority::default();
        let err =
            evaluate_classifier(&mut model, xs.iter().map(|x| &x[..]).zip(&ys), 10).unwrap_err();
        assert!(matches!(err, Error::InRow { row: 2, .. }), "{err}");
    }

    #[test]
    fn regressor_prediction_zero_is_scored() {
        let xs: [&[f64]; 3] = [&[0.0], &[0.0], &[0.0]];
        let ys = [2.0, 4.0, 0.0];
        let mut model = Mean::default();
        let r = evaluate_regressor(&mut model, xs.iter().copied().zip(ys), 2).unwrap();
        // Predictions 0, 2, 3: errors 2, 2, -3.
        assert_eq!(r.rows, 3);
        close(get(&r, "mae"), 7.0 / 3.0);
        close(get(&r, "rmse"), (17.0f64 / 3.0).sqrt());
        // Mean 2, SST 8, SSE 17.
        close(get(&r, "r2"), 1.0 - 17.0 / 8.0);
        close(get(&r, "rolling_mae"), 2.5);

        let mut ev = RegressionEvaluator::new(2);
        assert!(
            ev.step(&mut model, Row::Dense(&[0.0]), f64::NAN, None)
                .is_err()
        );
        assert!(
            ev.step(&mut model, Row::Dense(&[f64::NAN]), 1.0, None)
                .is_err()
        );
        assert!(
            ev.step(&mut model, Row::Dense(&[0.0]), 1.0, Some(-2.0))
                .is_err()
        );
        ev.skip();
        assert_eq!(model, Mean { n: 3.0, sum: 6.0 });
        let r = ev.report(0.0);
        assert_eq!((r.rows, r.skipped), (0, 1));
        assert_eq!(r.rows_per_sec, 0.0);
        assert!(r.metrics.iter().all(|(_, v)| v.is_none()));
    }

    #[test]
    fn a_sparse_weighted_data_set_is_evaluated_row_by_row_with_its_weights() {
        use crate::dataset::{CsrMatrix, FeatureMatrix, Schema, Targets};
        let (a, b) = (Label::from("a"), Label::from("b"));
        let mut x = CsrMatrix::new(3);
        let rows: [(&[u32], &[f64]); 4] =
            [(&[0], &[1.0]), (&[2], &[2.0]), (&[], &[]), (&[1], &[3.0])];
        for (i, v) in rows {
            x.push_row(i, v).unwrap();
        }
        let y = vec![a.clone(), b.clone(), b.clone(), a.clone()];
        let w = vec![1.0, 3.0, 0.5, 2.0];
        let schema = Schema::numeric(
            vec!["f0".into(), "f1".into(), "f2".into()],
            vec!["y".into()],
        );
        let data = Dataset::new(
            FeatureMatrix::Sparse(x),
            vec![Targets::Labels(y.clone())],
            schema,
        )
        .unwrap()
        .with_weights(w.clone())
        .unwrap();
        let mut model = Majority::default();
        let r = evaluate_classifier_on(&mut model, &data, 2).unwrap();
        let mut by_hand = Majority::default();
        let mut ev = ClassificationEvaluator::new(2);
        let batch = data.batch();
        for i in 0..4 {
            ev.step(&mut by_hand, batch.row(i).unwrap(), &y[i], Some(w[i]))
                .unwrap();
        }
        assert_eq!(model, by_hand);
        assert_eq!(r.rows, 4);
        assert_eq!(
            format!("{:?}", r.metrics),
            format!("{:?}", ev.report(0.0).metrics)
        );
        // The weights count: after a (1) and b (3), b is the majority.
        assert_eq!(model.predict_one(Row::Dense(&[0.0; 3])).unwrap(), Some(b));
        assert_eq!(r.metric("no such metric"), None);
    }

    #[test]
    fn evaluate_regressor_on_reports_the_failing_row() {
        use crate::dataset::{FeatureMatrix, Schema, Targets};
        let x = ndarray::Array2::from_shape_vec((3, 1), vec![0.0, 1.0, f64::INFINITY]).unwrap();
        let schema = Schema::numeric(vec!["f0".into()], vec!["y".into()]);
        let data = Dataset::new(
            FeatureMatrix::Dense(x),
            vec![Targets::Values(vec![2.0, 4.0, 1.0])],
            schema,
        )
        .unwrap();
        let mut model = Mean::default();
        let err = evaluate_regressor_on(&mut model, &data, 2).unwrap_err();
        assert!(matches!(err, Error::InRow { row: 2, .. }), "{err}");
        assert_eq!(model, Mean { n: 2.0, sum: 6.0 });
    }
}
