//! The largest values the data types accept, and the checks that enforce them.
//!
//! Every value a model sees is bounded so that every term of every likelihood, and every sum the
//! fitting code forms over the rows (such as `Σ w·T` or `Σ w`), stays a finite, exactly meaningful
//! floating-point number. Values beyond these bounds are refused at the door with an error that
//! names the row and the field, instead of overflowing somewhere inside a fit.
//!
//! * Counts (frequencies, survivor counts) are whole numbers up to [`MAX_COUNT`] = 2⁵³ − 1: every
//!   whole number up to it is exact in `f64`, so a count written in a file is never rounded.
//! * Times (recency, age `T`, transaction times, prediction horizons) are at most [`MAX_TIME`]
//!   = 2⁵³ in the caller's unit.
//! * Weights (customers per row) are at most [`MAX_WEIGHT`] = 2⁵³ − 1.
//! * Lifetimes and cohort horizons are at most [`MAX_DURATION`] periods: predictions are written
//!   per period, so this bounds their size.
//! * A calibration/holdout split spans at most [`MAX_TRACKING_STEPS`] unit steps: its tracking
//!   series holds one number per step.
//! * A line (or record) of a text file is at most [`MAX_RECORD_BYTES`] = 1 MiB long.
//!
//! Non-zero values below `f64::MIN_POSITIVE` ≈ 2.2e-308 (subnormal numbers, which carry fewer
//! than 53 significant bits) are refused as times, amounts and weights: such a value is not the
//! number that was written.
//!
//! ```
//! use clv::data::limits::{MAX_COUNT, MAX_TIME};
//! use clv::RfmData;
//! assert_eq!(MAX_COUNT, 9_007_199_254_740_991.0);
//! let err = RfmData::new(vec![1.0], vec![1.0], vec![1e308]).unwrap_err();
//! assert!(err.to_string().contains("row 1, field `T`"));
//! assert!(RfmData::new(vec![1.0], vec![1.0], vec![MAX_TIME]).is_ok());
//! ```

use crate::error::{Error, Result};

/// Largest count accepted (frequency, survivor counts): 2⁵³ − 1, the largest `n` such that every
/// whole number up to `n` is exactly representable in `f64`.
pub const MAX_COUNT: f64 = 9_007_199_254_740_991.0;

/// Largest time accepted (recency, age `T`, the absolute value of a transaction time, a
/// prediction horizon): 2⁵³ in the caller's unit.
pub const MAX_TIME: f64 = 9_007_199_254_740_992.0;

/// Largest weight accepted (customers a row stands for): 2⁵³ − 1.
pub const MAX_WEIGHT: f64 = MAX_COUNT;

/// Longest lifetime (`duration`) and longest cohort horizon accepted, in periods.
pub const MAX_DURATION: u32 = 100_000;

/// Most unit steps of tracking time a calibration/holdout split may span (its tracking series
/// holds one number per step).
pub const MAX_TRACKING_STEPS: usize = 10_000_000;

/// Longest line (and record) of a text file accepted, in bytes: 1 MiB. A table's records are
/// tens of bytes; a longer one is a file of another kind (or without line ends), refused with
/// an error naming its line instead of being held in memory whole.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// A number for messages: whole numbers as integers, others in the shortest round-trip form
/// (`1.5`, `1e308`, `5e-324`, `NaN`, `inf`).
pub(crate) fn show(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e16 {
        format!("{v}")
    } else {
        format!("{v:?}")
    }
}

fn bad(row: usize, field: &str, v: f64, message: impl Into<String>) -> Error {
    Error::data(row, field, show(v), message)
}

/// `v` is finite: not NaN or infinite.
fn check_finite(row: usize, field: &str, v: f64) -> Result<()> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(bad(row, field, v, "value must be a finite number"))
    }
}

/// `v` is finite and `>= 0`.
fn check_non_negative(row: usize, field: &str, v: f64) -> Result<()> {
    check_finite(row, field, v)?;
    if v < 0.0 {
        return Err(bad(row, field, v, "value must not be negative"));
    }
    Ok(())
}

/// `v` is 0 or a normal number (not subnormal).
fn check_normal(row: usize, field: &str, v: f64) -> Result<()> {
    if v != 0.0 && v.abs() < f64::MIN_POSITIVE {
        return Err(bad(
            row,
            field,
            v,
            "value is below 2.2e-308 (a subnormal number, not representable to full precision)",
        ));
    }
    Ok(())
}

/// A count: a finite whole number in `0..=MAX_COUNT`; returns it with `-0` folded into `0`.
pub(crate) fn check_count(row: usize, field: &str, v: f64) -> Result<f64> {
    check_non_negative(row, field, v)?;
    if v > MAX_COUNT {
        return Err(bad(
            row,
            field,
            v,
            "value exceeds 2^53 - 1 = 9007199254740991, beyond which whole numbers are not \
             exact in floating point",
        ));
    }
    if v.fract() != 0.0 {
        return Err(bad(
            row,
            field,
            v,
            format!("{field} must be a whole number"),
        ));
    }
    Ok(v + 0.0)
}

/// A time: finite, in `0..=MAX_TIME`, not subnormal; returns it with `-0` folded into `0`.
pub(crate) fn check_time(row: usize, field: &str, v: f64) -> Result<f64> {
    check_non_negative(row, field, v)?;
    if v > MAX_TIME {
        return Err(bad(
            row,
            field,
            v,
            "value exceeds the largest time accepted, 2^53 = 9007199254740992 (use a larger \
             time unit)",
        ));
    }
    check_normal(row, field, v)?;
    Ok(v + 0.0)
}

/// A weight: finite, normal, in `(0, MAX_WEIGHT]`.
pub(crate) fn check_weight(row: usize, field: &str, v: f64) -> Result<f64> {
    if !(v.is_finite() && v > 0.0) {
        return Err(bad(row, field, v, "weight must be finite and > 0"));
    }
    if v > MAX_WEIGHT {
        return Err(bad(
            row,
            field,
            v,
            "weight exceeds 2^53 - 1 = 9007199254740991 customers per row",
        ));
    }
    check_normal(row, field, v)?;
    Ok(v)
}

/// An amount of money: finite, `>= 0`, not subnormal; returns it with `-0` folded into `0`.
pub(crate) fn check_amount(row: usize, field: &str, v: f64) -> Result<f64> {
    check_non_negative(row, field, v)?;
    check_normal(row, field, v)?;
    Ok(v + 0.0)
}

/// Replaces the value of an [`Error::InvalidData`] by the text the input had for its field, so
/// that a CSV error quotes the file (e.g. a 30-digit number as written, not as rounded).
pub(crate) fn with_text(e: Error, texts: &[(&str, &str)]) -> Error {
    match e {
        Error::InvalidData {
            row,
            field,
            value,
            message,
        } => {
            let value = texts
                .iter()
                .find(|(name, _)| *name == field)
                .map_or(value, |(_, text)| (*text).to_string());
            Error::InvalidData {
                row,
                field,
                value,
                message,
            }
        }
        e => e,
    }
}
