//! Clustering: the k-means reference fixtures through the library, k-means++ against
//! scikit-learn's inertia, CluStream and DBSTREAM against River 0.26.1 row for row, and the
//! laws (thread count and chunking, the documented mini-batch update, refused rows, round
//! trip mid-stream, for the stream clusterers too) as property tests.

use ndarray::{Array2, s};
use proptest::prelude::*;
use tidewater::cluster::{
    KMeans, KMeansAlgorithm, KMeansInit, KMeansParams, MiniBatchKMeans, MiniBatchKMeansParams,
};
use tidewater::prelude::*;
use tidewater::{FeatureMatrix, Schema, kernels};

mod common;
use common::{array, fixture, floats, matrix};

fn dataset(x: &Array2<f64>, w: Option<&[f64]>) -> Dataset {
    let d = x.ncols();
    let schema = Schema::numeric((0..d).map(|j| format!("f{j}")).collect(), vec![]);
    let ds = Dataset::new(FeatureMatrix::Dense(x.clone()), vec![], schema).unwrap();
    match w {
        Some(w) => ds.with_weights(w.to_vec()).unwrap(),
        None => ds,
    }
}

fn row(x: &Array2<f64>, i: usize) -> Row<'_> {
    Row::Dense(x.row(i).to_slice().unwrap())
}

/// `|got - want| <= tol * max(1, |want|)`, the fixtures' rule.
fn within(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol * want.abs().max(1.0),
        "{what}: got {got}, want {want} (tolerance {tol})"
    );
}

#[test]
fn kmeans_matches_the_iris_fixture_from_its_initial_centers() {
    let f = fixture("batch/kmeans_iris.json");
    let tol = f["tolerance"].as_f64().unwrap();
    let x = array(&f["X"]);
    // Lloyd until the labels stop changing: no tolerance on the center shift.
    let params = KMeansParams::default()
        .initial_centers(matrix(&f["init"]))
        .tol(0.0);
    let m = params.fit(&dataset(&x, None)).unwrap();
    let want = matrix(&f["centers"]);
    assert_eq!(m.cluster_centers().nrows(), want.len());
    for (c, center) in want.iter().enumerate() {
        for (j, &v) in center.iter().enumerate() {
            within(
                m.cluster_centers()[[c, j]],
                v,
                tol,
                &format!("center {c}, feature {j}"),
            );
        }
    }
    let labels: Vec<usize> = floats(&f["labels"]).iter().map(|&l| l as usize).collect();
    assert_eq!(m.labels(), &labels[..]);
    within(
        m.inertia().unwrap(),
        f["inertia"].as_f64().unwrap(),
        tol,
        "inertia",
    );
    // The predictions of the fitted model are the fixture's labels too.
    let predicted: Vec<usize> = m
        .predict_many(Batch::Dense(x.view()))
        .unwrap()
        .into_iter()
        .map(Option::unwrap)
        .collect();
    assert_eq!(predicted, labels);
    // The same start through `init = first_rows` (the fixture's initial centers are its
    // first three rows).
    let first = KMeansParams::default()
        .n_clusters(3)
        .init(KMeansInit::FirstRows)
        .tol(0.0)
        .fit(&dataset(&x, None))
        .unwrap();
    assert_eq!(first.labels(), m.labels());
    assert_eq!(first.inertia(), m.inertia());
    // Elkan's algorithm: the same iterations, so the same result.
    let elkan = params
        .algorithm(KMeansAlgorithm::Elkan)
        .fit(&dataset(&x, None))
        .unwrap();
    assert_eq!(elkan.labels(), m.labels());
    assert_eq!(elkan.cluster_centers(), m.cluster_centers());
    assert_eq!(elkan.n_iter(), m.n_iter());
}

