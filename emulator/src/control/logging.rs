//! CreateLoggingConfiguration, GetLoggingConfiguration, UpdateLoggingConfiguration,
//! DeleteLoggingConfiguration, ListLoggingConfigurations.

use serde_json::{Map, Value, json};

use super::{
    State, check_tag_keys, fmt_time, get_int, get_map, get_str, new_id, pagination, parse_arn,
    resolve, tags_json, write_time,
};
use crate::error::ApiError;
use crate::store::LoggingConfiguration;

/// Output shape (also the summary shape: same members).
pub fn logging_json(c: &LoggingConfiguration) -> Value {
    let mut m = Map::new();
    m.insert("arn".into(), json!(c.arn));
    m.insert("id".into(), json!(c.id));
    m.insert("createTime".into(), json!(fmt_time(&c.create_time)));
    m.insert("updateTime".into(), json!(fmt_time(&c.update_time)));
    m.insert("name".into(), json!(c.name));
    m.insert(
        "destinationConfiguration".into(),
        c.destination_configuration.clone(),
    );
    m.insert("state".into(), json!(c.state));
    m.insert("tags".into(), tags_json(&c.tags));
    Value::Object(m)
}

/// Keep only the set union member (validation guaranteed exactly one).
fn destination(input: &Value) -> Value {
    let mut out = Map::new();
    if let Some(obj) = input
        .get("destinationConfiguration")
        .and_then(Value::as_object)
    {
        for (k, v) in obj {
            if !v.is_null() && matches!(k.as_str(), "s3" | "cloudWatchLogs" | "firehose") {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

fn load(state: &State, account: &str, input: &Value) -> Result<LoggingConfiguration, ApiError> {
    let ident = get_str(input, "identifier").unwrap_or("");
    let id = resolve(state, account, ident, "logging-configuration")?;
    state
        .store
        .get_logging(account, id)?
        .ok_or_else(|| ApiError::not_found(id, format!("Logging configuration not found: {ident}")))
}

/// CreateLoggingConfiguration.
pub fn create(state: &State, account: &str, input: &Value) -> Result<Value, ApiError> {
    let tags = get_map(input, "tags").unwrap_or_default();
    check_tag_keys(tags.keys(), "tags")?;
    let _g = state.lock();
    let count = state.store.count_logging(account)? as u64;
    if count >= state.quotas.max_logging_configurations {
        return Err(ApiError::quota(
            account,
            state.quotas.max_logging_configurations,
            format!(
                "Limit of {} logging configurations per account exceeded",
                state.quotas.max_logging_configurations
            ),
        ));
    }
    let id = new_id();
    let t = write_time();
    let cfg = LoggingConfiguration {
        arn: format!(
            "arn:aws:ivschat:{}:{account}:logging-configuration/{id}",
            state.region
        ),
        id,
        name: get_str(input, "name").unwrap_or("").to_string(),
        create_time: t,
        update_time: t,
        destination_configuration: destination(input),
        state: "ACTIVE".into(),
        tags,
    };
    state.store.put_logging(account, &cfg)?;
    Ok(logging_json(&cfg))
}

/// GetLoggingConfiguration.
pub fn get(state: &State, account: &str, input: &Value) -> Result<Value, ApiError> {
    Ok(logging_json(&load(state, account, input)?))
}

/// UpdateLoggingConfiguration.
pub fn update(state: &State, account: &str, input: &Value) -> Result<Value, ApiError> {
    let _g = state.lock();
    let mut cfg = load(state, account, input)?;
    if let Some(n) = get_str(input, "name") {
        cfg.name = n.to_string();
    }
    if input
        .get("destinationConfiguration")
        .is_some_and(|v| !v.is_null())
    {
        cfg.destination_configuration = destination(input);
    }
    cfg.update_time = write_time().max(cfg.update_time);
    state.store.put_logging(account, &cfg)?;
    Ok(logging_json(&cfg))
}

/// DeleteLoggingConfiguration: 409 while a room still uses it.
pub fn delete(state: &State, account: &str, input: &Value) -> Result<(), ApiError> {
    let _g = state.lock();
    let cfg = load(state, account, input)?;
    let in_use = state.store.list_rooms(account)?.into_iter().find(|r| {
        r.logging_configuration_identifiers
            .iter()
            .any(|a| parse_arn(a).is_some_and(|p| p.id == cfg.id))
    });
    if let Some(room) = in_use {
        return Err(ApiError::conflict(
            &cfg.id,
            format!(
                "Logging configuration {} is in use by room {}",
                cfg.arn, room.arn
            ),
        ));
    }
    state.store.delete_logging(account, &cfg.id)?;
    Ok(())
}

/// ListLoggingConfigurations, sorted by updateTime descending.
pub fn list(state: &State, account: &str, input: &Value) -> Result<Value, ApiError> {
    let fingerprint = "logging";
    let max = get_int(input, "maxResults").unwrap_or(50).clamp(1, 50) as usize;
    let offset = pagination::decode(state, get_str(input, "nextToken"), fingerprint)?;
    let mut all = state.store.list_logging(account)?;
    all.sort_by(|a, b| {
        b.update_time
            .cmp(&a.update_time)
            .then_with(|| a.id.cmp(&b.id))
    });
    let (page, next) = pagination::page(state, &all, offset, max, fingerprint);
    let mut out = Map::new();
    out.insert(
        "loggingConfigurations".into(),
        Value::Array(page.iter().map(logging_json).collect()),
    );
    if let Some(n) = next {
        out.insert("nextToken".into(), json!(n));
    }
    Ok(Value::Object(out))
}
