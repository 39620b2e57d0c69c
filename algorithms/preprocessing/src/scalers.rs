//! Scalers with exact statistics: [`MinMaxScaler`], [`MaxAbsScaler`], [`Normalizer`] (no
//! statistics at all) and [`AdaptiveStandardScaler`] (exponentially weighted, River's).
//!
//! Each learns the same way on both paths (`fit` is the row loop), so batch and stream agree
//! exactly, and transforms into a caller's buffer without allocating.

use serde::{Deserialize, Serialize};
use tidewater_core::row::check_weight;
use tidewater_core::spec::Params;
use tidewater_core::traits::check_out_len;
use tidewater_core::{Build, Error, FeatureVector, Result, Row, Transformer};

use crate::common::{bits_eq, copy_checked, dense, fit_by_learning, same_shape};

// ------------------------------------------------------------------------------------------
// MinMaxScaler

/// Hyper-parameters of [`MinMaxScaler`] (scikit-learn's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "min_max_scaler",
    alloc_free,
    summary = "scale each feature to a range by its minimum and maximum (exact running extremes)",
    check = Self::check
)]
pub struct MinMaxScalerParams {
    /// The output range `[low,high]`, low < high.
    #[param(default = (0.0, 1.0), skip_setter)]
    pub feature_range: (f64, f64),
}

impl MinMaxScalerParams {
    /// Sets `feature_range`.
    pub fn feature_range(mut self, low: f64, high: f64) -> Self {
        self.feature_range = (low, high);
        self
    }

    fn check(&self) -> Result<()> {
        let (a, b) = self.feature_range;
        if !(a.is_finite() && b.is_finite() && a < b) {
            return Err(Error::param(
                "feature_range",
                format!("must be two finite numbers, low < high; got [{a},{b}]"),
            ));
        }
        Ok(())
    }
}

impl Build for MinMaxScalerParams {
    type Model = MinMaxScaler;
    fn build(&self) -> Result<MinMaxScaler> {
        self.validate()?;
        Ok(MinMaxScaler {
            params: self.clone(),
            dim: None,
            min: Vec::new(),
            max: Vec::new(),
            seen: false,
            scratch: Vec::new(),
        })
    }
}

fit_by_learning!(MinMaxScalerParams, MinMaxScaler, "min-max scaler");

/// Scales each feature to `feature_range` by the smallest and largest values seen:
/// `x * scale + offset` with `scale = (high - low) / (max - min)` and
/// `offset = low - min * scale`, as scikit-learn computes it (a feature with `max == min` has
/// range 1).
///
/// Extremes are exact on both paths (law 1) whatever the chunking (law 2). Rows of weight 0
/// fix the dimension but do not count. Before a row of positive weight, a row passes through
/// unchanged. A value outside the extremes seen maps outside the range (no clipping, as
/// scikit-learn's default).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MinMaxScaler {
    params: MinMaxScalerParams,
    dim: Option<usize>,
    min: Vec<f64>,
    max: Vec<f64>,
    seen: bool,
    #[serde(skip)]
    scratch: Vec<f64>,
}

impl PartialEq for MinMaxScaler {
    fn eq(&self, o: &Self) -> bool {
        self.params == o.params
            && self.dim == o.dim
            && self.seen == o.seen
            && bits_eq(&self.min, &o.min)
            && bits_eq(&self.max, &o.max)
    }
}

impl Default for MinMaxScaler {
    fn default() -> Self {
        Self::new()
    }
}

impl MinMaxScaler {
    /// An empty scaler with default parameters.
    pub fn new() -> Self {
        MinMaxScalerParams::default()
            .build()
            .expect("default parameters are valid")
    }

    /// The smallest value of each feature (empty before a row of positive weight).
    pub fn data_min(&self) -> &[f64] {
        if self.seen { &self.min } else { &[] }
    }

    /// The largest value of each feature (empty before a row of positive weight).
    pub fn data_max(&self) -> &[f64] {
        if self.seen { &self.max } else { &[] }
    }
}

