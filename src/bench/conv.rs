//! conv2d cases: conv3x3 64->64 on 16x64x48x48 (forward, each gradient, the three through the
//! tape with every layout conversion), 4x64x192x192 (over the 128 MiB binding limit: batch
//! chunks), 64->256 (the SRResNet upsampler); the texture and Winograd variants side by side
//! at 64->64 and at the tiny SRResNet's shapes (16 channels; 3->16 first layer; 16->64
//! upsampler conv; 16->16 at 4x the LR size), with `Small`'s weight gradient at the latter.
//! GFLOP/s = 2 N Cout Cin k^2 H W / time per pass (Winograd counted as direct convolution, so
//! its figures compare with the others').
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{time_ms, BenchOptions, Measurement};
use crate::autograd;
use crate::error::Result;
use crate::gpu::Gpu;
use crate::ops::conv2d::{self, conv2d_dims, ConvImpl};
use crate::tensor::Tensor;

fn random(gpu: &Gpu, shape: &[usize], rng: &mut ChaCha8Rng) -> Result<Tensor> {
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect();
    Tensor::from_slice(gpu, shape, &v)
}

/// One shape's cases; `which` picks among forward / input / weight / backward / all / buffer
/// and "variants" (forward, grad-input, grad-weight on the texture and Winograd kernels).
fn shape_cases(
    gpu: &Gpu,
    opts: &BenchOptions,
    x: [usize; 4],
    cout: usize,
    which: &[&str],
    out: &mut Vec<Measurement>,
) -> Result<()> {
    let k = 3;
    let ws = [cout, x[1], k, k];
    let d = conv2d_dims("bench", &x, &ws, None)?;
    let shape = format!("{}x{}x{}x{} -> {cout}", x[0], x[1], x[2], x[3]);
    let label = format!("conv3x3 {}->{cout}", x[1]);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let xt = random(gpu, &x, &mut rng)?;
    let wt = random(gpu, &ws, &mut rng)?;
    let bt = random(gpu, &[cout], &mut rng)?;
    let dt = random(gpu, &[x[0], cout, x[2], x[3]], &mut rng)?;
    let f = d.flops();
    let mut case = |name: String, flops: f64, run: &mut dyn FnMut() -> Result<()>| -> Result<()> {
        if opts.wants(&name) {
            let ms = time_ms(gpu, opts.iters, run)?;
            out.push(Measurement {
                name,
                shape: shape.clone(),
                ms,
                flops: (flops > 0.0).then_some(flops),
                bytes: None,
            });
        }
        Ok(())
    };
    for w in which {
        match *w {
            "forward" => case(format!("{label} forward"), f, &mut || {
                conv2d::conv2d_forward(&xt, &wt, Some(&bt)).map(drop)
            })?,
            "buffer" => case(format!("{label} forward (buffer variant)"), f, &mut || {
                conv2d::conv2d_forward_with(&xt, &wt, Some(&bt), ConvImpl::Buffer).map(drop)
            })?,
            "input" => case(format!("{label} grad-input"), f, &mut || {
                conv2d::conv2d_backward_input(&dt, &wt).map(drop)
            })?,
            "weight" => case(format!("{label} grad-weight"), f, &mut || {
                conv2d::conv2d_backward_weight(&xt, &dt, k).map(drop)
            })?,
            "backward" => case(
                format!("{label} grad-input + grad-weight"),
                2.0 * f,
                &mut || {
                    conv2d::conv2d_backward_input(&dt, &wt)?;
                    conv2d::conv2d_backward_weight(&xt, &dt, k).map(drop)
                },
            )?,
            "all" => case(format!("{label} fwd+bwd (tape)"), 3.0 * f, &mut || {
                let x = xt.detach();
                let w = wt.detach();
                x.set_requires_grad(true);
                w.set_requires_grad(true);
                let y = conv2d::conv2d(&x, &w, Some(&bt))?;
                autograd::backward_with(&y, &dt).map(drop)
            })?,
            // Both variants need subgroups of >= 8 lanes.
            "variants" if !gpu.subgroup_kernels_usable() => {}
            "variants" => {
                for (tag, imp) in [
                    ("texture", ConvImpl::Texture),
                    ("winograd", ConvImpl::Winograd),
                ] {
                    case(format!("{label} forward [{tag}]"), f, &mut || {
                        conv2d::conv2d_forward_with(&xt, &wt, Some(&bt), imp).map(drop)
                    })?;
                    case(format!("{label} grad-input [{tag}]"), f, &mut || {
                        conv2d::conv2d_backward_input_with(&dt, &wt, imp).map(drop)
                    })?;
                    case(format!("{label} grad-weight [{tag}]"), f, &mut || {
                        conv2d::conv2d_backward_weight_with(&xt, &dt, k, imp).map(drop)
                    })?;
                }
                // `Small` differs from `Texture` in the weight gradient only.
                if x[1] <= 16 {
                    case(format!("{label} grad-weight [small]"), f, &mut || {
                        conv2d::conv2d_backward_weight_with(&xt, &dt, k, ConvImpl::Small).map(drop)
                    })?;
                }
            }
            _ => unreachable!("unknown case"),
        }
    }
    Ok(())
}

pub fn cases(gpu: &Gpu, opts: &BenchOptions) -> Result<Vec<Measurement>> {
    let mut out = Vec::new();
    let (n, hw, big) = if opts.quick {
        (2, 24, 48)
    } else {
        (16, 48, 192)
    };
    shape_cases(
        gpu,
        opts,
        [n, 64, hw, hw],
        64,
        &["forward", "input", "weight", "all", "buffer", "variants"],
        &mut out,
    )?;
    shape_cases(gpu, opts, [4, 64, big, big], 64, &["forward"], &mut out)?;
    shape_cases(
        gpu,
        opts,
        [n, 64, hw, hw],
        256,
        &["forward", "backward"],
        &mut out,
    )?;
    // The tiny SRResNet (16 features, batch 16, LR 48x48, x4).
    for (c, cout, side) in [(16, 16, hw), (3, 16, hw), (16, 64, hw), (16, 16, 4 * hw)] {
        shape_cases(gpu, opts, [n, c, side, side], cout, &["variants"], &mut out)?;
    }
    Ok(out)
}
