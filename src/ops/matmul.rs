//! Matrix products: `matmul` (2-D [M,K]x[K,N] or batched [B,M,K]x[B,K,N]) and `linear`
//! (x W^T + b, PyTorch's [out, in] weight layout), with their backward products and the
//! deterministic column sums used for bias gradients.
//!
//! Every product here is one `gemm`: C = op(A) op(B) (+ bias on columns), where op transposes
//! an operand or not. Two kernels compute it:
//! - `Texture` (shaders/matmul_pack*.wgsl + matmul_tex.wgsl): each operand is packed into an
//!   rgba32float texture (transposing on the way; vec4 loads where the view is 4-aligned),
//!   then a subgroup-broadcast kernel computes 32 x 32 tiles (4 x 32 per lane). Fast on
//!   lavapipe (textureLoad is vectorised, broadcasts are shuffles). Operands that need no
//!   pack are copied into linear textures instead: k contiguous (read by rows), or, for
//!   products with a small output such as dW = dy^T x, rows contiguous (read by columns, split
//!   along k into parts whose rows stay in cache: the parts of one launch, summed in part
//!   order by shaders/matmul_parts.wgsl, or launches that continue the sums in C where the
//!   product needs several bindings).
//! - `Buffer` (shaders/matmul_buf.wgsl): 64 x 64 workgroup tiles straight from storage
//!   buffers, for GPUs and for adapters without subgroups (see `auto_kernel`).
//!
//! `auto_kernel` picks one per adapter; every entry point takes a `MatmulKernel` (the
//! differentiable `matmul` and `linear` run `Auto`; `matmul_with` / `linear_with` force one, as
//! tests and benchmarks do to run both on the same inputs).

use crate::autograd;
use crate::error::{fmt_shapes, shape_err, unsupported, Error, Result};
use crate::gpu::params::{
    entry, KernelParams, MatmulBufParams, MatmulColsumParams, MatmulPackParams, MatmulPartsParams,
    MatmulTexParams,
};
use crate::gpu::{shaders, Bind, Gpu, Launch, PooledTexture};
use crate::tensor::{grid_for, Tensor};
use std::rc::Rc;

/// Which kernel computes the products.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatmulKernel {
    /// `auto_kernel`'s choice: the texture kernel on CPU adapters with >= 8-lane subgroups,
    /// else the tiled buffer kernel.
    Auto,
    /// Packed textures + subgroupBroadcast; an error where unsupported.
    Texture,
    /// Storage-buffer tiles.
    Buffer,
}

/// A strided matrix view of a tensor, per batch layer l: element (l, r, c) sits at
/// `off + (l / lh) * outer + (l % lh) * inner + r * rs + c * cs` (lh from the `Gemm`).
/// Covers plain, transposed and batched operands and attention's per-head slices of qkv.
#[derive(Clone, Copy)]
pub(crate) struct View<'a> {
    pub t: &'a Tensor,
    pub off: usize,
    pub outer: usize,
    pub inner: usize,
    pub rs: usize,
    pub cs: usize,
}

impl<'a> View<'a> {
    /// Batched row-major [batch, rows, cols] (`trans`: stored [batch, cols, rows]).
    pub fn dense(t: &'a Tensor, rows: usize, cols: usize, trans: bool) -> View<'a> {
        let (rs, cs) = if trans { (1, rows) } else { (cols, 1) };
        View {
            t,
            off: 0,
            outer: rows * cols,
            inner: 0,
            rs,
            cs,
        }
    }
}

/// One batched product C(l) = alpha A(l) B(l) (+ bias on columns) for l < batch, with A [m, k],
/// B [k, n] and C [m, n] views (C's column stride is 1); layer l splits as (l / lh, l % lh).
pub(crate) struct Gemm<'a> {
    pub op: &'static str,
    pub a: View<'a>,
    pub b: View<'a>,
    pub c: View<'a>,
    pub batch: usize,
    pub lh: usize,
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub alpha: f32,
    pub bias: Option<&'a Tensor>,
    /// Which kernel computes it (`Auto`: `chosen_kernel`).
    pub kernel: MatmulKernel,
    /// Where to write the sums of A's rows over k ([m]; the linear layer's db in dW = dy^T x),
    /// computed in the product's spare column where `gemm_run` can (it says whether it did).
    pub row_sums: Option<&'a Tensor>,
}

const TEX_TILE_M: usize = 32;
const TEX_TILE_N: usize = 32;
const BUF_TILE: usize = 64;
/// K chunks (when a product must be split along k) are multiples of this (whole texels).
/// Each output still gets one fma per k in ascending order (padding adds exact zeros), so
/// split results are bit-identical.
const K_STEP: usize = 4;

fn texture_fits(gpu: &Gpu) -> bool {
    gpu.subgroup_kernels_usable()
}

/// The kernel `Auto` runs: the texture + subgroup kernel on CPU adapters with >= 8-lane
/// subgroups (lavapipe: vectorised texture loads, broadcasts as shuffles), the workgroup-tiled
/// buffer kernel (16 x 16 lanes, 64 x 64 tiles in workgroup memory) everywhere else, GPUs
/// included. The one place that decides; `sralign info` prints it.
pub fn auto_kernel(is_cpu: bool, texture_fits: bool) -> MatmulKernel {
    if is_cpu && texture_fits {
        MatmulKernel::Texture
    } else {
        MatmulKernel::Buffer
    }
}

/// The kernel `Auto` runs on `gpu`.
pub fn chosen_kernel(gpu: &Gpu) -> MatmulKernel {
    auto_kernel(gpu.is_cpu(), texture_fits(gpu))
}

/// C = A B into a new contiguous tensor of shape `out_shape` ([batch, m, n] elements).
fn gemm(g: Gemm, out_shape: &[usize]) -> Result<Tensor> {
    let out = Tensor::empty(g.a.t.gpu(), g.op, out_shape)?;
    let c = View::dense(&out, g.m, g.n, false);
    gemm_into(&Gemm { c, ..g })?;
    Ok(out)
}

/// One launch's share of a product: layers [l0, l0 + layers), rows [r0, r0 + mr) of C,
/// columns [c0, c0 + nc), and the k range [k0, k0 + kc) (k chunks after the first continue
/// from the raw sums left in C; the last applies alpha and the bias).
#[derive(Clone, Copy, Debug)]
struct Chunk {
    l0: usize,
    layers: usize,
    r0: usize,
    mr: usize,
    c0: usize,
    nc: usize,
    k0: usize,
    kc: usize,
}

/// A view restricted to a chunk, bound as an aligned sub-range of its tensor: `off` is
/// relative to the binding's first element; layer terms stay global (the kernels add them
/// for l = l0 + layer).
struct Bound<'a> {
    v: View<'a>,
    start: usize,
    len: usize,
}

impl Bound<'_> {
    fn bind(&self) -> Bind<'_> {
        self.v.t.bind_range(self.start, self.len)
    }
}

