//! Transaction logs: the CDNOW rebuild and every bad-input error.

use clv::data::{Periods, TimeFormat, TransactionLog, TransactionReader, days_from_civil};
use clv::{Error, RfmData};

const CDNOW_LOG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/CDNOW_sample.txt");
const CDNOW_SUMMARY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/cdnow_customers_summary.csv"
);

fn day(y: i64, m: u32, d: u32) -> f64 {
    days_from_civil(y, m, d).unwrap() as f64
}

/// Fader, Hardie & Lee (2005): calibration ends 1997-09-30, same-day purchases merged, weeks.
#[test]
fn cdnow_rebuild_reproduces_the_shipped_summary() {
    let log = TransactionLog::from_cdnow_path(CDNOW_LOG).unwrap();
    assert_eq!(log.len(), 6919);
    assert_eq!(log.n_customers(), 2357);
    let summary = log
        .summarize(&Periods::days_in_weeks(), day(1997, 9, 30))
        .unwrap();
    let data = summary.data();
    assert_eq!(data.len(), 2357);
    assert_eq!(summary.n_excluded(), 0);
    // Σx = 2457 and 1411 zero-repeaters (computed from the elog by scripts/reference_values.py,
    // tests/data/reference_values.csv: cdnow_*)
    assert_eq!(data.frequency().iter().sum::<f64>(), 2457.0);
    assert_eq!(data.frequency().iter().filter(|&&x| x == 0.0).count(), 1411);

    // lifetimes' cdnow_customers_summary.csv: same customers in the same order, t_x and T
    // rounded to 2 decimals.
    let shipped = RfmData::from_csv_path(CDNOW_SUMMARY).unwrap();
    assert_eq!(shipped.len(), data.len());
    assert_eq!(shipped.frequency(), data.frequency());
    for i in 0..data.len() {
        assert!(
            (shipped.recency()[i] - data.recency()[i]).abs() <= 0.005 + 1e-12,
            "row {i}"
        );
        assert!(
            (shipped.age()[i] - data.age()[i]).abs() <= 0.005 + 1e-12,
            "row {i}"
        );
    }
    assert_eq!(summary.customer_ids()[0], "00004");
}

/// Calibration/holdout on CDNOW: 2457 repeat purchases in weeks 1-39 and 1882 in weeks 40-78
/// (computed from the elog by scripts/reference_values.py, rows cdnow_*); BTYD vignette
/// cumulative weeks 20-25 (the same script recomputes them).
#[test]
fn cdnow_calibration_holdout() {
    let log = TransactionLog::from_cdnow_path(CDNOW_LOG).unwrap();
    let split = log
        .calibration_holdout(&Periods::days_in_weeks(), day(1997, 9, 30), None)
        .unwrap();
    assert_eq!(split.n_customers(), 2357);
    assert_eq!(split.holdout_transactions().iter().sum::<f64>(), 1882.0);
    assert_eq!(split.holdout_duration(), 39.0);
    assert_eq!(split.holdout_end(), 78.0);
    assert_eq!(split.calibration_end(), 39.0);
    let steps = split.actual_repeat_transactions_per_step();
    assert_eq!(steps.len(), 78);
    assert_eq!(steps.iter().sum::<f64>(), 2457.0 + 1882.0);
    let cum: Vec<f64> = steps
        .iter()
        .scan(0.0, |s, v| {
            *s += v;
            Some(*s)
        })
        .collect();
    assert_eq!(
        &cum[19..25],
        &[1359.0, 1414.0, 1484.0, 1517.0, 1573.0, 1672.0]
    );
    assert_eq!(cum[38], 2457.0);
    // all first purchases in 1997 Q1 (12 weeks + 6 days)
    assert!(
        split
            .first_purchase()
            .iter()
            .all(|&s| (0.0..13.0).contains(&s))
    );
    // monetary: mean dollars per repeat purchase day, as in lifetimes' summary with zbar
    let m = split.calibration().monetary_value().unwrap();
    assert!((m[0] - (29.73 + 14.96) / 2.0).abs() < 1e-12);
}

#[test]
fn customers_starting_after_the_cutoff_are_excluded_and_counted() {
    let log = TransactionLog::new(["a", "b", "c", "a"], vec![0.0, 5.0, 9.0, 7.0], None).unwrap();
    let split = log
        .calibration_holdout(&Periods::days(), 5.0, Some(10.0))
        .unwrap();
    // b starts in the cut-off period (T would be 0), c after it
    assert_eq!(split.customer_ids(), &["a"]);
    assert_eq!(split.n_excluded(), 2);
    assert_eq!(split.holdout_transactions(), &[1.0]);
}

