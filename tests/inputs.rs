//! Real inputs: column mappings, whitespace-separated files, date formats, the CDNOW master
//! log as distributed, and customers whose repeat purchases are worth $0.

use clv::data::{
    ColumnMap, Delimiter, Periods, TimeFormat, TransactionLog, TransactionReader, WhitespaceCsv,
};
use clv::value::{DiscountRate, Valuation};
use clv::{BgNbd, Error, FitOptions, GammaGamma, Model, RfmData, SpendData};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn path(name: &str) -> String {
    format!("{ROOT}/data/{name}")
}

#[test]
fn summary_with_paper_names_reads_through_a_mapping_or_the_aliases() {
    let file = path("cdnow_customers_summary_with_transactions.csv");
    let map = ColumnMap::parse("frequency=x,recency=t_x,T=T,monetary_value=zbar").unwrap();
    let mapped = map
        .read(
            std::fs::File::open(&file).unwrap(),
            Delimiter::Byte(b','),
            |r, _| RfmData::from_csv_reader(r),
        )
        .unwrap();
    let aliased = ColumnMap::summary_aliases()
        .read(
            std::fs::File::open(&file).unwrap(),
            Delimiter::Byte(b','),
            |r, _| RfmData::from_csv_reader(r),
        )
        .unwrap();
    assert_eq!(mapped, aliased);
    assert_eq!(mapped.len(), 2357);
    // The same customers as the shipped summary with the crate's names.
    let plain = RfmData::from_csv_path(path("cdnow_customers_summary.csv")).unwrap();
    assert_eq!(mapped.frequency(), plain.frequency());
    let fitted = BgNbd::fit(&mapped, &FitOptions::default()).unwrap();
    assert!((fitted.model().params()[0] - 0.243).abs() < 5e-4);
    // The spend fit on it: Fader & Hardie's 946 repeat customers.
    let spend = SpendData::from_rfm(&mapped).unwrap();
    assert_eq!(spend.repeat_customers().unwrap().len(), 946);
}

#[test]
fn mapping_keeps_every_record_whatever_the_line_ends() {
    let file = path("cdnow_customers_summary_with_transactions.csv");
    let text = std::fs::read_to_string(&file).unwrap();
    let map = ColumnMap::parse("frequency=x,recency=t_x,T=T,monetary_value=zbar").unwrap();
    let read = |bytes: Vec<u8>| {
        map.read(
            std::io::Cursor::new(bytes),
            Delimiter::Byte(b','),
            |r, _| RfmData::from_csv_reader(r),
        )
        .unwrap()
    };
    let unix = read(text.clone().into_bytes());
    assert_eq!(unix.len(), 2357);
    for end in ["\r\n", "\r"] {
        let other = read(text.replace('\n', end).into_bytes());
        assert_eq!(other, unix, "line ends {end:?}");
    }
}

#[test]
fn mapping_errors_name_the_files_columns() {
    let csv = "id,x,t_x,T\na,1,2,3\nb,1,5,3\n";
    let map = ColumnMap::parse("frequency=x,recency=t_x").unwrap();
    let e = map
        .read(csv.as_bytes(), Delimiter::Byte(b','), |r, _| {
            RfmData::from_csv_reader(r)
        })
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidData { row: 3, field, .. } if field == "t_x"),
        "{e}"
    );
    let e = ColumnMap::parse("frequency=X")
        .unwrap()
        .read(csv.as_bytes(), Delimiter::Byte(b','), |r, _| {
            RfmData::from_csv_reader(r)
        })
        .unwrap_err();
    assert!(e.to_string().contains("did you mean `x`"), "{e}");
    assert!(ColumnMap::parse("frequency").is_err());
    assert!(ColumnMap::parse("frequency=x,frequency=y").is_err());
}

