//! End-to-end: every operation through the typed API against an in-process `ivschat-local`.

use std::time::Duration;

use ivschat::types::*;
use ivschat_emulator::{Emulator, EmulatorHandle};

async fn start() -> (EmulatorHandle, ivschat::Client) {
    let emulator = Emulator::builder().port(0).start().await.expect("emulator");
    let client = client_for(&emulator, "test", "test");
    (emulator, client)
}

fn client_for(emulator: &EmulatorHandle, access_key: &str, secret: &str) -> ivschat::Client {
    let config = ivschat::Config::builder()
        .region("us-east-1")
        .endpoint_url(emulator.endpoint_url())
        .credentials(ivschat::Credentials::new(access_key, secret, None))
        .build()
        .unwrap();
    ivschat::Client::new(&config)
}

fn s3(bucket: &str) -> DestinationConfiguration {
    DestinationConfiguration::S3(
        S3DestinationConfiguration::builder()
            .bucket_name(bucket)
            .build()
            .unwrap(),
    )
}

#[tokio::test]
async fn every_operation_round_trips() {
    let (emulator, client) = start().await;

    let log = client
        .create_logging_configuration()
        .name("chat-logs")
        .destination_configuration(s3("my-chat-logs"))
        .tags("team", "chat")
        .send()
        .await
        .unwrap();
    let log_arn = log.arn().unwrap().to_owned();
    assert!(
        log_arn.starts_with("arn:aws:ivschat:us-east-1:000000000000:logging-configuration/"),
        "{log_arn}"
    );
    assert_eq!(log.id().map(str::len), Some(12));
    assert_eq!(log.state(), Some(&CreateLoggingConfigurationState::Active));
    assert_eq!(
        log.destination_configuration()
            .and_then(|d| d.as_s3())
            .map(|s| s.bucket_name()),
        Some("my-chat-logs")
    );

    let room = client
        .create_room()
        .name("lobby")
        .maximum_message_length(200)
        .tags("env", "dev")
        .logging_configuration_identifiers(&log_arn)
        .send()
        .await
        .unwrap();
    let room_arn = room.arn().unwrap().to_owned();
    assert!(
        room_arn.starts_with("arn:aws:ivschat:us-east-1:000000000000:room/"),
        "{room_arn}"
    );
    assert_eq!(room.maximum_message_length(), Some(200));
    assert_eq!(
        room.maximum_message_rate_per_second(),
        Some(10),
        "documented default"
    );
    assert!(room.create_time().is_some() && room.update_time().is_some());

    let got = client
        .get_room()
        .identifier(&room_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (got.name(), got.logging_configuration_identifiers()),
        (Some("lobby"), &[log_arn.clone()][..])
    );
    assert_eq!(got.create_time(), room.create_time());

    let updated = client
        .update_room()
        .identifier(&room_arn)
        .maximum_message_rate_per_second(50)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.maximum_message_rate_per_second(), Some(50));
    assert!(updated.update_time() >= room.update_time());

    let got_log = client
        .get_logging_configuration()
        .identifier(&log_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(got_log.name(), Some("chat-logs"));
    let updated_log = client
        .update_logging_configuration()
        .identifier(&log_arn)
        .name("renamed")
        .send()
        .await
        .unwrap();
    assert_eq!(updated_log.name(), Some("renamed"));
    assert_eq!(
        updated_log.state(),
        Some(&UpdateLoggingConfigurationState::Active)
    );

    let rooms = client.list_rooms().send().await.unwrap();
    assert_eq!(rooms.rooms().len(), 1);
    let by_log = client
        .list_rooms()
        .logging_configuration_identifier(&log_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(by_log.rooms()[0].arn(), Some(room_arn.as_str()));
    let logs = client.list_logging_configurations().send().await.unwrap();
    assert_eq!(logs.logging_configurations().len(), 1);

    client
        .tag_resource()
        .resource_arn(&room_arn)
        .tags("owner", "ана")
        .send()
        .await
        .unwrap();
    let tags = client
        .list_tags_for_resource()
        .resource_arn(&room_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().get("owner").map(String::as_str), Some("ана"));
    assert_eq!(tags.tags().len(), 2);
    client
        .untag_resource()
        .resource_arn(&room_arn)
        .tag_keys("env")
        .send()
        .await
        .unwrap();
    let tags = client
        .list_tags_for_resource()
        .resource_arn(&log_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().get("team").map(String::as_str), Some("chat"));
    let tags = client
        .list_tags_for_resource()
        .resource_arn(&room_arn)
        .send()
        .await
        .unwrap();
    assert!(!tags.tags().contains_key("env"));

    let token = client
        .create_chat_token()
        .room_identifier(&room_arn)
        .user_id("alice")
        .capabilities(ChatTokenCapability::SendMessage)
        .session_duration_in_minutes(30)
        .attributes("display", "Alice")
        .send()
        .await
        .unwrap();
    assert!(!token.token().unwrap().is_empty());
    let session =
        token.session_expiration_time().unwrap().secs() - room.create_time().unwrap().secs();
    assert!((29 * 60..=31 * 60).contains(&session), "{session}");
    assert!(
        !format!("{token:?}").contains(token.token().unwrap()),
        "the token is redacted in Debug"
    );

    let event = client
        .send_event()
        .room_identifier(&room_arn)
        .event_name("app:poll")
        .attributes("q", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(event.id().map(str::len), Some(12));
    let deleted = client
        .delete_message()
        .room_identifier(&room_arn)
        .id("ABCDEFGH1234")
        .reason("spam")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.id().map(str::len), Some(12));
    client
        .disconnect_user()
        .room_identifier(&room_arn)
        .user_id("alice")
        .reason("bye")
        .send()
        .await
        .unwrap();

    // The logging configuration is in use: the service refuses to delete it.
    let err = client
        .delete_logging_configuration()
        .identifier(&log_arn)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, ivschat::Error::ConflictException(_)),
        "{err:?}"
    );

    client
        .delete_room()
        .identifier(&room_arn)
        .send()
        .await
        .unwrap();
    client
        .delete_logging_configuration()
        .identifier(&log_arn)
        .send()
        .await
        .unwrap();
    let err = client
        .get_room()
        .identifier(&room_arn)
        .send()
        .await
        .unwrap_err();
    let ivschat::Error::ResourceNotFoundException(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.resource_id(), room_arn.rsplit('/').next().unwrap());
    assert_eq!(err.http_status(), Some(404));
    assert!(err.request_id().is_some());
    emulator.shutdown().await;
}

