//! Matrix products: `matmul` (2-D [M,K]x[K,N] or batched [B,M,K]x[B,K,N]) and `linear`
//! (x W^T + b, PyTorch's [out, in] weight layout), with their backward products and the
//! deterministic column sums used for bias gradients.
//!
//! Every product here is one `gemm`: C = op(A) op(B) (+ bias on columns), where op transposes
//! an operand or not. Two kernels compute it:
//! - `Texture` (shaders/matmul_pack*.wgsl + matmul_tex.wgsl): each operand is packed into an
//!   rgba32float texture (transposing on the way; vec4 loads where the view is 4-aligned),
//!   then a subgroup-broadcast kernel computes 32 x 32 tiles (4 x 32 per lane). Fast on
//!   lavapipe (textureLoad is vectorised, broadcasts are shuffles).
//! - `Buffer` (shaders/matmul_buf.wgsl): 64 x 64 workgroup tiles straight from storage
//!   buffers, for adapters without subgroups (or textures too small for the operands).
//!
//! `set_kernel` forces one (tests run both on the same inputs).

use std::cell::Cell;

use crate::autograd;
use crate::error::{shape_err, unsupported, Result};
use crate::gpu::{shaders, Bind, Gpu, Launch};
use crate::tensor::Tensor;

/// Which kernel computes the products.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatmulKernel {
    /// Texture kernel where the adapter supports it (subgroups of >= 8 lanes, operands within
    /// the texture limits), else the buffer kernel.
    Auto,
    /// Packed textures + subgroupBroadcast; an error where unsupported.
    Texture,
    /// Storage-buffer tiles.
    Buffer,
}

thread_local! {
    static KERNEL: Cell<MatmulKernel> = const { Cell::new(MatmulKernel::Auto) };
}

/// Choose the kernel for this thread's products; returns the previous choice.
pub fn set_kernel(k: MatmulKernel) -> MatmulKernel {
    KERNEL.with(|c| c.replace(k))
}

/// The kernel choice in force on this thread.
pub fn kernel() -> MatmulKernel {
    KERNEL.with(|c| c.get())
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
}

const TEX_TILE_M: usize = 32;
const TEX_TILE_N: usize = 32;
const BUF_TILE: usize = 64;

fn texture_fits(gpu: &Gpu, g: &Gemm) -> bool {
    let l = gpu.limits();
    let s = gpu.summary();
    let max = l.max_texture_dimension_2d as usize;
    gpu.has_subgroups()
        && s.subgroup_size.0 >= 8
        && g.k.div_ceil(4) <= max
        && g.m.next_multiple_of(TEX_TILE_M) <= max
        && g.n.next_multiple_of(TEX_TILE_N) <= max
}

/// C = A B into a new contiguous tensor of shape `out_shape` ([batch, m, n] elements).
fn gemm(g: Gemm, out_shape: &[usize]) -> Result<Tensor> {
    let out = Tensor::empty(g.a.t.gpu(), g.op, out_shape)?;
    let c = View::dense(&out, g.m, g.n, false);
    gemm_into(&Gemm { c, ..g })?;
    Ok(out)
}

/// Run one product into the view `g.c` (which must not alias A or B).
pub(crate) fn gemm_into(g: &Gemm) -> Result<()> {
    let gpu = g.a.t.gpu();
    let shapes: &[&[usize]] = &[g.a.t.shape(), g.b.t.shape()];
    // Bindings must exist even without a bias; a one-element dummy stands in.
    let dummy;
    let bias = match g.bias {
        Some(b) => b,
        None => {
            dummy = Tensor::zeros(gpu, &[1])?;
            &dummy
        }
    };
    let use_tex = match kernel() {
        MatmulKernel::Buffer => false,
        MatmulKernel::Auto => texture_fits(gpu, g),
        MatmulKernel::Texture => {
            if !texture_fits(gpu, g) {
                return Err(unsupported(
                    g.op,
                    format!(
                        "the texture kernel needs subgroups of >= 8 lanes and operands within \
                         the texture limits (shapes {:?} x {:?})",
                        g.a.t.shape(),
                        g.b.t.shape()
                    ),
                ));
            }
            true
        }
    };
    if use_tex {
        gemm_texture(gpu, g, shapes, bias)
    } else {
        gemm_buffer(gpu, g, shapes, bias)
    }
}

