//! libuv, Node's event loop, watching the core's sockets (`ivschat::polled`): one `uv_poll_t`
//! per socket and one `uv_timer_t` per client for the nearest deadline. A call then runs on the
//! JavaScript thread from start to end with one `write` and one `read`, and none of Node's
//! stream machinery.
//!
//! Node exports libuv to addons; its functions are looked up in the running process. Where they
//! are missing (a runtime other than Node), [`Watcher::new`] gives `None` and calls run on the
//! tokio runtime instead. Handles are unref'd: they never keep the process alive (the facade
//! does while calls are pending).

use std::alloc::Layout;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::{c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::rc::{Rc, Weak};
use std::sync::OnceLock;
use std::time::Instant;

use ivschat::polled::{Change, RawSocket, Token};
use napi::sys;

const UV_POLL: c_int = 8;
const UV_TIMER: c_int = 13;
const UV_READABLE: c_int = 1;
const UV_WRITABLE: c_int = 2;

#[cfg(unix)]
type OsSocket = c_int;
#[cfg(windows)]
type OsSocket = usize;

type Handle = *mut c_void;
type PollCb = unsafe extern "C" fn(Handle, c_int, c_int);
type TimerCb = unsafe extern "C" fn(Handle);
type CloseCb = unsafe extern "C" fn(Handle);

/// What the loop reports to.
pub(crate) trait LoopEvents {
    /// Socket `token` is readable or writable.
    fn ready(&self, token: Token, readable: bool, writable: bool);
    /// libuv saw an error on socket `token` and stopped watching it.
    fn broken(&self, token: Token);
    /// The armed deadline passed.
    fn timer(&self);
}

/// The libuv functions used, from the running process.
struct Api {
    poll_init_socket: unsafe extern "C" fn(*mut c_void, Handle, OsSocket) -> c_int,
    poll_start: unsafe extern "C" fn(Handle, c_int, PollCb) -> c_int,
    poll_stop: unsafe extern "C" fn(Handle) -> c_int,
    close: unsafe extern "C" fn(Handle, CloseCb),
    unref: unsafe extern "C" fn(Handle),
    timer_init: unsafe extern "C" fn(*mut c_void, Handle) -> c_int,
    timer_start: unsafe extern "C" fn(Handle, TimerCb, u64, u64) -> c_int,
    timer_stop: unsafe extern "C" fn(Handle) -> c_int,
    poll_layout: Layout,
    timer_layout: Layout,
}

fn api() -> Option<&'static Api> {
    static API: OnceLock<Option<Api>> = OnceLock::new();
    // SAFETY: the symbols are libuv's, with the signatures of uv.h.
    API.get_or_init(|| unsafe { load() }).as_ref()
}

/// # Safety
/// The process's `uv_*` symbols, when present, must be libuv's.
unsafe fn load() -> Option<Api> {
    #[cfg(unix)]
    let process = libloading::os::unix::Library::this();
    #[cfg(windows)]
    let process = libloading::os::windows::Library::this().ok()?;
    macro_rules! symbol {
        ($name:literal) => {
            // SAFETY: as this function's.
            *unsafe { process.get(concat!($name, "\0").as_bytes()) }.ok()?
        };
    }
    let handle_size: unsafe extern "C" fn(c_int) -> usize = symbol!("uv_handle_size");
    // SAFETY: uv_handle_size only reads its argument.
    let layout = |kind| Layout::from_size_align(unsafe { handle_size(kind) }, 16).ok();
    Some(Api {
        poll_init_socket: symbol!("uv_poll_init_socket"),
        poll_start: symbol!("uv_poll_start"),
        poll_stop: symbol!("uv_poll_stop"),
        close: symbol!("uv_close"),
        unref: symbol!("uv_unref"),
        timer_init: symbol!("uv_timer_init"),
        timer_start: symbol!("uv_timer_start"),
        timer_stop: symbol!("uv_timer_stop"),
        poll_layout: layout(UV_POLL)?,
        timer_layout: layout(UV_TIMER)?,
    })
}

