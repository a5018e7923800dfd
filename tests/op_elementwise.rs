//! Gradient checks of scale, scale_add, add_scale_add, bias, ReLU, LeakyReLU, GELU (and its WGSL erf), PReLU.
mod common;
use common::*;
use sralign::ops::{activation, bias, prelu, scale};
use sralign::{Gpu, Tensor};

const S: [usize; 4] = [2, 3, 7, 5];
/// Inputs kept 0.05 away from the kinks at 0 (the f32 finite-difference step is 0.01).
const AWAY: Init = Init::AwayFromZero(0.05, 1.0);

#[test]
fn scale_matches_reference_and_gradients() {
    check_op(
        "scale",
        &[input(&S)],
        STRICT,
        |t| scale::scale(&t[0], -1.7),
        |x| scale::reference::scale(&x[0], -1.7f32 as f64),
    );
}

#[test]
fn scale_add_matches_reference_and_gradients() {
    check_op(
        "scale_add",
        &[input(&[2, 3, 7, 5]), input(&[2, 3, 7, 5])],
        STRICT,
        |t| scale::scale_add(&t[0], 0.2, &t[1]),
        |v| scale::reference::scale_add(&v[0], 0.2f32 as f64, &v[1]),
    );
}

#[test]
fn add_scale_add_matches_reference_and_gradients() {
    let sh = [2, 3, 7, 5];
    check_op(
        "add_scale_add",
        &[input(&sh), input(&sh), input(&sh)],
        STRICT,
        |t| scale::add_scale_add(&t[0], 0.2, &t[1], &t[2]),
        |v| scale::reference::add_scale_add(&v[0], 0.2f32 as f64, &v[1], &v[2]),
    );
}

#[test]
fn bias_4d_on_channels() {
    check_op(
        "bias 4-D",
        &[input(&S), input(&[3])],
        STRICT,
        |t| bias::bias(&t[0], &t[1]),
        |x| bias::reference::bias(&x[0], &x[1], 35),
    );
}

#[test]
fn bias_3d_and_2d_on_last_dim() {
    check_op(
        "bias 3-D",
        &[input(&[2, 7, 5]), input(&[5])],
        STRICT,
        |t| bias::bias(&t[0], &t[1]),
        |x| bias::reference::bias(&x[0], &x[1], 1),
    );
    check_op(
        "bias 2-D",
        &[input(&[13, 3]), input(&[3])],
        STRICT,
        |t| bias::bias(&t[0], &t[1]),
        |x| bias::reference::bias(&x[0], &x[1], 1),
    );
}

#[test]
fn bias_gradient_sums_many_partials() {
    // 2 x 3 x 70 x 70: 9800 elements per channel (rows of 4900 = 1225 vec4s), so the
    // reduction's runs cross rows and take three passes.
    check_op(
        "bias large",
        &[
            constant(&[2, 3, 70, 70], Init::Uniform(-1.0, 1.0)),
            input(&[3]),
        ],
        F32_KERNEL,
        |t| bias::bias(&t[0], &t[1]),
        |x| bias::reference::bias(&x[0], &x[1], 4900),
    );
}

#[test]
fn relu_and_leaky_relu() {
    check_op(
        "relu",
        &[input_init(&S, AWAY)],
        STRICT,
        |t| activation::relu(&t[0]),
        |x| activation::reference::relu(&x[0]),
    );
    check_op(
        "leaky_relu",
        &[input_init(&S, AWAY)],
        STRICT,
        |t| activation::leaky_relu(&t[0], 0.2),
        |x| activation::reference::leaky_relu(&x[0], 0.2f32 as f64),
    );
}

#[test]
fn gelu_matches_reference_and_gradients() {
    check_op(
        "gelu",
        &[input_init(&S, Init::Uniform(-4.0, 4.0))],
        F32_LOOSE,
        |t| activation::gelu(&t[0]),
        |x| activation::reference::gelu(&x[0]),
    );
}

/// The f64 erf against values from mpmath (40 digits).
#[test]
#[allow(clippy::excessive_precision)]
fn reference_erf_is_accurate() {
    let known = [
        (0.1, 0.1124629160182848984),
        (0.5, 0.5204998778130465377),
        (1.0, 0.8427007929497148693),
        (2.5, 0.9995930479825550411),
        (3.0, 0.9999779095030014146),
        (3.5, 0.9999992569016276586),
        (-1.7, -0.9837904585907745608),
    ];
    for (x, want) in known {
        let got = activation::reference::erf(x);
        assert!((got - want).abs() < 1e-14, "erf({x}) = {got}, want {want}");
    }
}

