//! Least squares: [`LinearRegression`] (batch QR/SVD, online River SGD) and the exact
//! [`Ridge`] (sufficient statistics on both paths).

use std::sync::Mutex;

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use tidewater_core::rounds::{Executor, RunInfo};
use tidewater_core::spec::Params;
use tidewater_core::traits::learn_dataset_regressor;
use tidewater_core::{Batch, Build, Dataset, Error, FeatureVector, Fit, Regressor, Result, Row};

use crate::glm::{Glm, check_rows, check_target, dataset_weights, glm_config};
use crate::optim::Optimizer;

/// Hyper-parameters of [`LinearRegression`]: River's names and defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "linear_regression",
    alloc_free,
    summary = "linear least squares: scikit-learn's LinearRegression in batch (QR/SVD), River's SGD online",
    check = Self::check
)]
pub struct LinearRegressionParams {
    /// Stream-path optimizer of the weights: sgd(lr,schedule=constant|inverse_scaling|optimal,power,alpha), adagrad(lr,eps), adam(lr,beta_1,beta_2,eps) or ftrl(alpha,beta,l1,l2).
    #[param(default = Optimizer::sgd(0.01))]
    pub optimizer: Optimizer,
    /// L2 penalty: l2*w added to each row's gradient of the squared loss; the batch path minimises mean squared error + l2/2*|w|^2 (a ridge with scikit-learn's alpha = l2*n/2); 0 is ordinary least squares.
    #[param(default = 0.0, ge = 0)]
    pub l2: f64,
    /// River's cumulative L1 penalty (stream path only; the batch path refuses it).
    #[param(default = 0.0, ge = 0)]
    pub l1: f64,
    /// Learning rate of the intercept on the stream path.
    #[param(default = 0.01, ge = 0)]
    pub intercept_lr: f64,
    /// Bound on the absolute loss gradient of a row.
    #[param(default = 1e12, gt = 0)]
    pub clip_gradient: f64,
    /// Whether to learn an intercept (never penalised).
    #[param(default = true)]
    pub fit_intercept: bool,
}

impl LinearRegressionParams {
    fn check(&self) -> Result<()> {
        self.optimizer.validate("optimizer")
    }
}

glm_config!(LinearRegressionParams);

impl Build for LinearRegressionParams {
    type Model = LinearRegression;
    fn build(&self) -> Result<LinearRegression> {
        self.validate()?;
        Ok(LinearRegression {
            params: self.clone(),
            glm: Glm::default(),
        })
    }
}

impl Fit for LinearRegressionParams {
    type Model = LinearRegression;

    /// Least squares as scikit-learn's `LinearRegression`: the data (and target) centred on
    /// their weighted means, rows scaled by the square root of their weight, then Householder
    /// QR (nalgebra), or the minimum-norm SVD solution when the design is rank deficient. With
    /// `l2 > 0`, the ridge of the same objective. The model then learns online by SGD.
    fn fit(&self, data: &Dataset) -> Result<LinearRegression> {
        let (y, w, total) = self.batch_inputs(data)?;
        let alpha = self.l2 * total / 2.0;
        let (coef, intercept) = least_squares(data, &y, &w, self.fit_intercept, alpha)?;
        Ok(LinearRegression {
            params: self.clone(),
            glm: Glm::fitted(&self.config(), coef, intercept),
        })
    }
}

impl LinearRegressionParams {
    /// What both batch fits start from: the parameters and every row checked (finite values
    /// and targets, the sample weights), the targets, the weights and their total.
    fn batch_inputs(&self, data: &Dataset) -> Result<(Vec<f64>, Vec<f64>, f64)> {
        self.validate()?;
        if self.l1 != 0.0 {
            return Err(Error::param(
                "l1",
                "River's cumulative L1 penalty has no batch path: fit with l2, or learn online",
            ));
        }
        let y = checked_values(data)?;
        let (w, total) = dataset_weights(data)?;
        Ok((y, w, total))
    }

