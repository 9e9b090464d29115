//! Per-room event hook: the control plane publishes what the messaging side must act on.
//! The future `messaging` module subscribes with [`EventBus::subscribe`] and filters by room.

use std::collections::BTreeMap;

use tokio::sync::broadcast;

use crate::store::Room;

/// Something that happened to a room through the control plane.
#[derive(Debug, Clone)]
pub enum RoomEvent {
    /// SendEvent: deliver an event to every connection in the room.
    Event {
        /// Event id (12 alphanumerics).
        id: String,
        /// Event name.
        event_name: String,
        /// Event attributes.
        attributes: BTreeMap<String, String>,
    },
    /// DeleteMessage: tell clients a message was deleted.
    DeleteMessage {
        /// Event id of the deletion (12 alphanumerics).
        id: String,
        /// The deleted message's id.
        message_id: String,
        /// Reason, if given.
        reason: Option<String>,
    },
    /// DisconnectUser: close every connection of that user in the room.
    DisconnectUser {
        /// User id.
        user_id: String,
        /// Reason, if given.
        reason: Option<String>,
    },
    /// UpdateRoom: new limits / handler apply to the room.
    RoomUpdated {
        /// The room after the update.
        room: Box<Room>,
    },
    /// DeleteRoom: close every connection in the room.
    RoomDeleted,
}

/// An event plus the room it is about.
#[derive(Debug, Clone)]
pub struct RoomNotice {
    /// Account owning the room.
    pub account_id: String,
    /// Room ARN.
    pub room_arn: String,
    /// What happened.
    pub event: RoomEvent,
}

/// Broadcast of [`RoomNotice`]s. Publishing with no subscriber is a no-op.
#[derive(Debug, Clone)]
pub struct EventBus {
    tx: broadcast::Sender<RoomNotice>,
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus {
            tx: broadcast::channel(1024).0,
        }
    }
}

impl EventBus {
    /// Publish a notice.
    pub fn publish(&self, account_id: &str, room_arn: &str, event: RoomEvent) {
        let _ = self.tx.send(RoomNotice {
            account_id: account_id.to_string(),
            room_arn: room_arn.to_string(),
            event,
        });
    }

    /// Subscribe to every notice published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<RoomNotice> {
        self.tx.subscribe()
    }
}
