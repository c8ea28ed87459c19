//! `--model bgbb`: the BG/BB, discrete-time noncontractual, in the fit example.
//!
//! Input: `--input` with columns `frequency,recency,n` (or `T`; optional `weight`), or
//! `--transactions` summarised into opportunities of `--time-unit` (`year`, `month`, `week` or
//! `day`; default `year`). `--horizon` is a whole number of opportunities (default 5).

use clv::data::{CalibrationHoldout, Opportunity};
use clv::fit::Estimable;
use clv::{BgBb, Error, FitOptions};

use crate::noncontractual::with_customer_ids;
use crate::source::Source;
use crate::transactions::{holdout_report, read_log};
use crate::{Args, Failure, intervals, write_file};
use serde_json::Value;

/// The default horizon, in opportunities.
const HORIZON: u32 = 5;

/// The opportunity of `--time-unit`.
pub fn opportunity(unit: &str) -> Result<Opportunity, String> {
    unit.parse::<Opportunity>()
        .map_err(|_| format!("--time-unit must be year, month, week or day for bgbb, got {unit:?}"))
}

/// Fits the BG/BB (or reads `--params`), writes `--predictions` if asked, and returns the JSON.
pub fn run(name: &str, args: &Args, options: &FitOptions) -> Result<Value, Failure> {
    let horizon = match args.horizon {
        None => HORIZON,
        Some(h) if h.fract() == 0.0 && h <= f64::from(u32::MAX) => h as u32,
        Some(h) => {
            return Err(Failure(
                format!(
                    "--horizon {h} is not a whole number of opportunities (0..={}) for bgbb",
                    u32::MAX
                ),
                2,
            ));
        }
    };
    let split = match &args.transactions {
        Some(path) => Some(split(args, path)?),
        None => None,
    };
    let data = match &split {
        Some(s) => s.calibration().clone(),
        None => super::source::read_summary(args)?,
    };
    // Rows that are not BG/BB histories: the error names the line of the file. (Data without a
    // maximum are refused by the fit, and still predicted with --params.)
    if let Err(Error::InvalidData {
        row,
        field,
        value,
        message,
    }) = BgBb::prepare(&data)
    {
        let row = match &args.input {
            Some(path) => file_line(path, row).unwrap_or(row),
            None => row,
        };
        return Err(Error::InvalidData {
            row,
            field,
            value,
            message,
        }
        .into());
    }
    let source = Source::<BgBb>::obtain(
        args,
        &data,
        || (data.n_customers(), data.distinct_customers().0.len()),
        options,
    )?;
    let model = source.model();
    let plan = intervals::Plan::new(args, &source, &data, options)?;
    if let Some(path) = &args.predictions {
        let p_alive = model.probability_alive_batch(&data)?;
        let expected = model.conditional_expected_transactions_batch(&data, horizon)?;
        let header = "probability_alive,expected_transactions\n";
        let n = p_alive.len().min(expected.len());
        let mut text = super::source::csv_rows(header, n, 40, |out, i| {
            super::source::push_float(out, p_alive[i]);
            out.push(',');
            super::source::push_float(out, expected[i]);
            out.push('\n');
        });
        if let Some(s) = &split {
            text = with_customer_ids(&text, s.customer_ids());
        } else if let Some(ids) = data.ids() {
            text = super::source::with_leading_ids(&text, ids);
        }
        if let Some(plan) = &plan {
            text = intervals::bgbb_csv(plan, model, &data, horizon, &text)?;
        }
        write_file(path, &text)?;
    }
    let mut json = source.report(name);
    if let Some(s) = &split {
        let duration = s.holdout_duration() as u32;
        let predicted = model.conditional_expected_transactions_batch(s.calibration(), duration)?;
        json["holdout"] = holdout_report(predicted.as_slice().unwrap_or_default(), s)?;
    }
    if let Some(plan) = &plan {
        intervals::bgbb_json(plan, model, &mut json, split.as_ref())?;
    }
    Ok(json)
}

/// The line of the file at `path` holding data row `row` (1-based; blank lines skipped, the
/// header the first line that is not blank).
fn file_line(path: &str, row: usize) -> Option<usize> {
    let text = std::fs::read(path).ok()?;
    text.split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, l)| l.iter().any(|b| !b.is_ascii_whitespace()))
        .nth(row)
        .map(|(i, _)| i + 1)
}

/// Reads `--transactions` and summarises it into opportunities of `--time-unit` at
/// `--calibration-end` (holdout to `--holdout-end`, default the last date in the file).
fn split(args: &Args, path: &str) -> Result<CalibrationHoldout, Failure> {
    let unit =
        opportunity(args.time_unit.as_deref().unwrap_or("year")).map_err(|m| Failure(m, 2))?;
    let (log, cal_end) = read_log(args, path)?;
    Ok(log.opportunities_holdout(unit, cal_end, args.holdout_end)?)
}
