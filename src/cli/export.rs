//! `sralign export`: freshly initialised weights of an architecture, as safetensors.

use std::path::PathBuf;

use anyhow::{Context, Result};
use sralign::models::{self, Arch};
use sralign::nn::weights;
use sralign::Gpu;

/// Write freshly initialised weights (BasicSR parameter names and layouts).
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  sralign export --arch srresnet --seed 0 srresnet_x4_init.safetensors\n  \
    sralign export --arch swinir --config tools/configs/swinir_light.toml swinir_light.safetensors"
)]
pub struct Args {
    /// srresnet | rrdbnet | msrn | swinir (standard x4 configuration unless --config)
    #[arg(long)]
    arch: Arch,
    /// TOML file with a [network_g] table (BasicSR-style keys) overriding the standard config
    #[arg(long)]
    config: Option<PathBuf>,
    /// Seed of the initialisation
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output .safetensors path
    out: PathBuf,
}

pub fn run(a: Args) -> Result<()> {
    let gpu = Gpu::new()?;
    let cfg = models::load_config(a.arch, a.config.as_deref())?;
    let model = models::build(&gpu, &cfg, a.seed)?;
    weights::save(&a.out, &model.params(), None, model.arch())
        .with_context(|| format!("writing {}", a.out.display()))?;
    println!(
        "{}: {} parameters in {} tensors -> {}",
        model.arch(),
        model.params().count(),
        model.params().len(),
        a.out.display()
    );
    Ok(())
}
