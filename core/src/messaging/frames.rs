//! The wire: server frames parsed as the official JS client parses them (spec §4.2/§4.3), client
//! requests encoded as it encodes them (spec §3). Pure functions, no I/O: the conformance runners
//! of every language call [`parse_frame`] and [`encode_request`].
//!
//! Parsing mirrors `dist/esm/utils/deserialize.js` of `amazon-ivs-chat-messaging` 1.1.1: the same
//! required and optional fields, checked in the same order, so the first failing field (the
//! [`FrameError::field`]) is the one the official client names. Error messages never quote the
//! offending value (it may be a user id or message content).

use std::collections::BTreeMap;
use std::fmt;
use std::time::SystemTime;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::REDACTED;

/// String attributes of a message, an event or a sender.
pub type Attributes = BTreeMap<String, String>;

/// A chat message (`Type: "MESSAGE"`).
#[derive(Clone, PartialEq)]
pub struct ChatMessage {
    /// The message's unique id (`Id`).
    pub id: String,
    /// The id of the request that sent it (`RequestId`), when the server gave one.
    pub request_id: Option<String>,
    /// The message text (`Content`).
    pub content: String,
    /// Message attributes (`Attributes`); `None` when absent or `null`.
    pub attributes: Option<Attributes>,
    /// When the server sent it (`SendTime`).
    pub send_time: SystemTime,
    /// Who sent it (`Sender`).
    pub sender: ChatUser,
}

/// The sender of a [`ChatMessage`].
#[derive(Clone, PartialEq)]
pub struct ChatUser {
    /// `Sender.UserId`.
    pub user_id: String,
    /// `Sender.Attributes`; `None` when absent or `null`.
    pub attributes: Option<Attributes>,
}

/// A custom event (`Type: "EVENT"` with an `EventName` other than the two `aws:` ones).
#[derive(Debug, Clone, PartialEq)]
pub struct ChatEvent {
    /// The event's unique id (`Id`).
    pub id: String,
    /// `RequestId`, when the server gave one.
    pub request_id: Option<String>,
    /// `EventName`.
    pub event_name: String,
    /// `Attributes`; `None` when absent or `null`.
    pub attributes: Option<Attributes>,
    /// `SendTime`.
    pub send_time: SystemTime,
}

/// A message was deleted (EVENT `aws:DELETE_MESSAGE`).
#[derive(Debug, Clone, PartialEq)]
pub struct DeleteMessageEvent {
    /// The event's unique id (`Id`).
    pub id: String,
    /// `RequestId`, when the server gave one.
    pub request_id: Option<String>,
    /// The deleted message's id: `Attributes.MessageID` (capital `ID`, the key the official
    /// client reads; `MessageId` alone is rejected, as it is there).
    pub message_id: String,
    /// `Attributes.Reason`.
    pub reason: Option<String>,
    /// `SendTime`.
    pub send_time: SystemTime,
    /// All of the event's `Attributes`.
    pub attributes: Attributes,
}

/// A user was disconnected by a moderator (EVENT `aws:DISCONNECT_USER`).
#[derive(Clone, PartialEq)]
pub struct DisconnectUserEvent {
    /// The event's unique id (`Id`).
    pub id: String,
    /// `RequestId`, when the server gave one.
    pub request_id: Option<String>,
    /// `Attributes.UserId`.
    pub user_id: String,
    /// `Attributes.Reason`.
    pub reason: Option<String>,
    /// `SendTime`.
    pub send_time: SystemTime,
    /// All of the event's `Attributes`.
    pub attributes: Attributes,
}

/// An `ERROR` frame: the server's answer to a request it refused, or an unsolicited error
/// (`401`: the session expired).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatError {
    /// The frame's unique id (`Id`).
    pub id: String,
    /// `ErrorCode`: 400, 401, 403, 404, 406, 413, 429, 500 (spec §5).
    pub code: i64,
    /// `ErrorMessage`.
    pub message: String,
    /// The refused request's id (`RequestId`); `None` when absent or `null`.
    pub request_id: Option<String>,
}

impl fmt::Display for ChatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "chat error {}: {}", self.code, self.message)
    }
}

impl std::error::Error for ChatError {}

