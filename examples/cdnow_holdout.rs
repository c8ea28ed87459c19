//! From the raw CDNOW log to a validated forecast.
//!
//! Reads `data/CDNOW_sample.txt` (one line per transaction), builds the calibration summary
//! (1997-01-01 to 1997-09-30, 39 weeks; same-day purchases merged; weeks as unit) and the holdout
//! (to 1998-06-30, weeks 40–78), fits every transaction model listed in `models()`, prints the
//! diagnostics of all models side by side and, with the `plot` feature, writes SVG charts to a
//! folder (default `target/plots`):
//!
//! ```text
//! cargo run --release --features plot --example cdnow_holdout -- [OUT_DIR]
//! ```

use std::fmt::Display;

use clv::data::{CalibrationHoldout, Periods, TransactionLog, days_from_civil};
use clv::diagnostics::{self, Diagnostics};
use clv::{BgNbd, FitOptions, Fitted, Model, ParetoNbd, RfmData, TransactionModel};

/// A fitted model as the example needs it: the model, its log-likelihood and a description.
struct FittedModel {
    name: &'static str,
    model: Box<dyn TransactionModel>,
    log_likelihood: f64,
    description: String,
}

/// Wraps any fitted transaction model.
fn fitted<M: Model + TransactionModel + Display + 'static>(
    name: &'static str,
    fit: clv::Result<Fitted<M>>,
) -> clv::Result<FittedModel> {
    let fit = fit?;
    let params: Vec<String> = M::PARAM_NAMES
        .iter()
        .zip(fit.model().params())
        .zip(
            fit.std_errors()
                .map_or(vec![f64::NAN; M::PARAM_NAMES.len()], <[f64]>::to_vec),
        )
        .map(|((n, v), se)| format!("{n} = {v:.4} ({se:.4})"))
        .collect();
    Ok(FittedModel {
        name,
        log_likelihood: fit.log_likelihood(),
        description: params.join(", "),
        model: Box::new(fit.into_model()),
    })
}

/// The models to compare: adding one is one line.
fn models(data: &RfmData) -> clv::Result<Vec<FittedModel>> {
    let options = FitOptions::default();
    Ok(vec![
        fitted("BG/NBD", BgNbd::fit(data, &options))?,
        fitted("Pareto/NBD", ParetoNbd::fit(data, &options))?,
    ])
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/plots".to_string());
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/CDNOW_sample.txt");
    let log = TransactionLog::from_cdnow_path(path)?;
    let day = |y, m, d| days_from_civil(y, m, d).map(|v| v as f64).ok_or("bad date");
    let split = log.calibration_holdout(
        &Periods::days_in_weeks(),
        day(1997, 9, 30)?,
        Some(day(1998, 6, 30)?),
    )?;
    let cal = split.calibration();
    println!(
        "CDNOW: {} transactions, {} customers; calibration weeks 1-{} (to 1997-09-30), holdout {} weeks",
        log.len(),
        split.n_customers(),
        split.calibration_end(),
        split.holdout_duration()
    );
    println!(
        "calibration: {} repeat transactions, {} customers without one; holdout: {} repeat transactions\n",
        cal.frequency().iter().sum::<f64>(),
        cal.frequency().iter().filter(|&&x| x == 0.0).count(),
        split.holdout_transactions().iter().sum::<f64>()
    );

    let fits = models(cal)?;
    for f in &fits {
        println!(
            "{:<10} LL {:.4}   {}",
            f.name, f.log_likelihood, f.description
        );
    }
    let reports: Vec<Diagnostics> = fits
        .iter()
        .map(|f| diagnostics::diagnose(f.model.as_ref(), &split, 7))
        .collect::<clv::Result<_>>()?;
    print_tables(&fits, &reports, &split);

    #[cfg(feature = "plot")]
    write_plots(&out_dir, &fits, &reports, &split)?;
    #[cfg(not(feature = "plot"))]
    println!("\n(no charts written to {out_dir}: run with --features plot)");
    Ok(())
}

