//! Client settings by name, as the language bindings receive them (a Python dict, a JavaScript
//! object, a Kotlin record): one mapping onto [`ConfigBuilder`] for every language. Names are
//! snake_case; boto3's (`region_name`, `aws_access_key_id`...) and camelCase spellings are
//! accepted too. Durations are seconds. A misspelt or mistyped setting fails, naming it.

use std::time::{Duration, SystemTime};

use serde::Deserialize;

use crate::credentials::Credentials;
use crate::error::Error;
use crate::retry::RetryConfig;
use crate::{Config, ConfigBuilder};

/// Every client setting a binding can pass. Unset settings keep their defaults.
#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct ClientOptions {
    /// `us-east-1`...
    #[serde(alias = "region_name")]
    pub region: Option<String>,
    /// Sends every request here (ivschat-local, a proxy endpoint).
    #[serde(alias = "endpoint", alias = "endpointUrl")]
    pub endpoint_url: Option<String>,
    /// Static credentials: the access key id.
    #[serde(alias = "aws_access_key_id", alias = "accessKeyId")]
    pub access_key_id: Option<String>,
    /// Static credentials: the secret access key.
    #[serde(alias = "aws_secret_access_key", alias = "secretAccessKey")]
    pub secret_access_key: Option<String>,
    /// Static credentials: the session token.
    #[serde(alias = "aws_session_token", alias = "sessionToken")]
    pub session_token: Option<String>,
    /// When static credentials expire, seconds since the Unix epoch.
    pub expiration: Option<f64>,
    /// The profile of the shared config files the default chain reads.
    #[serde(alias = "profile_name")]
    pub profile: Option<String>,
    /// Use the FIPS endpoint.
    #[serde(alias = "use_fips_endpoint", alias = "useFipsEndpoint")]
    pub use_fips: Option<bool>,
    /// Use the dual-stack endpoint.
    #[serde(alias = "use_dualstack_endpoint", alias = "useDualstackEndpoint")]
    pub use_dual_stack: Option<bool>,
    /// Attempts per call, the first included (3).
    #[serde(alias = "maxAttempts")]
    pub max_attempts: Option<u32>,
    /// The base of the exponential backoff between attempts, seconds.
    #[serde(alias = "initialBackoff")]
    pub initial_backoff: Option<f64>,
    /// The backoff base after a throttling error, seconds (as the initial backoff by default).
    #[serde(alias = "throttlingBackoff")]
    pub throttling_backoff: Option<f64>,
    /// Seconds to open a connection (3.1).
    #[serde(alias = "connectTimeout")]
    pub connect_timeout: Option<f64>,
    /// Seconds to wait for response bytes (60); `0` waits for ever.
    #[serde(alias = "readTimeout")]
    pub read_timeout: Option<f64>,
    /// Seconds one attempt may take, sending to last byte (none).
    #[serde(alias = "attemptTimeout")]
    pub attempt_timeout: Option<f64>,
    /// Seconds a whole call may take, retries included (none).
    #[serde(alias = "operationTimeout")]
    pub operation_timeout: Option<f64>,
    /// Appended to the User-Agent.
    #[serde(alias = "userAgentSuffix")]
    pub user_agent_suffix: Option<String>,
    /// The largest response body accepted (16 MiB).
    #[serde(alias = "maxResponseBytes")]
    pub max_response_bytes: Option<usize>,
    /// PEM certificates trusted besides Mozilla's roots.
    #[serde(alias = "extraRootCertificates")]
    pub extra_root_certificates: Option<String>,
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| crate::REDACTED),
            )
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| crate::REDACTED),
            )
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

impl ClientOptions {
    /// Reads the options from any serde deserializer (a binding's own values, JSON text...),
    /// naming the setting that is unknown or of the wrong type.
    pub fn from_deserializer<'de, D: serde::Deserializer<'de>>(options: D) -> Result<Self, Error> {
        serde_path_to_error::deserialize(options).map_err(|e| {
            let setting = e.path().to_string();
            let why = e.into_inner().to_string();
            Error::construction(if setting == "." {
                format!("invalid client options: {why}")
            } else {
                format!("invalid client option `{setting}`: {why}")
            })
        })
    }

    /// Whether the region must come from the default chain's profile or IMDS: none was given
    /// and the environment names none.
    pub fn needs_default_region(&self) -> bool {
        self.region.is_none() && crate::config::env_region().is_none()
    }

