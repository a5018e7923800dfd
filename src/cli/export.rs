//! `sralign export`: freshly initialised weights of an architecture, as safetensors.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use sralign::models::{self, Arch};
use sralign::nn::weights;

use super::safety::{self, OutputFile};

/// Write freshly initialised weights (BasicSR parameter names and layouts).
#[derive(clap::Args)]
#[command(
    after_help = "An existing output is never replaced without --force.\n\nExamples:\n  \
    sralign export --arch srresnet --seed 0 --output srresnet_x4_init.safetensors\n  \
    sralign export --arch swinir --config tools/configs/swinir_light_x4.toml --output swinir_light.safetensors\n  \
    sralign export --arch msrn --scale 2 --output msrn_x2_init.safetensors"
)]
pub struct Args {
    /// srresnet | rrdbnet | msrn | swinir (standard x4 configuration unless --config)
    #[arg(long)]
    arch: Arch,
    /// TOML file with a [network_g] table (BasicSR-style keys) overriding the standard config
    #[arg(long)]
    config: Option<PathBuf>,
    /// Upscaling factor (the config's `upscale` key): 2, 3 or 4 where the arch builds it
    #[arg(long, allow_negative_numbers = true, value_parser = safety::usize_in(1, 4))]
    scale: Option<usize>,
    /// Seed of the initialisation
    #[arg(long, default_value_t = 0, allow_negative_numbers = true,
          value_parser = safety::u64_in(0, u64::MAX))]
    seed: u64,
    /// Output .safetensors path
    #[arg(long)]
    output: Option<PathBuf>,
    /// The output path given without --output (older form, still accepted)
    #[arg(hide = true, conflicts_with = "output")]
    out: Option<PathBuf>,
    /// Replace an existing output file
    #[arg(long)]
    force: bool,
}

pub fn run(a: Args) -> Result<()> {
    let Some(path) = a.output.or(a.out) else {
        bail!("--output <FILE.safetensors> is required");
    };
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext != "safetensors" {
        bail!(
            "--output {}: the extension must be .safetensors",
            path.display()
        );
    }
    let inputs: Vec<&std::path::Path> = a.config.as_deref().into_iter().collect();
    let output = OutputFile::check(&path, &inputs, a.force, "--output")?;
    let cfg = models::load::load_config_scaled(a.arch, a.config.as_deref(), a.scale)?;
    let gpu = safety::open_gpu()?;
    let model = models::build(&gpu, &cfg, a.seed)?;
    output
        .write(|tmp| weights::save(tmp, &model.params(), None, model.arch()))
        .with_context(|| format!("writing {}", path.display()))?;
    if output.replaces() {
        eprintln!("note: replaced the existing {} (--force)", path.display());
    }
    println!(
        "{}: {} parameters in {} tensors -> {}",
        model.arch(),
        model.params().count(),
        model.params().len(),
        path.display()
    );
    Ok(())
}
