//! `ivschat-local`: run the emulator from the command line. See `--help`.

use std::io::Write;
use std::process::ExitCode;

use ivschat_emulator::cli::{self, Command, USAGE};

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
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("IVSCHAT_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .try_init();
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
