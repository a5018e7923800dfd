//! Reductions to one value: `sum(x)`, `mean(x)` -> [1], plus `sum_squares` and `grad_norm` for
//! logging (not differentiated). Also the per-channel reduction that bias, PReLU and the losses
//! use for their gradients and values.
//!
//! Deterministic: shaders/reduce_vec4.wgsl (rows of whole vec4s, or one row) or
//! shaders/reduce.wgsl sums a fixed run of elements per lane in order, writing one partial per
//! (channel, run); the partials are reduced by reduce.wgsl, 32 per lane, until at most
//! `FINAL_RUN` per channel are left, which one lane per channel sums in a last pass. No
//! atomics: same inputs, same bits.
//! Backward of sum / mean: shaders/reduce_broadcast.wgsl.

use crate::autograd;
use crate::error::{shape_err, Error, Result};
use crate::gpu::params::{entry, KernelParams, ReduceBroadcastParams, ReduceParams};
use crate::gpu::{shaders, Bind, Launch};
use crate::ops::launch::{bind_vec4, launch_map, map_chunk, Map, MapParams};
use crate::tensor::{grid_for, Tensor};

/// Elements one lane of the scalar kernel sums.
const RUN: usize = 32;
/// vec4s one lane of the vec4 kernel sums.
const RUN4: usize = 8;
/// Partials per channel that one lane sums in the last pass. A lane summing 2,048 values costs
/// about what lavapipe's own cost per dispatch is (~20-30 us), and a loss over a batch of
/// 48x48 x4 crops (1.7M elements -> 55,296 -> 1,728) then ends a pass earlier.
const FINAL_RUN: usize = 2048;
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
    let [outer, c, inner] = r.dims;
    let shapes: &[&[usize]] = match r.b {
        Some(b) => &[r.a.shape(), b.shape()],
        None => &[r.a.shape()],
    };
    if outer * c * inner != r.a.numel() || r.b.is_some_and(|b| b.numel() != r.a.numel()) {
        return Err(shape_err(
            r.op,
            shapes,
            "reduction view does not match the tensor",
        ));
    }
    if outer * inner > u32::MAX as usize / 2 {
        return Err(shape_err(r.op, shapes, "too many elements per channel"));
    }
    // One channel: the whole tensor, contiguous.
    let (outer, inner) = if c == 1 {
        (1, outer * inner)
    } else {
        (outer, inner)
    };
    let r = Reduce {
        dims: [outer, c, inner],
        ..r
    };
    // First pass four elements per load where rows are whole vec4s or there is one row; then
    // 32 partials per lane until at most FINAL_RUN are left, then one lane per channel.
    let vec4 = inner % 4 == 0 || outer == 1;
    let mut out = pass(&r, shapes, vec4, RUN)?;
    while out.numel() > c {
        let left = out.numel() / c;
        let run = if left <= FINAL_RUN { left } else { RUN };
        let next = Reduce {
            op: r.op,
            term: Term::Value,
            a: &out,
            b: None,
            dims: [1, c, out.numel() / c],
            scale: r.scale,
            eps: 0.0,
            root: r.root,
        };
        out = pass(&next, shapes, false, run)?;
    }
    Ok(out)
}

/// One pass -> partials [c, runs]; the last pass (one run per channel) applies scale and root.
/// A tensor larger than one storage binding is split into launches over consecutive rows (a
/// one-channel tensor is first viewed as rows of `map_chunk` elements less one alignment), each writing its runs
/// into the shared partials.
/// `run`: elements one lane of the scalar kernel sums (the vec4 kernel sums RUN4 vec4s).
fn pass(r: &Reduce, shapes: &[&[usize]], vec4: bool, run: usize) -> Result<Tensor> {
    let gpu = r.a.gpu();
    let total = r.a.numel();
    let max_elems = map_chunk(gpu);
    let [mut outer, c, mut inner] = r.dims;
    let align = (gpu.limits().min_storage_buffer_offset_alignment as usize / 4).max(4);
    if total > max_elems && c == 1 {
        inner = (max_elems - align).max(align);
        outer = total.div_ceil(inner);
    }
    let (units, run, shader) = if vec4 {
        (inner.div_ceil(4), RUN4, &shaders::REDUCE_VEC4)
    } else {
        (inner, run, &shaders::REDUCE)
    };
    let row = c * inner;
    // Rows per launch. A launch binds from its first row rounded down to the storage offset
    // alignment and skips the `skew` elements before it (a multiple of 4 where rows are
    // whole vec4s).
    let rows = if total <= max_elems {
        outer
    } else {
        (max_elems.saturating_sub(align) / row).min(outer)
    };
    if rows == 0 {
        return Err(Error::Limit {
            op: r.op.into(),
            shapes: crate::error::fmt_shapes(shapes),
            detail: format!("one [{c}, {inner}] slab exceeds a storage binding"),
        });
    }
    let launches: Vec<(usize, usize)> = (0..outer)
        .step_by(rows)
        .map(|o0| (o0, rows.min(outer - o0)))
        .collect();
    let runs_of = |nrows: usize| (nrows * units).div_ceil(run);
    let total_runs: usize = launches.iter().map(|(_, n)| runs_of(*n)).sum();
    let out = Tensor::empty(gpu, r.op, &[c * total_runs])?;
    let last = total_runs == 1;
    let mut run_base = 0;
    for (o0, nrows) in launches {
        let nruns = runs_of(nrows);
        let start = o0 * row;
        let skew = start % align;
        let len = (nrows * row).min(total - start) + skew;
        fn bind<'t>(
            op: &str,
            t: &'t Tensor,
            vec4: bool,
            start: usize,
            len: usize,
        ) -> Result<Bind<'t>> {
            if vec4 {
                bind_vec4(op, t, start, len)
            } else {
                Ok(t.bind_range(start, len))
            }
        }
        let a = r.a;
        let b = r.b.unwrap_or(r.a);
        gpu.launch(Launch {
            op: r.op,
            shapes,
            shader,
            entry: entry::REDUCE__REDUCE_PARTIAL,
            overrides: &[("MODE", r.term as u32 as f64)],
            // reduce.wgsl and reduce_vec4.wgsl share one struct (and the entry's name).
            params: ReduceParams {
                outer: nrows as u32,
                c: c as u32,
                inner: units as u32,
                inner_elems: inner as u32,
                run: run as u32,
                nruns: nruns as u32,
                scale: if last { r.scale } else { 1.0 },
                eps: r.eps,
                root: (last && r.root) as u32,
                remaining: (total - start) as u32,
                stride: total_runs as u32,
                run_base: run_base as u32,
                skew: (if vec4 { skew / 4 } else { skew }) as u32,
            }
            .words(),
            binds: &[
                out.bind(),
                bind(r.op, a, vec4, start - skew, len)?,
                bind(r.op, b, vec4, start - skew, len)?,
            ],
            workgroups: grid_for(gpu, c * nruns, WG),
        })?;
        run_base += nruns;
    }
    Ok(out)
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
        entry: entry::REDUCE_BROADCAST,
        overrides: &[],
        params: MapParams::of(&ReduceBroadcastParams {
            s,
            ..Default::default()
        }),
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
