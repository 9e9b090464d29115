//! The HTTP server: hyper 1 http1 with keep-alive and one service. Dispatch order:
//! `Upgrade: websocket` → messaging hook; `/_emulator/…` → admin (unsigned); otherwise read the
//! body (size-limited), then the conformance script (if active), injected faults, SigV4,
//! parse + validate, and the control plane.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::admin::{self, AdminState, Fault, LogEntry};
use crate::auth::{RequestParts, Verifier};
use crate::control::{self, State};
use crate::error::ApiError;
use crate::messaging;
use crate::request;
use crate::script::{ScriptAction, ScriptState};

/// Server limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest accepted request body; larger → 413.
    pub max_body_bytes: usize,
    /// Time allowed to receive a request's headers (slow-loris guard).
    pub header_read_timeout: Duration,
    /// Time allowed for a request body to arrive once the headers are in (slow-body guard);
    /// admin bodies too.
    pub body_read_timeout: Duration,
    /// Byte budget of the admin request log.
    pub max_request_log_bytes: usize,
    /// Byte budget of the conformance-script recording.
    pub max_script_recording_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1024 * 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            max_request_log_bytes: crate::admin::DEFAULT_REQUEST_LOG_BYTES,
            max_script_recording_bytes: crate::script::DEFAULT_RECORDING_BYTES,
        }
    }
}

/// Everything a request handler needs.
pub struct Shared {
    /// Control-plane state.
    pub state: State,
    /// SigV4 verifier for the configured identities.
    pub verifier: Verifier,
    /// Request log and faults.
    pub admin: AdminState,
    /// Conformance script.
    pub script: ScriptState,
    /// Limits.
    pub limits: Limits,
    /// The messaging WebSocket side.
    pub messaging: messaging::Messaging,
}

/// Returned by the service to close the connection without a response.
#[derive(Debug)]
pub struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}
impl std::error::Error for DropConnection {}

