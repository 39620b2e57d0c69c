//! The adaptive random forest regressor (ARF for regression): online bagging of Hoeffding
//! tree regressors that each watch random feature subspaces, with a drift detector per tree
//! that replaces it.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, ensure, nonneg, same_len, within};
use tidewater_core::row::check_weight;
use tidewater_core::spec::Params;
use tidewater_core::traits::{check_batch, learn_dataset_regressor};
use tidewater_core::{
    Batch, Build, Dataset, FeatureVector, Fit, Regressor, Result, Row, Structure,
};
use tidewater_drift::{Adwin, DriftDetector};

use crate::adaptive_random_forest::{adwin, check_detectors};
use crate::cart::MaxFeatures;
use crate::growth;
use crate::hoeffding_tree::{with_buf, with_dense};
use crate::hoeffding_tree_regressor::{HoeffdingTreeRegressor, HoeffdingTreeRegressorParams};
use crate::stats::Var;
use tidewater_core::pyrandom::PyRandom;

/// How a forest of regressors combines its trees' predictions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Aggregation {
    /// The median of the trees' predictions (always unweighted).
    Median,
    /// The mean, weighted by each tree's error unless `disable_weighted_vote`.
    Mean,
}

tidewater_core::param_choices!(Aggregation {
    Median => "median",
    Mean => "mean",
});

/// Hyper-parameters of [`AdaptiveRandomForestRegressor`] (River's `ARFRegressor` names and
/// defaults; its trees' are the Hoeffding tree regressor's with River's forest defaults:
/// grace period 50, delta 0.01, memory estimated every 2,000,000).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "adaptive_random_forest_regressor",
    summary = "adaptive random forest regressor (ARF): online bagging of Hoeffding tree regressors on random feature subspaces, each replaced when its ADWIN detects drift; the median of the trees (River's ARFRegressor)",
    row_loop_fit
)]
pub struct AdaptiveRandomForestRegressorParams {
    /// Trees in the forest.
    #[param(default = 10, ge = 1, le = 100_000)]
    pub n_models: usize,
    /// Features each leaf watches, drawn at its first row: sqrt, log2, all, a count or a fraction of the features.
    #[param(default = MaxFeatures::Sqrt)]
    pub max_features: MaxFeatures,
    /// How the trees' predictions are combined: median or mean.
    #[param(default = Aggregation::Median)]
    pub aggregation_method: Aggregation,
    /// Mean of the Poisson weights of online bagging.
    #[param(default = 6.0, gt = 0, le = 100)]
    pub lambda_value: f64,
    /// With aggregation_method=mean, every tree weighs the same instead of less for a larger mean squared error.
    #[param(default = true)]
    pub disable_weighted_vote: bool,
    /// Delta of each tree's drift detector (ADWIN); none: trees are never replaced.
    #[param(default = Some(0.001), gt = 0, lt = 1)]
    pub drift_delta: Option<f64>,
    /// Delta of each tree's warning detector (ADWIN), which starts a background tree; none: a drift starts a fresh tree.
    #[param(default = Some(0.01), gt = 0, lt = 1)]
    pub warning_delta: Option<f64>,
    /// Seed of the draws (each tree's own Mersenne Twister, seeded from this one's); none draws one from the operating system.
    #[param(default = None)]
    pub seed: Option<u64>,
    /// The trees' parameters.
    #[param(
        flatten,
        default = HoeffdingTreeRegressorParams {
            grace_period: 50,
            delta: 0.01,
            memory_estimate_period: 2_000_000,
            ..HoeffdingTreeRegressorParams::default()
        }
    )]
    pub tree: HoeffdingTreeRegressorParams,
}

impl Build for AdaptiveRandomForestRegressorParams {
    type Model = AdaptiveRandomForestRegressor;
    fn build(&self) -> Result<AdaptiveRandomForestRegressor> {
        self.validate()?;
        self.tree.build()?;
        let seed = self.seed.unwrap_or_else(rand::random);
        let mut master = PyRandom::new(seed);
        let slots = (0..self.n_models)
            .map(|_| {
                let s = (master.next_u32() as u64) << 32 | master.next_u32() as u64;
                Slot::new(self, PyRandom::new(s))
            })
            .collect();
        Ok(AdaptiveRandomForestRegressor {
            params: self.clone(),
            dim: None,
            slots,
        })
    }
}

