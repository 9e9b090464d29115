//! What goes on the wire (spec §1, §5.3): methods, paths, the ARN as one encoded segment,
//! repeated `tagKeys`, bodies and Content-Type only where the operation has body members.

mod support;

use ivschat::types::*;
use serde_json::{Value, json};
use support::*;

fn body(r: &Recorded) -> Value {
    serde_json::from_slice(&r.body).expect("JSON body")
}

const ENCODED_ARN: &str = "arn%3Aaws%3Aivschat%3Aus-east-1%3A123456789012%3Aroom%2FabcdEFGH1234";

#[tokio::test]
async fn post_operations_send_every_member_in_a_json_body() {
    let server = ScriptedServer::start(vec![]).await;
    let client = client(&server.url);
    client
        .create_room()
        .name("demo")
        .maximum_message_rate_per_second(5)
        .maximum_message_length(200)
        .message_review_handler(
            MessageReviewHandler::builder()
                .uri("arn:aws:lambda:us-east-1:123456789012:function:review")
                .fallback_result(FallbackResult::Deny)
                .build(),
        )
        .tags("env", "dev")
        .logging_configuration_identifiers(LOG_ARN)
        .send()
        .await
        .unwrap();
    let r = &server.requests()[0];
    assert_eq!(
        (r.method.as_str(), r.target.as_str()),
        ("POST", "/CreateRoom")
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        body(r),
        json!({
            "name": "demo", "maximumMessageRatePerSecond": 5, "maximumMessageLength": 200,
            "messageReviewHandler": {"uri": "arn:aws:lambda:us-east-1:123456789012:function:review", "fallbackResult": "DENY"},
            "tags": {"env": "dev"}, "loggingConfigurationIdentifiers": [LOG_ARN]
        })
    );
}

