//! `startNativeLocalServer()`: the emulator (`ivschat-local`) in the addon, for tests and demos.

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;

/// An in-process emulator, credentials test/test.
#[napi]
pub struct LocalServer {
    endpoint: String,
    ws_url: String,
    handle: Arc<tokio::sync::Mutex<Option<ivschat_emulator::EmulatorHandle>>>,
}

#[napi]
impl LocalServer {
    #[napi(getter, catch_unwind)]
    pub fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    #[napi(getter, catch_unwind)]
    pub fn ws_url(&self) -> String {
        self.ws_url.clone()
    }

    /// Stops the emulator (idempotent).
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn close<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
        let handle = self.handle.clone();
        env.spawn_future(async move {
            if let Some(h) = handle.lock().await.take() {
                h.shutdown().await;
            }
            Ok(())
        })
    }
}

/// Starts an in-process emulator on 127.0.0.1 and a free port; `time_scale` shortens chat
/// tokens and sessions (tests).
// Called from JavaScript only: in a `cfg(test)` build nothing in Rust refers to it.
#[cfg_attr(test, allow(dead_code))]
#[napi(catch_unwind, ts_return_type = "Promise<LocalServer>")]
pub fn start_native_local_server(
    env: &Env,
    time_scale: Option<f64>,
) -> Result<PromiseRaw<'_, LocalServer>> {
    env.spawn_future(async move {
        let mut builder = ivschat_emulator::Emulator::builder().port(0);
        if let Some(factor) = time_scale {
            builder = builder.time_scale(factor);
        }
        let handle = builder
            .start()
            .await
            .map_err(|e| Error::from_reason(format!("could not start the emulator: {e}")))?;
        Ok(LocalServer {
            endpoint: handle.endpoint_url().to_string(),
            ws_url: handle.ws_url().to_string(),
            handle: Arc::new(tokio::sync::Mutex::new(Some(handle))),
        })
    })
}
