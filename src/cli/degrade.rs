//! `sralign degrade`: the eight fixed test sets of Kong et al. from a folder of HR images.

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use serde_json::json;
use sralign::data::degrade::{mod_crop, test_degrade, TestDegradation, TestSetting};
use sralign::data::resize::ResizeMode;
use sralign::data::{derive_seed, io, name_seed};
use std::path::{Path, PathBuf};

use super::safety::{self, check_collisions, check_not_inside};

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
    after_help = "A non-empty output folder is refused, unless it is the output of an earlier run \
(its manifest.json says so) and --force is given: then the images in its HR/ and <setting>/ \
folders and its manifest are removed first (other files are left). Two \
inputs with one stem (x.png, x.jpg) are refused before anything is written. When some images \
fail, the others are written and the manifest lists both.\n\nExamples:\n  \
sralign degrade --input ../shared/data/test --output out/test_x4 --scale 4\n  \
sralign degrade --input ../shared/data/test --output out/test_x4_basicsr --scale 4 --protocol basicsr --seed 7"
)]
pub struct Args {
    /// Folder of HR images (PNG, JPEG, BMP, TIFF).
    #[arg(long)]
    input: PathBuf,
    /// Output folder (created).
    #[arg(long)]
    output: PathBuf,
    /// Downscaling factor, 1 to 16.
    #[arg(long, default_value_t = 4, allow_negative_numbers = true,
          value_parser = safety::usize_in(1, 16))]
    scale: usize,
    /// kong (Kong et al.'s test-set script) or basicsr (MATLAB-style resize, noise rounded).
    #[arg(long, default_value = "kong")]
    protocol: String,
    /// With --protocol basicsr: matlab (BasicSR imresize, antialiased bicubic; the default)
    /// or pil (Pillow bicubic).
    #[arg(long)]
    resize: Option<String>,
    /// Seed of the noise fields (each image gets its own, derived from this and its name).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true,
          value_parser = safety::u64_in(0, u64::MAX))]
    seed: u64,
    /// Write into a non-empty output folder, removing the images of a previous run first.
    #[arg(long)]
    force: bool,
}

/// The subfolders this command owns in its output folder.
fn owned_dirs() -> Vec<String> {
    std::iter::once("HR".to_string())
        .chain(TestSetting::ALL.iter().map(|s| s.name().to_string()))
        .collect()
}

/// Refuse a non-empty output folder unless it is an earlier run's output and `force` is given;
/// then remove the images that run left in the owned subfolders and its manifest. Returns how
/// many files were removed.
fn prepare_output(out: &Path, force: bool) -> Result<usize> {
    let entries: Vec<PathBuf> = match std::fs::read_dir(out) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(_) => Vec::new(),
    };
    if entries.is_empty() {
        return Ok(0);
    }
    // Only a folder this command wrote (its manifest says so) is cleaned: an HR/ folder of
    // someone's own images must never be emptied by --force.
    let mpath = out.join("manifest.json");
    let ours = std::fs::read(&mpath)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|m| m["tool"].as_str().map(|t| t.starts_with("sralign")))
        .unwrap_or(false);
    if !ours {
        bail!(
            "--output {} is not empty and holds no manifest.json of an earlier `sralign degrade`; \
             refusing to write or delete anything there (choose an empty or new folder)",
            out.display()
        );
    }
    if !force {
        bail!(
            "--output {} is not empty ({} entries); its old files would mix with the new ones. \
             Pass --force to remove the previous run's images and manifest first, or choose \
             another folder",
            out.display(),
            entries.len()
        );
    }
    let mut removed = 0;
    for d in owned_dirs() {
        let Ok(rd) = std::fs::read_dir(out.join(&d)) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let ext = p
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("")
                .to_ascii_lowercase();
            if p.is_file() && io::IMAGE_EXTENSIONS.contains(&ext.as_str()) {
                std::fs::remove_file(&p).with_context(|| format!("removing {}", p.display()))?;
                removed += 1;
            }
        }
    }
    std::fs::remove_file(&mpath).with_context(|| format!("removing {}", mpath.display()))?;
    removed += 1;
    Ok(removed)
}

