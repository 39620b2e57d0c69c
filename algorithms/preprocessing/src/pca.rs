//! Principal component analysis: [`Pca`] (exact covariance, batch and stream) and
//! [`IncrementalPca`] (Ross et al.'s incremental SVD, scikit-learn's `IncrementalPCA`).
//!
//! The decompositions run on nalgebra inside; the public API speaks slices.

use nalgebra::{DMatrix, SymmetricEigen};
use serde::{Deserialize, Serialize};
use tidewater_core::check::{
    CheckState, StateResult, all_at_least_zero, all_finite, all_not_nan, ensure, not_nan, same_len,
};
use tidewater_core::row::check_weight;
use tidewater_core::spec::Params;
use tidewater_core::traits::check_out_len;
use tidewater_core::{Batch, Build, Dataset, Error, FeatureVector, Fit, Result, Row, Transformer};

use crate::common::{
    at_least_zero, bits_eq, check_width, dense, fit_by_learning, not_fitted, opt_text, per_feature,
};

/// Makes each row of a `k x d` row-major matrix have its largest-magnitude entry positive
/// (scikit-learn's `svd_flip` on the components), so that signs are deterministic.
fn flip_signs(components: &mut [f64], d: usize) {
    for row in components.chunks_exact_mut(d) {
        let mut best = 0usize;
        for j in 1..d {
            if row[j].abs() > row[best].abs() {
                best = j;
            }
        }
        if row[best] < 0.0 {
            row.iter_mut().for_each(|v| *v = -*v);
        }
    }
}

fn names(k: usize) -> Vec<String> {
    (0..k).map(|i| format!("pc{i}")).collect()
}

/// `(x - mean) . components[i]` for each of the `k` components, whitened if asked.
fn project(
    x: &[f64],
    mean: &[f64],
    components: &[f64],
    var: &[f64],
    whiten: bool,
    out: &mut [f64],
) {
    let d = mean.len();
    for (i, o) in out.iter_mut().enumerate() {
        let c = &components[i * d..(i + 1) * d];
        let mut s = 0.0;
        for j in 0..d {
            s += (x[j] - mean[j]) * c[j];
        }
        *o = if whiten && var[i] > 0.0 {
            s / var[i].sqrt()
        } else {
            s
        };
    }
}

// ------------------------------------------------------------------------------------------
// PCA

/// Hyper-parameters of [`Pca`] (scikit-learn's names).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "pca",
    summary = "project on the principal components of the exact running covariance (eigendecomposition; batch and stream agree)"
)]
pub struct PcaParams {
    /// Components to keep (none: all, the number of features).
    #[param(default = None, ge = 1)]
    pub n_components: Option<usize>,
    /// Scale each projection to unit variance (divide by the square root of its explained variance).
    #[param(default = false)]
    pub whiten: bool,
}

impl Build for PcaParams {
    type Model = Pca;
    fn build(&self) -> Result<Pca> {
        self.validate()?;
        Ok(Pca {
            params: self.clone(),
            dim: None,
            weight: 0.0,
            mean: Vec::new(),
            comoment: Vec::new(),
            components: Vec::new(),
            explained_variance: Vec::new(),
            total_variance: 0.0,
            scratch: Vec::new(),
        })
    }
}

fit_by_learning!(PcaParams, Pca, "PCA");

/// The most features [`Pca`] takes: its co-moment matrix holds `d²` values (8192: 512 MiB).
const PCA_MAX_FEATURES: usize = 8192;

/// The most features [`Pca`] learns row by row: every `learn_one` redoes the `O(d³)`
/// decomposition, about 0.1 s per row at 512 features; `learn_many` and `fit` decompose once
/// per call and take up to [`PCA_MAX_FEATURES`].
const PCA_MAX_STREAM_FEATURES: usize = 512;

/// Refuses rows of more than `max` features, naming the bound; `how` says on which path.
fn check_pca_width(d: usize, max: usize, how: &str) -> Result<()> {
    if d > max {
        return Err(Error::Unsupported(format!(
            "pca takes at most {max} features{how}; got rows of {d}"
        )));
    }
    Ok(())
}

