//! `NativeChatRoom`: the core's `ivschat::messaging::ChatRoom` for `ivschat.messaging`. Events
//! and answers cross as dicts (made by the generated `messaging_model`), failures as dicts that
//! `ivschat.messaging._error` turns into exceptions.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use ivschat::messaging::{
    ChatRequest, ChatRoom, ChatToken, ChatTokenProvider, ConnectError, DisconnectReason,
    EventStream, ReconnectPolicy, RequestError, RoomEvent, TokenFuture,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3_async_runtimes::generic::future_into_py;
use pythonize::pythonize;
use serde_json::{Value, json};

use crate::client::settled;
use crate::credentials::call_adapter;
use crate::messaging_model as model;
use crate::runtime::{Rt, runtime};

/// Room settings by name (durations in seconds).
#[derive(serde::Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RoomOptions {
    max_reconnect_attempts: Option<u32>,
    reconnect_on_session_expiry: Option<bool>,
    auto_reconnect: bool,
    request_timeout: Option<f64>,
    event_capacity: Option<usize>,
}

/// The Python token provider (`ivschat._credentials.Adapter` returning `(token,
/// session_expiration, token_expiration)` in epoch seconds), called on a blocking thread.
struct PyTokens(Arc<Py<PyAny>>);

impl ChatTokenProvider for PyTokens {
    fn fetch_token(&self) -> TokenFuture<'_> {
        let adapter = self.0.clone();
        Box::pin(async move {
            let (token, session, expires) =
                call_adapter::<(String, Option<f64>, Option<f64>)>(adapter, "token provider")
                    .await?;
            let at = |s: f64| Duration::try_from_secs_f64(s).ok().map(|d| UNIX_EPOCH + d);
            let mut t = ChatToken::new(token);
            t.session_expiration_time = session.and_then(at);
            t.token_expiration_time = expires.and_then(at);
            Ok(t)
        })
    }
}

fn reason(kind: &str, r: &DisconnectReason) -> Value {
    let (code, message) = match r {
        DisconnectReason::ServerDisconnect { code, reason } => (Some(*code), Some(reason)),
        DisconnectReason::SocketError { message }
        | DisconnectReason::FetchTokenError { message } => (None, Some(message)),
        _ => (None, None),
    };
    json!({"type": kind, "reason": r.as_str(), "code": code, "message": message})
}

fn event(e: RoomEvent) -> Value {
    match e {
        RoomEvent::Connecting => json!({"type": "connecting"}),
        RoomEvent::Connected => json!({"type": "connected"}),
        RoomEvent::Disconnected {
            reason: r,
            reconnect_in,
        } => {
            let mut v = reason("disconnected", &r);
            v["reconnect_in"] = json!(reconnect_in.map(|d| d.as_secs_f64()));
            v
        }
        RoomEvent::Message(m) => model::chat_message(&m),
        RoomEvent::Event(e) => model::chat_event(&e),
        RoomEvent::MessageDelete(e) => model::delete_message_event(&e),
        RoomEvent::UserDisconnect(e) => model::disconnect_user_event(&e),
        RoomEvent::Error(e) => model::chat_error(&e),
        RoomEvent::Unknown(u) => model::unknown_frame(&u),
        RoomEvent::Dropped { count } => json!({"type": "dropped", "count": count}),
    }
}

static ERROR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// A value, or a failure and its text, made Python where the GIL is held.
struct Answer(Result<Value, (Value, String)>);

impl<'py> IntoPyObject<'py> for Answer {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        settled(|| self.failure(py))
    }
}

impl Answer {
    fn failure<'py>(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (mut failure, text) = match self.0 {
            Ok(v) => return Ok(pythonize(py, &v)?),
            Err(f) => f,
        };
        failure["text"] = text.into();
        let error = ERROR.get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("ivschat.messaging")?.getattr("_error")?.unbind())
        })?;
        Err(PyErr::from_value(
            error.bind(py).call1((pythonize(py, &failure)?,))?,
        ))
    }
}

