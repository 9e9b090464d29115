//! `NativeClient`, the control-plane client behind `IvschatClient`.
//!
//! Options arrive as JSON text in the core's `ClientOptions` names (the facade converts v3's
//! milliseconds to seconds). A call starts here and runs on the tokio runtime; its envelope,
//! `{"o": output, "m": meta}` or `{"e": Error::to_json(), "m": meta}`, goes back through one
//! weak threadsafe function per client as `(id, envelope)`: no promise or threadsafe function is
//! created per call, and the facade keeps the process alive while calls are pending.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use serde_json::{Value, json};
use tokio::sync::{Notify, OnceCell};

use ivschat::dynamic::{OperationInput, OperationPages};
use ivschat::options::ClientOptions;
use ivschat::{ConfigBuilder, ResponseMetadata};

/// What an async `credentials` provider resolves to (the facade checks the types first).
#[napi(object)]
pub struct ProvidedCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    /// Seconds since the Unix epoch.
    pub expiration: Option<f64>,
}

/// The facade's credentials provider; weak: it never keeps the process alive.
type ProviderFn = ThreadsafeFunction<(), Promise<ProvidedCredentials>, (), Status, false, true>;

/// The facade's completion function, `(id, envelope) => undefined`; weak, as the provider.
type CompleteFn =
    ThreadsafeFunction<FnArgs<(u32, String)>, (), FnArgs<(u32, String)>, Status, false, true>;

struct JsProvider(ProviderFn);

impl fmt::Debug for JsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JsProvider")
    }
}

impl ivschat::ProvideCredentials for JsProvider {
    fn provide_credentials(&self) -> ivschat::credentials::CredentialsFuture<'_> {
        Box::pin(async move {
            let failed = |e: Error| {
                ivschat::credentials::CredentialsFailure::new(format!(
                    "the credentials provider failed: {}",
                    e.reason
                ))
            };
            let c = self
                .0
                .call_async(())
                .await
                .map_err(failed)?
                .await
                .map_err(failed)?;
            let mut creds =
                ivschat::Credentials::new(c.access_key_id, c.secret_access_key, c.session_token);
            if let Some(at) = c
                .expiration
                .and_then(|s| Duration::try_from_secs_f64(s).ok())
            {
                creds = creds.with_expiry(SystemTime::UNIX_EPOCH + at);
            }
            Ok(creds)
        })
    }
}

/// `NODE_EXTRA_CA_CERTS`, read once as Node reads it at start-up: trusted besides the bundled
/// roots, as by Node's own TLS.
pub(crate) fn extra_ca_certs() -> Option<&'static String> {
    static PEM: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    PEM.get_or_init(|| std::fs::read_to_string(std::env::var_os("NODE_EXTRA_CA_CERTS")?).ok())
        .as_ref()
}

type Built = std::result::Result<ivschat::Client, Arc<ivschat::Error>>;

/// The core client, built at once when the region is known, else on the first call (after
/// reading the region from the profile, as v3 does).
struct LazyClient {
    client: OnceCell<Built>,
    builder: ConfigBuilder,
}

impl LazyClient {
    async fn get(&self) -> &Built {
        self.client
            .get_or_init(|| async {
                let builder = self.builder.clone().load_defaults().await;
                build(builder)
            })
            .await
    }
}

fn build(builder: ConfigBuilder) -> Built {
    builder
        .build()
        .map(|config| ivschat::Client::new(&config))
        .map_err(Arc::new)
}

#[napi]
pub struct NativeClient {
    client: Arc<LazyClient>,
    complete: Arc<CompleteFn>,
}

#[napi]
impl NativeClient {
    /// Throws on an unknown or mistyped option; a client that cannot be built (no region) is
    /// kept and every call rejects with that error, as v3 fails at call time.
    #[napi(constructor, catch_unwind)]
    pub fn new(
        options: String,
        #[napi(ts_arg_type = "(() => Promise<ProvidedCredentials>) | undefined | null")]
        provider: Option<ProviderFn>,
        #[napi(ts_arg_type = "(id: number, envelope: string) => void")] complete: Function<
            FnArgs<(u32, String)>,
            (),
        >,
    ) -> Result<Self> {
        let invalid = |e: ivschat::Error| Error::new(Status::InvalidArg, e.message().to_owned());
        let mut options =
            ClientOptions::from_deserializer(&mut serde_json::Deserializer::from_str(&options))
                .map_err(invalid)?;
        if options.extra_root_certificates.is_none() {
            options.extra_root_certificates = extra_ca_certs().cloned();
        }
        let lazy = options.needs_default_region();
        let mut builder = options
            .into_builder()
            .map_err(invalid)?
            .region_hint("new IvschatClient({ region: 'us-east-1' })");
        if let Some(p) = provider {
            builder = builder.credentials_provider(JsProvider(p));
        }
        let client = match lazy {
            true => OnceCell::new(),
            false => OnceCell::new_with(Some(build(builder.clone()))),
        };
        let complete = complete
            .build_threadsafe_function()
            .weak::<true>()
            .callee_handled::<false>()
            .build()?;
        Ok(NativeClient {
            client: Arc::new(LazyClient { client, builder }),
            complete: Arc::new(complete),
        })
    }

