//! Winograd F(2x2, 3x3) convolution: the `ConvImpl::Winograd` kernels of `ops::conv2d` for 3x3
//! kernels (stride 1, zero padding 1), forward and both gradients. Needs subgroups of >= 8
//! lanes (the products are texture + subgroupBroadcast GEMMs, like shaders/matmul_tex.wgsl);
//! conv2d falls back to its other variants elsewhere, and `Auto` picks it per pass only
//! where it was measured faster (`fwd_pays`, `dx_pays`). Uses conv2d's input packing; never
//! names layers.
//!
//! ## The transforms
//!
//! 1-D F(2, 3): two outputs y0 = d0 g0 + d1 g1 + d2 g2, y1 = d1 g0 + d2 g1 + d3 g2 of a
//! 3-tap correlation over 4 inputs d0..d3 in 4 multiplications:
//! m0 = (d0 - d2) g0, m1 = (d1 + d2) (g0 + g1 + g2) / 2, m2 = (d2 - d1) (g0 - g1 + g2) / 2,
//! m3 = (d1 - d3) g2; then y0 = m0 + m1 + m2 and y1 = m1 - m2 - m3 (expand: the g1 terms of
//! m1 and m2 give d1 g1 in y0 and d2 g1 in y1, the rest cancels pairwise). In matrices,
//! y = A^T [(G g) . (B^T d)] with
//!
//! ```text
//! B^T = | 1  0 -1  0 |    G = | 1    0    0   |    A^T = | 1  1  1  0 |
//!       | 0  1  1  0 |        | 1/2  1/2  1/2 |          | 0  1 -1 -1 |
//!       | 0 -1  1  0 |        | 1/2 -1/2  1/2 |
//!       | 0  1  0 -1 |        | 0    0    1   |
//! ```
//!
//! Nesting it over rows and columns gives a 2x2 output tile from a 4x4 input tile d (input
//! pixels 2ty-1..2ty+2, 2tx-1..2tx+2: stride 2, the halo overlapping) and a 3x3 kernel g:
//! Y = A^T [U . V] A with U = G g G^T and V = B^T d B (4x4, `.` elementwise). Summing over
//! input channels commutes with A^T . A, so for each of the 16 positions xi = (r, c):
//!
//! `M_xi[t, o] = sum_i V_xi[t, i] U_xi[i, o]`: 16 GEMMs (tiles x Cin) (Cin x Cout), then
//! `Y[t, o] = A^T M[t, o] A` (+ bias). 16 multiplies per 4 outputs instead of 36: 2.25x fewer.
//!
//! - grad-input: for stride 1 and padding 1, dx is the convolution of dout with w transposed
//!   and rotated 180 degrees, so it is the forward pipeline with those weights.
//! - grad-weight: Y = A^T M A is linear, so dM = A dY A^T per tile (dY = the tile's 2x2 output
//!   gradient, zero past the image); M = U . V gives dU_xi[i, o] = sum_t V_xi[t, i] dM_xi[t, o]
//!   (16 GEMMs (Cin x tiles) (tiles x Cout), summed over tiles in a fixed order inside the GEMM,
//!   batch chunks continuing from the previous chunk's sums), and U = G g G^T gives
//!   dg = G^T dU G.
//!
//! The constants are 0, +-1 and 1/2, exact in f32; the transforms add at most 4 rounding
//! steps per value, so f32 results stay within the direct kernels' tolerances.
//!
//! ## Passes (shaders/conv_winograd_*.wgsl)
//!
//! Forward (and grad-input): x -> padded NHWC texture (conv2d's pack), -> V in a 16-layer
//! texture (`wino_input_rows`), U in a 16-layer texture (`wino_weight`; through conv2d_multi
//! both U and V in one dispatch, `weights_and_v`, with the input gradient's U where it will
//! be asked; a dense block's features share one V texture in segments of 32 channels, each
//! transformed once: `segment_texture`), then one kernel
//! (`wino_forward`) runs the 16 GEMMs per 32 tiles x 32 output channels in registers and
//! applies A^T . A before storing: only Y leaves the workgroup. (A first version stored the
//! 16 products M through matmul_tex.wgsl and transformed them in a separate pass: its stores
//! cost about as much as its multiply-adds; fused, those two passes take 1.8x less time.)
//! Grad-weight: V and dM transposed (4 tiles per texel: tiles are the GEMM's k) by
//! `wino_input_cols` / `wino_dout_cols`, the 16 products dU with matmul_tex.wgsl (k = tiles:
//! few stores), then `wino_weight_grad`. Everything is deterministic (no atomics).
//! Grad-input of a multi-input conv (conv2d_multi.rs): the forward's kernel generated with a
//! store that gives each input part its channels, added onto the gradient the tape holds
//! for it (`wino_dx_parts`, `conv_parts`), so the whole dx is never written.
//!
//! ## Where the time goes (lavapipe, 16x64x48x48 -> 64, timestamp queries, one quiet moment)
//!
//! Direct (texture) forward: pack 4 ms + conv 58 ms. Winograd: pack 4 + V transform 19 +
//! fused GEMM 28 ms (1.2 GFLOP: ~43 GFLOP/s, as matmul_tex reaches). The GEMM is 2x faster
//! than the direct kernel, but V is 4x the input (16 texel stores per tile and 4 channels;
//! every store is a per-lane loop on lavapipe), so the transform eats half the gain:
//! 1.2-1.3x overall. Tried and measured no better (interleaved, same run): vec4 stores of
//! 4 tiles' output rows in the fused kernel.

use super::conv2d::{self, limit_err, pack_input, span, ConvDims, ConvImpl};
use crate::error::{shape_err, Result};
use crate::gpu::params::{
    entry, ConvWinogradDxPartsParams, ConvWinogradForwardParams, ConvWinogradGradsParams,
    ConvWinogradInputParams, ConvWinogradWeight2Params, ConvWinogradWeightGradParams,
    ConvWinogradWeightMixedParams, ConvWinogradWeightParams, KernelParams, MatmulTexParams,
};
use crate::gpu::{shaders, Bind, Gpu, Launch, PooledTexture};
use crate::tensor::Tensor;

const TEX: wgpu::TextureFormat = wgpu::TextureFormat::Rgba32Float;
const MAX_WORKGROUPS: usize = 65535;
/// The texture GEMM's tile (rows and columns).
const GEMM_TILE: usize = 32;

/// Positions xi = 4 r + c of the 4x4 transforms: 16 GEMMs, 16 texture layers.
const POSITIONS: usize = 16;

fn u(v: usize) -> u32 {
    v as u32
}

