//! The conformance script API (see emulator/README.md):
//! `POST /_emulator/script` `{"responses": [R…], "credentials": [{accessKeyId, secretAccessKey,
//! sessionToken?}]?}` clears the recording and queues responses. From then until
//! `DELETE /_emulator/script` (or `/_emulator/reset`) every non-admin request is recorded; while
//! the queue is non-empty each one is answered from it instead of by the control plane.
//! `GET /_emulator/script/requests` returns the recording.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use serde_json::{Map, Value, json};

use crate::admin::{BodyError, json_body, raw_json_response};
use crate::auth::{Identity, RequestParts, Verifier};
use crate::bounded::{JsonRing, prefix};
use crate::error::ApiError;
use crate::redact::{self, REDACTED};
use crate::request::parse_query;
use crate::server::{DropConnection, Shared, error_response, json_response};

/// Default byte budget of the recording (`--max-script-recording-bytes`).
pub const DEFAULT_RECORDING_BYTES: usize = 8 * 1024 * 1024;
/// Most recorded requests kept.
pub const MAX_RECORDED: usize = 10_000;

/// What to do with an intercepted request.
#[derive(Debug)]
pub enum ScriptAction {
    /// Answer with this response.
    Respond(Response<Full<Bytes>>),
    /// Close the connection without a response.
    Reset,
    /// Sleep this many ms, then answer.
    Stall(u64, Response<Full<Bytes>>),
}

#[derive(Debug, Clone)]
enum Scripted {
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    Reset,
    Stall {
        ms: u64,
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
}

struct Inner {
    active: bool,
    queue: VecDeque<Scripted>,
    requests: JsonRing,
    verifier: Option<Verifier>,
    /// Session tokens the script's own `credentials` name: these (and only these) may appear
    /// in the recording, since whoever reads it supplied them.
    known_session_tokens: Vec<String>,
}

impl Inner {
    fn idle(max_bytes: usize) -> Self {
        Inner {
            active: false,
            queue: VecDeque::new(),
            requests: JsonRing::new(max_bytes, MAX_RECORDED),
            verifier: None,
            known_session_tokens: Vec::new(),
        }
    }
}

/// Script state.
pub struct ScriptState {
    inner: Mutex<Inner>,
    /// Fast path: no lock taken per request while no script is active.
    active: AtomicBool,
    max_bytes: usize,
}

impl Default for ScriptState {
    fn default() -> Self {
        ScriptState::new(DEFAULT_RECORDING_BYTES)
    }
}

fn build(status: u16, headers: &[(String, String)], body: &str) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body.to_string())));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            resp.headers_mut().append(k, v);
        }
    }
    resp
}

impl ScriptState {
    /// No script; recordings hold at most `max_bytes`.
    pub fn new(max_bytes: usize) -> Self {
        ScriptState {
            inner: Mutex::new(Inner::idle(max_bytes)),
            active: AtomicBool::new(false),
            max_bytes,
        }
    }

    /// Forget the script and the recording (back to normal behaviour; memory given back).
    pub fn clear(&self) {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        *g = Inner::idle(self.max_bytes);
        self.active.store(false, Ordering::SeqCst);
    }

    /// Record the request if a script is active; answer it from the queue if non-empty.
    pub fn intercept(&self, parts: &RequestParts<'_>, region: &str) -> Option<ScriptAction> {
        if !self.active.load(Ordering::SeqCst) {
            return None;
        }
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if !g.active {
            return None;
        }
        let signature = {
            let default_verifier;
            let verifier = match &g.verifier {
                Some(v) => v,
                None => {
                    default_verifier =
                        Verifier::new(region, &[Identity::new("test", "test", "000000000000")]);
                    &default_verifier
                }
            };
            let signed = parts
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|a| crate::auth::parse_authorization(a).ok())
                .map(|a| a.signed_headers.to_string())
                .unwrap_or_default();
            match verifier.verify_with(parts, None, false) {
                Ok(_) => json!({"valid": true, "signedHeaders": signed}),
                Err(e) => {
                    json!({"valid": false, "signedHeaders": signed, "error": format!("{}: {}", e.code, e.message)})
                }
            }
        };
        let mut headers = Map::new();
        for name in parts.headers.keys() {
            let joined: Vec<String> = parts
                .headers
                .get_all(name)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect();
            let mut value = joined.join(", ");
            let known = name == "x-amz-security-token" && g.known_session_tokens.contains(&value);
            if redact::is_secret_header(name.as_str()) && !known {
                value = REDACTED.to_string();
            }
            headers.insert(name.as_str().to_string(), Value::String(value));
        }
        let query: Vec<Value> = parse_query(parts.raw_query)
            .into_iter()
            .map(|(k, v)| {
                if redact::is_secret_param(&k) {
                    json!([k, REDACTED])
                } else {
                    json!([k, v])
                }
            })
            .collect();
        let body = if parts.body.is_empty() {
            None
        } else {
            Some(String::from_utf8_lossy(parts.body))
        };
        let record = |body: Option<&str>, truncated: bool| {
            let mut r = json!({
                "method": parts.method, "path": parts.raw_path, "query": query,
                "headers": headers, "body": body, "signature": signature,
            });
            if truncated {
                r["bodyTruncated"] = Value::Bool(true);
            }
            r.to_string()
        };
        let mut text = record(body.as_deref(), false);
        // One request may use at most half the budget: a larger body is cut (and marked).
        let room = g.requests.max_bytes() / 2;
        if JsonRing::cost(&text) > room
            && let Some(b) = body.as_deref()
        {
            let mut keep = b.len().saturating_sub(JsonRing::cost(&text) - room);
            loop {
                text = record(Some(prefix(b, keep)), true);
                // JSON escaping may make the text longer than the body: halve until it fits.
                if JsonRing::cost(&text) <= room || keep == 0 {
                    break;
                }
                keep /= 2;
            }
        }
        g.requests.push(text);
        Some(match g.queue.pop_front()? {
            Scripted::Respond {
                status,
                headers,
                body,
            } => ScriptAction::Respond(build(status, &headers, &body)),
            Scripted::Reset => ScriptAction::Reset,
            Scripted::Stall {
                ms,
                status,
                headers,
                body,
            } => ScriptAction::Stall(ms, build(status, &headers, &body)),
        })
    }
}

