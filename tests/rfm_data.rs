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

// ---- impossible and unrepresentable values ("exact everywhere", items 6 and 7) --------------

use clv::data::limits::{MAX_COUNT, MAX_TIME, MAX_WEIGHT};
use clv::{Customer, SpendData};

fn location(e: &Error) -> (usize, &str) {
    match e {
        Error::InvalidData { row, field, .. } => (*row, field.as_str()),
        other => panic!("expected InvalidData, got {other:?}"),
    }
}

#[test]
fn recency_zero_with_repeat_purchases_is_refused() {
    // BG/NBD's likelihood is unbounded there (LL = +7.2e106 was "fitted").
    let e = RfmData::new(vec![1.0, 3.0], vec![2.0, 0.0], vec![5.0, 5.0]).unwrap_err();
    assert_eq!(location(&e), (2, "recency"));
    assert!(e.to_string().contains("recency must be > 0"), "{e}");
    let e = csv_err("frequency,recency,T\n1,2,3\n4,0,3\n");
    assert!(e.contains("row 3, field `recency`"), "{e}");
    // -0 is 0
    let e = csv_err("frequency,recency,T\n1,2,3\n4,-0,3\n");
    assert!(e.contains("row 3, field `recency`"), "{e}");
    let e =
        RfmData::from_columns(vec![2.0], vec![0.0], vec![5.0], None, Some(vec![3.0])).unwrap_err();
    assert_eq!(location(&e), (1, "recency"));
    // frequency 0 with recency 0 stays valid, and so does a tiny positive recency
    assert!(RfmData::new(vec![0.0, 1.0], vec![0.0, 1e-300], vec![38.86, 38.86]).is_ok());
    // a single customer at t_x = 0 is the limit point of predictions (see `Customer::new`)
    assert!(Customer::new(2.0, 0.0, 38.86).is_ok());
}

#[test]
fn frequency_above_2_pow_53_is_refused() {
    for x in [MAX_COUNT + 1.0, 2f64.powi(60), 1.234_567_890_123_456_7e29] {
        let e = RfmData::new(vec![x], vec![1.0], vec![2.0]).unwrap_err();
        assert_eq!(location(&e), (1, "frequency"), "{x}");
    }
    assert!(RfmData::new(vec![MAX_COUNT], vec![1.0], vec![2.0]).is_ok());
    // the 30-digit text is refused, quoted as written (not as rounded)
    let e = csv_err("frequency,recency,T\n1,2,3\n123456789012345678901234567890,2,3\n");
    assert!(
        e.contains("row 3, field `frequency`") && e.contains("123456789012345678901234567890"),
        "{e}"
    );
    // 2^53 + 1 is read as 2^53: refused rather than silently rounded
    let e = csv_err("frequency,recency,T\n9007199254740993,2,3\n");
    assert!(e.contains("row 2, field `frequency`"), "{e}");
    let e = SpendData::new(vec![1e30], vec![5.0]).unwrap_err();
    assert_eq!(location(&e), (1, "frequency"));
}

#[test]
fn frequency_text_that_only_rounds_to_a_whole_number_is_refused() {
    for text in ["1.0000000000000001", "4503599627370496.5", "125e-2"] {
        let e = csv_err(&format!("frequency,recency,T\n{text},2,3\n"));
        assert!(
            e.contains("row 2, field `frequency`") && e.contains("whole number"),
            "{text}: {e}"
        );
    }
    let data =
        RfmData::from_csv_reader("frequency,recency,T\n2.0,2,3\n1e1,2,3\n+3,2,3\n".as_bytes())
            .unwrap();
    assert_eq!(data.frequency(), &[2.0, 10.0, 3.0]);
}

#[test]
fn times_beyond_the_maximum_are_refused() {
    // T = 1e308 used to end in "the log-likelihood is not finite at any start point", no row
    let e = RfmData::new(vec![1.0, 1.0], vec![2.0, 5.0], vec![3.0, 1e308]).unwrap_err();
    assert_eq!(location(&e), (2, "T"));
    assert!(e.to_string().contains("1e308"), "{e}");
    let e = csv_err("frequency,recency,T\n1,2,3\n1,5,1e308\n");
    assert!(e.contains("row 3, field `T`") && e.contains("1e308"), "{e}");
    let e = csv_err("frequency,recency,T\n1,2,3\n1,5,1e400\n");
    assert!(
        e.contains("row 3, field `T`") && e.contains("finite"),
        "{e}"
    );
    assert!(RfmData::new(vec![1.0], vec![MAX_TIME], vec![MAX_TIME]).is_ok());
    let e = RfmData::new(vec![1.0], vec![2.0], vec![MAX_TIME * 2.0]).unwrap_err();
    assert_eq!(location(&e), (1, "T"));
}