    /// The batch fit with its rounds computed by `exec` (a parameter server's threads or
    /// processes, or [`Rayon`](tidewater_core::rounds::Rayon)): the same least squares as
    /// [`Fit::fit`], from the weighted, centred co-moments of the data (two rounds of block
    /// sums, see [`RidgeParams::fit_on`]) solved by Cholesky, or the minimum-norm solution by
    /// SVD when they are singular.
    ///
    /// Every executor gives the same bits; they agree with `fit` (QR of the design) to
    /// rounding, which the normal equations multiply by the design's condition number
    /// squared: to 1e-9 relative on well-conditioned data (tests), less on nearly collinear
    /// features. On processes that each hold only their own part of the rows, `data` is this
    /// process's part, and `l2`'s scale is every part's total weight.
    pub fn fit_on(
        &self,
        data: &Dataset,
        exec: &dyn Executor,
    ) -> Result<(LinearRegression, RunInfo)> {
        // The weights are checked (their total positive); the share's total is theirs added
        // in the same order when alone, every part's on parts.
        let (y, w, _) = self.batch_inputs(data)?;
        let d = data.n_features();
        if d.checked_mul(d).is_none_or(|dd| dd > MAX_RIDGE_ENTRIES) {
            return Err(Error::Unsupported(format!(
                "a least-squares fit in rounds keeps a {d} x {d} co-moment matrix, too large: \
                 fit without workers"
            )));
        }
        let shared = crate::moments::least_squares_share(&data.batch(), &w, exec)?;
        let ridge = RidgeParams {
            alpha: self.l2 * shared.weight / 2.0,
            fit_intercept: self.fit_intercept,
        };
        let (m, info) = ridge.fit_moments(data.batch(), &y, &w, shared, exec)?;
        let (coef, intercept) = m.with_solution(|s| (s.coef.clone(), s.intercept));
        if intercept.is_nan() || coef.iter().any(|c| c.is_nan()) {
            return Err(Error::Unsupported(
                "least squares: the co-moments have no finite solution (extreme values)".into(),
            ));
        }
        Ok((
            LinearRegression {
                params: self.clone(),
                glm: Glm::fitted(&self.config(), coef, intercept),
            },
            info,
        ))
    }
}

/// Every row of `data` checked (finite values) and its targets, checked finite (an error
/// names the first bad row).
fn checked_values(data: &Dataset) -> Result<Vec<f64>> {
    check_rows(data)?;
    let y = data.target()?.to_values()?;
    for (i, &v) in y.iter().enumerate() {
        check_target(v).map_err(|e| e.in_row(i))?;
    }
    Ok(y)
}

/// The most entries of a ridge's d×d matrix (2^26: 512 MB).
const MAX_RIDGE_ENTRIES: usize = 1 << 26;

/// Weighted least squares (ridge when `alpha > 0`) by QR of the centred, weighted design,
/// falling back to the minimum-norm SVD solution when it is rank deficient.
fn least_squares(
    data: &Dataset,
    y: &[f64],
    w: &[f64],
    fit_intercept: bool,
    alpha: f64,
) -> Result<(Vec<f64>, f64)> {
    let (n, d) = (data.n_rows(), data.n_features());
    let total: f64 = w.iter().sum();
    let x = data.batch();
    let mut mx = vec![0.0; d];
    let mut my = 0.0;
    if fit_intercept {
        for i in 0..n {
            let r = x.row(i)?;
            r.axpy_into(w[i] / total, &mut mx);
            my += w[i] / total * y[i];
        }
    }
    let extra = if alpha > 0.0 { d } else { 0 };
    let rows = n + extra;
    if rows.checked_mul(d.max(1)).is_none_or(|c| c > 1 << 28) {
        return Err(Error::Unsupported(format!(
            "a dense least-squares fit of {n} rows by {d} features is too large"
        )));
    }
    let mut a = DMatrix::<f64>::zeros(rows, d);
    let mut b = DVector::<f64>::zeros(rows);
    let mut dense = vec![0.0; d];
    for i in 0..n {
        let s = w[i].sqrt();
        x.row(i)?.write_dense(&mut dense);
        for j in 0..d {
            a[(i, j)] = s * (dense[j] - mx[j]);
        }
        b[i] = s * (y[i] - my);
    }
    for j in 0..extra {
        a[(n + j, j)] = alpha.sqrt();
    }
    let coef = solve_least_squares(a, b)?;
    let intercept = if fit_intercept {
        my - coef.iter().zip(&mx).map(|(c, m)| c * m).sum::<f64>()
    } else {
        0.0
    };
    Ok((coef, intercept))
}

