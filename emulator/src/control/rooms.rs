//! CreateRoom, GetRoom, UpdateRoom, DeleteRoom, ListRooms.

use serde_json::{Map, Value, json};

use super::{
    State, check_tag_keys, fmt_time, get_int, get_list, get_map, get_str, new_id, pagination,
    parse_arn, resolve, resource_id_of, tags_json, write_time,
};
use crate::error::ApiError;
use crate::hooks::RoomEvent;
use crate::store::{ReviewHandler, Room};

fn handler_json(h: &Option<ReviewHandler>) -> Option<Value> {
    h.as_ref()
        .map(|h| json!({"uri": h.uri, "fallbackResult": h.fallback_result}))
}

/// Full room output (Create/Get/Update).
pub fn room_json(r: &Room) -> Value {
    let mut m = Map::new();
    m.insert("arn".into(), json!(r.arn));
    m.insert("id".into(), json!(r.id));
    m.insert("name".into(), json!(r.name));
    m.insert("createTime".into(), json!(fmt_time(&r.create_time)));
    m.insert("updateTime".into(), json!(fmt_time(&r.update_time)));
    m.insert(
        "maximumMessageRatePerSecond".into(),
        json!(r.maximum_message_rate_per_second),
    );
    m.insert(
        "maximumMessageLength".into(),
        json!(r.maximum_message_length),
    );
    if let Some(h) = handler_json(&r.message_review_handler) {
        m.insert("messageReviewHandler".into(), h);
    }
    m.insert("tags".into(), tags_json(&r.tags));
    m.insert(
        "loggingConfigurationIdentifiers".into(),
        json!(r.logging_configuration_identifiers),
    );
    Value::Object(m)
}

fn summary_json(r: &Room) -> Value {
    let mut m = Map::new();
    m.insert("arn".into(), json!(r.arn));
    m.insert("id".into(), json!(r.id));
    m.insert("name".into(), json!(r.name));
    if let Some(h) = handler_json(&r.message_review_handler) {
        m.insert("messageReviewHandler".into(), h);
    }
    m.insert("createTime".into(), json!(fmt_time(&r.create_time)));
    m.insert("updateTime".into(), json!(fmt_time(&r.update_time)));
    m.insert("tags".into(), tags_json(&r.tags));
    m.insert(
        "loggingConfigurationIdentifiers".into(),
        json!(r.logging_configuration_identifiers),
    );
    Value::Object(m)
}

/// A handler from input: a non-empty `uri` sets one (fallbackResult defaults to ALLOW);
/// an absent or empty `uri` means no handler.
fn handler_from(v: &Value) -> Option<ReviewHandler> {
    let uri = v.get("uri").and_then(Value::as_str).unwrap_or("");
    if uri.is_empty() {
        return None;
    }
    Some(ReviewHandler {
        uri: uri.to_string(),
        fallback_result: v
            .get("fallbackResult")
            .and_then(Value::as_str)
            .unwrap_or("ALLOW")
            .to_string(),
    })
}

/// Check each logging configuration identifier exists; returns them normalised.
fn check_logging_ids(
    state: &State,
    account: &str,
    ids: Vec<String>,
) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::with_capacity(ids.len());
    for ident in ids {
        let id = resolve(state, account, &ident, "logging-configuration")?;
        match state.store.get_logging(account, id)? {
            Some(cfg) => {
                if !out.contains(&cfg.arn) {
                    out.push(cfg.arn)
                }
            }
            None => {
                return Err(ApiError::not_found(
                    id,
                    format!("Logging configuration not found: {ident}"),
                ));
            }
        }
    }
    Ok(out)
}

fn load(state: &State, account: &str, identifier: &str) -> Result<Room, ApiError> {
    let id = resolve(state, account, identifier, "room")?;
    state
        .store
        .get_room(account, id)?
        .ok_or_else(|| ApiError::not_found(id, format!("Room not found: {identifier}")))
}

/// The room named by `field` of `input`, or 404.
pub fn load_room(
    state: &State,
    account: &str,
    input: &Value,
    field: &str,
) -> Result<Room, ApiError> {
    load(state, account, get_str(input, field).unwrap_or(""))
}

