//! `--purchase-covariates c1,c2` and `--dropout-covariates c3`: `bgnbd`, `mbgnbd` and `pnbd`
//! with time-invariant covariates (Fader & Hardie 2007, note 019).
//!
//! The covariates are columns of `--input`, or with `--transactions` columns of
//! `--covariates FILE.csv` keyed by `customer_id`. The JSON `"params"` and `"std_errors"` gain
//! one entry per coefficient (`purchase.<col>`, and `dropout.<col>` for `pnbd` or
//! `dropout_a.<col>`, `dropout_b.<col>` for `bgnbd`/`mbgnbd`), and `"lr_test": {"statistic",
//! "df", "p_value"}` is the likelihood-ratio test against the fit without covariates (`null`
//! when either fit did not converge). Predictions use each row's covariates. A missing or
//! non-numeric covariate value is bad input (exit 2, naming the row and the column). With
//! `--params FIT.json` the covariate flags say which coefficients the `"params"` object holds
//! (every one by name, no other).

use std::collections::HashMap;

use clv::data::CalibrationHoldout;
use clv::fit::{Estimable, Rows};
use clv::models::covariates::{CovariateBase, CovariateData, CovariateSpec};
use clv::{FitOptions, Model, RfmData, TransactionModel, WithCovariates};
use serde_json::{Value, json};

use crate::noncontractual::{report, with_customer_ids};
use crate::transactions::{holdout_report, split};
use crate::{Args, Failure, input, number, write_file, write_to};

/// Whether covariate flags were given.
pub fn wanted(args: &Args) -> bool {
    args.purchase_covariates.is_some() || args.dropout_covariates.is_some()
}

/// Checks the covariate flags against the rest (a message naming the flag, for exit 2).
pub fn check_flags(args: &Args, noncontractual: bool) -> Result<(), String> {
    if args.covariates.is_some() && args.transactions.is_none() {
        return Err(
            "--covariates FILE.csv is for --transactions; with --input the covariates are \
             columns of the input"
                .into(),
        );
    }
    if !wanted(args) {
        if args.covariates.is_some() {
            return Err(
                "--covariates needs --purchase-covariates and/or --dropout-covariates (the \
                 columns to use)"
                    .into(),
            );
        }
        return Ok(());
    }
    if !noncontractual {
        return Err(format!(
            "--purchase-covariates and --dropout-covariates are for bgnbd, mbgnbd and pnbd, \
             not --model {}",
            args.model
        ));
    }
    if args.transactions.is_some() && args.covariates.is_none() {
        return Err(
            "with --transactions, covariates come from --covariates FILE.csv (keyed by \
             customer_id)"
                .into(),
        );
    }
    if let Some(path) = &args.covariates {
        if !std::path::Path::new(path).is_file() {
            return Err(format!(
                "--covariates {path}: no such file (or not a regular file)"
            ));
        }
    }
    for (flag, v) in [
        ("--purchase-covariates", &args.purchase_covariates),
        ("--dropout-covariates", &args.dropout_covariates),
    ] {
        if let Some(v) = v {
            columns(flag, v)?;
        }
    }
    Ok(())
}

/// The column names of a covariate flag: comma-separated, none blank or repeated.
fn columns(flag: &str, v: &str) -> Result<Vec<String>, String> {
    let cols: Vec<String> = v.split(',').map(|c| c.trim().to_string()).collect();
    for (i, c) in cols.iter().enumerate() {
        if c.is_empty() {
            return Err(format!("{flag} {v:?}: a column name is empty"));
        }
        if cols[..i].contains(c) {
            return Err(format!("{flag} {v:?}: column {c:?} is given twice"));
        }
    }
    Ok(cols)
}

/// Runs `--model name` with covariates.
pub fn run(name: &str, args: &Args, options: &FitOptions) -> Result<Value, Failure> {
    match name {
        "pnbd" => run_model::<clv::ParetoNbd>(name, args, options),
        "bgnbd" => run_model::<clv::BgNbd>(name, args, options),
        "mbgnbd" => run_model::<clv::MbgNbd>(name, args, options),
        other => Err(Failure(
            format!("--model {other} does not take covariates (bgnbd, mbgnbd and pnbd do)"),
            2,
        )),
    }
}