/// nalgebra's SVD with a bound on its iterations (its `svd` has none, and on a matrix of
/// extreme finite values it can iterate for ever: the checkpoint fuzz target found a ridge
/// model whose prediction did not end). `None` when it does not converge within
/// `1000 + 100 * min(rows, columns)` iterations, far more than a well-scaled matrix needs.
fn bounded_svd(
    a: DMatrix<f64>,
) -> Option<nalgebra::linalg::SVD<f64, nalgebra::Dyn, nalgebra::Dyn>> {
    let n = a.nrows().min(a.ncols());
    nalgebra::linalg::SVD::try_new(a, true, true, f64::EPSILON, 1000 + 100 * n)
}

fn solve_least_squares(a: DMatrix<f64>, b: DVector<f64>) -> Result<Vec<f64>> {
    let (rows, d) = a.shape();
    if d == 0 {
        return Ok(Vec::new());
    }
    if rows >= d {
        let qr = a.clone().qr();
        let r = qr.r();
        let diag_max = (0..d).fold(0.0f64, |m, i| m.max(r[(i, i)].abs()));
        let diag_min = (0..d).fold(f64::INFINITY, |m, i| m.min(r[(i, i)].abs()));
        if diag_max > 0.0 && diag_min > diag_max * rows as f64 * f64::EPSILON * 1e3 {
            let mut qtb = b.clone();
            qr.q_tr_mul(&mut qtb);
            let top = qtb.rows(0, d).into_owned();
            if let Some(sol) = r.solve_upper_triangular(&top) {
                return Ok(sol.iter().copied().collect());
            }
        }
    }
    // Rank deficient (or fewer rows than features): the minimum-norm solution, as LAPACK's
    // gelsd behind scikit-learn, with its default cut-off for small singular values.
    let svd = bounded_svd(a).ok_or_else(|| {
        Error::Unsupported("least squares: the SVD did not converge (extreme values)".into())
    })?;
    let smax = svd.singular_values.iter().fold(0.0f64, |m, &s| m.max(s));
    let eps = smax * rows.max(d) as f64 * f64::EPSILON;
    let sol = svd
        .solve(&b, eps)
        .map_err(|e| Error::Unsupported(format!("least squares failed: {e}")))?;
    Ok(sol.iter().copied().collect())
}

/// Linear regression with one model type for both paths.
///
/// **Batch path**: scikit-learn's `LinearRegression` (see [`Fit::fit`] on the params).
/// **Stream path**: River's `LinearRegression`: zero initial weights, the squared loss
/// `(p - y)^2` whose gradient `2 (p - y)` (clipped, times the sample weight) moves the
/// intercept by `intercept_lr` and, with `l2 * w` added, goes to the optimizer; then the
/// cumulative L1 penalty when `l1 > 0`. A batch-fitted model keeps learning online.
/// Predicts 0 before it has learned anything.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinearRegression {
    params: LinearRegressionParams,
    glm: Glm,
}

impl LinearRegression {
    /// An empty model with River's defaults.
    pub fn new() -> Self {
        LinearRegressionParams::default()
            .build()
            .expect("default parameters are valid")
    }

    /// The hyper-parameters.
    pub fn params(&self) -> &LinearRegressionParams {
        &self.params
    }

    /// The weights (empty before the first row).
    pub fn coef(&self) -> &[f64] {
        &self.glm.weights
    }

