//! Calls by operation name with wire-named JSON, for the language bindings and conformance
//! runners: one generic path instead of 17 hand-written conversions per language.

use serde_json::Value;

use crate::Client;
use crate::error::{BuildError, Error};
use crate::operation::*;

impl Client {
    /// Calls `operation` (e.g. `"CreateRoom"`) with its input as wire-named JSON
    /// (`{"name": "demo", "tags": {...}}`) and returns the output the same way: wire member
    /// names, timestamps as RFC 3339 strings, an unknown union member as
    /// `{"SDK_UNKNOWN_MEMBER": {"name": ...}}`. A bad parameter fails before anything is sent,
    /// naming the member.
    pub async fn call_json(&self, operation: &str, params: Value) -> Result<Value, Error> {
        macro_rules! dispatch {
            ($(($name:ident, $module:ident, $input:ident)),* $(,)?) => {
                match operation {
                    $(stringify!($name) => {
                        let input: $input = input_from_json(params)?;
                        to_json(&self.handle.send(input).await?)
                    })*
                    other => Err(BuildError::other(format!("unknown operation `{other}`")).into()),
                }
            };
        }
        for_each_operation!(dispatch)
    }
}

fn input_from_json<T: serde::de::DeserializeOwned>(params: Value) -> Result<T, Error> {
    let params = match params {
        Value::Null => Value::Object(Default::default()),
        other => other,
    };
    serde_path_to_error::deserialize(params).map_err(|e| {
        let member = e.path().to_string();
        let why = e.into_inner().to_string();
        if member == "." {
            BuildError::other(format!("invalid input: {why}")).into()
        } else {
            BuildError::invalid(&member, why).into()
        }
    })
}

fn to_json<T: serde::Serialize>(output: &T) -> Result<Value, Error> {
    serde_json::to_value(output).map_err(|e| BuildError::serialization(e.to_string()).into())
}
