//! The training loop. One step: the next batch of P GT crops, each degraded twice (rows i and
//! P + i of the 2P LR images are the same content), forward through the model (channel dropout
//! on the regularised feature when configured), L1 against the GT (twice), the regulariser's
//! terms on the (pre-dropout) feature, one backward of the weighted sum, Adam(W) with the
//! scheduled learning rate, EMA. Nothing is read back inside a step: loss values stay on the
//! GPU and are read back together at logged steps, before a checkpoint or a validation, and at
//! the end; a NaN or Inf stops the run there, naming the term and the step where it appeared,
//! and no checkpoint is ever written past it. One step stays in flight (the next is recorded
//! while the device runs the current one).
//!
//! Progress reaches the caller as `Event`s; this module never prints.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;

use super::checkpoint::{self, State};
use super::config::{Optim, TrainConfig};
use super::regularizer::{alignment_distances, alignment_pieces, Term};
use super::schedule::lr_at;
use crate::autograd::{self, Grads};
use crate::data::dataset::{
    Dataset, HrFolder, HrFolderOpts, Loader, LoaderOpts, PairedFolder, PairedFolderOpts,
};
use crate::data::degrade::Pipeline;
use crate::data::{derive_seed, metrics, Image};
use crate::eval::tile::{self, Chw};
use crate::gpu::Gpu;
use crate::models::{self, Arch, FeatureHook, ModelConfig, SrModel};
use crate::nn::weights;
use crate::ops::{binary, dropout, loss, optim, reduce, scale::scale};
use crate::tensor::Tensor;

/// How a run starts and, for tests, how it is cut short.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub output: PathBuf,
    /// Continue the run in `output` from its newest checkpoint.
    pub resume: bool,
    /// Start over in a folder that holds another run (its checkpoints and log are removed).
    pub force: bool,
    /// Tests: stop right after this step as a killed process would (no checkpoint, no flush).
    pub halt_after: Option<u64>,
    /// Tests: make the pixel loss NaN at this step.
    pub inject_nan_at: Option<u64>,
}

/// Logged training values (one JSON line of log.jsonl).
#[derive(Clone, Debug, Serialize)]
pub struct LogRecord {
    pub kind: &'static str,
    pub step: u64,
    pub lr: f32,
    /// Per term ("l1", "align_linear", ...) and "total": the weighted value at this step.
    pub losses: BTreeMap<String, f64>,
    /// Per term: the norm of its (weighted) gradient w.r.t. all parameters.
    pub grad_norm: BTreeMap<String, f64>,
    /// Per term: its gradient norm over the sum of all terms' norms.
    pub grad_share: BTreeMap<String, f64>,
    /// ||mu1 - mu2|| and ||Sigma1 - Sigma2||_F between the two halves of the batch, relative to
    /// the statistics' own size (the regularised feature, before dropout).
    pub align_mu_rel: f64,
    pub align_cov_rel: f64,
    /// Steps per second since the previous log record.
    pub it_per_s: f64,
    /// Seconds per step spent waiting for the data loader since the previous record.
    pub data_wait_s: f64,
    pub elapsed_s: f64,
}

/// One validation (one JSON line of log.jsonl).
#[derive(Clone, Debug, Serialize)]
pub struct ValRecord {
    pub kind: &'static str,
    pub step: u64,
    pub ema: bool,
    pub images: usize,
    pub metrics: BTreeMap<String, f64>,
    pub seconds: f64,
}

