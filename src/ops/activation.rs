//! Elementwise activations: `relu(x)`, `leaky_relu(x, slope)`, `gelu(x)` (exact erf form, as
//! torch.nn.GELU). Kernels: shaders/activation_forward.wgsl (`leaky_relu_forward`,
//! `gelu_forward`) and shaders/activation_backward.wgsl (`leaky_relu_backward`,
//! `gelu_backward`); ReLU is LeakyReLU with slope 0. WGSL has no erf: both files carry
//! `erf_f32`, a fitted approximation with absolute error ~1.4e-7 (tests/op_elementwise.rs
//! checks it against the f64 `reference::erf`).

use crate::autograd;
use crate::error::Result;
use crate::gpu::params::{ActivationBackwardParams, ActivationForwardParams};
use crate::gpu::shaders;
use crate::ops::launch::{launch_map, Map, MapParams};
use crate::tensor::Tensor;

fn forward(op: &'static str, entry: &'static str, x: &Tensor, slope: f32) -> Result<Tensor> {
    let y = Tensor::empty(x.gpu(), op, x.shape())?;
    launch_map(Map {
        op,
        shapes: &[x.shape()],
        shader: &shaders::ACTIVATION_FORWARD,
        entry,
        overrides: &[],
        params: MapParams::of(&ActivationForwardParams {
            slope,
            ..Default::default()
        }),
        chunked: &[&y, x],
        whole: &[],
        n: x.numel(),
    })?;
    Ok(y)
}

fn backward(
    op: &'static str,
    entry: &'static str,
    x: &Tensor,
    dy: &Tensor,
    slope: f32,
) -> Result<Tensor> {
    crate::ops::same_shape(op, x, dy)?;
    let dx = Tensor::empty(x.gpu(), op, x.shape())?;
    launch_map(Map {
        op,
        shapes: &[x.shape(), dy.shape()],
        shader: &shaders::ACTIVATION_BACKWARD,
        entry,
        overrides: &[],
        params: MapParams::of(&ActivationBackwardParams {
            slope,
            ..Default::default()
        }),
        chunked: &[&dx, x, dy],
        whole: &[],
        n: x.numel(),
    })?;
    Ok(dx)
}

/// y = x > 0 ? x : slope * x
pub fn leaky_relu_forward(x: &Tensor, slope: f32) -> Result<Tensor> {
    forward("leaky_relu_forward", "leaky_relu_forward", x, slope)
}

/// dx = x > 0 ? dy : slope * dy
pub fn leaky_relu_backward_input(x: &Tensor, dy: &Tensor, slope: f32) -> Result<Tensor> {
    backward(
        "leaky_relu_backward_input",
        "leaky_relu_backward",
        x,
        dy,
        slope,
    )
}

/// y = 0.5 x (1 + erf(x / sqrt 2))
pub fn gelu_forward(x: &Tensor) -> Result<Tensor> {
    forward("gelu_forward", "gelu_forward", x, 0.0)
}

/// dx = dy (Phi(x) + x phi(x))
pub fn gelu_backward_input(x: &Tensor, dy: &Tensor) -> Result<Tensor> {
    backward("gelu_backward_input", "gelu_backward", x, dy, 0.0)
}

/// Differentiable LeakyReLU.
pub fn leaky_relu(x: &Tensor, slope: f32) -> Result<Tensor> {
    let y = leaky_relu_forward(x, slope)?;
    let sx = x.detach();
    autograd::record("leaky_relu", &[x], &y, move |dy, _| {
        Ok(vec![Some(leaky_relu_backward_input(&sx, dy, slope)?)])
    });
    Ok(y)
}

/// Differentiable ReLU (LeakyReLU with slope 0).
pub fn relu(x: &Tensor) -> Result<Tensor> {
    leaky_relu(x, 0.0)
}

/// Differentiable GELU (erf form).
pub fn gelu(x: &Tensor) -> Result<Tensor> {
    let y = gelu_forward(x)?;
    let sx = x.detach();
    autograd::record("gelu", &[x], &y, move |dy, _| {
        Ok(vec![Some(gelu_backward_input(&sx, dy)?)])
    });
    Ok(y)
}

/// f64 CPU references.
pub mod reference {
    pub fn leaky_relu(x: &[f64], slope: f64) -> Vec<f64> {
        x.iter()
            .map(|v| if *v > 0.0 { *v } else { slope * v })
            .collect()
    }
    pub fn relu(x: &[f64]) -> Vec<f64> {
        leaky_relu(x, 0.0)
    }
    pub fn gelu(x: &[f64]) -> Vec<f64> {
        x.iter()
            .map(|v| 0.5 * v * (1.0 + erf(v / std::f64::consts::SQRT_2)))
            .collect()
    }

    /// erf in f64 (abs error ~1e-15): the Maclaurin series below |x| = 3 (terms up to ~1e3,
    /// so cancellation costs ~1e-13 at worst), else 1 - erfc from its continued fraction.
    pub fn erf(x: f64) -> f64 {
        let t = x.abs();
        if t < 3.0 {
            let (x2, mut a, mut s) = (x * x, x, x);
            for n in 1..200 {
                a *= -x2 / n as f64;
                let term = a / (2 * n + 1) as f64;
                s += term;
                if term.abs() < 1e-17 * s.abs() {
                    break;
                }
            }
            return s * std::f64::consts::FRAC_2_SQRT_PI;
        }
        // erfc(t) = exp(-t^2) / sqrt(pi) / (t + (1/2) / (t + 1 / (t + (3/2) / (t + ...))))
        let mut f = t;
        for k in (1..=80).rev() {
            f = t + (k as f64 / 2.0) / f;
        }
        let erfc = (-t * t).exp() / std::f64::consts::PI.sqrt() / f;
        (1.0 - erfc).copysign(x)
    }
}
