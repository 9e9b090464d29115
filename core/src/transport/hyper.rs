//! HTTP/1.1 on hyper-util's pooled client: keep-alive connections (hyper-util's `HttpConnector`
//! for name resolution and TCP, or the hosted loop's sockets), rustls on the `ring` provider,
//! and the HTTP proxy the environment names (hyper-util's matcher and `CONNECT` tunnel). Written
//! here: the connector that puts these together, and the read timeout (see [`Conn`]): with
//! tokio-io-timeout, `strace -f -c` of 2,500 Node calls counted 2,229 futex calls (a wake of the
//! runtime's timer driver per call), with `Conn` 146; `bench/core` CPU per synchronous call 43.7
//! against 49.2–51.4 µs (2026-12-07, bench/node/RESULTS.md, bench/core/README.md).
//!
//! Driving each connection in the calling task instead of hyper-util's connection tasks was
//! measured and gave nothing (`bench/core`, 2026-12-06: 69,931 against 69,714 calls/s at 64 in
//! flight, 91.8 against 92.7 µs per sequential call), so the maintained pool is used.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls::pki_types::ServerName;
use tokio::time::Instant;
use tower_service::Service;

use super::tls::TlsSettings;
use super::{
    BoxFuture, Limits, MAX_HEAD_BYTES, MAX_HEADERS, MAX_INFORMATIONAL, Origin, Request, Response,
    Transport, authority, connect_error, connect_timeout_error, invalid_response,
    read_timeout_error, too_large,
};
use crate::error::Error;

/// Idle connections older than this are closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Pools kept for this many runtimes at most (the most recently added go on).
const MAX_RUNTIMES: usize = 8;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

type Pool = Client<Connector, Full<Bytes>>;

/// Whose tasks drive a pool's connections.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PoolKey {
    Runtime(tokio::runtime::Id),
    #[cfg(all(unix, feature = "hosted"))]
    Hosted(u64),
}

/// Pools of keep-alive connections, one per tokio runtime (and per hosted loop): a pooled
/// connection is driven by a task of the runtime that opened it, so a call on another runtime (a
/// binding's blocking calls on a current-thread runtime, its async ones on a multi-thread one)
/// must not be given it.
pub(crate) struct HyperTransport {
    connector: Connector,
    pools: Mutex<Vec<(PoolKey, Arc<Pool>)>>,
    connect_timeout: Duration,
}

impl std::fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HyperTransport")
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}

