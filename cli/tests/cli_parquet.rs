//! `clv` on Parquet and Arrow IPC files (feature `parquet`): a log with `Date32` dates and one
//! with millisecond timestamps give the same values as the CDNOW log as distributed; a summary
//! written to Parquet reads back exactly.
#![cfg(feature = "parquet")]

mod common;

use common::{clv, tmp};
use std::sync::Arc;

use arrow_array::{
    ArrayRef, Date32Array, Float64Array, RecordBatch, StringArray, TimestampMillisecondArray,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};

/// The CDNOW sample as columns: ids, days since 1970-01-01, amounts.
fn cdnow() -> (Vec<String>, Vec<i32>, Vec<f64>) {
    let log = clv::data::TransactionLog::from_cdnow_path("../data/CDNOW_sample.txt").unwrap();
    let ids = log
        .customer_indices()
        .iter()
        .map(|&k| log.customer_ids()[k as usize].clone())
        .collect();
    let days = log.times().iter().map(|&t| t as i32).collect();
    (ids, days, log.amounts().unwrap().to_vec())
}

fn values(log: &str) -> String {
    let out = clv(&["value", "--transactions", log, "-q"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn logs_in_parquet_and_arrow_ipc() {
    let (ids, days, amounts) = cdnow();
    let expected = values("data/CDNOW_sample.txt");

    // Parquet, other column names, Date32 dates.
    let schema = Arc::new(Schema::new(vec![
        Field::new("user_id", DataType::Utf8, false),
        Field::new("order_date", DataType::Date32, false),
        Field::new("revenue", DataType::Float64, false),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(ids.clone())),
        Arc::new(Date32Array::from(days.clone())),
        Arc::new(Float64Array::from(amounts.clone())),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    let path = tmp("log.parquet");
    let mut w =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), schema, None)
            .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    assert_eq!(values(path.to_str().unwrap()), expected);

    // Arrow IPC, timestamps in milliseconds (noon UTC), mapped by --columns.
    let schema = Arc::new(Schema::new(vec![
        Field::new("cust", DataType::Utf8, false),
        Field::new(
            "ts",
            DataType::Timestamp(TimeUnit::Millisecond, None),
            false,
        ),
        Field::new("spent", DataType::Float64, false),
    ]));
    let ms: Vec<i64> = days
        .iter()
        .map(|&d| (i64::from(d) * 86_400 + 43_200) * 1000)
        .collect();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(ids)),
        Arc::new(TimestampMillisecondArray::from(ms)),
        Arc::new(Float64Array::from(amounts)),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    let path = tmp("log.arrow");
    let mut w =
        arrow_ipc::writer::FileWriter::try_new(std::fs::File::create(&path).unwrap(), &schema)
            .unwrap();
    w.write(&batch).unwrap();
    w.finish().unwrap();
    let out = clv(&[
        "value",
        "--transactions",
        path.to_str().unwrap(),
        "--columns",
        "customer_id=cust,date=ts,amount=spent",
        "-q",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
}

#[test]
fn summaries_round_trip_through_parquet() {
    let csv = tmp("summary.csv");
    let pq = tmp("summary.parquet");
    for out in [csv.to_str().unwrap(), pq.to_str().unwrap()] {
        let o = clv(&[
            "summarize",
            "--transactions",
            "data/CDNOW_sample.txt",
            "--calibration-end",
            "1997-09-30",
            "--output",
            out,
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let from_csv = clv::RfmData::from_csv_path(&csv).unwrap();
    let from_parquet =
        clv::RfmData::from_csv_reader(clv::data::ColumnarCsv::open(&pq).unwrap()).unwrap();
    assert_eq!(from_csv, from_parquet);
    let a = clv(&["fit", "--model", "bgnbd", "--input", csv.to_str().unwrap()]);
    let b = clv(&["fit", "--model", "bgnbd", "--input", pq.to_str().unwrap()]);
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    assert_eq!(a.stdout, b.stdout);
}
