//! Timestamp units and human-readable times.
//!
//! Files store candle open times as integers in seconds, milliseconds or
//! microseconds since the Unix epoch; nothing in a file says which. The unit is
//! told from the magnitude of each value, with these half-open ranges:
//!
//! | unit | raw value | covers open times |
//! |---|---|---|
//! | seconds | `1e8 ≤ v < 1e11` | 1973-03-03 … 5138-11-16 |
//! | milliseconds | `1e11 ≤ v < 1e14` | 1973-03-03 … 5138-11-16 |
//! | microseconds | `1e14 ≤ v < 1e17` | 1973-03-03 … 5138-11-16 |
//!
//! Each range covers the same span of dates, so no real timestamp is ambiguous.
//! Anything else (zero, negative, below `1e8`, `1e17` and above) is refused
//! rather than guessed. Every row of a file, and every file of a series, must
//! have the same unit; a mismatch means the data was assembled from pieces that
//! do not belong together and is reported, not silently converted.

use std::fmt;

/// Smallest accepted raw timestamp (seconds range starts here).
pub const SECONDS_FROM: i64 = 100_000_000;
/// Smallest raw timestamp read as milliseconds.
pub const MILLIS_FROM: i64 = 100_000_000_000;
/// Smallest raw timestamp read as microseconds.
pub const MICROS_FROM: i64 = 100_000_000_000_000;
/// First raw timestamp past the accepted range.
pub const MICROS_UNTIL: i64 = 100_000_000_000_000_000;

/// The unit of the raw timestamps of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimeUnit {
    /// Unix epoch seconds.
    Seconds,
    /// Unix epoch milliseconds (Binance before 2025, futures, freqtrade, CCXT).
    Millis,
    /// Unix epoch microseconds (Binance spot public data from 2025 on).
    Micros,
}

impl TimeUnit {
    /// The unit of one raw timestamp by its magnitude (see the module table), or
    /// `None` when it lies outside every range.
    #[must_use]
    pub fn detect(raw: i64) -> Option<TimeUnit> {
        match raw {
            SECONDS_FROM..MILLIS_FROM => Some(TimeUnit::Seconds),
            MILLIS_FROM..MICROS_FROM => Some(TimeUnit::Millis),
            MICROS_FROM..MICROS_UNTIL => Some(TimeUnit::Micros),
            _ => None,
        }
    }

    /// Converts a raw timestamp of this unit to milliseconds. Microseconds are
    /// floored (open times are whole milliseconds in every known source).
    /// Cannot overflow for values accepted by [`TimeUnit::detect`].
    #[must_use]
    pub fn to_millis(self, raw: i64) -> i64 {
        match self {
            TimeUnit::Seconds => raw.saturating_mul(1000),
            TimeUnit::Millis => raw,
            TimeUnit::Micros => raw.div_euclid(1000),
        }
    }

    /// Lower-case English name of the unit.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            TimeUnit::Seconds => "seconds",
            TimeUnit::Millis => "milliseconds",
            TimeUnit::Micros => "microseconds",
        }
    }
}

impl fmt::Display for TimeUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A millisecond timestamp as `YYYY-MM-DDTHH:MM:SSZ` (UTC; milliseconds
/// appended only when not zero).
#[must_use]
pub fn format_utc(ms: i64) -> String {
    Utc(ms).to_string()
}

/// [`format_utc`] as a value to format in place (no allocation: `trades.csv` writes
/// three per trade).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utc(pub i64);

impl fmt::Display for Utc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const DAY_MS: i64 = 86_400_000;
        let (year, month, day) = civil_from_days(self.0.div_euclid(DAY_MS));
        let in_day = self.0.rem_euclid(DAY_MS);
        let (h, m, s, milli) = (
            in_day / 3_600_000,
            in_day / 60_000 % 60,
            in_day / 1000 % 60,
            in_day % 1000,
        );
        write!(f, "{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}")?;
        if milli != 0 {
            write!(f, ".{milli:03}")?;
        }
        f.write_str("Z")
    }
}

/// A duration in milliseconds as its non-zero parts of `d`, `h`, `m`, `s` and
/// `ms`, largest first: `15m`, `4h`, `2d`, `29d 15m`, `1d 9h 43m 15s`, `0 ms`.
/// A negative duration gets a leading `-`.
#[must_use]
pub fn format_duration(ms: i64) -> String {
    if ms == 0 {
        return "0 ms".to_owned();
    }
    let sign = if ms < 0 { "-" } else { "" };
    let mut rest = ms.unsigned_abs();
    let mut parts = Vec::new();
    for (unit, size) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
    ] {
        if rest >= size {
            parts.push(format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    if rest > 0 {
        parts.push(format!("{rest} ms"));
    }
    format!("{sign}{}", parts.join(" "))
}

/// Midnight UTC, in ms, of a proleptic Gregorian date; `None` when the date
/// does not exist.
#[must_use]
pub fn ms_from_civil(year: i64, month: i64, day: i64) -> Option<i64> {
    days_from_civil(year, month, day).map(|d| d * 86_400_000)
}

/// The UTC (year, month, day) of a ms time.
#[must_use]
pub fn civil_from_ms(ms: i64) -> (i64, i64, i64) {
    civil_from_days(ms.div_euclid(86_400_000))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`); `None` when the date does not exist.
fn days_from_civil(year: i64, month: i64, day: i64) -> Option<i64> {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if !(1..=month_days).contains(&day) {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Midnight UTC of a `YYYYMMDD` date, in ms.
///
/// # Errors
/// A message saying what is wrong with `text`.
pub fn parse_yyyymmdd(text: &str) -> Result<i64, String> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{text}' is not a date written YYYYMMDD"));
    }
    let num = |r: std::ops::Range<usize>| -> i64 {
        text.get(r).and_then(|t| t.parse().ok()).unwrap_or_default()
    };
    let (year, month, day) = (num(0..4), num(4..6), num(6..8));
    if year < 1970 {
        return Err(format!("'{text}' is before 1970"));
    }
    days_from_civil(year, month, day)
        .map(|d| d * 86_400_000)
        .ok_or_else(|| format!("'{text}' is not a calendar date"))
}

/// A midnight-UTC ms time as `YYYYMMDD` (the time of day is dropped).
#[must_use]
pub fn format_yyyymmdd(ms: i64) -> String {
    let (year, month, day) = civil_from_days(ms.div_euclid(86_400_000));
    format!("{year:04}{month:02}{day:02}")
}

/// Proleptic Gregorian (year, month, day) of a day count since 1970-01-01
/// (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
