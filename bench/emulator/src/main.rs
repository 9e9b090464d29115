//! `ivschat-emulator-bench`: requests/s of a pre-signed GetRoom against ivschat-local.
//!
//! ```text
//! cargo build --release -p ivschat-emulator -p ivschat-emulator-bench
//! target/release/ivschat-emulator-bench --bin target/release/ivschat-local [--connections 64] [--seconds 10]
//! target/release/ivschat-emulator-bench --endpoint http://127.0.0.1:4580     # an already running one
//! ```
//! The request is signed once (a SigV4 signature stays valid for 15 minutes) and the exact bytes
//! are replayed on every keep-alive connection; responses are parsed just enough to find their
//! end and check the status, so the generator spends as little CPU as possible.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Args {
    bin: Option<String>,
    endpoint: Option<String>,
    connections: usize,
    seconds: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        bin: None,
        endpoint: None,
        connections: 64,
        seconds: 10,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().ok_or_else(|| format!("{k} needs a value"));
        match k.as_str() {
            "--bin" => a.bin = Some(v()?),
            "--endpoint" => a.endpoint = Some(v()?),
            "--connections" => a.connections = v()?.parse().map_err(|e| format!("{e}"))?,
            "--seconds" => a.seconds = v()?.parse().map_err(|e| format!("{e}"))?,
            _ => return Err(format!("unknown argument {k}")),
        }
    }
    if a.bin.is_none() && a.endpoint.is_none() {
        a.bin = Some("target/release/ivschat-local".into());
    }
    Ok(a)
}

/// The exact bytes of a signed request.
fn signed_bytes(addr: SocketAddr, path: &str, body: &str) -> Vec<u8> {
    let host = addr.to_string();
    let uri = format!("http://{host}{path}");
    let headers = [
        ("host", host.as_str()),
        ("content-type", "application/json"),
    ];
    let identity = Credentials::new("test", "test", None, None, "bench").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("ivschat")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .expect("signing params")
        .into();
    let signable = SignableRequest::new(
        "POST",
        &uri,
        headers.iter().copied(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .expect("signable");
    let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
    let mut req = http::Request::builder()
        .method("POST")
        .uri(path)
        .body(())
        .expect("request");
    for (k, v) in headers {
        req.headers_mut().insert(k, v.parse().expect("header"));
    }
    instructions.apply_to_request_http1x(&mut req);
    let mut out = format!("POST {path} HTTP/1.1\r\n");
    for (k, v) in req.headers() {
        out.push_str(&format!("{}: {}\r\n", k, v.to_str().expect("ascii")));
    }
    out.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
    out.into_bytes()
}

/// Read one response from `buf`/`stream`; returns (status, total length consumed).
async fn read_response(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    filled: &mut usize,
) -> std::io::Result<(u16, Vec<u8>)> {
    loop {
        if let Some(end) = find(&buf[..*filled], b"\r\n\r\n") {
            let head = &buf[..end];
            let status = std::str::from_utf8(&head[9..12])
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let len = content_length(head);
            let total = end + 4 + len;
            while *filled < total {
                if buf.len() < total {
                    buf.resize(total, 0);
                }
                let n = stream.read(&mut buf[*filled..]).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                *filled += n;
            }
            let body = buf[end + 4..total].to_vec();
            buf.copy_within(total..*filled, 0);
            *filled -= total;
            return Ok((status, body));
        }
        if *filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let n = stream.read(&mut buf[*filled..]).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        *filled += n;
    }
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

fn content_length(head: &[u8]) -> usize {
    for line in head.split(|&b| b == b'\n') {
        if line.len() > 15 && line[..15].eq_ignore_ascii_case(b"content-length:") {
            return std::str::from_utf8(&line[15..])
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(0);
        }
    }
    0
}

fn spawn_server(bin: &str) -> (Child, SocketAddr) {
    let mut child = Command::new(bin)
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("startup line");
    let addr = line
        .trim()
        .rsplit("http://")
        .next()
        .expect("addr")
        .parse()
        .expect("host:port");
    (child, addr)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("ivschat-emulator-bench: {e}");
            std::process::exit(2);
        }
    };
    let (child, addr) = match (&args.endpoint, &args.bin) {
        (Some(ep), _) => (
            None,
            ep.trim_start_matches("http://")
                .trim_end_matches('/')
                .parse()
                .expect("endpoint host:port"),
        ),
        (None, Some(bin)) => {
            let (c, a) = spawn_server(bin);
            (Some(c), a)
        }
        _ => unreachable!(),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let rps = rt.block_on(run(addr, args.connections, args.seconds));
    if let Some(mut c) = child {
        let _ = c.kill();
        let _ = c.wait();
    }
    println!("{rps:.0} requests/s");
}

async fn run(addr: SocketAddr, connections: usize, seconds: u64) -> f64 {
    // Create the room once.
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.set_nodelay(true).ok();
    s.write_all(&signed_bytes(addr, "/CreateRoom", r#"{"name": "bench"}"#))
        .await
        .expect("write");
    let (mut buf, mut filled) = (vec![0u8; 4096], 0);
    let (status, body) = read_response(&mut s, &mut buf, &mut filled)
        .await
        .expect("CreateRoom");
    assert_eq!(
        status,
        200,
        "CreateRoom failed: {}",
        String::from_utf8_lossy(&body)
    );
    let room: serde_json::Value = serde_json::from_slice(&body).expect("json");
    let arn = room["arn"].as_str().expect("arn").to_string();
    let request: Arc<[u8]> =
        signed_bytes(addr, "/GetRoom", &format!(r#"{{"identifier": "{arn}"}}"#)).into();

    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (request, done, errors, stop) =
            (request.clone(), done.clone(), errors.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut s = TcpStream::connect(addr).await.expect("connect");
            s.set_nodelay(true).ok();
            let (mut buf, mut filled) = (vec![0u8; 4096], 0);
            while !stop.load(Ordering::Relaxed) {
                if s.write_all(&request).await.is_err() {
                    errors.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                match read_response(&mut s, &mut buf, &mut filled).await {
                    Ok((200, _)) => done.fetch_add(1, Ordering::Relaxed),
                    Ok(_) => errors.fetch_add(1, Ordering::Relaxed),
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                };
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await; // warm-up
    let start_count = done.load(Ordering::Relaxed);
    let t = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let n = done.load(Ordering::Relaxed) - start_count;
    let elapsed = t.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    let errs = errors.load(Ordering::Relaxed);
    eprintln!("{n} GetRoom in {elapsed:.2}s over {connections} connections, {errs} errors");
    if errs > 0 {
        eprintln!("warning: {errs} non-200 responses or connection errors");
    }
    n as f64 / elapsed
}
