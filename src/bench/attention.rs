//! Transformer kernels at SwinIR's shapes: matmul 1024^3 (forward and backward, both kernel
//! variants), linear 4*48*48 x 180 -> 540 (qkv), layernorm, window partition and window
//! attention (dim 180, 6 heads, window 8) on 4 x 180 x 48 x 48, its two implementations side
//! by side (`[products]`, and `[fused]` where the adapter runs it). `quick` shrinks every shape.
use super::{time_ms, BenchOptions, Measurement};
use crate::error::Result;
use crate::gpu::Gpu;
use crate::ops::attention::AttentionKernel;
use crate::ops::matmul::{self, MatmulKernel};
use crate::ops::{attention, layernorm, window};
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
            let ms = time_ms(gpu, it, || matmul::matmul_forward(&a, &b, kern).map(drop));
            out.push(row(&name, format!("{n}x{n}x{n}"), ms?, Some(flops), None));
        }
    }
    let name = "matmul_backward[auto]";
    if opts.wants(name) {
        let ms = time_ms(gpu, it, || {
            matmul::matmul_backward_a(&a, &b, MatmulKernel::Auto)?;
            matmul::matmul_backward_b(&a, &b, MatmulKernel::Auto).map(drop)
        })?;
        out.push(row(
            name,
            format!("{n}x{n}x{n} dA+dB"),
            ms,
            Some(2.0 * flops),
            None,
        ));
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
            matmul::linear_forward(&x, &w, Some(&bias), MatmulKernel::Auto).map(drop)
        })?;
        out.push(row(
            "linear_forward",
            lshape.clone(),
            ms,
            Some(lflops),
            None,
        ));
    }
    if opts.wants("linear_backward") {
        let dy = random(gpu, &[m, fout], 6)?;
        let ms = time_ms(gpu, it, || {
            matmul::linear_backward(&dy, &x, &w, [true; 3], MatmulKernel::Auto).map(drop)
        })?;
        out.push(row(
            "linear_backward",
            format!("{lshape} dx+dW+db"),
            ms,
            Some(2.0 * lflops),
            None,
        ));
    }
    drop((x, w, bias));

    // layernorm over the tokens of the map.
    let c = fin;
    let x = random(gpu, &[m, c], 7)?;
    let gamma = random(gpu, &[c], 8)?;
    let beta = random(gpu, &[c], 9)?;
    let nbytes = (m * c * 4) as f64;
    if opts.wants("layernorm_forward") {
        let ms = time_ms(gpu, it, || {
            layernorm::layernorm_forward(&x, &gamma, &beta, 1e-5).map(drop)
        })?;
        // reads x (twice in the kernel, counted once) and writes y.
        out.push(row(
            "layernorm_forward",
            format!("{m}x{c}"),
            ms,
            None,
            Some(2.0 * nbytes),
        ));
    }
    if opts.wants("layernorm_backward") {
        let (_, stats) = layernorm::layernorm_forward(&x, &gamma, &beta, 1e-5)?;
        let dy = random(gpu, &[m, c], 10)?;
        let ms = time_ms(gpu, it, || {
            layernorm::layernorm_backward_input(&dy, &x, &gamma, &stats)?;
            layernorm::layernorm_backward_params(&dy, &x, &stats).map(drop)
        })?;
        out.push(row(
            "layernorm_backward",
            format!("{m}x{c} dx+dgamma+dbeta"),
            ms,
            None,
            Some(5.0 * nbytes),
        ));
    }
    drop(x);

    // window partition / attention on N x C x H x W with window 8 (shift 4).
    let (nb, hw, heads, win, shift) = if opts.quick {
        (1, 16, 2, 8, 4)
    } else {
        (4, 48, 6, 8, 4)
    };
    let t = random(gpu, &[nb, hw * hw, c], 11)?;
    let wshape = format!("{nb}x{c}x{hw}x{hw} win {win} shift {shift}");
    if opts.wants("window_partition") {
        let ms = time_ms(gpu, it, || {
            window::window_partition_forward(&t, hw, hw, win, shift).map(drop)
        })?;
        out.push(row(
            "window_partition",
            wshape.clone(),
            ms,
            None,
            Some(2.0 * (t.numel() * 4) as f64),
        ));
    }
    let windows = nb * (hw / win) * (hw / win);
    let n = win * win;
    let qkv = random(gpu, &[windows, n, 3 * c], 12)?;
    let span = 2 * win - 1;
    let table = random(gpu, &[span * span, heads], 13)?;
    // q k^T and P v: 2 products of n x n x head_dim per window and head.
    let aflops = 2.0 * 2.0 * (windows * n * n * c) as f64;
    let ashape = format!("{nb}x{c}x{hw}x{hw} {heads} heads win {win}");
    // Both implementations side by side (the fused one only where it can run).
    let fused_ok = attention::fused_unsupported(&qkv, &table, heads, win, shift, hw, hw)?.is_none();
    for (kernel, tag) in [
        (AttentionKernel::Products(MatmulKernel::Auto), "products"),
        (AttentionKernel::Fused, "fused"),
    ] {
        if kernel == AttentionKernel::Fused && !fused_ok {
            continue;
        }
        let name = format!("window_attention_forward[{tag}]");
        if opts.wants(&name) {
            let ms = time_ms(gpu, it, || {
                attention::window_attention_forward(&qkv, &table, heads, win, shift, hw, hw, kernel)
                    .map(drop)
            })?;
            out.push(row(&name, ashape.clone(), ms, Some(aflops), None));
        }
        let name = format!("window_attention_backward[{tag}]");
        if opts.wants(&name) {
            let (_, saved) = attention::window_attention_forward(
                &qkv, &table, heads, win, shift, hw, hw, kernel,
            )?;
            let dout = random(gpu, &[windows, n, c], 14)?;
            let ms = time_ms(gpu, it, || {
                attention::window_attention_backward(
                    &dout, &qkv, &table, &saved, heads, win, shift, hw, hw,
                )
                .map(drop)
            })?;
            // dP, dq, dk, dv: four products of the forward's size.
            out.push(row(&name, ashape.clone(), ms, Some(2.0 * aflops), None));
        }
    }
    Ok(out)
}
