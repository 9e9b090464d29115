//! Chat: a backend makes a room and chat tokens (control plane); two users join over the
//! messaging WebSocket and exchange a message.
//!
//! `make demo` runs this against `ivschat-local`. By hand:
//! `IVSCHAT_ENDPOINT=http://127.0.0.1:4580 cargo run -p ivschat --example chat`
//! Against AWS: no endpoint and the default credentials chain, and the region instead of a URL.

use ivschat::messaging::{ChatRoom, ChatToken, RoomEvent, SendMessageRequest};
use ivschat::types::ChatTokenCapability;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let endpoint =
        std::env::var("IVSCHAT_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:4580".into());
    let backend = ivschat::Client::new(
        &ivschat::Config::builder()
            .region("us-east-1")
            .endpoint_url(&endpoint)
            .credentials(ivschat::Credentials::new("test", "test", None))
            .build()?,
    );
    let room_arn = backend.create_room().name("chat-demo").send().await?;
    let room_arn = room_arn.arn().unwrap_or_default().to_owned();

    // A fresh token for every connection (each is accepted once); in an app, the backend's job.
    let join = |user: &'static str| {
        let (backend, room_arn) = (backend.clone(), room_arn.clone());
        let url = endpoint.replacen("http", "ws", 1); // ivschat-local; on AWS: "us-east-1"
        ChatRoom::builder(url)
            .token_provider(move || {
                let (backend, room_arn) = (backend.clone(), room_arn.clone());
                async move {
                    let token = backend
                        .create_chat_token()
                        .room_identifier(room_arn)
                        .user_id(user)
                        .capabilities(ChatTokenCapability::SendMessage)
                        .send()
                        .await?;
                    Ok::<_, ivschat::Error>(ChatToken::from(token))
                }
            })
            .build()
    };
    let (alice, bob) = (join("alice")?, join("bob")?);
    let mut bob_events = bob.events();
    alice.connect().await?;
    bob.connect().await?;
    println!("alice and bob joined {room_arn}");

    let request = SendMessageRequest::new("hello, bob").attribute("mood", "cheerful");
    let sent = alice.send_message(request).await?;
    println!("alice's message {} was accepted", sent.id);
    while let Some(event) = bob_events.recv().await {
        if let RoomEvent::Message(message) = event {
            println!(
                "bob received {:?} from {}",
                message.content, message.sender.user_id
            );
            break;
        }
    }
    alice.disconnect().await;
    bob.disconnect().await;
    backend.delete_room().identifier(&room_arn).send().await?;
    println!("left the room and deleted it");
    Ok(())
}
