//! Blocking HTTP/1.1 exchanges on the calling thread, for bindings' synchronous calls.
//!
//! A sync call through tokio costs an `epoll_wait` or two more per call than a blocking socket,
//! plus reqwest's and hyper's task hand-offs; on a small VM that is most of the client's own cost
//! (`bench/core`). Here a call writes its request in one `write` and blocks in `read` on its own
//! thread, on a pooled keep-alive connection (plain TCP, or rustls with the same configuration
//! as the async transport). Responses are parsed with `httparse` (hyper's parser).
//!
//! The read timeout keeps the async transport's meaning (the longest wait for the next bytes);
//! the attempt and operation timeouts arrive as a deadline. Waits are cut into slices of
//! [`SLICE`] when an [`Interrupt`] is set, so a caller's Ctrl-C is seen within one slice.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Url;
use rustls::pki_types::ServerName;

use crate::error::Error;
use crate::exchange::Response;
use crate::http1::{
    self, Limits, Origin, ResponseParser, encode_request, read_timeout_error, remaining,
};
use crate::pool::{
    Failure, IdlePool, Pooled, after_read, broken, settled_on_new, settled_on_reused,
};
use crate::tls::TlsSettings;

/// Asked while a blocking call waits: `true` stops the call (it fails with
/// [`is_interrupted`] true and is not retried). Bindings check for Ctrl-C here.
pub type Interrupt = Arc<dyn Fn() -> bool + Send + Sync>;

/// How long a wait lasts before [`Interrupt`] is asked again.
pub(crate) const SLICE: Duration = Duration::from_millis(50);

/// A pool of blocking keep-alive connections.
pub(crate) struct BlockingTransport {
    tls: TlsSettings,
    connect_timeout: Duration,
    interrupt: Option<Interrupt>,
    idle: IdlePool<Connection>,
}

impl std::fmt::Debug for BlockingTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingTransport")
            .field("connect_timeout", &self.connect_timeout)
            .field("interruptible", &self.interrupt.is_some())
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
    /// The socket's current read timeout (set only when it changes: a system call).
    read_timeout: Option<Duration>,
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => &s.sock,
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

impl BlockingTransport {
    pub(crate) fn new(
        tls: TlsSettings,
        connect_timeout: Duration,
        interrupt: Option<Interrupt>,
    ) -> Self {
        BlockingTransport {
            tls,
            connect_timeout,
            interrupt,
            idle: IdlePool::new(),
        }
    }

    /// Sends one request and reads the whole response, blocking the calling thread.
    pub(crate) fn exchange(
        &self,
        method: &http::Method,
        url: &Url,
        headers: &http::HeaderMap,
        body: Option<&[u8]>,
        limits: Limits<'_>,
    ) -> Result<Response, Error> {
        let origin = Origin::of(url)?;
        let request = encode_request(method, url, headers, body);
        if let Some(connection) = self.idle.take(&origin)
            && let Some(settled) =
                settled_on_reused(self.exchange_on(connection, true, &request, method, limits))
        {
            return settled;
        }
        let connection = self.connect(origin, limits)?;
        settled_on_new(self.exchange_on(connection, false, &request, method, limits))
    }