fn answer(r: Result<Value, RequestError>) -> PyResult<Answer> {
    Ok(Answer(r.map_err(|e| {
        let failure = match &e {
            RequestError::Chat(c) => model::chat_error(c), // type `error`: ChatError
            RequestError::NotConnected => json!({"type": "not_connected"}),
            RequestError::Timeout { .. } => json!({"type": "timeout"}),
            _ => json!({"type": "request"}),
        };
        (failure, e.to_string())
    })))
}

#[pyclass(module = "ivschat._native", frozen)]
pub struct NativeChatRoom(ChatRoom);

#[pymethods]
impl NativeChatRoom {
    #[new]
    fn new(
        region_or_url: &str,
        token_provider: Py<PyAny>,
        options: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let o: RoomOptions = pythonize::depythonize(options)
            .map_err(|e| PyTypeError::new_err(format!("ChatRoom option: {e}")))?;
        let mut b =
            ChatRoom::builder(region_or_url).token_provider(PyTokens(Arc::new(token_provider)));
        if let Some(n) = o.max_reconnect_attempts {
            b = b.max_reconnect_attempts(n);
        }
        if let Some(yes) = o.reconnect_on_session_expiry {
            b = b.reconnect_on_session_expiry(yes);
        }
        if let Some(s) = o.request_timeout {
            let d = Duration::try_from_secs_f64(s)
                .map_err(|e| PyValueError::new_err(format!("request_timeout: {e}")))?;
            b = b.request_timeout(d);
        }
        if let Some(n) = o.event_capacity {
            b = b.event_capacity(n);
        }
        b = b.reconnect_policy(o.auto_reconnect.then(ReconnectPolicy::default));
        Ok(NativeChatRoom(
            b.build()
                .map_err(|e| PyValueError::new_err(e.to_string()))?,
        ))
    }

    #[getter]
    fn state(&self) -> &'static str {
        self.0.state().as_str()
    }

    #[getter]
    fn url(&self) -> &str {
        self.0.url()
    }

    /// A new subscription to the room's events, from now on.
    fn events(&self) -> NativeEvents {
        let _context = runtime().enter();
        NativeEvents(Arc::new(tokio::sync::Mutex::new(self.0.events())))
    }

    fn connect<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let room = self.0.clone();
        future_into_py::<Rt, _, _>(py, async move {
            Ok(Answer(room.connect().await.map(|()| Value::Null).map_err(
                |e| {
                    let failure = match &e {
                        ConnectError::InvalidState(_) => json!({"type": "invalid_state"}),
                        ConnectError::Disconnected(r) => reason("connect_failed", r),
                    };
                    (failure, e.to_string())
                },
            )))
        })
    }

    fn disconnect<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let room = self.0.clone();
        future_into_py::<Rt, _, _>(py, async move {
            room.disconnect().await;
            Ok(())
        })
    }

    /// `action`: the frame's `Action` (`SEND_MESSAGE`, `DELETE_MESSAGE`, `DISCONNECT_USER`);
    /// `text`: the content, the message id or the user id. Resolves with the server's answer
    /// (a dict).
    #[pyo3(signature = (action, text, attributes=None, reason=None, request_id=None))]
    fn request<'py>(
        &self,
        py: Python<'py>,
        action: &str,
        text: String,
        attributes: Option<std::collections::BTreeMap<String, String>>,
        reason: Option<String>,
        request_id: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let id = request_id.unwrap_or_else(ivschat::messaging::new_request_id);
        let request = ChatRequest::from_action(action, text, attributes, reason, id)
            .ok_or_else(|| PyValueError::new_err(format!("no chat request {action:?}")))?;
        let room = self.0.clone();
        future_into_py::<Rt, _, _>(py, async move {
            answer(room.send_request(request).await.map(event))
        })
    }
}

#[pyclass(module = "ivschat._native", frozen)]
pub struct NativeEvents(Arc<tokio::sync::Mutex<EventStream>>);

#[pymethods]
impl NativeEvents {
    /// The next event (a dict), or `None` once the room is gone.
    fn next<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let stream = self.0.clone();
        future_into_py::<Rt, _, _>(py, async move {
            let next = stream.lock().await.recv().await;
            Ok(Answer(Ok(next.map_or(Value::Null, event))))
        })
    }
}
