//! Exchanges carried by the host: a binding's event loop opens the connections, writes the
//! bytes and hands back what arrives, while everything else (signing, retries, timeouts'
//! meaning, parsing, errors) stays here. A call polled on the event loop's thread then never
//! crosses threads, which on a small machine is most of its cost. The host may leave the sockets
//! themselves to the core and only report when they are ready ([`crate::polled`]), as the Node
//! addon does with libuv.
//!
//! The host takes [`HostAction`]s from [`HostIo::take_actions`] (it is told through the notify
//! function given to [`Client::with_host_io`](crate::Client::with_host_io) when there are new
//! ones) and reports on each exchange with [`HostIo::feed`], [`HostIo::end`] and
//! [`HostIo::fail`].

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use reqwest::Url;

use crate::error::Error;
use crate::exchange::Response;
use crate::http1::{
    self, Limits, Origin, Parsed, ResponseParser, closed_before_response, encode_request,
    read_timeout_error, remaining,
};
use crate::pool::{Failure, at_end};
use crate::tls::TlsSettings;

/// Called when actions are waiting for the host.
pub type Notify = Arc<dyn Fn() + Send + Sync>;

/// Something the host must do.
#[derive(Debug)]
pub enum HostAction {
    /// Write the request on a connection to its origin, then report what comes back.
    Send(HostRequest),
    /// The exchange's call was dropped (cancelled): close the connection carrying it.
    Abandon(u64),
}

/// One request to write.
#[non_exhaustive]
pub struct HostRequest {
    /// Names the exchange in [`HostIo`]'s reports.
    pub id: u64,
    /// `https`: TLS, verifying the certificate for `host`.
    pub tls: bool,
    /// A name or an IP address (IPv6 without brackets).
    pub host: String,
    /// The port.
    pub port: u16,
    /// The whole request, head and body.
    pub bytes: Bytes,
    /// A new connection must carry it (an idle one was found closed).
    pub fresh: bool,
    /// The longest a new connection may take to open.
    pub connect_timeout: Duration,
    /// The longest wait for the next response bytes ([`HostFailure::ReadTimeout`] after it).
    pub read_timeout: Option<Duration>,
    /// When the attempt must be over ([`HostFailure::Deadline`] after it).
    pub time_left: Option<Duration>,
}

impl std::fmt::Debug for HostRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The bytes carry the signature and any session token.
        f.debug_struct("HostRequest")
            .field("id", &self.id)
            .field("tls", &self.tls)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("bytes", &self.bytes.len())
            .field("fresh", &self.fresh)
            .finish_non_exhaustive()
    }
}

/// What the host does with the connection after [`HostIo::feed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feed {
    /// The response is not complete: keep reading.
    More,
    /// Complete; the connection can carry another request.
    Keep,
    /// Complete (or refused, or abandoned): close the connection.
    Close,
}

/// How an exchange failed on the host's side.
#[derive(Clone, Debug)]
pub enum HostFailure {
    /// The connection could not be opened (refused, unresolvable name, TLS handshake...).
    Connect(String),
    /// The connection did not open within the connect timeout.
    ConnectTimeout,
    /// The open connection failed (reset...).
    Io(String),
    /// The read timeout passed without response bytes.
    ReadTimeout,
    /// The time left passed.
    Deadline,
}

/// The host's side: actions to take, and reports on exchanges.
#[derive(Clone)]
pub struct HostIo {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for HostIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostIo").finish_non_exhaustive()
    }
}

struct Shared {
    state: Mutex<State>,
    next_id: AtomicU64,
    notify: Notify,
    tls: TlsSettings,
}

#[derive(Default)]
struct State {
    actions: Vec<HostAction>,
    exchanges: HashMap<u64, Exchange>,
}

struct Exchange {
    parser: ResponseParser,
    outcome: Option<Outcome>,
    waker: Option<Waker>,
}

