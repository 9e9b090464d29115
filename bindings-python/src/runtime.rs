//! One process-wide multi-thread tokio runtime (async calls, pagination, the emulator), created
//! lazily, re-created in a forked child; and a current-thread runtime per thread making sync
//! calls ([`thread_runtime`]), also re-created in a forked child.
//!
//! A `fork()` copies only the calling thread: the parent's worker threads do not exist in the
//! child, so its runtime would hang. The runtime is keyed by the process id; a child sees another
//! pid and builds its own (the parent's is leaked, never dropped: dropping it would wait for
//! threads that are not there).

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use pyo3::prelude::*;
use tokio::runtime::Runtime;

static RUNTIME: AtomicPtr<Runtime> = AtomicPtr::new(std::ptr::null_mut());
static RUNTIME_PID: AtomicU32 = AtomicU32::new(0);
static CREATE: Mutex<()> = Mutex::new(());

/// The runtime of this process.
pub fn runtime() -> &'static Runtime {
    let pid = std::process::id();
    let rt = RUNTIME.load(Ordering::Acquire);
    if !rt.is_null() && RUNTIME_PID.load(Ordering::Acquire) == pid {
        // SAFETY: runtimes are leaked, never freed.
        return unsafe { &*rt };
    }
    create(pid)
}

#[cold]
fn create(pid: u32) -> &'static Runtime {
    // In a forked child the lock may have been copied in the locked state; never wait on it.
    let _guard = match CREATE.try_lock() {
        Ok(g) => Some(g),
        Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) if RUNTIME_PID.load(Ordering::Acquire) != pid => {
            None
        }
        Err(std::sync::TryLockError::WouldBlock) => {
            Some(CREATE.lock().unwrap_or_else(|p| p.into_inner()))
        }
    };
    let rt = RUNTIME.load(Ordering::Acquire);
    if !rt.is_null() && RUNTIME_PID.load(Ordering::Acquire) == pid {
        return unsafe { &*rt };
    }
    let built = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ivschat-rt")
        .build()
        .expect("ivschat: cannot start the tokio runtime");
    let leaked: &'static Runtime = Box::leak(Box::new(built));
    RUNTIME.store(leaked as *const Runtime as *mut Runtime, Ordering::Release);
    RUNTIME_PID.store(pid, Ordering::Release);
    leaked
}

/// Runs `fut` to completion on the calling thread with the GIL released, checking for signals
/// every 50 ms: Ctrl-C raises `KeyboardInterrupt` and drops (cancels) the future.
pub fn block_on<F>(py: Python<'_>, fut: F) -> PyResult<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    block_on_in(py, runtime(), fut)
}

/// [`block_on`] on a given runtime.
pub fn block_on_in<F>(py: Python<'_>, rt: &Runtime, fut: F) -> PyResult<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    let mut fut = std::pin::pin!(fut);
    loop {
        let step = py.detach(|| {
            rt.block_on(async {
                tokio::time::timeout(Duration::from_millis(50), fut.as_mut())
                    .await
                    .ok()
            })
        });
        match step {
            Some(out) => return Ok(out),
            None => py.check_signals()?,
        }
    }
}

/// The calling thread's own current-thread runtime, for sync calls: the request, the connection
/// task and the socket's readiness are all handled by the thread that waits for the answer
/// (like a blocking socket), instead of hopping to a runtime worker and back. Its clients (one
/// per `Client` used on this thread, see [`ThreadRuntime::client`]) have their own connections.
pub struct ThreadRuntime {
    pid: u32,
    pub rt: Runtime,
    /// (the owning `NativeClient`'s liveness token, its client on this thread)
    clients: RefCell<Vec<(Weak<()>, ivschat::Client)>>,
}

thread_local! {
    static THREAD_RT: RefCell<Option<Rc<ThreadRuntime>>> = const { RefCell::new(None) };
}

/// This thread's runtime (None if it cannot be built, or while the thread is being torn down).
pub fn thread_runtime() -> Option<Rc<ThreadRuntime>> {
    let pid = std::process::id();
    THREAD_RT
        .try_with(|cell| {
            let mut slot = cell.try_borrow_mut().ok()?;
            if let Some(t) = slot.as_ref() {
                if t.pid == pid {
                    return Some(t.clone());
                }
                // A forked child: the parent's runtime shares its epoll instance; never touch it.
                std::mem::forget(slot.take());
            }
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            let t = Rc::new(ThreadRuntime {
                pid,
                rt,
                clients: RefCell::new(Vec::new()),
            });
            *slot = Some(t.clone());
            Some(t)
        })
        .ok()
        .flatten()
}

impl ThreadRuntime {
    /// The client of `owner` on this thread, made by `make` on first use. Clients of dropped
    /// owners are dropped here (with their connections).
    pub fn client(
        &self,
        owner: &Arc<()>,
        make: impl FnOnce() -> PyResult<ivschat::Client>,
    ) -> PyResult<ivschat::Client> {
        {
            let mut clients = self.clients.borrow_mut();
            if let Some((_, c)) = clients
                .iter()
                .find(|(w, _)| std::ptr::eq(w.as_ptr(), Arc::as_ptr(owner)))
            {
                return Ok(c.clone());
            }
            clients.retain(|(w, _)| w.strong_count() > 0);
        }
        let client = make()?;
        self.clients
            .borrow_mut()
            .push((Arc::downgrade(owner), client.clone()));
        Ok(client)
    }
}
