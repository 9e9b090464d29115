//! How a signed request travels: one interface, [`Transport`], that exchanges a request for a
//! whole response within the limits it is given. Retries, the attempt and operation timeouts and
//! the pause between attempts are the client's (`client.rs`), written once above it.
//!
//! The transport is [`hyper::HyperTransport`] (hyper-util's pooled HTTP/1.1 client over tokio TCP
//! or rustls, proxies from the environment). [`smithy`] lends it to `aws-config`, so the
//! credential providers' own calls (IMDS, ECS, STS, SSO) use it too.

#[cfg(all(unix, feature = "hosted"))]
pub(crate) mod hosted;
pub(crate) mod hyper;
#[cfg(feature = "default-credentials")]
pub(crate) mod smithy;
pub(crate) mod tls;

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use url::Url;

use crate::error::Error;

/// Default connect timeout (as `aws-sdk-rust`).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);
/// Default read timeout: the longest wait for response bytes (as boto3).
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);
/// The largest response body read by default (16 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// At most this many informational (1xx) responses may come before the final one.
pub(crate) const MAX_INFORMATIONAL: u32 = 4;
/// At most this many response headers (boto3 takes at least 65).
pub(crate) const MAX_HEADERS: usize = 128;
/// A response head (status line and headers) larger than this is refused.
pub(crate) const MAX_HEAD_BYTES: usize = 64 * 1024;

/// A boxed future that may move between threads.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Exchanges one signed request for its whole response.
pub(crate) trait Transport: Send + Sync + fmt::Debug {
    /// Sends `request` and reads the whole response under `limits`. Dropping the future abandons
    /// the exchange and closes the connection carrying it.
    fn exchange<'a>(
        &'a self,
        request: Request<'a>,
        limits: Limits,
    ) -> BoxFuture<'a, Result<Response, Error>>;
}

/// One request, signed.
pub(crate) struct Request<'a> {
    pub method: &'a http::Method,
    pub url: &'a Url,
    /// Every header but `host`, `content-length` (the transport adds them).
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

/// One response, read whole.
#[derive(Debug)]
pub(crate) struct Response {
    pub status: http::StatusCode,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

/// What bounds one exchange besides the caller's timers and the transport's own read timeout.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// The largest response body accepted.
    pub max_response_bytes: usize,
}

/// Scheme, host and port: which pooled connections a request may use.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Origin {
    pub tls: bool,
    /// A name or an IP address (an IPv6 literal without its brackets, as name resolution and
    /// TLS want it).
    pub host: String,
    pub port: u16,
}

impl Origin {
    pub(crate) fn of(url: &Url) -> Result<Self, Error> {
        let tls = match url.scheme() {
            "https" => true,
            "http" => false,
            other => return Err(Error::construction(format!("unsupported scheme {other}"))),
        };
        let host = url
            .host_str()
            .ok_or_else(|| Error::construction("the endpoint has no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = url
            .port_or_known_default()
            .ok_or_else(|| Error::construction("the endpoint has no port"))?;
        Ok(Origin { tls, host, port })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// The URL's authority as sent in `Host` and signed: the host, and the port unless it is the
/// scheme's default (no user info).
pub(crate) fn authority(url: &Url) -> &str {
    &url[url::Position::BeforeHost..url::Position::AfterPort]
}

/// Whether the environment names a proxy (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, any case).
pub(crate) fn proxy_in_environment() -> bool {
    ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"]
        .iter()
        .any(|name| {
            [name.to_string(), name.to_lowercase()]
                .iter()
                .any(|n| std::env::var_os(n).is_some_and(|v| !v.is_empty()))
        })
}

/// A connection to `origin` that could not be opened.
pub(crate) fn connect_error(origin: &Origin, why: impl fmt::Display) -> Error {
    Error::transport(io::Error::other(format!(
        "could not connect to {origin}: {why}"
    )))
}

/// A connection to `origin` that did not open within the connect timeout.
pub(crate) fn connect_timeout_error(origin: &Origin, limit: Duration) -> Error {
    Error::timeout(format!(
        "could not connect to {origin} within {limit:?} (connect timeout)"
    ))
}

/// An exchange that waited `limit` for the next response bytes.
pub(crate) fn read_timeout_error(limit: Duration) -> Error {
    Error::timeout(format!(
        "no response bytes arrived for {limit:?} (read timeout)"
    ))
}

/// A response this client will not read, named.
pub(crate) fn invalid_response(what: impl fmt::Display) -> Error {
    Error::transport(io::Error::new(
        io::ErrorKind::InvalidData,
        format!("the server sent {what}"),
    ))
}

/// A response body over the limit (not retried: the next answer would be as large).
pub(crate) fn too_large(limit: usize) -> Error {
    Error::response_refused(format!(
        "the server sent a response body over the {limit}-byte limit of this client"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_authorities_leave_out_default_ports_and_brackets() {
        let url = Url::parse("https://IVSCHAT.us-east-1.amazonaws.com:443/GetRoom").unwrap();
        assert_eq!(authority(&url), "ivschat.us-east-1.amazonaws.com");
        let origin = Origin::of(&url).unwrap();
        assert_eq!(
            (origin.tls, origin.host.as_str(), origin.port),
            (true, "ivschat.us-east-1.amazonaws.com", 443)
        );
        let url = Url::parse("http://[::1]:4580/GetRoom").unwrap();
        assert_eq!(authority(&url), "[::1]:4580");
        let origin = Origin::of(&url).unwrap();
        assert_eq!(origin.host, "::1");
        assert_eq!(origin.to_string(), "[::1]:4580");
    }
}
