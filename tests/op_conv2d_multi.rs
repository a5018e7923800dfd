//! conv2d_multi: the convolution of a channel concatenation without writing it, checked
//! against the f64 reference of conv2d on the concatenated input, on both variants, on the
//! one-dispatch packing path (parts of 4k channels, width 4k) and on the concat fallback, with
//! gradients that the tape already holds (the accumulating backward) and a part listed twice.
//! Small is the texture path with Small's weight gradient (what Auto runs at <= 16 input
//! channels on a CPU adapter).
mod common;
use common::*;
use sralign::ops::activation::reference as act_ref;
use sralign::ops::conv2d::{reference, ConvImpl};
use sralign::ops::conv2d_multi::{
    conv2d_multi_fused, conv2d_multi_texture_only, conv2d_multi_with, conv2d_stack, Epilogue,
    FeatureStack,
};
use sralign::ops::pixel_shuffle::reference as shuffle_ref;

const IMPLS: [ConvImpl; 3] = [ConvImpl::Texture, ConvImpl::Small, ConvImpl::Buffer];

/// Parts [n, c_j, h, w] flattened -> the concatenation [n, sum c_j, h, w].
fn cat(parts: &[&[f64]], chans: &[usize], n: usize, hw: usize) -> Vec<f64> {
    sralign::ops::concat::reference::concat(parts, chans, n, hw)
}

/// conv2d_multi of parts with `chans` channels (x [n, _, h, w]) -> cout, 3x3, with bias.
fn check_parts(n: usize, chans: &[usize], h: usize, w: usize, cout: usize) {
    let cin: usize = chans.iter().sum();
    let ws = [cout, cin, 3, 3];
    let mut inputs: Vec<Input> = chans.iter().map(|c| input(&[n, *c, h, w])).collect();
    inputs.push(input(&ws));
    inputs.push(input(&[cout]));
    let k = chans.len();
    let gpu = gpu();
    for imp in IMPLS {
        let name = format!("conv2d_multi n{n} {chans:?} {h}x{w} -> {cout} {imp:?}");
        if imp != ConvImpl::Buffer && !texture_kernels_or_skip(&gpu, &name) {
            continue;
        }
        check_op(
            &name,
            &inputs,
            F32_KERNEL,
            |t| {
                let xs: Vec<_> = t[..k].iter().collect();
                conv2d_multi_with(&xs, &t[k], Some(&t[k + 1]), imp)
            },
            |v| {
                let parts: Vec<&[f64]> = v[..k].iter().map(|p| &p[..]).collect();
                let x = cat(&parts, chans, n, h * w);
                reference::forward(&x, [n, cin, h, w], &v[k], ws, Some(&v[k + 1]))
            },
        );
    }
}

#[test]
fn parts_of_four_channels_pack_in_one_dispatch() {
    check_parts(2, &[4, 8, 4], 5, 8, 5);
}

#[test]
fn five_parts_as_in_a_dense_block() {
    check_parts(1, &[8, 4, 4, 4, 4], 3, 4, 8);
}

#[test]
fn other_channel_counts_and_widths_fall_back_to_concat() {
    check_parts(2, &[3, 5], 4, 7, 4);
    check_parts(1, &[4, 4, 4, 4, 4, 4], 3, 4, 3);
}

/// z = conv(x ++ y) (4 channels), out = conv(x ++ z ++ x): x's gradient from the second conv
/// is held when the first conv's backward adds its slice onto it, and x is listed twice.
#[test]
fn held_gradients_and_repeated_parts_accumulate() {
    let (n, h, w) = (2, 3, 8);
    let w1s = [4, 8, 3, 3];
    let w2s = [3, 12, 3, 3];
    let inputs = vec![
        input(&[n, 4, h, w]),
        input(&[n, 4, h, w]),
        input(&w1s),
        input(&[4]),
        input(&w2s),
    ];
    let gpu = gpu();
    for imp in IMPLS {
        let name = format!("conv2d_multi chain {imp:?}");
        if imp != ConvImpl::Buffer && !texture_kernels_or_skip(&gpu, &name) {
            continue;
        }
        check_op(
            &name,
            &inputs,
            F32_KERNEL,
            |t| {
                let z = conv2d_multi_with(&[&t[0], &t[1]], &t[2], Some(&t[3]), imp)?;
                conv2d_multi_with(&[&t[0], &z, &t[0]], &t[4], None, imp)
            },
            |v| {
                let hw = h * w;
                let xy = cat(&[&v[0], &v[1]], &[4, 4], n, hw);
                let z = reference::forward(&xy, [n, 8, h, w], &v[2], w1s, Some(&v[3]));
                let xzx = cat(&[&v[0], &z, &v[0]], &[4, 4, 4], n, hw);
                reference::forward(&xzx, [n, 12, h, w], &v[4], w2s, None)
            },
        );
    }
}

