//! `ivschat-ab URL ROUNDS`, built by `bench/ab/ab.sh`: GetRoom calls/s and CPU µs per call of the
//! core at this checkout and at a base commit, sequential and 64 in flight, in interleaved rounds
//! in one process (the machine's load hits both alike). Prints the medians.

#[path = "../common/rate.rs"]
mod rate;

use rate::{compare, print_table};

const ARN: &str = "arn:aws:ivschat:us-east-1:000000000000:room/abcdEFGH1234";

macro_rules! caller {
    ($krate:ident, $url:expr) => {{
        let config = $krate::Config::builder()
            .region("us-east-1")
            .endpoint_url($url)
            .credentials($krate::Credentials::new("test", "test", None))
            .build()
            .expect("config");
        let client = $krate::Client::new(&config);
        move || {
            let client = client.clone();
            async move {
                client
                    .get_room()
                    .identifier(ARN)
                    .send()
                    .await
                    .expect("GetRoom");
            }
        }
    }};
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("usage: ivschat-ab URL ROUNDS");
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(15);
    let here = caller!(ivschat, &url);
    let base = caller!(ivschat_base, &url);
    let rows = compare(rounds, here, base).await;
    let title = format!("medians of {rounds} interleaved rounds");
    print_table(&title, "this checkout", "base", &rows);
}
