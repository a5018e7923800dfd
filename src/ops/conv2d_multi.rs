//! Convolution of the channel concatenation of several tensors, without writing the
//! concatenation: `conv2d_multi(&[x0, x1, ...], w, b)` equals `conv2d(concat(xs), w, b)`
//! (RRDBNet's dense blocks, whose every conv reads all the features before it).
//!
//! The texture variant of conv2d already copies its input into a padded NHWC texture
//! (`pack_input`); here one dispatch (shaders/conv2d_pack_inputs4.wgsl) packs every part
//! into consecutive channel ranges of that texture, so the concatenation costs nothing. The
//! texture is kept for the weight gradient (in place of the concatenated x that conv2d would
//! keep). The backward computes dx of the whole input once and gives each part its channel
//! slice summed onto the gradient the tape already holds for that part, in one pass
//! (shaders/conv2d_grad_slice.wgsl, `autograd::record_accumulating`), so neither a split nor
//! a separate accumulation runs. With one part it is conv2d whose backward reuses the packed
//! input and sums dx onto the held gradient.
//!
//! On a CPU adapter a single-part conv where Winograd pays for the forward and the input
//! gradient (64 -> 64: SRResNet's body, MSRN) runs the same packing with Winograd's kernels
//! (ops/conv_winograd.rs) for those two passes: the V transform reads the packed texture, the
//! LeakyReLU and scaling are applied in the GEMM's store, and the input gradient transforms
//! the packed g; the weight gradient stays the texture kernel on the same textures (`Path`).
//! A conv that will be differentiated transforms its weights (both U) and its input (V) in
//! one dispatch. A dense block's convs given as a `FeatureStack` (`conv2d_stack`: RRDBNet's,
//! 64-192 input and 32-64 output channels) run the same Winograd path with one V texture
//! shared by the block: each conv transforms only its newest feature's channels, so V costs
//! 192 channels per block, not 640; in the backward its convs share their input gradients'
//! GEMMs and take Winograd's weight gradient too (`Chain`). A multi-part conv without a stack, with 96-192 input
//! and 32-64 output channels, keeps the texture forward and takes Winograd's input gradient
//! only (`Path::WinogradDx`: there V of all its input channels would cost most of what the
//! GEMM saves). Winograd's input gradient stores each part's channels straight onto the
//! gradient the tape holds for it (shaders/conv_winograd_dx_parts.wgsl) where 10 storage
//! buffers may be bound, so neither dx nor the pass that splits it is written.
//!
//! Where that path does not apply (the buffer variant, a part whose channels are not a
//! multiple of 4, a width not a multiple of 4, more than 5 parts, a batch that needs chunks,
//! fewer than 5 storage buffers per stage) it is conv2d on `concat(xs)`: the same values.

use std::cell::RefCell;
use std::rc::Rc;

use crate::autograd;
use crate::error::{shape_err, Result};
use crate::gpu::params::{
    entry, Conv2dGradSliceParams, Conv2dGradSlicesParams, Conv2dPackDout4ActParams,
    Conv2dPackInputs4Params, Conv2dPackWeight2Params, KernelParams,
};
use crate::gpu::{shaders, Bind, Gpu, Launch, PooledTexture};
use crate::ops::concat::{self, launch_split, row_grid, widen, Split};
use crate::ops::conv2d::{self, conv2d_dims, u, ConvDims, ConvImpl, Packed, TEX};
use crate::ops::conv_winograd::Flip;
use crate::ops::{activation, conv_winograd, pixel_shuffle, scale};
use crate::tensor::Tensor;

/// Parts one packing dispatch reads (bindings x0..x4 of conv2d_pack_inputs4.wgsl).
pub const MAX_PARTS: usize = 5;
// The Winograd input gradient's part-by-part store (conv_winograd_dx_parts.wgsl) binds as
// many parts as the packing does.
const _: () = assert!(conv_winograd::PARTS == MAX_PARTS);

/// Differentiable conv2d of the channel concatenation of `xs` (`ConvImpl::Auto`).
pub fn conv2d_multi(xs: &[&Tensor], w: &Tensor, b: Option<&Tensor>) -> Result<Tensor> {
    conv2d_multi_with(xs, w, b, ConvImpl::Auto)
}

/// `conv2d_multi` with the implementation forced (tests run both).
pub fn conv2d_multi_with(
    xs: &[&Tensor],
    w: &Tensor,
    b: Option<&Tensor>,
    imp: ConvImpl,
) -> Result<Tensor> {
    multi_path(xs, w, b, Epilogue::default(), imp, false, None)
}

/// What the fused paths apply to the convolution's result as they store it: LeakyReLU(slope)
/// (slope >= 0: the backward reads the sign of the output), then a scaling (s > 0: a
/// residual branch's, RRDBNet's 0.2), then a pixel shuffle by 2 ([N, Cout, H, W] ->
/// [N, Cout / 4, 2H, 2W], an upsampler's; LeakyReLU commutes with it, a permutation). Their
/// backward runs as dout is packed (shaders/conv2d_pack_dout4_act.wgsl), so none costs a
/// dispatch of its own; where no fused path applies they run as separate ops after the conv.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Epilogue {
    pub slope: Option<f32>,
    pub scale: Option<f32>,
    pub shuffle: bool,
}

impl Epilogue {
    /// LeakyReLU(slope) (0: ReLU).
    pub fn lrelu(slope: f32) -> Epilogue {
        Epilogue {
            slope: Some(slope),
            ..Epilogue::default()
        }
    }
    /// Multiplication by `s`.
    pub fn scaled(s: f32) -> Epilogue {
        Epilogue {
            scale: Some(s),
            ..Epilogue::default()
        }
    }
    /// This epilogue followed by a pixel shuffle by 2.
    pub fn shuffled(self) -> Epilogue {
        Epilogue {
            shuffle: true,
            ..self
        }
    }

    /// The checks that make the fused backward valid, as typed errors.
    fn check(&self, w: &Tensor) -> Result<()> {
        let bad = |detail: String| {
            Err(crate::error::shape_err(
                "conv2d_multi",
                &[w.shape()],
                detail,
            ))
        };
        if let Some(slope) = self.slope.filter(|s| s.is_nan() || *s < 0.0) {
            return bad(format!(
                "slope {slope} must be >= 0 (the backward reads the sign of the output)"
            ));
        }
        if let Some(s) = self.scale.filter(|s| !(s.is_finite() && *s > 0.0)) {
            return bad(format!("scale {s} must be finite and > 0"));
        }
        if self.shuffle && !w.shape().first().is_some_and(|c| c.is_multiple_of(4)) {
            return bad("a pixel shuffle by 2 needs output channels a multiple of 4".into());
        }
        Ok(())
    }
}

