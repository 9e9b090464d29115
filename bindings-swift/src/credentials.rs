//! Credentials from the app: the `CredentialsProvider` foreign trait (Cognito, a vault...).
//! `StaticCredentials` is a three-line implementation shipped in the Kotlin and Swift packages.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ivschat::credentials::CredentialsFailure;

/// AWS credentials, as a provider returns them.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct Credentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The session token of temporary credentials.
    #[uniffi(default = None)]
    pub session_token: Option<String>,
    /// When the credentials stop working; the client asks again 5 minutes before.
    #[uniffi(default = None)]
    pub expiration: Option<SystemTime>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .field("expiration", &self.expiration)
            .finish()
    }
}

impl Credentials {
    fn to_core(&self) -> ivschat::Credentials {
        let c = ivschat::Credentials::new(
            &self.access_key_id,
            &self.secret_access_key,
            self.session_token.clone(),
        );
        match self.expiration {
            Some(t) => c.with_expiry(t),
            None => c,
        }
    }
}

/// Why a provider has no credentials (Kotlin: `CredentialsProviderException`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
pub enum CredentialsProviderError {
    /// The provider failed; `reason` must not contain secrets.
    Failed { reason: String },
}

impl fmt::Display for CredentialsProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Failed { reason } => f.write_str(reason),
        }
    }
}

impl std::error::Error for CredentialsProviderError {}

impl From<uniffi::UnexpectedUniFFICallbackError> for CredentialsProviderError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Failed { reason: e.reason }
    }
}

/// A source of credentials implemented by the app (for example with Amazon Cognito). The client
/// caches what it returns until 5 minutes before `expiration` and never calls it concurrently
/// for one refresh.
#[uniffi::export(foreign)]
#[async_trait::async_trait]
pub trait CredentialsProvider: Send + Sync {
    /// Returns fresh credentials, or throws `CredentialsProviderError`.
    async fn provide_credentials(&self) -> Result<Credentials, CredentialsProviderError>;
}

/// The app's provider as the core's `ProvideCredentials`, each call bounded by `timeout`: a
/// Kotlin provider that throws an `Error` (not an `Exception`, e.g. `TODO()`) escapes UniFFI's
/// callback handler and never answers.
pub(crate) struct ForeignProvider {
    pub(crate) provider: Arc<dyn CredentialsProvider>,
    pub(crate) timeout: Duration,
}

impl fmt::Debug for ForeignProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CredentialsProvider")
    }
}

impl ivschat::ProvideCredentials for ForeignProvider {
    fn provide_credentials(&self) -> ivschat::credentials::CredentialsFuture<'_> {
        let provider = self.provider.clone();
        let limit = self.timeout;
        Box::pin(async move {
            match tokio::time::timeout(limit, provider.provide_credentials()).await {
                Ok(Ok(credentials)) => Ok(credentials.to_core()),
                Ok(Err(e)) => Err(CredentialsFailure::new(e.to_string())),
                Err(_) => Err(CredentialsFailure::new(format!(
                    "the credentials provider did not answer within {limit:?} (credentialsTimeout)"
                ))),
            }
        })
    }
}