/// Tile grid of one batch item: (tiles along x, tiles per item).
fn tiles(d: &ConvDims) -> (usize, usize) {
    let tw = d.w.div_ceil(2);
    (tw, tw * d.h.div_ceil(2))
}

/// Width of a GEMM operand texture of `texels` per row: an odd number of 64-byte cache lines
/// (as matmul.rs pads its packs: rows a multiple of 4 KiB apart evict each other in L1).
fn padded_width(gpu: &Gpu, texels: usize) -> usize {
    let w = (texels.div_ceil(4) | 1) * 4;
    if w <= gpu.limits().max_texture_dimension_2d as usize {
        w
    } else {
        texels
    }
}

/// Batch items per chunk so that every texture, binding and grid of a conv producing `cout`
/// channels from `cin` stays within the adapter's limits (0 when one item does not fit).
pub(super) fn items_per_chunk(gpu: &Gpu, d: &ConvDims, cin: usize, cout: usize) -> usize {
    let l = gpu.limits();
    let max_tex = l.max_texture_dimension_2d as usize;
    let align = (l.min_storage_buffer_offset_alignment as usize / 4).max(1);
    let max_elems = (l.max_storage_buffer_binding_size as usize / 4).saturating_sub(align);
    let (_, tpi) = tiles(d);
    let mut nb = d.n;
    // V rows (tiles, padded to the GEMM tile) and the transposed layouts' 4 tiles per texel.
    nb = nb.min(max_tex / GEMM_TILE * GEMM_TILE / tpi);
    nb = nb.min(max_tex * 4 / tpi);
    // Inputs and outputs bound per chunk; packed textures' layers and grids.
    nb = nb.min(max_elems / (cin.max(cout) * d.h * d.w));
    let c4 = cin.max(cout).div_ceil(4);
    nb = nb.min(l.max_texture_array_layers as usize / c4);
    nb = nb.min(MAX_WORKGROUPS.min(l.max_compute_workgroups_per_dimension as usize) / c4);
    nb
}

/// Why the Winograd kernels cannot run this convolution, if they cannot.
pub(super) fn blocker(gpu: &Gpu, d: &ConvDims) -> Option<String> {
    if d.k != 3 {
        return Some(format!(
            "Winograd F(2x2, 3x3) needs a 3x3 kernel, not {}x{}",
            d.k, d.k
        ));
    }
    if !gpu.subgroup_kernels_usable() {
        return Some("the Winograd kernels need subgroups of at least 8 lanes".into());
    }
    let max_tex = gpu.limits().max_texture_dimension_2d as usize;
    // conv2d's packed input texture for k = 3 (`ConvDims::tex_size`).
    let (tw, th) = (d.w.next_multiple_of(24) + 2, d.h.next_multiple_of(4) + 2);
    let fits = tw <= max_tex
        && th <= max_tex
        && d.cin.max(d.cout).next_multiple_of(GEMM_TILE) <= max_tex
        && items_per_chunk(gpu, d, d.cin, d.cout) > 0
        && items_per_chunk(gpu, d, d.cout, d.cin) > 0;
    (!fits).then(|| {
        format!(
            "one {}x{} image's Winograd tiles (or its {} channels) exceed the texture or \
             binding limits",
            d.h,
            d.w,
            d.cin.max(d.cout)
        )
    })
}

/// Whether `Auto` should pick Winograd for a 3x3 conv (where it can run): where its forward
/// or its input gradient pays (the weight gradient stays on the texture kernels).
pub(super) fn preferred(d: &ConvDims) -> bool {
    fwd_pays(d) || dx_pays(d)
}

/// Measured on lavapipe (examples/conv_winograd_lab.rs: interleaved texture / Winograd runs,
/// batch 16 at 48x48, min of 5-7; the machine was shared, so ratios only):
/// | conv (Cin -> Cout) | forward | input gradient (a Cout -> Cin conv) | weight gradient |
/// |---|---|---|---|
/// | 64 -> 64 | 1.2-1.3x | 1.2-1.3x | 0.8-0.9x |
/// | 64 -> 256 | 1.7-1.9x | 0.9-1.0x | 0.9x |
/// | 32 -> 32 | 1.15x | 0.9x | 0.5x |
/// | 16 -> 64 | 1.0x | 0.4-0.6x | 0.8x |
/// | 16 -> 16, 3 -> 16, 16 -> 16 at 192x192 | 0.2-0.8x | 0.2-0.5x | 0.4-0.7x |
/// Later (examples/profile_conv, batch 4 at 48x48, kernel times of one forward + backward,
/// 2026-11-30): 180 -> 180 (SwinIR's convs) forward 1.7x, input gradient 1.8x, weight
/// gradient 1.3x; 180 -> 64 forward + input gradient 1.3x; 192 -> 192 1.9x; 256 -> 256 1.9x
/// and 256 -> 64 1.4x, but 256 stays out (V at batch 16 below).
/// Below 64 input channels a position has too few k-steps (and at 16 output channels half
/// of each 32-channel GEMM tile idles) for the GEMM to outrun the transforms; at 256 input
/// channels V (4x the input) is 150 MB. The weight gradient transforms both operands, which
/// costs as much as its GEMM saves.
pub(super) fn fwd_pays(d: &ConvDims) -> bool {
    (64..=192).contains(&d.cin) && d.cout >= 64
}

/// `fwd_pays` of the input gradient's conv (Cout -> Cin).
pub(super) fn dx_pays(d: &ConvDims) -> bool {
    (64..=192).contains(&d.cout) && d.cin >= 64
}

/// Whether a multi-part conv (conv2d_multi.rs) takes Winograd's input gradient with the
/// direct texture forward. Measured on RRDBNet's dense convs (64 + 32 i -> 32 and 192 -> 64,
/// batch 4 at 48x48, whole steps alternating in one process): the input gradient of those
/// with 96-192 input channels on Winograd took the step from 25.5-26.0 s to 22.3-23.2 s. The
/// input gradient transforms dout's 32 or 64 channels; the forward would transform 96-192
/// (RRDBNet's blocks now share their features' transforms: `stack_pays`).
pub(super) fn dx_pays_multi(d: &ConvDims) -> bool {
    (32..=64).contains(&d.cout) && (96..=192).contains(&d.cin)
}