impl Fit for AdaptiveRandomForestRegressorParams {
    type Model = AdaptiveRandomForestRegressor;
    /// One pass over the rows in order, the trees in parallel (each tree's rows are the
    /// stream's, in order, so the forest is the one `learn_one` grows).
    fn fit(&self, data: &Dataset) -> Result<AdaptiveRandomForestRegressor> {
        let mut m = self.build()?;
        m.set_nominal_features(&data.schema.nominal_indices());
        learn_dataset_regressor(&mut m, data)?;
        Ok(m)
    }
}

/// One tree of the forest with what watches it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Slot {
    tree: HoeffdingTreeRegressor,
    background: Option<HoeffdingTreeRegressor>,
    drift: Option<Adwin>,
    warning: Option<Adwin>,
    /// Rows scored since the tree was made, and the mean of their squared errors (its
    /// voting weight).
    seen: f64,
    mse: f64,
    /// The signed errors of the rows the tree learned, which scale the detectors' input
    /// (kept across replacements, as River).
    norm: Var,
    rng: PyRandom,
    n_warnings: usize,
    n_drifts: usize,
    /// The leaves' subspace size (set at the forest's first row).
    k: usize,
}

/// A new tree of the forest: the Hoeffding tree regressor whose leaves watch `k` random
/// features (0 before the forest's first row, when the trees are made).
impl Slot {
    /// A loaded slot of a forest of `dim` features (none before the first row): its tree
    /// and background tree consistent (see [`HoeffdingTreeRegressor`]'s check) and of the
    /// forest's width; a detector exactly where the parameters ask for one (a drift
    /// replaces it from them), each consistent; the rows seen finite and not negative, the
    /// errors' statistics consistent (the squared error itself may be infinite or NaN: a
    /// leaf model on raw features can diverge); the subspace size at most the features.
    fn check(&self, p: &AdaptiveRandomForestRegressorParams, dim: Option<usize>) -> StateResult {
        let tree = |what: &str, t: &HoeffdingTreeRegressor| -> StateResult {
            within(what, t.check_state())?;
            ensure(t.dim.is_none() || t.dim == dim, || {
                format!("{what}: {:?} features, the forest {dim:?}", t.dim)
            })
        };
        tree("tree", &self.tree)?;
        if let Some(bg) = &self.background {
            tree("background tree", bg)?;
        }
        check_detectors(
            [&self.drift, &self.warning],
            [p.drift_delta, p.warning_delta],
        )?;
        nonneg("seen", self.seen)?;
        within("norm", self.norm.check_state())?;
        within("rng", self.rng.check_state())?;
        ensure(self.k <= dim.unwrap_or(0), || {
            format!("k: {} features of {}", self.k, dim.unwrap_or(0))
        })
    }
}

fn new_tree(p: &AdaptiveRandomForestRegressorParams, k: usize) -> HoeffdingTreeRegressor {
    let mut t = p.tree.build().expect("checked parameters");
    t.subspace = (k > 0).then_some(k);
    t
}

/// Learns a checked dense row into one tree, its leaves drawing their features from `rng`.
fn learn_tree(t: &mut HoeffdingTreeRegressor, x: &[f64], y: f64, w: f64, rng: &mut PyRandom) {
    t.start(x.len());
    t.learn_dense(x, y, w, Some(rng));
}

impl Slot {
    fn new(p: &AdaptiveRandomForestRegressorParams, rng: PyRandom) -> Self {
        Slot {
            tree: new_tree(p, 0),
            background: None,
            drift: adwin(p.drift_delta),
            warning: adwin(p.warning_delta),
            seen: 0.0,
            mse: 0.0,
            norm: Var::default(),
            rng,
            n_warnings: 0,
            n_drifts: 0,
            k: 0,
        }
    }

    fn predict(&self, x: &[f64]) -> f64 {
        if self.tree.nodes.is_empty() {
            0.0
        } else {
            self.tree.predict_dense(x)
        }
    }

    /// The detectors' input for error `e = y - prediction`: the error scaled by the running
    /// deviation of the errors, `(e + 3 sd) / (6 sd)` (0.5 at the first error or without
    /// spread), as River's.
    fn drift_input(&mut self, e: f64) -> f64 {
        self.norm.update(e, 1.0);
        if self.norm.n == 1.0 {
            return 0.5;
        }
        let sd = self.norm.get().sqrt();
        if sd > 0.0 {
            (e + 3.0 * sd) / (6.0 * sd)
        } else {
            0.5
        }
    }

