//! The chat-room messaging client against an in-process `ivschat-local`, and against scripted
//! hostile servers (a TcpListener + tungstenite in this file).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use futures_util::{SinkExt, StreamExt};
use ivschat::messaging::*;
use ivschat::types::ChatTokenCapability;
use ivschat_emulator::{Emulator, EmulatorHandle};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// Any single wait in these tests.
const WAIT: Duration = Duration::from_secs(10);

fn client_for(emulator: &EmulatorHandle) -> ivschat::Client {
    let config = ivschat::Config::builder()
        .region("us-east-1")
        .endpoint_url(emulator.endpoint_url())
        .credentials(ivschat::Credentials::new("test", "test", None))
        .build()
        .unwrap();
    ivschat::Client::new(&config)
}

async fn create_room(client: &ivschat::Client, max_length: i32) -> String {
    let room = client
        .create_room()
        .name("lobby")
        .maximum_message_length(max_length)
        .send()
        .await
        .unwrap();
    room.arn().unwrap().to_owned()
}

/// A provider that creates a fresh emulator token per call, and counts the calls.
/// A room with default options.
fn default_room(url: impl AsRef<str>, tokens: impl ChatTokenProvider) -> ChatRoom {
    ChatRoom::builder(url.as_ref())
        .token_provider(tokens)
        .build()
        .unwrap()
}

fn provider(
    client: &ivschat::Client,
    room_arn: &str,
    user: &str,
    caps: &[ChatTokenCapability],
    session_minutes: i32,
) -> (impl ChatTokenProvider, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let (client, room_arn, user, caps) = (
        client.clone(),
        room_arn.to_owned(),
        user.to_owned(),
        caps.to_vec(),
    );
    let counter = calls.clone();
    let p = move || {
        counter.fetch_add(1, Ordering::SeqCst);
        let (client, room_arn, user, caps) =
            (client.clone(), room_arn.clone(), user.clone(), caps.clone());
        async move {
            let out = client
                .create_chat_token()
                .room_identifier(room_arn)
                .user_id(user)
                .set_capabilities(Some(caps))
                .session_duration_in_minutes(session_minutes)
                .attributes("display", "Someone")
                .send()
                .await?;
            Ok::<_, ivschat::Error>(ChatToken::from(out))
        }
    };
    (p, calls)
}

async fn next(events: &mut EventStream) -> RoomEvent {
    tokio::time::timeout(WAIT, events.recv())
        .await
        .expect("an event in time")
        .expect("the stream is open")
}

/// The next event that is not a state change.
async fn next_data(events: &mut EventStream) -> RoomEvent {
    loop {
        match next(events).await {
            RoomEvent::Connecting | RoomEvent::Connected => {}
            other => return other,
        }
    }
}

fn is_uuid_v4(s: &str) -> bool {
    s.len() == 36 && s.as_bytes()[14] == b'4' && s.chars().filter(|c| *c == '-').count() == 4
}

