//! `sdk-throughput URL [ROUNDS]`: GetRoom calls per second, sequential and with 64 in flight, of
//! ivschat and of aws-sdk-ivschat, as a user writes them (`#[tokio::main]`), on one canned
//! server, in interleaved rounds so the machine's load hits both alike. Prints medians.

use std::future::Future;
use std::time::Instant;

const ARN: &str = "arn:aws:ivschat:us-east-1:000000000000:room/abcdEFGH1234";
const IN_FLIGHT: usize = 64;

async fn rate<F, Fut>(callers: usize, calls: usize, one: F) -> f64
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let started = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let one = one.clone();
            tokio::spawn(async move {
                for _ in 0..calls {
                    one().await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("caller");
    }
    (callers * calls) as f64 / started.elapsed().as_secs_f64()
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

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
            c.get_room().identifier(ARN).send().await.expect("aws-sdk-ivschat");
        }
    };
    // `sdk-throughput URL 0 ivschat|aws-sdk-ivschat`: one client alone at 64 in flight, for a
    // profiler (about ten seconds).
    if rounds == 0 {
        let only = args.next().unwrap_or_default();
        for _ in 0..10 {
            let rate = if only == "ivschat" {
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
    let mut results = vec![Vec::new(); 4];
    for _ in 0..rounds {
        results[0].push(rate(1, 2000, call_ours.clone()).await);
        results[1].push(rate(1, 2000, call_theirs.clone()).await);
        results[2].push(rate(IN_FLIGHT, 100, call_ours.clone()).await);
        results[3].push(rate(IN_FLIGHT, 100, call_theirs.clone()).await);
    }
    let [seq_ours, seq_theirs, par_ours, par_theirs] =
        [0, 1, 2, 3].map(|i| median(results[i].clone()));
    println!("GetRoom calls/s, medians of {rounds} interleaved rounds\n");
    println!("| | ivschat | aws-sdk-ivschat | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| sequential | {seq_ours:.0} | {seq_theirs:.0} | {:.2}x |",
        seq_ours / seq_theirs
    );
    println!(
        "| {IN_FLIGHT} in flight | {par_ours:.0} | {par_theirs:.0} | {:.2}x |",
        par_ours / par_theirs
    );
}
