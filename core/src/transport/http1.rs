//! HTTP/1.1 on pooled keep-alive connections, each exchange driven by the task that makes the
//! call: the request written in one `write`, the response read into one buffer per connection.
//! Heads and chunk sizes are parsed by `httparse` (hyper's parser); connections open through
//! hyper-util's `HttpConnector` (or the hosted loop's sockets) and the proxy the environment names
//! (hyper-util's matcher and `CONNECT` tunnel), then rustls on the `ring` provider.
//!
//! Written here instead of hyper-util's pooled client (a task per connection and one per request,
//! two cross-task wakes per call): `bench/ab/ab.sh a243010` (that client; 2026-12-07, 20 rounds)
//! gives 1.32–1.34× its calls/s at 64 in flight at 0.73–0.76× its CPU per call (multi-thread
//! runtime, two runs); 1.19× and 0.84× on a current-thread one, and 0.90× its CPU per sequential
//! call. ureq-proto (sans-IO) was left: it logs request heads and bodies at `trace` through
//! `log`, session and chat tokens among them.

use std::io::{self, Write as _};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use httparse::Status;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::proxy::matcher::Matcher;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::time::Instant;
use tower_service::Service;
use url::Url;

use super::tls::TlsSettings;
use super::{BoxFuture, Limits, Request, Response, Transport, authority};
use crate::error::Error;

/// At most this many informational (1xx) responses may come before the final one.
const MAX_INFORMATIONAL: u32 = 4;
/// At most this many response headers (boto3 takes at least 65).
const MAX_HEADERS: usize = 128;
/// A response head, or a line of a chunked body, larger than this is refused.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Idle connections older than this are closed; at most `MAX_IDLE` are kept (oldest go first).
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
const MAX_IDLE: usize = 256;
/// Free space offered to each read.
const READ_SIZE: usize = 16 * 1024;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// HTTP/1.1 exchanges on keep-alive connections, pooled per origin and per reactor.
pub(crate) struct Http1Transport {
    connector: Connector,
    idle: Mutex<Vec<Conn>>,
}

/// The reactor a connection's socket is registered with: a pooled connection only serves calls on
/// the same runtime (a binding's blocking calls use a current-thread one, its async calls a
/// multi-thread one) or the same hosted loop.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PoolKey {
    Runtime(tokio::runtime::Id),
    #[cfg(all(unix, feature = "hosted"))]
    Hosted(u64),
}

impl PoolKey {
    /// The hosted loop this task runs on (unless a proxy is to be used), else its runtime.
    fn current(direct: bool) -> Result<Self, Error> {
        #[cfg(all(unix, feature = "hosted"))]
        if direct && let Some(id) = super::hosted::current_id() {
            return Ok(PoolKey::Hosted(id));
        }
        let _ = direct;
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|e| Error::construction(format!("a call needs a tokio runtime: {e}")))?;
        Ok(PoolKey::Runtime(runtime.id()))
    }
}

/// `scheme://host:port`, the port always named: which pooled connections a request may use.
fn origin_of(url: &Url) -> Result<http::Uri, Error> {
    let (scheme, port) = (url.scheme(), url.port_or_known_default());
    let origin = match (scheme, url.host_str(), port) {
        ("http" | "https", Some(host), Some(port)) => format!("{scheme}://{host}:{port}"),
        _ => {
            let what = format!("the endpoint must be an http(s) URL with a host, not {scheme}:…");
            return Err(Error::construction(what));
        }
    };
    http::Uri::try_from(origin).map_err(|e| Error::construction(format!("invalid endpoint: {e}")))
}

impl std::fmt::Debug for Http1Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let timeout = self.connector.connect_timeout;
        f.debug_struct("Http1Transport")
            .field("connect_timeout", &timeout)
            .finish_non_exhaustive()
    }
}