/// `ep`(conv2d_multi(xs, w, b)) with the implementation forced (`ConvImpl::Auto` to let it
/// choose), the epilogue fused where a fused path applies.
pub fn conv2d_multi_fused(
    xs: &[&Tensor],
    w: &Tensor,
    b: Option<&Tensor>,
    ep: Epilogue,
    imp: ConvImpl,
) -> Result<Tensor> {
    ep.check(w)?;
    multi_path(xs, w, b, ep, imp, false, None)
}

/// `conv2d_multi_fused` under `ConvImpl::Auto` that keeps the fused texture kernels where
/// `Auto` would take the fused Winograd path: a dispatch fewer per conv (Winograd's input
/// gradient transforms dout in its own pass), for a model that counts them (RRDBNet's
/// budget of 3,000 per step).
pub fn conv2d_multi_texture_only(
    xs: &[&Tensor],
    w: &Tensor,
    b: Option<&Tensor>,
    ep: Epilogue,
) -> Result<Tensor> {
    ep.check(w)?;
    multi_path(xs, w, b, ep, ConvImpl::Auto, true, None)
}

/// A dense block's features, for `conv2d_stack`: the block's input and each feature its convs
/// add, every conv reading all of them (RRDBNet's residual dense blocks). Where the convs run
/// Winograd's forward, each feature is packed once into a padded NHWC texture the block's
/// convs share (the weight gradients read its first channel groups) and transformed once
/// into a shared V texture (channel groups in the order of the features), instead of every
/// conv packing and transforming all of its input channels: per RRDBNet block 64 + 32 + 32
/// + 32 + 32 = 192 channels instead of 64 + 96 + 128 + 160 + 192 = 640.
///
/// Their input gradients are shared too (`Chain`): each conv's transformed output gradient
/// and flipped weights go one after another into two textures of the stack, and a feature's
/// whole input gradient (the sum over every later conv that reads it) is one GEMM over all
/// of them, stored once by the feature's first reader, instead of each
/// reader's GEMM adding its share onto the gradient the tape holds (per RRDBNet block 192
/// channels stored instead of 640 read and written). For that each conv's output channels
/// must be a multiple of 32 and all of them, summed, fit in `capacity` (a residual dense
/// block's do: its last conv gives back the input's channels); else the convs compute their
/// input gradients alone.
pub struct FeatureStack {
    parts: Vec<Tensor>,
    capacity: usize,
    shared: Option<Shared>,
    chain: Rc<RefCell<Chain>>,
    /// Parts read by the stack's previous conv: later ones are the next conv's new parts.
    seen: usize,
}

/// The input gradients of a stack's convs (`FeatureStack`). Each linked conv's flipped U (its
/// input gradient's weights) sits in `uft` at segments `seg..seg + segs` (32 of its output
/// channels each; rows: the stack's channels; conv_winograd::segment_texture), and at its
/// backward V of its output gradient goes to the same segments of `d`. When the convs form a
/// chain (each conv's new parts are the previous conv's output, as in a dense block), the
/// tape runs their backward last conv first, and conv i's new parts are read by convs i..
/// only: so at conv i's backward every later conv's segments are filled, and the gradient
/// of its new parts is the GEMM over segments `seg_i..` (of the convs whose backward ran),
/// stored once. Its older parts are earlier convs' new parts, whose backward runs after its
/// own and reads its segments: it passes their held gradients on untouched. Otherwise each
/// conv computes the gradients of all its parts from its own segments.
#[derive(Default)]
struct Chain {
    uft: Option<PooledTexture>,
    links: Vec<Link>,
    /// Segments taken.
    segs: usize,
    /// False once a conv of the stack did not link.
    whole: bool,
    /// Whether the links form a chain (decided at the first backward).
    chained: Option<bool>,
    /// The output gradients' V (made at the first backward, dropped after the first conv's
    /// when chained).
    d: Option<PooledTexture>,
    /// The block's features transformed for the weight gradients (`WeightCols`) and their
    /// channels (made at the first backward, dropped after the first conv's when chained).
    xc: Option<(PooledTexture, usize)>,
}

struct Link {
    seg: usize,
    segs: usize,
    /// Index of the conv's first new part.
    first: usize,
    /// Ids of its new parts, and of its output.
    new: Vec<u64>,
    out: u64,
    /// Whether its backward ran (its segments of `d` hold V of its output gradient).
    ran: bool,
}

impl Chain {
    fn chained(&mut self) -> bool {
        if self.chained.is_none() {
            // (The first link is the stack's first conv whenever `whole`: its new parts are all.)
            let l = &self.links;
            let ok = self.whole && (1..l.len()).all(|i| l[i].new == [l[i - 1].out]);
            self.chained = Some(ok);
        }
        self.chained == Some(true)
    }
}

/// A conv's place in its stack's `Chain`.
struct LinkRef {
    chain: Rc<RefCell<Chain>>,
    index: usize,
}

/// What a linked conv's backward gives: each part's gradient (or its held one passed on),
/// dw and db.
type LinkGrads = (Vec<Option<Tensor>>, Option<Tensor>, Option<Tensor>);

