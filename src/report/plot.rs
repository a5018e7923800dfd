//! PNG figures of a report: grouped bar charts (PSNR per degradation per method), line charts
//! (training curves) and image grids (side-by-side crops). Drawn with plotters into an RGB
//! buffer and written as PNG; text uses the bundled DejaVu Sans (assets/fonts).

use std::path::Path;
use std::sync::Once;

use anyhow::{anyhow, Context, Result};
use plotters::prelude::*;

use crate::data::{io, Image};

static FONT: Once = Once::new();

fn font() {
    FONT.call_once(|| {
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            include_bytes!("../../assets/fonts/DejaVuSans.ttf"),
        );
    });
}

const PALETTE: [RGBColor; 6] = [
    RGBColor(80, 80, 80),
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
];

fn save_rgb(path: &Path, w: u32, h: u32, buf: &[u8]) -> Result<()> {
    let mut img = Image::zeros(h as usize, w as usize, 3);
    for (d, s) in img.data.iter_mut().zip(buf) {
        *d = *s as f32 / 255.0;
    }
    io::save_image(path, &img).with_context(|| format!("writing {}", path.display()))
}

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing: {e:?}")
}

/// Grouped bars: `groups` on the x axis (degradations), one bar per series (method) with an
/// error bar of +- `err`.
pub fn bars(
    path: &Path,
    title: &str,
    y_label: &str,
    groups: &[String],
    series: &[(String, Vec<(f64, f64)>)],
) -> Result<()> {
    font();
    let (w, h) = (1100u32, 520u32);
    let mut buf = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let vals = series.iter().flat_map(|(_, v)| v.iter());
        let lo = vals
            .clone()
            .map(|(m, e)| m - e)
            .fold(f64::INFINITY, f64::min);
        let hi = vals.map(|(m, e)| m + e).fold(f64::NEG_INFINITY, f64::max);
        let pad = ((hi - lo) * 0.15).max(0.05);
        let ns = series.len().max(1) as f64;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..groups.len() as f64, (lo - pad)..(hi + pad))
            .map_err(err)?;
        let names = groups.to_vec();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(groups.len() * 2 + 1)
            .x_label_formatter(&move |x| {
                let i = (*x - 0.5).round();
                if (x - 0.5 - i).abs() < 1e-6 && i >= 0.0 {
                    names.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_desc(y_label)
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(err)?;
        for (k, (name, v)) in series.iter().enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            let bw = 0.8 / ns;
            let x0 = |g: usize| g as f64 + 0.1 + k as f64 * bw;
            chart
                .draw_series(v.iter().enumerate().map(|(g, (m, _))| {
                    Rectangle::new([(x0(g), lo - pad), (x0(g) + bw * 0.9, *m)], color.filled())
                }))
                .map_err(err)?
                .label(name.clone())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled())
                });
            chart
                .draw_series(v.iter().enumerate().filter(|(_, (_, e))| *e > 0.0).map(
                    |(g, (m, e))| {
                        let xc = x0(g) + bw * 0.45;
                        PathElement::new(vec![(xc, m - e), (xc, m + e)], BLACK.stroke_width(2))
                    },
                ))
                .map_err(err)?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 13))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    save_rgb(path, w, h, &buf)
}

/// Line chart of several series of (x, y) points.
pub fn lines(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(String, Vec<(f64, f64)>)],
) -> Result<()> {
    font();
    let (w, h) = (900u32, 480u32);
    let mut buf = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let pts = series
            .iter()
            .flat_map(|(_, v)| v.iter())
            .filter(|(_, y)| y.is_finite());
        let (x0, x1) = pts
            .clone()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |a, (x, _)| {
                (a.0.min(*x), a.1.max(*x))
            });
        let (y0, y1) = pts.fold((f64::INFINITY, f64::NEG_INFINITY), |a, (_, y)| {
            (a.0.min(*y), a.1.max(*y))
        });
        if !x0.is_finite() || !y0.is_finite() {
            return Err(anyhow!("{title}: nothing to plot"));
        }
        let pad = ((y1 - y0) * 0.1).max(1e-6);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1.max(x0 + 1.0), (y0 - pad)..(y1 + pad))
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(err)?;
        for (k, (name, v)) in series.iter().enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            chart
                .draw_series(LineSeries::new(
                    v.iter().cloned().filter(|(_, y)| y.is_finite()),
                    color.stroke_width(2),
                ))
                .map_err(err)?
                .label(name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 14, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 13))
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    save_rgb(path, w, h, &buf)
}

/// Images side by side in rows, each with a caption above it (lines split at '\n'). Tiles
/// narrower than 160 pixels are enlarged by an integer factor (nearest neighbour).
pub fn grid(path: &Path, rows: &[Vec<(String, Image)>]) -> Result<()> {
    font();
    let first = rows
        .first()
        .and_then(|r| r.first())
        .map(|(_, i)| (i.w as u32, i.h as u32))
        .ok_or_else(|| anyhow!("empty grid"))?;
    let zoom = 160u32.div_ceil(first.0).max(1);
    let tile = (first.0 * zoom, first.1 * zoom);
    let cols = rows.iter().map(|r| r.len()).max().unwrap_or(0) as u32;
    let lines = rows
        .iter()
        .flat_map(|r| r.iter().map(|(c, _)| c.lines().count()))
        .max()
        .unwrap_or(1) as u32;
    let cap = 17 * lines + 4;
    let (w, h) = (
        cols * (tile.0 + 6) + 6,
        rows.len() as u32 * (tile.1 + cap + 6) + 6,
    );
    let mut buf = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        for (r, row) in rows.iter().enumerate() {
            for (c, (name, img)) in row.iter().enumerate() {
                let x = 6 + c as u32 * (tile.0 + 6);
                let y = 6 + r as u32 * (tile.1 + cap + 6);
                for (k, line) in name.lines().enumerate() {
                    root.draw(&Text::new(
                        line.to_string(),
                        (x as i32, y as i32 + 2 + 17 * k as i32),
                        ("sans-serif", 14),
                    ))
                    .map_err(err)?;
                }
                for yy in 0..(img.h as u32 * zoom).min(tile.1) {
                    for xx in 0..(img.w as u32 * zoom).min(tile.0) {
                        let (sy, sx) = ((yy / zoom) as usize, (xx / zoom) as usize);
                        let p = |ch| (img.at(sy, sx, ch).clamp(0.0, 1.0) * 255.0).round() as u8;
                        root.draw_pixel(
                            (x as i32 + xx as i32, (y + cap) as i32 + yy as i32),
                            &RGBColor(p(0), p(1), p(2)),
                        )
                        .map_err(err)?;
                    }
                }
            }
        }
        root.present().map_err(err)?;
    }
    save_rgb(path, w, h, &buf)
}
