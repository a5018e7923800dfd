//! Mean over spatial positions: x [N, C, H, W] -> [N, C] (the first-order statistic of the
//! alignment regulariser). Kernels: shaders/spatial_mean.wgsl — one workgroup per row with a
//! fixed-order tree reduction (deterministic), and the broadcast backward.
//! `row_sum` is also the RFF bias gradient (rows summed over the batch as well).

use crate::autograd;
use crate::error::{shape_err, Result};
use crate::gpu::{shaders, Launch};
use crate::ops::concat::row_grid;
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
    gpu.launch(Launch {
        op,
        shapes: &[x.shape()],
        shader: &shaders::SPATIAL_MEAN,
        entry: "spatial_mean_forward",
        overrides: &[],
        params: &[rows as u32, groups as u32, len as u32, scale.to_bits()],
        binds: &[out.bind(), x.bind()],
        workgroups: gpu.grid_1d(rows as u32),
    })?;
    Ok(out)
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
    gpu.launch(Launch {
        op,
        shapes: &[dmean.shape(), x_shape],
        shader: &shaders::SPATIAL_MEAN,
        entry: "spatial_mean_backward",
        overrides: &[],
        params: &[(n * c) as u32, 1, len as u32, (1.0 / len as f32).to_bits()],
        binds: &[dx.bind(), dmean.bind()],
        workgroups: row_grid(gpu, n * c, len),
    })?;
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
