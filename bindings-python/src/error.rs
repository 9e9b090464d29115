//! `ivschat::Error` → the exception classes of `ivschat._errors`, from the core's
//! `Error::to_json()` (`kind` picks the class).

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

static FROM_JSON: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The Python exception for `error`.
pub fn to_pyerr(py: Python<'_>, error: &ivschat::Error) -> PyErr {
    let made = FROM_JSON
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(
                py.import("ivschat._errors")?
                    .getattr("_from_json")?
                    .unbind(),
            )
        })
        .and_then(|f| {
            f.bind(py)
                .call1((pythonize::pythonize(py, &error.to_json())?,))
        });
    match made {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}
