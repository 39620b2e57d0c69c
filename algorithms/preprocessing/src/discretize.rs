//! [`KBinsDiscretizer`]: bins of equal width, of equal mass (quantiles), or of fixed edges;
//! exact in batch, and online through exact extremes or a mergeable quantile sketch.

use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, ensure, within};
use tidewater_core::row::check_weight;
use tidewater_core::spec::Params;
use tidewater_core::{Batch, Build, Dataset, Error, FeatureVector, Fit, Result, Row, Transformer};

use crate::common::{
    check_extremes, check_rows, copy_checked, dense, per_feature, same_shape, weighted_columns,
    weighted_quantile,
};
use crate::sketch::{DEFAULT_COMPRESSION, MAX_COMPRESSION, QuantileSketch, check_sketches};

/// How a [`KBinsDiscretizer`] places its bin edges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BinStrategy {
    /// Equal widths between the smallest and the largest value (exact on both paths).
    Uniform,
    /// Equal mass: edges at the quantiles `k / n_bins` (exact in batch, sketched online).
    Quantile,
    /// The edges given in `edges` (exact on both paths: nothing is learned but the dimension).
    Fixed,
}

tidewater_core::param_choices!(BinStrategy {
    Uniform => "uniform",
    Quantile => "quantile",
    Fixed => "fixed",
});

/// Hyper-parameters of [`KBinsDiscretizer`] (scikit-learn's names; `encode` is `ordinal`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "k_bins_discretizer",
    summary = "replace each feature by its bin number: uniform, quantile (exact in batch, a mergeable sketch online) or fixed edges",
    check = Self::check
)]
pub struct KBinsDiscretizerParams {
    /// The number of bins, at least 2 (ignored for strategy=fixed).
    #[param(default = 5, le = 10_000)]
    pub n_bins: usize,
    /// Where the edges go: uniform (equal widths), quantile (equal mass, as scikit-learn) or fixed.
    #[param(default = BinStrategy::Quantile)]
    pub strategy: BinStrategy,
    /// Inner edges for strategy=fixed, strictly increasing, shared by every feature (`edges=[0,10]` makes the bins x < 0, 0 <= x < 10, x >= 10).
    #[param(default = None, skip_setter)]
    pub edges: Option<Vec<f64>>,
    /// Size of the online quantile sketch.
    #[param(default = DEFAULT_COMPRESSION, ge = 10, le = MAX_COMPRESSION)]
    pub compression: usize,
}

impl KBinsDiscretizerParams {
    /// Fixed inner edges (sets the strategy to `fixed`).
    pub fn edges(mut self, e: Vec<f64>) -> Self {
        self.edges = Some(e);
        self.strategy = BinStrategy::Fixed;
        self
    }

    fn check(&self) -> Result<()> {
        match (&self.edges, self.strategy) {
            (Some(e), BinStrategy::Fixed) => {
                if e.is_empty()
                    || !e.iter().all(|v| v.is_finite())
                    || e.windows(2).any(|w| w[0] >= w[1])
                {
                    return Err(Error::param(
                        "edges",
                        "must be finite and strictly increasing, at least one",
                    ));
                }
            }
            (None, BinStrategy::Fixed) => {
                return Err(Error::param("edges", "strategy=fixed needs edges=[...]"));
            }
            (Some(_), _) => {
                return Err(Error::param("edges", "edges are only for strategy=fixed"));
            }
            (None, _) => {
                if self.n_bins < 2 {
                    return Err(Error::param(
                        "n_bins",
                        format!("must be at least 2, got {}", self.n_bins),
                    ));
                }
            }
        }
        Ok(())
    }
}

impl Build for KBinsDiscretizerParams {
    type Model = KBinsDiscretizer;
    fn build(&self) -> Result<KBinsDiscretizer> {
        self.validate()?;
        Ok(KBinsDiscretizer {
            params: self.clone(),
            dim: None,
            min: Vec::new(),
            max: Vec::new(),
            sketches: Vec::new(),
            edges: Vec::new(),
            exact: false,
            scratch: Vec::new(),
        })
    }
}

