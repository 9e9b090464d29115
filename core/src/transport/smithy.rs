//! The transport as the smithy `HttpClient` that `aws-config` takes, so the default chain's own
//! calls (IMDS, ECS, STS, SSO) travel on the same HTTP stack as the client's.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use bytes::Bytes;

use super::http1::Http1Transport;
use super::tls::TlsSettings;
use super::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, Limits, Request, Transport};
use crate::error::Error;

/// `aws-config`'s HTTP client: one connector per set of timeouts it asks for.
#[derive(Debug, Clone)]
pub(crate) struct SmithyClient {
    tls: TlsSettings,
    connectors: Arc<Mutex<Vec<(Timeouts, SharedHttpConnector)>>>,
}

type Timeouts = (Option<Duration>, Option<Duration>);

impl SmithyClient {
    pub(crate) fn new(tls: TlsSettings) -> Self {
        SmithyClient {
            tls,
            connectors: Arc::default(),
        }
    }
}

impl HttpClient for SmithyClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        let key = (settings.connect_timeout(), settings.read_timeout());
        let mut connectors = self.connectors.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, connector)) = connectors.iter().find(|(k, _)| *k == key) {
            return connector.clone();
        }
        let connect_timeout = key.0.unwrap_or(DEFAULT_CONNECT_TIMEOUT);
        let transport = Http1Transport::new(self.tls.clone(), connect_timeout, key.1);
        let connector = SharedHttpConnector::new(Connector(Arc::new(transport)));
        connectors.push((key, connector.clone()));
        connector
    }
}

#[derive(Debug)]
struct Connector(Arc<Http1Transport>);

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let transport = self.0.clone();
        let limits = Limits {
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        };
        HttpConnectorFuture::new(async move {
            let (method, url, headers, body) = parts(&request).map_err(ConnectorError::user)?;
            let request = Request {
                method: &method,
                url: &url,
                headers,
                body,
            };
            let response = transport
                .exchange(request, limits)
                .await
                .map_err(connector_error)?;
            let status = response
                .status
                .as_u16()
                .try_into()
                .map_err(|e| ConnectorError::other(Box::new(e), None))?;
            let mut out = HttpResponse::new(status, SdkBody::from(response.body));
            for (name, value) in &response.headers {
                if let Ok(value) = value.to_str() {
                    out.headers_mut()
                        .append(name.as_str().to_owned(), value.to_owned());
                }
            }
            Ok(out)
        })
    }
}

type Parts = (http::Method, url::Url, http::HeaderMap, Bytes);

fn parts(request: &HttpRequest) -> Result<Parts, Box<dyn std::error::Error + Send + Sync>> {
    let method = http::Method::from_bytes(request.method().as_bytes())?;
    let url = url::Url::parse(request.uri())?;
    let mut headers = http::HeaderMap::with_capacity(8);
    for (name, value) in request.headers() {
        let name = http::HeaderName::from_bytes(name.as_bytes())?;
        if name != http::header::HOST && name != http::header::CONTENT_LENGTH {
            headers.append(name, http::HeaderValue::from_str(value)?);
        }
    }
    let body = request
        .body()
        .bytes()
        .map(Bytes::copy_from_slice)
        .ok_or("a streaming request body (not supported)")?;
    Ok((method, url, headers, body))
}

fn connector_error(e: Error) -> ConnectorError {
    match e {
        Error::Timeout(_) => ConnectorError::timeout(Box::new(e)),
        _ => ConnectorError::io(Box::new(e)),
    }
}
