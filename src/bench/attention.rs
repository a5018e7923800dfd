//! Transformer kernels at SwinIR's shapes: matmul 1024^3 (forward and backward, both kernel
//! variants), linear 4*48*48 x 180 -> 540 (qkv), layernorm, window partition and window
//! attention (dim 180, 6 heads, window 8) on 4 x 180 x 48 x 48. `quick` shrinks every shape.
use super::{time_ms, BenchOptions, Measurement};
use crate::error::Result;
use crate::gpu::Gpu;
use crate::ops::matmul::{self, MatmulKernel};
use crate::tensor::Tensor;

fn random(gpu: &Gpu, shape: &[usize], seed: u32) -> Result<Tensor> {
    let n: usize = shape.iter().product();
    let mut s = seed.wrapping_mul(2654435761).wrapping_add(1);
    let v: Vec<f32> = (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s as f32 / u32::MAX as f32) - 0.5
        })
        .collect();
    Tensor::from_slice(gpu, shape, &v)
}

fn row(name: &str, shape: String, ms: f64, flops: Option<f64>, bytes: Option<f64>) -> Measurement {
    Measurement {
        name: name.into(),
        shape,
        ms,
        flops,
        bytes,
    }
}

pub fn cases(gpu: &Gpu, opts: &BenchOptions) -> Result<Vec<Measurement>> {
    let mut out = Vec::new();
    let it = opts.iters;

    // matmul n^3, both kernels.
    let n = if opts.quick { 256 } else { 1024 };
    let a = random(gpu, &[n, n], 1)?;
    let b = random(gpu, &[n, n], 2)?;
    let flops = 2.0 * (n * n * n) as f64;
    for (kern, tag) in [
        (MatmulKernel::Auto, "auto"),
        (MatmulKernel::Buffer, "buffer"),
    ] {
        let name = format!("matmul_forward[{tag}]");
        if opts.wants(&name) {
            let prev = matmul::set_kernel(kern);
            let ms = time_ms(gpu, it, || matmul::matmul_forward(&a, &b).map(drop));
            matmul::set_kernel(prev);
            out.push(row(&name, format!("{n}x{n}x{n}"), ms?, Some(flops), None));
        }
    }
    let name = "matmul_backward[auto]";
    if opts.wants(name) {
        let ms = time_ms(gpu, it, || {
            matmul::matmul_backward_a(&a, &b)?;
            matmul::matmul_backward_b(&a, &b).map(drop)
        })?;
        out.push(row(name, format!("{n}x{n}x{n} dA+dB"), ms, Some(2.0 * flops), None));
    }
    drop((a, b));

    // linear at SwinIR's qkv shape.
    let (m, fin, fout) = if opts.quick {
        (4 * 16 * 16, 60, 180)
    } else {
        (4 * 48 * 48, 180, 540)
    };
    let lshape = format!("{m}x{fin}->{fout}");
    let x = random(gpu, &[m, fin], 3)?;
    let w = random(gpu, &[fout, fin], 4)?;
    let bias = random(gpu, &[fout], 5)?;
    let lflops = 2.0 * (m * fin * fout) as f64;
    if opts.wants("linear_forward") {
        let ms = time_ms(gpu, it, || {
            matmul::linear_forward(&x, &w, Some(&bias)).map(drop)
        })?;
        out.push(row("linear_forward", lshape.clone(), ms, Some(lflops), None));
    }
    if opts.wants("linear_backward") {
        let dy = random(gpu, &[m, fout], 6)?;
        let ms = time_ms(gpu, it, || {
            matmul::linear_backward_input(&dy, &w)?;
            matmul::linear_backward_weight(&dy, &x)?;
            matmul::linear_backward_bias(&dy).map(drop)
        })?;
        out.push(row(
            "linear_backward",
            format!("{lshape} dx+dW+db"),
            ms,
            Some(2.0 * lflops),
            None,
        ));
    }
    Ok(out)
}