/// Principal component analysis on the exact running covariance.
///
/// The model keeps the weighted mean and co-moment matrix of the rows (Welford's update,
/// the same on both paths, so batch and stream agree exactly whatever the chunking), and
/// the components are the eigenvectors of the covariance (`co-moment / (weight - 1)`, as
/// scikit-learn's `ddof = 1`) by decreasing eigenvalue, each signed so that its
/// largest-magnitude entry is positive (scikit-learn's convention). On the stream path the
/// decomposition is redone after every row (`O(d³)`; `learn_many` does it once per batch), so
/// `learn_one` takes rows of at most 512 features, and every path at most 8192 (a clear error
/// instead of a covariance that would not fit).
/// Output columns are named `pc0, pc1, ...`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Pca {
    params: PcaParams,
    dim: Option<usize>,
    weight: f64,
    mean: Vec<f64>,
    comoment: Vec<f64>,
    components: Vec<f64>,
    explained_variance: Vec<f64>,
    total_variance: f64,
    #[serde(skip)]
    scratch: Vec<f64>,
}

impl PartialEq for Pca {
    fn eq(&self, o: &Self) -> bool {
        self.params == o.params
            && self.dim == o.dim
            && self.weight.to_bits() == o.weight.to_bits()
            && bits_eq(&self.mean, &o.mean)
            && bits_eq(&self.comoment, &o.comoment)
            && bits_eq(&self.components, &o.components)
    }
}

impl Pca {
    fn k(&self) -> Option<usize> {
        self.dim.map(|d| self.params.n_components.unwrap_or(d))
    }

    /// The components, one row of `n_features` values each (empty before any row).
    pub fn components(&self) -> Vec<Vec<f64>> {
        match self.dim {
            Some(d) if d > 0 => self.components.chunks(d).map(<[f64]>::to_vec).collect(),
            _ => Vec::new(),
        }
    }

    /// The variance along each component (`ddof = 1`).
    pub fn explained_variance(&self) -> &[f64] {
        &self.explained_variance
    }

