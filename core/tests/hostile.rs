//! A malicious or broken server: every response it can send must end the call with a clear
//! error of the right kind, without a panic, a hang or memory growing past the limits. Each case
//! runs the two ways calls are driven (awaited on a multi-thread runtime, and `block_on` of a
//! current-thread runtime as a binding's synchronous calls are), and the process's peak resident
//! memory is checked at the end.

mod support;

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const ARN: &str = "arn:aws:ivschat:us-east-1:123456789012:room/abcdEFGH1234";
/// The client's response limit in these tests.
const LIMIT: usize = 1 << 20;

type Behaviour = fn(TcpStream) -> Answer;

/// A server that reads each request's head and body, then behaves as told.
async fn hostile(behaviour: Behaviour) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                if read_request(&mut stream).await.is_ok() {
                    let _ = behaviour(stream).await;
                }
            });
        }
    });
    url
}

async fn read_request(stream: &mut TcpStream) -> std::io::Result<()> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        seen.extend_from_slice(&buf[..n]);
        if let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&seen[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if seen.len() >= end + 4 + length {
                return Ok(());
            }
        }
    }
}

/// Writes `head`, then `piece` until the client goes away.
async fn forever(mut stream: TcpStream, head: &[u8], piece: Vec<u8>) -> std::io::Result<()> {
    stream.write_all(head).await?;
    loop {
        stream.write_all(&piece).await?;
    }
}

type Answer = Pin<Box<dyn Future<Output = std::io::Result<()>> + Send>>;

fn endless_informational(s: TcpStream) -> Answer {
    Box::pin(forever(s, b"", b"HTTP/1.1 100 Continue\r\n\r\n".to_vec()))
}

fn endless_chunked(s: TcpStream) -> Answer {
    let head =
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
    let chunk = format!("400\r\n{}\r\n", " ".repeat(0x400)).into_bytes();
    Box::pin(forever(s, head, chunk))
}

fn endless_until_close(s: TcpStream) -> Answer {
    let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n";
    Box::pin(forever(s, head, vec![b' '; 16 * 1024]))
}

fn huge_content_length(s: TcpStream) -> Answer {
    let head =
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 99999999999\r\n\r\n";
    Box::pin(forever(s, head, vec![b' '; 16 * 1024]))
}