/// The elements a view touches for layers [l0, l1), rows [r0, r0 + rows), columns
/// [c0, c0 + cols), bound from an `align`-element boundary.
#[allow(clippy::too_many_arguments)]
fn bound<'a>(
    v: &View<'a>,
    lh: usize,
    l0: usize,
    l1: usize,
    r0: usize,
    rows: usize,
    c0: usize,
    cols: usize,
    align: usize,
) -> Bound<'a> {
    let base = |l: usize| (l / lh) * v.outer + (l % lh) * v.inner;
    let (mut lo, mut hi) = (usize::MAX, 0);
    // Layer bases are usually monotone; visit one period at each end plus the extremes.
    let visit = |l: usize, lo: &mut usize, hi: &mut usize| {
        let b = base(l);
        *lo = (*lo).min(b);
        *hi = (*hi).max(b);
    };
    if l1 - l0 <= 2 * lh + 2 {
        for l in l0..l1 {
            visit(l, &mut lo, &mut hi);
        }
    } else {
        for l in (l0..l0 + lh).chain(l1 - lh..l1) {
            visit(l, &mut lo, &mut hi);
        }
    }
    let first = v.off + lo + r0 * v.rs + c0 * v.cs;
    let last = v.off + hi + (r0 + rows - 1) * v.rs + (c0 + cols - 1) * v.cs;
    let start = first - first % align;
    Bound {
        v: View {
            off: v.off + r0 * v.rs + c0 * v.cs - start,
            ..*v
        },
        start,
        len: last + 1 - start,
    }
}

/// (A, B, C) bound for one chunk.
fn bounds<'a>(g: &Gemm<'a>, ch: &Chunk, align: usize) -> [Bound<'a>; 3] {
    let l1 = ch.l0 + ch.layers;
    [
        bound(&g.a, g.lh, ch.l0, l1, ch.r0, ch.mr, ch.k0, ch.kc, align),
        bound(&g.b, g.lh, ch.l0, l1, ch.k0, ch.kc, ch.c0, ch.nc, align),
        bound(&g.c, g.lh, ch.l0, l1, ch.r0, ch.mr, ch.c0, ch.nc, align),
    ]
}

/// Every chunk of a product split as (layers lb, rows mr, columns nc, k kc) per chunk.
fn chunks(g: &Gemm, lb: usize, mr: usize, nc: usize, kc: usize) -> Vec<Chunk> {
    let mut out = Vec::new();
    for l0 in (0..g.batch).step_by(lb) {
        for r0 in (0..g.m).step_by(mr) {
            for c0 in (0..g.n).step_by(nc) {
                for k0 in (0..g.k).step_by(kc) {
                    out.push(Chunk {
                        l0,
                        layers: lb.min(g.batch - l0),
                        r0,
                        mr: mr.min(g.m - r0),
                        c0,
                        nc: nc.min(g.n - c0),
                        k0,
                        kc: kc.min(g.k - k0),
                    });
                }
            }
        }
    }
    out
}

/// Split a product into launches whose bindings fit the storage-binding limit (and, for the
/// texture kernel, whose packed operands fit the texture limits): whole layers first, then
/// rows, columns and k of single layers.
fn plan(gpu: &Gpu, g: &Gemm, use_tex: bool) -> Result<Vec<Chunk>> {
    let lim = gpu.limits();
    let max_bind = lim.max_storage_buffer_binding_size as usize / 4;
    let align = (lim.min_storage_buffer_offset_alignment as usize / 4).max(1);
    let (mut lb, mut mr, mut nc, mut kc) = (g.batch, g.m, g.n, g.k);
    let max_wg = lim.max_compute_workgroups_per_dimension as usize;
    lb = lb.min(max_wg);
    if use_tex {
        let tex = lim.max_texture_dimension_2d as usize;
        lb = lb.min(lim.max_texture_array_layers as usize).max(1);
        mr = mr.min(tex / TEX_TILE_M * TEX_TILE_M);
        nc = nc.min(tex / TEX_TILE_N * TEX_TILE_N);
        kc = kc.min(tex * 4 / K_STEP * K_STEP);
    } else {
        mr = mr.min(max_wg * BUF_TILE);
        nc = nc.min(max_wg * BUF_TILE);
    }
    let round = |v: usize, step: usize| v.div_ceil(step) * step;
    loop {
        let all = chunks(g, lb, mr, nc, kc);
        let worst = all
            .iter()
            .map(|ch| bounds(g, ch, align).map(|b| b.len))
            .fold([0; 3], |acc, l| {
                [acc[0].max(l[0]), acc[1].max(l[1]), acc[2].max(l[2])]
            });
        let over = worst.iter().position(|l| *l > max_bind);
        let Some(which) = over else {
            return Ok(all);
        };
        if lb > 1 {
            lb = if lb > g.lh && lb / 2 >= g.lh {
                (lb / 2) / g.lh * g.lh
            } else {
                lb.div_ceil(2)
            };
            continue;
        }
        // One layer is too large: halve the larger dimension of the offending operand
        // (dims: 0 rows, 1 columns, 2 k; k chunks stay multiples of K_STEP).
        // Rows and columns go below a tile only when they must.
        let mut dims = [mr, nc, kc];
        let steps = [1, 1, K_STEP];
        let (i1, i2) = match which {
            0 => (0, 2),
            1 => (2, 1),
            _ => (0, 1),
        };
        let can = |i: usize, d: &[usize; 3]| d[i] > steps[i];
        let target = if dims[i1] >= dims[i2] && can(i1, &dims) {
            Some(i1)
        } else if can(i2, &dims) {
            Some(i2)
        } else if can(i1, &dims) {
            Some(i1)
        } else {
            None
        };
        match target {
            Some(i) => {
                let half = dims[i].div_ceil(2);
                dims[i] = if i == 2 {
                    round(half, K_STEP)
                } else if half >= TEX_TILE_M {
                    round(half, TEX_TILE_M)
                } else {
                    half
                };
                [mr, nc, kc] = dims;
            }
            None => {
                return Err(Error::Limit {
                    op: g.op.to_string(),
                    shapes: fmt_shapes(&[g.a.t.shape(), g.b.t.shape()]),
                    detail: format!(
                        "cannot split the product into bindings of at most {} bytes",
                        max_bind * 4
                    ),
                })
            }
        }
    }
}

/// Linear-texture copies of operands made by earlier products, by tensor id, so that products
/// reading the same tensor copy it once (the linear layer's dx = dy W and dW = dy^T x both read
/// dy). Valid while those tensors are not written.
#[derive(Default)]
pub(crate) struct LinearCopies(Vec<(u64, Rc<PooledTexture>)>);

/// Run one product into the view `g.c` (which must not alias A or B), split into launches
/// that fit the binding limits (bit-identical to one launch).
pub(crate) fn gemm_into(g: &Gemm) -> Result<()> {
    gemm_run(g, &mut LinearCopies::default()).map(drop)
}

