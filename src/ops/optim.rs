//! Optimisers that update parameters in place with kernels, one dispatch per parameter tensor
//! (Adam: up to 11 tensors per dispatch where the adapter binds 44 storage buffers):
//! `Sgd` (momentum, weight decay), `Adam` (PyTorch semantics with bias correction; `decoupled`
//! gives AdamW) and `Ema` (BasicSR's model_ema: ema = decay * ema + (1 - decay) * w).
//! State (momentum buffers, first and second moments, EMA weights) lives on the GPU keyed by
//! parameter id and is exported / imported as host vectors keyed by parameter index, for
//! checkpoints. Kernels: shaders/optim_sgd.wgsl, optim_adam.wgsl (optim_adam_multi.wgsl),
//! optim_ema.wgsl.
//!
//! Parameters are updated in the order given; nothing is read back during a step.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use crate::autograd::Grads;
use crate::error::{shape_err, Result};
use crate::gpu::params::{
    entry, KernelParams, OptimAdamMultiParams, OptimAdamParams, OptimEmaParams, OptimSgdParams,
};
use crate::gpu::shaders;
use crate::gpu::Launch;
use crate::ops::launch::{bind_vec4, launch_map, Map, MapParams};
use crate::tensor::{grid_for, Tensor};

/// Optimiser state as host vectors: `"{i}.{name}"` for parameter index i of the list given to
/// `export_state` (names as PyTorch's: `momentum_buffer`, `exp_avg`, `exp_avg_sq`, `ema`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OptimState {
    pub step: u64,
    pub tensors: Vec<(String, Vec<f32>)>,
}

fn grad_for<'a>(op: &str, p: &Tensor, grads: &'a Grads) -> Result<Option<&'a Tensor>> {
    match grads.get(p) {
        Some(g) if g.shape() != p.shape() => Err(shape_err(
            op,
            &[p.shape(), g.shape()],
            "gradient shape differs from the parameter's",
        )),
        g => Ok(g),
    }
}

fn export(
    params: &[Tensor],
    names: &[&str],
    state: &HashMap<u64, Vec<Tensor>>,
    step: u64,
) -> Result<OptimState> {
    let mut tensors = Vec::new();
    for (i, p) in params.iter().enumerate() {
        if let Some(ts) = state.get(&p.id()) {
            for (name, t) in names.iter().zip(ts) {
                tensors.push((format!("{i}.{name}"), t.to_vec()?));
            }
        }
    }
    Ok(OptimState { step, tensors })
}

fn import(
    op: &str,
    params: &[Tensor],
    names: &[&str],
    s: &OptimState,
) -> Result<HashMap<u64, Vec<Tensor>>> {
    let map: HashMap<&str, &Vec<f32>> = s.tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut state = HashMap::new();
    for (i, p) in params.iter().enumerate() {
        let mut ts = Vec::new();
        for name in names {
            if let Some(v) = map.get(format!("{i}.{name}").as_str()) {
                if v.len() != p.numel() {
                    return Err(shape_err(
                        op,
                        &[p.shape()],
                        format!("state {i}.{name} has {} values", v.len()),
                    ));
                }
                ts.push(Tensor::from_slice(p.gpu(), p.shape(), v)?);
            }
        }
        match ts.len() {
            0 => {}
            n if n == names.len() => {
                state.insert(p.id(), ts);
            }
            _ => {
                return Err(shape_err(
                    op,
                    &[p.shape()],
                    format!("state of parameter {i} is incomplete"),
                ))
            }
        }
    }
    Ok(state)
}

/// torch.optim.SGD (dampening 0, no Nesterov).
pub struct Sgd {
    pub lr: f32,
    pub momentum: f32,
    pub weight_decay: f32,
    step: u64,
    state: HashMap<u64, Vec<Tensor>>,
    /// Bound in place of a momentum buffer when momentum is 0 (never touched by the kernel).
    placeholder: Option<Tensor>,
}

