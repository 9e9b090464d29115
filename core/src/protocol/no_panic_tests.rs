//! No input makes the response parsers panic: thousands of deterministic pseudo-random bodies,
//! statuses and headers (garbage bytes, broken and valid JSON with odd timestamps, numbers,
//! types and nesting) go through `parse_output` for every operation and through `parse_error`.

use std::panic::{AssertUnwindSafe, catch_unwind};

use fastrand::Rng;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{parse_error, parse_output, serde_time};
use crate::error::{Error, ErrorKind};
use crate::operation::*;

const CASES: u64 = 4_000;

const KEYS: &[&str] = &[
    "arn",
    "id",
    "name",
    "createTime",
    "updateTime",
    "tokenExpirationTime",
    "sessionExpirationTime",
    "maximumMessageRatePerSecond",
    "maximumMessageLength",
    "messageReviewHandler",
    "uri",
    "fallbackResult",
    "tags",
    "loggingConfigurationIdentifiers",
    "rooms",
    "loggingConfigurations",
    "nextToken",
    "destinationConfiguration",
    "s3",
    "cloudWatchLogs",
    "firehose",
    "bucketName",
    "state",
    "token",
    "message",
    "Message",
    "code",
    "Code",
    "__type",
    "reason",
    "fieldList",
    "resourceId",
    "resourceType",
    "limit",
    "unknown",
];

const SCALARS: &[&str] = &[
    "null",
    "true",
    "false",
    "0",
    "-0",
    "0.5",
    "-1.5",
    "1e400",
    "-1e400",
    "1e308",
    "5e-324",
    "2147483648",
    "9223372036854775808",
    "18446744073709551616",
    "253402300799.9999995",
    "253402300800",
    "-62135596801",
    "1700000000.1234567",
    "\"\"",
    "\"ROOM\"",
    "\"OTHER\"",
    "\"ValidationException\"",
    "\"ServiceQuotaExceededException\"",
    "\"aws#x#ThrottlingException:http://x\"",
    "\"2016-12-31T23:59:60Z\"",
    "\"2024-05-01T12:34:56.999999999Z\"",
    "\"0000-01-01T00:00:00Z\"",
    "\"10000-01-01T00:00:00Z\"",
    "\"-0001-01-01T00:00:00Z\"",
    "\"9999-12-31T23:59:59-01:00\"",
    "\"0001-01-01T00:00:00+23:59\"",
    "\"+262143-12-31T23:59:59Z\"",
    "\"1e400\"",
    "\"-1e300\"",
    "\"nan\"",
    "\"inf\"",
    "\"1700000000.9999995\"",
    "\"\\ud800\"",
    "\"\\u0000\"",
    "\"é🎉\"",
];

/// Pieces that break JSON, spliced into otherwise valid bodies.
const BREAKERS: &[&str] = &[
    "", "{", "}", "[", "]", ",", ":", "\"", "\\", "NaN", "Infinity", "\u{feff}", "\0", "\u{7f}",
];

fn pick<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
    items[rng.usize(..items.len())]
}

fn random_string(rng: &mut Rng) -> String {
    let alphabet = b"0123456789-:.TZz+ tabcAZ#\\\"\xc3";
    let len = rng.usize(0..24);
    let bytes: Vec<u8> = (0..len)
        .map(|_| alphabet[rng.usize(..alphabet.len())])
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn random_value(rng: &mut Rng, depth: u32, out: &mut String) {
    let choice = if depth > 4 { 0 } else { rng.u8(0..10) };
    match choice {
        0..=4 => out.push_str(pick(rng, SCALARS)),
        5 => out.push_str(&serde_json::to_string(&random_string(rng)).unwrap()),
        6 => out.push_str(&rng.i64(..).to_string()),
        7 => {
            out.push('[');
            for i in 0..rng.usize(0..4) {
                if i > 0 {
                    out.push(',');
                }
                random_value(rng, depth + 1, out);
            }
            out.push(']');
        }
        _ => random_object(rng, depth + 1, out),
    }
}

fn random_object(rng: &mut Rng, depth: u32, out: &mut String) {
    out.push('{');
    for i in 0..rng.usize(0..8) {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!("\"{}\":", pick(rng, KEYS)));
        random_value(rng, depth, out);
    }
    out.push('}');
}

fn nested(rng: &mut Rng) -> String {
    // Past serde_json's limit of 128; now and then past Python's (about 1,000) by far.
    let depth = if rng.u8(0..20) == 0 {
        rng.usize(10_000..20_000)
    } else {
        rng.usize(100..1_000)
    };
    let (open, close) = if rng.bool() {
        ("[", "]")
    } else {
        ("{\"a\":", "}")
    };
    let inner = format!("{}1{}", open.repeat(depth), close.repeat(depth));
    format!(
        "{{\"__type\":\"ValidationException\",\"{}\":{inner}}}",
        pick(rng, KEYS)
    )
}

