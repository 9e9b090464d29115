//! Calls driven on a host's event-loop thread (Node's JavaScript thread). The host watches one
//! descriptor, [`HostedLoop::fd`], and calls [`HostedLoop::turn`] whenever it is readable. A call
//! spawned here runs on that thread from start to end, its sockets on this loop's `mio` poll:
//! no hand-off to a runtime worker and back. Timers, name resolution and credential fetches stay
//! on the tokio runtime given to the loop; their wakes reach it through a `mio::Waker`.
//!
//! Written here (an executor of `async-task` tasks, a socket type over `mio`) because it earns
//! it on the path it serves, a Node call with no other in flight on its thread: 90.0 against
//! 113.6 µs of CPU per sequential GetRoom on the tokio worker (−21%; `bench/node/seq.cjs`, with
//! `IVSCHAT_NODE_NO_HOSTED_LOOP=1` for the worker, 3 interleaved rounds, medians; 2026-12-07,
//! transport of 6b3b67b), the same wall time (bench/node/RESULTS.md). Not public API.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use async_task::Runnable;
use mio::{Events, Interest, Token};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The token of the loop's own waker.
const WAKER: Token = Token(usize::MAX);
/// A socket that is always ready yields its task after this many operations in a row (as tokio's
/// cooperative budget does), so a flooding peer cannot hold a task in one poll.
const BUDGET: u32 = 64;
/// Rounds of woken tasks per turn; then the host's other events run before the next turn.
const ROUNDS: u32 = 32;

thread_local! {
    /// The loop turning on this thread, if any.
    static TURNING: RefCell<Option<Arc<Shared>>> = const { RefCell::new(None) };
}

/// An executor and socket poll that a host's event loop drives.
pub struct HostedLoop(Arc<Shared>);

struct Shared {
    id: u64,
    poll: Mutex<(mio::Poll, Events)>,
    registry: mio::Registry,
    waker: mio::Waker,
    sources: Mutex<HashMap<usize, Weak<Source>>>,
    next_token: AtomicUsize,
    ready: Mutex<VecDeque<Runnable>>,
    /// Every unfinished task, cancelled when the loop is dropped.
    tasks: Mutex<HashMap<u64, async_task::Task<()>>>,
    next_task: AtomicU64,
    closed: AtomicBool,
    runtime: tokio::runtime::Handle,
}

/// One socket's readiness in each direction, and the task waiting for it.
#[derive(Default)]
struct Source {
    read: Mutex<Direction>,
    write: Mutex<Direction>,
}

/// Whether the last read (or write) blocked and no event has come since; who waits.
#[derive(Default)]
struct Direction {
    blocked: bool,
    /// The peer closed or the socket failed: no further event will come, so reads go on until
    /// they say so (a short read then does not mean "wait").
    ended: bool,
    waiting: Option<Waker>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl HostedLoop {
    /// A loop whose calls use `runtime` for timers, name resolution and blocking work.
    pub fn new(runtime: tokio::runtime::Handle) -> io::Result<Self> {
        static IDS: AtomicU64 = AtomicU64::new(1);
        let poll = mio::Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = mio::Waker::new(poll.registry(), WAKER)?;
        Ok(HostedLoop(Arc::new(Shared {
            id: IDS.fetch_add(1, Ordering::Relaxed),
            poll: Mutex::new((poll, Events::with_capacity(256))),
            registry,
            waker,
            sources: Mutex::new(HashMap::new()),
            next_token: AtomicUsize::new(0),
            ready: Mutex::new(VecDeque::new()),
            tasks: Mutex::new(HashMap::new()),
            next_task: AtomicU64::new(0),
            closed: AtomicBool::new(false),
            runtime,
        })))
    }

    /// The descriptor the host watches: readable when [`HostedLoop::turn`] has work.
    pub fn fd(&self) -> RawFd {
        lock(&self.0.poll).0.as_raw_fd()
    }

    /// Adds a task from any thread; it first runs in the next turn.
    pub fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.0.spawn(task, true);
    }

    /// Adds a task on the host's thread and runs it (and what it wakes) now.
    pub fn start(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.0.spawn(task, false);
        self.run(false);
    }

    /// Wakes the tasks whose sockets are ready, then runs the woken tasks (see `run`). Call it on
    /// the host's thread only, when the descriptor is readable.
    pub fn turn(&self) {
        self.run(true);
    }

    /// Runs the woken tasks until none is left, or for `ROUNDS` rounds and then wakes the loop
    /// (a task that panics is dropped). Events that come meanwhile leave the descriptor
    /// readable, so the host turns the loop again.
    fn run(&self, poll: bool) {
        let shared = &self.0;
        let _runtime = shared.runtime.enter();
        let _turning = Turning::enter(shared);
        if poll {
            shared.wake_ready_sources();
        }
        for _ in 0..ROUNDS {
            let batch = std::mem::take(&mut *lock(&shared.ready));
            if batch.is_empty() {
                return;
            }
            for runnable in batch {
                let _ = catch_unwind(AssertUnwindSafe(|| runnable.run()));
            }
        }
        let _ = shared.waker.wake();
    }
}

