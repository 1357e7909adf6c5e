//! Latency histograms as an SVG plot: one line per column over the report's
//! log-spaced µs buckets, counts on a log scale, so native, patched and legacy
//! runs can be overlaid and their tails compared.

use crate::histogram::{LatencyHistogram, OVERFLOW_US, bucket_edges_us};
use plotters::prelude::*;
use std::path::Path;

/// Line colours, in column order.
const COLOURS: [RGBColor; 5] = [
    RGBColor(0x1b, 0x9e, 0x77),
    RGBColor(0xd9, 0x5f, 0x02),
    RGBColor(0x75, 0x70, 0xb3),
    RGBColor(0xe7, 0x29, 0x8a),
    RGBColor(0x66, 0x66, 0x66),
];

/// Draws `columns` (name, histogram) into an SVG file at `path`.
pub fn write_svg(
    path: &Path,
    title: &str,
    columns: &[(&str, &LatencyHistogram)],
) -> Result<(), String> {
    let root = SVGBackend::new(path, (960, 540)).into_drawing_area();
    draw(&root, title, columns).map_err(|e| format!("drawing {}: {e}", path.display()))?;
    root.present()
        .map_err(|e| format!("writing {}: {e}", path.display()))
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    columns: &[(&str, &LatencyHistogram)],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let edges = bucket_edges_us();
    let max_count = columns
        .iter()
        .flat_map(|(_, hist)| hist.bucket_counts().iter().copied())
        .max()
        .unwrap_or(1)
        .max(1);
    // The first bucket starts at 0 µs, which a log axis cannot show: it is drawn
    // at 0.5 µs.
    let x_of = |edge: u64| if edge == 0 { 0.5 } else { edge as f64 };
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(
            (0.5f64..OVERFLOW_US as f64).log_scale(),
            (0.8f64..max_count as f64 * 2.0).log_scale(),
        )?;
    chart
        .configure_mesh()
        .x_desc("wake-up latency past the deadline (µs, bucket lower edge)")
        .y_desc("sleeps")
        .x_label_formatter(&|x| format!("{}", x.round()))
        .y_label_formatter(&|y| format!("{}", y.round()))
        .draw()?;
    for (k, (name, hist)) in columns.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        // Empty buckets have no point (a log scale has no 0), and lines join only
        // neighbouring buckets that both have sleeps, so a gap stays a gap.
        let buckets: Vec<Option<(f64, f64)>> = edges
            .iter()
            .zip(hist.bucket_counts())
            .map(|(&edge, &count)| (count > 0).then(|| (x_of(edge), count as f64)))
            .collect();
        chart
            .draw_series(
                buckets
                    .iter()
                    .flatten()
                    .map(|&point| Circle::new(point, 3, colour.filled())),
            )?
            .label(*name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
        for run in buckets.split(Option::is_none).filter(|run| run.len() > 1) {
            chart.draw_series(LineSeries::new(
                run.iter().flatten().copied(),
                colour.stroke_width(2),
            ))?;
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()?;
    Ok(())
}
