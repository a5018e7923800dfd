//! Elementwise binary ops on equal shapes: `add` (a + b) and `mul` (a * b).
//! Kernels: shaders/binary.wgsl (`add_forward`, `mul_forward`, `mul_backward`).

use crate::autograd;
use crate::error::Result;
use crate::gpu::{shaders, Launch};
use crate::ops::same_shape;
use crate::tensor::{grid_for, Tensor};

fn launch_binary(op: &'static str, entry: &'static str, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    same_shape(op, a, b)?;
    let gpu = a.gpu();
    let out = Tensor::empty(gpu, op, a.shape())?;
    let n = a.numel();
    gpu.launch(Launch {
        op,
        shapes: &[a.shape(), b.shape()],
        shader: &shaders::BINARY,
        entry,
        overrides: &[],
        params: &[n as u32],
        binds: &[out.bind(), a.bind(), b.bind()],
        workgroups: grid_for(gpu, n, 256),
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
