//! A call made while no other is in flight on its thread runs on the JavaScript thread: libuv
//! (Node's event loop) watches the core's `HostedLoop` descriptor with one `uv_poll_t` and turns
//! the loop when it is readable, so the call never crosses to a tokio worker and back
//! (`ivschat::HostedLoop` has the figures). Calls made meanwhile go to the worker, which then
//! shares the work.
//!
//! Only under Node: `process.versions` names Node and not Bun or Deno (Bun exports `uv_*`
//! stubs that abort), and the process's libuv must be version 1 with a poll handle
//! (`uv_handle_type_name`, `uv_handle_size`), on Linux. Otherwise calls go to the tokio runtime
//! (Windows has no descriptor to watch: this module is Unix only). The handle is unref'd (the
//! facade keeps the process alive while calls are pending) and closed when the environment is
//! torn down.

use std::cell::{Cell, RefCell};
use std::ffi::{CStr, c_char, c_int, c_uint, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use ivschat::HostedLoop;
use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

const UV_POLL: c_int = 8;
const UV_READABLE: c_int = 1;

type Handle = *mut c_void;

/// The libuv functions used, from the running process.
struct Api {
    poll_init: unsafe extern "C" fn(*mut c_void, Handle, c_int) -> c_int,
    poll_start:
        unsafe extern "C" fn(Handle, c_int, unsafe extern "C" fn(Handle, c_int, c_int)) -> c_int,
    unref: unsafe extern "C" fn(Handle),
    close: unsafe extern "C" fn(Handle, unsafe extern "C" fn(Handle)),
    poll_words: usize,
}

thread_local! {
    /// This thread's loop once asked for (`Some(None)` where calls go to the tokio runtime).
    static LOOP: RefCell<Option<Option<Rc<HostedLoop>>>> = const { RefCell::new(None) };
    /// A call runs on this thread's loop.
    static BUSY: Cell<bool> = const { Cell::new(false) };
}

/// The hosted loop of this JavaScript thread, set up on first use.
pub(crate) fn this_thread(env: &Env) -> Option<Rc<HostedLoop>> {
    LOOP.with(|l| l.borrow_mut().get_or_insert_with(|| start(env)).clone())
}

/// Whether this thread's calls run on it, driven by Node's loop (for tests and diagnostics).
#[cfg_attr(test, allow(dead_code))]
#[napi(catch_unwind)]
pub fn calls_on_javascript_thread(env: &Env) -> bool {
    this_thread(env).is_some()
}

/// This thread's loop for a new call when no other call runs on it, with the mark that it does
/// (dropped when the call ends). Calls made meanwhile go to the runtime's worker: all on this
/// thread, 64 calls in flight made 29,000 calls/s against 45,000 with the worker's help.
pub(crate) fn claim(env: &Env) -> Option<(Rc<HostedLoop>, InFlight)> {
    if BUSY.get() {
        return None;
    }
    let hosted = this_thread(env)?;
    BUSY.set(true);
    Some((hosted, InFlight))
}

/// A call running on this thread's loop.
pub(crate) struct InFlight;

impl Drop for InFlight {
    fn drop(&mut self) {
        let _ = BUSY.try_with(|busy| busy.set(false));
    }
}

fn start(env: &Env) -> Option<Rc<HostedLoop>> {
    // Linux only until a macOS run shows libuv waking on a kqueue descriptor.
    let off = std::env::var_os("IVSCHAT_NODE_NO_HOSTED_LOOP").is_some();
    if off || !cfg!(target_os = "linux") || !is_node(env) {
        return None;
    }
    let api = api()?;
    let runtime =
        napi::bindgen_prelude::within_runtime_if_available(tokio::runtime::Handle::try_current)
            .ok()?;
    let hosted = Rc::new(HostedLoop::new(runtime).ok()?);
    let mut uv_loop = std::ptr::null_mut();
    // SAFETY: env is this thread's environment.
    let status = unsafe { sys::napi_get_uv_event_loop(env.raw(), &mut uv_loop) };
    if status != sys::Status::napi_ok || uv_loop.is_null() {
        return None;
    }
    let handle = Box::into_raw(vec![0u64; api.poll_words].into_boxed_slice()) as Handle;
    // SAFETY: a zeroed handle of libuv's size for a poll handle, on this thread's loop; freed at
    // once if libuv never took it, else by `closed` after `uv_close`.
    unsafe {
        if (api.poll_init)(uv_loop.cast(), handle, hosted.fd()) != 0 {
            free(handle);
            return None;
        }
        if (api.poll_start)(handle, UV_READABLE, readable) != 0 {
            (api.close)(handle, closed);
            return None;
        }
        (api.unref)(handle);
        sys::napi_add_env_cleanup_hook(env.raw(), Some(teardown), handle);
    }
    Some(hosted)
}

/// `process.versions` names Node, and no other runtime that mimics it.
fn is_node(env: &Env) -> bool {
    let versions = || -> Result<bool> {
        let process: Object = env.get_global()?.get_named_property("process")?;
        let versions: Object = process.get_named_property("versions")?;
        Ok(versions.get::<String>("node")?.is_some()
            && !versions.has_named_property("bun")?
            && !versions.has_named_property("deno")?)
    };
    versions().unwrap_or(false)
}

fn api() -> Option<&'static Api> {
    static API: std::sync::OnceLock<Option<Api>> = std::sync::OnceLock::new();
    // SAFETY: under Node the `uv_*` symbols are libuv's, with the signatures of uv.h.
    API.get_or_init(|| unsafe { load() }).as_ref()
}

