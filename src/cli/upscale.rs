//! `sralign upscale`: run a model on one image, whole or in tiles.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use sralign::data::io::{load_image_info, save_image};
use sralign::data::npy::write_npy_f32;
use sralign::data::Image;
use sralign::eval::tile::{self, Chw};
use sralign::models::{self, Arch};
use sralign::nn::weights::WeightsKey;

use super::safety::{self, OutputFile};

/// Upscale an image with a trained network.
#[derive(clap::Args)]
#[command(
    after_help = "The output format follows the extension: .png (8-bit, rounded) or .npy (float32, \
HWC layout [H, W, 3], values in [0, 1] not clipped). An existing output is never replaced \
without --force, and never when it is the input.\n\nExamples (the first makes weights for the \
second; \
`sralign degrade --help` makes the input, `sralign metrics --help` measures the result):\n  \
sralign export --arch srresnet --config tools/configs/srresnet_tiny_x4.toml --output w.safetensors\n  \
sralign upscale --arch srresnet --config tools/configs/srresnet_tiny_x4.toml --weights w.safetensors \
--input out/test_x4/clean/skimage_chelsea.png --output sr.png --tile 64 --tile-overlap 16"
)]
pub struct Args {
    /// srresnet | rrdbnet | msrn | swinir
    #[arg(long)]
    arch: Arch,
    /// TOML file with a [network_g] table overriding the standard configuration
    #[arg(long)]
    config: Option<PathBuf>,
    /// Upscaling factor (the config's `upscale` key): 2, 3 or 4 where the arch builds it
    #[arg(long, allow_negative_numbers = true, value_parser = safety::usize_in(1, 4))]
    scale: Option<usize>,
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
    /// Replace an existing output file
    #[arg(long)]
    force: bool,
    /// Tile side in LR pixels, 1 to 65536 (a multiple of the window for SwinIR); whole image
    /// when absent
    #[arg(long, allow_negative_numbers = true, value_parser = safety::usize_in(1, 65536))]
    tile: Option<usize>,
    /// LR pixels of context around each tile, 0 to 4096
    #[arg(long, default_value_t = 16, allow_negative_numbers = true,
          value_parser = safety::usize_in(0, 4096))]
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
    let mut inputs = vec![a.input.as_path(), a.weights.as_path()];
    inputs.extend(a.config.as_deref());
    let output = OutputFile::check(&a.output, &inputs, a.force, "--output")?;
    let cfg = models::load::load_config_scaled(a.arch, a.config.as_deref(), a.scale)?;
    let (img, info) = load_image_info(&a.input)?;
    if let Some(n) = info.note() {
        eprintln!("note: {}: {n}", a.input.display());
    }
    let gpu = safety::open_gpu()?;
    let model = models::build(&gpu, &cfg, 0)?;
    for n in models::load::load_weights(model.as_ref(), &a.weights, a.weights_key)? {
        eprintln!("note: {}: {n}", a.weights.display());
    }
    let mut data = vec![0f32; 3 * img.h * img.w];
    img.write_chw(&mut data);
    let chw = Chw {
        c: 3,
        h: img.h,
        w: img.w,
        data,
    };
    let bar = safety::progress_bar(1, "upscaling", "tiles");
    safety::show_compiles(&gpu, &bar, "upscaling");
    let t0 = std::time::Instant::now();
    let out = tile::upscale(
        &gpu,
        model.as_ref(),
        &chw,
        a.tile,
        a.tile_overlap,
        &mut |d, n| {
            bar.set_message("upscaling");
            bar.set_length(n as u64);
            bar.set_position(d as u64);
        },
    )
    .with_context(|| format!("upscaling {}", a.input.display()))?;
    bar.finish_and_clear();
    gpu.set_compile_observer(None);
    let bad = out.data.iter().filter(|v| !v.is_finite()).count();
    if bad > 0 {
        bail!(
            "the network produced {bad} NaN/Inf values of {} (weights {}); nothing written",
            out.data.len(),
            a.weights.display()
        );
    }
    let sr = Image::from_chw(out.c, out.h, out.w, &out.data);
    output.write(|tmp| {
        if ext == "npy" {
            write_npy_f32(tmp, &[sr.h, sr.w, sr.c], &sr.data)
        } else {
            save_image(tmp, &sr)
        }
    })?;
    if output.replaces() {
        eprintln!(
            "note: replaced the existing {} (--force)",
            a.output.display()
        );
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
