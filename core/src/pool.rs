//! Kept-alive connections waiting for their next request, for the transports that own their
//! sockets (`direct.rs`, `blocking.rs`), and what an exchange on one of them can end in.

use std::io;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::exchange::Response;
use crate::http1::{Origin, Parsed, ResponseParser, closed_before_response};

/// Idle connections older than this are closed rather than reused (as reqwest's pool does).
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// A connection that knows where it leads.
pub(crate) trait Pooled {
    fn origin(&self) -> &Origin;
}

/// Idle connections, the most recently used taken first.
pub(crate) struct IdlePool<C> {
    idle: Mutex<Vec<(C, Instant)>>,
}

impl<C: Pooled> IdlePool<C> {
    pub(crate) fn new() -> Self {
        IdlePool {
            idle: Mutex::new(Vec::new()),
        }
    }

    /// An idle connection to `origin`, closing the ones idle too long.
    pub(crate) fn take(&self, origin: &Origin) -> Option<C> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        idle.retain(|(_, since)| since.elapsed() < IDLE_TIMEOUT);
        let at = idle.iter().rposition(|(c, _)| c.origin() == origin)?;
        Some(idle.swap_remove(at).0)
    }

    /// Keeps `connection` for a later request.
    pub(crate) fn put(&self, connection: C) {
        self.idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((connection, Instant::now()));
    }
}

/// How an exchange on a connection failed.
pub(crate) enum Failure {
    /// A reused connection failed before any response byte arrived: the server had closed it.
    /// The request is sent again on a new connection.
    Stale,
    Fatal(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Fatal(e)
    }
}

/// The exchange on a reused connection settled the call, unless the connection was stale.
pub(crate) fn settled_on_reused(
    outcome: Result<Response, Failure>,
) -> Option<Result<Response, Error>> {
    match outcome {
        Ok(response) => Some(Ok(response)),
        Err(Failure::Fatal(e)) => Some(Err(e)),
        Err(Failure::Stale) => None,
    }
}

/// The exchange on a new connection settles the call (only a reused one is ever stale).
pub(crate) fn settled_on_new(outcome: Result<Response, Failure>) -> Result<Response, Error> {
    settled_on_reused(outcome).unwrap_or_else(|| Err(closed_before_response()))
}

/// A connection's I/O failure: stale when it was reused and no response byte had arrived.
pub(crate) fn broken(e: io::Error, reused: bool, received: bool) -> Failure {
    if reused && !received {
        Failure::Stale
    } else {
        Failure::Fatal(Error::transport(e))
    }
}

/// Hands the outcome of one read (`Ok(0)` at the end of the stream) to `parser`: the response
/// and whether the connection can carry another request once it is whole.
pub(crate) fn after_read(
    parser: &mut ResponseParser,
    reused: bool,
    read: io::Result<usize>,
) -> Result<Option<(Response, bool)>, Failure> {
    let n = read.map_err(|e| broken(e, reused, parser.received()))?;
    if n == 0 {
        return at_end(parser, reused).map(|response| Some((response, false)));
    }
    Ok(match parser.filled(n)? {
        Parsed::Done(response, keep_alive) => Some((response, keep_alive)),
        Parsed::More => None,
    })
}

/// The connection reached its end: a close-delimited response is whole; before any response
/// byte a reused connection was stale; anything else is an error.
pub(crate) fn at_end(parser: &mut ResponseParser, reused: bool) -> Result<Response, Failure> {
    match parser.end() {
        Ok(response) => Ok(response),
        Err(None) if reused => Err(Failure::Stale),
        Err(None) => Err(closed_before_response().into()),
        Err(Some(e)) => Err(e.into()),
    }
}
