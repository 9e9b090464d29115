//! The client: signs each request (SigV4, `aws-sigv4`), sends it over a pooled keep-alive
//! connection (`reqwest` + rustls/ring), retries in standard mode, enforces timeouts and traces.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue, USER_AGENT};
use tracing::Instrument;

use crate::config::Config;
use crate::credentials::{Credentials, CredentialsCache};
use crate::error::{BuildError, Error};
use crate::protocol::{self, HttpParts, Operation};
use crate::retry::{RetryQuota, classify};

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
                http: config.http.clone(),
                credentials,
                quota: RetryQuota::default(),
                config,
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
    http: reqwest::Client,
    credentials: CredentialsCache,
    quota: RetryQuota,
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
    url: String,
    body: Option<Bytes>,
    invocation_id: String,
    max_attempts: u32,
}

/// One response, read whole.
struct Response {
    status: http::StatusCode,
    headers: http::HeaderMap,
    body: Bytes,
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
            url: match parts.query.is_empty() {
                true => format!("{}{}", inner.config.endpoint_url, parts.path),
                false => format!(
                    "{}{}?{}",
                    inner.config.endpoint_url, parts.path, parts.query
                ),
            },
            body: parts.body.map(Bytes::from),
            invocation_id: uuid::Uuid::new_v4().to_string(),
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
            let delay = inner.config.retry.backoff(attempt);
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
        let credentials = inner.credentials.get(now).await?;
        let mut request = sign_request(
            &call.method,
            &call.url,
            call.body.as_ref(),
            &credentials,
            &inner.config.region,
            now,
        )?;
        let headers = request.headers_mut();
        headers.insert(USER_AGENT, header_value(&inner.config.user_agent)?);
        headers.insert("amz-sdk-invocation-id", header_value(&call.invocation_id)?);
        headers.insert(
            "amz-sdk-request",
            header_value(&format!("attempt={attempt}; max={}", call.max_attempts))?,
        );
        let request = reqwest::Request::try_from(request).map_err(Error::transport)?;

        let exchange = async {
            let response = inner.http.execute(request).await.map_err(transport_error)?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await.map_err(transport_error)?;
            Ok::<_, Error>(Response {
                status,
                headers,
                body,
            })
        };
        let response = match inner.config.attempt_timeout {
            Some(limit) => tokio::time::timeout(limit, exchange)
                .await
                .unwrap_or_else(|_| {
                    Err(Error::timeout(format!(
                        "the attempt did not complete within {limit:?}"
                    )))
                })?,
            None => exchange.await?,
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

fn header_value(value: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(value)
        .map_err(|_| Error::from(BuildError::other(format!("invalid header value {value:?}"))))
}

fn transport_error(e: reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::timeout(format!("timed out: {e}"))
    } else {
        Error::transport(e)
    }
}

/// Signs with SigV4 the way botocore does: signed headers `content-type;host;x-amz-date`
/// (+ `x-amz-security-token`), double-encoded canonical path, no `x-amz-content-sha256`.
pub(crate) fn sign_request(
    method: &http::Method,
    url: &str,
    body: Option<&Bytes>,
    credentials: &Credentials,
    region: &str,
    time: std::time::SystemTime,
) -> Result<http::Request<Bytes>, Error> {
    let signing_failed = |e: &dyn std::fmt::Display| {
        Error::from(BuildError::other(format!(
            "could not sign the request: {e}"
        )))
    };
    let content_type = body.map(|_| ("content-type", "application/json"));
    let payload = body.map(|b| b.as_ref()).unwrap_or_default();
    let signable = SignableRequest::new(
        method.as_str(),
        url,
        content_type.into_iter(),
        SignableBody::Bytes(payload),
    )
    .map_err(|e| signing_failed(&e))?;
    let identity = credentials.to_aws().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("ivschat")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| signing_failed(&e))?
        .into();
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| signing_failed(&e))?
        .into_parts();
    let mut builder = http::Request::builder().method(method.clone()).uri(url);
    if body.is_some() {
        builder = builder.header(CONTENT_TYPE, "application/json");
    }
    let mut request = builder
        .body(body.cloned().unwrap_or_default())
        .map_err(|e| signing_failed(&e))?;
    instructions.apply_to_request_http1x(&mut request);
    Ok(request)
}

