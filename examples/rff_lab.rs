//! Kernel lab for the RFF forward at the bench's shape (x 8 x 64 x 128 x 128, D = 128): CPU
//! seconds of the process per call (steadier than wall time on a shared machine), and with
//! `LAB_PROFILE=1` each kernel's GPU time per call. `cargo run --release --example rff_lab [iters]`.
use sralign::ops::rff;
use sralign::{Gpu, Tensor};
use std::time::Instant;

fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ut: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    let st: f64 = f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    (ut + st) / 100.0
}

fn main() {
    let iters: usize = std::env::args()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let gpu = Gpu::new().unwrap();
    let (n, c, h, w, d) = (8, 64, 128, 128, 128);
    let x = Tensor::full(&gpu, &[n, c, h, w], 0.5).unwrap();
    let wt = Tensor::full(&gpu, &[d, c], 0.01).unwrap();
    let b = Tensor::full(&gpu, &[d], 0.3).unwrap();
    let flops = 2.0 * (n * d * c * h * w) as f64;
    let k = rff::RffKernel::Subgroup;
    drop(rff::rff_forward_with(&x, &wt, &b, k).unwrap());
    gpu.sync().unwrap();
    if std::env::var("LAB_PROFILE").is_ok() {
        gpu.set_profiling(true).unwrap();
        for _ in 0..iters {
            drop(rff::rff_forward_with(&x, &wt, &b, k).unwrap());
            gpu.sync().unwrap();
        }
        for (name, ms, calls) in gpu.take_profile().unwrap() {
            println!("{:>8.2} ms/call x{:>3}  {name}", ms / calls as f64, calls);
        }
        return;
    }
    let (c0, t0) = (cpu_seconds(), Instant::now());
    for _ in 0..iters {
        drop(rff::rff_forward_with(&x, &wt, &b, k).unwrap());
        gpu.sync().unwrap();
    }
    let cpu = (cpu_seconds() - c0) / iters as f64;
    let wall = t0.elapsed().as_secs_f64() / iters as f64;
    println!(
        "rff_forward {k:?}: cpu {:.1} ms ({:.1} GFLOP/s at 2 cores) wall {:.1} ms",
        cpu * 1e3,
        flops / (cpu / 2.0) / 1e9,
        wall * 1e3
    );
}