impl HyperTransport {
    /// A pool whose connections open within `connect_timeout`, and whose reads and writes fail
    /// after `read_timeout` without progress.
    pub(crate) fn new(
        tls: TlsSettings,
        connect_timeout: Duration,
        read_timeout: Option<Duration>,
    ) -> Self {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(connect_timeout));
        let connector = Connector {
            http,
            tls,
            proxies: super::proxy_in_environment().then(|| Arc::new(Matcher::from_env())),
            #[cfg(all(unix, feature = "hosted"))]
            hosted: false,
            connect_timeout,
            read_timeout,
        };
        HyperTransport {
            connector,
            pools: Mutex::new(Vec::new()),
            connect_timeout,
        }
    }

    /// The same pools, with these proxies instead of the environment's.
    #[cfg(test)]
    fn with_proxies(mut self, proxies: Matcher) -> Self {
        self.connector.proxies = Some(Arc::new(proxies));
        self
    }

    /// The pool of the hosted loop or runtime this task runs on. Through a proxy, a hosted call
    /// uses the runtime's.
    fn pool(&self) -> Arc<Pool> {
        #[cfg(all(unix, feature = "hosted"))]
        if self.connector.proxies.is_none()
            && let Some((id, executor)) = super::hosted::HostedExecutor::current()
        {
            let connector = || Connector {
                hosted: true,
                ..self.connector.clone()
            };
            return self.pool_for(PoolKey::Hosted(id), executor, connector);
        }
        let runtime = tokio::runtime::Handle::current().id();
        let connector = || self.connector.clone();
        self.pool_for(PoolKey::Runtime(runtime), TokioExecutor::new(), connector)
    }

    /// The pool of `key`, made on first use with `executor` and the connector `connector` makes.
    fn pool_for<E>(
        &self,
        key: PoolKey,
        executor: E,
        connector: impl FnOnce() -> Connector,
    ) -> Arc<Pool>
    where
        E: hyper::rt::Executor<BoxFuture<'static, ()>> + Send + Sync + Clone + 'static,
    {
        let mut pools = self.pools.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, pool)) = pools.iter().find(|(k, _)| *k == key) {
            return pool.clone();
        }
        if pools.len() == MAX_RUNTIMES {
            pools.remove(0);
        }
        let pool = Arc::new(
            Client::builder(executor)
                .pool_timer(TokioTimer::new())
                .pool_idle_timeout(IDLE_TIMEOUT)
                .http1_max_headers(MAX_HEADERS)
                .http1_max_buf_size(MAX_HEAD_BYTES.max(8192))
                // One write of head and body: `sendto` instead of `writev` of two buffers.
                .http1_writev(false)
                .set_host(false)
                .build(connector()),
        );
        pools.push((key, pool.clone()));
        pool
    }

    async fn send(&self, request: Request<'_>, limits: Limits) -> Result<Response, Error> {
        let origin = Origin::of(request.url)?;
        let mut message = http_request(request)?;
        let informational = Arc::new(Informational::default());
        let counter = informational.clone();
        hyper::ext::on_informational(&mut message, move |_| counter.count());
        let response = tokio::select! {
            biased;
            response = self.pool().request(message) => response,
            () = informational.too_many.notified() => {
                let what = format_args!("more than {MAX_INFORMATIONAL} informational (1xx) responses");
                return Err(invalid_response(what));
            }
        };
        let response = response.map_err(|e| self.client_error(&origin, e))?;
        let (parts, mut body) = response.into_parts();
        let max = limits.max_response_bytes;
        let length = hyper::body::Body::size_hint(&body).exact();
        if length.is_some_and(|n| n > max as u64) {
            return Err(too_large(max));
        }
        // One buffer, sized from content-length when there is one: each piece is copied in and
        // dropped, so a body is held about once.
        let mut whole = bytes::BytesMut::with_capacity(length.map_or(0, |n| n as usize));
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| body_error(Box::new(e)))?;
            if let Ok(data) = frame.into_data() {
                if whole.len() + data.len() > max {
                    return Err(too_large(max));
                }
                whole.extend_from_slice(&data);
            }
        }
        let body = whole.freeze();
        Ok(Response {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }

    /// hyper-util's error, named for the user.
    fn client_error(&self, origin: &Origin, e: hyper_util::client::legacy::Error) -> Error {
        if !e.is_connect() {
            return body_error(Box::new(e));
        }
        let timed_out = chain(&e).any(|s| {
            s.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        });
        if timed_out {
            return connect_timeout_error(origin, self.connect_timeout);
        }
        let why = chain(&e)
            .skip(1)
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(": ");
        connect_error(origin, why)
    }
}

impl Transport for HyperTransport {
    fn exchange<'a>(
        &'a self,
        request: Request<'a>,
        limits: Limits,
    ) -> BoxFuture<'a, Result<Response, Error>> {
        Box::pin(self.send(request, limits))
    }
}

/// Informational responses counted, and the signal that there were too many.
#[derive(Default)]
struct Informational {
    seen: AtomicU32,
    too_many: tokio::sync::Notify,
}

impl Informational {
    fn count(&self) {
        if self.seen.fetch_add(1, Ordering::Relaxed) == MAX_INFORMATIONAL {
            self.too_many.notify_one();
        }
    }
}

