//! `ivschat._native`: the Rust half of the Python package `ivschat` (see python/ivschat/).
//!
//! Sync calls run on the calling thread's own runtime ([`runtime::thread_runtime`]; the
//! process-wide one with the default credentials chain), release the GIL while they wait and
//! check for Ctrl-C; async calls are tasks on the process-wide runtime completing asyncio
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

/// Re-reads the level of the `ivschat` logger (call after changing it).
#[pyfunction]
fn refresh_logging(py: Python<'_>) -> PyResult<()> {
    logging::refresh(py)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
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
