//! Engine tests beyond single ops: uploads, limits, typed errors, pool reuse, grid folding.
mod common;
use common::gpu;
use sralign::gpu::{shaders, GpuOptions, Launch};
use sralign::{autograd, ops, Error, Gpu, Tensor};

#[test]
fn three_hundred_uploads_read_back_intact() {
    let gpu = gpu();
    let mut kept = Vec::new();
    for i in 0..300usize {
        let n = 1 + (i * 37) % 1000;
        let v: Vec<f32> = (0..n).map(|j| (i * 1000 + j) as f32).collect();
        let t = Tensor::from_slice(&gpu, &[n], &v).unwrap();
        // Interleave recorded work so uploads and dispatches share batches.
        let doubled = ops::binary::add(&t, &t).unwrap();
        kept.push((v, t, doubled));
    }
    for (i, (v, t, d)) in kept.iter().enumerate() {
        assert_eq!(&t.to_vec().unwrap(), v, "upload {i} corrupted");
        let want: Vec<f32> = v.iter().map(|x| 2.0 * x).collect();
        assert_eq!(d.to_vec().unwrap(), want, "kernel on upload {i}");
    }
}

#[test]
fn launch_over_workgroup_limit_is_a_typed_error() {
    let gpu = gpu();
    let t = Tensor::zeros(&gpu, &[16]).unwrap();
    let too_many = gpu.limits().max_compute_workgroups_per_dimension + 1;
    let e = gpu
        .launch(Launch {
            op: "fill_test",
            shapes: &[t.shape()],
            shader: &shaders::FILL,
            entry: "fill",
            overrides: &[],
            params: &[16, 0],
            binds: &[t.bind()],
            workgroups: [too_many, 1, 1],
        })
        .unwrap_err();
    assert!(matches!(e, Error::Limit { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("fill_test") && msg.contains("[16]") && msg.contains("max_compute_workgroups"),
        "{msg}"
    );
    gpu.sync().unwrap();
}

#[test]
fn bindings_over_the_storage_limit_are_split_or_refused_with_a_typed_error() {
    let small = Gpu::with_options(GpuOptions {
        max_storage_binding: Some(4096),
        ..Default::default()
    })
    .unwrap();
    let full = gpu();
    let v: Vec<f32> = (0..2 * 1024 + 3).map(|i| i as f32 * 0.5).collect();
    // Elementwise ops split their launches into aligned sub-ranges: same bits as one launch.
    let run = |g: &Gpu| {
        let a = Tensor::from_slice(g, &[v.len()], &v).unwrap();
        ops::binary::add(&a, &a).unwrap().to_vec().unwrap()
    };
    assert_eq!(run(&small), run(&full));
    // One conv2d batch item larger than a binding cannot be split: a typed error naming it.
    let x = Tensor::zeros(&small, &[1, 8, 16, 16]).unwrap();
    let w = Tensor::zeros(&small, &[8, 8, 3, 3]).unwrap();
    let e = ops::conv2d::conv2d(&x, &w, None).unwrap_err();
    assert!(matches!(e, Error::Limit { .. }), "{e:?}");
    assert!(
        e.to_string().contains("conv2d") && e.to_string().contains("[1, 8, 16, 16]"),
        "{e}"
    );
    small.sync().unwrap();
}

#[test]
fn zero_sized_tensors_are_rejected() {
    let gpu = gpu();
    let e = Tensor::zeros(&gpu, &[2, 0, 3]).unwrap_err();
    assert!(
        e.to_string().contains("zero-sized") && e.to_string().contains("[2, 0, 3]"),
        "{e}"
    );
    let e = Tensor::from_slice(&gpu, &[2, 2], &[1.0; 3]).unwrap_err();
    assert!(e.to_string().contains("3 values"), "{e}");
}

#[test]
fn unknown_adapter_is_named_in_the_error() {
    let e = Gpu::with_options(GpuOptions {
        adapter: Some("no-such-adapter-xyz".into()),
        ..Default::default()
    })
    .err()
    .expect("no adapter should match");
    assert!(
        matches!(e, Error::NoAdapter(_)) && e.to_string().contains("no-such-adapter-xyz"),
        "{e}"
    );
}

#[test]
fn large_one_dimensional_grids_fold_into_two_dimensions() {
    let gpu = gpu();
    // More than 65535 workgroups of 256 lanes.
    let n = 65_535 * 256 + 1000;
    let t = Tensor::full(&gpu, &[n], 3.5).unwrap();
    let v = t.to_vec().unwrap();
    assert!(v.iter().all(|x| *x == 3.5), "some elements not filled");
}

#[test]
fn buffer_pool_stops_growing_after_the_first_steps() {
    let gpu = gpu();
    let w = Tensor::from_slice(&gpu, &[64], &vec![0.5; 64]).unwrap();
    w.set_requires_grad(true);
    let x = Tensor::from_slice(&gpu, &[64], &vec![2.0; 64]).unwrap();
    let mut after_step2 = None;
    for step in 1..=50 {
        let y = ops::binary::mul(&w, &x).unwrap();
        let z = ops::binary::add(&y, &y).unwrap();
        let z = ops::binary::mul(&z, &y).unwrap();
        let dz = Tensor::full(&gpu, &[64], 1.0).unwrap();
        let g = autograd::backward_with(&z, &dz).unwrap();
        assert!(g.get(&w).is_some());
        drop(g);
        gpu.flush().unwrap();
        if step == 2 {
            after_step2 = Some(gpu.pool_stats());
        }
    }
    gpu.sync().unwrap();
    let s2 = after_step2.unwrap();
    let s50 = gpu.pool_stats();
    assert_eq!(
        (s2.created, s2.bytes),
        (s50.created, s50.bytes),
        "pool grew: {s2:?} -> {s50:?}"
    );
}

#[test]
fn tape_is_empty_after_backward_and_no_grad_records_nothing() {
    let gpu = gpu();
    let a = Tensor::full(&gpu, &[5], 2.0).unwrap();
    a.set_requires_grad(true);
    {
        let _g = autograd::no_grad();
        let _ = ops::binary::mul(&a, &a).unwrap();
        assert_eq!(autograd::tape_len(), 0);
    }
    let y = ops::binary::mul(&a, &a).unwrap();
    assert_eq!(autograd::tape_len(), 1);
    let g = autograd::backward_with(&y, &Tensor::full(&gpu, &[5], 1.0).unwrap()).unwrap();
    assert_eq!(autograd::tape_len(), 0);
    // d(a*a)/da = 2a, accumulated from both operands.
    assert_eq!(g.get(&a).unwrap().to_vec().unwrap(), vec![4.0; 5]);
}

#[test]
fn profiling_attributes_gpu_time_to_ops() {
    let gpu = gpu();
    if let Err(e) = gpu.set_profiling(true) {
        // Only a missing feature may skip this test, and the skip is named in the output.
        assert!(
            matches!(e, sralign::Error::Unsupported { .. }) && e.to_string().contains("timestamp"),
            "{e}"
        );
        common::note(&format!(
            "SKIPPED profiling_attributes_gpu_time_to_ops: {e}"
        ));
        return;
    }
    let a = Tensor::full(&gpu, &[100_000], 1.0).unwrap();
    for _ in 0..3 {
        let _ = ops::binary::add(&a, &a).unwrap();
    }
    let rows = gpu.take_profile().unwrap();
    let add = rows
        .iter()
        .find(|r| r.0 == "add_forward")
        .expect("add_forward profiled");
    assert_eq!(add.2, 3);
    assert!(add.1 > 0.0, "{rows:?}");
}

#[test]
fn gradient_accumulation_splits_over_the_binding_limit() {
    let gpu = Gpu::with_options(GpuOptions {
        max_storage_binding: Some(4096),
        ..Default::default()
    })
    .unwrap();
    let v: Vec<f32> = (0..3001).map(|i| i as f32 * 0.25 - 300.0).collect();
    let a = Tensor::from_slice(&gpu, &[v.len()], &v).unwrap();
    a.set_requires_grad(true);
    let y = ops::binary::mul(&a, &a).unwrap();
    let g = autograd::backward_with(&y, &Tensor::full(&gpu, &[v.len()], 1.0).unwrap()).unwrap();
    let want: Vec<f32> = v.iter().map(|x| 2.0 * x).collect();
    assert_eq!(g.get(&a).unwrap().to_vec().unwrap(), want);
}

#[test]
fn webgpu_default_limits_can_be_requested() {
    let gpu = Gpu::with_options(GpuOptions {
        webgpu_default_limits: Some(true),
        ..Default::default()
    })
    .unwrap();
    let want = wgpu::Limits::default();
    assert_eq!(
        gpu.limits().max_storage_buffer_binding_size,
        want.max_storage_buffer_binding_size
    );
    assert_eq!(
        gpu.device().limits().max_compute_workgroup_storage_size,
        want.max_compute_workgroup_storage_size
    );
    // A launch validated against them runs and gives the exact result.
    let v: Vec<f32> = (0..3001).map(|i| i as f32 * 0.5).collect();
    let a = Tensor::from_slice(&gpu, &[v.len()], &v).unwrap();
    let y = ops::binary::add(&a, &a).unwrap().to_vec().unwrap();
    assert_eq!(y, v.iter().map(|x| 2.0 * x).collect::<Vec<_>>());
}

#[test]
fn kernels_over_a_low_storage_buffer_limit_are_clear_errors() {
    // wgpu's downlevel limit (many GLES devices) is 4 storage buffers per stage; layernorm's
    // forward binds 5: a typed error naming the op and the limit, before any pipeline exists.
    let gpu = Gpu::with_options(GpuOptions {
        max_storage_buffers_per_stage: Some(4),
        ..Default::default()
    })
    .unwrap();
    let x = Tensor::zeros(&gpu, &[6, 8]).unwrap();
    let g = Tensor::full(&gpu, &[8], 1.0).unwrap();
    let b = Tensor::zeros(&gpu, &[8]).unwrap();
    let e = ops::layernorm::layernorm(&x, &g, &b, 1e-5).unwrap_err();
    assert!(matches!(e, Error::Limit { .. }), "{e:?}");
    let m = e.to_string();
    assert!(
        m.contains("layernorm") && m.contains("max_storage_buffers_per_shader_stage 4"),
        "{m}"
    );
    // Kernels within the limit still run.
    let y = ops::binary::add(&x, &x).unwrap().to_vec().unwrap();
    assert!(y.iter().all(|v| *v == 0.0));
    assert!(
        gpu.sync().is_ok(),
        "no device error after the refused launch"
    );
}

/// The engine tests again on wgpu's GL backend and under WebGPU's default limits.
#[test]
fn child_runs_on_gl_and_default_limits() {
    common::run_children(&[common::Child::Gl, common::Child::DefaultLimits]);
}
