//! 2-D convolution: x [N, Cin, H, W] * w [Cout, Cin, k, k] (+ b [Cout]) -> [N, Cout, H, W],
//! k in {1, 3, 5}, stride 1, zero padding k/2, any channel counts.
//!
//! Two implementations, tested on the same inputs (`ConvImpl`):
//! - `Texture` (adapters with subgroups of >= 8 lanes): x (or dout) is converted into a
//!   zero-padded NHWC rgba32float texture (4 channels per texel) and w into a texture of
//!   4-channel texels (shaders/conv2d_pack_*.wgsl); shaders/conv2d_forward_tex.wgsl computes
//!   8 output channels x 4 rows per lane, 8 lanes along x sharing weights through
//!   `subgroupBroadcast` (conv2d_forward_tex3.wgsl, for 3x3: also 3 columns per lane). On
//!   lavapipe textures are fetched vectorised while every storage buffer load is a per-lane
//!   loop, which is what makes this design ~4x faster there.
//! - `Buffer`: register-blocked kernels on the NCHW buffers (8 output channels x 4 pixels).
//! - `Winograd` (3x3 only, subgroups of >= 8 lanes): F(2x2, 3x3) transforms and 16 texture
//!   GEMMs, in `ops::conv_winograd`.
//! - `Small` (subgroups of >= 8 lanes): `Texture` with a 3x3 weight gradient whose lanes
//!   split 16 output channels into two halves as well as input channels, so all 8 are busy
//!   with 16 input channels (shaders/conv2d_backward_weight_small.wgsl, which also sums the
//!   bias gradient from the dout texels it holds).
//!
//! The input gradient is the forward kernel on dout with transposed, 180-degree-rotated
//! weights. The weight gradient is deterministic: partial sums over pixel-row slabs
//! (shaders/conv2d_backward_weight_*.wgsl; *_tex3 for 3x3), then a fixed-order sum
//! (conv2d_reduce.wgsl).
//! Tensors whose bindings or texture layers exceed the adapter's limits are processed in batch
//! chunks (storage ranges bound at aligned offsets, textures sized per chunk). Images wider or
//! taller than the texture limit are not split: `Auto` runs them on the buffer variant.

use crate::autograd;
use crate::error::{fmt_shapes, shape_err, Error, Result};
use crate::gpu::params::{
    entry, Conv2dBackwardBias4Params, Conv2dBackwardBiasParams, Conv2dBackwardWeightBufParams,
    Conv2dBackwardWeightSmallParams, Conv2dBackwardWeightTexParams, Conv2dFlipWeightParams,
    Conv2dForwardBufParams, Conv2dForwardTexParams, Conv2dIgemmParams, Conv2dIgemmWeightParams,
    Conv2dPackInput4Params, Conv2dPackInputParams, Conv2dPackWeightParams, Conv2dReduce2Params,
    Conv2dReduceBiasParams, Conv2dReduceParams, KernelParams,
};
use crate::gpu::{shaders, Bind, Gpu, Launch, PooledTexture};
use crate::tensor::{grid_for, Tensor};

pub(crate) const TEX: wgpu::TextureFormat = wgpu::TextureFormat::Rgba32Float;
const MAX_WORKGROUPS: usize = 65535;

/// Which kernels to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvImpl {
    /// `Texture` where the adapter has subgroups of >= 8 lanes and the textures fit, else
    /// `Buffer`; `Winograd` for the passes of 3x3 convs where it was measured faster
    /// (`conv_winograd::fwd_pays`, `dx_pays`).
    Auto,
    /// Padded NHWC textures + subgroup broadcasts (an error where unavailable).
    Texture,
    /// Register-blocked kernels on storage buffers.
    Buffer,
    /// Implicit GEMM with workgroup-memory tiles (shaders/conv2d_igemm*.wgsl): the kernels
    /// for GPUs, where workgroups of 64-256 lanes and shared memory are the norm (`Auto`
    /// picks it on every adapter that is not a CPU). Runs anywhere the limits allow.
    Tiled,
    /// Winograd F(2x2, 3x3) (`ops::conv_winograd`; an error where unavailable). `Auto` picks
    /// it where it runs and was measured faster.
    Winograd,
    /// `Texture`, with the weight gradient of 3x3 convs by
    /// shaders/conv2d_backward_weight_small.wgsl (all 8 lanes busy with few input channels;
    /// the bias gradient summed in the same pass). `Auto` picks it on CPU adapters for 3x3
    /// convs with at most 16 input channels (`small_pays`). Same availability as `Texture`.
    Small,
}

/// The sizes of one convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvDims {
    pub n: usize,
    pub cin: usize,
    pub h: usize,
    pub w: usize,
    pub cout: usize,
    pub k: usize,
}

impl ConvDims {
    /// Multiply-adds x 2 of the forward (and of each of the two gradients).
    pub fn flops(&self) -> f64 {
        2.0 * (self.n * self.cout * self.cin * self.k * self.k * self.h * self.w) as f64
    }
    pub(crate) fn pad(&self) -> usize {
        self.k / 2
    }
    pub(crate) fn hw(&self) -> usize {
        self.h * self.w
    }
    /// Texel layers per batch item of the input texture (4 channels each).
    pub(crate) fn c4(&self) -> usize {
        self.cin.div_ceil(4)
    }
    /// Texel layers per batch item of the dout texture (4 channels each).
    pub(crate) fn d4(&self) -> usize {
        self.cout.div_ceil(4)
    }
    /// Output columns per workgroup of the forward kernel: 24 for 3x3 (3 per lane,
    /// conv2d_forward_tex3.wgsl), else 8.
    pub(crate) fn cols(&self) -> usize {
        if self.k == 3 {
            24
        } else {
            8
        }
    }
    /// Padded texture size: tile multiples (`cols` columns, 4 rows) plus the halo on each side.
    pub(crate) fn tex_size(&self) -> (usize, usize) {
        (
            self.w.next_multiple_of(self.cols()) + 2 * self.pad(),
            self.h.next_multiple_of(4) + 2 * self.pad(),
        )
    }
}

/// Check the shapes of a convolution (plain slices, so layers can infer shapes too).
pub fn conv2d_dims(op: &str, x: &[usize], w: &[usize], b: Option<&[usize]>) -> Result<ConvDims> {
    let mut shapes: Vec<&[usize]> = vec![x, w];
    if let Some(b) = b {
        shapes.push(b);
    }
    let err = |detail: &str| shape_err(op, &shapes, detail);
    let (&[n, cin, h, wd], &[cout, wcin, kh, kw]) = (x, w) else {
        return Err(err(
            "x must be 4-D [N, Cin, H, W] and w 4-D [Cout, Cin, k, k]",
        ));
    };
    if x.contains(&0) || w.contains(&0) {
        return Err(err("zero-sized tensor"));
    }
    if kh != kw || ![1, 3, 5].contains(&kh) {
        return Err(Error::Unsupported {
            op: op.into(),
            detail: format!(
                "kernel {kh}x{kw} for shapes {}: only square k = 1, 3, 5 are supported",
                fmt_shapes(&shapes)
            ),
        });
    }
    if wcin != cin {
        return Err(err(&format!("x has {cin} channels but w expects {wcin}")));
    }
    if let Some(b) = b {
        if b != [cout] {
            return Err(err(&format!("bias must have shape [{cout}]")));
        }
    }
    Ok(ConvDims {
        n,
        cin,
        h,
        w: wd,
        cout,
        k: kh,
    })
}

