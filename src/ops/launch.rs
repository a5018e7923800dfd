//! The launch code every op shares, in one place: `launch_map`, the elementwise launcher (four
//! elements per lane, tensors over one storage binding split into aligned sub-range launches,
//! typed parameters whose `n`, `offset` it fills), and `launch_split`, the binding-limit
//! splitter of ops whose lanes touch ranges of several tensors (pieces of the iteration space
//! whose bindings each fit the adapter's limit), with `row_grid` for their row-shaped grids.
//! The subgroup check is `Gpu::subgroup_kernels_usable`; the deterministic row and column sums
//! are `spatial_mean::row_sum` and `matmul::column_sums`.

use crate::error::{fmt_shapes, Error, Result};
use crate::gpu::params::KernelParams;
use crate::gpu::{Bind, Gpu, Launch, Shader};
use crate::tensor::{grid_for, Tensor};

/// Lanes per workgroup of the elementwise kernels (their `@workgroup_size`).
pub(crate) const MAP_WG: u32 = 256;

/// One elementwise kernel over `n` elements, four per lane: the kernels read and write
/// `array<vec4<f32>>` (on lavapipe a vec4 load costs about what a scalar load costs: 2.1x
/// faster than one element per lane, measured on add). Every tensor in `chunked` has `n`
/// elements and is bound as the same sub-range; the tensors in `whole` (biases, slopes, a loss
/// gradient) are bound whole after them. The kernel's parameter struct starts with `n` (vec4s
/// in the launch) and `offset` (index of its first element), which the launcher fills per
/// sub-range (`MapParams::of` checks the names). A launch per
/// sub-range keeps each binding under `max_storage_buffer_binding_size` with offsets aligned
/// to the storage offset alignment.
///
/// Bindings are rounded up to 16 bytes: the lanes of the last vec4 past `n` compute garbage
/// into the padding of the pooled buffers (size classes are multiples of 16 bytes), which
/// no tensor reads.
pub(crate) struct Map<'a> {
    pub op: &'a str,
    pub shapes: &'a [&'a [usize]],
    pub shader: &'static Shader,
    pub entry: &'static str,
    pub overrides: &'a [(&'static str, f64)],
    pub params: MapParams<'a>,
    pub chunked: &'a [&'a Tensor],
    pub whole: &'a [&'a Tensor],
    pub n: usize,
}

/// The words of an elementwise kernel's parameter struct, whose first two fields (`n`,
/// `offset`) the launcher sets.
#[derive(Clone, Copy)]
pub(crate) struct MapParams<'a>(&'a [u32]);

impl<'a> MapParams<'a> {
    pub fn of<P: KernelParams>(p: &'a P) -> MapParams<'a> {
        assert!(
            P::FIELDS.len() >= 2 && P::FIELDS[0] == "n" && P::FIELDS[1] == "offset",
            "an elementwise kernel's Params must start with n, offset: {:?}",
            P::FIELDS
        );
        MapParams(p.words())
    }
}

/// Elements per sub-range launch: the largest multiple of the offset alignment (and of 4)
/// that fits in one binding.
pub(crate) fn map_chunk(gpu: &Gpu) -> usize {
    let lim = gpu.limits();
    let align = (lim.min_storage_buffer_offset_alignment as u64).max(16);
    let max = lim.max_storage_buffer_binding_size;
    ((max / align) * align / 4).max(align / 4) as usize
}

/// Elements `start..start + len` of `t` as a binding rounded up to whole vec4s (16 bytes).
pub(crate) fn bind_vec4<'t>(op: &str, t: &'t Tensor, start: usize, len: usize) -> Result<Bind<'t>> {
    let offset = start as u64 * 4;
    let size = (len as u64 * 4).div_ceil(16) * 16;
    if offset + size > t.buffer().size() {
        return Err(Error::Limit {
            op: op.into(),
            shapes: format!("{:?}", t.shape()),
            detail: "buffer is not padded to a multiple of 16 bytes".into(),
        });
    }
    Ok(Bind::Buffer {
        buffer: t.buffer(),
        offset,
        size,
    })
}

pub(crate) fn launch_map(m: Map) -> Result<()> {
    let gpu = m.chunked[0].gpu();
    let chunk = map_chunk(gpu);
    let mut start = 0;
    while start < m.n {
        let len = chunk.min(m.n - start);
        let n4 = len.div_ceil(4);
        let mut params = m.params.0.to_vec();
        params[0] = n4 as u32;
        params[1] = start as u32;
        let mut binds = Vec::with_capacity(m.chunked.len() + m.whole.len());
        for t in m.chunked {
            binds.push(bind_vec4(m.op, t, start, len)?);
        }
        for t in m.whole {
            binds.push(bind_vec4(m.op, t, 0, t.numel())?);
        }
        gpu.launch(Launch {
            op: m.op,
            shapes: m.shapes,
            shader: m.shader,
            entry: m.entry,
            overrides: m.overrides,
            params: &params,
            binds: &binds,
            workgroups: grid_for(gpu, n4, MAP_WG),
        })?;
        start += len;
    }
    Ok(())
}

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
    pub span: SpanFn<'a>,
}

/// Widens, for one unit, the (first, end) element range each bound tensor is touched at.
pub(crate) type SpanFn<'a> = &'a dyn Fn(usize, &mut [(usize, usize)]);

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
    block_grid(gpu, rows, 4, cols, 64)
}

/// `row_grid` for workgroups of `wg_cols` columns x `wg_rows` rows: x = `cols` / `wg_cols`,
/// y (folded into z past the per-dimension limit) = `rows` / `wg_rows`.
pub fn block_grid(gpu: &Gpu, rows: usize, wg_rows: usize, cols: usize, wg_cols: usize) -> [u32; 3] {
    let max = gpu.limits().max_compute_workgroups_per_dimension.max(1) as usize;
    let blocks = rows.div_ceil(wg_rows);
    let y = blocks.clamp(1, max);
    [
        cols.div_ceil(wg_cols).min(u32::MAX as usize) as u32,
        y as u32,
        blocks.div_ceil(y).min(u32::MAX as usize) as u32,
    ]
}
