//! The shared conformance suite (tests/conformance), run through the public `ivschat` API against
//! the emulator's script API (`/_emulator/script`), the one mock server every language drives.

use std::path::PathBuf;
use std::time::Duration;

use ivschat_emulator::{Emulator, EmulatorHandle};
use serde_json::{Map, Value, json};

const LANGUAGE: &str = "rust";
const TIMESTAMP_MEMBERS: [&str; 4] = [
    "createTime",
    "updateTime",
    "tokenExpirationTime",
    "sessionExpirationTime",
];

fn load_cases() -> Vec<Value> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance/cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| {
            let doc: Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
            doc["cases"].as_array().cloned().unwrap_or_default()
        })
        .collect()
}

struct Runner {
    emulator: EmulatorHandle,
    admin: reqwest::Client,
}

impl Runner {
    async fn script(&self, responses: Value, credentials: &Value) {
        let url = format!("{}/_emulator/script", self.emulator.endpoint_url());
        let body = json!({ "responses": responses, "credentials": [credentials] });
        let status = self
            .admin
            .post(url)
            .body(body.to_string())
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success(), "script upload failed: {status}");
    }

    async fn recorded(&self) -> Vec<Value> {
        let url = format!("{}/_emulator/script/requests", self.emulator.endpoint_url());
        let bytes = self
            .admin
            .get(url)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let doc: Value = serde_json::from_slice(&bytes).unwrap();
        doc["requests"].as_array().cloned().unwrap_or_default()
    }

    fn client(
        &self,
        credentials: &Value,
        max_attempts: u32,
        read_timeout_ms: Option<u64>,
    ) -> ivschat::Client {
        let creds = ivschat::Credentials::new(
            credentials["accessKeyId"].as_str().unwrap(),
            credentials["secretAccessKey"].as_str().unwrap(),
            credentials["sessionToken"].as_str().map(str::to_owned),
        );
        let mut builder = ivschat::Config::builder()
            .region("us-east-1")
            .endpoint_url(self.emulator.endpoint_url())
            .credentials(creds)
            .retry_config(
                ivschat::RetryConfig::standard()
                    .with_max_attempts(max_attempts)
                    .with_initial_backoff(Duration::from_millis(1)),
            );
        if let Some(ms) = read_timeout_ms {
            builder = builder.read_timeout(Some(Duration::from_millis(ms)));
        }
        ivschat::Client::new(&builder.build().unwrap())
    }

    async fn run(&self, case: &Value) -> Result<(), String> {
        let credentials = case
            .get("credentials")
            .cloned()
            .unwrap_or(json!({"accessKeyId": "test", "secretAccessKey": "test"}));
        let operation = case["operation"].as_str().unwrap();
        let params = case["params"].clone();
        match case["kind"].as_str().unwrap() {
            "request" => {
                self.script(json!([{"status": 200, "headers": {"content-type": "application/json"}, "body": "{}"}]), &credentials).await;
                let _ = self
                    .client(&credentials, 3, None)
                    .call_json(operation, params)
                    .await;
                let requests = self.recorded().await;
                check_request(
                    requests.first().ok_or("no request arrived")?,
                    &case["expect"],
                )
            }
            "response" => {
                self.script(json!([case["response"]]), &credentials).await;
                let outcome = outcome(
                    self.client(&credentials, 1, None)
                        .call_json(operation, params)
                        .await,
                );
                compare(&case["then"], &outcome)
            }
            "behaviour" => {
                self.script(case["responses"].clone(), &credentials).await;
                let config = &case["config"];
                let max = config["maxAttempts"].as_u64().unwrap_or(3) as u32;
                let client = self.client(&credentials, max, config["readTimeoutMs"].as_u64());
                let outcome = outcome(client.call_json(operation, params).await);
                compare(&case["then"], &outcome)?;
                let attempts = self.recorded().await.len() as u64;
                expect_eq("attempts", &json!(attempts), &case["then"]["attempts"])
            }
            "pagination" => {
                let pages = case["pages"].as_array().unwrap();
                self.script(
                    pages.iter().map(|p| p["response"].clone()).collect(),
                    &credentials,
                )
                .await;
                let client = self.client(&credentials, 1, None);
                let items = paginate(&client, operation, &params).await?;
                expect_eq("items", &Value::Array(items), &case["then"]["items"])?;
                let requests = self.recorded().await;
                expect_eq(
                    "requests",
                    &json!(requests.len()),
                    &case["then"]["requests"],
                )?;
                for (request, page) in requests.iter().zip(pages) {
                    expect_eq("page request body", &parse_body(request), &page["params"])?;
                }
                Ok(())
            }
            other => Err(format!("unknown kind {other}")),
        }
    }
}

