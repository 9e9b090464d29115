//! Non-blocking sockets the core owns and a host's event loop watches: the host says when a
//! socket is ready ([`PolledSockets::ready`]) or a deadline passed ([`PolledSockets::expire`]),
//! and carries out the [`Change`]s to what it watches. Connecting, TLS, writing, reading and
//! keeping idle connections are done here, for the exchanges of host I/O ([`crate::host`]).
//!
//! Node's binding watches these sockets with libuv: a call then runs on the JavaScript thread
//! from start to end without Node's stream machinery, one `write` and one `read` per call.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rustls::pki_types::ServerName;
use socket2::{Domain, Protocol, Socket, Type};

use crate::host::{Feed, HostAction, HostFailure, HostIo, HostRequest, Notify};
use crate::http1::Origin;
use crate::pool::IDLE_TIMEOUT;
use crate::tls::TlsSettings;

const READ_BUFFER: usize = 64 * 1024;

/// Names a socket in [`Change`]s and in [`PolledSockets::ready`].
pub type Token = u64;

/// A socket as the host's event loop names it.
#[cfg(unix)]
pub type RawSocket = std::os::fd::RawFd;
/// A socket as the host's event loop names it.
#[cfg(windows)]
pub type RawSocket = std::os::windows::io::RawSocket;

/// A change to what the host watches, in order.
#[derive(Debug)]
pub enum Change {
    /// Watch `socket` for readability, and for writability when `writable` (a new socket, or
    /// a change of interest).
    Watch {
        /// Names the socket in later changes and in [`PolledSockets::ready`].
        token: Token,
        /// The socket to watch.
        socket: RawSocket,
        /// Watch for writability too.
        writable: bool,
    },
    /// Stop watching `token`'s socket, then drop `socket`, which closes it.
    Forget {
        /// The socket's name.
        token: Token,
        /// Closes the socket when dropped.
        socket: ClosedSocket,
    },
}

/// A socket to close once it is no longer watched (dropping it closes it).
pub struct ClosedSocket(#[allow(dead_code)] Socket);

impl std::fmt::Debug for ClosedSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClosedSocket")
    }
}

/// The connections of one host I/O, and the exchanges on them.
pub struct PolledSockets {
    io: HostIo,
    tls: TlsSettings,
    notify: Notify,
    connections: HashMap<Token, Connection>,
    /// Exchange id → the connection carrying it.
    busy: HashMap<u64, Token>,
    /// Idle connections, the most recently used last.
    idle: Vec<(Token, Instant)>,
    /// Name lookups finished on their threads.
    resolved: Arc<Mutex<Vec<Lookup>>>,
    changes: Vec<Change>,
    next_token: Token,
    buffer: Box<[u8]>,
}

impl std::fmt::Debug for PolledSockets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolledSockets")
            .field("connections", &self.connections.len())
            .field("busy", &self.busy.len())
            .finish_non_exhaustive()
    }
}

/// A finished name lookup for a connection.
type Lookup = (Token, io::Result<Vec<SocketAddr>>);

struct Connection {
    origin: Origin,
    socket: Option<Socket>,
    tls: Option<Box<rustls::ClientConnection>>,
    /// Addresses still to try while connecting.
    addresses: Vec<SocketAddr>,
    /// Connected, and the TLS handshake done: failures before it are connect failures.
    open: bool,
    /// Until when it may take to open.
    connect_by: Instant,
    exchange: Option<Exchange>,
    /// Request bytes not written yet (plain connections; TLS buffers its own).
    out: Bytes,
    /// Writability is watched.
    writable: bool,
}

struct Exchange {
    id: u64,
    reused: bool,
    read_timeout: Option<Duration>,
    /// When the read timeout passes, counted from the last progress.
    read_by: Option<Instant>,
    /// When the attempt must be over.
    deadline: Option<Instant>,
}

/// What an I/O step ended in.
enum Step {
    /// Waiting for the socket.
    Wait,
    /// The exchange is settled; the connection stays (idle) or closes.
    Settled {
        keep: bool,
    },
    Failed(HostFailure),
    /// The connection ended (an idle one closed by the server, or the response's end).
    Ended,
}

