//! `clv value`: customer lifetime value per customer, ranked.
//!
//! A transaction model (`--model`) fitted to the customers' `(x, t_x, T)`, a Gamma-Gamma spend
//! model fitted to the repeat customers' mean spend, and continuous discounting:
//! `clv = margin · E[M | x, m_x] · ∫₀^H e^(−δt) dE[Y(t) | x, t_x, T]` with
//! `δ = ln(1 + d)/P` (`clv::value::Valuation::continuous`).

use std::fmt::Write as _;

use clap::ArgMatches;
use clv::data::Periods;
use clv::fit::Estimable;
use clv::value::{DiscountRate, Valuation};
use clv::{
    BgNbd, Error, FitOptions, GammaGamma, MbgNbd, ParetoNbd, RfmData, SpendData, TransactionModel,
};

use crate::commands::{fit_args, get, number, write_output};
use crate::fit::{Args, Failure};
use crate::progress::Progress;

/// The customers to value: the summary, its time unit's length of a year, and the customers
/// of the log left out (first purchase at the end of observation).
pub struct Customers {
    /// One row per customer, with ids when the input has them.
    pub data: RfmData,
    /// A year in the data's time unit.
    pub year: f64,
    /// Customers of the log without a history to summarise.
    pub n_excluded: usize,
}

/// Reads `--transactions` (summarised at `--calibration-end`, default the last date of the
/// log) or `--input`.
pub fn read_customers(args: &Args, progress: &mut Progress) -> Result<Customers, Failure> {
    let unit = args.time_unit.as_deref().unwrap_or("week");
    let year = if unit == "day" { 365.0 } else { 52.0 };
    match &args.transactions {
        Some(path) => {
            progress.step(format!("reading {path}"));
            let log = crate::fit::transactions::read_transactions(args, path)?;
            let periods: Periods =
                crate::fit::transactions::periods(unit).map_err(|m| Failure(m, 2))?;
            let end = args.calibration_end.unwrap_or(log.time_range().1);
            progress.step(format!(
                "summarising {} transactions of {} customers",
                log.len(),
                log.n_customers()
            ));
            let summary = log.summarize(&periods, end)?;
            let n_excluded = summary.n_excluded();
            Ok(Customers {
                data: summary.into_data(),
                year,
                n_excluded,
            })
        }
        None => {
            progress.step("reading the summaries");
            Ok(Customers {
                data: crate::fit::source::read_summary(args)?,
                year,
                n_excluded: 0,
            })
        }
    }
}

/// A failure of a fit or of a valuation (exit 1); bad input stays bad input (exit 2).
fn fit_failure(what: &str) -> impl Fn(Error) -> Failure + '_ {
    move |e| match e {
        Error::InvalidData { .. } | Error::InvalidInput(_) | Error::Io(_) => Failure::from(e),
        e => Failure(format!("{what}: {e}"), 1),
    }
}

/// Runs `clv value`.
pub fn run(m: &ArgMatches) -> Result<(), Failure> {
    let mut progress = Progress::new(m.get_flag("quiet"));
    let model = get(m, "model").map_or("bgnbd", String::as_str);
    if !["bgnbd", "mbgnbd", "pnbd"].contains(&model) {
        return Err(Failure(
            format!("--model {model:?}: value takes bgnbd, mbgnbd or pnbd"),
            2,
        ));
    }
    if get(m, "input").is_none() && get(m, "transactions").is_none() {
        return Err(Failure(
            "value needs --transactions LOG (with amounts) or --input SUMMARY (with \
             monetary_value); see clv value --help"
                .into(),
            2,
        ));
    }
    let args = fit_args(m, model, &[])?;
    let customers = read_customers(&args, &mut progress)?;
    let rate = number(m, "discount-rate")?.unwrap_or(0.1);
    let period = number(m, "discount-period")?.unwrap_or(customers.year);
    let horizon = match get(m, "horizon").map(String::as_str) {
        Some("inf" | "infinity" | "lifetime") => None,
        _ => Some(number(m, "horizon")?.unwrap_or(period)),
    };
    let margin = number(m, "margin")?.unwrap_or(1.0);
    let discount = DiscountRate::new(rate, period).map_err(|e| {
        Failure(
            format!("--discount-rate {rate} per --discount-period {period}: {e}"),
            2,
        )
    })?;
    let valuation = Valuation::continuous(margin, discount, horizon)
        .map_err(|e| Failure(format!("--margin {margin} / --horizon: {e}"), 2))?;
    let text = match model {
        "mbgnbd" => value::<MbgNbd>(&customers, &valuation, horizon, &mut progress)?,
        "pnbd" => value::<ParetoNbd>(&customers, &valuation, horizon, &mut progress)?,
        _ => value::<BgNbd>(&customers, &valuation, horizon, &mut progress)?,
    };
    write_output(m, &text)?;
    progress.step("done");
    Ok(())
}

