//! One run: ivschat-local (release binary) in its own process, a room and tokens through the
//! Rust core, our receivers, the official client's receivers and the senders each in their own
//! process; warm-up, then the measured phase, with every child's CPU time read from /proc at the
//! window's edges.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ivschat::types::ChatTokenCapability;
use tokio::process::Command;

use super::children::{Child, Cpu};
use super::table::{Row, print_table};
use super::tally::Summary;
use super::wire::Plan;

/// The run's settings.
#[derive(Debug, Clone)]
pub struct Options {
    pub ours: usize,
    pub official: usize,
    pub senders: usize,
    pub rate: f64,
    pub warmup_seconds: f64,
    pub seconds: f64,
    /// Worker threads of our receivers' runtime; 0: current-thread; `None`: tokio's default.
    pub rust_threads: Option<usize>,
    pub emulator: PathBuf,
    pub client_queue: Option<usize>,
    pub node: String,
    pub script: PathBuf,
    pub oracle_dir: PathBuf,
}

/// Run; true when every message reached every receiver and no request was refused.
pub fn main(o: Options) -> Result<bool, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?
        .block_on(run(o))
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

async fn start_emulator(o: &Options) -> Result<(Child, String), String> {
    let mut cmd = Command::new(&o.emulator);
    cmd.args(["--port", "0"]);
    if let Some(q) = o.client_queue {
        cmd.args(["--client-queue", &q.to_string()]);
    }
    let mut emu = Child::spawn("ivschat-local", cmd)?;
    loop {
        let line = emu.line(Duration::from_secs(20)).await?;
        if let Some(url) = line.split("listening on ").nth(1) {
            return Ok((emu, url.trim().to_owned()));
        }
    }
}

async fn tokens(
    client: &ivschat::Client,
    arn: &str,
    n: usize,
    prefix: &str,
    send: bool,
) -> Result<Vec<String>, String> {
    let mut out = Vec::with_capacity(n);
    let ids: Vec<usize> = (0..n).collect();
    for chunk in ids.chunks(16) {
        let mut set = tokio::task::JoinSet::new();
        for &i in chunk {
            let mut b = client
                .create_chat_token()
                .room_identifier(arn)
                .user_id(format!("{prefix}{i}"));
            if send {
                b = b.capabilities(ChatTokenCapability::SendMessage);
            }
            set.spawn(async move { (i, b.send().await) });
        }
        let mut got = set.join_all().await;
        got.sort_by_key(|(i, _)| *i);
        for (_, r) in got {
            let out_ = r.map_err(|e| format!("CreateChatToken: {e}"))?;
            out.push(out_.token().unwrap_or_default().to_owned());
        }
    }
    Ok(out)
}

fn plan(url: &str, tokens: Vec<String>, warmup: usize, total: usize, rate: f64) -> String {
    let plan = Plan {
        url: url.to_owned(),
        tokens,
        warmup,
        total,
        rate,
    };
    serde_json::to_string(&plan).unwrap_or_default()
}

/// A receiver process's end of the measured window.
struct Finish {
    cpu: Cpu,
    complete: bool,
}

async fn finish(child: &mut Child, within: Duration) -> Result<Finish, String> {
    let complete = match child.expect("done", within).await {
        Ok(_) => true,
        Err(e) => {
            eprintln!("{e}");
            false
        }
    };
    Ok(Finish {
        cpu: child.cpu()?,
        complete,
    })
}

async fn report(child: &mut Child) -> Result<Summary, String> {
    child.send("report").await?;
    let v = child.expect("report", Duration::from_secs(30)).await?;
    serde_json::from_value(v).map_err(|e| format!("{}: bad report: {e}", child.name))
}

