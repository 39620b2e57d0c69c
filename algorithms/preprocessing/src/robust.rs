//! [`RobustScaler`]: median and interquartile range, exact in batch and sketched online.

use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, all_not_nan, ensure};
use tidewater_core::row::check_weight;
use tidewater_core::spec::Params;
use tidewater_core::{Batch, Build, Dataset, Error, FeatureVector, Fit, Result, Row, Transformer};

use crate::common::{
    bits_eq, check_rows, copy_checked, dense, per_feature, same_shape, weighted_columns,
    weighted_quantile,
};
use crate::sketch::{DEFAULT_COMPRESSION, MAX_COMPRESSION, QuantileSketch, check_sketches};

/// Hyper-parameters of [`RobustScaler`] (scikit-learn's names and defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "robust_scaler",
    summary = "centre by the median and scale by the interquartile range (exact in batch, a t-digest quantile sketch online)",
    check = Self::check
)]
pub struct RobustScalerParams {
    /// Subtract the median.
    #[param(default = true)]
    pub with_centering: bool,
    /// Divide by the quantile range.
    #[param(default = true)]
    pub with_scaling: bool,
    /// The quantile range in percent, `[low,high]` with 0 <= low < high <= 100.
    #[param(default = (25.0, 75.0), skip_setter)]
    pub quantile_range: (f64, f64),
    /// Size of the online quantile sketch (larger is more accurate).
    #[param(default = DEFAULT_COMPRESSION, ge = 10, le = MAX_COMPRESSION)]
    pub compression: usize,
}

impl RobustScalerParams {
    /// Sets `quantile_range` (percent).
    pub fn quantile_range(mut self, low: f64, high: f64) -> Self {
        self.quantile_range = (low, high);
        self
    }

    fn check(&self) -> Result<()> {
        let (a, b) = self.quantile_range;
        if !(0.0..=100.0).contains(&a) || !(0.0..=100.0).contains(&b) || a >= b {
            return Err(Error::param(
                "quantile_range",
                format!("must satisfy 0 <= low < high <= 100, got [{a},{b}]"),
            ));
        }
        Ok(())
    }
}

impl Build for RobustScalerParams {
    type Model = RobustScaler;
    fn build(&self) -> Result<RobustScaler> {
        self.validate()?;
        Ok(RobustScaler {
            params: self.clone(),
            dim: None,
            sketches: Vec::new(),
            center: Vec::new(),
            scale: Vec::new(),
            exact: false,
            scratch: Vec::new(),
        })
    }
}

impl Fit for RobustScalerParams {
    type Model = RobustScaler;
    /// The batch path: exact weighted quantiles of every column (linear interpolation, as
    /// numpy's default and scikit-learn's `RobustScaler`), and the sketches filled with the
    /// same rows so that the model can keep learning online.
    fn fit(&self, data: &Dataset) -> Result<RobustScaler> {
        if data.n_rows() == 0 {
            return Err(Error::Empty("cannot fit a robust scaler on no rows".into()));
        }
        let mut m = self.build()?;
        let b = data.batch();
        tidewater_core::traits::check_out_len(
            "weights against rows",
            data.n_rows(),
            data.weights.as_ref().map_or(data.n_rows(), Vec::len),
        )?;
        for i in 0..data.n_rows() {
            let r = b.row(i)?;
            m.check_row(r).map_err(|e| e.in_row(i))?;
            check_weight(data.weights.as_ref().map(|w| w[i])).map_err(|e| e.in_row(i))?;
        }
        m.init(data.n_features());
        let mut columns = weighted_columns(data)?;
        for (sketch, col) in m.sketches.iter_mut().zip(&columns) {
            for &(v, w) in col {
                sketch.add(v, w);
            }
        }
        let (lo, hi) = m.params.quantile_range;
        for (j, col) in columns.iter_mut().enumerate() {
            let med = weighted_quantile(col, 0.5);
            let q1 = weighted_quantile(col, lo / 100.0);
            let q3 = weighted_quantile(col, hi / 100.0);
            if let (Some(med), Some(q1), Some(q3)) = (med, q1, q3) {
                m.set_stats(j, med, q3 - q1);
            }
        }
        m.exact = true;
        Ok(m)
    }
}

/// Scales each feature robustly: `(x - median) / (q_high - q_low)`, scikit-learn's
/// `RobustScaler` (a zero range divides by 1).
///
/// **Exact in batch, sketched online.** [`Fit`] computes the exact quantiles of the data set
/// (numpy's linear interpolation). On the stream path each feature keeps a t-digest
/// ([`QuantileSketch`]) and the median and range are its estimates, recomputed after each
/// row; they approach the exact ones as rows accumulate but are not equal, and they depend
/// on the order of the rows, so this scaler is not held to law 5 online. A batch-fitted
/// scaler keeps its exact statistics until it learns another row, and then switches to the
/// sketch, which has seen the batch rows too. Before any row of positive weight, rows pass
/// through unchanged.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RobustScaler {
    params: RobustScalerParams,
    dim: Option<usize>,
    sketches: Vec<QuantileSketch>,
    center: Vec<f64>,
    scale: Vec<f64>,
    exact: bool,
    #[serde(skip)]
    scratch: Vec<f64>,
}

impl PartialEq for RobustScaler {
    fn eq(&self, o: &Self) -> bool {
        self.params == o.params
            && self.dim == o.dim
            && self.exact == o.exact
            && self.sketches == o.sketches
            && bits_eq(&self.center, &o.center)
            && bits_eq(&self.scale, &o.scale)
    }
}