#[test]
fn cdnow_master_log_reads_as_distributed() {
    let file = path("CDNOW_master_head.txt");
    let log = TransactionLog::from_cdnow_path(&file).unwrap();
    assert_eq!(log.len(), 200);
    assert_eq!(log.customer_ids()[0], "00001");
    assert_eq!(log.amounts().unwrap()[0], 11.77);
    // The general reader with whitespace, aliases and a detected date format agrees.
    let general = ColumnMap::log_aliases()
        .read(
            std::fs::File::open(&file).unwrap(),
            Delimiter::Whitespace,
            |r, d| {
                TransactionReader::new()
                    .optional_amount_column("amount")
                    .time_format(TimeFormat::Auto)
                    .delimiter(d)
                    .from_reader(r)
            },
        )
        .unwrap();
    assert_eq!(general.customer_ids(), log.customer_ids());
    assert_eq!(general.times(), log.times());
    assert_eq!(general.amounts(), log.amounts());
    let head = std::fs::read_to_string(&file).unwrap();
    assert_eq!(Delimiter::sniff(&head), Delimiter::Whitespace);
    // A bad line names its line number (the header is line 1).
    let bad = " customer_id  date number_of_cds  dollar_value\r\n 00001 19970101  1   11.77\r\n 00002 19971301  1   12.00\r\n";
    let e = TransactionLog::from_cdnow_reader(bad.as_bytes()).unwrap_err();
    assert!(
        matches!(&e, Error::InvalidData { row: 3, field, .. } if field == "date"),
        "{e}"
    );
    let e = ColumnMap::log_aliases()
        .read(bad.as_bytes(), Delimiter::Whitespace, |r, d| {
            TransactionReader::new()
                .time_format(TimeFormat::Auto)
                .delimiter(d)
                .from_reader(r)
        })
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidData { row: 3, field, .. } if field == "date"),
        "{e}"
    );
}

#[test]
fn date_formats() {
    let iso = "customer_id,date\na,1997-01-01\na,1997-01-08T12:00:00\n";
    let unix = "customer_id,date\na,852076800\na,852724800\n";
    let dmy = "customer_id,date\na,01/01/1997\na,08/01/1997 12:00\n";
    let read = |text: &str, f: TimeFormat| {
        TransactionReader::new()
            .time_format(f)
            .from_reader(text.as_bytes())
            .unwrap()
            .times()
            .to_vec()
    };
    let expected = vec![9862.0, 9869.5];
    assert_eq!(read(iso, TimeFormat::IsoDate), expected);
    assert_eq!(read(iso, TimeFormat::Auto), expected);
    assert_eq!(read(unix, TimeFormat::UnixSeconds), expected);
    let dmy_hm = "customer_id,date\na,01/01/1997 00:00\na,08/01/1997 12:00\n";
    assert_eq!(
        read(dmy_hm, TimeFormat::from_spec("%d/%m/%Y %H:%M").unwrap()),
        expected
    );
    let e = TransactionReader::new()
        .time_format(TimeFormat::from_spec("%d/%m/%Y").unwrap())
        .from_reader(dmy.as_bytes())
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidData { row: 3, field, .. } if field == "date"),
        "{e}"
    );
    assert!(e.to_string().contains("%d/%m/%Y"), "{e}");
}

#[test]
fn whitespace_summary() {
    let text = "  frequency   recency   T\n  2  30.43  38.86\n\t0 0 38.86\n";
    let d = RfmData::from_csv_reader(WhitespaceCsv::new(text.as_bytes())).unwrap();
    assert_eq!(d.recency(), &[30.43, 0.0]);
}

/// A log in which one repeat customer's only repeat purchase is worth $0: Gamma-Gamma fits
/// the others, counts it, and the batch CLV values it with the population mean spend.
#[test]
fn zero_spend_repeat_customer_does_not_stop_the_base() {
    let log = TransactionLog::from_cdnow_path(path("CDNOW_sample.txt")).unwrap();
    let (ids, times, amounts) = (
        log.customer_ids().to_vec(),
        log.times().to_vec(),
        log.amounts().unwrap().to_vec(),
    );
    let customer: Vec<&str> = log
        .customer_indices()
        .iter()
        .map(|&k| ids[k as usize].as_str())
        .collect();
    // Customer 00004's repeat purchases set to $0.
    let first = times[customer.iter().position(|c| *c == "00004").unwrap()];
    let zeroed: Vec<f64> = customer
        .iter()
        .zip(&times)
        .zip(&amounts)
        .map(|((c, &t), &a)| if *c == "00004" && t > first { 0.0 } else { a })
        .collect();
    let log = TransactionLog::new(customer, times, Some(zeroed)).unwrap();
    let summary = log.summarize(&Periods::days_in_weeks(), 10_134.0).unwrap();
    let data = summary.data();
    let k = data
        .ids()
        .unwrap()
        .iter()
        .position(|id| id == "00004")
        .unwrap();
    assert!(data.frequency()[k] > 0.0);
    assert_eq!(data.monetary_value().unwrap()[k], 0.0);
    let spend = SpendData::from_rfm(data).unwrap();
    assert_eq!(spend.n_zero_spend(), 1.0);
    let gg = GammaGamma::fit(&spend, &FitOptions::default()).unwrap();
    assert!(gg.converged());
    assert_eq!(
        gg.n_customers(),
        spend.repeat_customers().unwrap().len() as f64
    );
    let model = gg.model();
    let mean = model.mean_spend().unwrap();
    let expected = model.expected_average_spend_batch(&spend).unwrap();
    assert_eq!(expected[k], mean);
    let bg = BgNbd::fit(data, &FitOptions::default()).unwrap();
    let valuation =
        Valuation::continuous(1.0, DiscountRate::new(0.1, 52.0).unwrap(), None).unwrap();
    let values = valuation.customer_values(bg.model(), model, data).unwrap();
    assert_eq!(values.len(), data.len());
    assert!(values.iter().all(|v| v.is_finite() && *v >= 0.0));
    // Valued as a customer of the same history with the population mean spend.
    let alone = valuation
        .discounted_transactions(bg.model(), &data.customer(k).unwrap())
        .unwrap();
    assert!((values[k] - mean * alone).abs() <= 1e-12 * values[k]);
    // Every repeat customer at $0: nothing to fit, said so.
    let all_zero = SpendData::from_rfm(
        &RfmData::from_columns(
            vec![1.0, 2.0],
            vec![1.0, 2.0],
            vec![3.0, 3.0],
            Some(vec![0.0, 0.0]),
            None,
        )
        .unwrap(),
    )
    .unwrap();
    let e = GammaGamma::fit(&all_zero, &FitOptions::default()).unwrap_err();
    assert!(e.to_string().contains("spent 0"), "{e}");
}