    /// Waits `delay` (a retry's backoff), asking the interrupt every slice. `Err` when
    /// interrupted.
    pub(crate) fn sleep(&self, delay: Duration) -> Result<(), Error> {
        let until = Instant::now() + delay;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            match &self.interrupt {
                Some(interrupt) => {
                    std::thread::sleep(left.min(SLICE));
                    if interrupt() {
                        return Err(interrupted());
                    }
                }
                None => std::thread::sleep(left),
            }
        }
    }

    fn connect(&self, origin: Origin, limits: Limits) -> Result<Connection, Error> {
        let addresses = (origin.host.as_str(), origin.port)
            .to_socket_addrs()
            .map_err(|e| {
                Error::transport(io::Error::new(
                    e.kind(),
                    format!("could not resolve {}: {e}", origin.host),
                ))
            })?;
        let mut last = None;
        let mut tcp = None;
        for address in addresses {
            let mut wait = self.connect_timeout;
            if let Some((deadline, what)) = limits.deadline {
                wait = wait.min(remaining(deadline, what)?);
            }
            match TcpStream::connect_timeout(&address, wait) {
                Ok(stream) => {
                    tcp = Some(stream);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let tcp = match (tcp, last) {
            (Some(tcp), _) => tcp,
            (None, Some(e)) if e.kind() == io::ErrorKind::TimedOut => {
                return Err(http1::connect_timeout_error(&origin));
            }
            (None, Some(e)) => return Err(http1::connect_error(&origin, e)),
            (None, None) => {
                return Err(Error::transport(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("{} has no address", origin.host),
                )));
            }
        };
        tcp.set_nodelay(true).map_err(Error::transport)?;
        let mut read_timeout = None;
        let stream = if origin.tls {
            let name = ServerName::try_from(origin.host.clone())
                .map_err(|e| Error::construction(format!("invalid TLS server name: {e}")))?;
            let config = self
                .tls
                .get()
                .map_err(|e| http1::connect_error(&origin, e.message()))?;
            let tls = rustls::ClientConnection::new(config, name)
                .map_err(|e| Error::transport(io::Error::other(e)))?;
            let mut stream = rustls::StreamOwned::new(tls, tcp);
            self.handshake(&mut stream, &mut read_timeout, limits)?;
            Stream::Tls(Box::new(stream))
        } else {
            Stream::Plain(tcp)
        };
        Ok(Connection {
            origin,
            stream,
            read_timeout,
        })
    }

    fn handshake(
        &self,
        stream: &mut rustls::StreamOwned<rustls::ClientConnection, TcpStream>,
        current: &mut Option<Duration>,
        limits: Limits,
    ) -> Result<(), Error> {
        let mut waiting = Waiting::new(limits);
        while stream.conn.is_handshaking() {
            let wait = waiting.next_wait(self.slice())?;
            set_read_timeout(&stream.sock, current, Some(wait))?;
            match stream.conn.complete_io(&mut stream.sock) {
                Ok((read, _)) if read > 0 => waiting.progress(),
                Ok(_) => {}
                Err(e) if is_wait_over(&e) => self.check_interrupt()?,
                Err(e) => return Err(Error::transport(e)),
            }
        }
        Ok(())
    }

    fn slice(&self) -> Option<Duration> {
        self.interrupt.as_ref().map(|_| SLICE)
    }

    fn check_interrupt(&self) -> Result<(), Error> {
        match &self.interrupt {
            Some(interrupt) if interrupt() => Err(interrupted()),
            _ => Ok(()),
        }
    }

    /// One exchange on `connection`; `reused` when it carried an earlier one (and so may have
    /// been closed by the server since).
    fn exchange_on(
        &self,
        mut connection: Connection,
        reused: bool,
        request: &[u8],
        method: &http::Method,
        limits: Limits,
    ) -> Result<Response, Failure> {
        if let Err(e) = connection
            .stream
            .write_all(request)
            .and_then(|()| connection.stream.flush())
        {
            return Err(broken(e, reused, false));
        }
        let mut parser = ResponseParser::new(method);
        let mut waiting = Waiting::new(limits);
        let (response, keep_alive) = loop {
            let read = self.read(&mut connection, parser.spare(), &waiting)?;
            if matches!(read, Ok(n) if n > 0) {
                waiting.progress();
            }
            if let Some(done) = after_read(&mut parser, reused, read)? {
                break done;
            }
        };
        if keep_alive {
            self.idle.put(connection);
        }
        Ok(response)
    }

    /// Reads the next bytes into `buf` (`Ok(Ok(0))` at the end of the stream). The outer error
    /// is a passed limit or an interrupt; the inner one the socket's.
    fn read(
        &self,
        connection: &mut Connection,
        buf: &mut [u8],
        waiting: &Waiting,
    ) -> Result<io::Result<usize>, Error> {
        loop {
            let wait = waiting.next_wait(self.slice())?;
            set_read_timeout(
                connection.stream.tcp(),
                &mut connection.read_timeout,
                Some(wait).filter(|w| !w.is_zero()),
            )?;
            match connection.stream.read(buf) {
                Ok(n) => return Ok(Ok(n)),
                Err(e) if is_wait_over(&e) => self.check_interrupt()?,
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(Ok(0)),
                Err(e) => return Ok(Err(e)),
            }
        }
    }
}

/// The read timeout (since the last bytes) and the deadline of one exchange.
struct Waiting<'a> {
    limits: Limits<'a>,
    last_progress: Instant,
}

