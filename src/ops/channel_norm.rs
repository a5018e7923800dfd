//! Unit-normalisation over channels: y[n, :, p] = x[n, :, p] / (||x[n, :, p]||_2 + eps) for
//! x [N, C, H, W] (LPIPS normalises every feature map this way, eps 1e-10).
//! Kernels: shaders/channel_norm_forward.wgsl and channel_norm_backward.wgsl, one position per
//! lane. Whole tensors are bound: one over a storage binding is a typed limit error.

use crate::autograd;
use crate::error::{shape_err, Error, Result};
use crate::gpu::params::{entry, ChannelNormForwardParams, KernelParams};
use crate::gpu::{shaders, Launch, Shader};
use crate::tensor::{grid_for, Tensor};

fn launch(
    op: &str,
    shader: &'static Shader,
    entry: &'static str,
    ins: &[&Tensor],
    eps: f32,
) -> Result<Tensor> {
    let [n, c, h, w] = ins[0].dims4(op)?;
    let gpu = ins[0].gpu();
    if ins[0].numel() > u32::MAX as usize {
        return Err(Error::Limit {
            op: op.into(),
            shapes: format!("{:?}", ins[0].shape()),
            detail: "more than 2^32 elements".into(),
        });
    }
    let out = Tensor::empty(gpu, op, ins[0].shape())?;
    let total = n * h * w;
    let params = ChannelNormForwardParams {
        c: c as u32,
        hw: (h * w) as u32,
        total: total as u32,
        eps,
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

pub fn channel_norm_forward(x: &Tensor, eps: f32) -> Result<Tensor> {
    launch(
        "channel_norm_forward",
        &shaders::CHANNEL_NORM_FORWARD,
        entry::CHANNEL_NORM_FORWARD,
        &[x],
        eps,
    )
}

pub fn channel_norm_backward_x(dy: &Tensor, x: &Tensor, eps: f32) -> Result<Tensor> {
    let op = "channel_norm_backward_x";
    if dy.shape() != x.shape() {
        return Err(shape_err(
            op,
            &[dy.shape(), x.shape()],
            "dy and x must have the same shape",
        ));
    }
    launch(
        op,
        &shaders::CHANNEL_NORM_BACKWARD,
        entry::CHANNEL_NORM_BACKWARD,
        &[dy, x],
        eps,
    )
}

/// Differentiable unit-normalisation over channels.
pub fn channel_norm(x: &Tensor, eps: f32) -> Result<Tensor> {
    let y = channel_norm_forward(x, eps)?;
    let sx = x.detach();
    autograd::record("channel_norm", &[x], &y, move |dy, _| {
        Ok(vec![Some(channel_norm_backward_x(dy, &sx, eps)?)])
    });
    Ok(y)
}

/// f64 CPU reference.
pub mod reference {
    /// x [N, C, H, W] flattened -> normalised over C at every position.
    pub fn channel_norm(x: &[f64], [n, c, h, w]: [usize; 4], eps: f64) -> Vec<f64> {
        let hw = h * w;
        let mut y = vec![0.0; x.len()];
        for nb in 0..n {
            for q in 0..hw {
                let at = |ch: usize| (nb * c + ch) * hw + q;
                let r = (0..c).map(|ch| x[at(ch)] * x[at(ch)]).sum::<f64>().sqrt();
                for ch in 0..c {
                    y[at(ch)] = x[at(ch)] / (r + eps);
                }
            }
        }
        y
    }
}
