//! One self-contained HTML report of a transaction log (feature `report`): data summary,
//! model fits and comparison, diagnostics, retention, value tiers, RFM segments and the
//! customers at risk.
//!
//! The file needs no network, no script and no font file: the charts are inline SVG from
//! [`crate::plot`], the styles an inline `<style>` block.
//!
//! ```no_run
//! use clv::data::{TransactionLog, days_from_civil};
//! use clv::report::{ReportOptions, report};
//! let log = TransactionLog::from_cdnow_path("data/CDNOW_sample.txt")?;
//! let end = days_from_civil(1997, 9, 30).unwrap() as f64;
//! let html = report(&log, &ReportOptions::new(end))?;
//! std::fs::write("report.html", html)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod html;

use crate::data::{Periods, RfmData, SpendData, TransactionLog, civil_from_days};
use crate::diagnostics::{self, Diagnostics};
use crate::error::{Error, Result};
use crate::fit::{FitOptions, Fitted, Intervals, Model, Summary};
use crate::insight::{
    self, AtRiskRule, Period, Profit, RetentionRate, SegmentTable, Tiers, ValueInterval,
};
use crate::models::{BgNbd, GammaGamma, MbgNbd, ParetoNbd, Sbg, TransactionModel};
use crate::plot::{self, PlotOptions};
use crate::value::{DiscountRate, Valuation};
use html::{Page, esc, money, pct};

/// What the report computes; [`ReportOptions::new`] gives the defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportOptions {
    /// End of calibration (a log time: days since 1970-01-01 for dates).
    pub calibration_end: f64,
    /// End of the holdout (default: the last transaction).
    pub holdout_end: Option<f64>,
    /// The model's time grid (default: days in weeks, `Periods::days_in_weeks()`).
    pub periods: Periods,
    /// Name of the model's time unit (default `weeks`).
    pub time_unit: String,
    /// Grid of the cohort tables (default: months).
    pub cohort_period: Period,
    /// Profit share of spend, for CLV, profit-adjusted retention and the acquisition
    /// ceiling (default 1: values are revenue).
    pub margin: f64,
    /// Profit per transaction, in the log's order, for the profit-adjusted retention (default
    /// `None`: `margin` × amount, which makes it equal to the sales-adjusted rate).
    pub profit: Option<Vec<f64>>,
    /// Yearly discount rate (default 0.10).
    pub annual_discount: f64,
    /// Model time units per year (default 52).
    pub units_per_year: f64,
    /// CLV horizon in model time units (default 52).
    pub horizon: f64,
    /// Value tiers (default top 20%, next 30%, bottom 50%).
    pub tiers: Tiers,
    /// At-risk rule (default: top tier, P(alive) < 0.5 or a fall of more than 0.2 since
    /// the end of calibration).
    pub rule: AtRiskRule,
    /// Rows of the at-risk table (default 25).
    pub top_at_risk: usize,
    /// Intervals of the customer values from the parameter uncertainty of the transaction and
    /// spend fits (default: 90%, delta method; `None`: none), shown for the ten most valuable
    /// customers in the value section ([`crate::insight::segment_fitted`] gives them for
    /// every customer).
    pub clv_interval: Option<ValueInterval>,
    /// Currency in labels (default `$`).
    pub money: String,
    /// Title of the page.
    pub title: String,
}

impl ReportOptions {
    /// The defaults with the given calibration end.
    pub fn new(calibration_end: f64) -> Self {
        ReportOptions {
            calibration_end,
            holdout_end: None,
            periods: Periods::days_in_weeks(),
            time_unit: "weeks".into(),
            cohort_period: Period::Month,
            margin: 1.0,
            profit: None,
            annual_discount: 0.10,
            units_per_year: 52.0,
            horizon: 52.0,
            tiers: Tiers::default(),
            rule: AtRiskRule::default(),
            top_at_risk: 25,
            clv_interval: Some(ValueInterval::default()),
            money: "$".into(),
            title: "Customer base report".into(),
        }
    }
}

/// The value intervals of a fitted transaction model with a spend fit.
type ValueIntervals = Box<
    dyn Fn(&Fitted<GammaGamma>, &Valuation, &RfmData, ValueInterval) -> Result<Intervals>
        + Send
        + Sync,
>;

