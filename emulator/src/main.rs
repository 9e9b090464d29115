//! `ivschat-local`: run the emulator from the command line. See `--help`.

use std::io::Write;
use std::process::ExitCode;

use ivschat_emulator::access::{ADMIN_TOKEN_ENV, valid_token};
use ivschat_emulator::cli::{self, Command, USAGE};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Targets whose events at DEBUG and TRACE would show frame payloads (chat messages, user ids,
/// token attributes) or close reasons: capped at INFO whatever `IVSCHAT_LOG` says.
fn is_websocket_library(target: &str) -> bool {
    let crate_name = target.split("::").next().unwrap_or(target);
    matches!(crate_name, "tungstenite" | "tokio_tungstenite")
}

fn init_logging() {
    let env = tracing_subscriber::EnvFilter::try_from_env("IVSCHAT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let quiet_frames = tracing_subscriber::filter::filter_fn(|meta| {
        // The exposure warning is printed to stderr by main itself.
        meta.target() != "ivschat_emulator::exposure"
            && (!is_websocket_library(meta.target()) || *meta.level() <= tracing::Level::INFO)
    });
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(env)
                .with_filter(quiet_frames),
        )
        .try_init();
}

fn main() -> ExitCode {
    let builder = match cli::parse(std::env::args().skip(1)) {
        Ok(Command::Run(b)) => *b,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("ivschat-local {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("ivschat-local: {e}");
            return ExitCode::from(2);
        }
    };
    let mut builder = builder;
    if !builder.has_admin_token()
        && let Some(t) = std::env::var(ADMIN_TOKEN_ENV)
            .ok()
            .filter(|t| !t.is_empty())
    {
        if !valid_token(&t) {
            eprintln!(
                "ivschat-local: {ADMIN_TOKEN_ENV} must be 1 to 512 visible ASCII characters (no spaces)"
            );
            return ExitCode::from(2);
        }
        builder = builder.admin_token(t);
    }
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ivschat-local: cannot start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let host = builder.host_str().to_string();
        let handle = match builder.start().await {
            Ok(h) => h,
            Err(e) => {
                eprintln!("ivschat-local: cannot start: {e}");
                return ExitCode::FAILURE;
            }
        };
        let shown_host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host
        };
        if let Some(w) = handle.exposure_warning() {
            eprintln!("ivschat-local: {w}");
        }
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "ivschat-local listening on http://{shown_host}:{}",
            handle.local_addr().port()
        );
        let _ = out.flush();
        drop(out);
        wait_for_signal().await;
        handle.shutdown().await;
        ExitCode::SUCCESS
    })
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
