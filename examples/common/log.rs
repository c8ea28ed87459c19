//! What `examples/report.rs` and `examples/cohorts.rs` (and so `clv report` and `clv cohorts`)
//! share: reading a transaction log and turning the outcome into an exit status.

use clv::data::{TransactionLog, TransactionReader};

/// Reads the log at `path` (`--transactions`): CDNOW's raw whitespace format (customer id,
/// sample id, `YYYYMMDD`, units, dollars; told apart by a first line of five fields without a
/// comma), with the units of each transaction, or a CSV with `customer_id,date[,amount]`
/// (`amount` required when `amount_required`).
pub fn read_log(
    path: &str,
    amount_required: bool,
) -> Result<(TransactionLog, Option<Vec<f64>>), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("--transactions {path}: {e}"))?;
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let raw = !first.contains(',') && first.split_whitespace().count() == 5;
    let log = if raw {
        TransactionLog::from_cdnow_reader(text.as_bytes())
    } else if amount_required {
        TransactionReader::new()
            .amount_column("amount")
            .from_reader(text.as_bytes())
    } else {
        TransactionReader::new()
            .optional_amount_column("amount")
            .from_reader(text.as_bytes())
    };
    let log = log.map_err(|e| format!("--transactions {path}: {e}"))?;
    // the reader has checked every line; the units are the fourth field of the same lines
    let units = raw.then(|| {
        text.lines()
            .filter_map(|l| l.split_whitespace().nth(3))
            .map(|u| u.parse::<f64>().unwrap_or(0.0))
            .collect::<Vec<f64>>()
    });
    Ok((log, units))
}

/// The exit status of a command's outcome: 0, or 2 with the message on stderr.
pub fn exit_status(outcome: Result<(), String>) -> i32 {
    match outcome {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}
