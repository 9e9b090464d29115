//! `NativeClient`: one `ivschat::Client`, called by operation name with wire-named dicts.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ivschat::dynamic::OperationOutput;
use ivschat::paginator::PaginationStream;
use pyo3::prelude::*;

use crate::aio::{self, Done};
use crate::convert::operation_input;
use crate::credentials::PyCredentialsProvider;
use crate::error::to_pyerr;
use crate::runtime::{block_on, block_on_in, blocking_runtime, runtime};

#[pyclass(module = "ivschat._native", frozen)]
pub struct NativeClient {
    builder: ivschat::ConfigBuilder,
    load_defaults: bool,
    /// The [`crate::runtime::fork_generation`] that built `clients`.
    generation: u32,
    clients: Arc<Clients>,
    /// A forked child's own clients (its generation, the clients).
    child: Mutex<Option<(u32, Arc<Clients>)>>,
}

/// The core client of one process, in two forms sharing configuration, credentials and retry
/// quota: `shared` has its connections on the multi-thread runtime (async calls, pagination);
/// `blocking`, made on the first blocking call, does its socket I/O on the calling thread with
/// blocking sockets (`Client::with_blocking_io`), driven through [`blocking_runtime`].
struct Clients {
    shared: ivschat::Client,
    blocking: OnceLock<ivschat::Client>,
}

impl Clients {
    fn new(shared: ivschat::Client) -> Arc<Self> {
        Arc::new(Clients {
            shared,
            blocking: OnceLock::new(),
        })
    }

    fn blocking(&self) -> Result<ivschat::Client, ivschat::Error> {
        if let Some(c) = self.blocking.get() {
            return Ok(c.clone());
        }
        let made = self
            .shared
            .with_blocking_io(Some(crate::runtime::signal_check()))?;
        Ok(self.blocking.get_or_init(|| made).clone())
    }
}

fn build(
    py: Python<'_>,
    builder: &ivschat::ConfigBuilder,
    load_defaults: bool,
) -> PyResult<ivschat::Config> {
    let builder = builder.clone();
    let result = if load_defaults {
        block_on(py, async move { builder.load_defaults().await.build() })?
    } else {
        py.detach(|| builder.build())
    };
    result.map_err(|e| to_pyerr(py, &e))
}

impl NativeClient {
    /// The clients of this process: a forked child builds new ones (the parent's connection
    /// pools belong to the parent's runtimes).
    fn clients(&self, py: Python<'_>) -> PyResult<Arc<Clients>> {
        let generation = crate::runtime::fork_generation();
        if generation == self.generation {
            return Ok(self.clients.clone());
        }
        // A forked child. The lock may have been copied while held: never wait on it.
        let mut slot = match self.child.try_lock() {
            Ok(slot) => Some(slot),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        };
        if let Some(Some((owner, clients))) = slot.as_deref()
            && *owner == generation
        {
            return Ok(clients.clone());
        }
        let config = build(py, &self.builder, self.load_defaults)?;
        let clients = Clients::new(ivschat::Client::new(&config));
        if let Some(slot) = slot.as_mut() {
            **slot = Some((generation, clients.clone()));
        }
        Ok(clients)
    }
}

fn secs(v: Option<f64>, name: &str) -> PyResult<Option<Duration>> {
    match v {
        None => Ok(None),
        Some(s) if s.is_finite() && s >= 0.0 => Ok(Some(Duration::from_secs_f64(s))),
        Some(_) => Err(pyo3::exceptions::PyValueError::new_err(format!(
            "{name} must be a non-negative number of seconds"
        ))),
    }
}

