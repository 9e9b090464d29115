//! Lenient collection deserialisers: `null` entries are skipped, as the AWS SDKs do.

use std::collections::HashMap;

use serde::{Deserialize, Deserializer};

pub(crate) fn map<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<HashMap<String, String>>, D::Error> {
    let raw: Option<HashMap<String, Option<String>>> = Option::deserialize(d)?;
    Ok(raw.map(|m| m.into_iter().filter_map(|(k, v)| Some((k, v?))).collect()))
}

pub(crate) fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Vec<T>>, D::Error> {
    let raw: Option<Vec<Option<T>>> = Option::deserialize(d)?;
    Ok(raw.map(|items| items.into_iter().flatten().collect()))
}

/// Integers as botocore reads them: a JSON number (an integral float too) or a numeric string.
pub(crate) fn int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    use serde::de::Error;
    let raw: Option<serde_json::Value> = Option::deserialize(d)?;
    let Some(raw) = raw else { return Ok(None) };
    let number = match &raw {
        serde_json::Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        serde_json::Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    number
        .and_then(|n| i32::try_from(n).ok())
        .map(Some)
        .ok_or_else(|| D::Error::custom(format!("expected a 32-bit integer, found {raw}")))
}