impl LinkRef {
    /// The conv's gradients (`d`; its parts' channels `sizes`; `want` = [parts, w, b]) from
    /// its packed output gradient `dt`, on Winograd's kernels:
    /// - one dispatch of transforms (conv_winograd::grad_transforms): V of `dt` into its
    ///   segments of the chain's texture; dM of `dt` for its weight gradient; at the block's
    ///   first backward V of the block's packed features `xt` (`ls` layers per item) for every
    ///   conv's weight gradient, kept in the chain;
    /// - the input gradients' GEMM of the parts it gives (all of them, or when chained its new
    ///   ones over its and every later conv's segments), each stored onto its held gradient;
    ///   the held gradients of the others passed on;
    /// - dw and db from the weight gradient's operands (its 16 GEMMs, then G^T . G) where the
    ///   weights need a gradient (db alone is left to the caller).
    #[allow(clippy::too_many_arguments)]
    fn backward(
        &self,
        d: &ConvDims,
        dt: &PooledTexture,
        (xt, ls): (&PooledTexture, usize),
        sizes: &[usize],
        want: [bool; 3],
        needs: &[bool],
        held: &[Option<Tensor>],
        any: &Tensor,
    ) -> Result<LinkGrads> {
        let op = "conv2d_multi_backward";
        let gpu = any.gpu();
        let shapes = [any.shape()];
        let mut ch = self.chain.borrow_mut();
        let (wdx, wdw) = (want[0], want[1]);
        // The segments of every linked conv.
        let vt = match (wdx, ch.d.take()) {
            (false, t) => {
                ch.d = t;
                None
            }
            (true, Some(t)) => Some(t),
            (true, None) => {
                let rows = conv_winograd::v_size(gpu, d, d.cout, d.n).1;
                Some(conv_winograd::segment_texture(gpu, op, rows, ch.segs)?)
            }
        };
        // The block's features, transformed at its first backward for every conv's weight
        // gradient (the convs' backward runs last first, so the first has the most channels).
        let xc_new = match (wdw, &ch.xc) {
            (true, None) => Some(conv_winograd::empty_cols(gpu, op, d, d.cin, d.n)?),
            _ => None,
        };
        if let (true, Some((_, c))) = (wdw, &ch.xc) {
            if *c < d.cin {
                let why = "a dense block's convs ran their backward out of order";
                return Err(shape_err(op, &shapes, why));
            }
        }
        let dm = match wdw {
            true => Some(conv_winograd::empty_cols(gpu, op, d, d.cout, d.n)?),
            false => None,
        };
        let seg = ch.links[self.index].seg;
        let dv = vt.as_ref().map(|t| (t, seg));
        let x = xc_new.as_ref().map(|xc| (xt, ls, d.cin, xc));
        let tr = conv_winograd::grad_transforms(gpu, op, d, dt, dv, dm.as_ref(), x, &shapes)?;
        if let Some(xc) = xc_new {
            ch.xc = Some((xc, d.cin));
        }
        let (dw, db) = match &dm {
            Some(dm) => {
                let xc = &ch.xc.as_ref().expect("made above").0;
                let cols = conv_winograd::WeightCols { dm, xc };
                let (dw, db) = conv_winograd::weight_grad_from_cols(op, d, cols, want[2], any)?;
                (Some(dw), db)
            }
            None => (None, None),
        };
        let chained = ch.chained();
        let Some(vt) = vt else {
            if chained && self.index == 0 {
                ch.xc = None;
            }
            return Ok((held.to_vec(), dw, db));
        };
        ch.links[self.index].ran = true;
        let (first, end) = if chained {
            let l = &ch.links;
            let end = (self.index..l.len())
                .take_while(|&i| l[i].ran)
                .last()
                .unwrap_or(self.index);
            if l[end + 1..].iter().any(|l| l.ran) {
                // A conv reading these parts ran without the one after it, which never happens
                // on a chain (each conv's output is the next one's new part).
                let why = "a dense block's convs ran their backward out of order";
                return Err(shape_err(op, &shapes, why));
            }
            (l[self.index].first, l[end].seg + l[end].segs)
        } else {
            (0, seg + ch.links[self.index].segs)
        };
        let mut starts = vec![0];
        for c in &sizes[first..] {
            starts.push(starts.last().unwrap() + c);
        }
        // Parts not needed are written to scratch tensors (never returned).
        let outs: Vec<Tensor> = sizes[first..]
            .iter()
            .map(|c| Tensor::empty(gpu, op, &[d.n, *c, d.h, d.w]))
            .collect::<Result<_>>()?;
        let prevs: Vec<Option<&Tensor>> = held[first..].iter().map(|h| h.as_ref()).collect();
        let obase = sizes[..first].iter().sum();
        let parts = conv_winograd::Parts {
            outs: &outs,
            prevs: &prevs,
            starts: &starts,
            cout: starts[starts.len() - 1],
        };
        let k = (seg, end, conv_winograd::SEGMENT, conv_winograd::SEGMENT);
        let uft = ch.uft.as_ref().expect("made by the first link");
        conv_winograd::gemm_parts(op, d, &vt, tr, k, (uft, obase), parts, any)?;
        // The first conv's backward is the chain's last: its textures go back to the pool.
        if chained && self.index == 0 {
            ch.xc = None;
        } else {
            ch.d = Some(vt);
        }
        let mut g: Vec<Option<Tensor>> = held[..first].to_vec();
        g.extend(
            outs.into_iter()
                .zip(&needs[first..])
                .map(|(t, n)| n.then_some(t)),
        );
        Ok((g, dw, db))
    }
}

/// A stack's shared textures: packed (`capacity / 4` layers per batch item, kept by the
/// convs' backward for their weight gradients) and V, and the channels already in them.
struct Shared {
    xt: Rc<PooledTexture>,
    vt: PooledTexture,
    done: usize,
}

impl FeatureStack {
    /// A stack holding `x`, whose features will come to at most `capacity` channels in all
    /// (the shared texture's size).
    pub fn new(x: &Tensor, capacity: usize) -> FeatureStack {
        FeatureStack {
            parts: vec![x.clone()],
            capacity,
            shared: None,
            chain: Rc::new(RefCell::new(Chain {
                whole: true,
                ..Chain::default()
            })),
            seen: 0,
        }
    }

    /// Links the stack's next conv (`d`, reading `xs`, output `out`) into the chain of input
    /// gradients where its columns fit and its parts can be stored by the part-by-part GEMM;
    /// else marks the chain broken (None). Either way its new parts are seen.
    fn link(&mut self, gpu: &Gpu, op: &str, d: &ConvDims, out: &Tensor) -> Result<Option<LinkRef>> {
        let first = self.seen;
        self.seen = self.parts.len();
        let max = gpu.limits().max_storage_buffer_binding_size;
        let bindable = self.parts.iter().all(|t| t.bytes() <= max);
        let mut ch = self.chain.borrow_mut();
        // Segments of 32 channels: the stack's capacity in channels, within the layers allowed.
        let seg_channels = 4 * conv_winograd::SEGMENT;
        let layers = gpu.limits().max_texture_array_layers as usize;
        let cap = (self.capacity / seg_channels).min(layers / 16);
        let segs = d.cout / seg_channels;
        let fits = d.cout.is_multiple_of(seg_channels) && ch.segs + segs <= cap;
        if !ch.whole || !bindable || !conv_winograd::parts_fit(gpu) || !fits {
            ch.whole = false;
            return Ok(None);
        }
        if ch.uft.is_none() {
            ch.uft = Some(conv_winograd::segment_texture(gpu, op, self.capacity, cap)?);
        }
        let seg = ch.segs;
        ch.segs += segs;
        ch.links.push(Link {
            seg,
            segs,
            first,
            new: self.parts[first..].iter().map(|t| t.id()).collect(),
            out: out.id(),
            ran: false,
        });
        Ok(Some(LinkRef {
            chain: self.chain.clone(),
            index: ch.links.len() - 1,
        }))
    }

