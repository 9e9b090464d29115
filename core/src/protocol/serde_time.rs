//! Timestamps (`timestampFormat: iso8601`), read as botocore reads them: ISO-8601 strings with
//! any number of fractional digits and any offset, or epoch seconds as a JSON number or a numeric
//! string. Second 60 is rejected (dateutil does), and so is any instant outside years 1–9999 UTC
//! (Python's `datetime` cannot hold it).

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in epoch seconds.
const FIRST_SECOND: i64 = -62_135_596_800;
const LAST_SECOND: i64 = 253_402_300_799;

/// Parses a timestamp string: epoch seconds (`"1700000000.123"`, as botocore tries `float()`
/// first) or an ISO-8601 / RFC 3339 date-time. Without an offset the time is taken as UTC.
pub fn parse(text: &str) -> Result<DateTime, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return from_epoch_f64(seconds);
    }
    let parsed =
        parse_rfc3339(text, true).map_err(|e| format!("invalid timestamp {text:?}: {e}"))?;
    let seconds = parsed.unix_timestamp();
    in_range(seconds, text)?;
    Ok(DateTime::from_secs_and_nanos(seconds, parsed.nanosecond()))
}

/// An RFC 3339 date-time as the `time` crate reads it (any number of fractional digits, any
/// offset, `t` and `z` in either case), plus what botocore (dateutil) and JavaScript's `Date` also
/// take: a space for the `T`, a bare date (midnight UTC) and, with `assume_utc`, no offset meaning
/// UTC. Second 60 is an error: `time` would read it as :59.999999999, while botocore and `Date`
/// refuse it. dateutil's looser forms (no seconds, `+02`, month names) are not read.
pub(crate) fn parse_rfc3339(text: &str, assume_utc: bool) -> Result<OffsetDateTime, String> {
    let bytes = text.as_bytes();
    if bytes.get(16..19) == Some(b":60") {
        return Err("second 60 is not accepted".into());
    }
    let whole;
    let text = match bytes.get(10) {
        None if bytes.len() == 10 => {
            whole = format!("{text}T00:00:00Z");
            &whole
        }
        Some(b' ') => {
            whole = format!("{}T{}", &text[..10], &text[11..]);
            &whole
        }
        _ => text,
    };
    OffsetDateTime::parse(text, &Rfc3339)
        .or_else(|e| match assume_utc {
            true => OffsetDateTime::parse(&format!("{text}Z"), &Rfc3339).map_err(|_| e),
            false => Err(e),
        })
        .map_err(|e| e.to_string())
}

/// Epoch seconds as Python's `datetime.fromtimestamp` reads a float: the fraction rounded to the
/// nearest microsecond, ties to even.
fn from_epoch_f64(seconds: f64) -> Result<DateTime, String> {
    if !seconds.is_finite() {
        return Err(format!("epoch seconds out of range: {seconds}"));
    }
    let mut whole = seconds.trunc();
    let mut micros = ((seconds - whole) * 1e6).round_ties_even();
    if micros >= 1e6 {
        micros -= 1e6;
        whole += 1.0;
    } else if micros < 0.0 {
        micros += 1e6;
        whole -= 1.0;
    }
    if !(FIRST_SECOND as f64..=LAST_SECOND as f64).contains(&whole) {
        return Err(format!("epoch seconds out of range: {seconds}"));
    }
    // In range and integral, so the casts are exact; micros is in [0, 1e6).
    Ok(DateTime::from_secs_and_nanos(
        whole as i64,
        micros as u32 * 1_000,
    ))
}

fn from_epoch_i64(seconds: i64) -> Result<DateTime, String> {
    in_range(seconds, &seconds.to_string())?;
    Ok(DateTime::from_secs(seconds))
}

/// Whether `time` falls in years 1–9999 (UTC), the years a SigV4 date stamp can hold.
pub(crate) fn in_years_1_to_9999(time: std::time::SystemTime) -> bool {
    let seconds = match time.duration_since(std::time::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).ok(),
        Err(before) => i64::try_from(before.duration().as_secs()).ok().map(|s| -s),
    };
    seconds.is_some_and(|s| (FIRST_SECOND..=LAST_SECOND).contains(&s))
}

fn in_range(seconds: i64, text: &str) -> Result<(), String> {
    if (FIRST_SECOND..=LAST_SECOND).contains(&seconds) {
        Ok(())
    } else {
        Err(format!(
            "timestamp {text:?} is outside years 1 to 9999 (UTC)"
        ))
    }
}

