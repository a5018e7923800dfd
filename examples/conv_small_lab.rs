//! Kernel lab: the weight and bias gradients of the tiny SRResNet's 3x3 convs (16 features,
//! batch 16, LR 48x48), texture variant against `Small` (conv2d_backward_weight_small.wgsl),
//! run alternately in one process so both see the same machine load; prints min and median.
//! Each timed backward is the one training runs: dout packed, x packed, dw and db (x needs no
//! gradient, as for conv_first; the other layers add the same grad-input to both variants).
//! With `LAB_ALL` set it also times forward and grad-input per layer (the same kernels in
//! both variants), to show which layers and passes cost most.
//! With `LAB_PROFILE` set it prints each kernel's GPU time for one run of each.
//! `cargo run --release --example conv_small_lab [rounds] [shape substring]`.
use std::time::Instant;

use sralign::ops::conv2d::{self, conv2d_dims, ConvImpl};
use sralign::{autograd, Gpu, Tensor};

fn time(gpu: &Gpu, f: &mut dyn FnMut() -> sralign::Result<()>) -> sralign::Result<f64> {
    gpu.sync()?;
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
    let all = std::env::var_os("LAB_ALL").is_some();
    let gpu = Gpu::new()?;
    // conv_first, body, upconv1, upconv2, conv_hr, conv_last.
    let shapes: [([usize; 4], usize); 6] = [
        ([16, 3, 48, 48], 16),
        ([16, 16, 48, 48], 16),
        ([16, 16, 48, 48], 64),
        ([16, 16, 96, 96], 64),
        ([16, 16, 192, 192], 16),
        ([16, 16, 192, 192], 3),
    ];
    println!(
        "{:<22} {:<12} {:>20} {:>20} {:>7}  GFLOP/s (median)",
        "shape", "pass", "texture min/med ms", "small min/med ms", "speedup"
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
        let mut passes = vec!["dw+db"];
        if all {
            passes.extend(["forward", "grad-input"]);
        }
        for pass in passes {
            let run = |imp: ConvImpl| -> sralign::Result<f64> {
                match pass {
                    "forward" => time(&gpu, &mut || {
                        conv2d::conv2d_forward_with(&xt, &wt, Some(&bt), imp).map(drop)
                    }),
                    "grad-input" => time(&gpu, &mut || {
                        conv2d::conv2d_backward_input_with(&dt, &wt, imp).map(drop)
                    }),
                    _ => {
                        let (w, b) = (wt.detach(), bt.detach());
                        w.set_requires_grad(true);
                        b.set_requires_grad(true);
                        let y = conv2d::conv2d_with(&xt, &w, Some(&b), imp)?;
                        time(&gpu, &mut || autograd::backward_with(&y, &dt).map(drop))
                    }
                }
            };
            if std::env::var_os("LAB_PROFILE").is_some() {
                // Per-kernel GPU time of one pass of each (timestamp queries).
                for imp in [ConvImpl::Texture, ConvImpl::Small] {
                    run(imp)?;
                    gpu.set_profiling(true)?;
                    run(imp)?;
                    for (op, ms, _) in gpu.take_profile()? {
                        println!("  {pass} {imp:?} {op:<50} {ms:>8.2} ms");
                    }
                    gpu.set_profiling(false)?;
                }
            }
            let (mut a, mut b) = (Vec::new(), Vec::new());
            run(ConvImpl::Texture)?;
            run(ConvImpl::Small)?;
            for _ in 0..rounds {
                a.push(run(ConvImpl::Texture)?);
                b.push(run(ConvImpl::Small)?);
            }
            let ((amin, amed), (bmin, bmed)) = (stats(a), stats(b));
            println!(
                "{:<22} {:<12} {:>9.1} /{:>9.1} {:>9.1} /{:>9.1} {:>6.2}x  {:.1} vs {:.1}",
                name,
                pass,
                amin,
                amed,
                bmin,
                bmed,
                amed / bmed,
                d.flops() / amed / 1e6,
                d.flops() / bmed / 1e6
            );
        }
    }
    Ok(())
}
