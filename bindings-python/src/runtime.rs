//! The binding's two process-wide tokio runtimes, created lazily and re-created in a forked
//! child:
//!
//! - [`runtime`], multi-thread: async calls, pagination, credential callbacks, the in-process
//!   emulator;
//! - [`blocking_runtime`], current-thread, shared by every thread making a blocking call. A
//!   blocking client's call does its socket I/O on the calling thread and usually completes in
//!   its first poll. The runtime is there for what it may await (a credentials refresh; with a
//!   proxy, the async transport), driven by the waiting thread itself. Threads calling at the
//!   same time take turns driving it; the others wait for their own result.
//!
//! A `fork()` copies only the calling thread: the parent's worker threads do not exist in the
//! child, and a runtime's epoll instance is shared with the parent. A `pthread_atfork` child
//! handler bumps the [`fork_generation`]; each runtime (and each client's connection pool) is
//! keyed by it, so a child builds its own (the parent's are leaked, never dropped: dropping
//! them would wait for threads that are not there).

use std::cell::RefCell;
use std::future::Future;
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use pyo3::prelude::*;
use tokio::runtime::{Builder, Runtime};

static GENERATION: AtomicU32 = AtomicU32::new(1);
static FORK_HANDLER: Once = Once::new();

extern "C" fn after_fork_in_child() {
    GENERATION.fetch_add(1, Ordering::AcqRel);
}

/// Registers the `fork()` child handler (once; call before any runtime or client is made).
pub fn install_fork_handler() {
    FORK_HANDLER.call_once(|| {
        // SAFETY: the handler only bumps an atomic, which is async-signal-safe.
        let failed = unsafe { libc::pthread_atfork(None, None, Some(after_fork_in_child)) } != 0;
        if failed {
            // Without the handler, fall back to the process id (a system call per check).
            GENERATION.store(0, Ordering::Release);
        }
    });
}

/// Which process this is: changes in a `fork()`ed child. No system call on the hot path.
pub fn fork_generation() -> u32 {
    match GENERATION.load(Ordering::Acquire) {
        0 => std::process::id() | 0x8000_0000,
        generation => generation,
    }
}

/// One lazily built, fork-aware runtime.
struct ProcessRuntime {
    runtime: AtomicPtr<Runtime>,
    /// The [`fork_generation`] that built `runtime`.
    generation: AtomicU32,
    create: Mutex<()>,
    build: fn() -> std::io::Result<Runtime>,
}

impl ProcessRuntime {
    const fn new(build: fn() -> std::io::Result<Runtime>) -> Self {
        ProcessRuntime {
            runtime: AtomicPtr::new(std::ptr::null_mut()),
            generation: AtomicU32::new(0),
            create: Mutex::new(()),
            build,
        }
    }

    fn get(&'static self) -> &'static Runtime {
        let generation = fork_generation();
        let rt = self.runtime.load(Ordering::Acquire);
        if !rt.is_null() && self.generation.load(Ordering::Acquire) == generation {
            // SAFETY: runtimes are leaked, never freed.
            return unsafe { &*rt };
        }
        self.create(generation)
    }

    #[cold]
    fn create(&'static self, generation: u32) -> &'static Runtime {
        // In a forked child the lock may have been copied in the locked state; never wait on it.
        let _guard = match self.create.try_lock() {
            Ok(g) => Some(g),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock)
                if self.generation.load(Ordering::Acquire) != generation =>
            {
                None
            }
            Err(std::sync::TryLockError::WouldBlock) => {
                Some(self.create.lock().unwrap_or_else(|p| p.into_inner()))
            }
        };
        let rt = self.runtime.load(Ordering::Acquire);
        if !rt.is_null() && self.generation.load(Ordering::Acquire) == generation {
            // SAFETY: as in `get`.
            return unsafe { &*rt };
        }
        let built = (self.build)().expect("ivschat: cannot start the tokio runtime");
        let leaked: &'static Runtime = Box::leak(Box::new(built));
        self.runtime
            .store(leaked as *const Runtime as *mut Runtime, Ordering::Release);
        self.generation.store(generation, Ordering::Release);
        leaked
    }
}

static SHARED: ProcessRuntime = ProcessRuntime::new(|| {
    Builder::new_multi_thread()
        .enable_all()
        .thread_name("ivschat-rt")
        .build()
});

static BLOCKING: ProcessRuntime = ProcessRuntime::new(|| {
    Builder::new_current_thread()
        .enable_all()
        .thread_name("ivschat-blocking")
        .build()
});

/// The multi-thread runtime of this process.
pub fn runtime() -> &'static Runtime {
    SHARED.get()
}

/// The current-thread runtime that blocking calls drive on their own threads.
pub fn blocking_runtime() -> &'static Runtime {
    BLOCKING.get()
}

thread_local! {
    /// The exception a signal handler raised while a blocking call waited on this thread.
    static INTERRUPTING: RefCell<Option<PyErr>> = const { RefCell::new(None) };
}

/// What a blocking client asks every 50 ms while a call waits: runs Python's signal handlers
/// (on the main thread; elsewhere it is a no-op). When one raises (Ctrl-C), the call stops and
/// [`raise_interrupting_signal`] raises the handler's exception.
pub fn signal_check() -> ivschat::client::Interrupt {
    Arc::new(|| {
        Python::attach(|py| match py.check_signals() {
            Ok(()) => false,
            Err(e) => {
                INTERRUPTING.with(|slot| *slot.borrow_mut() = Some(e));
                true
            }
        })
    })
}

/// After a blocking call: the signal handler's exception if [`signal_check`] stopped it.
pub fn raise_interrupting_signal<T>(result: &Result<T, ivschat::Error>) -> PyResult<()> {
    match result {
        Err(e) if ivschat::client::is_interrupted(e) => Err(INTERRUPTING
            .with(|slot| slot.borrow_mut().take())
            .unwrap_or_else(|| pyo3::exceptions::PyKeyboardInterrupt::new_err(()))),
        _ => Ok(()),
    }
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
    // A blocking client's call usually completes in its first poll: try that on this thread, in
    // the runtime's context, before entering its scheduler.
    let first = py.detach(|| {
        let _context = rt.enter();
        fut.as_mut()
            .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
    });
    if let std::task::Poll::Ready(out) = first {
        return Ok(out);
    }
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
