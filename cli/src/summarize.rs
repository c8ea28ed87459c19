//! `clv summarize`: a transaction log into one row per customer.

use clap::ArgMatches;

use crate::commands::{fit_args, write_output};
use crate::fit::Failure;
use crate::fit::source::{csv_field, push_float};
use crate::progress::Progress;
use crate::value::{Customers, read_customers};

/// Runs `clv summarize`.
pub fn run(m: &ArgMatches) -> Result<(), Failure> {
    let mut progress = Progress::new(m.get_flag("quiet"));
    let args = fit_args(m, "bgnbd", &[])?;
    let customers = match &args.transactions {
        // The log summarised as it is read (see `fit::transactions::summarize`).
        Some(path) => {
            let unit = args.time_unit.as_deref().unwrap_or("week");
            let periods = crate::fit::transactions::periods(unit).map_err(|m| Failure(m, 2))?;
            progress.step(format!("reading and summarising {path}"));
            let summary =
                crate::fit::transactions::summarize(&args, path, &periods, args.calibration_end)?;
            let n_excluded = summary.n_excluded();
            Customers {
                data: summary.into_data(),
                year: if unit == "day" { 365.0 } else { 52.0 },
                n_excluded,
            }
        }
        None => read_customers(&args, &mut progress)?,
    };
    let data = &customers.data;
    progress.step(format!("writing {} customers", data.len()));
    if let Some(path) = crate::commands::get(m, "output").filter(|p| p.ends_with(".parquet")) {
        #[cfg(feature = "parquet")]
        {
            clv::data::write_summary_parquet(data, path)?;
            progress.step("done");
            return Ok(());
        }
        #[cfg(not(feature = "parquet"))]
        return Err(Failure(
            format!(
                "--output {path}: Parquet is written with the feature `parquet` (cargo install \
                 --path cli --features parquet)"
            ),
            2,
        ));
    }
    let monetary = data.monetary_value();
    let mut out = String::with_capacity(64 * (data.len() + 1));
    out.push_str("customer_id,frequency,recency,T");
    if monetary.is_some() {
        out.push_str(",monetary_value");
    }
    out.push('\n');
    for i in 0..data.len() {
        let id = data
            .id(i)
            .map_or_else(|| (i + 1).to_string(), str::to_string);
        out.push_str(&csv_field(&id));
        for v in [data.frequency()[i], data.recency()[i], data.age()[i]]
            .into_iter()
            .chain(monetary.map(|m| m[i]))
        {
            out.push(',');
            push_float(&mut out, v);
        }
        out.push('\n');
    }
    write_output(m, &out)?;
    if customers.n_excluded > 0 {
        eprintln!(
            "clv: {} customers of the log left out (first purchase at the end of observation)",
            customers.n_excluded
        );
    }
    progress.step("done");
    Ok(())
}
