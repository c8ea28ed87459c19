//! clv::insight: the retention KPIs against the independent pandas computation
//! (scripts/retention_kpis.py) cell by cell, and the segments, tiers and flags against their
//! definitions.

use clv::data::{Periods, TransactionLog, days_from_civil};
use clv::insight::{
    self, AtRiskRule, Period, Profit, RETENTION_CSV_HEADER, RfmSegment, Tiers, cohort_retention,
};
use clv::value::{DiscountRate, Valuation};
use clv::{BgNbd, CohortData, GammaGamma, Sbg, TransactionModel};

const CDNOW: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/CDNOW_sample.txt");

/// The CDNOW log and, per transaction, profit = dollars − 2 × CDs (as the script).
fn cdnow() -> (TransactionLog, Vec<f64>) {
    let log = TransactionLog::from_cdnow_path(CDNOW).unwrap();
    let text = std::fs::read_to_string(CDNOW).unwrap();
    let profit: Vec<f64> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f[4].parse::<f64>().unwrap() - 2.0 * f[3].parse::<f64>().unwrap()
        })
        .collect();
    assert_eq!(profit.len(), log.len());
    (log, profit)
}

fn close(a: &str, b: &str, what: &str) {
    if a == b {
        return;
    }
    let (x, y): (f64, f64) = (a.parse().unwrap(), b.parse().unwrap());
    assert!(
        (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1.0),
        "{what}: rust {a} vs pandas {b}"
    );
}

#[test]
fn retention_kpis_equal_pandas_cell_by_cell() {
    let (log, profit) = cdnow();
    let profit = Profit::PerTransaction(profit);
    for (name, period) in [
        ("month", Period::Month),
        ("quarter", Period::Quarter),
        ("7d", Period::Days(7)),
    ] {
        let table = cohort_retention(&log, period, &profit).unwrap();
        let ours = table.to_csv();
        let path = format!(
            "{}/tests/data/retention_kpis_cdnow_{name}.csv",
            env!("CARGO_MANIFEST_DIR")
        );
        let theirs = std::fs::read_to_string(path).unwrap();
        let (ours, theirs): (Vec<&str>, Vec<&str>) =
            (ours.lines().collect(), theirs.lines().collect());
        assert_eq!(ours[0], RETENTION_CSV_HEADER);
        assert_eq!(ours.len(), theirs.len(), "{name}: number of cells");
        assert!(ours.len() > 5, "{name}");
        for (row, (a, b)) in ours.iter().zip(&theirs).enumerate().skip(1) {
            let (a, b): (Vec<&str>, Vec<&str>) = (a.split(',').collect(), b.split(',').collect());
            assert_eq!(a.len(), 8);
            assert_eq!(a[..4], b[..4], "{name} row {row}: keys and counts");
            for j in 4..8 {
                close(a[j], b[j], &format!("{name} row {row} column {j}"));
            }
        }
    }
}

#[test]
fn activity_adds_up() {
    let (log, _) = cdnow();
    let table = cohort_retention(&log, Period::Month, &Profit::Margin(0.3)).unwrap();
    // 18 months from 1997-01 to 1998-06; all customers were acquired in 1997-Q1
    assert_eq!(table.activity.len(), 18);
    let new: u64 = table.activity.iter().map(|a| a.new).sum();
    assert_eq!(new as usize, log.n_customers());
    assert_eq!(
        table.cohorts.iter().map(|c| c.1).sum::<u64>() as usize,
        log.n_customers()
    );
    let revenue: f64 = table.activity.iter().map(|a| a.revenue.unwrap()).sum();
    let total: f64 = log.amounts().unwrap().iter().sum();
    assert!((revenue - total).abs() < 1e-6 * total);
    assert!(table.activity[0].raw_retention.is_none()); // the first period has no base
    for a in &table.activity {
        assert_eq!(a.active, a.new + a.returning);
    }
    // a constant margin: profit-adjusted equals sales-adjusted
    for c in &table.cells {
        let (s, p) = (
            c.sales_adjusted_retention.unwrap(),
            c.profit_adjusted_retention.unwrap(),
        );
        assert!((s - p).abs() < 1e-12 * s.max(1.0));
        assert!((c.churn + c.raw_retention - 1.0).abs() < 1e-15);
        assert!(c.active >= c.retained);
    }
}

