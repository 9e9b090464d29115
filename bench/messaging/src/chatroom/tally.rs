//! What a receiver process records per room (as `official-receivers.mjs` does for the official
//! client), the message content format, and the clock every process shares.

use serde::{Deserialize, Serialize};

/// CLOCK_MONOTONIC in microseconds: one clock for every process on the machine (Node's
/// `process.hrtime` reads the same one).
pub fn mono_us() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to write into; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1_000
}

/// A message's content: its sequence number and its send instant.
pub fn content(seq: usize, sent_us: u64) -> String {
    format!("{seq} {sent_us}")
}

fn parse(content: &str) -> Option<(usize, u64)> {
    let (seq, sent) = content.split_once(' ')?;
    Some((seq.parse().ok()?, sent.parse().ok()?))
}

/// Progress of the whole process, when a room's count crosses a phase boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// This room has every warm-up message.
    Warm,
    /// This room has every message.
    Done,
}

/// One room's record: which sequence numbers arrived, and the latencies of the measured ones.
#[derive(Debug)]
pub struct Tally {
    warmup: usize,
    seen: Vec<bool>,
    count: usize,
    duplicates: u64,
    foreign: u64,
    latencies_us: Vec<u32>,
    first_send_us: u64,
    last_receive_us: u64,
}

impl Tally {
    /// Messages `0..warmup` warm up; `warmup..total` are measured.
    pub fn new(warmup: usize, total: usize) -> Self {
        Tally {
            warmup,
            seen: vec![false; total],
            count: 0,
            duplicates: 0,
            foreign: 0,
            latencies_us: Vec::with_capacity(total - warmup),
            first_send_us: u64::MAX,
            last_receive_us: 0,
        }
    }

    /// Record one message received at `now_us`.
    pub fn record(&mut self, content: &str, now_us: u64) -> Option<Step> {
        let Some((seq, sent)) = parse(content).filter(|(seq, _)| *seq < self.seen.len()) else {
            self.foreign += 1;
            return None;
        };
        if std::mem::replace(&mut self.seen[seq], true) {
            self.duplicates += 1;
            return None;
        }
        self.count += 1;
        if seq >= self.warmup {
            let latency = now_us.saturating_sub(sent).min(u32::MAX as u64) as u32;
            self.latencies_us.push(latency);
            self.first_send_us = self.first_send_us.min(sent);
            self.last_receive_us = self.last_receive_us.max(now_us);
        }
        if self.count == self.seen.len() {
            Some(Step::Done)
        } else if self.count == self.warmup {
            Some(Step::Warm)
        } else {
            None
        }
    }
}

/// What a receiver process reports (the same JSON from the Rust and the Node process).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Summary {
    /// Rooms (receivers) in the process.
    pub rooms: usize,
    /// Distinct messages received, over all rooms.
    pub received: u64,
    /// Of them, measured ones (not warm-up).
    pub measured: u64,
    /// Messages a room should have had and did not get.
    pub lost: u64,
    /// Messages received twice by one room.
    pub duplicates: u64,
    /// Messages whose content is not the bench's.
    pub foreign: u64,
    /// Disconnects seen before the report.
    pub disconnects: u64,
    /// Events a slow consumer lost inside the client (ours: `RoomEvent::Dropped`).
    pub dropped: u64,
    /// Delivery latency percentiles of the measured messages.
    pub p50_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// Largest.
    pub max_us: u64,
    /// Earliest send instant of a measured message.
    pub first_send_us: u64,
    /// Latest receive instant of a measured message.
    pub last_receive_us: u64,
}

impl Summary {
    /// The summary of `tallies` (rooms of one process).
    pub fn of<'a>(tallies: impl IntoIterator<Item = &'a Tally>, total: usize) -> Summary {
        let mut s = Summary {
            first_send_us: u64::MAX,
            ..Summary::default()
        };
        let mut latencies = Vec::new();
        for t in tallies {
            s.rooms += 1;
            s.received += t.count as u64;
            s.duplicates += t.duplicates;
            s.foreign += t.foreign;
            latencies.extend_from_slice(&t.latencies_us);
            s.first_send_us = s.first_send_us.min(t.first_send_us);
            s.last_receive_us = s.last_receive_us.max(t.last_receive_us);
        }
        if s.first_send_us == u64::MAX {
            s.first_send_us = 0;
        }
        s.lost = (s.rooms * total) as u64 - s.received;
        s.measured = latencies.len() as u64;
        latencies.sort_unstable();
        let at = |p: f64| {
            let i = ((p / 100.0) * (latencies.len() as f64 - 1.0)).round() as usize;
            latencies
                .get(i.min(latencies.len().saturating_sub(1)))
                .map_or(0, |v| *v as u64)
        };
        s.p50_us = at(50.0);
        s.p99_us = at(99.0);
        s.max_us = latencies.last().map_or(0, |v| *v as u64);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_phases_duplicates_and_strangers() {
        let mut t = Tally::new(1, 3);
        assert_eq!(t.record(&content(0, 100), 150), Some(Step::Warm));
        assert_eq!(t.record(&content(0, 100), 150), None);
        assert_eq!(t.record("hello", 150), None);
        assert_eq!(t.record(&content(7, 100), 150), None);
        assert_eq!(t.record(&content(2, 1_000), 1_250), None);
        assert_eq!(t.record(&content(1, 900), 1_000), Some(Step::Done));
        let s = Summary::of([&t, &Tally::new(1, 3)], 3);
        assert_eq!((s.rooms, s.received, s.measured, s.lost), (2, 3, 2, 3));
        assert_eq!((s.duplicates, s.foreign), (1, 2));
        assert_eq!((s.p50_us, s.max_us), (250, 250));
        assert_eq!((s.first_send_us, s.last_receive_us), (900, 1_250));
    }
}
