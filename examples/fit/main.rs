//! Command-line front end: fit a model to your own CSV and print one JSON object.
//!
//! ```text
//! cargo run --release --example fit -- --model bgnbd --input FILE.csv [--horizon T] [--predictions OUT.csv]
//! cargo run --release --example fit -- --model bgnbd --transactions LOG.csv --calibration-end YYYY-MM-DD \
//!     [--holdout-end YYYY-MM-DD] [--time-unit day|week] [--horizon T] [--predictions OUT.csv]
//! cargo run --release --example fit -- --model bgbb --input FILE.csv [--horizon N] [--predictions OUT.csv]
//! cargo run --release --example fit -- --model bgbb --transactions LOG.csv --calibration-end YYYY-MM-DD \
//!     [--holdout-end YYYY-MM-DD] [--time-unit year|month|week|day] [--horizon N] [--predictions OUT.csv]
//! cargo run --release --example fit -- --model sbg --input FILE.csv [--per-cohort] [--horizon H] [--predictions OUT.csv]
//! cargo run --release --example fit -- --model gg --input FILE.csv [--predictions OUT.csv]
//! cargo run --release --example fit -- --model pnbd --input FILE.csv --purchase-covariates c1,c2 \
//!     [--dropout-covariates c3] [--horizon T] [--predictions OUT.csv]
//! cargo run --release --example fit -- --model bgnbd --transactions LOG.csv --calibration-end YYYY-MM-DD \
//!     --covariates COV.csv --purchase-covariates c1 --dropout-covariates c1,c2 ...
//! cargo run --release --example fit -- --model MODEL ... --save FIT.json
//! cargo run --release --example fit -- --model MODEL ... --params FIT.json [--predictions OUT.csv]
//! cargo run --release --example fit -- --model MODEL ... --intervals LEVEL \
//!     [--interval-method delta|parametric|bootstrap] [--draws N] [--seed S]
//! ```
//!
//! * `--model`: `bgnbd` (BG/NBD), `mbgnbd` (MBG/NBD) and `pnbd` (Pareto/NBD; both with the
//!   same input, JSON and predictions as `bgnbd`), `sbg` (shifted-beta-geometric, contractual) or `gg`
//!   (Gamma-Gamma spend: columns `frequency,monetary_value`, rows with frequency 0 skipped in the
//!   fit and counted as `n_skipped`; predictions write `expected_average_spend` per input row,
//!   the population mean for frequency-0 rows).
//! * `--model bgbb` (BG/BB, discrete-time noncontractual: at most one transaction per
//!   opportunity): `--input` columns `frequency,recency,n` (x opportunities with a transaction,
//!   the last at opportunity t_x, of n; `T` or `periods` may name n), optional `weight`; rows
//!   must be whole numbers with `x <= t_x <= n` and `x = 0` exactly when `t_x = 0` (else exit 2
//!   naming the line and field). With `--transactions`, each calendar `--time-unit` (`year`,
//!   default, `month`, `week` or `day`) after the period of a customer's first purchase is one
//!   opportunity, a period with purchases counting once, up to the period of
//!   `--calibration-end`; the holdout counts periods with purchases up to `--holdout-end`.
//!   JSON params `alpha,beta,gamma,delta`; predictions `probability_alive` (at opportunity n)
//!   and `expected_transactions` over the next `--horizon` opportunities (a whole number,
//!   default 5).
//! * `--input`: CSV with a header. For `bgnbd`: columns `frequency,recency,T` (any order, others
//!   ignored), optional `weight`. For `sbg`: cohort survival counts `period,alive` (optional
//!   `cohort`) or individual lifetimes `duration,churned` (optional `weight`), told apart by the
//!   header.
//! * `--transactions` (instead of `--input`): a transaction log, CSV with a header and the
//!   columns `customer_id`, `date` (`YYYY-MM-DD`) and optionally `amount` (others ignored).
//!   Same-day transactions are merged into one purchase; recency and T are measured in
//!   `--time-unit` (`day` or `week`, default `week`), as Fader, Hardie & Lee built CDNOW. The
//!   model is fitted to the calibration summary up to `--calibration-end`; the JSON gains
//!   `"holdout": {"predicted", "actual", "mae", "n_customers", ...}` for the holdout up to
//!   `--holdout-end` (default: the last date in the file): predicted = Σ over customers of the
//!   conditional expected transactions over the holdout duration, actual = Σ repeat
//!   transactions (purchase days) in the holdout, mae = mean over customers of
//!   |predicted − actual|, n_customers = customers in the calibration summary (those whose first
//!   purchase is before the cut-off day). Predictions CSV rows follow the calibration summary and
//!   gain a `customer_id` column.
//! * Real files (every model; `--input` and `--transactions`):
//!   * `--columns NAME=COLUMN,...`: read the crate's column NAME from the file's COLUMN, e.g.
//!     `--columns frequency=x,recency=t_x,T=T` or `--columns customer_id=user,date=ts`. Without
//!     it, common other names are recognised when the crate's name is absent: for summaries
//!     `x`, `t_x`, `T_cal`/`age`, `zbar`/`m_x` (`clv::data::SUMMARY_ALIASES`), for logs
//!     `id`/`customer`/`user_id`, `time`/`timestamp`/`order_date`, `dollar_value`/`value`/
//!     `revenue`/`price` (`clv::data::LOG_ALIASES`, any case). Errors name the file's columns.
//!   * `--delimiter ,|;|tab|whitespace|...`: how fields are separated (default: guessed from
//!     the first line; whitespace-aligned columns, as in the CDNOW logs, are read as they are).
//!     A whitespace-separated log without a header is read as CDNOW's raw log (sample: id,
//!     sample id, `YYYYMMDD`, CDs, dollars; master: id, `YYYYMMDD`, CDs, dollars).
//!   * `--date-format FORMAT` (`--transactions`): `iso` (`YYYY-MM-DD`, optionally with a time
//!     of day), `compact` (`YYYYMMDD`), `unix` (Unix seconds), or a `strftime`-like pattern
//!     (`%Y%m%d`, `%d/%m/%Y %H:%M`, ...; `%Y %y %m %d %j %b %H %M %S %f %F %T`). Default:
//!     ISO, or `YYYYMMDD` when the first date is written so. `--calibration-end` and
//!     `--holdout-end` are ISO dates or dates in this format.
//!   * `--compressed` (no value; `--input` of `bgnbd`, `mbgnbd`, `pnbd` or `bgbb`, without
//!     `--predictions`): read the summaries as a stream merged on the fly into weighted
//!     distinct rows (`clv::RfmData::from_csv_reader_compressed`), so that memory grows with
//!     the distinct `(x, t_x, T)` rows, not with the file (ids and other columns are not read).
//!     The JSON is the same.
//!   * With `--input`, when the input has customer ids (a `customer_id` or `id` column, or one
//!     mapped by `--columns customer_id=...`), the predictions CSV gains a leading
//!     `customer_id` column.
//! * `--horizon`: prediction horizon in the data's time unit (`bgnbd`: default 39; `sbg`: a whole
//!   number of periods, default twice the longest observed horizon).
//! * `--predictions`: for `bgnbd`, one row per input row, in input order, with the columns
//!   `probability_alive,expected_transactions` (conditional expectation over the horizon); for
//!   `sbg`, `period,survival,retention_rate` for periods 1..=H (with a leading `cohort` column,
//!   one block per cohort, when the input names its cohorts).
//! * `--per-cohort` (no value; `sbg` with cohort survival counts only): also fit each cohort
//!   separately. The JSON gains `"cohorts": {name: {"params", "std_errors", "log_likelihood",
//!   "status"}}` (unnamed cohorts are named `"1"`, `"2"`, ...) and `"pooled_vs_separate":
//!   {"statistic", "df", "p_value"}` (the likelihood-ratio test of one `(α, β)` for all cohorts
//!   against one per cohort; `null` for a single cohort or when a fit did not converge), and
//!   the predictions are `cohort,period,survival,retention_rate`, one block per cohort with
//!   its own curve. Not with `--params`.
//!
//! * `--purchase-covariates c1,c2`, `--dropout-covariates c3` (`bgnbd`, `mbgnbd`, `pnbd`):
//!   time-invariant covariates, columns of `--input` (with `--transactions`: of
//!   `--covariates FILE.csv`, keyed by `customer_id`). `"params"` and `"std_errors"` gain
//!   `purchase.<col>` and `dropout.<col>` (`pnbd`) or `dropout_a.<col>`, `dropout_b.<col>`
//!   (`bgnbd`, `mbgnbd`); the JSON gains `"lr_test": {"statistic", "df", "p_value"}` against
//!   the fit without covariates (`null` if either fit did not converge); predictions use each
//!   row's covariates. A missing or non-numeric covariate value: exit 2 naming row and column.
//!   With `--params`, the flags name the coefficients the file holds. See `covariates.rs`.
//! * `--save FIT.json`: also write the fit, serialised (`clv::Fitted`: parameters, standard
//!   errors by name, covariance matrix, log-likelihood, status, ...), to `FIT.json`.
//! * `--params FIT.json`: skip the fit and predict with the parameters of the `"params"` object
//!   of `FIT.json` (the JSON this command printed, or what `--save` wrote; a `"model"` key, if
//!   present, must name the same model). The input is read as for a fit, the same predictions
//!   CSV is written, and the JSON is `{"model", "params", "n_customers", "n_distinct"}` (the
//!   customers and distinct rows as a fit would count them), plus `"holdout"` with
//!   `--transactions`. Not with `--save`.
//!
//! * `--intervals LEVEL` (e.g. `0.9`; strictly between 0 and 1): intervals at that level, of two
//!   kinds kept apart. *Parameter (estimation) uncertainty*: the JSON gains
//!   `"confidence_intervals": {param: [lower, upper]}`, and the predictions CSV gains, after
//!   its existing columns (and after `customer_id`), for `bgnbd`, `mbgnbd`, `pnbd` and `bgbb`
//!   `probability_alive_lower,probability_alive_upper,expected_transactions_lower,
//!   expected_transactions_upper` (the intervals of the two predictions), for `sbg`
//!   `survival_lower,survival_upper` and for `gg`
//!   `expected_average_spend_lower,expected_average_spend_upper`. *Predictive (outcome)
//!   uncertainty* of what a customer will actually do: the transaction models' CSV also gains
//!   `transactions_lower,transactions_upper`, the equal-tailed interval of the customer's count
//!   over the horizon from the conditional PMF at the estimate (`bgbb`: in opportunities with a
//!   transaction). With `--transactions`, `"holdout"` gains `"predicted_lower"`,
//!   `"predicted_upper"` (the parameter interval of `predicted`, the total expected holdout
//!   transactions) and `"actual_range_lower"`, `"actual_range_upper"` (the predictive interval
//!   of the total actual count: the outcome variance of the sum over customers exact from
//!   their conditional PMFs, plus — when the fit has a covariance — the parameter variance of
//!   the expected total, `((predicted_upper − predicted_lower)/2z)²`, since the actual total
//!   varies with both; the interval by the normal approximation around `predicted`, rounded
//!   outward to whole counts). Probabilities' intervals stay
//!   in [0, 1], others at or above 0. When the fit did not converge it has no covariance:
//!   `"confidence_intervals"` is `null` with an `"intervals_note"`, the parameter columns and
//!   `predicted_lower/upper` are empty (`null`), and the predictive ones are still given. With
//!   `--params FIT.json` the covariance comes from the file: the JSON `--save` wrote has it
//!   (`"covariance"`); a file without it (e.g. the printed JSON) is refused (exit 2). With
//!   `--per-cohort`, each cohort's curve and its entry under `"cohorts"` take that cohort's own
//!   fit.
//! * `--interval-method delta|parametric|bootstrap` (default `delta`; needs `--intervals`):
//!   `delta` is the delta method on the log-parameters, the interval formed on the logit (or
//!   log) scale; parameter intervals are Wald intervals on the log scale. `parametric` draws the
//!   log-parameters from the fit's asymptotic normal and takes percentiles of the predictions
//!   (and of the parameters). `bootstrap` refits the model to `--draws` resamples of the
//!   customers drawn with replacement and takes percentiles (progress on stderr; refits that
//!   end on the boundary are kept and counted; not with `--params` or `--per-cohort`). For
//!   draws the JSON gains `"interval_draws": {"used", "failed", "boundary"}`. At small samples
//!   (a few hundred customers) the delta method under-covers (about 80–84% for a 90% interval
//!   of expected transactions at 200 customers); `bootstrap` or `parametric` do better there,
//!   though still below the nominal level.
//! * `--draws N` (default 1000, from 2 to 100000; needs `--intervals`): parametric draws or
//!   bootstrap refits (unused by `delta`).
//! * `--seed S` (default 0, a whole number below 2^64; needs `--intervals`): seeds the draws; the
//!   same seed gives the same intervals, whatever the number of cores.
//!
//! Output: one JSON object on stdout, with `"status"`: `"converged"` (a verified maximum: the
//! only case with `"converged": true` and standard errors), `"boundary"` (the likelihood keeps
//! rising as the parameters listed in `"boundary"` run off to 0 or ∞: the data do not determine
//! them), `"not_converged"` (the evaluation budget ran out) or `"flat"` (a ridge). Bad input: a one-line message on stderr naming the row
//! and field, exit status 2, nothing on stdout. A fit that fails: message on stderr, exit 1.
//!
//! Bad flags are bad input too (one line naming the flag, exit 2): a flag given twice, an
//! unknown flag or model, `--horizon` for `gg` (a spend model has no horizon), `--transactions`
//! for `sbg` or `gg` (they take `--input`), `--holdout-end` before `--calibration-end`, and a
//! `--horizon` beyond the limits of `clv::data::limits` (2^53 for `bgnbd`/`mbgnbd`/`pnbd`, 100000
//! periods for `sbg`); `--per-cohort` for another model than `sbg`, with `--params`, or on
//! lifetimes (they have no cohorts); `--intervals` outside (0, 1), an `--interval-method` other
//! than the three, `--draws` outside 2..=100000, a `--seed` that is not a whole number in
//! 0..2^64, `--interval-method`, `--draws` or `--seed` without `--intervals`, and
//! `--interval-method bootstrap` with `--params` or `--per-cohort`.

