//! A pipeline ending in a clusterer (`standard_scaler|kmeans`): the stages learn as for any
//! pipeline (the scaler learns the row, then the clusterer learns it scaled), predictions and
//! distances are those of the scaled row, a refused row changes nothing, the batch path fits
//! the scaler then the clusterer on the scaled data, and a saved pipeline keeps learning
//! identically. Also through the registry's spec, and its saved-model tag.

use tidewater::cluster::{KMeans, KMeansParams};
use tidewater::persist;
use tidewater::prelude::*;
use tidewater::preprocessing::{StandardScaler, StandardScalerParams};
use tidewater::registry::{self, AnyClusterer, AnyModel, AnyTransformer, Role};
use tidewater::{FeatureMatrix, Schema};

fn row(i: usize) -> [f64; 3] {
    let t = i as f64;
    let c = (i % 3) as f64 * 4.0;
    [
        c + (t * 0.7).sin(),
        10.0 * c + (t * 1.1).cos(),
        (t * 0.3).sin() * 0.1,
    ]
}

fn scaler() -> StandardScaler {
    StandardScalerParams::default().build().unwrap()
}

fn kmeans() -> KMeans {
    KMeansParams::default().n_clusters(3).build().unwrap()
}

#[test]
fn a_scaler_then_kmeans_learns_and_predicts_as_the_stages_by_hand() {
    let mut p = Pipeline::new(vec![scaler()], kmeans());
    let (mut s, mut k) = (scaler(), kmeans());
    let mut scaled = [0.0; 3];
    for i in 0..60 {
        let x = row(i);
        p.learn_one(Row::Dense(&x), None).unwrap();
        s.learn_one(Row::Dense(&x), None).unwrap();
        s.transform_one(Row::Dense(&x), &mut scaled).unwrap();
        k.learn_one(Row::Dense(&scaled), None).unwrap();
    }
    assert_eq!(p.model(), &k);
    assert_eq!(p.n_clusters(), 3);
    assert_eq!(p.n_features(), Some(3));
    let (mut d1, mut d2) = ([0.0; 3], [0.0; 3]);
    for i in 60..90 {
        let x = row(i);
        s.transform_one(Row::Dense(&x), &mut scaled).unwrap();
        assert_eq!(
            p.predict_one(Row::Dense(&x)).unwrap(),
            k.predict_one(Row::Dense(&scaled)).unwrap()
        );
        p.distances_into(Row::Dense(&x), &mut d1).unwrap();
        k.distances_into(Row::Dense(&scaled), &mut d2).unwrap();
        assert_eq!(d1, d2);
    }
    // Refused rows and a wrong buffer leave it as it was.
    let before = persist::to_bytes("p", &p).unwrap();
    assert!(
        p.learn_one(Row::Dense(&[1.0, f64::NAN, 0.0]), None)
            .is_err()
    );
    assert!(p.learn_one(Row::Dense(&[1.0, 2.0]), None).is_err());
    assert!(p.learn_one(Row::Dense(&row(1)), Some(-1.0)).is_err());
    assert!(
        p.distances_into(Row::Dense(&row(1)), &mut [0.0; 2])
            .is_err()
    );
    assert!(
        p.predict_one(Row::Dense(&[f64::INFINITY, 0.0, 0.0]))
            .is_err()
    );
    assert_eq!(persist::to_bytes("p", &p).unwrap(), before);
}

#[test]
fn an_empty_pipeline_predicts_nothing_and_a_saved_one_keeps_learning_identically() {
    let p = Pipeline::new(vec![scaler()], kmeans());
    assert_eq!(p.predict_one(Row::Dense(&row(0))).unwrap(), None);
    assert_eq!(p.n_clusters(), 0);
    p.distances_into(Row::Dense(&row(0)), &mut []).unwrap();
    let mut p = p;
    for i in 0..40 {
        p.learn_one(Row::Dense(&row(i)), None).unwrap();
    }
    let bytes = persist::to_bytes("p", &p).unwrap();
    let (_, mut back): (_, Pipeline<StandardScaler, KMeans>) =
        persist::from_bytes(&bytes, "p").unwrap();
    for i in 40..80 {
        p.learn_one(Row::Dense(&row(i)), None).unwrap();
        back.learn_one(Row::Dense(&row(i)), None).unwrap();
    }
    assert_eq!(back, p);
}

