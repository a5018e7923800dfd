//! Concatenation along channels, `concat(&[&x0, &x1, ...])` (N, H, W equal), and its inverse
//! `split(x, &[c0, c1, ...])`. Kernels: shaders/concat.wgsl (channel-slice insert / extract).
//!
//! concat's backward extracts each input's slice of dout. split records one node per part:
//! its backward inserts that part's gradient into a zero tensor of x's shape, so the tape sums
//! the parts that were used (in a fixed order) and unused parts contribute nothing.

use crate::autograd;
use crate::error::{fmt_shapes, shape_err, Error, Result};
use crate::gpu::{shaders, Bind, Gpu, Launch, Shader};
use crate::tensor::Tensor;

/// One launch of a split op: units `u0..u1` of its iteration space, and per bound tensor the
/// element its binding starts at (`base`, aligned down to the storage offset alignment and a
/// multiple of 4) and the element after the last one the piece touches (`end`).
pub(crate) struct Piece {
    pub u0: usize,
    pub u1: usize,
    pub base: Vec<usize>,
    pub end: Vec<usize>,
}

/// A launch over `units` (rows, samples, tiles...) whose tensors may exceed one storage
/// binding. `span(u, &mut ranges)` widens `ranges[i]` (start, end) by the elements of `ts[i]`
/// that unit `u` touches. Kernels add `u0` to their unit index and subtract the per-tensor
/// `base` from every index (vec4 kernels: base / 4).
pub(crate) struct Split<'a> {
    pub op: &'a str,
    pub shapes: &'a [&'a [usize]],
    pub shader: &'static Shader,
    pub entry: &'static str,
    pub overrides: &'a [(&'static str, f64)],
    pub ts: &'a [&'a Tensor],
    pub units: usize,
    pub span: &'a dyn Fn(usize, &mut [(usize, usize)]),
}

/// Elements of the storage offset alignment (at least 4: vec4 kernels bind from a base).
pub(crate) fn align_elems(gpu: &Gpu) -> usize {
    (gpu.limits().min_storage_buffer_offset_alignment as usize / 4).max(4)
}

/// Bytes of a binding of elements `base..end`: whole vec4s (pooled buffers are padded to 16
/// bytes), never past the buffer.
fn bind_bytes(t: &Tensor, base: usize, end: usize) -> u64 {
    (((end - base) as u64 * 4).div_ceil(16) * 16).min(t.buffer().size() - base as u64 * 4)
}

/// Splits `units` into consecutive pieces whose bindings each fit in one storage binding:
/// one piece with whole bindings when every tensor fits, else greedily as many units per
/// piece as fit. A Limit error when one unit alone does not fit.
pub(crate) fn pieces(s: &Split) -> Result<Vec<Piece>> {
    let gpu = s.ts[0].gpu();
    let max = gpu.limits().max_storage_buffer_binding_size;
    let k = s.ts.len();
    if s.ts.iter().all(|t| bind_bytes(t, 0, t.numel()) <= max) {
        return Ok(vec![Piece {
            u0: 0,
            u1: s.units,
            base: vec![0; k],
            end: s.ts.iter().map(|t| t.numel()).collect(),
        }]);
    }
    let align = align_elems(gpu);
    let fits = |r: &[(usize, usize)]| {
        s.ts.iter()
            .zip(r)
            .all(|(t, (lo, hi))| lo >= hi || bind_bytes(t, lo / align * align, *hi) <= max)
    };
    let empty = (usize::MAX, 0);
    let mut out = Vec::new();
    let mut u = 0;
    while u < s.units {
        let mut cur = vec![empty; k];
        (s.span)(u, &mut cur);
        if !fits(&cur) {
            return Err(Error::Limit {
                op: s.op.into(),
                shapes: fmt_shapes(s.shapes),
                detail: format!("one launch unit exceeds max_storage_buffer_binding_size {max}"),
            });
        }
        let u0 = u;
        u += 1;
        while u < s.units {
            let mut next = cur.clone();
            (s.span)(u, &mut next);
            if !fits(&next) {
                break;
            }
            cur = next;
            u += 1;
        }
        out.push(Piece {
            u0,
            u1: u,
            // A tensor the piece does not touch is bound as its first element.
            base: cur
                .iter()
                .map(|(lo, hi)| if lo < hi { lo / align * align } else { 0 })
                .collect(),
            end: cur
                .iter()
                .map(|(lo, hi)| if lo < hi { *hi } else { 1 })
                .collect(),
        });
    }
    Ok(out)
}

/// Widens a (start, end) range by `lo..hi`.
pub(crate) fn widen(r: &mut (usize, usize), lo: usize, hi: usize) {
    r.0 = r.0.min(lo);
    r.1 = r.1.max(hi);
}

/// Launches `s` piece by piece; `f` gives each piece's parameters and grid.
pub(crate) fn launch_split(
    s: Split,
    mut f: impl FnMut(&Piece) -> (Vec<u32>, [u32; 3]),
) -> Result<()> {
    let gpu = s.ts[0].gpu();
    for p in pieces(&s)? {
        let (params, workgroups) = f(&p);
        let binds: Vec<Bind> =
            s.ts.iter()
                .zip(p.base.iter().zip(&p.end))
                .map(|(t, (b, e))| Bind::Buffer {
                    buffer: t.buffer(),
                    offset: *b as u64 * 4,
                    size: bind_bytes(t, *b, *e),
                })
                .collect();
        gpu.launch(Launch {
            op: s.op,
            shapes: s.shapes,
            shader: s.shader,
            entry: s.entry,
            overrides: s.overrides,
            params: &params,
            binds: &binds,
            workgroups,
        })?;
    }
    Ok(())
}

/// Grid of the row-wise kernels of this module and of dropout, pad, upsample, pixel_shuffle
/// and spatial_mean (workgroups of 64 columns x 4 rows): x = `cols` / 64, y (folded into z past
/// the per-dimension limit) = `rows` / 4; shaders recover the row as
/// `(wid.y + wid.z * nwg.y) * 4 + lid.y`. A lane then needs no integer division (CPU adapters
/// scalarise it per lane), and narrow images still fill the workgroups.
pub fn row_grid(gpu: &Gpu, rows: usize, cols: usize) -> [u32; 3] {
    let max = gpu.limits().max_compute_workgroups_per_dimension.max(1) as usize;
    let blocks = rows.div_ceil(4);
    let y = blocks.clamp(1, max);
    [
        cols.div_ceil(64).min(u32::MAX as usize) as u32,
        y as u32,
        blocks.div_ceil(y).min(u32::MAX as usize) as u32,
    ]
}

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
