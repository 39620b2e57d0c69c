//! [`FeatureHasher`]: the hashing trick for record stages, signed MurmurHash3 as
//! scikit-learn's `FeatureHasher` (and Vowpal Wabbit) use it.

use std::io::Read;

use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, same_len};
use tidewater_core::record::{Cell, FeatureBuf, RecordSchema};
use tidewater_core::spec::Params;
use tidewater_core::{Error, Location, Result};

use crate::encode::{bind_columns, check_bound_columns};

/// Hyper-parameters of the feature hasher of a record stage (scikit-learn's names).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "feature_hasher",
    summary = "record stage: hash `column=text` and numeric columns into a fixed sparse space (signed MurmurHash3, scikit-learn's FeatureHasher)",
    check = Self::check
)]
pub struct FeatureHasherParams {
    /// Columns to hash, by name (none: every nominal column).
    #[param(default = None, skip_setter)]
    pub columns: Option<Vec<String>>,
    /// The number of output features, a power of two up to 2^24 (scikit-learn's default 2^20).
    #[param(default = 1 << 20, ge = 1, le = 1 << 24)]
    pub n_features: usize,
    /// Sign each feature by its hash, so collisions cancel out on average.
    #[param(default = true)]
    pub alternate_sign: bool,
}

impl FeatureHasherParams {
    /// Sets `columns`.
    pub fn columns<S: Into<String>>(mut self, c: impl IntoIterator<Item = S>) -> Self {
        self.columns = Some(c.into_iter().map(Into::into).collect());
        self
    }

    fn check(&self) -> Result<()> {
        let n = self.n_features;
        if !n.is_power_of_two() {
            return Err(Error::param(
                "n_features",
                format!("must be a power of two, at most 2^24, got {n}"),
            ));
        }
        Ok(())
    }
}

/// MurmurHash3 x86_32 (seed 0) of the bytes, as a signed 32-bit integer, as
/// scikit-learn's `murmurhash3_bytes_s32` (`bytes` may chain several slices, so a feature
/// name `column=value` is hashed without being built).
pub fn murmur3_s32(mut bytes: impl Read) -> i32 {
    // Reading from byte slices cannot fail.
    murmur3::murmur3_32(&mut bytes, 0).unwrap_or(0) as i32
}

/// The index and sign of a hashed feature name, scikit-learn's rule: `|h| mod n` (with
/// scikit-learn's value for `h = -2^31`) and the sign of `h`.
pub fn hash_index(h: i32, n_features: usize, alternate_sign: bool) -> (usize, f64) {
    let n = n_features as i64;
    let index = if h == i32::MIN {
        (2_147_483_647 - (n - 1)) % n
    } else {
        (h as i64).abs() % n
    };
    let sign = if alternate_sign && h < 0 { -1.0 } else { 1.0 };
    (index as usize, sign)
}

/// A feature hasher bound to its columns: a text cell of column `c` is the feature
/// `c=text` with value 1, a number the feature `c` with its value (0 adds nothing), each
/// hashed to an index below `n_features`; features that collide are summed. The output is
/// sparse and has a fixed size, so it never grows on the stream path and needs no learning
/// (both paths agree trivially).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureHasher {
    params: FeatureHasherParams,
    cols: Vec<usize>,
    names: Vec<String>,
}

impl FeatureHasher {
    /// Binds the parameters to a record schema.
    pub fn bind(params: &FeatureHasherParams, schema: &RecordSchema) -> Result<Self> {
        params.validate()?;
        let (cols, names) = bind_columns(schema, &params.columns, FeatureHasherParams::NAME, true)?;
        Ok(FeatureHasher {
            params: params.clone(),
            cols,
            names,
        })
    }

    pub(crate) fn columns(&self) -> &[usize] {
        &self.cols
    }

    pub(crate) fn width(&self) -> usize {
        self.params.n_features
    }

    pub(crate) fn check(&self, x: &[Cell]) -> Result<()> {
        for (k, &j) in self.cols.iter().enumerate() {
            if x[j].is_missing() {
                return Err(Error::BadValue {
                    location: Location::Column(self.names[k].clone()),
                    reason: "missing value (no imputer in this pipeline)".into(),
                });
            }
        }
        Ok(())
    }

    pub(crate) fn encode(&self, x: &[Cell], offset: usize, out: &mut FeatureBuf) -> Result<()> {
        for (k, &j) in self.cols.iter().enumerate() {
            let name = self.names[k].as_bytes();
            let (h, v) = match &x[j] {
                Cell::Text(t) => (murmur3_s32(name.chain(&b"="[..]).chain(t.as_bytes())), 1.0),
                Cell::Num(v) if *v == 0.0 => continue,
                Cell::Num(v) => (murmur3_s32(name), *v),
                Cell::Missing => {
                    return Err(Error::BadValue {
                        location: Location::Column(self.names[k].clone()),
                        reason: "missing value (no imputer in this pipeline)".into(),
                    });
                }
            };
            let (i, sign) = hash_index(h, self.params.n_features, self.params.alternate_sign);
            out.add(offset + i, sign * v)?;
        }
        Ok(())
    }

    pub(crate) fn feature_names(&self, out: &mut Vec<String>) {
        out.extend((0..self.params.n_features).map(|i| format!("hash{i}")));
    }

    /// Its columns against the record stage's schema (see [`check_bound_columns`]).
    pub(crate) fn check_columns(&self, schema: &RecordSchema) -> StateResult {
        check_bound_columns(&self.cols, &self.names, schema)
    }
}

impl CheckState for FeatureHasher {
    /// Its params (a power of two features, at most `2^24`) and a name per column. (Its
    /// columns are checked against the schema by the record stage, which holds it.)
    fn check_state(&self) -> StateResult {
        self.params.check_state()?;
        same_len("column names", self.names.len(), self.cols.len())
    }
}
