//! Messaging WebSocket: handshake, sending, limits, moderation, control plane → sockets,
//! sessions, review handler, chat logs, shutdown.

mod common;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::{Client, Emulator, EmulatorHandle};
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const WAIT: Duration = Duration::from_secs(5);

async fn room(c: &Client, extra: Value) -> String {
    let mut body = json!({"name": "r"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    let r = c.op("CreateRoom", body).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["arn"].as_str().unwrap().to_string()
}

async fn token_with(c: &Client, arn: &str, user: &str, caps: &[&str], extra: Value) -> String {
    let mut body = json!({"roomIdentifier": arn, "userId": user, "capabilities": caps});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    let r = c.op("CreateChatToken", body).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["token"].as_str().unwrap().to_string()
}

async fn token(c: &Client, arn: &str, user: &str, caps: &[&str]) -> String {
    token_with(c, arn, user, caps, json!({})).await
}

async fn try_connect(h: &EmulatorHandle, token: &str) -> Result<Ws, u16> {
    try_connect_url(&h.ws_url(), token).await
}

async fn try_connect_url(base: &str, token: &str) -> Result<Ws, u16> {
    let mut req = format!("{base}some/path?x=1")
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("sec-websocket-protocol", token.parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, resp)) => {
            assert_eq!(
                resp.headers()
                    .get("sec-websocket-protocol")
                    .unwrap()
                    .to_str()
                    .unwrap(),
                token
            );
            Ok(ws)
        }
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Err(resp.status().as_u16()),
        Err(e) => panic!("unexpected handshake error {e}"),
    }
}

async fn connect(h: &EmulatorHandle, token: &str) -> Ws {
    try_connect(h, token).await.expect("connects")
}

/// Next text frame as JSON; panics on close/timeout.
async fn recv(ws: &mut Ws) -> Value {
    loop {
        let m = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a frame in time")
            .expect("socket open")
            .expect("no error");
        if let Message::Text(t) = m {
            return serde_json::from_str(t.as_str()).unwrap();
        }
        assert!(!m.is_close(), "unexpected close {m:?}");
    }
}

/// Wait for a close frame; returns its code.
async fn recv_close(ws: &mut Ws) -> u16 {
    loop {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("close in time")
        {
            Some(Ok(Message::Close(Some(f)))) => return u16::from(f.code),
            Some(Ok(Message::Close(None))) => return 1005,
            Some(Ok(Message::Text(t))) => panic!("unexpected frame {t}"),
            Some(Ok(_)) => {}
            other => panic!("no close frame: {other:?}"),
        }
    }
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

async fn say(ws: &mut Ws, rid: &str, content: &str) -> Value {
    send(
        ws,
        json!({"Action": "SEND_MESSAGE", "RequestId": rid, "Content": content}),
    )
    .await;
    recv(ws).await
}

fn is_id(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() == 12 && s.bytes().all(|b| b.is_ascii_alphanumeric()))
}

async fn start(b: ivschat_emulator::EmulatorBuilder) -> (EmulatorHandle, Client) {
    let h = b.port(0).start().await.expect("starts");
    let c = Client::new(&h);
    (h, c)
}

