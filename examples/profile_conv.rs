//! Per-kernel GPU time of one conv3x3 forward + backward, by default 64->64 on 16x64x48x48
//! (`cargo run --release --example profile_conv [-- N CIN COUT SIDE [texture|winograd|small]]`,
//! e.g. `-- 4 128 32 48` for one of RRDBNet's dense convs).
use sralign::ops::conv2d::ConvImpl;
use sralign::{autograd, ops, Gpu, Tensor};

fn main() -> sralign::Result<()> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, d: usize| a.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let (n, cin, cout, side) = (num(0, 16), num(1, 64), num(2, 64), num(3, 48));
    let imp = match a.get(4).map(String::as_str) {
        Some("texture") => ConvImpl::Texture,
        Some("winograd") => ConvImpl::Winograd,
        Some("small") => ConvImpl::Small,
        _ => ConvImpl::Auto,
    };
    // 2 N Cout Cin k^2 H W for one pass.
    let flops = 2.0 * (n * cout * cin * 9 * side * side) as f64;
    let gpu = Gpu::new()?;
    let x = Tensor::full(&gpu, &[n, cin, side, side], 0.5)?;
    let w = Tensor::full(&gpu, &[cout, cin, 3, 3], 0.01)?;
    x.set_requires_grad(true);
    w.set_requires_grad(true);
    let dy = Tensor::full(&gpu, &[n, cout, side, side], 1.0)?;
    let run = || -> sralign::Result<()> {
        let y = ops::conv2d::conv2d_with(&x, &w, None, imp)?;
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
    println!(
        "{n}x{cin}->{cout} at {side}x{side} ({imp:?}): kernels {total:.1} ms, wall {wall:.1} ms; \
         3 x {:.2} GFLOP -> {:.1} GFLOP/s over kernel time",
        flops / 1e9,
        3.0 * flops / total / 1e6
    );
    Ok(())
}
