//! `ivschat-ab URL ROUNDS`, built by `bench/ab/ab.sh`: GetRoom calls/s and CPU µs per call of the
//! core at this checkout and at a base commit, sequential and 64 in flight, in interleaved rounds
//! in one process (the machine's load hits both alike). Prints the medians.

#[path = "../common/rate.rs"]
mod rate;

use rate::{median, rate};

const ARN: &str = "arn:aws:ivschat:us-east-1:000000000000:room/abcdEFGH1234";
const IN_FLIGHT: usize = 64;

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
    rate(IN_FLIGHT, 20, here.clone()).await;
    rate(IN_FLIGHT, 20, base.clone()).await;
    // Per measure: [this checkout, base], each a list of rounds.
    let mut runs = vec![[Vec::new(), Vec::new()]; 4];
    for round in 0..rounds {
        for (callers, calls, at) in [(1, 2000, 0), (IN_FLIGHT, 100, 2)] {
            // Each goes first in every other round: the one that follows the other finds its
            // runtime's workers still awake, which on a VM can halve a round trip.
            for step in 0..2 {
                let which = (round + step) % 2;
                let [calls_per_s, cpu] = match which {
                    0 => rate(callers, calls, here.clone()).await,
                    _ => rate(callers, calls, base.clone()).await,
                };
                runs[at][which].push(calls_per_s);
                runs[at + 1][which].push(cpu);
            }
        }
    }
    println!("medians of {rounds} interleaved rounds\n");
    println!("| | this checkout | base | ratio |");
    println!("|---|---|---|---|");
    let names = [
        "sequential, calls/s",
        "sequential, CPU µs per call",
        "64 in flight, calls/s",
        "64 in flight, CPU µs per call",
    ];
    for (name, [here, base]) in names.iter().zip(runs) {
        let (here, base) = (median(here), median(base));
        println!("| {name} | {here:.1} | {base:.1} | {:.3} |", here / base);
    }
}
