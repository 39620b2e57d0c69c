//! Parameter plumbing shared by the generators: a range check naming the generator, and a
//! macro declaring a params type through `#[derive(Params)]`.

use tidewater_core::{Error, Result};

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

/// Declares a generator's params type: the struct (public fields, River's names, each with
/// its default and doc line) with `#[derive(Params)]`, validated by the type's own `check`.
macro_rules! generator_params {
    (
        $(#[$meta:meta])*
        pub struct $name:ident ($cli:literal, $summary:literal) {
            $( $field:ident : $ty:ty = $default:expr => $doc:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, tidewater_core::spec::Params)]
        #[params(name = $cli, summary = $summary, check = Self::check)]
        pub struct $name {
            $( #[doc = $doc] #[param(default = $default)] pub $field: $ty, )*
        }
    };
}

pub(crate) use generator_params;