    /// The resolved endpoint URL ("" until the client is built or when it cannot be).
    #[napi(getter, catch_unwind)]
    pub fn endpoint(&self) -> String {
        match self.client.client.get() {
            Some(Ok(c)) => c.config().endpoint_url().to_owned(),
            _ => String::new(),
        }
    }

    /// The region, resolving it from the profile if needed ("" when there is none).
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn region<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, String>> {
        let client = self.client.clone();
        env.spawn_future(async move {
            Ok(match client.get().await {
                Ok(c) => c.config().region().to_owned(),
                Err(_) => String::new(),
            })
        })
    }

    /// Starts `operation` with wire-named JSON; the completion function gets `(id, envelope)`
    /// exactly once, later (also when the task panics or the runtime shuts down).
    #[napi(catch_unwind)]
    pub fn call(
        &self,
        env: &Env,
        operation: String,
        params: String,
        id: u32,
        cancel: Option<&CancelHandle>,
    ) -> Result<()> {
        let cancel = cancel.map(|c| c.inner.clone());
        let client = self.client.clone();
        let done = Completion {
            id,
            complete: Some(self.complete.clone()),
        };
        // Boxed once here: the call's future is kilobytes, and each wrapper below would copy it
        // (callgrind, 2026-12-07: four copies, 13% of a call's instructions).
        let task = Box::pin(async move {
            let envelope = match client.get().await {
                Err(e) => error_envelope(e, &ResponseMetadata::default()),
                Ok(c) => {
                    let call = c.call_json_text_with_metadata(&operation, &params);
                    match cancellable(cancel, call).await {
                        Some((Ok(output), meta)) => output_envelope(&output, &meta),
                        Some((Err(e), meta)) => error_envelope(&e, &meta),
                        None => aborted(),
                    }
                }
            };
            done.send(envelope);
        });
        // On the JavaScript thread where Node's loop can drive it (`hosted.rs`), started now.
        #[cfg(unix)]
        if let Some((hosted, in_flight)) = crate::hosted::claim(env) {
            hosted.start(async move {
                let _in_flight = in_flight;
                task.await
            });
            return Ok(());
        }
        let _ = env;
        napi::bindgen_prelude::spawn(task);
        Ok(())
    }

    /// A pager over `ListRooms` / `ListLoggingConfigurations` (the core's stop rules).
    #[napi(catch_unwind)]
    pub fn paginate(&self, operation: String, params: String, page_size: Option<i32>) -> Pager {
        Pager {
            state: Arc::new(tokio::sync::Mutex::new(PagerState::Start {
                client: self.client.clone(),
                operation,
                params,
                page_size,
            })),
        }
    }

    /// Panics on this thread, or completes `id` from a task that panics unless `id` is 0: the
    /// panic tests. Only in debug builds (a release build throws).
    #[napi(catch_unwind)]
    pub fn panic_for_test(&self, id: u32, in_task: bool) -> Result<()> {
        if !cfg!(debug_assertions) {
            return Err(Error::from_reason("a release build has no panic hook"));
        }
        let done = Completion {
            id,
            complete: Some(self.complete.clone()),
        };
        if !in_task {
            panic!("a panic on the JavaScript thread (test)");
        }
        napi::bindgen_prelude::spawn(async move {
            if id > 0 {
                panic!("a panic in a call's task (test)");
            }
            done.send(String::new());
        });
        Ok(())
    }
}

enum PagerState {
    Start {
        client: Arc<LazyClient>,
        operation: String,
        params: String,
        page_size: Option<i32>,
    },
    Paging(OperationPages),
    Done,
}

/// Pages of a paginated operation, one `next()` at a time.
#[napi]
pub struct Pager {
    state: Arc<tokio::sync::Mutex<PagerState>>,
}