    /// The share of the total variance along each component.
    pub fn explained_variance_ratio(&self) -> Vec<f64> {
        self.explained_variance
            .iter()
            .map(|v| {
                if self.total_variance > 0.0 {
                    v / self.total_variance
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// The running mean of each feature.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    fn init(&mut self, d: usize) -> Result<()> {
        if self.dim.is_some() {
            return Ok(());
        }
        check_pca_width(d, PCA_MAX_FEATURES, "")?;
        if d == 0 {
            // Nothing to decompose (and the co-moment rows would be empty chunks).
            return Err(Error::Unsupported(
                "PCA needs rows of at least one feature".into(),
            ));
        }
        if let Some(k) = self.params.n_components
            && k > d
        {
            return Err(Error::param(
                "n_components",
                format!("{k} components asked of {d} features"),
            ));
        }
        self.dim = Some(d);
        self.mean = vec![0.0; d];
        self.comoment = vec![0.0; d * d];
        Ok(())
    }

    fn absorb(&mut self, xs: &[f64], w: f64) {
        let d = self.mean.len();
        self.weight += w;
        let r = w / self.weight;
        // delta before the mean moves, then the co-moment with the moved mean.
        let delta: &mut Vec<f64> = &mut self.scratch;
        delta.clear();
        delta.extend(xs.iter().zip(&self.mean).map(|(x, m)| x - m));
        for (m, dl) in self.mean.iter_mut().zip(delta.iter()) {
            *m += dl * r;
        }
        for (row, &dl) in self.comoment.chunks_exact_mut(d).zip(delta.iter()) {
            let da = w * dl;
            for ((c, &x), &m) in row.iter_mut().zip(xs).zip(&self.mean) {
                *c += da * (x - m);
            }
        }
    }

    fn decompose(&mut self) {
        let Some(d) = self.dim else { return };
        let k = self.k().unwrap_or(d);
        let denom = if self.weight > 1.0 {
            self.weight - 1.0
        } else {
            1.0
        };
        // Symmetrise (the two triangles hold the same sums up to rounding).
        let cov = DMatrix::from_fn(d, d, |a, b| {
            0.5 * (self.comoment[a * d + b] + self.comoment[b * d + a]) / denom
        });
        self.total_variance = (0..d).map(|a| cov[(a, a)]).sum();
        let eig = SymmetricEigen::new(cov);
        let mut order: Vec<usize> = (0..d).collect();
        order.sort_by(|&a, &b| {
            eig.eigenvalues[b]
                .total_cmp(&eig.eigenvalues[a])
                .then(a.cmp(&b))
        });
        self.components.clear();
        self.explained_variance.clear();
        for &i in order.iter().take(k) {
            self.explained_variance.push(eig.eigenvalues[i].max(0.0));
            self.components
                .extend((0..d).map(|j| eig.eigenvectors[(j, i)]));
        }
        flip_signs(&mut self.components, d);
    }
}

impl Transformer for Pca {
    fn n_features_in(&self) -> Option<usize> {
        self.dim
    }
    fn n_features_out(&self) -> Option<usize> {
        self.k()
    }
    fn feature_names_out(&self, _: &[String]) -> Vec<String> {
        names(self.k().unwrap_or(0))
    }
    fn learn_one(&mut self, x: Row<'_>, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        check_pca_width(
            x.dim(),
            PCA_MAX_STREAM_FEATURES,
            " row by row (each row redoes the decomposition, d^3; learn_many or fit takes more, \
             incremental_pca learns wider streams)",
        )?;
        let w = check_weight(weight)?;
        self.init(x.dim())?;
        if w > 0.0 {
            let mut buf = Vec::new();
            let xs = dense(x, &mut buf);
            self.absorb(xs, w);
        }
        self.decompose();
        Ok(())
    }
    fn learn_many(&mut self, x: Batch<'_>, weights: Option<&[f64]>) -> Result<()> {
        if let Some(w) = weights {
            check_out_len("weights against rows", x.n_rows(), w.len())?;
        }
        for i in 0..x.n_rows() {
            let r = x.row(i).map_err(|e| e.in_row(i))?;
            self.check_row(r).map_err(|e| e.in_row(i))?;
            check_weight(weights.map(|w| w[i])).map_err(|e| e.in_row(i))?;
            if i == 0
                && self.dim.is_none()
                && let Some(k) = self.params.n_components
                && k > r.dim()
            {
                return Err(Error::param(
                    "n_components",
                    format!("{k} components asked of {} features", r.dim()),
                ));
            }
        }
        let mut buf = Vec::new();
        for i in 0..x.n_rows() {
            let r = x.row(i)?;
            self.init(r.dim())?;
            let w = weights.map_or(1.0, |w| w[i]);
            if w > 0.0 {
                let xs = dense(r, &mut buf);
                self.absorb(xs, w);
            }
        }
        if x.n_rows() > 0 {
            self.decompose();
        }
        Ok(())
    }
    fn transform_one(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        let k = self.k().ok_or_else(|| not_fitted("PCA"))?;
        self.check_row(x)?;
        check_out_len("output buffer", k, out.len())?;
        crate::common::with_dense(x, |xs| {
            project(
                xs,
                &self.mean,
                &self.components,
                &self.explained_variance,
                self.params.whiten,
                out,
            )
        });
        Ok(())
    }
}

impl CheckState for Pca {
    /// For `d > 0` features (none before the first row): `n_components` at most `d`, `d` means,
    /// a `d x d` co-moment matrix, `k` components of `d` values and `k` explained variances
    /// (`k` the components kept); no NaN, the weight, the co-moment diagonal and the
    /// variances not negative. Sums of large inputs may overflow to infinity: the
    /// eigendecomposition still ends, and the pipeline reports the infinite output.
    fn check_state(&self) -> StateResult {
        self.params.check_state()?;
        at_least_zero("weight", self.weight)?;
        not_nan("total variance", self.total_variance)?;
        let Some(d) = self.dim else {
            return per_feature(
                None,
                &[
                    ("means", self.mean.len()),
                    ("co-moments", self.comoment.len()),
                    ("components", self.components.len()),
                    ("explained variances", self.explained_variance.len()),
                ],
            );
        };
        ensure(d > 0, || "dim: a PCA of no features".into())?;
        ensure(d <= PCA_MAX_FEATURES, || {
            format!("dim: {d} features, more than {PCA_MAX_FEATURES}")
        })?;
        let k = self.params.n_components.unwrap_or(d);
        ensure(k <= d, || {
            format!("n_components: {k} components of {d} features")
        })?;
        let dd = d
            .checked_mul(d)
            .ok_or_else(|| format!("dim: {d} features, too many for a co-moment matrix"))?;
        same_len("means", self.mean.len(), d)?;
        same_len("co-moments", self.comoment.len(), dd)?;
        same_len("components", self.components.len(), k * d)?;
        same_len("explained variances", self.explained_variance.len(), k)?;
        all_not_nan("means", &self.mean)?;
        all_not_nan("co-moments", &self.comoment)?;
        all_at_least_zero("co-moment diagonal", self.comoment.iter().step_by(d + 1))?;
        all_not_nan("components", &self.components)?;
        all_at_least_zero("explained variances", &self.explained_variance)
    }
}

// ------------------------------------------------------------------------------------------
// IncrementalPCA

/// Hyper-parameters of [`IncrementalPca`] (scikit-learn's names and defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "incremental_pca",
    summary = "PCA updated batch by batch with Ross et al.'s incremental SVD (scikit-learn's IncrementalPCA); rows are buffered into batches",
    check = Self::check
)]
pub struct IncrementalPcaParams {
    /// Components to keep (none: the smaller of the number of features and the first batch's rows).
    #[param(default = None, ge = 1)]
    pub n_components: Option<usize>,
    /// Rows per incremental update (none: 5 times the number of features).
    #[param(default = None, ge = 1)]
    pub batch_size: Option<usize>,
    /// Scale each projection to unit variance.
    #[param(default = false)]
    pub whiten: bool,
}

