//! `segment_fitted`: the value interval of every customer of the segment table is the one of
//! `Valuation::customer_value_intervals` on the same summary (both fits' uncertainty), in the
//! CSV as `clv_lower`, `clv_upper` with `clv_level`, `clv_method` at the end; without the
//! option the table is that of `segment_customers`.

use clv::data::{Periods, TransactionLog, days_from_civil};
use clv::fit::Method;
use clv::insight::{self, AtRiskRule, SEGMENT_CSV_HEADER, SegmentOptions, Tiers, ValueInterval};
use clv::value::{DiscountRate, Valuation};
use clv::{FitOptions, GammaGamma, ParetoNbd, SpendData};

#[test]
fn value_intervals_in_the_segment_table() {
    let log = TransactionLog::from_cdnow_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/CDNOW_sample.txt"
    ))
    .unwrap();
    let day = |y, m, d| days_from_civil(y, m, d).unwrap() as f64;
    let periods = Periods::days_in_weeks();
    let (cal_end, end) = (day(1997, 9, 30), day(1998, 6, 30));
    let cal = log.summarize(&periods, cal_end).unwrap();
    let transactions = ParetoNbd::fit(cal.data(), &FitOptions::default()).unwrap();
    let (x, m): (Vec<f64>, Vec<f64>) = cal
        .data()
        .frequency()
        .iter()
        .zip(cal.data().monetary_value().unwrap())
        .filter(|(x, m)| **x > 0.0 && **m > 0.0)
        .map(|(x, m)| (*x, *m))
        .unzip();
    let spend = GammaGamma::fit(&SpendData::new(x, m).unwrap(), &FitOptions::default()).unwrap();
    let valuation =
        Valuation::discrete(0.3, DiscountRate::new(0.1, 52.0).unwrap(), 1.0, 26).unwrap();

    let segments = |clv_interval: Option<ValueInterval>| {
        let options = SegmentOptions {
            reference: Some(cal_end),
            clv_interval,
            ..Default::default()
        };
        insight::segment_fitted(
            &transactions,
            &spend,
            &valuation,
            &log,
            &periods,
            end,
            &options,
        )
    };
    // without intervals: the table of segment_customers, empty interval columns
    let plain = segments(None).unwrap();
    let same = insight::segment_customers(
        transactions.model(),
        spend.model(),
        &valuation,
        &log,
        &periods,
        end,
        Some(cal_end),
        &Tiers::default(),
        &AtRiskRule::default(),
    )
    .unwrap();
    assert_eq!(plain, same);
    assert!(plain.customers.iter().all(|c| c.clv_interval.is_none()));
    let csv = plain.to_csv();
    assert_eq!(csv.lines().next().unwrap(), SEGMENT_CSV_HEADER);
    assert!(SEGMENT_CSV_HEADER.ends_with(",at_risk,clv_level,clv_method"));
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 18);
        assert_eq!((f[6], f[7], f[16], f[17]), ("", "", "", ""));
    }

    let summary = log.summarize(&periods, end).unwrap();
    for how in [
        ValueInterval::default(),
        ValueInterval {
            level: 0.8,
            method: Method::Parametric {
                draws: 200,
                seed: 3,
            },
        },
    ] {
        let table = segments(Some(how)).unwrap();
        let direct = valuation
            .customer_value_intervals(&transactions, &spend, summary.data(), how.level, how.method)
            .unwrap();
        assert_eq!(table.customers.len(), direct.len());
        assert_eq!(table.clv_interval, Some(how));
        for (i, c) in table.customers.iter().enumerate() {
            let (lo, hi) = c.clv_interval.unwrap();
            assert_eq!((lo, hi), (direct.lower[i], direct.upper[i]), "{}", c.id);
            assert_eq!(c.clv, direct.estimate[i]);
            assert!(lo <= c.clv && c.clv <= hi, "{}: {lo} {} {hi}", c.id, c.clv);
            // all but the interval is the plain table's
            let mut without = c.clone();
            without.clv_interval = None;
            assert_eq!(&without, &plain.customers[i]);
        }
        let csv = table.to_csv();
        let row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
        assert_eq!(row[6].parse::<f64>().unwrap(), direct.lower[0]);
        assert_eq!(row[7].parse::<f64>().unwrap(), direct.upper[0]);
        assert_eq!(row[16].parse::<f64>().unwrap(), how.level);
        assert_eq!(row[17], how.method_name());
    }
    // a level outside (0, 1) is refused
    let bad = ValueInterval {
        level: 1.5,
        method: Method::Delta,
    };
    assert!(segments(Some(bad)).is_err());
    assert_eq!(
        ValueInterval::default(),
        ValueInterval {
            level: 0.9,
            method: Method::Delta
        }
    );
}
