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
