use serde::{Deserialize, Serialize};
use tidewater_core::spec::{ParamDoc, Params, Value, unknown_param};
use tidewater_core::traits::check_out_len;
use tidewater_core::{Build, Dataset, Error, FeatureVector, Fit, Result, Row, Transformer};

/// Hyper-parameters of [`StandardScaler`] (scikit-learn's and River's names and defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StandardScalerParams {
    /// Subtract the mean (default `true`).
    pub with_mean: bool,
    /// Divide by the standard deviation (default `true`).
    pub with_std: bool,
}

impl Default for StandardScalerParams {
    fn default() -> Self {
        StandardScalerParams {
            with_mean: true,
            with_std: true,
        }
    }
}

impl StandardScalerParams {
    /// Sets `with_mean`.
    pub fn with_mean(mut self, v: bool) -> Self {
        self.with_mean = v;
        self
    }

    /// Sets `with_std`.
    pub fn with_std(mut self, v: bool) -> Self {
        self.with_std = v;
        self
    }
}

impl Params for StandardScalerParams {
    const NAME: &'static str = "standard_scaler";
    const SUMMARY: &'static str =
        "standardise each feature to zero mean and unit variance (exact running statistics)";

    fn docs() -> Vec<ParamDoc> {
        vec![
            ParamDoc {
                name: "with_mean",
                default: "true".into(),
                doc: "subtract the running mean",
            },
            ParamDoc {
                name: "with_std",
                default: "true".into(),
                doc: "divide by the running population standard deviation",
            },
        ]
    }

    fn set(&mut self, name: &str, value: &Value) -> Result<()> {
        match name {
            "with_mean" => self.with_mean = value.as_bool(name)?,
            "with_std" => self.with_std = value.as_bool(name)?,
            _ => return Err(unknown_param(Self::NAME, name)),
        }
        Ok(())
    }

    fn validate(&self) -> Result<()> {
        Ok(())
    }
}

impl Build for StandardScalerParams {
    type Model = StandardScaler;
    fn build(&self) -> Result<StandardScaler> {
        self.validate()?;
        Ok(StandardScaler {
            params: self.clone(),
            weight: 0.0,
            mean: Vec::new(),
            m2: Vec::new(),
            scratch: Vec::new(),
        })
    }
}

impl Fit for StandardScalerParams {
    type Model = StandardScaler;
    fn fit(&self, data: &Dataset) -> Result<StandardScaler> {
        if data.n_rows() == 0 {
            return Err(Error::Empty("cannot fit a scaler on no rows".into()));
        }
        let mut m = self.build()?;
        m.learn_many(data.batch(), data.weights.as_deref())?;
        Ok(m)
    }
}

/// Standardises features: `(x - mean) / std`, with the mean and the population variance
/// kept exactly by Welford's weighted update.
///
/// Both paths run the same update, so a scaler fitted on a data set equals one that learned
/// the same rows one by one (law 1), and chunking does not matter (law 2). A feature with zero
/// variance is divided by 1 (as scikit-learn does). The first row fixes the number of
/// features. Learning and transforming allocate nothing after the first row.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StandardScaler {
    params: StandardScalerParams,
    weight: f64,
    mean: Vec<f64>,
    m2: Vec<f64>,
    #[serde(skip)]
    scratch: Vec<f64>,
}

impl PartialEq for StandardScaler {
    fn eq(&self, other: &Self) -> bool {
        self.params == other.params
            && self.weight.to_bits() == other.weight.to_bits()
            && bits_eq(&self.mean, &other.mean)
            && bits_eq(&self.m2, &other.m2)
    }
}

fn bits_eq(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

impl StandardScaler {
    /// An empty scaler with default parameters.
    pub fn new() -> Self {
        StandardScalerParams::default()
            .build()
            .expect("default parameters are valid")
    }

    /// The hyper-parameters.
    pub fn params(&self) -> &StandardScalerParams {
        &self.params
    }

    /// The running means, one per feature (empty before the first row).
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// The population variances, one per feature (0 before any weight was seen).
    pub fn var(&self) -> Vec<f64> {
        self.m2
            .iter()
            .map(|m| {
                if self.weight > 0.0 {
                    m / self.weight
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// The total weight of the rows seen (their number, with unit weights).
    pub fn n_seen(&self) -> f64 {
        self.weight
    }

    fn scale(&self, j: usize) -> f64 {
        if self.weight <= 0.0 {
            return 1.0;
        }
        let var = self.m2[j] / self.weight;
        if var > 0.0 { var.sqrt() } else { 1.0 }
    }
}

impl Default for StandardScaler {
    fn default() -> Self {
        Self::new()
    }
}

impl Transformer for StandardScaler {
    fn n_features_in(&self) -> Option<usize> {
        (!self.mean.is_empty()).then_some(self.mean.len())
    }

    fn n_features_out(&self) -> Option<usize> {
        self.n_features_in()
    }

    fn feature_names_out(&self, input: &[String]) -> Vec<String> {
        input.to_vec()
    }

    fn learn_one(&mut self, x: Row<'_>, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        let w = tidewater_core::row::check_weight(weight)?;
        let d = x.dim();
        if self.mean.is_empty() {
            self.mean = vec![0.0; d];
            self.m2 = vec![0.0; d];
        }
        if w == 0.0 {
            return Ok(());
        }
        let xs: &[f64] = match x {
            Row::Dense(v) => v,
            Row::Sparse(s) => {
                self.scratch.resize(d, 0.0);
                s.write_dense(&mut self.scratch);
                &self.scratch
            }
        };
        self.weight += w;
        let r = w / self.weight;
        for ((m, m2), &v) in self.mean.iter_mut().zip(self.m2.iter_mut()).zip(xs) {
            let delta = v - *m;
            *m += delta * r;
            *m2 += w * delta * (v - *m);
        }
        Ok(())
    }

    fn transform_one(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        let d = self
            .n_features_in()
            .ok_or_else(|| Error::NotFitted("the scaler has seen no row".into()))?;
        self.check_row(x)?;
        check_out_len("output buffer", d, out.len())?;
        x.write_dense(out);
        for (j, o) in out.iter_mut().enumerate() {
            if self.params.with_mean {
                *o -= self.mean[j];
            }
            if self.params.with_std {
                *o /= self.scale(j);
            }
        }
        Ok(())
    }
}