    /// A conv of the stack that does not link (another path, or no input gradient).
    fn unlink(&mut self) {
        self.seen = self.parts.len();
        self.chain.borrow_mut().whole = false;
    }

    /// Adds a feature after the others.
    pub fn push(&mut self, t: &Tensor) {
        self.parts.push(t.clone());
    }

    /// Layers per batch item of the shared packed texture.
    fn layers(&self) -> usize {
        self.capacity.div_ceil(4)
    }

    /// Segments (32 channels each) of the shared V texture (conv_winograd::segment_texture).
    fn segments(&self) -> usize {
        self.layers().div_ceil(conv_winograd::SEGMENT)
    }

    /// Whether the shared textures of a conv `d` fit the adapter's limits.
    fn fits(&self, gpu: &Gpu, d: &ConvDims) -> bool {
        let l = gpu.limits();
        d.cin <= self.capacity
            && self.layers() <= l.max_texture_dimension_2d as usize
            && d.n * self.layers() <= l.max_texture_array_layers as usize
            && 16 * self.segments() <= l.max_texture_array_layers as usize
            && conv_winograd::items_per_chunk(gpu, d, self.capacity, d.cout) >= d.n
    }

    /// The shared textures (made at the first use) and the first channel group of a conv of
    /// `d.cin` channels not yet packed and transformed into them; `multi_path` puts them back.
    fn take_shared(
        &mut self,
        op: &str,
        d: &ConvDims,
    ) -> Result<(Rc<PooledTexture>, PooledTexture, usize)> {
        let gpu = self.parts[0].gpu();
        let s = match self.shared.take() {
            Some(s) => s,
            None => {
                let (tw, th) = d.tex_size();
                let layers = d.n * self.layers();
                Shared {
                    xt: Rc::new(gpu.alloc_texture_view(op, u(tw), u(th), u(layers), TEX, true)?),
                    // Segments, not one row of all the channels: each conv's V then fills
                    // whole rows of its segments (measured in the input gradients' V:
                    // 1.0-1.3 s per RRDBNet step against 2.0-2.1 s writing 128 bytes of each
                    // 832-byte row; the forward's V likewise, `Chain`).
                    vt: {
                        let rows = conv_winograd::v_size(gpu, d, self.capacity, d.n).1;
                        conv_winograd::segment_texture(gpu, op, rows, self.segments())?
                    },
                    done: 0,
                }
            }
        };
        Ok((s.xt, s.vt, s.done.min(d.cin) / 4))
    }
}

/// `ep`(conv2d_multi(stack's features, w, b)) under `ConvImpl::Auto`, the features' Winograd
/// input transforms shared with the stack's other convs where that path runs.
pub fn conv2d_stack(
    stack: &mut FeatureStack,
    w: &Tensor,
    b: Option<&Tensor>,
    ep: Epilogue,
) -> Result<Tensor> {
    ep.check(w)?;
    let parts = stack.parts.clone();
    let xs: Vec<&Tensor> = parts.iter().collect();
    multi_path(&xs, w, b, ep, ConvImpl::Auto, false, Some(stack))
}

/// Which kernels run a conv2d_multi.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Path {
    /// conv2d (of the concatenation), the epilogue as separate ops.
    Plain,
    /// The parts packed in one dispatch, the texture kernels with the epilogue fused.
    Texture,
    /// The parts packed as for `Texture`; the forward and the input gradient on the Winograd
    /// kernels (the epilogue fused into the forward's store), the weight gradient on the
    /// texture kernels from the same packed textures (a stack's linked convs: on Winograd's
    /// too, `LinkRef::backward`).
    Winograd,
    /// As `Texture`, but the input gradient on the Winograd kernels (from the packed dout).
    WinogradDx,
}

