//! Wire frames of the Messaging API (spec `messaging.md` §3–§5).
//!
//! * Client → server: a JSON object whose keys are matched **case-insensitively**
//!   (`Action`/`action`, `RequestId`/`requestId`, …), see spec §3.4.
//! * Server → client: text frames, PascalCase keys, upper-case `Type`, a fresh random 12
//!   alphanumeric `Id` on every frame, `SendTime` RFC 3339 UTC with milliseconds, `ErrorCode` a
//!   JSON number, attribute maps of strings only. `RequestId` is always present (`""` when no
//!   request triggered the frame, as the real service appears to do).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::control::{fmt_time, new_id, now};

/// A parsed client request.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// `SEND_MESSAGE`.
    SendMessage {
        /// Request id ("" when absent).
        request_id: String,
        /// Message content.
        content: String,
        /// Message attributes (`None` when absent or null).
        attributes: Option<BTreeMap<String, String>>,
    },
    /// `DELETE_MESSAGE`.
    DeleteMessage {
        /// Request id.
        request_id: String,
        /// Id of the message to delete.
        id: String,
        /// Optional reason.
        reason: Option<String>,
    },
    /// `DISCONNECT_USER`.
    DisconnectUser {
        /// Request id.
        request_id: String,
        /// User to disconnect.
        user_id: String,
        /// Optional reason.
        reason: Option<String>,
    },
}

/// A request that could not be parsed: answered with ERROR 400.
#[derive(Debug, Clone, PartialEq)]
pub struct BadRequest {
    /// The request id, when one could be read.
    pub request_id: String,
    /// What is wrong.
    pub message: String,
}

fn bad(request_id: &str, message: impl Into<String>) -> BadRequest {
    BadRequest {
        request_id: request_id.to_string(),
        message: format!("Bad Request: {}", message.into()),
    }
}

/// Case-insensitive field lookup (first match wins; PascalCase is tried first).
fn field<'a>(obj: &'a Map<String, Value>, pascal: &str) -> Option<&'a Value> {
    obj.get(pascal).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(pascal))
            .map(|(_, v)| v)
    })
}

fn opt_string(
    obj: &Map<String, Value>,
    name: &str,
    request_id: &str,
) -> Result<Option<String>, BadRequest> {
    match field(obj, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(request_id, format!("{name} must be a string"))),
    }
}

fn req_string(
    obj: &Map<String, Value>,
    name: &str,
    request_id: &str,
) -> Result<String, BadRequest> {
    opt_string(obj, name, request_id)?.ok_or_else(|| bad(request_id, format!("{name} is required")))
}

/// Parse one text frame from a client.
pub fn parse_request(text: &str) -> Result<Request, BadRequest> {
    let value: Value =
        serde_json::from_str(text).map_err(|_| bad("", "the frame is not valid JSON"))?;
    let Value::Object(obj) = value else {
        return Err(bad("", "the frame must be a JSON object"));
    };
    let request_id = match field(&obj, "RequestId") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(bad("", "RequestId must be a string")),
    };
    let rid = request_id.as_str();
    let action = req_string(&obj, "Action", rid)?;
    match action.as_str() {
        "SEND_MESSAGE" => {
            let content = req_string(&obj, "Content", rid)?;
            let attributes = match field(&obj, "Attributes") {
                None | Some(Value::Null) => None,
                Some(Value::Object(m)) => {
                    let mut out = BTreeMap::new();
                    for (k, v) in m {
                        let Value::String(s) = v else {
                            return Err(bad(rid, "Attributes values must be strings"));
                        };
                        out.insert(k.clone(), s.clone());
                    }
                    Some(out)
                }
                Some(_) => return Err(bad(rid, "Attributes must be an object")),
            };
            Ok(Request::SendMessage {
                request_id,
                content,
                attributes,
            })
        }
        "DELETE_MESSAGE" => {
            let id = req_string(&obj, "Id", rid)?;
            let reason = opt_string(&obj, "Reason", rid)?;
            Ok(Request::DeleteMessage {
                request_id,
                id,
                reason,
            })
        }
        "DISCONNECT_USER" => {
            let user_id = req_string(&obj, "UserId", rid)?;
            let reason = opt_string(&obj, "Reason", rid)?;
            Ok(Request::DisconnectUser {
                request_id,
                user_id,
                reason,
            })
        }
        other => Err(bad(
            rid,
            format!(
                "unknown Action {:?} (SEND_MESSAGE, DELETE_MESSAGE or DISCONNECT_USER)",
                truncate(other, 64)
            ),
        )),
    }
}

fn truncate(s: &str, max_chars: usize) -> &str {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// A server → client frame, built once and shared by every receiver.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The frame's `Id`.
    pub id: String,
    /// `SendTime` (for MESSAGE and EVENT), RFC 3339.
    pub send_time: String,
    /// The JSON payload as a value (used for chat logs).
    pub payload: Value,
    /// The serialized text.
    pub text: Utf8Bytes,
}

impl Frame {
    fn new(id: String, send_time: String, payload: Value) -> Frame {
        let text = Utf8Bytes::from(payload.to_string());
        Frame {
            id,
            send_time,
            payload,
            text,
        }
    }
}

/// The sender of a message.
#[derive(Debug, Clone)]
pub struct Sender {
    /// User id from the token.
    pub user_id: String,
    /// Attributes from the token.
    pub attributes: BTreeMap<String, String>,
}