#[napi]
impl Pager {
    /// Resolves with the next page's envelope, or `null` after the last page.
    #[napi(catch_unwind, ts_return_type = "Promise<string | null>")]
    pub fn next<'env>(
        &self,
        env: &'env Env,
        cancel: Option<&CancelHandle>,
    ) -> Result<PromiseRaw<'env, Option<String>>> {
        let state = self.state.clone();
        let cancel = cancel.map(|c| c.inner.clone());
        env.spawn_future(async move {
            let mut state = state.lock().await;
            if let PagerState::Start {
                client,
                operation,
                params,
                page_size,
            } = &*state
            {
                let none = ResponseMetadata::default();
                let pages = match client.get().await {
                    Ok(c) => OperationInput::from_json_text(operation, params)
                        .and_then(|input| c.paginate_operation(input, *page_size))
                        .map_err(|e| error_envelope(&e, &none)),
                    Err(e) => Err(error_envelope(e, &none)),
                };
                match pages {
                    Ok(pages) => *state = PagerState::Paging(pages),
                    Err(envelope) => {
                        *state = PagerState::Done;
                        return Ok(Some(envelope));
                    }
                }
            }
            let PagerState::Paging(pages) = &mut *state else {
                return Ok(None);
            };
            let (page, last) = match cancellable(cancel, pages.next()).await {
                None => return Ok(Some(aborted())),
                Some(None) => (None, true),
                Some(Some((page, meta))) => match page.and_then(|p| p.to_json_text()) {
                    Ok(text) => (Some(output_envelope(&text, &meta)), false),
                    Err(e) => (Some(error_envelope(&e, &meta)), true),
                },
            };
            if last {
                *state = PagerState::Done;
            }
            Ok(page)
        })
    }
}

/// Cancels the calls it is passed to (`abortSignal`): the call future is dropped, which drops
/// the in-flight HTTP request.
#[napi]
#[derive(Default)]
pub struct CancelHandle {
    inner: Arc<CancelInner>,
}

#[derive(Default)]
struct CancelInner {
    cancelled: AtomicBool,
    notify: Notify,
}

impl CancelInner {
    async fn wait(&self) {
        let notified = self.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if !self.cancelled.load(Ordering::Acquire) {
            notified.await;
        }
    }
}

#[napi]
impl CancelHandle {
    #[napi(constructor, catch_unwind)]
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels every call using this handle (now or later).
    #[napi(catch_unwind)]
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::Release);
        self.inner.notify.notify_waiters();
    }
}

async fn cancellable<F: Future>(cancel: Option<Arc<CancelInner>>, fut: F) -> Option<F::Output> {
    match cancel {
        None => Some(fut.await),
        Some(c) => tokio::select! {
            biased;
            _ = c.wait() => None,
            out = fut => Some(out),
        },
    }
}

/// Reports one call's envelope: exactly once, also when the task panics or is dropped
/// unfinished (then with an `InternalError`), so no promise is left pending.
struct Completion {
    id: u32,
    complete: Option<Arc<CompleteFn>>,
}

impl Completion {
    fn send(mut self, text: String) {
        if let Some(f) = self.complete.take() {
            f.call(
                (self.id, text).into(),
                ThreadsafeFunctionCallMode::NonBlocking,
            );
        }
    }
}

impl Drop for Completion {
    fn drop(&mut self) {
        if let Some(f) = self.complete.take() {
            let envelope = json!({"e": {"kind": "unhandled", "code": "InternalError",
                "message": "the call ended without a result (panic or runtime shutdown)",
                "fields": {}}, "m": meta_json(&ResponseMetadata::default())});
            f.call(
                (self.id, envelope.to_string()).into(),
                ThreadsafeFunctionCallMode::NonBlocking,
            );
        }
    }
}

fn meta_json(m: &ResponseMetadata) -> Value {
    let delay_ms = m.total_retry_delay.as_secs_f64() * 1000.0;
    json!([m.http_status, m.request_id, m.attempts, delay_ms])
}

/// `{"o": output, "m": meta}`, the output already JSON text.
fn output_envelope(output: &str, m: &ResponseMetadata) -> String {
    let meta = meta_json(m).to_string();
    let mut out = String::with_capacity(output.len() + meta.len() + 12);
    out.push_str("{\"o\":");
    out.push_str(output);
    out.push_str(",\"m\":");
    out.push_str(&meta);
    out.push('}');
    out
}

fn error_envelope(e: &ivschat::Error, m: &ResponseMetadata) -> String {
    json!({"e": e.to_json(), "m": meta_json(m)}).to_string()
}

fn aborted() -> String {
    json!({"e": {"kind": "abort", "code": "AbortError", "message": "Request aborted", "fields": {}},
        "m": meta_json(&ResponseMetadata::default())})
    .to_string()
}
