//! One HTTP exchange: send a request, read the whole response, under the read timeout (the
//! longest wait for the next response bytes, as botocore's socket timeout).
//!
//! The read timeout is one timer per exchange, moved only when it fires and bytes arrived in the
//! meantime; reqwest's own read timeout would re-arm a timer for every piece of the body.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::time::Instant;

use crate::error::Error;

/// One response, read whole.
pub(crate) struct Response {
    pub status: http::StatusCode,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

/// Sends `request` and reads the response; `read_timeout` bounds every wait for bytes.
pub(crate) async fn exchange(
    http: &reqwest::Client,
    request: reqwest::Request,
    read_timeout: Option<Duration>,
) -> Result<Response, Error> {
    let progress = Progress::new();
    let read = async {
        let mut response = http.execute(request).await.map_err(transport_error)?;
        progress.mark();
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let body = read_body(&mut response, &progress).await?;
        Ok(Response {
            status,
            headers,
            body,
        })
    };
    match read_timeout {
        Some(limit) => with_read_timeout(read, limit, &progress).await,
        None => read.await,
    }
}

/// The body, without a copy when it arrives in one piece.
async fn read_body(response: &mut reqwest::Response, progress: &Progress) -> Result<Bytes, Error> {
    let Some(first) = response.chunk().await.map_err(transport_error)? else {
        return Ok(Bytes::new());
    };
    progress.mark();
    let Some(second) = response.chunk().await.map_err(transport_error)? else {
        return Ok(first);
    };
    progress.mark();
    let mut body = BytesMut::with_capacity(first.len() + second.len());
    body.extend_from_slice(&first);
    body.extend_from_slice(&second);
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        progress.mark();
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Runs `read` until it ends or `limit` passes without [`Progress::mark`].
async fn with_read_timeout<T>(
    read: impl Future<Output = Result<T, Error>>,
    limit: Duration,
    progress: &Progress,
) -> Result<T, Error> {
    let mut read = pin!(read);
    let timer = tokio::time::sleep(limit);
    let mut timer = pin!(timer);
    loop {
        tokio::select! {
            biased;
            out = &mut read => return out,
            () = &mut timer => {
                let deadline = progress.last() + limit;
                if deadline <= Instant::now() {
                    return Err(crate::http1::read_timeout_error(limit));
                }
                timer.as_mut().reset(deadline);
            }
        }
    }
}

/// When response bytes last arrived (the exchange's start until then). An atomic, so the
/// exchange future stays `Send`.
struct Progress {
    start: Instant,
    nanos: AtomicU64,
}

impl Progress {
    fn new() -> Self {
        Progress {
            start: Instant::now(),
            nanos: AtomicU64::new(0),
        }
    }

    fn mark(&self) {
        let since = self.start.elapsed().as_nanos().min(u64::MAX as u128) as u64;
        self.nanos.store(since, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.start + Duration::from_nanos(self.nanos.load(Ordering::Relaxed))
    }
}

pub(crate) fn transport_error(e: reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::timeout(format!("timed out: {e}"))
    } else {
        Error::transport(e)
    }
}
