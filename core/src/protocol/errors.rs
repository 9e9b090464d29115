//! Error responses, parsed as botocore's `RestJSONParser` does (spec §4.2).

use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::*;

/// Cleans a code the way botocore does: drop what follows the first `:`, keep what follows the
/// last `#`.
fn clean_code(raw: &str) -> &str {
    let code = raw.split(':').next().unwrap_or_default();
    code.rsplit('#').next().unwrap_or_default().trim()
}

fn body_str<'a>(body: &'a Value, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|k| body.get(*k).and_then(Value::as_str))
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

    // As botocore: an empty body is `{}`, text that is not JSON becomes the message, and JSON
    // that is not an object cannot be an error document.
    let json: Value = match serde_json::from_slice(body) {
        Ok(v @ Value::Object(_)) => v,
        _ if body.trim_ascii().is_empty() => Value::Object(Default::default()),
        Ok(other) => {
            let message = format!(
                "the error response body is JSON but not an object: {}",
                truncate(&other.to_string())
            );
            return Error::InvalidResponse(ResponseError::new(ErrorMetadata::new(
                "ResponseParseError",
                message,
                request_id,
                status_code,
            )));
        }
        Err(_) => serde_json::json!({ "message": String::from_utf8_lossy(body) }),
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

    fn modeled<T: DeserializeOwned + Default>(
        json: Value,
        meta: ErrorMetadata,
        set: impl FnOnce(&mut T, ErrorMetadata),
    ) -> T {
        let mut value: T = serde_json::from_value(json).unwrap_or_default();
        set(&mut value, meta);
        value
    }

    macro_rules! dispatch {
        ($($name:ident),*) => {
            match code.as_str() {
                $(stringify!($name) => Error::$name(Box::new(modeled(json, meta, |e: &mut $name, m| {
                    e.message = m.message().to_owned();
                    e.meta = m;
                }))),)*
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
