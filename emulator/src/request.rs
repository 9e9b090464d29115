//! Request parsing: method + raw path → operation (from the model's HTTP bindings), body JSON,
//! URI label and query members → one input document, then model validation.
//! [`parse_and_validate`] is pure (no I/O, no state) and is the fuzzing entry point.

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::validate::{self, Location, Shape};

/// Maximum nesting depth accepted in a JSON body.
pub const MAX_JSON_DEPTH: usize = 32;

/// A routed, validated request.
#[derive(Debug, Clone)]
pub struct ParsedRequest {
    /// Operation name, e.g. `CreateRoom`.
    pub operation: &'static str,
    /// Success status of the operation (200 or 204).
    pub success_status: u16,
    /// The input document (body members plus URI/query members).
    pub input: Value,
}

/// Find the operation for a method and raw (percent-encoded) path.
/// Returns the operation name and the decoded URI label (for `/tags/{resourceArn}`).
pub fn route(method: &str, raw_path: &str) -> Result<(&'static str, Option<String>), ApiError> {
    let model = validate::model();
    for op in model.operations.values() {
        if !op.method.eq_ignore_ascii_case(method) {
            continue;
        }
        if let Some(idx) = op.uri.find('{') {
            let prefix = &op.uri[..idx];
            if let Some(rest) = raw_path.strip_prefix(prefix)
                && !rest.is_empty()
            {
                let label = percent_decode_str(rest)
                    .decode_utf8()
                    .map_err(|_| ApiError::serialization("URI label is not valid UTF-8"))?
                    .into_owned();
                return Ok((static_name(&op.name), Some(label)));
            }
        } else if op.uri == raw_path {
            return Ok((static_name(&op.name), None));
        }
    }
    Err(ApiError::unknown_operation(method, raw_path))
}

/// The 17 operation names as `'static` strings.
pub const OPERATIONS: [&str; 17] = [
    "CreateChatToken",
    "CreateLoggingConfiguration",
    "CreateRoom",
    "DeleteLoggingConfiguration",
    "DeleteMessage",
    "DeleteRoom",
    "DisconnectUser",
    "GetLoggingConfiguration",
    "GetRoom",
    "ListLoggingConfigurations",
    "ListRooms",
    "ListTagsForResource",
    "SendEvent",
    "TagResource",
    "UntagResource",
    "UpdateLoggingConfiguration",
    "UpdateRoom",
];

fn static_name(name: &str) -> &'static str {
    OPERATIONS
        .iter()
        .copied()
        .find(|n| *n == name)
        .unwrap_or("Unknown")
}

/// Nesting depth of a JSON text, counted over `[`/`{` outside strings (a cheap pre-check so a
/// deeply nested body is rejected before the parser recurses).
pub fn json_depth_exceeds(body: &[u8], limit: usize) -> bool {
    let mut depth = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    for &b in body {
        if in_str {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_str = false;
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Decode a raw query string into (name, value) pairs, in order.
pub fn parse_query(raw_query: &str) -> Vec<(String, String)> {
    raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| {
                let s = s.replace('+', " ");
                percent_decode_str(&s).decode_utf8_lossy().into_owned()
            };
            (dec(k), dec(v))
        })
        .collect()
}

/// Parse the body as a JSON object (empty body = `{}`).
pub fn parse_body(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let trimmed = body.iter().all(u8::is_ascii_whitespace);
    if body.is_empty() || trimmed {
        return Ok(Map::new());
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::serialization("Request body is not valid UTF-8"))?;
    if json_depth_exceeds(body, MAX_JSON_DEPTH) {
        return Err(ApiError::serialization(format!(
            "Request body nests deeper than {MAX_JSON_DEPTH} levels"
        )));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::serialization(
            "Start of structure or map found where not expected: request body must be a JSON object",
        )),
        Err(e) => Err(ApiError::serialization(format!(
            "Request body is not valid JSON: {e}"
        ))),
    }
}

