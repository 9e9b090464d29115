//! The chat room's records and enums (tokens, messages, events, requests, states), converted
//! from and to `ivschat::messaging`. Their `toString()` / `description` is the Rust `Debug`,
//! which leaves out tokens, user ids and message contents, as the core's does.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, SystemTime};

use ivschat::messaging as core;

const REDACTED: &str = "** redacted **";

fn map(a: core::Attributes) -> HashMap<String, String> {
    a.into_iter().collect()
}

fn attributes(a: Option<HashMap<String, String>>) -> Option<core::Attributes> {
    a.map(|a| a.into_iter().collect())
}

fn count<K, V>(a: &Option<HashMap<K, V>>) -> Option<usize> {
    a.as_ref().map(HashMap::len)
}

/// A chat token, as the app's backend got it from `CreateChatToken`.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct ChatToken {
    /// The token (a secret: never printed).
    pub token: String,
    /// When the session the token opens ends.
    #[uniffi(default = None)]
    pub session_expiration_time: Option<SystemTime>,
    /// When the token can no longer open a connection (the room fetches a fresh one before).
    #[uniffi(default = None)]
    pub token_expiration_time: Option<SystemTime>,
}

impl fmt::Debug for ChatToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&core::ChatToken::from(self.clone()), f)
    }
}

impl From<ChatToken> for core::ChatToken {
    fn from(t: ChatToken) -> Self {
        core::ChatToken {
            token: t.token,
            session_expiration_time: t.session_expiration_time,
            token_expiration_time: t.token_expiration_time,
        }
    }
}

/// Who sent a message.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct ChatUser {
    /// The sender's user id (from their chat token).
    pub user_id: String,
    /// The sender's attributes (from their chat token).
    pub attributes: Option<HashMap<String, String>>,
}

impl fmt::Debug for ChatUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatUser")
            .field("user_id", &REDACTED)
            .field("attributes", &count(&self.attributes))
            .finish()
    }
}

/// A chat message (`message` event, and the answer to `sendMessage`).
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct ChatMessage {
    /// The message's id (what `deleteMessage` takes).
    pub id: String,
    /// The id of the request that sent it.
    pub request_id: Option<String>,
    /// The text.
    pub content: String,
    /// The message's attributes.
    pub attributes: Option<HashMap<String, String>>,
    /// When the server sent it.
    pub send_time: SystemTime,
    /// Who sent it.
    pub sender: ChatUser,
}

impl fmt::Debug for ChatMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatMessage")
            .field("id", &self.id)
            .field("request_id", &self.request_id)
            .field("content", &REDACTED)
            .field("attributes", &count(&self.attributes))
            .field("send_time", &self.send_time)
            .field("sender", &self.sender)
            .finish()
    }
}

impl From<core::ChatMessage> for ChatMessage {
    fn from(m: core::ChatMessage) -> Self {
        ChatMessage {
            id: m.id,
            request_id: m.request_id,
            content: m.content,
            attributes: m.attributes.map(map),
            send_time: m.send_time,
            sender: ChatUser {
                user_id: m.sender.user_id,
                attributes: m.sender.attributes.map(map),
            },
        }
    }
}

/// A custom event (`SendEvent` from the control plane).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChatEvent {
    /// The event's id.
    pub id: String,
    /// The id of the request that caused it.
    pub request_id: Option<String>,
    /// The event's name.
    pub event_name: String,
    /// The event's attributes.
    pub attributes: Option<HashMap<String, String>>,
    /// When the server sent it.
    pub send_time: SystemTime,
}

impl From<core::ChatEvent> for ChatEvent {
    fn from(e: core::ChatEvent) -> Self {
        ChatEvent {
            id: e.id,
            request_id: e.request_id,
            event_name: e.event_name,
            attributes: e.attributes.map(map),
            send_time: e.send_time,
        }
    }
}

/// A message was deleted (`messageDelete` event, and the answer to `deleteMessage`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeleteMessageEvent {
    /// The event's id.
    pub id: String,
    /// The id of the request that deleted the message.
    pub request_id: Option<String>,
    /// The deleted message's id.
    pub message_id: String,
    /// Why, as the moderator said.
    pub reason: Option<String>,
    /// When the server sent it.
    pub send_time: SystemTime,
    /// All of the event's attributes.
    pub attributes: HashMap<String, String>,
}

impl From<core::DeleteMessageEvent> for DeleteMessageEvent {
    fn from(e: core::DeleteMessageEvent) -> Self {
        DeleteMessageEvent {
            id: e.id,
            request_id: e.request_id,
            message_id: e.message_id,
            reason: e.reason,
            send_time: e.send_time,
            attributes: map(e.attributes),
        }
    }
}

