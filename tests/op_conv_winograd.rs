//! `ConvImpl::Winograd` (ops::conv_winograd): forward, grad-input and grad-weight against the
//! f64 references of ops::conv2d at odd shapes, gradients through the tape (check_op: the
//! reference's and the GPU's own central differences), batch chunks, and `Auto`'s choice.
//! Where the adapter cannot run it (GL, 4-lane subgroups) the checks print SKIPPED and `Auto`
//! must fall back.
mod common;
use common::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sralign::gpu::GpuOptions;
use sralign::ops::conv2d::{self, reference, ConvImpl};
use sralign::{autograd, Gpu, Tensor};

fn winograd_or_skip(gpu: &Gpu, what: &str) -> bool {
    texture_kernels_or_skip(gpu, &format!("{what} (Winograd)"))
}

fn host(rng: &mut ChaCha8Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect()
}

fn to64(v: &[f32]) -> Vec<f64> {
    v.iter().map(|x| *x as f64).collect()
}

/// |got - want| <= atol * size + rtol * |want| with size = the largest |want|: the tolerance
/// scales with the magnitude of what is checked (a zero or sign-flipped result fails).
fn assert_close(what: &str, got: &[f32], want: &[f64]) {
    let (atol, rtol) = F32_KERNEL.fwd;
    assert_eq!(got.len(), want.len(), "{what}: length");
    let size = gradient_size(want);
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            ((*g as f64) - w).abs() <= atol * size + rtol * w.abs(),
            "{what}[{i}]: got {g}, want {w} (size {size})"
        );
    }
}

/// Forward (with bias), grad-input and grad-weight launchers against the references.
fn check_launchers(gpu: &Gpu, x: [usize; 4], cout: usize) {
    let ws = [cout, x[1], 3, 3];
    let ds = [x[0], cout, x[2], x[3]];
    let mut rng = ChaCha8Rng::seed_from_u64(seed_of("winograd launchers"));
    let xh = host(&mut rng, x.iter().product());
    let wh = host(&mut rng, ws.iter().product());
    let bh = host(&mut rng, cout);
    let dh = host(&mut rng, ds.iter().product());
    let xt = Tensor::from_slice(gpu, &x, &xh).unwrap();
    let wt = Tensor::from_slice(gpu, &ws, &wh).unwrap();
    let bt = Tensor::from_slice(gpu, &[cout], &bh).unwrap();
    let dt = Tensor::from_slice(gpu, &ds, &dh).unwrap();
    let (x64, w64, b64, d64) = (to64(&xh), to64(&wh), to64(&bh), to64(&dh));
    let tag = format!("{x:?} -> {cout} Winograd");
    let imp = ConvImpl::Winograd;
    let y = conv2d::conv2d_forward_with(&xt, &wt, Some(&bt), imp).unwrap();
    assert_close(
        &format!("forward {tag}"),
        &y.to_vec().unwrap(),
        &reference::forward(&x64, x, &w64, ws, Some(&b64)),
    );
    let dx = conv2d::conv2d_backward_input_with(&dt, &wt, imp).unwrap();
    assert_close(
        &format!("backward_input {tag}"),
        &dx.to_vec().unwrap(),
        &reference::backward_input(&d64, &w64, x, ws),
    );
    let dw = conv2d::conv2d_backward_weight_with(&xt, &dt, 3, imp).unwrap();
    assert_close(
        &format!("backward_weight {tag}"),
        &dw.to_vec().unwrap(),
        &reference::backward_weight(&x64, &d64, x, ws),
    );
}

#[test]
fn launchers_match_references() {
    let gpu = gpu();
    if !winograd_or_skip(&gpu, "conv2d launchers") {
        return;
    }
    // Odd H and W (partial tiles on both edges), batch > 1, channels not multiples of 4 or 8.
    check_launchers(&gpu, [3, 7, 9, 11], 5);
    // More than 32 channels on both sides: several GEMM tiles along rows and columns.
    check_launchers(&gpu, [2, 37, 5, 7], 34);
    // Even sizes (whole tiles, the vec4 pack), one channel, one row of tiles.
    check_launchers(&gpu, [2, 1, 2, 8], 3);
    check_launchers(&gpu, [1, 6, 1, 1], 9);
    // Wider images: several images and tile rows, odd and even heights.
    check_launchers(&gpu, [3, 5, 7, 8], 6);
    check_launchers(&gpu, [2, 9, 6, 16], 33);
}

