//! Noncontractual transaction models (`bgnbd`, ...) in the fit example.

use std::fmt::Write as _;

use clv::{FitOptions, Fitted, Model, RfmData, TransactionModel};
use serde_json::{Value, json};

use crate::{Args, Failure, input, named, number, write_file};

/// Fits `M` to `--input`, writes `--predictions` if asked, and returns the JSON report.
pub fn run<M: Model + TransactionModel>(
    name: &str,
    fit: fn(&RfmData, &FitOptions) -> clv::Result<Fitted<M>>,
    args: &Args,
    options: &FitOptions,
) -> Result<Value, Failure> {
    let data = RfmData::from_csv_path(input(args)?)?;
    let fitted = fit(&data, options)?;
    if let Some(path) = &args.predictions {
        let horizon = args.horizon.unwrap_or(39.0);
        write_file(path, &predictions(fitted.model(), &data, horizon)?)?;
    }
    Ok(report(name, &fitted))
}

/// The JSON report of a fitted model.
pub fn report<M: Model>(name: &str, fitted: &Fitted<M>) -> Value {
    let names = M::PARAM_NAMES;
    json!({
        "model": name,
        "params": named(names, &fitted.model().params()),
        "std_errors": fitted.std_errors().map_or(Value::Null, |s| named(names, s)),
        "log_likelihood": fitted.log_likelihood(),
        "converged": fitted.converged(),
        "iterations": fitted.iterations(),
        "n_customers": number(fitted.n_customers()),
        "n_distinct": fitted.n_distinct(),
    })
}

/// `probability_alive,expected_transactions` per input row, computed once per distinct row.
pub fn predictions<M: TransactionModel>(
    model: &M,
    data: &RfmData,
    horizon: f64,
) -> clv::Result<String> {
    let (distinct, index) = data.without_monetary_value().compress_with_index();
    let p_alive = model.probability_alive_batch(&distinct);
    let expected = model.conditional_expected_transactions_batch(&distinct, horizon)?;
    let mut out = String::with_capacity(48 * (data.len() + 1));
    out.push_str("probability_alive,expected_transactions\n");
    for &k in &index {
        let _ = writeln!(out, "{:?},{:?}", p_alive[k], expected[k]);
    }
    Ok(out)
}
