//! The admin API under `/_emulator/` (no signature needed; no real route starts with `/_`):
//! `GET health`, `POST reset`, `GET|DELETE requests` (request log), `GET|POST|DELETE faults`,
//! and the conformance script (`/_emulator/script…`, see `script.rs`).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::server::{DropConnection, Shared, error_response, json_response};

/// Most request-log entries kept (oldest dropped first).
pub const MAX_LOG_ENTRIES: usize = 10_000;

/// One request-log entry.
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// HTTP method.
    pub method: String,
    /// Raw path.
    pub path: String,
    /// Raw query.
    pub query: String,
    /// Operation name ("" when unknown).
    pub operation: String,
    /// Response status (0 = connection dropped).
    pub status: u16,
    /// Caller's account ("" when not authenticated).
    pub account: String,
    /// When (ISO-8601).
    pub time: String,
}

/// An injected fault, applied to the next `count` matching requests.
#[derive(Debug, Clone, Default)]
pub struct Fault {
    /// Operation name, or `*` for any.
    pub operation: String,
    /// Remaining applications.
    pub count: u64,
    /// Status to answer with.
    pub status: Option<u16>,
    /// Error code (`x-amzn-ErrorType`).
    pub error_code: Option<String>,
    /// Error message.
    pub message: Option<String>,
    /// Delay before answering (or before normal processing when no status is set).
    pub latency_ms: Option<u64>,
    /// Close the connection without a response.
    pub drop_connection: bool,
}

impl Fault {
    /// The error this fault answers with, if it sets a status or a code.
    pub fn error(f: &Fault) -> Option<ApiError> {
        if f.status.is_none() && f.error_code.is_none() {
            return None;
        }
        let status = f.status.unwrap_or(500);
        let code = f.error_code.clone().unwrap_or_else(|| {
            match status {
                429 => "ThrottlingException",
                400 => "ValidationException",
                403 => "AccessDeniedException",
                404 => "ResourceNotFoundException",
                _ => "InternalServerException",
            }
            .to_string()
        });
        let mut e = ApiError::new(
            status,
            &code,
            f.message.clone().unwrap_or_else(|| "Injected fault".into()),
        );
        match code.as_str() {
            "ThrottlingException" | "ServiceQuotaExceededException" => {
                e.fields.insert("resourceId".into(), json!("fault"));
                e.fields.insert("resourceType".into(), json!("ROOM"));
                e.fields.insert("limit".into(), json!(0));
            }
            "ResourceNotFoundException" | "ConflictException" => {
                e.fields.insert("resourceId".into(), json!("fault"));
                e.fields.insert("resourceType".into(), json!("ROOM"));
            }
            "ValidationException" => {
                e.fields.insert("reason".into(), json!("OTHER"));
            }
            _ => {}
        }
        Some(e)
    }

    fn to_json(&self) -> Value {
        json!({
            "operation": self.operation, "count": self.count, "status": self.status,
            "errorCode": self.error_code, "message": self.message,
            "latencyMs": self.latency_ms, "dropConnection": self.drop_connection,
        })
    }
}

/// Request log + faults.
#[derive(Default)]
pub struct AdminState {
    log: Mutex<VecDeque<LogEntry>>,
    faults: Mutex<Vec<Fault>>,
    /// Fast path: pending fault entries (no lock per request when zero).
    pending_faults: AtomicUsize,
}

impl AdminState {
    /// Append to the request log.
    pub fn log(&self, e: LogEntry) {
        let mut g = self.log.lock().unwrap_or_else(|p| p.into_inner());
        if g.len() >= MAX_LOG_ENTRIES {
            g.pop_front();
        }
        g.push_back(e);
    }

    /// Take one application of the first fault matching `operation`.
    pub fn take_fault(&self, operation: &str) -> Option<Fault> {
        if self.pending_faults.load(Ordering::SeqCst) == 0 {
            return None;
        }
        let mut g = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        if g.is_empty() {
            return None;
        }
        let idx = g
            .iter()
            .position(|f| f.count > 0 && (f.operation == "*" || f.operation == operation))?;
        let f = g[idx].clone();
        g[idx].count -= 1;
        if g[idx].count == 0 {
            g.remove(idx);
        }
        self.pending_faults.store(g.len(), Ordering::SeqCst);
        Some(f)
    }

    fn clear(&self) {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.clear_faults();
    }

    fn clear_faults(&self) {
        let mut g = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        g.clear();
        self.pending_faults.store(0, Ordering::SeqCst);
    }

