//! `--transactions`: fit from a raw transaction log split into calibration and holdout.

use std::io::Read;

use clv::TransactionModel;
use clv::data::{
    CalibrationHoldout, ColumnMap, Delimiter, Periods, Summary, TimeFormat, TransactionLog,
    TransactionReader,
};
use clv::diagnostics::{ErrorMetrics, holdout_predictions};
use serde_json::{Value, json};

use super::{Args, Failure, number};

/// Parses a `--calibration-end`/`--holdout-end` value into days since 1970-01-01: an ISO date
/// `YYYY-MM-DD`, or a date in `--date-format` when given.
pub fn parse_date(flag: &str, text: &str, format: Option<TimeFormat>) -> Result<f64, String> {
    let iso = TimeFormat::IsoDate.parse(text).filter(|_| text.len() == 10);
    iso.or_else(|| format.and_then(|f| f.parse(text)))
        .ok_or_else(|| match format {
            Some(_) => {
                format!("{flag}: not a date in the form YYYY-MM-DD or in --date-format: {text:?}")
            }
            None => format!("{flag}: not a date in the form YYYY-MM-DD: {text:?}"),
        })
}

/// Parses `--columns`.
pub fn parse_columns(text: &str) -> Result<ColumnMap, String> {
    ColumnMap::parse(text).map_err(|e| format!("--columns {text}: {e}"))
}

/// The first bytes of the file at `path` (to guess its delimiter), as text.
pub fn head(path: &str) -> String {
    let mut buf = Vec::new();
    if let Ok(f) = std::fs::File::open(path) {
        let _ = f.take(1 << 16).read_to_end(&mut buf);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// The delimiter of `--delimiter`, or the one guessed from the file's first line.
pub fn delimiter(args: &Args, path: &str) -> Delimiter {
    args.delimiter
        .unwrap_or_else(|| Delimiter::sniff(&head(path)))
}

/// The column mapping of `--columns` with the common other names of `aliases`.
pub fn column_map(args: &Args, aliases: &ColumnMap) -> ColumnMap {
    args.columns
        .clone()
        .unwrap_or_default()
        .with_aliases_of(aliases)
}

/// The file at `path` (the value of `flag`) as a stream of delimited text, with its delimiter:
/// Parquet and Arrow IPC files (told apart by their first bytes; with the feature `parquet`)
/// read as CSV, other files as they are with `--delimiter` or the guessed delimiter.
pub fn open_table(
    args: &Args,
    flag: &str,
    path: &str,
) -> Result<(Box<dyn Read>, Delimiter), Failure> {
    let magic = head(path);
    if magic.starts_with("PAR1") || magic.starts_with("ARROW1") {
        #[cfg(feature = "parquet")]
        return Ok((
            Box::new(clv::data::ColumnarCsv::open(path)?),
            Delimiter::Byte(b','),
        ));
        #[cfg(not(feature = "parquet"))]
        return Err(Failure(
            format!(
                "{flag} {path}: a Parquet or Arrow IPC file, read with the feature `parquet` \
                 (cargo install --path cli --features parquet)"
            ),
            2,
        ));
    }
    let file = std::fs::File::open(path)
        .map_err(|e| Failure(format!("{flag} {path}: cannot open: {e}"), 2))?;
    Ok((Box::new(file), delimiter(args, path)))
}

/// Whether whitespace-separated text starts without a header: its first non-blank line holds
/// a date (CDNOW's raw log).
fn headerless(head: &str) -> bool {
    head.lines()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| {
            l.split_ascii_whitespace()
                .any(|f| TimeFormat::CompactDate.parse(f).is_some())
        })
}

/// Reads the transaction log at `path`: CSV (or another delimiter) with a header naming
/// `customer_id`, `date` and optionally `amount` (or names mapped by `--columns`, or common
/// other names), dates in `--date-format` (default: detected); a whitespace-separated log
/// without a header is read as CDNOW's raw log.
pub fn read_transactions(args: &Args, path: &str) -> Result<TransactionLog, Failure> {
    if cdnow(args, path) {
        return Ok(TransactionLog::from_cdnow_path(path)?);
    }
    read_table(args, path, |reader, r| reader.from_reader(r))
}

/// Whether `--transactions` is CDNOW's raw log (whitespace-separated, no header).
fn cdnow(args: &Args, path: &str) -> bool {
    delimiter(args, path) == Delimiter::Whitespace
        && args.columns.is_none()
        && headerless(&head(path))
}

/// Reads the table at `path` (`--transactions`) with the reader its flags configure.
fn read_table<T>(
    args: &Args,
    path: &str,
    read: impl FnOnce(TransactionReader, &mut dyn Read) -> clv::Result<T>,
) -> Result<T, Failure> {
    let (file, delimiter) = open_table(args, "--transactions", path)?;
    let format = args.date_format.unwrap_or(TimeFormat::Auto);
    let map = column_map(args, &ColumnMap::log_aliases());
    Ok(map.read(file, delimiter, |r, byte| {
        let reader = TransactionReader::new()
            .customer_column("customer_id")
            .time_column("date")
            .optional_amount_column("amount")
            .time_format(format)
            .delimiter(byte);
        read(reader, r)
    })?)
}

/// The summary of the log at `path` (`--transactions`) in `periods` at `end` (default: its
/// latest transaction): read in one pass, keeping per customer only what the summary needs,
/// when each customer's transactions come in time order; otherwise (or for CDNOW's raw log)
/// read whole and summarised, the same summary.
pub fn summarize(
    args: &Args,
    path: &str,
    periods: &Periods,
    end: Option<f64>,
) -> Result<Summary, Failure> {
    if !cdnow(args, path) {
        let streamed = read_table(args, path, |reader, r| {
            reader.summarize_ordered(r, periods, end)
        })?;
        if let Some(summary) = streamed {
            return Ok(summary);
        }
    }
    let log = read_transactions(args, path)?;
    let end = end.unwrap_or(log.time_range().1);
    Ok(log.summarize(periods, end)?)
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
    Ok((read_transactions(args, path)?, cal_end))
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
