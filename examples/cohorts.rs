//! The cohort retention triangle of a transaction log as CSV
//! (`cohort,period,customers_start,retained,raw_retention,sales_adjusted_retention,profit_adjusted_retention,revenue`):
//!
//! ```text
//! cargo run --example cohorts -- --transactions data/CDNOW_sample.txt \
//!     [--period month|quarter|year|N] [--margin M] [--out cohorts.csv]
//! ```
//!
//! Reads CDNOW's raw format or a CSV with `customer_id,date,amount` (as `examples/report.rs`);
//! writes to standard output without `--out`.

use std::process::ExitCode;

use clv::insight::{Period, Profit, cohort_retention};

#[path = "common/log.rs"]
mod logs;

/// The command on the arguments after the program name.
pub fn run(args: Vec<String>) -> Result<(), String> {
    let usage = "usage: cohorts --transactions LOG [--period month|quarter|year|N] [--margin M] [--out FILE]";
    let (mut log, mut period, mut profit, mut out) = (None, Period::Month, Profit::None, None);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value\n{usage}"))
        };
        match flag.as_str() {
            "--transactions" => log = Some(logs::read_log(value()?, false)?.0),
            "--period" => period = Period::parse(value()?).map_err(|e| format!("--period: {e}"))?,
            "--margin" => {
                let v = value()?;
                let m: f64 = v
                    .parse()
                    .map_err(|_| format!("--margin {v:?}: expected a number"))?;
                profit = Profit::Margin(m);
            }
            "--out" => out = Some(value()?.clone()),
            other => return Err(format!("unknown argument {other:?}\n{usage}")),
        }
    }
    let log = log.ok_or_else(|| format!("--transactions is required\n{usage}"))?;
    let table = cohort_retention(&log, period, &profit).map_err(|e| e.to_string())?;
    let csv = table.to_csv();
    match out {
        Some(path) => std::fs::write(&path, csv).map_err(|e| format!("--out {path}: {e}"))?,
        None => print!("{csv}"),
    }
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
