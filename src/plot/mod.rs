//! SVG charts of the [`diagnostics`](crate::diagnostics) numbers (feature `plot`).
//!
//! Each function draws from numbers already computed and returns the SVG document as a string
//! (write it to a file with [`std::fs::write`]). Drawing uses `plotters`' SVG backend: text is
//! written as SVG `<text>` elements, so no system library or font file is needed.
//!
//! ```
//! use clv::{BgNbd, diagnostics, plot};
//! let model = BgNbd::new(0.243, 4.414, 0.793, 2.426)?;
//! let grid = diagnostics::probability_alive_grid(&model, 20, 39.0, 40)?;
//! let svg = plot::probability_alive_heatmap(&grid, &plot::PlotOptions::new("weeks"))?;
//! assert!(svg.contains("recency (weeks)"));
//! # Ok::<(), clv::Error>(())
//! ```

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use crate::diagnostics::{AliveGrid, FrequencyHistogram, HoldoutByFrequency, Tracking};
use crate::error::{Error, Result};

mod insight;
pub use insight::*;

/// Size and time-unit label of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotOptions {
    /// Name of the time unit, used in axis labels (e.g. `"weeks"`).
    pub time_unit: String,
    /// Width in pixels (default 800).
    pub width: u32,
    /// Height in pixels (default 500).
    pub height: u32,
}

impl PlotOptions {
    /// Default size (800 × 500) with the given time-unit name.
    pub fn new(time_unit: impl Into<String>) -> Self {
        PlotOptions {
            time_unit: time_unit.into(),
            width: 800,
            height: 500,
        }
    }
}

impl Default for PlotOptions {
    fn default() -> Self {
        Self::new("weeks")
    }
}

fn draw_err(e: impl std::fmt::Display) -> Error {
    Error::Io(format!("drawing the chart failed: {e}"))
}

const ACTUAL: RGBColor = RGBColor(31, 119, 180);
const EXPECTED: RGBColor = RGBColor(255, 127, 14);
const FONT: &str = "sans-serif";

/// Axis tick text: at most 3 decimals, trailing zeros dropped (`200`, `0.25`).
fn tick(v: &f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// A number for people: thousands separated by commas, 0 decimals from 100 up, 1 from 10,
/// 2 below (trailing zeros dropped): `12,345`, `42.5`, `0.25`.
pub(crate) fn number(v: f64) -> String {
    if !v.is_finite() {
        return "–".to_string();
    }
    let a = v.abs();
    let decimals = if a >= 100.0 {
        0
    } else if a >= 10.0 {
        1
    } else {
        2
    };
    let s = format!("{a:.decimals$}");
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let frac = frac.trim_end_matches('0');
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    if v < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.insert(0, '-');
    }
    out
}

/// Axis tick text for whole-number axes: the integer, or nothing between integers.
fn int_tick(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        tick(v)
    } else {
        String::new()
    }
}

/// Largest finite value of the series, at least `floor` (so an axis never collapses).
fn top(series: &[&[f64]], floor: f64) -> f64 {
    series
        .iter()
        .flat_map(|s| s.iter())
        .copied()
        .filter(|v| v.is_finite())
        .fold(floor, f64::max)
}

/// Renders `draw` on an SVG canvas and returns the document.
fn render(
    options: &PlotOptions,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<()>,
) -> Result<String> {
    if options.width < 100 || options.height < 100 {
        return Err(Error::param(
            "width/height",
            f64::from(options.width.min(options.height)),
            "chart must be at least 100 × 100 pixels",
        ));
    }
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (options.width, options.height)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        draw(&root)?;
        root.present().map_err(draw_err)?;
    }
    Ok(svg)
}

/// A chart builder with the house layout: a caption and room for labelled axes.
fn frame<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, Shift>,
    caption: &str,
) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(caption, (FONT, 22))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(70);
    builder
}

