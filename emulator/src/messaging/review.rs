//! Message review handler: a room's `messageReviewHandler.uri` (a Lambda ARN) is mapped on the
//! command line (`--review-handler ARN=http://127.0.0.1:9000/review`) to a local HTTP URL.
//!
//! For each SEND_MESSAGE in such a room the emulator POSTs (Content-Type `application/json`)
//! the payload the Lambda would receive:
//!
//! ```json
//! {"Content": "…", "MessageId": "…", "RoomArn": "arn:aws:ivschat:…",
//!  "Attributes": {"k": "v"}, "Sender": {"UserId": "…", "Attributes": {…}, "Ip": "127.0.0.1"}}
//! ```
//!
//! and expects a 2xx answer `{"ReviewResult": "ALLOW"|"DENY", "Content"?: "…", "Attributes"?: {…}}`.
//! ALLOW delivers the message (with `Content`/`Attributes` replaced when given); DENY answers
//! the sender with ERROR 406 and delivers nothing. A connection error, a non-2xx status, an
//! unparsable answer, an unmapped ARN, or no answer within the timeout (200 ms by default, as
//! the service documents) applies the room's `fallbackResult`.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

/// What the handler decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Deliver, possibly with new content / attributes.
    Allow {
        /// Replacement content.
        content: Option<String>,
        /// Replacement attributes.
        attributes: Option<BTreeMap<String, String>>,
    },
    /// Reject (ERROR 406).
    Deny,
}

/// The request body sent to the handler.
pub struct ReviewRequest<'a> {
    /// Content.
    pub content: &'a str,
    /// The id the message will have.
    pub message_id: &'a str,
    /// Room ARN.
    pub room_arn: &'a str,
    /// Message attributes.
    pub attributes: Option<&'a BTreeMap<String, String>>,
    /// Sender user id.
    pub user_id: &'a str,
    /// Sender attributes.
    pub sender_attributes: &'a BTreeMap<String, String>,
    /// Sender IP.
    pub ip: &'a str,
}

/// Call the handler at `url`; `Err` on any failure (the caller applies the fallback).
pub async fn call(
    url: &str,
    req: &ReviewRequest<'_>,
    timeout: Duration,
) -> Result<Verdict, String> {
    let body = json!({
        "Content": req.content,
        "MessageId": req.message_id,
        "RoomArn": req.room_arn,
        "Attributes": req.attributes.cloned().unwrap_or_default(),
        "Sender": {"UserId": req.user_id, "Attributes": req.sender_attributes, "Ip": req.ip},
    })
    .to_string();
    match tokio::time::timeout(timeout, post(url, body)).await {
        Ok(r) => r,
        Err(_) => Err(format!("no answer within {} ms", timeout.as_millis())),
    }
}

async fn post(url: &str, body: String) -> Result<Verdict, String> {
    let uri: http::Uri = url.parse().map_err(|e| format!("bad handler URL: {e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err("only http:// handler URLs are supported".into());
    }
    let host = uri.host().ok_or("handler URL has no host")?.to_string();
    let port = uri.port_u16().unwrap_or(80);
    let authority = uri
        .authority()
        .map(|a| a.to_string())
        .unwrap_or_else(|| host.clone());
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let host_for_connect = host.trim_start_matches('[').trim_end_matches(']');
    let stream = tokio::net::TcpStream::connect((host_for_connect, port))
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    let conn_task = tokio::spawn(async move {
        let _ = conn.await;
    });
    let request = http::Request::post(path)
        .header(http::header::HOST, authority)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| format!("request: {e}"))?;
    let result = async {
        let resp = sender
            .send_request(request)
            .await
            .map_err(|e| format!("send: {e}"))?;
        let status = resp.status();
        let bytes = Limited::new(resp.into_body(), 256 * 1024)
            .collect()
            .await
            .map_err(|e| format!("body: {e}"))?
            .to_bytes();
        if !status.is_success() {
            return Err(format!("handler answered {status}"));
        }
        parse_verdict(&bytes)
    }
    .await;
    conn_task.abort();
    result
}

/// Parse the handler's answer.
pub fn parse_verdict(bytes: &[u8]) -> Result<Verdict, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|_| "answer is not JSON".to_string())?;
    let result = v
        .get("ReviewResult")
        .and_then(Value::as_str)
        .ok_or("answer has no ReviewResult")?;
    if result.eq_ignore_ascii_case("DENY") {
        return Ok(Verdict::Deny);
    }
    if !result.eq_ignore_ascii_case("ALLOW") {
        return Err(format!("unknown ReviewResult {result:?}"));
    }
    let content = match v.get("Content") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err("Content must be a string".into()),
    };
    let attributes = match v.get("Attributes") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => {
            let mut out = BTreeMap::new();
            for (k, v) in m {
                out.insert(
                    k.clone(),
                    v.as_str()
                        .ok_or("Attributes values must be strings")?
                        .to_string(),
                );
            }
            Some(out)
        }
        Some(_) => return Err("Attributes must be an object".into()),
    };
    Ok(Verdict::Allow {
        content,
        attributes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts() {
        assert_eq!(
            parse_verdict(br#"{"ReviewResult":"DENY"}"#),
            Ok(Verdict::Deny)
        );
        assert_eq!(
            parse_verdict(br#"{"ReviewResult":"ALLOW","Content":"x"}"#),
            Ok(Verdict::Allow {
                content: Some("x".into()),
                attributes: None
            })
        );
        assert!(parse_verdict(b"nope").is_err());
        assert!(parse_verdict(br#"{"ReviewResult":"MAYBE"}"#).is_err());
        assert!(parse_verdict(br#"{"ReviewResult":"ALLOW","Attributes":{"a":1}}"#).is_err());
    }
}