impl Http1Transport {
    /// A pool whose connections open within `connect_timeout`, and whose reads and writes fail
    /// after `read_timeout` without progress. Proxies come from the environment (`HTTPS_PROXY`,
    /// `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, any case).
    pub(crate) fn new(
        tls: TlsSettings,
        connect_timeout: Duration,
        read_timeout: Option<Duration>,
    ) -> Self {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(connect_timeout));
        let proxied = std::env::vars_os().any(|(name, value)| {
            let names = ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"];
            !value.is_empty() && names.iter().any(|n| name.eq_ignore_ascii_case(n))
        });
        let connector = Connector {
            http,
            tls,
            proxies: proxied.then(|| Arc::new(Matcher::from_env())),
            connect_timeout,
            read_timeout,
        };
        let idle = Mutex::new(Vec::new());
        Http1Transport { connector, idle }
    }

    /// The same pool, with these proxies instead of the environment's.
    #[cfg(test)]
    fn with_proxies(mut self, proxies: Matcher) -> Self {
        self.connector.proxies = Some(Arc::new(proxies));
        self
    }

    async fn send(&self, request: Request<'_>, limits: Limits) -> Result<Response, Error> {
        let origin = origin_of(request.url)?;
        let key = PoolKey::current(self.connector.proxies.is_none())?;
        let mut conn = match self.take(key, &origin) {
            Some(conn) => conn,
            None => self.connector.open(origin, key).await?,
        };
        let wire = encode(&request, conn.proxied);
        let head_request = *request.method == http::Method::HEAD;
        let max = limits.max_response_bytes;
        let (response, reusable) = conn.exchange(&wire, head_request, max).await?;
        if reusable {
            let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() == MAX_IDLE {
                idle.remove(0);
            }
            conn.since = std::time::Instant::now();
            idle.push(conn);
        }
        Ok(response)
    }

    /// An idle connection to `origin` for `key` that the server has not closed, closing those
    /// idle too long.
    fn take(&self, key: PoolKey, origin: &http::Uri) -> Option<Conn> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let now = std::time::Instant::now();
        idle.retain(|c| now.duration_since(c.since) < IDLE_TIMEOUT);
        while let Some(at) = idle
            .iter()
            .rposition(|c| c.key == key && c.origin == *origin)
        {
            let mut conn = idle.swap_remove(at);
            if conn.is_open() {
                return Some(conn);
            }
        }
        None
    }
}

impl Transport for Http1Transport {
    fn exchange<'a>(
        &'a self,
        request: Request<'a>,
        limits: Limits,
    ) -> BoxFuture<'a, Result<Response, Error>> {
        Box::pin(self.send(request, limits))
    }
}

/// The request head and body in one buffer (one `write`). The target is in absolute form for a
/// plain HTTP proxy; `host` is the signed authority.
fn encode(request: &Request<'_>, absolute: bool) -> Vec<u8> {
    let (url, body) = (request.url, &request.body);
    let mut out = Vec::with_capacity(1024 + body.len());
    let (method, host) = (request.method.as_str(), authority(url));
    let target = &url[url::Position::BeforePath..url::Position::AfterQuery];
    // Writes to a `Vec` cannot fail.
    let _ = match absolute {
        true => write!(
            out,
            "{method} {}://{host}{target} HTTP/1.1\r\nhost: {host}",
            url.scheme()
        ),
        false => write!(out, "{method} {target} HTTP/1.1\r\nhost: {host}"),
    };
    for (name, value) in &request.headers {
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
    }
    if !body.is_empty() || matches!(*request.method, http::Method::POST | http::Method::PUT) {
        let _ = write!(out, "\r\ncontent-length: {}", body.len());
    }
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(body);
    out
}

/// One connection: its stream, the bytes read from it not yet used, and where it leads.
struct Conn {
    io: Timed,
    input: Vec<u8>,
    /// Requests go to a plain HTTP proxy, in absolute form.
    proxied: bool,
    key: PoolKey,
    origin: http::Uri,
    /// When it was last put back in the pool.
    since: std::time::Instant,
}

