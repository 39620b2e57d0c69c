//! Enums over components whose checkpoint tags are written down: [`tagged_enum!`](crate::tagged_enum).
//!
//! A serde-derived enum is saved with its variants' declaration indices, so reordering the
//! declaration silently reads old checkpoints as other models. A tagged enum names each
//! variant's tag where it is declared: the order of the list is free (it is the order
//! `tidewater list` shows), a tag is never reused, and checkpoints of every release keep
//! loading. JSON (inspection only) carries the variant's name instead.

use serde::de::{self, DeserializeSeed, Deserializer, Visitor};

/// Reads a variant identifier as its tag: a number (postcard) or the variant's name (JSON).
#[doc(hidden)]
pub struct VariantTag {
    /// The enum's name, for errors.
    pub name: &'static str,
    /// Each variant's name and tag.
    pub variants: &'static [(&'static str, u32)],
}

impl<'de> DeserializeSeed<'de> for VariantTag {
    type Value = u32;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<u32, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl Visitor<'_> for VariantTag {
    type Value = u32;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a variant of {}", self.name)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u32, E> {
        u32::try_from(v)
            .ok()
            .filter(|t| self.variants.iter().any(|(_, tag)| tag == t))
            .ok_or_else(|| {
                E::custom(format!(
                    "unknown {} tag {v}: written by a newer release?",
                    self.name
                ))
            })
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<u32, E> {
        self.variants
            .iter()
            .find(|(n, _)| *n == v)
            .map(|(_, t)| *t)
            .ok_or_else(|| E::custom(format!("unknown {} variant `{v}`", self.name)))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<u32, E> {
        match std::str::from_utf8(v) {
            Ok(s) => self.visit_str(s),
            Err(_) => Err(E::custom(format!("unknown {} variant", self.name))),
        }
    }
}

/// Declares an enum of newtype variants with explicit checkpoint tags: the enum, `From` for
/// each variant's type, `Serialize`/`Deserialize` with the tags (postcard writes the tag, JSON
/// the variant's name), [`CheckState`](crate::check::CheckState) by the variant's own check,
/// and a dispatch macro `$each!(value, m => expr)` that runs `expr` with `m` bound to the
/// variant's content. Decoding counts the enums nested inside each other and refuses more than
/// [`MAX_NESTING`](crate::check::MAX_NESTING) levels.
///
/// The first token must be `$` (it lets the macro write the dispatch macro):
///
/// ```
/// # use tidewater_core::tagged_enum;
/// # use tidewater_core::check::{CheckState, StateResult, finite};
/// #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
/// pub struct Num(f64);
/// impl CheckState for Num {
///     fn check_state(&self) -> StateResult {
///         finite("num", self.0)
///     }
/// }
/// #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
/// pub struct Word(String);
/// impl CheckState for Word {
///     fn check_state(&self) -> StateResult {
///         Ok(())
///     }
/// }
/// tagged_enum! {$
///     /// A number or a word.
///     pub enum Thing as each_thing {
///         /// A number.
///         0 => Num(Num),
///         /// A word.
///         1 => Word(Word),
///     }
/// }
/// let t = Thing::from(Num(2.5));
/// assert_eq!(each_thing!(&t, x => format!("{x:?}")), "Num(2.5)");
/// assert!(Thing::from(Num(f64::NAN)).check_state().is_err());
/// ```
///
/// Tags are `u32`; a tag used twice is a compile error (an unreachable pattern under
/// `-D warnings`) and a test in every user checks the list.
#[macro_export]
macro_rules! tagged_enum {
    ($d:tt
        $(#[$meta:meta])*
        $vis:vis enum $name:ident as $each:ident {
            $( $(#[$vmeta:meta])* $tag:literal => $var:ident($ty:ty) ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq)]
        $vis enum $name {
            $( $(#[$vmeta])* $var($ty), )*
        }

        $( impl ::core::convert::From<$ty> for $name {
            fn from(m: $ty) -> Self {
                $name::$var(m)
            }
        } )*

        #[allow(unused_macros)]
        macro_rules! $each {
            ($d this:expr, $d m:ident => $d body:expr) => {
                match $d this {
                    $( $name::$var($d m) => $d body, )*
                }
            };
        }

        impl $name {
            /// Each variant's name and checkpoint tag.
            pub const TAGS: &'static [(&'static str, u32)] = &[$( (stringify!($var), $tag) ),*];
        }

        impl $crate::check::CheckState for $name {
            fn check_state(&self) -> $crate::check::StateResult {
                match self {
                    $( $name::$var(m) => $crate::check::CheckState::check_state(m), )*
                }
            }
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                s: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                match self {
                    $( $name::$var(m) => s.serialize_newtype_variant(
                        stringify!($name),
                        $tag,
                        stringify!($var),
                        m,
                    ), )*
                }
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                d: D,
            ) -> ::core::result::Result<Self, D::Error> {
                use $crate::__private::serde::de::{EnumAccess, Error as _, VariantAccess};
                // Tagged enums nest (a union of unions): bounded before the stack is.
                let _level = $crate::check::NestingGuard::enter(stringify!($name))
                    .map_err(D::Error::custom)?;
                struct Visit;
                impl<'de> $crate::__private::serde::de::Visitor<'de> for Visit {
                    type Value = $name;
                    fn expecting(
                        &self,
                        f: &mut ::std::fmt::Formatter<'_>,
                    ) -> ::std::fmt::Result {
                        f.write_str(concat!("a ", stringify!($name)))
                    }
                    fn visit_enum<A: EnumAccess<'de>>(
                        self,
                        a: A,
                    ) -> ::core::result::Result<$name, A::Error> {
                        let (tag, v) = a.variant_seed($crate::tagged::VariantTag {
                            name: stringify!($name),
                            variants: $name::TAGS,
                        })?;
                        match tag {
                            $( $tag => v.newtype_variant().map($name::$var), )*
                            other => Err(A::Error::custom(format!(
                                concat!("unknown ", stringify!($name), " tag {}"),
                                other
                            ))),
                        }
                    }
                }
                const NAMES: &[&str] = &[$( stringify!($var) ),*];
                d.deserialize_enum(stringify!($name), NAMES, Visit)
            }
        }
    };
}
