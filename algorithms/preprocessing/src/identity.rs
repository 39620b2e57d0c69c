//! [`Passthrough`]: the identity transformer.

use serde::{Deserialize, Serialize};
use tidewater_core::row::check_weight;
use tidewater_core::traits::check_out_len;
use tidewater_core::{Build, FeatureVector, Result, Row, Transformer};

use crate::common::{fit_by_learning, not_fitted};
use tidewater_core::spec::Params;

/// Hyper-parameters of [`Passthrough`] (none).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "passthrough",
    alloc_free,
    summary = "the identity: rows pass unchanged",
    any_width
)]
pub struct PassthroughParams {}

impl Build for PassthroughParams {
    type Model = Passthrough;
    fn build(&self) -> Result<Passthrough> {
        Ok(Passthrough::default())
    }
}

fit_by_learning!(PassthroughParams, Passthrough, "passthrough");

/// The identity transformer (scikit-learn's `"passthrough"`): it copies rows unchanged. It
/// takes rows of any dimension (its output has the dimension of the last row it learned), so
/// it ends a pipeline that is only a record stage without fixing the record stage's size:
/// an encoder may keep growing in front of it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Passthrough {
    dim: Option<usize>,
}

impl Transformer for Passthrough {
    fn n_features_in(&self) -> Option<usize> {
        // Any dimension is accepted.
        None
    }
    fn n_features_out(&self) -> Option<usize> {
        self.dim
    }
    fn feature_names_out(&self, input: &[String]) -> Vec<String> {
        input.to_vec()
    }
    fn learn_one(&mut self, x: Row<'_>, weight: Option<f64>) -> Result<()> {
        self.check_row(x)?;
        check_weight(weight)?;
        self.dim = Some(x.dim());
        Ok(())
    }
    fn transform_one(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
        self.dim.ok_or_else(|| not_fitted("passthrough"))?;
        self.check_row(x)?;
        check_out_len("output buffer", x.dim(), out.len())?;
        x.write_dense(out);
        Ok(())
    }
}
