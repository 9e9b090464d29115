//! Rooms fan-out.
//!
//! Each connected room has a [`RoomHub`]: the list of its connections (each a bounded queue
//! feeding that connection's writer task) and the room's rate window. A frame is serialised
//! once; every receiver gets a clone of the same `Utf8Bytes` (a reference-counted buffer).
//!
//! Slow consumers: `broadcast` never waits. When a connection's queue (default 1,024 frames)
//! is full, that connection is removed from the room and closed with 1008 "slow consumer"
//! (a close frame if it can be written within 1 s, otherwise the TCP connection is dropped),
//! so one stalled client can never hold up the room.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, mpsc};
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// What a connection's writer is asked to do.
#[derive(Debug)]
pub enum Out {
    /// Send this text frame.
    Frame(Utf8Bytes),
    /// Send a close frame with this code and reason, then stop.
    Close(u16, &'static str),
}

/// Out-of-band control of one connection.
#[derive(Debug, Default)]
pub struct Ctl {
    kill: Notify,
    killed: AtomicBool,
    reason: Mutex<Option<(u16, &'static str)>>,
    /// Notified when the writer has stopped.
    pub writer_done: Notify,
}

impl Ctl {
    /// Close now, skipping queued frames.
    pub fn kill(&self, code: u16, reason: &'static str) {
        if !self.killed.swap(true, Ordering::SeqCst) {
            *lock(&self.reason) = Some((code, reason));
            self.kill.notify_one();
        }
    }
    /// Wait for a kill.
    pub async fn killed(&self) -> (u16, &'static str) {
        self.kill.notified().await;
        lock(&self.reason).unwrap_or((1000, ""))
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Ask a connection to close in order (after its queued frames); kill it if its queue is full.
pub fn close(tx: &mpsc::Sender<Out>, ctl: &Ctl, code: u16, reason: &'static str) {
    if tx.try_send(Out::Close(code, reason)).is_err() {
        ctl.kill(code, reason);
    }
}

/// Queue a frame for one connection; kill it if its queue is full. False if it is gone.
pub fn send(tx: &mpsc::Sender<Out>, ctl: &Ctl, frame: Utf8Bytes) -> bool {
    match tx.try_send(Out::Frame(frame)) {
        Ok(()) => true,
        Err(mpsc::error::TrySendError::Full(_)) => {
            ctl.kill(1008, "slow consumer: send queue full");
            false
        }
        Err(mpsc::error::TrySendError::Closed(_)) => false,
    }
}

struct Conn {
    id: u64,
    user_id: Arc<str>,
    tx: mpsc::Sender<Out>,
    ctl: Arc<Ctl>,
}

/// The connections of one room.
pub struct RoomHub {
    /// Room ARN.
    pub arn: String,
    conns: Mutex<Vec<Conn>>,
    sent: Mutex<VecDeque<Instant>>,
}

impl RoomHub {
    /// Send a frame to every connection of the room.
    pub fn broadcast(&self, frame: &Utf8Bytes) {
        lock(&self.conns).retain(|c| send(&c.tx, &c.ctl, frame.clone()));
    }

    /// Close (in order, after queued frames) every connection of `user_id`.
    pub fn close_user(&self, user_id: &str, code: u16, reason: &'static str) {
        lock(&self.conns).retain(|c| {
            if &*c.user_id == user_id {
                close(&c.tx, &c.ctl, code, reason);
                false
            } else {
                true
            }
        });
    }

    /// Close every connection.
    pub fn close_all(&self, code: u16, reason: &'static str) {
        for c in lock(&self.conns).drain(..) {
            close(&c.tx, &c.ctl, code, reason);
        }
    }

    /// Drop one connection from the room (it no longer receives frames).
    pub fn remove(&self, id: u64) {
        lock(&self.conns).retain(|c| c.id != id);
    }

    /// Number of connections.
    pub fn len(&self) -> usize {
        lock(&self.conns).len()
    }

    /// Whether the room has no connection.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Per-room rate limit: admit one more message if fewer than `limit` were admitted in the
    /// last second (sliding window).
    pub fn admit(&self, limit: i64) -> bool {
        let now = Instant::now();
        let mut q = lock(&self.sent);
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            q.pop_front();
        }
        if q.len() as i64 >= limit.max(1) {
            false
        } else {
            q.push_back(now);
            true
        }
    }
}

/// All rooms that have connections.
#[derive(Default)]
pub struct Hub {
    rooms: Mutex<HashMap<String, Arc<RoomHub>>>,
}

impl Hub {
    /// Register a connection in a room.
    pub fn join(
        &self,
        arn: &str,
        id: u64,
        user_id: Arc<str>,
        tx: mpsc::Sender<Out>,
        ctl: Arc<Ctl>,
    ) -> Arc<RoomHub> {
        let mut rooms = lock(&self.rooms);
        let room = rooms
            .entry(arn.to_string())
            .or_insert_with(|| {
                Arc::new(RoomHub {
                    arn: arn.to_string(),
                    conns: Mutex::new(Vec::new()),
                    sent: Mutex::new(VecDeque::new()),
                })
            })
            .clone();
        lock(&room.conns).push(Conn {
            id,
            user_id,
            tx,
            ctl,
        });
        room
    }

    /// Unregister a connection; forget the room when it is empty.
    pub fn leave(&self, arn: &str, id: u64) {
        let mut rooms = lock(&self.rooms);
        if let Some(room) = rooms.get(arn) {
            room.remove(id);
            if room.is_empty() {
                rooms.remove(arn);
            }
        }
    }

    /// The room, if it has connections.
    pub fn get(&self, arn: &str) -> Option<Arc<RoomHub>> {
        lock(&self.rooms).get(arn).cloned()
    }

    /// Remove a room (DeleteRoom), returning it.
    pub fn take(&self, arn: &str) -> Option<Arc<RoomHub>> {
        lock(&self.rooms).remove(arn)
    }

    /// Every room.
    pub fn all(&self) -> Vec<Arc<RoomHub>> {
        lock(&self.rooms).values().cloned().collect()
    }

    /// Total connections.
    pub fn connections(&self) -> usize {
        lock(&self.rooms).values().map(|r| r.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_window_and_slow_consumer() {
        let hub = Hub::default();
        let (tx, mut rx) = mpsc::channel(2);
        let ctl = Arc::new(Ctl::default());
        let room = hub.join("arn", 1, "u".into(), tx, ctl.clone());
        assert!(room.admit(2) && room.admit(2) && !room.admit(2));
        for _ in 0..3 {
            room.broadcast(&Utf8Bytes::from_static("x"));
        }
        // The third frame found the queue full: the connection was dropped and killed.
        assert!(room.is_empty());
        assert!(ctl.killed.load(Ordering::SeqCst));
        assert!(matches!(rx.try_recv(), Ok(Out::Frame(_))));
        hub.leave("arn", 1);
        assert!(hub.get("arn").is_none());
    }
}