/// Whether a dense block's conv (conv2d_multi.rs `FeatureStack`) takes Winograd's forward
/// and input gradient, its features' input transforms shared with the block's other convs.
/// Measured on RRDBNet (batch 4 at 48x48, whole steps alternating in one process, profiled):
/// the forward's GPU time 8.1 s (direct kernel + weights) -> 6.4 s (V and U 2.3 s, GEMMs
/// 3.3-3.5 s, the trunk's direct convs 0.6 s); steps 22.3 / 23.4 / 28.7 s -> 22.1 / 22.6 /
/// 22.9 s, the first conv's input gradient (32 -> 64) now Winograd's (~0.4 s slower than
/// the direct kernel's).
pub(super) fn stack_pays(d: &ConvDims) -> bool {
    (32..=64).contains(&d.cout) && (64..=192).contains(&d.cin)
}

fn chunks(n: usize, nb: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..n).step_by(nb).map(move |n0| (n0, nb.min(n - n0)))
}

fn nb_or_err(gpu: &Gpu, op: &str, d: &ConvDims, cin: usize, cout: usize) -> Result<usize> {
    match items_per_chunk(gpu, d, cin, cout) {
        0 => Err(limit_err(
            op,
            d,
            "one batch item's Winograd tiles exceed the adapter's limits".into(),
        )),
        nb => Ok(nb),
    }
}

/// An empty U texture for `outs` outputs from `ins` inputs, with its rows (outputs padded to
/// the GEMM tile) and texels of inputs per row.
fn u_texture(
    gpu: &Gpu,
    op: &str,
    outs: usize,
    ins: usize,
) -> Result<(PooledTexture, usize, usize)> {
    let rows = outs.next_multiple_of(GEMM_TILE);
    let c4 = ins.div_ceil(4);
    let width = padded_width(gpu, c4);
    let tex = gpu.alloc_texture_view(op, u(width), u(rows), u(POSITIONS), TEX, true)?;
    Ok((tex, rows, c4))
}

/// U = G g G^T of w (or of w transposed and rotated when `flip`) as the GEMM's B^T operand:
/// 16 layers of [outputs padded to the GEMM tile] rows x [inputs / 4] texels.
pub(super) fn weight_texture(
    op: &str,
    w: &Tensor,
    d: &ConvDims,
    flip: bool,
) -> Result<PooledTexture> {
    let gpu = w.gpu();
    let (outs, ins) = if flip {
        (d.cin, d.cout)
    } else {
        (d.cout, d.cin)
    };
    let (tex, rows, c4) = u_texture(gpu, op, outs, ins)?;
    gpu.launch(Launch {
        op,
        shapes: &[w.shape()],
        shader: &shaders::CONV_WINOGRAD_WEIGHT,
        entry: entry::WINO_WEIGHT,
        overrides: &[],
        params: ConvWinogradWeightParams {
            cout: u(d.cout),
            cin: u(d.cin),
            flip: flip as u32,
            rows: u(rows),
        }
        .words(),
        binds: &[w.bind(), Bind::Texture(tex.view())],
        workgroups: [u(rows.div_ceil(8)), u(c4.div_ceil(8)), 1],
    })?;
    Ok(tex)
}

/// `weight_texture` of w and of w flipped (the forward's and the input gradient's U of a conv
/// that will be differentiated), and V of channel groups `q0..` of the packed input `xt` into
/// `vt` (`v_rows_into`, whole batch; `xt` has `ls` layers per batch item), in one dispatch
/// (shaders/conv_winograd_weight2.wgsl): U, flipped U (`flip`), and V's tiles and rows.
/// With `seg`, `vt` is a `segment_texture` (a dense block's shared V) and U is laid out
/// likewise. `Flip::Shared(texture, segment)` puts the flipped U into that texture's
/// segments from `segment` on (a dense block's convs one after another); only
/// `Flip::Own` returns a texture for it.
#[allow(clippy::too_many_arguments)]
pub(super) fn weights_and_v(
    op: &str,
    w: &Tensor,
    d: &ConvDims,
    xt: &PooledTexture,
    vt: &PooledTexture,
    (q0, ls): (usize, usize),
    seg: bool,
    flip: Flip,
) -> Result<(PooledTexture, Option<PooledTexture>, (usize, usize))> {
    let gpu = w.gpu();
    let (ut, rows, c4, sw) = if seg {
        let c4 = d.c4();
        let t = segment_texture(gpu, op, d.cout, c4.div_ceil(SEGMENT))?;
        (t, d.cout.next_multiple_of(GEMM_TILE), c4, SEGMENT)
    } else {
        let (t, rows, c4) = u_texture(gpu, op, d.cout, d.cin)?;
        (t, rows, c4, c4.max(1))
    };
    let fc4 = d.cout.div_ceil(4);
    let frows = d.cin.next_multiple_of(GEMM_TILE);
    // The flipped U's texture (with Flip::No a small one bound in its place, never written),
    // its first segment and texel columns per segment.
    let own = match flip {
        Flip::Own => Some(u_texture(gpu, op, d.cin, d.cout)?.0),
        _ => None,
    };
    let spare;
    let (uft, fs0, fsw) = match (flip, &own) {
        (Flip::Shared(t, s), _) => (t, s, SEGMENT),
        (_, Some(t)) => (t, 0, fc4.max(1)),
        _ => {
            spare = gpu.alloc_texture_view(op, 1, 1, 1, TEX, true)?;
            (&spare, 0, 1)
        }
    };
    let (tw, tpi) = tiles(d);
    let t = d.n * tpi;
    let (_, vrows) = v_size(gpu, d, d.cin, d.n);
    // Workgroups of 8 x 8 numbered in rows of nx: U's, the flipped U's, V's.
    let (wx0, wx1, vx) = (
        rows.div_ceil(8),
        frows.div_ceil(8),
        (c4 - q0.min(c4)).div_ceil(8),
    );
    let (nw0, nw1, nv) = (
        wx0 * c4.div_ceil(8),
        if matches!(flip, Flip::No) {
            0
        } else {
            wx1 * fc4.div_ceil(8)
        },
        vx * vrows.div_ceil(8),
    );
    let groups = nw0 + nw1 + nv;
    let nx = groups.min(gpu.limits().max_compute_workgroups_per_dimension as usize);
    gpu.launch(Launch {
        op,
        shapes: &[w.shape()],
        shader: &shaders::CONV_WINOGRAD_WEIGHT2,
        entry: entry::WINO_WEIGHT2,
        overrides: &[],
        params: ConvWinogradWeight2Params {
            cout: u(d.cout),
            cin: u(d.cin),
            rows: u(rows),
            frows: u(frows),
            tw: u(tw),
            tpi: u(tpi),
            c4: u(c4),
            tiles: u(t),
            vrows: u(vrows),
            q0: u(q0),
            wx0: u(wx0),
            nw0: u(nw0),
            wx1: u(wx1),
            nw1: u(nw1),
            vx: u(vx),
            nv: u(nv),
            nx: u(nx),
            ls: u(ls),
            fs0: u(fs0),
            fsw: u(fsw),
            sw: u(sw),
        }
        .words(),
        binds: &[
            w.bind(),
            Bind::Texture(ut.view()),
            Bind::Texture(uft.view()),
            Bind::Texture(xt.view()),
            Bind::Texture(vt.view()),
        ],
        workgroups: [u(nx), u(groups.div_ceil(nx)), 1],
    })?;
    Ok((ut, own, (t, vrows)))
}

