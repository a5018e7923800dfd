//! `prelu(x, alpha)`: y = x > 0 ? x : alpha * x with alpha [C] per channel (dim 1 of x) or [1]
//! shared (torch.nn.PReLU). Kernels: shaders/prelu_forward.wgsl, shaders/prelu_backward.wgsl
//! (dx); dalpha = sum of dy * x where x < 0, per channel, by the deterministic reduction of
//! ops::reduce (MODE 2).

use crate::autograd;
use crate::error::{shape_err, Result};
use crate::gpu::params::{entry, PreluBackwardParams, PreluForwardParams};
use crate::gpu::shaders;
use crate::ops::launch::{launch_map, Map, MapParams};
use crate::ops::reduce::{reduce_channels, Reduce, Term};
use crate::tensor::Tensor;

/// x viewed as [outer, c, inner] with alpha on the middle dim.
fn view(op: &str, x: &Tensor, alpha: &Tensor) -> Result<[usize; 3]> {
    let s = x.shape();
    if alpha.shape() == [1] {
        return Ok([1, 1, x.numel()]);
    }
    if s.len() < 2 || alpha.shape() != [s[1]] {
        return Err(shape_err(
            op,
            &[s, alpha.shape()],
            "alpha must be [1] or [C] with C = dim 1 of x (x at least 2-D)",
        ));
    }
    Ok([s[0], s[1], x.numel() / (s[0] * s[1])])
}

/// y = x > 0 ? x : alpha[c] * x
pub fn prelu_forward(x: &Tensor, alpha: &Tensor) -> Result<Tensor> {
    let [_, c, inner] = view("prelu_forward", x, alpha)?;
    let y = Tensor::empty(x.gpu(), "prelu_forward", x.shape())?;
    launch_map(Map {
        op: "prelu_forward",
        shapes: &[x.shape(), alpha.shape()],
        shader: &shaders::PRELU_FORWARD,
        entry: entry::PRELU_FORWARD,
        overrides: &[],
        params: MapParams::of(&PreluForwardParams {
            c: c as u32,
            inner: inner as u32,
            ..Default::default()
        }),
        chunked: &[&y, x],
        whole: &[alpha],
        n: x.numel(),
    })?;
    Ok(y)
}

/// dx = x > 0 ? dy : alpha[c] * dy
pub fn prelu_backward_input(x: &Tensor, alpha: &Tensor, dy: &Tensor) -> Result<Tensor> {
    let op = "prelu_backward_input";
    let [_, c, inner] = view(op, x, alpha)?;
    crate::ops::same_shape(op, x, dy)?;
    let dx = Tensor::empty(x.gpu(), op, x.shape())?;
    launch_map(Map {
        op,
        shapes: &[x.shape(), alpha.shape()],
        shader: &shaders::PRELU_BACKWARD,
        entry: entry::PRELU_BACKWARD_INPUT,
        overrides: &[],
        params: MapParams::of(&PreluBackwardParams {
            c: c as u32,
            inner: inner as u32,
            ..Default::default()
        }),
        chunked: &[&dx, x, dy],
        whole: &[alpha],
        n: x.numel(),
    })?;
    Ok(dx)
}

/// dalpha[c] = sum over x < 0 of dy * x (fixed-order reduction).
pub fn prelu_backward_alpha(x: &Tensor, alpha: &Tensor, dy: &Tensor) -> Result<Tensor> {
    let op = "prelu_backward_alpha";
    let dims = view(op, x, alpha)?;
    crate::ops::same_shape(op, x, dy)?;
    reduce_channels(Reduce {
        op,
        term: Term::NegProduct,
        a: dy,
        b: Some(x),
        dims,
        scale: 1.0,
        eps: 0.0,
        root: false,
    })
}

/// Differentiable PReLU.
pub fn prelu(x: &Tensor, alpha: &Tensor) -> Result<Tensor> {
    let y = prelu_forward(x, alpha)?;
    let (sx, sa) = (x.detach(), alpha.detach());
    autograd::record("prelu", &[x, alpha], &y, move |dy, needs| {
        let dx = if needs[0] {
            Some(prelu_backward_input(&sx, &sa, dy)?)
        } else {
            None
        };
        let da = if needs[1] {
            Some(prelu_backward_alpha(&sx, &sa, dy)?)
        } else {
            None
        };
        Ok(vec![dx, da])
    });
    Ok(y)
}

/// f64 CPU reference: x viewed as [outer, c, inner] (alpha [c]; c = inner = 1 for [1]).
pub mod reference {
    pub fn prelu(x: &[f64], alpha: &[f64], inner: usize) -> Vec<f64> {
        let c = alpha.len();
        x.iter()
            .enumerate()
            .map(|(i, v)| {
                if *v > 0.0 {
                    *v
                } else {
                    alpha[(i / inner) % c] * v
                }
            })
            .collect()
    }
}
