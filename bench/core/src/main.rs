//! `ivschat-core-bench URL [CALLS] [ROUNDS] [ONLY]`: sequential GetRoom calls against a canned server
//! (`ivschat-canned-server`), each way a binding drives the core, next to a raw client that
//! writes pre-built request bytes on one keep-alive socket. Prints µs and CPU µs per call.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const ARN: &str = "arn:aws:ivschat:us-east-1:000000000000:room/abcdEFGH1234";
const WARM_UP: usize = 200;

/// CPU time of the whole process (every thread).
fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Wall and CPU µs per call of `calls` calls of `one`.
fn measure(calls: usize, one: &mut dyn FnMut()) -> (f64, f64) {
    let (wall, cpu) = (Instant::now(), cpu_time());
    for _ in 0..calls {
        one();
    }
    let per_call = |d: Duration| d.as_secs_f64() * 1e6 / calls as f64;
    (per_call(wall.elapsed()), per_call(cpu_time() - cpu))
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn raw_client(url: &str) -> impl FnMut() {
    let host = url.trim_start_matches("http://");
    let mut socket = TcpStream::connect(host).expect("connect");
    socket.set_nodelay(true).expect("nodelay");
    let body = format!(r#"{{"identifier": "{ARN}"}}"#);
    let request = format!(
        "POST /GetRoom HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut buf = vec![0u8; 65536];
    move || {
        socket.write_all(request.as_bytes()).expect("write");
        read_response(&mut socket, &mut buf);
    }
}

/// Reads one response into `buf` (up to its content-length); returns its length.
fn read_response(socket: &mut TcpStream, buf: &mut [u8]) -> usize {
    let mut have = 0;
    loop {
        have += socket.read(&mut buf[have..]).expect("read");
        let text = &buf[..have];
        let Some(end) = text.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&text[..end]).to_ascii_lowercase();
        let length: usize = head
            .split("content-length:")
            .nth(1)
            .and_then(|v| v.lines().next())
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        if have >= end + 4 + length {
            return end + 4 + length;
        }
    }
}

fn client(url: &str) -> ivschat::Client {
    client_with(url, |b| b)
}

fn client_with(
    url: &str,
    f: impl FnOnce(ivschat::ConfigBuilder) -> ivschat::ConfigBuilder,
) -> ivschat::Client {
    let builder = ivschat::Config::builder()
        .region("us-east-1")
        .endpoint_url(url)
        .credentials(ivschat::Credentials::new("test", "test", None));
    ivschat::Client::new(&f(builder).build().expect("config"))
}

/// What a call would cost without reqwest: the same aws-sigv4 signing and typed parsing, sent on
/// one hyper HTTP/1 connection (no pool, no retries, no timeouts): the floor under our stack.
fn hyper_direct<'a>(url: &str, rt: &'a tokio::runtime::Runtime) -> impl FnMut() + 'a {
    use aws_smithy_runtime_api::client::identity::Identity;
    use http_body_util::BodyExt;
    let host = url.trim_start_matches("http://").to_owned();
    let mut sender = rt.block_on(async {
        let stream = tokio::net::TcpStream::connect(&host)
            .await
            .expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        let io = hyper_util::rt::TokioIo::new(stream);
        let (sender, conn) = hyper::client::conn::http1::handshake(io)
            .await
            .expect("handshake");
        tokio::spawn(conn);
        sender
    });
    let identity: Identity =
        aws_credential_types::Credentials::new("test", "test", None, None, "bench").into();
    let target = format!("{url}/GetRoom");
    move || {
        let body = serde_json::to_vec(&serde_json::json!({ "identifier": ARN })).expect("body");
        let (instructions, _) = sign_get_room(&identity, &target, &body).into_parts();
        let mut request = http::Request::post("/GetRoom")
            .header("host", &host)
            .header("content-type", "application/json")
            .body(http_body_util::Full::new(bytes::Bytes::from(body)))
            .expect("request");
        for h in instructions.into_parts().0 {
            request
                .headers_mut()
                .insert(h.name(), h.value().parse().expect("value"));
        }
        let out: ivschat::operation::GetRoomOutput = rt.block_on(async {
            let response = sender.send_request(request).await.expect("send");
            let body = response
                .into_body()
                .collect()
                .await
                .expect("body")
                .to_bytes();
            serde_json::from_slice(&body).expect("parse")
        });
        std::hint::black_box(out);
    }
}

