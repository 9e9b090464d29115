//! SendEvent, DeleteMessage, DisconnectUser: check the room, publish to the room event hook.

use serde_json::{Value, json};

use super::rooms::load_room;
use super::{State, check_attributes_size, get_map, get_str, new_id};
use crate::error::ApiError;
use crate::hooks::RoomEvent;

/// SendEvent → `{"id"}`.
pub fn send_event(state: &State, account: &str, input: &Value) -> Result<Value, ApiError> {
    let attributes = get_map(input, "attributes").unwrap_or_default();
    check_attributes_size(&attributes, "attributes")?;
    let room = load_room(state, account, input, "roomIdentifier")?;
    let id = new_id();
    state.events.publish(
        account,
        &room.arn,
        RoomEvent::Event {
            id: id.clone(),
            event_name: get_str(input, "eventName").unwrap_or("").to_string(),
            attributes,
        },
    );
    Ok(json!({ "id": id }))
}

/// DeleteMessage → `{"id"}` (the id of the deletion event).
pub fn delete_message(state: &State, account: &str, input: &Value) -> Result<Value, ApiError> {
    let room = load_room(state, account, input, "roomIdentifier")?;
    let id = new_id();
    state.events.publish(
        account,
        &room.arn,
        RoomEvent::DeleteMessage {
            id: id.clone(),
            message_id: get_str(input, "id").unwrap_or("").to_string(),
            reason: get_str(input, "reason").map(str::to_string),
        },
    );
    Ok(json!({ "id": id }))
}

/// DisconnectUser → `{}`.
pub fn disconnect_user(state: &State, account: &str, input: &Value) -> Result<Value, ApiError> {
    let room = load_room(state, account, input, "roomIdentifier")?;
    state.events.publish(
        account,
        &room.arn,
        RoomEvent::DisconnectUser {
            user_id: get_str(input, "userId").unwrap_or("").to_string(),
            reason: get_str(input, "reason").map(str::to_string),
        },
    );
    Ok(json!({}))
}