/// Pages through the typed paginators, returning the items as neutral JSON.
async fn paginate(
    client: &ivschat::Client,
    operation: &str,
    params: &Value,
) -> Result<Vec<Value>, String> {
    let page_size = params["maxResults"].as_i64().map(|n| n as i32);
    let mut items = Vec::new();
    macro_rules! collect {
        ($builder:expr) => {{
            let mut paginator = $builder.into_paginator();
            if let Some(n) = page_size {
                paginator = paginator.page_size(n);
            }
            let mut stream = paginator.items().send();
            while let Some(item) = stream.next().await {
                let item = item.map_err(|e| format!("page failed: {e}"))?;
                items.push(neutral(serde_json::to_value(&item).unwrap()));
            }
        }};
    }
    match operation {
        "ListRooms" => collect!(
            client
                .list_rooms()
                .set_next_token(params["nextToken"].as_str().map(str::to_owned))
                .set_name(params["name"].as_str().map(str::to_owned))
                .set_message_review_handler_uri(
                    params["messageReviewHandlerUri"]
                        .as_str()
                        .map(str::to_owned)
                )
                .set_logging_configuration_identifier(
                    params["loggingConfigurationIdentifier"]
                        .as_str()
                        .map(str::to_owned)
                )
        ),
        "ListLoggingConfigurations" => collect!(
            client
                .list_logging_configurations()
                .set_next_token(params["nextToken"].as_str().map(str::to_owned))
        ),
        other => return Err(format!("{other} does not paginate")),
    }
    Ok(items)
}

fn parse_body(request: &Value) -> Value {
    match request["body"].as_str() {
        Some(text) if !text.is_empty() => {
            serde_json::from_str(text).unwrap_or(Value::String(text.into()))
        }
        _ => Value::Null,
    }
}

fn check_request(r: &Value, e: &Value) -> Result<(), String> {
    expect_eq("method", &r["method"], &e["method"])?;
    expect_eq("path", &r["path"], &e["path"])?;
    expect_eq("query", &r["query"], &e["query"])?;
    for (name, value) in e["headers"].as_object().unwrap() {
        expect_eq(&format!("header {name}"), &r["headers"][name], value)?;
    }
    for name in e["forbidHeaders"].as_array().unwrap() {
        let name = name.as_str().unwrap();
        if !r["headers"][name].is_null() {
            return Err(format!(
                "header {name} must be absent, found {}",
                r["headers"][name]
            ));
        }
    }
    if r["signature"]["valid"] != json!(true) {
        return Err(format!(
            "signature rejected by the emulator: {}",
            r["signature"]
        ));
    }
    expect_eq(
        "signedHeaders",
        &r["signature"]["signedHeaders"],
        &e["signedHeaders"],
    )?;
    expect_eq("body", &parse_body(r), &e["body"])
}

fn outcome(result: Result<Value, ivschat::Error>) -> Value {
    match result {
        Ok(output) => json!({ "output": neutral(output) }),
        Err(e) => {
            let mut error = json!({
                "code": e.code(),
                "message": e.message(),
                "status": e.http_status().unwrap_or(0),
                "fields": Value::Object(e.fields()),
            });
            if let Some(id) = e.request_id() {
                error["requestId"] = json!(id);
            }
            json!({ "error": error })
        }
    }
}

/// Timestamps to the neutral form `YYYY-MM-DDTHH:MM:SS.ffffffZ` (microseconds, truncated).
fn neutral(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = match (&v, TIMESTAMP_MEMBERS.contains(&k.as_str())) {
                        (Value::String(s), true) => json!(neutral_time(s)),
                        _ => neutral(v),
                    };
                    (k, v)
                })
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(neutral).collect()),
        other => other,
    }
}

fn neutral_time(text: &str) -> String {
    let t = chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .to_utc();
    format!(
        "{}.{:06}Z",
        t.format("%Y-%m-%dT%H:%M:%S"),
        t.timestamp_subsec_micros()
    )
}

fn compare(expected: &Value, actual: &Value) -> Result<(), String> {
    if let Some(output) = expected.get("output") {
        return expect_eq("outcome", actual, &json!({ "output": output }));
    }
    let (e, a) = (&expected["error"], &actual["error"]);
    if a.is_null() {
        return Err(format!("expected error {e}, got {actual}"));
    }
    for key in ["code", "status", "fields"] {
        expect_eq(key, &a[key], &e[key])?;
    }
    if !e["requestId"].is_null() {
        expect_eq("requestId", &a["requestId"], &e["requestId"])?;
    }
    let code = e["code"].as_str().unwrap_or_default();
    if !["Timeout", "ConnectionError", "ResponseParseError"].contains(&code) {
        expect_eq("message", &a["message"], &e["message"])?;
    }
    Ok(())
}

fn expect_eq(what: &str, actual: &Value, expected: &Value) -> Result<(), String> {
    if actual == expected {
        Ok(())
    } else {
        Err(format!("{what}: expected {expected}, got {actual}"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance() {
    let emulator = Emulator::builder().port(0).start().await.expect("emulator");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runner = Runner {
        emulator,
        admin: reqwest::Client::new(),
    };
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    let mut failures = Vec::new();
    for case in load_cases() {
        let id = case["id"].as_str().unwrap().to_owned();
        if let Some(reason) = case["skip"][LANGUAGE].as_str() {
            println!("skip {id}: {reason}");
            skipped += 1;
            continue;
        }
        match runner.run(&case).await {
            Ok(()) => passed += 1,
            Err(why) => {
                failed += 1;
                failures.push(format!("FAIL {id}: {why}"));
            }
        }
    }
    for f in &failures {
        println!("{f}");
    }
    println!("conformance: {passed} passed, {failed} failed, {skipped} skipped");
    runner.emulator.shutdown().await;
    assert_eq!(
        failed,
        0,
        "{} conformance cases failed:\n{}",
        failed,
        failures.join("\n")
    );
    assert!(passed >= 250, "only {passed} cases ran");
}