pub mod bgbb;
pub mod covariates;
pub mod gg;
pub mod intervals;
pub mod noncontractual;
pub mod sbg;
pub mod source;
pub mod transactions;

use clv::data::limits::MAX_TIME;
use clv::{Error, FitOptions};
use serde_json::{Map, Value, json};

/// Parsed command line.
pub struct Args {
    pub model: String,
    pub input: Option<String>,
    pub horizon: Option<f64>,
    pub predictions: Option<String>,
    pub transactions: Option<String>,
    /// `--calibration-end`, days since 1970-01-01.
    pub calibration_end: Option<f64>,
    /// `--holdout-end`, days since 1970-01-01.
    pub holdout_end: Option<f64>,
    pub time_unit: Option<String>,
    /// `--params`: predict with these parameters instead of fitting.
    pub params: Option<String>,
    /// `--save`: write the serialised fit here.
    pub save: Option<String>,
    /// `--per-cohort`: also fit each cohort separately (`sbg`).
    pub per_cohort: bool,
    /// `--intervals`, `--interval-method`, `--draws`, `--seed`.
    pub intervals: intervals::Options,
    pub purchase_covariates: Option<String>,
    pub dropout_covariates: Option<String>,
    pub covariates: Option<String>,
    /// `--columns`: the file's column for each of the crate's columns.
    pub columns: Option<clv::data::ColumnMap>,
    /// `--date-format`: how the log writes its dates (default: detected).
    pub date_format: Option<clv::data::TimeFormat>,
    /// `--delimiter`: how the fields are separated (default: guessed).
    pub delimiter: Option<clv::data::Delimiter>,
    /// `--compressed`: read `--input` as a stream of weighted distinct rows.
    pub compressed: bool,
}