fn subgroups_usable(gpu: &Gpu) -> bool {
    gpu.subgroup_kernels_usable()
}

pub(crate) fn limit_err(op: &str, d: &ConvDims, detail: String) -> Error {
    Error::Limit {
        op: op.into(),
        shapes: format!(
            "x [{}, {}, {}, {}], w [{}, {}, {}, {}]",
            d.n, d.cin, d.h, d.w, d.cout, d.cin, d.k, d.k
        ),
        detail,
    }
}

/// Why the texture variant cannot run this convolution, if it cannot.
pub(crate) fn texture_blocker(gpu: &Gpu, d: &ConvDims) -> Option<String> {
    if !subgroups_usable(gpu) {
        return Some("the texture variant needs subgroups of at least 8 lanes".into());
    }
    let l = gpu.limits();
    let max = l.max_texture_dimension_2d as usize;
    let (tw, th) = d.tex_size();
    let kk = d.k * d.k;
    let fits = tw <= max
        && th <= max
        && d.cout.max(d.cin).next_multiple_of(8) <= max
        && d.c4().max(d.d4()) * kk <= max
        && d.c4().max(d.d4()) <= l.max_texture_array_layers as usize;
    (!fits).then(|| format!("textures of {tw}x{th} (or weights) exceed the limit {max}"))
}

/// Lanes per side of the tiled kernels' square workgroups: 16 (256 lanes, a multiple of every
/// subgroup size from 4 to 128) where the limits allow, else 8 (64 lanes); None where even
/// that exceeds them (the tiles take 8 KiB of workgroup memory).
pub fn tiled_wg(gpu: &Gpu) -> Option<u32> {
    let l = gpu.limits();
    let fits = |wg: u32| {
        l.max_compute_invocations_per_workgroup >= wg * wg
            && l.max_compute_workgroup_size_x >= wg
            && l.max_compute_workgroup_size_y >= wg
            && l.max_compute_workgroup_storage_size >= 8192
    };
    [16, 8].into_iter().find(|&wg| fits(wg))
}

/// The variant `Auto` runs, from what the adapter offers: the tiled kernels on GPUs (not on
/// CPU adapters, where 64-256-lane workgroups serialise); on CPU adapters Winograd where it
/// runs and was measured faster for this conv (`conv_winograd::preferred`: it then takes the
/// passes that pay, and leaves the others to the texture kernels), `Small` for 3x3 convs with
/// few input channels (`small_pays`) where the textures fit, else the texture + subgroup
/// kernels with >= 8-lane subgroups where the textures fit, else the buffer kernels.
/// The one place that decides (tested with made-up adapters; `sralign info` prints it).
pub fn auto_variant(
    is_cpu: bool,
    tiled_fits: bool,
    winograd_pays: bool,
    small_pays: bool,
    texture_fits: bool,
) -> ConvImpl {
    if !is_cpu && tiled_fits {
        ConvImpl::Tiled
    } else if is_cpu && winograd_pays {
        ConvImpl::Winograd
    } else if is_cpu && small_pays && texture_fits {
        ConvImpl::Small
    } else if texture_fits {
        ConvImpl::Texture
    } else {
        ConvImpl::Buffer
    }
}

/// Where `Small`'s weight gradient was measured faster than the texture variant's on lavapipe
/// (examples/conv_small_lab.rs, the tiny SRResNet's six conv shapes, 3 or 16 input channels
/// and 3, 16 or 64 outputs: 1.5-2x for dw + db). With more input channels the texture
/// kernel's lanes are all busy already (not measured).
pub(crate) fn small_pays(d: &ConvDims) -> bool {
    d.k == 3 && d.cin <= 16
}

/// The variant that runs convolutions of these sizes on `gpu` when `Auto` is asked for.
pub fn chosen_variant(gpu: &Gpu, d: &ConvDims) -> ConvImpl {
    auto_variant(
        gpu.is_cpu(),
        tiled_wg(gpu).is_some(),
        super::conv_winograd::blocker(gpu, d).is_none() && super::conv_winograd::preferred(d),
        small_pays(d),
        texture_blocker(gpu, d).is_none(),
    )
}

pub(crate) fn choose(gpu: &Gpu, op: &str, d: &ConvDims, want: ConvImpl) -> Result<ConvImpl> {
    match want {
        ConvImpl::Auto => Ok(chosen_variant(gpu, d)),
        ConvImpl::Winograd => match super::conv_winograd::blocker(gpu, d) {
            None => Ok(ConvImpl::Winograd),
            Some(why) => Err(limit_err(op, d, why)),
        },
        ConvImpl::Buffer => Ok(ConvImpl::Buffer),
        ConvImpl::Texture | ConvImpl::Small => match texture_blocker(gpu, d) {
            None => Ok(want),
            Some(why) => Err(limit_err(op, d, why)),
        },
        ConvImpl::Tiled => match tiled_wg(gpu) {
            Some(_) => Ok(ConvImpl::Tiled),
            None => {
                let l = gpu.limits();
                Err(limit_err(
                    op,
                    d,
                    format!(
                        "the tiled variant needs 64 invocations per workgroup and 8192 bytes of \
                         workgroup memory (max_compute_invocations_per_workgroup {}, \
                         max_compute_workgroup_storage_size {})",
                        l.max_compute_invocations_per_workgroup,
                        l.max_compute_workgroup_storage_size
                    ),
                ))
            }
        },
    }
}

/// Batch items per launch so that every bound range (`elems_per_item` f32 each), texture
/// (`layers_per_item`) and grid z extent (`z_per_item`) stays within the adapter's limits.
pub(crate) fn batch_chunk(
    gpu: &Gpu,
    op: &str,
    d: &ConvDims,
    elems_per_item: &[usize],
    layers_per_item: &[usize],
    z_per_item: &[usize],
) -> Result<usize> {
    let l = gpu.limits();
    let align = align_elems(gpu);
    let max_elems = (l.max_storage_buffer_binding_size as usize / 4).saturating_sub(align);
    let mut nb = d.n;
    for e in elems_per_item {
        nb = nb.min(max_elems / e);
    }
    for e in layers_per_item {
        nb = nb.min(l.max_texture_array_layers as usize / e);
    }
    for e in z_per_item {
        nb = nb.min(MAX_WORKGROUPS.min(l.max_compute_workgroups_per_dimension as usize) / e);
    }
    if nb == 0 {
        return Err(limit_err(
            op,
            d,
            format!(
                "one batch item exceeds max_storage_buffer_binding_size {} (or the texture \
                 layer / workgroup limits); split the image",
                l.max_storage_buffer_binding_size
            ),
        ));
    }
    Ok(nb)
}

fn align_elems(gpu: &Gpu) -> usize {
    (gpu.limits().min_storage_buffer_offset_alignment as usize / 4).max(1)
}

/// Elements `start..start+len` of `t`, bound from the aligned offset at or below `start`;
/// returns the binding and the element offset of `start` inside it.
pub(super) fn span(t: &Tensor, start: usize, len: usize) -> (Bind<'_>, u32) {
    let a = align_elems(t.gpu());
    let s0 = start / a * a;
    (t.bind_range(s0, start - s0 + len), (start - s0) as u32)
}

fn chunks(n: usize, nb: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..n).step_by(nb).map(move |n0| (n0, nb.min(n - n0)))
}

