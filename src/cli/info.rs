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
    let all = sralign::gpu::list_adapters();
    println!("adapters wgpu offers ({}):", all.len());
    for (name, backend, kind) in &all {
        println!("  {name} ({backend}, {kind})");
    }
    let gpu = super::safety::open_gpu()?;
    let s = gpu.summary();
    println!(
        "adapter:   {}  (chosen; SRALIGN_ADAPTER / SRALIGN_BACKEND choose another)",
        s.name
    );
    println!("backend:   {}", s.backend);
    println!("type:      {}", s.device_type);
    println!("driver:    {} {}", s.driver, s.driver_info);
    println!(
        "subgroups: {}..{} lanes",
        s.subgroup_size.0, s.subgroup_size.1
    );
    println!("features:  {}", s.features.join(", "));
    match gpu.pipeline_cache_file() {
        Some(p) => println!(
            "pipeline cache: {} (SRALIGN_PIPELINE_CACHE=off disables)",
            p.display()
        ),
        None => println!("pipeline cache: none on this backend (the driver's own cache applies)"),
    }
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
    print_variants(&gpu);
    if args.self_test {
        // Compiling the kernels takes tens of seconds on a cold driver cache (25 s on lavapipe).
        let bar = super::safety::progress_bar(1, "self-test", "runs");
        super::safety::show_compiles(&gpu, &bar, "self-test");
        let r = self_test(&gpu);
        bar.finish_and_clear();
        gpu.set_compile_observer(None);
        println!("{}", r?);
    }
    Ok(())
}

/// Which kernel variant `Auto` runs for each op family on this adapter (the decisions of
/// `conv2d::auto_variant`, `matmul::auto_kernel`, `rff::rff_kernel_for` and the covariance's
/// subgroup check; tests and `sralign bench` can force any variant).
fn print_variants(gpu: &Gpu) {
    use ops::conv2d::{chosen_variant, conv2d_dims, tiled_wg, ConvImpl};
    println!("kernel variants (what Auto runs here):");
    for (what, x, w) in [
        ("conv3x3 64->64, 16x48x48", [16, 64, 48, 48], [64, 64, 3, 3]),
        ("conv3x3 3->16, 16x48x48", [16, 3, 48, 48], [16, 3, 3, 3]),
    ] {
        let Ok(d) = conv2d_dims("info", &x, &w, None) else {
            continue;
        };
        let v = chosen_variant(gpu, &d);
        let how = match v {
            ConvImpl::Tiled => format!(
                "implicit GEMM, {0}x{0}-lane workgroups",
                tiled_wg(gpu).unwrap_or(0)
            ),
            ConvImpl::Texture => "NHWC textures + subgroupBroadcast".to_string(),
            ConvImpl::Small => {
                "texture kernels; weight + bias gradient with all lanes on few channels".to_string()
            }
            ConvImpl::Winograd => {
                "F(2x2,3x3) for the passes measured faster, texture kernels for the rest"
                    .to_string()
            }
            _ => "register-blocked storage buffers".to_string(),
        };
        println!("  {what:<38} {v:?} ({how})");
    }
    let mk = ops::matmul::chosen_kernel(gpu);
    println!("  {:<38} {mk:?}", "matmul / linear / attention products");
    let fused = gpu.subgroup_kernels_usable();
    let attn = match ops::attention::auto_kernel(gpu.is_cpu(), fused) {
        ops::attention::AttentionKernel::Products(_) => "Products (on the matmul kernel above)",
        _ => "Fused (needs head_dim <= 32, <= 64 tokens per window; else Products)",
    };
    println!("  {:<38} {attn}", "window attention");
    let sg = ops::covariance::subgroups_usable(gpu);
    println!(
        "  {:<38} {}",
        "covariance (H*W % 4 == 0)",
        if sg {
            "Subgroup"
        } else {
            "Vec4 (no >= 8-lane subgroups)"
        }
    );
    println!(
        "  {:<38} {:?}",
        "RFF forward (H*W % 4 == 0)",
        ops::rff::rff_kernel_for(gpu, 64)
    );
}