const USAGE: &str = "usage: fit --model MODEL (--input FILE.csv | --transactions LOG.csv \
     --calibration-end YYYY-MM-DD [--holdout-end YYYY-MM-DD] [--time-unit day|week]) \
     [--horizon T] [--predictions OUT.csv] [--save FIT.json | --params FIT.json] [--per-cohort] \
     [--intervals LEVEL [--interval-method delta|parametric|bootstrap] [--draws N] [--seed S]] \
     [--purchase-covariates C1,C2] [--dropout-covariates C3] [--covariates COV.csv] \
     [--columns NAME=COLUMN,...] [--delimiter D] [--date-format FORMAT] [--compressed]";

/// Parses the flags (see the module docs). Every error is one line naming the flag.
pub fn parse(argv: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut args = Args {
        model: String::new(),
        input: None,
        horizon: None,
        predictions: None,
        transactions: None,
        calibration_end: None,
        holdout_end: None,
        time_unit: None,
        params: None,
        save: None,
        per_cohort: false,
        intervals: intervals::Options::default(),
        purchase_covariates: None,
        dropout_covariates: None,
        covariates: None,
        columns: None,
        date_format: None,
        delimiter: None,
        compressed: false,
    };
    // The flags given, with their values as written (for messages).
    let mut given: Vec<(String, String)> = Vec::new();
    let mut it = argv;
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            return Err(format!("{USAGE}; MODEL is one of {}", model_names()));
        }
        if flag == "--compressed" {
            if args.compressed {
                return Err("--compressed is given twice; give it once".into());
            }
            args.compressed = true;
            continue;
        }
        if flag == "--per-cohort" {
            if args.per_cohort {
                return Err("--per-cohort is given twice; give it once".into());
            }
            args.per_cohort = true;
            continue;
        }
        const FLAGS: [&str; 16] = [
            "--purchase-covariates",
            "--dropout-covariates",
            "--covariates",
            "--model",
            "--input",
            "--predictions",
            "--transactions",
            "--calibration-end",
            "--holdout-end",
            "--time-unit",
            "--horizon",
            "--params",
            "--save",
            "--columns",
            "--date-format",
            "--delimiter",
        ];
        if !FLAGS.contains(&flag.as_str()) && !intervals::FLAGS.contains(&flag.as_str()) {
            return Err(format!("unknown argument {flag:?}; {USAGE}"));
        }
        let v = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value; {USAGE}"))?;
        if let Some((_, first)) = given.iter().find(|(f, _)| *f == flag) {
            return Err(format!(
                "{flag} is given twice ({first:?} and {v:?}); give it once"
            ));
        }
        given.push((flag.clone(), v.clone()));
        match flag.as_str() {
            "--model" => args.model = v,
            "--input" => args.input = Some(v),
            "--predictions" => args.predictions = Some(v),
            "--transactions" => args.transactions = Some(v),
            "--params" => args.params = Some(v),
            "--save" => args.save = Some(v),
            "--purchase-covariates" => args.purchase_covariates = Some(v),
            "--dropout-covariates" => args.dropout_covariates = Some(v),
            "--covariates" => args.covariates = Some(v),
            // Dates are read once --date-format is known, below.
            "--calibration-end" | "--holdout-end" => {}
            "--columns" => args.columns = Some(transactions::parse_columns(&v)?),
            "--date-format" => {
                args.date_format = Some(
                    clv::data::TimeFormat::from_spec(&v)
                        .map_err(|e| format!("--date-format: {e}"))?,
                );
            }
            "--delimiter" => {
                args.delimiter = Some(clv::data::Delimiter::parse(&v).ok_or_else(|| {
                    format!(
                        "--delimiter must be one character (such as , ; |), tab or whitespace, \
                         got {v:?}"
                    )
                })?);
            }
            "--time-unit" => args.time_unit = Some(v),
            f if intervals::FLAGS.contains(&f) => {
                intervals::parse_flag(&mut args.intervals, f, &v)?
            }
            _ => {
                let h: f64 = v
                    .parse()
                    .map_err(|_| format!("--horizon: not a number: {v:?}"))?;
                if !(h.is_finite() && h >= 0.0) {
                    return Err(format!("--horizon must be a finite number >= 0, got {v}"));
                }
                if h > MAX_TIME {
                    return Err(format!(
                        "--horizon {v} exceeds the largest time accepted, 2^53 = {MAX_TIME}"
                    ));
                }
                args.horizon = Some(h);
            }
        }
    }
    let value = |flag: &str| {
        given
            .iter()
            .find(|(f, _)| f == flag)
            .map_or(String::new(), |(_, v)| v.clone())
    };
    for (flag, slot) in [
        ("--calibration-end", &mut args.calibration_end),
        ("--holdout-end", &mut args.holdout_end),
    ] {
        if let Some((_, v)) = given.iter().find(|(f, _)| f == flag) {
            *slot = Some(transactions::parse_date(flag, v, args.date_format)?);
        }
    }
    if args.model.is_empty() {
        return Err(format!("--model is required; {USAGE}"));
    }
    let Some((_, kind, _)) = MODELS.iter().find(|(name, _, _)| *name == args.model) else {
        return Err(format!(
            "unknown --model {:?}; known: {}",
            args.model,
            model_names()
        ));
    };
    let model = args.model.as_str();
    match kind {
        Kind::Noncontractual => {
            if args.input.is_none() && args.transactions.is_none() {
                return Err(format!(
                    "--model {model} needs --input FILE.csv (columns frequency,recency,T) or \
                     --transactions LOG.csv; {USAGE}"
                ));
            }
        }
        Kind::Opportunities => {
            if args.input.is_none() && args.transactions.is_none() {
                return Err(format!(
                    "--model {model} needs --input FILE.csv (columns frequency,recency,n) or \
                     --transactions LOG.csv; {USAGE}"
                ));
            }
        }
        Kind::Contractual | Kind::Spend => {
            let input = if *kind == Kind::Contractual {
                "cohort survival counts (columns period,alive) or lifetimes (columns \
                 duration,churned)"
            } else {
                "columns frequency,monetary_value"
            };
            if args.transactions.is_some() {
                return Err(format!(
                    "--transactions is for {}: {model} takes --input with {input}",
                    names_of(&[Kind::Noncontractual, Kind::Opportunities])
                ));
            }
            if args.input.is_none() {
                return Err(format!(
                    "--model {model} needs --input FILE.csv with {input}; {USAGE}"
                ));
            }
            if *kind == Kind::Spend && args.horizon.is_some() {
                return Err(format!(
                    "--horizon {} does not apply to {model}: the Gamma-Gamma spend model has \
                     no time horizon",
                    value("--horizon")
                ));
            }
        }
    }
    if let Some(unit) = &args.time_unit {
        match kind {
            Kind::Opportunities => bgbb::opportunity(unit).map(|_| ())?,
            _ => transactions::periods(unit).map(|_| ())?,
        }
    }
    if args.input.is_some() && args.transactions.is_some() {
        return Err(format!(
            "give either --input or --transactions, not both; {USAGE}"
        ));
    }
    if args.compressed
        && (args.input.is_none()
            || args.predictions.is_some()
            || !matches!(kind, Kind::Noncontractual | Kind::Opportunities))
    {
        return Err(format!(
            "--compressed reads the --input summaries of {} as weighted distinct rows, for a \
             fit without --predictions",
            names_of(&[Kind::Noncontractual, Kind::Opportunities])
        ));
    }
    if args.transactions.is_none() && args.date_format.is_some() {
        return Err(format!(
            "--date-format {} is for the dates of --transactions; {USAGE}",
            value("--date-format")
        ));
    }
    if args.transactions.is_none()
        && (args.calibration_end.is_some()
            || args.holdout_end.is_some()
            || args.time_unit.is_some())
    {
        return Err(format!(
            "--calibration-end, --holdout-end and --time-unit need --transactions; {USAGE}"
        ));
    }
    if args.per_cohort && *kind != Kind::Contractual {
        return Err(format!(
            "--per-cohort is for sbg (cohort survival counts), not --model {model}"
        ));
    }
    if args.per_cohort && args.params.is_some() {
        return Err(format!(
            "--per-cohort fits each cohort, and --params skips the fit: give one of them, not \
             both (--params {})",
            value("--params")
        ));
    }
    if args.params.is_some() && args.save.is_some() {
        return Err(format!(
            "--save writes a fit, and --params skips the fit: give one of them, not both \
             (--save {}, --params {})",
            value("--save"),
            value("--params")
        ));
    }
    for (flag, path) in [
        ("--input", &args.input),
        ("--transactions", &args.transactions),
        ("--params", &args.params),
    ] {
        if let Some(path) = path {
            if !std::path::Path::new(path).is_file() {
                return Err(format!(
                    "{flag} {path}: no such file (or not a regular file)"
                ));
            }
        }
    }
    intervals::check(&args)?;
    covariates::check_flags(&args, *kind == Kind::Noncontractual)?;
    if let (Some(cal), Some(end)) = (args.calibration_end, args.holdout_end) {
        if end < cal {
            return Err(format!(
                "--holdout-end {} is before --calibration-end {}",
                value("--holdout-end"),
                value("--calibration-end")
            ));
        }
    }
    Ok(args)
}

