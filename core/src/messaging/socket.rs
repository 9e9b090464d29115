//! Dialling one WebSocket: the endpoint rule of the official client, TCP, TLS (the core's rustls
//! settings, `ring` provider) and the tungstenite handshake with the token as the subprotocol.
//!
//! TCP and TLS are done here rather than by tokio-tungstenite's `connect` feature so that the
//! room uses the core's [`TlsSettings`](crate::transport::tls::TlsSettings) (Mozilla roots + extra roots)
//! and no second rustls setup; the WebSocket protocol itself is tungstenite's.

use http::{HeaderValue, Uri};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::{Error as WsError, ProtocolError};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::transport::tls::TlsSettings;

/// A byte stream: plain TCP or TLS over TCP.
pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// An open chat socket.
pub(crate) type Ws = WebSocketStream<Box<dyn Io>>;

/// The WebSocket URL of `region_or_url`, as the official client's `makeWebSocketUrl`: a
/// `ws://` or `wss://` URL is dialled verbatim (path and query kept); anything else must be a
/// region matching `^[a-zA-Z0-9-._~]+$`.
pub(crate) fn endpoint(region_or_url: &str) -> Result<(String, Uri), String> {
    let url = if region_or_url.starts_with("wss://") || region_or_url.starts_with("ws://") {
        region_or_url.to_owned()
    } else {
        let valid = !region_or_url.is_empty()
            && region_or_url
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        if !valid {
            return Err("Region contains invalid characters".to_owned());
        }
        format!("wss://edge.ivschat.{region_or_url}.amazonaws.com")
    };
    let uri: Uri = url
        .parse()
        .map_err(|e| format!("invalid WebSocket URL: {e}"))?;
    if uri.host().is_none_or(str::is_empty) {
        return Err("invalid WebSocket URL: no host".to_owned());
    }
    Ok((url, uri))
}

/// RFC 7230 `tchar`s only: what a subprotocol (the token) may hold (spec §2.5). Header field
/// names are exactly such tokens, so `http`'s own check serves.
pub(crate) fn is_token(s: &str) -> bool {
    http::HeaderName::from_bytes(s.as_bytes()).is_ok()
}

/// Why a dial failed. Messages never hold the token.
#[derive(Debug)]
pub(crate) enum DialError {
    /// The token cannot be a subprotocol: the official client fails without retrying.
    InvalidToken,
    /// Anything else: retried within the attempt budget.
    Failed(String),
}

/// Open a socket to `uri` with `token` as the subprotocol (no deadline here: the caller's).
pub(crate) async fn dial(
    uri: &Uri,
    token: &str,
    tls: &TlsSettings,
    config: WebSocketConfig,
) -> Result<Ws, DialError> {
    if !is_token(token) {
        return Err(DialError::InvalidToken);
    }
    let failed = |what: &str, e: &dyn std::fmt::Display| DialError::Failed(format!("{what}: {e}"));
    let secure = uri.scheme_str() == Some("wss");
    let host = uri.host().unwrap_or_default();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
    let tcp = TcpStream::connect((host, port))
        .await
        .map_err(|e| failed("connect failed", &e))?;
    let _ = tcp.set_nodelay(true);
    let stream: Box<dyn Io> = if secure {
        let config = tls.get().map_err(|e| failed("TLS setup failed", &e))?;
        let name = rustls::pki_types::ServerName::try_from(host.to_owned())
            .map_err(|e| failed("invalid TLS server name", &e))?;
        let stream = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| failed("TLS handshake failed", &e))?;
        Box::new(stream)
    } else {
        Box::new(tcp)
    };
    let mut request = uri
        .clone()
        .into_client_request()
        .map_err(|e| failed("invalid WebSocket request", &e))?;
    let protocol = HeaderValue::from_str(token).map_err(|_| DialError::InvalidToken)?;
    request
        .headers_mut()
        .insert(http::header::SEC_WEBSOCKET_PROTOCOL, protocol);
    match tokio_tungstenite::client_async_with_config(request, stream, Some(config)).await {
        Ok((ws, _)) => Ok(ws),
        Err(WsError::Http(response)) => Err(DialError::Failed(format!(
            "the server refused the WebSocket upgrade: HTTP {}",
            response.status().as_u16()
        ))),
        Err(WsError::Protocol(ProtocolError::SecWebSocketSubProtocolError(_))) => Err(
            DialError::Failed("the server did not echo the chat token subprotocol".to_owned()),
        ),
        Err(e) => Err(failed("WebSocket handshake failed", &e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert_eq!(
            endpoint("us-west-2").unwrap().0,
            "wss://edge.ivschat.us-west-2.amazonaws.com"
        );
        let (_, u) = endpoint("ws://127.0.0.1:9/emulator/rooms/my-room?foo=bar").unwrap();
        assert_eq!(
            u.path_and_query().unwrap().as_str(),
            "/emulator/rooms/my-room?foo=bar"
        );
        assert_eq!(
            endpoint("us west 2").unwrap_err(),
            "Region contains invalid characters"
        );
        assert!(endpoint("http://x").is_err());
        assert!(endpoint("").is_err());
        assert!(is_token("AQICAHg-example_token.1~abc"));
        assert!(!is_token("abc/def=="));
    }
}
