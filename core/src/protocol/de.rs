//! Lenient collection deserialisers: `null` entries are skipped, as the AWS SDKs do.

use std::collections::HashMap;

use serde::{Deserialize, Deserializer};

pub(crate) fn map<'de, D: Deserializer<'de>>(d: D) -> Result<Option<HashMap<String, String>>, D::Error> {
    let raw: Option<HashMap<String, Option<String>>> = Option::deserialize(d)?;
    Ok(raw.map(|m| m.into_iter().filter_map(|(k, v)| Some((k, v?))).collect()))
}

pub(crate) fn map_or_empty<'de, D: Deserializer<'de>>(d: D) -> Result<HashMap<String, String>, D::Error> {
    map(d).map(Option::unwrap_or_default)
}

pub(crate) fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Vec<T>>, D::Error> {
    let raw: Option<Vec<Option<T>>> = Option::deserialize(d)?;
    Ok(raw.map(|items| items.into_iter().flatten().collect()))
}

pub(crate) fn list_or_empty<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    list(d).map(Option::unwrap_or_default)
}