#[test]
fn subnormal_values_are_refused() {
    let tiny = f64::from_bits(1); // 5e-324
    let e = RfmData::new(vec![1.0], vec![tiny], vec![1.0]).unwrap_err();
    assert_eq!(location(&e), (1, "recency"));
    let e = RfmData::new(vec![0.0], vec![0.0], vec![tiny]).unwrap_err();
    assert_eq!(location(&e), (1, "T"));
    let e =
        RfmData::from_columns(vec![1.0], vec![1.0], vec![2.0], None, Some(vec![tiny])).unwrap_err();
    assert_eq!(location(&e), (1, "weight"));
    let e = SpendData::new(vec![2.0], vec![tiny]).unwrap_err();
    assert_eq!(location(&e), (1, "monetary_value"));
    // the smallest normal number is accepted
    assert!(RfmData::new(vec![1.0], vec![f64::MIN_POSITIVE], vec![1.0]).is_ok());
}

#[test]
fn weights_beyond_the_maximum_are_refused() {
    let w = |v: f64| {
        RfmData::from_columns(
            vec![1.0, 0.0],
            vec![1.0, 0.0],
            vec![2.0, 2.0],
            None,
            Some(vec![1.0, v]),
        )
    };
    for v in [1e300, f64::MAX, MAX_WEIGHT * 2.0] {
        assert_eq!(location(&w(v).unwrap_err()), (2, "weight"), "{v}");
    }
    assert!(w(MAX_WEIGHT).is_ok() && w(1e-300).is_ok());
    // weights whose sum overflows: every row is refused before any sum is formed
    let e = csv_err("frequency,recency,T,weights\n1,2,3,1.7e308\n0,0,3,1.7e308\n");
    assert!(e.contains("row 2, field `weights`"), "{e}");
    let e = SpendData::with_weights(vec![1.0], vec![5.0], Some(vec![1e300])).unwrap_err();
    assert_eq!(location(&e), (1, "weight"));
}

#[test]
fn total_spend_that_overflows_is_refused() {
    // x·m overflow used to end in "the log-likelihood is not finite at any start point"
    let e = SpendData::new(vec![1.0, 1e10], vec![5.0, 1e300]).unwrap_err();
    assert_eq!(location(&e), (2, "monetary_value"));
    let e = RfmData::from_columns(vec![1e10], vec![1.0], vec![2.0], Some(vec![1e300]), None)
        .unwrap_err();
    assert_eq!(location(&e), (1, "monetary_value"));
    assert!(SpendData::new(vec![1.0, 3.0], vec![1e300, 2e300]).is_ok());
}

#[test]
fn duplicate_and_ambiguous_columns_are_refused_naming_them() {
    let e = csv_err("frequency,recency,T,frequency\n1,2,3,1\n");
    assert!(
        e.contains("row 1, field `frequency`") && e.contains("twice"),
        "{e}"
    );
    let e = csv_err("frequency,recency,T,weight,weights\n1,2,3,1,1\n");
    assert!(
        e.contains("row 1, field `weight`") && e.contains("`weights`") && e.contains("ambiguous"),
        "{e}"
    );
    let e =
        SpendData::from_csv_reader("frequency,monetary_value,weights,weight\n1,2,1,1\n".as_bytes())
            .unwrap_err()
            .to_string();
    assert!(e.contains("`weight`") && e.contains("`weights`"), "{e}");
    // any duplicated name is ambiguous, used or not; unnamed columns may repeat
    let e = csv_err("id,id,frequency,recency,T\n1,1,1,2,3\n");
    assert!(
        e.contains("row 1, field `id`") && e.contains("columns 1 and 2"),
        "{e}"
    );
    assert!(RfmData::from_csv_reader("frequency,recency,T,,\n1,2,3,,\n".as_bytes()).is_ok());
}

#[test]
fn csv_structure_errors_name_line_and_column() {
    let e = csv_err("frequency,recency,T\n1,1,3\n1,1\n");
    assert!(
        e.contains("row 3, field `T`") && !e.contains("I/O error"),
        "{e}"
    );
    assert!(!e.contains("CSV error"), "{e}");
    let e = csv_err("frequency,recency,T\n1,1,3\n1,1,3,4\n");
    assert!(e.contains("row 3, field `column 4`"), "{e}");
    let e = SpendData::from_csv_reader("frequency,monetary_value\n1\n".as_bytes())
        .unwrap_err()
        .to_string();
    assert!(e.contains("row 2, field `monetary_value`"), "{e}");
}

