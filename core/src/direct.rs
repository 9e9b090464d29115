//! Async HTTP/1.1 exchanges on the runtime's own sockets: one `write` per request and the
//! response read by the same task, on a pooled keep-alive connection (plain TCP, or
//! `tokio-rustls` with the configuration every transport shares). It is the blocking transport's
//! twin for async calls: reqwest hands each request to a separate connection task (hyper's
//! dispatcher) and back, parses the URL again per request and runs its redirect layer; under load
//! on a small machine that bookkeeping is a third of a call's CPU (`bench/core`). Proxies need
//! reqwest: with one set in the environment the client keeps it.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use reqwest::Url;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use crate::error::Error;
use crate::exchange::Response;
use crate::http1::{self, Origin, ResponseParser, encode_request, read_timeout_error};
use crate::pool::{
    Failure, IdlePool, Pooled, after_read, broken, settled_on_new, settled_on_reused,
};
use crate::tls::TlsSettings;

/// A pool of keep-alive connections driven by the runtime that opened them.
pub(crate) struct DirectTransport {
    tls: TlsSettings,
    connect_timeout: Duration,
    idle: IdlePool<Connection>,
}

impl std::fmt::Debug for DirectTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectTransport")
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}

impl Pooled for Connection {
    fn origin(&self) -> &Origin {
        &self.origin
    }
}

struct Connection {
    origin: Origin,
    stream: Stream,
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl DirectTransport {
    pub(crate) fn new(tls: TlsSettings, connect_timeout: Duration) -> Self {
        DirectTransport {
            tls,
            connect_timeout,
            idle: IdlePool::new(),
        }
    }

    /// Sends one request and reads the whole response; `read_timeout` bounds every wait for
    /// response bytes. Dropping the future closes the connection it was using.
    pub(crate) async fn exchange(
        &self,
        method: &http::Method,
        url: &Url,
        headers: &http::HeaderMap,
        body: Option<&[u8]>,
        read_timeout: Option<Duration>,
    ) -> Result<Response, Error> {
        let origin = Origin::of(url)?;
        let request = encode_request(method, url, headers, body);
        if let Some(connection) = self.idle.take(&origin) {
            let outcome = self
                .exchange_on(connection, true, &request, method, read_timeout)
                .await;
            if let Some(settled) = settled_on_reused(outcome) {
                return settled;
            }
        }
        let connection = self.connect(origin).await?;
        settled_on_new(
            self.exchange_on(connection, false, &request, method, read_timeout)
                .await,
        )
    }

    async fn connect(&self, origin: Origin) -> Result<Connection, Error> {
        let address = (origin.host.as_str(), origin.port);
        let tcp =
            match tokio::time::timeout(self.connect_timeout, TcpStream::connect(address)).await {
                Err(_) => return Err(http1::connect_timeout_error(&origin)),
                Ok(Err(e)) => return Err(http1::connect_error(&origin, e)),
                Ok(Ok(tcp)) => tcp,
            };
        tcp.set_nodelay(true).map_err(Error::transport)?;
        let stream = if origin.tls {
            let name = ServerName::try_from(origin.host.clone())
                .map_err(|e| Error::construction(format!("invalid TLS server name: {e}")))?;
            let config = self
                .tls
                .get()
                .map_err(|e| http1::connect_error(&origin, e.message()))?;
            let handshake = tokio_rustls::TlsConnector::from(config).connect(name, tcp);
            match tokio::time::timeout(self.connect_timeout, handshake).await {
                Err(_) => return Err(http1::connect_timeout_error(&origin)),
                Ok(Err(e)) => return Err(http1::connect_error(&origin, e)),
                Ok(Ok(tls)) => Stream::Tls(Box::new(tls)),
            }
        } else {
            Stream::Plain(tcp)
        };
        Ok(Connection { origin, stream })
    }

    /// One exchange on `connection`; `reused` when it carried an earlier one.
    async fn exchange_on(
        &self,
        mut connection: Connection,
        reused: bool,
        request: &[u8],
        method: &http::Method,
        read_timeout: Option<Duration>,
    ) -> Result<Response, Failure> {
        let written = async {
            connection.stream.write_all(request).await?;
            connection.stream.flush().await
        };
        if let Err(e) = written.await {
            return Err(broken(e, reused, false));
        }
        let mut parser = ResponseParser::new(method);
        let (response, keep_alive) = loop {
            let read = connection.stream.read(parser.spare());
            let read = match read_timeout {
                Some(limit) => match tokio::time::timeout(limit, read).await {
                    Ok(read) => read,
                    Err(_) => return Err(read_timeout_error(limit).into()),
                },
                None => read.await,
            };
            if let Some(done) = after_read(&mut parser, reused, read)? {
                break done;
            }
        };
        if keep_alive {
            self.idle.put(connection);
        }
        Ok(response)
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls_test_server::{BODY, assert_untrusted, tls_server, trusting};

    async fn post(transport: &DirectTransport, url: &Url) -> Result<Response, Error> {
        transport
            .exchange(
                &http::Method::POST,
                url,
                &http::HeaderMap::new(),
                Some(br#"{"identifier":"abcdEFGH1234"}"#),
                Some(Duration::from_secs(5)),
            )
            .await
    }

    #[tokio::test]
    async fn https_exchanges_share_one_verified_connection() {
        let (port, cert, server) = tls_server(3);
        let transport =
            DirectTransport::new(TlsSettings::fixed(trusting(cert)), Duration::from_secs(5));
        let url = Url::parse(&format!("https://localhost:{port}/GetRoom")).expect("url");
        for _ in 0..3 {
            let response = post(&transport, &url).await.expect("exchange");
            assert_eq!(response.status, 200);
            assert_eq!(&response.body[..], BODY.as_bytes());
        }
        let connections = tokio::task::spawn_blocking(|| server.join().expect("server"))
            .await
            .expect("join");
        assert_eq!(connections, 1, "one TLS connection, kept alive");
    }

    #[tokio::test]
    async fn a_certificate_the_client_does_not_trust_fails_the_handshake() {
        let (port, _cert, _server) = tls_server(1);
        let other = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
            .expect("cert")
            .cert
            .der()
            .clone();
        let transport =
            DirectTransport::new(TlsSettings::fixed(trusting(other)), Duration::from_secs(5));
        let url = Url::parse(&format!("https://localhost:{port}/GetRoom")).expect("url");
        let Err(err) = post(&transport, &url).await else {
            panic!("an untrusted certificate was accepted");
        };
        assert_untrusted(&err);
    }
}