/// Where `weights_and_v` puts the flipped U (the input gradient's weights).
#[derive(Clone, Copy)]
pub(super) enum Flip<'a> {
    /// Not made (no input gradient will be asked).
    No,
    /// A texture of its own.
    Own,
    /// Segments from the given one on of a `segment_texture`.
    Shared(&'a PooledTexture, usize),
}

/// Segments, texels per segment and texels of the last segment of a GEMM's k over `k`
/// texels: `SEGMENT`s of a `segment_texture` where `seg`, else one segment.
fn k_segments(k: usize, seg: bool) -> (usize, usize, usize) {
    if seg {
        let s1 = k.div_ceil(SEGMENT).max(1);
        (s1, SEGMENT, k - SEGMENT * (s1 - 1))
    } else {
        (1, k, k)
    }
}

/// Texel columns (4 channels each) of a segment of `segment_texture`.
pub(super) const SEGMENT: usize = 8;

/// An empty texture of `segments` segments of `SEGMENT` texel columns, `rows` rows (padded to
/// the GEMM tile): position xi of segment s is layer 16 s + xi. A dense block's convs put
/// their input gradients' operands there one after another, 32 channels a segment
/// (`weights_and_v` with `shared`: U flipped, rows = input channels; `v_rows_into` with a
/// segment: V of the output gradient, rows = tiles, `v_size`), so that one GEMM reads the K
/// of several convs (`gemm_parts`). Side by side in one row instead, each conv's V wrote 128
/// bytes of every 832-byte row of a 30 MB texture, measured ~1.8x slower than into a texture
/// of its own.
pub(super) fn segment_texture(
    gpu: &Gpu,
    op: &str,
    rows: usize,
    segments: usize,
) -> Result<PooledTexture> {
    let (w, l) = (padded_width(gpu, SEGMENT), POSITIONS * segments);
    gpu.alloc_texture_view(
        op,
        u(w),
        u(rows.next_multiple_of(GEMM_TILE)),
        u(l),
        TEX,
        true,
    )
}

/// The direct texture kernel's forward weights (conv2d's `pack_weight` layout) and the input
/// gradient's U (`weight_texture` with `flip`), in one dispatch
/// (shaders/conv_winograd_weight_mixed.wgsl): a conv whose forward stays direct and whose
/// input gradient is Winograd's (conv2d_multi.rs).
pub(super) fn weight_textures_mixed(
    op: &str,
    w: &Tensor,
    d: &ConvDims,
) -> Result<(PooledTexture, PooledTexture)> {
    let gpu = w.gpu();
    let (tw, th) = (d.cout.next_multiple_of(8), d.c4() * 9);
    let t = gpu.alloc_texture_view(op, u(tw), u(th), 1, TEX, false)?;
    let (uft, frows, fc4) = u_texture(gpu, op, d.cin, d.cout)?;
    gpu.launch(Launch {
        op,
        shapes: &[w.shape()],
        shader: &shaders::CONV_WINOGRAD_WEIGHT_MIXED,
        entry: entry::WINO_WEIGHT_MIXED,
        overrides: &[],
        params: ConvWinogradWeightMixedParams {
            cout: u(d.cout),
            cin: u(d.cin),
            tw: u(tw),
            th: u(th),
            frows: u(frows),
        }
        .words(),
        binds: &[w.bind(), Bind::Texture(t.view()), Bind::Texture(uft.view())],
        workgroups: [u(tw.max(frows).div_ceil(8)), u(th.max(fc4).div_ceil(8)), 2],
    })?;
    Ok((t, uft))
}

/// One launch of matmul_tex.wgsl: C(l) = A(l) B(l) for the 16 layers, A from `ta` ([m, k]
/// rows of texels), B^T from `tb` ([n, k]), C at c[l * plane + row * cm + col];
/// `accumulate` continues from the sums already in C. `any` (not C) fills the unused bias
/// binding.
#[allow(clippy::too_many_arguments)]
fn gemm16(
    op: &str,
    c: &Tensor,
    any: &Tensor,
    ta: &PooledTexture,
    tb: &PooledTexture,
    (m, n, kt): (usize, usize, usize),
    plane: usize,
    cm: usize,
    accumulate: bool,
) -> Result<()> {
    c.gpu().launch(Launch {
        op,
        shapes: &[c.shape()],
        shader: &shaders::MATMUL_TEX,
        entry: entry::MATMUL_TEX,
        overrides: &[],
        params: MatmulTexParams {
            m: u(m),
            n: u(n),
            kt: u(kt),
            has_bias: 0,
            l0: 0,
            lh: 1,
            off: 0,
            co: u(plane),
            ci: 0,
            cm: u(cm),
            alpha: 1.0,
            boff: 0,
            accumulate: accumulate as u32,
            finalize: 1,
            abase: 0,
            ars: 0,
            als: 0,
            amax: 0,
            bbase: 0,
            brs: 0,
            bls: 0,
            bmax: 0,
            kc: 0,
            kstep4: 0,
        }
        .words(),
        binds: &[
            c.bind(),
            Bind::Texture(ta.view()),
            Bind::Texture(tb.view()),
            any.bind_range(0, 1),
        ],
        workgroups: [
            u(n.div_ceil(GEMM_TILE)),
            u(m.div_ceil(GEMM_TILE)),
            u(POSITIONS),
        ],
    })
}

/// Rows and texels per row of a V texture of `cin` channels over `nb` batch items: the tiles
/// padded to the GEMM tile, the channel groups padded as `padded_width`.
pub(super) fn v_size(gpu: &Gpu, d: &ConvDims, cin: usize, nb: usize) -> (usize, usize) {
    let rows = (nb * tiles(d).1).next_multiple_of(GEMM_TILE);
    (padded_width(gpu, cin.div_ceil(4)), rows)
}

