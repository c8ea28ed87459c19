//! The Gamma-Gamma spend model (`gg`) in the fit example.

use clv::{FitOptions, GammaGamma};
use serde_json::{Value, json};

use crate::source::Source;
use crate::{Args, Failure, intervals, named, noncontractual, number, write_file};

/// Fits the Gamma-Gamma model to `--input` (columns `frequency,monetary_value`; rows with
/// frequency 0 are skipped) or reads `--params`, writes `--predictions` if asked, and returns
/// the JSON report.
pub fn run(name: &str, args: &Args, options: &FitOptions) -> Result<Value, Failure> {
    let data = crate::source::read_spend(args)?;
    let source =
        Source::<GammaGamma>::obtain(args, &data, || (data.n_customers(), data.len()), options)?;
    let model = source.model();
    let plan = intervals::Plan::new(args, &source, &data, options)?;
    if let Some(path) = &args.predictions {
        let spend = model.expected_average_spend_batch(&data)?;
        let mut out =
            crate::source::csv_rows("expected_average_spend\n", spend.len(), 20, |out, i| {
                crate::source::push_float(out, spend[i]);
                out.push('\n');
            });
        if let Some(ids) = data.ids() {
            out = crate::source::with_leading_ids(&out, ids);
        }
        if let Some(plan) = &plan {
            out = intervals::gg_csv(plan, &data, &out)?;
        }
        write_file(path, &out)?;
    }
    let Some(fitted) = source.fitted() else {
        let mut json = source.report(name);
        if let Some(plan) = &plan {
            plan.report(&mut json);
        }
        return Ok(json);
    };
    let names = ["p", "q", "gamma"];
    let mut json = json!({
        "model": name,
        "params": named(&names, &[model.p(), model.q(), model.gamma()]),
        "std_errors": fitted.std_errors().map_or(Value::Null, |s| named(&names, s)),
        "log_likelihood": fitted.log_likelihood(),
        "converged": fitted.converged(),
        "iterations": fitted.iterations(),
        "n_customers": number(fitted.n_customers()),
        "n_skipped": number(data.n_skipped()),
        "n_distinct": fitted.n_distinct(),
        "mean_spend": model.mean_spend().ok(),
        "finite_mean_spend": model.has_finite_mean(),
        "frequency_spend_correlation": data.frequency_spend_correlation(),
    });
    noncontractual::add_status(&mut json, fitted.status());
    if let Some(plan) = &plan {
        plan.report(&mut json);
    }
    Ok(json)
}