/// The request as hyper-util takes it: absolute URI, `host` the signed authority.
fn http_request(request: Request<'_>) -> Result<http::Request<Full<Bytes>>, Error> {
    let url = request.url;
    let uri = http::Uri::try_from(url.as_str())
        .map_err(|e| Error::construction(format!("invalid URL {url}: {e}")))?;
    let mut headers = request.headers;
    let host = http::HeaderValue::from_str(authority(url))
        .map_err(|e| Error::construction(format!("invalid host: {e}")))?;
    headers.insert(http::header::HOST, host);
    if !request.body.is_empty() || matches!(*request.method, http::Method::POST | http::Method::PUT)
    {
        headers.insert(http::header::CONTENT_LENGTH, request.body.len().into());
    }
    let mut message = http::Request::new(Full::new(request.body));
    *message.method_mut() = request.method.clone();
    *message.uri_mut() = uri;
    *message.headers_mut() = headers;
    Ok(message)
}

/// A failure after the connection opened: a timeout, a response hyper cannot parse, or the
/// connection's own error.
fn body_error(e: BoxError) -> Error {
    let read_timeout = chain(&*e)
        .filter_map(|s| s.downcast_ref::<std::io::Error>()?.get_ref())
        .find_map(|inner| inner.downcast_ref::<TimedOut>());
    if let Some(TimedOut(limit)) = read_timeout {
        return read_timeout_error(*limit);
    }
    let refused = match chain(&*e).find_map(|s| s.downcast_ref::<hyper::Error>()) {
        Some(h) if h.is_parse_too_large() => Some(invalid_response(format_args!(
            "a response head over {MAX_HEAD_BYTES} bytes or {MAX_HEADERS} headers"
        ))),
        Some(h) if h.is_parse() || h.is_parse_status() => {
            Some(invalid_response(format_args!("a malformed response ({h})")))
        }
        _ => None,
    };
    refused.unwrap_or_else(|| {
        // hyper-util's wrapper ("client error (SendRequest)") tells the user nothing: name what
        // it wraps.
        let what: Vec<_> = chain(&*e)
            .skip_while(|s| s.is::<hyper_util::client::legacy::Error>())
            .map(ToString::to_string)
            .collect();
        match what.is_empty() {
            true => Error::transport(e),
            false => Error::transport(std::io::Error::other(what.join(": "))),
        }
    })
}

fn chain<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(e), |e| e.source())
}

/// The read (or write) timeout passed without progress.
#[derive(Debug)]
struct TimedOut(Duration);

impl std::fmt::Display for TimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no progress for {:?}", self.0)
    }
}

impl std::error::Error for TimedOut {}

/// Opens the connections the pool asks for: TCP to the origin or to the proxy the environment
/// names for it (a `CONNECT` tunnel for https), then TLS for https.
#[derive(Clone)]
struct Connector {
    http: HttpConnector,
    tls: TlsSettings,
    proxies: Option<Arc<Matcher>>,
    /// Sockets on the hosted loop turning on this thread.
    #[cfg(all(unix, feature = "hosted"))]
    hosted: bool,
    connect_timeout: Duration,
    read_timeout: Option<Duration>,
}

impl Service<http::Uri> for Connector {
    type Response = Conn;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<Conn, BoxError>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, target: http::Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            match tokio::time::timeout(this.connect_timeout, this.open(target)).await {
                Ok(opened) => opened,
                Err(_) => Err(std::io::Error::from(std::io::ErrorKind::TimedOut).into()),
            }
        })
    }
}