/// A server frame, parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerFrame {
    /// `MESSAGE`: the official client's `message` event.
    Message(ChatMessage),
    /// A custom `EVENT`: `event`.
    Event(ChatEvent),
    /// EVENT `aws:DELETE_MESSAGE`: `messageDelete`.
    MessageDelete(DeleteMessageEvent),
    /// EVENT `aws:DISCONNECT_USER`: `userDisconnect`.
    UserDisconnect(DisconnectUserEvent),
    /// `ERROR`.
    Error(ChatError),
}

impl ServerFrame {
    /// The frame's `Id`.
    pub fn id(&self) -> &str {
        match self {
            ServerFrame::Message(m) => &m.id,
            ServerFrame::Event(e) => &e.id,
            ServerFrame::MessageDelete(e) => &e.id,
            ServerFrame::UserDisconnect(e) => &e.id,
            ServerFrame::Error(e) => &e.id,
        }
    }
}

/// Why a server frame was rejected (the official client only logs these).
#[derive(Clone, PartialEq, Eq)]
pub struct FrameError {
    id: Option<String>,
    field: Option<String>,
    message: String,
}

impl FrameError {
    fn field(field: &str, expected: &str, got: &Value) -> Self {
        FrameError {
            id: None,
            field: Some(field.to_owned()),
            message: format!("{field}: expected {expected} but got {}", js_type(got)),
        }
    }

    fn other(message: String) -> Self {
        FrameError {
            id: None,
            field: None,
            message,
        }
    }

    /// The frame's `Id` when it was a string: the official client records it for de-duplication
    /// even when the rest of the frame is rejected.
    pub fn frame_id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The first invalid field, named as the official client names it (`Sender`,
    /// `Sender.UserId`, `SendTime`, `event.attributes.MessageID`, …); `None` when the frame is
    /// not a JSON object or its `Type` is unknown.
    pub fn invalid_field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// What is wrong, without the offending value.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Debug for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameError")
            .field("id", &self.id)
            .field("field", &self.field)
            .field("message", &self.message)
            .finish()
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FrameError {}

/// JavaScript's `typeof` of a JSON value (for messages shaped like the official client's).
fn js_type(v: &Value) -> &'static str {
    match v {
        Value::Null | Value::Array(_) | Value::Object(_) => "object",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
    }
}

const MISSING: Value = Value::Null;

fn get<'a>(o: &'a Map<String, Value>, key: &str) -> &'a Value {
    o.get(key).unwrap_or(&MISSING)
}

fn string(v: &Value, field: &str) -> Result<String, FrameError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Null => Err(FrameError {
            id: None,
            field: Some(field.to_owned()),
            message: format!("{field}: expected string but got undefined"),
        }),
        other => Err(FrameError::field(field, "string", other)),
    }
}

fn optional_string(v: &Value, field: &str) -> Result<Option<String>, FrameError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        other => Err(FrameError::field(field, "string or null/undefined", other)),
    }
}

fn object<'a>(v: &'a Value, field: &str) -> Result<&'a Map<String, Value>, FrameError> {
    match v {
        Value::Object(o) => Ok(o),
        other => Err(FrameError::field(field, "object", other)),
    }
}

fn attributes(v: &Value, field: &str) -> Result<Option<Attributes>, FrameError> {
    if v.is_null() {
        return Ok(None);
    }
    let o = object(v, field)?;
    let mut out = Attributes::new();
    for (k, v) in o {
        match v {
            Value::String(s) => {
                out.insert(k.clone(), s.clone());
            }
            other => {
                return Err(FrameError::field(
                    field,
                    "object with string keys & values",
                    other,
                ));
            }
        }
    }
    Ok(Some(out))
}

fn error_code(v: &Value, field: &str) -> Result<i64, FrameError> {
    let Value::Number(n) = v else {
        return Err(FrameError::field(field, "number", v));
    };
    if let Some(i) = n.as_i64() {
        return Ok(i);
    }
    // A JSON number the official client accepts but that is no integer code (403.5, 1e300):
    // a deliberate difference, the code is an integer here.
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
        _ => Err(FrameError {
            id: None,
            field: Some(field.to_owned()),
            message: format!("{field}: expected an integer error code"),
        }),
    }
}