/// Tick labels for bins at 0, 1, …: the bin's label at whole positions, nothing elsewhere.
fn bin_labels(labels: &[String]) -> impl Fn(&f64) -> String + '_ {
    move |v: &f64| {
        let r = v.round();
        if (v - r).abs() < 1e-6 && r >= 0.0 && (r as usize) < labels.len() {
            labels[r as usize].clone()
        } else {
            String::new()
        }
    }
}

/// Grouped bars of actual and expected values per frequency bin.
fn grouped_bars(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    caption: &str,
    labels: &[String],
    actual: &[f64],
    expected: &[f64],
    x_desc: &str,
    y_desc: &str,
) -> Result<()> {
    let y_max = top(&[actual, expected], 1.0) * 1.08;
    let axes = CategoryAxes {
        caption,
        labels,
        max_labels: labels.len(),
        y_max,
        y_format: &tick,
        x_desc,
        y_desc,
    };
    let mut chart = category_chart(root, &axes)?;
    chart
        .draw_series(
            actual.iter().enumerate().map(|(i, &v)| {
                Rectangle::new([(i as f64 - 0.4, 0.0), (i as f64, v)], ACTUAL.filled())
            }),
        )
        .map_err(draw_err)?
        .label("actual")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], ACTUAL.filled()));
    chart
        .draw_series(expected.iter().enumerate().map(|(i, &v)| {
            Rectangle::new([(i as f64, 0.0), (i as f64 + 0.4, v)], EXPECTED.filled())
        }))
        .map_err(draw_err)?
        .label("expected")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], EXPECTED.filled()));
    labels_box(&mut chart, SeriesLabelPosition::UpperRight)
}

/// Bar chart of a [`FrequencyHistogram`]: customers by number of repeat transactions in
/// calibration, actual vs expected. Axes: "repeat transactions in calibration" and "customers".
///
/// # Errors
/// [`Error::InvalidParameter`] for a canvas under 100 × 100 pixels; [`Error::Io`] when drawing fails.
pub fn calibration_histogram(hist: &FrequencyHistogram, options: &PlotOptions) -> Result<String> {
    let labels: Vec<String> = (0..hist.frequency.len()).map(|i| hist.label(i)).collect();
    render(options, |root| {
        grouped_bars(
            root,
            "Calibration: customers by number of repeat transactions",
            &labels,
            &hist.actual,
            &hist.expected,
            "repeat transactions in calibration",
            "customers",
        )
    })
}

/// Line chart of a [`HoldoutByFrequency`]: mean holdout transactions per customer by calibration
/// frequency, actual vs conditional expected. Axes: "repeat transactions in calibration" and
/// "mean transactions in holdout (D `unit`)".
///
/// # Errors
/// [`Error::InvalidParameter`] for a canvas under 100 × 100 pixels; [`Error::Io`] when drawing fails.
pub fn holdout_by_frequency(table: &HoldoutByFrequency, options: &PlotOptions) -> Result<String> {
    let n = table.frequency.len();
    let labels: Vec<String> = (0..n).map(|i| table.label(i)).collect();
    let y_desc = format!(
        "mean transactions in holdout ({} {})",
        table.duration, options.time_unit
    );
    render(options, |root| {
        let y_max = top(&[&table.actual, &table.expected], 0.1) * 1.08;
        let mut chart = frame(root, "Holdout transactions by calibration frequency")
            .build_cartesian_2d(-0.3f64..(n as f64 - 0.7), 0f64..y_max)
            .map_err(draw_err)?;
        let label_of = bin_labels(&labels);
        chart
            .configure_mesh()
            .x_labels(n + 1)
            .x_label_formatter(&label_of)
            .y_label_formatter(&tick)
            .x_desc("repeat transactions in calibration")
            .y_desc(y_desc.as_str())
            .draw()
            .map_err(draw_err)?;
        for (values, color, name) in [
            (&table.actual, ACTUAL, "actual"),
            (&table.expected, EXPECTED, "expected"),
        ] {
            let points: Vec<(f64, f64)> = values
                .iter()
                .enumerate()
                .filter(|&(i, _)| table.n_customers[i] > 0.0)
                .map(|(i, &v)| (i as f64, v))
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
                .map_err(draw_err)?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2))
                });
            chart
                .draw_series(
                    points
                        .into_iter()
                        .map(|p| Circle::new(p, 3, color.filled())),
                )
                .map_err(draw_err)?;
        }
        labels_box(&mut chart, SeriesLabelPosition::UpperLeft)
    })
}