impl Connector {
    async fn open(mut self, target: http::Uri) -> Result<Conn, BoxError> {
        let https = target.scheme_str() == Some("https");
        let proxy = self.proxies.as_ref().and_then(|m| m.intercept(&target));
        if let Some(p) = &proxy
            && p.uri().scheme_str() != Some("http")
        {
            return Err(format!("the proxy {} is not an http:// proxy", p.uri()).into());
        }
        #[cfg(all(unix, feature = "hosted"))]
        if self.hosted {
            let port = target.port_u16().unwrap_or(if https { 443 } else { 80 });
            let tcp = super::hosted::connect(host_of(&target), port).await?;
            return self.secure(tcp, &target, false).await;
        }
        let tcp = match &proxy {
            None => self.http.call(target.clone()).await?,
            Some(p) if https => {
                let mut tunnel = Tunnel::new(p.uri().clone(), self.http.clone());
                if let Some(auth) = p.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                tunnel.call(target.clone()).await?
            }
            Some(p) => self.http.call(p.uri().clone()).await?,
        };
        self.secure(tcp.into_inner(), &target, proxy.is_some() && !https)
            .await
    }

    /// The connection over `tcp`: TLS for https, under the read and write timeouts.
    async fn secure(
        &self,
        tcp: impl Stream + 'static,
        target: &http::Uri,
        proxied: bool,
    ) -> Result<Conn, BoxError> {
        let stream: Box<dyn Stream> = if target.scheme_str() == Some("https") {
            let name = ServerName::try_from(host_of(target).to_owned())?;
            let config = self.tls.get()?;
            let tls = tokio_rustls::TlsConnector::from(config)
                .connect(name, tcp)
                .await?;
            Box::new(tls)
        } else {
            Box::new(tcp)
        };
        Ok(Conn {
            io: TokioIo::new(stream),
            proxied,
            limit: self.read_timeout,
            since: None,
            flushing: false,
            timer: None,
        })
    }
}

/// One connection as the pool holds it, its reads and writes failing after the read timeout
/// without progress. One timer per connection, moved only when it fires: tokio-io-timeout moved
/// its timer back on every completed read, which woke the runtime's timer driver (and the task,
/// for nothing) on every call (bench/node/RESULTS.md, 2026-12-07).
struct Conn {
    io: TokioIo<Box<dyn Stream>>,
    /// Requests go to a plain HTTP proxy, in absolute form.
    proxied: bool,
    limit: Option<Duration>,
    /// When the wait in progress began, or last made progress.
    since: Option<Instant>,
    /// The last flush was pending.
    flushing: bool,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        Connected::new().proxy(self.proxied)
    }
}

impl Conn {
    /// `polled`, unless it is still pending `limit` after the last progress: a timeout then.
    fn timed<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        let Some(limit) = self.limit.filter(|_| polled.is_pending()) else {
            self.since = None;
            return polled;
        };
        let since = *self.since.get_or_insert_with(Instant::now);
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(since + limit)));
        while timer.as_mut().poll(cx).is_ready() {
            if since.elapsed() >= limit {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    TimedOut(limit),
                )));
            }
            timer.as_mut().reset(since + limit);
        }
        Poll::Pending
    }
}

impl hyper::rt::Read for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        self.timed(cx, polled)
    }
}