impl Conn {
    /// Writes `wire` and reads the whole response: it, and whether the connection can carry
    /// another request.
    async fn exchange(
        &mut self,
        wire: &[u8],
        head_request: bool,
        max: usize,
    ) -> Result<(Response, bool), Error> {
        self.io.write_all(wire).await.map_err(io_error)?;
        self.io.flush().await.map_err(io_error)?;
        let mut informational = 0;
        let head = loop {
            match parse_head(&self.input)? {
                Some((length, head)) => {
                    self.input.drain(..length);
                    let status = head.status.as_u16();
                    if !(100..200).contains(&status) || status == 101 {
                        break head;
                    }
                    informational += 1;
                    if informational > MAX_INFORMATIONAL {
                        let what = format_args!(
                            "more than {MAX_INFORMATIONAL} informational (1xx) responses"
                        );
                        return Err(invalid_response(what));
                    }
                }
                None if self.read().await? > 0 => {}
                None if self.input.is_empty() => return Err(ended("before a response arrived")),
                None => return Err(ended("in the middle of a response head")),
            }
        };
        let mut framing = Framing::of(&head, head_request)?;
        let mut body = Vec::new();
        if let Framing::Length(length) = framing {
            if length > max as u64 {
                return Err(too_large(max));
            }
            // What a content-length promises is not allocated past the default limit up front.
            body.reserve_exact(length.min(super::DEFAULT_MAX_RESPONSE_BYTES as u64) as usize);
        }
        loop {
            let (used, done) = framing.decode(&self.input, &mut body)?;
            self.input.drain(..used);
            if body.len() > max {
                return Err(too_large(max));
            } else if done {
                break;
            } else if used == 0 && self.input.len() > MAX_HEAD_BYTES {
                let what = format_args!("a chunked body line over {MAX_HEAD_BYTES} bytes");
                return Err(invalid_response(what));
            } else if self.read().await? > 0 {
                continue;
            } else if let Framing::UntilClose = framing {
                break;
            }
            return Err(ended("in the middle of a response body"));
        }
        let reusable = head.keep_alive && !matches!(framing, Framing::UntilClose);
        let response = Response {
            status: head.status,
            headers: head.headers,
            body: Bytes::from(body),
        };
        Ok((response, reusable && self.input.is_empty()))
    }

    /// Reads what has arrived onto the end of `input`: how many bytes (0 at the end).
    async fn read(&mut self) -> Result<usize, Error> {
        if self.input.capacity() - self.input.len() < READ_SIZE / 4 {
            self.input.reserve(READ_SIZE);
        }
        self.io.read_buf(&mut self.input).await.map_err(io_error)
    }

    /// Whether the server has left the connection open (no end, no error, no stray bytes).
    fn is_open(&mut self) -> bool {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let mut probe = [0u8; 1];
        let mut buf = ReadBuf::new(&mut probe);
        let polled = Pin::new(&mut self.io.io).poll_read(&mut cx, &mut buf);
        polled.is_pending()
    }
}

/// A response's status line and headers.
struct Head {
    status: http::StatusCode,
    headers: http::HeaderMap,
    keep_alive: bool,
}

/// The head at the start of `input` once it is whole, and its length.
fn parse_head(input: &[u8]) -> Result<Option<(usize, Head)>, Error> {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut slots);
    let length = match parsed.parse(input) {
        Ok(Status::Complete(length)) => length,
        Ok(Status::Partial) if input.len() <= MAX_HEAD_BYTES => return Ok(None),
        Ok(Status::Partial) | Err(httparse::Error::TooManyHeaders) => {
            let what = format_args!(
                "a response head over {MAX_HEAD_BYTES} bytes or {MAX_HEADERS} headers"
            );
            return Err(invalid_response(what));
        }
        Err(e) => return Err(malformed(e)),
    };
    let status = parsed.code.and_then(|c| http::StatusCode::from_u16(c).ok());
    let status = status.ok_or_else(|| malformed("no valid status"))?;
    let mut headers = http::HeaderMap::with_capacity(parsed.headers.len());
    for h in parsed.headers.iter() {
        let name = http::HeaderName::from_bytes(h.name.as_bytes()).map_err(malformed)?;
        headers.append(
            name,
            http::HeaderValue::from_bytes(h.value).map_err(malformed)?,
        );
    }
    let close = headers.get_all(http::header::CONNECTION).iter().any(|v| {
        let tokens = v.to_str().unwrap_or_default().split(',');
        tokens
            .map(str::trim)
            .any(|t| t.eq_ignore_ascii_case("close"))
    });
    let keep_alive = parsed.version == Some(1) && !close;
    Ok(Some((
        length,
        Head {
            status,
            headers,
            keep_alive,
        },
    )))
}

/// How a response body is delimited (RFC 9112, 6.3).
#[derive(Clone, Copy)]
enum Framing {
    /// This many bytes are left.
    Length(u64),
    /// The next chunk size line, this many bytes of a chunk's data (then its CRLF), or trailers.
    ChunkSize,
    ChunkData(u64),
    Trailers,
    UntilClose,
}

