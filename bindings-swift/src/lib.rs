//! Swift and Kotlin bindings of the ivschat client, through UniFFI.
//!
//! `IvschatClient(config)` has one async method per operation (Kotlin `suspend`, Swift
//! `async throws`); inputs and outputs are records generated from the service model
//! (`codegen/gen_uniffi.py`); errors are one `IvschatError` (Kotlin `IvschatException`) with a
//! case per modeled error. Credentials come from the app through `CredentialsProvider`: the
//! core is built without the AWS default chain. `ChatRoom` joins a room over the messaging
//! WebSocket with chat tokens from the app's `ChatTokenProvider`.

// `IvschatError` crosses the FFI by value (UniFFI enums cannot hold boxes), so its size is what
// the foreign error carries anyway.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

mod chat_room;
mod chat_types;
mod config;
mod credentials;
mod error;
mod generated;
mod wire;

pub use chat_room::{
    ChatRoom, ChatRoomError, ChatRoomEvents, ChatRoomOptions, ChatTokenProvider,
    ChatTokenProviderError, ReconnectPolicy,
};
pub use chat_types::*;
pub use config::IvschatConfig;
pub use credentials::{Credentials, CredentialsProvider, CredentialsProviderError};
pub use error::{ErrorMetadata, IvschatError};
pub use generated::*;

uniffi::setup_scaffolding!("ivschat");

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
        Ok(Arc::new(Self {
            inner: ivschat::Client::new(&config.build()?),
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
