//! Purchase periods: how times are grouped into periods and in which unit durations are
//! measured.

use crate::data::limits::MAX_TIME;
use crate::error::{Error, Result};

/// How times are grouped into purchase periods and in which unit recency and age are measured.
///
/// A time `t` on the log's axis lies in period `⌊(t − origin) / length⌋`; durations are
/// differences of period indices times `length / unit`. For dates the axis is days since
/// 1970-01-01 (a Thursday), so `length = 1` merges same-day purchases, `length = 7` merges
/// purchases in the same week (weeks starting on the weekday of `origin`), and `unit = 7`
/// reports recency and age in weeks.
///
/// ```
/// use clv::data::Periods;
/// let p = Periods::new(1.0, 7.0)?; // daily periods, times in weeks (the CDNOW rule)
/// assert_eq!(p, Periods::days_in_weeks());
/// assert!(Periods::new(0.0, 7.0).is_err());
/// # Ok::<(), clv::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Periods {
    pub(super) length: f64,
    pub(super) unit: f64,
    pub(super) origin: f64,
}

impl Periods {
    /// Periods of `length` (on the log's time axis), durations reported in units of `unit` (on
    /// the same axis), origin 0.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless both are finite and > 0.
    pub fn new(length: f64, unit: f64) -> Result<Self> {
        Ok(Periods {
            length: crate::error::check_positive("length", length)?,
            unit: crate::error::check_positive("unit", unit)?,
            origin: 0.0,
        })
    }

    /// The same periods aligned to start at `origin` (e.g. a Monday for weeks starting on Monday:
    /// 1970-01-05 is day 4).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a non-finite origin.
    pub fn with_origin(self, origin: f64) -> Result<Self> {
        if !origin.is_finite() {
            return Err(Error::param("origin", origin, "must be finite"));
        }
        Ok(Periods { origin, ..self })
    }

    /// Dates: daily periods (same-day purchases merged), durations in days.
    pub fn days() -> Self {
        Periods {
            length: 1.0,
            unit: 1.0,
            origin: 0.0,
        }
    }

    /// Dates: daily periods (same-day purchases merged), durations in weeks (the CDNOW rule of
    /// Fader, Hardie & Lee).
    pub fn days_in_weeks() -> Self {
        Periods {
            length: 1.0,
            unit: 7.0,
            origin: 0.0,
        }
    }

    /// Dates: weekly periods starting on Mondays, durations in weeks.
    pub fn weeks() -> Self {
        Periods {
            length: 7.0,
            unit: 7.0,
            origin: 4.0,
        }
    }

    /// Period length on the log's time axis.
    pub fn length(&self) -> f64 {
        self.length
    }

    /// The unit of recency and age, on the log's time axis.
    pub fn unit(&self) -> f64 {
        self.unit
    }

    /// Start of period 0 on the log's time axis.
    pub fn origin(&self) -> f64 {
        self.origin
    }

    /// The period a time lies in.
    pub(super) fn index(&self, t: f64) -> i64 {
        ((t - self.origin) / self.length).floor() as i64
    }

    /// The period a time lies in, or `None` when its number is beyond ±2⁵³ (not exact).
    pub(super) fn checked_index(&self, t: f64) -> Option<i64> {
        let p = ((t - self.origin) / self.length).floor();
        (p.abs() <= MAX_TIME).then_some(p as i64)
    }
}
