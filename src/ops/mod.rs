//! Ops: one file per op, each with the launcher of its forward kernel, a launcher per backward
//! kernel (`<op>_forward`, `<op>_backward_<wrt>`), the differentiable wrapper that records the
//! op on the tape, and `reference`: an f64 CPU implementation that the gradient checks in
//! tests/ compare against.
//!
//! Ops know tensors, autograd and the device; they never name layers, models or training.

pub mod launch;

pub mod activation;
pub mod bias;
pub mod binary;
pub mod loss;
pub mod optim;
pub mod prelu;
pub mod reduce;
pub mod scale;

pub mod conv2d;
pub mod conv2d_general;
pub mod conv2d_multi;
pub mod conv_winograd;

pub mod attention;
pub mod layernorm;
pub mod matmul;
pub mod max_pool;
pub mod window;

pub mod channel_norm;
pub mod concat;
pub mod covariance;
pub mod dropout;
pub mod pad;
pub mod pixel_shuffle;
pub mod pooled_align;
pub mod rff;
pub mod spatial_mean;
pub mod upsample;

use crate::error::{shape_err, Result};
use crate::tensor::Tensor;

/// Error unless both tensors have the same shape.
pub fn same_shape(op: &str, a: &Tensor, b: &Tensor) -> Result<()> {
    if a.shape() != b.shape() {
        return Err(shape_err(
            op,
            &[a.shape(), b.shape()],
            "shapes must be equal",
        ));
    }
    Ok(())
}

/// Differentiable reshape (shares the buffer; the gradient is reshaped back).
pub fn reshape(x: &Tensor, shape: &[usize]) -> Result<Tensor> {
    let y = x.reshaped(shape)?;
    let in_shape = x.shape().to_vec();
    crate::autograd::record("reshape", &[x], &y, move |dy, _| {
        Ok(vec![Some(dy.reshaped(&in_shape)?)])
    });
    Ok(y)
}
