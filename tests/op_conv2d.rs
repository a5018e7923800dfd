mod common;
use common::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sralign::gpu::GpuOptions;
use sralign::ops::conv2d::{self, reference, ConvImpl};
use sralign::{autograd, Gpu, Tensor};

const IMPLS: [ConvImpl; 4] = [
    ConvImpl::Texture,
    ConvImpl::Buffer,
    ConvImpl::Tiled,
    ConvImpl::Small,
];

/// The variants that need subgroups of >= 8 lanes (skipped, named, where there are none).
fn needs_subgroups(imp: ConvImpl) -> bool {
    matches!(imp, ConvImpl::Texture | ConvImpl::Small)
}

/// check_op of conv2d (x [n, cin, h, w], w [cout, cin, k, k], optional bias) on both variants.
fn check_conv(x: [usize; 4], cout: usize, k: usize, bias: bool) {
    let ws = [cout, x[1], k, k];
    let mut inputs = vec![input(&x), input(&ws)];
    if bias {
        inputs.push(input(&[cout]));
    }
    let gpu = gpu();
    for imp in IMPLS {
        let name = format!("conv2d {x:?} -> {cout} k{k} bias {bias} {imp:?}");
        if needs_subgroups(imp) && !texture_kernels_or_skip(&gpu, &name) {
            continue;
        }
        check_op(
            &name,
            &inputs,
            F32_KERNEL,
            |t| conv2d::conv2d_with(&t[0], &t[1], t.get(2), imp),
            |v| reference::forward(&v[0], x, &v[1], ws, v.get(2).map(|b| &b[..])),
        );
    }
}

#[test]
fn conv3x3_with_bias() {
    check_conv([2, 3, 7, 5], 5, 3, true);
}

#[test]
fn conv1x1_without_bias() {
    check_conv([1, 8, 9, 11], 6, 1, false);
}

#[test]
fn conv5x5_with_bias() {
    check_conv([1, 5, 6, 9], 3, 5, true);
}

#[test]
fn conv3x3_without_bias_more_channels() {
    check_conv([1, 8, 9, 11], 6, 3, false);
}

/// 3x3 convs with at most 4 output channels (an image's last conv), which the 3x3 texture
/// kernel computes 4 channels per workgroup instead of 8 (`conv2d::four_outputs`); 3 leaves
/// one of the 4 unstored, 4 fills them; widths not a multiple of the 24-column workgroup.
#[test]
fn conv3x3_at_most_four_outputs() {
    check_conv([2, 6, 7, 10], 3, 3, true);
    check_conv([1, 9, 5, 13], 4, 3, false);
}

/// The small-channel weight gradient (conv2d_backward_weight_small.wgsl) where both halves of
/// its lanes hold output channels (Cout > 8; 19: a partial second group of 16) and the bias
/// gradient is summed in the same pass; 13 input channels leave the last lane's texel partly
/// empty; 20 take two lane groups.
#[test]
fn conv3x3_small_channels_with_bias() {
    check_conv([2, 13, 5, 9], 19, 3, true);
    check_conv([1, 20, 4, 7], 17, 3, true);
}

fn host(rng: &mut ChaCha8Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect()
}

fn assert_close(what: &str, got: &[f32], want: &[f64]) {
    let (atol, rtol) = F32_KERNEL.fwd;
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            ((*g as f64) - w).abs() <= atol + rtol * w.abs(),
            "{what}[{i}]: got {g}, want {w}"
        );
    }
}

fn to64(v: &[f32]) -> Vec<f64> {
    v.iter().map(|x| *x as f64).collect()
}

