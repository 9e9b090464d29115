//! How a signed request travels: one interface, [`Transport`], that exchanges a request for a
//! whole response within the limits it is given. Retries, the attempt and operation timeouts and
//! the pause between attempts are the client's (`client.rs`), written once above it.
//!
//! The transport is [`http1::Http1Transport`] (pooled HTTP/1.1 over tokio TCP or rustls, proxies
//! from the environment). [`smithy`] lends it to `aws-config`, so the
//! credential providers' own calls (IMDS, ECS, STS, SSO) use it too.

#[cfg(all(unix, feature = "hosted"))]
pub(crate) mod hosted;
pub(crate) mod http1;
#[cfg(feature = "default-credentials")]
pub(crate) mod smithy;
pub(crate) mod tls;

use std::fmt;
use std::future::Future;
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

/// The URL's authority as sent in `Host` and signed: the host, and the port unless it is the
/// scheme's default (no user info).
pub(crate) fn authority(url: &Url) -> &str {
    &url[url::Position::BeforeHost..url::Position::AfterPort]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorities_leave_out_default_ports_and_user_info() {
        let url = Url::parse("https://IVSCHAT.us-east-1.amazonaws.com:443/GetRoom").unwrap();
        assert_eq!(authority(&url), "ivschat.us-east-1.amazonaws.com");
        let url = Url::parse("http://user:pw@[::1]:4580/GetRoom").unwrap();
        assert_eq!(authority(&url), "[::1]:4580");
    }
}