impl Transformer for MinMaxScaler {
    same_shape!();
    fn learn_one(&mut self, x: Row<'_>, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        let w = check_weight(weight)?;
        let d = x.dim();
        if self.dim.is_none() {
            self.dim = Some(d);
            self.min = vec![f64::INFINITY; d];
            self.max = vec![f64::NEG_INFINITY; d];
        }
        if w == 0.0 {
            return Ok(());
        }
        let xs = dense(x, &mut self.scratch);
        for ((lo, hi), &v) in self.min.iter_mut().zip(self.max.iter_mut()).zip(xs) {
            *lo = lo.min(v);
            *hi = hi.max(v);
        }
        self.seen = true;
        Ok(())
    }
    fn transform_one(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        copy_checked(self, "min-max scaler", x, out)?;
        if !self.seen {
            return Ok(());
        }
        let (a, b) = self.params.feature_range;
        for ((o, &lo), &hi) in out.iter_mut().zip(&self.min).zip(&self.max) {
            let range = hi - lo;
            let scale = (b - a) / if range == 0.0 { 1.0 } else { range };
            *o = *o * scale + (a - lo * scale);
        }
        Ok(())
    }
}

// ------------------------------------------------------------------------------------------
// MaxAbsScaler

/// Hyper-parameters of [`MaxAbsScaler`] (it has none).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "max_abs_scaler",
    alloc_free,
    summary = "divide each feature by its largest absolute value (exact; keeps sparsity and sign)"
)]
pub struct MaxAbsScalerParams {}

impl Build for MaxAbsScalerParams {
    type Model = MaxAbsScaler;
    fn build(&self) -> Result<MaxAbsScaler> {
        Ok(MaxAbsScaler {
            dim: None,
            max_abs: Vec::new(),
        })
    }
}

fit_by_learning!(MaxAbsScalerParams, MaxAbsScaler, "max-abs scaler");

/// Divides each feature by the largest absolute value seen (a feature whose values were all 0
/// is divided by 1), as scikit-learn's `MaxAbsScaler`. Exact on both paths; rows of weight 0
/// fix the dimension but do not count.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct MaxAbsScaler {
    dim: Option<usize>,
    max_abs: Vec<f64>,
}

impl PartialEq for MaxAbsScaler {
    fn eq(&self, o: &Self) -> bool {
        self.dim == o.dim && bits_eq(&self.max_abs, &o.max_abs)
    }
}

impl MaxAbsScaler {
    /// An empty scaler.
    pub fn new() -> Self {
        Self::default()
    }

    /// The largest absolute value of each feature.
    pub fn max_abs(&self) -> &[f64] {
        &self.max_abs
    }
}

impl Transformer for MaxAbsScaler {
    same_shape!();
    fn learn_one(&mut self, x: Row<'_>, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        let w = check_weight(weight)?;
        if self.dim.is_none() {
            self.dim = Some(x.dim());
            self.max_abs = vec![0.0; x.dim()];
        }
        if w > 0.0 {
            let m = &mut self.max_abs;
            x.for_each_entry(|j, v| m[j] = m[j].max(v.abs()));
        }
        Ok(())
    }
    fn transform_one(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        copy_checked(self, "max-abs scaler", x, out)?;
        for (o, &m) in out.iter_mut().zip(&self.max_abs) {
            *o /= if m == 0.0 { 1.0 } else { m };
        }
        Ok(())
    }
}

// ------------------------------------------------------------------------------------------
// Normalizer

/// The norm a [`Normalizer`] divides by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Norm {
    /// Sum of absolute values.
    L1,
    /// Euclidean norm.
    L2,
    /// Largest absolute value.
    Max,
}

tidewater_core::param_choices!(Norm { L1 => "l1", L2 => "l2", Max => "max" });

/// Hyper-parameters of [`Normalizer`] (scikit-learn's and River's name and default).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "normalizer",
    alloc_free,
    summary = "scale each row to unit norm (l1, l2 or max); learns nothing"
)]
pub struct NormalizerParams {
    /// The norm each row is divided by: l1, l2 or max.
    #[param(default = Norm::L2)]
    pub norm: Norm,
}

