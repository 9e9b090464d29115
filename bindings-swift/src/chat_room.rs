//! `ChatRoom`: the core's messaging client (`ivschat::messaging::ChatRoom`) for Kotlin and Swift,
//! with the app's `ChatTokenProvider` (a foreign trait) and an event subscription object that
//! the hand-written Kotlin `Flow` and Swift `AsyncStream` wrappers drain.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ivschat::messaging as core;

use crate::chat_types::{
    ChatError, ChatMessage, ChatRoomEvent, ChatRoomState, ChatToken, DeleteMessageEvent,
    DeleteMessageRequest, DisconnectReason, DisconnectUserEvent, DisconnectUserRequest,
    SendMessageRequest,
};

/// Why a token provider has no token (Kotlin: `ChatTokenProviderException`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
pub enum ChatTokenProviderError {
    /// The provider failed; `reason` must not contain the token.
    Failed { reason: String },
}

impl fmt::Display for ChatTokenProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Failed { reason } => f.write_str(reason),
        }
    }
}

impl std::error::Error for ChatTokenProviderError {}

impl From<uniffi::UnexpectedUniFFICallbackError> for ChatTokenProviderError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Failed { reason: e.reason }
    }
}

/// Fetches a chat token from the app's backend (which calls `CreateChatToken`). Called before
/// every connection attempt (first connect, retries, reconnects, token refreshes): tokens are
/// single-use, so return a fresh one each time.
#[uniffi::export(foreign)]
#[async_trait::async_trait]
pub trait ChatTokenProvider: Send + Sync {
    /// A fresh token, or throws `ChatTokenProviderError`.
    async fn get_chat_token(&self) -> Result<ChatToken, ChatTokenProviderError>;
}

/// The app's provider as the core's.
struct ForeignTokenProvider(Arc<dyn ChatTokenProvider>);

impl core::ChatTokenProvider for ForeignTokenProvider {
    fn fetch_token(&self) -> core::TokenFuture<'_> {
        Box::pin(async move {
            let token = self.0.get_chat_token().await?;
            Ok(token.into())
        })
    }
}

/// Automatic reconnection (capped, jittered exponential backoff) after the room would stay
/// disconnected. Off unless given, as in the official clients.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReconnectPolicy {
    /// Reconnects in a row before giving up; none: for ever.
    #[uniffi(default = None)]
    pub max_retries: Option<u32>,
    /// The first delay (default 1 s).
    #[uniffi(default = None)]
    pub initial_delay: Option<Duration>,
    /// The largest delay (default 30 s).
    #[uniffi(default = None)]
    pub max_delay: Option<Duration>,
}

/// Room settings beyond the region and the token provider; unset ones keep the core's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct ChatRoomOptions {
    /// Retries of a failing connection attempt, each with a fresh token (default 3).
    #[uniffi(default = None)]
    pub max_reconnect_attempts: Option<u32>,
    /// Reconnect automatically after a server close or exhausted attempts (default off).
    #[uniffi(default = None)]
    pub reconnect_policy: Option<ReconnectPolicy>,
    /// Reconnect with a fresh token when the session expires (default true).
    #[uniffi(default = None)]
    pub reconnect_on_session_expiry: Option<bool>,
    /// How long a request waits for its answer (default 10 s).
    #[uniffi(default = None)]
    pub request_timeout: Option<Duration>,
    /// Deadline of one socket opening: TCP, TLS, WebSocket handshake (default 10 s).
    #[uniffi(default = None)]
    pub connect_timeout: Option<Duration>,
    /// Deadline of one `getChatToken()` call (default 10 s).
    #[uniffi(default = None)]
    pub token_timeout: Option<Duration>,
    /// WebSocket pings after this much silence (default 30 s; zero: no keep-alive).
    #[uniffi(default = None)]
    pub ping_interval: Option<Duration>,
    /// Events buffered per subscriber before the oldest are dropped (default 1024).
    #[uniffi(default = None)]
    pub event_capacity: Option<u32>,
    /// Largest incoming message in bytes (default 64 KiB).
    #[uniffi(default = None)]
    pub max_message_size: Option<u32>,
    /// A local id for the room, never sent (default a UUID).
    #[uniffi(default = None)]
    pub id: Option<String>,
    /// PEM certificates trusted as roots besides Mozilla's, for `wss://`.
    #[uniffi(default = None)]
    pub extra_root_certificates: Option<String>,
}