/// `gemm_into` reusing (and adding to) `copies`; true when it also wrote `g.row_sums`.
/// Row sums ride along in the texture kernel when B is read by columns (as in dW), the
/// product is one layer without bias or scaling, no launch splits its columns and n leaves a
/// spare column in the last tile (n % 32 != 0): the kernel then reads that column of B as ones.
fn gemm_run(g: &Gemm, copies: &mut LinearCopies) -> Result<bool> {
    let gpu = g.a.t.gpu();
    let shapes: &[&[usize]] = &[g.a.t.shape(), g.b.t.shape()];
    // Bindings must exist even without a bias: one element of A stands in (never read with
    // has_bias = 0), so a product without bias costs no extra buffer or fill dispatch.
    let bias = match g.bias {
        Some(b) => b.bind(),
        None => g.a.t.bind_range(0, 1),
    };
    let use_tex = match g.kernel {
        MatmulKernel::Buffer => false,
        MatmulKernel::Auto => chosen_kernel(gpu) == MatmulKernel::Texture,
        MatmulKernel::Texture => {
            if !texture_fits(gpu) {
                return Err(unsupported(
                    g.op,
                    format!(
                        "the texture kernel needs subgroups of >= 8 lanes (shapes {:?} x {:?})",
                        g.a.t.shape(),
                        g.b.t.shape()
                    ),
                ));
            }
            true
        }
    };
    let align = (gpu.limits().min_storage_buffer_offset_alignment as usize / 4).max(1);
    let plan = plan(gpu, g, use_tex)?;
    // Operands copied whole into linear textures, once for every chunk (texture kernel only).
    let linear = if use_tex {
        [
            linear_operand(gpu, g, &plan, true, copies)?,
            linear_operand(gpu, g, &plan, false, copies)?,
        ]
    } else {
        [None, None]
    };
    let cols = linear.iter().flatten().any(|l| l.layout == Layout::Cols);
    let sums = g.row_sums.filter(|_| {
        matches!(&linear[1], Some(l) if l.layout == Layout::Cols)
            && g.batch == 1
            && g.bias.is_none()
            && g.alpha == 1.0
            && !g.n.is_multiple_of(TEX_TILE_N)
            && plan.iter().all(|ch| ch.c0 == 0 && ch.nc == g.n)
    });
    let bias = sums.map_or(bias, |t| t.bind());
    // One chunk of one layer with both operands in linear textures: its k parts run in one
    // launch and are summed after it.
    if let (true, [ch], [Some(_), Some(_)]) = (cols, plan.as_slice(), &linear) {
        let step = parts_k_step(gpu.limits().max_storage_buffer_binding_size as usize, ch);
        if ch.layers == 1 && ch.kc > step {
            let b = bounds(g, ch, align);
            let split = Split {
                step,
                sums: sums.is_some(),
            };
            gemm_texture_parts(gpu, g, ch, &b, shapes, &bias, &linear, split)?;
            return Ok(sums.is_some());
        }
    }
    let plan = if cols { split_k_for_cache(plan) } else { plan };
    for ch in plan {
        let b = bounds(g, &ch, align);
        if use_tex {
            gemm_texture(gpu, g, &ch, &b, shapes, &bias, &linear, sums.is_some())?;
        } else {
            gemm_buffer(gpu, g, &ch, &b, shapes, &bias)?;
        }
    }
    Ok(sums.is_some())
}

/// Bytes of A's and B's rows (`Layout::Cols`: k rows of dy and x in dW = dy^T x) that one
/// launch of a column-linear product reads: a launch's tiles all read the same k rows, so
/// split along k they are read from cache by all but the first tile. Measured on lavapipe at
/// dW 9216 x 540 x 180 (k chunks of 256, 512, 1024, 2304 rows, and 9216 in one launch): one
/// launch 2.5-3.7x the time of the forward product of the same size; 512 rows (1.5 MB) 1.14x,
/// 256 1.31x, 1024 1.21x, 2304 1.36x (medians of 3, alternated; spread +-0.3). Operands are
/// read by columns only where C is within this size too (each launch loads and stores it):
/// at dx = dy W (C 9216 x 180, W read by columns) the k-split launches took 2-3x as long.
const COLS_CHUNK_BYTES: usize = 3 << 19;

/// The k values of a column-linear chunk whose operand rows fill `COLS_CHUNK_BYTES` (whole
/// texels).
fn cols_k_step(ch: &Chunk) -> usize {
    let per_k = (ch.mr + ch.nc) * 4;
    (COLS_CHUNK_BYTES / per_k / K_STEP * K_STEP).max(K_STEP)
}

/// Most bytes of a split product's scratch of partial sums (`gemm_texture_parts`).
const PARTS_BYTES: usize = 32 << 20;

/// The k values per part of a product split in one launch: `cols_k_step`, or more where the
/// parts' scratch would exceed `PARTS_BYTES` or one storage binding (a long k: SwinIR at
/// batch 32 and 64 x 64 patches sums 131,072 tokens; fewer, longer parts read less of their
/// rows from cache, but stay one launch).
fn parts_k_step(budget: usize, ch: &Chunk) -> usize {
    let tile = ch.mr.next_multiple_of(TEX_TILE_M) * ch.nc.next_multiple_of(TEX_TILE_N) * 4;
    let max_parts = (budget.min(PARTS_BYTES) / tile).max(1);
    cols_k_step(ch).max(ch.kc.div_ceil(max_parts).next_multiple_of(K_STEP))
}

/// The plan's chunks split along k into launches of at most `COLS_CHUNK_BYTES` of operand
/// rows (whole texels of k; launches after a chunk's first continue from the raw sums in C,
/// so the result is bit-identical to one launch). Used where a product needs several chunks
/// (bindings over the storage limit); a product of one chunk runs its k parts in one launch
/// instead (`gemm_texture_parts`).
fn split_k_for_cache(plan: Vec<Chunk>) -> Vec<Chunk> {
    let mut out = Vec::new();
    for ch in plan {
        let step = cols_k_step(&ch);
        for k0 in (ch.k0..ch.k0 + ch.kc).step_by(step) {
            out.push(Chunk {
                k0,
                kc: step.min(ch.k0 + ch.kc - k0),
                ..ch
            });
        }
    }
    out
}

/// (row stride, k stride) in elements of the rows the texture kernel reads: A's rows, or B^T's
/// rows (B's columns).
fn operand_strides(v: &View, a_side: bool) -> (usize, usize) {
    if a_side {
        (v.rs, v.cs)
    } else {
        (v.cs, v.rs)
    }
}

/// How the texture kernel reads an operand from its linear-texture copy.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// k contiguous: a texel holds 4 consecutive k values of one row (A's row, B's column).
    Rows,
    /// Rows (of A; columns of B) contiguous: a texel holds 4 consecutive rows at one k, as in
    /// dW = dy^T x, where both operands would otherwise be transposed by `pack`.
    Cols,
}

/// An operand's linear-texture copy and how the kernel reads it.
struct Linear {
    tex: Rc<PooledTexture>,
    layout: Layout,
}

/// The operand's tensor copied into a linear texture, where the texture kernel can read it
/// there: one layer term (lh = 1), offsets and layer strides whole texels, a texture within the
/// limits, and either k contiguous (`Layout::Rows`: k and the row stride multiples of 4) or
/// the rows contiguous (`Layout::Cols`: the k stride a multiple of 4, every chunk's first row
/// too, so a texel never straddles two k values, and every chunk's C within
/// `COLS_CHUNK_BYTES`, since such products run as launches split along k); the stride between
/// the rows of texels the kernel reads together must not be a multiple of 512 bytes (rows
/// that far apart share few L1 sets; `pack` pads such rows). A copy is a memcpy on lavapipe
/// where a pack kernel stores texel by texel (measured at SwinIR's linear layers in the
/// commits that added each layout). A copy already in `copies` is reused.
fn linear_operand(
    gpu: &Gpu,
    g: &Gemm,
    plan: &[Chunk],
    a_side: bool,
    copies: &mut LinearCopies,
) -> Result<Option<Linear>> {
    let v = if a_side { &g.a } else { &g.b };
    let (sr, sk) = operand_strides(v, a_side);
    let numel = v.t.numel();
    let a4 = |x: usize| x.is_multiple_of(4);
    let common =
        g.lh == 1 && a4(v.off) && a4(v.outer) && a4(numel) && gpu.linear_texture_fits(numel / 4);
    let rows = sk == 1 && a4(g.k) && a4(sr) && !sr.is_multiple_of(128);
    let cols = sr == 1
        && a4(sk)
        && plan.iter().all(|ch| ch.mr * ch.nc * 4 <= COLS_CHUNK_BYTES)
        && !sk.is_multiple_of(128)
        && plan.iter().all(|ch| a4(if a_side { ch.r0 } else { ch.c0 }));
    let layout = match (common, rows, cols) {
        (true, true, _) => Layout::Rows,
        (true, false, true) => Layout::Cols,
        _ => return Ok(None),
    };
    let id = v.t.id();
    if let Some((_, tex)) = copies.0.iter().find(|(i, _)| *i == id) {
        let tex = tex.clone();
        return Ok(Some(Linear { tex, layout }));
    }
    let texels = numel / 4;
    let tex = Rc::new(gpu.alloc_linear_texture(g.op, texels)?);
    gpu.copy_to_linear_texture(v.t.buffer(), 0, texels, tex.texture(), 0);
    copies.0.push((id, tex.clone()));
    Ok(Some(Linear { tex, layout }))
}