    /// The intercept.
    pub fn intercept(&self) -> f64 {
        self.glm.intercept
    }
}

impl Default for LinearRegression {
    fn default() -> Self {
        Self::new()
    }
}

impl tidewater_core::check::CheckState for LinearRegression {
    fn check_state(&self) -> tidewater_core::check::StateResult {
        self.params.check_state()?;
        self.glm.check(self.params.config().optimizer)
    }
}

impl tidewater_core::check::CheckState for Ridge {
    /// Means, co-moments and cross-moments sized for `dim` features (at most the largest
    /// matrix the model accepts), no NaN, the weight not negative.
    fn check_state(&self) -> tidewater_core::check::StateResult {
        use tidewater_core::check::*;
        self.params.check_state()?;
        let d = self.dim.unwrap_or(0);
        ensure(
            d.checked_mul(d).is_some_and(|dd| dd <= MAX_RIDGE_ENTRIES),
            || format!("dim: {d} features, more than ridge keeps"),
        )?;
        same_len("feature means", self.mean_x.len(), d)?;
        same_len("co-moments", self.cxx.len(), d * d)?;
        same_len("cross-moments", self.cxy.len(), d)?;
        ensure(self.weight >= 0.0, || {
            format!("weight: {} is below 0 or NaN", self.weight)
        })?;
        not_nan("target mean", self.mean_y)?;
        all_not_nan("feature means", &self.mean_x)?;
        all_not_nan("co-moments", &self.cxx)?;
        all_not_nan("cross-moments", &self.cxy)
    }
}

impl Regressor for LinearRegression {
    fn check_row(&self, x: Row<'_>) -> Result<()> {
        crate::glm::check_row(x, self.n_features())
    }
    fn n_features(&self) -> Option<usize> {
        self.glm.dim
    }

    fn learn_one(&mut self, x: Row<'_>, y: f64, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        let w = crate::glm::weight(weight)?;
        check_target(y)?;
        let cfg = self.params.config();
        self.glm.ensure(&cfg, x.dim());
        let p = self.glm.raw(x);
        self.glm.learn(&cfg, x, 2.0 * (p - y) * w);
        Ok(())
    }

    fn predict_one(&self, x: Row<'_>) -> Result<f64> {
        self.check_row(x)?;
        Ok(self.glm.raw(x))
    }
}

/// Hyper-parameters of [`Ridge`] (scikit-learn's names and defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "ridge",
    alloc_free,
    summary = "ridge regression, exact on both paths (scikit-learn's alpha; sufficient statistics)"
)]
pub struct RidgeParams {
    /// The penalty: the model minimises the sum of (weighted) squared errors + alpha*|w|^2.
    #[param(default = 1.0, ge = 0)]
    pub alpha: f64,
    /// Whether to fit an intercept (never penalised).
    #[param(default = true)]
    pub fit_intercept: bool,
}

impl Build for RidgeParams {
    type Model = Ridge;
    fn build(&self) -> Result<Ridge> {
        self.validate()?;
        Ok(Ridge {
            params: self.clone(),
            dim: None,
            weight: 0.0,
            mean_x: Vec::new(),
            mean_y: 0.0,
            cxx: Vec::new(),
            cxy: Vec::new(),
            scratch: Vec::new(),
            cache: Mutex::new(Solution::default()),
        })
    }
}

impl Fit for RidgeParams {
    type Model = Ridge;
    /// The batch path accumulates the same statistics as the stream path, row by row, so a
    /// fitted model equals one that learned the same rows (law 1) bit for bit.
    fn fit(&self, data: &Dataset) -> Result<Ridge> {
        let mut m = self.build()?;
        learn_dataset_regressor(&mut m, data)?;
        Ok(m)
    }
}