impl Build for NormalizerParams {
    type Model = Normalizer;
    fn build(&self) -> Result<Normalizer> {
        Ok(Normalizer {
            params: self.clone(),
            dim: None,
        })
    }
}

fit_by_learning!(NormalizerParams, Normalizer, "normalizer");

/// Scales each row to unit norm (`l1`, `l2` or `max`); a row of norm 0 is left as it is.
/// It learns nothing but the dimension (from the first row), so both paths agree trivially.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Normalizer {
    params: NormalizerParams,
    dim: Option<usize>,
}

impl Default for Normalizer {
    fn default() -> Self {
        NormalizerParams::default().build().expect("valid defaults")
    }
}

impl Normalizer {
    /// The norm used.
    pub fn norm(&self) -> Norm {
        self.params.norm
    }
}

impl Transformer for Normalizer {
    same_shape!();
    fn learn_one(&mut self, x: Row<'_>, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        check_weight(weight)?;
        self.dim.get_or_insert(x.dim());
        Ok(())
    }
    fn transform_one(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        // Stateless: before any row, any dimension is accepted.
        x.check(self.dim)?;
        check_out_len("output buffer", x.dim(), out.len())?;
        let mut norm = 0.0f64;
        match self.params.norm {
            Norm::L1 => x.for_each_entry(|_, v| norm += v.abs()),
            Norm::L2 => {
                x.for_each_entry(|_, v| norm += v * v);
                norm = norm.sqrt();
            }
            Norm::Max => x.for_each_entry(|_, v| norm = norm.max(v.abs())),
        }
        x.write_dense(out);
        if norm > 0.0 {
            out.iter_mut().for_each(|o| *o /= norm);
        }
        Ok(())
    }
}

impl std::fmt::Display for Norm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", tidewater_core::spec::ParamValue::to_value(self))
    }
}

// ------------------------------------------------------------------------------------------
// AdaptiveStandardScaler

/// Hyper-parameters of [`AdaptiveStandardScaler`] (River's name and default).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "adaptive_standard_scaler",
    alloc_free,
    summary = "standardise with exponentially weighted mean and variance (River's, forgets the past)"
)]
pub struct AdaptiveStandardScalerParams {
    /// Weight of the newest row in the running statistics, in (0, 1]: the closer to 1, the faster the scaler forgets.
    #[param(default = 0.3, gt = 0, le = 1)]
    pub fading_factor: f64,
}

impl Build for AdaptiveStandardScalerParams {
    type Model = AdaptiveStandardScaler;
    fn build(&self) -> Result<AdaptiveStandardScaler> {
        self.validate()?;
        Ok(AdaptiveStandardScaler {
            params: self.clone(),
            dim: None,
            started: false,
            mean: Vec::new(),
            mean_sq: Vec::new(),
            scratch: Vec::new(),
        })
    }
}

fit_by_learning!(
    AdaptiveStandardScalerParams,
    AdaptiveStandardScaler,
    "adaptive standard scaler"
);

/// Standardises with exponentially weighted statistics, as River's `AdaptiveStandardScaler`:
/// with `a` the fading factor, `mean = a * x + (1 - a) * mean` and the same for `x²` (the
/// first row sets both), the variance is `mean(x²) - mean(x)²` (never below 0), and a row maps
/// to `(x - mean) / sqrt(var)`, or 0 where the variance is 0 (River's `safe_div`).
///
/// A row of weight `w` counts as `w` repeated rows: its fading factor is `1 - (1 - a)^w`
/// (so `w = 1` is `a`, and `w = 0` changes nothing). The batch path is the row loop, so
/// both paths agree exactly; the order of rows matters, as it should for a forgetting
/// statistic.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AdaptiveStandardScaler {
    params: AdaptiveStandardScalerParams,
    dim: Option<usize>,
    started: bool,
    mean: Vec<f64>,
    mean_sq: Vec<f64>,
    #[serde(skip)]
    scratch: Vec<f64>,
}

