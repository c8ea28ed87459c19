//! SVG charts of the [`insight`](crate::insight) numbers: the cohort retention triangle,
//! activity by period, the model's retention beside the observed, value tiers, RFM segments,
//! at-risk customers and the acquisition ceiling.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    ACTUAL, CategoryAxes, EXPECTED, FONT, PlotOptions, bin_labels, category_chart, colour_bar,
    draw_err, frame, labels_box, render, tick, top,
};
use crate::error::Result;
use crate::insight::{
    AcquisitionCeiling, AliveShare, ContractualRetention, PeriodActivity, RetentionRate,
    RetentionTable, RfmSegment, SegmentTable,
};

/// Tick text of a share: `25%`.
fn percent(v: &f64) -> String {
    format!("{:.0}%", v * 100.0)
}

/// Tick text of money and counts with thousands separators: `12,345`, `1.5`.
fn amount(v: &f64) -> String {
    super::number(*v)
}

const TIER_COLOURS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(150, 150, 150),
    RGBColor(44, 160, 44),
];
const RISK: RGBColor = RGBColor(214, 39, 40);

/// Heat map of the cohort triangle for one retention rate: acquisition cohorts down, periods
/// since acquisition across, viridis colours from 0% (dark) to the largest rate rounded up to
/// 10% (yellow; at most 100%, above which the adjusted rates saturate) with the value written in each cell when the grid
/// is small enough (≤ 30 columns). Axes: "`unit` since acquisition" and "acquisition cohort".
///
/// ```
/// use clv::data::TransactionLog;
/// use clv::insight::{Period, Profit, RetentionRate, cohort_retention};
/// let log = TransactionLog::new(["a", "a", "b", "b"], vec![1.0, 40.0, 2.0, 80.0], Some(vec![1.0; 4]))?;
/// let table = cohort_retention(&log, Period::Month, &Profit::None)?;
/// let svg = clv::plot::retention_heatmap(&table, RetentionRate::Raw, &clv::plot::PlotOptions::new("months"))?;
/// assert!(svg.contains("acquisition cohort"));
/// # Ok::<(), clv::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for a canvas under 100 × 100
/// pixels; [`Error::Io`](crate::Error::Io) when drawing fails.
pub fn retention_heatmap(
    table: &RetentionTable,
    rate: RetentionRate,
    options: &PlotOptions,
) -> Result<String> {
    let cohorts: Vec<String> = table.cohorts.iter().map(|c| c.0.clone()).collect();
    let ny = cohorts.len().max(1);
    let nx = table.cells.iter().map(|c| c.age).max().unwrap_or(1).max(1) as usize;
    let row_of = |label: &str| cohorts.iter().position(|c| c == label).unwrap_or(0);
    // cohorts top to bottom: the first cohort on the top row
    let y_labels: Vec<String> = cohorts.iter().rev().cloned().collect();
    let caption = format!("Cohort retention triangle: {}", rate.name());
    // colours from 0 to the largest rate rounded up to 10% (at most 100%; higher saturate)
    let largest = table
        .cells
        .iter()
        .filter_map(|c| c.rate(rate))
        .fold(0.0, f64::max);
    let hi = ((largest * 10.0).ceil() / 10.0).clamp(0.1, 1.0);
    let x_desc = format!("{} since acquisition", period_unit(table));
    render(options, |root| {
        let bar_width = 110.min(options.width / 4);
        let (main, bar) = root.split_horizontally(options.width - bar_width);
        let mut chart = frame(&main, &caption)
            .y_label_area_size(90)
            .build_cartesian_2d(0.5f64..(nx as f64 + 0.5), -0.5f64..(ny as f64 - 0.5))
            .map_err(draw_err)?;
        let ylab = bin_labels(&y_labels);
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(nx.min(24))
            .x_label_formatter(&|v: &f64| {
                if (v - v.round()).abs() < 1e-9 && *v >= 1.0 {
                    tick(v)
                } else {
                    String::new()
                }
            })
            .y_labels(ny + 1)
            .y_label_formatter(&ylab)
            .x_desc(x_desc.as_str())
            .y_desc("acquisition cohort")
            .draw()
            .map_err(draw_err)?;
        let cells: Vec<(f64, f64, f64)> = table
            .cells
            .iter()
            .filter_map(|c| {
                let v = c.rate(rate)?;
                let y = (ny - 1 - row_of(&c.cohort)) as f64;
                Some((f64::from(c.age), y, v))
            })
            .collect();
        chart
            .draw_series(cells.iter().map(|&(x, y, v)| {
                Rectangle::new(
                    [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                    ViridisRGB::get_color((v / hi).clamp(0.0, 1.0)).filled(),
                )
            }))
            .map_err(draw_err)?;
        if nx <= 30 && ny <= 30 {
            let size = if nx <= 18 { 12 } else { 9 };
            chart
                .draw_series(cells.iter().map(|&(x, y, v)| {
                    let colour = if v.clamp(0.0, 1.0) > 0.6 {
                        BLACK
                    } else {
                        WHITE
                    };
                    Text::new(
                        format!("{:.0}%", v * 100.0),
                        (x, y),
                        (FONT, size)
                            .into_font()
                            .color(&colour)
                            .pos(Pos::new(HPos::Center, VPos::Center)),
                    )
                }))
                .map_err(draw_err)?;
        }
        colour_bar(&bar, rate.name(), 0.0, hi, &percent)
    })
}

fn period_unit(table: &RetentionTable) -> String {
    table.period.unit_name()
}

/// Stacked bars of the active customers per calendar period, new (first purchase in the
/// period) below returning. Axes: "period" and "customers".
///
/// # Errors
/// As [`retention_heatmap`].
pub fn customers_by_period(activity: &[PeriodActivity], options: &PlotOptions) -> Result<String> {
    let labels: Vec<String> = activity.iter().map(|a| a.period.clone()).collect();
    let new: Vec<f64> = activity.iter().map(|a| a.new as f64).collect();
    let active: Vec<f64> = activity.iter().map(|a| a.active as f64).collect();
    render(options, |root| {
        let axes = CategoryAxes {
            caption: "Active customers per period: new and returning",
            labels: &labels,
            max_labels: 12,
            y_max: top(&[&active], 1.0) * 1.08,
            y_format: &amount,
            x_desc: "period",
            y_desc: "customers",
        };
        let mut chart = category_chart(root, &axes)?;
        chart
            .draw_series(new.iter().enumerate().map(|(i, &v)| {
                Rectangle::new(
                    [(i as f64 - 0.4, 0.0), (i as f64 + 0.4, v)],
                    EXPECTED.filled(),
                )
            }))
            .map_err(draw_err)?
            .label("new")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], EXPECTED.filled()));
        chart
            .draw_series(new.iter().zip(&active).enumerate().map(|(i, (&lo, &hi))| {
                Rectangle::new(
                    [(i as f64 - 0.4, lo), (i as f64 + 0.4, hi)],
                    ACTUAL.filled(),
                )
            }))
            .map_err(draw_err)?
            .label("returning")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], ACTUAL.filled()));
        labels_box(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

/// Lines over time (steps after the cut-off): the model's expected share of the base alive
/// and the observed share active per step (noncontractual; [`crate::insight::alive_share`]).
/// Axes: "time after the end of calibration (`unit`)" and "share of customers".
///
/// # Errors
/// As [`retention_heatmap`].
pub fn alive_share(rows: &[AliveShare], options: &PlotOptions) -> Result<String> {
    let x_desc = format!("time after the end of calibration ({})", options.time_unit);
    render(options, |root| {
        let x_max = rows.last().map_or(1.0, |r| r.t).max(1.0);
        let mut chart = frame(
            root,
            "Share of the base alive (model) and buying (observed)",
        )
        .build_cartesian_2d(0f64..x_max, 0f64..1.0)
        .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_label_formatter(&tick)
            .y_label_formatter(&percent)
            .x_desc(x_desc.as_str())
            .y_desc("share of customers")
            .draw()
            .map_err(draw_err)?;
        let expected: Vec<(f64, f64)> = rows
            .iter()
            .filter_map(|r| Some((r.t, r.expected_alive_share?)))
            .collect();
        let observed: Vec<(f64, f64)> = rows
            .iter()
            .filter_map(|r| Some((r.t, r.observed_active_share?)))
            .collect();
        chart
            .draw_series(LineSeries::new(expected, EXPECTED.stroke_width(2)))
            .map_err(draw_err)?
            .label("expected share alive (model)")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], EXPECTED.stroke_width(2)));
        chart
            .draw_series(LineSeries::new(observed, ACTUAL.stroke_width(2)))
            .map_err(draw_err)?
            .label("observed share buying in the period")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], ACTUAL.stroke_width(2)));
        labels_box(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

/// Expected (model) and observed cumulative repeat buyers after the cut-off
/// ([`crate::insight::alive_share`]). Axes: "time after the end of calibration (`unit`)" and
/// "customers with a repeat purchase".
///
/// # Errors
/// As [`retention_heatmap`].
pub fn repeat_buyers(rows: &[AliveShare], options: &PlotOptions) -> Result<String> {
    buyers_chart(
        rows,
        options,
        BuyersChart {
            caption: "Customers with a repeat purchase since the cut-off",
            y_desc: "customers with a repeat purchase",
            expected: &|r| Some(r.expected_repeat_buyers),
            observed: &|r| r.observed_repeat_buyers,
            origin: true,
        },
    )
}

/// Expected (model) and observed buyers per step after the cut-off: the customers with at
/// least one purchase in each step `(T + t − 1, T + t]`
/// ([`AliveShare::expected_period_buyers`], [`AliveShare::observed_period_buyers`]). Axes:
/// "time after the end of calibration (`unit`)" and "customers buying in the period".
///
/// ```
/// use clv::BgNbd;
/// use clv::data::{Periods, TransactionLog};
/// let log = TransactionLog::new(["a", "a", "b", "b", "a", "b"], vec![0.0, 7.0, 3.0, 20.0, 30.0, 36.0], None)?;
/// let split = log.calibration_holdout(&Periods::days_in_weeks(), 21.0, None)?;
/// let model = BgNbd::new(0.5, 3.0, 0.5, 3.0)?;
/// let rows = clv::insight::alive_share(&model, &log, split.calibration(), split.customer_ids(), 21.0, 7.0, 3, 1)?;
/// let svg = clv::plot::period_buyers(&rows, &clv::plot::PlotOptions::new("weeks"))?;
/// assert!(svg.contains("customers buying in the period"));
/// # Ok::<(), clv::Error>(())
/// ```
///
/// # Errors
/// As [`retention_heatmap`].
pub fn period_buyers(rows: &[AliveShare], options: &PlotOptions) -> Result<String> {
    buyers_chart(
        rows,
        options,
        BuyersChart {
            caption: "Customers buying in each period after the cut-off",
            y_desc: "customers buying in the period",
            expected: &|r| r.expected_period_buyers,
            observed: &|r| r.observed_period_buyers,
            origin: false,
        },
    )
}

/// What a chart of buyers after the cut-off draws.
struct BuyersChart<'a> {
    caption: &'a str,
    y_desc: &'a str,
    expected: &'a dyn Fn(&AliveShare) -> Option<f64>,
    observed: &'a dyn Fn(&AliveShare) -> Option<f64>,
    /// Start both lines at (0, 0) (cumulative counts).
    origin: bool,
}