#[tokio::test]
async fn send_message_broadcasts_to_everyone_including_the_sender() {
    let (h, c) = start(Emulator::builder()).await;
    let arn = room(&c, json!({})).await;
    let t = token_with(
        &c,
        &arn,
        "alice",
        &["SEND_MESSAGE"],
        json!({"attributes": {"displayName": "Alice"}}),
    )
    .await;
    let mut alice = connect(&h, &t).await;
    let mut bob = connect(&h, &token(&c, &arn, "bob", &[]).await).await;
    // A second connection of the same user is allowed.
    let mut alice2 = connect(&h, &token(&c, &arn, "alice", &[]).await).await;

    send(
        &mut alice,
        json!({"Action": "SEND_MESSAGE", "RequestId": "r-1", "Content": "hello", "Attributes": {"color": "blue"}}),
    )
    .await;
    let mut ids = HashSet::new();
    for ws in [&mut alice, &mut bob, &mut alice2] {
        let m = recv(ws).await;
        assert_eq!(m["Type"], "MESSAGE");
        assert_eq!(m["RequestId"], "r-1");
        assert_eq!(m["Content"], "hello");
        assert_eq!(m["Attributes"], json!({"color": "blue"}));
        assert_eq!(
            m["Sender"],
            json!({"UserId": "alice", "Attributes": {"displayName": "Alice"}})
        );
        assert!(is_id(&m["Id"]));
        assert!(chrono::DateTime::parse_from_rfc3339(m["SendTime"].as_str().unwrap()).is_ok());
        ids.insert(m["Id"].as_str().unwrap().to_string());
    }
    assert_eq!(ids.len(), 1, "one message, one id");

    // Lower-case keys are accepted (spec §3.4).
    send(
        &mut alice,
        json!({"action": "SEND_MESSAGE", "requestId": "r-2", "content": "lower"}),
    )
    .await;
    let m = recv(&mut alice).await;
    assert_eq!(m["Content"], "lower");
    assert!(!ids.contains(m["Id"].as_str().unwrap()));
    assert_eq!(recv(&mut bob).await["Content"], "lower");
    assert_eq!(recv(&mut alice2).await["Content"], "lower");

    // No capability → 403; malformed → 400; ids fresh on every frame.
    let e = say(&mut bob, "r-3", "hi").await;
    assert_eq!(e["Type"], "ERROR");
    assert_eq!(e["ErrorCode"], 403);
    assert_eq!(e["RequestId"], "r-3");
    assert!(is_id(&e["Id"]));
    bob.send(Message::Text("not json".into())).await.unwrap();
    let e = recv(&mut bob).await;
    assert_eq!(e["ErrorCode"], 400);
    send(&mut bob, json!({"Action": "FLY", "RequestId": "r-4"})).await;
    let e = recv(&mut bob).await;
    assert_eq!(
        (e["ErrorCode"].as_i64(), e["RequestId"].as_str()),
        (Some(400), Some("r-4"))
    );
    send(
        &mut alice,
        json!({"Action": "SEND_MESSAGE", "RequestId": "r-5", "Content": "x", "Attributes": {"n": 1}}),
    )
    .await;
    assert_eq!(recv(&mut alice).await["ErrorCode"], 400);
    h.shutdown().await;
}

#[tokio::test]
async fn tokens_connect_once_and_bad_tokens_are_refused() {
    let (h, c) = start(Emulator::builder().time_scale(600.0)).await;
    let arn = room(&c, json!({})).await;
    let t = token(&c, &arn, "u", &[]).await;
    let _ws = connect(&h, &t).await;
    assert_eq!(try_connect(&h, &t).await.err(), Some(401), "reuse");
    assert_eq!(
        try_connect(&h, "unknownTokenABC").await.err(),
        Some(401),
        "unknown"
    );
    assert_eq!(
        try_connect(&h, "abc/def==").await.err(),
        Some(401),
        "not tchar"
    );

    // Room deleted → refused.
    let t2 = token(&c, &arn, "u", &[]).await;
    let other = room(&c, json!({})).await;
    let t3 = token(&c, &other, "u", &[]).await;
    assert_eq!(
        c.op("DeleteRoom", json!({"identifier": other}))
            .await
            .status,
        204
    );
    assert_eq!(try_connect(&h, &t3).await.err(), Some(404));

    // Expired: with time scale 600, a 1-minute token is valid for 100 ms.
    let short = token_with(&c, &arn, "u", &[], json!({"sessionDurationInMinutes": 1})).await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(try_connect(&h, &short).await.err(), Some(401), "expired");
    // t2 (60 minutes → 6 s scaled) still connects.
    let _ws2 = connect(&h, &t2).await;

    // Tokens are RFC 7230 tchars.
    assert!(ivschat_emulator::messaging::is_tchar_token(&t2));
    h.shutdown().await;
}

#[tokio::test]
async fn length_limit_counts_code_points_and_update_room_applies_at_once() {
    let (h, c) = start(Emulator::builder()).await;
    let arn = room(&c, json!({"maximumMessageLength": 5})).await;
    let mut ws = connect(&h, &token(&c, &arn, "u", &["SEND_MESSAGE"]).await).await;
    // 5 code points, 9 bytes.
    let m = say(&mut ws, "a", "héllö").await;
    assert_eq!(m["Type"], "MESSAGE");
    let e = say(&mut ws, "b", "😀😀😀😀😀😀").await;
    assert_eq!(
        (e["Type"].as_str(), e["ErrorCode"].as_i64()),
        (Some("ERROR"), Some(413))
    );
    assert_eq!(e["RequestId"], "b");
    let r = c
        .op(
            "UpdateRoom",
            json!({"identifier": arn, "maximumMessageLength": 6}),
        )
        .await;
    assert_eq!(r.status, 200);
    let m = say(&mut ws, "c", "😀😀😀😀😀😀").await;
    assert_eq!(m["Type"], "MESSAGE");
    h.shutdown().await;
}

