//! Time formats and the civil calendar: how the time column of a transaction log is written
//! and read, as days since 1970-01-01 for dates.

/// How the time column is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TimeFormat {
    /// ISO 8601 date `YYYY-MM-DD`, optionally followed by `T` or a space and a time of day
    /// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff` (and an optional trailing `Z`). Read as days since
    /// 1970-01-01 (fractional with a time of day).
    #[default]
    IsoDate,
    /// Compact date `YYYYMMDD` (as in the CDNOW log). Read as days since 1970-01-01.
    CompactDate,
    /// A plain number, in whatever unit the caller chooses (days, weeks, hours, ...).
    Numeric,
}

impl TimeFormat {
    /// Parses one time value; `None` when it is not valid in this format.
    pub fn parse(self, text: &str) -> Option<f64> {
        match self {
            TimeFormat::IsoDate => parse_iso(text.as_bytes()),
            TimeFormat::CompactDate => parse_compact(text.as_bytes()),
            TimeFormat::Numeric => text.parse::<f64>().ok().filter(|v| v.is_finite()),
        }
    }

    pub(super) fn describe(self) -> &'static str {
        match self {
            TimeFormat::IsoDate => "not a date in the form YYYY-MM-DD[THH:MM[:SS]]",
            TimeFormat::CompactDate => "not a date in the form YYYYMMDD",
            TimeFormat::Numeric => "not a finite number",
        }
    }
}

/// Days since 1970-01-01 of the civil (proleptic Gregorian) date `y-m-d`, or `None` for an
/// invalid date (month outside 1..=12, day outside the month, year outside ±1,000,000).
///
/// ```
/// use clv::data::days_from_civil;
/// assert_eq!(days_from_civil(1970, 1, 1), Some(0));
/// assert_eq!(days_from_civil(1997, 9, 30), Some(10134));
/// assert_eq!(days_from_civil(2000, 2, 29), Some(11016));
/// assert_eq!(days_from_civil(1999, 2, 29), None);
/// ```
pub fn days_from_civil(year: i64, month: u32, day: u32) -> Option<i64> {
    if !(1..=12).contains(&month) || day == 0 || year.abs() > 1_000_000 {
        return None;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day > days_in_month {
        return None;
    }
    // Howard Hinnant's `days_from_civil`.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The civil date `(year, month, day)` of a day count since 1970-01-01 (inverse of
/// [`days_from_civil`]).
///
/// ```
/// use clv::data::civil_from_days;
/// assert_eq!(civil_from_days(10134), (1997, 9, 30));
/// ```
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Parses `n` ASCII digits.
fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() {
        return None;
    }
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn parse_compact(b: &[u8]) -> Option<f64> {
    if b.len() != 8 {
        return None;
    }
    let y = digits(&b[..4])?;
    let m = digits(&b[4..6])?;
    let d = digits(&b[6..8])?;
    days_from_civil(i64::from(y), m, d).map(|v| v as f64)
}

fn parse_iso(b: &[u8]) -> Option<f64> {
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = digits(&b[..4])?;
    let m = digits(&b[5..7])?;
    let d = digits(&b[8..10])?;
    let day = days_from_civil(i64::from(y), m, d)? as f64;
    let rest = &b[10..];
    if rest.is_empty() {
        return Some(day);
    }
    if rest[0] != b'T' && rest[0] != b' ' {
        return None;
    }
    let mut time = &rest[1..];
    if let Some(stripped) = time.strip_suffix(b"Z") {
        time = stripped;
    }
    // HH:MM[:SS[.fff]]
    if time.len() < 5 || time[2] != b':' {
        return None;
    }
    let hh = digits(&time[..2])?;
    let mm = digits(&time[3..5])?;
    let mut seconds = 0.0;
    if time.len() > 5 {
        if time[5] != b':' || time.len() < 8 {
            return None;
        }
        let ss = digits(&time[6..8])?;
        seconds = f64::from(ss);
        if time.len() > 8 {
            if time[8] != b'.' {
                return None;
            }
            let frac = &time[9..];
            if frac.is_empty() || frac.len() > 9 {
                return None;
            }
            seconds += f64::from(digits(frac)?) / 10f64.powi(frac.len() as i32);
        }
    }
    if hh > 23 || mm > 59 || seconds >= 61.0 {
        return None;
    }
    Some(day + (f64::from(hh) * 3600.0 + f64::from(mm) * 60.0 + seconds) / 86_400.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in (-800_000..800_000).step_by(97) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), Some(days));
        }
        assert_eq!(days_from_civil(1997, 1, 1), Some(9862));
        assert_eq!(days_from_civil(1900, 2, 29), None);
        assert_eq!(days_from_civil(2000, 13, 1), None);
        assert_eq!(days_from_civil(2000, 4, 31), None);
    }

    #[test]
    fn parses_times() {
        let iso = TimeFormat::IsoDate;
        assert_eq!(iso.parse("1970-01-02"), Some(1.0));
        assert_eq!(iso.parse("1970-01-01T12:00"), Some(0.5));
        assert_eq!(iso.parse("1970-01-01 06:00:00Z"), Some(0.25));
        assert_eq!(iso.parse("1970-01-01T00:00:43.2"), Some(0.0005));
        for bad in [
            "",
            "1970-1-01",
            "1970/01/01",
            "1970-01-01X",
            "1970-01-01T25:00",
            "abcd-01-01",
            "1970-01-01T12",
        ] {
            assert_eq!(iso.parse(bad), None, "{bad}");
        }
        assert_eq!(TimeFormat::CompactDate.parse("19970930"), Some(10134.0));
        assert_eq!(TimeFormat::CompactDate.parse("1997093"), None);
        assert_eq!(TimeFormat::CompactDate.parse("19970931"), None);
        assert_eq!(TimeFormat::Numeric.parse("2.5"), Some(2.5));
        assert_eq!(TimeFormat::Numeric.parse("inf"), None);
    }
}
