//! The four backbones (SRResNet = BasicSR's MSRResNet, RRDBNet, MSRN, SwinIR) and a registry.
//! Parameter names and layouts follow the reference state dicts. Every model returns, beside
//! its output, the feature the regulariser works on (documented per model), and takes a hook
//! that transforms that feature before the layers after it (channel dropout).
//!
//! Models know nn and ops; they never name training, data or the CLI.

pub mod load;
pub mod msrn;
pub mod rrdbnet;
pub mod srresnet;
pub mod swinir;

use serde::Deserialize;

use crate::error::{unsupported, Result};
use crate::gpu::Gpu;
use crate::nn::{Builder, ParamStore};
use crate::tensor::Tensor;

/// A model's output and its regularised feature (pre-hook).
pub struct SrOutput {
    pub out: Tensor,
    pub feature: Tensor,
}

/// A transformation of the regularised feature (e.g. channel dropout) applied before the tail.
pub type FeatureHook<'a> = &'a dyn Fn(&Tensor) -> Result<Tensor>;

pub trait SrModel {
    fn arch(&self) -> &'static str;
    fn scale(&self) -> usize;
    fn params(&self) -> ParamStore;
    fn forward_hooked(&self, x: &Tensor, hook: Option<FeatureHook>) -> Result<SrOutput>;
    fn forward(&self, x: &Tensor) -> Result<SrOutput> {
        self.forward_hooked(x, None)
    }
    /// Input sides must be padded to a multiple of this (SwinIR: its window; handled inside).
    fn window(&self) -> usize {
        1
    }
    /// Half-width of the receptive field in LR pixels, a bound used to choose tile overlaps.
    fn receptive_radius(&self) -> usize;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    SrResNet,
    RrdbNet,
    Msrn,
    SwinIr,
}

impl std::str::FromStr for Arch {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "srresnet" | "msrresnet" => Ok(Arch::SrResNet),
            "rrdbnet" | "rrdb" => Ok(Arch::RrdbNet),
            "msrn" => Ok(Arch::Msrn),
            "swinir" => Ok(Arch::SwinIr),
            _ => Err(format!(
                "unknown arch {s:?}: expected srresnet, rrdbnet, msrn or swinir"
            )),
        }
    }
}

impl Arch {
    pub fn name(&self) -> &'static str {
        match self {
            Arch::SrResNet => "srresnet",
            Arch::RrdbNet => "rrdbnet",
            Arch::Msrn => "msrn",
            Arch::SwinIr => "swinir",
        }
    }
}

/// Configuration of any of the four models (BasicSR's `network_g` keys).
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "type")]
pub enum ModelConfig {
    #[serde(rename = "srresnet", alias = "MSRResNet")]
    SrResNet(srresnet::Config),
    #[serde(rename = "rrdbnet", alias = "RRDBNet")]
    RrdbNet(rrdbnet::Config),
    #[serde(rename = "msrn", alias = "MSRN")]
    Msrn(msrn::Config),
    #[serde(rename = "swinir", alias = "SwinIR")]
    SwinIr(swinir::Config),
}

impl ModelConfig {
    /// The standard x4 configuration of an architecture.
    pub fn standard(arch: Arch) -> ModelConfig {
        match arch {
            Arch::SrResNet => ModelConfig::SrResNet(srresnet::Config::default()),
            Arch::RrdbNet => ModelConfig::RrdbNet(rrdbnet::Config::default()),
            Arch::Msrn => ModelConfig::Msrn(msrn::Config::default()),
            Arch::SwinIr => ModelConfig::SwinIr(swinir::Config::default()),
        }
    }
    /// A few blocks and few channels: trains on a CPU in minutes (tests, demo).
    pub fn tiny(arch: Arch) -> ModelConfig {
        match arch {
            Arch::SrResNet => ModelConfig::SrResNet(srresnet::Config {
                num_feat: 16,
                num_block: 2,
                ..Default::default()
            }),
            Arch::RrdbNet => ModelConfig::RrdbNet(rrdbnet::Config {
                num_feat: 8,
                num_block: 1,
                num_grow_ch: 4,
                ..Default::default()
            }),
            Arch::Msrn => ModelConfig::Msrn(msrn::Config {
                num_feat: 8,
                num_block: 2,
                ..Default::default()
            }),
            Arch::SwinIr => ModelConfig::SwinIr(swinir::Config {
                embed_dim: 12,
                depths: vec![2],
                num_heads: vec![2],
                window_size: 4,
                upsampler: swinir::Upsampler::PixelShuffle,
                num_feat: 8,
                ..Default::default()
            }),
        }
    }
    pub fn arch(&self) -> Arch {
        match self {
            ModelConfig::SrResNet(_) => Arch::SrResNet,
            ModelConfig::RrdbNet(_) => Arch::RrdbNet,
            ModelConfig::Msrn(_) => Arch::Msrn,
            ModelConfig::SwinIr(_) => Arch::SwinIr,
        }
    }
}

/// The model configuration for `arch`: its standard x4 one, or a TOML file's `[network_g]`
/// table (BasicSR-style keys; `type` optional but checked; unknown keys are errors).
pub fn load_config(arch: Arch, path: Option<&std::path::Path>) -> anyhow::Result<ModelConfig> {
    use anyhow::{bail, Context};
    let Some(path) = path else {
        return Ok(ModelConfig::standard(arch));
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut doc: toml::Table =
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let Some(toml::Value::Table(mut net)) = doc.remove("network_g") else {
        bail!("{}: no [network_g] table", path.display());
    };
    // A training config's other tables are allowed (its network is what is read here).
    const TRAINING: [&str; 8] = [
        "name",
        "manual_seed",
        "datasets",
        "train",
        "regularizer",
        "val",
        "logger",
        "path",
    ];
    if let Some(k) = doc.keys().find(|k| !TRAINING.contains(&k.as_str())) {
        bail!(
            "{}: unknown top-level key {k:?} (only [network_g] is read here, beside a training config's tables)",
            path.display()
        );
    }
    let ty = net
        .entry("type")
        .or_insert_with(|| toml::Value::String(arch.name().into()))
        .clone();
    let cfg: ModelConfig = net
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

/// Build a model with freshly initialised parameters.
pub fn build(gpu: &Gpu, cfg: &ModelConfig, seed: u64) -> Result<Box<dyn SrModel>> {
    load::validate(cfg)?;
    let b = Builder::new(gpu, seed);
    Ok(match cfg {
        ModelConfig::SrResNet(c) => Box::new(srresnet::SrResNet::new(&b, c)?),
        ModelConfig::RrdbNet(c) => Box::new(rrdbnet::RrdbNet::new(&b, c)?),
        ModelConfig::Msrn(c) => Box::new(msrn::Msrn::new(&b, c)?),
        ModelConfig::SwinIr(c) => Box::new(swinir::SwinIr::new(&b, c)?),
    })
}

/// Error unless the scale is one the architecture's upsampler builds.
pub(crate) fn check_scale(arch: &str, scale: usize, allowed: &[usize]) -> Result<()> {
    if !allowed.contains(&scale) {
        return Err(unsupported(
            arch,
            format!("upscale {scale} (supported: {allowed:?})"),
        ));
    }
    Ok(())
}

/// Apply the hook (if any) to a feature.
pub(crate) fn hooked(feat: &Tensor, hook: Option<FeatureHook>) -> Result<Tensor> {
    match hook {
        Some(h) => h(feat),
        None => Ok(feat.clone()),
    }
}