#[tokio::test]
async fn rate_limit_is_per_room() {
    let (h, c) = start(Emulator::builder()).await;
    let arn = room(&c, json!({"maximumMessageRatePerSecond": 3})).await;
    let mut a = connect(&h, &token(&c, &arn, "a", &["SEND_MESSAGE"]).await).await;
    let mut b = connect(&h, &token(&c, &arn, "b", &["SEND_MESSAGE"]).await).await;
    // Two from a, one from b fill the room's window; the fourth (from a) is refused.
    for i in 0..2 {
        send(
            &mut a,
            json!({"Action": "SEND_MESSAGE", "RequestId": format!("a{i}"), "Content": "x"}),
        )
        .await;
        assert_eq!(recv(&mut a).await["Type"], "MESSAGE");
    }
    assert_eq!(say(&mut b, "b0", "x").await["Type"], "MESSAGE");
    let e = loop {
        let f = say(&mut a, "a2", "x").await;
        if f["RequestId"] == "a2" {
            break f;
        }
    };
    assert_eq!(e["ErrorCode"], 429);
    // After a second the window has room again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let m = loop {
        let f = say(&mut a, "a3", "x").await;
        if f["RequestId"] == "a3" {
            break f;
        }
    };
    assert_eq!(m["Type"], "MESSAGE");
    h.shutdown().await;
}

#[tokio::test]
async fn moderation_over_the_socket() {
    let (h, c) = start(Emulator::builder()).await;
    let arn = room(&c, json!({})).await;
    let mut m = connect(
        &h,
        &token(
            &c,
            &arn,
            "mod",
            &["SEND_MESSAGE", "DELETE_MESSAGE", "DISCONNECT_USER"],
        )
        .await,
    )
    .await;
    let mut v1 = connect(&h, &token(&c, &arn, "mallory", &[]).await).await;
    let mut v2 = connect(&h, &token(&c, &arn, "mallory", &[]).await).await;

    // Missing capabilities → 403.
    send(
        &mut v1,
        json!({"Action": "DELETE_MESSAGE", "RequestId": "x", "Id": "abcdefabcdef"}),
    )
    .await;
    assert_eq!(recv(&mut v1).await["ErrorCode"], 403);
    send(
        &mut v1,
        json!({"Action": "DISCONNECT_USER", "RequestId": "y", "UserId": "mod"}),
    )
    .await;
    assert_eq!(recv(&mut v1).await["ErrorCode"], 403);

    let msg = say(&mut m, "s", "spam").await;
    let mid = msg["Id"].as_str().unwrap().to_string();
    recv(&mut v1).await;
    recv(&mut v2).await;
    send(
        &mut m,
        json!({"Action": "DELETE_MESSAGE", "RequestId": "d", "Id": mid, "Reason": "spam"}),
    )
    .await;
    for ws in [&mut m, &mut v1, &mut v2] {
        let e = recv(ws).await;
        assert_eq!(e["Type"], "EVENT");
        assert_eq!(e["EventName"], "aws:DELETE_MESSAGE");
        assert_eq!(e["RequestId"], "d");
        assert_eq!(e["Attributes"]["MessageID"], mid.as_str());
        assert_eq!(e["Attributes"]["MessageId"], mid.as_str());
        assert_eq!(e["Attributes"]["Reason"], "spam");
    }
    send(
        &mut m,
        json!({"Action": "DISCONNECT_USER", "RequestId": "k", "UserId": "mallory", "Reason": "abuse"}),
    )
    .await;
    let e = recv(&mut m).await;
    assert_eq!(e["EventName"], "aws:DISCONNECT_USER");
    assert_eq!(e["RequestId"], "k");
    assert_eq!(
        e["Attributes"],
        json!({"UserId": "mallory", "Reason": "abuse"})
    );
    for ws in [&mut v1, &mut v2] {
        assert_eq!(recv(ws).await["EventName"], "aws:DISCONNECT_USER");
        assert_eq!(
            recv_close(ws).await,
            1000,
            "clean close of every connection of the user"
        );
    }
    // The moderator stays.
    assert_eq!(say(&mut m, "after", "still here").await["Type"], "MESSAGE");
    h.shutdown().await;
}

