//! Model benchmarks: forward time and one training step (forward, L1, backward, Adam) per
//! architecture, at the standard and the tiny configuration, with dispatches per step, where
//! the step's wall time goes (host work, device gaps, waits), and a per-op profile from
//! timestamp queries.
//!
//! Three views of the time outside kernels, kept apart because on a software driver they
//! overlap and compete for the same cores:
//! - host busy: CPU time of the thread that records the step (sralign's own code, wgpu's
//!   recording, encoding and submitting, the driver's work on that thread), measured on the
//!   unprofiled steps from the kernel's per-thread accounting (Linux `/proc/thread-self/schedstat`);
//!   time the thread sleeps (waiting for the device, or for a driver lock the device holds) or
//!   waits for a core is not in it;
//! - wall minus kernels: the profiled step's wall time minus its summed kernel times (the older
//!   figure; it also holds the per-batch waits for timestamps and the device's own gaps);
//! - device gaps: from the profiled step's timestamps, end of one kernel to the start of the
//!   next within a batch (the driver's cost per dispatch, barriers, the timestamp writes).

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
    /// Floating-point operations per step of the ops that declare theirs (`Gpu::count_flops`:
    /// the convolutions, forward and each gradient computed), and their rate over the whole
    /// step (`flops_per_step / step_s`: every other op's time counts against it).
    pub conv_flops_per_step: f64,
    pub conv_gflops: f64,
    /// Per-op GPU time of one profiled step: (op, ms, dispatches), largest first.
    pub profile: Vec<(String, f64, u64)>,
    /// Wall time of that profiled step (each batch waited for, to read its timestamps).
    pub profiled_s: f64,
    /// CPU time per unprofiled step of the thread that records it (see the module doc); `None`
    /// where the OS does not report per-thread CPU time.
    pub host_busy_s: Option<f64>,
    /// `host_busy_s / step_s`: the host's share of the step.
    pub host_share: Option<f64>,
    /// Of the host's time per step, inside the device layer's recording: validating launches,
    /// pipeline and bind-group lookups, encoding dispatches, copies, clears, uploads, finishing
    /// encoders (`gpu::HostClocks::record + finish`, wall time).
    pub record_s: f64,
    /// Wall time per step inside `queue.submit` (lavapipe blocks there while an earlier batch
    /// still runs, so this is mostly waiting).
    pub submit_s: f64,
    /// Wall time per step blocked in explicit waits for the device (the sync ending the step).
    pub wait_s: f64,
    /// Time per step the recording thread was runnable but not running (other processes and
    /// the driver's worker threads on the same cores); `None` as for `host_busy_s`.
    pub preempted_s: Option<f64>,
    /// `outside_kernels_s()` and its share of the profiled step (the older figure).
    pub outside_s: f64,
    pub outside_share: f64,
    /// Device time between consecutive kernels of a batch in the profiled step: summed, and
    /// the mean per gap in microseconds.
    pub gaps_s: f64,
    pub gap_mean_us: f64,
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
    // Warm-up: the first step compiles pipelines and fills the pools, the second creates the
    // bind groups of the buffers the pools then hand out every step; then timed steps.
    step()?;
    step()?;
    gpu.sync()?;
    let iters = opts.iters.clamp(1, 3);
    let d0 = gpu.dispatch_count();
    let f0 = gpu.flop_count();
    let c0 = gpu.host_clocks();
    let s0 = thread_sched();
    let t0 = Instant::now();
    for _ in 0..iters {
        step()?;
        gpu.sync()?;
    }
    let step_s = t0.elapsed().as_secs_f64() / iters as f64;
    let sched = s0.zip(thread_sched()).map(|(a, b)| {
        let per = |x: u64, y: u64| y.saturating_sub(x) as f64 / 1e9 / iters as f64;
        (per(a.0, b.0), per(a.1, b.1))
    });
    let clocks = gpu.host_clocks().since(&c0);
    let per_step = |d: std::time::Duration| d.as_secs_f64() / iters as f64;
    let dispatches_per_step = (gpu.dispatch_count() - d0) / iters as u64;
    let conv_flops_per_step = (gpu.flop_count() - f0) / iters as f64;
    let forward_s = {
        let _ng = autograd::no_grad();
        let t0 = Instant::now();
        model.forward(&x)?.out.to_vec()?;
        t0.elapsed().as_secs_f64()
    };
    let (profile, profiled_s, (gap_ms, gaps)) = if gpu.set_profiling(true).is_ok() {
        let t0 = Instant::now();
        step()?;
        let p = gpu.take_profile()?;
        let wall = t0.elapsed().as_secs_f64();
        let gaps = gpu.profile_gaps()?;
        gpu.set_profiling(false)?;
        (p, wall, gaps)
    } else {
        (Vec::new(), 0.0, (0.0, 0))
    };
    let mut row = ModelRow {
        name: name.to_string(),
        batch,
        lr_side: side,
        params: model.params().count(),
        forward_s,
        step_s,
        dispatches_per_step,
        conv_flops_per_step,
        conv_gflops: conv_flops_per_step / step_s / 1e9,
        profile,
        profiled_s,
        host_busy_s: sched.map(|s| s.0),
        host_share: sched.map(|s| s.0 / step_s),
        record_s: per_step(clocks.record + clocks.finish),
        submit_s: per_step(clocks.submit),
        wait_s: per_step(clocks.wait),
        preempted_s: sched.map(|s| s.1),
        outside_s: 0.0,
        outside_share: 0.0,
        gaps_s: gap_ms / 1e3,
        gap_mean_us: gap_ms * 1e3 / gaps.max(1) as f64,
    };
    row.outside_s = row.outside_kernels_s();
    row.outside_share = if profiled_s > 0.0 {
        row.outside_s / profiled_s
    } else {
        0.0
    };
    Ok(row)
}

