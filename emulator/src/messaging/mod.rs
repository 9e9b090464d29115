//! The Amazon IVS Chat Messaging API (WebSocket), on the control plane's port.
//!
//! * Handshake ([`handle_upgrade`]): any path; the chat token is the single value of
//!   `Sec-WebSocket-Protocol` and is echoed in the 101. A token is accepted once, before its
//!   `tokenExpirationTime`, while its room exists. Refusals are plain HTTP answers before the
//!   upgrade (the SDK only sees a socket error and retries with a new token): 400 malformed
//!   upgrade, 401 missing / unknown / expired / already used token, 404 room deleted, 503
//!   shutting down.
//! * Sessions ([`session`]): requests, ERROR frames, session expiry (ERROR 401 then close 1000).
//! * Fan-out ([`hub`]): per-room connection lists, bounded per-connection queues.
//! * Rate limit: `maximumMessageRatePerSecond` is **per room** (all senders together, as the
//!   service documents it), a sliding one-second window over accepted SEND_MESSAGE requests;
//!   over it → ERROR 429. `maximumMessageLength` counts code points → ERROR 413.
//! * Control plane ([`Messaging::apply_notice`]): SendEvent, DeleteMessage, DisconnectUser,
//!   DeleteRoom reach the sockets; UpdateRoom needs nothing here because every request reads the
//!   room's current limits from the store.
//! * Review handler ([`review`]) and chat logs ([`crate::sinks`]).

pub mod frames;
pub mod hub;
pub mod review;
pub mod session;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

use crate::control::new_id;
use crate::hooks::{RoomEvent, RoomNotice};
use crate::server::Shared;
use crate::sinks::{Destination, LogRecord, Sinks};
use crate::store::{ChatTokenRecord, Room};

/// The peer address of a connection (inserted into request extensions by the server).
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// Messaging settings.
#[derive(Debug, Clone)]
pub struct MessagingConfig {
    /// Divides token validity and session durations (tests use e.g. 60 so a 1-minute session
    /// lasts 1 s). 1 = real time.
    pub time_scale: f64,
    /// Lambda ARN → local HTTP URL of a review handler.
    pub review_handlers: HashMap<String, String>,
    /// Review handler timeout (200 ms).
    pub review_timeout: Duration,
    /// Frames queued per connection before it counts as a slow consumer (1,024).
    pub queue_capacity: usize,
}

impl Default for MessagingConfig {
    fn default() -> Self {
        MessagingConfig {
            time_scale: 1.0,
            review_handlers: HashMap::new(),
            review_timeout: Duration::from_millis(200),
            queue_capacity: 1024,
        }
    }
}

/// The messaging side's state.
pub struct Messaging {
    /// Settings.
    pub config: MessagingConfig,
    /// Chat-log writer (when `--log-dir` is set).
    pub sinks: Option<Sinks>,
    /// Rooms fan-out.
    pub hub: hub::Hub,
    closing: AtomicBool,
    next_conn: AtomicU64,
    alive_tx: Mutex<Option<mpsc::Sender<()>>>,
    alive_rx: tokio::sync::Mutex<Option<mpsc::Receiver<()>>>,
}

impl std::fmt::Debug for Messaging {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Messaging")
            .field("connections", &self.hub.connections())
            .finish_non_exhaustive()
    }
}

impl Messaging {
    /// New messaging state.
    pub fn new(config: MessagingConfig, sinks: Option<Sinks>) -> Self {
        let (tx, rx) = mpsc::channel(1);
        Messaging {
            config,
            sinks,
            hub: hub::Hub::default(),
            closing: AtomicBool::new(false),
            next_conn: AtomicU64::new(1),
            alive_tx: Mutex::new(Some(tx)),
            alive_rx: tokio::sync::Mutex::new(Some(rx)),
        }
    }

    fn next_conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    /// Whether shutdown has begun.
    pub fn is_closing(&self) -> bool {
        self.closing.load(Ordering::SeqCst)
    }

    /// Begin shutdown: refuse new upgrades, close every socket after its queued frames
    /// (close 1001 "server shutting down").
    pub fn begin_shutdown(&self) {
        self.closing.store(true, Ordering::SeqCst);
        for room in self.hub.all() {
            room.close_all(1001, "server shutting down");
        }
    }