impl ChatRoomOptions {
    fn apply(self, mut b: core::ChatRoomBuilder) -> core::ChatRoomBuilder {
        if let Some(n) = self.max_reconnect_attempts {
            b = b.max_reconnect_attempts(n);
        }
        if let Some(p) = self.reconnect_policy {
            let default = core::ReconnectPolicy::default();
            b = b.reconnect_policy(Some(core::ReconnectPolicy {
                max_retries: p.max_retries,
                initial_delay: p.initial_delay.unwrap_or(default.initial_delay),
                max_delay: p.max_delay.unwrap_or(default.max_delay),
            }));
        }
        if let Some(yes) = self.reconnect_on_session_expiry {
            b = b.reconnect_on_session_expiry(yes);
        }
        if let Some(t) = self.request_timeout {
            b = b.request_timeout(t);
        }
        if let Some(t) = self.connect_timeout {
            b = b.connect_timeout(t);
        }
        if let Some(t) = self.token_timeout {
            b = b.token_timeout(t);
        }
        if let Some(t) = self.ping_interval {
            b = b.ping_interval((!t.is_zero()).then_some(t));
        }
        if let Some(n) = self.event_capacity {
            b = b.event_capacity(n as usize);
        }
        if let Some(n) = self.max_message_size {
            b = b.max_message_size(n as usize);
        }
        if let Some(id) = self.id {
            b = b.id(id);
        }
        if let Some(pem) = self.extra_root_certificates {
            b = b.extra_root_certificates(pem);
        }
        b
    }
}

/// Why a room call failed (Kotlin: `ChatRoomException`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
#[uniffi::export(Display)]
pub enum ChatRoomError {
    /// The server refused the request with an `ERROR` frame (`error.code`: 403 missing
    /// capability, 413 too long, 429 rate limited, 406 denied by the review handler...).
    Chat { error: ChatError },
    /// The room is not connected (or disconnected before the answer came).
    NotConnected { detail: String },
    /// No answer within the request timeout.
    Timeout { request_id: String },
    /// A request with this id is already pending.
    DuplicateRequestId { request_id: String },
    /// Too many requests are waiting for their answer.
    TooManyPending { limit: u64 },
    /// `connect()` when the room was not disconnected.
    InvalidState { state: ChatRoomState },
    /// `connect()` could not connect.
    ConnectFailed { reason: DisconnectReason },
    /// The room cannot be built (an invalid region or URL...).
    Configuration { detail: String },
}

impl fmt::Display for ChatRoomError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChatRoomError::Chat { error } => error.fmt(f),
            ChatRoomError::NotConnected { detail } | ChatRoomError::Configuration { detail } => {
                f.write_str(detail)
            }
            ChatRoomError::Timeout { request_id } => {
                write!(f, "no answer to request {request_id} in time")
            }
            ChatRoomError::DuplicateRequestId { request_id } => {
                write!(f, "duplicate request id {request_id}")
            }
            ChatRoomError::TooManyPending { limit } => {
                write!(f, "too many pending requests (limit {limit})")
            }
            ChatRoomError::InvalidState { state } => {
                write!(f, "state must be \"disconnected\" but is {state}")
            }
            ChatRoomError::ConnectFailed { reason } => write!(f, "could not connect: {reason}"),
        }
    }
}

impl std::error::Error for ChatRoomError {}

impl From<core::RequestError> for ChatRoomError {
    fn from(e: core::RequestError) -> Self {
        match e {
            core::RequestError::Chat(error) => ChatRoomError::Chat {
                error: error.into(),
            },
            core::RequestError::Timeout { request_id } => ChatRoomError::Timeout { request_id },
            core::RequestError::DuplicateRequestId { request_id } => {
                ChatRoomError::DuplicateRequestId { request_id }
            }
            core::RequestError::TooManyPending { limit } => ChatRoomError::TooManyPending {
                limit: limit as u64,
            },
            other => ChatRoomError::NotConnected {
                detail: other.to_string(),
            },
        }
    }
}

