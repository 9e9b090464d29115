//! Calls by operation name, for the language bindings and conformance runners: a typed input
//! read from any serde deserializer (a JSON value, JSON text, a binding's own objects) and a
//! typed output that serializes with wire names. One generic path instead of 17 hand-written
//! conversions per language.

use serde_json::Value;

use crate::Client;
use crate::client::ResponseMetadata;
use crate::error::{BuildError, Error};
use crate::operation::*;
use crate::paginator::{Paginated, PaginationStream, Paginator};
use crate::protocol::Operation;

/// Declares [`OperationInput`] and [`OperationOutput`] with one variant per operation.
macro_rules! operation_enums {
    ($(($name:ident, $module:ident, $input:ident)),* $(,)?) => {
        /// The typed input of one operation, chosen by name at run time: what a binding builds
        /// from its own values ([`OperationInput::from_wire`]) and sends with
        /// [`Client::call_operation`].
        #[derive(Debug)]
        pub enum OperationInput {
            $(#[doc = concat!("`", stringify!($name), "`.")] $name($input),)*
        }

        /// The typed output of one operation. It serializes as the wire-named output (timestamps
        /// as RFC 3339 strings, an unknown union member as `{"SDK_UNKNOWN_MEMBER": ...}`), into
        /// JSON or straight into a binding's own values.
        #[derive(Debug)]
        pub enum OperationOutput {
            $(#[doc = concat!("`", stringify!($name), "`.")] $name(<$input as Operation>::Output),)*
        }

        impl OperationInput {
            /// Reads the wire-named input of `operation` (e.g. `"CreateRoom"`) from any serde
            /// deserializer. A bad member fails before anything is sent, naming the member.
            pub fn from_wire<'de, D: serde::Deserializer<'de>>(
                operation: &str,
                params: D,
            ) -> Result<Self, Error> {
                match operation {
                    $(stringify!($name) => serde_path_to_error::deserialize(params)
                        .map(OperationInput::$name)
                        .map_err(invalid_input),)*
                    other => Err(BuildError::other(format!("unknown operation `{other}`")).into()),
                }
            }

            /// The operation's name, as the service spells it.
            pub fn operation_name(&self) -> &'static str {
                match self {
                    $(OperationInput::$name(_) => stringify!($name),)*
                }
            }
        }

        impl serde::Serialize for OperationOutput {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $(OperationOutput::$name(output) => output.serialize(serializer),)*
                }
            }
        }

        impl Client {
            /// Sends one operation chosen at run time; returns its typed output and the call's
            /// [`ResponseMetadata`] (status, request id, attempts, retry delay), on success and
            /// on failure.
            pub async fn call_operation(
                &self,
                input: OperationInput,
            ) -> (Result<OperationOutput, Error>, ResponseMetadata) {
                match input {
                    $(OperationInput::$name(input) => {
                        let (output, meta) = self.handle.send_with_metadata(input).await;
                        (output.map(OperationOutput::$name), meta)
                    })*
                }
            }
        }
    };
}
for_each_operation!(operation_enums);

impl OperationInput {
    /// The input of `operation` from wire-named JSON text (empty or `null`: no members).
    pub fn from_json_text(operation: &str, params: &str) -> Result<Self, Error> {
        let params = match params.trim() {
            "" | "null" => "{}",
            text => text,
        };
        let mut de = serde_json::Deserializer::from_str(params);
        let input = OperationInput::from_wire(operation, &mut de)?;
        de.end()
            .map_err(|e| Error::from(BuildError::other(format!("invalid input: {e}"))))?;
        Ok(input)
    }
}

impl OperationOutput {
    /// The wire-named output as JSON text.
    pub fn to_json_text(&self) -> Result<String, Error> {
        serde_json::to_string(self).map_err(|e| BuildError::serialization(e.to_string()).into())
    }
}

impl Client {
    /// Calls `operation` (e.g. `"CreateRoom"`) with its input as wire-named JSON
    /// (`{"name": "demo", "tags": {...}}`) and returns the output the same way: wire member
    /// names, timestamps as RFC 3339 strings, an unknown union member as
    /// `{"SDK_UNKNOWN_MEMBER": {"name": ...}}`. A bad parameter fails before anything is sent,
    /// naming the member.
    pub async fn call_json(&self, operation: &str, params: Value) -> Result<Value, Error> {
        self.call_json_with_metadata(operation, params).await.0
    }

