//! Argument parsing and dispatch. Every command has --help with an example; errors are one
//! clear line (plus context) and exit code 1.

use clap::{Parser, Subcommand};

mod bench;
mod degrade;
mod export;
mod info;
mod metrics;
mod upscale;

#[derive(Parser)]
#[command(
    name = "sralign",
    version,
    about = "Blind super-resolution training on a hand-written wgpu engine, with the \
             feature-alignment regulariser of 'Navigating Beyond Dropout' (CVPR 2024)",
    after_help = "Environment: SRALIGN_ADAPTER=<substring> picks an adapter by name, \
                  SRALIGN_BACKEND=vulkan|metal|dx12|gl a backend."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Info(info::Args),
    Bench(bench::Args),
    Degrade(degrade::Args),
    Metrics(metrics::Args),
    Export(export::Args),
    Upscale(upscale::Args),
}

pub fn main() -> i32 {
    let cli = Cli::parse();
    let r = match cli.command {
        Command::Info(a) => info::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Degrade(a) => degrade::run(a),
        Command::Metrics(a) => metrics::run(a),
        Command::Export(a) => export::run(a),
        Command::Upscale(a) => upscale::run(a),
    };
    match r {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    }
}

/// The model configuration: the architecture's standard x4 one, or a TOML file's
/// `[network_g]` table (BasicSR-style keys; unknown keys are errors).
pub fn model_config(
    arch: sralign::models::Arch,
    path: Option<&std::path::Path>,
) -> anyhow::Result<sralign::models::ModelConfig> {
    use anyhow::{bail, Context};
    let Some(path) = path else {
        return Ok(sralign::models::ModelConfig::standard(arch));
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut doc: toml::Table =
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let Some(toml::Value::Table(mut net)) = doc.remove("network_g") else {
        bail!("{}: no [network_g] table", path.display());
    };
    let ty = net
        .entry("type")
        .or_insert_with(|| toml::Value::String(arch.name().into()))
        .clone();
    let cfg: sralign::models::ModelConfig = net
        .try_into()
        .with_context(|| format!("{}: [network_g]", path.display()))?;
    if cfg.arch() != arch {
        bail!(
            "{}: [network_g] type {ty} does not match --arch {}",
            path.display(),
            arch.name()
        );
    }
    Ok(cfg)
}
