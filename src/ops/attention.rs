//! Swin window attention: `window_attention(qkv [B*nW, n, 3C], table [(2w-1)^2, heads], heads,
//! win, shift, h, w) -> [B*nW, n, C]` computes, per window and head,
//! softmax(q k^T head_dim^-0.5 + table[relative_position_index] + mask) v, with SwinIR's
//! layout (the last dim of qkv holds q, k, v of C = heads * head_dim each, head-major) and
//! SwinIR's shift mask (-100 between the 3x3 regions of the shifted map) when shift > 0.
//! The relative position index and the mask are computed in the kernels from (win, shift, h, w).
//!
//! The products (q k^T, P v and the four of the backward) run on matmul's kernels through
//! strided views of qkv (no copies of head slices); shaders/attention_softmax.wgsl adds the
//! scale, bias and mask and normalises in place (saving P), attention_softmax_backward.wgsl
//! gives dS, and attention_backward_table.wgsl sums dS (over windows by matmul's
//! deterministic column sums) into the bias-table gradient.
//!
//! Two implementations (`AttentionKernel`); `Auto` (what `window_attention` uses) takes the
//! fused one wherever `fused_unsupported` finds nothing against it:
//! - `Fused` (shaders/attention_fused_*.wgsl): qkv is copied as it is (a buffer-to-texture
//!   copy, no kernel: `fused_copy`) into a "linear" rgba32float texture array (4096 texels a
//!   row), from which the kernels read each head's slice texel by texel (two neighbouring
//!   texels give one when the slice starts inside a texel); bias + mask go into a small texture
//!   per window type (attention_fused_bias.wgsl). The forward kernel computes, per (window, head) and 32
//!   query rows, scores, bias, mask, an online softmax and the value product with no score
//!   tensor, k and v shared across an 8-lane subgroup by `subgroupBroadcast`, and saves the
//!   row log-sum-exp. The backward is one kernel that recomputes P from it once instead of
//!   storing anything of size n x n: per (head, chunk of 16 windows) an 8-lane workgroup
//!   holds a window's keys (8 per lane), walks its queries 8 at a time (D = rowsum(dout *
//!   out) as it reads them), gives dk and dv in registers, dq by a fixed-order subgroup
//!   reduce-scatter of the lanes' partial sums, and dS summed over the chunk, which feeds the
//!   same deterministic bias-table gradient (no float atomics; results do not depend on the
//!   adapter's limits).
//!   The forward keeps the qkv texture for the backward (20 MB at SwinIR's 4 x 48 x 48,
//!   where the products keep 14 MB of probabilities).
//!   Needs subgroups of >= 8 lanes, head_dim <= 32 (SwinIR: 30, light: 10), n = win^2 a
//!   multiple of 4 and at most 64 (windows 2, 4, 6, 8; not 7 or 12) and textures and
//!   bindings within the adapter's limits; elsewhere (GL, 4-lane subgroups, other shapes)
//!   `Auto` uses:
//! - `Products(mk)`: the products on matmul's kernel `mk`, as above (any shape, any adapter).

use crate::autograd;
use crate::error::{shape_err, unsupported, Result};
use crate::gpu::params::{
    entry, AttentionBackwardTableParams, AttentionFusedBiasParams, AttentionFusedForwardParams,
    AttentionSoftmaxBackwardParams, AttentionSoftmaxParams, KernelParams,
};
use crate::gpu::{shaders, Bind, Gpu, Launch, PooledTexture, LINEAR_TW};
use crate::ops::layernorm::row_blocks;
use crate::ops::matmul::{column_sums, gemm_into, Gemm, MatmulKernel, View};
use crate::tensor::{grid_for, Tensor};

/// The geometry of one call.
#[derive(Clone, Copy, Debug)]
struct Geom {
    windows: usize,
    n: usize,
    c: usize,
    heads: usize,
    hd: usize,
    win: usize,
    shift: usize,
    h: usize,
    w: usize,
}

impl Geom {
    fn groups(&self) -> usize {
        self.windows * self.heads
    }
    fn scale(&self) -> f32 {
        (self.hd as f32).powf(-0.5)
    }
}