fn bad(msg: &str) -> ApiError {
    ApiError::validation("OTHER", msg.to_string(), &[])
}

fn parse_response(r: &Value) -> Result<Scripted, ApiError> {
    let status = match r.get("status") {
        None | Some(Value::Null) => 200,
        Some(s) => s
            .as_u64()
            .filter(|s| (100..=599).contains(s))
            .ok_or_else(|| bad("status must be an HTTP status"))? as u16,
    };
    let mut headers = Vec::new();
    if let Some(h) = r.get("headers") {
        let obj = h
            .as_object()
            .ok_or_else(|| bad("headers must be an object"))?;
        for (k, v) in obj {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            headers.push((k.clone(), v));
        }
    }
    let body = match r.get("body") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    match r.get("action").and_then(Value::as_str) {
        None => Ok(Scripted::Respond {
            status,
            headers,
            body,
        }),
        Some("reset") => Ok(Scripted::Reset),
        Some("stall") => Ok(Scripted::Stall {
            ms: r.get("ms").and_then(Value::as_u64).unwrap_or(0),
            status,
            headers,
            body,
        }),
        Some(other) => Err(bad(&format!("unknown action {other:?}"))),
    }
}

/// Handle `/_emulator/script…` (`sub` is the path after `/_emulator`).
pub async fn handle(
    shared: &Shared,
    req: Request<Incoming>,
    sub: &str,
    rid: &str,
) -> Result<Response<Full<Bytes>>, DropConnection> {
    let method = req.method().clone();
    Ok(match (method.as_str(), sub) {
        ("POST", "/script") => {
            let (head, body) = req.into_parts();
            let v = match json_body(
                body,
                &head.headers,
                shared.limits.max_body_bytes,
                shared.limits.body_read_timeout,
            )
            .await
            {
                Ok(v) => v,
                Err(BodyError::Api(e)) => return Ok(error_response(&e, rid)),
                Err(BodyError::Dropped) => return Err(DropConnection),
            };
            let mut queue = VecDeque::new();
            for r in v
                .get("responses")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                match parse_response(r) {
                    Ok(s) => queue.push_back(s),
                    Err(e) => return Ok(error_response(&e, rid)),
                }
            }
            let known_session_tokens: Vec<String> = v
                .get("credentials")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|c| c.get("sessionToken")?.as_str().map(str::to_string))
                .collect();
            let verifier = match v.get("credentials").and_then(Value::as_array) {
                Some(creds) => {
                    let ids: Vec<Identity> = creds
                        .iter()
                        .filter_map(|c| {
                            let ak = c.get("accessKeyId")?.as_str()?;
                            let sk = c.get("secretAccessKey")?.as_str()?;
                            let mut id = Identity::new(ak, sk, "000000000000");
                            id.session_token = c
                                .get("sessionToken")
                                .and_then(Value::as_str)
                                .map(str::to_string);
                            Some(id)
                        })
                        .collect();
                    Some(Verifier::new(&shared.state.region, &ids))
                }
                None => None,
            };
            let queued = queue.len();
            let mut g = shared
                .script
                .inner
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            *g = Inner {
                active: true,
                queue,
                requests: JsonRing::new(shared.script.max_bytes, MAX_RECORDED),
                verifier,
                known_session_tokens,
            };
            shared.script.active.store(true, Ordering::SeqCst);
            json_response(200, Some(&json!({"queued": queued})), rid)
        }
        ("GET", "/script/requests") => {
            let text = {
                let g = shared
                    .script
                    .inner
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                format!(
                    "{{\"requests\":{},\"remaining\":{},\"dropped\":{},\"bytes\":{},\"maxBytes\":{}}}",
                    g.requests.to_json_array(),
                    g.queue.len(),
                    g.requests.dropped(),
                    g.requests.bytes(),
                    g.requests.max_bytes()
                )
            };
            raw_json_response(text, rid)
        }
        ("DELETE", "/script") | ("DELETE", "/script/requests") => {
            shared.script.clear();
            json_response(200, Some(&json!({})), rid)
        }
        _ => {
            let mut resp = json_response(
                404,
                Some(&json!({"message": format!("No admin route {method} /_emulator{sub}")})),
                rid,
            );
            resp.headers_mut()
                .insert("x-amzn-errortype", HeaderValue::from_static("NotFound"));
            resp
        }
    })
}
