//! `ivschat-core-bench URL [CALLS] [ROUNDS] [ONLY]`: GetRoom calls against a canned server
//! (`ivschat-canned-server`), each way a binding drives the core, next to a raw client that
//! writes pre-built request bytes on one keep-alive socket, and next to the same signing on one
//! hyper connection, with ureq-proto's framing, and on hyper-util's pooled client. Prints µs and
//! CPU µs per sequential call, then calls per second with 64 in flight on a two-worker runtime.

#[path = "../../common/rate.rs"]
mod rate;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use rate::{cpu_time, median};

use ivschat_canned_server::{
    ROOM_ARN as ARN, RawTokioClient, connect, message_length, raw_request,
};
const WARM_UP: usize = 200;

/// Wall and CPU µs per call of `calls` calls of `one`.
fn measure(calls: usize, one: &mut dyn FnMut()) -> (f64, f64) {
    let (wall, cpu) = (Instant::now(), cpu_time());
    for _ in 0..calls {
        one();
    }
    let per_call = |d: Duration| d.as_secs_f64() * 1e6 / calls as f64;
    (per_call(wall.elapsed()), per_call(cpu_time() - cpu))
}

fn raw_client(url: &str) -> impl FnMut() {
    let host = url.trim_start_matches("http://");
    let mut socket = TcpStream::connect(host).expect("connect");
    socket.set_nodelay(true).expect("nodelay");
    let request = raw_request(host);
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
        if let Some(length) = message_length(&buf[..have]) {
            return length;
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
        let io = hyper_util::rt::TokioIo::new(connect(url).await);
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

/// The raw client on a tokio socket of a current-thread runtime: the floor of any client that
/// waits for its answer in tokio's reactor.
fn raw_tokio_client<'a>(url: &str, rt: &'a tokio::runtime::Runtime) -> impl FnMut() + 'a {
    let mut client = rt.block_on(RawTokioClient::connect(url));
    move || rt.block_on(client.call())
}

