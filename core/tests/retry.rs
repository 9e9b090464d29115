//! Retries, timeouts and cancellation against a server that scripts its responses.

mod support;

use std::time::Duration;

use support::*;

const ROOM: &str =
    r#"{"arn":"arn:aws:ivschat:us-east-1:123456789012:room/abcdEFGH1234","id":"abcdEFGH1234"}"#;

#[tokio::test]
async fn a_503_then_200_succeeds_on_the_second_attempt() {
    let server = ScriptedServer::start(vec![
        error(503, "ServiceUnavailable", "{}"),
        json(200, ROOM),
    ])
    .await;
    let room = get_room(&client(&server.url)).await.unwrap();
    assert_eq!(room.id(), Some("abcdEFGH1234"));
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0].header("amz-sdk-request"),
        Some("attempt=1; max=3")
    );
    assert_eq!(
        requests[1].header("amz-sdk-request"),
        Some("attempt=2; max=3")
    );
    let id = requests[0].header("amz-sdk-invocation-id").unwrap();
    assert_eq!(uuid_version(id), Some('4'));
    assert_eq!(
        requests[1].header("amz-sdk-invocation-id"),
        Some(id),
        "one invocation id per call"
    );
    // Each attempt is signed anew.
    assert!(
        requests[1]
            .header("authorization")
            .unwrap()
            .starts_with("AWS4-HMAC-SHA256 Credential=test/")
    );
}

fn uuid_version(id: &str) -> Option<char> {
    (id.len() == 36).then(|| id.chars().nth(14)).flatten()
}

