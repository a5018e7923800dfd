//! `sralign upscale`: run a model on one image, whole or in tiles.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use sralign::data::io::{load_image, save_image, Image};
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
    let chw = Chw {
        c: 3,
        h: img.h,
        w: img.w,
        data: hwc_to_chw(&img),
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
    let hwc = chw_to_hwc(&out);
    if ext == "npy" {
        write_npy_hwc(&a.output, &hwc, out.h, out.w, out.c)?;
    } else {
        save_image(
            &a.output,
            &Image {
                h: out.h,
                w: out.w,
                c: 3,
                data: hwc,
            },
        )?;
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

fn hwc_to_chw(img: &Image) -> Vec<f32> {
    let (h, w, c) = (img.h, img.w, img.c);
    let mut out = vec![0f32; c * h * w];
    for y in 0..h {
        for x in 0..w {
            for ch in 0..c {
                out[(ch * h + y) * w + x] = img.data[(y * w + x) * c + ch];
            }
        }
    }
    out
}

fn chw_to_hwc(img: &Chw) -> Vec<f32> {
    let (h, w, c) = (img.h, img.w, img.c);
    let mut out = vec![0f32; c * h * w];
    for ch in 0..c {
        for y in 0..h {
            for x in 0..w {
                out[(y * w + x) * c + ch] = img.data[(ch * h + y) * w + x];
            }
        }
    }
    out
}

/// NumPy .npy v1.0, little-endian float32, C order, shape (h, w, c).
fn write_npy_hwc(path: &Path, data: &[f32], h: usize, w: usize, c: usize) -> Result<()> {
    let mut header =
        format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({h}, {w}, {c}), }}");
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - total % 64) % 64));
    header.push('\n');
    let mut bytes = Vec::with_capacity(10 + header.len() + data.len() * 4);
    bytes.extend_from_slice(b"\x93NUMPY\x01\x00");
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(bytemuck::cast_slice(data));
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}
