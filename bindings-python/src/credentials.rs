//! Python callables the core calls: `credentials_provider=` as an `ivschat::ProvideCredentials`
//! (the core caches its answer until 5 minutes before expiry, one refresh at a time), and
//! [`call_adapter`], which the chat token provider shares.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ivschat::credentials::{CredentialsFailure, CredentialsFuture};
use ivschat::{Credentials, ProvideCredentials};
use pyo3::prelude::*;

/// Calls an `ivschat._credentials.Adapter` (the user's provider, sync or async, normalized) on a
/// blocking thread, never a runtime worker; a failure names the exception, never the value.
pub async fn call_adapter<T>(adapter: Arc<Py<PyAny>>, what: &'static str) -> Result<T, String>
where
    T: for<'a, 'py> FromPyObject<'a, 'py> + Send + 'static,
{
    let call = move || {
        crate::runtime::attach(|py| {
            let out = adapter.call0(py).map_err(|e| {
                let kind = e
                    .get_type(py)
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default();
                format!("the {what} raised {kind}: {}", e.value(py))
            })?;
            out.extract::<T>(py)
                .map_err(|_| format!("the {what} returned a value of the wrong type"))
        })
        .unwrap_or_else(|| Err(format!("the {what} was not called: Python is exiting")))
    };
    let joined = tokio::task::spawn_blocking(call).await;
    joined.map_err(|e| format!("the {what} panicked: {e}"))?
}

/// (Its `Debug` shows the object's address only.)
#[derive(Debug)]
pub struct PyCredentialsProvider(pub Arc<Py<PyAny>>);

type Tuple = (String, String, Option<String>, Option<f64>);

impl ProvideCredentials for PyCredentialsProvider {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        let adapter = self.0.clone();
        Box::pin(async move {
            let (ak, sk, token, expiry) = call_adapter::<Tuple>(adapter, "credentials provider")
                .await
                .map_err(CredentialsFailure::new)?;
            let mut creds = Credentials::new(ak, sk, token);
            if let Some(at) = expiry.and_then(|s| Duration::try_from_secs_f64(s).ok()) {
                creds = creds.with_expiry(SystemTime::UNIX_EPOCH + at);
            }
            Ok(creds)
        })
    }
}