impl Fit for KBinsDiscretizerParams {
    type Model = KBinsDiscretizer;
    /// The batch path. `uniform` and `fixed` are the row loop; `quantile` takes the exact
    /// quantiles of each column (linear interpolation) and fills the sketches with the same
    /// rows, so the model can keep learning online.
    fn fit(&self, data: &Dataset) -> Result<KBinsDiscretizer> {
        if data.n_rows() == 0 {
            return Err(Error::Empty("cannot fit a discretizer on no rows".into()));
        }
        let mut m = self.build()?;
        m.learn_many(data.batch(), data.weights.as_deref())?;
        if self.strategy == BinStrategy::Quantile {
            let mut cols = weighted_columns(data)?;
            let k = self.n_bins;
            for (j, col) in cols.iter_mut().enumerate() {
                let edges: Option<Vec<f64>> = (1..k)
                    .map(|i| weighted_quantile(col, i as f64 / k as f64))
                    .collect();
                if let Some(e) = edges {
                    m.edges[j] = non_decreasing(e);
                }
            }
            m.exact = true;
        }
        Ok(m)
    }
}

/// Quantile estimates as bin edges: each at least the one before. Interpolated quantiles
/// can fall an ulp below the previous one where two interpolation segments meet; binning
/// needs sorted edges, and a checkpoint is checked for them.
fn non_decreasing(mut edges: Vec<f64>) -> Vec<f64> {
    for i in 1..edges.len() {
        edges[i] = edges[i].max(edges[i - 1]);
    }
    edges
}

/// Replaces each feature by the number of its bin (0 to `n_bins - 1`), scikit-learn's
/// `KBinsDiscretizer(encode="ordinal")`: a value's bin is the number of inner edges at or
/// below it, so values beyond the extremes seen fall in the first or the last bin.
///
/// - `uniform`: `n_bins` equal widths between the smallest and largest values seen (exact on
///   both paths; a constant feature has one bin).
/// - `quantile`: edges at the quantiles `1/n_bins, 2/n_bins, ...`. [`Fit`] computes them
///   exactly; online, each feature keeps a mergeable t-digest ([`QuantileSketch`]) and the
///   edges are its estimates, recomputed after each row (not exact: not held to law 5).
///   Equal edges make empty bins (scikit-learn would drop them and warn).
/// - `fixed`: the given edges; nothing is learned but the dimension.
///
/// [`merge`](Self::merge) combines two discretizers that learned different shards of a
/// stream (extremes and sketches), which is what makes the online quantile binner usable
/// across workers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KBinsDiscretizer {
    params: KBinsDiscretizerParams,
    dim: Option<usize>,
    min: Vec<f64>,
    max: Vec<f64>,
    sketches: Vec<QuantileSketch>,
    edges: Vec<Vec<f64>>,
    exact: bool,
    #[serde(skip)]
    scratch: Vec<f64>,
}

impl KBinsDiscretizer {
    /// The inner edges of each feature's bins.
    pub fn edges(&self) -> &[Vec<f64>] {
        &self.edges
    }

    /// Merges what another discretizer with the same parameters learned (another shard of
    /// the stream) into this one.
    pub fn merge(&mut self, other: &KBinsDiscretizer) -> Result<()> {
        if self.params != other.params {
            return Err(Error::Unsupported(
                "only discretizers with the same parameters merge".into(),
            ));
        }
        let Some(d) = other.dim else { return Ok(()) };
        if self.dim.is_some_and(|s| s != d) {
            return Err(Error::DimensionMismatch {
                expected: self.dim.unwrap_or(d),
                got: d,
            });
        }
        self.init(d);
        for j in 0..d {
            self.min[j] = self.min[j].min(other.min[j]);
            self.max[j] = self.max[j].max(other.max[j]);
            if self.params.strategy == BinStrategy::Quantile {
                self.sketches[j].merge(&other.sketches[j]);
            }
        }
        for j in 0..d {
            self.refresh(j);
        }
        self.exact = false;
        Ok(())
    }

    fn init(&mut self, d: usize) {
        if self.dim.is_some() {
            return;
        }
        self.dim = Some(d);
        self.min = vec![f64::INFINITY; d];
        self.max = vec![f64::NEG_INFINITY; d];
        if self.params.strategy == BinStrategy::Quantile {
            self.sketches = vec![QuantileSketch::new(self.params.compression); d];
        }
        self.edges = match &self.params.edges {
            Some(e) if self.params.strategy == BinStrategy::Fixed => vec![e.clone(); d],
            _ => vec![Vec::new(); d],
        };
    }

