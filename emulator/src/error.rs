//! The service's error shape: `x-amzn-ErrorType` header + JSON body with `message` and the
//! modeled fields. Every response also carries `x-amzn-RequestId` (added by the server).

use serde_json::{Map, Value, json};

/// One error as the service returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status code.
    pub status: u16,
    /// Error code (`x-amzn-ErrorType`), e.g. `ResourceNotFoundException`.
    pub code: String,
    /// Human-readable message (`message` in the body).
    pub message: String,
    /// Extra modeled members (resourceId, resourceType, limit, reason, fieldList).
    pub fields: Map<String, Value>,
}

/// One entry of a ValidationException's `fieldList`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Member path, e.g. `destinationConfiguration.s3.bucketName`.
    pub name: String,
    /// What is wrong with it.
    pub message: String,
}

impl ApiError {
    /// A bare error with a status, a code and a message.
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
            fields: Map::new(),
        }
    }

    fn with(mut self, key: &str, value: Value) -> Self {
        self.fields.insert(key.to_string(), value);
        self
    }

    /// 400 ValidationException with a reason and an optional field list.
    pub fn validation(reason: &str, message: impl Into<String>, fields: &[FieldError]) -> Self {
        let mut e =
            ApiError::new(400, "ValidationException", message).with("reason", json!(reason));
        if !fields.is_empty() {
            let list: Vec<Value> = fields
                .iter()
                .map(|f| json!({"name": f.name, "message": f.message}))
                .collect();
            e = e.with("fieldList", Value::Array(list));
        }
        e
    }

    /// 400 ValidationException, FIELD_VALIDATION_FAILED, for one field.
    pub fn field(name: &str, message: &str) -> Self {
        ApiError::validation(
            "FIELD_VALIDATION_FAILED",
            format!(
                "1 validation error detected: Value at '{name}' failed to satisfy constraint: {message}"
            ),
            &[FieldError {
                name: name.to_string(),
                message: message.to_string(),
            }],
        )
    }

    /// 400 ValidationException, UNKNOWN_OPERATION.
    pub fn unknown_operation(method: &str, path: &str) -> Self {
        let shown: String = path.chars().take(200).collect();
        ApiError::validation(
            "UNKNOWN_OPERATION",
            format!("No operation matches {method} {shown}"),
            &[],
        )
    }

    /// 400 SerializationException (body is not valid JSON of the expected kind).
    pub fn serialization(message: impl Into<String>) -> Self {
        ApiError::new(400, "SerializationException", message)
    }

    /// 404 ResourceNotFoundException.
    pub fn not_found(resource_id: &str, message: impl Into<String>) -> Self {
        ApiError::new(404, "ResourceNotFoundException", message)
            .with("resourceId", json!(resource_id))
            .with("resourceType", json!("ROOM"))
    }

    /// 409 ConflictException.
    pub fn conflict(resource_id: &str, message: impl Into<String>) -> Self {
        ApiError::new(409, "ConflictException", message)
            .with("resourceId", json!(resource_id))
            .with("resourceType", json!("ROOM"))
    }

    /// 402 ServiceQuotaExceededException.
    pub fn quota(resource_id: &str, limit: u64, message: impl Into<String>) -> Self {
        ApiError::new(402, "ServiceQuotaExceededException", message)
            .with("resourceId", json!(resource_id))
            .with("resourceType", json!("ROOM"))
            .with("limit", json!(limit))
    }

    /// 500 InternalServerException.
    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(500, "InternalServerException", message)
    }

    /// 403 errors from authentication.
    pub fn auth(code: &str, message: impl Into<String>) -> Self {
        ApiError::new(403, code, message)
    }

    /// The JSON body: `{"message": ..., <modeled fields>}`.
    pub fn body(&self) -> Value {
        let mut m = Map::new();
        m.insert("message".into(), Value::String(self.message.clone()));
        for (k, v) in &self.fields {
            m.insert(k.clone(), v.clone());
        }
        Value::Object(m)
    }

    /// `reason` when this is a ValidationException.
    pub fn reason(&self) -> Option<&str> {
        self.fields.get("reason").and_then(Value::as_str)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for ApiError {}
