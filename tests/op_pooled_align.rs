//! The pooled alignment loss of the published code: forward vs the f64 reference and a
//! hand-computed value, gradient vs central differences, zero on identical halves, bad input.
mod common;
use common::*;
use sralign::ops::pooled_align;
use sralign::Tensor;

const W: f32 = 0.8;

#[test]
fn pooled_align_matches_reference_and_gradients() {
    // (pairs, channels): one pair (centring zeroes it), a few, and more pairs than the 64 lanes.
    for (pairs, c) in [(2, 5), (3, 7), (4, 16), (65, 3)] {
        check_op(
            "pooled_align",
            &[
                input(&[2 * pairs, c]),
                constant(&[c], Init::Uniform(0.0, std::f32::consts::TAU)),
            ],
            F32_LOOSE,
            |t| pooled_align::pooled_align(&t[0], W, &t[1]),
            |x| {
                vec![pooled_align::reference::pooled_align(
                    &x[0], c, W as f64, &x[1],
                )]
            },
        );
    }
}

#[test]
fn pooled_align_matches_hand_computed_values() {
    let gpu = gpu();
    // Rows a1, a2 | v1, v2, each half already centred: a2 = -a1, v2 = -v1.
    let u = [-1., 0., 1., 1., 0., -1., -1., -1., 2., 1., 1., -2.];
    let t = Tensor::from_slice(&gpu, &[4, 3], &u).unwrap();
    let zeros = Tensor::zeros(&gpu, &[3]).unwrap();
    // w = 0: every map is the same constant, so only the linear part counts. Per pair:
    // mean (a - v)^2 = 2/3; D = a a^T - v v^T = [[0,-1,1],[-1,-1,2],[1,2,-3]], mean D^2 = 22/9.
    let lin = 2.0 * (2.0 / 3.0 + 22.0 / 9.0);
    let got = pooled_align::pooled_align(&t, 0.0, &zeros)
        .unwrap()
        .to_vec()
        .unwrap()[0] as f64;
    assert!((got - lin).abs() < 1e-5, "w = 0: {got} vs {lin}");
    // w = 1, b = 0: s(a1) = pi/2 [0, 1/2, 1] -> Z = [r2, 2, r2]; s(v1) = pi/2 [0, 0, 1] -> Z = r2
    // everywhere (r2 = sqrt 2); pair 2 maps to the same. Z-part per pair:
    // (2 - r2)^2 / 3 + (4 (2 r2 - 2)^2 + 2^2) / 9.
    let r2 = 2f64.sqrt();
    let z = (2.0 - r2).powi(2) / 3.0 + (4.0 * (2.0 * r2 - 2.0).powi(2) + 4.0) / 9.0;
    let want = lin + 2.0 * z;
    let got = pooled_align::pooled_align(&t, 1.0, &zeros)
        .unwrap()
        .to_vec()
        .unwrap()[0] as f64;
    assert!((got - want).abs() < 1e-5, "w = 1: {got} vs {want}");
    let reference = pooled_align::reference::pooled_align(
        &u.iter().map(|v| *v as f64).collect::<Vec<_>>(),
        3,
        1.0,
        &[0.0; 3],
    );
    assert!(
        (reference - want).abs() < 1e-12,
        "reference {reference} vs {want}"
    );
}

#[test]
fn pooled_align_is_zero_on_identical_halves() {
    let gpu = gpu();
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(3);
    let half = random(&mut rng, 4 * 6, &Init::Uniform(-2.0, 2.0));
    let u: Vec<f32> = half.iter().chain(&half).cloned().collect();
    let t = Tensor::from_slice(&gpu, &[8, 6], &u).unwrap();
    let b = Tensor::from_slice(
        &gpu,
        &[6],
        &random(&mut rng, 6, &Init::Uniform(0.0, std::f32::consts::TAU)),
    )
    .unwrap();
    let got = pooled_align::pooled_align(&t, 1.3, &b)
        .unwrap()
        .to_vec()
        .unwrap()[0];
    assert_eq!(got, 0.0);
}

#[test]
fn pooled_align_rejects_bad_shapes() {
    let gpu = gpu();
    let b = Tensor::zeros(&gpu, &[4]).unwrap();
    for shape in [vec![3, 4], vec![4, 5], vec![2, 2, 4]] {
        let u = Tensor::zeros(&gpu, &shape).unwrap();
        let e = pooled_align::pooled_align(&u, 1.0, &b)
            .unwrap_err()
            .to_string();
        assert!(e.contains("pooled_align"), "{e}");
    }
}

/// This file's tests again on wgpu's GL backend and under WebGPU's default limits.
#[test]
fn child_runs_on_gl_and_default_limits() {
    run_children(&[Child::Gl, Child::DefaultLimits]);
}
