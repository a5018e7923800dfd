//! Per-kernel GPU time of one conv3x3 64->64 forward + backward on 16x64x48x48
//! (`cargo run --release --example profile_conv`).
use sralign::{autograd, ops, Gpu, Tensor};

/// 2 N Cout Cin k^2 H W for one pass.
const FLOPS: f64 = 2.0 * 16.0 * 64.0 * 64.0 * 9.0 * 48.0 * 48.0;

fn main() -> sralign::Result<()> {
    let gpu = Gpu::new()?;
    let x = Tensor::full(&gpu, &[16, 64, 48, 48], 0.5)?;
    let w = Tensor::full(&gpu, &[64, 64, 3, 3], 0.01)?;
    x.set_requires_grad(true);
    w.set_requires_grad(true);
    let dy = Tensor::full(&gpu, &[16, 64, 48, 48], 1.0)?;
    let run = || -> sralign::Result<()> {
        let y = ops::conv2d::conv2d(&x, &w, None)?;
        autograd::backward_with(&y, &dy)?;
        Ok(())
    };
    run()?;
    gpu.sync()?;
    gpu.set_profiling(true)?;
    let t0 = std::time::Instant::now();
    run()?;
    let rows = gpu.take_profile()?;
    let wall = t0.elapsed().as_secs_f64() * 1e3;
    let total: f64 = rows.iter().map(|r| r.1).sum();
    for (op, ms, n) in &rows {
        println!("{op:<60} {ms:>9.2} ms {n:>4}");
    }
    println!("kernels {total:.1} ms, wall {wall:.1} ms; 3 x 2.72 GFLOP -> {:.1} GFLOP/s over kernel time", 3.0 * FLOPS / total / 1e6);
    Ok(())
}
