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

use crate::autograd;
use crate::error::{shape_err, Result};
use crate::gpu::{shaders, Launch};
use crate::ops::layernorm::row_blocks;
use crate::ops::matmul::{column_sums, gemm_into, Gemm, View};
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
    })
}

/// Forward without recording: (out [B*nW, n, C], probabilities [B*nW, heads, n, n]).
pub fn window_attention_forward(
    qkv: &Tensor,
    table: &Tensor,
    heads: usize,
    win: usize,
    shift: usize,
    h: usize,
    w: usize,
) -> Result<(Tensor, Tensor)> {
    let g = geom(qkv, table, heads, win, shift, h, w)?;
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
    )?;
    let shapes: &[&[usize]] = &[qkv.shape(), table.shape()];
    for (r0, rows) in row_blocks(gpu, op, shapes, g.groups() * g.n, &[g.n], 1)? {
        gpu.launch(Launch {
            op,
            shapes,
            shader: &shaders::ATTENTION_SOFTMAX,
            entry: "attention_softmax",
            overrides: &[],
            params: &[
                g.n as u32,
                g.heads as u32,
                g.win as u32,
                g.shift as u32,
                g.h as u32,
                g.w as u32,
                rows as u32,
                g.scale().to_bits(),
                r0 as u32,
            ],
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
    )?;
    Ok((out, probs))
}

/// (dqkv [B*nW, n, 3C], dS [B*nW, heads, n, n]) from dout, qkv and the saved probabilities.
fn backward_qkv(g: &Geom, dout: &Tensor, qkv: &Tensor, probs: &Tensor) -> Result<(Tensor, Tensor)> {
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
    )?;
    let shapes: &[&[usize]] = &[dout.shape(), qkv.shape()];
    for (r0, rows) in row_blocks(gpu, op, shapes, g.groups() * n, &[n], 1)? {
        gpu.launch(Launch {
            op,
            shapes,
            shader: &shaders::ATTENTION_SOFTMAX_BACKWARD,
            entry: "attention_softmax_backward",
            overrides: &[],
            params: &[n as u32, rows as u32],
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
    )?;
    Ok((dqkv, ds))
}

/// dtable [(2w-1)^2, heads] from dS, summed over windows and batch in a fixed order.
fn backward_table(g: &Geom, ds: &Tensor) -> Result<Tensor> {
    let gpu = ds.gpu();
    let op = "window_attention_backward_table";
    let per_window = g.heads * g.n * g.n;
    let summed = column_sums(op, ds, g.windows, per_window)?;
    let span = 2 * g.win - 1;
    let dtable = Tensor::empty(gpu, op, &[span * span, g.heads])?;
    let entries = span * span * g.heads;
    gpu.launch(Launch {
        op,
        shapes: &[ds.shape()],
        shader: &shaders::ATTENTION_BACKWARD_TABLE,
        entry: "attention_backward_table",
        overrides: &[],
        params: &[g.win as u32, g.heads as u32, entries as u32],
        binds: &[dtable.bind(), summed.bind()],
        workgroups: [entries.div_ceil(64) as u32, 1, 1],
    })?;
    Ok(dtable)
}

/// Gradients (dqkv, dtable) of `window_attention` given dout and the saved probabilities.
#[allow(clippy::too_many_arguments)]
pub fn window_attention_backward(
    dout: &Tensor,
    qkv: &Tensor,
    table: &Tensor,
    probs: &Tensor,
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
    let (dqkv, ds) = backward_qkv(&g, dout, qkv, probs)?;
    Ok((dqkv, backward_table(&g, &ds)?))
}

/// Differentiable window attention (see the module docs).
pub fn window_attention(
    qkv: &Tensor,
    table: &Tensor,
    heads: usize,
    win: usize,
    shift: usize,
    h: usize,
    w: usize,
) -> Result<Tensor> {
    let (out, probs) = window_attention_forward(qkv, table, heads, win, shift, h, w)?;
    let g = geom(qkv, table, heads, win, shift, h, w)?;
    let sq = qkv.detach();
    autograd::record(
        "window_attention",
        &[qkv, table],
        &out,
        move |dout, needs| {
            let (dqkv, ds) = backward_qkv(&g, dout, &sq, &probs)?;
            let dtable = if needs[1] {
                Some(backward_table(&g, &ds)?)
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
                        for j in 0..n {
                            acc += e[j] / sum * at(j, 2, d);
                        }
                        out[(b * n + i) * c + hh * hd + d] = acc;
                    }
                }
            }
        }
        out
    }
}
