//! Reflect padding on the bottom/right edges, `reflect_pad(x, bottom, right)` (as
//! F.pad(x, (0, right, 0, bottom), mode='reflect'): SwinIR pads to a multiple of its window;
//! requires bottom < H and right < W), and the top-left crop `crop(x, h, w)` that undoes it.
//! Both backwards are gathers. Kernels: shaders/pad.wgsl.

use crate::autograd;
use crate::error::{shape_err, Result};
use crate::gpu::params::{KernelParams, PadParams};
use crate::gpu::shaders;
use crate::ops::launch::{launch_split, row_grid, widen, Split};
use crate::tensor::Tensor;

/// (small h, w) and (big ho, wo): the kernels' parameters. Destination rows over N * C * height,
/// one lane per column; in pieces of whole destination rows when a tensor exceeds one storage
/// binding.
fn launch(
    op: &'static str,
    entry: &'static str,
    src: &Tensor,
    out_shape: &[usize],
    [nc, h, w, ho, wo]: [usize; 5],
) -> Result<Tensor> {
    let gpu = src.gpu();
    let out = Tensor::empty(gpu, op, out_shape)?;
    let rows: usize = out_shape[..3].iter().product();
    let reflect = |i: usize, s: usize| if i < s { i } else { 2 * (s - 1) - i };
    // Source rows read for destination row `row`.
    let src_rows = |row: usize, g: &mut (usize, usize)| match entry {
        "reflect_pad_forward" => {
            let r = (row / ho) * h + reflect(row % ho, h);
            widen(g, r * w, (r + 1) * w);
        }
        "reflect_pad_backward" => {
            let (b, y) = ((row / h) * ho, row % h);
            widen(g, (b + y) * wo, (b + y + 1) * wo);
            let ym = 2 * (h - 1) - y;
            if y + 1 < h && ym < ho {
                widen(g, (b + ym) * wo, (b + ym + 1) * wo);
            }
        }
        "crop_forward" => {
            let r = (row / h) * ho + row % h;
            widen(g, r * wo, (r + 1) * wo);
        }
        _ => {
            if row % ho < h {
                let r = (row / ho) * h + row % ho;
                widen(g, r * w, (r + 1) * w);
            }
        }
    };
    launch_split(
        Split {
            op,
            shapes: &[src.shape()],
            shader: &shaders::PAD,
            entry,
            overrides: &[],
            ts: &[&out, src],
            units: rows,
            span: &|row, g| {
                widen(&mut g[0], row * out_shape[3], (row + 1) * out_shape[3]);
                src_rows(row, &mut g[1]);
            },
        },
        |p| {
            let u = |v: usize| v as u32;
            let params = PadParams {
                nc: u(nc),
                h: u(h),
                w: u(w),
                ho: u(ho),
                wo: u(wo),
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

pub fn reflect_pad_forward(x: &Tensor, bottom: usize, right: usize) -> Result<Tensor> {
    let op = "reflect_pad_forward";
    let [n, c, h, w] = x.dims4(op)?;
    if bottom >= h || right >= w {
        return Err(shape_err(
            op,
            &[x.shape()],
            format!("reflect padding (bottom {bottom}, right {right}) must be below H and W"),
        ));
    }
    let (ho, wo) = (h + bottom, w + right);
    let p = [n * c, h, w, ho, wo];
    launch(op, "reflect_pad_forward", x, &[n, c, ho, wo], p)
}

/// dx[y, x] = dout[y, x] + its mirror images inside the padding.
pub fn reflect_pad_backward_x(dout: &Tensor, x_shape: &[usize]) -> Result<Tensor> {
    let op = "reflect_pad_backward_x";
    let [n, c, ho, wo] = dout.dims4(op)?;
    match x_shape {
        [xn, xc, h, w]
            if (*xn, *xc) == (n, c) && *h <= ho && *w <= wo && ho - h < *h && wo - w < *w =>
        {
            launch(
                op,
                "reflect_pad_backward",
                dout,
                x_shape,
                [n * c, *h, *w, ho, wo],
            )
        }
        _ => Err(shape_err(
            op,
            &[dout.shape(), x_shape],
            "not a reflect padding of x",
        )),
    }
}

pub fn crop_forward(x: &Tensor, h: usize, w: usize) -> Result<Tensor> {
    let op = "crop_forward";
    let [n, c, hi, wi] = x.dims4(op)?;
    if h == 0 || w == 0 || h > hi || w > wi {
        return Err(shape_err(
            op,
            &[x.shape()],
            format!("crop to {h}x{w} must be non-empty and within the input"),
        ));
    }
    launch(op, "crop_forward", x, &[n, c, h, w], [n * c, h, w, hi, wi])
}

/// dx = dout zero-padded back to x's shape.
pub fn crop_backward_x(dout: &Tensor, x_shape: &[usize]) -> Result<Tensor> {
    let op = "crop_backward_x";
    let [n, c, h, w] = dout.dims4(op)?;
    match x_shape {
        [xn, xc, hi, wi] if (*xn, *xc) == (n, c) && h <= *hi && w <= *wi => {
            launch(op, "crop_backward", dout, x_shape, [n * c, h, w, *hi, *wi])
        }
        _ => Err(shape_err(op, &[dout.shape(), x_shape], "not a crop of x")),
    }
}

/// Differentiable reflect padding of the bottom/right edges.
pub fn reflect_pad(x: &Tensor, bottom: usize, right: usize) -> Result<Tensor> {
    let out = reflect_pad_forward(x, bottom, right)?;
    let shape = x.shape().to_vec();
    autograd::record("reflect_pad", &[x], &out, move |dout, _| {
        Ok(vec![Some(reflect_pad_backward_x(dout, &shape)?)])
    });
    Ok(out)
}

/// Differentiable top-left crop to h x w.
pub fn crop(x: &Tensor, h: usize, w: usize) -> Result<Tensor> {
    let out = crop_forward(x, h, w)?;
    let shape = x.shape().to_vec();
    autograd::record("crop", &[x], &out, move |dout, _| {
        Ok(vec![Some(crop_backward_x(dout, &shape)?)])
    });
    Ok(out)
}

/// f64 CPU references.
pub mod reference {
    pub fn reflect_pad(
        x: &[f64],
        [n, c, h, w]: [usize; 4],
        bottom: usize,
        right: usize,
    ) -> Vec<f64> {
        let (ho, wo) = (h + bottom, w + right);
        // numpy.pad / torch 'reflect': mirror about the last row/column, edge not repeated.
        let refl = |i: usize, s: usize| if i < s { i } else { 2 * (s - 1) - i };
        let mut out = Vec::with_capacity(n * c * ho * wo);
        for nc in 0..n * c {
            for y in 0..ho {
                for xx in 0..wo {
                    out.push(x[(nc * h + refl(y, h)) * w + refl(xx, w)]);
                }
            }
        }
        out
    }

    pub fn crop(x: &[f64], [n, c, hi, wi]: [usize; 4], h: usize, w: usize) -> Vec<f64> {
        let mut out = Vec::with_capacity(n * c * h * w);
        for nc in 0..n * c {
            for y in 0..h {
                out.extend_from_slice(&x[(nc * hi + y) * wi..(nc * hi + y) * wi + w]);
            }
        }
        out
    }
}
