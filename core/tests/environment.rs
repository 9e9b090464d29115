//! Configuration from the environment: the AWS default chain (environment variables, shared
//! config and credentials files with profiles, credential_process), region resolution, proxies.
//! One test function, because it changes process-wide environment variables.

mod support;

use std::path::Path;

use support::*;

const AWS_VARS: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ENDPOINT_URL_IVSCHAT",
    "AWS_EC2_METADATA_DISABLED",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
];

fn set(name: &str, value: impl AsRef<std::ffi::OsStr>) {
    // SAFETY: this test binary has a single test, so no other thread reads the environment.
    unsafe { std::env::set_var(name, value) }
}

fn clear_aws_env(dir: &Path) {
    for name in AWS_VARS {
        // SAFETY: as in `set`.
        unsafe { std::env::remove_var(name) }
    }
    set("AWS_CONFIG_FILE", dir.join("no-config"));
    set("AWS_SHARED_CREDENTIALS_FILE", dir.join("no-credentials"));
    set("AWS_EC2_METADATA_DISABLED", "true");
}

/// Sends one call and returns the access key id it was signed with.
async fn signing_key(client: &ivschat::Client, server: &ScriptedServer) -> String {
    client
        .delete_room()
        .identifier(ROOM_ARN)
        .send()
        .await
        .unwrap();
    server.requests().pop().unwrap().access_key().to_owned()
}

