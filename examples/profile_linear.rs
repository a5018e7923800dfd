//! Per-kernel GPU time of SwinIR's qkv linear (9216 x 180 -> 540) forward and backward
//! (`cargo run --release --example profile_linear`).
use sralign::ops::matmul::MatmulKernel::Auto;
use sralign::{ops, Gpu, Tensor};

fn main() -> sralign::Result<()> {
    let gpu = Gpu::new()?;
    let (m, fin, fout) = (9216, 180, 540);
    let x = Tensor::full(&gpu, &[m, fin], 0.5)?;
    let w = Tensor::full(&gpu, &[fout, fin], 0.01)?;
    let b = Tensor::full(&gpu, &[fout], 0.1)?;
    let dy = Tensor::full(&gpu, &[m, fout], 1.0)?;
    let flops = 2.0 * (m * fin * fout) as f64;
    let a = Tensor::full(&gpu, &[1024, 1024], 0.5)?;
    let bm = Tensor::full(&gpu, &[1024, 1024], 0.25)?;
    type Case<'a> = (&'a str, Box<dyn Fn() -> sralign::Result<()> + 'a>);
    let cases: Vec<Case> = vec![
        (
            "matmul 1024^3 (2.15 GFLOP; divide)",
            Box::new(|| ops::matmul::matmul_forward(&a, &bm, Auto).map(drop)),
        ),
        (
            "forward",
            Box::new(|| ops::matmul::linear_forward(&x, &w, Some(&b), Auto).map(drop)),
        ),
        (
            "dx",
            Box::new(|| ops::matmul::linear_backward_input(&dy, &w, Auto).map(drop)),
        ),
        (
            "dW",
            Box::new(|| ops::matmul::linear_backward_weight(&dy, &x, Auto).map(drop)),
        ),
        (
            "db",
            Box::new(|| ops::matmul::linear_backward_bias(&dy).map(drop)),
        ),
        (
            "dx+dW+db as linear's backward runs them",
            Box::new(|| ops::matmul::linear_backward(&dy, &x, &w, [true; 3], Auto).map(drop)),
        ),
    ];
    for (name, f) in &cases {
        f()?;
        gpu.sync()?;
        gpu.set_profiling(true)?;
        let t0 = std::time::Instant::now();
        f()?;
        let rows = gpu.take_profile()?;
        gpu.set_profiling(false)?;
        let wall = t0.elapsed().as_secs_f64() * 1e3;
        let total: f64 = rows.iter().map(|r| r.1).sum();
        println!(
            "{name}: kernels {total:.1} ms, wall {wall:.1} ms, {:.1} GFLOP/s over kernel time",
            flops / total / 1e6
        );
        for (op, ms, n) in &rows {
            println!("   {op:<58} {ms:>8.2} ms {n:>4}");
        }
    }
    Ok(())
}