/// Formats as RFC 3339 in UTC, e.g. `2024-05-01T12:34:56.789Z`.
pub fn format(value: &DateTime) -> String {
    value
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| format!("{}", value.secs()))
}

struct TimeVisitor;

impl Visitor<'_> for TimeVisitor {
    type Value = DateTime;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an ISO-8601 timestamp string or epoch seconds")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<DateTime, E> {
        parse(v).map_err(E::custom)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<DateTime, E> {
        from_epoch_f64(v).map_err(E::custom)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<DateTime, E> {
        from_epoch_i64(v).map_err(E::custom)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<DateTime, E> {
        i64::try_from(v)
            .map_err(|_| format!("epoch seconds out of range: {v}"))
            .and_then(from_epoch_i64)
            .map_err(E::custom)
    }
}

pub(crate) fn serialize<S: Serializer>(value: &DateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format(value))
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime, D::Error> {
    d.deserialize_any(TimeVisitor)
}

pub(crate) mod option {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<DateTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => super::serialize(v, s),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime>, D::Error> {
        struct OptVisitor;
        impl<'de> Visitor<'de> for OptVisitor {
            type Value = Option<DateTime>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a timestamp or null")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                super::deserialize(d).map(Some)
            }
        }
        d.deserialize_option(OptVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn micros(text: &str) -> (i64, u32) {
        let t = parse(text).unwrap();
        (t.secs(), t.subsec_nanos() / 1_000)
    }

    #[test]
    fn epoch_numbers_round_to_the_microsecond_like_python() {
        assert_eq!(micros("1700000000.123"), (1_700_000_000, 123_000));
        assert_eq!(micros("1700000000.1234567"), (1_700_000_000, 123_457));
        assert_eq!(micros("1700000000.9999995"), (1_700_000_001, 0));
        assert_eq!(micros("-1.5"), (-2, 500_000));
        assert_eq!(micros("-0.0000001"), (0, 0));
        assert_eq!(micros("253402300799.999"), (253_402_300_799, 998_993));
    }

    #[test]
    fn leap_seconds_and_years_outside_1_to_9999_are_errors() {
        for text in [
            "2016-12-31T23:59:60Z",
            "2016-12-31T23:59:60.5Z",
            "2017-01-01T00:59:60+01:00",
            "0000-01-01T00:00:00Z",
            "10000-01-01T00:00:00Z",
            "-0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59-01:00",
            "0001-01-01T00:00:00+01:00",
            "253402300800",
            "-62135596801",
            "1e300",
            "inf",
            "NaN",
        ] {
            assert!(parse(text).is_err(), "{text} parsed");
        }
        assert_eq!(micros("0001-01-01T00:00:00Z"), (FIRST_SECOND, 0));
        assert_eq!(
            micros("9999-12-31T23:59:59.999999Z"),
            (LAST_SECOND, 999_999)
        );
    }

    #[test]
    fn a_space_for_the_t_a_bare_date_and_no_offset_are_read_as_botocore_reads_them() {
        // Each figure is botocore's `parse_timestamp(text).timestamp()`.
        for text in [
            "2024-05-01 12:34:56Z",
            "2024-05-01T12:34:56",
            "2024-05-01t12:34:56z",
            "2024-05-01T14:34:56+02:00",
        ] {
            assert_eq!(micros(text), (1_714_566_896, 0), "{text}");
        }
        assert_eq!(micros("2024-05-01 12:34:56.5"), (1_714_566_896, 500_000));
        assert_eq!(micros("2024-05-01"), (1_714_521_600, 0));
        for text in [
            "2024-02-30T00:00:00Z",
            "2024-05-01T24:00:01Z",
            "2024-05-0112:34:56Z",
        ] {
            assert!(parse(text).is_err(), "{text} parsed");
        }
    }

    #[test]
    fn json_numbers_outside_the_range_are_errors() {
        let parse_json = |json: &str| {
            let mut de = serde_json::Deserializer::from_str(json);
            deserialize(&mut de)
        };
        assert_eq!(parse_json("-62135596800").unwrap().secs(), FIRST_SECOND);
        for json in [
            "253402300800",
            "18446744073709551615",
            "100000000000000000000",
            "-1e300",
        ] {
            assert!(parse_json(json).is_err(), "{json} parsed");
        }
    }
}
