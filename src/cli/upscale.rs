//! `sralign upscale`: run a model on one image, whole or in tiles.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use sralign::data::io::{load_image, save_image};
use sralign::data::npy::write_npy_f32;
use sralign::data::Image;
use sralign::eval::tile::{self, Chw};
use sralign::models::{self, Arch};
use sralign::nn::weights::{self, WeightsKey};
use sralign::Gpu;

/// Upscale an image with a trained network.
#[derive(clap::Args)]
#[command(
    after_help = "The output format follows the extension: .png (8-bit, rounded) or .npy (float32, \
HWC layout [H, W, 3], values in [0, 1] not clipped).\n\nExamples:\n  \
sralign upscale --arch srresnet --weights srresnet.safetensors --input lr.png --output sr.png\n  \
sralign upscale --arch swinir --weights swinir.safetensors --input big.png --output sr.npy --tile 64 --tile-overlap 16"
)]
pub struct Args {
    /// srresnet | rrdbnet | msrn | swinir
    #[arg(long)]
    arch: Arch,
    /// TOML file with a [network_g] table overriding the standard configuration
    #[arg(long)]
    config: Option<PathBuf>,
    /// Weights (.safetensors, BasicSR names)
    #[arg(long)]
    weights: PathBuf,
    /// Which dict of the weights file: auto (params_ema if present), params, params_ema
    #[arg(long, default_value = "auto")]
    weights_key: WeightsKey,
    #[arg(long)]
    input: PathBuf,
    /// .png or .npy
    #[arg(long)]
    output: PathBuf,
    /// Tile side in LR pixels (a multiple of the window for SwinIR); whole image when absent
    #[arg(long)]
    tile: Option<usize>,
    /// LR pixels of context around each tile
    #[arg(long, default_value_t = 16)]
    tile_overlap: usize,
}

pub fn run(a: Args) -> Result<()> {
    let ext = a
        .output
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext != "png" && ext != "npy" {
        bail!(
            "--output {}: the extension must be .png or .npy",
            a.output.display()
        );
    }
    let gpu = Gpu::new()?;
    let cfg = models::load_config(a.arch, a.config.as_deref())?;
    let model = models::build(&gpu, &cfg, 0)?;
    weights::load(&a.weights, &model.params(), a.weights_key, model.arch())?;
    let img = load_image(&a.input)?;
    let mut data = vec![0f32; 3 * img.h * img.w];
    img.write_chw(&mut data);
    let chw = Chw {
        c: 3,
        h: img.h,
        w: img.w,
        data,
    };
    let bar = ProgressBar::new(1);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} tiles {elapsed_precise}")
            .unwrap(),
    );
    bar.set_message("upscaling");
    let t0 = std::time::Instant::now();
    let out = tile::upscale(
        &gpu,
        model.as_ref(),
        &chw,
        a.tile,
        a.tile_overlap,
        &mut |d, n| {
            bar.set_length(n as u64);
            bar.set_position(d as u64);
        },
    )
    .with_context(|| format!("upscaling {}", a.input.display()))?;
    bar.finish_and_clear();
    let sr = Image::from_chw(out.c, out.h, out.w, &out.data);
    if ext == "npy" {
        write_npy_f32(&a.output, &[sr.h, sr.w, sr.c], &sr.data)?;
    } else {
        save_image(&a.output, &sr)?;
    }
    println!(
        "{} {}x{} -> {}x{} in {:.2} s -> {}",
        a.input.display(),
        img.w,
        img.h,
        out.w,
        out.h,
        t0.elapsed().as_secs_f64(),
        a.output.display()
    );
    Ok(())
}
