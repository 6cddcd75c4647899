//! Instants and dates as the API writes them, read back without chrono's
//! general format parser.
//!
//! chrono's own `Deserialize` for `DateTime<Utc>` and `NaiveDate` goes
//! through their `FromStr`, which runs the format parser that accepts every
//! layout chrono knows. That parser was ~12 KB of the wasm chunk the deal list,
//! the board and the deal page share (#14, measured with names kept).
//! The API writes exactly two layouts, and these read exactly those:
//! - an instant in RFC 3339 (`to_rfc3339`, chrono's `Serialize`), through
//!   chrono's dedicated RFC 3339 reader;
//! - a date as `YYYY-MM-DD` (`checklist::parse_date`), the OpenAPI `date`.
//!
//! Serializing is chrono's own; only reading is replaced. Use with
//! `#[serde(deserialize_with = "crate::wire::instant")]` (and `instant_opt`,
//! `date`, `date_opt`, each with `#[serde(default)]` for the optional ones).
//! A date field read without them brings chrono's parser back into the
//! hot pages' wasm (~6 KB gzip): `make size`'s budgets, set at today's
//! figures, refuse that.

use crate::checklist::parse_date;
use chrono::{DateTime, NaiveDate, Utc};
use serde::de::{Error, Unexpected};
use serde::{Deserialize, Deserializer};

const INSTANT: &str = "an RFC 3339 date and time, e.g. 2026-12-07T13:00:00Z";
const DATE: &str = "a date as YYYY-MM-DD";

fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// `s` as `parse` reads it, or serde's "invalid value" naming what was
/// expected: the one refusal all four readers give.
fn read<T, E: Error>(
    s: &str,
    parse: fn(&str) -> Option<T>,
    expected: &'static str,
) -> Result<T, E> {
    parse(s).ok_or_else(|| E::invalid_value(Unexpected::Str(s), &expected))
}

/// An RFC 3339 instant.
pub fn instant<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    read(&String::deserialize(d)?, parse_instant, INSTANT)
}

/// An RFC 3339 instant or `null`.
pub fn instant_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|s| read(&s, parse_instant, INSTANT))
        .transpose()
}

/// A `YYYY-MM-DD` date.
pub fn date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    read(&String::deserialize(d)?, parse_date, DATE)
}

/// A `YYYY-MM-DD` date or `null`.
pub fn date_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|s| read(&s, parse_date, DATE))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde::Serialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Stamped {
        #[serde(deserialize_with = "instant")]
        at: DateTime<Utc>,
        #[serde(default, deserialize_with = "instant_opt")]
        closed_at: Option<DateTime<Utc>>,
        #[serde(deserialize_with = "date")]
        on: NaiveDate,
        #[serde(default, deserialize_with = "date_opt")]
        until: Option<NaiveDate>,
    }

    fn read(json: &str) -> Result<Stamped, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn what_the_api_writes_reads_back_the_same() {
        let at = Utc.with_ymd_and_hms(2026, 12, 7, 13, 0, 0).unwrap();
        let cases = [
            Stamped {
                at,
                closed_at: Some(at + chrono::Duration::milliseconds(1_234)),
                on: NaiveDate::from_ymd_opt(2028, 2, 29).unwrap(),
                until: Some(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()),
            },
            Stamped {
                at: at + chrono::Duration::nanoseconds(123_456_789),
                closed_at: None,
                on: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
                until: None,
            },
        ];
        for s in cases {
            // chrono's `Serialize` (as the server's JSON) ...
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(read(&json), Ok(s), "{json}");
        }
        // ... and the server's `to_rfc3339` (its SQL columns).
        let json = format!(r#"{{"at":"{}","on":"2026-01-05"}}"#, at.to_rfc3339());
        assert_eq!(read(&json).map(|s| s.at), Ok(at));
    }

    #[test]
    fn an_offset_is_converted_to_utc_and_absent_optionals_are_none() {
        let s = read(r#"{"at":"2026-12-07T21:00:00+08:00","on":"2026-12-07"}"#).unwrap();
        assert_eq!(s.at, Utc.with_ymd_and_hms(2026, 12, 7, 13, 0, 0).unwrap());
        assert_eq!((s.closed_at, s.until), (None, None));
        let s = read(
            r#"{"at":"2026-12-07T13:00:00Z","on":"2026-12-07","closed_at":null,"until":null}"#,
        );
        assert_eq!(s.map(|s| (s.closed_at, s.until)), Ok((None, None)));
    }

    #[test]
    fn other_layouts_are_refused_with_what_was_expected() {
        for (json, expected) in [
            (r#"{"at":"2026-12-07 13:00","on":"2026-12-07"}"#, INSTANT),
            (r#"{"at":"2026-12-07T13:00:00","on":"2026-12-07"}"#, INSTANT),
            (r#"{"at":"yesterday","on":"2026-12-07"}"#, INSTANT),
            (r#"{"at":"2026-12-07T13:00:00Z","on":"2026-1-5"}"#, DATE),
            (r#"{"at":"2026-12-07T13:00:00Z","on":"2026-02-30"}"#, DATE),
            (
                r#"{"at":"2026-12-07T13:00:00Z","on":"2026-12-07","until":"07/12/2026"}"#,
                DATE,
            ),
            (
                r#"{"at":"2026-12-07T13:00:00Z","on":"2026-12-07","closed_at":"now"}"#,
                INSTANT,
            ),
        ] {
            let err = read(json).unwrap_err();
            assert!(err.contains(expected), "{json}: {err}");
        }
        assert!(read(r#"{"at":1,"on":"2026-12-07"}"#).is_err());
    }
}
