//! The clustering metrics against scikit-learn 1.9.1's `adjusted_rand_score`
//! (`fixtures/metrics/make_ari.py` wrote `fixtures/metrics/ari.json`) and by hand.

use tidewater_core::Label;
use tidewater_core::metrics::{ClusteringMetrics, adjusted_rand_index};

#[test]
fn ari_matches_scikit_learn() {
    let text = include_str!("fixtures/metrics/ari.json");
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for c in cases {
        let t: Vec<i64> = serde_json::from_value(c["truth"].clone()).unwrap();
        let p: Vec<i64> = serde_json::from_value(c["pred"].clone()).unwrap();
        let want = c["ari"].as_f64().unwrap();
        let got = adjusted_rand_index(&t, &p).unwrap();
        assert!((got - want).abs() <= 1e-12, "{t:?} {p:?}: {got} vs {want}");
    }
}

#[test]
fn ari_by_hand() {
    // [0,0,1,1] vs [0,1,0,1]: of the 6 pairs, 2 together in each labeling, none in both;
    // expected index 2*2/6, maximum (2+2)/2: (0 - 2/3) / (2 - 2/3) = -0.5.
    assert_eq!(
        adjusted_rand_index(&[0, 0, 1, 1], &[0, 1, 0, 1]),
        Some(-0.5)
    );
    // Same partition under other names.
    assert_eq!(adjusted_rand_index(&["a", "a", "b"], &[7, 7, 3]), Some(1.0));
    assert_eq!(adjusted_rand_index::<i32, i32>(&[], &[]), None);
    assert_eq!(adjusted_rand_index(&[1, 2], &[1]), None);
}

#[test]
fn streaming_metrics_score_rows_as_given() {
    let mut m = ClusteringMetrics::new();
    let rows = [
        (None, 9.0, "a"),
        (Some(0), 1.0, "a"),
        (Some(1), 2.0, "b"),
        (Some(1), 0.5, "b"),
    ];
    for (p, d, t) in rows {
        m.update(p, d, Some(&Label::from(t)));
    }
    // The row without a cluster adds no inertia and stands in a cluster of its own.
    assert_eq!(m.inertia(), 3.5);
    let none = usize::MAX;
    let want = adjusted_rand_index(&["a", "a", "b", "b"], &[none, 0, 1, 1]).unwrap();
    assert_eq!(m.ari(), Some(want));
    let mut unlabelled = ClusteringMetrics::new();
    unlabelled.update(Some(0), 4.0, None);
    assert_eq!(unlabelled.ari(), None);
    assert_eq!(unlabelled.values()[0], ("inertia", Some(4.0)));
}
