//! [`ChatRoom`]: the state machine of the official client's `ChatRoom` + `ChatConnection`
//! (spec §5–§7), one driver task per connected room, requests correlated by `RequestId`.
//!
//! The driver owns the socket(s). The room handle talks to it through a bounded command channel
//! and reads its state from a `watch`; events go out on a bounded `broadcast` channel (a
//! subscriber that falls behind loses the oldest events and is told how many).

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use futures_util::{SinkExt, Stream, StreamExt};
use http::Uri;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::time::{Instant, sleep_until, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::error::{Error as WsError, ProtocolError};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};

use super::frames::{
    self, ChatError, ChatEvent, ChatMessage, ChatRequest, DeleteMessageEvent, DeleteMessageRequest,
    DisconnectUserEvent, DisconnectUserRequest, SendMessageRequest, ServerFrame,
};
use super::socket::{self, DialError, Ws};
use super::token::{ChatToken, ChatTokenProvider};
use crate::transport::tls::TlsSettings;

/// The room's connection state (the official client's `state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionState {
    /// Not connected (initially, after `disconnect()`, or after the connection ended).
    Disconnected,
    /// Fetching a token and opening a socket (first connect or a reconnect).
    Connecting,
    /// A socket is open; requests can be sent.
    Connected,
}

impl ConnectionState {
    /// The official client's name: `disconnected`, `connecting` or `connected`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ConnectionState::Disconnected => "disconnected",
            ConnectionState::Connecting => "connecting",
            ConnectionState::Connected => "connected",
        }
    }
}

/// Why the room disconnected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisconnectReason {
    /// `disconnect()` was called (or every handle of the room was dropped).
    ClientDisconnect,
    /// The server closed the socket cleanly (any close code): no automatic reconnect, as in
    /// the official client. A close frame without a code reports 1005.
    ServerDisconnect {
        /// The close code (1000, 1001, 4xxx …).
        code: u16,
        /// The close reason the server gave (untrusted text).
        reason: String,
    },
    /// The socket could not be opened within `max_reconnect_attempts` retries (refused, HTTP
    /// status other than 101, no subprotocol echo, TLS, timeout), the token is not a valid
    /// subprotocol, or the server broke the protocol (oversized or invalid frames).
    SocketError {
        /// What happened (never holds the token).
        message: String,
    },
    /// The token provider failed (or timed out) on every attempt.
    FetchTokenError {
        /// The provider's error.
        message: String,
    },
    /// The server said the session expired (`ERROR 401`) and the room was built with
    /// `reconnect_on_session_expiry(false)`.
    SessionExpired,
}

impl DisconnectReason {
    /// The official client's name: `clientDisconnect`, `serverDisconnect`, `socketError`,
    /// `fetchTokenError` (and `sessionExpired`, which it does not have).
    pub fn as_str(&self) -> &'static str {
        match self {
            DisconnectReason::ClientDisconnect => "clientDisconnect",
            DisconnectReason::ServerDisconnect { .. } => "serverDisconnect",
            DisconnectReason::SocketError { .. } => "socketError",
            DisconnectReason::FetchTokenError { .. } => "fetchTokenError",
            DisconnectReason::SessionExpired => "sessionExpired",
        }
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisconnectReason::ServerDisconnect { code, reason } if reason.is_empty() => {
                write!(f, "serverDisconnect (close code {code})")
            }
            DisconnectReason::ServerDisconnect { code, reason } => {
                write!(f, "serverDisconnect (close code {code}: {reason})")
            }
            DisconnectReason::SocketError { message } => write!(f, "socketError: {message}"),
            DisconnectReason::FetchTokenError { message } => {
                write!(f, "fetchTokenError: {message}")
            }
            other => f.write_str(other.as_str()),
        }
    }
}

/// A frame the official client would only log: not JSON, not an object, an unknown `Type`, a
/// missing or mistyped field, or a binary frame. Kept, not dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct UnknownFrame {
    /// The frame's text (a binary frame's bytes, lossily decoded).
    pub raw: String,
    /// Whether it came as a binary frame (the service sends text frames only).
    pub binary: bool,
    /// Why it was rejected.
    pub error: String,
    /// The first invalid field, as the official client names it (see
    /// [`FrameError::invalid_field`](super::FrameError::invalid_field)).
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

/// What a room reports: its state changes and what the server sends.
#[derive(Debug, Clone, PartialEq)]
pub enum RoomEvent {
    /// `connecting`: `connect()` was called, or a reconnect began (broken socket, `ERROR 401`,
    /// keep-alive timeout, or the reconnect policy's timer).
    Connecting,
    /// `connect`: a socket opened (not repeated by a proactive token refresh).
    Connected,
    /// `disconnect`: the room is disconnected.
    Disconnected {
        /// Why.
        reason: DisconnectReason,
        /// When the reconnect policy will try again; `None` when the room stays disconnected.
        reconnect_in: Option<Duration>,
    },
    /// `message`.
    Message(ChatMessage),
    /// `event`: a custom event.
    Event(ChatEvent),
    /// `messageDelete`.
    MessageDelete(DeleteMessageEvent),
    /// `userDisconnect`.
    UserDisconnect(DisconnectUserEvent),
    /// An `ERROR` frame no pending request claimed (the official client only logs it).
    Error(ChatError),
    /// A frame that could not be parsed (the official client only logs it).
    Unknown(UnknownFrame),
    /// This subscriber fell behind and `count` events were dropped for it.
    Dropped {
        /// How many events were lost.
        count: u64,
    },
}

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// The room is not connected (or it disconnected before the answer came).
    NotConnected,
    /// No answer within the request timeout.
    Timeout {
        /// The request's id.
        request_id: String,
    },
    /// The server refused the request with an `ERROR` frame.
    Chat(ChatError),
    /// A request with this id is already pending.
    DuplicateRequestId {
        /// The id.
        request_id: String,
    },
    /// Too many requests are waiting for their answer.
    TooManyPending {
        /// The room's `max_pending_requests`.
        limit: usize,
    },
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::NotConnected => f.write_str("Room is not connected"),
            RequestError::Timeout { request_id } => {
                write!(f, "no answer to request {request_id} in time")
            }
            RequestError::Chat(e) => e.fmt(f),
            RequestError::DuplicateRequestId { request_id } => {
                write!(f, "Duplicate request id {request_id}")
            }
            RequestError::TooManyPending { limit } => {
                write!(f, "too many pending requests (limit {limit})")
            }
        }
    }
}