/// A data set of the shipped ones, standardised (population standard deviation).
fn standardised(name: &str) -> Array2<f64> {
    let ds = tidewater::datasets::load(name).unwrap();
    let FeatureMatrix::Dense(mut x) = ds.features else {
        panic!("{name} is dense")
    };
    for mut col in x.columns_mut() {
        let n = col.len() as f64;
        let mean = col.sum() / n;
        let sd = (col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt();
        col.mapv_inplace(|v| (v - mean) / sd);
    }
    x
}

#[test]
fn kmeans_plusplus_inertia_is_within_half_a_percent_of_scikit_learn() {
    let f = fixture("batch/kmeans_plusplus.json");
    let tol = f["tolerance"].as_f64().unwrap();
    for (name, want) in f["datasets"].as_object().unwrap() {
        let x = standardised(name);
        let k = want["n_clusters"].as_u64().unwrap() as usize;
        let reference = want["inertia_seed0"].as_f64().unwrap();
        let mut sum = 0.0;
        for seed in 0..5 {
            let m = KMeansParams::default()
                .n_clusters(k)
                .n_init(10)
                .seed(seed)
                .fit(&dataset(&x, None))
                .unwrap();
            let got = m.inertia().unwrap();
            println!("{name} seed {seed}: inertia {got} (scikit-learn {reference})");
            assert!(
                got <= reference * (1.0 + tol),
                "{name}, seed {seed}: inertia {got} above scikit-learn's {reference} by more than {tol}"
            );
            sum += got;
        }
        let mean = sum / 5.0;
        assert!(mean <= want["inertia_mean"].as_f64().unwrap() * (1.0 + tol));
    }
}

#[test]
fn kmeans_random_init_and_its_default_runs() {
    let x = standardised("iris");
    let p = KMeansParams::default()
        .n_clusters(3)
        .init(KMeansInit::Random);
    assert_eq!(p.runs(), 10);
    assert_eq!(KMeansParams::default().runs(), 1);
    let m = p.fit(&dataset(&x, None)).unwrap();
    // Ten random starts find scikit-learn's best iris clustering or the one next to it.
    assert!(m.inertia().unwrap() < 140.1, "{:?}", m.inertia());
}

#[test]
fn kmeans_params_from_a_spec() {
    use tidewater::spec::{Params, parse_spec};
    let p = KMeansParams::from_spec(
        &parse_spec("kmeans(n_clusters=3,init=k-means++,n_init=4,tol=0,seed=7)").unwrap(),
    )
    .unwrap();
    assert_eq!(
        (p.n_clusters, p.init, p.n_init, p.tol, p.seed),
        (3, KMeansInit::KMeansPlusPlus, Some(4), 0.0, 7)
    );
    let p = MiniBatchKMeansParams::from_spec(
        &parse_spec("minibatch_kmeans(n_clusters=2,init=first_rows,batch_size=8,halflife=0.5)")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        (p.n_clusters, p.init, p.batch_size, p.halflife),
        (2, KMeansInit::FirstRows, 8, Some(0.5))
    );
    let err = MiniBatchKMeansParams::from_spec(
        &parse_spec("minibatch_kmeans(n_clusters=9,batch_size=8)").unwrap(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("batch_size"), "{err}");
    let err = KMeansParams::from_spec(&parse_spec("kmeans(init=kmeans)").unwrap())
        .unwrap_err()
        .to_string();
    assert!(err.contains("init") && err.contains("k-means++"), "{err}");
}

#[test]
fn kmeans_refuses_bad_data_naming_what_is_wrong() {
    let x = Array2::from_shape_vec((3, 2), vec![0.0, 1.0, 2.0, f64::NAN, 4.0, 5.0]).unwrap();
    let err = KMeansParams::default()
        .n_clusters(2)
        .fit(&dataset(&x, None))
        .unwrap_err()
        .to_string();
    assert!(err.contains("row 1") && err.contains("feature 1"), "{err}");
    let x = Array2::from_shape_vec((3, 1), vec![0.0, 1.0, 2.0]).unwrap();
    let err = KMeansParams::default()
        .fit(&dataset(&x, None))
        .unwrap_err()
        .to_string();
    assert!(err.contains("n_clusters"), "{err}");
    let err = KMeansParams::default()
        .n_clusters(2)
        .fit(&dataset(&x, Some(&[1.0, -1.0, 1.0])))
        .unwrap_err()
        .to_string();
    assert!(err.contains("row 1") && err.contains("weight"), "{err}");
    let err = KMeansParams::default()
        .initial_centers(vec![vec![0.0, 1.0]])
        .fit(&dataset(&x, None))
        .unwrap_err()
        .to_string();
    assert!(err.contains("init") && err.contains("features"), "{err}");
    let empty = Array2::<f64>::zeros((0, 2));
    assert!(KMeansParams::default().fit(&dataset(&empty, None)).is_err());
}

#[test]
fn a_fitted_kmeans_keeps_learning_by_sequential_kmeans() {
    let x = standardised("iris");
    let mut m = KMeansParams::default()
        .n_clusters(3)
        .fit(&dataset(&x, None))
        .unwrap();
    let counts: f64 = m.counts().iter().sum();
    assert_eq!(counts, 150.0);
    let before = m.cluster_centers().to_owned();
    let r = [0.5, 0.5, 0.5, 0.5];
    let c = m.predict_one(Row::Dense(&r)).unwrap().unwrap();
    let n = m.counts()[c];
    m.learn_one(Row::Dense(&r), Some(2.0)).unwrap();
    let rate = 2.0 / (n + 2.0);
    for j in 0..4 {
        let want = before[[c, j]] + rate * (r[j] - before[[c, j]]);
        assert_eq!(m.cluster_centers()[[c, j]], want);
    }
    let mut dist = [0.0; 3];
    m.distances_into(Row::Dense(&r), &mut dist).unwrap();
    for (k, d) in dist.iter().enumerate() {
        let want = kernels::squared_distance(&r, m.cluster_centers().row(k).to_slice().unwrap());
        assert_eq!(*d, want.sqrt());
    }
    assert!(m.distances_into(Row::Dense(&r), &mut [0.0; 2]).is_err());
}

#[test]
fn a_built_kmeans_takes_its_first_rows_as_centers() {
    let mut m = KMeansParams::default().n_clusters(2).build().unwrap();
    assert_eq!(m.n_clusters(), 0);
    assert_eq!(m.predict_one(Row::Dense(&[0.0])).unwrap(), None);
    m.learn_one(Row::Dense(&[0.0]), None).unwrap();
    m.learn_one(Row::Dense(&[0.0]), Some(0.0)).unwrap();
    assert_eq!(m.n_clusters(), 0);
    m.learn_one(Row::Dense(&[10.0]), None).unwrap();
    assert_eq!(m.n_clusters(), 2);
    m.learn_one(Row::Dense(&[2.0]), None).unwrap();
    assert_eq!(m.cluster_centers().column(0).to_vec(), vec![1.0, 10.0]);
    let boxed: Box<dyn Clusterer> = Box::new(m);
    assert_eq!(boxed.predict_one(Row::Dense(&[7.0])).unwrap(), Some(1));
}

#[test]
fn a_short_stream_leaves_minibatch_kmeans_without_centers_until_flushed() {
    let mut m = MiniBatchKMeansParams::default()
        .n_clusters(2)
        .build()
        .unwrap();
    m.learn_one(Row::Dense(&[1.0, 1.0]), None).unwrap();
    assert_eq!(m.predict_one(Row::Dense(&[1.0, 1.0])).unwrap(), None);
    let err = m.flush().unwrap_err().to_string();
    assert!(err.contains("n_clusters"), "{err}");
    m.learn_one(Row::Dense(&[3.0, 3.0]), None).unwrap();
    m.flush().unwrap();
    assert_eq!(m.n_clusters(), 2);
    assert_eq!(m.n_pending(), 0);
    let mut c = rows_of(m.cluster_centers());
    c.sort_by(|a, b| a[0].total_cmp(&b[0]));
    assert_eq!(c, vec![vec![1.0, 1.0], vec![3.0, 3.0]]);
}

#[test]
fn minibatch_kmeans_finds_separated_blobs() {
    // Four blobs far apart, 4000 rows in a fixed shuffled order.
    let centers = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]];
    let n = 4000;
    let mut x = Array2::zeros((n, 2));
    let mut truth = Vec::with_capacity(n);
    let mut state = 12345u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for i in 0..n {
        let b = (next() * 4.0) as usize;
        truth.push(b);
        x[[i, 0]] = centers[b][0] + next() - 0.5;
        x[[i, 1]] = centers[b][1] + next() - 0.5;
    }
    let mut m = MiniBatchKMeansParams::default()
        .n_clusters(4)
        .batch_size(256)
        .build()
        .unwrap();
    m.learn_many(Batch::Dense(x.view()), None).unwrap();
    // Every blob is one cluster: the mapping from blob to cluster is one to one.
    let mut map = [None; 4];
    for i in 0..n {
        let c = m.predict_one(row(&x, i)).unwrap().unwrap();
        match map[truth[i]] {
            None => map[truth[i]] = Some(c),
            Some(k) => assert_eq!(k, c, "row {i}"),
        }
    }
    let mut seen: Vec<usize> = map.iter().map(|c| c.unwrap()).collect();
    seen.sort();
    assert_eq!(seen, vec![0, 1, 2, 3]);
}