/// A user was disconnected (`userDisconnect` event, and the answer to `disconnectUser`).
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct DisconnectUserEvent {
    /// The event's id.
    pub id: String,
    /// The id of the request that disconnected the user.
    pub request_id: Option<String>,
    /// The disconnected user's id.
    pub user_id: String,
    /// Why, as the moderator said.
    pub reason: Option<String>,
    /// When the server sent it.
    pub send_time: SystemTime,
    /// All of the event's attributes.
    pub attributes: HashMap<String, String>,
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

impl From<core::DisconnectUserEvent> for DisconnectUserEvent {
    fn from(e: core::DisconnectUserEvent) -> Self {
        DisconnectUserEvent {
            id: e.id,
            request_id: e.request_id,
            user_id: e.user_id,
            reason: e.reason,
            send_time: e.send_time,
            attributes: map(e.attributes),
        }
    }
}

/// An `ERROR` frame: the server refused a request (or says the session expired).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Display)]
pub struct ChatError {
    /// The frame's id.
    pub id: String,
    /// 400, 401, 403, 404, 406, 413, 429 or 500.
    pub code: i64,
    /// The server's message.
    pub message: String,
    /// The refused request's id.
    pub request_id: Option<String>,
}

impl fmt::Display for ChatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "chat error {}: {}", self.code, self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl From<core::ChatError> for ChatError {
    fn from(e: core::ChatError) -> Self {
        ChatError {
            id: e.id,
            code: e.code,
            message: e.message,
            request_id: e.request_id,
        }
    }
}

/// A frame the room could not parse: kept, not dropped.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct UnknownFrame {
    /// The frame's text.
    pub raw: String,
    /// Whether it came as a binary frame.
    pub binary: bool,
    /// Why it was rejected.
    pub error: String,
    /// The first invalid field, as the official client names it (`Sender`, `SendTime`...).
    pub field: Option<String>,
}

impl fmt::Debug for UnknownFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnknownFrame")
            .field("raw_len", &self.raw.len())
            .field("binary", &self.binary)
            .field("error", &self.error)
            .field("field", &self.field)
            .finish()
    }
}

/// What `sendMessage` sends.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct SendMessageRequest {
    /// The text.
    pub content: String,
    /// The message's attributes.
    #[uniffi(default = None)]
    pub attributes: Option<HashMap<String, String>>,
    /// The request id; default: a fresh UUID.
    #[uniffi(default = None)]
    pub request_id: Option<String>,
}

impl fmt::Debug for SendMessageRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendMessageRequest")
            .field("content", &REDACTED)
            .field("attributes", &count(&self.attributes))
            .field("request_id", &self.request_id)
            .finish()
    }
}

impl From<SendMessageRequest> for core::SendMessageRequest {
    fn from(r: SendMessageRequest) -> Self {
        let request = core::SendMessageRequest::new(r.content).attributes(attributes(r.attributes));
        match r.request_id {
            Some(id) => request.request_id(id),
            None => request,
        }
    }
}

/// What `deleteMessage` sends (needs the `DELETE_MESSAGE` capability).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeleteMessageRequest {
    /// The id of the message to delete.
    pub id: String,
    /// Why (shown to the room).
    #[uniffi(default = None)]
    pub reason: Option<String>,
    /// The request id; default: a fresh UUID.
    #[uniffi(default = None)]
    pub request_id: Option<String>,
}

impl From<DeleteMessageRequest> for core::DeleteMessageRequest {
    fn from(r: DeleteMessageRequest) -> Self {
        let mut request = core::DeleteMessageRequest::new(r.id);
        request.reason = r.reason;
        match r.request_id {
            Some(id) => request.request_id(id),
            None => request,
        }
    }
}

/// What `disconnectUser` sends (needs the `DISCONNECT_USER` capability).
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug)]
pub struct DisconnectUserRequest {
    /// The user to disconnect.
    pub user_id: String,
    /// Why (shown to the room).
    #[uniffi(default = None)]
    pub reason: Option<String>,
    /// The request id; default: a fresh UUID.
    #[uniffi(default = None)]
    pub request_id: Option<String>,
}

impl fmt::Debug for DisconnectUserRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DisconnectUserRequest")
            .field("user_id", &REDACTED)
            .field("reason", &self.reason)
            .field("request_id", &self.request_id)
            .finish()
    }
}

impl From<DisconnectUserRequest> for core::DisconnectUserRequest {
    fn from(r: DisconnectUserRequest) -> Self {
        let mut request = core::DisconnectUserRequest::new(r.user_id);
        request.reason = r.reason;
        match r.request_id {
            Some(id) => request.request_id(id),
            None => request,
        }
    }
}

/// The room's connection state; prints as the official client's name (`connected`...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
#[uniffi::export(Display)]
pub enum ChatRoomState {
    /// Not connected.
    Disconnected,
    /// Fetching a token and opening a socket.
    Connecting,
    /// Connected: requests can be sent.
    Connected,
}

