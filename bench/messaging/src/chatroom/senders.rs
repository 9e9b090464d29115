//! The senders process: raw WebSocket clients (tokio-tungstenite) that take turns sending
//! `SEND_MESSAGE` at a paced rate, and read everything the room sends them (so the emulator never
//! sees them as slow consumers). A message refused with `ERROR 429` (the room's one-second window
//! was full, e.g. after the machine stalled the senders and they caught up) is sent again 250 ms
//! later with a new send instant; other `ERROR`s are counted as errors.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncBufReadExt;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::tally::{content, mono_us};
use super::wire::{Plan, emit};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const RETRY_AFTER: Duration = Duration::from_millis(250);
/// How long to wait for late refusals after the last send.
const QUIET: Duration = Duration::from_millis(500);

/// What the readers share with the pacing loop.
#[derive(Default)]
struct Shared {
    /// Request id → sequence number of the messages sent.
    sent: Mutex<HashMap<String, usize>>,
    /// ERROR frames other than a 429 for one of our requests, by code.
    errors: Mutex<BTreeMap<i64, u64>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Run the process.
pub fn main() -> Result<(), String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?
        .block_on(run())
}

async fn connect(url: &str, token: &str) -> Result<Ws, String> {
    let mut req = url.into_client_request().map_err(|e| e.to_string())?;
    let protocol = token.parse().map_err(|_| "a token is not a header value")?;
    req.headers_mut().insert("sec-websocket-protocol", protocol);
    // A small read buffer: tungstenite zero-fills it before each read.
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let (ws, _) = tokio_tungstenite::connect_async_with_config(req, Some(config), true)
        .await
        .map_err(|e| format!("a sender did not connect: {e}"))?;
    Ok(ws)
}

/// Read one sender's socket to its end; refusals go back to the pacing loop.
async fn drain(
    mut stream: SplitStream<Ws>,
    shared: Arc<Shared>,
    retry: mpsc::UnboundedSender<usize>,
) {
    while let Some(Ok(m)) = stream.next().await {
        let Message::Text(t) = m else { continue };
        if !t.as_str().contains("\"Type\":\"ERROR\"") {
            continue;
        }
        let v = serde_json::from_str::<serde_json::Value>(t.as_str()).unwrap_or_default();
        let code = v["ErrorCode"].as_i64().unwrap_or(0);
        let seq = v["RequestId"]
            .as_str()
            .and_then(|id| lock(&shared.sent).remove(id));
        match seq {
            Some(seq) if code == 429 => {
                let _ = retry.send(seq);
            }
            _ => *lock(&shared.errors).entry(code).or_default() += 1,
        }
    }
}

struct Senders {
    sinks: Vec<SplitSink<Ws, Message>>,
    shared: Arc<Shared>,
    refused: mpsc::UnboundedReceiver<usize>,
    rate: f64,
    late_max: Duration,
    retried: u64,
}

impl Senders {
    async fn send(&mut self, seq: usize) -> Result<(), String> {
        let request_id = uuid::Uuid::new_v4().to_string();
        let frame = serde_json::json!({
            "Action": "SEND_MESSAGE",
            "RequestId": request_id,
            "Content": content(seq, mono_us()),
        });
        lock(&self.shared.sent).insert(request_id, seq);
        let n = self.sinks.len();
        self.sinks[seq % n]
            .send(Message::text(frame.to_string()))
            .await
            .map_err(|e| format!("send failed: {e}"))
    }

    /// Send `from..to` on schedule, then whatever is refused, until all are accepted.
    async fn send_range(&mut self, from: usize, to: usize) -> Result<(), String> {
        let start = Instant::now();
        let mut next = from;
        let mut retries: VecDeque<(Instant, usize)> = VecDeque::new();
        loop {
            while let Ok(seq) = self.refused.try_recv() {
                retries.push_back((Instant::now() + RETRY_AFTER, seq));
            }
            let scheduled = (next < to)
                .then(|| start + Duration::from_secs_f64((next - from) as f64 / self.rate));
            let due = match (scheduled, retries.front()) {
                (Some(s), Some((r, _))) => s.min(*r),
                (Some(s), None) => s,
                (None, Some((r, _))) => *r,
                (None, None) => {
                    match tokio::time::timeout(QUIET, self.refused.recv()).await {
                        Ok(Some(seq)) => retries.push_back((Instant::now() + RETRY_AFTER, seq)),
                        _ => return Ok(()),
                    }
                    continue;
                }
            };
            tokio::select! {
                biased;
                Some(seq) = self.refused.recv() => {
                    retries.push_back((Instant::now() + RETRY_AFTER, seq));
                    continue;
                }
                () = tokio::time::sleep_until(due) => {}
            }
            match retries.front() {
                Some(&(at, seq)) if at <= Instant::now() => {
                    retries.pop_front();
                    self.retried += 1;
                    self.send(seq).await?;
                }
                _ => {
                    if let Some(s) = scheduled {
                        self.late_max = self.late_max.max(s.elapsed());
                    }
                    self.send(next).await?;
                    next += 1;
                }
            }
        }
    }
}

async fn run() -> Result<(), String> {
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let plan: Plan = match stdin.next_line().await.map_err(|e| e.to_string())? {
        Some(line) => serde_json::from_str(&line).map_err(|e| format!("bad plan: {e}"))?,
        None => return Ok(()),
    };
    if plan.tokens.is_empty() || plan.rate.is_nan() || plan.rate <= 0.0 {
        return Err("senders need tokens and a positive rate".into());
    }
    let shared = Arc::new(Shared::default());
    let (retry, refused) = mpsc::unbounded_channel();
    let mut sinks = Vec::with_capacity(plan.tokens.len());
    for token in &plan.tokens {
        let (sink, stream) = connect(&plan.url, token).await?.split();
        tokio::spawn(drain(stream, shared.clone(), retry.clone()));
        sinks.push(sink);
    }
    let mut senders = Senders {
        sinks,
        shared,
        refused,
        rate: plan.rate,
        late_max: Duration::ZERO,
        retried: 0,
    };
    emit(&serde_json::json!({"event": "ready"}));

    while let Some(line) = stdin.next_line().await.map_err(|e| e.to_string())? {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["send", from, to] => {
                let (from, to): (usize, usize) = match (from.parse(), to.parse()) {
                    (Ok(f), Ok(t)) if f <= t => (f, t),
                    _ => return Err(format!("bad command {line:?}")),
                };
                senders.send_range(from, to).await?;
                emit(&serde_json::json!({"event": "sent", "to": to}));
            }
            ["report"] => emit(&serde_json::json!({
                "event": "report",
                "errors": lock(&senders.shared.errors).clone(),
                "retried": senders.retried,
                "late_max_us": senders.late_max.as_micros() as u64,
            })),
            ["quit"] => break,
            _ => return Err(format!("unknown command {line:?}")),
        }
    }
    for mut sink in senders.sinks {
        let _ = sink.close().await;
    }
    Ok(())
}