/// `SendTime`: RFC 3339 (any number of fractional digits, any offset) or a bare `YYYY-MM-DD`
/// (midnight UTC), the ISO 8601 forms JavaScript's `Date` parses the same way everywhere. The
/// other strings V8's lenient fallback accepts (`"Tue, 11 Oct 2022 12:46:41 GMT"`, local times
/// without an offset) are rejected: a deliberate difference.
pub fn parse_send_time(s: &str) -> Option<SystemTime> {
    crate::protocol::serde_time::parse_rfc3339(s, false)
        .ok()
        .map(SystemTime::from)
}

fn send_time(v: &Value, field: &str) -> Result<SystemTime, FrameError> {
    match v {
        Value::String(s) => parse_send_time(s).ok_or_else(|| FrameError {
            id: None,
            field: Some(field.to_owned()),
            message: format!("{field}: expected date string but got an invalid date"),
        }),
        other => Err(FrameError::field(field, "date string", other)),
    }
}

fn parse_message(o: &Map<String, Value>) -> Result<ChatMessage, FrameError> {
    let sender = object(get(o, "Sender"), "Sender")?;
    let id = string(get(o, "Id"), "Id")?;
    let user_id = string(get(sender, "UserId"), "Sender.UserId")?;
    let sender_attributes = attributes(get(sender, "Attributes"), "Sender.Attributes")?;
    let content = string(get(o, "Content"), "Content")?;
    let send_time = send_time(get(o, "SendTime"), "SendTime")?;
    let request_id = optional_string(get(o, "RequestId"), "RequestId")?;
    let attributes = attributes(get(o, "Attributes"), "Attributes")?;
    Ok(ChatMessage {
        id,
        request_id,
        content,
        attributes,
        send_time,
        sender: ChatUser {
            user_id,
            attributes: sender_attributes,
        },
    })
}

fn parse_event(o: &Map<String, Value>) -> Result<ServerFrame, FrameError> {
    let id = string(get(o, "Id"), "Id")?;
    let event_name = string(get(o, "EventName"), "EventName")?;
    let send_time = send_time(get(o, "SendTime"), "SendTime")?;
    let request_id = optional_string(get(o, "RequestId"), "RequestId")?;
    let attributes = attributes(get(o, "Attributes"), "Attributes")?;
    let attribute = |key: &str| {
        attributes
            .as_ref()
            .and_then(|a| a.get(key))
            .map_or(Value::Null, |s| Value::String(s.clone()))
    };
    match event_name.as_str() {
        "aws:DELETE_MESSAGE" => {
            let message_id = string(&attribute("MessageID"), "event.attributes.MessageID")?;
            let reason = optional_string(&attribute("Reason"), "event.attributes.Reason")?;
            Ok(ServerFrame::MessageDelete(DeleteMessageEvent {
                id,
                request_id,
                message_id,
                reason,
                send_time,
                attributes: attributes.unwrap_or_default(),
            }))
        }
        "aws:DISCONNECT_USER" => {
            let user_id = string(&attribute("UserId"), "event.attributes.UserId")?;
            let reason = optional_string(&attribute("Reason"), "event.attributes.Reason")?;
            Ok(ServerFrame::UserDisconnect(DisconnectUserEvent {
                id,
                request_id,
                user_id,
                reason,
                send_time,
                attributes: attributes.unwrap_or_default(),
            }))
        }
        _ => Ok(ServerFrame::Event(ChatEvent {
            id,
            request_id,
            event_name,
            attributes,
            send_time,
        })),
    }
}

fn parse_error(o: &Map<String, Value>) -> Result<ChatError, FrameError> {
    Ok(ChatError {
        id: string(get(o, "Id"), "Id")?,
        code: error_code(get(o, "ErrorCode"), "ErrorCode")?,
        message: string(get(o, "ErrorMessage"), "ErrorMessage")?,
        request_id: optional_string(get(o, "RequestId"), "RequestId")?,
    })
}