impl Sgd {
    pub fn new(lr: f32, momentum: f32, weight_decay: f32) -> Sgd {
        Sgd {
            lr,
            momentum,
            weight_decay,
            step: 0,
            state: HashMap::new(),
            placeholder: None,
        }
    }

    pub fn steps(&self) -> u64 {
        self.step
    }

    /// One step over `params` (those without a gradient are skipped).
    pub fn step(&mut self, params: &[Tensor], grads: &Grads) -> Result<()> {
        let op = "sgd_step";
        self.step += 1;
        let use_m = self.momentum != 0.0;
        for p in params {
            let Some(g) = grad_for(op, p, grads)? else {
                continue;
            };
            let buf = if use_m {
                if let Entry::Vacant(e) = self.state.entry(p.id()) {
                    e.insert(vec![Tensor::zeros(p.gpu(), p.shape())?]);
                }
                &self.state[&p.id()][0]
            } else {
                if self.placeholder.is_none() {
                    self.placeholder = Some(Tensor::zeros(p.gpu(), &[4])?);
                }
                self.placeholder.as_ref().unwrap()
            };
            let params = OptimSgdParams {
                lr: self.lr,
                momentum: self.momentum,
                wd: self.weight_decay,
                use_momentum: use_m as u32,
                ..Default::default()
            };
            let (chunked, whole): (Vec<&Tensor>, Vec<&Tensor>) = if use_m {
                (vec![p, g, buf], vec![])
            } else {
                (vec![p, g], vec![buf])
            };
            launch_map(Map {
                op,
                shapes: &[p.shape()],
                shader: &shaders::OPTIM_SGD,
                entry: entry::SGD_STEP,
                overrides: &[],
                params: MapParams::of(&params),
                chunked: &chunked,
                whole: &whole,
                n: p.numel(),
            })?;
        }
        Ok(())
    }

    pub fn export_state(&self, params: &[Tensor]) -> Result<OptimState> {
        export(params, &["momentum_buffer"], &self.state, self.step)
    }

    pub fn import_state(&mut self, params: &[Tensor], s: &OptimState) -> Result<()> {
        self.state = import("sgd_import_state", params, &["momentum_buffer"], s)?;
        self.step = s.step;
        Ok(())
    }
}

/// torch.optim.Adam, or torch.optim.AdamW when `decoupled`. `lr` may change between steps
/// (schedulers); the step count `t` of the bias corrections is the struct's.
pub struct Adam {
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub weight_decay: f32,
    pub decoupled: bool,
    step: u64,
    state: HashMap<u64, Vec<Tensor>>,
}

impl Adam {
    /// Adam with PyTorch's defaults for eps (1e-8) and no weight decay.
    pub fn new(lr: f32, beta1: f32, beta2: f32) -> Adam {
        Adam {
            lr,
            beta1,
            beta2,
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled: false,
            step: 0,
            state: HashMap::new(),
        }
    }

    /// AdamW (decoupled weight decay).
    pub fn adamw(lr: f32, beta1: f32, beta2: f32, weight_decay: f32) -> Adam {
        Adam {
            weight_decay,
            decoupled: true,
            ..Adam::new(lr, beta1, beta2)
        }
    }

    pub fn steps(&self) -> u64 {
        self.step
    }

