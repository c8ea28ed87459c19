//! The Rust side of the Python timing (`python/benches/timing.py`): reads the columns the
//! script wrote (little-endian f64: x, t_x, T), then times building the data, the BG/NBD fit and
//! the two batch predictions, as the Python binding does them. Prints the times as JSON and
//! writes the predictions beside the columns (`p_alive.f64`, `expected.f64`).
//!
//! ```text
//! cargo run --release -p clv-python --example timing -- DIR [REPEATS]
//! ```

use std::time::Instant;

use clv::{BgNbd, FitOptions, RfmData, TransactionModel};

fn column(path: &std::path::Path) -> Result<Vec<f64>, Box<dyn std::error::Error>> {
    let bytes = std::fs::read(path)?;
    Ok(bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .collect())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).ok_or("usage: timing DIR")?);
    let (x, t_x, t) = (
        column(&dir.join("x.f64"))?,
        column(&dir.join("t_x.f64"))?,
        column(&dir.join("T.f64"))?,
    );
    let repeats: usize = std::env::args()
        .nth(2)
        .map_or(Ok(3), |r| r.parse())
        .map_err(|e| format!("repeats: {e}"))?;
    let mut best = (f64::INFINITY, f64::INFINITY);
    let mut out = (0.0, Vec::new(), Vec::new());
    for _ in 0..repeats {
        let start = Instant::now();
        let data = RfmData::from_columns(x.clone(), t_x.clone(), t.clone(), None, None)?;
        let fit = BgNbd::fit(&data, &FitOptions::default())?;
        let fit_s = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let data = RfmData::from_columns(x.clone(), t_x.clone(), t.clone(), None, None)?;
        let p = fit.model().probability_alive_batch(&data);
        let data = RfmData::from_columns(x.clone(), t_x.clone(), t.clone(), None, None)?;
        let y = fit
            .model()
            .conditional_expected_transactions_batch(&data, 39.0)?;
        let predict_s = start.elapsed().as_secs_f64();
        best = (best.0.min(fit_s), best.1.min(predict_s));
        out = (fit.log_likelihood(), p.to_vec(), y.to_vec());
    }
    for (name, v) in [("p_alive", &out.1), ("expected", &out.2)] {
        let bytes: Vec<u8> = v.iter().flat_map(|f| f.to_le_bytes()).collect();
        std::fs::write(dir.join(format!("{name}.f64")), bytes)?;
    }
    println!(
        "{{\"customers\":{},\"fit_s\":{},\"predict_s\":{},\"log_likelihood\":{:?}}}",
        x.len(),
        best.0,
        best.1,
        out.0
    );
    Ok(())
}