#[test]
fn weekly_periods_merge_purchases_in_the_same_week() {
    // 1970-01-05 (day 4) is a Monday; days 4..=10 are one week.
    let log = TransactionLog::new(["a"; 4], vec![4.0, 6.0, 11.0, 12.5], None).unwrap();
    let s = log.summarize(&Periods::weeks(), 30.0).unwrap();
    assert_eq!(s.data().frequency(), &[1.0]);
    assert_eq!(s.data().recency(), &[1.0]);
    assert_eq!(s.data().age(), &[3.0]);
}

#[test]
fn numeric_times_with_custom_columns() {
    let csv = "t,who,spend,other\n0.5,x,1,z\n2.2,x,3,z\n2.7,x,5,z\n1.0,y,2,z\n";
    let log = TransactionReader::new()
        .customer_column("who")
        .time_column("t")
        .amount_column("spend")
        .time_format(TimeFormat::Numeric)
        .from_reader(csv.as_bytes())
        .unwrap();
    let s = log
        .summarize(&Periods::new(1.0, 1.0).unwrap(), 4.0)
        .unwrap();
    assert_eq!(s.data().frequency(), &[1.0, 0.0]);
    assert_eq!(s.data().recency(), &[2.0, 0.0]);
    assert_eq!(s.data().age(), &[4.0, 3.0]);
    assert_eq!(s.data().monetary_value().unwrap(), &[8.0, 0.0]);
}

fn data_error(e: Error) -> (usize, String, String) {
    match e {
        Error::InvalidData {
            row, field, value, ..
        } => (row, field, value),
        other => panic!("expected InvalidData, got {other:?}"),
    }
}

#[test]
fn unparsable_date_names_line_field_and_value() {
    let csv = "customer_id,date\na,2024-01-01\nb,2024-13-01\n";
    let e = TransactionReader::new()
        .from_reader(csv.as_bytes())
        .unwrap_err();
    assert_eq!(data_error(e), (3, "date".into(), "\"2024-13-01\"".into()));
    let e = TransactionLog::from_cdnow_reader(" 1 1 19970101 1 2\n 1 1 1997x101 1 2\n".as_bytes())
        .unwrap_err();
    assert_eq!(data_error(e), (2, "date".into(), "\"1997x101\"".into()));
    let csv = "customer_id,date\na,soon\n";
    let e = TransactionReader::new()
        .time_format(TimeFormat::Numeric)
        .from_reader(csv.as_bytes())
        .unwrap_err();
    assert_eq!(data_error(e).0, 2);
}

#[test]
fn missing_id_is_an_error() {
    let csv = "customer_id,date\na,2024-01-01\n,2024-01-02\n";
    let e = TransactionReader::new()
        .from_reader(csv.as_bytes())
        .unwrap_err();
    assert_eq!(data_error(e), (3, "customer_id".into(), "\"\"".into()));
    let e = TransactionLog::new(["a", " "], vec![1.0, 2.0], None).unwrap_err();
    assert_eq!(data_error(e).0, 2);
}

#[test]
fn negative_amount_is_an_error() {
    let csv = "customer_id,date,amount\na,2024-01-01,3\na,2024-01-02,-1\n";
    let e = TransactionReader::new()
        .amount_column("amount")
        .from_reader(csv.as_bytes())
        .unwrap_err();
    assert_eq!(data_error(e), (3, "amount".into(), "-1".into()));
    let csv = "customer_id,date,amount\na,2024-01-01,lots\n";
    let e = TransactionReader::new()
        .amount_column("amount")
        .from_reader(csv.as_bytes())
        .unwrap_err();
    assert_eq!(data_error(e).0, 2);
    let e = TransactionLog::from_cdnow_reader(" 1 1 19970101 1 -2\n".as_bytes()).unwrap_err();
    assert_eq!(data_error(e), (1, "dollars".into(), "-2".into()));
    let e = TransactionLog::new(["a"], vec![1.0], Some(vec![f64::NAN])).unwrap_err();
    assert_eq!(data_error(e).1, "amount");
}