#[tokio::test]
async fn the_paginator_walks_every_room() {
    let (emulator, client) = start().await;
    for i in 0..7 {
        client
            .create_room()
            .name(format!("room-{i}"))
            .send()
            .await
            .unwrap();
    }
    let pages: Vec<_> = client
        .list_rooms()
        .into_paginator()
        .page_size(3)
        .send()
        .collect()
        .await;
    assert_eq!(pages.len(), 3);
    let names: Vec<String> = client
        .list_rooms()
        .into_paginator()
        .page_size(2)
        .items()
        .send()
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .map(|r| r.unwrap().name().unwrap().to_owned())
        .collect();
    assert_eq!(names.len(), 7);
    let newest_first: Vec<String> = (0..7).rev().map(|i| format!("room-{i}")).collect();
    assert_eq!(names, newest_first, "sorted by updateTime descending");
    emulator.shutdown().await;
}

#[tokio::test]
async fn service_errors_carry_their_fields() {
    let (emulator, client) = start().await;
    let err = client
        .create_room()
        .name("bad name!")
        .maximum_message_length(501)
        .send()
        .await
        .unwrap_err();
    let ivschat::Error::ValidationException(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        e.reason(),
        Some(&ValidationExceptionReason::FieldValidationFailed)
    );
    let fields: Vec<&str> = e.field_list().iter().map(|f| f.name()).collect();
    assert!(
        fields.contains(&"name") && fields.contains(&"maximumMessageLength"),
        "{fields:?}"
    );
    assert!(!err.is_retryable());

    let bad_secret = client_for(&emulator, "test", "wrong");
    let err = bad_secret.list_rooms().send().await.unwrap_err();
    assert_eq!(
        (err.code(), err.http_status()),
        ("InvalidSignatureException", Some(403))
    );
    assert!(matches!(err, ivschat::Error::Unhandled(_)));
    assert!(
        !err.to_string().contains("wrong"),
        "no secret in messages: {err}"
    );

    let unknown_key = client_for(&emulator, "AKIDUNKNOWN", "x");
    let err = unknown_key.list_rooms().send().await.unwrap_err();
    assert_eq!(err.code(), "UnrecognizedClientException");
    emulator.shutdown().await;
}

