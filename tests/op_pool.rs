//! The ops LPIPS's networks add: general convolution (any square kernel, stride, zero padding),
//! max-pooling (k x k, stride s, floor mode) and unit-normalisation over channels. Forward vs
//! the f64 references and every gradient vs central differences, on shapes that are not
//! multiples of any tile; bad input gives typed errors.
mod common;
use common::*;
use sralign::ops::{channel_norm, conv2d_general as cg, max_pool};
use sralign::{Error, Tensor};

/// (x shape, cout, k, stride, pad, bias)
const CONVS: [([usize; 4], usize, usize, usize, usize, bool); 6] = [
    ([2, 3, 17, 15], 5, 11, 4, 2, true), // AlexNet's first layer, small
    ([1, 4, 9, 7], 3, 5, 2, 1, true),
    ([2, 3, 7, 5], 4, 3, 1, 0, false), // stride 1 but not pad k/2: the plain kernel
    ([1, 2, 8, 6], 3, 2, 2, 0, true),  // even kernel
    ([2, 3, 5, 4], 2, 1, 3, 0, true),
    ([1, 3, 6, 5], 2, 7, 1, 3, false),
];

fn conv_case(
    name: &str,
    (s, cout, k, stride, pad, bias): ([usize; 4], usize, usize, usize, usize, bool),
    tol: Tol,
    gpu_fn: impl Fn(&Tensor, &Tensor, Option<&Tensor>) -> sralign::Result<Tensor>,
    grads: bool,
) {
    let mk = |sh: &[usize]| {
        if grads {
            input(sh)
        } else {
            constant(sh, Init::Uniform(-1.0, 1.0))
        }
    };
    let mut inputs = vec![mk(&s), mk(&[cout, s[1], k, k])];
    if bias {
        inputs.push(mk(&[cout]));
    }
    check_op(
        &format!("{name} {s:?} k{k} s{stride} p{pad}"),
        &inputs,
        tol,
        |t| gpu_fn(&t[0], &t[1], t.get(2)),
        |x| {
            cg::reference::forward(
                &x[0],
                s,
                &x[1],
                cout,
                k,
                x.get(2).map(|b| b.as_slice()),
                stride,
                pad,
            )
            .0
        },
    );
}

#[test]
fn conv2d_general_matches_reference_and_gradients() {
    for c in CONVS {
        let (_, _, _, stride, pad, _) = c;
        conv_case(
            "conv2d_general",
            c,
            F32_KERNEL,
            |x, w, b| cg::conv2d_general(x, w, b, stride, pad),
            true,
        );
    }
}

#[test]
fn conv2d_general_routes_standard_geometry_to_conv2d() {
    // Stride 1, pad k/2, k = 1, 3, 5: conv2d's kernels, same result as the reference.
    for c in [
        ([2, 3, 7, 5], 4, 3, 1, 1, true),
        ([1, 5, 6, 9], 3, 5, 1, 2, false),
        ([2, 3, 5, 4], 2, 1, 1, 0, true),
    ] {
        let (_, _, _, stride, pad, _) = c;
        conv_case(
            "conv2d_general (fast path)",
            c,
            F32_KERNEL,
            |x, w, b| cg::conv2d_general(x, w, b, stride, pad),
            true,
        );
        // The plain kernel computes the same geometry too.
        conv_case(
            "conv2d_general_forward (plain kernel)",
            c,
            F32_KERNEL,
            |x, w, b| cg::conv2d_general_forward(x, w, b, stride, pad),
            false,
        );
    }
}

#[test]
fn conv2d_general_alexnet_first_layer_shape() {
    // 11x11 stride 4 pad 2 on 3 x 67 x 71, as AlexNet's conv1 (363 products per output):
    // 16 x 17 outputs, 19 channels (whole and partial blocks of 8 channels x 4 columns).
    conv_case(
        "conv2d_general alexnet conv1",
        ([1, 3, 67, 71], 19, 11, 4, 2, true),
        F32_KERNEL,
        |x, w, b| cg::conv2d_general(x, w, b, 4, 2),
        false,
    );
}

/// Values whose pairwise gaps inside any pooling window (width <= 30) are >= 2/67, so the
/// finite-difference steps (0.01) never change which element is a window's maximum.
fn distinct(n: usize) -> Init {
    Init::Given(
        (0..n)
            .map(|i| ((i * 37) % 67) as f32 / 67.0 * 2.0 - 1.0)
            .collect(),
    )
}

#[test]
fn max_pool_matches_reference_and_gradients() {
    for (s, k, stride) in [
        ([2, 3, 7, 5], 3, 2),
        ([2, 3, 9, 6], 2, 2),
        ([1, 2, 8, 8], 3, 3),
        ([1, 4, 11, 13], 3, 2),
        ([1, 1, 3, 3], 3, 2),
    ] {
        let n = s.iter().product();
        check_op(
            &format!("max_pool {s:?} k{k} s{stride}"),
            &[input_init(&s, distinct(n))],
            STRICT,
            |t| max_pool::max_pool2d(&t[0], k, stride),
            |x| max_pool::reference::max_pool(&x[0], s, k, stride),
        );
    }
}

