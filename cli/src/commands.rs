//! The command line: subcommands, their flags and help, and the dispatch.
//!
//! A new subcommand is one `Command` in [`command`] and one arm in [`main`].

use std::ffi::OsString;

use clap::{Arg, ArgAction, ArgMatches, Command};

use crate::fit::{Args, Failure};

/// The flags every subcommand reading customers shares, forwarded to `fit`'s parser as they are.
pub const INPUT_FLAGS: [&str; 7] = [
    "input",
    "transactions",
    "columns",
    "delimiter",
    "date-format",
    "calibration-end",
    "time-unit",
];

/// The input flags; `--input` (summaries) only `with_input`.
fn input_args(with_input: bool) -> Vec<Arg> {
    let transactions = Arg::new("transactions")
        .long("transactions")
        .value_name("LOG")
        .help("A transaction log: customer id, date[, amount]; CSV with a header, any delimiter, or CDNOW's whitespace-aligned logs as distributed");
    let mut args = Vec::new();
    if with_input {
        args.push(
            Arg::new("input")
                .long("input")
                .value_name("FILE")
                .help("Customer summaries: columns frequency,recency,T[,monetary_value] (or x,t_x,T,zbar, or mapped by --columns), optional customer_id"),
        );
        args.push(transactions.conflicts_with("input"));
    } else {
        args.push(transactions.required(true));
    }
    args.extend([
        Arg::new("columns")
            .long("columns")
            .value_name("NAME=COLUMN,...")
            .help("Map the file's columns, e.g. frequency=x,recency=t_x,T=T or customer_id=user,date=ts,amount=value"),
        Arg::new("delimiter")
            .long("delimiter")
            .value_name("D")
            .help("Field separator: , ; | tab whitespace (default: guessed from the first line)"),
        Arg::new("date-format")
            .long("date-format")
            .value_name("FORMAT")
            .help("Dates of the log: iso, compact (YYYYMMDD), unix (seconds) or a pattern such as %Y%m%d or %d/%m/%Y %H:%M (default: ISO or YYYYMMDD, detected)"),
        Arg::new("calibration-end")
            .long("calibration-end")
            .value_name("DATE")
            .help("End of observation of the log (ISO date or --date-format); default: the last date in the log"),
        Arg::new("time-unit")
            .long("time-unit")
            .value_name("UNIT")
            .help("Unit of recency, T and the horizon for a log: week (default) or day"),
        Arg::new("quiet")
            .long("quiet")
            .short('q')
            .action(ArgAction::SetTrue)
            .help("No progress on stderr"),
    ]);
    args
}

const FIT_HELP: &str = "\
The flags, JSON and CSV of examples/fit, unchanged (see its documentation):

  --model bgnbd|mbgnbd|pnbd|bgbb|sbg|gg   the model
  --input FILE | --transactions LOG --calibration-end DATE [--holdout-end DATE] [--time-unit U]
  [--horizon T] [--predictions OUT.csv] [--save FIT.json | --params FIT.json] [--per-cohort]
  [--columns NAME=COLUMN,...] [--delimiter D] [--date-format FORMAT]

Prints one JSON object (params, std_errors, log_likelihood, status, ...).

Examples:
  clv fit --model bgnbd --input data/cdnow_customers_summary.csv --predictions p.csv
  clv fit --model bgnbd --input data/cdnow_customers_summary_with_transactions.csv \\
      --columns frequency=x,recency=t_x,T=T
  clv fit --model pnbd --transactions data/CDNOW_sample.txt --calibration-end 1997-09-30 \\
      --save fit.json
  clv fit --model gg --input spend.csv";

const REPORT_HELP: &str = "\
  --transactions LOG --calibration-end YYYY-MM-DD [--holdout-end YYYY-MM-DD] --out report.html
  [--cohort-period month|quarter|year|N] [--margin M] [--cost-per-unit C] [--title TEXT]
  [--segments-out customers.csv]

LOG is CDNOW's whitespace format (id, sample id, YYYYMMDD, units, dollars) or a CSV with
customer_id,date,amount. The page needs no network and no JavaScript.

Example:
  clv report --transactions data/CDNOW_sample.txt --calibration-end 1997-09-30 \\
      --holdout-end 1998-06-30 --out report.html";

const COHORTS_HELP: &str = "\
  --transactions LOG [--period month|quarter|year|N] [--margin M] [--out FILE.csv]

Writes cohort,period,customers_start,retained,raw_retention,sales_adjusted_retention,
profit_adjusted_retention,revenue (stdout without --out).

Example:
  clv cohorts --transactions data/CDNOW_sample.txt --period quarter --out cohorts.csv";

