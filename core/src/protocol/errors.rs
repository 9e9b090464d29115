//! Error responses, parsed as botocore's `RestJSONParser` does (spec §4.2), except that the body's
//! members are read one by one: a member serde_json cannot hold (nested past its depth limit,
//! `1e400`) or one of the wrong type is lost alone, never the code or the other members.

use std::collections::HashMap;

use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use serde::de::value::MapDeserializer;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::error::*;

/// Cleans a code the way botocore does: drop what follows the first `:`, keep what follows the
/// last `#`.
fn clean_code(raw: &str) -> &str {
    let code = raw.split(':').next().unwrap_or_default();
    code.rsplit('#').next().unwrap_or_default().trim()
}

fn body_str<'a>(body: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|k| body.get(*k).and_then(Value::as_str))
}

/// An error body as botocore sees it.
enum Body {
    /// A JSON object: the members serde_json can hold (the others are left out).
    Object(Map<String, Value>),
    /// JSON, but not an object (the raw text).
    NotObject(String),
    /// Not JSON: the text becomes the message.
    Text,
}

/// Reads an error body. The document is checked without recursing and without reading numbers
/// (serde_json's raw-value scan), then each top-level member is parsed on its own.
fn read_body(body: &[u8]) -> Body {
    if body.trim_ascii().is_empty() {
        return Body::Object(Map::new());
    }
    let Ok(document) = serde_json::from_slice::<&RawValue>(body) else {
        return Body::Text;
    };
    if !document.get().starts_with('{') {
        return Body::NotObject(document.get().to_owned());
    }
    // As in Python, a repeated key keeps its last value.
    let Ok(members) = serde_json::from_str::<HashMap<String, &RawValue>>(document.get()) else {
        return Body::Text;
    };
    Body::Object(
        members
            .into_iter()
            .filter_map(|(name, raw)| Some((name, serde_json::from_str(raw.get()).ok()?)))
            .collect(),
    )
}

/// The modeled error `T` from the body's members, each tried alone first: one that does not fit
/// its member's type (a string `fieldList`, a `null` message) is left out instead of failing all.
fn modeled<T: DeserializeOwned + Default>(members: &Map<String, Value>) -> T {
    fn from_members<'a, T: DeserializeOwned>(
        members: impl Iterator<Item = (&'a String, &'a Value)>,
    ) -> Result<T, serde_json::Error> {
        T::deserialize(MapDeserializer::<_, serde_json::Error>::new(
            members.map(|(name, value)| (name.as_str(), value)),
        ))
    }
    let fits = |member: &(&String, &Value)| from_members::<T>(std::iter::once(*member)).is_ok();
    from_members(members.iter().filter(fits)).unwrap_or_default()
}

pub(crate) fn parse_error(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
    let request_id = headers
        .get("x-amzn-requestid")
        .and_then(|v| v.to_str().ok());
    let status_code = status.as_u16();
    let reason = status.canonical_reason().unwrap_or_default();

    if status_code >= 500 && (body.trim_ascii().is_empty() || body.starts_with(b"<html>")) {
        return Error::Unhandled(UnhandledError::new(ErrorMetadata::new(
            status_code.to_string(),
            reason,
            request_id,
            status_code,
        )));
    }

    // As botocore: text that is not JSON becomes the message, and JSON that is not an object
    // cannot be an error document.
    let json = match read_body(body) {
        Body::Object(members) => members,
        Body::Text => Map::from_iter([(
            "message".to_owned(),
            Value::String(String::from_utf8_lossy(body).into_owned()),
        )]),
        Body::NotObject(text) => {
            let message = format!(
                "the error response body is JSON but not an object: {}",
                truncate(&text)
            );
            return Error::InvalidResponse(ResponseError::new(ErrorMetadata::new(
                "ResponseParseError",
                message,
                request_id,
                status_code,
            )));
        }
    };
    let header_code = headers
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok());
    let raw_code = header_code
        .or_else(|| body_str(&json, &["code", "Code"]))
        .or_else(|| body_str(&json, &["__type"]));
    let code = match raw_code {
        Some(raw) => clean_code(raw).to_owned(),
        None => status_code.to_string(),
    };
    let message = body_str(&json, &["message", "Message"])
        .unwrap_or_default()
        .to_owned();
    let meta = ErrorMetadata::new(code.clone(), message, request_id, status_code);

    macro_rules! dispatch {
        ($($name:ident),*) => {
            match code.as_str() {
                $(stringify!($name) => {
                    let mut error: $name = modeled(&json);
                    error.message = meta.message().to_owned();
                    error.meta = meta;
                    Error::$name(Box::new(error))
                })*
                _ => Error::Unhandled(UnhandledError::new(meta)),
            }
        };
    }
    for_each_modeled_error!(dispatch)
}

fn truncate(text: &str) -> &str {
    match text.char_indices().nth(200) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}
