//! Custom credential providers: cached until shortly before expiry, one refresh at a time,
//! failures reported without secrets.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use ivschat::credentials::{CredentialsFailure, CredentialsFuture};
use ivschat::{Credentials, ProvideCredentials};
use support::*;

#[derive(Debug)]
struct Counting {
    calls: Arc<AtomicUsize>,
    lifetime: Duration,
    fail: bool,
}

impl ProvideCredentials for Counting {
    fn provide_credentials(&self) -> CredentialsFuture<'_> {
        Box::pin(async move {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
            if self.fail {
                return Err(CredentialsFailure::new("the vault is sealed"));
            }
            Ok(Credentials::new(
                format!("AKID{n}"),
                "provider-secret",
                Some("provider-token".into()),
            )
            .with_expiry(SystemTime::now() + self.lifetime))
        })
    }
}

fn client_with_provider(url: &str, provider: Counting) -> ivschat::Client {
    client_with(url, |b| b.credentials_provider(provider))
}

#[tokio::test]
async fn long_lived_credentials_are_fetched_once_even_under_concurrency() {
    let server = ScriptedServer::start(vec![]).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let client = client_with_provider(
        &server.url,
        Counting {
            calls: calls.clone(),
            lifetime: Duration::from_secs(3600),
            fail: false,
        },
    );
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.delete_room().identifier(ROOM_ARN).send().await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let requests = server.requests();
    assert_eq!(requests.len(), 50);
    assert!(
        requests.iter().all(|r| r.access_key() == "AKID1"
            && r.header("x-amz-security-token") == Some("provider-token"))
    );
}

#[tokio::test]
async fn credentials_near_expiry_are_refreshed() {
    let server = ScriptedServer::start(vec![]).await;
    let calls = Arc::new(AtomicUsize::new(0));
    // Expiring in 2 minutes: inside the 5-minute refresh window, so every call refreshes.
    let client = client_with_provider(
        &server.url,
        Counting {
            calls: calls.clone(),
            lifetime: Duration::from_secs(120),
            fail: false,
        },
    );
    for _ in 0..3 {
        client
            .delete_room()
            .identifier(ROOM_ARN)
            .send()
            .await
            .unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let keys: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.access_key().to_owned())
        .collect();
    assert_eq!(keys, ["AKID1", "AKID2", "AKID3"]);
}

#[tokio::test]
async fn a_failing_provider_gives_a_credentials_error_and_sends_nothing() {
    let server = ScriptedServer::start(vec![]).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let client = client_with_provider(
        &server.url,
        Counting {
            calls: calls.clone(),
            lifetime: Duration::ZERO,
            fail: true,
        },
    );
    let err = get_room(&client).await.unwrap_err();
    assert!(matches!(err, ivschat::Error::Credentials(_)), "{err:?}");
    assert_eq!(err.code(), "CredentialsError");
    assert!(
        err.message().contains("the vault is sealed"),
        "{}",
        err.message()
    );
    assert!(!err.is_retryable());
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "credential failures are not retried"
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn static_credentials_are_used_as_given() {
    let server = ScriptedServer::start(vec![]).await;
    let client = client_with(&server.url, |b| {
        b.credentials(Credentials::new("AKIDSTATIC", "s", None))
    });
    client
        .delete_room()
        .identifier(ROOM_ARN)
        .send()
        .await
        .unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.access_key(), "AKIDSTATIC");
    assert_eq!(r.header("x-amz-security-token"), None);
}
