//! `bias(x, b)`: y = x + b broadcast over channels. 4-D x [N, C, H, W]: b [C] on dim 1;
//! 2-D / 3-D x: b on the last dim. Kernel: shaders/bias.wgsl (`bias_forward`); dx = dy;
//! db = per-channel sums of dy (the deterministic two-pass reduction of ops::reduce).

use crate::autograd;
use crate::error::{shape_err, Result};
use crate::gpu::params::{entry, BiasParams};
use crate::gpu::shaders;
use crate::ops::launch::{launch_map, Map, MapParams};
use crate::ops::reduce::{reduce_channels, Reduce, Term};
use crate::tensor::Tensor;

/// x viewed as [outer, C, inner] with b on the middle dim; errors name `op`.
pub(crate) fn channel_view(op: &str, x: &Tensor, b: &Tensor) -> Result<[usize; 3]> {
    let s = x.shape();
    let dims = match s.len() {
        4 => [s[0], s[1], s[2] * s[3]],
        2 | 3 => [x.numel() / s[s.len() - 1], s[s.len() - 1], 1],
        _ => {
            return Err(shape_err(
                op,
                &[s, b.shape()],
                "x must be 4-D (bias on dim 1) or 2-D/3-D (bias on the last dim)",
            ))
        }
    };
    if b.shape() != [dims[1]] {
        return Err(shape_err(
            op,
            &[s, b.shape()],
            format!("b must have shape [{}]", dims[1]),
        ));
    }
    Ok(dims)
}

/// y = x + b (broadcast on the channel dim)
pub fn bias_forward(x: &Tensor, b: &Tensor) -> Result<Tensor> {
    let [_, c, inner] = channel_view("bias_forward", x, b)?;
    let y = Tensor::empty(x.gpu(), "bias_forward", x.shape())?;
    launch_map(Map {
        op: "bias_forward",
        shapes: &[x.shape(), b.shape()],
        shader: &shaders::BIAS,
        entry: entry::BIAS_FORWARD,
        overrides: &[],
        params: MapParams::of(&BiasParams {
            c: c as u32,
            inner: inner as u32,
            ..Default::default()
        }),
        chunked: &[&y, x],
        whole: &[b],
        n: x.numel(),
    })?;
    Ok(y)
}

/// db[c] = sum of dy over every dim but the channel dim, in a fixed order.
pub fn bias_backward_bias(dy: &Tensor, b: &Tensor) -> Result<Tensor> {
    let dims = channel_view("bias_backward_bias", dy, b)?;
    reduce_channels(Reduce {
        op: "bias_backward_bias",
        term: Term::Value,
        a: dy,
        b: None,
        dims,
        scale: 1.0,
        eps: 0.0,
        root: false,
    })
}

/// Differentiable y = x + b: dx = dy, db = channel sums of dy.
pub fn bias(x: &Tensor, b: &Tensor) -> Result<Tensor> {
    let y = bias_forward(x, b)?;
    let sb = b.detach();
    autograd::record("bias", &[x, b], &y, move |dy, needs| {
        let dx = needs[0].then(|| dy.clone());
        let db = if needs[1] {
            Some(bias_backward_bias(dy, &sb)?)
        } else {
            None
        };
        Ok(vec![dx, db])
    });
    Ok(y)
}

/// f64 CPU reference: x viewed as [outer, c, inner], b [c].
pub mod reference {
    pub fn bias(x: &[f64], b: &[f64], inner: usize) -> Vec<f64> {
        let c = b.len();
        x.iter()
            .enumerate()
            .map(|(i, v)| v + b[(i / inner) % c])
            .collect()
    }
}
