//! Time as the fakes see it.
//!
//! No handler reads the wall clock: every fake takes a [`Clock`] at
//! construction, so the same code serves inside the turmoil simulation (where
//! the sim plugs in its own simulated epoch) and on real loopback sockets
//! ([`SystemClock`]). Token expiries, JWT checks and timestamps in responses
//! all come from this one source.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of "now" in whole seconds since the Unix epoch.
pub trait Clock: Send + Sync {
    fn now_unix(&self) -> u64;
}

/// The machine's wall clock. Use it only for fakes served on real sockets to
/// real clients that themselves read the wall clock (e.g. octocrab signing an
/// App JWT); never inside the simulation.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix(&self) -> u64 {
        // A clock before 1970 reads as the epoch rather than panicking.
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
    }
}

/// A clock that only moves when told to: deterministic tests and scenario
/// drivers set or advance it explicitly.
#[derive(Debug, Default)]
pub struct FixedClock {
    now: AtomicU64,
}

impl FixedClock {
    pub fn new(now_unix: u64) -> Self {
        Self { now: AtomicU64::new(now_unix) }
    }

    pub fn set(&self, now_unix: u64) {
        self.now.store(now_unix, Ordering::SeqCst);
    }

    /// Moves the clock forward by `secs` (saturating).
    pub fn advance(&self, secs: u64) {
        let _ = self.now.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| Some(t.saturating_add(secs)));
    }
}

impl Clock for FixedClock {
    fn now_unix(&self) -> u64 {
        self.now.load(Ordering::SeqCst)
    }
}

/// Any closure returning Unix seconds is a clock (e.g. one reading turmoil's
/// `sim_elapsed` plus the scenario epoch).
impl<F> Clock for F
where
    F: Fn() -> u64 + Send + Sync,
{
    fn now_unix(&self) -> u64 {
        self()
    }
}

/// Formats Unix seconds as ISO 8601 / RFC 3339 UTC with a `Z` suffix
/// (`2026-06-01T12:00:00Z`), the form GitHub and Sentry APIs use.
pub fn iso8601(unix: u64) -> String {
    timestamp(unix, "Z")
}

/// Like [`iso8601`] with milliseconds (`2026-06-01T12:00:00.000Z`), as Sentry
/// and GlitchTip render `dateCreated`/`firstSeen`.
pub(crate) fn iso8601_millis(unix: u64) -> String {
    timestamp(unix, ".000Z")
}

/// `YYYY-MM-DDTHH:MM:SS` then `suffix`, the digits written directly (what
/// `format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}")` writes, for a
/// tenth of its instructions); a year past 9999 is written whole, as `{y:04}` does.
fn timestamp(unix: u64, suffix: &str) -> String {
    let days = (unix / 86_400) as i64;
    let secs = (unix % 86_400) as u32;
    let (y, m, d) = civil_from_days(days);
    let mut out = String::with_capacity(19 + suffix.len());
    match u32::try_from(y) {
        Ok(y) if y < 10_000 => {
            two_digits(&mut out, y / 100);
            two_digits(&mut out, y % 100);
        }
        _ => {
            use std::fmt::Write as _;
            let _ = write!(out, "{y:04}");
        }
    }
    for (separator, value) in [('-', m), ('-', d), ('T', secs / 3600), (':', secs % 3600 / 60), (':', secs % 60)] {
        out.push(separator);
        two_digits(&mut out, value);
    }
    out.push_str(suffix);
    out
}

/// `value` (below 100) as two decimal digits.
fn two_digits(out: &mut String, value: u32) {
    out.push(char::from(b'0' + (value / 10) as u8));
    out.push(char::from(b'0' + (value % 10) as u8));
}

/// Unix seconds of an [`iso8601`] timestamp, with or without milliseconds (they
/// are dropped); `None` for text of any other shape.
pub fn unix_from_iso8601(text: &str) -> Option<u64> {
    let (date, time) = text.strip_suffix('Z')?.split_once('T')?;
    let mut date = date.splitn(3, '-').map(str::parse::<i64>);
    let (y, m, d) = (date.next()?.ok()?, date.next()?.ok()?, date.next()?.ok()?);
    let time = time.split('.').next()?;
    let mut hms = time.splitn(3, ':').map(str::parse::<u64>);
    let (h, min, s) = (hms.next()?.ok()?, hms.next()?.ok()?, hms.next()?.ok()?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || h > 23 || min > 59 || s > 60 {
        return None;
    }
    let days = u64::try_from(days_from_civil(y, m, d)).ok()?;
    Some(days * 86_400 + h * 3600 + min * 60 + s)
}

/// A proleptic Gregorian (year, month, day) to days since 1970-01-01
/// (Howard Hinnant's `days_from_civil`, the inverse of [`civil_from_days`]).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day)
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(1_780_315_200), "2026-06-01T12:00:00Z");
        assert_eq!(iso8601_millis(1_780_315_200), "2026-06-01T12:00:00.000Z");
    }

    /// The formatter before the digits were written directly.
    fn by_format(unix: u64) -> String {
        let days = (unix / 86_400) as i64;
        let secs = unix % 86_400;
        let (y, m, d) = civil_from_days(days);
        format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, (secs % 3600) / 60, secs % 60)
    }

    #[test]
    fn timestamps_are_the_ones_format_wrote() {
        let day = 86_400;
        // Leap days (2000 is a leap year, 2100 is not), year and century ends, the
        // four-digit year's last day and the first five-digit one, the largest instant.
        let mut instants = vec![
            0,
            1,
            day - 1,
            951_782_400,
            951_782_400 + day,
            4_107_456_000,
            4_107_542_399,
            946_684_799,
            978_307_199,
            253_402_300_799,
            253_402_300_800,
            u64::MAX,
            u64::MAX - day,
        ];
        // Every hour of a leap year's February and March, and a spread of instants
        // with odd seconds up to past the year 9999.
        instants.extend((0..60 * 24).map(|h| 1_709_251_200 - 29 * day + h * 3_600 + h % 60));
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            instants.push(x % 300_000_000_000);
        }
        for unix in instants {
            assert_eq!(iso8601(unix), by_format(unix), "{unix}");
            let with = by_format(unix);
            assert_eq!(iso8601_millis(unix), format!("{}.000Z", &with[..with.len() - 1]), "{unix}");
        }
    }

    #[test]
    fn timestamps_read_back_as_the_instants_they_print() {
        for unix in [0, 951_782_400, 1_780_315_200, 1_780_963_321] {
            assert_eq!(unix_from_iso8601(&iso8601(unix)), Some(unix));
            assert_eq!(unix_from_iso8601(&iso8601_millis(unix)), Some(unix));
        }
        assert_eq!(unix_from_iso8601("2026-13-01T00:00:00Z"), None);
        assert_eq!(unix_from_iso8601("yesterday"), None);
        assert_eq!(unix_from_iso8601("2026-06-01T12:00:00"), None);
    }

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let c = FixedClock::new(10);
        assert_eq!(c.now_unix(), 10);
        c.advance(5);
        assert_eq!(c.now_unix(), 15);
        c.set(3);
        assert_eq!(c.now_unix(), 3);
    }
}
