//! Projecting customer retention with the shifted-beta-geometric model (Fader & Hardie 2007,
//! "How to project customer retention"; 2010, "Customer-base valuation in a contractual
//! setting").
//!
//! Fits the sBG model to years 0–7 of the two segments in `data/sbg_retention_cohorts.csv`,
//! prints the projected survivors of years 8–12 next to the actual counts, and the discounted
//! expected residual lifetime (DERL) of customers with 1–5 renewals at a 10% discount rate.
//!
//! ```text
//! cargo run --release --example retention
//! ```

use clv::data::Cohort;
use clv::{FitOptions, Sbg};

const CALIBRATION_YEARS: usize = 8; // years 0..=7
const DISCOUNT: f64 = 0.10;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/sbg_retention_cohorts.csv"
    );
    let mut reader = csv::Reader::from_path(path)?;
    let header = reader.headers()?.clone();
    let segments: Vec<(usize, String)> = header
        .iter()
        .enumerate()
        .filter_map(|(i, h)| h.strip_suffix("_alive").map(|s| (i, s.replace('_', " "))))
        .collect();
    let mut counts = vec![Vec::new(); segments.len()];
    for record in reader.records() {
        let record = record?;
        for (k, (i, _)) in segments.iter().enumerate() {
            counts[k].push(record[*i].trim().parse::<f64>()?);
        }
    }

    for ((_, name), alive) in segments.iter().zip(&counts) {
        let calibration = Cohort::new(alive[..CALIBRATION_YEARS].to_vec())?.with_name(name);
        let data = clv::CohortData::new(vec![calibration])?;
        let fitted = Sbg::fit_cohorts(&data, &FitOptions::default())?;
        let model = fitted.model();
        let se = fitted.std_errors().unwrap_or(&[f64::NAN, f64::NAN]);
        println!("== {name} (fitted on years 0-{}) ==", CALIBRATION_YEARS - 1);
        println!("{model}");
        println!(
            "alpha = {:.4} (SE {:.4}), beta = {:.4} (SE {:.4}), LL = {:.4}, converged: {}",
            model.alpha(),
            se[0],
            model.beta(),
            se[1],
            fitted.log_likelihood(),
            fitted.converged()
        );
        println!("\n year   actual   projected   retention rate");
        for year in CALIBRATION_YEARS..alive.len() {
            let t = year as u32;
            println!(
                "{year:>5} {:>8.0} {:>11.1} {:>16.4}",
                alive[year],
                model.expected_survivors(alive[0], t)?,
                model.retention_rate(t)?
            );
        }
        println!(
            "\nDEL at d = {:.0}%: {:.4}",
            100.0 * DISCOUNT,
            model.discounted_expected_lifetime(DISCOUNT)?
        );
        println!("DERL at d = {:.0}% (n = renewals + 1):", 100.0 * DISCOUNT);
        for renewals in 1..=5u32 {
            println!(
                "  {renewals} renewal(s) (n = {}): {:.4}",
                renewals + 1,
                model.discounted_expected_residual_lifetime(DISCOUNT, renewals)?
            );
        }
        println!();
    }
    Ok(())
}
