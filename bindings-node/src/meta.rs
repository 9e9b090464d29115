//! `$metadata` of successful calls (HTTP status, request id, attempts, retry delay).
//!
//! `ivschat::Client::call_json` returns only the output, so this reads what the core records on
//! its tracing spans: `ivschat.attempt` {status, request_id}, `ivschat.operation` {attempts} and
//! the `retrying` event {delay}. Each call runs inside an `ivschat_node.call` span; a small
//! tracing layer copies those fields into the call's `CallMeta`. Only `ivschat::*` callsites are
//! enabled, so nothing else (the emulator, reqwest) pays for tracing.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, Once};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Instrument, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

const CALL_SPAN: &str = "ivschat_node.call";

#[derive(Default, Clone, Debug)]
pub struct CallMeta {
    pub status: Option<u16>,
    pub request_id: Option<String>,
    pub attempts: u32,
    pub retry_delay_ms: f64,
}

type Slot = Arc<Mutex<CallMeta>>;

thread_local! {
    static PENDING: RefCell<Option<Slot>> = const { RefCell::new(None) };
}

/// Installs the layer as the global subscriber, once (if another one is already installed,
/// metadata falls back to what the facade can infer).
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let subscriber = tracing_subscriber::registry().with(MetaLayer);
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

/// Runs `fut` inside a call span and returns its output with the metadata it recorded.
pub async fn capture<F: Future>(fut: F) -> (F::Output, CallMeta) {
    let slot: Slot = Arc::default();
    PENDING.with(|p| *p.borrow_mut() = Some(slot.clone()));
    let span = tracing::info_span!(target: "ivschat_node", "ivschat_node.call");
    PENDING.with(|p| p.borrow_mut().take());
    let out = fut.instrument(span).await;
    let meta = slot.lock().map(|m| m.clone()).unwrap_or_default();
    (out, meta)
}

struct MetaLayer;

fn wanted(meta: &Metadata<'_>) -> bool {
    let t = meta.target();
    t == "ivschat_node" || t == "ivschat" || t.starts_with("ivschat::")
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for MetaLayer {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        if wanted(meta) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, meta: &Metadata<'_>, _: Context<'_, S>) -> bool {
        wanted(meta)
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() == CALL_SPAN
            && let Some(slot) = PENDING.with(|p| p.borrow_mut().take())
            && let Some(span) = ctx.span(id)
        {
            span.extensions_mut().insert(slot);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let name = span.name();
        if name != "ivschat.attempt" && name != "ivschat.operation" {
            return;
        }
        let Some(slot) = span
            .scope()
            .find_map(|s| s.extensions().get::<Slot>().cloned())
        else {
            return;
        };
        let mut v = Fields::default();
        values.record(&mut v);
        let Ok(mut m) = slot.lock() else { return };
        if name == "ivschat.attempt" {
            if let Some(s) = v.status {
                m.status = Some(s as u16);
            }
            if v.request_id.is_some() {
                m.request_id = v.request_id;
            }
        } else if let Some(a) = v.attempts {
            m.attempts = a as u32;
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut v = Fields::default();
        event.record(&mut v);
        let Some(delay) = v.delay_ms else { return };
        let Some(span) = ctx.event_span(event) else {
            return;
        };
        if let Some(slot) = span
            .scope()
            .find_map(|s| s.extensions().get::<Slot>().cloned())
            && let Ok(mut m) = slot.lock()
        {
            m.retry_delay_ms += delay;
        }
    }
}

#[derive(Default)]
struct Fields {
    status: Option<u64>,
    request_id: Option<String>,
    attempts: Option<u64>,
    delay_ms: Option<f64>,
}

impl Visit for Fields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "status" => self.status = Some(value),
            "attempts" => self.attempts = Some(value),
            _ => {}
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.record_u64(field, value.max(0) as u64);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "request_id" {
            self.request_id = Some(value.to_owned());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        match field.name() {
            "delay" => self.delay_ms = parse_duration_ms(&format!("{value:?}")),
            "request_id" => self.request_id = Some(format!("{value:?}").trim_matches('"').into()),
            _ => {}
        }
    }
}

/// Parses `Duration`'s `Debug` form ("12.5ms", "1.2s", "300µs", "40ns") into milliseconds.
fn parse_duration_ms(text: &str) -> Option<f64> {
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = text.split_at(split);
    let n: f64 = number.parse().ok()?;
    let factor = match unit {
        "s" => 1000.0,
        "ms" => 1.0,
        "µs" | "us" => 0.001,
        "ns" => 0.000_001,
        _ => return None,
    };
    Some(n * factor)
}
