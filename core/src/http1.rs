//! HTTP/1.1 without I/O: a request encoded in one buffer, a response parser fed the bytes as they
//! arrive, and the limits and errors of an exchange. The transports that own their sockets share
//! it: `direct.rs` (the runtime's), `blocking.rs` (the calling thread's) and `host.rs` (a
//! binding's event loop's). Heads are parsed with `httparse` (hyper's parser).

use std::io;
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::Url;

use crate::error::Error;
use crate::exchange::Response;

/// A response head larger than this is refused.
const MAX_HEAD: usize = 64 * 1024;
const MAX_HEADERS: usize = 64;
/// Free space offered to a reader: at least this much, doubling for large bodies (fewer reads).
const MIN_READ: usize = 4096;

/// Scheme, host and port: which pooled connections a request may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Origin {
    pub tls: bool,
    /// A name or an IP address (an IPv6 literal without its brackets, as name resolution and
    /// TLS want it).
    pub host: String,
    pub port: u16,
}

impl Origin {
    pub(crate) fn of(url: &Url) -> Result<Self, Error> {
        let tls = match url.scheme() {
            "https" => true,
            "http" => false,
            other => return Err(Error::construction(format!("unsupported scheme {other}"))),
        };
        let host = url
            .host_str()
            .ok_or_else(|| Error::construction("the endpoint has no host"))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = url
            .port_or_known_default()
            .ok_or_else(|| Error::construction("the endpoint has no port"))?;
        Ok(Origin { tls, host, port })
    }
}

/// The error of a connection to `origin` that could not be opened.
pub(crate) fn connect_error(origin: &Origin, why: impl std::fmt::Display) -> Error {
    Error::transport(io::Error::other(format!(
        "could not connect to {}:{}: {why}",
        origin.host, origin.port
    )))
}

/// The error of a connection to `origin` that did not open within the connect timeout.
pub(crate) fn connect_timeout_error(origin: &Origin) -> Error {
    Error::timeout(format!(
        "timed out connecting to {}:{}",
        origin.host, origin.port
    ))
}

/// The URL's authority as sent in `Host` and signed: the host, and the port unless it is the
/// scheme's default (no user info).
pub(crate) fn authority(url: &Url) -> &str {
    &url[url::Position::BeforeHost..url::Position::AfterPort]
}

/// The request head and body in one buffer (one `write`), with `Host` the URL's [`authority`].
pub(crate) fn encode_request(
    method: &http::Method,
    url: &Url,
    headers: &http::HeaderMap,
    body: Option<&[u8]>,
) -> Vec<u8> {
    let body = body.unwrap_or_default();
    let mut out = Vec::with_capacity(640 + body.len());
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(url.path().as_bytes());
    if let Some(query) = url.query() {
        out.push(b'?');
        out.extend_from_slice(query.as_bytes());
    }
    out.extend_from_slice(b" HTTP/1.1\r\nhost: ");
    out.extend_from_slice(authority(url).as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if !body.is_empty() || method == http::Method::POST || method == http::Method::PUT {
        out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// The limits one exchange runs under.
#[derive(Clone, Copy)]
pub(crate) struct Limits<'a> {
    /// The longest wait for the next response bytes.
    pub read_timeout: Option<Duration>,
    /// When the attempt (or the whole operation) must be over, and what to say if it is not.
    pub deadline: Option<(Instant, &'a str)>,
}

/// The error of a connection that closed before any response byte arrived.
pub(crate) fn closed_before_response() -> Error {
    Error::transport(io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the connection closed before a response arrived",
    ))
}

/// The error of an exchange that waited `limit` for the next response bytes.
pub(crate) fn read_timeout_error(limit: Duration) -> Error {
    Error::timeout(format!(
        "no response bytes arrived for {limit:?} (read timeout)"
    ))
}

/// What is left before `deadline`, or the timeout error `what` once it has passed.
pub(crate) fn remaining(deadline: Instant, what: &str) -> Result<Duration, Error> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(Error::timeout(what.to_owned()))
    } else {
        Ok(left)
    }
}

