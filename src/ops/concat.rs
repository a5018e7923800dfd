//! Concatenation along channels, `concat(&[&x0, &x1, ...])` (N, H, W equal), and its inverse
//! `split(x, &[c0, c1, ...])`. Kernels: shaders/concat.wgsl (channel-slice insert / extract).
//!
//! concat's backward extracts each input's slice of dout. split records one node per part:
//! its backward inserts that part's gradient into a zero tensor of x's shape, so the tape sums
//! the parts that were used (in a fixed order) and unused parts contribute nothing.

use crate::autograd;
use crate::error::{shape_err, Result};
use crate::gpu::shaders;
use crate::tensor::Tensor;

// The splitter lives in ops::launch (re-exported for older imports).
use super::launch::align_elems;
pub use super::launch::row_grid;
#[allow(unused_imports)]
pub(crate) use super::launch::{launch_split, widen, Split};

/// Copy `small` [N, Cs, H, W] into channels off..off+Cs of `big` [N, Cb, H, W] (insert), or the
/// other way round (extract); `dst` is written, `src` read. Launched in pieces of whole rows
/// (n, c) when a tensor exceeds one storage binding; rows of H*W are viewed as k rows of
/// H*W / k (a pure reshape of the copy) when one row alone exceeds it.
fn slice_copy(
    op: &'static str,
    entry: &'static str,
    dst: &Tensor,
    src: &Tensor,
    [n, cs, cb, off, len]: [usize; 5],
) -> Result<()> {
    let gpu = dst.gpu();
    let max = gpu.limits().max_storage_buffer_binding_size as usize / 4;
    let room = max.saturating_sub(align_elems(gpu) + 4).max(1);
    let k = (1..=len)
        .find(|k| len % k == 0 && len / k <= room)
        .unwrap_or(len);
    let (cs, cb, off, len) = (cs * k, cb * k, off * k, len / k);
    let insert = entry == "concat_insert";
    let (bt, st) = if insert { (0, 1) } else { (1, 0) };
    let big_row = |r: usize| (r / cs) * cb + off + r % cs;
    launch_split(
        Split {
            op,
            shapes: &[dst.shape(), src.shape()],
            shader: &shaders::CONCAT,
            entry,
            overrides: &[],
            ts: &[dst, src],
            units: n * cs,
            span: &|r, g| {
                widen(&mut g[st], r * len, (r + 1) * len);
                widen(&mut g[bt], big_row(r) * len, (big_row(r) + 1) * len);
            },
        },
        |p| {
            (
                vec![
                    n as u32,
                    cs as u32,
                    cb as u32,
                    off as u32,
                    len as u32,
                    p.u0 as u32,
                    p.u1 as u32,
                    p.base[0] as u32,
                    p.base[1] as u32,
                ],
                row_grid(gpu, p.u1 - p.u0, len),
            )
        },
    )
}

/// x[:, off..off + c] as a new tensor.
pub fn channel_slice(op: &'static str, x: &Tensor, off: usize, c: usize) -> Result<Tensor> {
    let [n, cb, h, w] = x.dims4(op)?;
    if c == 0 || off + c > cb {
        return Err(shape_err(
            op,
            &[x.shape()],
            format!("channels {off}..{} out of range", off + c),
        ));
    }
    let out = Tensor::empty(x.gpu(), op, &[n, c, h, w])?;
    slice_copy(op, "concat_extract", &out, x, [n, c, cb, off, h * w])?;
    Ok(out)
}

/// Channel offsets of the parts and the total; errors unless all are 4-D with equal N, H, W.
pub(crate) fn layout(op: &str, xs: &[&Tensor]) -> Result<(Vec<usize>, [usize; 4])> {
    let shapes: Vec<&[usize]> = xs.iter().map(|t| t.shape()).collect();
    let Some(first) = xs.first() else {
        return Err(shape_err(op, &[], "no tensors to concatenate"));
    };
    let [n, _, h, w] = first.dims4(op)?;
    let mut offs = Vec::with_capacity(xs.len());
    let mut total = 0;
    for t in xs {
        match t.shape() {
            [tn, c, th, tw] if (*tn, *th, *tw) == (n, h, w) => {
                offs.push(total);
                total += c;
            }
            _ => {
                return Err(shape_err(
                    op,
                    &shapes,
                    "all tensors must be 4-D with equal N, H, W",
                ))
            }
        }
    }
    Ok((offs, [n, total, h, w]))
}

pub fn concat_forward(xs: &[&Tensor]) -> Result<Tensor> {
    let op = "concat_forward";
    let (offs, shape) = layout(op, xs)?;
    let [n, ct, h, w] = shape;
    let out = Tensor::empty(xs[0].gpu(), op, &shape)?;
    for (x, off) in xs.iter().zip(&offs) {
        slice_copy(
            op,
            "concat_insert",
            &out,
            x,
            [n, x.shape()[1], ct, *off, h * w],
        )?;
    }
    Ok(out)
}

/// Differentiable concatenation along channels.
pub fn concat(xs: &[&Tensor]) -> Result<Tensor> {
    let out = concat_forward(xs)?;
    let (offs, _) = layout("concat", xs)?;
    let sizes: Vec<usize> = xs.iter().map(|t| t.shape()[1]).collect();
    autograd::record("concat", xs, &out, move |dout, needs| {
        offs.iter()
            .zip(&sizes)
            .zip(needs)
            .map(|((off, c), need)| {
                if *need {
                    channel_slice("concat_backward", dout, *off, *c).map(Some)
                } else {
                    Ok(None)
                }
            })
            .collect()
    });
    Ok(out)
}

/// Differentiable split along channels into parts of `sizes` channels (summing to C).
pub fn split(x: &Tensor, sizes: &[usize]) -> Result<Vec<Tensor>> {
    let op = "split";
    let [n, c, h, w] = x.dims4(op)?;
    if sizes.is_empty() || sizes.contains(&0) || sizes.iter().sum::<usize>() != c {
        return Err(shape_err(
            op,
            &[x.shape(), sizes],
            format!("part sizes must be positive and sum to the {c} channels"),
        ));
    }
    let mut parts = Vec::with_capacity(sizes.len());
    let mut off = 0;
    for &cs in sizes {
        let part = channel_slice("split_forward", x, off, cs)?;
        let shape = x.shape().to_vec();
        autograd::record("split", &[x], &part, move |dout, _| {
            let dx = Tensor::zeros(dout.gpu(), &shape)?;
            slice_copy(
                "split_backward",
                "concat_insert",
                &dx,
                dout,
                [n, cs, c, off, h * w],
            )?;
            Ok(vec![Some(dx)])
        });
        parts.push(part);
        off += cs;
    }
    Ok(parts)
}

/// f64 CPU references.
pub mod reference {
    /// Parts [N, Ci, HW] flattened -> [N, sum Ci, HW].
    pub fn concat(xs: &[&[f64]], chans: &[usize], n: usize, hw: usize) -> Vec<f64> {
        let mut out = Vec::new();
        for b in 0..n {
            for (x, c) in xs.iter().zip(chans) {
                out.extend_from_slice(&x[b * c * hw..(b + 1) * c * hw]);
            }
        }
        out
    }

    /// x [N, C, HW] flattened -> channels off..off+cs.
    pub fn slice(x: &[f64], (n, c, hw): (usize, usize, usize), off: usize, cs: usize) -> Vec<f64> {
        (0..n)
            .flat_map(|b| {
                x[(b * c + off) * hw..(b * c + off + cs) * hw]
                    .iter()
                    .copied()
            })
            .collect()
    }
}
