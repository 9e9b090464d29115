//! `ivschat-canned-server [--threads N]`: answers every request on every keep-alive connection
//! with the same GetRoom response, parsing only what it must (header end, content-length), so
//! client benchmarks measure the client. Prints `listening on http://127.0.0.1:PORT`.

use std::io::Write;

use ivschat_canned_server::message_length;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const BODY: &str = concat!(
    r#"{"arn": "arn:aws:ivschat:us-east-1:000000000000:room/abcdEFGH1234", "id": "abcdEFGH1234", "#,
    r#""name": "bench", "createTime": "2024-05-01T12:34:56.789Z", "updateTime": "2024-05-02T08:00:00.123456Z", "#,
    r#""maximumMessageRatePerSecond": 10, "maximumMessageLength": 500, "#,
    r#""messageReviewHandler": {"uri": "", "fallbackResult": "ALLOW"}, "tags": {"env": "bench"}, "#,
    r#""loggingConfigurationIdentifiers": []}"#
);

fn response() -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
         x-amzn-requestid: 7d3b2c1a-0000-4000-8000-00000000a001\r\ncontent-length: {}\r\n\r\n{BODY}",
        BODY.len()
    )
    .into_bytes()
}

async fn serve(mut stream: TcpStream, canned: &'static [u8]) {
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::with_capacity(8192);
    let mut chunk = [0u8; 8192];
    let mut out = Vec::new();
    loop {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        while let Some(len) = message_length(&buf) {
            buf.drain(..len);
            out.extend_from_slice(canned);
        }
        if !out.is_empty() {
            if stream.write_all(&out).await.is_err() {
                return;
            }
            out.clear();
        }
    }
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut threads = 1;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => threads = args.next().and_then(|v| v.parse().ok()).unwrap_or(1),
            other => {
                eprintln!("unknown argument {other}; usage: ivschat-canned-server [--threads N]");
                std::process::exit(2);
            }
        }
    }
    let canned: &'static [u8] = Box::leak(response().into_boxed_slice());
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()?
        .block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            println!("listening on http://{}", listener.local_addr()?);
            std::io::stdout().flush()?;
            loop {
                let (stream, _) = listener.accept().await?;
                tokio::spawn(serve(stream, canned));
            }
        })
}