#[tokio::test]
async fn an_input_with_nothing_set_still_sends_an_empty_object() {
    let server = ScriptedServer::start(vec![json(200, r#"{"rooms":[]}"#)]).await;
    client(&server.url).list_rooms().send().await.unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.body, b"{}");
    assert_eq!(r.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn empty_lists_and_maps_are_sent_when_set() {
    let server = ScriptedServer::start(vec![]).await;
    let client = client(&server.url);
    client
        .create_room()
        .set_tags(Some(Default::default()))
        .set_logging_configuration_identifiers(Some(vec![]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        body(&server.requests()[0]),
        json!({"tags": {}, "loggingConfigurationIdentifiers": []})
    );
}

#[tokio::test]
async fn tag_operations_put_the_arn_in_the_path_as_one_encoded_segment() {
    let server = ScriptedServer::start(vec![
        json(200, "{}"),
        json(200, r#"{"tags":{}}"#),
        json(200, "{}"),
    ])
    .await;
    let client = client(&server.url);
    client
        .tag_resource()
        .resource_arn(ROOM_ARN)
        .tags("a", "b")
        .send()
        .await
        .unwrap();
    client
        .list_tags_for_resource()
        .resource_arn(ROOM_ARN)
        .send()
        .await
        .unwrap();
    client
        .untag_resource()
        .resource_arn(ROOM_ARN)
        .tag_keys("a")
        .tag_keys("b")
        .send()
        .await
        .unwrap();
    let r = server.requests();
    assert_eq!(
        (r[0].method.as_str(), r[0].path()),
        ("POST", format!("/tags/{ENCODED_ARN}").as_str())
    );
    assert_eq!(
        body(&r[0]),
        json!({"tags": {"a": "b"}}),
        "resourceArn is not repeated in the body"
    );
    assert_eq!(
        (r[1].method.as_str(), r[1].path(), r[1].query()),
        ("GET", format!("/tags/{ENCODED_ARN}").as_str(), None)
    );
    assert_eq!(
        (r[2].method.as_str(), r[2].query()),
        ("DELETE", Some("tagKeys=a&tagKeys=b"))
    );
    for bodyless in &r[1..] {
        assert!(bodyless.body.is_empty(), "{} has a body", bodyless.method);
        assert_eq!(
            bodyless.header("content-type"),
            None,
            "{} has a content-type",
            bodyless.method
        );
        let auth = bodyless.header("authorization").unwrap();
        assert!(auth.contains("SignedHeaders=host;x-amz-date,"), "{auth}");
    }
}

#[tokio::test]
async fn tag_keys_are_percent_encoded_in_the_query() {
    let server = ScriptedServer::start(vec![]).await;
    let keys = ["a b", "c/d", "é", "x&y=z", "plus+", "tilde~dot.dash-under_"];
    let mut call = client(&server.url).untag_resource().resource_arn(LOG_ARN);
    for k in keys {
        call = call.tag_keys(k);
    }
    call.send().await.unwrap();
    let r = &server.requests()[0];
    assert_eq!(
        r.query(),
        Some(
            "tagKeys=a%20b&tagKeys=c%2Fd&tagKeys=%C3%A9&tagKeys=x%26y%3Dz&tagKeys=plus%2B&tagKeys=tilde~dot.dash-under_"
        )
    );
    assert_eq!(
        r.path(),
        "/tags/arn%3Aaws%3Aivschat%3Aus-east-1%3A123456789012%3Alogging-configuration%2FABCD12345678"
    );
}

#[tokio::test]
async fn unicode_travels_as_utf8_json() {
    let server = ScriptedServer::start(vec![]).await;
    client(&server.url)
        .send_event()
        .room_identifier(ROOM_ARN)
        .event_name("привет 🎉")
        .attributes("ключ", "значение ✓")
        .send()
        .await
        .unwrap();
    let r = &server.requests()[0];
    assert_eq!(
        body(r),
        json!({"roomIdentifier": ROOM_ARN, "eventName": "привет 🎉", "attributes": {"ключ": "значение ✓"}})
    );
}

#[tokio::test]
async fn the_union_sends_exactly_its_member() {
    let server = ScriptedServer::start(vec![]).await;
    let client = client(&server.url);
    let destinations = [
        (
            DestinationConfiguration::S3(
                S3DestinationConfiguration::builder()
                    .bucket_name("logs")
                    .build()
                    .unwrap(),
            ),
            json!({"s3": {"bucketName": "logs"}}),
        ),
        (
            DestinationConfiguration::CloudWatchLogs(
                CloudWatchLogsDestinationConfiguration::builder()
                    .log_group_name("/chat")
                    .build()
                    .unwrap(),
            ),
            json!({"cloudWatchLogs": {"logGroupName": "/chat"}}),
        ),
        (
            DestinationConfiguration::Firehose(
                FirehoseDestinationConfiguration::builder()
                    .delivery_stream_name("s")
                    .build()
                    .unwrap(),
            ),
            json!({"firehose": {"deliveryStreamName": "s"}}),
        ),
    ];
    for (i, (destination, expected)) in destinations.into_iter().enumerate() {
        client
            .create_logging_configuration()
            .destination_configuration(destination)
            .send()
            .await
            .unwrap();
        assert_eq!(
            body(&server.requests()[i]),
            json!({ "destinationConfiguration": expected })
        );
    }
}

#[tokio::test]
async fn missing_required_members_fail_before_sending() {
    let server = ScriptedServer::start(vec![]).await;
    let client = client(&server.url);
    let err = client.get_room().send().await.unwrap_err();
    let ivschat::Error::InvalidInput(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.member(), Some("identifier"));
    let err = client
        .create_chat_token()
        .room_identifier(ROOM_ARN)
        .send()
        .await
        .unwrap_err();
    assert!(err.message().contains("userId"), "{err}");
    let err = client
        .untag_resource()
        .resource_arn("")
        .set_tag_keys(Some(vec![]))
        .send()
        .await
        .unwrap_err();
    assert!(err.message().contains("resourceArn"), "{err}");
    let err = client
        .update_logging_configuration()
        .identifier(LOG_ARN)
        .destination_configuration(DestinationConfiguration::Unknown("kafka".into()))
        .send()
        .await
        .unwrap_err();
    assert!(err.message().contains("kafka"), "{err}");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn headers_name_the_library_and_sign_with_the_region() {
    let server = ScriptedServer::start(vec![]).await;
    let client = client_with(&server.url, |b| {
        b.region("eu-west-1").user_agent_suffix("lang/python#3.11")
    });
    client
        .delete_room()
        .identifier(ROOM_ARN)
        .send()
        .await
        .unwrap();
    let r = &server.requests()[0];
    let ua = r.header("user-agent").unwrap();
    assert!(
        ua.starts_with(&format!("ivschat/{} ", ivschat::VERSION)),
        "{ua}"
    );
    assert!(ua.ends_with(" lang/python#3.11"), "{ua}");
    let auth = r.header("authorization").unwrap();
    assert!(auth.contains("/eu-west-1/ivschat/aws4_request"), "{auth}");
    assert_eq!(
        r.header("host"),
        Some(server.url.trim_start_matches("http://"))
    );
}

#[tokio::test]
async fn session_tokens_are_sent() {
    let server = ScriptedServer::start(vec![]).await;
    let client = client_with(&server.url, |b| {
        b.credentials(ivschat::Credentials::new(
            "AKID",
            "SECRET",
            Some("TOKEN".into()),
        ))
    });
    client
        .list_tags_for_resource()
        .resource_arn(ROOM_ARN)
        .send()
        .await
        .unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.header("x-amz-security-token"), Some("TOKEN"));
    assert!(
        r.header("authorization")
            .unwrap()
            .contains("SignedHeaders=host;x-amz-date;x-amz-security-token,")
    );
}

#[tokio::test]
async fn a_malformed_member_is_named_in_the_parse_error() {
    let server = ScriptedServer::start(vec![json(
        200,
        r#"{"arn": "a", "maximumMessageLength": "ten"}"#,
    )])
    .await;
    let err = get_room(&client(&server.url)).await.unwrap_err();
    assert!(matches!(err, ivschat::Error::InvalidResponse(_)), "{err:?}");
    assert_eq!(
        (err.code(), err.http_status()),
        ("ResponseParseError", Some(200))
    );
    assert!(
        err.message().contains("maximumMessageLength"),
        "{}",
        err.message()
    );
}
