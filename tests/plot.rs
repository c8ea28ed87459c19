//! Every chart renders to a non-empty SVG document carrying its axis labels.
#![cfg(feature = "plot")]

use clv::data::{Periods, TransactionLog, days_from_civil};
use clv::plot::{self, PlotOptions};
use clv::{BgNbd, diagnostics};

const CDNOW_LOG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/CDNOW_sample.txt");

fn check(svg: &str, labels: &[&str]) {
    assert!(svg.starts_with("<svg") || svg.contains("<svg"), "not SVG");
    assert!(
        svg.len() > 1000,
        "suspiciously small SVG: {} bytes",
        svg.len()
    );
    assert!(svg.trim_end().ends_with("</svg>"));
    for l in labels {
        assert!(svg.contains(l), "missing label {l:?}");
    }
}

#[test]
fn every_chart_renders_with_axis_labels() {
    let log = TransactionLog::from_cdnow_path(CDNOW_LOG).unwrap();
    let cut = days_from_civil(1997, 9, 30).unwrap() as f64;
    let split = log
        .calibration_holdout(&Periods::days_in_weeks(), cut, None)
        .unwrap();
    // BTYD vignette estimates of the BG/NBD on CDNOW
    let model = BgNbd::new(0.2425982, 4.413684, 0.7929899, 2.426167).unwrap();
    let d = diagnostics::diagnose(&model, &split, 7).unwrap();
    let options = PlotOptions::new("weeks");

    let svg = plot::calibration_histogram(&d.histogram, &options).unwrap();
    check(
        &svg,
        &[
            "repeat transactions in calibration",
            "customers",
            "7+",
            "actual",
            "expected",
        ],
    );

    let svg = plot::holdout_by_frequency(&d.by_frequency, &options).unwrap();
    check(
        &svg,
        &[
            "repeat transactions in calibration",
            "mean transactions in holdout (39 weeks)",
        ],
    );

    let svg = plot::tracking(&d.tracking, true, &options).unwrap();
    check(
        &svg,
        &[
            "time (weeks)",
            "cumulative repeat transactions",
            "end of calibration",
        ],
    );

    let svg = plot::tracking(&d.tracking, false, &options).unwrap();
    check(&svg, &["time (weeks)", "repeat transactions per week"]);

    let grid = diagnostics::probability_alive_grid(&model, 20, 39.0, 40).unwrap();
    let svg = plot::probability_alive_heatmap(&grid, &options).unwrap();
    check(
        &svg,
        &[
            "recency (weeks)",
            "frequency (repeat transactions)",
            "P(alive)",
        ],
    );

    if let Ok(dir) = std::env::var("CLV_PLOT_DIR") {
        std::fs::write(format!("{dir}/heatmap.svg"), &svg).unwrap();
    }

    let tiny = PlotOptions {
        width: 10,
        ..PlotOptions::default()
    };
    assert!(plot::calibration_histogram(&d.histogram, &tiny).is_err());
}
