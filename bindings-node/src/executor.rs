//! Calls polled on the JavaScript thread. With the core's host I/O (`ivschat::host`) a call's
//! sockets are Node's own, so a call that polls here never leaves this thread: no hand-off to a
//! runtime worker and back, which on a small machine costs more than the call's own work.
//!
//! A wake on this thread while the executor runs is picked up by the running loop; any other
//! wake (a timer or credentials fetch on a runtime worker, an abort) asks the JavaScript thread
//! to run the executor through a weak threadsafe function (`kick`).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use napi::Status;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};

/// `() => client.run()`, weak: it never keeps the process alive.
pub(crate) type KickFn = ThreadsafeFunction<(), (), (), Status, false, true>;

type Task = Pin<Box<dyn Future<Output = String> + Send>>;

thread_local! {
    /// The executor running on this thread, by the address of its [`Wakes`] (0 for none): its
    /// loop sees new wakes and actions. Per executor, so a wake of another client's call during
    /// this one's run still kicks that client.
    static RUNNING: Cell<usize> = const { Cell::new(0) };
}

/// What wakes share with the executor; any thread may use it.
pub(crate) struct Wakes {
    ready: Mutex<Vec<u32>>,
    kicked: AtomicBool,
    kick: KickFn,
}

impl Wakes {
    /// Makes sure the executor runs soon: now if it is running on this thread, else through a
    /// kick (one pending at a time).
    pub(crate) fn notify(&self) {
        if RUNNING.get() != self.address() && !self.kicked.swap(true, Ordering::AcqRel) {
            self.kick.call((), ThreadsafeFunctionCallMode::NonBlocking);
        }
    }

    fn address(&self) -> usize {
        self as *const Wakes as usize
    }

    fn schedule(&self, key: u32) {
        self.ready
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(key);
        self.notify();
    }

    fn take_ready(&self) -> Vec<u32> {
        self.kicked.store(false, Ordering::Release);
        std::mem::take(&mut *self.ready.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

struct TaskWaker {
    key: u32,
    wakes: Arc<Wakes>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wakes.schedule(self.key);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.schedule(self.key);
    }
}

/// Tasks keyed by the facade's call ids; every method runs on the JavaScript thread.
pub(crate) struct Executor {
    tasks: RefCell<HashMap<u32, (Task, Waker)>>,
    wakes: Arc<Wakes>,
}

/// Marks an executor as running on this thread until dropped (restoring what was there).
struct Running(usize);

impl Running {
    fn enter(wakes: &Wakes) -> Self {
        Running(RUNNING.replace(wakes.address()))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.set(self.0);
    }
}

impl Executor {
    pub(crate) fn new(kick: KickFn) -> Self {
        Executor {
            tasks: RefCell::new(HashMap::new()),
            wakes: Arc::new(Wakes {
                ready: Mutex::new(Vec::new()),
                kicked: AtomicBool::new(false),
                kick,
            }),
        }
    }

    pub(crate) fn wakes(&self) -> Arc<Wakes> {
        self.wakes.clone()
    }

    /// Calls not finished yet.
    pub(crate) fn len(&self) -> usize {
        self.tasks.borrow().len()
    }

    /// Adds a call; it is first polled by the next [`Executor::run`].
    pub(crate) fn spawn(&self, key: u32, task: impl Future<Output = String> + Send + 'static) {
        let waker = Waker::from(Arc::new(TaskWaker {
            key,
            wakes: self.wakes.clone(),
        }));
        self.tasks.borrow_mut().insert(key, (Box::pin(task), waker));
        self.wakes
            .ready
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(key);
    }

    /// Runs `first` (a report that may wake calls: they are polled here, not kicked), then polls
    /// the woken calls, running `between` (the host's actions) before each round, until nothing
    /// is left to do. Returns `first`'s result and the calls that finished, with their
    /// envelopes; a call that panicked finishes with `panicked()`.
    pub(crate) fn run<T>(
        &self,
        first: impl FnOnce() -> T,
        mut between: impl FnMut() -> bool,
        panicked: impl Fn() -> String,
    ) -> (T, Vec<(u32, String)>) {
        let _running = Running::enter(&self.wakes);
        let first = first();
        let mut finished = Vec::new();
        loop {
            let ready = self.wakes.take_ready();
            let acted = between();
            if ready.is_empty() && !acted {
                return (first, finished);
            }
            for key in ready {
                // Out of the map while polled, so a nested call into the client cannot alias it.
                let Some((mut task, waker)) = self.tasks.borrow_mut().remove(&key) else {
                    continue;
                };
                let mut cx = Context::from_waker(&waker);
                let polled = catch_unwind(AssertUnwindSafe(|| {
                    napi::bindgen_prelude::within_runtime_if_available(|| {
                        task.as_mut().poll(&mut cx)
                    })
                }));
                match polled {
                    Ok(Poll::Pending) => {
                        self.tasks.borrow_mut().insert(key, (task, waker));
                    }
                    Ok(Poll::Ready(envelope)) => finished.push((key, envelope)),
                    Err(_) => finished.push((key, panicked())),
                }
            }
        }
    }
}
