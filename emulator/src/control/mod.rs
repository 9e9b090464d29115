//! The control plane: one handler module per resource. [`dispatch`] takes a validated input
//! (see `request::parse_and_validate`) and the caller's account, and returns the output body
//! (`None` for the 204 operations).

pub mod events;
pub mod logging;
pub mod pagination;
pub mod rooms;
pub mod tags;
pub mod tokens;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use crate::error::ApiError;
use crate::hooks::EventBus;
use crate::store::{Store, StoreError};

/// Default rooms per account.
pub const DEFAULT_MAX_ROOMS: u64 = 50_000;
/// Default logging configurations per account.
pub const DEFAULT_MAX_LOGGING_CONFIGURATIONS: u64 = 10_000;

/// Per-account quotas.
#[derive(Debug, Clone, Copy)]
pub struct Quotas {
    /// Rooms per account.
    pub max_rooms: u64,
    /// Logging configurations per account.
    pub max_logging_configurations: u64,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            max_rooms: DEFAULT_MAX_ROOMS,
            max_logging_configurations: DEFAULT_MAX_LOGGING_CONFIGURATIONS,
        }
    }
}

/// Control-plane state.
pub struct State {
    /// Service region (used in ARNs).
    pub region: String,
    /// The store.
    pub store: Box<dyn Store>,
    /// Serialises read-modify-write sequences.
    pub write_lock: Mutex<()>,
    /// Quotas.
    pub quotas: Quotas,
    /// Room event hook.
    pub events: EventBus,
    /// Key that authenticates nextTokens.
    pub page_key: [u8; 32],
}

impl State {
    /// New state over a store.
    pub fn new(region: &str, store: Box<dyn Store>, quotas: Quotas) -> Self {
        let page_key = tokens::secret_bytes();
        State {
            region: region.to_string(),
            store,
            write_lock: Mutex::new(()),
            quotas,
            events: EventBus::default(),
            page_key,
        }
    }

    /// Take the write lock (poisoning is ignored: the store has its own consistency).
    pub fn lock(&self) -> MutexGuard<'_, ()> {
        self.write_lock.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::internal(format!("Internal storage error: {e}"))
    }
}

/// Run one validated operation for `account`.
pub fn dispatch(
    state: &State,
    account: &str,
    operation: &str,
    input: &Value,
) -> Result<Option<Value>, ApiError> {
    match operation {
        "CreateRoom" => rooms::create(state, account, input).map(Some),
        "GetRoom" => rooms::get(state, account, input).map(Some),
        "UpdateRoom" => rooms::update(state, account, input).map(Some),
        "DeleteRoom" => rooms::delete(state, account, input).map(|_| None),
        "ListRooms" => rooms::list(state, account, input).map(Some),
        "CreateLoggingConfiguration" => logging::create(state, account, input).map(Some),
        "GetLoggingConfiguration" => logging::get(state, account, input).map(Some),
        "UpdateLoggingConfiguration" => logging::update(state, account, input).map(Some),
        "DeleteLoggingConfiguration" => logging::delete(state, account, input).map(|_| None),
        "ListLoggingConfigurations" => logging::list(state, account, input).map(Some),
        "CreateChatToken" => tokens::create(state, account, input).map(Some),
        "SendEvent" => events::send_event(state, account, input).map(Some),
        "DeleteMessage" => events::delete_message(state, account, input).map(Some),
        "DisconnectUser" => events::disconnect_user(state, account, input).map(Some),
        "TagResource" => tags::tag(state, account, input).map(Some),
        "UntagResource" => tags::untag(state, account, input).map(Some),
        "ListTagsForResource" => tags::list(state, account, input).map(Some),
        other => Err(ApiError::validation(
            "UNKNOWN_OPERATION",
            format!("Unknown operation {other}"),
            &[],
        )),
    }
}

/// Now, truncated to milliseconds (what the wire carries).
pub fn now() -> DateTime<Utc> {
    let n = Utc::now();
    DateTime::from_timestamp_millis(n.timestamp_millis()).unwrap_or(n)
}

/// The time of a write to a room or logging configuration: the wall clock at full precision,
/// nudged so that every write is strictly later than the one before. Lists sort by it, so writes
/// within one millisecond keep their order; the wire shows milliseconds (see [`fmt_time`]).
pub fn write_time() -> DateTime<Utc> {
    static LAST_NANOS: AtomicI64 = AtomicI64::new(i64::MIN);
    let wall = Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX - 1);
    let prev = LAST_NANOS
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
            Some(wall.max(last.saturating_add(1)))
        })
        .unwrap_or(wall);
    DateTime::from_timestamp_nanos(wall.max(prev.saturating_add(1)))
}