#[test]
fn missing_column_is_an_error() {
    let csv = "id,date\na,2024-01-01\n";
    let e = TransactionReader::new()
        .from_reader(csv.as_bytes())
        .unwrap_err();
    let (row, field, _) = data_error(e);
    assert_eq!((row, field.as_str()), (1, "customer_id"));
    let csv = "customer_id,day\na,2024-01-01\n";
    let e = TransactionReader::new()
        .from_reader(csv.as_bytes())
        .unwrap_err();
    assert_eq!(data_error(e).1, "date");
    let csv = "customer_id,date\na,2024-01-01\n";
    let e = TransactionReader::new()
        .amount_column("amount")
        .from_reader(csv.as_bytes())
        .unwrap_err();
    assert_eq!(data_error(e).1, "amount");
    // an optional amount column may be absent
    let log = TransactionReader::new()
        .optional_amount_column("amount")
        .from_reader(csv.as_bytes())
        .unwrap();
    assert!(log.amounts().is_none());
    let e = TransactionLog::from_cdnow_reader(" 1 1 19970101 1\n".as_bytes()).unwrap_err();
    assert_eq!(data_error(e).1, "columns");
}

#[test]
fn empty_log_is_an_error() {
    let e = TransactionReader::new()
        .from_reader("customer_id,date\n".as_bytes())
        .unwrap_err();
    assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
    let e = TransactionLog::from_cdnow_reader("\n\n".as_bytes()).unwrap_err();
    assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
    let e = TransactionLog::new(Vec::<String>::new(), vec![], None).unwrap_err();
    assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
}

#[test]
fn cutoff_before_all_data_is_an_error() {
    let log = TransactionLog::from_cdnow_path(CDNOW_LOG).unwrap();
    let e = log
        .calibration_holdout(&Periods::days_in_weeks(), day(1996, 12, 31), None)
        .unwrap_err();
    assert!(
        matches!(e, Error::InvalidInput(ref m) if m.contains("no customer")),
        "{e:?}"
    );
    let e = log
        .summarize(&Periods::days_in_weeks(), day(1997, 1, 1))
        .unwrap_err();
    assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
    // holdout end before calibration end, non-finite cut-off
    let e = log
        .calibration_holdout(
            &Periods::days_in_weeks(),
            day(1997, 9, 30),
            Some(day(1997, 9, 1)),
        )
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidParameter {
                name: "holdout_end",
                ..
            }
        ),
        "{e:?}"
    );
    let e = log
        .calibration_holdout(&Periods::days_in_weeks(), f64::NAN, None)
        .unwrap_err();
    assert!(matches!(e, Error::InvalidParameter { .. }), "{e:?}");
}

#[test]
fn bad_indexed_log_is_an_error() {
    let e = TransactionLog::from_indexed(vec!["a".into()], vec![0, 1], vec![0.0, 1.0], None)
        .unwrap_err();
    assert_eq!(data_error(e).0, 2);
    let e = TransactionLog::from_indexed(vec!["a".into(), "a".into()], vec![0], vec![0.0], None)
        .unwrap_err();
    assert!(matches!(e, Error::InvalidInput(_)));
    assert!(Periods::new(1.0, f64::NAN).is_err());
    assert!(Periods::days().with_origin(f64::INFINITY).is_err());
}

// ---- sizes derived from input are bounded ("exact everywhere", item 3) ----------------------

#[test]
fn huge_spans_are_an_error_not_an_abort() {
    // these used to allocate 8e15 bytes (and 80 GB for a span of 1e10) and abort
    for span in [1e15, 1e10] {
        let log = TransactionLog::new(["a", "a"], vec![0.0, span], None).unwrap();
        let t = std::time::Instant::now();
        let e = log
            .calibration_holdout(&Periods::days(), 1.0, None)
            .unwrap_err();
        assert!(
            matches!(&e, Error::InvalidInput(m) if m.contains("unit steps")),
            "{e:?}"
        );
        assert!(t.elapsed().as_secs_f64() < 1.0);
        // the summary (no tracking series) is fine
        let s = log.summarize(&Periods::days(), span + 1.0).unwrap();
        assert_eq!(s.data().age(), &[span + 1.0]);
    }
    // a span of 1e15 days in units of 1e9 days is a small tracking series
    let log = TransactionLog::new(["a", "a", "b"], vec![0.0, 1e15, 1e14], None).unwrap();
    let split = log
        .calibration_holdout(&Periods::new(1.0, 1e9).unwrap(), 5e14, None)
        .unwrap();
    let steps = split.actual_repeat_transactions_per_step().len();
    assert!((1_000_000..=1_000_001).contains(&steps), "{steps}");
}