impl PolledSockets {
    /// Sockets for `io`'s exchanges; `notify` asks the host to call [`PolledSockets::act`]
    /// (a name lookup finished on its own thread).
    pub fn new(io: HostIo, notify: Notify) -> Self {
        PolledSockets {
            tls: io.tls(),
            io,
            notify,
            connections: HashMap::new(),
            busy: HashMap::new(),
            idle: Vec::new(),
            resolved: Arc::new(Mutex::new(Vec::new())),
            changes: Vec::new(),
            next_token: 1,
            buffer: vec![0; READ_BUFFER].into_boxed_slice(),
        }
    }

    /// Carries out the core's waiting actions and the finished name lookups; `true` when there
    /// were any.
    pub fn act(&mut self) -> bool {
        let resolved =
            std::mem::take(&mut *self.resolved.lock().unwrap_or_else(|p| p.into_inner()));
        let actions = self.io.take_actions();
        let acted = !resolved.is_empty() || !actions.is_empty();
        for (token, addresses) in resolved {
            match addresses {
                Ok(addresses) => self.connect(token, addresses),
                Err(e) => {
                    let why = format!("could not resolve the name: {e}");
                    self.finish(token, Step::Failed(HostFailure::Connect(why)));
                }
            }
        }
        for action in actions {
            match action {
                HostAction::Send(request) => self.send(request),
                HostAction::Abandon(id) => {
                    if let Some(token) = self.busy.remove(&id) {
                        if let Some(c) = self.connections.get_mut(&token) {
                            c.exchange = None;
                        }
                        self.close(token);
                    }
                }
            }
        }
        acted
    }

    /// `token`'s socket is readable or writable (either may be spurious).
    pub fn ready(&mut self, token: Token, readable: bool, writable: bool) {
        let Some(c) = self.connections.get_mut(&token) else {
            return;
        };
        let step = if c.socket.is_some() && !c.open && c.tls.is_none() {
            // Connecting: writable (or an error) says how it went.
            match c.connected() {
                Ok(true) => self.opened(token),
                Ok(false) => Step::Wait,
                Err(e) => {
                    self.next_address(token, e);
                    return;
                }
            }
        } else {
            let mut step = Step::Wait;
            if writable {
                step = c.flush(&mut self.changes, token);
            }
            if readable && matches!(step, Step::Wait) {
                step = read(c, &self.io, &mut self.buffer, &mut self.changes, token);
            }
            step
        };
        self.finish(token, step);
    }

    /// The host saw an error condition on `token`'s socket and no longer watches it (libuv stops
    /// a poll handle on `POLLERR`). What can still be read is read; then the connection ends:
    /// a connect tries the next address, an exchange fails with the socket's error, an idle
    /// connection closes.
    pub fn broken(&mut self, token: Token) {
        let Some(before) = self
            .connections
            .get(&token)
            .and_then(|c| c.socket.as_ref().map(raw))
        else {
            return;
        };
        self.ready(token, true, true);
        let Some(c) = self.connections.get(&token) else {
            return;
        };
        if c.socket.as_ref().map(raw) != Some(before) {
            // Already moved on to the next address.
            return;
        }
        let error = c
            .socket
            .as_ref()
            .and_then(|s| s.take_error().ok().flatten())
            .unwrap_or_else(|| io::Error::other("the connection failed"));
        if c.socket.is_some() && !c.open && c.tls.is_none() {
            self.next_address(token, error);
        } else if c.exchange.is_some() {
            let step = c.io_failure(error.to_string());
            self.finish(token, step);
        } else {
            self.close(token);
        }
    }

    /// Fails the exchanges whose connect timeout, read timeout or deadline passed by `now`.
    pub fn expire(&mut self, now: Instant) {
        let mut passed = Vec::new();
        for &token in self.busy.values() {
            let Some(c) = self.connections.get(&token) else {
                continue;
            };
            let Some(e) = &c.exchange else { continue };
            let failure = if e.deadline.is_some_and(|at| at <= now) {
                HostFailure::Deadline
            } else if !c.open && c.connect_by <= now {
                HostFailure::ConnectTimeout
            } else if c.open && e.read_by.is_some_and(|at| at <= now) {
                HostFailure::ReadTimeout
            } else {
                continue;
            };
            passed.push((token, failure));
        }
        for (token, failure) in passed {
            self.finish(token, Step::Failed(failure));
        }
    }

