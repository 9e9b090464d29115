//! `NativeRoom`, the chat room behind `ChatRoom` (`messaging.js`): the core's
//! `ivschat::messaging::ChatRoom`, its events sent to JavaScript as JSON arrays.
//!
//! `connect` and `disconnect` are carried out in order by one task per room (a `disconnect`
//! interrupts a `connect` still opening). Each connection subscribes to the room's events and
//! starts one forwarding task that owns both JavaScript functions (strong threadsafe functions:
//! a connecting or connected room keeps the process alive, as the official client's socket does)
//! and drops them once the room is disconnected. Request answers go through the same task after
//! the room's events (`["settled", requestId, ok, answer]`), so a `message` event is delivered
//! before the `sendMessage` answer it carries, as in the official client.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use ivschat::messaging::{
    Attributes, ChatRequest, ChatRoom, ChatToken, ChatTokenProvider, RequestError, RoomEvent,
    TokenFuture,
};

/// What a `tokenProvider` resolves to, the times in epoch milliseconds (the facade parses them).
#[napi(object)]
pub struct ProvidedToken {
    pub token: String,
    pub session_expiration_time: Option<f64>,
    pub token_expiration_time: Option<f64>,
}

type TokenFn = ThreadsafeFunction<(), Promise<ProvidedToken>, (), Status, false>;
type EventFn = ThreadsafeFunction<String, (), String, Status, false>;
type Slot<T> = Arc<Mutex<Option<T>>>;

/// The token provider of the current connection (none while disconnected).
struct JsTokens(Slot<Arc<TokenFn>>);

impl ChatTokenProvider for JsTokens {
    fn fetch_token(&self) -> TokenFuture<'_> {
        let provider = self.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        Box::pin(async move {
            let provider = provider.ok_or("the room is disconnected")?;
            let t = provider.call_async(()).await?.await?;
            let time = |ms: Option<f64>| {
                ms.and_then(|ms| Duration::try_from_secs_f64(ms / 1000.0).ok())
                    .map(|d| UNIX_EPOCH + d)
            };
            let mut token = ChatToken::new(t.token);
            token.session_expiration_time = time(t.session_expiration_time);
            token.token_expiration_time = time(t.token_expiration_time);
            Ok(token)
        })
    }
}

enum Op {
    Connect(EventFn, TokenFn),
    Disconnect,
}

#[napi]
pub struct NativeRoom {
    room: ChatRoom,
    ops: mpsc::UnboundedSender<Op>,
    answers: Slot<mpsc::UnboundedSender<String>>,
}

#[napi]
impl NativeRoom {
    /// Throws `Region contains invalid characters` (or another configuration error), as the
    /// official constructor does.
    #[napi(constructor, catch_unwind)]
    pub fn new(region_or_url: String, max_reconnect_attempts: u32, id: String) -> Result<Self> {
        let tokens: Slot<Arc<TokenFn>> = Arc::default();
        let mut builder = ChatRoom::builder(region_or_url)
            .token_provider(JsTokens(tokens.clone()))
            .max_reconnect_attempts(max_reconnect_attempts)
            .id(id);
        if let Some(pem) = crate::client::extra_ca_certs() {
            builder = builder.extra_root_certificates(pem.clone());
        }
        let room = builder
            .build()
            .map_err(|e| Error::from_reason(e.to_string()))?;
        let (ops, queue) = mpsc::unbounded_channel();
        let answers = Slot::default();
        let actor = run(room.clone(), queue, tokens, answers.clone());
        napi::bindgen_prelude::spawn(actor);
        Ok(NativeRoom { room, ops, answers })
    }

    /// The WebSocket URL dialled.
    #[napi(getter, catch_unwind)]
    pub fn url(&self) -> String {
        self.room.url().to_owned()
    }

    /// Connects (after any earlier `disconnect` is done); what follows arrives as events.
    #[napi(catch_unwind)]
    pub fn connect(
        &self,
        #[napi(ts_arg_type = "(event: string) => void")] on_event: Function<String, ()>,
        #[napi(ts_arg_type = "() => Promise<ProvidedToken>")] provider: Function<
            (),
            Promise<ProvidedToken>,
        >,
    ) -> Result<()> {
        let on_event = on_event
            .build_threadsafe_function()
            .callee_handled::<false>()
            .build()?;
        let provider = provider
            .build_threadsafe_function()
            .callee_handled::<false>()
            .build()?;
        let _ = self.ops.send(Op::Connect(on_event, provider));
        Ok(())
    }

    /// Disconnects (the `disconnect` event of the connection it ends is not sent).
    #[napi(catch_unwind)]
    pub fn disconnect(&self) {
        let _ = self.ops.send(Op::Disconnect);
    }