fn run_model<B>(name: &str, args: &Args, options: &FitOptions) -> Result<Value, Failure>
where
    B: CovariateBase + TransactionModel,
{
    let bad = |m: String| Failure(m, 2);
    let purchase = match &args.purchase_covariates {
        Some(v) => columns("--purchase-covariates", v).map_err(bad)?,
        None => Vec::new(),
    };
    let dropout = match &args.dropout_covariates {
        Some(v) => columns("--dropout-covariates", v).map_err(bad)?,
        None => Vec::new(),
    };
    let mut used: Vec<&str> = purchase.iter().map(String::as_str).collect();
    for c in &dropout {
        if !used.contains(&c.as_str()) {
            used.push(c);
        }
    }
    let split = match &args.transactions {
        Some(path) => Some(split(args, path)?),
        None => None,
    };
    let data = match (&split, &args.covariates) {
        (Some(s), Some(file)) => join_covariates(s, file, &used)?,
        _ => RfmData::from_csv_path_with_covariates(input(args)?, &used)?,
    };
    let p: Vec<&str> = purchase.iter().map(String::as_str).collect();
    let d: Vec<&str> = dropout.iter().map(String::as_str).collect();
    let spec = CovariateSpec::new().purchase(&p).dropout(&d);
    let cd = CovariateData::new(&data, &spec)?;
    let (fitted, model) = match &args.params {
        Some(path) => (None, read_params::<B>(path, &cd)?),
        None => {
            let fitted = WithCovariates::<B>::fit(&cd, options)?;
            if let Some(path) = &args.save {
                let text = serde_json::to_string_pretty(&fitted).map_err(|e| {
                    Failure(format!("--save {path}: cannot serialise the fit: {e}"), 1)
                })?;
                write_to("--save", path, &(text + "\n"))?;
            }
            let model = fitted.model().with_params(&fitted.model().params())?;
            (Some(fitted), model)
        }
    };
    if let Some(path) = &args.predictions {
        let horizon = args.horizon.unwrap_or(39.0);
        let (distinct, index) = data.distinct_customers();
        let rows = model.predict(&distinct, |m, c| {
            Ok((
                m.probability_alive(c),
                m.conditional_expected_transactions(c, horizon)?,
            ))
        })?;
        let mut text = String::with_capacity(48 * (data.len() + 1));
        text.push_str("probability_alive,expected_transactions\n");
        for &k in &index {
            let (a, e) = rows[k];
            text.push_str(&format!("{a:?},{e:?}\n"));
        }
        if let Some(s) = &split {
            text = with_customer_ids(&text, s.customer_ids());
        }
        write_file(path, &text)?;
    }
    let mut json = match &fitted {
        Some(fitted) => {
            let mut json = report(name, fitted);
            // The nested fit: the same model without covariates on the same customers.
            let test =
                B::fit(&data, options).and_then(|nested| fitted.likelihood_ratio_test(&nested));
            json["lr_test"] = match test {
                Ok(t) => json!({"statistic": t.statistic, "df": t.df, "p_value": t.p_value}),
                Err(_) => Value::Null,
            };
            json
        }
        None => {
            let rows = WithCovariates::<B>::prepare(&cd)?;
            let mut params = serde_json::Map::new();
            for (n, v) in model.param_names().iter().zip(model.params()) {
                params.insert(n.clone(), json!(v));
            }
            json!({
                "model": name,
                "params": params,
                "n_customers": number(rows.n_customers()),
                "n_distinct": rows.n_rows(),
            })
        }
    };
    if let Some(s) = &split {
        let duration = s.holdout_duration();
        // The joined data are the calibration summary's rows, in its order.
        let predicted = model.predict(&data, |m, c| {
            m.conditional_expected_transactions(c, duration)
        })?;
        json["holdout"] = holdout_report(&predicted, s)?;
    }
    Ok(json)
}

