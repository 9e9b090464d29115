//! The core's `tracing` spans and events → Python `logging`, logger `ivschat`.
//!
//! The level Python wants is cached in an atomic (read when a client is built and by
//! `ivschat.refresh_logging()`); when `ivschat` logs nothing at DEBUG/INFO, spans are not even
//! recorded. A finished `ivschat.operation` span becomes one INFO record ("GetRoom: attempts=1
//! status=200 latency_ms=3"), attempt spans and events become DEBUG records. Field values come
//! from the core's spans, which never carry secrets.

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

/// 0: off, 1: WARN and above, 2: + INFO, 3: + DEBUG/TRACE.
static WANTED: AtomicU8 = AtomicU8::new(0);

fn rank(level: &Level) -> u8 {
    match *level {
        Level::ERROR | Level::WARN => 1,
        Level::INFO => 2,
        _ => 3,
    }
}

/// Reads `logging.getLogger("ivschat").getEffectiveLevel()` into the cache.
/// When the application has not imported `logging`, nothing configured it: only warnings would
/// be shown (by `logging.lastResort`), and importing it here would slow `import ivschat` down.
pub fn refresh(py: Python<'_>) -> PyResult<()> {
    let imported = py.import("sys")?.getattr("modules")?.contains("logging")?;
    if !imported {
        WANTED.store(1, Ordering::Relaxed);
        return Ok(());
    }
    let level: i64 = logger(py)?.call_method0("getEffectiveLevel")?.extract()?;
    let wanted = match level {
        l if l <= 10 => 3,
        l if l <= 20 => 2,
        l if l <= 40 => 1,
        _ => 0,
    };
    WANTED.store(wanted, Ordering::Relaxed);
    Ok(())
}

static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn logger(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    LOGGER
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(
                py.import("logging")?
                    .call_method1("getLogger", ("ivschat",))?
                    .unbind(),
            )
        })
        .map(|l| l.bind(py))
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

#[derive(Default)]
struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(
                self.0,
                "{}{:?}",
                if self.0.is_empty() { "" } else { " " },
                value
            );
        } else {
            let _ = write!(
                self.0,
                "{}{}={:?}",
                if self.0.is_empty() { "" } else { " " },
                field.name(),
                value
            );
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        let _ = write!(
            self.0,
            "{}{}={}",
            if self.0.is_empty() { "" } else { " " },
            field.name(),
            value
        );
    }
}

pub struct PyLoggingLayer;

fn wanted(meta: &Metadata<'_>) -> bool {
    let target = meta.target();
    (target == "ivschat" || target.starts_with("ivschat::"))
        && rank(meta.level()) <= WANTED.load(Ordering::Relaxed)
}

impl<S> Layer<S> for PyLoggingLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn register_callsite(
        &self,
        _meta: &'static Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::sometimes()
    }

    fn enabled(&self, meta: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        wanted(meta)
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            let mut ext = span.extensions_mut();
            if let Some(fields) = ext.get_mut::<Fields>() {
                values.record(fields);
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let scope = ctx
            .event_span(event)
            .map(|s| s.name().to_owned())
            .unwrap_or_default();
        let text = if scope.is_empty() {
            fields.0
        } else {
            format!("{scope}: {}", fields.0)
        };
        emit(event.metadata().level(), text);
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let ext = span.extensions();
        let Some(fields) = ext.get::<Fields>() else {
            return;
        };
        emit(
            span.metadata().level(),
            format!("{}: {}", span.name(), fields.0),
        );
    }
}

/// Installs the layer as the global subscriber (unless the process already has one).
pub fn install() {
    use tracing_subscriber::layer::SubscriberExt;
    let subscriber = tracing_subscriber::registry().with(PyLoggingLayer);
    let _ = tracing::subscriber::set_global_default(subscriber);
}
