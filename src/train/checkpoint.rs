//! Run folders and checkpoints.
//!
//! ```text
//! RUN/config.toml                         the resolved config (every default filled in)
//! RUN/log.jsonl                           one JSON object per logged step and validation
//! RUN/checkpoints/step_00001000/          one folder per checkpoint:
//!     weights.safetensors                 live weights + EMA (`params_ema/` names), BasicSR names
//!     optimizer.safetensors               Adam moments (`<param>.exp_avg`, `<param>.exp_avg_sq`)
//!     state.json                          step, optimiser step, learning rate, seed, method
//! RUN/checkpoints/latest                  the name of the newest complete checkpoint
//! RUN/model.safetensors                   the final weights (live + EMA)
//! ```
//! A checkpoint is written into a temporary folder, each file synced, then renamed into place,
//! and only then does `latest` (itself written to a temporary file and renamed) point at it: a
//! crash or a full disk at any moment leaves the previous checkpoint complete and named.
//!
//! Every random draw of a run derives from (manual_seed, step) — data order and degradations
//! (the loader's batch index is step - 1), dropout masks, random features — so the step is the
//! whole random state; the loader restarts at that batch.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use safetensors::tensor::{Dtype, TensorView};
use safetensors::SafeTensors;
use serde::{Deserialize, Serialize};

use crate::nn::weights;
use crate::ops::optim::OptimState;
use crate::tensor::Tensor;

/// What state.json holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub step: u64,
    pub total_iter: u64,
    pub optimizer_step: u64,
    pub lr: f32,
    pub manual_seed: u64,
    pub method: String,
    pub arch: String,
    /// The next loader batch (counted over epochs): equals `step`.
    pub loader_batch: u64,
    pub rng: String,
    pub sralign_version: String,
}

/// Named tensors as read from a file: name -> (shape, values).
pub type TensorMap = BTreeMap<String, (Vec<usize>, Vec<f32>)>;

/// A checkpoint read back.
pub struct Loaded {
    pub state: State,
    pub params: TensorMap,
    pub ema: Option<TensorMap>,
    pub optimizer: BTreeMap<String, Vec<f32>>,
}

pub fn checkpoints_dir(run: &Path) -> PathBuf {
    run.join("checkpoints")
}

fn step_name(step: u64) -> String {
    format!("step_{step:08}")
}

/// Write `bytes` to `path` through a temporary file in the same folder, synced, then renamed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_file_name(format!(
        ".{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file")
    ));
    let res = (|| -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = res {
        let _ = fs::remove_file(&tmp);
        return Err(anyhow!("writing {}: {e}", path.display()));
    }
    Ok(())
}

fn sync_file(path: &Path) -> Result<()> {
    fs::File::open(path)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("syncing {}", path.display()))
}

/// Save a checkpoint of `step`; returns its folder. On any error the temporary folder is
/// removed and `latest` still names the previous checkpoint.
pub fn save(
    run: &Path,
    state: &State,
    params: &[(String, Tensor)],
    ema: Option<&[(String, Tensor)]>,
    optimizer: &OptimState,
) -> Result<PathBuf> {
    let dir = checkpoints_dir(run);
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = step_name(state.step);
    let tmp = dir.join(format!(".tmp_{name}"));
    let fin = dir.join(&name);
    let _ = fs::remove_dir_all(&tmp);
    let res = (|| -> Result<()> {
        fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        let w = tmp.join("weights.safetensors");
        weights::save_named(&w, params, ema, &state.arch)?;
        sync_file(&w)?;
        let o = tmp.join("optimizer.safetensors");
        write_atomic(&o, &optimizer_bytes(params, optimizer)?)?;
        let s = tmp.join("state.json");
        write_atomic(&s, serde_json::to_string_pretty(state)?.as_bytes())?;
        if fin.exists() {
            fs::remove_dir_all(&fin).with_context(|| format!("replacing {}", fin.display()))?;
        }
        fs::rename(&tmp, &fin).with_context(|| format!("renaming into {}", fin.display()))?;
        write_atomic(&dir.join("latest"), name.as_bytes())?;
        Ok(())
    })();
    if let Err(e) = res {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e.context(format!(
            "checkpoint of step {} not written; the previous one is intact",
            state.step
        )));
    }
    Ok(fin)
}