/// Route, parse and validate one request. Pure: safe to call with arbitrary bytes.
pub fn parse_and_validate(
    method: &str,
    raw_path: &str,
    raw_query: &str,
    body: &[u8],
) -> Result<ParsedRequest, ApiError> {
    let (operation, label) = route(method, raw_path)?;
    let model = validate::model();
    let op = model
        .operations
        .get(operation)
        .ok_or_else(|| ApiError::unknown_operation(method, raw_path))?;
    let input_shape = op.input.clone().unwrap_or_default();
    let mut input = Map::new();
    let has_body_members = match model.shapes.get(&input_shape) {
        Some(Shape::Structure { members, .. }) => {
            members.iter().any(|m| m.location == Location::Body)
        }
        _ => false,
    };
    if has_body_members {
        input = parse_body(body)?;
    }
    if let Some(Shape::Structure { members, .. }) = model.shapes.get(&input_shape) {
        let query = parse_query(raw_query);
        for m in members {
            match &m.location {
                Location::Body => {}
                Location::Uri(_) => {
                    if let Some(l) = &label {
                        input.insert(m.name.clone(), Value::String(l.clone()));
                    }
                }
                Location::Query(qname) => {
                    let is_list = matches!(model.shapes.get(&m.shape), Some(Shape::List { .. }));
                    let values: Vec<Value> = query
                        .iter()
                        .filter(|(k, _)| k == qname)
                        .map(|(_, v)| Value::String(v.clone()))
                        .collect();
                    if is_list {
                        // An empty list (botocore sends a bare `?`) is an empty list, not missing.
                        input.insert(m.name.clone(), Value::Array(values));
                    } else if let Some(v) = values.into_iter().next() {
                        input.insert(m.name.clone(), v);
                    }
                }
            }
        }
    }
    let input = Value::Object(input);
    validate::validate_input(&input_shape, &input)?;
    Ok(ParsedRequest {
        operation,
        success_status: op.status,
        input,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_all_operations() {
        for op in OPERATIONS {
            let (method, path) = match op {
                "ListTagsForResource" => (
                    "GET",
                    "/tags/arn%3Aaws%3Aivschat%3Aus-east-1%3A1%3Aroom%2Fabc".to_string(),
                ),
                "TagResource" => ("POST", "/tags/x".to_string()),
                "UntagResource" => ("DELETE", "/tags/x".to_string()),
                _ => ("POST", format!("/{op}")),
            };
            assert_eq!(route(method, &path).map(|r| r.0), Ok(op));
        }
        assert_eq!(
            route(
                "GET",
                "/tags/arn%3Aaws%3Aivschat%3Aus-east-1%3A1%3Aroom%2Fabc"
            )
            .map(|r| r.1),
            Ok(Some("arn:aws:ivschat:us-east-1:1:room/abc".to_string()))
        );
        let e = route("POST", "/Nope")
            .err()
            .map(|e| e.reason().map(str::to_string));
        assert_eq!(e, Some(Some("UNKNOWN_OPERATION".to_string())));
        assert!(route("GET", "/CreateRoom").is_err());
        assert!(route("GET", "/tags/").is_err());
    }

    #[test]
    fn depth_and_encoding() {
        let deep = "[".repeat(1000);
        assert_eq!(
            parse_body(deep.as_bytes()).err().map(|e| e.code),
            Some("SerializationException".into())
        );
        assert!(parse_body(&[0x7b, 0xff, 0x7d]).is_err());
        assert!(parse_body(b"[]").is_err());
        assert!(parse_body(b"").is_ok());
        assert!(!json_depth_exceeds(
            br#"{"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}"#,
            3
        ));
    }

    #[test]
    fn untag_query_list() {
        let p = parse_and_validate(
            "DELETE",
            "/tags/arn%3Aaws%3Aivschat%3Aus-east-1%3A000000000000%3Aroom%2FabcdEFGH1234",
            "tagKeys=a&tagKeys=b%20c",
            b"",
        )
        .expect("valid");
        assert_eq!(p.input["tagKeys"], serde_json::json!(["a", "b c"]));
    }
}

#[cfg(test)]
mod no_panic {
    use super::*;

    /// A cheap in-tree stand-in for the cargo-fuzz target: random and mutated inputs never panic.
    #[test]
    fn random_inputs_never_panic() {
        let seeds: [&[u8]; 4] = [
            br#"{"name": "demo", "maximumMessageLength": 500, "tags": {"env": "dev"}}"#,
            br#"{"destinationConfiguration": {"s3": {"bucketName": "abc"}, "firehose": null}}"#,
            br#"{"roomIdentifier": "arn:aws:ivschat:us-east-1:1:room/a", "userId": "u", "capabilities": ["SEND_MESSAGE"], "attributes": {"a": "b"}}"#,
            br#"{"loggingConfigurationIdentifiers": [null, 1, "x"], "messageReviewHandler": {"uri": 5}}"#,
        ];
        let paths = [
            "/CreateRoom",
            "/CreateLoggingConfiguration",
            "/CreateChatToken",
            "/UpdateRoom",
            "/tags/%E2%82",
            "/tags/arn%3Aaws",
        ];
        let mut rng = fastrand::Rng::with_seed(7);
        for i in 0..20_000 {
            let mut body = seeds[i % seeds.len()].to_vec();
            for _ in 0..rng.usize(0..8) {
                if body.is_empty() {
                    break;
                }
                let at = rng.usize(..body.len());
                match rng.u8(0..3) {
                    0 => body[at] = rng.u8(..),
                    1 => {
                        body.remove(at);
                    }
                    _ => {
                        const NOISE: &[u8] = b"{}[]\",:0-\\\xff";
                        body.insert(at, NOISE[rng.usize(..NOISE.len())])
                    }
                }
            }
            let method = ["POST", "GET", "DELETE"][rng.usize(..3)];
            let _ = parse_and_validate(
                method,
                paths[rng.usize(..paths.len())],
                "tagKeys=%FF&tagKeys",
                &body,
            );
        }
    }
}