/// The WGSL erf (through GELU on a dense grid): |erf_f32 - erf| <= 3e-7 everywhere (measured
/// worst: 1.1e-7 on lavapipe).
#[test]
fn wgsl_erf_is_accurate() {
    let gpu = gpu();
    let xs: Vec<f32> = (0..40001)
        .map(|i| -6.0 + 12.0 * i as f32 / 40000.0)
        .collect();
    let t = Tensor::from_slice(&gpu, &[xs.len()], &xs).unwrap();
    let y = activation::gelu_forward(&t).unwrap().to_vec().unwrap();
    let mut worst = (0.0f64, 0.0f32);
    for (x, y) in xs.iter().zip(&y) {
        let want = activation::reference::gelu(&[*x as f64])[0];
        // gelu = 0.5 x (1 + erf): the erf error is the gelu error / (0.5 |x|); f32 rounding of
        // the outer product adds ~1 ulp of |gelu|.
        let err = (*y as f64 - want).abs() - f32::EPSILON as f64 * want.abs();
        let e = err.max(0.0) / (0.5 * (*x as f64).abs().max(1e-3));
        if e > worst.0 {
            worst = (e, *x);
        }
    }
    assert!(
        worst.0 < 3e-7,
        "erf error {} at x/sqrt2 = {}",
        worst.0,
        worst.1 / 2f32.sqrt()
    );
}

#[test]
fn prelu_per_channel_and_shared() {
    check_op(
        "prelu [C]",
        &[
            input_init(&S, AWAY),
            input_init(&[3], Init::Uniform(0.05, 0.5)),
        ],
        F32_KERNEL,
        |t| prelu::prelu(&t[0], &t[1]),
        |x| prelu::reference::prelu(&x[0], &x[1], 35),
    );
    check_op(
        "prelu [1]",
        &[
            input_init(&S, AWAY),
            input_init(&[1], Init::Uniform(0.05, 0.5)),
        ],
        F32_KERNEL,
        |t| prelu::prelu(&t[0], &t[1]),
        |x| prelu::reference::prelu(&x[0], &x[1], 1),
    );
}

#[test]
fn bad_shapes_are_typed_errors_naming_the_op() {
    let gpu = gpu();
    let x = Tensor::zeros(&gpu, &S).unwrap();
    let b4 = Tensor::zeros(&gpu, &[4]).unwrap();
    let e = bias::bias(&x, &b4).unwrap_err();
    assert!(matches!(e, sralign::Error::Shape { .. }), "{e}");
    let e = e.to_string();
    assert!(
        e.contains("bias_forward") && e.contains("[2, 3, 7, 5]") && e.contains("[4]"),
        "{e}"
    );
    let x1 = Tensor::zeros(&gpu, &[5]).unwrap();
    let b5 = Tensor::zeros(&gpu, &[5]).unwrap();
    let e = bias::bias(&x1, &b5).unwrap_err().to_string();
    assert!(e.contains("bias_forward"), "{e}");
    let e = prelu::prelu(&x, &b4).unwrap_err().to_string();
    assert!(e.contains("prelu_forward") && e.contains("[4]"), "{e}");
    let e = activation::leaky_relu_backward_input(&x, &x1, 0.1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("leaky_relu_backward_input"), "{e}");
    // Zero-sized tensors cannot be built, so no op can receive one.
    let e = Tensor::zeros(&gpu, &[2, 0, 3]).unwrap_err().to_string();
    assert!(e.contains("zero-sized"), "{e}");
}

