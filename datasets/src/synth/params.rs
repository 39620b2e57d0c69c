//! Parameter plumbing shared by the generators: spec values to Rust types, defaults to spec
//! text, and a macro declaring a params type with its `Params` implementation.

use tidewater_core::spec::Value;
use tidewater_core::{Error, Result};

/// A parameter type that a spec value can set and that prints its default as spec text.
pub(crate) trait ParamValue: Sized {
    /// The value from a spec, or an error naming `param`.
    fn from_value(value: &Value, param: &str) -> Result<Self>;
    /// The value as spec text (`none`, `5`, `0.1`, `true`, `[1,2]`).
    fn show(&self) -> String;
}

impl ParamValue for usize {
    fn from_value(value: &Value, param: &str) -> Result<Self> {
        value.as_usize(param)
    }
    fn show(&self) -> String {
        self.to_string()
    }
}

impl ParamValue for f64 {
    fn from_value(value: &Value, param: &str) -> Result<Self> {
        let v = value.as_f64(param)?;
        if v.is_finite() {
            Ok(v)
        } else {
            Err(Error::param(
                param,
                format!("expected a finite number, got {v}"),
            ))
        }
    }
    fn show(&self) -> String {
        self.to_string()
    }
}

impl ParamValue for bool {
    fn from_value(value: &Value, param: &str) -> Result<Self> {
        value.as_bool(param)
    }
    fn show(&self) -> String {
        self.to_string()
    }
}

/// Seeds: `none` (draw from the operating system) or a non-negative integer.
impl ParamValue for Option<u64> {
    fn from_value(value: &Value, param: &str) -> Result<Self> {
        match value {
            Value::None => Ok(None),
            v => Ok(Some(v.as_usize(param)? as u64)),
        }
    }
    fn show(&self) -> String {
        self.map_or_else(|| "none".to_owned(), |s| s.to_string())
    }
}

/// Optional numbers (`alpha`): `none` or a finite number.
impl ParamValue for Option<f64> {
    fn from_value(value: &Value, param: &str) -> Result<Self> {
        match value {
            Value::None => Ok(None),
            v => f64::from_value(v, param).map(Some),
        }
    }
    fn show(&self) -> String {
        self.map_or_else(|| "none".to_owned(), |v| v.to_string())
    }
}

/// Lists of non-negative integers (`position=[50000,100000]`).
impl ParamValue for Vec<usize> {
    fn from_value(value: &Value, param: &str) -> Result<Self> {
        match value {
            Value::List(items) => items.iter().map(|v| v.as_usize(param)).collect(),
            other => Err(Error::param(
                param,
                format!("expected a list of integers such as [1000,2000], got {other}"),
            )),
        }
    }
    fn show(&self) -> String {
        let items: Vec<String> = self.iter().map(|v| v.to_string()).collect();
        format!("[{}]", items.join(","))
    }
}

/// Checks `lo <= value <= hi`, naming the parameter and the generator.
pub(crate) fn check_range<T: PartialOrd + std::fmt::Display>(
    generator: &str,
    param: &str,
    value: T,
    lo: T,
    hi: T,
) -> Result<()> {
    if value >= lo && value <= hi {
        Ok(())
    } else {
        Err(Error::param(
            param,
            format!("{generator}: must be from {lo} to {hi}, got {value}"),
        ))
    }
}

/// Prefixes an invalid-parameter error with the generator's name.
pub(crate) fn in_generator(generator: &str, e: Error) -> Error {
    match e {
        Error::InvalidParam { name, reason } => Error::InvalidParam {
            name,
            reason: format!("{generator}: {reason}"),
        },
        other => other,
    }
}

/// Declares a generator's params type: the struct (public fields, River's names), its
/// `Default` (River's defaults) and its `Params` implementation (docs, set by name,
/// validation by the type's own `check`).
macro_rules! generator_params {
    (
        $(#[$meta:meta])*
        pub struct $name:ident ($cli:literal, $summary:expr) {
            $( $field:ident : $ty:ty = $default:expr => $doc:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name {
            $( #[doc = $doc] pub $field: $ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name { $( $field: $default, )* }
            }
        }

        impl tidewater_core::spec::Params for $name {
            const NAME: &'static str = $cli;
            const SUMMARY: &'static str = $summary;

            fn docs() -> Vec<tidewater_core::spec::ParamDoc> {
                let d = $name::default();
                vec![$(
                    tidewater_core::spec::ParamDoc {
                        name: stringify!($field),
                        default: $crate::synth::params::ParamValue::show(&d.$field),
                        doc: $doc,
                    },
                )*]
            }

            fn set(
                &mut self,
                name: &str,
                value: &tidewater_core::spec::Value,
            ) -> tidewater_core::Result<()> {
                match name {
                    $( stringify!($field) => {
                        self.$field = $crate::synth::params::ParamValue::from_value(value, name)
                            .map_err(|e| $crate::synth::params::in_generator($cli, e))?;
                        Ok(())
                    } )*
                    _ => Err(tidewater_core::spec::unknown_param($cli, name)),
                }
            }

            fn validate(&self) -> tidewater_core::Result<()> {
                self.check()
            }
        }
    };
}

pub(crate) use generator_params;