pub fn run(a: Args) -> Result<()> {
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
    if !a.input.is_dir() {
        bail!("--input {}: not a folder of images", a.input.display());
    }
    if safety::resolved(&a.output) == safety::resolved(&a.input) {
        bail!(
            "--output {} is the input folder; choose another folder",
            a.output.display()
        );
    }
    for d in owned_dirs() {
        check_not_inside(
            &a.input,
            &a.output.join(&d),
            &format!(
                "--input {} lies in {}, which this command writes; choose another --output",
                a.input.display(),
                a.output.join(&d).display()
            ),
        )?;
    }
    let (files, ignored) = io::list_images(&a.input)?;
    for p in &ignored {
        eprintln!("note: {}: not an image extension, ignored", p.display());
    }
    let names: Vec<(PathBuf, String)> = files
        .iter()
        .map(|p| {
            let stem = p.file_stem().unwrap_or_default().to_string_lossy();
            (p.clone(), format!("{stem}.png"))
        })
        .collect();
    check_collisions(&names, "every image is written as NAME.png")?;
    safety::check_writable_dir(&a.output, "--output")?;
    let removed = prepare_output(&a.output, a.force)?;
    if removed > 0 {
        eprintln!(
            "note: removed {removed} files of a previous run from {} (--force)",
            a.output.display()
        );
    }
    let pb = safety::progress_bar(
        (files.len() * (TestSetting::ALL.len() + 1)) as u64,
        "degrade",
        "images",
    );
    let one = |p: &PathBuf, file: &str| -> Result<serde_json::Value> {
        let name = p
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let (img, info) = io::load_image_info(p)?;
        if img.h < a.scale || img.w < a.scale {
            bail!(
                "{}: {}x{} is smaller than the scale {}",
                p.display(),
                img.w,
                img.h,
                a.scale
            );
        }
        let hr = mod_crop(&img, a.scale);
        io::save_image(a.output.join("HR").join(file), &hr)?;
        pb.inc(1);
        let noise_seed = derive_seed(a.seed, name_seed(&name), 0);
        for s in TestSetting::ALL {
            // Kong et al. resize the whole image to (w / scale, h / scale).
            let src = if kong { &img } else { &hr };
            let lr = test_degrade(src, a.scale, s, &cfg, noise_seed)
                .with_context(|| format!("{}: {}", p.display(), s.name()))?;
            io::save_image(a.output.join(s.name()).join(file), &lr)?;
            pb.inc(1);
        }
        Ok(json!({
            "source": p.display().to_string(), "file": file,
            "source_size": [img.w, img.h], "hr_size": [hr.w, hr.h], "lr_size": [hr.w / a.scale, hr.h / a.scale],
            "note": info.note(), "noise_seed": noise_seed,
        }))
    };
    let results: Vec<Result<serde_json::Value>> = names
        .par_iter()
        .map(|(p, file)| {
            let r = one(p, file);
            if r.is_err() {
                // A failed image leaves none of its files, so the folder matches the manifest.
                for d in owned_dirs() {
                    std::fs::remove_file(a.output.join(d).join(file)).ok();
                }
            }
            r
        })
        .collect();
    pb.finish_and_clear();
    let mut images = Vec::new();
    let mut errs = Vec::new();
    for ((p, _), r) in names.iter().zip(results) {
        match r {
            Ok(v) => {
                if let Some(n) = v["note"].as_str() {
                    eprintln!("note: {}: {n}", v["source"].as_str().unwrap_or_default());
                }
                images.push(v)
            }
            Err(e) => errs.push((p.display().to_string(), format!("{e:#}"))),
        }
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
        "failed": errs.iter().map(|(p, e)| json!({"source": p, "error": e})).collect::<Vec<_>>(),
    });
    let mpath = a.output.join("manifest.json");
    std::fs::write(&mpath, serde_json::to_string_pretty(&manifest)?)
        .with_context(|| format!("writing {}", mpath.display()))?;
    if !errs.is_empty() {
        bail!(
            "{} of {} images failed (the {} others are written and listed in {}):\n  {}",
            errs.len(),
            files.len(),
            files.len() - errs.len(),
            mpath.display(),
            errs.iter()
                .map(|(_, e)| e.as_str())
                .collect::<Vec<_>>()
                .join("\n  ")
        );
    }
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