/// The HTTP client every `Client` of a `Config` shares: rustls with the `ring` provider and the
/// Mozilla roots (like botocore's certifi bundle), HTTP/1.1 keep-alive pool, no redirects,
/// `HTTP(S)_PROXY` / `NO_PROXY` honoured.
pub(crate) fn http_client(
    connect_timeout: Duration,
    read_timeout: Option<Duration>,
) -> Result<reqwest::Client, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::construction(format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let mut builder = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .http1_only()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(connect_timeout)
        .pool_idle_timeout(Duration::from_secs(60))
        .tcp_nodelay(true);
    if let Some(read) = read_timeout {
        builder = builder.read_timeout(read);
    }
    builder
        .build()
        .map_err(|e| Error::construction(format!("could not build the HTTP client: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// botocore's signatures from spec §5.2 (frozen at 2015-08-30T12:36:00Z), over the exact bytes.
    #[test]
    fn signatures_match_botocore_vectors() {
        let time = std::time::UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        let creds = Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
        );
        let host = "https://ivschat.us-east-1.amazonaws.com";
        let arn = "arn%3Aaws%3Aivschat%3Aus-east-1%3A123456789012%3Aroom%2FabcdEFGH1234";
        let cases: &[(&str, String, Option<&str>, &str, &str)] = &[
            (
                "POST",
                format!("{host}/CreateRoom"),
                Some(r#"{"name": "demo", "maximumMessageLength": 500, "tags": {"env": "dev"}}"#),
                "content-type;host;x-amz-date",
                "c4a54105571de73dc69b7cc59990a8c966bf66a29eab2680310c4f63bdde258c",
            ),
            (
                "POST",
                format!("{host}/ListRooms"),
                Some(r#"{"maxResults": 10}"#),
                "content-type;host;x-amz-date",
                "48623fb50db697da9078612cf4cc12638fc6a1f3aa97955bad090f76335c1d53",
            ),
            (
                "POST",
                format!("{host}/tags/{arn}"),
                Some(r#"{"tags": {"a": "b"}}"#),
                "content-type;host;x-amz-date",
                "0d8240a821a3f95ad05e43893a5ad8b8dc85a2e197f2291aadd0f6b6fd7c58a4",
            ),
            (
                "DELETE",
                format!("{host}/tags/{arn}?tagKeys=a&tagKeys=b"),
                None,
                "host;x-amz-date",
                "45b7d08262a0129f0ae253928c1d0aa9315809ec978b03241726a2764bc1e677",
            ),
            (
                "GET",
                format!("{host}/tags/{arn}"),
                None,
                "host;x-amz-date",
                "cb6b5cb14860847f50b3effcffee01f608bfad2ebb69378b23d50ddeb238c6f9",
            ),
            (
                "POST",
                format!("{host}/CreateChatToken"),
                Some(
                    r#"{"roomIdentifier": "arn:aws:ivschat:us-east-1:123456789012:room/abcdEFGH1234", "userId": "u1", "capabilities": ["SEND_MESSAGE"], "sessionDurationInMinutes": 60, "attributes": {"k": "v"}}"#,
                ),
                "content-type;host;x-amz-date",
                "fcfbb5169d848782a228b88925741ebdce0ea13723f472c819d92d1ee850e520",
            ),
        ];
        for (method, url, body, signed, signature) in cases {
            let method: http::Method = method.parse().unwrap();
            let body = body.map(|b| Bytes::from(b.to_owned()));
            let request =
                sign_request(&method, url, body.as_ref(), &creds, "us-east-1", time).unwrap();
            let auth = request.headers()["authorization"].to_str().unwrap();
            assert_eq!(
                auth,
                format!(
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ivschat/aws4_request, SignedHeaders={signed}, Signature={signature}"
                ),
                "{method} {url}"
            );
            assert_eq!(request.headers()["x-amz-date"], "20150830T123600Z");
            assert!(!request.headers().contains_key("x-amz-content-sha256"));
        }
    }

    #[test]
    fn session_tokens_are_sent_and_signed() {
        let time = std::time::UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        let creds = Credentials::new("AKID", "secret", Some("the-token".into()));
        let body = Bytes::from_static(b"{}");
        let request = sign_request(
            &http::Method::POST,
            "https://ivschat.us-east-1.amazonaws.com/ListRooms",
            Some(&body),
            &creds,
            "us-east-1",
            time,
        )
        .unwrap();
        assert_eq!(request.headers()["x-amz-security-token"], "the-token");
        let auth = request.headers()["authorization"].to_str().unwrap();
        assert!(
            auth.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,"),
            "{auth}"
        );
    }
}
