//! `ivschat._native`: the Rust half of the Python package `ivschat` (see python/ivschat/).
//!
//! Synchronous calls drive a current-thread runtime on the calling thread with the GIL released
//! and stop on Ctrl-C; async calls are pyo3-async-runtimes futures (cancelling one drops the
//! call); errors become the classes of `ivschat._errors`; chat rooms are `messaging`; the core's spans
//! go to `logging`.

mod client;
mod credentials;
mod error;
#[cfg(feature = "local")]
mod local;
mod logging;
mod messaging;
#[rustfmt::skip]
mod messaging_model;
mod runtime;

use pyo3::prelude::*;

// Async calls allocate on the runtime's workers and free on the event loop's thread (and the
// other way round); mimalloc is much cheaper than glibc's arenas for that (bench/python/RESULTS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    runtime::install_fork_handler();
    logging::install();
    m.add_class::<client::NativeClient>()?;
    m.add_class::<messaging::NativeChatRoom>()?;
    m.add_class::<messaging::NativeEvents>()?;
    #[cfg(feature = "local")]
    m.add_class::<local::NativeLocalServer>()?;
    m.add("HAS_LOCAL", cfg!(feature = "local"))?;
    m.add("VERSION", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(logging::refresh, m)?)?;
    Ok(())
}
