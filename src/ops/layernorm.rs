//! LayerNorm over the last dim C of x [M, C] with gamma, beta [C] (SwinIR's norm over
//! channels of tokens). Kernels: shaders/layernorm_forward.wgsl (saves mean and 1/std per
//! row), layernorm_backward_input.wgsl, layernorm_backward_params.wgsl (per-chunk partial
//! sums) and layernorm_backward_params_final.wgsl (sums the chunks in a fixed order into
//! dgamma and dbeta; where the partials exceed one binding, matmul's `sum_partials` does).

use crate::autograd;
use crate::error::{fmt_shapes, shape_err, unsupported, Error, Result};
use crate::gpu::params::{
    entry, KernelParams, LayernormBackwardInput4Params, LayernormBackwardInputParams,
    LayernormBackwardParams4Params, LayernormBackwardParamsFinalParams,
    LayernormBackwardParamsParams, LayernormForward4Params, LayernormForwardParams,
};
use crate::gpu::{shaders, Gpu, Launch};
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

/// Row blocks [r0, r0 + rows) of a per-row launch whose bindings (`widths`: elements per row
/// of each row-indexed binding) fit the storage-binding limit, starting at aligned offsets;
/// block sizes are multiples of `multiple` rows (chunked reductions keep whole chunks).
pub(crate) fn row_blocks(
    gpu: &Gpu,
    op: &str,
    shapes: &[&[usize]],
    rows: usize,
    widths: &[usize],
    multiple: usize,
) -> Result<Vec<(usize, usize)>> {
    let lim = gpu.limits();
    let max_bind = lim.max_storage_buffer_binding_size as usize / 4;
    let align = (lim.min_storage_buffer_offset_alignment as usize / 4).max(1);
    let gcd = |mut a: usize, mut b: usize| {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    let lcm = |a: usize, b: usize| a / gcd(a, b) * b;
    // Row starts must be multiples of `step` for every binding's offset to be aligned.
    let step = widths
        .iter()
        .fold(multiple.max(1), |s, w| lcm(s, align / gcd(align, *w)));
    let widest = widths.iter().copied().max().unwrap_or(1).max(1);
    let fit = max_bind / widest / step * step;
    if fit == 0 {
        return Err(Error::Limit {
            op: op.to_string(),
            shapes: fmt_shapes(shapes),
            detail: format!(
                "{step} rows of {widest} elements do not fit a binding of {} bytes",
                max_bind * 4
            ),
        });
    }
    Ok((0..rows)
        .step_by(fit)
        .map(|r0| (r0, fit.min(rows - r0)))
        .collect())
}

/// Whether the vec4 kernels apply (C % 4 == 0).
fn vec4(c: usize) -> bool {
    c.is_multiple_of(4)
}

/// y = (x - mean) / sqrt(var + eps) * gamma + beta per row, and the saved stats [M, 2]
/// (mean, 1/std) for the backward.
pub fn layernorm_forward(
    x: &Tensor,
    gamma: &Tensor,
    beta: &Tensor,
    eps: f32,
) -> Result<(Tensor, Tensor)> {
    let op = "layernorm_forward";
    let (m, c) = dims(x, gamma, beta)?;
    if !(eps > 0.0 && eps.is_finite()) {
        return Err(unsupported(op, format!("eps {eps} must be > 0")));
    }
    let gpu = x.gpu();
    let y = Tensor::empty(gpu, op, &[m, c])?;
    let stats = Tensor::empty(gpu, op, &[m, 2])?;
    let shapes: &[&[usize]] = &[x.shape(), gamma.shape()];
    for (r0, rows) in row_blocks(gpu, op, shapes, m, &[c, 2], 1)? {
        let rows32 = rows as u32;
        // The vec4 kernel where C is a multiple of 4.
        let (p4, p1);
        let (shader, entry, params): (_, _, &[u32]) = if vec4(c) {
            p4 = LayernormForward4Params {
                rows: rows32,
                c4: (c / 4) as u32,
                eps,
            };
            (
                &shaders::LAYERNORM_FORWARD4,
                entry::LAYERNORM_FORWARD4,
                p4.words(),
            )
        } else {
            p1 = LayernormForwardParams {
                rows: rows32,
                c: c as u32,
                eps,
            };
            (
                &shaders::LAYERNORM_FORWARD,
                entry::LAYERNORM_FORWARD,
                p1.words(),
            )
        };
        gpu.launch(Launch {
            op,
            shapes,
            shader,
            entry,
            overrides: &[],
            params,
            binds: &[
                y.bind_range(r0 * c, rows * c),
                stats.bind_range(r0 * 2, rows * 2),
                x.bind_range(r0 * c, rows * c),
                gamma.bind(),
                beta.bind(),
            ],
            workgroups: grid_for(gpu, rows, 64),
        })?;
    }
    Ok((y, stats))
}

/// dx from dy, x, gamma and the saved stats.
pub fn layernorm_backward_input(
    dy: &Tensor,
    x: &Tensor,
    gamma: &Tensor,
    stats: &Tensor,
) -> Result<Tensor> {
    let op = "layernorm_backward_input";
    let (m, c) = (x.shape()[0], x.shape()[1]);
    let gpu = x.gpu();
    let dx = Tensor::empty(gpu, op, &[m, c])?;
    let shapes: &[&[usize]] = &[dy.shape(), x.shape()];
    for (r0, rows) in row_blocks(gpu, op, shapes, m, &[c, 2], 1)? {
        let (s0, len) = (r0 * c, rows * c);
        let rows32 = rows as u32;
        let (p4, p1);
        let (shader, entry, params): (_, _, &[u32]) = if vec4(c) {
            p4 = LayernormBackwardInput4Params {
                rows: rows32,
                c4: (c / 4) as u32,
            };
            (
                &shaders::LAYERNORM_BACKWARD_INPUT4,
                entry::LAYERNORM_BACKWARD_INPUT4,
                p4.words(),
            )
        } else {
            p1 = LayernormBackwardInputParams {
                rows: rows32,
                c: c as u32,
            };
            (
                &shaders::LAYERNORM_BACKWARD_INPUT,
                entry::LAYERNORM_BACKWARD_INPUT,
                p1.words(),
            )
        };
        gpu.launch(Launch {
            op,
            shapes,
            shader,
            entry,
            overrides: &[],
            params,
            binds: &[
                dx.bind_range(s0, len),
                dy.bind_range(s0, len),
                x.bind_range(s0, len),
                gamma.bind(),
                stats.bind_range(r0 * 2, rows * 2),
            ],
            workgroups: grid_for(gpu, rows, 64),
        })?;
    }
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
    let shapes: &[&[usize]] = &[dy.shape(), x.shape()];
    let cw = if vec4(c) { c / 4 } else { c };
    for (r0, rows) in row_blocks(gpu, op, shapes, m, &[c, 2], COLSUM_CHUNK)? {
        let bchunks = rows.div_ceil(COLSUM_CHUNK);
        let (s0, len) = (r0 * c, rows * c);
        let (rows32, chunk, nchunks, ch0) = (
            rows as u32,
            COLSUM_CHUNK as u32,
            bchunks as u32,
            (r0 / COLSUM_CHUNK) as u32,
        );
        let (p4, p1);
        let (shader, entry, params): (_, _, &[u32]) = if vec4(c) {
            p4 = LayernormBackwardParams4Params {
                rows: rows32,
                c4: cw as u32,
                chunk,
                nchunks,
                ch0,
            };
            (
                &shaders::LAYERNORM_BACKWARD_PARAMS4,
                entry::LAYERNORM_BACKWARD_PARAMS4,
                p4.words(),
            )
        } else {
            p1 = LayernormBackwardParamsParams {
                rows: rows32,
                c: cw as u32,
                chunk,
                nchunks,
                ch0,
            };
            (
                &shaders::LAYERNORM_BACKWARD_PARAMS,
                entry::LAYERNORM_BACKWARD_PARAMS,
                p1.words(),
            )
        };
        gpu.launch(Launch {
            op,
            shapes,
            shader,
            entry,
            overrides: &[],
            params,
            binds: &[
                partial.bind(),
                dy.bind_range(s0, len),
                x.bind_range(s0, len),
                stats.bind_range(r0 * 2, rows * 2),
            ],
            workgroups: grid_for(gpu, cw * bchunks, 64),
        })?;
    }
    let dgamma = Tensor::empty(gpu, op, &[c])?;
    let dbeta = Tensor::empty(gpu, op, &[c])?;
    if partial.bytes() <= gpu.limits().max_storage_buffer_binding_size {
        gpu.launch(Launch {
            op,
            shapes,
            shader: &shaders::LAYERNORM_BACKWARD_PARAMS_FINAL,
            entry: entry::LAYERNORM_BACKWARD_PARAMS_FINAL,
            overrides: &[],
            params: LayernormBackwardParamsFinalParams {
                c: c as u32,
                nchunks: nchunks as u32,
            }
            .words(),
            binds: &[dgamma.bind(), dbeta.bind(), partial.bind()],
            workgroups: grid_for(gpu, 2 * c, 64),
        })?;
        return Ok((dgamma, dbeta));
    }
    let both = sum_partials(op, &partial)?;
    // Split [2C] into two tensors (copies keep each gradient in a buffer of its own).
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