#[pymethods]
impl NativeClient {
    #[new]
    #[pyo3(signature = (*, region=None, endpoint_url=None, aws_access_key_id=None,
        aws_secret_access_key=None, aws_session_token=None, profile_name=None,
        use_fips_endpoint=None, use_dualstack_endpoint=None, max_attempts=None,
        connect_timeout=None, read_timeout=None, credentials_provider=None,
        user_agent_suffix=None, initial_backoff_ms=None, no_read_timeout=false))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        region: Option<String>,
        endpoint_url: Option<String>,
        aws_access_key_id: Option<String>,
        aws_secret_access_key: Option<String>,
        aws_session_token: Option<String>,
        profile_name: Option<String>,
        use_fips_endpoint: Option<bool>,
        use_dualstack_endpoint: Option<bool>,
        max_attempts: Option<u32>,
        connect_timeout: Option<f64>,
        read_timeout: Option<f64>,
        credentials_provider: Option<Py<PyAny>>,
        user_agent_suffix: Option<String>,
        initial_backoff_ms: Option<u64>,
        no_read_timeout: bool,
    ) -> PyResult<Self> {
        let _ = crate::logging::refresh(py);
        let mut b = ivschat::Config::builder();
        let has_region = region.is_some();
        if let Some(r) = region {
            b = b.region(r);
        }
        if let Some(u) = endpoint_url {
            b = b.endpoint_url(u);
        }
        if let Some(on) = use_fips_endpoint {
            b = b.use_fips(on);
        }
        if let Some(on) = use_dualstack_endpoint {
            b = b.use_dual_stack(on);
        }
        if let Some(p) = profile_name {
            b = b.profile_name(p);
        }
        match (
            aws_access_key_id,
            aws_secret_access_key,
            credentials_provider,
        ) {
            (Some(ak), Some(sk), None) => {
                b = b.credentials(ivschat::Credentials::new(ak, sk, aws_session_token));
            }
            (None, None, Some(provider)) => {
                b = b.credentials_provider(PyCredentialsProvider::new(provider));
            }
            (None, None, None) => {}
            (_, _, Some(_)) => {
                return Err(pyo3::exceptions::PyTypeError::new_err(
                    "pass either credentials_provider or aws_access_key_id/aws_secret_access_key, not both",
                ));
            }
            _ => {
                return Err(pyo3::exceptions::PyTypeError::new_err(
                    "aws_access_key_id and aws_secret_access_key must be given together",
                ));
            }
        }
        match (max_attempts, initial_backoff_ms) {
            (n, Some(ms)) => {
                let mut retry = ivschat::RetryConfig::standard()
                    .with_initial_backoff(Duration::from_millis(ms));
                if let Some(n) = n {
                    retry = retry.with_max_attempts(n);
                }
                b = b.retry_config(retry);
            }
            (Some(n), None) => b = b.max_attempts(n),
            (None, None) => {}
        }
        if let Some(t) = secs(connect_timeout, "connect_timeout")? {
            b = b.connect_timeout(t);
        }
        if no_read_timeout {
            b = b.read_timeout(None);
        } else if let Some(t) = secs(read_timeout, "read_timeout")? {
            b = b.read_timeout(Some(t));
        }
        if let Some(s) = user_agent_suffix {
            b = b.user_agent_suffix(s);
        }
        let region_from_env = std::env::var("AWS_REGION")
            .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
            .is_ok_and(|r| !r.trim().is_empty());
        // The profile (or IMDS) gives the region only through the async default chain.
        let load_defaults = !has_region && !region_from_env;
        let config = build(py, &b, load_defaults)?;
        let client = ivschat::Client::new(&config);
        Ok(NativeClient {
            builder: b,
            load_defaults,
            generation: crate::runtime::fork_generation(),
            clients: Clients::new(client),
            child: Mutex::new(None),
        })
    }

    #[getter]
    fn region(&self) -> &str {
        self.clients.shared.config().region()
    }

    #[getter]
    fn endpoint_url(&self) -> &str {
        self.clients.shared.config().endpoint_url()
    }

    /// Calls `op` with a wire-named dict; returns the wire-named output dict.
    fn call<'py>(
        &self,
        py: Python<'py>,
        op: &str,
        params: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let input = operation_input(op, params).map_err(|e| to_pyerr(py, &e))?;
        let client = self.clients(py)?.blocking().map_err(|e| to_pyerr(py, &e))?;
        let (result, _) = block_on_in(py, blocking_runtime(), client.call_operation(input))?;
        crate::runtime::raise_interrupting_signal(&result)?;
        Done::Call(result).into_py(py)
    }

    /// The same, as an awaitable on the running asyncio loop.
    fn call_async<'py>(
        &self,
        py: Python<'py>,
        op: &str,
        params: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let input = operation_input(op, params).map_err(|e| to_pyerr(py, &e))?;
        let client = self.clients(py)?.shared.clone();
        aio::spawn(py, async move {
            Done::Call(client.call_operation(input).await.0)
        })
    }

    /// A page stream over `ListRooms` / `ListLoggingConfigurations`.
    fn paginate(
        &self,
        py: Python<'_>,
        op: &str,
        params: &Bound<'_, PyAny>,
    ) -> PyResult<NativePages> {
        let input = operation_input(op, params).map_err(|e| to_pyerr(py, &e))?;
        let client = self.clients(py)?.shared.clone();
        // paginate_operation spawns nothing; build it inside the runtime context anyway.
        let _guard = runtime().enter();
        let stream = client
            .paginate_operation(input, None)
            .map_err(|e| to_pyerr(py, &e))?
            .map(|(page, _)| page);
        Ok(NativePages {
            stream: Arc::new(tokio::sync::Mutex::new(stream)),
        })
    }
}

type Stream = PaginationStream<Result<OperationOutput, ivschat::Error>>;

#[pyclass(module = "ivschat._native", frozen)]
pub struct NativePages {
    stream: Arc<tokio::sync::Mutex<Stream>>,
}

#[pymethods]
impl NativePages {
    /// The next page (a dict), or `None` at the end.
    fn next_page<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let stream = self.stream.clone();
        let page = block_on(py, async move { stream.lock().await.next().await })?;
        Done::Page(page).into_py(py)
    }

    /// The next page as an awaitable (resolving to `None` at the end).
    fn next_page_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let stream = self.stream.clone();
        aio::spawn(
            py,
            async move { Done::Page(stream.lock().await.next().await) },
        )
    }
}
