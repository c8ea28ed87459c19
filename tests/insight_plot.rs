//! Every insight chart renders as SVG with its axis labels.
#![cfg(feature = "plot")]

use clv::data::{Periods, TransactionLog, days_from_civil};
use clv::insight::{self, AtRiskRule, Period, Profit, RetentionRate, Tiers};
use clv::plot::{self, PlotOptions};
use clv::value::{DiscountRate, Valuation};
use clv::{BgNbd, CohortData, GammaGamma, Sbg};

#[test]
fn insight_charts_have_labels() {
    let log = TransactionLog::from_cdnow_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/CDNOW_sample.txt"
    ))
    .unwrap();
    let o = PlotOptions::new("weeks");
    let table = insight::cohort_retention(&log, Period::Month, &Profit::Margin(0.3)).unwrap();
    for rate in RetentionRate::ALL {
        let svg = plot::retention_heatmap(&table, rate, &o).unwrap();
        assert!(svg.contains("months since acquisition") && svg.contains(rate.name()));
        assert!(svg.contains("1997-01") && svg.contains('%'));
    }
    let svg = plot::customers_by_period(&table.activity, &o).unwrap();
    assert!(svg.contains("customers") && svg.contains("returning"));

    let end = days_from_civil(1997, 9, 30).unwrap() as f64;
    let split = log
        .calibration_holdout(&Periods::days_in_weeks(), end, None)
        .unwrap();
    let model = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let rows = insight::alive_share(
        &model,
        &log,
        split.calibration(),
        split.customer_ids(),
        end,
        7.0,
        39,
        5,
    )
    .unwrap();
    let svg = plot::alive_share(&rows, &o).unwrap();
    assert!(
        svg.contains("time after the end of calibration (weeks)")
            && svg.contains("share of customers")
    );
    let svg = plot::repeat_buyers(&rows, &o).unwrap();
    assert!(svg.contains("customers with a repeat purchase"));

    let cohorts = CohortData::single(vec![1000.0, 631.0, 468.0, 382.0]).unwrap();
    let rows = insight::sbg_retention(&Sbg::new(0.668, 3.806).unwrap(), &cohorts, 8).unwrap();
    let svg = plot::sbg_retention(&rows, &PlotOptions::new("years")).unwrap();
    assert!(svg.contains("period (years)") && svg.contains("retention rate"));

    let valuation =
        Valuation::continuous(1.0, DiscountRate::new(0.1, 52.0).unwrap(), Some(52.0)).unwrap();
    let seg = insight::segment_customers(
        &model,
        &GammaGamma::new(6.25, 3.74, 15.44).unwrap(),
        &valuation,
        &log,
        &Periods::days_in_weeks(),
        days_from_civil(1998, 6, 30).unwrap() as f64,
        Some(end),
        &Tiers::default(),
        &AtRiskRule::default(),
    )
    .unwrap();
    let svg = plot::value_distribution(&seg, "$", &o).unwrap();
    assert!(svg.contains("customer value ($)") && svg.contains("top 20%"));
    let svg = plot::rfm_segments(&seg, &o).unwrap();
    assert!(svg.contains("Champions") && svg.contains("RFM segment"));
    let svg = plot::at_risk(&seg, "$", &o).unwrap();
    assert!(svg.contains("P(alive) at the observation end") && svg.contains("at risk"));
    let ceiling = insight::acquisition_ceiling(
        &model,
        &log,
        Period::Month,
        1.0,
        DiscountRate::new(0.1, 52.0).unwrap(),
        52,
    )
    .unwrap();
    let svg = plot::acquisition_ceiling(&ceiling, "$", &o).unwrap();
    assert!(svg.contains("value of a new customer ($)") && svg.contains("all"));
    // a tiny canvas is refused
    let tiny = PlotOptions {
        width: 50,
        ..PlotOptions::new("weeks")
    };
    assert!(plot::customers_by_period(&table.activity, &tiny).is_err());
}