impl From<core::ConnectError> for ChatRoomError {
    fn from(e: core::ConnectError) -> Self {
        match e {
            core::ConnectError::InvalidState(state) => ChatRoomError::InvalidState {
                state: state.into(),
            },
            core::ConnectError::Disconnected(reason) => ChatRoomError::ConnectFailed {
                reason: reason.into(),
            },
        }
    }
}

/// A chat room connection, as the official `ChatRoom`: `connect()`, events, `sendMessage`,
/// `deleteMessage`, `disconnectUser`, `disconnect()`.
#[derive(uniffi::Object)]
pub struct ChatRoom(core::ChatRoom);

#[uniffi::export(async_runtime = "tokio")]
impl ChatRoom {
    /// A room at `region_or_url`: an AWS region (`us-west-2`) or a `ws://` / `wss://` URL (such
    /// as ivschat-local's). Not connected yet.
    #[uniffi::constructor(default(options = None))]
    pub fn new(
        region_or_url: String,
        token_provider: Arc<dyn ChatTokenProvider>,
        options: Option<ChatRoomOptions>,
    ) -> Result<Arc<Self>, ChatRoomError> {
        let builder = core::ChatRoom::builder(region_or_url)
            .token_provider(ForeignTokenProvider(token_provider));
        let room = options
            .unwrap_or_default()
            .apply(builder)
            .build()
            .map_err(|e| ChatRoomError::Configuration {
                detail: e.to_string(),
            })?;
        Ok(Arc::new(ChatRoom(room)))
    }

    /// The room's local id.
    pub fn id(&self) -> String {
        self.0.id().to_owned()
    }

    /// The WebSocket URL the room dials.
    pub fn url(&self) -> String {
        self.0.url().to_owned()
    }

    /// The connection state.
    pub fn state(&self) -> ChatRoomState {
        self.0.state().into()
    }

    /// Why the room last disconnected, if it ever did.
    pub fn last_disconnect_reason(&self) -> Option<DisconnectReason> {
        self.0.last_disconnect_reason().map(Into::into)
    }

    /// A subscription to the room's events from now on (Kotlin: `events()` is a `Flow` of it;
    /// Swift: an `AsyncStream`).
    pub fn subscribe(&self) -> Arc<ChatRoomEvents> {
        Arc::new(ChatRoomEvents(tokio::sync::Mutex::new(self.0.events())))
    }

    /// Connects: fetches a token, opens the socket (retrying), returns once it is open.
    pub async fn connect(&self) -> Result<(), ChatRoomError> {
        Ok(self.0.connect().await?)
    }

    /// Closes the connection (code 1000); pending requests fail with `NotConnected`.
    pub async fn disconnect(&self) {
        self.0.disconnect().await
    }

    /// Sends a message; returns the server's echo of it.
    pub async fn send_message(
        &self,
        request: SendMessageRequest,
    ) -> Result<ChatMessage, ChatRoomError> {
        let request: core::SendMessageRequest = request.into();
        Ok(self.0.send_message(request).await?.into())
    }

    /// Deletes a message (needs `DELETE_MESSAGE`); returns the deletion event.
    pub async fn delete_message(
        &self,
        request: DeleteMessageRequest,
    ) -> Result<DeleteMessageEvent, ChatRoomError> {
        let request: core::DeleteMessageRequest = request.into();
        Ok(self.0.delete_message(request).await?.into())
    }

    /// Disconnects a user (needs `DISCONNECT_USER`); returns the disconnection event.
    pub async fn disconnect_user(
        &self,
        request: DisconnectUserRequest,
    ) -> Result<DisconnectUserEvent, ChatRoomError> {
        let request: core::DisconnectUserRequest = request.into();
        Ok(self.0.disconnect_user(request).await?.into())
    }
}

/// One subscription to a room's events; each subscriber has its own bounded buffer (a slow one
/// gets `ChatRoomEvent.Dropped`).
#[derive(uniffi::Object)]
pub struct ChatRoomEvents(tokio::sync::Mutex<core::EventStream>);

#[uniffi::export(async_runtime = "tokio")]
impl ChatRoomEvents {
    /// The next event; none once the room is gone.
    pub async fn next(&self) -> Option<ChatRoomEvent> {
        self.0.lock().await.recv().await.map(Into::into)
    }
}