    /// Recomputes feature `j`'s edges from the running statistics.
    fn refresh(&mut self, j: usize) {
        let k = self.params.n_bins;
        match self.params.strategy {
            BinStrategy::Fixed => {}
            BinStrategy::Uniform => {
                let (lo, hi) = (self.min[j], self.max[j]);
                let e = &mut self.edges[j];
                e.clear();
                if lo < hi {
                    // numpy's linspace: start + k * step.
                    let step = (hi - lo) / k as f64;
                    e.extend((1..k).map(|i| i as f64 * step + lo));
                }
            }
            BinStrategy::Quantile => {
                let qs: Vec<f64> = (1..k).map(|i| i as f64 / k as f64).collect();
                if let Some(v) = self.sketches[j].quantiles(&qs) {
                    self.edges[j] = non_decreasing(v);
                }
            }
        }
    }

    fn absorb(&mut self, xs: &[f64], w: f64) {
        for (j, &v) in xs.iter().enumerate() {
            self.min[j] = self.min[j].min(v);
            self.max[j] = self.max[j].max(v);
            if self.params.strategy == BinStrategy::Quantile {
                self.sketches[j].add(v, w);
            }
        }
    }
}

impl KBinsDiscretizer {
    /// One feature's inner edges: the fixed ones, or none (nothing learned, or a constant
    /// feature) or `n_bins - 1` learned ones; no NaN, in order (binning searches them).
    fn check_edges(&self, e: &[f64]) -> StateResult {
        match (&self.params.edges, self.params.strategy) {
            (Some(fixed), BinStrategy::Fixed) => ensure(e == fixed.as_slice(), || {
                "bin edges: not the fixed edges of the params".into()
            })?,
            _ => {
                let k = self.params.n_bins;
                ensure(e.is_empty() || e.len() + 1 == k, || {
                    format!(
                        "bin edges: {} where {k} bins have {}",
                        e.len(),
                        k.saturating_sub(1)
                    )
                })?;
            }
        }
        for (i, v) in e.iter().enumerate() {
            ensure(!v.is_nan(), || format!("bin edges[{i}]: NaN"))?;
        }
        for (i, w) in e.windows(2).enumerate() {
            ensure(w[0] <= w[1], || {
                format!("bin edges not increasing at {}", i + 1)
            })?;
        }
        Ok(())
    }
}

impl CheckState for KBinsDiscretizer {
    /// Extremes and edges per feature, and with the quantile strategy a sketch per feature
    /// (consistent, of the params' compression; none otherwise); extremes unset or finite
    /// and ordered; each feature's edges as `check_edges` says.
    fn check_state(&self) -> StateResult {
        self.params.check_state()?;
        per_feature(
            self.dim,
            &[
                ("minima", self.min.len()),
                ("maxima", self.max.len()),
                ("bin edges", self.edges.len()),
            ],
        )?;
        let quantile = self.params.strategy == BinStrategy::Quantile;
        per_feature(
            self.dim.filter(|_| quantile),
            &[("sketches", self.sketches.len())],
        )?;
        check_extremes(&self.min, &self.max)?;
        check_sketches(&self.sketches, self.params.compression)?;
        for (j, e) in self.edges.iter().enumerate() {
            within(format_args!("feature {j}"), self.check_edges(e))?;
        }
        Ok(())
    }
}

