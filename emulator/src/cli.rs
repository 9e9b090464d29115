//! Command line of `ivschat-local` (hand parser: fast startup, no dependencies).

use std::time::Duration;

use crate::EmulatorBuilder;

/// Usage text.
pub const USAGE: &str = "\
Usage: ivschat-local [--host 127.0.0.1] [--port 4580] [--region us-east-1] [--data-dir DIR] [--log-dir DIR]
                     [--access-key-id ID --secret-access-key SECRET [--account-id 000000000000] [--session-token TOKEN]]...
                     [--max-rooms N] [--max-logging-configurations N] [--max-body-bytes N] [--header-timeout-ms N] [--body-timeout-ms N]
                     [--review-handler LAMBDA_ARN=http://HOST:PORT/PATH]... [--review-timeout-ms 200] [--client-queue N]
                     [--admin-token TOKEN] [--max-request-log-bytes 4194304] [--max-script-recording-bytes 8388608]

Without identity groups, the identity test/test -> account 000000000000 is accepted.
--admin-token (or IVSCHAT_ADMIN_TOKEN) makes every /_emulator/ call need `Authorization: Bearer TOKEN`;
on a non-loopback --host the admin API is off without one.
--review-handler maps a room's messageReviewHandler.uri to a local HTTP URL; --log-dir receives
chat logs (s3/, cloudwatch/, firehose/). --time-scale F (testing) divides token/session durations.
Prints `ivschat-local listening on http://HOST:PORT` once accepting; SIGINT/SIGTERM stop it.";

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    /// Run with this configuration.
    Run(Box<EmulatorBuilder>),
    /// Print usage.
    Help,
    /// Print version.
    Version,
}

struct Group {
    ak: String,
    sk: Option<String>,
    account: Option<String>,
    token: Option<String>,
}

fn finish(g: Group, b: EmulatorBuilder) -> Result<EmulatorBuilder, String> {
    let sk =
        g.sk.ok_or_else(|| format!("--access-key-id {} needs --secret-access-key", g.ak))?;
    let account = g.account.unwrap_or_else(|| "000000000000".into());
    if account.len() != 12 || !account.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!("--account-id must be 12 digits, got {account:?}"));
    }
    Ok(match g.token {
        Some(t) => b.identity_with_session_token(&g.ak, &sk, &account, &t),
        None => b.identity(&g.ak, &sk, &account),
    })
}

