//! [`Passthrough`]: the identity transformer.

use serde::{Deserialize, Serialize};
use tidewater_core::row::check_weight;
use tidewater_core::traits::check_out_len;
use tidewater_core::{Build, FeatureVector, Result, Row, Transformer};

use crate::common::{check_width, fit_by_learning, not_fitted};
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

impl tidewater_core::check::CheckState for Passthrough {
    /// The width of the last row no wider than a row can be (it is tied to no stored
    /// vector, and a pipeline sizes its buffers by it).
    fn check_state(&self) -> tidewater_core::check::StateResult {
        check_width("dim", self.dim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidewater_core::check::CheckState;

    #[test]
    fn a_passthrough_of_a_possible_width_passes() {
        assert_eq!(Passthrough::default().check_state(), Ok(()));
        let mut p = Passthrough::default();
        p.learn_one(Row::Dense(&[1.0, 2.0]), None).unwrap();
        assert_eq!(p.check_state(), Ok(()));
        let wide: Passthrough = serde_json::from_str(r#"{"dim":4294967296}"#).unwrap();
        assert_eq!(wide.check_state(), Ok(()));
        let absurd: Passthrough = serde_json::from_str(r#"{"dim":4294967297}"#).unwrap();
        let e = absurd.check_state().unwrap_err();
        assert!(e.starts_with("dim: 4294967297 features, more than"), "{e}");
        let max: Passthrough = serde_json::from_str(r#"{"dim":18446744073709551615}"#).unwrap();
        assert!(max.check_state().is_err());
    }
}
