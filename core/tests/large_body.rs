//! A large response body is read whole without holding many copies of it: the body is held once
//! (read into one buffer sized from content-length), plus the parsed output's own copy of the
//! string it carries, so the process's peak resident memory grows by under 2.5 times its size.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MIB: usize = 1024 * 1024;
const BODY: usize = 200 * MIB;

fn resident_kib(field: &str) -> usize {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200_mib_body_peaks_at_its_size_plus_its_parsed_copy() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 65536];
        let _ = s.read(&mut buf).await;
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {BODY}\r\n\r\n"
        );
        s.write_all(head.as_bytes()).await.unwrap();
        // A JSON object the output parser accepts: {"name":"aaaa...a"}
        let mut left = BODY;
        s.write_all(b"{\"name\":\"").await.unwrap();
        left -= 9;
        let piece = vec![b'a'; 64 * 1024];
        while left > 2 {
            let n = piece.len().min(left - 2);
            s.write_all(&piece[..n]).await.unwrap();
            left -= n;
        }
        s.write_all(b"\"}").await.unwrap();
    });
    let config = ivschat::Config::builder()
        .region("us-east-1")
        .endpoint_url(url)
        .credentials(ivschat::Credentials::new("test", "test", None))
        .max_response_bytes(256 * MIB)
        .build()
        .unwrap();
    let client = ivschat::Client::new(&config);
    let before = resident_kib("VmRSS:");
    let room = client
        .get_room()
        .identifier("abcdEFGH1234")
        .send()
        .await
        .expect("call");
    let peak = resident_kib("VmHWM:");
    assert_eq!(room.name().map(str::len), Some(BODY - 11));
    let grew = (peak - before) * 1024;
    println!(
        "peak grew by {} MiB for a {} MiB body",
        grew / MIB,
        BODY / MIB
    );
    assert!(grew < 5 * BODY / 2, "peak grew by {} MiB", grew / MIB);
}
