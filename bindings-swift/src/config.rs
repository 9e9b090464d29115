//! `IvschatConfig`: the client settings as a Kotlin/Swift record, mapped onto the core's
//! `ClientOptions` (one mapping, and one set of defaults, for every binding).

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::credentials::{CredentialsProvider, ForeignProvider};
use crate::error::IvschatError;

/// How to reach the service and sign requests.
#[derive(uniffi::Record)]
pub struct IvschatConfig {
    /// The AWS region, e.g. `us-east-1`; default: the `AWS_REGION` environment variable.
    #[uniffi(default = None)]
    pub region: Option<String>,
    /// Where credentials come from: `StaticCredentials(...)` or the app's own provider.
    pub credentials_provider: Arc<dyn CredentialsProvider>,
    /// A custom endpoint (`http://127.0.0.1:4580` for ivschat-local); default: the region's.
    #[uniffi(default = None)]
    pub endpoint_url: Option<String>,
    /// Use the FIPS endpoint.
    #[uniffi(default = false)]
    pub use_fips: bool,
    /// Use the dual-stack (IPv6) endpoint.
    #[uniffi(default = false)]
    pub use_dual_stack: bool,
    /// Total attempts per call in standard retry mode (default 3; 1 disables retries).
    #[uniffi(default = None)]
    pub max_attempts: Option<u32>,
    /// The base delay of the retry backoff, doubled per retry, with full jitter (default: the
    /// platform's AWS SDK's: 10 ms as the SDK for Kotlin's, 1 s on Apple platforms as the SDK
    /// for Swift's).
    #[uniffi(default = None)]
    pub initial_backoff: Option<Duration>,
    /// Time allowed to connect (default 3.1 s).
    #[uniffi(default = None)]
    pub connect_timeout: Option<Duration>,
    /// Time allowed between bytes of a response (default 60 s; zero: no limit).
    #[uniffi(default = None)]
    pub read_timeout: Option<Duration>,
    /// Time allowed for one attempt, from sending to the response's last byte (default none).
    #[uniffi(default = None)]
    pub attempt_timeout: Option<Duration>,
    /// Time allowed for a whole call, credentials and retries included (default none).
    #[uniffi(default = None)]
    pub operation_timeout: Option<Duration>,
    /// Time allowed for one `provideCredentials()` call (default 10 s).
    #[uniffi(default = None)]
    pub credentials_timeout: Option<Duration>,
    /// The largest response body accepted, in bytes (default 16 MiB).
    #[uniffi(default = None)]
    pub max_response_bytes: Option<u64>,
    /// PEM certificates trusted as roots besides Mozilla's (a private CA, a TLS-inspecting
    /// proxy, a test server).
    #[uniffi(default = None)]
    pub extra_root_certificates: Option<String>,
    /// Appended to the User-Agent, e.g. `app/myapp#1.2`.
    #[uniffi(default = None)]
    pub user_agent_suffix: Option<String>,
}

const DEFAULT_CREDENTIALS_TIMEOUT: Duration = Duration::from_secs(10);

/// The backoff base of each platform's AWS SDK: smithy-swift's `ExponentialBackoffStrategy` on
/// Apple platforms (Swift), smithy-kotlin's `ExponentialBackoffWithJitter` elsewhere (Kotlin on
/// Android and the JVM; it scales by 1.5 where the core doubles).
const DEFAULT_INITIAL_BACKOFF: Duration = if cfg!(target_vendor = "apple") {
    Duration::from_secs(1)
} else {
    Duration::from_millis(10)
};

impl IvschatConfig {
    /// The core configuration these settings describe.
    pub(crate) fn build(self) -> Result<ivschat::Config, IvschatError> {
        let seconds = |d: Option<Duration>| d.map(|d| d.as_secs_f64());
        let mut suffix = format!("md/ivschat-uniffi#{}", env!("CARGO_PKG_VERSION"));
        if let Some(extra) = &self.user_agent_suffix {
            suffix = format!("{suffix} {extra}");
        }
        let region = self.region.filter(|r| !r.trim().is_empty());
        let options = json!({
            "region": region,
            "endpoint_url": self.endpoint_url,
            "use_fips": self.use_fips,
            "use_dual_stack": self.use_dual_stack,
            "max_attempts": self.max_attempts,
            "initial_backoff": seconds(Some(self.initial_backoff.unwrap_or(DEFAULT_INITIAL_BACKOFF))),
            "connect_timeout": seconds(self.connect_timeout),
            "read_timeout": seconds(self.read_timeout),
            "attempt_timeout": seconds(self.attempt_timeout),
            "operation_timeout": seconds(self.operation_timeout),
            "max_response_bytes": self.max_response_bytes,
            "extra_root_certificates": self.extra_root_certificates,
            "user_agent_suffix": suffix,
        });
        let options = ivschat::options::ClientOptions::from_deserializer(options)?;
        let provider = ForeignProvider {
            provider: self.credentials_provider,
            timeout: self
                .credentials_timeout
                .unwrap_or(DEFAULT_CREDENTIALS_TIMEOUT),
        };
        Ok(options
            .into_builder()?
            .region_hint(
                "IvschatConfig(region = \"us-east-1\") (Swift: IvschatConfig(region: \"us-east-1\"))",
            )
            .credentials_provider(provider)
            .build()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::{Credentials, CredentialsProviderError};

    struct NoCredentials;

    #[async_trait::async_trait]
    impl CredentialsProvider for NoCredentials {
        async fn provide_credentials(&self) -> Result<Credentials, CredentialsProviderError> {
            Err(CredentialsProviderError::Failed {
                reason: "unused".into(),
            })
        }
    }

    fn config(initial_backoff: Option<Duration>) -> IvschatConfig {
        IvschatConfig {
            region: Some("us-east-1".into()),
            credentials_provider: Arc::new(NoCredentials),
            endpoint_url: None,
            use_fips: false,
            use_dual_stack: false,
            max_attempts: None,
            initial_backoff,
            connect_timeout: None,
            read_timeout: None,
            attempt_timeout: None,
            operation_timeout: None,
            credentials_timeout: None,
            max_response_bytes: None,
            extra_root_certificates: None,
            user_agent_suffix: None,
        }
    }

    #[test]
    fn backoff_base_defaults_to_the_platform_sdks_and_can_be_set() {
        let default = config(None).build().unwrap();
        let expected = if cfg!(target_vendor = "apple") {
            1000
        } else {
            10
        };
        assert_eq!(
            default.retry_config().initial_backoff(),
            Duration::from_millis(expected)
        );
        let set = config(Some(Duration::from_millis(250))).build().unwrap();
        assert_eq!(
            set.retry_config().initial_backoff(),
            Duration::from_millis(250)
        );
    }
}
