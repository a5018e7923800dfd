//! Model benchmarks: forward time and one training step (forward, L1, backward, Adam) per
//! architecture, at the standard and the tiny configuration, with dispatches per step, the
//! wall time not covered by GPU work, and a per-op profile from timestamp queries.

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::BenchOptions;
use crate::autograd;
use crate::error::Result;
use crate::gpu::Gpu;
use crate::models::{self, Arch, ModelConfig};
use crate::ops::{loss, optim};
use crate::tensor::Tensor;

/// One model's figures.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ModelRow {
    pub name: String,
    pub batch: usize,
    pub lr_side: usize,
    pub params: usize,
    pub forward_s: f64,
    pub step_s: f64,
    pub dispatches_per_step: u64,
    /// Per-op GPU time of one profiled step: (op, ms, dispatches), largest first.
    pub profile: Vec<(String, f64, u64)>,
    /// Wall time of that profiled step (each batch waited for, to read its timestamps).
    pub profiled_s: f64,
}

impl ModelRow {
    pub fn images_per_s(&self) -> f64 {
        self.batch as f64 / self.step_s
    }
    /// Seconds of the profiled step's GPU time.
    pub fn gpu_s(&self) -> f64 {
        self.profile.iter().map(|r| r.1).sum::<f64>() / 1e3
    }
    /// Seconds of the profiled step spent outside kernels (recording, host work, waits).
    pub fn outside_kernels_s(&self) -> f64 {
        (self.profiled_s - self.gpu_s()).max(0.0)
    }
}

/// The paper's training shapes: SRResNet batch 16, RRDBNet/SwinIR/MSRN batch 4; LR 48x48.
pub fn standard_batch(arch: Arch) -> usize {
    match arch {
        Arch::SrResNet => 16,
        _ => 4,
    }
}

pub fn bench_model(
    gpu: &Gpu,
    name: &str,
    cfg: &ModelConfig,
    batch: usize,
    side: usize,
    opts: &BenchOptions,
) -> Result<ModelRow> {
    let model = models::build(gpu, cfg, 0)?;
    let params = model.params().tensors();
    let s = model.scale();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut rand = |shape: &[usize]| -> Result<Tensor> {
        let n = shape.iter().product();
        let v: Vec<f32> = (0..n).map(|_| rng.random_range(0.0f32..1.0)).collect();
        Tensor::from_slice(gpu, shape, &v)
    };
    let x = rand(&[batch, 3, side, side])?;
    let y = rand(&[batch, 3, side * s, side * s])?;
    let mut adam = optim::Adam::new(2e-4, 0.9, 0.99);
    let mut step = || -> Result<()> {
        let out = model.forward(&x)?.out;
        let l = loss::l1(&out, &y)?;
        let g = autograd::backward(&l)?;
        adam.step(&params, &g)
    };
    // Warm-up (pipelines compile, pools fill), then timed steps.
    step()?;
    gpu.sync()?;
    let iters = opts.iters.clamp(1, 3);
    let d0 = gpu.dispatch_count();
    let t0 = Instant::now();
    for _ in 0..iters {
        step()?;
        gpu.sync()?;
    }
    let step_s = t0.elapsed().as_secs_f64() / iters as f64;
    let dispatches_per_step = (gpu.dispatch_count() - d0) / iters as u64;
    let forward_s = {
        let _ng = autograd::no_grad();
        let t0 = Instant::now();
        model.forward(&x)?.out.to_vec()?;
        t0.elapsed().as_secs_f64()
    };
    let (profile, profiled_s) = if gpu.set_profiling(true).is_ok() {
        let t0 = Instant::now();
        step()?;
        let p = gpu.take_profile()?;
        let wall = t0.elapsed().as_secs_f64();
        gpu.set_profiling(false)?;
        (p, wall)
    } else {
        (Vec::new(), 0.0)
    };
    Ok(ModelRow {
        name: name.to_string(),
        batch,
        lr_side: side,
        params: model.params().count(),
        forward_s,
        step_s,
        dispatches_per_step,
        profile,
        profiled_s,
    })
}

/// The table of model rows, then each model's top ops.
pub fn format_models(rows: &[ModelRow]) -> String {
    let mut s = format!(
        "{:<22} {:>6} {:>6} {:>11} {:>10} {:>10} {:>9} {:>11} {:>12}\n",
        "model", "batch", "LR", "params", "fwd s", "step s", "img/s", "disp/step", "outside s"
    );
    for r in rows {
        let outside = if r.profile.is_empty() {
            "-".to_string()
        } else {
            format!("{:.3}", r.outside_kernels_s())
        };
        s.push_str(&format!(
            "{:<22} {:>6} {:>6} {:>11} {:>10.3} {:>10.3} {:>9.2} {:>11} {:>12}\n",
            r.name,
            r.batch,
            r.lr_side,
            r.params,
            r.forward_s,
            r.step_s,
            r.images_per_s(),
            r.dispatches_per_step,
            outside
        ));
    }
    for r in rows.iter().filter(|r| !r.profile.is_empty()) {
        let total: f64 = r.profile.iter().map(|p| p.1).sum();
        s.push_str(&format!(
            "\n{} — GPU time per op in one step ({:.1} ms):\n",
            r.name, total
        ));
        for (op, ms, n) in r.profile.iter().take(10) {
            s.push_str(&format!(
                "  {:<32} {:>10.1} ms {:>6.1}% {:>6} dispatches\n",
                op,
                ms,
                100.0 * ms / total,
                n
            ));
        }
    }
    s
}