impl RidgeParams {
    /// The batch fit with its rounds computed by `exec` (a parameter server's threads or
    /// processes, or [`Rayon`](tidewater_core::rounds::Rayon)): the same statistics as
    /// [`Fit::fit`], summed over fixed blocks of rows instead of updated row by row. The
    /// first round sums the weighted rows and targets (their means), the second the
    /// co-moments centred on them (one round without an intercept); the blocks' parts are
    /// added in block order, so every executor gives the same bits. They agree with `fit`'s
    /// Welford updates to rounding (1e-9 relative in the tests), not bit for bit: the two
    /// add the same terms in another order. The model then learns online as any other.
    ///
    /// A fit of two rounds takes no checkpoints: an executor's are not used. On processes
    /// that each hold only their own part of the rows, `data` is this process's part (see
    /// [`LogisticRegressionParams::fit_on`](crate::LogisticRegressionParams::fit_on)).
    pub fn fit_on(&self, data: &Dataset, exec: &dyn Executor) -> Result<(Ridge, RunInfo)> {
        self.validate()?;
        let y = checked_values(data)?;
        // Each weight checked, but (unlike `dataset_weights`) a total of 0 allowed: the row
        // loop of `fit` allows it, and gives the empty model.
        let w = match &data.weights {
            Some(w) => {
                for (i, &v) in w.iter().enumerate() {
                    crate::glm::weight(Some(v)).map_err(|e| e.in_row(i))?;
                }
                w.clone()
            }
            None => vec![1.0; data.n_rows()],
        };
        let shared = crate::moments::least_squares_share(&data.batch(), &w, exec)?;
        self.fit_moments(data.batch(), &y, &w, shared, exec)
    }

    /// [`fit_on`](Self::fit_on) on checked rows, targets and weights, cut into blocks as
    /// `shared` says.
    fn fit_moments(
        &self,
        x: Batch<'_>,
        y: &[f64],
        w: &[f64],
        shared: crate::parts::Shared,
        exec: &dyn Executor,
    ) -> Result<(Ridge, RunInfo)> {
        let mut m = self.build()?;
        m.ensure(x.n_cols())?;
        let (mo, info) = crate::moments::moments_on(x, y, w, self.fit_intercept, shared, exec)?;
        m.weight = mo.weight;
        if self.fit_intercept {
            m.mean_x = mo.mean_x;
            m.mean_y = mo.mean_y;
        }
        m.cxx = mo.cxx;
        m.cxy = mo.cxy;
        // The objective at the solution: sum w (y - p)^2 + alpha |b|^2 = cyy - b . c, as
        // (C + alpha I) b = c.
        let bc: f64 = m.with_solution(|s| s.coef.iter().zip(&m.cxy).map(|(b, c)| b * c).sum());
        exec.round_done(info.rounds, mo.cyy - bc);
        Ok((m, info))
    }
}

/// The solved coefficients, recomputed lazily after updates.
#[derive(Debug, Default)]
struct Solution {
    fresh: bool,
    coef: Vec<f64>,
    intercept: f64,
    /// Reused storage for the factorisation.
    matrix: Option<DMatrix<f64>>,
    rhs: Option<DVector<f64>>,
}

/// Ridge regression, exact on both paths.
///
/// The model keeps sufficient statistics: the total sample weight, the weighted means of the
/// features and of the target, and the centred co-moment matrix `C = sum w (x - m)(x - m)^T`
/// and vector `c = sum w (x - m)(y - m_y)`, updated per row by Welford's rank-one formulas
/// (without intercept: the raw moments). The coefficients solve `(C + alpha I) b = c`, which
/// is scikit-learn's `Ridge` on the rows seen so far (the centred, weighted design), and the
/// intercept is `m_y - m . b`. So after n rows the stream model *is* the batch fit on those
/// rows, whatever the chunking, and [`Fit::fit`] is the same row loop.
///
/// **Costs.** An update is O(d²) (a rank-one update of the upper triangle) and allocates
/// nothing. The first prediction after one or more updates solves the d×d system by Cholesky
/// (O(d³/3), nalgebra, in reused storage, so it allocates nothing either); later predictions
/// cost O(d) until the next update. A singular system (`alpha = 0` with collinear features)
/// falls back to the minimum-norm SVD solution, which allocates. The solution is kept behind a
/// mutex so that prediction takes `&self` and the model stays `Sync`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Ridge {
    params: RidgeParams,
    dim: Option<usize>,
    weight: f64,
    mean_x: Vec<f64>,
    mean_y: f64,
    /// Upper triangle of the d×d co-moment matrix, row-major.
    cxx: Vec<f64>,
    cxy: Vec<f64>,
    #[serde(skip)]
    scratch: Vec<f64>,
    #[serde(skip)]
    cache: Mutex<Solution>,
}