    /// Clean shutdown: close every socket with a close frame, wait for the connections (5 s
    /// grace), then drain, flush and fsync the chat logs.
    pub async fn shutdown(&self) {
        self.begin_shutdown();
        let tx = self
            .alive_tx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        drop(tx);
        if let Some(mut rx) = self.alive_rx.lock().await.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
        }
        if let Some(s) = &self.sinks {
            s.close().await;
        }
    }

    fn alive_token(&self) -> Option<mpsc::Sender<()>> {
        self.alive_tx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Write a chat-log record for every logging destination of the room.
    pub fn log(&self, shared: &Shared, account: &str, room: &Room, kind: &str, payload: &Value) {
        if room.logging_configuration_identifiers.is_empty() {
            return;
        }
        let Some(sinks) = &self.sinks else {
            return;
        };
        let time = crate::control::now();
        let line = crate::sinks::record_line(kind, &time, payload);
        for arn in &room.logging_configuration_identifiers {
            let id = arn.rsplit('/').next().unwrap_or("");
            let Ok(Some(cfg)) = shared.state.store.get_logging(account, id) else {
                continue;
            };
            let Some(destination) = Destination::from_config(&cfg.destination_configuration) else {
                continue;
            };
            sinks.write(LogRecord {
                destination,
                account_id: account.to_string(),
                region: shared.state.region.clone(),
                room_id: room.id.clone(),
                time,
                line: line.clone(),
            });
        }
    }

    /// Apply a control-plane notice to the connected sockets (and the chat logs).
    pub fn apply_notice(&self, shared: &Shared, n: RoomNotice) {
        let room_id = n.room_arn.rsplit('/').next().unwrap_or("");
        let stored = || {
            shared
                .state
                .store
                .get_room(&n.account_id, room_id)
                .ok()
                .flatten()
        };
        let deliver = |frame: &frames::Frame| {
            if let Some(room) = stored() {
                self.log(shared, &n.account_id, &room, "EVENT", &frame.payload);
            }
            if let Some(hub) = self.hub.get(&n.room_arn) {
                hub.broadcast(&frame.text);
            }
        };
        match n.event {
            RoomEvent::Event {
                id,
                event_name,
                attributes,
            } => deliver(&frames::event(id, "", &event_name, &attributes)),
            RoomEvent::DeleteMessage {
                id,
                message_id,
                reason,
            } => deliver(&frames::delete_message_event(
                id,
                "",
                &message_id,
                reason.as_deref(),
            )),
            RoomEvent::DisconnectUser { user_id, reason } => {
                deliver(&frames::disconnect_user_event(
                    new_id(),
                    "",
                    &user_id,
                    reason.as_deref(),
                ));
                if let Some(hub) = self.hub.get(&n.room_arn) {
                    hub.close_user(&user_id, 1000, "Disconnected by moderator");
                }
            }
            RoomEvent::RoomUpdated { .. } => {}
            RoomEvent::RoomDeleted => {
                if let Some(hub) = self.hub.take(&n.room_arn) {
                    hub.close_all(1000, "room deleted");
                }
            }
        }
    }
}

/// Forward control-plane notices to the sockets until `stop` flips.
pub async fn follow_notices(
    shared: Arc<Shared>,
    mut stop: tokio::sync::watch::Receiver<bool>,
    mut rx: tokio::sync::broadcast::Receiver<RoomNotice>,
) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        tokio::select! {
            n = rx.recv() => match n {
                Ok(n) => shared.messaging.apply_notice(&shared, n),
                Err(RecvError::Lagged(k)) => tracing::warn!(skipped = k, "room notices lagged"),
                Err(RecvError::Closed) => break,
            },
            _ = stop.wait_for(|s| *s) => break,
        }
    }
}

/// How often expired chat tokens are purged: every minute of (scaled) token time, at most
/// every 50 ms.
pub fn purge_interval(time_scale: f64) -> Duration {
    let scale = if time_scale.is_finite() && time_scale > 0.0 {
        time_scale
    } else {
        1.0
    };
    Duration::from_secs_f64((60.0 / scale).clamp(0.05, 60.0))
}