fn buyers_chart(rows: &[AliveShare], options: &PlotOptions, c: BuyersChart<'_>) -> Result<String> {
    let x_desc = format!("time after the end of calibration ({})", options.time_unit);
    let expected: Vec<f64> = rows.iter().filter_map(c.expected).collect();
    let observed: Vec<f64> = rows.iter().filter_map(c.observed).collect();
    render(options, |root| {
        let x_max = rows.last().map_or(1.0, |r| r.t).max(1.0);
        let y_max = top(&[&expected, &observed], 1.0) * 1.08;
        let mut chart = frame(root, c.caption)
            .build_cartesian_2d(0f64..x_max, 0f64..y_max)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_label_formatter(&tick)
            .y_label_formatter(&amount)
            .x_desc(x_desc.as_str())
            .y_desc(c.y_desc)
            .draw()
            .map_err(draw_err)?;
        let line = |f: &dyn Fn(&AliveShare) -> Option<f64>| -> Vec<(f64, f64)> {
            c.origin
                .then_some((0.0, 0.0))
                .into_iter()
                .chain(rows.iter().filter_map(|r| Some((r.t, f(r)?))))
                .collect()
        };
        chart
            .draw_series(LineSeries::new(line(c.expected), EXPECTED.stroke_width(2)))
            .map_err(draw_err)?
            .label("expected (model)")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], EXPECTED.stroke_width(2)));
        chart
            .draw_series(LineSeries::new(line(c.observed), ACTUAL.stroke_width(2)))
            .map_err(draw_err)?
            .label("observed")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], ACTUAL.stroke_width(2)));
        labels_box(
            &mut chart,
            if c.origin {
                SeriesLabelPosition::UpperLeft
            } else {
                SeriesLabelPosition::UpperRight
            },
        )
    })
}

