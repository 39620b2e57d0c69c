//! The clustering metrics against scikit-learn 1.9.1's `adjusted_rand_score` and
//! `silhouette_score` (`fixtures/metrics/make_ari.py` wrote `fixtures/metrics/ari.json`,
//! `make_silhouette.py` wrote `silhouette.json`) and by hand.

use ndarray::Array2;
use tidewater_core::metrics::{ClusteringMetrics, adjusted_rand_index, silhouette_score};
use tidewater_core::{Batch, CsrMatrix, Label, Row};

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
        m.update(Row::Dense(&[d]), p, d, Some(&Label::from(t)));
    }
    // The row without a cluster adds no inertia and stands in a cluster of its own.
    assert_eq!(m.inertia(), 3.5);
    let none = usize::MAX;
    let want = adjusted_rand_index(&["a", "a", "b", "b"], &[none, 0, 1, 1]).unwrap();
    assert_eq!(m.ari(), Some(want));
    let mut unlabelled = ClusteringMetrics::new();
    unlabelled.update(Row::Dense(&[1.0]), Some(0), 4.0, None);
    assert_eq!(unlabelled.ari(), None);
    assert_eq!(unlabelled.values()[0], ("inertia", Some(4.0)));
}

struct Case {
    name: String,
    x: Array2<f64>,
    labels: Vec<usize>,
    sklearn: f64,
    exact: f64,
}

fn silhouette_cases() -> Vec<Case> {
    let text = include_str!("fixtures/metrics/silhouette.json");
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(v["sklearn"], "1.9.1");
    v["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let rows: Vec<Vec<f64>> = serde_json::from_value(c["X"].clone()).unwrap();
            let (n, d) = (rows.len(), rows[0].len());
            Case {
                name: c["name"].as_str().unwrap().to_owned(),
                x: Array2::from_shape_vec((n, d), rows.concat()).unwrap(),
                labels: serde_json::from_value(c["labels"].clone()).unwrap(),
                sklearn: c["silhouette"].as_f64().unwrap(),
                exact: c["silhouette_exact"].as_f64().unwrap(),
            }
        })
        .collect()
}

/// The formula is scikit-learn's: on its own exact distances (`metric="precomputed"` with
/// the differences) the scores agree to 1e-12 (they differ by the order of the sums), and
/// scikit-learn's default Euclidean distances (from `|x|^2 - 2 x.y + |y|^2`) move its
/// figure by less than 1e-12 on these sets too. Iris labelled by scikit-learn's KMeans
/// (k = 3 and 5) and by species, a cluster of one row, and rows on one point.
#[test]
fn silhouette_matches_scikit_learn() {
    let cases = silhouette_cases();
    assert_eq!(cases.len(), 5);
    for c in &cases {
        let got = silhouette_score(Batch::Dense(c.x.view()), &c.labels).unwrap();
        assert!(
            (got - c.exact).abs() <= 1e-12,
            "{}: {got} against {}",
            c.name,
            c.exact
        );
        assert!(
            (got - c.sklearn).abs() <= 1e-12,
            "{}: {got} against {}",
            c.name,
            c.sklearn
        );
    }
    // A row alone in its cluster scores 0: by hand, rows 0..3 score 9/11, 7/9, 7/9, 9/11.
    let single = &cases[3];
    let want = (2.0 * 9.0 / 11.0 + 2.0 * 7.0 / 9.0) / 5.0;
    let got = silhouette_score(Batch::Dense(single.x.view()), &single.labels).unwrap();
    assert!((got - want).abs() < 1e-15, "{got} against {want}");
}