/// An empty V texture for `cin` channels of the whole batch (`weights_and_v` without `seg`).
pub(super) fn v_texture(gpu: &Gpu, op: &str, d: &ConvDims, cin: usize) -> Result<PooledTexture> {
    let (width, rows) = v_size(gpu, d, cin, d.n);
    gpu.alloc_texture_view(op, u(width), u(rows), u(POSITIONS), TEX, true)
}

/// V = B^T d B of channel groups `q0..c4` of the packed input `xt` (`cin` channels, `ls`
/// layers per batch item) for `nb` batch items, into `vt` as the GEMM's A operand (shaders/conv_winograd_input.wgsl
/// `wino_input_rows`; with `seg`, group q into segment `seg` + q / `SEGMENT` of a
/// `segment_texture`): returns the tiles and the rows (tiles padded to the GEMM tile).
#[allow(clippy::too_many_arguments)]
pub(super) fn v_rows_into(
    gpu: &Gpu,
    op: &str,
    d: &ConvDims,
    xt: &PooledTexture,
    vt: &PooledTexture,
    (q0, cin, ls, seg): (usize, usize, usize, Option<usize>),
    nb: usize,
    shapes: &[&[usize]],
) -> Result<(usize, usize)> {
    let (tw, tpi) = tiles(d);
    let t = nb * tpi;
    let (_, rows) = v_size(gpu, d, cin, nb);
    let c4 = cin.div_ceil(4);
    let p = ConvWinogradInputParams {
        tw: u(tw),
        tpi: u(tpi),
        c4: u(c4),
        tiles: u(t),
        rows: u(rows),
        groups: 0,
        channels: u(cin),
        pad: 1,
        q0: u(q0),
        ls: u(ls),
        vs0: u(seg.unwrap_or(0)),
        vsw: u(seg.map_or(c4.max(1), |_| SEGMENT)),
    };
    gpu.launch(Launch {
        op,
        shapes,
        shader: &shaders::CONV_WINOGRAD_INPUT,
        entry: entry::WINO_INPUT_ROWS,
        overrides: &[],
        params: p.words(),
        binds: &[Bind::Texture(xt.view()), Bind::Texture(vt.view())],
        workgroups: [u((c4 - q0).div_ceil(8)), u(rows.div_ceil(8)), 1],
    })?;
    Ok((t, rows))
}

/// `v_rows_into` a new texture of all of `xt`'s channel groups: the texture, its tiles, rows
/// and texels per row.
fn v_rows(
    gpu: &Gpu,
    op: &str,
    d: &ConvDims,
    xt: &PooledTexture,
    cin: usize,
    nb: usize,
    shapes: &[&[usize]],
) -> Result<(PooledTexture, usize, usize, usize)> {
    let (width, rows) = v_size(gpu, d, cin, nb);
    let vt = gpu.alloc_texture_view(op, u(width), u(rows), u(POSITIONS), TEX, true)?;
    let c4 = cin.div_ceil(4);
    let (t, rows) = v_rows_into(gpu, op, d, xt, &vt, (0, cin, c4, None), nb, shapes)?;
    Ok((vt, t, rows, cin.div_ceil(4)))
}

/// out[n0..n0+nb] (channels `cout`) = Winograd conv of the packed input `xt` (`cin` channels)
/// with the transformed weights `ut` (+ bias), then LeakyReLU(`slope`) and times `scale` as
/// it is stored (conv2d_multi.rs; 1 and 1 leave it exact).
#[allow(clippy::too_many_arguments)]
pub(super) fn conv_chunk(
    op: &str,
    d: &ConvDims,
    xt: &PooledTexture,
    cin: usize,
    ut: &PooledTexture,
    bias: Option<&Tensor>,
    // Bound (one element) in place of absent operands.
    any: &Tensor,
    out: &Tensor,
    cout: usize,
    (n0, nb): (usize, usize),
    act: (f32, f32),
) -> Result<()> {
    let gpu = out.gpu();
    let (vt, t, rows, c4) = v_rows(gpu, op, d, xt, cin, nb, &[out.shape()])?;
    gemm_forward(
        op,
        d,
        &vt,
        (t, rows),
        k_segments(c4, false),
        ut,
        bias,
        any,
        out,
        cout,
        (n0, nb),
        act,
    )
}

/// The whole batch's Winograd forward from V already in `vt` (`weights_and_v`: `t` tiles,
/// `rows` rows; the first `d.c4()` channel groups read; with `seg` V and U are laid out in
/// segments, `segment_texture`).
#[allow(clippy::too_many_arguments)]
pub(super) fn gemm_whole(
    op: &str,
    d: &ConvDims,
    vt: &PooledTexture,
    tr: (usize, usize),
    seg: bool,
    ut: &PooledTexture,
    bias: Option<&Tensor>,
    any: &Tensor,
    out: &Tensor,
    act: (f32, f32),
) -> Result<()> {
    let (ks, cout, ch) = (k_segments(d.c4(), seg), d.cout, (0, d.n));
    gemm_forward(op, d, vt, tr, ks, ut, bias, any, out, cout, ch, act)
}

/// The fused GEMMs and output transform (`wino_forward`) of V in `vt` (`t` tiles, `rows`
/// rows; k over segments 0..`s1` of `kt` texels, `klast` in the last).
#[allow(clippy::too_many_arguments)]
fn gemm_forward(
    op: &str,
    d: &ConvDims,
    vt: &PooledTexture,
    (t, rows): (usize, usize),
    (s1, kt, klast): (usize, usize, usize),
    ut: &PooledTexture,
    bias: Option<&Tensor>,
    any: &Tensor,
    out: &Tensor,
    cout: usize,
    (n0, nb): (usize, usize),
    (slope, scale): (f32, f32),
) -> Result<()> {
    let (tw, tpi) = tiles(d);
    let per = cout * d.h * d.w;
    let (ob, off) = span(out, n0 * per, nb * per);
    // One segment: the kernel without the segment loop (~5% faster on SRResNet's steps).
    let (entry, kt) = match s1 {
        1 => (entry::WINO_FORWARD, klast),
        _ => (entry::WINO_FORWARD_SEG, kt),
    };
    out.gpu().launch(Launch {
        op,
        shapes: &[out.shape()],
        shader: &shaders::CONV_WINOGRAD_FORWARD,
        entry,
        overrides: &[],
        params: ConvWinogradForwardParams {
            w: u(d.w),
            h: u(d.h),
            cout: u(cout),
            kt: u(kt),
            tw: u(tw),
            tpi: u(tpi),
            tiles: u(t),
            off,
            has_bias: bias.is_some() as u32,
            slope,
            scale,
            s1: u(s1),
            klast: u(klast),
        }
        .words(),
        binds: &[
            ob,
            Bind::Texture(vt.view()),
            Bind::Texture(ut.view()),
            bias.map_or(any.bind_range(0, 1), |b| b.bind()),
        ],
        workgroups: [u(cout.div_ceil(GEMM_TILE)), u(rows / GEMM_TILE), 1],
    })
}

