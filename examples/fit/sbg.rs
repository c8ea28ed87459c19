//! The contractual shifted-beta-geometric model (`sbg`) in the fit example.
//!
//! Input: either cohort survival counts (`period,alive`, optional `cohort`) or individual
//! lifetimes (`duration,churned`, optional `weight`), detected from the header.
//!
//! `--predictions OUT.csv` writes `period,survival,retention_rate` for periods `1..=H`, where
//! `survival` is `S(t)` (the share of a cohort still active after period `t`) and
//! `retention_rate` is `r(t)`; when the cohorts are named (a `cohort` column), one block per
//! cohort with a leading `cohort` column. `H` is `--horizon` (a whole number of periods) or, by
//! default, twice the longest observed horizon: the observed periods plus as many projected.

use std::fmt::Write as _;

use clv::data::ContractualData;
use clv::{FitOptions, Sbg};
use serde_json::{Value, json};

use crate::{Args, Failure, input, noncontractual, write_file};

/// Fits the sBG model to `--input`, writes `--predictions` if asked, returns the JSON report.
pub fn run(args: &Args, options: &FitOptions) -> Result<Value, Failure> {
    let data = ContractualData::from_csv_path(input(args)?)?;
    let fitted = Sbg::fit(&data.to_lifetimes(), options)?;
    if let Some(path) = &args.predictions {
        let horizon = match args.horizon {
            Some(h) => periods(h)?,
            None => 2u32.saturating_mul(longest_horizon(&data)),
        };
        write_file(path, &predictions(fitted.model(), &data, horizon)?)?;
    }
    let mut report = noncontractual::report("sbg", &fitted);
    if let Value::Object(map) = &mut report {
        match &data {
            ContractualData::Cohorts(c) => {
                map.insert("input".into(), json!("cohorts"));
                map.insert("n_cohorts".into(), json!(c.cohorts().len()));
            }
            ContractualData::Lifetimes(_) => {
                map.insert("input".into(), json!("lifetimes"));
            }
        }
    }
    Ok(report)
}

/// `--horizon` as a whole number of periods.
fn periods(h: f64) -> Result<u32, Failure> {
    if h.fract() == 0.0 && h <= f64::from(u32::MAX) {
        Ok(h as u32)
    } else {
        Err(Failure(
            format!("--horizon for sbg must be a whole number of periods, got {h}"),
            2,
        ))
    }
}

fn longest_horizon(data: &ContractualData) -> u32 {
    match data {
        ContractualData::Cohorts(c) => c.max_horizon(),
        ContractualData::Lifetimes(l) => l.max_duration(),
    }
}

/// The predictions CSV (see the module docs).
fn predictions(model: &Sbg, data: &ContractualData, horizon: u32) -> clv::Result<String> {
    let names: Vec<&str> = match data {
        ContractualData::Cohorts(c) if c.cohorts().iter().any(|c| !c.name().is_empty()) => {
            c.cohorts().iter().map(|c| c.name()).collect()
        }
        _ => Vec::new(),
    };
    // One row per period and named cohort: bound the file's size.
    const MAX_ROWS: u64 = 10_000_000;
    if u64::from(horizon) * (names.len().max(1) as u64) > MAX_ROWS {
        return Err(clv::Error::InvalidInput(format!(
            "--predictions would hold {horizon} periods for each of {} cohorts, more than \
             {MAX_ROWS} rows: give a smaller --horizon",
            names.len().max(1)
        )));
    }
    let mut rows = String::with_capacity(48 * horizon as usize);
    for t in 1..=horizon {
        let _ = writeln!(
            rows,
            "{t},{:?},{:?}",
            model.survival(t),
            model.retention_rate(t)?
        );
    }
    if names.is_empty() {
        return Ok(format!("period,survival,retention_rate\n{rows}"));
    }
    let mut out = String::from("cohort,period,survival,retention_rate\n");
    for name in names {
        let cell = csv_cell(name);
        for row in rows.lines() {
            let _ = writeln!(out, "{cell},{row}");
        }
    }
    Ok(out)
}

/// A CSV cell, quoted when it holds a comma, quote or line break.
fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
