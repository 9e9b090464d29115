//! `ivschat::Error` → the Python exception classes of `ivschat._errors` (defined in Python,
//! looked up by name here).

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::to_py;

/// The class name in `ivschat._errors` for an error.
fn class_name(error: &ivschat::Error) -> &str {
    use ivschat::Error as E;
    match error {
        E::AccessDeniedException(_)
        | E::ConflictException(_)
        | E::InternalServerException(_)
        | E::PendingVerification(_)
        | E::ResourceNotFoundException(_)
        | E::ServiceQuotaExceededException(_)
        | E::ThrottlingException(_)
        | E::ValidationException(_) => error.code(),
        E::Unhandled(_) => "ServiceError",
        E::Transport(_) => "TransportError",
        E::Timeout(_) => "RequestTimeoutError",
        E::Credentials(_) => "CredentialsError",
        E::InvalidResponse(_) => "ResponseParseError",
        E::Construction(_) => "ConfigurationError",
        E::InvalidInput(_) => "ParamValidationError",
        _ => "IvschatError",
    }
}

/// Builds the Python exception for `error` (needs the GIL).
pub fn to_pyerr(py: Python<'_>, error: &ivschat::Error) -> PyErr {
    match build(py, error) {
        Ok(e) => e,
        Err(e) => e,
    }
}

fn build(py: Python<'_>, error: &ivschat::Error) -> PyResult<PyErr> {
    let module = py.import("ivschat")?;
    let class = module.getattr(class_name(error))?;
    let kwargs = PyDict::new(py);
    kwargs.set_item("code", error.code())?;
    kwargs.set_item("request_id", error.request_id())?;
    kwargs.set_item("status_code", error.http_status())?;
    kwargs.set_item("fields", to_py(py, &error.fields())?)?;
    if let ivschat::Error::InvalidInput(b) = error {
        kwargs.set_item("member", b.member())?;
    }
    let exc = class.call((error.message(),), Some(&kwargs))?;
    Ok(PyErr::from_value(exc))
}
