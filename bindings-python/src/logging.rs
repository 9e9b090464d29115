//! The core's `tracing` spans and events → Python `logging`, logger `ivschat`: tracing-subscriber's
//! `fmt` layer writes each line (a closed span with its fields: `ivschat.operation{operation="GetRoom"
//! attempts=1 latency_ms=2}: close` at INFO, attempts at DEBUG; or an event) to that logger at the
//! line's level. The level Python wants is cached (read when a client is built and by
//! `ivschat.refresh_logging()`); below it nothing is formatted. The core's spans carry no secrets.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use tracing::{Level, Metadata};
use tracing_subscriber::Layer;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

/// The most verbose level Python wants: 0 off, 1 WARN, 2 INFO, 3 DEBUG.
static WANTED: AtomicU8 = AtomicU8::new(0);
static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn rank(level: &Level) -> u8 {
    match *level {
        Level::ERROR | Level::WARN => 1,
        Level::INFO => 2,
        _ => 3,
    }
}

/// Reads `logging.getLogger("ivschat").getEffectiveLevel()` into the cache (Python's
/// `ivschat.refresh_logging()`, called after changing that level). Without `logging`
/// imported nothing configured it: only warnings would show (and importing it costs start-up).
#[pyfunction(name = "refresh_logging")]
pub fn refresh(py: Python<'_>) -> PyResult<()> {
    if !py.import("sys")?.getattr("modules")?.contains("logging")? {
        WANTED.store(1, Ordering::Relaxed);
        return Ok(());
    }
    let level: i64 = logger(py)?.call_method0("getEffectiveLevel")?.extract()?;
    let wanted = match level {
        ..=10 => 3,
        11..=20 => 2,
        21..=40 => 1,
        _ => 0,
    };
    WANTED.store(wanted, Ordering::Relaxed);
    Ok(())
}

fn logger(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    let made = LOGGER.get_or_try_init(py, || {
        let logging = py.import("logging")?;
        Ok::<_, PyErr>(logging.call_method1("getLogger", ("ivschat",))?.unbind())
    });
    made.map(|l| l.bind(py))
}

/// One formatted line, logged at `level` (Python's number) when the layer drops it.
struct Line(i32, Vec<u8>);

impl Write for Line {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.1.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.1).trim_end().to_owned();
        if !text.is_empty() {
            crate::runtime::attach(|py| {
                if let Ok(l) = logger(py) {
                    let _ = l.call_method1("log", (self.0, "%s", text));
                }
            });
        }
    }
}

struct ToPython;

impl<'a> MakeWriter<'a> for ToPython {
    type Writer = Line;
    fn make_writer(&'a self) -> Line {
        Line(20, Vec::new())
    }
    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Line {
        let level = match *meta.level() {
            Level::ERROR => 40,
            Level::WARN => 30,
            Level::INFO => 20,
            _ => 10,
        };
        Line(level, Vec::new())
    }
}

/// Installs the layer as the global subscriber (unless the process already has one).
pub fn install() {
    use tracing_subscriber::layer::SubscriberExt;
    // Dynamic: asked on every span and event, since the wanted level changes at run time.
    let wanted = tracing_subscriber::filter::dynamic_filter_fn(|meta, _| {
        let target = meta.target();
        (target == "ivschat" || target.starts_with("ivschat::"))
            && rank(meta.level()) <= WANTED.load(Ordering::Relaxed)
    });
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(ToPython)
        .with_ansi(false)
        .without_time()
        .with_level(false)
        .with_target(false)
        .with_span_events(FmtSpan::CLOSE)
        .with_filter(wanted);
    let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer));
}
