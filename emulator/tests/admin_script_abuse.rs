//! Admin API, the conformance script API and abuse limits.
mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn raw(addr: std::net::SocketAddr, bytes: &[u8]) -> String {
    raw_within(addr, bytes, Duration::from_secs(5)).await
}

async fn raw_within(addr: std::net::SocketAddr, bytes: &[u8], wait: Duration) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(bytes).await.expect("write");
    let mut out = Vec::new();
    let _ = tokio::time::timeout(wait, s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

async fn try_send(c: &Client, op: &str) -> Option<Resp> {
    let req = c.signed("POST", &format!("/{op}"), b"{}");
    let stream = tokio::net::TcpStream::connect(c.addr).await.ok()?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .ok()?;
    tokio::spawn(conn);
    let resp = sender.send_request(req).await.ok()?;
    Some(Resp {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        body: serde_json::Value::Null,
        raw: bytes::Bytes::new(),
    })
}

#[tokio::test]
async fn admin_health_log_reset_faults() {
    let emu = start().await;
    let addr = emu.local_addr();
    let c = Client::new(&emu);
    let h = admin(addr, "GET", "/_emulator/health", "").await;
    assert_eq!((h.status, h.body.clone()), (200, json!({"status": "ok"})));

    c.op("CreateRoom", json!({})).await;
    let log = admin(addr, "GET", "/_emulator/requests", "").await;
    let entries = log.body["requests"].as_array().expect("list");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["operation"], "CreateRoom");
    assert_eq!(entries[0]["status"], 200);
    assert_eq!(entries[0]["account"], "000000000000");
    assert_eq!(entries[0]["method"], "POST");
    assert_eq!(
        admin(addr, "DELETE", "/_emulator/requests", "")
            .await
            .status,
        200
    );
    assert_eq!(
        admin(addr, "GET", "/_emulator/requests", "").await.body["requests"],
        json!([])
    );

    let f = json!({"operation": "ListRooms", "count": 2, "status": 429, "errorCode": "ThrottlingException", "message": "slow down"});
    assert_eq!(
        admin(addr, "POST", "/_emulator/faults", &f.to_string())
            .await
            .status,
        200
    );
    for _ in 0..2 {
        let r = c.op("ListRooms", json!({})).await;
        assert_eq!((r.status, r.code()), (429, "ThrottlingException"));
        assert_eq!(r.body["message"], "slow down");
    }
    assert_eq!(c.op("ListRooms", json!({})).await.status, 200);
    assert_eq!(
        c.op("CreateRoom", json!({})).await.status,
        200,
        "fault only for its operation"
    );

    let f = json!({"operation": "*", "count": 1, "dropConnection": true});
    admin(addr, "POST", "/_emulator/faults", &f.to_string()).await;
    assert!(
        try_send(&c, "ListRooms").await.is_none(),
        "connection dropped"
    );
    assert_eq!(c.op("ListRooms", json!({})).await.status, 200);

    let f = json!({"operation": "ListRooms", "latencyMs": 300});
    admin(addr, "POST", "/_emulator/faults", &f.to_string()).await;
    let t = Instant::now();
    assert_eq!(c.op("ListRooms", json!({})).await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));

    assert_eq!(
        admin(addr, "POST", "/_emulator/reset", "").await.status,
        200
    );
    assert_eq!(c.op("ListRooms", json!({})).await.body["rooms"], json!([]));
    assert_eq!(admin(addr, "GET", "/_emulator/nope", "").await.status, 404);
    emu.shutdown().await;
}