    /// The next time [`PolledSockets::expire`] has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.busy
            .values()
            .filter_map(|token| {
                let c = self.connections.get(token)?;
                let e = c.exchange.as_ref()?;
                let wait = if c.open {
                    e.read_by
                } else {
                    Some(c.connect_by)
                };
                [wait, e.deadline].into_iter().flatten().min()
            })
            .min()
    }

    /// The host could not watch `token`'s socket: its exchange fails.
    pub fn unwatchable(&mut self, token: Token, why: String) {
        let Some(c) = self.connections.get(&token) else {
            return;
        };
        let step = c.io_failure(format!("the event loop cannot watch the socket: {why}"));
        self.finish(token, step);
    }

    /// The changes to what the host watches since the last call, in order.
    pub fn take_changes(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.changes)
    }

    /// Writes `request` on an idle connection to its origin, or on a new one.
    fn send(&mut self, r: HostRequest) {
        let now = Instant::now();
        let exchange = Exchange {
            id: r.id,
            reused: false,
            read_timeout: r.read_timeout,
            read_by: None,
            deadline: r.time_left.map(|left| now + left),
        };
        let origin = Origin {
            tls: r.tls,
            host: r.host,
            port: r.port,
        };
        if !r.fresh
            && let Some(token) = self.take_idle(&origin, now)
        {
            self.busy.insert(r.id, token);
            let c = self.connections.get_mut(&token).expect("idle connection");
            c.exchange = Some(Exchange {
                reused: true,
                ..exchange
            });
            let step = c.start(r.bytes, now, &mut self.changes, token);
            self.finish(token, step);
            return;
        }
        let token = self.next_token;
        self.next_token += 1;
        self.busy.insert(r.id, token);
        let literal = origin.host.parse::<IpAddr>().ok();
        let (host, port) = (origin.host.clone(), origin.port);
        self.connections.insert(
            token,
            Connection {
                origin,
                socket: None,
                tls: None,
                addresses: Vec::new(),
                open: false,
                connect_by: now + r.connect_timeout,
                exchange: Some(exchange),
                out: r.bytes,
                writable: false,
            },
        );
        match literal {
            Some(ip) => self.connect(token, vec![SocketAddr::new(ip, port)]),
            None => self.resolve(token, host, port),
        }
    }

    /// Looks `host` up on a thread of its own (the system resolver blocks), then notifies.
    fn resolve(&mut self, token: Token, host: String, port: u16) {
        let resolved = self.resolved.clone();
        let notify = self.notify.clone();
        let lookup = move || {
            let addresses = (host.as_str(), port)
                .to_socket_addrs()
                .map(|a| a.collect::<Vec<_>>());
            resolved
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((token, addresses));
            notify();
        };
        if let Err(e) = std::thread::Builder::new()
            .name("ivschat-resolve".into())
            .spawn(lookup)
        {
            let why = format!("could not start a name lookup: {e}");
            self.finish(token, Step::Failed(HostFailure::Connect(why)));
        }
    }

    /// Starts connecting `token` to the first of `addresses`.
    fn connect(&mut self, token: Token, mut addresses: Vec<SocketAddr>) {
        let Some(c) = self.connections.get_mut(&token) else {
            return;
        };
        if c.exchange.is_none() {
            // Abandoned while its name was looked up.
            self.close(token);
            return;
        }
        addresses.reverse();
        c.addresses = addresses;
        self.next_address(token, io::Error::new(io::ErrorKind::NotFound, "no address"));
    }

    /// Tries `token`'s next address; `last` is why the one before failed.
    fn next_address(&mut self, token: Token, mut last: io::Error) {
        let Some(c) = self.connections.get_mut(&token) else {
            return;
        };
        if let Some(old) = c.socket.take() {
            self.changes.push(Change::Forget {
                token,
                socket: ClosedSocket(old),
            });
            c.writable = false;
        }
        while let Some(address) = c.addresses.pop() {
            match start_connect(address) {
                Ok(socket) => {
                    self.changes.push(Change::Watch {
                        token,
                        socket: raw(&socket),
                        writable: true,
                    });
                    c.writable = true;
                    c.socket = Some(socket);
                    return;
                }
                Err(e) => last = e,
            }
        }
        self.finish(token, Step::Failed(HostFailure::Connect(last.to_string())));
    }

    /// `token`'s TCP connection is open: start TLS, or write the request.
    fn opened(&mut self, token: Token) -> Step {
        let c = self.connections.get_mut(&token).expect("connection");
        if !c.origin.tls {
            c.open = true;
            let bytes = std::mem::take(&mut c.out);
            return c.start(bytes, Instant::now(), &mut self.changes, token);
        }
        let name = match ServerName::try_from(c.origin.host.clone()) {
            Ok(name) => name,
            Err(e) => return Step::Failed(HostFailure::Connect(format!("invalid TLS name: {e}"))),
        };
        let config = match self.tls.get() {
            Ok(config) => config,
            Err(e) => return Step::Failed(HostFailure::Connect(e.message().to_owned())),
        };
        let mut tls = match rustls::ClientConnection::new(config, name) {
            Ok(tls) => Box::new(tls),
            Err(e) => return Step::Failed(HostFailure::Connect(e.to_string())),
        };
        tls.set_buffer_limit(None);
        // Written once the handshake is done.
        if let Err(e) = tls.writer().write_all(&c.out) {
            return Step::Failed(HostFailure::Connect(e.to_string()));
        }
        c.out = Bytes::new();
        c.tls = Some(tls);
        c.flush(&mut self.changes, token)
    }

    /// Carries out `step` for `token`.
    fn finish(&mut self, token: Token, step: Step) {
        if matches!(step, Step::Wait) {
            return;
        }
        let exchange = self
            .connections
            .get_mut(&token)
            .and_then(|c| c.exchange.take());
        if let Some(e) = &exchange {
            self.busy.remove(&e.id);
        }
        match (step, exchange) {
            (Step::Settled { keep: true }, _) => self.idle.push((token, Instant::now())),
            (Step::Failed(failure), Some(e)) => {
                self.io.fail(e.id, failure, e.reused);
                self.close(token);
            }
            (Step::Ended, Some(e)) => {
                self.io.end(e.id, e.reused);
                self.close(token);
            }
            _ => self.close(token),
        }
    }

    /// The most recently used idle connection to `origin`, closing the ones idle too long.
    fn take_idle(&mut self, origin: &Origin, now: Instant) -> Option<Token> {
        while let Some(at) = self
            .idle
            .iter()
            .position(|(_, since)| now - *since >= IDLE_TIMEOUT)
        {
            let (token, _) = self.idle.remove(at);
            self.close(token);
        }
        let at = self.idle.iter().rposition(|(token, _)| {
            self.connections
                .get(token)
                .is_some_and(|c| c.origin == *origin)
        })?;
        Some(self.idle.remove(at).0)
    }

    fn close(&mut self, token: Token) {
        self.idle.retain(|(t, _)| *t != token);
        if let Some(c) = self.connections.remove(&token)
            && let Some(socket) = c.socket
        {
            self.changes.push(Change::Forget {
                token,
                socket: ClosedSocket(socket),
            });
        }
    }
}

