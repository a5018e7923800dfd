//! The training configuration: TOML with BasicSR's option names where they exist
//! (`network_g`, `datasets.train.{dataroot_gt, gt_size, use_hflip, use_rot, batch_size}`,
//! `train.{optim_g, scheduler, total_iter, warmup_iter, ema_decay, pixel_opt}`,
//! `val.{val_freq, metrics}`, `logger.{print_freq, save_checkpoint_freq}`) plus a
//! `[regularizer]` table. Unknown keys are errors naming the key and the keys allowed there;
//! bad values are errors naming the key and the allowed range.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use super::regularizer::RegularizerCfg;
use crate::models::{Arch, ModelConfig};

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// A name for the run (the default output folder is runs/<name>).
    #[serde(default)]
    pub name: Option<String>,
    /// Seed of everything random: initialisation, data order and degradations, dropout masks,
    /// random features.
    #[serde(default)]
    pub manual_seed: u64,
    /// BasicSR's `network_g` (`type` and the architecture's keys).
    pub network_g: toml::Table,
    pub datasets: Datasets,
    pub train: TrainOpts,
    #[serde(default)]
    pub regularizer: RegularizerCfg,
    #[serde(default)]
    pub val: Option<ValOpts>,
    #[serde(default)]
    pub logger: LoggerOpts,
    #[serde(default)]
    pub path: PathOpts,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Datasets {
    pub train: TrainData,
    #[serde(default)]
    pub val: Option<ValData>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TrainData {
    /// Folder of HR images.
    pub dataroot_gt: PathBuf,
    #[serde(default = "d_gt_size")]
    pub gt_size: usize,
    #[serde(default = "d_true")]
    pub use_hflip: bool,
    #[serde(default)]
    pub use_rot: bool,
    /// GT crops per step; each is degraded twice, so the network sees 2 x batch_size LR images.
    #[serde(alias = "batch_size_per_gpu")]
    pub batch_size: usize,
    #[serde(default = "d_workers", alias = "num_worker_per_gpu")]
    pub num_worker: usize,
    /// Batches queued ahead per worker.
    #[serde(default = "d_prefetch")]
    pub prefetch: usize,
    /// realesrgan | onestage | bicubic
    #[serde(default = "d_pipeline")]
    pub degradation: String,
    /// USM-sharpen the GT (Real-ESRGAN).
    #[serde(default = "d_true")]
    pub usm: bool,
    /// Split large images into sub-images [size, step] (BasicSR's extract_subimages); [0, 0]: off.
    #[serde(default = "d_sub_image")]
    pub sub_image: [usize; 2],
    /// Keep decoded images in memory.
    #[serde(default = "d_true")]
    pub cache: bool,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ValData {
    /// Paired folders matched by file stem (BasicSR's PairedImageDataset).
    pub dataroot_gt: PathBuf,
    pub dataroot_lq: PathBuf,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TrainOpts {
    pub total_iter: u64,
    /// Linear warm-up over this many steps (BasicSR: -1 = none).
    #[serde(default = "d_warmup")]
    pub warmup_iter: i64,
    /// EMA of the weights (0: none); validation uses the EMA when present.
    #[serde(default = "d_ema")]
    pub ema_decay: f32,
    pub optim_g: Optim,
    #[serde(default)]
    pub scheduler: Option<Scheduler>,
    #[serde(default)]
    pub pixel_opt: PixelOpt,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum Optim {
    Adam {
        lr: f32,
        #[serde(default = "d_betas")]
        betas: [f32; 2],
        #[serde(default)]
        weight_decay: f32,
    },
    AdamW {
        lr: f32,
        #[serde(default = "d_betas")]
        betas: [f32; 2],
        #[serde(default = "d_adamw_wd")]
        weight_decay: f32,
    },
}

impl Optim {
    pub fn lr(&self) -> f32 {
        match self {
            Optim::Adam { lr, .. } | Optim::AdamW { lr, .. } => *lr,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum Scheduler {
    /// BasicSR's CosineAnnealingRestartLR.
    CosineAnnealingRestartLR {
        periods: Vec<u64>,
        /// One per period (default all 1).
        #[serde(default)]
        restart_weights: Vec<f32>,
        #[serde(default)]
        eta_min: f32,
    },
    /// PyTorch's MultiStepLR: lr * gamma^(milestones passed).
    MultiStepLR {
        milestones: Vec<u64>,
        #[serde(default = "d_gamma")]
        gamma: f32,
    },
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PixelOpt {
    /// L1Loss (the paper's loss).
    #[serde(rename = "type", default = "d_l1")]
    pub kind: String,
    #[serde(default = "d_one")]
    pub loss_weight: f32,
    #[serde(default = "d_mean")]
    pub reduction: String,
}

impl Default for PixelOpt {
    fn default() -> Self {
        PixelOpt {
            kind: d_l1(),
            loss_weight: 1.0,
            reduction: d_mean(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ValOpts {
    pub val_freq: u64,
    /// Tile side in LR pixels for validation inference (0: whole images).
    #[serde(default = "d_tile")]
    pub tile: usize,
    #[serde(default = "d_overlap")]
    pub tile_overlap: usize,
    /// `psnr` and/or `ssim` tables with `crop_border` and `test_y_channel` (BasicSR's keys).
    #[serde(default = "d_metrics")]
    pub metrics: BTreeMap<String, MetricOpts>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MetricOpts {
    /// calculate_psnr | calculate_ssim (optional; implied by the table's name).
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// Pixels cut from each border before measuring (default: the scale).
    #[serde(default)]
    pub crop_border: Option<usize>,
    #[serde(default)]
    pub test_y_channel: bool,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LoggerOpts {
    /// Log (and read back loss values) every this many steps.
    #[serde(default = "d_print")]
    pub print_freq: u64,
    #[serde(default = "d_ckpt")]
    pub save_checkpoint_freq: u64,
    /// At logged steps, the gradient norm of each loss term and its share (one extra forward
    /// and backward per term at those steps; the update itself is unchanged).
    #[serde(default = "d_true")]
    pub grad_share: bool,
    /// Keep only the newest this many checkpoints (0: keep all).
    #[serde(default)]
    pub keep_checkpoints: usize,
}

impl Default for LoggerOpts {
    fn default() -> Self {
        LoggerOpts {
            print_freq: d_print(),
            save_checkpoint_freq: d_ckpt(),
            grad_share: true,
            keep_checkpoints: 0,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PathOpts {
    /// Initial weights (BasicSR names; must fit network_g).
    #[serde(default)]
    pub pretrain_network_g: Option<PathBuf>,
    /// Which dict of that file: params (default) or params_ema.
    #[serde(default)]
    pub param_key_g: Option<String>,
}

fn d_gt_size() -> usize {
    128
}
fn d_true() -> bool {
    true
}
fn d_workers() -> usize {
    2
}
fn d_prefetch() -> usize {
    2
}
fn d_pipeline() -> String {
    "realesrgan".into()
}
fn d_sub_image() -> [usize; 2] {
    [480, 240]
}
fn d_warmup() -> i64 {
    -1
}
fn d_ema() -> f32 {
    0.999
}
fn d_betas() -> [f32; 2] {
    [0.9, 0.99]
}
fn d_adamw_wd() -> f32 {
    0.01
}
fn d_gamma() -> f32 {
    0.5
}
fn d_l1() -> String {
    "L1Loss".into()
}
fn d_one() -> f32 {
    1.0
}
fn d_mean() -> String {
    "mean".into()
}
fn d_tile() -> usize {
    0
}
fn d_overlap() -> usize {
    16
}
fn d_metrics() -> BTreeMap<String, MetricOpts> {
    let m = |k: &str| MetricOpts {
        kind: Some(k.into()),
        crop_border: None,
        test_y_channel: false,
    };
    BTreeMap::from([
        ("psnr".to_string(), m("calculate_psnr")),
        ("ssim".to_string(), m("calculate_ssim")),
    ])
}
fn d_print() -> u64 {
    100
}
fn d_ckpt() -> u64 {
    5000
}

impl TrainConfig {
    /// Parse and validate a config file; errors name the file and the key.
    pub fn load(path: &Path) -> Result<TrainConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config {}", path.display()))?;
        let cfg =
            TrainConfig::parse(&text).with_context(|| format!("config {}", path.display()))?;
        Ok(cfg)
    }

    pub fn parse(text: &str) -> Result<TrainConfig> {
        let cfg: TrainConfig = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// The model configuration of `network_g` (its `type` names the architecture).
    pub fn model_config(&self) -> Result<ModelConfig> {
        let net = self.network_g.clone();
        let Some(ty) = net.get("type").and_then(|v| v.as_str()).map(str::to_string) else {
            bail!("network_g.type is missing (srresnet, rrdbnet, msrn or swinir)");
        };
        ty.parse::<Arch>()
            .map_err(|e| anyhow::anyhow!("network_g.type: {e}"))?;
        let mut net = net;
        net.insert("type".into(), toml::Value::String(ty.to_ascii_lowercase()));
        let mc: ModelConfig = net
            .try_into()
            .map_err(|e| anyhow::anyhow!("network_g: {e}"))?;
        Ok(mc)
    }

    /// The model's upscale factor.
    pub fn scale(&self) -> usize {
        self.network_g
            .get("upscale")
            .and_then(|v| v.as_integer())
            .map(|v| v as usize)
            .unwrap_or(4)
    }

    /// Every value checked, errors naming the key and the allowed values.
    pub fn validate(&self) -> Result<()> {
        let mc = self.model_config()?;
        let scale = self.scale();
        let d = &self.datasets.train;
        if d.batch_size == 0 || d.batch_size > 4096 {
            bail!(
                "datasets.train.batch_size = {}: must be in 1..=4096 (GT crops per step)",
                d.batch_size
            );
        }
        if d.gt_size == 0 || !d.gt_size.is_multiple_of(scale) || d.gt_size > 4096 {
            bail!(
                "datasets.train.gt_size = {}: must be a positive multiple of the scale {scale}, at most 4096",
                d.gt_size
            );
        }
        if let Arch::SwinIr = mc.arch() {
            if let ModelConfig::SwinIr(c) = &mc {
                if !(d.gt_size / scale).is_multiple_of(c.window_size) {
                    bail!(
                        "datasets.train.gt_size = {}: the LR patch {} must be a multiple of network_g.window_size {}",
                        d.gt_size,
                        d.gt_size / scale,
                        c.window_size
                    );
                }
            }
        }
        if d.num_worker == 0 || d.num_worker > 256 {
            bail!(
                "datasets.train.num_worker = {}: must be in 1..=256",
                d.num_worker
            );
        }
        if d.prefetch == 0 || d.prefetch > 64 {
            bail!(
                "datasets.train.prefetch = {}: must be in 1..=64",
                d.prefetch
            );
        }
        crate::data::degrade::Pipeline::parse(&d.degradation)
            .map_err(|e| anyhow::anyhow!("datasets.train.degradation: {e}"))?;
        let [size, step] = d.sub_image;
        if (size == 0) != (step == 0) || (size > 0 && size < d.gt_size) {
            bail!(
                "datasets.train.sub_image = [{size}, {step}]: [0, 0] (off) or [size >= gt_size {}, step > 0]",
                d.gt_size
            );
        }
        let t = &self.train;
        if t.total_iter == 0 || t.total_iter > 100_000_000 {
            bail!(
                "train.total_iter = {}: must be in 1..=100000000",
                t.total_iter
            );
        }
        if t.warmup_iter < -1 || t.warmup_iter > t.total_iter as i64 {
            bail!(
                "train.warmup_iter = {}: -1 (none) or 0..=total_iter",
                t.warmup_iter
            );
        }
        if !(0.0..1.0).contains(&t.ema_decay) {
            bail!(
                "train.ema_decay = {}: must be in [0, 1) (0: no EMA)",
                t.ema_decay
            );
        }
        let (lr, betas, wd) = match &t.optim_g {
            Optim::Adam {
                lr,
                betas,
                weight_decay,
            }
            | Optim::AdamW {
                lr,
                betas,
                weight_decay,
            } => (*lr, *betas, *weight_decay),
        };
        if !(lr.is_finite() && lr > 0.0 && lr < 1.0) {
            bail!("train.optim_g.lr = {lr}: must be in (0, 1)");
        }
        if betas.iter().any(|b| !(0.0..1.0).contains(b)) {
            bail!("train.optim_g.betas = {betas:?}: each must be in [0, 1)");
        }
        if !(wd.is_finite() && (0.0..1.0).contains(&wd)) {
            bail!("train.optim_g.weight_decay = {wd}: must be in [0, 1)");
        }
        match &t.scheduler {
            Some(Scheduler::CosineAnnealingRestartLR {
                periods,
                restart_weights,
                eta_min,
            }) => {
                if periods.is_empty() || periods.contains(&0) {
                    bail!("train.scheduler.periods = {periods:?}: one or more positive periods");
                }
                if !restart_weights.is_empty() && restart_weights.len() != periods.len() {
                    bail!(
                        "train.scheduler.restart_weights has {} values for {} periods",
                        restart_weights.len(),
                        periods.len()
                    );
                }
                if !(eta_min.is_finite() && *eta_min >= 0.0 && *eta_min <= lr) {
                    bail!("train.scheduler.eta_min = {eta_min}: must be in [0, lr]");
                }
            }
            Some(Scheduler::MultiStepLR { milestones, gamma }) => {
                if milestones.windows(2).any(|w| w[0] > w[1]) {
                    bail!("train.scheduler.milestones = {milestones:?}: must be increasing");
                }
                if !(gamma.is_finite() && *gamma > 0.0 && *gamma <= 1.0) {
                    bail!("train.scheduler.gamma = {gamma}: must be in (0, 1]");
                }
            }
            None => {}
        }
        let p = &t.pixel_opt;
        if p.kind != "L1Loss" {
            bail!(
                "train.pixel_opt.type = {:?}: only \"L1Loss\" (the paper's loss)",
                p.kind
            );
        }
        if p.reduction != "mean" {
            bail!(
                "train.pixel_opt.reduction = {:?}: only \"mean\"",
                p.reduction
            );
        }
        if !(p.loss_weight.is_finite() && p.loss_weight > 0.0) {
            bail!(
                "train.pixel_opt.loss_weight = {}: must be finite and > 0",
                p.loss_weight
            );
        }
        self.regularizer.validate()?;
        if let Some(v) = &self.val {
            if v.val_freq == 0 {
                bail!("val.val_freq = 0: must be positive");
            }
            if self.datasets.val.is_none() {
                bail!("[val] is set but [datasets.val] (dataroot_gt, dataroot_lq) is missing");
            }
            for (k, m) in &v.metrics {
                let want = match k.as_str() {
                    "psnr" => "calculate_psnr",
                    "ssim" => "calculate_ssim",
                    _ => bail!("val.metrics.{k}: unknown metric (psnr, ssim)"),
                };
                if let Some(kind) = &m.kind {
                    if kind != want {
                        bail!("val.metrics.{k}.type = {kind:?}: expected {want:?}");
                    }
                }
                if m.crop_border.is_some_and(|c| c > 4096) {
                    bail!("val.metrics.{k}.crop_border: must be at most 4096");
                }
            }
        }
        let l = &self.logger;
        if l.print_freq == 0 {
            bail!("logger.print_freq = 0: must be positive");
        }
        if l.save_checkpoint_freq == 0 {
            bail!("logger.save_checkpoint_freq = 0: must be positive");
        }
        if let Some(k) = &self.path.param_key_g {
            if k != "params" && k != "params_ema" {
                bail!("path.param_key_g = {k:?}: params or params_ema");
            }
        }
        Ok(())
    }

    /// The config as TOML (every default filled in): what a run folder stores.
    pub fn to_toml(&self) -> Result<String> {
        Ok(toml::to_string(self)?)
    }

    /// Keys whose values differ between two configs (dotted paths), for refusing a resume.
    pub fn differences(&self, other: &TrainConfig) -> Result<Vec<String>> {
        let a = flatten(&toml::Table::try_from(self)?);
        let b = flatten(&toml::Table::try_from(other)?);
        let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
        keys.sort();
        keys.dedup();
        Ok(keys
            .into_iter()
            .filter(|k| a.get(*k) != b.get(*k))
            .map(|k| {
                let show = |m: &BTreeMap<String, String>| {
                    m.get(k).cloned().unwrap_or_else(|| "(absent)".into())
                };
                format!("{k}: {} -> {}", show(&a), show(&b))
            })
            .collect())
    }
}

fn flatten(t: &toml::Table) -> BTreeMap<String, String> {
    fn go(prefix: &str, v: &toml::Value, out: &mut BTreeMap<String, String>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    go(&p, v, out);
                }
            }
            other => {
                out.insert(prefix.to_string(), other.to_string());
            }
        }
    }
    let mut out = BTreeMap::new();
    go("", &toml::Value::Table(t.clone()), &mut out);
    out
}