/// The convolution and its epilogue; `texture_only` keeps the fused texture kernels where
/// `Auto` would take the fused Winograd path (`conv2d_multi_texture_only`).
fn multi_path(
    xs: &[&Tensor],
    w: &Tensor,
    b: Option<&Tensor>,
    ep: Epilogue,
    imp: ConvImpl,
    texture_only: bool,
    stack: Option<&mut FeatureStack>,
) -> Result<Tensor> {
    let op = "conv2d_multi";
    let (_, shape) = concat::layout(op, xs)?;
    let d = conv2d_dims(op, &shape, w.shape(), b.map(|b| b.shape()))?;
    let gpu = xs[0].gpu();
    // The stack's shared V texture serves convs of at most its capacity in channels.
    let mut stack = stack;
    if !stack.as_ref().is_some_and(|s| s.fits(gpu, &d)) {
        if let Some(st) = stack.take() {
            st.unlink();
        }
    }
    let stacked = stack.is_some();
    let path = fused_path(gpu, op, &d, xs, ep, imp, texture_only, stacked)?;
    if path == Path::Plain {
        if let Some(st) = stack {
            st.unlink();
        }
        let y = match xs {
            [x] => conv2d::conv2d_with(x, w, b, imp)?,
            _ => conv2d::conv2d_with(&concat::concat(xs)?, w, b, imp)?,
        };
        let y = match ep.slope {
            Some(slope) => activation::leaky_relu(&y, slope)?,
            None => y,
        };
        let y = match ep.scale {
            Some(s) => scale::scale(&y, s)?,
            None => y,
        };
        return if ep.shuffle {
            pixel_shuffle::pixel_shuffle(&y, 2)
        } else {
            Ok(y)
        };
    }
    gpu.count_flops(d.flops());
    let wino = path == Path::Winograd;
    // Whether the input gradient runs on the Winograd kernels.
    let wino_dx_path = wino || path == Path::WinogradDx;
    // The packed input (and its layers per batch item), and Winograd's V texture with the
    // first channel group to transform into it: the stack's shared textures (the groups of
    // the features before this conv's newest already packed and transformed), or new ones.
    let (xt, ls, wv) = match (wino, stack.as_deref_mut()) {
        (true, Some(st)) => {
            let ls = st.layers();
            let (xt, vt, q0) = st.take_shared(op, &d)?;
            pack_inputs_into(op, xs, &d, &xt, (q0, ls))?;
            (xt, ls, Some((vt, q0)))
        }
        (true, None) => {
            let vt = conv_winograd::v_texture(gpu, op, &d, d.cin)?;
            (Rc::new(pack_inputs(op, xs, &d)?), d.c4(), Some((vt, 0)))
        }
        (false, _) => (Rc::new(pack_inputs(op, xs, &d)?), d.c4(), None),
    };
    // The input gradient's weights are transformed now, in the same dispatch, when it will be
    // asked (with Winograd's V too).
    let dx_wanted = autograd::is_recording() && xs.iter().any(|t| t.requires_grad());
    let out_shape = if ep.shuffle {
        [d.n, d.cout / 4, 2 * d.h, 2 * d.w]
    } else {
        [d.n, d.cout, d.h, d.w]
    };
    let out = Tensor::empty(gpu, op, &out_shape)?;
    // A stack's conv whose input gradient is Winograd's joins its chain (`Chain`).
    let link = match (path, dx_wanted, stack.as_deref_mut()) {
        (Path::Winograd, true, Some(st)) => st.link(gpu, op, &d, &out)?,
        (_, _, Some(st)) => {
            st.unlink();
            None
        }
        _ => None,
    };
    let chain = link.as_ref().map(|l| (l.chain.borrow(), l.index));
    let (wt, wft, v_done) = match (path, dx_wanted, &wv) {
        (Path::Winograd, _, Some((vt, q0))) => {
            let flip = match (dx_wanted, &chain) {
                (false, _) => Flip::No,
                (true, Some((ch, i))) => {
                    let uft = ch.uft.as_ref().expect("made by the link");
                    Flip::Shared(uft, ch.links[*i].seg)
                }
                (true, None) => Flip::Own,
            };
            let q = (*q0, ls);
            let (a, b, tr) = conv_winograd::weights_and_v(op, w, &d, &xt, vt, q, stacked, flip)?;
            (a, b, Some(tr))
        }
        (Path::WinogradDx, true, _) => {
            let (a, b) = conv_winograd::weight_textures_mixed(op, w, &d)?;
            (a, Some(b), None)
        }
        (_, true, _) => {
            let (a, b) = pack_weight_both(op, w, &d)?;
            (a, Some(b), None)
        }
        (_, false, _) => (conv2d::pack_weight(op, w, &d, false)?, None, None),
    };
    drop(chain);
    let (o, c) = (&out, d.cout);
    if let Some((vt, _)) = wv {
        let act = (ep.slope.unwrap_or(1.0), ep.scale.unwrap_or(1.0));
        let tr = v_done.expect("V transformed with the weights");
        conv_winograd::gemm_whole(op, &d, &vt, tr, stacked, &wt, b, w, o, act)?;
        if let Some(st) = stack {
            let xt = xt.clone();
            st.shared = Some(Shared {
                xt,
                vt,
                done: d.cin,
            });
        }
    } else {
        conv2d::launch_tex_act(
            op,
            &d,
            &xt,
            d.c4(),
            &wt,
            b,
            w,
            o,
            c,
            (0, d.n),
            ep.slope,
            ep.scale,
            ep.shuffle,
        )?;
    }
    // The activation's backward reads the sign of its output.
    let y = ep.slope.map(|_| out.detach());
    let sizes: Vec<usize> = xs.iter().map(|t| t.shape()[1]).collect();
    let sw = w.detach();
    let mut inputs = xs.to_vec();
    inputs.push(w);
    if let Some(b) = b {
        inputs.push(b);
    }
    let k = xs.len();
    let nin = inputs.len();
    let bwd = match wino_dx_path {
        true => ConvImpl::Texture,
        false => backward_variant(gpu, &d, imp),
    };
    autograd::record_accumulating("conv2d_multi", &inputs, &out, move |dout, needs, held| {
        let want = [
            needs[..k].iter().any(|n| *n),
            needs[k],
            nin > k + 1 && needs[k + 1],
        ];
        let bop = "conv2d_multi_backward";
        // With an epilogue: g = its backward applied to dout, packed in the same pass. The
        // Winograd input gradient reads the packed texture too, so it is packed without one.
        let (g, dt) = if ep == Epilogue::default() {
            let dt = match wino_dx_path && (want[0] || want[1]) {
                true => Some(conv2d::pack_input(bop, dout, &d, d.cout, d.d4(), (0, d.n))?),
                false => None,
            };
            (dout.clone(), dt)
        } else {
            // Without the activation the mask is slope 1 (y not read: dout bound in its place).
            let (slope, y) = (ep.slope.unwrap_or(1.0), y.as_ref().unwrap_or(dout));
            // Small's weight gradient sums db from the texture, and a linked conv's backward
            // reads only the texture (db from its transform, with dw): then nothing reads g,
            // and dout stands in for it below only as a binding that is never read. (A linked
            // conv asked db alone leaves it to the texture kernels, which read g.)
            let store_g = match link {
                Some(_) => !want[1] && want[2],
                None => !(bwd == ConvImpl::Small && want[1]),
            };
            let scale = ep.scale.unwrap_or(1.0);
            let (g, dt) = pack_dout_act(dout, y, slope, scale, ep.shuffle, store_g, &d)?;
            (g.unwrap_or_else(|| dout.clone()), Some(dt))
        };
        // The Winograd input gradient: each part's channels stored onto its held gradient
        // where the bindings allow (`wino_part_grads`), else dx, which part_grads splits.
        // A linked conv: its input gradients, dw and db on Winograd's kernels (`LinkRef`).
        let mut linked = (None, None);
        let (wino_dx, wino_parts) = match (wino_dx_path && want[0], &dt, &link, &wft) {
            (_, Some(dt), Some(l), _) if want[0] || want[1] => {
                let gpu = dout.gpu();
                gpu.count_flops(d.flops() * (want[0] as u8 + want[1] as u8) as f64);
                let x = (&*xt, ls);
                let (needs, held) = (&needs[..k], &held[..k]);
                let (g, dw, db) = l.backward(&d, dt, x, &sizes, want, needs, held, dout)?;
                linked = (dw, db);
                (None, want[0].then_some(g))
            }
            (true, Some(dt), None, Some(wft)) => {
                let gpu = dout.gpu();
                gpu.count_flops(d.flops());
                let (held, needs) = (&held[..k], &needs[..k]);
                match wino_part_grads(&d, dt, wft, &sizes, needs, held, dout)? {
                    Some(g) => (None, Some(g)),
                    None => {
                        let dx = Tensor::empty(gpu, bop, &[d.n, d.cin, d.h, d.w])?;
                        let (cin, cout, one, c) = (d.cin, d.cout, (1.0, 1.0), (0, d.n));
                        conv_winograd::conv_chunk(
                            bop, &d, dt, cout, wft, None, &g, &dx, cin, c, one,
                        )?;
                        (Some(dx), None)
                    }
                }
            }
            _ => (None, None),
        };
        // (Winograd without its flipped weights, never asked in practice: the texture kernel.)
        let want_here = [
            want[0] && wino_dx.is_none() && wino_parts.is_none(),
            want[1] && linked.0.is_none(),
            want[2] && linked.1.is_none(),
        ];
        let (dx, dw, db) = match want_here.iter().any(|w| *w) {
            true => conv2d::backward_packed(
                bop,
                &d,
                &g,
                None,
                Packed {
                    x: Some(&xt),
                    w_flipped: if wino_dx_path { None } else { wft.as_ref() },
                    dout: dt.as_ref(),
                    x_layers: ls,
                },
                Some(&sw),
                want_here,
                bwd,
            )?,
            false => (None, None, None),
        };
        let (dw, db) = (dw.or(linked.0), db.or(linked.1));
        let dx = dx.or(wino_dx);
        let mut g = match (wino_parts, &dx) {
            (Some(g), _) => g,
            (None, Some(dx)) => part_grads(dx, &sizes, &needs[..k], &held[..k])?,
            (None, None) => vec![None; k],
        };
        // Weights and bias: added to a held gradient the ordinary way (a shared weight).
        let own = [dw, db];
        for (i, gi) in own.into_iter().take(nin - k).enumerate() {
            g.push(match (gi, &held[k + i]) {
                (Some(gi), Some(prev)) => Some(autograd::accumulate(prev, &gi)?),
                (gi, _) => gi,
            });
        }
        Ok(g)
    });
    Ok(out)
}

