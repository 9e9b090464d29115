//! Shapes shared by several operations: structures, enums and the `DestinationConfiguration` union.

mod destination;
mod enums;
mod structures;

pub use aws_smithy_types::DateTime;
pub use destination::DestinationConfiguration;
pub use enums::*;
pub use structures::*;

/// Declares a string enum that keeps values it does not know in `Unknown(String)`.
macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $value:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $(
                #[doc = concat!("`", $value, "`")]
                $variant,
            )+
            /// A value this version of the library does not know.
            Unknown(String),
        }

        impl $name {
            /// The value as the service spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $value,)+
                    Self::Unknown(value) => value,
                }
            }

            /// Every value this version of the library knows.
            pub const fn values() -> &'static [&'static str] {
                &[$($value),+]
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($value => Self::$variant,)+
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                match value.as_str() {
                    $($value => Self::$variant,)+
                    _ => Self::Unknown(value),
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(Self::from)
            }
        }
    };
}
pub(crate) use string_enum;

impl Default for ResourceType {
    fn default() -> Self {
        Self::Unknown(String::new())
    }
}

impl Default for ValidationExceptionReason {
    fn default() -> Self {
        Self::Unknown(String::new())
    }
}
