//! `ivschat.testing.LocalServer`: the emulator inside this process (cargo feature `local`).

use std::sync::Mutex;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use crate::runtime::{block_on_in, runtime};

#[pyclass(module = "ivschat._native", frozen)]
pub struct NativeLocalServer {
    handle: Mutex<Option<ivschat_emulator::EmulatorHandle>>,
    #[pyo3(get)]
    endpoint_url: String,
    #[pyo3(get)]
    ws_url: String,
}

#[pymethods]
impl NativeLocalServer {
    /// Starts the emulator on `host:port` (0: a free port), identity `test` / `test`; `time_scale`
    /// speeds its clock up (60: a one-minute chat session lasts a second).
    #[new]
    #[pyo3(signature = (*, host="127.0.0.1".to_owned(), port=0, region="us-east-1".to_owned(), time_scale=1.0))]
    fn new(
        py: Python<'_>,
        host: String,
        port: u16,
        region: String,
        time_scale: f64,
    ) -> PyResult<Self> {
        let rt = runtime();
        let start = async move {
            ivschat_emulator::Emulator::builder()
                .host(host)
                .port(port)
                .region(region)
                .time_scale(time_scale)
                .start()
                .await
        };
        // Spawned so the server's tasks live on the runtime's workers.
        let handle = block_on_in(py, rt, async move { rt.spawn(start).await })?
            .map_err(|e| PyRuntimeError::new_err(format!("emulator task failed: {e}")))?
            .map_err(|e| PyRuntimeError::new_err(format!("cannot start the emulator: {e}")))?;
        Ok(NativeLocalServer {
            endpoint_url: handle.endpoint_url().to_string(),
            ws_url: handle.ws_url().to_string(),
            handle: Mutex::new(Some(handle)),
        })
    }

    /// Stops the server (idempotent).
    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        let handle = self.handle.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(handle) = handle {
            let rt = runtime();
            block_on_in(py, rt, async move { rt.spawn(handle.shutdown()).await })?
                .map_err(|e| PyRuntimeError::new_err(format!("emulator shutdown failed: {e}")))?;
        }
        Ok(())
    }
}