/// Tracking chart: actual vs expected repeat transactions over time, cumulative (`cumulative =
/// true`) or per step, with a dashed line at the end of calibration. Axes: "time (`unit`)" and
/// "cumulative repeat transactions" (or "repeat transactions per `unit`").
///
/// # Errors
/// [`Error::InvalidParameter`] for a canvas under 100 × 100 pixels; [`Error::Io`] when drawing fails.
pub fn tracking(tracking: &Tracking, cumulative: bool, options: &PlotOptions) -> Result<String> {
    let (actual, expected, y_desc, caption) = if cumulative {
        (
            &tracking.actual_cumulative,
            &tracking.expected_cumulative,
            "cumulative repeat transactions".to_string(),
            "Tracking: cumulative repeat transactions",
        )
    } else {
        let unit = options.time_unit.trim_end_matches('s');
        (
            &tracking.actual_incremental,
            &tracking.expected_incremental,
            format!("repeat transactions per {unit}"),
            "Tracking: repeat transactions per period",
        )
    };
    let x_desc = format!("time ({})", options.time_unit);
    render(options, |root| {
        let x_max = tracking.time.last().copied().unwrap_or(1.0).max(1.0);
        let y_max = top(&[actual, expected], 1.0) * 1.08;
        let mut chart = frame(root, caption)
            .build_cartesian_2d(0f64..x_max, 0f64..y_max)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .x_desc(x_desc.as_str())
            .y_desc(y_desc.as_str())
            .draw()
            .map_err(draw_err)?;
        let start = std::iter::once((0.0, 0.0)).filter(|_| cumulative);
        for (values, color, name) in [(actual, ACTUAL, "actual"), (expected, EXPECTED, "expected")]
        {
            let points: Vec<(f64, f64)> = start
                .clone()
                .chain(tracking.time.iter().copied().zip(values.iter().copied()))
                .collect();
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))
                .map_err(draw_err)?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2))
                });
        }
        let c = tracking.calibration_end;
        chart
            .draw_series(DashedLineSeries::new(
                [(c, 0.0), (c, y_max)],
                6,
                4,
                BLACK.mix(0.6).stroke_width(1),
            ))
            .map_err(draw_err)?
            .label("end of calibration")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], BLACK.mix(0.6)));
        labels_box(&mut chart, SeriesLabelPosition::UpperLeft)
    })
}

/// Heat map of an [`AliveGrid`]: `P(alive | x, t_x, T)` by frequency (vertical) and recency
/// (horizontal), viridis colours from 0 (dark) to 1 (yellow) with a colour bar. Axes:
/// "recency (`unit`)" and "frequency (repeat transactions)".
///
/// # Errors
/// [`Error::InvalidParameter`] for a canvas under 100 × 100 pixels; [`Error::Io`] when drawing fails.
pub fn probability_alive_heatmap(grid: &AliveGrid, options: &PlotOptions) -> Result<String> {
    let x_desc = format!(
        "recency ({}), at age T = {}",
        options.time_unit,
        tick(&grid.age)
    );
    render(options, |root| {
        let bar_width = 110.min(options.width / 4);
        let (main, bar) = root.split_horizontally(options.width - bar_width);
        let nx = grid.recency.len();
        let ny = grid.values.len();
        let dt = if nx > 1 {
            grid.recency[1] - grid.recency[0]
        } else {
            grid.age
        };
        let mut chart = frame(&main, "P(alive) by frequency and recency")
            .build_cartesian_2d(-dt / 2.0..grid.age + dt / 2.0, -0.5f64..(ny as f64 - 0.5))
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_label_formatter(&tick)
            .y_label_formatter(&int_tick)
            .x_desc(x_desc.as_str())
            .y_desc("frequency (repeat transactions)")
            .draw()
            .map_err(draw_err)?;
        chart
            .draw_series(grid.values.iter().enumerate().flat_map(|(y, row)| {
                row.iter().enumerate().map(move |(j, &p)| {
                    let t = grid.recency[j];
                    let color = ViridisRGB::get_color(p.clamp(0.0, 1.0));
                    Rectangle::new(
                        [
                            (t - dt / 2.0, y as f64 - 0.5),
                            (t + dt / 2.0, y as f64 + 0.5),
                        ],
                        color.filled(),
                    )
                })
            }))
            .map_err(draw_err)?;
        colour_bar(&bar, "P(alive)", 0.0, 1.0, &tick)
    })
}