// ---------------------------------------------------------------------------------------
// Laws.
// ---------------------------------------------------------------------------------------

/// `n` rows of `d` features drawn around a few points, and maybe weights.
#[derive(Clone, Debug)]
struct Blobs {
    x: Array2<f64>,
    w: Option<Vec<f64>>,
}

fn blobs(min_rows: usize) -> impl Strategy<Value = Blobs> {
    (1usize..5, min_rows..120).prop_flat_map(|(d, n)| {
        (
            prop::collection::vec(-50.0f64..50.0, 4 * d),
            prop::collection::vec((0usize..4, -1.0f64..1.0), n * d),
            prop::option::of(prop::collection::vec(0.1f64..5.0, n)),
        )
            .prop_map(move |(points, noise, w)| {
                let mut x = Array2::zeros((n, d));
                for i in 0..n {
                    let p = noise[i * d].0;
                    for j in 0..d {
                        x[[i, j]] = points[p * d + j] + noise[i * d + j].1;
                    }
                }
                Blobs { x, w }
            })
    })
}

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(f)
}

/// Cuts `0..n` at the given fractions.
fn cuts(n: usize, fractions: &[f64]) -> Vec<usize> {
    let mut c: Vec<usize> = fractions.iter().map(|f| (f * n as f64) as usize).collect();
    c.push(0);
    c.push(n);
    c.sort();
    c.dedup();
    c
}

/// The documented sequential update of [`MiniBatchKMeans`] with `init = first_rows`,
/// written plainly: buffers of `batch_size` rows; the first batch's first `k` rows as the
/// centers; each step assigns every row under the centers before it and moves each center
/// by its count (or by `halflife`).
fn reference_minibatch(
    x: &Array2<f64>,
    w: Option<&[f64]>,
    k: usize,
    batch_size: usize,
    halflife: Option<f64>,
) -> (Vec<Vec<f64>>, Vec<f64>) {
    let d = x.ncols();
    let mut centers: Vec<Vec<f64>> = Vec::new();
    let mut counts = vec![0.0; k];
    let n_full = x.nrows() / batch_size * batch_size;
    for start in (0..n_full).step_by(batch_size) {
        if centers.is_empty() {
            centers = (0..k).map(|i| x.row(start + i).to_vec()).collect();
        }
        let mut sums = vec![vec![0.0; d]; k];
        let mut weight = vec![0.0; k];
        for i in start..start + batch_size {
            let r = x.row(i).to_vec();
            let wi = w.map_or(1.0, |w| w[i]);
            let mut best = (0, f64::INFINITY);
            for (c, center) in centers.iter().enumerate() {
                let s = kernels::squared_distance(&r, center);
                if s < best.1 {
                    best = (c, s);
                }
            }
            kernels::axpy(wi, &r, &mut sums[best.0]);
            weight[best.0] += wi;
        }
        for c in 0..k {
            if weight[c] <= 0.0 {
                continue;
            }
            let n = counts[c];
            for j in 0..d {
                centers[c][j] = match halflife {
                    None => (n * centers[c][j] + sums[c][j]) * (1.0 / (n + weight[c])),
                    Some(h) => centers[c][j] + h * (sums[c][j] * (1.0 / weight[c]) - centers[c][j]),
                };
            }
            counts[c] = n + weight[c];
        }
    }
    (centers, counts)
}

/// The rows of a matrix of points (centers) as vectors.
fn rows_of(points: ndarray::ArrayView2<'_, f64>) -> Vec<Vec<f64>> {
    points.rows().into_iter().map(|r| r.to_vec()).collect()
}

fn centers_of(m: &MiniBatchKMeans) -> Vec<Vec<f64>> {
    rows_of(m.cluster_centers())
}