impl<'a> Waiting<'a> {
    fn new(limits: Limits<'a>) -> Self {
        Waiting {
            limits,
            last_progress: Instant::now(),
        }
    }

    fn progress(&mut self) {
        self.last_progress = Instant::now();
    }

    /// How long the next read may block: `None` for ever. Fails once a limit has passed.
    fn next_wait(&self, slice: Option<Duration>) -> Result<Duration, Error> {
        let mut wait = slice.unwrap_or(Duration::MAX);
        if let Some(limit) = self.limits.read_timeout {
            let left = limit.saturating_sub(self.last_progress.elapsed());
            if left.is_zero() {
                return Err(read_timeout_error(limit));
            }
            wait = wait.min(left);
        }
        if let Some((deadline, what)) = self.limits.deadline {
            wait = wait.min(remaining(deadline, what)?);
        }
        Ok(wait)
    }
}

/// Sets the socket's read timeout when it differs from the one it has.
fn set_read_timeout(
    tcp: &TcpStream,
    current: &mut Option<Duration>,
    wait: Option<Duration>,
) -> Result<(), Error> {
    // Rounded up to whole milliseconds, so nearly equal remainders need no new system call.
    let wait = wait
        .filter(|w| *w < Duration::from_secs(365 * 24 * 3600))
        .map(|w| Duration::from_millis(w.as_nanos().div_ceil(1_000_000) as u64));
    if *current != wait {
        tcp.set_read_timeout(wait).map_err(Error::transport)?;
        *current = wait;
    }
    Ok(())
}

/// A read that ended because its timeout passed or a signal arrived.
fn is_wait_over(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// The error of a call stopped by its [`Interrupt`].
fn interrupted() -> Error {
    Error::transport(io::Error::new(
        io::ErrorKind::Interrupted,
        "the call was interrupted",
    ))
}

/// Whether `error` is a call stopped by its [`Interrupt`] (never retried).
pub fn is_interrupted(error: &Error) -> bool {
    match error {
        Error::Transport(e) => std::error::Error::source(e)
            .and_then(|s| s.downcast_ref::<io::Error>())
            .is_some_and(|io| io.kind() == io::ErrorKind::Interrupted),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls_test_server::{BODY, tls_server, trusting};

    fn post(transport: &BlockingTransport, url: &Url) -> Result<Response, Error> {
        transport.exchange(
            &http::Method::POST,
            url,
            &http::HeaderMap::new(),
            Some(br#"{"identifier":"abcdEFGH1234"}"#),
            Limits {
                read_timeout: Some(Duration::from_secs(5)),
                deadline: None,
            },
        )
    }

    #[test]
    fn https_exchanges_share_one_verified_connection() {
        let (port, cert, server) = tls_server(3);
        let transport = BlockingTransport::new(
            TlsSettings::fixed(trusting(cert)),
            Duration::from_secs(5),
            Some(Arc::new(|| false)),
        );
        let url = Url::parse(&format!("https://localhost:{port}/GetRoom")).expect("url");
        for _ in 0..3 {
            let response = post(&transport, &url).expect("exchange");
            assert_eq!(response.status, 200);
            assert_eq!(&response.body[..], BODY.as_bytes());
        }
        assert_eq!(
            server.join().expect("server"),
            1,
            "one TLS connection, kept alive"
        );
    }

    #[test]
    fn a_certificate_the_client_does_not_trust_fails_the_handshake() {
        let (port, _cert, _server) = tls_server(1);
        let other = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
            .expect("cert")
            .cert
            .der()
            .clone();
        let transport = BlockingTransport::new(
            TlsSettings::fixed(trusting(other)),
            Duration::from_secs(5),
            None,
        );
        let url = Url::parse(&format!("https://localhost:{port}/GetRoom")).expect("url");
        let Err(err) = post(&transport, &url) else {
            panic!("an untrusted certificate was accepted");
        };
        assert_eq!(err.code(), "ConnectionError");
        assert!(
            err.message().to_lowercase().contains("certificate"),
            "{}",
            err.message()
        );
    }
}
