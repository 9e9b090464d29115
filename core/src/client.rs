//! The client: signs each request (SigV4, `aws-sigv4`), sends it over a pooled keep-alive
//! connection, retries in standard mode, enforces timeouts and traces. Requests travel on the
//! runtime's sockets (`direct.rs`, rustls/ring), or through `reqwest` when a proxy is set in the
//! environment; a binding's synchronous calls use blocking sockets on the calling thread
//! (`blocking.rs`), and a binding whose event loop owns the sockets lends them (`host.rs`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HeaderValue, USER_AGENT};
use tracing::Instrument;

use crate::blocking::BlockingTransport;
use crate::config::Config;
use crate::credentials::CredentialsCache;
use crate::direct::DirectTransport;
use crate::error::{BuildError, Error};
use crate::exchange::exchange;
use crate::host::{HostIo, HostTransport, Notify};
use crate::http1::Limits;
use crate::protocol::{self, HttpParts, Operation};
use crate::retry::{RetryQuota, classify};
use crate::signing::Signer;
use crate::tls::TlsSettings;

/// The IVS Chat client. Cheap to clone; clones share connections, credentials and retry quota.
#[derive(Clone, Debug)]
pub struct Client {
    pub(crate) handle: Handle,
}

impl Client {
    /// A client for this configuration.
    pub fn new(config: &Config) -> Self {
        Self::from_conf(config.clone())
    }

    /// A client for this configuration (the name `aws-sdk-ivschat` uses).
    pub fn from_conf(config: Config) -> Self {
        let credentials = CredentialsCache::new(config.credentials.clone());
        Self {
            handle: Handle(Arc::new(Inner {
                transport: config.http.transport(),
                credentials,
                quota: Arc::new(RetryQuota::default()),
                config,
                signer: Signer::default(),
            })),
        }
    }

    /// A client sharing this one's configuration, credentials cache and retry quota, with a
    /// connection pool of its own. A pooled connection is driven by the tokio runtime that
    /// opened it, so code that calls from two runtimes (a binding's blocking calls on a
    /// current-thread runtime, its async calls on a multi-thread one) gives each its own pool.
    pub fn with_own_connections(&self) -> Result<Self, Error> {
        let config = &self.handle.0.config;
        Ok(self.sibling(shared_http(config.connect_timeout, &config.tls)?.transport()))
    }

    /// A client sharing this one's configuration, credentials cache and retry quota whose calls
    /// do their socket I/O on the thread that polls them, with blocking sockets and a pool of
    /// their own: a call's future completes in one poll unless credentials must be fetched or a
    /// retry waits. For synchronous calls that a binding drives with `block_on` on the calling
    /// thread; never poll its calls on a runtime shared with other tasks.
    ///
    /// `interrupt` is asked while a call waits (every 50 ms); when it answers `true` the call
    /// stops with an error for which [`is_interrupted`] is true.
    /// When a proxy is set in the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`), the
    /// calls go through the reqwest transport instead, which honours it.
    pub fn with_blocking_io(&self, interrupt: Option<Interrupt>) -> Result<Self, Error> {
        if proxy_in_environment() {
            return self.with_own_connections();
        }
        let config = &self.handle.0.config;
        let transport =
            BlockingTransport::new(config.tls.clone(), config.connect_timeout, interrupt);
        Ok(self.sibling(Transport::Blocking(transport)))
    }

    /// A client sharing this one's configuration, credentials cache and retry quota whose
    /// exchanges are carried by the host: a binding's event loop that takes the [`HostIo`]'s
    /// actions (it is told through `notify` when there are new ones) and reports what its
    /// sockets receive (see [`host`](crate::host)). Poll the calls on the host's thread and no
    /// call crosses threads. `None` instead of a `HostIo` when a proxy is set in the environment
    /// (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`): the calls then go through the reqwest
    /// transport, which honours it.
    pub fn with_host_io(&self, notify: Notify) -> Result<(Self, Option<HostIo>), Error> {
        if proxy_in_environment() {
            return Ok((self.with_own_connections()?, None));
        }
        let config = &self.handle.0.config;
        let (transport, io) =
            HostTransport::new(config.connect_timeout, config.tls.clone(), notify);
        Ok((self.sibling(Transport::Host(transport)), Some(io)))
    }