fn geom(
    qkv: &Tensor,
    table: &Tensor,
    heads: usize,
    win: usize,
    shift: usize,
    h: usize,
    w: usize,
) -> Result<Geom> {
    let op = "window_attention";
    let shapes: &[&[usize]] = &[qkv.shape(), table.shape(), &[heads, win, shift, h, w]];
    let err = |d: String| shape_err(op, shapes, d);
    let (windows, n, c3) = match qkv.shape() {
        [b, n, c3] => (*b, *n, *c3),
        _ => return Err(err("qkv must be [B*nW, win*win, 3C]".into())),
    };
    if win == 0 || n != win * win {
        return Err(err(format!(
            "qkv holds {n} tokens per window, window {win} needs {}",
            win * win
        )));
    }
    if heads == 0 || c3 % 3 != 0 || (c3 / 3) % heads != 0 || c3 == 0 {
        return Err(err(format!(
            "3C = {c3} is not 3 x heads ({heads}) x head_dim"
        )));
    }
    if !h.is_multiple_of(win) || !w.is_multiple_of(win) || h == 0 || w == 0 || shift >= win {
        return Err(err(format!(
            "the map {h}x{w} must be a multiple of the window {win}, shift {shift} < window"
        )));
    }
    let nw = (h / win) * (w / win);
    if windows % nw != 0 {
        return Err(err(format!(
            "{windows} windows is not a multiple of {nw} per image"
        )));
    }
    let span = 2 * win - 1;
    if table.shape() != [span * span, heads] {
        return Err(err(format!("table must be [{}, {heads}]", span * span)));
    }
    let c = c3 / 3;
    let hd = c / heads;
    Ok(Geom {
        windows,
        n,
        c,
        heads,
        hd,
        win,
        shift,
        h,
        w,
    })
}

/// q, k or v (part 0, 1, 2) of qkv [windows, n, 3C] as per-(window, head) views [n, hd];
/// `trans` views it as [hd, n].
fn qkv_view<'a>(qkv: &'a Tensor, g: &Geom, part: usize, trans: bool) -> View<'a> {
    let (rs, cs) = if trans { (1, 3 * g.c) } else { (3 * g.c, 1) };
    View {
        t: qkv,
        off: part * g.c,
        outer: g.n * 3 * g.c,
        inner: g.hd,
        rs,
        cs,
    }
}

/// out or dout [windows, n, C] as per-(window, head) views [n, hd].
fn out_view<'a>(t: &'a Tensor, g: &Geom) -> View<'a> {
    View {
        t,
        off: 0,
        outer: g.n * g.c,
        inner: g.hd,
        rs: g.c,
        cs: 1,
    }
}

/// scores, probabilities or their gradients [windows * heads, n, n] (`trans`: each [n, n]
/// transposed).
fn square_view<'a>(t: &'a Tensor, g: &Geom, trans: bool) -> View<'a> {
    let nn = g.n * g.n;
    View {
        outer: g.heads * nn,
        inner: nn,
        ..View::dense(t, g.n, g.n, trans)
    }
}

/// One per-(window, head) product C = alpha A B, A [m, k], B [k, n], into the view c.
#[allow(clippy::too_many_arguments)]
fn product(
    op: &'static str,
    g: &Geom,
    a: View,
    b: View,
    c: View,
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    kernel: MatmulKernel,
) -> Result<()> {
    gemm_into(&Gemm {
        op,
        a,
        b,
        c,
        batch: g.groups(),
        lh: g.heads,
        m,
        n,
        k,
        alpha,
        bias: None,
        kernel,
        row_sums: None,
    })
}