impl Clone for Ridge {
    fn clone(&self) -> Self {
        Ridge {
            params: self.params.clone(),
            dim: self.dim,
            weight: self.weight,
            mean_x: self.mean_x.clone(),
            mean_y: self.mean_y,
            cxx: self.cxx.clone(),
            cxy: self.cxy.clone(),
            scratch: Vec::new(),
            cache: Mutex::new(Solution::default()),
        }
    }
}

impl PartialEq for Ridge {
    fn eq(&self, o: &Self) -> bool {
        self.params == o.params
            && self.dim == o.dim
            && self.weight == o.weight
            && self.mean_x == o.mean_x
            && self.mean_y == o.mean_y
            && self.cxx == o.cxx
            && self.cxy == o.cxy
    }
}

impl Ridge {
    /// An empty model with scikit-learn's defaults.
    pub fn new() -> Self {
        RidgeParams::default()
            .build()
            .expect("default parameters are valid")
    }

    /// The hyper-parameters.
    pub fn params(&self) -> &RidgeParams {
        &self.params
    }

    /// The total sample weight learned.
    pub fn total_weight(&self) -> f64 {
        self.weight
    }

    /// The coefficients (solving the system if needed; empty before the first row).
    pub fn coef(&self) -> Vec<f64> {
        self.with_solution(|s| s.coef.clone())
    }

    /// The intercept (solving the system if needed).
    pub fn intercept(&self) -> f64 {
        self.with_solution(|s| s.intercept)
    }

    fn with_solution<R>(&self, f: impl FnOnce(&Solution) -> R) -> R {
        let mut s = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if !s.fresh {
            self.solve(&mut s);
            s.fresh = true;
        }
        f(&s)
    }

    fn solve(&self, s: &mut Solution) {
        let Some(d) = self.dim else {
            s.coef.clear();
            s.intercept = 0.0;
            return;
        };
        if self.weight <= 0.0 {
            s.coef.clear();
            s.coef.resize(d, 0.0);
            s.intercept = 0.0;
            return;
        }
        if !self.cxx.iter().chain(&self.cxy).all(|v| v.is_finite()) {
            // The sums overflowed (inputs near the largest float): no finite system, and an
            // SVD would iterate for ever on it. The solution is NaN; predictions say so.
            s.coef.clear();
            s.coef.resize(d, f64::NAN);
            s.intercept = f64::NAN;
            return;
        }
        let mut m = match s.matrix.take() {
            Some(m) if m.nrows() == d => m,
            _ => DMatrix::zeros(d, d),
        };
        for i in 0..d {
            for j in i..d {
                let v = self.cxx[i * d + j] + if i == j { self.params.alpha } else { 0.0 };
                m[(i, j)] = v;
                m[(j, i)] = v;
            }
        }
        let mut rhs = match s.rhs.take() {
            Some(r) if r.len() == d => r,
            _ => DVector::zeros(d),
        };
        rhs.as_mut_slice().copy_from_slice(&self.cxy);
        match nalgebra::linalg::Cholesky::new(m) {
            Some(chol) => {
                chol.solve_mut(&mut rhs);
                s.matrix = Some(chol.unpack());
            }
            None => {
                // Cholesky consumed the matrix: rebuild the system for the SVD.
                let a = self.system(d);
                let Some(svd) = bounded_svd(a) else {
                    // Extreme (finite) sums the SVD cannot resolve: no solution, and
                    // predictions say so.
                    s.coef.clear();
                    s.coef.resize(d, f64::NAN);
                    s.intercept = f64::NAN;
                    s.rhs = Some(rhs);
                    return;
                };
                let smax = svd.singular_values.iter().fold(0.0f64, |m, &v| m.max(v));
                let eps = smax * d as f64 * f64::EPSILON;
                match svd.solve(&rhs, eps) {
                    Ok(sol) => rhs.copy_from(&sol),
                    Err(_) => rhs.fill(0.0),
                }
            }
        }
        s.coef.clear();
        s.coef.extend_from_slice(rhs.as_slice());
        s.intercept = if self.params.fit_intercept {
            self.mean_y
                - s.coef
                    .iter()
                    .zip(&self.mean_x)
                    .map(|(c, m)| c * m)
                    .sum::<f64>()
        } else {
            0.0
        };
        s.rhs = Some(rhs);
    }