/// Parse one server frame (the text of a WebSocket text frame).
///
/// `Ok` is what the official client hands to the application (or, for `ERROR`, to the pending
/// request); `Err` is a frame it only logs. De-duplication by `Id` is the room's business, not
/// this function's.
pub fn parse_frame(text: &str) -> Result<ServerFrame, FrameError> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        FrameError::other(format!(
            "not JSON: {}",
            match e.classify() {
                serde_json::error::Category::Eof => "unexpected end of input",
                serde_json::error::Category::Syntax => "syntax error",
                serde_json::error::Category::Data => "invalid data",
                serde_json::error::Category::Io => "read error",
            }
        ))
    })?;
    let entity = object(&value, "data")?;
    let id = match get(entity, "Id") {
        Value::String(s) => Some(s.clone()),
        _ => None,
    };
    let with_id = |mut e: FrameError| {
        e.id.clone_from(&id);
        e
    };
    let parsed = match get(entity, "Type") {
        Value::String(t) if t == "MESSAGE" => parse_message(entity).map(ServerFrame::Message),
        Value::String(t) if t == "EVENT" => parse_event(entity),
        Value::String(t) if t == "ERROR" => parse_error(entity).map(ServerFrame::Error),
        _ => Err(FrameError::other("unknown entity type".to_owned())),
    };
    parsed.map_err(with_id)
}

/// A `SEND_MESSAGE` request.
#[derive(Clone, PartialEq, Eq)]
pub struct SendMessageRequest {
    /// `RequestId`: a fresh UUIDv4 unless set.
    pub request_id: String,
    /// `Content`.
    pub content: String,
    /// `Attributes`; omitted from the frame when `None`.
    pub attributes: Option<Attributes>,
}

impl SendMessageRequest {
    /// A message with a fresh request id and no attributes.
    pub fn new(content: impl Into<String>) -> Self {
        SendMessageRequest {
            request_id: new_request_id(),
            content: content.into(),
            attributes: None,
        }
    }

    /// Add one attribute.
    pub fn attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes
            .get_or_insert_with(Attributes::new)
            .insert(key.into(), value.into());
        self
    }

    /// Set (or clear) all attributes.
    pub fn attributes(mut self, attributes: Option<Attributes>) -> Self {
        self.attributes = attributes;
        self
    }

    /// Use this request id instead of a fresh UUID.
    pub fn request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = request_id.into();
        self
    }
}

impl From<&str> for SendMessageRequest {
    fn from(content: &str) -> Self {
        SendMessageRequest::new(content)
    }
}

impl From<String> for SendMessageRequest {
    fn from(content: String) -> Self {
        SendMessageRequest::new(content)
    }
}

/// A moderation request: a target (`Id` or `UserId`), a request id and an optional reason (a
/// user id is not for `Debug`: `DisconnectUserRequest` has its own).
macro_rules! moderation_request {
    ($(#[$doc:meta])* $name:ident, $target:ident, $target_doc:literal, $new_doc:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name {
            /// `RequestId`: a fresh UUIDv4 unless set.
            pub request_id: String,
            #[doc = $target_doc]
            pub $target: String,
            /// `Reason`; omitted from the frame when `None`.
            pub reason: Option<String>,
        }

        impl $name {
            #[doc = $new_doc]
            pub fn new($target: impl Into<String>) -> Self {
                $name {
                    request_id: new_request_id(),
                    $target: $target.into(),
                    reason: None,
                }
            }

            /// Give a reason.
            pub fn reason(mut self, reason: impl Into<String>) -> Self {
                self.reason = Some(reason.into());
                self
            }

            /// Use this request id instead of a fresh UUID.
            pub fn request_id(mut self, request_id: impl Into<String>) -> Self {
                self.request_id = request_id.into();
                self
            }
        }

        impl From<&str> for $name {
            fn from($target: &str) -> Self {
                $name::new($target)
            }
        }

        impl From<String> for $name {
            fn from($target: String) -> Self {
                $name::new($target)
            }
        }
    };
}

moderation_request!(
    /// A `DELETE_MESSAGE` request.
    #[derive(Debug)]
    DeleteMessageRequest,
    id,
    "The message to delete (`Id`).",
    "Delete message `id`, with a fresh request id and no reason."
);

moderation_request!(
    /// A `DISCONNECT_USER` request.
    DisconnectUserRequest,
    user_id,
    "The user to disconnect (`UserId`).",
    "Disconnect `user_id`, with a fresh request id and no reason."
);