fn bytes<T: serde::Serialize>(m: &T) -> Vec<u8> {
    postcard::to_stdvec(m).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Lloyd's result (centers, labels, inertia, iterations) is the same bit for bit in pools
    /// of 1 and 2 threads and whatever the rows per parallel task.
    #[test]
    fn kmeans_does_not_depend_on_threads_or_row_tasks(
        b in blobs(6),
        k in 1usize..5,
        seed in 0u64..1000,
        init in prop::sample::select(vec![KMeansInit::KMeansPlusPlus, KMeansInit::Random, KMeansInit::FirstRows]),
        pass_rows in 1usize..50,
    ) {
        let ds = dataset(&b.x, b.w.as_deref());
        let p = KMeansParams::default().n_clusters(k).init(init).seed(seed).n_init(2);
        let one = in_pool(1, || p.fit(&ds).unwrap());
        let two = in_pool(2, || p.fit(&ds).unwrap());
        let chunked = in_pool(2, || KMeansParams { pass_rows, ..p.clone() }.fit(&ds).unwrap());
        prop_assert_eq!(bytes(&one), bytes(&two));
        prop_assert_eq!(one.cluster_centers(), chunked.cluster_centers());
        prop_assert_eq!(one.labels(), chunked.labels());
        prop_assert_eq!(one.inertia(), chunked.inertia());
        prop_assert_eq!(one.n_iter(), chunked.n_iter());
        // Every label is its row's nearest center (Lloyd stopped on stable labels or
        // relabelled), unless a center was relocated on the last iteration.
        let inertia: f64 = (0..b.x.nrows())
            .map(|i| {
                let l = one.labels()[i];
                b.w.as_ref().map_or(1.0, |w| w[i])
                    * kernels::squared_distance(
                        b.x.row(i).to_slice().unwrap(),
                        one.cluster_centers().row(l).to_slice().unwrap(),
                    )
            })
            .sum();
        let got = one.inertia().unwrap();
        prop_assert!((inertia - got).abs() <= 1e-9 * got.abs() + 1e-12);
    }

    /// Elkan's algorithm runs Lloyd's iterations: the same labels, centers, inertia and
    /// iterations, bit for bit, in any pool.
    #[test]
    fn elkan_gives_lloyds_result(
        b in blobs(6),
        k in 1usize..6,
        seed in 0u64..1000,
        threads in 1usize..3,
        pass_rows in 1usize..50,
    ) {
        let ds = dataset(&b.x, b.w.as_deref());
        let p = KMeansParams::default().n_clusters(k).seed(seed).tol(0.0);
        let lloyd = p.fit(&ds).unwrap();
        let elkan = in_pool(threads, || {
            KMeansParams { pass_rows, ..p.clone().algorithm(KMeansAlgorithm::Elkan) }
                .fit(&ds)
                .unwrap()
        });
        prop_assert_eq!(lloyd.labels(), elkan.labels());
        prop_assert_eq!(lloyd.cluster_centers(), elkan.cluster_centers());
        prop_assert_eq!(lloyd.inertia(), elkan.inertia());
        prop_assert_eq!(lloyd.n_iter(), elkan.n_iter());
    }

    /// `learn_many` over any chunking, the row loop and the documented sequential update
    /// give the same centers and counts, bit for bit.
    #[test]
    fn minibatch_learn_many_over_any_chunking_is_the_documented_update(
        b in blobs(4),
        k in 1usize..4,
        extra in 0usize..12,
        halflife in prop::option::of(0.05f64..1.0),
        fractions in prop::collection::vec(0.0f64..1.0, 0..5),
    ) {
        let n = b.x.nrows();
        let batch_size = k + extra;
        let p = MiniBatchKMeansParams::default()
            .n_clusters(k)
            .init(KMeansInit::FirstRows)
            .batch_size(batch_size)
            .halflife(halflife);
        let w = b.w.as_deref();
        let mut rows = p.build().unwrap();
        for i in 0..n {
            rows.learn_one(row(&b.x, i), w.map(|w| w[i])).unwrap();
        }
        let mut chunks = p.build().unwrap();
        let c = cuts(n, &fractions);
        for pair in c.windows(2) {
            let part = b.x.slice(s![pair[0]..pair[1], ..]);
            chunks
                .learn_many(Batch::Dense(part), w.map(|w| &w[pair[0]..pair[1]]))
                .unwrap();
        }
        prop_assert_eq!(bytes(&rows), bytes(&chunks));
        let (want, counts) = reference_minibatch(&b.x, w, k, batch_size, halflife);
        prop_assert_eq!(centers_of(&rows), want);
        if rows.n_clusters() > 0 {
            prop_assert_eq!(rows.counts(), &counts[..]);
        }
        prop_assert_eq!(rows.n_pending(), n % batch_size);
    }

    /// With k-means++ on the first batch, the chunking still does not matter.
    #[test]
    fn minibatch_with_kmeans_plusplus_does_not_depend_on_chunking(
        b in blobs(4),
        k in 1usize..4,
        seed in 0u64..100,
        fractions in prop::collection::vec(0.0f64..1.0, 0..5),
    ) {
        let n = b.x.nrows();
        let p = MiniBatchKMeansParams::default().n_clusters(k).batch_size(k + 3).seed(seed);
        let mut rows = p.build().unwrap();
        for i in 0..n {
            rows.learn_one(row(&b.x, i), b.w.as_ref().map(|w| w[i])).unwrap();
        }
        let mut chunks = p.build().unwrap();
        for pair in cuts(n, &fractions).windows(2) {
            let part = b.x.slice(s![pair[0]..pair[1], ..]);
            chunks
                .learn_many(Batch::Dense(part), b.w.as_ref().map(|w| &w[pair[0]..pair[1]]))
                .unwrap();
        }
        prop_assert_eq!(bytes(&rows), bytes(&chunks));
    }

    /// A row with a NaN or an infinity, of the wrong width, or with a bad weight is refused
    /// and leaves the model bit-identical, alone or inside a batch.
    #[test]
    fn refused_rows_change_nothing(b in blobs(8), at in 0usize..8, bad in prop::sample::select(vec![f64::NAN, f64::INFINITY])) {
        let d = b.x.ncols();
        let fitted = KMeansParams::default().n_clusters(2).fit(&dataset(&b.x, None)).unwrap();
        let mut mini = MiniBatchKMeansParams::default().n_clusters(2).batch_size(3).build().unwrap();
        mini.learn_many(Batch::Dense(b.x.view()), None).unwrap();
        let mut bad_x = b.x.clone();
        bad_x[[at, d - 1]] = bad;
        let mut models: Vec<Box<dyn Clusterer>> = vec![Box::new(fitted.clone()), Box::new(mini.clone())];
        for m in &mut models {
            let err = m.learn_one(row(&bad_x, at), None).unwrap_err().to_string();
            prop_assert!(err.contains(&format!("feature {}", d - 1)), "{}", err);
            let err = m.learn_many(Batch::Dense(bad_x.view()), None).unwrap_err().to_string();
            prop_assert!(err.contains(&format!("row {at}")), "{}", err);
            let wide = vec![0.0; d + 1];
            prop_assert!(m.learn_one(Row::Dense(&wide), None).is_err());
            prop_assert!(m.learn_one(row(&b.x, 0), Some(f64::NAN)).is_err());
        }
        // The refusals above went through trait objects; the state is checked on copies.
        let mut f2 = fitted.clone();
        let mut m2 = mini.clone();
        prop_assert!(f2.learn_many(Batch::Dense(bad_x.view()), None).is_err());
        prop_assert!(m2.learn_many(Batch::Dense(bad_x.view()), None).is_err());
        prop_assert!(f2.learn_one(row(&bad_x, at), None).is_err());
        prop_assert!(m2.learn_one(row(&bad_x, at), None).is_err());
        prop_assert_eq!(bytes(&f2), bytes(&fitted));
        prop_assert_eq!(bytes(&m2), bytes(&mini));
    }

    /// A model saved and loaded mid-stream (mid-batch for the mini-batch model) predicts and
    /// keeps learning bit-identically.
    #[test]
    fn round_trip_mid_stream(b in blobs(10), cut in 0.0f64..1.0, seed in 0u64..50) {
        let n = b.x.nrows();
        let m = ((cut * n as f64) as usize).max(4);
        let head = b.x.slice(s![..m, ..]);
        let tail = b.x.slice(s![m.., ..]);
        let mut mini = MiniBatchKMeansParams::default().n_clusters(2).batch_size(3).seed(seed).build().unwrap();
        mini.learn_many(Batch::Dense(head), None).unwrap();
        let mut back: MiniBatchKMeans = postcard::from_bytes(&bytes(&mini)).unwrap();
        prop_assert_eq!(&back, &mini);
        let mut km = KMeansParams::default().n_clusters(2).seed(seed).fit(&dataset(&head.to_owned(), None)).unwrap();
        let mut km_back: KMeans = postcard::from_bytes(&bytes(&km)).unwrap();
        for i in 0..tail.nrows() {
            let r = Row::Dense(tail.row(i).to_slice().unwrap());
            prop_assert_eq!(back.predict_one(r).unwrap(), mini.predict_one(r).unwrap());
            prop_assert_eq!(km_back.predict_one(r).unwrap(), km.predict_one(r).unwrap());
            mini.learn_one(r, None).unwrap();
            back.learn_one(r, None).unwrap();
            km.learn_one(r, None).unwrap();
            km_back.learn_one(r, None).unwrap();
        }
        prop_assert_eq!(bytes(&back), bytes(&mini));
        prop_assert_eq!(bytes(&km_back), bytes(&km));
    }
}

