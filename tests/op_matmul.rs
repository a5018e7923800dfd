mod common;
use common::*;
use sralign::ops::matmul::{self, reference, MatmulKernel};
use sralign::Tensor;

const KERNELS: [MatmulKernel; 2] = [MatmulKernel::Texture, MatmulKernel::Buffer];

/// Runs `f` (which passes `k` to the products); the texture kernel is skipped (named in the
/// output) where the adapter cannot run it.
fn with_kernel(k: MatmulKernel, what: &str, f: impl FnOnce()) {
    if k == MatmulKernel::Texture && !texture_kernels_or_skip(&gpu(), &format!("{what} (Texture)"))
    {
        return;
    }
    f();
}

#[test]
fn matmul_2d_matches_reference_and_gradients() {
    for k in KERNELS {
        with_kernel(k, "matmul_2d_matches_reference_and_gradients", || {
            check_op(
                &format!("matmul 7x13x5 {k:?}"),
                &[input(&[7, 13]), input(&[13, 5])],
                F32_KERNEL,
                |t| matmul::matmul_with(&t[0], &t[1], k),
                |x| reference::matmul(&x[0], &x[1], 1, 7, 13, 5),
            )
        });
    }
}

#[test]
fn matmul_batched_matches_reference_and_gradients() {
    for k in KERNELS {
        with_kernel(k, "matmul_batched_matches_reference_and_gradients", || {
            check_op(
                &format!("matmul 3x5x9x6 {k:?}"),
                &[input(&[3, 5, 9]), input(&[3, 9, 6])],
                F32_KERNEL,
                |t| matmul::matmul_with(&t[0], &t[1], k),
                |x| reference::matmul(&x[0], &x[1], 3, 5, 9, 6),
            )
        });
    }
}

#[test]
fn matmul_larger_than_one_tile() {
    // 70 x 37 x 45: several tiles of both kernels, ragged edges everywhere.
    for k in KERNELS {
        with_kernel(k, "matmul_larger_than_one_tile", || {
            check_op(
                &format!("matmul 70x37x45 {k:?}"),
                &[input(&[70, 37]), input(&[37, 45])],
                F32_KERNEL,
                |t| matmul::matmul_with(&t[0], &t[1], k),
                |x| reference::matmul(&x[0], &x[1], 1, 70, 37, 45),
            )
        });
    }
}

#[test]
fn matmul_aligned_shapes_use_vector_packs() {
    // Multiples of 4 everywhere: the texture kernel reads operands whose k values are
    // contiguous from linear textures (copies of the whole tensor: A of both products here,
    // linear's W as B^T, dy in the input gradient) and packs the others with vec4 loads
    // (pack4_cols), in the forward and in every backward product.
    for k in KERNELS {
        with_kernel(k, "matmul_aligned_shapes_use_vector_packs", || {
            check_op(
                &format!("matmul 2x12x20x8 {k:?}"),
                &[input(&[2, 12, 20]), input(&[2, 20, 8])],
                F32_KERNEL,
                |t| matmul::matmul_with(&t[0], &t[1], k),
                |x| reference::matmul(&x[0], &x[1], 2, 12, 20, 8),
            );
            check_op(
                &format!("linear 36x16->40 {k:?}"),
                &[input(&[36, 16]), input(&[40, 16]), input(&[40])],
                F32_KERNEL,
                |t| matmul::linear_with(&t[0], &t[1], Some(&t[2]), k),
                |x| reference::linear(&x[0], &x[1], Some(&x[2]), 36, 16),
            );
        })
    }
}

