//! The binding's two process-wide tokio runtimes, built lazily and again in a forked child:
//! [`runtime`] (multi-thread: async calls through pyo3-async-runtimes, pagination, chat rooms,
//! the in-process emulator) and [`blocking_runtime`] (current-thread, driven by each thread that
//! makes a synchronous call, see [`block_on_in`]).
//!
//! pyo3-async-runtimes completes each future from `spawn_blocking`; [`Rt`] runs those completions
//! on one thread holding the GIL across each batch instead of a pool thread each (bench/python,
//! 2026-12-06, 4 alternating pairs: AsyncClient at 64 in flight 9,968 → 20,425 calls/s, CPU per
//! call 136 → 53 µs, peak RSS 102 → 46 MB; sequential unchanged).
//!
//! `fork()` copies only the calling thread: the parent's runtime workers do not exist in the
//! child. A `pthread_atfork` child handler bumps a generation; runtimes (and clients) are
//! keyed by it, and the parent's are leaked, never dropped (dropping would wait for threads that
//! are not there).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Mutex, Once};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3_async_runtimes::TaskLocals;
use pyo3_async_runtimes::generic::{ContextExt, JoinError, Runtime as GenericRuntime};
use tokio::runtime::{Builder, Runtime};

static GENERATION: AtomicU32 = AtomicU32::new(1);

extern "C" fn after_fork_in_child() {
    GENERATION.fetch_add(1, Ordering::AcqRel);
    ATTACHED.store(0, Ordering::SeqCst);
}

/// Set by an `atexit` hook: before Python 3.14 a thread running Python code during finalization
/// is ended by `pthread_exit`, unwinding its Rust frames without the GIL (a SIGSEGV). From then
/// on [`attach`] refuses; the hook first waits (at most 2 s) for the threads inside it.
static EXITING: AtomicBool = AtomicBool::new(false);
static ATTACHED: AtomicUsize = AtomicUsize::new(0);

/// `Python::attach` for the binding's own threads; `None` once Python is exiting.
pub fn attach<R>(f: impl FnOnce(Python<'_>) -> R) -> Option<R> {
    ATTACHED.fetch_add(1, Ordering::SeqCst);
    let out = (!EXITING.load(Ordering::SeqCst)).then(|| Python::attach(f));
    ATTACHED.fetch_sub(1, Ordering::SeqCst);
    out
}

#[pyfunction]
fn python_exiting(py: Python<'_>) {
    EXITING.store(true, Ordering::SeqCst);
    let busy = |_: &u32| ATTACHED.load(Ordering::SeqCst) > 0;
    let pause = |_| std::thread::sleep(Duration::from_millis(1));
    py.detach(|| (0..2000).take_while(busy).for_each(pause));
}

/// Registers the `fork()` child handler (once) and the `atexit` hook (at import).
pub fn install_hooks(m: &Bound<'_, PyModule>) -> PyResult<()> {
    static ONCE: Once = Once::new();
    // SAFETY: the handler only stores atomics, which is async-signal-safe.
    ONCE.call_once(|| unsafe {
        libc::pthread_atfork(None, None, Some(after_fork_in_child));
    });
    let hook = wrap_pyfunction!(python_exiting, m)?;
    m.py().import("atexit")?.call_method1("register", (hook,))?;
    Ok(())
}

/// A value of this process, made again in a forked child (whose copy of the lock may be held:
/// it is never waited on there).
pub struct PerProcess<T: Clone>(Mutex<Option<(u32, T)>>);

impl<T: Clone> PerProcess<T> {
    pub const fn new() -> Self {
        PerProcess(Mutex::new(None))
    }

    pub fn get_or_try<E>(&self, make: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        let generation = GENERATION.load(Ordering::Acquire); // changes in a forked child
        // Bounded wait: a forked child's copy may be locked for ever.
        let mut slot = (0..10_000).find_map(|_| match self.0.try_lock() {
            Ok(slot) => Some(slot),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => {
                std::thread::yield_now();
                None
            }
        });
        if let Some(Some((owner, value))) = slot.as_deref()
            && *owner == generation
        {
            return Ok(value.clone());
        }
        let value = make()?;
        if let Some(slot) = slot.as_mut() {
            std::mem::forget(slot.replace((generation, value.clone())));
        }
        Ok(value)
    }
}

fn built(slot: &'static PerProcess<&'static Runtime>, multi: bool) -> &'static Runtime {
    let build = || {
        let mut b = if multi {
            Builder::new_multi_thread()
        } else {
            Builder::new_current_thread()
        };
        b.enable_all()
            .thread_name("ivschat-rt")
            .build()
            .map(|rt| &*Box::leak(Box::new(rt)))
    };
    slot.get_or_try(build)
        .expect("ivschat: cannot start a tokio runtime")
}