/// A subcommand whose flags go, untouched, to the command of the same name in `examples/`
/// (`fit`, `report`, `cohorts`).
fn pass_through(name: &'static str, about: &'static str, help: &'static str) -> Command {
    Command::new(name)
        .about(about)
        .disable_help_flag(true)
        .after_help(help)
        .arg(
            Arg::new("args")
                .num_args(0..)
                .trailing_var_arg(true)
                .allow_hyphen_values(true)
                .value_name("FLAGS"),
        )
}

/// The command and its subcommands.
pub fn command() -> Command {
    Command::new("clv")
        .about("Customer-lifetime-value models: fit, predict, value, summarize and report on customer bases")
        .after_help(
            "Exit status: 0 success, 2 bad input (the message names the row and field, or the \
             flag), 1 a fit that fails.\n\nExamples:\n  clv value --transactions \
             CDNOW_master.txt --output clv.csv\n  clv fit --model bgnbd --input \
             summary.csv\n  clv summarize --transactions log.csv --output summary.csv",
        )
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(pass_through(
            "fit",
            "Fit a model (exactly the flags, JSON and CSV of examples/fit)",
            FIT_HELP,
        ))
        .subcommand(pass_through(
            "report",
            "One self-contained HTML report of a transaction log: fits, model choice, tracking, \
             P(alive), cohort retention, value tiers, valuable customers at risk",
            REPORT_HELP,
        ))
        .subcommand(pass_through(
            "cohorts",
            "Retention KPIs by acquisition cohort and period (the cohort triangle) as CSV",
            COHORTS_HELP,
        ))
        .subcommand(
            Command::new("predict")
                .about("Predict with a saved model (the JSON `fit` printed or --save wrote) on new customers")
                .args(input_args(true))
                .arg(
                    Arg::new("params")
                        .long("params")
                        .value_name("FIT.json")
                        .required(true)
                        .help("The saved model"),
                )
                .arg(
                    Arg::new("model")
                        .long("model")
                        .value_name("MODEL")
                        .help("The model (default: the \"model\" of FIT.json)"),
                )
                .arg(
                    Arg::new("horizon")
                        .long("horizon")
                        .value_name("T")
                        .help("Prediction horizon in the data's time unit (as fit's --horizon)"),
                )
                .arg(
                    Arg::new("holdout-end")
                        .long("holdout-end")
                        .value_name("DATE")
                        .help("End of the holdout of a log (as fit's --holdout-end)"),
                )
                .arg(
                    Arg::new("output")
                        .long("output")
                        .short('o')
                        .value_name("OUT.csv")
                        .required(true)
                        .help("Where to write the predictions (one row per customer; customer_id first when the input has ids)"),
                )
                .after_help(
                    "Prints fit's JSON for --params ({model, params, n_customers, n_distinct}).\n\n\
                     Examples:\n  clv fit --model bgnbd --input old.csv --save fit.json\n  \
                     clv predict --params fit.json --input new.csv --output predictions.csv",
                ),
        )
        .subcommand(
            Command::new("value")
                .about("Customer lifetime value per customer, ranked: a transaction model + Gamma-Gamma spend + discounting")
                .args(input_args(true))
                .arg(
                    Arg::new("model")
                        .long("model")
                        .value_name("MODEL")
                        .default_value("bgnbd")
                        .help("Transaction model: bgnbd, mbgnbd or pnbd"),
                )
                .arg(
                    Arg::new("discount-rate")
                        .long("discount-rate")
                        .value_name("D")
                        .default_value("0.1")
                        .help("Discount rate per --discount-period (0.1 = 10%)"),
                )
                .arg(
                    Arg::new("discount-period")
                        .long("discount-period")
                        .value_name("P")
                        .help("Length of the discount rate's period in the data's time unit (default: a year, 52 weeks or 365 days)"),
                )
                .arg(
                    Arg::new("horizon")
                        .long("horizon")
                        .value_name("H")
                        .help("Value the next H time units of the data (default: one --discount-period, a year); `inf` for the whole lifetime"),
                )
                .arg(
                    Arg::new("margin")
                        .long("margin")
                        .value_name("M")
                        .default_value("1")
                        .help("Fraction of spend that is profit, in [0, 1]"),
                )
                .arg(
                    Arg::new("output")
                        .long("output")
                        .short('o')
                        .value_name("OUT.csv")
                        .help("Where to write the CSV (default: stdout)"),
                )
                .after_help(
                    "Writes customer_id,frequency,recency,T,monetary_value,probability_alive,\
                     expected_transactions,expected_average_spend,clv, one row per customer, \
                     highest CLV first. expected_transactions is over the horizon; clv = margin \
                     x expected average spend x the discounted expected transactions over the \
                     horizon (continuous discounting at ln(1 + D)/P per time unit).\n\n\
                     Customers whose repeat purchases are all worth 0 are left out of the spend \
                     fit, counted on stderr, and valued with the population mean spend. \
                     Customers whose first purchase is at the end of observation have no history \
                     to value: they are left out and counted.\n\n\
                     Examples:\n  clv value --transactions CDNOW_master.txt --output clv.csv\n  \
                     clv value --transactions log.csv --date-format %d/%m/%Y --columns \
                     customer_id=user,amount=revenue --time-unit day --horizon 365\n  \
                     clv value --input data/cdnow_customers_summary_with_transactions.csv \
                     --columns customer_id=ID --horizon inf",
                ),
        )
        .subcommand(
            Command::new("summarize")
                .about("Summarize a transaction log into one row per customer: frequency, recency, T, monetary_value")
                .args(input_args(false))
                .arg(
                    Arg::new("output")
                        .long("output")
                        .short('o')
                        .value_name("OUT.csv")
                        .help("Where to write the summary CSV (default: stdout); a name ending in .parquet writes Parquet (feature parquet)"),
                )
                .after_help(
                    "Writes customer_id,frequency,recency,T[,monetary_value], in order of the \
                     customers' first purchase: same-day purchases merged, recency and T in \
                     --time-unit, at --calibration-end (default: the last date of the log).\n\n\
                     Examples:\n  clv summarize --transactions CDNOW_master.txt --output summary.csv\n  \
                     clv summarize --transactions log.csv --time-unit day --calibration-end 2024-06-30",
                ),
        )
}