/// leaky_relu(conv2d_multi(..)) with the activation fused into the convolution's store and
/// its backward into the packing of dout, against the reference conv then LeakyReLU. A bias of
/// [2, -2, ...] and small weights (|conv| < 1.3) put the outputs on both sides of the kink, far
/// from it (finite differences across it would not measure the gradient).
#[test]
fn fused_leaky_relu_matches_conv_then_activation() {
    let (n, h, w) = (2, 4, 8);
    let chans = [4, 8];
    let ws = [6, 12, 3, 3];
    let bias: Vec<f32> = (0..6)
        .map(|i| if i % 2 == 0 { 2.0 } else { -2.0 })
        .collect();
    let inputs = vec![
        input(&[n, 4, h, w]),
        input(&[n, 8, h, w]),
        input_init(&ws, Init::Uniform(-0.1, 0.1)),
        input_init(&[6], Init::Given(bias)),
    ];
    let gpu = gpu();
    for imp in IMPLS {
        let name = format!("conv2d_multi_lrelu {imp:?}");
        if imp != ConvImpl::Buffer && !texture_kernels_or_skip(&gpu, &name) {
            continue;
        }
        check_op(
            &name,
            &inputs,
            F32_KERNEL,
            |t| {
                conv2d_multi_fused(
                    &[&t[0], &t[1]],
                    &t[2],
                    Some(&t[3]),
                    Epilogue::lrelu(0.2),
                    imp,
                )
            },
            |v| {
                let x = cat(&[&v[0], &v[1]], &chans, n, h * w);
                let y = reference::forward(&x, [n, 12, h, w], &v[2], ws, Some(&v[3]));
                act_ref::leaky_relu(&y, 0.2f32 as f64)
            },
        );
    }
    let x = sralign::Tensor::zeros(&gpu, &[1, 4, 4, 4]).unwrap();
    let wt = sralign::Tensor::zeros(&gpu, &[4, 4, 3, 3]).unwrap();
    let e =
        conv2d_multi_fused(&[&x], &wt, None, Epilogue::lrelu(-0.1), ConvImpl::Auto).unwrap_err();
    assert!(e.to_string().contains("slope"), "{e}");
    for bad in [0.0, -1.0, f32::NAN, f32::INFINITY] {
        let e = conv2d_multi_fused(&[&x], &wt, None, Epilogue::scaled(bad), ConvImpl::Auto);
        assert!(e.unwrap_err().to_string().contains("scale"), "scale {bad}");
    }
}