#[test]
fn sparse_rows_cluster_as_their_dense_form() {
    let x = standardised("iris").mapv(|v| if v.abs() < 0.5 { 0.0 } else { v });
    let mut csr = tidewater::CsrMatrix::new(x.ncols());
    for r in x.rows() {
        let (idx, val): (Vec<u32>, Vec<f64>) = r
            .iter()
            .enumerate()
            .filter(|(_, v)| **v != 0.0)
            .map(|(j, v)| (j as u32, *v))
            .unzip();
        csr.push_row(&idx, &val).unwrap();
    }
    let schema = Schema::numeric((0..4).map(|j| format!("f{j}")).collect(), vec![]);
    let sparse = Dataset::new(FeatureMatrix::Sparse(csr.clone()), vec![], schema).unwrap();
    for algorithm in [KMeansAlgorithm::Lloyd, KMeansAlgorithm::Elkan] {
        let p = KMeansParams::default()
            .n_clusters(3)
            .seed(3)
            .algorithm(algorithm);
        let dense = p.fit(&dataset(&x, None)).unwrap();
        let from_sparse = p.fit(&sparse).unwrap();
        assert_eq!(dense.labels(), from_sparse.labels());
        within(
            from_sparse.inertia().unwrap(),
            dense.inertia().unwrap(),
            1e-12,
            "inertia",
        );
        for (a, b) in dense
            .cluster_centers()
            .iter()
            .zip(from_sparse.cluster_centers())
        {
            within(*b, *a, 1e-12, "center");
        }
    }
    // Mini-batch k-means buffers sparse rows as they are, and `fit` ends with the rows
    // still buffered.
    let p = MiniBatchKMeansParams::default()
        .n_clusters(3)
        .batch_size(64)
        .init(KMeansInit::FirstRows);
    let dense = p.fit(&dataset(&x, None)).unwrap();
    let from_sparse = p.fit(&sparse).unwrap();
    assert_eq!(dense.n_pending(), 0);
    assert_eq!(dense.n_steps(), 3);
    for (a, b) in dense
        .cluster_centers()
        .iter()
        .zip(from_sparse.cluster_centers())
    {
        within(*b, *a, 1e-12, "mini-batch center");
    }
    assert_eq!(
        dense.predict_many(Batch::Dense(x.view())).unwrap(),
        from_sparse.predict_many(Batch::Sparse(&csr)).unwrap()
    );
}

