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
//!
//! `--per-cohort` (cohort counts only) also fits each cohort separately
//! ([`clv::Sbg::fit_per_cohort`]): the JSON gains `"cohorts"` (per cohort `params`,
//! `std_errors`, `log_likelihood`, `status`) and `"pooled_vs_separate"` (the likelihood-ratio
//! test, or `null` where there is none), and the predictions hold one block per cohort, unnamed
//! cohorts named by position, each with that cohort's own curve.

use std::fmt::Write as _;

use clv::data::ContractualData;
use clv::models::sbg::CohortFits;
use clv::{FitOptions, Model, Sbg};
use serde_json::{Map, Value, json};

use crate::noncontractual::add_status;
use crate::source::Source;
use crate::{Args, Failure, input, intervals, named, write_file};

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
    let cohorts = match (&data, args.per_cohort) {
        (ContractualData::Cohorts(c), true) => Some(c),
        (ContractualData::Lifetimes(_), true) => {
            return Err(Failure(
                "--per-cohort needs cohort survival counts (columns period,alive and optionally \
                 cohort); the input holds individual lifetimes (duration,churned)"
                    .into(),
                2,
            ));
        }
        (_, false) => None,
    };
    let lifetimes = data.to_lifetimes();
    let source = Source::<Sbg>::obtain(
        args,
        &lifetimes,
        || (lifetimes.n_customers(), lifetimes.compress().len()),
        options,
    )?;
    let per_cohort = match cohorts {
        Some(c) => Some(Sbg::fit_per_cohort(c, options)?),
        None => None,
    };
    let plan = intervals::Plan::new(args, &source, &lifetimes, options)?;
    let cohort_plans = match (&plan, &per_cohort) {
        (Some(p), Some(fits)) => fits
            .cohorts()
            .iter()
            .map(|(_, f)| intervals::Plan::of_fit(args, f, p.level))
            .collect::<Result<Vec<_>, _>>()?,
        _ => Vec::new(),
    };
    if let Some(path) = &args.predictions {
        let horizon = match horizon {
            Some(h) => h,
            None => default_horizon(&data)?,
        };
        // One curve per block: each cohort's own with --per-cohort, else the fit's per name.
        let curves: Vec<(&str, &Sbg)> = match &per_cohort {
            Some(fits) => fits
                .cohorts()
                .iter()
                .map(|(n, f)| (n.as_str(), f.model()))
                .collect(),
            None => cohort_names(&data)
                .into_iter()
                .map(|n| (n, source.model()))
                .collect(),
        };
        let blocks = curves.len().max(1) as u64;
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
        let mut text = predictions(source.model(), &curves, horizon)?;
        if let Some(plan) = &plan {
            // one plan per block: each cohort's own with --per-cohort, else the fit's
            let plans: Vec<&intervals::Plan<Sbg>> = if per_cohort.is_some() {
                cohort_plans.iter().collect()
            } else {
                vec![plan; curves.len().max(1)]
            };
            text = intervals::sbg_csv(&plans, horizon, &text)?;
        }
        write_file(path, &text)?;
    }
    let mut report = source.report(name);
    if let Some(plan) = &plan {
        plan.report(&mut report);
    }
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
        if let Some(fits) = &per_cohort {
            let mut cohorts = cohorts_report(fits);
            for ((name, _), p) in fits.cohorts().iter().zip(&cohort_plans) {
                p.report(&mut cohorts[name.as_str()]);
            }
            map.insert("cohorts".into(), cohorts);
            let test = fits.likelihood_ratio_test().ok().map_or(
                Value::Null,
                |t| json!({"statistic": t.statistic, "df": t.df, "p_value": t.p_value}),
            );
            map.insert("pooled_vs_separate".into(), test);
        }
    }
    Ok(report)
}

/// `{name: {"params", "std_errors", "log_likelihood", "status"}}` of the per-cohort fits (and
/// `"boundary"` for a fit on the boundary, as in the main report).
fn cohorts_report(fits: &CohortFits) -> Value {
    let names = Sbg::PARAM_NAMES;
    let mut map = Map::new();
    for (name, fit) in fits.cohorts() {
        let mut entry = json!({
            "params": named(names, &fit.model().params()),
            "std_errors": fit.std_errors().map_or(Value::Null, |s| named(names, s)),
            "log_likelihood": fit.log_likelihood(),
        });
        add_status(&mut entry, fit.status());
        map.insert(name.clone(), entry);
    }
    Value::Object(map)
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

/// The predictions CSV (see the module docs): `model`'s curve, or with `curves` one block per
/// `(cohort, model)`.
fn predictions(model: &Sbg, curves: &[(&str, &Sbg)], horizon: u32) -> clv::Result<String> {
    if curves.is_empty() {
        return Ok(format!(
            "period,survival,retention_rate\n{}",
            curve(model, horizon)?
        ));
    }
    let mut out = String::from("cohort,period,survival,retention_rate\n");
    let mut shared: Option<(&Sbg, String)> = None;
    for &(name, model) in curves {
        // Blocks of the same model share their rows.
        if shared.as_ref().is_none_or(|(m, _)| *m != model) {
            shared = Some((model, curve(model, horizon)?));
        }
        let cell = csv_cell(name);
        for row in shared.iter().flat_map(|(_, rows)| rows.lines()) {
            let _ = writeln!(out, "{cell},{row}");
        }
    }
    Ok(out)
}

/// `period,survival,retention_rate` rows of `model` for periods `1..=horizon`.
fn curve(model: &Sbg, horizon: u32) -> clv::Result<String> {
    let mut rows = String::with_capacity(48 * horizon as usize);
    for t in 1..=horizon {
        let _ = writeln!(
            rows,
            "{t},{:?},{:?}",
            model.survival(t),
            model.retention_rate(t)?
        );
    }
    Ok(rows)
}

/// A CSV cell, quoted when it holds a comma, quote or line break.
fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
