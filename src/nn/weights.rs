//! Weights in safetensors, with the parameter names and layouts of BasicSR's state dicts
//! (conv OIHW, linear [out, in]), so a PyTorch user can load them into BasicSR's archs
//! (tools/convert_weights.py converts to and from `.pth`).
//!
//! A file holds the `params` dict under the plain names and, optionally, an EMA copy
//! (`params_ema` in BasicSR checkpoints) under names prefixed with `params_ema/` (a slash never
//! appears in a PyTorch state-dict key). Loading checks every name and shape and reports all
//! mismatches at once.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use safetensors::tensor::{Dtype, TensorView};
use safetensors::SafeTensors;

use super::ParamStore;

/// Which dict of a file to load.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum WeightsKey {
    /// `params_ema` when the file has it, else `params`.
    #[default]
    Auto,
    Params,
    ParamsEma,
}

impl std::str::FromStr for WeightsKey {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "auto" => Ok(WeightsKey::Auto),
            "params" => Ok(WeightsKey::Params),
            "params_ema" => Ok(WeightsKey::ParamsEma),
            _ => Err(format!("{s:?} is not one of auto, params, params_ema")),
        }
    }
}

pub const EMA_PREFIX: &str = "params_ema/";

/// Names that reference state dicts carry as buffers, not parameters: accepted and ignored.
fn is_buffer(name: &str) -> bool {
    name.ends_with("relative_position_index") || name.ends_with("attn_mask")
}

/// Write `params` (and optionally an EMA copy with the same names) atomically.
pub fn save(path: &Path, params: &ParamStore, ema: Option<&ParamStore>, arch: &str) -> Result<()> {
    let ema = ema.map(|e| e.named());
    save_named(path, &params.named(), ema.as_deref(), arch)
}

/// `save` for named tensors (e.g. EMA copies that live outside a model).
pub fn save_named(
    path: &Path,
    params: &[(String, crate::tensor::Tensor)],
    ema: Option<&[(String, crate::tensor::Tensor)]>,
    arch: &str,
) -> Result<()> {
    let mut host: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    for (name, t) in params {
        host.push((
            name.clone(),
            t.shape().to_vec(),
            bytemuck::cast_slice(&t.to_vec()?).to_vec(),
        ));
    }
    if let Some(ema) = ema {
        for (name, t) in ema {
            host.push((
                format!("{EMA_PREFIX}{name}"),
                t.shape().to_vec(),
                bytemuck::cast_slice(&t.to_vec()?).to_vec(),
            ));
        }
    }
    let views: Vec<(String, TensorView)> = host
        .iter()
        .map(|(n, s, b)| Ok((n.clone(), TensorView::new(Dtype::F32, s.clone(), b)?)))
        .collect::<Result<_, safetensors::SafeTensorError>>()?;
    let meta = HashMap::from([
        ("format".to_string(), "pt".to_string()),
        ("sralign_arch".to_string(), arch.to_string()),
    ]);
    let bytes = safetensors::serialize(views, Some(meta))?;
    let tmp = path.with_extension("safetensors.tmp");
    std::fs::write(&tmp, &bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
    Ok(())
}

/// The f32 tensors of one dict of a file, by name.
/// Tensors by name (shape, values) and the stored architecture, if any.
pub type WeightsRead = (BTreeMap<String, (Vec<usize>, Vec<f32>)>, Option<String>);

pub fn read(path: &Path, key: WeightsKey) -> Result<WeightsRead> {
    let bytes =
        std::fs::read(path).with_context(|| format!("reading weights {}", path.display()))?;
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| anyhow!("{}: not a valid safetensors file ({e})", path.display()))?;
    let arch = SafeTensors::read_metadata(&bytes).ok().and_then(|(_, m)| {
        m.metadata()
            .as_ref()
            .and_then(|m| m.get("sralign_arch").cloned())
    });
    let has_ema = st.names().iter().any(|n| n.starts_with(EMA_PREFIX));
    let use_ema = match key {
        WeightsKey::Auto => has_ema,
        WeightsKey::Params => false,
        WeightsKey::ParamsEma => {
            if !has_ema {
                bail!(
                    "{}: has no params_ema tensors (use --weights-key params)",
                    path.display()
                );
            }
            true
        }
    };
    let mut out = BTreeMap::new();
    for (name, view) in st.tensors() {
        let plain = match (use_ema, name.strip_prefix(EMA_PREFIX)) {
            (true, Some(p)) => p.to_string(),
            (false, None) => name.clone(),
            _ => continue,
        };
        let data: Vec<f32> = match view.dtype() {
            Dtype::F32 => bytemuck::pod_collect_to_vec(view.data()),
            Dtype::F16 | Dtype::BF16 | Dtype::F64 | Dtype::I64 if is_buffer(&plain) => continue,
            d => bail!(
                "{}: tensor {name} has dtype {d:?}; only f32 is supported",
                path.display()
            ),
        };
        out.insert(plain, (view.shape().to_vec(), data));
    }
    Ok((out, arch))
}