/// Parse arguments (without the program name).
pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Command, String> {
    let mut b = EmulatorBuilder::default();
    let mut group: Option<Group> = None;
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        if flag == "-h" || flag == "--help" {
            return Ok(Command::Help);
        }
        if flag == "-V" || flag == "--version" {
            return Ok(Command::Version);
        }
        let mut value = || -> Result<String, String> {
            match &inline {
                Some(v) => Ok(v.clone()),
                None => it.next().ok_or_else(|| format!("{flag} needs a value")),
            }
        };
        let num = |s: String| {
            s.parse::<u64>()
                .map_err(|_| format!("{flag}: not a number: {s:?}"))
        };
        match flag.as_str() {
            "--host" => b = b.host(value()?),
            "--port" => {
                let v = value()?;
                b = b.port(
                    v.parse()
                        .map_err(|_| format!("--port: not a port: {v:?}"))?,
                )
            }
            "--region" => b = b.region(value()?),
            "--data-dir" => b = b.data_dir(value()?),
            "--log-dir" => b = b.log_dir(value()?),
            "--max-rooms" => b = b.max_rooms(num(value()?)?),
            "--max-logging-configurations" => b = b.max_logging_configurations(num(value()?)?),
            "--max-body-bytes" => b = b.max_body_bytes(num(value()?)? as usize),
            "--body-timeout-ms" => b = b.body_read_timeout(Duration::from_millis(num(value()?)?)),
            "--header-timeout-ms" => {
                b = b.header_read_timeout(Duration::from_millis(num(value()?)?))
            }
            "--review-handler" => {
                let v = value()?;
                let (arn, url) = v
                    .split_once('=')
                    .filter(|(a, u)| !a.is_empty() && u.starts_with("http://"))
                    .ok_or_else(|| {
                        format!("--review-handler wants ARN=http://HOST:PORT/PATH, got {v:?}")
                    })?;
                b = b.review_handler(arn, url)
            }
            "--review-timeout-ms" => b = b.review_timeout(Duration::from_millis(num(value()?)?)),
            "--client-queue" => b = b.client_queue_capacity(num(value()?)? as usize),
            "--admin-token" => {
                let v = value()?;
                if !crate::access::valid_token(&v) {
                    return Err(
                        "--admin-token must be 1 to 512 visible ASCII characters (no spaces)"
                            .into(),
                    );
                }
                b = b.admin_token(v)
            }
            "--max-request-log-bytes" => b = b.max_request_log_bytes(num(value()?)? as usize),
            "--max-script-recording-bytes" => {
                b = b.max_script_recording_bytes(num(value()?)? as usize)
            }
            "--time-scale" => {
                let v = value()?;
                let f: f64 = v
                    .parse()
                    .ok()
                    .filter(|f: &f64| f.is_finite() && *f > 0.0)
                    .ok_or_else(|| format!("--time-scale: not a positive number: {v:?}"))?;
                b = b.time_scale(f)
            }
            "--access-key-id" => {
                let ak = value()?;
                if let Some(g) = group.take() {
                    b = finish(g, b)?;
                }
                group = Some(Group {
                    ak,
                    sk: None,
                    account: None,
                    token: None,
                });
            }
            "--secret-access-key" | "--account-id" | "--session-token" => {
                let v = value()?;
                let g = group
                    .as_mut()
                    .ok_or_else(|| format!("{flag} must follow --access-key-id"))?;
                let slot = match flag.as_str() {
                    "--secret-access-key" => &mut g.sk,
                    "--account-id" => &mut g.account,
                    _ => &mut g.token,
                };
                if slot.is_some() {
                    return Err(format!("{flag} given twice for --access-key-id {}", g.ak));
                }
                *slot = Some(v);
            }
            other => return Err(format!("unknown argument {other:?}\n\n{USAGE}")),
        }
    }
    if let Some(g) = group.take() {
        b = finish(g, b)?;
    }
    Ok(Command::Run(Box::new(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn groups_and_errors() {
        assert!(matches!(
            parse(args(
                "--port 0 --access-key-id a --secret-access-key b --access-key-id c --secret-access-key d --account-id 111111111111"
            )),
            Ok(Command::Run(_))
        ));
        assert!(parse(args("--access-key-id a")).is_err());
        assert!(parse(args("--secret-access-key a")).is_err());
        assert!(parse(args("--port x")).is_err());
        assert!(parse(args("--bogus")).is_err());
        assert!(
            parse(args(
                "--access-key-id a --secret-access-key b --account-id 12"
            ))
            .is_err()
        );
        assert!(matches!(parse(args("--help")), Ok(Command::Help)));
        assert!(matches!(
            parse(args(
                "--review-handler arn:aws:lambda:us-east-1:123456789012:function:f=http://127.0.0.1:9/r --time-scale 60 --log-dir /tmp/x"
            )),
            Ok(Command::Run(_))
        ));
        assert!(parse(args("--review-handler nope")).is_err());
        assert!(matches!(
            parse(args("--admin-token abc --max-request-log-bytes 1000 --max-script-recording-bytes 2000")),
            Ok(Command::Run(b)) if b.has_admin_token()
        ));
        assert!(parse(args("--admin-token")).is_err());
        assert!(parse(vec!["--admin-token".to_string(), "a b".to_string()]).is_err());
        assert!(parse(args("--time-scale 0")).is_err());
    }
}
