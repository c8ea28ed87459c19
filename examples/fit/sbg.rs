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
//! `H` may be at most [`MAX_HORIZON`] = 100,000 periods, and the file at most
//! [`MAX_PREDICTION_ROWS`] = 10,000,000 rows (`H` times the number of named cohorts); beyond,
//! the run stops with exit code 2 and a message naming `--horizon` and its value.

use std::fmt::Write as _;

use clv::data::ContractualData;
use clv::{FitOptions, Sbg};
use serde_json::{Value, json};

use crate::source::Source;
use crate::{Args, Failure, input, write_file};

/// Longest prediction horizon, in periods.
pub const MAX_HORIZON: u32 = clv::data::limits::MAX_DURATION;
/// Most rows of the predictions file (horizon times the number of cohort blocks).
pub const MAX_PREDICTION_ROWS: u64 = 10_000_000;

/// Fits the sBG model to `--input`, writes `--predictions` if asked, returns the JSON report.
pub fn run(name: &str, args: &Args, options: &FitOptions) -> Result<Value, Failure> {
    let data = ContractualData::from_csv_path(input(args)?)?;
    // The horizon is checked before the fit: a bad flag fails at once.
    let horizon = match args.horizon {
        Some(h) => Some(periods(h)?),
        None => None,
    };
    let lifetimes = data.to_lifetimes();
    let source = Source::<Sbg>::obtain(
        args,
        &lifetimes,
        || (lifetimes.n_customers(), lifetimes.compress().len()),
        options,
    )?;
    if let Some(path) = &args.predictions {
        let horizon = match horizon {
            Some(h) => h,
            None => default_horizon(&data)?,
        };
        let blocks = cohort_names(&data).len().max(1) as u64;
        if u64::from(horizon) * blocks > MAX_PREDICTION_ROWS {
            return Err(Failure(
                format!(
                    "--horizon {horizon} with {blocks} cohorts would write {} rows of \
                     predictions, more than the maximum of {MAX_PREDICTION_ROWS}",
                    u64::from(horizon) * blocks
                ),
                2,
            ));
        }
        write_file(path, &predictions(source.model(), &data, horizon)?)?;
    }
    let mut report = source.report(name);
    if source.fitted().is_none() {
        return Ok(report);
    }
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

/// `--horizon` as a whole number of periods, at most [`MAX_HORIZON`].
fn periods(h: f64) -> Result<u32, Failure> {
    if h.fract() != 0.0 {
        return Err(Failure(
            format!("--horizon for sbg must be a whole number of periods, got {h}"),
            2,
        ));
    }
    if h > f64::from(MAX_HORIZON) {
        return Err(Failure(
            format!("--horizon for sbg must be at most {MAX_HORIZON} periods, got {h}"),
            2,
        ));
    }
    Ok(h as u32)
}

/// The default horizon, twice the longest observed one, if it is at most [`MAX_HORIZON`].
fn default_horizon(data: &ContractualData) -> Result<u32, Failure> {
    let longest = longest_horizon(data);
    let h = 2 * u64::from(longest);
    if h > u64::from(MAX_HORIZON) {
        return Err(Failure(
            format!(
                "--horizon: the default (twice the longest observed horizon of {longest} \
                 periods, {h}) exceeds the maximum of {MAX_HORIZON} periods; give a --horizon \
                 of at most {MAX_HORIZON}"
            ),
            2,
        ));
    }
    Ok(h as u32)
}

/// The cohort names when the cohorts are named (one block of predictions per cohort).
fn cohort_names(data: &ContractualData) -> Vec<&str> {
    match data {
        ContractualData::Cohorts(c) if c.cohorts().iter().any(|c| !c.name().is_empty()) => {
            c.cohorts().iter().map(|c| c.name()).collect()
        }
        _ => Vec::new(),
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
    let names = cohort_names(data);
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
