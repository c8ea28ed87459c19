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
    /// Unix time: seconds since 1970-01-01T00:00:00Z (a decimal number, fractions allowed).
    /// Read as days since 1970-01-01, as dates are.
    UnixSeconds,
    /// A `strftime`-like pattern ([`DatePattern`], e.g. `%d/%m/%Y %H:%M`). Read as days since
    /// 1970-01-01.
    Pattern(DatePattern),
    /// The format of the first value read: [`TimeFormat::IsoDate`] when it parses as one, else
    /// [`TimeFormat::CompactDate`] when it is 8 digits forming a date (then every later value
    /// must be in that same format). Unix seconds and plain numbers are never guessed.
    /// [`TimeFormat::parse`] on its own accepts either form.
    Auto,
}

impl TimeFormat {
    /// Parses one time value; `None` when it is not valid in this format.
    ///
    /// ```
    /// use clv::data::TimeFormat;
    /// assert_eq!(TimeFormat::IsoDate.parse("1970-01-02"), Some(1.0));
    /// assert_eq!(TimeFormat::UnixSeconds.parse("43200"), Some(0.5));
    /// assert_eq!(TimeFormat::pattern("%d/%m/%Y")?.parse("02/01/1970"), Some(1.0));
    /// # Ok::<(), clv::Error>(())
    /// ```
    pub fn parse(self, text: &str) -> Option<f64> {
        match self {
            TimeFormat::IsoDate => parse_iso(text.as_bytes()),
            TimeFormat::CompactDate => parse_compact(text.as_bytes()),
            TimeFormat::Numeric => text.parse::<f64>().ok().filter(|v| v.is_finite()),
            TimeFormat::UnixSeconds => text
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && v.abs() <= 1e15)
                .map(|s| s / 86_400.0),
            TimeFormat::Pattern(p) => p.parse(text.as_bytes()),
            TimeFormat::Auto => TimeFormat::detect(text).and_then(|f| f.parse(text)),
        }
    }

    /// The format of `text` for [`TimeFormat::Auto`]: ISO date (or date-time) or compact
    /// `YYYYMMDD`; `None` when it is neither.
    ///
    /// ```
    /// use clv::data::TimeFormat;
    /// assert_eq!(TimeFormat::detect("19970101"), Some(TimeFormat::CompactDate));
    /// assert_eq!(TimeFormat::detect("1997-01-01 10:00"), Some(TimeFormat::IsoDate));
    /// assert_eq!(TimeFormat::detect("soon"), None);
    /// ```
    pub fn detect(text: &str) -> Option<TimeFormat> {
        [TimeFormat::IsoDate, TimeFormat::CompactDate]
            .into_iter()
            .find(|f| f.parse(text).is_some())
    }

    /// A [`TimeFormat::Pattern`] of a `strftime`-like pattern; see [`DatePattern::new`].
    ///
    /// # Errors
    /// As [`DatePattern::new`].
    pub fn pattern(pattern: &str) -> crate::Result<TimeFormat> {
        DatePattern::new(pattern).map(TimeFormat::Pattern)
    }

    /// The format named on a command line: `iso` (ISO dates and date-times), `compact`
    /// (`YYYYMMDD`), `unix` (Unix seconds), `number` (plain numbers), `auto`, or a pattern with
    /// `%` ([`DatePattern`]).
    ///
    /// ```
    /// use clv::data::TimeFormat;
    /// assert_eq!(TimeFormat::from_spec("unix")?, TimeFormat::UnixSeconds);
    /// assert_eq!(TimeFormat::from_spec("%Y%m%d")?.parse("19970101"), Some(9862.0));
    /// assert!(TimeFormat::from_spec("dd.mm.yyyy").is_err());
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for any other text, or a pattern [`DatePattern::new`]
    /// refuses.
    pub fn from_spec(spec: &str) -> crate::Result<TimeFormat> {
        match spec {
            "iso" | "ISO" => Ok(TimeFormat::IsoDate),
            "compact" | "YYYYMMDD" => Ok(TimeFormat::CompactDate),
            "unix" | "unix-seconds" | "epoch" => Ok(TimeFormat::UnixSeconds),
            "number" | "numeric" => Ok(TimeFormat::Numeric),
            "auto" => Ok(TimeFormat::Auto),
            p if p.contains('%') => TimeFormat::pattern(p),
            other => Err(crate::Error::InvalidInput(format!(
                "unknown date format {other:?}: give iso, compact, unix, number, auto or a \
                 pattern such as %Y%m%d or %d/%m/%Y %H:%M"
            ))),
        }
    }

    pub(super) fn describe(self) -> String {
        match self {
            TimeFormat::IsoDate => "not a date in the form YYYY-MM-DD[THH:MM[:SS]]".into(),
            TimeFormat::CompactDate => "not a date in the form YYYYMMDD".into(),
            TimeFormat::Numeric => "not a finite number".into(),
            TimeFormat::UnixSeconds => "not a Unix time (seconds since 1970-01-01)".into(),
            TimeFormat::Pattern(p) => format!("not a date in the form {}", p.as_str()),
            TimeFormat::Auto => "not a date in the form YYYY-MM-DD[THH:MM[:SS]] or YYYYMMDD".into(),
        }
    }

    /// Whether times in this format are dates (days since 1970-01-01).
    pub(crate) fn is_date(self) -> bool {
        self != TimeFormat::Numeric
    }
}