    /// The prequential step of this tree on a checked dense row (River's ARF step).
    fn learn(&mut self, p: &AdaptiveRandomForestRegressorParams, x: &[f64], y: f64, w: f64) {
        let pred = self.predict(x);
        let e = y - pred;
        self.seen += 1.0;
        self.mse += (1.0 / self.seen) * (e * e - self.mse);
        let k = self.rng.poisson(p.lambda_value);
        if k == 0 {
            return;
        }
        let kw = k as f64 * w;
        if let Some(bg) = &mut self.background {
            learn_tree(bg, x, y, kw, &mut self.rng);
        }
        learn_tree(&mut self.tree, x, y, kw, &mut self.rng);
        if !e.is_finite() {
            // A diverged leaf model on raw features: nothing for the detectors.
            return;
        }
        let d = self.drift_input(e);
        if !d.is_finite() {
            return;
        }
        if let Some(warning) = &mut self.warning {
            warning.update(d).expect("a finite input");
            if warning.drift_detected() {
                self.background = Some(new_tree(p, self.k));
                *warning = adwin(p.warning_delta).expect("a warning detector");
                self.n_warnings = self.n_warnings.saturating_add(1);
            }
        }
        if let Some(drift) = &mut self.drift {
            drift.update(d).expect("a finite input");
            if drift.drift_detected() {
                match self.background.take() {
                    Some(bg) if self.warning.is_some() => {
                        self.tree = bg;
                        self.warning = adwin(p.warning_delta);
                    }
                    _ => self.tree = new_tree(p, self.k),
                }
                *drift = adwin(p.drift_delta).expect("a drift detector");
                self.seen = 0.0;
                self.mse = 0.0;
                self.n_drifts = self.n_drifts.saturating_add(1);
            }
        }
    }
}

/// The adaptive random forest regressor (Gomes et al., 2018), River's `ARFRegressor` rule
/// by rule, with one departure for parallel learning and one correction.
///
/// Each of `n_models` [Hoeffding tree regressors](HoeffdingTreeRegressor) learns every row
/// with a weight drawn from Poisson(`lambda_value`) (skipping the row on 0), and each of its
/// leaves watches `max_features` features drawn at the leaf's first row (its linear model
/// takes them all). Before learning a row, a tree's prediction of it updates its mean
/// squared error and, when the row is learned, its two ADWIN detectors, fed the error scaled
/// by the running deviation of the tree's errors, `(e + 3 sd) / (6 sd)` (a statistic never
/// reset, as River's): a warning starts a background tree that learns alongside, and a drift
/// replaces the tree by the background one (or by a fresh tree), with fresh detectors and
/// error. The forest predicts the median of its trees' predictions (`aggregation_method`),
/// or their mean, weighted with `disable_weighted_vote=false`.
///
/// **Departure.** River draws every tree's weights and subspaces from one generator, in tree
/// order; here each tree has its own (seeded from the forest's seed), so that trees can
/// learn a mini-batch in parallel (`learn_many`, `fit`) with results that do not depend on
/// the number of threads, and equal to learning the rows one at a time. The draws being
/// others than River's, results agree with River's in distribution, not row by row; River
/// also draws subspaces from its features sorted by name, here by position. Sample weights
/// multiply the Poisson weights (River's forest takes none).
///
/// **Correction.** The weighted mean gives tree `i` the weight `S - mse_i` normalised to sum
/// to 1 (`S` the sum of the trees' errors), and is the sum of the weighted predictions.
/// River divides that sum once more by the number of trees (its weighted predictions go
/// through a mean), which shrinks every prediction towards 0; that is not copied. With a
/// single tree, or trees whose errors are all 0, the weights are those of the plain mean.
///
/// The trees' leaves are the Hoeffding tree regressor's, `leaf_scaling` included (the
/// default scales each leaf model's features; River's raw leaf models diverge on features of
/// large scale). Errors that are not finite (a diverged leaf model) are not fed to the
/// detectors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdaptiveRandomForestRegressor {
    params: AdaptiveRandomForestRegressorParams,
    dim: Option<usize>,
    slots: Vec<Slot>,
}

impl AdaptiveRandomForestRegressor {
    /// The hyper-parameters.
    pub fn params(&self) -> &AdaptiveRandomForestRegressorParams {
        &self.params
    }

