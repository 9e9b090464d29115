//! GetRoom against the endpoint given, with ivschat's defaults: what a user writes first.

#[tokio::main]
async fn main() -> Result<(), ivschat::Error> {
    let endpoint = std::env::args().nth(1).unwrap_or_else(|| "http://127.0.0.1:4580".into());
    let config = ivschat::Config::builder()
        .region("us-east-1")
        .endpoint_url(endpoint)
        .load_defaults()
        .await
        .build()?;
    let client = ivschat::Client::new(&config);
    let room = client.get_room().identifier("abcdEFGH1234").send().await?;
    println!("{:?}", room.arn());
    Ok(())
}