/// What a handle's `data` points to.
struct Target {
    events: Weak<dyn LoopEvents>,
    token: Token,
    layout: Layout,
}

/// A new zeroed handle of `layout` whose `data` (every libuv handle's first field) is a
/// [`Target`]; freed by [`closed`].
fn new_handle(layout: Layout, events: Weak<dyn LoopEvents>, token: Token) -> Handle {
    // SAFETY: the layout is libuv's handle size, non-zero.
    let handle = unsafe { std::alloc::alloc_zeroed(layout) } as Handle;
    if handle.is_null() {
        std::alloc::handle_alloc_error(layout);
    }
    let target = Box::into_raw(Box::new(Target {
        events,
        token,
        layout,
    }));
    // SAFETY: `data` is the handle's first field, a pointer.
    unsafe { *(handle as *mut *mut Target) = target };
    handle
}

fn target<'a>(handle: Handle) -> &'a Target {
    // SAFETY: set by new_handle, freed only by `closed`, after which libuv calls nothing.
    unsafe { &**(handle as *const *const Target) }
}

/// The close callback: frees the handle and its target.
unsafe extern "C" fn closed(handle: Handle) {
    // SAFETY: both were made by new_handle and libuv is done with the handle.
    unsafe {
        let target = Box::from_raw(*(handle as *const *mut Target));
        std::alloc::dealloc(handle as *mut u8, target.layout);
    }
}

unsafe extern "C" fn on_poll(handle: Handle, status: c_int, events: c_int) {
    let target = target(handle);
    let Some(to) = target.events.upgrade() else {
        return;
    };
    let (readable, writable) = (events & UV_READABLE != 0, events & UV_WRITABLE != 0);
    // No panic crosses into libuv.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        if status < 0 {
            // POLLERR: libuv has stopped the handle.
            to.broken(target.token)
        } else {
            to.ready(target.token, readable, writable)
        }
    }));
}

unsafe extern "C" fn on_timer(handle: Handle) {
    if let Some(to) = target(handle).events.upgrade() {
        let _ = catch_unwind(AssertUnwindSafe(|| to.timer()));
    }
}

/// One client's handles on the loop of the thread that made it. They are closed when it is
/// dropped, or earlier when the env shuts down (a worker thread ending): its loop must have no
/// open handle left.
pub(crate) struct Watcher {
    handles: Rc<Handles>,
}

struct Handles {
    api: &'static Api,
    uv_loop: *mut c_void,
    env: sys::napi_env,
    events: Weak<dyn LoopEvents>,
    polls: RefCell<HashMap<Token, Handle>>,
    /// Null once closed.
    timer: Cell<Handle>,
    armed: Cell<Option<Instant>>,
    /// The env cleanup hook's argument; null once the hook ran.
    hook: Cell<*mut Weak<Handles>>,
}

/// The libuv loop of an env's thread.
pub(crate) struct EventLoop {
    api: &'static Api,
    uv_loop: *mut c_void,
    env: sys::napi_env,
}

impl EventLoop {
    /// `env`'s loop; `None` without libuv.
    pub(crate) fn of(env: sys::napi_env) -> Option<Self> {
        let api = api()?;
        let mut uv_loop = ptr::null_mut();
        // SAFETY: a valid env; the result is written on success.
        let status = unsafe { sys::napi_get_uv_event_loop(env, &mut uv_loop) };
        (status == sys::Status::napi_ok && !uv_loop.is_null()).then_some(EventLoop {
            api,
            uv_loop: uv_loop as *mut c_void,
            env,
        })
    }
}

/// The env is shutting down: close the handles while its loop can still run their closing.
unsafe extern "C" fn env_cleanup(arg: *mut c_void) {
    // SAFETY: made by Watcher::new; the hook runs once, and Drop removes it before freeing.
    let weak = unsafe { Box::from_raw(arg as *mut Weak<Handles>) };
    if let Some(handles) = weak.upgrade() {
        handles.hook.set(ptr::null_mut());
        handles.close_all();
    }
}