/// The variant of the fused path's backward: Small's weight gradient where conv2d would pick
/// Small (3x3, <= 16 input channels; its input gradient is the texture kernel's, as for
/// Texture), or where it is forced on a 3x3 conv, else the texture kernels (Small has no
/// other kernel size: `conv2d::backward_packed` runs Texture's weight gradient there, which
/// reads g for the bias gradient, so g must then be written).
fn backward_variant(gpu: &Gpu, d: &ConvDims, imp: ConvImpl) -> ConvImpl {
    match imp {
        ConvImpl::Small if d.k == 3 => ConvImpl::Small,
        ConvImpl::Auto if conv2d::chosen_variant(gpu, d) == ConvImpl::Small => ConvImpl::Small,
        _ => ConvImpl::Texture,
    }
}

/// The kernels that run this conv2d_multi (see the module doc and `Path`).
#[allow(clippy::too_many_arguments)]
fn fused_path(
    gpu: &Gpu,
    op: &str,
    d: &ConvDims,
    xs: &[&Tensor],
    ep: Epilogue,
    imp: ConvImpl,
    texture_only: bool,
    stacked: bool,
) -> Result<Path> {
    // Under Auto on a CPU adapter a dense block's conv given with its `FeatureStack` runs
    // Winograd's forward and input gradient where `stack_pays` (V shared by the block). The
    // texture kernels serve the forward of every other multi-part conv here, even where plain
    // conv2d would take Winograd's (its V transform of 96-192 channels costs most of what the
    // GEMM saves; the packed parts save the concatenation); their input gradient is
    // Winograd's where `dx_pays_multi` (`wino_dx` below). Where plain
    // conv2d picks Small (<= 16 input channels: every conv of the tiny SRResNet) the fused
    // path runs it too (`backward_variant`: the forward is the texture kernel either way, the
    // weight gradient Small's). A single part that plain conv2d would run on Winograd
    // (forward and input gradient, 64-192 channels) goes to plain conv2d for a widening conv
    // (64 -> 256 upsampling convs, where Winograd's forward measured 1.7-1.9x, and their
    // pixel shuffle is the texture kernel's store), else (64 -> 64) to the fused Winograd
    // path: Winograd's forward and input gradient from the packed textures, the epilogue in
    // its store, the texture kernels' weight gradient (Winograd's is slower). That costs a
    // dispatch more per conv than the fused texture path (the input gradient's V transform;
    // the forward's is in the weights' dispatch), which `texture_only` declines (RRDBNet's
    // 64 -> 64 convs: its step has a budget of 3,000 dispatches).
    let wino_auto = imp == ConvImpl::Auto
        && gpu.is_cpu()
        && xs.len() == 1
        && conv2d::chosen_variant(gpu, d) == ConvImpl::Winograd
        && d.cout <= d.cin;
    // A dense block's conv whose features' input transforms are shared (`FeatureStack`).
    let wino_stacked = imp == ConvImpl::Auto
        && gpu.is_cpu()
        && stacked
        && conv_winograd::stack_pays(d)
        && conv_winograd::blocker(gpu, d).is_none();
    let wino = match imp {
        ConvImpl::Auto => {
            wino_stacked || wino_auto && conv_winograd::fwd_pays(d) && conv_winograd::dx_pays(d)
        }
        ConvImpl::Winograd => conv_winograd::blocker(gpu, d).is_none(),
        _ => false,
    } && !ep.shuffle
        && !texture_only
        && conv2d::texture_blocker(gpu, d).is_none()
        && conv_winograd::items_per_chunk(gpu, d, d.cin, d.cout) >= d.n
        && conv_winograd::items_per_chunk(gpu, d, d.cout, d.cin) >= d.n;
    // A multi-part conv (RRDBNet's dense blocks) takes Winograd's input gradient only, where
    // that pays (`conv_winograd::dx_pays_multi`); its forward stays the texture kernel.
    let wino_dx = !wino
        && imp == ConvImpl::Auto
        && gpu.is_cpu()
        && xs.len() > 1
        && conv_winograd::dx_pays_multi(d)
        && !ep.shuffle
        && !texture_only
        && conv_winograd::blocker(gpu, d).is_none()
        && conv_winograd::items_per_chunk(gpu, d, d.cout, d.cin) >= d.n;
    let texture = wino
        || match imp {
            ConvImpl::Auto if gpu.is_cpu() && xs.len() == 1 => {
                match conv2d::chosen_variant(gpu, d) {
                    ConvImpl::Small => true,
                    ConvImpl::Winograd => d.cout <= d.cin,
                    v => v == ConvImpl::Texture,
                }
            }
            ConvImpl::Auto if gpu.is_cpu() => conv2d::texture_blocker(gpu, d).is_none(),
            _ => matches!(
                conv2d::choose(gpu, op, d, imp)?,
                ConvImpl::Texture | ConvImpl::Small
            ),
        };
    if !texture
        || xs.len() > MAX_PARTS
        || !d.w.is_multiple_of(4)
        || xs.iter().any(|t| !t.shape()[1].is_multiple_of(4))
        || gpu.limits().max_storage_buffers_per_shader_stage < MAX_PARTS as u32
    {
        return Ok(Path::Plain);
    }
    // The packed texture serves the weight gradient too: the backward's chunking must also
    // keep the whole batch in one launch.
    let nb = conv2d::batch_chunk(
        gpu,
        op,
        d,
        &[d.cin * d.hw(), d.cout * d.hw()],
        &[d.c4(), d.d4()],
        &[d.c4(), d.d4(), d.cin.div_ceil(8), d.cout.div_ceil(8)],
    )?;
    Ok(match (nb == d.n, wino, wino_dx) {
        (false, _, _) => Path::Plain,
        (true, true, _) => Path::Winograd,
        (true, false, true) => Path::WinogradDx,
        (true, false, false) => Path::Texture,
    })
}