/// The longest pattern accepted, in bytes.
const MAX_PATTERN: usize = 48;

/// A `strftime`-like date pattern (a subset): `%Y` (4-digit year), `%y` (2-digit year,
/// 69–99 → 1969–1999, 00–68 → 2000–2068), `%m` (month, 1 or 2 digits; 2 when next to another
/// directive, as in `%Y%m%d`), `%d` (day), `%j` (day
/// of the year), `%b` (month abbreviation, `Jan`..`Dec`, any case), `%H`, `%M`, `%S` (hour,
/// minute, second), `%f` (fraction of a second, digits), `%F` (`%Y-%m-%d`), `%T`
/// (`%H:%M:%S`), `%%` (a percent sign); any other byte must match itself. A pattern needs a
/// year; a missing month or day is 1, a missing time of day midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatePattern {
    bytes: [u8; MAX_PATTERN],
    len: usize,
}

impl DatePattern {
    /// Checks `pattern`.
    ///
    /// ```
    /// use clv::data::DatePattern;
    /// let p = DatePattern::new("%m/%d/%Y %H:%M")?;
    /// assert_eq!(p.parse(b"1/2/1970 12:00"), Some(1.5));
    /// assert!(DatePattern::new("%m/%d").is_err()); // no year
    /// assert!(DatePattern::new("%Q").is_err());
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for a pattern longer than 48 bytes, an unknown or
    /// unfinished `%` directive, or a pattern without a year (`%Y`, `%y` or `%F`).
    pub fn new(pattern: &str) -> crate::Result<DatePattern> {
        let bad =
            |why: String| crate::Error::InvalidInput(format!("date format {pattern:?}: {why}"));
        let b = pattern.as_bytes();
        if b.len() > MAX_PATTERN {
            return Err(bad(format!("longer than {MAX_PATTERN} bytes")));
        }
        let mut year = false;
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                match b.get(i + 1) {
                    Some(b'Y' | b'y' | b'F') => year = true,
                    Some(b'm' | b'd' | b'j' | b'b' | b'H' | b'M' | b'S' | b'f' | b'T' | b'%') => {}
                    Some(&c) => {
                        return Err(bad(format!(
                            "unknown directive %{} (known: %Y %y %m %d %j %b %H %M %S %f %F %T %%)",
                            char::from(c)
                        )));
                    }
                    None => return Err(bad("ends with a lone %".into())),
                }
                i += 2;
            } else {
                i += 1;
            }
        }
        if !year {
            return Err(bad("no year (%Y, %y or %F)".into()));
        }
        let mut bytes = [0u8; MAX_PATTERN];
        bytes[..b.len()].copy_from_slice(b);
        Ok(DatePattern {
            bytes,
            len: b.len(),
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }

    /// Parses `text` as days since 1970-01-01; `None` when it does not match or is not a valid
    /// date and time.
    pub fn parse(&self, text: &[u8]) -> Option<f64> {
        let mut f = Fields::default();
        let rest = match_pattern(&self.bytes[..self.len], text, &mut f)?;
        if !rest.is_empty() {
            return None;
        }
        let year = f.year?;
        let day = match f.yday {
            Some(j) => {
                let jan1 = days_from_civil(year, 1, 1)?;
                let next = days_from_civil(year + 1, 1, 1)?;
                let d = jan1 + i64::from(j) - 1;
                (j >= 1 && d < next).then_some(d)?
            }
            None => days_from_civil(year, f.month, f.day)?,
        };
        if f.hour > 23 || f.minute > 59 || f.second > 60 {
            return None;
        }
        let seconds = f64::from(f.hour) * 3600.0 + f64::from(f.minute) * 60.0 + f64::from(f.second);
        Some(day as f64 + (seconds + f.fraction) / 86_400.0)
    }
}

/// The fields a pattern has read.
struct Fields {
    year: Option<i64>,
    month: u32,
    day: u32,
    yday: Option<u32>,
    hour: u32,
    minute: u32,
    second: u32,
    fraction: f64,
}

