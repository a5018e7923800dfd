//! Random Fourier features at every position: x [N, C, H, W], w [D, C], b [D] ->
//! [N, D, H, W] = sqrt(2/D) cos(W f + b) (the RFF branch of the alignment regulariser; W and
//! b are redrawn every step by the caller).
//!
//! Forward, also writing -sqrt(2/D) sin(z) for the backward: shaders/rff_forward_sg.wgsl where
//! H*W % 4 == 0 and the adapter has subgroups of >= 8 lanes (32 features x 8 positions per
//! lane, W padded by covariance::pad_matrix and shared by subgroupBroadcast, sin and cos from
//! one range reduction; 2-3x the scalar kernel on lavapipe), else
//! shaders/rff_forward.wgsl (4 x 4 per lane, any shape). Backward: dz = dout * that (binary mul);
//! dx = W^T dz (covariance::matrix_at_positions, which pads W^T once);
//! dW = sum over samples and positions of dz x^T (covariance::outer_sum, chunked partials + a
//! fixed-order second pass); db = row sums of dz over samples and positions (spatial_mean::row_sum).

use crate::autograd;
use crate::error::{shape_err, unsupported, Result};
use crate::gpu::params::{entry, KernelParams, RffForwardParams, RffForwardSgParams};
use crate::gpu::{shaders, Gpu};
use crate::ops::binary::mul_forward;
use crate::ops::covariance::{matrix_at_positions, outer_sum, pad_matrix, subgroups_usable};
use crate::ops::launch::{launch_split, widen, Split};
use crate::ops::spatial_mean::row_sum;
use crate::tensor::Tensor;

fn check(op: &str, x: &Tensor, w: &Tensor, b: &Tensor) -> Result<[usize; 4]> {
    let [n, c, h, wd] = x.dims4(op)?;
    match (w.shape(), b.shape()) {
        ([d, wc], [bd]) if *wc == c && *bd == *d => Ok([n, c, h * wd, *d]),
        _ => Err(shape_err(
            op,
            &[x.shape(), w.shape(), b.shape()],
            "expected x [N, C, H, W], w [D, C], b [D]",
        )),
    }
}

/// Which forward kernel runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RffKernel {
    /// Any shape: scalar loads, 4 features x 4 positions per lane.
    Scalar,
    /// HW a multiple of 4, subgroups of >= 8 lanes: vec4 loads of x, 32 features x 8 positions
    /// per lane, weights shared by `subgroupBroadcast`.
    Subgroup,
}

/// The fastest kernel that supports these sizes on this adapter.
pub fn rff_kernel_for(gpu: &Gpu, len: usize) -> RffKernel {
    if len.is_multiple_of(4) && subgroups_usable(gpu) {
        RffKernel::Subgroup
    } else {
        RffKernel::Scalar
    }
}

/// Forward: returns (out, -sqrt(2/D) sin(z)) with z = W x + b.
pub fn rff_forward(x: &Tensor, w: &Tensor, b: &Tensor) -> Result<(Tensor, Tensor)> {
    let [_, _, h, wd] = x.dims4("rff_forward")?;
    rff_forward_with(x, w, b, rff_kernel_for(x.gpu(), h * wd))
}

/// Forward with a chosen kernel (an error when it does not support the sizes or adapter).
pub fn rff_forward_with(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    kernel: RffKernel,
) -> Result<(Tensor, Tensor)> {
    let op = "rff_forward";
    let [n, c, len, d] = check(op, x, w, b)?;
    let gpu = x.gpu();
    if kernel != RffKernel::Scalar && len % 4 != 0 {
        return Err(unsupported(
            op,
            format!(
                "{kernel:?} kernel needs H*W a multiple of 4, x {:?}",
                x.shape()
            ),
        ));
    }
    if kernel == RffKernel::Subgroup && rff_kernel_for(gpu, len) != RffKernel::Subgroup {
        return Err(unsupported(
            op,
            "the adapter has no subgroups of >= 8 lanes",
        ));
    }
    let shape = [n, d, x.shape()[2], x.shape()[3]];
    let out = Tensor::empty(gpu, op, &shape)?;
    let nsin = Tensor::empty(gpu, op, &shape)?;
    let s = (2.0 / d as f64).sqrt() as f32;
    // The subgroup kernel reads W padded to 32-feature blocks and vec4s of channels.
    let (wt, dp, kp) = match kernel {
        RffKernel::Scalar => (w.clone(), d, c),
        RffKernel::Subgroup => pad_matrix(op, w, (0, c, 1), (1, d, c), false, 1.0)?,
    };
    let (shader, entry, workgroups) = match kernel {
        RffKernel::Scalar => (
            &shaders::RFF_FORWARD,
            entry::RFF_FORWARD,
            [len.div_ceil(4 * 64), d.div_ceil(4), n],
        ),
        RffKernel::Subgroup => (
            &shaders::RFF_FORWARD_SG,
            entry::RFF_FORWARD_SG,
            [len.div_ceil(4 * 16), dp / 32, n],
        ),
    };
    // Samples in pieces when a tensor exceeds one storage binding.
    launch_split(
        Split {
            op,
            shapes: &[x.shape(), w.shape(), b.shape()],
            shader,
            entry,
            overrides: &[],
            ts: &[&out, &nsin, x, &wt, b],
            units: n,
            span: &|s, g| {
                widen(&mut g[0], s * d * len, (s + 1) * d * len);
                widen(&mut g[1], s * d * len, (s + 1) * d * len);
                widen(&mut g[2], s * c * len, (s + 1) * c * len);
                widen(&mut g[3], 0, dp * kp);
                widen(&mut g[4], 0, d);
            },
        },
        |p| {
            let (d, c, len, u0) = (d as u32, c as u32, len as u32, p.u0 as u32);
            let (bo, bx) = (p.base[0] as u32, p.base[2] as u32);
            let params = match kernel {
                RffKernel::Subgroup => RffForwardSgParams {
                    d,
                    c,
                    len,
                    s,
                    u0,
                    bo,
                    bx,
                    kp4: (kp / 4) as u32,
                }
                .words()
                .to_vec(),
                RffKernel::Scalar => RffForwardParams {
                    d,
                    c,
                    len,
                    s,
                    u0,
                    bo,
                    bx,
                }
                .words()
                .to_vec(),
            };
            (
                params,
                [
                    workgroups[0] as u32,
                    workgroups[1] as u32,
                    (p.u1 - p.u0) as u32,
                ],
            )
        },
    )?;
    Ok((out, nsin))
}