/// The weights as the forward's texture and as the input gradient's (transposed, rotated),
/// in one dispatch (shaders/conv2d_pack_weight2.wgsl).
fn pack_weight_both(op: &str, w: &Tensor, d: &ConvDims) -> Result<(PooledTexture, PooledTexture)> {
    let gpu = w.gpu();
    let kk = d.k * d.k;
    let (tw, th) = (d.cout.next_multiple_of(8), d.c4() * kk);
    let (ftw, fth) = (d.cin.next_multiple_of(8), d.d4() * kk);
    let t = gpu.alloc_texture_view(op, u(tw), u(th), 1, TEX, false)?;
    let tf = gpu.alloc_texture_view(op, u(ftw), u(fth), 1, TEX, false)?;
    gpu.launch(Launch {
        op,
        shapes: &[w.shape()],
        shader: &shaders::CONV2D_PACK_WEIGHT2,
        entry: entry::CONV2D_PACK_WEIGHT2,
        overrides: &[],
        params: Conv2dPackWeight2Params {
            cout: u(d.cout),
            cin: u(d.cin),
            kk: u(kk),
            tw: u(tw),
            th: u(th),
            ftw: u(ftw),
            fth: u(fth),
        }
        .words(),
        binds: &[w.bind(), Bind::Texture(t.view()), Bind::Texture(tf.view())],
        workgroups: [u(tw.max(ftw).div_ceil(8)), u(th.max(fth).div_ceil(8)), 2],
    })?;
    Ok((t, tf))
}

/// g = scale * dout * leaky_relu'(y) (by the sign of y) as the padded NHWC texture of all N
/// items and, when `store_g`, as a buffer, in one dispatch; with `shuffle`, dout and y are
/// pixel-shuffled by 2 and g and the texture are unshuffled (the convolution's layout).
#[allow(clippy::too_many_arguments)]
fn pack_dout_act(
    dout: &Tensor,
    y: &Tensor,
    slope: f32,
    scale: f32,
    shuffle: bool,
    store_g: bool,
    d: &ConvDims,
) -> Result<(Option<Tensor>, PooledTexture)> {
    let op = "conv2d_multi_backward";
    let gpu = dout.gpu();
    let (tw, th) = d.tex_size();
    let tex = gpu.alloc_texture_view(op, u(tw), u(th), u(d.n * d.d4()), TEX, true)?;
    let g = match store_g {
        true => Some(Tensor::empty(gpu, op, &[d.n, d.cout, d.h, d.w])?),
        false => None,
    };
    // Without g a one-vec4 buffer is bound in its place (never written: store_g = 0; dout
    // cannot stand in, a buffer is either read or written within one dispatch).
    let g_bind = match &g {
        Some(g) => g.clone(),
        None => Tensor::empty(gpu, op, &[4])?,
    };
    let gw = (tw - d.pad() + 4).div_ceil(4);
    let params = Conv2dPackDout4ActParams {
        c: u(d.cout),
        h: u(d.h),
        w: u(d.w),
        c4: u(d.d4()),
        pad: u(d.pad()),
        tw: u(tw),
        th: u(th),
        gw: u(gw),
        slope,
        scale,
        shuffle: shuffle as u32,
        store_g: store_g as u32,
    };
    gpu.launch(Launch {
        op,
        shapes: &[dout.shape()],
        shader: &shaders::CONV2D_PACK_DOUT4_ACT,
        entry: entry::CONV2D_PACK_DOUT4_ACT,
        overrides: &[],
        params: params.words(),
        binds: &[
            dout.bind(),
            y.bind(),
            g_bind.bind(),
            Bind::Texture(tex.view()),
        ],
        workgroups: [u(gw.div_ceil(8)), u(th.div_ceil(8)), u(d.n * d.d4())],
    })?;
    Ok((g, tex))
}

/// Every part of the input, in order, as one padded NHWC texture (all N items).
fn pack_inputs(op: &str, xs: &[&Tensor], d: &ConvDims) -> Result<PooledTexture> {
    let (tw, th) = d.tex_size();
    let tex = xs[0]
        .gpu()
        .alloc_texture_view(op, u(tw), u(th), u(d.n * d.c4()), TEX, true)?;
    pack_inputs_into(op, xs, d, &tex, (0, d.c4()))?;
    Ok(tex)
}

/// Channel groups `q0..` of the parts' concatenation into `tex` (`ls` layers per batch item:
/// layer n ls + q holds group q of item n), as `pack_inputs` lays them out.
fn pack_inputs_into(
    op: &str,
    xs: &[&Tensor],
    d: &ConvDims,
    tex: &PooledTexture,
    (q0, ls): (usize, usize),
) -> Result<()> {
    let gpu = xs[0].gpu();
    let (tw, th) = d.tex_size();
    let gw = (tw - d.pad() + 4).div_ceil(4);
    let mut start = [u(d.cin); 8];
    let mut c = 0;
    for (j, t) in xs.iter().enumerate() {
        start[j] = u(c);
        c += t.shape()[1];
    }
    let params = Conv2dPackInputs4Params {
        c: u(d.cin),
        h: u(d.h),
        w: u(d.w),
        c4: u(d.c4()),
        pad: u(d.pad()),
        tw: u(tw),
        th: u(th),
        gw: u(gw),
        q0: u(q0),
        ls: u(ls),
        _pad0: 0,
        _pad1: 0,
        start: [
            [start[0], start[1], start[2], start[3]],
            [start[4], start[5], start[6], start[7]],
        ],
    };
    let mut binds = vec![Bind::Texture(tex.view())];
    binds.extend((0..MAX_PARTS).map(|j| xs.get(j).unwrap_or(&xs[0]).bind()));
    let shapes: Vec<&[usize]> = xs.iter().map(|t| t.shape()).collect();
    gpu.launch(Launch {
        op,
        shapes: &shapes,
        shader: &shaders::CONV2D_PACK_INPUTS4,
        entry: entry::CONV2D_PACK_INPUTS4,
        overrides: &[],
        params: params.words(),
        binds: &binds,
        workgroups: [u(gw.div_ceil(8)), u(th.div_ceil(8)), u(d.n * (d.c4() - q0))],
    })
}

