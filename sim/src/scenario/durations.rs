//! Durations in simulated time, as scenarios write them (`500ms`, `6s`, `4.9s`,
//! `10m`, `1h`, or a number of seconds), to the millisecond, bounded by
//! [`bounds::MAX_DURATION`].

use std::fmt;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use super::bounds;

/// A duration in simulated time: `500ms`, `6s`, `4.9s`, `10m`, `1h`, or a number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub struct SimDuration(pub Duration);

impl From<SimDuration> for String {
    fn from(d: SimDuration) -> String {
        let ms = d.0.as_millis();
        if !ms.is_multiple_of(1000) {
            format!("{ms}ms")
        } else {
            format!("{}s", ms / 1000)
        }
    }
}

impl SimDuration {
    pub fn secs(s: u64) -> Self {
        SimDuration(Duration::from_secs(s))
    }

    /// Parses `500ms`, `6s`, `4.9s`, `0.5s`, `10m`, `1.5h` or a bare number of
    /// seconds (`2`, `0.25`), to the millisecond, at most [`bounds::MAX_DURATION`]
    /// (so no arithmetic on it can overflow). A fraction finer than a millisecond
    /// (`0.0001s`, `1.5ms`) is refused, never rounded.
    pub fn parse(text: &str) -> Result<Self, DurationError> {
        let t = text.trim();
        let split = t.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(t.len());
        let (number, unit) = t.split_at(split);
        let malformed = || DurationError::Malformed(text.to_string());
        if !number.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(malformed());
        }
        let millis_per_unit: u64 = match unit.trim() {
            "" | "s" => 1000,
            "ms" => 1,
            "m" => 60_000,
            "h" => 3_600_000,
            other => return Err(DurationError::UnknownUnit { unit: other.to_string(), text: text.to_string() }),
        };
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() || !all_digits(fraction) || (number.contains('.') && fraction.is_empty()) {
            return Err(malformed());
        }
        // Digits too many for a u64 are a duration too long, not a malformed one.
        let too_long = || DurationError::TooLong(text.to_string());
        let whole: u64 = whole.parse().map_err(|_| too_long())?;
        let whole_millis = whole.checked_mul(millis_per_unit).ok_or_else(too_long)?;
        // The fraction in milliseconds: digits * millis_per_unit / 10^digits, exactly.
        let fraction = fraction.trim_end_matches('0');
        let fraction_millis = if fraction.is_empty() {
            0
        } else {
            let scale = u32::try_from(fraction.len())
                .ok()
                .and_then(|n| 10u64.checked_pow(n))
                .ok_or_else(|| DurationError::TooPrecise(text.to_string()))?;
            let digits: u64 = fraction.parse().map_err(|_| DurationError::TooPrecise(text.to_string()))?;
            let scaled =
                digits.checked_mul(millis_per_unit).ok_or_else(|| DurationError::TooPrecise(text.to_string()))?;
            if !scaled.is_multiple_of(scale) {
                return Err(DurationError::TooPrecise(text.to_string()));
            }
            scaled / scale
        };
        let d = whole_millis.checked_add(fraction_millis).map(Duration::from_millis);
        match d {
            Some(d) if d <= bounds::MAX_DURATION => Ok(SimDuration(d)),
            _ => Err(too_long()),
        }
    }
}

/// Why a duration did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DurationError {
    /// Not a number with a unit.
    Malformed(String),
    /// A unit other than ms, s, m or h.
    UnknownUnit { unit: String, text: String },
    /// Longer than [`bounds::MAX_DURATION`].
    TooLong(String),
    /// A fraction finer than a millisecond.
    TooPrecise(String),
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DurationError::Malformed(text) => {
                write!(f, "expected a duration like `500ms`, `4.9s`, `10m` or `1h`, got `{text}`")
            }
            DurationError::UnknownUnit { unit, text } => {
                write!(f, "unknown duration unit `{unit}` in `{text}`: use ms, s, m or h")
            }
            DurationError::TooPrecise(text) => {
                write!(f, "expected a duration to the millisecond at finest (`4.9s`, `0.125s`), got `{text}`")
            }
            DurationError::TooLong(text) => write!(
                f,
                "expected a duration of at most {}h (the longest horizon), got `{text}`",
                bounds::MAX_DURATION.as_secs() / 3600
            ),
        }
    }
}

impl std::error::Error for DurationError {}

/// For callers whose errors are messages (the command line's `--jitter`).
impl From<DurationError> for String {
    fn from(e: DurationError) -> String {
        e.to_string()
    }
}

impl<'de> Deserialize<'de> for SimDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Secs(u64),
            Fraction(f64),
            Text(String),
        }
        let raw = Raw::deserialize(d).map_err(|_| {
            serde::de::Error::custom("expected a duration like `500ms`, `4.9s`, `10m`, `1h` or a number of seconds")
        })?;
        let parsed = match raw {
            Raw::Secs(s) => SimDuration::parse(&s.to_string()),
            // `{}` of a float is the shortest text that reads back as it (`0.5`, `4.9`).
            Raw::Fraction(s) => SimDuration::parse(&s.to_string()),
            Raw::Text(t) => SimDuration::parse(&t),
        };
        parsed.map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for SimDuration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SimDuration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A duration in simulated time: `500ms`, `6s`, `4.9s`, `0.5s`, `10m`, `1h`, or a number of seconds; to the millisecond, at most 24h.",
            "anyOf": [
                {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?(ms|s|m|h)?$"},
                {"type": "number", "minimum": 0, "maximum": bounds::MAX_DURATION.as_secs()}
            ]
        })
    }
}