/// pixel_shuffle(leaky_relu(conv2d_multi(..)), 2) with the shuffle fused into the
/// convolution's store and its inverse into the packing of dout, against the reference conv,
/// LeakyReLU, then pixel shuffle: one part at 16 input channels (as the tiny SRResNet's
/// upsampler: Small's weight gradient under Auto), two parts, and 12 output channels at a
/// height that is not a multiple of 4 (the store's row bound), a 5x5 kernel (the general
/// texture kernel's store, padding 2 in the pack). Output channels that are not a multiple of
/// 4 are an error; a width that is not a multiple of 4 takes the unfused path.
#[test]
fn fused_pixel_shuffle_matches_conv_activation_then_shuffle() {
    let gpu = gpu();
    // (parts' channels, Cout, H, W, kernel size)
    let cases: [(&[usize], usize, usize, usize, usize); 5] = [
        (&[16], 8, 3, 8, 3),
        (&[4, 8], 12, 5, 8, 3),
        (&[4], 4, 4, 8, 3),
        (&[4], 8, 3, 6, 3),
        (&[4, 4], 8, 6, 8, 5),
    ];
    for (chans, cout, h, w, ks) in cases {
        let n = 2;
        let cin: usize = chans.iter().sum();
        let ws = [cout, cin, ks, ks];
        let bias: Vec<f32> = (0..cout)
            .map(|i| if i % 2 == 0 { 2.0 } else { -2.0 })
            .collect();
        let mut inputs: Vec<Input> = chans.iter().map(|c| input(&[n, *c, h, w])).collect();
        // Small weights keep |conv| well below the bias of +-2: outputs far from the kink.
        let a = 0.45 / (ks * ks) as f32;
        inputs.push(input_init(&ws, Init::Uniform(-a, a)));
        inputs.push(input_init(&[cout], Init::Given(bias)));
        let k = chans.len();
        for imp in [
            ConvImpl::Auto,
            ConvImpl::Texture,
            ConvImpl::Small,
            ConvImpl::Buffer,
        ] {
            let name =
                format!("conv2d_multi_lrelu_shuffle {chans:?} -> {cout} {h}x{w} k{ks} {imp:?}");
            if matches!(imp, ConvImpl::Texture | ConvImpl::Small)
                && !texture_kernels_or_skip(&gpu, &name)
            {
                continue;
            }
            check_op(
                &name,
                &inputs,
                F32_KERNEL,
                |t| {
                    let xs: Vec<_> = t[..k].iter().collect();
                    conv2d_multi_fused(
                        &xs,
                        &t[k],
                        Some(&t[k + 1]),
                        Epilogue::lrelu(0.2).shuffled(),
                        imp,
                    )
                },
                |v| {
                    let parts: Vec<&[f64]> = v[..k].iter().map(|p| &p[..]).collect();
                    let x = cat(&parts, chans, n, h * w);
                    let y = reference::forward(&x, [n, cin, h, w], &v[k], ws, Some(&v[k + 1]));
                    let y = act_ref::leaky_relu(&y, 0.2f32 as f64);
                    shuffle_ref::pixel_shuffle(&y, [n, cout, h, w], 2)
                },
            );
        }
    }
    // Without the activation (MSRN's upsampler): the pack's mask is slope 1.
    let inputs = vec![input(&[2, 8, 3, 8]), input(&[8, 8, 3, 3]), input(&[8])];
    for imp in [ConvImpl::Auto, ConvImpl::Texture, ConvImpl::Buffer] {
        let name = format!("conv2d_multi_shuffle {imp:?}");
        if imp == ConvImpl::Texture && !texture_kernels_or_skip(&gpu, &name) {
            continue;
        }
        check_op(
            &name,
            &inputs,
            F32_KERNEL,
            |t| {
                conv2d_multi_fused(
                    &[&t[0]],
                    &t[1],
                    Some(&t[2]),
                    Epilogue::default().shuffled(),
                    imp,
                )
            },
            |v| {
                let y = reference::forward(&v[0], [2, 8, 3, 8], &v[1], [8, 8, 3, 3], Some(&v[2]));
                shuffle_ref::pixel_shuffle(&y, [2, 8, 3, 8], 2)
            },
        );
    }
    let x = sralign::Tensor::zeros(&gpu, &[1, 4, 4, 4]).unwrap();
    let wt = sralign::Tensor::zeros(&gpu, &[6, 4, 3, 3]).unwrap();
    let e = conv2d_multi_fused(
        &[&x],
        &wt,
        None,
        Epilogue::lrelu(0.1).shuffled(),
        ConvImpl::Auto,
    )
    .unwrap_err();
    assert!(e.to_string().contains("multiple of 4"), "{e}");
    let e = conv2d_multi_fused(
        &[&x],
        &wt,
        None,
        Epilogue::default().shuffled(),
        ConvImpl::Auto,
    )
    .unwrap_err();
    assert!(e.to_string().contains("multiple of 4"), "{e}");
}