pub(crate) fn u(v: usize) -> u32 {
    v as u32
}

/// Batch items n0..n0+nb of the NCHW tensor `t` ([_, c, d.h, d.w]) as a padded NHWC texture
/// with `c4` layers per item.
pub(super) fn pack_input(
    op: &str,
    t: &Tensor,
    d: &ConvDims,
    c: usize,
    c4: usize,
    (n0, nb): (usize, usize),
) -> Result<PooledTexture> {
    let gpu = t.gpu();
    let (tw, th) = d.tex_size();
    let tex = gpu.alloc_texture_view(op, u(tw), u(th), u(nb * c4), TEX, true)?;
    let per = c * d.hw();
    let (b, off) = span(t, n0 * per, nb * per);
    if d.w.is_multiple_of(4) && off.is_multiple_of(4) {
        // Whole vec4s: 4 pixels per load (conv2d_pack_input4.wgsl).
        let gw = (tw - d.pad() + 4).div_ceil(4);
        let params = Conv2dPackInput4Params {
            c: u(c),
            h: u(d.h),
            w: u(d.w),
            c4: u(c4),
            pad: u(d.pad()),
            tw: u(tw),
            th: u(th),
            off,
            gw: u(gw),
        };
        gpu.launch(Launch {
            op,
            shapes: &[t.shape()],
            shader: &shaders::CONV2D_PACK_INPUT4,
            entry: entry::CONV2D_PACK_INPUT4,
            overrides: &[],
            params: params.words(),
            binds: &[b, Bind::Texture(tex.view())],
            workgroups: [u(gw.div_ceil(8)), u(th.div_ceil(8)), u(nb * c4)],
        })?;
        return Ok(tex);
    }
    let params = Conv2dPackInputParams {
        c: u(c),
        h: u(d.h),
        w: u(d.w),
        c4: u(c4),
        pad: u(d.pad()),
        tw: u(tw),
        th: u(th),
        off,
    };
    gpu.launch(Launch {
        op,
        shapes: &[t.shape()],
        shader: &shaders::CONV2D_PACK_INPUT,
        entry: entry::CONV2D_PACK_INPUT,
        overrides: &[],
        params: params.words(),
        binds: &[b, Bind::Texture(tex.view())],
        workgroups: [u(tw.div_ceil(8)), u(th.div_ceil(8)), u(nb * c4)],
    })?;
    Ok(tex)
}

/// Weights as 4-channel texels: texel (o, q * k*k + tap); `flip` gives the input gradient's
/// weights (transposed, rotated 180 degrees), with `rows4` texel groups of input channels.
pub(crate) fn pack_weight(op: &str, w: &Tensor, d: &ConvDims, flip: bool) -> Result<PooledTexture> {
    let gpu = w.gpu();
    let kk = d.k * d.k;
    let (outs, rows4) = if flip {
        (d.cin, d.d4())
    } else {
        (d.cout, d.c4())
    };
    let (tw, th) = (outs.next_multiple_of(8), rows4 * kk);
    let tex = gpu.alloc_texture_view(op, u(tw), u(th), 1, TEX, false)?;
    let params = Conv2dPackWeightParams {
        cout: u(d.cout),
        cin: u(d.cin),
        kk: u(kk),
        flip: flip as u32,
        tw: u(tw),
        th: u(th),
    };
    gpu.launch(Launch {
        op,
        shapes: &[w.shape()],
        shader: &shaders::CONV2D_PACK_WEIGHT,
        entry: entry::CONV2D_PACK_WEIGHT,
        overrides: &[],
        params: params.words(),
        binds: &[w.bind(), Bind::Texture(tex.view())],
        workgroups: [u(tw.div_ceil(8)), u(th.div_ceil(8)), 1],
    })?;
    Ok(tex)
}

/// out[n0..n0+nb] (channels `cout`) = texture conv of `xt` (`c4` layers per item) with `wt`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn launch_tex(
    op: &str,
    d: &ConvDims,
    xt: &PooledTexture,
    c4: usize,
    wt: &PooledTexture,
    bias: Option<&Tensor>,
    // Bound (one element) in place of an absent bias.
    any: &Tensor,
    out: &Tensor,
    cout: usize,
    ch: (usize, usize),
) -> Result<()> {
    launch_tex_act(
        op, d, xt, c4, wt, bias, any, out, cout, ch, None, None, false,
    )
}

/// `launch_tex` with LeakyReLU(`slope`) applied to the result when `act` is `Some(slope)`,
/// then multiplied by `scale` when given, and stored pixel-shuffled by 2 when `shuffle` (out
/// [N, cout / 4, 2h, 2w]; cout % 4 == 0, the whole batch in one launch; both the 3x3 and the
/// general kernel).
#[allow(clippy::too_many_arguments)]
pub(crate) fn launch_tex_act(
    op: &str,
    d: &ConvDims,
    xt: &PooledTexture,
    c4: usize,
    wt: &PooledTexture,
    bias: Option<&Tensor>,
    any: &Tensor,
    out: &Tensor,
    cout: usize,
    (n0, nb): (usize, usize),
    act: Option<f32>,
    scale: Option<f32>,
    shuffle: bool,
) -> Result<()> {
    let per = cout * d.hw();
    let (ob, off) = span(out, n0 * per, nb * per);
    // Output channels per workgroup (the 3x3 kernel's CO; `cout8` counts such groups).
    let four = four_outputs(d.k, cout);
    let cout8 = cout.div_ceil(if four { 4 } else { 8 });
    // conv2d_forward_tex.wgsl and its 3x3 form share one struct.
    let params = Conv2dForwardTexParams {
        w: u(d.w),
        h: u(d.h),
        cout: u(cout),
        c4: u(c4),
        k: u(d.k),
        cout8: u(cout8),
        off,
        has_bias: bias.is_some() as u32,
        act: act.is_some() as u32,
        slope: act.unwrap_or(0.0),
        scaled: scale.is_some() as u32,
        scale: scale.unwrap_or(1.0),
        shuffle: shuffle as u32,
    };
    let (shader, entry) = if d.k == 3 {
        (&shaders::CONV2D_FORWARD_TEX3, entry::CONV2D_FORWARD_TEX3)
    } else {
        (&shaders::CONV2D_FORWARD_TEX, entry::CONV2D_FORWARD_TEX)
    };
    out.gpu().launch(Launch {
        op,
        shapes: &[out.shape()],
        shader,
        entry,
        overrides: co_overrides(d.k, cout),
        params: params.words(),
        binds: &[
            ob,
            Bind::Texture(xt.view()),
            Bind::Texture(wt.view()),
            bias.map_or(any.bind_range(0, 1), |b| b.bind()),
        ],
        workgroups: [u(d.w.div_ceil(d.cols())), u(d.h.div_ceil(4)), u(nb * cout8)],
    })
}

/// Whether a 3x3 conv has at most 4 output channels (an image's last conv), where the 3x3
/// texture kernel computes 4 per workgroup and the small-channel weight gradient 4 per lane
/// (their pipeline constant CO) instead of 8, 5 of which would be computed for nothing
/// (`profile_conv 16 16 3 192`: forward 32 -> 20.6 ms, weight gradient 32 -> 26 ms). The
/// general-k kernel always computes 8.
pub(crate) fn four_outputs(k: usize, cout: usize) -> bool {
    k == 3 && cout <= 4
}

