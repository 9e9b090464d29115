//! `credentials_provider=`: a Python callable as an `ivschat::ProvideCredentials` (the core caches
//! its answer until 5 minutes before expiry, one refresh at a time).
//!
//! The callable is `ivschat._credentials.Adapter`, which returns `(access_key_id,
//! secret_access_key, session_token, expiry_epoch_seconds)` whether the user's provider is sync or
//! async. It runs on a blocking thread, never on a runtime worker.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ivschat::credentials::{CredentialsFailure, CredentialsFuture};
use ivschat::{Credentials, ProvideCredentials};
use pyo3::prelude::*;

pub struct PyCredentialsProvider(pub Arc<Py<PyAny>>);

impl std::fmt::Debug for PyCredentialsProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PyCredentialsProvider")
    }
}

type Tuple = (String, String, Option<String>, Option<f64>);

fn call(adapter: &Py<PyAny>) -> Result<Tuple, String> {
    Python::attach(|py| {
        let out = adapter.call0(py).map_err(|e| {
            // The exception's type and message only: never the credentials.
            let kind = e
                .get_type(py)
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default();
            format!("the credentials provider raised {kind}: {}", e.value(py))
        })?;
        out.extract::<Tuple>(py).map_err(|_| {
            "the credentials provider must return ivschat.Credentials, a dict or a tuple \
             (access_key_id, secret_access_key[, session_token[, expiry]])"
                .to_owned()
        })
    })
}

impl ProvideCredentials for PyCredentialsProvider {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        let adapter = self.0.clone();
        Box::pin(async move {
            let joined = tokio::task::spawn_blocking(move || call(&adapter)).await;
            let (ak, sk, token, expiry) = joined
                .map_err(|e| format!("the credentials provider panicked: {e}"))
                .and_then(|r| r)
                .map_err(CredentialsFailure::new)?;
            let mut creds = Credentials::new(ak, sk, token);
            if let Some(at) = expiry.and_then(|s| Duration::try_from_secs_f64(s).ok()) {
                creds = creds.with_expiry(SystemTime::UNIX_EPOCH + at);
            }
            Ok(creds)
        })
    }
}
