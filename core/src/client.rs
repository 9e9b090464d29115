//! The client: signs each request (SigV4, `aws-sigv4`), hands it to the transport
//! (`transport/`), retries in standard mode, enforces the attempt and operation timeouts and
//! traces. Retries, timeouts and the pause between attempts are written here once, whatever the
//! transport.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HeaderValue, USER_AGENT};
use tracing::Instrument;

use crate::config::Config;
use crate::credentials::CredentialsCache;
use crate::error::{BuildError, Error};
use crate::protocol::{self, HttpParts, Operation};
use crate::retry::{RetryQuota, classify};
use crate::signing::Signer;
use crate::transport::{Limits, Request, Response, Transport};

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
                transport: config.transport.clone(),
                credentials,
                quota: Arc::new(RetryQuota::default()),
                config,
                signer: Signer::default(),
            })),
        }
    }

    /// A client sharing this one's configuration, credentials cache and retry quota, with a
    /// connection pool of its own. A pooled connection belongs to the tokio runtime that opened
    /// it, so code that calls from two runtimes (a binding's blocking calls on a current-thread
    /// runtime, its async calls on a multi-thread one) gives each its own pool.
    pub fn with_own_connections(&self) -> Self {
        let inner = &*self.handle.0;
        Self {
            handle: Handle(Arc::new(Inner {
                transport: inner.config.new_transport(),
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
    transport: Arc<dyn Transport>,
    credentials: CredentialsCache,
    quota: Arc<RetryQuota>,
    signer: Signer,
}

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
    url: url::Url,
    body: Bytes,
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
            let call = self.send_with_retries::<O>(parts, &mut meta);
            match self.0.config.operation_timeout {
                Some(limit) => tokio::time::timeout(limit, call).await.unwrap_or_else(|_| {
                    Err(Error::timeout(format!(
                        "the operation did not complete within {limit:?}"
                    )))
                }),
                None => call.await,
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

    /// The attempts of one call.
    async fn send_with_retries<O: Operation>(
        &self,
        parts: HttpParts,
        meta: &mut ResponseMetadata,
    ) -> Result<O::Output, Error> {
        let inner = &*self.0;
        let max = inner.config.retry.max_attempts();
        let quota_on = inner.config.retry.quota;
        let call = Call {
            method: parts.method,
            url: request_url(&inner.config.endpoint, &parts.path, &parts.query),
            body: parts.body.map(Bytes::from).unwrap_or_default(),
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
            meta.attempts = attempt;
            let outcome = self
                .attempt::<O>(&call, attempt, meta)
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
            let Some(kind) = classify(&error, O::ERRORS) else {
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
            let delay = inner.config.retry.backoff(attempt, kind);
            tracing::debug!(code = error.code(), ?kind, ?delay, attempt, "retrying");
            tokio::time::sleep(delay).await;
            meta.total_retry_delay += delay;
            attempt += 1;
        }
    }

    async fn attempt<O: Operation>(
        &self,
        call: &Call,
        attempt: u32,
        meta: &mut ResponseMetadata,
    ) -> Result<O::Output, Error> {
        let inner = &*self.0;
        let now = inner.config.time_source.now();
        let identity = inner.credentials.get(now).await?;
        let mut headers = http::HeaderMap::with_capacity(8);
        inner.signer.sign_into(
            &mut headers,
            &call.method,
            &call.url,
            Some(&call.body[..]).filter(|b| !b.is_empty()),
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
        let request = Request {
            method: &call.method,
            url: &call.url,
            headers,
            body: call.body.clone(),
        };
        let limits = Limits {
            max_response_bytes: inner.config.max_response_bytes,
        };
        let response = within(
            inner.config.attempt_timeout,
            inner.transport.exchange(request, limits),
        )
        .await?;
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

/// An exchange, cut short at the attempt's limit.
async fn within(
    limit: Option<Duration>,
    exchange: impl Future<Output = Result<Response, Error>>,
) -> Result<Response, Error> {
    match limit {
        Some(limit) => tokio::time::timeout(limit, exchange)
            .await
            .unwrap_or_else(|_| {
                Err(Error::timeout(format!(
                    "the attempt did not complete within {limit:?}"
                )))
            }),
        None => exchange.await,
    }
}

fn header_value(value: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(value)
        .map_err(|_| Error::from(BuildError::other(format!("invalid header value {value:?}"))))
}

/// `endpoint` with the operation's (already percent-encoded) path and query; the endpoint's own
/// path, if any, comes first.
fn request_url(endpoint: &url::Url, path: &str, query: &str) -> url::Url {
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
        let plain = url::Url::parse("https://ivschat.us-east-1.amazonaws.com").unwrap();
        let url = request_url(&plain, &format!("/tags/{arn}"), "tagKeys=a&tagKeys=b%20c");
        assert_eq!(
            url.as_str(),
            format!("https://ivschat.us-east-1.amazonaws.com/tags/{arn}?tagKeys=a&tagKeys=b%20c")
        );
        let based = url::Url::parse("http://127.0.0.1:4566/prefix/").unwrap();
        assert_eq!(
            request_url(&based, "/GetRoom", "").as_str(),
            "http://127.0.0.1:4566/prefix/GetRoom"
        );
    }
}
