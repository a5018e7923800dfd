//! Reductions to one value: `sum(x)`, `mean(x)` -> [1], plus `sum_squares` and `grad_norm` for
//! logging (not differentiated). Also the per-channel reduction that bias, PReLU and the losses
//! use for their gradients and values.
//!
//! Deterministic: shaders/reduce_vec4.wgsl (rows of whole vec4s, or one row) or
//! shaders/reduce.wgsl sums a fixed run of elements per lane in order, writing one partial per
//! (channel, run); the partials are reduced by reduce.wgsl, 32 per lane, until one value per
//! channel is left. No atomics: same inputs, same bits.
//! Backward of sum / mean: shaders/reduce_broadcast.wgsl.

use crate::autograd;
use crate::error::{shape_err, Result};
use crate::gpu::{shaders, Launch};
use crate::ops::binary::{bind_vec4, launch_map, Map};
use crate::tensor::{grid_for, Tensor};

/// Elements one lane of the scalar kernel sums.
const RUN: usize = 32;
/// vec4s one lane of the vec4 kernel sums.
const RUN4: usize = 8;
const WG: u32 = 256;

/// What each element contributes (the `MODE` override of reduce.wgsl).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Term {
    /// a
    Value = 0,
    /// a^2
    Square = 1,
    /// a * b where b < 0, else 0 (PReLU slope gradient, a = dy, b = x)
    NegProduct = 2,
    /// |a - b|
    AbsDiff = 3,
    /// (a - b)^2
    SquaredDiff = 4,
    /// sqrt((a - b)^2 + eps^2)
    Charbonnier = 5,
}

/// A reduction of `a` (and `b`) viewed as [outer, c, inner] over dims 0 and 2: -> [c].
pub(crate) struct Reduce<'a> {
    pub op: &'a str,
    pub term: Term,
    pub a: &'a Tensor,
    pub b: Option<&'a Tensor>,
    pub dims: [usize; 3],
    /// Multiplies the final sums (1 / n for means).
    pub scale: f32,
    pub eps: f32,
    /// Take the square root of the final (scaled) sums.
    pub root: bool,
}

pub(crate) fn reduce_channels(r: Reduce) -> Result<Tensor> {
    let gpu = r.a.gpu();
    let [outer, c, inner] = r.dims;
    let shapes: &[&[usize]] = match r.b {
        Some(b) => &[r.a.shape(), b.shape()],
        None => &[r.a.shape()],
    };
    if outer * c * inner != r.a.numel() || r.b.is_some_and(|b| b.numel() != r.a.numel()) {
        return Err(shape_err(r.op, shapes, "reduction view does not match the tensor"));
    }
    if outer * inner > u32::MAX as usize / 2 {
        return Err(shape_err(r.op, shapes, "too many elements per channel"));
    }
    // First pass four elements per load where rows are whole vec4s or there is one row.
    let vec4 = inner % 4 == 0 || (outer == 1 && c == 1);
    let (mut a, mut b, mut inner) = if vec4 {
        let inner4 = inner.div_ceil(4);
        let nruns = (outer * inner4).div_ceil(RUN4);
        let out = Tensor::empty(gpu, r.op, &[c * nruns])?;
        let last = nruns == 1;
        gpu.launch(Launch {
            op: r.op,
            shapes,
            shader: &shaders::REDUCE_VEC4,
            entry: "reduce_partial",
            overrides: &[("MODE", r.term as u32 as f64)],
            params: &[
                outer as u32,
                c as u32,
                inner4 as u32,
                inner as u32,
                RUN4 as u32,
                nruns as u32,
                (if last { r.scale } else { 1.0 }).to_bits(),
                r.eps.to_bits(),
                (last && r.root) as u32,
            ],
            binds: &[
                out.bind(),
                bind_vec4(r.op, r.a, 0, r.a.numel())?,
                bind_vec4(r.op, r.b.unwrap_or(r.a), 0, r.a.numel())?,
            ],
            workgroups: grid_for(gpu, c * nruns, WG),
        })?;
        if last {
            return Ok(out);
        }
        (out.clone(), out, nruns)
    } else {
        (r.a.clone(), r.b.unwrap_or(r.a).clone(), inner)
    };
    let mut term = if vec4 { Term::Value } else { r.term };
    let mut outer = if vec4 { 1 } else { outer };
    loop {
        let len = outer * inner;
        let nruns = len.div_ceil(RUN);
        let last = nruns == 1;
        let out = Tensor::empty(gpu, r.op, &[c * nruns])?;
        let scale = if last { r.scale } else { 1.0 };
        let root = (last && r.root) as u32;
        gpu.launch(Launch {
            op: r.op,
            shapes,
            shader: &shaders::REDUCE,
            entry: "reduce_partial",
            overrides: &[("MODE", term as u32 as f64)],
            params: &[
                outer as u32,
                c as u32,
                inner as u32,
                RUN as u32,
                nruns as u32,
                scale.to_bits(),
                r.eps.to_bits(),
                root,
            ],
            binds: &[out.bind(), a.bind(), b.bind()],
            workgroups: grid_for(gpu, c * nruns, WG),
        })?;
        if last {
            return Ok(out);
        }
        term = Term::Value;
        a = out.clone();
        b = out;
        outer = 1;
        inner = nruns;
    }
}