enum Outcome {
    Done(Response),
    /// A reused connection failed before any response byte: the server had closed it.
    Stale,
    Failed(Error),
    Host(HostFailure),
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn queue(&self, action: HostAction) {
        self.state().actions.push(action);
        (self.notify)();
    }

    /// Settles exchange `id` (unless it is unknown or settled) and wakes its call.
    fn settle(
        &self,
        id: u64,
        decide: impl FnOnce(&mut ResponseParser) -> (Option<Outcome>, Feed),
    ) -> Feed {
        let mut state = self.state();
        let Some(exchange) = state.exchanges.get_mut(&id).filter(|e| e.outcome.is_none()) else {
            return Feed::Close;
        };
        let (outcome, feed) = decide(&mut exchange.parser);
        let waker = match outcome {
            Some(outcome) => {
                exchange.outcome = Some(outcome);
                exchange.waker.take()
            }
            None => None,
        };
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
        feed
    }
}

impl HostIo {
    /// The client's TLS settings (its trusted roots), for the host's TLS connections.
    pub(crate) fn tls(&self) -> TlsSettings {
        self.shared.tls.clone()
    }

    /// The actions waiting, oldest first.
    pub fn take_actions(&self) -> Vec<HostAction> {
        std::mem::take(&mut self.shared.state().actions)
    }

    /// Bytes that arrived for exchange `id`.
    pub fn feed(&self, id: u64, bytes: &[u8]) -> Feed {
        self.shared.settle(id, |parser| match parser.feed(bytes) {
            Ok(Parsed::More) => (None, Feed::More),
            Ok(Parsed::Done(response, keep_alive)) => (
                Some(Outcome::Done(response)),
                if keep_alive { Feed::Keep } else { Feed::Close },
            ),
            Err(e) => (Some(Outcome::Failed(e)), Feed::Close),
        })
    }

    /// The connection carrying exchange `id` reached its end; `reused` when it carried an
    /// earlier exchange.
    pub fn end(&self, id: u64, reused: bool) {
        self.shared.settle(id, |parser| {
            let outcome = match at_end(parser, reused) {
                Ok(response) => Outcome::Done(response),
                Err(Failure::Stale) => Outcome::Stale,
                Err(Failure::Fatal(e)) => Outcome::Failed(e),
            };
            (Some(outcome), Feed::Close)
        });
    }

    /// Exchange `id` failed; `reused` when its connection carried an earlier exchange.
    pub fn fail(&self, id: u64, failure: HostFailure, reused: bool) {
        self.shared.settle(id, |parser| {
            let stale = reused && !parser.received() && matches!(failure, HostFailure::Io(_));
            let outcome = if stale {
                Outcome::Stale
            } else {
                Outcome::Host(failure)
            };
            (Some(outcome), Feed::Close)
        });
    }
}

/// The client's side of host I/O.
pub(crate) struct HostTransport {
    shared: Arc<Shared>,
    connect_timeout: Duration,
}

impl std::fmt::Debug for HostTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostTransport")
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}

impl HostTransport {
    pub(crate) fn new(
        connect_timeout: Duration,
        tls: TlsSettings,
        notify: Notify,
    ) -> (Self, HostIo) {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            next_id: AtomicU64::new(1),
            notify,
            tls,
        });
        let io = HostIo {
            shared: shared.clone(),
        };
        (
            HostTransport {
                shared,
                connect_timeout,
            },
            io,
        )
    }

    /// Sends one request through the host and waits for the whole response.
    pub(crate) async fn exchange(
        &self,
        method: &http::Method,
        url: &Url,
        headers: &http::HeaderMap,
        body: Option<&[u8]>,
        limits: Limits<'_>,
    ) -> Result<Response, Error> {
        let origin = Origin::of(url)?;
        let bytes = Bytes::from(encode_request(method, url, headers, body));
        let mut fresh = false;
        loop {
            let time_left = match limits.deadline {
                Some((at, what)) => Some(remaining(at, what)?),
                None => None,
            };
            let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
            self.shared.state().exchanges.insert(
                id,
                Exchange {
                    parser: ResponseParser::new(method),
                    outcome: None,
                    waker: None,
                },
            );
            self.shared.queue(HostAction::Send(HostRequest {
                id,
                tls: origin.tls,
                host: origin.host.clone(),
                port: origin.port,
                bytes: bytes.clone(),
                fresh,
                connect_timeout: self.connect_timeout,
                read_timeout: limits.read_timeout,
                time_left,
            }));
            let outcome = Pending {
                shared: &self.shared,
                id,
            }
            .await;
            match outcome {
                Outcome::Done(response) => return Ok(response),
                Outcome::Stale if !fresh => fresh = true,
                Outcome::Stale => return Err(closed_before_response()),
                Outcome::Failed(e) => return Err(e),
                Outcome::Host(failure) => return Err(host_error(failure, &origin, limits)),
            }
        }
    }
}

