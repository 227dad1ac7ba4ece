//! SVG plots (plotters, SVG backend only).

use anyhow::{anyhow, Result};
use golden::eval::Curve;
use plotters::prelude::*;

const COLORS: [RGBColor; 6] = [RGBColor(200, 30, 30), RGBColor(30, 90, 200), RGBColor(20, 150, 60), RGBColor(150, 60, 180), RGBColor(230, 130, 0), RGBColor(90, 90, 90)];

/// Bits/value (y) against int8-scale MSE (x, log scale) for each curve.
pub fn rd_plot(title: &str, curves: &[Curve]) -> Result<String> {
    let pts: Vec<(f64, f64)> = curves.iter().flat_map(|c| c.points.iter().map(|p| (p.mse_int8, p.bits_per_value))).filter(|(m, b)| *m > 0.0 && b.is_finite()).collect();
    if pts.is_empty() {
        return Err(anyhow!("nothing to plot"));
    }
    let (xmin, xmax) = pts.iter().fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let ymax = pts.iter().fold(0.0f64, |a, p| a.max(p.1));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (800, 560)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(55)
            .build_cartesian_2d((xmin * 0.8..xmax * 1.25).log_scale(), 0.0..ymax * 1.08)
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .x_desc("MSE (int8 units, log)")
            .y_desc("bits / value")
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        for (i, c) in curves.iter().enumerate() {
            let col = COLORS[i % COLORS.len()];
            let mut v: Vec<(f64, f64)> = c.points.iter().filter(|p| p.mse_int8 > 0.0).map(|p| (p.mse_int8, p.bits_per_value)).collect();
            v.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
            chart
                .draw_series(LineSeries::new(v.clone(), col.stroke_width(2)))
                .map_err(|e| anyhow!("{e}"))?
                .label(c.name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], col.stroke_width(2)));
            chart.draw_series(v.into_iter().map(|p| Circle::new(p, 3, col.filled()))).map_err(|e| anyhow!("{e}"))?;
        }
        chart.configure_series_labels().border_style(BLACK).background_style(WHITE.mix(0.8)).draw().map_err(|e| anyhow!("{e}"))?;
        root.present().map_err(|e| anyhow!("{e}"))?;
    }
    Ok(svg)
}