#[tokio::test]
async fn control_plane_reaches_the_sockets() {
    let (h, c) = start(Emulator::builder()).await;
    let arn = room(&c, json!({})).await;
    let mut a = connect(&h, &token(&c, &arn, "a", &["SEND_MESSAGE"]).await).await;
    let mut b = connect(&h, &token(&c, &arn, "b", &[]).await).await;

    let r = c
        .op(
            "SendEvent",
            json!({"roomIdentifier": arn, "eventName": "app:hello", "attributes": {"k": "v"}}),
        )
        .await;
    let eid = r.body["id"].as_str().unwrap().to_string();
    for ws in [&mut a, &mut b] {
        let e = recv(ws).await;
        assert_eq!(e["Type"], "EVENT");
        assert_eq!(e["Id"], eid.as_str());
        assert_eq!(e["EventName"], "app:hello");
        assert_eq!(e["Attributes"], json!({"k": "v"}));
    }
    let msg = say(&mut a, "m", "hi").await;
    recv(&mut b).await;
    let r = c
        .op(
            "DeleteMessage",
            json!({"roomIdentifier": arn, "id": msg["Id"], "reason": "r"}),
        )
        .await;
    assert_eq!(r.status, 200);
    for ws in [&mut a, &mut b] {
        let e = recv(ws).await;
        assert_eq!(e["EventName"], "aws:DELETE_MESSAGE");
        assert_eq!(e["Id"], r.body["id"]);
        assert_eq!(e["Attributes"]["MessageID"], msg["Id"]);
    }
    let r = c
        .op(
            "DisconnectUser",
            json!({"roomIdentifier": arn, "userId": "b"}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(recv(&mut a).await["EventName"], "aws:DISCONNECT_USER");
    assert_eq!(recv(&mut b).await["EventName"], "aws:DISCONNECT_USER");
    assert_eq!(recv_close(&mut b).await, 1000);

    assert_eq!(
        c.op("DeleteRoom", json!({"identifier": arn})).await.status,
        204
    );
    assert_eq!(recv_close(&mut a).await, 1000);
    h.shutdown().await;
}

#[tokio::test]
async fn session_expiry_gives_error_401_then_close() {
    // 1 minute / 60 = a 1-second session.
    let (h, c) = start(Emulator::builder().time_scale(60.0)).await;
    let arn = room(&c, json!({})).await;
    let t = token_with(&c, &arn, "u", &[], json!({"sessionDurationInMinutes": 1})).await;
    let started = std::time::Instant::now();
    let mut ws = connect(&h, &t).await;
    let e = recv(&mut ws).await;
    assert_eq!(
        (e["Type"].as_str(), e["ErrorCode"].as_i64()),
        (Some("ERROR"), Some(401))
    );
    assert!(started.elapsed() >= Duration::from_millis(700));
    assert_eq!(recv_close(&mut ws).await, 1000);
    h.shutdown().await;
}

#[tokio::test]
async fn shutdown_closes_sockets_with_a_close_frame() {
    let (h, c) = start(Emulator::builder()).await;
    let arn = room(&c, json!({})).await;
    let mut ws = connect(&h, &token(&c, &arn, "u", &[]).await).await;
    let closer = tokio::spawn(async move { recv_close(&mut ws).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    h.shutdown().await;
    let code = closer.await.unwrap();
    assert_eq!(code, u16::from(CloseCode::Away));
}

// ---------------------------------------------------------------- review handler

const LAMBDA: &str = "arn:aws:lambda:us-east-1:123456789012:function:review";
const LAMBDA_DOWN: &str = "arn:aws:lambda:us-east-1:123456789012:function:down";

/// A review handler: "deny" → DENY, "slow" → answers after 1 s, "boom" → 500, "rewrite" →
/// ALLOW with new content and attributes, anything else → ALLOW.
async fn review_server(seen: Arc<Mutex<Vec<Value>>>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((s, _)) = listener.accept().await else {
                return;
            };
            let seen = seen.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(
                    move |req: http::Request<hyper::body::Incoming>| {
                        let seen = seen.clone();
                        async move {
                            let body = req.into_body().collect().await.unwrap().to_bytes();
                            let v: Value = serde_json::from_slice(&body).unwrap();
                            seen.lock().unwrap().push(v.clone());
                            let (status, answer) = match v["Content"].as_str().unwrap_or("") {
                                "deny" => (200, json!({"ReviewResult": "DENY"})),
                                "slow" => {
                                    tokio::time::sleep(Duration::from_secs(1)).await;
                                    (200, json!({"ReviewResult": "ALLOW"}))
                                }
                                "boom" => (500, json!({})),
                                "rewrite" => (
                                    200,
                                    json!({"ReviewResult": "ALLOW", "Content": "rewritten", "Attributes": {"reviewed": "yes"}}),
                                ),
                                _ => (200, json!({"ReviewResult": "ALLOW"})),
                            };
                            let mut resp =
                                http::Response::new(Full::new(Bytes::from(answer.to_string())));
                            *resp.status_mut() = http::StatusCode::from_u16(status).unwrap();
                            Ok::<_, std::convert::Infallible>(resp)
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(s), svc)
                    .await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn review_handler_allow_deny_rewrite_and_fallback() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let addr = review_server(seen.clone()).await;
    let (h, c) = start(
        Emulator::builder()
            .review_handler(LAMBDA, format!("http://{addr}/review"))
            .review_handler(LAMBDA_DOWN, "http://127.0.0.1:9/nothing-listens-here"),
    )
    .await;
    let allow_room = room(
        &c,
        json!({"messageReviewHandler": {"uri": LAMBDA, "fallbackResult": "ALLOW"}}),
    )
    .await;
    let deny_room = room(
        &c,
        json!({"messageReviewHandler": {"uri": LAMBDA, "fallbackResult": "DENY"}}),
    )
    .await;
    let down_room = room(
        &c,
        json!({"messageReviewHandler": {"uri": LAMBDA_DOWN, "fallbackResult": "DENY"}}),
    )
    .await;
    let caps = ["SEND_MESSAGE"];
    let mut a = connect(
        &h,
        &token_with(
            &c,
            &allow_room,
            "ann",
            &caps,
            json!({"attributes": {"lvl": "1"}}),
        )
        .await,
    )
    .await;
    let mut d = connect(&h, &token(&c, &deny_room, "dan", &caps).await).await;
    let mut x = connect(&h, &token(&c, &down_room, "xi", &caps).await).await;

    let m = say(&mut a, "1", "fine").await;
    assert_eq!(
        (m["Type"].as_str(), m["Content"].as_str()),
        (Some("MESSAGE"), Some("fine"))
    );
    {
        let seen = seen.lock().unwrap();
        let req = &seen[0];
        assert_eq!(req["Content"], "fine");
        assert_eq!(
            req["MessageId"], m["Id"],
            "the reviewed id is the delivered id"
        );
        assert_eq!(req["RoomArn"], allow_room.as_str());
        assert_eq!(req["Sender"]["UserId"], "ann");
        assert_eq!(req["Sender"]["Attributes"], json!({"lvl": "1"}));
        assert_eq!(req["Sender"]["Ip"], "127.0.0.1");
    }
    let e = say(&mut a, "2", "deny").await;
    assert_eq!(
        (e["ErrorCode"].as_i64(), e["RequestId"].as_str()),
        (Some(406), Some("2"))
    );
    let m = say(&mut a, "3", "rewrite").await;
    assert_eq!(m["Content"], "rewritten");
    assert_eq!(m["Attributes"], json!({"reviewed": "yes"}));
    // Errors and timeouts apply fallbackResult: ALLOW here…
    assert_eq!(say(&mut a, "4", "boom").await["Type"], "MESSAGE");
    let t = std::time::Instant::now();
    assert_eq!(say(&mut a, "5", "slow").await["Type"], "MESSAGE");
    assert!(t.elapsed() < Duration::from_millis(900), "200 ms timeout");
    // …and DENY there.
    assert_eq!(say(&mut d, "6", "boom").await["ErrorCode"], 406);
    assert_eq!(say(&mut d, "7", "slow").await["ErrorCode"], 406);
    assert_eq!(say(&mut d, "8", "ok").await["Type"], "MESSAGE");
    assert_eq!(
        say(&mut x, "9", "ok").await["ErrorCode"],
        406,
        "unreachable handler"
    );
    h.shutdown().await;
}

// ---------------------------------------------------------------- chat logs

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        if let Ok(rd) = std::fs::read_dir(&d) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push(p);
                }
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn chat_logs_record_every_message_and_event_and_survive_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let (h, c) = start(Emulator::builder().log_dir(dir.path())).await;
    let mut cfgs = Vec::new();
    for dest in [
        json!({"s3": {"bucketName": "chat-bucket"}}),
        json!({"cloudWatchLogs": {"logGroupName": "/ivs/chat"}}),
        json!({"firehose": {"deliveryStreamName": "chat-stream"}}),
    ] {
        let r = c
            .op(
                "CreateLoggingConfiguration",
                json!({"destinationConfiguration": dest}),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        cfgs.push(r.body["arn"].as_str().unwrap().to_string());
    }
    let arn = room(
        &c,
        json!({"loggingConfigurationIdentifiers": cfgs, "maximumMessageRatePerSecond": 100}),
    )
    .await;
    let room_id = arn.rsplit('/').next().unwrap().to_string();
    let unlogged = room(&c, json!({})).await;
    let mut ws = connect(
        &h,
        &token(&c, &arn, "u", &["SEND_MESSAGE", "DELETE_MESSAGE"]).await,
    )
    .await;
    let mut quiet = connect(&h, &token(&c, &unlogged, "q", &["SEND_MESSAGE"]).await).await;
    assert_eq!(say(&mut quiet, "q", "not logged").await["Type"], "MESSAGE");

    const N: usize = 50;
    let mut ids = Vec::new();
    for i in 0..N {
        let m = say(&mut ws, &format!("r{i}"), &format!("message {i}")).await;
        assert_eq!(m["Type"], "MESSAGE", "{m}");
        ids.push(m["Id"].as_str().unwrap().to_string());
    }
    c.op(
        "SendEvent",
        json!({"roomIdentifier": arn, "eventName": "app:e"}),
    )
    .await;
    assert_eq!(recv(&mut ws).await["EventName"], "app:e");
    send(
        &mut ws,
        json!({"Action": "DELETE_MESSAGE", "RequestId": "d", "Id": ids[0]}),
    )
    .await;
    assert_eq!(recv(&mut ws).await["EventName"], "aws:DELETE_MESSAGE");
    // Every acknowledged message must be on disk after a clean shutdown.
    h.shutdown().await;

    let files = files_under(dir.path());
    let rel: Vec<String> = files
        .iter()
        .map(|p| {
            p.strip_prefix(dir.path())
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(files.len(), 3, "{rel:?}");
    assert!(rel.iter().any(|p| p.starts_with(&format!(
        "s3/chat-bucket/AWSLogs/000000000000/IVSChatLogs/1.0/us-east-1/room_{room_id}/"
    ))));
    assert!(rel.contains(&format!(
        "cloudwatch/ivs/chat/aws/IVSChatLogs/1.0/room_{room_id}.log"
    )));
    assert!(rel.iter().any(|p| p.starts_with("firehose/chat-stream/")));
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), N + 2, "{}", f.display());
        for (i, l) in lines.iter().take(N).enumerate() {
            assert_eq!(l["type"], "MESSAGE");
            assert_eq!(l["version"], "1.0");
            assert!(l["event_timestamp"].as_str().unwrap().ends_with('Z'));
            let p = &l["payload"];
            assert_eq!(p["Type"], "MESSAGE");
            assert_eq!(p["Id"], ids[i].as_str());
            assert_eq!(p["RequestId"], format!("r{i}"));
            assert_eq!(p["Content"], format!("message {i}"));
            assert_eq!(p["Sender"]["UserId"], "u");
            assert_eq!(p["Sender"]["Ip"], "127.0.0.1");
        }
        assert_eq!(lines[N]["type"], "EVENT");
        assert_eq!(lines[N]["payload"]["EventName"], "app:e");
        assert_eq!(lines[N + 1]["payload"]["EventName"], "aws:DELETE_MESSAGE");
        assert_eq!(
            lines[N + 1]["payload"]["Attributes"]["MessageID"],
            ids[0].as_str()
        );
    }
}

// ---------------------------------------------------------------- the binary

#[tokio::test]
async fn binary_flags_review_handler_log_dir_and_sigterm() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let seen = Arc::new(Mutex::new(Vec::new()));
    let review = review_server(seen.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ivschat-local"))
        .args(["--port", "0", "--log-dir"])
        .arg(dir.path())
        .arg("--review-handler")
        .arg(format!("{LAMBDA}=http://{review}/review"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn ivschat-local");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr: SocketAddr = line
        .trim_end()
        .strip_prefix("ivschat-local listening on http://")
        .unwrap()
        .parse()
        .unwrap();
    let c = Client::at(addr, "test", "test");
    let r = c
        .op(
            "CreateLoggingConfiguration",
            json!({"destinationConfiguration": {"firehose": {"deliveryStreamName": "fh"}}}),
        )
        .await;
    let arn = room(
        &c,
        json!({
            "loggingConfigurationIdentifiers": [r.body["arn"]],
            "maximumMessageRatePerSecond": 100,
            "messageReviewHandler": {"uri": LAMBDA, "fallbackResult": "ALLOW"},
        }),
    )
    .await;
    let base = format!("ws://{addr}/");
    let mut ws = try_connect_url(&base, &token(&c, &arn, "u", &["SEND_MESSAGE"]).await)
        .await
        .unwrap();
    assert_eq!(say(&mut ws, "d", "deny").await["ErrorCode"], 406);
    const N: usize = 30;
    for i in 0..N {
        assert_eq!(
            say(&mut ws, &format!("{i}"), "kept").await["Type"],
            "MESSAGE"
        );
    }
    assert_eq!(seen.lock().unwrap().len(), N + 1);
    let closer = tokio::spawn(async move { recv_close(&mut ws).await });
    let st = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    assert_eq!(closer.await.unwrap(), 1001, "close frame on shutdown");
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
    let lines: usize = files_under(dir.path())
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap().lines().count())
        .sum();
    assert_eq!(
        lines, N,
        "every acknowledged message is logged; the denied one is not"
    );
}

/// One worker of the handshake-race test: `rounds` times, a new client connects to `arn` and,
/// as soon as its 101 is read, the already-connected `speaker` sends a message. Returns the
/// rounds whose message the new client did not receive.
async fn handshake_race(
    h_ws: String,
    c: Client,
    arn: String,
    mut speaker: Ws,
    worker: usize,
    rounds: usize,
) -> Vec<String> {
    let mut lost = Vec::new();
    for i in 0..rounds {
        let t = token(&c, &arn, &format!("late-{worker}-{i}"), &[]).await;
        // connect_async returns once the 101 has been read.
        let mut late = try_connect_url(&h_ws, &t).await.expect("connects");
        let rid = format!("r{worker}-{i}");
        loop {
            send(
                &mut speaker,
                json!({"Action": "SEND_MESSAGE", "RequestId": rid, "Content": rid}),
            )
            .await;
            let echo = recv(&mut speaker).await;
            if echo["Type"] == "ERROR" && echo["ErrorCode"] == 429 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            assert_eq!(echo["RequestId"], rid.as_str(), "{echo}");
            break;
        }
        match tokio::time::timeout(Duration::from_secs(2), late.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                assert_eq!(v["Content"], rid.as_str());
            }
            other => lost.push(format!("{rid}: {other:?}")),
        }
        let _ = late.close(None).await;
    }
    lost
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_is_in_its_room_before_its_101_is_written() {
    // 16 workers in parallel (each its own room at the highest rate limit), 4,000 handshakes in
    // all, each followed at once by a message from an already-connected client.
    const WORKERS: usize = 16;
    const ROUNDS: usize = 250;
    let (h, c) = start(Emulator::builder()).await;
    let mut tasks = Vec::new();
    for w in 0..WORKERS {
        let arn = room(&c, json!({"maximumMessageRatePerSecond": 100})).await;
        let speaker = connect(&h, &token(&c, &arn, "speaker", &["SEND_MESSAGE"]).await).await;
        tasks.push(tokio::spawn(handshake_race(
            h.ws_url(),
            c.clone(),
            arn,
            speaker,
            w,
            ROUNDS,
        )));
    }
    let mut lost = Vec::new();
    for t in tasks {
        lost.extend(t.await.unwrap());
    }
    assert!(
        lost.is_empty(),
        "{} of {} messages lost: {:?}",
        lost.len(),
        WORKERS * ROUNDS,
        &lost[..lost.len().min(5)]
    );
    h.shutdown().await;
}

/// A raw WebSocket client: the upgrade by hand, then hand-built frames.
async fn raw_ws(h: &EmulatorHandle, token: &str) -> TcpStream {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = TcpStream::connect(h.local_addr()).await.unwrap();
    let req = format!(
        "GET / HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {token}\r\n\r\n",
        h.local_addr()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        assert_eq!(s.read(&mut b).await.unwrap(), 1, "handshake cut");
        head.push(b[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    s
}

/// One frame: `first` is the FIN/RSV/opcode byte; masked with a fixed key unless `masked` is false.
fn frame(first: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    frame_header(first, payload.len() as u64, masked)
        .into_iter()
        .chain(
            payload
                .iter()
                .enumerate()
                .map(|(i, b)| if masked { b ^ MASK[i % 4] } else { *b }),
        )
        .collect()
}

const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

fn frame_header(first: u8, len: u64, masked: bool) -> Vec<u8> {
    let m = if masked { 0x80 } else { 0 };
    let mut out = vec![first];
    if len < 126 {
        out.push(m | len as u8);
    } else if len <= u16::MAX as u64 {
        out.push(m | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(m | 127);
        out.extend_from_slice(&len.to_be_bytes());
    }
    if masked {
        out.extend_from_slice(&MASK);
    }
    out
}

/// Read server frames until a close frame; its code (1005 when it has none), 0 when the
/// connection ends without one.
async fn raw_close_code(s: &mut TcpStream) -> u16 {
    use tokio::io::AsyncReadExt;
    let read = async {
        loop {
            let mut h = [0u8; 2];
            if s.read_exact(&mut h).await.is_err() {
                return 0;
            }
            assert_eq!(h[1] & 0x80, 0, "server frames are unmasked");
            let len = match h[1] & 0x7f {
                126 => {
                    let mut b = [0u8; 2];
                    s.read_exact(&mut b).await.unwrap();
                    u16::from_be_bytes(b) as usize
                }
                127 => {
                    let mut b = [0u8; 8];
                    s.read_exact(&mut b).await.unwrap();
                    u64::from_be_bytes(b) as usize
                }
                n => n as usize,
            };
            let mut payload = vec![0u8; len];
            s.read_exact(&mut payload).await.unwrap();
            if h[0] & 0x0f == 0x8 {
                return if len >= 2 {
                    u16::from_be_bytes([payload[0], payload[1]])
                } else {
                    1005
                };
            }
        }
    };
    tokio::time::timeout(WAIT, read)
        .await
        .expect("close frame in time")
}

#[tokio::test]
async fn bad_frames_close_with_the_rfc_6455_codes() {
    let (h, c) = start(Emulator::builder()).await;
    let arn = room(&c, json!({})).await;
    let text = |p: &[u8]| frame(0x81, p, true);
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        // 1009: a frame over 256 KiB (refused from its header; no payload follows)
        (
            "oversized frame",
            frame_header(0x81, 300 * 1024, true),
            1009,
        ),
        (
            "oversized message in fragments",
            [
                frame(0x01, &vec![b'a'; 200 * 1024], true),
                frame(0x80, &vec![b'a'; 100 * 1024], true),
            ]
            .concat(),
            1009,
        ),
        // 1007: text that is not UTF-8
        (
            "invalid UTF-8 text",
            text(b"{\"Action\":\"\xff\xfe\"}"),
            1007,
        ),
        (
            "invalid UTF-8 across fragments",
            [frame(0x01, b"ab\xe2", true), frame(0x80, b"\x28x", true)].concat(),
            1007,
        ),
        // 1002: protocol errors
        ("unmasked client frame", frame(0x81, b"{}", false), 1002),
        ("reserved bit set", frame(0xc1, b"{}", true), 1002),
        ("reserved data opcode", frame(0x83, b"", true), 1002),
        ("reserved control opcode", frame(0x8b, b"", true), 1002),
        ("fragmented ping", frame(0x09, b"", true), 1002),
        (
            "continuation without a start",
            frame(0x80, b"x", true),
            1002,
        ),
        (
            "new message inside a fragmented one",
            [frame(0x01, b"a", true), frame(0x81, b"b", true)].concat(),
            1002,
        ),
        (
            "control frame over 125 bytes",
            frame(0x89, &[0u8; 126], true),
            1002,
        ),
    ];
    for (what, bytes, want) in cases {
        use tokio::io::AsyncWriteExt;
        let t = token(&c, &arn, "u", &["SEND_MESSAGE"]).await;
        let mut s = raw_ws(&h, &t).await;
        s.write_all(&bytes).await.unwrap();
        assert_eq!(raw_close_code(&mut s).await, want, "{what}");
    }
    // A good frame on a raw socket still works (the helper itself is sound).
    use tokio::io::AsyncWriteExt;
    let t = token(&c, &arn, "u", &["SEND_MESSAGE"]).await;
    let mut s = raw_ws(&h, &t).await;
    s.write_all(&text(
        br#"{"Action":"SEND_MESSAGE","RequestId":"ok","Content":"hi"}"#,
    ))
    .await
    .unwrap();
    s.write_all(&frame(0x88, &1000u16.to_be_bytes(), true))
        .await
        .unwrap();
    assert_eq!(raw_close_code(&mut s).await, 1000);
    h.shutdown().await;
}
