//! Wire JSON helpers: records convert to and from the core's wire-named JSON
//! (`Client::call_json`), so no operation needs hand-written glue.

use std::time::SystemTime;

use ivschat::protocol::serde_time;
use ivschat::types::DateTime;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::IvschatError;

/// `Serialize`/`Deserialize` of a string enum through `as_str` / `from_wire`, keeping unknown
/// values, and `Display` as the wire value (Kotlin `toString()`, Swift `description`).
macro_rules! wire_string_enum {
    ($name:ident) => {
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let value = String::deserialize(d)?;
                Ok(Self::from_wire(&value))
            }
        }
    };
}
pub(crate) use wire_string_enum;

fn format_time(t: &SystemTime) -> String {
    serde_time::format(&DateTime::from(*t))
}

fn parse_time<E: serde::de::Error>(text: &str) -> Result<SystemTime, E> {
    serde_time::parse(text)
        .and_then(|t| SystemTime::try_from(t).map_err(|e| e.to_string()))
        .map_err(|e| E::custom(format!("timestamp `{text}`: {e}")))
}

/// A required timestamp as an RFC 3339 string.
#[allow(dead_code)]
pub(crate) mod time {
    use super::*;
    pub(crate) fn serialize<S: serde::Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_time(t))
    }
    pub(crate) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<SystemTime, D::Error> {
        let text: String = serde::Deserialize::deserialize(d)?;
        parse_time(&text)
    }
}

/// An optional timestamp as an RFC 3339 string.
#[allow(dead_code)]
pub(crate) mod time_opt {
    use super::*;
    pub(crate) fn serialize<S: serde::Serializer>(
        t: &Option<SystemTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&format_time(t)),
            None => s.serialize_none(),
        }
    }
    pub(crate) fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<SystemTime>, D::Error> {
        let text: Option<String> = serde::Deserialize::deserialize(d)?;
        text.map(|t| parse_time(&t)).transpose()
    }
}

/// One modeled error field, by wire name; absent or unparsable fields are `None`.
pub(crate) fn field<T: DeserializeOwned>(fields: &Value, name: &str) -> Option<T> {
    fields
        .get(name)
        .filter(|v| !v.is_null())
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

/// Puts a present field into a wire-named map.
pub(crate) fn put<T: Serialize>(
    map: &mut serde_json::Map<String, Value>,
    name: &str,
    value: &Option<T>,
) {
    if let Some(v) = value {
        map.insert(name.to_owned(), to_json(v));
    }
}

/// A record as wire JSON.
pub(crate) fn to_json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Wire JSON as a record; a mismatch is an `InvalidInput` naming the member.
pub(crate) fn from_json<T: DeserializeOwned>(json: Value) -> Result<T, IvschatError> {
    serde_path_to_error::deserialize(json).map_err(|e| {
        let member = e.path().to_string();
        let why = e.into_inner().to_string();
        let member = (member != ".").then_some(member);
        IvschatError::invalid_input(member, why)
    })
}
