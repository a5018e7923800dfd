//! Swin window attention: `window_attention(qkv [B*nW, n, 3C], table [(2w-1)^2, heads], heads,
//! win, shift, h, w) -> [B*nW, n, C]` computes, per window and head,
//! softmax(q k^T head_dim^-0.5 + table[relative_position_index] + mask) v, with SwinIR's
//! layout (the last dim of qkv holds q, k, v of C = heads * head_dim each, head-major) and
//! SwinIR's shift mask (-100 between the 3x3 regions of the shifted map) when shift > 0.
//! The relative position index and the mask are computed in the kernels from (win, shift, h, w).
//!
//! Kernels: shaders/attention_forward.wgsl (saves the probabilities P),
//! attention_backward_q.wgsl (dS and dq), attention_backward_kv.wgsl (dk, dv),
//! attention_backward_table.wgsl (bias-table gradient from dS summed over windows by matmul's
//! deterministic column sums). Windows hold at most 64 tokens (win <= 8) and
//! tokens * head_dim <= 2048 (SwinIR: 64 x 30).

use crate::autograd;
use crate::error::{shape_err, unsupported, Result};
use crate::gpu::{shaders, Launch};
use crate::ops::matmul::column_sums;
use crate::tensor::Tensor;

const MAX_TOKENS: usize = 64;
const MAX_STAGED: usize = 2048;

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
    if h % win != 0 || w % win != 0 || h == 0 || w == 0 || shift >= win {
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
    if n > MAX_TOKENS || n * hd > MAX_STAGED {
        return Err(unsupported(
            op,
            format!("{n} tokens x head_dim {hd}: the kernels take <= {MAX_TOKENS} tokens and tokens x head_dim <= {MAX_STAGED}"),
        ));
    }
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
    let out = Tensor::empty(gpu, op, &[g.windows, g.n, g.c])?;
    let probs = Tensor::empty(gpu, op, &[g.windows, g.heads, g.n, g.n])?;
    gpu.launch(Launch {
        op,
        shapes: &[qkv.shape(), table.shape()],
        shader: &shaders::ATTENTION_FORWARD,
        entry: "attention_forward",
        overrides: &[],
        params: &[
            g.n as u32,
            g.c as u32,
            g.heads as u32,
            g.hd as u32,
            g.win as u32,
            g.shift as u32,
            g.h as u32,
            g.w as u32,
            g.groups() as u32,
            g.scale().to_bits(),
        ],
        binds: &[out.bind(), probs.bind(), qkv.bind(), table.bind()],
        workgroups: gpu.grid_1d(g.groups() as u32),
    })?;
    Ok((out, probs))
}

/// (dqkv [B*nW, n, 3C], dS [B*nW, heads, n, n]) from dout, qkv and the saved probabilities.
fn backward_qkv(g: &Geom, dout: &Tensor, qkv: &Tensor, probs: &Tensor) -> Result<(Tensor, Tensor)> {
    let gpu = qkv.gpu();
    let op = "window_attention_backward_qkv";
    let dqkv = Tensor::empty(gpu, op, qkv.shape())?;
    let ds = Tensor::empty(gpu, op, probs.shape())?;
    let params = [
        g.n as u32,
        g.c as u32,
        g.heads as u32,
        g.hd as u32,
        g.groups() as u32,
        g.scale().to_bits(),
    ];
    let shapes: &[&[usize]] = &[dout.shape(), qkv.shape()];
    gpu.launch(Launch {
        op,
        shapes,
        shader: &shaders::ATTENTION_BACKWARD_Q,
        entry: "attention_backward_q",
        overrides: &[],
        params: &params,
        binds: &[
            dqkv.bind(),
            ds.bind(),
            qkv.bind(),
            probs.bind(),
            dout.bind(),
        ],
        workgroups: gpu.grid_1d(g.groups() as u32),
    })?;
    gpu.launch(Launch {
        op,
        shapes,
        shader: &shaders::ATTENTION_BACKWARD_KV,
        entry: "attention_backward_kv",
        overrides: &[],
        params: &params,
        binds: &[
            dqkv.bind(),
            qkv.bind(),
            probs.bind(),
            dout.bind(),
            ds.bind(),
        ],
        workgroups: gpu.grid_1d(g.groups() as u32),
    })?;
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