/// A fresh request id (uuid v4 format, fast RNG).
pub fn request_id() -> String {
    let mut b = [0u8; 16];
    for x in &mut b {
        *x = fastrand::u8(..);
    }
    uuid::Builder::from_random_bytes(b)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// A JSON response with `x-amzn-RequestId`.
pub fn json_response(status: u16, body: Option<&Value>, request_id: &str) -> Response<Full<Bytes>> {
    let bytes = match body {
        Some(v) => Bytes::from(serde_json::to_vec(v).unwrap_or_default()),
        None => Bytes::new(),
    };
    let mut resp = Response::new(Full::new(bytes));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    if body.is_some() {
        h.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
    resp
}

/// An error response: `x-amzn-ErrorType` + JSON body.
pub fn error_response(e: &ApiError, request_id: &str) -> Response<Full<Bytes>> {
    let mut resp = json_response(e.status, Some(&e.body()), request_id);
    if let Ok(v) = HeaderValue::from_str(&e.code) {
        resp.headers_mut().insert("x-amzn-errortype", v);
    }
    resp
}

/// Read a body up to `max` bytes; `Err(Some(resp))` for 413, `Err(None)` when the client broke off.
async fn read_body(
    body: Incoming,
    headers: &http::HeaderMap,
    max: usize,
    timeout: Duration,
    rid: &str,
) -> Result<Bytes, Option<Response<Full<Bytes>>>> {
    let too_large = || {
        let mut r = error_response(
            &ApiError::new(
                413,
                "RequestEntityTooLargeException",
                format!("Request body exceeds the limit of {max} bytes"),
            ),
            rid,
        );
        // Do not read the rest of an oversized body: close after answering.
        r.headers_mut()
            .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
        r
    };
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(Some(too_large()));
    }
    let collected = match tokio::time::timeout(timeout, Limited::new(body, max).collect()).await {
        Ok(c) => c,
        Err(_) => return Err(None),
    };
    match collected {
        Ok(c) => Ok(c.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(Some(too_large()))
        }
        Err(_) => Err(None),
    }
}

/// Handle one request.
pub async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, DropConnection> {
    let rid = request_id();
    if messaging::is_websocket_upgrade(req.headers()) {
        return Ok(messaging::handle_upgrade(shared, req, &rid).await);
    }
    if req.uri().path() == "/_emulator" || req.uri().path().starts_with("/_emulator/") {
        return admin::handle(&shared, req, &rid).await;
    }
    let (parts, body) = req.into_parts();
    let body = match read_body(
        body,
        &parts.headers,
        shared.limits.max_body_bytes,
        shared.limits.body_read_timeout,
        &rid,
    )
    .await
    {
        Ok(b) => b,
        Err(Some(resp)) => return Ok(resp),
        Err(None) => return Err(DropConnection),
    };
    let method = parts.method.as_str();
    let raw_path = parts.uri.path();
    let raw_query = parts.uri.query().unwrap_or("");
    let rparts = RequestParts {
        method,
        raw_path,
        raw_query,
        headers: &parts.headers,
        body: &body,
    };

    if let Some(action) = shared.script.intercept(&rparts, &shared.state.region) {
        return match action {
            ScriptAction::Respond(r) => Ok(r),
            ScriptAction::Reset => Err(DropConnection),
            ScriptAction::Stall(ms, r) => {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Ok(r)
            }
        };
    }

    let operation = request::route(method, raw_path).map(|r| r.0).unwrap_or("");
    let mut account = String::new();
    let result: Result<Response<Full<Bytes>>, DropConnection> = async {
        if let Some(fault) = shared.admin.take_fault(operation) {
            if let Some(ms) = fault.latency_ms {
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
            if fault.drop_connection {
                return Err(DropConnection);
            }
            if let Some(e) = Fault::error(&fault) {
                return Ok(error_response(&e, &rid));
            }
        }
        let outcome = (|| {
            let verified = shared.verifier.verify(&rparts, Some(chrono::Utc::now()))?;
            account = verified.account_id;
            let parsed = request::parse_and_validate(method, raw_path, raw_query, &body)?;
            let out = control::dispatch(&shared.state, &account, parsed.operation, &parsed.input)?;
            Ok::<_, ApiError>((parsed.success_status, out))
        })();
        Ok(match outcome {
            Ok((status, out)) => json_response(status, out.as_ref(), &rid),
            Err(e) => {
                tracing::debug!(code = %e.code, status = e.status, "request failed");
                error_response(&e, &rid)
            }
        })
    }
    .await;
    let status = match &result {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    };
    tracing::debug!(
        method,
        path = crate::bounded::prefix(raw_path, 200),
        operation,
        status,
        "request"
    );
    shared.admin.log(LogEntry {
        method: method.to_string(),
        path: raw_path.to_string(),
        query: raw_query.to_string(),
        operation: operation.to_string(),
        status,
        account,
        time: control::fmt_time(&chrono::Utc::now()),
    });
    result
}

/// Accept connections until `shutdown` flips, then close them gracefully (5 s grace).
pub async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else {
                    // Transient accept errors (EMFILE…): back off briefly.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                let mut stop = shutdown.clone();
                conns.spawn(async move {
                    let timeout = shared.limits.header_read_timeout;
                    let svc = service_fn(move |mut req: Request<Incoming>| {
                        req.extensions_mut().insert(messaging::PeerAddr(peer));
                        handle(shared.clone(), req)
                    });
                    let conn = http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(timeout)
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), svc)
                        .with_upgrades();
                    tokio::pin!(conn);
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        _ = stopped(&mut stop) => {
                            conn.as_mut().graceful_shutdown();
                            let _ = conn.await;
                        }
                    }
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            _ = stopped(&mut shutdown) => break,
        }
    }
    drop(listener);
    let drain = async { while conns.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(5), drain)
        .await
        .is_err()
    {
        conns.abort_all();
    }
}

async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

/// Bind helper used by the builder.
pub async fn bind(host: &str, port: u16) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind((host, port)).await?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}
