//! `--transactions`: fit from a raw transaction log split into calibration and holdout.

use clv::TransactionModel;
use clv::data::{CalibrationHoldout, Periods, TimeFormat, TransactionLog, TransactionReader};
use clv::diagnostics::{ErrorMetrics, holdout_predictions};
use serde_json::{Value, json};

use crate::{Args, Failure, number};

/// Parses a `YYYY-MM-DD` flag value into days since 1970-01-01.
pub fn parse_date(flag: &str, text: &str) -> Result<f64, String> {
    let valid = text.len() == 10;
    TimeFormat::IsoDate
        .parse(text)
        .filter(|_| valid)
        .ok_or_else(|| format!("{flag}: not a date in the form YYYY-MM-DD: {text:?}"))
}

/// The periods of `--time-unit`: same-day purchases merged, times in days or weeks.
pub fn periods(unit: &str) -> Result<Periods, String> {
    match unit {
        "day" => Ok(Periods::days()),
        "week" => Ok(Periods::days_in_weeks()),
        other => Err(format!("--time-unit must be day or week, got {other:?}")),
    }
}

/// Reads `--transactions` and splits it at `--calibration-end` (holdout to `--holdout-end`,
/// default the last date in the file).
pub fn split(args: &Args, path: &str) -> Result<CalibrationHoldout, Failure> {
    let periods =
        periods(args.time_unit.as_deref().unwrap_or("week")).map_err(|m| Failure(m, 2))?;
    let (log, cal_end) = read_log(args, path)?;
    Ok(log.calibration_holdout(&periods, cal_end, args.holdout_end)?)
}

/// Reads the log at `path` (`--transactions`) and returns it with `--calibration-end`.
pub fn read_log(args: &Args, path: &str) -> Result<(TransactionLog, f64), Failure> {
    let cal_end = args.calibration_end.ok_or_else(|| {
        Failure(
            "--transactions needs --calibration-end YYYY-MM-DD".to_string(),
            2,
        )
    })?;
    let log = TransactionReader::new()
        .customer_column("customer_id")
        .time_column("date")
        .optional_amount_column("amount")
        .time_format(TimeFormat::IsoDate)
        .from_path(path)?;
    Ok((log, cal_end))
}

/// The `holdout` JSON object: predicted = Σ over customers of `E[Y(t) | x, t_x, T]` over the
/// holdout duration `t`, actual = Σ holdout repeat transactions, mae = mean over customers of
/// |predicted − actual|, n_customers = customers in the calibration summary.
pub fn holdout_json<M: TransactionModel>(
    model: &M,
    split: &CalibrationHoldout,
) -> Result<Value, Failure> {
    holdout_report(&holdout_predictions(model, split)?, split)
}

/// The `holdout` JSON object of `predicted` holdout transactions per customer of `split`.
pub fn holdout_report(predicted: &[f64], split: &CalibrationHoldout) -> Result<Value, Failure> {
    let m = ErrorMetrics::new(predicted, split.holdout_transactions())?;
    Ok(json!({
        "predicted": m.predicted_total,
        "actual": number(m.actual_total),
        "mae": m.mae,
        "n_customers": split.n_customers(),
        "rmse": m.rmse,
        "duration": split.holdout_duration(),
        "n_excluded": split.n_excluded(),
    }))
}