/// Any client request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatRequest {
    /// `SEND_MESSAGE`.
    SendMessage(SendMessageRequest),
    /// `DELETE_MESSAGE`.
    DeleteMessage(DeleteMessageRequest),
    /// `DISCONNECT_USER`.
    DisconnectUser(DisconnectUserRequest),
}

impl ChatRequest {
    /// A request by its frame `Action` (`SEND_MESSAGE`, `DELETE_MESSAGE` or `DISCONNECT_USER`):
    /// `subject` is the content, the message id or the user id; `None` for any other action.
    pub fn from_action(
        action: &str,
        subject: String,
        attributes: Option<Attributes>,
        reason: Option<String>,
        request_id: String,
    ) -> Option<Self> {
        Some(match action {
            "SEND_MESSAGE" => {
                let r = SendMessageRequest::new(subject).attributes(attributes);
                ChatRequest::SendMessage(r.request_id(request_id))
            }
            "DELETE_MESSAGE" => ChatRequest::DeleteMessage(DeleteMessageRequest {
                request_id,
                id: subject,
                reason,
            }),
            "DISCONNECT_USER" => ChatRequest::DisconnectUser(DisconnectUserRequest {
                request_id,
                user_id: subject,
                reason,
            }),
            _ => return None,
        })
    }

    /// The request's `RequestId`.
    pub fn request_id(&self) -> &str {
        match self {
            ChatRequest::SendMessage(r) => &r.request_id,
            ChatRequest::DeleteMessage(r) => &r.request_id,
            ChatRequest::DisconnectUser(r) => &r.request_id,
        }
    }
}

impl From<SendMessageRequest> for ChatRequest {
    fn from(r: SendMessageRequest) -> Self {
        ChatRequest::SendMessage(r)
    }
}

impl From<DeleteMessageRequest> for ChatRequest {
    fn from(r: DeleteMessageRequest) -> Self {
        ChatRequest::DeleteMessage(r)
    }
}

impl From<DisconnectUserRequest> for ChatRequest {
    fn from(r: DisconnectUserRequest) -> Self {
        ChatRequest::DisconnectUser(r)
    }
}

/// A fresh request id: a UUIDv4, as the official client's `uuid()`.
pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The frame's keys, in the official client's order (`Action`, `RequestId`, then the request's
/// own fields); absent optionals are omitted, as `JSON.stringify` omits `undefined`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Wire<'a> {
    action: &'static str,
    request_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attributes: Option<&'a Attributes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

/// Encode one client request into its frame text (spec §3.2), e.g.
/// `{"Action":"SEND_MESSAGE","RequestId":"…","Content":"hello","Attributes":{"color":"blue"}}`.
pub fn encode_request(request: &ChatRequest) -> String {
    let wire = match request {
        ChatRequest::SendMessage(r) => Wire {
            action: "SEND_MESSAGE",
            request_id: &r.request_id,
            content: Some(&r.content),
            attributes: r.attributes.as_ref(),
            id: None,
            user_id: None,
            reason: None,
        },
        ChatRequest::DeleteMessage(r) => Wire {
            action: "DELETE_MESSAGE",
            request_id: &r.request_id,
            content: None,
            attributes: None,
            id: Some(&r.id),
            user_id: None,
            reason: r.reason.as_deref(),
        },
        ChatRequest::DisconnectUser(r) => Wire {
            action: "DISCONNECT_USER",
            request_id: &r.request_id,
            content: None,
            attributes: None,
            id: None,
            user_id: Some(&r.user_id),
            reason: r.reason.as_deref(),
        },
    };
    // Strings and string maps only: serialization cannot fail.
    serde_json::to_string(&wire).unwrap_or_default()
}

// Debug without user ids, message content or attributes (they are personal data).

fn redacted_map(a: &Option<Attributes>) -> Option<usize> {
    a.as_ref().map(BTreeMap::len)
}

impl fmt::Debug for ChatMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatMessage")
            .field("id", &self.id)
            .field("request_id", &self.request_id)
            .field("content", &REDACTED)
            .field("attributes", &redacted_map(&self.attributes))
            .field("send_time", &self.send_time)
            .field("sender", &self.sender)
            .finish()
    }
}