    /// As [`Client::call_json`], also returning the call's [`ResponseMetadata`] (status, request
    /// id, attempts, retry delay), on success and on failure.
    pub async fn call_json_with_metadata(
        &self,
        operation: &str,
        params: Value,
    ) -> (Result<Value, Error>, ResponseMetadata) {
        match input_from_json(operation, params) {
            Ok(input) => {
                let (output, meta) = self.call_operation(input).await;
                (output.and_then(|o| to_json(&o)), meta)
            }
            Err(e) => (Err(e), ResponseMetadata::default()),
        }
    }

    /// As [`Client::call_json_with_metadata`], with the input and the output as JSON text: no
    /// intermediate [`Value`] either way (for bindings that cross their boundary with text).
    pub async fn call_json_text_with_metadata(
        &self,
        operation: &str,
        params: &str,
    ) -> (Result<String, Error>, ResponseMetadata) {
        match OperationInput::from_json_text(operation, params) {
            Ok(input) => {
                let (output, meta) = self.call_operation(input).await;
                (output.and_then(|o| o.to_json_text()), meta)
            }
            Err(e) => (Err(e), ResponseMetadata::default()),
        }
    }
}

/// The input of `operation` from a JSON value (`null`: no members).
fn input_from_json(operation: &str, params: Value) -> Result<OperationInput, Error> {
    let params = match params {
        Value::Null => Value::Object(Default::default()),
        other => other,
    };
    OperationInput::from_wire(operation, params)
}

/// A deserialisation failure as an input error naming the member.
fn invalid_input<E: std::fmt::Display>(e: serde_path_to_error::Error<E>) -> Error {
    let member = e.path().to_string();
    let why = e.into_inner().to_string();
    if member == "." {
        BuildError::other(format!("invalid input: {why}")).into()
    } else {
        BuildError::invalid(&member, why).into()
    }
}

fn to_json<T: serde::Serialize>(output: &T) -> Result<Value, Error> {
    serde_json::to_value(output).map_err(|e| BuildError::serialization(e.to_string()).into())
}

/// Pages as wire-named JSON, each with its call's metadata.
pub type JsonPages = PaginationStream<(Result<Value, Error>, ResponseMetadata)>;

/// Typed pages of an operation chosen at run time, each with its call's metadata.
pub type OperationPages = PaginationStream<(Result<OperationOutput, Error>, ResponseMetadata)>;

impl Client {
    /// Pages through `ListRooms` or `ListLoggingConfigurations` from a typed input, with the
    /// typed paginator's stop rules (missing, empty or repeated `nextToken`).
    pub fn paginate_operation(
        &self,
        input: OperationInput,
        page_size: Option<i32>,
    ) -> Result<OperationPages, Error> {
        fn pages<I: Paginated>(
            client: &Client,
            input: I,
            page_size: Option<i32>,
            wrap: fn(I::Output) -> OperationOutput,
        ) -> OperationPages {
            let mut paginator = Paginator::new(client.handle.clone(), input);
            if let Some(size) = page_size {
                paginator = paginator.page_size(size);
            }
            paginator
                .send_with_metadata()
                .map(move |(page, meta)| (page.map(wrap), meta))
        }
        match input {
            OperationInput::ListRooms(input) => {
                Ok(pages(self, input, page_size, OperationOutput::ListRooms))
            }
            OperationInput::ListLoggingConfigurations(input) => Ok(pages(
                self,
                input,
                page_size,
                OperationOutput::ListLoggingConfigurations,
            )),
            other => Err(BuildError::other(format!(
                "`{}` does not paginate",
                other.operation_name()
            ))
            .into()),
        }
    }

    /// Pages through `ListRooms` or `ListLoggingConfigurations` with wire-named JSON, yielding
    /// each page's output as [`Client::call_json`] would; the stop rules are the typed
    /// paginator's (missing, empty or repeated `nextToken`).
    pub fn paginate_json(
        &self,
        operation: &str,
        params: Value,
        page_size: Option<i32>,
    ) -> Result<PaginationStream<Result<Value, Error>>, Error> {
        Ok(self
            .paginate_json_with_metadata(operation, params, page_size)?
            .map(|(page, _)| page))
    }

    /// As [`Client::paginate_json`], with each page's [`ResponseMetadata`].
    pub fn paginate_json_with_metadata(
        &self,
        operation: &str,
        params: Value,
        page_size: Option<i32>,
    ) -> Result<JsonPages, Error> {
        let input = input_from_json(operation, params)?;
        Ok(self
            .paginate_operation(input, page_size)?
            .map(|(page, meta)| (page.and_then(|p| to_json(&p)), meta)))
    }
}
