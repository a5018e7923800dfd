//! Upsampling: nearest x2 (RRDBNet's upsampler) and bilinear x4 with align_corners = false
//! (MSRResNet's global skip, as F.interpolate(scale_factor=4, mode='bilinear'), edges clamped
//! as PyTorch). Backwards are gathers over the contributing outputs (no atomics).
//! Kernels: shaders/upsample_nearest.wgsl, shaders/upsample_bilinear.wgsl.

use crate::autograd;
use crate::error::{shape_err, Result};
use crate::gpu::params::{KernelParams, UpsampleNearestParams};
use crate::gpu::{shaders, Shader};
use crate::ops::launch::{launch_split, row_grid, widen, Split};
use crate::tensor::Tensor;

/// Destination rows over N * C * height, one lane per column; in pieces of whole destination
/// rows when a tensor exceeds one storage binding.
fn launch(
    op: &'static str,
    shader: &'static Shader,
    entry: &'static str,
    src: &Tensor,
    out_shape: &[usize],
    [nc, h, w, f]: [usize; 4],
) -> Result<Tensor> {
    let gpu = src.gpu();
    let out = Tensor::empty(gpu, op, out_shape)?;
    let rows: usize = out_shape[..3].iter().product();
    let (ho, wo) = (h * f, w * f);
    // Source rows (first, last) read for destination row `row`.
    let src_rows = |row: usize| match entry {
        "nearest2x_forward" => ((row >> 1) * w, (row >> 1) * w + w),
        "bilinear_forward" => {
            let (b, y) = ((row / ho) * h, (row % ho) / f);
            (
                (b + y.saturating_sub(1)) * w,
                (b + (y + 1).min(h - 1) + 1) * w,
            )
        }
        // Backwards: the small row (plane, y) gathers big rows y f - f .. y f + 2 f (nearest:
        // 2 y, 2 y + 1).
        _ => {
            let (b, y) = ((row / h) * ho, (row % h) * f);
            let (y0, y1) = if f == 2 && entry == "nearest2x_backward" {
                (y, y + 2)
            } else {
                (y.saturating_sub(f), (y + 2 * f).min(ho))
            };
            ((b + y0) * wo, (b + y1) * wo)
        }
    };
    launch_split(
        Split {
            op,
            shapes: &[src.shape()],
            shader,
            entry,
            overrides: &[],
            ts: &[&out, src],
            units: rows,
            span: &|row, g| {
                widen(&mut g[0], row * out_shape[3], (row + 1) * out_shape[3]);
                let (lo, hi) = src_rows(row);
                widen(&mut g[1], lo, hi);
            },
        },
        |p| {
            let u = |v: usize| v as u32;
            let params = UpsampleNearestParams {
                nc: u(nc),
                h: u(h),
                w: u(w),
                f: u(f),
                u0: u(p.u0),
                u1: u(p.u1),
                bo: u(p.base[0]),
                bs: u(p.base[1]),
            };
            (
                params.words().to_vec(),
                row_grid(gpu, p.u1 - p.u0, out_shape[3]),
            )
        },
    )?;
    Ok(out)
}

/// The small shape [N, C, H, W] of a gradient of an upsampling by `f`.
fn small_of(op: &str, dout: &Tensor, f: usize) -> Result<[usize; 4]> {
    let [n, c, ho, wo] = dout.dims4(op)?;
    if ho % f != 0 || wo % f != 0 {
        return Err(shape_err(
            op,
            &[dout.shape()],
            format!("spatial size is not a multiple of {f}"),
        ));
    }
    Ok([n, c, ho / f, wo / f])
}

pub fn nearest2x_forward(x: &Tensor) -> Result<Tensor> {
    let op = "nearest2x_forward";
    let [n, c, h, w] = x.dims4(op)?;
    let sh = &shaders::UPSAMPLE_NEAREST;
    launch(
        op,
        sh,
        "nearest2x_forward",
        x,
        &[n, c, 2 * h, 2 * w],
        [n * c, h, w, 2],
    )
}

/// dx[y, x] = sum of the 2x2 block of dout above it.
pub fn nearest2x_backward_x(dout: &Tensor) -> Result<Tensor> {
    let op = "nearest2x_backward_x";
    let [n, c, h, w] = small_of(op, dout, 2)?;
    let sh = &shaders::UPSAMPLE_NEAREST;
    launch(
        op,
        sh,
        "nearest2x_backward",
        dout,
        &[n, c, h, w],
        [n * c, h, w, 2],
    )
}