/// CreateRoom.
pub fn create(state: &State, account: &str, input: &Value) -> Result<Value, ApiError> {
    let tags = get_map(input, "tags").unwrap_or_default();
    check_tag_keys(tags.keys(), "tags")?;
    let _g = state.lock();
    let count = state.store.count_rooms(account)? as u64;
    if count >= state.quotas.max_rooms {
        return Err(ApiError::quota(
            account,
            state.quotas.max_rooms,
            format!(
                "Limit of {} rooms per account exceeded",
                state.quotas.max_rooms
            ),
        ));
    }
    let logging = check_logging_ids(
        state,
        account,
        get_list(input, "loggingConfigurationIdentifiers").unwrap_or_default(),
    )?;
    let id = new_id();
    let t = write_time();
    let room = Room {
        arn: format!("arn:aws:ivschat:{}:{account}:room/{id}", state.region),
        id,
        name: get_str(input, "name").unwrap_or("").to_string(),
        create_time: t,
        update_time: t,
        maximum_message_rate_per_second: get_int(input, "maximumMessageRatePerSecond")
            .unwrap_or(10),
        maximum_message_length: get_int(input, "maximumMessageLength").unwrap_or(500),
        message_review_handler: input.get("messageReviewHandler").and_then(handler_from),
        tags,
        logging_configuration_identifiers: logging,
    };
    state.store.put_room(account, &room)?;
    Ok(room_json(&room))
}

/// GetRoom.
pub fn get(state: &State, account: &str, input: &Value) -> Result<Value, ApiError> {
    Ok(room_json(&load_room(state, account, input, "identifier")?))
}

/// UpdateRoom.
pub fn update(state: &State, account: &str, input: &Value) -> Result<Value, ApiError> {
    let _g = state.lock();
    let mut room = load_room(state, account, input, "identifier")?;
    if let Some(n) = get_str(input, "name") {
        room.name = n.to_string();
    }
    if let Some(n) = get_int(input, "maximumMessageRatePerSecond") {
        room.maximum_message_rate_per_second = n;
    }
    if let Some(n) = get_int(input, "maximumMessageLength") {
        room.maximum_message_length = n;
    }
    if let Some(h) = input.get("messageReviewHandler").filter(|v| !v.is_null()) {
        room.message_review_handler = handler_from(h);
    }
    if let Some(ids) = get_list(input, "loggingConfigurationIdentifiers") {
        room.logging_configuration_identifiers = check_logging_ids(state, account, ids)?;
    }
    room.update_time = write_time().max(room.update_time);
    state.store.put_room(account, &room)?;
    state.events.publish(
        account,
        &room.arn,
        RoomEvent::RoomUpdated {
            room: Box::new(room.clone()),
        },
    );
    Ok(room_json(&room))
}

/// DeleteRoom.
pub fn delete(state: &State, account: &str, input: &Value) -> Result<(), ApiError> {
    let _g = state.lock();
    let room = load_room(state, account, input, "identifier")?;
    state.store.delete_room(account, &room.id)?;
    state
        .events
        .publish(account, &room.arn, RoomEvent::RoomDeleted);
    Ok(())
}

/// ListRooms: filters name / messageReviewHandlerUri / loggingConfigurationIdentifier, sorted
/// by updateTime descending.
pub fn list(state: &State, account: &str, input: &Value) -> Result<Value, ApiError> {
    let name = get_str(input, "name");
    let uri = get_str(input, "messageReviewHandlerUri");
    let log_ident = get_str(input, "loggingConfigurationIdentifier");
    let log_id = match log_ident {
        Some(ident) => match parse_arn(ident) {
            Some(a) if a.kind == "logging-configuration" => Some(a.id.to_string()),
            _ => Some(resource_id_of(ident)),
        },
        None => None,
    };
    let fingerprint = format!(
        "rooms|{}|{}|{}",
        name.unwrap_or("\u{0}"),
        uri.unwrap_or("\u{0}"),
        log_ident.unwrap_or("\u{0}")
    );
    let max = get_int(input, "maxResults").unwrap_or(50).clamp(1, 50) as usize;
    let offset = pagination::decode(state, get_str(input, "nextToken"), &fingerprint)?;
    let mut rooms: Vec<_> = state
        .store
        .list_rooms(account)?
        .into_iter()
        .filter(|r| name.is_none_or(|n| r.name == n))
        .filter(|r| match uri {
            None => true,
            Some("") => r.message_review_handler.is_none(),
            Some(u) => r
                .message_review_handler
                .as_ref()
                .is_some_and(|h| h.uri == u),
        })
        .filter(|r| {
            log_id.as_ref().is_none_or(|id| {
                r.logging_configuration_identifiers
                    .iter()
                    .any(|a| parse_arn(a).is_some_and(|p| p.id == id))
            })
        })
        .collect();
    rooms.sort_by(|a, b| {
        b.update_time
            .cmp(&a.update_time)
            .then_with(|| a.id.cmp(&b.id))
    });
    let (page, next) = pagination::page(state, &rooms, offset, max, &fingerprint);
    let mut out = Map::new();
    out.insert(
        "rooms".into(),
        Value::Array(page.iter().map(summary_json).collect()),
    );
    if let Some(n) = next {
        out.insert("nextToken".into(), json!(n));
    }
    Ok(Value::Object(out))
}
