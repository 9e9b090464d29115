//! Our chat client against the official JavaScript client, as receivers in one ivschat-local
//! room: delivered messages per second, latency, and CPU time per delivered message, each kind
//! of receiver in its own process. See bench/messaging/README.md.
//!
//! ```text
//! ivschat-chatroom-bench [--ours 500] [--official 500] [--senders 100] [--rate 90]
//!     [--warmup-seconds 3] [--seconds 30] [--rust-threads N] [--emulator PATH]
//!     [--client-queue N] [--node node] [--script PATH] [--oracle-dir DIR]
//! ivschat-chatroom-bench receivers [--threads N]   # child: our receivers
//! ivschat-chatroom-bench senders                   # child: the senders
//! ```

mod children;
mod orchestrate;
mod receivers;
mod senders;
mod table;
mod tally;
mod wire;

use std::path::PathBuf;

const USAGE: &str = "usage: ivschat-chatroom-bench [--ours 500] [--official 500] [--senders 100] [--rate 90] \
[--warmup-seconds 3] [--seconds 30] [--rust-threads N (0: current-thread runtime)] [--emulator PATH] \
[--client-queue N] [--node node] [--script PATH] [--oracle-dir DIR]";

fn parse(args: Vec<String>) -> Result<orchestrate::Options, String> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut o = orchestrate::Options {
        ours: 500,
        official: 500,
        senders: 100,
        rate: 90.0,
        warmup_seconds: 3.0,
        seconds: 30.0,
        rust_threads: None,
        emulator: exe.with_file_name("ivschat-local"),
        client_queue: None,
        node: "node".into(),
        script: manifest.join("official-receivers.mjs"),
        oracle_dir: manifest.join("../../tools/oracle/messaging"),
    };
    let mut it = args.into_iter();
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let number = || {
            value
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n >= 0.0)
                .ok_or_else(|| format!("{flag}: not a number: {value:?}"))
        };
        match flag.as_str() {
            "--ours" => o.ours = number()? as usize,
            "--official" => o.official = number()? as usize,
            "--senders" => o.senders = number()? as usize,
            "--rate" => o.rate = number()?,
            "--warmup-seconds" => o.warmup_seconds = number()?,
            "--seconds" => o.seconds = number()?,
            "--rust-threads" => o.rust_threads = Some(number()? as usize),
            "--client-queue" => o.client_queue = Some(number()? as usize),
            "--emulator" => o.emulator = value.into(),
            "--node" => o.node = value,
            "--script" => o.script = value.into(),
            "--oracle-dir" => o.oracle_dir = value.into(),
            _ => return Err(format!("unknown argument {flag}\n{USAGE}")),
        }
    }
    if o.ours == 0 || o.official == 0 || o.senders == 0 {
        return Err("need at least one receiver of each kind and one sender".into());
    }
    if o.rate <= 0.0 || o.rate > 100.0 {
        return Err("--rate must be in (0, 100]: the room allows 100 messages per second".into());
    }
    if !o.emulator.exists() {
        return Err(format!(
            "no emulator at {} (build it: cargo build --release -p ivschat-emulator, or pass --emulator)",
            o.emulator.display()
        ));
    }
    Ok(o)
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("receivers") => {
            let threads = match args.get(1..) {
                Some([flag, n]) if flag == "--threads" => n.parse().ok(),
                _ => None,
            };
            receivers::main(threads).map(|()| true)
        }
        Some("senders") => senders::main().map(|()| true),
        Some("-h" | "--help") => {
            println!("{USAGE}");
            return;
        }
        _ => parse(std::mem::take(&mut args)).and_then(orchestrate::main),
    };
    match result {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("ivschat-chatroom-bench: {e}");
            std::process::exit(2);
        }
    }
}