fn host_error(failure: HostFailure, origin: &Origin, limits: Limits<'_>) -> Error {
    match failure {
        HostFailure::Connect(why) => http1::connect_error(origin, why),
        HostFailure::ConnectTimeout => http1::connect_timeout_error(origin),
        HostFailure::Io(why) => Error::transport(std::io::Error::other(why)),
        HostFailure::ReadTimeout => match limits.read_timeout {
            Some(limit) => read_timeout_error(limit),
            None => Error::timeout("the read timed out"),
        },
        HostFailure::Deadline => match limits.deadline {
            Some((_, what)) => Error::timeout(what.to_owned()),
            None => Error::timeout("the attempt timed out"),
        },
    }
}

/// Waits for exchange `id`'s outcome; dropped early, it abandons the exchange.
struct Pending<'a> {
    shared: &'a Shared,
    id: u64,
}

impl Future for Pending<'_> {
    type Output = Outcome;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        let mut state = self.shared.state();
        let Some(exchange) = state.exchanges.get_mut(&self.id) else {
            return Poll::Ready(Outcome::Failed(closed_before_response()));
        };
        match exchange.outcome.take() {
            Some(outcome) => {
                state.exchanges.remove(&self.id);
                Poll::Ready(outcome)
            }
            None => {
                match &mut exchange.waker {
                    Some(waker) => waker.clone_from(cx.waker()),
                    None => exchange.waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        let mut state = self.shared.state();
        if let Some(exchange) = state.exchanges.remove(&self.id)
            && exchange.outcome.is_none()
        {
            state.actions.push(HostAction::Abandon(self.id));
            drop(state);
            (self.shared.notify)();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;
    use std::time::Instant;

    struct Counter(AtomicUsize);

    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A transport, its host side, and how many times the host was notified.
    fn transport() -> (HostTransport, HostIo, Arc<AtomicUsize>) {
        let notified = Arc::new(AtomicUsize::new(0));
        let counter = notified.clone();
        let tls = TlsSettings::new(None);
        let (transport, io) = HostTransport::new(
            Duration::from_secs(3),
            tls,
            Arc::new(move || {
                counter.fetch_add(1, Ordering::SeqCst);
            }),
        );
        (transport, io, notified)
    }

    fn url() -> Url {
        Url::parse("http://127.0.0.1:4566/GetRoom").unwrap()
    }

    const READ: Duration = Duration::from_millis(700);

    /// Polls `exchange` once with a waker counting its wakes.
    fn poll<F: Future>(exchange: Pin<&mut F>, wakes: &Arc<Counter>) -> Poll<F::Output> {
        let waker = Waker::from(wakes.clone());
        exchange.poll(&mut Context::from_waker(&waker))
    }

    fn sends(io: &HostIo) -> Vec<HostRequest> {
        io.take_actions()
            .into_iter()
            .map(|a| match a {
                HostAction::Send(r) => r,
                other => panic!("expected a send, got {other:?}"),
            })
            .collect()
    }

    static NO_HEADERS: std::sync::LazyLock<http::HeaderMap> =
        std::sync::LazyLock::new(http::HeaderMap::new);

    fn exchange<'a>(
        transport: &'a HostTransport,
        url: &'a Url,
        limits: Limits<'a>,
    ) -> impl Future<Output = Result<Response, Error>> + 'a {
        transport.exchange(&http::Method::POST, url, &NO_HEADERS, Some(b"{}"), limits)
    }

    fn read_limit() -> Limits<'static> {
        Limits {
            read_timeout: Some(READ),
            deadline: None,
        }
    }

    #[test]
    fn a_response_fed_in_pieces_completes_the_exchange_and_keeps_the_connection() {
        let (transport, io, notified) = transport();
        let url = url();
        let wakes = Arc::new(Counter(AtomicUsize::new(0)));
        let mut call = std::pin::pin!(exchange(&transport, &url, read_limit()));
        assert!(poll(call.as_mut(), &wakes).is_pending());
        assert_eq!(notified.load(Ordering::SeqCst), 1);
        let [request] = <[HostRequest; 1]>::try_from(sends(&io)).unwrap();
        assert_eq!(
            (request.tls, request.host.as_str(), request.port),
            (false, "127.0.0.1", 4566)
        );
        assert!(!request.fresh);
        assert_eq!(request.read_timeout, Some(READ));
        assert_eq!(request.time_left, None);
        assert!(
            request
                .bytes
                .starts_with(b"POST /GetRoom HTTP/1.1\r\nhost: 127.0.0.1:4566\r\n")
        );
        assert!(request.bytes.ends_with(b"content-length: 2\r\n\r\n{}"));

        assert_eq!(
            io.feed(request.id, b"HTTP/1.1 200 OK\r\ncontent-le"),
            Feed::More
        );
        assert_eq!(wakes.0.load(Ordering::SeqCst), 0);
        assert_eq!(io.feed(request.id, b"ngth: 2\r\n\r\n{}"), Feed::Keep);
        assert_eq!(wakes.0.load(Ordering::SeqCst), 1);
        let Poll::Ready(Ok(response)) = poll(call.as_mut(), &wakes) else {
            panic!("not complete");
        };
        assert_eq!(
            (response.status.as_u16(), &response.body[..]),
            (200, &b"{}"[..])
        );
        assert_eq!(
            io.feed(request.id, b"late"),
            Feed::Close,
            "a settled exchange"
        );
    }

    #[test]
    fn a_reused_connection_found_closed_is_replaced_once_by_a_fresh_one() {
        let (transport, io, _) = transport();
        let url = url();
        let wakes = Arc::new(Counter(AtomicUsize::new(0)));
        let mut call = std::pin::pin!(exchange(&transport, &url, read_limit()));
        assert!(poll(call.as_mut(), &wakes).is_pending());
        let first = sends(&io).remove(0);
        io.fail(first.id, HostFailure::Io("reset".into()), true);
        assert!(poll(call.as_mut(), &wakes).is_pending());
        let second = sends(&io).remove(0);
        assert!(second.fresh);
        assert_eq!(second.bytes, first.bytes);
        io.end(second.id, false);
        let Poll::Ready(Err(e)) = poll(call.as_mut(), &wakes) else {
            panic!("a fresh connection closing early must fail the exchange");
        };
        assert!(
            e.message().contains("closed before a response arrived"),
            "{e}"
        );
    }

    #[test]
    fn failures_after_response_bytes_or_on_new_connections_are_errors() {
        let (transport, io, _) = transport();
        let url = url();
        let wakes = Arc::new(Counter(AtomicUsize::new(0)));
        let mut call = std::pin::pin!(exchange(&transport, &url, read_limit()));
        assert!(poll(call.as_mut(), &wakes).is_pending());
        let request = sends(&io).remove(0);
        assert_eq!(io.feed(request.id, b"HTTP/1.1 200 OK\r\n"), Feed::More);
        io.fail(request.id, HostFailure::Io("connection reset".into()), true);
        let Poll::Ready(Err(e)) = poll(call.as_mut(), &wakes) else {
            panic!("a connection failing mid-response was replaced");
        };
        assert_eq!(e.code(), "ConnectionError");
        assert!(e.message().contains("connection reset"), "{e}");
    }

    #[test]
    fn host_failures_become_the_errors_the_other_transports_give() {
        let cases = [
            (
                HostFailure::Connect("ECONNREFUSED".into()),
                "ConnectionError",
                "could not connect to 127.0.0.1:4566: ECONNREFUSED",
            ),
            (
                HostFailure::ConnectTimeout,
                "Timeout",
                "timed out connecting to 127.0.0.1:4566",
            ),
            (
                HostFailure::ReadTimeout,
                "Timeout",
                "no response bytes arrived for 700ms (read timeout)",
            ),
            (
                HostFailure::Deadline,
                "Timeout",
                "the attempt did not complete within 2s",
            ),
        ];
        for (failure, code, message) in cases {
            let (transport, io, _) = transport();
            let url = url();
            let wakes = Arc::new(Counter(AtomicUsize::new(0)));
            let limits = Limits {
                read_timeout: Some(READ),
                deadline: Some((
                    Instant::now() + Duration::from_secs(60),
                    "the attempt did not complete within 2s",
                )),
            };
            let mut call = std::pin::pin!(exchange(&transport, &url, limits));
            assert!(poll(call.as_mut(), &wakes).is_pending());
            let request = sends(&io).remove(0);
            let left = request.time_left.expect("a deadline");
            assert!(left > Duration::from_secs(59) && left <= Duration::from_secs(60));
            io.fail(request.id, failure, false);
            let Poll::Ready(Err(e)) = poll(call.as_mut(), &wakes) else {
                panic!("not failed");
            };
            assert_eq!((e.code(), e.message()), (code, message));
        }
    }

    #[test]
    fn a_dropped_exchange_is_abandoned_and_its_late_bytes_refused() {
        let (transport, io, notified) = transport();
        let url = url();
        let wakes = Arc::new(Counter(AtomicUsize::new(0)));
        let mut call = Box::pin(exchange(&transport, &url, read_limit()));
        assert!(poll(call.as_mut(), &wakes).is_pending());
        let request = sends(&io).remove(0);
        drop(call);
        assert_eq!(notified.load(Ordering::SeqCst), 2);
        let actions = io.take_actions();
        assert!(
            matches!(actions.as_slice(), [HostAction::Abandon(id)] if *id == request.id),
            "{actions:?}"
        );
        assert_eq!(io.feed(request.id, b"HTTP/1.1 200 OK\r\n"), Feed::Close);
    }

    #[test]
    fn a_passed_deadline_fails_before_anything_is_sent() {
        let (transport, io, _) = transport();
        let url = url();
        let wakes = Arc::new(Counter(AtomicUsize::new(0)));
        let limits = Limits {
            read_timeout: None,
            deadline: Some((Instant::now(), "the operation did not complete within 1ms")),
        };
        let mut call = std::pin::pin!(exchange(&transport, &url, limits));
        let Poll::Ready(Err(e)) = poll(call.as_mut(), &wakes) else {
            panic!("sent after the deadline");
        };
        assert_eq!(e.message(), "the operation did not complete within 1ms");
        assert!(io.take_actions().is_empty());
    }

    #[test]
    fn the_request_s_debug_output_hides_its_bytes() {
        let (transport, io, _) = transport();
        let url = url();
        let wakes = Arc::new(Counter(AtomicUsize::new(0)));
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "x-amz-security-token",
            http::HeaderValue::from_static("the-token"),
        );
        let mut call = std::pin::pin!(transport.exchange(
            &http::Method::POST,
            &url,
            &headers,
            None,
            read_limit()
        ));
        assert!(poll(call.as_mut(), &wakes).is_pending());
        let shown = format!("{:?}", io.take_actions());
        assert!(shown.contains("HostRequest"), "{shown}");
        assert!(!shown.contains("the-token"), "{shown}");
    }
}
