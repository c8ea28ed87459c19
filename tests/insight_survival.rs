//! `cohort_survival`: the survival of each acquisition cohort derived from the CDNOW log equals
//! a direct count from the raw file (customers whose last purchase month is at or after each
//! month), and the sBG fitted to it projects retention beside the observed.

use clv::data::{TransactionLog, days_from_civil};
use clv::insight::{Period, cohort_survival, sbg_retention};

const CDNOW: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/CDNOW_sample.txt");

#[test]
fn cohort_survival_equals_direct_count() {
    let log = TransactionLog::from_cdnow_path(CDNOW).unwrap();
    // per customer: first and last month as year * 12 + month - 1, from the raw YYYYMMDD field
    let mut months: std::collections::HashMap<String, (i64, i64)> = Default::default();
    for line in std::fs::read_to_string(CDNOW).unwrap().lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 3 {
            continue;
        }
        let d: i64 = f[2].parse().unwrap();
        let m = (d / 10_000) * 12 + (d / 100) % 100 - 1;
        let e = months.entry(f[0].to_string()).or_insert((m, m));
        e.0 = e.0.min(m);
        e.1 = e.1.max(m);
    }
    for (y, mo, d) in [(1997, 9, 30), (1997, 6, 15), (1998, 6, 30)] {
        let through = days_from_civil(y, mo, d).unwrap() as f64;
        let end = y * 12 + i64::from(mo) - 1;
        let data = cohort_survival(&log, Period::Month, through).unwrap();
        let mut cohorts: Vec<i64> = months.values().map(|v| v.0).filter(|&c| c < end).collect();
        cohorts.sort_unstable();
        cohorts.dedup();
        assert_eq!(data.cohorts().len(), cohorts.len());
        for (cohort, &c) in data.cohorts().iter().zip(&cohorts) {
            assert_eq!(cohort.name(), format!("{:04}-{:02}", c / 12, c % 12 + 1));
            let expected: Vec<f64> = (0..=end - c)
                .map(|t| months.values().filter(|v| v.0 == c && v.1 >= c + t).count() as f64)
                .collect();
            assert_eq!(cohort.alive(), &expected[..], "{}", cohort.name());
        }
        // the sBG fits these counts and projects past them
        let fit = clv::Sbg::fit_cohorts(&data, &Default::default()).unwrap();
        let rows = sbg_retention(fit.model(), &data, data.max_horizon() + 3).unwrap();
        assert!(
            rows.iter()
                .all(|r| r.projected_retention > 0.0 && r.projected_retention < 1.0)
        );
    }
    // errors: nothing to observe, a bad `through`, too many cells
    assert!(
        cohort_survival(
            &log,
            Period::Month,
            days_from_civil(1997, 1, 15).unwrap() as f64
        )
        .is_err()
    );
    assert!(cohort_survival(&log, Period::Month, f64::NAN).is_err());
    let far = TransactionLog::new(["a", "b"], vec![0.0, 1.0], None).unwrap();
    assert!(cohort_survival(&far, Period::Days(1), 9e8).is_err());
}