#[test]
fn times_beyond_2_pow_53_are_refused_instead_of_saturating() {
    // 1e300 used to become T = 9.22e18 (i64 saturation)
    let e = TransactionLog::new(["a", "a"], vec![0.0, 1e300], None).unwrap_err();
    assert_eq!(data_error(e).0, 2);
    let e = TransactionLog::from_indexed(vec!["a".into()], vec![0, 0], vec![0.0, -1e17], None)
        .unwrap_err();
    assert_eq!(data_error(e), (2, "time".into(), "-1e17".into()));
    let csv = "customer_id,t\na,1\na,1e300\n";
    let e = TransactionReader::new()
        .time_column("t")
        .time_format(TimeFormat::Numeric)
        .from_reader(csv.as_bytes())
        .unwrap_err();
    assert_eq!(data_error(e), (3, "t".into(), "1e300".into()));
    // period numbers beyond 2^53 are not exact either: refused, naming the transaction
    let log = TransactionLog::new(["a", "a"], vec![0.0, 1e6], None).unwrap();
    let tiny = Periods::new(1e-12, 1e-12).unwrap();
    let e = log.summarize(&tiny, 1.0).unwrap_err();
    assert_eq!(data_error(e).0, 2);
    // durations beyond 2^53 units: refused
    let e = log
        .summarize(&Periods::new(1.0, 1e-12).unwrap(), 1e6)
        .unwrap_err();
    assert!(
        matches!(e, Error::InvalidParameter { name: "unit", .. }),
        "{e:?}"
    );
}

#[test]
fn holdout_end_before_calibration_end_shows_the_dates() {
    let log = TransactionLog::from_cdnow_path(CDNOW_LOG).unwrap();
    let e = log
        .calibration_holdout(
            &Periods::days_in_weeks(),
            day(1997, 9, 30),
            Some(day(1997, 9, 1)),
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("1997-09-01") && e.contains("1997-09-30"), "{e}");
}

#[test]
fn transaction_csv_errors_name_line_and_column() {
    let csv = "customer_id,date\na,2024-01-01\nb\n";
    let e = TransactionReader::new()
        .from_reader(csv.as_bytes())
        .unwrap_err();
    assert_eq!(data_error(e).0, 3);
    // a stray byte in an ignored column is fine; in the id column it is named
    let csv = b"customer_id,date,note\na,2024-01-01,caf\xe9\na,2024-01-09,x\n";
    let log = TransactionReader::new().from_reader(&csv[..]).unwrap();
    assert_eq!(log.len(), 2);
    let csv = b"customer_id,date\na,2024-01-01\n\xe9,2024-01-09\n";
    let e = TransactionReader::new().from_reader(&csv[..]).unwrap_err();
    assert_eq!(data_error(e).0, 3);
    let csv = "customer_id,date,customer_id\na,2024-01-01,b\n";
    let e = TransactionReader::new()
        .from_reader(csv.as_bytes())
        .unwrap_err();
    assert_eq!(data_error(e).1, "customer_id");
}

/// A log of `n` transactions, as CSV with ISO dates and amounts: ids of many shapes (short,
/// longer than 16 bytes, non-ASCII, quoted with a comma or a quote), a third of the transactions
/// on a day the customer already bought on, rows in time order (customers interleaved) when
/// `sorted`, else shuffled.
fn log_csv(n: usize, sorted: bool, seed: u64) -> String {
    use rand::rngs::StdRng;
    use rand::seq::SliceRandom;
    use rand::{Rng, SeedableRng};
    let mut rng = StdRng::seed_from_u64(seed);
    let shapes = |k: usize| match k % 6 {
        0 => format!("{k}"),
        1 => format!("customer-with-a-long-id-{k:08}"),
        2 => format!("ü{k}é"),
        3 => format!("\"a,{k}\""),
        4 => format!("\"q\"\"{k}\""),
        _ => format!("c{k:015}"),
    };
    let mut rows: Vec<(i64, String, u32)> = Vec::new();
    let mut last_day = vec![None; n / 4 + 1];
    for _ in 0..n {
        let k = rng.random_range(0..last_day.len());
        let day = match last_day[k] {
            Some(d) if rng.random_bool(0.33) => d,
            _ => rng.random_range(9_800..10_200),
        };
        last_day[k] = Some(day);
        rows.push((day, shapes(k), rng.random_range(1..100_000)));
    }
    if sorted {
        rows.sort_by_key(|r| r.0);
    } else {
        rows.shuffle(&mut rng);
    }
    let mut csv = String::from("customer_id,date,amount\n");
    for (day, id, cents) in rows {
        let (y, m, d) = clv::data::civil_from_days(day);
        csv.push_str(&format!(
            "{id},{y:04}-{m:02}-{d:02},{}.{:02}\n",
            cents / 100,
            cents % 100
        ));
    }
    csv
}

