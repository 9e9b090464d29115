//! Fan-out benchmark for the ivschat-local messaging WebSocket.
//!
//! Starts the emulator in-process (its own tokio runtime), creates one room and 1,000 chat
//! tokens through the Rust core, connects 1,000 WebSocket clients to the room (on a second
//! runtime), then one of them sends 100 messages. Every client must receive every message
//! (zero loss is checked). Reports p50 / p99 / max delivery latency (send → receive, one
//! monotonic clock) and messages delivered per second.
//!
//! ```text
//! CARGO_TARGET_DIR=target/bench-build cargo run --release -p ivschat-messaging-bench -- \
//!     [--clients 1000] [--messages 100] [--interval-ms 10] [--server-threads 2] [--client-threads 2]
//! ```
//! `--interval-ms 0` sends the 100 messages as one burst. Needs about 2 × clients + 100 file
//! descriptors (`ulimit -n`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

struct Args {
    clients: usize,
    messages: usize,
    interval_ms: u64,
    server_threads: usize,
    client_threads: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        clients: 1000,
        messages: 100,
        interval_ms: 10,
        server_threads: 2,
        client_threads: 2,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut v = || -> Result<u64, String> {
            it.next()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| format!("{flag} needs a number"))
        };
        match flag.as_str() {
            "--clients" => a.clients = v()? as usize,
            "--messages" => a.messages = v()? as usize,
            "--interval-ms" => a.interval_ms = v()?,
            "--server-threads" => a.server_threads = v()?.max(1) as usize,
            "--client-threads" => a.client_threads = v()?.max(1) as usize,
            "-h" | "--help" => {
                return Err("usage: ivschat-messaging-bench [--clients 1000] [--messages 100] [--interval-ms 10] [--server-threads 2] [--client-threads 2]".into());
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.clients == 0 || a.messages == 0 || a.messages > 100 {
        return Err(
            "need clients ≥ 1 and 1 ≤ messages ≤ 100 (the room's rate limit is 100/s)".into(),
        );
    }
    Ok(a)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    // The emulator runs on its own runtime, as the ivschat-local binary would.
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.server_threads)
        .enable_all()
        .build()
        .expect("server runtime");
    let emu = server_rt
        .block_on(
            ivschat_emulator::Emulator::builder()
                .port(0)
                .client_queue_capacity(4096)
                .start(),
        )
        .expect("emulator starts");
    let endpoint = emu.endpoint_url();
    let ws_url = emu.ws_url();

    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads)
        .enable_all()
        .build()
        .expect("client runtime");
    let ok = client_rt.block_on(run(&args, endpoint, ws_url));
    server_rt.block_on(emu.shutdown());
    if !ok {
        std::process::exit(1);
    }
}