/// The calibration summary of `split` with the covariate columns `used` of `file`, a CSV
/// keyed by `customer_id`: every calibration customer needs a row with a number in every
/// column used (else exit 2 naming the row, or the customer, and the column).
fn join_covariates(
    split: &CalibrationHoldout,
    file: &str,
    used: &[&str],
) -> Result<RfmData, Failure> {
    let bad = |m: String| Failure(format!("--covariates {file}: {m}"), 2);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(file)
        .map_err(|e| bad(format!("cannot read: {e}")))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| bad(format!("cannot read the header: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let find = |name: &str| header.iter().position(|h| h == name);
    let id_col = find("customer_id").ok_or_else(|| bad("no customer_id column".into()))?;
    let cols: Vec<usize> = used
        .iter()
        .map(|c| find(c).ok_or_else(|| bad(format!("row 1: no column {c:?} in the header"))))
        .collect::<Result<_, _>>()?;
    let mut by_id: HashMap<String, (usize, Vec<f64>)> = HashMap::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| bad(format!("row {line}: {e}")))?;
        let id = record.get(id_col).unwrap_or("").trim().to_string();
        let mut values = Vec::with_capacity(cols.len());
        for (&j, name) in cols.iter().zip(used) {
            let text = record.get(j).unwrap_or("").trim();
            let v: f64 = text.parse().ok().filter(|v: &f64| v.is_finite()).ok_or_else(|| {
                bad(format!(
                    "row {line}, column {name}: {text:?} is not a number (a covariate must be a \
                     finite number)"
                ))
            })?;
            values.push(v);
        }
        if let Some((first, _)) = by_id.get(&id) {
            return Err(bad(format!(
                "row {line}, column customer_id: {id:?} appears twice (rows {first} and {line})"
            )));
        }
        by_id.insert(id, (line, values));
    }
    let mut columns = vec![Vec::with_capacity(split.customer_ids().len()); used.len()];
    for id in split.customer_ids() {
        let (_, values) = by_id.get(id).ok_or_else(|| {
            bad(format!(
                "customer {id:?} of the transactions has no row (columns {})",
                used.join(", ")
            ))
        })?;
        for (c, v) in columns.iter_mut().zip(values) {
            c.push(*v);
        }
    }
    let names = used.iter().map(|s| (*s).to_string()).collect();
    Ok(split
        .calibration()
        .clone()
        .with_covariates(names, columns)?)
}

/// The model from the `"params"` object of `path` (`--params`): the parameters the covariate
/// flags give, by name (the base parameters, then `purchase.<col>`, ...), no other.
fn read_params<B: CovariateBase>(
    path: &str,
    cd: &CovariateData,
) -> Result<WithCovariates<B>, Failure> {
    let bad = |msg: String| Failure(format!("--params {path}: {msg}"), 2);
    let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    let json: Value = serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
    if let Some(model) = json.get("model") {
        if model.as_str() != Some(B::NAME) {
            return Err(bad(format!(
                "the parameters are of model {model}, not {}",
                B::NAME
            )));
        }
    }
    let Some(params) = json.get("params").and_then(Value::as_object) else {
        return Err(bad(
            "no \"params\" object (give the JSON that fit printed or --save wrote)".into(),
        ));
    };
    let rows = WithCovariates::<B>::prepare(cd)?;
    let shell = WithCovariates::<B>::from_estimate(
        &rows,
        &vec![1.0; WithCovariates::<B>::lower_bounds_for(&rows).len()],
    )?;
    let names = shell.param_names();
    if let Some(extra) = params.keys().find(|k| !names.contains(k)) {
        return Err(bad(format!(
            "\"params\" has {extra:?}, which is not a parameter of {} with these covariates ({})",
            B::NAME,
            names.join(", ")
        )));
    }
    let values = names
        .iter()
        .map(|n| match params.get(n) {
            Some(v) => v
                .as_f64()
                .ok_or_else(|| bad(format!("\"params\".{n} is not a number: {v}"))),
            None => Err(bad(format!("\"params\" lacks {n:?}"))),
        })
        .collect::<Result<Vec<f64>, Failure>>()?;
    shell.with_params(&values).map_err(|e| bad(e.to_string()))
}