    /// One step over `params` (those without a gradient are skipped).
    pub fn step(&mut self, params: &[Tensor], grads: &Grads) -> Result<()> {
        let op = if self.decoupled {
            "adamw_step"
        } else {
            "adam_step"
        };
        self.step += 1;
        let t = self.step as i32;
        let (lr, b1, b2, wd) = (
            self.lr as f64,
            self.beta1 as f64,
            self.beta2 as f64,
            self.weight_decay as f64,
        );
        let bc1 = 1.0 - b1.powi(t);
        let bc2 = 1.0 - b2.powi(t);
        let adam = OptimAdamParams {
            w1: (1.0 - b1) as f32,
            beta2: self.beta2,
            w2: (1.0 - b2) as f32,
            step_size: (lr / bc1) as f32,
            bc2_sqrt: bc2.sqrt() as f32,
            eps: self.eps,
            wd: self.weight_decay,
            decay: (1.0 - lr * wd) as f32,
            decoupled: self.decoupled as u32,
            ..Default::default()
        };
        let mut group: Vec<(&Tensor, &Tensor)> = Vec::with_capacity(ADAM_GROUP);
        for p in params {
            let Some(g) = grad_for(op, p, grads)? else {
                continue;
            };
            if let Entry::Vacant(e) = self.state.entry(p.id()) {
                let m = Tensor::zeros(p.gpu(), p.shape())?;
                let v = Tensor::zeros(p.gpu(), p.shape())?;
                e.insert(vec![m, v]);
            }
            if adam_groups(p) {
                group.push((p, g));
                if group.len() == ADAM_GROUP {
                    self.step_group(op, &adam, &group)?;
                    group.clear();
                }
                continue;
            }
            let s = &self.state[&p.id()];
            launch_map(Map {
                op,
                shapes: &[p.shape()],
                shader: &shaders::OPTIM_ADAM,
                entry: entry::ADAM_STEP,
                overrides: &[],
                params: MapParams::of(&adam),
                chunked: &[p, g, &s[0], &s[1]],
                whole: &[],
                n: p.numel(),
            })?;
        }
        if !group.is_empty() {
            self.step_group(op, &adam, &group)?;
        }
        Ok(())
    }

    /// Up to `ADAM_GROUP` tensors in one dispatch (shaders/optim_adam_multi.wgsl).
    fn step_group(
        &self,
        op: &str,
        a: &OptimAdamParams,
        group: &[(&Tensor, &Tensor)],
    ) -> Result<()> {
        let gpu = group[0].0.gpu();
        let mut params = OptimAdamMultiParams {
            count: group.len() as u32,
            w1: a.w1,
            beta2: a.beta2,
            w2: a.w2,
            step_size: a.step_size,
            bc2_sqrt: a.bc2_sqrt,
            eps: a.eps,
            wd: a.wd,
            decay: a.decay,
            decoupled: a.decoupled,
            ..Default::default()
        };
        for (j, (p, _)) in group.iter().enumerate() {
            params.n[j / 4][j % 4] = p.numel().div_ceil(4) as u32;
        }
        let n4 = params.n.concat();
        let mut binds = Vec::with_capacity(4 * ADAM_GROUP);
        for j in 0..ADAM_GROUP {
            let (p, g) = group.get(j).unwrap_or(&group[0]);
            let st = &self.state[&p.id()];
            for t in [*p, *g, &st[0], &st[1]] {
                binds.push(bind_vec4(op, t, 0, t.numel())?);
            }
        }
        let shapes: Vec<&[usize]> = group.iter().map(|(p, _)| p.shape()).collect();
        let max = n4.iter().copied().max().unwrap_or(1) as usize;
        let [x, y, _] = grid_for(gpu, max, 256);
        gpu.launch(Launch {
            op,
            shapes: &shapes,
            shader: &shaders::OPTIM_ADAM_MULTI,
            entry: entry::ADAM_STEP_MULTI,
            overrides: &[],
            params: params.words(),
            binds: &binds,
            workgroups: [x, y, group.len() as u32],
        })
    }

    pub fn export_state(&self, params: &[Tensor]) -> Result<OptimState> {
        export(params, &["exp_avg", "exp_avg_sq"], &self.state, self.step)
    }

    pub fn import_state(&mut self, params: &[Tensor], s: &OptimState) -> Result<()> {
        self.state = import("adam_import_state", params, &["exp_avg", "exp_avg_sq"], s)?;
        self.step = s.step;
        Ok(())
    }
}

