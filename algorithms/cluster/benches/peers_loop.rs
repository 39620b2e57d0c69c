//! The side-by-side loops of the clustering benchmark (`shared/peers`, task T4) on
//! `blobs_1m.csv`: the data loaded in memory first (parsing excluded), then each loop timed
//! alone; quality from the final model on the last 100,000 rows (ARI against the generating
//! blob, inertia per point), as the peers measure it. Prints one JSON object per run.
//!
//! `PEERS_DATA=/work/peers/data cargo bench -p tidewater-cluster --bench peers_loop`
//! (`PEERS_REPEAT=3` best-of runs).

use std::path::PathBuf;
use std::time::Instant;

use tidewater_cluster::{KMeansInit, KMeansParams, MiniBatchKMeansParams};
use tidewater_core::io::{TargetSpec, load_csv};
use tidewater_core::metrics::adjusted_rand_index;
use tidewater_core::{Batch, Build, Clusterer, Dataset, FeatureMatrix, Fit, Label, Row};

/// The rows of a dense data set in memory (row-major) and its number of columns.
fn dense_values(data: &Dataset) -> (&[f64], usize) {
    let FeatureMatrix::Dense(x) = &data.features else {
        panic!("dense data expected")
    };
    (x.as_slice().expect("standard layout"), x.ncols())
}

/// ARI and inertia per point of the model's clusters on the last `tail` rows.
fn quality(
    model: &dyn Clusterer,
    values: &[f64],
    d: usize,
    y: &[Label],
    tail: usize,
) -> (f64, f64) {
    let n = y.len();
    let mut pred = Vec::with_capacity(tail);
    let mut inertia = 0.0;
    let mut dist = vec![0.0; model.n_clusters()];
    for row in values[(n - tail) * d..].chunks_exact(d) {
        let c = model.predict_one(Row::Dense(row)).unwrap().unwrap();
        model.distances_into(Row::Dense(row), &mut dist).unwrap();
        inertia += dist[c] * dist[c];
        pred.push(c);
    }
    let ari = adjusted_rand_index(&y[n - tail..], &pred).unwrap();
    (ari, inertia / tail as f64)
}

/// Best of `repeat` runs of `run` (which returns its timed seconds and the model).
fn best<M>(repeat: usize, mut run: impl FnMut() -> (f64, M)) -> (f64, M) {
    let mut best: Option<(f64, M)> = None;
    for _ in 0..repeat {
        let r = run();
        if best.as_ref().is_none_or(|b| r.0 < b.0) {
            best = Some(r);
        }
    }
    best.expect("at least one run")
}

fn print(name: &str, protocol: &str, rows: usize, secs: f64, extra: &str) {
    println!(
        "{{\"task\":\"T4\",\"data\":\"blobs_1m\",\"model\":\"{name}\",\"loop\":\"{protocol}\",\"rows\":{rows},\"seconds\":{secs:.4},\"rows_per_sec\":{:.0}{extra}}}",
        rows as f64 / secs
    );
}

fn main() {
    let dir = PathBuf::from(std::env::var("PEERS_DATA").unwrap_or("/work/peers/data".into()));
    let repeat: usize = std::env::var("PEERS_REPEAT")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let path = dir.join("blobs_1m.csv");
    let data = match load_csv(&path, TargetSpec::Last) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("skipping: cannot read {}: {e}", path.display());
            return;
        }
    };
    let y = data.target().unwrap().to_labels().unwrap();
    let (values, d) = dense_values(&data);
    let n = y.len();
    let tail = 100_000.min(n / 10);
    // scikit-learn's T4 configuration: 8 clusters, k-means++ on the first batch (n_init 3),
    // batches of 1024.
    let mb = MiniBatchKMeansParams::default().n_clusters(8).seed(42);

    // learn_many, one call per 1024 rows (scikit-learn's partial_fit per batch).
    let (secs, m) = best(repeat, || {
        let mut m = mb.build().unwrap();
        let start = Instant::now();
        for chunk in values.chunks(1024 * d) {
            let rows = chunk.len() / d;
            let x = ndarray::ArrayView2::from_shape((rows, d), chunk).unwrap();
            m.learn_many(Batch::Dense(x), None).unwrap();
        }
        (start.elapsed().as_secs_f64(), m)
    });
    let (ari, ipp) = quality(&m, values, d, &y, tail);
    print(
        "minibatch_kmeans",
        "learn_many_1024",
        n,
        secs,
        &format!(",\"ari_last\":{ari:.5},\"inertia_per_point\":{ipp:.4}"),
    );

    // learn_one, one call per row (River's protocol), for two buffer sizes.
    for batch in [1024, 8] {
        let p = mb.clone().batch_size(batch);
        let (secs, m) = best(repeat, || {
            let mut m = p.build().unwrap();
            let start = Instant::now();
            for row in values.chunks_exact(d) {
                m.learn_one(Row::Dense(row), None).unwrap();
            }
            (start.elapsed().as_secs_f64(), m)
        });
        let (ari, ipp) = quality(&m, values, d, &y, tail);
        print(
            &format!("minibatch_kmeans(batch_size={batch})"),
            "learn_one",
            n,
            secs,
            &format!(",\"ari_last\":{ari:.5},\"inertia_per_point\":{ipp:.4}"),
        );
    }

    // Batch Lloyd from the first 8 rows (the same initial centers as the peer script's).
    let km = KMeansParams::default()
        .n_clusters(8)
        .init(KMeansInit::FirstRows)
        .n_init(Some(1));
    let (secs, m) = best(repeat, || {
        let start = Instant::now();
        let m = km.fit(&data).unwrap();
        (start.elapsed().as_secs_f64(), m)
    });
    let inertia = m.inertia().unwrap();
    let (ari, ipp) = quality(&m, values, d, &y, tail);
    print(
        "kmeans(init=first_rows,n_init=1)",
        "fit",
        n,
        secs,
        &format!(
            ",\"threads\":{},\"n_iter\":{},\"inertia\":{inertia:.6},\"ari_last\":{ari:.5},\"inertia_per_point\":{ipp:.4}",
            rayon_threads(),
            m.n_iter()
        ),
    );
}

/// The threads rayon uses (the machine's cores unless `RAYON_NUM_THREADS` says otherwise).
fn rayon_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}
