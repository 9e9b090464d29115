//! GetRoom against the endpoint given, with aws-sdk-ivschat's defaults.

#[tokio::main]
async fn main() -> Result<(), aws_sdk_ivschat::Error> {
    let endpoint = std::env::args().nth(1).unwrap_or_else(|| "http://127.0.0.1:4580".into());
    let config = aws_config::from_env()
        .region("us-east-1")
        .endpoint_url(endpoint)
        .load()
        .await;
    let client = aws_sdk_ivschat::Client::new(&config);
    let room = client.get_room().identifier("abcdEFGH1234").send().await?;
    println!("{:?}", room.arn());
    Ok(())
}
