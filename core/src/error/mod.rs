//! One error type for every operation: the modeled service errors with their typed fields,
//! unknown service errors, and the client-side failures (transport, timeout, credentials, ...).

mod modeled;

use std::fmt;

pub use modeled::*;

/// Code, message, request id and HTTP status of a failed call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorMetadata {
    code: String,
    message: String,
    request_id: Option<String>,
    http_status: Option<u16>,
}

impl ErrorMetadata {
    pub(crate) fn new(
        code: impl Into<String>,
        message: impl Into<String>,
        request_id: Option<&str>,
        status: u16,
    ) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            request_id: request_id.map(str::to_owned),
            http_status: (status != 0).then_some(status),
        }
    }

    fn local(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
            request_id: None,
            http_status: None,
        }
    }

    /// The error code (`ResourceNotFoundException`, `Timeout`, ...).
    pub fn code(&self) -> &str {
        &self.code
    }
    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// The service's `x-amzn-RequestId`, when a response arrived.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }
    /// The HTTP status, when a response arrived.
    pub fn http_status(&self) -> Option<u16> {
        self.http_status
    }
}

macro_rules! client_error {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name {
            meta: ErrorMetadata,
            source: Option<Box<dyn std::error::Error + Send + Sync>>,
        }

        impl $name {
            #[allow(dead_code)]
            pub(crate) fn new(meta: ErrorMetadata) -> Self {
                Self { meta, source: None }
            }
            #[allow(dead_code)]
            pub(crate) fn with_source(meta: ErrorMetadata, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
                Self { meta, source: Some(source.into()) }
            }
            /// Code, message, request id and status.
            pub fn meta(&self) -> &ErrorMetadata {
                &self.meta
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.meta.message)
            }
        }

        impl std::error::Error for $name {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
            }
        }
    };
}

client_error!(
    /// A service error whose code this library does not model; keeps the code and message.
    UnhandledError
);
client_error!(
    /// The request could not be sent or the response not received (DNS, connect, reset, TLS).
    TransportError
);
client_error!(
    /// A connect, attempt or operation timeout elapsed.
    TimeoutError
);
client_error!(
    /// No credentials could be obtained, or the provider failed.
    CredentialsError
);
client_error!(
    /// A 2xx response whose body could not be parsed.
    ResponseError
);
client_error!(
    /// The client could not be built: missing region, bad endpoint, conflicting options.
    ConstructionError
);

/// An operation input that cannot be sent: a required member is missing or a value is invalid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildError {
    member: Option<String>,
    message: String,
}

impl BuildError {
    pub(crate) fn missing(member: &str) -> Self {
        Self {
            member: Some(member.to_owned()),
            message: format!("missing required member `{member}`"),
        }
    }
    pub(crate) fn invalid(member: &str, why: impl fmt::Display) -> Self {
        Self {
            member: Some(member.to_owned()),
            message: format!("invalid member `{member}`: {why}"),
        }
    }
    pub(crate) fn serialization(why: impl Into<String>) -> Self {
        Self {
            member: None,
            message: format!("could not serialise the input: {}", why.into()),
        }
    }
    pub(crate) fn other(message: impl Into<String>) -> Self {
        Self {
            member: None,
            message: message.into(),
        }
    }
    /// The wire name of the offending member, when one is to blame.
    pub fn member(&self) -> Option<&str> {
        self.member.as_deref()
    }
    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BuildError {}

/// Every error an operation can return.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// `AccessDeniedException` (403).
    AccessDeniedException(Box<AccessDeniedException>),
    /// `ConflictException` (409).
    ConflictException(Box<ConflictException>),
    /// `InternalServerException` (500).
    InternalServerException(Box<InternalServerException>),
    /// `PendingVerification` (403).
    PendingVerification(Box<PendingVerification>),
    /// `ResourceNotFoundException` (404).
    ResourceNotFoundException(Box<ResourceNotFoundException>),
    /// `ServiceQuotaExceededException` (402).
    ServiceQuotaExceededException(Box<ServiceQuotaExceededException>),
    /// `ThrottlingException` (429).
    ThrottlingException(Box<ThrottlingException>),
    /// `ValidationException` (400).
    ValidationException(Box<ValidationException>),
    /// A service error with a code this library does not model.
    Unhandled(UnhandledError),
    /// The request could not be sent or no response arrived.
    Transport(TransportError),
    /// A timeout elapsed.
    Timeout(TimeoutError),
    /// Credentials could not be obtained.
    Credentials(CredentialsError),
    /// A success response could not be parsed.
    InvalidResponse(ResponseError),
    /// The client configuration is invalid.
    Construction(ConstructionError),
    /// The input cannot be sent.
    InvalidInput(BuildError),
}

macro_rules! modeled_meta {
    ($($name:ident),*) => {
        impl Error {
            fn service_meta(&self) -> Option<&ErrorMetadata> {
                match self {
                    $(Error::$name(e) => Some(&e.meta),)*
                    _ => None,
                }
            }

            /// The modeled members of a service error other than `message`, with their wire
            /// names (`resourceId`, `reason`, `fieldList`...); empty for every other error.
            pub fn fields(&self) -> serde_json::Map<String, serde_json::Value> {
                let value = match self {
                    $(Error::$name(e) => serde_json::to_value(e),)*
                    _ => return Default::default(),
                };
                let mut fields = match value {
                    Ok(serde_json::Value::Object(map)) => map,
                    _ => Default::default(),
                };
                fields.remove("message");
                fields
            }
        }
    };
}
for_each_modeled_error!(modeled_meta);

