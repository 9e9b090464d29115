//! Measuring helpers shared by the Rust benchmark programs (each includes this file with
//! `#[path]`: some are outside the workspace, with their own dependencies). Each uses some.
#![allow(dead_code)]

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

/// `a` against `b`, each as a function making one call: the medians of `rounds` interleaved
/// rounds of 2,000 sequential calls and of 64 callers making 100 calls each, after a warm-up. Each
/// goes first in every other round: on a VM the one that runs second finds the runtime's workers
/// still awake, which can halve its round trip (bench/core/README.md). Gives rows of (measure,
/// `a`'s median, `b`'s median) for [`print_table`].
pub async fn compare<A, AF, B, BF>(rounds: usize, a: A, b: B) -> Vec<(&'static str, f64, f64)>
where
    A: Fn() -> AF + Clone + Send + 'static,
    AF: Future<Output = ()> + Send,
    B: Fn() -> BF + Clone + Send + 'static,
    BF: Future<Output = ()> + Send,
{
    rate(64, 20, a.clone()).await;
    rate(64, 20, b.clone()).await;
    // Per measure, each side's rounds.
    let mut runs = vec![[Vec::new(), Vec::new()]; 4];
    for round in 0..rounds {
        for (callers, calls, at) in [(1, 2000, 0), (64, 100, 2)] {
            for step in 0..2 {
                let side = (round + step) % 2;
                let [calls_per_s, cpu_us] = match side {
                    0 => rate(callers, calls, a.clone()).await,
                    _ => rate(callers, calls, b.clone()).await,
                };
                runs[at][side].push(calls_per_s);
                runs[at + 1][side].push(cpu_us);
            }
        }
    }
    let names = [
        "sequential, calls/s",
        "sequential, CPU µs per call",
        "64 in flight, calls/s",
        "64 in flight, CPU µs per call",
    ];
    names
        .into_iter()
        .zip(runs)
        .map(|(name, [a, b])| (name, median(a), median(b)))
        .collect()
}

/// `rows` of [`compare`] as a Markdown table, with the ratio `a / b`.
pub fn print_table(title: &str, a: &str, b: &str, rows: &[(&str, f64, f64)]) {
    println!("{title}\n");
    println!("| | {a} | {b} | ratio |");
    println!("|---|---|---|---|");
    for (name, x, y) in rows {
        println!("| {name} | {x:.1} | {y:.1} | {:.3} |", x / y);
    }
}

/// The middle value (the upper one of an even count).
pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}
