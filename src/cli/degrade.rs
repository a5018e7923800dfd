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
/// Each HR image is degraded in the order blur (Gaussian 21x21, sigma 2) -> bicubic down ->
/// Gaussian noise (sigma 20/255) -> JPEG (quality 50), each step present or not
/// (OUT/<setting>/NAME.png); OUT/HR/NAME.png is the HR cropped (top-left kept) to a multiple of
/// the scale. --protocol kong (default) is Kong et al.'s script: Pillow bicubic from the whole
/// image to (w / scale, h / scale), noise truncated to 8-bit, Pillow's JPEG (bit-exact).
/// --protocol basicsr: the cropped HR, --resize matlab (BasicSR imresize) or pil, noise rounded.
/// OUT/manifest.json records the parameters, the seeds and every file.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  sralign degrade --input ../shared/data/test --output out/test_x4 --scale 4\n  \
                  sralign degrade --input HR --output out/basicsr --scale 4 --protocol basicsr --seed 7"
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
    /// kong (Kong et al.'s test-set script) or basicsr (MATLAB-style resize, noise rounded).
    #[arg(long, default_value = "kong")]
    protocol: String,
    /// With --protocol basicsr: matlab (BasicSR imresize, antialiased bicubic; the default)
    /// or pil (Pillow bicubic).
    #[arg(long)]
    resize: Option<String>,
    /// Seed of the noise fields (each image gets its own, derived from this and its name).
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

pub fn run(a: Args) -> Result<()> {
    if a.scale == 0 {
        bail!("--scale must be positive");
    }
    let kong = match a.protocol.as_str() {
        "kong" => true,
        "basicsr" => false,
        p => bail!("--protocol {p}: expected kong or basicsr"),
    };
    let cfg = match (kong, a.resize.as_deref()) {
        (true, None) => TestDegradation::kong(),
        (true, Some(_)) => bail!("--resize applies to --protocol basicsr (kong resizes as Pillow)"),
        (false, None | Some("matlab")) => TestDegradation::basicsr(),
        (false, Some("pil")) => TestDegradation {
            resize: ResizeMode::Pil,
            ..TestDegradation::basicsr()
        },
        (false, Some(r)) => bail!("--resize {r}: expected matlab or pil"),
    };
    let resize = cfg.resize;
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
                // Kong et al. resize the whole image to (w / scale, h / scale).
                let src = if kong { &img } else { &hr };
                let lr = test_degrade(src, a.scale, s, &cfg, noise_seed).with_context(|| format!("{}: {}", p.display(), s.name()))?;
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
        "protocol": a.protocol, "scale": a.scale, "seed": a.seed,
        "hr": "HR/NAME.png: the input cropped (top-left kept) to a multiple of the scale",
        "order": "blur -> downsample -> noise -> jpeg; each intermediate on the 8-bit grid",
        "blur": {"kernel": "Gaussian", "size": cfg.blur_size, "sigma": cfg.blur_sigma, "border": "reflect-101", "impl": "OpenCV 8-bit fixed point (bit-exact)"},
        "downsample": {"method": resize.name(), "factor": format!("1/{}", a.scale), "from": if kong { "the whole image, to (w / scale, h / scale)" } else { "the cropped HR" }},
        "noise": {"kind": "Gaussian, per channel, our seeded generator", "sigma_255": cfg.noise_sigma, "clip": true, "to_8bit": cfg.noise_to_8bit, "seed": "derive_seed(seed, fnv1a(name), 0), shared by the settings of an image"},
        "jpeg": {"quality": cfg.jpeg_quality, "codec": "sralign::data::jpeg, bit-exact with Pillow/libjpeg-turbo (baseline, 4:2:0, islow DCT, fancy upsampling)"},
        "settings": TestSetting::ALL.iter().map(|s| s.name()).collect::<Vec<_>>(),
        "images": images,
    });
    let mpath = a.output.join("manifest.json");
    std::fs::write(&mpath, serde_json::to_string_pretty(&manifest)?)
        .with_context(|| format!("writing {}", mpath.display()))?;
    println!(
        "{} images x {} settings (+ HR) written to {} (x{}, {} protocol, {} resize, seed {})",
        files.len(),
        TestSetting::ALL.len(),
        a.output.display(),
        a.scale,
        a.protocol,
        resize.name(),
        a.seed
    );
    println!("manifest: {}", mpath.display());
    Ok(())
}
