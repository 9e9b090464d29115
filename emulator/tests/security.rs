//! Safe by default, bounded under abuse (issue 18): the admin API refuses cross-origin browser
//! requests and, when configured, requests without the admin token; it is off on a
//! non-loopback address; the request log and the script recording are bounded in bytes and keep
//! no credentials; SigV4 needs `host` signed; logs never show user ids, tokens, attributes or
//! message content; expired chat tokens are purged; data-dir errors are specific.
mod common;

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::*;
use futures_util::{SinkExt, StreamExt};
use http_body_util::Full;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// A spawned `ivschat-local` with its stderr collected.
struct Local {
    child: Child,
    addr: SocketAddr,
    stderr: Arc<Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Local {
    fn spawn(args: &[&str], env: &[(&str, &str)]) -> Local {
        Self::spawn_with(args, env, None)
    }

    /// `nofile`: soft and hard RLIMIT_NOFILE of the child.
    fn spawn_with(args: &[&str], env: &[(&str, &str)], nofile: Option<u64>) -> Local {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ivschat-local"));
        cmd.args(args)
            .env_remove("IVSCHAT_ADMIN_TOKEN")
            .env_remove("IVSCHAT_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        if let Some(n) = nofile {
            use std::os::unix::process::CommandExt;
            // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
            unsafe {
                cmd.pre_exec(move || {
                    let lim = libc::rlimit {
                        rlim_cur: n as libc::rlim_t,
                        rlim_max: n as libc::rlim_t,
                    };
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let mut child = cmd.spawn().expect("spawn ivschat-local");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let mut pipe = child.stderr.take().expect("stderr");
        let sink = stderr.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().expect("lock").extend_from_slice(&buf[..n]);
            }
        });
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("startup line");
        let rest = line
            .trim_end()
            .strip_prefix("ivschat-local listening on http://")
            .unwrap_or_else(|| {
                panic!(
                    "bad startup line {line:?}; stderr: {}",
                    String::from_utf8_lossy(&stderr.lock().expect("lock"))
                )
            })
            .to_string();
        let port: u16 = rest
            .rsplit(':')
            .next()
            .expect("port")
            .parse()
            .expect("port");
        Local {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            stderr,
            reader: Some(reader),
        }
    }

    fn rss_kib(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).expect("status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }

    /// SIGTERM, wait for the exit, and return everything written to stderr.
    fn stop(mut self) -> String {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        let out = self.stderr.lock().expect("lock").clone();
        String::from_utf8_lossy(&out).into_owned()
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An admin request with extra headers.
async fn admin_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> Resp {
    let mut req = http::Request::builder().method(method).uri(path);
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req = req.header("host", addr.to_string());
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    send(
        addr,
        req.body(Full::new(Bytes::from(body.to_string())))
            .expect("request"),
    )
    .await
}

async fn fault_count(addr: SocketAddr, headers: &[(&str, &str)]) -> usize {
    let r = admin_with(addr, "GET", "/_emulator/faults", "", headers).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["faults"].as_array().expect("faults").len()
}

#[tokio::test]
async fn admin_api_refuses_cross_origin_browser_requests() {
    let emu = start().await;
    let addr = emu.local_addr();
    let own = format!("http://127.0.0.1:{}", addr.port());
    let fault = json!({"operation": "*", "count": 5, "status": 500}).to_string();
    let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36";

    // A page on another origin: POST with Origin (what every current browser sends).
    for origin in [
        "http://evil.example",
        "null",
        "http://127.0.0.1:1",
        "https://localhost",
    ] {
        for path in ["/_emulator/faults", "/_emulator/reset", "/_emulator/script"] {
            let r = admin_with(
                addr,
                "POST",
                path,
                &fault,
                &[("origin", origin), ("content-type", "application/json")],
            )
            .await;
            assert_eq!(
                (r.status, r.code()),
                (403, "CrossOriginRefused"),
                "{origin} {path}"
            );
        }
    }
    // Sec-Fetch-Site from a browser navigation/fetch of another site.
    let r = admin_with(
        addr,
        "DELETE",
        "/_emulator/requests",
        "",
        &[("sec-fetch-site", "cross-site")],
    )
    .await;
    assert_eq!(r.status, 403);
    // A browser "simple" body (no preflight): text/plain, form, multipart → 415.
    for ct in [
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=----x",
    ] {
        let r = admin_with(
            addr,
            "POST",
            "/_emulator/faults",
            &fault,
            &[("content-type", ct), ("user-agent", chrome)],
        )
        .await;
        assert_eq!((r.status, r.code()), (415, "UnsupportedMediaType"), "{ct}");
    }
    // DNS rebinding: a page whose own name now resolves to 127.0.0.1.
    let r = admin_with(
        addr,
        "GET",
        "/_emulator/requests",
        "",
        &[("host", "attacker.example:80")],
    )
    .await;
    assert_eq!((r.status, r.code()), (403, "HostRefused"));
    // Nothing above had an effect.
    assert_eq!(fault_count(addr, &[]).await, 0);

    // Allowed: the emulator's own origin, loopback names, and tools (Node's fetch sends
    // text/plain without any browser marker).
    let r = admin_with(
        addr,
        "POST",
        "/_emulator/faults",
        &fault,
        &[("origin", &own), ("content-type", "application/json")],
    )
    .await;
    assert_eq!(r.status, 200);
    let r = admin_with(
        addr,
        "POST",
        "/_emulator/faults",
        &fault,
        &[
            ("content-type", "text/plain;charset=UTF-8"),
            ("user-agent", "node"),
            ("sec-fetch-mode", "cors"),
        ],
    )
    .await;
    assert_eq!(r.status, 200);
    let r = admin_with(
        addr,
        "GET",
        "/_emulator/health",
        "",
        &[("host", &format!("localhost:{}", addr.port()))],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(fault_count(addr, &[]).await, 2);
    emu.shutdown().await;
}

#[tokio::test]
async fn admin_token_is_required_on_every_admin_call_when_set() {
    let emu = Emulator::builder()
        .port(0)
        .admin_token("tok-123")
        .start()
        .await
        .expect("start");
    let addr = emu.local_addr();
    let good = [("authorization", "Bearer tok-123")];
    for (method, path) in [
        ("GET", "/_emulator/health"),
        ("POST", "/_emulator/reset"),
        ("GET", "/_emulator/requests"),
        ("DELETE", "/_emulator/requests"),
        ("GET", "/_emulator/faults"),
        ("POST", "/_emulator/script"),
        ("GET", "/_emulator/script/requests"),
    ] {
        for bad in [
            &[][..],
            &[("authorization", "Bearer tok-124")][..],
            &[("authorization", "tok-123")][..],
            &[("authorization", "Basic dG9rLTEyMw==")][..],
        ] {
            let r = admin_with(addr, method, path, "{}", bad).await;
            assert_eq!(
                (r.status, r.code()),
                (401, "Unauthorized"),
                "{method} {path}"
            );
            assert!(r.headers.contains_key("www-authenticate"));
        }
    }
    assert!(emu.admin_api_enabled());
    assert!(emu.exposure_warning().is_none());
    let r = admin_with(addr, "GET", "/_emulator/health", "", &good).await;
    assert_eq!((r.status, r.body.clone()), (200, json!({"status": "ok"})));
    let r = admin_with(
        addr,
        "POST",
        "/_emulator/faults",
        r#"{"operation": "ListRooms", "status": 429}"#,
        &good,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(fault_count(addr, &good).await, 1);
    // The token never replaces the browser checks.
    let r = admin_with(
        addr,
        "POST",
        "/_emulator/reset",
        "",
        &[
            ("authorization", "Bearer tok-123"),
            ("origin", "http://evil.example"),
        ],
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(fault_count(addr, &good).await, 1);
    // The control plane does not need the admin token.
    let c = Client::new(&emu);
    assert_eq!(c.op("ListRooms", json!({})).await.status, 429);
    emu.shutdown().await;

    assert!(
        Emulator::builder()
            .port(0)
            .admin_token("has space")
            .start()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn non_loopback_bind_warns_and_turns_the_admin_api_off_without_a_token() {
    let local = Local::spawn(&["--host", "0.0.0.0", "--port", "0"], &[]);
    let addr = local.addr;
    let r = admin(addr, "GET", "/_emulator/health", "").await;
    assert_eq!((r.status, r.code()), (403, "AdminApiDisabled"));
    let r = admin(addr, "POST", "/_emulator/reset", "").await;
    assert_eq!(r.status, 403);
    // The control plane still works.
    let c = Client::at(addr, "test", "test");
    assert_eq!(c.op("CreateRoom", json!({})).await.status, 200);
    let stderr = local.stop();
    assert!(
        stderr.contains("WARNING") && stderr.contains("not a loopback address"),
        "{stderr}"
    );
    assert!(
        stderr.contains("admin API (/_emulator/) is OFF"),
        "{stderr}"
    );
    assert!(stderr.contains("test/test"), "names the credentials risk");
    assert_eq!(
        stderr.matches("not a loopback address").count(),
        1,
        "printed once: {stderr}"
    );

    // With a token (from the environment) the admin API answers to it.
    let local = Local::spawn(
        &["--host", "0.0.0.0", "--port", "0"],
        &[("IVSCHAT_ADMIN_TOKEN", "env-token")],
    );
    let addr = local.addr;
    assert_eq!(
        admin(addr, "GET", "/_emulator/health", "").await.status,
        401
    );
    let r = admin_with(
        addr,
        "GET",
        "/_emulator/health",
        "",
        &[("authorization", "Bearer env-token")],
    )
    .await;
    assert_eq!(r.status, 200);
    let stderr = local.stop();
    assert!(stderr.contains("requires the admin token"), "{stderr}");

    // Loopback: no warning, admin on.
    let local = Local::spawn(&["--port", "0"], &[]);
    assert_eq!(
        admin(local.addr, "GET", "/_emulator/health", "")
            .await
            .status,
        200
    );
    let stderr = local.stop();
    assert!(!stderr.contains("WARNING"), "{stderr}");
}

/// Unsigned GETs with the given path, on one keep-alive connection; returns the statuses.
async fn unsigned_gets(addr: SocketAddr, paths: impl Iterator<Item = String>) -> Vec<u16> {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let mut statuses = Vec::new();
    let mut buf = Vec::with_capacity(4096);
    for path in paths {
        let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        s.write_all(req.as_bytes()).await.expect("write");
        buf.clear();
        // Read one response: headers, then Content-Length bytes.
        let (head_end, len) = loop {
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout(Duration::from_secs(30), s.read(&mut chunk))
                .await
                .expect("response in time")
                .expect("read");
            assert!(n > 0, "connection closed");
            buf.extend_from_slice(&chunk[..n]);
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..i]).to_ascii_lowercase();
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map(|v| v.trim().parse().expect("length"))
                    .unwrap_or(0);
                break (i + 4, len);
            }
        };
        while buf.len() < head_end + len {
            let mut chunk = [0u8; 4096];
            let n = s.read(&mut chunk).await.expect("read");
            assert!(n > 0, "connection closed");
            buf.extend_from_slice(&chunk[..n]);
        }
        statuses.push(
            std::str::from_utf8(&buf[9..12])
                .expect("status")
                .parse()
                .expect("status"),
        );
    }
    statuses
}

#[tokio::test]
async fn unsigned_flood_with_60kb_paths_keeps_rss_under_100mb() {
    let local = Local::spawn(&["--port", "0"], &[]);
    let addr = local.addr;
    let rss_start = local.rss_kib();
    // The first half is recorded by an active conformance script as well.
    let r = admin(addr, "POST", "/_emulator/script", r#"{"responses": []}"#).await;
    assert_eq!(r.status, 200);
    const CONNS: usize = 4;
    const TOTAL: usize = 12_000;
    let path = |conn: usize, i: usize| format!("/{conn}-{i:05}-{}", "p".repeat(60_000));
    let t = Instant::now();
    for half in 0..2 {
        let mut tasks = Vec::new();
        for conn in 0..CONNS {
            let per = TOTAL / CONNS / 2;
            let first = half * per;
            tasks.push(tokio::spawn(unsigned_gets(
                addr,
                (first..first + per).map(move |i| path(conn, i)),
            )));
        }
        for task in tasks {
            let statuses = task.await.expect("task");
            assert!(statuses.iter().all(|s| *s == 403), "all refused unsigned");
        }
        if half == 0 {
            let rec = admin(addr, "GET", "/_emulator/script/requests", "").await;
            assert!(rec.body["bytes"].as_u64().expect("bytes") <= 8 * 1024 * 1024);
            assert!(rec.body["dropped"].as_u64().expect("dropped") > 0);
            assert_eq!(
                admin(addr, "DELETE", "/_emulator/script", "").await.status,
                200
            );
        }
    }
    let elapsed = t.elapsed();
    let rss_end = local.rss_kib();
    let log = admin(addr, "GET", "/_emulator/requests", "").await;
    let entries = log.body["requests"].as_array().expect("log");
    assert!(!entries.is_empty());
    for e in entries {
        let p = e["path"].as_str().expect("path");
        assert!(p.len() <= 64 + "…".len(), "short prefix only: {}", p.len());
        assert_eq!(e["account"], "");
    }
    assert!(log.body["bytes"].as_u64().expect("bytes") <= 4 * 1024 * 1024);
    eprintln!(
        "unsigned flood: {TOTAL} requests in {elapsed:?}; RSS {} KiB at start, {} KiB after; request log {} entries, {} bytes",
        rss_start,
        rss_end,
        entries.len(),
        log.body["bytes"]
    );
    assert!(rss_end < 100 * 1024, "RSS {rss_end} KiB");
    local.stop();
}

#[tokio::test]
async fn request_log_is_bounded_in_bytes_and_delete_frees_it() {
    let emu = Emulator::builder()
        .port(0)
        .max_request_log_bytes(32 * 1024)
        .start()
        .await
        .expect("start");
    let addr = emu.local_addr();
    let statuses = unsigned_gets(
        addr,
        (0..1000).map(|i| format!("/flood/{i:04}/{}?q={}", "x".repeat(300), "y".repeat(300))),
    )
    .await;
    assert!(statuses.iter().all(|s| *s == 403));
    // An authenticated request keeps its full path and query (secret parameters redacted).
    let c = Client::new(&emu);
    let long = format!(
        "/ListRooms?X-Amz-Signature=sig-SECRET&k={}",
        "z".repeat(300)
    );
    assert_eq!(c.call("POST", &long, "{}").await.status, 200);
    let log = admin(addr, "GET", "/_emulator/requests", "").await;
    let entries = log.body["requests"].as_array().expect("log").clone();
    assert!(log.body["bytes"].as_u64().expect("bytes") <= 32 * 1024);
    assert_eq!(log.body["maxBytes"], 32 * 1024);
    assert!(entries.len() < 1000, "oldest dropped: {}", entries.len());
    assert_eq!(
        log.body["dropped"].as_u64().expect("dropped") as usize + entries.len(),
        1001
    );
    let last_unsigned = &entries[entries.len() - 2];
    assert!(
        last_unsigned["path"]
            .as_str()
            .expect("path")
            .starts_with("/flood/0999/xxx")
    );
    assert!(last_unsigned["path"].as_str().expect("path").len() <= 64 + 3);
    assert!(last_unsigned["query"].as_str().expect("query").len() <= 64 + 3);
    let signed = &entries[entries.len() - 1];
    assert_eq!(signed["account"], "000000000000");
    assert_eq!(signed["operation"], "ListRooms");
    let q = signed["query"].as_str().expect("query");
    assert!(q.contains(&"z".repeat(300)), "authenticated: whole query");
    assert!(!log.raw.windows(6).any(|w| w == b"SECRET"), "redacted");

    assert_eq!(
        admin(addr, "DELETE", "/_emulator/requests", "")
            .await
            .status,
        200
    );
    let log = admin(addr, "GET", "/_emulator/requests", "").await;
    assert_eq!(
        (
            log.body["requests"].clone(),
            log.body["bytes"].clone(),
            log.body["dropped"].clone()
        ),
        (json!([]), json!(0), json!(0))
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn script_recording_is_bounded_and_keeps_no_credentials_or_chat_tokens() {
    let emu = Emulator::builder()
        .port(0)
        .max_script_recording_bytes(64 * 1024)
        .start()
        .await
        .expect("start");
    let addr = emu.local_addr();
    let script = json!({"responses": [], "credentials": [
        {"accessKeyId": "test", "secretAccessKey": "test", "sessionToken": "SCRIPTED-session"}]});
    assert_eq!(
        admin(addr, "POST", "/_emulator/script", &script.to_string())
            .await
            .status,
        200
    );
    // 1. signed with a real-looking session token that the script does not know
    let mut stranger = Client::new(&emu);
    stranger.token = Some("REAL-session-token-SECRET".into());
    stranger.op("ListRooms", json!({})).await;
    // 2. signed with the script's own session token: kept (the reader supplied it)
    let mut scripted = Client::new(&emu);
    scripted.token = Some("SCRIPTED-session".into());
    scripted.op("ListRooms", json!({})).await;
    // 3. a chat token in Sec-WebSocket-Protocol on a request that is not an upgrade, a cookie
    //    and query-string signing parameters
    let req = http::Request::builder()
        .method("GET")
        .uri("/rooms?X-Amz-Credential=AKIA-SECRET&X-Amz-Signature=SECRET-sig&x=1")
        .header("host", addr.to_string())
        .header("sec-websocket-protocol", "CHAT-TOKEN-SECRET")
        .header("cookie", "session=COOKIE-SECRET")
        .body(Full::new(Bytes::new()))
        .expect("request");
    send(addr, req).await;
    let rec = admin(addr, "GET", "/_emulator/script/requests", "").await;
    let text = String::from_utf8_lossy(&rec.raw).into_owned();
    assert!(!text.contains("SECRET"), "{text}");
    let reqs = rec.body["requests"].as_array().expect("requests");
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[0]["headers"]["authorization"], "<redacted>");
    assert_eq!(reqs[0]["headers"]["x-amz-security-token"], "<redacted>");
    assert_eq!(reqs[0]["signature"]["valid"], false, "wrong session token");
    assert_eq!(
        reqs[1]["headers"]["x-amz-security-token"],
        "SCRIPTED-session"
    );
    assert_eq!(reqs[1]["signature"]["valid"], true);
    assert!(
        reqs[1]["signature"]["signedHeaders"]
            .as_str()
            .expect("signed")
            .contains("x-amz-security-token")
    );
    assert_eq!(reqs[2]["headers"]["sec-websocket-protocol"], "<redacted>");
    assert_eq!(reqs[2]["headers"]["cookie"], "<redacted>");
    assert_eq!(
        reqs[2]["query"],
        json!([
            ["X-Amz-Credential", "<redacted>"],
            ["X-Amz-Signature", "<redacted>"],
            ["x", "1"]
        ])
    );

    // Bounded in bytes: 200 requests with 4 KB bodies into a 64 KiB budget.
    for i in 0..200 {
        let body = format!("{{\"n\": {i}, \"pad\": \"{}\"}}", "b".repeat(4000));
        send(
            addr,
            http::Request::builder()
                .method("POST")
                .uri("/CreateRoom")
                .header("host", addr.to_string())
                .body(Full::new(Bytes::from(body)))
                .expect("request"),
        )
        .await;
    }
    // One body larger than half the budget is cut and marked.
    let big = format!("{{\"pad\": \"{}\"}}", "c".repeat(50_000));
    send(
        addr,
        http::Request::builder()
            .method("POST")
            .uri("/CreateRoom")
            .header("host", addr.to_string())
            .body(Full::new(Bytes::from(big)))
            .expect("request"),
    )
    .await;
    let rec = admin(addr, "GET", "/_emulator/script/requests", "").await;
    assert!(rec.body["bytes"].as_u64().expect("bytes") <= 64 * 1024);
    assert!(rec.raw.len() <= 64 * 1024 + 256, "{}", rec.raw.len());
    let reqs = rec.body["requests"].as_array().expect("requests");
    assert!(reqs.len() < 200);
    assert_eq!(
        rec.body["dropped"].as_u64().expect("dropped") as usize + reqs.len(),
        204
    );
    let last = reqs.last().expect("last");
    assert_eq!(last["bodyTruncated"], true);
    let kept = last["body"].as_str().expect("body");
    assert!(kept.starts_with("{\"pad\": \"ccc") && kept.len() < 50_000);
    let before_last = &reqs[reqs.len() - 2];
    assert!(
        before_last["body"]
            .as_str()
            .expect("body")
            .starts_with("{\"n\": 199,")
    );
    assert_eq!(
        admin(addr, "DELETE", "/_emulator/script", "").await.status,
        200
    );
    let rec = admin(addr, "GET", "/_emulator/script/requests", "").await;
    assert_eq!(
        (rec.body["requests"].clone(), rec.body["bytes"].clone()),
        (json!([]), json!(0))
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn pending_faults_are_bounded() {
    let emu = start().await;
    let addr = emu.local_addr();
    let batch = json!(vec![json!({"operation": "GetRoom", "count": 1}); 400]).to_string();
    for _ in 0..2 {
        assert_eq!(
            admin(addr, "POST", "/_emulator/faults", &batch)
                .await
                .status,
            200
        );
    }
    let r = admin(addr, "POST", "/_emulator/faults", &batch).await;
    assert_eq!((r.status, r.code()), (400, "ValidationException"));
    assert_eq!(
        fault_count(addr, &[]).await,
        800,
        "the refused batch added nothing"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn admin_bodies_have_the_control_plane_read_timeout() {
    let emu = Emulator::builder()
        .port(0)
        .body_read_timeout(Duration::from_millis(300))
        .start()
        .await
        .expect("start");
    let addr = emu.local_addr();
    for path in ["/_emulator/faults", "/_emulator/script"] {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        s.write_all(
            format!("POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{{")
                .as_bytes(),
        )
        .await
        .expect("write");
        let mut buf = Vec::new();
        let res = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut buf)).await;
        assert!(res.is_ok(), "{path}: the server closed the slow admin body");
        assert!(buf.is_empty(), "closed without an answer");
    }
    // Declared too large: 413 before reading.
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(
        b"POST /_emulator/faults HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2097152\r\n\r\n",
    )
    .await
    .expect("write");
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut buf)).await;
    assert!(
        buf.starts_with(b"HTTP/1.1 413"),
        "{}",
        String::from_utf8_lossy(&buf)
    );
    assert_eq!(
        admin(addr, "GET", "/_emulator/health", "").await.status,
        200
    );
    emu.shutdown().await;
}

fn raise_own_nofile(want: u64) -> u64 {
    // SAFETY: plain getrlimit/setrlimit on a local struct.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 0;
        }
        if lim.rlim_cur < want {
            lim.rlim_cur = want.min(lim.rlim_max);
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        }
        lim.rlim_cur
    }
}

#[tokio::test]
async fn silent_admin_connections_do_not_starve_health_checks() {
    const SILENT: usize = 1_100;
    assert!(
        raise_own_nofile(4096) >= SILENT as u64 + 200,
        "the test process needs ~1,300 file descriptors"
    );
    // The emulator gets 1,024 descriptors (the usual default): the silent connections alone
    // exhaust them, so health checks are answered only if the silent ones are closed.
    let local = Local::spawn_with(
        &[
            "--port",
            "0",
            "--header-timeout-ms",
            "10000",
            "--body-timeout-ms",
            "10000",
        ],
        &[],
        Some(1024),
    );
    let addr = local.addr;
    assert_eq!(
        admin(addr, "GET", "/_emulator/health", "").await.status,
        200
    );
    let open_fds = || {
        std::fs::read_dir(format!("/proc/{}/fd", local.child.id()))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    let t = Instant::now();
    let mut silent = Vec::with_capacity(SILENT);
    for i in 0..SILENT {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        // (Both read their body; POST /_emulator/reset answers without reading it.)
        let path = ["/_emulator/faults", "/_emulator/script"][i % 2];
        // Headers complete, the body never comes.
        s.write_all(
            format!(
                "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{{\"op"
            )
            .as_bytes(),
        )
        .await
        .expect("write");
        silent.push(s);
    }
    // The emulator is out of descriptors now (the rest wait in the listen backlog).
    let fds = open_fds();
    eprintln!(
        "{SILENT} silent admin connections opened in {:?}; the emulator holds {fds} descriptors",
        t.elapsed()
    );
    assert!(fds >= 1000, "descriptors exhausted: {fds}");
    // Health checks while every silent connection is still open on our side.
    let t = Instant::now();
    for _ in 0..3 {
        let r = tokio::time::timeout(
            Duration::from_secs(60),
            admin(addr, "GET", "/_emulator/health", ""),
        )
        .await
        .expect("health check answered (did not hang)");
        assert_eq!((r.status, r.body.clone()), (200, json!({"status": "ok"})));
    }
    eprintln!(
        "{SILENT} silent admin connections: health answered after {:?}",
        t.elapsed()
    );
    // The emulator closed the silent connections (EOF without an answer).
    let mut closed = 0;
    for s in silent.iter_mut().take(50) {
        let mut buf = Vec::new();
        // EOF or reset: the emulator closed it; a timeout means it is still open.
        if tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut buf))
            .await
            .is_ok()
        {
            closed += 1;
        }
    }
    assert_eq!(closed, 50);
    drop(silent);
    local.stop();
}

#[tokio::test]
async fn sigv4_requires_host_to_be_signed() {
    let emu = start().await;
    let c = Client::new(&emu);
    assert_eq!(c.op("ListRooms", json!({})).await.status, 200);
    let mut req = c.signed("POST", "/ListRooms", b"{}");
    let auth = req.headers()["authorization"]
        .to_str()
        .expect("ascii")
        .to_string();
    let (before, after) = auth.split_once("SignedHeaders=").expect("signed headers");
    let (list, rest) = after.split_once(',').expect("rest");
    let without: Vec<&str> = list.split(';').filter(|h| *h != "host").collect();
    assert_ne!(without.len(), list.split(';').count(), "host was signed");
    let forged = format!("{before}SignedHeaders={},{rest}", without.join(";"));
    req.headers_mut()
        .insert("authorization", forged.parse().expect("header"));
    let r = send(c.addr, req).await;
    assert_eq!(
        (r.status, r.code(), r.body["message"].as_str()),
        (
            403,
            "InvalidSignatureException",
            Some("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
        )
    );
    emu.shutdown().await;
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn trace_logs_never_show_user_ids_tokens_attributes_or_content() {
    let local = Local::spawn(&["--port", "0"], &[("IVSCHAT_LOG", "trace")]);
    let addr = local.addr;
    let c = Client::at(addr, "test", "test");
    let room = c.op("CreateRoom", json!({})).await;
    let arn = room.body["arn"].as_str().expect("arn").to_string();
    let t = c
        .op(
            "CreateChatToken",
            json!({"roomIdentifier": arn, "userId": "uid-LEAKCHECK-1",
                   "capabilities": ["SEND_MESSAGE", "DELETE_MESSAGE", "DISCONNECT_USER"],
                   "attributes": {"nick": "attr-LEAKCHECK-2"}}),
        )
        .await;
    let token = t.body["token"].as_str().expect("token").to_string();
    let mut req = format!("ws://{addr}/")
        .into_client_request()
        .expect("request");
    req.headers_mut()
        .insert("sec-websocket-protocol", token.parse().expect("token"));
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("connects");
    ws.send(Message::Text(
        json!({"Action": "SEND_MESSAGE", "RequestId": "r1", "Content": "content-LEAKCHECK-3",
               "Attributes": {"k": "msgattr-LEAKCHECK-4"}})
        .to_string()
        .into(),
    ))
    .await
    .expect("send");
    let m = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("frame")
        .expect("open")
        .expect("ok");
    assert!(m.to_text().expect("text").contains("content-LEAKCHECK-3"));
    // moderation and a control-plane event carry the same values
    let r = c
        .op(
            "SendEvent",
            json!({"roomIdentifier": arn, "eventName": "ev", "attributes": {"e": "evattr-LEAKCHECK-5"}}),
        )
        .await;
    assert_eq!(r.status, 200);
    let _ = ws.next().await;
    let r = c
        .op(
            "DisconnectUser",
            json!({"roomIdentifier": arn, "userId": "uid-LEAKCHECK-1", "reason": "bye"}),
        )
        .await;
    assert_eq!(r.status, 200);
    while let Ok(Some(Ok(m))) = tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
        if m.is_close() {
            break;
        }
    }
    // A refused reuse of the token.
    let mut req = format!("ws://{addr}/")
        .into_client_request()
        .expect("request");
    req.headers_mut()
        .insert("sec-websocket-protocol", token.parse().expect("token"));
    assert!(tokio_tungstenite::connect_async(req).await.is_err());
    let stderr = local.stop();
    assert!(
        stderr.contains("TRACE") || stderr.contains("DEBUG"),
        "trace logging was on"
    );
    for secret in [
        "LEAKCHECK",
        token.as_str(),
        &hex("LEAKCHECK"),
        &hex("uid-LEAK"),
    ] {
        assert!(
            !stderr.contains(secret),
            "{secret} leaked into the logs:\n{}",
            stderr
                .lines()
                .filter(|l| l.contains(secret))
                .take(5)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[tokio::test]
async fn expired_chat_tokens_are_purged() {
    let dir = tempfile::tempdir().expect("tmp");
    // time scale 60: a 1-minute session (and token) lasts 1 s; the purge runs every second.
    let emu = Emulator::builder()
        .port(0)
        .data_dir(dir.path())
        .time_scale(60.0)
        .start()
        .await
        .expect("start");
    let c = Client::new(&emu);
    let arn = c.op("CreateRoom", json!({})).await.body["arn"]
        .as_str()
        .expect("arn")
        .to_string();
    for i in 0..30 {
        let r = c
            .op(
                "CreateChatToken",
                json!({"roomIdentifier": arn, "userId": format!("u{i}"), "sessionDurationInMinutes": 1}),
            )
            .await;
        assert_eq!(r.status, 200);
    }
    let long = c
        .op(
            "CreateChatToken",
            json!({"roomIdentifier": arn, "userId": "stays", "sessionDurationInMinutes": 180}),
        )
        .await;
    assert_eq!(long.status, 200);
    assert_eq!(emu.stored_chat_tokens(), 31);
    let rows = || {
        let conn = rusqlite::Connection::open(dir.path().join("ivschat.sqlite3")).expect("open");
        conn.query_row("SELECT COUNT(*) FROM chat_tokens", [], |r| {
            r.get::<_, i64>(0)
        })
        .expect("count")
    };
    assert_eq!(rows(), 31);
    let t = Instant::now();
    while emu.stored_chat_tokens() > 1 && t.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        emu.stored_chat_tokens(),
        1,
        "only the unexpired token is left"
    );
    assert_eq!(rows(), 1, "deleted from the database too");
    emu.shutdown().await;
}

#[tokio::test]
async fn data_dir_errors_name_the_problem() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").expect("write");
    let e = Emulator::builder()
        .port(0)
        .data_dir(&file)
        .start()
        .await
        .expect_err("a file is not a data dir");
    let msg = e.to_string();
    assert!(
        msg.contains("is a file, not a directory") && msg.contains("not-a-dir"),
        "{msg}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_ivschat-local"))
        .args(["--port", "0", "--data-dir", file.to_str().expect("utf8")])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a file, not a directory"));

    // A corrupt row names its table and key.
    let data = dir.path().join("data");
    let emu = Emulator::builder()
        .port(0)
        .data_dir(&data)
        .start()
        .await
        .expect("start");
    let c = Client::new(&emu);
    let room = c.op("CreateRoom", json!({"name": "r"})).await;
    let id = room.body["id"].as_str().expect("id").to_string();
    let lc = c
        .op(
            "CreateLoggingConfiguration",
            json!({"destinationConfiguration": {"s3": {"bucketName": "bkt"}}}),
        )
        .await;
    let lc_id = lc.body["id"].as_str().expect("id").to_string();
    c.op(
        "CreateChatToken",
        json!({"roomIdentifier": room.body["arn"], "userId": "secret-user"}),
    )
    .await;
    emu.shutdown().await;
    let db = data.join("ivschat.sqlite3");
    let corrupt = |sql: &str| {
        let conn = rusqlite::Connection::open(&db).expect("open");
        conn.execute(sql, []).expect("corrupt");
    };
    let start_err = || async {
        Emulator::builder()
            .port(0)
            .data_dir(&data)
            .start()
            .await
            .expect_err("corrupt row")
            .to_string()
    };
    corrupt("UPDATE rooms SET body = '{\"id\": 1'");
    let msg = start_err().await;
    assert!(
        msg.contains("table rooms") && msg.contains(&id) && msg.contains("000000000000"),
        "{msg}"
    );
    corrupt("DELETE FROM rooms");
    corrupt("UPDATE logging_configurations SET body = x'00ff'");
    let msg = start_err().await;
    assert!(
        msg.contains("table logging_configurations") && msg.contains(&lc_id),
        "{msg}"
    );
    corrupt("DELETE FROM logging_configurations");
    corrupt(
        "UPDATE chat_tokens SET body = replace(body, '\"used\":false', '\"used\":\"secret-user\"')",
    );
    let msg = start_err().await;
    assert!(
        msg.contains("table chat_tokens") && msg.contains("rowid"),
        "{msg}"
    );
    assert!(
        !msg.contains("secret-user"),
        "no secrets in the message: {msg}"
    );
    let _: Value = json!(null);
}