impl Framing {
    fn of(head: &Head, head_request: bool) -> Result<Self, Error> {
        let status = head.status.as_u16();
        if head_request || status < 200 || status == 204 || status == 304 {
            return Ok(Framing::Length(0));
        }
        if let Some(codings) = head
            .headers
            .get_all(http::header::TRANSFER_ENCODING)
            .iter()
            .next_back()
        {
            let last = codings.to_str().unwrap_or_default().rsplit(',').next();
            let chunked = last.is_some_and(|c| c.trim().eq_ignore_ascii_case("chunked"));
            return Ok(if chunked {
                Framing::ChunkSize
            } else {
                Framing::UntilClose
            });
        }
        let mut length = None;
        for value in head.headers.get_all(http::header::CONTENT_LENGTH) {
            for n in value.to_str().unwrap_or("?").split(',').map(str::trim) {
                let digits = !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
                let n = n.parse().ok().filter(|_| digits);
                let n = n.ok_or_else(|| malformed("an invalid content-length"))?;
                if length.replace(n).is_some_and(|m| m != n) {
                    return Err(malformed("conflicting content-lengths"));
                }
            }
        }
        Ok(length.map_or(Framing::UntilClose, Framing::Length))
    }

    /// Moves the body bytes at the start of `input` into `body`: the bytes used, and whether the
    /// body has ended.
    fn decode(&mut self, input: &[u8], body: &mut Vec<u8>) -> Result<(usize, bool), Error> {
        let mut used = 0;
        loop {
            let rest = &input[used..];
            (used, *self) = match *self {
                Framing::UntilClose => {
                    body.extend_from_slice(rest);
                    return Ok((input.len(), false));
                }
                Framing::Length(left) => {
                    let n = take(rest, left, body);
                    *self = Framing::Length(left - n as u64);
                    return Ok((used + n, left == n as u64));
                }
                Framing::ChunkData(left) if left > 0 => match take(rest, left, body) {
                    0 => return Ok((used, false)),
                    n => (used + n, Framing::ChunkData(left - n as u64)),
                },
                Framing::ChunkData(_) => match rest.get(..2) {
                    Some(b"\r\n") => (used + 2, Framing::ChunkSize),
                    Some(_) => return Err(malformed("a chunk not ended by CRLF")),
                    None => return Ok((used, false)),
                },
                Framing::ChunkSize => match httparse::parse_chunk_size(rest) {
                    Ok(Status::Complete((n, 0))) => (used + n, Framing::Trailers),
                    Ok(Status::Complete((n, size))) => (used + n, Framing::ChunkData(size)),
                    Ok(Status::Partial) => return Ok((used, false)),
                    Err(_) => return Err(malformed("an invalid chunk size")),
                },
                Framing::Trailers => match rest.windows(2).position(|w| w == b"\r\n") {
                    Some(0) => return Ok((used + 2, true)),
                    Some(at) => (used + at + 2, Framing::Trailers),
                    None => return Ok((used, false)),
                },
            };
        }
    }
}

/// Moves up to `left` bytes of `rest` into `body`: how many.
fn take(rest: &[u8], left: u64, body: &mut Vec<u8>) -> usize {
    let n = rest.len().min(usize::try_from(left).unwrap_or(usize::MAX));
    body.extend_from_slice(&rest[..n]);
    n
}

/// A response this client will not read, named.
fn invalid_response(what: impl std::fmt::Display) -> Error {
    let what = format!("the server sent {what}");
    Error::transport(io::Error::new(io::ErrorKind::InvalidData, what))
}

fn malformed(why: impl std::fmt::Display) -> Error {
    invalid_response(format_args!("a malformed response ({why})"))
}

/// A response body over the limit (not retried: the next answer would be as large).
fn too_large(limit: usize) -> Error {
    Error::response_refused(format!(
        "the server sent a response body over the {limit}-byte limit of this client"
    ))
}

/// The connection closed before the response ended.
fn ended(when: &str) -> Error {
    let what = format!("the connection closed {when}");
    Error::transport(io::Error::new(io::ErrorKind::UnexpectedEof, what))
}

/// An I/O failure after the connection opened: [`Timed`]'s read timeout (it carries its message;
/// the system's `ETIMEDOUT` does not), or another.
fn io_error(e: io::Error) -> Error {
    match e.kind() == io::ErrorKind::TimedOut && e.get_ref().is_some() {
        true => Error::timeout(e.to_string()),
        false => Error::transport(e),
    }
}

/// Opens connections: TCP to the origin or to the proxy the environment names for it (a
/// `CONNECT` tunnel for https), then TLS for https.
struct Connector {
    http: HttpConnector,
    tls: TlsSettings,
    proxies: Option<Arc<Matcher>>,
    connect_timeout: Duration,
    read_timeout: Option<Duration>,
}

