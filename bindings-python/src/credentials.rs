//! `credentials_provider=`: a Python callable as an `ivschat::ProvideCredentials`.
//!
//! The Python side (`ivschat._credentials.Adapter`) turns any callable, sync or async, into a
//! sync one returning `(access_key_id, secret_access_key, session_token, expiry_epoch_seconds)`;
//! it awaits coroutines on the caller's running loop (from another thread) or with
//! `asyncio.run`. Here it is called on a blocking thread: the GIL is taken only there, never on
//! a runtime worker, and the core caches the result (single-flight) until 5 min before expiry.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ivschat::credentials::{CredentialsFailure, CredentialsFuture};
use ivschat::{Credentials, ProvideCredentials};
use pyo3::prelude::*;

pub struct PyCredentialsProvider {
    adapter: Arc<Py<PyAny>>,
    /// Shared by the client's per-thread clients (each has the core's cache in front of this
    /// one): the callback still runs once per refresh, not once per thread.
    cached: std::sync::Mutex<Option<Credentials>>,
    refresh: tokio::sync::Mutex<()>,
}

/// The core's margin: credentials are refreshed 5 minutes before they expire.
const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);

impl PyCredentialsProvider {
    pub fn new(adapter: Py<PyAny>) -> Self {
        Self {
            adapter: Arc::new(adapter),
            cached: std::sync::Mutex::new(None),
            refresh: tokio::sync::Mutex::new(()),
        }
    }

    fn fresh(&self) -> Option<Credentials> {
        let cached = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        cached
            .as_ref()
            .filter(|c| {
                c.expiry()
                    .is_none_or(|e| SystemTime::now() + REFRESH_BEFORE_EXPIRY < e)
            })
            .cloned()
    }
}

impl fmt::Debug for PyCredentialsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PyCredentialsProvider")
    }
}

type Tuple = (String, String, Option<String>, Option<f64>);

impl ProvideCredentials for PyCredentialsProvider {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(async move {
            if let Some(c) = self.fresh() {
                return Ok(c);
            }
            let _refreshing = self.refresh.lock().await;
            if let Some(c) = self.fresh() {
                return Ok(c);
            }
            let creds = self.call_python().await?;
            *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = Some(creds.clone());
            Ok(creds)
        })
    }
}

impl PyCredentialsProvider {
    async fn call_python(&self) -> Result<Credentials, CredentialsFailure> {
        let adapter = self.adapter.clone();
        {
            let joined = tokio::task::spawn_blocking(move || {
                Python::attach(|py| -> Result<Tuple, String> {
                    let out = adapter.call0(py).map_err(|e| {
                        // The exception type and message only: never the credentials.
                        let kind = e
                            .get_type(py)
                            .name()
                            .map(|n| n.to_string())
                            .unwrap_or_default();
                        format!("the credentials provider raised {kind}: {}", e.value(py))
                    })?;
                    out.extract::<Tuple>(py).map_err(|_| {
                        "the credentials provider must return ivschat.Credentials, a dict or a \
                         tuple (access_key_id, secret_access_key[, session_token[, expiry]])"
                            .to_owned()
                    })
                })
            })
            .await;
            let (ak, sk, token, expiry) = match joined {
                Ok(Ok(t)) => t,
                Ok(Err(message)) => return Err(CredentialsFailure::new(message)),
                Err(e) => {
                    return Err(CredentialsFailure::new(format!(
                        "credentials provider: {e}"
                    )));
                }
            };
            let mut creds = Credentials::new(ak, sk, token);
            if let Some(secs) = expiry.filter(|s| s.is_finite() && *s > 0.0) {
                creds = creds.with_expiry(SystemTime::UNIX_EPOCH + Duration::from_secs_f64(secs));
            }
            Ok(creds)
        }
    }
}
