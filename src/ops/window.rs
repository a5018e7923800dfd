//! Token layouts for Swin blocks: `nchw_to_tokens` / `tokens_to_nchw` and
//! `window_partition` / `window_reverse` with SwinIR's cyclic shift (torch.roll by -shift on H
//! and W before partitioning, by +shift after reversing). All four are permutations computed
//! by one gather kernel (shaders/window.wgsl); each one's backward is its inverse.
//! H and W must be multiples of the window (the models pad first).

use crate::autograd;
use crate::error::{shape_err, Result};
use crate::gpu::params::{entry, KernelParams, Window4Params, WindowParams};
use crate::gpu::{shaders, Launch};
use crate::tensor::{grid_for, Tensor};

#[derive(Clone, Copy)]
enum Mode {
    NchwToTokens = 0,
    TokensToNchw = 1,
    Partition = 2,
    Reverse = 3,
}

/// The layout of a permutation: channels, spatial size, window and shift.
#[derive(Clone, Copy)]
struct Geom {
    c: usize,
    h: usize,
    w: usize,
    win: usize,
    shift: usize,
}

fn permute(
    op: &'static str,
    mode: Mode,
    x: &Tensor,
    g: Geom,
    out_shape: &[usize],
) -> Result<Tensor> {
    let gpu = x.gpu();
    let out = Tensor::empty(gpu, op, out_shape)?;
    let total = out.numel();
    let hw = g.h * g.w;
    let images = total / (g.c * hw);
    let per = g.c * hw;
    let lim = gpu.limits();
    let max_bind = lim.max_storage_buffer_binding_size as usize / 4;
    let align = (lim.min_storage_buffer_offset_alignment as usize / 4).max(4);
    let gcd = |mut a: usize, mut b: usize| {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    // Groups of whole images (each image maps onto itself) at aligned offsets.
    let step = align / gcd(align, per);
    let fit = max_bind / per / step * step;
    // The fields both kernels share; window.wgsl adds the source block of a split launch
    // (everything, unless one image exceeds a binding).
    let base = Window4Params {
        mode: mode as u32,
        total: 0,
        c4: 0,
        h: g.h as u32,
        w: g.w as u32,
        win: g.win.max(1) as u32,
        shift: g.shift as u32,
    };
    let plain = |total: usize, c: usize, out_lo: usize, src: (usize, usize, usize)| WindowParams {
        mode: base.mode,
        total: total as u32,
        c: c as u32,
        h: base.h,
        w: base.w,
        win: base.win,
        shift: base.shift,
        out_lo: out_lo as u32,
        src_lo: src.0 as u32,
        src_hi: src.1 as u32,
        src_start: src.2 as u32,
    };
    if fit > 0 {
        for n0 in (0..images).step_by(fit) {
            let n = fit.min(images - n0);
            let (start, len) = (n0 * per, n * per);
            let tokens = n * hw;
            let tok = matches!(mode, Mode::Partition | Mode::Reverse);
            let (shader, entry, c, count) = if g.c.is_multiple_of(4) && tok {
                (&shaders::WINDOW4, entry::WINDOW_TOKENS4, g.c / 4, tokens)
            } else if g.c.is_multiple_of(4) && hw.is_multiple_of(4) {
                (
                    &shaders::WINDOW4,
                    entry::WINDOW_TRANSPOSE4,
                    g.c / 4,
                    len / 16,
                )
            } else if tok {
                (&shaders::WINDOW, entry::WINDOW_TOKENS, g.c, tokens)
            } else {
                (&shaders::WINDOW, entry::WINDOW_PERMUTE, g.c, len)
            };
            let wg = if entry == entry::WINDOW_PERMUTE {
                256
            } else {
                64
            };
            let (p4, p1);
            let params: &[u32] = if std::ptr::eq(shader, &shaders::WINDOW4) {
                p4 = Window4Params {
                    total: count as u32,
                    c4: c as u32,
                    ..base
                };
                p4.words()
            } else {
                p1 = plain(count, c, 0, (0, u32::MAX as usize, 0));
                p1.words()
            };
            gpu.launch(Launch {
                op,
                shapes: &[x.shape()],
                shader,
                entry,
                overrides: &[],
                params,
                binds: &[out.bind_range(start, len), x.bind_range(start, len)],
                workgroups: grid_for(gpu, count, wg),
            })?;
        }
        return Ok(out);
    }
    // One image exceeds the limit: per image, every (output block, source block) pair, each
    // launch writing the outputs whose source lies in its source block (blocks at aligned
    // offsets may reach into a neighbouring image: those outputs get the same value again).
    let block = (max_bind - align) / align * align;
    for nb in 0..images {
        let (lo, hi) = (nb * per, (nb + 1) * per);
        let first = lo - lo % align;
        for os in (first..hi).step_by(block) {
            let olen = block.min(hi - os);
            for ss in (first..hi).step_by(block) {
                let slen = block.min(hi - ss);
                let params = plain(olen, g.c, os, (ss, ss + slen, ss));
                gpu.launch(Launch {
                    op,
                    shapes: &[x.shape()],
                    shader: &shaders::WINDOW,
                    entry: entry::WINDOW_PERMUTE,
                    overrides: &[],
                    params: params.words(),
                    binds: &[out.bind_range(os, olen), x.bind_range(ss, slen)],
                    workgroups: grid_for(gpu, olen, 256),
                })?;
            }
        }
    }
    Ok(out)
}

/// [N, C, H, W] -> [N, H*W, C] without recording.
pub fn nchw_to_tokens_forward(x: &Tensor) -> Result<Tensor> {
    let [n, c, h, w] = x.dims4("nchw_to_tokens")?;
    let g = Geom {
        c,
        h,
        w,
        win: 1,
        shift: 0,
    };
    permute("nchw_to_tokens", Mode::NchwToTokens, x, g, &[n, h * w, c])
}

fn tokens_dims(op: &str, t: &Tensor, h: usize, w: usize) -> Result<(usize, usize)> {
    match t.shape() {
        [n, hw, c] if *hw == h * w && h > 0 && w > 0 => Ok((*n, *c)),
        s => Err(shape_err(
            op,
            &[s, &[h, w]],
            format!("expected tokens [N, {h}*{w}, C]"),
        )),
    }
}

/// [N, H*W, C] -> [N, C, H, W] without recording.
pub fn tokens_to_nchw_forward(t: &Tensor, h: usize, w: usize) -> Result<Tensor> {
    let (n, c) = tokens_dims("tokens_to_nchw", t, h, w)?;
    let g = Geom {
        c,
        h,
        w,
        win: 1,
        shift: 0,
    };
    permute("tokens_to_nchw", Mode::TokensToNchw, t, g, &[n, c, h, w])
}

fn check_window(
    op: &str,
    shape: &[usize],
    h: usize,
    w: usize,
    win: usize,
    shift: usize,
) -> Result<()> {
    if win == 0 || !h.is_multiple_of(win) || !w.is_multiple_of(win) || shift >= win {
        return Err(shape_err(
            op,
            &[shape, &[h, w]],
            format!("H and W must be multiples of the window {win} and shift {shift} < window"),
        ));
    }
    Ok(())
}

/// [N, H*W, C] -> [N*nW, win*win, C] (rolled by -shift) without recording.
pub fn window_partition_forward(
    t: &Tensor,
    h: usize,
    w: usize,
    win: usize,
    shift: usize,
) -> Result<Tensor> {
    let op = "window_partition";
    let (n, c) = tokens_dims(op, t, h, w)?;
    check_window(op, t.shape(), h, w, win, shift)?;
    let nw = (h / win) * (w / win);
    let g = Geom {
        c,
        h,
        w,
        win,
        shift,
    };
    permute(op, Mode::Partition, t, g, &[n * nw, win * win, c])
}

/// [N*nW, win*win, C] -> [N, H*W, C] (rolled by +shift) without recording.
pub fn window_reverse_forward(
    x: &Tensor,
    h: usize,
    w: usize,
    win: usize,
    shift: usize,
) -> Result<Tensor> {
    let op = "window_reverse";
    check_window(op, x.shape(), h, w, win, shift)?;
    let nw = (h / win) * (w / win);
    let (n, c) = match x.shape() {
        [b, ww, c] if *ww == win * win && b % nw == 0 => (b / nw, *c),
        s => {
            return Err(shape_err(
                op,
                &[s, &[h, w]],
                format!("expected windows [N*{nw}, {win}*{win}, C]"),
            ))
        }
    };
    let g = Geom {
        c,
        h,
        w,
        win,
        shift,
    };
    permute(op, Mode::Reverse, x, g, &[n, h * w, c])
}

/// Differentiable [N, C, H, W] -> [N, H*W, C].
pub fn nchw_to_tokens(x: &Tensor) -> Result<Tensor> {
    let y = nchw_to_tokens_forward(x)?;
    let [_, _, h, w] = x.dims4("nchw_to_tokens")?;
    autograd::record("nchw_to_tokens", &[x], &y, move |dy, _| {
        Ok(vec![Some(tokens_to_nchw_forward(dy, h, w)?)])
    });
    Ok(y)
}

/// Differentiable [N, H*W, C] -> [N, C, H, W].
pub fn tokens_to_nchw(t: &Tensor, h: usize, w: usize) -> Result<Tensor> {
    let y = tokens_to_nchw_forward(t, h, w)?;
    autograd::record("tokens_to_nchw", &[t], &y, |dy, _| {
        Ok(vec![Some(nchw_to_tokens_forward(dy)?)])
    });
    Ok(y)
}

/// Differentiable window partition with cyclic shift: [N, H*W, C] -> [N*nW, win*win, C].
pub fn window_partition(
    t: &Tensor,
    h: usize,
    w: usize,
    win: usize,
    shift: usize,
) -> Result<Tensor> {
    let y = window_partition_forward(t, h, w, win, shift)?;
    autograd::record("window_partition", &[t], &y, move |dy, _| {
        Ok(vec![Some(window_reverse_forward(dy, h, w, win, shift)?)])
    });
    Ok(y)
}

/// Differentiable inverse of `window_partition`: [N*nW, win*win, C] -> [N, H*W, C].
pub fn window_reverse(x: &Tensor, h: usize, w: usize, win: usize, shift: usize) -> Result<Tensor> {
    let y = window_reverse_forward(x, h, w, win, shift)?;
    autograd::record("window_reverse", &[x], &y, move |dy, _| {
        Ok(vec![Some(window_partition_forward(dy, h, w, win, shift)?)])
    });
    Ok(y)
}

/// f64 CPU references, written as SwinIR writes them (roll, then view/permute).
pub mod reference {
    pub fn nchw_to_tokens(x: &[f64], n: usize, c: usize, hw: usize) -> Vec<f64> {
        let mut y = vec![0.0; x.len()];
        for b in 0..n {
            for ch in 0..c {
                for p in 0..hw {
                    y[(b * hw + p) * c + ch] = x[(b * c + ch) * hw + p];
                }
            }
        }
        y
    }

    pub fn tokens_to_nchw(t: &[f64], n: usize, c: usize, hw: usize) -> Vec<f64> {
        let mut y = vec![0.0; t.len()];
        for b in 0..n {
            for ch in 0..c {
                for p in 0..hw {
                    y[(b * c + ch) * hw + p] = t[(b * hw + p) * c + ch];
                }
            }
        }
        y
    }

    /// torch.roll(t.view(N, H, W, C), (dy, dx), dims=(1, 2)) for signed shifts.
    pub fn roll(
        t: &[f64],
        n: usize,
        h: usize,
        w: usize,
        c: usize,
        dy: isize,
        dx: isize,
    ) -> Vec<f64> {
        let mut y = vec![0.0; t.len()];
        for b in 0..n {
            for i in 0..h {
                for j in 0..w {
                    let si = (i as isize - dy).rem_euclid(h as isize) as usize;
                    let sj = (j as isize - dx).rem_euclid(w as isize) as usize;
                    for ch in 0..c {
                        y[((b * h + i) * w + j) * c + ch] = t[((b * h + si) * w + sj) * c + ch];
                    }
                }
            }
        }
        y
    }

    pub fn window_partition(
        t: &[f64],
        n: usize,
        h: usize,
        w: usize,
        c: usize,
        win: usize,
        shift: usize,
    ) -> Vec<f64> {
        let s = shift as isize;
        let r = roll(t, n, h, w, c, -s, -s);
        let mut y = Vec::with_capacity(t.len());
        for b in 0..n {
            for wy in 0..h / win {
                for wx in 0..w / win {
                    for iy in 0..win {
                        for ix in 0..win {
                            let (i, j) = (wy * win + iy, wx * win + ix);
                            let base = ((b * h + i) * w + j) * c;
                            y.extend_from_slice(&r[base..base + c]);
                        }
                    }
                }
            }
        }
        y
    }

    pub fn window_reverse(
        x: &[f64],
        n: usize,
        h: usize,
        w: usize,
        c: usize,
        win: usize,
        shift: usize,
    ) -> Vec<f64> {
        let mut z = vec![0.0; x.len()];
        let mut k = 0;
        for b in 0..n {
            for wy in 0..h / win {
                for wx in 0..w / win {
                    for iy in 0..win {
                        for ix in 0..win {
                            let (i, j) = (wy * win + iy, wx * win + ix);
                            let base = ((b * h + i) * w + j) * c;
                            z[base..base + c].copy_from_slice(&x[k..k + c]);
                            k += c;
                        }
                    }
                }
            }
        }
        let s = shift as isize;
        roll(&z, n, h, w, c, s, s)
    }
}
