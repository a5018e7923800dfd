//! Elementwise ops, losses, reductions and the optimiser step: memory-bound kernels, reported
//! in GB/s (bytes = reads + writes of the operands). Case names start with `elem/`.
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{time_ms, BenchOptions, Measurement};
use crate::autograd;
use crate::error::Result;
use crate::gpu::Gpu;
use crate::ops::{activation, binary, loss, optim, reduce};
use crate::tensor::Tensor;

fn random(gpu: &Gpu, shape: &[usize], seed: u64) -> Result<Tensor> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect();
    Tensor::from_slice(gpu, shape, &v)
}

pub fn cases(gpu: &Gpu, opts: &BenchOptions) -> Result<Vec<Measurement>> {
    let shape: &[usize] = if opts.quick {
        &[2, 64, 48, 48]
    } else {
        &[16, 64, 48, 48]
    };
    let sname = shape
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("x");
    let n = shape.iter().product::<usize>() as f64;
    let mut out = Vec::new();
    let a = random(gpu, shape, 1)?;
    let b = random(gpu, shape, 2)?;
    {
        let mut case = |name: &str, bytes_per_elem: f64, f: &mut dyn FnMut() -> Result<()>| {
            if !opts.wants(name) {
                return Ok::<(), crate::Error>(());
            }
            let ms = time_ms(gpu, opts.iters, f)?;
            out.push(Measurement {
                name: name.into(),
                shape: sname.clone(),
                ms,
                flops: None,
                bytes: Some(bytes_per_elem * 4.0 * n),
            });
            Ok(())
        };
        case("elem/add_forward", 3.0, &mut || {
            binary::add_forward(&a, &b).map(drop)
        })?;
        case("elem/leaky_relu_forward", 2.0, &mut || {
            activation::leaky_relu_forward(&a, 0.1).map(drop)
        })?;
        case("elem/leaky_relu_backward_input", 3.0, &mut || {
            activation::leaky_relu_backward_input(&a, &b, 0.1).map(drop)
        })?;
        case("elem/gelu_forward", 2.0, &mut || {
            activation::gelu_forward(&a).map(drop)
        })?;
        case("elem/gelu_backward_input", 3.0, &mut || {
            activation::gelu_backward_input(&a, &b).map(drop)
        })?;
        case("elem/l1_forward", 2.0, &mut || {
            loss::loss_forward(loss::Loss::L1, &a, &b).map(drop)
        })?;
        // forward (reads 2) + backward for pred (reads 2, writes 1)
        case("elem/l1_forward+backward_pred", 5.0, &mut || {
            let l = loss::loss_forward(loss::Loss::L1, &a, &b)?;
            loss::loss_backward_pred(loss::Loss::L1, &a, &b, &l).map(drop)
        })?;
        case("elem/sum_forward", 1.0, &mut || {
            reduce::sum_forward(&a).map(drop)
        })?;
    }

    // Adam over 1.5M parameters in 16 tensors (MSRResNet-sized): reads w, g, m, v; writes w, m, v.
    let name = "elem/adam_step";
    if opts.wants(name) {
        let pshape = [163usize, 64, 3, 3];
        let count = if opts.quick { 4 } else { 16 };
        let mut params = Vec::new();
        let mut total = None;
        // Gradients through the tape: d/dp sum(p * c) = c.
        for i in 0..count {
            let p = random(gpu, &pshape, 10 + i as u64)?;
            p.set_requires_grad(true);
            let c = random(gpu, &pshape, 100 + i as u64)?;
            let l = reduce::sum(&binary::mul(&p, &c)?)?;
            total = Some(match total {
                Some(t) => binary::add(&t, &l)?,
                None => l,
            });
            params.push(p);
        }
        let grads = autograd::backward(&total.unwrap())?;
        let mut adam = optim::Adam::new(2e-4, 0.9, 0.99);
        let ms = time_ms(gpu, opts.iters, || adam.step(&params, &grads))?;
        let np = (count * pshape.iter().product::<usize>()) as f64;
        out.push(Measurement {
            name: name.into(),
            shape: format!("{count} x [163,64,3,3] = {:.2}M", np / 1e6),
            ms,
            flops: None,
            bytes: Some(7.0 * 4.0 * np),
        });
    }
    Ok(out)
}