/// (base texel, row stride (`Layout::Cols`: k stride), layer stride, last texel) of a linear
/// operand for a chunk.
fn linear_strides(v: &View, a_side: bool, ch: &Chunk, layout: Layout) -> [u32; 4] {
    let (sr, sk) = operand_strides(v, a_side);
    let r0 = if a_side { ch.r0 } else { ch.c0 };
    let first = v.off + ch.l0 * v.outer + r0 * sr + ch.k0 * sk;
    let step = match layout {
        Layout::Rows => sr,
        Layout::Cols => sk,
    };
    [
        (first / 4) as u32,
        (step / 4) as u32,
        (v.outer / 4) as u32,
        (v.t.numel() / 4 - 1) as u32,
    ]
}

/// Pack P [rows, k] (P(l, r, kk) = v(l, r, kk), or v(l, kk, r) when `swap`) of layers
/// l0 .. l0 + layers into a padded texture array.
#[allow(clippy::too_many_arguments)]
fn pack(
    gpu: &Gpu,
    g: &Gemm,
    shapes: &[&[usize]],
    b: &Bound,
    swap: bool,
    rows: usize,
    k: usize,
    height: usize,
    l0: usize,
    layers: usize,
) -> Result<PooledTexture> {
    let v = &b.v;
    let kt = k.div_ceil(4);
    // Texture rows an odd number of 64-byte cache lines long (texels past kt are never
    // read): with k = 1024 a row is exactly 4 KiB, so the 32 rows of A and 32 of B^T that
    // a k-step fetches all map to the same L1 set and evict each other. Measured on
    // lavapipe, matmul 1024^3 in one run, min of 7: 80-82 ms unpadded, 57-61 ms padded.
    let max = gpu.limits().max_texture_dimension_2d as usize;
    let width = Some((kt.div_ceil(4) | 1) * 4)
        .filter(|&w| w <= max)
        .unwrap_or(kt);
    // The kernels always read arrays: the pool's array view (kept with the texture, so a
    // reused texture binds the same view and the bind group cache hits; creating a view per
    // call also waited on lavapipe for the running batch).
    let tex = gpu.alloc_texture_view(
        g.op,
        width as u32,
        height as u32,
        layers as u32,
        wgpu::TextureFormat::Rgba32Float,
        true,
    )?;
    let view = tex.view();
    let (sr, sk) = if swap { (v.cs, v.rs) } else { (v.rs, v.cs) };
    let a4 = |x: usize| x.is_multiple_of(4);
    let aligned = a4(v.off) && a4(v.outer) && a4(v.inner) && a4(b.len);
    // Vectorised packs where the view allows vec4 loads (see matmul_pack4.wgsl); the shifted
    // pack binds whole vec4s, so its binding is rounded up to 4 elements within the buffer.
    let len4 = b.len.next_multiple_of(4);
    let shift_ok = sk == 1
        && b.start.is_multiple_of(4)
        && (b.start + len4) as u64 * 4 <= v.t.buffer().size()
        && len4 as u64 * 4 <= gpu.limits().max_storage_buffer_binding_size;
    let (shader, entry, div, workgroups, bind) = if aligned && sk == 1 && a4(sr) && a4(k) {
        let wg = [kt.div_ceil(8), height.div_ceil(8), layers];
        (&shaders::MATMUL_PACK4, entry::PACK4_ROWS, 4, wg, b.bind())
    } else if aligned && sr == 1 && a4(sk) && a4(rows) {
        let wg = [(height / 4).div_ceil(8), kt.div_ceil(8), layers];
        (&shaders::MATMUL_PACK4, entry::PACK4_COLS, 4, wg, b.bind())
    } else if shift_ok {
        let wg = [height.div_ceil(64), kt.div_ceil(8), layers];
        let bind = Bind::Buffer {
            buffer: v.t.buffer(),
            offset: b.start as u64 * 4,
            size: len4 as u64 * 4,
        };
        (&shaders::MATMUL_PACK4, entry::PACK4_SHIFT, 1, wg, bind)
    } else {
        let wg = [kt.div_ceil(8), height.div_ceil(8), layers];
        (&shaders::MATMUL_PACK, entry::MATMUL_PACK, 1, wg, b.bind())
    };
    gpu.launch(Launch {
        op: g.op,
        shapes,
        shader,
        entry,
        overrides: &[],
        // matmul_pack.wgsl and matmul_pack4.wgsl share one struct.
        params: MatmulPackParams {
            rows: rows as u32,
            k: k as u32,
            kt: kt as u32,
            height: height as u32,
            layers: layers as u32,
            l0: l0 as u32,
            lh: g.lh as u32,
            off: (v.off / div) as u32,
            slo: (v.outer / div) as u32,
            sli: (v.inner / div) as u32,
            sr: (sr / div) as u32,
            sk: (sk / div) as u32,
        }
        .words(),
        binds: &[Bind::Texture(view), bind],
        workgroups: workgroups.map(|w| w as u32),
    })?;
    Ok(tex)
}

/// Kernel mode words for a chunk: (accumulate from C, finalize with alpha and bias, bias).
fn modes(g: &Gemm, ch: &Chunk) -> (u32, u32, u32) {
    let last = ch.k0 + ch.kc == g.k;
    (
        (ch.k0 > 0) as u32,
        last as u32,
        (last && g.bias.is_some()) as u32,
    )
}

/// matmul_tex.wgsl's `LINEAR` bits for a chunk (1 / 4 for A read from its linear texture by
/// rows / columns, 2 / 8 for B, 16 for A's row sums into the bias binding) and each linear
/// operand's strides (`linear_strides`; zeros for a packed one).
fn linear_mode(
    g: &Gemm,
    ch: &Chunk,
    linear: &[Option<Linear>; 2],
    row_sums: bool,
) -> (u32, [u32; 4], [u32; 4]) {
    let strides = |l: &Option<Linear>, a_side: bool| {
        let v = if a_side { &g.a } else { &g.b };
        l.as_ref()
            .map_or([0; 4], |l| linear_strides(v, a_side, ch, l.layout))
    };
    let bits = |l: &Option<Linear>, rows: u32| match l.as_ref().map(|l| l.layout) {
        None => 0,
        Some(Layout::Rows) => rows,
        Some(Layout::Cols) => rows * 4,
    };
    let mode = bits(&linear[0], 1) | bits(&linear[1], 2) | if row_sums { 16 } else { 0 };
    (mode, strides(&linear[0], true), strides(&linear[1], false))
}