/// The summary read in one pass (`summarize_ordered`) is the summary of the log read whole,
/// bit for bit: ids of every shape, same-day repeats, a cut-off inside the log (transactions
/// after it ignored, customers starting at or after it excluded) or at its end; a shuffled log
/// is refused by the one-pass reader (`None`) and summarised whole as the sorted one is.
#[test]
fn summary_read_in_one_pass_equals_the_summary_of_the_log() {
    let reader = TransactionReader::new().optional_amount_column("amount");
    for seed in 0..4 {
        let csv = log_csv(3_000, true, seed);
        let log = reader.from_reader(csv.as_bytes()).unwrap();
        assert!(log.customer_ids().iter().any(|id| id.contains(',')));
        assert!(log.customer_ids().iter().any(|id| id.contains('"')));
        for periods in [Periods::days(), Periods::days_in_weeks(), Periods::weeks()] {
            for end in [None, Some(10_000.0), Some(10_150.5)] {
                let streamed = reader
                    .summarize_ordered(csv.as_bytes(), &periods, end)
                    .unwrap()
                    .expect("a log in time order");
                let whole = log
                    .summarize(&periods, end.unwrap_or(log.time_range().1))
                    .unwrap();
                assert_eq!(streamed, whole, "seed {seed}, {periods:?}, end {end:?}");
                let m = whole.data().monetary_value().unwrap();
                for (a, b) in m.iter().zip(streamed.data().monetary_value().unwrap()) {
                    assert_eq!(a.to_bits(), b.to_bits());
                }
            }
        }
        // The same transactions shuffled: not for the one-pass reader, the same summary and
        // calibration/holdout split (in first-appearance order of the shuffled log) read whole.
        let shuffled = log_csv(3_000, false, seed);
        assert!(
            reader
                .summarize_ordered(shuffled.as_bytes(), &Periods::days(), None)
                .unwrap()
                .is_none()
        );
        let mixed = reader.from_reader(shuffled.as_bytes()).unwrap();
        let resorted = TransactionLog::new(
            mixed
                .customer_indices()
                .iter()
                .map(|&k| &mixed.customer_ids()[k as usize]),
            mixed.times().to_vec(),
            mixed.amounts().map(<[f64]>::to_vec),
        )
        .unwrap();
        // ids in order of first appearance, as `TransactionLog::new` interns them
        assert!(mixed.customer_ids() == resorted.customer_ids());
        assert!(mixed.customer_indices() == resorted.customer_indices());
        let split = |l: &TransactionLog| {
            l.calibration_holdout(&Periods::days_in_weeks(), 10_100.0, None)
                .unwrap()
        };
        assert_eq!(split(&mixed), split(&resorted));
    }
}

/// A line longer than 1 MiB is refused with an error naming it, before it is held whole.
#[test]
fn overlong_lines_are_refused_naming_the_line() {
    let mut csv = String::from("customer_id,date\na,2024-01-01\n");
    csv.push_str(&"x".repeat(3 << 20));
    csv.push_str(",2024-01-02\n");
    let err = TransactionReader::new()
        .from_reader(csv.as_bytes())
        .unwrap_err();
    let (row, field, _) = data_error(err);
    assert_eq!((row, field.as_str()), (3, "record"));
    // a quoted field spanning lines makes a record longer than the limit
    let mut csv = String::from("customer_id,date\n\"");
    for _ in 0..(2 << 14) {
        csv.push_str(&"y".repeat(63));
        csv.push('\n');
    }
    csv.push_str("\",2024-01-02\n");
    let err = TransactionReader::new()
        .from_reader(csv.as_bytes())
        .unwrap_err();
    let (row, field, _) = data_error(err);
    assert_eq!((row, field.as_str()), (2, "record"));
    // whitespace-separated text, CDNOW's raw log, a header read for renaming
    let long = format!(
        "customer_id date\n\na 2024-01-01\n{} 2024-01-02\n",
        "z".repeat(3 << 20)
    );
    let err = TransactionReader::new()
        .from_reader(clv::data::WhitespaceCsv::new(long.as_bytes()))
        .unwrap_err();
    assert_eq!(data_error(err).0, 4);
    let raw = format!(" 00001 19970101 1 11.77\n{}\n", "9".repeat(3 << 20));
    let err = TransactionLog::from_cdnow_reader(raw.as_bytes()).unwrap_err();
    assert_eq!(data_error(err).0, 2);
    let header = "x".repeat(3 << 20);
    let err = clv::data::ColumnMap::default()
        .read(
            header.as_bytes(),
            clv::data::Delimiter::Byte(b','),
            |r, _| TransactionReader::new().from_reader(r),
        )
        .unwrap_err();
    assert_eq!(data_error(err).0, 1);
}
