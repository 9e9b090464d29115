//! The transport against a server that scripts its responses, driven three ways: calls awaited on
//! the test's multi-thread runtime; calls run as a binding's synchronous calls are, `block_on` of
//! one shared current-thread runtime from threads of their own; and calls on a host's event loop
//! (`HostedLoop`), as the Node binding runs them. All give the same calls, retries, framings and
//! timeouts.

mod support;

use std::time::{Duration, Instant};

use ivschat::operation::GetRoomOutput;
use support::*;

const ROOM: &str =
    r#"{"arn":"arn:aws:ivschat:us-east-1:123456789012:room/abcdEFGH1234","id":"abcdEFGH1234"}"#;

fn blocking(url: &str) -> ivschat::Client {
    blocking_with(url, |b| b)
}

fn blocking_with(
    url: &str,
    f: impl FnOnce(ivschat::ConfigBuilder) -> ivschat::ConfigBuilder,
) -> ivschat::Client {
    client_with(url, f)
}

/// A GetRoom call driven to its end by `block_on` on a thread of its own.
async fn call(client: &ivschat::Client) -> Result<GetRoomOutput, ivschat::Error> {
    let client = client.clone();
    tokio::task::spawn_blocking(move || {
        blocking_runtime().block_on(client.get_room().identifier(ROOM_ARN).send())
    })
    .await
    .expect("the call's thread")
}

/// The transport a test runs on.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Direct,
    Blocking,
    /// On a host's event loop, as under Node.
    #[cfg(all(unix, feature = "hosted"))]
    Hosted,
}

const KINDS: &[Kind] = &[
    Kind::Direct,
    Kind::Blocking,
    #[cfg(all(unix, feature = "hosted"))]
    Kind::Hosted,
];

impl Kind {
    fn client(self, url: &str) -> ivschat::Client {
        self.client_with(url, |b| b)
    }

    fn client_with(
        self,
        url: &str,
        f: impl FnOnce(ivschat::ConfigBuilder) -> ivschat::ConfigBuilder,
    ) -> ivschat::Client {
        match self {
            Kind::Blocking => blocking_with(url, f),
            _ => client_with(url, f),
        }
    }

    async fn call(self, client: &ivschat::Client) -> Result<GetRoomOutput, ivschat::Error> {
        match self {
            Kind::Direct => client.get_room().identifier(ROOM_ARN).send().await,
            Kind::Blocking => call(client).await,
            #[cfg(all(unix, feature = "hosted"))]
            Kind::Hosted => {
                let client = client.clone();
                let task = async move { client.get_room().identifier(ROOM_ARN).send().await };
                Host::get().run(task).await.expect("the hosted call ended")
            }
        }
    }
}

