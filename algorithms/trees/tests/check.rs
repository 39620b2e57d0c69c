//! Every model of the crate, learned or fitted, passes its state check after a checkpoint
//! round trip (postcard, as the library saves models), predicts as before, and still passes
//! after learning more: the check refuses no model that learning makes.

use serde::{Serialize, de::DeserializeOwned};
use tidewater_core::check::CheckState;
use tidewater_core::{Build, Classifier, Fit, Label, Regressor, Row, persist};
use tidewater_datasets::synth::{self, Generator};
use tidewater_trees::*;

/// Agrawal's stream (3 nominal features), its labels swapped half way.
fn class_rows(n: usize) -> Vec<(Vec<f64>, Label)> {
    let mut g = synth::from_spec("agrawal(classification_function=2,seed=21)").unwrap();
    let mut x = vec![0.0; g.n_features()];
    (0..n)
        .map(|i| {
            let s = g.next_into(&mut x).unwrap();
            let y = if i < n / 2 { s.target } else { 1.0 - s.target };
            (x.clone(), Label::Num(y))
        })
        .collect()
}

/// Friedman's stream, its target flipped half way.
fn value_rows(n: usize) -> Vec<(Vec<f64>, f64)> {
    let mut g = synth::from_spec("friedman(seed=22)").unwrap();
    let mut x = vec![0.0; g.n_features()];
    (0..n)
        .map(|i| {
            let s = g.next_into(&mut x).unwrap();
            let y = if i < n / 2 { s.target } else { 30.0 - s.target };
            (x.clone(), y)
        })
        .collect()
}

/// The model through a checkpoint's bytes, checked.
fn round_trip<T: Serialize + DeserializeOwned + CheckState>(name: &str, m: &T) -> T {
    m.check_state()
        .unwrap_or_else(|e| panic!("{name} before saving: {e}"));
    let bytes = persist::to_bytes(name, m).unwrap();
    let (_, back): (_, T) = persist::from_bytes(&bytes, name).unwrap();
    back.check_state()
        .unwrap_or_else(|e| panic!("{name} after loading: {e}"));
    back
}

fn classifier<M>(name: &str, mut m: M)
where
    M: Classifier + Serialize + DeserializeOwned + CheckState,
{
    let rows = class_rows(3000);
    m.set_nominal_features(&[3, 4, 5]);
    for (x, y) in &rows[..2000] {
        m.learn_one(Row::Dense(x), y, None).unwrap();
    }
    let mut back = round_trip(name, &m);
    for (x, _) in &rows[2000..2100] {
        assert_eq!(
            m.predict_one(Row::Dense(x)).unwrap(),
            back.predict_one(Row::Dense(x)).unwrap(),
            "{name}"
        );
    }
    for (x, y) in &rows[2000..] {
        back.learn_one(Row::Dense(x), y, None).unwrap();
    }
    back.check_state()
        .unwrap_or_else(|e| panic!("{name} after learning more: {e}"));
    back.structure(&[]).unwrap();
}

fn regressor<M>(name: &str, mut m: M)
where
    M: Regressor + Serialize + DeserializeOwned + CheckState,
{
    let rows = value_rows(3000);
    for (x, y) in &rows[..2000] {
        m.learn_one(Row::Dense(x), *y, None).unwrap();
    }
    let mut back = round_trip(name, &m);
    for (x, _) in &rows[2000..2100] {
        assert_eq!(
            m.predict_one(Row::Dense(x)).unwrap().to_bits(),
            back.predict_one(Row::Dense(x)).unwrap().to_bits(),
            "{name}"
        );
    }
    for (x, y) in &rows[2000..] {
        back.learn_one(Row::Dense(x), *y, None).unwrap();
    }
    back.check_state()
        .unwrap_or_else(|e| panic!("{name} after learning more: {e}"));
    back.structure(&[]).unwrap();
}

#[test]
fn online_classifiers_pass_their_check_after_a_round_trip() {
    let ht = HoeffdingTreeClassifierParams::default()
        .grace_period(50)
        .delta(0.01);
    classifier("hoeffding_tree", ht.build().unwrap());
    let mut hat = HoeffdingAdaptiveTreeClassifierParams::default().seed(Some(1));
    hat.tree = ht.clone();
    classifier("hoeffding_adaptive_tree", hat.build().unwrap());
    // Numeric features only (see the EFDT's unit test).
    let efdt = ExtremelyFastDecisionTreeClassifierParams {
        tree: ht.clone().nominal_attributes(Some(Vec::new())),
        ..Default::default()
    };
    classifier("efdt", efdt.build().unwrap());
    let arf = AdaptiveRandomForestClassifierParams::default()
        .n_models(3)
        .seed(Some(2));
    classifier("adaptive_random_forest", arf.build().unwrap());
}

#[test]
fn online_regressors_pass_their_check_after_a_round_trip() {
    let htr = HoeffdingTreeRegressorParams::default()
        .grace_period(50)
        .delta(0.01);
    regressor("hoeffding_tree_regressor", htr.build().unwrap());
    let mut hatr = HoeffdingAdaptiveTreeRegressorParams::default().seed(Some(3));
    hatr.tree = htr.clone();
    regressor("hoeffding_adaptive_tree_regressor", hatr.build().unwrap());
    let arfr = AdaptiveRandomForestRegressorParams::default()
        .n_models(3)
        .seed(Some(4));
    regressor("adaptive_random_forest_regressor", arfr.build().unwrap());
}

#[test]
fn batch_trees_pass_their_check_after_a_round_trip() {
    let mut g = synth::from_spec("sea(seed=5)").unwrap();
    let classes = synth::take_dataset(&mut *g, 500).unwrap();
    let mut g = synth::from_spec("friedman(seed=6)").unwrap();
    let values = synth::take_dataset(&mut *g, 500).unwrap();
    let dt = DecisionTreeClassifierParams::default()
        .fit(&classes)
        .unwrap();
    round_trip("decision_tree", &dt);
    let rf = RandomForestClassifierParams::default()
        .n_estimators(5)
        .fit(&classes)
        .unwrap();
    round_trip("random_forest", &rf);
    let dtr = DecisionTreeRegressorParams::default().fit(&values).unwrap();
    round_trip("decision_tree_regressor", &dtr);
    let rfr = RandomForestRegressorParams::default()
        .n_estimators(5)
        .fit(&values)
        .unwrap();
    round_trip("random_forest_regressor", &rfr);
}
