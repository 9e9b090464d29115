//! Quickstart: a logging configuration, a room, a chat token and an event, then clean up.
//!
//! `make demo` runs this against `ivschat-local`. By hand:
//! `IVSCHAT_ENDPOINT=http://127.0.0.1:4580 cargo run -p ivschat --example quickstart`

use ivschat::types::{ChatTokenCapability, DestinationConfiguration, S3DestinationConfiguration};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let endpoint =
        std::env::var("IVSCHAT_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:4580".into());
    let config = ivschat::Config::builder()
        .region("us-east-1")
        .endpoint_url(&endpoint)
        .credentials(ivschat::Credentials::new("test", "test", None))
        .build()?;
    let client = ivschat::Client::new(&config);
    println!("ivschat {} → {endpoint}", ivschat::VERSION);

    let s3 = S3DestinationConfiguration::builder()
        .bucket_name("demo-chat-logs")
        .build()?;
    let logging = client
        .create_logging_configuration()
        .name("demo-logs")
        .destination_configuration(DestinationConfiguration::S3(s3))
        .send()
        .await?;
    let logging_arn = logging.arn().unwrap_or_default();
    let state = logging.state().map(|s| s.as_str()).unwrap_or("-");
    println!("created logging configuration {logging_arn} ({state})");

    let room = client
        .create_room()
        .name("demo")
        .maximum_message_length(500)
        .tags("env", "dev")
        .logging_configuration_identifiers(logging_arn)
        .send()
        .await?;
    let room_arn = room.arn().unwrap_or_default();
    println!(
        "created room {room_arn}: {} msg/s, {} chars",
        room.maximum_message_rate_per_second().unwrap_or_default(),
        room.maximum_message_length().unwrap_or_default()
    );

    let rooms = client.list_rooms().send().await?;
    for summary in rooms.rooms() {
        println!(
            "  listed room {} ({})",
            summary.name().unwrap_or("-"),
            summary.id().unwrap_or("-")
        );
    }

    client
        .tag_resource()
        .resource_arn(room_arn)
        .tags("team", "chat")
        .send()
        .await?;
    let tags = client
        .list_tags_for_resource()
        .resource_arn(room_arn)
        .send()
        .await?;
    let mut tags: Vec<_> = tags.tags().iter().collect();
    tags.sort();
    println!("tags: {tags:?}");

    let token = client
        .create_chat_token()
        .room_identifier(room_arn)
        .user_id("alice")
        .capabilities(ChatTokenCapability::SendMessage)
        .attributes("displayName", "Alice")
        .send()
        .await?;
    println!(
        "chat token for alice ({} characters), session ends {}",
        token.token().map(str::len).unwrap_or_default(),
        token
            .session_expiration_time()
            .map(|t| t.to_string())
            .unwrap_or_default()
    );

    let event = client
        .send_event()
        .room_identifier(room_arn)
        .event_name("app:welcome")
        .send()
        .await?;
    println!("sent event {}", event.id().unwrap_or_default());

    client.delete_room().identifier(room_arn).send().await?;
    client
        .delete_logging_configuration()
        .identifier(logging_arn)
        .send()
        .await?;
    println!("cleaned up: room and logging configuration deleted");
    Ok(())
}
