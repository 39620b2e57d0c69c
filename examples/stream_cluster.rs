//! The stream clusterers on a drifting stream: four blobs in two dimensions whose centers all
//! move by (+3, +3) halfway through. DBSTREAM and CluStream learn the stream row by row,
//! predicting each row's cluster before learning it (prequential). The example prints, just
//! before the move and at the end, the macro cluster each blob center falls in and how far
//! it is from that cluster's center, and the adjusted Rand index of the predictions against
//! the blobs before the move, right after it and once the models have followed it, beside
//! a copy of each model frozen at the move. DBSTREAM and CluStream with the paper's offline
//! step (`offline=lloyd`) follow the blobs; River's offline step (one pass of incremental
//! k-means from random centers near the origin) is shown for comparison.
//!
//! Run with `cargo run --release --example stream_cluster`.

use tidewater::cluster::{CluStreamOffline, CluStreamParams, DBStreamParams};
use tidewater::metrics::adjusted_rand_index;
use tidewater::prelude::*;

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

const N: usize = 20_000;
const MOVE: usize = N / 2;
const CENTERS: [[f64; 2]; 4] = [[0.0, 0.0], [6.0, 0.0], [0.0, 6.0], [6.0, 6.0]];
const SHIFT: f64 = 3.0;

/// The ARI of the predictions of rows `range` against their blobs (a row without a
/// cluster counts in a cluster of its own).
fn ari(pred: &[Option<usize>], blobs: &[usize], range: std::ops::Range<usize>) -> f64 {
    let p: Vec<usize> = pred[range.clone()]
        .iter()
        .map(|c| c.unwrap_or(usize::MAX))
        .collect();
    adjusted_rand_index(&blobs[range], &p).unwrap_or(f64::NAN)
}

/// Where the blob centers `x` fall: the macro cluster of each and its distance to that
/// cluster's center.
fn centers(m: &dyn Clusterer, x: &[[f64; 2]]) -> String {
    let mut out = Vec::new();
    for c in x {
        let r = Row::Dense(c);
        match m.predict_one(r) {
            Ok(Some(k)) => {
                let mut d = vec![0.0; m.n_clusters()];
                if m.distances_into(r, &mut d).is_ok() {
                    out.push(format!("({:+.0},{:+.0})→{k} at {:.2}", c[0], c[1], d[k]));
                }
            }
            _ => out.push(format!("({:+.0},{:+.0})→none", c[0], c[1])),
        }
    }
    out.join("  ")
}

fn run<M: Clusterer + Clone>(
    name: &str,
    mut model: M,
    x: &[[f64; 2]],
    blobs: &[usize],
) -> Result<()> {
    let mut pred = Vec::with_capacity(N);
    let mut frozen_pred = Vec::with_capacity(N - MOVE);
    let mut frozen: Option<M> = None;
    for (i, r) in x.iter().enumerate() {
        if i == MOVE {
            println!(
                "{name}, {} macro clusters just before the move:",
                model.n_clusters()
            );
            println!("  old blob centers: {}", centers(&model, &CENTERS));
            frozen = Some(model.clone());
        }
        let row = Row::Dense(r);
        pred.push(model.predict_one(row)?);
        if let Some(f) = &frozen {
            frozen_pred.push(f.predict_one(row)?);
        }
        model.learn_one(row, None)?;
    }
    let moved: Vec<[f64; 2]> = CENTERS
        .iter()
        .map(|c| [c[0] + SHIFT, c[1] + SHIFT])
        .collect();
    println!("{name}, {} macro clusters at the end:", model.n_clusters());
    println!("  new blob centers: {}", centers(&model, &moved));
    let settle = MOVE + 2_000;
    println!(
        "  prequential ARI: before the move {:.3} (rows 2000..{MOVE}), the first 1000 rows after it {:.3}, once settled {:.3} (rows {settle}..{N})",
        ari(&pred, blobs, 2_000..MOVE),
        ari(&pred, blobs, MOVE..MOVE + 1_000),
        ari(&pred, blobs, settle..N),
    );
    println!(
        "  the same model frozen at the move, on rows {settle}..{N}: ARI {:.3}",
        ari(&frozen_pred, blobs, settle - MOVE..N - MOVE)
    );
    Ok(())
}

fn main() -> Result<()> {
    let mut noise = Noise(0x2545_f491_4f6c_dd1d);
    let mut x = Vec::with_capacity(N);
    let mut blobs = Vec::with_capacity(N);
    for i in 0..N {
        let b = (noise.uniform() * 4.0) as usize;
        let shift = if i < MOVE { 0.0 } else { SHIFT };
        x.push([
            CENTERS[b][0] + shift + 0.5 * noise.normal(),
            CENTERS[b][1] + shift + 0.5 * noise.normal(),
        ]);
        blobs.push(b);
    }
    println!(
        "{N} rows, four blobs (standard deviation 0.5) that move by (+{SHIFT}, +{SHIFT}) at row {MOVE}\n"
    );
    run("DBSTREAM", DBStreamParams::default().build()?, &x, &blobs)?;
    println!();
    let clustream = CluStreamParams::default().n_macro_clusters(4).seed(1);
    run(
        "CluStream (River's offline step)",
        clustream.build()?,
        &x,
        &blobs,
    )?;
    println!();
    run(
        "CluStream (offline=lloyd)",
        clustream.offline(CluStreamOffline::Lloyd).build()?,
        &x,
        &blobs,
    )?;
    Ok(())
}
