//! Client configuration: region, endpoint, FIPS/dual-stack, credentials, retries, timeouts.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::credentials::{Credentials, ProvideCredentials};
use crate::endpoint;
use crate::error::Error;
use crate::retry::RetryConfig;
use crate::transport::http1::Http1Transport;
use crate::transport::tls::TlsSettings;
use crate::transport::{DEFAULT_MAX_RESPONSE_BYTES, Transport};

/// Where the client reads the time from (signing, credential expiry). Tests freeze it.
pub trait TimeSource: fmt::Debug + Send + Sync {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemTimeSource;

impl TimeSource for SystemTimeSource {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that always reads the same instant.
#[derive(Debug, Clone, Copy)]
pub struct StaticTimeSource(pub SystemTime);

impl TimeSource for StaticTimeSource {
    fn now(&self) -> SystemTime {
        self.0
    }
}

pub use crate::transport::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT};

/// A resolved, immutable configuration. Build one with [`Config::builder`].
#[derive(Clone)]
pub struct Config {
    pub(crate) region: String,
    /// The endpoint every request goes to, parsed once.
    pub(crate) endpoint: url::Url,
    pub(crate) credentials: Arc<dyn ProvideCredentials>,
    pub(crate) retry: RetryConfig,
    pub(crate) connect_timeout: Duration,
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) attempt_timeout: Option<Duration>,
    pub(crate) operation_timeout: Option<Duration>,
    pub(crate) time_source: Arc<dyn TimeSource>,
    pub(crate) user_agent: http::HeaderValue,
    pub(crate) max_response_bytes: usize,
    /// The connections the clients of this configuration share.
    pub(crate) transport: Arc<dyn Transport>,
    /// rustls with the roots trusted (Mozilla's, and any extra ones).
    pub(crate) tls: TlsSettings,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url())
            .field("credentials", &self.credentials)
            .field("retry", &self.retry)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("operation_timeout", &self.operation_timeout)
            .field("user_agent", &self.user_agent)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

impl Config {
    /// A builder with nothing set.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// The signing region.
    pub fn region(&self) -> &str {
        &self.region
    }
    /// The endpoint every request goes to, e.g. `https://ivschat.us-east-1.amazonaws.com`
    /// (as parsed: lower-case host, no default port, no trailing slash).
    pub fn endpoint_url(&self) -> &str {
        self.endpoint.as_str().trim_end_matches('/')
    }
    /// The retry settings.
    pub fn retry_config(&self) -> &RetryConfig {
        &self.retry
    }
    /// The User-Agent sent with every request.
    pub fn user_agent(&self) -> &str {
        // Built from a `&str` and checked visible ASCII (see `build`).
        self.user_agent.to_str().unwrap_or_default()
    }

    /// A pool of connections of its own, with this configuration's TLS settings.
    pub(crate) fn new_transport(&self) -> Arc<dyn Transport> {
        Arc::new(Http1Transport::new(
            self.tls.clone(),
            self.connect_timeout,
            self.read_timeout,
        ))
    }
}

/// Builds a [`Config`]. Unset values come from the environment (`AWS_REGION`,
/// `AWS_DEFAULT_REGION`) and, with the `default-credentials` feature, from the AWS default chain.
#[derive(Default, Clone)]
pub struct ConfigBuilder {
    region: Option<String>,
    endpoint_url: Option<String>,
    use_fips: Option<bool>,
    use_dual_stack: Option<bool>,
    credentials: Option<Arc<dyn ProvideCredentials>>,
    profile_name: Option<String>,
    retry: Option<RetryConfig>,
    connect_timeout: Option<Duration>,
    read_timeout: Option<Option<Duration>>,
    attempt_timeout: Option<Duration>,
    operation_timeout: Option<Duration>,
    time_source: Option<Arc<dyn TimeSource>>,
    user_agent_suffix: Option<String>,
    extra_root_certificates: Option<Vec<u8>>,
    max_response_bytes: Option<usize>,
    region_hint: Option<String>,
}

impl fmt::Debug for ConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigBuilder")
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url)
            .field("credentials", &self.credentials)
            .field("profile_name", &self.profile_name)
            .finish_non_exhaustive()
    }
}