impl Default for RobustScaler {
    fn default() -> Self {
        RobustScalerParams::default()
            .build()
            .expect("valid defaults")
    }
}

impl RobustScaler {
    /// The medians (0 before any row).
    pub fn center(&self) -> &[f64] {
        &self.center
    }

    /// The quantile ranges used as divisors (1 before any row, and where the range is 0).
    pub fn scale(&self) -> &[f64] {
        &self.scale
    }

    /// Whether the statistics are the exact ones of a batch fit (not yet sketch estimates).
    pub fn is_exact(&self) -> bool {
        self.exact
    }

    fn init(&mut self, d: usize) {
        if self.dim.is_none() {
            self.dim = Some(d);
            self.sketches = vec![QuantileSketch::new(self.params.compression); d];
            self.center = vec![0.0; d];
            self.scale = vec![1.0; d];
        }
    }

    fn set_stats(&mut self, j: usize, median: f64, range: f64) {
        self.center[j] = if self.params.with_centering {
            median
        } else {
            0.0
        };
        self.scale[j] = if self.params.with_scaling && range != 0.0 {
            range
        } else {
            1.0
        };
    }

    fn refresh(&mut self) {
        let (lo, hi) = self.params.quantile_range;
        for j in 0..self.sketches.len() {
            if let Some(q) = self.sketches[j].quantiles(&[0.5, lo / 100.0, hi / 100.0]) {
                self.set_stats(j, q[0], q[2] - q[1]);
            }
        }
        self.exact = false;
    }
}

impl Transformer for RobustScaler {
    same_shape!();
    fn learn_one(&mut self, x: Row<'_>, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        let w = check_weight(weight)?;
        self.init(x.dim());
        if w == 0.0 {
            return Ok(());
        }
        let xs = dense(x, &mut self.scratch);
        for (s, &v) in self.sketches.iter_mut().zip(xs) {
            s.add(v, w);
        }
        self.refresh();
        Ok(())
    }
    fn learn_many(&mut self, x: Batch<'_>, weights: Option<&[f64]>) -> Result<()> {
        // The row loop without recomputing the estimates after every row: the sketches end
        // in the same state, and the estimates are computed once from it.
        check_rows(self, x, weights)?;
        let mut any = false;
        for i in 0..x.n_rows() {
            let r = x.row(i)?;
            self.init(r.dim());
            let w = weights.map_or(1.0, |w| w[i]);
            if w == 0.0 {
                continue;
            }
            let mut scratch = std::mem::take(&mut self.scratch);
            let xs = dense(r, &mut scratch);
            for (s, &v) in self.sketches.iter_mut().zip(xs) {
                s.add(v, w);
            }
            self.scratch = scratch;
            any = true;
        }
        if any {
            self.refresh();
        }
        Ok(())
    }
    fn transform_one(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        copy_checked(self, "robust scaler", x, out)?;
        for ((o, &c), &s) in out.iter_mut().zip(&self.center).zip(&self.scale) {
            *o = (*o - c) / s;
        }
        Ok(())
    }
}

impl CheckState for RobustScaler {
    /// A sketch, a centre and a scale per feature; each sketch consistent and of the params'
    /// compression; no NaN, and no zero scale (a zero range is stored as 1, since the scale
    /// divides). Centres and scales may be infinite: a range of large values overflows.
    fn check_state(&self) -> StateResult {
        self.params.check_state()?;
        per_feature(
            self.dim,
            &[
                ("sketches", self.sketches.len()),
                ("centres", self.center.len()),
                ("scales", self.scale.len()),
            ],
        )?;
        check_sketches(&self.sketches, self.params.compression)?;
        all_not_nan("centres", &self.center)?;
        for (j, &s) in self.scale.iter().enumerate() {
            ensure(!s.is_nan() && s != 0.0, || {
                format!("scales[{j}]: {s} is 0 or NaN")
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn learned() -> RobustScaler {
        let mut s = RobustScaler::default();
        for i in 0..30 {
            let v = f64::from(i);
            s.learn_one(Row::Dense(&[v, (v * 7.0) % 11.0]), None)
                .unwrap();
        }
        s
    }

    #[test]
    fn a_robust_scaler_passes_on_both_paths_and_corruptions_are_named() {
        assert_eq!(RobustScaler::default().check_state(), Ok(()));
        assert_eq!(learned().check_state(), Ok(()));
        let data = crate::common::dataset(&[&[1.0, 2.0], &[4.0, 2.0], &[0.0, 2.0]]);
        let fitted = RobustScalerParams::default().fit(&data).unwrap();
        assert_eq!(fitted.check_state(), Ok(()));
        let mut s = learned();
        s.sketches.pop();
        let e = s.check_state().unwrap_err();
        assert_eq!(e, "sketches: 1 values where the model needs 2");
        let mut s = learned();
        s.scale[1] = 0.0;
        assert_eq!(s.check_state().unwrap_err(), "scales[1]: 0 is 0 or NaN");
        let mut s = learned();
        s.center[0] = f64::NAN;
        assert_eq!(s.check_state().unwrap_err(), "centres[0]: NaN");
        let mut s = learned();
        s.sketches[1] = QuantileSketch::new(50);
        let e = s.check_state().unwrap_err();
        assert!(e.starts_with("feature 1: sketch: compression 50"), "{e}");
        let mut v = serde_json::to_value(learned()).unwrap();
        v["sketches"][0]["compression"] = 0.into();
        let s: RobustScaler = serde_json::from_value(v).unwrap();
        let e = s.check_state().unwrap_err();
        assert!(e.starts_with("feature 0: sketch: compression: 0"), "{e}");
    }
}