impl Watcher {
    /// Handles on `on` reporting to `events`.
    pub(crate) fn new(on: EventLoop, events: Weak<dyn LoopEvents>) -> Self {
        let EventLoop { api, uv_loop, env } = on;
        let timer = new_handle(api.timer_layout, events.clone(), 0);
        // SAFETY: a zeroed handle of the timer's size on the env's own loop (uv_timer_init
        // cannot fail).
        unsafe {
            (api.timer_init)(uv_loop, timer);
            (api.unref)(timer);
        }
        let handles = Rc::new(Handles {
            api,
            uv_loop,
            env,
            events,
            polls: RefCell::new(HashMap::new()),
            timer: Cell::new(timer),
            armed: Cell::new(None),
            hook: Cell::new(ptr::null_mut()),
        });
        let arg = Box::into_raw(Box::new(Rc::downgrade(&handles)));
        // SAFETY: a valid env; the argument lives until the hook runs or is removed.
        let added =
            unsafe { sys::napi_add_env_cleanup_hook(env, Some(env_cleanup), arg as *mut c_void) };
        if added == sys::Status::napi_ok {
            handles.hook.set(arg);
        } else {
            // SAFETY: not handed over.
            drop(unsafe { Box::from_raw(arg) });
        }
        Watcher { handles }
    }

    /// Carries out `changes`; gives the sockets that cannot be watched, and why.
    pub(crate) fn apply(&self, changes: Vec<Change>) -> Vec<(Token, String)> {
        self.handles.apply(changes)
    }

    /// Arms the timer for `at` (or stops it).
    pub(crate) fn arm(&self, at: Option<Instant>) {
        self.handles.arm(at)
    }

    /// The timer fired: it is no longer armed.
    pub(crate) fn fired(&self) {
        self.handles.armed.set(None);
    }
}

impl Handles {
    fn apply(&self, changes: Vec<Change>) -> Vec<(Token, String)> {
        let mut failed = Vec::new();
        let mut polls = self.polls.borrow_mut();
        for change in changes {
            match change {
                Change::Watch {
                    token,
                    socket,
                    writable,
                } => {
                    if self.timer.get().is_null() {
                        failed.push((token, "the event loop is shutting down".to_owned()));
                        continue;
                    }
                    let interest = UV_READABLE | if writable { UV_WRITABLE } else { 0 };
                    let handle = match polls.get(&token) {
                        Some(&handle) => handle,
                        None => match self.init_poll(token, socket) {
                            Ok(handle) => {
                                polls.insert(token, handle);
                                handle
                            }
                            Err(why) => {
                                failed.push((token, why));
                                continue;
                            }
                        },
                    };
                    // SAFETY: an initialised poll handle of this loop.
                    let status = unsafe { (self.api.poll_start)(handle, interest, on_poll) };
                    if status != 0 {
                        failed.push((token, format!("uv_poll_start failed ({status})")));
                    }
                }
                Change::Forget { token, socket } => {
                    if let Some(handle) = polls.remove(&token) {
                        self.close_poll(handle);
                    }
                    // Closed only once libuv no longer watches it.
                    drop(socket);
                }
            }
        }
        failed
    }

    fn init_poll(&self, token: Token, socket: RawSocket) -> Result<Handle, String> {
        let handle = new_handle(self.api.poll_layout, self.events.clone(), token);
        // SAFETY: a zeroed handle of the poll's size on this loop; an open socket.
        unsafe {
            let status = (self.api.poll_init_socket)(self.uv_loop, handle, socket as OsSocket);
            if status != 0 {
                closed(handle);
                return Err(format!("uv_poll_init_socket failed ({status})"));
            }
            (self.api.unref)(handle);
        }
        Ok(handle)
    }

    fn close_poll(&self, handle: Handle) {
        // SAFETY: an initialised poll handle, closed once.
        unsafe {
            (self.api.poll_stop)(handle);
            (self.api.close)(handle, closed);
        }
    }