/// The products forward: (out [B*nW, n, C], probabilities [B*nW, heads, n, n]).
fn products_forward(
    g: &Geom,
    qkv: &Tensor,
    table: &Tensor,
    mk: MatmulKernel,
) -> Result<(Tensor, Tensor)> {
    let g = *g;
    let gpu = qkv.gpu();
    let op = "window_attention_forward";
    let probs = Tensor::empty(gpu, op, &[g.windows, g.heads, g.n, g.n])?;
    // S = q k^T (unscaled; the softmax kernel scales).
    let (q, kt) = (qkv_view(qkv, &g, 0, false), qkv_view(qkv, &g, 1, true));
    product(
        op,
        &g,
        q,
        kt,
        square_view(&probs, &g, false),
        g.n,
        g.n,
        g.hd,
        1.0,
        mk,
    )?;
    let shapes: &[&[usize]] = &[qkv.shape(), table.shape()];
    for (r0, rows) in row_blocks(gpu, op, shapes, g.groups() * g.n, &[g.n], 1)? {
        gpu.launch(Launch {
            op,
            shapes,
            shader: &shaders::ATTENTION_SOFTMAX,
            entry: entry::ATTENTION_SOFTMAX,
            overrides: &[],
            params: AttentionSoftmaxParams {
                n: g.n as u32,
                heads: g.heads as u32,
                win: g.win as u32,
                shift: g.shift as u32,
                h: g.h as u32,
                w: g.w as u32,
                rows: rows as u32,
                scale: g.scale(),
                row0: r0 as u32,
            }
            .words(),
            binds: &[probs.bind_range(r0 * g.n, rows * g.n), table.bind()],
            workgroups: grid_for(gpu, rows, 64),
        })?;
    }
    let out = Tensor::empty(gpu, op, &[g.windows, g.n, g.c])?;
    let v = qkv_view(qkv, &g, 2, false);
    product(
        op,
        &g,
        square_view(&probs, &g, false),
        v,
        out_view(&out, &g),
        g.n,
        g.hd,
        g.n,
        1.0,
        mk,
    )?;
    Ok((out, probs))
}

/// (dqkv [B*nW, n, 3C], dS [B*nW, heads, n, n]) from dout, qkv and the saved probabilities.
fn backward_qkv(
    g: &Geom,
    dout: &Tensor,
    qkv: &Tensor,
    probs: &Tensor,
    mk: MatmulKernel,
) -> Result<(Tensor, Tensor)> {
    let gpu = qkv.gpu();
    let op = "window_attention_backward_qkv";
    let (n, hd) = (g.n, g.hd);
    // dP = dout v^T, then dS = P (dP - rowsum(P dP)) in place.
    let ds = Tensor::empty(gpu, op, probs.shape())?;
    let vt = qkv_view(qkv, g, 2, true);
    product(
        op,
        g,
        out_view(dout, g),
        vt,
        square_view(&ds, g, false),
        n,
        n,
        hd,
        1.0,
        mk,
    )?;
    let shapes: &[&[usize]] = &[dout.shape(), qkv.shape()];
    for (r0, rows) in row_blocks(gpu, op, shapes, g.groups() * n, &[n], 1)? {
        gpu.launch(Launch {
            op,
            shapes,
            shader: &shaders::ATTENTION_SOFTMAX_BACKWARD,
            entry: entry::ATTENTION_SOFTMAX_BACKWARD,
            overrides: &[],
            params: AttentionSoftmaxBackwardParams {
                n: n as u32,
                rows: rows as u32,
            }
            .words(),
            binds: &[
                ds.bind_range(r0 * n, rows * n),
                probs.bind_range(r0 * n, rows * n),
            ],
            workgroups: grid_for(gpu, rows, 64),
        })?;
    }
    let dqkv = Tensor::empty(gpu, op, qkv.shape())?;
    let s = g.scale();
    // dq = scale dS k, dk = scale dS^T q, dv = P^T dout.
    let k = qkv_view(qkv, g, 1, false);
    product(
        op,
        g,
        square_view(&ds, g, false),
        k,
        qkv_view(&dqkv, g, 0, false),
        n,
        hd,
        n,
        s,
        mk,
    )?;
    let q = qkv_view(qkv, g, 0, false);
    product(
        op,
        g,
        square_view(&ds, g, true),
        q,
        qkv_view(&dqkv, g, 1, false),
        n,
        hd,
        n,
        s,
        mk,
    )?;
    let pt = square_view(probs, g, true);
    product(
        op,
        g,
        pt,
        out_view(dout, g),
        qkv_view(&dqkv, g, 2, false),
        n,
        hd,
        n,
        1.0,
        mk,
    )?;
    Ok((dqkv, ds))
}

