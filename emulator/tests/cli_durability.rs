//! The `ivschat-local` binary: startup line, SIGTERM, and SQLite durability across SIGKILL.
mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

fn spawn(args: &[&str]) -> (Child, SocketAddr, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ivschat-local"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn ivschat-local");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("startup line");
    let line = line.trim_end().to_string();
    let rest = line
        .strip_prefix("ivschat-local listening on http://")
        .unwrap_or_else(|| panic!("bad line {line:?}"));
    let addr: SocketAddr = rest.parse().expect("host:port");
    (child, addr, line)
}

fn wait_exit(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let t = Instant::now();
    while t.elapsed() < within {
        if let Ok(Some(s)) = child.try_wait() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

#[tokio::test]
async fn startup_line_and_sigterm() {
    let (mut child, addr, line) = spawn(&["--port", "0", "--host", "127.0.0.1"]);
    assert_eq!(
        line,
        format!(
            "ivschat-local listening on http://127.0.0.1:{}",
            addr.port()
        )
    );
    assert_ne!(addr.port(), 0);
    let c = Client::at(addr, "test", "test");
    assert_eq!(c.op("ListRooms", json!({})).await.status, 200);
    let st = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(st.success());
    let status = wait_exit(&mut child, Duration::from_secs(10)).expect("exits on SIGTERM");
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn cli_identities_and_bad_args() {
    let (mut child, addr, _) = spawn(&[
        "--port",
        "0",
        "--region",
        "eu-west-1",
        "--access-key-id",
        "AK1",
        "--secret-access-key",
        "S1",
        "--account-id",
        "123456789012",
    ]);
    let mut c = Client::at(addr, "AK1", "S1");
    c.region = "eu-west-1".into();
    let r = c.op("CreateRoom", json!({})).await;
    assert!(
        r.body["arn"]
            .as_str()
            .expect("arn")
            .starts_with("arn:aws:ivschat:eu-west-1:123456789012:room/")
    );
    let mut t = Client::at(addr, "test", "test");
    t.region = "eu-west-1".into();
    assert_eq!(
        t.op("ListRooms", json!({})).await.code(),
        "UnrecognizedClientException"
    );
    child.kill().expect("kill");
    let _ = child.wait();

    let out = Command::new(env!("CARGO_BIN_EXE_ivschat-local"))
        .args(["--bogus"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn sqlite_survives_sigkill() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path().to_str().expect("utf8");
    let (mut child, addr, _) = spawn(&["--port", "0", "--data-dir", d]);
    let c = Client::at(addr, "test", "test");
    let room = c
        .op("CreateRoom", json!({"name": "durable", "tags": {"a": "1"}}))
        .await;
    let arn = room.body["arn"].as_str().expect("arn").to_string();
    let lc = c
        .op(
            "CreateLoggingConfiguration",
            json!({"destinationConfiguration": {"s3": {"bucketName": "bkt"}}}),
        )
        .await;
    let lc_arn = lc.body["arn"].as_str().expect("arn").to_string();
    let r = c
        .call(
            "POST",
            &format!("/tags/{}", enc(&arn)),
            &json!({"tags": {"b": "2"}}).to_string(),
        )
        .await;
    assert_eq!(r.status, 200);
    let mut deleted = Vec::new();
    for _ in 0..20 {
        let r = c.op("CreateRoom", json!({})).await;
        let a = r.body["arn"].as_str().expect("arn").to_string();
        assert_eq!(
            c.op("DeleteRoom", json!({"identifier": a})).await.status,
            204
        );
        deleted.push(a);
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();

    let (mut child, addr, _) = spawn(&["--port", "0", "--data-dir", d]);
    let c = Client::at(addr, "test", "test");
    let g = c.op("GetRoom", json!({"identifier": arn})).await;
    assert_eq!(g.status, 200);
    assert_eq!(g.body["name"], "durable");
    assert_eq!(g.body["tags"], json!({"a": "1", "b": "2"}));
    assert_eq!(
        c.op("GetLoggingConfiguration", json!({"identifier": lc_arn}))
            .await
            .status,
        200
    );
    for a in deleted {
        assert_eq!(c.op("GetRoom", json!({"identifier": a})).await.status, 404);
    }
    assert_eq!(
        c.op("ListRooms", json!({})).await.body["rooms"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    child.kill().expect("kill");
    let _ = child.wait();
}