/// The pipeline constants of those two kernels for a conv (`four_outputs`: CO = 4; else none,
/// the default 8).
fn co_overrides(k: usize, cout: usize) -> &'static [(&'static str, f64)] {
    if four_outputs(k, cout) {
        &[("CO", 4.0)]
    } else {
        &[]
    }
}

/// out[n0..n0+nb] = buffer conv of x (channels `cin`) with wb [cout, cin, k, k].
#[allow(clippy::too_many_arguments)]
fn launch_buf(
    op: &str,
    d: &ConvDims,
    x: &Tensor,
    cin: usize,
    wb: &Tensor,
    bias: Option<&Tensor>,
    out: &Tensor,
    cout: usize,
    (n0, nb): (usize, usize),
) -> Result<()> {
    let (xb, xoff) = span(x, n0 * cin * d.hw(), nb * cin * d.hw());
    let (ob, ooff) = span(out, n0 * cout * d.hw(), nb * cout * d.hw());
    let cout8 = cout.div_ceil(8);
    let params = Conv2dForwardBufParams {
        w: u(d.w),
        h: u(d.h),
        cin: u(cin),
        cout: u(cout),
        k: u(d.k),
        pad: u(d.pad()),
        cout8: u(cout8),
        xoff,
        ooff,
        has_bias: bias.is_some() as u32,
    };
    out.gpu().launch(Launch {
        op,
        shapes: &[x.shape(), wb.shape(), out.shape()],
        shader: &shaders::CONV2D_FORWARD_BUF,
        entry: entry::CONV2D_FORWARD_BUF,
        overrides: &[],
        params: params.words(),
        binds: &[
            ob,
            xb,
            wb.bind(),
            bias.map_or(wb.bind_range(0, 1), |b| b.bind()),
        ],
        workgroups: [
            u(d.w.div_ceil(4).div_ceil(8)),
            u(d.h.div_ceil(8)),
            u(nb * cout8),
        ],
    })
}

/// out[n0..n0+nb] (channels `cout`) = implicit-GEMM conv of x (channels `cin`) with w
/// ([cout, cin, k, k]; with `flip`, w is [cin, cout, k, k] and is applied transposed and
/// rotated, which gives the input gradient when x is dout).
#[allow(clippy::too_many_arguments)]
fn launch_tiled(
    op: &str,
    d: &ConvDims,
    x: &Tensor,
    cin: usize,
    w: &Tensor,
    flip: bool,
    bias: Option<&Tensor>,
    out: &Tensor,
    cout: usize,
    (n0, nb): (usize, usize),
) -> Result<()> {
    let gpu = out.gpu();
    let wg = tiled_wg(gpu).expect("checked by choose") as usize;
    let tile = 4 * wg;
    let (xb, xoff) = span(x, n0 * cin * d.hw(), nb * cin * d.hw());
    let (ob, ooff) = span(out, n0 * cout * d.hw(), nb * cout * d.hw());
    let m = nb * d.hw();
    let params = Conv2dIgemmParams {
        n: u(nb),
        h: u(d.h),
        w: u(d.w),
        cin: u(cin),
        cout: u(cout),
        k: u(d.k),
        pad: u(d.pad()),
        flip: flip as u32,
        xoff,
        ooff,
        has_bias: bias.is_some() as u32,
        m: u(m),
    };
    gpu.launch(Launch {
        op,
        shapes: &[x.shape(), w.shape(), out.shape()],
        shader: &shaders::CONV2D_IGEMM,
        entry: entry::CONV2D_IGEMM,
        overrides: &[("WG", wg as f64)],
        params: params.words(),
        binds: &[
            ob,
            xb,
            w.bind(),
            bias.map_or(w.bind_range(0, 1), |b| b.bind()),
        ],
        workgroups: [u(m.div_ceil(tile)), u(cout.div_ceil(tile)), 1],
    })
}

/// y = conv2d(x, w) + b, without recording on the tape (`ConvImpl::Auto`).
pub fn conv2d_forward(x: &Tensor, w: &Tensor, b: Option<&Tensor>) -> Result<Tensor> {
    conv2d_forward_with(x, w, b, ConvImpl::Auto)
}

pub fn conv2d_forward_with(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    imp: ConvImpl,
) -> Result<Tensor> {
    Ok(forward_keep(x, w, b, imp, false)?.0)
}

/// The forward; with `keep`, also x's texture where the texture kernels packed the whole batch
/// in one launch (for the weight gradient, which then need not pack x again).
fn forward_keep(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    imp: ConvImpl,
    keep: bool,
) -> Result<(Tensor, Option<PooledTexture>)> {
    let op = "conv2d_forward";
    let mut kept = None;
    let d = conv2d_dims(op, x.shape(), w.shape(), b.map(|b| b.shape()))?;
    let gpu = x.gpu();
    gpu.count_flops(d.flops());
    let out = Tensor::empty(gpu, op, &[d.n, d.cout, d.h, d.w])?;
    let cout8 = d.cout.div_ceil(8);
    match choose(gpu, op, &d, imp)? {
        ConvImpl::Winograd if imp == ConvImpl::Winograd || super::conv_winograd::fwd_pays(&d) => {
            super::conv_winograd::forward(op, &d, x, w, b, &out)?
        }
        ConvImpl::Texture | ConvImpl::Winograd | ConvImpl::Small => {
            let nb = batch_chunk(
                gpu,
                op,
                &d,
                &[d.cin * d.hw(), d.cout * d.hw()],
                &[d.c4()],
                &[d.c4(), cout8],
            )?;
            let wt = pack_weight(op, w, &d, false)?;
            for ch in chunks(d.n, nb) {
                let xt = pack_input(op, x, &d, d.cin, d.c4(), ch)?;
                launch_tex(op, &d, &xt, d.c4(), &wt, b, w, &out, d.cout, ch)?;
                if keep && nb == d.n {
                    kept = Some(xt);
                }
            }
        }
        ConvImpl::Tiled => {
            let tile = 4 * tiled_wg(gpu).expect("checked by choose") as usize;
            let nb = batch_chunk(
                gpu,
                op,
                &d,
                &[d.cin * d.hw(), d.cout * d.hw()],
                &[],
                &[d.hw().div_ceil(tile)],
            )?;
            for ch in chunks(d.n, nb) {
                launch_tiled(op, &d, x, d.cin, w, false, b, &out, d.cout, ch)?;
            }
        }
        _ => {
            let nb = batch_chunk(
                gpu,
                op,
                &d,
                &[d.cin * d.hw(), d.cout * d.hw()],
                &[],
                &[cout8],
            )?;
            for ch in chunks(d.n, nb) {
                launch_buf(op, &d, x, d.cin, w, b, &out, d.cout, ch)?;
            }
        }
    }
    Ok((out, kept))
}

/// dx of conv2d given dout [N, Cout, H, W] and w [Cout, Cin, k, k].
pub fn conv2d_backward_input(dout: &Tensor, w: &Tensor) -> Result<Tensor> {
    conv2d_backward_input_with(dout, w, ConvImpl::Auto)
}

pub fn conv2d_backward_input_with(dout: &Tensor, w: &Tensor, imp: ConvImpl) -> Result<Tensor> {
    let op = "conv2d_backward_input";
    let d = backward_dims(op, dout, w.shape())?;
    let (dx, _, _) = backward(op, &d, dout, None, Some(w), [true, false, false], imp)?;
    Ok(dx.expect("requested"))
}

