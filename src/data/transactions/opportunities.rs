//! Calendar periods as transaction opportunities: the discrete-time summary `(x, t_x, n)` of a
//! log, for the BG/BB ([`crate::BgBb`]).

use super::log::TransactionLog;
use super::periods::Periods;
use super::summary::{CalibrationHoldout, Summary};
use super::time::civil_from_days;
use crate::data::limits::MAX_TIME;
use crate::error::{Error, Result};

/// Checks a time given for a cut-off: finite and within ±2⁵³ days.
fn check_end(name: &'static str, t: f64) -> Result<f64> {
    if t.is_finite() && t.abs() <= MAX_TIME {
        Ok(t)
    } else {
        Err(Error::param(
            name,
            t,
            "must be a finite time within ±2^53 days of 1970-01-01",
        ))
    }
}

/// The calendar period that makes one transaction opportunity: a customer transacts in a
/// period or not, whatever the number of transactions in it.
///
/// Times are days since 1970-01-01 (as read with a date [`TimeFormat`](super::TimeFormat));
/// years and months are those of the civil (proleptic Gregorian) calendar, weeks start on
/// Monday.
///
/// ```
/// use clv::data::{Opportunity, TimeFormat};
/// let d = |s: &str| TimeFormat::IsoDate.parse(s).unwrap();
/// assert_eq!(Opportunity::Year.index(d("1996-12-31")) + 1, Opportunity::Year.index(d("1997-01-01")));
/// assert_eq!(Opportunity::Month.index(d("1997-01-31")) + 1, Opportunity::Month.index(d("1997-02-01")));
/// assert_eq!(Opportunity::Week.index(d("2024-01-07")) + 1, Opportunity::Week.index(d("2024-01-08"))); // Sun, Mon
/// assert_eq!("month".parse::<Opportunity>(), Ok(Opportunity::Month));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opportunity {
    /// One opportunity per calendar year.
    Year,
    /// One opportunity per calendar month.
    Month,
    /// One opportunity per week (Monday to Sunday).
    Week,
    /// One opportunity per day.
    Day,
}

impl std::str::FromStr for Opportunity {
    type Err = String;

    /// `year`, `month`, `week` or `day`.
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "year" => Ok(Opportunity::Year),
            "month" => Ok(Opportunity::Month),
            "week" => Ok(Opportunity::Week),
            "day" => Ok(Opportunity::Day),
            other => Err(format!(
                "an opportunity is a year, month, week or day, not {other:?}"
            )),
        }
    }
}

impl Opportunity {
    /// The number of the period the time `days` (days since 1970-01-01) lies in: consecutive
    /// periods have consecutive numbers. Times beyond ±2⁵³ days are taken at ±2⁵³.
    pub fn index(self, days: f64) -> i64 {
        let day = days.clamp(-MAX_TIME, MAX_TIME).floor() as i64;
        match self {
            Opportunity::Day => day,
            // 1970-01-05, day 4, is a Monday.
            Opportunity::Week => (day - 4).div_euclid(7),
            Opportunity::Month => {
                let (y, m, _) = civil_from_days(day);
                12 * y + i64::from(m) - 1
            }
            Opportunity::Year => civil_from_days(day).0,
        }
    }
}

impl TransactionLog {
    /// The log with every time replaced by the number of its opportunity (see
    /// [`Opportunity::index`]).
    fn on_opportunities(&self, unit: Opportunity) -> Result<TransactionLog> {
        let times = self.time.iter().map(|&t| unit.index(t) as f64).collect();
        TransactionLog::from_indexed(
            self.ids.clone(),
            self.customer.clone(),
            times,
            self.amount.clone(),
        )
    }

    /// The discrete-time summary at `observation_end` (days since 1970-01-01), one opportunity
    /// per `unit` period: per customer whose first purchase lies in period `p₀` before the
    /// period `p_c` of `observation_end`,
    ///
    /// * frequency `x` = number of periods in `p₀+1..=p_c` with at least one purchase;
    /// * recency `t_x` = the last of them, counted from `p₀` (`0` when `x = 0`);
    /// * `T = n = p_c − p₀`, the opportunities observed;
    /// * monetary value = the mean over those `x` periods of the amount spent in each.
    ///
    /// It is [`TransactionLog::summarize`] on the opportunities' numbers.
    ///
    /// ```
    /// use clv::data::{Opportunity, TimeFormat, TransactionLog};
    /// let d = |s: &str| TimeFormat::IsoDate.parse(s).unwrap();
    /// let log = TransactionLog::new(
    ///     ["a", "a", "a", "a", "b"],
    ///     vec![d("1995-03-01"), d("1996-05-01"), d("1996-06-01"), d("1998-01-01"), d("1997-07-01")],
    ///     None,
    /// )?;
    /// let s = log.summarize_opportunities(Opportunity::Year, d("2001-12-31"))?;
    /// // a: first in 1995; donations in 1996 (twice: one opportunity) and 1998 of 1996..=2001
    /// assert_eq!(s.data().frequency(), &[2.0, 0.0]);
    /// assert_eq!(s.data().recency(), &[3.0, 0.0]);
    /// assert_eq!(s.data().age(), &[6.0, 4.0]);
    /// # Ok::<(), clv::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`TransactionLog::summarize`].
    pub fn summarize_opportunities(
        &self,
        unit: Opportunity,
        observation_end: f64,
    ) -> Result<Summary> {
        let end = unit.index(check_end("observation_end", observation_end)?) as f64;
        self.on_opportunities(unit)?
            .summarize(&Periods::new(1.0, 1.0)?, end)
    }

    /// [`TransactionLog::calibration_holdout`] in opportunities: the calibration summary of
    /// [`TransactionLog::summarize_opportunities`] at `calibration_end`, and per customer the
    /// periods with a purchase after its period up to the period of `holdout_end` (default: the
    /// last transaction); the holdout duration is the number of those opportunities.
    ///
    /// # Errors
    /// As [`TransactionLog::calibration_holdout`].
    pub fn opportunities_holdout(
        &self,
        unit: Opportunity,
        calibration_end: f64,
        holdout_end: Option<f64>,
    ) -> Result<CalibrationHoldout> {
        let cal = unit.index(check_end("calibration_end", calibration_end)?) as f64;
        let end = match holdout_end {
            Some(t) => Some(unit.index(check_end("holdout_end", t)?) as f64),
            None => None,
        };
        self.on_opportunities(unit)?
            .calibration_holdout(&Periods::new(1.0, 1.0)?, cal, end)
    }
}