/// What the bytes so far amount to.
pub(crate) enum Parsed {
    /// The response is not complete yet.
    More,
    /// The whole response, and whether the connection can carry another request.
    Done(Response, bool),
}

/// One response, parsed as its bytes arrive.
pub(crate) struct ResponseParser {
    /// Bytes received and not yet consumed start at `start`; `filled` bytes are valid.
    buf: Vec<u8>,
    start: usize,
    filled: usize,
    /// The request was `HEAD`: no body follows whatever the head says.
    head_request: bool,
    state: State,
    received: bool,
}

enum State {
    Head,
    Body {
        status: http::StatusCode,
        headers: http::HeaderMap,
        close: bool,
        framing: Framing,
    },
    Finished,
}

enum Framing {
    Length(usize),
    Chunked { body: Vec<u8>, step: Chunk },
    UntilClose,
}

#[derive(Clone, Copy)]
enum Chunk {
    Size,
    /// A chunk's data of this length, and its CRLF.
    Data(usize),
    Trailers,
}

impl ResponseParser {
    pub(crate) fn new(method: &http::Method) -> Self {
        ResponseParser {
            buf: Vec::new(),
            start: 0,
            filled: 0,
            head_request: method == http::Method::HEAD,
            state: State::Head,
            received: false,
        }
    }

    /// Whether any response byte has arrived.
    pub(crate) fn received(&self) -> bool {
        self.received
    }

    /// Space to read the next bytes into; report how many with [`ResponseParser::filled`].
    pub(crate) fn spare(&mut self) -> &mut [u8] {
        if self.start == self.filled {
            self.start = 0;
            self.filled = 0;
        }
        let want = self.filled + self.filled.max(MIN_READ);
        if self.buf.len() < want {
            self.buf.resize(want, 0);
        }
        &mut self.buf[self.filled..]
    }

    /// `n` more bytes were read into [`ResponseParser::spare`].
    pub(crate) fn filled(&mut self, n: usize) -> Result<Parsed, Error> {
        self.filled += n;
        self.received |= n > 0;
        self.advance()
    }

    /// Bytes that arrived.
    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Result<Parsed, Error> {
        let mut fed = 0;
        while fed < bytes.len() {
            let spare = self.spare();
            let n = spare.len().min(bytes.len() - fed);
            spare[..n].copy_from_slice(&bytes[fed..fed + n]);
            fed += n;
            self.filled += n;
        }
        self.received |= !bytes.is_empty();
        self.advance()
    }

