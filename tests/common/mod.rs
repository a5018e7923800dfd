//! Shared test helpers: `check_op` checks an op's GPU forward and every GPU gradient against
//! its f64 CPU reference (and the reference's central differences), then checks the GPU
//! gradients against central differences through the GPU forward itself in f32.
#![allow(dead_code)]

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sralign::{autograd, Gpu, Result, Tensor};

/// Tolerances, named once. A value passes when |got - want| <= atol + rtol * |want|.
#[derive(Clone, Copy, Debug)]
pub struct Tol {
    /// GPU forward (f32) vs the f64 reference.
    pub fwd: (f64, f64),
    /// GPU backward (f32) vs central differences of the f64 reference.
    pub grad: (f64, f64),
    /// Central differences through the GPU forward (f32) vs the GPU backward: the step and the
    /// (atol, rtol) on top of the forward's own rounding error, which is added per check.
    pub fd_step: f64,
    pub fd: (f64, f64),
}

/// Exact ops (copies, adds, reorders): only f32 rounding of the inputs.
pub const STRICT: Tol = Tol {
    fwd: (1e-6, 1e-6),
    grad: (1e-5, 1e-5),
    fd_step: 1e-2,
    fd: (1e-3, 1e-3),
};
/// Kernels that sum O(100) products in f32, in an order unlike the reference.
pub const F32_KERNEL: Tol = Tol {
    fwd: (1e-4, 1e-4),
    grad: (1e-4, 1e-3),
    fd_step: 1e-2,
    fd: (2e-3, 2e-2),
};
/// Long reductions or transcendental functions (softmax, erf, cos, covariances).
pub const F32_LOOSE: Tol = Tol {
    fwd: (1e-4, 1e-3),
    grad: (3e-4, 3e-3),
    fd_step: 1e-2,
    fd: (5e-3, 3e-2),
};

/// How an input is filled.
#[derive(Clone, Debug)]
pub enum Init {
    Uniform(f32, f32),
    /// Uniform magnitude in [lo, hi] with a random sign (keeps kinks such as ReLU's at 0 out of
    /// reach of the finite-difference steps).
    AwayFromZero(f32, f32),
    Given(Vec<f32>),
}

#[derive(Clone, Debug)]
pub struct Input {
    pub shape: Vec<usize>,
    pub grad: bool,
    pub init: Init,
}

pub fn input(shape: &[usize]) -> Input {
    Input {
        shape: shape.to_vec(),
        grad: true,
        init: Init::Uniform(-1.0, 1.0),
    }
}
pub fn input_init(shape: &[usize], init: Init) -> Input {
    Input {
        shape: shape.to_vec(),
        grad: true,
        init,
    }
}
pub fn constant(shape: &[usize], init: Init) -> Input {
    Input {
        shape: shape.to_vec(),
        grad: false,
        init,
    }
}

pub fn gpu() -> Gpu {
    Gpu::new().expect("a wgpu adapter (run tools/setup.sh)")
}

pub fn seed_of(name: &str) -> u64 {
    name.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

pub fn random(rng: &mut ChaCha8Rng, n: usize, init: &Init) -> Vec<f32> {
    match init {
        Init::Uniform(lo, hi) => (0..n).map(|_| rng.random_range(*lo..*hi)).collect(),
        Init::AwayFromZero(lo, hi) => (0..n)
            .map(|_| {
                let m = rng.random_range(*lo..*hi);
                if rng.random::<bool>() {
                    m
                } else {
                    -m
                }
            })
            .collect(),
        Init::Given(v) => {
            assert_eq!(v.len(), n, "given input has the wrong length");
            v.clone()
        }
    }
}

fn close(got: f64, want: f64, (atol, rtol): (f64, f64)) -> bool {
    (got - want).abs() <= atol + rtol * want.abs()
}

/// Compares `got` with `want` element by element; `Some(message)` when a value is off.
/// `scale` multiplies `atol` (1 for forward values; the size of the gradient for gradients).
fn compare(what: &str, got: &[f64], want: &[f64], tol: (f64, f64), scale: f64) -> Option<String> {
    if got.len() != want.len() {
        return Some(format!(
            "{what}: length {} vs reference {}",
            got.len(),
            want.len()
        ));
    }
    let atol = tol.0 * scale;
    let mut worst = (0usize, 0.0f64);
    let mut bad = 0;
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        if !close(*g, *w, (atol, tol.1)) || !g.is_finite() {
            bad += 1;
            let e = (g - w).abs();
            if e > worst.1 || !g.is_finite() {
                worst = (i, e);
            }
        }
    }
    (bad > 0).then(|| {
        format!(
            "{what}: {bad} of {} values off (atol {atol:.3e} = {} x gradient size {scale:.3e}, \
             rtol {}); worst at {}: got {} want {}",
            got.len(),
            tol.0,
            tol.1,
            worst.0,
            got[worst.0],
            want[worst.0]
        )
    })
}

