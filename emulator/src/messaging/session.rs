//! One WebSocket connection: a reader loop (requests, session expiry) and a writer task
//! (drains the connection's queue, batching frames before each flush).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::frames::{self, Request, Sender};
use super::hub::{self, Ctl, Out, RoomHub};
use super::review::{self, ReviewRequest, Verdict};
use crate::control::new_id;
use crate::server::Shared;

type Ws = WebSocketStream<TokioIo<Upgraded>>;

/// What the upgrade established about the connection.
pub struct SessionInfo {
    /// Account of the room.
    pub account_id: String,
    /// Room ARN.
    pub room_arn: String,
    /// Room id.
    pub room_id: String,
    /// User id (never logged).
    pub user_id: Arc<str>,
    /// Capabilities.
    pub capabilities: Vec<String>,
    /// Token attributes (never logged).
    pub attributes: BTreeMap<String, String>,
    /// When the session expires.
    pub deadline: Instant,
    /// Peer IP.
    pub ip: String,
}

struct Ctx {
    shared: Arc<Shared>,
    info: SessionInfo,
    room: Arc<RoomHub>,
    conn_id: u64,
    tx: mpsc::Sender<Out>,
    ctl: Arc<Ctl>,
}

impl Ctx {
    fn reply_error(&self, request_id: &str, code: u16, message: &str) {
        hub::send(
            &self.tx,
            &self.ctl,
            frames::error(request_id, code, message),
        );
    }
    fn has(&self, cap: &str) -> bool {
        self.info.capabilities.iter().any(|c| c == cap)
    }
    fn sender(&self) -> Sender {
        Sender {
            user_id: self.info.user_id.to_string(),
            attributes: self.info.attributes.clone(),
        }
    }
    /// Leave the room and close after the queued frames.
    fn close(&self, code: u16, reason: &'static str) {
        self.room.remove(self.conn_id);
        hub::close(&self.tx, &self.ctl, code, reason);
    }
}

fn close_message(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code: CloseCode::from(code),
        reason: reason.into(),
    }))
}

/// A connection that is already in its room while its upgrade completes: frames broadcast
/// from the moment [`Pending::join`] returns are queued for it (the 101 is written after that).
pub struct Pending {
    room: Arc<RoomHub>,
    conn_id: u64,
    tx: mpsc::Sender<Out>,
    rx: mpsc::Receiver<Out>,
    ctl: Arc<Ctl>,
}

impl Pending {
    /// Join the room now.
    pub fn join(shared: &Shared, info: &SessionInfo) -> Pending {
        let messaging = &shared.messaging;
        let (tx, rx) = mpsc::channel(messaging.config.queue_capacity.max(1));
        let ctl = Arc::new(Ctl::default());
        let conn_id = messaging.next_conn_id();
        let room = messaging.hub.join(
            &info.room_arn,
            conn_id,
            info.user_id.clone(),
            tx.clone(),
            ctl.clone(),
        );
        Pending {
            room,
            conn_id,
            tx,
            rx,
            ctl,
        }
    }

    /// The upgrade failed: leave the room.
    pub fn abandon(self, shared: &Shared, info: &SessionInfo) {
        shared.messaging.hub.leave(&info.room_arn, self.conn_id);
    }
}

/// The close code for a read error (RFC 6455 §7.4.1), or `None` when the connection is gone
/// (no close frame can be sent).
pub fn close_code_for(e: &WsError) -> Option<(u16, &'static str)> {
    match e {
        WsError::Capacity(_) => Some((1009, "message too big")),
        WsError::Utf8(_) => Some((1007, "invalid UTF-8 in a text frame")),
        // The peer dropped the TCP connection: nobody to send a close frame to.
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => None,
        WsError::Protocol(_) | WsError::AttackAttempt => Some((1002, "protocol error")),
        _ => None,
    }
}