#[test]
fn max_pool_ties_go_to_the_first_maximum() {
    let gpu = gpu();
    let x = Tensor::from_slice(&gpu, &[1, 1, 2, 2], &[1.0, 1.0, 0.0, 1.0]).unwrap();
    let d = Tensor::from_slice(&gpu, &[1, 1, 1, 1], &[3.0]).unwrap();
    let dx = max_pool::max_pool_backward_x(&d, &x, 2, 2).unwrap();
    assert_eq!(dx.to_vec().unwrap(), [3.0, 0.0, 0.0, 0.0]);
}

#[test]
fn channel_norm_matches_reference_and_gradients() {
    for s in [[2, 5, 7, 3], [1, 9, 4, 5], [2, 1, 3, 3]] {
        check_op(
            &format!("channel_norm {s:?}"),
            &[input(&s)],
            F32_KERNEL,
            |t| channel_norm::channel_norm(&t[0], 1e-10),
            |x| channel_norm::reference::channel_norm(&x[0], s, 1e-10),
        );
    }
}

#[test]
fn channel_norm_of_zero_vector_is_zero() {
    let gpu = gpu();
    let x = Tensor::from_slice(&gpu, &[1, 3, 1, 2], &[0.0, 3.0, 0.0, 0.0, 0.0, 4.0]).unwrap();
    let y = channel_norm::channel_norm_forward(&x, 1e-10)
        .unwrap()
        .to_vec()
        .unwrap();
    let want = [0.0, 0.6, 0.0, 0.0, 0.0, 0.8];
    for (g, w) in y.iter().zip(want) {
        assert!((g - w).abs() < 1e-6, "{y:?}");
    }
    let dy = Tensor::full(&gpu, &[1, 3, 1, 2], 1.0).unwrap();
    let dx = channel_norm::channel_norm_backward_x(&dy, &x, 1e-10)
        .unwrap()
        .to_vec()
        .unwrap();
    assert!(dx.iter().all(|v| v.is_finite()), "{dx:?}");
}

#[test]
fn bad_input_gives_typed_errors() {
    let gpu = gpu();
    let x = Tensor::zeros(&gpu, &[1, 3, 8, 8]).unwrap();
    let w11 = Tensor::zeros(&gpu, &[4, 3, 11, 11]).unwrap();
    let e = cg::conv2d_general(&x, &w11, None, 4, 1).unwrap_err();
    assert!(matches!(e, Error::Shape { .. }), "{e:?}");
    let e = cg::conv2d_general(&x, &w11, None, 0, 2).unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e:?}");
    let wr = Tensor::zeros(&gpu, &[4, 3, 3, 5]).unwrap();
    let e = cg::conv2d_general(&x, &wr, None, 1, 1).unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e:?}");
    let w2 = Tensor::zeros(&gpu, &[4, 2, 3, 3]).unwrap();
    let e = cg::conv2d_general(&x, &w2, None, 1, 1).unwrap_err();
    assert!(matches!(e, Error::Shape { .. }), "{e:?}");
    let e = max_pool::max_pool2d(&x, 9, 2).unwrap_err();
    assert!(matches!(e, Error::Shape { .. }), "{e:?}");
    let e = max_pool::max_pool2d(&x, 2, 0).unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e:?}");
    let flat = Tensor::zeros(&gpu, &[3, 8]).unwrap();
    assert!(channel_norm::channel_norm(&flat, 1e-10).is_err());

    // Over one storage binding: a typed limit error, not a panic.
    let small = sralign::Gpu::with_options(sralign::gpu::GpuOptions {
        max_storage_binding: Some(256),
        ..Default::default()
    })
    .unwrap();
    let x = Tensor::zeros(&small, &[1, 3, 12, 12]).unwrap();
    let w = Tensor::zeros(&small, &[2, 3, 5, 5]).unwrap();
    let e = cg::conv2d_general(&x, &w, None, 2, 0).unwrap_err();
    assert!(matches!(e, Error::Limit { .. }), "{e:?}");
    let e = max_pool::max_pool2d(&x, 2, 2).unwrap_err();
    assert!(matches!(e, Error::Limit { .. }), "{e:?}");
    let e = channel_norm::channel_norm(&x, 1e-10).unwrap_err();
    assert!(matches!(e, Error::Limit { .. }), "{e:?}");
}

/// This file's tests again on wgpu's GL backend and under WebGPU's default limits.
#[test]
fn child_runs_on_gl_and_default_limits() {
    run_children(&[Child::Gl, Child::DefaultLimits]);
}