/// What sort of failure an [`Error`] is: what a binding maps to its own error classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A modeled service error (`ResourceNotFoundException`...).
    Service,
    /// A service error this library does not model.
    Unhandled,
    /// No response: DNS, connect, reset, TLS, an unreadable response.
    Transport,
    /// A timeout elapsed.
    Timeout,
    /// No credentials.
    Credentials,
    /// A success response that could not be parsed.
    Response,
    /// A bad configuration.
    Construction,
    /// An input that cannot be sent.
    Input,
}

impl ErrorKind {
    /// `service`, `unhandled`, `transport`, `timeout`, `credentials`, `response`,
    /// `construction` or `input`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Service => "service",
            ErrorKind::Unhandled => "unhandled",
            ErrorKind::Transport => "transport",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Credentials => "credentials",
            ErrorKind::Response => "response",
            ErrorKind::Construction => "construction",
            ErrorKind::Input => "input",
        }
    }
}

impl Error {
    /// What sort of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Unhandled(_) => ErrorKind::Unhandled,
            Error::Transport(_) => ErrorKind::Transport,
            Error::Timeout(_) => ErrorKind::Timeout,
            Error::Credentials(_) => ErrorKind::Credentials,
            Error::InvalidResponse(_) => ErrorKind::Response,
            Error::Construction(_) => ErrorKind::Construction,
            Error::InvalidInput(_) => ErrorKind::Input,
            _ => ErrorKind::Service,
        }
    }

    /// Everything a binding shows of this error, with JavaScript-style keys: `kind`, `code`,
    /// `message`, `status`, `requestId`, `retryable`, `fields` (the modeled members) and
    /// `member` (the input member to blame).
    pub fn to_json(&self) -> serde_json::Value {
        let member = match self {
            Error::InvalidInput(b) => b.member(),
            _ => None,
        };
        serde_json::json!({
            "kind": self.kind().as_str(),
            "code": self.code(),
            "message": self.message(),
            "status": self.http_status(),
            "requestId": self.request_id(),
            "retryable": self.is_retryable(),
            "fields": serde_json::Value::Object(self.fields()),
            "member": member,
        })
    }

    /// The metadata of this error; `None` only for [`Error::InvalidInput`].
    pub fn meta(&self) -> Option<&ErrorMetadata> {
        if let Some(meta) = self.service_meta() {
            return Some(meta);
        }
        match self {
            Error::Unhandled(e) => Some(e.meta()),
            Error::Transport(e) => Some(e.meta()),
            Error::Timeout(e) => Some(e.meta()),
            Error::Credentials(e) => Some(e.meta()),
            Error::InvalidResponse(e) => Some(e.meta()),
            Error::Construction(e) => Some(e.meta()),
            _ => None,
        }
    }

    /// The error code: the service's (`ResourceNotFoundException`, or an unknown one kept as
    /// sent), or one of `ConnectionError`, `Timeout`, `CredentialsError`, `ResponseParseError`,
    /// `ConstructionError`, `InvalidInput`.
    pub fn code(&self) -> &str {
        match self {
            Error::InvalidInput(_) => "InvalidInput",
            other => other.meta().map(ErrorMetadata::code).unwrap_or_default(),
        }
    }

    /// The error message.
    pub fn message(&self) -> &str {
        match self {
            Error::InvalidInput(e) => e.message(),
            other => other.meta().map(ErrorMetadata::message).unwrap_or_default(),
        }
    }

    /// The service's request id, when a response arrived.
    pub fn request_id(&self) -> Option<&str> {
        self.meta().and_then(ErrorMetadata::request_id)
    }

    /// The HTTP status, when a response arrived.
    pub fn http_status(&self) -> Option<u16> {
        self.meta().and_then(ErrorMetadata::http_status)
    }

    /// Whether the standard retry mode treats this error as transient or throttling.
    pub fn is_retryable(&self) -> bool {
        crate::retry::classify(self, &MODELED_ERRORS).is_some()
    }

    pub(crate) fn construction(message: impl Into<String>) -> Self {
        Error::Construction(ConstructionError::new(ErrorMetadata::local(
            "ConstructionError",
            message,
        )))
    }

    pub(crate) fn credentials(
        message: impl Into<String>,
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        let meta = ErrorMetadata::local("CredentialsError", message);
        Error::Credentials(match source {
            Some(source) => CredentialsError::with_source(meta, source),
            None => CredentialsError::new(meta),
        })
    }

    pub(crate) fn transport(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        let source = source.into();
        let meta = ErrorMetadata::local("ConnectionError", describe_chain(&*source));
        Error::Transport(TransportError::with_source(meta, source))
    }

    /// A response the client will not read (over its size limit): not retried.
    pub(crate) fn response_refused(message: impl Into<String>) -> Self {
        Error::InvalidResponse(ResponseError::new(ErrorMetadata::local(
            "ResponseParseError",
            message,
        )))
    }

    pub(crate) fn timeout(message: impl Into<String>) -> Self {
        Error::Timeout(TimeoutError::new(ErrorMetadata::local("Timeout", message)))
    }
}

/// `a: b: c` from an error and its sources, for messages that say what really happened.
fn describe_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let part = e.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = e.source();
    }
    text
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())?;
        if let Some(id) = self.request_id() {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Transport(e) => e.source(),
            Error::Timeout(e) => e.source(),
            Error::Credentials(e) => e.source(),
            Error::InvalidInput(e) => Some(e),
            _ => None,
        }
    }
}

impl From<BuildError> for Error {
    fn from(e: BuildError) -> Self {
        Error::InvalidInput(e)
    }
}