/// dtable [(2w-1)^2, heads] from dS [slices, heads, n, n] (per window, or already summed over
/// groups of windows), summed over the slices in a fixed order.
fn backward_table(g: &Geom, ds: &Tensor, slices: usize) -> Result<Tensor> {
    let gpu = ds.gpu();
    let op = "window_attention_backward_table";
    let per_window = g.heads * g.n * g.n;
    let summed = column_sums(op, ds, slices, per_window)?;
    let span = 2 * g.win - 1;
    let dtable = Tensor::empty(gpu, op, &[span * span, g.heads])?;
    let entries = span * span * g.heads;
    gpu.launch(Launch {
        op,
        shapes: &[ds.shape()],
        shader: &shaders::ATTENTION_BACKWARD_TABLE,
        entry: entry::ATTENTION_BACKWARD_TABLE,
        overrides: &[],
        params: AttentionBackwardTableParams {
            win: g.win as u32,
            heads: g.heads as u32,
            entries: entries as u32,
        }
        .words(),
        binds: &[dtable.bind(), summed.bind()],
        workgroups: [entries.div_ceil(64) as u32, 1, 1],
    })?;
    Ok(dtable)
}

/// Which implementation computes window attention (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttentionKernel {
    /// `Fused` where it can run (`fused_unsupported` is None), else `Products`.
    Auto,
    /// The fused per-window kernels; an error where they cannot run.
    Fused,
    /// matmul products (on the given matmul kernel) plus softmax kernels (every shape and
    /// adapter).
    Products(MatmulKernel),
}

/// What the forward keeps for the backward.
pub struct Saved(SavedBy);

enum SavedBy {
    /// `Products`: the probabilities [B*nW, heads, n, n] and the matmul kernel that made them
    /// (the backward's products run on it too).
    Probs(Tensor, MatmulKernel),
    /// `Fused`: the output, each score row's log-sum-exp [B*nW, heads, n] and the
    /// qkv and bias textures (kept rather than made again).
    Fused {
        out: Tensor,
        lse: Tensor,
        tex: Box<FusedTextures>,
    },
}

impl Saved {
    /// The probabilities, where the products computed them.
    pub fn probs(&self) -> Option<&Tensor> {
        match &self.0 {
            SavedBy::Probs(p, _) => Some(p),
            SavedBy::Fused { .. } => None,
        }
    }
    /// True when the fused kernels made it.
    pub fn is_fused(&self) -> bool {
        matches!(self.0, SavedBy::Fused { .. })
    }
}

/// qkv as a linear texture (`fused_copy`) and bias + mask (attention_fused_bias.wgsl).
struct FusedTextures {
    qkv: PooledTexture,
    bias: PooledTexture,
}

/// Query rows per workgroup of the fused forward (8 lanes x 4 rows).
const FUSED_ROWS: usize = 32;
/// Windows per workgroup of the fused backward (attention_fused_backward.wgsl `WC`; its
/// workgroup holds a window's keys, up to 64).
const FUSED_WINDOW_CHUNK: usize = 16;

/// Texels (4 values) of one head's slice.
fn texels(g: &Geom) -> usize {
    g.hd.div_ceil(4)
}

