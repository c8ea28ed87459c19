//! The parallel reader of plain summary files (`RfmData::from_plain_csv_reader`,
//! `RfmData::from_plain_csv_reader_distinct`) against the reader that names errors
//! (`RfmData::from_csv_reader`, `RfmData::from_csv_reader_distinct`): on every hostile file of
//! `tests/data/hostile/` (written by `scripts/hostile_csvs.py`), plain or not, under the column
//! aliases, and on files of several blocks with an error in either chunk, it gives exactly that
//! reader's rows or gives up, and `RfmData::from_csv_path` (plain path first, the other reader
//! on giving up) gives exactly that reader's rows or error.

use std::sync::atomic::{AtomicUsize, Ordering};

mod common;

use clv::RfmData;
use clv::data::{ColumnMap, Delimiter};
use common::hostile_files;

/// The outcome of a reading as comparable text: the data, or the error's message.
fn outcome<T: std::fmt::Debug>(r: clv::Result<T>) -> String {
    match r {
        Ok(d) => format!("{d:?}"),
        Err(e) => format!("error: {e}"),
    }
}

/// Checks `bytes` (also written to a file) against the reader of errors; returns whether the
/// plain path read it.
fn check(bytes: &[u8], what: &str) -> bool {
    let want = RfmData::from_csv_reader(bytes);
    let plain = RfmData::from_plain_csv_reader(bytes, &[]);
    if let Some(p) = &plain {
        assert!(Some(p) == want.as_ref().ok(), "{what}");
    }
    let want_distinct = RfmData::from_csv_reader_distinct(bytes);
    if let Some(p) = RfmData::from_plain_csv_reader_distinct(bytes) {
        assert_eq!(
            Some(&p),
            want_distinct.as_ref().ok().and_then(Option::as_ref),
            "{what}"
        );
    }
    let grouped = RfmData::from_plain_csv_reader_grouped(bytes);
    assert_eq!(grouped.is_some(), plain.is_some(), "{what}");
    if let Some((data, grouped)) = grouped {
        assert!(Some(&data) == want.as_ref().ok(), "{what}");
        assert!(grouped == data.distinct_customers(), "{what} (distinct)");
    }
    static FILES: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!("clv_plain_reader_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}.csv", FILES.fetch_add(1, Ordering::Relaxed)));
    std::fs::write(&path, bytes).unwrap();
    let (got, want) = (
        outcome(RfmData::from_csv_path(&path)),
        outcome(RfmData::from_csv_reader(bytes)),
    );
    std::fs::remove_file(&path).unwrap();
    // (compared whole, shown in part: a file of many rows prints long)
    assert!(got == want, "{what}: {:.300} != {:.300}", got, want);
    // Under the column aliases, as the fit command reads `--input`.
    let map = ColumnMap::summary_aliases();
    let mapped = map.read(bytes, Delimiter::Byte(b','), |r, _| {
        RfmData::from_csv_reader(r)
    });
    let mapped_plain = map.read(bytes, Delimiter::Byte(b','), |r, _| {
        Ok(RfmData::from_plain_csv_reader(r, &[]))
    });
    if let Ok(Some(p)) = &mapped_plain {
        assert!(Some(p) == mapped.as_ref().ok(), "{what} (aliases)");
    }
    plain.is_some()
}

#[test]
fn hostile_files_read_as_the_reader_of_errors_reads_them() {
    let mut plain = 0;
    let files = hostile_files();
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        if check(&bytes, &path.display().to_string()) {
            plain += 1;
        }
    }
    // Most hostile files are refused; the well-formed ones take the plain path.
    assert!(
        plain >= 5,
        "{plain} of {} files read by the plain path",
        files.len()
    );
}

/// A summary file of `n` rows, `\r\n` line ends when `crlf`, with a weight column.
fn big_file(n: usize, crlf: bool) -> String {
    let end = if crlf { "\r\n" } else { "\n" };
    let mut text = format!("customer_id,frequency,recency,T,weight{end}");
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    for i in 0..n {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let x = state % 9;
        let t = 20 + state % 31;
        let t_x = if x == 0 {
            0.0
        } else {
            (1 + state % 97) as f64 / 98.0 * t as f64
        };
        let w = 0.25 + (state % 5) as f64 * 0.5;
        text.push_str(&format!("c{i},{x},{t_x},{t},{w}{end}"));
    }
    text
}

#[test]
fn files_of_several_blocks_read_as_the_reader_reads_them() {
    // About 10 MB: more than one block of the plain reader, each cut into a chunk per core.
    for crlf in [false, true] {
        let text = big_file(260_000, crlf);
        assert!(check(text.as_bytes(), "big file"));
        let without_ids = text
            .lines()
            .map(|l| l.split_once(',').map_or(l, |(_, rest)| rest))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(check(without_ids.as_bytes(), "big file without ids"));
        if crlf {
            continue;
        }
        // An error at each place: the first row, the middle (where chunks are cut), the end of
        // the first block, the last row; a quote; a repeated id far from its first.
        let lines: Vec<&str> = text.lines().collect();
        let n = lines.len();
        for (row, bad) in [
            (1, "c0,1,x,30,1"),
            (n / 2, "cm,2,31,30,1"),
            (n / 2 + 1, "cm,\"2\",3,30,1"),
            (n * 8 / 10, "cb,1.5,3,30,1"),
            (n - 1, "c1,1,3,30,1"),
            (n - 1, "cz,1,3,30"),
        ] {
            let mut broken = lines.clone();
            broken[row] = bad;
            let broken = broken.join(if crlf { "\r\n" } else { "\n" });
            assert!(!check(broken.as_bytes(), bad), "{bad} read as plain");
        }
    }
}

#[test]
fn tiny_files_and_covariates_read_as_the_reader_reads_them() {
    for text in [
        "frequency,recency,T\n1,2,3\n",
        "frequency,recency,T\n1,2,3",
        "frequency,recency,T\r\n1,2,3\r\n\r\n",
        "x,t_x,T_cal\n1,2,3\n0,0,3\n",
        "frequency,recency,T\n",
        "",
    ] {
        check(text.as_bytes(), text);
    }
    let text = "customer_id,frequency,recency,T,age,urban\na,2,30,38,31,1\nb,0,0,38,58,0\n";
    let want = RfmData::from_csv_reader_with_covariates(text.as_bytes(), &["urban", "age"]);
    let got = RfmData::from_plain_csv_reader(text.as_bytes(), &["urban", "age"]);
    assert_eq!(got.as_ref(), Some(&want.unwrap()));
}

#[test]
fn a_huge_record_is_left_to_the_reader_of_errors() {
    let mut text = String::from("frequency,recency,T,note\n1,2,3,");
    text.push_str(&"a".repeat(clv::data::limits::MAX_RECORD_BYTES + 10));
    text.push_str("\n0,0,3,b\n");
    assert!(!check(text.as_bytes(), "huge record"));
}