fn check_factor(op: &str, x: &Tensor, f: usize) -> Result<()> {
    if !(2..=4).contains(&f) {
        return Err(crate::error::unsupported(
            op,
            format!(
                "bilinear factor {f} (supported: 2, 3, 4) for {:?}",
                x.shape()
            ),
        ));
    }
    Ok(())
}

/// Bilinear upsampling by `f` in {2, 3, 4} (align_corners = false).
pub fn bilinear_forward(x: &Tensor, f: usize) -> Result<Tensor> {
    let op = "bilinear_forward";
    check_factor(op, x, f)?;
    let [n, c, h, w] = x.dims4(op)?;
    let sh = &shaders::UPSAMPLE_BILINEAR;
    launch(
        op,
        sh,
        "bilinear_forward",
        x,
        &[n, c, f * h, f * w],
        [n * c, h, w, f],
    )
}

/// dx[i] = sum over outputs o of weight(o, i) dout[o] (a gather over 3f x 3f outputs).
pub fn bilinear_backward_x(dout: &Tensor, f: usize) -> Result<Tensor> {
    let op = "bilinear_backward_x";
    check_factor(op, dout, f)?;
    let [n, c, h, w] = small_of(op, dout, f)?;
    let sh = &shaders::UPSAMPLE_BILINEAR;
    launch(
        op,
        sh,
        "bilinear_backward",
        dout,
        &[n, c, h, w],
        [n * c, h, w, f],
    )
}

pub fn bilinear4x_forward(x: &Tensor) -> Result<Tensor> {
    bilinear_forward(x, 4)
}

pub fn bilinear4x_backward_x(dout: &Tensor) -> Result<Tensor> {
    bilinear_backward_x(dout, 4)
}

/// Differentiable nearest-neighbour upsampling x2.
pub fn nearest2x(x: &Tensor) -> Result<Tensor> {
    let out = nearest2x_forward(x)?;
    autograd::record("nearest2x", &[x], &out, |dout, _| {
        Ok(vec![Some(nearest2x_backward_x(dout)?)])
    });
    Ok(out)
}

/// Differentiable bilinear upsampling by `f` in {2, 3, 4} (align_corners = false).
pub fn bilinear(x: &Tensor, f: usize) -> Result<Tensor> {
    let out = bilinear_forward(x, f)?;
    autograd::record("bilinear", &[x], &out, move |dout, _| {
        Ok(vec![Some(bilinear_backward_x(dout, f)?)])
    });
    Ok(out)
}

/// Differentiable bilinear upsampling x4 (MSRResNet's global skip).
pub fn bilinear4x(x: &Tensor) -> Result<Tensor> {
    bilinear(x, 4)
}

/// f64 CPU references (PyTorch's formulas, written independently of the kernels).
pub mod reference {
    pub fn nearest2x(x: &[f64], [n, c, h, w]: [usize; 4]) -> Vec<f64> {
        let (ho, wo) = (2 * h, 2 * w);
        let mut out = vec![0.0; n * c * ho * wo];
        for nc in 0..n * c {
            for y in 0..ho {
                for xx in 0..wo {
                    out[(nc * ho + y) * wo + xx] = x[(nc * h + y / 2) * w + xx / 2];
                }
            }
        }
        out
    }

    /// PyTorch's upsample_bilinear2d (align_corners = false, scale 1/f): source index
    /// max(scale (o + 0.5) - 0.5, 0), neighbour clamped at the last row/column.
    fn taps(o: usize, size: usize, f: usize) -> (usize, usize, f64) {
        let src = ((o as f64 + 0.5) / f as f64 - 0.5).max(0.0);
        let i0 = src as usize;
        let i1 = if i0 < size - 1 { i0 + 1 } else { i0 };
        (i0, i1, src - i0 as f64)
    }

    pub fn bilinear4x(x: &[f64], shape: [usize; 4]) -> Vec<f64> {
        bilinear(x, shape, 4)
    }

    pub fn bilinear(x: &[f64], [n, c, h, w]: [usize; 4], f: usize) -> Vec<f64> {
        let (ho, wo) = (f * h, f * w);
        let mut out = vec![0.0; n * c * ho * wo];
        for nc in 0..n * c {
            for y in 0..ho {
                let (y0, y1, ly) = taps(y, h, f);
                for xx in 0..wo {
                    let (x0, x1, lx) = taps(xx, w, f);
                    let at = |yy: usize, xq: usize| x[(nc * h + yy) * w + xq];
                    out[(nc * ho + y) * wo + xx] = (1.0 - ly)
                        * ((1.0 - lx) * at(y0, x0) + lx * at(y0, x1))
                        + ly * ((1.0 - lx) * at(y1, x0) + lx * at(y1, x1));
                }
            }
        }
        out
    }
}