    /// Warnings raised so far, over every tree (each one started a background tree).
    pub fn n_warnings(&self) -> usize {
        self.slots.iter().map(|s| s.n_warnings).sum()
    }

    /// Drifts detected so far, over every tree (each one replaced a tree).
    pub fn n_drifts(&self) -> usize {
        self.slots.iter().map(|s| s.n_drifts).sum()
    }

    /// The trees, in order.
    pub fn trees(&self) -> impl Iterator<Item = &HoeffdingTreeRegressor> {
        self.slots.iter().map(|s| &s.tree)
    }

    /// Sets the width and each tree's subspace size at the first row.
    fn start(&mut self, d: usize) {
        if self.dim.is_none() {
            self.dim = Some(d);
            let k = self.params.max_features.resolve_river(d);
            for s in &mut self.slots {
                s.k = k;
                s.tree.subspace = Some(k);
            }
        }
    }

    /// The prediction for `x` (dense, checked).
    fn predict_dense(&self, x: &[f64]) -> f64 {
        let n = self.slots.len();
        with_buf(n, |y| {
            for (v, s) in y.iter_mut().zip(&self.slots) {
                *v = s.predict(x);
            }
            match self.params.aggregation_method {
                Aggregation::Median => median(y),
                Aggregation::Mean if self.params.disable_weighted_vote => mean(y),
                Aggregation::Mean => {
                    let total: f64 = self.slots.iter().map(|s| s.mse).sum();
                    let norm: f64 = self.slots.iter().map(|s| total - s.mse).sum();
                    if total != 0.0 && norm > 0.0 && norm.is_finite() {
                        y.iter()
                            .zip(&self.slots)
                            .map(|(v, s)| v * ((total - s.mse) / norm))
                            .sum()
                    } else {
                        mean(y)
                    }
                }
            }
        })
    }
}

/// The mean of `y` (summed in order).
fn mean(y: &[f64]) -> f64 {
    y.iter().sum::<f64>() / y.len() as f64
}

/// The median of `y` (the mean of the two middle values for an even count, as numpy's),
/// sorting `y` in place.
fn median(y: &mut [f64]) -> f64 {
    y.sort_unstable_by(f64::total_cmp);
    let n = y.len();
    if n % 2 == 1 {
        y[n / 2]
    } else {
        (y[n / 2 - 1] + y[n / 2]) / 2.0
    }
}

impl AdaptiveRandomForestRegressor {
    /// The forest as text with features named from `names`: a line per tree (the rows it
    /// was scored on, whether a background tree grows beside it), then the tree indented.
    pub fn to_text_with(&self, names: &[String]) -> String {
        let trees = self.slots.iter().map(|slot| {
            let bg = if slot.background.is_some() {
                ", a background tree growing"
            } else {
                ""
            };
            let what = format!(
                "mean squared error {:.4} over {} rows{bg}",
                slot.mse, slot.seen
            );
            (what, slot.tree.to_text_with(names))
        });
        growth::forest_text(self.slots.len(), trees)
    }
}

impl CheckState for AdaptiveRandomForestRegressor {
    /// Parameters in range (`max_features` too); one slot per model (the aggregation reads
    /// them all), each consistent with the forest (see `Slot::check`).
    fn check_state(&self) -> StateResult {
        crate::check_params(&self.params)?;
        within("params.max_features", self.params.max_features.check())?;
        same_len("slots", self.slots.len(), self.params.n_models)?;
        for (i, s) in self.slots.iter().enumerate() {
            within(format_args!("slot {i}"), s.check(&self.params, self.dim))?;
        }
        Ok(())
    }
}

impl std::fmt::Display for AdaptiveRandomForestRegressor {
    /// The forest as text, features named `x<j>` (see [`Self::to_text_with`]).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_text_with(&[]))
    }
}

impl Regressor for AdaptiveRandomForestRegressor {
    fn n_features(&self) -> Option<usize> {
        self.dim
    }

    /// The foreground trees (background trees left out); `dot` has a graph per tree.
    fn structure(&self, feature_names: &[String]) -> Option<Structure> {
        let trees = self.trees().map(|t| t.structure_with(feature_names));
        Some(growth::forest_structure(
            trees.collect(),
            self.to_text_with(feature_names),
        ))
    }

