//! Covariance over spatial positions: x [N, C, H, W] -> [N, C, C] with
//! Sigma = (F - mu)(F - mu)^T / HW per sample (F = C x HW, mu its spatial mean): the
//! second-order statistic of the alignment regulariser.
//!
//! Forward: the mean (spatial_mean), then `covariance_partial` — register-blocked partial
//! products (4 x 4 per lane) over chunks of 1024 positions, centred on load, upper tiles only;
//! the `_vec4` kernel where H*W % 4 == 0 (about 3x the scalar one on lavapipe) — and
//! `covariance_reduce`, which sums the chunks in index order (deterministic, no atomics).
//! Backward: dF = (dS + dS^T)(F - mu) / HW: `covariance_symmetrize`, then the matrix applied
//! at every position (`covariance_backward_sg` with 8 rows x 4 positions per lane and the matrix
//! shared by subgroupBroadcast where H*W % 4 == 0 and subgroups exist, else the scalar kernel).
//! The mean's own term, -(dS + dS^T) sum_q (f_q - mu) / HW^2, vanishes because centred
//! features sum to zero.
//!
//! The partial-product and matrix-at-every-position launchers are public: the RFF op uses them
//! for its weight and input gradients.

use crate::autograd;
use crate::error::{shape_err, Result};
use crate::gpu::{shaders, Gpu};
use crate::ops::concat::{launch_split, widen, Split};
use crate::ops::spatial_mean::spatial_mean_forward;
use crate::tensor::{grid_for, Tensor};

/// True when the subgroup kernels (one subgroup of >= 8 lanes per workgroup) can run.
pub fn subgroups_usable(gpu: &Gpu) -> bool {
    gpu.has_subgroups_of(8)
}

/// Positions per chunk of the partial products (enough chunks to fill a device, few enough
/// that the second pass is short).
const CHUNK: usize = 1024;
/// Output tile of one covariance_partial workgroup (8 x 8 lanes, 4 x 4 per lane).
const TILE: usize = 32;

/// Partial products part[n, s, i, j] = sum_{q in chunk s} (A[n,i,q] - ma[n,i]) (B[n,j,q] - mb[n,j])
/// for A [N, ra, len], B [N, rb, len] (the mean terms when `means` is given), then the fixed-order
/// sum over chunks (and over the batch when `sum_batch`), times `scale`. `sym` (A == B): only
/// upper tiles are computed and mirrored. Returns [N, ra, rb] or, with `sum_batch`, [ra, rb].
#[allow(clippy::too_many_arguments)]
pub fn outer_sum(
    op: &'static str,
    a: &Tensor,
    b: &Tensor,
    means: Option<(&Tensor, &Tensor)>,
    (n, ra, rb, len): (usize, usize, usize, usize),
    sym: bool,
    sum_batch: bool,
    scale: f32,
) -> Result<Tensor> {
    if a.numel() != n * ra * len || b.numel() != n * rb * len || (sym && ra != rb) {
        return Err(shape_err(
            op,
            &[a.shape(), b.shape()],
            "operands do not match the product's dimensions",
        ));
    }
    let gpu = a.gpu();
    let chunk = CHUNK.min(len);
    let chunks = len.div_ceil(chunk);
    let part = Tensor::empty(gpu, op, &[n * chunks, ra, rb])?;
    let (ti, tj) = (ra.div_ceil(TILE), rb.div_ceil(TILE));
    let (ma, mb) = means.unwrap_or((a, b));
    // Whole vec4s of positions (chunk is then a multiple of 4 too).
    let vec4 = len % 4 == 0;
    // Units (sample, tile) in pieces when a tensor exceeds one storage binding.
    let tiles = ti * tj;
    let maxd = gpu.limits().max_compute_workgroups_per_dimension.max(1) as usize;
    launch_split(
        Split {
            op,
            shapes: &[a.shape(), b.shape()],
            shader: if vec4 {
                &shaders::COVARIANCE_PARTIAL_VEC4
            } else {
                &shaders::COVARIANCE_PARTIAL
            },
            entry: if vec4 {
                "covariance_partial_vec4"
            } else {
                "covariance_partial"
            },
            overrides: &[],
            ts: &[&part, a, b, ma, mb],
            units: n * tiles,
            span: &|u, g| {
                let (s, t) = (u / tiles, u % tiles);
                let (i0, j0) = ((t / tj) * TILE, (t % tj) * TILE);
                let (i1, j1) = ((i0 + TILE).min(ra), (j0 + TILE).min(rb));
                widen(
                    &mut g[0],
                    (s * chunks * ra + i0) * rb + j0,
                    (((s + 1) * chunks - 1) * ra + i1 - 1) * rb + j1,
                );
                widen(&mut g[1], (s * ra + i0) * len, (s * ra + i1) * len);
                widen(&mut g[2], (s * rb + j0) * len, (s * rb + j1) * len);
                if means.is_some() {
                    widen(&mut g[3], s * ra + i0, s * ra + i1);
                    widen(&mut g[4], s * rb + j0, s * rb + j1);
                }
            },
        },
        |p| {
            let units = p.u1 - p.u0;
            let x = units.min(maxd);
            let mut params: Vec<u32> = [
                ra,
                rb,
                len,
                chunk,
                chunks,
                tj,
                means.is_some() as usize,
                sym as usize,
                p.u0,
                p.u1,
                tiles,
            ]
            .iter()
            .map(|v| *v as u32)
            .collect();
            params.extend(p.base.iter().map(|v| *v as u32));
            (params, [x as u32, chunks as u32, units.div_ceil(x) as u32])
        },
    )?;
    let (groups, per_group, shape) = if sum_batch {
        (1, n * chunks, vec![ra, rb])
    } else {
        (n, chunks, vec![n, ra, rb])
    };
    let out = Tensor::empty(gpu, op, &shape)?;
    let m = ra * rb;
    launch_split(
        Split {
            op,
            shapes: &[a.shape(), b.shape()],
            shader: &shaders::COVARIANCE_REDUCE,
            entry: "covariance_reduce",
            overrides: &[],
            ts: &[&out, &part],
            units: out.numel(),
            span: &|idx, g| {
                let (grp, mut i, mut j) = (idx / m, (idx % m) / rb, idx % rb);
                if sym && i / TILE > j / TILE {
                    std::mem::swap(&mut i, &mut j);
                }
                let off = i * rb + j;
                widen(&mut g[0], idx, idx + 1);
                widen(
                    &mut g[1],
                    grp * per_group * m + off,
                    ((grp + 1) * per_group - 1) * m + off + 1,
                );
            },
        },
        |p| {
            let mut params: Vec<u32> = [groups, per_group, ra, rb, 0, sym as usize, p.u0, p.u1]
                .iter()
                .map(|v| *v as u32)
                .collect();
            params[4] = scale.to_bits();
            params.extend(p.base.iter().map(|v| *v as u32));
            (params, grid_for(gpu, p.u1 - p.u0, 256))
        },
    )?;
    Ok(out)
}