impl IncrementalPcaParams {
    fn check(&self) -> Result<()> {
        if let (Some(k), Some(b)) = (self.n_components, self.batch_size)
            && k > b
        {
            return Err(Error::param(
                "batch_size",
                format!("must be at least n_components ({k}), got {b}"),
            ));
        }
        Ok(())
    }
}

impl Build for IncrementalPcaParams {
    type Model = IncrementalPca;
    fn build(&self) -> Result<IncrementalPca> {
        self.validate()?;
        Ok(IncrementalPca {
            params: self.clone(),
            dim: None,
            k: self.n_components,
            n_seen: 0,
            mean: Vec::new(),
            var: Vec::new(),
            components: Vec::new(),
            singular_values: Vec::new(),
            explained_variance: Vec::new(),
            explained_variance_ratio: Vec::new(),
            noise_variance: 0.0,
            pending: Vec::new(),
        })
    }
}

impl Fit for IncrementalPcaParams {
    type Model = IncrementalPca;
    /// scikit-learn's `IncrementalPCA.fit`: the rows in batches of `batch_size`, a last batch
    /// smaller than `n_components` joined to the one before.
    fn fit(&self, data: &Dataset) -> Result<IncrementalPca> {
        let n = data.n_rows();
        if n == 0 {
            return Err(Error::Empty(
                "cannot fit an incremental PCA on no rows".into(),
            ));
        }
        let mut m = self.build()?;
        let d = data.n_features();
        let b = data.batch();
        for i in 0..n {
            m.check(b.row(i)?, data.weights.as_ref().map(|w| w[i]))
                .map_err(|e| e.in_row(i))?;
        }
        let bs = self.batch_size.unwrap_or(5 * d).max(1);
        let min_bs = self.n_components.unwrap_or(0);
        let mut start = 0;
        let mut rows = Vec::new();
        let mut scratch = Vec::new();
        for _ in 0..n / bs {
            let end = start + bs;
            if end + min_bs > n {
                continue;
            }
            rows.clear();
            for i in start..end {
                rows.extend_from_slice(dense(b.row(i)?, &mut scratch));
            }
            m.partial_fit(&rows, d)?;
            start = end;
        }
        if start < n {
            rows.clear();
            for i in start..n {
                rows.extend_from_slice(dense(b.row(i)?, &mut scratch));
            }
            m.partial_fit(&rows, d)?;
        }
        Ok(m)
    }
}

/// Incremental PCA: Ross et al.'s update of a thin SVD with each new batch, as
/// scikit-learn's `IncrementalPCA.partial_fit` does it (the previous components scaled by
/// their singular values, the centred batch, and a mean-correction row, decomposed
/// together). The mean and variance are updated exactly; components are signed so that
/// their largest-magnitude entry is positive.
///
/// On the stream path `learn_one` buffers rows and updates once `batch_size` rows are
/// waiting, so the batches (and the result) do not depend on how the rows arrive; a buffer
/// not yet full is not used until it fills. [`partial_fit`](Self::partial_fit) takes one
/// batch of your choosing, and [`Fit`] is scikit-learn's `fit`. Until the first update,
/// `transform_one` writes zeros. Sample weights are not supported: a weight other than 0 or
/// 1 is an error (0 skips the row).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IncrementalPca {
    params: IncrementalPcaParams,
    dim: Option<usize>,
    k: Option<usize>,
    n_seen: u64,
    mean: Vec<f64>,
    var: Vec<f64>,
    components: Vec<f64>,
    singular_values: Vec<f64>,
    explained_variance: Vec<f64>,
    explained_variance_ratio: Vec<f64>,
    noise_variance: f64,
    pending: Vec<f64>,
}