    /// The connection reached its end: a close-delimited body is complete; anything else is an
    /// error (`Err(None)` when no byte of the response arrived).
    pub(crate) fn end(&mut self) -> Result<Response, Option<Error>> {
        match std::mem::replace(&mut self.state, State::Finished) {
            State::Body {
                status,
                headers,
                framing: Framing::UntilClose,
                ..
            } => {
                let body = Bytes::copy_from_slice(&self.buf[self.start..self.filled]);
                self.start = self.filled;
                Ok(Response {
                    status,
                    headers,
                    body,
                })
            }
            _ if !self.received => Err(None),
            _ => Err(Some(Error::transport(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the connection closed in the middle of a response",
            )))),
        }
    }

    fn available(&self) -> &[u8] {
        &self.buf[self.start..self.filled]
    }

    fn advance(&mut self) -> Result<Parsed, Error> {
        loop {
            match &mut self.state {
                State::Head => {
                    let Some((status, headers, close)) = self.head()? else {
                        return Ok(Parsed::More);
                    };
                    if status.is_informational() {
                        continue;
                    }
                    let framing = if self.head_request
                        || status == http::StatusCode::NO_CONTENT
                        || status == http::StatusCode::NOT_MODIFIED
                    {
                        Framing::Length(0)
                    } else if has_token(&headers, http::header::TRANSFER_ENCODING, "chunked") {
                        Framing::Chunked {
                            body: Vec::new(),
                            step: Chunk::Size,
                        }
                    } else if let Some(length) = content_length(&headers)? {
                        Framing::Length(length)
                    } else {
                        Framing::UntilClose
                    };
                    self.state = State::Body {
                        status,
                        headers,
                        close,
                        framing,
                    };
                }
                State::Body { framing, .. } => {
                    let available = &self.buf[self.start..self.filled];
                    match framing {
                        Framing::UntilClose => return Ok(Parsed::More),
                        Framing::Length(length) => {
                            if available.len() < *length {
                                return Ok(Parsed::More);
                            }
                            let body = Bytes::copy_from_slice(&available[..*length]);
                            self.start += *length;
                            return Ok(self.done(body));
                        }
                        Framing::Chunked { body, step } => {
                            let Some((consumed, next)) = chunk_step(*step, available, body)? else {
                                return Ok(Parsed::More);
                            };
                            self.start += consumed;
                            match next {
                                Some(next) => *step = next,
                                None => {
                                    let body = Bytes::from(std::mem::take(body));
                                    return Ok(self.done(body));
                                }
                            }
                        }
                    }
                }
                State::Finished => return Err(invalid("bytes after the end of the response")),
            }
        }
    }

    /// Parses the head once it is whole: status, headers, and whether the server will close.
    fn head(&mut self) -> Result<Option<(http::StatusCode, http::HeaderMap, bool)>, Error> {
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Response::new(&mut slots);
        let length = match parsed.parse(self.available()) {
            Ok(httparse::Status::Complete(length)) => length,
            Ok(httparse::Status::Partial) if self.available().len() < MAX_HEAD => return Ok(None),
            Ok(httparse::Status::Partial) => return Err(invalid("a response head over 64 KiB")),
            Err(e) => return Err(invalid(&format!("a malformed response head ({e})"))),
        };
        let status = parsed
            .code
            .and_then(|c| http::StatusCode::from_u16(c).ok())
            .ok_or_else(|| invalid("a response with no valid status"))?;
        let mut headers = http::HeaderMap::with_capacity(parsed.headers.len());
        for h in parsed.headers.iter() {
            let name = http::HeaderName::from_bytes(h.name.as_bytes())
                .map_err(|_| invalid("an invalid header name"))?;
            let value = http::HeaderValue::from_bytes(h.value)
                .map_err(|_| invalid("an invalid header value"))?;
            headers.append(name, value);
        }
        let close =
            parsed.version == Some(0) || has_token(&headers, http::header::CONNECTION, "close");
        self.start += length;
        Ok(Some((status, headers, close)))
    }

    fn done(&mut self, body: Bytes) -> Parsed {
        let State::Body {
            status,
            headers,
            close,
            ..
        } = std::mem::replace(&mut self.state, State::Finished)
        else {
            unreachable!("done() follows a body");
        };
        // Bytes past the response mean the connection is out of step: close it.
        let keep_alive = !close && self.start == self.filled;
        Parsed::Done(
            Response {
                status,
                headers,
                body,
            },
            keep_alive,
        )
    }
}

/// One step through a chunked body: the bytes consumed and the next step (`None` at the end), or
/// `None` when `available` is not enough yet.
fn chunk_step(
    step: Chunk,
    available: &[u8],
    body: &mut Vec<u8>,
) -> Result<Option<(usize, Option<Chunk>)>, Error> {
    match step {
        Chunk::Size => match httparse::parse_chunk_size(available) {
            Ok(httparse::Status::Complete((consumed, 0))) => {
                Ok(Some((consumed, Some(Chunk::Trailers))))
            }
            Ok(httparse::Status::Complete((consumed, size))) => {
                let size = usize::try_from(size).map_err(|_| invalid("a chunk too large"))?;
                Ok(Some((consumed, Some(Chunk::Data(size)))))
            }
            Ok(httparse::Status::Partial) => Ok(None),
            Err(_) => Err(invalid("a malformed chunk size")),
        },
        Chunk::Data(size) => {
            if available.len() < size.saturating_add(2) {
                return Ok(None);
            }
            if &available[size..size + 2] != b"\r\n" {
                return Err(invalid("a chunk not followed by CRLF"));
            }
            body.extend_from_slice(&available[..size]);
            Ok(Some((size + 2, Some(Chunk::Size))))
        }
        // The trailer section, up to and including the empty line, is skipped.
        Chunk::Trailers => match available.windows(2).position(|w| w == b"\r\n") {
            Some(0) => Ok(Some((2, None))),
            Some(line) => Ok(Some((line + 2, Some(Chunk::Trailers)))),
            None => Ok(None),
        },
    }
}