#[tokio::test]
async fn throttling_three_times_gives_up_after_three_attempts() {
    let throttled =
        r#"{"message":"slow down","resourceId":"abcdEFGH1234","resourceType":"ROOM","limit":10}"#;
    let server = ScriptedServer::start(vec![
        error(429, "ThrottlingException", throttled),
        error(429, "ThrottlingException", throttled),
        error(429, "ThrottlingException", throttled),
        json(200, "{}"),
    ])
    .await;
    let err = client(&server.url)
        .send_event()
        .room_identifier(ROOM_ARN)
        .event_name("e")
        .send()
        .await
        .unwrap_err();
    assert_eq!(server.requests().len(), 3);
    let ivschat::Error::ThrottlingException(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (e.limit(), e.resource_id(), e.message()),
        (10, "abcdEFGH1234", "slow down")
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn max_attempts_is_configurable() {
    let server = ScriptedServer::start(vec![error(500, "InternalServerException", "{}"); 6]).await;
    let client = client_with(&server.url, |b| b.max_attempts(5));
    let err = client
        .list_tags_for_resource()
        .resource_arn(ROOM_ARN)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "InternalServerException");
    assert_eq!(server.requests().len(), 5);
    assert_eq!(
        server.requests()[4].header("amz-sdk-request"),
        Some("attempt=5; max=5")
    );
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    for (status, code) in [
        (400, "ValidationException"),
        (402, "ServiceQuotaExceededException"),
        (403, "AccessDeniedException"),
        (404, "ResourceNotFoundException"),
        (409, "ConflictException"),
    ] {
        let server = ScriptedServer::start(vec![
            error(status, code, r#"{"message":"no"}"#),
            json(200, ROOM),
        ])
        .await;
        let err = get_room(&client(&server.url)).await.unwrap_err();
        assert_eq!((err.code(), err.http_status()), (code, Some(status)));
        assert!(!err.is_retryable(), "{code}");
        assert_eq!(server.requests().len(), 1, "{code} must not be retried");
    }
}

#[tokio::test]
async fn transient_statuses_are_retried() {
    for status in [500u16, 502, 503, 504] {
        let server = ScriptedServer::start(vec![raw(status, &[], ""), json(200, ROOM)]).await;
        get_room(&client(&server.url)).await.unwrap();
        assert_eq!(server.requests().len(), 2, "{status}");
    }
}

#[tokio::test]
async fn a_connection_reset_is_retried() {
    let server = ScriptedServer::start(vec![Step::Reset, json(200, ROOM)]).await;
    let room = get_room(&client(&server.url)).await.unwrap();
    assert_eq!(room.arn(), Some(ROOM_ARN));
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn resets_on_every_attempt_end_in_a_connection_error() {
    let server = ScriptedServer::start(vec![Step::Reset, Step::Reset, Step::Reset]).await;
    let err = get_room(&client(&server.url)).await.unwrap_err();
    assert!(matches!(err, ivschat::Error::Transport(_)), "{err:?}");
    assert_eq!(err.code(), "ConnectionError");
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn a_stall_longer_than_the_attempt_timeout_is_retried() {
    let stall = Step::Stall(Duration::from_secs(5), Box::new(json(200, ROOM)));
    let server = ScriptedServer::start(vec![stall, json(200, ROOM)]).await;
    let client = client_with(&server.url, |b| {
        b.attempt_timeout(Duration::from_millis(200))
    });
    let room = get_room(&client).await.unwrap();
    assert_eq!(room.id(), Some("abcdEFGH1234"));
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn the_read_timeout_applies_to_a_silent_server() {
    let stall = || Step::Stall(Duration::from_secs(5), Box::new(json(200, ROOM)));
    let server = ScriptedServer::start(vec![stall(), stall()]).await;
    let client = client_with(&server.url, |b| {
        b.read_timeout(Some(Duration::from_millis(150)))
            .max_attempts(2)
    });
    let err = get_room(&client).await.unwrap_err();
    assert!(matches!(err, ivschat::Error::Timeout(_)), "{err:?}");
    assert_eq!(server.requests().len(), 2);
}

/// The read timeout is the longest wait for the next bytes, not for the whole response: a body
/// that keeps arriving is read to the end, a body that stops arriving times out.
#[tokio::test]
async fn the_read_timeout_is_reset_by_every_arriving_piece_of_the_body() {
    let slow_but_steady = Step::Trickle {
        body: ROOM.into(),
        pieces: 6,
        gap: Duration::from_millis(100),
    };
    let server = ScriptedServer::start(vec![slow_but_steady]).await;
    let client = client_with(&server.url, |b| {
        b.read_timeout(Some(Duration::from_millis(300)))
            .max_attempts(1)
    });
    let room = get_room(&client).await.unwrap();
    assert_eq!(room.id(), Some("abcdEFGH1234"));

    let stops_mid_body = Step::Trickle {
        body: ROOM.into(),
        pieces: 2,
        gap: Duration::from_secs(5),
    };
    server.push(vec![stops_mid_body]);
    let started = std::time::Instant::now();
    let err = get_room(&client).await.unwrap_err();
    assert!(matches!(err, ivschat::Error::Timeout(_)), "{err:?}");
    assert!(err.message().contains("read timeout"), "{}", err.message());
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn the_operation_timeout_bounds_the_whole_call() {
    let stall = || Step::Stall(Duration::from_secs(5), Box::new(json(200, ROOM)));
    let server = ScriptedServer::start(vec![stall(), stall(), stall()]).await;
    let client = client_with(&server.url, |b| {
        b.attempt_timeout(Duration::from_millis(100))
            .operation_timeout(Duration::from_millis(250))
    });
    let started = std::time::Instant::now();
    let err = get_room(&client).await.unwrap_err();
    assert_eq!(err.code(), "Timeout");
    assert!(err.message().contains("operation"), "{}", err.message());
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the call must end at the operation timeout"
    );
}

#[tokio::test]
async fn a_connect_failure_is_a_retried_connection_error() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = client(&format!("http://127.0.0.1:{port}"));
    let err = get_room(&client).await.unwrap_err();
    assert_eq!(err.code(), "ConnectionError");
    assert!(err.message().contains("127.0.0.1"), "{}", err.message());
}

#[tokio::test]
async fn dropping_the_future_cancels_the_request() {
    let server = ScriptedServer::start(vec![Step::Stall(
        Duration::from_secs(30),
        Box::new(json(200, ROOM)),
    )])
    .await;
    let client = client(&server.url);
    let call = client.get_room().identifier(ROOM_ARN).send();
    let _ = tokio::time::timeout(Duration::from_millis(200), call).await;
    // The server notices the closed connection while it is still stalling.
    for _ in 0..100 {
        if server.abandoned() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(server.abandoned(), 1);
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn the_retry_quota_runs_out_and_then_stops_retries() {
    // 500 tokens, 5 per retry: 100 retries in all, then every call gets one attempt.
    let server = ScriptedServer::start(vec![raw(503, &[], ""); 400]).await;
    let client = client(&server.url);
    for _ in 0..50 {
        let err = get_room(&client).await.unwrap_err();
        assert_eq!(err.code(), "503");
    }
    assert_eq!(
        server.requests().len(),
        150,
        "50 calls × 3 attempts while the quota lasts"
    );
    let err = get_room(&client).await.unwrap_err();
    assert_eq!(err.http_status(), Some(503));
    assert_eq!(
        server.requests().len(),
        151,
        "no retry once the quota is spent"
    );
    // Disabling the quota restores retries.
    let unlimited = client_with(&server.url, |b| {
        b.retry_config(
            ivschat::RetryConfig::standard()
                .with_initial_backoff(Duration::from_millis(1))
                .with_retry_quota(false),
        )
    });
    unlimited
        .get_room()
        .identifier(ROOM_ARN)
        .send()
        .await
        .unwrap_err();
    assert_eq!(server.requests().len(), 154);
}

#[tokio::test]
async fn successes_refill_the_retry_quota() {
    let server = ScriptedServer::start(vec![]).await;
    let client = client(&server.url);
    server.push(vec![raw(503, &[], ""); 200]);
    for _ in 0..100 {
        let _ = get_room(&client).await;
    }
    let before = server.requests().len();
    // Quota spent: one attempt per call. Now 20 successes refund one token each (4 retries' worth).
    for _ in 0..20 {
        server.push(vec![json(200, ROOM)]);
        get_room(&client).await.unwrap();
    }
    server.push(vec![raw(503, &[], ""), raw(503, &[], ""), json(200, ROOM)]);
    get_room(&client).await.unwrap();
    assert_eq!(server.requests().len() - before, 20 + 3);
}