/// Pack P [rows, k] (P(l, r, kk) = v(l, r, kk), or v(l, kk, r) when `swap`) of layers
/// l0 .. l0 + layers into a padded texture array.
#[allow(clippy::too_many_arguments)]
fn pack(
    gpu: &Gpu,
    g: &Gemm,
    shapes: &[&[usize]],
    v: &View,
    swap: bool,
    rows: usize,
    height: usize,
    l0: usize,
    layers: usize,
) -> Result<(crate::gpu::PooledTexture, wgpu::TextureView)> {
    let kt = g.k.div_ceil(4);
    let tex = gpu.alloc_texture(
        g.op,
        kt as u32,
        height as u32,
        layers as u32,
        wgpu::TextureFormat::Rgba32Float,
    )?;
    // The pool views single-layer textures as 2-D; the kernels always read arrays.
    let view = tex.texture().create_view(&wgpu::TextureViewDescriptor {
        dimension: Some(wgpu::TextureViewDimension::D2Array),
        ..Default::default()
    });
    let (sr, sk) = if swap { (v.cs, v.rs) } else { (v.rs, v.cs) };
    let a4 = |x: usize| x % 4 == 0;
    let aligned = a4(v.off) && a4(v.outer) && a4(v.inner);
    // Vectorised packs where the view allows vec4 loads (see matmul_pack4.wgsl).
    let (shader, entry, div, workgroups) = if aligned && sk == 1 && a4(sr) && a4(g.k) {
        let wg = [kt.div_ceil(8), height.div_ceil(8), layers];
        (&shaders::MATMUL_PACK4, "pack4_rows", 4, wg)
    } else if aligned && sr == 1 && a4(sk) && a4(rows) {
        let wg = [(height / 4).div_ceil(8), kt.div_ceil(8), layers];
        (&shaders::MATMUL_PACK4, "pack4_cols", 4, wg)
    } else {
        let wg = [kt.div_ceil(8), height.div_ceil(8), layers];
        (&shaders::MATMUL_PACK, "matmul_pack", 1, wg)
    };
    gpu.launch(Launch {
        op: g.op,
        shapes,
        shader,
        entry,
        overrides: &[],
        params: &[
            rows as u32,
            g.k as u32,
            kt as u32,
            height as u32,
            layers as u32,
            l0 as u32,
            g.lh as u32,
            (v.off / div) as u32,
            (v.outer / div) as u32,
            (v.inner / div) as u32,
            (sr / div) as u32,
            (sk / div) as u32,
        ],
        binds: &[Bind::Texture(&view), v.t.bind()],
        workgroups: workgroups.map(|w| w as u32),
    })?;
    Ok((tex, view))
}

fn gemm_texture(gpu: &Gpu, g: &Gemm, shapes: &[&[usize]], bias: &Tensor) -> Result<()> {
    let (tm, tn) = (TEX_TILE_M, TEX_TILE_N);
    let mp = g.m.next_multiple_of(tm);
    let np = g.n.next_multiple_of(tn);
    let max_layers = (gpu.limits().max_texture_array_layers as usize)
        .min(gpu.limits().max_compute_workgroups_per_dimension as usize)
        .max(1);
    let mut l0 = 0;
    while l0 < g.batch {
        let layers = (g.batch - l0).min(max_layers);
        // A as [m, k] rows; B^T as [n, k] rows (B(kk, nn) read with rows and columns swapped).
        let (_ta, va) = pack(gpu, g, shapes, &g.a, false, g.m, mp, l0, layers)?;
        let (_tb, vb) = pack(gpu, g, shapes, &g.b, true, g.n, np, l0, layers)?;
        gpu.launch(Launch {
            op: g.op,
            shapes,
            shader: &shaders::MATMUL_TEX,
            entry: "matmul_tex",
            overrides: &[],
            params: &[
                g.m as u32,
                g.n as u32,
                g.k.div_ceil(4) as u32,
                g.bias.is_some() as u32,
                l0 as u32,
                g.lh as u32,
                g.c.off as u32,
                g.c.outer as u32,
                g.c.inner as u32,
                g.c.rs as u32,
                g.alpha.to_bits(),
            ],
            binds: &[
                g.c.t.bind(),
                Bind::Texture(&va),
                Bind::Texture(&vb),
                bias.bind(),
            ],
            workgroups: [(np / tn) as u32, (mp / tm) as u32, layers as u32],
        })?;
        l0 += layers;
    }
    Ok(())
}