#[test]
fn absent_not_zero_over_zero() {
    let d = |y, m, dd| days_from_civil(y, m, dd).unwrap() as f64;
    // b buys in January and again in March: February has base {a, b}; March's base is {a}
    let log = TransactionLog::new(
        ["a", "b", "a", "b"],
        vec![d(2024, 1, 5), d(2024, 1, 6), d(2024, 2, 1), d(2024, 3, 9)],
        Some(vec![0.0, 0.0, 5.0, 7.0]),
    )
    .unwrap();
    let t = cohort_retention(&log, Period::Month, &Profit::None).unwrap();
    assert_eq!(t.cells.len(), 2);
    let feb = &t.cells[0];
    assert_eq!((feb.customers_start, feb.retained), (2, 1));
    assert_eq!(feb.sales_adjusted_retention, None); // base sales are 0
    assert_eq!(feb.profit_adjusted_retention, None);
    let mar = &t.cells[1];
    assert_eq!((mar.customers_start, mar.retained, mar.active), (1, 0, 1));
    assert_eq!(mar.revenue, Some(7.0)); // b reactivated
    assert_eq!(mar.sales_adjusted_retention, Some(0.0));
    assert!(t.to_csv().contains("2024-01,2024-02,2,1,0.5,,,5\n"));
    // errors
    let no_amounts = TransactionLog::new(["a"], vec![1.0], None).unwrap();
    assert!(cohort_retention(&no_amounts, Period::Year, &Profit::Margin(0.5)).is_err());
    assert!(cohort_retention(&log, Period::Year, &Profit::PerTransaction(vec![1.0])).is_err());
    let err = cohort_retention(
        &log,
        Period::Year,
        &Profit::PerTransaction(vec![1.0, f64::NAN, 1.0, 1.0]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("row 2"), "{err}");
    let far = TransactionLog::new(["a"], vec![1e12], None).unwrap();
    assert!(cohort_retention(&far, Period::Month, &Profit::None).is_err());
    assert!(Period::parse("0").is_err());
    // a sparse log over a long span: the activity rows stay bounded by the transactions
    let sparse = TransactionLog::new(["a", "a", "b"], vec![0.0, 3e8, 5.0], None).unwrap();
    let t = cohort_retention(&sparse, Period::Days(1), &Profit::None).unwrap();
    assert!(t.activity.len() <= 3);
    // the day after each purchase has a base of one, not retained
    assert_eq!(t.cells.len(), 2);
    assert!(
        t.cells
            .iter()
            .all(|c| c.customers_start == 1 && c.retained == 0)
    );
}

#[test]
fn quintiles_tiers_and_segments() {
    let values: Vec<f64> = (0..1000).map(|i| f64::from((i * 7919) % 1000)).collect();
    let s = insight::quintile_scores(&values).unwrap();
    for k in 1..=5u8 {
        assert_eq!(s.iter().filter(|&&v| v == k).count(), 200);
    }
    let tiers = Tiers::default().assign(&values).unwrap();
    assert_eq!(tiers.iter().filter(|&&t| t == 1).count(), 200);
    assert_eq!(tiers.iter().filter(|&&t| t == 2).count(), 300);
    assert_eq!(tiers.iter().filter(|&&t| t == 3).count(), 500);
    for (v, t) in values.iter().zip(&tiers) {
        let expect = if *v >= 800.0 {
            1
        } else if *v >= 500.0 {
            2
        } else {
            3
        };
        assert_eq!(*t, expect);
    }
    // ties share a tier and a score
    assert_eq!(Tiers::default().assign(&[1.0; 4]).unwrap(), vec![1; 4]);
    assert_eq!(insight::quintile_scores(&[1.0; 4]).unwrap(), vec![1; 4]);
    assert!(Tiers::new(vec![0.5, 0.2]).is_err());
    assert!(Tiers::new(vec![0.0]).is_err());
    let t = Tiers::new(vec![0.1, 0.5, 0.9]).unwrap();
    assert_eq!(t.label(1), "top 10%");
    assert_eq!(t.label(2), "10–50%");
    assert_eq!(t.label(4), "bottom 10%");
    // the segment map covers each of the 25 (R, F) cells once
    let mut counts = std::collections::HashMap::new();
    for r in 1..=5 {
        for f in 1..=5 {
            *counts.entry(RfmSegment::from_scores(r, f)).or_insert(0) += 1;
        }
    }
    assert_eq!(counts.len(), 10);
    assert_eq!(counts[&RfmSegment::Champions], 2);
    assert_eq!(counts[&RfmSegment::LoyalCustomers], 4);
    assert_eq!(counts[&RfmSegment::Hibernating], 4);
    assert!(insight::quintile_scores(&[1.0, f64::NAN]).is_err());
    let rule = AtRiskRule::default();
    assert!(rule.flags(1, 0.4, None));
    assert!(rule.flags(1, 0.7, Some(0.95)));
    assert!(!rule.flags(1, 0.7, Some(0.85)));
    assert!(!rule.flags(2, 0.1, None));
}

#[test]
fn segments_of_cdnow() {
    let (log, _) = cdnow();
    let day = |y, m, d| days_from_civil(y, m, d).unwrap() as f64;
    let periods = Periods::days_in_weeks();
    let split = log
        .calibration_holdout(&periods, day(1997, 9, 30), None)
        .unwrap();
    let model = BgNbd::fit(split.calibration(), &Default::default())
        .unwrap()
        .into_model();
    let spend = GammaGamma::new(6.25, 3.74, 15.44).unwrap();
    let valuation =
        Valuation::continuous(0.3, DiscountRate::new(0.1, 52.0).unwrap(), Some(52.0)).unwrap();
    let table = insight::segment_customers(
        &model,
        &spend,
        &valuation,
        &log,
        &periods,
        day(1998, 6, 30),
        Some(day(1997, 9, 30)),
        &Tiers::default(),
        &AtRiskRule::default(),
    )
    .unwrap();
    assert_eq!(table.customers.len(), log.n_customers());
    let n = table.customers.len() as f64;
    for c in &table.customers {
        let greater = table.customers.iter().filter(|o| o.clv > c.clv).count() as f64 / n;
        let tier = 1 + u8::from(greater >= 0.2) + u8::from(greater >= 0.5);
        assert_eq!(c.tier, tier, "{}", c.id);
    }
    let top = table.customers.iter().filter(|c| c.tier == 1).count() as f64;
    eprintln!("top tier share {}", top / n);
    for c in &table.customers {
        let expect = c.tier == 1
            && (c.p_alive < 0.5 || c.p_alive_reference.is_some_and(|p| p - c.p_alive > 0.2));
        assert_eq!(c.at_risk, expect, "{}", c.id);
        assert_eq!(c.segment, RfmSegment::from_scores(c.rfm.r, c.rfm.f));
        assert!(c.p_alive_reference.is_some());
    }
    let at_risk = table.at_risk();
    assert!(!at_risk.is_empty());
    assert!(at_risk.windows(2).all(|w| w[0].clv >= w[1].clv));
    let csv = table.to_csv();
    assert_eq!(csv.lines().count(), log.n_customers() + 1);
    // a reference at or after the end is refused
    assert!(
        insight::segment_customers(
            &model,
            &spend,
            &valuation,
            &log,
            &periods,
            day(1998, 6, 30),
            Some(day(1998, 6, 30)),
            &Tiers::default(),
            &AtRiskRule::default()
        )
        .is_err()
    );

    // acquisition ceiling: the discounted sum of E[X] increments, plus the first purchase
    let rows = insight::acquisition_ceiling(
        &model,
        &log,
        Period::Month,
        0.3,
        DiscountRate::new(0.1, 52.0).unwrap(),
        52,
    )
    .unwrap();
    assert_eq!(rows.len(), 4); // 1997-01, -02, -03, all
    let d = DiscountRate::new(0.1, 52.0).unwrap();
    let mut e = 1.0;
    for k in 1..=52 {
        let k = f64::from(k);
        e += d.factor(k)
            * (model.expected_transactions(k).unwrap()
                - model.expected_transactions(k - 1.0).unwrap());
    }
    let all = rows.last().unwrap();
    let mean = log.amounts().unwrap().iter().sum::<f64>() / log.len() as f64;
    assert!((all.expected_transactions - e).abs() < 1e-12);
    assert!((all.value - 0.3 * mean * e).abs() < 1e-9);
    assert_eq!(
        rows[..3].iter().map(|r| r.customers).sum::<u64>() as usize,
        log.n_customers()
    );
}

#[test]
fn model_retention_beside_observed() {
    let data = CohortData::single(vec![1000.0, 631.0, 468.0, 382.0, 326.0]).unwrap();
    let model = Sbg::new(0.668, 3.806).unwrap();
    let rows = insight::sbg_retention(&model, &data, 8).unwrap();
    assert_eq!(rows.len(), 8);
    assert!((rows[1].observed_retention.unwrap() - 468.0 / 631.0).abs() < 1e-15);
    assert!((rows[1].projected_retention - (3.806 + 1.0) / (0.668 + 3.806 + 1.0)).abs() < 1e-12);
    assert_eq!(rows[3].observed_survival, Some(0.326));
    assert_eq!(rows[4].observed_retention, None);
    assert!(insight::sbg_retention(&model, &data, 20_000).is_err());

    let (log, _) = cdnow();
    let day = |y, m, d| days_from_civil(y, m, d).unwrap() as f64;
    let end = day(1997, 9, 30);
    let split = log
        .calibration_holdout(&Periods::days_in_weeks(), end, None)
        .unwrap();
    let model = BgNbd::fit(split.calibration(), &Default::default())
        .unwrap()
        .into_model();
    let rows = insight::alive_share(
        &model,
        &log,
        split.calibration(),
        split.customer_ids(),
        end,
        7.0,
        39,
        1,
    )
    .unwrap();
    assert_eq!(rows.len(), 39);
    let n = split.n_customers() as f64;
    // expected share alive at t = 0+ is the mean P(alive); it falls with t
    let share = |r: &insight::AliveShare| r.expected_alive_share.unwrap();
    assert!(
        rows.windows(2)
            .all(|w| share(&w[1]) <= share(&w[0]) + 1e-12)
    );
    // steps 1, 11, 21, 31 and the last only: the same numbers there, absent elsewhere
    let sparse = insight::alive_share(
        &model,
        &log,
        split.calibration(),
        split.customer_ids(),
        end,
        7.0,
        39,
        10,
    )
    .unwrap();
    for (a, b) in rows.iter().zip(&sparse) {
        let k = a.t as u32;
        if (k - 1) % 10 == 0 || k == 39 {
            assert_eq!(a.expected_alive_share, b.expected_alive_share);
        } else {
            assert_eq!(b.expected_alive_share, None);
        }
        assert_eq!(a.expected_repeat_buyers, b.expected_repeat_buyers);
    }
    assert!(
        rows.windows(2)
            .all(|w| w[1].expected_repeat_buyers >= w[0].expected_repeat_buyers - 1e-9)
    );
    // observed repeat buyers by the end of the holdout: the customers with a holdout purchase
    let buyers = split
        .holdout_transactions()
        .iter()
        .filter(|&&y| y > 0.0)
        .count() as f64;
    let last = rows
        .iter()
        .rev()
        .find_map(|r| r.observed_repeat_buyers)
        .unwrap();
    assert_eq!(last, buyers);
    // the model's expected buyers are within 15% of the observed over the holdout
    let r = rows
        .iter()
        .rev()
        .find(|r| r.observed_repeat_buyers.is_some())
        .unwrap();
    assert!(
        (r.expected_repeat_buyers / last - 1.0).abs() < 0.15,
        "{} vs {last}",
        r.expected_repeat_buyers
    );
    assert!(rows.iter().all(|r| share(r) > 0.0 && share(r) <= 1.0));
    assert!(rows[0].observed_active_share.unwrap() * n >= 1.0);
}