#[allow(clippy::too_many_arguments)]
fn gemm_texture(
    gpu: &Gpu,
    g: &Gemm,
    ch: &Chunk,
    b: &[Bound; 3],
    shapes: &[&[usize]],
    bias: &Bind,
    linear: &[Option<Linear>; 2],
    row_sums: bool,
) -> Result<()> {
    let mp = ch.mr.next_multiple_of(TEX_TILE_M);
    let np = ch.nc.next_multiple_of(TEX_TILE_N);
    // A as [m, k] rows; B^T as [n, k] rows (B(kk, nn) read with rows and columns swapped),
    // each packed for this chunk unless it is read from its linear texture.
    let (packed_a, packed_b);
    let va = match &linear[0] {
        Some(l) => l.tex.view(),
        None => {
            packed_a = pack(
                gpu, g, shapes, &b[0], false, ch.mr, ch.kc, mp, ch.l0, ch.layers,
            )?;
            packed_a.view()
        }
    };
    let vb = match &linear[1] {
        Some(l) => l.tex.view(),
        None => {
            packed_b = pack(
                gpu, g, shapes, &b[1], true, ch.nc, ch.kc, np, ch.l0, ch.layers,
            )?;
            packed_b.view()
        }
    };
    let (mode, la, lb) = linear_mode(g, ch, linear, row_sums);
    let (acc, fin, has_bias) = modes(g, ch);
    let c = &b[2];
    gpu.launch(Launch {
        op: g.op,
        shapes,
        shader: &shaders::MATMUL_TEX,
        entry: entry::MATMUL_TEX,
        overrides: &[("LINEAR", mode as f64)],
        params: MatmulTexParams {
            m: ch.mr as u32,
            n: ch.nc as u32,
            kt: ch.kc.div_ceil(4) as u32,
            has_bias,
            l0: ch.l0 as u32,
            lh: g.lh as u32,
            off: c.v.off as u32,
            co: c.v.outer as u32,
            ci: c.v.inner as u32,
            cm: c.v.rs as u32,
            alpha: g.alpha,
            boff: if row_sums { ch.r0 } else { ch.c0 } as u32,
            accumulate: acc,
            finalize: fin,
            abase: la[0],
            ars: la[1],
            als: la[2],
            amax: la[3],
            bbase: lb[0],
            brs: lb[1],
            bls: lb[2],
            bmax: lb[3],
            kc: ch.kc as u32,
            kstep4: 0,
        }
        .words(),
        binds: &[c.bind(), Bind::Texture(va), Bind::Texture(vb), *bias],
        workgroups: [
            (np / TEX_TILE_N) as u32,
            (mp / TEX_TILE_M) as u32,
            ch.layers as u32,
        ],
    })
}

/// How `gemm_texture_parts` splits a chunk: k values per part, and whether the spare column
/// holds A's row sums.
struct Split {
    step: usize,
    sums: bool,
}

/// A column-linear chunk (one layer, the whole product) split along k into parts of
/// `split.step` k values that run as the workgroup layers of one launch, each storing its raw
/// sums into a scratch [parts, padded m, padded n], then added in part order by
/// `matmul_sum_parts`, which applies alpha and the bias and routes the row sums (the spare
/// column) to the bias binding. The launches along k that this replaces (`split_k_for_cache`,
/// each continuing the sums in C) cost a dispatch per ~1.5 MB of operand rows: 17 per
/// SwinIR weight gradient, 1,872 dispatches per step. Parts round differently from one
/// chain of sums (each part sums its k values in order, then the parts are added), so a
/// split product matches one launch to rounding, and itself bit for bit on every run.
#[allow(clippy::too_many_arguments)]
fn gemm_texture_parts(
    gpu: &Gpu,
    g: &Gemm,
    ch: &Chunk,
    b: &[Bound; 3],
    shapes: &[&[usize]],
    bias: &Bind,
    linear: &[Option<Linear>; 2],
    split: Split,
) -> Result<()> {
    let mp = ch.mr.next_multiple_of(TEX_TILE_M);
    let np = ch.nc.next_multiple_of(TEX_TILE_N);
    let n_parts = ch.kc.div_ceil(split.step);
    let (Some(la), Some(lb)) = (&linear[0], &linear[1]) else {
        unreachable!("split along k needs both operands in linear textures")
    };
    let parts = Tensor::empty(gpu, g.op, &[n_parts * mp * np])?;
    // Bit 32: the k parts as workgroup layers.
    let (mode, sa, sb) = linear_mode(g, ch, linear, split.sums);
    let mode = mode | 32;
    gpu.launch(Launch {
        op: g.op,
        shapes,
        shader: &shaders::MATMUL_TEX,
        entry: entry::MATMUL_TEX,
        overrides: &[("LINEAR", mode as f64)],
        params: MatmulTexParams {
            m: ch.mr as u32,
            n: ch.nc as u32,
            kt: ch.kc.div_ceil(4) as u32,
            has_bias: 0,
            l0: 0,
            lh: 1,
            off: 0,
            co: (mp * np) as u32,
            ci: 0,
            cm: np as u32,
            alpha: 1.0,
            boff: 0,
            accumulate: 0,
            finalize: 0,
            abase: sa[0],
            ars: sa[1],
            als: sa[2],
            amax: sa[3],
            bbase: sb[0],
            brs: sb[1],
            bls: sb[2],
            bmax: sb[3],
            kc: ch.kc as u32,
            kstep4: (split.step / 4) as u32,
        }
        .words(),
        binds: &[
            parts.bind(),
            Bind::Texture(la.tex.view()),
            Bind::Texture(lb.tex.view()),
            *bias,
        ],
        workgroups: [
            (np / TEX_TILE_N) as u32,
            (mp / TEX_TILE_M) as u32,
            n_parts as u32,
        ],
    })?;
    let nq = (ch.nc + split.sums as usize).div_ceil(4);
    let c = &b[2];
    gpu.launch(Launch {
        op: g.op,
        shapes,
        shader: &shaders::MATMUL_PARTS,
        entry: entry::MATMUL_SUM_PARTS,
        overrides: &[],
        params: MatmulPartsParams {
            m: ch.mr as u32,
            n: ch.nc as u32,
            nq: nq as u32,
            n4: (np / 4) as u32,
            parts: n_parts as u32,
            pstride4: (mp * np / 4) as u32,
            off: c.v.off as u32,
            cm: c.v.rs as u32,
            alpha: g.alpha,
            has_bias: (g.bias.is_some() && !split.sums) as u32,
            boff: if split.sums { ch.r0 } else { ch.c0 } as u32,
            row_sums: split.sums as u32,
        }
        .words(),
        binds: &[c.bind(), parts.bind(), *bias],
        workgroups: [nq.div_ceil(8) as u32, ch.mr.div_ceil(8) as u32, 1],
    })
}

