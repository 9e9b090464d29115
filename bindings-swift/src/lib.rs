//! Swift and Kotlin bindings of the ivschat client, through UniFFI.
//!
//! `IvschatClient(config)` has one async method per operation (Kotlin `suspend`, Swift
//! `async throws`); inputs and outputs are records generated from the service model
//! (`codegen/gen_uniffi.py`); errors are one `IvschatError` (Kotlin `IvschatException`) with a
//! case per modeled error. Credentials come from the app through `CredentialsProvider`: the
//! core is built without the AWS default chain.

// `IvschatError` crosses the FFI by value (UniFFI enums cannot hold boxes), so its size is what
// the foreign error carries anyway.
#![allow(clippy::result_large_err)]

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

mod credentials;
mod error;
mod generated;
mod wire;

pub use credentials::{Credentials, CredentialsProvider, CredentialsProviderError};
pub use error::{ErrorMetadata, IvschatError};
pub use generated::*;

uniffi::setup_scaffolding!("ivschat");

/// How to reach the service and sign requests.
#[derive(uniffi::Record)]
pub struct IvschatConfig {
    /// The AWS region, e.g. `us-east-1`.
    pub region: String,
    /// Where credentials come from: `StaticCredentials(...)` or the app's own provider.
    pub credentials_provider: Arc<dyn CredentialsProvider>,
    /// A custom endpoint (`http://127.0.0.1:4580` for ivschat-local); default: the region's.
    #[uniffi(default = None)]
    pub endpoint_url: Option<String>,
    /// Use the FIPS endpoint.
    #[uniffi(default = false)]
    pub use_fips: bool,
    /// Use the dual-stack (IPv6) endpoint.
    #[uniffi(default = false)]
    pub use_dual_stack: bool,
    /// Total attempts per call in standard retry mode (default 3; 1 disables retries).
    #[uniffi(default = None)]
    pub max_attempts: Option<u32>,
    /// The base delay of the retry backoff (default 1 s, with jitter).
    #[uniffi(default = None)]
    pub initial_backoff: Option<Duration>,
    /// Time allowed to connect (default 3.1 s).
    #[uniffi(default = None)]
    pub connect_timeout: Option<Duration>,
    /// Time allowed between bytes of a response (default 60 s).
    #[uniffi(default = None)]
    pub read_timeout: Option<Duration>,
    /// Time allowed for one attempt.
    #[uniffi(default = None)]
    pub attempt_timeout: Option<Duration>,
    /// Time allowed for a whole call, retries included.
    #[uniffi(default = None)]
    pub operation_timeout: Option<Duration>,
    /// Appended to the User-Agent, e.g. `app/myapp#1.2`.
    #[uniffi(default = None)]
    pub user_agent_suffix: Option<String>,
}

/// The IVS Chat client. Cheap to share; calls may run concurrently.
#[derive(uniffi::Object)]
pub struct IvschatClient {
    inner: ivschat::Client,
}

#[uniffi::export]
impl IvschatClient {
    /// A client for `config`; throws `IvschatError.Construction` on an invalid configuration.
    #[uniffi::constructor]
    pub fn new(config: IvschatConfig) -> Result<Arc<Self>, IvschatError> {
        let mut builder = ivschat::Config::builder()
            .region(config.region)
            .use_fips(config.use_fips)
            .use_dual_stack(config.use_dual_stack)
            .credentials_provider(credentials::ForeignProvider(config.credentials_provider));
        if let Some(url) = config.endpoint_url {
            builder = builder.endpoint_url(url);
        }
        if config.max_attempts.is_some() || config.initial_backoff.is_some() {
            let mut retry = ivschat::RetryConfig::standard();
            if let Some(n) = config.max_attempts {
                retry = retry.with_max_attempts(n);
            }
            if let Some(d) = config.initial_backoff {
                retry = retry.with_initial_backoff(d);
            }
            builder = builder.retry_config(retry);
        }
        if let Some(d) = config.connect_timeout {
            builder = builder.connect_timeout(d);
        }
        if config.read_timeout.is_some() {
            builder = builder.read_timeout(config.read_timeout);
        }
        if let Some(d) = config.attempt_timeout {
            builder = builder.attempt_timeout(d);
        }
        if let Some(d) = config.operation_timeout {
            builder = builder.operation_timeout(d);
        }
        let mut suffix = format!("md/ivschat-uniffi#{}", env!("CARGO_PKG_VERSION"));
        if let Some(extra) = config.user_agent_suffix {
            suffix = format!("{suffix} {extra}");
        }
        builder = builder.user_agent_suffix(suffix);
        Ok(Arc::new(Self {
            inner: ivschat::Client::new(&builder.build()?),
        }))
    }
}