/// dw [Cout, Cin, k, k] of conv2d given x and dout.
pub fn conv2d_backward_weight(x: &Tensor, dout: &Tensor, k: usize) -> Result<Tensor> {
    conv2d_backward_weight_with(x, dout, k, ConvImpl::Auto)
}

pub fn conv2d_backward_weight_with(
    x: &Tensor,
    dout: &Tensor,
    k: usize,
    imp: ConvImpl,
) -> Result<Tensor> {
    let op = "conv2d_backward_weight";
    let xs = x.dims4(op)?;
    let ds = dout.dims4(op)?;
    let d = backward_dims(op, dout, &[ds[1], xs[1], k, k])?;
    if x.shape() != [d.n, d.cin, d.h, d.w] {
        return Err(shape_err(
            op,
            &[x.shape(), dout.shape()],
            "x and dout must agree on N, H, W",
        ));
    }
    let (_, dw, _) = backward(op, &d, dout, Some(x), None, [false, true, false], imp)?;
    Ok(dw.expect("requested"))
}

/// db [Cout] of conv2d: dout summed over N, H, W.
pub fn conv2d_backward_bias(dout: &Tensor) -> Result<Tensor> {
    let op = "conv2d_backward_bias";
    let [_, c, _, _] = dout.dims4(op)?;
    let d = backward_dims(op, dout, &[c, 1, 1, 1])?;
    let (_, _, db) = backward(
        op,
        &d,
        dout,
        None,
        None,
        [false, false, true],
        ConvImpl::Buffer,
    )?;
    Ok(db.expect("requested"))
}

/// Dims of a backward launch from dout and the weight shape.
fn backward_dims(op: &str, dout: &Tensor, ws: &[usize]) -> Result<ConvDims> {
    let [n, c, h, w] = dout.dims4(op)?;
    if ws.len() != 4 || ws[0] != c {
        return Err(shape_err(
            op,
            &[dout.shape(), ws],
            "dout channels must equal w's Cout",
        ));
    }
    conv2d_dims(op, &[n, ws[1], h, w], ws, None)
}

/// Values per channel (N H W) up to which conv2d's backward sums db in the dispatch that sums
/// dw (RRDBNet's dense convs at LR 48x48, batch 4: 9,216).
const FUSED_BIAS_MAX_ITEMS: usize = 16_384;

/// The weight gradient's partial sums (`launch`), then their fixed-order sum into dw; with
/// `bias` = (db, dout) of a one-launch batch the same dispatch also sums db
/// (conv2d_reduce_bias.wgsl: one dispatch fewer per convolution, the same bits).
fn launch_weight_grad(
    op: &str,
    partial: &Tensor,
    partial_rows: usize,
    dw: &Tensor,
    first: bool,
    bias: Option<(&Tensor, &Tensor)>,
    launch: impl FnOnce() -> Result<()>,
) -> Result<()> {
    launch()?;
    let e = dw.numel();
    if let Some((db, dout)) = bias {
        let [n, c, h, w] = dout.dims4(op)?;
        let ew = e.div_ceil(64);
        // vec4 loads of dout where its planes are whole texels (conv2d_reduce_bias4.wgsl).
        let (shader, entry, hw) = match (h * w).is_multiple_of(4) {
            true => (
                &shaders::CONV2D_REDUCE_BIAS4,
                entry::CONV2D_REDUCE_BIAS4,
                h * w / 4,
            ),
            false => (
                &shaders::CONV2D_REDUCE_BIAS,
                entry::CONV2D_REDUCE_BIAS,
                h * w,
            ),
        };
        return dw.gpu().launch(Launch {
            op,
            shapes: &[dw.shape(), dout.shape()],
            shader,
            entry,
            overrides: &[],
            params: Conv2dReduceBiasParams {
                e: u(e),
                r: u(partial_rows),
                ew: u(ew),
                c: u(c),
                hw: u(hw),
                n: u(n),
            }
            .words(),
            binds: &[dw.bind(), partial.bind(), db.bind(), dout.bind()],
            workgroups: dw.gpu().grid_1d(u(ew + c)),
        });
    }
    reduce_rows(op, dw, partial, partial_rows, first)
}

/// out (+)= the fixed-order sum of the `rows` rows of `partial` [rows, out.numel()]
/// (conv2d_reduce.wgsl; `first`: overwrite, else accumulate).
fn reduce_rows(op: &str, out: &Tensor, partial: &Tensor, rows: usize, first: bool) -> Result<()> {
    let e = out.numel();
    out.gpu().launch(Launch {
        op,
        shapes: &[out.shape()],
        shader: &shaders::CONV2D_REDUCE,
        entry: entry::CONV2D_REDUCE,
        overrides: &[],
        params: Conv2dReduceParams {
            e: u(e),
            r: u(rows),
            accumulate: !first as u32,
        }
        .words(),
        binds: &[out.bind(), partial.bind()],
        workgroups: grid_for(out.gpu(), e, 256),
    })
}

/// `reduce_rows` of two outputs in one dispatch (conv2d_reduce2.wgsl: the same sums in the same
/// order): (out, partial, rows) each.
fn reduce_rows2(
    op: &str,
    (a, pa, ra): (&Tensor, &Tensor, usize),
    (b, pb, rb): (&Tensor, &Tensor, usize),
    first: bool,
) -> Result<()> {
    let (ea, eb) = (a.numel(), b.numel());
    a.gpu().launch(Launch {
        op,
        shapes: &[a.shape(), b.shape()],
        shader: &shaders::CONV2D_REDUCE2,
        entry: entry::CONV2D_REDUCE2,
        overrides: &[],
        params: Conv2dReduce2Params {
            e1: u(ea),
            r1: u(ra),
            e2: u(eb),
            r2: u(rb),
            accumulate: !first as u32,
        }
        .words(),
        binds: &[a.bind(), pa.bind(), b.bind(), pb.bind()],
        workgroups: grid_for(a.gpu(), ea + eb, 256),
    })
}

/// Pixel-row slabs of the weight gradient: enough workgroups to keep every core busy, few
/// enough partial rows (`per_slab` rows of dw each) to fit one binding.
fn slabs_for(
    gpu: &Gpu,
    op: &str,
    d: &ConvDims,
    rows: usize,
    groups: usize,
    per_slab: usize,
) -> Result<usize> {
    let e = d.cout * d.cin * d.k * d.k;
    let max = (gpu.limits().max_storage_buffer_binding_size as usize / 4) / (per_slab * e);
    if max == 0 {
        return Err(limit_err(
            op,
            d,
            format!("{per_slab} partial sums of dw ({e} values) exceed one storage binding"),
        ));
    }
    Ok(256usize.div_ceil(groups).clamp(1, rows).min(max))
}

pub(crate) type Grads3 = (Option<Tensor>, Option<Tensor>, Option<Tensor>);

/// The gradients asked for by `need` ([dx, dw, db]), sharing dout's conversion.
fn backward(
    op: &str,
    d: &ConvDims,
    dout: &Tensor,
    x: Option<&Tensor>,
    w: Option<&Tensor>,
    need: [bool; 3],
    imp: ConvImpl,
) -> Result<Grads3> {
    backward_packed(op, d, dout, x, Packed::default(), w, need, imp)
}

