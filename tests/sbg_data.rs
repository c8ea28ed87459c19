//! Contractual input: cohort survival counts and individual lifetimes, their CSV readers and
//! the errors they give for bad input.

use clv::Error;
use clv::data::{Cohort, CohortData, ContractualData, LifetimeData};

/// The row and field of an `InvalidData` error.
fn location(e: &Error) -> (usize, &str) {
    match e {
        Error::InvalidData { row, field, .. } => (*row, field.as_str()),
        other => panic!("expected InvalidData, got {other:?}"),
    }
}

fn cohorts(csv: &str) -> clv::Result<CohortData> {
    CohortData::from_csv_reader(csv.as_bytes())
}

fn lifetimes(csv: &str) -> clv::Result<LifetimeData> {
    LifetimeData::from_csv_reader(csv.as_bytes())
}

#[test]
fn increasing_counts_are_rejected() {
    let e = Cohort::new(vec![100.0, 80.0, 81.0]).unwrap_err();
    assert_eq!(location(&e), (3, "alive"));
    assert!(e.to_string().contains("must not increase"), "{e}");
    let e = cohorts("period,alive\n0,100\n1,80\n2,81\n").unwrap_err();
    assert_eq!(location(&e), (4, "alive"));
    assert!(e.to_string().contains("81"));
}

#[test]
fn zero_cohort_is_rejected() {
    let e = Cohort::new(vec![0.0, 0.0]).unwrap_err();
    assert_eq!(location(&e), (1, "alive"));
    assert!(e.to_string().contains("positive"), "{e}");
    let e = cohorts("cohort,period,alive\nA,0,10\nA,1,5\nB,0,0\nB,1,0\n").unwrap_err();
    assert_eq!(location(&e), (4, "alive"));
}

#[test]
fn bad_counts_and_periods_are_rejected() {
    for bad in [-1.0, 2.5, f64::NAN, f64::INFINITY] {
        assert!(Cohort::new(vec![10.0, bad]).is_err(), "{bad}");
    }
    assert!(matches!(
        Cohort::new(vec![10.0]),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        CohortData::new(vec![]),
        Err(Error::InvalidInput(_))
    ));
    // Period out of sequence, not starting at 0, not a number; count not a number.
    let e = cohorts("period,alive\n0,100\n2,80\n").unwrap_err();
    assert_eq!(location(&e), (3, "period"));
    assert!(e.to_string().contains("expected period 1"), "{e}");
    let e = cohorts("period,alive\n1,100\n2,80\n").unwrap_err();
    assert_eq!(location(&e), (2, "period"));
    let e = cohorts("period,alive\n0,100\n1,many\n").unwrap_err();
    assert_eq!(location(&e), (3, "alive"));
    let e = cohorts("period,alive\n0,100\n1,50.5\n").unwrap_err();
    assert_eq!(location(&e), (3, "alive"));
    // A cohort with only period 0.
    let e = cohorts("cohort,period,alive\nA,0,10\nA,1,5\nB,0,7\n").unwrap_err();
    assert_eq!(location(&e), (4, "period"));
    assert!(e.to_string().contains("\"B\""), "{e}");
    // Missing column.
    let e = cohorts("period,count\n0,1\n").unwrap_err();
    assert_eq!(location(&e), (1, "alive"));
}

#[test]
fn duration_zero_is_rejected() {
    let e = LifetimeData::new(vec![3, 0], vec![true, false]).unwrap_err();
    assert_eq!(location(&e), (2, "duration"));
    let e = lifetimes("duration,churned\n3,1\n0,0\n").unwrap_err();
    assert_eq!(location(&e), (3, "duration"));
    for bad in ["-2", "1.5", "x", "5000000000", "inf"] {
        let e = lifetimes(&format!("duration,churned\n{bad},1\n")).unwrap_err();
        assert_eq!(location(&e), (2, "duration"), "{bad}");
    }
}