/// What the loop reports while it runs.
pub enum Event<'a> {
    /// Opening the data (decoding every image when cached).
    Preparing(&'a str),
    Started {
        first_step: u64,
        total: u64,
        resumed_from: Option<u64>,
        params: usize,
        method: String,
    },
    /// After every step (cheap: nothing read back).
    Step {
        step: u64,
    },
    Log(&'a LogRecord),
    ValStarted {
        step: u64,
        images: usize,
    },
    ValImage {
        done: usize,
        total: usize,
    },
    Val(&'a ValRecord),
    Checkpoint {
        step: u64,
        path: &'a Path,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Finished,
    /// Stopped by the caller's flag (Ctrl-C); a checkpoint of the last completed step was written.
    Interrupted,
    /// `halt_after` (tests).
    Halted,
}

#[derive(Clone, Debug)]
pub struct Summary {
    pub outcome: Outcome,
    /// The last completed step.
    pub step: u64,
    pub last_checkpoint: Option<PathBuf>,
    pub final_weights: Option<PathBuf>,
    pub last_val: Option<ValRecord>,
    /// Mean wall seconds per step over the run (steps after the first two).
    pub step_seconds: f64,
}

const OWNED: [&str; 4] = [
    "config.toml",
    "log.jsonl",
    "checkpoints",
    "model.safetensors",
];

/// Prepare the run folder: fresh (refusing another run's folder unless `force`), or resumed
/// (refusing a config that differs). Returns the checkpoint to resume from.
fn prepare_dir(cfg: &TrainConfig, opts: &RunOptions) -> Result<Option<PathBuf>> {
    let run = &opts.output;
    let saved = run.join("config.toml");
    if opts.resume {
        if !saved.exists() {
            bail!(
                "--resume {}: no run there (config.toml missing)",
                run.display()
            );
        }
        let old = TrainConfig::load(&saved)?;
        let diff = old.differences(cfg)?;
        if !diff.is_empty() {
            bail!(
                "--resume {}: the config differs from the run's saved one in {} key(s): {}",
                run.display(),
                diff.len(),
                diff.join("; ")
            );
        }
        let Some(ck) = checkpoint::latest(run)? else {
            bail!(
                "--resume {}: no complete checkpoint yet (the run stopped before its first one); start it again with --force",
                run.display()
            );
        };
        return Ok(Some(ck));
    }
    let held: Vec<&str> = OWNED
        .iter()
        .copied()
        .filter(|f| run.join(f).exists())
        .collect();
    if !held.is_empty() {
        if !opts.force {
            bail!(
                "{} already holds a run ({}): use --resume to continue it, --force to start over (removes those), or another --output",
                run.display(),
                held.join(", ")
            );
        }
        for f in held {
            let p = run.join(f);
            if p.is_dir() {
                fs::remove_dir_all(&p)
            } else {
                fs::remove_file(&p)
            }
            .with_context(|| format!("removing {}", p.display()))?;
        }
    }
    fs::create_dir_all(run).with_context(|| format!("creating {}", run.display()))?;
    checkpoint::write_atomic(&saved, cfg.to_toml()?.as_bytes())?;
    Ok(None)
}

/// Keep only the log records up to `step` (a resumed run rewrites what came after).
fn truncate_log(path: &Path, step: u64) -> Result<()> {
    if !path.exists() {
        return Ok(());
    }
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let kept: String = text
        .lines()
        .filter(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .ok()
                .and_then(|v| v["step"].as_u64())
                .is_some_and(|s| s <= step)
        })
        .map(|l| format!("{l}\n"))
        .collect();
    checkpoint::write_atomic(path, kept.as_bytes())
}

/// Loss values waiting on the GPU: per step, [pixel, term..., total], copied into one buffer
/// allocated once (room for `print_freq` steps: every logged step empties it), read back in one
/// transfer.
struct History {
    names: Vec<String>,
    buf: Tensor,
    cap: usize,
    steps: Vec<u64>,
}

impl History {
    fn new(gpu: &Gpu, names: Vec<String>, cap: usize) -> Result<History> {
        let buf = Tensor::zeros(gpu, &[cap.max(1) * names.len()])?;
        Ok(History {
            names,
            buf,
            cap: cap.max(1),
            steps: Vec::new(),
        })
    }

    fn push(&mut self, gpu: &Gpu, step: u64, values: &[Tensor]) -> Result<()> {
        if self.steps.len() == self.cap {
            bail!(
                "loss history full at step {step} (room for {} steps)",
                self.cap
            );
        }
        let k = self.names.len();
        let i = self.steps.len();
        for (j, t) in values.iter().enumerate() {
            gpu.copy(
                t.buffer(),
                0,
                self.buf.buffer(),
                ((i * k + j) * 4) as u64,
                4,
            );
        }
        self.steps.push(step);
        Ok(())
    }

    /// Read everything back; error on the first non-finite value.
    fn flush(&mut self, gpu: &Gpu) -> Result<Vec<(u64, Vec<f32>)>> {
        if self.steps.is_empty() {
            return Ok(Vec::new());
        }
        let k = self.names.len();
        let n = self.steps.len();
        let bytes = gpu.read(self.buf.buffer(), 0, (n * k * 4) as u64)?;
        let v: &[f32] = bytemuck::cast_slice(&bytes);
        let out: Vec<(u64, Vec<f32>)> = self
            .steps
            .drain(..)
            .enumerate()
            .map(|(i, s)| (s, v[i * k..(i + 1) * k].to_vec()))
            .collect();
        for (s, vals) in &out {
            if let Some(j) = vals.iter().position(|x| !x.is_finite()) {
                bail!(
                    "loss term {} is {} at step {s}: stopping (no checkpoint is written past a non-finite loss)",
                    self.names[j],
                    vals[j]
                );
            }
        }
        Ok(out)
    }
}

struct Trainer<'a> {
    gpu: &'a Gpu,
    cfg: &'a TrainConfig,
    model: Box<dyn SrModel>,
    named: Vec<(String, Tensor)>,
    params: Vec<Tensor>,
    terms: Vec<(Term, f32)>,
    dropout_p: Option<f32>,
    adam: optim::Adam,
    ema: Option<optim::Ema>,
    arch: Arch,
    /// Channels of the regularised feature (known after the first forward).
    feature_channels: std::cell::Cell<Option<usize>>,
}

/// The default channel-dropout probability of Kong et al.: 0.7 for SRResNet, 0.5 otherwise.
pub fn default_dropout_p(arch: Arch) -> f32 {
    match arch {
        Arch::SrResNet => 0.7,
        _ => 0.5,
    }
}

/// Which losses a forward pass builds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    All,
    Pixel,
    Term(usize),
}

