//! The asyncio bridge: a call is a task on the shared runtime completing an `asyncio.Future`.
//!
//! No thread but the event loop's ever takes the GIL for a call. `call_async` creates the
//! future (`ivschat._aio.Future`, whose `cancel()` aborts the task) and spawns the Rust call;
//! the finished task pushes its plain-Rust outcome onto its loop's queue and, when the queue was
//! empty, writes one byte to a socket pair the loop watches (`loop.add_reader`). The loop then
//! runs [`LoopBridge::drain`], which converts every queued outcome into Python and resolves the
//! futures in one batch: under load many completions cost one wakeup. (pyo3-async-runtimes
//! instead took the GIL on a runtime thread per completion, and hopped through its blocking
//! pool.) Event loops without `add_reader` (Windows' proactor) are woken with
//! `call_soon_threadsafe` instead.

use std::future::Future;
use std::sync::{Arc, Mutex};

use ivschat::dynamic::OperationOutput;
use pyo3::exceptions::PyRuntimeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::convert::to_py;
use crate::error::to_pyerr;
use crate::runtime::runtime;

/// What a finished task hands to the loop (plain Rust: no GIL needed to produce it).
pub enum Done {
    Call(Result<OperationOutput, ivschat::Error>),
    Page(Option<Result<OperationOutput, ivschat::Error>>),
}

impl Done {
    pub fn into_py(self, py: Python<'_>) -> Result<Bound<'_, PyAny>, PyErr> {
        match self {
            Done::Call(Ok(v)) | Done::Page(Some(Ok(v))) => to_py(py, &v),
            Done::Call(Err(e)) | Done::Page(Some(Err(e))) => Err(to_pyerr(py, &e)),
            Done::Page(None) => Ok(py.None().into_bound(py)),
        }
    }
}

struct Shared {
    queue: Mutex<Vec<(Py<PyAny>, Done)>>,
    #[cfg(unix)]
    tx: Option<std::os::unix::net::UnixStream>,
    /// Without a socket: the loop and the drain callback, for `call_soon_threadsafe`.
    fallback: std::sync::OnceLock<(Py<PyAny>, Py<PyAny>)>,
}

impl Shared {
    fn push(&self, fut: Py<PyAny>, done: Done) {
        let was_empty = {
            let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            let was_empty = q.is_empty();
            q.push((fut, done));
            was_empty
        };
        if !was_empty {
            return; // a wakeup is already pending
        }
        #[cfg(unix)]
        if let Some(tx) = &self.tx {
            use std::io::Write;
            // Non-blocking: a full buffer means unread bytes, so the loop wakes anyway.
            let _ = (&*tx).write(&[1]);
            return;
        }
        if let Some((lp, drain)) = self.fallback.get() {
            Python::attach(|py| {
                let _ = lp
                    .bind(py)
                    .call_method1("call_soon_threadsafe", (drain.bind(py),));
            });
        }
    }
}

/// The per-event-loop half of the bridge (its `drain` is the loop's reader callback).
#[pyclass(module = "ivschat._native", frozen)]
pub struct LoopBridge {
    shared: Arc<Shared>,
    #[cfg(unix)]
    rx: Option<std::os::unix::net::UnixStream>,
    event_loop: Py<PyAny>,
}

#[pymethods]
impl LoopBridge {
    /// Resolves the futures of every finished call (run by the event loop).
    fn drain(&self, py: Python<'_>) {
        #[cfg(unix)]
        if let Some(rx) = &self.rx {
            use std::io::Read;
            let mut buf = [0u8; 64];
            loop {
                match (&*rx).read(&mut buf) {
                    Ok(n) if n == buf.len() => continue,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    _ => break,
                }
            }
        }
        let items =
            std::mem::take(&mut *self.shared.queue.lock().unwrap_or_else(|p| p.into_inner()));
        for (fut, done) in items {
            let fut = fut.bind(py);
            // A future cancelled meanwhile refuses the outcome (`InvalidStateError`, dropped).
            let _ = match done.into_py(py) {
                Ok(value) => fut.call_method1(intern!(py, "set_result"), (value,)),
                Err(e) => fut.call_method1(intern!(py, "set_exception"), (e.into_value(py),)),
            };
        }
    }
}

/// Aborts the task of an `ivschat._aio.Future` (called by its `cancel()`).
#[pyclass(module = "ivschat._native", frozen)]
pub struct Abort(tokio::task::AbortHandle);

#[pymethods]
impl Abort {
    fn __call__(&self) {
        self.0.abort();
    }
}

struct Registry {
    generation: u32,
    bridges: Vec<Py<LoopBridge>>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    generation: 0,
    bridges: Vec::new(),
});

struct PyParts {
    get_running_loop: Py<PyAny>,
    future_class: Py<PyAny>,
}

static PARTS: PyOnceLock<PyParts> = PyOnceLock::new();

fn parts(py: Python<'_>) -> PyResult<&PyParts> {
    PARTS.get_or_try_init(py, || {
        Ok::<_, PyErr>(PyParts {
            get_running_loop: py.import("asyncio")?.getattr("get_running_loop")?.unbind(),
            future_class: py.import("ivschat._aio")?.getattr("Future")?.unbind(),
        })
    })
}