fn body(rng: &mut Rng) -> Vec<u8> {
    let mut text = String::new();
    match rng.u8(0..10) {
        0 => return (0..rng.usize(0..64)).map(|_| rng.u8(..)).collect(),
        1 => text = nested(rng),
        2 => random_value(rng, 0, &mut text),
        _ => random_object(rng, 0, &mut text),
    }
    let mut bytes = text.into_bytes();
    for _ in 0..rng.usize(0..3) {
        let at = rng.usize(0..=bytes.len());
        match rng.u8(0..3) {
            0 => {
                bytes.truncate(at);
            }
            1 => {
                let piece = pick(rng, BREAKERS).as_bytes();
                bytes.splice(at..at, piece.iter().copied());
            }
            _ => {
                if at < bytes.len() {
                    bytes[at] = rng.u8(..);
                }
            }
        }
    }
    bytes
}

fn headers(rng: &mut Rng) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for name in ["x-amzn-errortype", "x-amzn-requestid"] {
        let value = match rng.u8(0..4) {
            0 => continue,
            1 => pick(rng, SCALARS).trim_matches('"').as_bytes().to_vec(),
            2 => random_string(rng).into_bytes(),
            _ => (0..rng.usize(0..16)).map(|_| rng.u8(..)).collect(),
        };
        if let Ok(value) = HeaderValue::from_bytes(&value) {
            headers.insert(name, value);
        }
    }
    headers
}

/// Uses every part of an error a caller may touch; its status is the response's.
fn check_error(error: &Error, status: StatusCode) {
    let _ = (error.to_json(), error.to_string(), format!("{error:?}"));
    assert_eq!(error.http_status(), Some(status.as_u16()), "{error}");
    assert!(
        matches!(
            error.kind(),
            ErrorKind::Service | ErrorKind::Unhandled | ErrorKind::Response
        ),
        "{error}"
    );
}

fn check_output<O: DeserializeOwned + Serialize>(status: StatusCode, body: &[u8]) {
    match parse_output::<O>(status, Some("req"), body) {
        Ok(output) => {
            serde_json::to_string(&output).expect("a parsed output serialises");
        }
        Err(error) => {
            check_error(&error, status);
            assert_eq!(error.code(), "ResponseParseError");
        }
    }
}

fn check_outputs(status: StatusCode, body: &[u8]) {
    macro_rules! each {
        ($($output:ty),*) => { $(check_output::<$output>(status, body);)* };
    }
    each!(
        CreateChatTokenOutput,
        CreateLoggingConfigurationOutput,
        CreateRoomOutput,
        DeleteLoggingConfigurationOutput,
        DeleteMessageOutput,
        DeleteRoomOutput,
        DisconnectUserOutput,
        GetLoggingConfigurationOutput,
        GetRoomOutput,
        ListLoggingConfigurationsOutput,
        ListRoomsOutput,
        ListTagsForResourceOutput,
        SendEventOutput,
        TagResourceOutput,
        UntagResourceOutput,
        UpdateLoggingConfigurationOutput,
        UpdateRoomOutput
    );
}

#[test]
fn no_body_status_or_header_makes_a_parser_panic() {
    for seed in 0..CASES {
        let mut rng = Rng::with_seed(seed);
        let body = body(&mut rng);
        let headers = headers(&mut rng);
        let success = StatusCode::from_u16(rng.u16(200..300)).unwrap();
        let failure = StatusCode::from_u16(rng.u16(100..1000)).unwrap();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            check_outputs(success, &body);
            check_error(&parse_error(failure, &headers, &body), failure);
        }));
        if outcome.is_err() {
            let shown = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
            panic!("seed {seed}: status {success}/{failure}, headers {headers:?}, body {shown:?}");
        }
    }
}

#[test]
fn no_timestamp_string_makes_the_parser_panic() {
    let mut rng = Rng::with_seed(15);
    for _ in 0..20_000 {
        let text = match rng.u8(0..3) {
            0 => random_string(&mut rng),
            1 => pick(&mut rng, SCALARS).trim_matches('"').to_owned(),
            _ => format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{}{}",
                rng.i32(-1..10_001),
                rng.u8(0..14),
                rng.u8(0..33),
                rng.u8(0..25),
                rng.u8(0..61),
                rng.u8(0..62),
                rng.u32(..),
                pick(&mut rng, &["Z", "+00:00", "-23:59", "+24:00", "", "z"]),
            ),
        };
        let parsed = catch_unwind(|| serde_time::parse(&text))
            .unwrap_or_else(|_| panic!("timestamp {text:?} panicked"));
        if let Ok(time) = parsed {
            // Whatever parses is inside years 1-9999, so it formats as RFC 3339.
            assert!(
                serde_time::format(&time).contains('T'),
                "{text:?} parsed out of range"
            );
        }
    }
}
