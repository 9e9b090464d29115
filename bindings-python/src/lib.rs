//! `ivschat._native`, the Rust half of the package `ivschat` (python/ivschat/): `client` (calls,
//! sync and asyncio, on the `runtime`s), `messaging` (chat rooms), `logging`, `local` (emulator).

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
    runtime::install_hooks(m)?;
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
