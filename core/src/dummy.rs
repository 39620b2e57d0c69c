//! Baselines that River users compare against: the majority class, the last label seen, and
//! the running mean.

use serde::{Deserialize, Serialize};

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::label::{ClassSet, Label};
use crate::row::{Row, check_weight};
use crate::spec::Params;
use crate::traits::{
    Build, Classifier, Fit, Regressor, check_out_len, learn_dataset, learn_dataset_regressor,
};

macro_rules! no_params {
    ($params:ident, $model:ident, $name:literal, $summary:literal, $learn:ident $(, $prop:ident)*) => {
        #[doc = concat!("Hyper-parameters of [`", stringify!($model), "`] (it has none).")]
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
        #[params(name = $name, summary = $summary $(, $prop)*)]
        pub struct $params {}

        impl Build for $params {
            type Model = $model;
            fn build(&self) -> Result<$model> {
                Ok($model::default())
            }
        }

        impl Fit for $params {
            type Model = $model;
            fn fit(&self, data: &Dataset) -> Result<$model> {
                let mut m = self.build()?;
                $learn(&mut m, data)?;
                Ok(m)
            }
        }
    };
}

no_params!(
    PriorClassifierParams,
    PriorClassifier,
    "prior_classifier",
    "predicts the most frequent class so far (by weight), with the class shares as probabilities",
    learn_dataset,
    alloc_free
);
no_params!(
    NoChangeClassifierParams,
    NoChangeClassifier,
    "no_change_classifier",
    "predicts the last label seen, with probability 1",
    learn_dataset,
    row_loop_fit,
    alloc_free
);
no_params!(
    MeanRegressorParams,
    MeanRegressor,
    "mean_regressor",
    "predicts the weighted running mean of the targets (0 before any)",
    learn_dataset_regressor,
    alloc_free
);

/// Predicts the class with the largest total weight so far (the smallest label on a tie);
/// its probabilities are the classes' shares of the weight. Ignores the features, but checks
/// them (finite, and the dimension of the first row) so that bad rows are refused as by
/// every other model.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PriorClassifier {
    classes: ClassSet,
    counts: Vec<f64>,
    n_features: Option<usize>,
}

impl Classifier for PriorClassifier {
    fn classes(&self) -> &ClassSet {
        &self.classes
    }
    fn n_features(&self) -> Option<usize> {
        self.n_features
    }
    fn learn_one(&mut self, x: Row<'_>, y: &Label, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        let w = check_weight(weight)?;
        y.check()?;
        self.n_features = Some(crate::row::FeatureVector::dim(&x));
        let (c, inserted) = self.classes.insert(y);
        if inserted {
            self.counts.insert(c, 0.0);
        }
        self.counts[c] += w;
        Ok(())
    }
    fn predict_proba_into(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        check_out_len("probability buffer", self.classes.len(), out.len())?;
        self.check_row(x)?;
        let total: f64 = self.counts.iter().sum();
        for (o, c) in out.iter_mut().zip(&self.counts) {
            *o = if total > 0.0 {
                c / total
            } else {
                1.0 / self.counts.len() as f64
            };
        }
        Ok(())
    }
    fn predict_one(&self, x: Row<'_>) -> Result<Option<Label>> {
        self.check_row(x)?;
        let mut best: Option<usize> = None;
        for (c, &n) in self.counts.iter().enumerate() {
            if best.is_none_or(|b| n > self.counts[b]) {
                best = Some(c);
            }
        }
        Ok(best.and_then(|c| self.classes.label(c).cloned()))
    }
}

/// Predicts the last label it learned (River's `NoChangeClassifier`), with probability 1 for
/// it and 0 for every other class seen.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NoChangeClassifier {
    classes: ClassSet,
    last: Option<Label>,
    n_features: Option<usize>,
}

impl Classifier for NoChangeClassifier {
    fn classes(&self) -> &ClassSet {
        &self.classes
    }
    fn n_features(&self) -> Option<usize> {
        self.n_features
    }
    fn learn_one(&mut self, x: Row<'_>, y: &Label, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        check_weight(weight)?;
        y.check()?;
        self.n_features = Some(crate::row::FeatureVector::dim(&x));
        self.classes.insert(y);
        self.last = Some(y.clone());
        Ok(())
    }
    fn predict_proba_into(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        check_out_len("probability buffer", self.classes.len(), out.len())?;
        self.check_row(x)?;
        out.fill(0.0);
        if let Some(c) = self.last.as_ref().and_then(|l| self.classes.index_of(l)) {
            out[c] = 1.0;
        }
        Ok(())
    }
    fn predict_one(&self, x: Row<'_>) -> Result<Option<Label>> {
        self.check_row(x)?;
        Ok(self.last.clone())
    }
}

/// Predicts the weighted running mean of the targets seen (0 before any, as River).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MeanRegressor {
    weight: f64,
    mean: f64,
    n_features: Option<usize>,
}

impl Regressor for MeanRegressor {
    fn n_features(&self) -> Option<usize> {
        self.n_features
    }
    fn learn_one(&mut self, x: Row<'_>, y: f64, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        let w = check_weight(weight)?;
        if !y.is_finite() {
            return Err(Error::BadValue {
                location: crate::error::Location::Target,
                reason: format!("value {y} is not finite"),
            });
        }
        self.n_features = Some(crate::row::FeatureVector::dim(&x));
        if w > 0.0 {
            self.weight += w;
            self.mean += (y - self.mean) * w / self.weight;
        }
        Ok(())
    }
    fn predict_one(&self, x: Row<'_>) -> Result<f64> {
        self.check_row(x)?;
        Ok(self.mean)
    }
}

impl crate::check::CheckState for PriorClassifier {
    fn check_state(&self) -> crate::check::StateResult {
        use crate::check::*;
        self.classes.check_state()?;
        same_len("counts", self.counts.len(), self.classes.len())?;
        all_at_least_zero("counts", &self.counts)
    }
}

impl crate::check::CheckState for NoChangeClassifier {
    fn check_state(&self) -> crate::check::StateResult {
        use crate::check::*;
        self.classes.check_state()?;
        match &self.last {
            Some(l) => ensure(self.classes.index_of(l).is_some(), || {
                "last: a label that is not among the classes".into()
            }),
            None => Ok(()),
        }
    }
}

impl crate::check::CheckState for MeanRegressor {
    fn check_state(&self) -> crate::check::StateResult {
        use crate::check::*;
        ensure(self.weight >= 0.0, || {
            format!("weight: {} is below 0 or NaN", self.weight)
        })?;
        not_nan("mean", self.mean)
    }
}
