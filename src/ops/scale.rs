//! `scale(x, s)`: y = s * x for a host scalar s. Kernel: shaders/scale.wgsl (`scale_forward`,
//! which is also the backward: dx = s * dy).

use crate::autograd;
use crate::error::Result;
use crate::gpu::params::{entry, ScaleParams};
use crate::gpu::shaders;
use crate::ops::launch::{launch_map, Map, MapParams};
use crate::tensor::Tensor;

/// y = s * x
pub fn scale_forward(x: &Tensor, s: f32) -> Result<Tensor> {
    let y = Tensor::empty(x.gpu(), "scale_forward", x.shape())?;
    launch_map(Map {
        op: "scale_forward",
        shapes: &[x.shape()],
        shader: &shaders::SCALE,
        entry: entry::SCALE_FORWARD,
        overrides: &[],
        params: MapParams::of(&ScaleParams {
            s,
            ..Default::default()
        }),
        chunked: &[&y, x],
        whole: &[],
        n: x.numel(),
    })?;
    Ok(y)
}

/// dx = s * dy
pub fn scale_backward_input(dy: &Tensor, s: f32) -> Result<Tensor> {
    scale_forward(dy, s)
}

/// Differentiable y = s * x.
pub fn scale(x: &Tensor, s: f32) -> Result<Tensor> {
    let y = scale_forward(x, s)?;
    autograd::record("scale", &[x], &y, move |dy, _| {
        Ok(vec![Some(scale_backward_input(dy, s)?)])
    });
    Ok(y)
}

/// f64 CPU reference.
pub mod reference {
    pub fn scale(x: &[f64], s: f64) -> Vec<f64> {
        x.iter().map(|v| s * v).collect()
    }
}