/// Why the fused kernels cannot compute this call on this adapter, or None when they can.
fn fused_unsupported_geom(gpu: &Gpu, g: &Geom) -> Option<String> {
    if !gpu.subgroup_kernels_usable() {
        return Some("the fused kernels need subgroups of >= 8 lanes".into());
    }
    if g.hd > 32 {
        return Some(format!("head_dim {} > 32", g.hd));
    }
    if !g.n.is_multiple_of(4) || g.n > 64 {
        return Some(format!(
            "window {} has {} tokens (the fused kernels need a multiple of 4, at most 64)",
            g.win, g.n
        ));
    }
    let l = gpu.limits();
    // The largest linear texture: qkv (dout and out of the backward take 2C of its 3C per
    // token, plus at most one row of padding).
    let per_part = (g.windows * g.n * g.c).div_ceil(4);
    let texels = (3 * per_part).max(2 * per_part.div_ceil(LINEAR_TW) * LINEAR_TW);
    if !gpu.linear_texture_fits(texels) || g.n > l.max_texture_dimension_2d as usize {
        return Some(format!(
            "a linear texture of {texels} texels does not fit the adapter's texture limits"
        ));
    }
    if 4 * g.heads > l.max_texture_array_layers as usize {
        return Some(format!(
            "{} bias layers exceed {}",
            4 * g.heads,
            l.max_texture_array_layers
        ));
    }
    let bind = l.max_storage_buffer_binding_size as usize;
    let chunks = g.windows.div_ceil(FUSED_WINDOW_CHUNK);
    let biggest = (g.windows * g.n * 3 * g.c).max(chunks * g.heads * g.n * g.n) * 4;
    if biggest > bind {
        return Some(format!(
            "a binding of {biggest} bytes exceeds the storage binding limit {bind}"
        ));
    }
    let per_dim = l.max_compute_workgroups_per_dimension as usize;
    if g.groups().div_ceil(per_dim) > per_dim || 3 * g.heads > per_dim || g.heads * chunks > per_dim
    {
        return Some("too many workgroups".into());
    }
    None
}

/// Why `AttentionKernel::Fused` cannot compute this call, or None when it can (`Auto` then
/// uses it).
#[allow(clippy::too_many_arguments)]
pub fn fused_unsupported(
    qkv: &Tensor,
    table: &Tensor,
    heads: usize,
    win: usize,
    shift: usize,
    h: usize,
    w: usize,
) -> Result<Option<String>> {
    let g = geom(qkv, table, heads, win, shift, h, w)?;
    Ok(fused_unsupported_geom(qkv.gpu(), &g))
}

/// The kernels `Auto` runs: the fused ones on CPU adapters where they can run (their 8-lane
/// subgroup workgroups are the lavapipe design), the products (on matmul's tiled kernel) on
/// GPUs and wherever the fused ones cannot run. The one place that decides.
pub fn auto_kernel(is_cpu: bool, fused_runs: bool) -> AttentionKernel {
    if is_cpu && fused_runs {
        AttentionKernel::Fused
    } else {
        AttentionKernel::Products(MatmulKernel::Auto)
    }
}

/// True to run the fused kernels: `Auto` per `auto_kernel`; `Fused` or an error naming why not.
fn use_fused(gpu: &Gpu, g: &Geom, kernel: AttentionKernel) -> Result<bool> {
    match kernel {
        AttentionKernel::Products(_) => Ok(false),
        AttentionKernel::Auto => Ok(auto_kernel(
            gpu.is_cpu(),
            fused_unsupported_geom(gpu, g).is_none(),
        ) == AttentionKernel::Fused),
        AttentionKernel::Fused => match fused_unsupported_geom(gpu, g) {
            None => Ok(true),
            Some(why) => Err(unsupported("window_attention", why)),
        },
    }
}

/// Workgroups for (x, groups) with the groups folded into y and z (shaders: g = y + z * ny).
fn fused_grid(gpu: &Gpu, x: usize, groups: usize) -> [u32; 3] {
    let per_dim = gpu.limits().max_compute_workgroups_per_dimension as usize;
    let y = groups.min(per_dim);
    [x as u32, y as u32, groups.div_ceil(y) as u32]
}

/// Copy each tensor (`numel` a multiple of 4) as it is into `dst` from linear texel `at` on
/// (`gpu::linear_dims`), recorded in stream order with the dispatches around it.
fn fused_copy(gpu: &Gpu, dst: &PooledTexture, srcs: &[(&Tensor, usize)]) {
    for &(src, at) in srcs {
        gpu.copy_to_linear_texture(src.buffer(), 0, src.numel() / 4, dst.texture(), at);
    }
}