/// check_op through the tape: forward and all three gradients vs the f64 reference and its
/// central differences, and vs f32 central differences through the Winograd forward itself.
fn check_tape(x: [usize; 4], cout: usize, bias: bool) {
    let gpu = gpu();
    let name = format!("conv2d {x:?} -> {cout} bias {bias} Winograd");
    if !winograd_or_skip(&gpu, &name) {
        return;
    }
    let ws = [cout, x[1], 3, 3];
    let mut inputs = vec![input(&x), input(&ws)];
    if bias {
        inputs.push(input(&[cout]));
    }
    check_op(
        &name,
        &inputs,
        F32_KERNEL,
        |t| conv2d::conv2d_with(&t[0], &t[1], t.get(2), ConvImpl::Winograd),
        |v| reference::forward(&v[0], x, &v[1], ws, v.get(2).map(|b| &b[..])),
    );
}

#[test]
fn tape_gradients_with_bias() {
    check_tape([2, 3, 7, 5], 5, true);
}

#[test]
fn tape_gradients_without_bias_more_channels() {
    check_tape([3, 9, 5, 9], 6, false);
}

/// A binding limit of 4 KiB forces batch chunks of one item (bound at unaligned offsets); the
/// weight gradient continues from the previous chunk's sums.
#[test]
fn batch_chunks_under_a_small_binding_limit() {
    let gpu = Gpu::with_options(GpuOptions {
        max_storage_binding: Some(4096),
        ..Default::default()
    })
    .unwrap();
    if !winograd_or_skip(&gpu, "conv2d batch chunks") {
        return;
    }
    check_launchers(&gpu, [5, 2, 7, 5], 3);
    check_launchers(&gpu, [4, 3, 3, 4], 2);
}

/// Runs conv2d through the tape with `imp` (a fixed dout); returns y, dx, dw, db.
fn run(gpu: &Gpu, x: [usize; 4], cout: usize, imp: ConvImpl) -> Vec<Vec<f32>> {
    let ws = [cout, x[1], 3, 3];
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let xt = Tensor::from_slice(gpu, &x, &host(&mut rng, x.iter().product())).unwrap();
    let wt = Tensor::from_slice(gpu, &ws, &host(&mut rng, ws.iter().product())).unwrap();
    let bt = Tensor::from_slice(gpu, &[cout], &host(&mut rng, cout)).unwrap();
    for t in [&xt, &wt, &bt] {
        t.set_requires_grad(true);
    }
    let ds = [x[0], cout, x[2], x[3]];
    let dt = Tensor::from_slice(gpu, &ds, &host(&mut rng, ds.iter().product())).unwrap();
    let y = conv2d::conv2d_with(&xt, &wt, Some(&bt), imp).unwrap();
    let g = autograd::backward_with(&y, &dt).unwrap();
    let mut v = vec![y.to_vec().unwrap()];
    for t in [&xt, &wt, &bt] {
        v.push(g.get(t).unwrap().to_vec().unwrap());
    }
    v
}

fn same_bits(a: &[Vec<f32>], b: &[Vec<f32>]) -> bool {
    a.iter()
        .zip(b)
        .all(|(p, q)| p.iter().zip(q).all(|(s, t)| s.to_bits() == t.to_bits()))
}

#[test]
fn identical_runs_are_bit_identical() {
    let gpu = gpu();
    if !winograd_or_skip(&gpu, "conv2d bit-identical runs") {
        return;
    }
    let x = [2, 12, 13, 11];
    let a = run(&gpu, x, 10, ConvImpl::Winograd);
    let b = run(&gpu, x, 10, ConvImpl::Winograd);
    assert!(same_bits(&a, &b), "Winograd differs between identical runs");
}