fn one_byte_a_second(mut s: TcpStream) -> Answer {
    Box::pin(async move {
        s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n")
            .await?;
        loop {
            s.write_all(b" ").await?;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
}

fn garbage(mut s: TcpStream) -> Answer {
    Box::pin(async move {
        let bytes: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        s.write_all(&bytes).await?;
        s.shutdown().await
    })
}

fn http_09(mut s: TcpStream) -> Answer {
    Box::pin(async move {
        s.write_all(b"{\"arn\":\"x\"}\n").await?;
        s.shutdown().await
    })
}

fn megabyte_header_line(s: TcpStream) -> Answer {
    Box::pin(forever(
        s,
        b"HTTP/1.1 200 OK\r\nx-big: ",
        vec![b'a'; 64 * 1024],
    ))
}

fn hundred_thousand_headers(mut s: TcpStream) -> Answer {
    Box::pin(async move {
        s.write_all(b"HTTP/1.1 200 OK\r\n").await?;
        for i in 0..100_000 {
            s.write_all(format!("x-h{i}: v\r\n").as_bytes()).await?;
        }
        s.write_all(b"content-length: 0\r\n\r\n").await
    })
}

fn reset_mid_body(s: TcpStream) -> Answer {
    Box::pin(async move {
        let mut s = s;
        s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n{\"arn\":")
            .await?;
        s.flush().await?;
        tokio::time::sleep(Duration::from_millis(20)).await;
        socket2::SockRef::from(&s).set_linger(Some(Duration::ZERO))?;
        drop(s);
        Ok(())
    })
}

fn client(url: &str) -> ivschat::Client {
    let config = ivschat::Config::builder()
        .region("us-east-1")
        .endpoint_url(url)
        .credentials(ivschat::Credentials::new("test", "test", None))
        .max_response_bytes(LIMIT)
        .read_timeout(Some(Duration::from_secs(2)))
        .attempt_timeout(Duration::from_secs(3))
        .operation_timeout(Duration::from_secs(4))
        .retry_config(
            ivschat::RetryConfig::standard().with_initial_backoff(Duration::from_millis(1)),
        )
        .build()
        .expect("config");
    ivschat::Client::new(&config)
}

/// The call's error, awaited here, then driven by `block_on` on a thread of its own, then on a
/// host's event loop (as under Node).
async fn every_way(url: &str) -> Vec<ivschat::Error> {
    let client = client(url);
    let awaited = client.get_room().identifier(ARN).send().await;
    let blocked = {
        let client = client.clone();
        tokio::task::spawn_blocking(move || {
            support::blocking_runtime().block_on(client.get_room().identifier(ARN).send())
        })
        .await
        .expect("thread")
    };
    let errors = vec![awaited.unwrap_err(), blocked.unwrap_err()];
    #[cfg(all(unix, feature = "hosted"))]
    let errors = {
        let mut errors = errors;
        let task = async move { client.get_room().identifier(ARN).send().await };
        let hosted = support::Host::get()
            .run(task)
            .await
            .expect("the hosted call ended");
        errors.push(hosted.unwrap_err());
        errors
    };
    errors
}

/// Peak resident memory of this process, in MiB.
fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_response_ends_in_a_clear_error_within_the_limits() {
    let cases: [(&str, Behaviour, &str, &str); 10] = [
        (
            "endless 1xx",
            endless_informational,
            "ConnectionError",
            "informational",
        ),
        (
            "endless chunked body",
            endless_chunked,
            "ResponseParseError",
            "byte limit",
        ),
        (
            "endless close-delimited body",
            endless_until_close,
            "ResponseParseError",
            "byte limit",
        ),
        (
            "huge content-length",
            huge_content_length,
            "ResponseParseError",
            "byte limit",
        ),
        ("1 byte per 100 ms", one_byte_a_second, "Timeout", "within"),
        ("garbage", garbage, "ConnectionError", "malformed"),
        ("HTTP/0.9", http_09, "ConnectionError", "malformed"),
        (
            "1 MiB header line",
            megabyte_header_line,
            "ConnectionError",
            "response head over",
        ),
        (
            "100k headers",
            hundred_thousand_headers,
            "ConnectionError",
            "response head over",
        ),
        ("reset mid-body", reset_mid_body, "ConnectionError", ""),
    ];
    for (name, behaviour, code, says) in cases {
        let url = hostile(behaviour).await;
        let started = Instant::now();
        let ways = ["awaited", "blocking", "hosted"];
        for (way, err) in ways.iter().zip(every_way(&url).await) {
            assert_eq!(err.code(), code, "{name}, {way}: {err:?}");
            assert!(
                err.message().contains(says),
                "{name}, {way}: {}",
                err.message()
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{name} took {:?}",
            started.elapsed()
        );
    }
    let peak = peak_rss_mib();
    assert!(peak < 96, "peak resident memory {peak} MiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_named_by_content_length_fails_before_it_is_read() {
    let url = hostile(huge_content_length).await;
    let err = client(&url)
        .get_room()
        .identifier(ARN)
        .send()
        .await
        .unwrap_err();
    assert!(
        err.message().contains(&format!("{LIMIT}-byte limit")),
        "{err}"
    );
    assert!(
        !err.is_retryable(),
        "a response over the limit is not retried"
    );
}

fn many_headers(mut s: TcpStream) -> Answer {
    Box::pin(async move {
        let mut head = String::from("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n");
        for i in 0..110 {
            head.push_str(&format!("x-amz-meta-{i}: value {i}\r\n"));
        }
        let body = r#"{"id":"abcdEFGH1234"}"#;
        head.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
        s.write_all(head.as_bytes()).await
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_with_110_headers_is_read() {
    let url = hostile(many_headers).await;
    let room = client(&url)
        .get_room()
        .identifier(ARN)
        .send()
        .await
        .expect("110 headers are within the limit (boto3 takes 65 or more)");
    assert_eq!(room.id(), Some("abcdEFGH1234"));
}

/// A content-length of a petabyte, a few bytes, then the end of the connection.
fn petabyte_promised(mut s: TcpStream) -> Answer {
    Box::pin(async move {
        let head = b"HTTP/1.1 200 OK\r\ncontent-length: 1000000000000000\r\n\r\n{\"arn\":";
        s.write_all(head).await
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_without_a_response_limit_does_not_allocate_what_content_length_promises() {
    let url = hostile(petabyte_promised).await;
    let config = ivschat::Config::builder()
        .region("us-east-1")
        .endpoint_url(&url)
        .credentials(ivschat::Credentials::new("test", "test", None))
        .max_response_bytes(usize::MAX)
        .retry_config(ivschat::RetryConfig::standard().with_max_attempts(1))
        .build()
        .expect("config");
    let err = ivschat::Client::new(&config)
        .get_room()
        .identifier(ARN)
        .send()
        .await
        .expect_err("the body ended early");
    assert_eq!(err.code(), "ConnectionError", "{err:?}");
    assert!(err.message().contains("middle of a response body"), "{err}");
}
