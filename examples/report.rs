//! The HTML report of a transaction log (feature `report`):
//!
//! ```text
//! cargo run --release --features report --example report -- \
//!     --transactions data/CDNOW_sample.txt --calibration-end 1997-09-30 \
//!     [--holdout-end 1998-06-30] [--cohort-period month|quarter|year|N] [--margin 1] \
//!     [--cost-per-unit 5] [--segments-out customers.csv] --out report.html
//! ```
//!
//! `--transactions` reads CDNOW's raw whitespace format (id, sample id, YYYYMMDD, CDs, dollars)
//! when the file's first line has five whitespace-separated fields and no comma, otherwise a
//! CSV with a header and columns `customer_id`, `date` (YYYY-MM-DD) and `amount`. With the
//! CDNOW format, `--cost-per-unit C` takes each transaction's profit as dollars − C × CDs for
//! the profit-adjusted retention. `--segments-out` writes the table per customer (value, tier,
//! RFM scores and segment, P(alive), at-risk flag) as CSV. The
//! `clv report` subcommand calls the same library function, [`clv::report::report`].

use std::process::ExitCode;
use std::time::Instant;

use clv::data::TimeFormat;
use clv::insight::Period;
use clv::report::{ReportOptions, build};

#[path = "common/log.rs"]
mod logs;

fn usage() -> &'static str {
    "usage: report --transactions LOG --calibration-end YYYY-MM-DD [--holdout-end YYYY-MM-DD] \
     [--cohort-period month|quarter|year|N] [--margin M] [--cost-per-unit C] [--title TEXT] \
     [--segments-out FILE] \
     --out report.html"
}

fn date(flag: &str, text: &str) -> Result<f64, String> {
    TimeFormat::IsoDate
        .parse(text)
        .ok_or_else(|| format!("{flag} {text:?}: expected a date YYYY-MM-DD"))
}

/// The command on the arguments after the program name.
pub fn run(args: Vec<String>) -> Result<(), String> {
    let mut get = std::collections::HashMap::new();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--transactions" | "--calibration-end" | "--holdout-end" | "--out"
            | "--cohort-period" | "--margin" | "--cost-per-unit" | "--title" | "--segments-out" => {
                let v = it
                    .next()
                    .ok_or_else(|| format!("{flag} needs a value\n{}", usage()))?;
                get.insert(flag.as_str(), v.clone());
            }
            "-h" | "--help" => {
                println!("{}", usage());
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}\n{}", usage())),
        }
    }
    let need = |k: &str| {
        get.get(k)
            .cloned()
            .ok_or_else(|| format!("{k} is required\n{}", usage()))
    };
    let start = Instant::now();
    let (log, units) = logs::read_log(&need("--transactions")?, true)?;
    let mut options = ReportOptions::new(date("--calibration-end", &need("--calibration-end")?)?);
    if let Some(h) = get.get("--holdout-end") {
        options.holdout_end = Some(date("--holdout-end", h)?);
    }
    if let Some(p) = get.get("--cohort-period") {
        options.cohort_period = Period::parse(p).map_err(|e| format!("--cohort-period: {e}"))?;
    }
    if let Some(m) = get.get("--margin") {
        options.margin = m
            .parse()
            .map_err(|_| format!("--margin {m:?}: expected a number in [0, 1]"))?;
    }
    if let Some(c) = get.get("--cost-per-unit") {
        let cost: f64 = c
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| format!("--cost-per-unit {c:?}: expected a number >= 0"))?;
        let units =
            units.ok_or("--cost-per-unit needs the CDNOW format (units per transaction)")?;
        let amounts = log.amounts().unwrap_or(&[]);
        options.profit = Some(
            amounts
                .iter()
                .zip(&units)
                .map(|(a, u)| a - cost * u)
                .collect(),
        );
    }
    if let Some(t) = get.get("--title") {
        options.title = t.clone();
    }
    let out = need("--out")?;
    let report = build(&log, &options).map_err(|e| e.to_string())?;
    std::fs::write(&out, &report.html).map_err(|e| format!("--out {out}: {e}"))?;
    if let Some(path) = get.get("--segments-out") {
        std::fs::write(path, report.segments.to_csv())
            .map_err(|e| format!("--segments-out {path}: {e}"))?;
    }
    eprintln!("wrote {out} in {:.2} s", start.elapsed().as_secs_f64());
    Ok(())
}

/// The exit status of the command: 0, or 2 with the message on stderr.
pub fn cli(args: Vec<String>) -> i32 {
    logs::exit_status(run(args))
}

#[allow(dead_code)] // also a module of the `clv` command, which has its own `main`
fn main() -> ExitCode {
    ExitCode::from(u8::try_from(cli(std::env::args().skip(1).collect())).unwrap_or(2))
}