impl PartialEq for AdaptiveStandardScaler {
    fn eq(&self, o: &Self) -> bool {
        self.params == o.params
            && self.dim == o.dim
            && self.started == o.started
            && bits_eq(&self.mean, &o.mean)
            && bits_eq(&self.mean_sq, &o.mean_sq)
    }
}

impl Default for AdaptiveStandardScaler {
    fn default() -> Self {
        AdaptiveStandardScalerParams::default()
            .build()
            .expect("valid defaults")
    }
}

impl AdaptiveStandardScaler {
    /// The exponentially weighted means.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// The exponentially weighted variances.
    pub fn var(&self) -> Vec<f64> {
        self.mean
            .iter()
            .zip(&self.mean_sq)
            .map(|(m, s)| (s - m * m).max(0.0))
            .collect()
    }
}

impl Transformer for AdaptiveStandardScaler {
    same_shape!();
    fn learn_one(&mut self, x: Row<'_>, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        let w = check_weight(weight)?;
        let d = x.dim();
        if self.dim.is_none() {
            self.dim = Some(d);
            self.mean = vec![0.0; d];
            self.mean_sq = vec![0.0; d];
        }
        if w == 0.0 {
            return Ok(());
        }
        let xs = dense(x, &mut self.scratch);
        if !self.started {
            for ((m, s), &v) in self.mean.iter_mut().zip(self.mean_sq.iter_mut()).zip(xs) {
                *m = v;
                *s = v * v;
            }
            self.started = true;
            return Ok(());
        }
        let a = if w == 1.0 {
            self.params.fading_factor
        } else {
            1.0 - (1.0 - self.params.fading_factor).powf(w)
        };
        for ((m, s), &v) in self.mean.iter_mut().zip(self.mean_sq.iter_mut()).zip(xs) {
            *m = a * v + (1.0 - a) * *m;
            *s = a * (v * v) + (1.0 - a) * *s;
        }
        Ok(())
    }
    fn transform_one(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        copy_checked(self, "adaptive standard scaler", x, out)?;
        for ((o, &m), &s) in out.iter_mut().zip(&self.mean).zip(&self.mean_sq) {
            let var = s - m * m;
            *o = if var > 0.0 {
                (*o - m) / var.sqrt()
            } else {
                0.0
            };
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_adaptive_scaler_follows_rivers_exponentially_weighted_statistics() {
        // River's documented EWMean / EWVar sequence for fading_factor 0.5.
        let mut s = AdaptiveStandardScalerParams::default()
            .fading_factor(0.5)
            .build()
            .unwrap();
        let want_mean = [1.0, 2.0, 3.5, 3.75, 4.875];
        let want_var = [0.0, 1.0, 2.75, 1.4375, 1.984375];
        for (i, x) in [1.0, 3.0, 5.0, 4.0, 6.0].iter().enumerate() {
            s.learn_one(Row::Dense(&[*x]), None).unwrap();
            assert_eq!(s.mean()[0], want_mean[i]);
            assert_eq!(s.var()[0], want_var[i]);
        }
    }

    #[test]
    fn min_max_scaler_maps_the_extremes_to_the_range() {
        let mut s = MinMaxScalerParams::default()
            .feature_range(-1.0, 1.0)
            .build()
            .unwrap();
        for x in [[1.0, 5.0], [3.0, 5.0], [2.0, 5.0]] {
            s.learn_one(Row::Dense(&x), None).unwrap();
        }
        let mut out = [0.0; 2];
        s.transform_one(Row::Dense(&[3.0, 5.0]), &mut out).unwrap();
        assert_eq!(out, [1.0, -1.0]);
        s.transform_one(Row::Dense(&[1.0, 5.0]), &mut out).unwrap();
        assert_eq!(out[0], -1.0);
    }

    #[test]
    fn normalizer_divides_by_the_norm() {
        let n = Normalizer::default();
        let mut out = [0.0; 2];
        n.transform_one(Row::Dense(&[3.0, 4.0]), &mut out).unwrap();
        assert_eq!(out, [0.6, 0.8]);
        n.transform_one(Row::Dense(&[0.0, 0.0]), &mut out).unwrap();
        assert_eq!(out, [0.0, 0.0]);
    }
}