    fn sibling(&self, transport: Transport) -> Self {
        let inner = &*self.handle.0;
        Self {
            handle: Handle(Arc::new(Inner {
                transport,
                credentials: inner.credentials.clone(),
                quota: inner.quota.clone(),
                config: inner.config.clone(),
                signer: Signer::default(),
            })),
        }
    }

    /// A client configured from the environment: the AWS default credentials chain and region
    /// (`AWS_REGION`, profiles, IMDS...), as `aws_config::load_from_env` does.
    #[cfg(feature = "default-credentials")]
    pub async fn from_env() -> Result<Self, Error> {
        let config = Config::builder().load_defaults().await.build()?;
        Ok(Self::from_conf(config))
    }

    /// The configuration this client uses.
    pub fn config(&self) -> &Config {
        &self.handle.0.config
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Handle(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    config: Config,
    transport: Transport,
    credentials: CredentialsCache,
    quota: Arc<RetryQuota>,
    signer: Signer,
}

/// The pool of async connections the clients of one [`Config`] share.
#[derive(Clone, Debug)]
pub(crate) enum SharedHttp {
    /// With a proxy set in the environment.
    Reqwest(reqwest::Client),
    Direct(Arc<DirectTransport>),
}

impl SharedHttp {
    fn transport(&self) -> Transport {
        match self {
            SharedHttp::Reqwest(http) => Transport::Reqwest(http.clone()),
            SharedHttp::Direct(direct) => Transport::Direct(direct.clone()),
        }
    }
}

/// How requests travel.
#[derive(Debug)]
enum Transport {
    /// The runtime's sockets, driven by the tokio runtime that polls the calls.
    Direct(Arc<DirectTransport>),
    /// reqwest's pool (for a proxy), driven by the tokio runtime that polls the calls.
    Reqwest(reqwest::Client),
    /// Blocking sockets on the polling thread ([`Client::with_blocking_io`]).
    Blocking(BlockingTransport),
    /// The host's sockets ([`Client::with_host_io`]).
    Host(HostTransport),
}

pub use crate::blocking::{Interrupt, is_interrupted};

/// What a call cost and what the service said, besides its output (the JS SDK's `$metadata`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseMetadata {
    /// The HTTP status of the last response, if one arrived.
    pub http_status: Option<u16>,
    /// `x-amzn-RequestId` of the last response.
    pub request_id: Option<String>,
    /// Attempts made (1 when the first one settled the call).
    pub attempts: u32,
    /// Time spent in retry backoff.
    pub total_retry_delay: Duration,
}

/// What every attempt of one call shares.
struct Call {
    method: http::Method,
    url: reqwest::Url,
    body: Option<Bytes>,
    invocation_id: HeaderValue,
    max_attempts: u32,
}

impl Handle {
    /// Validates, serialises, then sends with retries. Dropping the future cancels the request.
    pub(crate) async fn send<O: Operation>(&self, input: O) -> Result<O::Output, Error> {
        self.send_with_metadata(input).await.0
    }