/// The calling thread's (CPU time, time runnable but waiting for a core) so far, in ns, from
/// Linux's per-thread scheduler statistics; `None` elsewhere.
fn thread_sched() -> Option<(u64, u64)> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let mut f = s.split_whitespace().map(|x| x.parse::<u64>().ok());
    Some((f.next()??, f.next()??))
}

/// The table of model rows, where each step's time outside kernels goes, then each model's
/// top ops. "host %" is the recording thread's CPU time over the unprofiled step's wall time;
/// "outside %" is the profiled step's wall time minus its kernel times, over that wall time;
/// "gap us" the mean device time between consecutive kernels (see the module doc).
pub fn format_models(rows: &[ModelRow]) -> String {
    let mut s = format!(
        "{:<22} {:>6} {:>6} {:>11} {:>10} {:>10} {:>9} {:>11} {:>12} {:>11} {:>12}\n",
        "model",
        "batch",
        "LR",
        "params",
        "fwd s",
        "step s",
        "img/s",
        "disp/step",
        "outside s",
        "conv GFLOP",
        "conv GFLOP/s"
    );
    let pct = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{:.2}", 100.0 * v));
    let ms = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{:.2}", 1e3 * v));
    for r in rows {
        let outside = if r.profile.is_empty() {
            "-".to_string()
        } else {
            format!("{:.3}", r.outside_s)
        };
        s.push_str(&format!(
            "{:<22} {:>6} {:>6} {:>11} {:>10.3} {:>10.3} {:>9.2} {:>11} {:>12} {:>11.1} {:>12.1}\n",
            r.name,
            r.batch,
            r.lr_side,
            r.params,
            r.forward_s,
            r.step_s,
            r.images_per_s(),
            r.dispatches_per_step,
            outside,
            r.conv_flops_per_step / 1e9,
            r.conv_gflops
        ));
    }
    s.push_str(&format!(
        "\n{:<22} {:>8} {:>10} {:>10} {:>10} {:>10} {:>10} {:>11} {:>8} {:>9}\n",
        "time outside kernels",
        "host %",
        "host ms",
        "record ms",
        "submit ms",
        "wait ms",
        "preempt ms",
        "outside %",
        "gaps ms",
        "gap us"
    ));
    for r in rows {
        let (outside, gaps, gap) = if r.profile.is_empty() {
            ("-".to_string(), "-".to_string(), "-".to_string())
        } else {
            (
                format!("{:.2}", 100.0 * r.outside_share),
                format!("{:.1}", 1e3 * r.gaps_s),
                format!("{:.1}", r.gap_mean_us),
            )
        };
        s.push_str(&format!(
            "{:<22} {:>8} {:>10} {:>10.2} {:>10.2} {:>10.2} {:>10} {:>11} {:>8} {:>9}\n",
            r.name,
            pct(r.host_share),
            ms(r.host_busy_s),
            1e3 * r.record_s,
            1e3 * r.submit_s,
            1e3 * r.wait_s,
            ms(r.preempted_s),
            outside,
            gaps,
            gap
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
