//! `NativeClient`: one `ivschat::Client`, called by operation name with wire-named dicts, from
//! synchronous calls (on [`blocking_runtime`]) and asyncio (on [`runtime`]) alike: the core keeps
//! one connection pool per runtime.

use std::sync::Arc;

use ivschat::dynamic::{OperationInput, OperationOutput};
use ivschat::options::ClientOptions;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3_async_runtimes::generic::future_into_py;
use pythonize::{Depythonizer, pythonize};

use crate::credentials::PyCredentialsProvider;
use crate::error::to_pyerr;
use crate::runtime::{PerProcess, Rt, block_on_in, blocking_runtime, runtime};

#[pyclass(module = "ivschat._native", frozen)]
pub struct NativeClient {
    builder: ivschat::ConfigBuilder,
    load_defaults: bool,
    /// This process's client (a forked child builds its own from `builder`).
    client: PerProcess<ivschat::Client>,
    #[pyo3(get)]
    region: String,
    #[pyo3(get)]
    endpoint_url: String,
}

fn build(
    py: Python<'_>,
    builder: &ivschat::ConfigBuilder,
    defaults: bool,
) -> PyResult<ivschat::Client> {
    let builder = builder.clone();
    let config = if defaults {
        block_on_in(py, runtime(), async move {
            builder.load_defaults().await.build()
        })?
    } else {
        py.detach(|| builder.build())
    };
    config
        .map(|c| ivschat::Client::new(&c))
        .map_err(|e| to_pyerr(py, &e))
}

impl NativeClient {
    fn client(&self, py: Python<'_>) -> PyResult<ivschat::Client> {
        self.client
            .get_or_try(|| build(py, &self.builder, self.load_defaults))
    }

    fn input(
        &self,
        py: Python<'_>,
        op: &str,
        params: &Bound<'_, PyAny>,
    ) -> PyResult<(ivschat::Client, OperationInput)> {
        let input = OperationInput::from_wire(op, &mut Depythonizer::from_object(params));
        Ok((self.client(py)?, input.map_err(|e| to_pyerr(py, &e))?))
    }
}

/// An operation's outcome, made a wire-named dict or the matching
/// exception where the GIL is held.
struct Outcome(Result<OperationOutput, ivschat::Error>);

impl<'py> IntoPyObject<'py> for Outcome {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        settled(|| match self.0 {
            Ok(out) => Ok(pythonize(py, &out)?),
            Err(e) => Err(to_pyerr(py, &e)),
        })
    }
}

/// `make()`, with a panic as an exception: conversions also run where pyo3 catches none
/// (pyo3-async-runtimes' completion), and an awaited call must settle.
pub fn settled<T>(make: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(make)).unwrap_or_else(|_| {
        Err(PyRuntimeError::new_err(
            "ivschat: converting a result panicked",
        ))
    })
}

#[pymethods]
impl NativeClient {
    /// `options`: the settings of `ivschat::options::ClientOptions` by name.
    #[new]
    #[pyo3(signature = (options, credentials_provider=None))]
    fn new(
        py: Python<'_>,
        options: &Bound<'_, PyAny>,
        credentials_provider: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let _ = crate::logging::refresh(py);
        let options = ClientOptions::from_deserializer(&mut Depythonizer::from_object(options))
            .map_err(|e| to_pyerr(py, &e))?;
        let load_defaults = options.needs_default_region();
        let mut builder = options
            .into_builder()
            .map_err(|e| to_pyerr(py, &e))?
            .region_hint("region_name=\"us-east-1\" in ivschat.Client(...)");
        if let Some(provider) = credentials_provider {
            builder = builder.credentials_provider(PyCredentialsProvider(Arc::new(provider)));
        }
        let client = build(py, &builder, load_defaults)?;
        let (region, endpoint_url) = (
            client.config().region().to_owned(),
            client.config().endpoint_url().to_owned(),
        );
        let slot = PerProcess::new();
        slot.get_or_try(|| Ok::<_, PyErr>(client))?;
        Ok(NativeClient {
            builder,
            load_defaults,
            client: slot,
            region,
            endpoint_url,
        })
    }

    /// Calls `op` with a wire-named dict; returns the wire-named output dict.
    fn call<'py>(
        &self,
        py: Python<'py>,
        op: &str,
        params: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (client, input) = self.input(py, op, params)?;
        let (result, _) = block_on_in(py, blocking_runtime(), client.call_operation(input))?;
        Outcome(result).into_pyobject(py)
    }

    /// The same, as an awaitable on the running asyncio loop (cancelling it cancels the call).
    fn call_async<'py>(
        &self,
        py: Python<'py>,
        op: &str,
        params: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (client, input) = self.input(py, op, params)?;
        // Boxed: the call's future is kilobytes, and pyo3-async-runtimes' wrappers would copy it.
        let call = Box::pin(async move { client.call_operation(input).await });
        future_into_py::<Rt, _, _>(py, async move { Ok(Outcome(call.await.0)) })
    }
}