/// A linear operand is not padded: the rows of the last tile past M read whatever the pooled
/// texture held there (here NaN from an earlier product of the same texture size), which must
/// reach only accumulators that are never stored.
#[test]
fn linear_operands_ignore_stale_texels_past_the_tensor() {
    let gpu = gpu();
    if !texture_kernels_or_skip(&gpu, "linear operands ignore stale texels (Texture)") {
        return;
    }
    let (k, n) = (60, 8);
    let w = Tensor::from_slice(&gpu, &[n, k], &values(n * k, 3)).unwrap();
    // 1300 x 60 and 1100 x 60 both fill 5 rows of 4096 texels: the same pooled texture.
    let stale = Tensor::full(&gpu, &[1300, k], f32::NAN).unwrap();
    let out = matmul::linear_forward(&stale, &w, None, MatmulKernel::Texture).unwrap();
    assert!(out.to_vec().unwrap().iter().all(|v| v.is_nan()));
    drop((stale, out));
    let m = 1100;
    let xv = values(m * k, 4);
    let x = Tensor::from_slice(&gpu, &[m, k], &xv).unwrap();
    let got = matmul::linear_forward(&x, &w, None, MatmulKernel::Texture)
        .unwrap()
        .to_vec()
        .unwrap();
    let to64 = |v: &[f32]| v.iter().map(|&x| x as f64).collect::<Vec<_>>();
    let want = reference::linear(&to64(&xv), &to64(&values(n * k, 3)), None, m, k);
    let worst = got
        .iter()
        .zip(&want)
        .map(|(g, w)| (*g as f64 - w).abs())
        .fold(0.0, f64::max);
    assert!(
        worst < 1e-4,
        "worst difference {worst} (NaN: stale texels reached outputs)"
    );
}

#[test]
fn linear_matches_reference_and_gradients() {
    for k in KERNELS {
        with_kernel(k, "linear_matches_reference_and_gradients", || {
            check_op(
                &format!("linear 11x6->9 {k:?}"),
                &[input(&[11, 6]), input(&[9, 6]), input(&[9])],
                F32_KERNEL,
                |t| matmul::linear_with(&t[0], &t[1], Some(&t[2]), k),
                |x| reference::linear(&x[0], &x[1], Some(&x[2]), 11, 6),
            );
            // M odd: dW = dy^T x reads dy and x by columns (k = M along their rows) with a
            // k tail that is not a whole texel.
            check_op(
                &format!("linear 37x20->12 {k:?}"),
                &[input(&[37, 20]), input(&[12, 20]), input(&[12])],
                F32_KERNEL,
                |t| matmul::linear_with(&t[0], &t[1], Some(&t[2]), k),
                |x| reference::linear(&x[0], &x[1], Some(&x[2]), 37, 20),
            );
            check_op(
                &format!("linear no bias 5x7->3 {k:?}"),
                &[input(&[5, 7]), input(&[3, 7])],
                F32_KERNEL,
                |t| matmul::linear_with(&t[0], &t[1], None, k),
                |x| reference::linear(&x[0], &x[1], None, 5, 7),
            );
        });
    }
}

#[test]
fn kernels_agree_and_are_deterministic() {
    let gpu = gpu();
    for (m, k, n) in [(67, 150, 41), (64, 96, 72)] {
        kernels_agree(&gpu, m, k, n);
    }
}

fn kernels_agree(gpu: &sralign::Gpu, m: usize, k: usize, n: usize) {
    let gpu = gpu.clone();
    let av: Vec<f32> = (0..m * k)
        .map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0)
        .collect();
    let bv: Vec<f32> = (0..k * n)
        .map(|i| ((i * 53 % 97) as f32 - 48.0) / 48.0)
        .collect();
    let a = Tensor::from_slice(&gpu, &[m, k], &av).unwrap();
    let b = Tensor::from_slice(&gpu, &[k, n], &bv).unwrap();
    let run = |kern| {
        let c = matmul::matmul_forward(&a, &b, kern)
            .unwrap()
            .to_vec()
            .unwrap();
        let bias = matmul::linear_backward_bias(&a).unwrap().to_vec().unwrap();
        (c, bias)
    };
    let b1 = run(MatmulKernel::Buffer);
    let b2 = run(MatmulKernel::Buffer);
    assert_eq!(b1, b2, "buffer kernel not deterministic");
    if !texture_kernels_or_skip(&gpu, &format!("matmul {m}x{k}x{n} kernels agree (Texture)")) {
        return;
    }
    let t1 = run(MatmulKernel::Texture);
    let t2 = run(MatmulKernel::Texture);
    assert_eq!(t1, t2, "texture kernel not deterministic");
    for (x, y) in t1.0.iter().zip(&b1.0) {
        assert!((x - y).abs() <= 1e-4 * (1.0 + y.abs()), "{x} vs {y}");
    }
}