fn assert_close(what: &str, got: &[f64], want: &[f64], tol: (f64, f64)) {
    if let Some(m) = compare(what, got, want, tol, 1.0) {
        panic!("{m}");
    }
}

fn to64(v: &[f32]) -> Vec<f64> {
    v.iter().map(|x| *x as f64).collect()
}

/// The size of a gradient that its tolerances scale with: its largest magnitude (an absolute
/// tolerance of 1e-4 would pass a zero gradient whose values are all 1e-5). A gradient that is
/// zero to f64 rounding keeps a tiny floor.
pub fn gradient_size(g: &[f64]) -> f64 {
    g.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-12)
}

/// Which check of `check_op_report` a failure belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    Forward,
    /// GPU gradient of input k vs central differences of the f64 reference.
    GradVsReference(usize),
    /// GPU gradient of input k vs central differences through the GPU forward in f32.
    GradVsGpuFd(usize),
}

/// Check an op: forward vs reference, every gradient vs the reference's central differences,
/// and every gradient vs central differences through the GPU forward (8 elements per input).
/// Panics with every failed check.
pub fn check_op(
    name: &str,
    inputs: &[Input],
    tol: Tol,
    gpu_fn: impl Fn(&[Tensor]) -> Result<Tensor>,
    cpu_fn: impl Fn(&[Vec<f64>]) -> Vec<f64>,
) {
    let failures = check_op_report(name, inputs, tol, gpu_fn, cpu_fn);
    assert!(
        failures.is_empty(),
        "{}",
        failures
            .iter()
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// `check_op`'s checks, returning every failure (check, message) instead of panicking.
pub fn check_op_report(
    name: &str,
    inputs: &[Input],
    tol: Tol,
    gpu_fn: impl Fn(&[Tensor]) -> Result<Tensor>,
    cpu_fn: impl Fn(&[Vec<f64>]) -> Vec<f64>,
) -> Vec<(Check, String)> {
    let gpu = gpu();
    let mut failures = Vec::new();
    let mut rng = ChaCha8Rng::seed_from_u64(seed_of(name));
    let host: Vec<Vec<f32>> = inputs
        .iter()
        .map(|i| random(&mut rng, i.shape.iter().product(), &i.init))
        .collect();
    let make = |vals: &[Vec<f32>]| -> Vec<Tensor> {
        inputs
            .iter()
            .zip(vals)
            .map(|(i, v)| {
                let t = Tensor::from_slice(&gpu, &i.shape, v).unwrap();
                t.set_requires_grad(i.grad);
                t
            })
            .collect()
    };
    let ts = make(&host);
    let out = gpu_fn(&ts).unwrap_or_else(|e| panic!("{name}: forward failed: {e}"));
    let got = to64(&out.to_vec().unwrap());
    let x64: Vec<Vec<f64>> = host.iter().map(|v| to64(v)).collect();
    let want = cpu_fn(&x64);
    if let Some(m) = compare(&format!("{name} forward"), &got, &want, tol.fwd, 1.0) {
        failures.push((Check::Forward, m));
    }

    if !inputs.iter().any(|i| i.grad) {
        autograd::clear_tape();
        return failures;
    }
    let dout_h: Vec<f32> = (0..out.numel())
        .map(|_| rng.random_range(-1.0f32..1.0))
        .collect();
    let dout = Tensor::from_slice(&gpu, out.shape(), &dout_h).unwrap();
    let grads =
        autograd::backward_with(&out, &dout).unwrap_or_else(|e| panic!("{name}: backward: {e}"));
    assert_eq!(
        autograd::tape_len(),
        0,
        "{name}: tape not freed after backward"
    );
    let d64 = to64(&dout_h);
    let loss_ref =
        |xs: &[Vec<f64>]| -> f64 { cpu_fn(xs).iter().zip(&d64).map(|(a, b)| a * b).sum() };

    for (k, inp) in inputs.iter().enumerate() {
        if !inp.grad {
            continue;
        }
        let g = grads
            .get(&ts[k])
            .unwrap_or_else(|| panic!("{name}: no gradient for input {k}"))
            .to_vec()
            .unwrap();
        let g64 = to64(&g);
        // (a) vs central differences of the f64 reference.
        let n = g.len();
        let idx: Vec<usize> = if n <= 600 {
            (0..n).collect()
        } else {
            (0..300).map(|_| rng.random_range(0..n)).collect()
        };
        let mut num = Vec::with_capacity(idx.len());
        let mut got_g = Vec::with_capacity(idx.len());
        for &j in &idx {
            let h = 1e-6 * x64[k][j].abs().max(1.0);
            let mut xp = x64.clone();
            xp[k][j] += h;
            let lp = loss_ref(&xp);
            xp[k][j] -= 2.0 * h;
            let lm = loss_ref(&xp);
            num.push((lp - lm) / (2.0 * h));
            got_g.push(g64[j]);
        }
        // Tolerances of this input's checks scale with the size of its (reference) gradient,
        // floored at 1% of the op's typical sensitivity max|dout| max|y| / max|x|: a gradient
        // that cancels to zero (normalising one channel) is computed as f32 rounding of terms
        // of that size, not of its own.
        let amax = |v: &[f64]| v.iter().fold(0f64, |a, x| a.max(x.abs()));
        let typical = amax(&d64) * amax(&got) / amax(&x64[k]).max(1e-30);
        let size = gradient_size(&num).max(1e-2 * typical);
        if let Some(m) = compare(
            &format!("{name} d(input {k}) vs reference"),
            &got_g,
            &num,
            tol.grad,
            size,
        ) {
            failures.push((Check::GradVsReference(k), m));
        }

        // (b) vs central differences through the GPU forward in f32.
        let _ng = autograd::no_grad();
        let fd_idx: Vec<usize> = (0..n.min(8)).map(|_| rng.random_range(0..n)).collect();
        let mut fd_bad = Vec::new();
        for &j in &fd_idx {
            let h = tol.fd_step * (host[k][j].abs() as f64).max(1.0);
            let eval = |delta: f64| -> Vec<f32> {
                let mut hv = host.clone();
                hv[k][j] = (hv[k][j] as f64 + delta) as f32;
                gpu_fn(&make(&hv)).unwrap().to_vec().unwrap()
            };
            let (op, om) = (eval(h), eval(-h));
            // Outputs the perturbation does not change cancel exactly; only the changed ones
            // carry f32 rounding (a few ulps per term) into the difference.
            let (mut diff, mut changed) = (0.0f64, 0.0f64);
            for ((p, m), d) in op.iter().zip(&om).zip(&d64) {
                if p.to_bits() != m.to_bits() {
                    diff += (*p as f64 - *m as f64) * d;
                    changed += (p.abs() as f64 + m.abs() as f64) * d.abs();
                }
            }
            let fd = diff / (2.0 * h);
            let rounding = 4.0 * f32::EPSILON as f64 * changed / (2.0 * h);
            if !close(fd, g64[j], (tol.fd.0 * size + rounding, tol.fd.1)) {
                fd_bad.push(format!(
                    "[{j}]: GPU backward {} vs f32 finite difference {fd} (h {h}, atol {:.3e} \
                     + rounding {rounding:.3e})",
                    g64[j],
                    tol.fd.0 * size
                ));
            }
        }
        if !fd_bad.is_empty() {
            failures.push((
                Check::GradVsGpuFd(k),
                format!(
                    "{name} d(input {k}) vs f32 finite differences, {} of {} probes off: {}",
                    fd_bad.len(),
                    fd_idx.len(),
                    fd_bad.join("; ")
                ),
            ));
        }
    }
    failures
}

/// Runs `f` forward (and, with `grads`, backward with a fixed random dout) on a default Gpu and
/// on one whose storage bindings are limited to `limit` bytes (so the launches split, with
/// unaligned piece starts); the output and every gradient must be bit-identical.
pub fn same_bits_split(
    name: &str,
    shapes: &[&[usize]],
    limit: u64,
    grads: bool,
    f: impl Fn(&[Tensor]) -> sralign::Result<Tensor>,
) {
    use rand::{Rng, SeedableRng};
    let run = |gpu: &sralign::Gpu| -> Vec<Vec<u32>> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed_of(name));
        let ts: Vec<Tensor> = shapes
            .iter()
            .map(|s| {
                let v = random(&mut rng, s.iter().product(), &Init::Uniform(-1.0, 1.0));
                let t = Tensor::from_slice(gpu, s, &v).unwrap();
                t.set_requires_grad(grads);
                t
            })
            .collect();
        let out = f(&ts).unwrap_or_else(|e| panic!("{name} (limit {limit}): {e}"));
        let bits = |t: &Tensor| t.to_vec().unwrap().iter().map(|v| v.to_bits()).collect();
        let biggest = ts.iter().chain([&out]).map(|t| t.bytes()).max().unwrap();
        assert!(biggest > limit, "{name}: nothing to split at {limit} bytes");
        let mut all = vec![bits(&out)];
        if grads {
            let d: Vec<f32> = (0..out.numel())
                .map(|_| rng.random_range(-1.0f32..1.0))
                .collect();
            let dout = Tensor::from_slice(gpu, out.shape(), &d).unwrap();
            let g = sralign::autograd::backward_with(&out, &dout)
                .unwrap_or_else(|e| panic!("{name} backward (limit {limit}): {e}"));
            for t in &ts {
                all.push(bits(g.get(t).expect("a gradient")));
            }
        }
        all
    };
    let want = run(&gpu());
    let small = sralign::Gpu::with_options(sralign::gpu::GpuOptions {
        max_storage_binding: Some(limit),
        ..Default::default()
    })
    .unwrap();
    let got = run(&small);
    for (k, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!(
            g == w,
            "{name} (limit {limit}): result {k} differs from the unsplit launch"
        );
    }
}

