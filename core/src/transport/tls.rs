//! A configuration's TLS settings: rustls with the `ring` provider, the Mozilla roots (and any
//! extra ones, PEM), HTTP/1.1 by ALPN. Built on first use: local endpoints are mostly plain
//! HTTP, and parsing a bundle of extra roots (`NODE_EXTRA_CA_CERTS` is often the system's whole
//! bundle) costs milliseconds. Configurations with the same roots share one build.

use std::sync::{Arc, Mutex, OnceLock};

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::error::Error;

/// The TLS settings every transport of a configuration uses.
#[derive(Clone)]
pub(crate) struct TlsSettings(Arc<Lazy>);

struct Lazy {
    extra: Option<Vec<u8>>,
    built: OnceLock<Result<Arc<rustls::ClientConfig>, String>>,
}

impl std::fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSettings")
            .field("extra_roots", &self.0.extra.is_some())
            .finish_non_exhaustive()
    }
}

impl TlsSettings {
    /// Mozilla's roots, and `extra` (PEM certificates) when given.
    pub(crate) fn new(extra: Option<Vec<u8>>) -> Self {
        TlsSettings(Arc::new(Lazy {
            extra,
            built: OnceLock::new(),
        }))
    }

    /// Settings already built (tests trusting their own certificate).
    #[cfg(test)]
    pub(crate) fn fixed(config: rustls::ClientConfig) -> Self {
        let settings = Self::new(None);
        let _ = settings.0.built.set(Ok(Arc::new(config)));
        settings
    }

    /// The rustls configuration, built at the first call.
    pub(crate) fn get(&self) -> Result<Arc<rustls::ClientConfig>, Error> {
        self.0
            .built
            .get_or_init(|| shared(self.0.extra.as_deref()))
            .clone()
            .map_err(Error::construction)
    }
}

/// A configuration built, and the extra roots it was built with.
type Built = (Option<Vec<u8>>, Arc<rustls::ClientConfig>);

/// The last configuration built, reused for the same extra roots.
fn shared(extra: Option<&[u8]>) -> Result<Arc<rustls::ClientConfig>, String> {
    static LAST: Mutex<Option<Built>> = Mutex::new(None);
    let mut last = LAST.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((roots, config)) = last.as_ref()
        && roots.as_deref() == extra
    {
        return Ok(config.clone());
    }
    let config = Arc::new(build(extra)?);
    *last = Some((extra.map(<[u8]>::to_vec), config.clone()));
    Ok(config)
}

fn build(extra: Option<&[u8]>) -> Result<rustls::ClientConfig, String> {
    // ring, not aws-lc-rs: no cmake or C++ toolchain for mobile cross-builds. rustls 0.23.48
    // deprecates ring's provider for its lack of post-quantum key exchange.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(pem) = extra {
        let invalid = |e: &dyn std::fmt::Display| format!("invalid extra root certificate: {e}");
        let mut added = 0;
        for certificate in CertificateDer::pem_slice_iter(pem) {
            roots
                .add(certificate.map_err(|e| invalid(&e))?)
                .map_err(|e| invalid(&e))?;
            added += 1;
        }
        if added == 0 {
            return Err(invalid(&"no PEM certificate found"));
        }
    }
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tls)
}