mod common;

/// `examples/fit` reads the repository's `ID,x,t_x,T,zbar` summary as it is, and with a mapping
/// that names the id column its predictions gain a leading `customer_id`.
#[test]
fn fit_example_reads_paper_names_and_carries_ids() {
    let file = "data/cdnow_customers_summary_with_transactions.csv";
    let out = common::run_fit(&["--model", "bgnbd", "--input", file]);
    let v = common::json_of(&out);
    assert!((v["log_likelihood"].as_f64().unwrap() - -9582.426).abs() < 0.01);
    let pred = common::tmp("inputs_ids.csv");
    let out = common::run_fit(&[
        "--model",
        "bgnbd",
        "--input",
        file,
        "--columns",
        "customer_id=ID,frequency=x,recency=t_x,T=T",
        "--predictions",
        pred.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&pred).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("customer_id,probability_alive,expected_transactions")
    );
    assert!(lines.next().unwrap().starts_with("1,"));
    // Gamma-Gamma on the same file, the spend columns mapped.
    let out = common::run_fit(&[
        "--model",
        "gg",
        "--input",
        file,
        "--columns",
        "frequency=x,monetary_value=zbar",
    ]);
    let v = common::json_of(&out);
    assert_eq!(v["n_customers"], 946);
    // A mapped column the file lacks: exit 2 naming it.
    let out = common::run_fit(&[
        "--model",
        "bgnbd",
        "--input",
        file,
        "--columns",
        "frequency=X",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("field `X`"));
    for (flag, value) in [
        ("--columns", "frequency"),
        ("--delimiter", "ab"),
        ("--date-format", "%Q"),
    ] {
        let out = common::run_fit(&["--model", "bgnbd", "--input", file, flag, value]);
        assert_eq!(out.status.code(), Some(2), "{flag}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(flag),
            "{flag}"
        );
    }
}

/// `--transactions` takes the CDNOW logs as distributed and other date formats.
#[test]
fn fit_example_reads_cdnow_logs_and_date_formats() {
    let run = |args: &[&str]| {
        let out = common::run_fit(args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let iso = run(&[
        "--model",
        "bgnbd",
        "--transactions",
        "data/CDNOW_sample.txt",
        "--calibration-end",
        "1997-09-30",
    ]);
    let compact = run(&[
        "--model",
        "bgnbd",
        "--transactions",
        "data/CDNOW_sample.txt",
        "--calibration-end",
        "19970930",
        "--date-format",
        "%Y%m%d",
    ]);
    assert_eq!(iso, compact);
    assert_eq!(iso["n_customers"], 2357);
    let master = run(&[
        "--model",
        "bgnbd",
        "--transactions",
        "data/CDNOW_master_head.txt",
        "--calibration-end",
        "1997-03-31",
    ]);
    assert!(master["n_customers"].as_u64().unwrap() > 0);
}

/// The streaming reader gives the compressed rows of the in-memory reader, and `--compressed`
/// the same fit.
#[test]
fn streaming_compressed_summaries() {
    let file = path("cdnow_customers_summary.csv");
    let streamed =
        RfmData::from_csv_reader_compressed(std::fs::File::open(&file).unwrap()).unwrap();
    let in_memory = RfmData::from_csv_path(&file)
        .unwrap()
        .without_ids()
        .compress();
    assert_eq!(streamed, in_memory);
    let e = RfmData::from_csv_reader_compressed("frequency,recency,T\n1,1,2\n1,3,2\n".as_bytes())
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidData { row: 3, field, .. } if field == "recency"),
        "{e}"
    );
    let a = common::run_fit(&[
        "--model",
        "pnbd",
        "--input",
        "data/cdnow_customers_summary.csv",
    ]);
    let b = common::run_fit(&[
        "--model",
        "pnbd",
        "--input",
        "data/cdnow_customers_summary.csv",
        "--compressed",
    ]);
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    assert_eq!(a.stdout, b.stdout);
    let c = common::run_fit(&[
        "--model",
        "pnbd",
        "--input",
        "data/cdnow_customers_summary.csv",
        "--compressed",
        "--predictions",
        "x.csv",
    ]);
    assert_eq!(c.status.code(), Some(2));
}

/// Predictions of a plain file without ids (its distinct rows and index read without the rows
/// themselves) are those of the same rows read whole: the same report and, row by row, the same
/// values as the file with a `customer_id` column gives after the id.
#[test]
fn predictions_without_ids_are_those_of_the_rows_read_whole() {
    let text = std::fs::read_to_string("data/cdnow_customers_summary.csv").unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    let with_ids = common::tmp("inputs_plain_ids.csv");
    let without = common::tmp("inputs_plain_no_ids.csv");
    let table = |header: &str, row: &dyn Fn(&str) -> String| {
        std::iter::once(header.to_string())
            .chain(rows.iter().map(|line| row(line)))
            .map(|line| line + "\n")
            .collect::<String>()
    };
    let ids = table("customer_id,frequency,recency,T", &|line| line.to_string());
    let plain = table("frequency,recency,T", &|line| {
        line.split_once(',').unwrap().1.to_string()
    });
    std::fs::write(&with_ids, ids).unwrap();
    std::fs::write(&without, plain).unwrap();
    for model in ["bgnbd", "pnbd"] {
        let run = |input: &std::path::Path, out: &std::path::Path| {
            let (input, out) = (input.to_str().unwrap(), out.to_str().unwrap());
            let args = ["--model", model, "--input", input, "--predictions", out];
            let run = common::run_fit(&args);
            assert!(
                run.status.success(),
                "{}",
                String::from_utf8_lossy(&run.stderr)
            );
            (common::json_of(&run), std::fs::read_to_string(out).unwrap())
        };
        let (report_ids, csv_ids) = run(&with_ids, &common::tmp("inputs_pred_ids.csv"));
        let (report, csv) = run(&without, &common::tmp("inputs_pred_no_ids.csv"));
        assert_eq!(report_ids, report, "{model}");
        assert!(csv_ids.starts_with("customer_id,"), "{model}");
        let after_id: Vec<&str> = csv_ids
            .lines()
            .map(|line| line.split_once(',').unwrap().1)
            .collect();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), rows.len() + 1, "{model}");
        assert_eq!(after_id, lines, "{model}");
    }
}