impl std::error::Error for RequestError {}

/// Why `connect()` failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectError {
    /// The room was not disconnected (the official client throws the same).
    InvalidState(ConnectionState),
    /// The connection could not be established.
    Disconnected(DisconnectReason),
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::InvalidState(s) => {
                write!(f, "State must be \"disconnected\" but is {}", s.as_str())
            }
            ConnectError::Disconnected(r) => write!(f, "disconnected: {r}"),
        }
    }
}

impl std::error::Error for ConnectError {}

/// A room that cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Automatic reconnection after the room would stay disconnected (server close, attempts
/// exhausted): capped exponential backoff with jitter. Off unless set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconnectPolicy {
    /// How many reconnects in a row before giving up; `None`: forever.
    pub max_retries: Option<u32>,
    /// The first delay (before jitter).
    pub initial_delay: Duration,
    /// The largest delay (before jitter).
    pub max_delay: Duration,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        ReconnectPolicy {
            max_retries: None,
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl ReconnectPolicy {
    /// The delay before retry `n` (0-based): `min(max, initial·2ⁿ)`, then a uniform draw in its
    /// upper half (so consecutive clients spread out and the delay never collapses to zero).
    pub fn delay(&self, n: u32) -> Duration {
        let base = self
            .initial_delay
            .saturating_mul(1u32.checked_shl(n.min(31)).unwrap_or(u32::MAX))
            .min(self.max_delay);
        let half = base / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// Settings of a room; see [`ChatRoomBuilder`].
#[derive(Debug, Clone)]
struct Settings {
    max_reconnect_attempts: u32,
    reconnect_policy: Option<ReconnectPolicy>,
    reconnect_on_session_expiry: bool,
    request_timeout: Duration,
    connect_timeout: Duration,
    token_timeout: Duration,
    close_timeout: Duration,
    ping_interval: Option<Duration>,
    ping_timeout: Duration,
    event_capacity: usize,
    max_pending_requests: usize,
    max_message_size: usize,
    dedupe_capacity: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_reconnect_attempts: 3,
            reconnect_policy: None,
            reconnect_on_session_expiry: true,
            request_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            token_timeout: Duration::from_secs(10),
            close_timeout: Duration::from_secs(2),
            ping_interval: Some(Duration::from_secs(30)),
            ping_timeout: Duration::from_secs(10),
            event_capacity: 1024,
            max_pending_requests: 1024,
            max_message_size: 64 * 1024,
            dedupe_capacity: 10_000,
        }
    }
}

/// Builds a [`ChatRoom`].
pub struct ChatRoomBuilder {
    region_or_url: String,
    provider: Option<Arc<dyn ChatTokenProvider>>,
    id: Option<String>,
    extra_roots: Option<Vec<u8>>,
    settings: Settings,
}

impl fmt::Debug for ChatRoomBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatRoomBuilder")
            .field("region_or_url", &self.region_or_url)
            .field("token_provider", &self.provider.is_some())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl ChatRoomBuilder {
    /// The token provider (required), called before every connection attempt.
    pub fn token_provider(mut self, provider: impl ChatTokenProvider) -> Self {
        self.provider = Some(Arc::new(provider));
        self
    }

    /// A shared token provider.
    pub fn token_provider_arc(mut self, provider: Arc<dyn ChatTokenProvider>) -> Self {
        self.provider = Some(provider);
        self
    }

    /// Retries of a failing connection attempt (token fetch or socket), immediate and each with
    /// a fresh token, as the official client's `maxReconnectAttempts`. Default 3.
    pub fn max_reconnect_attempts(mut self, n: u32) -> Self {
        self.settings.max_reconnect_attempts = n;
        self
    }

    /// Reconnect automatically, with backoff, when the room would otherwise stay disconnected
    /// (a server close, or attempts exhausted). Off by default, as in the official client.
    pub fn reconnect_policy(mut self, policy: Option<ReconnectPolicy>) -> Self {
        self.settings.reconnect_policy = policy;
        self
    }

    /// Reconnect with a fresh token on `ERROR 401` (default `true`, as the official client);
    /// with `false` the room disconnects with [`DisconnectReason::SessionExpired`].
    pub fn reconnect_on_session_expiry(mut self, yes: bool) -> Self {
        self.settings.reconnect_on_session_expiry = yes;
        self
    }

    /// How long a request waits for its answer. Default 10 s (the official client never gives
    /// up).
    pub fn request_timeout(mut self, t: Duration) -> Self {
        self.settings.request_timeout = t;
        self
    }

    /// Deadline of one socket opening (TCP, TLS and the WebSocket handshake). Default 10 s.
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.settings.connect_timeout = t;
        self
    }

    /// Deadline of one token provider call. Default 10 s.
    pub fn token_timeout(mut self, t: Duration) -> Self {
        self.settings.token_timeout = t;
        self
    }

    /// How long a close handshake (and a socket write) may take. Default 2 s.
    pub fn close_timeout(mut self, t: Duration) -> Self {
        self.settings.close_timeout = t;
        self
    }

    /// WebSocket pings after this much silence (default 30 s; `None`: no keep-alive). A peer
    /// that sends nothing within `ping_timeout` of a ping counts as a broken socket.
    pub fn ping_interval(mut self, t: Option<Duration>) -> Self {
        self.settings.ping_interval = t;
        self
    }

    /// See [`ping_interval`](Self::ping_interval). Default 10 s.
    pub fn ping_timeout(mut self, t: Duration) -> Self {
        self.settings.ping_timeout = t;
        self
    }

    /// Events buffered per subscriber before the oldest are dropped. Default 1024.
    pub fn event_capacity(mut self, n: usize) -> Self {
        self.settings.event_capacity = n;
        self
    }

    /// Requests waiting for an answer at once. Default 1024.
    pub fn max_pending_requests(mut self, n: usize) -> Self {
        self.settings.max_pending_requests = n;
        self
    }

    /// Largest incoming message (and frame), in bytes. Default 64 KiB (the service's messages
    /// are at most 500 characters plus attributes); with `event_capacity` it bounds the memory
    /// a subscriber that does not read can hold.
    pub fn max_message_size(mut self, n: usize) -> Self {
        self.settings.max_message_size = n;
        self
    }

    /// How many recent `Id`s are remembered to drop duplicates. Default 10,000.
    pub fn dedupe_capacity(mut self, n: usize) -> Self {
        self.settings.dedupe_capacity = n;
        self
    }

    /// A local id for the room (never sent). Default: a UUID.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Extra root certificates (PEM) to trust besides Mozilla's, for `wss://`.
    pub fn extra_root_certificates(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_roots = Some(pem.into());
        self
    }

    /// Build the room (it is not connected yet).
    pub fn build(self) -> Result<ChatRoom, ConfigError> {
        let (url, uri) = socket::endpoint(&self.region_or_url).map_err(ConfigError)?;
        let provider = self
            .provider
            .ok_or_else(|| ConfigError("a token provider is required".to_owned()))?;
        let s = &self.settings;
        let positive = [
            ("request_timeout", s.request_timeout),
            ("connect_timeout", s.connect_timeout),
            ("token_timeout", s.token_timeout),
            ("close_timeout", s.close_timeout),
            ("ping_timeout", s.ping_timeout),
        ];
        for (name, d) in positive {
            if d.is_zero() {
                return Err(ConfigError(format!("{name} must be positive")));
            }
        }
        if s.ping_interval.is_some_and(|d| d.is_zero()) {
            return Err(ConfigError("ping_interval must be positive".to_owned()));
        }
        for (name, n) in [
            ("event_capacity", s.event_capacity),
            ("max_pending_requests", s.max_pending_requests),
            ("max_message_size", s.max_message_size),
            ("dedupe_capacity", s.dedupe_capacity),
        ] {
            if n == 0 {
                return Err(ConfigError(format!("{name} must be positive")));
            }
        }
        let (events, _) = broadcast::channel(s.event_capacity);
        let (status, _) = watch::channel(Status {
            state: ConnectionState::Disconnected,
            connects: 0,
            disconnects: 0,
            last_reason: None,
        });
        let shared = Arc::new(Shared {
            id: self.id.unwrap_or_else(frames::new_request_id),
            url,
            uri,
            provider,
            tls: TlsSettings::new(self.extra_roots),
            settings: self.settings,
            status,
            events,
            pending: Mutex::new(HashMap::new()),
            next_seq: AtomicU64::new(0),
        });
        Ok(ChatRoom {
            inner: Arc::new(Inner {
                shared,
                control: Mutex::new(None),
            }),
        })
    }
}