fn gemm_buffer(
    gpu: &Gpu,
    g: &Gemm,
    ch: &Chunk,
    b: &[Bound; 3],
    shapes: &[&[usize]],
    bias: &Bind,
) -> Result<()> {
    let u = |v: usize| v as u32;
    let [a, bb, c] = b;
    let (acc, fin, has_bias) = modes(g, ch);
    gpu.launch(Launch {
        op: g.op,
        shapes,
        shader: &shaders::MATMUL_BUF,
        entry: entry::MATMUL_BUF,
        overrides: &[],
        params: MatmulBufParams {
            m: u(ch.mr),
            n: u(ch.nc),
            k: u(ch.kc),
            sam: u(a.v.rs),
            sak: u(a.v.cs),
            sbk: u(bb.v.rs),
            sbn: u(bb.v.cs),
            has_bias,
            lh: u(g.lh),
            aoff: u(a.v.off),
            alo: u(a.v.outer),
            ali: u(a.v.inner),
            boff: u(bb.v.off),
            blo: u(bb.v.outer),
            bli: u(bb.v.inner),
            coff: u(c.v.off),
            co: u(c.v.outer),
            ci: u(c.v.inner),
            cm: u(c.v.rs),
            alpha: g.alpha,
            l0: u(ch.l0),
            bias_off: u(ch.c0),
            accumulate: acc,
            finalize: fin,
        }
        .words(),
        binds: &[c.bind(), a.bind(), bb.bind(), *bias],
        workgroups: [
            ch.nc.div_ceil(BUF_TILE) as u32,
            ch.mr.div_ceil(BUF_TILE) as u32,
            ch.layers as u32,
        ],
    })
}

/// Rows summed per chunk by the column-sum kernels (a fixed order: results do not depend on
/// the adapter's scheduling).
pub const COLSUM_CHUNK: usize = 64;

/// Blocks of a [rows, cols] matrix whose bindings fit the storage limit: (first row, rows,
/// first column, columns), rows in whole multiples of `chunk` (`chunk` rows at least).
fn blocks(
    gpu: &Gpu,
    op: &str,
    shape: &[usize],
    rows: usize,
    cols: usize,
    chunk: usize,
) -> Result<Vec<(usize, usize, usize, usize)>> {
    let lim = gpu.limits();
    let max_bind = lim.max_storage_buffer_binding_size as usize / 4;
    let align = (lim.min_storage_buffer_offset_alignment as usize / 4).max(1);
    // A block of r rows x c columns spans (r - 1) * cols + c elements (+ alignment slack);
    // workgroup grids fold up to 65535^2 x 64 invocations.
    let budget = max_bind.saturating_sub(align);
    if budget == 0 {
        return Err(Error::Limit {
            op: op.to_string(),
            shapes: fmt_shapes(&[shape]),
            detail: format!(
                "a binding of {} bytes leaves no room past the offset alignment",
                max_bind * 4
            ),
        });
    }
    // Fewer rows than one chunk: the block is those rows.
    let cr = chunk.min(rows).max(1);
    let mut bc = cols.min(budget);
    let br = if cols <= budget {
        let r = (budget - bc) / cols + 1;
        if r >= rows {
            rows
        } else {
            r / chunk * chunk
        }
    } else {
        0
    };
    if br == 0 {
        // Even one chunk of full rows is too wide: blocks of fewer rows inside each chunk
        // (launches after a chunk's first continue its partial sums: same order, same bits).
        let sub = ((budget - bc) / cols + 1).min(cr).max(1);
        if sub == 1 && cols > budget {
            bc = budget;
        }
        let mut out = Vec::new();
        for k0 in (0..rows).step_by(chunk) {
            let k1 = (k0 + chunk).min(rows);
            for r0 in (k0..k1).step_by(sub) {
                for c0 in (0..cols).step_by(bc) {
                    out.push((r0, sub.min(k1 - r0), c0, bc.min(cols - c0)));
                }
            }
        }
        return Ok(out);
    }
    let br = br.min(rows);
    let mut out = Vec::new();
    for r0 in (0..rows).step_by(br) {
        for c0 in (0..cols).step_by(bc) {
            out.push((r0, br.min(rows - r0), c0, bc.min(cols - c0)));
        }
    }
    Ok(out)
}

/// Deterministic column sums of x viewed as [rows, cols] -> [cols]: chunks of
/// `COLSUM_CHUNK` rows summed in order, then the chunk partials summed in order (no atomics).
/// Inputs over the binding limit are summed in blocks of whole chunks and columns.
pub fn column_sums(op: &'static str, x: &Tensor, rows: usize, cols: usize) -> Result<Tensor> {
    let gpu = x.gpu();
    if rows * cols != x.numel() {
        return Err(shape_err(
            op,
            &[x.shape()],
            format!("cannot view as [{rows}, {cols}]"),
        ));
    }
    let align = (gpu.limits().min_storage_buffer_offset_alignment as usize / 4).max(1);
    let nchunks = rows.div_ceil(COLSUM_CHUNK);
    let partial = Tensor::empty(gpu, op, &[nchunks, cols])?;
    for (r0, br, c0, bc) in blocks(gpu, op, x.shape(), rows, cols, COLSUM_CHUNK)? {
        // A block inside one chunk (br < a chunk) sums its rows into that chunk's partials.
        let sub = br < COLSUM_CHUNK && br < rows;
        let (chunk, bchunks) = if sub {
            (br, 1)
        } else {
            (COLSUM_CHUNK, br.div_ceil(COLSUM_CHUNK))
        };
        let ch0 = r0 / COLSUM_CHUNK;
        let first = r0 * cols + c0;
        let xs = first - first % align;
        let pfirst = ch0 * cols + c0;
        let ps = pfirst - pfirst % align;
        gpu.launch(Launch {
            op,
            shapes: &[x.shape()],
            shader: &shaders::MATMUL_COLSUM,
            entry: entry::COLSUM_PARTIAL,
            overrides: &[],
            params: MatmulColsumParams {
                rows: br as u32,
                bcols: bc as u32,
                chunk: chunk as u32,
                bchunks: bchunks as u32,
                stride: cols as u32,
                xoff: (first - xs) as u32,
                poff: (pfirst - ps) as u32,
                accumulate: (sub && r0 % COLSUM_CHUNK != 0) as u32,
            }
            .words(),
            binds: &[
                partial.bind_range(ps, (bchunks - 1) * cols + bc + pfirst - ps),
                x.bind_range(xs, (br - 1) * cols + bc + first - xs),
            ],
            workgroups: grid_for(gpu, bc * bchunks, 64),
        })?;
    }
    sum_partials(op, &partial)
}

/// Sums partial [nchunks, cols] over its rows in order -> [cols].
pub fn sum_partials(op: &'static str, partial: &Tensor) -> Result<Tensor> {
    let gpu = partial.gpu();
    let (nchunks, cols) = match partial.shape() {
        [r, c] => (*r, *c),
        s => return Err(shape_err(op, &[s], "partial sums must be [chunks, cols]")),
    };
    let align = (gpu.limits().min_storage_buffer_offset_alignment as usize / 4).max(1);
    let out = Tensor::empty(gpu, op, &[cols])?;
    for (_, _, c0, bc) in blocks(gpu, op, partial.shape(), nchunks, cols, nchunks)? {
        let xs = c0 - c0 % align;
        gpu.launch(Launch {
            op,
            shapes: &[partial.shape()],
            shader: &shaders::MATMUL_COLSUM,
            entry: entry::COLSUM_FINAL,
            overrides: &[],
            params: MatmulColsumParams {
                rows: nchunks as u32,
                bcols: bc as u32,
                chunk: 1,
                bchunks: nchunks as u32,
                stride: cols as u32,
                xoff: (c0 - xs) as u32,
                poff: (c0 - xs) as u32,
                accumulate: 0,
            }
            .words(),
            binds: &[
                out.bind_range(xs, bc + c0 - xs),
                partial.bind_range(xs, (nchunks - 1) * cols + bc + c0 - xs),
            ],
            workgroups: grid_for(gpu, bc, 64),
        })?;
    }
    Ok(out)
}

