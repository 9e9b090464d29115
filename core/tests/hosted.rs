//! Calls on a host's event loop (`HostedLoop`, as the Node binding runs them): they run on the
//! host's thread, keep their connections, survive a panicking task, and are dropped with the
//! loop. The transport's behaviour under each response is in `transports.rs` and `hostile.rs`,
//! which run every case on the hosted loop too.
#![cfg(all(unix, feature = "hosted"))]

mod support;

use std::sync::Arc;
use std::time::Duration;

use support::*;

const ROOM: &str =
    r#"{"arn":"arn:aws:ivschat:us-east-1:123456789012:room/abcdEFGH1234","id":"abcdEFGH1234"}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_run_on_the_host_thread_and_keep_one_connection() {
    let server = ScriptedServer::start(vec![json(200, ROOM); 3]).await;
    let client = client(&server.url);
    for _ in 0..3 {
        let client = client.clone();
        let (out, thread) = Host::get()
            .run(async move { (get_room(&client).await, std::thread::current().id()) })
            .await
            .expect("ended");
        assert_eq!(out.expect("call").id(), Some("abcdEFGH1234"));
        assert_eq!(thread, Host::get().thread());
    }
    assert_eq!(server.connections(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_name_is_resolved_and_calls_run_concurrently() {
    let server = ScriptedServer::start(vec![json(200, ROOM); 16]).await;
    let url = server.url.replace("127.0.0.1", "localhost");
    let client = client(&url);
    let calls: Vec<_> = (0..16)
        .map(|_| {
            let client = client.clone();
            Host::get().run(async move { get_room(&client).await })
        })
        .collect();
    for call in calls {
        let out = call.await.expect("ended").expect("call");
        assert_eq!(out.id(), Some("abcdEFGH1234"));
    }
    assert_eq!(server.requests().len(), 16);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_task_is_dropped_and_the_loop_goes_on() {
    let panicked = Host::get()
        .run(async {
            panic!("a panic in a hosted task (test)");
        })
        .await;
    assert!(panicked.is_none(), "the task ended without an output");
    let server = ScriptedServer::start(vec![json(200, ROOM)]).await;
    let client = client(&server.url);
    let out = Host::get()
        .run(async move { get_room(&client).await })
        .await;
    assert!(out.expect("ended").is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loop_dropped_with_calls_waiting_drops_them_and_their_connections() {
    let server = ScriptedServer::start(vec![Step::Stall(
        Duration::from_secs(30),
        Box::new(json(200, ROOM)),
    )])
    .await;
    let hosted = ivschat::HostedLoop::new(tokio::runtime::Handle::current()).expect("loop");
    let client = client(&server.url);
    let (tx, rx) = tokio::sync::oneshot::channel();
    let dropped = Arc::new(());
    let witness = dropped.clone();
    hosted.spawn(async move {
        let _witness = witness;
        let _ = tx.send(get_room(&client).await);
    });
    // Turn until the request has gone out and the call waits for its answer.
    for _ in 0..200 {
        hosted.turn();
        if !server.requests().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(server.requests().len(), 1, "the request was sent");
    drop(hosted);
    assert!(
        rx.await.is_err(),
        "the waiting call was dropped, not answered"
    );
    assert_eq!(Arc::strong_count(&dropped), 1, "its task was freed");
}
