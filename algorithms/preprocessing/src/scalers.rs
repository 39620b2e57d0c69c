//! Scalers with exact statistics: [`MinMaxScaler`], [`MaxAbsScaler`], [`Normalizer`] (no
//! statistics at all) and [`AdaptiveStandardScaler`] (exponentially weighted, River's).
//!
//! Each learns the same way on both paths (`fit` is the row loop), so batch and stream agree
//! exactly, and transforms into a caller's buffer without allocating.

use serde::{Deserialize, Serialize};
use tidewater_core::check::{
    CheckState, StateResult, all_at_least_zero, all_nonneg, all_not_nan, ensure,
};
use tidewater_core::row::check_weight;
use tidewater_core::spec::Params;
use tidewater_core::traits::check_out_len;
use tidewater_core::{Build, Error, FeatureVector, Result, Row, Transformer};

use crate::common::{
    bits_eq, check_extremes, check_width, copy_checked, dense, fit_by_learning, per_feature,
    same_shape,
};

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

impl CheckState for MinMaxScaler {
    /// Extremes per feature; before a row of positive weight all unset (`+inf`, `-inf`),
    /// after it all finite with the smallest not above the largest.
    fn check_state(&self) -> StateResult {
        self.params.check_state()?;
        per_feature(
            self.dim,
            &[("minima", self.min.len()), ("maxima", self.max.len())],
        )?;
        check_extremes(&self.min, &self.max)?;
        let unset = self.min.iter().filter(|v| v.is_infinite()).count();
        ensure(unset == if self.seen { 0 } else { self.min.len() }, || {
            format!(
                "extremes: {unset} of {} features unset, but {}",
                self.min.len(),
                if self.seen {
                    "rows were learned"
                } else {
                    "no row was learned"
                }
            )
        })
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

impl CheckState for MaxAbsScaler {
    /// One largest absolute value per feature, each finite and not negative.
    fn check_state(&self) -> StateResult {
        per_feature(self.dim, &[("largest absolute values", self.max_abs.len())])?;
        all_nonneg("largest absolute values", &self.max_abs)
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

impl CheckState for Normalizer {
    /// The width of the rows it takes no wider than a row can be (it is tied to no stored
    /// vector, and a pipeline sizes its buffers by it).
    fn check_state(&self) -> StateResult {
        self.params.check_state()?;
        check_width("dim", self.dim)
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

impl CheckState for AdaptiveStandardScaler {
    /// A mean and a mean square per feature, no NaN, the mean squares not negative (they
    /// may overflow to infinity; the variance is then infinite and the output 0).
    fn check_state(&self) -> StateResult {
        self.params.check_state()?;
        per_feature(
            self.dim,
            &[
                ("means", self.mean.len()),
                ("mean squares", self.mean_sq.len()),
            ],
        )?;
        all_not_nan("means", &self.mean)?;
        all_at_least_zero("mean squares", &self.mean_sq)
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

    fn rows() -> [[f64; 2]; 3] {
        [[1.0, 5.0], [3.0, -5.0], [2.0, 0.5]]
    }

    fn learn<T: Transformer>(mut t: T) -> T {
        for x in rows() {
            t.learn_one(Row::Dense(&x), None).unwrap();
        }
        t
    }

    #[test]
    fn a_learned_min_max_scaler_passes_and_corruptions_are_named() {
        assert_eq!(MinMaxScaler::new().check_state(), Ok(()));
        let ok = learn(MinMaxScaler::new());
        assert_eq!(ok.check_state(), Ok(()));
        let mut s = ok.clone();
        s.max.push(1.0);
        let e = s.check_state().unwrap_err();
        assert_eq!(e, "maxima: 3 values where the model needs 2");
        let mut s = ok.clone();
        s.min[1] = 9.0;
        let e = s.check_state().unwrap_err();
        assert!(e.starts_with("feature 1: extremes [9, 5]"), "{e}");
        let mut s = ok.clone();
        s.max[0] = f64::NAN;
        assert!(s.check_state().unwrap_err().starts_with("feature 0:"));
        let mut s = ok;
        s.seen = false;
        let e = s.check_state().unwrap_err();
        assert!(e.contains("no row was learned"), "{e}");
        let mut s = MinMaxScaler::new();
        s.learn_one(Row::Dense(&[1.0, 2.0]), Some(0.0)).unwrap();
        assert_eq!(s.check_state(), Ok(()));
        s.seen = true;
        assert!(s.check_state().unwrap_err().contains("rows were learned"));
    }

    #[test]
    fn a_learned_max_abs_scaler_passes_and_corruptions_are_named() {
        let ok = learn(MaxAbsScaler::new());
        assert_eq!(ok.check_state(), Ok(()));
        let mut s = ok.clone();
        s.max_abs.pop();
        let e = s.check_state().unwrap_err();
        assert_eq!(
            e,
            "largest absolute values: 1 values where the model needs 2"
        );
        let mut s = ok;
        s.max_abs[1] = -2.0;
        let e = s.check_state().unwrap_err();
        assert!(e.starts_with("largest absolute values[1]: -2"), "{e}");
        // A dimension without values would index past the end when learning.
        let bad: MaxAbsScaler = serde_json::from_str(r#"{"dim":4,"max_abs":[]}"#).unwrap();
        assert!(bad.check_state().is_err());
    }

    #[test]
    fn a_normalizer_of_a_possible_width_passes() {
        let ok = learn(Normalizer::default());
        assert_eq!(ok.check_state(), Ok(()));
        let mut n = ok.clone();
        n.dim = Some(usize::MAX);
        let e = n.check_state().unwrap_err();
        assert!(e.starts_with("dim: 18446744073709551615 features"), "{e}");
        let mut v = serde_json::to_value(&ok).unwrap();
        v["dim"] = serde_json::json!(1u64 << 33);
        let n: Normalizer = serde_json::from_value(v).unwrap();
        assert!(
            n.check_state()
                .unwrap_err()
                .starts_with("dim: 8589934592 features")
        );
    }

    #[test]
    fn a_learned_adaptive_scaler_passes_and_corruptions_are_named() {
        assert_eq!(AdaptiveStandardScaler::default().check_state(), Ok(()));
        let ok = learn(AdaptiveStandardScaler::default());
        assert_eq!(ok.check_state(), Ok(()));
        let mut s = ok.clone();
        s.mean_sq.clear();
        let e = s.check_state().unwrap_err();
        assert_eq!(e, "mean squares: 0 values where the model needs 2");
        let mut s = ok.clone();
        s.mean[0] = f64::NAN;
        assert_eq!(s.check_state().unwrap_err(), "means[0]: NaN");
        let mut s = ok.clone();
        s.mean_sq[1] = -1.0;
        assert!(s.check_state().unwrap_err().starts_with("mean squares[1]"));
        let mut s = ok;
        s.params.fading_factor = 2.0;
        assert!(s.check_state().unwrap_err().starts_with("params: "));
    }
}
