mod common;
use common::*;
use sralign::ops::binary;

#[test]
fn add_matches_reference_and_gradients() {
    let s = [2, 3, 7, 5];
    check_op(
        "add",
        &[input(&s), input(&s)],
        STRICT,
        |t| binary::add(&t[0], &t[1]),
        |x| binary::reference::add(&x[0], &x[1]),
    );
}

#[test]
fn mul_matches_reference_and_gradients() {
    let s = [2, 3, 7, 5];
    check_op(
        "mul",
        &[input(&s), input(&s)],
        STRICT,
        |t| binary::mul(&t[0], &t[1]),
        |x| binary::reference::mul(&x[0], &x[1]),
    );
}

#[test]
fn add_rejects_mismatched_shapes() {
    let gpu = gpu();
    let a = sralign::Tensor::zeros(&gpu, &[2, 3]).unwrap();
    let b = sralign::Tensor::zeros(&gpu, &[3, 2]).unwrap();
    let e = binary::add(&a, &b).unwrap_err().to_string();
    assert!(
        e.contains("add_forward") && e.contains("[2, 3]") && e.contains("[3, 2]"),
        "{e}"
    );
}

/// This file's tests again on wgpu's GL backend and under WebGPU's default limits.
#[test]
fn child_runs_on_gl_and_default_limits() {
    run_children(&[Child::Gl, Child::DefaultLimits]);
}
