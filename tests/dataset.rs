//! The customer table through the public API: customer ids, covariates, row selection, and the
//! one compression routine (its row order and its index maps) of every data type.

use clv::data::LifetimeData;
use clv::{Error, RfmData, SpendData};

/// `(row, field)` of an [`Error::InvalidData`].
fn location(e: &Error) -> (usize, &str) {
    match e {
        Error::InvalidData { row, field, .. } => (*row, field.as_str()),
        other => panic!("expected InvalidData, got {other:?}"),
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Six customers, two pairs of them identical in `(x, t_x, T)`, with spends and weights.
fn table() -> RfmData {
    RfmData::from_columns(
        vec![2.0, 0.0, 2.0, 1.0, 0.0, 5.0],
        vec![30.0, 0.0, 30.0, 12.5, 0.0, 35.0],
        vec![38.0, 38.0, 38.0, 20.0, 38.0, 38.0],
        Some(vec![20.0, 0.0, 40.0, 7.5, 0.0, 11.0]),
        Some(vec![1.0, 2.0, 1.0, 3.0, 1.0, 0.5]),
    )
    .unwrap()
    .with_ids(strings(&["a", "b", "c", "d", "e", "f"]))
    .unwrap()
}

/// The rows of `data` in the order `order` (ids and covariates moved along).
fn permuted(data: &RfmData, order: &[usize]) -> RfmData {
    data.select(order).unwrap()
}

// ---- ids ----------------------------------------------------------------------------------

#[test]
fn ids_are_kept_one_per_row_and_checked() {
    let data = table();
    assert_eq!(data.ids().unwrap().len(), 6);
    assert_eq!(data.id(3), Some("d"));
    assert_eq!(data.id(6), None);
    let plain = RfmData::new(vec![1.0], vec![2.0], vec![3.0]).unwrap();
    assert!(plain.ids().is_none() && plain.id(0).is_none());
    assert!(data.clone().without_ids().ids().is_none());

    // one id per row
    let e = plain.clone().with_ids(strings(&["a", "b"])).unwrap_err();
    assert!(matches!(e, Error::InvalidInput(_)), "{e}");
    // distinct and not blank, the row named
    let two = RfmData::new(vec![1.0, 1.0, 0.0], vec![2.0, 2.0, 0.0], vec![3.0; 3]).unwrap();
    let e = two.clone().with_ids(strings(&["x", "y", "x"])).unwrap_err();
    assert_eq!(location(&e), (3, "customer_id"));
    assert!(e.to_string().contains("rows 1 and 3"), "{e}");
    let e = two.with_ids(strings(&["x", " ", "z"])).unwrap_err();
    assert_eq!(location(&e), (2, "customer_id"));
}

#[test]
fn csv_ids_are_read_from_customer_id_or_id() {
    let data = RfmData::from_csv_reader(
        "customer_id,frequency,recency,T\nu1,2,3,5\nu2,0,0,5\n".as_bytes(),
    )
    .unwrap();
    assert_eq!(data.ids().unwrap(), ["u1", "u2"]);
    let data = RfmData::from_csv_reader("frequency,recency,T,id\n2,3,5, 7 \n".as_bytes()).unwrap();
    assert_eq!(data.id(0), Some("7"));
    // with both columns, `customer_id` is the one read
    let data = RfmData::from_csv_reader(
        "id,customer_id,frequency,recency,T\n1,u1,2,3,5\n1,u2,0,0,5\n".as_bytes(),
    )
    .unwrap();
    assert_eq!(data.ids().unwrap(), ["u1", "u2"]);
    // without an id column, no ids
    let data = RfmData::from_csv_reader("ID,frequency,recency,T\n1,2,3,5\n".as_bytes()).unwrap();
    assert!(data.ids().is_none());
}

#[test]
fn csv_id_errors_name_the_line() {
    // the repeat is on line 5 (a blank line before it), the first on line 2
    let e = RfmData::from_csv_reader(
        "id,frequency,recency,T\nu1,2,3,5\nu2,0,0,5\n\nu1,1,1,5\n".as_bytes(),
    )
    .unwrap_err();
    assert_eq!(location(&e), (5, "id"));
    assert!(e.to_string().contains("rows 2 and 5"), "{e}");
    let e = RfmData::from_csv_reader("customer_id,frequency,recency,T\n,2,3,5\n".as_bytes())
        .unwrap_err();
    assert_eq!(location(&e), (2, "customer_id"));
    let e = SpendData::from_csv_reader(
        "customer_id,frequency,monetary_value\na,1,2\nb,2,3\nb,0,0\n".as_bytes(),
    )
    .unwrap_err();
    assert_eq!(location(&e), (4, "customer_id"));
}

// ---- covariates ---------------------------------------------------------------------------

#[test]
fn covariates_are_named_finite_columns() {
    let data = table()
        .with_covariates(
            strings(&["age", "region"]),
            vec![
                vec![31.0, 58.0, 31.0, -0.0, 40.0, 22.0],
                vec![1.0, 0.0, 1.0, 1.0, 0.0, 2.0],
            ],
        )
        .unwrap();
    assert_eq!(data.covariate_names(), ["age", "region"]);
    assert_eq!(data.covariate("region").unwrap()[5], 2.0);
    assert!(data.covariate("income").is_none());
    let row: Vec<f64> = data.covariates_row(1).unwrap().collect();
    assert_eq!(row, [58.0, 0.0]);
    assert!(data.covariates_row(6).is_none());
    // -0 is stored as 0
    assert!(data.covariate("age").unwrap()[3].is_sign_positive());
    assert!(table().covariate_names().is_empty());
    assert_eq!(table().covariates_row(0).unwrap().len(), 0);
}

#[test]
fn covariate_errors_name_row_and_covariate() {
    let bad = |names: &[&str], columns: Vec<Vec<f64>>| {
        RfmData::new(vec![1.0, 0.0], vec![2.0, 0.0], vec![5.0, 5.0])
            .unwrap()
            .with_covariates(strings(names), columns)
            .unwrap_err()
    };
    let e = bad(&["z"], vec![vec![1.0, f64::NAN]]);
    assert_eq!(location(&e), (2, "z"));
    let e = bad(&["a", "b"], vec![vec![1.0, 2.0], vec![f64::INFINITY, 0.0]]);
    assert_eq!(location(&e), (1, "b"));
    for e in [
        bad(&["z"], vec![vec![1.0]]),                           // short column
        bad(&["z"], vec![vec![1.0, 2.0], vec![3.0, 4.0]]),      // more columns than names
        bad(&["z", "z"], vec![vec![1.0, 2.0], vec![3.0, 4.0]]), // a name twice
        bad(&[""], vec![vec![1.0, 2.0]]),                       // no name
    ] {
        assert!(matches!(e, Error::InvalidInput(_)), "{e}");
    }
}

#[test]
fn csv_covariates_are_read_by_name() {
    let read = |text: &str, names: &[&str]| {
        RfmData::from_csv_reader_with_covariates(text.as_bytes(), names)
    };
    let csv = "id,frequency,recency,T,z1,z2\na,2,3,5,-1.5,0\nb,0,0,5,2,-0\n";
    let data = read(csv, &["z2", "z1"]).unwrap();
    assert_eq!(data.covariate_names(), ["z2", "z1"]);
    assert_eq!(data.covariate("z1").unwrap(), &[-1.5, 2.0]);
    assert_eq!(data.ids().unwrap(), ["a", "b"]);
    assert_eq!(
        read(csv, &[]).unwrap(),
        RfmData::from_csv_reader(csv.as_bytes()).unwrap()
    );
    let e = read(csv, &["z3"]).unwrap_err();
    assert_eq!(location(&e), (1, "z3"));
    let e = read("frequency,recency,T,z\n2,3,5,1\n0,0,5,x\n", &["z"]).unwrap_err();
    assert_eq!(location(&e), (3, "z"));
    let e = read("frequency,recency,T,z\n2,3,5,NaN\n", &["z"]).unwrap_err();
    assert_eq!(location(&e), (2, "z"));
    let e = read(csv, &["z1", "z1"]).unwrap_err();
    assert!(matches!(e, Error::InvalidInput(_)), "{e}");
}

// ---- selection ----------------------------------------------------------------------------

#[test]
fn select_and_filter_keep_every_column() {
    let data = table()
        .with_covariates(strings(&["z"]), vec![vec![0.5, 1.5, 2.5, 3.5, 4.5, 5.5]])
        .unwrap();
    let s = data.select(&[4, 1, 3]).unwrap();
    assert_eq!(s.ids().unwrap(), ["e", "b", "d"]);
    assert_eq!(s.frequency(), &[0.0, 0.0, 1.0]);
    assert_eq!(s.recency(), &[0.0, 0.0, 12.5]);
    assert_eq!(s.age(), &[38.0, 38.0, 20.0]);
    assert_eq!(s.monetary_value().unwrap(), &[0.0, 0.0, 7.5]);
    assert_eq!(s.weights(), &[1.0, 2.0, 3.0]);
    assert_eq!(s.covariate("z").unwrap(), &[4.5, 1.5, 3.5]);

    let f = data.filter(|i| data.weights()[i] >= 1.0).unwrap();
    assert_eq!(f.ids().unwrap(), ["a", "b", "c", "d", "e"]);
    assert_eq!(f, data.select(&[0, 1, 2, 3, 4]).unwrap());

    let r = data.repeat_customers().unwrap();
    assert_eq!(r.ids().unwrap(), ["a", "c", "d", "f"]);
    assert_eq!(r.covariate("z").unwrap(), &[0.5, 2.5, 3.5, 5.5]);
}

#[test]
fn selection_errors() {
    let data = table();
    for e in [
        data.select(&[]).unwrap_err(),
        data.select(&[0, 6]).unwrap_err(),
        data.select(&[1, 2, 1]).unwrap_err(), // ids must stay distinct
        data.filter(|_| false).unwrap_err(),
    ] {
        assert!(matches!(e, Error::InvalidInput(_)), "{e}");
    }
    // without ids, rows may repeat (a bootstrap sample)
    let boot = data.clone().without_ids().select(&[1, 1, 5]).unwrap();
    assert_eq!(boot.n_customers(), 4.5);
    let none = RfmData::new(vec![0.0, 0.0], vec![0.0, 0.0], vec![3.0, 4.0]).unwrap();
    assert!(matches!(
        none.repeat_customers(),
        Err(Error::InvalidInput(_))
    ));
}

// ---- compression --------------------------------------------------------------------------

#[test]
fn compression_is_sorted_by_key_whatever_the_input_order() {
    let data = table();
    let c = data.compress();
    // monetary values differ between rows 0 and 2, so only rows 1 and 4 merge
    assert_eq!(c.len(), 5);
    assert_eq!(c.frequency(), &[0.0, 1.0, 2.0, 2.0, 5.0]);
    assert_eq!(c.monetary_value().unwrap(), &[0.0, 7.5, 20.0, 40.0, 11.0]);
    assert_eq!(c.weights(), &[3.0, 3.0, 1.0, 1.0, 0.5]);
    assert!(c.ids().is_none());
    for order in [[5, 4, 3, 2, 1, 0], [2, 0, 4, 1, 5, 3], [1, 3, 5, 0, 2, 4]] {
        assert_eq!(permuted(&data, &order).compress(), c);
    }
}

#[test]
fn index_maps_lead_each_row_and_id_to_its_distinct_row() {
    let data = table();
    for (distinct, index, with_m) in [
        {
            let (d, i) = data.compress_with_index();
            (d, i, true)
        },
        {
            let (d, i) = data.distinct_customers();
            (d, i, false)
        },
    ] {
        assert_eq!(index.len(), data.len());
        assert_eq!(distinct.n_customers(), data.n_customers());
        for (i, &k) in index.iter().enumerate() {
            assert_eq!(distinct.frequency()[k], data.frequency()[i], "row {i}");
            assert_eq!(distinct.recency()[k], data.recency()[i], "row {i}");
            assert_eq!(distinct.age()[k], data.age()[i], "row {i}");
            if with_m {
                assert_eq!(
                    distinct.monetary_value().unwrap()[k],
                    data.monetary_value().unwrap()[i]
                );
            }
        }
    }
    // (x, t_x, T) only: "a" and "c" share a row despite their spends, as do "b" and "e"
    let (distinct, index) = data.distinct_customers();
    assert_eq!(distinct.len(), 4);
    assert!(distinct.monetary_value().is_none() && distinct.ids().is_none());
    assert_eq!(distinct.frequency(), &[0.0, 1.0, 2.0, 5.0]);
    assert_eq!(distinct.weights(), &[3.0, 3.0, 2.0, 0.5]);
    assert_eq!(index, [2, 0, 2, 1, 0, 3]);
    let by_id = |id: &str| index[data.ids().unwrap().iter().position(|x| x == id).unwrap()];
    assert_eq!(by_id("a"), by_id("c"));
    // the same as compressing a copy without monetary values
    assert_eq!(
        (distinct, index),
        data.without_monetary_value().compress_with_index()
    );
}

#[test]
fn covariates_never_merge_and_order_numerically() {
    let data = RfmData::new(vec![1.0; 4], vec![2.0; 4], vec![5.0; 4])
        .unwrap()
        .with_covariates(strings(&["z"]), vec![vec![0.5, -1.0, 0.5, -0.0]])
        .unwrap();
    let (d, index) = data.distinct_customers();
    assert_eq!(d.covariate("z").unwrap(), &[-1.0, 0.0, 0.5]);
    assert_eq!(d.weights(), &[1.0, 1.0, 2.0]);
    assert_eq!(index, [2, 0, 2, 1]);
    assert_eq!(data.compress().covariate_names(), ["z"]);
    assert_eq!(permuted(&data, &[3, 2, 1, 0]).compress(), data.compress());
}

#[test]
fn spend_compression_is_sorted_and_keeps_ids_out() {
    let data = SpendData::with_weights(
        vec![3.0, 1.0, 0.0, 3.0, 1.0],
        vec![9.5, 20.0, 0.0, 9.5, 2.0],
        Some(vec![1.0, 2.0, 3.0, 4.0, 5.0]),
    )
    .unwrap()
    .with_ids(strings(&["a", "b", "c", "d", "e"]))
    .unwrap();
    let (c, index) = data.compress_with_index();
    assert_eq!(c.frequency(), &[0.0, 1.0, 1.0, 3.0]);
    assert_eq!(c.monetary_value(), &[0.0, 2.0, 20.0, 9.5]);
    assert_eq!(c.weights(), &[3.0, 5.0, 2.0, 5.0]);
    assert_eq!(index, [3, 2, 0, 3, 1]);
    assert!(c.ids().is_none());
    let reversed = SpendData::with_weights(
        vec![1.0, 3.0, 0.0, 1.0, 3.0],
        vec![2.0, 9.5, 0.0, 20.0, 9.5],
        Some(vec![5.0, 4.0, 3.0, 2.0, 1.0]),
    )
    .unwrap();
    assert_eq!(reversed.compress_with_index().0, c);
    // repeat customers keep their ids
    assert_eq!(
        data.repeat_customers().unwrap().ids().unwrap(),
        ["a", "b", "d", "e"]
    );
    // the rows of a spend fit, without copying the repeat customers first
    let fit_rows = data.distinct_repeat_customers().unwrap();
    assert_eq!(
        fit_rows,
        data.repeat_customers().unwrap().compress_with_index().0
    );
    assert_eq!(fit_rows.frequency(), &[1.0, 1.0, 3.0]);
    let nobody = SpendData::new(vec![0.0, 0.0], vec![0.0, 1.0]).unwrap();
    assert!(matches!(
        nobody.distinct_repeat_customers(),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn spend_data_from_rfm_keeps_ids() {
    let data = table();
    let spend = SpendData::from_rfm(&data).unwrap();
    assert_eq!(spend.ids(), data.ids());
    assert_eq!(spend.id(5), Some("f"));
    let plain = SpendData::from_rfm(&data.clone().without_ids()).unwrap();
    assert!(plain.ids().is_none());
    assert!(matches!(
        SpendData::new(vec![1.0], vec![2.0])
            .unwrap()
            .with_ids(vec![]),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn lifetime_compression_is_sorted_whatever_the_input_order() {
    let d = vec![5, 1, 5, 3, 1, 5];
    let c = vec![false, true, true, true, true, false];
    let data = LifetimeData::new(d.clone(), c.clone()).unwrap().compress();
    assert_eq!(data.durations(), &[1, 3, 5, 5]);
    assert_eq!(data.churned(), &[true, true, false, true]);
    assert_eq!(data.weights(), &[2.0, 1.0, 2.0, 1.0]);
    let rev = LifetimeData::new(d.into_iter().rev().collect(), c.into_iter().rev().collect())
        .unwrap()
        .compress();
    assert_eq!(rev, data);
}

// ---- frequency/spend correlation ----------------------------------------------------------

#[test]
fn correlation_survives_spends_near_the_largest_float() {
    let x = vec![1.0, 2.0, 3.0, 4.0, 0.0];
    let m = [1.0, 3.0, 2.0, 5.0, 0.0];
    let small = SpendData::new(x.clone(), m.to_vec()).unwrap();
    let r = small.frequency_spend_correlation().unwrap();
    for scale in [1e300, 1e-300, 1.7e308 / 20.0] {
        let big = SpendData::with_weights(
            x.clone(),
            m.iter().map(|v| v * scale).collect(),
            Some(vec![2f64.powi(52); 5]),
        )
        .unwrap();
        let rb = big.frequency_spend_correlation().unwrap();
        assert!((rb - r).abs() < 1e-12, "scale {scale}: {rb} vs {r}");
    }
    // perfectly correlated at 1e300: exactly within [-1, 1]
    let line = SpendData::new(vec![1.0, 2.0, 3.0], vec![1e300, 2e300, 3e300]).unwrap();
    let r = line.frequency_spend_correlation().unwrap();
    assert!((r - 1.0).abs() < 1e-12 && r <= 1.0, "{r}");
    // a constant spend leaves the correlation undefined
    let flat = SpendData::new(vec![1.0, 2.0], vec![1e300, 1e300]).unwrap();
    assert_eq!(flat.frequency_spend_correlation(), None);
}

// ---- transaction summaries ----------------------------------------------------------------

#[test]
fn transaction_summaries_carry_the_customer_ids() {
    use clv::data::{Periods, TransactionLog};
    let log = TransactionLog::new(
        ["b", "a", "b", "c", "a"],
        vec![0.0, 1.0, 4.0, 2.0, 6.0],
        None,
    )
    .unwrap();
    let summary = log.summarize(&Periods::days(), 10.0).unwrap();
    assert_eq!(summary.data().ids().unwrap(), ["b", "a", "c"]);
    assert_eq!(summary.customer_ids(), summary.data().ids().unwrap());
    let split = log
        .calibration_holdout(&Periods::days(), 5.0, None)
        .unwrap();
    assert_eq!(split.calibration().ids().unwrap(), split.customer_ids());
    assert_eq!(split.n_customers(), 3);
    // through a filter and back from the distinct customers to each id
    let data = summary.into_data();
    let repeaters = data.repeat_customers().unwrap();
    assert_eq!(repeaters.ids().unwrap(), ["b", "a"]);
    let (distinct, index) = data.distinct_customers();
    for (i, &k) in index.iter().enumerate() {
        assert_eq!(distinct.customer(k), data.customer(i), "{:?}", data.id(i));
    }
}
