//! Calls by operation name with wire-named JSON, for the language bindings and conformance
//! runners: one generic path instead of 17 hand-written conversions per language.

use serde_json::Value;

use crate::Client;
use crate::client::ResponseMetadata;
use crate::error::{BuildError, Error};
use crate::operation::*;
use crate::paginator::{Paginated, PaginationStream, Paginator};

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
        self.call_dynamic::<ValueForm>(operation, params).await
    }

    /// As [`Client::call_json_with_metadata`], with the input and the output as JSON text: no
    /// intermediate [`Value`] either way (for bindings that cross their boundary with text).
    pub async fn call_json_text_with_metadata(
        &self,
        operation: &str,
        params: &str,
    ) -> (Result<String, Error>, ResponseMetadata) {
        self.call_dynamic::<TextForm>(operation, params).await
    }

    async fn call_dynamic<F: JsonForm>(
        &self,
        operation: &str,
        params: F::Input<'_>,
    ) -> (Result<F::Output, Error>, ResponseMetadata) {
        macro_rules! dispatch {
            ($(($name:ident, $module:ident, $input:ident)),* $(,)?) => {
                match operation {
                    $(stringify!($name) => match F::input::<$input>(params) {
                        Ok(input) => {
                            let (output, meta) = self.handle.send_with_metadata(input).await;
                            (output.and_then(|o| F::output(&o)), meta)
                        }
                        Err(e) => (Err(e), ResponseMetadata::default()),
                    },)*
                    other => (
                        Err(BuildError::other(format!("unknown operation `{other}`")).into()),
                        ResponseMetadata::default(),
                    ),
                }
            };
        }
        for_each_operation!(dispatch)
    }
}

/// How a dynamic call takes its input and gives its output.
trait JsonForm {
    type Input<'a>;
    type Output;
    fn input<T: serde::de::DeserializeOwned>(params: Self::Input<'_>) -> Result<T, Error>;
    fn output<T: serde::Serialize>(output: &T) -> Result<Self::Output, Error>;
}

/// [`Value`] in, [`Value`] out.
struct ValueForm;

impl JsonForm for ValueForm {
    type Input<'a> = Value;
    type Output = Value;

    fn input<T: serde::de::DeserializeOwned>(params: Value) -> Result<T, Error> {
        input_from_json(params)
    }

    fn output<T: serde::Serialize>(output: &T) -> Result<Value, Error> {
        to_json(output)
    }
}

/// JSON text in, JSON text out.
struct TextForm;

impl JsonForm for TextForm {
    type Input<'a> = &'a str;
    type Output = String;

    fn input<T: serde::de::DeserializeOwned>(params: &str) -> Result<T, Error> {
        let params = match params.trim() {
            "" | "null" => "{}",
            text => text,
        };
        let mut de = serde_json::Deserializer::from_str(params);
        let input = serde_path_to_error::deserialize(&mut de).map_err(invalid_input)?;
        de.end()
            .map_err(|e| Error::from(BuildError::other(format!("invalid input: {e}"))))?;
        Ok(input)
    }

    fn output<T: serde::Serialize>(output: &T) -> Result<String, Error> {
        serde_json::to_string(output).map_err(|e| BuildError::serialization(e.to_string()).into())
    }
}

fn input_from_json<T: serde::de::DeserializeOwned>(params: Value) -> Result<T, Error> {
    let params = match params {
        Value::Null => Value::Object(Default::default()),
        other => other,
    };
    serde_path_to_error::deserialize(params).map_err(invalid_input)
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

impl Client {
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
        fn pages<I: Paginated + serde::de::DeserializeOwned>(
            client: &Client,
            params: Value,
            page_size: Option<i32>,
        ) -> Result<JsonPages, Error>
        where
            I::Output: serde::Serialize,
        {
            let input: I = input_from_json(params)?;
            let mut paginator = Paginator::new(client.handle.clone(), input);
            if let Some(size) = page_size {
                paginator = paginator.page_size(size);
            }
            Ok(paginator
                .send_with_metadata()
                .map(|(page, meta)| (page.and_then(|p| to_json(&p)), meta)))
        }
        match operation {
            "ListRooms" => pages::<ListRoomsInput>(self, params, page_size),
            "ListLoggingConfigurations" => {
                pages::<ListLoggingConfigurationsInput>(self, params, page_size)
            }
            other => Err(BuildError::other(format!("`{other}` does not paginate")).into()),
        }
    }
}