/// Exponential moving average of weights (BasicSR model_ema): the first `update` copies the
/// weights, later ones apply ema = decay * ema + (1 - decay) * w.
pub struct Ema {
    pub decay: f32,
    state: HashMap<u64, Vec<Tensor>>,
}

impl Ema {
    pub fn new(decay: f32) -> Ema {
        Ema {
            decay,
            state: HashMap::new(),
        }
    }

    pub fn update(&mut self, params: &[Tensor]) -> Result<()> {
        for p in params {
            let Some(e) = self.state.get(&p.id()) else {
                self.state.insert(p.id(), vec![p.deep_clone()?]);
                continue;
            };
            launch_map(Map {
                op: "ema_step",
                shapes: &[p.shape()],
                shader: &shaders::OPTIM_EMA,
                entry: entry::EMA_STEP,
                overrides: &[],
                params: MapParams::of(&OptimEmaParams {
                    decay: self.decay,
                    w1: (1.0 - self.decay as f64) as f32,
                    ..Default::default()
                }),
                chunked: &[&e[0], p],
                whole: &[],
                n: p.numel(),
            })?;
        }
        Ok(())
    }

    /// The averaged copy of a parameter (None before the first `update`).
    pub fn get(&self, param: &Tensor) -> Option<&Tensor> {
        self.state.get(&param.id()).map(|v| &v[0])
    }

    pub fn export_state(&self, params: &[Tensor]) -> Result<OptimState> {
        export(params, &["ema"], &self.state, 0)
    }

    pub fn import_state(&mut self, params: &[Tensor], s: &OptimState) -> Result<()> {
        self.state = import("ema_import_state", params, &["ema"], s)?;
        Ok(())
    }
}

/// f64 CPU references of one step (PyTorch formulas), updating in place.
pub mod reference {
    pub fn sgd(w: &mut [f64], g: &[f64], buf: &mut [f64], lr: f64, momentum: f64, wd: f64) {
        for i in 0..w.len() {
            let mut d = g[i] + wd * w[i];
            if momentum != 0.0 {
                buf[i] = momentum * buf[i] + d;
                d = buf[i];
            }
            w[i] -= lr * d;
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn adam(
        w: &mut [f64],
        g: &[f64],
        m: &mut [f64],
        v: &mut [f64],
        t: u64,
        (lr, b1, b2, eps, wd): (f64, f64, f64, f64, f64),
        decoupled: bool,
    ) {
        let bc1 = 1.0 - b1.powi(t as i32);
        let bc2 = 1.0 - b2.powi(t as i32);
        for i in 0..w.len() {
            let mut gi = g[i];
            if decoupled {
                w[i] *= 1.0 - lr * wd;
            } else {
                gi += wd * w[i];
            }
            m[i] = b1 * m[i] + (1.0 - b1) * gi;
            v[i] = b2 * v[i] + (1.0 - b2) * gi * gi;
            w[i] -= lr / bc1 * m[i] / (v[i].sqrt() / bc2.sqrt() + eps);
        }
    }

    pub fn ema(e: &mut [f64], w: &[f64], decay: f64) {
        for (a, b) in e.iter_mut().zip(w) {
            *a = decay * *a + (1.0 - decay) * b;
        }
    }
}

/// Tensors one Adam dispatch updates where the adapter allows (4 storage buffers each).
const ADAM_GROUP: usize = 11;

/// True when `p` may join a multi-tensor Adam dispatch: the adapter binds 44 storage buffers
/// per stage and the tensor fits in one binding (larger ones take the per-tensor path, which
/// splits them).
fn adam_groups(p: &Tensor) -> bool {
    let l = p.gpu().limits();
    l.max_storage_buffers_per_shader_stage as usize >= 4 * ADAM_GROUP
        && (p.numel() as u64 * 4).div_ceil(16) * 16 <= l.max_storage_buffer_binding_size
}