/// Runs the command line `argv` (program name first); returns the exit status.
pub fn main(argv: Vec<OsString>) -> i32 {
    // `fit`, `report` and `cohorts` receive their arguments untouched; `--help` shows their
    // flags.
    let sub = argv.get(1).map(|a| a.to_string_lossy().into_owned());
    if let Some(sub) = sub.filter(|s| ["fit", "report", "cohorts"].contains(&s.as_str())) {
        let rest: Vec<String> = argv
            .iter()
            .skip(2)
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        if rest.iter().any(|a| a == "--help" || a == "-h") {
            let mut cmd = command();
            if let Some(c) = cmd.find_subcommand_mut(&sub) {
                let _ = c.print_help();
            }
            return 0;
        }
        return match sub.as_str() {
            "fit" => crate::fit::cli(rest.into_iter()),
            "report" => crate::report::cli(rest),
            _ => crate::cohorts::cli(rest),
        };
    }
    let matches = match command().try_get_matches_from(argv) {
        Ok(m) => m,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let result = match matches.subcommand() {
        Some(("predict", m)) => crate::predict::run(m),
        Some(("value", m)) => crate::value::run(m),
        Some(("summarize", m)) => crate::summarize::run(m),
        _ => Err(Failure("unknown subcommand; see clv --help".into(), 2)),
    };
    match result {
        Ok(()) => 0,
        Err(Failure(msg, code)) => {
            eprintln!("{}", msg.replace('\n', " "));
            i32::from(code)
        }
    }
}

/// The value of flag `id`, when given.
pub fn get<'a>(m: &'a ArgMatches, id: &str) -> Option<&'a String> {
    m.try_get_one::<String>(id).ok().flatten()
}

/// `fit`'s parsed arguments for `model` and the input flags of `m` (plus `extra`, flag and
/// value pairs), checked by `fit`'s own parser: the same messages and exit status.
pub fn fit_args(m: &ArgMatches, model: &str, extra: &[(&str, &str)]) -> Result<Args, Failure> {
    let mut argv = vec!["--model".to_string(), model.to_string()];
    for id in INPUT_FLAGS {
        if let Some(v) = get(m, id) {
            argv.push(format!("--{id}"));
            argv.push(v.clone());
        }
    }
    for (flag, v) in extra {
        argv.push((*flag).to_string());
        argv.push((*v).to_string());
    }
    crate::fit::parse(argv.into_iter()).map_err(|msg| Failure(msg, 2))
}

/// A number of flag `id`.
pub fn number(m: &ArgMatches, id: &str) -> Result<Option<f64>, Failure> {
    get(m, id)
        .map(|v| {
            v.parse::<f64>()
                .ok()
                .filter(|x| !x.is_nan())
                .ok_or_else(|| Failure(format!("--{id}: not a number: {v:?}"), 2))
        })
        .transpose()
}

/// Writes `text` to `--output`, or to stdout without it.
pub fn write_output(m: &ArgMatches, text: &str) -> Result<(), Failure> {
    match get(m, "output") {
        Some(path) => crate::fit::write_to("--output", path, text),
        None => {
            use std::io::Write as _;
            match std::io::stdout().write_all(text.as_bytes()) {
                // A reader that stops early (`| head`) is no failure.
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(Failure(format!("writing to stdout: {e}"), 2))
                }
                _ => Ok(()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_is_well_formed() {
        super::command().debug_assert();
    }
}
