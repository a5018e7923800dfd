//! `sralign eval`: PSNR/SSIM (RGB and Y) of a trained network on test sets, per degradation.

use std::path::PathBuf;

use super::safety;
use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use sralign::eval::lpips::{find_weights, Lpips, LpipsNet};
use sralign::eval::tables;
use sralign::eval::testset::{evaluate, EvalOpts, EvalResult, TestSet};
use sralign::models::{self, Arch};
use sralign::nn::weights::WeightsKey;

/// Evaluate a network on test sets made by `sralign degrade`, or on paired LR/HR folders.
#[derive(clap::Args)]
#[command(
    after_help = "Tables (Markdown, CSV, JSON) go to --output; PSNR/SSIM follow BasicSR \
(SR rounded to 8-bit, --crop-border defaults to the scale, Y = BT.601 on RGB).\n\nExamples:\n  \
sralign degrade --input ../shared/data/test --output out/test_x4\n  \
sralign eval --arch srresnet --config tools/configs/srresnet_tiny_x4.toml --weights runs/align/model.safetensors --data out/test_x4 --output out/eval_align\n  \
sralign eval --arch srresnet --weights w.safetensors --lr LR_DIR --hr HR_DIR --output out/eval"
)]
pub struct Args {
    /// srresnet | rrdbnet | msrn | swinir
    #[arg(long)]
    arch: Arch,
    /// TOML file whose [network_g] table configures the network (a training config works)
    #[arg(long)]
    config: Option<PathBuf>,
    /// Weights (.safetensors, BasicSR names)
    #[arg(long)]
    weights: PathBuf,
    /// Use the EMA weights (params_ema); default: EMA when the file has them
    #[arg(long)]
    ema: bool,
    /// Use the live weights even when the file has EMA weights
    #[arg(long, conflicts_with = "ema")]
    live: bool,
    /// Test folders written by `sralign degrade` (HR/ plus setting folders); repeatable
    #[arg(long)]
    data: Vec<PathBuf>,
    /// Paired LR folder (with --hr) instead of --data
    #[arg(long, requires = "hr")]
    lr: Option<PathBuf>,
    #[arg(long, requires = "lr")]
    hr: Option<PathBuf>,
    /// Folder for the tables (eval.md, eval.csv, eval.json)
    #[arg(long)]
    output: PathBuf,
    /// Also write every SR image under OUTPUT/images/<set>/<setting>/
    #[arg(long)]
    save_images: bool,
    /// Pixels removed at each border (default: the scale)
    #[arg(long, allow_negative_numbers = true, value_parser = safety::usize_in(0, 4096))]
    crop_border: Option<usize>,
    /// Tile side in LR pixels (whole images when absent)
    #[arg(long, allow_negative_numbers = true, value_parser = safety::usize_in(1, 65536))]
    tile: Option<usize>,
    #[arg(long, default_value_t = 16, allow_negative_numbers = true, value_parser = safety::usize_in(0, 4096))]
    tile_overlap: usize,
    /// LPIPS network: alex (pyiqa's default), vgg, or none; unavailable without its weights
    /// (tools/setup.sh fetches them)
    #[arg(long, default_value = "alex")]
    lpips: String,
    /// Replace existing tables in --output
    #[arg(long)]
    force: bool,
}

pub fn run(a: Args) -> Result<()> {
    let mut sets = Vec::new();
    for d in &a.data {
        sets.push(TestSet::open(d)?);
    }
    if let (Some(lr), Some(hr)) = (&a.lr, &a.hr) {
        sets.push(TestSet::paired(lr, hr)?);
    }
    if sets.is_empty() {
        bail!("no test data: give --data DIR (from `sralign degrade`) or --lr DIR --hr DIR");
    }
    let target = a.output.join("eval.json");
    if target.exists() && !a.force {
        bail!(
            "{} exists: use --force to replace it, or another --output",
            target.display()
        );
    }
    std::fs::create_dir_all(&a.output)
        .with_context(|| format!("creating {}", a.output.display()))?;
    safety::check_writable_dir(&a.output, "--output")?;
    let gpu = safety::open_gpu()?;
    let cfg = models::load_config(a.arch, a.config.as_deref())?;
    let model = models::build(&gpu, &cfg, 0)?;
    let key = if a.ema {
        WeightsKey::ParamsEma
    } else if a.live {
        WeightsKey::Params
    } else {
        WeightsKey::Auto
    };
    for note in sralign::models::load::load_weights(model.as_ref(), &a.weights, key)? {
        eprintln!("note: {note}");
    }
    let lp = match a.lpips.as_str() {
        "none" => None,
        name => {
            let net: LpipsNet = name
                .parse()
                .map_err(|e: String| anyhow::anyhow!("--lpips: {e}"))?;
            match find_weights(net) {
                Ok(p) => Some(Lpips::load(&gpu, net, &p)?),
                Err(why) => {
                    eprintln!("LPIPS ({name}): unavailable: {why}");
                    None
                }
            }
        }
    };
    let perceptual = |x: &sralign::data::Image, y: &sralign::data::Image| -> Result<f64> {
        lp.as_ref().expect("checked").distance(x, y)
    };
    let total: usize = sets.iter().map(|s| s.len()).sum();
    let pb = ProgressBar::new(total as u64);
    pb.set_style(ProgressStyle::with_template(
        "{msg} [{bar:30}] {pos}/{len} images {elapsed} eta {eta}",
    )?);
    let opts = EvalOpts {
        tile: a.tile,
        overlap: a.tile_overlap,
        crop_border: a.crop_border.unwrap_or(model.scale()),
        save_dir: a.save_images.then(|| a.output.join("images")),
        features: false,
        perceptual: lp
            .as_ref()
            .map(|_| &perceptual as sralign::eval::testset::Perceptual),
    };
    let mut all = EvalResult::default();
    for s in &sets {
        let r = evaluate(&gpu, model.as_ref(), s, &opts, &mut |_, _, setting| {
            pb.set_message(format!("{} {setting}", s.name));
            pb.inc(1);
        })?;
        all.scores.extend(r.scores);
    }
    pb.finish_and_clear();
    print!("{}", tables::markdown(&all));
    let files = tables::write_all(&a.output, "eval", &all)?;
    for f in files {
        println!("wrote {}", f.display());
    }
    Ok(())
}