/// Textures of the texture variant that the forward already made, for its backward.
#[derive(Clone, Copy, Default)]
pub(crate) struct Packed<'a> {
    /// x of all N items, as `pack_input` lays it out (x itself is then not needed).
    pub x: Option<&'a PooledTexture>,
    /// The input gradient's weights, as `pack_weight(.., flip = true)` lays them out.
    pub w_flipped: Option<&'a PooledTexture>,
    /// dout of all N items, as `pack_input` lays it out.
    pub dout: Option<&'a PooledTexture>,
    /// Layers per batch item of `x` where it has more than the conv's channel groups (a dense
    /// block's shared texture, conv2d_multi.rs `FeatureStack`: the texture weight gradient
    /// reads its first groups); 0: the channel groups.
    pub x_layers: usize,
}

/// `backward`, reading textures the forward already packed where given (conv2d_multi.rs).
#[allow(clippy::too_many_arguments)]
pub(crate) fn backward_packed(
    op: &str,
    d: &ConvDims,
    dout: &Tensor,
    x: Option<&Tensor>,
    packed: Packed,
    w: Option<&Tensor>,
    need: [bool; 3],
    imp: ConvImpl,
) -> Result<Grads3> {
    let packed_x = packed.x;
    let gpu = dout.gpu();
    let want = imp;
    let imp = if need[0] || need[1] {
        choose(gpu, op, d, imp)?
    } else {
        ConvImpl::Buffer
    };
    if imp == ConvImpl::Winograd {
        return super::conv_winograd::backward(op, d, dout, x, w, need, want);
    }
    gpu.count_flops(d.flops() * (need[0] as u8 + need[1] as u8) as f64);
    let tex = matches!(imp, ConvImpl::Texture | ConvImpl::Small);
    // 3x3 weight gradient by conv2d_backward_weight_small.wgsl (lanes: 4 input-channel groups
    // x 2 halves of 16 output channels), which also sums db.
    let small = imp == ConvImpl::Small && d.k == 3;
    // A packed x with more layers per item than channel groups serves only the texture
    // kernels' weight gradient (Small's and the buffer variants read no such texture; the
    // other gradients do not read x: with frozen weights the check does not apply).
    let x_layers = match packed.x_layers {
        0 => d.c4(),
        l => l,
    };
    if need[1] && x_layers != d.c4() && (imp != ConvImpl::Texture || packed_x.is_none()) {
        return Err(crate::error::shape_err(
            op,
            &[dout.shape()],
            format!(
                "a packed input of {x_layers} layers per item serves the texture kernels' \
                 weight gradient only (here {imp:?})"
            ),
        ));
    }
    let small_split = (d.cout <= 8) as usize;
    let tiled = imp == ConvImpl::Tiled;
    let tile = tiled_wg(gpu).unwrap_or(8) as usize * 4;
    let kk = d.k * d.k;
    let cin8 = d.cin.div_ceil(8);
    let cout8 = d.cout.div_ceil(8);
    let e = d.cout * d.cin * kk;
    let layers = [d.c4(), d.d4()];
    let nb = batch_chunk(
        gpu,
        op,
        d,
        &[d.cin * d.hw(), d.cout * d.hw()],
        if tex { &layers[..] } else { &[] },
        &[d.c4(), d.d4(), cin8, d.hw().div_ceil(tile)],
    )?;
    let dx = if need[0] {
        Some(Tensor::empty(gpu, op, &[d.n, d.cin, d.h, d.w])?)
    } else {
        None
    };
    let dw = if need[1] {
        Some(Tensor::empty(gpu, op, &[d.cout, d.cin, d.k, d.k])?)
    } else {
        None
    };
    let db = if need[2] {
        Some(Tensor::empty(gpu, op, &[d.cout])?)
    } else {
        None
    };
    // Texture variant: one partial row per slab (lanes own input channels); buffer variant:
    // one per lane (lanes own pixels).
    let q8 = d.c4().div_ceil(8);
    let cout16 = d.cout.div_ceil(16);
    // 3x3: workgroups of 8 output channels x one kernel row (conv2d_backward_weight_tex3.wgsl).
    let tex3 = tex && d.k == 3 && !small;
    let q4 = d.c4().div_ceil(4);
    let (groups, per_slab) = if tiled {
        ((d.cin * kk).div_ceil(tile) * d.cout.div_ceil(tile), 1)
    } else if small {
        // Cout <= 8: the two halves split rows and write a partial row each.
        (cout16 * q4 * d.k, 1 + small_split)
    } else if tex3 {
        (cout8 * q8 * d.k, 1)
    } else if tex {
        (cout16 * q8 * kk, 1)
    } else {
        (cout8 * d.c4() * kk, 8)
    };
    let slabs = if need[1] && tiled {
        // Slabs of at least 64 pixels.
        slabs_for(gpu, op, d, (nb * d.hw() / 64).max(1), groups, per_slab)?
    } else if need[1] {
        slabs_for(gpu, op, d, nb * d.h, groups, per_slab)?
    } else {
        0
    };
    let partial = match &dw {
        Some(_) => Some(Tensor::empty(gpu, op, &[slabs * per_slab * e])?),
        None => None,
    };
    // Weights of the input gradient, prepared once.
    let wt_packed;
    let (wt, wf) = match (&dx, w) {
        // The tiled kernel reads w flipped in place.
        _ if tiled => (None, None),
        (Some(_), _) if tex && packed.w_flipped.is_some() => (packed.w_flipped, None),
        (Some(_), Some(w)) if tex => {
            wt_packed = pack_weight(op, w, d, true)?;
            (Some(&wt_packed), None)
        }
        (Some(_), Some(w)) => {
            let wf = Tensor::empty(gpu, op, &[d.cin, d.cout, d.k, d.k])?;
            gpu.launch(Launch {
                op,
                shapes: &[w.shape()],
                shader: &shaders::CONV2D_FLIP_WEIGHT,
                entry: entry::CONV2D_FLIP_WEIGHT,
                overrides: &[],
                params: Conv2dFlipWeightParams {
                    cout: u(d.cout),
                    cin: u(d.cin),
                    kk: u(kk),
                }
                .words(),
                binds: &[wf.bind(), w.bind()],
                workgroups: grid_for(gpu, wf.numel(), 256),
            })?;
            (None, Some(wf))
        }
        _ => (None, None),
    };
    // One launch for the whole batch and little bias work: db is summed by the dispatch that
    // sums dw. With more (one workgroup per channel sums N H W values), lavapipe ran the fused
    // dispatch at half the speed of the two (SRResNet tiny, N H W = 36,864: 109 ms against 51
    // + a few), as if the few heavy workgroups at its end shared one thread.
    let small_db = match (&db, &dw) {
        (Some(db), Some(_)) if small && (x.is_some() || packed_x.is_some()) => {
            Some((db, Tensor::empty(gpu, op, &[slabs * d.cout])?))
        }
        _ => None,
    };
    let fused_db = match (&db, &dw) {
        (Some(db), Some(_))
            if small_db.is_none()
                && nb == d.n
                && d.n * d.hw() <= FUSED_BIAS_MAX_ITEMS
                && (x.is_some() || packed_x.is_some()) =>
        {
            Some((db, dout))
        }
        _ => None,
    };
    for (i, ch) in chunks(d.n, nb).enumerate() {
        let (n0, nbi) = ch;
        let dt_packed;
        let dt = match packed.dout {
            Some(t) if tex && nb == d.n => Some(t),
            _ if tex && (need[0] || need[1]) => {
                dt_packed = pack_input(op, dout, d, d.cout, d.d4(), ch)?;
                Some(&dt_packed)
            }
            _ => None,
        };
        if let Some(dx) = &dx {
            // dx = conv(dout, w flipped): input channels cout, output channels cin.
            match (&dt, &wt, &wf) {
                _ if tiled => {
                    let w = w.expect("dx needs w");
                    launch_tiled(op, d, dout, d.cout, w, true, None, dx, d.cin, ch)?
                }
                (Some(dt), Some(wt), _) => {
                    launch_tex(op, d, dt, d.d4(), wt, None, dout, dx, d.cin, ch)?
                }
                (_, _, Some(wf)) => launch_buf(op, d, dout, d.cout, wf, None, dx, d.cin, ch)?,
                _ => unreachable!("weights prepared above"),
            }
        }
        if let (Some(dw), Some(partial), true) = (&dw, &partial, x.is_some() || packed_x.is_some())
        {
            let rows = nbi * d.h;
            let pb = partial.bind();
            if tiled {
                let Some(x) = x else {
                    return Err(limit_err(op, d, "the tiled weight gradient reads x".into()));
                };
                let (xb, xoff) = span(x, n0 * d.cin * d.hw(), nbi * d.cin * d.hw());
                let (db_, doff) = span(dout, n0 * d.cout * d.hw(), nbi * d.cout * d.hw());
                let m = nbi * d.hw();
                let per = m.div_ceil(slabs).next_multiple_of(16);
                let params = Conv2dIgemmWeightParams {
                    n: u(nbi),
                    h: u(d.h),
                    w: u(d.w),
                    cin: u(d.cin),
                    cout: u(d.cout),
                    k: u(d.k),
                    pad: u(d.pad()),
                    m: u(m),
                    xoff,
                    doff,
                    per: u(per),
                    s0: 0,
                };
                let wg = tile / 4;
                launch_weight_grad(op, partial, slabs, dw, i == 0, fused_db, || {
                    gpu.launch(Launch {
                        op,
                        shapes: &[x.shape(), dout.shape()],
                        shader: &shaders::CONV2D_IGEMM_WEIGHT,
                        entry: entry::CONV2D_IGEMM_WEIGHT,
                        overrides: &[("WG", wg as f64)],
                        params: params.words(),
                        binds: &[pb, xb, db_],
                        workgroups: [
                            u((d.cin * kk).div_ceil(tile)),
                            u(d.cout.div_ceil(tile)),
                            u(slabs),
                        ],
                    })
                })?;
            } else if let Some(dt) = &dt {
                let packed;
                let xt = match (packed_x, x) {
                    (Some(t), _) if nb == d.n => t,
                    (_, Some(x)) => {
                        packed = pack_input(op, x, d, d.cin, d.c4(), ch)?;
                        &packed
                    }
                    _ => return Err(limit_err(op, d, "x packed for one chunk only".into())),
                };
                // The 3x3 kernel shares the general one's struct.
                let params = Conv2dBackwardWeightTexParams {
                    h: u(d.h),
                    cout: u(d.cout),
                    cin: u(d.cin),
                    c4: u(d.c4()),
                    d4: u(d.d4()),
                    k: u(d.k),
                    pad: u(d.pad()),
                    rows: u(rows),
                    slabs: u(slabs),
                    e: u(e),
                    wpad: u(d.w.next_multiple_of(8)),
                    q8: u(q8),
                    ls: u(x_layers),
                };
                if small {
                    let params = Conv2dBackwardWeightSmallParams {
                        h: u(d.h),
                        cout: u(d.cout),
                        cin: u(d.cin),
                        c4: u(d.c4()),
                        d4: u(d.d4()),
                        pad: u(d.pad()),
                        rows: u(rows),
                        slabs: u(slabs),
                        e: u(e),
                        wpad: u(d.w.next_multiple_of(8)),
                        q4: u(q4),
                        has_bias: small_db.is_some() as u32,
                        split: u(small_split),
                    };
                    let bp = small_db
                        .as_ref()
                        .map_or(partial.bind_range(0, 1), |(_, t)| t.bind());
                    let xs = [d.n, d.cin, d.h, d.w];
                    gpu.launch(Launch {
                        op,
                        shapes: &[&xs, dout.shape()],
                        shader: &shaders::CONV2D_BACKWARD_WEIGHT_SMALL,
                        entry: entry::CONV2D_BACKWARD_WEIGHT_SMALL,
                        overrides: co_overrides(d.k, d.cout),
                        params: params.words(),
                        binds: &[pb, bp, Bind::Texture(xt.view()), Bind::Texture(dt.view())],
                        workgroups: [u(slabs), u(q4 * d.k), u(cout16)],
                    })?;
                    let rows = slabs * (1 + small_split);
                    match &small_db {
                        Some((db, bpartial)) => {
                            reduce_rows2(op, (dw, partial, rows), (db, bpartial, slabs), i == 0)?
                        }
                        None => reduce_rows(op, dw, partial, rows, i == 0)?,
                    }
                    continue;
                }
                let (shader, entry, workgroups) = if tex3 {
                    let wg = [u(slabs), u(q8 * d.k), u(cout8)];
                    (
                        &shaders::CONV2D_BACKWARD_WEIGHT_TEX3,
                        entry::CONV2D_BACKWARD_WEIGHT_TEX3,
                        wg,
                    )
                } else {
                    let wg = [u(slabs), u(q8 * kk), u(cout16)];
                    (
                        &shaders::CONV2D_BACKWARD_WEIGHT_TEX,
                        entry::CONV2D_BACKWARD_WEIGHT_TEX,
                        wg,
                    )
                };
                let xs = [d.n, d.cin, d.h, d.w];
                launch_weight_grad(op, partial, slabs, dw, i == 0, fused_db, || {
                    gpu.launch(Launch {
                        op,
                        shapes: &[&xs, dout.shape()],
                        shader,
                        entry,
                        overrides: &[],
                        params: params.words(),
                        binds: &[pb, Bind::Texture(xt.view()), Bind::Texture(dt.view())],
                        workgroups,
                    })
                })?;
            } else {
                let x = x.expect("the buffer variant reads x");
                let (xb, xoff) = span(x, n0 * d.cin * d.hw(), nbi * d.cin * d.hw());
                let (db_, doff) = span(dout, n0 * d.cout * d.hw(), nbi * d.cout * d.hw());
                let params = Conv2dBackwardWeightBufParams {
                    w: u(d.w),
                    h: u(d.h),
                    cout: u(d.cout),
                    cin: u(d.cin),
                    k: u(d.k),
                    pad: u(d.pad()),
                    rows: u(rows),
                    slabs: u(slabs),
                    e: u(e),
                    xoff,
                    doff,
                    pad_: 0,
                };
                launch_weight_grad(op, partial, slabs * 8, dw, i == 0, fused_db, || {
                    gpu.launch(Launch {
                        op,
                        shapes: &[x.shape(), dout.shape()],
                        shader: &shaders::CONV2D_BACKWARD_WEIGHT_BUF,
                        entry: entry::CONV2D_BACKWARD_WEIGHT_BUF,
                        overrides: &[],
                        params: params.words(),
                        binds: &[pb, xb, db_],
                        workgroups: [u(slabs), u(d.c4() * kk), u(cout8)],
                    })
                })?;
            }
        }
        if let (Some(db), None, None) = (&db, fused_db, &small_db) {
            let (b, off) = span(dout, n0 * d.cout * d.hw(), nbi * d.cout * d.hw());
            // vec4 loads where the planes and the offset are whole texels (measured in the
            // commit that added it).
            let (c, nb, acc) = (u(d.cout), u(nbi), (i > 0) as u32);
            let (shader, entry, params) = if d.hw().is_multiple_of(4) && off.is_multiple_of(4) {
                let p = Conv2dBackwardBias4Params {
                    c,
                    hw4: u(d.hw() / 4),
                    nb,
                    off4: off / 4,
                    accumulate: acc,
                };
                let e = entry::CONV2D_BACKWARD_BIAS4;
                (&shaders::CONV2D_BACKWARD_BIAS4, e, p.words().to_vec())
            } else {
                let p = Conv2dBackwardBiasParams {
                    c,
                    hw: u(d.hw()),
                    nb,
                    off,
                    accumulate: acc,
                };
                let e = entry::CONV2D_BACKWARD_BIAS;
                (&shaders::CONV2D_BACKWARD_BIAS, e, p.words().to_vec())
            };
            gpu.launch(Launch {
                op,
                shapes: &[dout.shape()],
                shader,
                entry,
                overrides: &[],
                params: &params,
                binds: &[db.bind(), b],
                workgroups: [c, 1, 1],
            })?;
        }
    }
    Ok((dx, dw, db))
}