/// Parts (storage buffers: 5 outputs and 5 held gradients) that `conv_parts` binds.
pub(super) const PARTS: usize = 5;

/// Whether `conv_parts` can run: its 2 x `PARTS` storage buffers within the adapter's limit.
pub(super) fn parts_fit(gpu: &Gpu) -> bool {
    gpu.limits().max_storage_buffers_per_shader_stage as usize >= 2 * PARTS
}

/// The Winograd conv of the packed `xt` (`cin` channels, the whole batch) with `ut`, its
/// `cout` output channels stored part by part (shaders/conv_winograd_dx_parts.wgsl): part j
/// (channels `starts[j]..starts[j + 1]`, `starts` ending at `cout`) into `outs[j]`
/// [N, channels, H, W], onto `prevs[j]` where given (a held gradient may not be an output). The input gradient of conv2d_multi
/// without the whole dx or a pass that splits it.
#[allow(clippy::too_many_arguments)]
pub(super) fn conv_parts(
    op: &str,
    d: &ConvDims,
    xt: &PooledTexture,
    cin: usize,
    ut: &PooledTexture,
    outs: &[Tensor],
    prevs: &[Option<&Tensor>],
    starts: &[usize],
    cout: usize,
    // Bound (read only) in place of absent held gradients: any tensor not in `outs`.
    any: &Tensor,
) -> Result<()> {
    let shapes: Vec<&[usize]> = outs.iter().map(|t| t.shape()).collect();
    let (vt, t, rows, c4) = v_rows(any.gpu(), op, d, xt, cin, d.n, &shapes)?;
    let parts = Parts {
        outs,
        prevs,
        starts,
        cout,
    };
    gemm_parts(op, d, &vt, (t, rows), (0, 1, c4, c4), (ut, 0), parts, any)
}

/// The outputs of `gemm_parts`: part j (channels `starts[j]..starts[j + 1]` of `cout`) into
/// `outs[j]` [N, channels, H, W], onto `prevs[j]` where given.
pub(super) struct Parts<'a> {
    pub outs: &'a [Tensor],
    pub prevs: &'a [Option<&'a Tensor>],
    pub starts: &'a [usize],
    pub cout: usize,
}

fn check_parts(
    op: &str,
    outs: &[Tensor],
    prevs: &[Option<&Tensor>],
    starts: &[usize],
) -> Result<()> {
    let k = outs.len();
    if k == 0 || k > PARTS || prevs.len() != k || starts.len() != k + 1 {
        let shapes: Vec<&[usize]> = outs.iter().map(|t| t.shape()).collect();
        let why = format!("the part-by-part store takes 1 to {PARTS} parts, a held gradient or none and a first channel for each");
        return Err(shape_err(op, &shapes, why));
    }
    Ok(())
}

/// `conv_parts`' GEMM and store from V already in `vt` (`t` tiles, `rows` rows): k over
/// texels `0..kt` of segments `s0..s1` (`klast` in the last) of `vt` and of `ut` (position
/// xi of segment s is layer 16 s + xi), `ut`'s rows `obase..` the output channels (a dense block's input
/// gradients read several convs' transformed output gradients and flipped weights,
/// `segment_texture`: conv2d_multi.rs `FeatureStack`; else one segment).
#[allow(clippy::too_many_arguments)]
pub(super) fn gemm_parts(
    op: &str,
    d: &ConvDims,
    vt: &PooledTexture,
    (t, rows): (usize, usize),
    (s0, s1, kt, klast): (usize, usize, usize, usize),
    (ut, obase): (&PooledTexture, usize),
    parts: Parts,
    any: &Tensor,
) -> Result<()> {
    let Parts {
        outs,
        prevs,
        starts,
        cout,
    } = parts;
    check_parts(op, outs, prevs, starts)?;
    let k = outs.len();
    let shapes: Vec<&[usize]> = outs.iter().map(|t| t.shape()).collect();
    let gpu = outs[0].gpu();
    let (tw, tpi) = tiles(d);
    let mut start = [u(cout); 8];
    let mut has_prev = 0u32;
    for j in 0..k {
        start[j] = u(starts[j]);
        if prevs[j].is_some() {
            has_prev |= 1 << j;
        }
    }
    let mut binds = vec![Bind::Texture(vt.view()), Bind::Texture(ut.view())];
    // Unused slots repeat part 0 (never touched: no channel maps to them).
    binds.extend((0..PARTS).map(|j| outs.get(j).unwrap_or(&outs[0]).bind()));
    binds.extend((0..PARTS).map(|j| match prevs.get(j) {
        Some(Some(p)) => p.bind(),
        _ => any.bind_range(0, 1),
    }));
    gpu.launch(Launch {
        op,
        shapes: &shapes,
        shader: &shaders::CONV_WINOGRAD_DX_PARTS,
        entry: entry::WINO_DX_PARTS,
        overrides: &[],
        params: ConvWinogradDxPartsParams {
            w: u(d.w),
            h: u(d.h),
            cout: u(cout),
            kt: u(kt),
            tw: u(tw),
            tpi: u(tpi),
            tiles: u(t),
            has_prev,
            s0: u(s0),
            s1: u(s1),
            obase: u(obase),
            klast: u(klast),
            start: [
                [start[0], start[1], start[2], start[3]],
                [start[4], start[5], start[6], start[7]],
            ],
        }
        .words(),
        binds: &binds,
        workgroups: [u(cout.div_ceil(GEMM_TILE)), u(rows / GEMM_TILE), 1],
    })
}

/// out = conv2d(x, w) + b (out allocated by the caller, shape checked).
pub(super) fn forward(
    op: &str,
    d: &ConvDims,
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    out: &Tensor,
) -> Result<()> {
    let nb = nb_or_err(x.gpu(), op, d, d.cin, d.cout)?;
    let ut = weight_texture(op, w, d, false)?;
    for ch in chunks(d.n, nb) {
        let xt = pack_input(op, x, d, d.cin, d.cin.div_ceil(4), ch)?;
        conv_chunk(op, d, &xt, d.cin, &ut, b, x, out, d.cout, ch, (1.0, 1.0))?;
    }
    Ok(())
}