async fn run(args: &Args, endpoint: String, ws_url: String) -> bool {
    let config = ivschat::Config::builder()
        .region("us-east-1")
        .endpoint_url(endpoint)
        .credentials(ivschat::Credentials::new("test", "test", None))
        .build()
        .expect("config");
    let client = ivschat::Client::new(&config);
    let room = client
        .create_room()
        .name("fanout")
        .maximum_message_rate_per_second(100)
        .send()
        .await
        .expect("CreateRoom");
    let arn = room.arn().expect("arn").to_string();

    // Tokens through the core (client 0 may send).
    let t0 = Instant::now();
    let mut tokens = Vec::with_capacity(args.clients);
    for i in 0..args.clients {
        let mut b = client
            .create_chat_token()
            .room_identifier(&arn)
            .user_id(format!("user{i}"));
        if i == 0 {
            b = b.capabilities("SEND_MESSAGE");
        }
        let out = b.send().await.expect("CreateChatToken");
        tokens.push(out.token().expect("token").to_string());
    }
    println!("created {} tokens in {:.2?}", args.clients, t0.elapsed());

    // Connect everyone (64 handshakes in flight at a time).
    let t0 = Instant::now();
    let mut sockets = Vec::with_capacity(args.clients);
    for chunk in tokens.chunks(64) {
        let mut set = tokio::task::JoinSet::new();
        for (j, t) in chunk.iter().enumerate() {
            let mut req = ws_url.as_str().into_client_request().expect("request");
            req.headers_mut()
                .insert("sec-websocket-protocol", t.parse().expect("header"));
            let idx = sockets.len() + j;
            set.spawn(async move {
                // tungstenite zero-fills its read buffer before each read: keep it small
                // (the default is 128 KiB, which would dominate the client side's CPU).
                let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
                    .read_buffer_size(4096);
                let (ws, _) = tokio_tungstenite::connect_async_with_config(req, Some(config), true)
                    .await
                    .unwrap_or_else(|e| panic!("client {idx} connects: {e}"));
                (idx, ws)
            });
        }
        let mut got: Vec<_> = set.join_all().await;
        got.sort_by_key(|(i, _)| *i);
        sockets.extend(got.into_iter().map(|(_, ws)| ws));
    }
    println!(
        "connected {} clients in {:.2?}",
        sockets.len(),
        t0.elapsed()
    );

    let n = args.messages;
    let send_times: Arc<std::sync::Mutex<Vec<Option<Instant>>>> =
        Arc::new(std::sync::Mutex::new(vec![None; n]));
    let mut sockets = sockets.into_iter();
    let sender_ws = sockets.next().expect("one client");
    let (mut sender_sink, sender_stream) = sender_ws.split();

    // Receivers: record (seq, receive instant) until all n arrived.
    let deadline = Duration::from_secs(30);
    let mut receivers = tokio::task::JoinSet::new();
    let spawn_receiver = |set: &mut tokio::task::JoinSet<(Vec<(usize, Instant)>, usize)>,
                          mut stream: Box<
        dyn futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
            + Send
            + Unpin,
    >| {
        set.spawn(async move {
            let mut got = Vec::with_capacity(n);
            let mut errors = 0usize;
            let _ = tokio::time::timeout(deadline, async {
                while got.len() < n {
                    let Some(Ok(m)) = stream.next().await else {
                        break;
                    };
                    let now = Instant::now();
                    if let Message::Text(t) = m {
                        // Cheap scan instead of a full JSON parse: the client side shares the
                        // machine's two cores with the server.
                        let t = t.as_str();
                        if t.contains("\"Type\":\"MESSAGE\"") {
                            if let Some(seq) = t
                                .split_once("\"Content\":\"seq ")
                                .and_then(|(_, rest)| rest.split_once('"'))
                                .and_then(|(n, _)| n.parse::<usize>().ok())
                            {
                                got.push((seq, now));
                            }
                        } else if t.contains("\"Type\":\"ERROR\"") {
                            errors += 1;
                        }
                    }
                }
            })
            .await;
            (got, errors)
        });
    };
    spawn_receiver(&mut receivers, Box::new(sender_stream));
    for ws in sockets {
        // Unsplit: receivers only read (pings are answered by tungstenite while reading).
        spawn_receiver(&mut receivers, Box::new(ws));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Send.
    let interval = Duration::from_millis(args.interval_ms);
    let start = Instant::now();
    for seq in 0..n {
        if !interval.is_zero() {
            let due = start + interval * seq as u32;
            tokio::time::sleep_until(due.into()).await;
        }
        let frame = serde_json::json!({
            "Action": "SEND_MESSAGE",
            "RequestId": format!("req-{seq}"),
            "Content": format!("seq {seq}"),
        })
        .to_string();
        if let Ok(mut st) = send_times.lock() {
            st[seq] = Some(Instant::now());
        }
        sender_sink
            .send(Message::Text(frame.into()))
            .await
            .expect("send");
    }
    let sent_done = start.elapsed();

    let mut latencies = Vec::with_capacity(args.clients * n);
    let mut delivered = 0usize;
    let mut errors = 0usize;
    let mut complete_clients = 0usize;
    let mut last = start;
    let send_times = send_times.lock().map(|g| g.clone()).unwrap_or_default();
    while let Some(r) = receivers.join_next().await {
        let (got, e) = r.expect("receiver");
        errors += e;
        let mut seen = vec![false; n];
        for (seq, at) in &got {
            if seq < &n && !seen[*seq] {
                seen[*seq] = true;
                delivered += 1;
                if let Some(Some(sent)) = send_times.get(*seq) {
                    latencies.push(at.saturating_duration_since(*sent));
                }
                last = last.max(*at);
            }
        }
        if seen.iter().all(|s| *s) {
            complete_clients += 1;
        }
    }
    latencies.sort();
    let expected = args.clients * n;
    let lost = expected - delivered;
    let span = last.saturating_duration_since(start);
    let rate = delivered as f64 / span.as_secs_f64().max(1e-9);
    println!(
        "clients={} messages={} interval={}ms sending took {:.2?}",
        args.clients, n, args.interval_ms, sent_done
    );
    println!(
        "delivered {delivered}/{expected} (lost {lost}, clients complete {complete_clients}/{}, ERROR frames {errors})",
        args.clients
    );
    println!(
        "latency p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        percentile(&latencies, 50.0).as_secs_f64() * 1e3,
        percentile(&latencies, 99.0).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
    println!(
        "throughput {:.0} messages delivered/s over {:.2?} (first send → last delivery)",
        rate, span
    );
    let _ = sender_sink.close().await;
    lost == 0 && errors == 0
}