impl Transformer for KBinsDiscretizer {
    same_shape!();
    fn learn_one(&mut self, x: Row<'_>, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        let w = check_weight(weight)?;
        self.init(x.dim());
        if w == 0.0 {
            return Ok(());
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        self.absorb(dense(x, &mut scratch), w);
        self.scratch = scratch;
        for j in 0..x.dim() {
            self.refresh(j);
        }
        self.exact = false;
        Ok(())
    }
    fn learn_many(&mut self, x: Batch<'_>, weights: Option<&[f64]>) -> Result<()> {
        check_rows(self, x, weights)?;
        // The row loop, with the edges computed once at the end (the same state).
        let mut any = false;
        let mut scratch = std::mem::take(&mut self.scratch);
        for i in 0..x.n_rows() {
            let r = x.row(i)?;
            self.init(r.dim());
            let w = weights.map_or(1.0, |w| w[i]);
            if w > 0.0 {
                self.absorb(dense(r, &mut scratch), w);
                any = true;
            }
        }
        self.scratch = scratch;
        if any {
            for j in 0..self.dim.unwrap_or(0) {
                self.refresh(j);
            }
            self.exact = false;
        }
        Ok(())
    }
    fn transform_one(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        copy_checked(self, "discretizer", x, out)?;
        for (o, e) in out.iter_mut().zip(&self.edges) {
            *o = e.partition_point(|&edge| edge <= *o) as f64;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_bins_split_the_range_evenly() {
        let mut m = KBinsDiscretizerParams::default()
            .strategy(BinStrategy::Uniform)
            .n_bins(4)
            .build()
            .unwrap();
        for v in [0.0, 8.0, 3.0] {
            m.learn_one(Row::Dense(&[v]), None).unwrap();
        }
        assert_eq!(m.edges()[0], vec![2.0, 4.0, 6.0]);
        let mut out = [0.0];
        for (v, bin) in [(-1.0, 0.0), (2.0, 1.0), (5.9, 2.0), (8.0, 3.0), (99.0, 3.0)] {
            m.transform_one(Row::Dense(&[v]), &mut out).unwrap();
            assert_eq!(out[0], bin, "{v}");
        }
    }

    fn learned(strategy: BinStrategy) -> KBinsDiscretizer {
        let p = KBinsDiscretizerParams::default().n_bins(4);
        let p = match strategy {
            BinStrategy::Fixed => p.edges(vec![-1.0, 2.0]),
            s => p.strategy(s),
        };
        let mut m = p.build().unwrap();
        for i in 0..40 {
            let v = f64::from(i);
            m.learn_one(Row::Dense(&[v, (v * 7.0) % 11.0, 3.0]), None)
                .unwrap();
        }
        m
    }

    #[test]
    fn learned_and_fitted_discretizers_pass() {
        for s in [
            BinStrategy::Uniform,
            BinStrategy::Quantile,
            BinStrategy::Fixed,
        ] {
            assert_eq!(learned(s).check_state(), Ok(()), "{s:?}");
            let p = KBinsDiscretizerParams::default().strategy(s);
            let p = if s == BinStrategy::Fixed {
                p.edges(vec![0.5])
            } else {
                p
            };
            assert_eq!(p.build().unwrap().check_state(), Ok(()));
            let data = crate::common::dataset(&[&[1.0, 2.0], &[4.0, 2.0], &[0.0, 2.5]]);
            assert_eq!(p.fit(&data).unwrap().check_state(), Ok(()), "{s:?}");
        }
    }

    #[test]
    fn corrupt_discretizers_are_refused_by_name() {
        let refused = |m: KBinsDiscretizer, want: &str| {
            let e = m.check_state().unwrap_err();
            assert!(e.starts_with(want), "{e}");
        };
        let mut m = learned(BinStrategy::Quantile);
        m.edges[1].swap(0, 2);
        refused(m, "feature 1: bin edges not increasing at 1");
        let mut m = learned(BinStrategy::Uniform);
        m.edges[0].push(100.0);
        refused(m, "feature 0: bin edges: 4 where 4 bins have 3");
        let mut m = learned(BinStrategy::Uniform);
        m.edges[0][1] = f64::NAN;
        refused(m, "feature 0: bin edges[1]: NaN");
        let mut m = learned(BinStrategy::Fixed);
        m.edges[2] = vec![-1.0, 3.0];
        refused(m, "feature 2: bin edges: not the fixed edges");
        let mut m = learned(BinStrategy::Quantile);
        m.sketches.pop();
        refused(m, "sketches: 2 values where the model needs 3");
        let mut m = learned(BinStrategy::Uniform);
        m.sketches = vec![QuantileSketch::default(); 3];
        refused(m, "sketches: 3 values where the model needs 0");
        let mut m = learned(BinStrategy::Uniform);
        m.min[2] = 4.0;
        refused(m, "feature 2: extremes [4, 3]");
        let mut m = learned(BinStrategy::Quantile);
        m.edges.truncate(1);
        refused(m, "bin edges: 1 values where the model needs 3");
    }

    #[test]
    fn quantile_edges_never_decrease() {
        assert_eq!(
            non_decreasing(vec![1.0, 0.9999999999999999, 2.0]),
            vec![1.0, 1.0, 2.0]
        );
    }
}
