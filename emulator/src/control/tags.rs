//! TagResource, UntagResource, ListTagsForResource on rooms and logging configurations.
//! At most 50 tags per resource; keys starting with `aws:` are rejected.

use serde_json::{Value, json};

use super::{
    State, check_tag_keys, get_list, get_map, get_str, parse_arn, resource_id_of, tags_json,
};
use crate::error::ApiError;

/// Maximum tags on one resource.
pub const MAX_TAGS: usize = 50;

enum Target {
    Room(crate::store::Room),
    Logging(crate::store::LoggingConfiguration),
}

fn load(state: &State, account: &str, input: &Value) -> Result<Target, ApiError> {
    let arn_s = get_str(input, "resourceArn").unwrap_or("");
    let not_found = || {
        ApiError::not_found(
            &resource_id_of(arn_s),
            format!("Resource not found: {arn_s}"),
        )
    };
    let arn = parse_arn(arn_s).ok_or_else(not_found)?;
    if arn.account != account || arn.region != state.region {
        return Err(not_found());
    }
    match arn.kind {
        "room" => state
            .store
            .get_room(account, arn.id)?
            .map(Target::Room)
            .ok_or_else(not_found),
        "logging-configuration" => state
            .store
            .get_logging(account, arn.id)?
            .map(Target::Logging)
            .ok_or_else(not_found),
        _ => Err(not_found()),
    }
}

fn tags_of(t: &mut Target) -> &mut std::collections::BTreeMap<String, String> {
    match t {
        Target::Room(r) => &mut r.tags,
        Target::Logging(c) => &mut c.tags,
    }
}

fn save(state: &State, account: &str, t: &Target) -> Result<(), ApiError> {
    match t {
        Target::Room(r) => state.store.put_room(account, r)?,
        Target::Logging(c) => state.store.put_logging(account, c)?,
    }
    Ok(())
}

/// TagResource.
pub fn tag(state: &State, account: &str, input: &Value) -> Result<Value, ApiError> {
    let new = get_map(input, "tags").unwrap_or_default();
    check_tag_keys(new.keys(), "tags")?;
    let _g = state.lock();
    let mut target = load(state, account, input)?;
    let tags = tags_of(&mut target);
    tags.extend(new);
    if tags.len() > MAX_TAGS {
        return Err(ApiError::field(
            "tags",
            &format!("A resource can have at most {MAX_TAGS} tags"),
        ));
    }
    save(state, account, &target)?;
    Ok(json!({}))
}

/// UntagResource.
pub fn untag(state: &State, account: &str, input: &Value) -> Result<Value, ApiError> {
    let keys = get_list(input, "tagKeys").unwrap_or_default();
    check_tag_keys(keys.iter(), "tagKeys")?;
    let _g = state.lock();
    let mut target = load(state, account, input)?;
    let tags = tags_of(&mut target);
    let before = tags.len();
    for k in &keys {
        tags.remove(k);
    }
    if tags.len() != before {
        save(state, account, &target)?;
    }
    Ok(json!({}))
}

/// ListTagsForResource.
pub fn list(state: &State, account: &str, input: &Value) -> Result<Value, ApiError> {
    let mut target = load(state, account, input)?;
    Ok(json!({ "tags": tags_json(tags_of(&mut target)) }))
}