/// A fitted transaction model as the report uses it.
struct Fitted2 {
    summary: Summary,
    model: Box<dyn TransactionModel + Sync>,
    intervals: ValueIntervals,
}

fn fitted2<M: Model + TransactionModel + Clone + Send + Sync + 'static>(
    fit: Result<Fitted<M>>,
) -> std::result::Result<Fitted2, String> {
    let fit = fit.map_err(|e| e.to_string())?;
    Ok(Fitted2 {
        summary: fit.summary(),
        model: Box::new(fit.model().clone()),
        intervals: Box::new(move |spend, valuation, data, how| {
            valuation.customer_value_intervals(&fit, spend, data, how.level, how.method)
        }),
    })
}

fn date(t: f64) -> String {
    if t.is_finite() && t.abs() < 1e9 {
        let (y, m, d) = civil_from_days(t.floor() as i64);
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        plot::number(t)
    }
}

/// The HTML report of `log`; see the [module documentation](self). The same as
/// [`build`]`(log, options)?.html`.
///
/// # Errors
/// As [`build`].
pub fn report(log: &TransactionLog, options: &ReportOptions) -> Result<String> {
    build(log, options).map(|r| r.html)
}

/// The report and the tables behind it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Report {
    /// The HTML page.
    pub html: String,
    /// One row per customer: value, tier, RFM, P(alive), at-risk flag
    /// ([`SegmentTable::to_csv`] writes it).
    pub segments: SegmentTable,
    /// The cohort triangle and activity ([`RetentionTable::to_csv`](insight::RetentionTable::to_csv)).
    pub retention: insight::RetentionTable,
    /// The model that drives the values (`BG/NBD`, `MBG/NBD` or `Pareto/NBD`: lowest BIC).
    pub model: &'static str,
}

