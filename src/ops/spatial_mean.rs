//! Mean over spatial positions: x [N, C, H, W] -> [N, C] (the first-order statistic of the
//! alignment regulariser). Kernels: shaders/spatial_mean.wgsl — one workgroup per row with a
//! fixed-order tree reduction (deterministic), and the broadcast backward.
//! `row_sum` is also the RFF bias gradient (rows summed over the batch as well).

use crate::autograd;
use crate::error::{shape_err, Result};
use crate::gpu::params::{entry, KernelParams, SpatialMeanParams};
use crate::gpu::shaders;
use crate::ops::launch::{align_elems, launch_split, row_grid, widen, Split};
use crate::tensor::Tensor;

/// out[r] = scale * sum_{g < groups} sum_{q < len} x[(g * rows + r) * len + q], shaped `out_shape`.
pub fn row_sum(
    op: &'static str,
    x: &Tensor,
    rows: usize,
    groups: usize,
    len: usize,
    scale: f32,
    out_shape: &[usize],
) -> Result<Tensor> {
    if rows * groups * len != x.numel() || out_shape.iter().product::<usize>() != rows {
        return Err(shape_err(
            op,
            &[x.shape(), out_shape],
            format!("row sum of {groups} x {rows} rows of {len} does not fit"),
        ));
    }
    let gpu = x.gpu();
    let out = Tensor::empty(gpu, op, out_shape)?;
    let params = |u0: usize, u1: usize, bo: usize, bs: usize, q: (usize, usize), g: usize, load| {
        SpatialMeanParams {
            rows: rows as u32,
            groups: groups as u32,
            len: len as u32,
            scale,
            u0: u0 as u32,
            u1: u1 as u32,
            bo: bo as u32,
            bs: bs as u32,
            q0: q.0 as u32,
            q1: q.1 as u32,
            g: g as u32,
            load: load as u32,
        }
        .words()
        .to_vec()
    };
    // Whole rows (every group of a row) per launch, in pieces of rows when x exceeds one
    // storage binding.
    let whole = Split {
        op,
        shapes: &[x.shape()],
        shader: &shaders::SPATIAL_MEAN,
        entry: entry::SPATIAL_MEAN_FORWARD,
        overrides: &[],
        ts: &[&out, x],
        units: rows,
        span: &|r, g| {
            widen(&mut g[0], r, r + 1);
            widen(&mut g[1], r * len, ((groups - 1) * rows + r + 1) * len);
        },
    };
    if crate::ops::launch::pieces(&whole).is_ok() {
        launch_split(whole, |p| {
            (
                params(p.u0, p.u1, p.base[0], p.base[1], (0, len), 0, false),
                gpu.grid_1d((p.u1 - p.u0) as u32),
            )
        })?;
        return Ok(out);
    }
    // Rows too large for one binding: each lane's running sum (lane l adds positions
    // l, l + 64, ... of group 0, then group 1, ...) is carried across launches in part
    // [rows, 64] — a launch per group and block of rows, or per group, row and run of positions
    // (a multiple of 64) — and the same fixed-order tree then reduces part's rows: the same
    // additions in the same order as one launch, so the same bits.
    let part = Tensor::empty(gpu, op, &[rows, 64])?;
    let room = (gpu.limits().max_storage_buffer_binding_size as usize / 4)
        .saturating_sub(align_elems(gpu) + 4);
    let run = if len <= room { len } else { room / 64 * 64 };
    if run == 0 {
        return Err(crate::error::Error::Limit {
            op: op.into(),
            shapes: crate::error::fmt_shapes(&[x.shape()]),
            detail: "the storage binding limit is below 64 floats".into(),
        });
    }
    for g in 0..groups {
        for q0 in (0..len).step_by(run) {
            let q1 = (q0 + run).min(len);
            launch_split(
                Split {
                    op,
                    shapes: &[x.shape()],
                    shader: &shaders::SPATIAL_MEAN,
                    entry: entry::SPATIAL_MEAN_PARTIAL,
                    overrides: &[],
                    ts: &[&part, x],
                    units: rows,
                    span: &|r, s| {
                        widen(&mut s[0], r * 64, r * 64 + 64);
                        let b = (g * rows + r) * len;
                        widen(&mut s[1], b + q0, b + q1);
                    },
                },
                |p| {
                    let load = g > 0 || q0 > 0;
                    (
                        params(p.u0, p.u1, p.base[0], p.base[1], (q0, q1), g, load),
                        gpu.grid_1d((p.u1 - p.u0) as u32),
                    )
                },
            )?;
        }
    }
    let sums = row_sum(op, &part, rows, 1, 64, scale, out_shape)?;
    Ok(sums)
}

