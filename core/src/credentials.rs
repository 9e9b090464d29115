//! Credentials: static keys, custom providers (cached until shortly before they expire), and the
//! AWS default chain through `aws-config` (feature `default-credentials`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_smithy_runtime_api::client::identity::Identity;

use crate::REDACTED;
use crate::error::Error;

/// AWS credentials. `Debug` never shows the secret key or the session token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    expiry: Option<SystemTime>,
}

impl Credentials {
    /// Long-term or temporary credentials.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token,
            expiry: None,
        }
    }

    /// The same credentials, valid until `expiry`; providers are asked again shortly before.
    pub fn with_expiry(mut self, expiry: SystemTime) -> Self {
        self.expiry = Some(expiry);
        self
    }

    /// The access key id.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }
    /// The secret access key.
    pub fn secret_access_key(&self) -> &str {
        &self.secret_access_key
    }
    /// The session token of temporary credentials.
    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_deref()
    }
    /// When the credentials stop working, if they do.
    pub fn expiry(&self) -> Option<SystemTime> {
        self.expiry
    }

    pub(crate) fn to_aws(&self) -> aws_credential_types::Credentials {
        aws_credential_types::Credentials::new(
            &self.access_key_id,
            &self.secret_access_key,
            self.session_token.clone(),
            self.expiry,
            "ivschat",
        )
    }

    #[cfg(feature = "default-credentials")]
    fn from_aws(c: &aws_credential_types::Credentials) -> Self {
        Self {
            access_key_id: c.access_key_id().to_owned(),
            secret_access_key: c.secret_access_key().to_owned(),
            session_token: c.session_token().map(str::to_owned),
            expiry: c.expiry(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &REDACTED)
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| REDACTED),
            )
            .field("expiry", &self.expiry)
            .finish()
    }
}

/// A boxed future returned by [`ProvideCredentials`].
pub type CredentialsFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Credentials, CredentialsFailure>> + Send + 'a>>;

/// Why a provider could not give credentials. Its message must not contain secrets.
#[derive(Debug)]
pub struct CredentialsFailure {
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl CredentialsFailure {
    /// A failure with a message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }
    /// A failure caused by another error.
    pub fn with_source(
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            message: message.into(),
            source: Some(source.into()),
        }
    }
}

impl fmt::Display for CredentialsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CredentialsFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// A source of credentials (Cognito, a vault, a host callback...). Results are cached by the
/// client until five minutes before their expiry; concurrent calls share one refresh.
pub trait ProvideCredentials: fmt::Debug + Send + Sync {
    /// Returns credentials, or why there are none.
    fn provide_credentials(&self) -> CredentialsFuture<'_>;
}

impl ProvideCredentials for Credentials {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        let credentials = self.clone();
        Box::pin(async move { Ok(credentials) })
    }
}

/// How long before expiry cached credentials are refreshed.
const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);

/// Caches a provider's credentials: a lock-free-ish read on the hot path, one refresh at a time.
#[derive(Clone)]
pub(crate) struct CredentialsCache {
    provider: Arc<dyn ProvideCredentials>,
    /// The signing identity of the last credentials (built once, not per request); it carries
    /// their expiry.
    cached: Arc<std::sync::RwLock<Option<Identity>>>,
    refresh: Arc<tokio::sync::Mutex<()>>,
}

impl fmt::Debug for CredentialsCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialsCache")
            .field("provider", &self.provider)
            .finish()
    }
}

impl CredentialsCache {
    pub(crate) fn new(provider: Arc<dyn ProvideCredentials>) -> Self {
        Self {
            provider,
            cached: Arc::default(),
            refresh: Arc::default(),
        }
    }

    fn fresh(&self, now: SystemTime) -> Option<Identity> {
        let cached = self.cached.read().unwrap_or_else(|e| e.into_inner());
        cached.as_ref().filter(|i| is_fresh(i, now)).cloned()
    }

    /// The signing identity of fresh credentials (cached; a refresh runs one at a time).
    pub(crate) async fn get(&self, now: SystemTime) -> Result<Identity, Error> {
        if let Some(c) = self.fresh(now) {
            return Ok(c);
        }
        let _refreshing = self.refresh.lock().await;
        if let Some(c) = self.fresh(now) {
            return Ok(c);
        }
        let fresh = self.provider.provide_credentials().await.map_err(|e| {
            let message = match e.to_string() {
                none if none.starts_with("no credentials found") => none,
                other => format!("the credentials provider failed: {other}"),
            };
            Error::credentials(message, Some(Box::new(e)))
        })?;
        if fresh.access_key_id.is_empty() || fresh.secret_access_key.is_empty() {
            return Err(Error::credentials(
                "the credentials provider returned an empty access key id or secret access key",
                None,
            ));
        }
        let identity = Identity::from(fresh.to_aws());
        *self.cached.write().unwrap_or_else(|e| e.into_inner()) = Some(identity.clone());
        Ok(identity)
    }
}