/// A failure: the message and the exit status.
pub struct Failure(pub String, pub u8);

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let code = match e {
            Error::InvalidData { .. }
            | Error::InvalidInput(_)
            | Error::Io(_)
            | Error::InvalidParameter { .. } => 2,
            _ => 1,
        };
        Failure(e.to_string(), code)
    }
}

/// A number for JSON: whole numbers as integers (e.g. counts), others as shortest round-trip floats.
pub fn number(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9e15 {
        json!(v as i64)
    } else {
        json!(v)
    }
}

/// `{name: value}` in parameter order.
pub fn named(names: &[&str], values: &[f64]) -> Value {
    let mut m = Map::new();
    for (n, v) in names.iter().zip(values) {
        m.insert((*n).to_string(), json!(v));
    }
    Value::Object(m)
}

/// The required `--input` path.
pub fn input(args: &Args) -> Result<&str, Failure> {
    args.input.as_deref().ok_or_else(|| {
        Failure(
            format!("--input (or --transactions) is required; {USAGE}"),
            2,
        )
    })
}

/// Writes the `--predictions` CSV text to `path`.
pub fn write_file(path: &str, text: &str) -> Result<(), Failure> {
    write_to("--predictions", path, text)
}

/// Writes `text` to `path`, the value of `flag`.
pub fn write_to(flag: &str, path: &str, text: &str) -> Result<(), Failure> {
    std::fs::write(path, text)
        .map_err(|e| Failure(format!("{flag} {path}: cannot write the file: {e}"), 2))
}