/// Fits `M` and Gamma-Gamma, values every customer, and returns the ranked CSV.
fn value<M: Estimable<Data = RfmData> + TransactionModel + Sync>(
    customers: &Customers,
    valuation: &Valuation,
    horizon: Option<f64>,
    progress: &mut Progress,
) -> Result<String, Failure> {
    let data = &customers.data;
    if data.monetary_value().is_none() {
        return Err(Failure(
            "value needs spend: the log has no amount column (name it amount, or map it with \
             --columns amount=COLUMN), or the summary no monetary_value column"
                .into(),
            2,
        ));
    }
    let options = FitOptions::default();
    progress.step(format!("fitting {} to {} customers", M::NAME, data.len()));
    let fitted = M::fit(data, &options).map_err(fit_failure("the transaction model"))?;
    if !fitted.converged() {
        eprintln!(
            "clv: warning: the {} fit did not converge (status {}); values use its last parameters",
            M::NAME,
            fitted.status().as_str()
        );
    }
    let spend = SpendData::from_rfm(data)?;
    progress.step(format!(
        "fitting Gamma-Gamma to the repeat customers ({} with zero spend left out)",
        spend.n_zero_spend()
    ));
    let gg = GammaGamma::fit(&spend, &options).map_err(fit_failure("the spend model"))?;
    if !gg.converged() {
        eprintln!(
            "clv: warning: the Gamma-Gamma fit did not converge (status {}); values use its \
             last parameters",
            gg.status().as_str()
        );
    }
    progress.step("valuing the customers");
    let model = fitted.model();
    let clv = valuation
        .customer_values(model, gg.model(), data)
        .map_err(fit_failure("the customer values"))?;
    let (distinct, index) = data.distinct_customers();
    let p_alive = model.probability_alive_batch(&distinct);
    let expected = model
        .conditional_expected_transactions_batch(&distinct, horizon.unwrap_or(customers.year))
        .map_err(fit_failure("the expected transactions"))?;
    let avg_spend = gg
        .model()
        .expected_average_spend_batch(&spend)
        .map_err(fit_failure("the expected spend"))?;
    let mut order: Vec<usize> = (0..data.len()).collect();
    order.sort_by(|&a, &b| clv[b].total_cmp(&clv[a]));
    let monetary = data.monetary_value().unwrap_or_default();
    let mut out = String::with_capacity(96 * (data.len() + 1));
    out.push_str(
        "customer_id,frequency,recency,T,monetary_value,probability_alive,\
         expected_transactions,expected_average_spend,clv\n",
    );
    for i in order {
        let id = data
            .id(i)
            .map_or_else(|| (i + 1).to_string(), str::to_string);
        let k = index[i];
        let _ = writeln!(
            out,
            "{},{},{},{},{},{:?},{:?},{:?},{:?}",
            crate::fit::source::csv_field(&id),
            data.frequency()[i],
            data.recency()[i],
            data.age()[i],
            monetary.get(i).copied().unwrap_or(0.0),
            p_alive[k],
            expected[k],
            avg_spend[i],
            clv[i]
        );
    }
    let total: f64 = clv.iter().sum();
    eprintln!(
        "clv: valued {} customers with {} + Gamma-Gamma (total {:.2}); {} repeat customers in \
         the spend fit, {} with zero spend left out of it and valued at the population mean \
         spend {:.2}{}",
        data.len(),
        M::NAME,
        total,
        gg.n_customers(),
        spend.n_zero_spend(),
        gg.model().mean_spend().unwrap_or(f64::NAN),
        if customers.n_excluded > 0 {
            format!(
                "; {} customers of the log left out (first purchase at the end of observation)",
                customers.n_excluded
            )
        } else {
            String::new()
        }
    );
    Ok(out)
}