impl Trainer<'_> {
    /// Forward pass and losses: (the weighted total, [pixel, terms..., total], feature).
    fn losses(
        &self,
        x: &Tensor,
        y: &Tensor,
        step: u64,
        part: Part,
        nan: bool,
    ) -> Result<(Tensor, Vec<Tensor>, Tensor)> {
        let seed = self.cfg.manual_seed;
        let drop_seed = derive_seed(seed, step, 1);
        let hook_fn = |f: &Tensor| -> crate::Result<Tensor> {
            dropout::channel_dropout(f, self.dropout_p.unwrap_or(0.0), drop_seed, true)
        };
        let hook: Option<FeatureHook> = if self.dropout_p.is_some() {
            Some(&hook_fn)
        } else {
            None
        };
        // The terms' random draws are uploaded before the forward is recorded (an upload
        // submits what is pending). The feature's channel count is known from the first step on.
        let mut draws = Vec::new();
        for (i, (term, _)) in self.terms.iter().enumerate() {
            let used = matches!(part, Part::All) || part == Part::Term(i);
            let d = match self.feature_channels.get().filter(|_| used) {
                Some(c) => self.cfg.regularizer.draw(
                    *term,
                    self.gpu,
                    c,
                    derive_seed(seed, step, 2 + i as u64),
                )?,
                None => None,
            };
            draws.push(d);
        }
        let o = self.model.forward_hooked(x, hook)?;
        let c = o.feature.dims4("feature")?[1];
        self.feature_channels.set(Some(c));
        let mut values = Vec::new();
        let mut total: Option<Tensor> = None;
        if matches!(part, Part::All | Part::Pixel) {
            let mut l = loss::l1(&o.out, y)?;
            let w = self.cfg.train.pixel_opt.loss_weight;
            if w != 1.0 {
                l = scale(&l, w)?;
            }
            if nan {
                l = scale(&l, f32::NAN)?;
            }
            values.push(l.clone());
            total = Some(l);
        }
        for (i, (term, w)) in self.terms.iter().enumerate() {
            if !matches!(part, Part::All) && part != Part::Term(i) {
                continue;
            }
            let tseed = derive_seed(seed, step, 2 + i as u64);
            let raw = match &draws[i] {
                Some(d) => self
                    .cfg
                    .regularizer
                    .term_loss_with(*term, &o.feature, Some(d))?,
                // First step only: the draw is made here (the channel count was unknown).
                None => self.cfg.regularizer.term_loss(*term, &o.feature, tseed)?,
            };
            let l = scale(&raw, *w)?;
            values.push(l.clone());
            total = Some(match total {
                Some(t) => binary::add(&t, &l)?,
                None => l,
            });
        }
        let total = total.ok_or_else(|| anyhow!("no loss term"))?;
        values.push(total.clone());
        Ok((total, values, o.feature))
    }

    /// Norm of the gradient of one part of the loss (an extra forward and backward; the
    /// parameters and the optimiser are untouched).
    fn part_grad_norm(&self, x: &Tensor, y: &Tensor, step: u64, part: Part) -> Result<Tensor> {
        let (total, _, _) = self.losses(x, y, step, part, false)?;
        let g = autograd::backward(&total)?;
        let gs: Vec<Tensor> = self
            .params
            .iter()
            .filter_map(|p| g.get(p).cloned())
            .collect();
        Ok(reduce::grad_norm(&gs)?)
    }

    fn apply_ema_to(&self, eval: &dyn SrModel) -> Result<()> {
        for ((_, dst), (_, src)) in eval.params().named().iter().zip(&self.named) {
            let from = match &self.ema {
                Some(e) => e.get(src).ok_or_else(|| anyhow!("EMA state missing"))?,
                None => src,
            };
            self.gpu
                .copy(from.buffer(), 0, dst.buffer(), 0, from.bytes());
        }
        Ok(())
    }

    fn ema_named(&self) -> Option<Vec<(String, Tensor)>> {
        let e = self.ema.as_ref()?;
        self.named
            .iter()
            .map(|(n, p)| e.get(p).map(|t| (n.clone(), t.clone())))
            .collect()
    }
}