/// What a model takes as input (and so which flags apply).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Summaries `frequency,recency,T` (or a transaction log).
    Noncontractual,
    /// Discrete opportunities `frequency,recency,n` (or a transaction log).
    Opportunities,
    /// Cohort survival counts or lifetimes.
    Contractual,
    /// Spend summaries `frequency,monetary_value`.
    Spend,
}

/// Runs one model: fit (or `--params`), predictions, the JSON report.
type Runner = fn(&str, &Args, &FitOptions) -> Result<Value, Failure>;

/// Every model of the command: its `--model` name, its kind of input, and its runner (generic
/// over the model through `clv::fit::Estimable`). A new model is one line here.
const MODELS: &[(&str, Kind, Runner)] = &[
    (
        "bgnbd",
        Kind::Noncontractual,
        noncontractual::run::<clv::BgNbd>,
    ),
    (
        "mbgnbd",
        Kind::Noncontractual,
        noncontractual::run::<clv::MbgNbd>,
    ),
    (
        "pnbd",
        Kind::Noncontractual,
        noncontractual::run::<clv::ParetoNbd>,
    ),
    ("bgbb", Kind::Opportunities, bgbb::run),
    ("sbg", Kind::Contractual, sbg::run),
    ("gg", Kind::Spend, gg::run),
];