#[test]
fn rows_without_features_are_refused() {
    let x = Array2::<f64>::zeros((5, 0));
    let err = KMeansParams::default()
        .n_clusters(2)
        .fit(&dataset(&x, None))
        .unwrap_err()
        .to_string();
    assert!(err.contains("no features"), "{err}");
    let mut m = MiniBatchKMeansParams::default().build().unwrap();
    assert!(m.learn_one(Row::Dense(&[]), None).is_err());
    assert_eq!(m.n_features(), None);
}

// ---------------------------------------------------------------------------------------
// The stream clusterers against River 0.26.1 (`reference/stream_cluster.py`).
// ---------------------------------------------------------------------------------------

/// The rows of `reference/stream_cluster.csv` (two features) and the blob of each.
fn stream_rows() -> (Array2<f64>, Vec<usize>) {
    let path = common::fixtures_dir().join("reference/stream_cluster.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut values = Vec::new();
    let mut blobs = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        values.push(f[0].parse::<f64>().unwrap());
        values.push(f[1].parse::<f64>().unwrap());
        blobs.push(f[2].parse::<usize>().unwrap());
    }
    let n = blobs.len();
    (Array2::from_shape_vec((n, 2), values).unwrap(), blobs)
}

/// Every row predicted (before it is learned), then learned.
fn prequential(m: &mut dyn Clusterer, x: &Array2<f64>) -> Vec<Option<usize>> {
    (0..x.nrows())
        .map(|i| {
            let p = m.predict_one(row(x, i)).unwrap();
            m.learn_one(row(x, i), None).unwrap();
            p
        })
        .collect()
}