#[test]
fn churned_must_be_zero_one_true_or_false() {
    for bad in ["2", "yes", "", "0.5", "-1"] {
        let e = lifetimes(&format!("duration,churned\n3,1\n4,{bad}\n")).unwrap_err();
        assert_eq!(location(&e), (3, "churned"), "{bad:?}");
        assert!(e.to_string().contains("0, 1, true or false"), "{e}");
    }
    let ok = lifetimes("duration,churned\n1,0\n2,1\n3,TRUE\n4,False\n5, true \n").unwrap();
    assert_eq!(ok.churned(), &[false, true, true, false, true]);
}

#[test]
fn empty_files_are_rejected() {
    for text in ["", "period,alive\n"] {
        assert!(
            matches!(cohorts(text), Err(Error::InvalidInput(_))),
            "{text:?}"
        );
    }
    for text in ["", "duration,churned\n"] {
        assert!(
            matches!(lifetimes(text), Err(Error::InvalidInput(_))),
            "{text:?}"
        );
    }
    assert!(matches!(
        ContractualData::from_csv_reader("".as_bytes()),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        LifetimeData::new(vec![], vec![]),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        LifetimeData::new(vec![1], vec![]),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn weights_are_validated() {
    let e = LifetimeData::from_columns(vec![1, 2], vec![true, false], Some(vec![1.0, 0.0]))
        .unwrap_err();
    assert_eq!(location(&e), (2, "weight"));
    let e = lifetimes("duration,churned,weights\n1,1,2\n2,0,-1\n").unwrap_err();
    assert_eq!(location(&e), (3, "weights"));
    let data = lifetimes("duration,churned,weight\n1,1,2\n2,0,3.5\n1,1,1\n").unwrap();
    assert_eq!(data.n_customers(), 6.5);
    let c = data.compress();
    assert_eq!(c.weights(), &[3.0, 3.5]);
}

#[test]
fn detects_the_kind_from_the_header() {
    let c = ContractualData::from_csv_reader("alive,period\n10,0\n6,1\n".as_bytes()).unwrap();
    assert!(matches!(c, ContractualData::Cohorts(_)));
    assert_eq!(c.n_customers(), 10.0);
    let l = ContractualData::from_csv_reader("id,churned,duration\n1,1,3\n".as_bytes()).unwrap();
    assert!(matches!(l, ContractualData::Lifetimes(_)));
    let e =
        ContractualData::from_csv_reader("frequency,recency,T\n1,2,3\n".as_bytes()).unwrap_err();
    assert_eq!(location(&e), (1, "header"));
    // Errors of the detected reader keep their line numbers.
    let e = ContractualData::from_csv_reader("period,alive\n0,5\n1,6\n".as_bytes()).unwrap_err();
    assert_eq!(location(&e), (3, "alive"));
}

#[test]
fn cohorts_convert_to_weighted_lifetimes() {
    let data =
        cohorts("cohort,period,alive\nA,0,100\nB,0,50\nA,1,60\nB,1,35\nA,2,60\nB,2,30\n").unwrap();
    assert_eq!(data.cohorts().len(), 2);
    assert_eq!(data.cohorts()[0].name(), "A");
    assert_eq!(data.cohorts()[0].alive(), &[100.0, 60.0, 60.0]);
    assert_eq!(data.max_horizon(), 2);
    let l = data.to_lifetimes();
    // (1, churned): 40 + 15; (2, churned): 5 (A lost nobody in period 2); (2, active): 60 + 30.
    assert_eq!(l.durations(), &[1, 2, 2]);
    assert_eq!(l.churned(), &[true, false, true]);
    assert_eq!(l.weights(), &[55.0, 90.0, 5.0]);
    assert_eq!(l.n_customers(), data.n_customers());
}

#[test]
fn shipped_dataset_reads_through_cohort_api() {
    // data/sbg_retention_cohorts.csv is in wide form (year, one column per segment).
    let text = include_str!("../data/sbg_retention_cohorts.csv");
    let mut regular = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<f64> = line.split(',').map(|v| v.parse().unwrap()).collect();
        regular.push(f[1]);
    }
    let c = Cohort::new(regular).unwrap();
    assert_eq!(c.horizon(), 12);
    assert_eq!(c.churned_in(1), Some(369.0));
    assert_eq!(c.churned_in(0), None);
    assert_eq!(c.churned_in(13), None);
}

// ---- absurd sizes and ambiguous headers ("exact everywhere", items 3, 6 and 7) --------------

use clv::data::limits::MAX_DURATION;

#[test]
fn durations_beyond_the_maximum_are_refused() {
    // a duration of 4294967295 used to make `fit` allocate 206 GB for its predictions
    let e = LifetimeData::new(vec![1, u32::MAX], vec![true, false]).unwrap_err();
    assert_eq!(location(&e), (2, "duration"));
    let e = LifetimeData::new(vec![MAX_DURATION + 1], vec![true]).unwrap_err();
    assert_eq!(location(&e), (1, "duration"));
    assert!(LifetimeData::new(vec![MAX_DURATION], vec![true]).is_ok());
    let e = lifetimes("duration,churned\n1,1\n3,0\n4294967295,1\n").unwrap_err();
    assert_eq!(location(&e), (4, "duration"));
    assert!(e.to_string().contains("4294967295"), "{e}");
    let e = lifetimes("duration,churned\n1,1\n123456789012345678901234567890,1\n").unwrap_err();
    assert_eq!(location(&e), (3, "duration"));
    let e = lifetimes("duration,churned\n1.0000000000000001,1\n").unwrap_err();
    assert_eq!(location(&e), (2, "duration"));
}

#[test]
fn cohort_horizons_and_counts_beyond_the_maximum_are_refused() {
    let mut alive = vec![10.0; MAX_DURATION as usize + 2];
    alive[MAX_DURATION as usize + 1] = 5.0;
    let e = Cohort::new(alive).unwrap_err();
    assert_eq!(location(&e).1, "period");
    let e = cohorts("period,alive\n0,1e300\n1,5e299\n").unwrap_err();
    assert_eq!(location(&e), (2, "alive"));
    let e = cohorts("period,alive\n0,100\n1,60.5\n").unwrap_err();
    assert_eq!(location(&e), (3, "alive"));
    let e = cohorts("period,alive\n0,100\n123456789012345678901234567890,60\n").unwrap_err();
    assert_eq!(location(&e), (3, "period"));
}

#[test]
fn both_kinds_of_header_are_ambiguous() {
    // it used to be read silently as lifetimes
    let e = ContractualData::from_csv_reader(
        "period,alive,duration,churned\n0,100,1,1\n1,60,2,0\n".as_bytes(),
    )
    .unwrap_err();
    assert_eq!(location(&e), (1, "header"));
    assert!(e.to_string().contains("ambiguous"), "{e}");
}

#[test]
fn duplicate_columns_and_weight_beside_weights_are_refused() {
    let e = lifetimes("duration,churned,weight,weights\n1,1,1,1\n").unwrap_err();
    assert_eq!(location(&e), (1, "weight"));
    assert!(e.to_string().contains("`weights`"), "{e}");
    let e = cohorts("period,alive,alive\n0,100,100\n1,50,50\n").unwrap_err();
    assert_eq!(location(&e), (1, "alive"));
}

#[test]
fn weights_beyond_the_maximum_are_refused() {
    let e = lifetimes("duration,churned,weight\n1,1,10\n2,0,1e300\n").unwrap_err();
    assert_eq!(location(&e), (3, "weight"));
    let e =
        LifetimeData::from_columns(vec![1], vec![true], Some(vec![f64::from_bits(1)])).unwrap_err();
    assert_eq!(location(&e), (1, "weight"));
}

#[test]
fn structure_errors_name_line_and_column() {
    let e = lifetimes("duration,churned\n1,1\n2\n").unwrap_err();
    assert_eq!(location(&e), (3, "churned"));
    let e = cohorts("period,alive\n0,100\n1,50,7\n").unwrap_err();
    assert_eq!(location(&e), (3, "column 3"));
    // a stray byte in an ignored column is fine, in a used one it is named
    let data =
        LifetimeData::from_csv_reader(&b"id,duration,churned\n\xe9,1,1\nb,2,0\n"[..]).unwrap();
    assert_eq!(data.len(), 2);
    let e =
        LifetimeData::from_csv_reader(&b"id,duration,churned\na,1,1\nb,2,\xe9\n"[..]).unwrap_err();
    assert_eq!(location(&e), (3, "churned"));
}
