//! Gradient checks of the mean losses L1, MSE and Charbonnier (for pred and target).
mod common;
use common::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sralign::ops::loss;
use sralign::Tensor;

const S: [usize; 4] = [2, 3, 7, 5];

/// pred and target with |pred - target| >= 0.05 (L1's kink at 0 stays out of the f32
/// finite-difference step of 0.01).
fn pair(name: &str) -> [Input; 2] {
    let n: usize = S.iter().product();
    let mut rng = ChaCha8Rng::seed_from_u64(seed_of(name));
    let t: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect();
    let p: Vec<f32> = t
        .iter()
        .map(|v| {
            let d = rng.random_range(0.05f32..0.5);
            if rng.random::<bool>() {
                v + d
            } else {
                v - d
            }
        })
        .collect();
    [
        input_init(&S, Init::Given(p)),
        input_init(&S, Init::Given(t)),
    ]
}

#[test]
fn l1_matches_reference_and_gradients() {
    check_op(
        "l1",
        &pair("l1"),
        F32_KERNEL,
        |t| loss::l1(&t[0], &t[1]),
        |x| loss::reference::l1(&x[0], &x[1]),
    );
}

#[test]
fn mse_matches_reference_and_gradients() {
    check_op(
        "mse",
        &pair("mse"),
        F32_KERNEL,
        |t| loss::mse(&t[0], &t[1]),
        |x| loss::reference::mse(&x[0], &x[1]),
    );
}

#[test]
fn charbonnier_matches_reference_and_gradients() {
    // Uncontrolled differences: Charbonnier is smooth (eps 1e-3 as BasicSR's default).
    check_op(
        "charbonnier",
        &[input(&S), input(&S)],
        F32_LOOSE,
        |t| loss::charbonnier(&t[0], &t[1], 1e-3),
        |x| loss::reference::charbonnier(&x[0], &x[1], 1e-3f32 as f64),
    );
    check_op(
        "charbonnier eps 0.1",
        &[input(&S), input(&S)],
        F32_KERNEL,
        |t| loss::charbonnier(&t[0], &t[1], 0.1),
        |x| loss::reference::charbonnier(&x[0], &x[1], 0.1f32 as f64),
    );
}

#[test]
fn l1_over_many_chunks_is_deterministic() {
    let gpu = gpu();
    let n = 100_003;
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let p: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect();
    let t: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect();
    let pt = Tensor::from_slice(&gpu, &[n], &p).unwrap();
    let tt = Tensor::from_slice(&gpu, &[n], &t).unwrap();
    let a = loss::l1(&pt, &tt).unwrap().to_vec().unwrap()[0];
    let b = loss::l1(&pt, &tt).unwrap().to_vec().unwrap()[0];
    assert_eq!(a.to_bits(), b.to_bits());
    let p64: Vec<f64> = p.iter().map(|v| *v as f64).collect();
    let t64: Vec<f64> = t.iter().map(|v| *v as f64).collect();
    let want = loss::reference::l1(&p64, &t64)[0];
    assert!((a as f64 - want).abs() < 1e-6, "{a} vs {want}");
}

#[test]
fn mismatched_shapes_are_typed_errors_naming_the_op() {
    let gpu = gpu();
    let a = Tensor::zeros(&gpu, &[2, 3]).unwrap();
    let b = Tensor::zeros(&gpu, &[3, 2]).unwrap();
    for (name, r) in [
        ("l1_forward", loss::l1(&a, &b)),
        ("mse_forward", loss::mse(&a, &b)),
        ("charbonnier_forward", loss::charbonnier(&a, &b, 1e-3)),
    ] {
        let e = r.unwrap_err();
        assert!(matches!(e, sralign::Error::Shape { .. }), "{e}");
        let e = e.to_string();
        assert!(
            e.contains(name) && e.contains("[2, 3]") && e.contains("[3, 2]"),
            "{e}"
        );
    }
}

/// This file's tests again on wgpu's GL backend and under WebGPU's default limits.
#[test]
fn child_runs_on_gl_and_default_limits() {
    run_children(&[Child::Gl, Child::DefaultLimits]);
}