#[test]
fn non_utf8_byte_only_matters_in_a_column_that_is_used() {
    let ok = b"name,frequency,recency,T\nZo\xeb,1,2,3\nAnn,0,0,3\n";
    let data = RfmData::from_csv_reader(&ok[..]).unwrap();
    assert_eq!(data.len(), 2);
    let bad = b"name,frequency,recency,T\nAnn,1,2,3\nAnn,0,0\xe9,3\n";
    let e = RfmData::from_csv_reader(&bad[..]).unwrap_err().to_string();
    assert!(
        e.contains("row 3, field `recency`") && e.contains("UTF-8"),
        "{e}"
    );
}

#[test]
fn encodings_and_line_endings() {
    // UTF-8 byte-order mark, CRLF, no trailing newline
    let d = RfmData::from_csv_reader("\u{feff}frequency,recency,T\r\n1,2,3\r\n0,0,3".as_bytes())
        .unwrap();
    assert_eq!(d.len(), 2);
    // UTF-16 is recognised
    let utf16: Vec<u8> = "\u{feff}frequency,recency,T\n1,2,3\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let e = RfmData::from_csv_reader(utf16.as_slice())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("row 1, field `header`") && e.contains("UTF-16"),
        "{e}"
    );
    // a semicolon-separated file gets a hint
    let e = csv_err("frequency;recency;T\n1;2;3\n");
    assert!(e.contains("separated by `;`"), "{e}");
}

// ---- no reader panics, whatever the bytes --------------------------------------------------

mod arbitrary_bytes {
    use clv::data::limits::{MAX_COUNT, MAX_TIME};
    use clv::data::{ContractualData, TimeFormat, TransactionReader};
    use clv::{Error, RfmData, SpendData};
    use proptest::prelude::*;

    /// Pieces a CSV is made of, and pieces that break it.
    const TOKENS: [&[u8]; 24] = [
        b"frequency",
        b"recency",
        b"T",
        b"monetary_value",
        b"weight",
        b"weights",
        b"period",
        b"alive",
        b"duration",
        b"churned",
        b"customer_id",
        b"date",
        b",",
        b",",
        b"\n",
        b"\r\n",
        b"\"",
        b"1",
        b"0",
        b"-0",
        b"1e308",
        b"2.5",
        b"\xe9",
        b"\xef\xbb\xbf",
    ];

    fn bytes() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(0..TOKENS.len(), 0..60)
            .prop_map(|ix| ix.into_iter().flat_map(|i| TOKENS[i].to_vec()).collect())
    }

    fn row_is_positive(e: &Error) -> bool {
        !matches!(e, Error::InvalidData { row: 0, .. })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn readers_return_data_or_an_error(text in bytes()) {
            match RfmData::from_csv_reader(text.as_slice()) {
                Ok(d) => {
                    for c in d.customers() {
                        prop_assert!(c.frequency() <= MAX_COUNT && c.age() <= MAX_TIME);
                        prop_assert!(c.age() > 0.0 && c.recency() <= c.age());
                        prop_assert!(c.frequency() == 0.0 || c.recency() > 0.0);
                    }
                }
                Err(e) => prop_assert!(row_is_positive(&e), "{e}"),
            }
            if let Err(e) = SpendData::from_csv_reader(text.as_slice()) {
                prop_assert!(row_is_positive(&e), "{e}");
            }
            if let Err(e) = ContractualData::from_csv_reader(text.as_slice()) {
                prop_assert!(row_is_positive(&e), "{e}");
            }
            let reader = TransactionReader::new().time_format(TimeFormat::Numeric);
            if let Err(e) = reader.from_reader(text.as_slice()) {
                prop_assert!(row_is_positive(&e), "{e}");
            }
        }

        #[test]
        fn accepted_values_are_within_the_limits(
            x in any::<f64>(), t_x in any::<f64>(), t in any::<f64>(), w in any::<f64>()
        ) {
            if let Ok(d) = RfmData::from_columns(vec![x], vec![t_x], vec![t], None, Some(vec![w])) {
                let c = d.customer(0).unwrap();
                prop_assert!(c.frequency().fract() == 0.0 && c.frequency() <= MAX_COUNT);
                prop_assert!(c.age() > 0.0 && c.age() <= MAX_TIME);
                prop_assert!(c.recency() >= 0.0 && c.recency() <= c.age());
                prop_assert!(d.weights()[0] > 0.0 && d.n_customers().is_finite());
            }
        }
    }
}