    fn add_faults(&self, new: Vec<Fault>) {
        let mut g = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        g.extend(new.into_iter().filter(|f| f.count > 0));
        self.pending_faults.store(g.len(), Ordering::SeqCst);
    }
}

fn parse_fault(v: &Value) -> Result<Fault, ApiError> {
    let bad = |m: &str| ApiError::validation("OTHER", m.to_string(), &[]);
    let operation = v
        .get("operation")
        .and_then(Value::as_str)
        .unwrap_or("*")
        .to_string();
    let count = match v.get("count") {
        None => 1,
        Some(c) => c
            .as_u64()
            .ok_or_else(|| bad("count must be a non-negative integer"))?,
    };
    let status = match v.get("status") {
        None | Some(Value::Null) => None,
        Some(s) => Some(
            s.as_u64()
                .filter(|s| (100..=599).contains(s))
                .ok_or_else(|| bad("status must be an HTTP status"))? as u16,
        ),
    };
    Ok(Fault {
        operation,
        count,
        status,
        error_code: v
            .get("errorCode")
            .and_then(Value::as_str)
            .map(str::to_string),
        message: v.get("message").and_then(Value::as_str).map(str::to_string),
        latency_ms: v.get("latencyMs").and_then(Value::as_u64),
        drop_connection: v
            .get("dropConnection")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

/// Read an admin request body as JSON (`{}` when empty).
pub async fn json_body(body: Incoming, max: usize) -> Result<Value, ApiError> {
    let bytes = Limited::new(body, max)
        .collect()
        .await
        .map_err(|_| {
            ApiError::new(
                413,
                "RequestEntityTooLargeException",
                "Admin request body too large",
            )
        })?
        .to_bytes();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::serialization(format!("Invalid JSON: {e}")))
}

/// Dispatch an admin request.
pub async fn handle(
    shared: &Shared,
    req: Request<Incoming>,
    rid: &str,
) -> Result<Response<Full<Bytes>>, DropConnection> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().trim_end_matches('/').to_string();
    let sub = path.strip_prefix("/_emulator").unwrap_or("");
    if sub == "/script" || sub.starts_with("/script/") {
        return Ok(crate::script::handle(shared, req, sub, rid).await);
    }
    let max = shared.limits.max_body_bytes;
    let ok = |v: Value| Ok(json_response(200, Some(&v), rid));
    match (method.as_str(), sub) {
        ("GET", "/health") => ok(json!({"status": "ok"})),
        ("POST", "/reset") => {
            if let Err(e) = shared.state.store.reset() {
                return Ok(error_response(&ApiError::from(e), rid));
            }
            shared.admin.clear();
            shared.script.clear();
            ok(json!({"status": "ok"}))
        }
        ("GET", "/requests") => {
            let g = shared.admin.log.lock().unwrap_or_else(|p| p.into_inner());
            let list: Vec<Value> = g
                .iter()
                .map(|e| {
                    json!({"method": e.method, "path": e.path, "query": e.query, "operation": e.operation,
                           "status": e.status, "account": e.account, "time": e.time})
                })
                .collect();
            ok(json!({ "requests": list }))
        }
        ("DELETE", "/requests") => {
            shared
                .admin
                .log
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clear();
            ok(json!({}))
        }
        ("GET", "/faults") => {
            let g = shared
                .admin
                .faults
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            ok(json!({"faults": g.iter().map(Fault::to_json).collect::<Vec<_>>()}))
        }
        ("POST", "/faults") => {
            let v = match json_body(req.into_body(), max).await {
                Ok(v) => v,
                Err(e) => return Ok(error_response(&e, rid)),
            };
            let list: Vec<Value> = match v {
                Value::Array(a) => a,
                other => vec![other],
            };
            let mut parsed = Vec::new();
            for f in &list {
                match parse_fault(f) {
                    Ok(f) => parsed.push(f),
                    Err(e) => return Ok(error_response(&e, rid)),
                }
            }
            shared.admin.add_faults(parsed);
            ok(json!({}))
        }
        ("DELETE", "/faults") => {
            shared.admin.clear_faults();
            ok(json!({}))
        }
        _ => {
            let mut resp = json_response(
                404,
                Some(&json!({"message": format!("No admin route {method} {path}")})),
                rid,
            );
            if let Ok(v) = http::HeaderValue::from_str("NotFound") {
                resp.headers_mut().insert("x-amzn-errortype", v);
            }
            Ok(resp)
        }
    }
}