/// The multi-thread runtime of this process.
pub fn runtime() -> &'static Runtime {
    static SHARED: PerProcess<&'static Runtime> = PerProcess::new();
    built(&SHARED, true)
}

/// The current-thread runtime that synchronous calls drive on their own threads.
pub fn blocking_runtime() -> &'static Runtime {
    static BLOCKING: PerProcess<&'static Runtime> = PerProcess::new();
    built(&BLOCKING, false)
}

/// Runs `fut` on the calling thread with the GIL released, checking Python's signal handlers
/// every 50 ms: when one raises (Ctrl-C), the future is dropped (the call is cancelled) and the
/// handler's exception (`KeyboardInterrupt`) propagates.
pub fn block_on_in<F>(py: Python<'_>, rt: &Runtime, fut: F) -> PyResult<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    let mut fut = std::pin::pin!(fut);
    loop {
        let slice = async { tokio::time::timeout(Duration::from_millis(50), fut.as_mut()).await };
        match py.detach(|| rt.block_on(slice)) {
            Ok(out) => return Ok(out),
            Err(_) => py.check_signals()?,
        }
    }
}

/// pyo3-async-runtimes on [`runtime`] (its own tokio runtime is not rebuilt after a fork):
/// `future_into_py::<Rt, _, _>` gives an awaitable whose cancellation drops the future, and a
/// panic in it raises `RustPanic`.
pub struct Rt;

tokio::task_local! {
    static LOCALS: TaskLocals;
}

pub struct Join(tokio::task::JoinError);

impl JoinError for Join {
    fn is_panic(&self) -> bool {
        self.0.is_panic()
    }
    fn into_panic(self) -> Box<dyn std::any::Any + Send + 'static> {
        self.0.into_panic()
    }
}

type Joined = Pin<Box<dyn Future<Output = Result<(), Join>> + Send>>;

impl GenericRuntime for Rt {
    type JoinError = Join;
    type JoinHandle = Joined;

    fn spawn<F: Future<Output = ()> + Send + 'static>(fut: F) -> Joined {
        let task = runtime().spawn(fut);
        Box::pin(async move { task.await.map_err(Join) })
    }

    /// Only pyo3-async-runtimes' completions (the GIL, then `call_soon_threadsafe`).
    fn spawn_blocking<F: FnOnce() + Send + 'static>(f: F) -> Joined {
        let _ = completions().send(Box::new(f));
        Box::pin(std::future::ready(Ok(())))
    }
}

type Job = Box<dyn FnOnce() + Send>;

fn completions() -> std::sync::mpsc::Sender<Job> {
    static SENDER: PerProcess<std::sync::mpsc::Sender<Job>> = PerProcess::new();
    let start = || {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let run = move || {
            while let Ok(job) = rx.recv() {
                // Jobs left when Python exits are dropped unrun (pyo3 defers their decrefs).
                attach(|_| {
                    let jobs = std::iter::once(job).chain(rx.try_iter());
                    for job in jobs.take_while(|_| !EXITING.load(Ordering::SeqCst)) {
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                });
            }
        };
        let name = "ivschat-completions".to_owned();
        std::thread::Builder::new()
            .name(name)
            .spawn(run)
            .map(|_| tx)
    };
    SENDER
        .get_or_try(start)
        .expect("ivschat: cannot start a thread")
}

impl ContextExt for Rt {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        Box::pin(LOCALS.scope(locals, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        LOCALS.try_with(Clone::clone).ok()
    }
}
