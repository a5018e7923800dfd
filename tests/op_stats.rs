//! Spatial mean, covariance and RFF: forward vs f64 references, gradients vs central
//! differences; shapes that are not multiples of any tile (4x4 blocks, 32x32 tiles, 1024-position
//! chunks), and bad input.
mod common;
use common::*;
use sralign::ops::{covariance, rff, spatial_mean};
use sralign::Tensor;

const SHAPES: [[usize; 4]; 2] = [[2, 3, 7, 5], [2, 5, 9, 6]];
/// More than one 32-channel tile (mirrored lower tiles) and more than one 1024-position chunk.
const TILED: [usize; 4] = [1, 35, 33, 32];
/// HW (and C) multiples of 4: the vec4 and subgroup kernels, small and tiled.
const VEC4: [[usize; 4]; 2] = [[2, 8, 6, 6], [1, 36, 33, 32]];

fn dims(s: &[usize; 4]) -> (usize, usize, usize) {
    (s[0], s[1], s[2] * s[3])
}

#[test]
fn spatial_mean_matches_reference_and_gradients() {
    for s in SHAPES.iter().chain([&TILED]).chain(&VEC4) {
        let (n, c, hw) = dims(s);
        check_op(
            "spatial_mean",
            &[input(s)],
            F32_KERNEL,
            |t| spatial_mean::spatial_mean(&t[0]),
            |x| spatial_mean::reference::spatial_mean(&x[0], n, c, hw),
        );
    }
}

#[test]
fn covariance_matches_reference_and_gradients() {
    for s in SHAPES.iter().chain([&TILED]).chain(&VEC4) {
        let (n, c, hw) = dims(s);
        check_op(
            "covariance",
            &[input(s)],
            F32_LOOSE,
            |t| covariance::covariance(&t[0]),
            |x| covariance::reference::covariance(&x[0], n, c, hw),
        );
    }
}

#[test]
fn covariance_is_centred_and_deterministic() {
    // A large common offset must not leak into the covariance (centred on load).
    let gpu = gpu();
    let s = [2, 5, 9, 6];
    let (n, c, hw) = dims(&s);
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(7);
    let v: Vec<f32> = random(&mut rng, n * c * hw, &Init::Uniform(99.0, 101.0));
    let x = Tensor::from_slice(&gpu, &s, &v).unwrap();
    let a = covariance::covariance(&x).unwrap().to_vec().unwrap();
    let b = covariance::covariance(&x).unwrap().to_vec().unwrap();
    assert_eq!(a, b, "covariance is not bit-identical run to run");
    let x64: Vec<f64> = v.iter().map(|x| *x as f64).collect();
    let want = covariance::reference::covariance(&x64, n, c, hw);
    for (g, w) in a.iter().zip(&want) {
        assert!((*g as f64 - w).abs() < 1e-4, "got {g} want {w}");
    }
}

fn rff_case(name: &str, s: [usize; 4], d: usize) {
    let (n, c, hw) = dims(&s);
    check_op(
        name,
        &[
            input(&s),
            input(&[d, c]),
            input_init(&[d], Init::Uniform(0.0, std::f32::consts::TAU)),
        ],
        F32_LOOSE,
        |t| rff::rff(&t[0], &t[1], &t[2]),
        |x| rff::reference::rff(&x[0], &x[1], &x[2], n, c, hw),
    );
}

#[test]
fn rff_matches_reference_and_gradients() {
    rff_case("rff_small", SHAPES[0], 7);
    rff_case("rff_odd", SHAPES[1], 10);
    rff_case("rff_tiled", [2, 5, 33, 32], 37);
    rff_case("rff_vec4", [2, 8, 5, 4], 10);
    rff_case("rff_vec4_tiled", [2, 12, 33, 32], 40);
}