#[test]
fn the_batch_path_fits_the_scaler_then_kmeans_on_the_scaled_rows() {
    let n = 90;
    let flat: Vec<f64> = (0..n).flat_map(row).collect();
    let x = ndarray::Array2::from_shape_vec((n, 3), flat).unwrap();
    let names = (0..3).map(|j| format!("f{j}")).collect();
    let data = Dataset::new(
        FeatureMatrix::Dense(x.clone()),
        vec![],
        Schema::numeric(names, vec![]),
    )
    .unwrap();
    let spec = "standard_scaler|kmeans(n_clusters=3,seed=2)";
    let AnyModel::Clusterer(p) = registry::fit(spec, &data).unwrap() else {
        panic!("a clusterer pipeline")
    };
    let s = StandardScalerParams::default().fit(&data).unwrap();
    let scaled = tidewater::core::pipeline::transform_dataset(&s, &data).unwrap();
    let k = KMeansParams::default()
        .n_clusters(3)
        .seed(2)
        .fit(&scaled)
        .unwrap();
    assert_eq!(p.steps(), &[AnyTransformer::from(s)]);
    assert_eq!(p.model(), &AnyClusterer::from(k));
    // The three groups of rows are the three clusters.
    let labels: Vec<usize> = (0..n)
        .map(|i| p.predict_one(Row::Dense(&row(i))).unwrap().unwrap())
        .collect();
    for i in 3..n {
        assert_eq!(labels[i], labels[i % 3], "row {i}");
    }
    // The catalogue knows every clusterer by role, and their saved tags are their own.
    for name in ["kmeans", "minibatch_kmeans", "clustream", "dbstream"] {
        assert_eq!(registry::entry(name).unwrap().role, Role::Clusterer);
    }
    assert_eq!(
        AnyClusterer::TAGS,
        &[
            ("KMeans", 0),
            ("MiniBatchKMeans", 1),
            ("CluStream", 2),
            ("DBStream", 3)
        ][..]
    );
}

#[test]
fn the_clustering_evaluator_scores_each_row_before_learning_it() {
    use tidewater::core::eval::ClusteringEvaluator;
    use tidewater::metrics::{ClusteringMetrics, adjusted_rand_index, silhouette_score};
    let mut a = Pipeline::new(vec![scaler()], kmeans());
    let mut b = a.clone();
    let mut ev = ClusteringEvaluator::new();
    let mut by_hand = ClusteringMetrics::new();
    let (mut preds, mut truths) = (Vec::new(), Vec::new());
    let (mut clustered, mut clustered_labels) = (Vec::new(), Vec::new());
    let mut d = [0.0; 3];
    for i in 0..90 {
        let x = row(i);
        let truth = Label::Num((i % 3) as f64);
        ev.step(&mut a, Row::Dense(&x), Some(&truth), None).unwrap();
        let p = b.predict_one(Row::Dense(&x)).unwrap();
        let sq = match p {
            Some(c) => {
                b.distances_into(Row::Dense(&x), &mut d).unwrap();
                d[c] * d[c]
            }
            None => 0.0,
        };
        b.learn_one(Row::Dense(&x), None).unwrap();
        by_hand.update(Row::Dense(&x), p, sq, Some(&truth));
        if let Some(c) = p {
            clustered.extend_from_slice(&x);
            clustered_labels.push(c);
        }
        preds.push(p.unwrap_or(usize::MAX));
        truths.push(i % 3);
    }
    // A refused row is neither scored nor learned.
    let before = a.clone();
    assert!(
        ev.step(&mut a, Row::Dense(&[f64::NAN, 0.0, 0.0]), None, None)
            .is_err()
    );
    ev.skip();
    assert_eq!(a, before);
    assert_eq!(a, b);
    let r = ev.report(1.0);
    assert_eq!((r.rows, r.skipped), (90, 1));
    assert_eq!(r.metric("inertia"), Some(by_hand.inertia()));
    assert_eq!(r.metric("ari"), by_hand.ari());
    assert_eq!(r.metric("ari"), adjusted_rand_index(&truths, &preds));
    // The silhouette: of every row given a cluster (fewer than the sample holds), in the
    // features as given (before the scaler), with the cluster predicted for it.
    let n = clustered_labels.len();
    assert_eq!(n, 87, "k-means' first three rows have no cluster");
    let x = ndarray::Array2::from_shape_vec((n, 3), clustered).unwrap();
    let want = silhouette_score(Batch::Dense(x.view()), &clustered_labels);
    assert!(want.is_some());
    assert_eq!(r.metric("silhouette"), want);
    assert_eq!(r.metric("silhouette"), by_hand.silhouette());
    // The scaler's state moves under k-means' first centers, so the score is modest; it is
    // what the two loops agree on that matters here.
    let ari = r.metric("ari").unwrap();
    assert!((-1.0..=1.0).contains(&ari), "{r:?}");
}