/// The models' names, comma-separated.
fn model_names() -> String {
    MODELS
        .iter()
        .map(|(name, _, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The names of the models of the given kinds, as "a, b and c".
fn names_of(kinds: &[Kind]) -> String {
    let names: Vec<&str> = MODELS
        .iter()
        .filter(|(_, k, _)| kinds.contains(k))
        .map(|(name, _, _)| *name)
        .collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

/// Fits (or predicts with) the model of `args` and returns the JSON report.
pub fn run(args: &Args) -> Result<Value, Failure> {
    let options = FitOptions::default();
    if covariates::wanted(args) {
        return covariates::run(&args.model, args, &options);
    }
    match MODELS.iter().find(|(name, _, _)| *name == args.model) {
        Some((name, _, runner)) => runner(name, args, &options),
        None => Err(Failure(
            format!("unknown --model {:?}; known: {}", args.model, model_names()),
            2,
        )),
    }
}

/// The whole command on the arguments after the program name: the JSON on stdout (exit 0), or
/// a one-line message on stderr and exit 2 (bad input) or 1 (a fit that fails).
pub fn cli(argv: impl Iterator<Item = String>) -> i32 {
    let args = match parse(argv) {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            return 2;
        }
    };
    match run(&args) {
        Ok(json) => {
            println!("{json}");
            0
        }
        Err(Failure(msg, code)) => {
            eprintln!("{}", msg.replace('\n', " "));
            i32::from(code)
        }
    }
}

#[allow(dead_code)] // a module of the `clv` command, which has its own `main`
fn main() {
    std::process::exit(cli(std::env::args().skip(1)))
}