impl Drop for PolledSockets {
    fn drop(&mut self) {
        // Calls still waiting end rather than hang.
        for (id, token) in self.busy.drain() {
            let reused = self
                .connections
                .get(&token)
                .and_then(|c| c.exchange.as_ref())
                .is_some_and(|e| e.reused);
            let why = "the client's connections were closed".to_owned();
            self.io.fail(id, HostFailure::Io(why), reused);
        }
    }
}

impl Connection {
    /// Whether a non-blocking connect finished (`Err` when it failed).
    fn connected(&self) -> io::Result<bool> {
        let socket = self.socket.as_ref().expect("socket");
        if let Some(e) = socket.take_error()? {
            return Err(e);
        }
        match socket.peer_addr() {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Starts the exchange's request on this open connection.
    fn start(
        &mut self,
        bytes: Bytes,
        now: Instant,
        changes: &mut Vec<Change>,
        token: Token,
    ) -> Step {
        if let Some(e) = &mut self.exchange {
            e.read_by = e.read_timeout.map(|t| now + t);
        }
        match &mut self.tls {
            Some(tls) => {
                if let Err(e) = tls.writer().write_all(&bytes) {
                    return Step::Failed(HostFailure::Io(e.to_string()));
                }
            }
            None => self.out = bytes,
        }
        self.flush(changes, token)
    }

    /// Writes what is waiting; watches writability while some is left.
    fn flush(&mut self, changes: &mut Vec<Change>, token: Token) -> Step {
        let Some(socket) = &self.socket else {
            return Step::Wait;
        };
        let mut wire = Wire(socket);
        let blocked = loop {
            let written = match &mut self.tls {
                Some(tls) if tls.wants_write() => tls.write_tls(&mut wire),
                Some(_) => break false,
                None if self.out.is_empty() => break false,
                None => wire.write(&self.out),
            };
            match written {
                Ok(n) => {
                    if self.tls.is_none() {
                        let _ = self.out.split_to(n);
                    }
                    progress(&mut self.exchange);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return self.io_failure(e.to_string()),
            }
        };
        if blocked != self.writable {
            self.writable = blocked;
            changes.push(Change::Watch {
                token,
                socket: raw(socket),
                writable: blocked,
            });
        }
        Step::Wait
    }

    fn io_failure(&self, why: String) -> Step {
        Step::Failed(if self.open {
            HostFailure::Io(why)
        } else {
            HostFailure::Connect(why)
        })
    }
}

/// Bytes moved: the read timeout counts again from now.
fn progress(exchange: &mut Option<Exchange>) {
    if let Some(e) = exchange
        && let Some(t) = e.read_timeout
    {
        e.read_by = Some(Instant::now() + t);
    }
}

/// Reads what arrived and hands it to the exchange's parser.
fn read(
    c: &mut Connection,
    io: &HostIo,
    buffer: &mut [u8],
    changes: &mut Vec<Change>,
    token: Token,
) -> Step {
    loop {
        let Some(socket) = &c.socket else {
            return Step::Wait;
        };
        let mut wire = Wire(socket);
        let n = match &mut c.tls {
            None => match wire.read(buffer) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Step::Wait,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return c.io_failure(e.to_string()),
            },
            Some(tls) => {
                let (at_end, drained) = match tls.read_tls(&mut wire) {
                    Ok(0) => (true, true),
                    Ok(_) => (false, false),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => (false, true),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return c.io_failure(e.to_string()),
                };
                if let Err(e) = tls.process_new_packets() {
                    // Tell the server why (an alert), as far as the socket takes it.
                    let _ = tls.write_tls(&mut wire);
                    return c.io_failure(e.to_string());
                }
                let handshaken = !tls.is_handshaking();
                let wants_write = tls.wants_write();
                if handshaken && !c.open {
                    c.open = true;
                }
                if wants_write {
                    let step = c.flush(changes, token);
                    if !matches!(step, Step::Wait) {
                        return step;
                    }
                }
                let Some(tls) = &mut c.tls else {
                    return Step::Wait;
                };
                match tls.reader().read(buffer) {
                    // 0: the server's close_notify.
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        if at_end {
                            0
                        } else if drained {
                            return Step::Wait;
                        } else {
                            continue;
                        }
                    }
                    // Closed without close_notify: the end of a close-delimited body.
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => 0,
                    Err(e) => return c.io_failure(e.to_string()),
                }
            }
        };
        if n == 0 {
            return Step::Ended;
        }
        progress(&mut c.exchange);
        let Some(e) = &c.exchange else {
            // Bytes nobody asked for: the connection is out of step.
            return Step::Settled { keep: false };
        };
        match io.feed(e.id, &buffer[..n]) {
            Feed::More => {}
            Feed::Keep => return Step::Settled { keep: true },
            Feed::Close => return Step::Settled { keep: false },
        }
    }
}

/// A socket's reads and writes; a write to a connection the peer closed is an error
/// (`EPIPE`), never a `SIGPIPE`.
struct Wire<'a>(&'a Socket);