    /// As [`Handle::send`], also returning what the call cost and what the service said.
    pub(crate) async fn send_with_metadata<O: Operation>(
        &self,
        input: O,
    ) -> (Result<O::Output, Error>, ResponseMetadata) {
        let mut meta = ResponseMetadata::default();
        let span = tracing::info_span!(
            "ivschat.operation",
            operation = O::NAME,
            attempts = tracing::field::Empty,
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let result = async {
            input.validate()?;
            let parts = input.http_parts()?;
            drop(input);
            let Some(limit) = self.0.config.operation_timeout else {
                return self.send_with_retries::<O>(parts, &mut meta, None).await;
            };
            let exceeded = || format!("the operation did not complete within {limit:?}");
            match &self.0.transport {
                Transport::Direct(_) | Transport::Reqwest(_) => {
                    let call = self.send_with_retries::<O>(parts, &mut meta, None);
                    tokio::time::timeout(limit, call)
                        .await
                        .unwrap_or_else(|_| Err(Error::timeout(exceeded())))
                }
                // A blocking exchange cannot be cut short by a timer, and the host keeps its
                // own: they get the deadline.
                Transport::Blocking(_) | Transport::Host(_) => {
                    let exceeded = exceeded();
                    let deadline = (started + limit, exceeded.as_str());
                    self.send_with_retries::<O>(parts, &mut meta, Some(deadline))
                        .await
                }
            }
        }
        .instrument(span.clone())
        .await;
        span.record("latency_ms", started.elapsed().as_millis() as u64);
        if let Err(e) = &result {
            if let Some(status) = e.http_status() {
                span.record("status", status);
            }
            if let Some(id) = e.request_id() {
                span.record("request_id", id);
            }
            tracing::debug!(parent: &span, code = e.code(), "ivschat call failed");
        }
        (result, meta)
    }

    /// The attempts of one call. `deadline` is the operation's, for the transports that take it
    /// as a deadline (blocking, host).
    async fn send_with_retries<O: Operation>(
        &self,
        parts: HttpParts,
        meta: &mut ResponseMetadata,
        deadline: Option<(Instant, &str)>,
    ) -> Result<O::Output, Error> {
        let inner = &*self.0;
        let max = inner.config.retry.max_attempts();
        let quota_on = inner.config.retry.quota;
        let call = Call {
            method: parts.method,
            url: request_url(&inner.config.endpoint, &parts.path, &parts.query),
            body: parts.body.map(Bytes::from),
            invocation_id: invocation_id(),
            max_attempts: max,
        };
        let mut spent = 0;
        let mut attempt = 1;
        loop {
            let attempt_span = tracing::debug_span!(
                "ivschat.attempt",
                attempt,
                status = tracing::field::Empty,
                request_id = tracing::field::Empty,
                latency_ms = tracing::field::Empty,
            );
            let started = Instant::now();
            if let Some((at, exceeded)) = deadline
                && at <= started
            {
                return Err(Error::timeout(exceeded.to_owned()));
            }
            meta.attempts = attempt;
            let outcome = self
                .attempt::<O>(&call, attempt, meta, deadline)
                .instrument(attempt_span.clone())
                .await;
            attempt_span.record("latency_ms", started.elapsed().as_millis() as u64);
            tracing::Span::current().record("attempts", attempt);
            let error = match outcome {
                Ok(output) => {
                    if quota_on {
                        inner.quota.release(spent);
                    }
                    return Ok(output);
                }
                Err(e) => e,
            };
            if let Some(status) = error.http_status() {
                attempt_span.record("status", status);
            }
            if let Some(id) = error.request_id() {
                attempt_span.record("request_id", id);
            }
            let Some(kind) = classify(&error, O::ERRORS).filter(|_| !is_interrupted(&error)) else {
                return Err(error);
            };
            if attempt >= max {
                return Err(error);
            }
            if quota_on {
                match inner.quota.acquire(kind) {
                    Some(cost) => spent += cost,
                    None => {
                        tracing::debug!(code = error.code(), "retry quota exhausted; not retrying");
                        return Err(error);
                    }
                }
            }
            let delay = inner.config.retry.backoff(attempt);
            tracing::debug!(code = error.code(), ?kind, ?delay, attempt, "retrying");
            let left = deadline.map_or(delay, |(at, _)| {
                at.saturating_duration_since(Instant::now())
            });
            match &inner.transport {
                Transport::Direct(_) | Transport::Reqwest(_) => tokio::time::sleep(delay).await,
                Transport::Blocking(blocking) => blocking.sleep(delay.min(left))?,
                Transport::Host(_) => tokio::time::sleep(delay.min(left)).await,
            }
            meta.total_retry_delay += delay;
            attempt += 1;
        }
    }

    async fn attempt<O: Operation>(
        &self,
        call: &Call,
        attempt: u32,
        meta: &mut ResponseMetadata,
        deadline: Option<(Instant, &str)>,
    ) -> Result<O::Output, Error> {
        let inner = &*self.0;
        let now = inner.config.time_source.now();
        let identity = inner.credentials.get(now).await?;
        let mut headers = http::HeaderMap::with_capacity(8);
        inner.signer.sign_into(
            &mut headers,
            &call.method,
            &call.url,
            call.body.as_deref(),
            &identity,
            &inner.config.region,
            now,
        )?;
        headers.insert(USER_AGENT, inner.config.user_agent.clone());
        headers.insert(&INVOCATION_ID, call.invocation_id.clone());
        headers.insert(
            &SDK_REQUEST,
            header_value(&format!("attempt={attempt}; max={}", call.max_attempts))?,
        );

        // The transports that own their sockets get the attempt's limit as a deadline.
        let attempt_limit = match &inner.transport {
            Transport::Direct(_) | Transport::Reqwest(_) => None,
            Transport::Blocking(_) | Transport::Host(_) => inner
                .config
                .attempt_timeout
                .map(|limit| (Instant::now() + limit, attempt_exceeded(limit))),
        };
        let attempt_deadline = attempt_limit
            .as_ref()
            .map(|(at, what)| (*at, what.as_str()));
        let limits = Limits {
            read_timeout: inner.config.read_timeout,
            deadline: earlier(attempt_deadline, deadline),
        };
        let body = call.body.as_deref();
        let read_timeout = inner.config.read_timeout;
        let response = match &inner.transport {
            Transport::Direct(direct) => {
                let exchange =
                    direct.exchange(&call.method, &call.url, &headers, body, read_timeout);
                within(inner.config.attempt_timeout, exchange).await?
            }
            Transport::Reqwest(http) => {
                let mut request = reqwest::Request::new(call.method.clone(), call.url.clone());
                *request.body_mut() = call.body.clone().map(reqwest::Body::from);
                *request.headers_mut() = headers;
                within(
                    inner.config.attempt_timeout,
                    exchange(http, request, read_timeout),
                )
                .await?
            }
            Transport::Blocking(blocking) => {
                blocking.exchange(&call.method, &call.url, &headers, body, limits)?
            }
            Transport::Host(host) => {
                host.exchange(&call.method, &call.url, &headers, body, limits)
                    .await?
            }
        };
        let request_id = response
            .headers
            .get("x-amzn-requestid")
            .and_then(|v| v.to_str().ok());
        meta.http_status = Some(response.status.as_u16());
        meta.request_id = request_id.map(str::to_owned);
        tracing::Span::current().record("status", response.status.as_u16());
        if let Some(id) = request_id {
            tracing::Span::current().record("request_id", id);
        }
        if response.status.is_success() {
            protocol::parse_output(response.status, request_id, &response.body)
        } else {
            Err(protocol::parse_error(
                response.status,
                &response.headers,
                &response.body,
            ))
        }
    }
}

/// An async transport's exchange, cut short by a timer at the attempt's limit.
async fn within(
    limit: Option<Duration>,
    exchange: impl Future<Output = Result<crate::exchange::Response, Error>>,
) -> Result<crate::exchange::Response, Error> {
    match limit {
        Some(limit) => tokio::time::timeout(limit, exchange)
            .await
            .unwrap_or_else(|_| Err(Error::timeout(attempt_exceeded(limit)))),
        None => exchange.await,
    }
}

fn attempt_exceeded(limit: Duration) -> String {
    format!("the attempt did not complete within {limit:?}")
}

/// Whichever deadline comes first (the second on a tie).
fn earlier<'a>(
    a: Option<(Instant, &'a str)>,
    b: Option<(Instant, &'a str)>,
) -> Option<(Instant, &'a str)> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if a.0 < b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

fn header_value(value: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(value)
        .map_err(|_| Error::from(BuildError::other(format!("invalid header value {value:?}"))))
}

/// `endpoint` with the operation's (already percent-encoded) path and query; the endpoint's own
/// path, if any, comes first.
fn request_url(endpoint: &reqwest::Url, path: &str, query: &str) -> reqwest::Url {
    let mut url = endpoint.clone();
    match endpoint.path().trim_end_matches('/') {
        "" => url.set_path(path),
        base => url.set_path(&format!("{base}{path}")),
    }
    url.set_query((!query.is_empty()).then_some(query));
    url
}

/// A random (v4) UUID naming one call's attempts. Uniqueness is all it needs, so it comes from
/// the thread's fast generator rather than a `getrandom` system call per request.
fn invocation_id() -> HeaderValue {
    let id = uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes()).into_uuid();
    let mut text = uuid::Uuid::encode_buffer();
    HeaderValue::from_str(id.hyphenated().encode_lower(&mut text))
        .expect("a UUID is a valid header value")
}

static INVOCATION_ID: http::HeaderName = http::HeaderName::from_static("amz-sdk-invocation-id");
static SDK_REQUEST: http::HeaderName = http::HeaderName::from_static("amz-sdk-request");

/// The connections every `Client` of a `Config` shares: the runtime's own sockets, or reqwest's
/// pool when a proxy is set in the environment. Both use the configuration's TLS settings.
pub(crate) fn shared_http(
    connect_timeout: Duration,
    tls: &TlsSettings,
) -> Result<SharedHttp, Error> {
    Ok(if proxy_in_environment() {
        SharedHttp::Reqwest(http_client(connect_timeout, &*tls.get()?)?)
    } else {
        SharedHttp::Direct(Arc::new(DirectTransport::new(tls.clone(), connect_timeout)))
    })
}

/// reqwest for a proxy: rustls with the `ring` provider and the Mozilla roots (like botocore's
/// certifi bundle), HTTP/1.1 keep-alive pool, no redirects, `HTTP(S)_PROXY` / `NO_PROXY`
/// honoured.
fn http_client(
    connect_timeout: Duration,
    tls: &rustls::ClientConfig,
) -> Result<reqwest::Client, Error> {
    // The read timeout is applied per exchange (`exchange.rs`), not by reqwest.
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls.clone())
        .http1_only()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(connect_timeout)
        .pool_idle_timeout(Duration::from_secs(60))
        .tcp_nodelay(true)
        .build()
        .map_err(|e| Error::construction(format!("could not build the HTTP client: {e}")))
}

/// Whether the environment names a proxy (which only the reqwest transport honours).
fn proxy_in_environment() -> bool {
    ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"]
        .iter()
        .any(|name| {
            [name.to_string(), name.to_lowercase()]
                .iter()
                .any(|n| std::env::var_os(n).is_some_and(|v| !v.is_empty()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invocation_ids_are_distinct_v4_uuids() {
        let ids: std::collections::HashSet<String> = (0..1000)
            .map(|_| invocation_id().to_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids.len(), 1000);
        for id in ids.iter().take(10) {
            let parsed = uuid::Uuid::parse_str(id).unwrap();
            assert_eq!(parsed.get_version_num(), 4, "{id}");
            assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122, "{id}");
            assert_eq!(id.len(), 36);
        }
    }

    #[test]
    fn request_urls_keep_encoded_paths_and_the_endpoint_path() {
        let arn = "arn%3Aaws%3Aivschat%3Aus-east-1%3A123456789012%3Aroom%2FabcdEFGH1234";
        let plain = reqwest::Url::parse("https://ivschat.us-east-1.amazonaws.com").unwrap();
        let url = request_url(&plain, &format!("/tags/{arn}"), "tagKeys=a&tagKeys=b%20c");
        assert_eq!(
            url.as_str(),
            format!("https://ivschat.us-east-1.amazonaws.com/tags/{arn}?tagKeys=a&tagKeys=b%20c")
        );
        let based = reqwest::Url::parse("http://127.0.0.1:4566/prefix/").unwrap();
        assert_eq!(
            request_url(&based, "/GetRoom", "").as_str(),
            "http://127.0.0.1:4566/prefix/GetRoom"
        );
    }
}