/// qkv as a linear texture, and the bias + mask texture (attention_fused_bias.wgsl).
fn fused_operands(
    op: &'static str,
    g: &Geom,
    qkv: &Tensor,
    table: &Tensor,
) -> Result<FusedTextures> {
    let gpu = qkv.gpu();
    let tq = gpu.alloc_linear_texture(op, qkv.numel() / 4)?;
    fused_copy(gpu, &tq, &[(qkv, 0)]);
    let types = if g.shift > 0 { 4 } else { 1 };
    let tb = gpu.alloc_texture_view(
        op,
        (g.n / 4) as u32,
        g.n as u32,
        (types * g.heads) as u32,
        wgpu::TextureFormat::Rgba32Float,
        true,
    )?;
    gpu.launch(Launch {
        op,
        shapes: &[table.shape()],
        shader: &shaders::ATTENTION_FUSED_BIAS,
        entry: entry::ATTENTION_FUSED_BIAS,
        overrides: &[],
        params: AttentionFusedBiasParams {
            n: g.n as u32,
            heads: g.heads as u32,
            win: g.win as u32,
            shift: g.shift as u32,
            types: types as u32,
        }
        .words(),
        binds: &[Bind::Texture(tb.view()), table.bind()],
        workgroups: [
            (g.n / 4).div_ceil(8) as u32,
            g.n.div_ceil(8) as u32,
            (types * g.heads) as u32,
        ],
    })?;
    Ok(FusedTextures { qkv: tq, bias: tb })
}

/// The parameter words shared by the fused forward and backward kernels.
fn fused_params(g: &Geom, obase: usize) -> AttentionFusedForwardParams {
    AttentionFusedForwardParams {
        n: g.n as u32,
        heads: g.heads as u32,
        hd: g.hd as u32,
        c: g.c as u32,
        obase: obase as u32,
        nwx: (g.w / g.win) as u32,
        nwy: (g.h / g.win) as u32,
        shift: g.shift as u32,
        scale: g.scale(),
        groups: g.groups() as u32,
    }
}

/// The fused forward: out [B*nW, n, C] and what the backward needs.
fn fused_forward(g: &Geom, qkv: &Tensor, table: &Tensor) -> Result<(Tensor, Saved)> {
    let gpu = qkv.gpu();
    let op = "window_attention_forward";
    let tex = fused_operands(op, g, qkv, table)?;
    let (tq, tb) = (&tex.qkv, &tex.bias);
    let out = Tensor::empty(gpu, op, &[g.windows, g.n, g.c])?;
    let lse = Tensor::empty(gpu, op, &[g.windows, g.heads, g.n])?;
    gpu.launch(Launch {
        op,
        shapes: &[qkv.shape(), table.shape()],
        shader: &shaders::ATTENTION_FUSED_FORWARD,
        entry: entry::ATTENTION_FUSED_FORWARD,
        overrides: &[("DT", texels(g) as f64)],
        params: fused_params(g, 0).words(),
        binds: &[
            out.bind(),
            lse.bind(),
            Bind::Texture(tq.view()),
            Bind::Texture(tb.view()),
        ],
        workgroups: fused_grid(gpu, g.n.div_ceil(FUSED_ROWS), g.groups()),
    })?;
    let saved = Saved(SavedBy::Fused {
        out: out.detach(),
        lse,
        tex: Box::new(tex),
    });
    Ok((out, saved))
}

/// The fused backward: (dqkv, the sums of dS over chunks of windows [chunks, heads, n, n])
/// from dout and the forward's out, lse and textures.
fn fused_backward(
    g: &Geom,
    dout: &Tensor,
    out: &Tensor,
    lse: &Tensor,
    tex: &FusedTextures,
) -> Result<(Tensor, Tensor)> {
    let gpu = dout.gpu();
    let op = "window_attention_backward_qkv";
    let shapes: &[&[usize]] = &[dout.shape(), out.shape()];
    // dout from texel 0, out from the next texture row on.
    let obase = (dout.numel() / 4).div_ceil(LINEAR_TW) * LINEAR_TW;
    let td = gpu.alloc_linear_texture(op, obase + out.numel() / 4)?;
    fused_copy(gpu, &td, &[(dout, 0), (out, obase)]);
    let dqkv = Tensor::empty(gpu, op, &[g.windows, g.n, 3 * g.c])?;
    let chunks = g.windows.div_ceil(FUSED_WINDOW_CHUNK);
    let dsum = Tensor::empty(gpu, op, &[chunks, g.heads, g.n, g.n])?;
    gpu.launch(Launch {
        op,
        shapes,
        shader: &shaders::ATTENTION_FUSED_BACKWARD,
        entry: entry::ATTENTION_FUSED_BACKWARD,
        overrides: &[("DT", texels(g) as f64)],
        params: fused_params(g, obase).words(),
        binds: &[
            dqkv.bind(),
            dsum.bind(),
            lse.bind(),
            Bind::Texture(tex.qkv.view()),
            Bind::Texture(td.view()),
            Bind::Texture(tex.bias.view()),
        ],
        workgroups: [1, (g.heads * chunks) as u32, 1],
    })?;
    Ok((dqkv, dsum))
}