/// Run a connection to its end.
pub async fn run(
    shared: Arc<Shared>,
    ws: Ws,
    info: SessionInfo,
    pending: Pending,
    alive: mpsc::Sender<()>,
) {
    let messaging = &shared.messaging;
    let Pending {
        room,
        conn_id,
        tx,
        rx,
        ctl,
    } = pending;
    let (sink, mut stream) = ws.split();
    let writer = tokio::spawn(write_loop(sink, rx, ctl.clone()));
    let ctx = Ctx {
        shared: shared.clone(),
        info,
        room,
        conn_id,
        tx,
        ctl: ctl.clone(),
    };
    if messaging.is_closing() {
        ctx.close(1001, "server shutting down");
    }
    let deadline = tokio::time::sleep_until(ctx.info.deadline);
    tokio::pin!(deadline);
    let mut expired = false;
    loop {
        tokio::select! {
            m = stream.next() => match m {
                Some(Ok(Message::Text(t))) => handle(&ctx, t.as_str()).await,
                Some(Ok(Message::Binary(b))) => match std::str::from_utf8(&b) {
                    Ok(s) => handle(&ctx, s).await,
                    Err(_) => ctx.reply_error("", 400, "Bad Request: frames must be UTF-8 JSON text"),
                },
                Some(Err(e)) => {
                    if let Some((code, reason)) = close_code_for(&e) {
                        // Close at once (queued frames are skipped), then stop reading.
                        ctx.room.remove(conn_id);
                        ctl.kill(code, reason);
                        let _ = tokio::time::timeout(Duration::from_secs(2), ctl.writer_done.notified()).await;
                    }
                    break;
                }
                Some(Ok(Message::Close(_))) => {
                    // tungstenite queued the close reply; the next read flushes it (and then
                    // reports the connection closed).
                    let _ = tokio::time::timeout(Duration::from_secs(1), async {
                        while let Some(Ok(_)) = stream.next().await {}
                    })
                    .await;
                    break;
                }
                None => break,
                Some(Ok(_)) => {}
            },
            _ = &mut deadline, if !expired => {
                expired = true;
                ctx.reply_error("", 401, "Unauthorized: the session has expired");
                ctx.close(1000, "session expired");
            }
            _ = ctl.writer_done.notified() => {
                // The writer sent its close frame (or the socket died): give the peer a moment
                // to answer the close handshake, then stop.
                let _ = tokio::time::timeout(Duration::from_secs(2), async {
                    while let Some(Ok(_)) = stream.next().await {}
                })
                .await;
                break;
            }
        }
    }
    messaging.hub.leave(&ctx.info.room_arn, conn_id);
    drop(ctx);
    let mut writer = writer;
    if tokio::time::timeout(Duration::from_secs(5), &mut writer)
        .await
        .is_err()
    {
        writer.abort();
    }
    drop(alive);
}

async fn write_loop(
    mut sink: futures_util::stream::SplitSink<Ws, Message>,
    mut rx: mpsc::Receiver<Out>,
    ctl: Arc<Ctl>,
) {
    const BATCH: usize = 256;
    'outer: loop {
        let first = tokio::select! {
            biased;
            (code, reason) = ctl.killed() => {
                let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(close_message(code, reason))).await;
                break;
            }
            o = rx.recv() => o,
        };
        let mut next = first;
        let mut n = 0;
        loop {
            match next {
                None => {
                    let _ = tokio::time::timeout(
                        Duration::from_secs(1),
                        sink.send(close_message(1000, "")),
                    )
                    .await;
                    break 'outer;
                }
                Some(Out::Close(code, reason)) => {
                    let _ = tokio::time::timeout(
                        Duration::from_secs(1),
                        sink.send(close_message(code, reason)),
                    )
                    .await;
                    break 'outer;
                }
                Some(Out::Frame(f)) => {
                    let ok = tokio::select! {
                        biased;
                        _ = ctl.killed() => false,
                        r = sink.feed(Message::Text(f)) => r.is_ok(),
                    };
                    if !ok {
                        break 'outer;
                    }
                }
            }
            n += 1;
            if n >= BATCH {
                break;
            }
            match rx.try_recv() {
                Ok(o) => next = Some(o),
                Err(_) => break,
            }
        }
        let ok = tokio::select! {
            biased;
            _ = ctl.killed() => false,
            r = sink.flush() => r.is_ok(),
        };
        if !ok {
            break;
        }
    }
    ctl.writer_done.notify_one();
}

async fn handle(ctx: &Ctx, text: &str) {
    let req = match frames::parse_request(text) {
        Ok(r) => r,
        Err(e) => {
            ctx.reply_error(&e.request_id, 400, &e.message);
            return;
        }
    };
    match req {
        Request::SendMessage {
            request_id,
            content,
            attributes,
        } => send_message(ctx, &request_id, content, attributes).await,
        Request::DeleteMessage {
            request_id,
            id,
            reason,
        } => {
            moderate(ctx, &request_id, "DELETE_MESSAGE", |request_id| {
                frames::delete_message_event(new_id(), request_id, &id, reason.as_deref())
            });
        }
        Request::DisconnectUser {
            request_id,
            user_id,
            reason,
        } => {
            let done = moderate(ctx, &request_id, "DISCONNECT_USER", |request_id| {
                frames::disconnect_user_event(new_id(), request_id, &user_id, reason.as_deref())
            });
            if done {
                ctx.room
                    .close_user(&user_id, 1000, "Disconnected by moderator");
            }
        }
    }
}