/// dz = dout * (-sqrt(2/D) sin z): the gradient of the pre-activation.
pub fn rff_backward_z(dout: &Tensor, nsin: &Tensor) -> Result<Tensor> {
    mul_forward(dout, nsin)
}

/// dx[n, c, q] = sum_d w[d, c] dz[n, d, q].
pub fn rff_backward_x(dz: &Tensor, w: &Tensor, x_shape: &[usize]) -> Result<Tensor> {
    let op = "rff_backward_x";
    let ([n, d, h, wd], [_, c]) = (
        dz.dims4(op)?,
        w.shape()
            .try_into()
            .map_err(|_| shape_err(op, &[dz.shape(), w.shape()], "w must be [D, C]"))?,
    );
    matrix_at_positions(
        op,
        w,
        (0, 1, c),
        (false, 1.0),
        dz,
        None,
        (n, c, d, h * wd),
        x_shape,
    )
}

/// dw[d, c] = sum_{n, q} dz[n, d, q] x[n, c, q] (fixed-order reduction).
pub fn rff_backward_w(dz: &Tensor, x: &Tensor) -> Result<Tensor> {
    let op = "rff_backward_w";
    let ([n, d, h, w], [_, c, _, _]) = (dz.dims4(op)?, x.dims4(op)?);
    outer_sum(op, dz, x, None, (n, d, c, h * w), false, true, 1.0)
}

/// db[d] = sum_{n, q} dz[n, d, q] (fixed-order reduction).
pub fn rff_backward_b(dz: &Tensor) -> Result<Tensor> {
    let [n, d, h, w] = dz.dims4("rff_backward_b")?;
    row_sum("rff_backward_b", dz, d, n, h * w, 1.0, &[d])
}

/// Differentiable RFF projection: x [N, C, H, W], w [D, C], b [D] -> [N, D, H, W].
pub fn rff(x: &Tensor, w: &Tensor, b: &Tensor) -> Result<Tensor> {
    let (out, nsin) = rff_forward(x, w, b)?;
    let (sx, sw) = (x.detach(), w.detach());
    autograd::record("rff", &[x, w, b], &out, move |dout, needs| {
        let dz = rff_backward_z(dout, &nsin)?;
        let dx = if needs[0] {
            Some(rff_backward_x(&dz, &sw, sx.shape())?)
        } else {
            None
        };
        let dw = if needs[1] {
            Some(rff_backward_w(&dz, &sx)?)
        } else {
            None
        };
        let db = if needs[2] {
            Some(rff_backward_b(&dz)?)
        } else {
            None
        };
        Ok(vec![dx, dw, db])
    });
    Ok(out)
}

/// f64 CPU references.
pub mod reference {
    /// x [N, C, HW], w [D, C], b [D] flattened -> [N, D, HW].
    pub fn rff(x: &[f64], w: &[f64], b: &[f64], n: usize, c: usize, hw: usize) -> Vec<f64> {
        let d = b.len();
        let s = (2.0 / d as f64).sqrt();
        let mut out = vec![0.0; n * d * hw];
        for bn in 0..n {
            for k in 0..d {
                for q in 0..hw {
                    let z: f64 = (0..c)
                        .map(|ci| w[k * c + ci] * x[(bn * c + ci) * hw + q])
                        .sum::<f64>()
                        + b[k];
                    out[(bn * d + k) * hw + q] = s * z.cos();
                }
            }
        }
        out
    }
}
