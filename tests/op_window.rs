mod common;
use common::*;
use sralign::ops::window::{self, reference};
use sralign::Tensor;

#[test]
fn nchw_tokens_roundtrip_and_gradients() {
    let (n, c, h, w) = (2, 6, 3, 5);
    check_op(
        "nchw_to_tokens",
        &[input(&[n, c, h, w])],
        STRICT,
        |t| window::nchw_to_tokens(&t[0]),
        |x| reference::nchw_to_tokens(&x[0], n, c, h * w),
    );
    check_op(
        "tokens_to_nchw",
        &[input(&[n, h * w, c])],
        STRICT,
        |t| window::tokens_to_nchw(&t[0], h, w),
        |x| reference::tokens_to_nchw(&x[0], n, c, h * w),
    );
}

#[test]
fn window_partition_and_reverse_match_reference() {
    for (h, w) in [(8, 8), (12, 8)] {
        for shift in [0, 2] {
            let (n, c, win) = (2, 6, 4);
            check_op(
                &format!("window_partition {h}x{w} shift {shift}"),
                &[input(&[n, h * w, c])],
                STRICT,
                |t| window::window_partition(&t[0], h, w, win, shift),
                |x| reference::window_partition(&x[0], n, h, w, c, win, shift),
            );
            check_op(
                &format!("window_reverse {h}x{w} shift {shift}"),
                &[input(&[n * (h / win) * (w / win), win * win, c])],
                STRICT,
                |t| window::window_reverse(&t[0], h, w, win, shift),
                |x| reference::window_reverse(&x[0], n, h, w, c, win, shift),
            );
        }
    }
}

#[test]
fn partition_then_reverse_is_identity() {
    let gpu = gpu();
    let (n, h, w, c) = (1, 12, 8, 5);
    let v: Vec<f32> = (0..n * h * w * c).map(|i| i as f32).collect();
    let t = Tensor::from_slice(&gpu, &[n, h * w, c], &v).unwrap();
    let p = window::window_partition_forward(&t, h, w, 4, 2).unwrap();
    let r = window::window_reverse_forward(&p, h, w, 4, 2).unwrap();
    assert_eq!(r.to_vec().unwrap(), v);
}

#[test]
fn bad_shapes_are_typed_errors() {
    let gpu = gpu();
    let t = Tensor::zeros(&gpu, &[1, 60, 3]).unwrap();
    let e = window::window_partition(&t, 6, 10, 4, 0)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("window_partition") && e.contains("[1, 60, 3]"),
        "{e}"
    );
    let e = window::window_partition(&t, 6, 9, 3, 0)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("window_partition") && e.contains("[6, 9]"),
        "{e}"
    );
    let e = window::window_partition(&t, 6, 10, 2, 2)
        .unwrap_err()
        .to_string();
    assert!(e.contains("shift"), "{e}");
    let x = Tensor::zeros(&gpu, &[5, 16, 3]).unwrap();
    let e = window::window_reverse(&x, 8, 8, 4, 0)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("window_reverse") && e.contains("[5, 16, 3]"),
        "{e}"
    );
    let e = window::tokens_to_nchw(&t, 7, 7).unwrap_err().to_string();
    assert!(
        e.contains("tokens_to_nchw") && e.contains("[1, 60, 3]"),
        "{e}"
    );
    let e = window::nchw_to_tokens(&t).unwrap_err().to_string();
    assert!(e.contains("nchw_to_tokens"), "{e}");
}

#[test]
fn vec4_layouts_match_reference() {
    // C % 4 == 0 (and H*W % 4 == 0) takes the vec4 kernels.
    let (n, c, h, w, win) = (2, 8, 8, 12, 4);
    check_op(
        "nchw_to_tokens C8",
        &[input(&[n, c, h, w])],
        STRICT,
        |t| window::nchw_to_tokens(&t[0]),
        |x| reference::nchw_to_tokens(&x[0], n, c, h * w),
    );
    check_op(
        "tokens_to_nchw C8",
        &[input(&[n, h * w, c])],
        STRICT,
        |t| window::tokens_to_nchw(&t[0], h, w),
        |x| reference::tokens_to_nchw(&x[0], n, c, h * w),
    );
    for shift in [0, 2] {
        check_op(
            &format!("window_partition C8 shift {shift}"),
            &[input(&[n, h * w, c])],
            STRICT,
            |t| window::window_partition(&t[0], h, w, win, shift),
            |x| reference::window_partition(&x[0], n, h, w, c, win, shift),
        );
    }
}

/// Every layout op of one device on the same data, read back.
fn layouts(gpu: &sralign::Gpu, n: usize, c: usize, h: usize, w: usize) -> Vec<Vec<f32>> {
    let v: Vec<f32> = (0..n * c * h * w).map(|i| i as f32).collect();
    let x = Tensor::from_slice(gpu, &[n, c, h, w], &v).unwrap();
    let t = Tensor::from_slice(gpu, &[n, h * w, c], &v).unwrap();
    let outs = [
        window::nchw_to_tokens_forward(&x).unwrap(),
        window::tokens_to_nchw_forward(&t, h, w).unwrap(),
        window::window_partition_forward(&t, h, w, 4, 2).unwrap(),
        window::window_reverse_forward(
            &window::window_partition_forward(&t, h, w, 4, 0).unwrap(),
            h,
            w,
            4,
            2,
        )
        .unwrap(),
    ];
    outs.iter().map(|o| o.to_vec().unwrap()).collect()
}

#[test]
fn split_launches_match_unsplit() {
    // A 4 KiB limit (1024 floats): images of 5 x 8 x 12 = 480 floats go in groups; images
    // of 12 x 16 x 8 = 1536 floats exceed it alone and take the masked block pairs.
    let small = sralign::Gpu::with_options(sralign::gpu::GpuOptions {
        max_storage_binding: Some(4096),
        ..Default::default()
    })
    .unwrap();
    let full = gpu();
    for (n, c, h, w) in [(5, 5, 8, 12), (3, 8, 8, 12), (2, 12, 16, 8), (2, 7, 12, 16)] {
        let (a, b) = (layouts(&full, n, c, h, w), layouts(&small, n, c, h, w));
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            assert_eq!(x, y, "op {i} of {n}x{c}x{h}x{w} differs when split");
        }
    }
}

/// This file's tests again on wgpu's GL backend and under WebGPU's default limits.
#[test]
fn child_runs_on_gl_and_default_limits() {
    run_children(&[Child::Gl, Child::DefaultLimits]);
}