impl From<core::ConnectionState> for ChatRoomState {
    fn from(s: core::ConnectionState) -> Self {
        match s {
            core::ConnectionState::Disconnected => ChatRoomState::Disconnected,
            core::ConnectionState::Connecting => ChatRoomState::Connecting,
            core::ConnectionState::Connected => ChatRoomState::Connected,
        }
    }
}

impl fmt::Display for ChatRoomState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChatRoomState::Disconnected => "disconnected",
            ChatRoomState::Connecting => "connecting",
            ChatRoomState::Connected => "connected",
        })
    }
}

/// Why the room disconnected; prints as the official client's name, with the details.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
#[uniffi::export(Display)]
pub enum DisconnectReason {
    /// `disconnect()` was called.
    ClientDisconnect,
    /// The server closed the socket (a moderator's `disconnectUser`, the room deleted...).
    ServerDisconnect {
        /// The close code.
        code: u16,
        /// The close reason the server gave.
        reason: String,
    },
    /// The socket could not be opened, or broke, and retries ran out.
    SocketError {
        /// What happened.
        message: String,
    },
    /// The token provider failed (or timed out) on every attempt.
    FetchTokenError {
        /// The provider's error.
        message: String,
    },
    /// The session expired and the room was told not to reconnect.
    SessionExpired,
}

impl From<core::DisconnectReason> for DisconnectReason {
    fn from(r: core::DisconnectReason) -> Self {
        match r {
            core::DisconnectReason::ClientDisconnect => DisconnectReason::ClientDisconnect,
            core::DisconnectReason::ServerDisconnect { code, reason } => {
                DisconnectReason::ServerDisconnect { code, reason }
            }
            core::DisconnectReason::SocketError { message } => {
                DisconnectReason::SocketError { message }
            }
            core::DisconnectReason::FetchTokenError { message } => {
                DisconnectReason::FetchTokenError { message }
            }
            core::DisconnectReason::SessionExpired => DisconnectReason::SessionExpired,
        }
    }
}

impl From<DisconnectReason> for core::DisconnectReason {
    fn from(r: DisconnectReason) -> Self {
        match r {
            DisconnectReason::ClientDisconnect => core::DisconnectReason::ClientDisconnect,
            DisconnectReason::ServerDisconnect { code, reason } => {
                core::DisconnectReason::ServerDisconnect { code, reason }
            }
            DisconnectReason::SocketError { message } => {
                core::DisconnectReason::SocketError { message }
            }
            DisconnectReason::FetchTokenError { message } => {
                core::DisconnectReason::FetchTokenError { message }
            }
            DisconnectReason::SessionExpired => core::DisconnectReason::SessionExpired,
        }
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        core::DisconnectReason::from(self.clone()).fmt(f)
    }
}

/// What a room reports: its state changes and what the server sends.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ChatRoomEvent {
    /// Connecting (first connect or a reconnect).
    Connecting,
    /// A socket opened.
    Connected,
    /// The room is disconnected.
    Disconnected {
        /// Why.
        reason: DisconnectReason,
        /// When the reconnect policy will try again; none when the room stays disconnected.
        reconnect_in: Option<Duration>,
    },
    /// A chat message.
    Message { message: ChatMessage },
    /// A custom event.
    Event { event: ChatEvent },
    /// A message was deleted.
    MessageDelete { event: DeleteMessageEvent },
    /// A user was disconnected.
    UserDisconnect { event: DisconnectUserEvent },
    /// An `ERROR` frame no pending request claimed.
    Error { error: ChatError },
    /// A frame the room could not parse.
    Unknown { frame: UnknownFrame },
    /// This subscriber fell behind and `count` events were dropped for it.
    Dropped { count: u64 },
}

impl From<core::RoomEvent> for ChatRoomEvent {
    fn from(e: core::RoomEvent) -> Self {
        match e {
            core::RoomEvent::Connecting => ChatRoomEvent::Connecting,
            core::RoomEvent::Connected => ChatRoomEvent::Connected,
            core::RoomEvent::Disconnected {
                reason,
                reconnect_in,
            } => ChatRoomEvent::Disconnected {
                reason: reason.into(),
                reconnect_in,
            },
            core::RoomEvent::Message(m) => ChatRoomEvent::Message { message: m.into() },
            core::RoomEvent::Event(e) => ChatRoomEvent::Event { event: e.into() },
            core::RoomEvent::MessageDelete(e) => ChatRoomEvent::MessageDelete { event: e.into() },
            core::RoomEvent::UserDisconnect(e) => ChatRoomEvent::UserDisconnect { event: e.into() },
            core::RoomEvent::Error(e) => ChatRoomEvent::Error { error: e.into() },
            core::RoomEvent::Unknown(u) => ChatRoomEvent::Unknown {
                frame: UnknownFrame {
                    raw: u.raw,
                    binary: u.binary,
                    error: u.error,
                    field: u.field,
                },
            },
            core::RoomEvent::Dropped { count } => ChatRoomEvent::Dropped { count },
        }
    }
}