/// The fused Winograd path (forced `ConvImpl::Winograd`; `Auto` takes it for one part at 64
/// -> 64 on a CPU adapter): Winograd's forward from the packed parts with the epilogue in its
/// store, its input gradient from the packed dout (g), the texture kernels' weight and bias
/// gradients. Odd heights leave half-empty tiles at the bottom; tile counts are not multiples
/// of the GEMM's 32; with and without bias; ReLU (slope 0), LeakyReLU 0.1, a scaling, none.
#[test]
fn fused_winograd_matches_conv_then_epilogue() {
    let gpu = gpu();
    if !texture_kernels_or_skip(&gpu, "conv2d_multi fused Winograd") {
        return;
    }
    #[derive(Clone, Copy, Debug)]
    enum Ep {
        None,
        Lrelu(f32),
        Scale(f32),
    }
    // (parts' channels, Cout, H, W, bias, epilogue)
    type Case = (&'static [usize], usize, usize, usize, bool, Ep);
    let cases: [Case; 6] = [
        (&[8], 8, 5, 8, true, Ep::Lrelu(0.0)),
        (&[8], 12, 3, 4, false, Ep::Lrelu(0.1)),
        (&[4, 8], 8, 7, 8, true, Ep::Lrelu(0.1)),
        (&[8], 8, 5, 12, true, Ep::Scale(0.2)),
        (&[12], 4, 6, 8, false, Ep::Scale(0.5)),
        (&[4, 4], 8, 3, 8, true, Ep::None),
    ];
    for (chans, cout, h, w, has_bias, ep) in cases {
        let n = 2;
        let cin: usize = chans.iter().sum();
        let ws = [cout, cin, 3, 3];
        // Positive inputs, and output channel o's weights (0.02..0.05) and bias (2) of sign
        // (-1)^o: |y| >= 0.3 (4 taps at a corner), on both sides of the activation's kink and
        // far from it for the finite differences, with or without the bias.
        let sign = |o: usize| if o.is_multiple_of(2) { 1.0f32 } else { -1.0 };
        let per = cin * 9;
        let wv: Vec<f32> = (0..cout * per)
            .map(|i| sign(i / per) * (0.02 + 0.03 * ((i * 37) % 101) as f32 / 101.0))
            .collect();
        let bias: Vec<f32> = (0..cout).map(|o| 2.0 * sign(o)).collect();
        let mut inputs: Vec<Input> = chans
            .iter()
            .map(|c| input_init(&[n, *c, h, w], Init::Uniform(0.25, 1.0)))
            .collect();
        inputs.push(input_init(&ws, Init::Given(wv)));
        if has_bias {
            inputs.push(input_init(&[cout], Init::Given(bias)));
        }
        let k = chans.len();
        let name =
            format!("conv2d_multi Winograd {chans:?} -> {cout} {h}x{w} bias {has_bias} {ep:?}");
        check_op(
            &name,
            &inputs,
            F32_KERNEL,
            |t| {
                let xs: Vec<_> = t[..k].iter().collect();
                let b = t.get(k + 1);
                let imp = ConvImpl::Winograd;
                match ep {
                    Ep::None => conv2d_multi_with(&xs, &t[k], b, imp),
                    Ep::Lrelu(s) => conv2d_multi_fused(&xs, &t[k], b, Epilogue::lrelu(s), imp),
                    Ep::Scale(s) => conv2d_multi_fused(&xs, &t[k], b, Epilogue::scaled(s), imp),
                }
            },
            |v| {
                let parts: Vec<&[f64]> = v[..k].iter().map(|p| &p[..]).collect();
                let x = cat(&parts, chans, n, h * w);
                let b = v.get(k + 1).map(|b| &b[..]);
                let y = reference::forward(&x, [n, cin, h, w], &v[k], ws, b);
                match ep {
                    Ep::None => y,
                    Ep::Lrelu(s) => act_ref::leaky_relu(&y, s as f64),
                    Ep::Scale(s) => y.iter().map(|v| v * s as f64).collect(),
                }
            },
        );
    }
}

/// `Auto` on a CPU adapter runs a 64 -> 64 conv2d_multi on the fused Winograd path (one
/// dispatch more than the texture path's 3 in an unrecorded forward: the V transform), with
/// the same values as forced Winograd; `conv2d_multi_texture_only` keeps the texture path.
#[test]
fn auto_takes_fused_winograd_at_64_channels_on_a_cpu_adapter() {
    let gpu = gpu();
    if !gpu.is_cpu() || !texture_kernels_or_skip(&gpu, "conv2d_multi Auto at 64 -> 64") {
        note("SKIPPED conv2d_multi Auto at 64 -> 64: not a CPU adapter");
        return;
    }
    let x = sralign::Tensor::full(&gpu, &[1, 64, 6, 8], 0.5).unwrap();
    let wt = sralign::Tensor::full(&gpu, &[64, 64, 3, 3], 0.01).unwrap();
    let count = |f: &dyn Fn() -> sralign::Tensor| {
        let d0 = gpu.dispatch_count();
        let y = f().to_vec().unwrap();
        (gpu.dispatch_count() - d0, y)
    };
    let (auto, ya) = count(&|| {
        conv2d_multi_fused(&[&x], &wt, None, Epilogue::lrelu(0.1), ConvImpl::Auto).unwrap()
    });
    let (forced, yw) = count(&|| {
        conv2d_multi_fused(&[&x], &wt, None, Epilogue::lrelu(0.1), ConvImpl::Winograd).unwrap()
    });
    let (texture, _) =
        count(&|| conv2d_multi_texture_only(&[&x], &wt, None, Epilogue::lrelu(0.1)).unwrap());
    // Without the tape: packing, U and V in one dispatch, the GEMM; packing, weights, conv.
    assert_eq!((auto, forced, texture), (3, 3, 3));
    assert_eq!(ya, yw);
}

/// Whether the Winograd paths under test run here: a CPU adapter (where `Auto` picks them)
/// with the texture kernels; else noted as skipped.
fn cpu_with_texture_kernels_or_skip(gpu: &sralign::Gpu, what: &str) -> bool {
    if !gpu.is_cpu() {
        note(&format!("SKIPPED {what}: not a CPU adapter"));
        return false;
    }
    texture_kernels_or_skip(gpu, what)
}

/// Kernel rows (op [entry], ms, dispatches) of a profiled forward and backward of `run` on
/// `ts`; None (noted) where the adapter has no timestamp queries.
fn profile_run(
    gpu: &sralign::Gpu,
    what: &str,
    ts: &[sralign::Tensor],
    run: impl Fn(&[sralign::Tensor]) -> sralign::Result<sralign::Tensor>,
) -> Option<Vec<(String, f64, u64)>> {
    if gpu.set_profiling(true).is_err() {
        note(&format!(
            "SKIPPED {what}'s kernel names: no timestamp queries"
        ));
        return None;
    }
    let out = run(ts).unwrap();
    sralign::autograd::backward(&sralign::ops::reduce::sum(&out).unwrap()).unwrap();
    let rows = gpu.take_profile().unwrap();
    gpu.set_profiling(false).unwrap();
    Some(rows)
}

/// Dispatches of the shader entry `kernel` in profile rows.
fn dispatches(rows: &[(String, f64, u64)], kernel: &str) -> u64 {
    rows.iter()
        .filter(|r| r.0.contains(&format!("[{kernel}]")))
        .map(|r| r.2)
        .sum()
}

/// `Auto` on a CPU adapter gives a dense block's multi-part convs with 96-192 input channels
/// and 32-64 outputs Winograd's input gradient (their forward stays the texture kernel's), the
/// GEMM storing each part's channels onto the gradient the tape holds for it where 10 storage
/// buffers may be bound (else dx, then the pass that splits it): z = 0.5 conv(x ++ y) (96 ->
/// 32), out = 0.2 conv(x ++ y ++ z) (128 -> 64), so x's and y's gradients from the second conv
/// are held when the first conv's backward adds onto them. Odd height: half-empty tiles.
#[test]
fn auto_takes_winograd_input_gradient_for_dense_block_convs() {
    let gpu = gpu();
    let what = "conv2d_multi Auto dense block";
    if !cpu_with_texture_kernels_or_skip(&gpu, what) {
        return;
    }
    let (n, h, w) = (1, 3, 4);
    let w1s = [32, 96, 3, 3];
    let w2s = [64, 128, 3, 3];
    let inputs = vec![
        input(&[n, 64, h, w]),
        input(&[n, 32, h, w]),
        input(&w1s),
        input(&[32]),
        input(&w2s),
        input(&[64]),
    ];
    let run = |t: &[sralign::Tensor]| {
        let auto = ConvImpl::Auto;
        let z = conv2d_multi_fused(
            &[&t[0], &t[1]],
            &t[2],
            Some(&t[3]),
            Epilogue::scaled(0.5),
            auto,
        )?;
        let parts = [&t[0], &t[1], &z];
        conv2d_multi_fused(&parts, &t[4], Some(&t[5]), Epilogue::scaled(0.2), auto)
    };
    check_op(what, &inputs, F32_KERNEL, run, |v| {
        let hw = h * w;
        let xy = cat(&[&v[0], &v[1]], &[64, 32], n, hw);
        let z: Vec<f64> = reference::forward(&xy, [n, 96, h, w], &v[2], w1s, Some(&v[3]))
            .iter()
            .map(|v| 0.5 * v)
            .collect();
        let xyz = cat(&[&v[0], &v[1], &z], &[64, 32, 32], n, hw);
        reference::forward(&xyz, [n, 128, h, w], &v[4], w2s, Some(&v[5]))
            .iter()
            .map(|v| 0.2 * v)
            .collect()
    });
    // Which kernels ran, from a profiled forward and backward (skipped without timestamps).
    let ts: Vec<sralign::Tensor> = inputs
        .iter()
        .map(|i| {
            let t = sralign::Tensor::full(&gpu, &i.shape, 0.1).unwrap();
            t.set_requires_grad(true);
            t
        })
        .collect();
    let Some(rows) = profile_run(&gpu, what, &ts, run) else {
        return;
    };
    let count = |kernel: &str| dispatches(&rows, kernel);
    // With fewer storage buffers (WebGPU's default 8) dx is written, then split per part.
    let parts = gpu.limits().max_storage_buffers_per_shader_stage >= 10;
    let (by_parts, whole) = if parts { (2, 0) } else { (0, 2) };
    assert_eq!(
        (count("wino_dx_parts"), count("wino_forward")),
        (by_parts, whole),
        "{rows:?}"
    );
    if parts {
        assert_eq!(
            count("conv2d_grad_slices") + count("conv2d_grad_slice"),
            0,
            "{rows:?}"
        );
    }
    assert_eq!(count("conv2d_forward_tex3"), 2, "{rows:?}");
}

#[test]
fn dense_block_stack_shares_winograd_input_transforms() {
    // Three convs of a dense block through a FeatureStack (64 -> 32, 96 -> 32, 128 -> 64, as
    // RRDBNet's first, second and last): Winograd's forward from one V texture that each
    // feature is transformed into once (the second and third convs transform only their
    // newest 32 channels), against the f64 reference of the convs on the concatenations,
    // with finite differences through all three (scaled, not activated: a finite difference
    // through a chain of LeakyReLUs crosses their kinks; the activation in the same store is
    // checked by fused_winograd_matches_conv_then_epilogue). The block's residual adds x, as
    // RRDBNet's does: x's gradient is held when the stack's shared input gradient passes it
    // on (conv2d_multi.rs `Chain`).
    let gpu = gpu();
    let what = "conv2d_stack dense block";
    if !cpu_with_texture_kernels_or_skip(&gpu, what) {
        return;
    }
    let (n, h, w) = (2, 3, 4);
    let ws = [[32, 64, 3, 3], [32, 96, 3, 3], [64, 128, 3, 3]];
    let inputs = vec![
        input(&[n, 64, h, w]),
        input(&ws[0]),
        input(&[32]),
        input(&ws[1]),
        input(&[32]),
        input(&ws[2]),
        input(&[64]),
    ];
    let run = |t: &[sralign::Tensor]| {
        let mut st = FeatureStack::new(&t[0], 160);
        let f1 = conv2d_stack(&mut st, &t[1], Some(&t[2]), Epilogue::scaled(0.5))?;
        st.push(&f1);
        let f2 = conv2d_stack(&mut st, &t[3], Some(&t[4]), Epilogue::scaled(0.5))?;
        st.push(&f2);
        let y = conv2d_stack(&mut st, &t[5], Some(&t[6]), Epilogue::scaled(0.2))?;
        sralign::ops::binary::add(&y, &t[0])
    };
    let hw = h * w;
    let reference = |v: &[Vec<f64>]| {
        let conv = |x: &[f64], c: usize, i: usize| {
            reference::forward(x, [n, c, h, w], &v[2 * i + 1], ws[i], Some(&v[2 * i + 2]))
        };
        let half = |y: Vec<f64>| y.iter().map(|y| 0.5 * y).collect::<Vec<f64>>();
        let f1 = half(conv(&v[0], 64, 0));
        let x1 = cat(&[&v[0], &f1], &[64, 32], n, hw);
        let f2 = half(conv(&x1, 96, 1));
        let x2 = cat(&[&v[0], &f1, &f2], &[64, 32, 32], n, hw);
        conv(&x2, 128, 2)
            .iter()
            .zip(&v[0])
            .map(|(y, x)| 0.2 * y + x)
            .collect::<Vec<f64>>()
    };
    check_op(what, &inputs, F32_KERNEL, run, reference);
    // Without the tape (inference) V is transformed in its own pass: the same values.
    let ts: Vec<sralign::Tensor> = inputs
        .iter()
        .enumerate()
        .map(|(i, inp)| {
            let v: Vec<f32> = (0..inp.shape.iter().product::<usize>())
                .map(|j| ((i * 31 + j * 7) % 19) as f32 / 19.0 - 0.5)
                .collect();
            sralign::Tensor::from_slice(&gpu, &inp.shape, &v).unwrap()
        })
        .collect();
    let got = {
        let _g = sralign::autograd::no_grad();
        run(&ts).unwrap().to_vec().unwrap()
    };
    let v64: Vec<Vec<f64>> = ts
        .iter()
        .map(|t| t.to_vec().unwrap().iter().map(|x| *x as f64).collect())
        .collect();
    let want = reference(&v64);
    let worst = want
        .iter()
        .zip(&got)
        .map(|(a, b)| (a - *b as f64).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-4, "{what} without the tape: off by {worst}");
    // Which kernels ran, from a profiled forward and backward (skipped without timestamps).
    for t in &ts {
        t.set_requires_grad(true);
    }
    let Some(rows) = profile_run(&gpu, what, &ts, run) else {
        return;
    };
    let count = |kernel: &str| dispatches(&rows, kernel);
    // The forward's weights and V in one dispatch per conv, then the GEMM; no direct kernel.
    assert_eq!(count("wino_weight2"), 3, "{rows:?}");
    assert_eq!(count("conv2d_forward_tex3"), 0, "{rows:?}");
    // Where the part-by-part store runs (the convs link into the chain): each conv's
    // gradient transforms in one dispatch (the features' at the first), then the weight
    // gradient's 16 GEMMs and G^T . G with the bias gradient; no texture weight gradient.
    if gpu.limits().max_storage_buffers_per_shader_stage >= 10 {
        assert_eq!(count("wino_grad_transforms"), 3, "{rows:?}");
        assert_eq!(count("matmul_tex"), 3, "{rows:?}");
        assert_eq!(count("wino_weight_grad"), 3, "{rows:?}");
        assert_eq!(count("conv2d_backward_weight_tex3"), 0, "{rows:?}");
    }
    // The forwards read the shared V in segments (the kernel with the segment loop); the
    // input gradients without 10 storage buffers are the plain kernel's, then split.
    assert_eq!(count("wino_forward_seg"), 3, "{rows:?}");
    let parts = gpu.limits().max_storage_buffers_per_shader_stage >= 10;
    let (by_parts, whole) = if parts { (3, 0) } else { (0, 3) };
    assert_eq!(
        (count("wino_dx_parts"), count("wino_forward")),
        (by_parts, whole),
        "{rows:?}"
    );
}

#[test]
fn dense_block_stack_input_gradients_when_a_later_conv_is_unused_or_the_chain_breaks() {
    // The stack's convs share their input gradients' GEMM (conv2d_multi.rs `Chain`): a
    // feature's whole gradient is computed by its first reader over every later reader's
    // transformed output gradient. Three cases off the dense block's path, each against the
    // f64 reference with finite differences:
    // (a) the last conv's output is not used, so its backward never runs and the others must
    //     sum over the convs that ran only (a full forward and backward runs first, so the
    //     pooled texture of the output gradients holds that conv's stale values);
    // (b) the first conv's output is dropped, not pushed, and a leaf z pushed instead: the
    //     convs do not form a chain, the first conv's backward never runs, and the second
    //     must give x its gradient itself;
    // (c) x needs no gradient: the first conv's backward gives its weights' only.
    // The dropped convs have constant weights (no gradient reaches them).
    let gpu = gpu();
    let what = "conv2d_stack unused conv, broken chain";
    if !cpu_with_texture_kernels_or_skip(&gpu, what) {
        return;
    }
    let (n, h, w) = (2, 3, 4);
    let hw = h * w;
    let ws = [[32, 64, 3, 3], [32, 96, 3, 3]];
    let conv = |x: &[f64], c: usize, wt: &[f64], b: &[f64], i: usize| {
        reference::forward(x, [n, c, h, w], wt, ws[i], Some(b))
    };
    let half = |y: Vec<f64>| y.iter().map(|y| 0.5 * y).collect::<Vec<f64>>();
    let fixed = |t: &sralign::Tensor, shape: &[usize]| sralign::Tensor::full(t.gpu(), shape, 0.01);
    // (a) x, w1, b1, w2, b2; a third conv (128 -> 64) runs, but the result is f2.
    let inputs = vec![
        input(&[n, 64, h, w]),
        input(&ws[0]),
        input(&[32]),
        input(&ws[1]),
        input(&[32]),
    ];
    let block = |t: &[sralign::Tensor]| {
        let mut st = FeatureStack::new(&t[0], 160);
        let f1 = conv2d_stack(&mut st, &t[1], Some(&t[2]), Epilogue::scaled(0.5))?;
        st.push(&f1);
        let f2 = conv2d_stack(&mut st, &t[3], Some(&t[4]), Epilogue::scaled(0.5))?;
        st.push(&f2);
        let w3 = fixed(&t[0], &[64, 128, 3, 3])?;
        let y = conv2d_stack(&mut st, &w3, None, Epilogue::scaled(0.2))?;
        Ok((f2, y))
    };
    check_op(
        "conv2d_stack last conv unused",
        &inputs,
        F32_KERNEL,
        |t| {
            let (_, y) = block(t)?;
            sralign::autograd::backward(&sralign::ops::reduce::sum(&y)?)?;
            Ok(block(t)?.0)
        },
        |v| {
            let f1 = half(conv(&v[0], 64, &v[1], &v[2], 0));
            let x1 = cat(&[&v[0], &f1], &[64, 32], n, hw);
            half(conv(&x1, 96, &v[3], &v[4], 1))
        },
    );
    // (b) x, w2, b2, z: y1 = conv1(x) dropped; the result is conv2([x, z]).
    let inputs = vec![
        input(&[n, 64, h, w]),
        input(&ws[1]),
        input(&[32]),
        input(&[n, 32, h, w]),
    ];
    check_op(
        "conv2d_stack broken chain",
        &inputs,
        F32_KERNEL,
        |t| {
            let mut st = FeatureStack::new(&t[0], 160);
            let (w1, b1) = (fixed(&t[0], &ws[0])?, fixed(&t[0], &[32])?);
            conv2d_stack(&mut st, &w1, Some(&b1), Epilogue::scaled(0.5))?;
            st.push(&t[3]);
            conv2d_stack(&mut st, &t[1], Some(&t[2]), Epilogue::scaled(0.5))
        },
        |v| {
            half(conv(
                &cat(&[&v[0], &v[3]], &[64, 32], n, hw),
                96,
                &v[1],
                &v[2],
                1,
            ))
        },
    );
    // (c) as (a) with x a constant, the result f2.
    let mut inputs = vec![
        input(&[n, 64, h, w]),
        input(&ws[0]),
        input(&[32]),
        input(&ws[1]),
        input(&[32]),
    ];
    inputs[0] = constant(&[n, 64, h, w], Init::Uniform(-1.0, 1.0));
    check_op(
        "conv2d_stack x without gradient",
        &inputs,
        F32_KERNEL,
        |t| Ok(block(t)?.0),
        |v| {
            let f1 = half(conv(&v[0], 64, &v[1], &v[2], 0));
            let x1 = cat(&[&v[0], &f1], &[64, 32], n, hw);
            half(conv(&x1, 96, &v[3], &v[4], 1))
        },
    );
}

/// The texture path again at 4-lane subgroups (falls back to buffers), on GL, and under
/// WebGPU's default limits.
#[test]
fn child_runs_other_lane_widths_backends_and_limits() {
    run_children(&[Child::Lanes4, Child::Gl, Child::DefaultLimits]);
}
