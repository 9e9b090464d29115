//! Tracing: one span per operation and per attempt with operation, attempt, status, request id
//! and latency; never a secret.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use support::*;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Buffer {
        self.clone()
    }
}

#[tokio::test]
async fn spans_describe_each_operation_and_attempt_without_secrets() {
    let buffer = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(buffer.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = ScriptedServer::start(vec![
        raw(503, &[("x-amzn-RequestId", "req-first")], ""),
        json(200, r#"{"token":"chat-token-value"}"#),
    ])
    .await;
    let client = client_with(&server.url, |b| {
        b.credentials(ivschat::Credentials::new(
            "AKIDTRACE",
            "secret-key-value",
            Some("session-token-value".into()),
        ))
    });
    let out = client
        .create_chat_token()
        .room_identifier(ROOM_ARN)
        .user_id("private-user")
        .attributes("k", "attribute-value")
        .send()
        .await
        .unwrap();
    assert_eq!(out.token(), Some("chat-token-value"));

    let logs = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("ivschat.operation") && logs.contains("operation=\"CreateChatToken\""),
        "{logs}"
    );
    assert!(
        logs.contains("ivschat.attempt")
            && logs.contains("attempt=1")
            && logs.contains("attempt=2"),
        "{logs}"
    );
    assert!(
        logs.contains("status=503") && logs.contains("status=200"),
        "{logs}"
    );
    assert!(
        logs.contains("request_id=\"req-first\"") && logs.contains("request_id=\"req-200\""),
        "{logs}"
    );
    assert!(logs.contains("latency_ms="), "{logs}");
    for secret in [
        "secret-key-value",
        "session-token-value",
        "chat-token-value",
        "private-user",
        "attribute-value",
    ] {
        assert!(
            !logs.contains(secret),
            "{secret} leaked into the logs:\n{logs}"
        );
    }
}
