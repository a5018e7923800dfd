//! Checks between a user's files and a model: configuration values validated by name before
//! anything is built, a `--scale` shorthand for the config's `upscale` key, and weights loaded
//! with every tensor checked for NaN/Inf and with the fixed layers of reference checkpoints
//! (MSRN's mean shift) verified and set aside.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context};

use super::{msrn, Arch, ModelConfig, SrModel};
use crate::error::{unsupported, Result};
use crate::nn::weights::{self, WeightsKey};

/// Upper bounds that catch typos (a width of 6400 for 64) before they become allocation errors.
const MAX_WIDTH: usize = 4096;
const MAX_DEPTH: usize = 1000;

fn in_range(arch: &str, key: &str, v: usize, lo: usize, hi: usize) -> Result<()> {
    if v < lo || v > hi {
        return Err(unsupported(
            &format!("[network_g] {arch}"),
            format!("{key} = {v}: must be from {lo} to {hi}"),
        ));
    }
    Ok(())
}

/// Error naming the key when a configuration value is out of its range.
pub fn validate(cfg: &ModelConfig) -> Result<()> {
    match cfg {
        ModelConfig::SrResNet(c) => {
            let a = "srresnet";
            in_range(a, "num_in_ch", c.num_in_ch, 1, 64)?;
            in_range(a, "num_out_ch", c.num_out_ch, 1, 64)?;
            in_range(a, "num_feat", c.num_feat, 1, MAX_WIDTH)?;
            in_range(a, "num_block", c.num_block, 0, MAX_DEPTH)?;
        }
        ModelConfig::RrdbNet(c) => {
            let a = "rrdbnet";
            in_range(a, "num_in_ch", c.num_in_ch, 1, 64)?;
            in_range(a, "num_out_ch", c.num_out_ch, 1, 64)?;
            in_range(a, "num_feat", c.num_feat, 1, MAX_WIDTH)?;
            in_range(a, "num_block", c.num_block, 0, MAX_DEPTH)?;
            in_range(a, "num_grow_ch", c.num_grow_ch, 1, MAX_WIDTH)?;
        }
        ModelConfig::Msrn(c) => {
            let a = "msrn";
            in_range(a, "num_in_ch", c.num_in_ch, 1, 64)?;
            in_range(a, "num_out_ch", c.num_out_ch, 1, 64)?;
            in_range(a, "num_feat", c.num_feat, 1, MAX_WIDTH)?;
            in_range(a, "num_block", c.num_block, 0, MAX_DEPTH)?;
        }
        ModelConfig::SwinIr(c) => {
            let a = "swinir";
            in_range(a, "in_chans", c.in_chans, 1, 64)?;
            in_range(a, "embed_dim", c.embed_dim, 1, MAX_WIDTH)?;
            in_range(a, "window_size", c.window_size, 1, 64)?;
            in_range(a, "num_feat", c.num_feat, 1, MAX_WIDTH)?;
            in_range(a, "depths (number of stages)", c.depths.len(), 1, MAX_DEPTH)?;
            for d in &c.depths {
                in_range(a, "depths[i]", *d, 1, MAX_DEPTH)?;
            }
            for h in &c.num_heads {
                in_range(a, "num_heads[i]", *h, 1, MAX_WIDTH)?;
            }
            if !(c.mlp_ratio.is_finite() && c.mlp_ratio > 0.0 && c.mlp_ratio <= 64.0) {
                return Err(unsupported(
                    "[network_g] swinir",
                    format!(
                        "mlp_ratio = {}: must be above 0 and at most 64",
                        c.mlp_ratio
                    ),
                ));
            }
            if !(c.img_range.is_finite() && c.img_range > 0.0) {
                return Err(unsupported(
                    "[network_g] swinir",
                    format!("img_range = {}: must be a positive number", c.img_range),
                ));
            }
        }
    }
    Ok(())
}

/// As `super::load_config`, with `scale` (a command's `--scale`) written into the `upscale`
/// key; a file that sets another `upscale` is refused rather than silently overridden.
pub fn load_config_scaled(
    arch: Arch,
    path: Option<&Path>,
    scale: Option<usize>,
) -> anyhow::Result<ModelConfig> {
    let mut cfg = super::load_config(arch, path)?;
    let Some(s) = scale else {
        validate(&cfg)?;
        return Ok(cfg);
    };
    if let Some(p) = path {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        let doc: toml::Table =
            toml::from_str(&text).with_context(|| format!("parsing {}", p.display()))?;
        let set = doc
            .get("network_g")
            .and_then(|n| n.get("upscale"))
            .and_then(|v| v.as_integer());
        if let Some(u) = set.filter(|u| *u != s as i64) {
            bail!(
                "--scale {s} contradicts upscale = {u} in {} (drop one of them)",
                p.display()
            );
        }
    }
    match &mut cfg {
        ModelConfig::SrResNet(c) => c.upscale = s,
        ModelConfig::RrdbNet(c) => c.upscale = s,
        ModelConfig::Msrn(c) => c.upscale = s,
        ModelConfig::SwinIr(c) => c.upscale = s,
    }
    validate(&cfg)?;
    Ok(cfg)
}