#[tokio::test]
async fn configuration_comes_from_the_environment() {
    let dir = std::env::temp_dir().join(format!("ivschat-env-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let server = ScriptedServer::start(vec![]).await;

    // 1. No region anywhere: a clear error naming how to set one.
    clear_aws_env(&dir);
    let err = ivschat::Config::builder()
        .credentials(ivschat::Credentials::new("a", "b", None))
        .build()
        .unwrap_err();
    assert_eq!(err.code(), "ConstructionError");
    for hint in ["region(", "AWS_REGION", "profile"] {
        assert!(err.message().contains(hint), "{}", err.message());
    }

    // 2. Environment credentials and region, endpoint from AWS_ENDPOINT_URL_IVSCHAT.
    set("AWS_ACCESS_KEY_ID", "AKIDFROMENV");
    set("AWS_SECRET_ACCESS_KEY", "env-secret");
    set("AWS_SESSION_TOKEN", "env-token");
    set("AWS_DEFAULT_REGION", "eu-west-1");
    set("AWS_ENDPOINT_URL_IVSCHAT", &server.url);
    let client = ivschat::Client::from_env().await.unwrap();
    assert_eq!(client.config().region(), "eu-west-1");
    client
        .delete_room()
        .identifier(ROOM_ARN)
        .send()
        .await
        .unwrap();
    let r = server.requests().pop().unwrap();
    assert_eq!(
        r.access_key(),
        "AKIDFROMENV",
        "{:?}",
        r.header("authorization")
    );
    assert!(
        r.header("authorization")
            .unwrap()
            .contains("/eu-west-1/ivschat/")
    );
    assert_eq!(r.header("x-amz-security-token"), Some("env-token"));
    set("AWS_REGION", "ap-south-1");
    assert_eq!(
        ivschat::Client::from_env().await.unwrap().config().region(),
        "ap-south-1",
        "AWS_REGION wins"
    );

    // 3. Shared files: a named profile with region and keys, and one with credential_process.
    clear_aws_env(&dir);
    set("AWS_ENDPOINT_URL_IVSCHAT", &server.url);
    let process = dir.join("creds.sh");
    std::fs::write(&process, "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROCESS\", \"SecretAccessKey\": \"p\"}'\n").unwrap();
    std::fs::set_permissions(
        &process,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let config = dir.join("config");
    let credentials = dir.join("credentials");
    std::fs::write(
        &config,
        "[default]\nregion = us-west-2\n\n[profile dev]\nregion = ap-northeast-1\n\n\
         [profile proc]\nregion = eu-central-1\ncredential_process = PROCESS\n"
            .replace("PROCESS", process.to_str().unwrap()),
    )
    .unwrap();
    std::fs::write(&credentials, "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = d\n\n[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = x\n").unwrap();
    set("AWS_CONFIG_FILE", &config);
    set("AWS_SHARED_CREDENTIALS_FILE", &credentials);

    let client = ivschat::Client::from_env().await.unwrap();
    assert_eq!(client.config().region(), "us-west-2");
    assert_eq!(signing_key(&client, &server).await, "AKIDDEFAULT");

    set("AWS_PROFILE", "dev");
    let client = ivschat::Client::from_env().await.unwrap();
    assert_eq!(client.config().region(), "ap-northeast-1");
    assert_eq!(signing_key(&client, &server).await, "AKIDDEV");

    let client = ivschat::Client::new(
        &ivschat::Config::builder()
            .profile_name("proc")
            .load_defaults()
            .await
            .build()
            .unwrap(),
    );
    assert_eq!(client.config().region(), "eu-central-1");
    assert_eq!(signing_key(&client, &server).await, "AKIDPROCESS");

    // The lazy default chain of a plain builder (no explicit credentials) finds the same keys.
    let client = ivschat::Client::new(
        &ivschat::Config::builder()
            .region("us-east-1")
            .build()
            .unwrap(),
    );
    assert_eq!(signing_key(&client, &server).await, "AKIDDEV");

    // 4. An empty chain fails with a credentials error, not a panic or a hang.
    clear_aws_env(&dir);
    let client = ivschat::Client::new(
        &ivschat::Config::builder()
            .region("us-east-1")
            .endpoint_url(&server.url)
            .build()
            .unwrap(),
    );
    let err = client
        .delete_room()
        .identifier(ROOM_ARN)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "CredentialsError", "{err}");
    assert!(err.message().contains("no credentials found"), "{err}");
    for source in ["environment", "shared config", "instance metadata"] {
        assert!(err.message().contains(source), "{err}");
    }

    // 5. FIPS pseudo-regions as boto3 normalises them; env FIPS flag.
    let config = ivschat::Config::builder()
        .region("fips-us-east-1")
        .credentials(ivschat::Credentials::new("a", "b", None))
        .build()
        .unwrap();
    assert_eq!(
        (config.region(), config.endpoint_url()),
        ("us-east-1", "https://ivschat-fips.us-east-1.amazonaws.com")
    );
    set("AWS_USE_DUALSTACK_ENDPOINT", "true");
    let config = ivschat::Config::builder()
        .region("us-east-1")
        .credentials(ivschat::Credentials::new("a", "b", None))
        .build()
        .unwrap();
    assert_eq!(config.endpoint_url(), "https://ivschat.us-east-1.api.aws");
    clear_aws_env(&dir);
    let err = ivschat::Config::builder()
        .region("us-east-1")
        .endpoint_url("http://localhost:1")
        .use_fips(true)
        .credentials(ivschat::Credentials::new("a", "b", None))
        .build()
        .unwrap_err();
    assert!(
        err.message()
            .contains("FIPS and custom endpoint are not supported"),
        "{err}"
    );
    let err = ivschat::Config::builder()
        .region("us-east-1")
        .endpoint_url("ftp://x")
        .credentials(ivschat::Credentials::new("a", "b", None))
        .build()
        .unwrap_err();
    assert_eq!(err.code(), "ConstructionError");

    // 6. HTTP_PROXY is honoured, NO_PROXY bypasses it.
    let proxy = ScriptedServer::start(vec![]).await;
    set("HTTP_PROXY", &proxy.url);
    let via_proxy = client_with("http://ivschat.proxied.invalid", |b| b);
    via_proxy
        .delete_room()
        .identifier(ROOM_ARN)
        .send()
        .await
        .unwrap();
    let r = proxy.requests().pop().unwrap();
    assert_eq!(
        r.target, "http://ivschat.proxied.invalid/DeleteRoom",
        "absolute-form request to the proxy"
    );
    assert_eq!(r.header("host"), Some("ivschat.proxied.invalid"));
    // A client with a pool of its own honours the proxy too.
    let sibling = via_proxy.with_own_connections();
    sibling
        .delete_room()
        .identifier(ROOM_ARN)
        .send()
        .await
        .unwrap();
    assert_eq!(
        proxy.requests().pop().unwrap().target,
        "http://ivschat.proxied.invalid/DeleteRoom"
    );
    set("NO_PROXY", "ivschat.proxied.invalid");
    let direct = client_with("http://ivschat.proxied.invalid", |b| b.max_attempts(1));
    let err = direct
        .delete_room()
        .identifier(ROOM_ARN)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), "ConnectionError");
    assert_eq!(proxy.requests().len(), 2, "NO_PROXY hosts bypass the proxy");

    let _ = std::fs::remove_dir_all(&dir);
}