impl Drop for HostedLoop {
    /// Cancels every task: its future and the connections it holds are dropped now, with no lock
    /// held, since a future may spawn as it is dropped.
    fn drop(&mut self) {
        self.0.closed.store(true, Ordering::Release);
        let ready = std::mem::take(&mut *lock(&self.0.ready));
        let tasks = std::mem::take(&mut *lock(&self.0.tasks));
        drop(ready);
        drop(tasks);
    }
}

/// Marks a loop as turning on this thread until dropped.
struct Turning(Option<Arc<Shared>>);

impl Turning {
    fn enter(shared: &Arc<Shared>) -> Self {
        Turning(TURNING.with(|t| t.replace(Some(shared.clone()))))
    }
}

impl Drop for Turning {
    fn drop(&mut self) {
        TURNING.with(|t| *t.borrow_mut() = self.0.take());
    }
}

/// The loop turning on this thread, if any: calls made from its tasks use its sockets.
fn current() -> Option<Arc<Shared>> {
    TURNING.try_with(|t| t.borrow().clone()).ok().flatten()
}

/// The id of the loop turning on this thread, if any (on every wake: no `Arc` clone).
pub(crate) fn current_id() -> Option<u64> {
    TURNING
        .try_with(|t| t.borrow().as_ref().map(|s| s.id))
        .ok()?
}

impl Shared {
    /// Adds a task; on a closed loop, drops it.
    fn spawn(self: &Arc<Self>, task: impl Future<Output = ()> + Send + 'static, wake: bool) {
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        let id = self.next_task.fetch_add(1, Ordering::Relaxed);
        let owner = Arc::downgrade(self);
        let finished = Finished(owner.clone(), id);
        let task = async move {
            let _finished = finished;
            task.await;
        };
        let (runnable, handle) = async_task::spawn(task, move |runnable| {
            if let Some(shared) = owner.upgrade() {
                shared.schedule(runnable);
            }
        });
        lock(&self.tasks).insert(id, handle);
        match wake {
            true => self.schedule(runnable),
            false => lock(&self.ready).push_back(runnable),
        }
    }

    /// Queues a woken task; on a closed loop, drops it (and so its future).
    fn schedule(&self, runnable: Runnable) {
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        lock(&self.ready).push_back(runnable);
        if current_id() != Some(self.id) {
            let _ = self.waker.wake();
        }
    }

    /// Wakes the tasks of the sockets that became ready.
    fn wake_ready_sources(&self) {
        let mut wakers = Vec::new();
        {
            let mut guard = lock(&self.poll);
            let (poll, events) = &mut *guard;
            if poll.poll(events, Some(Duration::ZERO)).is_err() {
                return;
            }
            let sources = lock(&self.sources);
            let mut ready = |direction: &Mutex<Direction>, ended: bool| {
                let mut direction = lock(direction);
                direction.blocked = false;
                direction.ended |= ended;
                wakers.extend(direction.waiting.take());
            };
            for event in events.iter() {
                let Some(source) = sources.get(&event.token().0).and_then(Weak::upgrade) else {
                    continue;
                };
                let read_ended = event.is_read_closed() || event.is_error();
                if event.is_readable() || read_ended {
                    ready(&source.read, read_ended);
                }
                if event.is_writable() || event.is_write_closed() || event.is_error() {
                    ready(&source.write, false);
                }
            }
        }
        wakers.into_iter().for_each(Waker::wake);
    }
}

/// Forgets its task when dropped: when the task ends, or unwinds from a panic.
struct Finished(Weak<Shared>, u64);

impl Drop for Finished {
    fn drop(&mut self) {
        if let Some(shared) = self.0.upgrade() {
            lock(&shared.tasks).remove(&self.1);
        }
    }
}

/// A TCP connection on the loop's poll.
pub(crate) struct HostedStream {
    io: mio::net::TcpStream,
    /// Operations in a row that did not block.
    streak: u32,
    source: Arc<Source>,
    token: Token,
    shared: Arc<Shared>,
}

/// Opens a TCP connection to `host:port` on the loop turning on this thread, trying each address
/// in turn.
pub(crate) async fn connect(host: &str, port: u16) -> io::Result<HostedStream> {
    let shared = current().ok_or_else(|| io::Error::other("no hosted loop on this thread"))?;
    let addresses: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((host, port)).await?.collect(),
    };
    let mut failed = io::Error::new(io::ErrorKind::NotFound, format!("{host} has no address"));
    for address in addresses {
        match connect_to(&shared, address).await {
            Ok(stream) => return Ok(stream),
            Err(e) => failed = e,
        }
    }
    Err(failed)
}