#[test]
fn silhouette_is_undefined_for_one_cluster_or_one_row_per_cluster() {
    let x = Array2::from_shape_vec((3, 1), vec![0.0, 1.0, 2.0]).unwrap();
    assert_eq!(silhouette_score(Batch::Dense(x.view()), &[4, 4, 4]), None);
    assert_eq!(silhouette_score(Batch::Dense(x.view()), &[0, 1, 2]), None);
    assert_eq!(silhouette_score(Batch::Dense(x.view()), &[0, 1]), None);
    // The cluster numbers are names: any numbering gives the same score.
    let a = silhouette_score(Batch::Dense(x.view()), &[0, 0, 1]).unwrap();
    let b = silhouette_score(Batch::Dense(x.view()), &[9, 9, 2]).unwrap();
    assert_eq!(a, b);
    // By hand: rows 0 and 1 have a = 1 and b = 2, 1: s = 1/2, 0; row 2 is alone: 0.
    assert!((a - 0.5 / 3.0).abs() < 1e-15, "{a}");
}

#[test]
fn silhouette_of_sparse_rows_is_that_of_their_dense_form() {
    let c = &silhouette_cases()[0];
    let x = c.x.mapv(|v| if v < 1.5 { 0.0 } else { v });
    let mut csr = CsrMatrix::new(x.ncols());
    for r in x.rows() {
        let (idx, val): (Vec<u32>, Vec<f64>) = r
            .iter()
            .enumerate()
            .filter(|(_, v)| **v != 0.0)
            .map(|(j, v)| (j as u32, *v))
            .unzip();
        csr.push_row(&idx, &val).unwrap();
    }
    let dense = silhouette_score(Batch::Dense(x.view()), &c.labels).unwrap();
    let sparse = silhouette_score(Batch::Sparse(&csr), &c.labels).unwrap();
    assert!((dense - sparse).abs() < 1e-14, "{dense} against {sparse}");
    // Mixed: a sample holding both kinds measures across them.
    let mut m = ClusteringMetrics::new();
    for i in 0..x.nrows() {
        let r = if i % 2 == 0 {
            Row::Dense(x.row(i).to_slice().unwrap())
        } else {
            Batch::Sparse(&csr).row(i).unwrap()
        };
        m.update(r, Some(c.labels[i]), 0.0, None);
    }
    let mixed = m.silhouette().unwrap();
    assert!((dense - mixed).abs() < 1e-14, "{dense} against {mixed}");
}

/// With no more rows than the sample holds, the streaming silhouette is the whole set's;
/// with more, it is the score of a sample of that many rows, the same for the same seed.
#[test]
fn the_streaming_silhouette_scores_a_seeded_sample_of_the_rows() {
    let c = &silhouette_cases()[0];
    let n = c.x.nrows();
    let mut all = ClusteringMetrics::new();
    for i in 0..n {
        all.update(
            Row::Dense(c.x.row(i).to_slice().unwrap()),
            Some(c.labels[i]),
            0.0,
            None,
        );
    }
    // A row without a cluster is not in the sample.
    all.update(Row::Dense(&[100.0; 4]), None, 0.0, None);
    assert_eq!(all.silhouette_rows(), n);
    assert!((all.silhouette().unwrap() - c.exact).abs() <= 1e-12);
    let values = all.values();
    assert_eq!(values[2].0, "silhouette");
    assert_eq!(values[2].1, all.silhouette());
    let run = |rows: usize, seed: u64| {
        let mut m = ClusteringMetrics::with_silhouette_sample(rows, seed);
        for i in 0..n {
            m.update(
                Row::Dense(c.x.row(i).to_slice().unwrap()),
                Some(c.labels[i]),
                0.0,
                None,
            );
        }
        m
    };
    let (a, b, other) = (run(40, 3), run(40, 3), run(40, 4));
    assert_eq!(a.silhouette_rows(), 40);
    assert_eq!(a.silhouette(), b.silhouette());
    assert_ne!(a.silhouette(), other.silhouette());
    // A sample of 40 rows of a well-clustered set scores near the whole set's.
    assert!(
        (a.silhouette().unwrap() - c.exact).abs() < 0.1,
        "{:?}",
        a.silhouette()
    );
    assert_eq!(run(0, 0).silhouette(), None);
}
