//! Pixel losses, each the mean over all elements -> [1]: `l1(pred, target)`,
//! `mse(pred, target)`, `charbonnier(pred, target, eps)` = mean of sqrt((p - t)^2 + eps^2).
//! Forward: the deterministic two-pass reduction of ops::reduce with the loss term fused into
//! its first pass (shaders/reduce.wgsl, MODE 3/4/5). Backward: shaders/loss_backward.wgsl,
//! for pred and for target (the same kernel with the sign flipped); the loss gradient dy stays
//! on the GPU.

use crate::autograd;
use crate::error::Result;
use crate::gpu::params::{entry, LossBackwardParams};
use crate::gpu::shaders;
use crate::ops::launch::{launch_map, Map, MapParams};
use crate::ops::reduce::{reduce_channels, Reduce, Term};
use crate::ops::same_shape;
use crate::tensor::Tensor;

/// Which loss (the `MODE` of reduce.wgsl and loss_backward.wgsl).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Loss {
    L1,
    Mse,
    Charbonnier { eps: f32 },
}

impl Loss {
    fn name(self) -> &'static str {
        match self {
            Loss::L1 => "l1",
            Loss::Mse => "mse",
            Loss::Charbonnier { .. } => "charbonnier",
        }
    }
    fn term(self) -> Term {
        match self {
            Loss::L1 => Term::AbsDiff,
            Loss::Mse => Term::SquaredDiff,
            Loss::Charbonnier { .. } => Term::Charbonnier,
        }
    }
    fn eps(self) -> f32 {
        match self {
            Loss::Charbonnier { eps } => eps,
            _ => 0.0,
        }
    }
}

fn op_name(loss: Loss, suffix: &str) -> String {
    format!("{}_{suffix}", loss.name())
}

/// The mean loss -> [1].
pub fn loss_forward(loss: Loss, pred: &Tensor, target: &Tensor) -> Result<Tensor> {
    let op = op_name(loss, "forward");
    same_shape(&op, pred, target)?;
    let n = pred.numel();
    reduce_channels(Reduce {
        op: &op,
        term: loss.term(),
        a: pred,
        b: Some(target),
        dims: [1, 1, n],
        scale: (1.0 / n as f64) as f32,
        eps: loss.eps(),
        root: false,
    })
}

fn loss_backward(
    loss: Loss,
    op: &str,
    pred: &Tensor,
    target: &Tensor,
    dy: &Tensor,
    sign: f64,
) -> Result<Tensor> {
    same_shape(op, pred, target)?;
    let out = Tensor::empty(pred.gpu(), op, pred.shape())?;
    let n = pred.numel();
    launch_map(Map {
        op,
        shapes: &[pred.shape(), target.shape(), dy.shape()],
        shader: &shaders::LOSS_BACKWARD,
        entry: entry::LOSS_BACKWARD,
        overrides: &[("MODE", loss.term() as u32 as f64)],
        params: MapParams::of(&LossBackwardParams {
            s: (sign / n as f64) as f32,
            eps: loss.eps(),
            ..Default::default()
        }),
        chunked: &[&out, pred, target],
        whole: &[dy],
        n,
    })?;
    Ok(out)
}

/// dpred = dy * f'(pred - target) / n
pub fn loss_backward_pred(
    loss: Loss,
    pred: &Tensor,
    target: &Tensor,
    dy: &Tensor,
) -> Result<Tensor> {
    loss_backward(loss, &op_name(loss, "backward_pred"), pred, target, dy, 1.0)
}

/// dtarget = -dy * f'(pred - target) / n
pub fn loss_backward_target(
    loss: Loss,
    pred: &Tensor,
    target: &Tensor,
    dy: &Tensor,
) -> Result<Tensor> {
    loss_backward(
        loss,
        &op_name(loss, "backward_target"),
        pred,
        target,
        dy,
        -1.0,
    )
}

/// Differentiable mean loss -> [1].
pub fn loss(loss: Loss, pred: &Tensor, target: &Tensor) -> Result<Tensor> {
    let y = loss_forward(loss, pred, target)?;
    let (sp, st) = (pred.detach(), target.detach());
    autograd::record(loss.name(), &[pred, target], &y, move |dy, needs| {
        let dp = if needs[0] {
            Some(loss_backward_pred(loss, &sp, &st, dy)?)
        } else {
            None
        };
        let dt = if needs[1] {
            Some(loss_backward_target(loss, &sp, &st, dy)?)
        } else {
            None
        };
        Ok(vec![dp, dt])
    });
    Ok(y)
}

/// mean |pred - target| -> [1]
pub fn l1(pred: &Tensor, target: &Tensor) -> Result<Tensor> {
    loss(Loss::L1, pred, target)
}

/// mean (pred - target)^2 -> [1]
pub fn mse(pred: &Tensor, target: &Tensor) -> Result<Tensor> {
    loss(Loss::Mse, pred, target)
}

/// mean sqrt((pred - target)^2 + eps^2) -> [1]
pub fn charbonnier(pred: &Tensor, target: &Tensor, eps: f32) -> Result<Tensor> {
    loss(Loss::Charbonnier { eps }, pred, target)
}

/// f64 CPU references.
pub mod reference {
    fn mean_of(p: &[f64], t: &[f64], f: impl Fn(f64) -> f64) -> Vec<f64> {
        vec![p.iter().zip(t).map(|(a, b)| f(a - b)).sum::<f64>() / p.len() as f64]
    }
    pub fn l1(p: &[f64], t: &[f64]) -> Vec<f64> {
        mean_of(p, t, f64::abs)
    }
    pub fn mse(p: &[f64], t: &[f64]) -> Vec<f64> {
        mean_of(p, t, |d| d * d)
    }
    pub fn charbonnier(p: &[f64], t: &[f64], eps: f64) -> Vec<f64> {
        mean_of(p, t, |d| (d * d + eps * eps).sqrt())
    }
}
