//! Regulariser statistics and resampling kernels: covariance and RFF (D = 128) of the paper's
//! 8 x 64 x 128 x 128 HR features (forward, backward), pixel shuffle and bilinear x4.
//! GFLOP/s counts the nominal products (covariance: 2 N C^2 HW, although the kernel computes only
//! the upper 32x32 tiles); GB/s counts one read of the input and one write of the output.

use super::{time_ms, BenchOptions, Measurement};
use crate::error::Result;
use crate::gpu::Gpu;
use crate::ops::{covariance, pixel_shuffle, rff, upsample};
use crate::tensor::Tensor;

pub fn cases(gpu: &Gpu, opts: &BenchOptions) -> Result<Vec<Measurement>> {
    let mut out = Vec::new();
    let (n, c, h, w, d) = if opts.quick {
        (2, 64, 64, 64, 128)
    } else {
        (8, 64, 128, 128, 128)
    };
    let hw = (h * w) as f64;
    let shape = format!("{n}x{c}x{h}x{w}");
    let mut case = |name: &str,
                    shape: &str,
                    flops: Option<f64>,
                    bytes: Option<f64>,
                    f: &mut dyn FnMut() -> Result<()>|
     -> Result<()> {
        if opts.wants(name) {
            let ms = time_ms(gpu, opts.iters, f)?;
            out.push(Measurement {
                name: name.into(),
                shape: shape.into(),
                ms,
                flops,
                bytes,
            });
        }
        Ok(())
    };

    let wants_any = |names: &[&str]| names.iter().any(|k| opts.wants(k));
    if wants_any(&[
        "covariance_forward",
        "covariance_backward_x",
        "rff_forward (Subgroup)",
        "rff_backward (x, w, b)",
    ]) {
        let x = Tensor::full(gpu, &[n, c, h, w], 0.5)?;
        let cov_flops = 2.0 * (n * c * c) as f64 * hw;
        let (_, mean) = covariance::covariance_forward(&x)?;
        let dcov = Tensor::full(gpu, &[n, c, c], 1e-3)?;
        case(
            "covariance_forward",
            &shape,
            Some(cov_flops),
            None,
            &mut || covariance::covariance_forward(&x).map(drop),
        )?;
        case(
            "covariance_backward_x",
            &shape,
            Some(cov_flops),
            None,
            &mut || covariance::covariance_backward_x(&dcov, &x, &mean).map(drop),
        )?;

        let wt = Tensor::full(gpu, &[d, c], 0.01)?;
        let b = Tensor::full(gpu, &[d], 0.3)?;
        let rff_flops = 2.0 * (n * d * c) as f64 * hw;
        let rshape = format!("{shape} D={d}");
        for k in [rff::RffKernel::Scalar, rff::RffKernel::Subgroup] {
            if rff::rff_forward_with(&x, &wt, &b, k).is_err() {
                continue;
            }
            let name = format!("rff_forward ({k:?})");
            case(&name, &rshape, Some(rff_flops), None, &mut || {
                rff::rff_forward_with(&x, &wt, &b, k).map(drop)
            })?;
        }
        let (_, nsin) = rff::rff_forward(&x, &wt, &b)?;
        let dout = Tensor::full(gpu, nsin.shape(), 1e-3)?;
        case(
            "rff_backward (x, w, b)",
            &rshape,
            Some(2.0 * rff_flops),
            None,
            &mut || {
                let dz = rff::rff_backward_z(&dout, &nsin)?;
                rff::rff_backward_x(&dz, &wt, x.shape())?;
                rff::rff_backward_w(&dz, &x)?;
                rff::rff_backward_b(&dz).map(drop)
            },
        )?;
    }

    if wants_any(&["pixel_shuffle_forward", "pixel_shuffle_backward_x"]) {
        let (ph, pw) = if opts.quick { (32, 32) } else { (64, 64) };
        let xs = Tensor::full(gpu, &[n, 256, ph, pw], 0.5)?;
        let bytes = 2.0 * xs.bytes() as f64;
        let ps = format!("{n}x256x{ph}x{pw} r=2");
        case("pixel_shuffle_forward", &ps, None, Some(bytes), &mut || {
            pixel_shuffle::pixel_shuffle_forward(&xs, 2).map(drop)
        })?;
        let dy = Tensor::full(gpu, &[n, 64, 2 * ph, 2 * pw], 0.5)?;
        case(
            "pixel_shuffle_backward_x",
            &ps,
            None,
            Some(bytes),
            &mut || pixel_shuffle::pixel_shuffle_backward_x(&dy, 2).map(drop),
        )?;
    }

    if wants_any(&["bilinear4x_forward", "bilinear4x_backward_x"]) {
        let (lh, lw) = (h / 4, w / 4);
        let lr = Tensor::full(gpu, &[n, 3, lh, lw], 0.5)?;
        let bytes = 17.0 * lr.bytes() as f64;
        let bs = format!("{n}x3x{lh}x{lw}");
        case("bilinear4x_forward", &bs, None, Some(bytes), &mut || {
            upsample::bilinear4x_forward(&lr).map(drop)
        })?;
        let dy = Tensor::full(gpu, &[n, 3, h, w], 0.5)?;
        case("bilinear4x_backward_x", &bs, None, Some(bytes), &mut || {
            upsample::bilinear4x_backward_x(&dy).map(drop)
        })?;
    }
    Ok(out)
}