/// aws-sigv4 signing alone, with the core's settings, for one GetRoom body (no I/O): the part of
/// [`host_in_memory`]'s cost that signing takes.
fn sign_only(url: &str) -> impl FnMut() {
    use aws_smithy_runtime_api::client::identity::Identity;
    let identity: Identity =
        aws_credential_types::Credentials::new("test", "test", None, None, "bench").into();
    let target = format!("{url}/GetRoom");
    let body = serde_json::to_vec(&serde_json::json!({ "identifier": ARN })).expect("body");
    move || {
        std::hint::black_box(sign_get_room(&identity, &target, &body));
    }
}

/// aws-sigv4's `sign` with the core's settings, for a GetRoom POST to `target`.
fn sign_get_room(
    identity: &aws_smithy_runtime_api::client::identity::Identity,
    target: &str,
    body: &[u8],
) -> aws_sigv4::SigningOutput<aws_sigv4::http_request::SigningInstructions> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    let signable = SignableRequest::new(
        "POST",
        target,
        [("content-type", "application/json")].into_iter(),
        SignableBody::Bytes(body),
    )
    .expect("signable");
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(identity)
        .region("us-east-1")
        .name("ivschat")
        .time(std::time::SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .expect("params")
        .into();
    sign(signable, &params).expect("sign")
}

/// A call spawned on `runtime`, its answer waited for on a channel (as a binding's caller would).
fn spawn_and_wait(runtime: &tokio::runtime::Handle, client: &ivschat::Client) {
    let c = client.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    runtime.spawn(async move {
        let _ = tx.send(c.get_room().identifier(ARN).send().await);
    });
    rx.recv().expect("answer").expect("call");
}

/// The canned server's answer to one GetRoom, as bytes.
fn canned_response(url: &str) -> Vec<u8> {
    let host = url.trim_start_matches("http://");
    let mut socket = TcpStream::connect(host).expect("connect");
    let body = format!(r#"{{"identifier": "{ARN}"}}"#);
    let request = format!(
        "POST /GetRoom HTTP/1.1\r\nhost: {host}\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(request.as_bytes()).expect("write");
    let mut buf = vec![0u8; 65536];
    let length = read_response(&mut socket, &mut buf);
    buf.truncate(length);
    buf
}

/// The core's whole work for one call with no socket: host I/O (the Node binding's path), each
/// request answered at once with the canned server's bytes from memory. Its CPU per call is what
/// the core adds to any transport's.
fn host_in_memory(url: &str, rt: &tokio::runtime::Runtime) -> impl FnMut() {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};
    let canned = canned_response(url);
    let (host_client, io) = client(url)
        .with_host_io(std::sync::Arc::new(|| {}))
        .expect("host client");
    let io = io.expect("host I/O (no proxy set)");
    let text = serde_json::json!({ "identifier": ARN }).to_string();
    let _runtime = rt.enter();
    move || {
        let _runtime = rt.enter();
        let mut call = std::pin::pin!(host_client.call_json_text_with_metadata("GetRoom", &text));
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready((out, _)) = call.as_mut().poll(&mut cx) {
                std::hint::black_box(out.expect("call"));
                return;
            }
            for action in io.take_actions() {
                if let ivschat::host::HostAction::Send(request) = action {
                    io.feed(request.id, &canned);
                }
            }
        }
    }
}

type Variant<'a> = (&'static str, Box<dyn FnMut() + 'a>);

