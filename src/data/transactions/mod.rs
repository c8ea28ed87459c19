//! Transaction logs and the summaries built from them.
//!
//! A [`TransactionLog`] holds one row per transaction: a customer id (any string), a time (a
//! calendar date, a date and time, or a plain number) and optionally an amount. It is read from
//! CSV with [`TransactionReader`] (configurable column names, delimiter and [`TimeFormat`]) or
//! from CDNOW's raw whitespace-separated format with [`TransactionLog::from_cdnow_reader`].
//!
//! [`TransactionLog::summarize`] turns it into the validated [`RfmData`](crate::data::RfmData) every model fits, and
//! [`TransactionLog::calibration_holdout`] splits it at a cut-off into a calibration summary plus
//! each customer's holdout transactions (a [`CalibrationHoldout`]), the input of
//! [`crate::diagnostics`].
//!
//! ## Periods and units
//! Times are first grouped into *periods* of a given length (a day, a week, ...), see
//! [`Periods`]: all transactions of a customer in the same period are merged into one purchase,
//! as in Fader, Hardie & Lee's CDNOW data (same-day purchases merged). Then, per customer with
//! first purchase in period `p₀`:
//!
//! * frequency `x` = number of distinct purchase periods after `p₀` up to the cut-off period `p_c`;
//! * recency `t_x` = `(p_last − p₀) · length / unit`, with `p_last` the last of those periods
//!   (`t_x = 0` when `x = 0`);
//! * age `T` = `(p_c − p₀) · length / unit`;
//! * monetary value = the mean over the `x` repeat periods of the amount spent in each period
//!   (0 when `x = 0`).
//!
//! Every time is thus measured between period *starts*: with days as periods and weeks as unit,
//! `T = (cut-off date − first purchase date) / 7`, exactly the CDNOW rule. Customers whose first
//! purchase falls in or after the cut-off period (so `T` would be 0 or negative) are left out and
//! counted.
//!
//! ## Opportunities
//! For discrete-time models ([`crate::BgBb`]) [`TransactionLog::summarize_opportunities`] makes
//! each calendar year, month, week or day ([`Opportunity`]) one transaction opportunity:
//! periods with at least one purchase count once, `x` and `t_x` count opportunities and
//! `T = n` is the number of opportunities observed after the first purchase's period.
//!
//! Times of dates are days since 1970-01-01 (a date and time is a fractional day); the civil
//! calendar is the proleptic Gregorian one, parsed without any external crate.

mod log;
mod opportunities;
mod ordered;
mod periods;
mod read;
mod split;
mod summary;
mod time;

pub use log::TransactionLog;
pub use opportunities::Opportunity;
pub use periods::Periods;
pub use read::TransactionReader;
pub use summary::{CalibrationHoldout, Summary};
pub use time::{DatePattern, TimeFormat, civil_from_days, days_from_civil};
