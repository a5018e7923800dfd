//! `sralign degrade`: the eight fixed test sets of Kong et al. from a folder of HR images.

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde_json::json;
use sralign::data::degrade::{mod_crop, test_degrade, TestDegradation, TestSetting};
use sralign::data::resize::ResizeMode;
use sralign::data::{derive_seed, io, name_seed};
use std::path::PathBuf;

/// Write the test sets of Kong et al. (clean, blur, noise, jpeg, b+n, b+j, n+j, b+n+j).
///
/// Each HR image is cropped to a multiple of the scale (written to OUT/HR/NAME.png), then
/// degraded in the order blur (Gaussian 21x21, sigma 2) -> bicubic down -> Gaussian noise
/// (sigma 20/255) -> JPEG (quality 50), each step present or not (OUT/<setting>/NAME.png).
/// OUT/manifest.json records the parameters, the seeds and every file.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  sralign degrade --input ../shared/data/test --output out/test_x4 --scale 4\n  \
                  sralign degrade --input HR --output out/pil --scale 4 --resize pil --seed 7"
)]
pub struct Args {
    /// Folder of HR images (PNG, JPEG, BMP, TIFF).
    #[arg(long)]
    input: PathBuf,
    /// Output folder (created).
    #[arg(long)]
    output: PathBuf,
    #[arg(long, default_value_t = 4)]
    scale: usize,
    /// Downsampling: matlab (BasicSR imresize, antialiased bicubic) or pil (Pillow bicubic).
    #[arg(long, default_value = "matlab")]
    resize: String,
    /// Seed of the noise fields (each image gets its own, derived from this and its name).
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

pub fn run(a: Args) -> Result<()> {
    if a.scale == 0 {
        bail!("--scale must be positive");
    }
    let resize = match a.resize.as_str() {
        "matlab" => ResizeMode::Matlab,
        "pil" => ResizeMode::Pil,
        r => bail!("--resize {r}: expected matlab or pil"),
    };
    let cfg = TestDegradation {
        resize,
        ..TestDegradation::default()
    };
    let (files, ignored) = io::list_images(&a.input)?;
    for p in &ignored {
        eprintln!("note: {}: not an image extension, ignored", p.display());
    }
    let pb = ProgressBar::new((files.len() * (TestSetting::ALL.len() + 1)) as u64);
    pb.set_style(ProgressStyle::with_template(
        "{msg} [{bar:30}] {pos}/{len} images {elapsed} eta {eta}",
    )?);
    pb.set_message("degrade");
    let results: Vec<Result<serde_json::Value>> = files
        .par_iter()
        .map(|p| {
            let name = p.file_stem().unwrap_or_default().to_string_lossy().into_owned();
            let (img, info) = io::load_image_info(p)?;
            if img.h < a.scale || img.w < a.scale {
                bail!("{}: {}x{} is smaller than the scale {}", p.display(), img.w, img.h, a.scale);
            }
            let hr = mod_crop(&img, a.scale);
            let file = format!("{name}.png");
            io::save_image(a.output.join("HR").join(&file), &hr)?;
            pb.inc(1);
            let noise_seed = derive_seed(a.seed, name_seed(&name), 0);
            for s in TestSetting::ALL {
                let lr = test_degrade(&hr, a.scale, s, &cfg, noise_seed).with_context(|| format!("{}: {}", p.display(), s.name()))?;
                io::save_image(a.output.join(s.name()).join(&file), &lr)?;
                pb.inc(1);
            }
            Ok(json!({
                "source": p.display().to_string(), "file": file,
                "source_size": [img.w, img.h], "hr_size": [hr.w, hr.h], "lr_size": [hr.w / a.scale, hr.h / a.scale],
                "note": info.note(), "noise_seed": noise_seed,
            }))
        })
        .collect();
    pb.finish();
    let mut images = Vec::new();
    let mut errs = Vec::new();
    for r in results {
        match r {
            Ok(v) => {
                if let Some(n) = v["note"].as_str() {
                    eprintln!("note: {}: {n}", v["source"].as_str().unwrap_or_default());
                }
                images.push(v)
            }
            Err(e) => errs.push(format!("{e:#}")),
        }
    }
    if !errs.is_empty() {
        bail!(
            "{} of {} images failed:\n  {}",
            errs.len(),
            files.len(),
            errs.join("\n  ")
        );
    }
    let manifest = json!({
        "tool": format!("sralign {}", env!("CARGO_PKG_VERSION")),
        "input": a.input.display().to_string(),
        "scale": a.scale, "seed": a.seed,
        "hr": "HR/NAME.png: the input cropped (top-left kept) to a multiple of the scale",
        "order": "blur -> downsample -> noise -> jpeg; each intermediate rounded to 8-bit",
        "blur": {"kernel": "Gaussian", "size": cfg.blur_size, "sigma": cfg.blur_sigma, "border": "reflect-101", "impl": "OpenCV 8-bit fixed point (bit-exact)"},
        "downsample": {"method": resize.name(), "factor": format!("1/{}", a.scale)},
        "noise": {"kind": "Gaussian, per channel", "sigma_255": cfg.noise_sigma, "clip": true, "seed": "derive_seed(seed, fnv1a(name), 0), shared by the settings of an image"},
        "jpeg": {"quality": cfg.jpeg_quality, "encoder": "image crate"},
        "settings": TestSetting::ALL.iter().map(|s| s.name()).collect::<Vec<_>>(),
        "images": images,
    });
    let mpath = a.output.join("manifest.json");
    std::fs::write(&mpath, serde_json::to_string_pretty(&manifest)?)
        .with_context(|| format!("writing {}", mpath.display()))?;
    println!(
        "{} images x {} settings (+ HR) written to {} (x{}, {} resize, seed {})",
        files.len(),
        TestSetting::ALL.len(),
        a.output.display(),
        a.scale,
        resize.name(),
        a.seed
    );
    println!("manifest: {}", mpath.display());
    Ok(())
}