async fn run(o: Options) -> Result<bool, String> {
    let warmup = ((o.rate * o.warmup_seconds).round() as usize).max(1);
    let total = warmup + ((o.rate * o.seconds).round() as usize).max(1);
    let load_before = loadavg();
    let (emu, endpoint) = start_emulator(&o).await?;
    let ws_url = endpoint.replacen("http://", "ws://", 1);

    let config = ivschat::Config::builder()
        .region("us-east-1")
        .endpoint_url(endpoint)
        .credentials(ivschat::Credentials::new("test", "test", None))
        .build()
        .map_err(|e| e.to_string())?;
    let client = ivschat::Client::new(&config);
    let room = client
        .create_room()
        .name("chatroom-bench")
        .maximum_message_rate_per_second(100)
        .send()
        .await
        .map_err(|e| format!("CreateRoom: {e}"))?;
    let arn = room.arn().unwrap_or_default().to_owned();
    let t0 = Instant::now();
    let ours_tokens = tokens(&client, &arn, o.ours, "ours", false).await?;
    let official_tokens = tokens(&client, &arn, o.official, "official", false).await?;
    let sender_tokens = tokens(&client, &arn, o.senders, "sender", true).await?;
    println!(
        "room with maximumMessageRatePerSecond 100; {} tokens in {:.1?}",
        o.ours + o.official + o.senders,
        t0.elapsed()
    );

    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(&exe);
    cmd.arg("receivers");
    if let Some(t) = o.rust_threads {
        cmd.args(["--threads", &t.to_string()]);
    }
    let mut ours = Child::spawn("our receivers", cmd)?;
    let mut cmd = Command::new(&o.node);
    cmd.arg(&o.script).env("IVSCHAT_ORACLE_DIR", &o.oracle_dir);
    let mut official = Child::spawn("official receivers", cmd)?;
    let mut cmd = Command::new(&exe);
    cmd.arg("senders");
    let mut senders = Child::spawn("senders", cmd)?;

    let t0 = Instant::now();
    ours.send(&plan(&ws_url, ours_tokens, warmup, total, 0.0))
        .await?;
    official
        .send(&plan(&ws_url, official_tokens, warmup, total, 0.0))
        .await?;
    senders
        .send(&plan(&ws_url, sender_tokens, warmup, total, o.rate))
        .await?;
    let connect = Duration::from_secs(120);
    let (a, b, c) = tokio::join!(
        async {
            let r = ours.expect("ready", connect).await;
            (r, t0.elapsed())
        },
        async {
            let r = official.expect("ready", connect).await;
            (r, t0.elapsed())
        },
        senders.expect("ready", connect),
    );
    a.0?;
    b.0?;
    c?;
    println!(
        "connected: ours {} in {:.1?}, official {} in {:.1?}, senders {}",
        o.ours, a.1, o.official, b.1, o.senders
    );

    // Warm-up (JIT, allocators, buffers): not measured.
    senders.send(&format!("send 0 {warmup}")).await?;
    let within = Duration::from_secs_f64(warmup as f64 / o.rate) + Duration::from_secs(60);
    let (a, b, c) = tokio::join!(
        ours.expect("warm", within),
        official.expect("warm", within),
        senders.expect("sent", within),
    );
    a?;
    b?;
    c?;
    println!("warm-up: {warmup} messages delivered to every receiver");

    // The measured window.
    let before = [ours.cpu()?, official.cpu()?, emu.cpu()?, senders.cpu()?];
    let started = Instant::now();
    senders.send(&format!("send {warmup} {total}")).await?;
    let within =
        Duration::from_secs_f64((total - warmup) as f64 / o.rate) + Duration::from_secs(60);
    let (a, b, c) = tokio::join!(
        finish(&mut ours, within),
        finish(&mut official, within),
        senders.expect("sent", within),
    );
    let (ours_end, official_end) = (a?, b?);
    c?;
    let emu_cpu = emu.cpu()?.since(before[2]);
    let senders_cpu = senders.cpu()?.since(before[3]);
    let window = started.elapsed();
    let load_after = loadavg();

    let ours_sum = report(&mut ours).await?;
    let official_sum = report(&mut official).await?;
    senders.send("report").await?;
    let sender_report = senders.expect("report", Duration::from_secs(30)).await?;
    let rows = [
        Row::receivers(
            "official JS (amazon-ivs-chat-messaging 1.1.1, Node + ws)",
            &official_sum,
            official_end.cpu.since(before[1]),
            window,
            official.peak_rss()?,
        ),
        Row::receivers(
            "ours (ivschat::messaging::ChatRoom)",
            &ours_sum,
            ours_end.cpu.since(before[0]),
            window,
            ours.peak_rss()?,
        ),
    ];
    let measured = (total - warmup) as u64;
    let connections = (o.ours + o.official + o.senders) as u64;
    let emu_row = Row::other(
        "ivschat-local (per frame written)",
        connections,
        measured * connections,
        emu_cpu,
        window,
        emu.peak_rss()?,
    );
    let senders_row = Row::other(
        "senders (per message sent)",
        o.senders as u64,
        measured,
        senders_cpu,
        window,
        senders.peak_rss()?,
    );
    println!(
        "\n{} senders, {:.0} msg/s in all, {} measured messages ({} warm-up); window {:.1?}; load average {} before, {} after",
        o.senders, o.rate, measured, warmup, window, load_before, load_after
    );
    print_table(&rows, &[emu_row, senders_row]);

    let errors = sender_report["errors"]
        .as_object()
        .map(|m| m.values().filter_map(|v| v.as_u64()).sum::<u64>())
        .unwrap_or(0);
    println!(
        "senders: {} sent again after ERROR 429, other ERROR frames {errors} {}, latest send {:.1} ms behind schedule",
        sender_report["retried"],
        sender_report["errors"],
        sender_report["late_max_us"].as_u64().unwrap_or(0) as f64 / 1e3
    );
    let mut ok = errors == 0 && ours_end.complete && official_end.complete;
    for (name, s) in [("official", &official_sum), ("ours", &ours_sum)] {
        if s.lost + s.duplicates + s.foreign + s.disconnects + s.dropped > 0 {
            println!(
                "{name}: FAILED: lost {}, duplicates {}, foreign {}, disconnects {}, dropped {}",
                s.lost, s.duplicates, s.foreign, s.disconnects, s.dropped
            );
            ok = false;
        }
    }
    println!("{}", if ok { "PASS: no message lost" } else { "FAIL" });

    for child in [&mut ours, &mut official, &mut senders] {
        let _ = child.send("quit").await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(ok)
}
