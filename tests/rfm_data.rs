//! Every bad input to `RfmData` is rejected with an error naming the row, the field and the value.

use clv::{Error, RfmData};

fn csv_err(text: &str) -> String {
    RfmData::from_csv_reader(text.as_bytes())
        .unwrap_err()
        .to_string()
}

fn col_err(x: f64, tx: f64, t: f64) -> String {
    RfmData::new(vec![1.0, x], vec![0.5, tx], vec![1.0, t])
        .unwrap_err()
        .to_string()
}

#[test]
fn empty_data() {
    assert!(matches!(
        RfmData::new(vec![], vec![], vec![]),
        Err(Error::InvalidInput(_))
    ));
    assert!(csv_err("frequency,recency,T\n").contains("no data rows"));
    assert!(RfmData::from_csv_reader("".as_bytes()).is_err());
}

#[test]
fn missing_column() {
    let e = csv_err("frequency,T\n1,3\n");
    assert!(
        e.contains("row 1, field `recency`") && e.contains("missing"),
        "{e}"
    );
}

#[test]
fn unparsable_number() {
    let e = csv_err("frequency,recency,T\n1,2,3\n2,abc,5\n");
    assert!(
        e.contains("row 3, field `recency`") && e.contains("\"abc\"") && e.contains("not a number"),
        "{e}"
    );
    let e = csv_err("frequency,recency,T\n1,2,\n");
    assert!(e.contains("row 2, field `T`"), "{e}");
}

#[test]
fn nan_and_infinite_values() {
    assert!(col_err(f64::NAN, 1.0, 2.0).contains("row 2, field `frequency`"));
    assert!(col_err(1.0, 1.0, f64::INFINITY).contains("row 2, field `T`"));
    let e = csv_err("frequency,recency,T\n1,NaN,3\n");
    assert!(
        e.contains("row 2, field `recency`") && e.contains("finite"),
        "{e}"
    );
    let e = csv_err("frequency,recency,T\n1,1,inf\n");
    assert!(
        e.contains("row 2, field `T`") && e.contains("finite"),
        "{e}"
    );
}

#[test]
fn negative_values() {
    let e = col_err(-1.0, 0.0, 2.0);
    assert!(
        e.contains("row 2, field `frequency`") && e.contains("negative") && e.contains("-1"),
        "{e}"
    );
    assert!(col_err(1.0, -0.5, 2.0).contains("row 2, field `recency`"));
    assert!(col_err(1.0, 0.5, -2.0).contains("row 2, field `T`"));
    let e = csv_err("frequency,recency,T,monetary_value\n1,1,3,-5\n");
    assert!(
        e.contains("row 2, field `monetary_value`") && e.contains("negative"),
        "{e}"
    );
}

#[test]
fn non_integer_frequency() {
    let e = col_err(1.5, 1.0, 2.0);
    assert!(
        e.contains("row 2, field `frequency`") && e.contains("whole number") && e.contains("1.5"),
        "{e}"
    );
}

#[test]
fn recency_after_t() {
    let e = csv_err("frequency,recency,T\n1,1,3\n1,1,3\n2,4,3\n");
    assert!(
        e.contains("row 4, field `recency`")
            && e.contains("must not exceed T")
            && e.contains("value: 4"),
        "{e}"
    );
}

#[test]
fn zero_frequency_with_recency() {
    let e = col_err(0.0, 1.0, 2.0);
    assert!(
        e.contains("row 2, field `recency`") && e.contains("must be 0 when frequency is 0"),
        "{e}"
    );
}

#[test]
fn zero_t() {
    let e = col_err(0.0, 0.0, 0.0);
    assert!(
        e.contains("row 2, field `T`") && e.contains("T must be > 0"),
        "{e}"
    );
}

#[test]
fn non_positive_weight() {
    let e = csv_err("frequency,recency,T,weight\n1,1,3,2\n1,1,3,0\n");
    assert!(
        e.contains("row 3, field `weight`") && e.contains("> 0"),
        "{e}"
    );
    let e = csv_err("weights,frequency,recency,T\n-1,1,1,3\n");
    assert!(e.contains("row 2, field `weights`"), "{e}");
    let r = RfmData::from_columns(vec![1.0], vec![1.0], vec![2.0], None, Some(vec![f64::NAN]));
    assert!(r.unwrap_err().to_string().contains("row 1, field `weight`"));
}

#[test]
fn columns_of_unequal_length() {
    let r = RfmData::new(vec![1.0, 2.0], vec![1.0], vec![2.0, 2.0]);
    assert!(matches!(r, Err(Error::InvalidInput(m)) if m.contains("recency")));
}

#[test]
fn ragged_csv_names_the_line() {
    let e = csv_err("frequency,recency,T\n1,1,3\n1,1\n");
    assert!(e.contains("line 3"), "{e}");
}

#[test]
fn columns_in_any_order_and_extra_columns_ignored() {
    let d = RfmData::from_csv_reader(
        "note,T,weight,recency,monetary_value,frequency\nx,10,2,4,9.5,3\ny,10,1,0,0,0\n".as_bytes(),
    )
    .unwrap();
    assert_eq!(d.frequency(), &[3.0, 0.0]);
    assert_eq!(d.recency(), &[4.0, 0.0]);
    assert_eq!(d.age(), &[10.0, 10.0]);
    assert_eq!(d.monetary_value().unwrap(), &[9.5, 0.0]);
    assert_eq!(d.weights(), &[2.0, 1.0]);
    assert_eq!(d.n_customers(), 3.0);
}

#[test]
fn compression_merges_identical_rows_and_keeps_an_index() {
    let d = RfmData::from_columns(
        vec![0.0, 1.0, 0.0, 1.0, 1.0],
        vec![0.0, 2.0, 0.0, 2.0, 3.0],
        vec![5.0, 5.0, 5.0, 5.0, 5.0],
        None,
        Some(vec![1.0, 2.0, 3.0, 4.0, 5.0]),
    )
    .unwrap();
    let (c, index) = d.compress_with_index();
    assert_eq!(c.len(), 3);
    assert_eq!(c.weights(), &[4.0, 6.0, 5.0]);
    assert_eq!(index, vec![0, 1, 0, 1, 2]);
    assert_eq!(c.n_customers(), d.n_customers());
}

#[test]
fn shipped_cdnow_summary_reads() {
    let d = RfmData::from_csv_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/cdnow_customers_summary.csv"
    ))
    .unwrap();
    assert_eq!(d.len(), 2357);
    assert_eq!(d.frequency().iter().sum::<f64>(), 2457.0);
    assert_eq!(d.frequency().iter().filter(|x| **x == 0.0).count(), 1411);
    assert!(
        RfmData::from_csv_path("/no/such/file.csv")
            .unwrap_err()
            .to_string()
            .contains("cannot open")
    );
}

#[test]
fn transaction_models_refuse_data_without_repeat_purchases() {
    let d = RfmData::new(vec![0.0; 3], vec![0.0; 3], vec![10.0, 20.0, 30.0]).unwrap();
    for e in [
        clv::BgNbd::fit(&d, &clv::FitOptions::default()).unwrap_err(),
        clv::ParetoNbd::fit(&d, &clv::FitOptions::default()).unwrap_err(),
    ] {
        assert!(
            matches!(&e, Error::InvalidInput(m) if m.contains("no customer made a repeat purchase")),
            "{e}"
        );
    }
}
