//! The processes of a run: spawn, talk to (JSON lines), and measure from outside through
//! `/proc/PID/stat` (CPU time of all threads) and `/proc/PID/status` (peak RSS).

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{ChildStdin, ChildStdout, Command};

/// CPU time a process has used so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cpu {
    /// In user mode.
    pub user: Duration,
    /// In the kernel.
    pub system: Duration,
}

impl Cpu {
    /// User + system.
    pub fn total(&self) -> Duration {
        self.user + self.system
    }

    /// The CPU used between `earlier` and `self`.
    pub fn since(&self, earlier: Cpu) -> Cpu {
        Cpu {
            user: self.user.saturating_sub(earlier.user),
            system: self.system.saturating_sub(earlier.system),
        }
    }
}

/// A child process driven over stdin/stdout; killed when dropped.
pub struct Child {
    /// What it is (for messages).
    pub name: &'static str,
    pid: u32,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
    _child: tokio::process::Child,
}

impl Child {
    /// Start `cmd` with piped stdin/stdout (stderr inherited).
    pub fn spawn(name: &'static str, mut cmd: Command) -> Result<Child, String> {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        let pid = child.id().ok_or_else(|| format!("{name} exited at once"))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        Ok(Child {
            name,
            pid,
            stdin,
            lines: BufReader::new(stdout).lines(),
            _child: child,
        })
    }

    /// Write one line.
    pub async fn send(&mut self, line: &str) -> Result<(), String> {
        let write = async {
            self.stdin.write_all(line.as_bytes()).await?;
            self.stdin.write_all(b"\n").await?;
            self.stdin.flush().await
        };
        write
            .await
            .map_err(|e| format!("{} stopped listening: {e}", self.name))
    }

    /// The next output line, within `within`.
    pub async fn line(&mut self, within: Duration) -> Result<String, String> {
        match tokio::time::timeout(within, self.lines.next_line()).await {
            Ok(Ok(Some(line))) => Ok(line),
            Ok(Ok(None)) => Err(format!("{} exited", self.name)),
            Ok(Err(e)) => Err(format!("{}: {e}", self.name)),
            Err(_) => Err(format!("{}: nothing within {within:?}", self.name)),
        }
    }

    /// Read JSON lines until one with `"event": event`, within `within`.
    pub async fn expect(
        &mut self,
        event: &str,
        within: Duration,
    ) -> Result<serde_json::Value, String> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let line = self
                .line(left)
                .await
                .map_err(|e| format!("waiting for {event:?}: {e}"))?;
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                && v["event"] == event
            {
                return Ok(v);
            }
        }
    }

    /// CPU time used so far (all threads, user and system).
    pub fn cpu(&self) -> Result<Cpu, String> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid))
            .map_err(|e| format!("{}: /proc stat: {e}", self.name))?;
        // Fields after the command name (which may hold spaces) start at field 3 (state);
        // utime and stime are fields 14 and 15.
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| -> Result<u64, String> {
            fields
                .get(i)
                .and_then(|f| f.parse().ok())
                .ok_or_else(|| format!("{}: unreadable /proc stat", self.name))
        };
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
        let at = |t: u64| Duration::from_nanos(t * 1_000_000_000 / hz);
        Ok(Cpu {
            user: at(ticks(11)?),
            system: at(ticks(12)?),
        })
    }

    /// Peak resident set size in bytes (`VmHWM`).
    pub fn peak_rss(&self) -> Result<u64, String> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .map_err(|e| format!("{}: /proc status: {e}", self.name))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
            .ok_or_else(|| format!("{}: no VmHWM", self.name))
    }
}
