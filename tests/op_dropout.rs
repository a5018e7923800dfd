//! Channel dropout (Dropout2d): mask statistics, scaling, identity at eval, the backward's mask,
//! reproducibility, and bad input.
mod common;
use common::*;
use sralign::ops::dropout::{self, channel_dropout};
use sralign::{autograd, Tensor};

#[test]
fn dropout_matches_reference_and_gradients() {
    for (s, p, seed) in [
        ([2, 3, 7, 5], 0.5, 1u64),
        ([2, 5, 9, 6], 0.7, 0xdead_beef_0042),
    ] {
        let (c, hw) = (s[1], s[2] * s[3]);
        check_op(
            "channel_dropout",
            &[input(&s)],
            STRICT,
            |t| channel_dropout(&t[0], p, seed, true),
            |x| dropout::reference::channel_dropout(&x[0], (s[0], c, hw), p, seed),
        );
    }
}

#[test]
fn dropout_mask_statistics_and_scale() {
    let gpu = gpu();
    let (n, c, hw) = (8, 600, 3);
    for p in [0.3f32, 0.7] {
        let x = Tensor::full(&gpu, &[n, c, 1, hw], 1.0).unwrap();
        let y = channel_dropout(&x, p, 12345, true)
            .unwrap()
            .to_vec()
            .unwrap();
        let scale = 1.0 / (1.0 - p);
        let mut dropped = 0;
        for ch in y.chunks(hw) {
            // Whole channels: all zero or all scaled.
            if ch[0] == 0.0 {
                dropped += 1;
                assert!(ch.iter().all(|v| *v == 0.0));
            } else {
                assert!(
                    ch.iter().all(|v| (*v - scale).abs() <= 1e-6 * scale),
                    "{ch:?}"
                );
            }
        }
        let frac = dropped as f64 / (n * c) as f64;
        // 4800 Bernoulli draws: standard deviation below 0.0075.
        assert!(
            (frac - p as f64).abs() < 0.03,
            "p {p}: dropped fraction {frac}"
        );
    }
}

#[test]
fn dropout_is_identity_at_eval_and_p0() {
    let gpu = gpu();
    let x = Tensor::from_slice(&gpu, &[1, 2, 2, 2], &[1., 2., 3., 4., 5., 6., 7., 8.]).unwrap();
    let a = channel_dropout(&x, 0.7, 3, false).unwrap();
    let b = channel_dropout(&x, 0.0, 3, true).unwrap();
    assert!(a.same_storage(&x) && b.same_storage(&x));
    assert_eq!(a.to_vec().unwrap(), x.to_vec().unwrap());
}

#[test]
fn dropout_is_reproducible_and_backward_uses_the_mask() {
    let gpu = gpu();
    let s = [3, 40, 2, 3];
    let n: usize = s.iter().product();
    let v: Vec<f32> = (0..n).map(|i| 1.0 + (i % 7) as f32).collect();
    let run = |seed: u64| {
        let x = Tensor::from_slice(&gpu, &s, &v).unwrap();
        x.set_requires_grad(true);
        let y = channel_dropout(&x, 0.5, seed, true).unwrap();
        let ones = Tensor::full(&gpu, &s, 1.0).unwrap();
        let g = autograd::backward_with(&y, &ones).unwrap();
        (y.to_vec().unwrap(), g.get(&x).unwrap().to_vec().unwrap())
    };
    let (y1, g1) = run(99);
    let (y2, g2) = run(99);
    let (y3, _) = run(100);
    assert_eq!(y1, y2, "same seed, different outputs");
    assert_eq!(g1, g2);
    assert_ne!(y1, y3, "different seeds gave the same mask");
    for (y, g) in y1.iter().zip(&g1) {
        assert_eq!(
            *y == 0.0,
            *g == 0.0,
            "backward mask differs from the forward's"
        );
        if *g != 0.0 {
            assert_eq!(*g, 2.0);
        }
    }
}

#[test]
fn dropout_rejects_bad_input() {
    let gpu = gpu();
    let x = Tensor::zeros(&gpu, &[2, 3, 4, 4]).unwrap();
    for p in [1.0f32, -0.1, f32::NAN] {
        let e = channel_dropout(&x, p, 0, true).unwrap_err().to_string();
        assert!(
            e.contains("channel_dropout") && e.contains("[2, 3, 4, 4]"),
            "{e}"
        );
    }
    let x2 = Tensor::zeros(&gpu, &[2, 3]).unwrap();
    let e = channel_dropout(&x2, 0.5, 0, true).unwrap_err().to_string();
    assert!(e.contains("channel_dropout") && e.contains("[2, 3]"), "{e}");
}

#[test]
fn dropout_splits_tensors_larger_than_a_binding() {
    same_bits_split("dropout split", &[&[3, 5, 7, 9]], 1024, true, |t| {
        channel_dropout(&t[0], 0.4, 77, true)
    });
    // One channel (31 x 29) larger than the binding: rows of H*W folded.
    same_bits_split("dropout fold", &[&[2, 3, 31, 29]], 1024, true, |t| {
        channel_dropout(&t[0], 0.4, 78, true)
    });
}

/// This file's tests again on wgpu's GL backend and under WebGPU's default limits.
#[test]
fn child_runs_on_gl_and_default_limits() {
    run_children(&[Child::Gl, Child::DefaultLimits]);
}
