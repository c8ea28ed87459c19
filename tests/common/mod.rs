//! Helpers shared by the tests that run the `fit` example as users do.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// `target/<profile>/examples/fit`, built (or brought up to date) once per test process with
/// the profile of the running tests, so that a test never runs a stale binary.
pub fn fit_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        let dir = exe.parent().unwrap().parent().unwrap();
        let bin = dir
            .join("examples")
            .join(format!("fit{}", std::env::consts::EXE_SUFFIX));
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--quiet", "--example", "fit", "--manifest-path"])
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"));
        // The profile `cargo test` builds with (and puts under `target/debug`), so that this
        // build finds the example up to date instead of rebuilding it with another profile.
        if dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        } else {
            cmd.args(["--profile", "test"]);
        }
        let status = cmd.status().unwrap();
        assert!(status.success(), "building examples/fit failed");
        assert!(bin.exists(), "{} not built", bin.display());
        bin
    })
    .clone()
}

/// Runs the `fit` example with `args` from the crate's root.
pub fn run_fit(args: &[&str]) -> Output {
    Command::new(fit_binary())
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

/// A run of `fit` under a time limit.
pub struct TimedRun {
    /// Exit code; `None` when the process was killed by a signal (or by the time limit).
    pub code: Option<i32>,
    /// Whether the time limit was hit (the process was then killed).
    pub timed_out: bool,
    /// Wall-clock time.
    pub elapsed: Duration,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs the `fit` example with `args`, killing it after `limit`; `scratch` is a path prefix for
/// the files that collect its output.
pub fn run_fit_timed(args: &[&str], limit: Duration, scratch: &Path) -> TimedRun {
    let out_path = scratch.with_extension("stdout");
    let err_path = scratch.with_extension("stderr");
    let start = Instant::now();
    let mut child = Command::new(fit_binary())
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            timed_out = true;
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    let read =
        |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
    TimedRun {
        code: if timed_out { None } else { status.code() },
        timed_out,
        elapsed,
        stdout: read(&out_path),
        stderr: read(&err_path),
    }
}

/// A path in a per-process temporary folder.
pub fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("clv-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// The rows (after the header, blank lines skipped) of `tests/data/NAME`, a comma-separated
/// file of reference vectors, as text fields.
pub fn read_vectors(name: &str) -> Vec<Vec<String>> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// A field of a reference vector as a number.
pub fn num(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("not a number: {s}"))
}

/// The shipped CDNOW calibration summary (Fader, Hardie & Lee 2005), in weeks.
pub fn cdnow() -> clv::RfmData {
    clv::RfmData::from_csv_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/cdnow_customers_summary.csv"
    ))
    .unwrap()
}

/// The 1,000 customers of scripts/covariates_reference.py, with the covariates `bin` and
/// `score`.
pub fn covariates_reference() -> clv::RfmData {
    clv::RfmData::from_csv_path_with_covariates(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/covariates_reference.csv"
        ),
        &["bin", "score"],
    )
    .unwrap()
}

/// CDNOW's customers' frequency and mean spend (`x`, `zbar` of the shipped summary with
/// transactions; Fader, Hardie & Lee 2005).
pub fn cdnow_spend() -> clv::SpendData {
    let (x, m) = cdnow_spend_columns();
    clv::SpendData::new(x, m).unwrap()
}

/// The columns behind [`cdnow_spend`]: frequency `x` and mean spend `zbar`, in file order.
pub fn cdnow_spend_columns() -> (Vec<f64>, Vec<f64>) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/cdnow_customers_summary_with_transactions.csv"
    );
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let (mut x, mut m) = (vec![], vec![]);
    for rec in rdr.records() {
        let rec = rec.unwrap();
        x.push(rec[1].parse::<f64>().unwrap());
        m.push(rec[4].parse::<f64>().unwrap());
    }
    (x, m)
}

/// The shipped CDNOW log (`data/CDNOW_sample.txt`) rewritten as `customer_id,date,cds,amount`
/// CSV with ISO dates, written once per test process (the tests run in parallel and must not
/// rewrite a file another one is reading).
pub fn cdnow_log_csv() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let raw = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/data/CDNOW_sample.txt"
        ))
        .unwrap();
        let mut csv = String::from("customer_id,date,cds,amount\n");
        for line in raw.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            let d = f[2];
            csv += &format!(
                "{},{}-{}-{},{},{}\n",
                f[0],
                &d[..4],
                &d[4..6],
                &d[6..],
                f[3],
                f[4]
            );
        }
        let path = tmp("cdnow_log.csv");
        std::fs::write(&path, csv).unwrap();
        path
    })
    .clone()
}

/// The JSON object a successful run of `fit` printed: the run must have exited 0 and printed
/// exactly one line.
pub fn json_of(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(
        stdout.trim().lines().count(),
        1,
        "exactly one JSON object: {stdout}"
    );
    serde_json::from_str(&stdout).unwrap()
}

/// The rows of a `--predictions` CSV of a model without customer ids: the header must be
/// `probability_alive,expected_transactions`; each row as `(P(alive), E[transactions])`.
pub fn prediction_rows(path: &Path) -> Vec<(f64, f64)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("probability_alive,expected_transactions")
    );
    lines
        .map(|l| {
            let (a, b) = l.split_once(',').unwrap();
            (a.parse().unwrap(), b.parse().unwrap())
        })
        .collect()
}

/// Ages of `n` customers spread evenly (golden-ratio steps) over CDNOW's 27 to 39 weeks.
pub fn ages(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 27.0 + 12.0 * (i as f64 * 0.618_033_988_749_895).fract())
        .collect()
}

/// The CSVs of `tests/data/hostile/` (written by `scripts/hostile_csvs.py`), sorted.
pub fn hostile_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/hostile");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    files
}
