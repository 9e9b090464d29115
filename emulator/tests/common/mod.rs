//! Test helpers: an independent SigV4 signer (aws-sigv4, as aws-sdk-rust signs) and a tiny
//! hyper client.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::Value;

pub use ivschat_emulator::{Emulator, EmulatorHandle};

pub const ROOM_PREFIX: &str = "arn:aws:ivschat:us-east-1:000000000000:room/";

pub async fn start() -> EmulatorHandle {
    Emulator::builder()
        .port(0)
        .start()
        .await
        .expect("emulator starts")
}

#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Value,
    pub raw: Bytes,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.headers
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

#[derive(Debug, Clone)]
pub struct Client {
    pub addr: SocketAddr,
    pub ak: String,
    pub sk: String,
    pub region: String,
    pub time_offset: Duration,
    pub token: Option<String>,
    /// Sign like the JS SDK v3: amz-sdk-*, content-length, x-amz-content-sha256, x-amz-user-agent.
    pub js_style: bool,
}

impl Client {
    pub fn new(h: &EmulatorHandle) -> Self {
        Self::with(h, "test", "test")
    }
    pub fn with(h: &EmulatorHandle, ak: &str, sk: &str) -> Self {
        Self::at(h.local_addr(), ak, sk)
    }
    pub fn at(addr: SocketAddr, ak: &str, sk: &str) -> Self {
        Client {
            addr,
            ak: ak.into(),
            sk: sk.into(),
            region: "us-east-1".into(),
            time_offset: Duration::ZERO,
            token: None,
            js_style: false,
        }
    }

    /// Build a signed request (path and query raw, as they go on the wire).
    pub fn signed(
        &self,
        method: &str,
        path_and_query: &str,
        body: &[u8],
    ) -> http::Request<Full<Bytes>> {
        let uri = format!("http://{}{}", self.addr, path_and_query);
        let mut req = http::Request::builder()
            .method(method)
            .uri(path_and_query)
            .header("host", self.addr.to_string());
        if !body.is_empty() {
            req = req.header("content-type", "application/json");
        }
        if self.js_style {
            req = req
                .header(
                    "amz-sdk-invocation-id",
                    "00000000-0000-4000-8000-000000000000",
                )
                .header("amz-sdk-request", "attempt=1; max=3")
                .header("content-length", body.len().to_string())
                .header("x-amz-user-agent", "aws-sdk-js/3.952.0 ua/2.1");
        }
        let mut req = req
            .body(Full::new(Bytes::copy_from_slice(body)))
            .expect("request");
        let identity =
            Credentials::new(&self.ak, &self.sk, self.token.clone(), None, "test").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("ivschat")
            .time(SystemTime::now() - self.time_offset)
            .settings({
                let mut st = SigningSettings::default();
                if self.js_style {
                    st.payload_checksum_kind =
                        aws_sigv4::http_request::PayloadChecksumKind::XAmzSha256;
                }
                st
            })
            .build()
            .expect("params")
            .into();
        let headers: Vec<(String, String)> = req
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    v.to_str().expect("ascii").to_string(),
                )
            })
            .collect();
        let signable = SignableRequest::new(
            method,
            &uri,
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(body),
        )
        .expect("signable");
        let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
        instructions.apply_to_request_http1x(&mut req);
        req
    }

    pub async fn call(&self, method: &str, path_and_query: &str, body: &str) -> Resp {
        let req = self.signed(method, path_and_query, body.as_bytes());
        send(self.addr, req).await
    }

    pub async fn op(&self, op: &str, body: Value) -> Resp {
        self.call("POST", &format!("/{op}"), &body.to_string())
            .await
    }
}

pub async fn send(addr: SocketAddr, req: http::Request<Full<Bytes>>) -> Resp {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let resp = sender.send_request(req).await.expect("response");
    let (parts, body) = resp.into_parts();
    let raw = body.collect().await.expect("body").to_bytes();
    let body = if raw.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&raw).unwrap_or(Value::Null)
    };
    Resp {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
        raw,
    }
}

/// Unsigned request (admin API).
pub async fn admin(addr: SocketAddr, method: &str, path: &str, body: &str) -> Resp {
    let req = http::Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string())
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("request");
    send(addr, req).await
}

pub fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}