/// Differentiable conv2d (`ConvImpl::Auto`).
pub fn conv2d(x: &Tensor, w: &Tensor, b: Option<&Tensor>) -> Result<Tensor> {
    conv2d_with(x, w, b, ConvImpl::Auto)
}

/// Differentiable conv2d with the implementation forced (tests run both).
pub fn conv2d_with(x: &Tensor, w: &Tensor, b: Option<&Tensor>, imp: ConvImpl) -> Result<Tensor> {
    let d = conv2d_dims("conv2d", x.shape(), w.shape(), b.map(|b| b.shape()))?;
    // With few input channels the texture kernels keep x's texture for the weight gradient
    // (a small texture, held until the backward; packing x again cost as much as packing it
    // in the forward: ~40 ms of the tiny SRResNet's ~1 s step).
    let keep = d.cin <= 16
        && matches!(
            choose(x.gpu(), "conv2d", &d, imp)?,
            ConvImpl::Texture | ConvImpl::Small
        );
    let (out, xt) = forward_keep(x, w, b, imp, keep)?;
    let (sx, sw) = (x.detach(), w.detach());
    let mut inputs = vec![x, w];
    if let Some(b) = b {
        inputs.push(b);
    }
    let nin = inputs.len();
    autograd::record("conv2d", &inputs, &out, move |dout, needs| {
        let want = [needs[0], needs[1], nin > 2 && needs[2]];
        let packed = Packed {
            x: xt.as_ref(),
            ..Packed::default()
        };
        let (dx, dw, db) = backward_packed(
            "conv2d_backward",
            &d,
            dout,
            Some(&sx),
            packed,
            Some(&sw),
            want,
            imp,
        )?;
        let mut g = vec![dx, dw];
        if nin > 2 {
            g.push(db);
        }
        Ok(g)
    });
    Ok(out)
}