/// Names of the MSRN reference code's fixed mean-shift layers (EDSR's `MeanShift`: a 1x1 conv
/// with weight eye(3) / std and bias sign * rgb_range * mean / std, sign -1 at the input).
const MSRN_MEAN_SHIFT: [&str; 4] = [
    "sub_mean.weight",
    "sub_mean.bias",
    "add_mean.weight",
    "add_mean.bias",
];

/// Check a reference MSRN checkpoint's mean-shift tensors (identity weight, i.e. std 1, and
/// bias -/+ rgb_range * DIV2K mean) and remove them. A checkpoint trained on [0, rgb_range]
/// pixels differs from ours ([0, 1]) only by its conv biases being rgb_range times larger
/// (every other layer is positively homogeneous), so they are divided by rgb_range. Returns a
/// note for the user, or None when the file has no mean-shift tensors.
fn adapt_msrn(
    file: &mut BTreeMap<String, (Vec<usize>, Vec<f32>)>,
    path: &Path,
) -> anyhow::Result<Option<String>> {
    let present: Vec<&str> = MSRN_MEAN_SHIFT
        .iter()
        .copied()
        .filter(|n| file.contains_key(*n))
        .collect();
    if present.is_empty() {
        return Ok(None);
    }
    if present.len() != 4 {
        bail!(
            "{}: MSRN mean-shift layers incomplete: has {} of sub_mean.weight/bias, add_mean.weight/bias",
            path.display(),
            present.join(", ")
        );
    }
    let get = |n: &str| &file[n];
    let bad = |n: &str, why: String| -> anyhow::Error {
        anyhow::anyhow!(
            "{}: {n} is not the fixed MSRN mean shift (DIV2K mean {:?}, std 1): {why}",
            path.display(),
            msrn::RGB_MEAN
        )
    };
    for w in ["sub_mean.weight", "add_mean.weight"] {
        let (shape, v) = get(w);
        if shape.as_slice() != [3, 3, 1, 1] {
            return Err(bad(w, format!("shape {shape:?}, expected [3, 3, 1, 1]")));
        }
        for (i, x) in v.iter().enumerate() {
            let want = if i / 3 == i % 3 { 1.0 } else { 0.0 };
            if (x - want).abs() > 1e-6 {
                return Err(bad(w, format!("element {i} is {x}, expected {want}")));
            }
        }
    }
    let (sb_shape, sb) = get("sub_mean.bias");
    let (ab_shape, ab) = get("add_mean.bias");
    if sb_shape.as_slice() != [3] || ab_shape.as_slice() != [3] {
        return Err(bad(
            "sub_mean.bias",
            format!("shapes {sb_shape:?} and {ab_shape:?}, expected [3]"),
        ));
    }
    let range = -sb[0] / msrn::RGB_MEAN[0];
    if !(range.is_finite() && range > 0.0) {
        return Err(bad("sub_mean.bias", format!("values {sb:?}")));
    }
    for c in 0..3 {
        let m = range * msrn::RGB_MEAN[c];
        let tol = 1e-5 * range.max(1.0);
        if (sb[c] + m).abs() > tol || (ab[c] - m).abs() > tol {
            return Err(bad(
                "sub_mean.bias / add_mean.bias",
                format!("{sb:?} / {ab:?} are not -/+ {range} x mean"),
            ));
        }
    }
    // rgb_range is 1 or 255 in practice; round to the nearest integer when that close.
    let range = if (range - range.round()).abs() < 1e-3 {
        range.round()
    } else {
        range
    };
    for n in MSRN_MEAN_SHIFT {
        file.remove(n);
    }
    if range == 1.0 {
        return Ok(Some(
            "MSRN mean-shift layers checked (rgb_range 1) and ignored".into(),
        ));
    }
    for (name, (_, v)) in file.iter_mut() {
        if name.ends_with(".bias") {
            v.iter_mut().for_each(|b| *b /= range);
        }
    }
    Ok(Some(format!(
        "MSRN mean-shift layers checked (rgb_range {range}) and ignored; conv biases divided by \
         {range} for inputs in [0, 1]"
    )))
}

/// Load weights into `model`: names and shapes checked (all mismatches listed), every tensor
/// checked for NaN/Inf (`weights::load_map`), reference-checkpoint layers handled.
/// Returns notes for the user (this layer prints nothing).
pub fn load_weights(
    model: &dyn SrModel,
    path: &Path,
    key: WeightsKey,
) -> anyhow::Result<Vec<String>> {
    let (mut file, file_arch) = weights::read(path, key)?;
    let mut notes = Vec::new();
    if model.arch() == Arch::Msrn.name() {
        notes.extend(adapt_msrn(&mut file, path)?);
    }
    weights::load_map(path, file, file_arch, &model.params(), model.arch())?;
    Ok(notes)
}