/// Load a file into a model's parameters, checking every name and shape first.
pub fn load(path: &Path, params: &ParamStore, key: WeightsKey, arch: &str) -> Result<()> {
    let (file, file_arch) = read(path, key)?;
    load_map(path, file, file_arch, params, arch)
}

/// Load tensors already read from `path` (see `read`) into a model's parameters, checking
/// every name and shape first, and every value for NaN/Inf (the tensors are named);
/// `file_arch` is the arch recorded in the file, for messages.
pub fn load_map(
    path: &Path,
    mut file: BTreeMap<String, (Vec<usize>, Vec<f32>)>,
    file_arch: Option<String>,
    params: &ParamStore,
    arch: &str,
) -> Result<()> {
    file.retain(|n, _| !is_buffer(n));
    // NaN/Inf weights give a black or meaningless output without any other sign.
    let bad: Vec<String> = file
        .iter()
        .filter_map(|(n, (_, v))| {
            let k = v.iter().filter(|x| !x.is_finite()).count();
            (k > 0).then(|| format!("{n} ({k} of {})", v.len()))
        })
        .collect();
    if !bad.is_empty() {
        bail!(
            "{}: {} tensor(s) hold NaN or Inf values, the output would be meaningless: {}",
            path.display(),
            bad.len(),
            bad.join(", ")
        );
    }
    let mut missing = Vec::new();
    let mut shapes = Vec::new();
    for (name, t) in params.named() {
        match file.get(&name) {
            None => missing.push(name),
            Some((s, _)) if s.as_slice() != t.shape() => {
                shapes.push(format!("{name}: expected {:?} found {s:?}", t.shape()))
            }
            _ => {}
        }
    }
    let names: std::collections::HashSet<String> =
        params.named().into_iter().map(|(n, _)| n).collect();
    let unexpected: Vec<&String> = file.keys().filter(|n| !names.contains(*n)).collect();
    if !missing.is_empty() || !unexpected.is_empty() || !shapes.is_empty() {
        let list = |v: Vec<String>| {
            let n = v.len();
            let mut s = v.into_iter().take(4).collect::<Vec<_>>().join(", ");
            if n > 4 {
                s.push_str(&format!(", … {} more", n - 4));
            }
            s
        };
        let mut parts = Vec::new();
        if !missing.is_empty() {
            parts.push(format!("{} missing ({})", missing.len(), list(missing)));
        }
        if !unexpected.is_empty() {
            parts.push(format!(
                "{} unexpected ({})",
                unexpected.len(),
                list(unexpected.into_iter().cloned().collect())
            ));
        }
        if !shapes.is_empty() {
            parts.push(format!(
                "{} with other shapes ({})",
                shapes.len(),
                list(shapes)
            ));
        }
        let from = file_arch
            .map(|a| format!(" (file written for {a})"))
            .unwrap_or_default();
        bail!(
            "{} does not fit {arch}{from}: {}",
            path.display(),
            parts.join("; ")
        );
    }
    for (name, t) in params.named() {
        t.write(&file[&name].1)?;
    }
    Ok(())
}
