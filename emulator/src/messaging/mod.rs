//! Messaging WebSocket (a later issue). The control plane and the WebSocket share one port:
//! any request carrying `Upgrade: websocket` on any path is handed to [`handle_upgrade`].
//! For now it answers 501; the messaging implementation replaces the body of this function
//! and subscribes to `crate::hooks::EventBus` for control-plane room events.

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;

use crate::server::Shared;

/// Whether a request asks for a WebSocket upgrade.
pub fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Handle a WebSocket upgrade request (hook for the messaging module).
pub async fn handle_upgrade(
    _shared: &Shared,
    _req: Request<Incoming>,
    request_id: &str,
) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from_static(
        br#"{"message":"The messaging WebSocket is not implemented yet"}"#,
    )));
    *resp.status_mut() = StatusCode::NOT_IMPLEMENTED;
    if let Ok(v) = http::HeaderValue::from_str(request_id) {
        resp.headers_mut().insert("x-amzn-requestid", v);
    }
    resp
}
