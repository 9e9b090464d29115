//! What the canned server and the raw clients of the benchmarks share: the message framing they
//! read (head and content-length body) and the raw client's pre-built GetRoom request.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const ROOM_ARN: &str = "arn:aws:ivschat:us-east-1:000000000000:room/abcdEFGH1234";

/// The length of the first complete message (head and content-length body) in `buf`, once `buf`
/// holds all of it.
pub fn message_length(buf: &[u8]) -> Option<usize> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&buf[..end]).ok()?;
    let length = head
        .split("\r\n")
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    (buf.len() >= end + length).then_some(end + length)
}

/// The raw clients' GetRoom request for `host` (no signature: the canned server reads none).
pub fn raw_request(host: &str) -> String {
    let body = format!(r#"{{"identifier": "{ROOM_ARN}"}}"#);
    format!(
        "POST /GetRoom HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// A keep-alive tokio socket to the canned server at `url` (`http://HOST:PORT`), Nagle off.
pub async fn connect(url: &str) -> TcpStream {
    let socket = TcpStream::connect(url.trim_start_matches("http://"))
        .await
        .expect("connect");
    socket.set_nodelay(true).expect("nodelay");
    socket
}

/// The pre-built request and a minimal read on one keep-alive tokio socket: the floor of any
/// client that waits for its answer in tokio's reactor.
pub struct RawTokioClient {
    socket: TcpStream,
    request: String,
    buf: Vec<u8>,
}

impl RawTokioClient {
    /// Connects to `url` (`http://HOST:PORT`).
    pub async fn connect(url: &str) -> Self {
        RawTokioClient {
            socket: connect(url).await,
            request: raw_request(url.trim_start_matches("http://")),
            buf: vec![0u8; 65536],
        }
    }

    /// One GetRoom: writes the request, reads until the response is whole.
    pub async fn call(&mut self) {
        self.socket
            .write_all(self.request.as_bytes())
            .await
            .expect("write");
        let mut have = 0;
        loop {
            have += self.socket.read(&mut self.buf[have..]).await.expect("read");
            if message_length(&self.buf[..have]).is_some() {
                return;
            }
        }
    }
}