/// A chat room connection, the counterpart of the official client's `ChatRoom`: cheap to
/// clone (clones share the connection), `Send + Sync`.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use ivschat::messaging::{ChatRoom, ChatToken, RoomEvent};
/// let room = ChatRoom::builder("us-east-1")
///     .token_provider(|| async { Ok::<_, std::io::Error>(ChatToken::new("token-from-your-backend")) })
///     .build()?;
/// let mut events = room.events(); // subscribe before connecting to see every event
/// room.connect().await?;
/// room.send_message("hello").await?;
/// while let Some(event) = events.recv().await {
///     if let RoomEvent::Message(m) = event { println!("{}", m.content) }
/// }
/// # Ok(()) }
/// ```
///
/// Dropping every handle disconnects the room (close code 1000).
#[derive(Clone)]
pub struct ChatRoom {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    /// The live driver's command channel.
    control: Mutex<Option<mpsc::Sender<Command>>>,
}

impl fmt::Debug for ChatRoom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.inner.shared;
        f.debug_struct("ChatRoom")
            .field("id", &s.id)
            .field("url", &s.url)
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

struct Shared {
    id: String,
    url: String,
    uri: Uri,
    provider: Arc<dyn ChatTokenProvider>,
    tls: TlsSettings,
    settings: Settings,
    status: watch::Sender<Status>,
    events: broadcast::Sender<RoomEvent>,
    pending: Mutex<HashMap<String, Pending>>,
    next_seq: AtomicU64,
}

#[derive(Debug, Clone)]
struct Status {
    state: ConnectionState,
    /// How many times the room connected and disconnected (so `connect()` sees its own
    /// outcome even when both happened before it looked).
    connects: u64,
    disconnects: u64,
    last_reason: Option<DisconnectReason>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    SendMessage,
    DeleteMessage,
    DisconnectUser,
}

enum Answer {
    Message(ChatMessage),
    Delete(DeleteMessageEvent),
    Disconnect(DisconnectUserEvent),
}

struct Pending {
    kind: Kind,
    seq: u64,
    tx: oneshot::Sender<Result<Answer, RequestError>>,
}

enum Command {
    Send { request_id: String, text: String },
    Disconnect { done: oneshot::Sender<()> },
    ConnectNow,
}

impl Shared {
    fn emit(&self, event: RoomEvent) {
        let _ = self.events.send(event);
    }

    fn state(&self) -> ConnectionState {
        self.status.borrow().state
    }

    /// Change state, emitting `Connecting` / `Connected` when it changes.
    fn set_state(&self, state: ConnectionState) {
        let changed = self.status.send_if_modified(|s| {
            let changed = s.state != state;
            s.state = state;
            if changed && state == ConnectionState::Connected {
                s.connects += 1;
            }
            changed
        });
        if changed {
            tracing::debug!(room = %self.id, state = state.as_str(), "chat room state");
            match state {
                ConnectionState::Connecting => self.emit(RoomEvent::Connecting),
                ConnectionState::Connected => self.emit(RoomEvent::Connected),
                ConnectionState::Disconnected => {}
            }
        }
    }

    /// Go disconnected for `reason` and say so.
    fn disconnected(&self, reason: DisconnectReason, reconnect_in: Option<Duration>) {
        tracing::debug!(room = %self.id, reason = reason.as_str(), "chat room disconnected");
        self.status.send_modify(|s| {
            s.state = ConnectionState::Disconnected;
            s.disconnects += 1;
            s.last_reason = Some(reason.clone());
        });
        self.emit(RoomEvent::Disconnected {
            reason,
            reconnect_in,
        });
    }

