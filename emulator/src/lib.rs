//! `ivschat-emulator`: a local Amazon IVS Chat service: the control plane and the messaging
//! WebSocket on one port. Use it in-process:
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let emu = ivschat_emulator::Emulator::builder().port(0).start().await?;
//! println!("{}", emu.endpoint_url()); // http://127.0.0.1:PORT, credentials test/test
//! emu.shutdown().await;
//! # Ok(()) }
//! ```
//! or run the `ivschat-local` binary (see README.md).

pub mod access;
pub mod admin;
pub mod auth;
pub mod bounded;
pub mod cli;
pub mod control;
pub mod error;
pub mod hooks;
pub mod messaging;
pub mod redact;
pub mod request;
pub mod script;
pub mod server;
pub mod sinks;
pub mod store;
pub mod validate;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use auth::Identity;
pub use control::Quotas;
pub use error::ApiError;
pub use request::parse_and_validate;
pub use server::Limits;

/// Entry point: `Emulator::builder()`.
#[derive(Debug)]
pub struct Emulator;

impl Emulator {
    /// A builder with the defaults (127.0.0.1:4580, us-east-1, test/test → 000000000000, memory store).
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }
}

/// Configuration of an emulator.
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    host: String,
    port: u16,
    region: String,
    data_dir: Option<PathBuf>,
    log_dir: Option<PathBuf>,
    identities: Vec<Identity>,
    quotas: Quotas,
    limits: Limits,
    messaging: messaging::MessagingConfig,
    admin_token: Option<String>,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            host: "127.0.0.1".into(),
            port: 4580,
            region: "us-east-1".into(),
            data_dir: None,
            log_dir: None,
            identities: Vec::new(),
            quotas: Quotas::default(),
            limits: Limits::default(),
            messaging: messaging::MessagingConfig::default(),
            admin_token: None,
        }
    }
}

impl EmulatorBuilder {
    /// Interface to bind (default 127.0.0.1).
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into();
        self
    }
    /// Port (default 4580; 0 picks a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }
    /// Region (default us-east-1): ARNs use it and signatures must be scoped to it.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }
    /// Persist state in SQLite under this directory.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }
    /// Directory for logging destinations (used by the messaging/logging issue).
    pub fn log_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.log_dir = Some(dir.into());
        self
    }
    /// Add an identity. When none is added, `test`/`test` → `000000000000` is used.
    pub fn identity(
        mut self,
        access_key_id: &str,
        secret_access_key: &str,
        account_id: &str,
    ) -> Self {
        self.identities
            .push(Identity::new(access_key_id, secret_access_key, account_id));
        self
    }
    /// Add an identity that requires `x-amz-security-token: session_token`.
    pub fn identity_with_session_token(
        mut self,
        access_key_id: &str,
        secret_access_key: &str,
        account_id: &str,
        session_token: &str,
    ) -> Self {
        let mut id = Identity::new(access_key_id, secret_access_key, account_id);
        id.session_token = Some(session_token.to_string());
        self.identities.push(id);
        self
    }
    /// Rooms per account (default 50,000).
    pub fn max_rooms(mut self, n: u64) -> Self {
        self.quotas.max_rooms = n;
        self
    }
    /// Logging configurations per account (default 10,000).
    pub fn max_logging_configurations(mut self, n: u64) -> Self {
        self.quotas.max_logging_configurations = n;
        self
    }
    /// Largest request body (default 1 MiB).
    pub fn max_body_bytes(mut self, n: usize) -> Self {
        self.limits.max_body_bytes = n;
        self
    }
    /// Time allowed for request headers to arrive (default 10 s).
    pub fn header_read_timeout(mut self, t: Duration) -> Self {
        self.limits.header_read_timeout = t;
        self
    }
    /// Time allowed for a request body to arrive (default 30 s); then the connection is closed.
    pub fn body_read_timeout(mut self, t: Duration) -> Self {
        self.limits.body_read_timeout = t;
        self
    }
    /// Map a review-handler Lambda ARN (a room's `messageReviewHandler.uri`) to a local HTTP
    /// URL that the emulator POSTs review requests to (see `messaging::review`).
    pub fn review_handler(mut self, lambda_arn: impl Into<String>, url: impl Into<String>) -> Self {
        self.messaging
            .review_handlers
            .insert(lambda_arn.into(), url.into());
        self
    }
    /// Review handler timeout (default 200 ms); then the room's `fallbackResult` applies.
    pub fn review_timeout(mut self, t: Duration) -> Self {
        self.messaging.review_timeout = t;
        self
    }
    /// Divide token validity and session durations by `factor` (testing aid; default 1).
    /// With 60, a token created with `sessionDurationInMinutes: 1` gives a 1-second session.
    pub fn time_scale(mut self, factor: f64) -> Self {
        self.messaging.time_scale = factor;
        self
    }
    /// Frames queued per WebSocket connection before it is closed as a slow consumer
    /// (default 1,024).
    pub fn client_queue_capacity(mut self, n: usize) -> Self {
        self.messaging.queue_capacity = n.max(1);
        self
    }
    /// Byte budget of the admin request log (default 4 MiB; oldest entries dropped first).
    pub fn max_request_log_bytes(mut self, n: usize) -> Self {
        self.limits.max_request_log_bytes = n;
        self
    }
    /// Byte budget of the conformance-script recording (default 8 MiB; oldest dropped first).
    pub fn max_script_recording_bytes(mut self, n: usize) -> Self {
        self.limits.max_script_recording_bytes = n;
        self
    }
    /// Require `Authorization: Bearer TOKEN` on every admin call (`/_emulator/…`). Without a
    /// token the admin API answers only on a loopback address (see `access.rs`).
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.admin_token = Some(token.into());
        self
    }
    /// Whether an admin token is set.
    pub fn has_admin_token(&self) -> bool {
        self.admin_token.is_some()
    }
    /// Configured host.
    pub fn host_str(&self) -> &str {
        &self.host
    }

    /// Bind and start serving on the current tokio runtime. On a non-loopback address this
    /// logs a warning (see [`EmulatorHandle::exposure_warning`]).
    pub async fn start(self) -> std::io::Result<EmulatorHandle> {
        if let Some(t) = &self.admin_token
            && !access::valid_token(t)
        {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the admin token must be 1 to 512 visible ASCII characters (no spaces)",
            ));
        }
        let store: Box<dyn store::Store> = match &self.data_dir {
            Some(dir) => Box::new(
                store::sqlite::SqliteStore::open(dir).map_err(|e| std::io::Error::other(e.0))?,
            ),
            None => Box::new(store::memory::MemoryStore::new()),
        };
        let identities = if self.identities.is_empty() {
            vec![Identity::new("test", "test", "000000000000")]
        } else {
            self.identities.clone()
        };
        let sinks = match &self.log_dir {
            Some(dir) => Some(sinks::Sinks::start(dir.clone())?),
            None => None,
        };
        let (listener, addr) = server::bind(&self.host, self.port).await?;
        let access = access::AdminAccess::new(self.admin_token.clone(), &self.host, addr);
        let exposure = access
            .exposed()
            .then(|| access::exposure_warning(addr, access.has_token()));
        if let Some(w) = &exposure {
            tracing::warn!(target: "ivschat_emulator::exposure", "{w}");
        }
        let shared = Arc::new(server::Shared {
            messaging: messaging::Messaging::new(self.messaging.clone(), sinks),
            state: control::State::new(&self.region, store, self.quotas),
            verifier: auth::Verifier::new(&self.region, &identities),
            admin: admin::AdminState::new(self.limits.max_request_log_bytes, access),
            script: script::ScriptState::new(self.limits.max_script_recording_bytes),
            limits: self.limits,
        });
        let (tx, rx) = watch::channel(false);
        let notices = shared.state.events.subscribe();
        tokio::spawn(messaging::follow_notices(
            shared.clone(),
            rx.clone(),
            notices,
        ));
        tokio::spawn(messaging::purge_tokens_periodically(
            shared.clone(),
            rx.clone(),
        ));
        let task = tokio::spawn(server::serve(listener, shared.clone(), rx));
        Ok(EmulatorHandle {
            addr,
            shutdown: tx,
            task: Some(task),
            shared,
            exposure,
        })
    }
}