impl IncrementalPca {
    /// The components, one row of `n_features` values each.
    pub fn components(&self) -> Vec<Vec<f64>> {
        match self.dim {
            Some(d) if d > 0 => self.components.chunks(d).map(<[f64]>::to_vec).collect(),
            _ => Vec::new(),
        }
    }
    /// The singular values of the components.
    pub fn singular_values(&self) -> &[f64] {
        &self.singular_values
    }
    /// The variance along each component (`ddof = 1`).
    pub fn explained_variance(&self) -> &[f64] {
        &self.explained_variance
    }
    /// The share of the total variance along each component.
    pub fn explained_variance_ratio(&self) -> &[f64] {
        &self.explained_variance_ratio
    }
    /// The mean of each feature over the rows used so far.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }
    /// The (population) variance of each feature over the rows used so far.
    pub fn var(&self) -> &[f64] {
        &self.var
    }
    /// The estimated noise variance (mean of the discarded components' variances).
    pub fn noise_variance(&self) -> f64 {
        self.noise_variance
    }
    /// The number of rows used so far (buffered rows not included).
    pub fn n_samples_seen(&self) -> u64 {
        self.n_seen
    }

    fn check(&self, x: Row<'_>, weight: Option<f64>) -> Result<bool> {
        self.check_row(x)?;
        let w = check_weight(weight)?;
        if w != 0.0 && w != 1.0 {
            return Err(Error::Unsupported(format!(
                "incremental PCA takes no sample weights (got {w}; 0 skips a row, 1 keeps it)"
            )));
        }
        if let (Some(k), None) = (self.params.n_components, self.dim)
            && k > x.dim()
        {
            return Err(Error::param(
                "n_components",
                format!("{k} components asked of {} features", x.dim()),
            ));
        }
        Ok(w == 1.0)
    }

    /// One incremental update with exactly the rows of `batch` (row-major, `d` values per
    /// row): scikit-learn's `partial_fit`. Rows buffered by `learn_one` stay buffered.
    pub fn partial_fit(&mut self, batch: &[f64], d: usize) -> Result<()> {
        if d == 0 || !batch.len().is_multiple_of(d) {
            return Err(Error::LengthMismatch {
                what: "batch values against rows of the features".into(),
                expected: d.max(1) * (batch.len() / d.max(1)),
                got: batch.len(),
            });
        }
        if let Some(dd) = self.dim
            && dd != d
        {
            return Err(Error::DimensionMismatch {
                expected: dd,
                got: d,
            });
        }
        if let Some(i) = batch.iter().position(|v| !v.is_finite()) {
            return Err(Error::BadValue {
                location: tidewater_core::Location::Feature(i % d),
                reason: "value is not finite".into(),
            }
            .in_row(i / d));
        }
        let n = batch.len() / d;
        if n == 0 {
            return Ok(());
        }
        let k = match (self.params.n_components, self.k) {
            (Some(k), _) => k,
            (None, Some(k)) => k,
            (None, None) => n.min(d),
        };
        if k > d {
            return Err(Error::param(
                "n_components",
                format!("{k} components asked of {d} features"),
            ));
        }
        if k > n {
            return Err(Error::param(
                "n_components",
                format!("{k} components need batches of at least {k} rows, got {n}"),
            ));
        }
        self.dim = Some(d);
        self.k = Some(k);
        // Exact running mean and variance (Chan et al.'s pairwise update).
        let last_n = self.n_seen as f64;
        let new_n = n as f64;
        let total = last_n + new_n;
        let mut batch_mean = vec![0.0; d];
        for row in batch.chunks_exact(d) {
            for (m, v) in batch_mean.iter_mut().zip(row) {
                *m += v;
            }
        }
        let new_sum = batch_mean.clone();
        batch_mean.iter_mut().for_each(|m| *m /= new_n);
        let mut new_m2 = vec![0.0; d];
        let mut corr = vec![0.0; d];
        for row in batch.chunks_exact(d) {
            for j in 0..d {
                let t = row[j] - batch_mean[j];
                corr[j] += t;
                new_m2[j] += t * t;
            }
        }
        let (mut mean, mut var) = (vec![0.0; d], vec![0.0; d]);
        for j in 0..d {
            new_m2[j] -= corr[j] * corr[j] / new_n;
            if self.n_seen == 0 {
                mean[j] = new_sum[j] / total;
                var[j] = new_m2[j] / total;
            } else {
                let last_sum = self.mean[j] * last_n;
                mean[j] = (last_sum + new_sum[j]) / total;
                let ratio = last_n / new_n;
                let m2 = self.var[j] * last_n
                    + new_m2[j]
                    + ratio / total * (last_sum / ratio - new_sum[j]).powi(2);
                var[j] = m2 / total;
            }
        }
        // The matrix to decompose.
        let first = self.n_seen == 0 || self.components.is_empty();
        let rows = if first { n } else { k + n + 1 };
        let mut x = DMatrix::<f64>::zeros(rows, d);
        let mut r = 0;
        if !first {
            for i in 0..k {
                for j in 0..d {
                    x[(r, j)] = self.singular_values[i] * self.components[i * d + j];
                }
                r += 1;
            }
        }
        let centre = if first { &mean } else { &batch_mean };
        for row in batch.chunks_exact(d) {
            for j in 0..d {
                x[(r, j)] = row[j] - centre[j];
            }
            r += 1;
        }
        if !first {
            let f = ((last_n / total) * new_n).sqrt();
            for j in 0..d {
                x[(r, j)] = f * (self.mean[j] - batch_mean[j]);
            }
        }
        // The SVD iterates until it converges, which it never does on an infinity or a NaN
        // (inputs near the largest float overflow the update): an error instead of a hang.
        if let Some(i) = x.iter().position(|v| !v.is_finite()) {
            return Err(Error::BadValue {
                location: tidewater_core::Location::Feature(i / rows),
                reason: "the incremental update overflows (values too large)".into(),
            });
        }
        let svd = x.svd(false, true);
        let vt = svd
            .v_t
            .ok_or_else(|| Error::Unsupported("the SVD did not converge".into()))?;
        let s = svd.singular_values;
        let m = s.len();
        let mut order: Vec<usize> = (0..m).collect();
        order.sort_by(|&a, &b| s[b].total_cmp(&s[a]).then(a.cmp(&b)));
        let mut comps = Vec::with_capacity(m * d);
        for &i in &order {
            comps.extend((0..d).map(|j| vt[(i, j)]));
        }
        flip_signs(&mut comps, d);
        let sv: Vec<f64> = order.iter().map(|&i| s[i]).collect();
        let ev: Vec<f64> = sv.iter().map(|v| v * v / (total - 1.0)).collect();
        let total_var: f64 = var.iter().map(|v| v * total).sum();
        self.explained_variance_ratio = sv.iter().take(k).map(|v| v * v / total_var).collect();
        self.noise_variance = if k != n && k != d && ev.len() > k {
            ev[k..].iter().sum::<f64>() / (ev.len() - k) as f64
        } else {
            0.0
        };
        comps.truncate(k * d);
        self.components = comps;
        self.singular_values = sv[..k.min(sv.len())].to_vec();
        self.explained_variance = ev[..k.min(ev.len())].to_vec();
        self.mean = mean;
        self.var = var;
        self.n_seen = self.n_seen.saturating_add(n as u64);
        Ok(())
    }

