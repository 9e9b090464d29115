//! Opaque nextTokens: `base64url(json {"o": offset, "f": filter fingerprint}) . hmac`.
//! A tampered token, or one reused with different filters, is a ValidationException.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::State;
use crate::error::ApiError;

fn mac(key: &[u8; 32], payload: &str) -> String {
    let Ok(mut m) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    m.update(payload.as_bytes());
    URL_SAFE_NO_PAD.encode(&m.finalize().into_bytes()[..16])
}

/// Make a token resuming at `offset` for the given filter fingerprint.
pub fn encode(state: &State, offset: usize, fingerprint: &str) -> String {
    let payload = URL_SAFE_NO_PAD.encode(json!({"o": offset, "f": fingerprint}).to_string());
    let sig = mac(&state.page_key, &payload);
    format!("{payload}.{sig}")
}

fn invalid() -> ApiError {
    ApiError::validation(
        "FIELD_VALIDATION_FAILED",
        "1 validation error detected: Value at 'nextToken' failed to satisfy constraint: invalid or expired pagination token",
        &[crate::error::FieldError {
            name: "nextToken".into(),
            message: "Invalid pagination token".into(),
        }],
    )
}

/// The offset a token resumes at; empty/absent token = 0.
pub fn decode(state: &State, token: Option<&str>, fingerprint: &str) -> Result<usize, ApiError> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Ok(0);
    };
    let (payload, sig) = token.split_once('.').ok_or_else(invalid)?;
    if mac(&state.page_key, payload) != sig {
        return Err(invalid());
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload).map_err(|_| invalid())?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if v.get("f").and_then(Value::as_str) != Some(fingerprint) {
        return Err(invalid());
    }
    v.get("o")
        .and_then(Value::as_u64)
        .map(|o| o as usize)
        .ok_or_else(invalid)
}

/// Slice one page; returns the items and the next token, if any.
pub fn page<T: Clone>(
    state: &State,
    items: &[T],
    offset: usize,
    max: usize,
    fingerprint: &str,
) -> (Vec<T>, Option<String>) {
    let start = offset.min(items.len());
    let end = start.saturating_add(max).min(items.len());
    let next = (end < items.len()).then(|| encode(state, end, fingerprint));
    (items[start..end].to_vec(), next)
}
