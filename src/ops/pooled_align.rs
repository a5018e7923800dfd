//! The pooled alignment loss of the published "Navigating Beyond Dropout" code, as one op:
//! u [2P, C] holds one pooled (spatially averaged) feature vector per image, rows i and P + i
//! being the two degradations of one image. Each half is centred over its P rows; then per
//! pair (a, v)
//!   reg(a, v) = mean_c (a_c - v_c)^2 + mean_{c,d} (a_c a_d - v_c v_d)^2
//! and the same on a random-feature map of each centred vector,
//!   Z = sqrt2 (cos s + sin s),  s = pi/2 (m - min_c m) / (max_c m - min_c m),  m = x w + b,
//! with one scalar w ~ N(0, 1) and b ~ U(0, 2 pi) per channel (drawn by the caller); the loss
//! is the sum over pairs of reg(a, v) + reg(Za, Zv) -> [1]. The gradient flows to u only (w and
//! b are constants); through the min-max normalisation it reaches the argmin and argmax entries
//! (ties: the first index; a constant m gives s = 0 and no gradient through the map).
//!
//! Kernels: shaders/pooled_align_forward.wgsl, pooled_align_backward.wgsl — one workgroup each
//! (the operand is a few hundred numbers), pairs summed in index order (deterministic).

use crate::autograd;
use crate::error::{shape_err, Result};
use crate::gpu::params::{entry, KernelParams, PooledAlignForwardParams};
use crate::gpu::{shaders, Launch};
use crate::tensor::Tensor;

fn check(op: &str, u: &Tensor, b: &Tensor) -> Result<(usize, usize)> {
    match (u.shape(), b.shape()) {
        ([rows, c], [bc]) if rows % 2 == 0 && *rows > 0 && *c > 0 && bc == c => Ok((rows / 2, *c)),
        _ => Err(shape_err(
            op,
            &[u.shape(), b.shape()],
            "expected u [2P, C] (P pairs, P > 0) and b [C]",
        )),
    }
}

fn params(pairs: usize, c: usize, w: f32) -> PooledAlignForwardParams {
    PooledAlignForwardParams {
        pairs: pairs as u32,
        c: c as u32,
        w,
        pad: 0,
    }
}

/// Forward: the loss [1].
pub fn pooled_align_forward(u: &Tensor, w: f32, b: &Tensor) -> Result<Tensor> {
    let op = "pooled_align_forward";
    let (pairs, c) = check(op, u, b)?;
    let gpu = u.gpu();
    let out = Tensor::empty(gpu, op, &[1 + pairs])?;
    let scratch = Tensor::empty(gpu, op, &[4 * pairs * c])?;
    gpu.launch(Launch {
        op,
        shapes: &[u.shape(), b.shape()],
        shader: &shaders::POOLED_ALIGN_FORWARD,
        entry: entry::POOLED_ALIGN_FORWARD,
        overrides: &[],
        params: params(pairs, c, w).words(),
        binds: &[u.bind(), b.bind(), out.bind(), scratch.bind()],
        workgroups: [1, 1, 1],
    })?;
    let loss = Tensor::empty(gpu, op, &[1])?;
    gpu.copy(out.buffer(), 0, loss.buffer(), 0, 4);
    Ok(loss)
}

/// du = dl * d loss / d u.
pub fn pooled_align_backward_u(dl: &Tensor, u: &Tensor, w: f32, b: &Tensor) -> Result<Tensor> {
    let op = "pooled_align_backward_u";
    let (pairs, c) = check(op, u, b)?;
    if dl.numel() != 1 {
        return Err(shape_err(op, &[dl.shape()], "dl must hold one value"));
    }
    let gpu = u.gpu();
    let du = Tensor::empty(gpu, op, u.shape())?;
    let scratch = Tensor::empty(gpu, op, &[6 * pairs * c])?;
    gpu.launch(Launch {
        op,
        shapes: &[u.shape(), b.shape()],
        shader: &shaders::POOLED_ALIGN_BACKWARD,
        entry: entry::POOLED_ALIGN_BACKWARD,
        overrides: &[],
        params: params(pairs, c, w).words(),
        binds: &[u.bind(), b.bind(), dl.bind(), du.bind(), scratch.bind()],
        workgroups: [1, 1, 1],
    })?;
    Ok(du)
}

/// Differentiable pooled alignment loss (gradient w.r.t. `u` only).
pub fn pooled_align(u: &Tensor, w: f32, b: &Tensor) -> Result<Tensor> {
    let loss = pooled_align_forward(u, w, b)?;
    let (su, sb) = (u.detach(), b.detach());
    autograd::record("pooled_align", &[u], &loss, move |dl, _| {
        Ok(vec![Some(pooled_align_backward_u(dl, &su, w, &sb)?)])
    });
    Ok(loss)
}

/// f64 CPU reference.
pub mod reference {
    use std::f64::consts::{FRAC_PI_2, SQRT_2};

    fn reg(a: &[f64], v: &[f64]) -> f64 {
        let c = a.len() as f64;
        let lin: f64 = a.iter().zip(v).map(|(x, y)| (x - y) * (x - y)).sum();
        let mut quad = 0.0;
        for k in 0..a.len() {
            for l in 0..a.len() {
                let d = a[k] * a[l] - v[k] * v[l];
                quad += d * d;
            }
        }
        lin / c + quad / (c * c)
    }

    fn feature_map(x: &[f64], w: f64, b: &[f64]) -> Vec<f64> {
        let m: Vec<f64> = x.iter().zip(b).map(|(x, b)| x * w + b).collect();
        let mn = m.iter().cloned().fold(f64::INFINITY, f64::min);
        let mx = m.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        m.iter()
            .map(|v| {
                let s = if mx > mn {
                    FRAC_PI_2 * (v - mn) / (mx - mn)
                } else {
                    0.0
                };
                SQRT_2 * (s.cos() + s.sin())
            })
            .collect()
    }

    /// u [2P, C] flattened, one w, b [C] -> the loss.
    pub fn pooled_align(u: &[f64], c: usize, w: f64, b: &[f64]) -> f64 {
        let pairs = u.len() / c / 2;
        let mut cen = u.to_vec();
        for h in 0..2 {
            for k in 0..c {
                let rows = (h * pairs..(h + 1) * pairs).map(|i| i * c + k);
                let mean = rows.clone().map(|j| u[j]).sum::<f64>() / pairs as f64;
                rows.for_each(|j| cen[j] -= mean);
            }
        }
        (0..pairs)
            .map(|i| {
                let a = &cen[i * c..(i + 1) * c];
                let v = &cen[(pairs + i) * c..(pairs + i + 1) * c];
                reg(a, v) + reg(&feature_map(a, w, b), &feature_map(v, w, b))
            })
            .sum()
    }
}