/// Forward and the three backward launchers on `gpu`, against the references.
fn check_launchers(gpu: &Gpu, x: [usize; 4], cout: usize, k: usize, imp: ConvImpl) {
    let ws = [cout, x[1], k, k];
    let ds = [x[0], cout, x[2], x[3]];
    let mut rng = ChaCha8Rng::seed_from_u64(seed_of("launchers"));
    let (xh, wh, bh) = (
        host(&mut rng, x.iter().product()),
        host(&mut rng, ws.iter().product()),
        host(&mut rng, cout),
    );
    let dh = host(&mut rng, ds.iter().product());
    let xt = Tensor::from_slice(gpu, &x, &xh).unwrap();
    let wt = Tensor::from_slice(gpu, &ws, &wh).unwrap();
    let bt = Tensor::from_slice(gpu, &[cout], &bh).unwrap();
    let dt = Tensor::from_slice(gpu, &ds, &dh).unwrap();
    let (x64, w64, b64, d64) = (to64(&xh), to64(&wh), to64(&bh), to64(&dh));
    let tag = format!("{x:?} -> {cout} k{k} {imp:?}");
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
    let dw = conv2d::conv2d_backward_weight_with(&xt, &dt, k, imp).unwrap();
    assert_close(
        &format!("backward_weight {tag}"),
        &dw.to_vec().unwrap(),
        &reference::backward_weight(&x64, &d64, x, ws),
    );
    let db = conv2d::conv2d_backward_bias(&dt).unwrap();
    assert_close(
        &format!("backward_bias {tag}"),
        &db.to_vec().unwrap(),
        &reference::backward_bias(&d64, ds),
    );
    // All three gradients in one backward, as training runs them (the weight-gradient pass
    // may sum db too: conv2d_reduce_bias.wgsl, conv2d_backward_weight_small.wgsl).
    for t in [&xt, &wt, &bt] {
        t.set_requires_grad(true);
    }
    let y = conv2d::conv2d_with(&xt, &wt, Some(&bt), imp).unwrap();
    let g = autograd::backward_with(&y, &dt).unwrap();
    let want = [
        reference::backward_input(&d64, &w64, x, ws),
        reference::backward_weight(&x64, &d64, x, ws),
        reference::backward_bias(&d64, ds),
    ];
    for ((what, t), want) in ["dx", "dw", "db"].iter().zip([&xt, &wt, &bt]).zip(want) {
        let got = g.get(t).unwrap().to_vec().unwrap();
        assert_close(&format!("backward {what} {tag}"), &got, &want);
    }
}

#[test]
fn launchers_match_references() {
    let gpu = gpu();
    for imp in IMPLS {
        if needs_subgroups(imp)
            && !texture_kernels_or_skip(&gpu, &format!("conv2d launchers {imp:?}"))
        {
            continue;
        }
        check_launchers(&gpu, [2, 11, 10, 13], 9, 3, imp);
        // More than 32 input channels: several lane groups in the weight gradient.
        check_launchers(&gpu, [1, 37, 5, 6], 20, 3, imp);
        // Widths that are multiples of 4 take the vec4 pack (conv2d_pack_input4.wgsl).
        check_launchers(&gpu, [2, 6, 5, 12], 7, 3, imp);
        check_launchers(&gpu, [1, 3, 4, 8], 5, 5, imp);
        // Several tiles of the tiled variant in every direction (pixels, channels, taps) and
        // several pixel slabs of its weight gradient.
        check_launchers(&gpu, [2, 37, 13, 11], 70, 3, imp);
    }
}

/// A binding limit of 2 KiB forces batch chunks (4 + 1 items) whose ranges start at
/// unaligned element offsets: the path tensors over the 128 MiB binding limit take.
#[test]
fn split_launches_under_a_small_binding_limit() {
    let gpu = Gpu::with_options(GpuOptions {
        max_storage_binding: Some(2048),
        ..Default::default()
    })
    .unwrap();
    for imp in IMPLS {
        if needs_subgroups(imp)
            && !texture_kernels_or_skip(&gpu, &format!("conv2d split launches {imp:?}"))
        {
            continue;
        }
        check_launchers(&gpu, [5, 2, 7, 5], 3, 3, imp);
        // Width 4: vec4 packs of chunks bound at offsets that are not 16-byte aligned in x.
        check_launchers(&gpu, [5, 2, 7, 4], 3, 3, imp);
        // Two groups of 16 output channels; dw and db accumulated over the chunks (the
        // buffer variant's 8 partial rows per slab of this dw exceed 2 KiB).
        if needs_subgroups(imp) {
            check_launchers(&gpu, [5, 2, 3, 4], 18, 3, imp);
        }
    }
    // One batch item over the limit is a typed error, not a device error.
    let x = Tensor::zeros(&gpu, &[1, 16, 8, 8]).unwrap();
    let w = Tensor::zeros(&gpu, &[4, 16, 3, 3]).unwrap();
    let e = conv2d::conv2d(&x, &w, None).unwrap_err().to_string();
    assert!(e.contains("conv2d") && e.contains("16, 8, 8"), "{e}");
}