    /// Taken before the first row unless the trees' `nominal_attributes` is set.
    fn set_nominal_features(&mut self, nominal: &[usize]) {
        if self.dim.is_none()
            && self.params.tree.nominal_attributes.is_none()
            && !nominal.is_empty()
        {
            self.params.tree.nominal_attributes = Some(nominal.to_vec());
            for s in &mut self.slots {
                s.tree.set_nominal_features(nominal);
            }
        }
    }

    fn learn_one(&mut self, x: Row<'_>, y: f64, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        let w = check_weight(weight)?;
        HoeffdingTreeRegressor::check_target(y)?;
        if w == 0.0 {
            return Ok(());
        }
        self.start(x.dim());
        let p = &self.params;
        with_dense(x, |x| {
            for s in &mut self.slots {
                s.learn(p, x, y, w);
            }
        });
        Ok(())
    }

    /// The trees learn the batch in parallel, each its rows in order: the forest the row
    /// loop grows, whatever the number of threads.
    fn learn_many(&mut self, x: Batch<'_>, y: &[f64], weights: Option<&[f64]>) -> Result<()> {
        // Before the first row the width is the batch's first row's, for every row.
        let d = match (self.dim, x.n_rows()) {
            (Some(d), _) => Some(d),
            (None, 0) => None,
            (None, _) => Some(x.row(0)?.dim()),
        };
        check_batch(x, y.len(), weights, |r| r.check(d))?;
        for (i, &yi) in y.iter().enumerate() {
            HoeffdingTreeRegressor::check_target(yi).map_err(|e| e.in_row(i))?;
        }
        if y.is_empty() {
            return Ok(());
        }
        self.start(x.row(0)?.dim());
        let p = &self.params;
        let rows: Vec<Row<'_>> = (0..y.len()).map(|i| x.row(i)).collect::<Result<_>>()?;
        self.slots.par_iter_mut().for_each(|s| {
            for (i, &yi) in y.iter().enumerate() {
                let w = weights.map_or(1.0, |w| w[i]);
                if w > 0.0 {
                    with_dense(rows[i], |xs| s.learn(p, xs, yi, w));
                }
            }
        });
        Ok(())
    }

    fn predict_one(&self, x: Row<'_>) -> Result<f64> {
        self.check_row(x)?;
        if self.dim.is_none() {
            return Ok(0.0);
        }
        Ok(with_dense(x, |x| self.predict_dense(x)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{VALUE_NOMINAL, refused, value_rows};

    fn learned() -> AdaptiveRandomForestRegressor {
        let mut p = AdaptiveRandomForestRegressorParams::default()
            .n_models(3)
            .seed(Some(13));
        p.tree.grace_period = 50;
        p.tree.delta = 0.01;
        let mut m = p.build().unwrap();
        m.set_nominal_features(&VALUE_NOMINAL);
        for (i, (x, y)) in value_rows(3000).iter().enumerate() {
            m.learn_one(Row::Dense(x), *y, None).unwrap();
            if i % 300 == 0 {
                m.check_state()
                    .unwrap_or_else(|e| panic!("after row {i}: {e}"));
            }
        }
        m.check_state().unwrap();
        assert!(m.trees().any(|t| t.n_nodes() > 1), "the trees should grow");
        m
    }

    #[test]
    fn a_learned_forest_passes_and_corrupted_ones_are_refused_naming_the_part() {
        let m = learned();
        // No slot at all: the median of no tree would index an empty buffer.
        let mut bad = m.clone();
        bad.slots.clear();
        refused(bad.check_state(), "slots: 0 values where the model needs 3");
        // A tree of another width than the forest's.
        let mut bad = m.clone();
        bad.dim = Some(4);
        refused(
            bad.check_state(),
            "slot 0: tree: Some(10) features, the forest Some(4)",
        );
        // A drift detector where the parameters ask for none.
        let mut bad = m.clone();
        bad.params.drift_delta = None;
        refused(bad.check_state(), "slot 0: drift detector: one where");
        // A detector whose window total overflowed.
        let mut bad = m.clone();
        let mut a = adwin(Some(0.5)).unwrap();
        a.update(f64::MAX).unwrap();
        a.update(f64::MAX).unwrap();
        bad.slots[1].drift = Some(a);
        refused(bad.check_state(), "slot 1: drift detector: total: inf");
        // The errors' statistics not numbers.
        let mut bad = m.clone();
        bad.slots[2].norm.mean = f64::NAN;
        refused(bad.check_state(), "slot 2: norm: mean");
    }
}