/// The error for a response this client cannot read.
pub(crate) fn invalid(what: &str) -> Error {
    Error::transport(io::Error::new(
        io::ErrorKind::InvalidData,
        format!("the server sent {what}"),
    ))
}

fn has_token(headers: &http::HeaderMap, name: http::HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|v| {
        v.to_str()
            .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    })
}

fn content_length(headers: &http::HeaderMap) -> Result<Option<usize>, Error> {
    let mut values = headers.get_all(http::header::CONTENT_LENGTH).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    let parse = |v: &http::HeaderValue| {
        v.to_str()
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .ok_or_else(|| invalid("an invalid content-length"))
    };
    let length = parse(first)?;
    for other in values {
        if parse(other)? != length {
            return Err(invalid("conflicting content-lengths"));
        }
    }
    Ok(Some(length))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in_pieces(response: &[u8], piece: usize) -> (Response, bool) {
        let mut parser = ResponseParser::new(&http::Method::POST);
        for bytes in response.chunks(piece) {
            if let Parsed::Done(r, keep) = parser.feed(bytes).expect("parses") {
                return (r, keep);
            }
        }
        (parser.end().expect("complete at the end"), false)
    }

    #[test]
    fn responses_parse_the_same_whatever_the_pieces() {
        let cases: [(&[u8], &[u8], bool); 4] = [
            (
                b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello",
                b"hello",
                true,
            ),
            (
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nhel\r\n2;x=y\r\nlo\r\n0\r\nx-trailer: 1\r\n\r\n",
                b"hello",
                true,
            ),
            (
                b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 5\r\n\r\nhello",
                b"hello",
                false,
            ),
            (b"HTTP/1.0 200 OK\r\n\r\nhello", b"hello", false),
        ];
        for (response, body, keep_alive) in cases {
            for piece in [1, 2, 7, response.len()] {
                let (parsed, keep) = parse_in_pieces(response, piece);
                assert_eq!(parsed.status, 200);
                assert_eq!(&parsed.body[..], body, "piece {piece}");
                assert_eq!(keep, keep_alive, "piece {piece}");
            }
        }
    }

    #[test]
    fn extra_bytes_after_a_response_close_the_connection() {
        let mut parser = ResponseParser::new(&http::Method::POST);
        let Ok(Parsed::Done(_, keep)) =
            parser.feed(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}HTTP")
        else {
            panic!("not parsed");
        };
        assert!(!keep);
    }

    #[test]
    fn an_early_end_is_an_error_only_once_bytes_arrived() {
        let mut parser = ResponseParser::new(&http::Method::POST);
        assert!(matches!(parser.end(), Err(None)));
        let mut parser = ResponseParser::new(&http::Method::POST);
        assert!(matches!(
            parser.feed(b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n{}"),
            Ok(Parsed::More)
        ));
        let Err(Some(e)) = parser.end() else {
            panic!("a truncated body was accepted");
        };
        assert!(e.message().contains("middle of a response"), "{e}");
    }

    #[test]
    fn malformed_responses_are_named() {
        for (bytes, what) in [
            (&b"NOT HTTP\r\n\r\n"[..], "malformed response head"),
            (
                b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
                "malformed chunk size",
            ),
            (
                b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n",
                "conflicting content-lengths",
            ),
        ] {
            let mut parser = ResponseParser::new(&http::Method::POST);
            let Err(e) = parser.feed(bytes) else {
                panic!("{what} was accepted");
            };
            assert!(e.message().contains(what), "{e}");
        }
    }
}