    /// The symmetric system matrix `C + alpha I`.
    fn system(&self, d: usize) -> DMatrix<f64> {
        DMatrix::from_fn(d, d, |i, j| {
            let (a, b) = if i <= j { (i, j) } else { (j, i) };
            self.cxx[a * d + b] + if i == j { self.params.alpha } else { 0.0 }
        })
    }

    fn ensure(&mut self, d: usize) -> Result<()> {
        if self.dim.is_none() {
            if d.checked_mul(d).is_none_or(|dd| dd > MAX_RIDGE_ENTRIES) {
                return Err(Error::Unsupported(format!(
                    "ridge keeps a {d} x {d} co-moment matrix, too large: use ftrl or \
                     logistic_regression/linear_regression for wide sparse data"
                )));
            }
            self.dim = Some(d);
            self.mean_x = vec![0.0; d];
            self.cxx = vec![0.0; d * d];
            self.cxy = vec![0.0; d];
        }
        if self.scratch.len() != d {
            self.scratch = vec![0.0; d];
        }
        Ok(())
    }
}

impl Default for Ridge {
    fn default() -> Self {
        Self::new()
    }
}

impl Regressor for Ridge {
    fn check_row(&self, x: Row<'_>) -> Result<()> {
        crate::glm::check_row(x, self.n_features())
    }
    fn n_features(&self) -> Option<usize> {
        self.dim
    }

    fn learn_one(&mut self, x: Row<'_>, y: f64, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        let w = crate::glm::weight(weight)?;
        check_target(y)?;
        let d = x.dim();
        self.ensure(d)?;
        if w == 0.0 {
            return Ok(());
        }
        self.cache
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .fresh = false;
        let dx = &mut self.scratch;
        x.write_dense(dx);
        let (c, dy) = if self.params.fit_intercept {
            let total = self.weight + w;
            let c = w * self.weight / total;
            let r = w / total;
            for (v, m) in dx.iter_mut().zip(self.mean_x.iter_mut()) {
                *v -= *m;
                *m += r * *v;
            }
            let dy = y - self.mean_y;
            self.mean_y += r * dy;
            self.weight = total;
            (c, dy)
        } else {
            self.weight += w;
            (w, y)
        };
        for i in 0..d {
            let a = c * dx[i];
            if a != 0.0 {
                tidewater_core::kernels::axpy(a, &dx[i..], &mut self.cxx[i * d + i..(i + 1) * d]);
                self.cxy[i] += a * dy;
            }
        }
        Ok(())
    }

    fn predict_one(&self, x: Row<'_>) -> Result<f64> {
        self.check_row(x)?;
        if self.dim.is_none() {
            return Ok(0.0);
        }
        let (p, finite) = self.with_solution(|s| {
            (
                crate::glm::dot(x, &s.coef) + s.intercept,
                !s.intercept.is_nan(),
            )
        });
        if !finite {
            return Err(Error::Unsupported(
                "ridge: its system has no finite solution (sums overflowed on inputs too \
                 large, or extreme values the SVD cannot resolve)"
                    .into(),
            ));
        }
        Ok(p)
    }
}