/// out[n, i, q] = sum_k M(n, i, k) (X[n, k, q] - mu[n, k]) with M(n, i, k) =
/// m[n * strides.0 + i * strides.1 + k * strides.2] and X [N, K, len]; `mu` optional.
#[allow(clippy::too_many_arguments)]
pub fn matrix_at_positions(
    op: &'static str,
    m: &Tensor,
    strides: (usize, usize, usize),
    x: &Tensor,
    mu: Option<&Tensor>,
    (n, rows, k, len): (usize, usize, usize, usize),
    out_shape: &[usize],
) -> Result<Tensor> {
    let max_m = n.saturating_sub(1) * strides.0
        + rows.saturating_sub(1) * strides.1
        + k.saturating_sub(1) * strides.2;
    if x.numel() != n * k * len
        || max_m >= m.numel()
        || out_shape.iter().product::<usize>() != n * rows * len
    {
        return Err(shape_err(
            op,
            &[m.shape(), x.shape(), out_shape],
            "operands do not match the product's dimensions",
        ));
    }
    let gpu = x.gpu();
    let sg = len % 4 == 0 && subgroups_usable(gpu);
    let out = Tensor::empty(gpu, op, out_shape)?;
    let (shader, entry, grid) = if sg {
        (
            &shaders::COVARIANCE_BACKWARD_SG,
            "covariance_backward_sg",
            [len.div_ceil(4 * 8), rows.div_ceil(8)],
        )
    } else {
        (
            &shaders::COVARIANCE_BACKWARD,
            "covariance_backward",
            [len.div_ceil(4 * 64), rows.div_ceil(4)],
        )
    };
    let mu_t = mu.unwrap_or(m);
    // Samples in pieces when a tensor exceeds one storage binding.
    launch_split(
        Split {
            op,
            shapes: &[m.shape(), x.shape()],
            shader,
            entry,
            overrides: &[],
            ts: &[&out, m, x, mu_t],
            units: n,
            span: &|s, g| {
                widen(&mut g[0], s * rows * len, (s + 1) * rows * len);
                let m0 = s * strides.0;
                widen(
                    &mut g[1],
                    m0,
                    m0 + max_m - n.saturating_sub(1) * strides.0 + 1,
                );
                widen(&mut g[2], s * k * len, (s + 1) * k * len);
                if mu.is_some() {
                    widen(&mut g[3], s * k, (s + 1) * k);
                }
            },
        },
        |p| {
            let mut params: Vec<u32> = [
                rows,
                k,
                len,
                strides.0,
                strides.1,
                strides.2,
                mu.is_some() as usize,
                p.u0,
            ]
            .iter()
            .map(|v| *v as u32)
            .collect();
            params.extend(p.base.iter().map(|v| *v as u32));
            (
                params,
                [grid[0] as u32, grid[1] as u32, (p.u1 - p.u0) as u32],
            )
        },
    )?;
    Ok(out)
}