impl ConfigBuilder {
    /// The region, e.g. `us-east-1`. `fips-us-east-1` / `us-east-1-fips` turn FIPS on, as in boto3.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }
    /// Sends every request to this URL (http is allowed, for `ivschat-local`).
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }
    /// Uses the FIPS endpoint of the region.
    pub fn use_fips(mut self, on: bool) -> Self {
        self.use_fips = Some(on);
        self
    }
    /// Uses the dual-stack (IPv4 + IPv6) endpoint of the region.
    pub fn use_dual_stack(mut self, on: bool) -> Self {
        self.use_dual_stack = Some(on);
        self
    }
    /// Static credentials.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(Arc::new(credentials));
        self
    }
    /// A custom credentials provider; its results are cached until shortly before expiry.
    pub fn credentials_provider(mut self, provider: impl ProvideCredentials + 'static) -> Self {
        self.credentials = Some(Arc::new(provider));
        self
    }
    /// A shared custom credentials provider.
    pub fn shared_credentials_provider(mut self, provider: Arc<dyn ProvideCredentials>) -> Self {
        self.credentials = Some(provider);
        self
    }
    /// The profile the default chain reads (instead of `AWS_PROFILE` / `default`).
    pub fn profile_name(mut self, profile: impl Into<String>) -> Self {
        self.profile_name = Some(profile.into());
        self
    }
    /// Retry settings (standard mode, 3 attempts by default).
    pub fn retry_config(mut self, retry: RetryConfig) -> Self {
        self.retry = Some(retry);
        self
    }
    /// Attempts in total, including the first.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.retry = Some(self.retry.unwrap_or_default().with_max_attempts(attempts));
        self
    }
    /// Certificates (PEM) trusted as roots besides Mozilla's, as Node's `NODE_EXTRA_CA_CERTS`
    /// adds to its own: a private CA, or a TLS-inspecting proxy's. They are parsed when the
    /// first TLS connection opens; if they are invalid, the TLS connections fail, saying why.
    pub fn extra_root_certificates(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_root_certificates = Some(pem.into());
        self
    }
    /// The largest response body accepted (16 MiB by default); a larger one fails the call
    /// with an error naming the limit.
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = Some(bytes);
        self
    }
    /// How long to wait for a TCP/TLS connection (3.1 s by default).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }
    /// How long to wait for response bytes (60 s by default, as boto3); `None` waits forever.
    pub fn read_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.read_timeout = Some(timeout);
        self
    }
    /// The limit of one attempt, from sending to the last body byte. Timed-out attempts are retried.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }
    /// The limit of a whole call, retries and backoff included.
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = Some(timeout);
        self
    }
    /// How to set the region, in the caller's language, for the error a missing region gives
    /// (bindings: `region_name="us-east-1"`); the Rust builder call by default.
    pub fn region_hint(mut self, hint: impl Into<String>) -> Self {
        self.region_hint = Some(hint.into());
        self
    }
    /// The clock used for signing (tests freeze it).
    pub fn time_source(mut self, source: impl TimeSource + 'static) -> Self {
        self.time_source = Some(Arc::new(source));
        self
    }
    /// Appended to the User-Agent; bindings add their language here (`lang/python#3.11`).
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Fills in what is unset from the AWS default chain: region from the profile (or IMDS),
    /// credentials from the whole chain. Needs the `default-credentials` feature.
    #[cfg(feature = "default-credentials")]
    pub async fn load_defaults(mut self) -> Self {
        if self.region.is_some() && self.credentials.is_some() {
            return self;
        }
        let tls = TlsSettings::new(self.extra_root_certificates.clone());
        let resolved =
            crate::credentials::default_chain::load(self.profile_name.as_deref(), tls).await;
        if self.region.is_none() {
            self.region = env_region().or(resolved.region);
        }
        if self.credentials.is_none() {
            self.credentials = resolved.provider;
        }
        self
    }

    /// Resolves region, endpoint and credentials. Fails with a clear message when the region is
    /// missing or the options conflict.
    pub fn build(self) -> Result<Config, Error> {
        let hint = self.region_hint.as_deref();
        let region = self.region.or_else(env_region).ok_or_else(|| {
            Error::construction(format!(
                "missing region: set it with {}, the AWS_REGION environment variable, or a \
                 profile's `region`",
                hint.unwrap_or(
                    "Config::builder().region(\"us-east-1\") (or read a profile's with \
                     Client::from_env / ConfigBuilder::load_defaults)"
                )
            ))
        })?;
        let (region, fips_from_region) = endpoint::normalize_fips_region(region.trim());
        if region.is_empty() {
            return Err(Error::construction("the region must not be empty"));
        }
        let use_fips =
            self.use_fips.unwrap_or(false) || fips_from_region || env_flag("AWS_USE_FIPS_ENDPOINT");
        let use_dual_stack = self
            .use_dual_stack
            .unwrap_or_else(|| env_flag("AWS_USE_DUALSTACK_ENDPOINT"));
        let endpoint_override = self
            .endpoint_url
            .or_else(|| std::env::var("AWS_ENDPOINT_URL_IVSCHAT").ok());
        let endpoint = resolve_endpoint(&region, use_fips, use_dual_stack, endpoint_override)?;
        let tls = TlsSettings::new(self.extra_root_certificates);
        let credentials = match self.credentials {
            Some(c) => c,
            None => default_credentials(self.profile_name, &tls)?,
        };
        let mut user_agent = format!(
            "ivschat/{} ua/2.1 os/{} lang/rust",
            crate::VERSION,
            std::env::consts::OS
        );
        if let Some(suffix) = self.user_agent_suffix.filter(|s| !s.is_empty()) {
            user_agent.push(' ');
            user_agent.push_str(&suffix);
        }
        let user_agent = http::HeaderValue::from_str(&user_agent)
            .ok()
            .filter(|v| v.to_str().is_ok())
            .ok_or_else(|| {
                Error::construction(format!(
                    "invalid user agent suffix: {user_agent:?} must be visible ASCII"
                ))
            })?;
        let connect_timeout = self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT);
        let read_timeout = self.read_timeout.unwrap_or(Some(DEFAULT_READ_TIMEOUT));
        Ok(Config {
            transport: Arc::new(Http1Transport::new(
                tls.clone(),
                connect_timeout,
                read_timeout,
            )),
            tls,
            max_response_bytes: self
                .max_response_bytes
                .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
            region,
            endpoint,
            credentials,
            retry: self.retry.unwrap_or_default(),
            connect_timeout,
            read_timeout,
            attempt_timeout: self.attempt_timeout,
            operation_timeout: self.operation_timeout,
            time_source: self
                .time_source
                .unwrap_or_else(|| Arc::new(SystemTimeSource)),
            user_agent,
        })
    }
}

