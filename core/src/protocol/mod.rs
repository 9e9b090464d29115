//! The rest-json protocol: request serialisation and response/error deserialisation.

pub(crate) mod de;
mod errors;
#[cfg(test)]
mod no_panic_tests;
pub mod serde_time;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{BuildError, Error, ErrorMetadata, ResponseError};
use crate::types::DestinationConfiguration;

pub(crate) use errors::parse_error;

/// What one operation contributes to an HTTP request.
#[derive(Debug)]
pub struct HttpParts {
    pub method: http::Method,
    /// Percent-encoded path, e.g. `/tags/arn%3Aaws%3A...`.
    pub path: String,
    /// Encoded query string without `?` (empty when there is none).
    pub query: String,
    /// JSON body; `None` for operations without body members (no body, no Content-Type).
    pub body: Option<Vec<u8>>,
}

/// An operation input: knows its name, its output and how it goes on the wire.
pub trait Operation: Serialize + Send + Sync + 'static {
    const NAME: &'static str;
    /// The errors the model lists for this operation.
    const ERRORS: &'static [&'static str];
    type Output: DeserializeOwned + Send + 'static;
    fn validate(&self) -> Result<(), BuildError>;
    fn http_parts(&self) -> Result<HttpParts, BuildError>;
}

/// Characters kept as they are in labels and query values: RFC 3986 unreserved (`-._~`).
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Encodes a URI label as one path segment (`:` → `%3A`, `/` → `%2F`), as botocore does.
pub(crate) fn encode_label(value: &str) -> String {
    utf8_percent_encode(value, UNRESERVED).to_string()
}

/// Encodes query pairs in order: `tagKeys=a&tagKeys=b%20c`.
pub(crate) fn encode_query(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.extend(utf8_percent_encode(name, UNRESERVED));
        out.push('=');
        out.extend(utf8_percent_encode(value, UNRESERVED));
    }
    out
}

pub(crate) fn require<T>(value: &Option<T>, member: &'static str) -> Result<(), BuildError> {
    match value {
        Some(_) => Ok(()),
        None => Err(BuildError::missing(member)),
    }
}

/// A URI label must be present and non-empty, or the path would be wrong.
pub(crate) fn require_label(
    value: &Option<String>,
    member: &'static str,
) -> Result<(), BuildError> {
    match value.as_deref() {
        Some(v) if !v.is_empty() => Ok(()),
        _ => Err(BuildError::invalid(
            member,
            "must not be empty: it is part of the URI path",
        )),
    }
}

pub(crate) fn require_known_union(
    value: &Option<DestinationConfiguration>,
    member: &'static str,
) -> Result<(), BuildError> {
    match value {
        Some(DestinationConfiguration::Unknown(name)) => Err(BuildError::invalid(
            member,
            format!("the member `{name}` is unknown to this library and cannot be sent"),
        )),
        _ => Ok(()),
    }
}

pub(crate) fn json_body<T: Serialize>(input: &T) -> Result<Vec<u8>, BuildError> {
    serde_json::to_vec(input).map_err(|e| BuildError::serialization(e.to_string()))
}

/// The empty map returned by accessors of required maps the response left out.
pub(crate) fn empty_map() -> &'static std::collections::HashMap<String, String> {
    static EMPTY: std::sync::OnceLock<std::collections::HashMap<String, String>> =
        std::sync::OnceLock::new();
    EMPTY.get_or_init(Default::default)
}

/// Parses a 2xx body into the operation output. An empty body reads as `{}` (204 deletes).
pub(crate) fn parse_output<O: DeserializeOwned>(
    status: http::StatusCode,
    request_id: Option<&str>,
    body: &[u8],
) -> Result<O, Error> {
    let trimmed = body.trim_ascii();
    let json = if trimmed.is_empty() {
        b"{}".as_slice()
    } else {
        trimmed
    };
    let parsed = match json.first() {
        Some(b'{') => from_json_slice(json),
        _ => Err("the body is not a JSON object".to_owned()),
    };
    parsed.map_err(|reason| {
        Error::InvalidResponse(ResponseError::new(ErrorMetadata::new(
            "ResponseParseError",
            format!("could not parse the response body: {reason}"),
            request_id,
            status.as_u16(),
        )))
    })
}

/// Deserialises a whole JSON document, naming the path of the member that failed. The common,
/// valid case takes the plain parser; only a failure is parsed again to find the path.
pub(crate) fn from_json_slice<T: DeserializeOwned>(json: &[u8]) -> Result<T, String> {
    if let Ok(value) = serde_json::from_slice(json) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(json);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    Ok(value)
}