/// The output shape of a product: [batch, m, n] when the operand `like` is batched.
fn out_shape(like: &Tensor, batch: usize, m: usize, n: usize) -> Vec<usize> {
    if like.shape().len() == 3 {
        vec![batch, m, n]
    } else {
        vec![m, n]
    }
}

/// (batch, m, k, n) of a product, or a shape error naming `op`.
fn matmul_dims(op: &str, a: &Tensor, b: &Tensor) -> Result<(usize, usize, usize, usize)> {
    let bad = |d: &str| shape_err(op, &[a.shape(), b.shape()], d.to_string());
    match (a.shape(), b.shape()) {
        ([m, k], [k2, n]) if k == k2 => Ok((1, *m, *k, *n)),
        ([ba, m, k], [bb, k2, n]) if ba == bb && k == k2 => Ok((*ba, *m, *k, *n)),
        ([_, _], [_, _]) | ([_, _, _], [_, _, _]) => {
            Err(bad("inner dimensions (or batch sizes) differ"))
        }
        _ => Err(bad("expected [M,K]x[K,N] or [B,M,K]x[B,K,N]")),
    }
}

/// C = A B without recording: [M,K]x[K,N] -> [M,N] or [B,M,K]x[B,K,N] -> [B,M,N].
pub fn matmul_forward(a: &Tensor, b: &Tensor, kernel: MatmulKernel) -> Result<Tensor> {
    let (batch, m, k, n) = matmul_dims("matmul_forward", a, b)?;
    let shape = out_shape(a, batch, m, n);
    gemm(
        Gemm {
            op: "matmul_forward",
            a: View::dense(a, m, k, false),
            b: View::dense(b, k, n, false),
            c: View::dense(a, 0, 0, false),
            batch,
            lh: 1,
            m,
            n,
            k,
            alpha: 1.0,
            bias: None,
            kernel,
            row_sums: None,
        },
        &shape,
    )
}

/// dA = dC B^T.
pub fn matmul_backward_a(dc: &Tensor, b: &Tensor, kernel: MatmulKernel) -> Result<Tensor> {
    let (batch, k, n) = match b.shape() {
        [k, n] => (1, *k, *n),
        [bb, k, n] => (*bb, *k, *n),
        s => return Err(shape_err("matmul_backward_a", &[dc.shape(), s], "bad B")),
    };
    let m = dc.numel() / (batch * n).max(1);
    let shape = out_shape(b, batch, m, k);
    gemm(
        Gemm {
            op: "matmul_backward_a",
            a: View::dense(dc, m, n, false),
            b: View::dense(b, n, k, true),
            c: View::dense(dc, 0, 0, false),
            batch,
            lh: 1,
            m,
            n: k,
            k: n,
            alpha: 1.0,
            bias: None,
            kernel,
            row_sums: None,
        },
        &shape,
    )
}

/// dB = A^T dC.
pub fn matmul_backward_b(a: &Tensor, dc: &Tensor, kernel: MatmulKernel) -> Result<Tensor> {
    let (batch, m, k) = match a.shape() {
        [m, k] => (1, *m, *k),
        [ba, m, k] => (*ba, *m, *k),
        s => return Err(shape_err("matmul_backward_b", &[s, dc.shape()], "bad A")),
    };
    let n = dc.numel() / (batch * m).max(1);
    let shape = out_shape(a, batch, k, n);
    gemm(
        Gemm {
            op: "matmul_backward_b",
            a: View::dense(a, k, m, true),
            b: View::dense(dc, m, n, false),
            c: View::dense(a, 0, 0, false),
            batch,
            lh: 1,
            m: k,
            n,
            k: m,
            alpha: 1.0,
            bias: None,
            kernel,
            row_sums: None,
        },
        &shape,
    )
}

/// Differentiable C = A B ([M,K]x[K,N] or batched [B,M,K]x[B,K,N]), on `auto_kernel`'s choice.
pub fn matmul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    matmul_with(a, b, MatmulKernel::Auto)
}

/// `matmul` on an explicit kernel (forward and backward products alike).
pub fn matmul_with(a: &Tensor, b: &Tensor, kernel: MatmulKernel) -> Result<Tensor> {
    let out = matmul_forward(a, b, kernel)?;
    let (sa, sb) = (a.detach(), b.detach());
    autograd::record("matmul", &[a, b], &out, move |dc, needs| {
        let da = if needs[0] {
            Some(matmul_backward_a(dc, &sb, kernel)?)
        } else {
            None
        };
        let db = if needs[1] {
            Some(matmul_backward_b(&sa, dc, kernel)?)
        } else {
            None
        };
        Ok(vec![da, db])
    });
    Ok(out)
}

fn linear_dims(x: &Tensor, w: &Tensor, b: Option<&Tensor>) -> Result<(usize, usize, usize)> {
    let op = "linear_forward";
    let mut shapes: Vec<&[usize]> = vec![x.shape(), w.shape()];
    if let Some(b) = b {
        shapes.push(b.shape());
    }
    let (m, fin, fout) = match (x.shape(), w.shape()) {
        ([m, i], [o, i2]) if i == i2 => (*m, *i, *o),
        _ => return Err(shape_err(op, &shapes, "expected x [M, in] and w [out, in]")),
    };
    if let Some(b) = b {
        if b.shape() != [fout] {
            return Err(shape_err(op, &shapes, "bias must be [out]"));
        }
    }
    Ok((m, fin, fout))
}

/// y = x W^T (+ b) without recording: x [M, in], w [out, in], b [out] -> [M, out].
pub fn linear_forward(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    kernel: MatmulKernel,
) -> Result<Tensor> {
    let (m, fin, fout) = linear_dims(x, w, b)?;
    gemm(
        Gemm {
            op: "linear_forward",
            a: View::dense(x, m, fin, false),
            b: View::dense(w, fin, fout, true),
            c: View::dense(x, 0, 0, false),
            batch: 1,
            lh: 1,
            m,
            n: fout,
            k: fin,
            alpha: 1.0,
            bias: b,
            kernel,
            row_sums: None,
        },
        &[m, fout],
    )
}

/// The product dx = dy W of a linear layer (dy [M, out], w [out, in]) written to `c`.
fn dx_gemm<'a>(dy: &'a Tensor, w: &'a Tensor, c: &'a Tensor, kernel: MatmulKernel) -> Gemm<'a> {
    let (fout, fin) = (w.shape()[0], w.shape()[1]);
    let m = dy.numel() / fout;
    Gemm {
        op: "linear_backward_input",
        a: View::dense(dy, m, fout, false),
        b: View::dense(w, fout, fin, false),
        c: View::dense(c, m, fin, false),
        batch: 1,
        lh: 1,
        m,
        n: fin,
        k: fout,
        alpha: 1.0,
        bias: None,
        kernel,
        row_sums: None,
    }
}