    fn batch_size(&self, d: usize) -> usize {
        self.params.batch_size.unwrap_or(d.saturating_mul(5)).max(1)
    }
}

impl Transformer for IncrementalPca {
    fn n_features_in(&self) -> Option<usize> {
        self.dim
    }
    fn n_features_out(&self) -> Option<usize> {
        let d = self.dim?;
        Some(self.k.unwrap_or_else(|| {
            self.params
                .n_components
                .unwrap_or(d.min(self.batch_size(d)))
        }))
    }
    fn feature_names_out(&self, _: &[String]) -> Vec<String> {
        names(self.n_features_out().unwrap_or(0))
    }
    fn learn_one(&mut self, x: Row<'_>, weight: Option<f64>) -> Result<()> {
        let keep = self.check(x, weight)?;
        let d = x.dim();
        if self.dim.is_none() {
            self.dim = Some(d);
        }
        if !keep {
            return Ok(());
        }
        let start = self.pending.len();
        self.pending.resize(start + d, 0.0);
        x.write_dense(&mut self.pending[start..]);
        if self.pending.len() >= self.batch_size(d).saturating_mul(d) {
            let rows = std::mem::take(&mut self.pending);
            let r = self.partial_fit(&rows, d);
            if r.is_err() {
                // Leave the buffer as it was but for this row.
                self.pending = rows;
                self.pending.truncate(start);
            }
            r?;
        }
        Ok(())
    }
    fn transform_one(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        let k = self
            .n_features_out()
            .ok_or_else(|| not_fitted("incremental PCA"))?;
        self.check_row(x)?;
        check_out_len("output buffer", k, out.len())?;
        if self.components.is_empty() {
            out.fill(0.0);
            return Ok(());
        }
        crate::common::with_dense(x, |xs| {
            project(
                xs,
                &self.mean,
                &self.components,
                &self.explained_variance,
                self.params.whiten,
                out,
            )
        });
        Ok(())
    }
}

