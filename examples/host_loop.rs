//! Host time of training steps in a loop, for a profiler attached to the recording thread
//! (`cargo run --release --example host_loop -- swinir 30 [DISPATCHES_PER_SUBMIT [standard]]`, then e.g.
//! `perf record -g --call-graph dwarf -t <tid>`): runs N steps of the tiny model at the bench's
//! shapes and prints this thread's CPU time per step beside the step's wall time.
use std::time::Instant;

use sralign::models::{self, Arch, ModelConfig};
use sralign::ops::{loss, optim};
use sralign::{autograd, Gpu, Tensor};

fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn main() -> sralign::Result<()> {
    let mut args = std::env::args().skip(1);
    let arch: Arch = args
        .next()
        .unwrap_or_else(|| "swinir".into())
        .parse()
        .map_err(|detail: String| sralign::Error::Unsupported {
            op: "host_loop".into(),
            detail,
        })?;
    let steps: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(30);
    // Optional third argument: dispatches per submit (the recorder's batch, default 128).
    let per_submit: Option<usize> = args.next().and_then(|s| s.parse().ok());
    let gpu = Gpu::with_options(sralign::gpu::GpuOptions {
        dispatches_per_submit: per_submit,
        ..Default::default()
    })?;
    // Optional fourth argument `standard`: the paper's configuration instead of the tiny one.
    let cfg = match args.next().as_deref() {
        Some("standard") => ModelConfig::standard(arch),
        _ => ModelConfig::tiny(arch),
    };
    let model = models::build(&gpu, &cfg, 0)?;
    let params = model.params().tensors();
    let (b, side, s) = (
        sralign::bench::models::standard_batch(arch),
        48,
        model.scale(),
    );
    let x = Tensor::full(&gpu, &[b, 3, side, side], 0.5)?;
    let y = Tensor::full(&gpu, &[b, 3, side * s, side * s], 0.4)?;
    let mut adam = optim::Adam::new(2e-4, 0.9, 0.99);
    let mut step = || -> sralign::Result<()> {
        let out = model.forward(&x)?.out;
        let l = loss::l1(&out, &y)?;
        let g = autograd::backward(&l)?;
        adam.step(&params, &g)
    };
    step()?;
    gpu.sync()?;
    let (c0, t0, d0, g0) = (
        thread_cpu_ns(),
        Instant::now(),
        gpu.dispatch_count(),
        gpu.bind_groups_created(),
    );
    for _ in 0..steps {
        step()?;
        gpu.sync()?;
    }
    let wall = t0.elapsed().as_secs_f64() / steps as f64;
    let cpu = (thread_cpu_ns() - c0) as f64 / 1e9 / steps as f64;
    let disp = (gpu.dispatch_count() - d0) / steps as u64;
    let groups = (gpu.bind_groups_created() - g0) as f64 / steps as f64;
    println!(
        "{}: step {:.1} ms, host {:.2} ms ({:.2}%), {} dispatches ({:.1} new bind groups), {:.1} us host per dispatch",
        arch.name(),
        wall * 1e3,
        cpu * 1e3,
        100.0 * cpu / wall,
        disp,
        groups,
        cpu * 1e6 / disp as f64
    );
    Ok(())
}