impl hyper::rt::Write for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, buf);
        self.timed(cx, polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.timed(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    /// A flush ready at once is no progress: hyper flushes on every turn.
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.io).poll_flush(cx);
        if polled.is_ready() && !self.flushing {
            return polled;
        }
        self.flushing = polled.is_pending();
        self.timed(cx, polled)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// The target's host, an IPv6 literal without its brackets (as name resolution and TLS want it).
fn host_of(target: &http::Uri) -> &str {
    target.host().unwrap_or_default().trim_matches(['[', ']'])
}

/// TCP, or TLS over TCP.
trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin {}

impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin> Stream for T {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls_test_server::{BODY, assert_untrusted, tls_server, trusting};

    async fn post(transport: &HyperTransport, url: &url::Url) -> Result<Response, Error> {
        let method = http::Method::POST;
        let request = Request {
            method: &method,
            url,
            headers: http::HeaderMap::new(),
            body: Bytes::from_static(br#"{"identifier":"abcdEFGH1234"}"#),
        };
        let limits = Limits {
            max_response_bytes: 1024,
        };
        transport.exchange(request, limits).await
    }

    fn transport(cert: rustls::pki_types::CertificateDer<'static>) -> HyperTransport {
        let tls = TlsSettings::fixed(trusting(cert));
        HyperTransport::new(tls, Duration::from_secs(5), Some(Duration::from_secs(5)))
    }

    #[tokio::test]
    async fn https_exchanges_share_one_verified_connection() {
        let (port, cert, server) = tls_server(3);
        let transport = transport(cert);
        let url = url::Url::parse(&format!("https://localhost:{port}/GetRoom")).expect("url");
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

    /// An HTTP proxy that tunnels one `CONNECT` to 127.0.0.1 and reports the request line.
    fn connect_proxy() -> (String, std::thread::JoinHandle<String>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let proxy = std::thread::spawn(move || {
            let (mut client, _) = listener.accept().expect("accept");
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                client.read_exact(&mut byte).expect("head");
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head).into_owned();
            let line = head.lines().next().unwrap_or_default().to_owned();
            let port = line
                .split(':')
                .nth(1)
                .and_then(|p| p.split(' ').next())
                .expect("port");
            let mut server = std::net::TcpStream::connect(("127.0.0.1", port.parse().expect("p")))
                .expect("target");
            client
                .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .expect("answer");
            let (mut c2, mut s2) = (
                client.try_clone().expect("c"),
                server.try_clone().expect("s"),
            );
            let up = std::thread::spawn(move || std::io::copy(&mut c2, &mut s2));
            let _ = std::io::copy(&mut server, &mut client);
            let _ = up.join();
            line
        });
        (url, proxy)
    }

    #[tokio::test]
    async fn https_goes_through_a_connect_tunnel_to_the_proxy_the_rules_name() {
        let (port, cert, server) = tls_server(2);
        let (proxy_url, proxy) = connect_proxy();
        let proxies = Matcher::builder().https(proxy_url).build();
        let transport = transport(cert).with_proxies(proxies);
        let url = url::Url::parse(&format!("https://localhost:{port}/GetRoom")).expect("url");
        for _ in 0..2 {
            let response = post(&transport, &url).await.expect("through the tunnel");
            assert_eq!(&response.body[..], BODY.as_bytes());
        }
        drop(transport);
        let line = tokio::task::spawn_blocking(move || proxy.join().expect("proxy"))
            .await
            .expect("join");
        assert_eq!(line, format!("CONNECT localhost:{port} HTTP/1.1"));
        let connections = tokio::task::spawn_blocking(|| server.join().expect("server"))
            .await
            .expect("join");
        assert_eq!(connections, 1, "one tunnel, kept alive");
    }

    #[cfg(all(unix, feature = "hosted"))]
    #[tokio::test]
    async fn https_on_a_hosted_loop_is_verified_and_kept_alive() {
        let (port, cert, server) = tls_server(3);
        let transport = Arc::new(transport(cert));
        let url = url::Url::parse(&format!("https://localhost:{port}/GetRoom")).expect("url");
        let hosted = crate::HostedLoop::new(tokio::runtime::Handle::current()).expect("loop");
        let (tx, mut rx) = tokio::sync::oneshot::channel();
        hosted.spawn(async move {
            let mut bodies = Vec::new();
            for _ in 0..3 {
                bodies.push(post(&transport, &url).await.map(|r| r.body));
            }
            let _ = tx.send(bodies);
        });
        // The test's thread is the host: it turns the loop until the calls end.
        let bodies = loop {
            hosted.turn();
            match rx.try_recv() {
                Ok(bodies) => break bodies,
                Err(_) => tokio::time::sleep(Duration::from_millis(1)).await,
            }
        };
        for body in bodies {
            assert_eq!(&body.expect("exchange")[..], BODY.as_bytes());
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
        let transport = transport(other);
        let url = url::Url::parse(&format!("https://localhost:{port}/GetRoom")).expect("url");
        let Err(err) = post(&transport, &url).await else {
            panic!("an untrusted certificate was accepted");
        };
        assert_untrusted(&err);
    }
}