/// Computes the report of `log`: the page and its tables.
///
/// # Errors
/// [`Error::InvalidInput`] for a log without amounts or when no transaction model could be
/// fitted; errors of the calibration/holdout split (e.g. a calibration end before the first
/// purchase) and of the computations the report shows.
pub fn build(log: &TransactionLog, options: &ReportOptions) -> Result<Report> {
    let amounts = log.amounts().ok_or_else(|| {
        Error::InvalidInput("the report needs amounts (spend) in the transaction log".into())
    })?;
    let periods = &options.periods;
    let cal_end = options.calibration_end;
    let split = log.calibration_holdout(periods, cal_end, options.holdout_end)?;
    let obs_end = options
        .holdout_end
        .unwrap_or(log.time_range().1)
        .max(cal_end);
    let has_holdout = obs_end > cal_end;
    let cal = split.calibration();
    let fit_options = FitOptions::default();

    // models: fit all, choose by BIC, then diagnose them while the insight numbers of the
    // chosen one are computed
    let fits: Vec<(&'static str, std::result::Result<Fitted2, String>)> = vec![
        ("BG/NBD", fitted2(BgNbd::fit(cal, &fit_options))),
        ("MBG/NBD", fitted2(MbgNbd::fit(cal, &fit_options))),
        ("Pareto/NBD", fitted2(ParetoNbd::fit(cal, &fit_options))),
    ];
    let best_index = fits
        .iter()
        .enumerate()
        .filter_map(|(i, (_, f))| f.as_ref().ok().map(|f| (i, f)))
        .min_by(|(_, a), (_, b)| {
            let key = |f: &Fitted2| (f.summary.status.as_str() != "converged", f.summary.bic);
            let (ka, kb) = (key(a), key(b));
            ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
        })
        .map(|(i, _)| i)
        .ok_or_else(|| {
            Error::InvalidInput(format!(
                "no transaction model could be fitted: {}",
                fits.iter()
                    .filter_map(|(n, c)| c.as_ref().err().map(|e| format!("{n}: {e}")))
                    .collect::<Vec<_>>()
                    .join("; ")
            ))
        })?;
    let (best_name, best_fit) = match &fits[best_index] {
        (n, Ok(f)) => (*n, f),
        (n, Err(e)) => return Err(Error::InvalidInput(format!("{n}: {e}"))),
    };
    let model = best_fit.model.as_ref();

    // spend
    let monetary = cal.monetary_value().unwrap_or(&[]);
    let (fx, fm): (Vec<f64>, Vec<f64>) = cal
        .frequency()
        .iter()
        .zip(monetary)
        .filter(|(x, m)| **x > 0.0 && **m > 0.0)
        .map(|(x, m)| (*x, *m))
        .unzip();
    let spend_fit = SpendData::new(fx, fm)
        .and_then(|d| GammaGamma::fit(&d, &fit_options))
        .map_err(|e| {
            Error::InvalidInput(format!(
                "the Gamma-Gamma spend model could not be fitted: {e}"
            ))
        })?;
    let spend = *spend_fit.model();

    let discount = DiscountRate::new(options.annual_discount, options.units_per_year)?;
    let horizon_steps = options.horizon.ceil().clamp(1.0, 100_000.0) as u32;
    let valuation = Valuation::discrete(options.margin, discount, 1.0, horizon_steps)?;
    let reference = (has_holdout && cal_end < obs_end).then_some(cal_end);
    let unit_days = periods.unit();
    let steps = ((obs_end - cal_end) / unit_days).ceil().clamp(1.0, 520.0) as u32;

    let (diagnosed, insight_numbers) = std::thread::scope(|scope| {
        let diagnosed = scope.spawn(|| {
            fits.iter()
                .map(|(name, f)| {
                    let f = f.as_ref().map_err(Clone::clone)?;
                    let d = diagnostics::diagnose(f.model.as_ref(), &split, 7)
                        .map_err(|e| e.to_string())?;
                    Ok((*name, f, d))
                })
                .collect::<Vec<std::result::Result<(&str, &Fitted2, Diagnostics), String>>>()
        });
        let numbers = (|| -> Result<_> {
            let segments = insight::segment_customers(
                model,
                &spend,
                &valuation,
                log,
                periods,
                obs_end,
                reference,
                &options.tiers,
                &options.rule,
            )?;
            // the intervals of the values the page lists: the most valuable customers
            let top = top_customers(&segments, TOP_VALUED);
            let listed = match options.clv_interval {
                Some(how) if !top.is_empty() => {
                    let summary = log.summarize(periods, obs_end)?;
                    let rows = summary.data().select(&top)?;
                    let iv = (best_fit.intervals)(&spend_fit, &valuation, &rows, how)?;
                    let ends = iv.lower.iter().zip(iv.upper.iter());
                    Some((
                        how,
                        top.iter()
                            .zip(ends)
                            .map(|(&i, (&lo, &hi))| (i, (lo, hi)))
                            .collect::<Vec<_>>(),
                    ))
                }
                _ => None,
            };
            let profit = match &options.profit {
                Some(p) => Profit::PerTransaction(p.clone()),
                None => Profit::Margin(options.margin),
            };
            let retention = insight::cohort_retention(log, options.cohort_period, &profit)?;
            let alive = insight::alive_share(
                model,
                log,
                cal,
                split.customer_ids(),
                cal_end,
                unit_days,
                steps,
                steps.div_ceil(5).max(1),
            )?;
            let ceiling = insight::acquisition_ceiling(
                model,
                log,
                options.cohort_period,
                options.margin,
                discount,
                horizon_steps,
            )?;
            Ok((segments, listed, retention, alive, ceiling))
        })();
        let diagnosed = diagnosed
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (diagnosed, numbers)
    });
    let (segments, listed, retention, alive, ceiling) = insight_numbers?;
    let best_diagnostics = match &diagnosed[best_index] {
        Ok((_, _, d)) => d.clone(),
        Err(e) => return Err(Error::InvalidInput(format!("{best_name}: {e}"))),
    };
    let max_age = cal.age().iter().copied().fold(1.0, f64::max);
    let grid = diagnostics::probability_alive_grid(model, 20, max_age, 40)?;

    // ---- the page
    let mut popt = PlotOptions::new(options.time_unit.clone());
    (popt.width, popt.height) = (580, 390);
    let mut wide = PlotOptions::new(options.time_unit.clone());
    (wide.width, wide.height) = (1000, 560);
    let unit = &options.time_unit;
    let cur = &options.money;
    let mut page = Page::new(&options.title);
    let (first, last) = log.time_range();
    let total_revenue: f64 = amounts.iter().sum();
    let repeat_cal: f64 = cal.frequency().iter().sum();
    let one_timers = cal.frequency().iter().filter(|&&x| x == 0.0).count();
    page.section("summary", "Data");
    page.table(
        &["", ""],
        &[
            vec!["Transactions".into(), plot::number(log.len() as f64)],
            vec!["Customers".into(), plot::number(log.n_customers() as f64)],
            vec![
                "First and last transaction".into(),
                format!("{} to {}", date(first), date(last)),
            ],
            vec!["Revenue".into(), money(cur, total_revenue)],
            vec![
                "Mean spend per transaction".into(),
                money(cur, total_revenue / log.len() as f64),
            ],
            vec![
                "Calibration".into(),
                format!(
                    "to {} ({} {unit}); {} customers, {} repeat transactions, {} without a repeat",
                    date(cal_end),
                    plot::number(split.calibration_end()),
                    plot::number(split.n_customers() as f64),
                    plot::number(repeat_cal),
                    pct(one_timers as f64 / split.n_customers().max(1) as f64)
                ),
            ],
            vec![
                "Holdout".into(),
                if has_holdout {
                    format!(
                        "{} to {} ({} {unit}); {} repeat transactions",
                        date(cal_end),
                        date(obs_end),
                        plot::number(split.holdout_duration()),
                        plot::number(split.holdout_transactions().iter().sum())
                    )
                } else {
                    "none".into()
                },
            ],
        ],
    );

    page.section("models", "Models");
    page.para(&format!(
        "Each model is fitted by maximum likelihood to the calibration period (time unit: {unit}); \
         standard errors in parentheses. The model with the lowest BIC, <b>{}</b>, drives the \
         charts and customer values below.",
        best_name
    ));
    let mut fit_rows = Vec::new();
    for (name, c) in &fits {
        match c {
            Ok(c) => {
                fit_rows.push(vec![
                    (*name).into(),
                    parameters(&c.summary),
                    esc(c.summary.status.as_str()),
                ]);
            }
            Err(e) => fit_rows.push(vec![
                (*name).into(),
                format!("not fitted: {}", esc(e)),
                "failed".into(),
            ]),
        }
    }
    fit_rows.push(vec![
        "Gamma-Gamma (spend)".into(),
        parameters(&spend_fit.summary()),
        esc(spend_fit.status().as_str()),
    ]);
    page.table_html(&["model", "parameters (standard error)", "fit"], &fit_rows);
    let mut cmp = Vec::new();
    for (name, c, d) in diagnosed.iter().flatten() {
        let h = &d.holdout;
        let mut row = vec![
            if *name == best_name {
                format!("<b>{name}</b>")
            } else {
                (*name).to_string()
            },
            plot::number(c.summary.log_likelihood),
            plot::number(c.summary.aic),
            plot::number(c.summary.bic),
        ];
        if has_holdout {
            row.extend([
                plot::number(h.predicted_total),
                plot::number(h.actual_total),
                format!("{:+.1}%", 100.0 * h.relative_total_error),
                format!("{:.3}", h.mae),
                format!("{:.2}", d.tracking_holdout.mae),
            ]);
        }
        cmp.push(row);
    }
    let step_mae = format!("MAE per {}", unit.trim_end_matches('s'));
    let mut head = vec!["model", "log-likelihood", "AIC", "BIC"];
    if has_holdout {
        head.extend([
            "holdout repeat transactions, predicted",
            "actual",
            "error",
            "MAE per customer",
            &step_mae,
        ]);
    }
    page.table_html(&head, &cmp);

    let d = &best_diagnostics;
    page.section("tracking", &format!("Tracking and holdout ({best_name})"));
    page.charts(&[
        plot::tracking(&d.tracking, false, &popt)?,
        plot::tracking(&d.tracking, true, &popt)?,
        plot::calibration_histogram(&d.histogram, &popt)?,
        plot::holdout_by_frequency(&d.by_frequency, &popt)?,
    ]);
    page.section("alive", "Who is still a customer");
    page.charts(&[
        plot::probability_alive_heatmap(&grid, &popt)?,
        plot::alive_share(&alive, &popt)?,
        plot::repeat_buyers(&alive, &popt)?,
    ]);

    page.section("retention", "Retention by cohort");
    page.para(&format!(
        "Cohort: the {} of a customer's first purchase. Raw retention: of the cohort's customers \
         who bought in one {p}, the share who bought again in the next. Sales-adjusted: the \
         next {p}'s sales of those retained over the first {p}'s sales of all who bought. \
         Profit-adjusted: the same with profit ({}). A cell without customers in the \
         previous {p} is left empty.",
        period_singular(options.cohort_period),
        if options.profit.is_some() {
            "per transaction".to_string()
        } else {
            format!(
                "margin {}: with one margin for all sales it equals the sales-adjusted rate",
                pct(options.margin)
            )
        },
        p = period_singular(options.cohort_period)
    ));
    let heat: Vec<String> = RetentionRate::ALL
        .iter()
        .map(|&r| plot::retention_heatmap(&retention, r, &popt))
        .collect::<Result<_>>()?;
    page.charts(&heat);
    page.charts(&[plot::customers_by_period(&retention.activity, &wide)?]);
    let act_rows: Vec<Vec<String>> = retention
        .activity
        .iter()
        .map(|a| {
            vec![
                esc(&a.period),
                plot::number(a.active as f64),
                plot::number(a.new as f64),
                plot::number(a.returning as f64),
                a.raw_retention.map_or("–".into(), pct),
                a.churn.map_or("–".into(), pct),
                a.revenue.map_or("–".into(), |r| money(cur, r)),
            ]
        })
        .collect();
    page.table_html(
        &[
            "period",
            "active",
            "new",
            "returning",
            "retention",
            "churn",
            "revenue",
        ],
        &act_rows,
    );

    model_retention(&mut page, log, options, cal_end, &alive, &popt, best_name)?;

    page.section("value", "Customer value");
    page.para(&format!(
        "Customer value: expected {} over the next {} {unit} (margin {}, discounted at {} a year), \
         from {} and Gamma-Gamma, at {}. Tiers rank customers by value.",
        if options.margin < 1.0 {
            "profit"
        } else {
            "revenue"
        },
        plot::number(options.horizon),
        pct(options.margin),
        pct(options.annual_discount),
        best_name,
        date(obs_end)
    ));
    page.charts(&[
        plot::value_distribution(&segments, cur, &popt)?,
        plot::rfm_segments(&segments, &popt)?,
    ]);
    page.table_html(
        &[
            "tier",
            "customers",
            "share of customers",
            "total value",
            "share of value",
            "mean P(alive)",
        ],
        &tier_rows(&segments, cur),
    );
    page.table_html(
        &["RFM segment", "customers", "mean value", "mean P(alive)"],
        &segment_rows(&segments, cur),
    );
    if let Some((how, listed)) = &listed {
        value_intervals(&mut page, &segments, *how, listed, cur);
    }
    page.charts(&[plot::acquisition_ceiling(&ceiling, cur, &wide)?]);
    page.para(&format!(
        "Acquisition ceiling: the expected discounted value of a newly acquired customer (first \
         purchase plus {} {unit} of repeat purchases at the cohort's mean spend): the most one \
         can pay to acquire a customer like those of the cohort and break even.",
        plot::number(options.horizon.ceil())
    ));

    page.section("risk", "Valuable customers at risk");
    let rule = &options.rule;
    let watched = options
        .tiers
        .cuts()
        .get(usize::from(rule.tiers).saturating_sub(1));
    page.para(&format!(
        "At risk: a customer among the {} most valuable (value tier{} 1{}) whose P(alive) is \
         below {} at {}{}.",
        watched.map_or("all".to_string(), |c| pct(*c)),
        if rule.tiers == 1 { "" } else { "s" },
        if rule.tiers > 1 {
            format!("–{}", rule.tiers)
        } else {
            String::new()
        },
        plot::number(rule.threshold),
        date(obs_end),
        if reference.is_some() {
            format!(
                " or has fallen by more than {} since {}",
                plot::number(rule.drop),
                date(cal_end)
            )
        } else {
            String::new()
        }
    ));
    page.charts(&[plot::at_risk(&segments, cur, &wide)?]);
    let risk = segments.at_risk();
    page.para(&format!(
        "{} customers at risk, holding {} of value.",
        plot::number(risk.len() as f64),
        money(cur, risk.iter().map(|c| c.clv).sum())
    ));
    let risk_rows: Vec<Vec<String>> = risk
        .iter()
        .take(options.top_at_risk)
        .map(|c| {
            vec![
                esc(&c.id),
                money(cur, c.clv),
                c.tier.to_string(),
                c.segment.name().to_string(),
                format!("{:.2}", c.p_alive),
                c.p_alive_reference
                    .map_or("–".into(), |p| format!("{p:.2}")),
                plot::number(c.frequency),
                plot::number(c.time_since_last),
            ]
        })
        .collect();
    page.table_html(
        &[
            "customer",
            "value",
            "tier",
            "RFM segment",
            "P(alive) now",
            "P(alive) at the end of calibration",
            "repeat purchases",
            &format!("{unit} since last purchase"),
        ],
        &risk_rows,
    );
    Ok(Report {
        html: page.finish(),
        segments,
        retention,
        model: best_name,
    })
}

