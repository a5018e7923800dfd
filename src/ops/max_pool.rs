//! Max-pooling over k x k windows at stride s, no padding, floor mode (PyTorch's
//! `MaxPool2d(k, s)`, flax's `max_pool(..., padding='VALID')`): x [N, C, H, W] ->
//! [N, C, (H - k) / s + 1, (W - k) / s + 1]. AlexNet pools 3x3 at stride 2, VGG 2x2 at stride 2.
//! Kernels: shaders/max_pool_forward.wgsl, and max_pool_backward.wgsl, a gather that sends each
//! window's gradient to its first maximum in row-major order (PyTorch's choice on ties).
//! Whole tensors are bound: one over a storage binding is a typed limit error.

use crate::autograd;
use crate::error::{shape_err, Error, Result};
use crate::gpu::params::{entry, KernelParams, MaxPoolForwardParams};
use crate::gpu::{shaders, Launch, Shader};
use crate::tensor::{grid_for, Tensor};

/// Output height and width; an error unless k >= 1, s >= 1 and the window fits.
pub fn pool_dims(op: &str, shape: &[usize], k: usize, stride: usize) -> Result<(usize, usize)> {
    let &[_, _, h, w] = shape else {
        return Err(shape_err(op, &[shape], "expected a 4-D NCHW tensor"));
    };
    if k == 0 || stride == 0 {
        return Err(Error::Unsupported {
            op: op.into(),
            detail: format!("window {k}, stride {stride}"),
        });
    }
    if h < k || w < k {
        return Err(shape_err(
            op,
            &[shape],
            format!("the {k}x{k} window is larger than the {h}x{w} input"),
        ));
    }
    Ok(((h - k) / stride + 1, (w - k) / stride + 1))
}

fn launch(
    op: &str,
    shader: &'static Shader,
    entry: &'static str,
    out_shape: &[usize],
    ins: &[&Tensor],
    [h, w, ho, wo, k, stride]: [usize; 6],
) -> Result<Tensor> {
    let gpu = ins[0].gpu();
    let out = Tensor::empty(gpu, op, out_shape)?;
    let total = out.numel();
    if ins.iter().any(|t| t.numel() > u32::MAX as usize) {
        return Err(Error::Limit {
            op: op.into(),
            shapes: format!("{out_shape:?}"),
            detail: "more than 2^32 elements".into(),
        });
    }
    let u = |v: usize| v as u32;
    let params = MaxPoolForwardParams {
        h: u(h),
        w: u(w),
        ho: u(ho),
        wo: u(wo),
        k: u(k),
        stride: u(stride),
        total: u(total),
        unused: 0,
    };
    let shapes: Vec<&[usize]> = ins.iter().map(|t| t.shape()).collect();
    let mut binds = vec![out.bind()];
    binds.extend(ins.iter().map(|t| t.bind()));
    gpu.launch(Launch {
        op,
        shapes: &shapes,
        shader,
        entry,
        overrides: &[],
        params: params.words(),
        binds: &binds,
        workgroups: grid_for(gpu, total, 64),
    })?;
    Ok(out)
}

pub fn max_pool_forward(x: &Tensor, k: usize, stride: usize) -> Result<Tensor> {
    let op = "max_pool_forward";
    let [n, c, h, w] = x.dims4(op)?;
    let (ho, wo) = pool_dims(op, x.shape(), k, stride)?;
    launch(
        op,
        &shaders::MAX_POOL_FORWARD,
        entry::MAX_POOL_FORWARD,
        &[n, c, ho, wo],
        &[x],
        [h, w, ho, wo, k, stride],
    )
}

/// dx from dout and the forward's input x.
pub fn max_pool_backward_x(dout: &Tensor, x: &Tensor, k: usize, stride: usize) -> Result<Tensor> {
    let op = "max_pool_backward_x";
    let [n, c, h, w] = x.dims4(op)?;
    let (ho, wo) = pool_dims(op, x.shape(), k, stride)?;
    if dout.shape() != [n, c, ho, wo] {
        return Err(shape_err(
            op,
            &[dout.shape(), x.shape()],
            format!("dout must be [{n}, {c}, {ho}, {wo}]"),
        ));
    }
    launch(
        op,
        &shaders::MAX_POOL_BACKWARD,
        entry::MAX_POOL_BACKWARD,
        x.shape(),
        &[dout, x],
        [h, w, ho, wo, k, stride],
    )
}

/// Differentiable max-pooling (k x k, stride s, no padding, floor mode).
pub fn max_pool2d(x: &Tensor, k: usize, stride: usize) -> Result<Tensor> {
    let out = max_pool_forward(x, k, stride)?;
    let sx = x.detach();
    autograd::record("max_pool2d", &[x], &out, move |dout, _| {
        Ok(vec![Some(max_pool_backward_x(dout, &sx, k, stride)?)])
    });
    Ok(out)
}

/// f64 CPU reference.
pub mod reference {
    /// x [N, C, H, W] -> the pooled values, first maxima kept on ties.
    pub fn max_pool(x: &[f64], [n, c, h, w]: [usize; 4], k: usize, stride: usize) -> Vec<f64> {
        let (ho, wo) = ((h - k) / stride + 1, (w - k) / stride + 1);
        let mut y = Vec::with_capacity(n * c * ho * wo);
        for r in 0..n * c {
            for oy in 0..ho {
                for ox in 0..wo {
                    let mut m = f64::NEG_INFINITY;
                    for ky in 0..k {
                        for kx in 0..k {
                            m = m.max(x[(r * h + oy * stride + ky) * w + ox * stride + kx]);
                        }
                    }
                    y.push(m);
                }
            }
        }
        y
    }
}