impl Read for Wire<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut socket = self.0;
        socket.read(buf)
    }
}

impl Write for Wire<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        return self.0.send_with_flags(buf, libc::MSG_NOSIGNAL);
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        {
            // Apple's sockets have SO_NOSIGPIPE set (start_connect); Windows has no SIGPIPE.
            let mut socket = self.0;
            socket.write(buf)
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A non-blocking socket connecting to `address`.
fn start_connect(address: SocketAddr) -> io::Result<Socket> {
    let socket = Socket::new(
        Domain::for_address(address),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    socket.set_nonblocking(true)?;
    socket.set_tcp_nodelay(true)?;
    #[cfg(target_vendor = "apple")]
    socket.set_nosigpipe(true)?;
    match socket.connect(&address.into()) {
        Ok(()) => Ok(socket),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(socket),
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => Ok(socket),
        Err(e) => Err(e),
    }
}

#[cfg(unix)]
fn raw(socket: &Socket) -> RawSocket {
    use std::os::fd::AsRawFd;
    socket.as_raw_fd()
}

#[cfg(windows)]
fn raw(socket: &Socket) -> RawSocket {
    use std::os::windows::io::AsRawSocket;
    socket.as_raw_socket()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::tls_test_server::{BODY, assert_untrusted, tls_server};
    use std::future::Future;
    use std::io::BufRead;
    use std::net::TcpListener;
    use std::task::{Context, Poll, Waker};

    const ARN: &str = "arn:aws:ivschat:us-east-1:123456789012:room/abcdEFGH1234";

    fn client(
        endpoint: &str,
        f: impl FnOnce(crate::ConfigBuilder) -> crate::ConfigBuilder,
    ) -> crate::Client {
        let builder = crate::Config::builder()
            .region("us-east-1")
            .endpoint_url(endpoint)
            .credentials(crate::Credentials::new("test", "test", None));
        crate::Client::new(&f(builder).build().expect("config"))
    }

    /// A host: the client whose calls it carries, their sockets, and what it watches.
    struct Host {
        client: crate::Client,
        sockets: PolledSockets,
        watched: HashMap<Token, (RawSocket, bool)>,
        runtime: tokio::runtime::Runtime,
    }

    fn host(client: &crate::Client) -> Host {
        let notify: Notify = Arc::new(|| {});
        let (client, io) = client.with_host_io(notify.clone()).expect("host client");
        Host {
            client,
            sockets: PolledSockets::new(io.expect("host I/O (no proxy set)"), notify),
            watched: HashMap::new(),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime"),
        }
    }

    /// What a host does: a `poll(2)` loop over the watched sockets, until `call` is done.
    fn drive<F: Future>(host: &mut Host, call: impl FnOnce(crate::Client) -> F) -> F::Output {
        let _entered = host.runtime.enter();
        let Host {
            sockets, watched, ..
        } = host;
        let mut call = std::pin::pin!(call(host.client.clone()));
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(out) = call.as_mut().poll(&mut cx) {
                return out;
            }
            sockets.act();
            for change in sockets.take_changes() {
                match change {
                    Change::Watch {
                        token,
                        socket,
                        writable,
                    } => {
                        watched.insert(token, (socket, writable));
                    }
                    Change::Forget { token, .. } => {
                        watched.remove(&token);
                    }
                }
            }
            let (tokens, mut fds): (Vec<Token>, Vec<libc::pollfd>) = watched
                .iter()
                .map(|(&token, &(fd, writable))| {
                    let events = libc::POLLIN | if writable { libc::POLLOUT } else { 0 };
                    (
                        token,
                        libc::pollfd {
                            fd,
                            events,
                            revents: 0,
                        },
                    )
                })
                .unzip();
            let wait = sockets.next_deadline().map_or(20, |at| {
                at.saturating_duration_since(Instant::now())
                    .as_millis()
                    .min(20) as i32
            });
            // SAFETY: `fds` is a valid array of its length.
            unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, wait) };
            for (token, fd) in tokens.into_iter().zip(fds) {
                if fd.revents & libc::POLLERR != 0 {
                    // As libuv does: it stops watching and reports an error.
                    watched.remove(&token);
                    sockets.broken(token);
                    continue;
                }
                let hung_up = fd.revents & libc::POLLHUP != 0;
                let readable = hung_up || fd.revents & libc::POLLIN != 0;
                let writable = hung_up || fd.revents & libc::POLLOUT != 0;
                if readable || writable {
                    sockets.ready(token, readable, writable);
                }
            }
            sockets.expire(Instant::now());
        }
    }

    /// A plain HTTP server on a thread answering `requests` GetRoom requests; it gives the
    /// number of connections it accepted.
    fn http_server(requests: usize) -> (u16, std::thread::JoinHandle<usize>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = std::thread::spawn(move || {
            let (mut served, mut connections) = (0, 0);
            while served < requests {
                let (socket, _) = listener.accept().expect("accept");
                connections += 1;
                let mut reader = io::BufReader::new(socket.try_clone().expect("clone"));
                let mut writer = socket;
                while served < requests {
                    let mut length = 0;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            break;
                        }
                        if let Some(v) = line.to_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse().expect("length");
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    if line.is_empty() {
                        break;
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).expect("body");
                    let response = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{BODY}",
                        BODY.len()
                    );
                    writer.write_all(response.as_bytes()).expect("write");
                    served += 1;
                }
            }
            connections
        });
        (port, server)
    }

    #[test]
    fn calls_share_one_connection_to_a_looked_up_name() {
        let (port, server) = http_server(3);
        // `localhost` is looked up on a thread; it may give ::1 first, which refuses: the next
        // address is tried.
        let mut host = host(&client(&format!("http://localhost:{port}"), |b| b));
        for _ in 0..3 {
            let out = drive(&mut host, |c| async move {
                c.get_room().identifier(ARN).send().await
            })
            .expect("call");
            assert_eq!(out.id.as_deref(), Some("abcdEFGH1234"));
        }
        assert_eq!(
            server.join().expect("server"),
            1,
            "one kept-alive connection"
        );
    }

    #[test]
    fn https_trusts_an_extra_root_and_keeps_the_connection() {
        let (port, cert, server) = tls_server(3);
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            aws_smithy_types::base64::encode(cert.as_ref())
        );
        let mut host = host(&client(&format!("https://localhost:{port}"), |b| {
            b.extra_root_certificates(pem)
        }));
        for _ in 0..3 {
            let out = drive(&mut host, |c| async move {
                c.get_room().identifier(ARN).send().await
            })
            .expect("call");
            assert_eq!(out.id.as_deref(), Some("abcdEFGH1234"));
        }
        assert_eq!(server.join().expect("server"), 1, "one TLS connection");
    }

    #[test]
    fn an_untrusted_certificate_fails_the_connection() {
        let (port, _cert, _server) = tls_server(1);
        let mut host = host(&client(&format!("https://localhost:{port}"), |b| {
            b.max_attempts(1)
        }));
        let err = drive(&mut host, |c| async move {
            c.get_room().identifier(ARN).send().await
        })
        .expect_err("an untrusted certificate was accepted");
        assert_untrusted(&err);
    }

    #[test]
    fn a_refused_connection_is_a_connection_error() {
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let mut host = host(&client(&format!("http://127.0.0.1:{port}"), |b| {
            b.max_attempts(1)
        }));
        let err = drive(&mut host, |c| async move {
            c.get_room().identifier(ARN).send().await
        })
        .expect_err("nothing listens there");
        assert_eq!(err.code(), "ConnectionError");
        assert!(
            err.message().contains("could not connect to 127.0.0.1"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn a_silent_server_ends_in_the_read_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let mut host = host(&client(&format!("http://127.0.0.1:{port}"), |b| {
            b.max_attempts(1)
                .read_timeout(Some(Duration::from_millis(150)))
        }));
        let started = Instant::now();
        let err = drive(&mut host, |c| async move {
            c.get_room().identifier(ARN).send().await
        })
        .expect_err("the server never answers");
        assert_eq!(err.code(), "Timeout");
        assert!(started.elapsed() >= Duration::from_millis(150));
        drop(listener);
    }

    #[test]
    fn invalid_extra_roots_fail_the_tls_connections_saying_why() {
        let (port, _cert, _server) = tls_server(1);
        let mut host = host(&client(&format!("https://localhost:{port}"), |b| {
            b.max_attempts(1)
                .extra_root_certificates("not a certificate")
        }));
        let err = drive(&mut host, |c| async move {
            c.get_room().identifier(ARN).send().await
        })
        .expect_err("no TLS without valid roots");
        assert_eq!(err.code(), "ConnectionError");
        assert!(
            err.message()
                .contains("invalid extra root certificate: no PEM certificate found"),
            "{}",
            err.message()
        );
    }
}
