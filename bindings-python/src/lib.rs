//! `ivschat._native`: the Rust half of the Python package `ivschat` (see python/ivschat/).
//!
//! Sync calls do their socket I/O on the calling thread (the core's blocking transport, driven
//! through [`runtime::blocking_runtime`]), release the GIL while they wait and check for Ctrl-C; async
//! calls are tasks on the process-wide runtime completing asyncio
//! futures through [`aio`] (cancelling one drops the request); errors become the classes of
//! `ivschat._errors`; the core's spans go to `logging`.

mod aio;
mod client;
mod convert;
mod credentials;
mod error;
#[cfg(feature = "local")]
mod local;
mod logging;
mod runtime;

use pyo3::prelude::*;

// Async calls allocate on the runtime's workers and free on the event loop's thread (and the
// other way round); mimalloc is much cheaper than glibc's arenas for that (bench/python/RESULTS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Re-reads the level of the `ivschat` logger (call after changing it).
#[pyfunction]
fn refresh_logging(py: Python<'_>) -> PyResult<()> {
    logging::refresh(py)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    runtime::install_fork_handler();
    logging::install();
    m.add_class::<client::NativeClient>()?;
    m.add_class::<client::NativePages>()?;
    #[cfg(feature = "local")]
    m.add_class::<local::NativeLocalServer>()?;
    m.add("HAS_LOCAL", cfg!(feature = "local"))?;
    m.add("VERSION", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(refresh_logging, m)?)?;
    Ok(())
}
