//! Every operation and every modeled error through a real socket, signed by aws-sigv4.
mod common;

use common::*;
use serde_json::{Value, json};

fn is_iso_millis(s: &str) -> bool {
    s.len() == 24 && s.ends_with('Z') && s.as_bytes()[19] == b'.'
}

#[tokio::test]
async fn room_lifecycle_and_defaults() {
    let emu = start().await;
    let c = Client::new(&emu);
    let r = c
        .op(
            "CreateRoom",
            json!({"name": "demo", "tags": {"env": "dev"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(r.headers.contains_key("x-amzn-requestid"));
    let arn = r.body["arn"].as_str().expect("arn").to_string();
    let id = r.body["id"].as_str().expect("id").to_string();
    assert_eq!(arn, format!("{ROOM_PREFIX}{id}"));
    assert_eq!(id.len(), 12);
    assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(r.body["maximumMessageRatePerSecond"], 10);
    assert_eq!(r.body["maximumMessageLength"], 500);
    assert_eq!(r.body["tags"], json!({"env": "dev"}));
    assert_eq!(r.body["loggingConfigurationIdentifiers"], json!([]));
    assert!(is_iso_millis(r.body["createTime"].as_str().expect("time")));

    let g = c.op("GetRoom", json!({"identifier": arn})).await;
    assert_eq!(g.status, 200);
    assert_eq!(g.body["name"], "demo");

    let u = c
        .op(
            "UpdateRoom",
            json!({"identifier": arn, "name": "renamed", "maximumMessageLength": 100,
                   "messageReviewHandler": {"uri": "arn:aws:lambda:us-east-1:123456789012:function:f"}}),
        )
        .await;
    assert_eq!(u.status, 200, "{:?}", u.body);
    assert_eq!(u.body["name"], "renamed");
    assert_eq!(u.body["maximumMessageLength"], 100);
    assert_eq!(u.body["messageReviewHandler"]["fallbackResult"], "ALLOW");

    let l = c.op("ListRooms", json!({})).await;
    assert_eq!(l.body["rooms"].as_array().map(Vec::len), Some(1));
    let l = c.op("ListRooms", json!({"name": "other"})).await;
    assert_eq!(l.body["rooms"], json!([]));
    let l = c
        .op(
            "ListRooms",
            json!({"messageReviewHandlerUri": "arn:aws:lambda:us-east-1:123456789012:function:f"}),
        )
        .await;
    assert_eq!(l.body["rooms"].as_array().map(Vec::len), Some(1));

    let d = c.op("DeleteRoom", json!({"identifier": arn})).await;
    assert_eq!(d.status, 204);
    assert!(d.raw.is_empty());
    let g = c.op("GetRoom", json!({"identifier": arn})).await;
    assert_eq!(g.status, 404);
    assert_eq!(g.code(), "ResourceNotFoundException");
    assert_eq!(g.body["resourceId"], id.as_str());
    assert_eq!(g.body["resourceType"], "ROOM");
    emu.shutdown().await;
}

#[tokio::test]
async fn validation_errors_name_fields() {
    let emu = start().await;
    let c = Client::new(&emu);
    let r = c
        .op(
            "CreateRoom",
            json!({"name": "x".repeat(129), "maximumMessageLength": 501}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "ValidationException");
    assert_eq!(r.body["reason"], "FIELD_VALIDATION_FAILED");
    let names: Vec<&str> = r.body["fieldList"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert!(
        names.contains(&"name") && names.contains(&"maximumMessageLength"),
        "{names:?}"
    );

    let r = c
        .op(
            "CreateLoggingConfiguration",
            json!({"destinationConfiguration": {"s3": {"bucketName": "AB"}}}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body["fieldList"][0]["name"],
        "destinationConfiguration.s3.bucketName"
    );

    let r = c
        .op(
            "CreateLoggingConfiguration",
            json!({"destinationConfiguration": {"s3": {"bucketName": "abc"}, "firehose": {"deliveryStreamName": "f"}}}),
        )
        .await;
    assert_eq!(r.body["fieldList"][0]["name"], "destinationConfiguration");

    let r = c.op("GetRoom", json!({})).await;
    assert_eq!(
        r.body["fieldList"][0],
        json!({"name": "identifier", "message": "Member must not be null"})
    );

    let r = c.op("CreateChatToken", json!({"roomIdentifier": format!("{ROOM_PREFIX}abc"), "userId": "u", "capabilities": ["FLY"]})).await;
    assert_eq!(r.body["fieldList"][0]["name"], "capabilities[0]");

    let r = c
        .op("CreateRoom", json!({"maximumMessageLength": "big"}))
        .await;
    assert_eq!(r.status, 400);

    let r = c.call("POST", "/CreateRoom", "{not json").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "SerializationException");

    let r = c.call("POST", "/NoSuchOperation", "{}").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "ValidationException");
    assert_eq!(r.body["reason"], "UNKNOWN_OPERATION");
    let r = c.call("GET", "/CreateRoom", "").await;
    assert_eq!(r.body["reason"], "UNKNOWN_OPERATION");
    emu.shutdown().await;
}

#[tokio::test]
async fn logging_configurations_and_conflict() {
    let emu = start().await;
    let c = Client::new(&emu);
    let r = c
        .op("CreateLoggingConfiguration", json!({"name": "lc", "destinationConfiguration": {"cloudWatchLogs": {"logGroupName": "/g"}}, "tags": {"a": "b"}}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["state"], "ACTIVE");
    let lc = r.body["arn"].as_str().expect("arn").to_string();
    assert!(lc.starts_with("arn:aws:ivschat:us-east-1:000000000000:logging-configuration/"));

    let g = c
        .op("GetLoggingConfiguration", json!({"identifier": lc}))
        .await;
    assert_eq!(
        g.body["destinationConfiguration"],
        json!({"cloudWatchLogs": {"logGroupName": "/g"}})
    );
    let u = c
        .op("UpdateLoggingConfiguration", json!({"identifier": lc, "destinationConfiguration": {"firehose": {"deliveryStreamName": "s"}}}))
        .await;
    assert_eq!(
        u.body["destinationConfiguration"],
        json!({"firehose": {"deliveryStreamName": "s"}})
    );
    assert_eq!(u.body["state"], "ACTIVE");

    let room = c
        .op(
            "CreateRoom",
            json!({"loggingConfigurationIdentifiers": [lc]}),
        )
        .await;
    assert_eq!(room.status, 200);
    let room_arn = room.body["arn"].as_str().expect("arn").to_string();
    let l = c
        .op("ListRooms", json!({"loggingConfigurationIdentifier": lc}))
        .await;
    assert_eq!(l.body["rooms"].as_array().map(Vec::len), Some(1));

    let d = c
        .op("DeleteLoggingConfiguration", json!({"identifier": lc}))
        .await;
    assert_eq!(d.status, 409);
    assert_eq!(d.code(), "ConflictException");
    assert_eq!(d.body["resourceType"], "ROOM");

    let missing = "arn:aws:ivschat:us-east-1:000000000000:logging-configuration/AAAAAAAAAAAA";
    let r = c
        .op(
            "CreateRoom",
            json!({"loggingConfigurationIdentifiers": [missing]}),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["resourceId"], "AAAAAAAAAAAA");

    let u = c
        .op(
            "UpdateRoom",
            json!({"identifier": room_arn, "loggingConfigurationIdentifiers": []}),
        )
        .await;
    assert_eq!(u.status, 200);
    let d = c
        .op("DeleteLoggingConfiguration", json!({"identifier": lc}))
        .await;
    assert_eq!(d.status, 204);
    let l = c.op("ListLoggingConfigurations", json!({})).await;
    assert_eq!(l.body["loggingConfigurations"], json!([]));
    emu.shutdown().await;
}

#[tokio::test]
async fn tags_on_rooms_and_logging_configurations() {
    let emu = start().await;
    let c = Client::new(&emu);
    let room = c.op("CreateRoom", json!({})).await.body["arn"]
        .as_str()
        .expect("arn")
        .to_string();
    let lc = c
        .op(
            "CreateLoggingConfiguration",
            json!({"destinationConfiguration": {"s3": {"bucketName": "bucket"}}}),
        )
        .await
        .body["arn"]
        .as_str()
        .expect("arn")
        .to_string();
    for arn in [&room, &lc] {
        let p = format!("/tags/{}", enc(arn));
        let r = c
            .call(
                "POST",
                &p,
                &json!({"tags": {"a": "1", "b": "2"}}).to_string(),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body, json!({}));
        let r = c
            .call("DELETE", &format!("{p}?tagKeys=a&tagKeys=zz"), "")
            .await;
        assert_eq!(r.status, 200);
        let r = c.call("GET", &p, "").await;
        assert_eq!(r.body, json!({"tags": {"b": "2"}}));
        let r = c
            .call("POST", &p, &json!({"tags": {"aws:x": "1"}}).to_string())
            .await;
        assert_eq!(r.status, 400);
        let many: serde_json::Map<String, Value> =
            (0..50).map(|i| (format!("k{i}"), json!("v"))).collect();
        let r = c.call("POST", &p, &json!({"tags": many}).to_string()).await;
        assert_eq!(r.status, 400, "51 tags in total");
    }
    let other = "arn:aws:ivschat:us-east-1:000000000000:room/ZZZZZZZZZZZZ";
    let r = c.call("GET", &format!("/tags/{}", enc(other)), "").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["resourceId"], "ZZZZZZZZZZZZ");
    let r = c
        .call("GET", &format!("/tags/{}", enc("not-an-arn")), "")
        .await;
    assert_eq!(r.status, 400);
    emu.shutdown().await;
}

#[tokio::test]
async fn pagination_sorted_by_update_time() {
    let emu = start().await;
    let c = Client::new(&emu);
    let mut created = Vec::new();
    // Back to back, so several writes share a millisecond: their order must still hold.
    for i in 0..12 {
        let r = c.op("CreateRoom", json!({"name": format!("r{i}")})).await;
        created.push(r.body["arn"].as_str().expect("arn").to_string());
    }
    let r = c
        .op(
            "UpdateRoom",
            json!({"identifier": created[0], "name": "r0"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let updated = created.remove(0);
    created.push(updated);
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({"maxResults": 2});
        if let Some(t) = &token {
            body["nextToken"] = json!(t);
        }
        let r = c.op("ListRooms", body).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        for room in r.body["rooms"].as_array().expect("rooms") {
            seen.push(room["arn"].as_str().expect("arn").to_string());
        }
        match r.body["nextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    created.reverse();
    assert_eq!(seen, created, "newest first, no duplicates");
    let first = c.op("ListRooms", json!({"maxResults": 1})).await;
    let t = first.body["nextToken"].as_str().expect("token").to_string();
    let tampered = format!("x{t}");
    let r = c.op("ListRooms", json!({"nextToken": tampered})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "ValidationException");
    let r = c
        .op("ListRooms", json!({"nextToken": t, "name": "r1"}))
        .await;
    assert_eq!(r.status, 400, "token reused with other filters");
    emu.shutdown().await;
}

#[tokio::test]
async fn chat_tokens_and_events() {
    let emu = start().await;
    let c = Client::new(&emu);
    let mut events = emu.events().subscribe();
    let room = c.op("CreateRoom", json!({})).await.body["arn"]
        .as_str()
        .expect("arn")
        .to_string();
    let r = c
        .op("CreateChatToken", json!({"roomIdentifier": room, "userId": "u1", "capabilities": ["SEND_MESSAGE"], "sessionDurationInMinutes": 30, "attributes": {"k": "v"}}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let token = r.body["token"].as_str().expect("token");
    assert!(
        token.len() >= 32
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert!(is_iso_millis(
        r.body["tokenExpirationTime"].as_str().expect("t")
    ));
    assert!(is_iso_millis(
        r.body["sessionExpirationTime"].as_str().expect("t")
    ));

    let big: serde_json::Map<String, Value> = (0..20)
        .map(|i| (format!("key{i}"), json!("v".repeat(60))))
        .collect();
    let r = c
        .op(
            "CreateChatToken",
            json!({"roomIdentifier": room, "userId": "u1", "attributes": big}),
        )
        .await;
    assert_eq!(r.status, 400, "attributes over 1 KB");

    let r = c
        .op(
            "SendEvent",
            json!({"roomIdentifier": room, "eventName": "app:hello", "attributes": {"a": "b"}}),
        )
        .await;
    assert_eq!(r.status, 200);
    let id = r.body["id"].as_str().expect("id").to_string();
    assert_eq!(id.len(), 12);
    let notice = events.recv().await.expect("event published");
    assert_eq!(notice.room_arn, room);
    assert!(
        matches!(notice.event, ivschat_emulator::hooks::RoomEvent::Event { ref event_name, .. } if event_name == "app:hello")
    );

    let r = c
        .op(
            "DeleteMessage",
            json!({"roomIdentifier": room, "id": "ABCDEFGHIJKL", "reason": "spam"}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["id"].as_str().map(str::len), Some(12));
    let r = c
        .op(
            "DisconnectUser",
            json!({"roomIdentifier": room, "userId": "u1"}),
        )
        .await;
    assert_eq!((r.status, r.body.clone()), (200, json!({})));

    let gone = format!("{ROOM_PREFIX}AAAAAAAAAAAA");
    for (op, body) in [
        (
            "CreateChatToken",
            json!({"roomIdentifier": gone, "userId": "u"}),
        ),
        (
            "SendEvent",
            json!({"roomIdentifier": gone, "eventName": "e"}),
        ),
        (
            "DeleteMessage",
            json!({"roomIdentifier": gone, "id": "ABCDEFGHIJKL"}),
        ),
        (
            "DisconnectUser",
            json!({"roomIdentifier": gone, "userId": "u"}),
        ),
    ] {
        let r = c.op(op, body).await;
        assert_eq!(r.status, 404, "{op}");
        assert_eq!(r.code(), "ResourceNotFoundException");
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn authentication_errors() {
    let emu = start().await;
    let good = Client::new(&emu);
    assert_eq!(good.op("ListRooms", json!({})).await.status, 200);

    let wrong = Client::with(&emu, "test", "nope");
    let r = wrong.op("ListRooms", json!({})).await;
    assert_eq!((r.status, r.code()), (403, "InvalidSignatureException"));
    assert!(
        r.body["message"]
            .as_str()
            .expect("m")
            .starts_with("The request signature we calculated does not match")
    );

    let unknown = Client::with(&emu, "AKIAUNKNOWN", "x");
    let r = unknown.op("ListRooms", json!({})).await;
    assert_eq!((r.status, r.code()), (403, "UnrecognizedClientException"));
    assert_eq!(
        r.body["message"],
        "The security token included in the request is invalid."
    );

    let mut old = Client::new(&emu);
    old.time_offset = std::time::Duration::from_secs(20 * 60);
    let r = old.op("ListRooms", json!({})).await;
    assert_eq!((r.status, r.code()), (403, "InvalidSignatureException"));
    assert!(
        r.body["message"]
            .as_str()
            .expect("m")
            .starts_with("Signature expired:")
    );

    let mut west = Client::new(&emu);
    west.region = "us-west-2".into();
    assert_eq!(
        west.op("ListRooms", json!({})).await.code(),
        "InvalidSignatureException"
    );

    let r = admin(emu.local_addr(), "POST", "/ListRooms", "{}").await;
    assert_eq!(
        (r.status, r.code()),
        (403, "MissingAuthenticationTokenException")
    );

    // tamper with the body after signing
    let mut req = good.signed("POST", "/ListRooms", b"{}");
    *req.body_mut() = http_body_util::Full::new(bytes::Bytes::from_static(b"{ }"));
    let r = send(emu.local_addr(), req).await;
    assert_eq!(r.code(), "InvalidSignatureException");
    emu.shutdown().await;
}

#[tokio::test]
async fn accounts_are_isolated_and_session_tokens() {
    let emu = Emulator::builder()
        .port(0)
        .identity("AKA", "secretA", "111111111111")
        .identity("AKB", "secretB", "222222222222")
        .identity_with_session_token("AKT", "secretT", "333333333333", "tok")
        .start()
        .await
        .expect("start");
    let a = Client::with(&emu, "AKA", "secretA");
    let b = Client::with(&emu, "AKB", "secretB");
    let r = a.op("CreateRoom", json!({})).await;
    let arn = r.body["arn"].as_str().expect("arn").to_string();
    assert!(arn.starts_with("arn:aws:ivschat:us-east-1:111111111111:room/"));
    assert_eq!(
        b.op("GetRoom", json!({"identifier": arn})).await.status,
        404
    );
    assert_eq!(b.op("ListRooms", json!({})).await.body["rooms"], json!([]));
    assert_eq!(
        b.call("GET", &format!("/tags/{}", enc(&arn)), "")
            .await
            .status,
        404
    );
    assert_eq!(
        Client::new(&emu).op("ListRooms", json!({})).await.code(),
        "UnrecognizedClientException"
    );

    let mut t = Client::with(&emu, "AKT", "secretT");
    assert_eq!(
        t.op("ListRooms", json!({})).await.code(),
        "UnrecognizedClientException"
    );
    t.token = Some("tok".into());
    assert_eq!(t.op("ListRooms", json!({})).await.status, 200);
    t.token = Some("other".into());
    assert_eq!(
        t.op("ListRooms", json!({})).await.code(),
        "UnrecognizedClientException"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn service_quotas() {
    let emu = Emulator::builder()
        .port(0)
        .max_rooms(2)
        .max_logging_configurations(1)
        .start()
        .await
        .expect("start");
    let c = Client::new(&emu);
    assert_eq!(c.op("CreateRoom", json!({})).await.status, 200);
    assert_eq!(c.op("CreateRoom", json!({})).await.status, 200);
    let r = c.op("CreateRoom", json!({})).await;
    assert_eq!((r.status, r.code()), (402, "ServiceQuotaExceededException"));
    assert_eq!(r.body["limit"], 2);
    assert_eq!(r.body["resourceType"], "ROOM");
    let lc = json!({"destinationConfiguration": {"s3": {"bucketName": "bucket"}}});
    assert_eq!(
        c.op("CreateLoggingConfiguration", lc.clone()).await.status,
        200
    );
    let r = c.op("CreateLoggingConfiguration", lc).await;
    assert_eq!((r.status, r.body["limit"].clone()), (402, json!(1)));
    emu.shutdown().await;
}

#[tokio::test]
async fn concurrent_tag_resource_100() {
    for durable in [false, true] {
        let dir = tempfile::tempdir().expect("tmp");
        let mut b = Emulator::builder().port(0);
        if durable {
            b = b.data_dir(dir.path());
        }
        let emu = b.start().await.expect("start");
        let c = Client::new(&emu);
        let arn = c.op("CreateRoom", json!({})).await.body["arn"]
            .as_str()
            .expect("arn")
            .to_string();
        let path = format!("/tags/{}", enc(&arn));
        let mut tasks = Vec::new();
        for i in 0..100 {
            let c = c.clone();
            let path = path.clone();
            tasks.push(tokio::spawn(async move {
                c.call(
                    "POST",
                    &path,
                    &json!({"tags": {format!("k{}", i % 50): format!("v{i}")}}).to_string(),
                )
                .await
                .status
            }));
        }
        for t in tasks {
            assert_eq!(t.await.expect("join"), 200);
        }
        let tags = c.call("GET", &path, "").await.body["tags"].clone();
        let tags = tags.as_object().expect("map");
        assert_eq!(tags.len(), 50, "durable={durable}");
        for i in 0..50 {
            let v = tags[&format!("k{i}")].as_str().expect("v");
            assert!(v == format!("v{i}") || v == format!("v{}", i + 50));
        }
        emu.shutdown().await;
    }
}

#[tokio::test]
async fn js_sdk_style_signed_headers_verify() {
    let emu = start().await;
    let mut c = Client::new(&emu);
    c.js_style = true;
    let req = c.signed("POST", "/CreateRoom", br#"{"name":"js"}"#);
    let auth = req.headers()["authorization"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(
        auth.contains("SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-user-agent"),
        "{auth}"
    );
    let r = send(emu.local_addr(), req).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let arn = r.body["arn"].as_str().expect("arn").to_string();
    let r = c.call("GET", &format!("/tags/{}", enc(&arn)), "").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    emu.shutdown().await;
}