#[tokio::test]
async fn concurrent_calls_share_one_client() {
    let (emulator, client) = start().await;
    let room = client
        .create_room()
        .send()
        .await
        .unwrap()
        .arn()
        .unwrap()
        .to_owned();
    let calls = (0..200).map(|i| {
        let client = client.clone();
        let room = room.clone();
        tokio::spawn(async move {
            client
                .tag_resource()
                .resource_arn(room)
                .tags(format!("k{}", i % 40), "v")
                .send()
                .await
        })
    });
    for call in calls {
        call.await.unwrap().unwrap();
    }
    let tags = client
        .list_tags_for_resource()
        .resource_arn(&room)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 40);
    tokio::time::timeout(Duration::from_secs(10), emulator.shutdown())
        .await
        .unwrap();
}

#[tokio::test]
async fn dynamic_calls_and_pages_use_wire_json() {
    let (emulator, client) = start().await;
    for i in 0..5 {
        let out = client
            .call_json(
                "CreateRoom",
                serde_json::json!({"name": format!("dyn-{i}")}),
            )
            .await
            .unwrap();
        assert!(out["arn"].as_str().unwrap().contains(":room/"));
        assert!(out["createTime"].as_str().unwrap().ends_with('Z'), "{out}");
    }
    let pages: Vec<_> = client
        .paginate_json("ListRooms", serde_json::json!({}), Some(2))
        .unwrap()
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .map(|p| p.unwrap())
        .collect();
    assert_eq!(pages.len(), 3);
    assert_eq!(
        pages
            .iter()
            .map(|p| p["rooms"].as_array().unwrap().len())
            .sum::<usize>(),
        5
    );
    let err = client
        .call_json("CreateRoom", serde_json::json!({"nmae": "x"}))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "InvalidInput");
    assert!(err.message().contains("nmae"), "{err}");
    let err = client
        .call_json(
            "CreateRoom",
            serde_json::json!({"maximumMessageLength": "ten"}),
        )
        .await
        .unwrap_err();
    assert!(err.message().contains("maximumMessageLength"), "{err}");
    let err = client
        .call_json("Nope", serde_json::json!({}))
        .await
        .unwrap_err();
    assert!(err.message().contains("Nope"), "{err}");
    assert!(
        client
            .paginate_json("GetRoom", serde_json::json!({}), None)
            .is_err()
    );
    emulator.shutdown().await;
}