/// DBSTREAM is deterministic and performs River's arithmetic in River's order, so the
/// tolerance is none: every prediction of the 2000 rows (the macro cluster River's
/// `predict_one` gives before the row is learned; River says 0 where there is no macro
/// cluster yet, only before the first row here), the final micro-clusters (ids, centers,
/// weights) and macro clusters are River's, bit for bit. Two cases: River's defaults, and
/// wider micro-clusters with faster fading, rarer clean-ups and a minimum weight of 2 (so
/// noise micro-clusters start no macro cluster). The rows drift at row 1000, so fading and
/// clean-up remove micro-clusters on the way.
#[test]
fn dbstream_reproduces_river_row_for_row() {
    use tidewater::cluster::DBStreamParams;
    let f = fixture("stream_cluster.json");
    assert_eq!(f["river"], "0.26.1");
    let (x, _) = stream_rows();
    for name in ["dbstream_defaults", "dbstream_wide"] {
        let case = &f["cases"][name];
        let p = &case["params"];
        let mut params = DBStreamParams::default();
        if let Some(v) = p["clustering_threshold"].as_f64() {
            params = params.clustering_threshold(v);
        }
        if let Some(v) = p["fading_factor"].as_f64() {
            params = params.fading_factor(v);
        }
        if let Some(v) = p["cleanup_interval"].as_f64() {
            params = params.cleanup_interval(v);
        }
        if let Some(v) = p["intersection_factor"].as_f64() {
            params = params.intersection_factor(v);
        }
        if let Some(v) = p["minimum_weight"].as_f64() {
            params = params.minimum_weight(v);
        }
        let mut m = params.build().unwrap();
        let got = prequential(&mut m, &x);
        let want: Vec<usize> = floats(&case["predictions"])
            .iter()
            .map(|&v| v as usize)
            .collect();
        assert_eq!(got[0], None, "{name}: no cluster before the first row");
        let got: Vec<usize> = got.iter().map(|p| p.unwrap_or(0)).collect();
        assert_eq!(got.len(), want.len());
        let first_diff = got.iter().zip(&want).position(|(a, b)| a != b);
        assert_eq!(first_diff, None, "{name}: first differing row");
        assert_eq!(
            m.n_micro_clusters() as u64,
            case["n_micro_clusters"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(
            m.n_clusters() as u64,
            case["n_macro_clusters"].as_u64().unwrap(),
            "{name}"
        );
        let ids: Vec<u64> = floats(&case["micro_ids"])
            .iter()
            .map(|&v| v as u64)
            .collect();
        assert_eq!(m.micro_cluster_ids(), &ids[..], "{name}");
        assert_eq!(
            m.micro_cluster_weights(),
            &floats(&case["micro_weights"])[..],
            "{name}"
        );
        let centers = rows_of(m.micro_cluster_centers());
        assert_eq!(centers, matrix(&case["micro_centers"]), "{name}");
        let macros = rows_of(m.cluster_centers());
        assert_eq!(macros, matrix(&case["macro_centers"]), "{name}");
        println!(
            "{name}: {} predictions, {} micro-clusters, {} macro clusters, as River's",
            got.len(),
            m.n_micro_clusters(),
            m.n_clusters()
        );
    }
}

/// CluStream with `offline = incremental` and a seed makes River's draws (Python's Mersenne
/// Twister and Box-Muller, as River's `KMeans` takes them) and River's arithmetic in River's
/// order, so the tolerance is none here either: every prediction of the 2000 rows, the final
/// micro-clusters (centers, weights) and macro centers are River's, bit for bit. River's
/// `predict_one` says 0 before its first offline step; tidewater says `None`, and the
/// fixture records, row by row, whether River's k-means existed. Two cases: River's
/// defaults (seed 42: 100 micro-clusters, an offline step every 100 rows), and a small one
/// (30 micro-clusters, a time window of 200 rows so old micro-clusters are replaced after
/// the drift at row 1000, an offline step every 50 rows, other k-means parameters).
#[test]
fn clustream_reproduces_river_row_for_row() {
    use tidewater::cluster::CluStreamParams;
    let f = fixture("stream_cluster.json");
    let (x, _) = stream_rows();
    for name in ["clustream_seed_42", "clustream_small"] {
        let case = &f["cases"][name];
        let p = &case["params"];
        let mut params = CluStreamParams::default().seed(p["seed"].as_u64().unwrap());
        if let Some(v) = p["n_macro_clusters"].as_u64() {
            params = params.n_macro_clusters(v as usize);
        }
        if let Some(v) = p["max_micro_clusters"].as_u64() {
            params = params.max_micro_clusters(v as usize);
        }
        if let Some(v) = p["time_window"].as_u64() {
            params = params.time_window(v);
        }
        if let Some(v) = p["time_gap"].as_u64() {
            params = params.time_gap(v);
        }
        if let Some(v) = p["halflife"].as_f64() {
            params = params.halflife(v);
        }
        if let Some(v) = p["sigma"].as_f64() {
            params = params.sigma(v);
        }
        let mut m = params.build().unwrap();
        let got = prequential(&mut m, &x);
        let want: Vec<usize> = floats(&case["predictions"])
            .iter()
            .map(|&v| v as usize)
            .collect();
        let has_macro: Vec<bool> = case["macro"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_bool().unwrap())
            .collect();
        assert_eq!(got.len(), want.len());
        for (i, g) in got.iter().enumerate() {
            assert_eq!(g.is_some(), has_macro[i], "{name}, row {i}: macro clusters");
            assert_eq!(g.unwrap_or(0), want[i], "{name}, row {i}");
        }
        assert_eq!(
            m.n_micro_clusters() as u64,
            case["n_micro_clusters"].as_u64().unwrap()
        );
        assert_eq!(
            m.n_clusters() as u64,
            case["n_macro_clusters"].as_u64().unwrap()
        );
        assert_eq!(
            m.micro_cluster_weights(),
            &floats(&case["micro_weights"])[..],
            "{name}"
        );
        let centers = rows_of(m.micro_cluster_centers());
        assert_eq!(centers, matrix(&case["micro_centers"]), "{name}");
        let macros = rows_of(m.cluster_centers());
        assert_eq!(macros, matrix(&case["macro_centers"]), "{name}");
        let first = has_macro.iter().position(|&b| b).unwrap();
        println!(
            "{name}: {} predictions as River's (macro clusters from row {first}), {} micro-clusters",
            got.len(),
            m.n_micro_clusters()
        );
    }
}

/// The paper's offline step (`offline = lloyd`: weighted k-means over the micro-clusters,
/// each step after the first starting from the previous macro centers) keeps its cluster
/// numbers as the stream goes, so the prequential ARI on the drifting blobs is high; River's
/// step (one pass of incremental k-means from Gaussian centers) scores lower on the same
/// rows, which is why `lloyd` is offered beside River's default.
#[test]
fn clustream_lloyd_offline_step_follows_the_blobs_better_than_river_s() {
    use tidewater::cluster::{CluStreamOffline, CluStreamParams};
    use tidewater::metrics::adjusted_rand_index;
    let (x, blobs) = stream_rows();
    let ari = |offline| {
        let mut m = CluStreamParams::default()
            .n_macro_clusters(4)
            .seed(1)
            .offline(offline)
            .build()
            .unwrap();
        let preds: Vec<usize> = prequential(&mut m, &x)
            .into_iter()
            .map(|p| p.unwrap_or(usize::MAX))
            .collect();
        adjusted_rand_index(&blobs, &preds).unwrap()
    };
    let (river, lloyd) = (
        ari(CluStreamOffline::Incremental),
        ari(CluStreamOffline::Lloyd),
    );
    println!("prequential ARI: incremental (River's) {river:.3}, lloyd {lloyd:.3}");
    assert!(lloyd > 0.75, "{lloyd}");
    assert!(lloyd > river + 0.1, "{lloyd} against {river}");
}

// ---------------------------------------------------------------------------------------
// Laws of the stream clusterers.
// ---------------------------------------------------------------------------------------

fn clustream_params() -> impl Strategy<Value = tidewater::cluster::CluStreamParams> {
    use tidewater::cluster::{CluStreamOffline, CluStreamParams};
    (
        1usize..4,
        4usize..12,
        1u64..15,
        3u64..60,
        0.5f64..3.0,
        prop::sample::select(vec![CluStreamOffline::Incremental, CluStreamOffline::Lloyd]),
        0u64..100,
    )
        .prop_map(|(k, m, gap, window, r, offline, seed)| {
            CluStreamParams::default()
                .n_macro_clusters(k)
                .max_micro_clusters(m)
                .time_gap(gap)
                .time_window(window)
                .micro_cluster_r_factor(r)
                .offline(offline)
                .seed(seed)
        })
}

fn dbstream_params() -> impl Strategy<Value = tidewater::cluster::DBStreamParams> {
    use tidewater::cluster::DBStreamParams;
    (
        0.5f64..5.0,
        0.001f64..0.5,
        prop::sample::select(vec![1.0, 2.0, 3.0, 4.5]),
        0.0f64..1.0,
        0.0f64..3.0,
    )
        .prop_map(|(r, fading, cleanup, alpha, minimum)| {
            DBStreamParams::default()
                .clustering_threshold(r)
                .fading_factor(fading)
                .cleanup_interval(cleanup)
                .intersection_factor(alpha)
                .minimum_weight(minimum)
        })
}

/// Every prediction (cluster, then distances) of every row of `x`.
fn predictions(m: &dyn Clusterer, x: &Array2<f64>) -> Vec<(Option<usize>, Vec<u64>)> {
    (0..x.nrows())
        .map(|i| {
            let mut d = vec![0.0; m.n_clusters()];
            m.distances_into(row(x, i), &mut d).unwrap();
            let bits = d.iter().map(|v| v.to_bits()).collect();
            (m.predict_one(row(x, i)).unwrap(), bits)
        })
        .collect()
}

/// Rows `0..cut` learned (one at least), then a row with a NaN or an infinity (alone, and inside a batch of
/// good rows), a row of the wrong width and a bad weight are refused, naming the feature or
/// row, and leave the model bit-identical (its bytes and its predictions).
fn refuses_bad_rows<M>(
    mut m: M,
    b: &Blobs,
    cut: usize,
    at: usize,
    bad: f64,
) -> Result<(), TestCaseError>
where
    M: Clusterer + serde::Serialize,
{
    let (n, d) = b.x.dim();
    let w = b.w.as_deref();
    // At least one row, so the model knows its width.
    for i in 0..cut.clamp(1, n) {
        m.learn_one(row(&b.x, i), w.map(|w| w[i])).unwrap();
    }
    let before = bytes(&m);
    let preds = predictions(&m, &b.x);
    let mut bad_x = b.x.clone();
    let at = at % n;
    bad_x[[at, d - 1]] = bad;
    let err = m.learn_one(row(&bad_x, at), None).unwrap_err().to_string();
    prop_assert!(err.contains(&format!("feature {}", d - 1)), "{}", err);
    let err = m
        .learn_many(Batch::Dense(bad_x.view()), w)
        .unwrap_err()
        .to_string();
    prop_assert!(err.contains(&format!("row {at}")), "{}", err);
    prop_assert!(m.predict_one(row(&bad_x, at)).is_err());
    prop_assert!(m.learn_one(Row::Dense(&vec![0.0; d + 1]), None).is_err());
    prop_assert!(m.learn_one(row(&b.x, 0), Some(f64::NAN)).is_err());
    prop_assert!(m.learn_one(row(&b.x, 0), Some(-1.0)).is_err());
    prop_assert_eq!(bytes(&m), before);
    prop_assert_eq!(predictions(&m, &b.x), preds);
    Ok(())
}

/// Saved and loaded after `cut` rows, the model equals the original, predicts as it does,
/// and, learning the remaining rows, stays equal to it row after row.
fn round_trips<M>(mut m: M, b: &Blobs, cut: usize) -> Result<(), TestCaseError>
where
    M: Clusterer + serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let n = b.x.nrows();
    let w = b.w.as_deref();
    let cut = cut.min(n);
    for i in 0..cut {
        m.learn_one(row(&b.x, i), w.map(|w| w[i])).unwrap();
    }
    let mut back: M = postcard::from_bytes(&bytes(&m)).unwrap();
    prop_assert_eq!(&back, &m);
    prop_assert_eq!(predictions(&back, &b.x), predictions(&m, &b.x));
    for i in cut..n {
        m.learn_one(row(&b.x, i), w.map(|w| w[i])).unwrap();
        back.learn_one(row(&b.x, i), w.map(|w| w[i])).unwrap();
        prop_assert_eq!(
            back.predict_one(row(&b.x, i)).unwrap(),
            m.predict_one(row(&b.x, i)).unwrap()
        );
    }
    prop_assert_eq!(bytes(&back), bytes(&m));
    prop_assert_eq!(predictions(&back, &b.x), predictions(&m, &b.x));
    Ok(())
}

/// `learn_many` over chunks cut at `fractions` of the rows is the row loop, bit for bit.
fn chunking_is_the_row_loop<M>(
    mut rows: M,
    mut chunks: M,
    b: &Blobs,
    fractions: &[f64],
) -> Result<(), TestCaseError>
where
    M: Clusterer + serde::Serialize,
{
    let n = b.x.nrows();
    let w = b.w.as_deref();
    for i in 0..n {
        rows.learn_one(row(&b.x, i), w.map(|w| w[i])).unwrap();
    }
    for pair in cuts(n, fractions).windows(2) {
        let part = b.x.slice(s![pair[0]..pair[1], ..]);
        chunks
            .learn_many(Batch::Dense(part), w.map(|w| &w[pair[0]..pair[1]]))
            .unwrap();
    }
    prop_assert_eq!(bytes(&chunks), bytes(&rows));
    prop_assert_eq!(predictions(&chunks, &b.x), predictions(&rows, &b.x));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// No poisoning: CluStream and DBSTREAM refuse a NaN or infinite row (alone or in a
    /// batch), a row of the wrong width and a bad weight, mid-stream, unchanged.
    #[test]
    fn stream_clusterers_refuse_bad_rows_unchanged(
        b in blobs(8),
        cut in 0usize..120,
        at in 0usize..120,
        bad in prop::sample::select(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY]),
        cp in clustream_params(),
        dp in dbstream_params(),
    ) {
        refuses_bad_rows(cp.build().unwrap(), &b, cut, at, bad)?;
        refuses_bad_rows(dp.build().unwrap(), &b, cut, at, bad)?;
    }

    /// Round trip: saved and loaded at any point of the stream, CluStream and DBSTREAM
    /// predict and keep learning identically.
    #[test]
    fn stream_clusterers_continue_identically_after_a_round_trip(
        b in blobs(4),
        cut in 0usize..120,
        cp in clustream_params(),
        dp in dbstream_params(),
    ) {
        round_trips(cp.build().unwrap(), &b, cut)?;
        round_trips(dp.build().unwrap(), &b, cut)?;
    }

    /// Chunking: `learn_many` over any split of the rows (with their weights) is
    /// `learn_one` row after row, bit for bit (DBSTREAM reclusters once per batch, which
    /// gives the same macro clusters).
    #[test]
    fn stream_clusterers_learn_many_over_any_chunking_is_the_row_loop(
        b in blobs(4),
        fractions in prop::collection::vec(0.0f64..1.0, 0..6),
        cp in clustream_params(),
        dp in dbstream_params(),
    ) {
        chunking_is_the_row_loop(cp.build().unwrap(), cp.build().unwrap(), &b, &fractions)?;
        chunking_is_the_row_loop(dp.build().unwrap(), dp.build().unwrap(), &b, &fractions)?;
    }
}
