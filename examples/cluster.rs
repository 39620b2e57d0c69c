//! Clustering on both paths: k-means (k-means++, ten starts) on the standardised iris data,
//! with its inertia, centers and how its clusters meet the species; then mini-batch k-means
//! learning a generated stream of eight blobs in ten dimensions, in batches of 1024 rows and
//! row by row, with its speed and how pure its clusters are on the last rows.
//!
//! Run with `cargo run --release --example cluster`.

use std::time::Instant;

use ndarray::Array2;
use tidewater::cluster::{KMeansParams, MiniBatchKMeansParams};
use tidewater::prelude::*;
use tidewater::{FeatureMatrix, Schema};

/// A small deterministic generator for the example's stream (xorshift64*, Box-Muller).
struct Noise(u64);

impl Noise {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let u = self.uniform().max(f64::MIN_POSITIVE);
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * self.uniform()).cos()
    }
}

/// The share of rows whose cluster's most common true group is their own.
fn purity(clusters: &[usize], truth: &[usize], k: usize, groups: usize) -> f64 {
    let mut table = vec![vec![0usize; groups]; k];
    for (&c, &t) in clusters.iter().zip(truth) {
        table[c][t] += 1;
    }
    let agree: usize = table
        .iter()
        .map(|r| r.iter().max().copied().unwrap_or(0))
        .sum();
    agree as f64 / clusters.len() as f64
}

fn main() -> Result<()> {
    // k-means on iris, standardised.
    let iris = tidewater::datasets::iris()?;
    let species: Vec<usize> = iris
        .target()?
        .to_labels()?
        .iter()
        .map(|l| l.to_string())
        .scan(Vec::<String>::new(), |seen, s| {
            let i = seen.iter().position(|t| *t == s).unwrap_or_else(|| {
                seen.push(s);
                seen.len() - 1
            });
            Some(i)
        })
        .collect();
    let FeatureMatrix::Dense(mut x) = iris.features.clone() else {
        return Err(Error::Unsupported("iris is dense".into()));
    };
    for mut col in x.columns_mut() {
        let n = col.len() as f64;
        let mean = col.sum() / n;
        let sd = (col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt();
        col.mapv_inplace(|v| (v - mean) / sd);
    }
    let data = Dataset::new(
        FeatureMatrix::Dense(x),
        vec![],
        Schema::numeric(iris.schema.features.clone(), vec![]),
    )?;
    let model = KMeansParams::default()
        .n_clusters(3)
        .n_init(10)
        .seed(42)
        .fit(&data)?;
    println!(
        "k-means on standardised iris: inertia {:.4} after {} iterations",
        model.inertia().unwrap_or(f64::NAN),
        model.n_iter()
    );
    for (c, center) in model.cluster_centers().rows().into_iter().enumerate() {
        let shown: Vec<String> = center.iter().map(|v| format!("{v:+.3}")).collect();
        println!("  center {c}: [{}]", shown.join(", "));
    }
    println!(
        "  purity against the species: {:.3}",
        purity(model.labels(), &species, 3, 3)
    );

    // Mini-batch k-means on a stream of eight blobs in ten dimensions.
    let (k, d, n) = (8, 10, 400_000);
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    let centers: Vec<f64> = (0..k * d).map(|_| 10.0 * noise.uniform() - 5.0).collect();
    let mut stream = Array2::zeros((n, d));
    let mut truth = Vec::with_capacity(n);
    for i in 0..n {
        let b = (noise.uniform() * k as f64) as usize;
        truth.push(b);
        for j in 0..d {
            stream[[i, j]] = centers[b * d + j] + 0.5 * noise.normal();
        }
    }
    let params = MiniBatchKMeansParams::default().n_clusters(k).seed(7);
    let tail = n - 50_000;

    let mut batched = params.build()?;
    let start = Instant::now();
    for lo in (0..n).step_by(1024) {
        let hi = (lo + 1024).min(n);
        batched.learn_many(Batch::Dense(stream.slice(ndarray::s![lo..hi, ..])), None)?;
    }
    let secs = start.elapsed().as_secs_f64();
    let tail_batch = Batch::Dense(stream.slice(ndarray::s![tail.., ..]));
    let clusters: Vec<usize> = batched
        .predict_many(tail_batch)?
        .into_iter()
        .map(|c| c.unwrap_or(0))
        .collect();
    println!(
        "mini-batch k-means, learn_many in batches of 1024: {n} rows in {secs:.3} s ({:.0} rows/s), purity on the last 50000 rows {:.4}",
        n as f64 / secs,
        purity(&clusters, &truth[tail..], k, k)
    );

    let mut rows = params.build()?;
    let start = Instant::now();
    for i in 0..n {
        rows.learn_one(Row::Dense(stream.row(i).to_slice().unwrap_or(&[])), None)?;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "mini-batch k-means, learn_one row by row: {:.0} rows/s, the same centers as learn_many: {}",
        n as f64 / secs,
        rows.cluster_centers() == batched.cluster_centers()
    );
    Ok(())
}