/// The text form gives what the `Value` form gives, and names bad members the same way.
#[tokio::test]
async fn dynamic_calls_with_json_text_match_the_value_form() {
    let (emulator, client) = start().await;
    let (created, meta) = client
        .call_json_text_with_metadata("CreateRoom", r#"{"name": "text", "tags": {"k": "v"}}"#)
        .await;
    assert_eq!(meta.http_status, Some(200));
    let created: serde_json::Value = serde_json::from_str(&created.unwrap()).unwrap();
    let arn = created["arn"].as_str().unwrap();
    let by_value = client
        .call_json("GetRoom", serde_json::json!({"identifier": arn}))
        .await
        .unwrap();
    let params = serde_json::json!({"identifier": arn}).to_string();
    let (by_text, _) = client
        .call_json_text_with_metadata("GetRoom", &params)
        .await;
    let by_text: serde_json::Value = serde_json::from_str(&by_text.unwrap()).unwrap();
    assert_eq!(by_text, by_value);
    assert_eq!(by_text["tags"]["k"], "v");

    for (params, member) in [
        (r#"{"nmae": "x"}"#, "nmae"),
        (r#"{"maximumMessageLength": "ten"}"#, "maximumMessageLength"),
        (r#"{"tags": {"k": 1}}"#, "tags.k"),
    ] {
        let (result, meta) = client
            .call_json_text_with_metadata("CreateRoom", params)
            .await;
        let err = result.unwrap_err();
        assert_eq!(err.code(), "InvalidInput");
        assert!(err.message().contains(member), "{params}: {err}");
        assert_eq!(meta.attempts, 0, "nothing is sent");
    }
    for bad in ["{", "[1]", r#"{"name": "a"} trailing"#] {
        let (result, _) = client.call_json_text_with_metadata("CreateRoom", bad).await;
        assert_eq!(result.unwrap_err().code(), "InvalidInput", "{bad}");
    }
    let (rooms, _) = client.call_json_text_with_metadata("ListRooms", "").await;
    assert!(rooms.unwrap().contains("\"rooms\""));
    emulator.shutdown().await;
}

/// The typed dynamic call reads its input from any serde deserializer, returns the typed
/// output (which serializes as `call_json` gives it), and pages only the paginated operations.
#[tokio::test]
async fn typed_dynamic_calls_take_any_deserializer() {
    use ivschat::dynamic::{OperationInput, OperationOutput};
    let (emulator, client) = start().await;
    let text = r#"{"name": "typed", "tags": {"createTime": "not a time"}}"#;
    let input =
        OperationInput::from_wire("CreateRoom", &mut serde_json::Deserializer::from_str(text))
            .unwrap();
    assert_eq!(input.operation_name(), "CreateRoom");
    let (created, meta) = client.call_operation(input).await;
    assert_eq!((meta.http_status, meta.attempts), (Some(200), 1));
    let OperationOutput::CreateRoom(created) = created.unwrap() else {
        panic!("a CreateRoom output");
    };
    let arn = created.arn().unwrap().to_owned();
    assert_eq!(created.tags().unwrap()["createTime"], "not a time");

    let params = serde_json::json!({"identifier": arn});
    let input = OperationInput::from_wire("GetRoom", params.clone()).unwrap();
    let (typed, _) = client.call_operation(input).await;
    let by_value = client.call_json("GetRoom", params).await.unwrap();
    assert_eq!(serde_json::to_value(typed.unwrap()).unwrap(), by_value);

    let err =
        OperationInput::from_wire("UpdateRoom", serde_json::json!({"identifier": 7})).unwrap_err();
    assert_eq!(err.code(), "InvalidInput");
    assert!(err.message().contains("identifier"), "{err}");
    let err = OperationInput::from_wire("Nope", serde_json::json!({})).unwrap_err();
    assert!(err.message().contains("Nope"), "{err}");

    let pages = client
        .paginate_operation(
            OperationInput::from_wire("ListRooms", serde_json::json!({})).unwrap(),
            Some(1),
        )
        .unwrap()
        .collect::<Vec<_>>()
        .await;
    assert_eq!(pages.len(), 1);
    assert!(matches!(pages[0].0, Ok(OperationOutput::ListRooms(_))));
    let get = OperationInput::from_wire("GetRoom", serde_json::json!({"identifier": "x"}));
    let err = client.paginate_operation(get.unwrap(), None).unwrap_err();
    assert!(
        err.message().contains("`GetRoom` does not paginate"),
        "{err}"
    );
    emulator.shutdown().await;
}