    fn fail_all_pending(&self) {
        let drained: Vec<Pending> = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            pending.drain().map(|(_, p)| p).collect()
        };
        for p in drained {
            let _ = p.tx.send(Err(RequestError::NotConnected));
        }
    }

    fn fail_pending(&self, request_id: &str, error: RequestError) {
        let p = self
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(request_id);
        if let Some(p) = p {
            let _ = p.tx.send(Err(error));
        }
    }

    /// Emit `value` as an event, then answer the pending request `request_id` with it if that
    /// request is of `kind` (the official client's order; a request of another kind stays
    /// pending, as the official client leaves its promise unsettled). `value` is copied only
    /// when a request waits for it.
    fn deliver<T: Clone>(
        &self,
        value: T,
        request_id: Option<String>,
        kind: Kind,
        event: fn(T) -> RoomEvent,
        answer: fn(T) -> Answer,
    ) {
        let waiting = request_id.and_then(|id| {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            match pending.get(&id) {
                Some(p) if p.kind == kind => pending.remove(&id),
                _ => None,
            }
        });
        match waiting {
            Some(p) => {
                self.emit(event(value.clone()));
                let _ = p.tx.send(Ok(answer(value)));
            }
            None => self.emit(event(value)),
        }
    }

    /// Reject the pending request `request_id` (any kind); whether there was one.
    fn reject(&self, error: &ChatError) -> bool {
        let Some(request_id) = error.request_id.as_deref().filter(|r| !r.is_empty()) else {
            return false;
        };
        let p = self
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(request_id);
        match p {
            Some(p) => {
                let _ = p.tx.send(Err(RequestError::Chat(error.clone())));
                true
            }
            None => false,
        }
    }
}

/// Removes a request from the pending map when its caller stops waiting.
struct PendingGuard<'a> {
    shared: &'a Shared,
    request_id: &'a str,
    seq: u64,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        let mut pending = self
            .shared
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if pending
            .get(self.request_id)
            .is_some_and(|p| p.seq == self.seq)
        {
            pending.remove(self.request_id);
        }
    }
}

impl ChatRoom {
    /// A builder for a room at `region_or_url`: an AWS region (`us-west-2` gives
    /// `wss://edge.ivschat.us-west-2.amazonaws.com`) or a `ws://` / `wss://` URL dialled
    /// verbatim (such as ivschat-local's).
    pub fn builder(region_or_url: impl Into<String>) -> ChatRoomBuilder {
        ChatRoomBuilder {
            region_or_url: region_or_url.into(),
            provider: None,
            id: None,
            extra_roots: None,
            settings: Settings::default(),
        }
    }

    /// The room's local id (never sent).
    pub fn id(&self) -> &str {
        &self.inner.shared.id
    }

    /// The WebSocket URL the room dials (the official client's `socketUrl`).
    pub fn url(&self) -> &str {
        &self.inner.shared.url
    }

    /// The connection state.
    pub fn state(&self) -> ConnectionState {
        self.inner.shared.state()
    }

    /// Why the room last disconnected, if it ever did.
    pub fn last_disconnect_reason(&self) -> Option<DisconnectReason> {
        self.inner.shared.status.borrow().last_reason.clone()
    }