/// dW = dy^T x over a long k (M = 6150 rows: two k parts of one launch, summed after it, the
/// second 6 rows, not a whole texel) on both kernels against the f64 reference, deterministic, after products of
/// the same sizes on NaN inputs left their pooled textures full of NaN.
#[test]
fn weight_gradient_over_long_k_matches_reference() {
    let gpu = gpu();
    let (m, fin, fout) = (6150, 28, 36);
    let nan = |shape: &[usize]| Tensor::full(&gpu, shape, f32::NAN).unwrap();
    let xv = values(m * fin, 5);
    let dyv = values(m * fout, 9);
    let x = Tensor::from_slice(&gpu, &[m, fin], &xv).unwrap();
    let dy = Tensor::from_slice(&gpu, &[m, fout], &dyv).unwrap();
    let mut want = vec![0.0f64; fout * fin];
    for r in 0..m {
        for o in 0..fout {
            for i in 0..fin {
                want[o * fin + i] += dyv[r * fout + o] as f64 * xv[r * fin + i] as f64;
            }
        }
    }
    for k in KERNELS {
        with_kernel(k, "weight_gradient_over_long_k_matches_reference", || {
            let stale = matmul::linear_backward_weight(&nan(&[m, fout]), &nan(&[m, fin]), k);
            assert!(stale.unwrap().to_vec().unwrap().iter().all(|v| v.is_nan()));
            let run = || {
                matmul::linear_backward_weight(&dy, &x, k)
                    .unwrap()
                    .to_vec()
                    .unwrap()
            };
            let got = run();
            assert_eq!(got, run(), "{k:?} not deterministic");
            let scale = want.iter().fold(0.0f64, |a, w| a.max(w.abs()));
            for (j, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    (*g as f64 - w).abs() <= 1e-5 * (m as f64).sqrt() * scale.max(1.0),
                    "{k:?} dW[{j}] = {g}, want {w}"
                );
            }
        });
    }
}

#[test]
fn bad_shapes_are_typed_errors() {
    let gpu = gpu();
    let a = Tensor::zeros(&gpu, &[4, 5]).unwrap();
    let b = Tensor::zeros(&gpu, &[6, 3]).unwrap();
    let e = matmul::matmul(&a, &b).unwrap_err().to_string();
    assert!(
        e.contains("matmul_forward") && e.contains("[4, 5]") && e.contains("[6, 3]"),
        "{e}"
    );
    let c = Tensor::zeros(&gpu, &[2, 5, 3]).unwrap();
    let e = matmul::matmul(&a, &c).unwrap_err().to_string();
    assert!(
        e.contains("matmul_forward") && e.contains("[2, 5, 3]"),
        "{e}"
    );
    let w = Tensor::zeros(&gpu, &[3, 4]).unwrap();
    let e = matmul::linear(&a, &w, None).unwrap_err().to_string();
    assert!(e.contains("linear_forward") && e.contains("[3, 4]"), "{e}");
    let w = Tensor::zeros(&gpu, &[3, 5]).unwrap();
    let bias = Tensor::zeros(&gpu, &[4]).unwrap();
    let e = matmul::linear(&a, &w, Some(&bias)).unwrap_err().to_string();
    assert!(e.contains("linear_forward") && e.contains("[4]"), "{e}");
}

fn values(n: usize, seed: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (((i * 37 + seed * 11) % 101) as f32 - 50.0) / 50.0)
        .collect()
}

