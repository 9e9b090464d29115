//! The chat-room messaging client (the WebSocket Messaging API), the counterpart of the official
//! JS client `amazon-ivs-chat-messaging` (its behaviour is described in `spec/messaging.md`).
//!
//! * [`ChatRoom`]: connect with a token from a [`ChatTokenProvider`], receive [`RoomEvent`]s,
//!   send, delete and disconnect with typed answers. The state machine mirrors the official
//!   client's; the differences are deliberate and listed below.
//! * [`parse_frame`] and [`encode_request`]: the wire, as pure functions (conformance runners).
//!
//! ```no_run
//! # async fn demo(client: ivschat::Client, room_arn: String) -> Result<(), Box<dyn std::error::Error>> {
//! use ivschat::messaging::{ChatRoom, ChatToken, RoomEvent};
//! use ivschat::types::ChatTokenCapability;
//! let room = ChatRoom::builder("us-east-1")
//!     .token_provider(move || {
//!         let (client, room_arn) = (client.clone(), room_arn.clone());
//!         async move {
//!             let out = client.create_chat_token().room_identifier(room_arn).user_id("alice")
//!                 .capabilities(ChatTokenCapability::SendMessage).send().await?;
//!             Ok::<_, ivschat::Error>(ChatToken::from(out))
//!         }
//!     })
//!     .build()?;
//! let mut events = room.events();
//! room.connect().await?;
//! let echo = room.send_message("hello").await?;
//! while let Some(event) = events.recv().await {
//!     match event {
//!         RoomEvent::Message(m) => println!("{}: {}", m.sender.user_id, m.content),
//!         RoomEvent::Disconnected { reason, .. } => { println!("{reason}"); break }
//!         _ => {}
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! # Differences from the official client (deliberate)
//!
//! * Requests time out (`request_timeout`, 10 s) and pending requests fail with
//!   [`RequestError::NotConnected`] when the room ends disconnected; the official promises can
//!   stay unsettled forever. An answer of the wrong kind for a pending id leaves the request
//!   pending (the official client forgets it).
//! * `ERROR` frames that no pending request claims, and frames that fail to parse, are events
//!   ([`RoomEvent::Error`], [`RoomEvent::Unknown`]); the official client only logs them. Binary
//!   frames are [`RoomEvent::Unknown`] (as in browsers; Node's `ws` would parse them).
//! * WebSocket keep-alive pings (`ping_interval`): a silent peer counts as a broken socket
//!   (reconnect). The official client has none.
//! * Bounds: incoming messages (`max_message_size`, 64 KiB: a larger one or a protocol error
//!   closes with 1009/1002 and disconnects with `socketError`, no reconnect), events per
//!   subscriber (`event_capacity`, then [`RoomEvent::Dropped`]), pending requests, remembered
//!   `Id`s (the latest 10,000; the official set grows until a token refresh clears it).
//! * A proactive token refresh whose new connection fails keeps the current socket; the
//!   official client then disconnects the room. Refreshes are at least 1 s apart (the official
//!   client loops at once when `tokenExpirationTime` is past or within 30 s).
//! * `ServerDisconnect` carries the close code and reason; `SessionExpired` exists for
//!   `reconnect_on_session_expiry(false)`; an optional [`ReconnectPolicy`].
//! * `SendTime` is RFC 3339 (or `YYYY-MM-DD`); V8's other lenient date forms are rejected.
//!   `ErrorCode` must be an integer. An invalid region or URL fails at `build()`.

mod frames;
mod room;
mod socket;
mod token;

pub use frames::{
    Attributes, ChatError, ChatEvent, ChatMessage, ChatRequest, ChatUser, DeleteMessageEvent,
    DeleteMessageRequest, DisconnectUserEvent, DisconnectUserRequest, FrameError,
    SendMessageRequest, ServerFrame, encode_request, new_request_id, parse_frame, parse_send_time,
};
pub use room::{
    ChatRoom, ChatRoomBuilder, ConfigError, ConnectError, ConnectionState, DisconnectReason,
    EventStream, ReconnectPolicy, RequestError, RoomEvent, UnknownFrame,
};
pub use token::{ChatToken, ChatTokenProvider, TokenError, TokenFuture};
