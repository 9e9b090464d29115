//! Timestamps (`timestampFormat: iso8601`): ISO-8601 strings with any number of fractional
//! digits and any offset; botocore also accepts epoch seconds as a JSON number, and so do we.

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

/// Parses an ISO-8601 / RFC 3339 date-time. Without an offset the time is taken as UTC.
pub fn parse(text: &str) -> Result<DateTime, String> {
    let text = text.trim();
    let parsed = chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.to_utc())
        .or_else(|_| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").map(|t| t.and_utc())
        })
        .map_err(|e| format!("invalid timestamp {text:?}: {e}"))?;
    Ok(DateTime::from_secs_and_nanos(
        parsed.timestamp(),
        parsed.timestamp_subsec_nanos(),
    ))
}

/// Formats as RFC 3339 in UTC, e.g. `2024-05-01T12:34:56.789Z`.
pub fn format(value: &DateTime) -> String {
    value
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| format!("{}", value.secs()))
}

struct TimeVisitor;

impl Visitor<'_> for TimeVisitor {
    type Value = DateTime;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an ISO-8601 timestamp string or epoch seconds")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<DateTime, E> {
        parse(v).map_err(E::custom)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<DateTime, E> {
        if v.is_finite() && v.abs() < 1e13 {
            Ok(DateTime::from_secs_f64(v))
        } else {
            Err(E::custom(format!("epoch seconds out of range: {v}")))
        }
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<DateTime, E> {
        Ok(DateTime::from_secs(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<DateTime, E> {
        i64::try_from(v)
            .map(DateTime::from_secs)
            .map_err(|_| E::custom(format!("epoch seconds out of range: {v}")))
    }
}

pub(crate) fn serialize<S: Serializer>(value: &DateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format(value))
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime, D::Error> {
    d.deserialize_any(TimeVisitor)
}

pub(crate) mod option {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<DateTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => super::serialize(v, s),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime>, D::Error> {
        struct OptVisitor;
        impl<'de> Visitor<'de> for OptVisitor {
            type Value = Option<DateTime>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a timestamp or null")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                super::deserialize(d).map(Some)
            }
        }
        d.deserialize_option(OptVisitor)
    }
}