impl CheckState for IncrementalPca {
    /// Before the first update (no row used): no statistics or components, and the
    /// dimension, tied to no vector yet, no wider than a row can be. After it: `d`
    /// features, `1 <= k <= d` components (the params' `n_components` when given), `d` means
    /// and variances, `k` components of `d` values, `k` singular values, explained
    /// variances and ratios. Always: the buffer whole rows, fewer than a batch, finite; no
    /// NaN in what the next update decomposes (means, components, singular values) nor in
    /// the variances. (Explained variances, their ratios and the noise variance are not
    /// checked: they are legitimately 0/0 after a first batch of one row or of constant
    /// rows, and whitening leaves a component whose variance is not positive unscaled.)
    fn check_state(&self) -> StateResult {
        self.params.check_state()?;
        let fitted = self.n_seen > 0;
        check_width("dim", self.dim)?;
        match self.dim {
            None => {
                ensure(!fitted, || {
                    format!("rows used: {} before any row", self.n_seen)
                })?;
                ensure(self.k == self.params.n_components, || {
                    "components: a number chosen before any row".into()
                })?;
            }
            Some(d) => {
                if let Some(k) = self.k {
                    ensure((1..=d).contains(&k), || {
                        format!("components: {k} for {d} features")
                    })?;
                }
                if let Some(n) = self.params.n_components {
                    ensure(n <= d, || {
                        format!("n_components: {n} components of {d} features")
                    })?;
                    ensure(self.k.is_none_or(|k| k == n), || {
                        format!(
                            "components: {} where the params ask {n}",
                            self.k.unwrap_or(0)
                        )
                    })?;
                }
                ensure(!fitted || self.k.is_some(), || {
                    "components: none chosen, but rows were used".into()
                })?;
            }
        }
        let d = self.dim.unwrap_or(0);
        let k = if fitted { self.k.unwrap_or(0) } else { 0 };
        per_feature(
            fitted.then_some(d),
            &[("means", self.mean.len()), ("variances", self.var.len())],
        )?;
        let dk = k
            .checked_mul(d)
            .ok_or_else(|| format!("components: {k} of {d} features, too many"))?;
        same_len("components", self.components.len(), dk)?;
        same_len("singular values", self.singular_values.len(), k)?;
        same_len("explained variances", self.explained_variance.len(), k)?;
        same_len(
            "explained variance ratios",
            self.explained_variance_ratio.len(),
            k,
        )?;
        all_not_nan("means", &self.mean)?;
        all_not_nan("variances", &self.var)?;
        all_not_nan("components", &self.components)?;
        all_not_nan("singular values", &self.singular_values)?;
        let p = self.pending.len();
        let batch = self.batch_size(d).saturating_mul(d);
        ensure(
            p == 0 || (d > 0 && p.is_multiple_of(d) && p < batch),
            || format!("buffer: {p} values, not whole rows of {d} fewer than a batch ({batch})"),
        )?;
        all_finite("buffer", &self.pending)
    }
}