/// A running emulator. Dropping it stops it (without waiting).
pub struct EmulatorHandle {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    shared: Arc<server::Shared>,
    exposure: Option<String>,
}

impl std::fmt::Debug for EmulatorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorHandle")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl EmulatorHandle {
    fn url_host(&self) -> String {
        match self.addr {
            SocketAddr::V4(a) if a.ip().is_unspecified() => format!("127.0.0.1:{}", a.port()),
            SocketAddr::V6(a) if a.ip().is_unspecified() => format!("[::1]:{}", a.port()),
            a => a.to_string(),
        }
    }
    /// `http://127.0.0.1:PORT`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.url_host())
    }
    /// `ws://127.0.0.1:PORT/`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/", self.url_host())
    }
    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
    /// The warning about listening on a non-loopback address (`None` on loopback).
    pub fn exposure_warning(&self) -> Option<&str> {
        self.exposure.as_deref()
    }
    /// Whether the admin API answers (it is off on a non-loopback address without a token).
    pub fn admin_api_enabled(&self) -> bool {
        !self.shared.admin.access.disabled()
    }
    /// The configured region.
    pub fn region(&self) -> &str {
        &self.shared.state.region
    }
    /// The room event hook (for the messaging side and for tests).
    pub fn events(&self) -> hooks::EventBus {
        self.shared.state.events.clone()
    }
    /// Stop accepting, let in-flight requests finish (5 s grace), close every WebSocket with a
    /// close frame (5 s grace), then drain, flush and fsync the chat logs, and return.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        self.shared.messaging.begin_shutdown();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.shared.messaging.shutdown().await;
    }

    /// Wait until every chat-log record queued so far is on disk (no-op without a log dir).
    pub async fn sync_logs(&self) {
        if let Some(s) = &self.shared.messaging.sinks {
            s.sync().await;
        }
    }

    /// Number of chat tokens held (issued and not yet purged; expired ones are purged every
    /// minute of token time).
    pub fn stored_chat_tokens(&self) -> usize {
        self.shared.state.store.count_tokens().unwrap_or(0)
    }

    /// Number of open WebSocket connections.
    pub fn ws_connections(&self) -> usize {
        self.shared.messaging.hub.connections()
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        self.shared.messaging.begin_shutdown();
    }
}