fn main() {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .expect("usage: ivschat-core-bench URL [CALLS] [ROUNDS] [ONLY]");
    let calls: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(2000);
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(5);
    // Only the variants whose name contains this (for profiling one path); the raw client stays.
    let only = args.next().unwrap_or_default();
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let multi = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let typed = client(&url);
    let blocking = typed.with_blocking_io(None).expect("blocking client");
    let untimed = client_with(&url, |b| b.read_timeout(None));
    let multi_client = client(&url);
    let params = serde_json::json!({ "identifier": ARN });
    let text = params.to_string();

    let idle = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // A timer that stays pending (no per-call registration): does a finite epoll timeout cost?
    idle.spawn(async { tokio::time::sleep(Duration::from_secs(3600)).await });
    let untimed_idle = client_with(&url, |b| b.read_timeout(None));
    // A current-thread runtime on a thread of its own (callers hand it calls and wait).
    let dedicated = {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let handle = rt.handle().clone();
        std::thread::spawn(move || rt.block_on(std::future::pending::<()>()));
        handle
    };
    let dedicated_client = client(&url);
    let hyper_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut variants: Vec<Variant> = vec![
        ("raw keep-alive client", Box::new(raw_client(&url))),
        (
            "aws-sigv4 signing alone, in memory (no socket)",
            Box::new(sign_only(&url)),
        ),
        (
            "call_json_text over host I/O, answered from memory (no socket)",
            Box::new(host_in_memory(&url, &current)),
        ),
        (
            "signed hyper connection, no reqwest (current-thread)",
            Box::new(hyper_direct(&url, &hyper_rt)),
        ),
        (
            "typed, blocking I/O on the calling thread (Python `Client`)",
            Box::new(|| {
                current
                    .block_on(blocking.get_room().identifier(ARN).send())
                    .expect("call");
            }),
        ),
        (
            "typed, caller drives a current-thread runtime",
            Box::new(|| {
                current
                    .block_on(typed.get_room().identifier(ARN).send())
                    .expect("call");
            }),
        ),
        (
            "typed, current-thread, no read timeout",
            Box::new(|| {
                current
                    .block_on(untimed.get_room().identifier(ARN).send())
                    .expect("call");
            }),
        ),
        (
            "typed, current-thread, no read timeout, a long timer pending",
            Box::new(|| {
                idle.block_on(untimed_idle.get_room().identifier(ARN).send())
                    .expect("call");
            }),
        ),
        (
            "typed, current-thread, in a 5 s timeout",
            Box::new(|| {
                current
                    .block_on(async {
                        let call = typed.get_room().identifier(ARN).send();
                        tokio::time::timeout(Duration::from_secs(5), call).await
                    })
                    .expect("in time")
                    .expect("call");
            }),
        ),
        (
            "call_json (Value), current-thread",
            Box::new(|| {
                current
                    .block_on(typed.call_json("GetRoom", params.clone()))
                    .expect("call");
            }),
        ),
        (
            "call_json_text, current-thread",
            Box::new(|| {
                let (out, _) =
                    current.block_on(typed.call_json_text_with_metadata("GetRoom", &text));
                out.expect("call");
            }),
        ),
        (
            "typed, block_on a multi-thread runtime",
            Box::new(|| {
                multi
                    .block_on(multi_client.get_room().identifier(ARN).send())
                    .expect("call");
            }),
        ),
        (
            "typed, spawned on a multi-thread runtime",
            Box::new(|| {
                let c = multi_client.clone();
                multi
                    .block_on(multi.spawn(async move { c.get_room().identifier(ARN).send().await }))
                    .expect("join")
                    .expect("call");
            }),
        ),
        (
            "typed, spawned on a multi-thread runtime, answer by channel",
            Box::new(|| spawn_and_wait(multi.handle(), &multi_client)),
        ),
        (
            "typed, spawned on a current-thread runtime on its own thread, answer by channel",
            Box::new(|| spawn_and_wait(&dedicated, &dedicated_client)),
        ),
    ];
    variants.retain(|(name, _)| name.starts_with("raw") || name.contains(only.as_str()));
    for (_, one) in variants.iter_mut() {
        measure(WARM_UP, one.as_mut());
    }
    // Interleaved rounds: a change in the machine's load hits every variant alike.
    let mut results = vec![(Vec::new(), Vec::new()); variants.len()];
    for _ in 0..rounds {
        for (i, (_, one)) in variants.iter_mut().enumerate() {
            let (wall, cpu) = measure(calls, one.as_mut());
            results[i].0.push(wall);
            results[i].1.push(cpu);
        }
    }
    println!("sequential GetRoom, {rounds} interleaved rounds of {calls} calls, medians\n");
    println!("| variant | µs per call | CPU µs per call | overhead over raw (µs) |");
    println!("|---|---|---|---|");
    let raw = median(results[0].0.clone());
    for ((name, _), (wall, cpu)) in variants.iter().zip(results) {
        let wall = median(wall);
        println!(
            "| {name} | {wall:.1} | {:.1} | {:.1} |",
            median(cpu),
            wall - raw
        );
    }
}
