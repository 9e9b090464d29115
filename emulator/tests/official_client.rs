//! The official JS chat client (npm `amazon-ivs-chat-messaging`, with `ws` as Node 20's
//! WebSocket) as the real peer of ivschat-local. Tokens and control-plane calls go through the
//! Rust core (`ivschat::Client`), served to the script by a tiny local token-vending endpoint.
//!
//! Needs `node` and `npm` (the first run does `npm ci` in emulator/tests/messaging-js; the
//! installed node_modules is kept, gitignored, so reruns are fast). Without node the test prints
//! `SKIPPED: official chat client test (no node)` and passes.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use ivschat_emulator::Emulator;
use serde_json::json;

fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/messaging-js")
}

fn have_node() -> bool {
    Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn ensure_npm_deps() {
    let dir = js_dir();
    let installed = dir
        .join("node_modules/amazon-ivs-chat-messaging/package.json")
        .exists()
        && dir.join("node_modules/ws/package.json").exists();
    if installed {
        return;
    }
    let out = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .output()
        .expect("npm runs");
    assert!(
        out.status.success(),
        "npm ci failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn rfc3339(t: Option<&ivschat::types::DateTime>) -> String {
    t.and_then(|t| chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos()))
        .unwrap_or_else(chrono::Utc::now)
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

struct Vendor {
    client: ivschat::Client,
    room_arn: String,
}

fn query(uri: &http::Uri, name: &str) -> String {
    uri.query()
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| {
            percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned()
        })
        .unwrap_or_default()
}

async fn vend(v: Arc<Vendor>, req: http::Request<hyper::body::Incoming>) -> (u16, String) {
    let uri = req.uri().clone();
    match uri.path() {
        "/token" => {
            let mut b = v
                .client
                .create_chat_token()
                .room_identifier(&v.room_arn)
                .user_id(query(&uri, "user"))
                .attributes("displayName", query(&uri, "user"));
            for cap in query(&uri, "caps").split(',').filter(|c| !c.is_empty()) {
                b = b.capabilities(cap);
            }
            match b.send().await {
                Ok(out) => {
                    let token_exp = if query(&uri, "short") == "1" {
                        (chrono::Utc::now() + chrono::TimeDelta::seconds(31))
                            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                    } else {
                        rfc3339(out.token_expiration_time())
                    };
                    (
                        200,
                        json!({
                            "token": out.token(),
                            "tokenExpirationTime": token_exp,
                            "sessionExpirationTime": rfc3339(out.session_expiration_time()),
                        })
                        .to_string(),
                    )
                }
                Err(e) => (500, e.to_string()),
            }
        }
        "/send-event" => match v
            .client
            .send_event()
            .room_identifier(&v.room_arn)
            .event_name(query(&uri, "name"))
            .send()
            .await
        {
            Ok(_) => (200, "{}".into()),
            Err(e) => (500, e.to_string()),
        },
        "/disconnect" => match v
            .client
            .disconnect_user()
            .room_identifier(&v.room_arn)
            .user_id(query(&uri, "user"))
            .reason("control plane")
            .send()
            .await
        {
            Ok(_) => (200, "{}".into()),
            Err(e) => (500, e.to_string()),
        },
        _ => (404, "{}".into()),
    }
}

async fn serve_vendor(v: Arc<Vendor>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            let v = v.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req| {
                    let v = v.clone();
                    async move {
                        let (status, body) = vend(v, req).await;
                        let mut resp = http::Response::new(Full::new(Bytes::from(body)));
                        *resp.status_mut() = http::StatusCode::from_u16(status).unwrap();
                        Ok::<_, Infallible>(resp)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(s), svc)
                    .await;
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_js_client_against_the_emulator() {
    if !have_node() {
        println!("SKIPPED: official chat client test (no node)");
        return;
    }
    ensure_npm_deps();
    let emu = Emulator::builder().port(0).start().await.expect("starts");
    let config = ivschat::Config::builder()
        .region("us-east-1")
        .endpoint_url(emu.endpoint_url())
        .credentials(ivschat::Credentials::new("test", "test", None))
        .build()
        .expect("config");
    let client = ivschat::Client::new(&config);
    let room = client
        .create_room()
        .name("official-client")
        .send()
        .await
        .expect("CreateRoom through the core");
    let vendor = Arc::new(Vendor {
        client,
        room_arn: room.arn().expect("arn").to_string(),
    });
    let vendor_addr = serve_vendor(vendor).await;
    let ws_url = emu.ws_url();
    let vendor_url = format!("http://{vendor_addr}");
    let ws_url = ws_url.trim_end_matches('/').to_string();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("official-client.mjs")
            .current_dir(js_dir())
            .env("VENDOR_URL", vendor_url)
            .env("WS_URL", ws_url)
            .output()
    })
    .await
    .expect("join")
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "official client scenario failed:\n{stdout}"
    );
    assert!(stdout.contains(" passed, 0 failed"));
    emu.shutdown().await;
}