/// Sum of all elements -> [1], times `scale`.
pub fn sum_forward_scaled(x: &Tensor, op: &str, scale: f32) -> Result<Tensor> {
    reduce_channels(Reduce {
        op,
        term: Term::Value,
        a: x,
        b: None,
        dims: [1, 1, x.numel()],
        scale,
        eps: 0.0,
        root: false,
    })
}

/// Sum of all elements -> [1].
pub fn sum_forward(x: &Tensor) -> Result<Tensor> {
    sum_forward_scaled(x, "sum_forward", 1.0)
}

/// dx = s * dy[0] everywhere (dy has one element).
pub fn sum_backward_input(dy: &Tensor, shape: &[usize], s: f32) -> Result<Tensor> {
    let dx = Tensor::empty(dy.gpu(), "sum_backward_input", shape)?;
    launch_map(Map {
        op: "sum_backward_input",
        shapes: &[dy.shape(), shape],
        shader: &shaders::REDUCE_BROADCAST,
        entry: "reduce_broadcast",
        overrides: &[],
        params: &[s.to_bits()],
        chunked: &[&dx],
        whole: &[dy],
        n: dx.numel(),
    })?;
    Ok(dx)
}

fn record_scaled(name: &'static str, x: &Tensor, y: &Tensor, s: f32) {
    let shape = x.shape().to_vec();
    autograd::record(name, &[x], y, move |dy, _| {
        Ok(vec![Some(sum_backward_input(dy, &shape, s)?)])
    });
}

/// Differentiable sum of all elements -> [1].
pub fn sum(x: &Tensor) -> Result<Tensor> {
    let y = sum_forward(x)?;
    record_scaled("sum", x, &y, 1.0);
    Ok(y)
}

/// Differentiable mean of all elements -> [1].
pub fn mean(x: &Tensor) -> Result<Tensor> {
    let s = (1.0 / x.numel() as f64) as f32;
    let y = sum_forward_scaled(x, "mean_forward", s)?;
    record_scaled("mean", x, &y, s);
    Ok(y)
}

/// Sum of squares -> [1] (not differentiated: for logging).
pub fn sum_squares(x: &Tensor) -> Result<Tensor> {
    reduce_channels(Reduce {
        op: "sum_squares",
        term: Term::Square,
        a: x,
        b: None,
        dims: [1, 1, x.numel()],
        scale: 1.0,
        eps: 0.0,
        root: false,
    })
}

/// Global L2 norm of several tensors (e.g. all gradients) -> [1], on the GPU (no readback):
/// sum of squares per tensor, gathered in order, summed, square root. Not differentiated.
pub fn grad_norm(ts: &[Tensor]) -> Result<Tensor> {
    let Some(first) = ts.first() else {
        return Err(shape_err("grad_norm", &[], "no tensors given"));
    };
    let gpu = first.gpu();
    let parts = Tensor::empty(gpu, "grad_norm", &[ts.len()])?;
    for (i, t) in ts.iter().enumerate() {
        let s = sum_squares(t)?;
        gpu.copy(s.buffer(), 0, parts.buffer(), i as u64 * 4, 4);
    }
    reduce_channels(Reduce {
        op: "grad_norm",
        term: Term::Value,
        a: &parts,
        b: None,
        dims: [1, 1, ts.len()],
        scale: 1.0,
        eps: 0.0,
        root: true,
    })
}

/// f64 CPU references.
pub mod reference {
    pub fn sum(x: &[f64]) -> Vec<f64> {
        vec![x.iter().sum()]
    }
    pub fn mean(x: &[f64]) -> Vec<f64> {
        vec![x.iter().sum::<f64>() / x.len() as f64]
    }
    pub fn sum_squares(x: &[f64]) -> Vec<f64> {
        vec![x.iter().map(|v| v * v).sum()]
    }
    /// Sums over dims 0 and 2 of x viewed as [outer, c, inner] -> [c].
    pub fn channel_sum(x: &[f64], outer: usize, c: usize, inner: usize) -> Vec<f64> {
        let mut s = vec![0.0; c];
        for o in 0..outer {
            for (ch, sc) in s.iter_mut().enumerate() {
                let base = (o * c + ch) * inner;
                *sc += x[base..base + inner].iter().sum::<f64>();
            }
        }
        s
    }
}
