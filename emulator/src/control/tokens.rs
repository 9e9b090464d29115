//! CreateChatToken: an opaque token (base64url of 32 random bytes: RFC 7230 token characters
//! only) recorded with its room, user, capabilities, attributes and expiry. The token may be
//! used to connect until `tokenExpirationTime` = now + min(60, sessionDurationInMinutes)
//! minutes; a session opened with it lasts until `sessionExpirationTime` = now +
//! sessionDurationInMinutes (default 60).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::TimeDelta;
use serde_json::{Value, json};

use super::rooms::load_room;
use super::{State, check_attributes_size, fmt_time, get_int, get_list, get_map, get_str, now};
use crate::error::ApiError;
use crate::store::ChatTokenRecord;

/// 32 bytes from the operating system's CSPRNG (two v4 UUIDs: 244 random bits), so a chat
/// token cannot be predicted from the fast RNG's other outputs (message ids are public).
pub fn secret_bytes() -> [u8; 32] {
    let mut out = [0u8; 32];
    out[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    out[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    out
}

/// CreateChatToken.
pub fn create(state: &State, account: &str, input: &Value) -> Result<Value, ApiError> {
    let attributes = get_map(input, "attributes").unwrap_or_default();
    check_attributes_size(&attributes, "attributes")?;
    let room = load_room(state, account, input, "roomIdentifier")?;
    let minutes = get_int(input, "sessionDurationInMinutes").unwrap_or(60);
    let t = now();
    let bytes = secret_bytes();
    let mut caps = get_list(input, "capabilities").unwrap_or_default();
    caps.dedup();
    let record = ChatTokenRecord {
        token: URL_SAFE_NO_PAD.encode(bytes),
        account_id: account.to_string(),
        room_arn: room.arn,
        user_id: get_str(input, "userId").unwrap_or("").to_string(),
        capabilities: caps,
        attributes,
        session_duration_in_minutes: minutes,
        token_expiration_time: t + TimeDelta::minutes(minutes.min(60)),
        session_expiration_time: t + TimeDelta::minutes(minutes),
        used: false,
    };
    state.store.put_token(&record)?;
    Ok(json!({
        "token": record.token,
        "tokenExpirationTime": fmt_time(&record.token_expiration_time),
        "sessionExpirationTime": fmt_time(&record.session_expiration_time),
    }))
}