/// Delete the chat tokens that can no longer open a connection (past their
/// `tokenExpirationTime`, scaled by `--time-scale` as [`handle_upgrade`] applies it); returns
/// how many.
pub fn purge_expired_tokens(shared: &Shared) -> usize {
    let scale = shared.messaging.config.time_scale;
    let now = Utc::now();
    let state = &shared.state;
    let _g = state.lock();
    let dead = |t: &ChatTokenRecord| {
        let (token_deadline, _) = scaled(t, scale);
        now >= token_deadline
    };
    match state.store.purge_tokens(&dead) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "purging expired chat tokens failed");
            0
        }
    }
}

/// Purge expired chat tokens periodically until `stop` flips.
pub async fn purge_tokens_periodically(
    shared: Arc<Shared>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(purge_interval(shared.messaging.config.time_scale));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let n = purge_expired_tokens(&shared);
                if n > 0 {
                    tracing::debug!(purged = n, "expired chat tokens purged");
                }
            }
            _ = stop.wait_for(|s| *s) => break,
        }
    }
}

/// Whether a request asks for a WebSocket upgrade.
pub fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

fn refuse(status: u16, message: &str, request_id: &str) -> Response<Full<Bytes>> {
    let mut resp = crate::server::json_response(
        status,
        Some(&serde_json::json!({ "message": message })),
        request_id,
    );
    resp.headers_mut()
        .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

/// RFC 7230 `tchar`s only: what a subprotocol (the token) may hold (spec §2.5). Header field
/// names are exactly such tokens, so `http`'s own check serves.
pub fn is_tchar_token(s: &str) -> bool {
    http::HeaderName::from_bytes(s.as_bytes()).is_ok()
}

/// Scale a token's absolute times by `time_scale` around its creation time.
pub(crate) fn scaled(record: &ChatTokenRecord, scale: f64) -> (DateTime<Utc>, DateTime<Utc>) {
    let created =
        record.session_expiration_time - TimeDelta::minutes(record.session_duration_in_minutes);
    let scale = if scale.is_finite() && scale > 0.0 {
        scale
    } else {
        1.0
    };
    let shrink = |t: DateTime<Utc>| {
        let ms = (t - created).num_milliseconds() as f64 / scale;
        created + TimeDelta::milliseconds(ms as i64)
    };
    (
        shrink(record.token_expiration_time),
        shrink(record.session_expiration_time),
    )
}

enum Refusal {
    Status(u16, &'static str),
}

/// Check and consume a token (single use), under the control plane's write lock.
fn redeem(shared: &Shared, token: &str) -> Result<(ChatTokenRecord, Room, DateTime<Utc>), Refusal> {
    let state = &shared.state;
    let _g = state.lock();
    let Ok(Some(mut record)) = state.store.get_token(token) else {
        return Err(Refusal::Status(401, "Unauthorized: unknown chat token"));
    };
    if record.used {
        return Err(Refusal::Status(
            401,
            "Unauthorized: the chat token was already used",
        ));
    }
    let (token_deadline, session_deadline) = scaled(&record, shared.messaging.config.time_scale);
    let now = Utc::now();
    if now >= token_deadline {
        return Err(Refusal::Status(
            401,
            "Unauthorized: the chat token has expired",
        ));
    }
    let room_id = record.room_arn.rsplit('/').next().unwrap_or("").to_string();
    let Ok(Some(room)) = state.store.get_room(&record.account_id, &room_id) else {
        return Err(Refusal::Status(404, "Not Found: the room does not exist"));
    };
    record.used = true;
    if state.store.put_token(&record).is_err() {
        return Err(Refusal::Status(500, "Internal Server Error"));
    }
    Ok((record, room, session_deadline))
}

/// Handle a WebSocket upgrade request.
pub async fn handle_upgrade(
    shared: Arc<Shared>,
    req: Request<Incoming>,
    request_id: &str,
) -> Response<Full<Bytes>> {
    let headers = req.headers();
    if req.method() != http::Method::GET {
        return refuse(400, "WebSocket upgrades must use GET", request_id);
    }
    let has_token = |name: http::header::HeaderName, want: &str| {
        headers.get_all(name).iter().any(|v| {
            v.to_str()
                .is_ok_and(|s| s.split(',').any(|p| p.trim().eq_ignore_ascii_case(want)))
        })
    };
    if !has_token(http::header::CONNECTION, "upgrade") {
        return refuse(400, "Connection: Upgrade is required", request_id);
    }
    if headers
        .get(http::header::SEC_WEBSOCKET_VERSION)
        .map(|v| v.as_bytes())
        != Some(b"13")
    {
        return refuse(400, "Sec-WebSocket-Version: 13 is required", request_id);
    }
    let Some(key) = headers.get(http::header::SEC_WEBSOCKET_KEY) else {
        return refuse(400, "Sec-WebSocket-Key is required", request_id);
    };
    let accept = derive_accept_key(key.as_bytes());
    let protocols: Vec<&HeaderValue> = headers
        .get_all(http::header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .collect();
    let token = match protocols.as_slice() {
        [one] => one.to_str().unwrap_or("").trim().to_string(),
        [] => {
            return refuse(
                401,
                "Unauthorized: a chat token is required in Sec-WebSocket-Protocol",
                request_id,
            );
        }
        _ => {
            return refuse(
                400,
                "Sec-WebSocket-Protocol must hold exactly one chat token",
                request_id,
            );
        }
    };
    if !is_tchar_token(&token) {
        return refuse(401, "Unauthorized: the chat token is malformed", request_id);
    }
    if shared.messaging.is_closing() {
        return refuse(503, "The server is shutting down", request_id);
    }
    let Some(alive) = shared.messaging.alive_token() else {
        return refuse(503, "The server is shutting down", request_id);
    };
    let (record, room, session_deadline) = match redeem(&shared, &token) {
        Ok(x) => x,
        Err(Refusal::Status(status, message)) => {
            tracing::debug!(status, "chat token refused");
            return refuse(status, message, request_id);
        }
    };
    let ip = req
        .extensions()
        .get::<PeerAddr>()
        .map(|p| p.0.ip().to_string())
        .unwrap_or_default();
    let remaining = (session_deadline - Utc::now())
        .to_std()
        .unwrap_or(Duration::ZERO);
    let info = session::SessionInfo {
        account_id: record.account_id.clone(),
        room_arn: record.room_arn.clone(),
        room_id: room.id.clone(),
        user_id: Arc::from(record.user_id.as_str()),
        capabilities: record.capabilities.clone(),
        attributes: record.attributes.clone(),
        deadline: tokio::time::Instant::now() + remaining,
        ip,
    };
    let Ok(protocol) = HeaderValue::from_str(&token) else {
        return refuse(401, "Unauthorized: the chat token is malformed", request_id);
    };
    // Join the room before the 101 is written: a frame broadcast after the client has seen the
    // 101 is queued for this connection and written once the upgrade completes.
    let pending = session::Pending::join(&shared, &info);
    let shared2 = shared.clone();
    tokio::spawn(async move {
        let upgraded = match hyper::upgrade::on(req).await {
            Ok(u) => u,
            Err(e) => {
                tracing::debug!(error = %e, "websocket upgrade failed");
                pending.abandon(&shared2, &info);
                return;
            }
        };
        let config = WebSocketConfig::default()
            .read_buffer_size(8 * 1024)
            .write_buffer_size(16 * 1024)
            .max_message_size(Some(256 * 1024))
            .max_frame_size(Some(256 * 1024));
        let ws =
            WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config))
                .await;
        session::run(shared2, ws, info, pending, alive).await;
    });
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = resp.headers_mut();
    h.insert(http::header::UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(
        http::header::CONNECTION,
        HeaderValue::from_static("Upgrade"),
    );
    if let Ok(v) = HeaderValue::from_str(&accept) {
        h.insert(http::header::SEC_WEBSOCKET_ACCEPT, v);
    }
    h.insert(http::header::SEC_WEBSOCKET_PROTOCOL, protocol);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tchar() {
        assert!(is_tchar_token("AQICAHg-example_token.1~abc"));
        assert!(is_tchar_token("ACEGmnoq#1rstu2BDFH3vxwy!4hlm!#5"));
        assert!(!is_tchar_token("abc/def=="));
        assert!(!is_tchar_token(""));
        assert!(!is_tchar_token("a b"));
    }
}