    fn arm(&self, at: Option<Instant>) {
        let timer = self.timer.get();
        if self.armed.get() == at || timer.is_null() {
            return;
        }
        self.armed.set(at);
        // SAFETY: the initialised timer of this loop.
        unsafe {
            match at {
                Some(at) => {
                    let wait = at.saturating_duration_since(Instant::now());
                    // Rounded up: the timer fires at or after the deadline.
                    let ms = wait.as_nanos().div_ceil(1_000_000) as u64;
                    (self.api.timer_start)(timer, on_timer, ms, 0);
                }
                None => {
                    (self.api.timer_stop)(timer);
                }
            }
        }
    }

    /// Closes every handle (once); the sockets stay open until the core drops them.
    fn close_all(&self) {
        let polls = std::mem::take(&mut *self.polls.borrow_mut());
        for handle in polls.into_values() {
            self.close_poll(handle);
        }
        let timer = self.timer.replace(ptr::null_mut());
        if !timer.is_null() {
            // SAFETY: the initialised timer, closed once.
            unsafe {
                (self.api.timer_stop)(timer);
                (self.api.close)(timer, closed);
            }
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let arg = self.handles.hook.replace(ptr::null_mut());
        if !arg.is_null() {
            // SAFETY: the hook added by new(), which has not run.
            unsafe {
                sys::napi_remove_env_cleanup_hook(
                    self.handles.env,
                    Some(env_cleanup),
                    arg as *mut c_void,
                );
                drop(Box::from_raw(arg));
            }
        }
        self.handles.close_all();
    }
}

/// Calls into JavaScript from a libuv callback: a handle scope, and a callback scope whose end
/// runs the microtasks (the promises settled) as Node does after its own callbacks.
pub(crate) struct JsEntry {
    env: sys::napi_env,
    context: sys::napi_async_context,
    resource: sys::napi_ref,
}

impl JsEntry {
    pub(crate) fn new(env: sys::napi_env) -> Option<Self> {
        // SAFETY: a valid env on its own thread; results written on success.
        unsafe {
            let mut resource = ptr::null_mut();
            let mut name = ptr::null_mut();
            let mut context = ptr::null_mut();
            let mut reference = ptr::null_mut();
            let label = c"ivschat";
            let ok = sys::napi_create_object(env, &mut resource) == sys::Status::napi_ok
                && sys::napi_create_string_utf8(env, label.as_ptr(), 7, &mut name)
                    == sys::Status::napi_ok
                && sys::napi_async_init(env, resource, name, &mut context) == sys::Status::napi_ok
                && sys::napi_create_reference(env, resource, 1, &mut reference)
                    == sys::Status::napi_ok;
            ok.then_some(JsEntry {
                env,
                context,
                resource: reference,
            })
        }
    }

    /// Runs `f` with the env in scope; an exception it leaves is reported as uncaught.
    pub(crate) fn enter(&self, f: impl FnOnce(&napi::Env) -> napi::Result<()>) {
        let env = self.env;
        // SAFETY: called from a libuv callback on the env's thread, with no JavaScript on the
        // stack; every scope opened is closed.
        unsafe {
            let mut handles = ptr::null_mut();
            if sys::napi_open_handle_scope(env, &mut handles) != sys::Status::napi_ok {
                return;
            }
            let mut resource = ptr::null_mut();
            let mut scope = ptr::null_mut();
            let scoped = sys::napi_get_reference_value(env, self.resource, &mut resource)
                == sys::Status::napi_ok
                && sys::napi_open_callback_scope(env, resource, self.context, &mut scope)
                    == sys::Status::napi_ok;
            let result = f(&napi::Env::from_raw(env));
            if result.is_err() {
                let mut pending = false;
                sys::napi_is_exception_pending(env, &mut pending);
                if pending {
                    let mut error = ptr::null_mut();
                    sys::napi_get_and_clear_last_exception(env, &mut error);
                    sys::napi_fatal_exception(env, error);
                }
            }
            if scoped {
                sys::napi_close_callback_scope(env, scope);
            }
            sys::napi_close_handle_scope(env, handles);
        }
    }
}

impl Drop for JsEntry {
    fn drop(&mut self) {
        // SAFETY: made by new() on this env.
        unsafe {
            sys::napi_async_destroy(self.env, self.context);
            sys::napi_delete_reference(self.env, self.resource);
        }
    }
}