fn gemm_buffer(gpu: &Gpu, g: &Gemm, shapes: &[&[usize]], bias: &Tensor) -> Result<()> {
    let u = |v: usize| v as u32;
    gpu.launch(Launch {
        op: g.op,
        shapes,
        shader: &shaders::MATMUL_BUF,
        entry: "matmul_buf",
        overrides: &[],
        params: &[
            u(g.m),
            u(g.n),
            u(g.k),
            u(g.a.rs),
            u(g.a.cs),
            u(g.b.rs),
            u(g.b.cs),
            g.bias.is_some() as u32,
            u(g.lh),
            u(g.a.off),
            u(g.a.outer),
            u(g.a.inner),
            u(g.b.off),
            u(g.b.outer),
            u(g.b.inner),
            u(g.c.off),
            u(g.c.outer),
            u(g.c.inner),
            u(g.c.rs),
            g.alpha.to_bits(),
        ],
        binds: &[g.c.t.bind(), g.a.t.bind(), g.b.t.bind(), bias.bind()],
        workgroups: [
            g.n.div_ceil(BUF_TILE) as u32,
            g.m.div_ceil(BUF_TILE) as u32,
            g.batch as u32,
        ],
    })
}

/// Rows summed per chunk by the column-sum kernels (a fixed order: results do not depend on
/// the adapter's scheduling).
pub const COLSUM_CHUNK: usize = 64;

/// Deterministic column sums of x viewed as [rows, cols] -> [cols]: chunks of
/// `COLSUM_CHUNK` rows summed in order, then the chunk partials summed in order (no atomics).
pub fn column_sums(op: &'static str, x: &Tensor, rows: usize, cols: usize) -> Result<Tensor> {
    let gpu = x.gpu();
    if rows * cols != x.numel() {
        return Err(shape_err(
            op,
            &[x.shape()],
            format!("cannot view as [{rows}, {cols}]"),
        ));
    }
    let nchunks = rows.div_ceil(COLSUM_CHUNK);
    let partial = Tensor::empty(gpu, op, &[nchunks, cols])?;
    gpu.launch(Launch {
        op,
        shapes: &[x.shape()],
        shader: &shaders::MATMUL_COLSUM,
        entry: "colsum_partial",
        overrides: &[],
        params: &[
            rows as u32,
            cols as u32,
            COLSUM_CHUNK as u32,
            nchunks as u32,
        ],
        binds: &[partial.bind(), x.bind()],
        workgroups: [cols.div_ceil(64) as u32, nchunks as u32, 1],
    })?;
    sum_partials(op, &partial)
}

/// Sums partial [nchunks, cols] over its rows in order -> [cols].
pub fn sum_partials(op: &'static str, partial: &Tensor) -> Result<Tensor> {
    let gpu = partial.gpu();
    let (nchunks, cols) = match partial.shape() {
        [r, c] => (*r, *c),
        s => return Err(shape_err(op, &[s], "partial sums must be [chunks, cols]")),
    };
    let out = Tensor::empty(gpu, op, &[cols])?;
    gpu.launch(Launch {
        op,
        shapes: &[partial.shape()],
        shader: &shaders::MATMUL_COLSUM,
        entry: "colsum_final",
        overrides: &[],
        params: &[nchunks as u32, cols as u32, 1, nchunks as u32],
        binds: &[out.bind(), partial.bind()],
        workgroups: [cols.div_ceil(64) as u32, 1, 1],
    })?;
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
pub fn matmul_forward(a: &Tensor, b: &Tensor) -> Result<Tensor> {
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
        },
        &shape,
    )
}