impl Connector {
    /// A connection to `origin` for calls of `key`, within the connect timeout.
    async fn open(&self, origin: http::Uri, key: PoolKey) -> Result<Conn, Error> {
        let timeout = self.connect_timeout;
        let failed = match tokio::time::timeout(timeout, self.connect(&origin, key)).await {
            Ok(Ok((io, proxied))) => {
                let (limit, since) = (self.read_timeout, std::time::Instant::now());
                let io = Timed {
                    io,
                    limit,
                    since: None,
                    timer: None,
                };
                let input = Vec::with_capacity(READ_SIZE);
                return Ok(Conn {
                    io,
                    input,
                    proxied,
                    key,
                    origin,
                    since,
                });
            }
            Ok(Err(e)) => e,
            Err(_) => io::Error::from(io::ErrorKind::TimedOut).into(),
        };
        let at = origin.authority().map_or("", |a| a.as_str());
        let chain = std::iter::successors(Some(&*failed as &dyn std::error::Error), |e| e.source());
        let mut why = Vec::new();
        for e in chain {
            if e.downcast_ref::<io::Error>()
                .is_some_and(|e| e.kind() == io::ErrorKind::TimedOut)
            {
                let what =
                    format!("could not connect to {at} within {timeout:?} (connect timeout)");
                return Err(Error::timeout(what));
            }
            why.push(e.to_string());
        }
        let why = format!("could not connect to {at}: {}", why.join(": "));
        Err(Error::transport(io::Error::other(why)))
    }

    /// The stream to `target` (TLS for https), and whether it leads to a plain HTTP proxy.
    async fn connect(
        &self,
        target: &http::Uri,
        key: PoolKey,
    ) -> Result<(Box<dyn Stream>, bool), BoxError> {
        let https = target.scheme_str() == Some("https");
        #[cfg(all(unix, feature = "hosted"))]
        if let PoolKey::Hosted(_) = key {
            let port = target.port_u16().unwrap_or(if https { 443 } else { 80 });
            let tcp = super::hosted::connect(host_of(target), port).await?;
            return Ok((self.secure(tcp, target).await?, false));
        }
        let _ = key;
        let proxy = self.proxies.as_ref().and_then(|m| m.intercept(target));
        let mut http = self.http.clone();
        let tcp = match &proxy {
            None => http.call(target.clone()).await?,
            Some(p) if p.uri().scheme_str() != Some("http") => {
                return Err(format!("the proxy {} is not an http:// proxy", p.uri()).into());
            }
            Some(p) if https => {
                let mut tunnel = Tunnel::new(p.uri().clone(), http);
                if let Some(auth) = p.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                tunnel.call(target.clone()).await?
            }
            Some(p) => http.call(p.uri().clone()).await?,
        };
        let proxied = proxy.is_some() && !https;
        Ok((self.secure(tcp.into_inner(), target).await?, proxied))
    }

    /// `tcp`, or TLS over it for https.
    async fn secure(
        &self,
        tcp: impl Stream + 'static,
        target: &http::Uri,
    ) -> Result<Box<dyn Stream>, BoxError> {
        if target.scheme_str() != Some("https") {
            return Ok(Box::new(tcp));
        }
        let name = ServerName::try_from(host_of(target).to_owned())?;
        let tls = tokio_rustls::TlsConnector::from(self.tls.get()?);
        Ok(Box::new(tls.connect(name, tcp).await?))
    }
}

/// A stream whose reads and writes fail after the read timeout without progress. One timer per
/// connection, moved only when it fires: tokio-io-timeout moved its timer back on every completed
/// read, which woke the runtime's timer driver (and the task, for nothing) on every call
/// (bench/node/RESULTS.md, 2026-12-07).
struct Timed {
    io: Box<dyn Stream>,
    limit: Option<Duration>,
    /// When the wait in progress began, or last made progress.
    since: Option<Instant>,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Timed {
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
                let what = format!("no response bytes arrived for {limit:?} (read timeout)");
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, what)));
            }
            timer.as_mut().reset(since + limit);
        }
        Poll::Pending
    }
}

impl AsyncRead for Timed {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_read(cx, buf);
        this.timed(cx, polled)
    }
}

impl AsyncWrite for Timed {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write(cx, buf);
        this.timed(cx, polled)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_flush(cx);
        this.timed(cx, polled)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// The target's host, an IPv6 literal without its brackets (as name resolution and TLS want it).
fn host_of(target: &http::Uri) -> &str {
    target.host().unwrap_or_default().trim_matches(['[', ']'])
}

/// TCP, or TLS over TCP.
trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls_test_server::{BODY, assert_untrusted, tls_server, trusting};