/// Forward without recording: out [B*nW, n, C] and what the backward needs.
#[allow(clippy::too_many_arguments)]
pub fn window_attention_forward(
    qkv: &Tensor,
    table: &Tensor,
    heads: usize,
    win: usize,
    shift: usize,
    h: usize,
    w: usize,
    kernel: AttentionKernel,
) -> Result<(Tensor, Saved)> {
    let g = geom(qkv, table, heads, win, shift, h, w)?;
    if use_fused(qkv.gpu(), &g, kernel)? {
        fused_forward(&g, qkv, table)
    } else {
        let mk = match kernel {
            AttentionKernel::Products(mk) => mk,
            _ => MatmulKernel::Auto,
        };
        let (out, probs) = products_forward(&g, qkv, table, mk)?;
        Ok((out, Saved(SavedBy::Probs(probs, mk))))
    }
}

/// (dqkv, dS summed over groups of windows [groups, heads, n, n], groups) by the
/// implementation that made `saved`.
fn backward_any(
    g: &Geom,
    dout: &Tensor,
    qkv: &Tensor,
    saved: &Saved,
) -> Result<(Tensor, Tensor, usize)> {
    match &saved.0 {
        SavedBy::Probs(probs, mk) => {
            let (dqkv, ds) = backward_qkv(g, dout, qkv, probs, *mk)?;
            Ok((dqkv, ds, g.windows))
        }
        SavedBy::Fused { out, lse, tex } => {
            let (dqkv, dsum) = fused_backward(g, dout, out, lse, tex)?;
            Ok((dqkv, dsum, g.windows.div_ceil(FUSED_WINDOW_CHUNK)))
        }
    }
}

/// Gradients (dqkv, dtable) of `window_attention` given dout and what the forward saved.
#[allow(clippy::too_many_arguments)]
pub fn window_attention_backward(
    dout: &Tensor,
    qkv: &Tensor,
    table: &Tensor,
    saved: &Saved,
    heads: usize,
    win: usize,
    shift: usize,
    h: usize,
    w: usize,
) -> Result<(Tensor, Tensor)> {
    let g = geom(qkv, table, heads, win, shift, h, w)?;
    if dout.shape() != [g.windows, g.n, g.c] {
        return Err(shape_err(
            "window_attention_backward",
            &[dout.shape(), qkv.shape()],
            "dout must be [B*nW, n, C]",
        ));
    }
    let (dqkv, ds, slices) = backward_any(&g, dout, qkv, saved)?;
    Ok((dqkv, backward_table(&g, &ds, slices)?))
}

/// Differentiable window attention (see the module docs), on the kernel `choose` picks.
pub fn window_attention(
    qkv: &Tensor,
    table: &Tensor,
    heads: usize,
    win: usize,
    shift: usize,
    h: usize,
    w: usize,
) -> Result<Tensor> {
    window_attention_with(qkv, table, heads, win, shift, h, w, AttentionKernel::Auto)
}

