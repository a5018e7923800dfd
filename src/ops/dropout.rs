//! Channel dropout with Dropout2d semantics: in training, each channel of each sample is zeroed
//! with probability p and the kept ones are scaled by 1 / (1 - p); identity when not training or
//! p == 0. The mask is a counter-based hash of (seed, n, c) computed in the kernel
//! (shaders/dropout.wgsl): no mask buffer, reproducible for a seed, and the backward applies
//! the same mask by calling the same kernel on dout.

use crate::autograd;
use crate::error::{unsupported, Result};
use crate::gpu::params::{entry, DropoutParams, KernelParams};
use crate::gpu::shaders;
use crate::ops::launch::{align_elems, launch_split, row_grid, widen, Split};
use crate::tensor::Tensor;

/// Launch parameters of a mask: (threshold, scale). A channel is kept when its hash >= threshold.
fn mask_params(p: f32) -> (u32, f32) {
    let threshold = (p as f64 * 4294967296.0).round().min(u32::MAX as f64) as u32;
    (threshold, (1.0 / (1.0 - p as f64)) as f32)
}

/// out = x * mask(seed, n, c) (the forward and, on dout, the backward).
pub fn channel_dropout_forward(x: &Tensor, p: f32, seed: u64) -> Result<Tensor> {
    let op = "channel_dropout_forward";
    let [n, c, h, w] = x.dims4(op)?;
    if !(0.0..1.0).contains(&p) {
        return Err(unsupported(
            op,
            format!("p = {p} for x {:?}: must be in [0, 1)", x.shape()),
        ));
    }
    let (threshold, scale) = mask_params(p);
    let gpu = x.gpu();
    let out = Tensor::empty(gpu, op, x.shape())?;
    // Rows (n, c) of H*W, in pieces of whole rows when x exceeds one storage binding; a row
    // that alone exceeds it is viewed as `fold` rows of H*W / fold.
    let room = (gpu.limits().max_storage_buffer_binding_size as usize / 4)
        .saturating_sub(align_elems(gpu) + 4)
        .max(1);
    let hw = h * w;
    let fold = (1..=hw)
        .find(|k| hw % k == 0 && hw / k <= room)
        .unwrap_or(hw);
    let len = hw / fold;
    launch_split(
        Split {
            op,
            shapes: &[x.shape()],
            shader: &shaders::DROPOUT,
            entry: entry::DROPOUT_APPLY,
            overrides: &[],
            ts: &[&out, x],
            units: n * c * fold,
            span: &|r, g| {
                widen(&mut g[0], r * len, (r + 1) * len);
                widen(&mut g[1], r * len, (r + 1) * len);
            },
        },
        |p| {
            let params = DropoutParams {
                n: n as u32,
                c: c as u32,
                len: len as u32,
                seed_lo: seed as u32,
                seed_hi: (seed >> 32) as u32,
                threshold,
                scale,
                fold: fold as u32,
                u0: p.u0 as u32,
                u1: p.u1 as u32,
                bo: p.base[0] as u32,
                bs: p.base[1] as u32,
            };
            (params.words().to_vec(), row_grid(gpu, p.u1 - p.u0, len))
        },
    )?;
    Ok(out)
}

/// dx = dout * mask(seed, n, c): the same mask as the forward.
pub fn channel_dropout_backward_x(dout: &Tensor, p: f32, seed: u64) -> Result<Tensor> {
    channel_dropout_forward(dout, p, seed)
}

/// Differentiable channel dropout (Dropout2d). Returns `x` itself (no copy, nothing recorded)
/// when `!training` or `p == 0`.
pub fn channel_dropout(x: &Tensor, p: f32, seed: u64, training: bool) -> Result<Tensor> {
    if !(0.0..1.0).contains(&p) {
        return Err(unsupported(
            "channel_dropout",
            format!("p = {p} for x {:?}: must be in [0, 1)", x.shape()),
        ));
    }
    x.dims4("channel_dropout")?;
    if !training || p == 0.0 {
        return Ok(x.clone());
    }
    let out = channel_dropout_forward(x, p, seed)?;
    autograd::record("channel_dropout", &[x], &out, move |dout, _| {
        Ok(vec![Some(channel_dropout_backward_x(dout, p, seed)?)])
    });
    Ok(out)
}

/// Host mirror of the kernel's mask, and an f64 reference.
pub mod reference {
    fn pcg(v: u32) -> u32 {
        let state = v.wrapping_mul(747796405).wrapping_add(2891336453);
        let word = ((state >> ((state >> 28) + 4)) ^ state).wrapping_mul(277803737);
        (word >> 22) ^ word
    }

    /// Whether channel c of sample n is kept for this seed and p.
    pub fn keep(seed: u64, n: usize, c: usize, p: f32) -> bool {
        let h = pcg(pcg(pcg(pcg(seed as u32) ^ (seed >> 32) as u32) ^ n as u32) ^ c as u32);
        h >= super::mask_params(p).0
    }

    /// x [N, C, HW] flattened.
    pub fn channel_dropout(
        x: &[f64],
        (n, c, hw): (usize, usize, usize),
        p: f32,
        seed: u64,
    ) -> Vec<f64> {
        debug_assert_eq!(x.len(), n * c * hw);
        let scale = 1.0 / (1.0 - p as f64);
        x.iter()
            .enumerate()
            .map(|(i, v)| {
                let nc = i / hw;
                if keep(seed, nc / c, nc % c, p) {
                    v * scale
                } else {
                    0.0
                }
            })
            .collect()
    }
}