/// A `MESSAGE` frame.
pub fn message(
    id: String,
    request_id: &str,
    content: &str,
    attributes: Option<&BTreeMap<String, String>>,
    sender: &Sender,
) -> Frame {
    let send_time = fmt_time(&now());
    let mut payload = json!({
        "Type": "MESSAGE",
        "Id": id,
        "RequestId": request_id,
        "Content": content,
        "SendTime": send_time,
        "Sender": {"UserId": sender.user_id, "Attributes": sender.attributes},
    });
    if let (Some(a), Some(obj)) = (attributes, payload.as_object_mut()) {
        obj.insert("Attributes".into(), json!(a));
    }
    Frame::new(id, send_time, payload)
}

/// An `EVENT` frame with the given id (control-plane events carry the id they returned).
pub fn event(
    id: String,
    request_id: &str,
    event_name: &str,
    attributes: &BTreeMap<String, String>,
) -> Frame {
    let send_time = fmt_time(&now());
    let payload = json!({
        "Type": "EVENT",
        "Id": id,
        "RequestId": request_id,
        "EventName": event_name,
        "Attributes": attributes,
        "SendTime": send_time,
    });
    Frame::new(id, send_time, payload)
}

/// `aws:DELETE_MESSAGE` (carries both `MessageID`, which the JS SDK reads, and `MessageId`,
/// which the docs prefer).
pub fn delete_message_event(
    id: String,
    request_id: &str,
    message_id: &str,
    reason: Option<&str>,
) -> Frame {
    let mut attrs = BTreeMap::new();
    attrs.insert("MessageID".to_string(), message_id.to_string());
    attrs.insert("MessageId".to_string(), message_id.to_string());
    if let Some(r) = reason {
        attrs.insert("Reason".to_string(), r.to_string());
    }
    event(id, request_id, "aws:DELETE_MESSAGE", &attrs)
}

/// `aws:DISCONNECT_USER`.
pub fn disconnect_user_event(
    id: String,
    request_id: &str,
    user_id: &str,
    reason: Option<&str>,
) -> Frame {
    let mut attrs = BTreeMap::new();
    attrs.insert("UserId".to_string(), user_id.to_string());
    if let Some(r) = reason {
        attrs.insert("Reason".to_string(), r.to_string());
    }
    event(id, request_id, "aws:DISCONNECT_USER", &attrs)
}

/// An `ERROR` frame (sent only to the requesting connection).
pub fn error(request_id: &str, code: u16, message: &str) -> Utf8Bytes {
    Utf8Bytes::from(
        json!({
            "Type": "ERROR",
            "Id": new_id(),
            "RequestId": request_id,
            "ErrorCode": code,
            "ErrorMessage": message,
        })
        .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sdk_frames_and_lowercase_keys() {
        let r = parse_request(
            r#"{"Action":"SEND_MESSAGE","RequestId":"r1","Content":"hi","Attributes":{"a":"b"}}"#,
        )
        .unwrap();
        assert!(
            matches!(r, Request::SendMessage { ref request_id, ref content, attributes: Some(ref a) } if request_id == "r1" && content == "hi" && a["a"] == "b")
        );
        let r = parse_request(r#"{"action":"DISCONNECT_USER","userId":"u","reason":"x"}"#).unwrap();
        assert_eq!(
            r,
            Request::DisconnectUser {
                request_id: String::new(),
                user_id: "u".into(),
                reason: Some("x".into())
            }
        );
        let r = parse_request(r#"{"ACTION":"DELETE_MESSAGE","id":"abc"}"#).unwrap();
        assert!(matches!(r, Request::DeleteMessage { .. }));
    }

    #[test]
    fn malformed_frames_are_bad_requests() {
        for f in [
            "not json",
            "[]",
            "{}",
            r#"{"Action":"NOPE","RequestId":"r"}"#,
            r#"{"Action":"SEND_MESSAGE"}"#,
            r#"{"Action":"SEND_MESSAGE","Content":1}"#,
            r#"{"Action":"SEND_MESSAGE","Content":"x","Attributes":{"n":1}}"#,
            r#"{"Action":"SEND_MESSAGE","Content":"x","Attributes":[]}"#,
            r#"{"Action":"SEND_MESSAGE","RequestId":5,"Content":"x"}"#,
            r#"{"Action":"DELETE_MESSAGE"}"#,
            r#"{"Action":"DISCONNECT_USER","UserId":null}"#,
        ] {
            let e = parse_request(f).unwrap_err();
            assert!(e.message.starts_with("Bad Request"), "{f}");
        }
        assert_eq!(
            parse_request(r#"{"Action":"X","RequestId":"keep"}"#)
                .unwrap_err()
                .request_id,
            "keep"
        );
    }

    #[test]
    fn frames_have_the_documented_shape() {
        let s = Sender {
            user_id: "alice".into(),
            attributes: BTreeMap::new(),
        };
        let m = message(new_id(), "r", "hi", None, &s);
        let v: Value = serde_json::from_str(m.text.as_str()).unwrap();
        assert_eq!(v["Type"], "MESSAGE");
        assert_eq!(v["Id"].as_str().unwrap().len(), 12);
        assert_eq!(v["Sender"]["UserId"], "alice");
        assert!(v["SendTime"].as_str().unwrap().ends_with('Z'));
        let d = delete_message_event(new_id(), "r", "M1", Some("spam"));
        let v: Value = serde_json::from_str(d.text.as_str()).unwrap();
        assert_eq!(v["Attributes"]["MessageID"], "M1");
        assert_eq!(v["Attributes"]["MessageId"], "M1");
        let e: Value = serde_json::from_str(error("r", 429, "x").as_str()).unwrap();
        assert!(e["ErrorCode"].is_number());
        assert_ne!(new_id(), new_id());
    }
}
