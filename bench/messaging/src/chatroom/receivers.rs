//! The receivers process for our client: one `ivschat::messaging::ChatRoom` per token, default
//! settings, each with one task reading its events (what an application does). Same stdin/stdout
//! protocol as `official-receivers.mjs`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ivschat::messaging::{ChatRoom, ChatToken, EventStream, RoomEvent};
use tokio::io::AsyncBufReadExt;
use tokio::sync::mpsc;

use super::tally::{Step, Summary, Tally, mono_us};
use super::wire::{Plan, emit};

struct Room {
    tally: Mutex<Tally>,
    disconnects: AtomicUsize,
    dropped: AtomicUsize,
}

/// Run the process: `threads` workers (`Some(0)`: a current-thread runtime; `None`: tokio's
/// default, one per core).
pub fn main(threads: Option<usize>) -> Result<(), String> {
    let mut rt = match threads {
        Some(0) => tokio::runtime::Builder::new_current_thread(),
        Some(n) => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(n);
            b
        }
        None => tokio::runtime::Builder::new_multi_thread(),
    };
    let rt = rt.enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(run())
}

async fn run() -> Result<(), String> {
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let plan: Plan = match stdin.next_line().await.map_err(|e| e.to_string())? {
        Some(line) => serde_json::from_str(&line).map_err(|e| format!("bad plan: {e}"))?,
        None => return Ok(()),
    };
    let (steps, mut step_rx) = mpsc::unbounded_channel();
    let mut rooms = Vec::with_capacity(plan.tokens.len());
    let mut handles = Vec::with_capacity(plan.tokens.len());
    for chunk in plan.tokens.chunks(64) {
        let mut set = tokio::task::JoinSet::new();
        for token in chunk {
            let room = ChatRoom::builder(plan.url.as_str())
                .token_provider(ChatToken::new(token.as_str()))
                .build()
                .map_err(|e| e.to_string())?;
            let record = Arc::new(Room {
                tally: Mutex::new(Tally::new(plan.warmup, plan.total)),
                disconnects: AtomicUsize::new(0),
                dropped: AtomicUsize::new(0),
            });
            tokio::spawn(consume(room.events(), record.clone(), steps.clone()));
            rooms.push(record);
            set.spawn(async move { room.connect().await.map(|()| room) });
        }
        for r in set.join_all().await {
            handles.push(r.map_err(|e| format!("a room did not connect: {e}"))?);
        }
    }
    emit(&serde_json::json!({"event": "ready"}));

    let n = rooms.len();
    let (mut warm, mut done) = (0, 0);
    loop {
        tokio::select! {
            step = step_rx.recv() => match step {
                Some(Step::Warm) => {
                    warm += 1;
                    if warm == n {
                        emit(&serde_json::json!({"event": "warm"}));
                    }
                }
                Some(Step::Done) => {
                    done += 1;
                    if done == n {
                        emit(&serde_json::json!({"event": "done"}));
                    }
                }
                None => {}
            },
            line = stdin.next_line() => match line.map_err(|e| e.to_string())?.as_deref() {
                Some("report") => {
                    let tallies: Vec<_> = rooms
                        .iter()
                        .map(|r| r.tally.lock().unwrap_or_else(|p| p.into_inner()))
                        .collect();
                    let mut s = Summary::of(tallies.iter().map(|t| &**t), plan.total);
                    drop(tallies);
                    s.disconnects = rooms.iter().map(|r| r.disconnects.load(Ordering::Relaxed) as u64).sum();
                    s.dropped = rooms.iter().map(|r| r.dropped.load(Ordering::Relaxed) as u64).sum();
                    let mut v = serde_json::to_value(&s).map_err(|e| e.to_string())?;
                    v["event"] = "report".into();
                    emit(&v);
                }
                Some("quit") | None => break,
                Some(_) => {}
            },
        }
    }
    for room in &handles {
        room.disconnect().await;
    }
    Ok(())
}

/// The application side of one room: count messages, record latencies.
async fn consume(mut events: EventStream, record: Arc<Room>, steps: mpsc::UnboundedSender<Step>) {
    while let Some(event) = events.recv().await {
        match event {
            RoomEvent::Message(m) => {
                let now = mono_us();
                let step = record
                    .tally
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .record(&m.content, now);
                if let Some(step) = step {
                    let _ = steps.send(step);
                }
            }
            RoomEvent::Disconnected { .. } => {
                record.disconnects.fetch_add(1, Ordering::Relaxed);
            }
            RoomEvent::Dropped { count } => {
                record.dropped.fetch_add(count as usize, Ordering::Relaxed);
            }
            _ => {}
        }
    }
}