#[tokio::test]
async fn conformance_script_api() {
    let emu = start().await;
    let addr = emu.local_addr();
    let c = Client::new(&emu);
    let script = json!({"responses": [
        {"status": 200, "headers": {"content-type": "application/json", "x-amzn-RequestId": "req-1"}, "body": "{\"arn\": \"scripted\"}"},
        {"action": "reset"},
        {"action": "stall", "ms": 200, "status": 500, "headers": {}, "body": ""},
        {"status": 400, "headers": {"x-amzn-ErrorType": "ValidationException"}, "body": "{\"message\":\"bad\",\"reason\":\"OTHER\"}"}
    ]});
    let r = admin(addr, "POST", "/_emulator/script", &script.to_string()).await;
    assert_eq!((r.status, r.body["queued"].clone()), (200, json!(4)));

    let r = c
        .op(
            "GetRoom",
            json!({"identifier": "arn:aws:ivschat:us-east-1:000000000000:room/abc"}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, json!({"arn": "scripted"}));
    assert_eq!(r.headers["x-amzn-requestid"], "req-1");
    assert!(
        try_send(&c, "ListRooms").await.is_none(),
        "reset closes the connection"
    );
    let t = Instant::now();
    let r = c.op("ListRooms", json!({})).await;
    assert_eq!(r.status, 500);
    assert!(t.elapsed() >= Duration::from_millis(200));
    let mut old = Client::new(&emu);
    old.time_offset = Duration::from_secs(86_400);
    let path =
        "/tags/arn%3Aaws%3Aivschat%3Aus-east-1%3A000000000000%3Aroom%2Fabc?tagKeys=a%20b&tagKeys=c";
    let r = old.call("DELETE", path, "").await;
    assert_eq!(r.code(), "ValidationException");
    // queue empty: normal behaviour again (the old signature is now rejected for skew)
    let r = old.call("DELETE", path, "").await;
    assert_eq!(r.code(), "InvalidSignatureException");
    let r = admin(addr, "POST", "/ListRooms", "{}").await;
    assert_eq!(r.code(), "MissingAuthenticationTokenException");

    let rec = admin(addr, "GET", "/_emulator/script/requests", "").await;
    let reqs = rec.body["requests"].as_array().expect("list").clone();
    assert_eq!(
        reqs.len(),
        6,
        "everything since the script was posted is recorded"
    );
    assert_eq!(reqs[0]["method"], "POST");
    assert_eq!(reqs[0]["path"], "/GetRoom");
    assert_eq!(reqs[0]["query"], json!([]));
    assert_eq!(reqs[0]["headers"]["content-type"], "application/json");
    assert!(reqs[0]["headers"]["authorization"].as_str().is_some());
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(reqs[0]["body"].as_str().expect("body"))
            .expect("json"),
        json!({"identifier": "arn:aws:ivschat:us-east-1:000000000000:room/abc"})
    );
    assert_eq!(reqs[0]["signature"]["valid"], true);
    assert!(
        reqs[0]["signature"]["signedHeaders"]
            .as_str()
            .expect("sh")
            .contains("host")
    );
    assert_eq!(reqs[3]["method"], "DELETE");
    assert_eq!(
        reqs[3]["path"],
        "/tags/arn%3Aaws%3Aivschat%3Aus-east-1%3A000000000000%3Aroom%2Fabc"
    );
    assert_eq!(
        reqs[3]["query"],
        json!([["tagKeys", "a b"], ["tagKeys", "c"]])
    );
    assert_eq!(reqs[3]["body"], serde_json::Value::Null);
    assert_eq!(
        reqs[3]["signature"]["valid"], true,
        "no clock-skew check for scripts"
    );
    assert_eq!(reqs[5]["signature"]["valid"], false);
    assert!(
        reqs[5]["signature"]["error"]
            .as_str()
            .expect("e")
            .contains("MissingAuthenticationToken")
    );

    // custom credentials: test/test no longer valid
    let script = json!({"responses": [{"status": 200, "body": "{}"}], "credentials": [{"accessKeyId": "AKX", "secretAccessKey": "sx"}]});
    admin(addr, "POST", "/_emulator/script", &script.to_string()).await;
    c.op("ListRooms", json!({})).await;
    let rec = admin(addr, "GET", "/_emulator/script/requests", "").await;
    assert_eq!(rec.body["requests"].as_array().map(Vec::len), Some(1));
    assert_eq!(rec.body["requests"][0]["signature"]["valid"], false);
    assert_eq!(
        admin(addr, "DELETE", "/_emulator/script", "").await.status,
        200
    );
    assert_eq!(
        admin(addr, "GET", "/_emulator/script/requests", "")
            .await
            .body["requests"],
        json!([])
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn abuse_limits() {
    let emu = ivschat_emulator::Emulator::builder()
        .port(0)
        .max_body_bytes(64 * 1024)
        .header_read_timeout(Duration::from_millis(300))
        .body_read_timeout(Duration::from_millis(300))
        .start()
        .await
        .expect("start");
    let addr = emu.local_addr();
    let c = Client::new(&emu);
    let huge = format!("{{\"name\": \"{}\"}}", "a".repeat(100_000));
    let r = c.call("POST", "/CreateRoom", &huge).await;
    assert_eq!(r.status, 413);
    // chunked, no content-length
    let mut req = b"POST /CreateRoom HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    for _ in 0..20 {
        req.extend_from_slice(format!("{:x}\r\n{}\r\n", 8192, "a".repeat(8192)).as_bytes());
    }
    req.extend_from_slice(b"0\r\n\r\n");
    let out = raw(addr, &req).await;
    assert!(
        out.starts_with("HTTP/1.1 413"),
        "{}",
        &out[..out.len().min(80)]
    );

    let deep = format!("{{\"name\": {}{}}}", "[".repeat(200), "]".repeat(200));
    let r = c.call("POST", "/CreateRoom", &deep).await;
    assert_eq!((r.status, r.code()), (400, "SerializationException"));
    let r = send(
        addr,
        c.signed("POST", "/CreateRoom", b"{\"name\": \"\xff\xfe\"}"),
    )
    .await;
    assert_eq!((r.status, r.code()), (400, "SerializationException"));
    let r = c.call("POST", "/CreateRoom", "[1,2]").await;
    assert_eq!(r.code(), "SerializationException");
    let r = c.call("POST", "/CreateRoom", "").await;
    assert_eq!(r.status, 200, "empty body = no members");

    // slow loris: headers never finish → connection closed after the header timeout
    let t = Instant::now();
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(b"POST /ListRooms HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let mut buf = Vec::new();
    let res = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
    assert!(res.is_ok(), "server closed the slow connection");
    assert!(t.elapsed() < Duration::from_secs(3));
    // slow body: headers complete, body never finishes → closed after the body timeout
    let t = Instant::now();
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(b"POST /ListRooms HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{}")
        .await
        .expect("write");
    let mut buf = Vec::new();
    let res = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
    assert!(res.is_ok(), "server closed the slow-body connection");
    assert!(t.elapsed() < Duration::from_secs(3));
    // the server is still fine
    assert_eq!(c.op("ListRooms", json!({})).await.status, 200);

    // garbage never panics the server
    for junk in [
        &b"\x00\x01\x02 garbage\r\n\r\n"[..],
        b"GET /tags/%ZZ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"POST /%C0%AF HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
    ] {
        let _ = raw(addr, junk).await;
    }
    assert_eq!(
        admin(addr, "GET", "/_emulator/health", "").await.status,
        200
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn websocket_upgrade_is_routed_to_messaging_hook() {
    let emu = start().await;
    assert_eq!(
        emu.ws_url(),
        format!("ws://127.0.0.1:{}/", emu.local_addr().port())
    );
    // the upgrade request keeps the connection open: read what arrives within 500 ms
    let out = raw_within(
        emu.local_addr(),
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-Test: 1\r\n\r\n",
        Duration::from_millis(500),
    )
    .await;
    // The messaging hook answers: without a chat token in Sec-WebSocket-Protocol → 401.
    assert!(out.starts_with("HTTP/1.1 401"), "{out}");
    emu.shutdown().await;
}