/// A moderation request: needs `capability` (ERROR 403) and a live room (ERROR 404); then its
/// event is logged and broadcast. Returns whether it was carried out.
fn moderate(
    ctx: &Ctx,
    request_id: &str,
    capability: &str,
    event: impl FnOnce(&str) -> frames::Frame,
) -> bool {
    if !ctx.has(capability) {
        let message = format!("Forbidden: capability {capability} is required");
        ctx.reply_error(request_id, 403, &message);
        return false;
    }
    let Some(room) = current_room(ctx, request_id) else {
        return false;
    };
    let frame = event(request_id);
    ctx.shared.messaging.log(
        &ctx.shared,
        &ctx.info.account_id,
        &room,
        "EVENT",
        &frame.payload,
    );
    ctx.room.broadcast(&frame.text);
    true
}

/// The room as stored now (so UpdateRoom applies at once); ERROR 404 + close when deleted.
fn current_room(ctx: &Ctx, request_id: &str) -> Option<crate::store::Room> {
    match ctx
        .shared
        .state
        .store
        .get_room(&ctx.info.account_id, &ctx.info.room_id)
    {
        Ok(Some(r)) => Some(r),
        Ok(None) => {
            ctx.reply_error(request_id, 404, "Not Found: the room does not exist");
            ctx.close(1000, "room deleted");
            None
        }
        Err(_) => {
            ctx.reply_error(request_id, 500, "Internal Server Error");
            None
        }
    }
}

async fn send_message(
    ctx: &Ctx,
    request_id: &str,
    mut content: String,
    mut attributes: Option<BTreeMap<String, String>>,
) {
    if !ctx.has("SEND_MESSAGE") {
        ctx.reply_error(
            request_id,
            403,
            "Forbidden: capability SEND_MESSAGE is required",
        );
        return;
    }
    let Some(room) = current_room(ctx, request_id) else {
        return;
    };
    let len = content.chars().count() as i64;
    if len > room.maximum_message_length {
        ctx.reply_error(
            request_id,
            413,
            &format!(
                "Payload Too Large: Content is {len} characters; the room allows {}",
                room.maximum_message_length
            ),
        );
        return;
    }
    if !ctx.room.admit(room.maximum_message_rate_per_second) {
        ctx.reply_error(
            request_id,
            429,
            &format!(
                "Too Many Requests: the room allows {} messages per second",
                room.maximum_message_rate_per_second
            ),
        );
        return;
    }
    let id = new_id();
    if let Some(handler) = &room.message_review_handler {
        let messaging = &ctx.shared.messaging;
        let verdict = match messaging.config.review_handlers.get(&handler.uri) {
            Some(url) => {
                let req = ReviewRequest {
                    content: &content,
                    message_id: &id,
                    room_arn: &room.arn,
                    attributes: attributes.as_ref(),
                    user_id: &ctx.info.user_id,
                    sender_attributes: &ctx.info.attributes,
                    ip: &ctx.info.ip,
                };
                review::call(url, &req, messaging.config.review_timeout).await
            }
            None => Err("no --review-handler mapping for this ARN".to_string()),
        };
        let verdict = verdict.unwrap_or_else(|e| {
            tracing::warn!(room = %room.arn, error = %e, fallback = %handler.fallback_result, "review handler failed; applying fallbackResult");
            if handler.fallback_result.eq_ignore_ascii_case("DENY") {
                Verdict::Deny
            } else {
                Verdict::Allow {
                    content: None,
                    attributes: None,
                }
            }
        });
        match verdict {
            Verdict::Deny => {
                ctx.reply_error(
                    request_id,
                    406,
                    "Not Acceptable: the message was rejected by the review handler",
                );
                return;
            }
            Verdict::Allow {
                content: c,
                attributes: a,
            } => {
                if let Some(c) = c {
                    content = c;
                }
                if a.is_some() {
                    attributes = a;
                }
            }
        }
    }
    let frame = frames::message(id, request_id, &content, attributes.as_ref(), &ctx.sender());
    if !room.logging_configuration_identifiers.is_empty() {
        let mut payload = frame.payload.clone();
        if let Some(s) = payload.get_mut("Sender").and_then(|s| s.as_object_mut()) {
            s.insert("Ip".into(), ctx.info.ip.clone().into());
        }
        ctx.shared.messaging.log(
            &ctx.shared,
            &ctx.info.account_id,
            &room,
            "MESSAGE",
            &payload,
        );
    }
    ctx.room.broadcast(&frame.text);
}
