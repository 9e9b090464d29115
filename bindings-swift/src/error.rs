//! The one error type of the binding: the core's typed error, mapped case by case.

use std::fmt;

pub use crate::generated::IvschatError;
use crate::generated::modeled_error;

/// What every error case carries: code, message, request id, HTTP status, retryability. Prints
/// as `Code: message (request id ..., HTTP 404)`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Display)]
pub struct ErrorMetadata {
    /// The error code: the service's (`ResourceNotFoundException`, or an unknown one kept as
    /// sent), or `ConnectionError`, `Timeout`, `CredentialsError`, `ResponseParseError`,
    /// `ConstructionError`, `InvalidInput`.
    pub code: String,
    /// The human-readable message (`""` when the service sent none).
    pub message: String,
    /// The service's `x-amzn-RequestId`, when a response arrived.
    pub request_id: Option<String>,
    /// The HTTP status, when a response arrived.
    pub http_status: Option<u16>,
    /// Whether the standard retry mode treats the error as transient or throttling.
    pub retryable: bool,
}

impl IvschatError {
    pub(crate) fn invalid_input(member: Option<String>, message: impl Into<String>) -> Self {
        IvschatError::InvalidInput {
            meta: ErrorMetadata {
                code: "InvalidInput".into(),
                message: message.into(),
                request_id: None,
                http_status: None,
                retryable: false,
            },
            member,
        }
    }

    pub(crate) fn unknown_operation(name: &str) -> Self {
        Self::invalid_input(None, format!("unknown operation `{name}`"))
    }
}

#[uniffi::export]
impl IvschatError {
    /// Code, message, request id, status and retryability of any case.
    pub fn metadata(&self) -> ErrorMetadata {
        self.meta_ref().clone()
    }
    /// The error code (`ResourceNotFoundException`, `Timeout`, ...).
    pub fn code(&self) -> String {
        self.meta_ref().code.clone()
    }
    /// The service's (or the client's) message.
    pub fn error_message(&self) -> String {
        self.meta_ref().message.clone()
    }
    /// The service's request id, when a response arrived.
    pub fn request_id(&self) -> Option<String> {
        self.meta_ref().request_id.clone()
    }
    /// The HTTP status, when a response arrived.
    pub fn http_status(&self) -> Option<u16> {
        self.meta_ref().http_status
    }
    /// Whether retrying may help (throttling, 5xx, transport failures).
    pub fn is_retryable(&self) -> bool {
        self.meta_ref().retryable
    }
    /// The modeled fields (wire names, without `message`) as a JSON object string.
    pub fn fields_json(&self) -> String {
        serde_json::Value::Object(crate::generated::error_fields(self)).to_string()
    }
}

impl fmt::Display for ErrorMetadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        match (&self.request_id, self.http_status) {
            (Some(id), Some(status)) => write!(f, " (request id {id}, HTTP {status})"),
            (Some(id), None) => write!(f, " (request id {id})"),
            (None, Some(status)) => write!(f, " (HTTP {status})"),
            (None, None) => Ok(()),
        }
    }
}

impl fmt::Display for IvschatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.meta_ref().fmt(f)
    }
}

impl std::error::Error for IvschatError {}

impl From<ivschat::Error> for IvschatError {
    fn from(e: ivschat::Error) -> Self {
        use ivschat::ErrorKind;
        let meta = ErrorMetadata {
            code: e.code().to_owned(),
            message: e.message().to_owned(),
            request_id: e.request_id().map(str::to_owned),
            http_status: e.http_status(),
            retryable: e.is_retryable(),
        };
        match e.kind() {
            ErrorKind::Transport => IvschatError::Transport { meta },
            ErrorKind::Timeout => IvschatError::Timeout { meta },
            ErrorKind::Credentials => IvschatError::Credentials { meta },
            ErrorKind::Response => IvschatError::InvalidResponse { meta },
            ErrorKind::Construction => IvschatError::Construction { meta },
            ErrorKind::Input => {
                let member = e.to_json()["member"].as_str().map(str::to_owned);
                IvschatError::InvalidInput { meta, member }
            }
            ErrorKind::Service => {
                let code = meta.code.clone();
                modeled_error(&code, meta.clone(), e.fields())
                    .unwrap_or(IvschatError::Unhandled { meta })
            }
            _ => IvschatError::Unhandled { meta },
        }
    }
}
