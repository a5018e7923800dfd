//! `sralign metrics`: PSNR and SSIM (RGB and Y) between two images or two folders.

use anyhow::{bail, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde_json::{json, Value};
use sralign::data::{io, metrics};
use std::path::{Path, PathBuf};

/// PSNR / SSIM with BasicSR's conventions (8-bit rounding, crop_border, 11x11 Gaussian SSIM,
/// BT.601 Y). Folders are matched by file stem; every reference image needs a test image.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  sralign metrics --ref out/test_x4/HR --test results/clean --crop-border 4\n  \
                  sralign metrics --ref a.png --test b.png --json"
)]
pub struct Args {
    /// Reference image or folder (ground truth).
    #[arg(long = "ref")]
    reference: PathBuf,
    /// Test image or folder (e.g. SR results).
    #[arg(long)]
    test: PathBuf,
    /// Pixels removed on each border before measuring (BasicSR uses the scale).
    #[arg(long, default_value_t = 0)]
    crop_border: usize,
    /// Print JSON (per image and mean) instead of a table.
    #[arg(long)]
    json: bool,
}

fn num(v: f64) -> Value {
    if v.is_finite() {
        json!(v)
    } else {
        json!("inf")
    }
}

fn pairs(r: &Path, t: &Path) -> Result<Vec<(PathBuf, PathBuf)>> {
    if r.is_file() && t.is_file() {
        return Ok(vec![(r.to_path_buf(), t.to_path_buf())]);
    }
    if !(r.is_dir() && t.is_dir()) {
        bail!(
            "--ref {} and --test {} must both be files or both folders",
            r.display(),
            t.display()
        );
    }
    let (refs, _) = io::list_images(r)?;
    let (tests, _) = io::list_images(t)?;
    let stem = |p: &Path| p.file_stem().unwrap_or_default().to_owned();
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for p in refs {
        match tests.iter().find(|q| stem(q) == stem(&p)) {
            Some(q) => out.push((p, q.clone())),
            None => missing.push(format!(
                "{}: no test image with that name in {}",
                p.display(),
                t.display()
            )),
        }
    }
    if !missing.is_empty() {
        bail!(
            "{} reference image(s) without a test image:\n  {}",
            missing.len(),
            missing.join("\n  ")
        );
    }
    Ok(out)
}

pub fn run(a: Args) -> Result<()> {
    let ps = pairs(&a.reference, &a.test)?;
    let pb = ProgressBar::new(ps.len() as u64);
    pb.set_style(ProgressStyle::with_template(
        "metrics [{bar:30}] {pos}/{len} {elapsed} eta {eta}",
    )?);
    if a.json || ps.len() < 4 {
        pb.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let rows: Vec<Result<(String, [f64; 4])>> = ps
        .par_iter()
        .map(|(r, t)| {
            let (ri, ti) = (io::load_image(r)?, io::load_image(t)?);
            if (ri.h, ri.w) != (ti.h, ti.w) {
                bail!(
                    "{} is {}x{} but {} is {}x{}",
                    r.display(),
                    ri.w,
                    ri.h,
                    t.display(),
                    ti.w,
                    ti.h
                );
            }
            let cb = a.crop_border;
            let m = [
                metrics::psnr(&ri, &ti, cb)?,
                metrics::ssim(&ri, &ti, cb)?,
                metrics::psnr_y(&ri, &ti, cb)?,
                metrics::ssim_y(&ri, &ti, cb)?,
            ];
            pb.inc(1);
            Ok((
                r.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                m,
            ))
        })
        .collect();
    pb.finish_and_clear();
    let rows: Vec<(String, [f64; 4])> = rows.into_iter().collect::<Result<_>>()?;
    let n = rows.len() as f64;
    let mean: Vec<f64> = (0..4)
        .map(|k| rows.iter().map(|r| r.1[k]).sum::<f64>() / n)
        .collect();
    if a.json {
        let per: Vec<Value> = rows
            .iter()
            .map(|(f, m)| json!({"image": f, "psnr": num(m[0]), "ssim": num(m[1]), "psnr_y": num(m[2]), "ssim_y": num(m[3])}))
            .collect();
        let out = json!({
            "crop_border": a.crop_border, "count": rows.len(), "images": per,
            "mean": {"psnr": num(mean[0]), "ssim": num(mean[1]), "psnr_y": num(mean[2]), "ssim_y": num(mean[3])},
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "{:<40} {:>9} {:>7} {:>9} {:>7}",
        "image", "PSNR", "SSIM", "PSNR-Y", "SSIM-Y"
    );
    for (f, m) in rows.iter().chain(std::iter::once(&(
        "mean".to_string(),
        [mean[0], mean[1], mean[2], mean[3]],
    ))) {
        println!(
            "{:<40} {:>9.4} {:>7.4} {:>9.4} {:>7.4}",
            f, m[0], m[1], m[2], m[3]
        );
    }
    Ok(())
}
