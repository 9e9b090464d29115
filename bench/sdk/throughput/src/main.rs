//! `sdk-throughput URL [ROUNDS]`: GetRoom calls per second, sequential and with 64 in flight, of
//! ivschat and of aws-sdk-ivschat, as a user writes them (`#[tokio::main]`), on one canned
//! server, in interleaved rounds (`compare` in bench/common/rate.rs) so the machine's load hits
//! both alike. Prints the medians of calls/s and of CPU µs per call (every thread).

#[path = "../../../common/rate.rs"]
mod rate;

use rate::{compare, print_table, rate};

const ARN: &str = "arn:aws:ivschat:us-east-1:000000000000:room/abcdEFGH1234";
const IN_FLIGHT: usize = 64;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .expect("usage: sdk-throughput URL [ROUNDS [ivschat|aws-sdk-ivschat]]");
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(5);
    let ours = ivschat::Client::new(
        &ivschat::Config::builder()
            .region("us-east-1")
            .endpoint_url(&url)
            .credentials(ivschat::Credentials::new("test", "test", None))
            .build()
            .expect("config"),
    );
    let sdk_config = aws_sdk_ivschat::Config::builder()
        .behavior_version(aws_sdk_ivschat::config::BehaviorVersion::latest())
        .region(aws_sdk_ivschat::config::Region::new("us-east-1"))
        .endpoint_url(&url)
        .credentials_provider(aws_sdk_ivschat::config::Credentials::new(
            "test", "test", None, None, "bench",
        ))
        .build();
    let theirs = aws_sdk_ivschat::Client::from_conf(sdk_config);
    let call_ours = move || {
        let c = ours.clone();
        async move {
            c.get_room().identifier(ARN).send().await.expect("ivschat");
        }
    };
    let call_theirs = move || {
        let c = theirs.clone();
        async move {
            c.get_room()
                .identifier(ARN)
                .send()
                .await
                .expect("aws-sdk-ivschat");
        }
    };
    // `sdk-throughput URL 0 ivschat|aws-sdk-ivschat`: one client alone at 64 in flight, for a
    // profiler (about ten seconds).
    if rounds == 0 {
        let only = args.next().unwrap_or_default();
        for _ in 0..10 {
            let [rate, _] = if only == "ivschat" {
                rate(IN_FLIGHT, 1000, call_ours.clone()).await
            } else {
                rate(IN_FLIGHT, 300, call_theirs.clone()).await
            };
            println!("{only}: {rate:.0} calls/s");
        }
        return;
    }
    let rows = compare(rounds, call_ours, call_theirs).await;
    let title = format!("GetRoom, medians of {rounds} interleaved rounds");
    print_table(&title, "ivschat", "aws-sdk-ivschat", &rows);
}