async fn connect_to(shared: &Arc<Shared>, address: SocketAddr) -> io::Result<HostedStream> {
    let stream = HostedStream::register(mio::net::TcpStream::connect(address)?, shared.clone())?;
    // mio: the connect has ended once the socket is writable; take_error and peer_addr say how.
    std::future::poll_fn(|cx| {
        lock(&stream.source.write).waiting = Some(cx.waker().clone());
        if let Some(e) = stream.io.take_error()? {
            return Poll::Ready(Err(e));
        }
        match stream.io.peer_addr() {
            Ok(_) => Poll::Ready(Ok(())),
            Err(e)
                if e.kind() == io::ErrorKind::NotConnected
                    || e.raw_os_error() == Some(libc::EINPROGRESS) =>
            {
                Poll::Pending
            }
            Err(e) => Poll::Ready(Err(e)),
        }
    })
    .await?;
    stream.io.set_nodelay(true)?;
    Ok(stream)
}

impl HostedStream {
    fn register(mut io: mio::net::TcpStream, shared: Arc<Shared>) -> io::Result<Self> {
        let token = Token(shared.next_token.fetch_add(1, Ordering::Relaxed));
        let source = Arc::new(Source::default());
        shared
            .registry
            .register(&mut io, token, Interest::READABLE | Interest::WRITABLE)?;
        lock(&shared.sources).insert(token.0, Arc::downgrade(&source));
        Ok(HostedStream {
            io,
            streak: 0,
            source,
            token,
            shared,
        })
    }

    /// Runs `op` unless the socket blocked and no event came since; waits for the next event
    /// when it blocks (edge-triggered). Events and polls both happen on the host's thread.
    fn poll_io<T>(
        &mut self,
        cx: &mut Context<'_>,
        direction: fn(&Source) -> &Mutex<Direction>,
        mut op: impl FnMut(&mio::net::TcpStream) -> io::Result<T>,
    ) -> Poll<io::Result<T>> {
        let direction = direction(&self.source);
        self.streak += 1;
        if self.streak > BUDGET {
            self.streak = 0;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        loop {
            {
                let mut direction = lock(direction);
                if direction.blocked {
                    direction.waiting = Some(cx.waker().clone());
                    return Poll::Pending;
                }
            }
            match op(&self.io) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.streak = 0;
                    lock(direction).blocked = true;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                done => return Poll::Ready(done),
            }
        }
    }
}

impl Drop for HostedStream {
    fn drop(&mut self) {
        let _ = self.shared.registry.deregister(&mut self.io);
        lock(&self.shared.sources).remove(&self.token.0);
    }
}

impl AsyncRead for HostedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // Reads into the unfilled part as it is, as tokio's sockets do: zeroing it first (8 KiB
        // or more, on every poll) was 16% of a Node call's instructions (callgrind, 2026-12-07).
        let this = self.get_mut();
        let wanted = buf.remaining();
        let read = this.poll_io(
            cx,
            |s| &s.read,
            // SAFETY: the unfilled part is only written (by `recv`), never de-initialized.
            |io| socket2::SockRef::from(io).recv(unsafe { buf.unfilled_mut() }),
        );
        read.map_ok(|n| {
            // SAFETY: `recv` wrote the first `n` bytes of the unfilled part.
            unsafe { buf.assume_init(n) };
            buf.advance(n);
            // A short read emptied the socket, so the next read waits for the next event instead
            // of failing with EAGAIN first (as tokio does on Linux; one recv per call fewer),
            // unless the peer closed: its end-of-file is already there and no event will follow.
            if n > 0 && n < wanted {
                let mut read = lock(&this.source.read);
                read.blocked = !read.ended;
            }
        })
    }
}

impl AsyncWrite for HostedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_io(cx, |s| &s.write, |mut io| io.write(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.io.shutdown(std::net::Shutdown::Write))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spawns on the loop when dropped (a task's future may).
    struct SpawnsWhenDropped(Weak<Shared>);

    impl Drop for SpawnsWhenDropped {
        fn drop(&mut self) {
            if let Some(shared) = self.0.upgrade() {
                shared.spawn(async {}, true);
            }
        }
    }

    #[tokio::test]
    async fn a_task_is_forgotten_when_it_ends_or_panics() {
        let hosted = HostedLoop::new(tokio::runtime::Handle::current()).expect("loop");
        hosted.spawn(async {});
        hosted.spawn(async { panic!("a panic in a hosted task (test)") });
        hosted.spawn(std::future::pending());
        assert_eq!(lock(&hosted.0.tasks).len(), 3);
        hosted.turn();
        assert_eq!(
            lock(&hosted.0.tasks).len(),
            1,
            "only the pending task is kept"
        );
    }

    #[tokio::test]
    async fn a_task_that_spawns_as_the_loop_drops_it_does_not_block_the_drop() {
        let hosted = HostedLoop::new(tokio::runtime::Handle::current()).expect("loop");
        let spawns = SpawnsWhenDropped(Arc::downgrade(&hosted.0));
        hosted.spawn(async move {
            let _spawns = spawns;
            std::future::pending::<()>().await;
        });
        hosted.turn();
        let (dropped, done) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            drop(hosted);
            let _ = dropped.send(());
        });
        let waited = done.recv_timeout(Duration::from_secs(10));
        assert!(waited.is_ok(), "dropping the loop did not return");
    }
}