/// The transposed transform (`entry`: wino_input_cols or wino_dout_cols) of a chunk's
/// `c`-channel packed texture: 16 layers of [c padded to the GEMM tile] rows x [tiles / 4].
#[allow(clippy::too_many_arguments)]
fn cols_texture(
    gpu: &Gpu,
    op: &str,
    d: &ConvDims,
    src: &PooledTexture,
    c: usize,
    nb: usize,
    entry: &'static str,
    shapes: &[&[usize]],
) -> Result<PooledTexture> {
    let (tw, tpi) = tiles(d);
    let t = nb * tpi;
    let groups = t.div_ceil(4);
    let c4 = c.div_ceil(4);
    let tex = empty_cols(gpu, op, d, c, nb)?;
    let p = ConvWinogradInputParams {
        tw: u(tw),
        tpi: u(tpi),
        c4: u(c4),
        tiles: u(t),
        rows: 0,
        groups: u(groups),
        channels: u(c),
        pad: 1,
        q0: 0,
        ls: u(c4),
        vs0: 0,
        vsw: u(c4.max(1)),
    };
    gpu.launch(Launch {
        op,
        shapes,
        shader: &shaders::CONV_WINOGRAD_INPUT,
        entry,
        overrides: &[],
        params: p.words(),
        binds: &[Bind::Texture(src.view()), Bind::Texture(tex.view())],
        workgroups: [u(groups.div_ceil(64)), u(c4), 4],
    })?;
    Ok(tex)
}

/// An empty texture of `cols_texture`'s shape (`c` channels, `nb` batch items): the weight
/// gradient's operands (`WeightCols`).
pub(super) fn empty_cols(
    gpu: &Gpu,
    op: &str,
    d: &ConvDims,
    c: usize,
    nb: usize,
) -> Result<PooledTexture> {
    let groups = (nb * tiles(d).1).div_ceil(4);
    let (w, h) = (padded_width(gpu, groups), c.next_multiple_of(GEMM_TILE));
    gpu.alloc_texture_view(op, u(w), u(h), u(POSITIONS), TEX, true)
}

/// The weight gradient's operands of a dense block's conv (`d`, the whole batch), made by
/// `grad_transforms`: dM of its output gradient, and V of the block's features (made at the
/// block's first backward, shared by its convs; at least `d.cin` channels).
pub(super) struct WeightCols<'a> {
    pub dm: &'a PooledTexture,
    pub xc: &'a PooledTexture,
}

/// The transforms a dense block's conv `d` needs for its gradients, in one dispatch
/// (shaders/conv_winograd_grads.wgsl), from its packed output gradient `dt` (whole batch):
/// V of `dt` into segments `seg`.. of `dv` (the input gradient's, `gemm_parts`) where given;
/// dM of `dt` into `dm` where given; V of the `xch` channels of the block's packed features
/// `xt` (`xls` layers per item) into `xc` where given. Returns V's tiles and rows.
#[allow(clippy::too_many_arguments)]
pub(super) fn grad_transforms(
    gpu: &Gpu,
    op: &str,
    d: &ConvDims,
    dt: &PooledTexture,
    dv: Option<(&PooledTexture, usize)>,
    dm: Option<&PooledTexture>,
    x: Option<(&PooledTexture, usize, usize, &PooledTexture)>,
    shapes: &[&[usize]],
) -> Result<(usize, usize)> {
    let (tw, tpi) = tiles(d);
    let t = d.n * tpi;
    let groups = t.div_ceil(4);
    let (_, vrows) = v_size(gpu, d, d.cout, d.n);
    let c4 = d.d4();
    let (xch, xls) = x.map_or((0, 0), |(_, ls, c, _)| (c, ls));
    let x4 = xch.div_ceil(4);
    let mx = groups.div_ceil(64);
    let vx = c4.div_ceil(8);
    let nv = if dv.is_some() {
        vx * vrows.div_ceil(8)
    } else {
        0
    };
    let nm = if dm.is_some() { mx * c4 * 4 } else { 0 };
    let nx = mx * x4 * 4;
    let total = nv + nm + nx;
    let rowx = total.clamp(
        1,
        gpu.limits().max_compute_workgroups_per_dimension as usize,
    );
    // Outputs not asked are small textures of their own (bound, never written).
    let spare = |o: Option<&PooledTexture>| -> Result<Option<PooledTexture>> {
        match o {
            Some(_) => Ok(None),
            None => Ok(Some(gpu.alloc_texture_view(op, 1, 1, 1, TEX, true)?)),
        }
    };
    let (s_dv, s_dm, s_xc) = (spare(dv.map(|v| v.0))?, spare(dm)?, spare(x.map(|x| x.3))?);
    fn pick<'a>(o: Option<&'a PooledTexture>, s: &'a Option<PooledTexture>) -> &'a PooledTexture {
        o.or(s.as_ref()).expect("one or the other")
    }
    let (v_dv, v_dm, v_xc) = (
        pick(dv.map(|v| v.0), &s_dv),
        pick(dm, &s_dm),
        pick(x.map(|x| x.3), &s_xc),
    );
    let xt = x.map_or(dt, |x| x.0);
    gpu.launch(Launch {
        op,
        shapes,
        shader: &shaders::CONV_WINOGRAD_GRADS,
        entry: entry::WINO_GRAD_TRANSFORMS,
        overrides: &[],
        params: ConvWinogradGradsParams {
            tw: u(tw),
            tpi: u(tpi),
            tiles: u(t),
            groups: u(groups),
            c4: u(c4),
            vrows: u(vrows),
            vs0: u(dv.map_or(0, |v| v.1)),
            vsw: u(SEGMENT),
            xch: u(xch),
            x4: u(x4),
            xls: u(xls),
            dch: u(d.cout),
            vx: u(vx),
            nv: u(nv),
            nm: u(nm),
            nx: u(nx),
            mx: u(mx),
            rowx: u(rowx),
        }
        .words(),
        binds: &[
            Bind::Texture(dt.view()),
            Bind::Texture(v_dv.view()),
            Bind::Texture(v_dm.view()),
            Bind::Texture(xt.view()),
            Bind::Texture(v_xc.view()),
        ],
        workgroups: [u(rowx), u(total.div_ceil(rowx)), 1],
    })?;
    Ok((t, vrows))
}

