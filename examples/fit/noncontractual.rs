//! Noncontractual transaction models (`bgnbd`, ...) in the fit example.

use std::fmt::Write as _;

use clv::fit::Estimable;
use clv::{FitOptions, FitStatus, Fitted, Model, RfmData, TransactionModel};
use serde_json::{Value, json};

use super::source::{self, Source};
use super::{Args, Failure, intervals, named, number, transactions, write_file};

/// Fits `M` to `--input` (or reads `--params`), writes `--predictions` if asked, and returns
/// the JSON report.
pub fn run<M: Estimable<Data = RfmData> + TransactionModel + Clone + Send + Sync>(
    name: &str,
    args: &Args,
    options: &FitOptions,
) -> Result<Value, Failure> {
    let split = match &args.transactions {
        Some(path) => Some(transactions::split(args, path)?),
        None => None,
    };
    // Predictions without intervals need only the distinct rows and each row's: compressed
    // once, for the fit (which sees the same rows, weights and order) and the predictions.
    let distinct_only = args.predictions.is_some() && args.intervals.level.is_none();
    let mut compressed = None;
    // Where `data` holds the distinct rows themselves (a plain file without ids): each input
    // row's index among them.
    let mut own_index = None;
    let data = match &split {
        Some(s) => s.calibration().clone(),
        // Nothing but the fit needs the rows: read them as distinct rows.
        None if args.predictions.is_none() && args.intervals.level.is_none() => {
            source::read_summary_for_fit(args)?
        }
        // Compressed as the file is read, when it is plain: without the rows where nothing
        // but the predictions needs them (no ids to write), with them otherwise.
        None if distinct_only => match source::read_summary_indexed(args)? {
            Some((distinct, index)) => {
                own_index = Some(index);
                distinct
            }
            None => {
                let (data, grouped) = source::read_summary_grouped(args)?;
                compressed = grouped;
                data
            }
        },
        None => source::read_summary(args)?,
    };
    if distinct_only && compressed.is_none() && own_index.is_none() {
        compressed = Some(data.distinct_customers());
    }
    // The distinct rows the fit and the predictions take, with each input row's index.
    let grouped: Option<(&RfmData, &[usize])> = match (&compressed, &own_index) {
        (Some((distinct, index)), _) => Some((distinct, index)),
        (None, Some(index)) => Some((&data, index)),
        (None, None) => None,
    };
    let source = Source::<M>::obtain(
        args,
        grouped.map_or(&data, |(d, _)| d),
        || (data.n_customers(), data.distinct_customers().0.len()),
        options,
    )?;
    let plan = intervals::Plan::new(args, &source, &data, options)?;
    if let Some(path) = &args.predictions {
        let horizon = args.horizon.unwrap_or(39.0);
        let mut text = match grouped {
            Some((distinct, index)) => predictions_of(source.model(), distinct, index, horizon)?,
            None => predictions(source.model(), &data, horizon)?,
        };
        if let Some(s) = &split {
            text = with_customer_ids(&text, s.customer_ids());
        } else if let Some(ids) = data.ids() {
            text = source::with_leading_ids(&text, ids);
        }
        if let Some(plan) = &plan {
            text = intervals::noncontractual_csv(plan, source.model(), &data, horizon, &text)?;
        }
        write_file(path, &text)?;
    }
    let mut json = source.report(name);
    if let Some(s) = &split {
        json["holdout"] = transactions::holdout_json(source.model(), s)?;
    }
    if let Some(plan) = &plan {
        intervals::noncontractual_json(plan, source.model(), &mut json, split.as_ref())?;
    }
    Ok(json)
}

/// Appends a `customer_id` column to the predictions CSV (rows in calibration-summary order).
pub fn with_customer_ids(csv: &str, ids: &[String]) -> String {
    let mut out = String::with_capacity(csv.len() + 12 * ids.len());
    for (i, line) in csv.lines().enumerate() {
        let id = if i == 0 {
            "customer_id".to_string()
        } else {
            source::csv_field(&ids[i - 1]).into_owned()
        };
        let _ = writeln!(out, "{line},{id}");
    }
    out
}

/// The JSON report of a fitted model.
pub fn report<M: Model>(name: &str, fitted: &Fitted<M>) -> Value {
    let names = fitted.names();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let names = names.as_slice();
    let mut json = json!({
        "model": name,
        "params": named(names, &fitted.model().params()),
        "std_errors": fitted.std_errors().map_or(Value::Null, |s| named(names, s)),
        "log_likelihood": fitted.log_likelihood(),
        "converged": fitted.converged(),
        "iterations": fitted.iterations(),
        "n_customers": number(fitted.n_customers()),
        "n_distinct": fitted.n_distinct(),
    });
    add_status(&mut json, fitted.status());
    json
}

/// Adds `"status"` (`"converged"`, `"boundary"`, `"not_converged"` or `"flat"`) and, for a
/// boundary, `"boundary"`: the parameters that diverge.
pub fn add_status(json: &mut Value, status: &FitStatus) {
    if let Value::Object(map) = json {
        map.insert("status".into(), json!(status.as_str()));
        if let FitStatus::Boundary { .. } = status {
            map.insert("boundary".into(), json!(status.boundary_params()));
        }
    }
}

/// `probability_alive,expected_transactions` per input row, computed once per distinct row.
pub fn predictions<M: TransactionModel>(
    model: &M,
    data: &RfmData,
    horizon: f64,
) -> clv::Result<String> {
    let (distinct, index) = data.distinct_customers();
    predictions_of(model, &distinct, &index, horizon)
}

/// As [`predictions`] of the distinct rows `distinct` of a table and each row's `index` in it.
pub fn predictions_of<M: TransactionModel>(
    model: &M,
    distinct: &RfmData,
    index: &[usize],
    horizon: f64,
) -> clv::Result<String> {
    let p_alive = model.probability_alive_batch(distinct);
    let expected = model.conditional_expected_transactions_batch(distinct, horizon)?;
    // Each distinct row's line written once, then copied to each of its rows.
    let lines = source::csv_rows("", distinct.len(), 40, |out, k| {
        source::push_float(out, p_alive[k]);
        out.push(',');
        source::push_float(out, expected[k]);
        out.push('\n');
    });
    let mut starts = vec![0];
    starts.extend(lines.match_indices('\n').map(|(i, _)| i + 1));
    let header = "probability_alive,expected_transactions\n";
    Ok(source::csv_rows(header, index.len(), 40, |out, r| {
        let k = index[r];
        out.push_str(&lines[starts[k]..starts[k + 1]]);
    }))
}
