//! `scale(x, s)`: y = s * x for a host scalar s. Kernel: shaders/scale.wgsl (`scale_forward`,
//! which is also the backward: dx = s * dy). `scale_add(y, s, x)`: s * y + x in one pass
//! (shaders/scale_add.wgsl), a scaled residual branch; `add_scale_add(a, s, b, c)`:
//! (a + s * b) + c in one pass (shaders/add_scale_add.wgsl), two residual sums.

use crate::autograd;
use crate::error::{shape_err, Result};
use crate::gpu::params::{entry, AddScaleAddParams, ScaleAddParams, ScaleParams};
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

/// out = s * y + x
pub fn scale_add_forward(y: &Tensor, s: f32, x: &Tensor) -> Result<Tensor> {
    let op = "scale_add_forward";
    if y.shape() != x.shape() {
        return Err(shape_err(
            op,
            &[y.shape(), x.shape()],
            "y and x must have one shape",
        ));
    }
    let out = Tensor::empty(x.gpu(), op, x.shape())?;
    launch_map(Map {
        op,
        shapes: &[y.shape(), x.shape()],
        shader: &shaders::SCALE_ADD,
        entry: entry::SCALE_ADD_FORWARD,
        overrides: &[],
        params: MapParams::of(&ScaleAddParams {
            s,
            ..Default::default()
        }),
        chunked: &[&out, y, x],
        whole: &[],
        n: x.numel(),
    })?;
    Ok(out)
}

/// Differentiable s * y + x: dy = s * dout, dx = dout (shared, never written in place).
pub fn scale_add(y: &Tensor, s: f32, x: &Tensor) -> Result<Tensor> {
    let out = scale_add_forward(y, s, x)?;
    autograd::record("scale_add", &[y, x], &out, move |dout, needs| {
        let dy = if needs[0] {
            Some(scale_backward_input(dout, s)?)
        } else {
            None
        };
        Ok(vec![dy, Some(dout.clone())])
    });
    Ok(out)
}

/// out = (a + s * b) + c
pub fn add_scale_add_forward(a: &Tensor, s: f32, b: &Tensor, c: &Tensor) -> Result<Tensor> {
    let op = "add_scale_add_forward";
    if a.shape() != b.shape() || a.shape() != c.shape() {
        let shapes = [a.shape(), b.shape(), c.shape()];
        return Err(shape_err(op, &shapes, "a, b and c must have one shape"));
    }
    let out = Tensor::empty(a.gpu(), op, a.shape())?;
    launch_map(Map {
        op,
        shapes: &[a.shape(), b.shape(), c.shape()],
        shader: &shaders::ADD_SCALE_ADD,
        entry: entry::ADD_SCALE_ADD_FORWARD,
        overrides: &[],
        params: MapParams::of(&AddScaleAddParams {
            s,
            ..Default::default()
        }),
        chunked: &[&out, a, b, c],
        whole: &[],
        n: a.numel(),
    })?;
    Ok(out)
}

/// Differentiable (a + s * b) + c: da = dc = dout (shared, never written in place),
/// db = s * dout.
pub fn add_scale_add(a: &Tensor, s: f32, b: &Tensor, c: &Tensor) -> Result<Tensor> {
    let out = add_scale_add_forward(a, s, b, c)?;
    autograd::record("add_scale_add", &[a, b, c], &out, move |dout, needs| {
        let db = if needs[1] {
            Some(scale_backward_input(dout, s)?)
        } else {
            None
        };
        Ok(vec![Some(dout.clone()), db, Some(dout.clone())])
    });
    Ok(out)
}

/// f64 CPU reference.
pub mod reference {
    pub fn add_scale_add(a: &[f64], s: f64, b: &[f64], c: &[f64]) -> Vec<f64> {
        a.iter()
            .zip(b)
            .zip(c)
            .map(|((a, b), c)| a + s * b + c)
            .collect()
    }
    pub fn scale_add(y: &[f64], s: f64, x: &[f64]) -> Vec<f64> {
        y.iter().zip(x).map(|(a, b)| s * a + b).collect()
    }

    pub fn scale(x: &[f64], s: f64) -> Vec<f64> {
        x.iter().map(|v| s * v).collect()
    }
}