/// f64 CPU references (NCHW, zero padding k/2).
pub mod reference {
    /// y[n, o, y, x] = b[o] + sum over i, ky, kx of w[o, i, ky, kx] x[n, i, y+ky-p, x+kx-p].
    pub fn forward(
        x: &[f64],
        xs: [usize; 4],
        w: &[f64],
        ws: [usize; 4],
        b: Option<&[f64]>,
    ) -> Vec<f64> {
        let [n, ci, h, wd] = xs;
        let [co, _, k, _] = ws;
        let p = k / 2;
        let mut y = vec![0.0; n * co * h * wd];
        for nn in 0..n {
            for o in 0..co {
                for yy in 0..h {
                    for xx in 0..wd {
                        let mut s = b.map_or(0.0, |b| b[o]);
                        for i in 0..ci {
                            for ky in 0..k {
                                for kx in 0..k {
                                    let (iy, ix) = (yy + ky, xx + kx);
                                    if iy < p || ix < p || iy - p >= h || ix - p >= wd {
                                        continue;
                                    }
                                    s += w[((o * ci + i) * k + ky) * k + kx]
                                        * x[((nn * ci + i) * h + iy - p) * wd + ix - p];
                                }
                            }
                        }
                        y[((nn * co + o) * h + yy) * wd + xx] = s;
                    }
                }
            }
        }
        y
    }

    /// dx[n, i, iy, ix] = sum over o, ky, kx of w[o, i, ky, kx] dout[n, o, iy-ky+p, ix-kx+p].
    pub fn backward_input(dout: &[f64], w: &[f64], xs: [usize; 4], ws: [usize; 4]) -> Vec<f64> {
        let [n, ci, h, wd] = xs;
        let [co, _, k, _] = ws;
        let p = k / 2;
        let mut dx = vec![0.0; n * ci * h * wd];
        for nn in 0..n {
            for o in 0..co {
                for yy in 0..h {
                    for xx in 0..wd {
                        let g = dout[((nn * co + o) * h + yy) * wd + xx];
                        for i in 0..ci {
                            for ky in 0..k {
                                for kx in 0..k {
                                    let (iy, ix) = (yy + ky, xx + kx);
                                    if iy < p || ix < p || iy - p >= h || ix - p >= wd {
                                        continue;
                                    }
                                    dx[((nn * ci + i) * h + iy - p) * wd + ix - p] +=
                                        g * w[((o * ci + i) * k + ky) * k + kx];
                                }
                            }
                        }
                    }
                }
            }
        }
        dx
    }

    /// dw[o, i, ky, kx] = sum over n, y, x of dout[n, o, y, x] x[n, i, y+ky-p, x+kx-p].
    pub fn backward_weight(x: &[f64], dout: &[f64], xs: [usize; 4], ws: [usize; 4]) -> Vec<f64> {
        let [n, ci, h, wd] = xs;
        let [co, _, k, _] = ws;
        let p = k / 2;
        let mut dw = vec![0.0; co * ci * k * k];
        for nn in 0..n {
            for o in 0..co {
                for yy in 0..h {
                    for xx in 0..wd {
                        let g = dout[((nn * co + o) * h + yy) * wd + xx];
                        for i in 0..ci {
                            for ky in 0..k {
                                for kx in 0..k {
                                    let (iy, ix) = (yy + ky, xx + kx);
                                    if iy < p || ix < p || iy - p >= h || ix - p >= wd {
                                        continue;
                                    }
                                    dw[((o * ci + i) * k + ky) * k + kx] +=
                                        g * x[((nn * ci + i) * h + iy - p) * wd + ix - p];
                                }
                            }
                        }
                    }
                }
            }
        }
        dw
    }

    /// db[o] = sum over n, y, x of dout[n, o, y, x].
    pub fn backward_bias(dout: &[f64], ds: [usize; 4]) -> Vec<f64> {
        let [n, co, h, wd] = ds;
        let mut db = vec![0.0; co];
        for nn in 0..n {
            for (o, v) in db.iter_mut().enumerate() {
                let base = (nn * co + o) * h * wd;
                *v += dout[base..base + h * wd].iter().sum::<f64>();
            }
        }
        db
    }
}