/// Products (forward and every backward) on one device and kernel, read back.
fn products(gpu: &sralign::Gpu, k: MatmulKernel) -> Vec<Vec<f32>> {
    let t = |shape: &[usize], seed| {
        Tensor::from_slice(gpu, shape, &values(shape.iter().product(), seed)).unwrap()
    };
    let a = t(&[70, 150], 1);
    let b = t(&[150, 45], 2);
    let a3 = t(&[6, 20, 36], 3);
    let b3 = t(&[6, 36, 28], 4);
    let x = t(&[150, 40], 5);
    let w = t(&[50, 40], 6);
    let bias = t(&[50], 7);
    let dy = t(&[150, 50], 8);
    let c = matmul::matmul_forward(&a, &b, k).unwrap();
    let outs = [
        matmul::matmul_forward(&a, &b, k).unwrap(),
        matmul::matmul_backward_a(&c, &b, k).unwrap(),
        matmul::matmul_backward_b(&a, &c, k).unwrap(),
        matmul::matmul_forward(&a3, &b3, k).unwrap(),
        matmul::linear_forward(&x, &w, Some(&bias), k).unwrap(),
        matmul::linear_backward_input(&dy, &w, k).unwrap(),
        matmul::linear_backward_weight(&dy, &x, k).unwrap(),
        matmul::linear_backward_bias(&dy).unwrap(),
    ];
    outs.iter().map(|o| o.to_vec().unwrap()).collect()
}

#[test]
fn split_launches_match_unsplit() {
    // A 16 KiB storage-binding limit forces layer, row, column and k splits (the operands
    // above are larger than 4096 floats); results must be bit-identical to one launch.
    let small = sralign::Gpu::with_options(sralign::gpu::GpuOptions {
        max_storage_binding: Some(16384),
        ..Default::default()
    })
    .unwrap();
    let full = gpu();
    for k in KERNELS {
        with_kernel(k, "split_launches_match_unsplit", || {
            let (want, got) = (products(&full, k), products(&small, k));
            for (i, (w, g)) in want.iter().zip(&got).enumerate() {
                assert_eq!(w, g, "{k:?} product {i} differs when split");
            }
        });
    }
}

#[test]
fn impossible_limit_is_a_typed_error() {
    // A 4-byte limit leaves no room past the offset alignment: a Limit error naming the op.
    let tiny = sralign::Gpu::with_options(sralign::gpu::GpuOptions {
        max_storage_binding: Some(4),
        ..Default::default()
    })
    .unwrap();
    let x = Tensor::from_slice(&tiny, &[300, 200], &values(60000, 1)).unwrap();
    let e = matmul::linear_backward_bias(&x).unwrap_err();
    assert!(matches!(e, sralign::Error::Limit { .. }), "{e}");
    assert!(e.to_string().contains("linear_backward_bias"), "{e}");
}

/// The texture kernel at 4-lane subgroups (not chosen: skipped, named), at 8 and 16, the buffer
/// kernel on GL, everything under WebGPU's default limits.
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

/// Where the texture kernel cannot run, asking for it is a clear error naming subgroups;
/// `Auto` falls back to the buffer kernel.
#[test]
fn texture_kernel_without_subgroups_is_a_clear_error() {
    let gpu = gpu();
    if gpu.has_subgroups_of(8) {
        note("SKIPPED texture_kernel_without_subgroups_is_a_clear_error: the adapter has them");
        return;
    }
    let a = Tensor::zeros(&gpu, &[5, 7]).unwrap();
    let b = Tensor::zeros(&gpu, &[7, 3]).unwrap();
    let e = matmul::matmul_with(&a, &b, MatmulKernel::Texture).unwrap_err();
    matmul::matmul_with(&a, &b, MatmulKernel::Auto).unwrap();
    assert!(e.to_string().contains("subgroups"), "{e}");
    assert!(
        gpu.sync().is_ok(),
        "no device error after the refused launch"
    );
}