/// Customers listed with the intervals of their values in the value section.
const TOP_VALUED: usize = 10;

/// The rows (in the table's order) of the `n` most valuable customers, most valuable first.
fn top_customers(t: &SegmentTable, n: usize) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..t.customers.len()).collect();
    rows.sort_by(|&a, &b| t.customers[b].clv.total_cmp(&t.customers[a].clv));
    rows.truncate(n);
    rows
}

/// The most valuable customers with the intervals of their values (`listed`: row of the
/// table and interval).
fn value_intervals(
    page: &mut Page,
    t: &SegmentTable,
    how: ValueInterval,
    listed: &[(usize, (f64, f64))],
    cur: &str,
) {
    page.para(&format!(
        "How sure are we? {} intervals of the values of the {} most valuable customers ({} \
         method), from the parameter uncertainty of the transaction and the spend model fits: \
         estimation uncertainty only, not what a customer will actually spend.",
        pct(how.level),
        listed.len(),
        how.method_name(),
    ));
    let level = pct(how.level);
    let rows: Vec<Vec<String>> = listed
        .iter()
        .filter_map(|&(i, (lo, hi))| {
            let c = t.customers.get(i)?;
            Some(vec![
                esc(&c.id),
                money(cur, c.clv),
                format!("{} to {}", money(cur, lo), money(cur, hi)),
                c.tier.to_string(),
                c.segment.name().to_string(),
                format!("{:.2}", c.p_alive),
            ])
        })
        .collect();
    page.table_html(
        &[
            "most valuable customers",
            "value",
            &format!("{level} interval"),
            "tier",
            "RFM segment",
            "P(alive)",
        ],
        &rows,
    );
}