/// Remove all but the newest `keep` checkpoints (0: keep all).
pub fn prune(run: &Path, keep: usize) -> Result<()> {
    if keep == 0 {
        return Ok(());
    }
    let mut steps = list(run)?;
    steps.sort();
    let n = steps.len();
    for s in steps.into_iter().take(n.saturating_sub(keep)) {
        let p = checkpoints_dir(run).join(step_name(s));
        fs::remove_dir_all(&p)
            .with_context(|| format!("removing old checkpoint {}", p.display()))?;
    }
    Ok(())
}

/// Steps of the complete checkpoints in a run.
pub fn list(run: &Path) -> Result<Vec<u64>> {
    let dir = checkpoints_dir(run);
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut v = Vec::new();
    for e in fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))? {
        let name = e?.file_name().to_string_lossy().into_owned();
        if let Some(s) = name.strip_prefix("step_").and_then(|s| s.parse().ok()) {
            v.push(s);
        }
    }
    Ok(v)
}

/// The newest complete checkpoint named by `latest`.
pub fn latest(run: &Path) -> Result<Option<PathBuf>> {
    let f = checkpoints_dir(run).join("latest");
    if !f.exists() {
        return Ok(None);
    }
    let name = fs::read_to_string(&f).with_context(|| format!("reading {}", f.display()))?;
    let p = checkpoints_dir(run).join(name.trim());
    if !p.join("state.json").exists() {
        bail!(
            "{} names {}, which is incomplete or missing",
            f.display(),
            p.display()
        );
    }
    Ok(Some(p))
}

fn optimizer_bytes(params: &[(String, Tensor)], s: &OptimState) -> Result<Vec<u8>> {
    let mut host: Vec<(String, Vec<usize>, &[f32])> = Vec::new();
    for (key, v) in &s.tensors {
        let (i, what) = key
            .split_once('.')
            .ok_or_else(|| anyhow!("optimizer state key {key}"))?;
        let i: usize = i.parse()?;
        let (name, t) = &params[i];
        host.push((format!("{name}.{what}"), t.shape().to_vec(), v));
    }
    let views: Vec<(String, TensorView)> = host
        .iter()
        .map(|(n, s, v)| {
            Ok((
                n.clone(),
                TensorView::new(Dtype::F32, s.clone(), bytemuck::cast_slice(v))?,
            ))
        })
        .collect::<Result<_, safetensors::SafeTensorError>>()?;
    let meta =
        std::collections::HashMap::from([("optimizer_step".to_string(), s.step.to_string())]);
    Ok(safetensors::serialize(views, Some(meta))?)
}

/// Read a checkpoint folder.
pub fn load(dir: &Path) -> Result<Loaded> {
    let sp = dir.join("state.json");
    let state: State = serde_json::from_str(
        &fs::read_to_string(&sp).with_context(|| format!("reading {}", sp.display()))?,
    )
    .with_context(|| format!("parsing {}", sp.display()))?;
    let w = dir.join("weights.safetensors");
    let (params, _) = weights::read(&w, weights::WeightsKey::Params)?;
    let ema = match weights::read(&w, weights::WeightsKey::ParamsEma) {
        Ok((m, _)) => Some(m),
        Err(_) => None,
    };
    let o = dir.join("optimizer.safetensors");
    let bytes = fs::read(&o).with_context(|| format!("reading {}", o.display()))?;
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| anyhow!("{}: not a valid safetensors file ({e})", o.display()))?;
    let mut optimizer = BTreeMap::new();
    for (name, view) in st.tensors() {
        if view.dtype() != Dtype::F32 {
            bail!("{}: {name} is not f32", o.display());
        }
        optimizer.insert(name, bytemuck::pod_collect_to_vec(view.data()));
    }
    Ok(Loaded {
        state,
        params,
        ema,
        optimizer,
    })
}

/// The optimiser state of a checkpoint in the layout `Adam::import_state` expects.
pub fn optimizer_state(
    loaded: &BTreeMap<String, Vec<f32>>,
    params: &[(String, Tensor)],
    step: u64,
    what: &[&str],
) -> Result<OptimState> {
    let mut tensors = Vec::new();
    for (i, (name, _)) in params.iter().enumerate() {
        for w in what {
            if let Some(v) = loaded.get(&format!("{name}.{w}")) {
                tensors.push((format!("{i}.{w}"), v.clone()));
            }
        }
    }
    Ok(OptimState { step, tensors })
}
