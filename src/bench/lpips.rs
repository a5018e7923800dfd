//! The kernels LPIPS adds, at AlexNet's shapes on a 512x512 image (quick: 128x128): the
//! general convolution (conv1, 11x11 stride 4 pad 2, forward and both gradients), max-pooling
//! (3x3 stride 2) and channel normalisation. Case names start with `lpips/`.
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{time_ms, BenchOptions, Measurement};
use crate::error::Result;
use crate::gpu::Gpu;
use crate::ops::{channel_norm, conv2d_general as cg, max_pool};
use crate::tensor::Tensor;

fn random(gpu: &Gpu, shape: &[usize], seed: u64) -> Result<Tensor> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect();
    Tensor::from_slice(gpu, shape, &v)
}

fn dims(shape: &[usize]) -> String {
    shape
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("x")
}

pub fn cases(gpu: &Gpu, opts: &BenchOptions) -> Result<Vec<Measurement>> {
    let size = if opts.quick { 128 } else { 512 };
    let mut out = Vec::new();
    let mut case = |name: &str,
                    shape: String,
                    flops: Option<f64>,
                    bytes: Option<f64>,
                    f: &mut dyn FnMut() -> Result<()>| {
        if !opts.wants(name) {
            return Ok::<(), crate::Error>(());
        }
        let ms = time_ms(gpu, opts.iters, f)?;
        out.push(Measurement {
            name: name.into(),
            shape,
            ms,
            flops,
            bytes,
        });
        Ok(())
    };

    let xs = [1, 3, size, size];
    let x = random(gpu, &xs, 1)?;
    let w = random(gpu, &[64, 3, 11, 11], 2)?;
    let b = random(gpu, &[64], 3)?;
    let d = cg::general_dims("bench", &xs, w.shape(), None, 4, 2)?;
    let dout = random(gpu, &[1, 64, d.ho, d.wo], 4)?;
    let shape = format!("{} k11 s4 p2 -> 64", dims(&xs));
    let f = Some(d.flops());
    case(
        "lpips/conv11x11s4 forward",
        shape.clone(),
        f,
        None,
        &mut || cg::conv2d_general_forward(&x, &w, Some(&b), 4, 2).map(drop),
    )?;
    case(
        "lpips/conv11x11s4 grad-input",
        shape.clone(),
        f,
        None,
        &mut || cg::conv2d_general_backward_input(&dout, &w, &d).map(drop),
    )?;
    case("lpips/conv11x11s4 grad-weight", shape, f, None, &mut || {
        cg::conv2d_general_backward_weight(&x, &dout, &d).map(drop)
    })?;

    let ps = [1, 64, d.ho, d.wo];
    let p = random(gpu, &ps, 5)?;
    let (ho, wo) = max_pool::pool_dims("bench", &ps, 3, 2)?;
    let pd = random(gpu, &[1, 64, ho, wo], 6)?;
    let n_in = p.numel() as f64;
    let n_out = (64 * ho * wo) as f64;
    case(
        "lpips/max_pool3x3s2 forward",
        dims(&ps),
        None,
        Some(4.0 * (n_in + n_out)),
        &mut || max_pool::max_pool_forward(&p, 3, 2).map(drop),
    )?;
    case(
        "lpips/max_pool3x3s2 backward",
        dims(&ps),
        None,
        Some(4.0 * (2.0 * n_in + n_out)),
        &mut || max_pool::max_pool_backward_x(&pd, &p, 3, 2).map(drop),
    )?;
    case(
        "lpips/channel_norm forward",
        dims(&ps),
        None,
        Some(4.0 * 3.0 * n_in),
        &mut || channel_norm::channel_norm_forward(&p, 1e-10).map(drop),
    )?;
    case(
        "lpips/channel_norm backward",
        dims(&ps),
        None,
        Some(4.0 * 5.0 * n_in),
        &mut || channel_norm::channel_norm_backward_x(&p, &p, 1e-10).map(drop),
    )?;
    Ok(out)
}
