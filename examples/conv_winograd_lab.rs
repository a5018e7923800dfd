//! Kernel lab: conv3x3 on the texture and Winograd variants, interleaved (texture, Winograd,
//! texture, ...) so that both see the same machine load; prints min and median per pass.
//! `cargo run --release --example conv_winograd_lab [rounds] [shape substring]`.
use std::time::Instant;

use sralign::ops::conv2d::{self, conv2d_dims, ConvImpl};
use sralign::{Gpu, Tensor};

fn time(gpu: &Gpu, f: &mut dyn FnMut() -> sralign::Result<()>) -> sralign::Result<f64> {
    let t0 = Instant::now();
    f()?;
    gpu.sync()?;
    Ok(t0.elapsed().as_secs_f64() * 1e3)
}

fn stats(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (v[0], v[v.len() / 2])
}

fn main() -> sralign::Result<()> {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(7);
    let only = std::env::args().nth(2).unwrap_or_default();
    let gpu = Gpu::new()?;
    let shapes: [([usize; 4], usize); 8] = [
        ([16, 64, 48, 48], 64),
        ([16, 16, 48, 48], 16),
        ([16, 3, 48, 48], 16),
        ([16, 16, 48, 48], 64),
        ([16, 16, 192, 192], 16),
        ([16, 32, 48, 48], 32),
        ([16, 64, 48, 48], 256),
        ([16, 32, 48, 48], 64),
    ];
    println!(
        "{:<24} {:<12} {:>22} {:>22} {:>7}",
        "shape", "pass", "texture min/med ms", "winograd min/med ms", "speedup"
    );
    for (x, cout) in shapes {
        let name = format!("{}x{}x{}x{}->{}", x[0], x[1], x[2], x[3], cout);
        if !name.contains(&only) {
            continue;
        }
        let ws = [cout, x[1], 3, 3];
        let d = conv2d_dims("lab", &x, &ws, None)?;
        let fill = |shape: &[usize], s: f32| -> sralign::Result<Tensor> {
            let n: usize = shape.iter().product();
            let v: Vec<f32> = (0..n)
                .map(|i| ((i * 7919 % 1000) as f32 / 500.0 - 1.0) * s)
                .collect();
            Tensor::from_slice(&gpu, shape, &v)
        };
        let xt = fill(&x, 1.0)?;
        let wt = fill(&ws, 0.1)?;
        let bt = fill(&[cout], 0.1)?;
        let dt = fill(&[x[0], cout, x[2], x[3]], 1.0)?;
        for pass in ["forward", "grad-input", "grad-weight"] {
            let run = |imp: ConvImpl| -> sralign::Result<()> {
                match pass {
                    "forward" => conv2d::conv2d_forward_with(&xt, &wt, Some(&bt), imp).map(drop),
                    "grad-input" => conv2d::conv2d_backward_input_with(&dt, &wt, imp).map(drop),
                    _ => conv2d::conv2d_backward_weight_with(&xt, &dt, 3, imp).map(drop),
                }
            };
            if std::env::var_os("LAB_PROFILE").is_some() {
                // Per-kernel GPU time of one pass of each (timestamp queries).
                for imp in [ConvImpl::Texture, ConvImpl::Winograd] {
                    run(imp)?;
                    gpu.sync()?;
                    gpu.set_profiling(true)?;
                    run(imp)?;
                    for (op, ms, _) in gpu.take_profile()? {
                        println!("  {pass} {imp:?} {op:<50} {ms:>8.2} ms");
                    }
                    gpu.set_profiling(false)?;
                }
            }
            let (mut a, mut b) = (Vec::new(), Vec::new());
            time(&gpu, &mut || run(ConvImpl::Texture))?;
            time(&gpu, &mut || run(ConvImpl::Winograd))?;
            for _ in 0..rounds {
                a.push(time(&gpu, &mut || run(ConvImpl::Texture))?);
                b.push(time(&gpu, &mut || run(ConvImpl::Winograd))?);
            }
            let ((amin, amed), (bmin, bmed)) = (stats(a), stats(b));
            println!(
                "{:<24} {:<12} {:>10.1} /{:>9.1} {:>10.1} /{:>9.1} {:>6.2}x  ({:.1} vs {:.1} GFLOP/s at min)",
                name,
                pass,
                amin,
                amed,
                bmin,
                bmed,
                amin / bmin,
                d.flops() / amin / 1e6,
                d.flops() / bmin / 1e6
            );
        }
    }
    Ok(())
}