fn ok(result: Result<GetRoomOutput, ivschat::Error>) {
    assert_eq!(result.expect("call").id(), Some("abcdEFGH1234"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_share_one_kept_alive_connection_and_send_what_the_pooled_transport_sends() {
    let server = ScriptedServer::start(vec![json(200, ROOM); 4]).await;
    ok(call(&client(&server.url)).await);
    let client = blocking(&server.url);
    for _ in 0..3 {
        ok(call(&client).await);
    }
    assert_eq!(
        server.connections(),
        2,
        "one for the pooled call, one for three blocking"
    );
    let requests = server.requests();
    let (pooled, blocked) = (&requests[0], &requests[1]);
    for header in ["host", "content-type", "content-length", "user-agent"] {
        assert_eq!(pooled.header(header), blocked.header(header), "{header}");
    }
    assert_eq!(blocked.path(), "/GetRoom");
    assert_eq!(pooled.body, blocked.body);
    let signed = |r: &Recorded| {
        r.header("authorization")
            .and_then(|a| a.split("SignedHeaders=").nth(1))
            .map(|s| s.split(',').next().unwrap_or_default().to_owned())
    };
    assert_eq!(signed(pooled), signed(blocked));
    assert_eq!(
        signed(blocked).as_deref(),
        Some("content-type;host;x-amz-date")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_503_is_retried_with_a_new_signature_and_the_same_invocation_id() {
    let server = ScriptedServer::start(vec![
        error(503, "ServiceUnavailable", "{}"),
        json(200, ROOM),
    ])
    .await;
    ok(call(&blocking(&server.url)).await);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[1].header("amz-sdk-request"),
        Some("attempt=2; max=3")
    );
    assert_eq!(
        requests[0].header("amz-sdk-invocation-id"),
        requests[1].header("amz-sdk-invocation-id")
    );
    assert_eq!(
        server.connections(),
        1,
        "a 503 leaves the connection usable"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_errors_are_parsed_as_by_the_pooled_transport() {
    let body = r#"{"message":"no such room","resourceId":"abcdEFGH1234","resourceType":"ROOM"}"#;
    let server = ScriptedServer::start(vec![
        error(404, "ResourceNotFoundException", body),
        error(404, "ResourceNotFoundException", body),
    ])
    .await;
    let pooled = call(&client(&server.url)).await.unwrap_err();
    let blocked = call(&blocking(&server.url)).await.unwrap_err();
    assert!(
        matches!(blocked, ivschat::Error::ResourceNotFoundException(_)),
        "{blocked:?}"
    );
    assert_eq!(pooled.to_string(), blocked.to_string());
    assert_eq!(pooled.fields(), blocked.fields());
    assert_eq!(blocked.request_id(), Some("req-404"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resets_on_every_attempt_end_in_a_connection_error() {
    for &kind in KINDS {
        let server = ScriptedServer::start(vec![Step::Reset, Step::Reset, Step::Reset]).await;
        let err = kind.call(&kind.client(&server.url)).await.unwrap_err();
        assert_eq!(err.code(), "ConnectionError", "{err:?}");
        assert_eq!(server.requests().len(), 3);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_the_server_closed_while_idle_is_replaced_without_a_retry() {
    for &kind in KINDS {
        let server = ScriptedServer::start(vec![
            Step::ThenClose(Box::new(json(200, ROOM))),
            json(200, ROOM),
        ])
        .await;
        let client = kind.client(&server.url);
        ok(kind.call(&client).await);
        tokio::time::sleep(Duration::from_millis(50)).await;
        ok(kind.call(&client).await);
        let requests = server.requests();
        assert_eq!(requests.len(), 2);
        assert_eq!(
            requests[1].header("amz-sdk-request"),
            Some("attempt=1; max=3")
        );
        assert_eq!(server.connections(), 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_and_close_delimited_bodies_are_read_whole() {
    for &kind in KINDS {
        let close_delimited =
            format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{ROOM}");
        let server = ScriptedServer::start(vec![
            Step::Chunked {
                body: ROOM.into(),
                pieces: 5,
            },
            Step::Chunked {
                body: ROOM.into(),
                pieces: 1,
            },
            Step::ThenClose(Box::new(Step::Bytes(close_delimited))),
            json(200, ROOM),
        ])
        .await;
        let client = kind.client(&server.url);
        for _ in 0..4 {
            ok(kind.call(&client).await);
        }
        assert_eq!(
            server.connections(),
            2,
            "chunked responses keep the connection; a close-delimited one ends it"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_body_arriving_over_many_reads_is_read_whole() {
    for &kind in KINDS {
        let name = "n".repeat(300_000);
        let room = format!(r#"{{"id":"abcdEFGH1234","name":"{name}"}}"#);
        let server = ScriptedServer::start(vec![
            json(200, &room),
            Step::Chunked {
                body: room.clone(),
                pieces: 37,
            },
        ])
        .await;
        let client = kind.client(&server.url);
        for _ in 0..2 {
            let out = kind.call(&client).await.expect("call");
            assert_eq!(out.name().map(str::len), Some(300_000));
        }
        // A connection goes back to the pool before its call returns: the next call takes it.
        assert_eq!(server.connections(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_response_is_a_connection_error_naming_it() {
    for &kind in KINDS {
        let server = ScriptedServer::start(vec![
            Step::ThenClose(Box::new(Step::Bytes(
                "SMTP ready\r\n\r\n".into()
            )));
            3
        ])
        .await;
        let err = kind.call(&kind.client(&server.url)).await.unwrap_err();
        assert_eq!(err.code(), "ConnectionError");
        assert!(
            err.message().contains("malformed response"),
            "{}",
            err.message()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_read_timeout_is_reset_by_every_arriving_piece_of_the_body() {
    for &kind in KINDS {
        let slow_but_steady = Step::Trickle {
            body: ROOM.into(),
            pieces: 6,
            gap: Duration::from_millis(100),
        };
        let stops_mid_body = Step::Trickle {
            body: ROOM.into(),
            pieces: 2,
            gap: Duration::from_secs(5),
        };
        let server = ScriptedServer::start(vec![slow_but_steady, stops_mid_body]).await;
        let client = kind.client_with(&server.url, |b| {
            b.read_timeout(Some(Duration::from_millis(300)))
                .max_attempts(1)
        });
        ok(kind.call(&client).await);
        let started = Instant::now();
        let err = kind.call(&client).await.unwrap_err();
        assert!(matches!(err, ivschat::Error::Timeout(_)), "{err:?}");
        assert!(err.message().contains("read timeout"), "{}", err.message());
        assert!(started.elapsed() < Duration::from_secs(4));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stall_longer_than_the_attempt_timeout_is_retried() {
    for &kind in KINDS {
        let stall = Step::Stall(Duration::from_secs(5), Box::new(json(200, ROOM)));
        let server = ScriptedServer::start(vec![stall, json(200, ROOM)]).await;
        let client = kind.client_with(&server.url, |b| {
            b.attempt_timeout(Duration::from_millis(200))
        });
        ok(kind.call(&client).await);
        assert_eq!(server.requests().len(), 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operation_timeout_bounds_the_whole_call() {
    for &kind in KINDS {
        let stall = || Step::Stall(Duration::from_secs(5), Box::new(json(200, ROOM)));
        let server = ScriptedServer::start(vec![stall(), stall(), stall()]).await;
        let client = kind.client_with(&server.url, |b| {
            b.attempt_timeout(Duration::from_millis(100))
                .operation_timeout(Duration::from_millis(250))
        });
        let started = Instant::now();
        let err = kind.call(&client).await.unwrap_err();
        assert_eq!(err.code(), "Timeout");
        assert!(err.message().contains("operation"), "{}", err.message());
        assert!(started.elapsed() < Duration::from_secs(4));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connect_failure_is_a_connection_error_naming_the_address() {
    for &kind in KINDS {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = kind
            .call(&kind.client(&format!("http://127.0.0.1:{port}")))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "ConnectionError");
        assert!(err.message().contains("127.0.0.1"), "{}", err.message());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn threads_calling_one_client_each_get_their_answer() {
    let server = ScriptedServer::start(vec![json(200, ROOM); 64]).await;
    let client = blocking(&server.url);
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                for _ in 0..8 {
                    ok(call(&client).await);
                }
            })
        })
        .collect();
    for c in calls {
        c.await.unwrap();
    }
    assert_eq!(server.requests().len(), 64);
    // Connections are reused: no more open than calls are in flight.
    assert!(server.connections() <= 8, "{}", server.connections());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_outliving_its_runtime_opens_connections_on_the_next_without_a_retry() {
    let server = ScriptedServer::start(vec![json(200, ROOM); 3]).await;
    let client = client(&server.url);
    for _ in 0..3 {
        let client = client.clone();
        tokio::task::spawn_blocking(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            ok(runtime.block_on(client.get_room().identifier(ROOM_ARN).send()));
        })
        .await
        .expect("the call's thread");
    }
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .all(|r| r.header("amz-sdk-request") == Some("attempt=1; max=3")),
        "no call needed a retry"
    );
    assert_eq!(server.connections(), 3, "one connection per runtime");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_called_from_two_runtimes_in_turn_answers_on_both() {
    let server = ScriptedServer::start(vec![json(200, ROOM); 6]).await;
    let client = client(&server.url);
    for _ in 0..3 {
        let on_blocking = tokio::time::timeout(Duration::from_secs(10), call(&client));
        ok(on_blocking.await.expect("the blocking runtime's call hung"));
        let here = client.get_room().identifier(ROOM_ARN).send();
        ok(tokio::time::timeout(Duration::from_secs(10), here)
            .await
            .expect("this runtime's call hung"));
    }
    assert_eq!(server.connections(), 2, "one pooled connection per runtime");
}
