//! Elementwise binary ops on equal shapes: `add` (a + b) and `mul` (a * b).
//! Kernels: shaders/binary.wgsl (`add_forward`, `mul_forward`).
//!
//! Also `launch_map`, the launcher shared by every elementwise kernel of this crate's
//! elementwise ops (scale, bias, activations, PReLU, loss gradients, optimisers): it splits
//! tensors larger than the storage-binding limit into aligned sub-range launches.

use crate::autograd;
use crate::error::Result;
use crate::gpu::params::BinaryParams;
use crate::gpu::shaders;
use crate::ops::same_shape;
use crate::tensor::Tensor;

// The elementwise launcher lives in ops::launch (re-exported for older imports).
use super::launch::MapParams;
#[allow(unused_imports)]
pub(crate) use super::launch::{bind_vec4, launch_map, Map};

fn launch_binary(op: &'static str, entry: &'static str, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    same_shape(op, a, b)?;
    let out = Tensor::empty(a.gpu(), op, a.shape())?;
    launch_map(Map {
        op,
        shapes: &[a.shape(), b.shape()],
        shader: &shaders::BINARY,
        entry,
        overrides: &[],
        params: MapParams::of(&BinaryParams::default()),
        chunked: &[&out, a, b],
        whole: &[],
        n: a.numel(),
    })?;
    Ok(out)
}

/// out = a + b
pub fn add_forward(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    launch_binary("add_forward", "add_forward", a, b)
}

/// out = a * b (elementwise); its backward is `mul_forward(dout, other)`.
pub fn mul_forward(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    launch_binary("mul_forward", "mul_forward", a, b)
}

/// Differentiable a + b: both gradients are dout itself (shared, never written in place).
pub fn add(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let out = add_forward(a, b)?;
    autograd::record("add", &[a, b], &out, |dout, _| {
        Ok(vec![Some(dout.clone()), Some(dout.clone())])
    });
    Ok(out)
}

/// Differentiable a * b: da = dout * b, db = dout * a.
pub fn mul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let out = mul_forward(a, b)?;
    let (sa, sb) = (a.detach(), b.detach());
    autograd::record("mul", &[a, b], &out, move |dout, needs| {
        let da = if needs[0] {
            Some(mul_forward(dout, &sb)?)
        } else {
            None
        };
        let db = if needs[1] {
            Some(mul_forward(dout, &sa)?)
        } else {
            None
        };
        Ok(vec![da, db])
    });
    Ok(out)
}

/// f64 CPU references.
pub mod reference {
    pub fn add(a: &[f64], b: &[f64]) -> Vec<f64> {
        a.iter().zip(b).map(|(x, y)| x + y).collect()
    }
    pub fn mul(a: &[f64], b: &[f64]) -> Vec<f64> {
        a.iter().zip(b).map(|(x, y)| x * y).collect()
    }
}