/// The parts' gradients from the Winograd input gradient of the packed g (`dt`, flipped U
/// `wft`), each part's channels stored onto its held gradient by the GEMM
/// (conv_winograd::conv_parts); `None` where that does not apply (one part and nothing held:
/// dx is the gradient; fewer than 10 storage buffers, or a part over one binding: dx is
/// written and split). `any` is bound in place of absent held gradients (not an output).
fn wino_part_grads(
    d: &ConvDims,
    dt: &PooledTexture,
    wft: &PooledTexture,
    sizes: &[usize],
    needs: &[bool],
    held: &[Option<Tensor>],
    any: &Tensor,
) -> Result<Option<Vec<Option<Tensor>>>> {
    let op = "conv2d_multi_backward";
    let gpu = any.gpu();
    let max = gpu.limits().max_storage_buffer_binding_size;
    let shapes: Vec<[usize; 4]> = sizes.iter().map(|c| [d.n, *c, d.h, d.w]).collect();
    let fits = shapes
        .iter()
        .all(|s| (s.iter().product::<usize>() * 4) as u64 <= max);
    if (sizes.len() == 1 && held[0].is_none()) || !fits || !conv_winograd::parts_fit(gpu) {
        return Ok(None);
    }
    // Parts not needed are written to scratch tensors (never returned).
    let outs: Vec<Tensor> = shapes
        .iter()
        .map(|s| Tensor::empty(gpu, op, s))
        .collect::<Result<_>>()?;
    let prevs: Vec<Option<&Tensor>> = held.iter().map(|h| h.as_ref()).collect();
    let mut starts = vec![0];
    for c in sizes {
        starts.push(starts.last().unwrap() + c);
    }
    conv_winograd::conv_parts(op, d, dt, d.cout, wft, &outs, &prevs, &starts, d.cin, any)?;
    Ok(Some(
        outs.into_iter()
            .zip(needs)
            .map(|(t, need)| need.then_some(t))
            .collect(),
    ))
}

/// Each needed part's slice of dx, summed onto its held gradient: one dispatch for all parts
/// where the storage buffers per stage allow (and no binding would exceed its limit), else one
/// per part. A single part without a held gradient is dx itself.
fn part_grads(
    dx: &Tensor,
    sizes: &[usize],
    needs: &[bool],
    held: &[Option<Tensor>],
) -> Result<Vec<Option<Tensor>>> {
    let op = "conv2d_multi_backward";
    let k = sizes.len();
    if k == 1 && held[0].is_none() {
        return Ok(vec![needs[0].then(|| dx.clone())]);
    }
    let gpu = dx.gpu();
    let lim = gpu.limits();
    let [n, c, h, w] = dx.dims4(op)?;
    let one_pass = lim.max_storage_buffers_per_shader_stage as usize > 2 * MAX_PARTS
        && dx.bytes() <= lim.max_storage_buffer_binding_size
        && (h * w).is_multiple_of(4);
    if !one_pass {
        let mut off = 0;
        let mut g = Vec::with_capacity(k);
        for j in 0..k {
            g.push(if needs[j] {
                Some(grad_slice(dx, off, sizes[j], held[j].as_ref())?)
            } else {
                None
            });
            off += sizes[j];
        }
        return Ok(g);
    }
    // Parts not needed are written to a scratch tensor of their shape (never returned).
    let outs: Vec<Tensor> = sizes
        .iter()
        .map(|cj| Tensor::empty(gpu, op, &[n, *cj, h, w]))
        .collect::<Result<_>>()?;
    let mut start = [u(c); 8];
    let mut has_prev = 0u32;
    let mut acc = 0;
    for j in 0..k {
        start[j] = u(acc);
        acc += sizes[j];
        if held[j].is_some() {
            has_prev |= 1 << j;
        }
    }
    let len4 = h * w / 4;
    let params = Conv2dGradSlicesParams {
        n: u(n),
        c: u(c),
        len: u(len4),
        has_prev,
        start: [
            [start[0], start[1], start[2], start[3]],
            [start[4], start[5], start[6], start[7]],
        ],
    };
    let mut binds = vec![dx.bind()];
    binds.extend((0..MAX_PARTS).map(|j| outs.get(j).unwrap_or(&outs[0]).bind()));
    binds.extend((0..MAX_PARTS).map(|j| match held.get(j) {
        Some(Some(p)) => p.bind(),
        _ => dx.bind(),
    }));
    gpu.launch(Launch {
        op,
        shapes: &[dx.shape()],
        shader: &shaders::CONV2D_GRAD_SLICES,
        entry: entry::CONV2D_GRAD_SLICES,
        overrides: &[],
        params: params.words(),
        binds: &binds,
        workgroups: row_grid(gpu, n * c, len4),
    })?;
    Ok(outs
        .into_iter()
        .zip(needs)
        .map(|(t, need)| need.then_some(t))
        .collect())
}

/// dx[:, off..off + c] (+ prev, the gradient the tape holds for that part) as a new tensor.
fn grad_slice(dx: &Tensor, off: usize, c: usize, prev: Option<&Tensor>) -> Result<Tensor> {
    let op = "conv2d_multi_backward";
    let [n, cb, h, w] = dx.dims4(op)?;
    let gpu = dx.gpu();
    let out = Tensor::empty(gpu, op, &[n, c, h, w])?;
    let len = h * w;
    let big_row = |r: usize| (r / c) * cb + off + r % c;
    let has_prev = prev.is_some();
    launch_split(
        Split {
            op,
            shapes: &[dx.shape(), out.shape()],
            shader: &shaders::CONV2D_GRAD_SLICE,
            entry: entry::CONV2D_GRAD_SLICE,
            overrides: &[],
            ts: &[&out, dx, prev.unwrap_or(dx)],
            units: n * c,
            span: &|r, g| {
                widen(&mut g[0], r * len, (r + 1) * len);
                widen(&mut g[1], big_row(r) * len, (big_row(r) + 1) * len);
                if has_prev {
                    widen(&mut g[2], r * len, (r + 1) * len);
                } else {
                    widen(&mut g[2], big_row(r) * len, (big_row(r) + 1) * len);
                }
            },
        },
        |p| {
            let params = Conv2dGradSliceParams {
                n: u(n),
                cs: u(c),
                cb: u(cb),
                off: u(off),
                len: u(len),
                u0: u(p.u0),
                u1: u(p.u1),
                bo: u(p.base[0]),
                bs: u(p.base[1]),
                bp: u(p.base[2]),
                has_prev: has_prev as u32,
            };
            (params.words().to_vec(), row_grid(gpu, p.u1 - p.u0, len))
        },
    )?;
    Ok(out)
}
