//! The core's `tracing` spans and events → Python `logging`, logger `ivschat`.
//!
//! The level Python wants is cached (read when a client is built and by
//! `ivschat.refresh_logging()`); below it, spans are not even recorded. A finished span becomes
//! one record (`ivschat.operation: operation=GetRoom attempts=1 ...` at INFO, attempts at DEBUG),
//! an event one record. Field values come from the core's spans, which never carry secrets.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, Ordering};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

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

/// Reads `logging.getLogger("ivschat").getEffectiveLevel()` into the cache. Without `logging`
/// imported nothing configured it: only warnings would show (and importing it costs start-up).
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

fn emit(level: &Level, message: String) {
    let py_level = match *level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        _ => 10,
    };
    Python::attach(|py| {
        if let Ok(l) = logger(py) {
            let _ = l.call_method1("log", (py_level, "%s", message));
        }
    });
}

/// `name=value` pairs (an event's `message` bare).
#[derive(Default)]
struct Fields(String);

impl Fields {
    fn push(&mut self, field: &Field, value: std::fmt::Arguments<'_>) {
        let sep = if self.0.is_empty() { "" } else { " " };
        let _ = match field.name() {
            "message" => write!(self.0, "{sep}{value}"),
            name => write!(self.0, "{sep}{name}={value}"),
        };
    }
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.push(field, format_args!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.push(field, format_args!("{value}"));
    }
}

struct PyLoggingLayer;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for PyLoggingLayer {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::sometimes() // the wanted level changes at run time
    }

    fn enabled(&self, meta: &Metadata<'_>, _: Context<'_, S>) -> bool {
        let target = meta.target();
        (target == "ivschat" || target.starts_with("ivschat::"))
            && rank(meta.level()) <= WANTED.load(Ordering::Relaxed)
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(fields) = span.extensions_mut().get_mut::<Fields>()
        {
            values.record(fields);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        match ctx.event_span(event) {
            Some(span) => emit(
                event.metadata().level(),
                format!("{}: {}", span.name(), fields.0),
            ),
            None => emit(event.metadata().level(), fields.0),
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        if let Some(fields) = span.extensions().get::<Fields>() {
            emit(
                span.metadata().level(),
                format!("{}: {}", span.name(), fields.0),
            );
        }
    }
}

/// Installs the layer as the global subscriber (unless the process already has one).
pub fn install() {
    use tracing_subscriber::layer::SubscriberExt;
    let _ = tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(PyLoggingLayer),
    );
}