    #[test]
    fn origins_name_the_port_and_keep_ipv6_brackets() {
        let origin = |url| origin_of(&Url::parse(url).unwrap()).map(|o| o.to_string());
        let aws = "https://IVSCHAT.us-east-1.amazonaws.com/GetRoom";
        assert_eq!(
            origin(aws).unwrap(),
            "https://ivschat.us-east-1.amazonaws.com:443/"
        );
        assert_eq!(
            origin("http://[::1]:4580/x?y").unwrap(),
            "http://[::1]:4580/"
        );
        assert!(origin("ftp://example.com/").is_err());
    }

    /// The body `head` and `rest` frame, fed one byte at a time (every split point), or the error.
    fn framed(head: &str, rest: &[u8]) -> Result<(Vec<u8>, usize), Error> {
        let (_, head) = parse_head(head.as_bytes())?.expect("a whole head");
        let mut framing = Framing::of(&head, false)?;
        let (mut input, mut body) = (Vec::new(), Vec::new());
        for &byte in rest {
            input.push(byte);
            let (used, done) = framing.decode(&input, &mut body)?;
            input.drain(..used);
            if done {
                return Ok((body, input.len()));
            }
        }
        panic!("the body did not end: {:?}", String::from_utf8_lossy(&body));
    }

    #[test]
    fn chunked_bodies_end_at_the_last_chunk_and_trailers_split_anywhere() {
        let head = "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n";
        // RFC 9112 7.1: a chunk extension, a zero-size last chunk, a trailer field, bytes after.
        let rest = b"4;name=v\r\nWiki\r\n0b\r\npedia in \r\n\r\n0\r\nx-t: 1\r\n\r\nNEXT";
        let (body, left) = framed(head, rest).expect("chunked");
        assert_eq!(body, b"Wikipedia in \r\n");
        assert_eq!(left, 0, "nothing is read past the end");
        let bad = framed(head, b"4\r\nWikiXY");
        assert!(bad.unwrap_err().message().contains("not ended by CRLF"));
        let bad = framed(head, b"zz\r\n");
        assert!(bad.unwrap_err().message().contains("invalid chunk size"));
    }

    #[test]
    fn content_lengths_must_be_digits_and_agree() {
        let head = |cl: &str| format!("HTTP/1.1 200 OK\r\ncontent-length: {cl}\r\n\r\n");
        assert_eq!(framed(&head("3, 3"), b"abc").expect("same").0, b"abc");
        for bad in ["3, 4", "+3", "-1", "3a", "", "99999999999999999999"] {
            let err = framed(&head(bad), b"abcd").expect_err(bad);
            assert!(
                err.message().contains("content-length"),
                "{bad}: {}",
                err.message()
            );
        }
    }

    #[test]
    fn heads_that_cannot_be_read_are_named() {
        let too_many = format!("HTTP/1.1 200 OK\r\n{}\r\n", "a: b\r\n".repeat(129));
        let big = format!("HTTP/1.1 200 OK\r\nx: {}", "y".repeat(MAX_HEAD_BYTES));
        for head in [too_many.as_str(), big.as_str()] {
            let err = parse_head(head.as_bytes()).err().expect("refused");
            assert!(
                err.message().contains("response head over"),
                "{}",
                err.message()
            );
        }
        for head in [
            "HTTP/1.1 099 Low\r\n\r\n",
            "HTTP/2 200\r\n\r\n",
            "<html>\r\n\r\n",
        ] {
            let err = parse_head(head.as_bytes()).err().expect("malformed");
            assert!(
                err.message().contains("malformed"),
                "{head}: {}",
                err.message()
            );
        }
        assert!(
            parse_head(b"HTTP/1.1 200 OK\r\nx: y")
                .expect("partial")
                .is_none()
        );
        let (_, head) = parse_head(b"HTTP/1.0 200 OK\r\n\r\n").unwrap().unwrap();
        assert!(!head.keep_alive, "HTTP/1.0 closes");
        let (_, head) = parse_head(b"HTTP/1.1 200 OK\r\nConnection: Keep-Alive, Close\r\n\r\n")
            .unwrap()
            .unwrap();
        assert!(!head.keep_alive, "connection: close");
    }

    async fn post(transport: &Http1Transport, url: &url::Url) -> Result<Response, Error> {
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

    fn transport(cert: rustls::pki_types::CertificateDer<'static>) -> Http1Transport {
        let tls = TlsSettings::fixed(trusting(cert));
        Http1Transport::new(tls, Duration::from_secs(5), Some(Duration::from_secs(5)))
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