fn is_fresh(identity: &Identity, now: SystemTime) -> bool {
    identity
        .expiration()
        .is_none_or(|expiry| now + REFRESH_BEFORE_EXPIRY < expiry)
}

/// Adapts any `aws-credential-types` provider (everything in `aws-config`) to this crate.
#[cfg(feature = "default-credentials")]
#[derive(Debug)]
pub struct AwsProvider(pub aws_credential_types::provider::SharedCredentialsProvider);

#[cfg(feature = "default-credentials")]
impl ProvideCredentials for AwsProvider {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        use aws_credential_types::provider::ProvideCredentials as _;
        Box::pin(async move {
            self.0
                .provide_credentials()
                .await
                .map(|c| Credentials::from_aws(&c))
                .map_err(|e| CredentialsFailure::with_source(describe_aws_error(&e), e))
        })
    }
}

#[cfg(feature = "default-credentials")]
use aws_smithy_types::error::display::DisplayErrorContext;

/// The sources the AWS default chain tries, in order.
#[cfg(feature = "default-credentials")]
pub(crate) const CHAIN_SOURCES: &str = "environment variables (AWS_ACCESS_KEY_ID, \
    AWS_SECRET_ACCESS_KEY), the shared config and credentials files (~/.aws), web identity \
    (AWS_WEB_IDENTITY_TOKEN_FILE), ECS container credentials, EC2 instance metadata (IMDS)";

#[cfg(feature = "default-credentials")]
fn describe_aws_error(e: &aws_credential_types::provider::error::CredentialsError) -> String {
    use aws_credential_types::provider::error::CredentialsError;
    // Every source was tried and none had credentials (IMDS, the last, failing counts too: off
    // EC2 it is refused or unreachable): say so, not what the last one said. The detail stays in
    // the error's source and the debug log.
    let imds_failed = std::error::Error::source(e)
        .is_some_and(|s| s.is::<aws_config::imds::client::error::ImdsError>());
    if matches!(e, CredentialsError::CredentialsNotLoaded(_)) || imds_failed {
        tracing::debug!(error = %DisplayErrorContext(e), "no credentials in the default chain");
        return format!("no credentials found; tried {CHAIN_SOURCES}");
    }
    let mut text = e.to_string();
    if !cfg!(feature = "sso") && format!("{e:?}").contains("feature(s) enabled: sso") {
        text.push_str(" (a profile that signs in with SSO needs ivschat's `sso` cargo feature)");
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

/// The AWS default chain and region, resolved as the AWS SDKs do (environment, shared config and
/// credentials files with profiles, `credential_process`, SSO, web identity, ECS, IMDSv2).
#[cfg(feature = "default-credentials")]
pub(crate) mod default_chain {
    use super::*;

    /// What the default chain found.
    pub(crate) struct Resolved {
        pub region: Option<String>,
        pub provider: Option<Arc<dyn ProvideCredentials>>,
    }

    /// The region (environment, profile, IMDS) and the credentials chain, built from
    /// aws-config's providers directly rather than its whole `SdkConfig` loader, which also
    /// resolves settings this client does not read.
    pub(crate) async fn load(
        profile: Option<&str>,
        tls: crate::transport::tls::TlsSettings,
    ) -> Resolved {
        use aws_config::environment::region::EnvironmentVariableRegionProvider;
        use aws_config::meta::region::RegionProviderChain;
        let config = aws_config::provider_config::ProviderConfig::without_region()
            .with_http_client(crate::transport::smithy::SmithyClient::new(tls));
        let mut profile_region =
            aws_config::profile::region::ProfileFileRegionProvider::builder().configure(&config);
        let mut credentials =
            aws_config::default_provider::credentials::DefaultCredentialsChain::builder();
        if let Some(profile) = profile {
            profile_region = profile_region.profile_name(profile);
            credentials = credentials.profile_name(profile);
        }
        let imds_region = aws_config::imds::region::ImdsRegionProvider::builder()
            .configure(&config)
            .build();
        let region = RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new())
            .or_else(profile_region.build())
            .or_else(imds_region)
            .region()
            .await;
        let chain = credentials
            .configure(config.with_region(region.clone()))
            .build()
            .await;
        let chain = aws_credential_types::provider::SharedCredentialsProvider::new(chain);
        Resolved {
            region: region.map(|r| r.to_string()),
            provider: Some(Arc::new(AwsProvider(chain))),
        }
    }
}