    /// A new subscription to the room's events, from now on. Each subscriber has its own
    /// bounded buffer (`event_capacity`); one that falls behind gets [`RoomEvent::Dropped`].
    pub fn events(&self) -> EventStream {
        let rx = self.inner.shared.events.subscribe();
        EventStream {
            inner: Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
                let event = match rx.recv().await {
                    Ok(e) => e,
                    Err(broadcast::error::RecvError::Lagged(count)) => RoomEvent::Dropped { count },
                    Err(broadcast::error::RecvError::Closed) => return None,
                };
                Some((event, rx))
            })),
        }
    }

    /// Connect: fetch a token, open the socket (retrying `max_reconnect_attempts` times), and
    /// return once it is open (`Ok` even if it closed again before this returned: the events
    /// tell what followed). Only from [`ConnectionState::Disconnected`]. Must be called
    /// within a Tokio runtime; the connection lives on a task of that runtime.
    pub async fn connect(&self) -> Result<(), ConnectError> {
        let shared = &self.inner.shared;
        let mut status = shared.status.subscribe();
        let before = {
            let s = status.borrow_and_update();
            if s.state != ConnectionState::Disconnected {
                return Err(ConnectError::InvalidState(s.state));
            }
            (s.connects, s.disconnects)
        };
        {
            let mut control = self.inner.control.lock().unwrap_or_else(|p| p.into_inner());
            match control.as_ref().filter(|c| !c.is_closed()) {
                // A driver waiting for the reconnect policy's timer: go now.
                Some(cmd) => {
                    let _ = cmd.try_send(Command::ConnectNow);
                }
                None => {
                    let (tx, rx) = mpsc::channel(64);
                    *control = Some(tx);
                    shared.set_state(ConnectionState::Connecting);
                    tokio::spawn(Driver::new(shared.clone(), rx).run());
                }
            }
        }
        let outcome = status
            .wait_for(|s| s.connects > before.0 || s.disconnects > before.1)
            .await
            .map(|s| (s.connects > before.0, s.last_reason.clone()));
        match outcome {
            Ok((true, _)) => Ok(()),
            Ok((false, reason)) => Err(ConnectError::Disconnected(
                reason.unwrap_or(DisconnectReason::ClientDisconnect),
            )),
            Err(_) => Err(ConnectError::Disconnected(
                DisconnectReason::ClientDisconnect,
            )),
        }
    }

    /// Disconnect: close the socket with code 1000 (waiting at most `close_timeout` for the
    /// server's close), emit `Disconnected(ClientDisconnect)` and fail pending requests with
    /// `NotConnected`. Also cancels a pending automatic reconnect. A no-op when disconnected.
    pub async fn disconnect(&self) {
        let cmd = self
            .inner
            .control
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let Some(cmd) = cmd else {
            return;
        };
        let (done, wait) = oneshot::channel();
        let deadline = (self.inner.shared.settings.close_timeout)
            .saturating_mul(2)
            .saturating_add(Duration::from_secs(1));
        if cmd.send(Command::Disconnect { done }).await.is_ok() {
            let _ = timeout(deadline, wait).await;
        }
    }

    /// Send a message; resolves with the server's echo of it (the `MESSAGE` with this request's
    /// id). `request` can be a `&str` / `String` (the content) or a [`SendMessageRequest`].
    pub async fn send_message(
        &self,
        request: impl Into<SendMessageRequest>,
    ) -> Result<ChatMessage, RequestError> {
        match self
            .request(ChatRequest::SendMessage(request.into()))
            .await?
        {
            Answer::Message(m) => Ok(m),
            _ => Err(RequestError::NotConnected),
        }
    }

    /// Delete a message (needs the `DELETE_MESSAGE` capability); resolves with the
    /// `aws:DELETE_MESSAGE` event. `request` can be the message id or a
    /// [`DeleteMessageRequest`].
    pub async fn delete_message(
        &self,
        request: impl Into<DeleteMessageRequest>,
    ) -> Result<DeleteMessageEvent, RequestError> {
        match self
            .request(ChatRequest::DeleteMessage(request.into()))
            .await?
        {
            Answer::Delete(e) => Ok(e),
            _ => Err(RequestError::NotConnected),
        }
    }

    /// Disconnect a user (needs the `DISCONNECT_USER` capability); resolves with the
    /// `aws:DISCONNECT_USER` event. `request` can be the user id or a
    /// [`DisconnectUserRequest`].
    pub async fn disconnect_user(
        &self,
        request: impl Into<DisconnectUserRequest>,
    ) -> Result<DisconnectUserEvent, RequestError> {
        match self
            .request(ChatRequest::DisconnectUser(request.into()))
            .await?
        {
            Answer::Disconnect(e) => Ok(e),
            _ => Err(RequestError::NotConnected),
        }
    }

    /// Send any request; resolves with its answer as the event it is (`Message`,
    /// `MessageDelete` or `UserDisconnect`). For bindings that pick the request at run time.
    pub async fn send_request(
        &self,
        request: impl Into<ChatRequest>,
    ) -> Result<RoomEvent, RequestError> {
        Ok(match self.request(request.into()).await? {
            Answer::Message(m) => RoomEvent::Message(m),
            Answer::Delete(e) => RoomEvent::MessageDelete(e),
            Answer::Disconnect(e) => RoomEvent::UserDisconnect(e),
        })
    }

    async fn request(&self, request: ChatRequest) -> Result<Answer, RequestError> {
        let kind = match request {
            ChatRequest::SendMessage(_) => Kind::SendMessage,
            ChatRequest::DeleteMessage(_) => Kind::DeleteMessage,
            ChatRequest::DisconnectUser(_) => Kind::DisconnectUser,
        };
        let shared = &*self.inner.shared;
        if shared.state() != ConnectionState::Connected {
            return Err(RequestError::NotConnected);
        }
        let cmd = self
            .inner
            .control
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or(RequestError::NotConnected)?;
        let request_id = request.request_id().to_owned();
        let text = frames::encode_request(&request);
        let (tx, rx) = oneshot::channel();
        let seq = shared.next_seq.fetch_add(1, Ordering::Relaxed);
        {
            let mut pending = shared.pending.lock().unwrap_or_else(|p| p.into_inner());
            if pending.contains_key(&request_id) {
                return Err(RequestError::DuplicateRequestId { request_id });
            }
            let limit = shared.settings.max_pending_requests;
            if pending.len() >= limit {
                return Err(RequestError::TooManyPending { limit });
            }
            pending.insert(request_id.clone(), Pending { kind, seq, tx });
        }
        let _guard = PendingGuard {
            shared,
            request_id: &request_id,
            seq,
        };
        let exchange = async {
            let command = Command::Send {
                request_id: request_id.clone(),
                text,
            };
            cmd.send(command)
                .await
                .map_err(|_| RequestError::NotConnected)?;
            rx.await.unwrap_or(Err(RequestError::NotConnected))
        };
        match timeout(shared.settings.request_timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(RequestError::Timeout {
                request_id: request_id.clone(),
            }),
        }
    }
}

/// A subscription to a room's events ([`ChatRoom::events`]); also a [`Stream`].
pub struct EventStream {
    inner: Pin<Box<dyn Stream<Item = RoomEvent> + Send>>,
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream").finish_non_exhaustive()
    }
}

impl EventStream {
    /// The next event; `None` once the room is gone (every handle dropped and its
    /// connection ended).
    pub async fn recv(&mut self) -> Option<RoomEvent> {
        self.inner.next().await
    }
}

impl Stream for EventStream {
    type Item = RoomEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<RoomEvent>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// Recent `Id`s, to drop a frame seen before (spec §4.7), bounded.
struct Dedupe {
    /// 64-bit keyed hashes of the ids (random keys: a server cannot make two ids collide).
    seen: HashSet<u64>,
    order: VecDeque<u64>,
    capacity: usize,
    keys: std::collections::hash_map::RandomState,
}

impl Dedupe {
    fn new(capacity: usize) -> Self {
        Dedupe {
            seen: HashSet::new(),
            order: VecDeque::new(),
            capacity,
            keys: Default::default(),
        }
    }