fn print_tables(fits: &[FittedModel], reports: &[Diagnostics], split: &CalibrationHoldout) {
    let header = |first: &str, extra: &[&str]| {
        let mut h = format!("{first:>6}");
        for e in extra {
            h += &format!(" {e:>10}");
        }
        for f in fits {
            h += &format!(" {:>10}", f.name);
        }
        h
    };
    let first = &reports[0];

    println!("\nCustomers by repeat transactions in calibration (actual vs expected)");
    println!("{}", header("x", &["actual"]));
    for i in 0..first.histogram.frequency.len() {
        let mut line = format!(
            "{:>6} {:>10.0}",
            first.histogram.label(i),
            first.histogram.actual[i]
        );
        for r in reports {
            line += &format!(" {:>10.1}", r.histogram.expected[i]);
        }
        println!("{line}");
    }

    println!(
        "\nMean holdout transactions per customer ({} weeks) by calibration frequency",
        split.holdout_duration()
    );
    println!("{}", header("x", &["customers", "actual"]));
    let bf = &first.by_frequency;
    for i in 0..bf.frequency.len() {
        let mut line = format!(
            "{:>6} {:>10.0} {:>10.3}",
            bf.label(i),
            bf.n_customers[i],
            bf.actual[i]
        );
        for r in reports {
            line += &format!(" {:>10.3}", r.by_frequency.expected[i]);
        }
        println!("{line}");
    }

    println!("\nCumulative repeat transactions (tracking)");
    println!("{}", header("week", &["actual"]));
    let t = &first.tracking;
    for (k, &time) in t.time.iter().enumerate() {
        let week = k + 1;
        if week % 6 != 0 && week != 39 && week != t.time.len() {
            continue;
        }
        let mut line = format!("{time:>6.0} {:>10.0}", t.actual_cumulative[k]);
        for r in reports {
            line += &format!(" {:>10.1}", r.tracking.expected_cumulative[k]);
        }
        println!("{line}");
    }

    println!("\nHoldout forecast errors");
    println!(
        "{:>10} {:>10} {:>10} {:>10} {:>8} {:>10} {:>12}",
        "model", "predicted", "actual", "error %", "MAE", "RMSE", "weekly MAE"
    );
    for (f, r) in fits.iter().zip(reports) {
        let h = &r.holdout;
        println!(
            "{:>10} {:>10.1} {:>10.0} {:>+10.2} {:>8.4} {:>10.4} {:>12.3}",
            f.name,
            h.predicted_total,
            h.actual_total,
            100.0 * h.relative_total_error,
            h.mae,
            h.rmse,
            r.tracking_holdout.mae
        );
    }
    println!(
        "(per customer: conditional expectation E[Y(39) | x, t_x, T] vs actual; weekly MAE: \
         incremental tracking, weeks 40-78)"
    );
}

#[cfg(feature = "plot")]
fn write_plots(
    out_dir: &str,
    fits: &[FittedModel],
    reports: &[Diagnostics],
    split: &CalibrationHoldout,
) -> Result<(), Box<dyn std::error::Error>> {
    use clv::plot::{self, PlotOptions};
    std::fs::create_dir_all(out_dir)?;
    let options = PlotOptions::new("weeks");
    let max_t = split
        .calibration()
        .age()
        .iter()
        .copied()
        .fold(0.0, f64::max);
    for (f, r) in fits.iter().zip(reports) {
        let slug: String = f
            .name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_lowercase();
        let grid = diagnostics::probability_alive_grid(f.model.as_ref(), 30, max_t, 60)?;
        let charts = [
            (
                "histogram",
                plot::calibration_histogram(&r.histogram, &options)?,
            ),
            (
                "holdout_by_frequency",
                plot::holdout_by_frequency(&r.by_frequency, &options)?,
            ),
            (
                "tracking_cumulative",
                plot::tracking(&r.tracking, true, &options)?,
            ),
            (
                "tracking_weekly",
                plot::tracking(&r.tracking, false, &options)?,
            ),
            ("p_alive", plot::probability_alive_heatmap(&grid, &options)?),
        ];
        for (name, svg) in charts {
            let file = format!("{out_dir}/{slug}_{name}.svg");
            std::fs::write(&file, svg)?;
            println!("wrote {file}");
        }
    }
    Ok(())
}