/// `window_attention` on an explicit implementation (tests run both on the same inputs).
#[allow(clippy::too_many_arguments)]
pub fn window_attention_with(
    qkv: &Tensor,
    table: &Tensor,
    heads: usize,
    win: usize,
    shift: usize,
    h: usize,
    w: usize,
    kernel: AttentionKernel,
) -> Result<Tensor> {
    let (out, saved) = window_attention_forward(qkv, table, heads, win, shift, h, w, kernel)?;
    let g = geom(qkv, table, heads, win, shift, h, w)?;
    let sq = qkv.detach();
    autograd::record(
        "window_attention",
        &[qkv, table],
        &out,
        move |dout, needs| {
            let (dqkv, ds, slices) = backward_any(&g, dout, &sq, &saved)?;
            let dtable = if needs[1] {
                Some(backward_table(&g, &ds, slices)?)
            } else {
                None
            };
            Ok(vec![needs[0].then_some(dqkv), dtable])
        },
    );
    Ok(out)
}

/// f64 CPU reference, written as SwinIR computes it (relative_position_index, calculate_mask).
pub mod reference {
    /// SwinIR's relative_position_index [n * n].
    pub fn relative_position_index(win: usize) -> Vec<usize> {
        let n = win * win;
        let mut idx = vec![0; n * n];
        for i in 0..n {
            for j in 0..n {
                let dy = (i / win) as isize - (j / win) as isize + win as isize - 1;
                let dx = (i % win) as isize - (j % win) as isize + win as isize - 1;
                idx[i * n + j] = (dy * (2 * win as isize - 1) + dx) as usize;
            }
        }
        idx
    }

    /// SwinIR's calculate_mask: [nW, n, n] with 0 / -100.
    pub fn shift_mask(h: usize, w: usize, win: usize, shift: usize) -> Vec<f64> {
        let mut img = vec![0usize; h * w];
        let slices = |size: usize| {
            [
                (0, size - win),
                (size - win, size - shift),
                (size - shift, size),
            ]
        };
        let mut cnt = 0;
        for (y0, y1) in slices(h) {
            for (x0, x1) in slices(w) {
                for y in y0..y1 {
                    for x in x0..x1 {
                        img[y * w + x] = cnt;
                    }
                }
                cnt += 1;
            }
        }
        let n = win * win;
        let nw = (h / win) * (w / win);
        let mut mask = vec![0.0; nw * n * n];
        for wy in 0..h / win {
            for wx in 0..w / win {
                let wl = wy * (w / win) + wx;
                let lab = |t: usize| img[(wy * win + t / win) * w + wx * win + t % win];
                for i in 0..n {
                    for j in 0..n {
                        if lab(i) != lab(j) {
                            mask[(wl * n + i) * n + j] = -100.0;
                        }
                    }
                }
            }
        }
        mask
    }

    #[allow(clippy::too_many_arguments)]
    pub fn window_attention(
        qkv: &[f64],
        table: &[f64],
        windows: usize,
        heads: usize,
        win: usize,
        shift: usize,
        h: usize,
        w: usize,
    ) -> Vec<f64> {
        let n = win * win;
        let c = qkv.len() / (windows * n * 3);
        let hd = c / heads;
        let scale = (hd as f64).powf(-0.5);
        let rpi = relative_position_index(win);
        let mask = (shift > 0).then(|| shift_mask(h, w, win, shift));
        let nw = (h / win) * (w / win);
        let mut out = vec![0.0; windows * n * c];
        for b in 0..windows {
            for hh in 0..heads {
                let at = |t: usize, part: usize, d: usize| {
                    qkv[(b * n + t) * 3 * c + part * c + hh * hd + d]
                };
                for i in 0..n {
                    let mut s = vec![0.0; n];
                    for (j, sj) in s.iter_mut().enumerate() {
                        let mut acc = 0.0;
                        for d in 0..hd {
                            acc += at(i, 0, d) * scale * at(j, 1, d);
                        }
                        acc += table[rpi[i * n + j] * heads + hh];
                        if let Some(m) = &mask {
                            acc += m[((b % nw) * n + i) * n + j];
                        }
                        *sj = acc;
                    }
                    let mx = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    let e: Vec<f64> = s.iter().map(|v| (v - mx).exp()).collect();
                    let sum: f64 = e.iter().sum();
                    for d in 0..hd {
                        let mut acc = 0.0;
                        for (j, ej) in e.iter().enumerate() {
                            acc += ej / sum * at(j, 2, d);
                        }
                        out[(b * n + i) * c + hh * hd + d] = acc;
                    }
                }
            }
        }
        out
    }
}
