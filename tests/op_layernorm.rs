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
