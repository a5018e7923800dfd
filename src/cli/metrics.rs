//! `sralign metrics`: PSNR and SSIM (RGB and Y) between two images or two folders.

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use serde_json::{json, Value};
use sralign::data::{io, metrics};
use sralign::eval::lpips::{find_weights, Lpips, LpipsNet};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::safety;

/// PSNR / SSIM with BasicSR's conventions (8-bit rounding, crop_border, 11x11 Gaussian SSIM,
/// BT.601 Y). Folders are matched by file stem; every reference image needs a test image.
#[derive(clap::Args)]
#[command(
    after_help = "JSON: PSNR of identical images is infinite; it is written as null with \
\"identical\": true beside it (and the mean PSNR as null with the count of identical \
images), so every value is a number or null.\n\nExamples (after those of degrade and \
upscale; the second compares two folders of images with the same names):\n  \
sralign metrics --ref out/test_x4/HR/skimage_chelsea.png --test sr.png --crop-border 4 --json\n  \
sralign metrics --ref out/test_x4/HR --test out/test_x4_basicsr/HR --crop-border 4\n  \
sralign metrics --ref out/test_x4/HR/skimage_chelsea.png --test sr.png --crop-border 4 --lpips alex"
)]
pub struct Args {
    /// Reference image or folder (ground truth).
    #[arg(long = "ref")]
    reference: PathBuf,
    /// Test image or folder (e.g. SR results).
    #[arg(long)]
    test: PathBuf,
    /// Pixels removed on each border before measuring (BasicSR uses the scale), 0 to 4096.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true,
          value_parser = safety::usize_in(0, 4096))]
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
    let gpu = safety::open_gpu()?;
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

/// A PSNR for JSON: a number, or null when infinite (identical images).
fn num(v: f64) -> Value {
    if v.is_finite() {
        json!(v)
    } else {
        Value::Null
    }
}

/// Images of a folder by stem; two files with one stem (x.png, x.jpg) are refused, listed.
fn by_stem(dir: &Path, what: &str) -> Result<BTreeMap<OsString, PathBuf>> {
    let (files, _) = io::list_images(dir)?;
    let mut map: BTreeMap<OsString, Vec<PathBuf>> = BTreeMap::new();
    for p in files {
        map.entry(p.file_stem().unwrap_or_default().to_owned())
            .or_default()
            .push(p);
    }
    let dup: Vec<String> = map
        .values()
        .filter(|v| v.len() > 1)
        .map(|v| {
            v.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect();
    if !dup.is_empty() {
        bail!(
            "{what} {}: {} name(s) match more than one file, so the pairing is ambiguous \
             (rename or move one of each):\n  {}",
            dir.display(),
            dup.len(),
            dup.join("\n  ")
        );
    }
    Ok(map.into_iter().map(|(k, mut v)| (k, v.remove(0))).collect())
}

fn pairs(r: &Path, t: &Path) -> Result<Vec<(PathBuf, PathBuf)>> {
    let missing: Vec<String> = [("--ref", r), ("--test", t)]
        .iter()
        .filter(|(_, p)| !p.exists())
        .map(|(o, p)| format!("{o} {} does not exist", p.display()))
        .collect();
    if !missing.is_empty() {
        bail!("{}", missing.join("; "));
    }
    if r.is_file() && t.is_file() {
        return Ok(vec![(r.to_path_buf(), t.to_path_buf())]);
    }
    if !(r.is_dir() && t.is_dir()) {
        let kind = |p: &Path| if p.is_dir() { "a folder" } else { "a file" };
        bail!(
            "--ref {} is {} but --test {} is {}: give two files or two folders",
            r.display(),
            kind(r),
            t.display(),
            kind(t)
        );
    }
    let refs = by_stem(r, "--ref")?;
    let tests = by_stem(t, "--test")?;
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for (stem, p) in refs {
        match tests.get(&stem) {
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
    let pb = safety::progress_bar(ps.len() as u64, "metrics", "pairs");
    if a.json || ps.len() < 4 {
        pb.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    type Row = (String, [f64; 4], Vec<String>);
    let rows: Vec<Result<Row>> = ps
        .par_iter()
        .map(|(r, t)| {
            let ((ri, rinfo), (ti, tinfo)) = (io::load_image_info(r)?, io::load_image_info(t)?);
            let notes: Vec<String> = [(r, rinfo.note()), (t, tinfo.note())]
                .into_iter()
                .filter_map(|(p, n)| n.map(|n| format!("{}: {n}", p.display())))
                .collect();
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
            let m = (|| -> Result<[f64; 4]> {
                Ok([
                    metrics::psnr(&ri, &ti, cb)?,
                    metrics::ssim(&ri, &ti, cb)?,
                    metrics::psnr_y(&ri, &ti, cb)?,
                    metrics::ssim_y(&ri, &ti, cb)?,
                ])
            })()
            .with_context(|| format!("{} vs {}", r.display(), t.display()))?;
            pb.inc(1);
            Ok((
                r.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                m,
                notes,
            ))
        })
        .collect();
    pb.finish_and_clear();
    // Every failing pair is reported, not only the first.
    let mut ok = Vec::new();
    let mut errs = Vec::new();
    for r in rows {
        match r {
            Ok((f, m, notes)) => {
                for n in notes {
                    eprintln!("note: {n}");
                }
                ok.push((f, m));
            }
            Err(e) => errs.push(format!("{e:#}")),
        }
    }
    if !errs.is_empty() {
        bail!(
            "{} of {} pairs failed:\n  {}",
            errs.len(),
            ps.len(),
            errs.join("\n  ")
        );
    }
    let rows = ok;
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
                let mut o = json!({"image": f, "psnr": num(m[0]), "ssim": m[1], "psnr_y": num(m[2]), "ssim_y": m[3], "identical": m[0].is_infinite()});
                if lpips.is_some() {
                    o["lpips"] = json!(lp.map(|v| v[i]));
                }
                o
            })
            .collect();
        let identical = rows.iter().filter(|r| r.1[0].is_infinite()).count();
        let mut out = json!({
            "crop_border": a.crop_border, "count": rows.len(), "images": per,
            "mean": {"psnr": num(mean[0]), "ssim": mean[1], "psnr_y": num(mean[2]), "ssim_y": mean[3], "identical_images": identical},
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