/// Contractual retention by period: observed (points) and sBG-projected (lines) retention per
/// cohort ([`crate::insight::sbg_retention`]). Axes: "period" (`unit`) and "retention rate".
///
/// # Errors
/// As [`retention_heatmap`].
pub fn sbg_retention(rows: &[ContractualRetention], options: &PlotOptions) -> Result<String> {
    let mut cohorts: Vec<&str> = Vec::new();
    for r in rows {
        if !cohorts.contains(&r.cohort.as_str()) {
            cohorts.push(&r.cohort);
        }
    }
    let x_desc = format!("period ({})", options.time_unit);
    render(options, |root| {
        let x_max = rows.iter().map(|r| r.period).max().unwrap_or(1).max(1) as f64;
        let mut chart = frame(
            root,
            "Retention: observed (points) and sBG projection (lines)",
        )
        .build_cartesian_2d(0.5f64..x_max + 0.5, 0f64..1.0)
        .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_label_formatter(&super::int_tick)
            .y_label_formatter(&percent)
            .x_desc(x_desc.as_str())
            .y_desc("retention rate")
            .draw()
            .map_err(draw_err)?;
        for (k, name) in cohorts.iter().enumerate() {
            let colour = Palette99::pick(k).to_rgba();
            let mine: Vec<&ContractualRetention> =
                rows.iter().filter(|r| r.cohort == *name).collect();
            let label = if name.is_empty() {
                "cohort".to_string()
            } else {
                (*name).to_string()
            };
            chart
                .draw_series(LineSeries::new(
                    mine.iter()
                        .map(|r| (f64::from(r.period), r.projected_retention)),
                    colour.stroke_width(2),
                ))
                .map_err(draw_err)?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 16, y)], colour.stroke_width(2))
                });
            chart
                .draw_series(mine.iter().filter_map(|r| {
                    Some(Circle::new(
                        (f64::from(r.period), r.observed_retention?),
                        4,
                        colour.filled(),
                    ))
                }))
                .map_err(draw_err)?;
        }
        labels_box(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

/// Histogram of customer value, stacked by value tier; the last bin holds every value at or
/// above the 99th percentile. Axes: "customer value (`money`)" and "customers".
///
/// # Errors
/// As [`retention_heatmap`].
pub fn value_distribution(
    table: &SegmentTable,
    money: &str,
    options: &PlotOptions,
) -> Result<String> {
    let mut values: Vec<f64> = table.customers.iter().map(|c| c.clv).collect();
    values.sort_unstable_by(f64::total_cmp);
    let hi = values
        .get(((values.len() as f64 * 0.99) as usize).min(values.len().saturating_sub(1)))
        .copied()
        .unwrap_or(1.0)
        .max(1e-9);
    const BINS: usize = 30;
    let width = hi / BINS as f64;
    let n_tiers = table.tiers.len().min(TIER_COLOURS.len());
    let mut counts = vec![vec![0.0; BINS + 1]; n_tiers];
    for c in &table.customers {
        let b = ((c.clv / width).floor().max(0.0) as usize).min(BINS);
        let t = usize::from(c.tier.max(1) - 1).min(n_tiers - 1);
        counts[t][b] += 1.0;
    }
    let totals: Vec<f64> = (0..=BINS)
        .map(|b| counts.iter().map(|c| c[b]).sum())
        .collect();
    let x_desc = format!("customer value ({money}); last bar: ≥ {}", amount(&hi));
    render(options, |root| {
        let y_max = top(&[&totals], 1.0) * 1.08;
        let mut chart = frame(root, "Customer value by tier")
            .build_cartesian_2d(0f64..hi + width, 0f64..y_max)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_label_formatter(&amount)
            .y_label_formatter(&amount)
            .x_desc(x_desc.as_str())
            .y_desc("customers")
            .draw()
            .map_err(draw_err)?;
        let mut base = vec![0.0; BINS + 1];
        for (t, row) in counts.iter().enumerate() {
            let colour = TIER_COLOURS[t];
            let bars: Vec<Rectangle<(f64, f64)>> = row
                .iter()
                .enumerate()
                .filter(|(_, v)| **v > 0.0)
                .map(|(b, &v)| {
                    let x = b as f64 * width;
                    Rectangle::new(
                        [(x, base[b]), (x + width * 0.95, base[b] + v)],
                        colour.filled(),
                    )
                })
                .collect();
            for (b, v) in row.iter().enumerate() {
                base[b] += v;
            }
            chart
                .draw_series(bars)
                .map_err(draw_err)?
                .label(format!(
                    "tier {}: {}",
                    t + 1,
                    table.tiers.label(t as u8 + 1)
                ))
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled())
                });
        }
        labels_box(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

/// Horizontal bars: customers per RFM segment, best segment on top, each bar labelled with its
/// count and share. Axes: "customers" and "RFM segment".
///
/// # Errors
/// As [`retention_heatmap`].
pub fn rfm_segments(table: &SegmentTable, options: &PlotOptions) -> Result<String> {
    let counts: Vec<f64> = RfmSegment::ALL
        .iter()
        .map(|s| table.customers.iter().filter(|c| c.segment == *s).count() as f64)
        .collect();
    let total = table.customers.len().max(1) as f64;
    let names: Vec<String> = RfmSegment::ALL
        .iter()
        .rev()
        .map(|s| s.name().to_string())
        .collect();
    render(options, |root| {
        let x_max = top(&[&counts], 1.0) * 1.25;
        let n = names.len();
        let mut chart = frame(root, "Customers by RFM segment")
            .y_label_area_size(150)
            .build_cartesian_2d(0f64..x_max, -0.5f64..(n as f64 - 0.5))
            .map_err(draw_err)?;
        let ylab = bin_labels(&names);
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n + 1)
            .y_label_formatter(&ylab)
            .x_label_formatter(&amount)
            .x_desc("customers")
            .y_desc("RFM segment")
            .draw()
            .map_err(draw_err)?;
        let bars = counts.iter().enumerate().map(|(i, &v)| {
            let y = (n - 1 - i) as f64;
            Rectangle::new([(0.0, y - 0.35), (v, y + 0.35)], ACTUAL.filled())
        });
        chart.draw_series(bars).map_err(draw_err)?;
        chart
            .draw_series(counts.iter().enumerate().map(|(i, &v)| {
                let y = (n - 1 - i) as f64;
                Text::new(
                    format!(" {} ({:.0}%)", amount(&v), 100.0 * v / total),
                    (v, y),
                    (FONT, 13)
                        .into_font()
                        .color(&BLACK)
                        .pos(Pos::new(HPos::Left, VPos::Center)),
                )
            }))
            .map_err(draw_err)?;
        Ok(())
    })
}

/// Scatter of the customers in the watched tiers: P(alive) now against customer value,
/// at-risk customers in red. Axes: "P(alive) at the observation end" and "customer value
/// (`money`)".
///
/// # Errors
/// As [`retention_heatmap`].
pub fn at_risk(table: &SegmentTable, money: &str, options: &PlotOptions) -> Result<String> {
    let watched: Vec<(f64, f64, bool)> = table
        .customers
        .iter()
        .filter(|c| c.tier <= table.rule.tiers)
        .map(|c| (c.p_alive, c.clv, c.at_risk))
        .collect();
    let values: Vec<f64> = watched.iter().map(|w| w.1).collect();
    let y_desc = format!("customer value ({money})");
    render(options, |root| {
        let y_max = top(&[&values], 1.0) * 1.05;
        let mut chart = frame(root, "Most valuable customers: value and P(alive)")
            .build_cartesian_2d(0f64..1.0, 0f64..y_max)
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_label_formatter(&tick)
            .y_label_formatter(&amount)
            .x_desc("P(alive) at the observation end")
            .y_desc(y_desc.as_str())
            .draw()
            .map_err(draw_err)?;
        chart
            .draw_series(
                watched
                    .iter()
                    .filter(|w| !w.2)
                    .map(|&(p, v, _)| Circle::new((p, v), 3, ACTUAL.mix(0.5).filled())),
            )
            .map_err(draw_err)?
            .label("not at risk")
            .legend(|(x, y)| Circle::new((x + 6, y), 4, ACTUAL.filled()));
        chart
            .draw_series(
                watched
                    .iter()
                    .filter(|w| w.2)
                    .map(|&(p, v, _)| Circle::new((p, v), 4, RISK.filled())),
            )
            .map_err(draw_err)?
            .label("at risk")
            .legend(|(x, y)| Circle::new((x + 6, y), 4, RISK.filled()));
        let t = table.rule.threshold;
        chart
            .draw_series(DashedLineSeries::new(
                [(t, 0.0), (t, y_max)],
                6,
                4,
                BLACK.mix(0.6).stroke_width(1),
            ))
            .map_err(draw_err)?
            .label(format!("P(alive) threshold {}", tick(&t)))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], BLACK.mix(0.6)));
        labels_box(&mut chart, SeriesLabelPosition::UpperLeft)
    })
}