pub(crate) fn env_region() -> Option<String> {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
}

fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v.eq_ignore_ascii_case("true"))
}

fn resolve_endpoint(
    region: &str,
    use_fips: bool,
    use_dual_stack: bool,
    endpoint: Option<String>,
) -> Result<url::Url, Error> {
    let params = endpoint::Params {
        region: Some(region.to_owned()),
        use_fips,
        use_dual_stack,
        endpoint: endpoint.clone(),
    };
    let url = endpoint::resolve(&params).map_err(|e| Error::construction(e.to_string()))?;
    let parsed = url::Url::parse(&url)
        .map_err(|e| Error::construction(format!("invalid endpoint URL {url:?}: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(Error::construction(format!(
            "invalid endpoint URL {url:?}: expected http://host[:port] or https://host[:port]"
        )));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::construction(format!(
            "invalid endpoint URL {url:?}: it must not have a query or fragment"
        )));
    }
    Ok(parsed)
}

#[cfg(feature = "default-credentials")]
fn default_credentials(
    profile: Option<String>,
    tls: &TlsSettings,
) -> Result<Arc<dyn ProvideCredentials>, Error> {
    Ok(Arc::new(LazyDefaultChain {
        profile,
        tls: tls.clone(),
        chain: tokio::sync::OnceCell::new(),
    }))
}

#[cfg(not(feature = "default-credentials"))]
fn default_credentials(
    _profile: Option<String>,
    _tls: &TlsSettings,
) -> Result<Arc<dyn ProvideCredentials>, Error> {
    Err(Error::construction(
        "no credentials: set them with Config::builder().credentials(..) or \
         .credentials_provider(..) (this build has no `default-credentials` feature)",
    ))
}

/// The AWS default chain, built on first use (building it reads files and the environment).
#[cfg(feature = "default-credentials")]
#[derive(Debug)]
struct LazyDefaultChain {
    profile: Option<String>,
    tls: TlsSettings,
    chain: tokio::sync::OnceCell<Option<Arc<dyn ProvideCredentials>>>,
}

#[cfg(feature = "default-credentials")]
impl ProvideCredentials for LazyDefaultChain {
    fn provide_credentials(&self) -> crate::credentials::CredentialsFuture<'_> {
        Box::pin(async move {
            let chain = self
                .chain
                .get_or_init(|| async {
                    crate::credentials::default_chain::load(
                        self.profile.as_deref(),
                        self.tls.clone(),
                    )
                    .await
                    .provider
                })
                .await;
            match chain {
                Some(provider) => provider.provide_credentials().await,
                None => Err(crate::credentials::CredentialsFailure::new(format!(
                    "no credentials found; tried {}",
                    crate::credentials::CHAIN_SOURCES
                ))),
            }
        })
    }
}