unsafe fn load() -> Option<Api> {
    let process = libloading::os::unix::Library::this();
    macro_rules! symbol {
        ($name:literal) => {
            // SAFETY: as this function's.
            *unsafe { process.get(concat!($name, "\0").as_bytes()) }.ok()?
        };
    }
    let version: unsafe extern "C" fn() -> c_uint = symbol!("uv_version");
    let size: unsafe extern "C" fn(c_int) -> usize = symbol!("uv_handle_size");
    let name: unsafe extern "C" fn(c_int) -> *const c_char = symbol!("uv_handle_type_name");
    // SAFETY: these three only read their argument.
    let (version, size, name) = unsafe { (version(), size(UV_POLL), name(UV_POLL)) };
    // SAFETY: libuv's names are static C strings.
    let poll_named = !name.is_null() && unsafe { CStr::from_ptr(name) }.to_bytes() == b"poll";
    if version >> 16 != 1 || !poll_named || size == 0 || size > 4096 {
        return None;
    }
    Some(Api {
        poll_init: symbol!("uv_poll_init"),
        poll_start: symbol!("uv_poll_start"),
        unref: symbol!("uv_unref"),
        close: symbol!("uv_close"),
        poll_words: size.div_ceil(8),
    })
}

unsafe extern "C" fn readable(_: Handle, _status: c_int, _events: c_int) {
    // A panic must not unwind into libuv; the loop drops a task that panics.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        if let Some(hosted) = LOOP.with(|l| l.borrow().clone().flatten()) {
            hosted.turn();
        }
    }));
}

unsafe extern "C" fn teardown(handle: *mut c_void) {
    // The loop's tasks are dropped with it; later calls (none are expected) go to the runtime.
    let _ = LOOP.try_with(|l| l.borrow_mut().replace(None));
    if let Some(api) = api() {
        // SAFETY: the poll handle `start` made, closed once.
        unsafe { (api.close)(handle, closed) };
    }
}

unsafe extern "C" fn closed(handle: Handle) {
    // SAFETY: libuv is done with the handle.
    unsafe { free(handle) };
}

/// # Safety
/// `handle` is one `start` allocated, which libuv does not hold.
unsafe fn free(handle: Handle) {
    if let Some(api) = api() {
        let words = std::ptr::slice_from_raw_parts_mut(handle as *mut u64, api.poll_words);
        // SAFETY: as the function's.
        drop(unsafe { Box::from_raw(words) });
    }
}