/// dw (and db where `bias`) of a dense block's conv `d` from its `WeightCols`: the 16 GEMMs
/// dU = V^T dM over the whole batch's tiles (matmul_tex.wgsl), then dw = G^T dU G and db
/// from dM (shaders/conv_winograd_weight_grad.wgsl).
pub(super) fn weight_grad_from_cols(
    op: &str,
    d: &ConvDims,
    cols: WeightCols,
    bias: bool,
    any: &Tensor,
) -> Result<(Tensor, Option<Tensor>)> {
    let gpu = any.gpu();
    let groups = (d.n * tiles(d).1).div_ceil(4);
    let du = Tensor::empty(gpu, op, &[POSITIONS * d.cin * d.cout])?;
    let dims = (d.cin, d.cout, groups);
    gemm16(
        op,
        &du,
        any,
        cols.xc,
        cols.dm,
        dims,
        d.cin * d.cout,
        d.cout,
        false,
    )?;
    let dw = Tensor::empty(gpu, op, &[d.cout, d.cin, 3, 3])?;
    let db = match bias {
        true => Some(Tensor::empty(gpu, op, &[d.cout])?),
        false => None,
    };
    launch_weight_grad(op, d, &dw, &du, Some((cols.dm, groups)), db.as_ref())?;
    Ok((dw, db))
}

/// conv_winograd_weight_grad.wgsl: dw from dU, and db from dM (`mt`, `groups` texel
/// columns) where `db` is given.
fn launch_weight_grad(
    op: &str,
    d: &ConvDims,
    dw: &Tensor,
    du: &Tensor,
    mt: Option<(&PooledTexture, usize)>,
    db: Option<&Tensor>,
) -> Result<()> {
    let gpu = dw.gpu();
    // Without db a small texture and buffer are bound in their places (never read or written).
    let spare_t;
    let (mt, groups) = match mt {
        Some(m) => m,
        None => {
            spare_t = gpu.alloc_texture_view(op, 1, 1, 1, TEX, true)?;
            (&spare_t, 0)
        }
    };
    let spare_b;
    let dbt = match db {
        Some(b) => b,
        None => {
            spare_b = Tensor::empty(gpu, op, &[4])?;
            &spare_b
        }
    };
    gpu.launch(Launch {
        op,
        shapes: &[dw.shape()],
        shader: &shaders::CONV_WINOGRAD_WEIGHT_GRAD,
        entry: entry::WINO_WEIGHT_GRAD,
        overrides: &[],
        params: ConvWinogradWeightGradParams {
            cout: u(d.cout),
            cin: u(d.cin),
            has_bias: db.is_some() as u32,
            groups: u(groups),
        }
        .words(),
        binds: &[dw.bind(), du.bind(), Bind::Texture(mt.view()), dbt.bind()],
        workgroups: [u(d.cin.div_ceil(8)), u(d.cout.div_ceil(8)), 1],
    })
}

pub(super) type Grads3 = (Option<Tensor>, Option<Tensor>, Option<Tensor>);

/// The gradients asked for by `need` ([dx, dw, db]), sharing dout's packed texture. Under
/// `want` = `Auto`, the weight gradient, and the input gradient where `dx_pays` is false, run
/// on conv2d's texture kernels instead (measured faster, see `fwd_pays`).
pub(super) fn backward(
    op: &str,
    d: &ConvDims,
    dout: &Tensor,
    x: Option<&Tensor>,
    w: Option<&Tensor>,
    need: [bool; 3],
    want: ConvImpl,
) -> Result<Grads3> {
    let gpu = dout.gpu();
    let forced = want == ConvImpl::Winograd;
    let (dx_here, dw_here) = (forced || dx_pays(d), forced);
    // The passes delegated to the texture kernels count theirs there.
    gpu.count_flops(d.flops() * ((need[0] && dx_here) as u8 + (need[1] && dw_here) as u8) as f64);
    let dx_texture = match w {
        Some(w) if need[0] && !dx_here => Some(conv2d::conv2d_backward_input_with(
            dout,
            w,
            ConvImpl::Texture,
        )?),
        _ => None,
    };
    let dw_texture = match x {
        Some(x) if need[1] && !dw_here => Some(conv2d::conv2d_backward_weight_with(
            x,
            dout,
            3,
            ConvImpl::Texture,
        )?),
        _ => None,
    };
    let need = [need[0] && dx_here, need[1] && dw_here, need[2]];
    let mut nb = d.n;
    if need[0] {
        nb = nb.min(nb_or_err(gpu, op, d, d.cout, d.cin)?);
    }
    if need[1] {
        nb = nb.min(nb_or_err(gpu, op, d, d.cin, d.cout)?);
    }
    let dx = match (need[0], w) {
        (true, Some(_)) => Some(Tensor::empty(gpu, op, &[d.n, d.cin, d.h, d.w])?),
        _ => None,
    };
    let (dw, du) = match (need[1], x) {
        (true, Some(_)) => (
            Some(Tensor::empty(gpu, op, &[d.cout, d.cin, 3, 3])?),
            Some(Tensor::empty(gpu, op, &[POSITIONS * d.cin * d.cout])?),
        ),
        _ => (None, None),
    };
    let wt = match (&dx, w) {
        (Some(_), Some(w)) => Some(weight_texture(op, w, d, true)?),
        _ => None,
    };
    let shapes: &[&[usize]] = &[dout.shape()];
    let todo = if dx.is_some() || du.is_some() { d.n } else { 0 };
    for (i, ch) in chunks(todo, nb).enumerate() {
        let (_, nbi) = ch;
        let dt = pack_input(op, dout, d, d.cout, d.cout.div_ceil(4), ch)?;
        if let (Some(dx), Some(wt)) = (&dx, &wt) {
            conv_chunk(
                op,
                d,
                &dt,
                d.cout,
                wt,
                None,
                dout,
                dx,
                d.cin,
                ch,
                (1.0, 1.0),
            )?;
        }
        if let (Some(du), Some(x)) = (&du, x) {
            let xt = pack_input(op, x, d, d.cin, d.cin.div_ceil(4), ch)?;
            let vt = cols_texture(gpu, op, d, &xt, d.cin, nbi, entry::WINO_INPUT_COLS, shapes)?;
            let mt = cols_texture(gpu, op, d, &dt, d.cout, nbi, entry::WINO_DOUT_COLS, shapes)?;
            let kt = (nbi * tiles(d).1).div_ceil(4);
            gemm16(
                op,
                du,
                dout,
                &vt,
                &mt,
                (d.cin, d.cout, kt),
                d.cin * d.cout,
                d.cout,
                i > 0,
            )?;
        }
    }
    if let (Some(dw), Some(du)) = (&dw, &du) {
        launch_weight_grad(op, d, dw, du, None, None)?;
    }
    let db = if need[2] {
        Some(conv2d::conv2d_backward_bias(dout)?)
    } else {
        None
    };
    Ok((dx.or(dx_texture), dw.or(dw_texture), db))
}