/// The summaries a fit needs, read as a stream of distinct rows, are the rows a fit of the
/// whole file sees (the same distinct rows, weights and order), and a bad row gives the same
/// error, monetary values included; a file with ids is left to the whole reader.
#[test]
fn distinct_summaries_are_what_a_fit_of_the_file_sees() {
    let mut csv = String::from("frequency,recency,T,monetary_value,weight\n");
    for i in 0..5_000u32 {
        let x = i % 7;
        let t = 10 + i % 13;
        let r = if x == 0 { 0 } else { 1 + (i % 5) };
        csv.push_str(&format!("{x},{r},{t},{}.5,{}\n", i % 40, 1 + i % 3));
    }
    let streamed = RfmData::from_csv_reader_distinct(csv.as_bytes())
        .unwrap()
        .expect("no ids");
    let whole = RfmData::from_csv_reader(csv.as_bytes()).unwrap();
    let (distinct, _) = whole.distinct_customers();
    assert_eq!(streamed, distinct);
    for bad in [
        "2,1,5,-3,1\n",
        "2,1,5,1e400,1\n",
        "2,9,5,1,1\n",
        "2,1,5,x,1\n",
    ] {
        let text = format!("{csv}{bad}");
        let a = RfmData::from_csv_reader_distinct(text.as_bytes()).unwrap_err();
        let b = RfmData::from_csv_reader(text.as_bytes()).unwrap_err();
        assert_eq!(a.to_string(), b.to_string());
    }
    let ids = "customer_id,frequency,recency,T\na,1,1,5\na,1,1,5\n";
    assert!(
        RfmData::from_csv_reader_distinct(ids.as_bytes())
            .unwrap()
            .is_none()
    );
}