#[tokio::test]
async fn join_send_receive_delete_and_kick() {
    let emulator = Emulator::builder().port(0).start().await.unwrap();
    let client = client_for(&emulator);
    let arn = create_room(&client, 500).await;
    use ChatTokenCapability::*;
    let (alice_tokens, _) = provider(
        &client,
        &arn,
        "alice",
        &[SendMessage, DeleteMessage, DisconnectUser],
        60,
    );
    let (bob_tokens, _) = provider(&client, &arn, "bob", &[SendMessage], 60);
    let alice = default_room(emulator.ws_url(), alice_tokens);
    let bob = default_room(emulator.ws_url(), bob_tokens);
    let mut alice_events = alice.events();
    let mut bob_events = bob.events();
    assert_eq!(alice.state(), ConnectionState::Disconnected);
    alice.connect().await.unwrap();
    bob.connect().await.unwrap();
    assert_eq!(alice.state(), ConnectionState::Connected);
    assert_eq!(next(&mut alice_events).await, RoomEvent::Connecting);
    assert_eq!(next(&mut alice_events).await, RoomEvent::Connected);
    assert_eq!(
        alice.connect().await,
        Err(ConnectError::InvalidState(ConnectionState::Connected))
    );

    // Bob sends; the answer is the server's echo with his request id.
    let request = SendMessageRequest::new("hello world").attribute("color", "blue");
    let request_id = request.request_id.clone();
    assert!(is_uuid_v4(&request_id), "{request_id}");
    let echo = bob.send_message(request).await.unwrap();
    assert_eq!(echo.request_id.as_deref(), Some(request_id.as_str()));
    assert_eq!(echo.content, "hello world");
    assert_eq!(echo.sender.user_id, "bob");
    assert_eq!(
        echo.sender.attributes.as_ref().unwrap()["display"],
        "Someone"
    );
    assert_eq!(echo.attributes.as_ref().unwrap()["color"], "blue");
    let age = SystemTime::now().duration_since(echo.send_time).unwrap();
    assert!(age < WAIT, "{age:?}");
    // Alice receives it.
    let RoomEvent::Message(seen) = next_data(&mut alice_events).await else {
        panic!("message expected")
    };
    assert_eq!(seen, echo);

    // A caller-given request id and a plain &str content.
    let mine = bob
        .send_message(SendMessageRequest::new("second").request_id("my-own-request-id"))
        .await
        .unwrap();
    assert_eq!(mine.request_id.as_deref(), Some("my-own-request-id"));
    assert_eq!(bob.send_message("third").await.unwrap().content, "third");

    // Alice deletes Bob's message; both see messageDelete.
    let deleted = alice
        .delete_message(DeleteMessageRequest::new(&echo.id).reason("spam"))
        .await
        .unwrap();
    assert_eq!(deleted.message_id, echo.id);
    assert_eq!(deleted.reason.as_deref(), Some("spam"));
    loop {
        match next_data(&mut bob_events).await {
            RoomEvent::MessageDelete(e) => {
                assert_eq!(e, deleted);
                break;
            }
            RoomEvent::Message(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }

    // Alice kicks Bob: he sees userDisconnect, then a clean server close, and stays out.
    let kicked = alice
        .disconnect_user(DisconnectUserRequest::new("bob").reason("abuse"))
        .await
        .unwrap();
    assert_eq!(kicked.user_id, "bob");
    assert_eq!(
        next_data(&mut bob_events).await,
        RoomEvent::UserDisconnect(kicked)
    );
    match next_data(&mut bob_events).await {
        RoomEvent::Disconnected {
            reason: DisconnectReason::ServerDisconnect { code, reason },
            reconnect_in: None,
        } => {
            assert_eq!(code, 1000);
            assert_eq!(reason, "Disconnected by moderator");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(bob.state(), ConnectionState::Disconnected);
    assert_eq!(
        bob.send_message("still there?").await,
        Err(RequestError::NotConnected)
    );

    // Client disconnect: code 1000 seen by the server, event, state.
    alice.disconnect().await;
    assert_eq!(alice.state(), ConnectionState::Disconnected);
    loop {
        if let RoomEvent::Disconnected { reason, .. } = next(&mut alice_events).await {
            assert_eq!(reason, DisconnectReason::ClientDisconnect);
            break;
        }
    }
    wait_until(|| emulator.ws_connections() == 0).await;
    // A room can connect again after a disconnect.
    alice.connect().await.unwrap();
    alice.disconnect().await;
    alice.disconnect().await; // no-op
}

async fn wait_until(mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !f() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met in time"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn server_errors_are_typed() {
    let emulator = Emulator::builder().port(0).start().await.unwrap();
    let client = client_for(&emulator);
    let arn = create_room(&client, 5).await;
    let (tokens, _) = provider(
        &client,
        &arn,
        "carol",
        &[ChatTokenCapability::SendMessage],
        60,
    );
    let room = default_room(emulator.ws_url(), tokens);
    assert_eq!(
        room.send_message("early").await,
        Err(RequestError::NotConnected)
    );
    room.connect().await.unwrap();
    let request = DeleteMessageRequest::new("Msg1");
    let id = request.request_id.clone();
    match room.delete_message(request).await {
        Err(RequestError::Chat(e)) => {
            assert_eq!(e.code, 403);
            assert_eq!(e.request_id.as_deref(), Some(id.as_str()));
            assert!(e.message.contains("DELETE_MESSAGE"), "{}", e.message);
            assert!(!e.id.is_empty());
        }
        other => panic!("unexpected {other:?}"),
    }
    match room.disconnect_user("dave").await {
        Err(RequestError::Chat(e)) => assert_eq!(e.code, 403),
        other => panic!("unexpected {other:?}"),
    }
    match room.send_message("far too long").await {
        Err(RequestError::Chat(e)) => assert_eq!(e.code, 413),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(room.state(), ConnectionState::Connected);
    room.disconnect().await;
}

#[tokio::test]
async fn expired_session_reconnects_with_a_fresh_token() {
    // time_scale 60: a one-minute session lasts one second; the emulator then sends ERROR 401
    // and closes.
    let emulator = Emulator::builder()
        .port(0)
        .time_scale(60.0)
        .start()
        .await
        .unwrap();
    let client = client_for(&emulator);
    let arn = create_room(&client, 500).await;
    let (tokens, calls) = provider(
        &client,
        &arn,
        "erin",
        &[ChatTokenCapability::SendMessage],
        1,
    );
    let room = default_room(emulator.ws_url(), tokens);
    let mut events = room.events();
    room.connect().await.unwrap();
    assert_eq!(next(&mut events).await, RoomEvent::Connecting);
    assert_eq!(next(&mut events).await, RoomEvent::Connected);
    // The 401 is not a reply to a request: an event, then a reconnect, with no disconnect.
    match next(&mut events).await {
        RoomEvent::Error(e) => assert_eq!(e.code, 401),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(next(&mut events).await, RoomEvent::Connecting);
    assert_eq!(next(&mut events).await, RoomEvent::Connected);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    room.send_message("after the refresh").await.unwrap();
    room.disconnect().await;

    // Without reconnecting: disconnected, reason SessionExpired.
    let (tokens, _) = provider(
        &client,
        &arn,
        "erin",
        &[ChatTokenCapability::SendMessage],
        1,
    );
    let room = ChatRoom::builder(emulator.ws_url())
        .token_provider(tokens)
        .reconnect_on_session_expiry(false)
        .build()
        .unwrap();
    let mut events = room.events();
    room.connect().await.unwrap();
    loop {
        if let RoomEvent::Disconnected { reason, .. } = next(&mut events).await {
            assert_eq!(reason, DisconnectReason::SessionExpired);
            break;
        }
    }
    assert_eq!(room.state(), ConnectionState::Disconnected);
}

#[tokio::test]
async fn server_going_away_disconnects() {
    let emulator = Emulator::builder().port(0).start().await.unwrap();
    let client = client_for(&emulator);
    let arn = create_room(&client, 500).await;
    let (tokens, _) = provider(
        &client,
        &arn,
        "frank",
        &[ChatTokenCapability::SendMessage],
        60,
    );
    let room = default_room(emulator.ws_url(), tokens);
    let mut events = room.events();
    room.connect().await.unwrap();
    tokio::time::timeout(WAIT, emulator.shutdown())
        .await
        .expect("the emulator stops in time");
    match next_data(&mut events).await {
        RoomEvent::Disconnected {
            reason: DisconnectReason::ServerDisconnect { code, .. },
            reconnect_in: None,
        } => assert_eq!(code, 1001),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(room.state(), ConnectionState::Disconnected);
    // Nobody answers any more (not even the token provider's control plane): connecting
    // fails after the retries, without hanging.
    match tokio::time::timeout(WAIT, room.connect()).await.unwrap() {
        Err(ConnectError::Disconnected(DisconnectReason::FetchTokenError { .. })) => {}
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn proactive_token_refresh_swaps_sockets_without_duplicates() {
    let emulator = Emulator::builder().port(0).start().await.unwrap();
    let client = client_for(&emulator);
    let arn = create_room(&client, 500).await;
    let (tokens, _) = provider(
        &client,
        &arn,
        "gina",
        &[ChatTokenCapability::SendMessage],
        60,
    );
    let tokens = Arc::new(tokens);
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    // Claim the token expires in 31 s: the next connection opens after about 1 s.
    let refreshing = move || {
        counter.fetch_add(1, Ordering::SeqCst);
        let tokens = tokens.clone();
        async move {
            let mut t = tokens.fetch_token().await?;
            t.token_expiration_time = Some(SystemTime::now() + Duration::from_secs(31));
            Ok::<_, TokenError>(t)
        }
    };
    let room = default_room(emulator.ws_url(), refreshing);
    let mut events = room.events();
    room.connect().await.unwrap();
    wait_until(|| calls.load(Ordering::SeqCst) >= 2).await;
    // The old socket is closed once the new one is open.
    tokio::time::sleep(Duration::from_millis(300)).await;
    wait_until(|| emulator.ws_connections() == 1).await;
    assert_eq!(room.state(), ConnectionState::Connected);
    room.send_message("on the new socket").await.unwrap();
    // No state change events for a refresh.
    assert_eq!(next(&mut events).await, RoomEvent::Connecting);
    assert_eq!(next(&mut events).await, RoomEvent::Connected);
    assert!(matches!(next(&mut events).await, RoomEvent::Message(_)));
    room.disconnect().await;
}

// ---- scripted servers ------------------------------------------------------------------------

type ServerWs = WebSocketStream<TcpStream>;

#[derive(Clone, Copy, PartialEq)]
enum Handshake {
    Echo,
    NoEcho,
    Refuse403,
}

/// A WebSocket server on 127.0.0.1 that runs `script(connection_index, socket)` for every
/// connection; returns its URL and the number of upgrade requests it saw.
async fn scripted<F, Fut>(handshake: Handshake, script: F) -> (String, Arc<AtomicUsize>)
where
    F: Fn(usize, ServerWs) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/scripted?x=1", listener.local_addr().unwrap());
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let script = Arc::new(script);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let script = script.clone();
            tokio::spawn(async move {
                #[allow(clippy::result_large_err)] // tungstenite's accept callback signature
                let callback = |req: &Request, mut resp: Response| {
                    assert_eq!(req.uri().path(), "/scripted");
                    assert_eq!(req.uri().query(), Some("x=1"));
                    match handshake {
                        Handshake::Refuse403 => {
                            let mut refusal = ErrorResponse::new(None);
                            *refusal.status_mut() = http::StatusCode::FORBIDDEN;
                            return Err(refusal);
                        }
                        Handshake::NoEcho => {}
                        Handshake::Echo => {
                            if let Some(p) = req.headers().get("sec-websocket-protocol") {
                                resp.headers_mut()
                                    .insert("sec-websocket-protocol", p.clone());
                            }
                        }
                    }
                    Ok(resp)
                };
                if let Ok(ws) = tokio_tungstenite::accept_hdr_async(tcp, callback).await {
                    script(n, ws).await;
                }
            });
        }
    });
    (url, seen)
}

fn message_frame(id: &str, request_id: Option<&str>, content: &str) -> String {
    serde_json::json!({
        "Type": "MESSAGE", "Id": id, "RequestId": request_id, "Content": content,
        "SendTime": "2026-11-28T07:21:59.870Z", "Sender": {"UserId": "server"}
    })
    .to_string()
}

/// Counting fixed-token provider.
fn fixed(token: &str) -> (impl ChatTokenProvider, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let token = token.to_owned();
    let p = move || {
        counter.fetch_add(1, Ordering::SeqCst);
        let token = ChatToken::new(token.clone());
        async move { Ok::<_, TokenError>(token) }
    };
    (p, calls)
}

async fn hold(mut ws: ServerWs) {
    while let Some(Ok(_)) = ws.next().await {}
}

#[tokio::test]
async fn garbage_and_binary_frames_are_reported_not_fatal() {
    let (url, _) = scripted(Handshake::Echo, |_, mut ws| async move {
        for text in [
            "not json",
            "[1,2]",
            r#"{"Type":"message","Id":"a1"}"#,
            r#"{"Type":"MESSAGE","Id":"a2","Content":"x","SendTime":"2022-10-11T12:46:41Z"}"#,
            r#"{"Type":"EVENT","Id":"a3","EventName":"aws:DELETE_MESSAGE","Attributes":{"MessageId":"m"},"SendTime":"2022-10-11T12:46:41Z"}"#,
            r#"{"Type":"ERROR","Id":"a4","ErrorCode":"429","ErrorMessage":"slow down"}"#,
        ] {
            ws.send(Message::text(text)).await.unwrap();
        }
        ws.send(Message::binary(b"\xff\x00binary".to_vec()))
            .await
            .unwrap();
        // A duplicate of a rejected frame's Id is dropped silently; then a good one.
        ws.send(Message::text(message_frame("a2", None, "dropped")))
            .await
            .unwrap();
        ws.send(Message::text(message_frame("ok", None, "fine")))
            .await
            .unwrap();
        hold(ws).await;
    })
    .await;
    let room = default_room(url, ChatToken::new("tok"));
    let mut events = room.events();
    room.connect().await.unwrap();
    let mut fields = Vec::new();
    loop {
        match next_data(&mut events).await {
            RoomEvent::Unknown(u) if u.binary => {
                assert!(u.raw.ends_with("binary"));
                fields.push(Some("binary".to_owned()));
            }
            RoomEvent::Unknown(u) => fields.push(u.field),
            RoomEvent::Message(m) => {
                assert_eq!(m.id, "ok");
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        fields,
        [
            None,
            Some("data".to_owned()),
            None,
            Some("Sender".to_owned()),
            Some("event.attributes.MessageID".to_owned()),
            Some("ErrorCode".to_owned()),
            Some("binary".to_owned()),
        ]
    );
    assert_eq!(room.state(), ConnectionState::Connected);
    room.disconnect().await;
}

#[tokio::test]
async fn a_giant_frame_is_refused_without_growing() {
    let (url, seen) = scripted(Handshake::Echo, |_, mut ws| async move {
        let giant = format!("\"{}\"", "x".repeat(3 << 20));
        let _ = ws.send(Message::text(giant)).await;
        hold(ws).await;
    })
    .await;
    let room = ChatRoom::builder(url)
        .token_provider(ChatToken::new("tok"))
        .max_message_size(64 * 1024)
        .build()
        .unwrap();
    let mut events = room.events();
    room.connect().await.unwrap();
    match next_data(&mut events).await {
        RoomEvent::Disconnected {
            reason: DisconnectReason::SocketError { message },
            reconnect_in: None,
        } => assert!(
            message.contains("too long") || message.contains("size"),
            "{message}"
        ),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(seen.load(Ordering::SeqCst), 1, "no reconnect");
}

#[tokio::test]
async fn a_flood_to_a_consumer_that_never_reads_stays_bounded() {
    const FLOOD: usize = 20_000;
    let (url, _) = scripted(Handshake::Echo, |_, mut ws| async move {
        for i in 0..FLOOD {
            if ws
                .feed(Message::text(message_frame(&format!("f{i}"), None, "spam")))
                .await
                .is_err()
            {
                return;
            }
        }
        let _ = ws.flush().await;
        let _ = ws
            .send(Message::Close(Some(CloseFrame {
                code: CloseCode::Normal,
                reason: "done".into(),
            })))
            .await;
        hold(ws).await;
    })
    .await;
    let room = ChatRoom::builder(url)
        .token_provider(ChatToken::new("tok"))
        .event_capacity(64)
        .build()
        .unwrap();
    let mut events = room.events();
    room.connect().await.unwrap();
    // Read nothing until the server is done and the room disconnected.
    wait_until(|| room.state() == ConnectionState::Disconnected).await;
    let (mut dropped, mut received, mut last) = (0u64, 0usize, None);
    while let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(200), events.recv()).await {
        match e {
            RoomEvent::Dropped { count } => dropped += count,
            e => {
                received += 1;
                last = Some(e);
            }
        }
    }
    assert!(received <= 64, "{received} events buffered");
    assert!(dropped > 0);
    assert_eq!(
        dropped as usize + received,
        FLOOD + 3,
        "connecting + connected + the flood + disconnected"
    );
    assert!(matches!(last, Some(RoomEvent::Disconnected { .. })));
}

#[tokio::test]
async fn a_peer_that_never_answers_pings_is_dropped() {
    let (url, seen) = scripted(Handshake::Echo, |_, ws| async move {
        // Never read: no pong, no close answer.
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(ws);
    })
    .await;
    let room = ChatRoom::builder(url)
        .token_provider(ChatToken::new("tok"))
        .ping_interval(Some(Duration::from_millis(200)))
        .ping_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let mut events = room.events();
    room.connect().await.unwrap();
    assert_eq!(next(&mut events).await, RoomEvent::Connecting);
    assert_eq!(next(&mut events).await, RoomEvent::Connected);
    // Treated as a broken socket: a reconnect with a fresh token, as for 1006.
    assert_eq!(next(&mut events).await, RoomEvent::Connecting);
    assert_eq!(next(&mut events).await, RoomEvent::Connected);
    assert!(seen.load(Ordering::SeqCst) >= 2);
    tokio::time::timeout(WAIT, room.disconnect()).await.unwrap();
}

#[tokio::test]
async fn a_dropped_tcp_connection_reconnects_with_a_fresh_token() {
    let (url, seen) = scripted(Handshake::Echo, |n, ws| async move {
        if n == 0 {
            drop(ws); // no close frame: 1006
        } else {
            hold(ws).await;
        }
    })
    .await;
    let (tokens, calls) = fixed("tok");
    let room = default_room(url, tokens);
    let mut events = room.events();
    room.connect().await.unwrap();
    assert_eq!(next(&mut events).await, RoomEvent::Connecting);
    assert_eq!(next(&mut events).await, RoomEvent::Connected);
    assert_eq!(next(&mut events).await, RoomEvent::Connecting);
    assert_eq!(next(&mut events).await, RoomEvent::Connected);
    assert_eq!(seen.load(Ordering::SeqCst), 2);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    room.disconnect().await;
}

#[tokio::test]
async fn handshake_failures_retry_then_disconnect() {
    for (handshake, expected) in [
        (Handshake::NoEcho, "echo"),
        (Handshake::Refuse403, "HTTP 403"),
    ] {
        let (url, seen) = scripted(handshake, |_, ws| hold(ws)).await;
        let (tokens, calls) = fixed("AQICAHg-example_token.1~abc");
        let room = default_room(url, tokens);
        match tokio::time::timeout(WAIT, room.connect()).await.unwrap() {
            Err(ConnectError::Disconnected(DisconnectReason::SocketError { message })) => {
                assert!(message.contains(expected), "{message}");
                assert!(!message.contains("AQICAHg"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
        // One attempt and maxReconnectAttempts (3) retries, each with a new token.
        assert_eq!(seen.load(Ordering::SeqCst), 4);
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    // A token that is no valid subprotocol: no retry (as the official client).
    let (url, seen) = scripted(Handshake::Echo, |_, ws| hold(ws)).await;
    let (tokens, calls) = fixed("abc/def==");
    let room = default_room(url, tokens);
    assert!(matches!(
        room.connect().await,
        Err(ConnectError::Disconnected(
            DisconnectReason::SocketError { .. }
        ))
    ));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(seen.load(Ordering::SeqCst), 0);

    // A failing token provider: fetchTokenError after 1 + 2 calls.
    let failing = || async { Err::<ChatToken, _>(std::io::Error::other("backend down")) };
    let room = ChatRoom::builder("ws://127.0.0.1:9/")
        .token_provider(failing)
        .max_reconnect_attempts(2)
        .build()
        .unwrap();
    assert_eq!(
        room.connect().await,
        Err(ConnectError::Disconnected(
            DisconnectReason::FetchTokenError {
                message: "backend down".to_owned()
            }
        ))
    );
}

#[tokio::test]
async fn requests_time_out_and_are_bounded() {
    // A server that reads requests and never answers.
    let (url, _) = scripted(Handshake::Echo, |_, ws| hold(ws)).await;
    let room = ChatRoom::builder(url)
        .token_provider(ChatToken::new("tok"))
        .request_timeout(Duration::from_millis(300))
        .max_pending_requests(1)
        .build()
        .unwrap();
    room.connect().await.unwrap();
    let started = tokio::time::Instant::now();
    let request = SendMessageRequest::new("anyone?").request_id("r-1");
    let (first, second, third) = tokio::join!(
        room.send_message(request.clone()),
        async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            room.send_message(request.clone()).await
        },
        async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            room.send_message("other").await
        },
    );
    assert_eq!(
        first,
        Err(RequestError::Timeout {
            request_id: "r-1".to_owned()
        })
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(
        second,
        Err(RequestError::DuplicateRequestId {
            request_id: "r-1".to_owned()
        })
    );
    assert_eq!(third, Err(RequestError::TooManyPending { limit: 1 }));
    // The timed-out request no longer counts.
    assert!(matches!(
        room.send_message("again").await,
        Err(RequestError::Timeout { .. })
    ));
    room.disconnect().await;
}

#[tokio::test]
async fn answers_resolve_requests_and_duplicates_are_dropped() {
    // Echo every SEND_MESSAGE twice (same Id) and answer a DELETE_MESSAGE with an ERROR.
    let (url, _) = scripted(Handshake::Echo, |_, mut ws| async move {
        while let Some(Ok(Message::Text(t))) = ws.next().await {
            let v: serde_json::Value = serde_json::from_str(t.as_str()).unwrap();
            let request_id = v["RequestId"].as_str().unwrap().to_owned();
            let reply = match v["Action"].as_str().unwrap() {
                "SEND_MESSAGE" => {
                    message_frame(&format!("m-{request_id}"), Some(&request_id), "echo")
                }
                _ => serde_json::json!({"Type": "ERROR", "Id": format!("e-{request_id}"),
                    "RequestId": request_id, "ErrorCode": 404, "ErrorMessage": "no such message"})
                .to_string(),
            };
            ws.send(Message::text(reply.clone())).await.unwrap();
            ws.send(Message::text(reply)).await.unwrap();
        }
    })
    .await;
    let room = default_room(url, ChatToken::new("tok"));
    let mut events = room.events();
    room.connect().await.unwrap();
    let m = room
        .send_message(SendMessageRequest::new("x").request_id("q1"))
        .await
        .unwrap();
    assert_eq!(m.id, "m-q1");
    match room
        .delete_message(DeleteMessageRequest::new("m-q1").request_id("q2"))
        .await
    {
        Err(RequestError::Chat(e)) => {
            assert_eq!((e.code, e.id.as_str()), (404, "e-q2"));
            assert_eq!(e.request_id.as_deref(), Some("q2"));
        }
        other => panic!("unexpected {other:?}"),
    }
    room.send_message(SendMessageRequest::new("y").request_id("q3"))
        .await
        .unwrap();
    // Each Id reached the application once; the claimed ERROR was no event.
    let mut ids = Vec::new();
    while ids.len() < 2 {
        match next_data(&mut events).await {
            RoomEvent::Message(m) => ids.push(m.id),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(ids, ["m-q1", "m-q3"]);
    room.disconnect().await;
}

#[tokio::test]
async fn reconnect_policy_after_a_server_close() {
    let (url, seen) = scripted(Handshake::Echo, |n, mut ws| async move {
        if n == 0 {
            let _ = ws
                .send(Message::Close(Some(CloseFrame {
                    code: CloseCode::Library(4001),
                    reason: "go away".into(),
                })))
                .await;
        }
        hold(ws).await;
    })
    .await;
    let policy = ReconnectPolicy {
        max_retries: Some(5),
        initial_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(200),
    };
    let room = ChatRoom::builder(url)
        .token_provider(ChatToken::new("tok"))
        .reconnect_policy(Some(policy))
        .build()
        .unwrap();
    let mut events = room.events();
    room.connect().await.unwrap();
    assert_eq!(next(&mut events).await, RoomEvent::Connecting);
    assert_eq!(next(&mut events).await, RoomEvent::Connected);
    match next(&mut events).await {
        RoomEvent::Disconnected {
            reason: DisconnectReason::ServerDisconnect { code, reason },
            reconnect_in: Some(delay),
        } => {
            assert_eq!((code, reason.as_str()), (4001, "go away"));
            assert!(delay >= Duration::from_millis(25) && delay <= Duration::from_millis(50));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(next(&mut events).await, RoomEvent::Connecting);
    assert_eq!(next(&mut events).await, RoomEvent::Connected);
    assert_eq!(seen.load(Ordering::SeqCst), 2);
    room.disconnect().await;
    assert_eq!(
        next(&mut events).await,
        RoomEvent::Disconnected {
            reason: DisconnectReason::ClientDisconnect,
            reconnect_in: None
        }
    );
}

#[tokio::test]
async fn dropping_the_room_closes_with_1000() {
    let (closed_tx, closed_rx) = tokio::sync::oneshot::channel();
    let closed_tx = Arc::new(std::sync::Mutex::new(Some(closed_tx)));
    let (url, _) = scripted(Handshake::Echo, move |_, mut ws| {
        let closed_tx = closed_tx.clone();
        async move {
            while let Some(Ok(m)) = ws.next().await {
                if let Message::Close(frame) = m {
                    let code = frame.map(|f| u16::from(f.code));
                    if let Some(tx) = closed_tx.lock().unwrap().take() {
                        let _ = tx.send(code);
                    }
                }
            }
        }
    })
    .await;
    let room = default_room(url, ChatToken::new("tok"));
    room.connect().await.unwrap();
    drop(room);
    let code = tokio::time::timeout(WAIT, closed_rx)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(code, Some(1000));
}

#[tokio::test]
async fn secrets_and_personal_data_stay_out_of_debug() {
    let token =
        ChatToken::new("AQICAHg-secret_token.1~abc").with_token_expiration_time(SystemTime::now());
    let room = default_room("us-west-2", token.clone());
    assert_eq!(room.url(), "wss://edge.ivschat.us-west-2.amazonaws.com");
    let frame = message_frame("M1", Some("r"), "my secret content");
    let frame = frame.replace("\"server\"", "\"user-alice-42\"");
    let ServerFrame::Message(m) = parse_frame(&frame).unwrap() else {
        panic!()
    };
    let kick = parse_frame(
        r#"{"Type":"EVENT","Id":"E","EventName":"aws:DISCONNECT_USER","Attributes":{"UserId":"user-alice-42"},"SendTime":"2022-10-11T12:46:41Z"}"#,
    )
    .unwrap();
    let printed = format!(
        "{token:?} {room:?} {m:?} {kick:?} {:?} {:?} {:?}",
        RoomEvent::Message(m.clone()),
        DisconnectUserRequest::new("user-alice-42"),
        SendMessageRequest::new("my secret content"),
    );
    for secret in ["secret_token", "user-alice-42", "my secret content"] {
        assert!(!printed.contains(secret), "{secret} in {printed}");
    }
    assert!(
        ChatRoom::builder("us west 2")
            .token_provider(token)
            .build()
            .is_err()
    );
}

#[tokio::test]
async fn wss_with_an_extra_root_certificate() {
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let pem = pem_of(generated.cert.der());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        generated.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![generated.cert.der().clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                #[allow(clippy::result_large_err)] // tungstenite's accept callback signature
                let echo = |req: &Request, mut resp: Response| {
                    if let Some(p) = req.headers().get("sec-websocket-protocol") {
                        resp.headers_mut()
                            .insert("sec-websocket-protocol", p.clone());
                    }
                    Ok(resp)
                };
                if let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(tls, echo).await {
                    let _ = ws
                        .send(Message::text(message_frame("tls-1", None, "over TLS")))
                        .await;
                    while let Some(Ok(_)) = ws.next().await {}
                }
            });
        }
    });
    let url = format!("wss://localhost:{port}/");

    // Trusted through the extra root: connected, frames flow.
    let room = ChatRoom::builder(&url)
        .token_provider(ChatToken::new("tok"))
        .extra_root_certificates(pem.into_bytes())
        .build()
        .unwrap();
    let mut events = room.events();
    room.connect().await.unwrap();
    match next_data(&mut events).await {
        RoomEvent::Message(m) => assert_eq!(m.content, "over TLS"),
        other => panic!("unexpected {other:?}"),
    }
    room.disconnect().await;

    // Mozilla's roots alone do not trust it.
    let room = ChatRoom::builder(&url)
        .token_provider(ChatToken::new("tok"))
        .max_reconnect_attempts(0)
        .build()
        .unwrap();
    match room.connect().await {
        Err(ConnectError::Disconnected(DisconnectReason::SocketError { message })) => {
            assert!(message.contains("TLS"), "{message}")
        }
        other => panic!("unexpected {other:?}"),
    }
}

/// PEM of a DER certificate (rcgen's `pem` feature is off).
fn pem_of(der: &[u8]) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for chunk in der.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
    }
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

#[tokio::test]
async fn huge_settings_do_not_overflow() {
    let (url, _) = scripted(Handshake::Echo, |_, ws| hold(ws)).await;
    let room = ChatRoom::builder(url)
        .token_provider(ChatToken::new("tok").with_token_expiration_time(SystemTime::now()))
        .ping_interval(Some(Duration::MAX))
        .ping_timeout(Duration::MAX)
        .close_timeout(Duration::MAX)
        .connect_timeout(Duration::MAX)
        .token_timeout(Duration::MAX)
        .request_timeout(Duration::MAX)
        .max_reconnect_attempts(u32::MAX)
        .reconnect_policy(Some(ReconnectPolicy {
            max_retries: Some(u32::MAX),
            initial_delay: Duration::MAX,
            max_delay: Duration::MAX,
        }))
        .build()
        .unwrap();
    room.connect().await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    tokio::time::timeout(WAIT, room.disconnect()).await.unwrap();
    assert_eq!(room.state(), ConnectionState::Disconnected);
}