/// mean[n, c] = sum over positions of x[n, c] / (H W).
pub fn spatial_mean_forward(x: &Tensor) -> Result<Tensor> {
    let [n, c, h, w] = x.dims4("spatial_mean_forward")?;
    let len = h * w;
    row_sum(
        "spatial_mean_forward",
        x,
        n * c,
        1,
        len,
        1.0 / len as f32,
        &[n, c],
    )
}

/// dx[n, c, y, x] = dmean[n, c] / (H W).
pub fn spatial_mean_backward_x(dmean: &Tensor, x_shape: &[usize]) -> Result<Tensor> {
    let op = "spatial_mean_backward_x";
    let (n, c, len) = match x_shape {
        [n, c, h, w] => (*n, *c, h * w),
        s => return Err(shape_err(op, &[s], "expected a 4-D NCHW shape")),
    };
    if dmean.shape() != [n, c] {
        return Err(shape_err(
            op,
            &[dmean.shape(), x_shape],
            "dmean must be [N, C]",
        ));
    }
    let gpu = dmean.gpu();
    let dx = Tensor::empty(gpu, op, x_shape)?;
    // In pieces of whole rows when dx exceeds one storage binding; a row that alone exceeds it
    // is viewed as `fold` rows of H*W / fold (each reading dmean[row / fold]).
    let room = (gpu.limits().max_storage_buffer_binding_size as usize / 4)
        .saturating_sub(align_elems(gpu) + 4)
        .max(1);
    let fold = (1..=len)
        .find(|k| len % k == 0 && len / k <= room)
        .unwrap_or(len);
    let flen = len / fold;
    launch_split(
        Split {
            op,
            shapes: &[dmean.shape(), x_shape],
            shader: &shaders::SPATIAL_MEAN,
            entry: entry::SPATIAL_MEAN_BACKWARD,
            overrides: &[],
            ts: &[&dx, dmean],
            units: n * c * fold,
            span: &|r, g| {
                widen(&mut g[0], r * flen, (r + 1) * flen);
                widen(&mut g[1], r / fold, r / fold + 1);
            },
        },
        |p| {
            // Row r of dx reads dmean[r / groups]: groups = fold, rows of flen.
            let params = SpatialMeanParams {
                rows: (n * c * fold) as u32,
                groups: fold as u32,
                len: flen as u32,
                scale: 1.0 / len as f32,
                u0: p.u0 as u32,
                u1: p.u1 as u32,
                bo: p.base[0] as u32,
                bs: p.base[1] as u32,
                q0: 0,
                q1: flen as u32,
                g: 0,
                load: 0,
            };
            (params.words().to_vec(), row_grid(gpu, p.u1 - p.u0, flen))
        },
    )?;
    Ok(dx)
}

/// Differentiable spatial mean: x [N, C, H, W] -> [N, C].
pub fn spatial_mean(x: &Tensor) -> Result<Tensor> {
    let out = spatial_mean_forward(x)?;
    let shape = x.shape().to_vec();
    autograd::record("spatial_mean", &[x], &out, move |dout, _| {
        Ok(vec![Some(spatial_mean_backward_x(dout, &shape)?)])
    });
    Ok(out)
}

/// f64 CPU references.
pub mod reference {
    /// x [N, C, H, W] flattened -> [N, C].
    pub fn spatial_mean(x: &[f64], n: usize, c: usize, hw: usize) -> Vec<f64> {
        (0..n * c)
            .map(|r| x[r * hw..(r + 1) * hw].iter().sum::<f64>() / hw as f64)
            .collect()
    }
}
