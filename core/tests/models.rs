//! Models: secrets redacted in Debug, enums and unions that survive values from the future.

use std::str::FromStr;

use ivschat::operation::*;
use ivschat::types::*;

#[test]
fn secrets_never_appear_in_debug() {
    let input = CreateChatTokenInput::builder()
        .room_identifier("arn:aws:ivschat:us-east-1:123456789012:room/abcdEFGH1234")
        .user_id("user-secret-id")
        .attributes("role", "attribute-secret")
        .build()
        .unwrap();
    let text = format!("{input:?}");
    assert!(
        !text.contains("user-secret-id") && !text.contains("attribute-secret"),
        "{text}"
    );
    assert!(text.contains("*** Sensitive Data Redacted ***"));
    assert!(
        text.contains("abcdEFGH1234"),
        "non-secret members stay visible: {text}"
    );

    let output: CreateChatTokenOutput =
        serde_json::from_str(r#"{"token":"chat-token-secret"}"#).unwrap();
    assert!(!format!("{output:?}").contains("chat-token-secret"));
    assert_eq!(output.token(), Some("chat-token-secret"));

    let disconnect = DisconnectUserInput::builder()
        .user_id("who-secret")
        .build()
        .unwrap();
    assert!(!format!("{disconnect:?}").contains("who-secret"));

    let creds = ivschat::Credentials::new(
        "AKIDPUBLIC",
        "secret-key-value",
        Some("session-token-value".into()),
    );
    let text = format!("{creds:?}");
    assert!(text.contains("AKIDPUBLIC"));
    assert!(
        !text.contains("secret-key-value") && !text.contains("session-token-value"),
        "{text}"
    );

    let config = ivschat::Config::builder()
        .region("us-east-1")
        .credentials(creds)
        .build()
        .unwrap();
    let text = format!("{config:?}");
    assert!(
        !text.contains("secret-key-value") && !text.contains("session-token-value"),
        "{text}"
    );
}

#[test]
fn enums_keep_unknown_values() {
    assert_eq!(
        ChatTokenCapability::from("SEND_MESSAGE"),
        ChatTokenCapability::SendMessage
    );
    let future = LoggingConfigurationState::from_str("ARCHIVED").unwrap();
    assert_eq!(
        future,
        LoggingConfigurationState::Unknown("ARCHIVED".into())
    );
    assert_eq!(future.as_str(), "ARCHIVED");
    assert_eq!(serde_json::to_string(&future).unwrap(), r#""ARCHIVED""#);
    assert_eq!(FallbackResult::values(), &["ALLOW", "DENY"]);
    let out: GetLoggingConfigurationOutput =
        serde_json::from_str(r#"{"state":"SOMETHING_NEW","brandNewField":{"x":[1,2]}}"#).unwrap();
    assert_eq!(out.state().map(|s| s.as_str()), Some("SOMETHING_NEW"));
}

#[test]
fn an_unknown_union_member_parses_to_unknown() {
    let out: GetLoggingConfigurationOutput =
        serde_json::from_str(r#"{"destinationConfiguration":{"kafka":{"topic":"t"}}}"#).unwrap();
    let destination = out.destination_configuration().unwrap();
    assert_eq!(
        destination,
        &DestinationConfiguration::Unknown("kafka".into())
    );
    assert!(destination.is_unknown());
    assert_eq!(
        serde_json::to_value(destination).unwrap(),
        serde_json::json!({"SDK_UNKNOWN_MEMBER": {"name": "kafka"}})
    );
    let known: DestinationConfiguration =
        serde_json::from_str(r#"{"firehose":{"deliveryStreamName":"s"}}"#).unwrap();
    assert_eq!(
        known.as_firehose().map(|f| f.delivery_stream_name()),
        Some("s")
    );
}

#[test]
fn timestamps_accept_any_precision_and_offset() {
    let parse = |json: &str| -> GetRoomOutput { serde_json::from_str(json).unwrap() };
    let cases = [
        (r#"{"createTime":"2024-05-01T12:34:56Z"}"#, 1_714_566_896, 0),
        (
            r#"{"createTime":"2024-05-01T12:34:56.7Z"}"#,
            1_714_566_896,
            700_000_000,
        ),
        (
            r#"{"createTime":"2024-05-01T12:34:56.123456789Z"}"#,
            1_714_566_896,
            123_456_789,
        ),
        (
            r#"{"createTime":"2024-05-01T12:34:56.123456789123Z"}"#,
            1_714_566_896,
            123_456_789,
        ),
        (
            r#"{"createTime":"2024-05-01T14:34:56+02:00"}"#,
            1_714_566_896,
            0,
        ),
        (
            r#"{"createTime":"2024-05-01T07:04:56.5-05:30"}"#,
            1_714_566_896,
            500_000_000,
        ),
        (
            r#"{"createTime":1714566896.25}"#,
            1_714_566_896,
            250_000_000,
        ),
    ];
    for (json, secs, nanos) in cases {
        let t = parse(json).create_time().copied().unwrap();
        assert_eq!((t.secs(), t.subsec_nanos()), (secs, nanos), "{json}");
    }
    for bad in [
        r#"{"createTime":"yesterday"}"#,
        r#"{"createTime":true}"#,
        r#"{"createTime":1e300}"#,
    ] {
        assert!(serde_json::from_str::<GetRoomOutput>(bad).is_err(), "{bad}");
    }
}

#[test]
fn nulls_in_collections_are_skipped() {
    let out: GetRoomOutput = serde_json::from_str(
        r#"{"tags":{"a":"1","b":null},"loggingConfigurationIdentifiers":["x",null],"name":null}"#,
    )
    .unwrap();
    assert_eq!(out.tags().map(|t| t.len()), Some(1));
    assert_eq!(out.logging_configuration_identifiers(), &["x".to_owned()]);
    assert_eq!(out.name(), None);
}

#[test]
fn builders_mirror_the_aws_sdk() {
    let input = CreateRoomInput::builder()
        .name("demo")
        .tags("a", "1")
        .tags("b", "2")
        .logging_configuration_identifiers("x")
        .logging_configuration_identifiers("y")
        .build()
        .unwrap();
    assert_eq!(input.name(), Some("demo"));
    assert_eq!(input.tags().map(|t| t.len()), Some(2));
    assert_eq!(
        input.logging_configuration_identifiers(),
        &["x".to_owned(), "y".to_owned()]
    );
    let handler = MessageReviewHandler::builder().uri("arn").build();
    assert_eq!(
        (handler.uri(), handler.fallback_result()),
        (Some("arn"), None)
    );
    assert!(
        S3DestinationConfiguration::builder().build().is_err(),
        "bucketName is required"
    );
}