/// Periods the sBG projects past the longest observed cohort.
const PROJECTED_PERIODS: u32 = 6;

/// The section of the model-based retention beside the observed: the sBG on the cohorts'
/// survival derived from the log ([`insight::cohort_survival`] through the end of
/// calibration), pooled over cohorts, and the expected buyers per step after the cut-off
/// beside the observed.
fn model_retention(
    page: &mut Page,
    log: &TransactionLog,
    options: &ReportOptions,
    cal_end: f64,
    alive: &[insight::AliveShare],
    popt: &PlotOptions,
    best_name: &str,
) -> Result<()> {
    let p = period_singular(options.cohort_period);
    let mut copt = popt.clone();
    copt.time_unit = format!("{}s since acquisition", p);
    page.section("model-retention", "Model retention beside the observed");
    page.para(&format!(
        "Contractual view: a customer counts as still a customer in a {p} when they buy in it \
         or later (the purchases after the end of calibration, {}, show who is still buying), \
         so each acquisition cohort has a survival curve, like renewals of a subscription. One \
         shifted-beta-geometric (sBG) model is fitted to all cohorts together (a pooled fit: \
         one churn distribution for the base, estimated from every cohort, where a fit per \
         cohort would rest on the few periods of the latest ones); the lines are its retention \
         rates, the points each cohort's observed ones.",
        date(cal_end)
    ));
    let fitted = insight::cohort_survival(log, options.cohort_period, cal_end)
        .and_then(|d| Sbg::fit_cohorts(&d, &FitOptions::default()).map(|f| (d, f)));
    match fitted {
        Ok((data, fit)) => {
            let data = &data;
            let horizon = data.max_horizon() + PROJECTED_PERIODS;
            let rows = insight::sbg_retention(fit.model(), data, horizon)?;
            page.charts(&[
                plot::sbg_retention(&rows, &copt)?,
                plot::period_buyers(alive, popt)?,
            ]);
            page.table_html(
                &["model", "parameters (standard error)", "fit"],
                &[vec![
                    "sBG (pooled over cohorts)".into(),
                    parameters(&fit.summary()),
                    esc(fit.status().as_str()),
                ]],
            );
            let last = |c: &crate::data::Cohort| {
                let t = c.horizon();
                let observed = c.alive().last().copied().unwrap_or(0.0) / c.size();
                (t, observed, fit.model().survival(t))
            };
            let cohort_rows: Vec<Vec<String>> = data
                .cohorts()
                .iter()
                .map(|c| {
                    let (t, observed, projected) = last(c);
                    vec![
                        esc(c.name()),
                        plot::number(c.size()),
                        t.to_string(),
                        pct(observed),
                        pct(projected),
                    ]
                })
                .collect();
            page.table_html(
                &[
                    "cohort",
                    "customers",
                    &format!("{p}s observed"),
                    "still a customer, observed",
                    "sBG",
                ],
                &cohort_rows,
            );
        }
        Err(e) => {
            page.para(&format!("No sBG view: {}", esc(&e.to_string())));
            page.charts(&[plot::period_buyers(alive, popt)?]);
        }
    }
    page.para(&format!(
        "Noncontractual view ({best_name}): the expected number of customers buying in each \
         step after the end of calibration (a customer with at least one purchase in the step \
         is a buyer of that step), beside the customers who did. The model's number is shown at \
         the steps where the share alive is computed."
    ));
    Ok(())
}

