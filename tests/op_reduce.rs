//! Gradient checks of sum and mean (over lengths that need several reduction passes), and the
//! logging helpers sum_squares / grad_norm.
mod common;
use common::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sralign::ops::reduce;
use sralign::Tensor;

#[test]
fn sum_and_mean_small() {
    let s = [2, 3, 7, 5];
    check_op(
        "sum",
        &[input(&s)],
        F32_KERNEL,
        |t| reduce::sum(&t[0]),
        |x| reduce::reference::sum(&x[0]),
    );
    check_op(
        "mean",
        &[input(&s)],
        F32_KERNEL,
        |t| reduce::mean(&t[0]),
        |x| reduce::reference::mean(&x[0]),
    );
}

#[test]
fn sum_of_100003_elements() {
    check_op(
        "sum 100003",
        &[input(&[100_003])],
        F32_LOOSE,
        |t| reduce::sum(&t[0]),
        |x| reduce::reference::sum(&x[0]),
    );
    check_op(
        "mean 100003",
        &[input(&[100_003])],
        F32_LOOSE,
        |t| reduce::mean(&t[0]),
        |x| reduce::reference::mean(&x[0]),
    );
}

/// Four passes (32 elements per lane: 5e6 -> 156251 -> 4883 -> 153, then one lane sums the
/// last 153), bit-identical run to run, close to the f64 sum.
#[test]
fn sum_of_millions_is_deterministic() {
    let gpu = gpu();
    let n = 5_000_011;
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let x: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect();
    let t = Tensor::from_slice(&gpu, &[n], &x).unwrap();
    let a = reduce::sum(&t).unwrap().to_vec().unwrap()[0];
    let b = reduce::sum(&t).unwrap().to_vec().unwrap()[0];
    assert_eq!(a.to_bits(), b.to_bits());
    let want: f64 = x.iter().map(|v| *v as f64).sum();
    assert!((a as f64 - want).abs() < 1e-6 * (n as f64), "{a} vs {want}");
}

#[test]
fn sum_squares_and_grad_norm() {
    let gpu = gpu();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let shapes: [&[usize]; 3] = [&[64, 3, 3, 3], &[64], &[10007]];
    let mut total = 0.0f64;
    let mut ts = Vec::new();
    for s in shapes {
        let n: usize = s.iter().product();
        let v: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect();
        let ss: f64 = v.iter().map(|x| (*x as f64).powi(2)).sum();
        let t = Tensor::from_slice(&gpu, s, &v).unwrap();
        let got = reduce::sum_squares(&t).unwrap().to_vec().unwrap()[0] as f64;
        assert!((got - ss).abs() <= 1e-5 * ss, "{got} vs {ss}");
        total += ss;
        ts.push(t);
    }
    let norm = reduce::grad_norm(&ts).unwrap();
    assert_eq!(norm.shape(), &[1]);
    let got = norm.to_vec().unwrap()[0] as f64;
    assert!(
        (got - total.sqrt()).abs() <= 1e-5 * total.sqrt(),
        "{got} vs {}",
        total.sqrt()
    );
    let e = reduce::grad_norm(&[]).unwrap_err().to_string();
    assert!(e.contains("grad_norm"), "{e}");
}

/// This file's tests again on wgpu's GL backend and under WebGPU's default limits.
#[test]
fn child_runs_on_gl_and_default_limits() {
    run_children(&[Child::Gl, Child::DefaultLimits]);
}