/// The same signing and typed parsing with ureq-proto's sans-IO HTTP/1.1 framing on one tokio
/// socket, driven in the calling task (no connection task, no channels).
fn ureq_proto_direct<'a>(url: &str, rt: &'a tokio::runtime::Runtime) -> impl FnMut() + 'a {
    use aws_smithy_runtime_api::client::identity::Identity;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use ureq_proto::client::{Call, RecvBodyResult, RecvResponseResult, SendRequestResult};
    let mut stream = rt.block_on(connect(url));
    let identity: Identity =
        aws_credential_types::Credentials::new("test", "test", None, None, "bench").into();
    let target = format!("{url}/GetRoom");
    let mut out = vec![0u8; 16384];
    let mut input = Vec::with_capacity(16384);
    move || {
        let body = serde_json::to_vec(&serde_json::json!({ "identifier": ARN })).expect("body");
        let (instructions, _) = sign_get_room(&identity, &target, &body).into_parts();
        let mut request = http::Request::post(&target)
            .header("content-type", "application/json")
            .header("content-length", body.len())
            .body(())
            .expect("request");
        for h in instructions.into_parts().0 {
            request
                .headers_mut()
                .insert(h.name(), h.value().parse().expect("value"));
        }
        let parsed: ivschat::operation::GetRoomOutput = rt.block_on(async {
            let mut call = Call::new(request).expect("call").proceed();
            let mut n = call.write(&mut out).expect("head");
            let Ok(Some(SendRequestResult::SendBody(mut call))) = call.proceed() else {
                panic!("send body")
            };
            let (_, m) = call.write(&body, &mut out[n..]).expect("body");
            n += m;
            let (_, m) = call.write(&[], &mut out[n..]).expect("end");
            n += m;
            stream.write_all(&out[..n]).await.expect("write");
            let mut call = call.proceed().expect("recv");
            input.clear();
            let response = loop {
                let mut chunk = [0u8; 8192];
                let got = stream.read(&mut chunk).await.expect("read");
                input.extend_from_slice(&chunk[..got]);
                let (used, response) = call.try_response(&input, false).expect("parse");
                input.drain(..used);
                if let Some(r) = response {
                    break r;
                }
            };
            std::hint::black_box(response);
            let Some(RecvResponseResult::RecvBody(mut call)) = call.proceed() else {
                panic!("no body")
            };
            let mut whole = Vec::new();
            loop {
                let (used, made) = call.read(&input, &mut out).expect("body");
                input.drain(..used);
                whole.extend_from_slice(&out[..made]);
                if call.can_proceed() {
                    break;
                }
                if used == 0 && made == 0 {
                    let mut chunk = [0u8; 8192];
                    let got = stream.read(&mut chunk).await.expect("read");
                    input.extend_from_slice(&chunk[..got]);
                }
            }
            let Some(RecvBodyResult::Cleanup(done)) = call.proceed() else {
                panic!("cleanup")
            };
            assert!(!done.must_close_connection());
            serde_json::from_slice(&whole).expect("parse")
        });
        std::hint::black_box(parsed);
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

/// The same signing and typed parsing on hyper-util's pooled client (what reqwest and
/// aws-smithy-http-client are built on): each connection runs in a task of its own.
fn pooled_hyper_util(
    url: &str,
) -> impl Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Clone + Send + use<>
{
    use aws_smithy_runtime_api::client::identity::Identity;
    use http_body_util::BodyExt;
    let pool = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    let identity: Identity =
        aws_credential_types::Credentials::new("test", "test", None, None, "bench").into();
    let target = format!("{url}/GetRoom");
    move || {
        let (pool, identity, target) = (pool.clone(), identity.clone(), target.clone());
        Box::pin(async move {
            let body = serde_json::to_vec(&serde_json::json!({ "identifier": ARN })).expect("body");
            let (instructions, _) = sign_get_room(&identity, &target, &body).into_parts();
            let mut request = http::Request::post(&target)
                .header("content-type", "application/json")
                .body(http_body_util::Full::new(bytes::Bytes::from(body)))
                .expect("request");
            for h in instructions.into_parts().0 {
                request
                    .headers_mut()
                    .insert(h.name(), h.value().parse().expect("value"));
            }
            let response = pool.request(request).await.expect("send");
            let body = response
                .into_body()
                .collect()
                .await
                .expect("body")
                .to_bytes();
            let out: ivschat::operation::GetRoomOutput =
                serde_json::from_slice(&body).expect("parse");
            std::hint::black_box(out);
        })
    }
}

/// Calls per second with `in_flight` callers, each making `calls` calls one after another.
fn throughput<F>(runtime: &tokio::runtime::Runtime, in_flight: usize, calls: usize, one: F) -> f64
where
    F: Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
        + Clone
        + Send
        + 'static,
{
    runtime.block_on(rate::rate(in_flight, calls, one))[0]
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
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let typed = client(&url);
    let untimed = client_with(&url, |b| b.read_timeout(None));
    let params = serde_json::json!({ "identifier": ARN });
    let text = params.to_string();
    let hyper_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let pooled = pooled_hyper_util(&url);
    let mut variants: Vec<Variant> = vec![
        ("raw keep-alive client", Box::new(raw_client(&url))),
        (
            "raw request on a tokio socket (current-thread)",
            Box::new(raw_tokio_client(&url, &hyper_rt)),
        ),
        (
            "aws-sigv4 signing alone, in memory (no socket)",
            Box::new(sign_only(&url)),
        ),
        (
            "signed hyper connection, its own task (current-thread)",
            Box::new(hyper_direct(&url, &hyper_rt)),
        ),
        (
            "signed ureq-proto on one socket, in the calling task (current-thread)",
            Box::new(ureq_proto_direct(&url, &hyper_rt)),
        ),
        (
            "signed hyper-util pooled client (current-thread)",
            Box::new(|| hyper_rt.block_on(pooled())),
        ),
        (
            "typed, caller drives a current-thread runtime (Python `Client`)",
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
            "call_json_text, current-thread",
            Box::new(|| {
                let (out, _) =
                    current.block_on(typed.call_json_text_with_metadata("GetRoom", &text));
                out.expect("call");
            }),
        ),
        (
            "typed, spawned on a multi-thread runtime, answer by channel (Node, `AsyncClient`)",
            Box::new(|| spawn_and_wait(multi.handle(), &typed)),
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

    const IN_FLIGHT: usize = 64;
    let per_caller = (calls / IN_FLIGHT).max(20);
    let ours = {
        let client = client(&url);
        move || -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
            let client = client.clone();
            Box::pin(async move {
                client
                    .get_room()
                    .identifier(ARN)
                    .send()
                    .await
                    .expect("call");
            })
        }
    };
    // A pool of its own: hyper-util's connections live on the runtime that opened them.
    let pooled = pooled_hyper_util(&url);
    throughput(&multi, IN_FLIGHT, per_caller, ours.clone());
    throughput(&multi, IN_FLIGHT, per_caller, pooled.clone());
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        a.push(throughput(&multi, IN_FLIGHT, per_caller, ours.clone()));
        b.push(throughput(&multi, IN_FLIGHT, per_caller, pooled.clone()));
    }

    println!(
        "\n{IN_FLIGHT} in flight on a two-worker runtime, {rounds} interleaved rounds of \
         {} calls, medians\n",
        IN_FLIGHT * per_caller
    );
    println!("| client | calls/s |");
    println!("|---|---|");
    println!("| typed ivschat client | {:.0} |", median(a));
    println!("| signed hyper-util pooled client | {:.0} |", median(b));
}
