//! `sralign info`: the adapter, its backend, driver, limits and features, and an engine
//! self-test (a few kernels checked against host arithmetic).

use anyhow::{ensure, Result};
use sralign::{ops, Gpu, Tensor};

/// Print the GPU adapter sralign would use, its limits and features, and run a self-test.
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  sralign info\n  SRALIGN_ADAPTER=llvmpipe sralign info --self-test"
)]
pub struct Args {
    /// Also run a short engine self-test (upload, kernels, autograd, readback).
    #[arg(long)]
    self_test: bool,
}

pub fn run(args: Args) -> Result<()> {
    let gpu = Gpu::new()?;
    let s = gpu.summary();
    println!("adapter:   {}", s.name);
    println!("backend:   {}", s.backend);
    println!("type:      {}", s.device_type);
    println!("driver:    {} {}", s.driver, s.driver_info);
    println!(
        "subgroups: {}..{} lanes",
        s.subgroup_size.0, s.subgroup_size.1
    );
    println!("features:  {}", s.features.join(", "));
    let l = &s.limits;
    println!("limits:");
    println!(
        "  max_buffer_size                      {}",
        l.max_buffer_size
    );
    println!(
        "  max_storage_buffer_binding_size      {}",
        l.max_storage_buffer_binding_size
    );
    println!(
        "  max_storage_buffers_per_shader_stage {}",
        l.max_storage_buffers_per_shader_stage
    );
    println!(
        "  max_compute_workgroups_per_dimension {}",
        l.max_compute_workgroups_per_dimension
    );
    println!(
        "  max_compute_invocations_per_workgroup {}",
        l.max_compute_invocations_per_workgroup
    );
    println!(
        "  max_compute_workgroup_storage_size   {}",
        l.max_compute_workgroup_storage_size
    );
    println!(
        "  max_texture_dimension_2d             {}",
        l.max_texture_dimension_2d
    );
    if args.self_test {
        self_test(&gpu)?;
    }
    Ok(())
}

fn self_test(gpu: &Gpu) -> Result<()> {
    let t0 = std::time::Instant::now();
    let n = 1000usize;
    let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
    let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
    let ta = Tensor::from_slice(gpu, &[n], &a)?;
    let tb = Tensor::from_slice(gpu, &[n], &b)?;
    ta.set_requires_grad(true);
    let prod = ops::binary::mul(&ta, &tb)?;
    let got = prod.to_vec()?;
    for i in 0..n {
        ensure!(
            (got[i] - a[i] * b[i]).abs() <= 1e-6,
            "self-test: mul[{i}] = {} want {}",
            got[i],
            a[i] * b[i]
        );
    }
    let dout = Tensor::full(gpu, &[n], 1.0)?;
    let grads = sralign::autograd::backward_with(&prod, &dout)?;
    let ga = grads.get(&ta).expect("gradient of a").to_vec()?;
    for i in 0..n {
        ensure!(
            ga[i] == b[i],
            "self-test: d(a*b)/da[{i}] = {} want {}",
            ga[i],
            b[i]
        );
    }
    println!(
        "self-test: ok ({} dispatches, {:.1} ms)",
        gpu.dispatch_count(),
        t0.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}
