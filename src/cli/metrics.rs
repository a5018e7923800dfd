//! `sralign metrics`: PSNR and SSIM (RGB and Y) between two images or two folders.

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde_json::{json, Value};
use sralign::data::{io, metrics};
use sralign::eval::lpips::{find_weights, Lpips, LpipsNet};
use std::path::{Path, PathBuf};

/// PSNR / SSIM with BasicSR's conventions (8-bit rounding, crop_border, 11x11 Gaussian SSIM,
/// BT.601 Y). Folders are matched by file stem; every reference image needs a test image.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  sralign metrics --ref out/test_x4/HR --test results/clean --crop-border 4\n  \
                  sralign metrics --ref a.png --test b.png --json\n  \
                  sralign metrics --ref HR --test SR --crop-border 4 --lpips alex"
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
    /// Add LPIPS v0.1 with this backbone (alex as pyiqa's default, or vgg), on the whole RGB
    /// image (no crop), computed on the GPU; needs the weights of tools/setup_lpips.sh, and is
    /// reported as unavailable without them.
    #[arg(long, value_name = "alex|vgg")]
    lpips: Option<LpipsNet>,
}

/// LPIPS per pair, or why it is unavailable (no weights file). A weights file that is there but
/// bad, or an image LPIPS cannot take, is an error.
fn lpips_values(
    net: LpipsNet,
    ps: &[(PathBuf, PathBuf)],
) -> Result<std::result::Result<Vec<f64>, String>> {
    let path = match find_weights(net) {
        Ok(p) => p,
        Err(why) => return Ok(Err(why)),
    };
    let gpu = sralign::Gpu::new()?;
    let lp = Lpips::load(&gpu, net, &path)?;
    let mut out = Vec::with_capacity(ps.len());
    for (r, t) in ps {
        let d = lp
            .distance(&io::load_image(r)?, &io::load_image(t)?)
            .with_context(|| format!("LPIPS of {} vs {}", t.display(), r.display()))?;
        out.push(d);
    }
    Ok(Ok(out))
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
    let lpips = a.lpips.map(|net| lpips_values(net, &ps)).transpose()?;
    let lp = lpips.as_ref().and_then(|l| l.as_ref().ok());
    let lp_mean = lp.map(|v| v.iter().sum::<f64>() / n);
    if a.json {
        let per: Vec<Value> = rows
            .iter()
            .enumerate()
            .map(|(i, (f, m))| {
                let mut o = json!({"image": f, "psnr": num(m[0]), "ssim": num(m[1]), "psnr_y": num(m[2]), "ssim_y": num(m[3])});
                if lpips.is_some() {
                    o["lpips"] = json!(lp.map(|v| v[i]));
                }
                o
            })
            .collect();
        let mut out = json!({
            "crop_border": a.crop_border, "count": rows.len(), "images": per,
            "mean": {"psnr": num(mean[0]), "ssim": num(mean[1]), "psnr_y": num(mean[2]), "ssim_y": num(mean[3])},
        });
        if let (Some(net), Some(l)) = (a.lpips, &lpips) {
            out["lpips_net"] = json!(net.name());
            out["mean"]["lpips"] = json!(lp_mean);
            if let Err(why) = l {
                out["lpips_unavailable"] = json!(why);
            }
        }
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let lp_head = if lp.is_some() { "   LPIPS" } else { "" };
    println!(
        "{:<40} {:>9} {:>7} {:>9} {:>7}{lp_head}",
        "image", "PSNR", "SSIM", "PSNR-Y", "SSIM-Y"
    );
    let lp_col = |i: usize| match (lp, lp_mean) {
        (Some(v), Some(m)) => format!(" {:>7.4}", v.get(i).copied().unwrap_or(m)),
        _ => String::new(),
    };
    for (i, (f, m)) in rows
        .iter()
        .chain(std::iter::once(&(
            "mean".to_string(),
            [mean[0], mean[1], mean[2], mean[3]],
        )))
        .enumerate()
    {
        println!(
            "{:<40} {:>9.4} {:>7.4} {:>9.4} {:>7.4}{}",
            f,
            m[0],
            m[1],
            m[2],
            m[3],
            lp_col(i)
        );
    }
    if let (Some(net), Some(Err(why))) = (a.lpips, &lpips) {
        println!("LPIPS ({}): unavailable: {why}", net.name());
    }
    Ok(())
}