/// `Auto` runs Winograd for the passes of 3x3 convolutions where it was measured faster: the
/// forward with 64..=128 input and >= 64 output channels, the input gradient with 64..=128
/// output and >= 64 input channels; the texture kernels for the weight gradient and everything
/// else; and falls back where Winograd cannot run.
#[test]
fn auto_picks_winograd_where_intended() {
    let gpu = gpu();
    let wide = [2, 64, 5, 7];
    let auto = run(&gpu, wide, 64, ConvImpl::Auto);
    if !gpu.has_subgroups_of(8) {
        note("SKIPPED auto_picks_winograd_where_intended: no subgroups of >= 8 lanes (Auto falls back, checked)");
        let e = conv2d::conv2d_with(
            &Tensor::zeros(&gpu, &[1, 3, 8, 8]).unwrap(),
            &Tensor::zeros(&gpu, &[4, 3, 3, 3]).unwrap(),
            None,
            ConvImpl::Winograd,
        )
        .unwrap_err();
        assert!(e.to_string().contains("subgroups"), "{e}");
        assert!(same_bits(&auto, &run(&gpu, wide, 64, ConvImpl::Buffer)));
        return;
    }
    let wino = run(&gpu, wide, 64, ConvImpl::Winograd);
    let tex = run(&gpu, wide, 64, ConvImpl::Texture);
    assert!(
        !same_bits(&wino[..1], &tex[..1]),
        "Winograd and Texture gave identical bits"
    );
    // (x, cout, which of [y, dx, dw, db] come from Winograd); db is the same kernel for all.
    let cases: [([usize; 4], usize, [bool; 3]); 5] = [
        (wide, 64, [true, true, false]),
        // The SRResNet upsampler's 64 -> 256 and a 256 -> 64 conv.
        ([1, 64, 3, 5], 256, [true, false, false]),
        ([1, 256, 3, 5], 64, [false, true, false]),
        // The tiny SRResNet's 16 channels and its first layer.
        ([2, 16, 9, 7], 16, [false, false, false]),
        ([2, 3, 9, 7], 16, [false, false, false]),
    ];
    for (x, cout, from_wino) in cases {
        let auto = run(&gpu, x, cout, ConvImpl::Auto);
        let wino = run(&gpu, x, cout, ConvImpl::Winograd);
        let tex = run(&gpu, x, cout, ConvImpl::Texture);
        for (i, w) in from_wino.iter().enumerate() {
            let want = if *w { &wino } else { &tex };
            assert!(
                same_bits(&auto[i..i + 1], &want[i..i + 1]),
                "{x:?} -> {cout}: output {i} of Auto is not the {} kernel's",
                if *w { "Winograd" } else { "texture" }
            );
        }
    }
    // Not 3x3: Winograd is refused with a clear error.
    let x = Tensor::zeros(&gpu, &[1, 64, 8, 8]).unwrap();
    let w = Tensor::zeros(&gpu, &[64, 64, 5, 5]).unwrap();
    let e = conv2d::conv2d_with(&x, &w, None, ConvImpl::Winograd).unwrap_err();
    assert!(e.to_string().contains("3x3"), "{e}");
    conv2d::conv2d_with(&x, &w, None, ConvImpl::Auto).unwrap();
    assert!(
        gpu.sync().is_ok(),
        "no device error after the refused launch"
    );
}

/// Winograd at 4 and 16 lanes, on GL (not available: SKIPPED, Auto falls back), and under
/// WebGPU's default limits.
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

/// The launcher checks can fail: a zero or sign-flipped result is rejected.
#[test]
fn launcher_checks_reject_zero_and_flipped_results() {
    let want = [0.5f64, -2.0, 1.25, 3.0];
    let flipped: Vec<f32> = want.iter().map(|v| -*v as f32).collect();
    for got in [vec![0.0f32; 4], flipped] {
        let r = std::panic::catch_unwind(|| assert_close("deliberately wrong", &got, &want));
        assert!(r.is_err(), "{got:?} passed the check");
    }
    let exact: Vec<f32> = want.iter().map(|v| *v as f32).collect();
    assert_close("exact", &exact, &want);
}
