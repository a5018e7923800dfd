//! The gradient checks of `check_op` can fail: an op whose forward is right but whose backward
//! is deliberately wrong (zero, or sign-flipped) must fail the reference check and the f32
//! finite-difference check of every input, while its right form passes them all; gradients
//! that are small in absolute terms (1e-5) are held to tolerances of their own size.
mod common;
use common::*;
use sralign::ops::{binary, conv2d, matmul, scale};
use sralign::{Result, Tensor};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Backward {
    Right,
    /// forward f(x), gradient 0: f.detach() + 0 * f
    Zero,
    /// forward f(x), gradient -f'(x): 2 f.detach() - f (exact in f32: 2f and 2f - f are)
    Flipped,
}

fn wrap(y: Tensor, how: Backward) -> Result<Tensor> {
    match how {
        Backward::Right => Ok(y),
        Backward::Zero => binary::add(&y.detach(), &scale::scale(&y, 0.0)?),
        Backward::Flipped => {
            binary::add(&scale::scale(&y.detach(), 2.0)?, &scale::scale(&y, -1.0)?)
        }
    }
}

/// Runs the checks of one op with each backward and asserts which of them fail.
fn prove(
    name: &str,
    inputs: &[Input],
    tol: Tol,
    gpu_fn: impl Fn(&[Tensor]) -> Result<Tensor>,
    cpu_fn: impl Fn(&[Vec<f64>]) -> Vec<f64>,
) {
    for how in [Backward::Right, Backward::Zero, Backward::Flipped] {
        let failures = check_op_report(
            &format!("{name} ({how:?} backward)"),
            inputs,
            tol,
            |t| wrap(gpu_fn(t)?, how),
            &cpu_fn,
        );
        let failed = |c: Check| failures.iter().any(|(f, _)| *f == c);
        assert!(
            !failed(Check::Forward),
            "{name} {how:?}: the forward is right: {failures:?}"
        );
        for k in (0..inputs.len()).filter(|k| inputs[*k].grad) {
            for c in [Check::GradVsReference(k), Check::GradVsGpuFd(k)] {
                if how == Backward::Right {
                    assert!(
                        !failed(c),
                        "{name}: the right backward fails {c:?}: {failures:?}"
                    );
                } else {
                    assert!(failed(c), "{name}: a {how:?} backward passes {c:?}");
                }
            }
        }
    }
}

#[test]
fn wrong_backward_of_an_elementwise_op_fails_every_check() {
    prove(
        "scale 0.7",
        &[input(&[2, 3, 7, 5])],
        STRICT,
        |t| scale::scale(&t[0], 0.7),
        |x| scale::reference::scale(&x[0], 0.7),
    );
}

#[test]
fn wrong_backward_of_a_small_gradient_fails_every_check() {
    // Gradients of size 1e-5: an absolute tolerance of 1e-5 would pass a zero gradient.
    prove(
        "scale 1e-5",
        &[input(&[3, 7, 5])],
        STRICT,
        |t| scale::scale(&t[0], 1e-5),
        |x| scale::reference::scale(&x[0], 1e-5),
    );
}

#[test]
fn wrong_backward_of_matmul_fails_every_check() {
    prove(
        "matmul 7x13x5",
        &[input(&[7, 13]), input(&[13, 5])],
        F32_KERNEL,
        |t| matmul::matmul(&t[0], &t[1]),
        |x| matmul::reference::matmul(&x[0], &x[1], 1, 7, 13, 5),
    );
}

#[test]
fn wrong_backward_of_conv2d_fails_every_check() {
    let (x, ws) = ([2, 3, 7, 5], [4, 3, 3, 3]);
    prove(
        "conv2d 2x3x7x5 -> 4 k3",
        &[input(&x), input(&ws), input(&[4])],
        F32_KERNEL,
        |t| conv2d::conv2d(&t[0], &t[1], Some(&t[2])),
        |v| conv2d::reference::forward(&v[0], x, &v[1], ws, Some(&v[2])),
    );
}
