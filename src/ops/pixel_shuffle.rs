//! Pixel shuffle (PyTorch semantics): [N, C*r*r, H, W] -> [N, C, H*r, W*r], and its backward
//! (pixel unshuffle of the gradient). shaders/pixel_shuffle.wgsl: one lane per small-grid
//! position moves its r*r values, in either direction (no atomics, no overlap).

use crate::autograd;
use crate::error::{shape_err, unsupported, Result};
use crate::gpu::params::{entry, KernelParams, PixelShuffleParams};
use crate::gpu::shaders;
use crate::ops::launch::{block_grid, launch_split, row_grid, widen, Split};
use crate::tensor::Tensor;

/// One lane per small-grid position; launched in pieces of whole rows (n, c, y) of the small
/// grid when a tensor exceeds one storage binding.
fn launch(
    op: &'static str,
    entry: &'static str,
    src: &Tensor,
    out_shape: &[usize],
    [n, c, h, w, r]: [usize; 5],
) -> Result<Tensor> {
    let gpu = src.gpu();
    let out = Tensor::empty(gpu, op, out_shape)?;
    let forward = entry == "pixel_shuffle_forward";
    let (small, big) = if forward { (1, 0) } else { (0, 1) };
    let wo = w * r;
    // r = 2 over whole texels of width: the vec4 kernels (pixel_shuffle2.wgsl, measured in
    // the commit that added them).
    let quads = r == 2 && w.is_multiple_of(4);
    let (shader, entry) = match (quads, forward) {
        (false, _) => (&shaders::PIXEL_SHUFFLE, entry),
        (true, true) => (&shaders::PIXEL_SHUFFLE2, entry::PIXEL_SHUFFLE2_FORWARD),
        (true, false) => (&shaders::PIXEL_SHUFFLE2, entry::PIXEL_SHUFFLE2_BACKWARD),
    };
    launch_split(
        Split {
            op,
            shapes: &[src.shape()],
            shader,
            entry,
            overrides: &[],
            ts: &[&out, src],
            units: n * c * h,
            span: &|row, g| {
                let lo = ((row / h) * r * r * h + row % h) * w;
                widen(&mut g[small], lo, lo + (r * r - 1) * h * w + w);
                widen(&mut g[big], row * r * wo, (row + 1) * r * wo);
            },
        },
        |p| {
            let u = |v: usize| v as u32;
            let params = PixelShuffleParams {
                n: u(n),
                c: u(c),
                h: u(h),
                w: u(w),
                r: u(r),
                u0: u(p.u0),
                u1: u(p.u1),
                bo: u(p.base[0]),
                bs: u(p.base[1]),
            };
            // pixel_shuffle2.wgsl: workgroups of 8 quads x 32 rows.
            let grid = if quads {
                block_grid(gpu, p.u1 - p.u0, 32, w / 4, 8)
            } else {
                row_grid(gpu, p.u1 - p.u0, w)
            };
            (params.words().to_vec(), grid)
        },
    )?;
    Ok(out)
}

/// out[n, c, y*r + i, x*r + j] = x[n, c*r*r + i*r + j, y, x].
pub fn pixel_shuffle_forward(x: &Tensor, r: usize) -> Result<Tensor> {
    let op = "pixel_shuffle_forward";
    let [n, cin, h, w] = x.dims4(op)?;
    if r == 0 {
        return Err(unsupported(
            op,
            format!("factor r = 0 for x {:?}", x.shape()),
        ));
    }
    if cin % (r * r) != 0 {
        return Err(shape_err(
            op,
            &[x.shape()],
            format!("channels {cin} are not a multiple of r*r = {}", r * r),
        ));
    }
    let c = cin / (r * r);
    launch(
        op,
        "pixel_shuffle_forward",
        x,
        &[n, c, h * r, w * r],
        [n, c, h, w, r],
    )
}

/// dx = pixel_unshuffle(dout): [N, C, H*r, W*r] -> [N, C*r*r, H, W].
pub fn pixel_shuffle_backward_x(dout: &Tensor, r: usize) -> Result<Tensor> {
    let op = "pixel_shuffle_backward_x";
    let [n, c, ho, wo] = dout.dims4(op)?;
    if r == 0 || ho % r != 0 || wo % r != 0 {
        return Err(shape_err(
            op,
            &[dout.shape()],
            format!("spatial size is not a multiple of r = {r}"),
        ));
    }
    let (h, w) = (ho / r, wo / r);
    launch(
        op,
        "pixel_shuffle_backward",
        dout,
        &[n, c * r * r, h, w],
        [n, c, h, w, r],
    )
}

/// Differentiable pixel shuffle by `r`.
pub fn pixel_shuffle(x: &Tensor, r: usize) -> Result<Tensor> {
    let out = pixel_shuffle_forward(x, r)?;
    autograd::record("pixel_shuffle", &[x], &out, move |dout, _| {
        Ok(vec![Some(pixel_shuffle_backward_x(dout, r)?)])
    });
    Ok(out)
}

/// f64 CPU reference.
/// Differentiable pixel_unshuffle (F.pixel_unshuffle): [N, C, H*r, W*r] -> [N, C*r*r, H, W],
/// the inverse permutation of pixel_shuffle (RRDBNet's input stage for x2 and x1). Its
/// forward is pixel_shuffle's backward kernel and its backward pixel_shuffle's forward.
pub fn pixel_unshuffle(x: &Tensor, r: usize) -> Result<Tensor> {
    let [_, _, h, w] = x.dims4("pixel_unshuffle")?;
    if r == 0 || h % r != 0 || w % r != 0 {
        return Err(shape_err(
            "pixel_unshuffle",
            &[x.shape()],
            format!("height and width must be multiples of r = {r}"),
        ));
    }
    let out = pixel_shuffle_backward_x(x, r)?;
    autograd::record("pixel_unshuffle", &[x], &out, move |dout, _| {
        Ok(vec![Some(pixel_shuffle_forward(dout, r)?)])
    });
    Ok(out)
}

pub mod reference {
    /// x [N, C*r*r, H, W] flattened -> [N, C, H*r, W*r].
    pub fn pixel_shuffle(x: &[f64], [n, cin, h, w]: [usize; 4], r: usize) -> Vec<f64> {
        let c = cin / (r * r);
        let (ho, wo) = (h * r, w * r);
        let mut out = vec![0.0; x.len()];
        for b in 0..n {
            for ci in 0..cin {
                let (co, i, j) = (ci / (r * r), (ci % (r * r)) / r, ci % r);
                for y in 0..h {
                    for xx in 0..w {
                        out[((b * c + co) * ho + y * r + i) * wo + xx * r + j] =
                            x[((b * cin + ci) * h + y) * w + xx];
                    }
                }
            }
        }
        out
    }

    /// x [N, C, H*r, W*r] flattened -> [N, C*r*r, H, W].
    pub fn pixel_unshuffle(x: &[f64], [n, c, ho, wo]: [usize; 4], r: usize) -> Vec<f64> {
        let (h, w, cout) = (ho / r, wo / r, c * r * r);
        let mut out = vec![0.0; x.len()];
        for b in 0..n {
            for co in 0..cout {
                let (ci, i, j) = (co / (r * r), (co % (r * r)) / r, co % r);
                for y in 0..h {
                    for xx in 0..w {
                        out[((b * cout + co) * h + y) * w + xx] =
                            x[((b * c + ci) * ho + y * r + i) * wo + xx * r + j];
                    }
                }
            }
        }
        out
    }
}
