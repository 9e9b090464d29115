//! The result table (Markdown) and the CPU ratio.

use std::time::Duration;

use super::children::Cpu;
use super::tally::Summary;

/// One line of the table.
pub struct Row {
    kind: String,
    count: u64,
    delivered: u64,
    receiving: Option<Summary>,
    cpu: Cpu,
    window: Duration,
    peak_rss: u64,
}

impl Row {
    /// A receivers process.
    pub fn receivers(kind: &str, s: &Summary, cpu: Cpu, window: Duration, peak_rss: u64) -> Row {
        Row {
            kind: kind.to_owned(),
            count: s.rooms as u64,
            delivered: s.measured,
            receiving: Some(s.clone()),
            cpu,
            window,
            peak_rss,
        }
    }

    /// Another process (CPU per `units`).
    pub fn other(
        kind: &str,
        count: u64,
        units: u64,
        cpu: Cpu,
        window: Duration,
        peak_rss: u64,
    ) -> Row {
        Row {
            kind: kind.to_owned(),
            count,
            delivered: units,
            receiving: None,
            cpu,
            window,
            peak_rss,
        }
    }

    /// CPU µs per delivered message: (total, user, system).
    pub fn cpu_per_message_us(&self) -> (f64, f64, f64) {
        let per = |d: Duration| d.as_secs_f64() * 1e6 / self.delivered.max(1) as f64;
        (
            per(self.cpu.total()),
            per(self.cpu.user),
            per(self.cpu.system),
        )
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn ms(us: u64) -> String {
    format!("{:.1} ms", us as f64 / 1e3)
}

/// Print the receivers, then the other processes, then the ratio of CPU per message.
pub fn print_table(receivers: &[Row], others: &[Row]) {
    println!(
        "\n| kind | receivers | delivered (measured) | lost | delivered/s | p50 | p99 | max | CPU µs/msg (user + sys) | CPU (of one core) | peak RSS |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for r in receivers.iter().chain(others) {
        let (total, user, sys) = r.cpu_per_message_us();
        let busy = r.cpu.total().as_secs_f64() / r.window.as_secs_f64().max(1e-9) * 100.0;
        let (lost, rate, p50, p99, max) = match &r.receiving {
            Some(s) => {
                let span = s.last_receive_us.saturating_sub(s.first_send_us).max(1);
                (
                    thousands(s.lost),
                    thousands((s.measured as f64 * 1e6 / span as f64).round() as u64),
                    ms(s.p50_us),
                    ms(s.p99_us),
                    ms(s.max_us),
                )
            }
            None => Default::default(),
        };
        println!(
            "| {} | {} | {} | {lost} | {rate} | {p50} | {p99} | {max} | {total:.2} ({user:.2} + {sys:.2}) | {busy:.0}% | {:.0} MiB |",
            r.kind,
            thousands(r.count),
            thousands(r.delivered),
            r.peak_rss as f64 / (1024.0 * 1024.0),
        );
    }
    if let [official, ours] = receivers {
        let ratio = official.cpu_per_message_us().0 / ours.cpu_per_message_us().0.max(1e-9);
        println!(
            "\nCPU per delivered message, official / ours: {ratio:.1}× (aim: ≥ 5×: {})",
            if ratio >= 5.0 { "met" } else { "NOT met" }
        );
    }
}