#[test]
fn identical_runs_are_bit_identical() {
    let gpu = gpu();
    let x = [2, 12, 13, 11];
    let ws = [10, 12, 3, 3];
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let (xh, wh, bh) = (
        host(&mut rng, x.iter().product()),
        host(&mut rng, ws.iter().product()),
        host(&mut rng, 10),
    );
    let run = |imp: ConvImpl| -> Vec<Vec<f32>> {
        let xt = Tensor::from_slice(&gpu, &x, &xh).unwrap();
        let wt = Tensor::from_slice(&gpu, &ws, &wh).unwrap();
        let bt = Tensor::from_slice(&gpu, &[10], &bh).unwrap();
        for t in [&xt, &wt, &bt] {
            t.set_requires_grad(true);
        }
        let y = conv2d::conv2d_with(&xt, &wt, Some(&bt), imp).unwrap();
        let g = autograd::backward_with(&y, &y.detach()).unwrap();
        let mut v = vec![y.to_vec().unwrap()];
        for t in [&xt, &wt, &bt] {
            v.push(g.get(t).unwrap().to_vec().unwrap());
        }
        v
    };
    for imp in IMPLS {
        if needs_subgroups(imp)
            && !texture_kernels_or_skip(&gpu, &format!("conv2d bit-identical runs {imp:?}"))
        {
            continue;
        }
        let (a, b) = (run(imp), run(imp));
        for (i, (p, q)) in a.iter().zip(&b).enumerate() {
            let same = p.iter().zip(q).all(|(s, t)| s.to_bits() == t.to_bits());
            assert!(same, "{imp:?}: output {i} differs between identical runs");
        }
    }
}

#[test]
fn bad_input_gives_typed_errors() {
    let gpu = gpu();
    let x = Tensor::zeros(&gpu, &[1, 3, 8, 8]).unwrap();
    for k in [2, 4, 7] {
        let w = Tensor::zeros(&gpu, &[4, 3, k, k]).unwrap();
        let e = conv2d::conv2d(&x, &w, None).unwrap_err();
        assert!(matches!(e, sralign::Error::Unsupported { .. }), "{e:?}");
        let e = e.to_string();
        assert!(
            e.contains("conv2d") && e.contains("[1, 3, 8, 8]") && e.contains(&format!("{k}, {k}]")),
            "{e}"
        );
    }
    let w = Tensor::zeros(&gpu, &[4, 5, 3, 3]).unwrap();
    let e = conv2d::conv2d(&x, &w, None).unwrap_err();
    assert!(matches!(e, sralign::Error::Shape { .. }), "{e:?}");
    assert!(e.to_string().contains("[4, 5, 3, 3]"), "{e}");

    let x3 = Tensor::zeros(&gpu, &[3, 8, 8]).unwrap();
    let w = Tensor::zeros(&gpu, &[4, 3, 3, 3]).unwrap();
    let e = conv2d::conv2d(&x3, &w, None).unwrap_err().to_string();
    assert!(e.contains("conv2d") && e.contains("[3, 8, 8]"), "{e}");

    let b = Tensor::zeros(&gpu, &[5]).unwrap();
    let e = conv2d::conv2d(&x, &w, Some(&b)).unwrap_err().to_string();
    assert!(e.contains("conv2d") && e.contains("[5]"), "{e}");

    // Zero-sized tensors cannot be allocated; the shape check rejects them too.
    let e = conv2d::conv2d_dims("conv2d", &[0, 3, 8, 8], &[4, 3, 3, 3], None).unwrap_err();
    assert!(e.to_string().contains("[0, 3, 8, 8]"), "{e}");
    let e = conv2d::conv2d_dims("conv2d", &[1, 3, 8, 8], &[0, 3, 3, 3], None).unwrap_err();
    assert!(e.to_string().contains("zero-sized"), "{e}");

    let dout = Tensor::zeros(&gpu, &[1, 6, 8, 8]).unwrap();
    let e = conv2d::conv2d_backward_input(&dout, &w)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("conv2d_backward_input") && e.contains("[1, 6, 8, 8]"),
        "{e}"
    );
    assert!(
        gpu.sync().is_ok(),
        "no device error after rejected launches"
    );
}

/// The texture kernels at 4-lane subgroups (not chosen: skipped, named), at 8 and 16, the buffer
/// kernels on GL, everything under WebGPU's default limits.
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