    /// The builder these options describe. Fails on a negative or non-finite duration, or one
    /// of the access key id and secret access key without the other.
    pub fn into_builder(self) -> Result<ConfigBuilder, Error> {
        let mut b = Config::builder();
        if let Some(region) = self.region {
            b = b.region(region);
        }
        if let Some(url) = self.endpoint_url {
            b = b.endpoint_url(url);
        }
        match (self.access_key_id, self.secret_access_key) {
            (Some(id), Some(secret)) => {
                let mut credentials = Credentials::new(id, secret, self.session_token);
                if let Some(at) = seconds(self.expiration, "expiration")? {
                    credentials = credentials.with_expiry(SystemTime::UNIX_EPOCH + at);
                }
                b = b.credentials(credentials);
            }
            (None, None) => {}
            _ => {
                return Err(Error::construction(
                    "the access key id and the secret access key must be given together",
                ));
            }
        }
        if let Some(profile) = self.profile {
            b = b.profile_name(profile);
        }
        if let Some(on) = self.use_fips {
            b = b.use_fips(on);
        }
        if let Some(on) = self.use_dual_stack {
            b = b.use_dual_stack(on);
        }
        let mut retry = RetryConfig::standard();
        if let Some(attempts) = self.max_attempts {
            retry = retry.with_max_attempts(attempts.max(1));
        }
        if let Some(base) = seconds(self.initial_backoff, "initial_backoff")? {
            retry = retry.with_initial_backoff(base);
        }
        if let Some(base) = seconds(self.throttling_backoff, "throttling_backoff")? {
            retry = retry.with_throttling_backoff(base);
        }
        b = b.retry_config(retry);
        if let Some(t) = seconds(self.connect_timeout, "connect_timeout")? {
            b = b.connect_timeout(t);
        }
        if let Some(t) = seconds(self.read_timeout, "read_timeout")? {
            b = b.read_timeout((!t.is_zero()).then_some(t));
        }
        if let Some(t) = seconds(self.attempt_timeout, "attempt_timeout")? {
            b = b.attempt_timeout(t);
        }
        if let Some(t) = seconds(self.operation_timeout, "operation_timeout")? {
            b = b.operation_timeout(t);
        }
        if let Some(suffix) = self.user_agent_suffix {
            b = b.user_agent_suffix(suffix);
        }
        if let Some(bytes) = self.max_response_bytes {
            b = b.max_response_bytes(bytes);
        }
        if let Some(pem) = self.extra_root_certificates {
            b = b.extra_root_certificates(pem.into_bytes());
        }
        Ok(b)
    }
}

fn seconds(value: Option<f64>, name: &str) -> Result<Option<Duration>, Error> {
    match value {
        None => Ok(None),
        Some(s) => Duration::try_from_secs_f64(s).map(Some).map_err(|_| {
            Error::construction(format!(
                "`{name}` must be a non-negative number of seconds, not {s}"
            ))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(json: &str) -> Result<ClientOptions, Error> {
        ClientOptions::from_deserializer(&mut serde_json::Deserializer::from_str(json))
    }

    #[test]
    fn every_spelling_maps_to_the_builder() {
        for json in [
            r#"{"region": "eu-west-1", "endpoint_url": "http://127.0.0.1:1", "access_key_id": "a", "secret_access_key": "b", "operation_timeout": 2.5}"#,
            r#"{"region_name": "eu-west-1", "endpoint_url": "http://127.0.0.1:1", "aws_access_key_id": "a", "aws_secret_access_key": "b", "operation_timeout": 2.5}"#,
            r#"{"region": "eu-west-1", "endpoint": "http://127.0.0.1:1", "accessKeyId": "a", "secretAccessKey": "b", "operationTimeout": 2.5}"#,
        ] {
            let config = options(json)
                .unwrap()
                .into_builder()
                .unwrap()
                .build()
                .unwrap();
            assert_eq!(config.region(), "eu-west-1");
            assert_eq!(config.endpoint_url(), "http://127.0.0.1:1");
            assert_eq!(config.operation_timeout, Some(Duration::from_millis(2500)));
        }
    }

    #[test]
    fn bad_settings_are_named() {
        let err = options(r#"{"regoin": "x"}"#).err().unwrap();
        assert!(err.message().contains("regoin"), "{err}");
        let err = options(r#"{"max_attempts": "three"}"#).err().unwrap();
        assert!(err.message().contains("max_attempts"), "{err}");
        let err = options(r#"{"read_timeout": -1}"#)
            .unwrap()
            .into_builder()
            .err()
            .unwrap();
        assert!(err.message().contains("read_timeout"), "{err}");
        let err = options(r#"{"access_key_id": "a"}"#)
            .unwrap()
            .into_builder()
            .err()
            .unwrap();
        assert!(err.message().contains("together"), "{err}");
    }

    #[test]
    fn a_missing_region_says_how_to_set_it_in_the_callers_language() {
        if crate::config::env_region().is_some() {
            return; // the environment names a region: nothing is missing
        }
        let err = Config::builder()
            .region_hint("ivschat.Client(region_name=\"us-east-1\")")
            .credentials(Credentials::new("a", "b", None))
            .build()
            .err()
            .unwrap();
        assert!(
            err.message().contains("region_name=") && !err.message().contains("builder"),
            "{err}"
        );
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let o = options(r#"{"secret_access_key": "SECRET", "session_token": "TOKEN"}"#).unwrap();
        let text = format!("{o:?}");
        assert!(
            !text.contains("SECRET") && !text.contains("TOKEN"),
            "{text}"
        );
    }
}