/// The bridge of `event_loop`, created (and registered with the loop) on first use.
///
/// The registry's lock is never held while Python code runs (a method call, or a destructor
/// run by a decref): that code could switch threads, and another thread waiting for the lock
/// with the GIL would deadlock.
fn bridge_for(py: Python<'_>, event_loop: &Bound<'_, PyAny>) -> PyResult<Arc<Shared>> {
    let generation = crate::runtime::fork_generation();
    let known: Vec<Py<LoopBridge>> = {
        let mut reg = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
        if reg.generation != generation {
            // A forked child: the parent's bridges belong to the parent's runtime and loops.
            for b in std::mem::take(&mut reg.bridges) {
                std::mem::forget(b);
            }
            reg.generation = generation;
        }
        // `is` runs no Python code.
        if let Some(b) = reg
            .bridges
            .iter()
            .find(|b| b.get().event_loop.bind(py).is(event_loop))
        {
            return Ok(b.get().shared.clone());
        }
        reg.bridges.iter().map(|b| b.clone_ref(py)).collect()
    };
    // A new loop (only its own thread calls for it): forget the bridges of closed loops (their
    // selectors are gone), then register a bridge with this one.
    let closed: Vec<Py<LoopBridge>> = known
        .into_iter()
        .filter(|b| {
            b.get()
                .event_loop
                .bind(py)
                .call_method0("is_closed")
                .and_then(|c| c.is_truthy())
                .unwrap_or(true)
        })
        .collect();
    let bridge = new_bridge(py, event_loop)?;
    let shared = bridge.get().shared.clone();
    let removed: Vec<Py<LoopBridge>> = {
        let mut reg = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
        let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut reg.bridges)
            .into_iter()
            .partition(|b| closed.iter().any(|c| c.is(b)));
        reg.bridges = kept;
        reg.bridges.push(bridge);
        gone
    };
    drop(removed); // decrefs outside the lock
    drop(closed);
    Ok(shared)
}

#[cfg(unix)]
fn new_bridge(py: Python<'_>, event_loop: &Bound<'_, PyAny>) -> PyResult<Py<LoopBridge>> {
    use std::os::fd::AsRawFd;
    let io = |e: std::io::Error| PyRuntimeError::new_err(format!("ivschat: asyncio bridge: {e}"));
    let (rx, tx) = std::os::unix::net::UnixStream::pair().map_err(io)?;
    rx.set_nonblocking(true).map_err(io)?;
    tx.set_nonblocking(true).map_err(io)?;
    let fd = rx.as_raw_fd();
    let bridge = Py::new(
        py,
        LoopBridge {
            shared: Arc::new(Shared {
                queue: Mutex::new(Vec::new()),
                tx: Some(tx),
                fallback: std::sync::OnceLock::new(),
            }),
            rx: Some(rx),
            event_loop: event_loop.clone().unbind(),
        },
    )?;
    let drain = bridge.bind(py).getattr("drain")?;
    match event_loop.call_method1("add_reader", (fd, drain)) {
        Ok(_) => Ok(bridge),
        Err(e) if e.is_instance_of::<pyo3::exceptions::PyNotImplementedError>(py) => {
            fallback_bridge(py, event_loop)
        }
        Err(e) => Err(e),
    }
}

#[cfg(not(unix))]
fn new_bridge(py: Python<'_>, event_loop: &Bound<'_, PyAny>) -> PyResult<Py<LoopBridge>> {
    fallback_bridge(py, event_loop)
}

fn fallback_bridge(py: Python<'_>, event_loop: &Bound<'_, PyAny>) -> PyResult<Py<LoopBridge>> {
    let shared = Arc::new(Shared {
        queue: Mutex::new(Vec::new()),
        #[cfg(unix)]
        tx: None,
        fallback: std::sync::OnceLock::new(),
    });
    let bridge = Py::new(
        py,
        LoopBridge {
            shared: shared.clone(),
            #[cfg(unix)]
            rx: None,
            event_loop: event_loop.clone().unbind(),
        },
    )?;
    // A cycle (the bridge's queue holds its own callback), on loops without `add_reader` only.
    let drain = bridge.bind(py).getattr("drain")?.unbind();
    let _ = shared.fallback.set((event_loop.clone().unbind(), drain));
    Ok(bridge)
}

/// An `asyncio.Future` on the running loop resolved with `fut`'s outcome; cancelling it aborts
/// the task (which drops the request).
pub fn spawn<'py, F>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = Done> + Send + 'static,
{
    let parts = parts(py)?;
    let event_loop = parts.get_running_loop.bind(py).call0()?;
    let shared = bridge_for(py, &event_loop)?;
    // On the running loop (the one `get_running_loop` returned).
    let py_fut = parts.future_class.bind(py).call0()?;
    let target = py_fut.clone().unbind();
    let task = runtime().spawn(async move {
        let done = fut.await;
        shared.push(target, done);
    });
    py_fut.setattr(intern!(py, "_ivschat_abort"), Abort(task.abort_handle()))?;
    Ok(py_fut)
}