fn period_singular(p: Period) -> String {
    match p {
        Period::Month => "month".into(),
        Period::Quarter => "quarter".into(),
        Period::Year => "year".into(),
        Period::Days(n) => format!("{n}-day period"),
    }
}

/// One line per parameter: `name = estimate (standard error)`.
fn parameters(summary: &Summary) -> String {
    summary
        .rows
        .iter()
        .map(|r| {
            format!(
                "{} = {}{}",
                esc(&r.name),
                sig(r.estimate),
                r.std_error
                    .map_or(String::new(), |s| format!(" ({})", sig(s)))
            )
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

/// Four significant digits for parameters.
fn sig(v: f64) -> String {
    if v != 0.0 && (v.abs() >= 1e5 || v.abs() < 1e-3) {
        format!("{v:.3e}")
    } else {
        let digits = (4 - (v.abs().max(1e-300).log10().floor() as i32 + 1)).clamp(0, 6) as usize;
        format!("{v:.digits$}")
    }
}

fn tier_rows(t: &SegmentTable, cur: &str) -> Vec<Vec<String>> {
    let n = t.customers.len().max(1) as f64;
    let total: f64 = t.customers.iter().map(|c| c.clv).sum();
    (1..=t.tiers.len() as u8)
        .map(|k| {
            let mine: Vec<_> = t.customers.iter().filter(|c| c.tier == k).collect();
            let v: f64 = mine.iter().map(|c| c.clv).sum();
            let m = mine.len() as f64;
            vec![
                format!("{k}: {}", t.tiers.label(k)),
                plot::number(m),
                pct(m / n),
                money(cur, v),
                if total > 0.0 {
                    pct(v / total)
                } else {
                    "–".into()
                },
                if m > 0.0 {
                    format!("{:.2}", mine.iter().map(|c| c.p_alive).sum::<f64>() / m)
                } else {
                    "–".into()
                },
            ]
        })
        .collect()
}

fn segment_rows(t: &SegmentTable, cur: &str) -> Vec<Vec<String>> {
    insight::RfmSegment::ALL
        .iter()
        .map(|s| {
            let mine: Vec<_> = t.customers.iter().filter(|c| c.segment == *s).collect();
            let m = mine.len() as f64;
            let mean = |f: &dyn Fn(&&insight::CustomerSegment) -> f64| {
                if m > 0.0 {
                    mine.iter().map(f).sum::<f64>() / m
                } else {
                    f64::NAN
                }
            };
            vec![
                s.name().to_string(),
                plot::number(m),
                if m > 0.0 {
                    money(cur, mean(&|c| c.clv))
                } else {
                    "–".into()
                },
                if m > 0.0 {
                    format!("{:.2}", mean(&|c| c.p_alive))
                } else {
                    "–".into()
                },
            ]
        })
        .collect()
}

/// Writes [`report`] to `path`.
///
/// # Errors
/// As [`report`]; [`Error::Io`] when the file cannot be written.
pub fn write_report(
    log: &TransactionLog,
    options: &ReportOptions,
    path: impl AsRef<std::path::Path>,
) -> Result<()> {
    let html = report(log, options)?;
    std::fs::write(path, html).map_err(Error::from)
}
