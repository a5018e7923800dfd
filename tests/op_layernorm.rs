mod common;
use common::*;
use sralign::ops::layernorm::{self, reference};
use sralign::Tensor;

#[test]
fn layernorm_matches_reference_and_gradients() {
    let (m, c) = (11, 7);
    check_op(
        "layernorm 11x7",
        &[
            input(&[m, c]),
            input_init(&[c], Init::Uniform(0.5, 1.5)),
            input(&[c]),
        ],
        F32_KERNEL,
        |t| layernorm::layernorm(&t[0], &t[1], &t[2], 1e-5),
        |x| reference::layernorm(&x[0], &x[1], &x[2], 1e-5),
    );
}

#[test]
fn layernorm_many_rows_chunked_reduction() {
    // 150 rows: three chunks of the parameter-gradient reduction, the last one partial.
    let (m, c) = (150, 5);
    check_op(
        "layernorm 150x5",
        &[input(&[m, c]), input(&[c]), input(&[c])],
        F32_KERNEL,
        |t| layernorm::layernorm(&t[0], &t[1], &t[2], 1e-5),
        |x| reference::layernorm(&x[0], &x[1], &x[2], 1e-5),
    );
}

#[test]
fn layernorm_backward_is_deterministic() {
    let gpu = gpu();
    let (m, c) = (300, 9);
    let xv: Vec<f32> = (0..m * c)
        .map(|i| ((i * 31 % 17) as f32) / 7.0 - 1.0)
        .collect();
    let dv: Vec<f32> = (0..m * c)
        .map(|i| ((i * 13 % 23) as f32) / 11.0 - 1.0)
        .collect();
    let x = Tensor::from_slice(&gpu, &[m, c], &xv).unwrap();
    let dy = Tensor::from_slice(&gpu, &[m, c], &dv).unwrap();
    let g = Tensor::full(&gpu, &[c], 1.5).unwrap();
    let b = Tensor::zeros(&gpu, &[c]).unwrap();
    let run = || {
        let (_, stats) = layernorm::layernorm_forward(&x, &g, &b, 1e-5).unwrap();
        let (dg, db) = layernorm::layernorm_backward_params(&dy, &x, &stats).unwrap();
        let dx = layernorm::layernorm_backward_input(&dy, &x, &g, &stats).unwrap();
        (
            dg.to_vec().unwrap(),
            db.to_vec().unwrap(),
            dx.to_vec().unwrap(),
        )
    };
    assert_eq!(run(), run());
}

#[test]
fn bad_shapes_are_typed_errors() {
    let gpu = gpu();
    let x = Tensor::zeros(&gpu, &[4, 5]).unwrap();
    let g = Tensor::zeros(&gpu, &[6]).unwrap();
    let b = Tensor::zeros(&gpu, &[5]).unwrap();
    let e = layernorm::layernorm(&x, &g, &b, 1e-5)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("layernorm_forward") && e.contains("[4, 5]") && e.contains("[6]"),
        "{e}"
    );
    let x3 = Tensor::zeros(&gpu, &[2, 4, 5]).unwrap();
    let e = layernorm::layernorm(&x3, &b, &b, 1e-5)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("layernorm_forward") && e.contains("[2, 4, 5]"),
        "{e}"
    );
    let e = layernorm::layernorm(&x, &b, &b, 0.0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("layernorm_forward") && e.contains("eps"), "{e}");
}

#[test]
fn layernorm_vec4_rows_match_reference_and_gradients() {
    // C % 4 == 0 takes the vec4 kernels; 150 rows span three reduction chunks.
    let (m, c) = (150, 12);
    check_op(
        "layernorm 150x12",
        &[
            input(&[m, c]),
            input_init(&[c], Init::Uniform(0.5, 1.5)),
            input(&[c]),
        ],
        F32_KERNEL,
        |t| layernorm::layernorm(&t[0], &t[1], &t[2], 1e-5),
        |x| reference::layernorm(&x[0], &x[1], &x[2], 1e-5),
    );
}

/// Forward and backward outputs of one device, read back.
fn run_all(gpu: &sralign::Gpu, m: usize, c: usize) -> Vec<Vec<f32>> {
    let v = |n: usize, k: usize| -> Vec<f32> {
        (0..n)
            .map(|i| (((i * k + 3) % 29) as f32) / 9.0 - 1.5)
            .collect()
    };
    let x = Tensor::from_slice(gpu, &[m, c], &v(m * c, 31)).unwrap();
    let dy = Tensor::from_slice(gpu, &[m, c], &v(m * c, 17)).unwrap();
    let g = Tensor::from_slice(gpu, &[c], &v(c, 7)).unwrap();
    let b = Tensor::from_slice(gpu, &[c], &v(c, 5)).unwrap();
    let (y, stats) = layernorm::layernorm_forward(&x, &g, &b, 1e-5).unwrap();
    let (dg, db) = layernorm::layernorm_backward_params(&dy, &x, &stats).unwrap();
    let dx = layernorm::layernorm_backward_input(&dy, &x, &g, &stats).unwrap();
    [y, stats, dx, dg, db]
        .iter()
        .map(|t| t.to_vec().unwrap())
        .collect()
}

#[test]
fn split_launches_match_unsplit() {
    // A 4 KiB binding limit (1024 floats) splits 300 rows into blocks of whole
    // reduction chunks; results must be bit-identical, scalar (C = 9) and vec4 (C = 12).
    let small = sralign::Gpu::with_options(sralign::gpu::GpuOptions {
        max_storage_binding: Some(4096),
        ..Default::default()
    })
    .unwrap();
    let full = gpu();
    for c in [9, 12] {
        assert_eq!(run_all(&full, 300, c), run_all(&small, 300, c), "C = {c}");
    }
}

/// This file's tests again on wgpu's GL backend and under WebGPU's default limits.
#[test]
fn child_runs_on_gl_and_default_limits() {
    run_children(&[Child::Gl, Child::DefaultLimits]);
}