impl fmt::Debug for ChatUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatUser")
            .field("user_id", &REDACTED)
            .field("attributes", &redacted_map(&self.attributes))
            .finish()
    }
}

impl fmt::Debug for DisconnectUserEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DisconnectUserEvent")
            .field("id", &self.id)
            .field("request_id", &self.request_id)
            .field("user_id", &REDACTED)
            .field("reason", &self.reason)
            .field("send_time", &self.send_time)
            .field("attributes", &self.attributes.len())
            .finish()
    }
}

impl fmt::Debug for SendMessageRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendMessageRequest")
            .field("request_id", &self.request_id)
            .field("content", &REDACTED)
            .field("attributes", &redacted_map(&self.attributes))
            .finish()
    }
}

impl fmt::Debug for DisconnectUserRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DisconnectUserRequest")
            .field("request_id", &self.request_id)
            .field("user_id", &REDACTED)
            .field("reason", &self.reason)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_frames() {
        let m = parse_frame(r#"{"Type":"MESSAGE","Id":"M1","RequestId":"r","Content":"hi","Attributes":{"a":"b"},"SendTime":"2022-10-11T12:46:41.723456789Z","Sender":{"UserId":"u","Attributes":null}}"#).unwrap();
        let ServerFrame::Message(m) = m else { panic!() };
        assert_eq!(m.sender.user_id, "u");
        assert_eq!(m.sender.attributes, None);
        let d = parse_frame(r#"{"Type":"EVENT","Id":"E","EventName":"aws:DELETE_MESSAGE","Attributes":{"MessageId":"x"},"SendTime":"2022-10-11T12:46:41Z"}"#).unwrap_err();
        assert_eq!(d.invalid_field(), Some("event.attributes.MessageID"));
        assert_eq!(d.frame_id(), Some("E"));
        let e = parse_frame(r#"{"Type":"ERROR","Id":"X","ErrorCode":"429","ErrorMessage":"m"}"#)
            .unwrap_err();
        assert_eq!(e.invalid_field(), Some("ErrorCode"));
        assert!(parse_frame("[1]").is_err());
        assert!(parse_frame("").is_err());
    }

    #[test]
    fn request_frames() {
        let r = SendMessageRequest::new("no attributes").request_id("7a");
        assert_eq!(
            encode_request(&r.into()),
            r#"{"Action":"SEND_MESSAGE","RequestId":"7a","Content":"no attributes"}"#
        );
        let r = DisconnectUserRequest::new("mallory")
            .reason("abuse")
            .request_id("61");
        assert_eq!(
            encode_request(&r.into()),
            r#"{"Action":"DISCONNECT_USER","RequestId":"61","UserId":"mallory","Reason":"abuse"}"#
        );
        assert_eq!(
            uuid::Uuid::parse_str(&new_request_id())
                .unwrap()
                .get_version_num(),
            4
        );
    }

    #[test]
    fn requests_by_their_frame_action() {
        let attributes = Some(Attributes::from([("k".to_owned(), "v".to_owned())]));
        let by_action = |action, reason: Option<&str>| {
            let (attrs, reason) = (attributes.clone(), reason.map(str::to_owned));
            ChatRequest::from_action(action, "s".into(), attrs, reason, "r".into())
        };
        assert_eq!(
            by_action("SEND_MESSAGE", None),
            Some(
                SendMessageRequest::new("s")
                    .attributes(attributes.clone())
                    .request_id("r")
                    .into()
            )
        );
        assert_eq!(
            by_action("DELETE_MESSAGE", Some("spam")),
            Some(
                DeleteMessageRequest::new("s")
                    .reason("spam")
                    .request_id("r")
                    .into()
            )
        );
        assert_eq!(
            by_action("DISCONNECT_USER", None),
            Some(DisconnectUserRequest::new("s").request_id("r").into())
        );
        assert_eq!(by_action("send_message", None), None);
    }

    #[test]
    fn dates() {
        assert!(parse_send_time("2022-10-11T12:46:41Z").is_some());
        assert!(parse_send_time("2022-10-11").is_some());
        assert!(parse_send_time("yesterday").is_none());
        assert!(parse_send_time("2022-12-31T23:59:60Z").is_none());
    }
}
