//! Chat tokens and the provider the room calls before every connection attempt.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::SystemTime;

use crate::REDACTED;

/// A chat token, as `CreateChatToken` returns it.
#[derive(Clone, PartialEq, Eq)]
pub struct ChatToken {
    /// The token: a secret, sent only in `Sec-WebSocket-Protocol`; never in `Debug`, logs or
    /// error messages.
    pub token: String,
    /// When the session the token opens ends (informational: the official client ignores it
    /// too; the server says so with an `ERROR 401`).
    pub session_expiration_time: Option<SystemTime>,
    /// When the token can no longer open a connection: the room opens a replacement connection
    /// with a fresh token before then (spec §7.3).
    pub token_expiration_time: Option<SystemTime>,
}

impl ChatToken {
    /// A token without expiration times.
    pub fn new(token: impl Into<String>) -> Self {
        ChatToken {
            token: token.into(),
            session_expiration_time: None,
            token_expiration_time: None,
        }
    }

    /// Set `token_expiration_time`.
    pub fn with_token_expiration_time(mut self, t: SystemTime) -> Self {
        self.token_expiration_time = Some(t);
        self
    }

    /// Set `session_expiration_time`.
    pub fn with_session_expiration_time(mut self, t: SystemTime) -> Self {
        self.session_expiration_time = Some(t);
        self
    }
}

impl fmt::Debug for ChatToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatToken")
            .field("token", &REDACTED)
            .field("session_expiration_time", &self.session_expiration_time)
            .field("token_expiration_time", &self.token_expiration_time)
            .finish()
    }
}

impl From<crate::operation::create_chat_token::CreateChatTokenOutput> for ChatToken {
    fn from(out: crate::operation::create_chat_token::CreateChatTokenOutput) -> Self {
        let time =
            |t: Option<&crate::types::DateTime>| t.and_then(|t| SystemTime::try_from(*t).ok());
        ChatToken {
            token: out.token().unwrap_or_default().to_owned(),
            session_expiration_time: time(out.session_expiration_time()),
            token_expiration_time: time(out.token_expiration_time()),
        }
    }
}

/// What a token provider's failure carries.
pub type TokenError = Box<dyn std::error::Error + Send + Sync>;

/// The future a [`ChatTokenProvider`] returns.
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<ChatToken, TokenError>> + Send + 'a>>;

/// Supplies a chat token for each connection attempt (the first one, every retry, every
/// reconnect and every proactive refresh), as the official clients call their `tokenProvider`.
/// A token is accepted once: fetch a fresh one on every call.
///
/// Implemented for closures returning futures (`|| async { Ok(ChatToken::new(...)) }`) and for
/// a fixed [`ChatToken`] (tests).
pub trait ChatTokenProvider: Send + Sync + 'static {
    /// Fetch a token.
    fn fetch_token(&self) -> TokenFuture<'_>;
}

impl<F, Fut, E> ChatTokenProvider for F
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<ChatToken, E>> + Send + 'static,
    E: Into<TokenError>,
{
    fn fetch_token(&self) -> TokenFuture<'_> {
        let fut = self();
        Box::pin(async move { fut.await.map_err(Into::into) })
    }
}

impl ChatTokenProvider for ChatToken {
    fn fetch_token(&self) -> TokenFuture<'_> {
        let token = self.clone();
        Box::pin(async move { Ok(token) })
    }
}