/// Covariance forward; also returns the spatial mean [N, C] it centred with.
pub fn covariance_forward(x: &Tensor) -> Result<(Tensor, Tensor)> {
    let op = "covariance_forward";
    let [n, c, h, w] = x.dims4(op)?;
    let mean = spatial_mean_forward(x)?;
    let len = h * w;
    let cov = outer_sum(
        op,
        x,
        x,
        Some((&mean, &mean)),
        (n, c, c, len),
        true,
        false,
        1.0 / len as f32,
    )?;
    Ok((cov, mean))
}

/// dx = (dS + dS^T)(x - mu) / HW.
pub fn covariance_backward_x(dcov: &Tensor, x: &Tensor, mean: &Tensor) -> Result<Tensor> {
    let op = "covariance_backward_x";
    let [n, c, h, w] = x.dims4(op)?;
    if dcov.shape() != [n, c, c] || mean.shape() != [n, c] {
        return Err(shape_err(
            op,
            &[dcov.shape(), x.shape(), mean.shape()],
            "dcov must be [N, C, C] and mean [N, C]",
        ));
    }
    let len = h * w;
    let gpu = x.gpu();
    let msym = Tensor::empty(gpu, op, &[n, c, c])?;
    let m = c * c;
    launch_split(
        Split {
            op,
            shapes: &[dcov.shape()],
            shader: &shaders::COVARIANCE_REDUCE,
            entry: "covariance_symmetrize",
            overrides: &[],
            ts: &[&msym, dcov],
            units: n * m,
            span: &|idx, g| {
                let (grp, i, j) = (idx / m, (idx % m) / c, idx % c);
                let t = grp * m + j * c + i;
                widen(&mut g[0], idx, idx + 1);
                widen(&mut g[1], idx.min(t), idx.max(t) + 1);
            },
        },
        |p| {
            let mut params: Vec<u32> = [n, 1, c, c, 0, 0, p.u0, p.u1]
                .iter()
                .map(|v| *v as u32)
                .collect();
            params[4] = (1.0 / len as f32).to_bits();
            params.extend(p.base.iter().map(|v| *v as u32));
            (params, grid_for(gpu, p.u1 - p.u0, 256))
        },
    )?;
    matrix_at_positions(
        op,
        &msym,
        (c * c, c, 1),
        x,
        Some(mean),
        (n, c, c, len),
        x.shape(),
    )
}

/// Differentiable covariance over positions: x [N, C, H, W] -> [N, C, C].
pub fn covariance(x: &Tensor) -> Result<Tensor> {
    let (cov, mean) = covariance_forward(x)?;
    let sx = x.detach();
    autograd::record("covariance", &[x], &cov, move |dout, _| {
        Ok(vec![Some(covariance_backward_x(dout, &sx, &mean)?)])
    });
    Ok(cov)
}

/// f64 CPU references.
pub mod reference {
    /// x [N, C, HW] flattened -> [N, C, C].
    pub fn covariance(x: &[f64], n: usize, c: usize, hw: usize) -> Vec<f64> {
        let mu = super::super::spatial_mean::reference::spatial_mean(x, n, c, hw);
        let mut out = vec![0.0; n * c * c];
        for b in 0..n {
            for i in 0..c {
                for j in 0..c {
                    let (xi, xj) = (&x[(b * c + i) * hw..], &x[(b * c + j) * hw..]);
                    let s: f64 = (0..hw)
                        .map(|q| (xi[q] - mu[b * c + i]) * (xj[q] - mu[b * c + j]))
                        .sum();
                    out[(b * c + i) * c + j] = s / hw as f64;
                }
            }
        }
        out
    }
}