#[test]
fn rff_forward_kernels_agree() {
    // Every kernel variant on shapes it supports, against the f64 reference (the differentiable
    // op picks the fastest; the others must stay correct for adapters that need them).
    let gpu = gpu();
    for (s, d) in [([2, 8, 5, 4], 10), ([2, 12, 33, 32], 37), ([1, 4, 2, 2], 3)] {
        let (n, c, hw) = dims(&s);
        let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(d as u64);
        let xv = random(&mut rng, n * c * hw, &Init::Uniform(-1.0, 1.0));
        let wv = random(&mut rng, d * c, &Init::Uniform(-1.0, 1.0));
        let bv = random(&mut rng, d, &Init::Uniform(0.0, std::f32::consts::TAU));
        let to64 = |v: &[f32]| v.iter().map(|x| *x as f64).collect::<Vec<_>>();
        let want = rff::reference::rff(&to64(&xv), &to64(&wv), &to64(&bv), n, c, hw);
        let x = Tensor::from_slice(&gpu, &s, &xv).unwrap();
        let w = Tensor::from_slice(&gpu, &[d, c], &wv).unwrap();
        let b = Tensor::from_slice(&gpu, &[d], &bv).unwrap();
        for k in [rff::RffKernel::Scalar, rff::RffKernel::Subgroup] {
            let (out, _) = match rff::rff_forward_with(&x, &w, &b, k) {
                Ok(r) => r,
                Err(e) => {
                    // Refused only for what the subgroup kernel needs: H*W % 4 == 0 and
                    // subgroups of >= 8 lanes (then named as skipped).
                    assert_eq!(k, rff::RffKernel::Subgroup, "{k:?} refused {s:?}: {e}");
                    if hw % 4 == 0 {
                        let what = format!("rff_forward {s:?} D {d} (Subgroup)");
                        assert!(!texture_kernels_or_skip(&gpu, &what), "refused {s:?}: {e}");
                    }
                    continue;
                }
            };
            for (g, r) in out.to_vec().unwrap().iter().zip(&want) {
                assert!(
                    (*g as f64 - r).abs() < 1e-5,
                    "{k:?} {s:?}: got {g} want {r}"
                );
            }
        }
    }
}

#[test]
fn rff_skips_unneeded_gradients() {
    // Only x needs a gradient (W, b random projections, as in the regulariser).
    let s = [2, 3, 7, 5];
    let (n, c, hw) = dims(&s);
    check_op(
        "rff_x_only",
        &[
            input(&s),
            constant(&[6, c], Init::Uniform(-1.0, 1.0)),
            constant(&[6], Init::Uniform(0.0, 6.0)),
        ],
        F32_LOOSE,
        |t| rff::rff(&t[0], &t[1], &t[2]),
        |x| rff::reference::rff(&x[0], &x[1], &x[2], n, c, hw),
    );
}

#[test]
fn stats_reject_bad_input() {
    let gpu = gpu();
    let x2 = Tensor::zeros(&gpu, &[4, 6]).unwrap();
    let e = spatial_mean::spatial_mean(&x2).unwrap_err().to_string();
    assert!(
        e.contains("spatial_mean_forward") && e.contains("[4, 6]"),
        "{e}"
    );
    let e = covariance::covariance(&x2).unwrap_err().to_string();
    assert!(
        e.contains("covariance_forward") && e.contains("[4, 6]"),
        "{e}"
    );
    let x = Tensor::zeros(&gpu, &[2, 3, 4, 4]).unwrap();
    let w = Tensor::zeros(&gpu, &[8, 4]).unwrap();
    let b = Tensor::zeros(&gpu, &[8]).unwrap();
    let e = rff::rff(&x, &w, &b).unwrap_err().to_string();
    assert!(
        e.contains("rff_forward") && e.contains("[2, 3, 4, 4]") && e.contains("[8, 4]"),
        "{e}"
    );
    let w = Tensor::zeros(&gpu, &[8, 3]).unwrap();
    let b = Tensor::zeros(&gpu, &[7]).unwrap();
    let e = rff::rff(&x, &w, &b).unwrap_err().to_string();
    assert!(e.contains("rff_forward") && e.contains("[7]"), "{e}");
}

#[test]
fn stats_split_tensors_larger_than_a_binding() {
    // Rows of 437 positions split into runs of whole 64-position lane strides at 1024 bytes.
    for limit in [4096, 1024] {
        same_bits_split("spatial_mean split", &[&[2, 3, 19, 23]], limit, true, |t| {
            spatial_mean::spatial_mean(&t[0])
        });
    }
    // Pieces of whole samples (scalar and vec4 kernels).
    for s in [[3, 5, 7, 9], [3, 8, 6, 6]] {
        same_bits_split("covariance split", &[&s], 2048, true, |t| {
            covariance::covariance(&t[0])
        });
        same_bits_split("rff split", &[&s, &[6, s[1]], &[6]], 2048, true, |t| {
            rff::rff(&t[0], &t[1], &t[2])
        });
    }
    // One sample larger than a binding: the covariance's 32-channel tiles in separate pieces
    // (forward only: the backward applies the matrix to a whole sample).
    same_bits_split("covariance tiles", &[&TILED], 140_000, false, |t| {
        covariance::covariance(&t[0])
    });
}

/// The subgroup kernels (covariance backward, RFF forward) at 4-lane subgroups (not chosen) and
/// at 8 and 16, the scalar kernels on GL, everything under WebGPU's default limits.
#[test]
fn child_runs_other_lane_widths_backends_and_limits() {
    run_children(&[
        Child::Lanes4,
        Child::Lanes8,
        Child::Lanes16,
        Child::Gl,
        Child::DefaultLimits,
    ]);
}