/// ISO-8601 with milliseconds and `Z`.
pub fn fmt_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// 12 random alphanumerics.
pub fn new_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..12)
        .map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char)
        .collect()
}

/// String member.
pub fn get_str<'a>(input: &'a Value, name: &str) -> Option<&'a str> {
    input.get(name).and_then(Value::as_str)
}

/// Integer member.
pub fn get_int(input: &Value, name: &str) -> Option<i64> {
    input.get(name).and_then(Value::as_i64)
}

/// String map member.
pub fn get_map(input: &Value, name: &str) -> Option<BTreeMap<String, String>> {
    input.get(name).and_then(Value::as_object).map(|m| {
        m.iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
            .collect()
    })
}

/// String list member.
pub fn get_list(input: &Value, name: &str) -> Option<Vec<String>> {
    input.get(name).and_then(Value::as_array).map(|a| {
        a.iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    })
}

/// A parsed ivschat ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn<'a> {
    /// Region.
    pub region: &'a str,
    /// Account.
    pub account: &'a str,
    /// `room` or `logging-configuration`.
    pub kind: &'a str,
    /// Resource id.
    pub id: &'a str,
}

/// Parse `arn:aws:ivschat:REGION:ACCOUNT:KIND/ID` exactly.
pub fn parse_arn(s: &str) -> Option<Arn<'_>> {
    let rest = s.strip_prefix("arn:aws:ivschat:")?;
    let mut it = rest.splitn(3, ':');
    let region = it.next()?;
    let account = it.next()?;
    let (kind, id) = it.next()?.split_once('/')?;
    if region.is_empty()
        || account.is_empty()
        || id.is_empty()
        || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return None;
    }
    Some(Arn {
        region,
        account,
        kind,
        id,
    })
}

/// A `resourceId` for an identifier that does not resolve (must match `[a-zA-Z0-9]+`).
pub fn resource_id_of(identifier: &str) -> String {
    let tail = identifier.rsplit('/').next().unwrap_or(identifier);
    let id: String = tail
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(128)
        .collect();
    if id.is_empty() {
        "unknown".to_string()
    } else {
        id
    }
}

/// Resolve an identifier of `kind` owned by `account` in this region to its id, or 404.
pub fn resolve<'a>(
    state: &State,
    account: &str,
    identifier: &'a str,
    kind: &str,
) -> Result<&'a str, ApiError> {
    let what = if kind == "room" {
        "Room"
    } else {
        "Logging configuration"
    };
    match parse_arn(identifier) {
        Some(arn) if arn.kind == kind && arn.account == account && arn.region == state.region => {
            Ok(arn.id)
        }
        _ => Err(ApiError::not_found(
            &resource_id_of(identifier),
            format!(
                "{what} not found: {}",
                identifier.chars().take(200).collect::<String>()
            ),
        )),
    }
}

/// Tag keys starting with `aws:` are reserved.
pub fn check_tag_keys<'a>(
    keys: impl IntoIterator<Item = &'a String>,
    field: &str,
) -> Result<(), ApiError> {
    for k in keys {
        if k.to_ascii_lowercase().starts_with("aws:") {
            return Err(ApiError::field(
                field,
                "Tag keys starting with 'aws:' are reserved for system use",
            ));
        }
    }
    Ok(())
}

/// The documented ≤ 1 KB total size of an attributes map.
pub fn check_attributes_size(
    attrs: &BTreeMap<String, String>,
    field: &str,
) -> Result<(), ApiError> {
    let total: usize = attrs.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > 1024 {
        return Err(ApiError::field(
            field,
            "Member must have a total size (keys and values) of at most 1 KB",
        ));
    }
    Ok(())
}

/// Tags as JSON.
pub fn tags_json(tags: &BTreeMap<String, String>) -> Value {
    Value::Object(
        tags.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_times_are_strictly_increasing_even_within_one_clock_tick() {
        let times: Vec<_> = (0..10_000).map(|_| write_time()).collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]));
        let drift = *times.last().expect("times") - Utc::now();
        assert!(drift <= chrono::Duration::milliseconds(1), "{drift}");
    }
}