/// The product dW = dy^T x of a linear layer (dy [M, out], x [M, in]) written to `c`, with
/// dy's column sums to `row_sums` where `gemm_run` can.
fn dw_gemm<'a>(
    dy: &'a Tensor,
    x: &'a Tensor,
    c: &'a Tensor,
    kernel: MatmulKernel,
    row_sums: Option<&'a Tensor>,
) -> Gemm<'a> {
    let (m, fin) = (x.shape()[0], x.shape()[1]);
    let fout = dy.numel() / m;
    Gemm {
        op: "linear_backward_weight",
        a: View::dense(dy, fout, m, true),
        b: View::dense(x, m, fin, false),
        c: View::dense(c, fout, fin, false),
        batch: 1,
        lh: 1,
        m: fout,
        n: fin,
        k: m,
        alpha: 1.0,
        bias: None,
        kernel,
        row_sums,
    }
}

/// dx = dy W: dy [M, out], w [out, in] -> [M, in].
pub fn linear_backward_input(dy: &Tensor, w: &Tensor, kernel: MatmulKernel) -> Result<Tensor> {
    let (fout, fin) = (w.shape()[0], w.shape()[1]);
    let dx = Tensor::empty(dy.gpu(), "linear_backward_input", &[dy.numel() / fout, fin])?;
    gemm_into(&dx_gemm(dy, w, &dx, kernel))?;
    Ok(dx)
}

/// dW = dy^T x: dy [M, out], x [M, in] -> [out, in].
pub fn linear_backward_weight(dy: &Tensor, x: &Tensor, kernel: MatmulKernel) -> Result<Tensor> {
    let (m, fin) = (x.shape()[0], x.shape()[1]);
    let dw = Tensor::empty(dy.gpu(), "linear_backward_weight", &[dy.numel() / m, fin])?;
    gemm_into(&dw_gemm(dy, x, &dw, kernel, None))?;
    Ok(dw)
}

/// db = column sums of dy [M, out].
pub fn linear_backward_bias(dy: &Tensor) -> Result<Tensor> {
    let (m, fout) = (dy.shape()[0], dy.shape()[1]);
    column_sums("linear_backward_bias", dy, m, fout)
}

/// The linear layer's gradients (dx, dW, db), each where `needs` asks for it, as `linear`'s
/// backward runs them: dx and dW share dy's linear-texture copy, and db is summed by dW's
/// launches where the texture kernel can (`gemm_run`; its summation order is then k
/// ascending, not `column_sums`' chunks, so its bits differ from `linear_backward_bias`), else
/// by `linear_backward_bias`. dx and dW are bit-identical to `linear_backward_input` /
/// `linear_backward_weight`.
pub fn linear_backward(
    dy: &Tensor,
    x: &Tensor,
    w: &Tensor,
    needs: [bool; 3],
    kernel: MatmulKernel,
) -> Result<[Option<Tensor>; 3]> {
    let (m, fin) = (x.shape()[0], x.shape()[1]);
    let fout = w.shape()[0];
    let mut copies = LinearCopies::default();
    let dx = if needs[0] {
        let dx = Tensor::empty(x.gpu(), "linear_backward_input", &[m, fin])?;
        gemm_run(&dx_gemm(dy, w, &dx, kernel), &mut copies)?;
        Some(dx)
    } else {
        None
    };
    let mut db = if needs[2] {
        Some(Tensor::empty(x.gpu(), "linear_backward_bias", &[fout])?)
    } else {
        None
    };
    let mut summed = false;
    let dw = if needs[1] {
        let dw = Tensor::empty(x.gpu(), "linear_backward_weight", &[fout, fin])?;
        summed = gemm_run(&dw_gemm(dy, x, &dw, kernel, db.as_ref()), &mut copies)?;
        Some(dw)
    } else {
        None
    };
    if needs[2] && !summed {
        db = Some(linear_backward_bias(dy)?);
    }
    Ok([dx, dw, db])
}

/// Differentiable y = x W^T + b (x [M, in], w [out, in], b [out]), on `auto_kernel`'s choice.
pub fn linear(x: &Tensor, w: &Tensor, b: Option<&Tensor>) -> Result<Tensor> {
    linear_with(x, w, b, MatmulKernel::Auto)
}

/// `linear` on an explicit kernel (forward and backward products alike).
pub fn linear_with(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    kernel: MatmulKernel,
) -> Result<Tensor> {
    let y = linear_forward(x, w, b, kernel)?;
    let (sx, sw) = (x.detach(), w.detach());
    let mut inputs = vec![x, w];
    if let Some(b) = b {
        inputs.push(b);
    }
    autograd::record("linear", &inputs, &y, move |dy, needs| {
        let has_bias = needs.len() > 2;
        let want = [needs[0], needs[1], has_bias && needs[2]];
        let mut g = Vec::from(linear_backward(dy, &sx, &sw, want, kernel)?);
        g.truncate(needs.len());
        Ok(g)
    });
    Ok(y)
}

/// f64 CPU references.
pub mod reference {
    /// Batched C[b] = A[b] B[b] with A [batch, m, k], B [batch, k, n].
    pub fn matmul(a: &[f64], b: &[f64], batch: usize, m: usize, k: usize, n: usize) -> Vec<f64> {
        let mut c = vec![0.0; batch * m * n];
        for l in 0..batch {
            for i in 0..m {
                for j in 0..n {
                    let mut s = 0.0;
                    for t in 0..k {
                        s += a[l * m * k + i * k + t] * b[l * k * n + t * n + j];
                    }
                    c[l * m * n + i * n + j] = s;
                }
            }
        }
        c
    }

    /// y = x W^T + b with x [m, fin], w [fout, fin].
    pub fn linear(x: &[f64], w: &[f64], b: Option<&[f64]>, m: usize, fin: usize) -> Vec<f64> {
        let fout = w.len() / fin;
        let mut y = vec![0.0; m * fout];
        for i in 0..m {
            for o in 0..fout {
                let mut s = b.map_or(0.0, |b| b[o]);
                for t in 0..fin {
                    s += x[i * fin + t] * w[o * fin + t];
                }
                y[i * fout + o] = s;
            }
        }
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(mr: usize, nc: usize, kc: usize) -> Chunk {
        Chunk {
            l0: 0,
            layers: 1,
            r0: 0,
            mr,
            c0: 0,
            nc,
            k0: 0,
            kc,
        }
    }

    /// Parts of ~1.5 MB of operand rows while their scratch fits; longer parts (whole texels)
    /// once it would not, so that the scratch stays within the budget and one binding.
    #[test]
    fn k_parts_keep_their_scratch_within_the_budget() {
        // SwinIR's qkv weight gradient: 544 k values per part, 17 parts of 544 x 192 floats.
        let qkv = chunk(540, 180, 9216);
        assert_eq!(parts_k_step(usize::MAX, &qkv), 544);
        assert_eq!(parts_k_step(usize::MAX, &qkv), cols_k_step(&qkv));
        let tile = 544 * 192 * 4;
        for (budget, kc) in [(usize::MAX, 1 << 22), (10 * tile + 5, 9216), (tile, 9216)] {
            let ch = chunk(540, 180, kc);
            let step = parts_k_step(budget, &ch);
            let parts = kc.div_ceil(step);
            assert_eq!(step % K_STEP, 0, "{budget} {kc}");
            assert!(step >= cols_k_step(&ch));
            assert!(
                parts * tile <= budget.min(PARTS_BYTES),
                "{budget} {kc}: {parts}"
            );
        }
        // A budget below one part's scratch leaves one part: no split.
        assert_eq!(parts_k_step(tile - 1, &qkv), 9216);
    }
}
