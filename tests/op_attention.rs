mod common;
use common::*;
use sralign::ops::attention::{self, reference};
use sralign::ops::matmul::{self, MatmulKernel};
use sralign::Tensor;

fn check(shift: usize) {
    // 2 heads x head_dim 3 (C = 6), window 4 on an 8 x 12 map, batch 2: 12 windows of 16 tokens.
    let (heads, hd, win, h, w, batch) = (2, 3, 4, 8, 12, 2);
    let c = heads * hd;
    let windows = batch * (h / win) * (w / win);
    let n = win * win;
    let span = 2 * win - 1;
    // The products run on matmul's kernels: check both.
    for kern in [MatmulKernel::Texture, MatmulKernel::Buffer] {
        let what = format!("window_attention shift {shift} {kern:?}");
        if kern == MatmulKernel::Texture && !texture_kernels_or_skip(&gpu(), &what) {
            continue;
        }
        let prev = matmul::set_kernel(kern);
        check_op(
            &format!("window_attention shift {shift} {kern:?}"),
            &[
                input_init(&[windows, n, 3 * c], Init::Uniform(-1.5, 1.5)),
                input_init(&[span * span, heads], Init::Uniform(-0.5, 0.5)),
            ],
            F32_LOOSE,
            |t| attention::window_attention(&t[0], &t[1], heads, win, shift, h, w),
            |x| reference::window_attention(&x[0], &x[1], windows, heads, win, shift, h, w),
        );
        matmul::set_kernel(prev);
    }
}

#[test]
fn window_attention_no_shift() {
    check(0);
}

#[test]
fn window_attention_shift_2() {
    check(2);
}

#[test]
fn shift_mask_matches_swinir_regions() {
    // 8x8 map, window 4, shift 2: the last window (bottom right) mixes 4 regions.
    let m = reference::shift_mask(8, 8, 4, 2);
    let n = 16;
    assert!(
        m[..n * n].iter().all(|v| *v == 0.0),
        "top-left window is unmasked"
    );
    let last = &m[3 * n * n..];
    assert_eq!(last[0], 0.0);
    assert_eq!(last[2], -100.0); // token (0,0) vs (0,2): regions 1 and 2 along x
    assert_eq!(last[8 * n], -100.0); // token (2,0) vs (0,0)
}

#[test]
fn backward_is_deterministic() {
    let gpu = gpu();
    let (heads, win, h, w) = (2, 4, 8, 8);
    let (windows, n, c) = (4, 16, 6);
    let qv: Vec<f32> = (0..windows * n * 3 * c)
        .map(|i| ((i * 37 % 29) as f32) / 14.0 - 1.0)
        .collect();
    let tv: Vec<f32> = (0..49 * heads)
        .map(|i| ((i * 7 % 11) as f32) / 10.0)
        .collect();
    let dv: Vec<f32> = (0..windows * n * c)
        .map(|i| ((i * 13 % 17) as f32) / 8.0 - 1.0)
        .collect();
    let qkv = Tensor::from_slice(&gpu, &[windows, n, 3 * c], &qv).unwrap();
    let table = Tensor::from_slice(&gpu, &[49, heads], &tv).unwrap();
    let dout = Tensor::from_slice(&gpu, &[windows, n, c], &dv).unwrap();
    let run = || {
        let (_, probs) =
            attention::window_attention_forward(&qkv, &table, heads, win, 2, h, w).unwrap();
        let (dq, dt) =
            attention::window_attention_backward(&dout, &qkv, &table, &probs, heads, win, 2, h, w)
                .unwrap();
        (dq.to_vec().unwrap(), dt.to_vec().unwrap())
    };
    assert_eq!(run(), run());
}

#[test]
fn bad_shapes_are_typed_errors() {
    let gpu = gpu();
    let qkv = Tensor::zeros(&gpu, &[4, 16, 18]).unwrap();
    let table = Tensor::zeros(&gpu, &[49, 2]).unwrap();
    let e = attention::window_attention(&qkv, &table, 4, 4, 0, 8, 8)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("window_attention") && e.contains("[4, 16, 18]"),
        "{e}"
    );
    let e = attention::window_attention(&qkv, &table, 2, 4, 0, 8, 6)
        .unwrap_err()
        .to_string();
    assert!(e.contains("window_attention") && e.contains("8x6"), "{e}");
    let e = attention::window_attention(&qkv, &table, 2, 4, 4, 8, 8)
        .unwrap_err()
        .to_string();
    assert!(e.contains("shift"), "{e}");
    let bad_table = Tensor::zeros(&gpu, &[36, 2]).unwrap();
    let e = attention::window_attention(&qkv, &bad_table, 2, 4, 0, 8, 8)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("window_attention") && e.contains("[36, 2]"),
        "{e}"
    );
    let e = attention::window_attention(&qkv, &table, 2, 4, 0, 8, 12)
        .unwrap_err()
        .to_string();
    assert!(e.contains("windows"), "{e}");
}

/// Forward and backward of window attention on one device, read back.
fn attention_all(gpu: &sralign::Gpu) -> Vec<Vec<f32>> {
    let (heads, win, h, w) = (2, 4, 8, 12);
    let (windows, n, c) = (12, 16, 6);
    let v = |len: usize, k: usize| -> Vec<f32> {
        (0..len)
            .map(|i| (((i * k + 5) % 31) as f32) / 15.0 - 1.0)
            .collect()
    };
    let qkv = Tensor::from_slice(gpu, &[windows, n, 3 * c], &v(windows * n * 3 * c, 37)).unwrap();
    let table = Tensor::from_slice(gpu, &[49, heads], &v(49 * heads, 7)).unwrap();
    let dout = Tensor::from_slice(gpu, &[windows, n, c], &v(windows * n * c, 13)).unwrap();
    let (out, probs) =
        attention::window_attention_forward(&qkv, &table, heads, win, 2, h, w).unwrap();
    let (dq, dt) =
        attention::window_attention_backward(&dout, &qkv, &table, &probs, heads, win, 2, h, w)
            .unwrap();
    [out, probs, dq, dt]
        .iter()
        .map(|t| t.to_vec().unwrap())
        .collect()
}

#[test]
fn split_launches_match_unsplit() {
    // A 4 KiB limit (1024 floats): qkv (3456), probabilities and dS (6144) and the outputs
    // all exceed it; every launch splits, results bit-identical, both matmul kernels.
    let small = sralign::Gpu::with_options(sralign::gpu::GpuOptions {
        max_storage_binding: Some(4096),
        ..Default::default()
    })
    .unwrap();
    let full = gpu();
    for kern in [MatmulKernel::Texture, MatmulKernel::Buffer] {
        if kern == MatmulKernel::Texture
            && !texture_kernels_or_skip(&full, "attention split launches (Texture)")
        {
            continue;
        }
        let prev = matmul::set_kernel(kern);
        let (a, b) = (attention_all(&full), attention_all(&small));
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            assert_eq!(x, y, "{kern:?} output {i} differs when split");
        }
        matmul::set_kernel(prev);
    }
}

/// Attention's products on matmul's texture kernel at 4-lane subgroups (not chosen: skipped,
/// named), at 8 and 32, on the buffer kernel on GL, everything under WebGPU's default limits.
#[test]
fn child_runs_other_lane_widths_backends_and_limits() {
    run_children(&[
        Child::Lanes4,
        Child::Lanes8,
        Child::Lanes32,
        Child::Gl,
        Child::DefaultLimits,
    ]);
}