/// Bars: the acquisition ceiling (expected discounted value of a new customer) per cohort,
/// labelled with the value. Axes: "acquisition cohort" and "value of a new customer
/// (`money`)".
///
/// # Errors
/// As [`retention_heatmap`].
pub fn acquisition_ceiling(
    rows: &[AcquisitionCeiling],
    money: &str,
    options: &PlotOptions,
) -> Result<String> {
    let labels: Vec<String> = rows.iter().map(|r| r.cohort.clone()).collect();
    let values: Vec<f64> = rows.iter().map(|r| r.value).collect();
    let y_desc = format!("value of a new customer ({money})");
    render(options, |root| {
        let axes = CategoryAxes {
            caption: "Acquisition ceiling by cohort",
            labels: &labels,
            max_labels: 16,
            y_max: top(&[&values], 1.0) * 1.15,
            y_format: &amount,
            x_desc: "acquisition cohort",
            y_desc: &y_desc,
        };
        let mut chart = category_chart(root, &axes)?;
        chart
            .draw_series(values.iter().enumerate().map(|(i, &v)| {
                Rectangle::new(
                    [(i as f64 - 0.35, 0.0), (i as f64 + 0.35, v)],
                    ACTUAL.filled(),
                )
            }))
            .map_err(draw_err)?;
        chart
            .draw_series(values.iter().enumerate().map(|(i, &v)| {
                Text::new(
                    amount(&v),
                    (i as f64, v),
                    (FONT, 13)
                        .into_font()
                        .color(&BLACK)
                        .pos(Pos::new(HPos::Center, VPos::Bottom)),
                )
            }))
            .map_err(draw_err)?;
        Ok(())
    })
}