#[test]
fn auto_picks_tiled_buffer_kernel_on_gpus() {
    use matmul::auto_kernel;
    // (is_cpu, texture kernel usable)
    assert_eq!(auto_kernel(false, true), MatmulKernel::Buffer);
    assert_eq!(auto_kernel(false, false), MatmulKernel::Buffer);
    assert_eq!(auto_kernel(true, true), MatmulKernel::Texture);
    assert_eq!(auto_kernel(true, false), MatmulKernel::Buffer);
}

/// `linear_backward` (as `linear`'s backward runs it: dy copied once for dx and dW, db summed
/// in dW's launches where n leaves a spare tile column) against the f64 reference: n = 28 and
/// 40 (db in dW's kernel; M = 6150 also splits it into two k parts, the row sums with them), n = 32 and 64 (no spare column:
/// `column_sums`), after the same sizes ran on NaN inputs; deterministic; dx and dW
/// bit-identical to `linear_backward_input` / `linear_backward_weight`.
#[test]
fn linear_backward_matches_reference() {
    let gpu = gpu();
    let nan = |shape: &[usize]| Tensor::full(&gpu, shape, f32::NAN).unwrap();
    for (m, fin, fout) in [(150, 40, 50), (6150, 28, 36), (70, 32, 44), (97, 64, 13)] {
        let xv = values(m * fin, 5);
        let wv = values(fout * fin, 6);
        let dyv = values(m * fout, 9);
        let x = Tensor::from_slice(&gpu, &[m, fin], &xv).unwrap();
        let w = Tensor::from_slice(&gpu, &[fout, fin], &wv).unwrap();
        let dy = Tensor::from_slice(&gpu, &[m, fout], &dyv).unwrap();
        let mut db = vec![0.0f64; fout];
        for r in 0..m {
            for o in 0..fout {
                db[o] += dyv[r * fout + o] as f64;
            }
        }
        for k in KERNELS {
            with_kernel(k, "linear_backward_matches_reference", || {
                let what = format!("{m}x{fin}->{fout} {k:?}");
                let stale = matmul::linear_backward(
                    &nan(&[m, fout]),
                    &nan(&[m, fin]),
                    &nan(&[fout, fin]),
                    [true; 3],
                    k,
                )
                .unwrap();
                for t in stale.iter().flatten() {
                    assert!(t.to_vec().unwrap().iter().all(|v| v.is_nan()), "{what}");
                }
                let run = || {
                    matmul::linear_backward(&dy, &x, &w, [true; 3], k)
                        .unwrap()
                        .map(|t| t.unwrap().to_vec().unwrap())
                };
                let [gx, gw, gb] = run();
                assert_eq!(
                    [&gx, &gw, &gb],
                    run().each_ref(),
                    "{what} not deterministic"
                );
                let sep_x = matmul::linear_backward_input(&dy, &w, k).unwrap();
                let sep_w = matmul::linear_backward_weight(&dy, &x, k).unwrap();
                assert_eq!(gx, sep_x.to_vec().unwrap(), "{what} dx");
                assert_eq!(gw, sep_w.to_vec().unwrap(), "{what} dW");
                let scale = db.iter().fold(1.0f64, |a, v| a.max(v.abs()));
                for (o, (g, want)) in gb.iter().zip(&db).enumerate() {
                    assert!(
                        (*g as f64 - want).abs() <= 1e-6 * (m as f64).sqrt() * scale,
                        "{what} db[{o}] = {g}, want {want}"
                    );
                }
                // Only db asked for, or only dx: the others stay None.
                let only = matmul::linear_backward(&dy, &x, &w, [false, false, true], k).unwrap();
                assert!(only[0].is_none() && only[1].is_none());
                let gb2 = only[2].as_ref().unwrap().to_vec().unwrap();
                for (g, want) in gb2.iter().zip(&db) {
                    assert!((*g as f64 - want).abs() <= 1e-6 * (m as f64).sqrt() * scale);
                }
                let only = matmul::linear_backward(&dy, &x, &w, [true, false, false], k).unwrap();
                assert!(only[1].is_none() && only[2].is_none());
                assert_eq!(only[0].as_ref().unwrap().to_vec().unwrap(), gx, "{what}");
            });
        }
    }
}
