//! Measuring helpers shared by the Rust benchmark programs (each includes this file with
//! `#[path]`: some are outside the workspace, with their own dependencies).

use std::future::Future;
use std::time::{Duration, Instant};

/// CPU time of the whole process (every thread).
pub fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Calls per second and CPU µs per call of `callers` tasks on the current runtime, each making
/// `calls` calls of `one` in turn.
pub async fn rate<F, Fut>(callers: usize, calls: usize, one: F) -> [f64; 2]
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let (started, cpu) = (Instant::now(), cpu_time());
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let one = one.clone();
            tokio::spawn(async move {
                for _ in 0..calls {
                    one().await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("caller");
    }
    let n = (callers * calls) as f64;
    let cpu_us = (cpu_time() - cpu).as_secs_f64() * 1e6 / n;
    [n / started.elapsed().as_secs_f64(), cpu_us]
}

/// The middle value (the upper one of an even count).
pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}