/// Writes a line to the test process's stderr past libtest's output capture, so that it shows
/// in `cargo test` output even when the test passes (skips must be seen, not inferred).
pub fn note(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// True when `gpu` runs the texture kernels (subgroups of >= 8 lanes); otherwise names the
/// skipped check and the reason in the output and returns false.
pub fn texture_kernels_or_skip(gpu: &Gpu, what: &str) -> bool {
    if gpu.has_subgroups_of(8) {
        return true;
    }
    let s = gpu.summary();
    let lanes = if gpu.has_subgroups() {
        format!(
            "subgroups of {}..{} lanes",
            s.subgroup_size.0, s.subgroup_size.1
        )
    } else {
        "no subgroups".into()
    };
    note(&format!(
        "SKIPPED {what}: the texture and subgroup kernels need subgroups of >= 8 lanes; {} ({}) has {lanes}",
        s.name, s.backend
    ));
    false
}

/// A configuration a test binary is run again under, in a child process.
#[derive(Clone, Copy, Debug)]
pub enum Child {
    /// lavapipe with 4-lane subgroups (`LP_NATIVE_VECTOR_WIDTH=128`).
    Lanes4,
    /// lavapipe with 8-lane subgroups (`LP_NATIVE_VECTOR_WIDTH=256`).
    Lanes8,
    /// lavapipe with 16-lane subgroups (`LP_NATIVE_VECTOR_WIDTH=512`, the widest llvmpipe
    /// supports: its LP_MAX_VECTOR_WIDTH is 512, and 1024, tried earlier, overflows its
    /// fixed-size arrays: `*** stack smashing detected ***` compiling matmul_tex with Mesa's
    /// shader cache empty): the 8-lane workgroups of the subgroup kernels inside wider
    /// subgroups, as on GPUs.
    Lanes16,
    /// wgpu's GL backend (llvmpipe through EGL here): no subgroups.
    Gl,
    /// WebGPU's default limits instead of the adapter's (`SRALIGN_LIMITS=default`).
    DefaultLimits,
}

/// Runs every test of this binary again (except the `child_` tests) in child processes, one
/// per configuration, and fails when one of them fails. A configuration that would repeat the
/// parent's own (lane widths off lavapipe, or the width the parent already has) or that this
/// machine lacks (no GL adapter) is skipped, named in the output.
pub fn run_children(children: &[Child]) {
    if std::env::var_os("SRALIGN_TEST_CHILD").is_some() {
        return;
    }
    let gpu = gpu();
    let s = gpu.summary().clone();
    let lavapipe = s.name.to_ascii_lowercase().contains("llvmpipe") && s.backend == "Vulkan";
    for &c in children {
        let env: &[(&str, &str)] = match c {
            Child::Lanes4 => &[("LP_NATIVE_VECTOR_WIDTH", "128")],
            Child::Lanes8 => &[("LP_NATIVE_VECTOR_WIDTH", "256")],
            Child::Lanes16 => &[("LP_NATIVE_VECTOR_WIDTH", "512")],
            Child::Gl => &[("SRALIGN_BACKEND", "gl")],
            Child::DefaultLimits => &[("SRALIGN_LIMITS", "default")],
        };
        let skip = match c {
            Child::Lanes4 | Child::Lanes8 | Child::Lanes16 if !lavapipe => {
                Some(format!("{} is not lavapipe", s.name))
            }
            Child::Lanes4 if s.subgroup_size == (4, 4) => Some("the parent runs at 4 lanes".into()),
            Child::Lanes8 if s.subgroup_size == (8, 8) => Some("the parent runs at 8 lanes".into()),
            Child::Lanes16 if s.subgroup_size == (16, 16) => {
                Some("the parent runs at 16 lanes".into())
            }
            Child::Gl
                if !sralign::gpu::list_adapters()
                    .iter()
                    .any(|(_, backend, _)| backend == "Gl") =>
            {
                Some("no GL adapter on this machine".into())
            }
            Child::Gl if s.backend == "Gl" => Some("the parent runs on GL".into()),
            _ => None,
        };
        if let Some(why) = skip {
            note(&format!("SKIPPED child run {c:?}: {why}"));
            continue;
        }
        let t = std::time::Instant::now();
        // Each lane width compiles into a Mesa shader cache of its own (kept between runs
        // under the target folder): the cache is not trusted to tell llvmpipe code compiled
        // for one vector width from another (a 16-lane child once failed two checks on its
        // first run after the parent had compiled the same kernels at 8 lanes).
        let mesa_cache = std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().map(|d| d.join(format!("mesa-cache-{c:?}"))));
        let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
        if let (Child::Lanes4 | Child::Lanes8 | Child::Lanes16, Some(dir)) = (c, &mesa_cache) {
            cmd.env("MESA_SHADER_CACHE_DIR", dir);
        }
        let out = cmd
            .args(["--skip", "child_", "--test-threads", "1"])
            .envs(env.iter().copied())
            .env("SRALIGN_TEST_CHILD", format!("{c:?}"))
            .output()
            .expect("the test binary runs again");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let result = stdout
            .lines()
            .rfind(|l| l.starts_with("test result"))
            .unwrap_or("no test result");
        let skipped = stderr.lines().filter(|l| l.starts_with("SKIPPED")).count();
        note(&format!(
            "child run {c:?} ({}): {result}; {skipped} checks SKIPPED; {:.1} s",
            env.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" "),
            t.elapsed().as_secs_f64()
        ));
        for l in stderr.lines().filter(|l| l.starts_with("SKIPPED")) {
            note(&format!("  ({c:?}) {l}"));
        }
        assert!(
            out.status.success(),
            "child run {c:?} failed:\n{stdout}\n{stderr}"
        );
    }
}
