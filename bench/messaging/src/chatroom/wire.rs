//! The orchestrator ↔ child protocol: the first stdin line is a [`Plan`] (JSON); then commands
//! one a line; children answer one JSON object a line on stdout.

use std::io::Write;

use serde::{Deserialize, Serialize};

/// What a child is given first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    /// The messaging WebSocket URL.
    pub url: String,
    /// One chat token per connection (secrets: never printed).
    pub tokens: Vec<String>,
    /// Messages `0..warmup` warm up (not measured).
    pub warmup: usize,
    /// Messages `0..total` are sent in all.
    pub total: usize,
    /// Senders only: messages per second, all senders together.
    #[serde(default)]
    pub rate: f64,
}

/// Write one line of JSON to stdout, flushed.
pub fn emit(v: &serde_json::Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{v}");
    let _ = out.flush();
}
