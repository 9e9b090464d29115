//! One process-wide multi-thread tokio runtime, created lazily, re-created in a forked child.
//!
//! A `fork()` copies only the calling thread: the parent's worker threads do not exist in the
//! child, so its runtime would hang. The runtime is keyed by the process id; a child sees another
//! pid and builds its own (the parent's is leaked, never dropped: dropping it would wait for
//! threads that are not there).

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3_async_runtimes::TaskLocals;
use pyo3_async_runtimes::generic::{ContextExt, JoinError, Runtime as GenericRuntime};
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
    let rt = runtime();
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

/// The pyo3-async-runtimes adapter for [`runtime`].
pub struct IvsRuntime;

tokio::task_local! {
    static TASK_LOCALS: std::cell::OnceCell<TaskLocals>;
}

pub struct TokioJoinError(tokio::task::JoinError);

impl JoinError for TokioJoinError {
    fn is_panic(&self) -> bool {
        self.0.is_panic()
    }
    fn into_panic(self) -> Box<dyn std::any::Any + Send + 'static> {
        self.0.into_panic()
    }
}

pub struct JoinHandle(tokio::task::JoinHandle<()>);

impl Future for JoinHandle {
    type Output = Result<(), TokioJoinError>;
    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map_err(TokioJoinError)
    }
}

impl GenericRuntime for IvsRuntime {
    type JoinError = TokioJoinError;
    type JoinHandle = JoinHandle;

    fn spawn<F>(fut: F) -> Self::JoinHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        JoinHandle(runtime().spawn(fut))
    }

    fn spawn_blocking<F>(f: F) -> Self::JoinHandle
    where
        F: FnOnce() + Send + 'static,
    {
        JoinHandle(runtime().spawn_blocking(f))
    }
}

impl ContextExt for IvsRuntime {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        let cell = std::cell::OnceCell::new();
        let _ = cell.set(locals);
        Box::pin(TASK_LOCALS.scope(cell, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        TASK_LOCALS
            .try_with(|c| c.get().cloned())
            .unwrap_or_default()
    }
}

/// An awaitable for `fut` on the running asyncio loop; cancelling it drops `fut`.
pub fn future_into_py<'py, F, T>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    pyo3_async_runtimes::generic::future_into_py::<IvsRuntime, F, T>(py, fut)
}
