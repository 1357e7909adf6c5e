//! Latency histograms as an SVG plot in the style of OSADL's latency plots: 1 µs
//! bins on a linear axis, counts on a log scale, one line per column, so native,
//! patched and legacy runs can be overlaid and their tails compared.

use crate::histogram::LatencyHistogram;
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
    let max_count = columns
        .iter()
        .flat_map(|(_, hist)| hist.per_us().values().copied())
        .max()
        .unwrap_or(1)
        .max(1);
    let limit_us = columns
        .iter()
        .filter_map(|(_, hist)| hist.highest_us())
        .max()
        .map_or(1, |us| us + 1);
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(
            0f64..limit_us as f64,
            (0.8f64..max_count as f64 * 2.0).log_scale(),
        )?;
    chart
        .configure_mesh()
        .x_desc("latency past the deadline (µs, 1 µs bins)")
        .y_desc("cycles")
        .x_label_formatter(&|x| format!("{}", x.round()))
        .y_label_formatter(&|y| format!("{}", y.round()))
        .draw()?;
    for (k, (name, hist)) in columns.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        // A log scale has no 0: lines join neighbouring bins that both have
        // cycles, and a lone bin is a dot, so a gap stays a gap.
        let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut previous = None;
        for (&us, &count) in hist.per_us() {
            let point = (us as f64, count as f64);
            match runs.last_mut() {
                Some(run) if previous == Some(us.wrapping_sub(1)) => run.push(point),
                _ => runs.push(vec![point]),
            }
            previous = Some(us);
        }
        chart
            .draw_series(
                runs.iter()
                    .filter(|run| run.len() == 1)
                    .map(|run| Circle::new(run[0], 2, colour.filled())),
            )?
            .label(*name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
        for run in runs.iter().filter(|run| run.len() > 1) {
            chart.draw_series(LineSeries::new(run.iter().copied(), colour.stroke_width(1)))?;
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