/// dA = dC B^T.
pub fn matmul_backward_a(dc: &Tensor, b: &Tensor) -> Result<Tensor> {
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
        },
        &shape,
    )
}

/// dB = A^T dC.
pub fn matmul_backward_b(a: &Tensor, dc: &Tensor) -> Result<Tensor> {
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
        },
        &shape,
    )
}

/// Differentiable C = A B ([M,K]x[K,N] or batched [B,M,K]x[B,K,N]).
pub fn matmul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let out = matmul_forward(a, b)?;
    let (sa, sb) = (a.detach(), b.detach());
    autograd::record("matmul", &[a, b], &out, move |dc, needs| {
        let da = if needs[0] {
            Some(matmul_backward_a(dc, &sb)?)
        } else {
            None
        };
        let db = if needs[1] {
            Some(matmul_backward_b(&sa, dc)?)
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
pub fn linear_forward(x: &Tensor, w: &Tensor, b: Option<&Tensor>) -> Result<Tensor> {
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
        },
        &[m, fout],
    )
}

/// dx = dy W: dy [M, out], w [out, in] -> [M, in].
pub fn linear_backward_input(dy: &Tensor, w: &Tensor) -> Result<Tensor> {
    let (fout, fin) = (w.shape()[0], w.shape()[1]);
    let m = dy.numel() / fout;
    gemm(
        Gemm {
            op: "linear_backward_input",
            a: View::dense(dy, m, fout, false),
            b: View::dense(w, fout, fin, false),
            c: View::dense(dy, 0, 0, false),
            batch: 1,
            lh: 1,
            m,
            n: fin,
            k: fout,
            alpha: 1.0,
            bias: None,
        },
        &[m, fin],
    )
}

/// dW = dy^T x: dy [M, out], x [M, in] -> [out, in].
pub fn linear_backward_weight(dy: &Tensor, x: &Tensor) -> Result<Tensor> {
    let (m, fin) = (x.shape()[0], x.shape()[1]);
    let fout = dy.numel() / m;
    gemm(
        Gemm {
            op: "linear_backward_weight",
            a: View::dense(dy, fout, m, true),
            b: View::dense(x, m, fin, false),
            c: View::dense(dy, 0, 0, false),
            batch: 1,
            lh: 1,
            m: fout,
            n: fin,
            k: m,
            alpha: 1.0,
            bias: None,
        },
        &[fout, fin],
    )
}

/// db = column sums of dy [M, out].
pub fn linear_backward_bias(dy: &Tensor) -> Result<Tensor> {
    let (m, fout) = (dy.shape()[0], dy.shape()[1]);
    column_sums("linear_backward_bias", dy, m, fout)
}

/// Differentiable y = x W^T + b (x [M, in], w [out, in], b [out]).
pub fn linear(x: &Tensor, w: &Tensor, b: Option<&Tensor>) -> Result<Tensor> {
    let y = linear_forward(x, w, b)?;
    let (sx, sw) = (x.detach(), w.detach());
    let mut inputs = vec![x, w];
    if let Some(b) = b {
        inputs.push(b);
    }
    autograd::record("linear", &inputs, &y, move |dy, needs| {
        let dx = if needs[0] {
            Some(linear_backward_input(dy, &sw)?)
        } else {
            None
        };
        let dw = if needs[1] {
            Some(linear_backward_weight(dy, &sx)?)
        } else {
            None
        };
        let mut g = vec![dx, dw];
        if needs.len() > 2 {
            g.push(if needs[2] {
                Some(linear_backward_bias(dy)?)
            } else {
                None
            });
        }
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
