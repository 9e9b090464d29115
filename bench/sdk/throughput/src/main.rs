//! `sdk-throughput URL [ROUNDS]`: GetRoom calls per second, sequential and with 64 in flight, of
//! ivschat and of aws-sdk-ivschat, as a user writes them (`#[tokio::main]`), on one canned
//! server, in interleaved rounds (each first in every other round) so the machine's load hits
//! both alike. Prints the medians of calls/s and of CPU µs per call (every thread).

#[path = "../../../common/rate.rs"]
mod rate;

use rate::{median, rate};

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
    // Warm-up: connections, credentials, code paths.
    rate(IN_FLIGHT, 20, call_ours.clone()).await;
    rate(IN_FLIGHT, 20, call_theirs.clone()).await;
    // [calls/s, CPU µs per call] of sequential ours, theirs, then 64 in flight ours, theirs.
    let mut results = vec![[Vec::new(), Vec::new()]; 4];
    // Each client goes first in every other round: on a VM the one that runs second finds the
    // runtime's workers still awake, which can halve its round trip (bench/core/README.md).
    for round in 0..rounds {
        for (callers, calls, at) in [(1, 2000, 0), (IN_FLIGHT, 100, 2)] {
            for step in 0..2 {
                let which = (round + step) % 2;
                let [calls_per_s, cpu] = match which {
                    0 => rate(callers, calls, call_ours.clone()).await,
                    _ => rate(callers, calls, call_theirs.clone()).await,
                };
                results[at + which][0].push(calls_per_s);
                results[at + which][1].push(cpu);
            }
        }
    }
    let m: Vec<[f64; 2]> = results
        .into_iter()
        .map(|[rates, cpus]| [median(rates), median(cpus)])
        .collect();
    println!("GetRoom, medians of {rounds} interleaved rounds\n");
    println!("| | ivschat | aws-sdk-ivschat | ratio |");
    println!("|---|---|---|---|");
    for (name, ours, theirs) in [
        ("sequential, calls/s", m[0][0], m[1][0]),
        ("sequential, CPU µs per call", m[0][1], m[1][1]),
        ("64 in flight, calls/s", m[2][0], m[3][0]),
        ("64 in flight, CPU µs per call", m[2][1], m[3][1]),
    ] {
        println!(
            "| {name} | {ours:.1} | {theirs:.1} | {:.2}x |",
            ours / theirs
        );
    }
}
