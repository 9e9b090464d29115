//! Differential test against botocore, the reference implementation: every request case of the
//! conformance suite is sent by the core (clock frozen at 2015-08-30T12:36:00Z) to a capturing
//! server; then botocore (tools/oracle/sign_requests.py) builds the same call itself and re-signs
//! our exact bytes. Method, path, query, signed headers and JSON body must match botocore's
//! request, and our signature must equal botocore's over the same bytes.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, UNIX_EPOCH};

use serde_json::{Value, json};
use support::ScriptedServer;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The Python that has botocore: `$IVSCHAT_PYTHON`, else the repo's `.venv` (made by `make venv`).
fn python() -> Option<PathBuf> {
    std::env::var_os("IVSCHAT_PYTHON")
        .map(PathBuf::from)
        .or_else(|| Some(workspace().join(".venv/bin/python")).filter(|p| p.exists()))
}

fn signed_headers(authorization: &str) -> &str {
    authorization
        .split("SignedHeaders=")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_default()
}

fn signature(authorization: &str) -> &str {
    authorization
        .rsplit("Signature=")
        .next()
        .unwrap_or_default()
}

/// Splits a URL into (path, query) after the authority.
fn path_and_query(url: &str) -> (String, String) {
    let after_scheme = url.split_once("://").map(|(_, rest)| rest).unwrap_or(url);
    let target = after_scheme
        .find('/')
        .map(|i| &after_scheme[i..])
        .unwrap_or("/");
    match target.split_once('?') {
        Some((p, q)) => (p.to_owned(), q.to_owned()),
        None => (target.to_owned(), String::new()),
    }
}

#[tokio::test]
async fn requests_match_botocore() {
    let Some(python) = python() else {
        assert!(
            std::env::var_os("IVSCHAT_REQUIRE_ORACLE").is_none(),
            "IVSCHAT_REQUIRE_ORACLE is set but no Python with botocore was found"
        );
        println!(
            "SKIPPED: botocore differential test (no .venv: run `make venv` or set IVSCHAT_PYTHON)"
        );
        return;
    };
    let cases: Value = serde_json::from_slice(
        &std::fs::read(workspace().join("tests/conformance/cases/requests.json")).unwrap(),
    )
    .unwrap();
    let cases = cases["cases"].as_array().unwrap();
    let server = ScriptedServer::start(vec![]).await;
    let frozen = UNIX_EPOCH + Duration::from_secs(1_440_938_160);

    let mut requests = Vec::new();
    for case in cases {
        let creds = case
            .get("credentials")
            .cloned()
            .unwrap_or(json!({"accessKeyId": "test", "secretAccessKey": "test"}));
        let config = ivschat::Config::builder()
            .region("us-east-1")
            .endpoint_url(&server.url)
            .credentials(ivschat::Credentials::new(
                creds["accessKeyId"].as_str().unwrap(),
                creds["secretAccessKey"].as_str().unwrap(),
                creds["sessionToken"].as_str().map(str::to_owned),
            ))
            .time_source(ivschat::config::StaticTimeSource(frozen))
            .build()
            .unwrap();
        let client = ivschat::Client::new(&config);
        let before = server.requests().len();
        client
            .call_json(case["operation"].as_str().unwrap(), case["params"].clone())
            .await
            .unwrap();
        let sent = &server.requests()[before];
        let headers: serde_json::Map<String, Value> = sent
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        requests.push(json!({
            "id": case["id"], "operation": case["operation"], "params": case["params"],
            "credentials": creds, "endpoint": server.url,
            "sent": {
                "method": sent.method, "url": format!("{}{}", server.url, sent.target), "headers": headers,
                "body": (!sent.body.is_empty()).then(|| String::from_utf8(sent.body.clone()).unwrap()),
            },
        }));
    }

    let mut child = Command::new(&python)
        .arg(workspace().join("tools/oracle/sign_requests.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", python.display()));
    let input = json!({"time": "20150830T123600Z", "region": "us-east-1", "requests": requests});
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "sign_requests.py failed");
    let oracle: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(oracle.len(), requests.len());

    let mut operations = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for (ours, theirs) in requests.iter().zip(&oracle) {
        let id = ours["id"].as_str().unwrap();
        let sent = &ours["sent"];
        let boto = &theirs["botocore"];
        let resigned = &theirs["resigned"];
        let our_auth = sent["headers"]["authorization"].as_str().unwrap();
        let mut check = |what: &str, a: &Value, b: &Value| {
            if a != b {
                failures.push(format!("{id}: {what}: ours {a}, botocore {b}"));
            }
        };
        check("method", &sent["method"], &boto["method"]);
        let (our_path, our_query) = path_and_query(sent["url"].as_str().unwrap());
        let (boto_path, boto_query) = path_and_query(boto["url"].as_str().unwrap());
        check("path", &json!(our_path), &json!(boto_path));
        check(
            "query",
            &json!(our_query),
            &json!(boto_query.trim_end_matches('?')),
        );
        check(
            "signed headers",
            &json!(signed_headers(our_auth)),
            &boto["signedHeaders"],
        );
        check(
            "signed headers (re-signed)",
            &json!(signed_headers(our_auth)),
            &resigned["signedHeaders"],
        );
        let body = |v: &Value| {
            v.as_str()
                .map(|s| serde_json::from_str::<Value>(s).unwrap())
        };
        check(
            "body",
            &json!(body(&sent["body"])),
            &json!(body(&boto["body"])),
        );
        check(
            "signature over our bytes",
            &json!(signature(our_auth)),
            &resigned["signature"],
        );
        check(
            "x-amz-date",
            &sent["headers"]["x-amz-date"],
            &json!("20150830T123600Z"),
        );
        if failures.iter().any(|f| f.starts_with(id)) {
            println!(
                "{id}: botocore canonical request over our bytes:\n{}",
                resigned["canonicalRequest"].as_str().unwrap_or_default()
            );
        }
        operations.insert(ours["operation"].as_str().unwrap().to_owned());
    }
    println!(
        "botocore differential: {} requests, {} operations, {} mismatches",
        requests.len(),
        operations.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(requests.len() >= 60, "only {} requests", requests.len());
    assert_eq!(operations.len(), 17, "{operations:?}");
}