/// Where the texture kernels cannot run (no subgroups of >= 8 lanes: GL, 4-lane lavapipe in
/// the child runs), asking for them is a clear error naming subgroups, not a validation panic;
/// `Auto` falls back to the buffer kernels.
#[test]
fn texture_kernels_without_subgroups_are_a_clear_error() {
    let gpu = gpu();
    if gpu.has_subgroups_of(8) {
        note("SKIPPED texture_kernels_without_subgroups_are_a_clear_error: the adapter has them");
        return;
    }
    let x = Tensor::zeros(&gpu, &[1, 3, 8, 8]).unwrap();
    let w = Tensor::zeros(&gpu, &[4, 3, 3, 3]).unwrap();
    let e = conv2d::conv2d_with(&x, &w, None, ConvImpl::Texture).unwrap_err();
    assert!(e.to_string().contains("subgroups"), "{e}");
    conv2d::conv2d_with(&x, &w, None, ConvImpl::Auto).unwrap();
    assert!(
        gpu.sync().is_ok(),
        "no device error after the refused launch"
    );
}

#[test]
fn auto_picks_tiled_on_gpus_and_textures_on_cpus() {
    use conv2d::auto_variant;
    // (is_cpu, tiled kernels fit the limits, Winograd runs and pays, the small-channel
    // weight gradient pays, texture kernels usable)
    assert_eq!(auto_variant(false, true, true, true, true), ConvImpl::Tiled);
    assert_eq!(
        auto_variant(false, true, false, false, false),
        ConvImpl::Tiled
    );
    assert_eq!(
        auto_variant(false, false, true, true, true),
        ConvImpl::Texture
    );
    assert_eq!(
        auto_variant(false, false, false, false, false),
        ConvImpl::Buffer
    );
    assert_eq!(
        auto_variant(true, true, true, false, true),
        ConvImpl::Winograd
    );
    assert_eq!(
        auto_variant(true, true, false, false, true),
        ConvImpl::Texture
    );
    assert_eq!(auto_variant(true, true, false, true, true), ConvImpl::Small);
    assert_eq!(
        auto_variant(true, true, false, true, false),
        ConvImpl::Buffer
    );
    assert_eq!(
        auto_variant(true, true, false, false, false),
        ConvImpl::Buffer
    );
    // The tiny SRResNet's convs (3 or 16 input channels) take it on this CPU adapter.
    let gpu = gpu();
    if gpu.is_cpu() && gpu.has_subgroups_of(8) && gpu.subgroup_kernels_usable() {
        let small = |x: [usize; 4], cout: usize| {
            let d = conv2d::conv2d_dims("t", &x, &[cout, x[1], 3, 3], None).unwrap();
            conv2d::chosen_variant(&gpu, &d)
        };
        assert_eq!(small([16, 16, 96, 96], 64), ConvImpl::Small);
        assert_eq!(small([16, 3, 48, 48], 16), ConvImpl::Small);
        assert_eq!(small([16, 16, 192, 192], 3), ConvImpl::Small);
        assert_eq!(small([16, 32, 48, 48], 32), ConvImpl::Texture);
        assert_eq!(small([16, 64, 48, 48], 64), ConvImpl::Winograd);
        // SwinIR's convs (180 channels) too; 256 input channels stay on the texture kernels
        // (Winograd's V would be 4x the input).
        assert_eq!(small([4, 180, 48, 48], 180), ConvImpl::Winograd);
        assert_eq!(small([16, 256, 48, 48], 256), ConvImpl::Texture);
    }
    // On this adapter, Auto runs exactly the variant chosen_variant names.
    let x = Tensor::from_slice(&gpu, &[1, 5, 6, 7], &[0.25; 210]).unwrap();
    let w = Tensor::from_slice(&gpu, &[4, 5, 3, 3], &[0.5; 180]).unwrap();
    let d = conv2d::conv2d_dims("t", x.shape(), w.shape(), None).unwrap();
    let named = conv2d::chosen_variant(&gpu, &d);
    let a = conv2d::conv2d_forward_with(&x, &w, None, ConvImpl::Auto).unwrap();
    let b = conv2d::conv2d_forward_with(&x, &w, None, named).unwrap();
    assert_eq!(a.to_vec().unwrap(), b.to_vec().unwrap(), "{named:?}");
}