impl Default for Fields {
    fn default() -> Self {
        Fields {
            year: None,
            month: 1,
            day: 1,
            yday: None,
            hour: 0,
            minute: 0,
            second: 0,
            fraction: 0.0,
        }
    }
}

/// Reads between `min` and `max` ASCII digits from the start of `text`.
fn take_digits(text: &[u8], min: usize, max: usize) -> Option<(u32, &[u8])> {
    let n = text
        .iter()
        .take(max)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if n < min {
        return None;
    }
    Some((digits(&text[..n])?, &text[n..]))
}

/// Matches `pattern` against the start of `text`, filling `f`; returns the rest of `text`.
fn match_pattern<'t>(pattern: &[u8], mut text: &'t [u8], f: &mut Fields) -> Option<&'t [u8]> {
    const MONTHS: [&[u8]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    let mut i = 0;
    while i < pattern.len() {
        if pattern[i] != b'%' {
            let (&c, rest) = text.split_first()?;
            if c != pattern[i] {
                return None;
            }
            text = rest;
            i += 1;
            continue;
        }
        let d = *pattern.get(i + 1)?;
        // Next to another directive (as in `%Y%m%d`) a field has its full width.
        let glued = (i >= 2 && pattern[i - 2] == b'%' && pattern[i - 1] != b'%')
            || (pattern.get(i + 2) == Some(&b'%') && pattern.get(i + 3) != Some(&b'%'));
        i += 2;
        text = match d {
            b'Y' => {
                let (v, rest) = take_digits(text, 4, 4)?;
                f.year = Some(i64::from(v));
                rest
            }
            b'y' => {
                let (v, rest) = take_digits(text, 2, 2)?;
                f.year = Some(i64::from(if v < 69 { 2000 + v } else { 1900 + v }));
                rest
            }
            b'm' | b'd' | b'H' | b'M' | b'S' => {
                let (v, rest) = take_digits(text, if glued { 2 } else { 1 }, 2)?;
                match d {
                    b'm' => f.month = v,
                    b'd' => f.day = v,
                    b'H' => f.hour = v,
                    b'M' => f.minute = v,
                    _ => f.second = v,
                }
                rest
            }
            b'j' => {
                let (v, rest) = take_digits(text, 1, 3)?;
                f.yday = Some(v);
                rest
            }
            b'f' => {
                let (v, rest) = take_digits(text, 1, 9)?;
                let n = text.len() - rest.len();
                f.fraction = f64::from(v) / 10f64.powi(i32::try_from(n).ok()?);
                rest
            }
            b'b' => {
                let head = text.get(..3)?;
                let k = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(head))?;
                f.month = u32::try_from(k).ok()? + 1;
                &text[3..]
            }
            b'F' => match_pattern(b"%Y-%m-%d", text, f)?,
            b'T' => match_pattern(b"%H:%M:%S", text, f)?,
            b'%' => text.strip_prefix(b"%")?,
            _ => return None,
        };
    }
    Some(text)
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

    #[test]
    fn parses_patterns_and_unix_seconds() {
        let p = |s: &str| TimeFormat::pattern(s).unwrap();
        assert_eq!(p("%Y%m%d").parse("19970930"), Some(10134.0));
        assert_eq!(p("%Y%m%d").parse("1997093"), None);
        assert_eq!(p("%Y%m%d").parse("19970931"), None);
        assert_eq!(p("%d.%m.%y").parse("30.09.97"), Some(10134.0));
        assert_eq!(p("%d %b %Y").parse("30 SEP 1997"), Some(10134.0));
        assert_eq!(p("%Y-%j").parse("1997-273"), Some(10134.0));
        assert_eq!(p("%Y-%j").parse("1997-366"), None);
        assert_eq!(p("%FT%T").parse("1970-01-01T06:00:00"), Some(0.25));
        assert_eq!(p("%FT%T.%f").parse("1970-01-01T00:00:43.2"), Some(0.0005));
        assert_eq!(p("%Y%m%d").parse("19970930 "), None);
        assert_eq!(p("%Y %H").parse("1970 24"), None);
        assert_eq!(TimeFormat::UnixSeconds.parse("86400"), Some(1.0));
        assert_eq!(TimeFormat::UnixSeconds.parse("-43200"), Some(-0.5));
        assert_eq!(TimeFormat::UnixSeconds.parse("nan"), None);
        assert_eq!(TimeFormat::Auto.parse("19970930"), Some(10134.0));
        assert_eq!(TimeFormat::Auto.parse("1997-09-30"), Some(10134.0));
        assert!(TimeFormat::pattern("%Y%").is_err());
        assert!(TimeFormat::pattern(&"%Y".repeat(30)).is_err());
    }
}