fn upload_pair_batch(gpu: &Gpu, b: &crate::data::dataset::Batch) -> Result<(Tensor, Tensor)> {
    let lq2 = b
        .lq2
        .as_ref()
        .ok_or_else(|| anyhow!("the training loader must yield same-content pairs"))?;
    let (lh, lw) = (b.h / b.scale, b.w / b.scale);
    let mut lq = Vec::with_capacity(2 * b.lq.len());
    lq.extend_from_slice(&b.lq);
    lq.extend_from_slice(lq2);
    let mut gt = Vec::with_capacity(2 * b.gt.len());
    gt.extend_from_slice(&b.gt);
    gt.extend_from_slice(&b.gt);
    let x = Tensor::from_slice(gpu, &[2 * b.n, b.c, lh, lw], &lq)?;
    let y = Tensor::from_slice(gpu, &[2 * b.n, b.c, b.h, b.w], &gt)?;
    Ok((x, y))
}

/// Validation on a paired folder: mean PSNR / SSIM of the model (EMA weights when present).
fn validate(
    gpu: &Gpu,
    cfg: &TrainConfig,
    model: &dyn SrModel,
    ds: &PairedFolder,
    step: u64,
    on_event: &mut dyn FnMut(Event),
) -> Result<ValRecord> {
    let v = cfg.val.as_ref().expect("validation configured");
    let t0 = Instant::now();
    let n = ds.len();
    on_event(Event::ValStarted { step, images: n });
    let scale = model.scale();
    let mut sums: BTreeMap<String, f64> = BTreeMap::new();
    for i in 0..n {
        let s = ds.sample(i, 0)?;
        let mut chw = vec![0f32; s.lq.c * s.lq.h * s.lq.w];
        s.lq.write_chw(&mut chw);
        let img = Chw {
            c: s.lq.c,
            h: s.lq.h,
            w: s.lq.w,
            data: chw,
        };
        let tile = (v.tile > 0).then_some(v.tile);
        let out = tile::upscale(gpu, model, &img, tile, v.tile_overlap, &mut |_, _| {})?;
        let mut sr = Image::from_chw(out.c, out.h, out.w, &out.data);
        sr.clamp01();
        sr.quantize();
        for (name, m) in &v.metrics {
            let cb = m.crop_border.unwrap_or(scale);
            let val = match (name.as_str(), m.test_y_channel) {
                ("psnr", false) => metrics::psnr(&sr, &s.gt, cb)?,
                ("psnr", true) => metrics::psnr_y(&sr, &s.gt, cb)?,
                ("ssim", false) => metrics::ssim(&sr, &s.gt, cb)?,
                (_, _) => metrics::ssim_y(&sr, &s.gt, cb)?,
            };
            *sums.entry(name.clone()).or_default() += val;
        }
        on_event(Event::ValImage {
            done: i + 1,
            total: n,
        });
    }
    Ok(ValRecord {
        kind: "val",
        step,
        ema: cfg.train.ema_decay > 0.0,
        images: n,
        metrics: sums.into_iter().map(|(k, s)| (k, s / n as f64)).collect(),
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// Train as `cfg` says, into `opts.output`. `stop` (e.g. set by Ctrl-C) ends the run after the
/// current step with a checkpoint.
pub fn train(
    gpu: &Gpu,
    cfg: &TrainConfig,
    opts: &RunOptions,
    stop: &AtomicBool,
    on_event: &mut dyn FnMut(Event),
) -> Result<Summary> {
    cfg.validate()?;
    let mcfg: ModelConfig = cfg.model_config()?;
    let arch = mcfg.arch();
    let scale = cfg.scale();
    let run = opts.output.clone();
    let resume_from = prepare_dir(cfg, opts)?;

    // Data.
    let d = &cfg.datasets.train;
    on_event(Event::Preparing(&format!(
        "opening {}{}",
        d.dataroot_gt.display(),
        if d.cache {
            " (decoding every image)"
        } else {
            ""
        }
    )));
    let ds = HrFolder::open(
        &d.dataroot_gt,
        HrFolderOpts {
            gt_size: d.gt_size,
            scale,
            pipeline: Pipeline::parse(&d.degradation)?,
            pairs: true,
            use_hflip: d.use_hflip,
            use_rot: d.use_rot,
            usm: d.usm,
            sub_image: (d.sub_image[0] > 0).then_some((d.sub_image[0], d.sub_image[1])),
            cache: d.cache,
        },
    )
    .with_context(|| format!("datasets.train.dataroot_gt = {}", d.dataroot_gt.display()))?;
    if ds.len() < d.batch_size {
        bail!(
            "datasets.train.dataroot_gt = {}: {} crop regions, fewer than batch_size {}",
            d.dataroot_gt.display(),
            ds.len(),
            d.batch_size
        );
    }
    let val_ds = match (&cfg.val, &cfg.datasets.val) {
        (Some(_), Some(v)) => Some(
            PairedFolder::open(
                &v.dataroot_lq,
                &v.dataroot_gt,
                PairedFolderOpts {
                    gt_size: None,
                    scale,
                    use_hflip: false,
                    use_rot: false,
                    cache: true,
                },
            )
            .with_context(|| {
                format!(
                    "datasets.val ({} / {})",
                    v.dataroot_lq.display(),
                    v.dataroot_gt.display()
                )
            })?,
        ),
        _ => None,
    };

    // Model, optimiser, EMA.
    let model = models::build(gpu, &mcfg, cfg.manual_seed)?;
    let eval_model = match val_ds {
        Some(_) => Some(models::build(gpu, &mcfg, cfg.manual_seed)?),
        None => None,
    };
    let store = model.params();
    if let Some(p) = &cfg.path.pretrain_network_g {
        let key = match cfg.path.param_key_g.as_deref() {
            Some("params_ema") => weights::WeightsKey::ParamsEma,
            _ => weights::WeightsKey::Params,
        };
        crate::models::load::load_weights(model.as_ref(), p, key)
            .with_context(|| format!("path.pretrain_network_g = {}", p.display()))?;
    }
    let named = store.named();
    let params = store.tensors();
    let (lr0, betas, wd, decoupled) = match &cfg.train.optim_g {
        Optim::Adam {
            lr,
            betas,
            weight_decay,
        } => (*lr, *betas, *weight_decay, false),
        Optim::AdamW {
            lr,
            betas,
            weight_decay,
        } => (*lr, *betas, *weight_decay, true),
    };
    let mut adam = if decoupled {
        optim::Adam::adamw(lr0, betas[0], betas[1], wd)
    } else {
        let mut a = optim::Adam::new(lr0, betas[0], betas[1]);
        a.weight_decay = wd;
        a
    };
    let mut ema = (cfg.train.ema_decay > 0.0).then(|| optim::Ema::new(cfg.train.ema_decay));
    if let Some(e) = ema.as_mut() {
        // BasicSR copies the network into net_g_ema before the first step.
        e.update(&params)?;
    }
    let mut start = 0u64;
    if let Some(ck) = &resume_from {
        let l = checkpoint::load(ck)?;
        weights::load(
            &ck.join("weights.safetensors"),
            &store,
            weights::WeightsKey::Params,
            arch.name(),
        )?;
        let st = checkpoint::optimizer_state(
            &l.optimizer,
            &named,
            l.state.optimizer_step,
            &["exp_avg", "exp_avg_sq"],
        )?;
        adam.import_state(&params, &st)?;
        if let Some(e) = ema.as_mut() {
            let m = l
                .ema
                .ok_or_else(|| anyhow!("{}: no EMA weights in the checkpoint", ck.display()))?;
            let mut tensors = Vec::new();
            for (i, (name, _)) in named.iter().enumerate() {
                let (_, v) = m
                    .get(name)
                    .ok_or_else(|| anyhow!("{}: EMA of {name} missing", ck.display()))?;
                tensors.push((format!("{i}.ema"), v.clone()));
            }
            e.import_state(&params, &optim::OptimState { step: 0, tensors })?;
        }
        start = l.state.step;
        truncate_log(&run.join("log.jsonl"), start)?;
    }
    let total_iter = cfg.train.total_iter;
    let terms = cfg.regularizer.terms();
    let dropout_p = cfg
        .regularizer
        .dropout
        .as_ref()
        .map(|d| d.p.unwrap_or_else(|| default_dropout_p(arch)));
    let mut tr = Trainer {
        gpu,
        cfg,
        model,
        named,
        params,
        terms,
        dropout_p,
        adam,
        ema,
        arch,
        feature_channels: std::cell::Cell::new(None),
    };
    let mut names = vec!["l1".to_string()];
    names.extend(tr.terms.iter().map(|(t, _)| t.name().to_string()));
    names.push("total".into());
    let mut history = History::new(gpu, names.clone(), cfg.logger.print_freq.min(4096) as usize)?;

    let loader = Loader::starting_at(
        Arc::new(ds),
        LoaderOpts {
            batch_size: d.batch_size,
            workers: d.num_worker,
            prefetch: d.prefetch,
            shuffle: true,
            seed: cfg.manual_seed,
        },
        start,
    )?;
    let mut loader = loader;
    let mut log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(run.join("log.jsonl"))
        .with_context(|| format!("opening {}", run.join("log.jsonl").display()))?;
    let mut write_log = |v: &dyn erased::Json| -> Result<()> {
        writeln!(log, "{}", v.json()?)
            .with_context(|| format!("writing {}", run.join("log.jsonl").display()))
    };

    on_event(Event::Started {
        first_step: start + 1,
        total: total_iter,
        resumed_from: resume_from.as_ref().map(|_| start),
        params: store.count(),
        method: cfg.regularizer.method_name(),
    });

    let t_run = Instant::now();
    let mut last_ckpt = resume_from.clone();
    let mut last_val = None;
    let mut since_log = (Instant::now(), 0u64, 0.0f64);
    let mut timed = (0.0f64, 0u64);
    let mut fence = None;
    let mut pending_align: Option<(u64, Tensor)> = None;
    let mut pending_norms: Option<(u64, Vec<Tensor>)> = None;
    let mut outcome = Outcome::Finished;
    let mut step = start;
    let checkpoint_now =
        |tr: &Trainer, history: &mut History, step: u64, lr: f32| -> Result<PathBuf> {
            history.flush(gpu)?;
            // A finite loss does not prove finite weights (an Inf gradient): check them too.
            let norm = reduce::grad_norm(&tr.params)?.to_vec()?[0];
            if !norm.is_finite() {
                bail!(
                    "the weights hold NaN or Inf after step {step}: stopping without a checkpoint"
                );
            }
            let state = State {
            step,
            total_iter,
            optimizer_step: tr.adam.steps(),
            lr,
            manual_seed: cfg.manual_seed,
            method: cfg.regularizer.method_name(),
            arch: tr.arch.name().into(),
            loader_batch: step,
            rng: "every draw derives from (manual_seed, step); the loader restarts at batch `step`"
                .into(),
            sralign_version: env!("CARGO_PKG_VERSION").into(),
        };
            let ema = tr.ema_named();
            let p = checkpoint::save(
                &run,
                &state,
                &tr.named,
                ema.as_deref(),
                &tr.adam.export_state(&tr.params)?,
            )?;
            checkpoint::prune(&run, cfg.logger.keep_checkpoints)?;
            Ok(p)
        };
    let mut lr = lr_at(
        lr0,
        cfg.train.scheduler.as_ref(),
        cfg.train.warmup_iter,
        start.max(1),
    );
    while step < total_iter {
        if stop.load(Ordering::SeqCst) {
            outcome = Outcome::Interrupted;
            break;
        }
        let s = step + 1;
        let t_step = Instant::now();
        let t_data = Instant::now();
        let batch = loader
            .next()
            .ok_or_else(|| anyhow!("the data loader ended"))??;
        let wait = t_data.elapsed().as_secs_f64();
        let (x, y) = upload_pair_batch(gpu, &batch)?;
        lr = lr_at(lr0, cfg.train.scheduler.as_ref(), cfg.train.warmup_iter, s);
        tr.adam.lr = lr;
        let logged = s.is_multiple_of(cfg.logger.print_freq) || s == total_iter;
        if logged && cfg.logger.grad_share {
            let mut norms = vec![tr.part_grad_norm(&x, &y, s, Part::Pixel)?];
            for i in 0..tr.terms.len() {
                norms.push(tr.part_grad_norm(&x, &y, s, Part::Term(i))?);
            }
            pending_norms = Some((s, norms));
        }
        let nan = opts.inject_nan_at == Some(s);
        let (total, values, feature) = tr.losses(&x, &y, s, Part::All, nan)?;
        if logged {
            pending_align = Some((s, alignment_pieces(&feature)?));
        }
        drop(feature);
        let grads: Grads = autograd::backward(&total)?;
        tr.adam.step(&tr.params, &grads)?;
        drop(grads);
        if let Some(e) = tr.ema.as_mut() {
            e.update(&tr.params)?;
        }
        history.push(gpu, s, &values)?;
        drop(values);
        // Keep one step in flight: wait for the previous step while this one runs.
        let f = gpu.fence()?;
        gpu.wait_for(fence.take())?;
        fence = f;
        step = s;
        since_log.1 += 1;
        since_log.2 += wait;
        if s > start + 2 {
            timed.0 += t_step.elapsed().as_secs_f64();
            timed.1 += 1;
        }
        on_event(Event::Step { step: s });
        if opts.halt_after == Some(s) {
            return Ok(Summary {
                outcome: Outcome::Halted,
                step: s,
                last_checkpoint: last_ckpt,
                final_weights: None,
                last_val,
                step_seconds: timed.0 / timed.1.max(1) as f64,
            });
        }
        if logged {
            let rows = history.flush(gpu)?;
            let (_, last) = rows.last().expect("this step's values");
            let mut losses = BTreeMap::new();
            for (n, v) in names.iter().zip(last) {
                losses.insert(n.clone(), *v as f64);
            }
            let mut grad_norm = BTreeMap::new();
            let mut grad_share = BTreeMap::new();
            if let Some((_, norms)) = pending_norms.take() {
                let vals: Vec<f64> = norms
                    .iter()
                    .map(|t| t.to_vec().map(|v| v[0] as f64))
                    .collect::<crate::Result<_>>()?;
                let sum: f64 = vals.iter().sum();
                for (n, v) in names.iter().zip(&vals) {
                    grad_norm.insert(n.clone(), *v);
                    grad_share.insert(n.clone(), if sum > 0.0 { v / sum } else { 0.0 });
                }
            }
            let (mu, cov) = match pending_align.take() {
                Some((_, t)) => alignment_distances(&t.to_vec()?),
                None => (f64::NAN, f64::NAN),
            };
            let dt = since_log.0.elapsed().as_secs_f64();
            let rec = LogRecord {
                kind: "train",
                step: s,
                lr,
                losses,
                grad_norm,
                grad_share,
                align_mu_rel: mu,
                align_cov_rel: cov,
                it_per_s: since_log.1 as f64 / dt.max(1e-9),
                data_wait_s: since_log.2 / since_log.1.max(1) as f64,
                elapsed_s: t_run.elapsed().as_secs_f64(),
            };
            write_log(&rec)?;
            on_event(Event::Log(&rec));
            since_log = (Instant::now(), 0, 0.0);
        }
        if let (Some(v), Some(vds), Some(em)) = (&cfg.val, &val_ds, &eval_model) {
            if s.is_multiple_of(v.val_freq) || s == total_iter {
                history.flush(gpu)?;
                tr.apply_ema_to(em.as_ref())?;
                let rec = validate(gpu, cfg, em.as_ref(), vds, s, on_event)?;
                write_log(&rec)?;
                on_event(Event::Val(&rec));
                last_val = Some(rec);
                since_log.0 = Instant::now();
            }
        }
        if s.is_multiple_of(cfg.logger.save_checkpoint_freq) && s != total_iter {
            let p = checkpoint_now(&tr, &mut history, s, lr)?;
            on_event(Event::Checkpoint { step: s, path: &p });
            last_ckpt = Some(p);
        }
    }
    gpu.wait_for(fence.take())?;
    let p = checkpoint_now(&tr, &mut history, step, lr)?;
    on_event(Event::Checkpoint { step, path: &p });
    last_ckpt = Some(p);
    let mut final_weights = None;
    if outcome == Outcome::Finished {
        let f = run.join("model.safetensors");
        let ema = tr.ema_named();
        weights::save_named(&f, &tr.named, ema.as_deref(), tr.arch.name())?;
        final_weights = Some(f);
    }
    Ok(Summary {
        outcome,
        step,
        last_checkpoint: last_ckpt,
        final_weights,
        last_val,
        step_seconds: timed.0 / timed.1.max(1) as f64,
    })
}

/// Serialising either record type through one closure.
mod erased {
    pub trait Json {
        fn json(&self) -> serde_json::Result<String>;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> serde_json::Result<String> {
            serde_json::to_string(self)
        }
    }
}