    /// Record `id`; false when it was already there.
    fn insert(&mut self, id: &str) -> bool {
        use std::hash::BuildHasher;
        let hash = self.keys.hash_one(id);
        if !self.seen.insert(hash) {
            return false;
        }
        self.order.push_back(hash);
        if self.order.len() > self.capacity
            && let Some(old) = self.order.pop_front()
        {
            self.seen.remove(&old);
        }
        true
    }
}

/// An open socket and its token's expiration.
struct Conn {
    ws: Ws,
    token_expiration_time: Option<SystemTime>,
}

/// A connection being established.
type Establishing = Pin<Box<dyn Future<Output = Result<Conn, DisconnectReason>> + Send>>;

/// A connection attempt's failure.
enum AttemptError {
    Retry(DisconnectReason),
    Fatal(DisconnectReason),
}

/// Fetch a token and open a socket, retrying `max_reconnect_attempts` times at once (the
/// official `ChatConnection`).
async fn establish(shared: Arc<Shared>) -> Result<Conn, DisconnectReason> {
    let mut retries = 0;
    loop {
        match attempt(&shared).await {
            Ok(conn) => return Ok(conn),
            Err(AttemptError::Fatal(reason)) => return Err(reason),
            Err(AttemptError::Retry(reason)) => {
                if retries >= shared.settings.max_reconnect_attempts {
                    return Err(reason);
                }
                retries += 1;
                tracing::debug!(room = %shared.id, attempt = retries, reason = reason.as_str(), "chat connection retry");
            }
        }
    }
}

async fn attempt(shared: &Shared) -> Result<Conn, AttemptError> {
    let s = &shared.settings;
    let token: ChatToken = match timeout(s.token_timeout, shared.provider.fetch_token()).await {
        Ok(Ok(token)) => token,
        Ok(Err(e)) => {
            return Err(AttemptError::Retry(DisconnectReason::FetchTokenError {
                message: e.to_string(),
            }));
        }
        Err(_) => {
            return Err(AttemptError::Retry(DisconnectReason::FetchTokenError {
                message: "the token provider did not answer in time".to_owned(),
            }));
        }
    };
    // A small read buffer: tungstenite zero-fills it before every read, and chat frames are
    // small (its 128 KiB default was a quarter of a receiver's CPU, bench/messaging).
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .max_message_size(Some(s.max_message_size))
        .max_frame_size(Some(s.max_message_size));
    let dial = socket::dial(&shared.uri, &token.token, &shared.tls, config);
    match timeout(s.connect_timeout, dial).await {
        Ok(Ok(ws)) => Ok(Conn {
            ws,
            token_expiration_time: token.token_expiration_time,
        }),
        Ok(Err(DialError::InvalidToken)) => {
            Err(AttemptError::Fatal(DisconnectReason::SocketError {
                message: "the chat token is not a valid WebSocket subprotocol (RFC 7230 token)"
                    .to_owned(),
            }))
        }
        Ok(Err(DialError::Failed(message))) => {
            Err(AttemptError::Retry(DisconnectReason::SocketError {
                message,
            }))
        }
        Err(_) => Err(AttemptError::Retry(DisconnectReason::SocketError {
            message: "the connection did not open in time".to_owned(),
        })),
    }
}

const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);

/// `now + d`, with `d` capped at a year (no overflow from a huge setting).
fn later(d: Duration) -> Instant {
    Instant::now() + d.min(YEAR)
}

/// When to open the replacement connection (spec §7.3): 60 s before the token expires, or
/// 30 s before for tokens with 60 s or less left; not sooner than 1 s from now.
fn refresh_at(token_expiration_time: SystemTime) -> Instant {
    let remaining = token_expiration_time
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    let after = if remaining <= Duration::from_secs(60) {
        remaining.saturating_sub(Duration::from_secs(30))
    } else {
        remaining - Duration::from_secs(60)
    };
    // At most one refresh a second (the official client loops at once on an expired token).
    later(after.max(Duration::from_secs(1)))
}