impl std::fmt::Display for IncrementalPcaParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "incremental_pca(n_components={},batch_size={})",
            opt_text(&self.n_components),
            opt_text(&self.batch_size)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<[f64; 3]> {
        (0..12)
            .map(|i| {
                let v = f64::from(i);
                [v, (v * 7.0) % 5.0, 2.0 * v - 1.0 + (v * 3.0) % 2.0]
            })
            .collect()
    }

    fn learned<T: Transformer>(mut t: T, n: usize) -> T {
        for x in rows().iter().take(n) {
            t.learn_one(Row::Dense(x), None).unwrap();
        }
        t
    }

    #[test]
    fn pcas_pass_on_both_paths_and_corruptions_are_named() {
        let p = PcaParams::default().n_components(2);
        assert_eq!(p.build().unwrap().check_state(), Ok(()));
        let ok = learned(p.build().unwrap(), 12);
        assert_eq!(ok.check_state(), Ok(()));
        let r = rows();
        let data = crate::common::dataset(&r.iter().map(|x| &x[..]).collect::<Vec<_>>());
        assert_eq!(
            PcaParams::default().fit(&data).unwrap().check_state(),
            Ok(())
        );
        let refused = |m: Pca, want: &str| {
            let e = m.check_state().unwrap_err();
            assert!(e.starts_with(want), "{e}");
        };
        let mut m = ok.clone();
        m.params.n_components = Some(4);
        refused(m, "n_components: 4 components of 3 features");
        let mut m = ok.clone();
        m.comoment.pop();
        refused(m, "co-moments: 8 values where the model needs 9");
        let mut m = ok.clone();
        m.components.truncate(3);
        refused(m, "components: 3 values where the model needs 6");
        let mut m = ok.clone();
        m.mean[2] = f64::NAN;
        refused(m, "means[2]: NaN");
        let mut m = ok.clone();
        m.comoment[4] = -1.0;
        refused(m, "co-moment diagonal[1]: -1");
        let mut m = ok.clone();
        m.weight = f64::NAN;
        refused(m, "weight: NaN");
        let mut m = ok;
        m.dim = Some(1 << 33);
        refused(m, "dim: 8589934592 features, more than 8192");
        let m: Pca = serde_json::from_value(serde_json::json!({
            "params": {"n_components": null, "whiten": false},
            "dim": 0, "weight": 0.0, "mean": [], "comoment": [], "components": [],
            "explained_variance": [], "total_variance": 0.0
        }))
        .unwrap();
        refused(m, "dim: a PCA of no features");
    }

    #[test]
    fn a_pca_refuses_rows_without_features() {
        let mut m = PcaParams::default().build().unwrap();
        assert!(m.learn_one(Row::Dense(&[]), None).is_err());
        assert_eq!(m, PcaParams::default().build().unwrap());
    }

    #[test]
    fn incremental_pcas_pass_at_every_stage_and_corruptions_are_named() {
        let p = IncrementalPcaParams::default().batch_size(4);
        for n in [0, 1, 4, 6, 12] {
            assert_eq!(learned(p.build().unwrap(), n).check_state(), Ok(()), "{n}");
        }
        let one = IncrementalPcaParams::default().batch_size(1);
        assert_eq!(learned(one.build().unwrap(), 3).check_state(), Ok(()));
        let r = rows();
        let data = crate::common::dataset(&r.iter().map(|x| &x[..]).collect::<Vec<_>>());
        let fitted = IncrementalPcaParams::default().n_components(2).fit(&data);
        assert_eq!(fitted.unwrap().check_state(), Ok(()));

        let ok = learned(p.build().unwrap(), 6);
        assert_eq!(ok.pending.len(), 6);
        let refused = |m: IncrementalPca, want: &str| {
            let e = m.check_state().unwrap_err();
            assert!(e.starts_with(want), "{e}");
        };
        let mut m = ok.clone();
        m.singular_values.pop();
        refused(m, "singular values: 2 values where the model needs 3");
        let mut m = ok.clone();
        m.params.n_components = Some(2);
        refused(m, "components: 3 where the params ask 2");
        let mut m = ok.clone();
        m.pending.push(1.0);
        refused(m, "buffer: 7 values, not whole rows of 3");
        let mut m = ok.clone();
        m.pending.extend([1.0; 6]);
        refused(m, "buffer: 12 values");
        let mut m = ok.clone();
        m.components[1] = f64::NAN;
        refused(m, "components[1]: NaN");
        let mut m = ok.clone();
        m.n_seen = 0;
        refused(m, "means: 3 values where the model needs 0");
        let mut m = ok.clone();
        m.mean.clear();
        refused(m, "means: 0 values where the model needs 3");
        let mut m = learned(p.build().unwrap(), 2);
        m.dim = Some(usize::MAX);
        refused(m, "dim: 18446744073709551615 features");
        let mut m = learned(p.build().unwrap(), 0);
        m.n_seen = 5;
        refused(m, "rows used: 5 before any row");
    }

    #[test]
    fn an_overflowing_incremental_update_is_an_error_not_a_hang() {
        let mut m = IncrementalPcaParams::default()
            .batch_size(2)
            .build()
            .unwrap();
        // The batch's sum overflows, and so does its centring.
        m.learn_one(Row::Dense(&[1e308, 0.0]), None).unwrap();
        let e = m.learn_one(Row::Dense(&[1e308, 1.0]), None).unwrap_err();
        assert!(e.to_string().contains("overflows"), "{e}");
        assert_eq!(m.check_state(), Ok(()));
    }

    /// Wide rows are named errors, not a covariance that ends the process (the checkpoint
    /// fuzz target timed out on a PCA learning rows of 2^13 hashed features): row by row at
    /// most 512 features, in batches at most 8192; the model is left as it was.
    #[test]
    fn wide_rows_are_refused_with_the_bound() {
        let mut m = PcaParams::default().build().unwrap();
        let wide = vec![1.0; PCA_MAX_STREAM_FEATURES + 1];
        let err = m
            .learn_one(Row::Dense(&wide), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("at most 512 features") && err.contains("513"),
            "{err}"
        );
        assert_eq!(m.n_features_out(), None);
        let x = ndarray::Array2::<f64>::ones((2, PCA_MAX_FEATURES + 1));
        let err = m
            .learn_many(Batch::Dense(x.view()), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("at most 8192 features"), "{err}");
        let x = ndarray::Array2::<f64>::ones((2, 600));
        m.learn_many(Batch::Dense(x.view()), None).unwrap();
        assert_eq!(m.n_features_out(), Some(600));
    }
}
