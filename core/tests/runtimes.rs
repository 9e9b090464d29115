//! One client used from two tokio runtimes: `with_own_connections` gives the second runtime its
//! own pool, sharing credentials and configuration.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use ivschat::credentials::CredentialsFuture;
use ivschat::{Credentials, ProvideCredentials};
use support::*;

#[derive(Debug)]
struct Counting(Arc<AtomicUsize>);

impl ProvideCredentials for Counting {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(async move {
            let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(Credentials::new(format!("AKID{n}"), "secret", None)
                .with_expiry(SystemTime::now() + Duration::from_secs(3600)))
        })
    }
}

/// The sibling's connection is driven by a current-thread runtime that is left idle (alive, not
/// running). Had the two clients shared a pool, the original's next call would pick up that
/// connection and wait forever for a runtime that never polls it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sibling_on_another_runtime_has_its_own_pool_and_shares_credentials() {
    let server = ScriptedServer::start(vec![]).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let client = client_with(&server.url, |b| {
        b.credentials_provider(Counting(calls.clone()))
    });
    let sibling = client.with_own_connections();
    assert_eq!(
        sibling.config().endpoint_url(),
        client.config().endpoint_url()
    );

    let (parked_tx, parked_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let other = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let result = rt.block_on(sibling.delete_room().identifier(ROOM_ARN).send());
        parked_tx.send(result.map(|_| ())).expect("report");
        // Keep the runtime (and the sibling's pooled connection) alive but idle.
        let _ = release_rx.recv();
        drop(rt);
    });
    parked_rx
        .recv()
        .expect("sibling thread")
        .expect("sibling call");

    for _ in 0..3 {
        let call = client.delete_room().identifier(ROOM_ARN).send();
        tokio::time::timeout(Duration::from_secs(10), call)
            .await
            .expect("the original client must not use the sibling's connection")
            .expect("call");
    }
    release_tx.send(()).expect("release");
    other.join().expect("join");

    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "one shared credentials cache"
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    assert!(requests.iter().all(|r| r.access_key() == "AKID1"));
}