/// Close a socket with `code` and wait (bounded) for the peer's close.
async fn close_socket(mut ws: Ws, code: CloseCode, within: Duration) {
    let _ = timeout(within, async {
        let frame = CloseFrame {
            code,
            reason: "".into(),
        };
        let _ = ws.close(Some(frame)).await;
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
}

/// WebSocket keep-alive: a ping after `interval` of silence; silence for `timeout` after it
/// means the socket is broken.
struct Keepalive {
    interval: Option<Duration>,
    timeout: Duration,
    /// When the timer next looks: a ping is due then unless bytes arrived meanwhile.
    next_ping: Instant,
    heard: Instant,
    awaiting: Option<Instant>,
}

impl Keepalive {
    fn new(interval: Option<Duration>, timeout: Duration) -> Self {
        Keepalive {
            interval,
            timeout,
            next_ping: later(interval.unwrap_or_default()),
            heard: Instant::now(),
            awaiting: None,
        }
    }

    /// Bytes arrived (the deadline moves only when the timer looks, not per frame).
    fn heard(&mut self) {
        self.awaiting = None;
        self.heard = Instant::now();
    }

    /// The timer fired with no ping out: whether the peer was quiet for an interval (ping it);
    /// if not, the next look is an interval after the last bytes.
    fn quiet(&mut self) -> bool {
        let quiet_until = self.heard + self.period();
        if quiet_until > Instant::now() {
            self.next_ping = quiet_until;
            return false;
        }
        true
    }

    fn pinged(&mut self) {
        self.awaiting = Some(Instant::now());
        self.next_ping = later(self.period());
    }

    /// The ping interval, capped at a year (unused without one: `deadline` is then `None`).
    fn period(&self) -> Duration {
        self.interval.unwrap_or_default().min(YEAR)
    }

    fn deadline(&self) -> Option<Instant> {
        self.interval?;
        Some(match self.awaiting {
            Some(since) => since + self.timeout.min(YEAR),
            None => self.next_ping,
        })
    }
}

/// How a connected period ended.
enum End {
    /// Open a new connection (fresh retry budget): broken socket, `ERROR 401`, keep-alive.
    Reconnect,
    /// Disconnected for this reason (the reconnect policy may apply).
    Lost(DisconnectReason),
    /// The driver is done (client disconnect, already reported).
    Stop,
}

/// What a text frame asks of the driver.
enum Flow {
    Continue,
    Unauthorized,
}

struct Driver {
    shared: Arc<Shared>,
    commands: mpsc::Receiver<Command>,
    dedupe: Dedupe,
}

impl Driver {
    fn new(shared: Arc<Shared>, commands: mpsc::Receiver<Command>) -> Self {
        let dedupe = Dedupe::new(shared.settings.dedupe_capacity);
        Driver {
            shared,
            commands,
            dedupe,
        }
    }

    async fn run(mut self) {
        let mut policy_retries = 0u32;
        loop {
            self.shared.set_state(ConnectionState::Connecting);
            let lost = match self.establish().await {
                None => return,
                Some(Err(reason)) => reason,
                Some(Ok(conn)) => {
                    policy_retries = 0;
                    self.shared.set_state(ConnectionState::Connected);
                    match self.connected(conn).await {
                        End::Reconnect => continue,
                        End::Stop => return,
                        End::Lost(reason) => reason,
                    }
                }
            };
            let delay = match &self.shared.settings.reconnect_policy {
                Some(p)
                    if lost != DisconnectReason::SessionExpired
                        && p.max_retries.is_none_or(|m| policy_retries < m) =>
                {
                    Some(p.delay(policy_retries))
                }
                _ => None,
            };
            let Some(delay) = delay else {
                self.finish(lost);
                return;
            };
            policy_retries += 1;
            self.shared.fail_all_pending();
            self.shared.disconnected(lost, Some(delay));
            if !self.backoff(delay).await {
                return;
            }
        }
    }

    /// Final disconnect.
    fn finish(&mut self, reason: DisconnectReason) {
        // Closed first: a `connect()` that sees the new state must start a new driver.
        self.commands.close();
        self.shared.fail_all_pending();
        self.shared.disconnected(reason, None);
    }

    /// Wait out the policy's delay; false when told to stop.
    async fn backoff(&mut self, delay: Duration) -> bool {
        let until = later(delay);
        loop {
            tokio::select! {
                _ = sleep_until(until) => return true,
                cmd = self.commands.recv() => match cmd {
                    Some(Command::ConnectNow) => return true,
                    Some(Command::Send { request_id, .. }) => {
                        self.shared.fail_pending(&request_id, RequestError::NotConnected);
                    }
                    Some(Command::Disconnect { done }) => {
                        self.finish(DisconnectReason::ClientDisconnect);
                        let _ = done.send(());
                        return false;
                    }
                    None => {
                        self.finish(DisconnectReason::ClientDisconnect);
                        return false;
                    }
                },
            }
        }
    }

    /// Establish a connection while serving commands; `None` when told to stop.
    async fn establish(&mut self) -> Option<Result<Conn, DisconnectReason>> {
        let connecting = establish(self.shared.clone());
        tokio::pin!(connecting);
        loop {
            tokio::select! {
                r = &mut connecting => return Some(r),
                cmd = self.commands.recv() => match cmd {
                    Some(Command::ConnectNow) => {}
                    Some(Command::Send { request_id, .. }) => {
                        self.shared.fail_pending(&request_id, RequestError::NotConnected);
                    }
                    Some(Command::Disconnect { done }) => {
                        self.finish(DisconnectReason::ClientDisconnect);
                        let _ = done.send(());
                        return None;
                    }
                    None => {
                        self.finish(DisconnectReason::ClientDisconnect);
                        return None;
                    }
                },
            }
        }
    }

    /// Serve an open connection until it ends.
    async fn connected(&mut self, conn: Conn) -> End {
        let settings = self.shared.settings.clone();
        let mut ws = conn.ws;
        let mut refresh = conn.token_expiration_time.map(refresh_at);
        let mut next: Option<Establishing> = None;
        let mut keepalive = Keepalive::new(settings.ping_interval, settings.ping_timeout);
        // Two timers for the whole connection, moved only when their deadlines change.
        let ping_timer = sleep_until(later(YEAR));
        let refresh_timer = sleep_until(later(YEAR));
        tokio::pin!(ping_timer, refresh_timer);
        loop {
            let ping_at = keepalive.deadline();
            if let Some(at) = ping_at.filter(|at| *at != ping_timer.deadline()) {
                ping_timer.as_mut().reset(at);
            }
            let refresh_due = refresh.filter(|_| next.is_none());
            if let Some(at) = refresh_due.filter(|at| *at != refresh_timer.deadline()) {
                refresh_timer.as_mut().reset(at);
            }
            tokio::select! {
                cmd = self.commands.recv() => match cmd {
                    Some(Command::Send { request_id, text }) => {
                        let sent = timeout(settings.close_timeout, ws.send(Message::text(text))).await;
                        if !matches!(sent, Ok(Ok(()))) {
                            tracing::debug!(room = %self.shared.id, "chat socket write failed");
                            self.shared.fail_pending(&request_id, RequestError::NotConnected);
                            return self.broken(ws);
                        }
                    }
                    Some(Command::ConnectNow) => {}
                    Some(Command::Disconnect { done }) => {
                        self.client_close(ws, settings.close_timeout).await;
                        let _ = done.send(());
                        return End::Stop;
                    }
                    None => {
                        self.client_close(ws, settings.close_timeout).await;
                        return End::Stop;
                    }
                },
                msg = ws.next() => {
                    keepalive.heard();
                    match msg {
                        Some(Ok(Message::Text(text))) => {
                            if let Flow::Unauthorized = self.on_text(text.as_str()) {
                                return self.unauthorized(ws);
                            }
                        }
                        Some(Ok(Message::Binary(bytes))) => {
                            self.shared.emit(RoomEvent::Unknown(UnknownFrame {
                                raw: String::from_utf8_lossy(&bytes).into_owned(),
                                binary: true,
                                error: "binary frame (the service sends text frames)".to_owned(),
                                field: None,
                            }));
                        }
                        Some(Ok(Message::Close(frame))) => {
                            let (code, reason) = frame.map_or((1005, String::new()), |f| {
                                (u16::from(f.code), f.reason.as_str().to_owned())
                            });
                            // Finish the close handshake (tungstenite answers the close).
                            let _ = timeout(settings.close_timeout, async {
                                while let Some(Ok(_)) = ws.next().await {}
                            })
                            .await;
                            return End::Lost(DisconnectReason::ServerDisconnect { code, reason });
                        }
                        Some(Ok(_)) => {}
                        Some(Err(WsError::Capacity(e))) => {
                            let message = format!("the server broke the protocol: {e}");
                            tokio::spawn(close_socket(ws, CloseCode::Size, settings.close_timeout));
                            return End::Lost(DisconnectReason::SocketError { message });
                        }
                        Some(Err(WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake))) => {
                            return self.broken(ws);
                        }
                        Some(Err(e @ (WsError::Protocol(_) | WsError::Utf8(_)))) => {
                            let message = format!("the server broke the protocol: {e}");
                            tokio::spawn(close_socket(ws, CloseCode::Protocol, settings.close_timeout));
                            return End::Lost(DisconnectReason::SocketError { message });
                        }
                        Some(Err(_)) | None => return self.broken(ws),
                    }
                }
                () = &mut ping_timer, if ping_at.is_some() => {
                    if keepalive.awaiting.is_some() {
                        tracing::debug!(room = %self.shared.id, "chat socket keep-alive timeout");
                        return self.broken(ws);
                    }
                    if !keepalive.quiet() {
                        continue;
                    }
                    let sent = timeout(settings.close_timeout, ws.send(Message::Ping(Default::default()))).await;
                    if !matches!(sent, Ok(Ok(()))) {
                        return self.broken(ws);
                    }
                    keepalive.pinged();
                }
                () = &mut refresh_timer, if refresh_due.is_some() => {
                    tracing::debug!(room = %self.shared.id, "chat token refresh: opening the next connection");
                    refresh = None;
                    next = Some(Box::pin(establish(self.shared.clone())));
                }
                r = async { match next.as_mut() { Some(f) => f.await, None => std::future::pending().await } }, if next.is_some() => {
                    next = None;
                    match r {
                        Ok(new) => {
                            tokio::spawn(close_socket(ws, CloseCode::Normal, settings.close_timeout));
                            ws = new.ws;
                            refresh = new.token_expiration_time.map(refresh_at);
                            keepalive = Keepalive::new(settings.ping_interval, settings.ping_timeout);
                        }
                        Err(reason) => {
                            // The official client disconnects the whole room here; the current
                            // socket is still good, so it stays (until the server ends it).
                            tracing::debug!(room = %self.shared.id, reason = reason.as_str(), "chat token refresh failed; keeping the current connection");
                        }
                    }
                }
            }
        }
    }

    /// `disconnect()` while connected: state first (so new requests fail at once), then the
    /// close handshake.
    async fn client_close(&mut self, ws: Ws, within: Duration) {
        self.finish(DisconnectReason::ClientDisconnect);
        close_socket(ws, CloseCode::Normal, within).await;
    }

    /// The socket broke while open (the official `socketConnectionBroken`): reconnect.
    fn broken(&mut self, ws: Ws) -> End {
        drop(ws);
        End::Reconnect
    }

    /// `ERROR 401`: reconnect with a fresh token (closing this socket with 1000), or
    /// disconnect with `SessionExpired`.
    fn unauthorized(&mut self, ws: Ws) -> End {
        let within = self.shared.settings.close_timeout;
        tokio::spawn(close_socket(ws, CloseCode::Normal, within));
        if self.shared.settings.reconnect_on_session_expiry {
            End::Reconnect
        } else {
            End::Lost(DisconnectReason::SessionExpired)
        }
    }

    fn on_text(&mut self, text: &str) -> Flow {
        let frame = match frames::parse_frame(text) {
            Ok(frame) => frame,
            Err(e) => {
                if let Some(id) = e.frame_id()
                    && !self.dedupe.insert(id)
                {
                    return Flow::Continue;
                }
                tracing::debug!(room = %self.shared.id, field = ?e.invalid_field(), "invalid chat frame");
                self.shared.emit(RoomEvent::Unknown(UnknownFrame {
                    raw: text.to_owned(),
                    binary: false,
                    error: e.message().to_owned(),
                    field: e.invalid_field().map(str::to_owned),
                }));
                return Flow::Continue;
            }
        };
        if !self.dedupe.insert(frame.id()) {
            return Flow::Continue;
        }
        let shared = &self.shared;
        match frame {
            ServerFrame::Message(m) => {
                let id = m.request_id.clone();
                shared.deliver(
                    m,
                    id,
                    Kind::SendMessage,
                    RoomEvent::Message,
                    Answer::Message,
                )
            }
            ServerFrame::Event(e) => shared.emit(RoomEvent::Event(e)),
            ServerFrame::MessageDelete(e) => {
                let id = e.request_id.clone();
                shared.deliver(
                    e,
                    id,
                    Kind::DeleteMessage,
                    RoomEvent::MessageDelete,
                    Answer::Delete,
                )
            }
            ServerFrame::UserDisconnect(e) => {
                let id = e.request_id.clone();
                let (event, answer) = (RoomEvent::UserDisconnect, Answer::Disconnect);
                shared.deliver(e, id, Kind::DisconnectUser, event, answer)
            }
            ServerFrame::Error(e) => {
                tracing::debug!(room = %shared.id, code = e.code, "chat ERROR frame");
                let unauthorized = e.code == 401;
                if !shared.reject(&e) {
                    shared.emit(RoomEvent::Error(e));
                }
                if unauthorized {
                    return Flow::Unauthorized;
                }
            }
        }
        Flow::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedupe_is_bounded() {
        let mut d = Dedupe::new(3);
        assert!(d.insert("a"));
        assert!(!d.insert("a"));
        for id in ["b", "c", "d"] {
            assert!(d.insert(id));
        }
        assert_eq!(d.order.len(), 3);
        assert_eq!(d.seen.len(), 3);
        assert!(d.insert("a"), "evicted");
    }

    #[test]
    fn backoff_is_capped_and_jittered() {
        let p = ReconnectPolicy {
            max_retries: None,
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        for n in 0..100 {
            let d = p.delay(n);
            let base = Duration::from_millis(100)
                .saturating_mul(1 << n.min(20))
                .min(Duration::from_secs(1));
            assert!(d >= base / 2 && d <= base, "{n}: {d:?}");
        }
    }

    #[test]
    fn refresh_schedule() {
        let now = SystemTime::now();
        let soon = refresh_at(now + Duration::from_secs(33)) - Instant::now();
        assert!(soon <= Duration::from_secs(3) && soon > Duration::from_secs(2));
        let later = refresh_at(now + Duration::from_secs(600)) - Instant::now();
        assert!(later > Duration::from_secs(539) && later <= Duration::from_secs(540));
        let floor = refresh_at(now - Duration::from_secs(5)) - Instant::now();
        assert!(floor <= Duration::from_secs(1) && floor > Duration::from_millis(900));
    }
}
