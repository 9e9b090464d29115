//! The admin API under `/_emulator/` (no SigV4; no real route starts with `/_`):
//! `GET health`, `POST reset`, `GET|DELETE requests` (request log), `GET|POST|DELETE faults`,
//! and the conformance script (`/_emulator/script…`, see `script.rs`). Who may call it is
//! decided by [`crate::access::AdminAccess`] before anything else.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Request, Response};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use serde_json::{Value, json};

use crate::access::{AdminAccess, Refused};
use crate::bounded::{JsonRing, shortened};
use crate::error::ApiError;
use crate::server::{DropConnection, Shared, error_response, json_response};

/// Most request-log entries kept (oldest dropped first).
pub const MAX_LOG_ENTRIES: usize = 10_000;
/// Default byte budget of the request log (`--max-request-log-bytes`).
pub const DEFAULT_REQUEST_LOG_BYTES: usize = 4 * 1024 * 1024;
/// Most fault entries pending at once.
pub const MAX_PENDING_FAULTS: usize = 1_000;
/// Longest path (and query) kept for a request that did not authenticate.
pub const UNSIGNED_PREFIX: usize = 64;

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

/// Request log, faults and the access policy.
pub struct AdminState {
    log: Mutex<JsonRing>,
    faults: Mutex<Vec<Fault>>,
    /// Fast path: pending fault entries (no lock per request when zero).
    pending_faults: AtomicUsize,
    /// Who may call the admin API.
    pub access: AdminAccess,
}

impl AdminState {
    /// Admin state with a request log of at most `max_log_bytes`.
    pub fn new(max_log_bytes: usize, access: AdminAccess) -> Self {
        AdminState {
            log: Mutex::new(JsonRing::new(max_log_bytes, MAX_LOG_ENTRIES)),
            faults: Mutex::new(Vec::new()),
            pending_faults: AtomicUsize::new(0),
            access,
        }
    }

    /// Append to the request log. A request that did not authenticate keeps only a short
    /// prefix of its path and query; secret query parameters are never kept.
    pub fn log(&self, e: LogEntry) {
        let (path, query) = if e.account.is_empty() {
            (
                shortened(&e.path, UNSIGNED_PREFIX),
                shortened(&crate::redact::query(&e.query), UNSIGNED_PREFIX),
            )
        } else {
            (e.path, crate::redact::query(&e.query).into_owned())
        };
        let text =
            json!({"method": e.method, "path": path, "query": query, "operation": e.operation,
                          "status": e.status, "account": e.account, "time": e.time})
            .to_string();
        self.log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(text);
    }

    fn clear_log(&self) {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clear();
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
        self.clear_log();
        self.clear_faults();
    }

    fn clear_faults(&self) {
        let mut g = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        *g = Vec::new();
        self.pending_faults.store(0, Ordering::SeqCst);
    }

    /// Add faults unless that would make more than [`MAX_PENDING_FAULTS`] pending.
    fn add_faults(&self, new: Vec<Fault>) -> Result<(), ApiError> {
        let mut g = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        let new: Vec<Fault> = new.into_iter().filter(|f| f.count > 0).collect();
        if g.len() + new.len() > MAX_PENDING_FAULTS {
            return Err(ApiError::validation(
                "OTHER",
                format!("At most {MAX_PENDING_FAULTS} faults may be pending"),
                &[],
            ));
        }
        g.extend(new);
        self.pending_faults.store(g.len(), Ordering::SeqCst);
        Ok(())
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

/// Why an admin body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// Answer with this error (413, bad JSON).
    Api(ApiError),
    /// The client broke off or did not send the body in time: close the connection.
    Dropped,
}

/// Read an admin request body as JSON (`{}` when empty), with the control plane's limits: at
/// most `max` bytes, within `timeout`.
pub async fn json_body(
    body: Incoming,
    headers: &http::HeaderMap,
    max: usize,
    timeout: Duration,
) -> Result<Value, BodyError> {
    let too_large = || {
        BodyError::Api(ApiError::new(
            413,
            "RequestEntityTooLargeException",
            "Admin request body too large",
        ))
    };
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    let bytes = match tokio::time::timeout(timeout, Limited::new(body, max).collect()).await {
        Err(_) => return Err(BodyError::Dropped),
        Ok(Ok(c)) => c.to_bytes(),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => return Err(too_large()),
        Ok(Err(_)) => return Err(BodyError::Dropped),
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| BodyError::Api(ApiError::serialization(format!("Invalid JSON: {e}"))))
}

/// The answer to a refused admin request (the body is not read: the connection closes).
pub fn refusal(r: &Refused, rid: &str) -> Response<Full<Bytes>> {
    let mut resp = json_response(r.status, Some(&json!({"message": r.message})), rid);
    let h = resp.headers_mut();
    h.insert("x-amzn-errortype", HeaderValue::from_static(r.code));
    h.insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    if r.status == 401 {
        h.insert(
            http::header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"ivschat-local admin\""),
        );
    }
    resp
}

/// A 200 answer whose JSON body is already serialised.
pub fn raw_json_response(text: String, rid: &str) -> Response<Full<Bytes>> {
    let mut resp = json_response(200, None, rid);
    *resp.body_mut() = Full::new(Bytes::from(text));
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// Dispatch an admin request.
pub async fn handle(
    shared: &Shared,
    req: Request<Incoming>,
    rid: &str,
) -> Result<Response<Full<Bytes>>, DropConnection> {
    if let Err(r) = shared.admin.access.check(req.headers()) {
        return Ok(refusal(&r, rid));
    }
    let method = req.method().as_str().to_string();
    let path = req.uri().path().trim_end_matches('/').to_string();
    let sub = path.strip_prefix("/_emulator").unwrap_or("");
    if sub == "/script" || sub.starts_with("/script/") {
        return crate::script::handle(shared, req, sub, rid).await;
    }
    let max = shared.limits.max_body_bytes;
    let timeout = shared.limits.body_read_timeout;
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
            let text = {
                let g = shared.admin.log.lock().unwrap_or_else(|p| p.into_inner());
                format!(
                    "{{\"requests\":{},\"dropped\":{},\"bytes\":{},\"maxBytes\":{}}}",
                    g.to_json_array(),
                    g.dropped(),
                    g.bytes(),
                    g.max_bytes()
                )
            };
            Ok(raw_json_response(text, rid))
        }
        ("DELETE", "/requests") => {
            shared.admin.clear_log();
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
            let (parts, body) = req.into_parts();
            let v = match json_body(body, &parts.headers, max, timeout).await {
                Ok(v) => v,
                Err(BodyError::Api(e)) => return Ok(error_response(&e, rid)),
                Err(BodyError::Dropped) => return Err(DropConnection),
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
            if let Err(e) = shared.admin.add_faults(parsed) {
                return Ok(error_response(&e, rid));
            }
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