#[uniffi::export]
impl IvschatClient {
    /// Pages through `ListRooms` from `input` (its `maxResults` is the page size); the
    /// paginator stops on a missing, empty or repeated `nextToken`.
    pub fn list_rooms_paginator(
        &self,
        input: ListRoomsInput,
    ) -> Result<Arc<ListRoomsPaginator>, IvschatError> {
        Ok(Arc::new(ListRoomsPaginator(Pages::new(
            &self.inner,
            "ListRooms",
            &input,
        )?)))
    }

    /// Pages through `ListLoggingConfigurations` from `input`.
    pub fn list_logging_configurations_paginator(
        &self,
        input: ListLoggingConfigurationsInput,
    ) -> Result<Arc<ListLoggingConfigurationsPaginator>, IvschatError> {
        Ok(Arc::new(ListLoggingConfigurationsPaginator(Pages::new(
            &self.inner,
            "ListLoggingConfigurations",
            &input,
        )?)))
    }
}

impl IvschatClient {
    async fn call_raw<I: Serialize>(
        &self,
        operation: &str,
        input: &I,
    ) -> Result<serde_json::Value, IvschatError> {
        Ok(self
            .inner
            .call_json(operation, wire::to_json(input))
            .await?)
    }

    pub(crate) async fn call<I: Serialize, O: DeserializeOwned>(
        &self,
        operation: &str,
        input: &I,
    ) -> Result<O, IvschatError> {
        let output = self.call_raw(operation, input).await?;
        serde_json::from_value(output).map_err(response_error)
    }

    pub(crate) async fn call_unit<I: Serialize>(
        &self,
        operation: &str,
        input: &I,
    ) -> Result<(), IvschatError> {
        self.call_raw(operation, input).await.map(drop)
    }
}

fn response_error(e: serde_json::Error) -> IvschatError {
    IvschatError::InvalidResponse {
        meta: ErrorMetadata {
            code: "ResponseParseError".into(),
            message: format!("unexpected output: {e}"),
            request_id: None,
            http_status: None,
            retryable: false,
        },
    }
}

type PageStream = ivschat::paginator::PaginationStream<Result<serde_json::Value, ivschat::Error>>;

/// A page stream behind a lock (UniFFI objects are shared across threads).
struct Pages(tokio::sync::Mutex<PageStream>);

impl Pages {
    fn new<I: Serialize>(
        client: &ivschat::Client,
        operation: &str,
        input: &I,
    ) -> Result<Self, IvschatError> {
        let params = wire::to_json(input);
        let page_size = params["maxResults"].as_i64().map(|n| n as i32);
        let stream = client.paginate_json(operation, params, page_size)?;
        Ok(Self(tokio::sync::Mutex::new(stream)))
    }

    async fn next<O: DeserializeOwned>(&self) -> Result<Option<O>, IvschatError> {
        match self.0.lock().await.next().await {
            None => Ok(None),
            Some(page) => Ok(Some(serde_json::from_value(page?).map_err(response_error)?)),
        }
    }
}

/// Pages of `ListRooms`: call `nextPage()` until it returns null / nil.
#[derive(uniffi::Object)]
pub struct ListRoomsPaginator(Pages);

#[uniffi::export(async_runtime = "tokio")]
impl ListRoomsPaginator {
    /// The next page, or none after the last one.
    pub async fn next_page(&self) -> Result<Option<ListRoomsOutput>, IvschatError> {
        self.0.next().await
    }
}

/// Pages of `ListLoggingConfigurations`: call `nextPage()` until it returns null / nil.
#[derive(uniffi::Object)]
pub struct ListLoggingConfigurationsPaginator(Pages);

#[uniffi::export(async_runtime = "tokio")]
impl ListLoggingConfigurationsPaginator {
    /// The next page, or none after the last one.
    pub async fn next_page(&self) -> Result<Option<ListLoggingConfigurationsOutput>, IvschatError> {
        self.0.next().await
    }
}

/// Parses an operation's input from wire-named JSON (`{"name": "demo"}` for `CreateRoom`): for
/// tests, logs and ports from the AWS SDKs' JSON.
#[uniffi::export]
pub fn operation_input_from_json(
    operation: String,
    json: String,
) -> Result<OperationInput, IvschatError> {
    let value: serde_json::Value = serde_json::from_str(&json)
        .map_err(|e| IvschatError::invalid_input(None, format!("invalid JSON: {e}")))?;
    generated::input_from_json(&operation, value)
}

/// An operation's output as wire-named JSON (timestamps as RFC 3339 strings, an unknown union
/// member as `{"SDK_UNKNOWN_MEMBER": {"name": ...}}`).
#[uniffi::export]
pub fn operation_output_to_json(output: OperationOutput) -> String {
    generated::output_to_json(&output).to_string()
}
