//! Persistent state behind one trait: rooms, logging configurations and chat tokens, scoped
//! per account. [`memory::MemoryStore`] keeps everything in RAM; [`sqlite::SqliteStore`] writes
//! through to SQLite (WAL, synchronous=FULL) before acknowledging and serves reads from memory.

pub mod memory;
pub mod sqlite;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A store failure (surfaced as InternalServerException).
#[derive(Debug, Clone)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Store result.
pub type StoreResult<T> = Result<T, StoreError>;

/// A room's message review handler.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewHandler {
    /// Lambda ARN.
    pub uri: String,
    /// ALLOW or DENY.
    pub fallback_result: String,
}

/// A chat room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Room {
    /// 12 alphanumerics.
    pub id: String,
    /// Full ARN.
    pub arn: String,
    /// Name (may be empty).
    pub name: String,
    /// Creation time.
    pub create_time: DateTime<Utc>,
    /// Last update time.
    pub update_time: DateTime<Utc>,
    /// Messages per second.
    pub maximum_message_rate_per_second: i64,
    /// Code points per message.
    pub maximum_message_length: i64,
    /// Optional review handler.
    pub message_review_handler: Option<ReviewHandler>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Logging configuration ARNs.
    pub logging_configuration_identifiers: Vec<String>,
}

/// A logging configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggingConfiguration {
    /// 12 alphanumerics.
    pub id: String,
    /// Full ARN.
    pub arn: String,
    /// Name (may be empty).
    pub name: String,
    /// Creation time.
    pub create_time: DateTime<Utc>,
    /// Last update time.
    pub update_time: DateTime<Utc>,
    /// The destination union as JSON (`{"s3": {...}}` etc.).
    pub destination_configuration: serde_json::Value,
    /// Always ACTIVE in the emulator.
    pub state: String,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// An issued chat token (the token string itself is the key).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatTokenRecord {
    /// The opaque token (secret).
    pub token: String,
    /// Account of the room.
    pub account_id: String,
    /// Room ARN.
    pub room_arn: String,
    /// User id (sensitive).
    pub user_id: String,
    /// Capabilities.
    pub capabilities: Vec<String>,
    /// Attributes (sensitive).
    pub attributes: BTreeMap<String, String>,
    /// Session duration in minutes.
    pub session_duration_in_minutes: i64,
    /// Until when the token can be used to connect.
    pub token_expiration_time: DateTime<Utc>,
    /// Until when a session opened with it may last.
    pub session_expiration_time: DateTime<Utc>,
    /// Whether a connection has used it.
    pub used: bool,
}

impl std::fmt::Debug for ChatTokenRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatTokenRecord")
            .field("token", &"*** Sensitive Data Redacted ***")
            .field("account_id", &self.account_id)
            .field("room_arn", &self.room_arn)
            .field("user_id", &"*** Sensitive Data Redacted ***")
            .field("capabilities", &self.capabilities)
            .field("attributes", &"*** Sensitive Data Redacted ***")
            .field("token_expiration_time", &self.token_expiration_time)
            .field("session_expiration_time", &self.session_expiration_time)
            .field("used", &self.used)
            .finish()
    }
}

/// Storage for the control plane. Implementations must make every `put_*`/`delete_*` durable
/// (for the durable ones) before returning. Read-modify-write sequences are serialised by the
/// caller (see `control::State::write_lock`).
pub trait Store: Send + Sync + 'static {
    /// One room.
    fn get_room(&self, account: &str, id: &str) -> StoreResult<Option<Room>>;
    /// All rooms of an account.
    fn list_rooms(&self, account: &str) -> StoreResult<Vec<Room>>;
    /// Number of rooms of an account.
    fn count_rooms(&self, account: &str) -> StoreResult<usize>;
    /// Insert or replace a room.
    fn put_room(&self, account: &str, room: &Room) -> StoreResult<()>;
    /// Delete a room; false if absent.
    fn delete_room(&self, account: &str, id: &str) -> StoreResult<bool>;
    /// One logging configuration.
    fn get_logging(&self, account: &str, id: &str) -> StoreResult<Option<LoggingConfiguration>>;
    /// All logging configurations of an account.
    fn list_logging(&self, account: &str) -> StoreResult<Vec<LoggingConfiguration>>;
    /// Number of logging configurations of an account.
    fn count_logging(&self, account: &str) -> StoreResult<usize>;
    /// Insert or replace a logging configuration.
    fn put_logging(&self, account: &str, cfg: &LoggingConfiguration) -> StoreResult<()>;
    /// Delete a logging configuration; false if absent.
    fn delete_logging(&self, account: &str, id: &str) -> StoreResult<bool>;
    /// Record an issued chat token.
    fn put_token(&self, token: &ChatTokenRecord) -> StoreResult<()>;
    /// Look up a chat token.
    fn get_token(&self, token: &str) -> StoreResult<Option<ChatTokenRecord>>;
    /// Delete every chat token for which `dead` is true; returns how many were deleted.
    fn purge_tokens(&self, dead: &dyn Fn(&ChatTokenRecord) -> bool) -> StoreResult<usize>;
    /// Number of stored chat tokens.
    fn count_tokens(&self) -> StoreResult<usize>;
    /// Drop everything.
    fn reset(&self) -> StoreResult<()>;
}