/// A vertical viridis colour bar from `lo` (dark) to `hi` (yellow) with its labels.
fn colour_bar(
    bar: &DrawingArea<SVGBackend<'_>, Shift>,
    desc: &str,
    lo: f64,
    hi: f64,
    format: &dyn Fn(&f64) -> String,
) -> Result<()> {
    let mut scale = ChartBuilder::on(bar)
        .margin_top(45)
        .margin_bottom(57)
        .margin_right(10)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..1.0, lo..hi)
        .map_err(draw_err)?;
    let step = (hi - lo) / 100.0;
    scale
        .draw_series((0..100).map(|k| {
            let v = k as f64 / 100.0;
            Rectangle::new(
                [
                    (0.0, lo + step * k as f64),
                    (1.0, lo + step * (k + 1) as f64),
                ],
                ViridisRGB::get_color(v + 0.005).filled(),
            )
        }))
        .map_err(draw_err)?;
    // The labels after the bar, so that no colour covers them.
    scale
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(6)
        .y_label_formatter(format)
        .y_desc(desc)
        // The bar's area is narrow: fix the font sizes rather than scale them with the area.
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .draw()
        .map_err(draw_err)?;
    Ok(())
}

/// The legend box of a chart at `position`.
fn labels_box<'a, 'b: 'a>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    position: SeriesLabelPosition,
) -> Result<()> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font((FONT, 14))
        .draw()
        .map_err(draw_err)
}

/// A chart with one category per whole x position (`0, 1, …`) and a value axis from 0.
struct CategoryAxes<'a> {
    caption: &'a str,
    labels: &'a [String],
    /// Label at most about this many categories (evenly spaced).
    max_labels: usize,
    y_max: f64,
    y_format: &'a dyn Fn(&f64) -> String,
    x_desc: &'a str,
    y_desc: &'a str,
}

/// Builds and draws the axes of a [`CategoryAxes`] chart.
fn category_chart<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    axes: &CategoryAxes<'_>,
) -> Result<ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>> {
    let n = axes.labels.len().max(1);
    let mut chart = frame(root, axes.caption)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..axes.y_max)
        .map_err(draw_err)?;
    let label_of = sparse_labels(axes.labels, axes.max_labels);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n + 1)
        .x_label_formatter(&label_of)
        .y_label_formatter(axes.y_format)
        .x_desc(axes.x_desc)
        .y_desc(axes.y_desc)
        .draw()
        .map_err(draw_err)?;
    Ok(chart)
}

/// Labels of at most about `max` evenly spaced bins at whole positions (the others blank).
fn sparse_labels(labels: &[String], max: usize) -> impl Fn(&f64) -> String + '_ {
    let every = labels.len().div_ceil(max.max(1)).max(1);
    move |v: &f64| {
        let r = v.round();
        if (v - r).abs() < 1e-6
            && r >= 0.0
            && (r as usize) < labels.len()
            && r as usize % every == 0
        {
            labels[r as usize].clone()
        } else {
            String::new()
        }
    }
}