    /// Sends `SEND_MESSAGE` (`subject`: the content), `DELETE_MESSAGE` (the message id) or
    /// `DISCONNECT_USER` (the user id); the answer comes as a `settled` event.
    #[napi(catch_unwind)]
    pub fn request(
        &self,
        action: String,
        request_id: String,
        subject: String,
        reason: Option<String>,
        attributes: Option<Attributes>,
    ) -> Result<()> {
        let id = request_id.clone();
        let request = ChatRequest::from_action(&action, subject, attributes, reason, id)
            .ok_or_else(|| Error::from_reason(format!("no chat request {action:?}")))?;
        let room = self.room.clone();
        let answers = self
            .answers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        napi::bindgen_prelude::spawn(async move {
            let settled = match room.send_request(request).await {
                Ok(answer) => json!(["settled", request_id, true, event(answer)]),
                Err(RequestError::Chat(e)) => json!([
                    "settled",
                    request_id,
                    false,
                    ["chat", e.id, e.code, e.message, e.request_id]
                ]),
                Err(e) => json!(["settled", request_id, false, ["error", e.to_string()]]),
            };
            if let Some(answers) = answers {
                let _ = answers.send(settled.to_string());
            }
        });
        Ok(())
    }
}

/// Carries out `connect` and `disconnect` in order until the `NativeRoom` is gone.
async fn run(
    room: ChatRoom,
    mut ops: mpsc::UnboundedReceiver<Op>,
    tokens: Slot<Arc<TokenFn>>,
    answers: Slot<mpsc::UnboundedSender<String>>,
) {
    let mut queued = None;
    loop {
        let op = match queued.take() {
            Some(op) => op,
            None => match ops.recv().await {
                Some(op) => op,
                None => return,
            },
        };
        let (on_event, provider) = match op {
            Op::Disconnect => {
                room.disconnect().await;
                continue;
            }
            Op::Connect(on_event, provider) => (on_event, Arc::new(provider)),
        };
        let (tx, rx) = mpsc::unbounded_channel();
        *answers.lock().unwrap_or_else(|p| p.into_inner()) = Some(tx);
        *tokens.lock().unwrap_or_else(|p| p.into_inner()) = Some(provider.clone());
        let events = room.events();
        napi::bindgen_prelude::spawn(forward(events, rx, on_event, (tokens.clone(), provider)));
        tokio::select! {
            biased;
            _ = room.connect() => {}
            op = ops.recv() => queued = op,
        }
    }
}

/// Sends the room's events, then the answers that came after them, until the room is
/// disconnected (or gone); then lets go of the JavaScript functions (the token provider unless a
/// newer connection replaced it).
async fn forward(
    mut events: ivschat::messaging::EventStream,
    mut answers: mpsc::UnboundedReceiver<String>,
    on_event: EventFn,
    (slot, provider): (Slot<Arc<TokenFn>>, Arc<TokenFn>),
) {
    let send = |text: String| {
        on_event.call(text, ThreadsafeFunctionCallMode::NonBlocking);
    };
    loop {
        tokio::select! {
            biased;
            e = events.recv() => {
                let Some(e) = e else { break };
                let last = matches!(e, RoomEvent::Disconnected { reconnect_in: None, .. });
                send(event(e).to_string());
                if last {
                    break;
                }
            }
            Some(answer) = answers.recv() => send(answer),
        }
    }
    let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
    if slot.as_ref().is_some_and(|p| Arc::ptr_eq(p, &provider)) {
        slot.take();
    }
}

/// Milliseconds since the epoch, rounded down as JavaScript reads a date string.
fn millis(t: SystemTime) -> f64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis() as f64,
        Err(e) => -(e.duration().as_nanos().div_ceil(1_000_000) as f64),
    }
}

/// An event as the facade rebuilds it (`messaging.js`, `EVENTS`).
fn event(e: RoomEvent) -> Value {
    match e {
        RoomEvent::Connecting => json!(["connecting"]),
        RoomEvent::Connected => json!(["connect"]),
        RoomEvent::Disconnected { reason, .. } => json!(["disconnect", reason.as_str()]),
        RoomEvent::Message(m) => json!([
            "message",
            m.id,
            m.sender.user_id,
            m.sender.attributes,
            m.content,
            millis(m.send_time),
            m.request_id,
            m.attributes
        ]),
        RoomEvent::Event(e) => json!([
            "event",
            e.id,
            e.event_name,
            millis(e.send_time),
            e.request_id,
            e.attributes
        ]),
        RoomEvent::MessageDelete(e) => json!([
            "messageDelete",
            e.id,
            e.message_id,
            e.reason,
            millis(e.send_time),
            e.request_id,
            e.attributes
        ]),
        RoomEvent::UserDisconnect(e) => json!([
            "userDisconnect",
            e.id,
            e.user_id,
            e.reason,
            millis(e.send_time),
            e.request_id,
            e.attributes
        ]),
        RoomEvent::Error(e) => json!(["error", e.id, e.code, e.message, e.request_id]),
        RoomEvent::Unknown(u) => json!(["rejected", u.field, u.error]),
        RoomEvent::Dropped { count } => json!(["dropped", count]),
    }
}
