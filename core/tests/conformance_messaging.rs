//! The messaging conformance runner (Rust): `tests/conformance/messaging.json`, whose
//! expectations are what the official JS client did (`tools/oracle/messaging/generate.mjs`).
//!
//! Frame cases run a real [`ChatRoom`] against a local scripted server, exactly as the oracle
//! ran the official client: each frame is followed by a sync event, and what the room did in
//! between (an event, a rejection, a duplicate drop, a settled request, a reconnect) is
//! compared. Request cases compare [`encode_request`] and the frame the room really sent.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures_util::{SinkExt, StreamExt};
use ivschat::messaging::*;
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

const WAIT: Duration = Duration::from_secs(5);

fn load() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/conformance/messaging.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("messaging.json")).unwrap()
}

// ---- neutral JSON: the official client's objects as JSON.stringify prints them -----------------

fn time(t: SystemTime) -> Value {
    let t: chrono::DateTime<chrono::Utc> = t.into();
    Value::String(t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

fn put(o: &mut Map<String, Value>, key: &str, v: Option<impl Into<Value>>) {
    if let Some(v) = v {
        o.insert(key.to_owned(), v.into());
    }
}

fn attributes(a: &Attributes) -> Value {
    Value::Object(
        a.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

fn message(m: &ChatMessage) -> Value {
    let mut sender = Map::new();
    sender.insert("userId".into(), m.sender.user_id.clone().into());
    put(
        &mut sender,
        "attributes",
        m.sender.attributes.as_ref().map(attributes),
    );
    let mut o = Map::new();
    o.insert("id".into(), m.id.clone().into());
    o.insert("sender".into(), Value::Object(sender));
    o.insert("content".into(), m.content.clone().into());
    o.insert("sendTime".into(), time(m.send_time));
    put(&mut o, "requestId", m.request_id.clone());
    put(&mut o, "attributes", m.attributes.as_ref().map(attributes));
    Value::Object(o)
}

fn event(e: &ChatEvent) -> Value {
    let mut o = Map::new();
    o.insert("id".into(), e.id.clone().into());
    o.insert("eventName".into(), e.event_name.clone().into());
    o.insert("sendTime".into(), time(e.send_time));
    put(&mut o, "requestId", e.request_id.clone());
    put(&mut o, "attributes", e.attributes.as_ref().map(attributes));
    Value::Object(o)
}

fn deleted(e: &DeleteMessageEvent) -> Value {
    let mut o = Map::new();
    o.insert("id".into(), e.id.clone().into());
    o.insert("messageId".into(), e.message_id.clone().into());
    put(&mut o, "reason", e.reason.clone());
    o.insert("sendTime".into(), time(e.send_time));
    put(&mut o, "requestId", e.request_id.clone());
    o.insert("attributes".into(), attributes(&e.attributes));
    Value::Object(o)
}

fn kicked(e: &DisconnectUserEvent) -> Value {
    let mut o = Map::new();
    o.insert("id".into(), e.id.clone().into());
    o.insert("userId".into(), e.user_id.clone().into());
    put(&mut o, "reason", e.reason.clone());
    o.insert("sendTime".into(), time(e.send_time));
    put(&mut o, "requestId", e.request_id.clone());
    o.insert("attributes".into(), attributes(&e.attributes));
    Value::Object(o)
}

fn chat_error(e: &ChatError) -> Value {
    let mut o = Map::new();
    o.insert("id".into(), e.id.clone().into());
    o.insert("errorCode".into(), e.code.into());
    o.insert("errorMessage".into(), e.message.clone().into());
    put(&mut o, "requestId", e.request_id.clone());
    Value::Object(o)
}

// ---- the scripted server -------------------------------------------------------------------

#[derive(Default)]
struct Server {
    /// Open connections, oldest first.
    sockets: Mutex<Vec<(usize, mpsc::UnboundedSender<String>)>>,
    /// Text frames received.
    received: Mutex<Vec<String>>,
}

impl Server {
    async fn start() -> (String, Arc<Server>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/", listener.local_addr().unwrap());
        let server = Arc::new(Server::default());
        let state = server.clone();
        tokio::spawn(async move {
            for n in 0.. {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let state = state.clone();
                tokio::spawn(async move {
                    #[allow(clippy::result_large_err)] // tungstenite's accept callback signature
                    let echo = |req: &Request, mut resp: Response| {
                        if let Some(p) = req.headers().get("sec-websocket-protocol") {
                            resp.headers_mut()
                                .insert("sec-websocket-protocol", p.clone());
                        }
                        Ok(resp)
                    };
                    let Ok(ws) = tokio_tungstenite::accept_hdr_async(tcp, echo).await else {
                        return;
                    };
                    let (mut sink, mut stream) = ws.split();
                    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
                    state.sockets.lock().unwrap().push((n, tx));
                    let writer = tokio::spawn(async move {
                        while let Some(text) = rx.recv().await {
                            if sink.send(Message::text(text)).await.is_err() {
                                return;
                            }
                        }
                    });
                    while let Some(Ok(m)) = stream.next().await {
                        if let Message::Text(t) = m {
                            state.received.lock().unwrap().push(t.as_str().to_owned());
                        }
                    }
                    state.sockets.lock().unwrap().retain(|(i, _)| *i != n);
                    writer.abort();
                });
            }
        });
        (url, server)
    }

    fn send_newest(&self, text: &str) {
        let sockets = self.sockets.lock().unwrap();
        let (_, tx) = sockets.last().expect("an open socket");
        tx.send(text.to_owned()).unwrap();
    }

    fn send_all(&self, text: &str) {
        for (_, tx) in self.sockets.lock().unwrap().iter() {
            let _ = tx.send(text.to_owned());
        }
    }

    async fn wait_received(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while self.received.lock().unwrap().len() < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "frames not received"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

/// A room under observation, with its events so far.
struct Observed {
    room: ChatRoom,
    events: EventStream,
    server: Arc<Server>,
    syncs: usize,
}

impl Observed {
    async fn open() -> Observed {
        let (url, server) = Server::start().await;
        let room = ChatRoom::builder(url)
            .token_provider(ChatToken::new("conformance-token"))
            .request_timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let events = room.events();
        room.connect().await.unwrap();
        let mut o = Observed {
            room,
            events,
            server,
            syncs: 0,
        };
        o.settle().await;
        o
    }

    /// Events up to the next sync event (sent to every open socket until it arrives).
    async fn settle(&mut self) -> Vec<RoomEvent> {
        self.syncs += 1;
        let id = format!("oracle-sync-{}", self.syncs);
        let text = json!({"Type": "EVENT", "Id": id, "EventName": "oracle:sync",
            "SendTime": "2022-01-01T00:00:00.000Z"})
        .to_string();
        let mut seen = Vec::new();
        let deadline = tokio::time::Instant::now() + WAIT;
        self.server.send_all(&text);
        loop {
            assert!(tokio::time::Instant::now() < deadline, "sync timeout");
            match tokio::time::timeout(Duration::from_millis(25), self.events.recv()).await {
                Ok(Some(RoomEvent::Event(e))) if e.event_name == "oracle:sync" => {
                    if e.id == id {
                        return seen;
                    }
                }
                Ok(Some(e)) => seen.push(e),
                Ok(None) => panic!("event stream ended"),
                Err(_) => self.server.send_all(&text),
            }
        }
    }
}

type Settled = (String, Result<Value, RequestError>);

fn outcome(events: Vec<RoomEvent>, settled: Vec<Settled>, case: &str) -> Value {
    let mut out = Map::new();
    let mut states = Vec::new();
    for e in events {
        let (kind, data) = match e {
            RoomEvent::Message(m) => ("message", message(&m)),
            RoomEvent::Event(e) => ("event", event(&e)),
            RoomEvent::MessageDelete(e) => ("messageDelete", deleted(&e)),
            RoomEvent::UserDisconnect(e) => ("userDisconnect", kicked(&e)),
            RoomEvent::Error(e) => {
                out.insert("error".into(), chat_error(&e));
                continue;
            }
            RoomEvent::Unknown(u) => {
                out.insert(
                    "rejected".into(),
                    json!({"field": u.field, "message": u.error}),
                );
                continue;
            }
            RoomEvent::Connecting => {
                states.push("connecting");
                continue;
            }
            RoomEvent::Connected => {
                states.push("connect");
                continue;
            }
            other => panic!("{case}: unexpected {other:?}"),
        };
        assert!(!out.contains_key("accepted"), "{case}: several events");
        out.insert("accepted".into(), kind.into());
        out.insert("data".into(), data);
    }
    for (request_id, result) in settled {
        match result {
            Ok(value) => {
                assert_eq!(Some(&value), out.get("data"), "{case}: resolved value");
                out.insert("resolves".into(), request_id.into());
            }
            Err(RequestError::Chat(e)) => {
                out.insert("error".into(), chat_error(&e));
                out.insert("rejects".into(), request_id.into());
            }
            Err(e) => panic!("{case}: {request_id} failed: {e}"),
        }
    }
    if !states.is_empty() {
        assert_eq!(states, ["connecting", "connect"], "{case}");
        out.insert("reconnects".into(), true.into());
    }
    if out.is_empty() {
        out.insert("duplicate".into(), true.into());
    }
    Value::Object(out)
}

/// Compare one frame's outcome: a rejection's `message` is the official client's wording and
/// is not compared (only the field it names).
fn same(expected: &Value, actual: &Value) -> bool {
    let (Some(e), Some(a)) = (expected.as_object(), actual.as_object()) else {
        return false;
    };
    if e.keys().collect::<Vec<_>>() != a.keys().collect::<Vec<_>>() {
        return false;
    }
    e.iter().all(|(k, v)| match k.as_str() {
        "rejected" => v["field"] == a[k]["field"],
        _ => *v == a[k],
    })
}

async fn run_frames(case: &Value) -> Result<(), String> {
    let id = case["id"].as_str().unwrap();
    let mut o = Observed::open().await;
    let (tx, mut rx) = mpsc::unbounded_channel::<Settled>();
    let pending = case["pending"].as_array().cloned().unwrap_or_default();
    for p in &pending {
        let room = o.room.clone();
        let tx = tx.clone();
        let action = p["action"].as_str().unwrap().to_owned();
        let request_id = p["requestId"].as_str().unwrap().to_owned();
        tokio::spawn(async move {
            let r = request_id.clone();
            let result = match action.as_str() {
                "SEND_MESSAGE" => room
                    .send_message(SendMessageRequest::new("pending").request_id(r))
                    .await
                    .map(|m| message(&m)),
                "DELETE_MESSAGE" => room
                    .delete_message(DeleteMessageRequest::new("m").request_id(r))
                    .await
                    .map(|e| deleted(&e)),
                _ => room
                    .disconnect_user(DisconnectUserRequest::new("u").request_id(r))
                    .await
                    .map(|e| kicked(&e)),
            };
            let _ = tx.send((request_id, result));
        });
    }
    o.server.wait_received(pending.len()).await;
    let mut settled_ids = Vec::new();
    let mut actual = Vec::new();
    for frame in case["frames"].as_array().unwrap() {
        o.server.send_newest(frame.as_str().unwrap());
        let mut events = o.settle().await;
        if events.last() == Some(&RoomEvent::Connecting) {
            // ERROR 401: the reconnect began after the sync frame.
            events.extend(o.settle().await);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
        let mut settled = Vec::new();
        while let Ok(s) = rx.try_recv() {
            settled_ids.push(s.0.clone());
            settled.push(s);
        }
        actual.push(outcome(events, settled, id));
    }
    let expected = case
        .get("ivschat")
        .map_or(&case["then"], |deviation| &deviation["then"]);
    let expected = expected.as_array().unwrap();
    let matches =
        expected.len() == actual.len() && expected.iter().zip(&actual).all(|(e, a)| same(e, a));
    if !matches {
        return Err(format!(
            "expected {}\n  actual {}",
            Value::Array(expected.clone()),
            Value::Array(actual)
        ));
    }
    if let Some(unsettled) = case.get("unsettled") {
        let ours: Vec<&str> = pending
            .iter()
            .map(|p| p["requestId"].as_str().unwrap())
            .filter(|r| !settled_ids.iter().any(|s| s == r))
            .collect();
        let theirs: Vec<&str> = unsettled
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        if ours != theirs {
            return Err(format!("unsettled: expected {theirs:?}, actual {ours:?}"));
        }
    }
    o.room.disconnect().await;
    Ok(())
}

fn request_of(input: &Value) -> ChatRequest {
    let s = |k: &str| input.get(k).and_then(Value::as_str).map(str::to_owned);
    let mut request: ChatRequest = match s("action").unwrap().as_str() {
        "SEND_MESSAGE" => {
            let attributes = input.get("attributes").map(|a| {
                a.as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                    .collect::<Attributes>()
            });
            SendMessageRequest::new(s("content").unwrap())
                .attributes(attributes)
                .into()
        }
        "DELETE_MESSAGE" => {
            let mut r = DeleteMessageRequest::new(s("id").unwrap());
            r.reason = s("reason");
            r.into()
        }
        _ => {
            let mut r = DisconnectUserRequest::new(s("userId").unwrap());
            r.reason = s("reason");
            r.into()
        }
    };
    if let Some(id) = s("requestId") {
        match &mut request {
            ChatRequest::SendMessage(r) => r.request_id = id,
            ChatRequest::DeleteMessage(r) => r.request_id = id,
            ChatRequest::DisconnectUser(r) => r.request_id = id,
        }
    }
    request
}

async fn run_request(case: &Value) -> Result<(), String> {
    let request = request_of(&case["input"]);
    let expect = &case["expect"];
    let fresh = expect.get("requestId").is_some();
    let normalize = |frame: String, request_id: &str| {
        if fresh {
            let v = uuid::Uuid::parse_str(request_id).map_err(|e| e.to_string())?;
            if v.get_version_num() != 4 {
                return Err(format!("{request_id} is no UUIDv4"));
            }
            return Ok(frame.replace(request_id, "{uuid4}"));
        }
        Ok(frame)
    };
    let encoded = normalize(encode_request(&request), request.request_id())?;
    if encoded != expect["frame"].as_str().unwrap() {
        return Err(format!("encoded {encoded}\n expected {}", expect["frame"]));
    }
    // The frame the room really sends.
    let o = Observed::open().await;
    let room = o.room.clone();
    let sent_id = request.request_id().to_owned();
    let call = tokio::spawn(async move {
        let _ = match request {
            ChatRequest::SendMessage(r) => room.send_message(r).await.map(drop),
            ChatRequest::DeleteMessage(r) => room.delete_message(r).await.map(drop),
            ChatRequest::DisconnectUser(r) => room.disconnect_user(r).await.map(drop),
        };
    });
    o.server.wait_received(1).await;
    let sent = normalize(o.server.received.lock().unwrap()[0].clone(), &sent_id)?;
    o.room.disconnect().await;
    let _ = call.await;
    if sent != encoded {
        return Err(format!("sent {sent}\n encoded {encoded}"));
    }
    Ok(())
}

fn run_endpoint(case: &Value) -> Result<(), String> {
    let built = ChatRoom::builder(case["regionOrUrl"].as_str().unwrap())
        .token_provider(ChatToken::new("t"))
        .build();
    let actual = match built {
        Ok(room) => json!({"url": room.url()}),
        Err(e) => json!({"error": e.to_string()}),
    };
    let expected = case
        .get("ivschat")
        .map_or(&case["expect"], |d| &d["expect"]);
    if &actual != expected {
        return Err(format!("expected {expected}, actual {actual}"));
    }
    Ok(())
}

#[tokio::test]
async fn messaging_conformance() {
    let cases = load();
    let (mut ran, skipped, mut failed) = (0, 0, Vec::new());
    for case in cases["cases"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let result = match case["kind"].as_str().unwrap() {
            "frames" => run_frames(case).await,
            "request" => run_request(case).await,
            "endpoint" => run_endpoint(case),
            other => Err(format!("unknown kind {other}")),
        };
        ran += 1;
        if let Err(e) = result {
            eprintln!("FAIL {id}: {e}");
            failed.push(id.to_owned());
        }
    }
    println!(
        "messaging conformance: ran {ran} skipped {skipped} failed {}",
        failed.len()
    );
    assert!(failed.is_empty(), "failed: {failed:?}");
    assert!(ran >= 100, "only {ran} cases");
}
