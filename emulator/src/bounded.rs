//! Bounded in-memory records (the admin request log and the conformance-script recording).
//!
//! Entries are kept as their serialised JSON text, so what is counted is what is held: a
//! [`JsonRing`] never holds more than `max_bytes` (text plus a fixed per-entry overhead) nor
//! more than `max_entries` entries; the oldest entries go first. Clearing it gives the memory
//! back (the buffers are dropped, not just emptied).

use std::collections::VecDeque;

/// Bytes counted per entry on top of its text (the boxed string and its queue slot).
pub const ENTRY_OVERHEAD: usize = 48;

/// A bounded queue of serialised JSON values.
#[derive(Debug)]
pub struct JsonRing {
    entries: VecDeque<Box<str>>,
    bytes: usize,
    max_bytes: usize,
    max_entries: usize,
    dropped: u64,
}

impl JsonRing {
    /// An empty ring holding at most `max_bytes` and `max_entries`.
    pub fn new(max_bytes: usize, max_entries: usize) -> Self {
        JsonRing {
            entries: VecDeque::new(),
            bytes: 0,
            max_bytes,
            max_entries: max_entries.max(1),
            dropped: 0,
        }
    }

    /// What one entry of this text costs.
    pub fn cost(text: &str) -> usize {
        text.len() + ENTRY_OVERHEAD
    }

    /// Append an entry, dropping the oldest ones to make room. An entry larger than the whole
    /// budget is not kept (it counts as dropped).
    pub fn push(&mut self, text: String) {
        let cost = Self::cost(&text);
        if cost > self.max_bytes {
            self.dropped += 1;
            return;
        }
        while self.bytes + cost > self.max_bytes || self.entries.len() >= self.max_entries {
            match self.entries.pop_front() {
                Some(old) => {
                    self.bytes -= Self::cost(&old);
                    self.dropped += 1;
                }
                None => break,
            }
        }
        self.bytes += cost;
        self.entries.push_back(text.into_boxed_str());
    }

    /// Forget everything and give the memory back.
    pub fn clear(&mut self) {
        *self = JsonRing::new(self.max_bytes, self.max_entries);
    }

    /// Bytes held (text plus overhead).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The byte budget.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// Entries dropped (oldest first, or too large) since the last clear.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Allocated entry slots (for tests: 0 after [`clear`](Self::clear)).
    pub fn capacity(&self) -> usize {
        self.entries.capacity()
    }

    /// The entries as a JSON array text, oldest first.
    pub fn to_json_array(&self) -> String {
        let mut out = String::with_capacity(self.bytes + 2);
        out.push('[');
        for (i, e) in self.entries.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(e);
        }
        out.push(']');
        out
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub fn prefix(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `s` cut to at most `max` bytes, with `…` appended when something was cut.
pub fn shortened(s: &str, max: usize) -> String {
    if s.len() <= max {
        s.to_string()
    } else {
        format!("{}…", prefix(s, max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_newest_within_bytes_and_entries() {
        let mut r = JsonRing::new(10 * (ENTRY_OVERHEAD + 4), 1000);
        for i in 1000..1100 {
            r.push(i.to_string());
        }
        assert_eq!(r.len(), 10);
        assert!(r.bytes() <= r.max_bytes());
        assert_eq!(r.dropped(), 90);
        let all: Vec<u32> = serde_json::from_str(&r.to_json_array()).expect("json");
        assert_eq!(all, (1090..1100).collect::<Vec<_>>());

        let mut r = JsonRing::new(1 << 20, 3);
        for i in 0..5 {
            r.push(i.to_string());
        }
        assert_eq!(r.to_json_array(), "[2,3,4]");

        // too large alone: not kept
        let mut r = JsonRing::new(100, 10);
        r.push("x".repeat(200));
        assert_eq!((r.len(), r.dropped(), r.bytes()), (0, 1, 0));
    }

    #[test]
    fn clear_gives_memory_back() {
        let mut r = JsonRing::new(1 << 20, 10_000);
        for i in 0..5000 {
            r.push(i.to_string());
        }
        assert!(r.capacity() >= 5000);
        r.clear();
        assert_eq!(
            (r.len(), r.bytes(), r.capacity(), r.dropped()),
            (0, 0, 0, 0)
        );
        assert_eq!(r.to_json_array(), "[]");
    }

    #[test]
    fn prefixes_respect_char_boundaries() {
        assert_eq!(prefix("héllo", 2), "h");
        assert_eq!(prefix("héllo", 3), "hé");
        assert_eq!(shortened("abcdef", 3), "abc…");
        assert_eq!(shortened("abc", 3), "abc");
    }
}