/// Largest |a - b| relative to max(1, |b|).
fn worst(a: &[f32], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (*x as f64 - y).abs() / y.abs().max(1.0))
        .fold(0.0, f64::max)
}

fn values(n: usize, seed: u32) -> Vec<f32> {
    (0..n)
        .map(|i| {
            ((i as u32).wrapping_mul(2654435761).wrapping_add(seed) >> 8) as f32 / 16777216.0 - 0.5
        })
        .collect()
}

fn to64(v: &[f32]) -> Vec<f64> {
    v.iter().map(|x| *x as f64).collect()
}

/// Run the main kernels on small odd shapes and compare them with the f64 references:
/// conv2d forward and weight gradient (through the tape), matmul, window attention.
fn self_test(gpu: &Gpu) -> Result<String> {
    let t0 = std::time::Instant::now();
    let d0 = gpu.dispatch_count();
    let mut report = Vec::new();
    // conv2d 3x3 with bias, and its weight gradient via autograd.
    let (xs, ws) = ([2usize, 5, 9, 7], [6usize, 5, 3, 3]);
    let (xv, wv, bv) = (values(2 * 5 * 9 * 7, 1), values(6 * 5 * 9, 2), values(6, 3));
    let x = Tensor::from_slice(gpu, &xs, &xv)?;
    let w = Tensor::from_slice(gpu, &ws, &wv)?;
    let b = Tensor::from_slice(gpu, &[6], &bv)?;
    w.set_requires_grad(true);
    let y = ops::conv2d::conv2d(&x, &w, Some(&b))?;
    let want = ops::conv2d::reference::forward(&to64(&xv), xs, &to64(&wv), ws, Some(&to64(&bv)));
    report.push(("conv2d forward", worst(&y.to_vec()?, &want)));
    let dy = values(y.numel(), 4);
    let grads = sralign::autograd::backward_with(&y, &Tensor::from_slice(gpu, y.shape(), &dy)?)?;
    let dw = grads.get(&w).expect("weight gradient").to_vec()?;
    let want = ops::conv2d::reference::backward_weight(&to64(&xv), &to64(&dy), xs, ws);
    report.push(("conv2d weight gradient", worst(&dw, &want)));
    // matmul [3, 17, 13] x [3, 13, 11].
    let (av, bv) = (values(3 * 17 * 13, 5), values(3 * 13 * 11, 6));
    let c = ops::matmul::matmul(
        &Tensor::from_slice(gpu, &[3, 17, 13], &av)?,
        &Tensor::from_slice(gpu, &[3, 13, 11], &bv)?,
    )?;
    let want = ops::matmul::reference::matmul(&to64(&av), &to64(&bv), 3, 17, 13, 11);
    report.push(("matmul", worst(&c.to_vec()?, &want)));
    // Shifted window attention: 2 heads of 3 channels, window 4 on an 8x4 map.
    let (win, heads, c_dim, windows) = (4usize, 2usize, 6usize, 2usize);
    let qv = values(windows * win * win * 3 * c_dim, 7);
    let tv = values((2 * win - 1) * (2 * win - 1) * heads, 8);
    let out = ops::attention::window_attention(
        &Tensor::from_slice(gpu, &[windows, win * win, 3 * c_dim], &qv)?,
        &Tensor::from_slice(gpu, &[(2 * win - 1) * (2 * win - 1), heads], &tv)?,
        heads,
        win,
        2,
        8,
        4,
    )?;
    let want = ops::attention::reference::window_attention(
        &to64(&qv),
        &to64(&tv),
        windows,
        heads,
        win,
        2,
        8,
        4,
    );
    report.push(("window attention", worst(&out.to_vec()?, &want)));
    for (name, err) in &report {
        ensure!(
            *err <= 1e-4,
            "self-test: {name} is off by {err:.2e} (relative) from the f64 reference"
        );
    }
    Ok(format!(
        "self-test: ok ({} kernels checked against f64 references, worst error {:.1e}; {} dispatches, {:.0} ms)",
        report.len(),
        report.iter().map(|r| r.1).fold(0.0, f64::max),
        gpu.dispatch_count() - d0,
        t0.elapsed().as_secs_f64() * 1e3
    ))
}