/// With a 4 KiB storage-binding limit every op here splits its launches (1024 elements per
/// binding): elementwise results are bit-identical to one launch; reductions match the f64
/// sums.
#[test]
fn launches_split_at_the_binding_limit() {
    use sralign::gpu::GpuOptions;
    use sralign::ops::{binary, loss, reduce};
    let small = Gpu::with_options(GpuOptions {
        max_storage_binding: Some(4096),
        ..Default::default()
    })
    .unwrap();
    let big = gpu();
    let s = [2, 3, 37, 41];
    let n: usize = s.iter().product();
    let xs: Vec<f32> = (0..n)
        .map(|i| ((i * 7919) % 2001) as f32 / 1000.0 - 1.0)
        .collect();
    let ys: Vec<f32> = (0..n)
        .map(|i| ((i * 104729) % 1999) as f32 / 1000.0 - 1.0)
        .collect();
    let bs = [0.5f32, -0.25, 0.125];
    let run = |g: &Gpu| -> Vec<Vec<f32>> {
        let x = Tensor::from_slice(g, &s, &xs).unwrap();
        let y = Tensor::from_slice(g, &s, &ys).unwrap();
        let b = Tensor::from_slice(g, &[3], &bs).unwrap();
        let t2 = Tensor::from_slice(g, &[n / 3, 3], &xs).unwrap();
        let t35 = Tensor::from_slice(g, &[40, 3, 5, 7], &xs[..4200]).unwrap();
        let t20 = Tensor::from_slice(g, &[40, 3, 4, 5], &xs[..2400]).unwrap();
        vec![
            binary::add_forward(&x, &y).unwrap(),
            activation::leaky_relu_backward_input(&x, &y, 0.1).unwrap(),
            activation::gelu_forward(&x).unwrap(),
            bias::bias_forward(&x, &b).unwrap(),
            prelu::prelu_backward_input(&x, &b, &y).unwrap(),
            loss::loss_backward_pred(loss::Loss::L1, &x, &y, &b.reshaped(&[3]).unwrap()).unwrap(),
        ]
        .into_iter()
        .map(|t| t.to_vec().unwrap())
        .chain([
            reduce::sum_forward(&x).unwrap().to_vec().unwrap(),
            bias::bias_backward_bias(&t35, &b)
                .unwrap()
                .to_vec()
                .unwrap(),
            bias::bias_backward_bias(&t20, &b)
                .unwrap()
                .to_vec()
                .unwrap(),
            bias::bias_backward_bias(&t2, &b).unwrap().to_vec().unwrap(),
            reduce::sum_squares(&x).unwrap().to_vec().unwrap(),
        ])
        .collect()
    };
    let (a, b) = (run(&small), run(&big));
    for k in 0..6 {
        let same = a[k]
            .iter()
            .zip(&b[k])
            .all(|(p, q)| p.to_bits() == q.to_bits());
        assert!(same, "elementwise result {k} differs when split");
    }
    let x64: Vec<f64> = xs.iter().map(|v| *v as f64).collect();
    let want_sum = x64.iter().sum::<f64>();
    let cs = sralign::ops::reduce::reference::channel_sum;
    let want_ss = x64.iter().map(|v| v * v).sum::<f64>();
    let wants = [
        vec![want_sum],
        cs(&x64[..4200], 40, 3, 35),
        cs(&x64[..2400], 40, 3, 20),
        cs(&x64, n / 3, 3, 1),
        vec![want_ss],
    ];
    for (k, want) in wants.iter().enumerate() {
        for r in [&a[6 + k], &b[6 + k]] {
            for (g, w) in r.iter().zip(want) {
                assert!((*g as f64 - w).abs() < 1e-3, "reduction {k}: {g} vs {w}");
            }
        }
    }
}

/// Channel reductions (bias and PReLU slope gradients) give the same bits run to run.
#[test]
fn channel_reductions_are_bit_identical() {
    let gpu = gpu();
    let s = [4, 64, 23, 24];
    let n: usize = s.iter().product();
    let xs: Vec<f32> = (0..n)
        .map(|i| ((i * 7919) % 2003) as f32 / 1001.0 - 1.0)
        .collect();
    let ys: Vec<f32> = (0..n)
        .map(|i| ((i * 6007) % 1999) as f32 / 999.0 - 1.0)
        .collect();
    let x = Tensor::from_slice(&gpu, &s, &xs).unwrap();
    let y = Tensor::from_slice(&gpu, &s, &ys).unwrap();
    let c = Tensor::zeros(&gpu, &[64]).unwrap();
    let run = || {
        let mut v = bias::bias_backward_bias(&x, &c).unwrap().to_vec().unwrap();
        v.extend(
            prelu::prelu_backward_alpha(&x, &c, &y)
                .unwrap()
                .to_vec()
                .unwrap(),
        );
        v.into_iter().map(f32::to_bits).collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
}

/// This file's tests again on wgpu's GL backend and under WebGPU's default limits.
#[test]
fn child_runs_on_gl_and_default_limits() {
    run_children(&[Child::Gl, Child::DefaultLimits]);
}
