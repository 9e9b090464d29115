//! `ivschat-ab URL ROUNDS`, built by `bench/ab/ab.sh`: GetRoom calls/s and CPU µs per call of the
//! core at this checkout and at a base commit, sequential and 64 in flight, in interleaved rounds
//! in one process (the machine's load hits both alike). Prints the medians.
//! `AB_RUNTIME=current` runs them on a current-thread runtime.

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

/// `AB_RUNTIME=current` runs both on a current-thread runtime (the Python `Client`'s): no idle
/// worker spins into the CPU figures; otherwise a multi-thread one, as `#[tokio::main]` makes.
fn main() {
    let runtime = match std::env::var("AB_RUNTIME").as_deref() {
        Ok("current") => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    }
    .enable_all()
    .build()
    .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("usage: ivschat-ab URL ROUNDS");
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(15);
    let here = caller!(ivschat, &url);
    let base = caller!(ivschat_base, &url);
    let rows = compare(rounds, here, base).await;
    let title = format!("medians of {rounds} interleaved rounds");
    print_table(&title, "this checkout", "base", &rows);
}
