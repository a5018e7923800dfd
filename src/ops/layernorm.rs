//! LayerNorm over the last dim C of x [M, C] with gamma, beta [C] (SwinIR's norm over
//! channels of tokens). Kernels: shaders/layernorm_forward.wgsl (saves mean and 1/std per
//! row), layernorm_backward_input.wgsl, layernorm_backward_params.wgsl (per-chunk partial
//! sums; matmul's `sum_partials` finishes dgamma and dbeta in a fixed order).

use crate::autograd;
use crate::error::{shape_err, unsupported, Result};
use crate::gpu::{shaders, Launch};
use crate::ops::matmul::{sum_partials, COLSUM_CHUNK};
use crate::tensor::{grid_for, Tensor};

fn dims(x: &Tensor, gamma: &Tensor, beta: &Tensor) -> Result<(usize, usize)> {
    let op = "layernorm_forward";
    let shapes = [x.shape(), gamma.shape(), beta.shape()];
    match x.shape() {
        [m, c] if gamma.shape() == [*c] && beta.shape() == [*c] => Ok((*m, *c)),
        _ => Err(shape_err(
            op,
            &shapes,
            "expected x [M, C], gamma [C], beta [C]",
        )),
    }
}

/// y = (x - mean) / sqrt(var + eps) * gamma + beta per row, and the saved stats [M, 2]
/// (mean, 1/std) for the backward.
pub fn layernorm_forward(
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    eps: f32,
) -> Result<(Tensor, Tensor)> {
    let (m, c) = dims(x, gamma, beta)?;
    if !(eps > 0.0 && eps.is_finite()) {
        return Err(unsupported(
            "layernorm_forward",
            format!("eps {eps} must be > 0"),
        ));
    }
    let gpu = x.gpu();
    let y = Tensor::empty(gpu, "layernorm_forward", &[m, c])?;
    let stats = Tensor::empty(gpu, "layernorm_forward", &[m, 2])?;
    gpu.launch(Launch {
        op: "layernorm_forward",
        shapes: &[x.shape(), gamma.shape()],
        shader: &shaders::LAYERNORM_FORWARD,
        entry: "layernorm_forward",
        overrides: &[],
        params: &[m as u32, c as u32, eps.to_bits()],
        binds: &[y.bind(), stats.bind(), x.bind(), gamma.bind(), beta.bind()],
        workgroups: grid_for(gpu, m, 64),
    })?;
    Ok((y, stats))
}

/// dx from dy, x, gamma and the saved stats.
pub fn layernorm_backward_input(
    dy: &Tensor,
    x: &Tensor,
    gamma: &Tensor,
    stats: &Tensor,
) -> Result<Tensor> {
    let (m, c) = (x.shape()[0], x.shape()[1]);
    let gpu = x.gpu();
    let dx = Tensor::empty(gpu, "layernorm_backward_input", &[m, c])?;
    gpu.launch(Launch {
        op: "layernorm_backward_input",
        shapes: &[dy.shape(), x.shape()],
        shader: &shaders::LAYERNORM_BACKWARD_INPUT,
        entry: "layernorm_backward_input",
        overrides: &[],
        params: &[m as u32, c as u32],
        binds: &[dx.bind(), dy.bind(), x.bind(), gamma.bind(), stats.bind()],
        workgroups: grid_for(gpu, m, 64),
    })?;
    Ok(dx)
}

/// (dgamma, dbeta), each [C], summed over rows in a fixed order.
pub fn layernorm_backward_params(
    dy: &Tensor,
    x: &Tensor,
    stats: &Tensor,
) -> Result<(Tensor, Tensor)> {
    let op = "layernorm_backward_params";
    let (m, c) = (x.shape()[0], x.shape()[1]);
    let gpu = x.gpu();
    let nchunks = m.div_ceil(COLSUM_CHUNK);
    let partial = Tensor::empty(gpu, op, &[nchunks, 2 * c])?;
    gpu.launch(Launch {
        op,
        shapes: &[dy.shape(), x.shape()],
        shader: &shaders::LAYERNORM_BACKWARD_PARAMS,
        entry: "layernorm_backward_params",
        overrides: &[],
        params: &[m as u32, c as u32, COLSUM_CHUNK as u32, nchunks as u32],
        binds: &[partial.bind(), dy.bind(), x.bind(), stats.bind()],
        workgroups: [c.div_ceil(64) as u32, nchunks as u32, 1],
    })?;
    let both = sum_partials(op, &partial)?;
    // Split [2C] into two tensors (copies keep each gradient in a buffer of its own).
    let dgamma = Tensor::empty(gpu, op, &[c])?;
    let dbeta = Tensor::empty(gpu, op, &[c])?;
    let bytes = c as u64 * 4;
    gpu.copy(both.buffer(), 0, dgamma.buffer(), 0, bytes);
    gpu.copy(both.buffer(), bytes, dbeta.buffer(), 0, bytes);
    Ok((dgamma, dbeta))
}

/// Differentiable LayerNorm over the last dim: x [M, C], gamma [C], beta [C].
pub fn layernorm(x: &Tensor, gamma: &Tensor, beta: &Tensor, eps: f32) -> Result<Tensor> {
    let (y, stats) = layernorm_forward(x, gamma, beta, eps)?;
    let (sx, sg) = (x.detach(), gamma.detach());
    autograd::record("layernorm", &[x, gamma, beta], &y, move |dy, needs| {
        let dx = if needs[0] {
            Some(layernorm_backward_input(dy, &sx, &sg, &stats)?)
        } else {
            None
        };
        let (dg, db) = if needs[1] || needs[2] {
            let (g, b) = layernorm_backward_params(dy, &sx, &stats)?;
            (needs[1].then_some(g), needs[2].then_some(b))
        } else {
            (None, None)
        };
        Ok(vec![dx, dg, db])
    });
    Ok(y)
}

/// f64 CPU reference.
pub mod reference {
    pub fn layernorm(x: &[f64], gamma: &[f64], beta: &[f64], eps: f64) -> Vec<f64> {
        let c = gamma.len();
        let mut y = vec![0.0; x.len()];
        for (row, out) in x.chunks(c).zip(y.chunks_mut(c)) {
            let mean = row.iter().sum::<f64>() / c as f64;
            let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / c as f64;
            let rstd = 1.0 / (var + eps).sqrt();
            for i in 0..c {
                out[i] = (row[i] - mean) * rstd * gamma[i] + beta[i];
            }
        }
        y
    }
}
